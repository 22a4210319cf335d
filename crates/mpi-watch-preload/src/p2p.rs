//! Point-to-point calls: the sends of every mode, the receives, send and
//! receive in one call, probes and matched receives, and the persistent
//! requests that start them again and again.
//!
//! Each is traced (both sides of every message, with call, peer, tag, size
//! and times) and, under the watch, a blocking one becomes its
//! non-blocking twin and [`watch::block`].

use std::os::raw::{c_int, c_void};

use mpi_sys as ffi;
#[cfg(mpi_large_count)]
use mpi_sys::MPI_Count;
use mpi_sys::{MPI_Comm, MPI_Datatype, MPI_Message, MPI_Request, MPI_Status};
use mpi_watch::trace::Op as TraceOp;
use mpi_watch::waitfor::{Op, What};

use crate::layer::{self, active, watching, Handle, Kind, Pending};
use crate::watch::{self, Waiting};

/// Starts a non-blocking operation, given where to put its request.
pub type Post<'a> = &'a mut dyn FnMut(*mut MPI_Request) -> c_int;

/// A test call's outcome, for a watch loop: done, not yet, or an MPI error.
pub fn done(rc: c_int, flag: c_int) -> Result<bool, c_int> {
    match rc {
        0 => Ok(flag != 0),
        rc => Err(rc),
    }
}

pub unsafe fn test(request: *mut MPI_Request, status: *mut MPI_Status) -> Result<bool, c_int> {
    let mut flag: c_int = 0;
    let rc = ffi::PMPI_Test(request, &mut flag, status);
    done(rc, flag)
}

/// What a message operation waits for, as an op of a blocked call.
fn op(call: &str, send: bool, comm: MPI_Comm, peer: c_int, tag: c_int) -> Op {
    let what = layer::with(|l| l.what(send, comm, peer, tag)).unwrap_or(What::Unknown);
    Op { call: call.to_owned(), what }
}

/// Block on one operation of ours (no request of the program's); `op`
/// says what it waits for, asked only if it does not complete at once.
pub fn block_on_one(
    call: &'static str,
    op: impl FnOnce() -> Op,
    done: &mut dyn FnMut() -> Result<bool, c_int>,
) -> c_int {
    watch::block(call, false, || vec![Waiting { op: op(), request: None }], done)
}

// ---- sends -----------------------------------------------------------------

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
    layer::with(|l| l.count_send(peer, comm, tag));
    let start = layer::stamp();
    let rc = match immediate.filter(|_| watching()) {
        Some(immediate) => {
            watch::poll();
            let mut request = std::mem::zeroed();
            let rc = immediate(&mut request);
            if rc != 0 {
                return rc;
            }
            block_on_one(call, || op(call, true, comm, dest, tag), &mut || test(&mut request, ffi::RSMPI_STATUS_IGNORE))
        }
        None => blocking(),
    };
    if layer::tracing() {
        let end = layer::stamp();
        layer::with(|l| l.record(TraceOp::Send, call, comm, peer, tag, bytes, start, end));
    }
    rc
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

/// A message operation the program started (non-blocking or persistent):
/// noted now, recorded when it completes.
#[allow(clippy::too_many_arguments)]
unsafe fn started(
    call: &'static str,
    kind: Kind,
    peer: c_int,
    tag: c_int,
    comm: MPI_Comm,
    datatype: MPI_Datatype,
    bytes: u64,
    request: *mut MPI_Request,
    persistent: bool,
    post: impl FnOnce() -> c_int,
) -> c_int {
    if !active() || peer == layer::proc_null() {
        return post();
    }
    if watching() {
        watch::poll();
    }
    let start = layer::stamp();
    let rc = post();
    if rc == 0 {
        layer::with(|l| {
            let what = l.what(kind == Kind::Send, comm, peer, tag);
            if kind == Kind::Send && !persistent {
                let to = l.comms.world_rank(comm, peer);
                l.count_send(to, comm, tag);
            }
            let pending = Pending {
                kind,
                call,
                what,
                comm: Handle(comm),
                datatype: Handle(datatype),
                bytes,
                start_ns: start,
                persistent,
                active: !persistent,
            };
            l.requests.insert(layer::key(*request), pending);
        });
    }
    rc
}

