//! `scripts/mpirun --trace FILE`: the profiling layer records every message
//! of every lesson, and of the Python original of p2p, from outside the
//! program. Each trace must hold exactly the messages the program sends,
//! every send paired with its receive, no receive ending before its send
//! began; and each page's diagram (drawn by `make lessons`) must show the
//! same messages.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use mpi_watch::sequence;
use mpi_watch::trace::{Op, Trace};
use support::{mpirun, workspace};

/// A message as the tests compare it: (from, to, tag).
type Arrow = (i32, i32, i32);

fn count(arrows: impl IntoIterator<Item = Arrow>) -> BTreeMap<Arrow, usize> {
    let mut counts = BTreeMap::new();
    for arrow in arrows {
        *counts.entry(arrow).or_insert(0) += 1;
    }
    counts
}

/// Run `program` traced on `np` ranks; return the trace, checked for pairing and order.
fn traced(np: &str, program: &[&str]) -> Trace {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("trace.jsonl");
    let mut args = vec!["--trace", file.to_str().unwrap(), "-np", np];
    args.extend_from_slice(program);
    let run = mpirun(&args, Duration::from_secs(90));
    assert!(run.clean_success(), "{}", run.describe());
    assert!(run.stderr.contains("mpi-watch: trace of "), "{}", run.describe());
    let trace = Trace::decode(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(trace.ranks.len(), np.parse::<usize>().unwrap(), "one line per rank: {trace:?}");
    let (messages, unmatched) = sequence::pair(&trace.events);
    assert!(unmatched.is_empty(), "every send has its receive: {unmatched:?}");
    for message in &messages {
        assert!(message.recv.end_us >= message.send.start_us, "a receive ended before its send began: {message:?}");
        assert_eq!(message.send.bytes, message.recv.bytes, "{message:?}");
    }
    check_perfetto(&file, &trace, messages.len());
    trace
}

/// `trace-perfetto` writes the trace in the Trace Event Format: read it
/// back and check that every call is a slice, every message an arrow whose
/// two ends lie in slices of the sender's and the receiver's tracks, and
/// no two slices of one track overlap (the format's rule).
fn check_perfetto(file: &std::path::Path, trace: &Trace, messages: usize) {
    let out = file.with_extension("json");
    let run = local_procs::supervise::Supervised::new(support::sibling("trace-perfetto"))
        .args([file.to_str().unwrap(), out.to_str().unwrap()])
        .time_limit(Duration::from_secs(30))
        .run()
        .unwrap();
    assert!(run.clean_success(), "{}", run.describe());
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).expect("the file is JSON");
    let checked = mpi_watch::perfetto::check(&doc).unwrap_or_else(|e| panic!("{}: {e}", out.display()));
    assert_eq!(checked.slices, trace.events.len(), "one slice per call");
    assert_eq!(checked.arrows, messages, "one arrow per message");
    assert!(run.stdout.contains(&format!("{messages} message(s) as arrows")), "{}", run.describe());
}

fn arrows(trace: &Trace) -> BTreeMap<Arrow, usize> {
    count(trace.events.iter().filter(|e| e.op == Op::Send).map(|e| (e.rank, e.peer, e.tag)))
}

