//! p2p as a Slurm job, on a real local Slurm: munge, slurmctld and slurmd
//! from the distribution, started by scripts/slurm/local-cluster.
//!
//! These tests need root (slurmd, munged, and for several nodes network
//! namespaces) and run for real in CI, which runs as root. Elsewhere each
//! one says on stderr why it is skipped. They take turns.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

mod support;

use local_procs::supervise::{Outcome, Supervised};

static ONE_SLURM_AT_A_TIME: Mutex<()> = Mutex::new(());

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn slurm(args: &[&str], launch: &str) -> Outcome {
    slurm_with(args, launch, &[])
}

fn slurm_with(args: &[&str], launch: &str, env: &[(&str, &str)]) -> Outcome {
    env.iter()
        .fold(Supervised::new(workspace().join("scripts/slurm/local-cluster")), |run, (key, value)| run.env(key, value))
        .args(args)
        .env("P2P", env!("CARGO_BIN_EXE_p2p"))
        .env("LAUNCH", launch)
        .current_dir(workspace())
        .time_limit(Duration::from_secs(180))
        .run()
        .unwrap()
}

/// Submit the batch script with extra sbatch options, launching with `launch`.
fn submit(launch: &str, options: &[&str]) -> Outcome {
    submit_with(launch, options, &[])
}

/// [`submit`], with variables in the job's environment.
fn submit_with(launch: &str, options: &[&str], env: &[(&str, &str)]) -> Outcome {
    submit_script("p2p.sbatch", launch, options, env)
}

/// Submit `scripts/slurm/BATCH` with `scripts/slurm/submit`, which waits
/// for the job's end and prints its output.
fn submit_script(batch: &str, launch: &str, options: &[&str], env: &[(&str, &str)]) -> Outcome {
    let script = workspace().join("scripts/slurm/submit");
    let batch = workspace().join("scripts/slurm").join(batch);
    let output = workspace().join("target/slurm");
    std::fs::create_dir_all(&output).unwrap();
    let output = format!("--output={}/test-%j.out", output.display());
    let mut args = vec![script.to_str().unwrap(), "--wait-limit", "120", batch.to_str().unwrap(), &output];
    args.extend_from_slice(options);
    let mut all = vec!["exec"];
    all.extend(args);
    slurm_with(&all, launch, env)
}

/// Slurm and munge daemons of ours still running.
fn daemons_left() -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| {
            let cmd = std::fs::read(entry.path().join("cmdline")).ok()?;
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            let ours = cmd.contains(".state/slurm")
                || cmd.starts_with("slurmd ")
                || cmd.starts_with("slurmctld ")
                || cmd.starts_with("slurmstepd");
            ours.then_some(cmd)
        })
        .collect()
}

