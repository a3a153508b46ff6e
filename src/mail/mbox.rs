//! mbox (mboxrd), read one message at a time.
//!
//! A message starts at each line beginning `From ` (the envelope line,
//! which is not part of the message) and runs to the next one. In each
//! message a line matching `^>+From ` loses one `>`: writers add one to
//! every such line, so the original comes back exactly. The blank line a
//! writer puts after each message (`\n`, or `\r\n` in a CRLF mbox) is not
//! part of the message either. Line ends (LF, CRLF, a bare CR inside a
//! line), NUL and 8-bit bytes are kept as they are. A UTF-8 byte-order
//! mark before the first `From ` line is skipped by the caller.
//!
//! Text before the first `From ` line that is not only white space is
//! read as a message of its own (with a warning), so that nothing is
//! dropped; a file without any `From ` line is therefore one message.
//!
//! Memory: one message, at most `max_message` bytes of it; longer
//! messages are cut there and said to be incomplete, and reading goes on
//! at the next `From ` line. The mbox is read in [chunks](super::chunks)
//! of 256 KiB: a message that lies whole in one chunk that one read
//! filled, with no `>From ` line, is handed on as a range of that chunk
//! rather than copied, and keeps the chunk alive while it is held.

use std::io::{self, BufRead, Chain, Cursor, Read};
use std::sync::{Arc, LazyLock};

use memchr::memmem::Finder;

use super::chunks::{Chunks, Raw, Shared};
use super::error::{MailError, io_cause};
use super::lines::LineReader;
use super::mime::too_large;
use super::{Limits, Message, Pending, Source};

/// One message's bytes, as split from the mbox.
#[derive(Debug)]
pub(crate) struct Entry {
    /// Its bytes, as copied out of the mbox: unescaped, without its
    /// `From ` line and separator. Empty when they are `shared`.
    pub bytes: Vec<u8>,
    /// Its bytes, when the reader's chunk held them as they are.
    pub shared: Option<Shared>,
    /// The bytes it took in the mbox, its `From ` line included.
    pub raw_len: usize,
    /// It was longer than `max_message` and was cut.
    pub cut: bool,
    /// It stood before the first `From ` line.
    pub preamble: bool,
    /// Reading failed inside it.
    pub error: Option<io::Error>,
}

/// The messages of one mbox.
pub(crate) struct Mbox<R> {
    lines: LineReader<Chunks<R>>,
    path: Arc<str>,
    limits: Limits,
    index: usize,
    /// The length of the `From ` line that starts the next message.
    next_from: Option<usize>,
    started: bool,
    done: bool,
}

impl Entry {
    /// Its bytes, wherever they are.
    pub fn text(&self) -> &[u8] {
        match &self.shared {
            Some(shared) => shared,
            None => &self.bytes,
        }
    }

    /// Its bytes, wherever they are, to keep.
    fn into_raw(self) -> Raw {
        match self.shared {
            Some(shared) => Raw::Shared(shared),
            None => Raw::Own(self.bytes),
        }
    }
}

impl<R: Read> Mbox<R> {
    pub fn new(reader: R, path: String, limits: Limits) -> Mbox<R> {
        Mbox::with_chunks(Chunks::new(reader), path, limits)
    }

    /// An mbox read in chunks of `capacity` bytes, for tests of messages
    /// that run across them.
    #[cfg(test)]
    fn with_capacity(
        capacity: usize,
        reader: R,
        path: String,
        limits: Limits,
    ) -> Mbox<R> {
        Mbox::with_chunks(
            Chunks::with_capacity(capacity, reader),
            path,
            limits,
        )
    }

    fn with_chunks(
        chunks: Chunks<R>,
        path: String,
        limits: Limits,
    ) -> Mbox<R> {
        Mbox {
            lines: LineReader::new(chunks),
            path: path.into(),
            limits,
            index: 0,
            next_from: None,
            started: false,
            done: false,
        }
    }

    /// The next message's bytes, or `None` at the end of the mbox.
    pub fn next_entry(&mut self) -> Option<Entry> {
        loop {
            if self.done {
                return None;
            }
            let mut e = Entry {
                bytes: Vec::new(),
                shared: None,
                raw_len: self.next_from.take().unwrap_or(0),
                cut: false,
                preamble: !self.started,
                error: None,
            };
            self.read_message(&mut e);
            // Only blank lines before the first `From ` line: no message.
            if e.preamble
                && e.error.is_none()
                && !e.cut
                && e.text().iter().all(u8::is_ascii_whitespace)
            {
                continue;
            }
            if !e.cut && !e.preamble {
                strip_separator(&mut e);
            }
            return Some(e);
        }
    }

