//! A record of every message: who sent what to whom, and when.
//!
//! With `--trace FILE`, each rank notes its sends and receives (peer, tag,
//! bytes, start and end times); at the end rank 0 gathers the notes and
//! writes them to FILE as JSON lines, ordered by time. `trace-svg` turns
//! the file into a sequence diagram.
//!
//! Times are microseconds since a barrier that every rank passes at the
//! start, each on its own clock: on one machine they compare directly; across
//! hosts, as well as those hosts' clocks agree.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use mpi::datatype::Equivalence;
use mpi::point_to_point::{Destination, Source, Status};
use mpi::topology::{Rank, SimpleCommunicator};
use mpi::traits::{Buffer, Communicator, CommunicatorCollectives};
use serde::{Deserialize, Serialize};

use crate::bounded;

/// The tag the trace's own gathering uses; lessons do not use it.
const TRACE_TAG: i32 = 32_000;

/// Whether an event is a send or a receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    /// The rank sent a message to `peer`.
    Send,
    /// The rank received a message from `peer`.
    Recv,
}

/// One send or receive, as one JSON line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The rank that did it.
    pub rank: Rank,
    /// Send or receive.
    pub op: Op,
    /// The other rank.
    pub peer: Rank,
    /// The message's tag.
    pub tag: i32,
    /// The message's size in bytes.
    pub bytes: usize,
    /// When the call started, in microseconds since the start barrier.
    pub start_us: f64,
    /// When it returned.
    pub end_us: f64,
}

/// The events of one rank, and where they go at the end.
pub struct Trace {
    rank: Rank,
    t0: f64,
    file: Option<PathBuf>,
    events: Vec<Event>,
}

impl Trace {
    /// Start tracing if `file` is given (every rank must call this, with the
    /// same choice: it passes a barrier when tracing).
    pub fn start(world: &SimpleCommunicator, file: Option<PathBuf>) -> Trace {
        if file.is_some() {
            world.barrier();
        }
        Trace { rank: world.rank(), t0: mpi::time(), file, events: Vec::new() }
    }

    /// Microseconds since the start barrier.
    pub fn now(&self) -> f64 {
        (mpi::time() - self.t0) * 1e6
    }

    /// Note an event that started at `start_us` (from [`now`](Self::now))
    /// and ends now.
    pub fn record(&mut self, op: Op, peer: Rank, tag: i32, bytes: usize, start_us: f64) {
        if self.file.is_some() {
            let end_us = self.now();
            self.events.push(Event { rank: self.rank, op, peer, tag, bytes, start_us, end_us });
        }
    }

    /// `destination.send(buf)`, noted.
    pub fn send<D, B>(&mut self, destination: &D, buf: &B)
    where
        D: Destination,
        B: Buffer + ?Sized,
    {
        self.send_with_tag(destination, buf, 0);
    }

    /// `destination.send_with_tag(buf, tag)`, noted.
    pub fn send_with_tag<D, B>(&mut self, destination: &D, buf: &B, tag: i32)
    where
        D: Destination,
        B: Buffer + ?Sized,
    {
        let start = self.now();
        destination.send_with_tag(buf, tag);
        self.record(Op::Send, destination.destination_rank(), tag, std::mem::size_of_val(buf), start);
    }

    /// [`bounded::receive`], noted.
    pub fn receive<T, S>(&mut self, world: &SimpleCommunicator, source: &S, limit: Duration, what: &str) -> (T, Status)
    where
        T: Equivalence,
        S: Source,
    {
        let start = self.now();
        let (value, status) = bounded::receive::<T, S>(world, source, limit, what);
        self.record(Op::Recv, status.source_rank(), status.tag(), std::mem::size_of::<T>(), start);
        (value, status)
    }

    /// [`bounded::receive_vec`], noted.
    pub fn receive_vec<T, S>(
        &mut self,
        world: &SimpleCommunicator,
        source: &S,
        limit: Duration,
        what: &str,
    ) -> (Vec<T>, Status)
    where
        T: Equivalence,
        S: Source,
    {
        self.receive_vec_with_tag(world, source, None, limit, what)
    }

    /// [`bounded::receive_vec_with_tag`], noted.
    pub fn receive_vec_with_tag<T, S>(
        &mut self,
        world: &SimpleCommunicator,
        source: &S,
        tag: Option<i32>,
        limit: Duration,
        what: &str,
    ) -> (Vec<T>, Status)
    where
        T: Equivalence,
        S: Source,
    {
        let start = self.now();
        let (values, status) = bounded::receive_vec_with_tag::<T, S>(world, source, tag, limit, what);
        self.record(Op::Recv, status.source_rank(), status.tag(), std::mem::size_of_val(values.as_slice()), start);
        (values, status)
    }

    /// Gather every rank's events on rank 0 and write the file. Every rank
    /// must call it. Returns an error message on rank 0 if the file could
    /// not be written.
    pub fn finish(self, world: &SimpleCommunicator, limit: Duration) -> Result<(), String> {
        let Some(file) = self.file else { return Ok(()) };
        let mine = encode(&self.events);
        if self.rank != 0 {
            world.process_at_rank(0).send_with_tag(&mine[..], TRACE_TAG);
            return Ok(());
        }
        let mut events = self.events;
        for rank in 1..world.size() {
            let source = world.process_at_rank(rank);
            let what = format!("rank {rank}'s trace");
            let (bytes, _) = bounded::receive_vec::<u8, _>(world, &source, limit, &what);
            events.extend(decode(&bytes).map_err(|e| format!("rank {rank}'s trace: {e}"))?);
        }
        events.sort_by(|a, b| a.start_us.total_cmp(&b.start_us).then(a.rank.cmp(&b.rank)));
        write(&file, &events).map_err(|e| format!("cannot write the trace to {}: {e}", file.display()))
    }
}

fn encode(events: &[Event]) -> Vec<u8> {
    let mut bytes = Vec::new();
    for event in events {
        serde_json::to_writer(&mut bytes, event).expect("an event encodes");
        bytes.push(b'\n');
    }
    bytes
}

/// Parse JSON lines of events.
pub fn decode(bytes: &[u8]) -> Result<Vec<Event>, serde_json::Error> {
    bytes
        .split(|&b| b == b'\n')
        .filter(|line| !line.iter().all(u8::is_ascii_whitespace))
        .map(serde_json::from_slice)
        .collect()
}

fn write(file: &std::path::Path, events: &[Event]) -> std::io::Result<()> {
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut out = std::io::BufWriter::new(std::fs::File::create(file)?);
    out.write_all(&encode(events))?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_as_json_lines() {
        let events = vec![
            Event { rank: 0, op: Op::Send, peer: 4, tag: 0, bytes: 4, start_us: 1.0, end_us: 2.5 },
            Event { rank: 4, op: Op::Recv, peer: 0, tag: 0, bytes: 4, start_us: 0.5, end_us: 3.0 },
        ];
        let text = encode(&events);
        assert_eq!(String::from_utf8_lossy(&text).lines().count(), 2);
        assert!(String::from_utf8_lossy(&text).starts_with(r#"{"rank":0,"op":"send","peer":4,"tag":0,"bytes":4"#));
        assert_eq!(decode(&text).unwrap(), events);
    }

    #[test]
    fn a_broken_line_is_an_error() {
        assert!(decode(b"{\"rank\":0}\n").is_err());
    }
}
