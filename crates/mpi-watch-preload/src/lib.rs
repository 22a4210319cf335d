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
//! `MPI_Test` families; `MPI_Barrier`. Not seen: other collectives, one-sided
//! communication, persistent requests, the Fortran bindings.

#![allow(non_snake_case, clippy::missing_safety_doc)]

mod layer;
mod watch;

use std::os::raw::{c_char, c_int, c_void};

use mpi_sys as ffi;
use mpi_sys::{MPI_Comm, MPI_Datatype, MPI_Message, MPI_Request, MPI_Status};
use mpi_watch::diagnosis::{Peer, Wait};
use mpi_watch::trace::Op;

use layer::{active, now_ns, watching, Handle, Pending};

type BlockingSend = unsafe extern "C" fn(*const c_void, c_int, MPI_Datatype, c_int, c_int, MPI_Comm) -> c_int;
type ImmediateSend =
    unsafe extern "C" fn(*const c_void, c_int, MPI_Datatype, c_int, c_int, MPI_Comm, *mut MPI_Request) -> c_int;

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

/// A blocking send of any mode. Under the watch, its non-blocking twin and
/// a test loop (a buffered send never waits for the receiver, so it stays).
#[allow(clippy::too_many_arguments)]
unsafe fn send(
    call: &'static str,
    blocking: BlockingSend,
    immediate: Option<ImmediateSend>,
    buf: *const c_void,
    count: c_int,
    datatype: MPI_Datatype,
    dest: c_int,
    tag: c_int,
    comm: MPI_Comm,
) -> c_int {
    if !active() || dest == layer::proc_null() {
        return blocking(buf, count, datatype, dest, tag, comm);
    }
    let peer = layer::world_rank(comm, dest);
    layer::with(|l| l.count_send(peer, tag));
    let start = now_ns();
    let rc = match immediate.filter(|_| watching()) {
        Some(immediate) => {
            watch::service();
            let mut request = std::mem::zeroed();
            let rc = immediate(buf, count, datatype, dest, tag, comm, &mut request);
            if rc != 0 {
                return rc;
            }
            let waits = vec![Wait { call: call.into(), peer: Peer::Rank(peer), tag: Some(tag) }];
            watch::block_on(waits, || test(&mut request, ffi::RSMPI_STATUS_IGNORE))
        }
        None => blocking(buf, count, datatype, dest, tag, comm),
    };
    let end = now_ns();
    layer::with(|l| l.record(Op::Send, call, comm, peer, tag, layer::bytes_of(count, datatype), start, end));
    rc
}

