//! The watch: a time limit on every blocking call, and a diagnosis when one
//! runs out.
//!
//! Under `MPI_WATCH_SECS`, a blocking call becomes its non-blocking twin
//! and a loop that tests it (`MPI_Recv` is `MPI_Irecv` and `MPI_Test`, as
//! MPI defines it; `MPI_Allreduce` is `MPI_Iallreduce`); the loop never
//! sleeps, so a call completes as soon as it would have. Each thread that
//! blocks says in what ([`block`]), and what it still waits for.
//!
//! The questions between ranks travel on the layer's own communicator.
//! When a call has lasted the limit, its rank asks every other rank what
//! it is doing (an *investigation*, numbered: answers to an older one are
//! dropped, and it ends with the call that started it). From the answers,
//! [`mpi_watch::waitfor::stuck`] finds the ranks that can never be
//! released. If there are some, their lowest rank asks a second time: only
//! if none of them moved in between (same progress count, same state) does
//! it print the verdict and end the job with `MPI_Abort`. A rank that can
//! still be released prints a note once (`waiting: ...`) and goes on
//! waiting: a silent rank, or one that runs, may yet release it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::os::raw::{c_int, c_void};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use mpi_sys as ffi;
use mpi_sys::MPI_Request;
use mpi_watch::diagnosis;
use mpi_watch::waitfor::{self, Blocked, CommId, Job, Op, Report, Reports, State, What};

use crate::layer::{self, now_ns, Handle, TAG_ANSWER, TAG_QUERY, TAG_VERDICT};

/// How long an asking rank waits for the answers before it takes the
/// silent ranks as silent.
const ANSWER_WINDOW: Duration = Duration::from_secs(2);
/// How often a blocked call answers questions and looks at its requests.
const SERVICE_EVERY_NS: i64 = 1_000_000;
/// The exit code of a job the watch ends.
pub const EXIT_HUNG: c_int = 3;

/// One thread's blocked call, as its thread publishes it.
struct Now {
    call: &'static str,
    any: bool,
    ops: Vec<Op>,
    since: Instant,
}

struct Investigation {
    id: u64,
    /// The blocked call (its token) the investigation is for.
    token: u64,
    asked: Instant,
    answers: BTreeMap<i32, Report>,
    /// The first round's reports, while the second round confirms them.
    first: Option<Reports>,
}

#[derive(Default)]
struct Watch {
    /// Every thread that has called MPI, and its blocked call if it is in one.
    threads: HashMap<u64, Option<Now>>,
    finished: bool,
    investigation: Option<Investigation>,
    /// Another rank has given the verdict: stay quiet until the end.
    verdict: bool,
    /// Sends of the layer's own, with their buffers, until they complete.
    outbox: Vec<(Handle<MPI_Request>, Vec<u8>)>,
    next_id: u64,
    /// Blocked calls (tokens) that have had their note.
    noted: HashSet<u64>,
    /// When each blocked call (token) may ask again.
    ask_after: HashMap<u64, Instant>,
    /// The layer's own messages sent to and taken from each rank, so that
    /// `MPI_Finalize` leaves none behind.
    messages_sent: HashMap<c_int, u64>,
    messages_taken: HashMap<c_int, u64>,
    /// Past the final barrier: take messages, answer nothing.
    closing: bool,
    /// Ranks this rank waits for that did not answer, since when.
    silent_since: HashMap<i32, Instant>,
}

static WATCH: Mutex<Option<Watch>> = Mutex::new(None);
/// One thread at a time answers the questions.
static SERVICING: AtomicBool = AtomicBool::new(false);
/// When the questions were last answered.
static LAST_SERVICE_NS: AtomicI64 = AtomicI64::new(0);
static NEXT_THREAD: AtomicU64 = AtomicU64::new(1);
static NEXT_TOKEN: AtomicU64 = AtomicU64::new(1);

fn with<R>(f: impl FnOnce(&mut Watch) -> R) -> R {
    let mut guard = WATCH.lock().unwrap_or_else(|p| p.into_inner());
    f(guard.get_or_insert_with(Watch::default))
}

/// This thread, as the watch knows it; it forgets the thread when it ends.
struct ThreadSlot(u64);

impl Drop for ThreadSlot {
    fn drop(&mut self) {
        let id = self.0;
        with(|w| w.threads.remove(&id));
    }
}

