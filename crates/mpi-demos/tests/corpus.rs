//! The watch judged on a corpus of programs written the way people write
//! them, in C, mpi4py and Rust (`tests/programs/corpus/`,
//! `crates/watch-corpus`), none of which knows of the watch.
//!
//! - A correct program runs under `--watch 2` to its end, with status 0,
//!   the same output as without the layer, and no verdict: a false alarm
//!   costs a learner more than a missed one.
//! - A buggy program ends, within the limit plus 10 s, with one verdict
//!   naming exactly the ranks, calls, communicators, peers and tags at
//!   fault, and nothing left behind.

mod support;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use local_procs::supervise::Outcome;
use support::{build_dir, mpich, mpirun, python, sibling, workspace};

const WATCH: &str = "2";
/// A buggy program must end within the limit plus 10 s; the launcher's own
/// start and end get the rest.
const BUGGY_LIMIT: Duration = Duration::from_secs(30);
/// A correct program runs for up to a few seconds of its own.
const CORRECT_LIMIT: Duration = Duration::from_secs(90);

enum Program {
    C(&'static str),
    Python(&'static str),
    Rust(&'static str),
}

fn corpus() -> PathBuf {
    workspace().join("crates/mpi-demos/tests/programs/corpus")
}

/// A C program of the corpus, built once with this MPI's mpicc.
fn c_program(file: &str) -> PathBuf {
    static BUILT: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::new(None);
    let mut built = BUILT.lock().unwrap_or_else(|p| p.into_inner());
    let built = built.get_or_insert_with(HashMap::new);
    built.entry(file.to_owned()).or_insert_with(|| support::c_program(&corpus().join(file))).clone()
}

fn command(program: &Program) -> Vec<String> {
    let text = |p: PathBuf| p.to_str().unwrap().to_owned();
    match program {
        Program::C(file) => vec![text(c_program(file))],
        Program::Python(file) => vec![text(python().to_owned()), text(corpus().join(file))],
        Program::Rust(bin) => vec![text(sibling(bin))],
    }
}

fn run(program: &Program, np: u32, watch: bool, limit: Duration) -> Outcome {
    let np = np.to_string();
    let mut args: Vec<String> = Vec::new();
    if watch {
        args.extend(["--watch".into(), WATCH.into()]);
    }
    args.extend(["-np".into(), np]);
    args.extend(command(program));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    mpirun(&args, limit)
}

fn verdicts(run: &Outcome) -> Vec<&str> {
    run.stderr.lines().filter(|l| l.starts_with("mpi-watch: deadlock:") || l.starts_with("mpi-watch: stuck:")).collect()
}

fn sorted_lines(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    lines
}

/// A correct program: untouched by the watch.
fn correct(program: Program, np: u32) {
    let plain = run(&program, np, false, CORRECT_LIMIT);
    assert!(plain.clean_success(), "without the watch: {}", plain.describe());
    let watched = run(&program, np, true, CORRECT_LIMIT);
    assert!(watched.clean_success(), "the watch stopped a correct program: {}", watched.describe());
    assert!(verdicts(&watched).is_empty(), "a verdict on a correct program: {}", watched.describe());
    assert_eq!(sorted_lines(&plain.stdout), sorted_lines(&watched.stdout), "{}", watched.describe());
    assert!(!plain.stdout.trim().is_empty(), "{}", plain.describe());
}

/// A buggy program: ended by the watch with one verdict, which `check` judges.
fn buggy(program: Program, np: u32, check: impl Fn(&str)) -> Outcome {
    let run = run(&program, np, true, BUGGY_LIMIT);
    assert!(!run.timed_out, "the watch did not end the job in time: {}", run.describe());
    assert!(run.leftovers.is_empty(), "{}", run.describe());
    assert_ne!(run.code(), 0, "{}", run.describe());
    let found = verdicts(&run);
    assert_eq!(found.len(), 1, "one verdict: {}", run.describe());
    let verdict = found[0].strip_prefix("mpi-watch: ").unwrap();
    check(verdict);
    run
}

/// A buggy program whose verdict is exactly `expected`.
fn named(program: Program, np: u32, expected: &str) {
    buggy(program, np, |verdict| assert_eq!(verdict, expected));
}

// ---- buggy programs --------------------------------------------------------

#[test]
fn a_waitall_whose_send_completed_waits_only_for_its_receive() {
    named(
        Program::C("waitall_cycle.c"),
        3,
        "deadlock: rank 0 waits for rank 2 (MPI_Waitall (MPI_Irecv), tag 0), rank 2 waits for rank 1 (MPI_Recv, \
         tag 5), rank 1 waits for rank 0 (MPI_Recv, tag 1)",
    );
}

#[test]
fn a_waitany_is_a_knot_released_by_either_worker() {
    named(
        Program::C("waitany_knot.c"),
        3,
        "deadlock: rank 0 waits for one of: rank 1 (MPI_Waitany (MPI_Irecv), tag 0), rank 2 (MPI_Waitany \
         (MPI_Irecv), tag 0), rank 1 waits for rank 0 (MPI_Recv, tag 0); rank 2 waits for rank 0 (MPI_Recv, tag 0)",
    );
}

#[test]
fn collectives_on_the_world_and_on_its_duplicate_do_not_match() {
    named(
        Program::C("allreduce_two_comms.c"),
        2,
        "deadlock: rank 0 waits for rank 1 (MPI_Allreduce on MPI_COMM_WORLD, collective 2 there), rank 1 waits for \
         rank 0 (MPI_Allreduce on MPI_Comm_dup of MPI_COMM_WORLD, collective 1 there)",
    );
}

#[test]
fn a_rank_in_a_collective_answers_for_itself() {
    named(
        Program::C("allreduce_vs_recv.c"),
        2,
        "deadlock: rank 0 waits for rank 1 (MPI_Allreduce on MPI_COMM_WORLD, collective 1 there), rank 1 waits for \
         rank 0 (MPI_Recv, tag 0)",
    );
}

#[test]
fn sendrecv_replace_with_unmatched_tags_names_each_message_left_untaken() {
    named(
        Program::C("sendrecv_replace_tags.c"),
        3,
        "deadlock: rank 0 waits for rank 2 (MPI_Sendrecv_replace, tag 2), rank 2 waits for rank 1 \
         (MPI_Sendrecv_replace, tag 2), rank 1 waits for rank 0 (MPI_Sendrecv_replace, tag 2); rank 2 sent rank 0 a \
         message with tag 1, which rank 0 has not received: it waits for tag 2; rank 1 sent rank 2 a message with \
         tag 1, which rank 2 has not received: it waits for tag 2; rank 0 sent rank 1 a message with tag 1, which \
         rank 1 has not received: it waits for tag 2",
    );
}

#[test]
fn proc_null_waits_for_no_one() {
    named(
        Program::C("sendrecv_proc_null.c"),
        2,
        "stuck: rank 1 waits for rank 0 (MPI_Sendrecv, tag 1); rank 0 has finished, having sent rank 1 only tag 0 \
         (1 message), never tag 1",
    );
}

#[test]
fn a_barrier_of_a_split_waits_only_for_its_own_members() {
    named(
        Program::C("split_barrier.c"),
        4,
        "stuck: rank 2 waits for rank 0 (MPI_Barrier on MPI_Comm_split of MPI_COMM_WORLD (ranks 0, 2), collective \
         1 there); rank 0 waits for rank 1 (MPI_Recv, tag 0); rank 1 has finished, having sent rank 0 nothing",
    );
}

#[test]
fn a_persistent_receive_is_followed_through_its_start_and_wait() {
    named(
        Program::C("persistent_wrong_tag.c"),
        2,
        "stuck: rank 0 waits for rank 1 (MPI_Wait (MPI_Recv_init), tag 7); rank 1 has finished, having sent rank 0 \
         only tag 8 (1 message), never tag 7",
    );
}

#[test]
fn a_worker_that_never_takes_its_stop_is_named_with_the_message_it_left() {
    buggy(Program::C("master_worker_stop_tag.c"), 3, |verdict| {
        let head = "stuck: rank 2 waits for rank 0 (MPI_Recv, tag 2); rank 0 has finished, having sent rank 2 tag 2 (";
        assert!(verdict.starts_with(head), "{verdict}");
        assert!(
            verdict.ends_with("tag 3 (1 message), of which rank 2 has not received tag 3 (1 message)"),
            "{verdict}"
        );
    });
}

#[test]
fn a_starved_worker_is_reported_while_the_master_goes_on_then_named_when_it_ends() {
    let run = buggy(Program::C("starved_worker.c"), 3, |verdict| {
        assert_eq!(
            verdict,
            "stuck: rank 1 waits for rank 0 (MPI_Recv, any tag); rank 0 has finished, having sent rank 1 nothing; \
             rank 0 has not received rank 1's message with tag 1 (1 message)"
        );
    });
    let note = run.stderr.lines().find(|l| l.starts_with("mpi-watch: waiting: ")).unwrap_or_default();
    assert!(
        note.starts_with("mpi-watch: waiting: rank 1 waits for rank 0 (MPI_Recv, any tag); rank 0 "),
        "{}",
        run.describe()
    );
    assert!(note.contains("rank 0 has not received rank 1's message with tag 1 (1 message)"), "{}", run.describe());
}

#[test]
fn a_knot_of_and_or_and_collective_waits_and_its_graph() {
    let graph = build_dir().join(format!("corpus-knot-{}.svg", if mpich() { "mpich" } else { "openmpi" }));
    let program = c_program("knot.c");
    let args = ["--watch", WATCH, "--watch-graph", graph.to_str().unwrap(), "-np", "4", program.to_str().unwrap()];
    let run = mpirun(&args, BUGGY_LIMIT);
    assert!(!run.timed_out && run.code() != 0, "{}", run.describe());
    assert_eq!(
        verdicts(&run),
        ["mpi-watch: deadlock: rank 0 waits for one of: rank 1 (MPI_Waitany (MPI_Irecv), tag 0), rank 2 \
          (MPI_Waitany (MPI_Irecv), tag 0), rank 1 waits for rank 0 (MPI_Recv, tag 0); rank 2 waits for rank 3 \
          (MPI_Barrier on MPI_Comm_split of MPI_COMM_WORLD (ranks 2, 3), collective 1 there); rank 3 waits for rank \
          0 (MPI_Recv, tag 0)"],
        "{}",
        run.describe()
    );
    let svg = std::fs::read_to_string(&graph).unwrap_or_else(|e| panic!("{e}: {}", run.describe()));
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let stuck: Vec<&str> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("rank stuck"))
        .filter_map(|n| n.attribute("data-rank"))
        .collect();
    assert_eq!(stuck, ["0", "1", "2", "3"]);
    let mut arrows: Vec<(&str, &str)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("line"))
        .map(|n| (n.attribute("data-from").unwrap(), n.attribute("data-to").unwrap()))
        .collect();
    arrows.sort_unstable();
    assert_eq!(arrows, [("0", "1"), ("0", "2"), ("1", "0"), ("2", "3"), ("3", "0")]);
}

#[test]
fn a_rank_in_a_call_the_watch_does_not_follow_is_named_and_ended_only_past_the_silence_limit() {
    let program = c_program("win_fence.c");
    let args = ["--watch", WATCH, "--watch-silence", "4", "-np", "2", program.to_str().unwrap()];
    let run = mpirun(&args, BUGGY_LIMIT);
    assert!(!run.timed_out && run.code() != 0, "{}", run.describe());
    assert!(run.leftovers.is_empty(), "{}", run.describe());
    assert!(
        run.stderr.contains(
            "mpi-watch: waiting: rank 1 waits for rank 0 (MPI_Recv, tag 0); rank 0 has been in MPI_Win_fence for "
        ),
        "{}",
        run.describe()
    );
    let lost: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("mpi-watch: lost: ")).collect();
    assert_eq!(lost.len(), 1, "{}", run.describe());
    assert!(
        lost[0].starts_with("mpi-watch: lost: rank 1 waits for rank 0 (MPI_Recv, tag 0); rank 0 on "),
        "{}",
        lost[0]
    );
    assert!(lost[0].contains(" has been in MPI_Win_fence, which the watch does not follow, for "), "{}", lost[0]);
    assert!(verdicts(&run).is_empty(), "no deadlock is claimed: {}", run.describe());
}

