//! `Lock` and `Barrier` shared between processes: Python's
//! `multiprocessing.Lock` and `multiprocessing.Barrier`.
//!
//! Create them before starting the processes that use them, and move a
//! clone into each process: the clones are the same lock (or barrier) in
//! memory that `fork` shares rather than copies.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::shm::{MutexGuard, RawCondvar, RawMutex, Shared, SharedInit};
use crate::Error;

#[repr(C)]
struct LockState {
    mutex: RawMutex,
}

// SAFETY: zeroed bytes are a valid (uninitialised) pthread mutex, completed by init.
unsafe impl SharedInit for LockState {
    fn init(&self) -> std::io::Result<()> {
        self.mutex.init()
    }
}

/// A lock that one process at a time can hold.
#[derive(Clone)]
pub struct Lock {
    shared: Shared<LockState>,
}

/// Holding the lock; dropping the guard releases it (Python's `with lock:`).
pub struct LockGuard<'a> {
    _held: MutexGuard<'a>,
}

impl LockGuard<'_> {
    /// Did a process die holding this lock, just before this guard took
    /// it? Whatever the lock protects may then be half-updated: check it,
    /// or refuse to go on. (Python has no such signal: a lock whose holder
    /// died stays locked forever.)
    pub fn previous_holder_died(&self) -> bool {
        self._held.owner_died()
    }
}

impl Lock {
    /// A new, unlocked lock.
    pub fn new() -> Result<Self, Error> {
        Ok(Lock { shared: Shared::new(0)? })
    }

    /// Wait until the lock is free, then take it.
    pub fn acquire(&self) -> LockGuard<'_> {
        LockGuard { _held: self.shared.get().mutex.lock() }
    }

    /// Take the lock, or give up after `limit` with [`Error::Timeout`].
    pub fn acquire_timeout(&self, limit: Duration) -> Result<LockGuard<'_>, Error> {
        match self.shared.get().mutex.lock_until(Instant::now() + limit)? {
            Some(held) => Ok(LockGuard { _held: held }),
            None => Err(Error::Timeout(limit)),
        }
    }
}

#[repr(C)]
struct BarrierState {
    mutex: RawMutex,
    all_here: RawCondvar,
    parties: AtomicUsize,
    arrived: AtomicUsize,
    generation: AtomicUsize,
    broken: AtomicBool,
}

// SAFETY: zeroed bytes are valid for every field; init completes the pthread ones.
unsafe impl SharedInit for BarrierState {
    fn init(&self) -> std::io::Result<()> {
        self.mutex.init()?;
        self.all_here.init()
    }
}

/// A meeting point: each of `parties` processes waits until all have come.
#[derive(Clone)]
pub struct Barrier {
    shared: Shared<BarrierState>,
}

impl Barrier {
    /// A barrier for `parties` processes (at least 1).
    pub fn new(parties: usize) -> Result<Self, Error> {
        let shared: Shared<BarrierState> = Shared::new(0)?;
        shared.get().parties.store(parties.max(1), Ordering::Relaxed);
        Ok(Barrier { shared })
    }

    /// Wait until every party has arrived. Returns this party's arrival
    /// index, from 0 (first) to parties - 1 (last, who releases the others).
    pub fn wait(&self) -> Result<usize, Error> {
        self.wait_until(None)
    }

    /// Like [`wait`](Self::wait), but give up after `limit`: this party gets
    /// [`Error::Timeout`], and the barrier breaks, so that every other party
    /// waiting gets [`Error::BrokenBarrier`] instead of waiting forever.
    pub fn wait_timeout(&self, limit: Duration) -> Result<usize, Error> {
        self.wait_until(Some((Instant::now() + limit, limit)))
    }

