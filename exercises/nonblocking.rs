//! Exercise: start a transfer, compute, and let the transfer progress
//! meanwhile. Lesson: `crates/mpi-demos/lessons/nonblocking.md`.
//!
//! Rank 0 sends 100 000 numbers to rank 1 while both compute pi, a slice
//! at a time. An immediate call returns a request at once; the request
//! must be complete (`wait`) before its scope ends. Between two slices,
//! each rank asks whether its request is complete (`test`): each such call
//! into MPI moves the transfer on, so that the numbers arrive while the
//! ranks compute rather than in the final wait.
//!
//! Replace each `todo!()` (`make hint EXERCISE=nonblocking` gives a hint,
//! one more at each call). Check your work: `make check EXERCISE=nonblocking`.

use mpi::request::{LocalScope, Request, Scope};
use mpi::traits::*;

const COUNT: usize = 100_000;
const SLICES: u64 = 200;

/// A slice of the work: pi by the Leibniz series, 20 000 terms.
fn compute(slice: u64) -> f64 {
    (slice * 20_000..(slice + 1) * 20_000).map(|k| if k % 2 == 0 { 4.0 } else { -4.0 } / (2 * k + 1) as f64).sum()
}

/// Compute every slice; after each, if `pending` is still there, ask
/// whether it is complete. Returns pi and after how many slices the
/// request was complete (None: not before the final wait).
fn compute_and_test<'a, D: ?Sized, S: Scope<'a>>(mut pending: Option<Request<'a, D, S>>) -> (f64, Option<u64>) {
    let mut pi = 0.0;
    let mut done = None;
    for slice in 0..SLICES {
        pi += compute(slice);
        todo!(
            "if the request is still pending, ask whether it is complete, without waiting: \
             when it is, note after how many slices; when not, keep it pending"
        );
    }
    todo!("if it is still pending after the last slice, wait for it");
    (pi, done)
}

fn main() {
    let universe = mpi::initialize().expect("MPI initialises once");
    let world = universe.world();
    match world.rank() {
        0 => {
            let numbers: Vec<f64> = (0..COUNT).map(|i| i as f64).collect();
            let (pi, sent) = mpi::request::scope(|scope| {
                let request: Request<'_, [f64], &LocalScope<'_>> =
                    todo!("start sending `numbers` to rank 1, without waiting");
                compute_and_test(Some(request))
            });
            println!("rank 0 sent {} numbers and meanwhile computed pi = {pi:.4}", numbers.len());
            if sent.is_some() {
                println!("rank 0's send was complete before its final wait");
            }
        }
        1 => {
            let mut numbers = vec![0.0f64; COUNT];
            let (pi, arrived) = mpi::request::scope(|scope| {
                let request: Request<'_, [f64], &LocalScope<'_>> =
                    todo!("start receiving into `numbers` from rank 0, without waiting");
                compute_and_test(Some(request))
            });
            let sum: f64 = numbers.iter().sum();
            println!("rank 1 received {} numbers, sum {sum}, and computed pi = {pi:.4}", numbers.len());
            if arrived.is_some() {
                println!("rank 1 had all the numbers before its final wait");
            }
        }
        _ => {}
    }
}
