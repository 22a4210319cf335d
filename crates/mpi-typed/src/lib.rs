//! Rust values as MPI messages, as fast as raw bytes at every size.
//!
//! A value with a `String` or a `Vec` cannot go to another rank as it lies
//! in memory: its fields are pointers into this rank's heap. The usual way
//! out, encoding the whole value with serde, copies every byte twice (into
//! the encoding on one side, out of it on the other), which for a vector
//! of a million numbers costs more than the message itself.
//!
//! Here a value travels in two parts:
//!
//! - its *shape*, encoded with serde (postcard): the small fields, and the
//!   length of each [`Bulk`] field;
//! - the *contents* of its [`Bulk`] fields (vectors of plain numbers),
//!   which MPI reads from where they lie in the sender's memory and writes
//!   straight into the receiver's new vectors, allocated once at their
//!   final size. No encoding step touches them.
//!
//! Small values keep to one message: when the shape and the contents fit in
//! [`FIRST_MESSAGE_MAX`] bytes, the contents are copied in after the shape
//! (copying a few KiB costs less than a second message). Larger values take
//! two messages: the shape, then every bulk field at once, described to MPI
//! by a derived datatype (`MPI_Type_create_hindexed`) over their addresses,
//! or sent directly when there is one. A shape larger than the first
//! message (a long string, many small vectors) goes in a message of its own
//! between the two. Python's pickle protocol 5 does the same with its
//! "out-of-band buffers"; mpi4py's lowercase `send` does not use them.
//!
//! ```no_run
//! use mpi::traits::*;
//! use mpi_typed::Bulk;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! struct Series {
//!     station: String,
//!     samples: Bulk<f64>,
//! }
//!
//! let universe = mpi::initialize().unwrap();
//! let world = universe.world();
//! if world.rank() == 0 {
//!     let series = Series { station: "Uppsala".into(), samples: vec![0.5; 1_000_000].into() };
//!     mpi_typed::send(&world.process_at_rank(1), &series).unwrap();
//! } else if world.rank() == 1 {
//!     let (series, _status): (Series, _) = mpi_typed::receive(&world.process_at_rank(0)).unwrap();
//!     assert_eq!(series.samples.len(), 1_000_000);
//! }
//! ```
//!
//! Both sides must agree on the type, as with any MPI message; a message
//! that does not decode as the expected type is an [`Error`], and the rest
//! of it is still received, so nothing is left in flight. The bytes of the
//! contents travel as they are: the ranks must share a byte order (every
//! cluster a learner meets does; MPI's own datatypes convert only in
//! heterogeneous builds).
//!
//! Outside [`send`] and [`receive`], a [`Bulk`] is an ordinary serde
//! sequence: encode it to JSON or postcard as you would a `Vec`.

use std::cell::RefCell;
use std::ops::{Deref, DerefMut};

use bytemuck::Pod;
use mpi::datatype::{MutView, UserDatatype, View};
use mpi::point_to_point::{Destination, Source, Status};
use mpi::topology::Communicator;
use mpi::traits::Equivalence;
use mpi::{Address, Count, Tag};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The largest first message: the shape, and the contents too when they
/// fit. A receiver takes every first message into a buffer of this size.
pub const FIRST_MESSAGE_MAX: usize = 4096;

/// What went wrong with a typed message. MPI's own failures end the job, as
/// rsmpi's calls do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The value's shape could not be encoded (a serde error).
    #[error("the value could not be encoded: {0}")]
    Encode(postcard::Error),
    /// The message does not decode as the type the receiver asked for.
    #[error("the message from rank {rank} (tag {tag}) is not a {expected}: {reason}")]
    Decode { rank: i32, tag: Tag, expected: &'static str, reason: String },
    /// A bulk field too large for one MPI message (2 GiB and more).
    #[error("a bulk field of {0} bytes is larger than one MPI message carries (2 GiB)")]
    TooLarge(usize),
}

/// A vector of plain numbers (`u8` … `u64`, `i8` … `i64`, `f32`, `f64`, or
/// any [`Pod`] type) that [`send`] sends from where it lies and [`receive`]
/// receives into a vector allocated once, at its final size. Use it for the
/// large fields of a message; it derefs to its `Vec`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Bulk<T>(pub Vec<T>);

impl<T> From<Vec<T>> for Bulk<T> {
    fn from(vec: Vec<T>) -> Self {
        Bulk(vec)
    }
}

