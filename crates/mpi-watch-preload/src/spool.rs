//! A rank's part of the trace, kept on its host's disk as it goes, so that
//! a rank's memory does not grow with its trace.
//!
//! During the run, each batch of noted events is written as fixed 40-byte
//! records (a copy, no formatting: tracing costs the run little); at
//! `MPI_Finalize` the records are read back a batch at a time and turned
//! into the trace's JSON lines, which travel to rank 0 in chunks.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::PathBuf;

use mpi_watch::trace::{Event, Line, Op};

/// One side of a message, as noted during the run (cheap to note: no
/// allocation, raw clock readings).
pub struct Noted {
    pub op: Op,
    pub call: &'static str,
    pub comm: &'static str,
    pub peer: i32,
    pub tag: i32,
    pub bytes: u64,
    pub start_ns: i64,
    pub end_ns: i64,
}

const RECORD: usize = 40;

/// The spool file and what is needed to read it back.
pub struct Spool {
    path: PathBuf,
    file: Option<BufWriter<File>>,
    /// The call names, by the number a record gives them.
    calls: Vec<&'static str>,
    /// The sends written, for the summary line.
    pub sends: u64,
    /// The first thing that went wrong, if anything did.
    pub error: Option<String>,
}

impl Spool {
    pub fn new(rank: i32) -> Spool {
        let path = std::env::temp_dir().join(format!("mpiwatch-{}-rank{rank}.spool", std::process::id()));
        let (file, error) = match File::create(&path) {
            Ok(file) => (Some(BufWriter::with_capacity(1 << 20, file)), None),
            Err(e) => (None, Some(format!("cannot write {}: {e}", path.display()))),
        };
        Spool { path, file, calls: Vec::new(), sends: 0, error }
    }

    fn fail(&mut self, what: &str, error: std::io::Error) {
        self.error.get_or_insert_with(|| format!("cannot {what} {}: {error}", self.path.display()));
        self.file = None;
    }

    /// Append these events.
    pub fn write(&mut self, events: &[Noted]) {
        let mut records = Vec::with_capacity(events.len() * RECORD);
        for n in events {
            let call = match self.calls.iter().position(|c| std::ptr::eq(*c, n.call)) {
                Some(i) => i,
                None => {
                    self.calls.push(n.call);
                    self.calls.len() - 1
                }
            };
            self.sends += u64::from(n.op == Op::Send);
            records.extend_from_slice(&(call as u16).to_le_bytes());
            records.push(u8::from(n.op == Op::Send));
            records.push(u8::from(n.comm != "world"));
            records.extend_from_slice(&n.peer.to_le_bytes());
            records.extend_from_slice(&n.tag.to_le_bytes());
            records.extend_from_slice(&[0; 4]);
            records.extend_from_slice(&n.bytes.to_le_bytes());
            records.extend_from_slice(&n.start_ns.to_le_bytes());
            records.extend_from_slice(&n.end_ns.to_le_bytes());
        }
        if let Some(file) = self.file.as_mut() {
            if let Err(e) = file.write_all(&records) {
                self.fail("write", e);
            }
        }
    }

    /// The spool as trace lines, for `rank`, with times turned to rank 0's
    /// clock by `us`: each chunk of at most `chunk` bytes (whole lines) is
    /// given to `out` as it is made.
    pub fn lines(&mut self, rank: i32, us: impl Fn(i64) -> f64, chunk: usize, mut out: impl FnMut(&[u8])) {
        let Some(mut file) = self.file.take() else { return };
        if let Err(e) = file.flush() {
            return self.fail("write", e);
        }
        let mut reader = match File::open(&self.path) {
            Ok(f) => BufReader::with_capacity(1 << 20, f),
            Err(e) => return self.fail("read", e),
        };
        let mut record = [0u8; RECORD];
        let mut buffer: Vec<u8> = Vec::with_capacity(chunk);
        let int = |b: &[u8]| i32::from_le_bytes(b.try_into().expect("4 bytes"));
        let long = |b: &[u8]| i64::from_le_bytes(b.try_into().expect("8 bytes"));
        while reader.read_exact(&mut record).is_ok() {
            let call = u16::from_le_bytes([record[0], record[1]]) as usize;
            let event = Event {
                rank,
                op: if record[2] == 1 { Op::Send } else { Op::Recv },
                call: self.calls.get(call).copied().unwrap_or("MPI").to_owned(),
                peer: int(&record[4..8]),
                tag: int(&record[8..12]),
                comm: if record[3] == 0 { "world" } else { "other" }.to_owned(),
                bytes: long(&record[16..24]) as u64,
                start_us: us(long(&record[24..32])),
                end_us: us(long(&record[32..40])),
            };
            let before = buffer.len();
            serde_json::to_writer(&mut buffer, &Line::Event(event)).expect("a trace line encodes");
            buffer.push(b'\n');
            if buffer.len() > chunk {
                // The line that made it too long goes in the next chunk.
                let line = buffer.split_off(before);
                out(&buffer);
                buffer = line;
            }
        }
        if !buffer.is_empty() {
            out(&buffer);
        }
    }
}

impl Drop for Spool {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