    /// Reads lines into `e` up to the next `From ` line or the end.
    ///
    /// The whole lines in the reader's buffer are split at once; a line
    /// that runs past the buffer is read on its own.
    fn read_message(&mut self, e: &mut Entry) {
        loop {
            if let Err(err) = self.lines.buffer() {
                self.done = true;
                e.error = Some(err);
                return;
            }
            let chunks = self.lines.get_ref();
            let buf = chunks.buffered();
            if buf.is_empty() {
                self.done = true;
                return;
            }
            let Some(last) = memchr::memrchr(b'\n', buf) else {
                if self.read_line(e) {
                    continue;
                }
                return;
            };
            let split = split_lines(&buf[..=last], e, self.limits.max_message);
            if let Split::Verbatim { at, .. } = split {
                match chunks.share(0..at) {
                    Some(shared) => e.shared = Some(shared),
                    // A chunk a short read filled is not shared: copied,
                    // as for `Next`.
                    None => keep(e, &buf[..at], self.limits.max_message),
                }
            }
            match split {
                Split::Whole => self.lines.consume(last + 1),
                Split::Next { at, from_line }
                | Split::Verbatim { at, from_line } => {
                    self.lines.consume(at + from_line);
                    self.next_from = Some(from_line);
                    self.started = true;
                    return;
                }
            }
        }
    }

    /// Reads one line into `e`; false when it is the next `From ` line
    /// or there is no more input.
    fn read_line(&mut self, e: &mut Entry) -> bool {
        let start = e.bytes.len();
        let room = room(e, self.limits.max_message);
        match self.lines.read_line(&mut e.bytes, room) {
            Err(err) => {
                self.done = true;
                e.error = Some(err);
                false
            }
            Ok(None) => {
                self.done = true;
                false
            }
            Ok(Some(line)) if line.starts_with(b"From ") => {
                e.bytes.truncate(start);
                self.next_from = Some(line.len);
                self.started = true;
                false
            }
            Ok(Some(line)) => {
                e.raw_len += line.len;
                e.cut |= line.stored < line.len;
                if line.escaped() && line.stored > 0 {
                    e.bytes.remove(start);
                }
                true
            }
        }
    }
}

/// How [`split_lines`] left a run of whole lines.
enum Split {
    /// Every line belongs to the message.
    Whole,
    /// The line at `at`, `from_line` bytes long, starts the next message.
    Next { at: usize, from_line: usize },
    /// As `Next`, and the message is all of the lines before `at`, as
    /// they are: they were not copied, for the caller to share, or to
    /// copy when the chunk may not be shared.
    Verbatim { at: usize, from_line: usize },
}

/// Adds whole lines (`lines` starts a line and ends with `\n`) to `e`, up
/// to the first `From ` line, unescaping `>From ` lines, and keeping at
/// most `max` bytes of the message; or, when the message starts with
/// these lines and ends in them unchanged, adds nothing and says so.
fn split_lines(lines: &[u8], e: &mut Entry, max: usize) -> Split {
    // Where the next message starts, if it does in these lines, and
    // whether a `>From ` line comes first; room for what comes before it,
    // in one allocation.
    let mut escaped = false;
    let next = from_lines(lines).find(|&(_, quotes)| {
        escaped |= quotes > 0;
        quotes == 0
    });
    let end = next.map_or(lines.len(), |(line, _)| line);
    // N.B. every line kept adds a byte or cuts the message: nothing of
    // it was read before these lines.
    let fresh = e.bytes.is_empty() && !e.cut;
    if let Some((line, _)) = next
        && fresh
        && !escaped
        && end <= room(e, max)
    {
        e.raw_len += line;
        let from_line = line_len(lines, line);
        return Split::Verbatim { at: line, from_line };
    }
    e.bytes.reserve(end.min(room(e, max)));

    // The lines before it, each `>From ` line with one `>` less (searched
    // for again only when there is one).
    let mut copied = 0;
    if escaped {
        for (line, _) in from_lines(&lines[..end]) {
            keep(e, &lines[copied..line], max);
            copied = line + 1;
        }
    }
    keep(e, &lines[copied..end], max);
    match next {
        Some((line, _)) => {
            e.raw_len += line;
            Split::Next { at: line, from_line: line_len(lines, line) }
        }
        None => {
            e.raw_len += lines.len();
            Split::Whole
        }
    }
}

