//! The layer's state in one rank: what it was asked to do, what it has seen.
//!
//! Everything lives behind one mutex, taken briefly and never across a call
//! into MPI that can block. Without `MPI_WATCH_TRACE` or `MPI_WATCH_SECS`
//! in the environment the layer stays off: every wrapper checks one atomic
//! flag and calls the real function.

use std::collections::{BTreeMap, HashMap};
use std::os::raw::{c_int, c_void};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use mpi_sys as ffi;
use mpi_watch::trace::{Op, RankInfo, Trace};
use mpi_watch::waitfor::{self, CommId, What};

use crate::comms::Comms;
use crate::spool::{Noted, Spool};

/// Tags on the layer's own communicator (a duplicate of the world, so no
/// message of the program can ever match one of ours).
pub const TAG_SYNC: c_int = 1;
pub const TAG_QUERY: c_int = 2;
pub const TAG_ANSWER: c_int = 3;
pub const TAG_VERDICT: c_int = 4;
pub const TAG_TRACE: c_int = 5;
pub const TAG_TRACE_END: c_int = 6;

/// How many events a rank keeps in memory before it writes them out.
const BATCH: usize = 8192;
/// How many bytes of a rank's trace travel to rank 0 in one message.
const CHUNK: usize = 4 << 20;

/// Is the layer on in this process?
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Is the watch on (a time limit on blocking calls)?
static WATCHING: AtomicBool = AtomicBool::new(false);
/// Is the layer tracing (`MPI_WATCH_TRACE`)?
static TRACING: AtomicBool = AtomicBool::new(false);
static STATE: Mutex<Option<Layer>> = Mutex::new(None);
/// How many of the program's MPI calls have completed: a rank whose count
/// moves between two questions of the watch is not stuck.
static PROGRESS: AtomicU64 = AtomicU64::new(0);

/// One more of the program's calls has completed.
pub fn progressed() {
    PROGRESS.fetch_add(1, Ordering::Relaxed);
}

pub fn progress() -> u64 {
    PROGRESS.load(Ordering::Relaxed)
}

/// An MPI handle kept in the shared state. Handles are plain values (a
/// pointer or an integer) that MPI lets any thread use.
#[derive(Clone, Copy)]
pub struct Handle<T>(pub T);
// SAFETY: MPI handles are opaque identifiers, valid in every thread of the
// process; the layer uses them only to call MPI.
unsafe impl<T> Send for Handle<T> {}

/// What a non-blocking operation is, for the trace and the watch.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Send,
    Recv,
    Collective,
}

/// A non-blocking operation the program started, until a wait or test
/// ends it; a persistent one (`MPI_Send_init`) until `MPI_Request_free`.
#[derive(Clone)]
pub struct Pending {
    pub kind: Kind,
    pub call: &'static str,
    /// What it waits for, for the watch.
    pub what: What,
    pub comm: Handle<ffi::MPI_Comm>,
    pub datatype: Handle<ffi::MPI_Datatype>,
    /// The send's size (receives learn theirs from the status).
    pub bytes: u64,
    pub start_ns: i64,
    /// Persistent: `MPI_Start` makes it active again after each completion.
    pub persistent: bool,
    /// Started and not yet complete.
    pub active: bool,
}

impl Pending {
    /// The peer in the world, for the trace; -1 for a wildcard or none.
    pub fn peer(&self) -> i32 {
        match self.what {
            What::Send { to, .. } => to,
            What::Recv { from: Some(from), .. } => from,
            _ => -1,
        }
    }

    pub fn tag(&self) -> c_int {
        match self.what {
            What::Send { tag, .. } | What::Recv { tag: Some(tag), .. } => tag,
            _ => 0,
        }
    }
}