impl<T> From<Bulk<T>> for Vec<T> {
    fn from(bulk: Bulk<T>) -> Self {
        bulk.0
    }
}

impl<T> Deref for Bulk<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

impl<T> DerefMut for Bulk<T> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        &mut self.0
    }
}

/// What [`send`] and [`receive`] are doing on this thread, for the bulk
/// fields met while serde walks the value.
enum Mode {
    /// Plain serde: a bulk field is a sequence.
    Plain,
    /// Sending: each bulk field is noted, and only its length encoded.
    Sending { bulks: Vec<(*const u8, usize)> },
    /// Receiving: each bulk field is allocated at its length and noted, to
    /// be filled; no more than `left` bytes in all, as the sender announced.
    Receiving { bulks: Vec<(*mut u8, usize)>, left: usize },
}

thread_local! {
    static MODE: RefCell<Mode> = const { RefCell::new(Mode::Plain) };
    /// The first message, sent or received; kept to spare an allocation.
    static FIRST: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Sets the mode for the length of one send or receive, and puts `Plain`
/// back even if a `Serialize` impl panics.
struct ModeGuard;

impl ModeGuard {
    fn set(mode: Mode) -> ModeGuard {
        MODE.with(|m| *m.borrow_mut() = mode);
        ModeGuard
    }

    fn take(self) -> Mode {
        MODE.with(|m| std::mem::replace(&mut *m.borrow_mut(), Mode::Plain))
    }
}

impl Drop for ModeGuard {
    fn drop(&mut self) {
        MODE.with(|m| *m.borrow_mut() = Mode::Plain);
    }
}

impl<T: Pod + Serialize> Serialize for Bulk<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let bytes: &[u8] = bytemuck::cast_slice(&self.0);
        let noted = MODE.with(|m| match &mut *m.borrow_mut() {
            Mode::Sending { bulks } => {
                if !bytes.is_empty() {
                    bulks.push((bytes.as_ptr(), bytes.len()));
                }
                true
            }
            _ => false,
        });
        if noted {
            serializer.serialize_u64(self.0.len() as u64)
        } else {
            self.0.serialize(serializer)
        }
    }
}

impl<'de, T: Pod + Deserialize<'de>> Deserialize<'de> for Bulk<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if !MODE.with(|m| matches!(*m.borrow(), Mode::Receiving { .. })) {
            return Vec::<T>::deserialize(deserializer).map(Bulk);
        }
        let len = u64::deserialize(deserializer)?;
        let bytes = usize::try_from(len)
            .ok()
            .and_then(|len| len.checked_mul(std::mem::size_of::<T>()))
            .ok_or_else(|| serde::de::Error::custom("a bulk field longer than memory"))?;
        // Checked against what the sender announced before anything is
        // allocated: a wrong message cannot ask for gigabytes.
        MODE.with(|m| match &mut *m.borrow_mut() {
            Mode::Receiving { left, .. } if bytes <= *left => {
                *left -= bytes;
                Ok(())
            }
            _ => Err(serde::de::Error::custom("bulk fields longer than the message announced")),
        })?;
        let mut vec = vec![T::zeroed(); len as usize];
        if bytes > 0 {
            // The vector's heap buffer stays where it is when the vector
            // moves into the value being built; it is filled before the
            // value is handed out.
            let ptr = vec.as_mut_ptr().cast::<u8>();
            MODE.with(|m| {
                if let Mode::Receiving { bulks, .. } = &mut *m.borrow_mut() {
                    bulks.push((ptr, bytes));
                }
            });
        }
        Ok(Bulk(vec))
    }
}

/// The first byte of a first message: how the rest comes.
const INLINE: u8 = 0; // shape, then the contents, in this one message
const SPLIT: u8 = 1; // shape here; the contents in a second message
const LONG: u8 = 2; // the shape's length here; the shape, then the contents, in two more
/// kind (1) + the contents' length in bytes (8).
const PREFIX: usize = 9;

/// Send `value` to `to` with tag 0. See the crate's docs for what travels.
pub fn send<T: Serialize + ?Sized, D: Destination>(to: &D, value: &T) -> Result<(), Error> {
    send_with_tag(to, value, 0)
}

