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
//! [`FIRST_MESSAGE_MAX`] (16 KiB), the contents are copied in after the
//! shape (copying 16 KiB costs less than a second message). Over a network
//! a second message costs the network's whole latency: when the launcher
//! says the job spans nodes, the limit is [`NETWORK_FIRST_MESSAGE_MAX`]
//! (256 KiB) instead ([`first_message_max`]). Larger values take
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
//! A loop that receives one value after another can receive each into the
//! same value with [`receive_into`]: its vectors and strings are reused, as
//! a raw receive reuses its buffer, and a small value then costs no
//! allocation at all.
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

use std::cell::{Cell, RefCell};
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::LocalKey;

use bytemuck::Pod;
use mpi::datatype::{MutView, UserDatatype, View};
use mpi::point_to_point::{Destination, Source, Status};
use mpi::raw::AsRaw;
use mpi::topology::Communicator;
use mpi::traits::Equivalence;
use mpi::{Address, Count, Tag};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The largest first message when the whole job runs on one node: the
/// shape, and the contents too when they fit.
///
/// A second message costs 0.2 µs on shared memory; copying 16 KiB in and
/// out costs about as much. Up to here one message wins; at 64 KiB the
/// copies cost more than a second message on shared memory.
pub const FIRST_MESSAGE_MAX: usize = 16 * 1024;

/// The largest first message when the job spans several nodes.
///
/// Over a network a second message costs the network's whole latency
/// (9 µs between two virtual hosts over TCP, for a 64 KiB value), and
/// copying 64 KiB in and out costs about 2 µs: one message wins up to
/// here. A receiver takes every first message into a buffer of this size,
/// so a sender may use either limit.
pub const NETWORK_FIRST_MESSAGE_MAX: usize = 256 * 1024;

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
///
/// Memory is part of a message's cost: a new vector of 4 MiB is 1024 new
/// pages, and the kernel's first touch of each costs, all told, about as
/// much as sending them. So a large `Bulk` (64 KiB and more) dropped on a
/// thread gives its buffer to the next receive on that thread, and a loop
/// that receives a value, uses it and drops it reuses one buffer, as a raw
/// receive into one buffer does. At most four buffers wait so, each
/// freed when a fifth comes or when the thread ends.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Bulk<T: Pod>(pub Vec<T>);

impl<T: Pod> Bulk<T> {
    /// The vector, out of its wrapper.
    pub fn into_vec(mut self) -> Vec<T> {
        std::mem::take(&mut self.0)
    }
}

impl<T: Pod> From<Vec<T>> for Bulk<T> {
    fn from(vec: Vec<T>) -> Self {
        Bulk(vec)
    }
}

impl<T: Pod> From<Bulk<T>> for Vec<T> {
    fn from(bulk: Bulk<T>) -> Self {
        bulk.into_vec()
    }
}

impl<T: Pod> Deref for Bulk<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

impl<T: Pod> DerefMut for Bulk<T> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        &mut self.0
    }
}

impl<T: Pod> Drop for Bulk<T> {
    fn drop(&mut self) {
        let size = std::mem::size_of::<T>();
        if size == 0 || self.0.capacity() * size < SPARE_MIN {
            return;
        }
        let mut vec = std::mem::ManuallyDrop::new(std::mem::take(&mut self.0));
        let spare = Spare {
            ptr: vec.as_mut_ptr().cast(),
            capacity: vec.capacity() * size,
            initialised: vec.len() * size,
            align: std::mem::align_of::<T>(),
        };
        let mut spare = Some(spare);
        let _ = SPARES.try_with(|spares| {
            let mut spares = spares.borrow_mut();
            spares.0.extend(spare.take());
            if spares.0.len() > SPARES_MAX {
                spares.0.remove(0).free();
            }
        });
        // The thread is ending and its spares are gone: free it now.
        if let Some(spare) = spare {
            spare.free();
        }
    }
}

/// Spare buffers are kept from this size up: below it, the allocator's own
/// free lists do as well.
const SPARE_MIN: usize = 64 * 1024;
const SPARES_MAX: usize = 4;

/// The buffer of a dropped `Vec<T>` of plain numbers: `capacity` bytes
/// allocated with alignment `align`, the first `initialised` of them written.
struct Spare {
    ptr: *mut u8,
    capacity: usize,
    initialised: usize,
    align: usize,
}

impl Spare {
    fn free(self) {
        // SAFETY: allocated by a Vec with exactly this size and alignment,
        // and owned by this spare alone.
        unsafe {
            std::alloc::dealloc(self.ptr, std::alloc::Layout::from_size_align_unchecked(self.capacity, self.align))
        }
    }

    /// A `Vec<T>` of `len` elements in this buffer, if it fits it (and is
    /// not more than twice too large).
    fn reuse<T: Pod>(self, len: usize) -> Result<Vec<T>, Spare> {
        let size = std::mem::size_of::<T>();
        let bytes = len * size;
        if self.align != std::mem::align_of::<T>()
            || self.capacity % size != 0
            || self.capacity < bytes
            || self.capacity > 2 * bytes
        {
            return Err(self);
        }
        // SAFETY: the buffer was allocated by a Vec with T's alignment and
        // a size that is a whole number of T's; it is ours alone.
        let mut vec = unsafe { Vec::from_raw_parts(self.ptr.cast::<T>(), 0, self.capacity / size) };
        let written = (self.initialised / size).min(len);
        // SAFETY: those bytes were written, and any bytes are a valid T (Pod).
        unsafe { vec.set_len(written) };
        vec.resize(len, T::zeroed());
        Ok(vec)
    }
}