/// What one rank's layer knows.
pub struct Layer {
    pub comm: Handle<ffi::MPI_Comm>,
    pub rank: i32,
    pub hosts: Vec<String>,
    /// Every rank's process id, for what a rank of the same host can read.
    pub pids: Vec<i32>,
    pub trace: Option<PathBuf>,
    /// Where to draw the verdict's wait-for graph (`MPI_WATCH_GRAPH`).
    pub graph: Option<PathBuf>,
    /// How long a rank waited for may stay silent before it is taken as
    /// lost and the job ended (`MPI_WATCH_SILENCE`; none by default: a
    /// silent rank may be computing).
    pub silence: Option<Duration>,
    /// This clock minus rank 0's, and rank 0's time at the end of the sync.
    offset_ns: i64,
    t0_ns: i64,
    /// Every rank's offset, and how far it may be off, on rank 0.
    offsets_ns: Vec<(i64, i64)>,
    /// Noted as they happen, without allocating; written to the spool a
    /// batch at a time.
    events: Vec<Noted>,
    /// This rank's part of the trace, on its own host, written as it goes.
    spool: Option<Spool>,
    pub requests: HashMap<u64, Pending>,
    /// When the matched probe that found a message started, and on which
    /// communicator, by message handle.
    pub probes: HashMap<u64, (i64, Handle<ffi::MPI_Comm>)>,
    /// The communicators this rank knows, with their members as world ranks.
    pub comms: Comms,
    /// Messages sent (counted when posted), by (world receiver, communicator, tag).
    pub sent: BTreeMap<(i32, CommId, i32), u64>,
    /// Messages received (counted when complete), by (world sender, communicator, tag).
    pub received: BTreeMap<(i32, CommId, i32), u64>,
}

/// The monotonic clock, in nanoseconds.
pub fn now_ns() -> i64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes the timespec it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec * 1_000_000_000 + ts.tv_nsec
}

/// Has `MPI_Init` been seen, with the layer asked to trace or watch?
static STARTED: AtomicBool = AtomicBool::new(false);

pub fn started() -> bool {
    STARTED.load(Ordering::Relaxed)
}

/// The watch's limit, in nanoseconds (0: not watching).
static LIMIT_NS: AtomicU64 = AtomicU64::new(0);

/// The watch's limit on a blocking call, if watching.
pub fn limit() -> Option<Duration> {
    match LIMIT_NS.load(Ordering::Relaxed) {
        0 => None,
        ns => Some(Duration::from_nanos(ns)),
    }
}

pub fn active() -> bool {
    ACTIVE.load(Ordering::Relaxed)
}

pub fn watching() -> bool {
    WATCHING.load(Ordering::Relaxed)
}

pub fn tracing() -> bool {
    TRACING.load(Ordering::Relaxed)
}

/// The clock, for a trace event's times; 0 when not tracing (the clock is
/// read only when its reading is kept).
#[inline]
pub fn stamp() -> i64 {
    if tracing() {
        now_ns()
    } else {
        0
    }
}

/// The state, locked. Only called while the layer is active.
pub fn state() -> MutexGuard<'static, Option<Layer>> {
    STATE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Run `f` on the state, if the layer is on.
pub fn with<R>(f: impl FnOnce(&mut Layer) -> R) -> Option<R> {
    state().as_mut().map(f)
}

/// An opaque handle as a map key.
pub fn key<T: Copy>(handle: T) -> u64 {
    let mut k = 0u64;
    let n = std::mem::size_of::<T>().min(8);
    // SAFETY: copies the first n <= 8 bytes of a plain handle into a u64.
    unsafe { std::ptr::copy_nonoverlapping(&handle as *const T as *const u8, &mut k as *mut u64 as *mut u8, n) };
    k
}

pub fn world() -> ffi::MPI_Comm {
    // SAFETY: reading a constant that the MPI shim initialises at load time.
    unsafe { ffi::RSMPI_COMM_WORLD }
}

pub fn any_source() -> c_int {
    // SAFETY: as above.
    unsafe { ffi::RSMPI_ANY_SOURCE }
}

pub fn any_tag() -> c_int {
    // SAFETY: as above.
    unsafe { ffi::RSMPI_ANY_TAG }
}

pub fn proc_null() -> c_int {
    // SAFETY: as above.
    unsafe { ffi::RSMPI_PROC_NULL }
}

/// `rank` of `comm` as a rank of the world (negative ranks, the
/// wildcards and `MPI_PROC_NULL`, stay as they are).
pub fn world_rank(comm: ffi::MPI_Comm, rank: c_int) -> i32 {
    if comm == world() || rank < 0 {
        return rank;
    }
    with(|l| l.comms.world_rank(comm, rank)).unwrap_or(rank)
}

