//! A trace in the Trace Event Format: the JSON that Perfetto's UI
//! (ui.perfetto.dev) and `chrome://tracing` open, where a learner zooms
//! into a trace too large for the SVG.
//!
//! Each rank is a process (a group of tracks, named with its host); each
//! send or receive a slice from its call to its completion, on the rank's
//! first track where it overlaps no other slice (a non-blocking call can
//! outlast the next ones: the format wants the slices of one track nested
//! or apart); each message a flow arrow from its send's slice to its
//! receive's, paired as MPI pairs them ([`crate::sequence::pair`]). A
//! process trace's waits are slices too, and its moments (a process
//! started, ended) instants.
//!
//! Written with serde_json, not with the `tracing-chrome` crate: that
//! crate writes a program's own `tracing` spans as they happen, in one
//! process, while this file is made after the run from a trace that every
//! rank wrote, and its arrows join slices of different processes.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::sequence::pair_indices;
use crate::trace::{Op, Trace};

/// The shortest slice, in µs: a call that took no measurable time still
/// gets a slice, for its arrow to start or end in.
const SHORTEST_US: f64 = 0.001;

/// The trace as a Trace Event Format document (a JSON object with
/// `traceEvents`), titled `title`.
pub fn render(trace: &Trace, title: &str) -> Value {
    let mut events = Vec::new();
    let host = |rank: i32| trace.ranks.iter().find(|r| r.rank == rank).map(|r| r.host.clone());
    for rank in 0..trace.size() {
        let name = match host(rank) {
            Some(host) => format!("{} ({host})", trace.lifeline(rank)),
            None => trace.lifeline(rank),
        };
        events.push(json!({"ph": "M", "name": "process_name", "pid": rank, "tid": 0, "args": {"name": name}}));
        events.push(
            json!({"ph": "M", "name": "process_sort_index", "pid": rank, "tid": 0, "args": {"sort_index": rank}}),
        );
    }

    // Each event's track: the first of its rank's on which it overlaps
    // nothing (events taken in start order).
    let mut ends: BTreeMap<i32, Vec<f64>> = BTreeMap::new();
    let mut track_of = Vec::with_capacity(trace.events.len());
    let mut order: Vec<usize> = (0..trace.events.len()).collect();
    order.sort_by(|&a, &b| trace.events[a].start_us.total_cmp(&trace.events[b].start_us));
    let mut tracks = vec![0usize; trace.events.len()];
    for &i in &order {
        let event = &trace.events[i];
        if event.op == Op::Mark {
            continue; // an instant, drawn on the first track
        }
        let end = event.end_us.max(event.start_us + SHORTEST_US);
        let lanes = ends.entry(event.rank).or_default();
        let lane = match lanes.iter().position(|&busy_until| busy_until <= event.start_us) {
            Some(lane) => lane,
            None => {
                lanes.push(0.0);
                lanes.len() - 1
            }
        };
        lanes[lane] = end;
        tracks[i] = lane;
    }
    let calls = if trace.ranks.iter().any(|r| r.name.is_some()) { "calls" } else { "MPI calls" };
    for (rank, lanes) in &ends {
        for lane in 0..lanes.len() {
            let name = if lane == 0 { calls.to_owned() } else { format!("{calls}, overlapping ({})", lane + 1) };
            events.push(json!({"ph": "M", "name": "thread_name", "pid": rank, "tid": lane, "args": {"name": name}}));
        }
    }
    for (i, event) in trace.events.iter().enumerate() {
        let duration = (event.end_us - event.start_us).max(SHORTEST_US);
        track_of.push((event.rank, tracks[i]));
        if event.op == Op::Mark {
            // A moment (a process started, ended): an instant on its track.
            events.push(json!({
                "ph": "i", "s": "t", "name": event.call, "cat": "mark",
                "pid": event.rank, "tid": 0, "ts": event.start_us,
            }));
            continue;
        }
        events.push(json!({
            "ph": "X",
            "name": event.call,
            "cat": match event.op { Op::Send => "send", Op::Recv => "recv", Op::Wait | Op::Mark => "wait" },
            "pid": event.rank,
            "tid": tracks[i],
            "ts": event.start_us,
            "dur": duration,
            "args": {"peer": event.peer, "tag": event.tag, "bytes": event.bytes, "comm": event.comm},
        }));
    }

    // The arrows: from the start of the send's slice to the end of the
    // receive's (just inside it, so that the arrow binds to that slice).
    let (pairs, _) = pair_indices(&trace.events);
    for (id, &(send, recv)) in pairs.iter().enumerate() {
        let (sent, received) = (&trace.events[send], &trace.events[recv]);
        let (send_pid, send_tid) = track_of[send];
        let (recv_pid, recv_tid) = track_of[recv];
        let recv_end = received.end_us.max(received.start_us + SHORTEST_US);
        let label = format!("{}, {} B", crate::sequence::channel(sent), sent.bytes);
        events.push(json!({
            "ph": "s", "name": label, "cat": "message", "id": id,
            "pid": send_pid, "tid": send_tid, "ts": sent.start_us,
        }));
        events.push(json!({
            "ph": "f", "bp": "e", "name": label, "cat": "message", "id": id,
            "pid": recv_pid, "tid": recv_tid, "ts": recv_end - SHORTEST_US / 2.0,
        }));
    }
    json!({
        "displayTimeUnit": "ns",
        "otherData": {"title": title, "source": if calls == "calls" { "local-procs --trace" } else { "scripts/mpirun --trace" }},
        "traceEvents": events,
    })
}

