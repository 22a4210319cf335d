//! A map's inputs cut into chunks, its results put back in input order,
//! and how a chunk is encoded.

use super::*;

pub(super) fn total_chunks(total: usize, chunk: usize) -> usize {
    total.div_ceil(chunk)
}

/// A map's inputs, taken a chunk at a time into one reused buffer.
pub(super) struct Chunks<T, I> {
    pub(super) inputs: I,
    pub(super) total: usize,
    pub(super) chunk: usize,
    /// The input index of the next chunk.
    pub(super) next: usize,
    pub(super) buffer: Vec<T>,
}

impl<T, I: Iterator<Item = T>> Chunks<T, I> {
    /// Take the next chunk into `buffer`; its first input index, or `None`
    /// when all `total` inputs have been taken.
    pub(super) fn fill(&mut self) -> Option<usize> {
        if self.next >= self.total {
            return None;
        }
        let first = self.next;
        let want = self.chunk.min(self.total - first);
        self.buffer.clear();
        self.buffer.extend(self.inputs.by_ref().take(want));
        self.next = first + self.buffer.len();
        Some(first)
    }

    /// An iterator whose length was not what its size hint promised.
    pub(super) fn miscounted(&self) -> Error {
        Error::Io(std::io::Error::other(format!(
            "the inputs' iterator promised {} items (size_hint) and did not give exactly that many",
            self.total
        )))
    }
}

/// A map's results as chunks come back, in any order: plain numbers are
/// copied straight to their place in the one output vector; other types are
/// decoded per chunk and joined at the end.
pub(super) struct Results<R> {
    pub(super) total: usize,
    pub(super) chunk: usize,
    /// For plain numbers: the output, filled in place, its length set at the end.
    pub(super) plain: Option<Vec<R>>,
    pub(super) filled: usize,
    pub(super) chunks: Vec<Option<Vec<R>>>,
}

impl<R: DeserializeOwned + 'static> Results<R> {
    pub(super) fn new(total: usize, chunk: usize) -> Self {
        if is_plain_number::<R>() {
            Results { total, chunk, plain: Some(Vec::with_capacity(total)), filled: 0, chunks: Vec::new() }
        } else {
            Results { total, chunk, plain: None, filled: 0, chunks: (0..total.div_ceil(chunk)).map(|_| None).collect() }
        }
    }

    /// The results of the chunk starting at input `first`, encoded.
    pub(super) fn put(&mut self, first: usize, bytes: &[u8]) -> Result<(), Error> {
        let expected = self.chunk.min(self.total.saturating_sub(first));
        match &mut self.plain {
            Some(out) => {
                if first % self.chunk != 0 || bytes.len() != expected * std::mem::size_of::<R>() {
                    return Err(Error::Codec(postcard::Error::DeserializeUnexpectedEnd));
                }
                // SAFETY: R is a primitive number (any bytes are a value);
                // `out` has capacity `total`, and this chunk's place,
                // first..first + expected, is within it (first < total as
                // chunk-aligned and expected > 0 only then). Each chunk is
                // put once, so each place is written once.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        bytes.as_ptr(),
                        out.as_mut_ptr().add(first).cast::<u8>(),
                        bytes.len(),
                    );
                }
                self.filled += expected;
            }
            None => {
                let values: Vec<R> = decode(bytes)?;
                if values.len() != expected {
                    return Err(Error::Codec(postcard::Error::DeserializeUnexpectedEnd));
                }
                self.chunks[first / self.chunk] = Some(values);
            }
        }
        Ok(())
    }

    /// The results in input order (after every chunk was put).
    pub(super) fn finish(self) -> Vec<R> {
        match self.plain {
            Some(mut out) => {
                assert_eq!(self.filled, self.total, "every chunk is put before finish");
                // SAFETY: all `total` places were written (checked above).
                unsafe { out.set_len(self.total) };
                out
            }
            None => self.chunks.into_iter().flat_map(Option::unwrap_or_default).collect(),
        }
    }
}

/// Is `T` a plain number, whose values are their bytes?
pub(super) fn is_plain_number<T: 'static>() -> bool {
    use std::any::TypeId;
    [
        TypeId::of::<u8>(),
        TypeId::of::<u16>(),
        TypeId::of::<u32>(),
        TypeId::of::<u64>(),
        TypeId::of::<usize>(),
        TypeId::of::<i8>(),
        TypeId::of::<i16>(),
        TypeId::of::<i32>(),
        TypeId::of::<i64>(),
        TypeId::of::<isize>(),
        TypeId::of::<f32>(),
        TypeId::of::<f64>(),
    ]
    .contains(&TypeId::of::<T>())
}

