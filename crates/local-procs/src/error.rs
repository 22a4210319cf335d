//! The one error type of the library.

use std::io;
use std::time::Duration;

use nix::errno::Errno;

/// What can go wrong with a process, a channel or a pool.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `start` was called twice.
    #[error("process '{0}' was already started; a process can be started once")]
    AlreadyStarted(String),
    /// A daemon tried to start a child (Python refuses too): a daemon is
    /// terminated when its parent ends, and its children would be left
    /// behind, orphans nobody joins.
    #[error(
        "process '{0}' is a daemon, and a daemon may not start children (they would be orphaned when it is terminated)"
    )]
    DaemonicParent(String),
    /// `join`, `terminate` or `kill` before `start`.
    #[error("process '{0}' was not started yet")]
    NotStarted(String),
    /// `fork` in a program that runs threads copies only the calling thread;
    /// locks held by the others stay locked forever in the child.
    #[error("cannot fork safely: this program runs {0} threads (fork copies only the calling one)")]
    MultiThreaded(usize),
    /// The operating system refused.
    #[error("{0}: {1}")]
    Os(&'static str, #[source] Errno),
    /// Reading or writing a pipe failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// A message could not be encoded or decoded.
    #[error("message encoding: {0}")]
    Codec(#[from] postcard::Error),
    /// Nobody is left to read what is sent: every reading end is closed.
    #[error("the other end is closed: nobody is left to receive")]
    Disconnected,
    /// A wait reached its time limit.
    #[error("gave up after {0:?}")]
    Timeout(Duration),
    /// A barrier was broken, for the reason given: a party timed out, died
    /// while waiting, or called `abort`; or `reset` was called while this
    /// party waited. It stays broken until [`reset`](crate::Barrier::reset).
    #[error("the barrier is broken: {0}")]
    BrokenBarrier(&'static str),
    /// A message is larger than the queue can ever hold.
    #[error("a message of {size} bytes cannot fit a queue of {capacity} bytes")]
    TooLarge {
        /// Encoded size of the message.
        size: usize,
        /// Capacity of the queue.
        capacity: usize,
    },
    /// The child was reaped by something else (SIGCHLD ignored, say): its
    /// exit code is unknown, and none is made up.
    #[error("the exit code of process '{name}' (pid {pid}) is lost: it was reaped elsewhere (is SIGCHLD ignored?)")]
    ExitCodeLost {
        /// The process's name.
        name: String,
        /// Its pid.
        pid: i32,
    },
    /// Whether the program runs other threads cannot be told, so forking is
    /// not known to be safe.
    #[error("cannot tell whether this program runs other threads ({0}); refusing to fork")]
    ThreadsUnknown(String),
    /// A process died while it was changing the queue (holding its lock),
    /// or the queue's bookkeeping is inconsistent: items may be lost or
    /// half-written, so the queue refuses to go on.
    #[error("the queue is broken: {0}")]
    QueueBroken(&'static str),
    /// The pool was closed or terminated, or a map on it was abandoned.
    #[error("the pool is not running: {0}")]
    PoolNotRunning(&'static str),
    /// `join` had to kill workers that had not ended within its limit.
    #[error("pool workers {pids:?} had not ended within {limit:?} and were killed")]
    WorkersKilled {
        /// The killed workers' pids.
        pids: Vec<i32>,
        /// The limit they were given.
        limit: Duration,
    },
    /// A pool worker died between tasks (no task was lost with it).
    #[error("pool worker {pid} died ({how}) while idle, between tasks; the pool was stopped")]
    WorkerDiedIdle {
        /// The worker's pid.
        pid: i32,
        /// How it died.
        how: String,
    },
    /// A task failed in its worker (its function panicked, or its result
    /// could not be encoded), as Python's pool re-raises a task's exception
    /// in the caller. The pool's other tasks were finished, and it can be
    /// used again.
    #[error("the task for {input} failed in its worker: {message}")]
    TaskFailed {
        /// Which input: "input index 7", or "the apply_async task".
        input: String,
        /// The panic's message, or the encoding error.
        message: String,
    },
    /// A pool worker died while running a task.
    #[error("pool worker {pid} died ({how}) while running the task for {task}; the pool was stopped")]
    WorkerDied {
        /// The task the worker was running: "input index 7", or "the
        /// apply_async task".
        task: String,
        /// The worker's pid.
        pid: i32,
        /// How it died, such as "killed by SIGKILL" or "exit status 1".
        how: String,
    },
}
