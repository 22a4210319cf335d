//! Every lesson page's commands, run under the real mpirun, must print what
//! the page says they print, so the pages cannot drift from the programs.
//!
//! A page's ```sh block is a command; the ```text block after it is its
//! expected stdout, compared as a set of lines (ranks race), where `[..]`
//! stands for any text. A block marked ```text stderr-fails is instead
//! expected among stderr's lines, with a non-zero exit.
//!
//! Also here: the message trace of p2p, drawn as SVG and parsed back.

use std::path::{Path, PathBuf};
use std::time::Duration;

use local_procs::supervise::{Outcome, Supervised};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// The test build of a lesson, by the name its page uses.
fn binary(name: &str) -> &'static str {
    match name {
        "p2p" => env!("CARGO_BIN_EXE_p2p"),
        "tags" => env!("CARGO_BIN_EXE_tags"),
        "any-source" => env!("CARGO_BIN_EXE_any-source"),
        "probe" => env!("CARGO_BIN_EXE_probe"),
        "ring" => env!("CARGO_BIN_EXE_ring"),
        "nonblocking" => env!("CARGO_BIN_EXE_nonblocking"),
        "typed" => env!("CARGO_BIN_EXE_typed"),
        "deadlock" => env!("CARGO_BIN_EXE_deadlock"),
        "send-modes" => env!("CARGO_BIN_EXE_send-modes"),
        other => panic!("a page runs an unknown program: {other}"),
    }
}

/// A command from a page and what it must print.
struct Example {
    command: Vec<String>,
    expected: Vec<String>,
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
            "text" | "text stderr-fails" => {
                let command = command.take().expect("an expected output follows its command");
                examples.push(Example { command, expected: body, fails: info.contains("stderr-fails") });
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

fn run(example: &Example) -> Outcome {
    let mut words = example.command.iter();
    let launcher = words.next().expect("a command");
    assert_eq!(launcher, "scripts/mpirun", "pages launch through scripts/mpirun");
    let args: Vec<String> = words
        .map(|w| match w.strip_prefix("target/release/") {
            Some(name) => binary(name).to_owned(),
            None => w.clone(),
        })
        .collect();
    Supervised::new(workspace().join(launcher))
        .args(&args)
        .current_dir(workspace())
        .time_limit(Duration::from_secs(90))
        .run()
        .unwrap()
}

fn check_page(name: &str) {
    let path = workspace().join("crates/mpi-demos/lessons").join(format!("{name}.md"));
    let page = std::fs::read_to_string(&path).unwrap();
    let examples = examples(&page);
    assert!(!examples.is_empty(), "{} has no command with its output", path.display());
    for example in &examples {
        let out = run(example);
        let context = format!("{}: `{}`\n{}", path.display(), example.command.join(" "), out.describe());
        assert!(!out.timed_out && out.leftovers.is_empty(), "{context}");
        if example.fails {
            assert_ne!(out.code(), 0, "{context}");
            let lines: Vec<&str> = out.stderr.lines().collect();
            assert_eq!(unmatched(&example.expected, &lines), Vec::<&str>::new(), "{context}");
        } else {
            assert_eq!(out.code(), 0, "{context}");
            let lines: Vec<&str> = out.stdout.lines().collect();
            assert_eq!(unmatched(&example.expected, &lines), Vec::<&str>::new(), "{context}");
            assert_eq!(lines.len(), example.expected.len(), "extra lines: {context}");
        }
    }
}

#[test]
fn page_p2p() {
    check_page("p2p");
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

fn svg_of_trace(trace: &Path, svg: &Path) -> String {
    let out = Supervised::new(env!("CARGO_BIN_EXE_trace-svg"))
        .args([trace.as_os_str(), svg.as_os_str(), "--ranks".as_ref(), "9".as_ref()])
        .time_limit(Duration::from_secs(30))
        .run()
        .unwrap();
    assert!(out.clean_success(), "{}", out.describe());
    std::fs::read_to_string(svg).unwrap()
}

#[test]
fn the_p2p_trace_draws_nine_lifelines_and_both_messages() {
    let dir = tempfile::tempdir().unwrap();
    let (trace, svg) = (dir.path().join("p2p.jsonl"), dir.path().join("p2p.svg"));
    let out = run(&Example {
        command: ["scripts/mpirun", "-np", "9", "target/release/p2p", "--trace", trace.to_str().unwrap()]
            .map(String::from)
            .to_vec(),
        expected: Vec::new(),
        fails: false,
    });
    assert!(out.clean_success(), "{}", out.describe());
    let events = mpi_demos::trace::decode(&std::fs::read(&trace).unwrap()).unwrap();
    assert_eq!(events.len(), 4, "two sends and two receives: {events:?}");

    let text = svg_of_trace(&trace, &svg);
    let doc = roxmltree::Document::parse(&text).expect("the SVG is well-formed XML");
    let class = |node: &roxmltree::Node, name: &str| node.attribute("class") == Some(name);
    let lifelines: Vec<&str> =
        doc.descendants().filter(|n| class(n, "lifeline")).filter_map(|n| n.attribute("data-rank")).collect();
    assert_eq!(lifelines, ["0", "1", "2", "3", "4", "5", "6", "7", "8"]);
    let mut arrows: Vec<(&str, &str, &str)> = doc
        .descendants()
        .filter(|n| class(n, "message"))
        .map(|n| {
            (n.attribute("data-from").unwrap(), n.attribute("data-to").unwrap(), n.attribute("data-bytes").unwrap())
        })
        .collect();
    arrows.sort();
    assert_eq!(arrows, [("0", "4", "4"), ("1", "8", "5")]);
}
