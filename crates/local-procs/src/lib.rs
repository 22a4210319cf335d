//! Python's `multiprocessing`, in Rust on `nix`: the small library under the
//! `local-procs` lessons.
//!
//! | Python                          | here                                  |
//! |---------------------------------|---------------------------------------|
//! | `Process(target=f, name=..)`    | [`Process::new`], [`Process::with_name`] |
//! | subclass with `run()`           | [`Run`] and [`Process::from_run`]     |
//! | `Pipe(duplex=False)`            | [`pipe()`]                            |
//! | `Queue()`                       | [`Queue`]                             |
//! | `Lock()`, `Barrier(n)`          | [`Lock`], [`Barrier`]                 |
//! | `Event()`, `Semaphore(n)`       | [`Event`], [`Semaphore`]              |
//! | `Condition()`                   | [`Condition`]                         |
//! | `Value('i', 0)`, `Array('d', n)`| [`Value`], [`Array`]                  |
//! | `Pool()` (one worker per core)  | [`Pool::with_cores`]                  |
//! | `starmap`, `imap`, `imap_unordered`, `apply` | [`Pool::starmap`], [`Pool::imap`], [`Pool::imap_unordered`], [`Pool::apply`] |
//! | `apply_async(f, (x,)).get()`    | [`Pool::apply_async`], [`AsyncResult::get`] |
//! | `active_children()`             | [`active_children`]                   |
//! | `parent_process()`              | [`parent_process`]                    |
//! | `Pool(n).map(f, xs)`            | [`Pool::new`], [`Pool::map`]          |
//! | `current_process().name`        | [`current_name`]                      |
//!
//! Everything here works across `fork`: make a pipe, queue, lock or barrier
//! *before* starting the processes that share it, and move it (or a clone)
//! into each of them. `fork` must happen in a single-threaded program;
//! [`Process::start`] checks.
//!
//! [`supervise`] is the other side: running a program with a time limit and
//! checking that nothing it started outlives it, for tests and benchmarks.

pub mod error;
pub mod pace;
pub mod pipe;
pub mod pool;
pub mod process;
pub mod queue;
mod shm;
pub mod supervise;
pub mod sync;
pub mod trace;
pub mod value;

pub use error::Error;
pub use pipe::pipe;
pub use pool::{AsyncResult, Pool};
pub use process::{active_children, current_name, exit_cleanup, parent_process, Process, Run};
pub use queue::Queue;
pub use sync::{Barrier, Condition, Event, Lock, Semaphore};
pub use value::{Array, Plain, Value};
