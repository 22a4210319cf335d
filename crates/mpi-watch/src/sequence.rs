//! A trace as a sequence diagram, in SVG: one lifeline per rank, time
//! flowing down, an arrow per message from the start of its send to the end
//! of its receive, labelled with its tag and size.
//!
//! Sends and receives are paired as MPI pairs them: between one sender and
//! one receiver on one communicator, messages with the same tag arrive in
//! the order they were sent (the non-overtaking rule).
//!
//! The arrow is the truth of the trace: it leaves the sender's lifeline when
//! the send was called and reaches the receiver's when the receive
//! completed, and its label gives that time. The time axis is linear, with
//! ticks, so a long arrow is a long wait.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::fmt::Write;

use crate::trace::{Event, Op, Trace};

/// A message: its send and its receive.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The send event.
    pub send: Event,
    /// The receive event.
    pub recv: Event,
}

/// Pair sends with receives. Returns the messages, and the sends and
/// receives that have no partner in the trace (a rank that aborted, say);
/// waits and moments are neither.
pub fn pair(events: &[Event]) -> (Vec<Message>, Vec<Event>) {
    let (pairs, unmatched) = pair_indices(events);
    let messages =
        pairs.into_iter().map(|(s, r)| Message { send: events[s].clone(), recv: events[r].clone() }).collect();
    (messages, unmatched.into_iter().map(|i| events[i].clone()).collect())
}

/// [`pair`], as indices into `events`: (send, receive) pairs in the order
/// of their sends, and the unmatched events in time order.
pub fn pair_indices(events: &[Event]) -> (Vec<(usize, usize)>, Vec<usize>) {
    type Key<'a> = (i32, i32, &'a str, i32);
    let mut sends: HashMap<Key, VecDeque<usize>> = HashMap::new();
    let mut recvs: HashMap<Key, VecDeque<usize>> = HashMap::new();
    let mut ordered: Vec<usize> = (0..events.len()).collect();
    ordered.sort_by(|&a, &b| events[a].start_us.total_cmp(&events[b].start_us));
    for i in ordered {
        let event = &events[i];
        match event.op {
            Op::Send => sends.entry((event.rank, event.peer, &event.comm, event.tag)).or_default().push_back(i),
            Op::Recv => recvs.entry((event.peer, event.rank, &event.comm, event.tag)).or_default().push_back(i),
            Op::Wait | Op::Mark => {}
        }
    }
    let mut pairs = Vec::new();
    let mut unmatched = Vec::new();
    for (key, mut queue) in sends {
        let mut partners = recvs.remove(&key).unwrap_or_default();
        while let Some(send) = queue.pop_front() {
            match partners.pop_front() {
                Some(recv) => pairs.push((send, recv)),
                None => unmatched.push(send),
            }
        }
        unmatched.extend(partners);
    }
    unmatched.extend(recvs.into_values().flatten());
    pairs.sort_by(|a, b| events[a.0].start_us.total_cmp(&events[b.0].start_us).then(a.0.cmp(&b.0)));
    unmatched.sort_by(|&a, &b| events[a].start_us.total_cmp(&events[b].start_us).then(a.cmp(&b)));
    (pairs, unmatched)
}

const LANE: f64 = 110.0;
/// What the picture shows, under its title.
const EXPLANATION: &str =
    "an arrow runs from the start of a send to the end of its receive; a bar is a rank inside a call";
/// The height of a line of labels, and the width of one of their characters.
const LABEL_HEIGHT: f64 = 14.0;
const LABEL_CHAR: f64 = 7.2;
const LEFT: f64 = 90.0;
const TOP: f64 = 80.0;
const HEIGHT: f64 = 480.0;

