//! Collectives, blocking and non-blocking, on any communicator.
//!
//! Each is counted as this rank's n-th collective on its communicator: the
//! n-th collective of every member is the one it matches (MPI matches
//! collectives by their order on a communicator). Under the watch, a
//! blocking collective becomes its non-blocking twin (`MPI_Allreduce` is
//! `MPI_Iallreduce` and a test loop) and waits, in the model, for every
//! member that has not entered its n-th collective yet. A non-blocking
//! collective's request waits for the same, through the `MPI_Wait` that
//! completes it.

use std::os::raw::{c_int, c_void};

use mpi_sys as ffi;
#[cfg(mpi_large_count)]
use mpi_sys::{MPI_Aint, MPI_Count};
use mpi_sys::{MPI_Comm, MPI_Datatype, MPI_Op, MPI_Request};
use mpi_watch::waitfor::{Op, What};

use crate::layer::{self, active, watching, Handle, Kind, Pending};
use crate::p2p::{block_on_one, test};
use crate::watch;

/// What this rank's collective on `comm` waits for, counted as entered.
fn entered(call: &str, comm: MPI_Comm) -> Op {
    let what = layer::with(|l| l.comms.enter(comm))
        .flatten()
        .map_or(What::Unknown, |(comm, seq)| What::Collective { comm, seq });
    Op { call: call.to_owned(), what }
}

/// A blocking collective: under the watch, its non-blocking twin and a wait.
unsafe fn collective(
    call: &'static str,
    comm: MPI_Comm,
    blocking: impl FnOnce() -> c_int,
    immediate: impl FnOnce(*mut MPI_Request) -> c_int,
) -> c_int {
    if !active() {
        return blocking();
    }
    let op = entered(call, comm);
    if !watching() {
        return blocking();
    }
    watch::poll();
    let mut request = std::mem::zeroed();
    let rc = immediate(&mut request);
    if rc != 0 {
        return rc;
    }
    block_on_one(call, || op, &mut || test(&mut request, ffi::RSMPI_STATUS_IGNORE))
}

/// A non-blocking collective the program started: counted now, waited for
/// through its request.
unsafe fn started(
    call: &'static str,
    comm: MPI_Comm,
    request: *mut MPI_Request,
    post: impl FnOnce() -> c_int,
) -> c_int {
    if !active() {
        return post();
    }
    let op = entered(call, comm);
    if watching() {
        watch::poll();
    }
    let rc = post();
    if rc == 0 {
        let pending = Pending {
            kind: Kind::Collective,
            call,
            what: op.what,
            comm: Handle(comm),
            datatype: Handle(ffi::RSMPI_DATATYPE_NULL),
            bytes: 0,
            start_ns: layer::stamp(),
            persistent: false,
            active: true,
        };
        layer::with(|l| l.requests.insert(layer::key(*request), pending));
    }
    rc
}

/// Each collective, blocking (`$name`, its real one and the non-blocking
/// twin it becomes) and non-blocking (`$iname` and its real one), from one
/// list of arguments, and which of them is the communicator.
macro_rules! collectives {
    ($($name:ident => $real:ident, $iname:ident => $ireal:ident ($($arg:ident : $ty:ty),*) on $comm:ident;)*) => {$(
        #[no_mangle]
        pub unsafe extern "C" fn $name($($arg: $ty),*) -> c_int {
            collective(stringify!($name), $comm, || ffi::$real($($arg),*), |request| ffi::$ireal($($arg,)* request))
        }

        #[no_mangle]
        pub unsafe extern "C" fn $iname($($arg: $ty,)* request: *mut MPI_Request) -> c_int {
            started(stringify!($iname), $comm, request, || ffi::$ireal($($arg,)* request))
        }
    )*};
}

type Buf = *const c_void;
type BufMut = *mut c_void;
type Ints = *const c_int;