struct Spares(Vec<Spare>);

impl Drop for Spares {
    fn drop(&mut self) {
        for spare in self.0.drain(..) {
            spare.free();
        }
    }
}

thread_local! {
    static SPARES: RefCell<Spares> = const { RefCell::new(Spares(Vec::new())) };
}

/// A spare buffer as a vector of `len` elements, if one fits: large
/// vectors only.
fn spare<T: Pod>(len: usize) -> Option<Vec<T>> {
    if len * std::mem::size_of::<T>() < SPARE_MIN {
        return None;
    }
    SPARES
        .try_with(|spares| {
            let mut spares = spares.borrow_mut();
            // The most recent first: its memory is the likeliest in cache.
            for i in (0..spares.0.len()).rev() {
                let spare = spares.0.remove(i);
                match spare.reuse::<T>(len) {
                    Ok(vec) => return Some(vec),
                    Err(spare) => spares.0.insert(i, spare),
                }
            }
            None
        })
        .ok()
        .flatten()
}

/// A vector of `len` zeroed or reused elements, for a bulk field to receive.
fn destination<T: Pod>(len: usize) -> Vec<T> {
    if let Some(vec) = spare(len) {
        return vec;
    }
    if len * std::mem::size_of::<T>() < CALLOC_FROM {
        // calloc costs four times malloc and a small memset (28 ns
        // against 7, for one number).
        let mut vec = Vec::with_capacity(len);
        vec.resize(len, T::zeroed());
        vec
    } else {
        // From here the allocator maps fresh pages, which are zero already:
        // calloc skips the memset.
        vec![T::zeroed(); len]
    }
}

/// A vector of `T` holding a copy of `bytes` (a whole number of `T`s, at
/// any alignment). Written once: a zeroed vector filled afterwards would
/// write every byte twice (8 KiB of zeros cost 0.1 µs).
fn copied<T: Pod>(bytes: &[u8]) -> Vec<T> {
    let mut vec = spare::<T>(bytes.len() / std::mem::size_of::<T>().max(1)).unwrap_or_default();
    copy_into(&mut vec, bytes);
    vec
}

/// Make `vec` a copy of `bytes` (a whole number of `T`s, at any alignment),
/// in its own buffer when that is large enough, each byte written once.
fn copy_into<T: Pod>(vec: &mut Vec<T>, bytes: &[u8]) {
    vec.clear();
    let size = std::mem::size_of::<T>();
    if size == 0 {
        return;
    }
    let len = bytes.len() / size;
    vec.reserve(len);
    // SAFETY: the vector has room for `len` Ts, `len * size` bytes, taken
    // from `bytes`, which holds at least that many; every byte pattern is a
    // valid T (Pod), and the copy is bytewise, so alignment does not matter.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), vec.as_mut_ptr().cast::<u8>(), len * size);
        vec.set_len(len);
    }
}

/// glibc's size for allocating with mmap (its starting threshold).
const CALLOC_FROM: usize = 128 * 1024;

/// What [`send`] and [`receive`] are doing on this thread, for the bulk
/// fields met while serde walks the value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Plain serde: a bulk field is a sequence.
    Plain,
    /// Sending: each bulk field is noted, and only its length encoded.
    Sending,
    /// Receiving: each bulk field is allocated at its length and noted, to
    /// be filled; no more than `left` bytes in all, as the sender announced.
    Receiving,
}

// The state of this module on a thread. A small message's whole budget is
// a few tens of nanoseconds, so it is kept in thread-locals that need no
// destructor: reading one is a load, where a thread-local holding a `Vec`
// (which has a destructor) checks that the thread's destructors are
// registered at each access, 4 ns (measured: a `RefCell<Vec>` taken and put
// back, 8 ns; the same as raw parts in a `Cell`, 1 ns).

/// Where the walk of one value by serde stands, in one send or receive.
#[derive(Clone, Copy)]
struct Walk {
    mode: Mode,
    /// Receiving: how many bytes of contents are not yet given a field.
    left: usize,
    /// Receiving one message: where its contents start (0 otherwise), and
    /// how long they are. Each bulk field is copied from there once.
    inline: usize,
    inline_len: usize,
}

const PLAIN: Walk = Walk { mode: Mode::Plain, left: 0, inline: 0, inline_len: 0 };

/// A vector kept on a thread between messages, as its raw parts (pointer,
/// length, capacity), to spare an allocation each time.
struct Kept<T>(Cell<(*mut T, usize, usize)>);

impl<T> Kept<T> {
    const fn new() -> Self {
        Kept(Cell::new((std::ptr::NonNull::dangling().as_ptr(), 0, 0)))
    }
}

