//! Memory shared between a process and the children it forks, and the
//! process-shared mutex and condition variable that guard it.
//!
//! The plumbing under [`Lock`](crate::Lock), [`Barrier`](crate::Barrier) and
//! [`Queue`](crate::Queue): an anonymous `MAP_SHARED` mapping made before
//! `fork` is the same physical memory in parent and child, so a
//! `pthread_mutex_t` placed there with `PTHREAD_PROCESS_SHARED` locks across
//! processes. The mutex is *robust*: if a process dies holding it, the next
//! locker is told (`EOWNERDEAD`) and takes it over instead of waiting forever;
//! its guard says so ([`MutexGuard::owner_died`]), so that a structure whose
//! update was cut short can declare itself broken.
//!
//! The condition variable is not a `pthread_cond_t`: glibc keeps waiter
//! bookkeeping inside one, which a process killed while waiting leaves
//! inconsistent, so that a later signal can block (glibc bug 21422). Here a
//! waiter only reads a sequence number and sleeps on it with the `futex`
//! system call; a notifier bumps the number and wakes sleepers. A killed
//! waiter leaves nothing behind.

use std::cell::{Cell, UnsafeCell};
use std::io;
use std::marker::PhantomData;
use std::num::NonZeroUsize;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::sys::mman::{mmap_anonymous, munmap, MapFlags, ProtFlags};

/// Types for which all-zero bytes are a valid value that `init` completes.
///
/// # Safety
/// An all-zero `Self` must be a valid value, and `Self` must hold no pointers
/// into one process's private memory (it is read by several processes).
pub(crate) unsafe trait SharedInit: Sync {
    /// Finish initialising a zeroed value in place, before any fork.
    fn init(&self) -> io::Result<()>;
}

/// A `T` (and `extra` trailing bytes) in memory shared with forked children.
pub(crate) struct Shared<T: SharedInit> {
    mapping: Arc<Mapping>,
    _type: PhantomData<T>,
}

struct Mapping {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: the mapping is plain memory; what is stored in it is `Sync`
// (required by `SharedInit`) and accessed only through `&T`.
unsafe impl Send for Mapping {}
// SAFETY: as above.
unsafe impl Sync for Mapping {}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: ptr/len are exactly what mmap returned; no reference into
        // the mapping outlives the last `Shared` holding this `Arc`.
        unsafe {
            let _ = munmap(self.ptr.cast(), self.len);
        }
    }
}

impl<T: SharedInit> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared { mapping: Arc::clone(&self.mapping), _type: PhantomData }
    }
}

impl<T: SharedInit> Shared<T> {
    /// Map a zeroed `T` followed by `extra` bytes, and initialise the `T`.
    pub(crate) fn new(extra: usize) -> io::Result<Self> {
        let header = std::mem::size_of::<T>().next_multiple_of(64);
        let len = header
            .checked_add(extra)
            .and_then(NonZeroUsize::new)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "shared region too large"))?;
        // SAFETY: a fresh anonymous mapping aliases nothing.
        let ptr =
            unsafe { mmap_anonymous(None, len, ProtFlags::PROT_READ | ProtFlags::PROT_WRITE, MapFlags::MAP_SHARED) }
                .map_err(io::Error::from)?;
        let shared: Shared<T> =
            Shared { mapping: Arc::new(Mapping { ptr: ptr.cast(), len: len.get() }), _type: PhantomData };
        shared.get().init()?;
        Ok(shared)
    }

    /// The shared value.
    pub(crate) fn get(&self) -> &T {
        // SAFETY: the mapping is page-aligned, at least size_of::<T>() long,
        // zero-filled by the kernel (a valid T per `SharedInit`), and lives
        // as long as `self`.
        unsafe { &*self.mapping.ptr.as_ptr().cast::<T>() }
    }

    /// The trailing byte area: (start, length). Access it only while
    /// holding the lock that the `T` documents as guarding it.
    pub(crate) fn extra(&self) -> (*mut u8, usize) {
        let header = std::mem::size_of::<T>().next_multiple_of(64);
        // SAFETY: header <= len by construction in `new`.
        let start = unsafe { self.mapping.ptr.as_ptr().add(header) };
        (start, self.mapping.len - header)
    }
}

