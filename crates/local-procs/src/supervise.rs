//! Run a program to completion within a time limit, and make sure nothing it
//! started outlives it: the tool the workspace's tests (and benchmarks) use
//! to run the lessons' binaries.
//!
//! The program runs in a process group of its own. When it ends, or its time
//! is up, every process left in that group is waited for (briefly), then
//! killed, and reaped; the result says what was left, so a test can fail on
//! it. Orphans of the group are adopted by the calling process (it becomes a
//! "child subreaper"), so they are reaped here and never linger as zombies.
//!
//! It uses `std::process::Command`, which is safe in a multi-threaded test
//! harness; it never forks by itself and never waits for "any child" (which
//! would steal other tests' children), only for the pids of its own group.

use std::ffi::OsStr;
use std::io::{self, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, Once};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{killpg, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{getpid, Pid};

/// How long the group's other processes get to end after its leader did.
const GRACE: Duration = Duration::from_secs(5);

/// What a supervised run produced.
#[derive(Debug)]
pub struct Outcome {
    /// The leader's exit status (after a kill on time-out, the signal).
    pub status: ExitStatus,
    /// Everything the program wrote to stdout.
    pub stdout: String,
    /// Everything the program wrote to stderr.
    pub stderr: String,
    /// True if the time limit ran out and the group was killed.
    pub timed_out: bool,
    /// Pids (with their command names) that were still in the group after
    /// the leader ended and the grace period passed; they have been killed.
    pub leftovers: Vec<(i32, String)>,
    /// How long the run took.
    pub elapsed: Duration,
}

impl Outcome {
    /// The exit code in Python's convention: the status, or -N for death by
    /// signal N.
    pub fn code(&self) -> i32 {
        match (self.status.code(), self.status.signal()) {
            (Some(code), _) => code,
            (None, Some(signal)) => -signal,
            (None, None) => i32::MIN,
        }
    }

    /// True when the run ended in time, with status 0 and nothing left over.
    pub fn clean_success(&self) -> bool {
        !self.timed_out && self.status.success() && self.leftovers.is_empty()
    }

    /// stdout's lines, sorted: for comparing the output of racing processes.
    pub fn sorted_lines(&self) -> Vec<&str> {
        let mut lines: Vec<&str> = self.stdout.lines().collect();
        lines.sort_unstable();
        lines
    }

    /// A summary for assertion messages.
    pub fn describe(&self) -> String {
        format!(
            "code {} after {:.1?}{}{}\n--- stdout ---\n{}--- stderr ---\n{}",
            self.code(),
            self.elapsed,
            if self.timed_out { ", TIMED OUT" } else { "" },
            if self.leftovers.is_empty() { String::new() } else { format!(", LEFT BEHIND: {:?}", self.leftovers) },
            self.stdout,
            self.stderr
        )
    }
}

/// A program to run under supervision.
#[derive(Debug)]
pub struct Supervised {
    command: Command,
    limit: Duration,
    stdin: Option<Vec<u8>>,
}

impl Supervised {
    /// Run `program` with no arguments yet, within 60 seconds.
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        Supervised { command: Command::new(program), limit: Duration::from_secs(60), stdin: None }
    }

    /// Add arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command.args(args);
        self
    }

    /// Set an environment variable for the program.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.command.env(key, value);
        self
    }

    /// Remove an environment variable for the program.
    pub fn env_remove(mut self, key: impl AsRef<OsStr>) -> Self {
        self.command.env_remove(key);
        self
    }

    /// Run in this folder.
    pub fn current_dir(mut self, dir: impl AsRef<std::path::Path>) -> Self {
        self.command.current_dir(dir);
        self
    }

    /// Feed these bytes to the program's stdin (default: no stdin).
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    /// Kill the whole group if the run takes longer than this.
    pub fn time_limit(mut self, limit: Duration) -> Self {
        self.limit = limit;
        self
    }

    /// Start the program; `on_start` gets a handle on it (its pid, which is
    /// also its process group id, and its output so far) before it is waited
    /// for, to act on it while it runs.
    pub fn run_with(mut self, on_start: impl FnOnce(&Running)) -> io::Result<Outcome> {
        become_subreaper();
        let started = Instant::now();
        // SIGINT and SIGQUIT as a terminal's program has them: a background
        // job of a non-interactive shell (a CI script run with `&`) starts
        // with both ignored, its children inherit that, and a program under
        // test would not see the Ctrl-C its test sends.
        // SAFETY: the closure runs in the child between fork and exec, and
        // calls only signal(2), which is async-signal-safe.
        unsafe {
            self.command.pre_exec(|| {
                libc::signal(libc::SIGINT, libc::SIG_DFL);
                libc::signal(libc::SIGQUIT, libc::SIG_DFL);
                Ok(())
            });
        }
        self.command
            .process_group(0)
            .stdin(if self.stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.command.spawn()?;
        let leader = Pid::from_raw(child.id() as i32);
        let running = Running { pid: leader, stdout: Arc::new((Mutex::new(Vec::new()), Condvar::new())) };
        let stdout = collect(child.stdout.take(), Some(Arc::clone(&running.stdout)));
        let stderr = collect(child.stderr.take(), None);
        if let (Some(bytes), Some(mut input)) = (self.stdin.take(), child.stdin.take()) {
            thread::spawn(move || {
                let _ = input.write_all(&bytes);
            });
        }
        on_start(&running);

        let deadline = started + self.limit;
        let (status, timed_out) = match wait_until(&mut child, deadline)? {
            Some(status) => (status, false),
            None => {
                let _ = killpg(leader, Signal::SIGKILL);
                (child.wait()?, true)
            }
        };
        let leftovers = clear_group(leader, Instant::now() + GRACE);
        Ok(Outcome {
            status,
            stdout: stdout.join().unwrap_or_default(),
            stderr: stderr.join().unwrap_or_default(),
            timed_out,
            leftovers,
            elapsed: started.elapsed(),
        })
    }

    /// Start the program and wait for it (and its group) to end.
    pub fn run(self) -> io::Result<Outcome> {
        self.run_with(|_| {})
    }
}

