//! Receiving from any rank: rank 0 gathers one message from every other
//! rank, in whatever order they arrive.
//!
//! Launch: `mpirun -np 4 target/release/any-source`. Page: `lessons/any-source.md`.
//!
//! `world.any_process()` is MPI_ANY_SOURCE: the receive takes the first
//! message that comes, from anyone. The `Status` then says who sent it. Run
//! it a few times: the arrival order changes, the set of messages does not.

use std::process::ExitCode;

use clap::Parser;
use mpi::traits::*;
use mpi_demos::cli::Common;
use mpi_demos::launch::Lesson;

const LESSON: Lesson = Lesson { program: "any-source", ranks: 2 };

/// Rank 0 receives one message from every other rank, from any source.
#[derive(Parser)]
#[command(version, after_help = "Launch: mpirun -np 4 target/release/any-source")]
struct Args {
    #[command(flatten)]
    common: Common,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut s = match LESSON.begin(&args.common) {
        Ok(session) => session,
        Err(code) => return code,
    };
    if s.rank == 0 {
        let mut order = Vec::new();
        for n in 1..s.world.size() {
            let anyone = s.world.any_process();
            let (value, status) = s.trace.receive::<i32, _>(&s.world, &anyone, s.limit, "a message from any rank");
            println!("rank 0 received {value} from rank {} (message {n})", status.source_rank());
            order.push(status.source_rank());
        }
        println!("arrival order: {order:?}");
    } else {
        let rank = s.rank;
        s.trace.send(&s.world.process_at_rank(0), &rank);
        println!("rank {rank} sent its rank to rank 0");
    }
    s.finish()
}
