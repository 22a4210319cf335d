//! What the MPI tests share: the workspace, the wrapper, the profiling
//! layer's programs in C and Python.

#![allow(dead_code)] // each test file uses its own part

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use local_procs::supervise::{Outcome, Supervised};

pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// Is this build for MPICH (`MPI=mpich`)?
pub fn mpich() -> bool {
    std::env::var("MPI").is_ok_and(|mpi| mpi == "mpich")
}

/// `scripts/mpirun ARGS`, from the workspace, with a time limit, and this
/// build's profiling layer for `--trace` and `--watch`.
pub fn mpirun(args: &[&str], limit: Duration) -> Outcome {
    Supervised::new(workspace().join("scripts/mpirun"))
        .args(args)
        .env("MPI_WATCH_LIB", layer())
        .current_dir(workspace())
        .time_limit(limit)
        .run()
        .expect("scripts/mpirun starts")
}

/// This build's profiling layer: the one a program that is not ours (C,
/// Python) must be given, as it has no build folder beside it.
pub fn layer() -> PathBuf {
    sibling("libmpiwatch.so")
}

/// The folder of this build's binaries, where `cargo build --workspace`
/// also puts the profiling layer and `trace-svg`.
pub fn build_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_p2p")).parent().unwrap().to_owned()
}

/// A binary of another crate of the workspace, built beside this one's.
pub fn sibling(name: &str) -> PathBuf {
    let path = build_dir().join(name);
    assert!(path.exists(), "{} is not built: run `cargo build --workspace` (make test does)", path.display());
    path
}

/// The C programs that hang (tests/programs/hang.c), built once with the MPI's mpicc.
pub fn c_hang() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| c_program(&workspace().join("crates/mpi-demos/tests/programs/hang.c")))
}

/// A C program built with this MPI's mpicc (with threads, optimised), into
/// this build's folder, named after its source.
pub fn c_program(source: &Path) -> PathBuf {
    let name = source.file_stem().unwrap().to_str().unwrap().replace('_', "-");
    let out = build_dir().join(format!("c-{name}"));
    let mpicc = std::env::var("MPICC").unwrap_or_else(|_| if mpich() { "mpicc.mpich" } else { "mpicc.openmpi" }.into());
    let run = Supervised::new(&mpicc)
        .args([source.as_os_str(), "-O2".as_ref(), "-pthread".as_ref(), "-o".as_ref(), out.as_os_str()])
        .time_limit(Duration::from_secs(60))
        .run()
        .unwrap();
    assert!(run.clean_success(), "{mpicc} could not build {}: {}", source.display(), run.describe());
    out
}

/// The python of a virtual environment with mpi4py for this build's MPI
/// (scripts/mpi4py-env: built once, a few minutes; `make test` does it first).
pub fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let run =
            Supervised::new(workspace().join("scripts/mpi4py-env")).time_limit(Duration::from_secs(900)).run().unwrap();
        assert!(run.clean_success(), "no mpi4py for this MPI: {}", run.describe());
        PathBuf::from(run.stdout.trim())
    })
}

pub fn programs() -> PathBuf {
    workspace().join("crates/mpi-demos/tests/programs")
}

/// Where the tests that need root note whether they ran (`make test`
/// prints the count, and every reason for a skip, at the end).
pub fn root_tests_report() -> PathBuf {
    build_dir().join("root-tests.txt")
}

fn note(line: &str) {
    use std::io::Write;
    let file = std::fs::OpenOptions::new().create(true).append(true).open(root_tests_report());
    if let Ok(mut file) = file {
        let _ = file.write_all(format!("{line}\n").as_bytes());
    }
}

/// A test that needs root (or a machine without a cluster up) is running.
pub fn ran(test: &str) {
    note(&format!("ran {test}"));
}

/// A test cannot run here, and says why, where it is seen: on stderr and
/// in `make test`'s summary. It never passes in silence under CI
/// (`CI=true`), where every part must run: there the skip fails the test.
pub fn skip(test: &str, reason: &str) {
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!("{test} cannot run under CI: {reason}");
    }
    note(&format!("skipped {test}: {reason}"));
    eprintln!("skipped {test}: {reason}");
}

/// Run `scripts/SCRIPT ARGS` (an `up` that builds something in steps),
/// press Ctrl-C once `now` says so (SIGINT to the whole process group, as
/// a terminal sends it), and check that the script said it was undoing,
/// left no process, and died of that SIGINT, so that whatever called it
/// stops too. What it must have removed, the caller checks.
pub fn ctrl_c_during(script: &str, args: &[&str], limit: Duration, now: impl Fn() -> bool) -> Outcome {
    let run = Supervised::new(workspace().join("scripts").join(script))
        .args(args)
        .current_dir(workspace())
        .time_limit(limit)
        .run_with(|running| {
            let deadline = std::time::Instant::now() + limit / 2;
            while !now() {
                assert!(std::time::Instant::now() < deadline, "{script} never reached the moment to interrupt");
                std::thread::sleep(Duration::from_millis(2));
            }
            nix::sys::signal::killpg(running.pid(), nix::sys::signal::Signal::SIGINT).unwrap();
        })
        .unwrap();
    assert!(!run.timed_out, "{}", run.describe());
    assert!(!run.stdout.contains("up: "), "up finished before the Ctrl-C: {}", run.describe());
    assert_eq!(run.code(), -(nix::sys::signal::Signal::SIGINT as i32), "{}", run.describe());
    assert!(run.stdout.contains("interrupted: undoing"), "{}", run.describe());
    assert!(run.leftovers.is_empty(), "{}", run.describe());
    run
}
