//! `mailshield gdpr access|export|erase|rectify` over mail archives.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use mailshield::engine::Engine;
use mailshield::gdpr::{
    Matcher, Subject, erase, mentions, read_holds, rectify,
};
use mailshield::mail::{Format, Limits};

use super::{Fatal, Status};

/// `gdpr access` (`own_only` false) or `gdpr export` (true): one JSON
/// document on stdout with every message that mentions the subject (or
/// that the subject sent, others' data redacted).
///
/// # Errors
///
/// Bad identifiers, an input that cannot be read.
pub(crate) fn access(
    subject: &Subject,
    inputs: &[PathBuf],
    own_only: bool,
) -> Result<Status, Fatal> {
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
    let doc = serde_json::json!({
        "version": 1,
        "request": if own_only { "portability" } else { "access" },
        "subject": subject,
        "messages": found,
    });
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
    let reader = BufReader::new(open(input)?);
    let file = File::create_new(out)
        .map_err(|e| Fatal(format!("{}: {e}", out.display())))?;
    let mut writer = BufWriter::new(file);
    let report = match new_value {
        None => erase(&matcher, reader, &holds, &mut writer)?,
        Some(v) => rectify(&matcher, reader, v, &mut writer)?,
    };
    writer
        .into_inner()
        .map_err(|e| Fatal(format!("{}: {}", out.display(), e.error())))?
        .sync_all()
        .map_err(|e| Fatal(format!("{}: {e}", out.display())))?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", serde_json::to_string(&report).unwrap_or_default())
        .map_err(|e| Fatal(format!("stdout: {e}")))?;
    Ok(Status::Ok)
}
