//! Solution of `exercises/deadlock.rs`: the `deadlock` lesson with `--fixed`.
//! Rank 0 sends first; rank 1 receives first. Either rank could be the one.

use mpi::traits::*;

fn main() {
    let universe = mpi::initialize().expect("MPI initialises once");
    let world = universe.world();
    let (rank, size) = (world.rank(), world.size());
    let right = world.process_at_rank((rank + 1) % size);
    let left = world.process_at_rank((rank + size - 1) % size);
    let greeting = 100 + rank;

    if rank == 0 {
        left.send(&greeting);
        println!("rank {rank} sent {greeting} to rank {}", left.rank());
    }
    let (received, status) = right.receive::<i32>();
    println!("rank {rank} received {received} from rank {}", status.source_rank());
    if rank != 0 {
        left.send(&greeting);
        println!("rank {rank} sent {greeting} to rank {}", left.rank());
    }
}
