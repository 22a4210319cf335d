//! Non-blocking messages: start a send or a receive, compute, then wait for
//! it; and what makes a message move meanwhile.
//!
//! Launch: `mpirun -np 2 target/release/nonblocking`. Page: `lessons/nonblocking.md`.
//!
//! `immediate_send` and `immediate_receive_into` return a request at once.
//! Until it completes, the buffer is lent to MPI: Rust's borrow checker
//! enforces it, as the request borrows the buffer inside
//! `mpi::request::scope` (a send's buffer may still be read, a receive's
//! not touched). `wait` blocks until the request completes; `test` only
//! asks.
//!
//! The standard says when a transfer must be complete, not when its bytes
//! move. Open MPI and MPICH, by default, move them only when the program
//! calls into MPI (a `test`, a `wait`, any MPI call), or from a progress
//! thread where one runs. Here 800 kB is more than either copies out at
//! once: the sender announces the message, the receiver answers, then the
//! data moves, and each step needs its rank inside MPI.
//! By default both ranks compute without calling MPI, and the numbers move
//! only once they wait; with `--test`, both test their request after every
//! slice of computation, and the numbers move while they compute.

use mpi::traits::*;
use mpi_demos::launch::Lesson;

use clap::Parser;

/// Send and receive in the background while computing.
#[derive(Parser)]
#[command(version, after_help = "Launch: mpirun -np 2 target/release/nonblocking")]
struct Args {
    /// How many numbers rank 0 sends.
    #[arg(long, default_value_t = 100_000)]
    count: usize,
    /// Both ranks test their request after every slice of computation.
    #[arg(long)]
    test: bool,
}

/// Some work to overlap with communication: a slice of the series for pi.
fn compute(step: u64) -> f64 {
    (step * 20_000..(step + 1) * 20_000).map(|k| if k % 2 == 0 { 4.0 } else { -4.0 } / (2 * k + 1) as f64).sum()
}

const SLICES: u64 = 200;

fn main() {
    let args = Args::parse();
    let (_universe, world) = Lesson { program: "nonblocking", ranks: 2 }.start_or_exit();
    match world.rank() {
        0 => {
            let numbers: Vec<f64> = (0..args.count).map(|i| i as f64).collect();
            let (mut pi, mut sent) = (0.0, None);
            mpi::request::scope(|scope| {
                let mut pending = Some(world.process_at_rank(1).immediate_send(scope, &numbers[..]));
                for step in 0..SLICES {
                    pi += compute(step);
                    if !args.test {
                        continue;
                    }
                    if let Some(request) = pending.take() {
                        match request.test() {
                            Ok(_) => sent = Some(step + 1),
                            Err(request) => pending = Some(request),
                        }
                    }
                }
                if let Some(request) = pending {
                    request.wait();
                }
            });
            println!("rank 0 sent {} numbers and meanwhile computed pi = {pi:.4}", numbers.len());
            match sent {
                Some(slices) => println!("rank 0's send was complete after {slices} of its {SLICES} slices"),
                None => println!("rank 0's send was complete only in its final wait"),
            }
        }
        1 => {
            let mut numbers = vec![0.0f64; args.count];
            let (mut pi, mut arrived) = (0.0, None);
            mpi::request::scope(|scope| {
                let mut pending = Some(world.process_at_rank(0).immediate_receive_into(scope, &mut numbers[..]));
                for step in 0..SLICES {
                    pi += compute(step);
                    if !args.test {
                        continue;
                    }
                    if let Some(request) = pending.take() {
                        match request.test() {
                            Ok(_) => arrived = Some(step + 1),
                            Err(request) => pending = Some(request),
                        }
                    }
                }
                if let Some(request) = pending {
                    request.wait();
                }
            });
            let sum: f64 = numbers.iter().sum();
            println!("rank 1 received {} numbers, sum {sum}, and computed pi = {pi:.4}", numbers.len());
            match arrived {
                Some(slices) => println!("rank 1 had all the numbers after {slices} of its {SLICES} slices"),
                None => println!("rank 1 had the numbers only in its final wait"),
            }
        }
        _ => {}
    }
}
