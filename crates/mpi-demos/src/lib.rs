//! What every MPI lesson shares, and nothing more: the launch check, and
//! (for the halo exchange) a neighbour that may be `MPI_PROC_NULL`.
//!
//! [`launch::Lesson::start`] initialises MPI and checks that the program was
//! started by an MPI launcher with the ranks it needs, so a wrong launch
//! ends at once with one clear message instead of a hang. Everything a
//! lesson teaches (the send, the receive, the rank) is written out in the
//! lesson itself, in plain rsmpi. What watches a lesson from outside
//! (traces, time limits, deadlock diagnosis) is the MPI profiling layer,
//! `crates/mpi-watch-preload`, loaded by `scripts/mpirun --trace/--watch`.

pub mod diag;
pub mod launch;
pub mod mistakes;
pub mod neighbour;