/// The length of the line at `at`, its `\n` included.
fn line_len(lines: &[u8], at: usize) -> usize {
    memchr::memchr(b'\n', &lines[at..]).map_or(0, |n| n + 1)
}

/// The lines of `lines` that read `From ` after any number of `>`: where
/// each starts, and how many `>` it has.
fn from_lines(lines: &[u8]) -> impl Iterator<Item = (usize, usize)> + '_ {
    static FROM: LazyLock<Finder<'static>> =
        LazyLock::new(|| Finder::new(b"From "));
    FROM.find_iter(lines).filter_map(|i| {
        let quotes =
            lines[..i].iter().rev().take_while(|&&b| b == b'>').count();
        let line = i - quotes;
        let starts = line == 0 || lines[line - 1] == b'\n';
        starts.then_some((line, quotes))
    })
}

/// How many more bytes the message may keep under `max`: none once it
/// has been cut (an unescape may have made room, but the bytes kept must
/// stay the message's first bytes).
fn room(e: &Entry, max: usize) -> usize {
    match e.cut {
        true => 0,
        false => max.saturating_sub(e.bytes.len()),
    }
}

/// Appends `bytes` to the message, as far as [`room`] allows.
fn keep(e: &mut Entry, bytes: &[u8], max: usize) {
    let room = room(e, max);
    if bytes.len() > room {
        e.cut = true;
    }
    e.bytes.extend_from_slice(&bytes[..bytes.len().min(room)]);
}

impl<R: Read> Mbox<R> {
    /// The next message, its bytes still to parse.
    pub fn next_pending(&mut self) -> Option<Result<Pending, MailError>> {
        let mut e = self.next_entry()?;
        let index = self.index;
        self.index += 1;
        // Nothing read at all: the mbox cannot be read.
        if e.raw_len == 0
            && let Some(err) = e.error.take()
        {
            return Some(Err(MailError::io(self.path.to_string(), err)));
        }
        let source = Source { path: self.path.clone(), index };
        let shell = Message::empty(source, e.raw_len);
        let (preamble, cut) = (e.preamble, e.cut);
        let error = e.error.take();
        let mut msg = Pending::raw(shell, e.into_raw(), self.limits);
        if preamble {
            msg.warn(
                "text before the first `From ` line, read as one message"
                    .into(),
            );
        }
        if cut {
            msg.fail(too_large(self.limits.max_message));
        }
        if let Some(err) = &error {
            msg.fail(format!(
                "read failed inside this message: {}",
                io_cause(err)
            ));
        }
        Some(Ok(msg))
    }
}

/// One message's bytes as an mbox holds them (see [`mbox_messages`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawMessage {
    /// Its bytes: `>From ` lines unescaped, without its `From ` line and
    /// the blank line after it.
    pub bytes: Vec<u8>,
    /// How many bytes it took in the mbox, its `From ` line included.
    pub raw_len: usize,
    /// False when it was longer than `max_message` and `bytes` holds only
    /// its first `max_message` bytes.
    pub complete: bool,
}

/// The raw messages of an mbox: an iterator from [`mbox_messages`].
pub struct MboxMessages<R>(Mbox<Chain<Cursor<Vec<u8>>, R>>);

/// Splits an mbox into its messages' bytes, as [`open`](super::open)
/// does before parsing them: for tools that need the bytes themselves
/// (rebuilding files, checking them byte for byte).
///
/// Streaming: one message in memory at a time, at most `max_message`
/// bytes of it, and a read buffer of 256 KiB. A UTF-8 byte-order mark at
/// the start is skipped; text before the first `From ` line that is not
/// only white space is the first message.
///
/// # Errors
///
/// Reading the first bytes fails. Each item is an `Err` when reading
/// fails inside the mbox (the message being read is not returned) and
/// the iterator ends after it.
///
/// # Example
///
/// ```
/// use mailshield::mail::{Limits, mbox_messages};
///
/// let mbox = &b"From a\n>From here\n\nFrom b\nbye\n"[..];
/// let msgs: Vec<Vec<u8>> = mbox_messages(mbox, Limits::default())
///     .unwrap()
///     .map(|m| m.unwrap().bytes)
///     .collect();
/// assert_eq!(msgs, [&b"From here\n"[..], b"bye\n"]);
/// ```
pub fn mbox_messages<R: BufRead>(
    mut reader: R,
    limits: Limits,
) -> io::Result<MboxMessages<R>> {
    let mut prefix = Vec::with_capacity(3);
    (&mut reader).take(3).read_to_end(&mut prefix)?;
    if prefix == b"\xEF\xBB\xBF" {
        prefix.clear();
    }
    let chained = Cursor::new(prefix).chain(reader);
    Ok(MboxMessages(Mbox::new(chained, String::new(), limits)))
}

