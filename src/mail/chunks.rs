//! A buffered reader whose buffer can be shared with the messages in it.
//!
//! An mbox holds many small messages one after another. Copying each out
//! of a reader's buffer into a buffer of its own costs a copy and an
//! allocation per message, on the one thread that reads. [`Chunks`] reads
//! into chunks of [`CHUNK`] bytes instead, and hands out a message that
//! lies whole in one chunk as a [`Shared`] range of it: a reference count,
//! not a copy. A chunk is refilled in place when nothing else holds it;
//! otherwise the reader moves on to a chunk given back by the last holder
//! of an earlier one, and allocates one only when none is free.
//!
//! Memory: the chunks alive are the one being read, those that messages
//! still hold, and up to [`SPARE`] spares (8 MiB). Only a chunk that one
//! read filled is shared (input that comes in smaller reads, from a
//! pipe, is copied as before). A small message keeps its whole chunk
//! alive, so the first share of a chunk's bytes counts the whole chunk
//! and the shares after it nothing ([`Raw::held`]): a caller that adds
//! these up knows what the messages it holds keep alive.

use std::cell::Cell;
use std::fmt;
use std::io::{self, BufRead, Read};
use std::ops::{Deref, Range};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// The size of a chunk.
///
/// PERF: a message that runs past the end of a chunk is copied; with
/// 256 KiB that is about 1 in 70 messages of the 2.3 GB mbox of
/// BENCHMARKS.md (3.5 KB on average), and the `read` calls stay few.
pub(crate) const CHUNK: usize = 256 << 10;

/// How many chunks given back wait to be read into again, at most; the
/// others are freed where they are given back.
///
/// PERF: as many as a batch of the command line's pipeline holds at
/// most (8 MiB); a new chunk costs its page faults and zeroing.
const SPARE: usize = 32;

/// One buffer of a [`Chunks`] reader, going back to it when dropped.
struct Chunk {
    bytes: Box<[u8]>,
    home: SyncSender<Box<[u8]>>,
}

impl Drop for Chunk {
    fn drop(&mut self) {
        // A reader that is gone, or has enough spares, lets it be freed.
        let _ = self.home.try_send(std::mem::take(&mut self.bytes));
    }
}

/// A message's raw bytes: a buffer of its own, or bytes of a chunk that
/// it shares with the messages read with it.
pub(crate) enum Raw {
    /// Bytes copied out of the input, or unescaped.
    Own(Vec<u8>),
    /// Bytes left where they were read.
    Shared(Shared),
}

impl Raw {
    /// The memory these bytes keep alive that the bytes read before them
    /// do not: their own buffer; for shared bytes, their whole chunk when
    /// they are the first of it to be shared, else nothing.
    pub fn held(&self) -> usize {
        match self {
            Raw::Own(bytes) => bytes.capacity(),
            Raw::Shared(shared) => shared.held,
        }
    }
}

impl Deref for Raw {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Raw::Own(bytes) => bytes,
            Raw::Shared(shared) => shared,
        }
    }
}

/// Bytes of a chunk of [`Chunks`], held without a copy.
pub(crate) struct Shared {
    chunk: Arc<Chunk>,
    range: Range<usize>,
    /// The chunk's size when these are the first of its bytes to be
    /// shared, else 0.
    held: usize,
}

impl Shared {
    /// Drops `n` bytes from the end (all of them when `n` is more).
    pub fn shorten(&mut self, n: usize) {
        self.range.end -= n.min(self.range.len());
    }
}

/// Shows the length only, never the bytes.
impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared").field("len", &self.len()).finish()
    }
}

impl Deref for Shared {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.chunk.bytes[self.range.clone()]
    }
}

/// A `BufRead` over `R` whose buffered bytes can be [`share`]d.
///
/// Like `std::io::BufReader`, it reads once when its buffer is empty and
/// hands out what that read gave.
///
/// [`share`]: Chunks::share
pub(crate) struct Chunks<R> {
    inner: R,
    chunk: Arc<Chunk>,
    /// The bytes of `chunk` not consumed yet.
    pos: usize,
    filled: usize,
    /// Whether any of the bytes the last read gave were shared.
    shared: Cell<bool>,
    spare: Receiver<Box<[u8]>>,
    home: SyncSender<Box<[u8]>>,
}

