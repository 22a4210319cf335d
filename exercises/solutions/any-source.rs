//! Solution of `exercises/any-source.rs`.

use std::time::Duration;

use mpi::traits::*;

fn main() {
    let universe = mpi::initialize().expect("MPI initialises once");
    let world = universe.world();
    let (rank, size) = (world.rank(), world.size());
    if rank == 0 {
        let mut sum = 0;
        for _ in 1..size {
            let (result, status) = world.any_process().receive::<i32>();
            let from = status.source_rank();
            println!("rank 0 received {result} from rank {from}");
            sum += result;
        }
        println!("rank 0 received {sum} in all");
    } else {
        // The work: the higher the rank, the shorter.
        std::thread::sleep(Duration::from_millis(250 * (size - rank) as u64));
        world.process_at_rank(0).send(&(rank * rank));
    }
}
