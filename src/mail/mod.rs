//! Mail input: JSONL exports, `.eml` files, trees of them, maildir, mbox
//! and stdin, turned into messages made of fields.
//!
//! [`open`] gives a [`Reader`] over one input: a file, stdin (`-`), a
//! directory tree or a maildir. It is an iterator of [`Message`]s in input
//! order, each with its [`Source`] (the file it came from and its position
//! there), its fields in the order SPEC section 5 gives (`from`, `to`,
//! `cc`, `reply-to`, `subject`, then `body`, `body.1`, ... for the text
//! parts, or `body`, `subject`, `sender_email` for a JSONL record),
//! warnings, errors and whether it was read completely. [`inputs`] expands
//! paths into the files a run reads, in a sorted, deterministic order.
//! [`parse`] turns the raw bytes of one message into fields; it is what
//! the readers use, and what the C ABI calls on a buffer.
//! [`parse_borrowing`] does the same with the body of a plain message
//! borrowed from those bytes rather than copied; the command line parses
//! so, through [`Pending::resolve_borrowing`].
//!
//! How inputs are recognised (`--format auto`):
//! - a directory with both `cur/` and `new/` is a maildir: the files in
//!   `cur/` then `new/`, each sorted by name, then Maildir++ subfolders
//!   (subdirectories that are maildirs themselves); `tmp/` and the files at
//!   the maildir's top (index files) are not messages;
//! - another directory is a tree in which every regular file is one
//!   message, except files named `*.mbox` or `*.mbox.txt`, which are
//!   mboxes; a maildir inside a tree is read as a maildir;
//! - a file named `*.jsonl` or `*.ndjson` is JSONL, `*.mbox` or
//!   `*.mbox.txt` an mbox, any other file one message;
//! - stdin is JSONL if its first byte is `{`, an mbox if it starts with
//!   `From `, else one message ([`sniff`]); a UTF-8 byte-order mark before
//!   either is skipped.
//!
//! Symbolic links are followed. A link that leads back to one of its own
//! ancestors is reported once, as an error for that path, and the rest of
//! the tree is read.
//!
//! Limits, checked before the memory is spent ([`Limits`]):
//! - a message larger than [`Limits::max_message`] (64 MiB) is cut there:
//!   its fields come from its first `max_message` bytes, and it says
//!   `complete: false`. mbox and JSONL inputs are read line by line, so an
//!   archive of any size takes memory for one message at a time; a single
//!   message file or stdin is read up to `max_message` bytes and no
//!   further, so endless input (`/dev/zero`) ends there;
//! - MIME parts nested deeper than [`Limits::max_depth`] (32) are skipped
//!   with a warning, the rest is scanned;
//! - fields whose text would take the message's decoded bytes over
//!   [`Limits::max_decoded`] (256 MiB) are left out, and the message says
//!   `complete: false`;
//! - a message attached in base64 or quoted-printable inside another one
//!   is decoded at most three levels deep; deeper ones are left out and
//!   the message says `complete: false`;
//! - a message that declares more than 512 nested messages, in its bytes
//!   or in what decoding them would reveal, is not MIME-parsed (the
//!   parser's recursion could overflow the stack, which aborts the
//!   process): its raw bytes are scanned and it says `complete: false`.
//!   No recursion in this module follows the input's depth.
//!
//! Current limitations, plainly:
//! - MIME is parsed by the `mail-parser` crate (0.11). Where it panics (it
//!   does on some malformed input, through a debug assertion), the panic
//!   is caught: the message is scanned as its raw bytes in one field,
//!   `raw`, with a warning. The default panic hook still prints its line
//!   on stderr; this module does not touch the process-wide hook, which
//!   belongs to the program (the command line may install a quiet one).
//! - The headers of an attached message (`message/rfc822`) are not
//!   fields; its text parts are text parts of the message. Of the top
//!   headers only `From`, `To`, `Cc`, `Reply-To` and `Subject` are.
//! - FIXME: the preamble and epilogue of a multipart (text before its
//!   first boundary and after its last) are not scanned; some bounces put
//!   their human-readable text there.
//! - HTML becomes text by a small converter: tags are removed, block
//!   elements end lines, entities are decoded; attribute values (link
//!   targets, `alt` text) are not kept.
//! - A `charset` named only inside an HTML `<meta>` tag is not used.
//! - A text part in an unknown charset, or 8-bit text with no charset, is
//!   read as UTF-8 with invalid bytes replaced by U+FFFD.
//! - Endless mbox or JSONL input (a FIFO that never ends a message) is
//!   read for as long as it lasts, in bounded memory.

