//! `Lock` and `Barrier` shared between processes: Python's
//! `multiprocessing.Lock` and `multiprocessing.Barrier`.
//!
//! Create them before starting the processes that use them, and move a
//! clone into each process: the clones are the same lock (or barrier) in
//! memory that `fork` shares rather than copies.

use std::sync::atomic::{AtomicUsize, Ordering};
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
    /// In a trace: the time the lock is held (closed after the release).
    _holding: tracing::Span,
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
        let waiting = crate::trace::span(format_args!("lock.acquire"));
        let held = self.shared.get().mutex.lock();
        drop(waiting);
        LockGuard { _held: held, _holding: crate::trace::span(format_args!("lock held")) }
    }

    /// Take the lock, or give up after `limit` with [`Error::Timeout`].
    pub fn acquire_timeout(&self, limit: Duration) -> Result<LockGuard<'_>, Error> {
        let waiting = crate::trace::span(format_args!("lock.acquire"));
        let taken = self.shared.get().mutex.lock_until(Instant::now() + limit)?;
        drop(waiting);
        match taken {
            Some(held) => Ok(LockGuard { _held: held, _holding: crate::trace::span(format_args!("lock held")) }),
            None => Err(Error::Timeout(limit)),
        }
    }
}

#[repr(C)]
struct BarrierState {
    mutex: RawMutex,
    all_here: RawCondvar,
    parties: AtomicUsize,
    /// Parties waiting in this round.
    waiting: AtomicUsize,
    /// Rounds passed.
    generation: AtomicUsize,
    /// Calls to `reset`.
    resets: AtomicUsize,
    /// 0 while whole; once broken, why (a `Broken` as a number).
    broken: AtomicUsize,
}

// SAFETY: zeroed bytes are valid for every field; init completes the pthread ones.
unsafe impl SharedInit for BarrierState {
    fn init(&self) -> std::io::Result<()> {
        self.mutex.init()?;
        self.all_here.init()
    }
}

/// Why a barrier broke.
#[derive(Clone, Copy)]
#[repr(usize)]
enum Broken {
    TimedOut = 1,
    DiedWaiting = 2,
    Aborted = 3,
    DiedChanging = 4,
}

impl Broken {
    fn why(code: usize) -> Option<&'static str> {
        Some(match code {
            1 => "a party's time limit passed while it waited",
            2 => "a party died while it waited",
            3 => "abort() was called",
            4 => "a process died while it was changing the barrier",
            _ => return None,
        })
    }
}

impl BarrierState {
    /// Break the barrier (the first reason stays) and wake every party
    /// waiting, so that each returns the error.
    fn break_for(&self, why: Broken) -> Error {
        let _ = self.broken.compare_exchange(0, why as usize, Ordering::Relaxed, Ordering::Relaxed);
        self.all_here.notify_all();
        self.refuse().unwrap_err()
    }

    fn refuse(&self) -> Result<(), Error> {
        match Broken::why(self.broken.load(Ordering::Relaxed)) {
            Some(why) => Err(Error::BrokenBarrier(why)),
            None => Ok(()),
        }
    }
}

/// How long a party waiting at a barrier sleeps before it looks whether a
/// party waiting with it has died.
const LOOK_EVERY: Duration = Duration::from_millis(100);

/// A meeting point: each of `parties` processes waits until all have come
/// (Python's `multiprocessing.Barrier`).
///
/// As in Python, the barrier *breaks* when a party's time limit passes
/// ([`wait_timeout`](Self::wait_timeout)) or when someone calls
/// [`abort`](Self::abort): every party waiting, and every later one, gets
/// [`Error::BrokenBarrier`] until [`reset`](Self::reset). Beyond Python, it
/// also breaks when a party dies while it waits (Python's would count the
/// dead party as arrived): each waiting party holds a robust mutex of its
/// own, which the kernel marks when its holder dies; the others look at
/// these every 100 ms, and the last to arrive looks before it lets anyone
/// pass.
///
/// A party that dies *before* it arrives cannot be told from one that is
/// slow: the parent sees it die (`join`, `exit_code`) and calls `abort`,
/// or every party waits with a limit.
#[derive(Clone)]
pub struct Barrier {
    shared: Shared<BarrierState>,
}

