//! A two-stage pipeline: the port of `communicating_with_pipe.py`.
//!
//! Process 1 sends 0 to 9 into pipe 1 and closes it. Process 2 reads pipe 1,
//! sends each item squared into pipe 2, and closes pipe 2 at the end of its
//! input. The parent prints what comes out of pipe 2, then `End`.
//!
//! The lesson is the end of input: a reader sees it only once *every* write
//! end of the pipe is closed, in every process. Python must close the ends
//! by hand (`pipe_1[0].close()`); in Rust, moving an end into a process's
//! closure hands it to the child, and `start` closes the parent's copy
//! (using it in the parent after the move does not compile: error E0382).
//! `fork` still copies every descriptor the parent has open at that moment:
//! process 2 inherits the parent's `rx2`, harmless for a read end; an
//! inherited write end would hold the pipe open.
//!
//! The original makes each pipe with `Pipe(True)`: two-way, both ends can
//! send and receive; it uses each one way only. The port's `pipe()` is
//! one-way (a `Sender` and a `Receiver`), as `Pipe(False)` is, so that the
//! compiler knows which end sends.
//!
//! Try next: keep a second sender in the parent (`let spare =
//! tx2.try_clone()?;` before `tx2` moves into process 2) and watch the
//! parent wait for `End`, which never comes while `spare` is open; the
//! limit on `recv_timeout` turns that hang into an error here. Then
//! `drop(spare)` once both processes have started.

use std::time::Duration;

use local_procs::pipe::{Receiver, Sender};
use local_procs::{pipe, Process};

/// Longest the parent waits for the next item.
const LIMIT: Duration = Duration::from_secs(30);

fn create_items(mut output: Sender<u64>) -> anyhow::Result<()> {
    for item in 0..10 {
        output.send(&item)?;
    }
    output.close();
    Ok(())
}

fn multiply_items(input: Receiver<u64>, mut output: Sender<u64>, fail_at: Option<u64>) -> anyhow::Result<()> {
    for item in input {
        let item = item?;
        anyhow::ensure!(Some(item) != fail_at, "multiply_items failed at item {item}, as --fail-at asked");
        output.send(&(item * item))?;
    }
    output.close(); // end of input reached: pass the end along
    Ok(())
}

pub fn run(fail_at: Option<u64>) -> anyhow::Result<()> {
    let (tx1, rx1) = pipe::<u64>()?;
    let mut stage1 = Process::new(move || create_items(tx1).expect("create_items"));
    stage1.start()?; // the parent's copy of tx1 is closed now

    let (tx2, mut rx2) = pipe::<u64>()?;
    let mut stage2 = Process::new(move || multiply_items(rx1, tx2, fail_at).expect("multiply_items"));
    stage2.start()?; // and so are its copies of rx1 and tx2

    while let Some(item) = rx2.recv_timeout(LIMIT)? {
        println!("{item}");
    }
    // The end of input comes as well when a stage fails: `End` only once
    // both have ended well. A failed stage 2 is named first: stage 1 may
    // have failed only because its reader went away.
    let first = super::join_ok(&mut stage1);
    super::join_ok(&mut stage2)?;
    first?;
    println!("End");
    Ok(())
}
