//! Paths into inputs, inputs into readers of messages.
//!
//! [`inputs`] expands the paths of a run into the files it reads, with
//! the format of each; [`open`] gives a [`Reader`] over one path (a file,
//! `-` for stdin, a directory tree or a maildir). The rules are in the
//! [module docs](super).

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

use super::chunks::Raw;
use super::error::{MailError, io_cause};
use super::jsonl::Jsonl;
use super::mbox::Mbox;
use super::{Format, Limits, Message, Pending, Source};

/// The UTF-8 byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// How many bytes [`sniff`] looks at: a byte-order mark and `From `.
const SNIFF: usize = 8;

/// The buffer of a reader.
const BUFFER: usize = 64 << 10;

/// The format of stdin, from its first bytes: JSONL if the first byte is
/// `{`, an mbox if it starts with `From `, else one message ([`Format::Eml`]).
/// A UTF-8 byte-order mark before them is skipped.
///
/// Give it the first 8 bytes (fewer only when the input is shorter).
///
/// # Example
///
/// ```
/// use mailshield::mail::{Format, sniff};
///
/// assert_eq!(sniff(b"{\"id\": 1}"), Format::Jsonl);
/// assert_eq!(sniff(b"\xEF\xBB\xBFFrom a"), Format::Mbox);
/// assert_eq!(sniff(b"From: a@example.com"), Format::Eml);
/// ```
pub fn sniff(prefix: &[u8]) -> Format {
    let prefix = prefix.strip_prefix(BOM).unwrap_or(prefix);
    if prefix.starts_with(b"{") {
        Format::Jsonl
    } else if prefix.starts_with(b"From ") {
        Format::Mbox
    } else {
        Format::Eml
    }
}

/// The format of a file, by its name.
fn by_name(path: &Path, in_tree: bool) -> Format {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.ends_with(".mbox") || name.ends_with(".mbox.txt") {
        Format::Mbox
    } else if !in_tree
        && (name.ends_with(".jsonl") || name.ends_with(".ndjson"))
    {
        Format::Jsonl
    } else {
        Format::Eml
    }
}

fn shown(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// One file (or stdin) to read, with its format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    /// Its path; `-` for stdin.
    pub path: PathBuf,
    /// Its format: never [`Format::Maildir`]; [`Format::Auto`] only for
    /// stdin, whose format [`open`] finds from its first bytes.
    pub format: Format,
}

/// The files a run reads: an iterator from [`inputs`].
pub struct Inputs {
    roots: std::vec::IntoIter<PathBuf>,
    format: Format,
    walk: Option<Walk>,
}

/// Expands paths into the files to read, in order: each path in turn, and
/// the files of a directory depth first, sorted by name (byte order;
/// `cur` and `new` before their siblings), so that two runs over the same
/// tree read it in the same order.
///
/// `-` is stdin. A directory is a maildir or a tree as the [module
/// docs](super) say; with a `format` other than `Auto`, every file of a
/// tree has that format (the files of a maildir are always messages).
/// Lazy: a tree is walked as the iterator is read, holding one directory
/// listing per level.
///
/// Each item is an [`Input`], or a [`MailError`] for a path that cannot
/// be read (the iterator goes on with the rest): one that does not
/// exist, a directory that cannot be listed, a symbolic link loop
/// ([`MailError::is_loop`]), `Maildir` asked of a file or of a directory
/// with neither `cur/` nor `new/`.
pub fn inputs(paths: &[PathBuf], format: Format) -> Inputs {
    let roots: Vec<PathBuf> = paths.to_vec();
    Inputs { roots: roots.into_iter(), format, walk: None }
}