pub fn comm_label(comm: ffi::MPI_Comm) -> &'static str {
    if comm == world() {
        "world"
    } else {
        "other"
    }
}

/// The size in bytes of `count` elements of `datatype`.
pub fn bytes_of(count: i64, datatype: ffi::MPI_Datatype) -> u64 {
    let mut size: c_int = 0;
    // SAFETY: PMPI_Type_size writes an int.
    unsafe { ffi::PMPI_Type_size(datatype, &mut size) };
    u64::try_from(count).unwrap_or(0) * u64::try_from(size).unwrap_or(0)
}

/// The size in bytes of a received message, from its status.
pub fn received_bytes(status: &ffi::MPI_Status, datatype: ffi::MPI_Datatype) -> u64 {
    let mut count: c_int = 0;
    // SAFETY: PMPI_Get_count reads the status and writes an int.
    unsafe { ffi::PMPI_Get_count(status, datatype, &mut count) };
    bytes_of(i64::from(count.max(0)), datatype)
}

fn host_name() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr() as *mut libc::c_char, buf.len() - 1) };
    if rc != 0 {
        return "unknown-host".into();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

const HOST_BYTES: usize = 64;

/// Right after `MPI_Init`: read the environment, and if asked to trace or
/// watch, set up the layer's communicator, learn every rank's host, and (to
/// trace) measure the clocks. Collective: every rank of the job calls it.
pub fn start() {
    let trace = std::env::var_os("MPI_WATCH_TRACE").filter(|v| !v.is_empty()).map(PathBuf::from);
    let limit = match std::env::var("MPI_WATCH_SECS") {
        Ok(text) => match text.parse::<f64>() {
            Ok(secs) if secs > 0.0 && secs.is_finite() => Some(Duration::from_secs_f64(secs)),
            _ => {
                crate::watch::say(&format!(
                    "MPI_WATCH_SECS='{text}' is not a positive number of seconds; not watching"
                ));
                None
            }
        },
        Err(_) => None,
    };
    if trace.is_none() && limit.is_none() {
        return;
    }
    let trace_on = trace.is_some();
    STARTED.store(true, Ordering::Relaxed);
    // SAFETY: collective MPI calls on the world, right after it was made;
    // every buffer is sized for what MPI writes into it.
    unsafe {
        let mut comm = std::mem::zeroed();
        ffi::PMPI_Comm_dup(world(), &mut comm);
        let (mut rank, mut size) = (0, 0);
        ffi::PMPI_Comm_rank(comm, &mut rank);
        ffi::PMPI_Comm_size(comm, &mut size);
        let mut mine = [0u8; HOST_BYTES];
        let name = host_name();
        let n = name.len().min(HOST_BYTES - 1);
        mine[..n].copy_from_slice(&name.as_bytes()[..n]);
        let mut all = vec![0u8; HOST_BYTES * size as usize];
        ffi::PMPI_Allgather(
            mine.as_ptr() as *const c_void,
            HOST_BYTES as c_int,
            ffi::RSMPI_UINT8_T,
            all.as_mut_ptr() as *mut c_void,
            HOST_BYTES as c_int,
            ffi::RSMPI_UINT8_T,
            comm,
        );
        let hosts: Vec<String> = all
            .chunks(HOST_BYTES)
            .map(|c| String::from_utf8_lossy(&c[..c.iter().position(|&b| b == 0).unwrap_or(HOST_BYTES)]).into_owned())
            .collect();
        let pid = std::process::id() as i32;
        let mut pids = vec![0i32; size as usize];
        ffi::PMPI_Allgather(
            &pid as *const i32 as *const c_void,
            1,
            ffi::RSMPI_INT32_T,
            pids.as_mut_ptr() as *mut c_void,
            1,
            ffi::RSMPI_INT32_T,
            comm,
        );
        let (offset_ns, t0_ns, offsets_ns) =
            if trace.is_some() { sync_clocks(comm, rank, &hosts) } else { (0, now_ns(), Vec::new()) };
        let capacity = if trace.is_some() { BATCH } else { 0 };
        *state() = Some(Layer {
            comm: Handle(comm),
            rank,
            hosts,
            pids,
            trace,
            graph: std::env::var_os("MPI_WATCH_GRAPH").filter(|v| !v.is_empty()).map(PathBuf::from),
            silence: std::env::var("MPI_WATCH_SILENCE")
                .ok()
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|s| *s > 0.0 && s.is_finite())
                .map(Duration::from_secs_f64),
            offset_ns,
            t0_ns,
            offsets_ns,
            events: Vec::with_capacity(capacity),
            spool: None,
            requests: HashMap::new(),
            probes: HashMap::new(),
            comms: Comms::new(rank, size),
            sent: BTreeMap::new(),
            received: BTreeMap::new(),
        });
    }
    LIMIT_NS.store(limit.map_or(0, |l| l.as_nanos().clamp(1, u64::MAX as u128) as u64), Ordering::Relaxed);
    WATCHING.store(limit.is_some(), Ordering::Relaxed);
    TRACING.store(trace_on, Ordering::Relaxed);
    ACTIVE.store(true, Ordering::Relaxed);
    if limit.is_some() {
        crate::unfollowed::open();
    }
    crate::watch::register_thread();
}

