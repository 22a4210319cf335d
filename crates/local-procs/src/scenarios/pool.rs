//! A pool of workers: the port of `process_pool.py`.
//!
//! A pool of 4 worker processes maps `square` over 0 to 99, and the parent
//! prints the squares in input order, whichever worker computed which. The
//! pool is then closed (no more work) and joined (its workers have ended).
//!
//! What to notice: `square` is a plain function, which is what a pool can
//! send to its workers (Python pickles it by name). Try next: `--crash-at K`
//! makes the task for input K kill its own worker. Python's `map` would wait
//! forever; this pool reports which task was running when its worker died,
//! and stops the other workers. And `--words`: the same map over strings,
//! which travel to the workers encoded with serde, where numbers travel as
//! they are, through memory the pool shares with its workers.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use local_procs::Pool;

/// The input whose task kills its worker (-1: none). Set before the pool
/// starts, so that the workers, forks of this process, see it too.
static CRASH_AT: AtomicI64 = AtomicI64::new(-1);

fn square(x: u64) -> u64 {
    if CRASH_AT.load(Ordering::Relaxed) == x as i64 {
        // A worker dying mid-task, as a crash or the OOM killer would do it.
        let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
    }
    x * x
}

fn shout(word: String) -> String {
    word.to_uppercase()
}

pub fn run(items: u64, workers: usize, crash_at: Option<u64>, words: bool) -> anyhow::Result<()> {
    if let Some(k) = crash_at {
        CRASH_AT.store(k as i64, Ordering::Relaxed);
    }
    let mut pool = Pool::new(workers)?;
    if words {
        let inputs: Vec<String> = (0..items).map(|i| format!("word-{i}")).collect();
        let pool_outputs = pool.map(shout, inputs)?;
        println!("Pool    : {pool_outputs:?}");
    } else {
        let inputs: Vec<u64> = (0..items).collect();
        let pool_outputs = pool.map(square, inputs)?;
        println!("Pool    : {pool_outputs:?}");
    }
    pool.close();
    pool.join(Duration::from_secs(30))?;
    Ok(())
}
