//! Where results go: stdout, or a file that appears only when complete.
//!
//! `--out FILE` writes to a temporary file beside FILE and renames it into
//! place after the last record, so a run that stops half way never leaves
//! a file that looks whole. A closed stdout (a broken pipe, `| head`) is
//! not an error: the run ends quietly.

use std::fs::File;
use std::io::{self, BufWriter, ErrorKind, Stdout, Write};
use std::path::{Path, PathBuf};

use super::Fatal;

/// Why a write did not go through.
#[derive(Debug)]
pub(crate) enum WriteError {
    /// Nobody reads stdout any more.
    Closed,
    /// The output cannot be written; the message names it.
    Failed(String),
}

/// An output for records.
pub(crate) enum Sink {
    Stdout(BufWriter<Stdout>),
    File { tmp: PathBuf, dest: PathBuf, file: BufWriter<File> },
}

impl Sink {
    /// Opens stdout, or a temporary file beside `out`.
    ///
    /// # Errors
    ///
    /// When the temporary file cannot be created.
    pub(crate) fn open(out: Option<&Path>) -> Result<Sink, Fatal> {
        let Some(dest) = out else {
            return Ok(Sink::Stdout(BufWriter::with_capacity(
                1 << 16,
                io::stdout(),
            )));
        };
        if dest == Path::new("-") {
            return Ok(Sink::Stdout(BufWriter::with_capacity(
                1 << 16,
                io::stdout(),
            )));
        }
        // Special files (/dev/stdout, /dev/full) are written in place.
        if dest.exists() && !dest.is_file() {
            let file = File::options()
                .write(true)
                .open(dest)
                .map_err(|e| Fatal(format!("{}: {e}", dest.display())))?;
            return Ok(Sink::File {
                tmp: dest.to_path_buf(),
                dest: dest.to_path_buf(),
                file: BufWriter::with_capacity(1 << 16, file),
            });
        }
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dest.with_file_name(format!(
            ".{name}.mailshield-{}.tmp",
            std::process::id()
        ));
        let file = File::create(&tmp)
            .map_err(|e| Fatal(format!("{}: {e}", dest.display())))?;
        Ok(Sink::File {
            tmp,
            dest: dest.to_path_buf(),
            file: BufWriter::with_capacity(1 << 16, file),
        })
    }

    fn name(&self) -> String {
        match self {
            Sink::Stdout(_) => "stdout".into(),
            Sink::File { dest, .. } => dest.display().to_string(),
        }
    }

    fn fail(&self, e: io::Error) -> WriteError {
        match (self, e.kind()) {
            (Sink::Stdout(_), ErrorKind::BrokenPipe) => WriteError::Closed,
            _ => WriteError::Failed(format!("{}: {e}", self.name())),
        }
    }

    /// Writes bytes.
    pub(crate) fn write(&mut self, bytes: &[u8]) -> Result<(), WriteError> {
        let r = match self {
            Sink::Stdout(w) => w.write_all(bytes),
            Sink::File { file, .. } => file.write_all(bytes),
        };
        r.map_err(|e| self.fail(e))
    }

    /// Flushes, and moves a file output into place.
    pub(crate) fn finish(mut self) -> Result<(), WriteError> {
        let r = match &mut self {
            Sink::Stdout(w) => w.flush(),
            // A special file written in place (/dev/null) cannot be
            // synced, and needs no sync: nothing is renamed after it.
            Sink::File { tmp, dest, file } if tmp == dest => file.flush(),
            Sink::File { file, .. } => {
                file.flush().and_then(|()| file.get_ref().sync_all())
            }
        };
        r.map_err(|e| self.fail(e))?;
        if let Sink::File { tmp, dest, .. } = &self {
            if tmp != dest {
                std::fs::rename(tmp, dest).map_err(|e| {
                    WriteError::Failed(format!("{}: {e}", dest.display()))
                })?;
            }
        }
        Ok(())
    }

    /// Drops a partial file output.
    pub(crate) fn abandon(self) {
        if let Sink::File { tmp, dest, file } = self {
            drop(file);
            if tmp != dest {
                let _ = std::fs::remove_file(tmp);
            }
        }
    }
}
