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
//! that nobody posts: a deadlock. `--naive --bytes N` runs that version: it
//! works for small N and hangs for large N, here until `--timeout`, when it
//! stops with a diagnosis. `send_receive` cannot deadlock that way.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use mpi::point_to_point as p2p;
use mpi::traits::*;
use mpi_demos::cli::Common;
use mpi_demos::launch::Lesson;
use mpi_demos::trace::Op;

const LESSON: Lesson = Lesson { program: "ring", ranks: 2 };

/// A token round the ring, then a shift with send_receive.
#[derive(Parser)]
#[command(version, after_help = "Launch: mpirun -np 4 target/release/ring")]
struct Args {
    #[command(flatten)]
    common: Common,

    /// Instead: every rank sends BYTES to its right, then receives from its left.
    #[arg(long)]
    naive: bool,

    /// The message size for --naive.
    #[arg(long, default_value_t = 8)]
    bytes: usize,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut s = match LESSON.begin(&args.common) {
        Ok(session) => session,
        Err(code) => return code,
    };
    let (rank, size) = (s.rank, s.world.size());
    let right = s.world.process_at_rank((rank + 1) % size);
    let left = s.world.process_at_rank((rank + size - 1) % size);

    if args.naive {
        naive_shift(&mut s, args.bytes);
        return s.finish();
    }

    // The token, once round the ring.
    if rank == 0 {
        let token: i32 = 0;
        s.trace.send(&right, &token);
        println!("rank 0 passes the token {token} to rank 1");
        let (token, status) = s.trace.receive::<i32, _>(&s.world, &left, s.limit, "the token");
        println!("rank 0 received the token {token} from rank {}: the sum of all ranks", status.source_rank());
    } else {
        let what = format!("the token from rank {}", rank - 1);
        let (token, status) = s.trace.receive::<i32, _>(&s.world, &left, s.limit, &what);
        let passed = token + rank;
        println!("rank {rank} received the token {token} from rank {}, passes {passed} on", status.source_rank());
        s.trace.send(&right, &passed);
    }

    // Everyone at once: send right, receive from the left.
    let start = s.trace.now();
    let (received, status): (i32, _) = p2p::send_receive(&rank, &right, &left);
    s.trace.record(Op::Send, right.rank(), 0, 4, start);
    s.trace.record(Op::Recv, status.source_rank(), 0, 4, start);
    println!("rank {rank} shifted right: sent {rank}, received {received} from rank {}", status.source_rank());
    s.finish()
}

/// Every rank: send `bytes` to the right and wait until the send is done,
/// then receive from the left. Deadlocks when the sends cannot be buffered.
fn naive_shift(s: &mut mpi_demos::cli::Session, bytes: usize) {
    let (rank, size) = (s.rank, s.world.size());
    let right = s.world.process_at_rank((rank + 1) % size);
    let left = s.world.process_at_rank((rank + size - 1) % size);
    let payload = vec![rank as u8; bytes];
    let start = s.trace.now();
    // right.send(&payload[..]), written as "start the send, then wait for
    // it" so that the wait can have a time limit.
    mpi::request::scope(|scope| {
        let mut request = right.immediate_send(scope, &payload[..]);
        let deadline = Instant::now() + s.limit;
        loop {
            match request.test() {
                Ok(_) => break,
                Err(pending) => request = pending,
            }
            if Instant::now() >= deadline {
                eprintln!(
                    "error: rank {rank} is still in its send of {bytes} bytes to rank {} after {} s. Every \
                     rank sends first and none has posted its receive: the naive ring deadlocks when \
                     messages are too large for MPI to buffer. Aborting; run without --naive.",
                    right.rank(),
                    s.limit.as_secs_f64()
                );
                s.world.abort(3);
            }
            std::thread::yield_now();
        }
    });
    s.trace.record(Op::Send, right.rank(), 0, bytes, start);
    let what = format!("{bytes} bytes from rank {}", left.rank());
    let (received, status) = s.trace.receive_vec::<u8, _>(&s.world, &left, s.limit, &what);
    println!(
        "rank {rank} sent {bytes} bytes right, then received {} bytes from rank {}",
        received.len(),
        status.source_rank()
    );
}
