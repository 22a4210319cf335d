//! `pipe()`: Python's `Pipe(duplex=False)`, a one-way channel of typed
//! messages between processes, on an OS pipe.
//!
//! Each message is encoded with serde (postcard) and framed by its length.
//! A receiver sees the end of input (`Ok(None)`) only when *every* copy of
//! the sending end is closed, in every process: `fork` copies open
//! descriptors into the child, so each process must close the ends it does
//! not use. Forgetting one is the classic pipe bug: a reader that never ends.
//!
//! Both ends are close-on-exec: a program this one starts never holds a
//! sending end open by accident. A message that does not decode, or a
//! message cut short by the end of input, is reported once, and the
//! receiver moves past it: iterating never repeats the same error.

use std::fs::File;
use std::io::{self, Read, Write};
use std::marker::PhantomData;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::Error;

/// How much a receiver reads at a time, at least.
const READ_CHUNK: usize = 64 * 1024;

/// Create a pipe: the sending end and the receiving end.
///
/// An end moved into a process's closure belongs to that process: the
/// parent can no longer use it (the compiler refuses, error E0382, a use
/// after a move), which is how the pipe lesson's closing of unused ends
/// comes for free.
///
/// ```compile_fail,E0382
/// use local_procs::{pipe, Process};
/// let (mut tx, rx) = pipe::<u32>().unwrap();
/// let mut child = Process::new(move || tx.send(&1).unwrap());
/// tx.send(&2).unwrap(); // tx is the child's now
/// ```
pub fn pipe<T>() -> Result<(Sender<T>, Receiver<T>), Error> {
    let (read, write) = nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| Error::Os("pipe", e))?;
    let channel = crate::trace::channel_id();
    Ok((
        Sender { file: File::from(write), frame: Vec::new(), channel, _type: PhantomData },
        Receiver { file: File::from(read), buf: Vec::new(), start: 0, end: 0, channel, _type: PhantomData },
    ))
}

/// The sending end of a pipe.
pub struct Sender<T> {
    file: File,
    frame: Vec<u8>,
    /// The pipe's name in a trace (see `trace`).
    channel: u64,
    _type: PhantomData<fn(T)>,
}

/// The receiving end of a pipe.
pub struct Receiver<T> {
    file: File,
    /// Storage; the bytes read and not yet consumed are `buf[start..end]`.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    channel: u64,
    _type: PhantomData<fn() -> T>,
}

impl<T: Serialize> Sender<T> {
    /// Send one message. Blocks while the pipe is full (64 KiB by default
    /// on Linux) until the receiver reads.
    pub fn send(&mut self, value: &T) -> Result<(), Error> {
        self.send_as(value)
    }
}

impl<T> Sender<T> {
    /// Send a value of another type that encodes exactly as a `T` would (the
    /// same type with borrowed rather than owned data, say).
    pub(crate) fn send_as<U: Serialize + ?Sized>(&mut self, value: &U) -> Result<(), Error> {
        let start_us = crate::trace::start();
        self.frame.clear();
        self.frame.extend_from_slice(&[0; 4]);
        let mut frame = postcard::to_extend(value, std::mem::take(&mut self.frame))?;
        let len = u32::try_from(frame.len() - 4)
            .map_err(|_| Error::TooLarge { size: frame.len(), capacity: u32::MAX as usize })?;
        frame[..4].copy_from_slice(&len.to_le_bytes());
        let result = self.file.write_all(&frame);
        if let (Some(start_us), Ok(())) = (start_us, &result) {
            let (channel, bytes) = (self.channel, frame.len() - 4);
            tracing::trace!(target: "local_procs", op = "send", channel, bytes, start_us);
        }
        self.frame = frame;
        result.map_err(|e| if e.kind() == io::ErrorKind::BrokenPipe { Error::Disconnected } else { e.into() })
    }

    /// Close this end (dropping it does the same; this says it out loud).
    pub fn close(self) {}

    /// A second sending end of the same pipe (the descriptor duplicated,
    /// as `fork` duplicates it for a child). The receiver sees the end of
    /// input only once every copy is closed. As with Python's `Pipe`, two
    /// processes sending on one pipe at once may interleave a message
    /// larger than 4096 bytes (`PIPE_BUF`) with another; smaller ones
    /// arrive whole.
    pub fn try_clone(&self) -> Result<Sender<T>, Error> {
        Ok(Sender { file: self.file.try_clone()?, frame: Vec::new(), channel: self.channel, _type: PhantomData })
    }
}

