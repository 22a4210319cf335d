//! `Process`: Python's `multiprocessing.Process`, on `fork` and `waitpid`.
//!
//! A process has a target (a closure, or a type that implements [`Run`]), a
//! name, and a daemon flag; `start` forks a child that runs the target and
//! exits; `join` waits for it; `exit_code` follows Python's convention: the
//! exit status, or `-N` when signal `N` killed the child.
//!
//! As in Python, when a program ends ([`exit_cleanup`]), its daemon children
//! are terminated and the others are joined. Beyond Python, a daemon child
//! also dies when its parent is killed outright (Linux's parent-death
//! signal), so a crashed parent leaves no daemon running.

use std::fmt;
use std::io::{self, Write};
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{kill, Signal};
use nix::unistd::{fork, getpid, getppid, ForkResult, Pid};

use crate::Error;

/// A user-defined process type: Python's "subclass `Process` and override
/// `run`". Wrap a value in a process with [`Process::from_run`]; its default
/// name is the type's name and a number, such as `MyProcess-1`.
pub trait Run {
    /// What the child process does.
    fn run(&mut self);
}

/// Where a process stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Initial,
    Started(Pid),
    Stopped(Pid, i32),
}

/// A child process, created stopped; see the module docs.
pub struct Process {
    name: String,
    /// Its place in the numbering: the creator's path and its own number
    /// (`[2]` for `Process-2`, `[2, 1]` for `Process-2:1`). A child numbers
    /// its own children below it.
    identity: Vec<u32>,
    daemon: bool,
    target: Option<Box<dyn FnOnce()>>,
    state: State,
}

/// The numbering of processes, as Python does it: each process object takes
/// the next number from its creator's counter, and a child's own children
/// are numbered below it (`Process-2:1`).
struct Identity {
    path: Vec<u32>,
    counter: u32,
    name: String,
    /// This process is a daemon child: it may not start children.
    daemon: bool,
}

static IDENTITY: Mutex<Identity> =
    Mutex::new(Identity { path: Vec::new(), counter: 0, name: String::new(), daemon: false });

/// A child started and not yet joined.
struct Child {
    pid: Pid,
    daemon: bool,
    /// Its name, for the trace of its end.
    name: String,
    /// Its `Process` was dropped without `join`: nobody will collect its
    /// end, so the library reaps it (at the next `start` or
    /// `active_children`), as Python does, rather than leave a zombie.
    handle_dropped: bool,
}

/// Children started and not yet joined.
static CHILDREN: Mutex<Vec<Child>> = Mutex::new(Vec::new());