/// Measure every host's clock against rank 0's. Ranks on rank 0's host share
/// its clock (offset 0). For each other host, rank 0 asks the lowest rank
/// there for its time a few times, and keeps the answer with the shortest
/// round trip, taken as read half-way through; every rank of that host gets
/// that offset, which is off by at most half that round trip (a loaded
/// machine can make every round trip milliseconds long). Returns this
/// rank's offset, rank 0's time at the end (the trace's zero), and, on
/// rank 0, every rank's offset with that bound.
///
/// SAFETY: collective over `comm`; call from every rank with the same hosts.
unsafe fn sync_clocks(comm: ffi::MPI_Comm, rank: c_int, hosts: &[String]) -> (i64, i64, Vec<(i64, i64)>) {
    const ROUNDS: usize = 20;
    let int64 = ffi::RSMPI_INT64_T;
    let ignore = ffi::RSMPI_STATUS_IGNORE;
    let size = hosts.len();
    // The rank that answers for each host: the lowest one on it.
    let partner = |r: usize| (0..size).find(|&p| hosts[p] == hosts[r]).unwrap_or(r) as c_int;
    let mut offsets = vec![(0i64, 0i64); size];
    let mut mine = 0i64;
    if rank == 0 {
        for peer in 1..size {
            if hosts[peer] == hosts[0] {
                continue;
            }
            let asked = partner(peer);
            if asked as usize != peer {
                offsets[peer] = offsets[asked as usize];
            } else {
                let mut best = (i64::MAX, 0i64);
                for _ in 0..ROUNDS {
                    let t1 = now_ns();
                    ffi::PMPI_Send(&t1 as *const i64 as *const c_void, 1, int64, asked, TAG_SYNC, comm);
                    let mut theirs = 0i64;
                    ffi::PMPI_Recv(&mut theirs as *mut i64 as *mut c_void, 1, int64, asked, TAG_SYNC, comm, ignore);
                    let t2 = now_ns();
                    if t2 - t1 < best.0 {
                        best = (t2 - t1, theirs - (t1 + (t2 - t1) / 2));
                    }
                }
                offsets[peer] = (best.1, (best.0 + 1) / 2);
            }
            ffi::PMPI_Send(&offsets[peer].0 as *const i64 as *const c_void, 1, int64, peer as c_int, TAG_SYNC, comm);
        }
    } else if hosts[rank as usize] != hosts[0] {
        if partner(rank as usize) == rank {
            for _ in 0..ROUNDS {
                let mut asked = 0i64;
                ffi::PMPI_Recv(&mut asked as *mut i64 as *mut c_void, 1, int64, 0, TAG_SYNC, comm, ignore);
                let t = now_ns();
                ffi::PMPI_Send(&t as *const i64 as *const c_void, 1, int64, 0, TAG_SYNC, comm);
            }
        }
        ffi::PMPI_Recv(&mut mine as *mut i64 as *mut c_void, 1, int64, 0, TAG_SYNC, comm, ignore);
    }
    let mut t0 = now_ns();
    ffi::PMPI_Bcast(&mut t0 as *mut i64 as *mut c_void, 1, int64, 0, comm);
    (mine, t0, offsets)
}

