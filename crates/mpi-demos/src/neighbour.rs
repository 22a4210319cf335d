//! A neighbour that may be nobody: a rank, or `MPI_PROC_NULL`.
//!
//! The standard lets a send or a receive name `MPI_PROC_NULL` as its peer:
//! the call then does nothing and returns at once (a receive leaves its
//! buffer untouched, and its status says source `MPI_PROC_NULL`, count 0).
//! A halo exchange uses it at the ends of the domain, so that the first and
//! the last rank run the same code as the others. rsmpi's `Process` always
//! names a real rank; this is the one thing it lacks for that lesson.

use mpi::topology::{AsCommunicator, Communicator, Rank, SimpleCommunicator};
use mpi::traits::{Destination, Source};

/// The rank `rank` of `comm`, or nobody (`MPI_PROC_NULL`) when `rank` is
/// outside the communicator: the left neighbour of rank 0, the right one
/// of the last rank.
pub struct Neighbour<'a> {
    comm: &'a SimpleCommunicator,
    rank: Rank,
}

impl<'a> Neighbour<'a> {
    /// Rank `rank` of `comm`, or `MPI_PROC_NULL` if there is no such rank.
    pub fn of(comm: &'a SimpleCommunicator, rank: Rank) -> Self {
        let rank = if (0..comm.size()).contains(&rank) {
            rank
        } else {
            // SAFETY: reading a constant that MPI's bindings export.
            unsafe { mpi::ffi::RSMPI_PROC_NULL }
        };
        Neighbour { comm, rank }
    }

    /// Is it nobody?
    pub fn is_nobody(&self) -> bool {
        // SAFETY: as above.
        self.rank == unsafe { mpi::ffi::RSMPI_PROC_NULL }
    }
}

impl AsCommunicator for Neighbour<'_> {
    type Out = SimpleCommunicator;
    fn as_communicator(&self) -> &SimpleCommunicator {
        self.comm
    }
}

impl Destination for Neighbour<'_> {
    fn destination_rank(&self) -> Rank {
        self.rank
    }
}

// SAFETY: `rank` is a rank of `comm` or MPI_PROC_NULL, both of which the
// standard accepts as the source of a receive on `comm`.
unsafe impl Source for Neighbour<'_> {
    fn source_rank(&self) -> Rank {
        self.rank
    }
}
