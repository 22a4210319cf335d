//! `Queue`: Python's `multiprocessing.Queue`, a first-in first-out queue of
//! typed messages that many processes can put into and get from.
//!
//! The queue lives in memory shared between the processes (a ring of bytes
//! guarded by a process-shared lock), so an item is copied once in and once
//! out, with no system call unless a process has to wait. Every item put is
//! got exactly once; items from one producer come out in the order they
//! went in. Unlike Python's, the queue holds a bounded number of bytes
//! (4 MiB unless told otherwise): `put` waits while it is full.
//!
//! Python's queue has no "end": a consumer cannot tell "empty for now" from
//! "empty for good". The lesson's answer is a sentinel, a value that means
//! "no more", put once per consumer after the producers are done.
//!
//! A process killed while it changes the queue (holding its lock) may leave
//! an item half-written or half-taken. The next user learns it from the
//! robust lock, and the queue then reports itself broken
//! ([`Error::QueueBroken`]) to every user, rather than carry on with
//! bookkeeping it cannot trust; every length read from the ring is checked
//! against the bytes in use as well. A process killed while it *waits*
//! leaves nothing behind (the waits are futex-based; see `shm`).

use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::shm::{MutexGuard, RawCondvar, RawMutex, Shared, SharedInit};
use crate::Error;

/// Bytes a queue holds unless told otherwise.
pub const DEFAULT_CAPACITY: usize = 4 << 20;

const HEADER: usize = 4;

/// How often `put` and `get` yield the processor before they sleep.
const SPINS: u32 = 16;

#[repr(C)]
struct QueueState {
    mutex: RawMutex,
    not_empty: RawCondvar,
    not_full: RawCondvar,
    /// Offset of the oldest item's header in the ring.
    head: AtomicUsize,
    /// Bytes in use, headers included.
    used: AtomicUsize,
    /// Items in the queue.
    items: AtomicUsize,
    /// Processes waiting in `get` / in `put`: notify only when someone waits.
    getters: AtomicUsize,
    putters: AtomicUsize,
    /// Set once the queue cannot be trusted (see the module docs).
    broken: AtomicBool,
    /// The queue's name in a trace (see `trace`), and how many items were
    /// ever put and got: the k-th item put is the k-th got.
    id: AtomicU64,
    puts: AtomicU64,
    gets: AtomicU64,
}

impl QueueState {
    /// Refuse to go on if the queue is, or has just become, broken: a
    /// process died holding the lock.
    fn check(&self, guard: &MutexGuard<'_>) -> Result<(), Error> {
        if guard.owner_died() {
            self.break_and_wake();
            return Err(Error::QueueBroken("a process died while it was changing it; items may be lost"));
        }
        if self.broken.load(Ordering::Relaxed) {
            return Err(Error::QueueBroken("a process died while it was changing it; items may be lost"));
        }
        Ok(())
    }

    /// Declare the queue broken: its bookkeeping does not add up.
    fn corrupt(&self) -> Error {
        self.break_and_wake();
        Error::QueueBroken("an item's length does not fit the bytes in use")
    }

    /// Free bytes in a ring of `capacity` bytes. Call it holding the lock.
    fn room(&self, capacity: usize) -> usize {
        capacity - self.used.load(Ordering::Relaxed).min(capacity)
    }

    /// While there is no room for `needed` bytes, give the consumers the
    /// processor a few times before the caller sleeps: they usually make
    /// room at once, and on one core a yield is what lets them run. Only
    /// speed depends on it; the caller's loop decides.
    fn spin_while_full<'a>(
        &'a self,
        mut guard: MutexGuard<'a>,
        capacity: usize,
        needed: usize,
    ) -> Result<MutexGuard<'a>, Error> {
        for _ in 0..SPINS {
            if self.room(capacity) >= needed {
                break;
            }
            drop(guard);
            std::thread::yield_now();
            guard = self.mutex.lock();
            self.check(&guard)?;
        }
        Ok(guard)
    }

    /// Mark the queue broken, and wake every process asleep in it, so that
    /// each sees it and returns the error instead of sleeping on.
    fn break_and_wake(&self) {
        self.broken.store(true, Ordering::Relaxed);
        self.not_empty.notify_all();
        self.not_full.notify_all();
    }
}

// SAFETY: zeroed bytes are valid for every field; init completes the pthread ones.
unsafe impl SharedInit for QueueState {
    fn init(&self) -> std::io::Result<()> {
        self.mutex.init()?;
        self.not_empty.init()?;
        self.not_full.init()
    }
}

