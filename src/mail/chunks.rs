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
//! Memory: the chunks alive are the one being read and those that
//! messages still hold. Only a chunk that one read filled is shared
//! (input that comes in smaller reads, from a pipe, is copied as
//! before), so shared messages that lie one after another hold about
//! their own bytes; but a small message keeps its whole chunk alive, and
//! a caller that keeps `n` shared messages far apart keeps `n` chunks.

use std::fmt;
use std::io::{self, BufRead, Read};
use std::ops::{Deref, Range};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

/// The size of a chunk.
///
/// PERF: a message that runs past the end of a chunk is copied; with
/// 256 KiB that is about 1 in 70 messages of ordinary mail, and the
/// `read` calls stay few.
pub(crate) const CHUNK: usize = 256 << 10;

/// How many chunks given back wait to be read into again, at most; the
/// others are freed.
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
    Own(Vec<u8>),
    Shared(Shared),
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
        Chunks { inner, chunk, pos: 0, filled: 0, spare, home }
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
        (start <= end && end <= self.filled)
            .then(|| Shared { chunk: self.chunk.clone(), range: start..end })
    }

    /// Makes the current chunk one to read into: it stays when nothing
    /// else holds it, else a spare or a new one takes its place.
    fn make_writable(&mut self) {
        if Arc::get_mut(&mut self.chunk).is_some() {
            return;
        }
        let size = self.chunk.bytes.len();
        let bytes = match self.spare.try_recv() {
            Ok(bytes) if bytes.len() == size => bytes,
            _ => vec![0; size].into_boxed_slice(),
        };
        self.chunk = Arc::new(Chunk { bytes, home: self.home.clone() });
    }
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
            self.make_writable();
            let n = match Arc::get_mut(&mut self.chunk) {
                Some(chunk) => {
                    let n = self.inner.read(&mut chunk.bytes)?;
                    n.min(chunk.bytes.len())
                }
                // N.B. not reached: the chunk was made writable above.
                None => return Err(io::Error::other("mbox buffer in use")),
            };
            (self.pos, self.filled) = (0, n);
        }
        Ok(&self.chunk.bytes[self.pos..self.filled])
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.filled);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_bytes_outlive_the_reads_after_them() {
        let input = b"abcdefghij";
        let mut chunks = Chunks::with_capacity(4, &input[..]);
        assert_eq!(chunks.fill_buf().unwrap(), b"abcd");
        let held = chunks.share(1..3).unwrap();
        assert!(chunks.share(1..5).is_none());
        chunks.consume(4);
        // The held chunk is not read into: a new one is.
        assert_eq!(chunks.fill_buf().unwrap(), b"efgh");
        chunks.consume(1);
        assert_eq!(chunks.buffered(), b"fgh");
        assert_eq!(&*chunks.share(0..2).unwrap(), b"fg");
        assert_eq!(&*held, b"bc");
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

    /// A reader that gives at most `n` bytes a read, as a pipe does.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(self.0.len()).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn bytes_of_a_chunk_a_read_left_part_empty_are_not_shared() {
        let mut chunks = Chunks::with_capacity(8, Trickle(b"abcdefghijk", 8));
        assert_eq!(chunks.fill_buf().unwrap(), b"abcdefgh");
        assert!(chunks.share(0..8).is_some());
        chunks.consume(8);
        assert_eq!(chunks.fill_buf().unwrap(), b"ijk");
        assert!(chunks.share(0..2).is_none());
        let mut pipe = Chunks::with_capacity(8, Trickle(b"abcdefghijk", 3));
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
