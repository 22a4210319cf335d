//! Send modes: standard, synchronous and buffered sends, and when each returns.
//!
//! Launch: `mpirun -np 2 target/release/send-modes`. Page: `lessons/send-modes.md`.
//!
//! Rank 1 posts each receive only after a pause (`--pause-ms`, 200 by
//! default). Rank 0 times how long each kind of send takes to return:
//! - a *standard* send (`send`, MPI_Send) returns once the data is safe to
//!   reuse: at once when MPI sends it eagerly (small messages, buffered at
//!   the receiver), after the receive is posted when it needs the
//!   receiver's go-ahead (a "rendezvous"). Where that changes, the eager
//!   limit, depends on the MPI and the transport.
//! - a *synchronous* send (`synchronous_send`, MPI_Ssend) returns only once
//!   the receive has started: always after the pause, whatever the size.
//! - a *buffered* send (`buffered_send`, MPI_Bsend) copies the message into
//!   a buffer the program attached beforehand (`set_buffer_size`,
//!   MPI_Buffer_attach) and returns at once. The buffer must hold every
//!   message not yet delivered, plus MPI_BSEND_OVERHEAD bytes for each; a
//!   buffered send that does not fit is an error, not a wait.

use std::time::{Duration, Instant};

use clap::Parser;
use mpi::traits::*;
use mpi_demos::launch::Lesson;

const SIZES: [usize; 4] = [8, 1024, 65_536, 1 << 20];
/// Room for one message of the largest size and MPI's bookkeeping for it:
/// MPI_BSEND_OVERHEAD bytes per message (128 in Open MPI, 96 in MPICH; the
/// test below holds it to the MPI this was built with).
const BUFFER: usize = (1 << 20) + 4096;

/// Time standard, synchronous and buffered sends against a late receiver.
#[derive(Parser)]
#[command(version, after_help = "Launch: mpirun -np 2 target/release/send-modes")]
struct Args {
    /// How long rank 1 waits before posting each receive.
    #[arg(long, default_value_t = 200)]
    pause_ms: u64,
}

fn main() {
    let args = Args::parse();
    let (mut universe, world) = Lesson { program: "send-modes", ranks: 2 }.start_or_exit();
    let pause = Duration::from_millis(args.pause_ms);
    universe.set_buffer_size(BUFFER); // MPI_Buffer_attach
    if world.rank() == 0 {
        println!("{:<12} {:>8}  rank 0's send returned", "mode", "bytes");
    }
    for mode in ["standard", "synchronous", "buffered"] {
        for bytes in SIZES {
            world.barrier(); // both ranks start each round together
            match world.rank() {
                0 => {
                    let payload = vec![7u8; bytes];
                    let to = world.process_at_rank(1);
                    let clock = Instant::now();
                    match mode {
                        "standard" => to.send(&payload[..]),
                        "synchronous" => to.synchronous_send(&payload[..]),
                        _ => to.buffered_send(&payload[..]),
                    }
                    let took = clock.elapsed();
                    let when =
                        if took < pause / 2 { "before the receive was posted" } else { "after the receive was posted" };
                    println!("{mode:<12} {bytes:>8}  {when}");
                }
                1 => {
                    std::thread::sleep(pause);
                    world.process_at_rank(0).receive_vec::<u8>();
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_buffer_holds_the_largest_message_and_its_overhead() {
        let overhead = mpi::ffi::MPI_BSEND_OVERHEAD as usize;
        assert!((64..=256).contains(&overhead), "MPI_BSEND_OVERHEAD is {overhead}");
        assert!(super::BUFFER >= super::SIZES[3] + overhead);
    }
}
