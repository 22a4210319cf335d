//! Exercise: collect results in the order they arrive. Lesson:
//! `crates/mpi-demos/lessons/any-source.md`.
//!
//! Ranks 1, 2 and 3 each compute a result (the square of their rank) and
//! send it to rank 0; the higher the rank, the sooner it is done. Rank 0
//! must print each result as soon as it arrives, whoever sent it, then
//! their sum.
//!
//! Replace the `todo!()` (`make hint EXERCISE=any-source` gives a hint,
//! one more at each call). Check your work: `make check EXERCISE=any-source`.

use std::time::Duration;

use mpi::traits::*;

fn main() {
    let universe = mpi::initialize().expect("MPI initialises once");
    let world = universe.world();
    let (rank, size) = (world.rank(), world.size());
    if rank == 0 {
        let mut sum = 0;
        for _ in 1..size {
            let (result, from): (i32, i32) =
                todo!("take the next result that arrives, from whichever rank sends it, and who sent it");
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
