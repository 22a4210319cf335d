//! Background (daemon) processes: the port of `run_background_processes.py`
//! and of its variant without daemons.
//!
//! Two processes run `foo`: `background_process` counts 0 to 4,
//! `NO_background_process` counts 5 to 9; each then sleeps 1 s and says it
//! is exiting. The parent starts both and simply ends. When a program ends,
//! its daemon children are terminated, not waited for, and the others are
//! joined: so `Exiting background_process` never appears, and every line of
//! `NO_background_process` does. (Whether the daemon prints its first lines
//! before it is stopped is a race, in Python too.)
//!
//! Beyond Python: a daemon child also dies when its parent is killed
//! outright (`kill -9`), where Python's would keep running.
//!
//! Try next: `local-procs no-daemon`, where neither is a daemon and the end
//! of the program waits for both; and `local-procs daemon --linger 30`,
//! where the parent stays 30 s before ending: `kill -9` it from another
//! terminal and watch the daemon go with it while the other child goes on.

use std::time::Duration;

use local_procs::{current_name, pace, Process};

fn foo() {
    let name = current_name();
    println!("Starting {name}");
    let numbers = if name == "background_process" { 0..5 } else { 5..10 };
    for i in numbers {
        println!("---> {i}");
    }
    pace::sleep(1.0);
    println!("Exiting {name}");
}

/// `daemon`: whether `background_process` is a daemon; `linger`: how long
/// the parent stays before it ends.
pub fn run(daemon: bool, linger: Duration) -> anyhow::Result<()> {
    let mut background = Process::new(foo).with_name("background_process").daemon(daemon);
    let mut no_background = Process::new(foo).with_name("NO_background_process").daemon(false);
    background.start()?;
    no_background.start()?;
    if !linger.is_zero() {
        eprintln!("parent (pid {}) lingers for {linger:?}", std::process::id());
        std::thread::sleep(linger);
    }
    // The program ends here: main's exit_cleanup() terminates the daemon
    // and joins the rest, as Python does at exit.
    Ok(())
}