impl<R: BufRead> Iterator for MboxMessages<R> {
    type Item = io::Result<RawMessage>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut e = self.0.next_entry()?;
        Some(match e.error.take() {
            Some(err) => Err(err),
            None => Ok(RawMessage {
                raw_len: e.raw_len,
                complete: !e.cut,
                bytes: match e.into_raw() {
                    Raw::Own(bytes) => bytes,
                    Raw::Shared(shared) => shared.to_vec(),
                },
            }),
        })
    }
}

/// Drops the blank line that separates a message from the next.
fn strip_separator(e: &mut Entry) {
    let n = separator_len(e.text());
    match &mut e.shared {
        Some(shared) => shared.shorten(n),
        None => e.bytes.truncate(e.bytes.len() - n),
    }
}

/// The length of the blank line that ends `bytes`, if one does.
fn separator_len(bytes: &[u8]) -> usize {
    if bytes.ends_with(b"\n\n") || bytes == b"\n" {
        1
    } else if bytes.ends_with(b"\r\n\r\n") || bytes == b"\r\n" {
        2
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::chunks::tests::Reads;

    /// Every entry of `mbox`, all held until the end (so that chunks are
    /// held while the reader goes on), as bytes, length and cut.
    fn entries<R: Read>(mut mbox: Mbox<R>) -> Vec<(Vec<u8>, usize, bool)> {
        let held: Vec<Entry> =
            std::iter::from_fn(|| mbox.next_entry()).collect();
        held.iter().map(|e| (e.text().to_vec(), e.raw_len, e.cut)).collect()
    }

    fn split(input: &[u8], max: usize) -> Vec<(Vec<u8>, usize, bool)> {
        let limits = Limits { max_message: max, ..Limits::default() };
        entries(Mbox::new(input, "t.mbox".into(), limits))
    }

    /// [`split`] through chunks of `capacity` bytes, so that lines run
    /// past them and messages run across them, read in reads of `sizes`
    /// bytes in turn (0: an interrupted read).
    fn split_buffered(
        input: &[u8],
        max: usize,
        capacity: usize,
        sizes: &[usize],
    ) -> Vec<(Vec<u8>, usize, bool)> {
        let limits = Limits { max_message: max, ..Limits::default() };
        let reads = Reads { bytes: input, sizes: sizes.to_vec(), calls: 0 };
        entries(Mbox::with_capacity(capacity, reads, "t.mbox".into(), limits))
    }

    /// The rules of the module docs, line by line, with no limit.
    fn model(input: &[u8]) -> Vec<(Vec<u8>, usize)> {
        model_unstripped(input)
            .into_iter()
            .map(|(mut bytes, len, preamble)| {
                if !preamble {
                    bytes.truncate(bytes.len() - separator_len(&bytes));
                }
                (bytes, len)
            })
            .collect()
    }

    /// [`model`]'s messages before their separators are dropped, and
    /// whether each is the preamble.
    fn model_unstripped(input: &[u8]) -> Vec<(Vec<u8>, usize, bool)> {
        // Each message: its bytes, its length, whether it is the preamble.
        let mut messages = vec![(Vec::new(), 0, true)];
        for line in input.split_inclusive(|&b| b == b'\n') {
            if line.starts_with(b"From ") {
                messages.push((Vec::new(), line.len(), false));
                continue;
            }
            let (bytes, len, _) = messages.last_mut().unwrap();
            *len += line.len();
            let quotes = line.iter().take_while(|&&b| b == b'>').count();
            let escaped = quotes > 0 && line[quotes..].starts_with(b"From ");
            bytes.extend_from_slice(&line[usize::from(escaped)..]);
        }
        messages
            .into_iter()
            .filter(|(bytes, _, preamble)| {
                !preamble || !bytes.iter().all(u8::is_ascii_whitespace)
            })
            .collect()
    }

    proptest::proptest! {
        #[test]
        fn splitting_follows_the_rules_whatever_the_buffer(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "From ", ">", ">>", "\n", "\r\n", "\r", "a", " ",
                    "From x\n", ">From y\n", "x>From ", "\n\n",
                ]),
                0..40,
            ),
            capacity in 1usize..24,
            // Full reads, and short and interrupted ones, in turn; the
            // last always gives bytes.
            mut sizes in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(usize::MAX),
                    0usize..24,
                ],
                0..6,
            ),
            max in 1usize..64,
        ) {
            sizes.push(usize::MAX);
            let input = parts.concat().into_bytes();
            let whole: Vec<(Vec<u8>, usize)> = split(&input, 1 << 20)
                .into_iter()
                .map(|(bytes, len, _)| (bytes, len))
                .collect();
            proptest::prop_assert_eq!(&whole, &model(&input));
            let buffered: Vec<(Vec<u8>, usize)> =
                split_buffered(&input, 1 << 20, capacity, &sizes)
                    .into_iter()
                    .map(|(bytes, len, _)| (bytes, len))
                    .collect();
            proptest::prop_assert_eq!(&buffered, &whole);
            // Cut: the first bytes of the message (its separator not
            // dropped), its length in full. A blank preamble that was cut
            // is kept: its unread rest could have been text.
            let unstripped = model_unstripped(&input);
            let mut cut = split_buffered(&input, max, capacity, &sizes);
            if cut.len() == whole.len() + 1 {
                let (bytes, _, was_cut) = cut.remove(0);
                proptest::prop_assert!(was_cut);
                proptest::prop_assert!(
                    bytes.iter().all(u8::is_ascii_whitespace)
                );
            }
            proptest::prop_assert_eq!(cut.len(), whole.len());
            for (((bytes, len, was_cut), (full, full_len)), raw) in
                cut.iter().zip(&whole).zip(&unstripped)
            {
                proptest::prop_assert_eq!(len, full_len);
                proptest::prop_assert!(bytes.len() <= max);
                if *was_cut {
                    proptest::prop_assert!(raw.0.starts_with(bytes));
                } else {
                    proptest::prop_assert_eq!(bytes, full);
                }
            }
        }
    }

    /// Each entry of `input` read in chunks of `capacity` through
    /// `reads`: bytes, length, cut, shared, and the memory held.
    fn shares<R: Read>(
        capacity: usize,
        reads: R,
    ) -> Vec<(Vec<u8>, usize, bool, bool, usize)> {
        let limits = Limits::default();
        let mut mbox =
            Mbox::with_capacity(capacity, reads, "t.mbox".into(), limits);
        let held: Vec<Entry> =
            std::iter::from_fn(|| mbox.next_entry()).collect();
        // The memory held is that of a shared chunk; copies show 0.
        held.into_iter()
            .map(|e| {
                let (text, len, cut) = (e.text().to_vec(), e.raw_len, e.cut);
                let shared = e.shared.is_some();
                let held = if shared { e.into_raw().held() } else { 0 };
                (text, len, cut, shared, held)
            })
            .collect()
    }

    #[test]
    fn messages_whole_in_a_chunk_are_shared_not_copied() {
        let mbox = b"preamble\nFrom a\r\nSubject: one\r\n\r\nbody\r\n\r\n\
                     From b\n>From x\n\nFrom c\nyes\n\nFrom d\nlast\n";
        // One read fills the one chunk. The preamble and the first are
        // shared, the first share counting the whole chunk; the second has
        // an escaped line; the last ends with the input.
        let n = mbox.len();
        assert_eq!(
            shares(n, &mbox[..]),
            [
                (b"preamble\n".to_vec(), 9, false, true, n),
                (b"Subject: one\r\n\r\nbody\r\n".to_vec(), 32, false, true, 0),
                (b"From x\n".to_vec(), 16, false, false, 0),
                (b"yes\n".to_vec(), 12, false, true, 0),
                (b"last\n".to_vec(), 12, false, false, 0),
            ]
        );
    }

    #[test]
    fn messages_read_in_short_reads_are_copied() {
        let mbox = b"From a\nSubject: one\n\nbody\n\nFrom b\nlast\n";
        let reads = Reads { bytes: mbox, sizes: vec![16], calls: 0 };
        let got = shares(mbox.len(), reads);
        assert_eq!(
            got.iter().map(|e| (&e.0[..], e.3)).collect::<Vec<_>>(),
            [(&b"Subject: one\n\nbody\n"[..], false), (b"last\n", false)]
        );
    }

    /// What parsing made of a message, in a form to compare.
    #[derive(Debug, PartialEq)]
    struct Resolved {
        id: Option<String>,
        fields: Vec<(String, Vec<u8>)>,
        warnings: Vec<String>,
        errors: Vec<String>,
        complete: bool,
        raw_len: usize,
    }

    fn resolved(m: &Message, fields: &[crate::scan::Field<'_>]) -> Resolved {
        Resolved {
            id: m.id.clone(),
            fields: fields
                .iter()
                .map(|f| (f.name.to_string(), f.text.to_vec()))
                .collect(),
            warnings: m.warnings.clone(),
            errors: m.errors.clone(),
            complete: m.complete,
            raw_len: m.raw_len,
        }
    }

    #[test]
    fn shared_and_copied_messages_resolve_the_same() {
        let mut mbox = Vec::new();
        for i in 0..40 {
            let body = "x".repeat(i * 37);
            mbox.extend_from_slice(
                format!(
                    "From a\nFrom: ana{i}@example.com\nSubject: n{i}\n\n\
                     call 415-555-01{i:02} {body}\n\n"
                )
                .as_bytes(),
            );
        }
        // A warning of parsing (a stray line among the headers), and an
        // error of reading (cut at `max_message`).
        mbox.extend_from_slice(b"From b\nSubject: s\nstray\n\nhi\n\n");
        let long = format!("From c\nSubject: t\n\n{}\n", "y".repeat(3000));
        mbox.extend_from_slice(long.as_bytes());

        // Each message as parsed (with its fields apart, borrowing, or
        // in it), the memory each keeps alive, and the buffers given back.
        let resolve = |sizes: Vec<usize>, borrowing: bool| {
            let limits = Limits { max_message: 2000, ..Limits::default() };
            let reads = Reads { bytes: &mbox, sizes, calls: 0 };
            let mut m =
                Mbox::with_capacity(512, reads, "t.mbox".into(), limits);
            let pendings: Vec<Pending> =
                std::iter::from_fn(|| m.next_pending())
                    .map(Result::unwrap)
                    .collect();
            let held: Vec<usize> =
                pendings.iter().map(Pending::held_len).collect();
            let (messages, given): (Vec<Resolved>, Vec<usize>) = pendings
                .into_iter()
                .map(|p| match borrowing {
                    true => {
                        let (r, buffer) = p.resolve_borrowing(|m, fields| {
                            assert!(m.fields.is_empty());
                            resolved(&m, fields)
                        });
                        (r, buffer.len())
                    }
                    false => {
                        let (m, buffer) = p.resolve_giving_back();
                        (resolved(&m, &m.fields), buffer.len())
                    }
                })
                .unzip();
            (messages, held, given)
        };
        let (shared, held, _) = resolve(vec![usize::MAX], false);
        let (borrowed, _, _) = resolve(vec![usize::MAX], true);
        let (copied, own, given) = resolve(vec![100], true);
        assert_eq!(shared.len(), 42);
        assert_eq!(borrowed, shared);
        assert_eq!(copied, shared);
        let (stray, cut) = (&shared[40], &shared[41]);
        assert_eq!(stray.warnings.len(), 1, "{stray:?}");
        assert!(stray.errors.is_empty() && stray.complete);
        assert_eq!(cut.errors, [super::too_large(2000)]);
        assert!(cut.warnings.is_empty() && !cut.complete);
        // Some were shared: a chunk counted whole, then none after it.
        assert!(held.contains(&512) && held.contains(&0), "{held:?}");
        // Copies hold their own buffers, at least their bytes each, and
        // give them back.
        for ((n, back), m) in own.iter().zip(&given).zip(&copied) {
            assert!(*n > 0 && *n + 8 >= m.raw_len.min(2000), "{n} {m:?}");
            assert!(*back > 0);
        }
    }

    #[test]
    fn raw_messages_of_an_mbox_larger_than_a_chunk() {
        let mut mbox = Vec::new();
        for i in 0..100 {
            // Half with an escaped line (copied), half without (shared).
            let first = match i % 2 {
                0 => format!(">From {i}"),
                _ => format!("Line {i}"),
            };
            let line = format!("{first}\n{}\n", "y".repeat(i * 61));
            mbox.extend_from_slice(b"From a\n");
            mbox.extend_from_slice(line.repeat(i % 7 + 1).as_bytes());
            mbox.extend_from_slice(b"\n");
        }
        assert!(mbox.len() > 2 * crate::mail::chunks::CHUNK);
        let raw: Vec<(Vec<u8>, usize)> =
            mbox_messages(&mbox[..], Limits::default())
                .unwrap()
                .map(|m| m.map(|m| (m.bytes, m.raw_len)).unwrap())
                .collect();
        assert_eq!(raw, model(&mbox));
    }

    fn texts(input: &[u8]) -> Vec<Vec<u8>> {
        split(input, 1 << 20).into_iter().map(|e| e.0).collect()
    }

    #[test]
    fn lf_messages_and_separators() {
        let mbox = b"From a@example.com Thu Jan  1 00:00:00 1970\n\
                     Subject: one\n\nbody\n\n\
                     From b@example.com Thu Jan  1 00:00:00 1970\n\
                     Subject: two\n\nlast line\n";
        assert_eq!(
            texts(mbox),
            [&b"Subject: one\n\nbody\n"[..], b"Subject: two\n\nlast line\n"]
        );
        let lens: Vec<usize> =
            split(mbox, 1 << 20).iter().map(|e| e.1).collect();
        assert_eq!(lens.iter().sum::<usize>(), mbox.len());
    }

    #[test]
    fn crlf_separators_and_no_final_newline() {
        let mbox = b"From a\r\nSubject: one\r\n\r\nbody\r\n\r\n\
                     From b\r\nSubject: two\r\n\r\nno newline at end";
        assert_eq!(
            texts(mbox),
            [
                &b"Subject: one\r\n\r\nbody\r\n"[..],
                b"Subject: two\r\n\r\nno newline at end"
            ]
        );
    }

    #[test]
    fn escapes_lose_one_quote_and_bare_cr_is_not_a_line_end() {
        let mbox = b"From a\n>From here\n>>From there\n>>>From x\n\
                     > From not escaped\nx\rFrom inside a line\n\n";
        assert_eq!(
            texts(mbox),
            [&b"From here\n>From there\n>>From x\n> From not escaped\n\
                x\rFrom inside a line\n"[..]]
        );
    }

    #[test]
    fn preamble_and_files_without_from_lines() {
        assert_eq!(texts(b"\n\r\nFrom a\nbody\n"), [b"body\n"]);
        assert_eq!(
            texts(b"junk\nFrom a\nbody\n"),
            [&b"junk\n"[..], b"body\n"]
        );
        assert_eq!(
            texts(b"Subject: x\n\nno envelope\n"),
            [b"Subject: x\n\nno envelope\n"]
        );
        assert!(texts(b"").is_empty());
        assert_eq!(texts(b"From a\n"), [b""]);
    }

    #[test]
    fn long_messages_are_cut_and_the_next_one_read() {
        let mut mbox = b"From a\n".to_vec();
        mbox.extend_from_slice(&[b'x'; 100]);
        mbox.extend_from_slice(b"\n\nFrom b\nsmall\n");
        let got = split(&mbox, 40);
        assert_eq!(got.len(), 2);
        assert_eq!((got[0].0.len(), got[0].1, got[0].2), (40, 109, true));
        assert_eq!((&got[1].0[..], got[1].2), (&b"small\n"[..], false));
    }

    #[test]
    fn messages_carry_source_and_errors() {
        let limits = Limits { max_message: 12, ..Limits::default() };
        let input =
            &b"From a\nSubject: a long subject\n\nFrom b\nSubject: b\n"[..];
        let mut mbox = Mbox::new(input, "m.mbox".into(), limits);
        let msgs: Vec<Message> = std::iter::from_fn(|| mbox.next_pending())
            .map(|p| p.unwrap().resolve())
            .collect();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[1].source, Source { path: "m.mbox".into(), index: 1 });
        assert!(!msgs[0].complete && msgs[1].complete);
        assert_eq!(msgs[0].errors.len(), 1, "{:?}", msgs[0].errors);
    }
}
