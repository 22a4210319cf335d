//! Killing a process: the port of `killing_processes.py`.
//!
//! `foo` would count to 10, a second apart. The parent starts it, then at
//! once terminates it (SIGTERM), and prints the process and whether it is
//! alive at each step. The exit code is `-15`: Python's convention for
//! "killed by signal 15" (SIGTERM).
//!
//! Between its death and its parent's `wait`, a child is a *zombie*: dead,
//! its memory freed, but its process-table entry kept by the kernel to hold
//! its exit status for the parent. `terminate` only sends the signal, so
//! the port first waits (at most 10 s) for the child to die without
//! collecting it, and prints the kernel's name for its state then:
//! `zombie`. `is_alive` (Python's too) collects a child that has ended:
//! after it, the kernel has forgotten the child, and `join` only reads the
//! exit code it kept. (The original prints `is_alive` right after
//! `terminate`, a race: `True` if the signal has not landed yet.)
//!
//! What to notice: the child may print `Starting function` before the signal
//! lands, or not. Try next: `kill()` instead of `terminate()` gives `-9`;
//! and watch `ps -o pid,stat,cmd` show a `Z` while the child waits to be
//! collected (add a long sleep before `is_alive`).

use std::time::Duration;

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
    if !p.wait_ended(Duration::from_secs(10))? {
        anyhow::bail!("{p} did not die within 10 s of SIGTERM");
    }
    // Dead, not yet collected: a zombie (or already collected, if it had
    // ended before `is_alive` above looked).
    println!("Process terminated: {p} {}", p.kernel_state().unwrap_or("collected"));
    println!("Process collected: {p} {}", py_bool(p.is_alive()));
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
