//! `make check [EXERCISE=NAME]`: run an exercise and say, in plain words,
//! what is right and what is not.
//!
//! Each exercise is a program under `exercises/` with its lesson's key
//! lines left as `todo!()`s. The check runs it (an MPI one with its rank
//! count under `scripts/mpirun --watch`, so a hang is stopped and named; a
//! local one under a time limit), then looks, in this order, for: a
//! `todo!()` reached, a hang, a crash, a wrong exit status, processes left
//! behind, and output other than the lesson's. Without a name it checks the
//! exercises in course order and stops at the first one not yet done.
//! `--solution` checks the solution in `exercises/solutions/` instead.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use local_procs::supervise::{Outcome, Supervised};

/// How an exercise runs.
enum Kind {
    /// On this many MPI ranks, under `scripts/mpirun --watch`.
    Mpi { ranks: u32 },
    /// As a plain program (it starts its own processes).
    Local,
}

/// What its output must be.
enum Expect {
    /// These lines, in this order, and nothing else.
    InOrder(&'static [&'static str]),
    /// These lines, in any order (ranks race), and nothing else.
    AnyOrder(&'static [&'static str]),
    /// A check of its own.
    Custom(fn(&str) -> Result<(), String>),
}

struct Exercise {
    name: &'static str,
    kind: Kind,
    /// Where the lesson is.
    lesson: &'static str,
    expect: Expect,
    /// What to look at when it hangs.
    on_hang: &'static str,
    /// Hints, from the idea to the code: `make hint` shows one more at
    /// each call.
    hints: &'static [&'static str],
}

