//! The lessons, one file each; `main.rs` maps the subcommands onto them.

pub mod background;
pub mod barrier;
pub mod my_func;
pub mod naming;
pub mod pipe;
pub mod pool;
pub mod queue;
pub mod spawn;
pub mod subclass;
pub mod terminate;

/// Wait for `process` to end, and fail unless it ended well (exit code 0):
/// a child that panicked must not let the lesson print its last line and
/// exit 0 as if all went well. (Python's `join` returns nothing either; the
/// original lessons never look at `exitcode`.)
pub fn join_ok(process: &mut local_procs::Process) -> anyhow::Result<()> {
    let code = process.join()?;
    anyhow::ensure!(code == 0, "{} failed with exit code {code}", process.name());
    Ok(())
}