mod chunks;
mod decode;
mod error;
mod guard;
mod headers;
mod html;
mod input;
pub(crate) mod jsonl;
mod lines;
mod mbox;
mod mime;
mod simple;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::rules::FieldRole;
use crate::scan::Field;
use chunks::Raw;

pub use error::MailError;
pub use input::{Input, Inputs, Pendings, Reader, inputs, open, sniff};
pub use mbox::{MboxMessages, RawMessage, mbox_messages};
pub use mime::{Parsed, parse, parse_borrowing};

/// How an input is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Recognised by name, by a directory's layout, or for stdin by its
    /// first bytes (see the [module docs](self)).
    Auto,
    /// One JSON object per line.
    Jsonl,
    /// One RFC 5322 message per file.
    Eml,
    /// Messages after `From ` lines (mboxrd).
    Mbox,
    /// A maildir: messages in `cur/` and `new/`.
    Maildir,
}

impl Format {
    /// The name used on the command line: `auto`, `jsonl`, ...
    pub fn name(self) -> &'static str {
        match self {
            Format::Auto => "auto",
            Format::Jsonl => "jsonl",
            Format::Eml => "eml",
            Format::Mbox => "mbox",
            Format::Maildir => "maildir",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error of parsing a [`Format`] name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatError {
    given: String,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown input format `{}` (expected auto, jsonl, eml, mbox or \
             maildir)",
            self.given
        )
    }
}

impl std::error::Error for FormatError {}

impl FromStr for Format {
    type Err = FormatError;

    /// Parses `auto`, `jsonl`, `eml`, `mbox` or `maildir` (lower case).
    ///
    /// # Example
    ///
    /// ```
    /// use mailshield::mail::Format;
    ///
    /// assert_eq!("mbox".parse::<Format>().unwrap(), Format::Mbox);
    /// assert!("pst".parse::<Format>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Format, FormatError> {
        Ok(match s {
            "auto" => Format::Auto,
            "jsonl" => Format::Jsonl,
            "eml" => Format::Eml,
            "mbox" => Format::Mbox,
            "maildir" => Format::Maildir,
            _ => return Err(FormatError { given: s.into() }),
        })
    }
}

/// Where a message came from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Source {
    /// The path of its own file (`-` for stdin). Paths that are not UTF-8
    /// are shown with U+FFFD in place of the bytes that are not. Shared:
    /// every message of one file holds the same path.
    pub path: Arc<str>,
    /// Its position in that file, from 0: the line of a JSONL file (blank
    /// lines count), the message of an mbox, 0 for a single message.
    pub index: usize,
}

/// Limits on one message, checked before memory is spent on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest message read, in bytes (default 64 MiB). Bytes past it
    /// are not scanned and the message says `complete: false`.
    pub max_message: usize,
    /// The deepest MIME nesting followed (default 32). Deeper parts are
    /// skipped with a warning.
    pub max_depth: usize,
    /// The most decoded bytes kept per message, all fields together
    /// (default 256 MiB). Past it fields are left out and the message says
    /// `complete: false`.
    pub max_decoded: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_message: 64 << 20, max_depth: 32, max_decoded: 256 << 20 }
    }
}

