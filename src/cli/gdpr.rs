//! `mailshield gdpr access|export|erase|rectify|record`: subject requests
//! over mail archives, and processing records in the store.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use mailshield::engine::Engine;
use mailshield::gdpr::deadline::{Date, deadline};
use mailshield::gdpr::{
    AccessInformation, Matcher, Subject, erase, mentions, read_holds, rectify,
};
use mailshield::mail::{Format, Limits};
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
    let own_only = request.is_none();
    let matcher = Matcher::new(subject)?;
    let others =
        if own_only { Some(Engine::builtin("default")?) } else { None };
    let mut found = Vec::new();
    let mut status = Status::Ok;
    for path in inputs {
        let reader = match mailshield::mail::open(
            path,
            Format::Auto,
            Limits::default(),
        ) {
            Ok(r) => r,
            Err(e) => {
                super::report::line(&e.to_string());
                status = Status::Error;
                continue;
            }
        };
        // A message that cannot be read is reported, not skipped quietly.
        let messages = reader.filter_map(|m| match m {
            Ok(m) => Some(m),
            Err(e) => {
                super::report::line(&e.to_string());
                status = Status::Error;
                None
            }
        });
        found.extend(mentions(&matcher, messages, others.as_ref()));
    }
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
    println!("{doc}");
    Ok(status)
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
    let open = |p: &Path| {
        File::open(p).map_err(|e| Fatal(format!("{}: {e}", p.display())))
    };
    let holds = match holds {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .map_err(|e| Fatal(format!("{}: {e}", p.display())))?;
            read_holds(&text)
                .map_err(|e| Fatal(format!("{}: {e}", p.display())))?
        }
        None => Default::default(),
    };
    // Written beside `out` and renamed once whole: a failed request
    // leaves no copy that looks done.
    let reader = BufReader::new(open(input)?);
    if out.exists() {
        return Err(Fatal(format!("{}: exists already", out.display())));
    }
    let tmp = out.with_extension("partial");
    let file = File::create_new(&tmp)
        .map_err(|e| Fatal(format!("{}: {e}", tmp.display())))?;
    let mut writer = BufWriter::new(file);
    let written = match new_value {
        None => erase(&matcher, reader, &holds, &mut writer),
        Some(v) => rectify(&matcher, reader, v, &mut writer),
    };
    let finished = written.map_err(Fatal::from).and_then(|report| {
        let file = writer
            .into_inner()
            .map_err(|e| Fatal(format!("{}: {}", tmp.display(), e.error())))?;
        file.sync_all()
            .map_err(|e| Fatal(format!("{}: {e}", tmp.display())))?;
        std::fs::rename(&tmp, out)
            .map_err(|e| Fatal(format!("{}: {e}", out.display())))?;
        Ok(report)
    });
    let report = match finished {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", serde_json::to_string(&report).unwrap_or_default())
        .map_err(|e| Fatal(format!("stdout: {e}")))?;
    Ok(Status::Ok)
}
