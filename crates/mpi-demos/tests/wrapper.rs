//! scripts/mpirun on its own: the flags it adds, the hostfiles it refuses,
//! the missing MPI it reports. `--dry-run` prints the command without
//! running it.

use std::path::PathBuf;
use std::time::Duration;

use local_procs::supervise::{Outcome, Supervised};

mod support;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn wrapper(args: &[&str]) -> Supervised {
    Supervised::new(workspace().join("scripts/mpirun"))
        .args(args)
        .current_dir(workspace())
        .time_limit(Duration::from_secs(30))
}

fn run(args: &[&str]) -> Outcome {
    wrapper(args).run().unwrap()
}

/// A file with `text` in `dir` (a scratch folder removed when the test ends).
fn temp_file(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The MPI the tests run with (`MPI=openmpi|mpich`, as for make).
fn mpich() -> bool {
    std::env::var("MPI").is_ok_and(|mpi| mpi == "mpich")
}

#[test]
fn prints_the_real_command_with_oversubscription_and_default_hostfile() {
    let out = run(&["--dry-run", "-np", "64", "/bin/true"]);
    assert_eq!(out.code(), 0, "{}", out.describe());
    let command = out.stderr.lines().find(|l| l.starts_with("+ ")).expect("the command is printed");
    assert!(command.contains("-np 64 /bin/true"), "{command}");
    if mpich() {
        // Hydra oversubscribes by itself and takes 'host:slots' files.
        let (_, launcher) = this_mpi();
        assert!(command.starts_with(&format!("+ {} -f ", launcher.display())), "{command}");
        assert!(!command.contains("--oversubscribe"), "{command}");
    } else {
        assert!(command.contains("--oversubscribe"), "{command}");
        assert!(command.contains("--hostfile hostfiles/localhost"), "{command}");
        if nix::unistd::Uid::effective().is_root() {
            assert!(command.contains("--allow-run-as-root"), "{command}");
            assert!(out.stderr.contains("running as root"), "{}", out.describe());
        }
    }
}

#[test]
fn cluster_options_become_the_implementations_flags() {
    let out = run(&["--dry-run", "--ssh-config", "hostfiles/virtual", "--net", "127.0.0.0/8", "-np", "2", "/bin/true"]);
    assert_eq!(out.code(), 0, "{}", out.describe());
    let command = out.stderr.lines().find(|l| l.starts_with("+ ")).expect("the command is printed");
    if mpich() {
        assert!(command.contains("-launcher ssh -launcher-exec "), "{command}");
        assert!(command.contains("-iface lo -genv UCX_NET_DEVICES lo"), "{command}");
    } else {
        assert!(command.contains("--mca plm_rsh_agent 'ssh -F hostfiles/virtual'"), "{command}");
        assert!(
            command.contains("--mca oob_tcp_if_include 127.0.0.0/8 --mca btl_tcp_if_include 127.0.0.0/8"),
            "{command}"
        );
    }
    let out = run(&["--dry-run", "--net", "10.0.0.0", "-np", "2", "/bin/true"]);
    assert_eq!(out.code(), 2, "{}", out.describe());
    assert!(out.stderr.contains("is not an IPv4 network"), "{}", out.describe());
}

#[test]
fn no_oversubscription_within_the_slots() {
    let dir = tempfile::tempdir().unwrap();
    let hosts = temp_file(&dir, "two-slots", "localhost slots=2\n");
    let out = run(&["--dry-run", "--hostfile", hosts.to_str().unwrap(), "-np", "2", "/bin/true"]);
    assert_eq!(out.code(), 0, "{}", out.describe());
    assert!(!out.stderr.contains("--oversubscribe"), "{}", out.describe());
}

#[test]
fn other_options_pass_through_in_order() {
    let out = run(&["--dry-run", "-np", "2", "--mca", "btl", "self,vader", "--tag-output", "/bin/echo", "-n", "x"]);
    assert_eq!(out.code(), 0, "{}", out.describe());
    assert!(out.stderr.contains("--mca btl self,vader --tag-output /bin/echo -n x"), "{}", out.describe());
}

#[test]
fn bad_hostfiles_are_refused_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("zero-slots", "node1 slots=4\nnode2 slots=0\n", ":2: 'slots=0'"),
        ("words", "node1 slots=2 please\n", ":1: unexpected 'please'"),
        ("shell", "# a comment\n$(touch /tmp/never) slots=1\n", ":2: '$(touch' is not a host name"),
        ("empty", "# nothing but comments\n\n", "names no host"),
        ("not-a-number", "node1 slots=many\n", "whole number"),
    ];
    for (name, text, expected) in cases {
        let hosts = temp_file(&dir, name, text);
        let out = run(&["--hostfile", hosts.to_str().unwrap(), "-np", "2", "/bin/true"]);
        assert_eq!(out.code(), 2, "{name}: {}", out.describe());
        assert!(out.stderr.contains(expected), "{name}: {}", out.describe());
        assert!(out.stderr.contains(hosts.to_str().unwrap()), "{name}: names the file: {}", out.describe());
        assert!(!out.stderr.contains("\n+ "), "{name}: nothing was launched: {}", out.describe());
    }
    assert!(!std::path::Path::new("/tmp/never").exists(), "a hostfile was evaluated by a shell");
    let out = run(&["--hostfile", "/nonexistent/hosts", "-np", "2", "/bin/true"]);
    assert_eq!(out.code(), 2, "{}", out.describe());
    assert!(out.stderr.contains("'/nonexistent/hosts' does not exist"), "{}", out.describe());
}

