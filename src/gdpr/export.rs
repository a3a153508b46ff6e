//! Exports too large for one document: chunked, with a SHA-256
//! manifest, resumable after an interruption (Art. 15(3), Art. 20).
//!
//! [`export`] writes into a directory:
//!
//! - `part-NNNNNN.jsonl`: the mentions ([`super::Mention`]) found among
//!   one run of [`Options::chunk_messages`] input messages, a JSON object
//!   a line
//!   (UTF-8); chunk `k` covers input messages `k * chunk_messages` up to
//!   the next chunk's first, so the same input always makes the same
//!   chunks;
//! - `manifest.json`, once the export is whole: the format and version,
//!   when it was finished (RFC 3339 UTC), how many messages were read,
//!   and each chunk's file, first message, counts, size and SHA-256
//!   (hex); a recipient checks each file against it.
//!
//! Each chunk is written to a temporary name, synced, and renamed; then
//! `manifest.partial.json` records it. An export that was interrupted
//! (killed, a full disk) is resumed by calling [`export`] again on the
//! same directory and input: the chunks the partial manifest lists are
//! checked against their SHA-256 and kept up to the first that does not
//! match, the input messages they cover are skipped, and the export goes
//! on from there. A directory with a whole manifest is done: [`export`]
//! returns that manifest and writes nothing.
//!
//! Memory holds one chunk of messages and their mentions, whatever the
//! size of the export.
//!
//! Limitations: resuming re-reads (and parses) the skipped input
//! messages; the input must be the same, in the same order, as before
//! the interruption, which the manifest cannot check (it holds no data
//! of the messages).

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use ring::digest;
use serde::{Deserialize, Serialize};

use super::{GdprError, Matcher, mentions};
use crate::crypto::format_rfc3339;
use crate::engine::Engine;
use crate::mail::Message;

/// The manifest's format name.
pub const FORMAT: &str = "mailshield-gdpr-export";

/// How an export is cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// Input messages per chunk (10,000 by default); at least 1.
    pub chunk_messages: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options { chunk_messages: 10_000 }
    }
}

/// One chunk file, as the manifest lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    /// Its file name, in the export directory.
    pub file: String,
    /// The index of the first input message it covers.
    pub first_message: u64,
    /// Input messages it covers.
    pub messages: u64,
    /// Mentions in it (its lines).
    pub mentions: u64,
    /// Its size in bytes.
    pub bytes: u64,
    /// SHA-256 of the file, in hex.
    pub sha256: String,
}

/// The manifest of an export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: String,
    /// 1.
    pub version: u32,
    /// `access` or `portability`.
    pub request: String,
    /// Input messages per chunk.
    pub chunk_messages: u64,
    /// Input messages read.
    pub messages_read: u64,
    /// The export is whole.
    pub complete: bool,
    /// When it was finished, RFC 3339 UTC (empty while partial).
    pub created_at: String,
    /// The chunks, in order.
    pub chunks: Vec<Chunk>,
}

const WHOLE: &str = "manifest.json";
const PARTIAL: &str = "manifest.partial.json";

/// Exports the mentions of `matcher`'s subject in `messages` into `dir`
/// (created when missing) as the module documentation says: for
/// portability when `others` is given (the messages the subject sent,
/// others' data redacted by it), else for access. `now` (Unix seconds)
/// dates the finished manifest.
///
/// # Errors
///
/// When `dir` cannot be written, a partial manifest there is damaged or
/// was cut with other options, or a write fails (the export can then be
/// resumed).
pub fn export(
    dir: &Path,
    matcher: &Matcher,
    messages: impl Iterator<Item = Message>,
    others: Option<&Engine>,
    options: Options,
    now: u64,
) -> Result<Manifest, GdprError> {
    // Done already, or where to go on from.
    fs::create_dir_all(dir)?;
    if let Some(done) = read_manifest(&dir.join(WHOLE))? {
        return Ok(done);
    }
    let per = options.chunk_messages.max(1);
    let request = if others.is_some() { "portability" } else { "access" };
    let mut manifest = resume_point(dir, per as u64, request)?;
    let mut messages = messages.skip(manifest.messages_read as usize);

    // One chunk at a time: read it, write it, record it.
    loop {
        let chunk: Vec<Message> = messages.by_ref().take(per).collect();
        if chunk.is_empty() {
            break;
        }
        let count = chunk.len() as u64;
        let found = mentions(matcher, chunk.into_iter(), others);
        let index = manifest.chunks.len();
        let entry = write_chunk(dir, index, &found, manifest.messages_read)?;
        manifest.chunks.push(Chunk { messages: count, ..entry });
        manifest.messages_read += count;
        write_atomic(&dir.join(PARTIAL), &to_json(&manifest)?)?;
    }

    // Whole: the final manifest replaces the partial one.
    manifest.complete = true;
    manifest.created_at = format_rfc3339(now);
    write_atomic(&dir.join(WHOLE), &to_json(&manifest)?)?;
    let _ = fs::remove_file(dir.join(PARTIAL));
    Ok(manifest)
}

