//! `local-procs`: the single-machine lessons (to come).

fn main() {}
