//! A barrier and a lock: the port of `processes_barrier.py`.
//!
//! `p1` and `p2` share a barrier for two and a lock: each waits at the
//! barrier until both are there, takes the time, and prints it while
//! holding the lock. `p3` and `p4` print their time with no synchronisation.
//! So p1's and p2's times are (nearly) equal, and their lines never mix.
//!
//! What to notice: the barrier and the lock are made before the processes
//! and a clone is moved into each; the clones are one barrier, one lock, in
//! memory the processes share. The barrier breaks for everyone if a party
//! waits past its limit, dies while it waits, or calls `abort`; the lock
//! tells its next holder when the previous one died holding it (a line may
//! then be cut short): the port says so rather than go on in silence.
//!
//! Try next: give the barrier 3 parties and see the wait end with an error
//! after its time limit instead of hanging; or, with 3 parties and a long
//! limit, `kill -9` one party while it waits, and see the other told "a
//! party died while it waited".

use std::time::{Duration, SystemTime};

use local_procs::{current_name, Barrier, Lock, Process};

/// A barrier wait that cannot hang the lesson if a party never comes.
const BARRIER_LIMIT: Duration = Duration::from_secs(30);

fn test_with_barrier(synchronizer: Barrier, serializer: Lock) {
    let name = current_name();
    if let Err(error) = synchronizer.wait_timeout(BARRIER_LIMIT) {
        eprintln!("process {name}: {error}");
        std::process::exit(1);
    }
    let now = SystemTime::now();
    let held = serializer.acquire();
    if held.previous_holder_died() {
        eprintln!("process {name}: the lock's previous holder died holding it; its line may be cut short");
    }
    println!("process {name} ----> {}", timestamp(now));
}

fn test_without_barrier() {
    let name = current_name();
    let now = SystemTime::now();
    println!("process {name} ----> {}", timestamp(now));
}

pub fn run() -> anyhow::Result<()> {
    let synchronizer = Barrier::new(2)?;
    let serializer = Lock::new()?;
    let mut processes = vec![
        Process::new({
            let (b, l) = (synchronizer.clone(), serializer.clone());
            move || test_with_barrier(b, l)
        })
        .with_name("p1 - test_with_barrier"),
        Process::new({
            let (b, l) = (synchronizer.clone(), serializer.clone());
            move || test_with_barrier(b, l)
        })
        .with_name("p2 - test_with_barrier"),
        Process::new(test_without_barrier).with_name("p3 - test_without_barrier"),
        Process::new(test_without_barrier).with_name("p4 - test_without_barrier"),
    ];
    for process in &mut processes {
        process.start()?;
    }
    for process in &mut processes {
        super::join_ok(process)?;
    }
    Ok(())
}

/// A time as Python's `datetime` prints it (`2026-11-30 04:40:04.361245`),
/// in UTC.
fn timestamp(at: std::time::SystemTime) -> String {
    humantime::format_rfc3339_micros(at).to_string().replacen('T', " ", 1).trim_end_matches('Z').to_owned()
}
