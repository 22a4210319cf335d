//! Every solution passes its check, and every exercise as it is in the
//! repository fails it with a message that says what to do: the todo!()
//! to fill and its hint, or (deadlock) the watch's diagnosis.

use std::time::Duration;

use local_procs::supervise::{Outcome, Supervised};

const EXERCISES: [&str; 10] =
    ["pipe", "queue", "pool", "tags", "any-source", "probe", "ring", "nonblocking", "deadlock", "heat"];

fn check(args: &[&str]) -> Outcome {
    Supervised::new(env!("CARGO_BIN_EXE_check-exercise")).args(args).time_limit(Duration::from_secs(180)).run().unwrap()
}

#[test]
fn every_solution_passes() {
    for name in EXERCISES {
        let run = check(&["--solution", name]);
        assert!(run.clean_success(), "{name}: {}", run.describe());
        assert_eq!(run.stdout.trim(), format!("✓ {name}: done"), "{}", run.describe());
    }
}

#[test]
fn every_exercise_as_given_fails_and_says_what_to_do() {
    for name in EXERCISES {
        let run = check(&[name]);
        assert_eq!(run.code(), 1, "{name}: {}", run.describe());
        assert!(run.stdout.starts_with(&format!("✗ {name}: ")), "{}", run.describe());
        if name == "deadlock" {
            assert!(run.stdout.contains("the job hung"), "{}", run.describe());
            assert!(
                run.stdout.contains("mpi-watch: deadlock: rank 0 waits for rank 1 (MPI_Recv, any tag)"),
                "{}",
                run.describe()
            );
            assert!(run.stdout.contains("Let one rank (only one) send first"), "{}", run.describe());
        } else {
            // The todo!() that stopped it, where it is, and what it asks for.
            let place = format!("not done yet: exercises/{name}.rs:");
            assert!(run.stdout.contains(&place), "{}", run.describe());
            let hint = run.stdout.lines().nth(1).unwrap_or_default().trim();
            assert!(hint.len() > 20, "a hint, not just a place: {}", run.describe());
        }
    }
}

#[test]
fn without_a_name_it_stops_at_the_first_exercise_not_done() {
    let run = check(&[]);
    assert_eq!(run.code(), 1, "{}", run.describe());
    assert!(run.stdout.starts_with("✗ pipe: not done yet"), "{}", run.describe());
    assert!(run.stdout.contains("0 of 10 exercises done. Edit exercises/pipe.rs"), "{}", run.describe());
}

#[test]
fn a_name_that_is_no_exercise_is_refused_with_the_list() {
    let run = check(&["rign"]);
    assert_eq!(run.code(), 2, "{}", run.describe());
    assert!(run.stderr.contains("no exercise 'rign'; there are: pipe, queue, pool"), "{}", run.describe());
}

#[test]
fn each_hint_call_shows_the_next_hint_until_the_solution_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let hint = |name: &str| {
        Supervised::new(env!("CARGO_BIN_EXE_check-exercise"))
            .args(["--hint", name])
            .env("HINTS_DIR", dir.path())
            .time_limit(Duration::from_secs(30))
            .run()
            .unwrap()
    };
    for name in EXERCISES {
        let mut seen = Vec::new();
        loop {
            let run = hint(name);
            assert!(run.clean_success(), "{}", run.describe());
            if run.stdout.starts_with("no more hints") {
                assert!(run.stdout.contains(&format!("exercises/solutions/{name}.rs")), "{}", run.describe());
                break;
            }
            assert!(run.stdout.starts_with(&format!("hint {} of ", seen.len() + 1)), "{}", run.describe());
            assert!(!seen.contains(&run.stdout), "the same hint twice: {}", run.describe());
            seen.push(run.stdout.clone());
            assert!(seen.len() <= 10, "hints never end: {}", run.describe());
        }
        assert!(seen.len() >= 2, "{name}: at least two hints, from the idea to the code");
    }
    let none = Supervised::new(env!("CARGO_BIN_EXE_check-exercise"))
        .args(["--hint"])
        .time_limit(Duration::from_secs(30))
        .run()
        .unwrap();
    assert_eq!(none.code(), 2, "{}", none.describe());
    assert!(none.stderr.contains("a hint for which exercise?"), "{}", none.describe());
}
