//! The trace file: one JSON object a line.
//!
//! `scripts/mpirun --trace FILE` preloads the profiling layer, which notes
//! every send and receive of every rank and, at `MPI_Finalize`, gathers the
//! notes on rank 0, which writes FILE:
//!
//! ```text
//! {"kind":"rank","rank":0,"host":"laptop","clock_offset_us":0.0,"clock_error_us":0.0}
//! {"kind":"event","rank":0,"op":"send","call":"MPI_Send","peer":4,"tag":0,"comm":"world","bytes":4,"start_us":12.1,"end_us":12.9}
//! ```
//!
//! One `rank` line per rank: its host, how far its clock was from rank 0's
//! (measured at `MPI_Init` by ping-pongs, the round trip halved), and how
//! far that measure may be off (half the shortest round trip). Every time
//! in the file is already on rank 0's clock, in microseconds since the end
//! of that measurement, so times from different hosts compare directly,
//! within their ranks' errors.
//! Peers are ranks in `MPI_COMM_WORLD`, whatever communicator the call used.

use std::io::Write;

use serde::{Deserialize, Serialize};

/// What an event is: one side of a message, a wait, or a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    /// The rank sent a message to `peer`.
    Send,
    /// The rank received a message from `peer`.
    Recv,
    /// The process waited, or held something, in a call that moved no
    /// message (a lock, a barrier, a join): `call` says which; `peer` is
    /// the process itself. Only process traces have them.
    Wait,
    /// Something happened at one moment (a process started, ended, was
    /// reaped): `call` says what, `start_us == end_us`, `peer` is the
    /// process itself. Only process traces have them.
    Mark,
}

/// One side of one message (a send or a receive, from its call to its
/// end), or, in a process trace, a wait or a moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The rank that did it (in `MPI_COMM_WORLD`).
    pub rank: i32,
    /// Send or receive.
    pub op: Op,
    /// The MPI call that started it (`MPI_Send`, `MPI_Irecv`, `MPI_Mrecv`, ...).
    pub call: String,
    /// The other rank (in `MPI_COMM_WORLD`).
    pub peer: i32,
    /// The message's tag.
    pub tag: i32,
    /// The communicator: `world`, or `other` for any communicator but the world.
    pub comm: String,
    /// The message's size in bytes.
    pub bytes: u64,
    /// When the call started (a non-blocking one: when it was posted), in
    /// microseconds on rank 0's clock.
    pub start_us: f64,
    /// When the operation completed (a non-blocking one: when a wait or a
    /// test found it complete).
    pub end_us: f64,
}

/// Where a rank ran, and how its clock compared to rank 0's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankInfo {
    /// The rank.
    pub rank: i32,
    /// What its lifeline is called: a process's name (`MainProcess`,
    /// `Worker-1`); an MPI rank has none and is called `rank N`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its host name.
    pub host: String,
    /// Its clock minus rank 0's, in microseconds, as measured at `MPI_Init`.
    pub clock_offset_us: f64,
    /// How far that offset may be off: half the shortest round trip of
    /// the measurement (0 on rank 0's host, which shares its clock). Times
    /// of ranks on different hosts compare within the sum of their errors.
    #[serde(default)]
    pub clock_error_us: f64,
}

/// One line of a trace file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Line {
    /// A rank's host and clock.
    Rank(RankInfo),
    /// A send or a receive.
    Event(Event),
}

/// A whole trace: the ranks, and their events in time order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    /// One entry per rank, in rank order.
    pub ranks: Vec<RankInfo>,
    /// Every send and receive, ordered by start time.
    pub events: Vec<Event>,
}

impl Trace {
    /// Put ranks and events in order (ranks by number, events by start).
    pub fn sort(&mut self) {
        self.ranks.sort_by_key(|r| r.rank);
        self.events.sort_by(|a, b| a.start_us.total_cmp(&b.start_us).then(a.rank.cmp(&b.rank)));
    }

