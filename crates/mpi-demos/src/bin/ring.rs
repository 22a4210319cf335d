//! A ring: every rank talks to its neighbours, rank r to r + 1, the last to 0.
//!
//! Launch: `mpirun -np 4 target/release/ring`. Page: `lessons/ring.md`.
//!
//! First a token goes round: rank 0 sends it to rank 1, each rank adds its
//! own rank and passes it on, and it comes back to rank 0 as the sum of all
//! ranks. Then every rank at once sends to its right and receives from its
//! left, with `send_receive` (MPI_Sendrecv), which does both together.
//!
//! Why not "send, then receive" on every rank? A standard send may wait
//! until the receiver has posted its receive (it does for messages too big
//! to buffer). If every rank sends first, every rank waits for a receive
//! that nobody posts: a deadlock. `--naive --bytes N` runs that version:
//! it works for small N and hangs for large N (`scripts/mpirun --watch 3`
//! names the cycle). `send_receive` cannot deadlock here, whatever the
//! size, because every rank's send has its matching receive posted in the
//! same call.

use clap::Parser;
use mpi::point_to_point as p2p;
use mpi::traits::*;
use mpi_demos::launch::Lesson;

/// A token round the ring, then a shift with send_receive.
#[derive(Parser)]
#[command(version, after_help = "Launch: mpirun -np 4 target/release/ring")]
struct Args {
    /// Instead: every rank sends BYTES to its right, then receives from its left.
    #[arg(long)]
    naive: bool,

    /// The message size for --naive.
    #[arg(long, default_value_t = 8)]
    bytes: usize,
}

fn main() {
    let args = Args::parse();
    let (_universe, world) = Lesson { program: "ring", ranks: 2 }.start_or_exit();
    let (rank, size) = (world.rank(), world.size());
    let right = world.process_at_rank((rank + 1) % size);
    let left = world.process_at_rank((rank + size - 1) % size);

    if args.naive {
        // Every rank sends first: each send may wait for a receive that its
        // neighbour only posts once its own send has returned.
        let payload = vec![rank as u8; args.bytes];
        right.send(&payload[..]);
        let (received, status) = left.receive_vec::<u8>();
        println!(
            "rank {rank} sent {} bytes right, then received {} from rank {}",
            args.bytes,
            received.len(),
            status.source_rank()
        );
        return;
    }

    // The token, once round the ring.
    if rank == 0 {
        let token: i32 = 0;
        right.send(&token);
        println!("rank 0 passes the token {token} to rank 1");
        let (token, status) = left.receive::<i32>();
        println!("rank 0 received the token {token} from rank {}: the sum of all ranks", status.source_rank());
    } else {
        let (token, status) = left.receive::<i32>();
        let passed = token + rank;
        println!("rank {rank} received the token {token} from rank {}, passes {passed} on", status.source_rank());
        right.send(&passed);
    }

    // Everyone at once: send right, receive from the left.
    let (received, status): (i32, _) = p2p::send_receive(&rank, &right, &left);
    println!("rank {rank} shifted right: sent {rank}, received {received} from rank {}", status.source_rank());
}