/// A test's turn with the local Slurm; it is down when the turn ends.
struct Turn(#[allow(dead_code)] MutexGuard<'static, ()>);

impl Drop for Turn {
    fn drop(&mut self) {
        slurm(&["down"], "");
    }
}

fn can_run(test: &str) -> Option<Turn> {
    if !nix::unistd::Uid::effective().is_root() {
        support::skip(test, "the local Slurm needs root (slurmd, munged, namespaces); CI runs it as root");
        return None;
    }
    let turn = ONE_SLURM_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    if workspace().join(".state/slurm").exists() || workspace().join(".state/virtual-cluster").exists() {
        support::skip(test, "a local Slurm or virtual cluster is already up; take it down first");
        return None;
    }
    support::ran(test);
    Some(Turn(turn))
}

fn assert_messages(run: &Outcome) {
    assert!(run.clean_success(), "{}", run.describe());
    assert!(run.stdout.contains("rank 4 received 10000000 from rank 0"), "{}", run.describe());
    assert!(run.stdout.contains("rank 8 received \"hello\" from rank 1"), "{}", run.describe());
    assert!(run.stderr.contains("ended: COMPLETED, exit code 0:0"), "{}", run.describe());
}

/// The node each rank reported (`rank R on NODE`).
fn nodes_of_ranks(run: &Outcome) -> Vec<String> {
    let mut nodes: Vec<String> = run
        .stdout
        .lines()
        .filter_map(|line| line.strip_prefix("rank ")?.split_once(" on ").map(|(_, node)| node.to_owned()))
        .collect();
    nodes.sort();
    nodes
}

#[test]
#[ignore = "needs root: a local Slurm (slurmctld, slurmd, munged in namespaces); make test runs it as root and under CI"]
fn one_node_runs_p2p_with_srun_and_mpirun_and_refuses_four_tasks() {
    let Some(_turn) = can_run("one_node_runs_p2p_with_srun_and_mpirun_and_refuses_four_tasks") else { return };
    let up = slurm(&["up"], "");
    assert!(up.clean_success(), "{}", up.describe());
    // Nothing of this Slurm listens on the machine's own network: its
    // daemons live in the virtual cluster's namespaces.
    let listening = Supervised::new("ss").args(["-Hltn"]).time_limit(Duration::from_secs(10)).run().unwrap();
    assert!(listening.clean_success(), "{}", listening.describe());
    for port in [":16817", ":16818"] {
        assert!(!listening.stdout.contains(port), "{port} listens outside the cluster: {}", listening.stdout);
    }

    let srun = submit("srun", &[]);
    assert_messages(&srun);
    assert!(srun.stdout.contains("launched with srun"), "{}", srun.describe());

    let mpirun = submit("mpirun", &[]);
    assert_messages(&mpirun);
    assert!(mpirun.stdout.contains("launched with mpirun"), "{}", mpirun.describe());

    // The profiling layer comes along into the job, with either launcher.
    for launch in ["srun", "mpirun"] {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("p2p.jsonl");
        let traced = submit_with(launch, &[], &[("MPI_WATCH_TRACE", file.to_str().unwrap())]);
        assert_messages(&traced);
        let trace = mpi_watch::trace::Trace::decode(&std::fs::read(&file).unwrap()).unwrap();
        let sends: Vec<(i32, i32)> =
            trace.events.iter().filter(|e| e.op == mpi_watch::trace::Op::Send).map(|e| (e.rank, e.peer)).collect();
        assert_eq!(sends.len(), 2, "{launch}: {sends:?}");
        assert!(sends.contains(&(0, 4)) && sends.contains(&(1, 8)), "{launch}: {sends:?}");
    }

    // Fewer than 9 tasks: p2p's own message, and the job's non-zero status.
    let four = submit("srun", &["--ntasks=4"]);
    assert_eq!(four.code(), 2, "{}", four.describe());
    assert!(four.stdout.contains("error: p2p: started with 4 ranks"), "{}", four.describe());
    assert!(four.stderr.contains("ended: FAILED"), "{}", four.describe());

    let down = slurm(&["down"], "");
    assert!(down.clean_success(), "{}", down.describe());
    assert_eq!(daemons_left(), Vec::<String>::new());
    assert!(!workspace().join(".state/slurm").exists());
}

#[test]
#[ignore = "needs root: a local Slurm (slurmctld, slurmd, munged in namespaces); make test runs it as root and under CI"]
fn three_nodes_spread_nine_ranks() {
    let Some(_turn) = can_run("three_nodes_spread_nine_ranks") else { return };
    let up = slurm(&["up", "--nodes", "3"], "");
    assert!(up.clean_success(), "{}", up.describe());
    for launch in ["mpirun", "srun"] {
        let run = submit(launch, &[]);
        assert_messages(&run);
        let mut nodes = nodes_of_ranks(&run);
        assert_eq!(nodes.len(), 9, "{}", run.describe());
        nodes.dedup();
        assert_eq!(nodes, ["node1", "node2", "node3"], "{launch}: {}", run.describe());
    }
    learners_commands();
    let down = slurm(&["down"], "");
    assert!(down.clean_success(), "{}", down.describe());
    assert_eq!(daemons_left(), Vec::<String>::new());
    assert!(!workspace().join(".state/virtual-cluster").exists(), "down leaves the virtual cluster it brought up");
}

/// Run `command` against the local Slurm until its output holds `wanted`,
/// for 30 s at most; the last output.
fn until_it_says(command: &[&str], wanted: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut args = vec!["exec"];
    args.extend_from_slice(command);
    loop {
        let said = slurm(&args, "").stdout;
        if said.contains(wanted) || std::time::Instant::now() > deadline {
            return said;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// What the Slurm chapter shows a learner doing, on three nodes of three
/// CPUs: the layout options, the capstone as a job, and a job watched and
/// cancelled.
fn learners_commands() {
    // --nodes and --ntasks-per-node: three ranks on each node.
    let run = submit("srun", &["--nodes=3", "--ntasks-per-node=3"]);
    assert_messages(&run);
    let nodes = nodes_of_ranks(&run);
    for node in ["node1", "node2", "node3"] {
        assert_eq!(nodes.iter().filter(|n| *n == node).count(), 3, "{node}: {}", run.describe());
    }

    // The capstone: three tasks of three CPUs each, so one per node.
    let heat = submit_script("heat.sbatch", "", &[], &[("HEAT", env!("CARGO_BIN_EXE_heat"))]);
    assert!(heat.clean_success(), "{}", heat.describe());
    assert!(heat.stdout.contains("3 task(s) of 3 CPU(s) on node[1-3]"), "{}", heat.describe());
    assert!(heat.stdout.contains("heat: the same as one process computing alone, bit for bit"), "{}", heat.describe());

    // A job watched with squeue, cancelled with scancel, looked up with
    // scontrol (sacct would need Slurm's accounting database).
    let submitted =
        slurm(&["exec", "sbatch", "--parsable", "--job-name=long", "--output=/dev/null", "--wrap", "sleep 120"], "");
    assert!(submitted.clean_success(), "{}", submitted.describe());
    let id = submitted.stdout.trim().to_owned();
    assert!(id.parse::<u64>().is_ok(), "sbatch --parsable gives the job id: {}", submitted.describe());
    let queue = until_it_says(&["squeue", "--noheader", "--jobs", &id, "--format", "%i %j %T"], "RUNNING");
    assert_eq!(queue.trim(), format!("{id} long RUNNING"));
    let mine = slurm(&["exec", "squeue", "--me", "--noheader", "--format", "%i"], "");
    assert!(mine.stdout.lines().any(|line| line.trim() == id), "squeue --me: {}", mine.describe());
    let cancel = slurm(&["exec", "scancel", &id], "");
    assert!(cancel.clean_success(), "{}", cancel.describe());
    let shown = until_it_says(&["scontrol", "show", "job", &id], "JobState=CANCELLED");
    assert!(shown.contains("JobState=CANCELLED"), "{shown}");
    assert!(shown.contains("JobName=long"), "{shown}");
}

/// Ctrl-C during `local-cluster up --nodes 3` (see
/// `support::ctrl_c_during`): nothing of the Slurm is left, nor of the
/// virtual cluster it brought up.
fn ctrl_c_during_up(now: impl Fn() -> bool) {
    let run = support::ctrl_c_during("slurm/local-cluster", &["up", "--nodes", "3"], Duration::from_secs(120), now);
    assert_eq!(daemons_left(), Vec::<String>::new());
    assert!(!workspace().join(".state/slurm").exists(), "{}", run.describe());
    assert!(!workspace().join(".state/virtual-cluster").exists(), "{}", run.describe());
    let namespaces = Supervised::new("ip").args(["netns", "list"]).run().unwrap();
    assert!(!namespaces.stdout.contains("mpivc"), "{}", namespaces.stdout);
}

#[test]
#[ignore = "needs root: a local Slurm (slurmctld, slurmd, munged in namespaces); make test runs it as root and under CI"]
fn ctrl_c_while_the_hosts_or_the_nodes_come_up_leaves_nothing_behind() {
    let Some(_turn) = can_run("ctrl_c_while_the_hosts_or_the_nodes_come_up_leaves_nothing_behind") else { return };
    // While the virtual cluster under it comes up: both scripts undo.
    ctrl_c_during_up(|| workspace().join(".state/virtual-cluster/.virtual-cluster").exists());
    // While it waits for the nodes to report: slurmctld runs already.
    ctrl_c_during_up(|| daemons_left().iter().any(|cmd| cmd.starts_with("slurmctld ")));
}

#[test]
fn submitting_without_a_slurm_says_so_in_one_line_and_how_to_try_it() {
    let run = Supervised::new(workspace().join("scripts/slurm/submit"))
        .args([workspace().join("scripts/slurm/p2p.sbatch")])
        .env_remove("SLURM_CONF")
        .env("SLURM_LOCAL_STATE", "/nonexistent/slurm-state")
        .current_dir(workspace())
        .time_limit(Duration::from_secs(30))
        .run()
        .unwrap();
    assert_eq!(run.code(), 2, "{}", run.describe());
    assert_eq!(run.stderr.lines().count(), 1, "one line: {}", run.describe());
    assert!(run.stderr.contains("'make slurm-demo'"), "{}", run.describe());
    assert!(!run.stderr.contains("resolve_ctls_from_dns_srv"), "{}", run.describe());
}