/// One message, ready to scan.
///
/// `Debug` shows field names and sizes, never their text.
#[derive(Clone)]
pub struct Message {
    /// Where it came from.
    pub source: Source,
    /// A JSONL record's `id` as given (a string as it is, a number as
    /// JSON prints it), or the Message-ID without its angle brackets;
    /// `None` when there is neither.
    pub id: Option<String>,
    /// Its fields, in SPEC section 5 order.
    pub fields: Vec<Field<'static>>,
    /// A JSONL record's keys other than `id`, `subject`, `body` and
    /// `sender_email`, kept for output and not scanned.
    pub extra: serde_json::Map<String, serde_json::Value>,
    /// Problems that did not stop it from being read, one line each,
    /// naming a cause and never the message's content.
    pub warnings: Vec<String>,
    /// Problems that left part of it unread or unscanned.
    pub errors: Vec<String>,
    /// Every byte of it was read and decoded into fields.
    pub complete: bool,
    /// How many bytes of its input it took (for an mbox, from its `From `
    /// line up to the next one).
    pub raw_len: usize,
}

impl Message {
    /// The message's text: its body fields (`body`, `body.1`, ...,
    /// or `raw`) joined by a blank line (`"\n\n"`), as SPEC section 5
    /// defines it for the `seed` pack and for protection.
    ///
    /// # Example
    ///
    /// ```
    /// use mailshield::mail::{Message, Source};
    /// use mailshield::rules::FieldRole;
    /// use mailshield::scan::Field;
    ///
    /// let field = |name: &'static str, role, text: &'static [u8]| Field {
    ///     name: name.into(),
    ///     role,
    ///     text: text.into(),
    /// };
    /// let msg = Message {
    ///     source: Source { path: "-".into(), index: 0 },
    ///     id: None,
    ///     fields: vec![
    ///         field("subject", FieldRole::Subject, b"hi"),
    ///         field("body", FieldRole::Body, b"see you"),
    ///         field("body.1", FieldRole::Body, b"bye"),
    ///     ],
    ///     extra: Default::default(),
    ///     warnings: vec![],
    ///     errors: vec![],
    ///     complete: true,
    ///     raw_len: 0,
    /// };
    /// assert_eq!(msg.text(), b"see you\n\nbye");
    /// ```
    pub fn text(&self) -> Vec<u8> {
        join_bodies(&self.fields)
    }

    /// One raw RFC 5322 message, decoded into fields as the readers decode
    /// a message file, under `limits`.
    pub fn from_raw(raw: &[u8], source: Source, limits: &Limits) -> Message {
        let parsed = parse(raw, limits);
        Message {
            id: parsed.id,
            fields: parsed.fields,
            warnings: parsed.warnings,
            errors: parsed.errors,
            complete: parsed.complete,
            ..Message::empty(source, raw.len())
        }
    }

    /// Plain text as a message whose only field is `body`.
    pub fn from_text(text: &[u8], source: Source) -> Message {
        let body = Field {
            name: "body".into(),
            role: FieldRole::Body,
            text: text.to_vec().into(),
        };
        Message { fields: vec![body], ..Message::empty(source, text.len()) }
    }

    /// A message with no fields, for a record or file that could not be
    /// read.
    pub(crate) fn empty(source: Source, raw_len: usize) -> Message {
        Message {
            source,
            id: None,
            fields: Vec::new(),
            extra: serde_json::Map::new(),
            warnings: Vec::new(),
            errors: Vec::new(),
            complete: true,
            raw_len,
        }
    }

    /// Records an error that left part of the message unread.
    pub(crate) fn fail(&mut self, error: String) {
        self.errors.push(error);
        self.complete = false;
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields = field_sizes(&self.fields);
        f.debug_struct("Message")
            .field("source", &self.source)
            .field("has_id", &self.id.is_some())
            .field("fields", &fields)
            .field("extra_keys", &self.extra.len())
            .field("warnings", &self.warnings)
            .field("errors", &self.errors)
            .field("complete", &self.complete)
            .field("raw_len", &self.raw_len)
            .finish_non_exhaustive()
    }
}

