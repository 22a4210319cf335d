//! Naming processes: the port of `naming_processes.py`.
//!
//! Two processes run the same function; one is named `myFunc process`, the
//! other keeps its default name. Every process object takes the next number
//! from its creator's counter, named or not, so the second is `Process-2`.
//! Each prints its name, sleeps 3 s, and prints it again; their lines may
//! interleave.
//!
//! What to notice: inside the child, `current_name()` is the child's name
//! (Python's `multiprocessing.current_process().name`).

use local_procs::{current_name, pace, Process};

fn my_func() {
    let name = current_name();
    println!("Starting process name = {name}");
    pace::sleep(3.0);
    println!("Exiting process name = {name}");
}

pub fn run() -> anyhow::Result<()> {
    let mut named = Process::new(my_func).with_name("myFunc process");
    let mut unnamed = Process::new(my_func);
    named.start()?;
    unnamed.start()?;
    super::join_ok(&mut named)?;
    super::join_ok(&mut unnamed)?;
    Ok(())
}