impl Iterator for Inputs {
    type Item = Result<Input, MailError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(walk) = &mut self.walk {
                match walk.next() {
                    Some(item) => return Some(item),
                    None => self.walk = None,
                }
            }
            let path = self.roots.next()?;
            if path.as_os_str() == "-" {
                if self.format == Format::Maildir {
                    return Some(Err(MailError::not_directory("-")));
                }
                return Some(Ok(Input { path, format: self.format }));
            }
            let meta = match fs::metadata(&path) {
                Ok(meta) => meta,
                Err(e) => return Some(Err(MailError::io(shown(&path), e))),
            };
            if meta.is_dir() {
                match Walk::new(&path, self.format) {
                    Ok(walk) => self.walk = Some(walk),
                    Err(e) => return Some(Err(e)),
                }
                continue;
            }
            let format = match self.format {
                Format::Maildir => {
                    return Some(Err(MailError::not_directory(shown(&path))));
                }
                Format::Auto => by_name(&path, false),
                f => f,
            };
            return Some(Ok(Input { path, format }));
        }
    }
}

/// A walk of one directory tree.
struct Walk {
    iter: walkdir::IntoIter,
    format: Format,
    /// Whether a directory is a maildir, per directory seen.
    maildirs: HashMap<PathBuf, bool>,
}

impl Walk {
    fn new(root: &Path, format: Format) -> Result<Walk, MailError> {
        let mut maildirs = HashMap::new();
        if format == Format::Maildir {
            if !root.join("cur").is_dir() && !root.join("new").is_dir() {
                return Err(MailError::not_maildir(shown(root)));
            }
            maildirs.insert(root.to_path_buf(), true);
        }
        let iter = WalkDir::new(root)
            .follow_links(true)
            .sort_by(|a, b| sort_key(a).cmp(&sort_key(b)))
            .into_iter();
        Ok(Walk { iter, format, maildirs })
    }

    fn is_maildir(&mut self, dir: &Path) -> bool {
        if let Some(&known) = self.maildirs.get(dir) {
            return known;
        }
        let is = dir.join("cur").is_dir() && dir.join("new").is_dir();
        self.maildirs.insert(dir.to_path_buf(), is);
        is
    }

    /// Whether a path sits directly in a maildir's `cur/` or `new/`.
    fn in_maildir(&mut self, path: &Path) -> bool {
        let Some(dir) = path.parent() else { return false };
        let sub = dir.file_name().is_some_and(|n| n == "cur" || n == "new");
        sub && dir.parent().is_some_and(|top| self.is_maildir(top))
    }
}

impl Iterator for Walk {
    type Item = Result<Input, MailError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let entry = match self.iter.next()? {
                Ok(entry) => entry,
                Err(e) => return Some(Err(walk_error(e))),
            };
            let path = entry.path();
            let parent_is_maildir = entry.depth() > 0
                && path.parent().is_some_and(|p| self.is_maildir(p));
            if entry.file_type().is_dir() {
                // In a maildir only cur/, new/ and Maildir++ folders hold
                // messages (tmp/ holds deliveries in progress).
                let keep = !parent_is_maildir
                    || entry.file_name() == "cur"
                    || entry.file_name() == "new"
                    || self.is_maildir(path);
                if !keep {
                    self.iter.skip_current_dir();
                }
                continue;
            }
            // Only regular files are messages (a FIFO in a tree would
            // block the run); files at a maildir's top are its indexes.
            if !entry.file_type().is_file() || parent_is_maildir {
                continue;
            }
            let path = path.to_path_buf();
            let format = if self.in_maildir(&path) {
                match self.format {
                    Format::Jsonl | Format::Mbox => self.format,
                    _ => Format::Eml,
                }
            } else {
                match self.format {
                    Format::Auto => by_name(&path, true),
                    Format::Maildir => Format::Eml,
                    f => f,
                }
            };
            return Some(Ok(Input { path, format }));
        }
    }
}

/// The order of a directory's entries: `cur` and `new` first (so that a
/// maildir reads its own messages before its Maildir++ folders, whose
/// names start with `.`), then by name, byte by byte.
fn sort_key(entry: &walkdir::DirEntry) -> (u8, &std::ffi::OsStr) {
    let name = entry.file_name();
    let rank = match name.as_encoded_bytes() {
        b"cur" => 0,
        b"new" => 1,
        _ => 2,
    };
    (rank, name)
}