thread_local! {
    static THREAD: ThreadSlot = {
        let id = NEXT_THREAD.fetch_add(1, Ordering::Relaxed);
        with(|w| w.threads.insert(id, None));
        ThreadSlot(id)
    };
}

/// Note the calling thread as one that uses MPI (the thread that
/// initialises MPI is one, whether or not it blocks later).
pub fn register_thread() {
    let _ = thread_id();
}

fn thread_id() -> u64 {
    THREAD.try_with(|t| t.0).unwrap_or(0)
}

/// One line on stderr, in one write, so that the lines of ranks that speak
/// at once are not interleaved.
pub fn say(line: &str) {
    use std::io::Write;
    let _ = std::io::stderr().write_all(format!("mpi-watch: {line}\n").as_bytes());
}

/// What this rank is doing, as it answers a question.
fn my_report() -> Report {
    let mut report = layer::with(|l| {
        let comm_ids: Vec<CommId> = l.sent.keys().chain(l.received.keys()).map(|k| k.1).collect();
        Report {
            rank: l.rank,
            host: l.hosts.get(l.rank as usize).cloned().unwrap_or_default(),
            state: State::Running,
            progress: layer::progress(),
            sent: layer::traffic(&l.sent),
            received: layer::traffic(&l.received),
            collectives: l.comms.entered(),
            comms: l.comms.named(&comm_ids),
        }
    })
    .unwrap_or_else(|| Report::new(-1, "", State::Running));
    report.state = with(|w| {
        if w.finished {
            return State::Finished;
        }
        // Blocked only if every thread that uses MPI is.
        let calls: Option<Vec<Blocked>> = w
            .threads
            .values()
            .map(|slot| {
                slot.as_ref().map(|now| Blocked {
                    call: now.call.to_owned(),
                    any: now.any,
                    ops: now.ops.clone(),
                    seconds: now.since.elapsed().as_secs_f64(),
                })
            })
            .collect();
        match calls {
            Some(calls) if !calls.is_empty() => State::Blocked(calls),
            _ => State::Running,
        }
    });
    let named: Vec<CommId> = report
        .blocked()
        .iter()
        .flat_map(|b| b.ops.iter())
        .filter_map(|op| match op.what {
            What::Recv { comm, .. } | What::Send { comm, .. } | What::Collective { comm, .. } => Some(comm),
            What::Unknown => None,
        })
        .collect();
    if let Some(more) = layer::with(|l| l.comms.named(&named)) {
        for comm in more {
            if report.comm(comm.id).is_none() {
                report.comms.push(comm);
            }
        }
    }
    report
}

/// Start a send of the layer's own; its buffer lives in the outbox. It is
/// never empty: the address of an empty buffer can equal `MPI_IN_PLACE`.
fn post(comm: ffi::MPI_Comm, to: c_int, tag: c_int, mut bytes: Vec<u8>) {
    if bytes.is_empty() {
        bytes.push(0);
    }
    // SAFETY: the buffer moves into the outbox and stays there, unmoved on
    // the heap, until the send completes or is cancelled.
    unsafe {
        let mut request = std::mem::zeroed();
        ffi::PMPI_Isend(
            bytes.as_ptr() as *const c_void,
            bytes.len() as c_int,
            ffi::RSMPI_UINT8_T,
            to,
            tag,
            comm,
            &mut request,
        );
        with(|w| {
            w.outbox.push((Handle(request), bytes));
            *w.messages_sent.entry(to).or_insert(0) += 1;
        });
    }
}

/// At the start of every interposed call: note the thread, and answer the
/// questions if they have not been answered for a while.
#[inline]
pub fn poll() {
    register_thread();
    if now_ns() - LAST_SERVICE_NS.load(Ordering::Relaxed) >= SERVICE_EVERY_NS {
        service();
    }
}

