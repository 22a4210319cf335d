//! A trace as a sequence diagram, in SVG: one lifeline per rank, time
//! flowing down, an arrow per message from the start of its send to the end
//! of its receive, labelled with its tag and size.
//!
//! Sends and receives are paired as MPI pairs them: between one sender and
//! one receiver, messages with the same tag arrive in the order they were
//! sent (the non-overtaking rule).

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::fmt::Write;

use crate::trace::{Event, Op};

/// A message: its send and its receive.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The send event.
    pub send: Event,
    /// The receive event.
    pub recv: Event,
}

/// Pair sends with receives. Returns the messages, and the events that have
/// no partner in the trace (a rank that aborted, say).
pub fn pair(events: &[Event]) -> (Vec<Message>, Vec<Event>) {
    let mut sends: HashMap<(i32, i32, i32), VecDeque<&Event>> = HashMap::new();
    let mut recvs: HashMap<(i32, i32, i32), VecDeque<&Event>> = HashMap::new();
    let mut ordered: Vec<&Event> = events.iter().collect();
    ordered.sort_by(|a, b| a.start_us.total_cmp(&b.start_us));
    for event in ordered {
        match event.op {
            Op::Send => sends.entry((event.rank, event.peer, event.tag)).or_default().push_back(event),
            Op::Recv => recvs.entry((event.peer, event.rank, event.tag)).or_default().push_back(event),
        }
    }
    let mut messages = Vec::new();
    let mut unmatched = Vec::new();
    for (key, mut queue) in sends {
        let mut partners = recvs.remove(&key).unwrap_or_default();
        while let Some(send) = queue.pop_front() {
            match partners.pop_front() {
                Some(recv) => messages.push(Message { send: send.clone(), recv: recv.clone() }),
                None => unmatched.push(send.clone()),
            }
        }
        unmatched.extend(partners.into_iter().cloned());
    }
    unmatched.extend(recvs.into_values().flatten().cloned());
    messages.sort_by(|a, b| a.send.start_us.total_cmp(&b.send.start_us));
    unmatched.sort_by(|a, b| a.start_us.total_cmp(&b.start_us));
    (messages, unmatched)
}

const LANE: f64 = 110.0;
const LEFT: f64 = 70.0;
const TOP: f64 = 70.0;
const HEIGHT: f64 = 480.0;