impl<R: Read> Chunks<R> {
    /// A reader with chunks of [`CHUNK`] bytes.
    pub fn new(inner: R) -> Chunks<R> {
        Chunks::with_capacity(CHUNK, inner)
    }

    /// A reader with chunks of `capacity` bytes (at least 1).
    pub fn with_capacity(capacity: usize, inner: R) -> Chunks<R> {
        let (home, spare) = sync_channel(SPARE);
        let bytes = vec![0; capacity.max(1)].into_boxed_slice();
        let chunk = Arc::new(Chunk { bytes, home: home.clone() });
        let shared = Cell::new(false);
        Chunks { inner, chunk, pos: 0, filled: 0, shared, spare, home }
    }

    /// The bytes buffered and not consumed yet (what
    /// [`fill_buf`](BufRead::fill_buf) last returned, less what was
    /// consumed since), without reading.
    pub fn buffered(&self) -> &[u8] {
        &self.chunk.bytes[self.pos..self.filled]
    }

    /// The bytes at `range` of [`buffered`](Self::buffered), without a
    /// copy; `None` when `range` is not within them, or when the last read
    /// did not fill the chunk (a few bytes must not hold a whole chunk).
    pub fn share(&self, range: Range<usize>) -> Option<Shared> {
        if self.filled < self.chunk.bytes.len() {
            return None;
        }
        let start = self.pos.checked_add(range.start)?;
        let end = self.pos.checked_add(range.end)?;
        if start > end || end > self.filled {
            return None;
        }
        let first = !self.shared.replace(true);
        let held = if first { self.chunk.bytes.len() } else { 0 };
        let chunk = self.chunk.clone();
        Some(Shared { chunk, range: start..end, held })
    }

    /// A buffer for a new chunk: a spare, else a new one.
    fn fresh(&self) -> Box<[u8]> {
        let size = self.chunk.bytes.len();
        match self.spare.try_recv() {
            Ok(bytes) if bytes.len() == size => bytes,
            _ => vec![0; size].into_boxed_slice(),
        }
    }
}

/// One read into `bytes`; how many bytes it gave.
///
/// # Errors
///
/// The reader's error.
fn read_into(inner: &mut impl Read, bytes: &mut [u8]) -> io::Result<usize> {
    // A reader that says it gave more than there was room for is not
    // believed.
    Ok(inner.read(bytes)?.min(bytes.len()))
}

