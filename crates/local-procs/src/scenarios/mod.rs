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