impl<T: DeserializeOwned> Receiver<T> {
    /// Receive the next message; `Ok(None)` at the end of input, when every
    /// sending end is closed.
    pub fn recv(&mut self) -> Result<Option<T>, Error> {
        self.recv_until(None)
    }

    /// Like [`recv`](Self::recv), but give up after `limit` with
    /// [`Error::Timeout`].
    pub fn recv_timeout(&mut self, limit: Duration) -> Result<Option<T>, Error> {
        self.recv_until(Some((Instant::now() + limit, limit)))
    }

    /// Close this end (dropping it does the same).
    pub fn close(self) {}

    fn recv_until(&mut self, deadline: Option<(Instant, Duration)>) -> Result<Option<T>, Error> {
        let start_us = crate::trace::start();
        loop {
            let available = &self.buf[self.start..self.end];
            if available.len() >= 4 {
                let len = u32::from_le_bytes(available[..4].try_into().expect("4 bytes")) as usize;
                if available.len() >= 4 + len {
                    // The frame is consumed whether or not it decodes, so a
                    // bad message is an error once, not on every call.
                    let value = postcard::from_bytes(&available[4..4 + len]);
                    self.start += 4 + len;
                    if let Some(start_us) = start_us {
                        let (channel, bytes) = (self.channel, len);
                        tracing::trace!(target: "local_procs", op = "recv", channel, bytes, start_us);
                    }
                    return Ok(Some(value?));
                }
            }
            if let Some((at, limit)) = deadline {
                wait_readable(&self.file, at, limit)?;
            }
            if !self.fill()? {
                if self.end == self.start {
                    return Ok(None);
                }
                // The partial message is dropped once reported: the next
                // call sees the plain end of input.
                self.start = self.end;
                return Err(
                    io::Error::new(io::ErrorKind::UnexpectedEof, "the pipe closed in the middle of a message").into()
                );
            }
        }
    }