/// The non-blocking sends and the persistent ones, with an `int` count and
/// (MPI 4) an `MPI_Count`.
macro_rules! started_sends {
    ($($name:ident => $real:ident, $persistent:expr, $count:ty;)*) => {$(
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
            started(stringify!($name), Kind::Send, dest, tag, comm, datatype, bytes, request, $persistent, || {
                ffi::$real(buf, count, datatype, dest, tag, comm, request)
            })
        }
    )*};
}

started_sends! {
    MPI_Isend => PMPI_Isend, false, c_int;
    MPI_Issend => PMPI_Issend, false, c_int;
    MPI_Irsend => PMPI_Irsend, false, c_int;
    MPI_Ibsend => PMPI_Ibsend, false, c_int;
    MPI_Send_init => PMPI_Send_init, true, c_int;
    MPI_Ssend_init => PMPI_Ssend_init, true, c_int;
    MPI_Rsend_init => PMPI_Rsend_init, true, c_int;
    MPI_Bsend_init => PMPI_Bsend_init, true, c_int;
}

#[cfg(mpi_large_count)]
started_sends! {
    MPI_Isend_c => PMPI_Isend_c, false, MPI_Count;
    MPI_Issend_c => PMPI_Issend_c, false, MPI_Count;
    MPI_Irsend_c => PMPI_Irsend_c, false, MPI_Count;
    MPI_Ibsend_c => PMPI_Ibsend_c, false, MPI_Count;
    MPI_Send_init_c => PMPI_Send_init_c, true, MPI_Count;
    MPI_Ssend_init_c => PMPI_Ssend_init_c, true, MPI_Count;
    MPI_Rsend_init_c => PMPI_Rsend_init_c, true, MPI_Count;
    MPI_Bsend_init_c => PMPI_Bsend_init_c, true, MPI_Count;
}

// ---- receives --------------------------------------------------------------

/// Record a completed receive from its status: the trace's event, and the
/// watch's count of what this rank received.
pub unsafe fn record_receive(
    call: &'static str,
    comm: MPI_Comm,
    datatype: MPI_Datatype,
    status: *const MPI_Status,
    start: i64,
) {
    let end = layer::stamp();
    let status = &*status;
    if status.MPI_SOURCE < 0 {
        return;
    }
    let bytes = if layer::tracing() { layer::received_bytes(status, datatype) } else { 0 };
    layer::with(|l| {
        let peer = l.comms.world_rank(comm, status.MPI_SOURCE);
        l.count_received(peer, comm, status.MPI_TAG);
        l.record(TraceOp::Recv, call, comm, peer, status.MPI_TAG, bytes, start, end)
    });
}

/// A status to write into: the caller's, or ours when it passed `MPI_STATUS_IGNORE`.
pub fn status_or(status: *mut MPI_Status, ours: &mut MPI_Status) -> *mut MPI_Status {
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
    let start = layer::stamp();
    let rc = if watching() {
        watch::poll();
        let mut request = std::mem::zeroed();
        let rc = immediate(&mut request);
        if rc != 0 {
            return rc;
        }
        block_on_one(call, || op(call, false, comm, source, tag), &mut || test(&mut request, status))
    } else {
        blocking(status)
    };
    if rc == 0 {
        record_receive(call, comm, datatype, status, start);
    }
    rc
}

