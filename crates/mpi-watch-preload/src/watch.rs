//! The watch: a time limit on every blocking call, and a diagnosis when one
//! runs out.
//!
//! Under `MPI_WATCH_SECS`, a blocking call becomes its non-blocking twin
//! and a loop that tests it (`MPI_Recv` is `MPI_Irecv` and `MPI_Test`, as
//! MPI defines it); the loop never sleeps, so a message completes as soon
//! as it would have. Between tests, the rank answers the other ranks'
//! questions on the layer's own communicator. When the call has lasted the
//! limit, the rank says so in one line and asks every other rank what it is
//! doing; from the answers (and the silence of those that cannot answer) the
//! rank that speaks for the job ([`mpi_watch::diagnosis::defers`]) prints
//! the diagnosis, tells the others, and ends the job with `MPI_Abort`.

use std::collections::BTreeMap;
use std::os::raw::{c_int, c_void};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use mpi_sys as ffi;
use mpi_watch::diagnosis::{self, Peer, Report, Sent, State, Wait};

use crate::layer::{self, Handle, TAG_ANSWER, TAG_QUERY, TAG_VERDICT};

/// How long an asking rank waits for the answers before it calls the
/// silent ranks silent.
const ANSWER_WINDOW: Duration = Duration::from_secs(3);
/// How long a rank that left the diagnosis to another waits before it asks again.
const ASK_AGAIN: Duration = Duration::from_secs(2);
/// The exit code of a job the watch ends.
pub const EXIT_HUNG: c_int = 3;

struct Investigation {
    started: Instant,
    answers: BTreeMap<i32, Report>,
}

#[derive(Default)]
struct Watch {
    /// What the rank waits for now, and since when; `None` while it runs.
    blocked: Option<(Vec<Wait>, Instant)>,
    finished: bool,
    investigation: Option<Investigation>,
    /// Another rank has given the diagnosis: stay quiet until the end.
    verdict: bool,
    /// Sends of the layer's own, with their buffers, until they complete.
    outbox: Vec<(Handle<ffi::MPI_Request>, Vec<u8>)>,
}

static WATCH: Mutex<Option<Watch>> = Mutex::new(None);

fn with<R>(f: impl FnOnce(&mut Watch) -> R) -> R {
    let mut guard = WATCH.lock().unwrap_or_else(|p| p.into_inner());
    f(guard.get_or_insert_with(Watch::default))
}

/// One line on stderr, in one write, so that the lines of ranks that speak
/// at once are not interleaved.
pub fn say(line: &str) {
    use std::io::Write;
    let _ = std::io::stderr().write_all(format!("mpi-watch: {line}\n").as_bytes());
}

/// What this rank is doing, as it answers a question.
fn my_report() -> Report {
    let (rank, host, sent) = layer::with(|l| {
        let sent = l.sent.iter().map(|(&(to, tag), &count)| Sent { to, tag, count }).collect();
        (l.rank, l.hosts.get(l.rank as usize).cloned().unwrap_or_default(), sent)
    })
    .unwrap_or_default();
    let state = with(|w| match (&w.blocked, w.finished) {
        (_, true) => State::Finished,
        (Some((waits, since)), false) => {
            State::Blocked { waits: waits.clone(), seconds: since.elapsed().as_secs_f64() }
        }
        (None, false) => State::Running,
    });
    Report { rank, host, state, sent }
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
        with(|w| w.outbox.push((Handle(request), bytes)));
    }
}

