//! `local-procs --trace FILE LESSON`: every pipe message and queue item of
//! a lesson, in every process, merged into one trace in the MPI traces'
//! format. Each must arrive once (a put paired with exactly one get, in
//! the queue's order), no receive may end before its send began, tracing
//! must not change what a lesson prints, and the trace must draw.

use std::collections::BTreeMap;
use std::time::Duration;

use local_procs::supervise::{Outcome, Supervised};
use mpi_watch::sequence;
use mpi_watch::trace::{Event, Op, Trace};

const BIN: &str = env!("CARGO_BIN_EXE_local-procs");

/// Run a lesson with no sleeping, unless `args` give a time scale.
fn lesson(args: &[&str]) -> Outcome {
    let mut all = if args.contains(&"--time-scale") { vec![] } else { vec!["--time-scale", "0"] };
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
    let names: Vec<&str> = trace.ranks.iter().filter_map(|r| r.name.as_deref()).collect();
    for name in ["MainProcess", "Producer-1", "Producer-2"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    assert_eq!(names.len(), 6, "{names:?}");
    // Each item's put and get are in different processes.
    let messages = || trace.events.iter().filter(|e| matches!(e.op, Op::Send | Op::Recv));
    assert!(messages().all(|e| e.peer != e.rank), "{trace:?}");
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
    assert!(trace.events.iter().filter(|e| matches!(e.op, Op::Send | Op::Recv)).all(|e| e.comm == "pipe"), "{trace:?}");
    let svg = mpi_watch::sequence::render(&trace, 1, "pipe");
    assert_eq!(svg.matches("class=\"message\"").count(), 20);
}

#[test]
fn a_pool_map_shows_each_chunk_handed_out_and_its_results_back() {
    let (_, trace) = traced(&["pool", "--items", "40", "--workers", "2"]);
    let parent = trace.ranks.iter().find(|r| r.name.as_deref() == Some("MainProcess")).expect("the parent").rank;
    let to_workers = trace.events.iter().filter(|e| e.op == Op::Send && e.rank == parent).count();
    let from_workers = trace.events.iter().filter(|e| e.op == Op::Send && e.peer == parent).count();
    // Chunks of ceil(40 / 8) = 5: eight chunks out and eight results back,
    // then a stop message to each worker at close.
    assert_eq!((to_workers, from_workers), (8 + 2, 8), "{trace:?}");
}

/// The waits or moments of a process, by its lifeline's name.
fn of<'a>(trace: &'a Trace, name: &str, op: Op) -> Vec<&'a Event> {
    let rank = trace.ranks.iter().find(|r| r.name.as_deref() == Some(name)).unwrap_or_else(|| panic!("{name}")).rank;
    trace.events.iter().filter(|e| e.rank == rank && e.op == op).collect()
}

fn calls<'a>(events: &[&'a Event]) -> Vec<&'a str> {
    events.iter().map(|e| e.call.as_str()).collect()
}