/// Render a trace of `ranks` ranks (at least those the events name) as SVG.
pub fn render(events: &[Event], ranks: i32, title: &str) -> String {
    let ranks = events.iter().flat_map(|e| [e.rank, e.peer]).max().map_or(ranks, |m| ranks.max(m + 1)).max(1);
    let (messages, unmatched) = pair(events);
    let t_min = events.iter().map(|e| e.start_us).fold(f64::INFINITY, f64::min);
    let t_max = events.iter().map(|e| e.end_us).fold(f64::NEG_INFINITY, f64::max);
    let (t_min, span) = if t_min.is_finite() && t_max > t_min { (t_min, t_max - t_min) } else { (0.0, 1.0) };
    let y = |t: f64| TOP + 20.0 + (t - t_min) / span * HEIGHT;
    let x = |rank: i32| LEFT + f64::from(rank) * LANE;
    let width = x(ranks - 1) + LEFT;
    let height = TOP + HEIGHT + 90.0;

    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="12">
<title>{title}</title>
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#1f5fa8"/></marker></defs>
<rect width="100%" height="100%" fill="white"/>
<text x="{LEFT}" y="24" font-size="15" font-weight="bold">{title}</text>
<text x="{LEFT}" y="42" fill="#555">time flows down: {span:.0} µs from the first call to the last</text>
"##,
        title = escape(title),
    );
    for rank in 0..ranks {
        let _ = writeln!(
            svg,
            r##"<g class="rank"><text x="{cx:.1}" y="{ty:.1}" text-anchor="middle" font-weight="bold">rank {rank}</text><line class="lifeline" data-rank="{rank}" x1="{cx:.1}" y1="{y1:.1}" x2="{cx:.1}" y2="{y2:.1}" stroke="#999" stroke-dasharray="4 3"/></g>"##,
            cx = x(rank),
            ty = TOP,
            y1 = TOP + 8.0,
            y2 = TOP + 40.0 + HEIGHT,
        );
    }
    // Each call as a bar on its rank's lifeline: how long the rank was in it.
    for event in events {
        let (top, bottom) = (y(event.start_us), y(event.end_us).max(y(event.start_us) + 2.0));
        let colour = if event.op == Op::Send { "#f0a030" } else { "#40a060" };
        let _ = writeln!(
            svg,
            r#"<rect class="call" data-rank="{}" data-op="{:?}" x="{:.1}" y="{top:.1}" width="8" height="{:.1}" fill="{colour}" opacity="0.8"/>"#,
            event.rank,
            event.op,
            x(event.rank) - 4.0,
            bottom - top,
        );
    }
    for message in &messages {
        let (x1, y1) = (x(message.send.rank), y(message.send.start_us));
        let (x2, y2) = (x(message.recv.rank), y(message.recv.end_us));
        let label = format!("tag {}, {} B", message.send.tag, message.send.bytes);
        let _ = writeln!(
            svg,
            r##"<g class="message" data-from="{}" data-to="{}" data-tag="{}" data-bytes="{}"><line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="#1f5fa8" stroke-width="1.6" marker-end="url(#arrow)"/><text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#1f5fa8">{}</text></g>"##,
            message.send.rank,
            message.recv.rank,
            message.send.tag,
            message.send.bytes,
            (x1 + x2) / 2.0,
            (y1 + y2) / 2.0 - 5.0,
            escape(&label),
        );
    }
    for event in &unmatched {
        let what = match event.op {
            Op::Send => format!("send to rank {} never received", event.peer),
            Op::Recv => format!("receive from rank {} with no send traced", event.peer),
        };
        let _ = writeln!(
            svg,
            r##"<text class="unmatched" x="{:.1}" y="{:.1}" fill="#b00020">{}</text>"##,
            x(event.rank) + 8.0,
            y(event.start_us),
            escape(&what),
        );
    }
    let ranks_used: BTreeSet<i32> = events.iter().map(|e| e.rank).collect();
    let _ = write!(
        svg,
        r##"<text x="{LEFT}" y="{:.0}" fill="#555">{} message(s) between {} rank(s); orange: in a send, green: in a receive</text>
</svg>
"##,
        height - 20.0,
        messages.len(),
        ranks_used.len(),
    );
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(rank: i32, op: Op, peer: i32, tag: i32, start_us: f64) -> Event {
        Event { rank, op, peer, tag, bytes: 4, start_us, end_us: start_us + 1.0 }
    }

    #[test]
    fn messages_pair_in_order_per_sender_receiver_and_tag() {
        let events = vec![
            event(0, Op::Send, 1, 7, 0.0),
            event(0, Op::Send, 1, 7, 2.0),
            event(0, Op::Send, 1, 8, 3.0),
            event(1, Op::Recv, 0, 8, 4.0),
            event(1, Op::Recv, 0, 7, 5.0),
            event(1, Op::Recv, 0, 7, 6.0),
            event(2, Op::Send, 1, 0, 1.0),
        ];
        let (messages, unmatched) = pair(&events);
        assert_eq!(messages.len(), 3);
        let tag7: Vec<(f64, f64)> =
            messages.iter().filter(|m| m.send.tag == 7).map(|m| (m.send.start_us, m.recv.start_us)).collect();
        assert_eq!(tag7, [(0.0, 5.0), (2.0, 6.0)]);
        assert_eq!(unmatched, [event(2, Op::Send, 1, 0, 1.0)]);
    }

    #[test]
    fn svg_has_a_lifeline_per_rank_and_escapes_text() {
        let svg = render(&[event(0, Op::Send, 2, 0, 0.0), event(2, Op::Recv, 0, 0, 1.0)], 3, "a < b");
        assert_eq!(svg.matches(r#"class="lifeline""#).count(), 3);
        assert!(svg.contains(r#"data-from="0" data-to="2""#));
        assert!(svg.contains("<title>a &lt; b</title>"));
    }
}