/// Answer whatever the other ranks asked, take in their answers and
/// verdicts, and forget our own sends that have completed. One thread at
/// a time; the messages are taken with matched probes, so no other thread
/// can take one in between.
pub fn service() {
    if SERVICING.swap(true, Ordering::Acquire) {
        return;
    }
    LAST_SERVICE_NS.store(now_ns(), Ordering::Relaxed);
    if let Some(comm) = layer::with(|l| l.comm.0) {
        while let Some((source, tag, bytes)) = take_message(comm) {
            handle(comm, source, tag, &bytes);
        }
        with(|w| {
            w.outbox.retain_mut(|(request, _)| {
                let mut flag: c_int = 0;
                // SAFETY: testing a request of ours that is still active.
                unsafe { ffi::PMPI_Test(&mut request.0, &mut flag, ffi::RSMPI_STATUS_IGNORE) };
                flag == 0
            })
        });
    }
    SERVICING.store(false, Ordering::Release);
}

/// The next message of the watch's, if one has come. Only the watch's own
/// tags: the trace's chunks travel on the same communicator at
/// `MPI_Finalize`, for rank 0 alone to take.
fn take_message(comm: ffi::MPI_Comm) -> Option<(c_int, c_int, Vec<u8>)> {
    // SAFETY: a matched probe and its receive on the layer's communicator,
    // into a buffer of the probed size.
    unsafe {
        let mut flag: c_int = 0;
        let mut message = std::mem::zeroed();
        let mut status: ffi::MPI_Status = std::mem::zeroed();
        for tag in [TAG_QUERY, TAG_ANSWER, TAG_VERDICT] {
            ffi::PMPI_Improbe(layer::any_source(), tag, comm, &mut flag, &mut message, &mut status);
            if flag != 0 {
                break;
            }
        }
        if flag == 0 {
            return None;
        }
        let mut count: c_int = 0;
        ffi::PMPI_Get_count(&status, ffi::RSMPI_UINT8_T, &mut count);
        let mut bytes = vec![0u8; count.max(1) as usize];
        ffi::PMPI_Mrecv(bytes.as_mut_ptr() as *mut c_void, count, ffi::RSMPI_UINT8_T, &mut message, &mut status);
        bytes.truncate(count.max(0) as usize);
        with(|w| *w.messages_taken.entry(status.MPI_SOURCE).or_insert(0) += 1);
        Some((status.MPI_SOURCE, status.MPI_TAG, bytes))
    }
}

fn handle(comm: ffi::MPI_Comm, source: c_int, tag: c_int, bytes: &[u8]) {
    if with(|w| w.closing) {
        return;
    }
    match tag {
        TAG_QUERY => {
            let mut answer = bytes.get(..8).map(<[u8]>::to_vec).unwrap_or_else(|| vec![0; 8]);
            answer.extend(serde_json::to_vec(&my_report()).expect("a report encodes"));
            post(comm, source, TAG_ANSWER, answer);
        }
        TAG_ANSWER => {
            let Some(id) = bytes.get(..8).map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default())) else {
                return;
            };
            if let Ok(report) = serde_json::from_slice::<Report>(&bytes[8..]) {
                with(|w| {
                    if let Some(inv) = w.investigation.as_mut().filter(|inv| inv.id == id) {
                        inv.answers.insert(report.rank, report);
                    }
                });
            }
        }
        TAG_VERDICT => with(|w| {
            w.verdict = true;
            w.investigation = None;
        }),
        _ => {}
    }
}

/// Ask every other rank what it is doing, for the blocked call `token`.
fn ask_everyone(token: u64, first: Option<Reports>) {
    let Some((comm, rank, size)) = layer::with(|l| (l.comm.0, l.rank, l.hosts.len() as c_int)) else { return };
    let id = with(|w| {
        w.next_id += 1;
        let id = w.next_id;
        w.investigation = Some(Investigation { id, token, asked: Instant::now(), answers: BTreeMap::new(), first });
        id
    });
    for peer in (0..size).filter(|&p| p != rank) {
        post(comm, peer, TAG_QUERY, id.to_le_bytes().to_vec());
    }
}

/// The blocked call `token` has lasted the limit: ask, or, once the
/// answers are in, conclude.
fn investigate(token: u64, limit: Duration) {
    let Some(size) = layer::with(|l| l.hosts.len()) else { return };
    enum Next {
        Wait,
        Ask,
        Conclude(Investigation),
    }
    let next = with(|w| {
        if w.verdict {
            return Next::Wait;
        }
        match &w.investigation {
            Some(inv) if inv.token != token => Next::Wait,
            Some(inv) if inv.answers.len() + 1 >= size || inv.asked.elapsed() >= ANSWER_WINDOW => {
                Next::Conclude(w.investigation.take().expect("just seen"))
            }
            Some(_) => Next::Wait,
            None if w.ask_after.get(&token).map_or(true, |t| Instant::now() >= *t) => Next::Ask,
            None => Next::Wait,
        }
    });
    match next {
        Next::Wait => {}
        Next::Ask => ask_everyone(token, None),
        Next::Conclude(inv) => conclude(token, inv, limit),
    }
}