/// The receives, blocking, non-blocking and persistent, with an `int`
/// count and (MPI 4) an `MPI_Count`.
macro_rules! receives {
    ($($recv:ident => $real_recv:ident, $irecv:ident => $real_irecv:ident, $init:ident => $real_init:ident, $count:ty;)*) => {$(
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
            started(stringify!($irecv), Kind::Recv, source, tag, comm, datatype, 0, request, false, || {
                ffi::$real_irecv(buf, count, datatype, source, tag, comm, request)
            })
        }

        #[no_mangle]
        pub unsafe extern "C" fn $init(
            buf: *mut c_void,
            count: $count,
            datatype: MPI_Datatype,
            source: c_int,
            tag: c_int,
            comm: MPI_Comm,
            request: *mut MPI_Request,
        ) -> c_int {
            started(stringify!($init), Kind::Recv, source, tag, comm, datatype, 0, request, true, || {
                ffi::$real_init(buf, count, datatype, source, tag, comm, request)
            })
        }
    )*};
}

receives! {
    MPI_Recv => PMPI_Recv, MPI_Irecv => PMPI_Irecv, MPI_Recv_init => PMPI_Recv_init, c_int;
}

#[cfg(mpi_large_count)]
receives! {
    MPI_Recv_c => PMPI_Recv_c, MPI_Irecv_c => PMPI_Irecv_c, MPI_Recv_init_c => PMPI_Recv_init_c, MPI_Count;
}

/// Send and receive in one call. Under the watch, both non-blocking and
/// tested together (which is how MPI defines it); `MPI_PROC_NULL` on
/// either side waits for nothing.
#[allow(clippy::too_many_arguments)]
unsafe fn sendrecv(
    call: &'static str,
    (dest, sendtag, sendbytes): (c_int, c_int, u64),
    (source, recvtag, recvtype): (c_int, c_int, MPI_Datatype),
    comm: MPI_Comm,
    status: *mut MPI_Status,
    blocking: impl FnOnce(*mut MPI_Status) -> c_int,
    immediate: (Post, Post),
) -> c_int {
    if !active() {
        return blocking(status);
    }
    let mut ours = std::mem::zeroed();
    let status = status_or(status, &mut ours);
    let to = layer::world_rank(comm, dest);
    let null = layer::proc_null();
    layer::with(|l| l.count_send(to, comm, sendtag));
    let start = layer::stamp();
    let rc = if watching() {
        watch::poll();
        let (post_recv, post_send) = immediate;
        let mut requests: [MPI_Request; 2] = std::mem::zeroed();
        let rc = post_recv(&mut requests[0]);
        if rc != 0 {
            return rc;
        }
        let rc = post_send(&mut requests[1]);
        if rc != 0 {
            return rc;
        }
        let mut statuses: [MPI_Status; 2] = std::mem::zeroed();
        let requests = requests.as_mut_ptr();
        let ops = || {
            let mut ops = Vec::new();
            if source != null {
                ops.push(Waiting { op: op(call, false, comm, source, recvtag), request: Some(requests) });
            }
            if dest != null {
                ops.push(Waiting { op: op(call, true, comm, dest, sendtag), request: Some(requests.add(1)) });
            }
            ops
        };
        let rc = watch::block(call, false, ops, &mut || {
            let mut flag: c_int = 0;
            let rc = ffi::PMPI_Testall(2, requests, &mut flag, statuses.as_mut_ptr());
            done(rc, flag)
        });
        *status = statuses[0];
        rc
    } else {
        blocking(status)
    };
    if rc == 0 {
        if dest != null {
            layer::with(|l| l.record(TraceOp::Send, call, comm, to, sendtag, sendbytes, start, layer::stamp()));
        }
        if source != null {
            record_receive(call, comm, recvtype, status, start);
        }
    }
    rc
}

/// Where `count` elements of `datatype` at `buf` lie: the offset of their
/// first byte from `buf`, and how many bytes they span. (`MPI_Aint` is
/// `isize` in one MPI's bindings and `i64` in another's: the casts stay.)
#[allow(clippy::unnecessary_cast)]
unsafe fn span(count: i64, datatype: MPI_Datatype) -> (isize, usize) {
    let (mut lb, mut extent, mut true_lb, mut true_extent) = (0, 0, 0, 0);
    ffi::PMPI_Type_get_extent(datatype, &mut lb, &mut extent);
    ffi::PMPI_Type_get_true_extent(datatype, &mut true_lb, &mut true_extent);
    if count <= 0 {
        return (0, 0);
    }
    let bytes = (count as isize - 1) * extent as isize + true_extent as isize;
    (true_lb as isize, bytes.max(0) as usize)
}