#[test]
fn an_any_source_receive_nobody_can_answer() {
    named(
        Program::C("any_source_short.c"),
        3,
        "stuck: rank 0 waits for any rank (MPI_Recv, tag 0); every other rank has finished",
    );
}

#[test]
fn synchronous_sends_both_ways_are_a_cycle() {
    named(
        Program::C("ssend_cycle.c"),
        2,
        "deadlock: rank 0 waits for rank 1 (MPI_Ssend, tag 0), rank 1 waits for rank 0 (MPI_Ssend, tag 0)",
    );
}

#[test]
fn a_rank_missing_from_a_barrier_is_named() {
    named(
        Program::C("barrier_skipped.c"),
        3,
        "deadlock: rank 0 waits for rank 2 (MPI_Barrier on MPI_COMM_WORLD, collective 1 there), rank 2 waits for \
         rank 0 (MPI_Recv, tag 0); rank 1 waits for rank 2 (MPI_Barrier on MPI_COMM_WORLD, collective 1 there)",
    );
}

#[test]
fn a_non_blocking_collective_is_waited_for_through_its_request() {
    named(
        Program::C("ibarrier_wait.c"),
        2,
        "deadlock: rank 0 waits for rank 1 (MPI_Wait (MPI_Ibarrier) on MPI_COMM_WORLD, collective 1 there), rank 1 \
         waits for rank 0 (MPI_Recv, tag 0)",
    );
}