/// A message read but not yet MIME-parsed, from [`Reader::pending`].
///
/// Parsing is most of the work of reading mail; a reader that hands out
/// pending messages lets the caller parse them on other threads, with
/// [`Pending::resolve`], in whatever order it likes.
pub struct Pending {
    /// The message as reading left it: source, length, and the problems
    /// of reading (after those of parsing once resolved).
    shell: Message,
    /// Its raw bytes, when they are still to be parsed.
    raw: Option<Raw>,
    limits: Limits,
}

impl Pending {
    /// A message that needs no parsing (a JSONL record).
    pub(crate) fn ready(msg: Message) -> Pending {
        Pending { shell: msg, raw: None, limits: Limits::default() }
    }

    /// Raw bytes to parse under `limits`, into `shell`.
    pub(crate) fn raw(shell: Message, raw: Raw, limits: Limits) -> Pending {
        Pending { shell, raw: Some(raw), limits }
    }

    /// Where it came from.
    pub fn source(&self) -> &Source {
        &self.shell.source
    }

    /// How many bytes of its input it took.
    pub fn raw_len(&self) -> usize {
        self.shell.raw_len
    }

    /// How many bytes of memory holding it keeps alive that holding the
    /// messages read before it from the same reader does not: its raw
    /// bytes' buffer; for a message of an mbox that shares the reader's
    /// buffer ([`Reader::pending`]), that whole buffer when it is the
    /// first to share it and 0 after; for a JSONL record, its length.
    /// Summed over messages read one after another, it bounds the memory
    /// they hold, give or take the buffer the first of them shares with
    /// the message before it.
    pub fn held_len(&self) -> usize {
        self.raw.as_ref().map_or(self.shell.raw_len, Raw::held)
    }

    /// Marks it as not read completely, for a cause found after it was
    /// read (a read error inside it, a cut).
    pub(crate) fn fail(&mut self, error: String) {
        self.shell.fail(error);
    }

    /// Adds a warning of reading.
    pub(crate) fn warn(&mut self, warning: String) {
        self.shell.warnings.push(warning);
    }

    /// Parses it: the same message the reader's own iterator gives.
    /// Warnings and errors of parsing come before those of reading.
    pub fn resolve(self) -> Message {
        self.resolve_giving_back().0
    }

    /// [`resolve`](Self::resolve), giving back the buffer that held the
    /// raw bytes, for the caller to free where it likes. With the system
    /// allocator, memory freed on the thread that allocated it costs no
    /// wait on another thread's allocator lock. The buffer is empty when
    /// there were no raw bytes, or when they were part of a buffer shared
    /// with other messages of an mbox (which goes back to its reader by
    /// itself).
    pub fn resolve_giving_back(self) -> (Message, Vec<u8>) {
        let Some(raw) = self.raw else { return (self.shell, Vec::new()) };
        let (mut msg, fields) = merge(self.shell, parse(&raw, &self.limits));
        msg.fields = fields;
        (msg, give_back(raw))
    }

