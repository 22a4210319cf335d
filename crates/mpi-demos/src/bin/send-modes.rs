//! Send modes: standard, synchronous and buffered sends, and the eager
//! limit seen from timing.
//!
//! Launch: `mpirun -np 2 target/release/send-modes`. Page: `lessons/send-modes.md`.
//!
//! Rank 1 posts each receive only after a pause (`--pause-ms`, 200 by
//! default). Rank 0 times how long each kind of send takes to return:
//! - a *standard* send returns as soon as the data is safe to reuse: at once
//!   for a small message, which MPI copies aside ("eager"); for a large one,
//!   only once the receive is posted (a "rendezvous"). The size where that
//!   changes is the eager limit; it depends on the MPI and the transport.
//! - a *synchronous* send returns only once the receive has started: always
//!   after the pause, whatever the size.
//! - a *buffered* send copies into a buffer the program attached, and always
//!   returns at once (if the buffer is big enough).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;
use mpi::traits::*;
use mpi_demos::cli::Common;
use mpi_demos::launch::Lesson;
use mpi_demos::trace::Op;

const LESSON: Lesson = Lesson { program: "send-modes", ranks: 2 };
const SIZES: [usize; 4] = [8, 1024, 65_536, 1 << 20];

#[derive(Clone, Copy, Debug)]
enum Mode {
    Standard,
    Synchronous,
    Buffered,
}

/// Time standard, synchronous and buffered sends against a late receiver.
#[derive(Parser)]
#[command(version, after_help = "Launch: mpirun -np 2 target/release/send-modes")]
struct Args {
    #[command(flatten)]
    common: Common,

    /// How long rank 1 waits before posting each receive.
    #[arg(long, default_value_t = 200)]
    pause_ms: u64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut s = match LESSON.begin(&args.common) {
        Ok(session) => session,
        Err(code) => return code,
    };
    let pause = Duration::from_millis(args.pause_ms);
    // Room for one buffered send of the largest size, and MPI's bookkeeping.
    s.universe.set_buffer_size(SIZES[SIZES.len() - 1] + 4096);
    if s.rank == 0 {
        println!("{:<12} {:>8}  rank 0's send returned", "mode", "bytes");
    }
    for mode in [Mode::Standard, Mode::Synchronous, Mode::Buffered] {
        for bytes in SIZES {
            s.world.barrier(); // both ranks start each round together
            match s.rank {
                0 => {
                    let payload = vec![7u8; bytes];
                    let to = s.world.process_at_rank(1);
                    let (start, clock) = (s.trace.now(), Instant::now());
                    match mode {
                        Mode::Standard => to.send(&payload[..]),
                        Mode::Synchronous => to.synchronous_send(&payload[..]),
                        Mode::Buffered => to.buffered_send(&payload[..]),
                    }
                    let took = clock.elapsed();
                    s.trace.record(Op::Send, 1, 0, bytes, start);
                    let when =
                        if took < pause / 4 { "before the receive was posted" } else { "after the receive was posted" };
                    let mode = format!("{mode:?}").to_lowercase();
                    println!("{mode:<12} {bytes:>8}  after {:>6.1} ms: {when}", took.as_secs_f64() * 1e3);
                }
                1 => {
                    std::thread::sleep(pause);
                    let from = s.world.process_at_rank(0);
                    let what = format!("{bytes} bytes from rank 0");
                    s.trace.receive_vec::<u8, _>(&s.world, &from, s.limit, &what);
                }
                _ => {}
            }
        }
    }
    s.finish()
}
