//! Every lesson page's commands, run under the real mpirun, must print what
//! the page says they print, so the pages cannot drift from the programs.
//!
//! A page's ```sh block is a command; the ```text block after it is its
//! expected stdout, compared as a set of lines (ranks race), where `[..]`
//! stands for any text. A block marked ```text stderr is instead expected
//! among stderr's lines, with a zero exit; ```text stderr-fails the same
//! with a non-zero exit. Commands launch through `scripts/mpirun` or draw
//! with `target/release/trace-svg`; `target/release/NAME` is this build's
//! binary, `python3` the python with mpi4py for this build's MPI, and
//! `target/lessons/` a scratch folder of the test's own.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use local_procs::supervise::{Outcome, Supervised};
use support::workspace;

/// The test build of a program a page names.
fn binary(name: &str) -> PathBuf {
    let lesson = match name {
        "p2p" => env!("CARGO_BIN_EXE_p2p"),
        "tags" => env!("CARGO_BIN_EXE_tags"),
        "any-source" => env!("CARGO_BIN_EXE_any-source"),
        "probe" => env!("CARGO_BIN_EXE_probe"),
        "ring" => env!("CARGO_BIN_EXE_ring"),
        "nonblocking" => env!("CARGO_BIN_EXE_nonblocking"),
        "typed" => env!("CARGO_BIN_EXE_typed"),
        "deadlock" => env!("CARGO_BIN_EXE_deadlock"),
        "send-modes" => env!("CARGO_BIN_EXE_send-modes"),
        "heat" => env!("CARGO_BIN_EXE_heat"),
        "trace-svg" => return support::sibling("trace-svg"),
        other => panic!("a page runs an unknown program: {other}"),
    };
    PathBuf::from(lesson)
}

/// A command from a page and what it must print.
struct Example {
    command: Vec<String>,
    expected: Vec<String>,
    /// Where the expected lines are: stdout (all of it), or among stderr's.
    on_stderr: bool,
    fails: bool,
}

/// The (```sh, ```text) pairs of a page.
fn examples(page: &str) -> Vec<Example> {
    let mut examples = Vec::new();
    let mut command: Option<Vec<String>> = None;
    let mut lines = page.lines();
    while let Some(line) = lines.next() {
        let Some(info) = line.strip_prefix("```") else { continue };
        let body: Vec<String> = lines.by_ref().take_while(|l| !l.starts_with("```")).map(str::to_owned).collect();
        match info.trim() {
            "sh" => command = Some(body.join(" ").split_whitespace().map(str::to_owned).collect()),
            "text" | "text stderr" | "text stderr-fails" => {
                let command = command.take().expect("an expected output follows its command");
                let (on_stderr, fails) = (info.contains("stderr"), info.contains("fails"));
                examples.push(Example { command, expected: body, on_stderr, fails });
            }
            _ => {}
        }
    }
    examples
}