/// Send `value` to `to` with `tag`; every message of it carries that tag.
pub fn send_with_tag<T: Serialize + ?Sized, D: Destination>(to: &D, value: &T, tag: Tag) -> Result<(), Error> {
    let mut first = FIRST.with(|f| std::mem::take(&mut *f.borrow_mut()));
    first.clear();
    first.resize(PREFIX, 0);
    let guard = ModeGuard::set(Mode::Sending { bulks: Vec::new() });
    let encoded = postcard::to_extend(value, first);
    let Mode::Sending { bulks } = guard.take() else { unreachable!("the mode is ours for the send") };
    let mut first = encoded.map_err(Error::Encode)?;
    // SAFETY: each noted (pointer, length) is a bulk field of `value`, which
    // stays borrowed, unchanged, for the whole of this call.
    let slices: Vec<&[u8]> = bulks.iter().map(|&(ptr, len)| unsafe { std::slice::from_raw_parts(ptr, len) }).collect();
    let contents: usize = slices.iter().map(|s| s.len()).sum();
    first[PREFIX - 8..PREFIX].copy_from_slice(&(contents as u64).to_le_bytes());

    if first.len() + contents <= FIRST_MESSAGE_MAX {
        first[0] = INLINE;
        for slice in &slices {
            first.extend_from_slice(slice);
        }
        to.send_with_tag(&first[..], tag);
    } else {
        if first.len() <= FIRST_MESSAGE_MAX {
            first[0] = SPLIT;
            to.send_with_tag(&first[..], tag);
        } else {
            let mut head = [0u8; PREFIX + 8];
            head[0] = LONG;
            head[1..PREFIX].copy_from_slice(&(contents as u64).to_le_bytes());
            head[PREFIX..].copy_from_slice(&((first.len() - PREFIX) as u64).to_le_bytes());
            to.send_with_tag(&head[..], tag);
            to.send_with_tag(&first[PREFIX..], tag);
        }
        send_contents(to, &slices, tag)?;
    }
    FIRST.with(|f| *f.borrow_mut() = first);
    Ok(())
}

/// The bulk fields as one message, from where they lie.
fn send_contents<D: Destination>(to: &D, slices: &[&[u8]], tag: Tag) -> Result<(), Error> {
    match slices {
        [] => {}
        [only] => to.send_with_tag(*only, tag),
        [base, ..] => {
            let (lengths, displacements) = layout(slices.iter().map(|s| (s.as_ptr(), s.len())), base.as_ptr())?;
            let datatype = UserDatatype::heterogeneous_indexed(&lengths, &displacements, &u8::equivalent_datatype());
            // SAFETY: the datatype reaches exactly the bulk slices, each as
            // long as its block, at their offsets from `base`.
            let view = unsafe { View::with_count_and_datatype(*base, 1, &datatype) };
            to.send_with_tag(&view, tag);
        }
    }
    Ok(())
}

/// Block lengths and byte offsets from `base`, for an hindexed datatype.
fn layout(
    blocks: impl Iterator<Item = (*const u8, usize)>,
    base: *const u8,
) -> Result<(Vec<Count>, Vec<Address>), Error> {
    let mut lengths = Vec::new();
    let mut displacements = Vec::new();
    for (ptr, len) in blocks {
        lengths.push(Count::try_from(len).map_err(|_| Error::TooLarge(len))?);
        displacements.push((ptr as Address).wrapping_sub(base as Address));
    }
    Ok((lengths, displacements))
}

/// Receive a `T` from `from`, with any tag. See [`receive_with_tag`].
pub fn receive<T: DeserializeOwned, S: Source>(from: &S) -> Result<(T, Status), Error> {
    // SAFETY: reading a constant of the MPI library.
    receive_with_tag(from, unsafe { mpi::ffi::RSMPI_ANY_TAG })
}

/// Receive a `T` sent by [`send`] or [`send_with_tag`] from `from` (a rank,
/// or any rank) with `tag` (or any tag). The rest of the value comes from
/// the rank and with the tag of its first message. The status is the
/// first message's.
pub fn receive_with_tag<T: DeserializeOwned, S: Source>(from: &S, tag: Tag) -> Result<(T, Status), Error> {
    let mut first = FIRST.with(|f| std::mem::take(&mut *f.borrow_mut()));
    first.resize(FIRST_MESSAGE_MAX, 0);
    let status = from.receive_into_with_tag(&mut first[..], tag);
    let received = status.count(u8::equivalent_datatype()) as usize;
    let result = decode::<T, S>(from, &first[..received], status);
    FIRST.with(|f| *f.borrow_mut() = first);
    result.map(|value| (value, status))
}