collectives! {
    MPI_Barrier => PMPI_Barrier, MPI_Ibarrier => PMPI_Ibarrier (comm: MPI_Comm) on comm;
    MPI_Bcast => PMPI_Bcast, MPI_Ibcast => PMPI_Ibcast
        (buffer: BufMut, count: c_int, datatype: MPI_Datatype, root: c_int, comm: MPI_Comm) on comm;
    MPI_Gather => PMPI_Gather, MPI_Igather => PMPI_Igather
        (sendbuf: Buf, sendcount: c_int, sendtype: MPI_Datatype, recvbuf: BufMut, recvcount: c_int,
         recvtype: MPI_Datatype, root: c_int, comm: MPI_Comm) on comm;
    MPI_Gatherv => PMPI_Gatherv, MPI_Igatherv => PMPI_Igatherv
        (sendbuf: Buf, sendcount: c_int, sendtype: MPI_Datatype, recvbuf: BufMut, recvcounts: Ints,
         displs: Ints, recvtype: MPI_Datatype, root: c_int, comm: MPI_Comm) on comm;
    MPI_Scatter => PMPI_Scatter, MPI_Iscatter => PMPI_Iscatter
        (sendbuf: Buf, sendcount: c_int, sendtype: MPI_Datatype, recvbuf: BufMut, recvcount: c_int,
         recvtype: MPI_Datatype, root: c_int, comm: MPI_Comm) on comm;
    MPI_Scatterv => PMPI_Scatterv, MPI_Iscatterv => PMPI_Iscatterv
        (sendbuf: Buf, sendcounts: Ints, displs: Ints, sendtype: MPI_Datatype, recvbuf: BufMut,
         recvcount: c_int, recvtype: MPI_Datatype, root: c_int, comm: MPI_Comm) on comm;
    MPI_Allgather => PMPI_Allgather, MPI_Iallgather => PMPI_Iallgather
        (sendbuf: Buf, sendcount: c_int, sendtype: MPI_Datatype, recvbuf: BufMut, recvcount: c_int,
         recvtype: MPI_Datatype, comm: MPI_Comm) on comm;
    MPI_Allgatherv => PMPI_Allgatherv, MPI_Iallgatherv => PMPI_Iallgatherv
        (sendbuf: Buf, sendcount: c_int, sendtype: MPI_Datatype, recvbuf: BufMut, recvcounts: Ints,
         displs: Ints, recvtype: MPI_Datatype, comm: MPI_Comm) on comm;
    MPI_Alltoall => PMPI_Alltoall, MPI_Ialltoall => PMPI_Ialltoall
        (sendbuf: Buf, sendcount: c_int, sendtype: MPI_Datatype, recvbuf: BufMut, recvcount: c_int,
         recvtype: MPI_Datatype, comm: MPI_Comm) on comm;
    MPI_Alltoallv => PMPI_Alltoallv, MPI_Ialltoallv => PMPI_Ialltoallv
        (sendbuf: Buf, sendcounts: Ints, sdispls: Ints, sendtype: MPI_Datatype, recvbuf: BufMut,
         recvcounts: Ints, rdispls: Ints, recvtype: MPI_Datatype, comm: MPI_Comm) on comm;
    MPI_Alltoallw => PMPI_Alltoallw, MPI_Ialltoallw => PMPI_Ialltoallw
        (sendbuf: Buf, sendcounts: Ints, sdispls: Ints, sendtypes: *const MPI_Datatype, recvbuf: BufMut,
         recvcounts: Ints, rdispls: Ints, recvtypes: *const MPI_Datatype, comm: MPI_Comm) on comm;
    MPI_Reduce => PMPI_Reduce, MPI_Ireduce => PMPI_Ireduce
        (sendbuf: Buf, recvbuf: BufMut, count: c_int, datatype: MPI_Datatype, op: MPI_Op, root: c_int,
         comm: MPI_Comm) on comm;
    MPI_Allreduce => PMPI_Allreduce, MPI_Iallreduce => PMPI_Iallreduce
        (sendbuf: Buf, recvbuf: BufMut, count: c_int, datatype: MPI_Datatype, op: MPI_Op, comm: MPI_Comm) on comm;
    MPI_Reduce_scatter => PMPI_Reduce_scatter, MPI_Ireduce_scatter => PMPI_Ireduce_scatter
        (sendbuf: Buf, recvbuf: BufMut, recvcounts: Ints, datatype: MPI_Datatype, op: MPI_Op, comm: MPI_Comm) on comm;
    MPI_Reduce_scatter_block => PMPI_Reduce_scatter_block, MPI_Ireduce_scatter_block => PMPI_Ireduce_scatter_block
        (sendbuf: Buf, recvbuf: BufMut, recvcount: c_int, datatype: MPI_Datatype, op: MPI_Op, comm: MPI_Comm) on comm;
    MPI_Scan => PMPI_Scan, MPI_Iscan => PMPI_Iscan
        (sendbuf: Buf, recvbuf: BufMut, count: c_int, datatype: MPI_Datatype, op: MPI_Op, comm: MPI_Comm) on comm;
    MPI_Exscan => PMPI_Exscan, MPI_Iexscan => PMPI_Iexscan
        (sendbuf: Buf, recvbuf: BufMut, count: c_int, datatype: MPI_Datatype, op: MPI_Op, comm: MPI_Comm) on comm;
}

#[cfg(mpi_large_count)]
type Counts = *const MPI_Count;
#[cfg(mpi_large_count)]
type Displs = *const MPI_Aint;