thread_local! {
    static WALK: Cell<Walk> = const { Cell::new(PLAIN) };
    /// The bulk fields met by a walk, in order: address and length in bytes.
    static BULKS: Kept<(usize, usize)> = const { Kept::new() };
    /// The first message sent.
    static SENT: Kept<u8> = const { Kept::new() };
    /// The buffer every first message is received into.
    static RECEIVED: Kept<u8> = const { Kept::new() };
    /// Whether the kept vectors are to be freed at the thread's end (a
    /// destructor, registered once, when the first of them is kept).
    static KEEPING: Cell<Keeping> = const { Cell::new(Keeping::Not) };
    static FREED_AT_EXIT: FreedAtExit = const { FreedAtExit };
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Keeping {
    Not,
    Yes,
    /// The thread is ending: its vectors are freed, and no more kept.
    Over,
}

/// The vector kept in `key`, leaving an empty one there.
#[inline]
fn take<T>(key: &'static LocalKey<Kept<T>>) -> Vec<T> {
    let (ptr, len, capacity) = key.with(|kept| kept.0.replace(Kept::<T>::new().0.into_inner()));
    // SAFETY: the parts of a vector given up by `keep`, or of an empty one.
    unsafe { Vec::from_raw_parts(ptr, len, capacity) }
}

/// Keep `vec` in `key` for the next message on this thread.
#[inline]
fn keep<T>(key: &'static LocalKey<Kept<T>>, vec: Vec<T>) {
    if vec.capacity() == 0 {
        return;
    }
    match KEEPING.get() {
        Keeping::Yes => {}
        Keeping::Not => {
            if FREED_AT_EXIT.try_with(|_| ()).is_err() {
                return;
            }
            KEEPING.set(Keeping::Yes);
        }
        Keeping::Over => return,
    }
    let mut vec = std::mem::ManuallyDrop::new(vec);
    let before = key.with(|kept| kept.0.replace((vec.as_mut_ptr(), vec.len(), vec.capacity())));
    // SAFETY: as in `take`. (Empty, unless a walk sent or received inside
    // another, from a serde impl.)
    drop(unsafe { Vec::from_raw_parts(before.0, before.1, before.2) });
}

struct FreedAtExit;

impl Drop for FreedAtExit {
    fn drop(&mut self) {
        KEEPING.set(Keeping::Over);
        drop(take(&BULKS));
        drop(take(&SENT));
        drop(take(&RECEIVED));
    }
}

/// Note a bulk field met by the walk: its address and length in bytes.
#[inline]
fn note(address: usize, len: usize) {
    let mut bulks = take(&BULKS);
    bulks.push((address, len));
    keep(&BULKS, bulks);
}

/// Forget the bulk fields noted, keeping the list's memory.
#[inline]
fn clear_bulks() {
    BULKS.with(|kept| {
        let (ptr, _, capacity) = kept.0.get();
        kept.0.set((ptr, 0, capacity));
    });
}

/// Puts the walk back to `Plain` when a `Serialize` or `Deserialize` impl
/// panics in the middle of it. Forgotten when the walk ends normally, so
/// it costs nothing then.
struct PlainOnUnwind;

impl Drop for PlainOnUnwind {
    fn drop(&mut self) {
        WALK.set(PLAIN);
    }
}

impl<T: Pod + Serialize> Serialize for Bulk<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let bytes: &[u8] = bytemuck::cast_slice(&self.0);
        if WALK.get().mode == Mode::Sending {
            if !bytes.is_empty() {
                note(bytes.as_ptr() as usize, bytes.len());
            }
            serializer.serialize_u64(self.0.len() as u64)
        } else {
            self.0.serialize(serializer)
        }
    }
}

impl<'de, T: Pod + Deserialize<'de>> Deserialize<'de> for Bulk<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if WALK.get().mode != Mode::Receiving {
            return Vec::<T>::deserialize(deserializer).map(Bulk);
        }
        Ok(Bulk(match arriving::<T, D>(deserializer)? {
            Arriving::Inline(slice) => copied(slice),
            Arriving::Later(len) => {
                let mut vec = destination::<T>(len);
                note_destination(&mut vec);
                vec
            }
        }))
    }

    /// Into the vector already there: no allocation while it is large enough.
    fn deserialize_in_place<D: Deserializer<'de>>(deserializer: D, place: &mut Self) -> Result<(), D::Error> {
        if WALK.get().mode != Mode::Receiving {
            return Vec::<T>::deserialize_in_place(deserializer, &mut place.0);
        }
        let vec = &mut place.0;
        match arriving::<T, D>(deserializer)? {
            Arriving::Inline(slice) => copy_into(vec, slice),
            Arriving::Later(len) => {
                if len > vec.capacity() {
                    // Growing would copy the old numbers first, for nothing.
                    *vec = destination::<T>(len);
                } else {
                    vec.resize(len, T::zeroed());
                }
                note_destination(vec);
            }
        }
        Ok(())
    }
}

/// Where a bulk field's numbers are, as a receive's walk meets it.
enum Arriving<'a> {
    /// In the one message received, these bytes.
    Inline(&'a [u8]),
    /// In a message still to come: this many numbers.
    Later(usize),
}