fn check(what: &str, rc: libc::c_int) -> io::Result<()> {
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::new(
            io::Error::from_raw_os_error(rc).kind(),
            format!("{what}: {}", io::Error::from_raw_os_error(rc)),
        ))
    }
}

/// A robust, process-shared `pthread_mutex_t`.
#[repr(C)]
pub(crate) struct RawMutex(UnsafeCell<libc::pthread_mutex_t>);

// SAFETY: pthread mutexes are made to be used from many threads/processes.
unsafe impl Sync for RawMutex {}

/// Proof that a [`RawMutex`] is held; unlocks on drop.
pub(crate) struct MutexGuard<'a> {
    mutex: &'a RawMutex,
    /// A previous holder died holding the mutex (seen when locking, or when
    /// locking again after a wait).
    owner_died: Cell<bool>,
}

impl MutexGuard<'_> {
    /// Did a process die holding this mutex, in the middle of whatever the
    /// mutex guards? The data may be half-updated.
    pub(crate) fn owner_died(&self) -> bool {
        self.owner_died.get()
    }
}

impl Drop for MutexGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: this guard exists only while the calling thread holds it.
        unsafe {
            libc::pthread_mutex_unlock(self.mutex.0.get());
        }
    }
}

impl RawMutex {
    /// Initialise in place (zeroed memory, before any fork).
    pub(crate) fn init(&self) -> io::Result<()> {
        // SAFETY: attr is initialised before use and destroyed after; the
        // mutex is in shared memory that no other process uses yet.
        unsafe {
            let mut attr = std::mem::MaybeUninit::<libc::pthread_mutexattr_t>::uninit();
            check("pthread_mutexattr_init", libc::pthread_mutexattr_init(attr.as_mut_ptr()))?;
            let attr = attr.as_mut_ptr();
            let result = (|| {
                check("setpshared", libc::pthread_mutexattr_setpshared(attr, libc::PTHREAD_PROCESS_SHARED))?;
                check("setrobust", libc::pthread_mutexattr_setrobust(attr, libc::PTHREAD_MUTEX_ROBUST))?;
                check("pthread_mutex_init", libc::pthread_mutex_init(self.0.get(), attr))
            })();
            libc::pthread_mutexattr_destroy(attr);
            result
        }
    }

    /// Lock, waiting as long as it takes.
    pub(crate) fn lock(&self) -> MutexGuard<'_> {
        // SAFETY: the mutex was initialised by `init`.
        let rc = unsafe { libc::pthread_mutex_lock(self.0.get()) };
        self.locked(rc).expect("pthread_mutex_lock failed")
    }

    /// Lock, or give up at `deadline` (`Ok(None)`).
    pub(crate) fn lock_until(&self, deadline: Instant) -> io::Result<Option<MutexGuard<'_>>> {
        let at = realtime_deadline(deadline);
        // SAFETY: the mutex was initialised by `init`; `at` is a valid timespec.
        let rc = unsafe { libc::pthread_mutex_timedlock(self.0.get(), &at) };
        if rc == libc::ETIMEDOUT {
            return Ok(None);
        }
        self.locked(rc).map(Some)
    }

    /// Take the mutex if it is free, without waiting: `None` when another
    /// thread or process holds it.
    pub(crate) fn try_lock(&self) -> io::Result<Option<MutexGuard<'_>>> {
        // SAFETY: the mutex was initialised by `init`.
        let rc = unsafe { libc::pthread_mutex_trylock(self.0.get()) };
        if rc == libc::EBUSY {
            return Ok(None);
        }
        self.locked(rc).map(Some)
    }

    fn locked(&self, rc: libc::c_int) -> io::Result<MutexGuard<'_>> {
        let guard = MutexGuard { mutex: self, owner_died: Cell::new(false) };
        match rc {
            0 => Ok(guard),
            libc::EOWNERDEAD => {
                guard.took_over();
                Ok(guard)
            }
            rc => Err(io::Error::from_raw_os_error(rc)),
        }
    }
}

