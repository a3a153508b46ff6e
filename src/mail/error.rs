use std::fmt;
use std::io;

/// An input that cannot be read: a path that does not exist, a file
/// without read permission, a directory where a file was asked for, a
/// symbolic link loop in a tree.
///
/// `Display` is `<path>: <cause>`, in lower case, with nothing from the
/// input's content. A run reports it and goes on with the other inputs;
/// [`MailError::is_loop`] tells the one kind that is only a warning (the
/// rest of the tree is read).
#[derive(Debug)]
pub struct MailError {
    path: String,
    kind: ErrorKind,
}

#[derive(Debug)]
enum ErrorKind {
    Io(io::Error),
    Loop,
    NotDirectory,
    NotMaildir,
}

impl MailError {
    pub(crate) fn io(path: impl Into<String>, err: io::Error) -> MailError {
        MailError { path: path.into(), kind: ErrorKind::Io(err) }
    }

    pub(crate) fn symlink_loop(path: impl Into<String>) -> MailError {
        MailError { path: path.into(), kind: ErrorKind::Loop }
    }

    pub(crate) fn not_directory(path: impl Into<String>) -> MailError {
        MailError { path: path.into(), kind: ErrorKind::NotDirectory }
    }

    pub(crate) fn not_maildir(path: impl Into<String>) -> MailError {
        MailError { path: path.into(), kind: ErrorKind::NotMaildir }
    }

    /// The path at fault, as given (or as found in a tree).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether this is a symbolic link loop in a tree: the link was not
    /// followed and the rest of the tree was read.
    pub fn is_loop(&self) -> bool {
        matches!(self.kind, ErrorKind::Loop)
    }

    /// The I/O error kind, when an operating system call failed.
    pub fn io_kind(&self) -> Option<io::ErrorKind> {
        match &self.kind {
            ErrorKind::Io(e) => Some(e.kind()),
            _ => None,
        }
    }
}

impl fmt::Display for MailError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.path)?;
        match &self.kind {
            ErrorKind::Io(e) => f.write_str(&io_cause(e)),
            ErrorKind::Loop => f.write_str(
                "symbolic link loop (leads back to a parent); not followed",
            ),
            ErrorKind::NotDirectory => f.write_str("not a directory"),
            ErrorKind::NotMaildir => {
                f.write_str("not a maildir (it has neither cur/ nor new/)")
            }
        }
    }
}

impl std::error::Error for MailError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Io(e) => Some(e),
            _ => None,
        }
    }
}

/// A lower-case cause for an I/O error.
///
/// N.B. `io::Error`'s own `Display` starts with a capital and may carry an
/// OS message; the kind's text is lower case and names the cause.
pub(crate) fn io_cause(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::NotFound => "no such file or directory".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        io::ErrorKind::IsADirectory => "is a directory".into(),
        kind => match err.raw_os_error() {
            Some(code) => format!("cannot read: {kind} (os error {code})"),
            None => format!("cannot read: {kind}"),
        },
    }
}
