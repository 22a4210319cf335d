//! Exercise: end a deadlock. Lesson: `crates/mpi-demos/lessons/deadlock.md`.
//!
//! Two ranks greet each other: each receives its neighbour's greeting, then
//! sends its own. As written, it never ends: each rank waits in its receive
//! for a message the other sends only after its own receive has returned.
//!
//! There is no `todo!()` here: run the check first and read what the watch
//! says, then change the order of the calls on one rank (and only there)
//! so that the job ends with both greetings delivered.
//!
//!     make check EXERCISE=deadlock

use mpi::traits::*;

fn main() {
    let universe = mpi::initialize().expect("MPI initialises once");
    let world = universe.world();
    let (rank, size) = (world.rank(), world.size());
    let right = world.process_at_rank((rank + 1) % size);
    let left = world.process_at_rank((rank + size - 1) % size);
    let greeting = 100 + rank;

    let (received, status) = right.receive::<i32>();
    println!("rank {rank} received {received} from rank {}", status.source_rank());
    left.send(&greeting);
    println!("rank {rank} sent {greeting} to rank {}", left.rank());
}