    /// Read more bytes; false at end of input.
    fn fill(&mut self) -> Result<bool, Error> {
        // Move what is left of a message to the front, and make room: the
        // storage grows only for a message larger than any before it.
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.buf.len() - self.end < READ_CHUNK {
            self.buf.resize(self.end + READ_CHUNK.max(self.buf.len()), 0);
        }
        loop {
            match self.file.read(&mut self.buf[self.end..]) {
                Ok(n) => {
                    self.end += n;
                    return Ok(n > 0);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
}

impl<T> Receiver<T> {
    /// The descriptor, to poll several receivers at once.
    pub(crate) fn raw_fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }
}

impl<T> Sender<T> {
    /// The descriptor, to close a forked copy of it.
    pub(crate) fn raw_fd(&self) -> RawFd {
        self.file.as_raw_fd()
    }
}

impl<T: DeserializeOwned> Iterator for Receiver<T> {
    type Item = Result<T, Error>;

    /// Messages until the end of input.
    fn next(&mut self) -> Option<Self::Item> {
        self.recv().transpose()
    }
}

/// Wait until `file` can be read (or has reached its end), or `at` passes.
pub(crate) fn wait_readable(file: &impl AsFd, at: Instant, limit: Duration) -> Result<(), Error> {
    loop {
        let left = at.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Error::Timeout(limit));
        }
        let mut fds = [PollFd::new(file.as_fd(), PollFlags::POLLIN)];
        let ms = PollTimeout::try_from(left.as_millis().clamp(1, 60_000) as i32).unwrap_or(PollTimeout::MAX);
        match poll(&mut fds, ms) {
            Ok(0) | Err(Errno::EINTR) => continue,
            Ok(_) => return Ok(()),
            Err(e) => return Err(Error::Os("poll", e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    /// Run `f` on a thread and give up after a while: a test of something
    /// that could spin forever must fail, not hang.
    fn within<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(Duration::from_secs(10)).expect("it did not end: it spins")
    }

    /// A raw frame: a length and bytes, whatever they encode.
    fn send_raw<T>(tx: &mut Sender<T>, length: u32, bytes: &[u8]) {
        tx.file.write_all(&length.to_le_bytes()).unwrap();
        tx.file.write_all(bytes).unwrap();
    }

    #[test]
    fn a_message_that_does_not_decode_is_an_error_once() {
        let (mut tx, mut rx) = pipe::<String>().unwrap();
        send_raw(&mut tx, 2, &[1, 0xff]); // a string of one byte that is not UTF-8
        tx.send(&"after".to_owned()).unwrap();
        drop(tx);
        let got = within(move || rx.by_ref().map(|r| r.map_err(|e| e.to_string())).collect::<Vec<_>>());
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].as_ref().is_err_and(|e| e.contains("encoding")), "{got:?}");
        assert_eq!(got[1], Ok("after".to_owned()));
    }

    #[test]
    fn a_message_cut_short_is_an_error_once_then_the_end() {
        let (mut tx, mut rx) = pipe::<Vec<u8>>().unwrap();
        send_raw(&mut tx, 100, &[10; 10]); // a writer that died mid-message
        drop(tx);
        let (first, second, flattened) = within(move || {
            let first = rx.recv().map_err(|e| e.to_string());
            let second = rx.recv().map_err(|e| e.to_string());
            (first, second, rx.flatten().count())
        });
        assert!(first.as_ref().is_err_and(|e| e.contains("middle of a message")), "{first:?}");
        assert_eq!(second, Ok(None));
        assert_eq!(flattened, 0);
    }

    #[test]
    fn a_long_stream_keeps_the_receivers_buffer_small() {
        // 8 MB through the pipe, a kilobyte at a time: the bytes already
        // consumed are dropped as reading goes on, so the buffer stays at
        // about two reads' worth however long the stream.
        let (mut tx, mut rx) = pipe::<Vec<u8>>().unwrap();
        let writer = std::thread::spawn(move || {
            for _ in 0..8192 {
                tx.send(&vec![7u8; 1000]).unwrap();
            }
        });
        let (count, largest) = within(move || {
            let (mut count, mut largest) = (0, 0);
            while let Some(message) = rx.recv().unwrap() {
                assert_eq!(message.len(), 1000);
                count += 1;
                largest = largest.max(rx.buf.len());
            }
            (count, largest)
        });
        writer.join().unwrap();
        assert_eq!(count, 8192);
        assert!(largest <= 4 * READ_CHUNK, "the buffer grew to {largest} bytes");
    }

    extern "C" fn nothing(_: libc::c_int) {}

    #[test]
    fn a_signal_during_a_read_is_not_an_error() {
        // A handler installed without SA_RESTART makes a blocked read
        // return EINTR: the receiver must read again, not fail. Signals
        // go to the reading thread for 300 ms while it waits, then the
        // message is sent.
        use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
        let action = SigAction::new(SigHandler::Handler(nothing), SaFlags::empty(), SigSet::empty());
        // SAFETY: the handler does nothing.
        unsafe { sigaction(Signal::SIGUSR2, &action) }.unwrap();
        let (mut tx, mut rx) = pipe::<u32>().unwrap();
        let (ready_tx, ready_rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            // SAFETY: pthread_self has no preconditions.
            ready_tx.send(unsafe { libc::pthread_self() } as usize).unwrap();
            rx.recv().map_err(|e| e.to_string())
        });
        let thread = ready_rx.recv().unwrap() as libc::pthread_t;
        let until = Instant::now() + Duration::from_millis(300);
        while Instant::now() < until {
            // SAFETY: the reader thread runs until the message is sent below.
            unsafe { libc::pthread_kill(thread, libc::SIGUSR2) };
            std::thread::sleep(Duration::from_millis(5));
        }
        tx.send(&42).unwrap();
        assert_eq!(reader.join().unwrap(), Ok(Some(42)));
    }

    #[test]
    fn both_ends_are_closed_on_exec() {
        let (tx, rx) = pipe::<u8>().unwrap();
        for fd in [tx.file.as_fd(), rx.file.as_fd()] {
            let flags = nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_GETFD).unwrap();
            assert!(nix::fcntl::FdFlag::from_bits_truncate(flags).contains(nix::fcntl::FdFlag::FD_CLOEXEC));
        }
    }
}