/// A queue of `T` shared between processes; clone it into each process.
pub struct Queue<T> {
    shared: Shared<QueueState>,
    scratch: Vec<u8>,
    _type: PhantomData<fn(T) -> T>,
}

impl<T> Clone for Queue<T> {
    fn clone(&self) -> Self {
        Queue { shared: self.shared.clone(), scratch: Vec::new(), _type: PhantomData }
    }
}

impl<T: Serialize + DeserializeOwned> Queue<T> {
    /// An empty queue holding up to [`DEFAULT_CAPACITY`] bytes.
    pub fn new() -> Result<Self, Error> {
        Self::with_capacity(DEFAULT_CAPACITY)
    }

    /// An empty queue holding up to `bytes` bytes of encoded items (each
    /// item also takes 4 bytes for its length).
    pub fn with_capacity(bytes: usize) -> Result<Self, Error> {
        let queue = Queue { shared: Shared::new(bytes.max(64))?, scratch: Vec::new(), _type: PhantomData };
        queue.shared.get().id.store(crate::trace::channel_id(), Ordering::Relaxed);
        Ok(queue)
    }

    /// Put an item at the back, waiting while the queue is full.
    pub fn put(&mut self, item: &T) -> Result<(), Error> {
        self.put_until(item, None)
    }

    /// Put an item, or give up after `limit` with [`Error::Timeout`].
    pub fn put_timeout(&mut self, item: &T, limit: Duration) -> Result<(), Error> {
        self.put_until(item, Some((Instant::now() + limit, limit)))
    }

    /// Take the item at the front, waiting while the queue is empty.
    pub fn get(&mut self) -> Result<T, Error> {
        self.get_until(None)
    }

    /// Take an item, or give up after `limit` with [`Error::Timeout`].
    pub fn get_timeout(&mut self, limit: Duration) -> Result<T, Error> {
        self.get_until(Some((Instant::now() + limit, limit)))
    }