impl Barrier {
    /// A barrier for `parties` processes (at least 1).
    pub fn new(parties: usize) -> Result<Self, Error> {
        let parties = parties.max(1);
        // Room for a round's waiters and for the previous round's, which
        // may not have woken up yet to give their slot back.
        let slots = 2 * parties;
        let shared: Shared<BarrierState> = Shared::new(slots * std::mem::size_of::<RawMutex>())?;
        shared.get().parties.store(parties, Ordering::Relaxed);
        let barrier = Barrier { shared };
        for slot in barrier.slots() {
            slot.init()?;
        }
        Ok(barrier)
    }

    /// The presence slots: a waiting party holds one.
    fn slots(&self) -> &[RawMutex] {
        let (start, len) = self.shared.extra();
        let count = 2 * self.shared.get().parties.load(Ordering::Relaxed);
        assert!(count * std::mem::size_of::<RawMutex>() <= len);
        // SAFETY: `new` made room for `count` mutexes after the state (a
        // 64-byte aligned start) and initialised each; the zeroed bytes
        // behind them are never read as mutexes.
        unsafe { std::slice::from_raw_parts(start.cast::<RawMutex>(), count) }
    }

    /// Has a party died holding its slot, that is, while it waited? Call
    /// it holding the barrier's mutex. The slots found dead are freed.
    fn a_waiter_died(&self) -> bool {
        let mut died = false;
        for slot in self.slots() {
            // Busy (a live waiter, this one included) or an error: not dead.
            if let Ok(Some(taken)) = slot.try_lock() {
                died |= taken.owner_died();
            }
        }
        died
    }