/// Answer whatever the other ranks asked, take in their answers and
/// verdicts, and forget our own sends that have completed.
pub fn service() {
    let Some((comm, _)) = layer::with(|l| (l.comm.0, l.rank)) else { return };
    loop {
        // SAFETY: probe and receive on the layer's communicator, into a
        // buffer of the probed size.
        let (source, tag, bytes) = unsafe {
            let mut flag: c_int = 0;
            let mut status: ffi::MPI_Status = std::mem::zeroed();
            ffi::PMPI_Iprobe(layer::any_source(), layer::any_tag(), comm, &mut flag, &mut status);
            if flag == 0 {
                break;
            }
            let mut count: c_int = 0;
            ffi::PMPI_Get_count(&status, ffi::RSMPI_UINT8_T, &mut count);
            let mut bytes = vec![0u8; count.max(1) as usize];
            ffi::PMPI_Recv(
                bytes.as_mut_ptr() as *mut c_void,
                count,
                ffi::RSMPI_UINT8_T,
                status.MPI_SOURCE,
                status.MPI_TAG,
                comm,
                ffi::RSMPI_STATUS_IGNORE,
            );
            bytes.truncate(count.max(0) as usize);
            (status.MPI_SOURCE, status.MPI_TAG, bytes)
        };
        match tag {
            TAG_QUERY => {
                let answer = serde_json::to_vec(&my_report()).expect("a report encodes");
                post(comm, source, TAG_ANSWER, answer);
            }
            TAG_ANSWER => {
                if let Ok(report) = serde_json::from_slice::<Report>(&bytes) {
                    with(|w| {
                        if let Some(inv) = w.investigation.as_mut() {
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
    with(|w| {
        w.outbox.retain_mut(|(request, _)| {
            let mut flag: c_int = 0;
            // SAFETY: testing a request of ours that is still active.
            unsafe { ffi::PMPI_Test(&mut request.0, &mut flag, ffi::RSMPI_STATUS_IGNORE) };
            flag == 0
        })
    });
}

/// Ask every other rank what it is doing.
fn ask_everyone() {
    let Some((comm, rank, size)) = layer::with(|l| (l.comm.0, l.rank, l.hosts.len() as c_int)) else { return };
    with(|w| w.investigation = Some(Investigation { started: Instant::now(), answers: BTreeMap::new() }));
    for peer in (0..size).filter(|&p| p != rank) {
        post(comm, peer, TAG_QUERY, Vec::new());
    }
}

/// If the answers are in (or the window is over), decide: leave it to a
/// rank that speaks before this one, or give the diagnosis and end the job.
fn conclude_if_ready() {
    let size = layer::with(|l| l.hosts.len()).unwrap_or(0);
    let ready = with(|w| {
        w.investigation
            .as_ref()
            .is_some_and(|inv| inv.answers.len() + 1 >= size || inv.started.elapsed() >= ANSWER_WINDOW)
    });
    if !ready {
        return;
    }
    let Some(investigation) = with(|w| w.investigation.take()) else { return };
    if with(|w| w.verdict) {
        return;
    }
    let me = my_report();
    if me.state == State::Running || diagnosis::defers(&me, &investigation.answers) {
        return;
    }
    let mut reports = investigation.answers;
    let rank = me.rank;
    reports.insert(rank, me);
    let Some((comm, hosts)) = layer::with(|l| (l.comm.0, l.hosts.clone())) else { return };
    say(&diagnosis::diagnose(rank, &reports, &hosts));
    for peer in (0..hosts.len() as c_int).filter(|&p| p != rank) {
        post(comm, peer, TAG_VERDICT, Vec::new());
    }
    // The launcher kills every rank on an abort, and may stop forwarding
    // output at once: let it read the diagnosis first.
    wait_until_stderr_is_read(Duration::from_secs(2));
    // SAFETY: ends every rank of the job; does not return.
    unsafe { ffi::PMPI_Abort(layer::world(), EXIT_HUNG) };
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

/// Block, under the watch, until `done` says the operation is complete
/// (or fails with an MPI error code). `waits` says what it waits for.
pub fn block_on(waits: Vec<Wait>, mut done: impl FnMut() -> Result<bool, c_int>) -> c_int {
    block(waits, false, &mut done)
}

/// `MPI_Finalize` under the watch: wait, answering questions, until every
/// rank has reached it.
pub fn finalize_barrier() {
    let Some(comm) = layer::with(|l| l.comm.0) else { return };
    // SAFETY: a non-blocking barrier on the layer's communicator, tested
    // until complete.
    unsafe {
        let mut request = std::mem::zeroed();
        ffi::PMPI_Ibarrier(comm, &mut request);
        block(Vec::new(), true, &mut || {
            let mut flag: c_int = 0;
            ffi::PMPI_Test(&mut request, &mut flag, ffi::RSMPI_STATUS_IGNORE);
            Ok(flag != 0)
        });
    }
}

fn block(waits: Vec<Wait>, finishing: bool, done: &mut dyn FnMut() -> Result<bool, c_int>) -> c_int {
    let Some(limit) = layer::with(|l| l.limit).flatten() else { return 0 };
    let started = Instant::now();
    with(|w| {
        w.blocked = Some((waits, started));
        w.finished |= finishing;
    });
    let mut next_question = started + limit;
    let mut said = false;
    let result = loop {
        match done() {
            Ok(true) => break 0,
            Ok(false) => {}
            Err(code) => break code,
        }
        service();
        let now = Instant::now();
        if now >= next_question && !with(|w| w.verdict) {
            if !said && !finishing {
                say(&diagnosis::blocked_line(&my_report(), limit.as_secs_f64()));
                said = true;
            }
            if with(|w| w.investigation.is_none()) {
                ask_everyone();
            }
            next_question = now + ANSWER_WINDOW + ASK_AGAIN;
        }
        conclude_if_ready();
        std::thread::yield_now();
    };
    with(|w| w.blocked = None);
    result
}

/// Before `MPI_Finalize`: let the layer's last sends finish (every rank has
/// reached the final barrier, so they can), and cancel any that cannot.
pub fn drain() {
    let deadline = Instant::now() + Duration::from_secs(2);
    while with(|w| !w.outbox.is_empty()) && Instant::now() < deadline {
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

/// What a receive (or probe) from `source` with `tag` on `comm` waits for.
pub fn wait_for(call: &str, comm: ffi::MPI_Comm, source: c_int, tag: c_int) -> Wait {
    let peer = if source == layer::any_source() { Peer::Any } else { Peer::Rank(layer::world_rank(comm, source)) };
    let tag = if tag == layer::any_tag() { None } else { Some(tag) };
    Wait { call: call.to_owned(), peer, tag }
}