fn conclude(token: u64, inv: Investigation, limit: Duration) {
    let me = my_report();
    let Some(hosts) = layer::with(|l| l.hosts.clone()) else { return };
    let rank = me.rank;
    let mut reports = inv.answers;
    reports.insert(rank, me);
    read_unfollowed(&mut reports, rank, &hosts);
    let job = Job { reports: &reports, size: hosts.len() as i32 };
    let stuck = waitfor::stuck(&job);
    let later = Instant::now() + limit;
    if stuck.is_empty() {
        // Every blocked rank can still be released: a note, once per call,
        // from the lowest rank blocked past the limit, and a look again later.
        let long = |r: &&Report| r.blocked().iter().any(|b| b.seconds >= limit.as_secs_f64());
        let lowest_blocked = reports.values().find(long).map(|r| r.rank);
        let first_time = with(|w| {
            w.ask_after.insert(token, later);
            w.noted.insert(token)
        });
        if with(|w| w.verdict) {
            return;
        }
        if first_time && lowest_blocked == Some(rank) {
            say(&diagnosis::waiting(&job, rank, &hosts));
        }
        // With a limit on silence (--watch-silence), a rank waited for that
        // has not answered for that long is taken as lost; the lowest rank
        // blocked past the limit that waits for a silent one says so.
        let waits_for_silence = |r: &&Report| long(r) && !diagnosis::silent_peers(&job, r.rank).is_empty();
        if reports.values().find(waits_for_silence).map(|r| r.rank) != Some(rank) {
            return;
        }
        let silent = diagnosis::silent_peers(&job, rank);
        let now = Instant::now();
        let longest = with(|w| {
            w.silent_since.retain(|r, _| silent.contains(r));
            silent.iter().map(|&r| (r, now - *w.silent_since.entry(r).or_insert(now))).max_by_key(|(_, d)| *d)
        });
        if let (Some(silence), Some((lost, for_how_long))) = (layer::with(|l| l.silence).flatten(), longest) {
            if for_how_long >= silence {
                end_job(&diagnosis::lost(&job, rank, lost, for_how_long.as_secs_f64(), &hosts), &job, rank, &hosts);
            }
        }
        return;
    }
    if stuck.first() != Some(&rank) {
        // The lowest stuck rank speaks; look again later in case it cannot.
        with(|w| w.ask_after.insert(token, later));
        return;
    }
    let Some(first) = inv.first else {
        // Ask again: only ranks that did not move between the two answers
        // are stuck for sure.
        ask_everyone(token, Some(reports));
        return;
    };
    let moved = stuck.iter().any(|r| match (first.get(r), reports.get(r)) {
        (Some(a), Some(b)) => a.progress != b.progress || !same_state(&a.state, &b.state),
        _ => true,
    });
    let finished_then: Vec<i32> = first.values().filter(|r| r.state == State::Finished).map(|r| r.rank).collect();
    let still_finished = finished_then.iter().all(|r| reports.get(r).is_some_and(|x| x.state == State::Finished));
    if moved || !still_finished || waitfor::stuck(&Job { reports: &first, size: job.size }) != stuck {
        ask_everyone(token, None);
        return;
    }
    let Some(text) = diagnosis::verdict(&job) else { return };
    end_job(&text, &job, rank, &hosts);
}

