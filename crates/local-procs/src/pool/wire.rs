//! What travels between the parent and a worker: tasks, results, and the
//! shared regions (progress counters, the arena).

use super::*;

/// A chunk of work: which function, through which typed runner, on which
/// inputs (encoded), starting at which input index; as a worker receives it.
/// A task whose runner is 0 tells the worker to stop.
#[derive(Deserialize)]
pub(super) struct Task {
    pub(super) runner: usize,
    pub(super) function: usize,
    pub(super) first: usize,
    /// When not 0: the inputs are these many bytes at the start of the
    /// worker's arena region, and `runner` is an [`ArenaRunner`].
    pub(super) arena_bytes: usize,
    #[serde(with = "serde_bytes")] // one copy, not a byte at a time
    pub(super) inputs: Vec<u8>,
}

/// A [`Task`] as the parent sends it: the inputs borrowed, so no copy is
/// made before the pipe's own. The bytes on the wire are the same.
#[derive(Serialize)]
pub(super) struct TaskOut<'a> {
    pub(super) runner: usize,
    pub(super) function: usize,
    pub(super) first: usize,
    pub(super) arena_bytes: usize,
    #[serde(with = "serde_bytes")]
    pub(super) inputs: &'a [u8],
}

/// The results of one chunk (encoded), or why it failed.
#[derive(Serialize, Deserialize)]
pub(super) enum Done {
    Ok {
        first: usize,
        #[serde(with = "serde_bytes")]
        outputs: Vec<u8>,
    },
    /// The task failed at input `index` (a panic, or an encoding error).
    Failed { first: usize, index: usize, message: String },
    /// The results are `len` bytes at `offset` in the worker's arena region.
    InArena { first: usize, offset: usize, len: usize },
}

/// Runs `function` (a `fn(T) -> R` passed as an address) over a chunk.
pub(super) type Runner = fn(usize, &[u8], usize, &AtomicUsize) -> Result<Vec<u8>, postcard::Error>;

/// Runs `function` over plain numbers in the arena: inputs at the start of
/// the region (`bytes` of them), results written after them. Returns the
/// results' (offset, length) in the region.
pub(super) type ArenaRunner = fn(usize, &mut [u8], usize, usize, &AtomicUsize) -> (usize, usize);

/// The arena's address space, shared out among the workers (64 MiB each for
/// up to 4 workers, at least 1 MiB each): a chunk of plain numbers whose
/// inputs and results fit a worker's region travels through it instead of
/// the pipes. Pages are used only as far as chunks reach.
pub(super) const ARENA: usize = 256 << 20;

pub(super) fn region_size(workers: usize) -> usize {
    (ARENA / workers.max(1)).clamp(1 << 20, 64 << 20) / 4096 * 4096
}

/// The header of a shared region that keeps everything in its extra bytes:
/// the workers' progress counters, and the arena.
#[repr(C)]
pub(super) struct NoHeader {
    pub(super) _unused: AtomicUsize,
}

// SAFETY: a zeroed atomic is valid; the contents live in the extra bytes.
unsafe impl SharedInit for NoHeader {
    fn init(&self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Worker `index`'s region of the arena, regions being `size` bytes.
///
/// # Safety
/// The caller must be the only one using that region while it holds the
/// slice: the worker while it runs a task, the parent while it is idle.
#[allow(clippy::mut_from_ref)]
pub(super) unsafe fn region(arena: &Shared<NoHeader>, index: usize, size: usize) -> &mut [u8] {
    let (start, len) = arena.extra();
    assert!((index + 1) * size <= len);
    std::slice::from_raw_parts_mut(start.add(index * size), size)
}

/// Bytes between two workers' progress counters: each on a cache line (and
/// its neighbour) of its own, or every store would stall the other workers.
pub(super) const SLOT: usize = 128;

pub(super) fn slot(progress: &Shared<NoHeader>, index: usize) -> &AtomicUsize {
    let (start, len) = progress.extra();
    assert!((index + 1) * SLOT <= len);
    // SAFETY: the extra area (page-aligned, zero-initialised) holds one slot
    // of SLOT bytes per worker (checked above); its first word is an
    // AtomicUsize, shared and accessed only atomically.
    unsafe { &*start.add(index * SLOT).cast::<AtomicUsize>() }
}
