//! A deadlock: ranks that all wait to receive before they send.
//!
//! Launch: `mpirun -np 2 target/release/deadlock`, and watch it hang; then
//! `scripts/mpirun --watch 3 -np 2 target/release/deadlock` to have the
//! profiling layer say why. Page: `lessons/deadlock.md`.
//!
//! Rank r waits for a message from the rank on its right (r + 1, the last
//! rank's right is rank 0) and only then sends one to the rank on its left.
//! Every rank waits; nobody sends: a cycle of waits, of two ranks or of as
//! many as you launch. `--fixed` breaks the cycle: rank 0 sends first.

use clap::Parser;
use mpi::traits::*;
use mpi_demos::launch::Lesson;

/// Every rank receives before it sends (a deadlock), or, with --fixed, rank 0 sends first.
#[derive(Parser)]
#[command(version, after_help = "Launch: scripts/mpirun --watch 3 -np 2 target/release/deadlock")]
struct Args {
    /// Rank 0 sends before it receives, which breaks the cycle.
    #[arg(long)]
    fixed: bool,
}

fn main() {
    let args = Args::parse();
    let (_universe, world) = Lesson { program: "deadlock", ranks: 2 }.start_or_exit();
    let (rank, size) = (world.rank(), world.size());
    let right = world.process_at_rank((rank + 1) % size);
    let left = world.process_at_rank((rank + size - 1) % size);
    let greeting = 100 + rank;

    if args.fixed && rank == 0 {
        left.send(&greeting);
        println!("rank 0 sent {greeting} to rank {} first", left.rank());
    }
    let (received, status) = right.receive::<i32>();
    println!("rank {rank} received {received} from rank {}", status.source_rank());
    if !(args.fixed && rank == 0) {
        left.send(&greeting);
        println!("rank {rank} sent {greeting} to rank {}", left.rank());
    }
}
