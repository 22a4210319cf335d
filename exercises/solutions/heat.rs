//! Solution of `exercises/heat.rs`.

use mpi::point_to_point::send_receive_into_with_tags;
use mpi::traits::*;
use mpi_demos::neighbour::Neighbour;

const POINTS: usize = 400;
const STEPS: usize = 20000;
const R: f64 = 0.25;
const LEFT_END: f64 = 1.0;
const RIGHT_END: f64 = 0.0;
const TO_LEFT: i32 = 1;
const TO_RIGHT: i32 = 2;
const GATHER: i32 = 3;

fn advance(old: &[f64], new: &mut [f64]) {
    for i in 1..old.len() - 1 {
        new[i] = old[i] + R * (old[i - 1] - 2.0 * old[i] + old[i + 1]);
    }
}

fn block(points: usize, ranks: usize, rank: usize) -> (usize, usize) {
    let (each, more) = (points / ranks, points % ranks);
    (rank * each + rank.min(more), each + usize::from(rank < more))
}

fn serial() -> Vec<f64> {
    let mut u = vec![0.0; POINTS + 2];
    u[0] = LEFT_END;
    u[POINTS + 1] = RIGHT_END;
    let mut next = u.clone();
    for _ in 0..STEPS {
        advance(&u, &mut next);
        std::mem::swap(&mut u, &mut next);
    }
    u[1..=POINTS].to_vec()
}

/// Fill `u`'s two ghosts (`u[0]` and `u[n + 1]`, where n = u.len() - 2)
/// with the neighbours' edge points, and give them mine.
fn exchange(u: &mut [f64], left: &Neighbour, right: &Neighbour) {
    let n = u.len() - 2;
    let (first, last) = (u[1], u[n]);
    send_receive_into_with_tags(&first, left, TO_LEFT, &mut u[n + 1], right, TO_LEFT);
    send_receive_into_with_tags(&last, right, TO_RIGHT, &mut u[0], left, TO_RIGHT);
}

fn main() {
    let universe = mpi::initialize().expect("MPI initialises once");
    let world = universe.world();
    let (rank, size) = (world.rank(), world.size());
    let (_, n) = block(POINTS, size as usize, rank as usize);
    let left = Neighbour::of(&world, rank - 1);
    let right = Neighbour::of(&world, rank + 1);

    let mut u = vec![0.0; n + 2];
    u[0] = LEFT_END;
    u[n + 1] = RIGHT_END;
    let mut next = u.clone();
    for _ in 0..STEPS {
        exchange(&mut u, &left, &right);
        advance(&u, &mut next);
        next[0] = u[0];
        next[n + 1] = u[n + 1];
        std::mem::swap(&mut u, &mut next);
    }

    if rank != 0 {
        world.process_at_rank(0).send_with_tag(&u[1..=n], GATHER);
        return;
    }
    let mut rod = vec![0.0; POINTS];
    rod[..n].copy_from_slice(&u[1..=n]);
    for from in 1..size {
        let (start, count) = block(POINTS, size as usize, from as usize);
        world.process_at_rank(from).receive_into_with_tag(&mut rod[start..start + count], GATHER);
    }
    let at = |x: f64| rod[(x * POINTS as f64) as usize];
    println!("heat: at 1/4, 1/2 and 3/4 of the rod: {:.6} {:.6} {:.6}", at(0.25), at(0.5), at(0.75));
    if rod == serial() {
        println!("heat: the same as one process computing alone");
    } else {
        println!("heat: NOT the same as one process computing alone");
    }
}