/// Encode a chunk: plain numbers as their bytes (one copy, as fast as the
/// memory), anything else with serde (postcard). Parent and workers run the
/// same code, so they always agree on which.
pub(super) fn encode<T: Serialize + 'static>(items: &[T]) -> Result<Cow<'_, [u8]>, postcard::Error> {
    if is_plain_number::<T>() {
        // SAFETY: T is a primitive number (checked above): no padding, no
        // pointers, every byte initialised; the slice is valid for its size.
        let bytes = unsafe { std::slice::from_raw_parts(items.as_ptr().cast::<u8>(), std::mem::size_of_val(items)) };
        return Ok(Cow::Borrowed(bytes));
    }
    postcard::to_allocvec(items).map(Cow::Owned)
}

/// The inverse of [`encode`].
pub(super) fn decode<T: DeserializeOwned + 'static>(bytes: &[u8]) -> Result<Vec<T>, postcard::Error> {
    if is_plain_number::<T>() {
        let size = std::mem::size_of::<T>();
        if bytes.len() % size != 0 {
            return Err(postcard::Error::DeserializeUnexpectedEnd);
        }
        let count = bytes.len() / size;
        let mut items: Vec<T> = Vec::with_capacity(count);
        // SAFETY: T is a primitive number, for which any bytes are a valid
        // value; the Vec has room for `count` of them, which the copy fills
        // completely before set_len.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), items.as_mut_ptr().cast::<u8>(), bytes.len());
            items.set_len(count);
        }
        return Ok(items);
    }
    postcard::from_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_numbers_and_other_types_round_trip() {
        let numbers: Vec<u64> = vec![0, 1, u64::MAX, 42];
        assert_eq!(encode(&numbers).unwrap().len(), 32);
        assert_eq!(decode::<u64>(&encode(&numbers).unwrap()).unwrap(), numbers);
        let floats = vec![1.5f64, -0.0, f64::MAX];
        assert_eq!(decode::<f64>(&encode(&floats).unwrap()).unwrap(), floats);
        let words = vec!["a".to_owned(), "bc".to_owned()];
        assert_eq!(decode::<String>(&encode(&words).unwrap()).unwrap(), words);
        assert!(decode::<u32>(&[1, 2, 3]).is_err());
    }

    #[test]
    fn a_chunk_takes_no_input_beyond_the_promised_total() {
        // Nine promised, twelve there: chunks of four, the last of one.
        let mut chunks = Chunks { inputs: 0..12u32, total: 9, chunk: 4, next: 0, buffer: Vec::new() };
        let mut taken = Vec::new();
        while let Some(first) = chunks.fill() {
            taken.push((first, chunks.buffer.clone()));
        }
        assert_eq!(taken, [(0, vec![0, 1, 2, 3]), (4, vec![4, 5, 6, 7]), (8, vec![8])]);
        assert_eq!(chunks.inputs.next(), Some(9), "the extra inputs are left for the miscount check");
    }

    #[test]
    fn a_chunk_of_results_of_the_wrong_place_or_size_is_refused() {
        // Ten plain numbers in chunks of four: places 0, 4 and 8.
        let mut results = Results::<u32>::new(10, 4);
        let four = encode(&[1u32, 2, 3, 4]).unwrap().into_owned();
        assert!(results.put(2, &four).is_err(), "a chunk must start at a multiple of the chunk size");
        assert!(results.put(0, &encode(&[1u32, 2, 3, 4, 5]).unwrap()).is_err(), "five results for four inputs");
        assert!(results.put(0, &encode(&[1u32, 2, 3]).unwrap()).is_err(), "three results for four inputs");
        results.put(0, &four).unwrap();
        results.put(4, &four).unwrap();
        assert!(results.put(8, &four).is_err(), "the last chunk has two inputs, not four");
        results.put(8, &encode(&[9u32, 10]).unwrap()).unwrap();
        assert_eq!(results.finish(), [1, 2, 3, 4, 1, 2, 3, 4, 9, 10]);
        // Other types are checked the same way, by count.
        let mut words = Results::<String>::new(3, 2);
        assert!(words.put(2, &encode(&["a".to_owned(), "b".to_owned()]).unwrap()).is_err());
        words.put(0, &encode(&["a".to_owned(), "b".to_owned()]).unwrap()).unwrap();
        words.put(2, &encode(&["c".to_owned()]).unwrap()).unwrap();
        assert_eq!(words.finish(), ["a", "b", "c"]);
    }
}