fn walk_error(e: walkdir::Error) -> MailError {
    let path = e.path().map(shown).unwrap_or_default();
    if e.loop_ancestor().is_some() {
        return MailError::symlink_loop(path);
    }
    match e.into_io_error() {
        Some(io) => MailError::io(path, io),
        None => MailError::io(path, io::Error::other("cannot walk")),
    }
}

/// The messages of one input, in order: an iterator of
/// `Result<Message, MailError>`.
///
/// mbox and JSONL are read line by line, one message in memory at a time;
/// a single message is read up to [`Limits::max_message`] bytes; a tree
/// opens its files one at a time, as it reaches them. An `Err` item is a
/// file of a tree that cannot be read, or a symbolic link loop; the
/// reader goes on with the next file. After an I/O error inside a file,
/// the message being read says so (`complete: false`) and that file ends.
///
/// `Send`: a reader can be handed to another thread.
pub struct Reader {
    kind: Kind,
    limits: Limits,
}

type Lines = Box<dyn BufRead + Send>;

enum Kind {
    One(Option<(String, Lines)>),
    Mbox(Mbox<Box<dyn Read + Send>>),
    Jsonl(Jsonl<Lines>),
    Tree(Inputs, Option<Box<Reader>>),
}

/// Opens one input: a file, `-` for stdin, a directory tree or a maildir.
///
/// With [`Format::Auto`] the format comes from the path's name, the
/// directory's layout, or stdin's first bytes (see the [module
/// docs](super)). Opening reads at most the first 8 bytes; messages are
/// read as the reader is iterated.
///
/// # Errors
///
/// When the path does not exist or cannot be opened (permission denied),
/// when `Maildir` is asked of a file or stdin, or of a directory with
/// neither `cur/` nor `new/`. The error names the path and the cause.
///
/// # Example
///
/// ```
/// use std::path::Path;
///
/// use mailshield::mail::{Format, Limits, open};
///
/// let err = open(Path::new("no/such.mbox"), Format::Auto, Limits::default())
///     .err()
///     .unwrap();
/// assert_eq!(err.to_string(), "no/such.mbox: no such file or directory");
/// ```
pub fn open(
    path: &Path,
    format: Format,
    limits: Limits,
) -> Result<Reader, MailError> {
    let name = shown(path);
    if path.as_os_str() == "-" {
        if format == Format::Maildir {
            return Err(MailError::not_directory(name));
        }
        return start(name, io::stdin(), format, limits);
    }
    let meta = fs::metadata(path).map_err(|e| MailError::io(&*name, e))?;
    if meta.is_dir() {
        // A maildir without cur/ and new/ fails here, not later.
        let walk = Walk::new(path, format)?;
        let paths =
            Inputs { roots: Vec::new().into_iter(), format, walk: Some(walk) };
        return Ok(Reader { kind: Kind::Tree(paths, None), limits });
    }
    let format = match format {
        Format::Maildir => return Err(MailError::not_directory(name)),
        Format::Auto => by_name(path, false),
        f => f,
    };
    let file = File::open(path).map_err(|e| MailError::io(&*name, e))?;
    start(name, file, format, limits)
}

/// A reader over a byte stream: its first bytes read (byte-order mark
/// dropped, format found when `Auto`), the rest read on demand.
fn start(
    name: String,
    mut inner: impl Read + Send + 'static,
    format: Format,
    limits: Limits,
) -> Result<Reader, MailError> {
    let mut prefix = Vec::with_capacity(SNIFF);
    (&mut inner)
        .take(SNIFF as u64)
        .read_to_end(&mut prefix)
        .map_err(|e| MailError::io(&*name, e))?;
    let format = match format {
        Format::Auto => sniff(&prefix),
        f => f,
    };
    if prefix.starts_with(BOM) {
        prefix.drain(..BOM.len());
    }
    let rest = Cursor::new(prefix).chain(inner);
    if format == Format::Mbox {
        let mbox = Mbox::new(Box::new(rest) as Box<_>, name, limits);
        return Ok(Reader { kind: Kind::Mbox(mbox), limits });
    }
    let lines: Lines = Box::new(BufReader::with_capacity(BUFFER, rest));
    let kind = match format {
        Format::Jsonl => Kind::Jsonl(Jsonl::new(lines, name, limits)),
        _ => Kind::One(Some((name, lines))),
    };
    Ok(Reader { kind, limits })
}