impl Layer {
    /// Note one side of a message, if tracing.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &mut self,
        op: Op,
        call: &'static str,
        comm: ffi::MPI_Comm,
        peer: i32,
        tag: c_int,
        bytes: u64,
        start_ns: i64,
        end_ns: i64,
    ) {
        if self.trace.is_none() || peer < 0 {
            return;
        }
        self.events.push(Noted { op, call, comm: comm_label(comm), peer, tag, bytes, start_ns, end_ns });
        if self.events.len() >= BATCH {
            self.spill();
        }
    }

    /// Write the noted events to this rank's spool and forget them: a
    /// rank's memory does not grow with its trace.
    fn spill(&mut self) {
        let rank = self.rank;
        let spool = self.spool.get_or_insert_with(|| Spool::new(rank));
        spool.write(&self.events);
        self.events.clear();
    }

    /// Count a send, for the watch's report of what this rank sent.
    pub fn count_send(&mut self, peer: i32, comm: ffi::MPI_Comm, tag: c_int) {
        if watching() && peer >= 0 {
            let id = self.comms.id(comm);
            *self.sent.entry((peer, id, tag)).or_insert(0) += 1;
        }
    }

    /// Count a receive, for the watch's report of what this rank received.
    pub fn count_received(&mut self, peer: i32, comm: ffi::MPI_Comm, tag: c_int) {
        if watching() && peer >= 0 {
            let id = self.comms.id(comm);
            *self.received.entry((peer, id, tag)).or_insert(0) += 1;
        }
    }

    /// What a message on `comm` from or to `peer` (a rank of `comm`) waits for.
    pub fn what(&mut self, send: bool, comm: ffi::MPI_Comm, peer: c_int, tag: c_int) -> What {
        let id = self.comms.id(comm);
        if send {
            What::Send { to: self.comms.world_rank(comm, peer), tag, comm: id }
        } else {
            What::Recv {
                from: (peer != any_source()).then(|| self.comms.world_rank(comm, peer)),
                tag: (tag != any_tag()).then_some(tag),
                comm: id,
            }
        }
    }
}

/// Counts by (peer, communicator, tag) as the report's runs of tags.
pub fn traffic(counts: &BTreeMap<(i32, CommId, i32), u64>) -> Vec<waitfor::Traffic> {
    let mut out: Vec<waitfor::Traffic> = Vec::new();
    let mut by_pair: BTreeMap<(i32, CommId), Vec<(i32, u64)>> = BTreeMap::new();
    for (&(peer, comm, tag), &count) in counts {
        by_pair.entry((peer, comm)).or_default().push((tag, count));
    }
    for ((peer, comm), tags) in by_pair {
        out.push(waitfor::Traffic { peer, comm, tags: waitfor::tag_runs(tags) });
    }
    out
}

