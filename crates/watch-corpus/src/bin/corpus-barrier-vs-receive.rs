//! Buggy, 2 ranks: rank 0 enters a barrier; rank 1 first waits for a
//! message that rank 0 sends only after it.

use mpi::traits::*;

fn main() {
    let universe = mpi::initialize().expect("MPI initialises");
    let world = universe.world();
    if world.rank() == 1 {
        let (_value, _status) = world.process_at_rank(0).receive::<i32>();
    }
    world.barrier();
    if world.rank() == 0 {
        world.process_at_rank(1).send(&7i32);
    }
}
