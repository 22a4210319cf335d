//! p2p across the virtual cluster: real network namespaces, real sshd on
//! every host, the real mpirun starting remote ranks over ssh.
//!
//! These tests need root (network namespaces) and run for real in CI, which
//! runs as root. Elsewhere each one says on stderr why it is skipped. They
//! share one cluster's names, so they take turns.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

mod support;

use local_procs::supervise::{Outcome, Supervised};

static ONE_CLUSTER_AT_A_TIME: Mutex<()> = Mutex::new(());

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn script(name: &str, args: &[&str], limit: Duration) -> Outcome {
    Supervised::new(workspace().join("scripts").join(name))
        .args(args)
        .env("P2P", env!("CARGO_BIN_EXE_p2p"))
        .current_dir(workspace())
        .time_limit(limit)
        .run()
        .unwrap()
}

fn cluster(args: &[&str]) -> Outcome {
    script("virtual-cluster", args, Duration::from_secs(60))
}

fn command(program: &str, args: &[&str]) -> String {
    let out = Supervised::new(program).args(args).time_limit(Duration::from_secs(20)).run().unwrap();
    assert!(out.status.success(), "{program} {args:?}: {}", out.describe());
    out.stdout
}

/// Our namespaces and links that exist now.
fn cluster_traces() -> Vec<String> {
    let mut traces: Vec<String> = command("ip", &["netns", "list"])
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| n.starts_with("mpivc"))
        .map(|n| format!("namespace {n}"))
        .collect();
    traces.extend(
        command("ip", &["-o", "link", "show"])
            .lines()
            .filter_map(|l| l.split(": ").nth(1))
            .filter(|n| n.starts_with("mpivc"))
            .map(|n| format!("link {n}")),
    );
    traces
}

/// The processes running inside namespace `ns`, by command name.
fn processes_in(ns: &str) -> Vec<String> {
    // No namespace (not made yet, or gone): no process in it.
    let pids = Supervised::new("ip").args(["netns", "pids", ns]).time_limit(Duration::from_secs(20)).run().unwrap();
    pids.stdout
        .split_whitespace()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).ok())
        .map(|name| name.trim().to_owned())
        .collect()
}

fn sshd_of_the_cluster_running() -> bool {
    std::fs::read_dir("/proc").unwrap().flatten().any(|entry| {
        std::fs::read(entry.path().join("cmdline"))
            .map(|cmd| String::from_utf8_lossy(&cmd).contains("virtual-cluster/mpivc"))
            .unwrap_or(false)
    })
}

fn assert_nothing_left() {
    assert_eq!(cluster_traces(), Vec::<String>::new(), "down left namespaces or links");
    assert!(!sshd_of_the_cluster_running(), "an sshd of the cluster is still running");
    assert!(!workspace().join(".state/virtual-cluster").exists(), "the state folder is still there");
}

