//! A process defined by its own type: the port of `process_in_subclass.py`.
//!
//! Python subclasses `multiprocessing.Process` and overrides `run`; in Rust a
//! type implements the [`Run`] trait and is wrapped in a `Process`. Its
//! default name is the type's name and the counter: `MyProcess-1` to
//! `MyProcess-10`. Each is started and joined in turn.
//!
//! What to notice: the struct can carry fields, which the child gets a copy
//! of; that is how a process type takes its arguments.

use local_procs::{current_name, Process, Run};

struct MyProcess;

impl Run for MyProcess {
    fn run(&mut self) {
        println!("called run method in {}", current_name());
    }
}

pub fn run() -> anyhow::Result<()> {
    for _ in 0..10 {
        let mut process = Process::from_run(MyProcess);
        process.start()?;
        super::join_ok(&mut process)?;
    }
    Ok(())
}
