//! `Pool`: Python's `multiprocessing.Pool`, a fixed set of worker processes
//! that `map` a function over inputs and return the results in input order.
//!
//! Workers are forked when the pool is made, as daemons; each has a pipe in
//! (tasks) and a pipe out (results), and a region of memory shared with the
//! parent. `map` cuts the inputs into chunks (Python's default size: a
//! quarter of the inputs per worker), gives each idle worker the next chunk,
//! and puts results back in input order. Chunks of plain numbers travel
//! through the worker's shared region as they lie in memory; other types
//! are encoded with serde and travel through the pipes.
//!
//! The function must be a plain `fn`, not a closure that captures: Python
//! pickles a function by name, and here a worker, being a fork of the
//! parent, finds the function at the same address in its own copy of the
//! program. That is how a pool built before `map` can run any function.
//!
//! A task that fails (its function panics, or its result cannot be
//! encoded) fails alone, as in Python, where the task's exception is
//! raised again in the caller: `map` lets the chunks already in the
//! workers finish, then returns [`Error::TaskFailed`] naming the first
//! input that failed and the panic's message; an `apply_async` task's
//! failure comes back from its `get`. The pool goes on.
//!
//! Beyond Python: when a worker dies (a crash, a signal), Python's `map`
//! waits forever. Here `map` returns [`Error::WorkerDied`] naming the task
//! the worker was running (or [`Error::WorkerDiedIdle`] when it held none),
//! and the pool's workers are stopped and reaped. `join` takes the
//! results of `apply_async` tasks that nobody has taken yet (a worker may
//! be blocked writing one larger than a pipe holds), for their `get`.
//!
//! `close` tells each worker to stop with a message of its own, rather than
//! by closing its task pipe: another fork (a second pool, a `Process`)
//! holds copies of those pipes, and their end would never come. `join` then
//! waits for them; a worker it must kill is an error. A pool that was
//! closed, terminated or left in the middle of a `map` (a panic) maps no
//! more: [`Error::PoolNotRunning`]. A pool handle moved into a child
//! process acts only in the process that made it.

mod chunks;
mod results;
mod stop;
mod wire;
mod worker;

use chunks::{decode, encode, is_plain_number, total_chunks, Chunks, Results};
pub use results::AsyncResult;
use wire::{region, region_size, slot, ArenaRunner, Done, NoHeader, Runner, Task, TaskOut, SLOT};
use worker::{run_chunk, run_chunk_in_arena, run_star_chunk, work};

use std::borrow::Cow;
use std::os::fd::{BorrowedFd, RawFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::pipe::{pipe, Receiver, Sender};
use crate::shm::{Shared, SharedInit};
use crate::{Error, Process};

struct Worker {
    process: Process,
    tasks: Option<Sender<Task>>,
    results: Receiver<Done>,
    /// First input index of the chunk it is running, if any.
    busy: Option<usize>,
    /// The `apply_async` task it is running, if any.
    reserved: Option<u64>,
}

/// A pool of worker processes; see the module docs.
pub struct Pool {
    workers: Vec<Worker>,
    progress: Shared<NoHeader>,
    /// Memory shared with the workers, one region each, for chunks of plain
    /// numbers: no copy through a pipe, no encoding.
    arena: Shared<NoHeader>,
    task_timeout: Option<Duration>,
    /// How long `terminate` lets a worker end on SIGTERM before SIGKILL.
    terminate_grace: Duration,
    state: PoolState,
    /// The process that made the pool: handles act only there.
    creator: nix::unistd::Pid,
    /// `apply_async` tasks: the next id, and results collected (by a map
    /// that needed their workers) before their `get`.
    next_async: u64,
    collected: std::collections::HashMap<u64, Result<Vec<u8>, String>>,
}

/// Where a pool stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PoolState {
    Running,
    /// A `map` is under way (if a map finds this, the previous one unwound).
    Mapping,
    Closed,
    Terminated,
    /// A worker died, or a map failed: the workers were stopped.
    Broken,
}

