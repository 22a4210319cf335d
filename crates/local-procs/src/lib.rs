//! Processes on one machine, the way Python's `multiprocessing` teaches
//! them. For now: [`supervise`], running a program with a time limit and
//! checking that nothing it started outlives it, for tests and benchmarks.

pub mod supervise;