#[test]
fn check_hostfile_counts_slots() {
    let dir = tempfile::tempdir().unwrap();
    let hosts =
        temp_file(&dir, "three", "# lab\nnode1 slots=3\nnode2 slots=3 # rack 2\n10.0.0.3 slots=3 max_slots=4\n");
    let out = run(&["--check-hostfile", hosts.to_str().unwrap()]);
    assert_eq!(out.code(), 0, "{}", out.describe());
    assert!(out.stdout.contains("3 host(s), 9 slot(s)"), "{}", out.describe());
}

#[test]
fn wrong_rank_counts_and_programs_are_refused() {
    let out = run(&["-np", "zero", "/bin/true"]);
    assert_eq!(out.code(), 2, "{}", out.describe());
    assert!(out.stderr.contains("-np 'zero'"), "{}", out.describe());
    let out = run(&["-np", "2", "target/release/no-such-lesson"]);
    assert_eq!(out.code(), 2, "{}", out.describe());
    assert!(out.stderr.contains("does not exist"), "{}", out.describe());
}

#[test]
fn a_missing_mpi_is_reported() {
    // A PATH with the few tools the script needs and no MPI at all.
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path();
    for tool in ["bash", "dirname", "basename"] {
        std::os::unix::fs::symlink(format!("/usr/bin/{tool}"), bin.join(tool))
            .or_else(|_| std::os::unix::fs::symlink(format!("/bin/{tool}"), bin.join(tool)))
            .unwrap();
    }
    let out = wrapper(&["-np", "2", "/bin/true"]).env("PATH", bin).env_remove("MPI").env_remove("MPICC").run().unwrap();
    assert_eq!(out.code(), 2, "{}", out.describe());
    assert!(out.stderr.contains("no MPI is installed"), "{}", out.describe());
    assert!(out.stderr.contains("install-deps"), "{}", out.describe());
}

#[test]
fn an_unknown_mpi_is_refused() {
    let out = wrapper(&["-np", "2", "/bin/true"]).env("MPI", "lam").run().unwrap();
    assert_eq!(out.code(), 2, "{}", out.describe());
    assert!(out.stderr.contains("MPI='lam' is not known"), "{}", out.describe());
}

#[test]
fn everything_after_the_wrappers_options_goes_to_the_launcher_untouched() {
    // Options with values, of Open MPI's mpirun and of MPICH's Hydra, as a
    // learner types them: the wrapper guesses at none of them.
    let cases: [&[&str]; 2] =
        [&["--timeout", "10", "--map-by", "node", "-x", "FOO=1"], &["-genv", "FOO", "bar", "-ppn", "1"]];
    for extra in cases {
        let mut args = vec!["--dry-run", "-np", "2"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["/bin/echo", "-n", "x"]);
        let out = run(&args);
        assert_eq!(out.code(), 0, "{}", out.describe());
        let command = out.stderr.lines().find(|l| l.starts_with("+ ")).expect("the command is printed");
        let tail = format!("-np 2 {} /bin/echo -n x", extra.join(" "));
        assert!(command.ends_with(&tail), "{command}");
    }
    // An option without its value is the launcher's to report, not a crash.
    let out = run(&["--dry-run", "-np", "2", "-H"]);
    assert_eq!(out.code(), 0, "{}", out.describe());
    assert!(out.stderr.contains("-np 2 -H\n"), "{}", out.describe());
    // A missing program given first is still the wrapper's to refuse.
    let out = run(&["-np", "2", "--", "target/release/no-such-lesson"]);
    assert_eq!(out.code(), 2, "{}", out.describe());
    assert!(out.stderr.contains("does not exist"), "{}", out.describe());
}

/// A PATH folder with the basic tools the scripts use, and no package manager.
fn bare_path(dir: &tempfile::TempDir) -> PathBuf {
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    for tool in [
        "bash", "env", "cat", "grep", "sed", "id", "ldconfig", "basename", "dirname", "head", "paste", "sort", "tr",
        "readlink",
    ] {
        for folder in ["/usr/bin", "/bin", "/usr/sbin", "/sbin"] {
            let path = std::path::Path::new(folder).join(tool);
            if path.exists() {
                std::os::unix::fs::symlink(&path, bin.join(tool)).unwrap();
                break;
            }
        }
    }
    bin
}

