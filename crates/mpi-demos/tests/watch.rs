//! `scripts/mpirun --watch SECS`: hangs diagnosed from outside the program,
//! by the profiling layer, for programs that know nothing of it: the
//! deadlock lesson in Rust, and the same mistakes in C and in mpi4py.
//! Each run must end by itself (the time limit here only catches a hang),
//! with a non-zero status, one diagnosis, and no process left behind.

mod support;

use std::time::Duration;

use local_procs::supervise::Outcome;
use support::{c_hang, mpirun, programs, python};

const WATCH: &str = "2";
/// The job must end within the watch's limit plus 10 s; the launcher's own
/// start and end get the rest.
const LIMIT: Duration = Duration::from_secs(40);

fn watched(np: &str, program: &[&str]) -> Outcome {
    let mut args = vec!["--watch", WATCH, "-np", np];
    args.extend_from_slice(program);
    let run = mpirun(&args, LIMIT);
    assert!(!run.timed_out, "the job hung: {}", run.describe());
    assert!(run.leftovers.is_empty(), "{}", run.describe());
    assert_ne!(run.code(), 0, "{}", run.describe());
    run
}

/// The diagnosis: exactly one line, naming what it must.
fn diagnosis(run: &Outcome) -> String {
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("mpi-watch: deadlock:") || l.starts_with("mpi-watch: stuck:"))
        .collect();
    assert_eq!(lines.len(), 1, "one diagnosis: {}", run.describe());
    lines[0].to_owned()
}

/// A cycle of `n` ranks, each receiving from the next: every rank named,
/// with the rank it waits for.
fn assert_cycle(run: &Outcome, n: i32, call: &str) {
    let line = diagnosis(run);
    assert!(line.starts_with("mpi-watch: deadlock: rank 0 waits for rank 1"), "{line}\n{}", run.describe());
    for rank in 0..n {
        let wait = format!("rank {rank} waits for rank {} ({call}", (rank + 1) % n);
        assert!(line.contains(&wait), "{wait} not in: {line}");
    }
    // Every blocked rank said so, once, in one line.
    for rank in 0..n {
        let said = format!("mpi-watch: rank {rank} on ");
        assert!(run.stderr.lines().filter(|l| l.starts_with(&said)).count() <= 1, "{}", run.describe());
    }
}

#[test]
fn the_rust_deadlock_lesson_is_a_cycle_of_two_and_of_three() {
    let lesson = env!("CARGO_BIN_EXE_deadlock");
    assert_cycle(&watched("2", &[lesson]), 2, "MPI_Recv");
    assert_cycle(&watched("3", &[lesson]), 3, "MPI_Recv");
}

#[test]
fn c_cycles_of_two_and_three_are_named() {
    let hang = c_hang().to_str().unwrap();
    assert_cycle(&watched("2", &[hang, "cycle"]), 2, "MPI_Recv, tag 0");
    assert_cycle(&watched("3", &[hang, "cycle"]), 3, "MPI_Recv, tag 0");
}

#[test]
fn python_cycles_of_two_and_three_are_named() {
    let script = programs().join("hang.py");
    let (python, script) = (python().to_str().unwrap(), script.to_str().unwrap());
    // mpi4py's comm.recv is a matched probe, then a matched receive.
    assert_cycle(&watched("2", &[python, script, "cycle"]), 2, "MPI_Mprobe, tag 0");
    assert_cycle(&watched("3", &[python, script, "cycle"]), 3, "MPI_Mprobe, tag 0");
}

#[test]
fn a_receive_with_a_tag_never_sent_names_the_tag_that_was() {
    let script = programs().join("hang.py");
    let hang = c_hang().to_str().unwrap();
    let c = watched("3", &[hang, "wrong-tag"]);
    let py = watched("3", &[python().to_str().unwrap(), script.to_str().unwrap(), "wrong-tag"]);
    for (run, call) in [(c, "MPI_Recv"), (py, "MPI_Mprobe")] {
        assert_eq!(
            diagnosis(&run),
            format!(
                "mpi-watch: stuck: rank 1 waits for rank 0 ({call}, tag 5); rank 0 has finished, having sent \
                 rank 1 only tag 3 (1 message), never tag 5"
            ),
            "{}",
            run.describe()
        );
    }
}

#[test]
fn a_receive_from_a_finished_rank_says_it_finished_having_sent_nothing() {
    let hang = c_hang().to_str().unwrap();
    let run = watched("2", &[hang, "finished"]);
    assert_eq!(
        diagnosis(&run),
        "mpi-watch: stuck: rank 1 waits for rank 0 (MPI_Recv, tag 0); rank 0 has finished, having sent rank 1 nothing"
    );
    assert!(run.stdout.contains("rank 0 done"), "{}", run.describe());
}

#[test]
fn a_program_that_does_not_hang_runs_to_its_end_under_the_watch() {
    let hang = c_hang().to_str().unwrap();
    let run = mpirun(&["--watch", WATCH, "-np", "3", hang, "fine"], LIMIT);
    assert!(run.clean_success(), "{}", run.describe());
    assert_eq!(run.stdout.matches(" done").count(), 3, "{}", run.describe());
    assert!(!run.stderr.contains("mpi-watch:"), "{}", run.describe());
}

#[test]
fn without_trace_or_watch_nothing_is_preloaded() {
    let run = mpirun(&["--dry-run", "-np", "2", env!("CARGO_BIN_EXE_deadlock")], LIMIT);
    assert!(run.clean_success(), "{}", run.describe());
    assert!(!run.stderr.contains("LD_PRELOAD") && !run.stderr.contains("MPI_WATCH"), "{}", run.describe());
    let run = mpirun(&["--dry-run", "--watch", "5", "-np", "2", env!("CARGO_BIN_EXE_deadlock")], LIMIT);
    assert!(run.stderr.contains("LD_PRELOAD") && run.stderr.contains("MPI_WATCH_SECS"), "{}", run.describe());
}

#[test]
fn the_watch_refuses_a_bad_limit_and_a_missing_layer() {
    let lesson = env!("CARGO_BIN_EXE_deadlock");
    for bad in ["0", "-1", "soon"] {
        let run = mpirun(&["--watch", bad, "-np", "2", lesson], LIMIT);
        assert_eq!(run.code(), 2, "{}", run.describe());
        assert!(run.stderr.contains("is not a positive number of seconds"), "{}", run.describe());
    }
    let run = local_procs::supervise::Supervised::new(support::workspace().join("scripts/mpirun"))
        .args(["--watch", "3", "-np", "2", lesson])
        .env("MPI_WATCH_LIB", "/nonexistent/libmpiwatch.so")
        .time_limit(LIMIT)
        .run()
        .unwrap();
    assert_eq!(run.code(), 2, "{}", run.describe());
    assert!(run.stderr.contains("is not built"), "{}", run.describe());
}
