//! `mailshield gdpr access|export|erase|rectify|record`: subject requests
//! over mail archives, and processing records in the store.
//!
//! `export --dir DIR` writes the chunked export of
//! [`mailshield::gdpr::export`] (its SHA-256 manifest on stdout) and
//! resumes an interrupted one when run again with the same inputs. The
//! requests kept in the store are in [`super::requests`].

use std::cell::Cell;
use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use mailshield::crypto::unix_now;
use mailshield::engine::Engine;
use mailshield::gdpr::deadline::{Date, deadline};
use mailshield::gdpr::export::{Manifest, Options, export};
use mailshield::gdpr::{
    AccessInformation, Matcher, Subject, erase, mentions, read_holds, rectify,
};
use mailshield::mail::{Format, Limits, Message};
use mailshield::store::{ProcessingRecord, SqliteStore, Store};

use super::{Fatal, Status};

/// What an access request adds to the messages.
pub(crate) struct Request<'a> {
    pub store: Option<&'a Path>,
    pub received: Option<&'a str>,
    pub extension_notice: Option<&'a str>,
}

/// `gdpr record`: adds a processing record.
///
/// # Errors
///
/// A store that cannot be opened or written.
pub(crate) fn record(
    store: Option<&Path>,
    record: &ProcessingRecord,
) -> Result<Status, Fatal> {
    let path = super::apikeys::store_path(store);
    let store = SqliteStore::open(&path)
        .map_err(|e| Fatal(format!("{}: {e}", path.display())))?;
    store.record_processing(record)?;
    Ok(Status::Ok)
}

/// The processing records and the deadline of an access request.
fn information(
    subject: &Subject,
    request: &Request<'_>,
) -> Result<serde_json::Value, Fatal> {
    let path = super::apikeys::store_path(request.store);
    let mut records = Vec::new();
    if request.store.is_some() || path.exists() {
        let store = SqliteStore::open(&path)
            .map_err(|e| Fatal(format!("{}: {e}", path.display())))?;
        for email in &subject.emails {
            records.extend(store.processing_of(email)?);
        }
    }
    let date = |s: Option<&str>| -> Result<Option<Date>, Fatal> {
        s.map(|s| s.parse::<Date>().map_err(Fatal)).transpose()
    };
    let deadline = match date(request.received)? {
        Some(received) => {
            let notice = date(request.extension_notice)?;
            Some(deadline(received, notice))
        }
        None => None,
    };
    Ok(serde_json::json!({
        "information": AccessInformation::new(records),
        "deadline": deadline,
    }))
}

/// `gdpr access` (with a request) or `gdpr export` (without): one JSON
/// document on stdout with every message that mentions the subject (or
/// that the subject sent, others' data redacted).
///
/// # Errors
///
/// Bad identifiers or dates, a store or input that cannot be read.
pub(crate) fn access(
    subject: &Subject,
    inputs: &[PathBuf],
    request: Option<&Request<'_>>,
) -> Result<Status, Fatal> {
    let (doc, status) = answer(subject, inputs, request)?;
    print_json(&doc)?;
    Ok(status)
}

/// The document of [`access`], and whether every input was read.
pub(crate) fn answer(
    subject: &Subject,
    inputs: &[PathBuf],
    request: Option<&Request<'_>>,
) -> Result<(serde_json::Value, Status), Fatal> {
    let own_only = request.is_none();
    let matcher = Matcher::new(subject)?;
    let others =
        if own_only { Some(Engine::builtin("default")?) } else { None };
    let failed = Cell::new(false);
    let found = mentions(&matcher, messages(inputs, &failed), others.as_ref());
    let status = if failed.get() { Status::Error } else { Status::Ok };
    let mut doc = serde_json::json!({
        "version": 1,
        "request": if own_only { "portability" } else { "access" },
        "subject": subject,
        "messages": found,
    });
    if let Some(request) = request {
        let extra = information(subject, request)?;
        if let (Some(d), serde_json::Value::Object(extra)) =
            (doc.as_object_mut(), extra)
        {
            d.extend(extra);
        }
    }
    Ok((doc, status))
}

/// The messages of every input in order; an input or a message that
/// cannot be read is reported on stderr and sets `failed`, not skipped
/// quietly.
fn messages<'a>(
    inputs: &'a [PathBuf],
    failed: &'a Cell<bool>,
) -> impl Iterator<Item = Message> + 'a {
    let report = move |e: &dyn std::fmt::Display| {
        super::report::line(&e.to_string());
        failed.set(true);
    };
    inputs.iter().flat_map(move |path| {
        let limits = Limits::default();
        let reader = mailshield::mail::open(path, Format::Auto, limits)
            .map_err(|e| report(&e))
            .ok();
        reader
            .into_iter()
            .flatten()
            .filter_map(move |m| m.map_err(|e| report(&e)).ok())
    })
}

