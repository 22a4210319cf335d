//! Structured messages, two ways: a derived MPI datatype, and serde bytes.
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

use clap::Parser;
use mpi::traits::*;
use mpi_demos::launch::Lesson;
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

/// Send records as an MPI datatype and as serde-encoded bytes.
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
        }
        _ => {}
    }
}
