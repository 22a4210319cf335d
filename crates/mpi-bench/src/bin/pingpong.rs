//! Ping-pong: what a message costs, by size. OSU-style: ranks 0 and 1 bounce
//! a message back and forth, first some warm-up rounds, then timed rounds;
//! half the round trip is the one-way latency. Other ranks idle.
//!
//! Launch: `mpirun -np 2 target/release/pingpong`. Output on stdout: CSV,
//! `bytes,latency_us,bandwidth_mb_s`, one row per size.
//!
//! `--payload bytes` sends raw bytes; `--payload typed` sends a record (an id
//! and a list of numbers, about the size) with `mpi_typed`, and the
//! receiver receives into one record (`mpi_typed::receive_into`), whose
//! vector is reused from one round trip to the next as the raw bytes' buffer
//! is: the difference is the price of a typed message.
//!
//! `--payload bytes,typed` measures both, one after the other at each size,
//! and adds a first column, `payload`. A ratio of two figures measured
//! seconds apart reads the machine's moods as much as the software: a
//! shared virtual machine can run 3 times slower for a while. Measured
//! back to back, both figures of a size see the same machine.

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use mpi::traits::*;
use mpi_demos::launch::Lesson;
use mpi_typed::Bulk;
use serde::{Deserialize, Serialize};

const LESSON: Lesson = Lesson { program: "pingpong", ranks: 2 };

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Payload {
    /// Raw bytes, sent as they are.
    Bytes,
    /// A record sent with mpi_typed: its shape through serde, its numbers as they lie.
    Typed,
    /// The typed record's one message as raw bytes, received as a typed
    /// receive must (into a buffer for any first message, its length read
    /// from MPI): what a message of unknown length costs before anything is
    /// encoded. Sizes whose record takes several messages are left out.
    Floor,
}

/// Bounce messages between ranks 0 and 1; print latency and bandwidth per size.
#[derive(Parser)]
#[command(version, after_help = "Launch: mpirun -np 2 target/release/pingpong")]
struct Args {
    /// Message sizes in bytes, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "0,8,64,1024,8192,65536,1048576,4194304")]
    sizes: Vec<usize>,

    /// Timed round trips per size (fewer for sizes over 64 KiB, as OSU does).
    #[arg(long, default_value_t = 10_000)]
    iters: u32,

    /// Untimed round trips first, per size.
    #[arg(long, default_value_t = 1_000)]
    warmup: u32,

    /// What is sent; several, comma-separated, are measured in turn at each size.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "bytes")]
    payload: Vec<Payload>,

    /// Abort the job when no round trip has finished for this many seconds.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_seconds)]
    timeout: Duration,
}

/// A positive number of seconds.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(seconds) if seconds > 0.0 && seconds.is_finite() => Ok(Duration::from_secs_f64(seconds)),
        _ => Err(format!("`{text}` is not a positive number of seconds")),
    }
}

/// The typed payload: what a program sending measurements might send.
#[derive(Serialize, Deserialize, Default)]
struct Record {
    id: u64,
    values: Bulk<f64>,
}

impl Record {
    /// A record of about `bytes` bytes: its id and length take a few.
    fn of_size(bytes: usize) -> Record {
        Record { id: 42, values: (0..bytes.saturating_sub(10) / 8).map(|i| i as f64).collect::<Vec<_>>().into() }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    let (universe, world) = match LESSON.start() {
        Ok(started) => started,
        Err(failure) => return failure.exit_code(),
    };
    let rank = world.rank();
    let progress = Arc::new(AtomicU64::new(0));
    if rank < 2 {
        watchdog(rank, Arc::clone(&progress), args.timeout);
    }
    let several = args.payload.len() > 1;
    if rank == 0 {
        println!("{}bytes,latency_us,bandwidth_mb_s", if several { "payload," } else { "" });
    }
    let largest = args.sizes.iter().copied().max().unwrap_or(0);
    let mut buf = vec![0u8; largest + 64];
    // As large as the buffer a typed receive takes its first message into.
    let mut first = vec![0u8; mpi_typed::NETWORK_FIRST_MESSAGE_MAX];
    for &size in &args.sizes {
        let (iters, warmup) =
            if size > 65_536 { (args.iters / 10, args.warmup / 10) } else { (args.iters, args.warmup) };
        let (iters, warmup) = (iters.max(1), warmup.max(1));
        let record = Record::of_size(size);
        // Received into, as the raw bytes are into `buf`: its vector is
        // reused from one round trip to the next.
        let mut received = Record::default();
        let floor = mpi_typed::one_message_len(&record).expect("a record encodes");
        for &payload in &args.payload {
            if payload == Payload::Floor && floor.is_none() {
                continue;
            }
            if rank < 2 {
                let peer = world.process_at_rank(1 - rank);
                let mut start = Instant::now();
                for round in 0..warmup + iters {
                    if round == warmup {
                        start = Instant::now();
                    }
                    progress.fetch_add(1, Ordering::Relaxed);
                    match payload {
                        Payload::Bytes => {
                            if rank == 0 {
                                peer.send(&buf[..size]);
                                peer.receive_into(&mut buf[..size]);
                            } else {
                                peer.receive_into(&mut buf[..size]);
                                peer.send(&buf[..size]);
                            }
                        }
                        Payload::Floor => {
                            let len = floor.unwrap_or(0);
                            let mut receive = || {
                                let status = peer.receive_into(&mut first[..]);
                                std::hint::black_box(status.count(u8::equivalent_datatype()));
                            };
                            if rank == 0 {
                                peer.send(&buf[..len]);
                                receive();
                            } else {
                                receive();
                                peer.send(&buf[..len]);
                            }
                        }
                        Payload::Typed => {
                            if rank == 0 {
                                mpi_typed::send(&peer, &record).expect("a record encodes");
                                mpi_typed::receive_into(&peer, &mut received).expect("a record decodes");
                                debug_assert_eq!(received.values.len(), record.values.len());
                            } else {
                                mpi_typed::receive_into(&peer, &mut received).expect("a record decodes");
                                mpi_typed::send(&peer, &received).expect("a record encodes");
                            }
                        }
                    }
                }
                let elapsed = start.elapsed().as_secs_f64();
                if rank == 0 {
                    let latency_us = elapsed / f64::from(iters) / 2.0 * 1e6;
                    let bandwidth = if latency_us > 0.0 { size as f64 / latency_us } else { 0.0 };
                    let column = match payload.to_possible_value() {
                        Some(name) if several => format!("{},", name.get_name()),
                        _ => String::new(),
                    };
                    println!("{column}{size},{latency_us:.3},{bandwidth:.2}");
                }
            }
        }
        world.barrier();
    }
    drop(universe);
    ExitCode::SUCCESS
}

/// A thread that ends the job when the round trips stop: a blocked MPI call
/// cannot time out by itself. It makes no MPI call; it only watches a counter.
fn watchdog(rank: i32, progress: Arc<AtomicU64>, limit: Duration) {
    std::thread::spawn(move || {
        let mut seen = progress.load(Ordering::Relaxed);
        let mut since = Instant::now();
        loop {
            std::thread::sleep(Duration::from_millis(100).min(limit));
            let now = progress.load(Ordering::Relaxed);
            if now != seen {
                (seen, since) = (now, Instant::now());
            } else if since.elapsed() >= limit {
                eprintln!(
                    "error: pingpong: rank {rank} made no progress for {} s; is the other rank's host reachable? \
                     Aborting.",
                    limit.as_secs_f64()
                );
                // SAFETY: _exit ends the process at once; the launcher then
                // ends the job.
                unsafe { libc::_exit(3) }
            }
        }
    });
}
