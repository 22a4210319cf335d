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
//! - `MPI_WATCH_SECS=S`: a rank blocked in one call for S seconds says so,
//!   and the job ends with one diagnosis ([`watch`]).
//!
//! Interposed: `MPI_Init`, `MPI_Init_thread`, `MPI_Finalize`; the blocking
//! and non-blocking sends of every mode (`MPI_Send`, `Ssend`, `Rsend`,
//! `Bsend`, `Isend`, `Issend`, `Irsend`, `Ibsend`); `MPI_Recv`, `MPI_Irecv`;
//! `MPI_Sendrecv` and `MPI_Sendrecv_replace`; `MPI_Probe`, `MPI_Iprobe`,
//! `MPI_Mprobe`, `MPI_Improbe`, `MPI_Mrecv`, `MPI_Imrecv`; the `MPI_Wait` and
//! `MPI_Test` families; `MPI_Barrier`; and, with an MPI 4 library, the
//! large-count twins (`MPI_Send_c`, ...) that mpi4py calls there. Not seen:
//! other collectives, one-sided communication, persistent requests, the
//! Fortran bindings.

#![allow(non_snake_case, clippy::missing_safety_doc)]

mod layer;
mod watch;

use std::os::raw::{c_char, c_int, c_void};

use mpi_sys as ffi;
#[cfg(mpi_large_count)]
use mpi_sys::MPI_Count;
use mpi_sys::{MPI_Comm, MPI_Datatype, MPI_Message, MPI_Request, MPI_Status};
use mpi_watch::diagnosis::{Peer, Wait};
use mpi_watch::trace::Op;

use layer::{active, now_ns, watching, Handle, Pending};

// ---- start and end ---------------------------------------------------------

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

// ---- sends -----------------------------------------------------------------

/// Starts a non-blocking operation, given where to put its request.
type Post<'a> = &'a mut dyn FnMut(*mut MPI_Request) -> c_int;

/// A blocking send of any mode, `count` elements of `datatype`. Under the
/// watch, its non-blocking twin and a test loop (a buffered send never waits
/// for the receiver, so it stays as it is).
#[allow(clippy::too_many_arguments)]
unsafe fn send(
    call: &'static str,
    dest: c_int,
    tag: c_int,
    comm: MPI_Comm,
    bytes: u64,
    blocking: impl FnOnce() -> c_int,
    immediate: Option<Post>,
) -> c_int {
    if !active() || dest == layer::proc_null() {
        return blocking();
    }
    let peer = layer::world_rank(comm, dest);
    layer::with(|l| l.count_send(peer, tag));
    let start = now_ns();
    let rc = match immediate.filter(|_| watching()) {
        Some(immediate) => {
            watch::service();
            let mut request = std::mem::zeroed();
            let rc = immediate(&mut request);
            if rc != 0 {
                return rc;
            }
            let waits = vec![Wait { call: call.into(), peer: Peer::Rank(peer), tag: Some(tag) }];
            watch::block_on(waits, || test(&mut request, ffi::RSMPI_STATUS_IGNORE))
        }
        None => blocking(),
    };
    let end = now_ns();
    layer::with(|l| l.record(Op::Send, call, comm, peer, tag, bytes, start, end));
    rc
}

unsafe fn test(request: *mut MPI_Request, status: *mut MPI_Status) -> Result<bool, c_int> {
    let mut flag: c_int = 0;
    let rc = ffi::PMPI_Test(request, &mut flag, status);
    done(rc, flag)
}

/// A test call's outcome, for a watch loop: done, not yet, or an MPI error.
fn done(rc: c_int, flag: c_int) -> Result<bool, c_int> {
    match rc {
        0 => Ok(flag != 0),
        rc => Err(rc),
    }
}

