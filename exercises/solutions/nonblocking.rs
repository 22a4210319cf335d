//! Solution of `exercises/nonblocking.rs`: the `nonblocking` lesson, without
//! its `--test` part.

use mpi::traits::*;

const COUNT: usize = 100_000;

/// Some work: pi by the Leibniz series, 4 000 000 terms.
fn compute() -> f64 {
    (0..4_000_000u64).map(|k| if k % 2 == 0 { 4.0 } else { -4.0 } / (2 * k + 1) as f64).sum()
}

fn main() {
    let universe = mpi::initialize().expect("MPI initialises once");
    let world = universe.world();
    match world.rank() {
        0 => {
            let numbers: Vec<f64> = (0..COUNT).map(|i| i as f64).collect();
            let mut pi = 0.0;
            mpi::request::scope(|scope| {
                let request = world.process_at_rank(1).immediate_send(scope, &numbers[..]);
                pi = compute();
                request.wait();
            });
            println!("rank 0 sent {} numbers and meanwhile computed pi = {pi:.4}", numbers.len());
        }
        1 => {
            let mut numbers = vec![0.0f64; COUNT];
            let mut pi = 0.0;
            mpi::request::scope(|scope| {
                let request = world.process_at_rank(0).immediate_receive_into(scope, &mut numbers[..]);
                pi = compute();
                request.wait();
            });
            let sum: f64 = numbers.iter().sum();
            println!("rank 1 received {} numbers, sum {sum}, and computed pi = {pi:.4}", numbers.len());
        }
        _ => {}
    }
}
