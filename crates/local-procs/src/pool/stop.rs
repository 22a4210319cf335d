//! Stopping a pool: `close`, `join`, `terminate`, and the drop that
//! terminates.

use super::*;

impl Pool {
    /// No more tasks: each worker is told to stop, and ends once it has
    /// finished its chunk. Maps are refused from now on.
    pub fn close(&mut self) {
        if nix::unistd::getpid() != self.creator {
            return; // a copy of the handle in a child: the workers are not its
        }
        let stop = TaskOut { runner: 0, function: 0, first: 0, arena_bytes: 0, inputs: &[] };
        for worker in &mut self.workers {
            if let Some(mut tasks) = worker.tasks.take() {
                // A worker that is gone already is join's to report.
                let _ = tasks.send_as(&stop);
            }
        }
        if matches!(self.state, PoolState::Running | PoolState::Mapping) {
            self.state = PoolState::Closed;
        }
    }

    /// Wait for the workers to end, after [`close`](Self::close) (or
    /// [`terminate`](Self::terminate)). A worker that has not ended within
    /// `limit` is killed, and that is an error ([`Error::WorkersKilled`]).
    pub fn join(&mut self, limit: Duration) -> Result<(), Error> {
        if self.state == PoolState::Running {
            return Err(Error::PoolNotRunning("join needs close() or terminate() first"));
        }
        if nix::unistd::getpid() != self.creator {
            return Err(Error::PoolNotRunning("this handle is a copy in another process: the workers are not its"));
        }
        // An async result nobody has taken yet: the worker may be blocked
        // writing it (a pipe holds 64 KiB); take it now, for its `get`.
        // (After terminate there is none: terminate gives them up.)
        for w in 0..self.workers.len() {
            self.collect(w)?;
        }
        let deadline = Instant::now() + limit;
        let mut killed = Vec::new();
        for worker in &mut self.workers {
            let left = deadline.saturating_duration_since(Instant::now());
            if worker.process.join_timeout(left)?.is_none() {
                worker.process.kill()?;
                worker.process.join()?;
                killed.extend(worker.process.pid().map(|p| p.as_raw()));
            }
        }
        if killed.is_empty() {
            Ok(())
        } else {
            Err(Error::WorkersKilled { pids: killed, limit })
        }
    }

    /// Stop the workers now (SIGTERM) and reap them; a worker still there
    /// after the grace ([`set_terminate_grace`](Self::set_terminate_grace),
    /// 5 s by default) is killed (SIGKILL). Maps are refused from now on.
    pub fn terminate(&mut self) {
        if nix::unistd::getpid() != self.creator {
            return; // a copy of the handle in a child: the workers are not its
        }
        if matches!(self.state, PoolState::Running | PoolState::Mapping | PoolState::Closed) {
            self.state = PoolState::Terminated;
        }
        for worker in &mut self.workers {
            worker.tasks = None;
            // An async task not collected yet is lost with its worker, as
            // in Python: its `get` says the worker was stopped.
            worker.reserved = None;
            let _ = worker.process.terminate();
        }
        let deadline = Instant::now() + self.terminate_grace;
        for worker in &mut self.workers {
            let left = deadline.saturating_duration_since(Instant::now());
            if !matches!(worker.process.join_timeout(left), Ok(Some(_))) {
                let _ = worker.process.kill();
                let _ = worker.process.join();
            }
        }
    }
}

impl Drop for Pool {
    /// Like leaving Python's `with Pool(...)` block: the workers are
    /// terminated (by the process that made the pool only).
    fn drop(&mut self) {
        self.terminate();
    }
}
