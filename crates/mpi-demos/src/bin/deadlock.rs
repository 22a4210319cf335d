//! A deadlock: two ranks that both wait to receive before they send.
//!
//! Launch: `mpirun -np 2 target/release/deadlock --timeout 3`.
//! Page: `lessons/deadlock.md`.
//!
//! Rank 0 waits for rank 1's message before sending its own; rank 1 waits
//! for rank 0's. Neither ever sends: a deadlock. Without a time limit the
//! program would hang forever; with `--timeout` it stops and says who waited
//! for whom. `--fixed` breaks the cycle: rank 0 sends first.

use std::process::ExitCode;

use clap::Parser;
use mpi::traits::*;
use mpi_demos::bounded;
use mpi_demos::cli::Common;
use mpi_demos::launch::Lesson;
use mpi_demos::trace::Op;

const LESSON: Lesson = Lesson { program: "deadlock", ranks: 2 };

/// Both ranks receive first (a deadlock), or, with --fixed, rank 0 sends first.
#[derive(Parser)]
#[command(version, after_help = "Launch: mpirun -np 2 target/release/deadlock --timeout 3")]
struct Args {
    #[command(flatten)]
    common: Common,

    /// Rank 0 sends before it receives, which breaks the cycle.
    #[arg(long)]
    fixed: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut s = match LESSON.begin(&args.common) {
        Ok(session) => session,
        Err(code) => return code,
    };
    if s.rank > 1 {
        return s.finish();
    }
    let rank = s.rank;
    let other = 1 - rank;
    let peer = s.world.process_at_rank(other);
    let greeting = 100 + rank;

    if args.fixed && rank == 0 {
        s.trace.send(&peer, &greeting);
        println!("rank 0 sent {greeting} first");
    }
    // peer.receive(), with a time limit, and a diagnosis if it runs out.
    let start = s.trace.now();
    let Some((message, _)) = bounded::probe_within(&peer, s.limit) else {
        eprintln!(
            "error: deadlock: rank {rank} waited {} s for a message from rank {other}, and rank {other} \
             runs the same code: it waits for rank {rank} before sending. Both ranks receive first, so \
             neither sends. Aborting; try --fixed.",
            s.limit.as_secs_f64()
        );
        s.world.abort(3);
    };
    let (received, _) = message.matched_receive::<i32>();
    s.trace.record(Op::Recv, other, 0, 4, start);
    println!("rank {rank} received {received} from rank {other}");
    if !(args.fixed && rank == 0) {
        s.trace.send(&peer, &greeting);
        println!("rank {rank} sent {greeting}");
    }
    s.finish()
}
