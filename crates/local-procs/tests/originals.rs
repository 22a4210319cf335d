//! Every lesson beside the Python original it ports (`originals/`): the
//! port prints what the original prints, compared as sets of lines where
//! processes race, with process ids and times aside; and where the original
//! loses items or hangs, the port does not.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use local_procs::supervise::{Outcome, Supervised};

fn originals() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../originals").canonicalize().unwrap()
}

fn python(script: &str, scale: &str, env: &[(&str, &str)], limit: Duration) -> Outcome {
    env.iter()
        .fold(Supervised::new("python3"), |run, (k, v)| run.env(k, v))
        .args([format!("{script}.py")])
        .current_dir(originals())
        // Unbuffered, the children's lines would be cut by each other's.
        .env_remove("PYTHONUNBUFFERED")
        .env("TIME_SCALE", scale)
        .time_limit(limit)
        .run()
        .expect("python3 runs (scripts/install-deps bench)")
}

fn port(args: &[&str]) -> Outcome {
    Supervised::new(env!("CARGO_BIN_EXE_local-procs")).args(args).time_limit(Duration::from_secs(60)).run().unwrap()
}

/// Lines as a multiset, with every run of digits as `N` (pids, times).
fn normalised(text: &str) -> BTreeMap<String, usize> {
    let mut lines = BTreeMap::new();
    for line in text.lines().map(str::trim_end).filter(|l| !l.is_empty()) {
        let mut out = String::new();
        let mut in_number = false;
        for c in line.chars() {
            if c.is_ascii_digit() {
                if !in_number {
                    out.push('N');
                }
                in_number = true;
            } else {
                out.push(c);
                in_number = false;
            }
        }
        *lines.entry(out).or_insert(0) += 1;
    }
    lines
}

fn same_lines(lesson: &str, original: &str, scale: &str) {
    same_lines_but(lesson, original, scale, &[]);
}

/// As [`same_lines`], leaving aside the lines that start with one of
/// `racy`: whether they appear, or what they say, depends on timing, in the
/// original as in the port.
fn same_lines_but(lesson: &str, original: &str, scale: &str, racy: &[&str]) {
    let py = python(original, scale, &[], Duration::from_secs(60));
    let rust = port(&["--time-scale", scale, lesson]);
    assert!(py.clean_success(), "{original}.py: {}", py.describe());
    assert!(rust.clean_success(), "{lesson}: {}", rust.describe());
    let kept = |text: &str| -> String {
        text.lines().filter(|l| !racy.iter().any(|r| l.starts_with(r))).map(|l| format!("{l}\n")).collect()
    };
    assert_eq!(normalised(&kept(&rust.stdout)), normalised(&kept(&py.stdout)), "{lesson} against {original}.py");
}

#[test]
fn spawn_prints_what_the_original_prints() {
    same_lines("spawn", "spawning_processes", "0");
}

#[test]
fn naming_prints_what_the_original_prints() {
    same_lines("naming", "naming_processes", "0");
}

#[test]
fn subclass_prints_what_the_original_prints() {
    same_lines("subclass", "process_in_subclass", "0");
}

#[test]
fn no_daemon_prints_what_the_original_prints() {
    same_lines("no-daemon", "run_background_processes_no_daemons", "0");
}

#[test]
fn terminate_prints_what_the_original_prints() {
    // At the original's pace the child is still counting when the signal
    // lands, so the exit code is -15 in both. Whether the child printed its
    // first lines before the signal depends on timing, in Python as here;
    // whether Python's is_alive, right after terminate, finds the child
    // already dead depends on timing too. The port waits for the death and
    // shows the zombie, then a line of its own with is_alive (which
    // scenarios.rs checks): those lines are left aside.
    same_lines_but(
        "terminate",
        "killing_processes",
        "1",
        &["Process terminated:", "Process collected:", "Starting function", "-->0"],
    );
}

#[test]
fn barrier_prints_what_the_original_prints() {
    same_lines("barrier", "processes_barrier", "0");
}

#[test]
fn pipe_prints_what_the_original_prints() {
    same_lines("pipe", "communicating_with_pipe", "0");
}

#[test]
fn pool_prints_what_the_original_prints() {
    same_lines("pool", "process_pool", "0");
}

#[test]
fn daemon_both_print_every_non_daemon_line_and_never_the_daemons_end() {
    // At the original's pace: the daemon is still in its second's sleep
    // when the parent ends and terminates it.
    let py = python("run_background_processes", "1", &[], Duration::from_secs(60));
    let rust = port(&["--time-scale", "1", "daemon"]);
    for run in [&py, &rust] {
        assert!(run.clean_success(), "{}", run.describe());
        assert!(!run.stdout.contains("Exiting background_process"), "{}", run.describe());
    }
    let non_daemon = |text: &str| -> Vec<String> {
        let mut lines: Vec<String> = text
            .lines()
            .filter(|l| l.contains("NO_background_process") || (5..10).any(|i| l.trim() == format!("---> {i}")))
            .map(str::to_owned)
            .collect();
        lines.sort();
        lines
    };
    assert_eq!(non_daemon(&rust.stdout), non_daemon(&py.stdout));
    assert_eq!(non_daemon(&rust.stdout).len(), 7, "{}", rust.describe());
}

/// The items a queue run appended and popped, by the lines that say so.
fn queue_items(text: &str) -> (Vec<u32>, Vec<u32>) {
    let item = |line: &str, marker: &str| -> Option<u32> {
        line.split(marker).nth(1)?.split_whitespace().next()?.parse().ok()
    };
    let mut appended: Vec<u32> = text.lines().filter_map(|l| item(l, "Process Producer : item ")).collect();
    let mut popped: Vec<u32> = text.lines().filter_map(|l| item(l, "Process Consumer : item ")).collect();
    appended.sort_unstable();
    popped.sort_unstable();
    (appended, popped)
}

#[test]
fn queue_the_original_may_lose_items_the_port_loses_none() {
    let py = python("communicating_with_queue", "0", &[], Duration::from_secs(60));
    assert!(py.clean_success(), "{}", py.describe());
    let (appended, popped) = queue_items(&py.stdout);
    assert_eq!(appended.len(), 10, "{}", py.describe());
    // The original's consumer quits when it first sees the queue empty:
    // what it popped is at most what was appended.
    assert!(popped.iter().all(|p| appended.contains(p)), "{}", py.describe());

    let rust = port(&["--time-scale", "0", "queue"]);
    assert!(rust.clean_success(), "{}", rust.describe());
    let (appended, popped) = queue_items(&rust.stdout);
    assert_eq!(appended.len(), 10, "{}", rust.describe());
    assert_eq!(popped, appended, "every item appended is popped, once: {}", rust.describe());
}

#[test]
fn pool_the_original_hangs_when_a_worker_dies_the_port_reports_the_task() {
    // Python's pool waits forever for the dead worker's result: the time
    // limit ends it.
    let py = python("process_pool", "0", &[("CRASH_AT", "7")], Duration::from_secs(10));
    assert!(py.timed_out, "the original did not hang: {}", py.describe());
    assert!(py.leftovers.is_empty(), "{}", py.describe());

    let rust = port(&["--time-scale", "0", "pool", "--crash-at", "7"]);
    assert!(!rust.timed_out && rust.leftovers.is_empty(), "{}", rust.describe());
    assert_ne!(rust.code(), 0, "{}", rust.describe());
    assert!(rust.stderr.contains("input index 7"), "{}", rust.describe());
}
