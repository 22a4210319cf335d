//! Exercise: a token round a ring. Lesson: `crates/mpi-demos/lessons/ring.md`.
//!
//! Every rank has a neighbour on its right (rank + 1) and one on its left
//! (rank - 1), and the ring closes: the last rank's right is rank 0. Rank 0
//! sends a token, 0, to its right. Every other rank receives the token from
//! its left, adds its own rank to it, and sends it on to its right. The
//! token comes back to rank 0 as the sum of all the ranks.
//!
//! Replace each `todo!()` with what it asks for (`make hint EXERCISE=ring`
//! gives a hint, one more at each call). Check your work:
//!
//!     make check EXERCISE=ring
//!
//! which runs this on 4 ranks under `scripts/mpirun --watch`, so a job that
//! hangs is stopped and the ranks that wait on each other are named.

use mpi::traits::*;

fn main() {
    let universe = mpi::initialize().expect("MPI initialises once");
    let world = universe.world();
    let (rank, size) = (world.rank(), world.size());

    let right = world.process_at_rank(todo!("the rank on the right: the next one, and after the last, the first"));
    let left = world.process_at_rank(todo!("the rank on the left: the one before, and before the first, the last"));

    if rank == 0 {
        let token: i32 = 0;
        right.send(&token);
        println!("rank 0 passes the token {token} to rank 1");
        let (token, status) = left.receive::<i32>();
        println!("rank 0 received the token {token} from rank {}: the sum of all ranks", status.source_rank());
    } else {
        todo!(
            "take the token from the left, add your rank to it and pass it on to the right, \
             printing `rank {{rank}} received the token {{token}} from rank {{left}}, passes {{passed}} on`"
        );
    }
}
