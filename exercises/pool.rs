//! Exercise: a pool of worker processes maps a function over inputs.
//! Lesson: `local-procs pool` (`crates/local-procs/src/scenarios/pool.rs`).
//!
//! Square the numbers 0 to 999 with a pool of 4 workers, and print the sum
//! of the squares. `Pool::map` hands the inputs out to the workers in
//! chunks and gives back the results in the order of the inputs.
//!
//! Replace each `todo!()`. Check your work: `make check EXERCISE=pool`.

use std::time::Duration;

use local_procs::Pool;

fn square(x: u64) -> u64 {
    todo!("the square of x")
}

fn main() -> anyhow::Result<()> {
    let mut pool = Pool::new(4)?;
    let squares: Vec<u64> =
        todo!("let the pool's workers apply `square` to every number from 0 to 999, the results in order");
    println!("the first squares: {:?}", &squares[..5]);
    println!("the sum of the squares of 0 to 999: {}", squares.iter().sum::<u64>());
    pool.close();
    pool.join(Duration::from_secs(10))?;
    Ok(())
}