#[test]
fn every_thread_of_a_rank_blocked_is_a_rank_blocked() {
    buggy(Program::C("threads_deadlock.c"), 2, |verdict| {
        // Rank 0's two threads are an OR: either could release it.
        let start = "deadlock: rank 0 waits for rank 1 (MPI_Recv, tag ";
        assert!(verdict.starts_with(start), "{verdict}");
        assert!(verdict.ends_with("rank 1 waits for rank 0 (MPI_Recv, tag 3)"), "{verdict}");
    });
}

#[test]
fn python_a_barrier_against_a_receive() {
    buggy(Program::Python("barrier_vs_recv.py"), 2, |verdict| {
        assert!(
            verdict.starts_with("deadlock: rank 0 waits for rank 1 (MPI_Barrier on MPI_COMM_WORLD, collective "),
            "{verdict}"
        );
        assert!(verdict.ends_with("rank 1 waits for rank 0 (MPI_Mprobe, tag 0)"), "{verdict}");
    });
}

#[test]
fn python_a_matched_probe_on_a_split_names_world_ranks() {
    named(
        Program::Python("split_wrong_tag.py"),
        4,
        "stuck: rank 3 waits for rank 1 (MPI_Mprobe on MPI_Comm_split of MPI_COMM_WORLD (ranks 1, 3), tag 2); rank \
         1 has finished, having sent rank 3 only tag 1 (1 message), never tag 2",
    );
}

