//! Structured messages, three ways: a derived MPI datatype, serde bytes,
//! and `mpi_typed` (serde for the shape, the numbers as they lie).
//!
//! Launch: `mpirun -np 2 target/release/typed`. Page: `lessons/typed.md`.
//!
//! `#[derive(Equivalence)]` describes a plain struct to MPI (its fields'
//! types and offsets), so an array of them is sent from where it lies: no
//! encoding step. MPI still copies the bytes through its own buffers as any
//! message's, and it converts byte order only if it was built for machines
//! of different kinds. It fits fixed-size data: numbers, arrays of numbers.
//!
//! A struct with a `String` or a `Vec` holds pointers, which mean nothing
//! on another rank: encode it (serde, here with postcard) into bytes, send
//! the bytes, decode on arrival. It costs an encoding and a copy each way,
//! and fits anything serde can describe.
//!
//! `mpi_typed::send` encodes only the shape (the small fields, and the
//! length of each `Bulk` field) and sends a `Bulk`'s numbers from where
//! they lie; `mpi_typed::receive` allocates each vector at its final size
//! and MPI writes the numbers straight into it. A million numbers are then
//! never copied by the program, only by MPI, as raw bytes would be.

use clap::Parser;
use mpi::traits::*;
use mpi_demos::launch::Lesson;
use mpi_typed::Bulk;
use serde::{Deserialize, Serialize};

/// A fixed-size record: MPI can describe it field by field.
#[derive(Equivalence, Debug, Clone, Copy, Default, PartialEq)]
struct Particle {
    id: u32,
    position: [f64; 3],
    charge: f32,
}

/// A record with a string and a list: it must be encoded to bytes.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Reading {
    station: String,
    celsius: Vec<f32>,
}

/// A record with a large vector of numbers: its shape goes through serde,
/// its samples as they lie.
#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Series {
    station: String,
    samples: Bulk<f64>,
}

const SAMPLES: usize = 1_000_000;

/// Send records as an MPI datatype, as serde-encoded bytes, and with mpi_typed.
#[derive(Parser)]
#[command(version, after_help = "Launch: mpirun -np 2 target/release/typed")]
struct Args {}

fn main() {
    Args::parse();
    let (_universe, world) = Lesson { program: "typed", ranks: 2 }.start_or_exit();
    match world.rank() {
        0 => {
            let to = world.process_at_rank(1);
            let particles: Vec<Particle> =
                (0..3).map(|i| Particle { id: i, position: [f64::from(i), 0.5, -1.0], charge: -1.0 }).collect();
            to.send(&particles[..]);
            println!("rank 0 sent {} particles as an MPI datatype", particles.len());

            let reading = Reading { station: "Uppsala".into(), celsius: vec![-3.5, -1.0, 0.25] };
            let bytes = postcard::to_allocvec(&reading).expect("a Reading encodes");
            to.send(&bytes[..]);
            println!("rank 0 sent a reading as {} bytes of serde (postcard)", bytes.len());

            let series = Series {
                station: "Kiruna".into(),
                samples: (0..SAMPLES).map(|i| i as f64 / 4.0).collect::<Vec<_>>().into(),
            };
            if let Err(error) = mpi_typed::send(&to, &series) {
                eprintln!("error: rank 0 could not send the series: {error}");
                world.abort(1);
            }
            println!("rank 0 sent a series of {} samples with mpi_typed", series.samples.len());
        }
        1 => {
            let from = world.process_at_rank(0);
            let (particles, _) = from.receive_vec::<Particle>();
            for p in &particles {
                println!("rank 1 received particle {} at {:?} with charge {}", p.id, p.position, p.charge);
            }
            let (bytes, _) = from.receive_vec::<u8>();
            match postcard::from_bytes::<Reading>(&bytes) {
                Ok(reading) => println!("rank 1 received {reading:?}"),
                Err(error) => {
                    eprintln!("error: rank 1 could not decode the reading: {error}");
                    world.abort(1);
                }
            }
            match mpi_typed::receive::<Series, _>(&from) {
                Ok((series, _)) => println!(
                    "rank 1 received a series from {}: {} samples, the last {}",
                    series.station,
                    series.samples.len(),
                    series.samples.last().copied().unwrap_or(f64::NAN)
                ),
                Err(error) => {
                    eprintln!("error: rank 1 could not receive the series: {error}");
                    world.abort(1);
                }
            }
        }
        _ => {}
    }
}