/// The exercises, in the order of the course.
const EXERCISES: &[Exercise] = &[
    Exercise {
        name: "pipe",
        kind: Kind::Local,
        lesson: "local-procs pipe (crates/local-procs/src/scenarios/pipe.rs)",
        expect: Expect::InOrder(&["0", "1", "4", "9", "16", "25", "36", "49", "64", "81", "End"]),
        on_hang: "A receiver waits until every sending end of its pipe is closed. Does each stage return \
                  (or close its Sender) once it has sent everything? Does stage 2 stop at the end of its input?",
        hints: &[
            "A Sender sends one value at a time, and the reader sees the end of the pipe once every Sender of it is closed: closing is part of sending.",
            "A Receiver is an iterator: `for item in input { ... }` gives each message as a Result, and ends at the end of the pipe.",
            "The parent's `spare` is a Sender of pipe 2 it never uses: `drop(spare)` once stage 2 has started.",
            "The parent's loop: `while let Some(n) = rx2.recv_timeout(Duration::from_secs(10))? { println!(\"{n}\"); }` then `println!(\"End\")`.",
        ],
    },
    Exercise {
        name: "queue",
        kind: Kind::Local,
        lesson: "local-procs queue (crates/local-procs/src/scenarios/queue.rs)",
        expect: Expect::Custom(check_queue),
        on_hang: "A consumer stops only at a None: does each consumer take until it gets one?",
        hints: &[
            "Each consumer loops: take, print, take again; the None that the parent puts, one per consumer, is its signal to stop.",
            "`queue.get_timeout(Duration::from_secs(10))` gives Ok(Some(item)), or Ok(None) for the parent's None (the queue holds Option<u32>).",
            "`while let Some(item) = queue.get_timeout(Duration::from_secs(10)).expect(\"an item\") { println!(\"consumer {c} took {item}\"); }`",
        ],
    },
    Exercise {
        name: "pool",
        kind: Kind::Local,
        lesson: "local-procs pool (crates/local-procs/src/scenarios/pool.rs)",
        expect: Expect::InOrder(&[
            "the first squares: [0, 1, 4, 9, 16]",
            "the sum of the squares of 0 to 999: 332833500",
        ]),
        on_hang: "Does square return? Is the pool closed before it is joined?",
        hints: &[
            "`square` is plain arithmetic; the pool's `map` runs a function on many inputs in its worker processes and returns the results in input order.",
            "`pool.map(square, 0..1000)` returns a Result: `?` passes an error on.",
        ],
    },
    Exercise {
        name: "tags",
        kind: Kind::Mpi { ranks: 2 },
        lesson: "crates/mpi-demos/lessons/tags.md",
        expect: Expect::AnyOrder(&[
            "rank 0 sent \"first\" (tag 1), then \"second\" (tag 2)",
            "rank 1 received \"second\" (tag 2) first",
            "rank 1 received \"first\" (tag 1) second",
        ]),
        on_hang: "A receive waits for a message with its tag: do the tags you ask for exist?",
        hints: &[
            "A receive can ask for a tag: it then takes the first message with that tag, whatever came before it.",
            "`from.receive_vec_with_tag::<u8>(SECOND)` returns the bytes and a Status.",
        ],
    },
    Exercise {
        name: "any-source",
        kind: Kind::Mpi { ranks: 4 },
        lesson: "crates/mpi-demos/lessons/any-source.md",
        expect: Expect::InOrder(&[
            "rank 0 received 9 from rank 3",
            "rank 0 received 4 from rank 2",
            "rank 0 received 1 from rank 1",
            "rank 0 received 14 in all",
        ]),
        on_hang: "Rank 0 receives once from each other rank: does each receive accept any sender?",
        hints: &[
            "MPI_ANY_SOURCE: a receive that accepts a message from any rank takes the first one MPI matches; its Status says who sent it.",
            "`world.any_process()` is that source: `world.any_process().receive::<i32>()` gives the value and a Status.",
            "`let (result, status) = world.any_process().receive::<i32>(); let from = status.source_rank();`",
        ],
    },
    Exercise {
        name: "probe",
        kind: Kind::Mpi { ranks: 2 },
        lesson: "crates/mpi-demos/lessons/probe.md",
        expect: Expect::AnyOrder(&["rank 0 sent 37 integers", "rank 1 received 37 integers, sum 666"]),
        on_hang: "A probe waits for a message from the rank you name: is it rank 0?",
        hints: &[
            "A probe waits until a message's envelope (sender, tag, size) is there, and leaves the message to be received; a matched probe hands you that very message.",
            "`world.process_at_rank(0).matched_probe()` gives (message, status); `status.count(u32::equivalent_datatype())` the number of u32 in it: an i32, negative (MPI_UNDEFINED) if the size is no whole number of them.",
            "`usize::try_from(status.count(u32::equivalent_datatype())).expect(...)`, then `message.matched_receive_into(&mut numbers[..])`.",
        ],
    },
    Exercise {
        name: "ring",
        kind: Kind::Mpi { ranks: 4 },
        lesson: "crates/mpi-demos/lessons/ring.md",
        expect: Expect::AnyOrder(&[
            "rank 0 passes the token 0 to rank 1",
            "rank 1 received the token 0 from rank 0, passes 1 on",
            "rank 2 received the token 1 from rank 1, passes 3 on",
            "rank 3 received the token 3 from rank 2, passes 6 on",
            "rank 0 received the token 6 from rank 3: the sum of all ranks",
        ]),
        on_hang: "Only rank 0 sends before it receives. Every other rank must receive from its left first, \
                  then send to its right; are left and right the right way round?",
        hints: &[
            "Ranks go round: the right of the last rank is rank 0, the left of rank 0 is the last rank. The remainder of a division wraps numbers round.",
            "right: `(rank + 1) % size`; left: `(rank + size - 1) % size` (adding size first keeps it from going below 0).",
            "Every rank but 0 receives before it sends: `let (token, _) = left.receive::<i32>();` then `right.send(&(token + rank));`.",
        ],
    },
    Exercise {
        name: "nonblocking",
        kind: Kind::Mpi { ranks: 2 },
        lesson: "crates/mpi-demos/lessons/nonblocking.md",
        expect: Expect::AnyOrder(&[
            "rank 0 sent 100000 numbers and meanwhile computed pi = 3.1416",
            "rank 0's send was complete before its final wait",
            "rank 1 received 100000 numbers, sum 4999950000, and computed pi = 3.1416",
            "rank 1 had all the numbers before its final wait",
        ]),
        on_hang: "Rank 0 must send to rank 1, and rank 1 receive from rank 0: check the ranks you named.",
        hints: &[
            "An immediate call starts a transfer and returns a request at once; the request is yours to complete, with `wait` (blocks) or `test` (only asks).",
            "`request.test()` consumes the request: Ok(status) when it is complete, Err(request) (the same request, back) when it is not.",
            "In the loop: `if let Some(request) = pending.take() { match request.test() { Ok(_) => done = Some(slice + 1), Err(request) => pending = Some(request) } }`",
            "To start them: `world.process_at_rank(1).immediate_send(scope, &numbers[..])` and `world.process_at_rank(0).immediate_receive_into(scope, &mut numbers[..])`.",
        ],
    },
    Exercise {
        name: "deadlock",
        kind: Kind::Mpi { ranks: 2 },
        lesson: "crates/mpi-demos/lessons/deadlock.md",
        expect: Expect::AnyOrder(&[
            "rank 0 sent 100 to rank 1",
            "rank 1 received 100 from rank 0",
            "rank 1 sent 101 to rank 0",
            "rank 0 received 101 from rank 1",
        ]),
        on_hang: "Each rank receives before it sends, so each waits for the other. Let one rank (only one) \
                  send first, and receive after.",
        hints: &[
            "Run the check and read the watch's verdict: who waits for whom, in which call.",
            "Both ranks receive first. If one of them sends first and receives after, the other's receive is answered.",
        ],
    },
    Exercise {
        name: "heat",
        kind: Kind::Mpi { ranks: 4 },
        lesson: "crates/mpi-demos/lessons/heat.md",
        expect: Expect::InOrder(&[
            "heat: at 1/4, 1/2 and 3/4 of the rod: 0.312501 0.044432 0.002612",
            "heat: the same as one process computing alone",
        ]),
        on_hang: "Every rank sends and receives at each step; with two separate calls, a send to the \
                  left then a receive from the right, every rank may wait in its send for the others \
                  (MPI lets a standard send wait until its receive is posted). Which single call does both at once?",
        hints: &[
            "Each rank needs, before each step, its left neighbour's last point and its right neighbour's first point, and they need its edges in return.",
            "`send_receive_into_with_tags(&value, &destination, tag, &mut place, &source, tag)` sends and receives in one call, so that no rank waits for another to receive first.",
            "A Neighbour that is nobody (MPI_PROC_NULL) makes the call do nothing for that side: the ghost keeps the end's temperature.",
            "`let (first, last) = (u[1], u[n]);` then one call sending `first` to `left` into `u[n + 1]` from `right` (tag TO_LEFT), and one sending `last` to `right` into `u[0]` from `left` (tag TO_RIGHT).",
        ],
    },
];