    /// Parses it and hands it to `work` with its fields beside it, not in
    /// [`Message::fields`], which `work` finds empty: fields that are the
    /// raw bytes as they are (the body of a plain UTF-8 message, the
    /// shape of most mail) borrow them instead of being copied
    /// ([`parse_borrowing`]). So `work` must take the fields it is given,
    /// not the message's (`record::scanned_fields`, not `fields_for`).
    /// Gives back what `work` gave, and the raw bytes' buffer as
    /// [`resolve_giving_back`](Self::resolve_giving_back) does.
    ///
    /// # Panics
    ///
    /// A panic of `work` goes on up; the raw bytes are freed.
    ///
    /// # Example
    ///
    /// ```
    /// use std::borrow::Cow;
    ///
    /// use mailshield::mail::{Format, Limits, open};
    ///
    /// let path = std::env::temp_dir().join("resolve_borrowing.mbox");
    /// std::fs::write(&path, "From a\nSubject: hi\n\nbody\n").unwrap();
    /// let reader = open(&path, Format::Auto, Limits::default()).unwrap();
    /// for pending in reader.pending() {
    ///     let (texts, _) = pending.unwrap().resolve_borrowing(|m, fields| {
    ///         assert!(m.fields.is_empty());
    ///         fields.iter().map(|f| f.text.to_vec()).collect::<Vec<_>>()
    ///     });
    ///     assert_eq!(texts, [&b"hi"[..], b"body\n"]);
    /// }
    /// # std::fs::remove_file(&path).unwrap();
    /// ```
    pub fn resolve_borrowing<T>(
        self,
        work: impl FnOnce(Message, &[Field<'_>]) -> T,
    ) -> (T, Vec<u8>) {
        let Some(raw) = self.raw else {
            let mut msg = self.shell;
            let fields = std::mem::take(&mut msg.fields);
            return (work(msg, &fields), Vec::new());
        };
        let parsed = parse_borrowing(&raw, &self.limits);
        let (msg, fields) = merge(self.shell, parsed);
        let worked = work(msg, &fields);
        drop(fields);
        (worked, give_back(raw))
    }
}

/// The message as reading left it (`shell`) and as parsing made it,
/// with the warnings and errors of parsing before those of reading; its
/// fields beside it.
fn merge(shell: Message, parsed: Parsed<'_>) -> (Message, Vec<Field<'_>>) {
    let mut warnings = parsed.warnings;
    warnings.extend(shell.warnings);
    let mut errors = parsed.errors;
    errors.extend(shell.errors);
    let msg = Message {
        id: parsed.id,
        fields: Vec::new(),
        warnings,
        errors,
        complete: parsed.complete && shell.complete,
        ..shell
    };
    (msg, parsed.fields)
}

/// The buffer of raw bytes, for the caller to free: empty when they were
/// shared (a shared chunk goes back to its reader by itself).
fn give_back(raw: Raw) -> Vec<u8> {
    match raw {
        Raw::Own(bytes) => bytes,
        Raw::Shared(_) => Vec::new(),
    }
}

impl fmt::Debug for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pending")
            .field("message", &self.shell)
            .field("raw_len", &self.raw.as_ref().map(|raw| raw.len()))
            .finish_non_exhaustive()
    }
}

/// Each field's name, role and size, for a `Debug` that shows no text.
pub(crate) fn field_sizes<'f>(
    fields: &'f [Field<'_>],
) -> Vec<(&'f str, FieldRole, usize)> {
    fields.iter().map(|x| (&*x.name, x.role, x.text.len())).collect()
}

/// The body fields joined by a blank line.
pub(crate) fn join_bodies(fields: &[Field<'_>]) -> Vec<u8> {
    let mut text = Vec::new();
    for (i, field) in
        fields.iter().filter(|f| f.role == FieldRole::Body).enumerate()
    {
        if i > 0 {
            text.extend_from_slice(b"\n\n");
        }
        text.extend_from_slice(&field.text);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_hands_its_fields_beside_it() {
        let body = Field::new("body", FieldRole::Body, b"hi").into_owned();
        let source = Source { path: "a.jsonl".into(), index: 2 };
        let msg = Message {
            fields: vec![body],
            warnings: vec!["w".into()],
            ..Message::empty(source, 9)
        };
        let (got, buffer) = Pending::ready(msg).resolve_borrowing(|m, f| {
            let fields: Vec<(String, Vec<u8>)> = f
                .iter()
                .map(|f| (f.name.to_string(), f.text.to_vec()))
                .collect();
            (m.fields.len(), m.warnings, m.raw_len, fields)
        });
        let body = vec![("body".to_string(), b"hi".to_vec())];
        assert_eq!(got, (0, vec!["w".to_string()], 9, body));
        assert!(buffer.is_empty());
    }
}