#[test]
fn rust_a_barrier_against_a_receive() {
    named(
        Program::Rust("corpus-barrier-vs-receive"),
        2,
        "deadlock: rank 0 waits for rank 1 (MPI_Barrier on MPI_COMM_WORLD, collective 1 there), rank 1 waits for \
         rank 0 (MPI_Recv, any tag)",
    );
}

#[test]
fn rust_two_cycles_on_two_halves() {
    named(
        Program::Rust("corpus-split-cycle"),
        4,
        "deadlock: rank 0 waits for rank 2 (MPI_Recv on MPI_Comm_split of MPI_COMM_WORLD (ranks 0, 2), any tag), \
         rank 2 waits for rank 0 (MPI_Recv on MPI_Comm_split of MPI_COMM_WORLD (ranks 0, 2), any tag); rank 1 waits \
         for rank 3 (MPI_Recv on MPI_Comm_split of MPI_COMM_WORLD (ranks 1, 3), any tag); rank 3 waits for rank 1 \
         (MPI_Recv on MPI_Comm_split of MPI_COMM_WORLD (ranks 1, 3), any tag)",
    );
}

#[test]
fn rust_a_wait_on_a_finished_rank() {
    named(
        Program::Rust("corpus-wait-on-finished"),
        2,
        "stuck: rank 0 waits for rank 1 (MPI_Wait (MPI_Irecv), any tag); rank 1 has finished, having sent rank 0 \
         nothing",
    );
}