/// The arrows of a page's committed diagram.
fn figure_arrows(name: &str) -> BTreeMap<Arrow, usize> {
    let path = workspace().join("crates/mpi-demos/lessons/figures").join(format!("{name}.svg"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}; run `make lessons`", path.display()));
    let doc = roxmltree::Document::parse(&text).expect("the diagram is well-formed SVG");
    let number = |node: &roxmltree::Node, name: &str| node.attribute(name).unwrap().parse::<i32>().unwrap();
    count(
        doc.descendants()
            .filter(|n| n.attribute("class") == Some("message"))
            .map(|n| (number(&n, "data-from"), number(&n, "data-to"), number(&n, "data-tag"))),
    )
}

fn check_lesson(name: &str, np: &str, args: &[&str], expected: &[(Arrow, usize)]) {
    let binary = support::build_dir().join(name);
    let mut program = vec![binary.to_str().unwrap()];
    program.extend_from_slice(args);
    let trace = traced(np, &program);
    let expected: BTreeMap<Arrow, usize> = expected.iter().copied().collect();
    assert_eq!(arrows(&trace), expected, "{name}: the trace");
    assert_eq!(figure_arrows(name), expected, "{name}: the page's diagram (run `make lessons`)");
}

#[test]
fn p2p_traces_its_two_messages_and_so_does_the_python_original() {
    let rust = traced("9", &[env!("CARGO_BIN_EXE_p2p")]);
    let expected = count([(0, 4, 0), (1, 8, 0)]);
    assert_eq!(arrows(&rust), expected);
    assert_eq!(figure_arrows("p2p"), expected);
    // By sender: rank 0's i32, then rank 1's 5 bytes of "hello".
    let sent = |trace: &Trace| -> Vec<u64> {
        let mut sends: Vec<(i32, u64)> =
            trace.events.iter().filter(|e| e.op == Op::Send).map(|e| (e.rank, e.bytes)).collect();
        sends.sort_unstable();
        sends.into_iter().map(|(_, bytes)| bytes).collect()
    };
    let bytes = sent(&rust);
    assert_eq!(bytes, [4, 5], "an i32, and the 5 bytes of \"hello\"");

    let original = workspace().join("originals/point_to_point.py");
    let python = traced("9", &[support::python().to_str().unwrap(), original.to_str().unwrap()]);
    assert_eq!(arrows(&python), expected, "the same two messages from mpi4py");
    let pickled = sent(&python);
    assert!(pickled.iter().zip(&bytes).all(|(p, r)| p > r), "pickles are larger: {pickled:?}");
}

#[test]
fn tags_two_messages_with_two_tags() {
    check_lesson("tags", "2", &[], &[((0, 1, 1), 1), ((0, 1, 2), 1)]);
}

#[test]
fn any_source_one_message_from_each_rank() {
    check_lesson("any-source", "4", &[], &[((1, 0, 0), 1), ((2, 0, 0), 1), ((3, 0, 0), 1)]);
}

#[test]
fn probe_one_message() {
    check_lesson("probe", "2", &[], &[((0, 1, 0), 1)]);
}

#[test]
fn ring_the_token_round_then_the_shift() {
    check_lesson("ring", "4", &[], &[((0, 1, 0), 2), ((1, 2, 0), 2), ((2, 3, 0), 2), ((3, 0, 0), 2)]);
}

#[test]
fn nonblocking_one_large_message() {
    check_lesson("nonblocking", "2", &[], &[((0, 1, 0), 1)]);
}

#[test]
fn typed_particles_a_reading_then_a_series_in_two_messages() {
    // The series: its shape, then its million samples as one message.
    check_lesson("typed", "2", &[], &[((0, 1, 0), 4)]);
}

#[test]
fn deadlock_fixed_one_message_each_way() {
    check_lesson("deadlock", "2", &["--fixed"], &[((0, 1, 0), 1), ((1, 0, 0), 1)]);
}

#[test]
fn send_modes_twelve_messages() {
    check_lesson("send-modes", "2", &["--pause-ms", "20"], &[((0, 1, 0), 12)]);
}

#[test]
fn heat_three_exchanges_then_the_gather_and_nothing_to_proc_null() {
    // Per step: every rank's first point left (tag 1), last point right
    // (tag 2); the ends' sends to MPI_PROC_NULL are no messages. Then the
    // blocks to rank 0 (tag 3).
    let expected = [((0, 1, 2), 3), ((1, 0, 1), 3), ((1, 0, 3), 1), ((1, 2, 2), 3), ((2, 0, 3), 1), ((2, 1, 1), 3)];
    check_lesson("heat", "3", &["--points", "12", "--steps", "3"], &expected);
}

#[test]
fn a_trace_of_non_blocking_calls_names_them() {
    let trace = traced("2", &[env!("CARGO_BIN_EXE_nonblocking")]);
    let calls: Vec<(&str, &str)> = trace.events.iter().map(|e| (e.call.as_str(), e.comm.as_str())).collect();
    assert!(calls.contains(&("MPI_Isend", "world")) && calls.contains(&("MPI_Irecv", "world")), "{calls:?}");
}

/// A trace far larger than a rank should hold: 2.5 million round trips,
/// 10 million events. Each rank writes its part as it goes and keeps a
/// batch at a time, so its peak memory stays small (the events alone, kept
/// in memory, would take over 300 MB a rank); rank 0 merges the parts in
/// chunks, with 64-bit lengths, into a file of every event.
#[test]
fn a_trace_of_ten_million_events_is_written_in_bounded_memory() {
    use std::io::BufRead;
    const ROUND_TRIPS: u64 = 2_500_000;
    let program = support::c_program(&workspace().join("crates/mpi-demos/tests/programs/many_messages.c"));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.jsonl");
    let n = ROUND_TRIPS.to_string();
    let run = mpirun(
        &["--trace", file.to_str().unwrap(), "-np", "2", program.to_str().unwrap(), &n],
        Duration::from_secs(600),
    );
    assert!(run.clean_success(), "{}", run.describe());
    assert!(
        run.stderr.contains(&format!("trace of {} message(s) from 2 rank(s)", 2 * ROUND_TRIPS)),
        "{}",
        run.describe()
    );
    for line in run.stdout.lines() {
        let peak_kib: u64 = line.rsplit("peak memory ").next().unwrap().trim_end_matches(" KiB").parse().unwrap();
        assert!(peak_kib < 100 * 1024, "a rank's memory grew with its trace: {line}");
    }
    let (mut ranks, mut sends, mut receives) = (0u64, 0u64, 0u64);
    for line in std::io::BufReader::new(std::fs::File::open(&file).unwrap()).lines() {
        let line = line.unwrap();
        if line.starts_with(r#"{"kind":"rank""#) {
            ranks += 1;
        } else if line.contains(r#""op":"send""#) {
            sends += 1;
        } else if line.contains(r#""op":"recv""#) {
            receives += 1;
        } else {
            panic!("not a trace line: {line}");
        }
    }
    assert_eq!((ranks, sends, receives), (2, 2 * ROUND_TRIPS, 2 * ROUND_TRIPS));
}

/// mpi4py receives with a matched probe and a matched receive; on a
/// communicator of the odd ranks, both sides are still named as world ranks.
#[test]
fn a_matched_receive_on_a_split_is_traced_with_world_ranks() {
    let python = support::python().to_str().unwrap().to_owned();
    let script = workspace().join("crates/mpi-demos/tests/programs/split_messages.py");
    let trace = traced("4", &[&python, script.to_str().unwrap()]);
    assert_eq!(arrows(&trace), count([(1, 3, 4)]));
    let receive = trace.events.iter().find(|e| e.op == Op::Recv).unwrap();
    assert_eq!((receive.rank, receive.peer, receive.comm.as_str()), (3, 1, "other"), "{receive:?}");
    // MPI_Mrecv, or its large-count twin where mpi4py has MPI 4.
    assert!(receive.call.starts_with("MPI_Mrecv"), "{receive:?}");
}