/// Every item put (0..50 and 1000..1050) taken once, then `all done`.
fn check_queue(stdout: &str) -> Result<(), String> {
    let mut taken: Vec<u32> = Vec::new();
    let mut other = Vec::new();
    for line in stdout.lines() {
        match line.split_once(" took ").filter(|(who, _)| who.starts_with("consumer ")) {
            Some((_, item)) => match item.parse() {
                Ok(item) => taken.push(item),
                Err(_) => other.push(line),
            },
            None if line == "all done" => {}
            None => other.push(line),
        }
    }
    let put: Vec<u32> = (0..50).chain(1000..1050).collect();
    let lost: Vec<u32> = put.iter().copied().filter(|item| !taken.contains(item)).collect();
    let mut twice: Vec<u32> =
        taken.iter().copied().filter(|item| taken.iter().filter(|t| *t == item).count() > 1).collect();
    twice.dedup();
    let mut problems = Vec::new();
    if !lost.is_empty() {
        problems.push(format!(
            "{} of the 100 items put were never taken: {lost:?}. A consumer that stops before its None loses \
             what is still to come.",
            lost.len()
        ));
    }
    if !twice.is_empty() {
        problems.push(format!("items taken twice: {twice:?}"));
    }
    if !other.is_empty() {
        problems.push(format!("lines that are not `consumer C took ITEM`: {other:?}"));
    }
    if !stdout.lines().any(|line| line == "all done") {
        problems.push("the parent never printed `all done`".into());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("exercises/ is in the workspace").to_owned()
}

/// Run one exercise (or its solution); `Err` says what is wrong.
fn check(exercise: &Exercise, solution: bool) -> Result<(), String> {
    let binary = std::env::current_exe()
        .map_err(|e| format!("cannot find this program: {e}"))?
        .with_file_name(format!("{}-{}", if solution { "solution" } else { "exercise" }, exercise.name));
    if !binary.exists() {
        return Err(format!("{} is not built: run it through `make check`", binary.display()));
    }
    let source = if solution {
        format!("exercises/solutions/{}.rs", exercise.name)
    } else {
        format!("exercises/{}.rs", exercise.name)
    };
    let run = match exercise.kind {
        Kind::Mpi { ranks } => Supervised::new(workspace().join("scripts/mpirun"))
            .args([
                OsStr::new("--watch"),
                OsStr::new("5"),
                OsStr::new("-np"),
                OsStr::new(&ranks.to_string()),
                binary.as_os_str(),
            ])
            .time_limit(Duration::from_secs(90)),
        Kind::Local => Supervised::new(&binary).time_limit(Duration::from_secs(20)),
    }
    .current_dir(workspace())
    .run()
    .map_err(|e| format!("cannot run {}: {e}", binary.display()))?;
    verdict(exercise, &source, &run)
}

fn verdict(exercise: &Exercise, source: &str, run: &Outcome) -> Result<(), String> {
    let mut lines = run.stderr.lines();
    while let Some(line) = lines.next() {
        // thread 'main' panicked at exercises/ring.rs:23:38:
        // not yet implemented: the rank on the right: ...
        if let Some(place) = line.split(" panicked at ").nth(1) {
            let message = lines.next().unwrap_or_default();
            let place = place.trim_end_matches(':');
            if let Some(hint) = message.strip_prefix("not yet implemented: ") {
                let at = place.rsplit_once(':').map_or(place, |(file_line, _column)| file_line);
                return Err(format!("not done yet: {at} asks for\n    {hint}"));
            }
            if message == "not yet implemented" {
                return Err(format!("not done yet: {place} is a todo!()"));
            }
            return Err(format!("it crashed at {place}:\n    {message}\n{}", tail(&run.stderr)));
        }
    }
    let watch: Vec<&str> = run.stderr.lines().filter(|line| line.starts_with("mpi-watch: ")).collect();
    if !watch.is_empty() {
        return Err(format!(
            "the job hung, and the watch stopped it. It says:\n{}\n{}",
            watch.iter().map(|line| format!("    {line}")).collect::<Vec<_>>().join("\n"),
            exercise.on_hang
        ));
    }
    if run.timed_out {
        return Err(format!(
            "it did not end within {:.0} s, and was stopped. {}\nWhat it printed:\n{}",
            run.elapsed.as_secs_f64(),
            exercise.on_hang,
            indent(&run.stdout)
        ));
    }
    if !run.status.success() {
        return Err(format!("it ended with exit code {}:\n{}", run.code(), tail(&run.stderr)));
    }
    if !run.leftovers.is_empty() {
        return Err(format!("it left processes running after its end: {:?}", run.leftovers));
    }
    let printed: Vec<&str> = run.stdout.lines().collect();
    let text = match &exercise.expect {
        Expect::Custom(check) => return check(&run.stdout).map_err(|text| see(text, source, exercise)),
        Expect::InOrder(expected) if printed == *expected => return Ok(()),
        Expect::InOrder(expected) | Expect::AnyOrder(expected) => {
            let (missing, extra) = difference(expected, &printed);
            if missing.is_empty() && extra.is_empty() {
                match exercise.expect {
                    Expect::AnyOrder(_) => return Ok(()),
                    _ => format!(
                        "its output is not the lesson's.\n  The lines are right but their order is not:\n{}",
                        indent(&run.stdout)
                    ),
                }
            } else {
                let mut text = String::from("its output is not the lesson's.");
                for (title, lines) in [("missing", missing), ("not expected", extra)] {
                    if !lines.is_empty() {
                        text += &format!("\n  {title}:\n{}", indent(&lines.join("\n")));
                    }
                }
                text
            }
        }
    };
    Err(see(text, source, exercise))
}

/// What is wrong, and where to look.
fn see(text: String, source: &str, exercise: &Exercise) -> String {
    format!("{text}\n(see {source}, and the lesson: {})", exercise.lesson)
}

/// The lines of `expected` that `got` lacks, and those it has too many
/// times or that are not expected at all: as multisets, since a line
/// printed twice is as wrong as a line missing.
fn difference<'a>(expected: &[&'a str], got: &[&'a str]) -> (Vec<&'a str>, Vec<&'a str>) {
    let count = |lines: &[&str], line: &str| lines.iter().filter(|l| **l == line).count();
    let mut missing = Vec::new();
    for line in expected {
        if count(got, line) < count(expected, line) && !missing.contains(line) {
            missing.push(*line);
        }
    }
    let mut extra = Vec::new();
    for line in got {
        if count(got, line) > count(expected, line) && !extra.contains(line) {
            extra.push(*line);
        }
    }
    (missing, extra)
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("    {line}")).collect::<Vec<_>>().join("\n")
}

