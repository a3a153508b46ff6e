//! `mailshield decrypt`: open protected records, or Fernet-token bodies.
//!
//! Reads JSON Lines. A `body` that is an `ms1:` envelope opens with the
//! record's `email_id` as its message id; a `body` that is a Fernet token
//! opens with any Fernet key of the set (so an existing store encrypted by
//! the Python tooling can be piped into `scan` or `protect`). A record that
//! cannot be opened is written back unchanged with an `errors` entry; a
//! body that is not UTF-8 comes out base64 as `body_base64`.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use base64::Engine as _;
use mailshield::crypto::{CryptoErrorKind, KeySet, aead, fernet, unix_now};
use serde_json::{Map, Value};

use super::output::{Sink, WriteError};
use super::report::Summary;
use super::{DecryptArgs, Fatal, Status};

/// The longest record line read, in bytes.
const MAX_LINE: u64 = 1 << 30;

/// Why a body did not open.
struct Failure {
    cause: String,
    /// No key of the set is the body's key: the key does not fit (exit 2),
    /// rather than one record being damaged (exit 3). A Fernet token that
    /// no key verifies counts as such: Fernet cannot tell the two apart.
    no_key: bool,
}

/// Opens one body; `None` when it is not sealed at all.
fn open(
    keys: &KeySet,
    id: &str,
    body: &str,
) -> Option<Result<Vec<u8>, Failure>> {
    if aead::is_envelope(body.as_bytes()) {
        return Some(
            aead::open(keys, id.as_bytes(), body.as_bytes()).map_err(|e| {
                Failure {
                    no_key: e.kind() == CryptoErrorKind::UnknownKey,
                    cause: e.to_string(),
                }
            }),
        );
    }
    if body.starts_with("gAAAAA") {
        return Some(
            fernet::decrypt_with_keys(keys, body.as_bytes(), None, unix_now())
                .map_err(|e| Failure { no_key: true, cause: e.to_string() }),
        );
    }
    None
}

/// Decrypts one record line; the line to write and why it did not open.
fn record(keys: &KeySet, line: &[u8]) -> (Vec<u8>, Option<Failure>) {
    let Ok(Value::Object(mut obj)) = serde_json::from_slice::<Value>(line)
    else {
        let cause = "not a JSON object".to_string();
        return (line.to_vec(), Some(Failure { cause, no_key: false }));
    };
    let id = match obj.get("email_id").or(obj.get("id")) {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => String::new(),
    };
    let Some(Value::String(body)) = obj.get("body").cloned() else {
        return (line.to_vec(), None);
    };
    match open(keys, &id, &body) {
        None => (line.to_vec(), None),
        Some(Ok(plain)) => {
            obj.remove("body");
            put_body(&mut obj, &plain);
            let mut out =
                serde_json::to_vec(&Value::Object(obj)).unwrap_or_default();
            out.push(b'\n');
            (out, None)
        }
        Some(Err(e)) => {
            let cause = format!("cannot decrypt: {}", e.cause);
            let errors = obj
                .entry("errors")
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(a) = errors {
                a.push(Value::String(cause.clone()));
            }
            let mut out =
                serde_json::to_vec(&Value::Object(obj)).unwrap_or_default();
            out.push(b'\n');
            (out, Some(Failure { cause, no_key: e.no_key }))
        }
    }
}

fn put_body(obj: &mut Map<String, Value>, plain: &[u8]) {
    match std::str::from_utf8(plain) {
        Ok(s) => {
            obj.insert("body".into(), Value::String(s.into()));
        }
        Err(_) => {
            let b64 = base64::engine::general_purpose::STANDARD.encode(plain);
            obj.insert("body_base64".into(), Value::String(b64));
        }
    }
}

/// Runs `mailshield decrypt`.
///
/// # Errors
///
/// A key set that does not load, an output that cannot be written.
pub(crate) fn run(args: DecryptArgs) -> Result<Status, Fatal> {
    let keys = super::keys::load(args.key_file.as_deref())?;
    let mut sink = Sink::open(args.out.as_deref())?;
    let mut summary = Summary::new();
    let mut status = Status::Ok;
    for input in &args.inputs {
        let name = input.display().to_string();
        let reader: Box<dyn Read> = if input == Path::new("-") {
            Box::new(std::io::stdin().lock())
        } else {
            match File::open(input) {
                Ok(f) => Box::new(f),
                Err(e) => {
                    summary.error_line(&format!("{name}: {e}"));
                    status = status.max(Status::Error);
                    continue;
                }
            }
        };
        let mut reader =
            BufReader::with_capacity(1 << 16, reader.take(u64::MAX));
        let mut line = Vec::new();
        let mut index = 0usize;
        loop {
            line.clear();
            let n = match (&mut reader)
                .take(MAX_LINE)
                .read_until(b'\n', &mut line)
            {
                Ok(n) => n,
                Err(e) => {
                    summary.error_line(&format!("{name}: {e}"));
                    status = status.max(Status::Error);
                    break;
                }
            };
            if n == 0 {
                break;
            }
            let body = line.strip_suffix(b"\n").unwrap_or(&line);
            if body.trim_ascii().is_empty() {
                index += 1;
                continue;
            }
            let (out, err) = record(&keys, body);
            if let Some(e) = err {
                summary.report(true, &format!("{name}#{index}"), &e.cause);
                let s =
                    if e.no_key { Status::Error } else { Status::Incomplete };
                status = status.max(s);
            }
            summary.message(n);
            let mut out = out;
            if !out.ends_with(b"\n") {
                out.push(b'\n');
            }
            match sink.write(&out) {
                Ok(()) => {}
                Err(WriteError::Closed) => return Ok(Status::Ok),
                Err(WriteError::Failed(e)) => {
                    sink.abandon();
                    return Err(Fatal(e));
                }
            }
            index += 1;
        }
    }
    summary.finish();
    match sink.finish() {
        Ok(()) | Err(WriteError::Closed) => Ok(status),
        Err(WriteError::Failed(e)) => Err(Fatal(e)),
    }
}