/// Say the verdict, draw it if asked, tell the others, and end the job.
/// Once per rank: another thread of it may have concluded too.
fn end_job(text: &str, job: &Job, rank: i32, hosts: &[String]) {
    if with(|w| std::mem::replace(&mut w.verdict, true)) {
        return;
    }
    say(text);
    if let Some(file) = layer::with(|l| l.graph.clone()).flatten() {
        let svg = mpi_watch::graph::render(job, &format!("The watch's verdict ({} ranks)", job.size));
        match std::fs::write(&file, svg) {
            Ok(()) => say(&format!("wait-for graph written to {}", file.display())),
            Err(error) => say(&format!("cannot write the wait-for graph to {}: {error}", file.display())),
        }
    }
    let Some(comm) = layer::with(|l| l.comm.0) else { return };
    for peer in (0..hosts.len() as c_int).filter(|&p| p != rank) {
        post(comm, peer, TAG_VERDICT, Vec::new());
    }
    // The launcher kills every rank on an abort, and may stop forwarding
    // output at once: let it read the diagnosis first.
    wait_until_stderr_is_read(Duration::from_secs(2));
    // SAFETY: ends every rank of the job; does not return.
    unsafe { ffi::PMPI_Abort(layer::world(), EXIT_HUNG) };
}

/// A rank that did not answer, on this rank's host, may have noted that it
/// is in a call the watch does not follow: its report says so.
fn read_unfollowed(reports: &mut Reports, me: i32, hosts: &[String]) {
    let Some(pids) = layer::with(|l| l.pids.clone()) else { return };
    let mine = hosts.get(me as usize);
    for (rank, host) in hosts.iter().enumerate() {
        let rank = rank as i32;
        if reports.contains_key(&rank) || Some(host) != mine {
            continue;
        }
        let Some((call, seconds)) = pids.get(rank as usize).and_then(|&pid| crate::unfollowed::read(pid)) else {
            continue;
        };
        reports.insert(rank, Report::new(rank, host.clone(), State::Unfollowed { call, seconds }));
    }
}

/// The same blocked calls, waiting for the same things (their times aside).
fn same_state(a: &State, b: &State) -> bool {
    match (a, b) {
        (State::Blocked(x), State::Blocked(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| p.call == q.call && p.any == q.any && p.ops == q.ops)
        }
        _ => a == b,
    }
}

