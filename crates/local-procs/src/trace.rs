//! What the library does, seen from outside: every process started and
//! ended, every pipe message and queue item sent and received, recorded
//! through `tracing` and written, under `local-procs --trace FILE`, one
//! JSON line per event, each process into its own file.
//!
//! The library emits `tracing` events and spans (target `local_procs`)
//! wherever a process starts, ends, is signalled, joined or reaped, waits
//! or holds a lock, and wherever a pipe message or a queue item goes in or
//! comes out; until [`emit`] is called (by [`init_from_env`]) each costs one
//! relaxed load of a flag. [`init_from_env`]
//! installs the writer when [`DIR_VAR`] names a folder: each process
//! appends to `DIR/PID.jsonl`, one `write` per line (no buffer, so that a
//! fork copies nothing half-written), with the time on `CLOCK_MONOTONIC`,
//! which every process of the machine shares. [`merge`] reads the folder
//! into one trace in the MPI traces' format (`mpi_watch::trace`): processes
//! as lifelines, each item an arrow from its put to its get, so that
//! `trace-svg` and `trace-perfetto` draw it as they draw an MPI job.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use mpi_watch::trace::{Event as TraceEvent, Op, RankInfo, Trace};
use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

/// The environment variable that names the folder the events go to.
pub const DIR_VAR: &str = "LOCAL_PROCS_TRACE_DIR";

/// Microseconds on the machine's monotonic clock.
pub(crate) fn now_us() -> f64 {
    let mut time = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime fills the struct it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut time) };
    time.tv_sec as f64 * 1e6 + time.tv_nsec as f64 / 1e3
}

/// The time a traced call starts, when a trace is being written (else
/// `None`, and no clock is read).
pub(crate) fn start() -> Option<f64> {
    (on() && tracing::enabled!(target: "local_procs", tracing::Level::TRACE)).then(now_us)
}

/// Whether the library emits its events at all: once [`init_from_env`]
/// installed the writer, or [`emit`] was called for a subscriber of your
/// own. Off, each traced call costs one load of this flag: a `tracing`
/// callsite costs more in a forked child, which registers it anew (about
/// 14 µs on each start and join of a process, measured).
static EMIT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn on() -> bool {
    EMIT.load(std::sync::atomic::Ordering::Relaxed)
}

/// Emit the library's events and spans (target `local_procs`) to whatever
/// `tracing` subscriber is installed; [`init_from_env`] calls it.
pub fn emit() {
    EMIT.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// A name for a new pipe or queue, unique on this machine while its
/// creator lives: the creator's pid and a count.
pub(crate) fn channel_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    (u64::from(std::process::id()) << 32) | u64::from(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
}

/// A stretch of a process's time that moves no message: a wait (for a
/// lock, a barrier, an event, a child), a lock held, a pool task run. A
/// `tracing` span, open until dropped; with no trace written,
/// `Span::none()`, and `call`'s words are never formatted.
pub(crate) fn span(call: fmt::Arguments<'_>) -> tracing::Span {
    if !on() {
        return tracing::Span::none();
    }
    tracing::trace_span!(target: "local_procs", "span", call = %call)
}

/// A moment in this process's life (it started, it ended, it signalled a
/// child), drawn as a dot with its words on its lifeline.
pub(crate) fn mark(call: fmt::Arguments<'_>) {
    if on() {
        tracing::trace!(target: "local_procs", op = "mark", call = %call);
    }
}

/// A moment in a child's life seen by its parent (its end collected, how
/// it ended), drawn on the child's lifeline.
pub(crate) fn mark_child(pid: i32, name: &str, call: fmt::Arguments<'_>) {
    if on() {
        tracing::trace!(target: "local_procs", op = "mark", call = %call, subject_pid = pid, subject = name);
    }
}

/// How a process ended, from its exit code in Python's convention (`-N`:
/// killed by signal N), in words: `exit code 0`, `killed by SIGTERM`.
pub(crate) struct HowEnded(pub(crate) i32);

impl fmt::Display for HowEnded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.0;
        if code >= 0 {
            return write!(f, "exit code {code}");
        }
        match nix::sys::signal::Signal::try_from(-code) {
            Ok(signal) => write!(f, "killed by {}", signal.as_str()),
            Err(_) => write!(f, "killed by signal {}", -code),
        }
    }
}