/// The blocking sends, with an `int` count and (MPI 4) an `MPI_Count`.
macro_rules! blocking_sends {
    ($($name:ident => $real:ident, $immediate:expr, $count:ty;)*) => {$(
        #[no_mangle]
        pub unsafe extern "C" fn $name(
            buf: *const c_void,
            count: $count,
            datatype: MPI_Datatype,
            dest: c_int,
            tag: c_int,
            comm: MPI_Comm,
        ) -> c_int {
            let bytes = layer::bytes_of(i64::from(count), datatype);
            let immediate: Option<unsafe extern "C" fn(*const c_void, $count, MPI_Datatype, c_int, c_int, MPI_Comm, *mut MPI_Request) -> c_int> = $immediate;
            let mut post = immediate.map(|f| move |request: *mut MPI_Request| f(buf, count, datatype, dest, tag, comm, request));
            let post = post.as_mut().map(|f| f as Post);
            send(stringify!($name), dest, tag, comm, bytes, || ffi::$real(buf, count, datatype, dest, tag, comm), post)
        }
    )*};
}

blocking_sends! {
    MPI_Send => PMPI_Send, Some(ffi::PMPI_Isend), c_int;
    MPI_Ssend => PMPI_Ssend, Some(ffi::PMPI_Issend), c_int;
    MPI_Rsend => PMPI_Rsend, Some(ffi::PMPI_Irsend), c_int;
    MPI_Bsend => PMPI_Bsend, None, c_int;
}

#[cfg(mpi_large_count)]
blocking_sends! {
    MPI_Send_c => PMPI_Send_c, Some(ffi::PMPI_Isend_c), MPI_Count;
    MPI_Ssend_c => PMPI_Ssend_c, Some(ffi::PMPI_Issend_c), MPI_Count;
    MPI_Rsend_c => PMPI_Rsend_c, Some(ffi::PMPI_Irsend_c), MPI_Count;
    MPI_Bsend_c => PMPI_Bsend_c, None, MPI_Count;
}

/// A non-blocking send of any mode: noted now, recorded when it completes.
#[allow(clippy::too_many_arguments)]
unsafe fn isend(
    call: &'static str,
    dest: c_int,
    tag: c_int,
    comm: MPI_Comm,
    datatype: MPI_Datatype,
    bytes: u64,
    request: *mut MPI_Request,
    post: impl FnOnce() -> c_int,
) -> c_int {
    if !active() || dest == layer::proc_null() {
        return post();
    }
    if watching() {
        watch::service();
    }
    let start = now_ns();
    let rc = post();
    if rc == 0 {
        let peer = layer::world_rank(comm, dest);
        let pending = Pending {
            op: Op::Send,
            call,
            peer: Some(peer),
            tag: Some(tag),
            comm: Handle(comm),
            datatype: Handle(datatype),
            bytes,
            start_ns: start,
        };
        layer::with(|l| {
            l.count_send(peer, tag);
            l.requests.insert(layer::key(*request), pending);
        });
    }
    rc
}

/// The non-blocking sends, with an `int` count and (MPI 4) an `MPI_Count`.
macro_rules! immediate_sends {
    ($($name:ident => $real:ident, $count:ty;)*) => {$(
        #[no_mangle]
        pub unsafe extern "C" fn $name(
            buf: *const c_void,
            count: $count,
            datatype: MPI_Datatype,
            dest: c_int,
            tag: c_int,
            comm: MPI_Comm,
            request: *mut MPI_Request,
        ) -> c_int {
            let bytes = layer::bytes_of(i64::from(count), datatype);
            isend(stringify!($name), dest, tag, comm, datatype, bytes, request, || {
                ffi::$real(buf, count, datatype, dest, tag, comm, request)
            })
        }
    )*};
}

immediate_sends! {
    MPI_Isend => PMPI_Isend, c_int;
    MPI_Issend => PMPI_Issend, c_int;
    MPI_Irsend => PMPI_Irsend, c_int;
    MPI_Ibsend => PMPI_Ibsend, c_int;
}

#[cfg(mpi_large_count)]
immediate_sends! {
    MPI_Isend_c => PMPI_Isend_c, MPI_Count;
    MPI_Issend_c => PMPI_Issend_c, MPI_Count;
    MPI_Irsend_c => PMPI_Irsend_c, MPI_Count;
    MPI_Ibsend_c => PMPI_Ibsend_c, MPI_Count;
}

