//! The capstone: heat along a rod, the rod split across ranks, the edges
//! exchanged every step (a "halo exchange").
//!
//! Launch: `mpirun -np 4 target/release/heat`. Page: `lessons/heat.md`.
//!
//! A rod of `--points` points starts cold (0.0); its left end is held at
//! 1.0 and its right end at 0.0, and heat spreads along it. Each step, a
//! point moves towards the mean of its two neighbours:
//! `new[i] = u[i] + R * (u[i-1] - 2 u[i] + u[i+1])` (the explicit scheme
//! for the 1-D heat equation; stable for R <= 1/2).
//!
//! Each rank owns a block of consecutive points, and keeps one more cell
//! at each side, a *ghost*, for the neighbour's edge point. Before each
//! step it exchanges edges with both neighbours, each with one
//! `MPI_Sendrecv` (a send and a receive that cannot deadlock each other).
//! At the ends of the rod the neighbour is `MPI_PROC_NULL`: the call does
//! nothing, the ghost keeps the fixed end temperature, and the first and
//! last ranks run the same code as the others.
//!
//! At the end rank 0 gathers the blocks and computes the whole rod again
//! alone: the two agree bit for bit, as every point is computed from the
//! same numbers in the same order.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use mpi::point_to_point::send_receive_into_with_tags;
use mpi::traits::*;
use mpi_demos::launch::Lesson;
use mpi_demos::neighbour::Neighbour;

/// How far a point moves towards its neighbours' mean in one step.
const R: f64 = 0.25;
/// The temperatures held at the rod's two ends.
const LEFT_END: f64 = 1.0;
const RIGHT_END: f64 = 0.0;
/// Tags: an edge point sent to the left neighbour, to the right one, and
/// a block sent to rank 0 at the end.
const TO_LEFT: i32 = 1;
const TO_RIGHT: i32 = 2;
const GATHER: i32 = 3;

/// Heat along a rod split across ranks, with ghost cells exchanged each step.
#[derive(Parser)]
#[command(version, after_help = "Launch: mpirun -np 4 target/release/heat")]
struct Args {
    /// Points along the rod (at least one per rank).
    #[arg(long, default_value_t = 400)]
    points: usize,
    /// Time steps.
    #[arg(long, default_value_t = 20000)]
    steps: usize,
    /// Rank 0 also prints how long the steps took.
    #[arg(long)]
    time: bool,
}

/// One step over `old`, whose first and last cells are ghosts (or fixed
/// ends): every cell between them moves towards its neighbours' mean.
fn advance(old: &[f64], new: &mut [f64]) {
    for i in 1..old.len() - 1 {
        new[i] = old[i] + R * (old[i - 1] - 2.0 * old[i] + old[i + 1]);
    }
}

/// The first point of `rank`'s block, and how many points it owns: the
/// points shared out as evenly as can be, the first ranks taking one more.
fn block(points: usize, ranks: usize, rank: usize) -> (usize, usize) {
    let (each, more) = (points / ranks, points % ranks);
    (rank * each + rank.min(more), each + usize::from(rank < more))
}

/// The whole rod, one process alone: what the ranks together must match.
fn serial(points: usize, steps: usize) -> Vec<f64> {
    let mut u = vec![0.0; points + 2];
    u[0] = LEFT_END;
    u[points + 1] = RIGHT_END;
    let mut next = u.clone();
    for _ in 0..steps {
        advance(&u, &mut next);
        std::mem::swap(&mut u, &mut next);
    }
    u[1..=points].to_vec()
}

fn main() -> ExitCode {
    let args = Args::parse();
    let (_universe, world) = Lesson { program: "heat", ranks: 1 }.start_or_exit();
    let (rank, size) = (world.rank(), world.size());
    if args.points < size as usize {
        if rank == 0 {
            eprintln!("heat: {} points cannot be shared among {size} ranks: give --points {size} or more", args.points);
        }
        return ExitCode::from(2);
    }
    let (_, n) = block(args.points, size as usize, rank as usize);
    let left = Neighbour::of(&world, rank - 1);
    let right = Neighbour::of(&world, rank + 1);

    // u[0] and u[n + 1] are the ghosts; at the rod's ends they hold the
    // fixed temperatures, which a receive from MPI_PROC_NULL leaves alone.
    let mut u = vec![0.0; n + 2];
    u[0] = LEFT_END;
    u[n + 1] = RIGHT_END;
    let mut next = u.clone();

    world.barrier();
    let start = Instant::now();
    for _ in 0..args.steps {
        // My first point goes left; my right neighbour's first point
        // comes into my right ghost. Then the same the other way.
        let (mine_first, mine_last) = (u[1], u[n]);
        send_receive_into_with_tags(&mine_first, &left, TO_LEFT, &mut u[n + 1], &right, TO_LEFT);
        send_receive_into_with_tags(&mine_last, &right, TO_RIGHT, &mut u[0], &left, TO_RIGHT);
        advance(&u, &mut next);
        next[0] = u[0];
        next[n + 1] = u[n + 1];
        std::mem::swap(&mut u, &mut next);
    }
    let elapsed = start.elapsed();

    if rank != 0 {
        world.process_at_rank(0).send_with_tag(&u[1..=n], GATHER);
        return ExitCode::SUCCESS;
    }
    let mut rod = vec![0.0; args.points];
    rod[..n].copy_from_slice(&u[1..=n]);
    for from in 1..size {
        let (start, count) = block(args.points, size as usize, from as usize);
        world.process_at_rank(from).receive_into_with_tag(&mut rod[start..start + count], GATHER);
    }
    let at = |x: f64| rod[((x * args.points as f64) as usize).min(args.points - 1)];
    println!(
        "heat: {} points, {} steps, {size} rank(s), {} to {} points each",
        args.points,
        args.steps,
        args.points / size as usize,
        args.points.div_ceil(size as usize)
    );
    println!("heat: at 1/4, 1/2 and 3/4 of the rod: {:.6} {:.6} {:.6}", at(0.25), at(0.5), at(0.75));
    let alone = serial(args.points, args.steps);
    let differ = rod.iter().zip(&alone).filter(|(a, b)| a.to_bits() != b.to_bits()).count();
    if differ == 0 {
        println!("heat: the same as one process computing alone, bit for bit");
    } else {
        eprintln!("heat: {differ} of {} points differ from one process computing alone", args.points);
        return ExitCode::FAILURE;
    }
    if args.time {
        let per_step = elapsed.as_secs_f64() * 1e6 / args.steps.max(1) as f64;
        println!("heat: {} steps in {:.1} ms ({per_step:.2} µs a step)", args.steps, elapsed.as_secs_f64() * 1e3);
    }
    ExitCode::SUCCESS
}
