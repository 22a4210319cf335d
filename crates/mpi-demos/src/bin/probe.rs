//! Probing: receive a message whose length you do not know in advance.
//!
//! Launch: `mpirun -np 2 target/release/probe`. Page: `lessons/probe.md`.
//!
//! Rank 0 sends a list of integers of a length rank 1 does not know. Rank 1
//! first *probes*: `matched_probe` returns as soon as the message's envelope
//! (sender, tag, size) has arrived, with the message still unreceived and a
//! `Status` that says how many integers it holds. Rank 1 then makes a buffer
//! of that size and receives exactly that message into it (a "matched"
//! receive: no other message can slip in between the probe and the receive).

use clap::Parser;
use mpi::datatype::Equivalence;
use mpi::traits::*;
use mpi_demos::launch::Lesson;

/// Rank 1 probes a message of unknown length, then receives it.
#[derive(Parser)]
#[command(version, after_help = "Launch: mpirun -np 2 target/release/probe")]
struct Args {
    /// How many integers rank 0 sends.
    #[arg(long, default_value_t = 37)]
    length: u32,
}

fn main() {
    let args = Args::parse();
    let (_universe, world) = Lesson { program: "probe", ranks: 2 }.start_or_exit();
    match world.rank() {
        0 => {
            let numbers: Vec<u32> = (0..args.length).collect();
            world.process_at_rank(1).send(&numbers[..]);
            println!("rank 0 sent {} integers", numbers.len());
        }
        1 => {
            let (message, status) = world.process_at_rank(0).matched_probe();
            let count = status.count(u32::equivalent_datatype()) as usize;
            println!(
                "rank 1 probed: a message from rank {}, tag {}, {count} integers ({} bytes)",
                status.source_rank(),
                status.tag(),
                count * std::mem::size_of::<u32>()
            );
            let mut numbers = vec![0u32; count];
            message.matched_receive_into(&mut numbers[..]);
            let sum: u64 = numbers.iter().map(|&n| u64::from(n)).sum();
            println!("rank 1 received {} integers, sum {sum}", numbers.len());
        }
        _ => {}
    }
}
