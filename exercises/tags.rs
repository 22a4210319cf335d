//! Exercise: choose a message by its tag. Lesson: `crates/mpi-demos/lessons/tags.md`.
//!
//! Rank 0 sends "first" with tag FIRST, then "second" with tag SECOND. Rank
//! 1 must receive "second" before "first": a receive that names a tag takes
//! the message with that tag, whatever came before it.
//!
//! Replace each `todo!()`. Check your work: `make check EXERCISE=tags`.

use mpi::traits::*;

const FIRST: i32 = 1;
const SECOND: i32 = 2;

fn main() {
    let universe = mpi::initialize().expect("MPI initialises once");
    let world = universe.world();
    match world.rank() {
        0 => {
            let to = world.process_at_rank(1);
            to.send_with_tag("first".as_bytes(), FIRST);
            to.send_with_tag("second".as_bytes(), SECOND);
            println!("rank 0 sent \"first\" (tag {FIRST}), then \"second\" (tag {SECOND})");
        }
        1 => {
            let from = world.process_at_rank(0);
            let (bytes, status): (Vec<u8>, mpi::point_to_point::Status) =
                todo!("receive the message tagged SECOND, though it was sent second");
            println!("rank 1 received \"{}\" (tag {}) first", String::from_utf8_lossy(&bytes), status.tag());
            let (bytes, status): (Vec<u8>, mpi::point_to_point::Status) = todo!("then the message tagged FIRST");
            println!("rank 1 received \"{}\" (tag {}) second", String::from_utf8_lossy(&bytes), status.tag());
        }
        _ => {}
    }
}
