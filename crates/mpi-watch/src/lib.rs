//! What the MPI profiling layer records and concludes, and the tools that
//! read it. The layer itself (`crates/mpi-watch-preload`) is a shared library
//! that `scripts/mpirun --trace FILE` or `--watch SECS` loads ahead of the
//! MPI library in every rank; it uses this crate's types for what it writes.
//!
//! - [`trace`]: the trace file (JSON lines): ranks, hosts, every send and receive.
//! - [`sequence`]: a trace as a sequence diagram in SVG (`trace-svg`).
//! - [`diagnosis`]: what a hung job's ranks report, and the one sentence that
//!   says why it hangs: a cycle of waits, a wait on a finished rank or on a
//!   tag never sent, a rank that does not answer.

pub mod diagnosis;
pub mod sequence;
pub mod trace;