// ---- receives --------------------------------------------------------------

/// Record a completed receive from its status.
unsafe fn record_receive(
    call: &'static str,
    comm: MPI_Comm,
    datatype: MPI_Datatype,
    status: *const MPI_Status,
    start: i64,
) {
    let end = now_ns();
    let status = &*status;
    let peer = layer::world_rank(comm, status.MPI_SOURCE);
    let bytes = layer::received_bytes(status, datatype);
    layer::with(|l| l.record(Op::Recv, call, comm, peer, status.MPI_TAG, bytes, start, end));
}

/// A status to write into: the caller's, or ours when it passed `MPI_STATUS_IGNORE`.
fn status_or(status: *mut MPI_Status, ours: &mut MPI_Status) -> *mut MPI_Status {
    // SAFETY: comparing with the MPI constant only.
    if status == unsafe { ffi::RSMPI_STATUS_IGNORE } {
        ours
    } else {
        status
    }
}

/// A blocking receive; under the watch, its non-blocking twin tested in a loop.
#[allow(clippy::too_many_arguments)]
unsafe fn recv(
    call: &'static str,
    source: c_int,
    tag: c_int,
    comm: MPI_Comm,
    datatype: MPI_Datatype,
    status: *mut MPI_Status,
    blocking: impl FnOnce(*mut MPI_Status) -> c_int,
    immediate: impl FnOnce(*mut MPI_Request) -> c_int,
) -> c_int {
    if !active() || source == layer::proc_null() {
        return blocking(status);
    }
    let mut ours = std::mem::zeroed();
    let status = status_or(status, &mut ours);
    let start = now_ns();
    let rc = if watching() {
        watch::service();
        let mut request = std::mem::zeroed();
        let rc = immediate(&mut request);
        if rc != 0 {
            return rc;
        }
        watch::block_on(vec![watch::wait_for(call, comm, source, tag)], || test(&mut request, status))
    } else {
        blocking(status)
    };
    if rc == 0 {
        record_receive(call, comm, datatype, status, start);
    }
    rc
}

/// A non-blocking receive: noted now, recorded when it completes.
#[allow(clippy::too_many_arguments)]
unsafe fn irecv(
    call: &'static str,
    source: c_int,
    tag: c_int,
    comm: MPI_Comm,
    datatype: MPI_Datatype,
    request: *mut MPI_Request,
    post: impl FnOnce() -> c_int,
) -> c_int {
    if !active() || source == layer::proc_null() {
        return post();
    }
    if watching() {
        watch::service();
    }
    let start = now_ns();
    let rc = post();
    if rc == 0 {
        let peer = (source != layer::any_source()).then(|| layer::world_rank(comm, source));
        let pending = Pending {
            op: Op::Recv,
            call,
            peer,
            tag: (tag != layer::any_tag()).then_some(tag),
            comm: Handle(comm),
            datatype: Handle(datatype),
            bytes: 0,
            start_ns: start,
        };
        layer::with(|l| l.requests.insert(layer::key(*request), pending));
    }
    rc
}

/// The receives, with an `int` count and (MPI 4) an `MPI_Count`.
macro_rules! receives {
    ($($recv:ident => $real_recv:ident, $irecv:ident => $real_irecv:ident, $count:ty;)*) => {$(
        #[no_mangle]
        pub unsafe extern "C" fn $recv(
            buf: *mut c_void,
            count: $count,
            datatype: MPI_Datatype,
            source: c_int,
            tag: c_int,
            comm: MPI_Comm,
            status: *mut MPI_Status,
        ) -> c_int {
            recv(
                stringify!($recv),
                source,
                tag,
                comm,
                datatype,
                status,
                |status| ffi::$real_recv(buf, count, datatype, source, tag, comm, status),
                |request| ffi::$real_irecv(buf, count, datatype, source, tag, comm, request),
            )
        }

        #[no_mangle]
        pub unsafe extern "C" fn $irecv(
            buf: *mut c_void,
            count: $count,
            datatype: MPI_Datatype,
            source: c_int,
            tag: c_int,
            comm: MPI_Comm,
            request: *mut MPI_Request,
        ) -> c_int {
            irecv(stringify!($irecv), source, tag, comm, datatype, request, || {
                ffi::$real_irecv(buf, count, datatype, source, tag, comm, request)
            })
        }
    )*};
}