    fn wait_until(&self, deadline: Option<(Instant, Duration)>) -> Result<usize, Error> {
        let state = self.shared.get();
        let guard = state.mutex.lock();
        if state.broken.load(Ordering::Relaxed) {
            return Err(Error::BrokenBarrier);
        }
        let index = state.arrived.fetch_add(1, Ordering::Relaxed);
        if index + 1 == state.parties.load(Ordering::Relaxed) {
            state.arrived.store(0, Ordering::Relaxed);
            state.generation.fetch_add(1, Ordering::Relaxed);
            state.all_here.notify_all();
            return Ok(index);
        }
        let generation = state.generation.load(Ordering::Relaxed);
        while state.generation.load(Ordering::Relaxed) == generation {
            if state.broken.load(Ordering::Relaxed) {
                return Err(Error::BrokenBarrier);
            }
            if !state.all_here.wait(&guard, deadline.map(|(at, _)| at)) {
                if state.generation.load(Ordering::Relaxed) != generation {
                    break;
                }
                state.broken.store(true, Ordering::Relaxed);
                state.all_here.notify_all();
                return Err(Error::Timeout(deadline.map(|(_, limit)| limit).unwrap_or_default()));
            }
        }
        Ok(index)
    }
}

/// A mutex and a condition variable in shared memory, with a counter: the
/// state under `Event` and `Semaphore`.
#[repr(C)]
struct Signal {
    mutex: RawMutex,
    changed: RawCondvar,
    value: AtomicUsize,
}

// SAFETY: zeroed bytes are valid for every field; init completes the mutex.
unsafe impl SharedInit for Signal {
    fn init(&self) -> std::io::Result<()> {
        self.mutex.init()?;
        self.changed.init()
    }
}

impl Signal {
    /// Wait (up to `limit`) until `ready` holds of the value, then apply
    /// `take` to it under the lock. False on time-out.
    fn wait_for(
        &self,
        limit: Option<Duration>,
        ready: impl Fn(usize) -> bool,
        take: impl FnOnce(&AtomicUsize),
    ) -> bool {
        let deadline = limit.map(|l| Instant::now() + l);
        let guard = self.mutex.lock();
        while !ready(self.value.load(Ordering::Relaxed)) {
            if !self.changed.wait(&guard, deadline) && !ready(self.value.load(Ordering::Relaxed)) {
                return false;
            }
        }
        take(&self.value);
        true
    }
}

/// Python's `multiprocessing.Event`: a flag that processes wait for.
///
/// ```no_run
/// use std::time::Duration;
/// use local_procs::{Event, Process};
///
/// let ready = Event::new().unwrap();
/// let waiter = ready.clone();
/// let mut child = Process::new(move || {
///     if waiter.wait_timeout(Duration::from_secs(10)) {
///         println!("the flag is set");
///     }
/// });
/// child.start().unwrap();
/// ready.set();
/// child.join().unwrap();
/// ```
#[derive(Clone)]
pub struct Event {
    shared: Shared<Signal>,
}

impl Event {
    /// A new event, not set.
    pub fn new() -> Result<Self, Error> {
        Ok(Event { shared: Shared::new(0)? })
    }

    /// Set the flag, and wake every process waiting for it.
    pub fn set(&self) {
        let state = self.shared.get();
        let _guard = state.mutex.lock();
        state.value.store(1, Ordering::Relaxed);
        state.changed.notify_all();
    }

    /// Clear the flag.
    pub fn clear(&self) {
        let state = self.shared.get();
        let _guard = state.mutex.lock();
        state.value.store(0, Ordering::Relaxed);
    }

    /// Is the flag set?
    pub fn is_set(&self) -> bool {
        self.shared.get().value.load(Ordering::Relaxed) != 0
    }

    /// Wait until the flag is set.
    pub fn wait(&self) {
        self.shared.get().wait_for(None, |v| v != 0, |_| {});
    }

    /// Wait at most `limit`; true if the flag is set.
    pub fn wait_timeout(&self, limit: Duration) -> bool {
        self.shared.get().wait_for(Some(limit), |v| v != 0, |_| {})
    }
}

/// Python's `multiprocessing.Semaphore`: a counter that `acquire` takes
/// from (waiting while it is 0) and `release` gives back to.
///
/// ```no_run
/// use std::time::Duration;
/// use local_procs::{Process, Semaphore};
///
/// // At most two of the five processes in the section at once.
/// let slots = Semaphore::new(2).unwrap();
/// let mut children: Vec<Process> = (0..5)
///     .map(|i| {
///         let slots = slots.clone();
///         Process::new(move || {
///             assert!(slots.acquire_timeout(Duration::from_secs(10)));
///             println!("process {i} in the section");
///             slots.release();
///         })
///     })
///     .collect();
/// for child in &mut children {
///     child.start().unwrap();
/// }
/// for child in &mut children {
///     child.join().unwrap();
/// }
/// ```
#[derive(Clone)]
pub struct Semaphore {
    shared: Shared<Signal>,
}

