//! Killing a process: the port of `killing_processes.py`.
//!
//! `foo` would count to 10, a second apart. The parent starts it, then at
//! once terminates it (SIGTERM), and prints the process and whether it is
//! alive at each step. After `terminate` it is still alive: the signal is
//! on its way, and the child's end is not collected until `join`. The exit
//! code is `-15`: Python's convention for "killed by signal 15" (SIGTERM).
//! (In Python that third line is a race: its `is_alive` reaps a child that
//! has already died, so on a busy single core it may print `False`. Here
//! a signalled child counts as alive until `join`, every time.)
//!
//! What to notice: the child may print `Starting function` before the signal
//! lands, or not. Try next: `kill()` instead of `terminate()` gives `-9`.

use local_procs::{pace, Process};

fn foo() {
    println!("Starting function");
    for i in 0..10 {
        println!("-->{i}");
        pace::sleep(1.0);
    }
    println!("Finished function");
}

pub fn run() -> anyhow::Result<()> {
    let mut p = Process::new(foo);
    println!("Process before execution: {p} {}", py_bool(p.is_alive()));
    p.start()?;
    println!("Process running: {p} {}", py_bool(p.is_alive()));
    p.terminate()?;
    println!("Process terminated: {p} {}", py_bool(p.is_alive()));
    p.join()?;
    println!("Process joined: {p} {}", py_bool(p.is_alive()));
    println!("Process exit code: {}", p.exit_code().unwrap_or_default());
    Ok(())
}

/// Print booleans as the Python original does.
fn py_bool(value: bool) -> &'static str {
    if value {
        "True"
    } else {
        "False"
    }
}