/// Reap the children whose handles were dropped and that have ended.
fn reap_dropped() {
    lock(&CHILDREN).retain(|child| !(child.handle_dropped && matches!(wait(child.pid, true), Ok(Some(_)) | Err(_))));
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The next default name with this prefix (`Process-3`, `MyProcess-1`,
/// `Process-2:1`), and the identity it stands for.
fn next_name(prefix: &str) -> (String, Vec<u32>) {
    let mut identity = lock(&IDENTITY);
    identity.counter += 1;
    let mut path = identity.path.clone();
    path.push(identity.counter);
    let numbers: Vec<String> = path.iter().map(u32::to_string).collect();
    (format!("{prefix}-{}", numbers.join(":")), path)
}

/// The name of the running process: `MainProcess` in the program itself, a
/// child's own name inside a child (Python's `current_process().name`).
pub fn current_name() -> String {
    let identity = lock(&IDENTITY);
    if identity.name.is_empty() {
        "MainProcess".to_owned()
    } else {
        identity.name.clone()
    }
}

impl Process {
    /// A process that will run `target`, named `Process-N`.
    pub fn new(target: impl FnOnce() + 'static) -> Self {
        let (name, identity) = next_name("Process");
        Process { name, identity, daemon: false, target: Some(Box::new(target)), state: State::Initial }
    }

    /// A process that will call `runner.run()`, named after the type:
    /// `MyProcess-N` for a `struct MyProcess`.
    pub fn from_run<R: Run + 'static>(mut runner: R) -> Self {
        let type_name = std::any::type_name::<R>();
        let short = type_name.rsplit("::").next().unwrap_or(type_name);
        let short = short.split('<').next().unwrap_or(short);
        let (name, identity) = next_name(short);
        Process { name, identity, daemon: false, target: Some(Box::new(move || runner.run())), state: State::Initial }
    }

    /// Give the process a name of your choosing.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Make it a daemon (or not): a daemon is terminated, not waited for,
    /// when its parent ends, and dies if its parent is killed.
    pub fn daemon(mut self, daemon: bool) -> Self {
        self.daemon = daemon;
        self
    }

    /// The process's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether it is a daemon.
    pub fn is_daemon(&self) -> bool {
        self.daemon
    }

    /// The child's pid, once started.
    pub fn pid(&self) -> Option<Pid> {
        match self.state {
            State::Initial => None,
            State::Started(pid) | State::Stopped(pid, _) => Some(pid),
        }
    }

    /// Fork the child, which runs the target and exits: status 0 when the
    /// target returns, 1 when it panics (the message goes to stderr).
    ///
    /// Call it from a single-threaded program: `fork` copies only the calling
    /// thread, so this refuses ([`Error::MultiThreaded`]) when others run.
    /// A daemon may not start children ([`Error::DaemonicParent`]), as in
    /// Python: nobody would join them once the daemon is terminated.
    pub fn start(&mut self) -> Result<(), Error> {
        if self.state != State::Initial {
            return Err(Error::AlreadyStarted(self.name.clone()));
        }
        {
            let me = lock(&IDENTITY);
            if me.daemon {
                return Err(Error::DaemonicParent(me.name.clone()));
            }
        }
        // Children whose handles were dropped and that have ended are
        // reaped now, as Python's start does.
        reap_dropped();
        let threads = fork_safety(std::fs::read_to_string("/proc/self/stat"))?;
        if threads > 1 {
            return Err(Error::MultiThreaded(threads));
        }
        // Anything still buffered would be written twice: by the parent and
        // by the child, which gets a copy of the buffer.
        let _ = io::stdout().flush();
        let _ = io::stderr().flush();
        let parent = getpid();

        // SAFETY: the program is single-threaded (checked above), so the
        // child's copy of memory holds no lock taken by another thread; the
        // child runs the target and leaves with `_exit`, never returning here.
        // The target is taken only once the fork has succeeded: a failed
        // fork leaves the process as it was, to start again.
        match unsafe { fork() }.map_err(|e| Error::Os("fork", e))? {
            ForkResult::Child => {
                let target = self.target.take().expect("an initial process has its target");
                run_child(target, &self.name, &self.identity, self.daemon, parent)
            }
            ForkResult::Parent { child } => {
                // Dropping the target closes, in the parent, whatever the
                // closure captured: pipe ends moved into it now belong to
                // the child alone.
                drop(self.target.take());
                crate::trace::mark(format_args!("fork: {} is pid {child}", self.name));
                self.state = State::Started(child);
                lock(&CHILDREN).push(Child {
                    pid: child,
                    daemon: self.daemon,
                    name: self.name.clone(),
                    handle_dropped: false,
                });
                Ok(())
            }
        }
    }

    /// Wait for the child to end, and return its exit code.
    pub fn join(&mut self) -> Result<i32, Error> {
        match self.state {
            State::Initial => Err(Error::NotStarted(self.name.clone())),
            State::Stopped(_, code) => Ok(code),
            State::Started(pid) => {
                let waiting = crate::trace::span(format_args!("join {}", self.name));
                let code = wait_blocking(pid).map_err(|e| self.lost(pid, e))?;
                drop(waiting);
                self.stopped(pid, code);
                Ok(code)
            }
        }
    }

    /// Wait at most `limit` for the child to end: `Some(exit code)`, or
    /// `None` if it is still running.
    pub fn join_timeout(&mut self, limit: Duration) -> Result<Option<i32>, Error> {
        let pid = match self.state {
            State::Initial => return Err(Error::NotStarted(self.name.clone())),
            State::Stopped(_, code) => return Ok(Some(code)),
            State::Started(pid) => pid,
        };
        let deadline = Instant::now() + limit;
        let pidfd = pidfd_open(pid);
        let _waiting = crate::trace::span(format_args!("join {}", self.name));
        loop {
            if let Some(code) = self.poll_exit()? {
                return Ok(Some(code));
            }
            if !sleep_until_ended(pidfd.as_ref(), deadline)? {
                return Ok(None);
            }
        }
    }

    /// True from `start` until the child has ended (Python's `is_alive`).
    /// Like Python's, it collects the end of a child that has ended (no
    /// zombie is left): between the child's death and this call (or
    /// `join`, `exit_code`), the child is a *zombie*, dead with its exit
    /// status kept by the kernel for its parent; see
    /// [`kernel_state`](Self::kernel_state).
    ///
    /// Right after [`terminate`](Self::terminate), the answer is a race:
    /// the signal is on its way. To wait for the child's death without
    /// collecting it, use [`wait_ended`](Self::wait_ended).
    pub fn is_alive(&mut self) -> bool {
        matches!(self.poll_exit(), Ok(None)) && matches!(self.state, State::Started(_))
    }

    /// Wait at most `limit` for the child to end, *without* collecting its
    /// end: true if it has ended (it is then a zombie until `join`,
    /// `is_alive` or `exit_code` collect it). Python does this by waiting
    /// on `p.sentinel` with `multiprocessing.connection.wait`.
    pub fn wait_ended(&mut self, limit: Duration) -> Result<bool, Error> {
        let pid = match self.state {
            State::Initial => return Err(Error::NotStarted(self.name.clone())),
            State::Stopped(..) => return Ok(true),
            State::Started(pid) => pid,
        };
        let deadline = Instant::now() + limit;
        let pidfd = pidfd_open(pid);
        let _waiting = crate::trace::span(format_args!("wait for {} to end", self.name));
        loop {
            if has_ended(pid).map_err(|e| self.lost(pid, e))? {
                crate::trace::mark_child(pid.as_raw(), &self.name, format_args!("ended: a zombie until reaped"));
                return Ok(true);
            }
            if !sleep_until_ended(pidfd.as_ref(), deadline)? {
                return Ok(false);
            }
        }
    }

    /// What the kernel says the child is doing, from `/proc/PID/stat`:
    /// `"running"`, `"sleeping"` (waiting for something), `"disk sleep"`,
    /// `"stopped"`, `"zombie"` (dead, its end not yet collected), ...
    /// `None` before `start`, and once its end has been collected (the
    /// kernel then has forgotten it).
    pub fn kernel_state(&self) -> Option<&'static str> {
        let State::Started(pid) = self.state else {
            return None;
        };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let code = stat[stat.rfind(')')? + 1..].split_whitespace().next()?;
        Some(match code {
            "R" => "running",
            "S" => "sleeping",
            "D" => "disk sleep",
            "T" => "stopped",
            "t" => "tracing stop",
            "Z" => "zombie",
            "X" | "x" => "dead",
            "I" => "idle",
            "P" => "parked",
            "W" => "waking",
            _ => "unknown",
        })
    }

    /// The exit code if the child has ended (Python's `exitcode`): `None`
    /// while it runs or before it started.
    pub fn exit_code(&mut self) -> Option<i32> {
        self.poll_exit().ok().flatten()
    }

    /// Ask the child to stop: SIGTERM, which it may catch. No-op once its
    /// end has been collected. The signal is on its way when this returns:
    /// the child may still run for a while (see [`wait_ended`](Self::wait_ended)).
    pub fn terminate(&mut self) -> Result<(), Error> {
        self.signal(Signal::SIGTERM)
    }

    /// Stop the child for sure: SIGKILL, which cannot be caught.
    pub fn kill(&mut self) -> Result<(), Error> {
        self.signal(Signal::SIGKILL)
    }

    fn signal(&mut self, signal: Signal) -> Result<(), Error> {
        if matches!(self.state, State::Started(_)) {
            crate::trace::mark(format_args!("{} to {}", signal.as_str(), self.name));
        }
        match self.state {
            State::Initial => Err(Error::NotStarted(self.name.clone())),
            State::Stopped(..) => Ok(()),
            State::Started(pid) => match kill(pid, signal) {
                Ok(()) => Ok(()),
                // Not ours to wait for any more (reaped elsewhere): join says so.
                Err(Errno::ESRCH) => Ok(()),
                Err(e) => Err(Error::Os("kill", e)),
            },
        }
    }

    /// Reap the child if it has ended, without waiting.
    fn poll_exit(&mut self) -> Result<Option<i32>, Error> {
        match self.state {
            State::Initial => Ok(None),
            State::Stopped(_, code) => Ok(Some(code)),
            State::Started(pid) => match wait(pid, true) {
                Ok(Some(code)) => {
                    self.stopped(pid, code);
                    Ok(Some(code))
                }
                Ok(None) => Ok(None),
                Err(e) => Err(self.lost(pid, e)),
            },
        }
    }

    /// The error for a failed wait: a child reaped elsewhere has lost its
    /// exit code, and none is invented.
    fn lost(&self, pid: Pid, errno: Errno) -> Error {
        match errno {
            Errno::ECHILD => Error::ExitCodeLost { name: self.name.clone(), pid: pid.as_raw() },
            e => Error::Os("waitpid", e),
        }
    }

    fn stopped(&mut self, pid: Pid, code: i32) {
        crate::trace::mark_child(pid.as_raw(), &self.name, format_args!("reaped ({})", crate::trace::HowEnded(code)));
        self.state = State::Stopped(pid, code);
        lock(&CHILDREN).retain(|child| child.pid != pid);
    }
}

