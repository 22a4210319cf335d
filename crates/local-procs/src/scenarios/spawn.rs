//! Spawning processes: the port of `spawning_processes.py` (and of its
//! "namespace" variant, which calls `my_func` from another module).
//!
//! Six processes, each started and then joined before the next one starts,
//! so the output is strictly in order: `join` waits for the child to end.
//!
//! What to notice: `Process::new` takes a closure; `move` gives the child its
//! own copy of `i`. Try next: start all six first and join them after; the
//! lines of different processes then interleave.

use local_procs::Process;

use super::my_func::my_func;

pub fn run() -> anyhow::Result<()> {
    for i in 0..6 {
        let mut process = Process::new(move || my_func(i));
        process.start()?;
        super::join_ok(&mut process)?;
    }
    Ok(())
}