#[test]
fn install_deps_uses_tools_from_anywhere_and_names_packages_for_every_system() {
    // A login node: no apt-get, no dpkg; the MPI and libclang from a module.
    let dir = tempfile::tempdir().unwrap();
    let bin = bare_path(&dir);
    let (wrapper, launcher) = this_mpi();
    std::os::unix::fs::symlink(wrapper, bin.join("mpicc")).unwrap();
    std::os::unix::fs::symlink(launcher, bin.join("mpirun")).unwrap();
    let install = || {
        Supervised::new(workspace().join("scripts/install-deps"))
            .args(["build"])
            .env("PATH", &bin)
            .env_remove("MPICC")
            .time_limit(Duration::from_secs(30))
            .run()
            .unwrap()
    };
    let out = install();
    assert!(out.clean_success(), "{}", out.describe());
    assert!(out.stdout.contains("all present (build)"), "{}", out.describe());

    std::fs::remove_file(bin.join("mpicc")).unwrap();
    let out = install();
    assert_eq!(out.code(), 1, "{}", out.describe());
    for manager in ["apt:", "dnf:", "zypper:", "pacman:", "brew:", "module load"] {
        assert!(out.stderr.contains(manager), "{manager}: {}", out.describe());
    }
}

/// The compiler wrapper and the launcher of the MPI these tests were built
/// with (scripts/which-mpi, as make and scripts/mpirun find them).
fn this_mpi() -> (PathBuf, PathBuf) {
    let ask = |what: &str| {
        let out = Supervised::new(workspace().join("scripts/which-mpi"))
            .args([what])
            .time_limit(Duration::from_secs(30))
            .run()
            .unwrap();
        assert!(out.clean_success(), "{}", out.describe());
        PathBuf::from(out.stdout.trim())
    };
    (ask("--wrapper"), ask("--launcher"))
}