/// A handle dropped while its child runs or waits to be reaped: the
/// library reaps the child once it has ended (its exit code is lost with
/// the handle).
impl Drop for Process {
    fn drop(&mut self) {
        if let State::Started(pid) = self.state {
            if let Some(child) = lock(&CHILDREN).iter_mut().find(|c| c.pid == pid) {
                child.handle_dropped = true;
            }
        }
    }
}

/// Python's `repr` of a process: `<Process name='Process-1' pid=42 parent=41 started>`.
impl fmt::Display for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<Process name='{}'", self.name)?;
        match self.state {
            State::Initial => write!(f, " parent={} initial", getpid())?,
            State::Started(pid) => write!(f, " pid={pid} parent={} started", getpid())?,
            State::Stopped(pid, code) => {
                write!(f, " pid={pid} parent={} stopped exitcode=", getpid())?;
                // A negative code is a signal's number, negated; a code of 0
                // or more negated is no signal, and is printed as it is.
                match Signal::try_from(-code) {
                    Ok(signal) => write!(f, "-{}", signal.as_str())?,
                    Err(_) => write!(f, "{code}")?,
                }
            }
        }
        if self.daemon {
            write!(f, " daemon")?;
        }
        write!(f, ">")
    }
}

impl fmt::Debug for Process {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Wait for `pid` (without blocking, if `nohang`), and give its exit code
/// in Python's convention: the status, or `-N` for death by signal `N`,
/// real-time signals included (the raw status is decoded here: a typed
/// conversion fails on signals it has no name for, after the child was
/// already reaped). `None`: still running.
fn wait(pid: Pid, nohang: bool) -> Result<Option<i32>, Errno> {
    loop {
        let mut status: libc::c_int = 0;
        let flags = if nohang { libc::WNOHANG } else { 0 };
        // SAFETY: waitpid writes the status of our own child into `status`.
        let rc = unsafe { libc::waitpid(pid.as_raw(), &mut status, flags) };
        if rc < 0 {
            match Errno::last() {
                Errno::EINTR => continue,
                e => return Err(e),
            }
        }
        if rc == 0 {
            return Ok(None);
        }
        if libc::WIFEXITED(status) {
            return Ok(Some(libc::WEXITSTATUS(status)));
        }
        if libc::WIFSIGNALED(status) {
            return Ok(Some(-libc::WTERMSIG(status)));
        }
        if nohang {
            return Ok(None); // stopped or continued: not an end
        }
    }
}

fn wait_blocking(pid: Pid) -> Result<i32, Errno> {
    loop {
        if let Some(code) = wait(pid, false)? {
            return Ok(code);
        }
    }
}

fn pidfd_open(pid: Pid) -> Option<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid.as_raw(), 0) };
    if fd < 0 {
        return None;
    }
    // SAFETY: the kernel just gave us this descriptor; we own it.
    Some(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Sleep until the child behind `pidfd` has ended, or `deadline`: false
/// once the deadline has passed. Without a pidfd (kernels before 5.3), a
/// short sleep; the caller looks again.
fn sleep_until_ended(pidfd: Option<&OwnedFd>, deadline: Instant) -> Result<bool, Error> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Ok(false);
    }
    match pidfd {
        // Readable when the child has exited.
        Some(fd) => {
            let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
            let ms = PollTimeout::try_from(left.as_millis().clamp(1, 60_000) as i32).unwrap_or(PollTimeout::MAX);
            match poll(&mut fds, ms) {
                Ok(_) | Err(Errno::EINTR) => {}
                Err(e) => return Err(Error::Os("poll", e)),
            }
        }
        None => std::thread::sleep(left.min(Duration::from_millis(5))),
    }
    Ok(true)
}

