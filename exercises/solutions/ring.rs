//! Solution of `exercises/ring.rs`: the token part of the `ring` lesson.

use mpi::traits::*;

fn main() {
    let universe = mpi::initialize().expect("MPI initialises once");
    let world = universe.world();
    let (rank, size) = (world.rank(), world.size());

    let right = world.process_at_rank((rank + 1) % size);
    let left = world.process_at_rank((rank + size - 1) % size);

    if rank == 0 {
        let token: i32 = 0;
        right.send(&token);
        println!("rank 0 passes the token {token} to rank 1");
        let (token, status) = left.receive::<i32>();
        println!("rank 0 received the token {token} from rank {}: the sum of all ranks", status.source_rank());
    } else {
        let (token, status) = left.receive::<i32>();
        let passed = token + rank;
        println!("rank {rank} received the token {token} from rank {}, passes {passed} on", status.source_rank());
        right.send(&passed);
    }
}
