//! Probing: receive a message whose length you do not know in advance.
//!
//! Launch: `mpirun -np 2 target/release/probe`. Page: `lessons/probe.md`.
//!
//! Rank 0 sends a list of integers of a length rank 1 does not know. Rank 1
//! first *probes*: `matched_probe` waits for a message and returns it, still
//! unreceived, with its `Status`, which tells the sender, the tag, and how
//! many integers it holds. Rank 1 then makes a buffer of that size and
//! receives exactly that message into it (a "matched" receive: no other
//! message can slip in between the probe and the receive).

use std::process::ExitCode;

use clap::Parser;
use mpi::datatype::Equivalence;
use mpi::traits::*;
use mpi_demos::bounded;
use mpi_demos::cli::Common;
use mpi_demos::launch::Lesson;
use mpi_demos::trace::Op;

const LESSON: Lesson = Lesson { program: "probe", ranks: 2 };

/// Rank 1 probes a message of unknown length, then receives it.
#[derive(Parser)]
#[command(version, after_help = "Launch: mpirun -np 2 target/release/probe")]
struct Args {
    #[command(flatten)]
    common: Common,

    /// How many integers rank 0 sends.
    #[arg(long, default_value_t = 37)]
    length: u32,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut s = match LESSON.begin(&args.common) {
        Ok(session) => session,
        Err(code) => return code,
    };
    match s.rank {
        0 => {
            let numbers: Vec<u32> = (0..args.length).collect();
            s.trace.send(&s.world.process_at_rank(1), &numbers[..]);
            println!("rank 0 sent {} integers", numbers.len());
        }
        1 => {
            let from = s.world.process_at_rank(0);
            let start = s.trace.now();
            // world.process_at_rank(0).matched_probe(), with a time limit:
            let Some((message, status)) = bounded::probe_within(&from, s.limit) else {
                bounded::abort_waiting(&s.world, s.limit, "a list of integers from rank 0")
            };
            let count = status.count(u32::equivalent_datatype()) as usize;
            println!(
                "rank 1 probed: a message from rank {}, tag {}, {count} integers ({} bytes)",
                status.source_rank(),
                status.tag(),
                count * std::mem::size_of::<u32>()
            );
            let mut numbers = vec![0u32; count];
            message.matched_receive_into(&mut numbers[..]);
            s.trace.record(Op::Recv, 0, status.tag(), std::mem::size_of_val(&numbers[..]), start);
            let sum: u64 = numbers.iter().map(|&n| u64::from(n)).sum();
            println!("rank 1 received {} integers, sum {sum}", numbers.len());
        }
        _ => {}
    }
    s.finish()
}
