//! Every lesson, run as a learner runs it: the `local-procs` binary, spawned
//! (the test harness never forks), with a time limit, its output compared
//! with what must hold (sorted where processes race), its exit code checked,
//! and no process of it left afterwards.

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime};

use local_procs::supervise::{group_members, Outcome, Supervised};
use nix::sys::signal::{kill, Signal};

const BIN: &str = env!("CARGO_BIN_EXE_local-procs");

fn lesson(args: &[&str]) -> Outcome {
    Supervised::new(BIN).args(args).time_limit(Duration::from_secs(60)).run().expect("local-procs starts")
}

fn fast(scenario: &[&str]) -> Outcome {
    let mut args = vec!["--time-scale", "0"];
    args.extend_from_slice(scenario);
    lesson(&args)
}

fn assert_clean(run: &Outcome) {
    assert!(run.clean_success(), "{}", run.describe());
}

fn lines(run: &Outcome) -> Vec<&str> {
    run.stdout.lines().collect()
}

#[test]
fn spawn_is_strictly_sequential() {
    let run = fast(&["spawn"]);
    assert_clean(&run);
    let mut expected = Vec::new();
    for i in 0..6 {
        expected.push(format!("calling myFunc from process n°: {i}"));
        for j in 0..i {
            expected.push(format!("output from myFunc is :{j}"));
        }
    }
    // Exactly these lines, in this order, each once: nothing buffered before
    // a fork was printed twice.
    assert_eq!(lines(&run), expected, "{}", run.describe());
}

#[test]
fn naming_gives_the_default_name_process_2() {
    let run = fast(&["naming"]);
    assert_clean(&run);
    assert_eq!(
        run.sorted_lines(),
        vec![
            "Exiting process name = Process-2",
            "Exiting process name = myFunc process",
            "Starting process name = Process-2",
            "Starting process name = myFunc process",
        ],
        "{}",
        run.describe()
    );
    // Each process starts before it exits, whatever the interleaving.
    for name in ["Process-2", "myFunc process"] {
        let start = run.stdout.find(&format!("Starting process name = {name}")).unwrap();
        let exit = run.stdout.find(&format!("Exiting process name = {name}")).unwrap();
        assert!(start < exit, "{}", run.describe());
    }
}

#[test]
fn subclass_names_come_from_the_type() {
    let run = fast(&["subclass"]);
    assert_clean(&run);
    let expected: Vec<String> = (1..=10).map(|n| format!("called run method in MyProcess-{n}")).collect();
    assert_eq!(lines(&run), expected, "{}", run.describe());
}

fn background_lines(name: &str, numbers: std::ops::Range<u32>) -> Vec<String> {
    let mut lines = vec![format!("Starting {name}")];
    lines.extend(numbers.map(|i| format!("---> {i}")));
    lines.push(format!("Exiting {name}"));
    lines
}

#[test]
fn daemon_non_daemon_always_finishes() {
    let run = fast(&["daemon"]);
    assert_clean(&run);
    for line in background_lines("NO_background_process", 5..10) {
        assert!(run.stdout.lines().any(|l| l == line), "missing {line:?}: {}", run.describe());
    }
}

#[test]
fn daemon_is_terminated_at_the_parents_end() {
    // At the original's pace, the daemon sleeps 1 s before `Exiting`, and the
    // parent ends (terminating it) as soon as it has started both.
    let run = lesson(&["daemon"]);
    assert_clean(&run);
    assert!(!run.stdout.contains("Exiting background_process"), "{}", run.describe());
    for line in background_lines("NO_background_process", 5..10) {
        assert!(run.stdout.lines().any(|l| l == line), "missing {line:?}: {}", run.describe());
    }
}

#[test]
fn daemon_dies_with_a_killed_parent() {
    // Both children sleep 2 s before `Exiting`; the parent lingers. It is
    // killed with SIGKILL as soon as both children exist, so it runs no
    // clean-up at all. The non-daemon goes on to the end (as in Python);
    // the daemon must not.
    let run = Supervised::new(BIN)
        .args(["--time-scale", "2", "daemon", "--linger", "30"])
        .time_limit(Duration::from_secs(30))
        .run_with(|running| {
            let parent = running.pid();
            let deadline = Instant::now() + Duration::from_secs(10);
            while group_members(parent).len() < 3 {
                assert!(Instant::now() < deadline, "the lesson never started its two children");
                std::thread::sleep(Duration::from_millis(2));
            }
            kill(parent, Signal::SIGKILL).unwrap();
        })
        .unwrap();
    assert_eq!(run.code(), -9, "{}", run.describe());
    assert!(!run.timed_out && run.leftovers.is_empty(), "{}", run.describe());
    assert!(run.stdout.contains("Exiting NO_background_process"), "{}", run.describe());
    assert!(!run.stdout.contains("Exiting background_process"), "{}", run.describe());
}