/// A test's turn with the cluster; whatever happens in the test, the
/// cluster is down when the turn ends.
struct Turn(#[allow(dead_code)] std::sync::MutexGuard<'static, ()>);

impl Drop for Turn {
    fn drop(&mut self) {
        if !cluster_traces().is_empty() {
            cluster(&["down"]);
        }
    }
}

/// Skip (with the reason on stderr) unless root, with no cluster up.
fn can_run(test: &str) -> Option<Turn> {
    if !nix::unistd::Uid::effective().is_root() {
        support::skip(test, "the virtual cluster needs root (network namespaces); CI runs it as root");
        return None;
    }
    let turn = ONE_CLUSTER_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let traces = cluster_traces();
    if !traces.is_empty() {
        support::skip(
            test,
            &format!("a virtual cluster is already up ({traces:?}); 'scripts/virtual-cluster down' first"),
        );
        return None;
    }
    support::ran(test);
    Some(Turn(turn))
}

/// The host each rank reported (`rank R on HOST`), indexed by rank.
fn hosts_of_ranks(run: &Outcome) -> Vec<String> {
    let mut hosts = vec![String::new(); 9];
    for line in run.stdout.lines() {
        if let Some((rank, host)) = line.strip_prefix("rank ").and_then(|rest| rest.split_once(" on ")) {
            hosts[rank.parse::<usize>().unwrap()] = host.to_owned();
        }
    }
    hosts
}

#[test]
#[ignore = "needs root: the virtual cluster (network namespaces, sshd); make test runs it as root and under CI"]
fn cluster_demo_spans_three_hosts_and_cleans_up() {
    let Some(_turn) = can_run("cluster_demo_spans_three_hosts_and_cleans_up") else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p2p.jsonl");
    let run = script("cluster-demo", &["--trace", file.to_str().unwrap()], Duration::from_secs(120));
    assert!(run.clean_success(), "{}", run.describe());
    assert!(run.stdout.contains("rank 4 received 10000000 from rank 0"), "{}", run.describe());
    assert!(run.stdout.contains("rank 8 received \"hello\" from rank 1"), "{}", run.describe());
    let hosts = hosts_of_ranks(&run);
    let mut distinct = hosts.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct, ["mpivc1", "mpivc2", "mpivc3"], "{}", run.describe());
    assert_ne!(hosts[0], hosts[4], "the integer did not cross hosts: {}", run.describe());
    assert_ne!(hosts[1], hosts[8], "the string did not cross hosts: {}", run.describe());
    // The underlying command is shown, with the cluster's network chosen.
    let network_flag = if std::env::var("MPI").is_ok_and(|mpi| mpi == "mpich") {
        "-iface eth0"
    } else {
        "btl_tcp_if_include 198.18.0.0/24"
    };
    assert!(run.stderr.contains(network_flag), "{}", run.describe());
    assert_nothing_left();

    // The trace saw both messages cross hosts, on one time base: each
    // receive ends after its send began, whatever the hosts' clocks, within
    // the error the clocks' measurement states (half its best round trip:
    // on a loaded machine, milliseconds).
    let trace = mpi_watch::trace::Trace::decode(&std::fs::read(&file).unwrap()).unwrap();
    let traced_hosts: Vec<&str> = trace.ranks.iter().map(|r| r.host.as_str()).collect();
    assert_eq!(traced_hosts, hosts.iter().map(String::as_str).collect::<Vec<_>>());
    let error = |rank: i32| trace.ranks[rank as usize].clock_error_us;
    for r in &trace.ranks {
        let shares_rank_0s_clock = r.host == trace.ranks[0].host;
        assert!(r.clock_error_us.is_finite() && r.clock_error_us >= 0.0, "{r:?}");
        assert_eq!(shares_rank_0s_clock, r.clock_error_us == 0.0, "{r:?}");
    }
    let (messages, unmatched) = mpi_watch::sequence::pair(&trace.events);
    assert!(unmatched.is_empty(), "{unmatched:?}");
    let mut arrows: Vec<(i32, i32)> = messages.iter().map(|m| (m.send.rank, m.recv.rank)).collect();
    arrows.sort();
    assert_eq!(arrows, [(0, 4), (1, 8)]);
    for m in &messages {
        let slack = error(m.send.rank) + error(m.recv.rank);
        assert!(m.recv.end_us + slack >= m.send.start_us, "a message arrived before it was sent: {m:?}, ±{slack} µs");
    }
}

/// Typed values between two hosts: every case of `typed-roundtrip` arrives
/// exactly, over TCP, and the sender, told by the launcher that the job
/// spans nodes, sends up to the network's larger limit in one message.
#[test]
#[ignore = "needs root: the virtual cluster (network namespaces, sshd); make test runs it as root and under CI"]
fn typed_values_cross_hosts_exactly_in_one_message_up_to_the_network_limit() {
    let test = "typed_values_cross_hosts_exactly_in_one_message_up_to_the_network_limit";
    let Some(_turn) = can_run(test) else { return };
    assert!(cluster(&["up", "--hosts", "2", "--slots", "1"]).clean_success());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("typed.jsonl");
    let hostfile = cluster(&["hostfile"]).stdout.trim().to_owned();
    let ssh_config = cluster(&["ssh-config"]).stdout.trim().to_owned();
    let net = cluster(&["net"]).stdout.trim().to_owned();
    let mpirun = workspace().join("scripts/mpirun");
    let program = support::sibling("typed-roundtrip");
    let run = Supervised::new(workspace().join("scripts/virtual-cluster"))
        .args(["exec", mpirun.to_str().unwrap(), "--hostfile", &hostfile, "--ssh-config", &ssh_config])
        .args(["--net", &net, "--trace", file.to_str().unwrap(), "-np", "2", program.to_str().unwrap()])
        .env("MPI_WATCH_LIB", support::layer())
        .current_dir(workspace())
        .time_limit(Duration::from_secs(120))
        .run()
        .unwrap();
    assert!(run.clean_success(), "{}", run.describe());
    assert!(cluster(&["down"]).clean_success());
    assert_nothing_left();
    let limit = mpi_typed::NETWORK_FIRST_MESSAGE_MAX;
    assert!(run.stdout.lines().any(|line| line == format!("limit {limit}")), "{}", run.describe());
    assert!(!run.stdout.contains("WRONG"), "{}", run.describe());
    assert_eq!(run.stdout.lines().filter(|line| line.starts_with("exact ")).count(), 17, "{}", run.describe());

    let trace = mpi_watch::trace::Trace::decode(&std::fs::read(&file).unwrap()).unwrap();
    let hosts: Vec<&str> = trace.ranks.iter().map(|r| r.host.as_str()).collect();
    assert_eq!(hosts, ["mpivc1", "mpivc2"], "the ranks did not run on two hosts");
    // Messages per case, as on one node (crates/mpi-typed/tests/roundtrip.rs)
    // but for the reused buffers: their values of 160 KB and 64 KiB now go
    // in one message each (4 × 2 + 8 × 1 = 20, against 24 on one node).
    let per_case = [1, 1, 2, 2, 2, 3, 3, 1, 2, 2, 1, 2, 20, 3, 2, 2, 1, 2];
    let sends: Vec<_> = trace.events.iter().filter(|e| e.op == mpi_watch::trace::Op::Send).collect();
    assert_eq!(sends.len(), per_case.iter().sum::<usize>(), "{sends:?}");
    let at_limit: usize = per_case[..7].iter().sum();
    assert_eq!(sends[at_limit].bytes, limit as u64, "{sends:?}");
    assert!(sends[at_limit + 1].bytes < 16, "one byte over: the shape alone first: {sends:?}");
}