/// The last lines of stderr, without the launcher's own chatter.
fn tail(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.starts_with("+ ") && !l.starts_with("mpirun: ")).collect();
    indent(&lines[lines.len().saturating_sub(12)..].join("\n"))
}

/// `--hint NAME`: the next hint of an exercise (the count of hints shown
/// is kept in `target/hints/NAME`, or under `$HINTS_DIR`; delete it to
/// start over).
fn hint(exercise: &Exercise) -> ExitCode {
    let dir = std::env::var_os("HINTS_DIR").map_or_else(|| workspace().join("target/hints"), PathBuf::from);
    let file = dir.join(exercise.name);
    let shown: usize = std::fs::read_to_string(&file).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0);
    let total = exercise.hints.len();
    match exercise.hints.get(shown) {
        Some(text) => {
            println!("hint {} of {total} for {}:\n{}", shown + 1, exercise.name, indent(text));
            if let Err(e) = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&file, (shown + 1).to_string()))
            {
                eprintln!("check-exercise: cannot keep count of hints in {}: {e}", file.display());
            }
            if shown + 1 < total {
                println!("(`make hint EXERCISE={}` again for the next one)", exercise.name);
            }
        }
        None => println!(
            "no more hints for {}: its solution is exercises/solutions/{}.rs \
             (`make check EXERCISE={} SOLUTION=1` runs it; delete target/hints/{} to see the hints again)",
            exercise.name, exercise.name, exercise.name, exercise.name
        ),
    }
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let mut solution = false;
    let mut want_hint = false;
    let mut name = None;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--solution" => solution = true,
            "--hint" => want_hint = true,
            "-h" | "--help" => {
                println!("Usage: check-exercise [--solution] [NAME]\n       check-exercise --hint NAME\nExercises, in order:");
                for exercise in EXERCISES {
                    println!("  {:<12} {}", exercise.name, exercise.lesson);
                }
                return ExitCode::SUCCESS;
            }
            other if name.is_none() && !other.starts_with('-') => name = Some(other.to_owned()),
            other => {
                eprintln!("check-exercise: error: unexpected '{other}' (see --help)");
                return ExitCode::from(2);
            }
        }
    }
    if want_hint {
        let Some(exercise) = name.as_deref().and_then(|name| EXERCISES.iter().find(|e| e.name == name)) else {
            let names: Vec<&str> = EXERCISES.iter().map(|e| e.name).collect();
            eprintln!(
                "check-exercise: error: a hint for which exercise? make hint EXERCISE=NAME, one of: {}",
                names.join(", ")
            );
            return ExitCode::from(2);
        };
        return hint(exercise);
    }
    let chosen: Vec<&Exercise> = match &name {
        Some(name) => match EXERCISES.iter().find(|e| e.name == name) {
            Some(exercise) => vec![exercise],
            None => {
                let names: Vec<&str> = EXERCISES.iter().map(|e| e.name).collect();
                eprintln!("check-exercise: error: no exercise '{name}'; there are: {}", names.join(", "));
                return ExitCode::from(2);
            }
        },
        None => EXERCISES.iter().collect(),
    };
    for (done, exercise) in chosen.iter().enumerate() {
        match check(exercise, solution) {
            Ok(()) => println!("✓ {}: done", exercise.name),
            Err(why) => {
                println!("✗ {}: {why}", exercise.name);
                if name.is_none() {
                    println!(
                        "\n{done} of {} exercises done. Edit exercises/{}.rs, then `make check` again.",
                        EXERCISES.len(),
                        exercise.name
                    );
                }
                return ExitCode::FAILURE;
            }
        }
    }
    if name.is_none() {
        println!("\nAll {} exercises done.", EXERCISES.len());
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::ExitStatusExt;
    use std::process::ExitStatus;

    use super::*;

    fn outcome(stdout: &str, stderr: &str) -> Outcome {
        Outcome {
            status: ExitStatus::from_raw(0),
            stdout: stdout.into(),
            stderr: stderr.into(),
            timed_out: false,
            leftovers: Vec::new(),
            elapsed: Duration::from_millis(10),
        }
    }

    fn exercise(name: &str) -> &'static Exercise {
        EXERCISES.iter().find(|e| e.name == name).unwrap()
    }

    #[test]
    fn wrong_lines_are_named_missing_and_not_expected() {
        let run = outcome(
            "rank 0 sent \"first\" (tag 1), then \"second\" (tag 2)\nrank 1 received \"first\" (tag 1) first\nrank 1 received \"second\" (tag 2) second\n",
            "",
        );
        let why = verdict(exercise("tags"), "exercises/tags.rs", &run).unwrap_err();
        assert!(why.contains("missing:\n    rank 1 received \"second\" (tag 2) first"), "{why}");
        assert!(why.contains("not expected:\n    rank 1 received \"first\" (tag 1) first"), "{why}");
        assert!(why.contains("(see exercises/tags.rs, and the lesson: crates/mpi-demos/lessons/tags.md)"), "{why}");
    }

    #[test]
    fn a_line_printed_twice_is_named_as_not_expected() {
        let run = outcome(
            "rank 0 sent \"first\" (tag 1), then \"second\" (tag 2)\nrank 1 received \"second\" (tag 2) first\nrank 1 received \"second\" (tag 2) first\nrank 1 received \"first\" (tag 1) second\n",
            "",
        );
        let why = verdict(exercise("tags"), "exercises/tags.rs", &run).unwrap_err();
        assert!(why.contains("not expected:\n    rank 1 received \"second\" (tag 2) first"), "{why}");
        assert!(!why.contains("missing"), "{why}");
    }

    #[test]
    fn right_lines_in_the_wrong_order_are_called_so() {
        let lines = ["1", "0", "4", "9", "16", "25", "36", "49", "64", "81", "End"].join("\n");
        let why = verdict(exercise("pipe"), "exercises/pipe.rs", &outcome(&lines, "")).unwrap_err();
        assert!(why.contains("The lines are right but their order is not"), "{why}");
    }

    #[test]
    fn a_consumer_that_quits_early_loses_items_and_is_told() {
        let mut stdout: String = (0..50).map(|i| format!("consumer 0 took {i}\n")).collect();
        stdout += &(1000..1047).map(|i| format!("consumer 1 took {i}\n")).collect::<String>();
        stdout += "all done\n";
        let why = verdict(exercise("queue"), "exercises/queue.rs", &outcome(&stdout, "")).unwrap_err();
        assert!(why.contains("3 of the 100 items put were never taken: [1047, 1048, 1049]"), "{why}");
    }

    #[test]
    fn a_crash_that_is_no_todo_shows_where_and_why() {
        let stderr =
            "thread 'main' panicked at exercises/ring.rs:23:38:\nassertion failed: 0 <= r && r < self.target_size()\n";
        let why = verdict(exercise("ring"), "exercises/ring.rs", &outcome("", stderr)).unwrap_err();
        assert!(why.starts_with("it crashed at exercises/ring.rs:23:38:\n    assertion failed"), "{why}");
    }

    #[test]
    fn a_local_exercise_out_of_time_says_what_to_look_at() {
        let mut run = outcome("0\n1\n", "");
        run.timed_out = true;
        run.status = ExitStatus::from_raw(9);
        let why = verdict(exercise("pipe"), "exercises/pipe.rs", &run).unwrap_err();
        assert!(why.contains("did not end within") && why.contains("every sending end of its pipe is closed"), "{why}");
    }
}