    /// Take a free slot, to hold while waiting. `None` if every slot is
    /// held (more processes wait than the barrier has parties): this party
    /// then waits unwatched.
    fn claim_slot(&self) -> Option<MutexGuard<'_>> {
        self.slots().iter().find_map(|slot| slot.try_lock().ok().flatten())
    }

    /// Wait until every party has arrived. Returns this party's arrival
    /// index, from 0 (first) to parties - 1 (last, who releases the others).
    ///
    /// It waits as long as it takes: if a party may never come (it may
    /// fail before it arrives), wait with [`wait_timeout`](Self::wait_timeout),
    /// or have the process that notices call [`abort`](Self::abort).
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
        let _waiting = crate::trace::span(format_args!("barrier.wait"));
        let state = self.shared.get();
        let guard = state.mutex.lock();
        if guard.owner_died() {
            return Err(state.break_for(Broken::DiedChanging));
        }
        state.refuse()?;
        if self.a_waiter_died() {
            return Err(state.break_for(Broken::DiedWaiting));
        }
        let index = state.waiting.load(Ordering::Relaxed);
        if index + 1 >= state.parties.load(Ordering::Relaxed) {
            state.waiting.store(0, Ordering::Relaxed);
            state.generation.fetch_add(1, Ordering::Relaxed);
            state.all_here.notify_all();
            return Ok(index);
        }
        state.waiting.store(index + 1, Ordering::Relaxed);
        // Held until this party leaves (dropped before `guard`, so under
        // the barrier's mutex): if this process dies first, the kernel
        // marks it, and the others see it.
        let _here = self.claim_slot();
        let (generation, resets) = (state.generation.load(Ordering::Relaxed), state.resets.load(Ordering::Relaxed));
        // Leaving this round without passing: one fewer waits in it.
        let leave = || state.waiting.fetch_sub(1, Ordering::Relaxed);
        loop {
            if state.generation.load(Ordering::Relaxed) != generation {
                return Ok(index);
            }
            if state.resets.load(Ordering::Relaxed) != resets {
                return Err(Error::BrokenBarrier("reset() was called while this party waited"));
            }
            if let Err(broken) = state.refuse() {
                leave();
                return Err(broken);
            }
            if let Some((_, limit)) = deadline.filter(|(at, _)| Instant::now() >= *at) {
                state.break_for(Broken::TimedOut);
                leave();
                return Err(Error::Timeout(limit));
            }
            let look = Instant::now() + LOOK_EVERY;
            state.all_here.wait(&guard, Some(deadline.map_or(look, |(at, _)| at.min(look))));
            // Woken by a notification or by the time: the loop's head sees
            // a passed round, a reset, a break or this party's limit; here,
            // what nobody announces: a death.
            if guard.owner_died() {
                state.break_for(Broken::DiedChanging);
            } else if self.a_waiter_died() {
                state.break_for(Broken::DiedWaiting);
            }
        }
    }

    /// Break the barrier: every party waiting, and every later one, gets
    /// [`Error::BrokenBarrier`] until [`reset`](Self::reset).
    pub fn abort(&self) {
        crate::trace::mark(format_args!("barrier.abort"));
        let state = self.shared.get();
        let _guard = state.mutex.lock();
        state.break_for(Broken::Aborted);
    }

    /// Make the barrier whole and empty again. Parties waiting now get
    /// [`Error::BrokenBarrier`] (as in Python).
    pub fn reset(&self) {
        let state = self.shared.get();
        let _guard = state.mutex.lock();
        state.resets.fetch_add(1, Ordering::Relaxed);
        state.waiting.store(0, Ordering::Relaxed);
        state.broken.store(0, Ordering::Relaxed);
        state.all_here.notify_all();
    }

    /// Is the barrier broken?
    pub fn is_broken(&self) -> bool {
        self.shared.get().broken.load(Ordering::Relaxed) != 0
    }

    /// How many parties it waits for.
    pub fn parties(&self) -> usize {
        self.shared.get().parties.load(Ordering::Relaxed)
    }

    /// How many parties wait at it now (it may change at once); 0 once
    /// it is broken, as in Python.
    pub fn n_waiting(&self) -> usize {
        if self.is_broken() {
            return 0;
        }
        self.shared.get().waiting.load(Ordering::Relaxed)
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
        loop {
            if ready(self.value.load(Ordering::Relaxed)) {
                take(&self.value);
                return true;
            }
            if deadline.is_some_and(|at| Instant::now() >= at) {
                return false;
            }
            self.changed.wait(&guard, deadline);
        }
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
        crate::trace::mark(format_args!("event.set"));
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
        let _waiting = crate::trace::span(format_args!("event.wait"));
        self.shared.get().wait_for(None, |v| v != 0, |_| {});
    }

    /// Wait at most `limit`; true if the flag is set.
    pub fn wait_timeout(&self, limit: Duration) -> bool {
        let _waiting = crate::trace::span(format_args!("event.wait"));
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
        let _waiting = crate::trace::span(format_args!("semaphore.acquire"));
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
        let _waiting = crate::trace::span(format_args!("semaphore.acquire"));
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
    /// Did a process die holding this condition's lock, before this guard
    /// took it (or took it back after a wait)? What it guards may be
    /// half-updated.
    pub fn previous_holder_died(&self) -> bool {
        self.held.owner_died()
    }

    /// Release the lock, wait for a notification, take the lock again. A
    /// wake-up may come without one: check what you wait for in a loop.
    pub fn wait(&mut self) {
        let _waiting = crate::trace::span(format_args!("condition.wait"));
        self.condition.changed.wait(&self.held, None);
    }

    /// Like [`wait`](Self::wait), for at most `limit`; false on time-out.
    pub fn wait_timeout(&mut self, limit: Duration) -> bool {
        let _waiting = crate::trace::span(format_args!("condition.wait"));
        self.condition.changed.wait(&self.held, Some(Instant::now() + limit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fork a child that takes `mutex` and ends holding it, as a process
    /// killed inside a critical section does; wait for its end. (The test
    /// harness runs threads: the child only locks and leaves, which touches
    /// no lock another thread could hold.)
    fn die_holding(mutex: &RawMutex) {
        // SAFETY: the child locks a mutex in shared memory and _exits at
        // once; the parent waits for it.
        unsafe {
            let child = libc::fork();
            assert!(child >= 0, "fork");
            if child == 0 {
                std::mem::forget(mutex.lock());
                libc::_exit(0);
            }
            let mut status = 0;
            assert_eq!(libc::waitpid(child, &mut status, 0), child);
        }
    }

    #[test]
    fn a_barrier_whose_own_lock_holder_died_is_broken_not_hung() {
        let barrier = Barrier::new(2).unwrap();
        die_holding(&barrier.shared.get().mutex);
        let waited = barrier.wait_timeout(Duration::from_secs(5));
        assert!(
            matches!(waited, Err(Error::BrokenBarrier(why)) if why == "a process died while it was changing the barrier"),
            "{waited:?}"
        );
        assert!(barrier.is_broken());
        barrier.reset();
        assert!(!barrier.is_broken());
    }
}