/// `gdpr export --dir DIR`: the chunked portability export of
/// [`export`], resumed when `dir` holds an interrupted one; the manifest
/// on stdout.
///
/// # Errors
///
/// Bad identifiers, a directory that cannot be written or holds a
/// damaged or different partial export.
pub(crate) fn export_dir(
    subject: &Subject,
    inputs: &[PathBuf],
    dir: &Path,
    chunk_messages: usize,
) -> Result<Status, Fatal> {
    let (manifest, status) = chunked(subject, inputs, dir, chunk_messages)?;
    print_json(&manifest)?;
    Ok(status)
}

/// The manifest of [`export_dir`], and whether every input was read.
pub(crate) fn chunked(
    subject: &Subject,
    inputs: &[PathBuf],
    dir: &Path,
    chunk_messages: usize,
) -> Result<(Manifest, Status), Fatal> {
    let matcher = Matcher::new(subject)?;
    let others = Engine::builtin("default")?;
    let failed = Cell::new(false);
    let options = Options { chunk_messages };
    let messages = messages(inputs, &failed);
    let manifest =
        export(dir, &matcher, messages, Some(&others), options, unix_now())
            .map_err(|e| Fatal(format!("{}: {e}", dir.display())))?;
    let status = if failed.get() { Status::Error } else { Status::Ok };
    Ok((manifest, status))
}

/// The legal holds of the file `path`: none without one.
///
/// # Errors
///
/// A file that cannot be read or is not a hold file.
pub(crate) fn holds(
    path: Option<&Path>,
) -> Result<HashMap<String, String>, Fatal> {
    let Some(p) = path else { return Ok(HashMap::new()) };
    let text = std::fs::read_to_string(p)
        .map_err(|e| Fatal(format!("{}: {e}", p.display())))?;
    read_holds(&text).map_err(|e| Fatal(format!("{}: {e}", p.display())))
}

/// `gdpr erase` (`new_value` none) or `gdpr rectify`: writes the copy of
/// the mbox `input` to `out` and a JSON report on stdout.
///
/// # Errors
///
/// Bad identifiers or hold file, files that cannot be read or written.
pub(crate) fn rewrite(
    subject: &Subject,
    input: &Path,
    out: &Path,
    holds: Option<&Path>,
    new_value: Option<&str>,
) -> Result<Status, Fatal> {
    let matcher = Matcher::new(subject)?;
    let holds = self::holds(holds)?;
    let report = write_copy(input, out, |reader, writer| {
        let written = match new_value {
            None => erase(&matcher, reader, &holds, writer),
            Some(v) => rectify(&matcher, reader, v, writer),
        };
        written.map_err(Fatal::from)
    })?;
    print_json(&report)?;
    Ok(Status::Ok)
}

/// The archive a copy reads.
pub(crate) type Reader = BufReader<File>;
/// The copy being written.
pub(crate) type Writer = BufWriter<File>;

/// Runs `write` from `input` into a copy at `out`, which must not exist.
/// The copy is written beside `out` and renamed once whole: a failed
/// request leaves no copy that looks done.
///
/// # Errors
///
/// Files that cannot be read or written, or `write`'s error.
pub(crate) fn write_copy<T>(
    input: &Path,
    out: &Path,
    write: impl FnOnce(Reader, &mut Writer) -> Result<T, Fatal>,
) -> Result<T, Fatal> {
    // Both files first.
    let reader = File::open(input)
        .map(BufReader::new)
        .map_err(|e| Fatal(format!("{}: {e}", input.display())))?;
    if out.exists() {
        return Err(Fatal(format!("{}: exists already", out.display())));
    }
    let tmp = out.with_extension("partial");
    let file = File::create_new(&tmp)
        .map_err(|e| Fatal(format!("{}: {e}", tmp.display())))?;

    // The copy, then the rename; the partial file goes on failure.
    let mut writer = BufWriter::new(file);
    let finished = write(reader, &mut writer).and_then(|value| {
        let file = writer
            .into_inner()
            .map_err(|e| Fatal(format!("{}: {}", tmp.display(), e.error())))?;
        file.sync_all()
            .map_err(|e| Fatal(format!("{}: {e}", tmp.display())))?;
        std::fs::rename(&tmp, out)
            .map_err(|e| Fatal(format!("{}: {e}", out.display())))?;
        Ok(value)
    });
    if finished.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    finished
}

/// Writes `value` as one JSON line on stdout; a closed stdout (a broken
/// pipe) is not an error, as for `scan`.
///
/// # Errors
///
/// A stdout that cannot be written for another reason (a full disk).
pub(crate) fn print_json(value: &impl serde::Serialize) -> Result<(), Fatal> {
    let text = serde_json::to_string(value)?;
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{text}").and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Fatal(format!("stdout: {e}")))
        }
        _ => Ok(()),
    }
}