impl<R: Read> Read for Chunks<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let buf = self.fill_buf()?;
        let n = buf.len().min(out.len());
        out[..n].copy_from_slice(&buf[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Chunks<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos == self.filled {
            // Into the chunk when nothing else holds it, else into a new
            // one, which goes to the spares if the read fails.
            let n = match Arc::get_mut(&mut self.chunk) {
                Some(chunk) => read_into(&mut self.inner, &mut chunk.bytes)?,
                None => {
                    let bytes = self.fresh();
                    let mut chunk = Chunk { bytes, home: self.home.clone() };
                    let n = read_into(&mut self.inner, &mut chunk.bytes)?;
                    self.chunk = Arc::new(chunk);
                    n
                }
            };
            (self.pos, self.filled) = (0, n);
            self.shared.set(false);
        }
        Ok(&self.chunk.bytes[self.pos..self.filled])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.filled);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A reader that gives its bytes in reads of the sizes given in turn,
    /// as a pipe does; a size of 0 is a read interrupted by a signal.
    pub(crate) struct Reads<'a> {
        pub bytes: &'a [u8],
        pub sizes: Vec<usize>,
        pub calls: usize,
    }

    impl Read for Reads<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let size = self.sizes[self.calls % self.sizes.len()];
            self.calls += 1;
            if size == 0 {
                return Err(io::ErrorKind::Interrupted.into());
            }
            let n = size.min(self.bytes.len()).min(buf.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    fn reads<'a>(bytes: &'a [u8], sizes: &[usize]) -> Reads<'a> {
        Reads { bytes, sizes: sizes.to_vec(), calls: 0 }
    }

    #[test]
    fn shared_bytes_outlive_the_reads_after_them() {
        let mut chunks = Chunks::with_capacity(4, &b"abcdefghij"[..]);
        assert_eq!(chunks.fill_buf().unwrap(), b"abcd");
        let held = chunks.share(1..3).unwrap();
        assert_eq!(Raw::Shared(chunks.share(1..3).unwrap()).held(), 0);
        assert!(chunks.share(1..5).is_none());
        assert_eq!(chunks.share(3..4).unwrap().held, 0);
        chunks.consume(4);
        // The held chunk is not read into: a new one is.
        assert_eq!(chunks.fill_buf().unwrap(), b"efgh");
        chunks.consume(1);
        assert_eq!(chunks.buffered(), b"fgh");
        let shared = chunks.share(0..2).unwrap();
        assert_eq!((&*shared, shared.held), (&b"fg"[..], 4));
        assert_eq!((&*held, held.held), (&b"bc"[..], 4));
    }

    #[test]
    fn chunks_given_back_are_read_into_again() {
        let input = [7u8; 64];
        let mut chunks = Chunks::with_capacity(8, &input[..]);
        chunks.fill_buf().unwrap();
        let first = chunks.share(0..8).unwrap();
        let address = first.chunk.bytes.as_ptr();
        chunks.consume(8);
        chunks.fill_buf().unwrap();
        drop(first);
        // The current chunk is held again, so the next read takes the
        // spare: the first chunk's buffer.
        let _second = chunks.share(0..8).unwrap();
        chunks.consume(8);
        chunks.fill_buf().unwrap();
        assert_eq!(chunks.chunk.bytes.as_ptr(), address);
        // A chunk nothing holds is read into where it is.
        let current = chunks.chunk.bytes.as_ptr();
        chunks.consume(8);
        chunks.fill_buf().unwrap();
        assert_eq!(chunks.chunk.bytes.as_ptr(), current);
    }

    #[test]
    fn a_failed_read_loses_nothing_and_holds_nothing() {
        let mut chunks = Chunks::with_capacity(4, reads(b"abcdefgh", &[4, 0]));
        chunks.fill_buf().unwrap();
        let held = chunks.share(0..4).unwrap();
        chunks.consume(4);
        let err = chunks.fill_buf().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Interrupted);
        assert_eq!(chunks.buffered(), b"");
        // The chunk made for the failed read went to the spares.
        assert_eq!(chunks.spare.try_iter().count(), 1);
        assert_eq!(chunks.fill_buf().unwrap(), b"efgh");
        assert_eq!(&*held, b"abcd");
    }

    #[test]
    fn bytes_of_a_chunk_a_read_left_part_empty_are_not_shared() {
        let mut chunks = Chunks::with_capacity(8, reads(b"abcdefghijk", &[8]));
        assert_eq!(chunks.fill_buf().unwrap(), b"abcdefgh");
        assert!(chunks.share(0..8).is_some());
        chunks.consume(8);
        assert_eq!(chunks.fill_buf().unwrap(), b"ijk");
        assert!(chunks.share(0..2).is_none());
        let mut pipe = Chunks::with_capacity(8, reads(b"abcdefghijk", &[3]));
        assert_eq!(pipe.fill_buf().unwrap(), b"abc");
        assert!(pipe.share(0..3).is_none());
    }

    #[test]
    fn shortened_bytes_stop_at_their_start() {
        let mut chunks = Chunks::with_capacity(6, &b"abcdef"[..]);
        chunks.fill_buf().unwrap();
        let mut shared = chunks.share(2..5).unwrap();
        shared.shorten(1);
        assert_eq!(&*shared, b"cd");
        shared.shorten(9);
        assert_eq!(&*shared, b"");
        assert_eq!(format!("{shared:?}"), "Shared { len: 0 }");
    }
}