/// Has our child `pid` ended? Its end is left for a wait to collect
/// (`WNOWAIT`).
fn has_ended(pid: Pid) -> Result<bool, Errno> {
    loop {
        // SAFETY: waitid with WNOWAIT reports whether our child has exited
        // without reaping it; the siginfo is ours to fill.
        let (rc, info) = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            let rc = libc::waitid(
                libc::P_PID,
                pid.as_raw() as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            );
            (rc, info)
        };
        if rc == 0 {
            // SAFETY: waitid filled the siginfo (si_pid 0: not ended yet).
            return Ok(unsafe { info.si_pid() } != 0);
        }
        match Errno::last() {
            Errno::EINTR => continue,
            e => return Err(e),
        }
    }
}

/// Threads in this process, from the text of /proc/self/stat. When it
/// cannot be read or parsed, nothing says the fork is safe: an error.
fn fork_safety(stat: io::Result<String>) -> Result<usize, Error> {
    let stat = stat.map_err(|e| Error::ThreadsUnknown(format!("/proc/self/stat: {e}")))?;
    stat.rfind(')')
        .and_then(|end| {
            // Field 20 of stat, the 18th after "(comm)".
            stat[end + 1..].split_whitespace().nth(17)?.parse().ok()
        })
        .ok_or_else(|| Error::ThreadsUnknown("/proc/self/stat has no thread count".into()))
}

