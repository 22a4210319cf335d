//! Point-to-point messages: the port of `point_to_point_communication.py`.
//!
//! Launch with nine ranks: `mpirun -np 9 target/release/p2p`.
//!
//! Every rank learns its rank in the world communicator. Rank 0 sends the
//! integer 10000000 to rank 4, rank 1 sends the string "hello" to rank 8;
//! ranks 4 and 8 receive and say what arrived and from whom. The other
//! ranks have nothing to do and exit.
//!
//! How Rust differs from mpi4py: `comm.send(obj)` pickles any Python
//! object; here the integer goes as one MPI `int` and the string as its
//! UTF-8 bytes, with no serialisation step. The receiver chooses the type
//! it receives into, and the `Status` tells it who sent the message.
//!
//! `trace.send(&process, &data)` is `process.send(&data)`, noted in the
//! message trace when `--trace FILE` asks for one; `trace.receive` is a
//! receive with a time limit (`--timeout`), noted the same way.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use mpi::traits::*;
use mpi_demos::cli::{self, Common};
use mpi_demos::launch::Lesson;
use mpi_demos::trace::Trace;
use mpi_demos::{bounded, diag};

const LESSON: Lesson = Lesson { program: "p2p", ranks: 9 };

/// Rank 0 sends an integer to rank 4; rank 1 sends a string to rank 8.
#[derive(Parser)]
#[command(version, after_help = "Launch: mpirun -np 9 target/release/p2p")]
struct Args {
    #[command(flatten)]
    common: Common,

    /// Every rank also prints `rank R on HOST`, to see where ranks run.
    #[arg(long)]
    show_hosts: bool,

    /// Ranks 0 and 1 wait this long before sending: time to cut a host off
    /// and watch the receivers' time limit end the job.
    #[arg(long, value_name = "SECS", value_parser = bounded::parse_seconds)]
    delay: Option<Duration>,

    /// Print which MPI library this binary uses, and exit (no mpirun needed).
    #[arg(long)]
    mpi_library: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.mpi_library {
        let version = mpi::environment::library_version().unwrap_or_else(|_| "unknown".into());
        println!("{}", version.trim_end_matches('\0').trim_end());
        return ExitCode::SUCCESS;
    }
    diag::init();
    let (universe, world) = match LESSON.start() {
        Ok(started) => started,
        Err(failure) => return failure.exit_code(),
    };
    let rank = world.rank();
    let _span = diag::rank_span(rank, world.size()).entered();
    let mut trace = Trace::start(&world, args.common.trace.clone());
    let limit = args.common.timeout;

    if args.show_hosts {
        println!("rank {rank} on {}", diag::host_name());
    }

    if let (Some(delay), 0 | 1) = (args.delay, rank) {
        std::thread::sleep(delay);
    }

    match rank {
        0 => {
            let data: i32 = 10_000_000;
            trace.send(&world.process_at_rank(4), &data); // world.process_at_rank(4).send(&data), traced
            println!("rank 0 sent {data} to rank 4");
        }
        1 => {
            let data = "hello";
            trace.send(&world.process_at_rank(8), data.as_bytes()); // world.process_at_rank(8).send(data.as_bytes()), traced
            println!("rank 1 sent \"{data}\" to rank 8");
        }
        4 => {
            let from = world.process_at_rank(0);
            // from.receive::<i32>(), with a time limit, traced:
            let (data, status) = trace.receive::<i32, _>(&world, &from, limit, "an integer from rank 0");
            println!("rank 4 received {data} from rank {}", status.source_rank());
        }
        8 => {
            let from = world.process_at_rank(1);
            // from.receive_vec::<u8>(), with a time limit, traced:
            let (bytes, status) = trace.receive_vec::<u8, _>(&world, &from, limit, "a string from rank 1");
            let data = String::from_utf8_lossy(&bytes);
            println!("rank 8 received \"{data}\" from rank {}", status.source_rank());
        }
        _ => tracing::debug!("nothing to do on this rank"),
    }

    cli::finish(universe, &world, trace, &args.common)
}
