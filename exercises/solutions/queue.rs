//! Solution of `exercises/queue.rs`: consumers that take until a `None`.

use std::time::Duration;

use local_procs::{Process, Queue};

const PER_PRODUCER: u32 = 50;

fn main() -> anyhow::Result<()> {
    let queue: Queue<Option<u32>> = Queue::new()?;

    let mut consumers = Vec::new();
    for c in 0..2 {
        let mut queue = queue.clone();
        let mut consumer = Process::new(move || {
            while let Some(item) = queue.get_timeout(Duration::from_secs(10)).expect("an item") {
                println!("consumer {c} took {item}");
            }
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