#[test]
fn no_daemon_waits_for_both() {
    let run = fast(&["no-daemon"]);
    assert_clean(&run);
    let mut expected = background_lines("background_process", 0..5);
    expected.extend(background_lines("NO_background_process", 5..10));
    expected.sort();
    assert_eq!(run.sorted_lines(), expected, "{}", run.describe());
}

fn terminate_steps(run: &Outcome) -> Vec<(&str, &str)> {
    run.stdout
        .lines()
        .filter(|l| l.starts_with("Process "))
        .map(|l| {
            let (step, rest) = l.split_once(':').unwrap();
            (step, rest.trim().rsplit(' ').next().unwrap())
        })
        .collect()
}

#[test]
fn terminate_reports_minus_15() {
    // At the original's pace the child sleeps 1 s per step: the SIGTERM sent
    // right after start lands long before it could finish.
    let run = lesson(&["terminate"]);
    assert_clean(&run);
    assert_eq!(
        terminate_steps(&run),
        vec![
            ("Process before execution", "False"),
            ("Process running", "True"),
            ("Process terminated", "zombie"),
            ("Process collected", "False"),
            ("Process joined", "False"),
            ("Process exit code", "-15"),
        ],
        "{}",
        run.describe()
    );
    assert!(run.stdout.contains("exitcode=-SIGTERM"), "{}", run.describe());
    assert!(!run.stdout.contains("Finished function"), "{}", run.describe());
}

#[test]
fn a_child_that_catches_sigterm_ends_cleanly_with_zero() {
    // At the original's pace the signal lands during a step's sleep; the
    // child finishes the step, sees the flag and returns.
    let run = lesson(&["terminate", "--catch-sigterm"]);
    assert_clean(&run);
    assert!(run.stdout.contains("Caught SIGTERM: cleaning up, then ending"), "{}", run.describe());
    assert_eq!(terminate_steps(&run).last(), Some(&("Process exit code", "0")), "{}", run.describe());
    assert!(!run.stdout.contains("Finished function"), "{}", run.describe());
}

#[test]
fn terminate_without_sleeps_still_ends_cleanly() {
    // With no sleeps the child may finish before the signal lands (even
    // before `is_alive` after `start` looks, which then collects it): then
    // its exit code is 0 and it printed every line.
    let run = fast(&["terminate"]);
    assert_clean(&run);
    let steps = terminate_steps(&run);
    assert_eq!(steps[0], ("Process before execution", "False"), "{}", run.describe());
    assert_eq!(steps[3], ("Process collected", "False"), "{}", run.describe());
    assert_eq!(steps[4], ("Process joined", "False"), "{}", run.describe());
    match (steps[1].1, steps[2].1, steps[5].1) {
        ("True", "zombie", "-15") => assert!(!run.stdout.contains("Finished function"), "{}", run.describe()),
        ("True", "zombie", "0") | ("False", "collected", "0") => {
            assert!(run.stdout.contains("Finished function"), "{}", run.describe())
        }
        other => panic!("steps that cannot go together {other:?}: {}", run.describe()),
    }
}

#[test]
fn barrier_releases_both_together_and_lines_stay_whole() {
    let run = fast(&["barrier"]);
    assert_clean(&run);
    let times: BTreeMap<&str, SystemTime> = run
        .stdout
        .lines()
        .map(|line| {
            let (name, time) = line.strip_prefix("process ").unwrap().split_once(" ----> ").unwrap();
            (name, humantime::parse_rfc3339_weak(time).unwrap_or_else(|e| panic!("{line:?}: {e}")))
        })
        .collect();
    let names: Vec<&str> = times.keys().copied().collect();
    assert_eq!(
        names,
        ["p1 - test_with_barrier", "p2 - test_with_barrier", "p3 - test_without_barrier", "p4 - test_without_barrier"],
        "{}",
        run.describe()
    );
    let p1 = times["p1 - test_with_barrier"];
    let p2 = times["p2 - test_with_barrier"];
    let gap = p1.duration_since(p2).or_else(|_| p2.duration_since(p1)).unwrap();
    assert!(gap < Duration::from_secs(1), "p1 and p2 left the barrier {gap:?} apart: {}", run.describe());
}