/// Is `name` an executable on PATH?
fn on_path(name: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .any(|dir| std::fs::metadata(dir.join(name)).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

/// A module's prefix, as `module load` leaves it: its own `mpicc` (a copy
/// of this build's MPI's wrapper program) and `mpirun`, in a folder that
/// comes first on PATH.
fn module_prefix(dir: &tempfile::TempDir) -> PathBuf {
    let bin = dir.path().join("module/bin");
    std::fs::create_dir_all(&bin).unwrap();
    let (wrapper, launcher) = this_mpi();
    // A copy, not a link: a module's programs are its own files.
    std::fs::copy(wrapper, bin.join("mpicc")).unwrap();
    std::os::unix::fs::symlink(launcher, bin.join("mpirun")).unwrap();
    bin
}

fn path_with(first: &std::path::Path) -> String {
    format!("{}:{}", first.display(), std::env::var("PATH").unwrap_or_default())
}

#[test]
fn a_modules_mpi_first_on_path_is_the_one_built_with_and_launched() {
    let dir = tempfile::tempdir().unwrap();
    let bin = module_prefix(&dir);
    let p2p = env!("CARGO_BIN_EXE_p2p");
    let out = wrapper(&["--dry-run", "-np", "2", p2p])
        .env("PATH", path_with(&bin))
        .env_remove("MPI")
        .env_remove("MPICC")
        .run()
        .unwrap();
    assert_eq!(out.code(), 0, "{}", out.describe());
    let command = out.stderr.lines().find(|l| l.starts_with("+ ")).expect("the command is printed");
    assert!(command.starts_with(&format!("+ {}/mpirun ", bin.display())), "{command}");
    let name = if mpich() { "MPICH" } else { "Open MPI" };
    let said = format!(
        "mpirun: MPI: {name} ({}/mpicc, PATH's first mpicc), launched with {}/mpirun",
        bin.display(),
        bin.display()
    );
    assert!(out.stderr.contains(&said), "{said}: {}", out.describe());
    // The Makefile builds with the same wrapper, into that MPI's folder.
    let make = Supervised::new("make")
        .args(["-s", "--no-print-directory", "--eval", "said: ; @echo $(MPI) $(MPICC) $(TARGET_DIR)", "said"])
        .env("PATH", path_with(&bin))
        .env_remove("MPI")
        .env_remove("MPICC")
        .env_remove("MAKEFLAGS")
        .env_remove("CARGO_TARGET_DIR")
        .current_dir(workspace())
        .time_limit(Duration::from_secs(30))
        .run()
        .unwrap();
    let (kind, target) = if mpich() { ("mpich", "target/mpich") } else { ("openmpi", "target") };
    assert_eq!(make.stdout.trim(), format!("{kind} {}/mpicc {target}", bin.display()), "{}", make.describe());
}

#[test]
fn a_program_built_with_one_mpi_is_not_launched_by_the_other() {
    let (other, name, built) = if mpich() { ("openmpi", "Open MPI", "MPICH") } else { ("mpich", "MPICH", "Open MPI") };
    if !on_path(&format!("mpicc.{other}")) {
        support::skip(
            "a_program_built_with_one_mpi_is_not_launched_by_the_other",
            &format!("{name} is not installed (scripts/install-deps with MPI={other} installs it)"),
        );
        return;
    }
    let p2p = env!("CARGO_BIN_EXE_p2p");
    let out = wrapper(&["--dry-run", "-np", "2", p2p]).env("MPI", other).env_remove("MPICC").run().unwrap();
    assert_eq!(out.code(), 2, "{}", out.describe());
    let said = format!("'{p2p}' was built with {built} (it links its library), but the MPI found is {name}");
    assert!(out.stderr.contains(&said), "{said}: {}", out.describe());
    assert!(!out.stderr.contains("\n+ "), "nothing is launched: {}", out.describe());
}

#[test]
fn every_cargo_build_of_the_makefile_names_the_whole_workspace() {
    // cargo unifies features over the packages a build names: a build of
    // some packages makes other artifacts than a build of all, and the
    // next target that builds all compiles again (13 s for the profiling
    // layer alone). So every build names --workspace.
    let makefile = std::fs::read_to_string(workspace().join("Makefile")).unwrap();
    let builds: Vec<&str> = makefile.lines().filter(|l| l.contains("$(CARGO) build")).collect();
    assert!(builds.len() >= 4, "{builds:?}");
    for line in builds {
        assert!(line.contains("--workspace") && !line.contains(" -p "), "{line}");
    }
}

#[test]
fn a_target_that_needs_root_says_so_in_words_where_sudo_cannot_be_used() {
    // As a user without sudo and without a terminal (nobody, in a session
    // of its own), as on a cluster's login node run from a script.
    let root = nix::unistd::Uid::effective().is_root();
    let sudo_works = !root
        && std::process::Command::new("sudo")
            .args(["-n", "true"])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    if sudo_works {
        support::skip(
            "a_target_that_needs_root_says_so_in_words_where_sudo_cannot_be_used",
            "this user has sudo without a password: the refusal cannot be seen here (CI checks it as root)",
        );
        return;
    }
    for (target, instead) in [("cluster-demo", "make cluster-demo HOSTFILE=FILE"), ("slurm-demo", "make slurm-submit")]
    {
        let script = workspace().join("scripts/need-root");
        let mut command = vec!["setsid", "-w"];
        if root {
            command.extend(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]);
        }
        command.extend([script.to_str().unwrap(), target]);
        let out = Supervised::new(command[0]).args(&command[1..]).time_limit(Duration::from_secs(30)).run().unwrap();
        assert_eq!(out.code(), 2, "{}", out.describe());
        assert!(out.stderr.starts_with(&format!("make {target}: needs root (")), "{}", out.describe());
        assert!(out.stderr.contains(instead), "{}", out.describe());
        assert!(!out.stderr.contains("sudo:"), "sudo's own words: {}", out.describe());
    }
}

#[test]
fn make_with_mpi_given_builds_with_that_mpis_wrapper() {
    // `make test MPI=mpich` on a machine whose PATH's mpicc is Open MPI's:
    // the Makefile must ask scripts/which-mpi with MPI=mpich, not without.
    let mut tried = 0;
    for kind in ["openmpi", "mpich"] {
        if !on_path(&format!("mpicc.{kind}")) {
            continue;
        }
        tried += 1;
        let given = format!("MPI={kind}");
        let make = Supervised::new("make")
            .args(["-s", "--no-print-directory", "--eval", "said: ; @echo $(MPI) $(MPICC)", "said", given.as_str()])
            .env_remove("MPI")
            .env_remove("MPICC")
            .env_remove("MAKEFLAGS")
            .current_dir(workspace())
            .time_limit(Duration::from_secs(30))
            .run()
            .unwrap();
        let which = Supervised::new(workspace().join("scripts/which-mpi"))
            .args(["--wrapper"])
            .env("MPI", kind)
            .env_remove("MPICC")
            .time_limit(Duration::from_secs(30))
            .run()
            .unwrap();
        assert!(make.clean_success() && which.clean_success(), "{}\n{}", make.describe(), which.describe());
        assert_eq!(make.stdout.trim(), format!("{kind} {}", which.stdout.trim()), "{}", make.describe());
    }
    if tried == 0 {
        support::skip(
            "make_with_mpi_given_builds_with_that_mpis_wrapper",
            "no distribution MPI (mpicc.openmpi or mpicc.mpich) on PATH: MPI=... has nothing to pick",
        );
    }
}
