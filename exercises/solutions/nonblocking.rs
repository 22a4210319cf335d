//! Solution of `exercises/nonblocking.rs`.

use mpi::request::{Request, Scope};
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
        if let Some(request) = pending.take() {
            match request.test() {
                Ok(_) => done = Some(slice + 1),
                Err(request) => pending = Some(request),
            }
        }
    }
    if let Some(request) = pending {
        request.wait();
    }
    (pi, done)
}

fn main() {
    let universe = mpi::initialize().expect("MPI initialises once");
    let world = universe.world();
    match world.rank() {
        0 => {
            let numbers: Vec<f64> = (0..COUNT).map(|i| i as f64).collect();
            let (pi, sent) = mpi::request::scope(|scope| {
                let request = world.process_at_rank(1).immediate_send(scope, &numbers[..]);
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
                let request = world.process_at_rank(0).immediate_receive_into(scope, &mut numbers[..]);
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