#[test]
fn pipe_squares_then_ends() {
    let run = fast(&["pipe"]);
    assert_clean(&run);
    assert_eq!(lines(&run), ["0", "1", "4", "9", "16", "25", "36", "49", "64", "81", "End"], "{}", run.describe());
}

/// The item values in lines that start with `prefix`, sorted.
fn items(run: &Outcome, prefix: &str) -> Vec<u32> {
    let mut values: Vec<u32> = run
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix(prefix))
        .map(|rest| rest.split_whitespace().next().unwrap().parse().unwrap())
        .collect();
    values.sort_unstable();
    values
}

fn check_queue(run: &Outcome, total: usize) {
    assert_clean(run);
    let produced = items(run, "Process Producer : item ");
    let consumed = items(run, "Process Consumer : item ");
    assert_eq!(produced.len(), total, "{}", run.describe());
    assert!(produced.iter().all(|&v| v <= 256));
    // Every item put was got once: the same multiset on both sides.
    assert!(produced == consumed, "produced and consumed items differ");
    let sum: u64 = produced.iter().map(|&v| u64::from(v)).sum();
    assert!(run.stdout.contains(&format!("\nproduced {total} items, sum {sum}\n")), "{}", run.describe());
    assert!(run.stdout.ends_with(&format!("consumed {total} items, sum {sum}\n")), "{}", run.describe());
}

#[test]
fn a_failed_pipe_stage_fails_the_lesson_and_it_prints_no_end() {
    let run = fast(&["pipe", "--fail-at", "4"]);
    assert_ne!(run.code(), 0, "{}", run.describe());
    assert!(!run.stdout.contains("End"), "{}", run.describe());
    assert!(run.stderr.contains("failed with exit code 1"), "{}", run.describe());
    assert!(run.stderr.contains("multiply_items failed at item 4"), "{}", run.describe());
}

#[test]
fn queue_default_consumes_all_ten() {
    let run = fast(&["queue"]);
    check_queue(&run, 10);
    assert!(run.stdout.contains("appended to queue Producer-1"), "{}", run.describe());
    assert!(run.stdout.contains("popped from by Consumer-2"), "{}", run.describe());
    assert_eq!(run.stdout.matches("The size of queue is ").count(), 10, "{}", run.describe());
}

#[test]
fn queue_many_producers_and_consumers_lose_nothing() {
    let run = fast(&["queue", "--items", "100000", "--producers", "4", "--consumers", "4"]);
    check_queue(&run, 100_000);
    for n in 1..=4 {
        assert!(run.stdout.contains(&format!("appended to queue Producer-{n}\n")), "{}", run.describe());
    }
}

#[test]
fn queue_shares_uneven_counts() {
    let run = fast(&["queue", "--items", "7", "--producers", "3", "--consumers", "2"]);
    check_queue(&run, 7);
}

#[test]
fn pool_squares_in_input_order() {
    let run = fast(&["pool"]);
    assert_clean(&run);
    let squares: Vec<String> = (0..100u64).map(|x| (x * x).to_string()).collect();
    assert_eq!(lines(&run), [format!("Pool    : [{}]", squares.join(", "))], "{}", run.describe());
}

#[test]
fn pool_of_many_inputs_keeps_order() {
    let run = fast(&["pool", "--items", "100000", "--workers", "3"]);
    assert_clean(&run);
    let list = run.stdout.trim().strip_prefix("Pool    : [").unwrap().strip_suffix(']').unwrap();
    let values: Vec<u64> = list.split(", ").map(|v| v.parse().unwrap()).collect();
    assert_eq!(values.len(), 100_000);
    assert!(values.iter().enumerate().all(|(x, &v)| v == (x as u64) * (x as u64)));
}

