//! Solution of `exercises/probe.rs`.

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
            let (message, status) = world.process_at_rank(0).matched_probe();
            let count = usize::try_from(status.count(u32::equivalent_datatype()))
                .expect("a whole number of u32 (MPI_Get_count gives MPI_UNDEFINED otherwise)");
            let mut numbers = vec![0u32; count];
            message.matched_receive_into(&mut numbers[..]);
            let sum: u64 = numbers.iter().map(|&n| u64::from(n)).sum();
            println!("rank 1 received {} integers, sum {sum}", numbers.len());
        }
        _ => {}
    }
}
