//! Installing the course's tools leaves no service on: `make test` installs
//! openssh-server, munge and Slurm for the virtual cluster and the local
//! Slurm, and `scripts/install-deps` keeps their services from starting and
//! disables them at boot. The course runs its own sshd, munged, slurmctld
//! and slurmd, in namespaces it makes and removes.
//!
//! Checked on a fresh machine (CI), where none of them was on before; on a
//! machine of yours they may be yours, and the test says it is skipped.

mod support;

const SERVICES: [(&str, &str); 4] =
    [("ssh", "sshd"), ("munge", "munged"), ("slurmctld", "slurmctld"), ("slurmd", "slurmd")];

/// Is `service` enabled at boot, for systemd or for sysvinit?
fn enabled(service: &str) -> Vec<String> {
    let mut links = Vec::new();
    let wants = format!("/etc/systemd/system/multi-user.target.wants/{service}.service");
    if std::path::Path::new(&wants).exists() {
        links.push(wants);
    }
    for level in 2..=5 {
        let dir = format!("/etc/rc{level}.d");
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('S') && name.trim_start_matches(|c: char| c == 'S' || c.is_ascii_digit()) == service {
                links.push(format!("{dir}/{name}"));
            }
        }
    }
    links
}

/// Processes named `name` in this machine's own network namespace.
fn running_outside_namespaces(name: &str) -> Vec<i32> {
    let own = std::fs::read_link("/proc/self/ns/net").unwrap();
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == name))
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/ns/net")).is_ok_and(|ns| ns == own))
        .collect()
}

#[test]
#[ignore = "checks this machine's services: meaningful on a fresh machine only; make test runs it under CI"]
fn no_service_installed_for_the_course_runs_or_starts_at_boot() {
    let test = "no_service_installed_for_the_course_runs_or_starts_at_boot";
    if !std::env::var("CI").is_ok_and(|ci| ci == "true") {
        support::skip(test, "checked on a fresh machine (CI=true) only: on yours these services may be your own");
        return;
    }
    support::ran(test);
    for (service, daemon) in SERVICES {
        assert_eq!(enabled(service), Vec::<String>::new(), "{service} is enabled at boot");
        assert_eq!(
            running_outside_namespaces(daemon),
            Vec::<i32>::new(),
            "{daemon} runs outside the course's namespaces"
        );
    }
}
