//! Buggy, 2 ranks: rank 0 posts a receive and waits for it; rank 1
//! finishes without sending.

use mpi::traits::*;

fn main() {
    let universe = mpi::initialize().expect("MPI initialises");
    let world = universe.world();
    if world.rank() == 0 {
        let mut value = 0i32;
        mpi::request::scope(|scope| {
            let request = world.process_at_rank(1).immediate_receive_into(scope, &mut value);
            request.wait();
        });
    }
}
