//! Tags: two messages between the same two ranks, told apart by their tag.
//!
//! Launch: `mpirun -np 2 target/release/tags`. Page: `lessons/tags.md`.
//!
//! Rank 0 sends "first" with tag 1, then "second" with tag 2. Rank 1 asks
//! for tag 2 first: MPI hands it "second", though "first" arrived earlier,
//! because a receive matches on (source, tag). Then it asks for tag 1.
//!
//! This works only because rank 0's first send returns before rank 1 asks
//! for its message. The standard lets a standard-mode send either copy the
//! message out and return, or wait until a receive matches it (MPI 4.1
//! §3.4); a program that needs the first is unsafe. Open MPI and MPICH copy
//! messages this small out at once, so it runs; `--synchronous` sends with
//! `MPI_Ssend`, which always waits for the matching receive, and the
//! program deadlocks, as it would under an MPI that buffered nothing.

use clap::Parser;
use mpi::traits::*;
use mpi_demos::launch::Lesson;

const FIRST: i32 = 1;
const SECOND: i32 = 2;

/// Two messages with different tags, received in the opposite order.
#[derive(Parser)]
#[command(version, after_help = "Launch: mpirun -np 2 target/release/tags")]
struct Args {
    /// Send with MPI_Ssend, which waits for the matching receive: the
    /// program then deadlocks (run it under `scripts/mpirun --watch`).
    #[arg(long)]
    synchronous: bool,
}

fn main() {
    let args = Args::parse();
    let (_universe, world) = Lesson { program: "tags", ranks: 2 }.start_or_exit();
    match world.rank() {
        0 => {
            let to = world.process_at_rank(1);
            if args.synchronous {
                to.synchronous_send_with_tag("first".as_bytes(), FIRST);
                to.synchronous_send_with_tag("second".as_bytes(), SECOND);
            } else {
                to.send_with_tag("first".as_bytes(), FIRST);
                to.send_with_tag("second".as_bytes(), SECOND);
            }
            println!("rank 0 sent \"first\" (tag {FIRST}), then \"second\" (tag {SECOND})");
        }
        1 => {
            let from = world.process_at_rank(0);
            let (bytes, status) = from.receive_vec_with_tag::<u8>(SECOND);
            println!("rank 1 received \"{}\" (tag {}) first", String::from_utf8_lossy(&bytes), status.tag());
            let (bytes, status) = from.receive_vec_with_tag::<u8>(FIRST);
            println!("rank 1 received \"{}\" (tag {}) second", String::from_utf8_lossy(&bytes), status.tag());
        }
        _ => {}
    }
}
