//! What a message costs, measured: `pingpong` (Rust, raw bytes and serde
//! records) beside the C and mpi4py ping-pongs of `scripts/bench/`, and
//! `bench-report`, which turns `make bench`'s runs into medians, ratios,
//! a table and SVG charts ([`plot`]). Kept apart from the lessons, so that
//! their `src/bin/` holds lessons only.

pub mod plot;
pub mod table;