#[cfg(mpi_large_count)]
collectives! {
    MPI_Bcast_c => PMPI_Bcast_c, MPI_Ibcast_c => PMPI_Ibcast_c
        (buffer: BufMut, count: MPI_Count, datatype: MPI_Datatype, root: c_int, comm: MPI_Comm) on comm;
    MPI_Gather_c => PMPI_Gather_c, MPI_Igather_c => PMPI_Igather_c
        (sendbuf: Buf, sendcount: MPI_Count, sendtype: MPI_Datatype, recvbuf: BufMut, recvcount: MPI_Count,
         recvtype: MPI_Datatype, root: c_int, comm: MPI_Comm) on comm;
    MPI_Gatherv_c => PMPI_Gatherv_c, MPI_Igatherv_c => PMPI_Igatherv_c
        (sendbuf: Buf, sendcount: MPI_Count, sendtype: MPI_Datatype, recvbuf: BufMut, recvcounts: Counts,
         displs: Displs, recvtype: MPI_Datatype, root: c_int, comm: MPI_Comm) on comm;
    MPI_Scatter_c => PMPI_Scatter_c, MPI_Iscatter_c => PMPI_Iscatter_c
        (sendbuf: Buf, sendcount: MPI_Count, sendtype: MPI_Datatype, recvbuf: BufMut, recvcount: MPI_Count,
         recvtype: MPI_Datatype, root: c_int, comm: MPI_Comm) on comm;
    MPI_Scatterv_c => PMPI_Scatterv_c, MPI_Iscatterv_c => PMPI_Iscatterv_c
        (sendbuf: Buf, sendcounts: Counts, displs: Displs, sendtype: MPI_Datatype, recvbuf: BufMut,
         recvcount: MPI_Count, recvtype: MPI_Datatype, root: c_int, comm: MPI_Comm) on comm;
    MPI_Allgather_c => PMPI_Allgather_c, MPI_Iallgather_c => PMPI_Iallgather_c
        (sendbuf: Buf, sendcount: MPI_Count, sendtype: MPI_Datatype, recvbuf: BufMut, recvcount: MPI_Count,
         recvtype: MPI_Datatype, comm: MPI_Comm) on comm;
    MPI_Allgatherv_c => PMPI_Allgatherv_c, MPI_Iallgatherv_c => PMPI_Iallgatherv_c
        (sendbuf: Buf, sendcount: MPI_Count, sendtype: MPI_Datatype, recvbuf: BufMut, recvcounts: Counts,
         displs: Displs, recvtype: MPI_Datatype, comm: MPI_Comm) on comm;
    MPI_Alltoall_c => PMPI_Alltoall_c, MPI_Ialltoall_c => PMPI_Ialltoall_c
        (sendbuf: Buf, sendcount: MPI_Count, sendtype: MPI_Datatype, recvbuf: BufMut, recvcount: MPI_Count,
         recvtype: MPI_Datatype, comm: MPI_Comm) on comm;
    MPI_Alltoallv_c => PMPI_Alltoallv_c, MPI_Ialltoallv_c => PMPI_Ialltoallv_c
        (sendbuf: Buf, sendcounts: Counts, sdispls: Displs, sendtype: MPI_Datatype, recvbuf: BufMut,
         recvcounts: Counts, rdispls: Displs, recvtype: MPI_Datatype, comm: MPI_Comm) on comm;
    MPI_Reduce_c => PMPI_Reduce_c, MPI_Ireduce_c => PMPI_Ireduce_c
        (sendbuf: Buf, recvbuf: BufMut, count: MPI_Count, datatype: MPI_Datatype, op: MPI_Op, root: c_int,
         comm: MPI_Comm) on comm;
    MPI_Allreduce_c => PMPI_Allreduce_c, MPI_Iallreduce_c => PMPI_Iallreduce_c
        (sendbuf: Buf, recvbuf: BufMut, count: MPI_Count, datatype: MPI_Datatype, op: MPI_Op, comm: MPI_Comm) on comm;
    MPI_Reduce_scatter_block_c => PMPI_Reduce_scatter_block_c, MPI_Ireduce_scatter_block_c => PMPI_Ireduce_scatter_block_c
        (sendbuf: Buf, recvbuf: BufMut, recvcount: MPI_Count, datatype: MPI_Datatype, op: MPI_Op, comm: MPI_Comm) on comm;
    MPI_Scan_c => PMPI_Scan_c, MPI_Iscan_c => PMPI_Iscan_c
        (sendbuf: Buf, recvbuf: BufMut, count: MPI_Count, datatype: MPI_Datatype, op: MPI_Op, comm: MPI_Comm) on comm;
    MPI_Exscan_c => PMPI_Exscan_c, MPI_Iexscan_c => PMPI_Iexscan_c
        (sendbuf: Buf, recvbuf: BufMut, count: MPI_Count, datatype: MPI_Datatype, op: MPI_Op, comm: MPI_Comm) on comm;
}
