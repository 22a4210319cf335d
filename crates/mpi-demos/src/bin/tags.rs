//! Tags: two messages between the same two ranks, told apart by their tag.
//!
//! Launch: `mpirun -np 2 target/release/tags`. Page: `lessons/tags.md`.
//!
//! Rank 0 sends "first" with tag 1, then "second" with tag 2. Rank 1 asks
//! for tag 2 first: MPI hands it "second", though "first" arrived earlier,
//! because a receive matches on (source, tag). Then it asks for tag 1.
//! Rank 0's sends return at once: MPI buffers small messages.

use clap::Parser;
use mpi::traits::*;
use mpi_demos::launch::Lesson;

const FIRST: i32 = 1;
const SECOND: i32 = 2;

/// Two messages with different tags, received in the opposite order.
#[derive(Parser)]
#[command(version, after_help = "Launch: mpirun -np 2 target/release/tags")]
struct Args {}

fn main() {
    Args::parse();
    let (_universe, world) = Lesson { program: "tags", ranks: 2 }.start_or_exit();
    match world.rank() {
        0 => {
            let to = world.process_at_rank(1);
            to.send_with_tag("first".as_bytes(), FIRST);
            to.send_with_tag("second".as_bytes(), SECOND);
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