receives! {
    MPI_Recv => PMPI_Recv, MPI_Irecv => PMPI_Irecv, c_int;
}

#[cfg(mpi_large_count)]
receives! {
    MPI_Recv_c => PMPI_Recv_c, MPI_Irecv_c => PMPI_Irecv_c, MPI_Count;
}

/// Send and receive in one call. Under the watch, both non-blocking and
/// tested together (which is how MPI defines it).
#[allow(clippy::too_many_arguments)]
unsafe fn sendrecv(
    call: &'static str,
    (dest, sendtag, sendbytes): (c_int, c_int, u64),
    (source, recvtag, recvtype): (c_int, c_int, MPI_Datatype),
    comm: MPI_Comm,
    status: *mut MPI_Status,
    blocking: impl FnOnce(*mut MPI_Status) -> c_int,
    immediate: Option<(Post, Post)>,
) -> c_int {
    if !active() {
        return blocking(status);
    }
    let mut ours = std::mem::zeroed();
    let status = status_or(status, &mut ours);
    let to = layer::world_rank(comm, dest);
    layer::with(|l| l.count_send(to, sendtag));
    let start = now_ns();
    let rc = match immediate.filter(|_| watching()) {
        Some((post_recv, post_send)) => {
            watch::service();
            let mut requests: [MPI_Request; 2] = std::mem::zeroed();
            let rc = post_recv(&mut requests[0]);
            if rc != 0 {
                return rc;
            }
            let rc = post_send(&mut requests[1]);
            if rc != 0 {
                return rc;
            }
            let waits = vec![
                watch::wait_for(call, comm, source, recvtag),
                Wait { call: call.into(), peer: Peer::Rank(to), tag: Some(sendtag) },
            ];
            let mut statuses: [MPI_Status; 2] = std::mem::zeroed();
            let rc = watch::block_on(waits, || {
                let mut flag: c_int = 0;
                let rc = ffi::PMPI_Testall(2, requests.as_mut_ptr(), &mut flag, statuses.as_mut_ptr());
                done(rc, flag)
            });
            *status = statuses[0];
            rc
        }
        None => blocking(status),
    };
    if rc == 0 {
        if dest != layer::proc_null() {
            layer::with(|l| l.record(Op::Send, call, comm, to, sendtag, sendbytes, start, now_ns()));
        }
        if source != layer::proc_null() {
            record_receive(call, comm, recvtype, status, start);
        }
    }
    rc
}

