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