#[test]
fn pool_of_strings_goes_through_serde_and_keeps_order() {
    let run = fast(&["pool", "--words", "--items", "20000", "--workers", "3"]);
    assert_clean(&run);
    let list = run.stdout.trim().strip_prefix("Pool    : [").unwrap().strip_suffix(']').unwrap();
    let words: Vec<&str> = list.split(", ").collect();
    assert_eq!(words.len(), 20_000);
    assert!(words.iter().enumerate().all(|(i, w)| *w == format!("\"WORD-{i}\"")), "{}", &run.stdout[..200]);
}

#[test]
fn pool_worker_death_names_the_task_and_leaves_nothing() {
    let run = fast(&["pool", "--crash-at", "42"]);
    assert!(!run.timed_out && run.leftovers.is_empty(), "{}", run.describe());
    assert_eq!(run.code(), 1, "{}", run.describe());
    assert!(run.stderr.contains("input index 42"), "{}", run.describe());
    assert!(run.stderr.contains("killed by SIGKILL"), "{}", run.describe());
    assert!(!run.stdout.contains("Pool"), "{}", run.describe());
    assert!(run.elapsed < Duration::from_secs(20), "{}", run.describe());
}

#[test]
fn list_names_every_scenario() {
    let run = lesson(&["list"]);
    assert_clean(&run);
    let names: Vec<&str> = run.stdout.lines().map(|l| l.split_whitespace().next().unwrap()).collect();
    assert_eq!(
        names,
        ["spawn", "naming", "subclass", "daemon", "no-daemon", "terminate", "barrier", "pipe", "queue", "pool"]
    );
}

#[test]
fn all_runs_every_scenario() {
    let run = fast(&["all"]);
    assert_clean(&run);
    assert_eq!(run.stdout.matches("\n== ").count() + usize::from(run.stdout.starts_with("== ")), 10);
    assert!(run.stdout.contains("End\n") && run.stdout.contains("Pool    : [0, 1, 4"), "{}", run.describe());
}

#[test]
fn bad_arguments_are_refused() {
    for args in [
        &["--time-scale", "-1", "spawn"][..],
        &["--time-scale", "fast", "spawn"],
        &["queue", "--producers", "0"],
        &["pool", "--workers", "0"],
        &["no-such-lesson"],
    ] {
        let run = lesson(args);
        assert_eq!(run.code(), 2, "{args:?}: {}", run.describe());
        assert!(run.stderr.contains("error"), "{args:?}: {}", run.describe());
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.describe());
    }
}

/// `name value unit [shape]` lines, checked for form.
fn bench_lines(run: &Outcome) -> Vec<(String, f64, String, String)> {
    run.stdout
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            assert!(fields.len() == 3 || fields.len() == 4, "{line}");
            let value: f64 = fields[1].parse().unwrap();
            assert!(value > 0.0 && value.is_finite(), "{line}");
            (fields[0].into(), value, fields[2].into(), fields.get(3).map_or(String::new(), |s| (*s).into()))
        })
        .collect()
}

#[test]
fn bench_prints_the_four_figures() {
    let run = lesson(&["bench", "--scale", "0.001"]);
    assert_clean(&run);
    let names: Vec<(String, String, String)> = bench_lines(&run).into_iter().map(|(n, _, u, s)| (n, u, s)).collect();
    let expected = [
        ("pipe_roundtrip", "us", ""),
        ("queue_throughput", "items/s", "1x1"),
        ("pool_map_1e6", "ms", "4"),
        ("spawn_join", "ms", ""),
    ];
    assert_eq!(names, expected.map(|(n, u, s)| (n.to_owned(), u.to_owned(), s.to_owned())));
}

#[test]
fn bench_measures_one_figure_with_its_shape() {
    let run = lesson(&["bench", "queue-throughput", "--producers", "3", "--consumers", "2", "--scale", "0.001"]);
    assert_clean(&run);
    let lines = bench_lines(&run);
    assert_eq!(lines.len(), 1, "{}", run.describe());
    assert_eq!((lines[0].0.as_str(), lines[0].3.as_str()), ("queue_throughput", "3x2"), "{}", run.describe());
    let run = lesson(&["bench", "pool-map", "--workers", "8", "--scale", "0.001"]);
    assert_clean(&run);
    let lines = bench_lines(&run);
    assert_eq!((lines[0].0.as_str(), lines[0].3.as_str()), ("pool_map_1e6", "8"), "{}", run.describe());
}