/// `MPI_Sendrecv` and `MPI_Sendrecv_replace` (the latter traced, not
/// watched: under the watch it blocks as it always does), with an `int`
/// count and (MPI 4) an `MPI_Count`.
macro_rules! sendrecvs {
    ($($name:ident => $real:ident, $replace:ident => $real_replace:ident, $isend:ident, $irecv:ident, $count:ty;)*) => {$(
        #[no_mangle]
        pub unsafe extern "C" fn $name(
            sendbuf: *const c_void,
            sendcount: $count,
            sendtype: MPI_Datatype,
            dest: c_int,
            sendtag: c_int,
            recvbuf: *mut c_void,
            recvcount: $count,
            recvtype: MPI_Datatype,
            source: c_int,
            recvtag: c_int,
            comm: MPI_Comm,
            status: *mut MPI_Status,
        ) -> c_int {
            let sendbytes = layer::bytes_of(i64::from(sendcount), sendtype);
            let mut post_recv =
                |request: *mut MPI_Request| ffi::$irecv(recvbuf, recvcount, recvtype, source, recvtag, comm, request);
            let mut post_send =
                |request: *mut MPI_Request| ffi::$isend(sendbuf, sendcount, sendtype, dest, sendtag, comm, request);
            sendrecv(
                stringify!($name),
                (dest, sendtag, sendbytes),
                (source, recvtag, recvtype),
                comm,
                status,
                |status| {
                    ffi::$real(
                        sendbuf, sendcount, sendtype, dest, sendtag, recvbuf, recvcount, recvtype, source, recvtag,
                        comm, status,
                    )
                },
                Some((&mut post_recv, &mut post_send)),
            )
        }

        #[no_mangle]
        pub unsafe extern "C" fn $replace(
            buf: *mut c_void,
            count: $count,
            datatype: MPI_Datatype,
            dest: c_int,
            sendtag: c_int,
            source: c_int,
            recvtag: c_int,
            comm: MPI_Comm,
            status: *mut MPI_Status,
        ) -> c_int {
            let bytes = layer::bytes_of(i64::from(count), datatype);
            sendrecv(
                stringify!($replace),
                (dest, sendtag, bytes),
                (source, recvtag, datatype),
                comm,
                status,
                |status| ffi::$real_replace(buf, count, datatype, dest, sendtag, source, recvtag, comm, status),
                None,
            )
        }
    )*};
}

sendrecvs! {
    MPI_Sendrecv => PMPI_Sendrecv, MPI_Sendrecv_replace => PMPI_Sendrecv_replace, PMPI_Isend, PMPI_Irecv, c_int;
}

#[cfg(mpi_large_count)]
sendrecvs! {
    MPI_Sendrecv_c => PMPI_Sendrecv_c, MPI_Sendrecv_replace_c => PMPI_Sendrecv_replace_c, PMPI_Isend_c, PMPI_Irecv_c, MPI_Count;
}

