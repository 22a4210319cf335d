//! p2p under the real mpirun, through the wrapper a learner uses: the two
//! messages arrive, wrong launches fail fast with one clear message, and no
//! process is left behind. Every run has a time limit, so a hang fails.

use std::path::PathBuf;
use std::time::Duration;

use local_procs::supervise::{Outcome, Supervised};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn mpirun(args: &[&str]) -> Outcome {
    Supervised::new(workspace().join("scripts/mpirun"))
        .args(args)
        .current_dir(workspace())
        .time_limit(Duration::from_secs(60))
        .run()
        .expect("scripts/mpirun starts")
}

const P2P: &str = env!("CARGO_BIN_EXE_p2p");

/// The advice p2p gives: the command for the binary as it was started,
/// relative to the folder it runs in (the workspace, here).
fn launch_advice() -> String {
    let path = std::path::Path::new(P2P);
    let shown = path.strip_prefix(workspace()).unwrap_or(path);
    format!("launch it with `mpirun -np 9 {}`", shown.display())
}

#[test]
fn nine_ranks_deliver_both_messages() {
    let run = mpirun(&["-np", "9", P2P]);
    assert!(run.clean_success(), "{}", run.describe());
    let lines = run.sorted_lines();
    assert!(lines.contains(&"rank 4 received 10000000 from rank 0"), "{}", run.describe());
    assert!(lines.contains(&"rank 8 received \"hello\" from rank 1"), "{}", run.describe());
    // Each message arrives once.
    assert_eq!(run.stdout.matches("received").count(), 2, "{}", run.describe());
    // The wrapper shows the command it runs.
    assert!(run.stderr.contains("+ ") && run.stderr.contains("-np 9"), "{}", run.describe());
}

#[test]
fn extra_ranks_idle() {
    let run = mpirun(&["-np", "11", P2P]);
    assert!(run.clean_success(), "{}", run.describe());
    assert_eq!(run.stdout.matches("received").count(), 2, "{}", run.describe());
}

#[test]
fn show_hosts_prints_one_line_per_rank() {
    let run = mpirun(&["-np", "9", P2P, "--show-hosts"]);
    assert!(run.clean_success(), "{}", run.describe());
    for rank in 0..9 {
        let prefix = format!("rank {rank} on ");
        assert_eq!(run.stdout.lines().filter(|l| l.starts_with(&prefix)).count(), 1, "{}", run.describe());
    }
}

#[test]
fn too_few_ranks_fail_fast_with_one_message() {
    for np in ["1", "4", "8"] {
        let run = mpirun(&["-np", np, P2P]);
        assert!(!run.timed_out && run.leftovers.is_empty(), "{}", run.describe());
        assert_ne!(run.code(), 0, "{}", run.describe());
        assert!(run.elapsed < Duration::from_secs(20), "{}", run.describe());
        let message = format!("error: p2p: started with {np} rank");
        assert_eq!(run.stderr.matches(&message).count(), 1, "{}", run.describe());
        assert!(run.stderr.contains(&launch_advice()), "{}", run.describe());
        assert!(!run.stdout.contains("received"), "{}", run.describe());
    }
}

#[test]
fn started_without_mpirun_says_how_to_launch() {
    let run = Supervised::new(P2P)
        .current_dir(workspace())
        .env_remove("OMPI_COMM_WORLD_SIZE")
        .env_remove("PMI_RANK")
        .env_remove("PMI_SIZE")
        .env_remove("PMIX_RANK")
        .time_limit(Duration::from_secs(20))
        .run()
        .unwrap();
    assert_eq!(run.code(), 2, "{}", run.describe());
    assert!(run.stderr.contains("started without mpirun"), "{}", run.describe());
    assert!(run.stderr.contains(&launch_advice()), "{}", run.describe());
    assert!(run.leftovers.is_empty(), "{}", run.describe());
}

#[test]
fn an_unknown_option_is_refused_before_mpi_starts() {
    let run = Supervised::new(P2P).args(["--timeout", "3"]).time_limit(Duration::from_secs(20)).run().unwrap();
    assert_eq!(run.code(), 2, "{}", run.describe());
    assert!(run.stderr.contains("unexpected argument '--timeout'"), "{}", run.describe());
}
