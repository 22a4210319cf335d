//! Non-blocking messages: start a send or a receive, compute while it is
//! under way, then wait for it (or test whether it is done).
//!
//! Launch: `mpirun -np 2 target/release/nonblocking`. Page: `lessons/nonblocking.md`.
//!
//! `immediate_send` and `immediate_receive_into` return a request at once;
//! the message moves while the rank works on something else. `wait` blocks
//! until the request completes; `test` only asks. Until then the buffer is
//! the message's: Rust's borrow checker enforces it, as the request borrows
//! the buffer inside `mpi::request::scope`.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use mpi::traits::*;
use mpi_demos::cli::Common;
use mpi_demos::launch::Lesson;
use mpi_demos::trace::Op;

const LESSON: Lesson = Lesson { program: "nonblocking", ranks: 2 };

/// Send and receive in the background while computing.
#[derive(Parser)]
#[command(version, after_help = "Launch: mpirun -np 2 target/release/nonblocking")]
struct Args {
    #[command(flatten)]
    common: Common,

    /// How many numbers rank 0 sends.
    #[arg(long, default_value_t = 100_000)]
    count: usize,
}

/// Some work to overlap with communication: a slice of the series for pi.
fn compute(step: u64) -> f64 {
    (step * 1000..(step + 1) * 1000).map(|k| if k % 2 == 0 { 4.0 } else { -4.0 } / (2 * k + 1) as f64).sum()
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut s = match LESSON.begin(&args.common) {
        Ok(session) => session,
        Err(code) => return code,
    };
    let rank = s.rank;
    match rank {
        0 => {
            let numbers: Vec<f64> = (0..args.count).map(|i| i as f64).collect();
            let start = s.trace.now();
            let mut pi = 0.0;
            mpi::request::scope(|scope| {
                let request = s.world.process_at_rank(1).immediate_send(scope, &numbers[..]);
                for step in 0..100 {
                    pi += compute(step); // while the message goes
                }
                request.wait();
            });
            s.trace.record(Op::Send, 1, 0, std::mem::size_of_val(&numbers[..]), start);
            println!("rank 0 sent {} numbers and meanwhile computed pi = {pi:.4}", numbers.len());
        }
        1 => {
            let mut numbers = vec![0.0f64; args.count];
            let start = s.trace.now();
            let (mut tests, mut pi, mut step) = (0u64, 0.0, 0);
            let deadline = Instant::now() + s.limit;
            mpi::request::scope(|scope| {
                let mut request = s.world.process_at_rank(0).immediate_receive_into(scope, &mut numbers[..]);
                loop {
                    tests += 1;
                    match request.test() {
                        Ok(_) => break,
                        Err(pending) => request = pending,
                    }
                    if Instant::now() >= deadline {
                        eprintln!(
                            "error: rank 1 gave up after {} s waiting for rank 0's numbers",
                            s.limit.as_secs_f64()
                        );
                        s.world.abort(3);
                    }
                    pi += compute(step); // while the message comes
                    step += 1;
                }
            });
            s.trace.record(Op::Recv, 0, 0, std::mem::size_of_val(&numbers[..]), start);
            let sum: f64 = numbers.iter().sum();
            println!("rank 1 received {} numbers, sum {sum}, after testing {tests} time(s)", numbers.len());
            println!("rank 1 computed {step} slice(s) of pi meanwhile");
        }
        _ => {}
    }
    s.finish()
}