// ---- probes and matched receives ---------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn MPI_Probe(source: c_int, tag: c_int, comm: MPI_Comm, status: *mut MPI_Status) -> c_int {
    if !watching() || source == layer::proc_null() {
        return ffi::PMPI_Probe(source, tag, comm, status);
    }
    watch::service();
    watch::block_on(vec![watch::wait_for("MPI_Probe", comm, source, tag)], || {
        let mut flag: c_int = 0;
        let rc = ffi::PMPI_Iprobe(source, tag, comm, &mut flag, status);
        done(rc, flag)
    })
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Iprobe(
    source: c_int,
    tag: c_int,
    comm: MPI_Comm,
    flag: *mut c_int,
    status: *mut MPI_Status,
) -> c_int {
    if watching() {
        watch::service();
    }
    ffi::PMPI_Iprobe(source, tag, comm, flag, status)
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Mprobe(
    source: c_int,
    tag: c_int,
    comm: MPI_Comm,
    message: *mut MPI_Message,
    status: *mut MPI_Status,
) -> c_int {
    if !active() || source == layer::proc_null() {
        return ffi::PMPI_Mprobe(source, tag, comm, message, status);
    }
    let start = now_ns();
    let rc = if watching() {
        watch::service();
        watch::block_on(vec![watch::wait_for("MPI_Mprobe", comm, source, tag)], || {
            let mut flag: c_int = 0;
            let rc = ffi::PMPI_Improbe(source, tag, comm, &mut flag, message, status);
            done(rc, flag)
        })
    } else {
        ffi::PMPI_Mprobe(source, tag, comm, message, status)
    };
    if rc == 0 {
        layer::with(|l| l.probes.insert(layer::key(*message), start));
    }
    rc
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Improbe(
    source: c_int,
    tag: c_int,
    comm: MPI_Comm,
    flag: *mut c_int,
    message: *mut MPI_Message,
    status: *mut MPI_Status,
) -> c_int {
    if !active() {
        return ffi::PMPI_Improbe(source, tag, comm, flag, message, status);
    }
    if watching() {
        watch::service();
    }
    let start = now_ns();
    let rc = ffi::PMPI_Improbe(source, tag, comm, flag, message, status);
    if rc == 0 && *flag != 0 {
        layer::with(|l| l.probes.insert(layer::key(*message), start));
    }
    rc
}

/// A matched receive. The communicator a matched message came on is not in
/// its status; the world is assumed.
unsafe fn mrecv(
    call: &'static str,
    datatype: MPI_Datatype,
    message: *mut MPI_Message,
    status: *mut MPI_Status,
    receive: impl FnOnce(*mut MPI_Status) -> c_int,
) -> c_int {
    if !active() {
        return receive(status);
    }
    let started = layer::with(|l| l.probes.remove(&layer::key(*message))).flatten();
    let mut ours = std::mem::zeroed();
    let status = status_or(status, &mut ours);
    let rc = receive(status);
    if rc == 0 && (*status).MPI_SOURCE >= 0 {
        record_receive(call, layer::world(), datatype, status, started.unwrap_or_else(now_ns));
    }
    rc
}

/// A non-blocking matched receive: noted now, recorded when it completes.
unsafe fn imrecv(
    call: &'static str,
    datatype: MPI_Datatype,
    message: *mut MPI_Message,
    request: *mut MPI_Request,
    post: impl FnOnce() -> c_int,
) -> c_int {
    if !active() {
        return post();
    }
    let start = layer::with(|l| l.probes.remove(&layer::key(*message))).flatten().unwrap_or_else(now_ns);
    let rc = post();
    if rc == 0 {
        let pending = Pending {
            op: Op::Recv,
            call,
            peer: None,
            tag: None,
            comm: Handle(layer::world()),
            datatype: Handle(datatype),
            bytes: 0,
            start_ns: start,
        };
        layer::with(|l| l.requests.insert(layer::key(*request), pending));
    }
    rc
}

/// The matched receives, with an `int` count and (MPI 4) an `MPI_Count`.
macro_rules! matched_receives {
    ($($mrecv:ident => $real_mrecv:ident, $imrecv:ident => $real_imrecv:ident, $count:ty;)*) => {$(
        #[no_mangle]
        pub unsafe extern "C" fn $mrecv(
            buf: *mut c_void,
            count: $count,
            datatype: MPI_Datatype,
            message: *mut MPI_Message,
            status: *mut MPI_Status,
        ) -> c_int {
            mrecv(stringify!($mrecv), datatype, message, status, |status| {
                ffi::$real_mrecv(buf, count, datatype, message, status)
            })
        }

        #[no_mangle]
        pub unsafe extern "C" fn $imrecv(
            buf: *mut c_void,
            count: $count,
            datatype: MPI_Datatype,
            message: *mut MPI_Message,
            request: *mut MPI_Request,
        ) -> c_int {
            imrecv(stringify!($imrecv), datatype, message, request, || {
                ffi::$real_imrecv(buf, count, datatype, message, request)
            })
        }
    )*};
}

matched_receives! {
    MPI_Mrecv => PMPI_Mrecv, MPI_Imrecv => PMPI_Imrecv, c_int;
}

#[cfg(mpi_large_count)]
matched_receives! {
    MPI_Mrecv_c => PMPI_Mrecv_c, MPI_Imrecv_c => PMPI_Imrecv_c, MPI_Count;
}

// ---- waits and tests -------------------------------------------------------

/// What a wait on these requests waits for, from what their calls noted.
fn waits_on(keys: &[u64], wait_call: &str) -> Vec<Wait> {
    layer::with(|l| {
        keys.iter()
            .filter_map(|k| l.requests.get(k))
            .map(|p| Wait {
                call: format!("{wait_call} ({})", p.call),
                peer: p.peer.map_or(Peer::Any, Peer::Rank),
                tag: p.tag,
            })
            .collect::<Vec<_>>()
    })
    .unwrap_or_default()
}

/// A request the program started has completed: record its message.
unsafe fn completed(key: u64, status: *const MPI_Status) {
    let Some(pending) = layer::with(|l| l.requests.remove(&key)).flatten() else { return };
    match pending.op {
        Op::Send => {
            let peer = pending.peer.unwrap_or(-1);
            let tag = pending.tag.unwrap_or(0);
            layer::with(|l| {
                l.record(Op::Send, pending.call, pending.comm.0, peer, tag, pending.bytes, pending.start_ns, now_ns())
            });
        }
        Op::Recv => {
            if (*status).MPI_SOURCE >= 0 {
                record_receive(pending.call, pending.comm.0, pending.datatype.0, status, pending.start_ns);
            }
        }
    }
}

unsafe fn keys_of(count: c_int, requests: *const MPI_Request) -> Vec<u64> {
    (0..count.max(0) as usize).map(|i| layer::key(*requests.add(i))).collect()
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Wait(request: *mut MPI_Request, status: *mut MPI_Status) -> c_int {
    if !active() {
        return ffi::PMPI_Wait(request, status);
    }
    let key = layer::key(*request);
    let mut ours = std::mem::zeroed();
    let status = status_or(status, &mut ours);
    let rc = if watching() && *request != ffi::RSMPI_REQUEST_NULL {
        watch::service();
        let mut waits = waits_on(&[key], "MPI_Wait");
        if waits.is_empty() {
            waits.push(Wait { call: "MPI_Wait".into(), peer: Peer::Others, tag: None });
        }
        watch::block_on(waits, || test(request, status))
    } else {
        ffi::PMPI_Wait(request, status)
    };
    if rc == 0 {
        completed(key, status);
    }
    rc
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Test(request: *mut MPI_Request, flag: *mut c_int, status: *mut MPI_Status) -> c_int {
    if !active() {
        return ffi::PMPI_Test(request, flag, status);
    }
    if watching() {
        watch::service();
    }
    let key = layer::key(*request);
    let mut ours = std::mem::zeroed();
    let status = status_or(status, &mut ours);
    let rc = ffi::PMPI_Test(request, flag, status);
    if rc == 0 && *flag != 0 {
        completed(key, status);
    }
    rc
}

/// Statuses to write into: the caller's, or ours for `MPI_STATUSES_IGNORE`.
unsafe fn statuses_or(count: c_int, statuses: *mut MPI_Status, ours: &mut Vec<MPI_Status>) -> *mut MPI_Status {
    if statuses == ffi::RSMPI_STATUSES_IGNORE {
        *ours = vec![std::mem::zeroed(); count.max(1) as usize];
        ours.as_mut_ptr()
    } else {
        statuses
    }
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Waitall(count: c_int, requests: *mut MPI_Request, statuses: *mut MPI_Status) -> c_int {
    if !active() {
        return ffi::PMPI_Waitall(count, requests, statuses);
    }
    let keys = keys_of(count, requests);
    let mut ours = Vec::new();
    let statuses = statuses_or(count, statuses, &mut ours);
    let rc = if watching() {
        watch::service();
        watch::block_on(waits_on(&keys, "MPI_Waitall"), || {
            let mut flag: c_int = 0;
            let rc = ffi::PMPI_Testall(count, requests, &mut flag, statuses);
            done(rc, flag)
        })
    } else {
        ffi::PMPI_Waitall(count, requests, statuses)
    };
    if rc == 0 {
        for (i, key) in keys.iter().enumerate() {
            completed(*key, statuses.add(i));
        }
    }
    rc
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Testall(
    count: c_int,
    requests: *mut MPI_Request,
    flag: *mut c_int,
    statuses: *mut MPI_Status,
) -> c_int {
    if !active() {
        return ffi::PMPI_Testall(count, requests, flag, statuses);
    }
    if watching() {
        watch::service();
    }
    let keys = keys_of(count, requests);
    let mut ours = Vec::new();
    let statuses = statuses_or(count, statuses, &mut ours);
    let rc = ffi::PMPI_Testall(count, requests, flag, statuses);
    if rc == 0 && *flag != 0 {
        for (i, key) in keys.iter().enumerate() {
            completed(*key, statuses.add(i));
        }
    }
    rc
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Waitany(
    count: c_int,
    requests: *mut MPI_Request,
    index: *mut c_int,
    status: *mut MPI_Status,
) -> c_int {
    if !active() {
        return ffi::PMPI_Waitany(count, requests, index, status);
    }
    let keys = keys_of(count, requests);
    let mut ours = std::mem::zeroed();
    let status = status_or(status, &mut ours);
    let rc = if watching() {
        watch::service();
        watch::block_on(waits_on(&keys, "MPI_Waitany"), || {
            let mut flag: c_int = 0;
            let rc = ffi::PMPI_Testany(count, requests, index, &mut flag, status);
            done(rc, flag)
        })
    } else {
        ffi::PMPI_Waitany(count, requests, index, status)
    };
    if rc == 0 && *index >= 0 && (*index as usize) < keys.len() {
        completed(keys[*index as usize], status);
    }
    rc
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Testany(
    count: c_int,
    requests: *mut MPI_Request,
    index: *mut c_int,
    flag: *mut c_int,
    status: *mut MPI_Status,
) -> c_int {
    if !active() {
        return ffi::PMPI_Testany(count, requests, index, flag, status);
    }
    if watching() {
        watch::service();
    }
    let keys = keys_of(count, requests);
    let mut ours = std::mem::zeroed();
    let status = status_or(status, &mut ours);
    let rc = ffi::PMPI_Testany(count, requests, index, flag, status);
    if rc == 0 && *flag != 0 && *index >= 0 && (*index as usize) < keys.len() {
        completed(keys[*index as usize], status);
    }
    rc
}

unsafe fn completed_some(keys: &[u64], outcount: c_int, indices: *const c_int, statuses: *const MPI_Status) {
    for i in 0..outcount.max(0) as usize {
        let index = *indices.add(i);
        if index >= 0 && (index as usize) < keys.len() {
            completed(keys[index as usize], statuses.add(i));
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Waitsome(
    incount: c_int,
    requests: *mut MPI_Request,
    outcount: *mut c_int,
    indices: *mut c_int,
    statuses: *mut MPI_Status,
) -> c_int {
    if !active() {
        return ffi::PMPI_Waitsome(incount, requests, outcount, indices, statuses);
    }
    let keys = keys_of(incount, requests);
    let mut ours = Vec::new();
    let statuses = statuses_or(incount, statuses, &mut ours);
    let rc = if watching() {
        watch::service();
        watch::block_on(waits_on(&keys, "MPI_Waitsome"), || {
            match ffi::PMPI_Testsome(incount, requests, outcount, indices, statuses) {
                0 => Ok(*outcount != 0),
                rc => Err(rc),
            }
        })
    } else {
        ffi::PMPI_Waitsome(incount, requests, outcount, indices, statuses)
    };
    if rc == 0 {
        completed_some(&keys, *outcount, indices, statuses);
    }
    rc
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Testsome(
    incount: c_int,
    requests: *mut MPI_Request,
    outcount: *mut c_int,
    indices: *mut c_int,
    statuses: *mut MPI_Status,
) -> c_int {
    if !active() {
        return ffi::PMPI_Testsome(incount, requests, outcount, indices, statuses);
    }
    if watching() {
        watch::service();
    }
    let keys = keys_of(incount, requests);
    let mut ours = Vec::new();
    let statuses = statuses_or(incount, statuses, &mut ours);
    let rc = ffi::PMPI_Testsome(incount, requests, outcount, indices, statuses);
    if rc == 0 {
        completed_some(&keys, *outcount, indices, statuses);
    }
    rc
}

// ---- the one collective ----------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn MPI_Barrier(comm: MPI_Comm) -> c_int {
    if !watching() {
        return ffi::PMPI_Barrier(comm);
    }
    watch::service();
    let mut request = std::mem::zeroed();
    let rc = ffi::PMPI_Ibarrier(comm, &mut request);
    if rc != 0 {
        return rc;
    }
    let waits = vec![Wait { call: "MPI_Barrier".into(), peer: Peer::Others, tag: None }];
    watch::block_on(waits, || test(&mut request, ffi::RSMPI_STATUS_IGNORE))
}