impl Reader {
    /// Opens the next file of a tree.
    fn open_input(input: Input, limits: Limits) -> Result<Reader, MailError> {
        let name = shown(&input.path);
        let file =
            File::open(&input.path).map_err(|e| MailError::io(&*name, e))?;
        start(name, file, input.format, limits)
    }
}

impl Reader {
    /// The same messages, left unparsed: each item is a [`Pending`] to
    /// [`resolve`](Pending::resolve), on any thread. Reading (splitting an
    /// mbox, walking a tree) stays on the reader's thread; MIME parsing,
    /// most of the work, moves to whoever resolves. A JSONL record is
    /// read as it is reached and resolves at once.
    ///
    /// Memory: a pending message of an mbox may hold, instead of a copy
    /// of its bytes, the reader's 256 KiB buffer that they lie in, shared
    /// with the messages beside it. Holding a few of an mbox's messages
    /// pending, far apart, keeps a buffer alive for each;
    /// [`Pending::held_len`] tells what each keeps alive. The reader also
    /// keeps up to 32 such buffers (8 MiB) spare, to read into again.
    pub fn pending(self) -> Pendings {
        Pendings(self)
    }

    fn next_pending(&mut self) -> Option<Result<Pending, MailError>> {
        let limits = self.limits;
        match &mut self.kind {
            Kind::One(one) => {
                let (name, lines) = one.take()?;
                Some(read_one(name, lines, &limits))
            }
            Kind::Mbox(mbox) => mbox.next_pending(),
            Kind::Jsonl(jsonl) => jsonl.next().map(|m| m.map(Pending::ready)),
            Kind::Tree(paths, current) => loop {
                if let Some(reader) = current {
                    match reader.next_pending() {
                        Some(item) => return Some(item),
                        None => *current = None,
                    }
                }
                match paths.next()? {
                    Ok(input) => match Reader::open_input(input, limits) {
                        Ok(reader) => *current = Some(Box::new(reader)),
                        Err(e) => return Some(Err(e)),
                    },
                    Err(e) => return Some(Err(e)),
                }
            },
        }
    }
}

impl Iterator for Reader {
    type Item = Result<Message, MailError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_pending().map(|item| item.map(Pending::resolve))
    }
}

/// The messages of one input, unparsed: an iterator from
/// [`Reader::pending`] of `Result<Pending, MailError>`, with the same
/// items, errors and order as the [`Reader`].
pub struct Pendings(Reader);

impl Iterator for Pendings {
    type Item = Result<Pending, MailError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next_pending()
    }
}

/// Reads one message, up to `max_message` bytes and one more (to know
/// that it is longer).
fn read_one(
    name: String,
    lines: Lines,
    limits: &Limits,
) -> Result<Pending, MailError> {
    let mut raw = Vec::new();
    let cap = limits.max_message as u64 + 1;
    let read = lines.take(cap).read_to_end(&mut raw);
    let source = Source { path: name.into(), index: 0 };
    match read {
        Err(e) if raw.is_empty() => {
            Err(MailError::io(source.path.to_string(), e))
        }
        Err(e) => {
            let len = raw.len();
            let shell = Message::empty(source, len);
            let mut msg = Pending::raw(shell, Raw::Own(raw), *limits);
            msg.fail(format!(
                "read failed inside this message: {}",
                io_cause(&e)
            ));
            Ok(msg)
        }
        Ok(_) => {
            let len = raw.len();
            let shell = Message::empty(source, len);
            Ok(Pending::raw(shell, Raw::Own(raw), *limits))
        }
    }
}
