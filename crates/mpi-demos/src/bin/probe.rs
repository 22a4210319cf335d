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
//!
//! `status.count(datatype)` is MPI_Get_count: the message's size in
//! elements of that type, or MPI_UNDEFINED (a negative number) when the
//! size is not a whole number of them. Rank 1 checks for it rather than
//! turn it into a buffer of four billion elements; `--extra-byte` makes
//! rank 0 send one byte more, to see it.

use std::process::ExitCode;

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
    /// Rank 0 sends its integers' bytes and one byte more: not a whole
    /// number of integers.
    #[arg(long)]
    extra_byte: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let (_universe, world) = Lesson { program: "probe", ranks: 2 }.start_or_exit();
    match world.rank() {
        0 => {
            let numbers: Vec<u32> = (0..args.length).collect();
            if args.extra_byte {
                let mut bytes: Vec<u8> = numbers.iter().flat_map(|n| n.to_ne_bytes()).collect();
                bytes.push(0);
                world.process_at_rank(1).send(&bytes[..]);
                println!("rank 0 sent {} bytes", bytes.len());
            } else {
                world.process_at_rank(1).send(&numbers[..]);
                println!("rank 0 sent {} integers", numbers.len());
            }
        }
        1 => {
            let (message, status) = world.process_at_rank(0).matched_probe();
            let Ok(count) = usize::try_from(status.count(u32::equivalent_datatype())) else {
                // Take the message as the bytes it is, so that none is
                // left behind, then say what is wrong and fail.
                let bytes = status.count(u8::equivalent_datatype());
                let mut raw = vec![0u8; usize::try_from(bytes).unwrap_or(0)];
                message.matched_receive_into(&mut raw[..]);
                eprintln!(
                    "rank 1: the message holds {bytes} bytes, not a whole number of 4-byte integers \
                     (MPI_Get_count returned MPI_UNDEFINED)"
                );
                return ExitCode::FAILURE;
            };
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
    ExitCode::SUCCESS
}
