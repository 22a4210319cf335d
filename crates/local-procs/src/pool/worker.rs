//! A worker's side: its loop, and the runners that run a chunk.

use super::*;

/// A worker's life: take a chunk, run it, send the results; until the
/// task pipe closes.
pub(super) fn work(mut tasks: Receiver<Task>, mut done: Sender<Done>, progress: &AtomicUsize, region: &mut [u8]) {
    // A worker allocates and frees a chunk's buffers over and over. By
    // default, malloc hands large blocks back to the kernel on free, and
    // the next chunk pays a page fault (and a page clearing) for every 4 KiB
    // again: most of a map's time. A worker keeps its memory instead.
    // SAFETY: mallopt only sets malloc's tuning parameters.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 256 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 30);
    }
    while let Ok(Some(task)) = tasks.recv() {
        if task.runner == 0 {
            return; // close(): stop
        }
        // A task that panics fails alone: its message goes back to the
        // caller, and the worker takes the next task (Python's pool does
        // the same with a task's exception).
        let first = task.first;
        let running = crate::trace::span(format_args!("task from input {first}"));
        let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if task.arena_bytes > 0 {
                // SAFETY: a task with arena bytes carries the address of an
                // ArenaRunner instantiated in the parent, which this worker
                // is a fork of: same program, same address.
                let runner: ArenaRunner = unsafe { std::mem::transmute::<usize, ArenaRunner>(task.runner) };
                let (offset, len) = runner(task.function, &mut *region, task.arena_bytes, first, progress);
                Done::InArena { first, offset, len }
            } else {
                // SAFETY: as above, for the address of a Runner.
                let runner: Runner = unsafe { std::mem::transmute::<usize, Runner>(task.runner) };
                match runner(task.function, &task.inputs, first, progress) {
                    Ok(outputs) => Done::Ok { first, outputs },
                    Err(e) => Done::Failed { first, index: first, message: e.to_string() },
                }
            }
        }));
        drop(running);
        let reply = ran.unwrap_or_else(|panic| {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic with no message".to_owned());
            Done::Failed { first, index: progress.load(Ordering::Relaxed), message: format!("panicked: {message}") }
        });
        if done.send(&reply).is_err() {
            return;
        }
    }
}

pub(super) fn run_chunk<T: DeserializeOwned + 'static, R: Serialize + 'static>(
    function: usize,
    inputs: &[u8],
    first: usize,
    progress: &AtomicUsize,
) -> Result<Vec<u8>, postcard::Error> {
    // SAFETY: `function` is the address of a `fn(T) -> R` taken in the
    // parent (see `map`) and paired with this very instantiation; this
    // worker is a fork of the parent, so the code is at the same address.
    let function = unsafe { std::mem::transmute::<usize, fn(T) -> R>(function) };
    let inputs: Vec<T> = decode(inputs)?;
    let mut outputs = Vec::with_capacity(inputs.len());
    for (offset, input) in inputs.into_iter().enumerate() {
        progress.store(first + offset, Ordering::Relaxed);
        outputs.push(function(input));
    }
    encode(&outputs).map(Cow::into_owned)
}

/// Like [`run_chunk`], for a `fn(A, B) -> R` over pairs (`starmap`).
pub(super) fn run_star_chunk<A: DeserializeOwned + 'static, B: DeserializeOwned + 'static, R: Serialize + 'static>(
    function: usize,
    inputs: &[u8],
    first: usize,
    progress: &AtomicUsize,
) -> Result<Vec<u8>, postcard::Error> {
    // SAFETY: as in run_chunk, for the address of a `fn(A, B) -> R` taken in
    // the parent (see `starmap`) and paired with this instantiation.
    let function = unsafe { std::mem::transmute::<usize, fn(A, B) -> R>(function) };
    let inputs: Vec<(A, B)> = decode(inputs)?;
    let mut outputs = Vec::with_capacity(inputs.len());
    for (offset, (a, b)) in inputs.into_iter().enumerate() {
        progress.store(first + offset, Ordering::Relaxed);
        outputs.push(function(a, b));
    }
    encode(&outputs).map(Cow::into_owned)
}

/// Run a chunk of plain numbers in place: inputs at the start of `region`
/// (`bytes` long), results after them, 64-byte aligned.
pub(super) fn run_chunk_in_arena<T: 'static, R: 'static>(
    function: usize,
    region: &mut [u8],
    bytes: usize,
    first: usize,
    progress: &AtomicUsize,
) -> (usize, usize) {
    debug_assert!(is_plain_number::<T>() && is_plain_number::<R>());
    // SAFETY: see run_chunk; same pairing of function and instantiation.
    let function = unsafe { std::mem::transmute::<usize, fn(T) -> R>(function) };
    let count = bytes / std::mem::size_of::<T>();
    let offset = bytes.next_multiple_of(64);
    let len = count * std::mem::size_of::<R>();
    assert!(offset + len <= region.len(), "the parent checked that the chunk fits");
    let base = region.as_mut_ptr();
    for i in 0..count {
        progress.store(first + i, Ordering::Relaxed);
        // SAFETY: T and R are plain numbers (any bytes are a value, bitwise
        // copies are fine); input i and output i lie within the region
        // (checked above); the region is page-aligned, so both are aligned.
        unsafe {
            let input = std::ptr::read(base.cast::<T>().add(i));
            std::ptr::write(base.add(offset).cast::<R>().add(i), function(input));
        }
    }
    (offset, len)
}