/// `MPI_Sendrecv` and `MPI_Sendrecv_replace`, with an `int` count and (MPI
/// 4) an `MPI_Count`. Under the watch, `MPI_Sendrecv_replace` receives
/// into a copy of the buffer while it sends from the buffer, then copies
/// back (which is what MPI libraries do inside it).
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
                (&mut post_recv, &mut post_send),
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
            let (offset, length) = span(i64::from(count), datatype);
            // The copy keeps the bytes between the elements as they were.
            let mut copy = if watching() {
                std::slice::from_raw_parts((buf as *const u8).offset(offset), length).to_vec()
            } else {
                Vec::new()
            };
            let into = copy.as_mut_ptr().wrapping_offset(-offset) as *mut c_void;
            let mut post_recv =
                |request: *mut MPI_Request| ffi::$irecv(into, count, datatype, source, recvtag, comm, request);
            let mut post_send =
                |request: *mut MPI_Request| ffi::$isend(buf, count, datatype, dest, sendtag, comm, request);
            let rc = sendrecv(
                stringify!($replace),
                (dest, sendtag, bytes),
                (source, recvtag, datatype),
                comm,
                status,
                |status| ffi::$real_replace(buf, count, datatype, dest, sendtag, source, recvtag, comm, status),
                (&mut post_recv, &mut post_send),
            );
            if rc == 0 && watching() && active() {
                std::ptr::copy_nonoverlapping(copy.as_ptr(), (buf as *mut u8).offset(offset), length);
            }
            rc
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
    watch::poll();
    block_on_one("MPI_Probe", || op("MPI_Probe", false, comm, source, tag), &mut || {
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
        watch::poll();
        layer::progressed();
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
    let start = layer::stamp();
    let rc = if watching() {
        watch::poll();
        block_on_one("MPI_Mprobe", || op("MPI_Mprobe", false, comm, source, tag), &mut || {
            let mut flag: c_int = 0;
            let rc = ffi::PMPI_Improbe(source, tag, comm, &mut flag, message, status);
            done(rc, flag)
        })
    } else {
        ffi::PMPI_Mprobe(source, tag, comm, message, status)
    };
    if rc == 0 {
        layer::with(|l| l.probes.insert(layer::key(*message), (start, Handle(comm))));
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
        watch::poll();
        layer::progressed();
    }
    let start = layer::stamp();
    let rc = ffi::PMPI_Improbe(source, tag, comm, flag, message, status);
    if rc == 0 && *flag != 0 {
        layer::with(|l| l.probes.insert(layer::key(*message), (start, Handle(comm))));
    }
    rc
}

/// A matched receive, on the communicator its probe named.
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
    let probed = layer::with(|l| l.probes.remove(&layer::key(*message))).flatten();
    let mut ours = std::mem::zeroed();
    let status = status_or(status, &mut ours);
    let rc = receive(status);
    if rc == 0 {
        let (start, comm) = probed.map_or((layer::stamp(), layer::world()), |(start, comm)| (start, comm.0));
        record_receive(call, comm, datatype, status, start);
        layer::progressed();
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
    let probed = layer::with(|l| l.probes.remove(&layer::key(*message))).flatten();
    let (start, comm) = probed.map_or((layer::stamp(), layer::world()), |(start, comm)| (start, comm.0));
    let rc = post();
    if rc == 0 {
        let pending = Pending {
            kind: Kind::Recv,
            call,
            // The message is already matched: its receive only has to complete.
            what: What::Unknown,
            comm: Handle(comm),
            datatype: Handle(datatype),
            bytes: 0,
            start_ns: start,
            persistent: false,
            active: true,
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
