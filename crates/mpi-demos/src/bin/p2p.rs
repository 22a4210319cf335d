//! Point-to-point messages: the port of `point_to_point_communication.py`
//! (`originals/point_to_point.py` beside it).
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
//! it receives into, and the `Status` tells it who sent the message. That
//! type must match the sent one (MPI 4.1 §3.3.1): MPI does not check it,
//! and an `i32` received as `f32` arrives as meaningless bits.

use std::time::Duration;

use clap::Parser;
use mpi::traits::*;
use mpi_demos::launch::Lesson;

/// Rank 0 sends an integer to rank 4; rank 1 sends a string to rank 8.
#[derive(Parser)]
#[command(version, after_help = "Launch: mpirun -np 9 target/release/p2p")]
struct Args {
    /// Every rank also prints `rank R on HOST`, to see where ranks run.
    #[arg(long)]
    show_hosts: bool,
    /// Ranks 0 and 1 wait this many seconds before they send.
    #[arg(long, value_name = "SECS", default_value_t = 0.0)]
    delay: f64,
}

fn main() {
    let args = Args::parse();
    let (_universe, world) = Lesson { program: "p2p", ranks: 9 }.start_or_exit();
    let rank = world.rank();
    if args.show_hosts {
        println!("rank {rank} on {}", mpi::environment::processor_name().unwrap_or_default());
    }
    if rank <= 1 {
        std::thread::sleep(Duration::from_secs_f64(args.delay.max(0.0)));
    }

    match rank {
        0 => {
            let data: i32 = 10_000_000;
            world.process_at_rank(4).send(&data);
            println!("rank 0 sent {data} to rank 4");
        }
        1 => {
            let data = "hello";
            world.process_at_rank(8).send(data.as_bytes());
            println!("rank 1 sent \"{data}\" to rank 8");
        }
        4 => {
            let (data, status) = world.process_at_rank(0).receive::<i32>();
            println!("rank 4 received {data} from rank {}", status.source_rank());
        }
        8 => {
            let (bytes, status) = world.process_at_rank(1).receive_vec::<u8>();
            let data = String::from_utf8_lossy(&bytes);
            println!("rank 8 received \"{data}\" from rank {}", status.source_rank());
        }
        _ => {}
    }
}