// ---- correct programs ------------------------------------------------------

#[test]
fn correct_post_processing_after_the_last_message() {
    correct(Program::C("post_process.c"), 2);
}

#[test]
fn correct_computing_while_polling_with_iprobe() {
    correct(Program::C("iprobe_poll.c"), 2);
}

#[test]
fn correct_a_slow_first_receive_then_many_round_trips() {
    correct(Program::C("slow_pingpong.c"), 2);
}

#[test]
fn correct_a_ring_of_waitalls_with_a_slow_rank() {
    correct(Program::C("waitall_ring.c"), 4);
}

#[test]
fn correct_a_master_taking_results_with_waitany() {
    correct(Program::C("master_worker.c"), 4);
}

#[test]
fn correct_every_collective_with_a_slow_rank() {
    correct(Program::C("collectives.c"), 4);
}

#[test]
fn correct_halo_exchange_with_proc_null_and_a_ring_shift() {
    correct(Program::C("halo.c"), 4);
}

#[test]
fn correct_persistent_requests_started_again_and_again() {
    correct(Program::C("persistent.c"), 2);
}

#[test]
fn correct_a_thread_waits_while_the_main_thread_computes() {
    correct(Program::C("threads.c"), 2);
}

#[test]
fn correct_communicators_made_every_way() {
    correct(Program::C("comms.c"), 4);
}

#[test]
fn correct_matched_probes_on_a_duplicate() {
    correct(Program::C("mprobe.c"), 3);
}

#[test]
fn correct_python_master_and_workers() {
    correct(Program::Python("master_worker.py"), 3);
}

#[test]
fn correct_python_collectives_of_objects() {
    correct(Program::Python("collectives.py"), 3);
}

#[test]
fn correct_rust_reductions_with_a_slow_rank() {
    correct(Program::Rust("corpus-slow-reduce"), 3);
}

#[test]
fn correct_rust_a_late_exchange() {
    correct(Program::Rust("corpus-late-exchange"), 2);
}

#[test]
fn a_program_whose_calls_the_layer_cannot_see_is_told_so() {
    let trace = build_dir().join(format!("corpus-pmpi-{}.jsonl", if mpich() { "mpich" } else { "openmpi" }));
    let program = c_program("pmpi_only.c");
    let args = ["--trace", trace.to_str().unwrap(), "--watch", WATCH, "-np", "2", program.to_str().unwrap()];
    let run = mpirun(&args, CORRECT_LIMIT);
    assert!(run.clean_success(), "{}", run.describe());
    assert_eq!(sorted_lines(&run.stdout), ["rank 0 has 5", "rank 1 has 5"], "{}", run.describe());
    let said: Vec<&str> =
        run.stderr.lines().filter(|l| l.starts_with("mpi-watch: the layer saw no MPI call in this program")).collect();
    assert_eq!(said.len(), 1, "said once, by rank 0's process: {}", run.describe());
    assert!(said[0].contains("Fortran") && said[0].contains("statically"), "{}", run.describe());
    assert!(!trace.exists(), "{}", run.describe());
}