/// Wait (at most `limit`) until whatever reads this process's stderr (the
/// launcher, through a pipe or a socket) has taken every byte written to it.
fn wait_until_stderr_is_read(limit: Duration) {
    let deadline = Instant::now() + limit;
    // SAFETY: fstat and ioctl on descriptor 2 only read its state into
    // values of ours.
    unsafe {
        let mut stat: libc::stat = std::mem::zeroed();
        if libc::fstat(2, &mut stat) != 0 {
            return;
        }
        let request = match stat.st_mode & libc::S_IFMT {
            libc::S_IFIFO => libc::FIONREAD,  // bytes in the pipe, not yet read
            libc::S_IFSOCK => libc::TIOCOUTQ, // bytes not yet sent
            _ => return,                      // a terminal or a file: written is read
        };
        while Instant::now() < deadline {
            let mut pending: libc::c_int = 0;
            if libc::ioctl(2, request, &mut pending) != 0 || pending == 0 {
                return;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// One operation a blocked call waits for, and the request that carries
/// it when the program gave one (so that the watch can leave it out once
/// it is complete).
pub struct Waiting {
    pub op: Op,
    pub request: Option<*mut MPI_Request>,
}

/// Block, under the watch, until `done` says the operation is complete
/// (or fails with an MPI error code). `call` waits for every one of `ops`
/// (for any one, if `any`).
pub fn block(
    call: &'static str,
    any: bool,
    ops: impl FnOnce() -> Vec<Waiting>,
    done: &mut dyn FnMut() -> Result<bool, c_int>,
) -> c_int {
    // Most calls complete at once: nothing to publish, nothing to lock.
    match done() {
        Ok(true) => {
            layer::progressed();
            return 0;
        }
        Ok(false) => {}
        Err(code) => return code,
    }
    let Some(limit) = layer::limit() else { return 0 };
    let since = Instant::now();
    // The blocked call is published at its first look around (after a
    // millisecond): a call that ends sooner costs no lock at all. Until
    // then it answers no question, so none can find it blocked.
    let mut make_ops = Some(ops);
    let mut ops: Option<Vec<Waiting>> = None;
    let me = thread_id();
    let token = NEXT_TOKEN.fetch_add(1, Ordering::Relaxed);
    let publish = |ops: &[Waiting]| {
        let now = Now { call, any, ops: ops.iter().map(|w| w.op.clone()).collect(), since };
        with(|w| w.threads.insert(me, Some(now)));
    };
    let mut next_service = now_ns() + SERVICE_EVERY_NS;
    let result = loop {
        match done() {
            Ok(true) => break 0,
            Ok(false) => {}
            Err(code) => break code,
        }
        let now = now_ns();
        if now >= next_service {
            next_service = now + SERVICE_EVERY_NS;
            match ops.as_mut() {
                None => {
                    let first = make_ops.take().map(|f| f()).unwrap_or_default();
                    publish(&first);
                    ops = Some(first);
                }
                Some(ops) => {
                    if drop_completed(ops) {
                        publish(ops);
                    }
                }
            }
            service();
            if since.elapsed() >= limit {
                investigate(token, limit);
            }
        }
        std::thread::yield_now();
    };
    if ops.is_some() {
        with(|w| {
            w.threads.insert(me, None);
            if w.investigation.as_ref().is_some_and(|inv| inv.token == token) {
                w.investigation = None;
            }
            w.noted.remove(&token);
            w.ask_after.remove(&token);
        });
    }
    layer::progressed();
    result
}

/// Leave out the operations whose requests have completed; true if any was.
fn drop_completed(ops: &mut Vec<Waiting>) -> bool {
    let before = ops.len();
    ops.retain(|w| {
        let Some(request) = w.request else { return true };
        // SAFETY: the request is the program's, in the array its wait was
        // given, and this thread is the one waiting on it; get_status does
        // not free it.
        unsafe {
            if *request == ffi::RSMPI_REQUEST_NULL {
                return false;
            }
            let mut flag: c_int = 0;
            ffi::PMPI_Request_get_status(*request, &mut flag, ffi::RSMPI_STATUS_IGNORE);
            flag == 0
        }
    });
    ops.len() != before
}

/// `MPI_Finalize` under the watch: this rank has finished; wait, answering
/// questions, until every rank has reached it.
pub fn finalize_barrier() {
    let Some(comm) = layer::with(|l| l.comm.0) else { return };
    with(|w| w.finished = true);
    // SAFETY: a non-blocking barrier on the layer's communicator, tested
    // until complete.
    unsafe {
        let mut request = std::mem::zeroed();
        ffi::PMPI_Ibarrier(comm, &mut request);
        loop {
            let mut flag: c_int = 0;
            ffi::PMPI_Test(&mut request, &mut flag, ffi::RSMPI_STATUS_IGNORE);
            if flag != 0 {
                break;
            }
            service();
            std::thread::yield_now();
        }
    }
    // Every rank is past its last question: from now on, messages are
    // only taken, never answered, so no new one is sent.
    with(|w| w.closing = true);
}

/// Before `MPI_Finalize`: take every message of the layer's that is still
/// on its way (each rank tells every other how many it sent it), and let
/// the layer's own sends finish; MPI must find none left. Bounded: what
/// has not come within a few seconds is left.
pub fn drain() {
    let Some((comm, size)) = layer::with(|l| (l.comm.0, l.hosts.len())) else { return };
    let sent: Vec<u64> = with(|w| (0..size as c_int).map(|p| w.messages_sent.get(&p).copied().unwrap_or(0)).collect());
    let mut expected = vec![0u64; size];
    // SAFETY: a collective over the layer's communicator, which every rank
    // calls here; each buffer holds one u64 per rank.
    unsafe {
        ffi::PMPI_Alltoall(
            sent.as_ptr() as *const c_void,
            1,
            ffi::RSMPI_UINT64_T,
            expected.as_mut_ptr() as *mut c_void,
            1,
            ffi::RSMPI_UINT64_T,
            comm,
        );
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    let missing = || {
        with(|w| {
            !w.outbox.is_empty()
                || (0..size).any(|p| w.messages_taken.get(&(p as c_int)).copied().unwrap_or(0) < expected[p])
        })
    };
    while missing() && Instant::now() < deadline {
        service();
        std::thread::yield_now();
    }
    let left = with(|w| std::mem::take(&mut w.outbox));
    for (mut request, _) in left {
        // SAFETY: cancelling and freeing a request of ours that never completed.
        unsafe {
            ffi::PMPI_Cancel(&mut request.0);
            ffi::PMPI_Request_free(&mut request.0);
        }
    }
}
