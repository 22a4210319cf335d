//! Receiving from any rank: rank 0 takes one message from every other rank,
//! in whatever order MPI matches them.
//!
//! Launch: `mpirun -np 4 target/release/any-source`. Page: `lessons/any-source.md`.
//!
//! `world.any_process()` is MPI_ANY_SOURCE: the receive takes the first
//! message MPI matches, from anyone, and the `Status` then says who sent it.
//! MPI promises no fairness between senders: run it a few times, and the
//! matching order changes; the set of messages does not.

use clap::Parser;
use mpi::traits::*;
use mpi_demos::launch::Lesson;

/// Rank 0 receives one message from every other rank, from any source.
#[derive(Parser)]
#[command(version, after_help = "Launch: mpirun -np 4 target/release/any-source")]
struct Args {}

fn main() {
    Args::parse();
    let (_universe, world) = Lesson { program: "any-source", ranks: 2 }.start_or_exit();
    let rank = world.rank();
    if rank == 0 {
        let mut order = Vec::new();
        for n in 1..world.size() {
            let (value, status) = world.any_process().receive::<i32>();
            println!("rank 0 received {value} from rank {} (message {n})", status.source_rank());
            order.push(status.source_rank());
        }
        println!("matching order: {order:?}");
    } else {
        world.process_at_rank(0).send(&rank);
        println!("rank {rank} sent its rank to rank 0");
    }
}
