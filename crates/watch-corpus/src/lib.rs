//! The Rust part of the watch's corpus: small MPI programs, correct and
//! buggy, written the way people write them, with nothing in them that
//! knows of the watch. `crates/mpi-demos/tests/corpus.rs` runs each under
//! `scripts/mpirun --watch` (beside the C and mpi4py programs of
//! `crates/mpi-demos/tests/programs/corpus/`): a correct one must run
//! untouched, a buggy one must be named exactly.
