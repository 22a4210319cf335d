//! `Value` and `Array`: Python's `multiprocessing.Value` and `Array`, plain
//! numbers in memory that `fork` shares, each with a lock.
//!
//! A value lives in a `MAP_SHARED` mapping made before the processes start:
//! every clone, in every process, is the same memory. `get` and `set` take
//! the lock for one read or write; `lock` holds it across several, for a
//! read-modify-write such as `+= 1`, which would otherwise lose updates
//! when two processes add at once.

use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use crate::shm::{MutexGuard, RawMutex, Shared, SharedInit};
use crate::Error;

/// Types that can live in shared memory as they are: plain numbers, with
/// no pointer into one process's memory, valid for every bit pattern.
///
/// # Safety
/// Every bit pattern must be a valid value, and the type must hold no
/// pointer or reference.
pub unsafe trait Plain: Copy + Send + 'static {}

macro_rules! plain {
    ($($t:ty),*) => {$(
        // SAFETY: a primitive number: any bits are a value, no pointers.
        unsafe impl Plain for $t {}
    )*};
}
plain!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize, f32, f64);

#[repr(C)]
struct Header {
    mutex: RawMutex,
}

// SAFETY: zeroed bytes are a valid (uninitialised) mutex, completed by init.
unsafe impl SharedInit for Header {
    fn init(&self) -> std::io::Result<()> {
        self.mutex.init()
    }
}

/// A fixed number of `T` in shared memory, behind one lock. [`Value`] is
/// an array of one.
pub struct Array<T: Plain> {
    shared: Shared<Header>,
    len: usize,
    _type: PhantomData<T>,
}

impl<T: Plain> Clone for Array<T> {
    fn clone(&self) -> Self {
        Array { shared: self.shared.clone(), len: self.len, _type: PhantomData }
    }
}

/// Holding an array's lock: the elements, to read and write.
pub struct ArrayGuard<'a, T: Plain> {
    _held: MutexGuard<'a>,
    items: &'a mut [T],
}

impl<T: Plain> ArrayGuard<'_, T> {
    /// Did a process die holding this array's lock, just before this guard
    /// took it? It may have left the elements half-written.
    pub fn previous_holder_died(&self) -> bool {
        self._held.owner_died()
    }
}

impl<T: Plain> Deref for ArrayGuard<'_, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.items
    }
}

impl<T: Plain> DerefMut for ArrayGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut [T] {
        self.items
    }
}

impl<T: Plain> Array<T> {
    /// A shared array holding `items`.
    ///
    /// ```no_run
    /// use local_procs::{Array, Process};
    ///
    /// let squares = Array::new(&[0u64; 10]).unwrap();
    /// let filler = squares.clone();
    /// let mut child = Process::new(move || {
    ///     for (i, x) in filler.lock().iter_mut().enumerate() {
    ///         *x = (i * i) as u64;
    ///     }
    /// });
    /// child.start().unwrap();
    /// child.join().unwrap();
    /// assert_eq!(squares.to_vec()[9], 81);
    /// ```
    pub fn new(items: &[T]) -> Result<Self, Error> {
        let bytes = std::mem::size_of_val(items).max(1);
        let array = Array { shared: Shared::new(bytes)?, len: items.len(), _type: PhantomData };
        array.lock().copy_from_slice(items);
        Ok(array)
    }

    /// How many elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True for an array of none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Take the lock, to read and write the elements.
    pub fn lock(&self) -> ArrayGuard<'_, T> {
        let held = self.shared.get().mutex.lock();
        let (start, bytes) = self.shared.extra();
        debug_assert!(bytes >= self.len * std::mem::size_of::<T>());
        // SAFETY: the extra area is page-aligned (so aligned for T), holds
        // `len` elements (sized in `new`), any bits are a T (`Plain`), and
        // the lock, held for the guard's life, makes this the only access.
        let items = unsafe { std::slice::from_raw_parts_mut(start.cast::<T>(), self.len) };
        ArrayGuard { _held: held, items }
    }

    /// A copy of the elements, read under the lock.
    pub fn to_vec(&self) -> Vec<T> {
        self.lock().to_vec()
    }
}

/// Python's `multiprocessing.Value`: one shared number, with a lock.
///
/// ```no_run
/// use local_procs::{Process, Value};
///
/// let counter = Value::new(0u64).unwrap();
/// let mut adders: Vec<Process> = (0..4)
///     .map(|_| {
///         let counter = counter.clone();
///         Process::new(move || {
///             for _ in 0..1000 {
///                 *counter.lock() += 1; // read, add, write: under the lock
///             }
///         })
///     })
///     .collect();
/// for p in &mut adders {
///     p.start().unwrap();
/// }
/// for p in &mut adders {
///     p.join().unwrap();
/// }
/// assert_eq!(counter.get(), 4000);
/// ```
#[derive(Clone)]
pub struct Value<T: Plain> {
    array: Array<T>,
}

/// Holding a value's lock.
pub struct ValueGuard<'a, T: Plain> {
    array: ArrayGuard<'a, T>,
}

impl<T: Plain> ValueGuard<'_, T> {
    /// Did a process die holding this value's lock, just before this guard
    /// took it? It may have left the value half-written.
    pub fn previous_holder_died(&self) -> bool {
        self.array.previous_holder_died()
    }
}

impl<T: Plain> Deref for ValueGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.array[0]
    }
}

impl<T: Plain> DerefMut for ValueGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.array[0]
    }
}

impl<T: Plain> Value<T> {
    /// A shared value, starting at `value`.
    pub fn new(value: T) -> Result<Self, Error> {
        Ok(Value { array: Array::new(&[value])? })
    }

    /// The value now.
    pub fn get(&self) -> T {
        *self.lock()
    }

    /// Replace the value.
    pub fn set(&self, value: T) {
        *self.lock() = value;
    }

    /// Take the lock, to read and change the value in one step.
    pub fn lock(&self) -> ValueGuard<'_, T> {
        ValueGuard { array: self.array.lock() }
    }
}