/// The manifest to go on from: the partial one's chunks up to the first
/// that no longer matches its hash, or an empty one.
fn resume_point(
    dir: &Path,
    per: u64,
    request: &str,
) -> Result<Manifest, GdprError> {
    let empty = Manifest {
        format: FORMAT.to_string(),
        version: 1,
        request: request.to_string(),
        chunk_messages: per,
        messages_read: 0,
        complete: false,
        created_at: String::new(),
        chunks: Vec::new(),
    };
    let Some(mut partial) = read_manifest(&dir.join(PARTIAL))? else {
        return Ok(empty);
    };
    if partial.chunk_messages != per || partial.request != request {
        return Err(GdprError(
            "the export directory holds a partial export made with other \
             options"
                .into(),
        ));
    }
    let mut read = 0;
    let good = partial
        .chunks
        .iter()
        .enumerate()
        .take_while(|&(index, c)| {
            let ok = chunk_in_place(dir, index, c, read, per);
            read = read.saturating_add(c.messages);
            ok
        })
        .count();
    partial.chunks.truncate(good);
    partial.messages_read = partial.chunks.iter().map(|c| c.messages).sum();
    Ok(partial)
}

/// Whether chunk `index` of a partial manifest is the one [`export`]
/// wrote there: its own file name, at most `per` messages from `first`
/// on, and the file still matching its hash.
///
/// N.B. The manifest is read from disk: its file names must not lead
/// out of the directory, nor its counts overflow the sum of them.
fn chunk_in_place(
    dir: &Path,
    index: usize,
    c: &Chunk,
    first: u64,
    per: u64,
) -> bool {
    c.file == chunk_name(index)
        && c.first_message == first
        && c.messages <= per
        && file_sha256(&dir.join(&c.file)).as_ref() == Some(&c.sha256)
}

/// The file name of chunk `index`.
fn chunk_name(index: usize) -> String {
    format!("part-{index:06}.jsonl")
}

/// Writes chunk `index` (its mentions, a JSON line each) and returns its
/// entry, without its message count.
fn write_chunk(
    dir: &Path,
    index: usize,
    found: &[super::Mention],
    first_message: u64,
) -> Result<Chunk, GdprError> {
    let file = chunk_name(index);
    let mut bytes = Vec::new();
    for m in found {
        serde_json::to_writer(&mut bytes, m)
            .map_err(|e| GdprError(e.to_string()))?;
        bytes.push(b'\n');
    }
    write_atomic(&dir.join(&file), &bytes)?;
    Ok(Chunk {
        file,
        first_message,
        messages: 0,
        mentions: found.len() as u64,
        bytes: bytes.len() as u64,
        sha256: sha256_hex(&bytes),
    })
}

fn sha256_hex(bytes: &[u8]) -> String {
    let d = digest::digest(&digest::SHA256, bytes);
    d.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The SHA-256 of the file at `path`, or `None` when it cannot be read.
fn file_sha256(path: &Path) -> Option<String> {
    fs::read(path).ok().map(|b| sha256_hex(&b))
}

fn to_json(manifest: &Manifest) -> Result<Vec<u8>, GdprError> {
    serde_json::to_vec_pretty(manifest).map_err(|e| GdprError(e.to_string()))
}

/// The manifest at `path`, if there is one.
fn read_manifest(path: &Path) -> Result<Option<Manifest>, GdprError> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|_| {
            GdprError(format!("{}: not an export manifest", path.display()))
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(GdprError(format!("{}: {e}", path.display()))),
    }
}

/// Writes `bytes` to `path` whole or not at all: a synced temporary file
/// renamed over it.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), GdprError> {
    let mut tmp = PathBuf::from(path);
    tmp.as_mut_os_string().push(".tmp");
    let fail = |e: io::Error| GdprError(format!("{}: {e}", path.display()));
    let mut f = File::create(&tmp).map_err(fail)?;
    f.write_all(bytes).map_err(fail)?;
    f.sync_all().map_err(fail)?;
    fs::rename(&tmp, path).map_err(fail)
}