/// What a Trace Event Format document holds, once checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    /// Slices: calls and waits.
    pub slices: usize,
    /// Instants: moments (a process started, ended).
    pub instants: usize,
    /// Flow arrows with both their ends: messages.
    pub arrows: usize,
}

/// Read a document back as a viewer would, and check the format's rules:
/// a `traceEvents` array; no two slices of one track overlap (they must
/// nest or be apart, and ours never nest); every flow arrow has one start
/// (`s`) and one end (`f`), each inside a slice of its track.
pub fn check(doc: &Value) -> Result<Checked, String> {
    let events = doc["traceEvents"].as_array().ok_or("no traceEvents array")?;
    let number = |e: &Value, key: &str| e[key].as_f64().ok_or_else(|| format!("{e}: no number {key}"));
    let mut slices: BTreeMap<(i64, i64), Vec<(f64, f64)>> = BTreeMap::new();
    let mut instants = 0;
    for e in events {
        match e["ph"].as_str() {
            Some("X") => {
                let (ts, dur) = (number(e, "ts")?, number(e, "dur")?);
                let track = (number(e, "pid")? as i64, number(e, "tid")? as i64);
                slices.entry(track).or_default().push((ts, ts + dur));
            }
            Some("i") => instants += 1,
            _ => {}
        }
    }
    for (track, list) in &mut slices {
        list.sort_by(|a, b| a.0.total_cmp(&b.0));
        if let Some(pair) = list.windows(2).find(|w| w[0].1 > w[1].0) {
            return Err(format!("slices {:?} and {:?} overlap on track {track:?}", pair[0], pair[1]));
        }
    }
    let mut flows: BTreeMap<i64, String> = BTreeMap::new();
    for flow in events.iter().filter(|e| e["ph"] == "s" || e["ph"] == "f") {
        let track = (number(flow, "pid")? as i64, number(flow, "tid")? as i64);
        let ts = number(flow, "ts")?;
        // The slices of a track are sorted and apart: the one that may hold
        // `ts` is the last to start at or before it.
        let inside = slices.get(&track).is_some_and(|list| {
            let before = list.partition_point(|&(start, _)| start <= ts);
            before > 0 && ts <= list[before - 1].1
        });
        if !inside {
            return Err(format!("{flow} lies in no slice of its track"));
        }
        flows.entry(number(flow, "id")? as i64).or_default().push_str(flow["ph"].as_str().unwrap_or("?"));
    }
    if let Some((id, phases)) = flows.iter().find(|(_, phases)| phases.as_str() != "sf") {
        return Err(format!("flow {id} has the phases {phases:?}, not a start then an end"));
    }
    Ok(Checked { slices: slices.values().map(Vec::len).sum(), instants, arrows: flows.len() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Event, RankInfo};

    fn event(rank: i32, op: Op, call: &str, peer: i32, tag: i32, start_us: f64, end_us: f64) -> Event {
        Event { rank, op, call: call.into(), peer, tag, comm: "world".into(), bytes: 8, start_us, end_us }
    }

    /// The slices of the document: (pid, tid, start, end).
    fn slices(doc: &Value) -> Vec<(i64, i64, f64, f64)> {
        doc["traceEvents"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["ph"] == "X")
            .map(|e| {
                let ts = e["ts"].as_f64().unwrap();
                (e["pid"].as_i64().unwrap(), e["tid"].as_i64().unwrap(), ts, ts + e["dur"].as_f64().unwrap())
            })
            .collect()
    }

    #[test]
    fn slices_never_overlap_on_a_track_and_every_arrow_has_both_ends_in_slices() {
        let trace = Trace {
            ranks: vec![
                RankInfo { rank: 0, name: None, host: "a".into(), clock_offset_us: 0.0, clock_error_us: 0.0 },
                RankInfo { rank: 1, name: None, host: "b".into(), clock_offset_us: 0.0, clock_error_us: 0.0 },
            ],
            events: vec![
                // Rank 0: an Isend that completes late, a Send meanwhile.
                event(0, Op::Send, "MPI_Isend", 1, 1, 0.0, 10.0),
                event(0, Op::Send, "MPI_Send", 1, 2, 2.0, 3.0),
                // Rank 1: receives them in the other order; one call took no time.
                event(1, Op::Recv, "MPI_Recv", 0, 2, 1.0, 4.0),
                event(1, Op::Recv, "MPI_Recv", 0, 1, 5.0, 5.0),
                // A send with no receive (its rank aborted, say): no arrow.
                event(0, Op::Send, "MPI_Send", 1, 9, 11.0, 12.0),
            ],
        };
        let doc = render(&trace, "t");
        let text = serde_json::to_string(&doc).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        let slices = slices(&doc);
        assert_eq!(slices.len(), 5);
        for (i, a) in slices.iter().enumerate() {
            for b in &slices[i + 1..] {
                let apart = a.3 <= b.2 || b.3 <= a.2;
                assert!(a.0 != b.0 || a.1 != b.1 || apart, "{a:?} and {b:?} overlap on one track");
            }
        }
        // The Isend and the Send overlap: two tracks on rank 0.
        assert!(slices.iter().any(|s| s.0 == 0 && s.1 == 1), "{slices:?}");
        let flows: Vec<&Value> =
            doc["traceEvents"].as_array().unwrap().iter().filter(|e| e["cat"] == "message").collect();
        let mut ends: BTreeMap<i64, (usize, usize)> = BTreeMap::new();
        for flow in &flows {
            let (pid, tid, ts) =
                (flow["pid"].as_i64().unwrap(), flow["tid"].as_i64().unwrap(), flow["ts"].as_f64().unwrap());
            assert!(
                slices.iter().any(|s| s.0 == pid && s.1 == tid && s.2 <= ts && ts <= s.3),
                "{flow} is in no slice of its track"
            );
            let entry = ends.entry(flow["id"].as_i64().unwrap()).or_default();
            match flow["ph"].as_str().unwrap() {
                "s" => entry.0 += 1,
                "f" => entry.1 += 1,
                other => panic!("a flow event of phase {other}"),
            }
        }
        assert_eq!(ends.len(), 2, "two messages: {flows:?}");
        assert!(ends.values().all(|&(s, f)| s == 1 && f == 1), "{ends:?}");
        // Tag 2's arrow leaves rank 0 at 2 µs and ends in rank 1's first receive.
        let tag2: Vec<&&Value> = flows.iter().filter(|f| f["name"] == "tag 2, 8 B").collect();
        assert_eq!(tag2.len(), 2);
        assert!(tag2.iter().any(|f| f["ph"] == "s" && f["pid"] == 0 && f["ts"] == 2.0));
        assert!(tag2.iter().any(|f| f["ph"] == "f" && f["pid"] == 1 && f["ts"].as_f64().unwrap() < 4.0));
        assert!(text.contains(r#""name":"rank 1 (b)""#), "{text}");
    }

    #[test]
    fn check_finds_overlapping_slices_and_flows_without_both_ends() {
        let slice = |tid: i64, ts: f64| json!({"ph": "X", "pid": 0, "tid": tid, "ts": ts, "dur": 2.0, "name": "c"});
        let flow = |ph: &str, ts: f64| json!({"ph": ph, "id": 7, "pid": 0, "tid": 0, "ts": ts, "cat": "message"});
        let good = json!({"traceEvents": [slice(0, 0.0), slice(0, 2.0), flow("s", 0.5), flow("f", 3.0),
            {"ph": "i", "s": "t", "pid": 0, "tid": 0, "ts": 1.0, "name": "exit code 0"}]});
        assert_eq!(check(&good), Ok(Checked { slices: 2, instants: 1, arrows: 1 }));
        let overlap = json!({"traceEvents": [slice(0, 0.0), slice(0, 1.0)]});
        assert!(check(&overlap).unwrap_err().contains("overlap"));
        let half = json!({"traceEvents": [slice(0, 0.0), flow("s", 0.5)]});
        assert!(check(&half).unwrap_err().contains("not a start then an end"));
        let outside = json!({"traceEvents": [slice(0, 0.0), flow("s", 0.5), flow("f", 9.0)]});
        assert!(check(&outside).unwrap_err().contains("lies in no slice"));
        assert!(check(&json!({})).is_err());
    }

    #[test]
    fn a_trace_of_forty_thousand_events_has_every_arrow() {
        // 20,000 messages: each arrow's two slices are found by index, not
        // by searching the trace for each (which took minutes at this size).
        let mut events = Vec::new();
        for k in 0..20_000 {
            let t = f64::from(k) * 10.0;
            events.push(event(0, Op::Send, "MPI_Send", 1, 0, t, t + 1.0));
            events.push(event(1, Op::Recv, "MPI_Recv", 0, 0, t + 0.5, t + 2.0));
        }
        let doc = render(&Trace { ranks: Vec::new(), events }, "long");
        assert_eq!(check(&doc), Ok(Checked { slices: 40_000, instants: 0, arrows: 20_000 }));
    }
}