/// The capstone across hosts: each exchange crosses the network, and the
/// rod still matches one process computing alone, bit for bit.
#[test]
#[ignore = "needs root: the virtual cluster (network namespaces, sshd); make test runs it as root and under CI"]
fn heat_across_three_hosts_matches_one_process_bit_for_bit() {
    let test = "heat_across_three_hosts_matches_one_process_bit_for_bit";
    let Some(_turn) = can_run(test) else { return };
    assert!(cluster(&["up", "--hosts", "3", "--slots", "1"]).clean_success());
    let hostfile = cluster(&["hostfile"]).stdout.trim().to_owned();
    let ssh_config = cluster(&["ssh-config"]).stdout.trim().to_owned();
    let net = cluster(&["net"]).stdout.trim().to_owned();
    let mpirun = workspace().join("scripts/mpirun");
    let run = Supervised::new(workspace().join("scripts/virtual-cluster"))
        .args(["exec", mpirun.to_str().unwrap(), "--hostfile", &hostfile, "--ssh-config", &ssh_config])
        .args(["--net", &net, "-np", "3", env!("CARGO_BIN_EXE_heat"), "--steps", "2000"])
        .current_dir(workspace())
        .time_limit(Duration::from_secs(120))
        .run()
        .unwrap();
    assert!(cluster(&["down"]).clean_success());
    assert_nothing_left();
    assert!(run.clean_success(), "{}", run.describe());
    assert!(run.stdout.contains("heat: 400 points, 2000 steps, 3 rank(s)"), "{}", run.describe());
    assert!(run.stdout.contains("heat: the same as one process computing alone, bit for bit"), "{}", run.describe());
}

#[test]
#[ignore = "needs root: the virtual cluster (network namespaces, sshd); make test runs it as root and under CI"]
fn up_is_idempotent_status_tells_and_down_removes_everything() {
    let Some(_turn) = can_run("up_is_idempotent_status_tells_and_down_removes_everything") else { return };
    let up = cluster(&["up", "--hosts", "2", "--slots", "2"]);
    assert!(up.clean_success(), "{}", up.describe());
    let again = cluster(&["up", "--hosts", "2", "--slots", "2"]);
    assert!(again.clean_success() && again.stdout.contains("already up"), "{}", again.describe());
    let other = cluster(&["up", "--hosts", "3"]);
    assert_eq!(other.code(), 2, "{}", other.describe());
    assert!(other.stderr.contains("run 'virtual-cluster down' first"), "{}", other.describe());
    let status = cluster(&["status"]);
    assert!(status.clean_success(), "{}", status.describe());
    assert_eq!(status.stdout.matches("sshd answers").count(), 2, "{}", status.describe());
    let hostfile = cluster(&["hostfile"]).stdout;
    let hosts = std::fs::read_to_string(hostfile.trim()).unwrap();
    assert!(hosts.contains("198.18.0.11 slots=2\n198.18.0.12 slots=2\n"), "{hosts}");
    // The key material is readable by its owner alone.
    let state = workspace().join(".state/virtual-cluster");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&state).unwrap().permissions());
    assert_eq!(mode & 0o077, 0, "the state folder is open to others: {mode:o}");

    let down = cluster(&["down"]);
    assert!(down.clean_success(), "{}", down.describe());
    assert_nothing_left();
    assert_eq!(cluster(&["status"]).code(), 1);
}

