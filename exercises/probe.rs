//! Exercise: receive a message whose length you do not know. Lesson:
//! `crates/mpi-demos/lessons/probe.md`.
//!
//! Rank 0 sends a list of integers; rank 1 does not know how long it is.
//! It must learn the length from the message's envelope before it makes a
//! buffer, then receive that very message into it.
//!
//! Replace each `todo!()` (`make hint EXERCISE=probe` gives a hint, one
//! more at each call). Check your work: `make check EXERCISE=probe`.

use mpi::datatype::Equivalence;
use mpi::traits::*;

fn main() {
    let universe = mpi::initialize().expect("MPI initialises once");
    let world = universe.world();
    match world.rank() {
        0 => {
            let numbers: Vec<u32> = (0..37).collect();
            world.process_at_rank(1).send(&numbers[..]);
            println!("rank 0 sent {} integers", numbers.len());
        }
        1 => {
            let (message, status): (mpi::point_to_point::Message, mpi::point_to_point::Status) =
                todo!("wait for rank 0's message to be there, without receiving it yet");
            let count: usize = todo!("how many u32 the message holds, from its status (and if it is no whole number?)");
            let mut numbers = vec![0u32; count];
            todo!("receive exactly that message into `numbers`");
            let sum: u64 = numbers.iter().map(|&n| u64::from(n)).sum();
            println!("rank 1 received {} integers, sum {sum}", numbers.len());
        }
        _ => {}
    }
}
