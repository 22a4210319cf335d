//! Buggy, 4 ranks: the even and the odd ranks each make a communicator,
//! and in each the two members both receive before they send: two cycles.

use mpi::topology::Color;
use mpi::traits::*;

fn main() {
    let universe = mpi::initialize().expect("MPI initialises");
    let world = universe.world();
    let half = world.split_by_color(Color::with_value(world.rank() % 2)).expect("every rank has a colour");
    let other = 1 - half.rank();
    let (value, _status) = half.process_at_rank(other).receive::<i32>();
    half.process_at_rank(other).send(&value);
}