impl Pool {
    /// Start `workers` worker processes (at least 1).
    pub fn new(workers: usize) -> Result<Self, Error> {
        let count = workers.max(1);
        let progress: Shared<NoHeader> = Shared::new(count * SLOT)?;
        let arena: Shared<NoHeader> = Shared::new(count * region_size(count))?;
        let mut pool = Pool {
            workers: Vec::with_capacity(count),
            progress,
            arena,
            task_timeout: None,
            terminate_grace: Duration::from_secs(5),
            state: PoolState::Running,
            creator: nix::unistd::getpid(),
            next_async: 0,
            collected: std::collections::HashMap::new(),
        };
        for index in 0..count {
            let (task_tx, task_rx) = pipe::<Task>()?;
            let (done_tx, done_rx) = pipe::<Done>()?;
            // The pool's ends of the workers forked before this one: the new
            // worker inherits copies, and must close them, or those workers
            // would never see their task pipe close.
            let inherited: Vec<RawFd> = pool
                .workers
                .iter()
                .flat_map(|w| w.tasks.as_ref().map(Sender::raw_fd).into_iter().chain([w.results.raw_fd()]))
                .chain([task_tx.raw_fd(), done_rx.raw_fd()])
                .collect();
            let progress = pool.progress.clone();
            let arena = pool.arena.clone();
            let mut process = Process::new(move || {
                for fd in inherited {
                    // SAFETY: these descriptors belong to objects of the
                    // parent's that this child never uses nor drops (it
                    // leaves with _exit), so closing them here is the only
                    // use of these numbers in the child.
                    unsafe {
                        libc::close(fd);
                    }
                }
                // SAFETY: while this worker holds a task, its region is
                // its alone (the parent touches it only between tasks).
                let region = unsafe { region(&arena, index, region_size(count)) };
                work(task_rx, done_tx, slot(&progress, index), region);
            })
            .with_name(format!("PoolWorker-{}", index + 1))
            .daemon(true);
            process.start()?;
            pool.workers.push(Worker { process, tasks: Some(task_tx), results: done_rx, busy: None, reserved: None });
        }
        Ok(pool)
    }