/// A time in microseconds, in words a reader takes in at a glance.
pub fn duration(us: f64) -> String {
    let us = us.max(0.0);
    if us < 10.0 {
        format!("{us:.1} µs")
    } else if us < 1_000.0 {
        format!("{us:.0} µs")
    } else if us < 1_000_000.0 {
        format!("{:.1} ms", us / 1e3)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

/// A round step for about `ticks` ticks over `span`: 1, 2 or 5 times a power of ten.
fn tick_step(span: f64, ticks: f64) -> f64 {
    let raw = span / ticks;
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * power).find(|&step| step >= raw).unwrap_or(10.0 * power)
}

/// Where a message went: `tag N` for MPI, `pipe N` or `queue N` (the
/// trace's number for it) in a process trace.
pub fn channel(event: &Event) -> String {
    match event.comm.as_str() {
        kind @ ("queue" | "pipe") => format!("{kind} {}", event.tag),
        _ => format!("tag {}", event.tag),
    }
}

/// A message's label: its tag and size, and how long each side spent in
/// its call (a process trace's: its pipe or queue, and each side's call).
fn label(message: &Message) -> String {
    let (send, receive) = if message.send.comm == "queue" { ("put", "get") } else { ("send", "receive") };
    format!(
        "{}, {} B: {send} {}, {receive} {}",
        channel(&message.send),
        message.send.bytes,
        duration(message.send.end_us - message.send.start_us),
        duration(message.recv.end_us - message.recv.start_us)
    )
}

/// Which part of a trace to draw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    /// Draw from this time on (µs from the trace's first call; default: its start).
    pub from_us: Option<f64>,
    /// Draw up to this time (default: its end).
    pub to_us: Option<f64>,
    /// Draw at most this many messages: past it the window ends where the
    /// next message begins, and the picture says how many it left out.
    pub max_messages: usize,
}

/// The most messages a picture draws by default: past a few hundred, the
/// arrows and labels of one screen run together (Perfetto is for more).
pub const MAX_MESSAGES: usize = 300;

impl Default for View {
    fn default() -> Self {
        View { from_us: None, to_us: None, max_messages: MAX_MESSAGES }
    }
}

/// What a picture drew of its trace.
#[derive(Debug, Clone, PartialEq)]
pub struct Drawn {
    /// The SVG.
    pub svg: String,
    /// Messages drawn, and in the whole trace.
    pub messages: usize,
    /// Every message of the trace.
    pub messages_in_trace: usize,
    /// The window drawn, µs from the trace's first call.
    pub window_us: (f64, f64),
}

/// Render a trace (at least `ranks` lifelines) as SVG: the whole of it, or
/// its first [`MAX_MESSAGES`] messages.
pub fn render(trace: &Trace, ranks: i32, title: &str) -> String {
    render_view(trace, ranks, title, &View::default()).svg
}

