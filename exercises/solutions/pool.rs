//! Solution of `exercises/pool.rs`.

use std::time::Duration;

use local_procs::Pool;

fn square(x: u64) -> u64 {
    x * x
}

fn main() -> anyhow::Result<()> {
    let mut pool = Pool::new(4)?;
    let squares: Vec<u64> = pool.map(square, 0..1000)?;
    println!("the first squares: {:?}", &squares[..5]);
    println!("the sum of the squares of 0 to 999: {}", squares.iter().sum::<u64>());
    pool.close();
    pool.join(Duration::from_secs(10))?;
    Ok(())
}