    /// A pool of one worker per core of this machine: Python's `Pool()`.
    pub fn with_cores() -> Result<Self, Error> {
        Self::new(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }

    /// Give up a `map` when no chunk has finished for this long (default:
    /// wait as long as it takes, as Python does).
    pub fn set_task_timeout(&mut self, limit: Option<Duration>) {
        self.task_timeout = limit;
    }

    /// How long [`terminate`](Self::terminate) (and a drop) lets a worker
    /// end on SIGTERM before it kills it with SIGKILL (default 5 s). A
    /// worker ends at once on SIGTERM unless a task of yours ignores it or
    /// handles it; Python's `terminate` would wait for such a worker forever.
    pub fn set_terminate_grace(&mut self, grace: Duration) {
        self.terminate_grace = grace;
    }

    /// How many workers the pool has.
    pub fn workers(&self) -> usize {
        self.workers.len()
    }

    /// The workers' pids.
    pub fn pids(&self) -> Vec<i32> {
        self.workers.iter().filter_map(|w| w.process.pid()).map(|p| p.as_raw()).collect()
    }

    /// Apply `function` to every input, in the workers; the results come
    /// back in input order. Chunk size: Python's default.
    pub fn map<T, R>(&mut self, function: fn(T) -> R, inputs: impl IntoIterator<Item = T>) -> Result<Vec<R>, Error>
    where
        T: Serialize + DeserializeOwned + 'static,
        R: Serialize + DeserializeOwned + 'static,
    {
        let inputs = inputs.into_iter();
        match inputs.size_hint() {
            // The count is known: the inputs are taken a chunk at a time, as
            // they are handed out, never gathered into one vector.
            (low, Some(high)) if low == high => {
                let chunk = self.default_chunk(low);
                self.map_counted(function, inputs, low, chunk)
            }
            _ => {
                let inputs: Vec<T> = inputs.collect();
                let chunk = self.default_chunk(inputs.len());
                self.map_chunked(function, inputs, chunk)
            }
        }
    }

    /// Python's default chunk size: a quarter of the inputs per worker.
    fn default_chunk(&self, total: usize) -> usize {
        total.div_ceil(self.workers.len() * 4).max(1)
    }

    /// [`map`](Self::map) with chunks of `chunk` inputs.
    pub fn map_chunked<T, R>(&mut self, function: fn(T) -> R, inputs: Vec<T>, chunk: usize) -> Result<Vec<R>, Error>
    where
        T: Serialize + DeserializeOwned + 'static,
        R: Serialize + DeserializeOwned + 'static,
    {
        let total = inputs.len();
        self.map_counted(function, inputs.into_iter(), total, chunk)
    }

    /// Python's `starmap`: apply a function of two arguments to every pair
    /// of inputs, in the workers; the results come back in input order.
    ///
    /// ```no_run
    /// use local_procs::Pool;
    ///
    /// fn power(base: u64, exponent: u32) -> u64 {
    ///     base.pow(exponent)
    /// }
    /// let mut pool = Pool::new(2).unwrap();
    /// let powers = pool.starmap(power, [(2, 10), (3, 3), (10, 2)]).unwrap();
    /// assert_eq!(powers, [1024, 27, 100]);
    /// ```
    pub fn starmap<A, B, R>(
        &mut self,
        function: fn(A, B) -> R,
        inputs: impl IntoIterator<Item = (A, B)>,
    ) -> Result<Vec<R>, Error>
    where
        A: Serialize + DeserializeOwned + 'static,
        B: Serialize + DeserializeOwned + 'static,
        R: Serialize + DeserializeOwned + 'static,
    {
        let inputs: Vec<(A, B)> = inputs.into_iter().collect();
        let (total, chunk) = (inputs.len(), self.default_chunk(inputs.len()));
        let runner = Route::Pipe(run_star_chunk::<A, B, R> as Runner as usize);
        self.map_routed(function as usize, runner, inputs.into_iter(), total, chunk, None)
    }

    /// Python's `imap`: the results of [`map`](Self::map), as an iterator in
    /// input order. Unlike Python's, the whole map is done before the
    /// first result is given: it is `map`, handed out one at a time.
    pub fn imap<T, R>(
        &mut self,
        function: fn(T) -> R,
        inputs: impl IntoIterator<Item = T>,
    ) -> Result<std::vec::IntoIter<R>, Error>
    where
        T: Serialize + DeserializeOwned + 'static,
        R: Serialize + DeserializeOwned + 'static,
    {
        Ok(self.map(function, inputs)?.into_iter())
    }

    /// Python's `imap_unordered`: the results in the order the workers
    /// finished their chunks, not the inputs' order. As with
    /// [`imap`](Self::imap), the whole map is done first.
    pub fn imap_unordered<T, R>(
        &mut self,
        function: fn(T) -> R,
        inputs: impl IntoIterator<Item = T>,
    ) -> Result<std::vec::IntoIter<R>, Error>
    where
        T: Serialize + DeserializeOwned + 'static,
        R: Serialize + DeserializeOwned + 'static,
    {
        let inputs: Vec<T> = inputs.into_iter().collect();
        let (total, chunk) = (inputs.len(), self.default_chunk(inputs.len()));
        let runner = Route::Pipe(run_chunk::<T, R> as Runner as usize);
        let mut finished = Vec::new();
        let results =
            self.map_routed(function as usize, runner, inputs.into_iter(), total, chunk, Some(&mut finished))?;
        // Regroup the ordered results by the order their chunks finished.
        let mut slots: Vec<Option<R>> = results.into_iter().map(Some).collect();
        let mut unordered = Vec::with_capacity(total);
        for first in finished {
            for slot in &mut slots[first..(first + chunk).min(total)] {
                unordered.extend(slot.take());
            }
        }
        Ok(unordered.into_iter())
    }

    /// Python's `apply`: run `function` on one input in a worker, and wait
    /// for its result.
    pub fn apply<T, R>(&mut self, function: fn(T) -> R, input: T) -> Result<R, Error>
    where
        T: Serialize + DeserializeOwned + 'static,
        R: Serialize + DeserializeOwned + 'static,
    {
        let mut results = self.map_chunked(function, vec![input], 1)?;
        results.pop().ok_or(Error::Disconnected)
    }

    /// Python's `apply_async`: start `function` on one input in a worker,
    /// and return at once; [`AsyncResult::get`] waits for the result.
    ///
    /// ```no_run
    /// use local_procs::Pool;
    ///
    /// fn square(x: u64) -> u64 {
    ///     x * x
    /// }
    /// let mut pool = Pool::new(2).unwrap();
    /// let pending = pool.apply_async(square, 12).unwrap();
    /// // ... the parent does something else meanwhile ...
    /// assert_eq!(pending.get(&mut pool).unwrap(), 144);
    /// ```
    pub fn apply_async<T, R>(&mut self, function: fn(T) -> R, input: T) -> Result<AsyncResult<R>, Error>
    where
        T: Serialize + DeserializeOwned + 'static,
        R: Serialize + DeserializeOwned + 'static,
    {
        self.check_running()?;
        // A free worker, or the first one to finish its async task (a
        // worker running one is busy until its result is collected).
        let w = match self.workers.iter().position(|w| w.busy.is_none()) {
            Some(w) => w,
            None => {
                let w = self.workers.iter().position(|w| w.reserved.is_some()).ok_or(Error::Disconnected)?;
                self.collect(w)?;
                w
            }
        };
        let encoded = encode(std::slice::from_ref(&input))?;
        slot(&self.progress, w).store(0, Ordering::Relaxed);
        let task = TaskOut {
            runner: run_chunk::<T, R> as Runner as usize,
            function: function as usize,
            first: 0,
            arena_bytes: 0,
            inputs: &encoded,
        };
        let sent = match self.workers[w].tasks.as_mut() {
            Some(tasks) => tasks.send_as(&task),
            None => Err(Error::Disconnected),
        };
        if sent.is_err() {
            let error = self.death_of(w);
            self.terminate();
            self.state = PoolState::Broken;
            return Err(error);
        }
        let id = self.next_async;
        self.next_async += 1;
        self.workers[w].busy = Some(0);
        self.workers[w].reserved = Some(id);
        Ok(AsyncResult { id, _type: std::marker::PhantomData })
    }

    /// Wait for worker `w`'s async task, and keep its result (or how it
    /// failed) for its `get`; the worker is free again.
    fn collect(&mut self, w: usize) -> Result<(), Error> {
        let Some(id) = self.workers[w].reserved else { return Ok(()) };
        let outcome = match self.workers[w].results.recv() {
            Ok(Some(Done::Ok { outputs, .. })) => Ok(outputs),
            Ok(Some(Done::Failed { message, .. })) => Err(message),
            Ok(Some(Done::InArena { .. })) | Ok(None) | Err(_) => {
                let error = self.death_of(w);
                self.terminate();
                self.state = PoolState::Broken;
                return Err(error);
            }
        };
        self.collected.insert(id, outcome);
        self.workers[w].busy = None;
        self.workers[w].reserved = None;
        Ok(())
    }

    fn check_running(&mut self) -> Result<(), Error> {
        if nix::unistd::getpid() != self.creator {
            return Err(Error::PoolNotRunning("this handle is a copy in another process: the workers are not its"));
        }
        match self.state {
            PoolState::Running => Ok(()),
            PoolState::Mapping => {
                // The previous map unwound (a panic) with chunks in flight,
                // whose results would be taken for this map's.
                self.terminate();
                self.state = PoolState::Broken;
                Err(Error::PoolNotRunning("a previous map was abandoned in the middle (a panic)"))
            }
            PoolState::Closed => Err(Error::PoolNotRunning("it was closed")),
            PoolState::Terminated => Err(Error::PoolNotRunning("it was terminated")),
            PoolState::Broken => Err(Error::PoolNotRunning("a map failed and its workers were stopped")),
        }
    }

    /// Map over exactly `total` inputs, `chunk` at a time.
    fn map_counted<T, R>(
        &mut self,
        function: fn(T) -> R,
        inputs: impl Iterator<Item = T>,
        total: usize,
        chunk: usize,
    ) -> Result<Vec<R>, Error>
    where
        T: Serialize + DeserializeOwned + 'static,
        R: Serialize + DeserializeOwned + 'static,
    {
        let chunk = chunk.max(1);
        // Plain numbers whose chunk (inputs and results) fits a worker's
        // region go through the arena; anything else through the pipes.
        let fits =
            chunk * (std::mem::size_of::<T>() + std::mem::size_of::<R>()) + 64 <= region_size(self.workers.len());
        let runner = if is_plain_number::<T>() && is_plain_number::<R>() && fits {
            Route::Arena(run_chunk_in_arena::<T, R> as ArenaRunner as usize)
        } else {
            Route::Pipe(run_chunk::<T, R> as Runner as usize)
        };
        self.map_routed(function as usize, runner, inputs, total, chunk, None)
    }

    /// Map `function` (an address, run by `runner`) over exactly `total`
    /// inputs, `chunk` at a time; note in `finished` the first input index
    /// of each chunk as it completes, if asked.
    fn map_routed<T, R>(
        &mut self,
        function: usize,
        runner: Route,
        inputs: impl Iterator<Item = T>,
        total: usize,
        chunk: usize,
        finished: Option<&mut Vec<usize>>,
    ) -> Result<Vec<R>, Error>
    where
        T: Serialize + 'static,
        R: DeserializeOwned + 'static,
    {
        self.check_running()?;
        // Workers running async tasks finish them first; their results wait
        // for their `get`.
        for w in 0..self.workers.len() {
            self.collect(w)?;
        }
        let chunk = chunk.max(1);
        let mut results = Results::<R>::new(total, chunk);
        let chunks = Chunks { inputs, total, chunk, next: 0, buffer: Vec::with_capacity(chunk) };
        self.state = PoolState::Mapping;
        let result = self.run_tasks(chunks, runner, function, &mut results, finished);
        if let Err(error) = result {
            if matches!(error, Error::TaskFailed { .. }) {
                // Every worker is idle again: the pool goes on, as Python's.
                self.state = PoolState::Running;
            } else {
                self.terminate();
                self.state = PoolState::Broken;
            }
            return Err(error);
        }
        self.state = PoolState::Running;
        Ok(results.finish())
    }

    fn run_tasks<T, R, I>(
        &mut self,
        mut chunks: Chunks<T, I>,
        runner: Route,
        function: usize,
        results: &mut Results<R>,
        mut finished: Option<&mut Vec<usize>>,
    ) -> Result<(), Error>
    where
        T: Serialize + 'static,
        R: DeserializeOwned + 'static,
        I: Iterator<Item = T>,
    {
        let mut outstanding = total_chunks(chunks.total, chunks.chunk);
        let mut last_progress = Instant::now();
        // A task that failed: no more chunks are handed out, and the ones in
        // the workers are let finish, so that the pool can go on. Every
        // chunk before a failed one was handed out first, so the lowest
        // failed input among them is the first of the map's.
        let mut failed: Option<(usize, String)> = None;
        while outstanding > 0 {
            if failed.is_some() && self.workers.iter().all(|w| w.busy.is_none()) {
                break;
            }
            // Hand a chunk to every idle worker.
            for w in 0..self.workers.len() {
                if self.workers[w].busy.is_none() && failed.is_none() {
                    let Some(first) = chunks.fill() else { break };
                    if chunks.buffer.len() < chunks.chunk.min(chunks.total - first) {
                        return Err(chunks.miscounted());
                    }
                    let encoded = encode(&chunks.buffer)?;
                    let task = match runner {
                        Route::Pipe(runner) => TaskOut { runner, function, first, arena_bytes: 0, inputs: &encoded },
                        Route::Arena(runner) => {
                            // SAFETY: worker w is idle (busy is None): until
                            // it gets this task, its region is ours.
                            let region = unsafe { region(&self.arena, w, region_size(self.workers.len())) };
                            region[..encoded.len()].copy_from_slice(&encoded);
                            TaskOut { runner, function, first, arena_bytes: encoded.len(), inputs: &[] }
                        }
                    };
                    // Its progress names this chunk from now on, even if it
                    // dies before it reads it (written before the task goes:
                    // after, it is the worker's alone to write).
                    slot(&self.progress, w).store(first, Ordering::Relaxed);
                    let sent = match self.workers[w].tasks.as_mut() {
                        Some(tasks) => tasks.send_as(&task),
                        None => Err(Error::Disconnected),
                    };
                    if sent.is_err() {
                        // It died before it could take this task: idle.
                        return Err(self.death_of(w));
                    }
                    self.workers[w].busy = Some(first);
                }
            }
            // Wait for a result.
            let ready = self.wait_ready(last_progress)?;
            for w in ready {
                match self.workers[w].results.recv() {
                    Ok(Some(Done::Ok { first, outputs })) => {
                        results.put(first, &outputs)?;
                        if let Some(finished) = finished.as_mut() {
                            finished.push(first);
                        }
                        self.workers[w].busy = None;
                        outstanding -= 1;
                        last_progress = Instant::now();
                    }
                    Ok(Some(Done::InArena { first, offset, len })) => {
                        // SAFETY: the worker has finished with its region
                        // (it sent Done) and gets no task until this is read.
                        let region = unsafe { region(&self.arena, w, region_size(self.workers.len())) };
                        let bytes = region.get(offset..offset + len).ok_or(Error::Disconnected)?;
                        results.put(first, bytes)?;
                        if let Some(finished) = finished.as_mut() {
                            finished.push(first);
                        }
                        self.workers[w].busy = None;
                        outstanding -= 1;
                        last_progress = Instant::now();
                    }
                    Ok(Some(Done::Failed { index, message, .. })) => {
                        // No chunk is handed out from now on; the loop ends
                        // once the chunks in flight are back.
                        self.workers[w].busy = None;
                        last_progress = Instant::now();
                        if failed.as_ref().map_or(true, |(earliest, _)| index < *earliest) {
                            failed = Some((index, message));
                        }
                    }
                    Ok(None) | Err(_) => return Err(self.death_of(w)),
                }
            }
        }
        if let Some((index, message)) = failed {
            return Err(Error::TaskFailed { input: format!("input index {index}"), message });
        }
        if chunks.inputs.next().is_some() {
            return Err(chunks.miscounted());
        }
        Ok(())
    }

    /// Indexes of workers with a result to read, waiting for at least one.
    /// A worker has one result at most in flight (it gets a task only once
    /// its last result was read), so no result waits in a receiver's
    /// buffer: the pipes say which are ready.
    fn wait_ready(&self, last_progress: Instant) -> Result<Vec<usize>, Error> {
        loop {
            let wait = match self.task_timeout {
                Some(limit) => {
                    let left = (last_progress + limit).saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(Error::Timeout(limit));
                    }
                    PollTimeout::try_from(left.as_millis().clamp(1, 60_000) as i32).unwrap_or(PollTimeout::MAX)
                }
                None => PollTimeout::NONE,
            };
            let busy: Vec<usize> = (0..self.workers.len()).filter(|&w| self.workers[w].busy.is_some()).collect();
            let mut fds: Vec<PollFd> = busy
                .iter()
                .map(|&w| {
                    // SAFETY: the receiver outlives this poll call.
                    let fd = unsafe { BorrowedFd::borrow_raw(self.workers[w].results.raw_fd()) };
                    PollFd::new(fd, PollFlags::POLLIN)
                })
                .collect();
            match poll(&mut fds, wait) {
                Ok(0) | Err(Errno::EINTR) => continue,
                Ok(_) => {
                    return Ok(busy
                        .iter()
                        .zip(&fds)
                        .filter(|(_, fd)| fd.revents().is_some_and(|r| !r.is_empty()))
                        .map(|(&w, _)| w)
                        .collect());
                }
                Err(e) => return Err(Error::Os("poll", e)),
            }
        }
    }

    /// Worker `w` stopped answering: find out how it died and on what (if
    /// it held a task).
    fn death_of(&mut self, w: usize) -> Error {
        let task = slot(&self.progress, w).load(Ordering::Relaxed);
        let busy = self.workers[w].busy.is_some();
        let worker = &mut self.workers[w];
        let pid = worker.process.pid().map_or(0, |p| p.as_raw());
        let how = match worker.process.join_timeout(Duration::from_secs(5)) {
            Ok(Some(code)) if code < 0 => crate::trace::HowEnded(code).to_string(),
            Ok(Some(code)) => format!("exit status {code}"),
            _ => "stopped answering".to_owned(),
        };
        if busy {
            let task = match self.workers[w].reserved {
                Some(_) => "the apply_async task".to_owned(),
                None => format!("input index {task}"),
            };
            Error::WorkerDied { task, pid, how }
        } else {
            Error::WorkerDiedIdle { pid, how }
        }
    }
}

/// How a map's chunks travel: the runner's address, for pipes or the arena.
#[derive(Clone, Copy)]
enum Route {
    Pipe(usize),
    Arena(usize),
}
