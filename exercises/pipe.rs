//! Exercise: a pipeline of two processes joined by pipes. Lesson:
//! `local-procs pipe` (`crates/local-procs/src/scenarios/pipe.rs`).
//!
//! Stage 1 sends the numbers 0 to 9 into pipe 1. Stage 2 reads pipe 1 and
//! sends the square of each number into pipe 2. The parent prints each
//! square as it comes out of pipe 2, and `End` once pipe 2 has ended.
//!
//! A receiver sees the end of its pipe when every sending end of it is
//! closed, in every process. A `Sender` moved into a process's closure is
//! closed in the parent when the process starts, and closed in the child
//! when the closure returns (or with `close()`).
//!
//! Replace each `todo!()`. Check your work: `make check EXERCISE=pipe`,
//! which stops the program if it has not ended after 20 seconds. Stuck?
//! `make hint EXERCISE=pipe` gives a hint, one more at each call.

use std::time::Duration;

use local_procs::pipe::{Receiver, Sender};
use local_procs::{pipe, Process};

fn create_items(mut output: Sender<u64>) {
    todo!("send the numbers 0 to 9 into the pipe, then make sure the reader will see the end")
}

fn multiply_items(input: Receiver<u64>, mut output: Sender<u64>) {
    todo!("pass on the square of every number that comes in, for as long as numbers come")
}

fn main() -> anyhow::Result<()> {
    let (tx1, rx1) = pipe::<u64>()?;
    let mut stage1 = Process::new(move || create_items(tx1));
    stage1.start()?;

    let (tx2, mut rx2) = pipe::<u64>()?;
    // A second sending end of pipe 2, which the parent keeps: it will
    // never send anything on it.
    let spare = tx2.try_clone()?;
    let mut stage2 = Process::new(move || multiply_items(rx1, tx2));
    stage2.start()?;

    todo!(
        "the parent holds a sending end of pipe 2 that it never uses: as long as any sending end \
         is open, in any process, a reader never sees the end of its pipe"
    );
    todo!("print each square as it comes out of pipe 2, one a line, then End once pipe 2 has ended");
    let code = stage1.join()?;
    anyhow::ensure!(code == 0, "{} failed with exit code {code}", stage1.name());
    let code = stage2.join()?;
    anyhow::ensure!(code == 0, "{} failed with exit code {code}", stage2.name());
    Ok(())
}
