//! Exercise: producers and consumers through a queue, with nothing lost.
//! Lesson: `local-procs queue` (`crates/local-procs/src/scenarios/queue.rs`).
//!
//! Two producer processes put 50 numbers each into a queue; two consumer
//! processes take them out and print each. When both producers are done,
//! the parent puts one `None` per consumer: a consumer takes items until it
//! gets a `None`, and only then stops. (A consumer that stops as soon as
//! the queue looks empty loses the items a slow producer has yet to put:
//! the bug of Python's original.)
//!
//! Replace the `todo!()`. Check your work: `make check EXERCISE=queue`; it
//! counts what was taken against what was put.

use std::time::Duration;

use local_procs::{Process, Queue};

const PER_PRODUCER: u32 = 50;

fn main() -> anyhow::Result<()> {
    let queue: Queue<Option<u32>> = Queue::new()?;

    let mut consumers = Vec::new();
    for c in 0..2 {
        let mut queue = queue.clone();
        let mut consumer = Process::new(move || {
            todo!(
                "take items, waiting a while for each (not forever), until the None that means \
                 no more; print `consumer {{c}} took {{item}}` for each item"
            )
        });
        consumer.start()?;
        consumers.push(consumer);
    }

    let mut producers = Vec::new();
    for p in 0..2 {
        let mut queue = queue.clone();
        let mut producer = Process::new(move || {
            for i in 0..PER_PRODUCER {
                queue.put(&Some(p * 1000 + i)).expect("put");
            }
        });
        producer.start()?;
        producers.push(producer);
    }

    for producer in &mut producers {
        let code = producer.join()?;
        anyhow::ensure!(code == 0, "{} failed with exit code {code}", producer.name());
    }
    let mut queue = queue;
    for _ in &consumers {
        queue.put(&None)?;
    }
    for consumer in &mut consumers {
        let code = consumer.join()?;
        anyhow::ensure!(code == 0, "{} failed with exit code {code}", consumer.name());
    }
    println!("all done");
    Ok(())
}