/// Read a bulk field's length, check it against what the sender announced
/// (before anything is allocated: a wrong message cannot ask for
/// gigabytes), and count its bytes as given.
#[inline]
fn arriving<'de, 'a, T: Pod, D: Deserializer<'de>>(deserializer: D) -> Result<Arriving<'a>, D::Error> {
    let mut walk = WALK.get();
    let len = u64::deserialize(deserializer)?;
    let bytes = usize::try_from(len)
        .ok()
        .and_then(|len| len.checked_mul(std::mem::size_of::<T>()))
        .ok_or_else(|| serde::de::Error::custom("a bulk field longer than memory"))?;
    if bytes > walk.left {
        return Err(serde::de::Error::custom("bulk fields longer than the message announced"));
    }
    let done = walk.inline_len - walk.left;
    walk.left -= bytes;
    WALK.set(walk);
    if walk.inline != 0 {
        // One message: the numbers are in it, after the shape.
        // SAFETY: `inline` is the start of the received message's contents,
        // `inline_len` bytes, borrowed for this decode; `done + bytes` is
        // within them (checked against `left`).
        return Ok(Arriving::Inline(unsafe { std::slice::from_raw_parts((walk.inline + done) as *const u8, bytes) }));
    }
    Ok(Arriving::Later(bytes / std::mem::size_of::<T>().max(1)))
}

/// Note a vector to be filled by the message that brings the contents.
#[inline]
fn note_destination<T: Pod>(vec: &mut Vec<T>) {
    let bytes = std::mem::size_of_val(vec.as_slice());
    if bytes > 0 {
        // The vector's heap buffer stays where it is when the vector moves
        // into the value being built; it is filled before the value is
        // handed out.
        note(vec.as_mut_ptr() as usize, bytes);
    }
}

/// How the rest of a value comes after its first message's header.
const INLINE: u64 = 0; // shape, then the contents, in this one message
const SPLIT: u64 = 1; // shape here; the contents in a second message
const LONG: u64 = 2; // the shape's length here; the shape, then the contents, in two more

/// A first message starts with a header: the contents' length in bytes
/// and the kind, as one varint, `contents << 2 | kind`: one byte for a
/// value with no bulk field, whose whole message is a few bytes.
/// The sender keeps room for the longest header before the shape and
/// writes it right against the shape, once the contents are known.
const HEADER_MAX: usize = 10;

/// `value` as a varint (7 bits a byte, lowest first), at the end of `room`;
/// how many bytes it took.
#[inline]
fn put_varint(room: &mut [u8; HEADER_MAX], mut value: u64) -> usize {
    let len = varint_len(value);
    for byte in &mut room[HEADER_MAX - len..HEADER_MAX - 1] {
        *byte = value as u8 | 0x80;
        value >>= 7;
    }
    // What is left fits in 7 bits: `len` counts them all.
    room[HEADER_MAX - 1] = value as u8;
    len
}

/// How many bytes `value` takes as a varint.
#[inline]
fn varint_len(value: u64) -> usize {
    (64 - (value | 1).leading_zeros() as usize).div_ceil(7)
}

/// The varint at the start of `bytes`, and the bytes after it.
fn take_varint(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let mut value = 0u64;
    for (i, &byte) in bytes.iter().enumerate().take(HEADER_MAX) {
        value |= u64::from(byte & 0x7f).checked_shl(7 * i as u32)?;
        if byte & 0x80 == 0 {
            return Some((value, &bytes[i + 1..]));
        }
    }
    None
}

/// The largest first message this process sends: [`FIRST_MESSAGE_MAX`]
/// when every rank of its job runs on this node, and
/// [`NETWORK_FIRST_MESSAGE_MAX`] when the job spans nodes.
///
/// The launcher says which in each rank's environment: Open MPI's
/// `mpirun` sets `OMPI_COMM_WORLD_SIZE` and `OMPI_COMM_WORLD_LOCAL_SIZE`
/// (the ranks on this node), MPICH's and Intel MPI's Hydra `PMI_SIZE` and
/// `MPI_LOCALNRANKS`, Slurm's `srun` `SLURM_STEP_NUM_NODES`. A job is on
/// one node exactly when every one of its ranks sees all ranks local, so
/// all ranks choose alike (though either choice is received correctly).
/// MPI itself can tell which ranks share a node only through a collective
/// call (`MPI_Comm_split_type`), which a send cannot make. Without these
/// variables (a program started alone) the job is one process, on one node.
///
/// On a job that spans nodes, two ranks that share one pay for the larger
/// limit on shared memory: a 64 KiB value costs them about 1.3 times raw
/// bytes instead of 1.1.
pub fn first_message_max() -> usize {
    static LIMIT: AtomicUsize = AtomicUsize::new(0);
    match LIMIT.load(Ordering::Relaxed) {
        0 => {
            let limit = if spans_nodes(|name| std::env::var(name).ok()) {
                NETWORK_FIRST_MESSAGE_MAX
            } else {
                FIRST_MESSAGE_MAX
            };
            LIMIT.store(limit, Ordering::Relaxed);
            limit
        }
        limit => limit,
    }
}

/// Whether the launcher's variables, read through `env`, say that the job
/// spans several nodes.
fn spans_nodes(env: impl Fn(&str) -> Option<String>) -> bool {
    let number = |name: &str| env(name)?.trim().parse::<u64>().ok();
    let launchers = [("OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_SIZE"), ("PMI_SIZE", "MPI_LOCALNRANKS")];
    for (size, local) in launchers {
        if let (Some(size), Some(local)) = (number(size), number(local)) {
            return local < size;
        }
    }
    number("SLURM_STEP_NUM_NODES").is_some_and(|nodes| nodes > 1)
}