/// Render the part of a trace that `view` chooses.
pub fn render_view(trace: &Trace, ranks: i32, title: &str, view: &View) -> Drawn {
    let all = &trace.events;
    let ranks = trace.size().max(ranks).max(1);
    let processes = trace.ranks.iter().any(|r| r.name.is_some());
    let explanation = if processes { EXPLANATION.replace("a rank", "a process") } else { EXPLANATION.to_owned() };
    let (all_messages, unmatched) = pair(all);
    let first = all.iter().map(|e| e.start_us).fold(f64::INFINITY, f64::min);
    let last = all.iter().map(|e| e.end_us).fold(f64::NEG_INFINITY, f64::max);
    let (first, last) = if first.is_finite() && last >= first { (first, last) } else { (0.0, 0.0) };
    // The window, on the trace's clock: asked for, then cut short at the
    // first message past the most a picture draws.
    let from = first + view.from_us.unwrap_or(0.0).max(0.0);
    let mut to = view.to_us.map_or(last, |t| first + t).min(last).max(from);
    let inside = |m: &Message, to: f64| m.send.start_us >= from && m.recv.end_us <= to;
    let mut in_window: Vec<&Message> = all_messages.iter().filter(|m| inside(m, to)).collect();
    if in_window.len() > view.max_messages {
        to = in_window[view.max_messages].send.start_us;
        in_window.retain(|m| inside(m, to));
        in_window.truncate(view.max_messages);
    }
    let events: Vec<&Event> = all.iter().filter(|e| e.end_us >= from && e.start_us <= to).collect();
    let messages = in_window;
    let whole = from <= first && to >= last;
    let (t_min, span) = if to > from { (from, to - from) } else { (from, 1.0) };
    let y = |t: f64| TOP + 20.0 + (t.clamp(from, to.max(from + span)) - t_min) / span * HEIGHT;
    // Lanes wide enough for the longest lifeline's title (a process's name).
    let lane = (0..ranks).map(|r| trace.lifeline(r).chars().count() as f64 * 8.0 + 16.0).fold(LANE, f64::max);
    let x = |rank: i32| LEFT + f64::from(rank) * lane;
    // Wide enough for the lanes, the labels right of them, and the line
    // that explains the picture (about 7 px a character, in 12 px type).
    let labels_end = messages
        .iter()
        .map(|m| x(m.send.rank.max(m.recv.rank)) + 10.0 + label(m).chars().count() as f64 * LABEL_CHAR)
        .fold(0.0, f64::max);
    let width = (x(ranks - 1) + LEFT).max((EXPLANATION.len() + 45) as f64 * LABEL_CHAR).max(labels_end + 10.0);

    let mut svg = String::new();
    // The time axis, on the left: round ticks from the window's start.
    let step = tick_step(span, 6.0);
    let mut tick = 0.0;
    while tick <= span + step * 1e-9 {
        let ty = y(t_min + tick);
        let _ = writeln!(
            svg,
            r##"<g class="tick"><line x1="{:.1}" y1="{ty:.1}" x2="{:.1}" y2="{ty:.1}" stroke="#eee"/><text x="8" y="{:.1}" fill="#777" font-size="10">{}</text></g>"##,
            LEFT - 40.0,
            width - 10.0,
            ty + 3.0,
            escape(&duration(t_min - first + tick)),
        );
        tick += step;
    }
    let host_of = |rank: i32| trace.ranks.iter().find(|r| r.rank == rank).map(|r| r.host.as_str());
    for rank in 0..ranks {
        let host = host_of(rank)
            .map(|h| {
                format!(
                    r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#777" font-size="10">{}</text>"##,
                    x(rank),
                    TOP + 12.0,
                    escape(h)
                )
            })
            .unwrap_or_default();
        let _ = writeln!(
            svg,
            r##"<g class="rank"><text x="{cx:.1}" y="{ty:.1}" text-anchor="middle" font-weight="bold">{name}</text>{host}<line class="lifeline" data-rank="{rank}" x1="{cx:.1}" y1="{y1:.1}" x2="{cx:.1}" y2="{y2:.1}" stroke="#999" stroke-dasharray="4 3"/></g>"##,
            name = escape(&trace.lifeline(rank)),
            cx = x(rank),
            ty = TOP - 4.0,
            y1 = TOP + 16.0,
            y2 = TOP + 40.0 + HEIGHT,
        );
    }
    // Each label goes right of its lane, at its arrow's middle (or its
    // bar's top, or its mark); one that would be written over another,
    // lower, until it meets none. Two labels overlap when they are less
    // than a label's height apart, less a margin: a label moved to exactly
    // that height below another must not be found overlapping it again by
    // a rounding of the floats (the search would never end).
    const APART: f64 = LABEL_HEIGHT - 1e-6;
    let mut placed: Vec<(f64, f64, f64)> = Vec::new(); // left x, right x, y
    let mut place = |lx: f64, text: &str, wanted: f64| {
        let rx = lx + text.chars().count() as f64 * LABEL_CHAR;
        let mut ly = wanted;
        while let Some(&(_, _, other)) =
            placed.iter().find(|&&(ol, or, oy)| ol < rx && lx < or && (oy - ly).abs() < APART)
        {
            ly = other + LABEL_HEIGHT;
        }
        placed.push((lx, rx, ly));
        ly
    };
    // Each call as a bar on its rank's lifeline: how long the rank was in
    // it. A wait (a lock, a barrier, a join) is labelled when it is long
    // enough to see; a moment (started, ended) is a dot with its words.
    // Past a few hundred labels of waits and moments, the rest keep their
    // words as tooltips: placing each below the others costs the square of
    // their number, and a picture of thousands cannot be read anyway.
    let mut labels_left = MAX_MESSAGES;
    let mut unlabelled = 0;
    let mut waits = 0;
    for event in &events {
        let (top, bottom) = (y(event.start_us), y(event.end_us).max(y(event.start_us) + 2.0));
        let took = duration(event.end_us - event.start_us);
        if event.op == Op::Mark {
            let words = if labels_left > 0 {
                labels_left -= 1;
                let ly = place(x(event.rank) + 8.0, &event.call, top + 4.0);
                format!(
                    r##"<text x="{:.1}" y="{ly:.1}" fill="#555" font-size="10">{}</text>"##,
                    x(event.rank) + 8.0,
                    escape(&event.call)
                )
            } else {
                unlabelled += 1;
                format!("<title>{}</title>", escape(&event.call))
            };
            let _ = writeln!(
                svg,
                r##"<g class="mark" data-rank="{}" data-call="{}"><circle cx="{:.1}" cy="{top:.1}" r="3.5" fill="#555"/>{words}</g>"##,
                event.rank,
                escape(&event.call),
                x(event.rank),
            );
            continue;
        }
        let colour = match event.op {
            Op::Send => "#f0a030",
            Op::Recv => "#40a060",
            _ => "#9070c8",
        };
        let mut words = String::new();
        if event.op == Op::Wait {
            waits += 1;
            if bottom - top >= 6.0 && labels_left > 0 {
                labels_left -= 1;
                let text = format!("{} {took}", event.call);
                let ly = place(x(event.rank) + 8.0, &text, top + 10.0);
                words = format!(
                    r##"<text x="{:.1}" y="{ly:.1}" fill="#6040a0" font-size="10">{}</text>"##,
                    x(event.rank) + 8.0,
                    escape(&text)
                );
            }
        }
        let _ = writeln!(
            svg,
            r#"<g class="call" data-rank="{}" data-op="{:?}" data-call="{}"><rect x="{:.1}" y="{top:.1}" width="8" height="{:.1}" fill="{colour}" opacity="0.8"><title>{} {}</title></rect>{words}</g>"#,
            event.rank,
            event.op,
            escape(&event.call),
            x(event.rank) - 4.0,
            bottom - top,
            escape(&event.call),
            escape(&took),
        );
    }
    for message in &messages {
        let (x1, y1) = (x(message.send.rank), y(message.send.start_us));
        let (x2, y2) = (x(message.recv.rank), y(message.recv.end_us));
        let took = message.recv.end_us - message.send.start_us;
        let text = escape(&label(message));
        let ly = place(x1.max(x2) + 10.0, &text, (y1 + y2) / 2.0 + 4.0);
        // A label pushed below the lifelines by the others is left out: the
        // arrow keeps its words as a tooltip.
        let words = if ly <= TOP + 40.0 + HEIGHT {
            format!(r##"<text x="{:.1}" y="{ly:.1}" fill="#1f5fa8">{text}</text>"##, x1.max(x2) + 10.0)
        } else {
            unlabelled += 1;
            format!("<title>{text}</title>")
        };
        let _ = writeln!(
            svg,
            r##"<g class="message" data-from="{}" data-to="{}" data-tag="{}" data-bytes="{}" data-us="{took:.3}"><line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="#1f5fa8" stroke-width="1.6" marker-end="url(#arrow)"/>{words}</g>"##,
            message.send.rank, message.recv.rank, message.send.tag, message.send.bytes,
        );
    }
    for event in unmatched.iter().filter(|e| e.start_us >= from && e.start_us <= to) {
        let what = match event.op {
            Op::Send => format!("send to {} never received", trace.lifeline(event.peer)),
            _ => format!("receive from {} with no send traced", trace.lifeline(event.peer)),
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
    let lives = if processes { "process(es)" } else { "rank(s)" };
    let purple = if waits > 0 { ", purple: waiting, holding a lock or running a task" } else { "" };
    let unlabelled = match unlabelled {
        0 => String::new(),
        n => format!(", {n} unlabelled (hover over them)"),
    };
    // Tall enough for the lowest label of a moment or a wait, and the lines below.
    let lowest = placed.iter().map(|p| p.2).fold(TOP + 40.0 + HEIGHT, f64::max);
    let width = placed.iter().map(|p| p.1 + 10.0).fold(width, f64::max);
    let height = lowest + 50.0 + if whole { LABEL_HEIGHT } else { 2.0 * LABEL_HEIGHT };
    let mut footer = height - 20.0;
    if !whole {
        let _ = writeln!(
            svg,
            r##"<text class="left-out" x="10" y="{footer:.0}" fill="#b05000">{} of {} messages drawn, {} to {}; the rest left out (trace-svg --from/--to draws another window; Perfetto shows it all)</text>"##,
            messages.len(),
            all_messages.len(),
            escape(&duration(from - first)),
            escape(&duration(to - first)),
        );
        footer -= LABEL_HEIGHT + 4.0;
    }
    let _ = write!(
        svg,
        r##"<text x="10" y="{:.0}" fill="#555">{} message(s) between {} {lives}{unlabelled}</text>
<text x="10" y="{footer:.0}" fill="#555">orange: in a send, green: in a receive{purple}</text>
</svg>
"##,
        footer - LABEL_HEIGHT - 2.0,
        messages.len(),
        ranks_used.len(),
    );
    let mut head = String::new();
    let shown = if whole {
        format!("{} from the first call to the last", duration(span))
    } else {
        format!("{} to {} of {}", duration(from - first), duration(to - first), duration(last - first))
    };
    let _ = write!(
        head,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="12">
<title>{title}</title>
<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#1f5fa8"/></marker></defs>
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="24" font-size="15" font-weight="bold">{title}</text>
<text x="10" y="42" fill="#555">time flows down: {shown}; {explanation}</text>
"##,
        title = escape(title),
        shown = escape(&shown),
    );
    Drawn {
        svg: head + &svg,
        messages: messages.len(),
        messages_in_trace: all_messages.len(),
        window_us: (from - first, to - first),
    }
}

pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(rank: i32, op: Op, peer: i32, tag: i32, start_us: f64) -> Event {
        let call = if op == Op::Send { "MPI_Send" } else { "MPI_Recv" }.to_owned();
        Event { rank, op, call, peer, tag, comm: "world".into(), bytes: 4, start_us, end_us: start_us + 1.0 }
    }

    #[test]
    fn crowded_labels_are_placed_in_a_bounded_number_of_steps() {
        // A label that would cover another is moved below it. Moved to
        // exactly one label's height below, it was left, by a rounding of
        // the floats, a hair short of that height, and the search went on
        // forever: this trace (a pipe lesson's, traced) never drew.
        let trace = Trace::decode(include_bytes!("../tests/data/crowded-labels.jsonl")).unwrap();
        let (messages, _) = pair(&trace.events);
        let svg = render(&trace, 1, "crowded");
        assert_eq!(svg.matches("class=\"message\"").count(), messages.len());
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
        let trace =
            Trace { ranks: Vec::new(), events: vec![event(0, Op::Send, 2, 0, 0.0), event(2, Op::Recv, 0, 0, 1.0)] };
        let svg = render(&trace, 3, "a < b");
        assert_eq!(svg.matches(r#"class="lifeline""#).count(), 3);
        assert!(svg.contains(r#"data-from="0" data-to="2""#));
        assert!(svg.contains("<title>a &lt; b</title>"));
        // The arrow's label gives the time each side spent in its call.
        assert!(svg.contains("tag 0, 4 B: send 1.0 µs, receive 1.0 µs"), "{svg}");
        roxmltree::Document::parse(&svg).expect("well-formed");
    }

    #[test]
    fn labels_of_messages_at_the_same_time_do_not_overlap() {
        let trace = Trace {
            ranks: Vec::new(),
            events: vec![
                event(0, Op::Send, 1, 0, 0.0),
                event(0, Op::Send, 1, 1, 0.0),
                event(0, Op::Send, 1, 2, 0.0),
                event(1, Op::Recv, 0, 0, 1.0),
                event(1, Op::Recv, 0, 1, 1.0),
                event(1, Op::Recv, 0, 2, 1.0),
                event(0, Op::Send, 1, 3, 1000.0),
                event(1, Op::Recv, 0, 3, 1001.0),
            ],
        };
        let svg = render(&trace, 2, "t");
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let ys: Vec<f64> = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("message"))
            .map(|g| g.children().find(|c| c.has_tag_name("text")).unwrap().attribute("y").unwrap().parse().unwrap())
            .collect();
        assert_eq!(ys.len(), 4);
        for (i, a) in ys.iter().enumerate() {
            for b in &ys[i + 1..] {
                assert!((a - b).abs() >= LABEL_HEIGHT, "labels at {ys:?}");
            }
        }
        // Wide enough for the explanation, with only two lanes.
        let width: f64 = doc.root_element().attribute("width").unwrap().parse().unwrap();
        assert!(width >= EXPLANATION.len() as f64 * LABEL_CHAR, "{width}");
    }

    #[test]
    fn messages_on_different_communicators_do_not_pair() {
        let mut other = event(1, Op::Recv, 0, 0, 1.0);
        other.comm = "other".into();
        let (messages, unmatched) = pair(&[event(0, Op::Send, 1, 0, 0.0), other]);
        assert!(messages.is_empty());
        assert_eq!(unmatched.len(), 2);
    }

    #[test]
    fn durations_read_well_and_ticks_are_round() {
        assert_eq!(duration(0.34), "0.3 µs");
        assert_eq!(duration(440.0), "440 µs");
        assert_eq!(duration(2_500.0), "2.5 ms");
        assert_eq!(duration(3_000_000.0), "3.00 s");
        assert_eq!(tick_step(900.0, 6.0), 200.0);
        assert_eq!(tick_step(1.0, 6.0), 0.2);
    }

    /// The picture's elements of a class, with an attribute's values.
    fn classes<'a>(doc: &'a roxmltree::Document, class: &str) -> Vec<roxmltree::Node<'a, 'a>> {
        doc.descendants().filter(|n| n.attribute("class") == Some(class)).collect()
    }

    #[test]
    fn a_trace_of_ten_thousand_events_draws_a_window_and_says_what_it_left_out() {
        // 5,000 messages between two ranks, one every 10 µs.
        let mut events = Vec::new();
        for k in 0..5_000 {
            let t = f64::from(k) * 10.0;
            events.push(event(0, Op::Send, 1, 0, t));
            events.push(event(1, Op::Recv, 0, 0, t + 2.0));
        }
        let trace = Trace { ranks: Vec::new(), events };
        let drawn = render_view(&trace, 2, "long", &View::default());
        let doc = roxmltree::Document::parse(&drawn.svg).unwrap();
        assert_eq!(classes(&doc, "message").len(), MAX_MESSAGES);
        assert_eq!((drawn.messages, drawn.messages_in_trace), (MAX_MESSAGES, 5_000));
        let said = classes(&doc, "left-out")[0].text().unwrap().to_owned();
        assert!(said.starts_with(&format!("{MAX_MESSAGES} of 5000 messages drawn, 0.0 µs to 3.0 ms")), "{said}");
        // Every call bar drawn lies in the window.
        assert!(classes(&doc, "call").len() <= 2 * MAX_MESSAGES + 2);

        // A window chosen: 10 ms to 11 ms holds messages 1000 to 1099.
        let view = View { from_us: Some(10_000.0), to_us: Some(11_000.0), max_messages: MAX_MESSAGES };
        let drawn = render_view(&trace, 2, "window", &view);
        assert_eq!(drawn.messages, 100);
        assert_eq!(drawn.window_us, (10_000.0, 11_000.0));
        assert!(drawn.svg.contains("10.0 ms to 11.0 ms of 50.0 ms"), "the subtitle says which part");

        // A short trace is drawn whole, and says nothing was left out.
        let short = Trace { ranks: Vec::new(), events: trace.events[..20].to_vec() };
        let drawn = render_view(&short, 2, "short", &View::default());
        assert_eq!((drawn.messages, drawn.messages_in_trace), (10, 10));
        assert!(!drawn.svg.contains("left-out"));
    }

    #[test]
    fn a_process_trace_names_its_lifelines_and_draws_waits_and_moments() {
        use crate::trace::RankInfo;
        let named = |rank: i32, name: &str| RankInfo {
            rank,
            name: Some(name.into()),
            host: format!("pid {}", 100 + rank),
            clock_offset_us: 0.0,
            clock_error_us: 0.0,
        };
        let mut wait = event(1, Op::Wait, 1, 0, 0.0);
        wait.call = "barrier.wait".into();
        wait.end_us = 900.0;
        let mut mark = event(1, Op::Mark, 1, 0, 950.0);
        mark.call = "exit code 0".into();
        mark.end_us = mark.start_us;
        let trace = Trace {
            ranks: vec![named(0, "MainProcess"), named(1, "Worker-1")],
            events: vec![event(0, Op::Send, 1, 0, 0.0), event(1, Op::Recv, 0, 0, 1000.0), wait, mark],
        };
        let svg = render(&trace, 1, "processes");
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let titles: Vec<&str> = classes(&doc, "rank")
            .iter()
            .map(|g| g.children().find(|c| c.has_tag_name("text")).unwrap().text().unwrap())
            .collect();
        assert_eq!(titles, ["MainProcess", "Worker-1"]);
        let waits: Vec<_> =
            classes(&doc, "call").into_iter().filter(|g| g.attribute("data-op") == Some("Wait")).collect();
        assert_eq!(waits.len(), 1);
        assert!(svg.contains(">barrier.wait 900 µs</text>"), "a long wait is labelled: {svg}");
        let marks = classes(&doc, "mark");
        assert_eq!(marks.len(), 1);
        assert_eq!(marks[0].attribute("data-call"), Some("exit code 0"));
        assert!(svg.contains("between 2 process(es)") && svg.contains("purple: waiting"), "{svg}");
        // Waits and moments are not messages: nothing is unmatched.
        let (messages, unmatched) = pair(&trace.events);
        assert_eq!((messages.len(), unmatched.len()), (1, 0));
    }

    #[test]
    fn thousands_of_moments_are_drawn_with_a_bounded_number_of_labels() {
        // A process trace of 10,000 moments and no message: every dot is
        // drawn, the first few hundred labelled, the rest as tooltips.
        let events: Vec<Event> = (0..10_000)
            .map(|k| {
                let mut mark = event(k % 4, Op::Mark, k % 4, 0, f64::from(k));
                mark.call = format!("moment {k}");
                mark.end_us = mark.start_us;
                mark
            })
            .collect();
        let svg = render(&Trace { ranks: Vec::new(), events }, 4, "moments");
        let doc = roxmltree::Document::parse(&svg).unwrap();
        assert_eq!(classes(&doc, "mark").len(), 10_000);
        let labelled = classes(&doc, "mark").iter().filter(|g| g.children().any(|c| c.has_tag_name("text"))).count();
        assert_eq!(labelled, MAX_MESSAGES);
        assert!(svg.contains("9700 unlabelled (hover over them)"), "the picture says so");
    }
}
