//! Plumbing shared by the MPI lessons, kept out of the lesson programs so
//! each of them reads top to bottom: the send, the receive, the rank.
//!
//! - [`launch`]: check, before and right after `MPI_Init`, that the program
//!   was started by an MPI launcher with the number of ranks it needs, so a
//!   wrong launch ends at once with one clear message instead of a hang.
//! - [`bounded`]: receives with a time limit; a rank that waits too long
//!   aborts the whole job with a message naming itself and what it awaited.
//! - [`diag`]: rank-aware diagnostics on stderr through `tracing`.
//! - [`trace`] and [`sequence`]: a record of every message (`--trace FILE`)
//!   and its sequence diagram in SVG.
//! - [`cli`]: the options every lesson takes, and how a lesson ends.
//! - [`plot`]: log-log line charts in SVG, for the benchmarks.

pub mod bounded;
pub mod cli;
pub mod diag;
pub mod launch;
pub mod plot;
pub mod sequence;
pub mod trace;
