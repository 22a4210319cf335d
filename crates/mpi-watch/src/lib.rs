//! What the MPI profiling layer records and concludes, and the tools that
//! read it. The layer itself (`crates/mpi-watch-preload`) is a shared library
//! that `scripts/mpirun --trace FILE` or `--watch SECS` loads ahead of the
//! MPI library in every rank; it uses this crate's types for what it writes.
//!
//! - [`trace`]: the trace file (JSON lines): ranks, hosts, every send and receive.
//! - [`sequence`]: a trace as a sequence diagram in SVG (`trace-svg`).
//! - [`perfetto`]: a trace in the Trace Event Format, for Perfetto's UI and
//!   `chrome://tracing` (`trace-perfetto`).
//! - [`waitfor`]: what a hung job's ranks report, and the wait-for model
//!   (AND and OR waits, collectives) that finds the ranks that can never be
//!   released.
//! - [`diagnosis`]: the sentence that says why: a cycle or a knot of waits,
//!   a wait on a finished rank, a message that would match but for its tag,
//!   source or communicator; or, for a rank that can still be released, what
//!   it waits for.
//! - [`graph`]: the wait-for graph of a verdict, in SVG.

pub mod diagnosis;
pub mod graph;
pub mod perfetto;
pub mod sequence;
pub mod trace;
pub mod waitfor;
