//! Solution of `exercises/tags.rs`: the `tags` lesson.

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
            let (bytes, status) = from.receive_vec_with_tag::<u8>(SECOND);
            println!("rank 1 received \"{}\" (tag {}) first", String::from_utf8_lossy(&bytes), status.tag());
            let (bytes, status) = from.receive_vec_with_tag::<u8>(FIRST);
            println!("rank 1 received \"{}\" (tag {}) second", String::from_utf8_lossy(&bytes), status.tag());
        }
        _ => {}
    }
}
