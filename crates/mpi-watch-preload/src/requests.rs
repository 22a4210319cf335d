//! Requests: the `MPI_Wait` and `MPI_Test` families, `MPI_Start` and
//! `MPI_Startall` for persistent requests, and `MPI_Request_free`.
//!
//! A wait on requests waits for what their operations wait for: every one
//! still incomplete (`MPI_Wait`, `MPI_Waitall`: an AND), or any one
//! (`MPI_Waitany`, `MPI_Waitsome`: an OR). A request the layer did not see
//! start (a generalized request, one of a call it does not follow) waits
//! for something it cannot name, and is never called stuck.

use std::os::raw::c_int;

use mpi_sys as ffi;
use mpi_sys::{MPI_Request, MPI_Status};
use mpi_watch::trace::Op as TraceOp;
use mpi_watch::waitfor::{Op, What};

use crate::layer::{self, active, watching, Kind};
use crate::p2p::{done, record_receive, status_or, test};
use crate::watch::{self, Waiting};

/// What a wait on these requests waits for, from what their calls noted.
unsafe fn waiting_on(count: c_int, requests: *mut MPI_Request) -> Vec<Waiting> {
    let keys = keys_of(count, requests);
    layer::with(|l| {
        keys.iter()
            .enumerate()
            .filter(|(i, _)| *requests.add(*i) != ffi::RSMPI_REQUEST_NULL)
            .filter_map(|(i, k)| {
                let op = match l.requests.get(k) {
                    Some(p) if !p.active => return None, // an inactive persistent request
                    Some(p) => Op { call: p.call.to_owned(), what: p.what.clone() },
                    None => Op { call: "a request".to_owned(), what: What::Unknown },
                };
                Some(Waiting { op, request: Some(requests.add(i)) })
            })
            .collect()
    })
    .unwrap_or_default()
}

/// A request the program started has completed: record its message.
unsafe fn completed(key: u64, status: *const MPI_Status) {
    let Some(pending) = layer::with(|l| {
        let pending = l.requests.get_mut(&key)?;
        if !pending.active {
            return None;
        }
        pending.active = false;
        let copy = pending.clone();
        if !copy.persistent {
            l.requests.remove(&key);
        }
        Some(copy)
    })
    .flatten() else {
        return;
    };
    match pending.kind {
        Kind::Send => {
            let (peer, tag) = (pending.peer(), pending.tag());
            layer::with(|l| {
                l.record(
                    TraceOp::Send,
                    pending.call,
                    pending.comm.0,
                    peer,
                    tag,
                    pending.bytes,
                    pending.start_ns,
                    layer::stamp(),
                )
            });
        }
        Kind::Recv => record_receive(pending.call, pending.comm.0, pending.datatype.0, status, pending.start_ns),
        Kind::Collective => {}
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
        watch::poll();
        watch::block("MPI_Wait", false, || waiting_on(1, request), &mut || test(request, status))
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
        watch::poll();
        layer::progressed();
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
        watch::poll();
        let ops = || waiting_on(count, requests);
        watch::block("MPI_Waitall", false, ops, &mut || {
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
        watch::poll();
        layer::progressed();
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
        watch::poll();
        let ops = || waiting_on(count, requests);
        watch::block("MPI_Waitany", true, ops, &mut || {
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
        watch::poll();
        layer::progressed();
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
        watch::poll();
        let ops = || waiting_on(incount, requests);
        watch::block("MPI_Waitsome", true, ops, &mut || match ffi::PMPI_Testsome(
            incount, requests, outcount, indices, statuses,
        ) {
            0 => Ok(*outcount != 0),
            rc => Err(rc),
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
        watch::poll();
        layer::progressed();
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

/// A persistent request starts again: active, its send counted, its
/// times from now.
unsafe fn start(request: MPI_Request) {
    let key = layer::key(request);
    layer::with(|l| {
        let Some(pending) = l.requests.get_mut(&key) else { return };
        pending.active = true;
        pending.start_ns = layer::stamp();
        let (kind, comm, peer, tag) = (pending.kind, pending.comm.0, pending.peer(), pending.tag());
        if kind == Kind::Send {
            l.count_send(peer, comm, tag);
        }
    });
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Start(request: *mut MPI_Request) -> c_int {
    if !active() {
        return ffi::PMPI_Start(request);
    }
    if watching() {
        watch::poll();
    }
    let rc = ffi::PMPI_Start(request);
    if rc == 0 {
        start(*request);
    }
    rc
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Startall(count: c_int, requests: *mut MPI_Request) -> c_int {
    if !active() {
        return ffi::PMPI_Startall(count, requests);
    }
    if watching() {
        watch::poll();
    }
    let rc = ffi::PMPI_Startall(count, requests);
    if rc == 0 {
        for i in 0..count.max(0) as usize {
            start(*requests.add(i));
        }
    }
    rc
}

#[no_mangle]
pub unsafe extern "C" fn MPI_Request_free(request: *mut MPI_Request) -> c_int {
    if active() && !request.is_null() {
        let key = layer::key(*request);
        layer::with(|l| l.requests.remove(&key));
    }
    ffi::PMPI_Request_free(request)
}
