//! The results of `apply_async`, collected later by `get`.

use super::*;

/// The result of [`Pool::apply_async`], to collect later with
/// [`get`](Self::get) (Python's `AsyncResult`).
#[must_use = "an async result is collected with get()"]
pub struct AsyncResult<R> {
    pub(super) id: u64,
    pub(super) _type: std::marker::PhantomData<fn() -> R>,
}

impl<R: DeserializeOwned + 'static> AsyncResult<R> {
    /// Wait for the result (Python's `get()`), from the pool that started it.
    pub fn get(self, pool: &mut Pool) -> Result<R, Error> {
        if !pool.collected.contains_key(&self.id) {
            let w = pool
                .workers
                .iter()
                .position(|w| w.reserved == Some(self.id))
                .ok_or(Error::PoolNotRunning("its worker was stopped before the result came"))?;
            pool.collect(w)?;
        }
        let bytes = pool
            .collected
            .remove(&self.id)
            .ok_or(Error::Disconnected)?
            .map_err(|message| Error::TaskFailed { input: "the apply_async task".to_owned(), message })?;
        let mut results: Vec<R> = decode(&bytes)?;
        results.pop().ok_or(Error::Disconnected)
    }

    /// Is the result there already (Python's `ready()`)?
    pub fn ready(&self, pool: &Pool) -> bool {
        pool.collected.contains_key(&self.id)
            || pool
                .workers
                .iter()
                .find(|w| w.reserved == Some(self.id))
                // A worker has one result at most in flight (it gets a task
                // only once its last result was read), so nothing of it is
                // buffered yet: the pipe says whether it is there.
                .is_some_and(|w| readable(w.results.raw_fd()))
    }
}

/// Can `fd` be read without waiting?
pub(super) fn readable(fd: RawFd) -> bool {
    // SAFETY: the descriptor belongs to a receiver that outlives this call.
    let fd = unsafe { BorrowedFd::borrow_raw(fd) };
    let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
    matches!(poll(&mut fds, PollTimeout::ZERO), Ok(n) if n > 0)
}
