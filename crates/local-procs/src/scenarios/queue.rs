//! Producers and consumers around a queue: the port of
//! `communicating_with_queue.py`.
//!
//! A producer puts random integers (0 to 256) into a shared queue, one a
//! second, and reports the queue's size; a consumer takes them out, slower.
//! The original consumer stops as soon as it sees the queue empty, which
//! races with the producer and can leave items behind. Here the producers
//! finish, then the parent puts one "no more" sentinel (`None`) per
//! consumer: every item produced is consumed, exactly once.
//!
//! With `--producers P --consumers C --items N`, N items are shared out
//! among P producers and taken by C consumers. At the end, every producer
//! and consumer reports its count and sum on a second queue, and the parent
//! prints `produced N items, sum S` and `consumed N items, sum S`: equal
//! when nothing was lost or doubled.
//!
//! What to notice: a consumer cannot tell "empty for now" from "empty for
//! good"; only a message can say the second.

use std::time::Duration;

use anyhow::Context;
use local_procs::{current_name, pace, Process, Queue, Run};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Longest a consumer waits for the next item before giving up.
const GET_LIMIT: Duration = Duration::from_secs(60);

/// What each producer and consumer reports at its end.
#[derive(Serialize, Deserialize)]
enum Tally {
    Produced { count: u64, sum: u64 },
    Consumed { count: u64, sum: u64 },
}

struct Producer {
    queue: Queue<Option<u32>>,
    tally: Queue<Tally>,
    items: u64,
}

impl Run for Producer {
    fn run(&mut self) {
        let name = current_name();
        let mut rng = rand::rng();
        let (mut count, mut sum) = (0, 0);
        for _ in 0..self.items {
            let item: u32 = rng.random_range(0..=256);
            self.queue.put(&Some(item)).expect("put");
            println!("Process Producer : item {item} appended to queue {name}");
            count += 1;
            sum += u64::from(item);
            pace::sleep(1.0);
            println!("The size of queue is {}", self.queue.qsize());
        }
        self.tally.put(&Tally::Produced { count, sum }).expect("tally");
    }
}

struct Consumer {
    queue: Queue<Option<u32>>,
    tally: Queue<Tally>,
}

impl Run for Consumer {
    fn run(&mut self) {
        let name = current_name();
        let (mut count, mut sum) = (0, 0);
        loop {
            pace::sleep(2.0);
            match self.queue.get_timeout(GET_LIMIT) {
                Ok(Some(item)) => {
                    println!("Process Consumer : item {item} popped from by {name}");
                    count += 1;
                    sum += u64::from(item);
                }
                Ok(None) => break, // the sentinel: no more items
                Err(error) => {
                    eprintln!("{name}: {error}");
                    std::process::exit(1);
                }
            }
            pace::sleep(1.0);
        }
        self.tally.put(&Tally::Consumed { count, sum }).expect("tally");
    }
}

pub fn run(items: u64, producers: usize, consumers: usize) -> anyhow::Result<()> {
    anyhow::ensure!(producers >= 1 && consumers >= 1, "need at least one producer and one consumer");
    let queue: Queue<Option<u32>> = Queue::new()?;
    let tally: Queue<Tally> = Queue::new()?;

    let mut producing = Vec::new();
    for n in 0..producers as u64 {
        // N items shared out: the first `items % producers` take one more.
        let share = items / producers as u64 + u64::from(n < items % producers as u64);
        let producer = Producer { queue: queue.clone(), tally: tally.clone(), items: share };
        producing.push(Process::from_run(producer));
    }
    let mut consuming: Vec<Process> =
        (0..consumers).map(|_| Process::from_run(Consumer { queue: queue.clone(), tally: tally.clone() })).collect();
    for process in producing.iter_mut().chain(consuming.iter_mut()) {
        process.start()?;
    }

    for process in &mut producing {
        super::join_ok(process)?;
    }
    let mut queue = queue;
    for _ in 0..consumers {
        queue.put(&None)?;
    }
    for process in &mut consuming {
        super::join_ok(process)?;
    }

    let mut tally = tally;
    let (mut produced, mut consumed) = ((0, 0), (0, 0));
    for _ in 0..producers + consumers {
        match tally.get_timeout(GET_LIMIT).context("waiting for the tallies")? {
            Tally::Produced { count, sum } => produced = (produced.0 + count, produced.1 + sum),
            Tally::Consumed { count, sum } => consumed = (consumed.0 + count, consumed.1 + sum),
        }
    }
    println!("produced {} items, sum {}", produced.0, produced.1);
    println!("consumed {} items, sum {}", consumed.0, consumed.1);
    anyhow::ensure!(produced == consumed, "items were lost or doubled");
    Ok(())
}