#[test]
fn the_barrier_lesson_shows_each_life_and_the_first_party_waiting_for_the_last() {
    let (_, trace) = traced(&["barrier"]);
    let parties = ["p1 - test_with_barrier", "p2 - test_with_barrier"];
    let others = ["p3 - test_without_barrier", "p4 - test_without_barrier"];
    for name in parties.iter().chain(&others) {
        // Each child: started, ended, reaped by its parent, in that order.
        let marks = of(&trace, name, Op::Mark);
        assert_eq!(calls(&marks), ["started", "exit code 0", "reaped (exit code 0)"], "{name}");
        assert!(marks.windows(2).all(|w| w[0].start_us <= w[1].start_us), "{name}: {marks:?}");
        let forks = calls(&of(&trace, "MainProcess", Op::Mark))
            .into_iter()
            .filter(|c| c.starts_with(&format!("fork: {name} is pid")))
            .count();
        assert_eq!(forks, 1, "the parent's fork of {name}");
    }
    let waits: Vec<&Event> = parties
        .iter()
        .map(|name| {
            let waits: Vec<&Event> =
                of(&trace, name, Op::Wait).into_iter().filter(|e| e.call == "barrier.wait").collect();
            assert_eq!(waits.len(), 1, "{name} waits at the barrier once");
            waits[0]
        })
        .collect();
    for name in others {
        assert!(!calls(&of(&trace, name, Op::Wait)).contains(&"barrier.wait"), "{name} has no barrier");
    }
    // Nobody leaves the barrier before the last party has reached it.
    let last_arrival = waits.iter().map(|w| w.start_us).fold(f64::MIN, f64::max);
    assert!(waits.iter().all(|w| w.end_us >= last_arrival), "{waits:?}");
    // The parent joins each child: four waits of its own.
    let joins = calls(&of(&trace, "MainProcess", Op::Wait));
    assert_eq!(joins.iter().filter(|c| c.starts_with("join ")).count(), 4, "{joins:?}");

    // The same trace for Perfetto: a slice per call and wait, an instant
    // per moment, an arrow per message (none here), as its viewer reads it.
    let doc = mpi_watch::perfetto::render(&trace, "barrier");
    let checked = mpi_watch::perfetto::check(&serde_json::from_str(&doc.to_string()).unwrap()).unwrap();
    let marks = trace.events.iter().filter(|e| e.op == Op::Mark).count();
    assert_eq!((checked.slices, checked.instants, checked.arrows), (trace.events.len() - marks, marks, 0));
    assert!(doc.to_string().contains(r#""name":"MainProcess (pid "#), "processes are named");
}

#[test]
fn the_terminate_lesson_shows_the_signal_the_zombie_and_the_reaping() {
    // At the lesson's own pace: with no sleeping, the child may finish its
    // ten steps before the parent's SIGTERM, and be reaped with exit code 0.
    let (_, trace) = traced(&["--time-scale", "1", "terminate"]);
    let parent = calls(&of(&trace, "MainProcess", Op::Mark));
    assert!(parent.contains(&"SIGTERM to Process-1"), "{parent:?}");
    let child = of(&trace, "Process-1", Op::Mark);
    let words = calls(&child);
    let ended = words.iter().position(|c| *c == "ended: a zombie until reaped").expect("seen dead before reaped");
    let reaped = words.iter().position(|c| *c == "reaped (killed by SIGTERM)").expect("reaped, killed by SIGTERM");
    assert!(ended < reaped && child[ended].start_us <= child[reaped].start_us, "{words:?}");
}

#[test]
fn a_pool_worker_is_seen_running_each_chunk_between_its_arrival_and_its_results() {
    let (_, trace) = traced(&["pool", "--items", "40", "--workers", "2"]);
    let (messages, _) = sequence::pair(&trace.events);
    let tasks: Vec<&Event> =
        trace.events.iter().filter(|e| e.op == Op::Wait && e.call.starts_with("task from input")).collect();
    assert_eq!(tasks.len(), 8, "one run per chunk: {tasks:?}");
    for task in tasks {
        // The chunk came in on a message that ended before the run began,
        // and the results left on one that began after it ended.
        let came = messages.iter().any(|m| m.recv.rank == task.rank && m.recv.end_us <= task.start_us);
        let left = messages.iter().any(|m| m.send.rank == task.rank && m.send.start_us >= task.end_us);
        assert!(came && left, "{task:?}");
    }
}

/// What a process trace shows besides its messages: each lifeline's
/// waits and moments, by name ("pid N" for any pid, which differs from
/// run to run), counted.
type Shape = BTreeMap<(String, String, String), usize>;

fn without_pids(call: &str) -> String {
    let mut out = String::new();
    let mut rest = call;
    while let Some(at) = rest.find("pid ") {
        out.push_str(&rest[..at + 4]);
        rest = rest[at + 4..].trim_start_matches(|c: char| c.is_ascii_digit());
        out.push('N');
    }
    out + rest
}

fn shape_of_trace(trace: &Trace) -> (Shape, usize) {
    let mut shape = Shape::new();
    for e in trace.events.iter().filter(|e| matches!(e.op, Op::Wait | Op::Mark)) {
        *shape.entry((trace.lifeline(e.rank), format!("{:?}", e.op), without_pids(&e.call))).or_insert(0) += 1;
    }
    (shape, sequence::pair(&trace.events).0.len())
}

fn shape_of_figure(doc: &roxmltree::Document) -> (Shape, usize) {
    let class = |n: &roxmltree::Node, c: &str| n.attribute("class") == Some(c);
    let names: BTreeMap<String, String> = doc
        .descendants()
        .filter(|n| class(n, "rank"))
        .map(|g| {
            let line = g.children().find(|c| class(c, "lifeline")).expect("a lifeline");
            let name = g.children().find(|c| c.has_tag_name("text")).and_then(|t| t.text()).unwrap_or_default();
            (line.attribute("data-rank").unwrap().to_owned(), name.to_owned())
        })
        .collect();
    let mut shape = Shape::new();
    for node in doc.descendants() {
        let op = match (class(&node, "mark"), class(&node, "call"), node.attribute("data-op")) {
            (true, _, _) => "Mark",
            (_, true, Some("Wait")) => "Wait",
            _ => continue,
        };
        let name = names[node.attribute("data-rank").unwrap()].clone();
        *shape.entry((name, op.to_owned(), without_pids(node.attribute("data-call").unwrap()))).or_insert(0) += 1;
    }
    (shape, doc.descendants().filter(|n| class(n, "message")).count())
}

#[test]
fn every_process_lesson_page_shows_its_figure_and_the_figure_is_what_the_lesson_does() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let lessons =
        ["spawn", "naming", "subclass", "daemon", "no-daemon", "terminate", "barrier", "pipe", "queue", "pool"];
    for lesson in lessons {
        let page = std::fs::read_to_string(root.join(format!("book/src/processes/{lesson}.md"))).unwrap();
        assert!(page.contains(&format!("(figures/{lesson}.svg)")), "the {lesson} page shows its figure");
        let file = root.join(format!("crates/local-procs/figures/{lesson}.svg"));
        let svg = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("{}: {e} (make proc-lessons draws it)", file.display()));
        let doc = roxmltree::Document::parse(&svg).unwrap();
        // The figure's title is the command that drew it: run it again.
        let title = doc.descendants().find(|n| n.has_tag_name("title")).and_then(|t| t.text()).unwrap();
        let args: Vec<&str> = title.strip_prefix("local-procs ").expect("a local-procs command").split(' ').collect();
        assert_eq!(args[0], lesson, "{title}");
        // Two lessons race with no sleeping (a child killed before it
        // starts, or ended before the signal): those run at their pace.
        let mut run = if ["daemon", "terminate"].contains(&lesson) { vec!["--time-scale", "1"] } else { vec![] };
        run.extend_from_slice(&args);
        let (_, trace) = traced(&run);
        let (now, messages) = shape_of_trace(&trace);
        let (drawn, arrows) = shape_of_figure(&doc);
        // A child killed at once (the daemon at its parent's exit, the
        // terminated child) may die before or after its first line: its
        // `started` is a race, left out of the comparison.
        let killed: Vec<String> = now
            .keys()
            .chain(drawn.keys())
            .filter(|(_, _, call)| call.contains("(killed by"))
            .map(|(name, ..)| name.clone())
            .collect();
        // Which worker runs which chunk differs from run to run: a chunk's
        // run is counted for the pool, not for its worker.
        let settled = |shape: Shape| -> Shape {
            let mut settled = Shape::new();
            for ((name, op, call), n) in shape {
                if call == "started" && killed.contains(&name) {
                    continue;
                }
                let name = if call.starts_with("task from input") { "a pool worker".into() } else { name };
                *settled.entry((name, op, call)).or_insert(0) += n;
            }
            settled
        };
        let (now, drawn) = (settled(now), settled(drawn));
        assert_eq!(
            arrows, messages,
            "{lesson}: the figure's arrows are the lesson's messages (make proc-lessons redraws it)"
        );
        assert_eq!(
            drawn, now,
            "{lesson}: the figure's waits and moments are the lesson's (make proc-lessons redraws it)"
        );
        assert!(now.keys().any(|(_, _, call)| call.starts_with("fork: ")), "{lesson}: a child is seen forked");
    }
}

