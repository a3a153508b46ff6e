//! Reading input line by line in bounded memory.
//!
//! `BufRead::read_until` keeps a whole line, however long: one line of
//! 1 GiB with no newline would be read into memory. [`LineReader`] stores
//! at most what its caller has room for and skips the rest of the line,
//! while still telling how long the line was and how it began.

use std::io::{self, BufRead};

/// How many leading bytes of each line are kept in [`Line::head`].
const HEAD: usize = 8;

/// One line read: its length and its first bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Line {
    /// Its length in bytes, with its `\n` if it has one.
    pub len: usize,
    /// How many of those bytes were stored.
    pub stored: usize,
    head: [u8; HEAD],
    head_len: usize,
    quoted: Quoted,
}

impl Line {
    /// Whether the line begins with `prefix` (at most 8 bytes).
    pub fn starts_with(&self, prefix: &[u8]) -> bool {
        self.head[..self.head_len].starts_with(prefix)
    }

    /// Whether the line reads `>+From ` (an mboxrd escape), however many
    /// `>` it has and however little of it was stored.
    pub fn escaped(&self) -> bool {
        self.quoted.done == Some(true)
    }
}

/// Whether a line reads `>+From `, decided as its bytes arrive.
#[derive(Clone, Copy, Debug, Default)]
struct Quoted {
    quotes: usize,
    /// How many bytes of `From ` followed the quotes.
    from: usize,
    done: Option<bool>,
}

impl Quoted {
    fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.done.is_some() {
                return;
            }
            if self.from == 0 && b == b'>' {
                self.quotes += 1;
            } else if self.quotes > 0 && b == b"From "[self.from] {
                self.from += 1;
                if self.from == 5 {
                    self.done = Some(true);
                }
            } else {
                self.done = Some(false);
            }
        }
    }
}

/// Lines of a `BufRead`, split after each `\n` (a bare CR is not a line
/// end).
pub(crate) struct LineReader<R> {
    inner: R,
}

impl<R: BufRead> LineReader<R> {
    pub fn new(inner: R) -> LineReader<R> {
        LineReader { inner }
    }

    /// The bytes buffered and not consumed yet, filling the buffer when
    /// it is empty; empty at the end of input.
    ///
    /// # Errors
    ///
    /// An I/O error of the reader (`Interrupted` is retried).
    pub fn buffer(&mut self) -> io::Result<&[u8]> {
        loop {
            match self.inner.fill_buf() {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // N.B. at the end of input a second call would read again,
                // and could fail where the first did not.
                Ok([]) => return Ok(&[]),
                // A second call, which does not read (the buffer is not
                // empty): the borrow of the first cannot outlive the loop.
                Ok(_) => return self.inner.fill_buf(),
                Err(e) => return Err(e),
            }
        }
    }

    /// The reader it reads from.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// Marks `n` bytes of [`buffer`](Self::buffer) as read.
    pub fn consume(&mut self, n: usize) {
        self.inner.consume(n);
    }

    /// Reads one line, through its `\n` or to the end of input, appending
    /// at most `room` bytes of it to `out`. `None` at the end of input.
    ///
    /// Memory: `room` bytes at most, whatever the line's length.
    ///
    /// # Errors
    ///
    /// An I/O error of the reader (`Interrupted` is retried). Bytes of the
    /// line read before it are in `out`.
    pub fn read_line(
        &mut self,
        out: &mut Vec<u8>,
        room: usize,
    ) -> io::Result<Option<Line>> {
        let mut line = Line {
            len: 0,
            stored: 0,
            head: [0; HEAD],
            head_len: 0,
            quoted: Quoted::default(),
        };
        loop {
            let buf = match self.inner.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                return Ok((line.len > 0).then_some(line));
            }
            // Up to and including the newline, or the whole buffer.
            let (take, ends) = match memchr::memchr(b'\n', buf) {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            let chunk = &buf[..take];
            let h = (HEAD - line.head_len).min(take);
            line.head[line.head_len..line.head_len + h]
                .copy_from_slice(&chunk[..h]);
            line.head_len += h;
            line.quoted.feed(chunk);
            let keep = take.min(room.saturating_sub(line.stored));
            out.extend_from_slice(&chunk[..keep]);
            line.stored += keep;
            line.len += take;
            self.inner.consume(take);
            if ends {
                return Ok(Some(line));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out its bytes a few at a time.
    struct Trickle<'a>(&'a [u8], usize);

    impl io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(self.0.len()).min(buf.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    #[test]
    fn the_end_of_input_is_read_once() {
        // Two bytes, the end, then a read interrupted: never reached.
        let input = crate::mail::chunks::tests::Reads {
            bytes: b"ab",
            sizes: vec![usize::MAX, usize::MAX, 0],
            calls: 0,
        };
        let mut lines = LineReader::new(io::BufReader::new(input));
        assert_eq!(lines.buffer().unwrap(), b"ab");
        lines.consume(2);
        assert_eq!(lines.buffer().unwrap(), b"");
        assert_eq!(lines.get_ref().get_ref().calls, 2);
    }

    #[test]
    fn long_lines_are_cut_but_measured() {
        let input = b"From abc\nxxxxxxxxxxxxxxxxxxxx\nend";
        let reader = io::BufReader::with_capacity(4, Trickle(input, 3));
        let mut lines = LineReader::new(reader);
        let mut out = Vec::new();
        let first = lines.read_line(&mut out, 100).unwrap().unwrap();
        assert!(first.starts_with(b"From "));
        assert_eq!((first.len, first.stored), (9, 9));
        let second = lines.read_line(&mut out, 5).unwrap().unwrap();
        assert_eq!((second.len, second.stored), (21, 5));
        let third = lines.read_line(&mut out, 100).unwrap().unwrap();
        assert_eq!(third.len, 3);
        assert!(lines.read_line(&mut out, 100).unwrap().is_none());
        assert_eq!(out, b"From abc\nxxxxxend");
    }
}