/// Does `actual` match `expected`, where `[..]` in `expected` stands for any text?
fn matches(expected: &str, actual: &str) -> bool {
    let parts: Vec<&str> = expected.split("[..]").collect();
    if parts.len() == 1 {
        return expected == actual;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !actual.starts_with(first) || !actual[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &actual[first.len()..actual.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

/// Pair every expected line with a distinct actual line; exact lines first.
/// Returns the expected lines that found no partner.
fn unmatched<'a>(expected: &'a [String], actual: &[&str]) -> Vec<&'a str> {
    let mut used = vec![false; actual.len()];
    let mut missing = Vec::new();
    let (exact, wild): (Vec<&String>, Vec<&String>) = expected.iter().partition(|e| !e.contains("[..]"));
    for line in exact.into_iter().chain(wild) {
        match (0..actual.len()).find(|&i| !used[i] && matches(line, actual[i])) {
            Some(i) => used[i] = true,
            None => missing.push(line.as_str()),
        }
    }
    missing
}

/// Run a page's command with this build's programs, and scratch files in `scratch`.
fn run(example: &Example, scratch: &Path) -> Outcome {
    let scratch_text = scratch.to_str().unwrap();
    let mut words = example.command.iter().map(|word| {
        if let Some(name) = word.strip_prefix("target/release/") {
            binary(name).to_str().unwrap().to_owned()
        } else if word == "python3" {
            support::python().to_str().unwrap().to_owned()
        } else {
            word.replace("target/lessons", scratch_text)
        }
    });
    let program = words.next().expect("a command");
    assert!(
        program.ends_with("/scripts/mpirun") || program == "scripts/mpirun" || program.ends_with("/trace-svg"),
        "pages launch through scripts/mpirun or draw with trace-svg: {program}"
    );
    let program = if program == "scripts/mpirun" { workspace().join(program) } else { PathBuf::from(program) };
    let args: Vec<String> = words.collect();
    let mut out = Supervised::new(program)
        .args(&args)
        .env("MPI_WATCH_LIB", support::layer())
        .current_dir(workspace())
        .time_limit(Duration::from_secs(90))
        .run()
        .unwrap();
    out.stdout = out.stdout.replace(scratch_text, "target/lessons");
    out.stderr = out.stderr.replace(scratch_text, "target/lessons");
    out
}

fn check_page(name: &str) {
    let path = workspace().join("crates/mpi-demos/lessons").join(format!("{name}.md"));
    let page = std::fs::read_to_string(&path).unwrap();
    let examples = examples(&page);
    assert!(!examples.is_empty(), "{} has no command with its output", path.display());
    let scratch = tempfile::tempdir().unwrap();
    for example in &examples {
        let out = run(example, scratch.path());
        let context = format!("{}: `{}`\n{}", path.display(), example.command.join(" "), out.describe());
        assert!(!out.timed_out && out.leftovers.is_empty(), "{context}");
        if example.fails {
            assert_ne!(out.code(), 0, "{context}");
        } else {
            assert_eq!(out.code(), 0, "{context}");
        }
        let text = if example.on_stderr { &out.stderr } else { &out.stdout };
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(unmatched(&example.expected, &lines), Vec::<&str>::new(), "{context}");
        if !example.on_stderr {
            assert_eq!(lines.len(), example.expected.len(), "extra lines: {context}");
        }
    }
}

#[test]
fn page_p2p() {
    check_page("p2p");
}

#[test]
fn page_heat() {
    check_page("heat");
}

#[test]
fn page_tags() {
    check_page("tags");
}

#[test]
fn page_any_source() {
    check_page("any-source");
}

#[test]
fn page_probe() {
    check_page("probe");
}

#[test]
fn page_ring() {
    check_page("ring");
}

#[test]
fn page_nonblocking() {
    check_page("nonblocking");
}

#[test]
fn page_typed() {
    check_page("typed");
}

#[test]
fn page_deadlock() {
    check_page("deadlock");
}

#[test]
fn page_send_modes() {
    check_page("send-modes");
}

#[test]
fn every_lesson_has_a_page_in_the_index() {
    let dir = workspace().join("crates/mpi-demos/lessons");
    let index = std::fs::read_to_string(dir.join("README.md")).unwrap();
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".md").filter(|s| *s != "README") {
            assert!(index.contains(&format!("]({stem}.md)")), "{stem}.md is not in the index");
            binary(stem); // and the program exists
            let figure = dir.join("figures").join(format!("{stem}.svg"));
            assert!(figure.exists(), "{stem}.md has no diagram: run `make lessons`");
            let page = std::fs::read_to_string(entry.path()).unwrap();
            assert!(page.contains(&format!("(figures/{stem}.svg)")), "{stem}.md does not show its diagram");
        }
    }
}

#[test]
fn the_wildcard_matcher_matches_what_it_should() {
    assert!(matches("a [..] c", "a b c"));
    assert!(matches("a [..] c [..]", "a b c d"));
    assert!(!matches("a [..] c", "a b d"));
    assert!(!matches("a", "ab"));
    let expected = vec!["x [..]".to_owned(), "x 1".to_owned()];
    assert_eq!(unmatched(&expected, &["x 2", "x 1"]), Vec::<&str>::new());
    assert_eq!(unmatched(&expected, &["x 1"]), vec!["x [..]"]);
}