#[test]
fn each_primitive_wait_is_traced_in_the_process_that_waits() {
    let dir = tempfile::tempdir().unwrap();
    let run = Supervised::new(env!("CARGO_BIN_EXE_library-checks"))
        .args(["sync-traced"])
        .env(local_procs::trace::DIR_VAR, dir.path())
        .time_limit(Duration::from_secs(30))
        .run()
        .unwrap();
    assert!(run.clean_success(), "{}", run.describe());
    let (trace, never_got) = local_procs::trace::merge(dir.path()).unwrap();
    assert_eq!(never_got, 0);
    let waits = calls(&of(&trace, "Waiter", Op::Wait));
    for call in ["event.wait", "semaphore.acquire", "lock.acquire", "lock held", "condition.wait"] {
        assert_eq!(waits.iter().filter(|c| **c == call).count(), 1, "{call} in {waits:?}");
    }
    let parent = of(&trace, "MainProcess", Op::Mark);
    let set = parent.iter().find(|e| e.call == "event.set").expect("the parent sets the event");
    assert!(calls(&of(&trace, "MainProcess", Op::Wait)).contains(&"join Waiter"));
    // The waiter's wait for the event ends after the parent set it.
    let waited = of(&trace, "Waiter", Op::Wait).into_iter().find(|e| e.call == "event.wait").unwrap();
    assert!(waited.end_us >= set.start_us, "{waited:?} ended before {set:?}");
}

#[test]
fn a_pool_workers_death_is_on_its_lifeline_and_a_failed_lesson_still_writes_its_trace() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pool.jsonl");
    let run = Supervised::new(BIN)
        .args(["--time-scale", "0", "--trace", file.to_str().unwrap(), "pool", "--crash-at", "5"])
        .time_limit(Duration::from_secs(60))
        .run()
        .unwrap();
    assert!(!run.clean_success() && run.stderr.contains("input index 5"), "{}", run.describe());
    let trace = Trace::read(&file).unwrap();
    let deaths: Vec<&Event> =
        trace.events.iter().filter(|e| e.op == Op::Mark && e.call == "reaped (killed by SIGKILL)").collect();
    assert_eq!(deaths.len(), 1, "{trace:?}");
    let dead = trace.lifeline(deaths[0].rank);
    assert!(dead.starts_with("PoolWorker-"), "{dead}");
}