/// A supervised program while it runs.
pub struct Running {
    pid: Pid,
    stdout: Arc<(Mutex<Vec<u8>>, Condvar)>,
}

impl Running {
    /// The program's pid, also the id of its process group.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Wait until the program's stdout so far contains each of `needles`,
    /// at most `limit`; false if it did not in time.
    pub fn wait_for_stdout(&self, needles: &[&str], limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        let (text, grew) = &*self.stdout;
        let mut seen = text.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let so_far = String::from_utf8_lossy(&seen);
            if needles.iter().all(|needle| so_far.contains(needle)) {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            seen = grew.wait_timeout(seen, left).unwrap_or_else(|e| e.into_inner()).0;
        }
    }
}

/// Read a pipe to its end; with `live`, also share what arrives as it comes.
fn collect<R: Read + Send + 'static>(
    pipe: Option<R>,
    live: Option<Arc<(Mutex<Vec<u8>>, Condvar)>>,
) -> JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let mut chunk = [0u8; 8192];
        if let Some(mut pipe) = pipe {
            loop {
                match pipe.read(&mut chunk) {
                    Ok(0) => break,
                    Ok(n) => {
                        bytes.extend_from_slice(&chunk[..n]);
                        if let Some(live) = &live {
                            live.0.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(&chunk[..n]);
                            live.1.notify_all();
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Wait for `child` until `deadline`; `None` if it was still running then.
fn wait_until(child: &mut Child, deadline: Instant) -> io::Result<Option<ExitStatus>> {
    let mut pause = Duration::from_micros(100);
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

fn become_subreaper() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: PR_SET_CHILD_SUBREAPER takes an integer flag and touches no
        // memory of ours.
        unsafe {
            libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        }
    });
}

/// A process seen in /proc: pid, parent, state letter, name.
struct ProcInfo {
    pid: i32,
    ppid: i32,
    state: char,
    name: String,
}

/// Every process whose process group is `group`.
pub fn group_members(group: Pid) -> Vec<(i32, String)> {
    scan_group(group).into_iter().map(|p| (p.pid, p.name)).collect()
}

fn scan_group(group: Pid) -> Vec<ProcInfo> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // "pid (comm) state ppid pgrp ...": comm may hold spaces and ')'.
            let open = stat.find('(')?;
            let close = stat.rfind(')')?;
            let name = stat[open + 1..close].to_owned();
            let mut rest = stat[close + 1..].split_whitespace();
            let state = rest.next()?.chars().next()?;
            let ppid = rest.next()?.parse().ok()?;
            let pgrp: i32 = rest.next()?.parse().ok()?;
            (pgrp == group.as_raw()).then_some(ProcInfo { pid, ppid, state, name })
        })
        .collect()
}

/// Reap what of the group has become our child and ended; wait for the rest
/// until `deadline`; then kill and reap whatever is still there, and return it.
fn clear_group(group: Pid, deadline: Instant) -> Vec<(i32, String)> {
    let me = getpid().as_raw();
    let mut pause = Duration::from_micros(200);
    loop {
        let members = scan_group(group);
        for member in &members {
            if member.ppid == me && member.state == 'Z' {
                let _ = waitpid(Pid::from_raw(member.pid), Some(WaitPidFlag::WNOHANG));
            }
        }
        let alive: Vec<&ProcInfo> = members.iter().filter(|m| m.state != 'Z').collect();
        let zombies_elsewhere = members.iter().any(|m| m.state == 'Z' && m.ppid != me);
        if alive.is_empty() && !zombies_elsewhere {
            return Vec::new();
        }
        let now = Instant::now();
        if now >= deadline {
            let left: Vec<(i32, String)> = members.iter().map(|m| (m.pid, m.name.clone())).collect();
            kill_and_reap(group);
            return left;
        }
        thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

fn kill_and_reap(group: Pid) {
    let me = getpid().as_raw();
    match killpg(group, Signal::SIGKILL) {
        Ok(()) | Err(Errno::ESRCH) => {}
        Err(_) => return,
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        let members = scan_group(group);
        let mut waiting = false;
        for member in members.iter().filter(|m| m.ppid == me) {
            waiting = true;
            if let Ok(WaitStatus::StillAlive) = waitpid(Pid::from_raw(member.pid), Some(WaitPidFlag::WNOHANG)) {
                thread::sleep(Duration::from_millis(5));
            }
        }
        if !waiting {
            return;
        }
    }
}