    /// Take an item if there is one now.
    pub fn try_get(&mut self) -> Result<Option<T>, Error> {
        match self.get_until(Some((Instant::now(), Duration::ZERO))) {
            Ok(item) => Ok(Some(item)),
            Err(Error::Timeout(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// How many items are in the queue now (it may change at once).
    pub fn qsize(&self) -> usize {
        self.shared.get().items.load(Ordering::Relaxed)
    }

    /// True if the queue is empty now.
    pub fn is_empty(&self) -> bool {
        self.qsize() == 0
    }

    /// Processes waiting in `get` now (for tests that must know a consumer
    /// sleeps before they kill it).
    #[doc(hidden)]
    pub fn waiting_getters(&self) -> usize {
        self.shared.get().getters.load(Ordering::Relaxed)
    }

    /// Processes waiting in `put` now (for tests, as `waiting_getters`).
    #[doc(hidden)]
    pub fn waiting_putters(&self) -> usize {
        self.shared.get().putters.load(Ordering::Relaxed)
    }

    /// Take the queue's lock and end the process at once, holding it: what a
    /// process killed in the middle of a `put` or `get` leaves (for tests).
    #[doc(hidden)]
    pub fn die_holding_the_lock(&self) -> ! {
        let guard = self.shared.get().mutex.lock();
        std::mem::forget(guard);
        // SAFETY: _exit ends the process at once, the lock still held.
        unsafe { libc::_exit(9) }
    }

    fn put_until(&mut self, item: &T, deadline: Option<(Instant, Duration)>) -> Result<(), Error> {
        let start_us = crate::trace::start();
        self.scratch.clear();
        let payload = postcard::to_extend(item, std::mem::take(&mut self.scratch))?;
        let result = self.push_bytes(&payload, deadline);
        if let (Some(start_us), Ok(seq)) = (start_us, &result) {
            let channel = self.shared.get().id.load(Ordering::Relaxed);
            tracing::trace!(target: "local_procs", op = "put", channel, seq, bytes = payload.len(), start_us);
        }
        self.scratch = payload;
        result.map(|_| ())
    }

    /// Write one item into the ring; its place among all the items ever put.
    fn push_bytes(&self, payload: &[u8], deadline: Option<(Instant, Duration)>) -> Result<u64, Error> {
        let state = self.shared.get();
        let (ring, capacity) = self.shared.extra();
        let needed = HEADER + payload.len();
        if needed > capacity || payload.len() > u32::MAX as usize {
            return Err(Error::TooLarge { size: payload.len(), capacity });
        }
        let guard = state.mutex.lock();
        state.check(&guard)?;
        let guard = state.spin_while_full(guard, capacity, needed)?;
        while state.room(capacity) < needed {
            state.putters.fetch_add(1, Ordering::Relaxed);
            state.not_full.wait(&guard, Some(next_look(deadline)));
            state.putters.fetch_sub(1, Ordering::Relaxed);
            state.check(&guard)?;
            if let Some((at, limit)) = deadline {
                if Instant::now() >= at && state.room(capacity) < needed {
                    return Err(Error::Timeout(limit));
                }
            }
        }
        // `used` is within bounds here (the loop above found room), but the
        // head is read from memory any process may have scribbled on.
        if state.head.load(Ordering::Relaxed) >= capacity {
            return Err(state.corrupt());
        }
        let tail = wrap(state.head.load(Ordering::Relaxed) + state.used.load(Ordering::Relaxed), capacity);
        let len = (payload.len() as u32).to_le_bytes();
        // SAFETY: we hold the queue's mutex, which guards the ring; the
        // `needed` bytes from `tail` (wrapping) are free, as checked above.
        unsafe {
            let tail = copy_in(ring, capacity, tail, &len);
            copy_in(ring, capacity, tail, payload);
        }
        // Plain stores: the mutex orders every change of these (a locked
        // read-modify-write would cost twenty cycles more, four times an item).
        state.used.store(state.used.load(Ordering::Relaxed) + needed, Ordering::Relaxed);
        state.items.store(state.items.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        if state.getters.load(Ordering::Relaxed) > 0 {
            state.not_empty.notify_one();
        }
        let seq = state.puts.load(Ordering::Relaxed);
        state.puts.store(seq + 1, Ordering::Relaxed);
        Ok(seq)
    }

    fn get_until(&mut self, deadline: Option<(Instant, Duration)>) -> Result<T, Error> {
        let start_us = crate::trace::start();
        let state = self.shared.get();
        let (ring, capacity) = self.shared.extra();
        let mut payload = std::mem::take(&mut self.scratch);
        let seq = {
            let mut guard = state.mutex.lock();
            let broken = |guard: &MutexGuard<'_>, payload: &mut Vec<u8>, scratch: &mut Vec<u8>| {
                state.check(guard).inspect_err(|_| *scratch = std::mem::take(payload))
            };
            broken(&guard, &mut payload, &mut self.scratch)?;
            let mut spins = 0;
            while state.items.load(Ordering::Relaxed) == 0 && spins < SPINS {
                // Empty: let a producer run a few times before sleeping (on
                // one core it fills the queue in its turn, and the items are
                // then taken without a wake-up each).
                drop(guard);
                std::thread::yield_now();
                guard = state.mutex.lock();
                broken(&guard, &mut payload, &mut self.scratch)?;
                spins += 1;
            }
            while state.items.load(Ordering::Relaxed) == 0 {
                if let Some((at, limit)) = deadline {
                    if Instant::now() >= at {
                        self.scratch = payload;
                        return Err(Error::Timeout(limit));
                    }
                }
                state.getters.fetch_add(1, Ordering::Relaxed);
                state.not_empty.wait(&guard, Some(next_look(deadline)));
                state.getters.fetch_sub(1, Ordering::Relaxed);
                broken(&guard, &mut payload, &mut self.scratch)?;
            }
            let (head, used) = (state.head.load(Ordering::Relaxed), state.used.load(Ordering::Relaxed));
            if head >= capacity || used < HEADER || used > capacity {
                self.scratch = payload;
                return Err(state.corrupt());
            }
            let mut len = [0u8; HEADER];
            // SAFETY: we hold the mutex; `head` is within the ring and at
            // least a header's bytes are in use (checked above).
            let body = unsafe { copy_out(ring, capacity, head, &mut len) };
            let size = u32::from_le_bytes(len) as usize;
            if size > used - HEADER {
                self.scratch = payload;
                return Err(state.corrupt());
            }
            payload.clear();
            payload.resize(size, 0);
            // SAFETY: we hold the mutex; the payload's `size` bytes are
            // within the bytes in use (checked above), so within the ring.
            let next = unsafe { copy_out(ring, capacity, body, &mut payload) };
            state.head.store(next, Ordering::Relaxed);
            state.used.store(used - HEADER - size, Ordering::Relaxed);
            state.items.store(state.items.load(Ordering::Relaxed) - 1, Ordering::Relaxed);
            if state.putters.load(Ordering::Relaxed) > 0 {
                state.not_full.notify_all();
            }
            let seq = state.gets.load(Ordering::Relaxed);
            state.gets.store(seq + 1, Ordering::Relaxed);
            seq
        };
        if let Some(start_us) = start_us {
            let channel = state.id.load(Ordering::Relaxed);
            tracing::trace!(target: "local_procs", op = "get", channel, seq, bytes = payload.len(), start_us);
        }
        let item = postcard::from_bytes(&payload);
        self.scratch = payload;
        Ok(item?)
    }
}

/// How long a sleeper sleeps before it takes the lock again to look: a
/// process that died holding the lock is seen by the next locker, so a
/// sleeper that nobody wakes still learns, within this time, that the
/// queue is broken.
const LOOK_EVERY: Duration = Duration::from_millis(100);

/// When a sleeper next looks: its deadline, or sooner.
fn next_look(deadline: Option<(Instant, Duration)>) -> Instant {
    let soon = Instant::now() + LOOK_EVERY;
    deadline.map_or(soon, |(at, _)| at.min(soon))
}

/// Copy `bytes` into the ring at `at`, wrapping; returns the offset after.
///
/// # Safety
/// `ring` points to `capacity` bytes, the caller holds the lock guarding
/// them, and `bytes.len() <= capacity`.
unsafe fn copy_in(ring: *mut u8, capacity: usize, at: usize, bytes: &[u8]) -> usize {
    let first = bytes.len().min(capacity - at);
    std::ptr::copy_nonoverlapping(bytes.as_ptr(), ring.add(at), first);
    std::ptr::copy_nonoverlapping(bytes.as_ptr().add(first), ring, bytes.len() - first);
    wrap(at + bytes.len(), capacity)
}

/// Copy `out.len()` bytes from the ring at `at`, wrapping; returns the offset after.
///
/// # Safety
/// As for [`copy_in`].
unsafe fn copy_out(ring: *const u8, capacity: usize, at: usize, out: &mut [u8]) -> usize {
    let first = out.len().min(capacity - at);
    std::ptr::copy_nonoverlapping(ring.add(at), out.as_mut_ptr(), first);
    std::ptr::copy_nonoverlapping(ring, out.as_mut_ptr().add(first), out.len() - first);
    wrap(at + out.len(), capacity)
}

/// `offset % capacity` for an offset below twice the capacity, as every
/// offset here is (a place in the ring plus at most the ring's length):
/// a comparison, where a division costs tens of cycles, four times an item.
fn wrap(offset: usize, capacity: usize) -> usize {
    debug_assert!(offset < 2 * capacity);
    if offset >= capacity {
        offset - capacity
    } else {
        offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_outside_the_ring_breaks_the_queue_instead_of_writing_there() {
        let mut queue: Queue<u32> = Queue::with_capacity(64).unwrap();
        queue.put(&1).unwrap();
        // What a stray write into the shared memory would leave.
        queue.shared.get().head.store(64, Ordering::Relaxed);
        let error = queue.put(&2).unwrap_err().to_string();
        assert!(error.contains("does not fit"), "{error}");
        assert!(queue.put(&3).is_err(), "and it stays broken");
    }

    #[test]
    fn a_get_refuses_a_head_outside_the_ring_and_a_length_beyond_the_bytes_in_use() {
        let mut queue: Queue<u32> = Queue::with_capacity(64).unwrap();
        queue.put(&1).unwrap();
        queue.shared.get().head.store(64, Ordering::Relaxed);
        let error = queue.get().unwrap_err().to_string();
        assert!(error.contains("does not fit"), "{error}");

        let mut queue: Queue<u32> = Queue::with_capacity(64).unwrap();
        queue.put(&1).unwrap(); // 4 bytes of length, 1 of item: 5 in use
        let (ring, _) = queue.shared.extra();
        // SAFETY: the ring holds the item's 4-byte length at its head, 0.
        unsafe { std::ptr::copy_nonoverlapping(2u32.to_le_bytes().as_ptr(), ring, HEADER) };
        let error = queue.get().unwrap_err().to_string();
        assert!(error.contains("does not fit"), "a length of 2 where 1 byte is in use: {error}");
    }

    #[test]
    fn an_item_of_no_bytes_goes_through() {
        // `()` encodes in no bytes: the ring holds its length alone.
        let mut queue: Queue<()> = Queue::with_capacity(64).unwrap();
        queue.put(&()).unwrap();
        queue.put(&()).unwrap();
        assert_eq!(queue.qsize(), 2);
        queue.get().unwrap();
        queue.get().unwrap();
        assert!(queue.is_empty());
    }
}
