//! Correct, 2 ranks: both post a receive and a send and wait for both;
//! rank 1 computes for 3 s before it starts.

use std::time::Duration;

use mpi::traits::*;

fn main() {
    let universe = mpi::initialize().expect("MPI initialises");
    let world = universe.world();
    let rank = world.rank();
    let other = world.process_at_rank(1 - rank);
    if rank == 1 {
        std::thread::sleep(Duration::from_secs(3));
    }
    let mine = [rank; 4];
    let mut theirs = [0i32; 4];
    mpi::request::scope(|scope| {
        let receive = other.immediate_receive_into(scope, &mut theirs[..]);
        let send = other.immediate_send(scope, &mine[..]);
        receive.wait();
        send.wait();
    });
    println!("rank {rank} got {theirs:?}");
}