unsafe fn test(request: *mut MPI_Request, status: *mut MPI_Status) -> Result<bool, c_int> {
    let mut flag: c_int = 0;
    match ffi::PMPI_Test(request, &mut flag, status) {
        0 => Ok(flag != 0),
        rc => Err(rc),
    }
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Send(
    buf: *const c_void,
    count: c_int,
    datatype: MPI_Datatype,
    dest: c_int,
    tag: c_int,
    comm: MPI_Comm,
) -> c_int {
    send("MPI_Send", ffi::PMPI_Send, Some(ffi::PMPI_Isend), buf, count, datatype, dest, tag, comm)
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Ssend(
    buf: *const c_void,
    count: c_int,
    datatype: MPI_Datatype,
    dest: c_int,
    tag: c_int,
    comm: MPI_Comm,
) -> c_int {
    send("MPI_Ssend", ffi::PMPI_Ssend, Some(ffi::PMPI_Issend), buf, count, datatype, dest, tag, comm)
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Rsend(
    buf: *const c_void,
    count: c_int,
    datatype: MPI_Datatype,
    dest: c_int,
    tag: c_int,
    comm: MPI_Comm,
) -> c_int {
    send("MPI_Rsend", ffi::PMPI_Rsend, Some(ffi::PMPI_Irsend), buf, count, datatype, dest, tag, comm)
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Bsend(
    buf: *const c_void,
    count: c_int,
    datatype: MPI_Datatype,
    dest: c_int,
    tag: c_int,
    comm: MPI_Comm,
) -> c_int {
    send("MPI_Bsend", ffi::PMPI_Bsend, None, buf, count, datatype, dest, tag, comm)
}

/// A non-blocking send of any mode: noted now, recorded when it completes.
#[allow(clippy::too_many_arguments)]
unsafe fn isend(
    call: &'static str,
    immediate: ImmediateSend,
    buf: *const c_void,
    count: c_int,
    datatype: MPI_Datatype,
    dest: c_int,
    tag: c_int,
    comm: MPI_Comm,
    request: *mut MPI_Request,
) -> c_int {
    if !active() || dest == layer::proc_null() {
        return immediate(buf, count, datatype, dest, tag, comm, request);
    }
    if watching() {
        watch::service();
    }
    let start = now_ns();
    let rc = immediate(buf, count, datatype, dest, tag, comm, request);
    if rc == 0 {
        let peer = layer::world_rank(comm, dest);
        let bytes = layer::bytes_of(count, datatype);
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

#[no_mangle]
pub unsafe extern "C" fn MPI_Isend(
    buf: *const c_void,
    count: c_int,
    datatype: MPI_Datatype,
    dest: c_int,
    tag: c_int,
    comm: MPI_Comm,
    request: *mut MPI_Request,
) -> c_int {
    isend("MPI_Isend", ffi::PMPI_Isend, buf, count, datatype, dest, tag, comm, request)
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Issend(
    buf: *const c_void,
    count: c_int,
    datatype: MPI_Datatype,
    dest: c_int,
    tag: c_int,
    comm: MPI_Comm,
    request: *mut MPI_Request,
) -> c_int {
    isend("MPI_Issend", ffi::PMPI_Issend, buf, count, datatype, dest, tag, comm, request)
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Irsend(
    buf: *const c_void,
    count: c_int,
    datatype: MPI_Datatype,
    dest: c_int,
    tag: c_int,
    comm: MPI_Comm,
    request: *mut MPI_Request,
) -> c_int {
    isend("MPI_Irsend", ffi::PMPI_Irsend, buf, count, datatype, dest, tag, comm, request)
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Ibsend(
    buf: *const c_void,
    count: c_int,
    datatype: MPI_Datatype,
    dest: c_int,
    tag: c_int,
    comm: MPI_Comm,
    request: *mut MPI_Request,
) -> c_int {
    isend("MPI_Ibsend", ffi::PMPI_Ibsend, buf, count, datatype, dest, tag, comm, request)
}

// ---- receives --------------------------------------------------------------

/// Record a completed receive from its status.
unsafe fn record_receive(call: &'static str, comm: MPI_Comm, datatype: MPI_Datatype, status: *const MPI_Status, start: i64) {
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

#[no_mangle]
pub unsafe extern "C" fn MPI_Recv(
    buf: *mut c_void,
    count: c_int,
    datatype: MPI_Datatype,
    source: c_int,
    tag: c_int,
    comm: MPI_Comm,
    status: *mut MPI_Status,
) -> c_int {
    if !active() || source == layer::proc_null() {
        return ffi::PMPI_Recv(buf, count, datatype, source, tag, comm, status);
    }
    let mut ours = std::mem::zeroed();
    let status = status_or(status, &mut ours);
    let start = now_ns();
    let rc = if watching() {
        watch::service();
        let mut request = std::mem::zeroed();
        let rc = ffi::PMPI_Irecv(buf, count, datatype, source, tag, comm, &mut request);
        if rc != 0 {
            return rc;
        }
        watch::block_on(vec![watch::wait_for("MPI_Recv", comm, source, tag)], || test(&mut request, status))
    } else {
        ffi::PMPI_Recv(buf, count, datatype, source, tag, comm, status)
    };
    if rc == 0 {
        record_receive("MPI_Recv", comm, datatype, status, start);
    }
    rc
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Irecv(
    buf: *mut c_void,
    count: c_int,
    datatype: MPI_Datatype,
    source: c_int,
    tag: c_int,
    comm: MPI_Comm,
    request: *mut MPI_Request,
) -> c_int {
    if !active() || source == layer::proc_null() {
        return ffi::PMPI_Irecv(buf, count, datatype, source, tag, comm, request);
    }
    if watching() {
        watch::service();
    }
    let start = now_ns();
    let rc = ffi::PMPI_Irecv(buf, count, datatype, source, tag, comm, request);
    if rc == 0 {
        let peer = (source != layer::any_source()).then(|| layer::world_rank(comm, source));
        let pending = Pending {
            op: Op::Recv,
            call: "MPI_Irecv",
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

#[no_mangle]
pub unsafe extern "C" fn MPI_Sendrecv(
    sendbuf: *const c_void,
    sendcount: c_int,
    sendtype: MPI_Datatype,
    dest: c_int,
    sendtag: c_int,
    recvbuf: *mut c_void,
    recvcount: c_int,
    recvtype: MPI_Datatype,
    source: c_int,
    recvtag: c_int,
    comm: MPI_Comm,
    status: *mut MPI_Status,
) -> c_int {
    let real = |status: *mut MPI_Status| {
        ffi::PMPI_Sendrecv(
            sendbuf, sendcount, sendtype, dest, sendtag, recvbuf, recvcount, recvtype, source, recvtag, comm, status,
        )
    };
    if !active() {
        return real(status);
    }
    let mut ours = std::mem::zeroed();
    let status = status_or(status, &mut ours);
    let to = layer::world_rank(comm, dest);
    layer::with(|l| l.count_send(to, sendtag));
    let start = now_ns();
    let rc = if watching() {
        watch::service();
        let mut requests: [MPI_Request; 2] = std::mem::zeroed();
        let rc = ffi::PMPI_Irecv(recvbuf, recvcount, recvtype, source, recvtag, comm, &mut requests[0]);
        if rc != 0 {
            return rc;
        }
        let rc = ffi::PMPI_Isend(sendbuf, sendcount, sendtype, dest, sendtag, comm, &mut requests[1]);
        if rc != 0 {
            return rc;
        }
        let waits = vec![
            watch::wait_for("MPI_Sendrecv", comm, source, recvtag),
            Wait { call: "MPI_Sendrecv".into(), peer: Peer::Rank(to), tag: Some(sendtag) },
        ];
        let mut statuses: [MPI_Status; 2] = std::mem::zeroed();
        let rc = watch::block_on(waits, || {
            let mut flag: c_int = 0;
            match ffi::PMPI_Testall(2, requests.as_mut_ptr(), &mut flag, statuses.as_mut_ptr()) {
                0 => Ok(flag != 0),
                rc => Err(rc),
            }
        });
        *status = statuses[0];
        rc
    } else {
        real(status)
    };
    if rc == 0 {
        if dest != layer::proc_null() {
            let bytes = layer::bytes_of(sendcount, sendtype);
            layer::with(|l| l.record(Op::Send, "MPI_Sendrecv", comm, to, sendtag, bytes, start, now_ns()));
        }
        if source != layer::proc_null() {
            record_receive("MPI_Sendrecv", comm, recvtype, status, start);
        }
    }
    rc
}

/// Traced, not watched: under the watch it blocks as it always does.
#[no_mangle]
pub unsafe extern "C" fn MPI_Sendrecv_replace(
    buf: *mut c_void,
    count: c_int,
    datatype: MPI_Datatype,
    dest: c_int,
    sendtag: c_int,
    source: c_int,
    recvtag: c_int,
    comm: MPI_Comm,
    status: *mut MPI_Status,
) -> c_int {
    if !active() {
        return ffi::PMPI_Sendrecv_replace(buf, count, datatype, dest, sendtag, source, recvtag, comm, status);
    }
    let mut ours = std::mem::zeroed();
    let status = status_or(status, &mut ours);
    let to = layer::world_rank(comm, dest);
    layer::with(|l| l.count_send(to, sendtag));
    let start = now_ns();
    let rc = ffi::PMPI_Sendrecv_replace(buf, count, datatype, dest, sendtag, source, recvtag, comm, status);
    if rc == 0 {
        if dest != layer::proc_null() {
            let bytes = layer::bytes_of(count, datatype);
            layer::with(|l| l.record(Op::Send, "MPI_Sendrecv_replace", comm, to, sendtag, bytes, start, now_ns()));
        }
        if source != layer::proc_null() {
            record_receive("MPI_Sendrecv_replace", comm, datatype, status, start);
        }
    }
    rc
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
        match ffi::PMPI_Iprobe(source, tag, comm, &mut flag, status) {
            0 => Ok(flag != 0),
            rc => Err(rc),
        }
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
            match ffi::PMPI_Improbe(source, tag, comm, &mut flag, message, status) {
                0 => Ok(flag != 0),
                rc => Err(rc),
            }
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

/// The communicator a matched message came on is not in its status; the
/// world is assumed, and a message on another communicator is labelled
/// by its sender's side.
#[no_mangle]
pub unsafe extern "C" fn MPI_Mrecv(
    buf: *mut c_void,
    count: c_int,
    datatype: MPI_Datatype,
    message: *mut MPI_Message,
    status: *mut MPI_Status,
) -> c_int {
    if !active() {
        return ffi::PMPI_Mrecv(buf, count, datatype, message, status);
    }
    let started = layer::with(|l| l.probes.remove(&layer::key(*message))).flatten();
    let mut ours = std::mem::zeroed();
    let status = status_or(status, &mut ours);
    let rc = ffi::PMPI_Mrecv(buf, count, datatype, message, status);
    if rc == 0 && (*status).MPI_SOURCE >= 0 {
        record_receive("MPI_Mrecv", layer::world(), datatype, status, started.unwrap_or_else(now_ns));
    }
    rc
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Imrecv(
    buf: *mut c_void,
    count: c_int,
    datatype: MPI_Datatype,
    message: *mut MPI_Message,
    request: *mut MPI_Request,
) -> c_int {
    if !active() {
        return ffi::PMPI_Imrecv(buf, count, datatype, message, request);
    }
    let start = layer::with(|l| l.probes.remove(&layer::key(*message))).flatten().unwrap_or_else(now_ns);
    let rc = ffi::PMPI_Imrecv(buf, count, datatype, message, request);
    if rc == 0 {
        let pending = Pending {
            op: Op::Recv,
            call: "MPI_Imrecv",
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
            match ffi::PMPI_Testall(count, requests, &mut flag, statuses) {
                0 => Ok(flag != 0),
                rc => Err(rc),
            }
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
            match ffi::PMPI_Testany(count, requests, index, &mut flag, status) {
                0 => Ok(flag != 0),
                rc => Err(rc),
            }
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