/// Send `value` to `to` with tag 0. See the crate's docs for what travels.
pub fn send<T: Serialize + ?Sized, D: Destination>(to: &D, value: &T) -> Result<(), Error> {
    send_with_tag(to, value, 0)
}

/// Send `value` to `to` with `tag`; every message of it carries that tag.
#[inline]
pub fn send_with_tag<T: Serialize + ?Sized, D: Destination>(to: &D, value: &T, tag: Tag) -> Result<(), Error> {
    encoded(value, |first, bulks| send_parts(to, first, bulks, tag))
}

/// How long `value`'s message is when it travels as one (its header, shape
/// and contents: the length its receiver gets from MPI), or `None` when it
/// takes several (over [`first_message_max`]).
pub fn one_message_len<T: Serialize + ?Sized>(value: &T) -> Result<Option<usize>, Error> {
    encoded(value, |first, bulks| Ok(one_message(first.len() - HEADER_MAX, bulks.iter().map(|&(_, len)| len).sum())))
}

/// `then` of `value` encoded: its shape after [`HEADER_MAX`] bytes of room,
/// in the thread's kept buffer, and its bulk fields as noted by the walk.
#[inline(always)]
fn encoded<T: Serialize + ?Sized, R>(
    value: &T,
    then: impl FnOnce(&mut Vec<u8>, &[(usize, usize)]) -> Result<R, Error>,
) -> Result<R, Error> {
    let mut first = take(&SENT);
    clear_bulks();
    WALK.set(Walk { mode: Mode::Sending, ..PLAIN });
    first.clear();
    first.extend_from_slice(&[0; HEADER_MAX]);
    let unwind = PlainOnUnwind;
    let written = postcard::serialize_with_flavor(value, Appending(&mut first));
    std::mem::forget(unwind);
    WALK.set(PLAIN);
    let bulks = take(&BULKS);
    let result = written.map_err(Error::Encode).and_then(|()| then(&mut first, &bulks));
    keep(&BULKS, bulks);
    keep(&SENT, first);
    result
}

/// Postcard's output appended to a vector. (Its own `to_extend` pushes
/// through an iterator, three times slower: 20 ns for a small record,
/// against a few for the whole of a typed message's overhead.)
struct Appending<'a>(&'a mut Vec<u8>);

impl postcard::ser_flavors::Flavor for Appending<'_> {
    type Output = ();

    #[inline]
    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        self.0.push(byte);
        Ok(())
    }

    #[inline]
    fn try_extend(&mut self, bytes: &[u8]) -> postcard::Result<()> {
        self.0.extend_from_slice(bytes);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}

/// The length of a value of `shape` and `contents` bytes as one message, if
/// it fits in one.
#[inline]
fn one_message(shape: usize, contents: usize) -> Option<usize> {
    let len = varint_len((contents as u64) << 2 | INLINE) + shape + contents;
    (len <= first_message_max()).then_some(len)
}

/// Send the encoded shape (after [`HEADER_MAX`] bytes of room) in `first`
/// and the contents of `bulks`, as one message or several.
fn send_parts<D: Destination>(to: &D, first: &mut Vec<u8>, bulks: &[(usize, usize)], tag: Tag) -> Result<(), Error> {
    // SAFETY: each noted (address, length) is a bulk field of the value
    // being sent, which stays borrowed, unchanged, for the whole send.
    let slice = |&(address, len): &(usize, usize)| unsafe { std::slice::from_raw_parts(address as *const u8, len) };
    let contents: usize = bulks.iter().map(|&(_, len)| len).sum();
    let shape = first.len() - HEADER_MAX;
    let header = |kind: u64| (contents as u64) << 2 | kind;
    let room: &mut [u8; HEADER_MAX] = (&mut first[..HEADER_MAX]).try_into().expect("room for a header");
    if one_message(shape, contents).is_some() {
        let start = HEADER_MAX - put_varint(room, header(INLINE));
        for bulk in bulks {
            first.extend_from_slice(slice(bulk));
        }
        to.send_with_tag(&first[start..], tag);
        return Ok(());
    }
    if varint_len(header(SPLIT)) + shape <= first_message_max() {
        let start = HEADER_MAX - put_varint(room, header(SPLIT));
        to.send_with_tag(&first[start..], tag);
    } else {
        let mut head = [0u8; HEADER_MAX];
        let shape_len = put_varint(&mut head, shape as u64);
        let mut kind = [0u8; HEADER_MAX];
        let kind_len = put_varint(&mut kind, header(LONG));
        let mut announcement = kind[HEADER_MAX - kind_len..].to_vec();
        announcement.extend_from_slice(&head[HEADER_MAX - shape_len..]);
        to.send_with_tag(&announcement[..], tag);
        to.send_with_tag(&first[HEADER_MAX..], tag);
    }
    match bulks {
        [] => {}
        [only] => to.send_with_tag(slice(only), tag),
        [base, ..] => send_several(to, bulks, base.0, tag)?,
    }
    Ok(())
}