/// Install the writer if [`DIR_VAR`] is set; true if it was.
pub fn init_from_env() -> bool {
    let Some(dir) = std::env::var_os(DIR_VAR) else { return false };
    let layer = Writer { dir: dir.into(), file: Mutex::new(None) };
    let subscriber =
        tracing_subscriber::registry().with(layer.with_filter(tracing_subscriber::filter::filter_fn(|metadata| {
            metadata.target().starts_with("local_procs")
        })));
    let installed = tracing::subscriber::set_global_default(subscriber).is_ok();
    if installed {
        emit();
    }
    installed
}

/// Writes each event as a JSON line into its process's file.
struct Writer {
    dir: std::path::PathBuf,
    /// The file of the process that opened it: a forked child, which finds
    /// its parent's pid here, opens its own.
    file: Mutex<Option<(i32, std::fs::File)>>,
}

/// An event's fields as JSON.
struct Fields(Map<String, Value>);

impl Visit for Fields {
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().into(), format!("{value:?}").into());
    }
}

/// A span's fields and when it opened, kept in the span until it closes.
struct Opened(Map<String, Value>);

impl<S> Layer<S> for Writer
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &tracing::span::Attributes<'_>, id: &tracing::span::Id, ctx: Context<'_, S>) {
        let mut fields = Fields(Map::new());
        attrs.record(&mut fields);
        fields.0.insert("start_us".into(), now_us().into());
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(Opened(fields.0));
        }
    }

    fn on_close(&self, id: tracing::span::Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let Some(Opened(mut fields)) = span.extensions_mut().remove::<Opened>() else { return };
        fields.insert("op".into(), "span".into());
        self.write(fields);
    }

    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut fields = Fields(Map::new());
        event.record(&mut fields);
        self.write(fields.0);
    }
}

impl Writer {
    /// Append one line to this process's file.
    fn write(&self, mut fields: Map<String, Value>) {
        let pid = std::process::id() as i32;
        fields.insert("pid".into(), pid.into());
        fields.insert("process".into(), crate::current_name().into());
        fields.entry("t_us").or_insert_with(|| now_us().into());
        let mut line = serde_json::to_vec(&Value::Object(fields)).unwrap_or_default();
        line.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if !file.as_ref().is_some_and(|(owner, _)| *owner == pid) {
            let path = self.dir.join(format!("{pid}.jsonl"));
            *file = std::fs::OpenOptions::new().create(true).append(true).open(path).ok().map(|f| (pid, f));
        }
        if let Some((_, file)) = file.as_mut() {
            let _ = file.write_all(&line);
        }
    }
}

/// One line of a process's file.
#[derive(Debug, Clone, serde::Deserialize)]
struct Line {
    pid: i32,
    process: String,
    /// What happened; a line without one (a warning) is not drawn.
    #[serde(default)]
    op: String,
    #[serde(default)]
    t_us: f64,
    #[serde(default)]
    start_us: f64,
    #[serde(default)]
    channel: u64,
    #[serde(default)]
    seq: u64,
    #[serde(default)]
    bytes: u64,
    /// A span's or a mark's words.
    #[serde(default)]
    call: String,
    /// A mark about another process (a child whose end was collected):
    /// its pid and name; 0 when the mark is about the writer itself.
    #[serde(default)]
    subject_pid: i32,
    #[serde(default)]
    subject: String,
}