impl MutexGuard<'_> {
    /// The holder died inside its critical section: make the mutex usable
    /// again, and remember it for the caller to judge the data.
    fn took_over(&self) {
        tracing::warn!("a process died holding a shared lock; taking it over");
        // SAFETY: we hold the mutex (EOWNERDEAD still locks it).
        unsafe {
            libc::pthread_mutex_consistent(self.mutex.0.get());
        }
        self.owner_died.set(true);
    }
}

/// A process-shared condition variable on a futex: a sequence number that
/// notifiers bump and waiters sleep on (see the module docs).
#[repr(C)]
pub(crate) struct RawCondvar(AtomicU32);

impl RawCondvar {
    /// Initialise in place (zeroed memory, before any fork): nothing to do.
    pub(crate) fn init(&self) -> io::Result<()> {
        self.0.store(0, Ordering::Relaxed);
        Ok(())
    }

    /// Release the mutex, wait for a notification (or until `deadline`),
    /// take the mutex again. Returns false on time-out. Spurious wake-ups
    /// happen: callers re-check their condition.
    pub(crate) fn wait(&self, guard: &MutexGuard<'_>, deadline: Option<Instant>) -> bool {
        // Read under the mutex: a notification after this changes the number,
        // and the futex then does not sleep. None is lost.
        let seen = self.0.load(Ordering::Acquire);
        let mutex = guard.mutex.0.get();
        // SAFETY: the guard proves we hold the mutex; it is locked again below
        // before the guard is used or dropped.
        unsafe {
            libc::pthread_mutex_unlock(mutex);
        }
        let woken = futex_wait(&self.0, seen, deadline);
        // SAFETY: locking the mutex we released, for the guard.
        let rc = unsafe { libc::pthread_mutex_lock(mutex) };
        if rc == libc::EOWNERDEAD {
            guard.took_over();
        }
        woken
    }

    /// Wake one waiter.
    pub(crate) fn notify_one(&self) {
        self.0.fetch_add(1, Ordering::Release);
        futex_wake(&self.0, 1);
    }

    /// Wake every waiter.
    pub(crate) fn notify_all(&self) {
        self.0.fetch_add(1, Ordering::Release);
        futex_wake(&self.0, i32::MAX);
    }
}

/// Sleep while `word` holds `seen`, until woken or `deadline`; false on time-out.
fn futex_wait(word: &AtomicU32, seen: u32, deadline: Option<Instant>) -> bool {
    let timeout = deadline.map(|at| {
        let left = at.saturating_duration_since(Instant::now());
        libc::timespec { tv_sec: left.as_secs() as libc::time_t, tv_nsec: left.subsec_nanos() as _ }
    });
    if timeout.is_some_and(|t| t.tv_sec == 0 && t.tv_nsec == 0) {
        return false;
    }
    let timeout_ptr = timeout.as_ref().map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: FUTEX_WAIT (shared, not private: the word is in memory shared
    // between processes) reads the word at a valid address and sleeps; the
    // relative timeout, if any, is a valid timespec.
    let rc = unsafe { libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAIT, seen, timeout_ptr) };
    !(rc == -1 && io::Error::last_os_error().raw_os_error() == Some(libc::ETIMEDOUT))
}

/// Wake up to `count` sleepers on `word`.
fn futex_wake(word: &AtomicU32, count: i32) {
    // SAFETY: FUTEX_WAKE takes the word's address and a count.
    unsafe {
        libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE, count);
    }
}

fn clock_now(clock: libc::clockid_t) -> libc::timespec {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid out-pointer.
    unsafe {
        libc::clock_gettime(clock, &mut now);
    }
    now
}

fn add(base: libc::timespec, by: Duration) -> libc::timespec {
    let nanos = base.tv_nsec as u64 + u64::from(by.subsec_nanos());
    let secs = (base.tv_sec as u64)
        .saturating_add(by.as_secs())
        .saturating_add(nanos / 1_000_000_000)
        .min(i64::MAX as u64 / 2);
    libc::timespec { tv_sec: secs as libc::time_t, tv_nsec: (nanos % 1_000_000_000) as _ }
}

fn realtime_deadline(deadline: Instant) -> libc::timespec {
    add(clock_now(libc::CLOCK_REALTIME), deadline.saturating_duration_since(Instant::now()))
}