#[test]
#[ignore = "needs root: the virtual cluster (network namespaces, sshd); make test runs it as root and under CI"]
fn the_default_hostfile_matches_the_default_cluster() {
    let Some(_turn) = can_run("the_default_hostfile_matches_the_default_cluster") else { return };
    assert!(cluster(&["up"]).clean_success());
    let generated = std::fs::read_to_string(cluster(&["hostfile"]).stdout.trim()).unwrap();
    let shipped = std::fs::read_to_string(workspace().join("hostfiles/virtual")).unwrap();
    let hosts = |text: &str| -> Vec<String> {
        text.lines().map(|l| l.split('#').next().unwrap().trim().to_owned()).filter(|l| !l.is_empty()).collect()
    };
    assert_eq!(hosts(&shipped), hosts(&generated));
    assert!(cluster(&["down"]).clean_success());
    assert_nothing_left();
}

#[test]
#[ignore = "needs root: the virtual cluster (network namespaces, sshd); make test runs it as root and under CI"]
fn a_host_cut_off_mid_run_fails_the_job_in_bounded_time() {
    let Some(_turn) = can_run("a_host_cut_off_mid_run_fails_the_job_in_bounded_time") else { return };
    assert!(cluster(&["up"]).clean_success());
    // Ranks 0 and 1 (on mpivc1) wait 20 s before sending; meanwhile
    // mpivc1's cable is pulled. Rank 4, blocked in its receive for 4 s,
    // asks every rank what it does; ranks 0 and 1 cannot answer, and the
    // watch names them with their host. Silence alone ends no job (a rank
    // that computes is silent too), but cluster-demo sets a limit on it
    // (--watch-silence, as long as --watch): 4 s later, rank 0 is taken as
    // lost and the job ends, whichever MPI (MPICH's launcher would not
    // notice the lost host by itself).
    let started = Instant::now();
    let run = Supervised::new(workspace().join("scripts/cluster-demo"))
        .args(["--watch", "4", "--", "--delay", "20"])
        .env("P2P", env!("CARGO_BIN_EXE_p2p"))
        .current_dir(workspace())
        .time_limit(Duration::from_secs(120))
        .run_with(|running| {
            // Cut once every rank has said where it runs: MPI is set up on
            // every host then, ranks 0 and 1 sleep before sending, and ranks
            // 4 and 8 wait in their receive.
            let lines: Vec<String> = (0..9).map(|rank| format!("rank {rank} on ")).collect();
            let needles: Vec<&str> = lines.iter().map(String::as_str).collect();
            assert!(running.wait_for_stdout(&needles, Duration::from_secs(60)), "the ranks never started");
            command("ip", &["link", "set", "mpivc-h1", "down"]);
        })
        .unwrap();
    assert!(!run.timed_out, "the job hung: {}", run.describe());
    assert_ne!(run.code(), 0, "{}", run.describe());
    assert!(
        run.stderr.contains(
            "mpi-watch: waiting: rank 4 waits for rank 0 (MPI_Recv, any tag); rank 0 on mpivc1 does not answer"
        ),
        "{}",
        run.describe()
    );
    assert!(
        run.stderr.contains(
            "mpi-watch: lost: rank 4 waits for rank 0 (MPI_Recv, any tag); rank 0 on mpivc1 has not answered for"
        ),
        "{}",
        run.describe()
    );
    assert!(started.elapsed() < Duration::from_secs(90), "{}", run.describe());
    assert!(run.leftovers.is_empty(), "{}", run.describe());

    // Reconnected, the cut-off host's daemon finds its job gone and ends its
    // ranks by itself.
    command("ip", &["link", "set", "mpivc-h1", "up"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left: Vec<String> = processes_in("mpivc1").into_iter().filter(|name| name != "sshd").collect();
        if left.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "processes stayed on the reconnected host: {left:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(cluster(&["down"]).clean_success());
    assert_nothing_left();
}

#[test]
#[ignore = "needs root: the virtual cluster (network namespaces, sshd); make test runs it as root and under CI"]
fn the_hosts_are_unreachable_from_outside_and_mpirun_there_says_how_to_run() {
    let Some(_turn) = can_run("the_hosts_are_unreachable_from_outside_and_mpirun_there_says_how_to_run") else {
        return;
    };
    assert!(cluster(&["up"]).clean_success());
    // From this machine's own namespace a packet to a host has no route at
    // all: it can never take the default route out of the machine.
    let route =
        Supervised::new("ip").args(["route", "get", "198.18.0.11"]).time_limit(Duration::from_secs(5)).run().unwrap();
    assert!(!route.status.success(), "198.18.0.11 is routed from outside the cluster: {}", route.describe());
    let run = Supervised::new(workspace().join("scripts/mpirun"))
        .args(["--hostfile", "hostfiles/virtual", "-np", "2", env!("CARGO_BIN_EXE_p2p")])
        .current_dir(workspace())
        .time_limit(Duration::from_secs(5))
        .run()
        .unwrap();
    assert!(!run.timed_out, "{}", run.describe());
    assert_eq!(run.code(), 2, "{}", run.describe());
    assert!(run.stderr.contains("reachable only from its head node: run 'make cluster-demo'"), "{}", run.describe());
    assert!(run.leftovers.is_empty(), "{}", run.describe());
    assert!(cluster(&["down"]).clean_success());
    assert_eq!(command("ip", &["route", "show", "198.18.0.0/24"]), "", "down left the route");
    assert_nothing_left();
}

#[test]
fn cluster_demo_refuses_a_bad_hostfile() {
    let dir = tempfile::tempdir().unwrap();
    let hosts = dir.path().join("hosts");
    std::fs::write(&hosts, "node1 slots=3\nnode2 slots=three\n").unwrap();
    let run = script("cluster-demo", &["--hostfile", hosts.to_str().unwrap()], Duration::from_secs(30));
    assert_eq!(run.code(), 2, "{}", run.describe());
    assert!(run.stderr.contains(":2: 'slots=three'"), "{}", run.describe());
}

/// Ctrl-C during `virtual-cluster up` (see `support::ctrl_c_during`):
/// nothing of the cluster is left.
fn ctrl_c_during_up(now: impl Fn() -> bool) {
    support::ctrl_c_during("virtual-cluster", &["up"], Duration::from_secs(60), now);
    assert_nothing_left();
    assert_eq!(command("ip", &["route", "show", "198.18.0.0/24"]), "", "the route is left");
}

#[test]
#[ignore = "needs root: the virtual cluster (network namespaces, sshd); make test runs it as root and under CI"]
fn ctrl_c_halfway_through_up_leaves_nothing_behind() {
    let Some(_turn) = can_run("ctrl_c_halfway_through_up_leaves_nothing_behind") else { return };
    // As soon as the first namespace exists.
    ctrl_c_during_up(|| !cluster_traces().is_empty());
}

#[test]
#[ignore = "needs root: the virtual cluster (network namespaces, sshd); make test runs it as root and under CI"]
fn ctrl_c_while_up_waits_for_ssh_leaves_nothing_behind() {
    let Some(_turn) = can_run("ctrl_c_while_up_waits_for_ssh_leaves_nothing_behind") else { return };
    // While the head node's ssh asks a host whether it answers. ssh catches
    // SIGINT and exits normally, and bash then goes on as if there had
    // been no Ctrl-C, unless the script runs it so that it does not.
    ctrl_c_during_up(|| processes_in("mpivc0").iter().any(|name| name == "ssh"));
}

#[test]
#[ignore = "needs root: the virtual cluster (network namespaces, sshd); make test runs it as root and under CI"]
fn two_demos_at_once_both_run_and_leave_nothing_behind() {
    let Some(_turn) = can_run("two_demos_at_once_both_run_and_leave_nothing_behind") else { return };
    let first = std::thread::spawn(|| script("cluster-demo", &[], Duration::from_secs(240)));
    let second = script("cluster-demo", &[], Duration::from_secs(240));
    let first = first.join().unwrap();
    for run in [&first, &second] {
        assert!(run.clean_success(), "{}", run.describe());
        assert!(run.stdout.contains("rank 4 received 10000000 from rank 0"), "{}", run.describe());
        assert!(run.stdout.contains("rank 8 received \"hello\" from rank 1"), "{}", run.describe());
    }
    assert_nothing_left();
}