/// Read every process's file in `dir` into one trace: processes in the
/// order of their pids, each pipe message and queue item a send (its
/// put) and a receive (its get), paired by their channel and their place
/// in it (the k-th item put into a queue is the k-th got from it). Also
/// returns how many items were put and never got.
pub fn merge(dir: &Path) -> Result<(Trace, usize), String> {
    let mut lines = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        for (number, line) in text.lines().enumerate() {
            let line: Line =
                serde_json::from_str(line).map_err(|e| format!("{}:{}: {e}", path.display(), number + 1))?;
            lines.push(line);
        }
    }
    lines.sort_by(|a, b| a.t_us.total_cmp(&b.t_us));
    // Time 0 is the earliest moment any line speaks of (a long span starts
    // before lines written earlier than it ends).
    let origin = lines
        .iter()
        .map(|l| if l.start_us > 0.0 { l.start_us.min(l.t_us) } else { l.t_us })
        .fold(f64::INFINITY, f64::min);
    let origin = if origin.is_finite() { origin } else { 0.0 };
    // The lifelines: every process a line is by or about, in the order of
    // their pids (the order they were started, but for a wrap of the pids).
    let mut ranks: Vec<(i32, String)> = Vec::new();
    for (pid, name) in lines.iter().flat_map(|l| [(l.pid, &l.process), (l.subject_pid, &l.subject)]) {
        if pid != 0 && !ranks.iter().any(|r| r.0 == pid) {
            ranks.push((pid, name.clone()));
        }
    }
    ranks.sort_by_key(|r| r.0);
    let rank_of = |pid: i32| ranks.iter().position(|r| r.0 == pid).map_or(0, |rank| rank as i32);
    // Each channel's sends and receives, in order: a queue's by the place
    // the lock gave each item (`seq`), a pipe's by time (one writer's
    // messages arrive in the order they were written).
    type Side = (i32, Line);
    let mut sides: BTreeMap<u64, (Vec<Side>, Vec<Side>)> = BTreeMap::new();
    let mut moments = Vec::new();
    for line in &lines {
        let rank = rank_of(line.pid);
        let entry = sides.entry(line.channel);
        match line.op.as_str() {
            "put" | "send" => entry.or_default().0.push((rank, line.clone())),
            "get" | "recv" => entry.or_default().1.push((rank, line.clone())),
            "span" | "mark" => {
                let (rank, op, start) = match (line.op.as_str(), line.subject_pid) {
                    ("span", _) => (rank, Op::Wait, line.start_us),
                    (_, 0) => (rank, Op::Mark, line.t_us),
                    (_, pid) => (rank_of(pid), Op::Mark, line.t_us),
                };
                moments.push(TraceEvent {
                    rank,
                    op,
                    call: line.call.clone(),
                    peer: rank,
                    tag: 0,
                    comm: "process".into(),
                    bytes: 0,
                    start_us: start,
                    end_us: line.t_us,
                });
            }
            _ => {}
        }
    }
    let mut trace = Trace {
        ranks: ranks
            .iter()
            .enumerate()
            .map(|(rank, (pid, name))| RankInfo {
                rank: rank as i32,
                name: Some(name.clone()),
                host: format!("pid {pid}"),
                clock_offset_us: 0.0,
                clock_error_us: 0.0,
            })
            .collect(),
        events: moments
            .into_iter()
            .map(|mut e| {
                (e.start_us, e.end_us) = (e.start_us.max(origin) - origin, e.end_us - origin);
                e
            })
            .collect(),
    };
    let mut never_got = 0;
    for (tag, (_, (mut puts, mut gets))) in sides.into_iter().enumerate() {
        let tag = tag as i32;
        for list in [&mut puts, &mut gets] {
            list.sort_by(|a, b| a.1.seq.cmp(&b.1.seq).then(a.1.t_us.total_cmp(&b.1.t_us)));
            // A queue numbers its puts and its gets 0, 1, 2, ... under its
            // lock: the pairing rests on it, so a gap or a repeat is an error.
            let queue = list.first().is_some_and(|(_, l)| l.op == "put" || l.op == "get");
            if queue && list.iter().enumerate().any(|(k, (_, l))| l.seq != k as u64) {
                return Err(format!("queue {tag}: its items are not numbered 0, 1, 2, ... in the trace"));
            }
        }
        let event = |(rank, line): &Side, op: Op, peer: i32| {
            let kind = if line.op == "put" || line.op == "get" { "queue" } else { "pipe" };
            TraceEvent {
                rank: *rank,
                op,
                call: format!("{kind}.{}", line.op),
                peer,
                tag,
                comm: kind.to_owned(),
                bytes: line.bytes,
                start_us: line.start_us.max(origin) - origin,
                end_us: line.t_us - origin,
            }
        };
        let mut gets = gets.into_iter();
        for put in &puts {
            match gets.next() {
                Some(get) => {
                    trace.events.push(event(put, Op::Send, get.0));
                    trace.events.push(event(&get, Op::Recv, put.0));
                }
                None => {
                    never_got += 1;
                    trace.events.push(event(put, Op::Send, put.0));
                }
            }
        }
        for get in gets {
            trace.events.push(event(&get, Op::Recv, get.0));
        }
    }
    trace.sort();
    Ok((trace, never_got))
}
