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
//! which stops the program if it has not ended after 20 seconds.

use std::time::Duration;

use local_procs::pipe::{Receiver, Sender};
use local_procs::{pipe, Process};

fn create_items(mut output: Sender<u64>) {
    todo!("send the numbers 0 to 9 into `output` (output.send(&n)), then close it")
}

fn multiply_items(input: Receiver<u64>, mut output: Sender<u64>) {
    todo!("for each number from `input` (a Receiver is an iterator of Results), send its square into `output`")
}

fn main() -> anyhow::Result<()> {
    let (tx1, rx1) = pipe::<u64>()?;
    let mut stage1 = Process::new(move || create_items(tx1));
    stage1.start()?;

    let (tx2, mut rx2) = pipe::<u64>()?;
    let mut stage2 = Process::new(move || multiply_items(rx1, tx2));
    stage2.start()?;

    todo!(
        "print each number from rx2 on a line of its own until its end \
         (rx2.recv_timeout(Duration::from_secs(10)) gives Ok(None) at the end), then print End"
    );
    let code = stage1.join()?;
    anyhow::ensure!(code == 0, "{} failed with exit code {code}", stage1.name());
    let code = stage2.join()?;
    anyhow::ensure!(code == 0, "{} failed with exit code {code}", stage2.name());
    Ok(())
}
