//! Solution of `exercises/pipe.rs`: the `pipe` lesson.

use std::time::Duration;

use local_procs::pipe::{Receiver, Sender};
use local_procs::{pipe, Process};

fn create_items(mut output: Sender<u64>) {
    for item in 0..10 {
        output.send(&item).expect("send");
    }
    output.close();
}

fn multiply_items(input: Receiver<u64>, mut output: Sender<u64>) {
    for item in input {
        let item = item.expect("a number");
        output.send(&(item * item)).expect("send");
    }
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

    // Closed here: otherwise pipe 2 never ends, and neither does the loop.
    drop(spare);

    while let Some(item) = rx2.recv_timeout(Duration::from_secs(10))? {
        println!("{item}");
    }
    println!("End");
    let code = stage1.join()?;
    anyhow::ensure!(code == 0, "{} failed with exit code {code}", stage1.name());
    let code = stage2.join()?;
    anyhow::ensure!(code == 0, "{} failed with exit code {code}", stage2.name());
    Ok(())
}