/// Several bulk fields as one message, from where they lie.
fn send_several<D: Destination>(to: &D, bulks: &[(usize, usize)], base: usize, tag: Tag) -> Result<(), Error> {
    let (lengths, displacements) = layout(bulks, base)?;
    let datatype = UserDatatype::heterogeneous_indexed(&lengths, &displacements, &u8::equivalent_datatype());
    // SAFETY: `base` is the first bulk field, borrowed for the whole send;
    // the datatype reaches exactly the bulk fields, each as long as its
    // block, at their offsets from it.
    let first = unsafe { std::slice::from_raw_parts(base as *const u8, bulks[0].1) };
    let view = unsafe { View::with_count_and_datatype(first, 1, &datatype) };
    to.send_with_tag(&view, tag);
    Ok(())
}

/// Block lengths and byte offsets from `base`, for an hindexed datatype.
fn layout(bulks: &[(usize, usize)], base: usize) -> Result<(Vec<Count>, Vec<Address>), Error> {
    let mut lengths = Vec::with_capacity(bulks.len());
    let mut displacements = Vec::with_capacity(bulks.len());
    for &(address, len) in bulks {
        lengths.push(Count::try_from(len).map_err(|_| Error::TooLarge(len))?);
        displacements.push((address as Address).wrapping_sub(base as Address));
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
#[inline]
pub fn receive_with_tag<T: DeserializeOwned, S: Source>(from: &S, tag: Tag) -> Result<(T, Status), Error> {
    receive_first(from, tag, std::any::type_name::<T>(), |de| T::deserialize(de))
}

/// Receive a `T` into `place`, from `from` with any tag. See
/// [`receive_into_with_tag`].
pub fn receive_into<T: DeserializeOwned, S: Source>(from: &S, place: &mut T) -> Result<Status, Error> {
    // SAFETY: reading a constant of the MPI library.
    receive_into_with_tag(from, place, unsafe { mpi::ffi::RSMPI_ANY_TAG })
}

/// Receive a `T` into `place`, reusing its vectors and strings where they
/// are large enough: a loop that receives into one value allocates
/// nothing once its vectors have grown, as a raw receive into one buffer.
///
/// Reuse goes as deep as the type's `Deserialize` allows:
/// `derive(Deserialize)` reuses each field (this crate turns on serde's
/// `deserialize_in_place` for every derive in the build), a [`Bulk`] its
/// vector, a `Vec` or a `String` its buffer; other impls build a new
/// value and move it in. If the message does not decode as a `T`, `place`
/// holds some valid value, partly overwritten.
#[inline]
pub fn receive_into_with_tag<T: DeserializeOwned, S: Source>(
    from: &S,
    place: &mut T,
    tag: Tag,
) -> Result<Status, Error> {
    receive_first(from, tag, std::any::type_name::<T>(), |de| T::deserialize_in_place(de, place))
        .map(|((), status)| status)
}

type ShapeDeserializer<'a> = postcard::Deserializer<'a, postcard::de_flavors::Slice<'a>>;

/// Receive a first message, and the rest of the value after it, building
/// it with `build` (a `T` that is `expected`).
#[inline(always)]
fn receive_first<S: Source, R>(
    from: &S,
    tag: Tag,
    expected: &'static str,
    build: impl FnOnce(&mut ShapeDeserializer<'_>) -> postcard::Result<R>,
) -> Result<(R, Status), Error> {
    let mut first = take(&RECEIVED);
    if first.len() != NETWORK_FIRST_MESSAGE_MAX {
        // From the allocator's fresh pages: only the pages a message
        // reaches are ever touched.
        first = vec![0; NETWORK_FIRST_MESSAGE_MAX];
    }
    // MPI_Recv itself, as rsmpi's `receive_into_with_tag` calls it, but
    // with the status read where MPI wrote it: rsmpi copies it out at once,
    // and the copy's wide loads of MPI's narrow stores stall the processor
    // (measured: 4 ns of a small message's 40).
    let mut raw = std::mem::MaybeUninit::<mpi::ffi::MPI_Status>::uninit();
    let mut received: Count = 0;
    let bytes = u8::equivalent_datatype();
    // SAFETY: a receive into `first`, whose length is the count given; the
    // status is written by MPI_Recv before MPI_Get_count reads it.
    unsafe {
        let comm = from.as_communicator().as_raw();
        let len = first.len() as Count;
        mpi::ffi::MPI_Recv(
            first.as_mut_ptr().cast(),
            len,
            bytes.as_raw(),
            from.source_rank(),
            tag,
            comm,
            raw.as_mut_ptr(),
        );
        mpi::ffi::MPI_Get_count(raw.as_ptr(), bytes.as_raw(), &mut received);
    }
    // SAFETY: written by MPI_Recv.
    let (source, tag) = unsafe { ((*raw.as_ptr()).MPI_SOURCE, (*raw.as_ptr()).MPI_TAG) };
    let result = decode(from, &first[..received as usize], source, tag, expected, build);
    keep(&RECEIVED, first);
    // SAFETY: as above.
    result.map(|value| (value, Status::from_raw(unsafe { raw.assume_init() })))
}

#[inline(always)]
fn decode<S: Source, R>(
    from: &S,
    first: &[u8],
    source: i32,
    tag: Tag,
    expected: &'static str,
    build: impl FnOnce(&mut ShapeDeserializer<'_>) -> postcard::Result<R>,
) -> Result<R, Error> {
    // Only a value in several messages needs its sender as a Process (which
    // asks MPI for the communicator's size): not the one-message fast path.
    let peer = || from.as_communicator().process_at_rank(source);
    let wrong = |reason: String| Error::Decode { rank: source, tag, expected, reason };
    let not_typed = || wrong(format!("a first message of {} bytes that no typed send makes", first.len()));
    let (header, after) = take_varint(first).ok_or_else(not_typed)?;
    let kind = header & 3;
    if kind > LONG {
        return Err(not_typed());
    }
    let contents = usize::try_from(header >> 2).map_err(|_| wrong("contents longer than memory".into()))?;
    // A value in several messages must be one that did not fit in this one:
    // anything else is no typed message, and waiting for the rest of it
    // could wait forever.
    let header_len = first.len() - after.len();
    let announced_shape = match kind {
        INLINE => 0,
        SPLIT if header_len + after.len() + contents > FIRST_MESSAGE_MAX => 0,
        LONG => match take_varint(after) {
            Some((shape, [])) if (header_len as u64).saturating_add(shape) > FIRST_MESSAGE_MAX as u64 => shape,
            _ => return Err(not_typed()),
        },
        _ => return Err(not_typed()),
    };
    // Nothing of the message may stay in flight, whatever goes wrong below.
    let drain = |reason: String| {
        if kind != INLINE && contents > 0 {
            // The contents follow the shape, from that rank with that tag.
            let _ = peer().receive_vec_with_tag::<u8>(tag);
        }
        wrong(reason)
    };

    let long_shape;
    let shape: &[u8] = match kind {
        LONG => {
            let (bytes, _) = peer().receive_vec_with_tag::<u8>(tag);
            if bytes.len() as u64 != announced_shape {
                return Err(drain(format!("a shape of {} bytes for {announced_shape} announced", bytes.len())));
            }
            long_shape = bytes;
            &long_shape
        }
        _ => after,
    };

    let inline = if kind == INLINE {
        // The contents are the message's last bytes, after the shape.
        if contents > after.len() {
            return Err(wrong(format!("{contents} bytes of contents announced in a message of {}", first.len())));
        }
        first[first.len() - contents..].as_ptr() as usize
    } else {
        0
    };
    if kind != INLINE {
        clear_bulks();
    }
    WALK.set(Walk { mode: Mode::Receiving, left: contents, inline, inline_len: contents });
    let unwind = PlainOnUnwind;
    let mut deserializer = postcard::Deserializer::from_bytes(shape);
    let decoded = build(&mut deserializer);
    std::mem::forget(unwind);
    let left = WALK.replace(PLAIN).left;
    let value = match decoded {
        Ok(value) => value,
        Err(error) => return Err(drain(error.to_string())),
    };
    if left != 0 {
        return Err(drain(format!("{contents} bytes of contents announced, {} used", contents - left)));
    }
    let rest = deserializer.finalize().map_or(0, <[u8]>::len);
    if kind == INLINE {
        // Each bulk field took its numbers from the message already; the
        // shape must end where they begin.
        if rest != contents {
            return Err(wrong(format!("{rest} bytes of contents for {contents} announced")));
        }
        return Ok(value);
    }
    if rest != 0 {
        return Err(drain("bytes after the shape".into()));
    }
    match with_bulks(|bulks| receive_contents(&peer(), bulks, tag)) {
        Ok(got) if got == contents => Ok(value),
        Ok(got) => Err(wrong(format!("{got} bytes of contents for {contents} announced"))),
        Err(error) => Err(error),
    }
}

/// `f` of the bulk fields the last walk noted.
fn with_bulks<R>(f: impl FnOnce(&[(usize, usize)]) -> R) -> R {
    let bulks = take(&BULKS);
    let result = f(&bulks);
    keep(&BULKS, bulks);
    result
}

/// The bulk fields' contents, as one message, straight into their vectors.
fn receive_contents<S: Source>(from: &S, bulks: &[(usize, usize)], tag: Tag) -> Result<usize, Error> {
    let status = match bulks {
        [] => return Ok(0),
        [(address, len)] => {
            // SAFETY: as in decode: a bulk vector's buffer, ours alone.
            let only = unsafe { std::slice::from_raw_parts_mut(*address as *mut u8, *len) };
            from.receive_into_with_tag(only, tag)
        }
        [(base, len), ..] => {
            let (lengths, displacements) = layout(bulks, *base)?;
            let datatype = UserDatatype::heterogeneous_indexed(&lengths, &displacements, &u8::equivalent_datatype());
            // SAFETY: the datatype reaches exactly the bulk buffers, each as
            // long as its block, at their offsets from the first; they are
            // distinct allocations inside the value being received.
            let first = unsafe { std::slice::from_raw_parts_mut(*base as *mut u8, *len) };
            let mut view = unsafe { MutView::with_count_and_datatype(first, 1, &datatype) };
            from.receive_into_with_tag(&mut view, tag)
        }
    };
    Ok(status.count(u8::equivalent_datatype()) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_thread_keeps_buffers_of_its_own() {
        let threads: Vec<_> = (0..4u8)
            .map(|i| {
                std::thread::spawn(move || {
                    assert!(take(&SENT).is_empty());
                    keep(&SENT, vec![i; 100 + usize::from(i)]);
                    assert!(KEEPING.get() == Keeping::Yes);
                    let back = take(&SENT);
                    assert_eq!(back, vec![i; 100 + usize::from(i)]);
                    assert!(take(&SENT).is_empty());
                    // Kept when the thread ends: freed by its destructor.
                    keep(&SENT, back);
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
    }

    #[test]
    fn a_header_is_read_back_as_written_and_no_longer_than_needed() {
        for value in [0, 1, 3, 127, 128, 16_383, 16_384, 65_536 << 2 | SPLIT, u64::MAX >> 1, u64::MAX] {
            let mut room = [0xffu8; HEADER_MAX];
            let len = put_varint(&mut room, value);
            assert_eq!(len, varint_len(value), "{value}");
            let mut message = room[HEADER_MAX - len..].to_vec();
            message.extend_from_slice(b"shape");
            assert_eq!(take_varint(&message), Some((value, &b"shape"[..])), "{value}");
        }
        assert_eq!(varint_len(0), 1);
        assert_eq!(varint_len(127), 1);
        assert_eq!(varint_len(128), 2);
        // Cut short, or longer than any u64: not a header.
        assert_eq!(take_varint(&[0x80, 0x80]), None);
        assert_eq!(take_varint(&[0xff; 11]), None);
    }

    #[test]
    fn one_message_len_is_header_shape_and_contents_while_they_fit() {
        // Shape: the id (1 byte) and the bulk's length (1); 100 bytes of
        // contents; header 100 << 2 = 400, a varint of 2 bytes.
        let small = (7u64, Bulk::from(vec![1u8; 100]));
        assert_eq!(one_message_len(&small).unwrap(), Some(104));
        // Over the one-node limit (no launcher here): several messages.
        let large = (7u64, Bulk::from(vec![1u8; FIRST_MESSAGE_MAX]));
        assert_eq!(one_message_len(&large).unwrap(), None);
        // Nothing was left noted or in sending mode by the measure.
        assert!(WALK.get().mode == Mode::Plain);
    }

    #[test]
    fn the_launchers_variables_say_whether_the_job_spans_nodes() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
        };
        // Open MPI's mpirun: 2 ranks, both here; 2 ranks, one here.
        assert!(!spans_nodes(env(&[("OMPI_COMM_WORLD_SIZE", "2"), ("OMPI_COMM_WORLD_LOCAL_SIZE", "2")])));
        assert!(spans_nodes(env(&[("OMPI_COMM_WORLD_SIZE", "2"), ("OMPI_COMM_WORLD_LOCAL_SIZE", "1")])));
        // Hydra (MPICH, Intel MPI).
        assert!(!spans_nodes(env(&[("PMI_SIZE", "9"), ("MPI_LOCALNRANKS", "9")])));
        assert!(spans_nodes(env(&[("PMI_SIZE", "9"), ("MPI_LOCALNRANKS", "3")])));
        // mpirun inside a Slurm allocation of 3 nodes, all ranks put on one:
        // the launcher knows better than the allocation.
        const IN_SLURM: &[(&str, &str)] =
            &[("SLURM_STEP_NUM_NODES", "3"), ("OMPI_COMM_WORLD_SIZE", "4"), ("OMPI_COMM_WORLD_LOCAL_SIZE", "4")];
        assert!(!spans_nodes(env(IN_SLURM)));
        // srun alone (PMI_SIZE without Hydra's local count).
        assert!(spans_nodes(env(&[("SLURM_STEP_NUM_NODES", "2"), ("PMI_SIZE", "4")])));
        assert!(!spans_nodes(env(&[("SLURM_STEP_NUM_NODES", "1")])));
        // Started alone, or variables that do not read as numbers.
        assert!(!spans_nodes(env(&[])));
        assert!(!spans_nodes(env(&[("OMPI_COMM_WORLD_SIZE", "two"), ("OMPI_COMM_WORLD_LOCAL_SIZE", "1")])));
    }

    #[test]
    fn a_dropped_large_bulk_is_the_next_destination_of_its_size_and_alignment() {
        let bulk: Bulk<f64> = vec![1.5; 100_000].into();
        let address = bulk.as_ptr() as usize;
        drop(bulk);
        // u8 has another alignment: not this buffer.
        let bytes = destination::<u8>(800_000);
        assert_ne!(bytes.as_ptr() as usize, address);
        assert!(bytes.iter().all(|&b| b == 0));
        // i64 has f64's: the buffer, its bytes as they were.
        let ints = destination::<i64>(90_000);
        assert_eq!(ints.as_ptr() as usize, address);
        assert_eq!(ints.len(), 90_000);
        assert!(ints.iter().all(|&i| i == 1.5f64.to_bits() as i64));
        drop(Bulk::from(ints));
        // Too large for it: a new buffer.
        let larger = destination::<i64>(120_000);
        assert_ne!(larger.as_ptr() as usize, address);
        // Longer than what was written in it: the rest is zeroed.
        let mut half = Vec::with_capacity(100_000);
        half.extend(std::iter::repeat(7u64).take(50_000));
        let address = half.as_ptr() as usize;
        drop(Bulk::from(half));
        let longer = destination::<u64>(90_000);
        assert_eq!(longer.as_ptr() as usize, address);
        assert!(longer[..50_000].iter().all(|&i| i == 7) && longer[50_000..].iter().all(|&i| i == 0));
    }
}
