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
//! SIGTERM asks; a process may catch it to end cleanly (close files, say
//! goodbye), as servers do. `--catch-sigterm` makes the child install a
//! handler that only sets a flag; `foo` checks the flag after each step,
//! cleans up and returns: exit code 0, not -15. SIGKILL (`kill()`) cannot
//! be caught: the kernel ends the process at once, cleaning nothing.
//!
//! What to notice: the child may print `Starting function` before the signal
//! lands, or not. Try next: `kill()` instead of `terminate()` gives `-9`,
//! with or without `--catch-sigterm`; and watch `ps -o pid,stat,cmd` show a
//! `Z` while the child waits to be collected (add a long sleep before
//! `is_alive`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use local_procs::{pace, Process};
use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};

/// Set by the SIGTERM handler; read by `foo` between steps.
static ASKED_TO_STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigterm(_: libc::c_int) {
    // A handler may do almost nothing safely: storing to an atomic is fine.
    ASKED_TO_STOP.store(true, Ordering::Relaxed);
}

/// Set what SIGTERM does in this process; returns what it did before.
fn on_sigterm_do(handler: SigHandler) -> nix::Result<SigAction> {
    let action = SigAction::new(handler, SaFlags::empty(), SigSet::empty());
    // SAFETY: the handler, if any, only stores to an atomic.
    unsafe { sigaction(Signal::SIGTERM, &action) }
}

fn foo() {
    println!("Starting function");
    for i in 0..10 {
        println!("-->{i}");
        pace::sleep(1.0);
        if ASKED_TO_STOP.load(Ordering::Relaxed) {
            println!("Caught SIGTERM: cleaning up, then ending");
            return;
        }
    }
    println!("Finished function");
}

pub fn run(catch_sigterm: bool) -> anyhow::Result<()> {
    let mut p = Process::new(foo);
    println!("Process before execution: {p} {}", py_bool(p.is_alive()));
    if catch_sigterm {
        // Installed before the fork, which copies it into the child: a
        // signal sent at once cannot land before the child has it. The
        // parent then goes back to what it did before.
        let before = on_sigterm_do(SigHandler::Handler(on_sigterm))?;
        let started = p.start();
        on_sigterm_do(before.handler())?;
        started?;
    } else {
        p.start()?;
    }
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
