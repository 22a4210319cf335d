//! Classic mistakes that the compiler refuses, each kept true by a
//! `compile_fail` test with the error's code (`cargo test --doc -p
//! mpi-demos`). The lesson pages show them; `rustc --explain CODE` says
//! more.
//!
//! **Touching a receive buffer while MPI owns it** (the nonblocking
//! lesson). The request borrows the buffer mutably until it completes; a
//! write (or a read) before the wait is refused, error E0499 for a
//! write: a second mutable borrow.
//!
//! ```compile_fail,E0499
//! use mpi::traits::*;
//! let universe = mpi::initialize().unwrap();
//! let world = universe.world();
//! let mut buffer = vec![0i32; 4];
//! mpi::request::scope(|scope| {
//!     let request = world.process_at_rank(0).immediate_receive_into(scope, &mut buffer[..]);
//!     buffer[0] = 1; // MPI may be writing here right now
//!     request.wait();
//! });
//! ```
//!
//! **Changing a send buffer in flight.** The request borrows it shared: a
//! write is refused (E0502), ...
//!
//! ```compile_fail,E0502
//! use mpi::traits::*;
//! let universe = mpi::initialize().unwrap();
//! let world = universe.world();
//! let mut buffer = vec![0i32; 4];
//! mpi::request::scope(|scope| {
//!     let request = world.process_at_rank(0).immediate_send(scope, &buffer[..]);
//!     buffer[0] = 1; // MPI may be reading here right now
//!     request.wait();
//! });
//! ```
//!
//! ... but a read is allowed, as the standard allows it (since MPI 3.0):
//!
//! ```no_run
//! use mpi::traits::*;
//! let universe = mpi::initialize().unwrap();
//! let world = universe.world();
//! let buffer = vec![0i32; 4];
//! mpi::request::scope(|scope| {
//!     let request = world.process_at_rank(0).immediate_send(scope, &buffer[..]);
//!     let first = buffer[0];
//!     request.wait();
//!     assert_eq!(first, 0);
//! });
//! ```
//!
//! **Sending a value MPI cannot describe** (the typed lesson). A `String`
//! is a pointer to this rank's memory: it has no MPI datatype, and `send`
//! refuses it (E0277, a trait not implemented); send its bytes
//! (`text.as_bytes()`), or encode it (`mpi_typed`).
//!
//! ```compile_fail,E0277
//! use mpi::traits::*;
//! let universe = mpi::initialize().unwrap();
//! let world = universe.world();
//! let text = String::from("hello");
//! world.process_at_rank(1).send(&text);
//! ```
