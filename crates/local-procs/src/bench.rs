//! `local-procs bench`: what the library's primitives cost, measured the way
//! `scripts/bench/local_mp.py` measures Python's `multiprocessing`, so the two
//! compare line by line. Output: one `name value unit` line per figure.

use std::time::{Duration, Instant};

use local_procs::{pipe, Pool, Process, Queue};

fn square(x: u64) -> u64 {
    x * x
}

/// Run the four measurements; `scale` shrinks the counts (for tests).
pub fn run(scale: f64) -> anyhow::Result<()> {
    let n = |base: f64| ((base * scale) as u64).max(1);

    // pipe_roundtrip: a small message there and back between two processes.
    let (mut to_child, from_parent) = pipe::<u64>()?;
    let (to_parent, mut from_child) = pipe::<u64>()?;
    let mut echo = Process::new(move || {
        let (mut input, mut output) = (from_parent, to_parent);
        while let Ok(Some(item)) = input.recv() {
            if item == u64::MAX || output.send(&item).is_err() {
                return;
            }
        }
    });
    echo.start()?;
    let limit = Duration::from_secs(30);
    let rounds = n(20_000.0);
    for _ in 0..100 {
        to_child.send(&1)?;
        from_child.recv_timeout(limit)?;
    }
    let start = Instant::now();
    for _ in 0..rounds {
        to_child.send(&1)?;
        from_child.recv_timeout(limit)?;
    }
    let elapsed = start.elapsed();
    to_child.send(&u64::MAX)?;
    echo.join()?;
    println!("pipe_roundtrip {:.3} us", elapsed.as_secs_f64() / rounds as f64 * 1e6);

    // queue_throughput: one producer process, one consumer (this process).
    let items = n(200_000.0);
    let queue: Queue<Option<u64>> = Queue::new()?;
    let mut producer = Process::new({
        let mut queue = queue.clone();
        move || {
            for i in 0..items {
                queue.put(&Some(i)).expect("put");
            }
            queue.put(&None).expect("put");
        }
    });
    let mut queue = queue;
    let start = Instant::now();
    producer.start()?;
    let mut got = 0;
    while queue.get_timeout(limit)?.is_some() {
        got += 1;
    }
    let elapsed = start.elapsed();
    producer.join()?;
    anyhow::ensure!(got == items, "the queue lost items: {got} of {items}");
    println!("queue_throughput {:.0} items/s", items as f64 / elapsed.as_secs_f64());

    // pool_map_1e6: Pool::map of square over 1,000,000 integers, 4 workers.
    let count = n(1_000_000.0);
    let mut pool = Pool::new(4)?;
    pool.set_task_timeout(Some(limit));
    pool.map(square, 0..1000)?;
    let start = Instant::now();
    let result = pool.map(square, 0..count)?;
    let elapsed = start.elapsed();
    anyhow::ensure!(result.last() == Some(&square(count - 1)), "the pool's result is wrong");
    pool.close();
    pool.join(limit)?;
    println!("pool_map_1e6 {:.3} ms", elapsed.as_secs_f64() * 1e3);

    // spawn_join: start and join one process that does nothing.
    let count = n(200.0);
    let start = Instant::now();
    for _ in 0..count {
        let mut process = Process::new(|| {});
        process.start()?;
        process.join()?;
    }
    println!("spawn_join {:.3} ms", start.elapsed().as_secs_f64() / count as f64 * 1e3);
    Ok(())
}
