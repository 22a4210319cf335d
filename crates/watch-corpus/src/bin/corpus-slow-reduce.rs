//! Correct, 3 ranks: a sum over the world and over the ranks' halves; rank
//! 2 computes for 3 s first, so the others wait in the reduction longer
//! than the watch's limit.

use std::time::Duration;

use mpi::collective::SystemOperation;
use mpi::topology::Color;
use mpi::traits::*;

fn main() {
    let universe = mpi::initialize().expect("MPI initialises");
    let world = universe.world();
    let rank = world.rank();
    if rank == 2 {
        std::thread::sleep(Duration::from_secs(3));
    }
    let mut total = 0i32;
    world.all_reduce_into(&rank, &mut total, SystemOperation::sum());
    let half = world.split_by_color(Color::with_value(rank % 2)).expect("every rank has a colour");
    let mut half_total = 0i32;
    half.all_reduce_into(&rank, &mut half_total, SystemOperation::sum());
    println!("rank {rank}: total {total}, half {half_total}");
}