/// The child's side of `start`: never returns.
fn run_child(target: Box<dyn FnOnce()>, name: &str, identity: &[u32], daemon: bool, parent: Pid) -> ! {
    if daemon {
        // SAFETY: prctl with PR_SET_PDEATHSIG takes a signal number only.
        unsafe {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
        }
        // The parent may have died before the line above took effect.
        if getppid() != parent {
            exit_now(1);
        }
    }
    {
        // Its own children are numbered below its own identity.
        let mut numbering = lock(&IDENTITY);
        numbering.path = identity.to_vec();
        numbering.counter = 0;
        numbering.name = name.to_owned();
        numbering.daemon = daemon;
    }
    lock(&CHILDREN).clear();
    crate::trace::mark(format_args!("started"));
    let code = match panic::catch_unwind(AssertUnwindSafe(target)) {
        Ok(()) => 0,
        Err(_) => 1, // the panic hook has printed the message on stderr
    };
    exit_cleanup();
    crate::trace::mark(format_args!("{}", crate::trace::HowEnded(code)));
    exit_now(code)
}

/// Flush what is buffered and leave at once, running no destructor of the
/// parent's objects this child has copies of.
fn exit_now(code: i32) -> ! {
    let _ = io::stdout().flush();
    let _ = io::stderr().flush();
    // SAFETY: _exit ends the process; nothing runs after it.
    unsafe { libc::_exit(code) }
}

/// The children started and not yet joined that are still running
/// (Python's `active_children()`), as pids. It reaps the children whose
/// handles were dropped and that have ended; a child that has ended and
/// still has its `Process` stays for it to reap, with its exit code.
pub fn active_children() -> Vec<Pid> {
    reap_dropped();
    lock(&CHILDREN).iter().map(|child| child.pid).filter(|pid| has_ended(*pid) == Ok(false)).collect()
}

/// The process that started this one, when this one was started by
/// [`Process::start`] (Python's `parent_process()`); `None` in the program itself.
pub fn parent_process() -> Option<Pid> {
    (!lock(&IDENTITY).name.is_empty()).then(getppid)
}

/// What Python does when a program ends: terminate (SIGTERM) the daemon
/// children still running, then wait for every child not yet joined.
/// The `local-procs` binary calls it when a scenario returns; every child
/// calls it when its target returns.
pub fn exit_cleanup() {
    let children = std::mem::take(&mut *lock(&CHILDREN));
    for child in &children {
        if child.daemon {
            crate::trace::mark(format_args!("SIGTERM to {} (a daemon, at exit)", child.name));
            let _ = kill(child.pid, Signal::SIGTERM);
        }
    }
    for child in children {
        let waiting = crate::trace::span(format_args!("join {} (at exit)", child.name));
        let ended = wait_blocking(child.pid);
        drop(waiting);
        if let Ok(code) = ended {
            let how = format_args!("reaped at exit ({})", crate::trace::HowEnded(code));
            crate::trace::mark_child(child.pid.as_raw(), &child.name, how);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fork_is_refused_when_the_thread_count_cannot_be_read() {
        let unreadable = fork_safety(Err(io::Error::from(io::ErrorKind::PermissionDenied)));
        assert!(matches!(unreadable, Err(Error::ThreadsUnknown(_))), "{unreadable:?}");
        assert!(matches!(fork_safety(Ok("42 (x) S".into())), Err(Error::ThreadsUnknown(_))));
        let stat = "42 (a (b) c) S 1 42 42 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 3 0 1 2 3";
        assert_eq!(fork_safety(Ok(stat.into())).unwrap(), 3);
    }
}
