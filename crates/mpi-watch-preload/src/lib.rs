//! The MPI profiling layer: `libmpiwatch.so`.
//!
//! MPI names every function twice: `MPI_Send` and `PMPI_Send`. A library
//! loaded ahead of the MPI library (`LD_PRELOAD`) can define `MPI_Send`
//! itself, do its own work, and call `PMPI_Send` for the real thing. That is
//! how mpiP, Score-P and MUST see inside programs they were never compiled
//! into, in any language: this layer sees the lessons, C programs and mpi4py
//! alike. `scripts/mpirun --trace FILE` and `--watch SECS` load it into every
//! rank and set its variables:
//!
//! - `MPI_WATCH_TRACE=FILE`: note every message (both sides, with the call,
//!   peer, tag, size, start and end); rank 0 writes them to FILE at
//!   `MPI_Finalize` ([`mpi_watch::trace`]).
//! - `MPI_WATCH_SECS=S`: a rank blocked in one call for S seconds asks the
//!   others what they do; ranks that can never be released are named, and
//!   the job ends ([`watch`], [`mpi_watch::waitfor`]).
//!
//! Where each family of calls lives:
//!
//! - here: `MPI_Init`, `MPI_Init_thread`, `MPI_Finalize`;
//! - [`p2p`]: the sends of every mode, blocking, non-blocking and
//!   persistent; the receives; `MPI_Sendrecv` and `MPI_Sendrecv_replace`;
//!   probes and matched receives;
//! - [`requests`]: the `MPI_Wait` and `MPI_Test` families, `MPI_Start`,
//!   `MPI_Startall`, `MPI_Request_free`;
//! - [`collectives`]: every collective, blocking and non-blocking;
//! - [`comms`]: the calls that make and free communicators, and what the
//!   layer knows of each (members as world ranks, an identity shared by
//!   its members);
//! - [`layer`]: the state, the clocks, the trace's gathering; [`spool`]:
//!   each rank's part of the trace, on its host's disk as it goes;
//! - [`watch`]: the blocked calls, the questions between ranks, the verdict;
//! - [`unfollowed`]: one-sided synchronisation, collective I/O and
//!   intercommunicators, which the watch does not follow: a rank in one
//!   notes it where the ranks of its host can read it.
//!
//! With an MPI 4 library, the large-count twins (`MPI_Send_c`, ...) that
//! mpi4py calls there are interposed too. Not followed: one-sided
//! communication, I/O, neighbourhood collectives, the collectives of
//! intercommunicators, and the Fortran bindings (Open MPI's call the `PMPI_`
//! functions directly). A rank blocked in one of those cannot answer the
//! watch's questions: it is named by a rank of its host (the blocking ones
//! of [`unfollowed`]) or reported as silent, never blamed.

#![allow(non_snake_case, clippy::missing_safety_doc)]

mod collectives;
mod comms;
mod layer;
mod p2p;
mod requests;
mod spool;
mod unfollowed;
mod watch;

use std::os::raw::{c_char, c_int};

use mpi_sys as ffi;

use layer::{active, watching};

/// At the end of a process the layer was loaded into to trace or watch:
/// if it never saw `MPI_Init`, it saw nothing, and says so (once per job,
/// from the process of rank 0) rather than leave an empty trace to wonder at.
extern "C" fn at_exit() {
    let asked =
        ["MPI_WATCH_TRACE", "MPI_WATCH_SECS"].iter().any(|v| std::env::var_os(v).is_some_and(|v| !v.is_empty()));
    let rank = ["OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"].iter().find_map(|v| std::env::var(v).ok());
    if asked && rank.as_deref() == Some("0") && !layer::started() {
        watch::say(
            "the layer saw no MPI call in this program, so nothing was traced or watched: its calls do not go \
             through the MPI_ functions a preloaded library can replace. Open MPI's Fortran bindings call the \
             PMPI_ functions directly, and an MPI linked statically cannot be replaced at all",
        );
    }
}

/// Registers [`at_exit`] when the library is loaded.
extern "C" fn on_load() {
    // SAFETY: atexit registers a function that takes nothing and returns nothing.
    unsafe { libc::atexit(at_exit) };
}

#[used]
#[link_section = ".init_array"]
static ON_LOAD: extern "C" fn() = on_load;

#[no_mangle]
pub unsafe extern "C" fn MPI_Init(argc: *mut c_int, argv: *mut *mut *mut c_char) -> c_int {
    let rc = ffi::PMPI_Init(argc, argv);
    if rc == 0 {
        layer::start();
    }
    rc
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Init_thread(
    argc: *mut c_int,
    argv: *mut *mut *mut c_char,
    required: c_int,
    provided: *mut c_int,
) -> c_int {
    let rc = ffi::PMPI_Init_thread(argc, argv, required, provided);
    if rc == 0 {
        layer::start();
    }
    rc
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Finalize() -> c_int {
    if active() {
        if watching() {
            watch::finalize_barrier();
        }
        layer::write_trace();
        if watching() {
            watch::drain();
        }
        layer::stop();
    }
    ffi::PMPI_Finalize()
}