/// The end of a traced run: every rank sends its part to rank 0, one rank
/// after the other, as JSON lines in chunks of at most [`CHUNK`] bytes
/// (then the number of its sends, on another tag); rank 0 writes the ranks'
/// lines, then every rank's events, to the trace file. Collective over the
/// layer's communicator. Memory stays bounded whatever the trace's size.
pub fn write_trace() {
    use std::io::Write;
    let Some((comm, rank, file, hosts, offsets, mut spool, clock)) = with(|l| {
        let file = l.trace.clone()?;
        l.spill();
        let spool = l.spool.take().unwrap_or_else(|| Spool::new(l.rank));
        Some((l.comm.0, l.rank, file, l.hosts.clone(), l.offsets_ns.clone(), spool, (l.offset_ns, l.t0_ns)))
    })
    .flatten() else {
        return;
    };
    let us = move |ns: i64| (ns - clock.0 - clock.1) as f64 / 1e3;
    let size = hosts.len();
    if rank != 0 {
        // SAFETY: point-to-point messages of the layer's own, which rank 0
        // receives in the same order; each chunk fits an int.
        unsafe {
            spool.lines(rank, us, CHUNK, |chunk| {
                ffi::PMPI_Send(
                    chunk.as_ptr() as *const c_void,
                    chunk.len() as c_int,
                    ffi::RSMPI_UINT8_T,
                    0,
                    TAG_TRACE,
                    comm,
                );
            });
            let sends = spool.sends;
            ffi::PMPI_Send(&sends as *const u64 as *const c_void, 1, ffi::RSMPI_UINT64_T, 0, TAG_TRACE_END, comm);
        }
        if let Some(error) = &spool.error {
            crate::watch::say(&format!("rank {rank}: {error}; its part of the trace is missing"));
        }
        return;
    }
    let ranks: Vec<RankInfo> = hosts
        .iter()
        .enumerate()
        .map(|(r, host)| RankInfo {
            rank: r as i32,
            name: None,
            host: host.clone(),
            clock_offset_us: offsets.get(r).map_or(0, |o| o.0) as f64 / 1e3,
            clock_error_us: offsets.get(r).map_or(0, |o| o.1) as f64 / 1e3,
        })
        .collect();
    // Every other rank's part is taken, whatever fails here: they wait for
    // rank 0 to take it.
    let created = file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::File::create(&file));
    let (mut out, mut failed): (Box<dyn Write>, Option<std::io::Error>) = match created {
        Ok(f) => (Box::new(std::io::BufWriter::new(f)), None),
        Err(error) => (Box::new(std::io::sink()), Some(error)),
    };
    let mut note = |result: std::io::Result<()>| {
        if let Err(error) = result {
            failed.get_or_insert(error);
        }
    };
    note(out.write_all(&Trace { ranks, events: Vec::new() }.encode()));
    spool.lines(0, us, CHUNK, |chunk| note(out.write_all(chunk)));
    let mut messages = spool.sends;
    let mut buffer = vec![0u8; CHUNK];
    for r in 1..size as c_int {
        // SAFETY: the messages rank r sends above, received in order into
        // a buffer of the largest chunk's size.
        unsafe {
            loop {
                let mut status: ffi::MPI_Status = std::mem::zeroed();
                ffi::PMPI_Probe(r, any_tag(), comm, &mut status);
                if status.MPI_TAG == TAG_TRACE_END {
                    let mut sends = 0u64;
                    ffi::PMPI_Recv(
                        &mut sends as *mut u64 as *mut c_void,
                        1,
                        ffi::RSMPI_UINT64_T,
                        r,
                        TAG_TRACE_END,
                        comm,
                        ffi::RSMPI_STATUS_IGNORE,
                    );
                    messages += sends;
                    break;
                }
                let mut count: c_int = 0;
                ffi::PMPI_Get_count(&status, ffi::RSMPI_UINT8_T, &mut count);
                let n = (count.max(0) as usize).min(CHUNK);
                ffi::PMPI_Recv(
                    buffer.as_mut_ptr() as *mut c_void,
                    n as c_int,
                    ffi::RSMPI_UINT8_T,
                    r,
                    TAG_TRACE,
                    comm,
                    ffi::RSMPI_STATUS_IGNORE,
                );
                note(out.write_all(&buffer[..n]));
            }
        }
    }
    note(out.flush());
    if let Some(error) = &spool.error {
        note(Err(std::io::Error::other(error.clone())));
    }
    match failed {
        None => crate::watch::say(&format!(
            "trace of {messages} message(s) from {size} rank(s) written to {}",
            file.display()
        )),
        Some(error) => crate::watch::say(&format!("cannot write the trace to {}: {error}", file.display())),
    }
}

/// After `MPI_Finalize`'s own work is done: drop the layer's communicator.
pub fn stop() {
    if let Some(layer) = state().take() {
        let mut comm = layer.comm.0;
        // SAFETY: the layer's own communicator, freed once, while MPI is up.
        unsafe { ffi::PMPI_Comm_free(&mut comm) };
    }
    ACTIVE.store(false, Ordering::Relaxed);
    WATCHING.store(false, Ordering::Relaxed);
    TRACING.store(false, Ordering::Relaxed);
    crate::unfollowed::close();
    LIMIT_NS.store(0, Ordering::Relaxed);
}
