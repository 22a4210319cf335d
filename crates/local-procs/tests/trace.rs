//! `local-procs --trace FILE LESSON`: every pipe message and queue item of
//! a lesson, in every process, merged into one trace in the MPI traces'
//! format. Each must arrive once (a put paired with exactly one get, in
//! the queue's order), no receive may end before its send began, tracing
//! must not change what a lesson prints, and the trace must draw.

use std::collections::BTreeMap;
use std::time::Duration;

use local_procs::supervise::{Outcome, Supervised};
use mpi_watch::sequence;
use mpi_watch::trace::{Op, Trace};

const BIN: &str = env!("CARGO_BIN_EXE_local-procs");

fn lesson(args: &[&str]) -> Outcome {
    let mut all = vec!["--time-scale", "0"];
    all.extend_from_slice(args);
    let run = Supervised::new(BIN).args(&all).time_limit(Duration::from_secs(60)).run().expect("local-procs starts");
    assert!(run.clean_success(), "{}", run.describe());
    run
}

/// Run a lesson traced; its output and its trace, checked for pairing and order.
fn traced(args: &[&str]) -> (Outcome, Trace) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lesson.jsonl");
    let mut all = vec!["--trace", file.to_str().unwrap()];
    all.extend_from_slice(args);
    let run = lesson(&all);
    assert!(run.stderr.contains("(0 never received)"), "{}", run.describe());
    let trace = Trace::decode(&std::fs::read(&file).unwrap()).unwrap();
    let (messages, unmatched) = sequence::pair(&trace.events);
    assert!(unmatched.is_empty(), "every item sent is received: {unmatched:?}");
    for message in &messages {
        assert!(message.recv.end_us >= message.send.start_us, "received before it was sent: {message:?}");
        assert_eq!(message.send.bytes, message.recv.bytes, "{message:?}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "the processes' parts are removed once merged: {leftovers:?}");
    (run, trace)
}

/// Items sent on each channel: (kind, tag) -> count.
fn sent(trace: &Trace) -> BTreeMap<(String, i32), usize> {
    let mut counts = BTreeMap::new();
    for event in trace.events.iter().filter(|e| e.op == Op::Send) {
        *counts.entry((event.comm.clone(), event.tag)).or_insert(0) += 1;
    }
    counts
}

#[test]
fn every_queue_item_is_one_arrow_from_its_put_to_its_get() {
    let (_, trace) = traced(&["queue", "--items", "20", "--producers", "2", "--consumers", "3"]);
    // The item queue: 20 items and one None per consumer; the tallies: one
    // per producer and consumer.
    let counts: Vec<usize> = sent(&trace).into_values().collect();
    assert_eq!(counts, [23, 5], "{trace:?}");
    let names: Vec<&str> = trace.ranks.iter().map(|r| r.host.split(',').next().unwrap()).collect();
    for name in ["MainProcess", "Producer-1", "Producer-2"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    assert_eq!(names.len(), 6, "{names:?}");
    // Each item's put and get are in different processes.
    assert!(trace.events.iter().all(|e| e.peer != e.rank), "{trace:?}");
}

#[test]
fn tracing_a_lesson_changes_nothing_it_prints_and_the_trace_draws() {
    let plain = lesson(&["pipe"]);
    let (run, trace) = traced(&["pipe"]);
    assert_eq!(run.stdout, plain.stdout);
    // Stage one sends 0..10 to stage two, which sends their squares on to
    // the parent: two pipes, ten messages each (the end of input is the
    // pipe's closing, not a message).
    let counts: Vec<usize> = sent(&trace).into_values().collect();
    assert_eq!(counts, [10, 10], "{trace:?}");
    assert!(trace.events.iter().all(|e| e.comm == "pipe"), "{trace:?}");
    let svg = mpi_watch::sequence::render(&trace, 1, "pipe");
    assert_eq!(svg.matches("class=\"message\"").count(), 20);
}

#[test]
fn a_pool_map_shows_each_chunk_handed_out_and_its_results_back() {
    let (_, trace) = traced(&["pool", "--items", "40", "--workers", "2"]);
    let parent = trace.ranks.iter().find(|r| r.host.starts_with("MainProcess")).expect("the parent").rank;
    let to_workers = trace.events.iter().filter(|e| e.op == Op::Send && e.rank == parent).count();
    let from_workers = trace.events.iter().filter(|e| e.op == Op::Send && e.peer == parent).count();
    // Chunks of ceil(40 / 8) = 5: eight chunks out and eight results back,
    // then a stop message to each worker at close.
    assert_eq!((to_workers, from_workers), (8 + 2, 8), "{trace:?}");
}
