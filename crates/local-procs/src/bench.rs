//! `local-procs bench`: what the library's primitives cost, measured the way
//! `scripts/bench/local_mp.py` measures Python's `multiprocessing` (and
//! `scripts/bench/local_floor.c` the bare system calls), so they compare
//! line by line. Output: one `name value unit [shape]` line per figure; the
//! shape says how many producers x consumers, or workers, when it varies.
//!
//! `scripts/bench/run` runs each figure in a process of its own, so that
//! one figure's memory does not weigh on the next (a `fork` copies the page
//! tables of everything mapped: after a million-item map, starting a
//! process costs three times as much).

use std::time::{Duration, Instant};

use clap::ValueEnum;
use local_procs::{pipe, Pool, Process, Queue};

/// One thing `bench` measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Figure {
    /// A small message there and back between two processes, through pipes.
    PipeRoundtrip,
    /// Items per second through a Queue, from producer to consumer processes.
    QueueThroughput,
    /// Pool::map of square over 1,000,000 integers.
    #[value(name = "pool-map")]
    PoolMap1e6,
    /// Start and join one process that does nothing.
    SpawnJoin,
}

/// How to measure: counts scaled by `scale` (for quick checks), the queue's
/// producers and consumers, the pool's workers.
pub struct Options {
    pub scale: f64,
    pub producers: usize,
    pub consumers: usize,
    pub workers: usize,
}

fn square(x: u64) -> u64 {
    x * x
}

const LIMIT: Duration = Duration::from_secs(30);

/// Measure `figures` (all four when empty), in that order.
pub fn run(figures: &[Figure], options: &Options) -> anyhow::Result<()> {
    let all = [Figure::PipeRoundtrip, Figure::QueueThroughput, Figure::PoolMap1e6, Figure::SpawnJoin];
    let figures = if figures.is_empty() { &all[..] } else { figures };
    let n = |base: f64| ((base * options.scale) as u64).max(1);
    for figure in figures {
        match figure {
            Figure::PipeRoundtrip => pipe_roundtrip(n(20_000.0))?,
            Figure::QueueThroughput => queue_throughput(n(200_000.0), options.producers, options.consumers)?,
            Figure::PoolMap1e6 => pool_map(n(1_000_000.0), options.workers)?,
            Figure::SpawnJoin => spawn_join(n(200.0))?,
        }
    }
    Ok(())
}

fn pipe_roundtrip(rounds: u64) -> anyhow::Result<()> {
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
    // A plain blocking recv, as the C floor's read and Python's recv: it
    // cannot wait forever, since the echo's end is its alone, and its exit
    // (even by a crash) ends the input. `recv_timeout` costs one poll more.
    let mut round_trip = || -> anyhow::Result<()> {
        to_child.send(&1)?;
        anyhow::ensure!(from_child.recv()? == Some(1), "the echo ended");
        Ok(())
    };
    for _ in 0..100 {
        round_trip()?;
    }
    let start = Instant::now();
    for _ in 0..rounds {
        round_trip()?;
    }
    let elapsed = start.elapsed();
    to_child.send(&u64::MAX)?;
    echo.join()?;
    println!("pipe_roundtrip {:.3} us", elapsed.as_secs_f64() / rounds as f64 * 1e6);
    Ok(())
}

/// `items` in all, split among `producers`; `consumers` take until each
/// gets a `None`, then report how many they took.
fn queue_throughput(items: u64, producers: usize, consumers: usize) -> anyhow::Result<()> {
    anyhow::ensure!(producers >= 1 && consumers >= 1, "the queue needs a producer and a consumer");
    let queue: Queue<Option<u64>> = Queue::new()?;
    let counts: Queue<u64> = Queue::new()?;
    let share = |p: usize| items / producers as u64 + u64::from((p as u64) < items % producers as u64);
    let mut started = Vec::new();
    let start = Instant::now();
    for c in 0..consumers {
        let (mut queue, mut counts) = (queue.clone(), counts.clone());
        let mut consumer = Process::new(move || {
            let mut got = 0;
            while queue.get_timeout(LIMIT).expect("get").is_some() {
                got += 1;
            }
            counts.put(&got).expect("put the count");
        })
        .with_name(format!("consumer-{c}"));
        consumer.start()?;
        started.push(consumer);
    }
    let mut producing = Vec::new();
    for p in 0..producers {
        let mut queue = queue.clone();
        let count = share(p);
        let mut producer = Process::new(move || {
            for i in 0..count {
                queue.put(&Some(i)).expect("put");
            }
        })
        .with_name(format!("producer-{p}"));
        producer.start()?;
        producing.push(producer);
    }
    for producer in &mut producing {
        anyhow::ensure!(producer.join_timeout(LIMIT)? == Some(0), "a producer failed");
    }
    let mut queue = queue;
    for _ in 0..consumers {
        queue.put(&None)?;
    }
    let mut counts = counts;
    let mut got = 0;
    for _ in 0..consumers {
        got += counts.get_timeout(LIMIT)?;
    }
    let elapsed = start.elapsed();
    for consumer in &mut started {
        anyhow::ensure!(consumer.join_timeout(LIMIT)? == Some(0), "a consumer failed");
    }
    anyhow::ensure!(got == items, "the queue lost items: {got} of {items}");
    println!("queue_throughput {:.0} items/s {producers}x{consumers}", items as f64 / elapsed.as_secs_f64());
    Ok(())
}

fn pool_map(count: u64, workers: usize) -> anyhow::Result<()> {
    let mut pool = Pool::new(workers)?;
    pool.set_task_timeout(Some(LIMIT));
    // Two maps of the same size first, as Python's pool is given: the
    // steady state of a program that maps again and again. The first
    // touches the pool's shared memory; the second gets its result from
    // fresh heap pages (the allocator keeps a freed 8 MB block from the
    // third on), each a page fault: together, 3 ms of a 5 ms map.
    pool.map(square, 0..count)?;
    pool.map(square, 0..count)?;
    let start = Instant::now();
    let result = pool.map(square, 0..count)?;
    let elapsed = start.elapsed();
    anyhow::ensure!(
        result.len() as u64 == count && result.last() == Some(&square(count - 1)),
        "the pool's result is wrong"
    );
    pool.close();
    pool.join(LIMIT)?;
    println!("pool_map_1e6 {:.3} ms {workers}", elapsed.as_secs_f64() * 1e3);
    Ok(())
}

fn spawn_join(count: u64) -> anyhow::Result<()> {
    let start = Instant::now();
    for _ in 0..count {
        let mut process = Process::new(|| {});
        process.start()?;
        process.join()?;
    }
    println!("spawn_join {:.3} ms", start.elapsed().as_secs_f64() / count as f64 * 1e3);
    Ok(())
}