impl Semaphore {
    /// A semaphore whose counter starts at `value`.
    pub fn new(value: usize) -> Result<Self, Error> {
        let shared: Shared<Signal> = Shared::new(0)?;
        shared.get().value.store(value, Ordering::Relaxed);
        Ok(Semaphore { shared })
    }

    /// Take one from the counter, waiting while it is 0.
    pub fn acquire(&self) {
        self.shared.get().wait_for(
            None,
            |v| v > 0,
            |v| {
                v.fetch_sub(1, Ordering::Relaxed);
            },
        );
    }

    /// Take one, waiting at most `limit`; false if it could not.
    pub fn acquire_timeout(&self, limit: Duration) -> bool {
        self.shared.get().wait_for(
            Some(limit),
            |v| v > 0,
            |v| {
                v.fetch_sub(1, Ordering::Relaxed);
            },
        )
    }

    /// Give one back, and wake a process waiting for it.
    pub fn release(&self) {
        let state = self.shared.get();
        let _guard = state.mutex.lock();
        state.value.fetch_add(1, Ordering::Relaxed);
        state.changed.notify_one();
    }

    /// The counter now (it may change at once).
    pub fn value(&self) -> usize {
        self.shared.get().value.load(Ordering::Relaxed)
    }
}

#[repr(C)]
struct ConditionState {
    mutex: RawMutex,
    changed: RawCondvar,
}

// SAFETY: zeroed bytes are valid for both fields; init completes the mutex.
unsafe impl SharedInit for ConditionState {
    fn init(&self) -> std::io::Result<()> {
        self.mutex.init()?;
        self.changed.init()
    }
}

/// Python's `multiprocessing.Condition`: a lock, and a way to wait while
/// holding it until another process says something changed. What changed
/// lives elsewhere in shared memory (a [`Value`](crate::Value), say).
///
/// ```no_run
/// use std::time::Duration;
/// use local_procs::{Condition, Process, Value};
///
/// let condition = Condition::new().unwrap();
/// let count = Value::new(0u32).unwrap();
/// let (c, n) = (condition.clone(), count.clone());
/// let mut producer = Process::new(move || {
///     let _held = c.acquire();
///     n.set(1);
///     c.notify_all();
/// });
/// producer.start().unwrap();
/// let mut held = condition.acquire();
/// while count.get() == 0 {
///     assert!(held.wait_timeout(Duration::from_secs(10)));
/// }
/// drop(held);
/// producer.join().unwrap();
/// ```
#[derive(Clone)]
pub struct Condition {
    shared: Shared<ConditionState>,
}

/// Holding a [`Condition`]'s lock.
pub struct ConditionGuard<'a> {
    held: MutexGuard<'a>,
    condition: &'a ConditionState,
}

impl Condition {
    /// A new condition, its lock free.
    pub fn new() -> Result<Self, Error> {
        Ok(Condition { shared: Shared::new(0)? })
    }

    /// Take the lock (Python's `with condition:`).
    pub fn acquire(&self) -> ConditionGuard<'_> {
        let condition = self.shared.get();
        ConditionGuard { held: condition.mutex.lock(), condition }
    }

    /// Wake one process waiting on the condition.
    pub fn notify(&self) {
        self.shared.get().changed.notify_one();
    }

    /// Wake every process waiting on the condition.
    pub fn notify_all(&self) {
        self.shared.get().changed.notify_all();
    }
}

impl ConditionGuard<'_> {
    /// Release the lock, wait for a notification, take the lock again. A
    /// wake-up may come without one: check what you wait for in a loop.
    pub fn wait(&mut self) {
        self.condition.changed.wait(&self.held, None);
    }

    /// Like [`wait`](Self::wait), for at most `limit`; false on time-out.
    pub fn wait_timeout(&mut self, limit: Duration) -> bool {
        self.condition.changed.wait(&self.held, Some(Instant::now() + limit))
    }
}