    /// The trace as JSON lines.
    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        let lines = self.ranks.iter().cloned().map(Line::Rank).chain(self.events.iter().cloned().map(Line::Event));
        for line in lines {
            serde_json::to_writer(&mut bytes, &line).expect("a trace line encodes");
            bytes.push(b'\n');
        }
        bytes
    }

    /// Parse JSON lines; a line that is not a trace line is an error naming it.
    pub fn decode(bytes: &[u8]) -> Result<Trace, String> {
        let mut trace = Trace::default();
        for (number, line) in bytes.split(|&b| b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice(line).map_err(|e| format!("line {}: {e}", number + 1))? {
                Line::Rank(rank) => trace.ranks.push(rank),
                Line::Event(event) => trace.events.push(event),
            }
        }
        trace.sort();
        Ok(trace)
    }

    /// Read a trace file; an error names the file and what is wrong.
    pub fn read(file: &std::path::Path) -> Result<Trace, String> {
        let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        Trace::decode(&bytes).map_err(|e| format!("{} is not a trace: {e}", file.display()))
    }

    /// Write `bytes` (a drawing of a trace, say) to `file`, making its
    /// folder if need be; an error names the file.
    pub fn write_output(file: &std::path::Path, bytes: &[u8]) -> Result<(), String> {
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        std::fs::write(file, bytes).map_err(|e| format!("cannot write {}: {e}", file.display()))
    }

    /// Write the trace to `file`, making its folder if need be.
    pub fn write(&self, file: &std::path::Path) -> std::io::Result<()> {
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut out = std::io::BufWriter::new(std::fs::File::create(file)?);
        out.write_all(&self.encode())?;
        out.flush()
    }

    /// What rank `rank`'s lifeline is called: its name, else `rank N`.
    pub fn lifeline(&self, rank: i32) -> String {
        match self.ranks.iter().find(|r| r.rank == rank).and_then(|r| r.name.clone()) {
            Some(name) => name,
            None => format!("rank {rank}"),
        }
    }

    /// How many ranks the trace speaks of.
    pub fn size(&self) -> i32 {
        let named = self.events.iter().flat_map(|e| [e.rank, e.peer]).max().map_or(0, |m| m + 1);
        named.max(self.ranks.iter().map(|r| r.rank + 1).max().unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(rank: i32, op: Op, peer: i32, start_us: f64) -> Event {
        Event {
            rank,
            op,
            call: "MPI_Send".into(),
            peer,
            tag: 0,
            comm: "world".into(),
            bytes: 4,
            start_us,
            end_us: start_us + 1.0,
        }
    }

    #[test]
    fn a_trace_round_trips_as_json_lines() {
        let mut trace = Trace {
            ranks: vec![
                RankInfo { rank: 1, name: None, host: "b".into(), clock_offset_us: -3.5, clock_error_us: 0.75 },
                RankInfo { rank: 0, name: None, host: "a".into(), clock_offset_us: 0.0, clock_error_us: 0.0 },
            ],
            events: vec![event(4, Op::Recv, 0, 0.5), event(0, Op::Send, 4, 1.0)],
        };
        trace.sort();
        let text = trace.encode();
        let text = String::from_utf8(text).unwrap();
        assert_eq!(text.lines().count(), 4);
        assert!(text.starts_with(r#"{"kind":"rank","rank":0,"host":"a""#), "{text}");
        assert!(text.contains(r#"{"kind":"event","rank":4,"op":"recv","call":"MPI_Send","peer":0"#), "{text}");
        assert_eq!(Trace::decode(text.as_bytes()).unwrap(), trace);
        assert_eq!(trace.size(), 5);
    }

    #[test]
    fn a_broken_line_is_an_error_naming_it() {
        let error = Trace::decode(b"\n{\"kind\":\"rank\",\"rank\":0}\n").unwrap_err();
        assert!(error.starts_with("line 2:"), "{error}");
    }
}