fn decode<T: DeserializeOwned, S: Source>(from: &S, first: &[u8], status: Status) -> Result<T, Error> {
    let peer = from.as_communicator().process_at_rank(status.source_rank());
    let tag = status.tag();
    let wrong = |reason: String| Error::Decode {
        rank: status.source_rank(),
        tag,
        expected: std::any::type_name::<T>(),
        reason,
    };
    if first.len() < PREFIX || first[0] > LONG {
        return Err(wrong(format!("a first message of {} bytes that no typed send makes", first.len())));
    }
    let kind = first[0];
    let contents = u64::from_le_bytes(first[1..PREFIX].try_into().expect("8 bytes"));
    let contents = usize::try_from(contents).map_err(|_| wrong("contents longer than memory".into()))?;
    // Nothing of the message may stay in flight, whatever goes wrong below.
    let drain = |error: Error| {
        if kind != INLINE && contents > 0 {
            // The contents follow the shape, from that rank with that tag.
            let _ = peer.receive_vec_with_tag::<u8>(tag);
        }
        error
    };

    let long_shape;
    let shape: &[u8] = match kind {
        LONG => {
            if first.len() != PREFIX + 8 {
                return Err(wrong("a long shape's announcement of the wrong length".into()));
            }
            let (bytes, _) = peer.receive_vec_with_tag::<u8>(tag);
            long_shape = bytes;
            &long_shape
        }
        _ => &first[PREFIX..],
    };

    let guard = ModeGuard::set(Mode::Receiving { bulks: Vec::new(), left: contents });
    let decoded = postcard::take_from_bytes::<T>(shape);
    let Mode::Receiving { bulks, left } = guard.take() else { unreachable!("the mode is ours for the receive") };
    let (value, rest) = decoded.map_err(|e| drain(wrong(e.to_string())))?;
    if left != 0 {
        return Err(drain(wrong(format!("{contents} bytes of contents announced, {} used", contents - left))));
    }
    // SAFETY: each noted (pointer, length) is the buffer of a bulk vector
    // now inside `value`, which nothing else can reach until it is
    // returned; the vectors are initialised (zeroed) and of exactly that
    // many bytes.
    let mut slices: Vec<&mut [u8]> =
        bulks.iter().map(|&(ptr, len)| unsafe { std::slice::from_raw_parts_mut(ptr, len) }).collect();
    match kind {
        INLINE => {
            if rest.len() != contents {
                return Err(wrong(format!("{} bytes of contents for {contents} announced", rest.len())));
            }
            let mut at = 0;
            for slice in &mut slices {
                slice.copy_from_slice(&rest[at..at + slice.len()]);
                at += slice.len();
            }
        }
        _ => {
            if !rest.is_empty() {
                return Err(drain(wrong("bytes after the shape".into())));
            }
            let got = receive_contents(&peer, &mut slices, tag)?;
            if got != contents {
                return Err(wrong(format!("{got} bytes of contents for {contents} announced")));
            }
        }
    }
    Ok(value)
}

/// The bulk fields' contents, as one message, straight into their vectors.
fn receive_contents<S: Source>(from: &S, slices: &mut [&mut [u8]], tag: Tag) -> Result<usize, Error> {
    let status = match slices {
        [] => return Ok(0),
        [only] => from.receive_into_with_tag(&mut **only, tag),
        [base, ..] => {
            let base_ptr = base.as_ptr();
            let (lengths, displacements) = layout(slices.iter().map(|s| (s.as_ptr(), s.len())), base_ptr)?;
            let datatype = UserDatatype::heterogeneous_indexed(&lengths, &displacements, &u8::equivalent_datatype());
            let base: &mut [u8] = &mut *slices[0];
            // SAFETY: the datatype reaches exactly the bulk buffers, each
            // as long as its block, at their offsets from the first; they
            // are distinct allocations, all borrowed mutably here.
            let mut view = unsafe { MutView::with_count_and_datatype(base, 1, &datatype) };
            from.receive_into_with_tag(&mut view, tag)
        }
    };
    Ok(status.count(u8::equivalent_datatype()) as usize)
}
