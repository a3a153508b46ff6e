//! `mailshield gdpr receive|verify|status|backup|notifications`, and the
//! answers bound to a request (`gdpr access|export|erase|rectify
//! --request ID`):
//! subject requests kept in the store, as
//! [`mailshield::gdpr::requests`] decides on them.
//!
//! A request is received (verified at once when it came authenticated as
//! its subject, else pending verification; refused as excessive past the
//! policy's count), verified once the host has checked the requester,
//! then answered; answering it again gives back the first answer and
//! writes nothing. The commands print the request's record (state,
//! history with reasons, outcome) with its deadline, or the answer; they
//! exit 1 when the request is refused.
//!
//! Limitations: the policy is the library's default (2 requests of a
//! kind in 30 days); notifications are queued in the store, never sent.

use std::io::{Empty, Sink};
use std::path::{Path, PathBuf};

use mailshield::crypto::{format_rfc3339, parse_rfc3339, unix_now};
use mailshield::gdpr::deadline::Date;
use mailshield::gdpr::requests::{
    Change, Channel, Requests, Started, erasure, rectification,
};
use mailshield::gdpr::{GdprError, Matcher, Subject};
use mailshield::store::{
    Backup, RequestRecord, RequestState, SqliteStore, Store,
};

use super::gdpr::{holds, print_json, write_copy};
use super::{Fatal, Status};

/// The requests of the store at `store` (see `apikeys::store_path`).
fn open(store: Option<&Path>) -> Result<Requests<SqliteStore>, Fatal> {
    let path = super::apikeys::store_path(store);
    let store = SqliteStore::open(&path)
        .map_err(|e| Fatal(format!("{}: {e}", path.display())))?;
    Ok(Requests::new(store))
}

/// Request `id`, which must exist.
fn find(
    requests: &Requests<SqliteStore>,
    id: &str,
) -> Result<RequestRecord, Fatal> {
    requests
        .store()
        .request(id)?
        .ok_or_else(|| Fatal(format!("request {id}: no such request")))
}

/// Checks that `r` is a request of `kind`.
fn of_kind(r: &RequestRecord, kind: &str) -> Result<(), Fatal> {
    if r.kind == kind {
        return Ok(());
    }
    let (id, k) = (&r.id, &r.kind);
    Err(Fatal(format!("request {id}: a request of {k}, not of {kind}")))
}

/// Prints `r` with its deadline; exit 1 when it is refused.
fn print_record(
    requests: &Requests<SqliteStore>,
    r: &RequestRecord,
    extension_notice: Option<Date>,
) -> Result<Status, Fatal> {
    let mut doc = serde_json::to_value(r)?;
    let deadline = requests.deadline(r, extension_notice);
    if let Some(map) = doc.as_object_mut() {
        map.insert("deadline".into(), serde_json::to_value(deadline)?);
    }
    print_json(&doc)?;
    Ok(refused_if(r.state == RequestState::Refused))
}

fn refused_if(refused: bool) -> Status {
    if refused { Status::FailOn } else { Status::Ok }
}

/// `gdpr receive ID`: records a request and prints its record.
///
/// # Errors
///
/// An unknown kind, a subject that is not an address, a failing store.
pub(crate) fn receive(
    store: Option<&Path>,
    id: &str,
    kind: &str,
    subject: &str,
    authenticated_as: Option<&str>,
) -> Result<Status, Fatal> {
    let requests = open(store)?;
    let channel = match authenticated_as {
        Some(user) => Channel::Authenticated(user),
        None => Channel::Unauthenticated,
    };
    let r = requests
        .receive(id, kind, subject, channel, unix_now())
        .map_err(|e| Fatal(format!("request {id}: {e}")))?;
    print_record(&requests, &r, None)
}

/// `gdpr verify ID`: the requester's identity is confirmed; prints the
/// record (refused when the request is excessive by now).
///
/// # Errors
///
/// No such request, one not pending verification, a failing store.
pub(crate) fn verify(store: Option<&Path>, id: &str) -> Result<Status, Fatal> {
    let requests = open(store)?;
    let r = requests
        .verify_identity(id, unix_now())
        .map_err(|e| Fatal(format!("request {id}: {e}")))?;
    print_record(&requests, &r, None)
}

/// `gdpr status ID`: prints the record and its deadline.
///
/// # Errors
///
/// No such request, a bad date, a failing store.
pub(crate) fn status(
    store: Option<&Path>,
    id: &str,
    extension_notice: Option<&str>,
) -> Result<Status, Fatal> {
    let requests = open(store)?;
    let notice = extension_notice
        .map(|s| s.parse::<Date>().map_err(Fatal))
        .transpose()?;
    let r = find(&requests, id)?;
    print_record(&requests, &r, notice)
}

/// `gdpr backup NAME --expires DATE`: adds (or replaces) a backup, which
/// later erasures mark beyond use until it expires.
///
/// # Errors
///
/// A date that is not one, a failing store.
pub(crate) fn backup(
    store: Option<&Path>,
    name: &str,
    expires: &str,
) -> Result<Status, Fatal> {
    let expires_at = parse_rfc3339(expires)
        .or_else(|| parse_rfc3339(&format!("{expires}T00:00:00Z")))
        .ok_or_else(|| {
            Fatal("--expires: not a date (YYYY-MM-DD) nor RFC 3339".into())
        })?;
    let requests = open(store)?;
    let backup = Backup { id: name.to_string(), expires_at };
    requests.store().add_backup(&backup)?;
    print_json(&backup)?;
    Ok(Status::Ok)
}

/// `gdpr notifications`: the queued Art. 19 notifications, a JSON line
/// each, oldest first.
///
/// # Errors
///
/// A failing store or stdout.
pub(crate) fn notifications(store: Option<&Path>) -> Result<Status, Fatal> {
    let requests = open(store)?;
    for n in requests.store().notifications()? {
        print_json(&n)?;
    }
    Ok(Status::Ok)
}

/// `subject` with the request's address among its identifiers.
fn with_address(subject: &Subject, address: &str) -> Subject {
    let mut s = subject.clone();
    if !s.emails.iter().any(|e| e.eq_ignore_ascii_case(address)) {
        s.emails.insert(0, address.to_string());
    }
    s
}

/// Request `id` of `kind`, when data may be released for it.
///
/// # Errors
///
/// `Err(Ok(status))` when the request is refused (its record printed);
/// `Err(Err(_))` for no such request, one of another kind, or one
/// pending verification.
fn released(
    requests: &Requests<SqliteStore>,
    id: &str,
    kind: &str,
) -> Result<RequestRecord, Result<Status, Fatal>> {
    let r = requests.release(id).map_err(|e| {
        refusal(requests, id, Fatal(format!("request {id}: {e}")))
    })?;
    of_kind(&r, kind).map_err(Err)?;
    Ok(r)
}

/// Marks request `id` answered with `outcome`, unless it was already
/// (a repeated access or export is answered again).
fn answered(
    requests: &Requests<SqliteStore>,
    id: &str,
    outcome: &serde_json::Value,
) -> Result<(), Fatal> {
    let now = unix_now();
    if let Started::Now(_) = requests.begin(id, now)? {
        requests.complete(id, outcome, now)?;
    }
    Ok(())
}

/// `gdpr access --request ID`: answers a released access request
/// (verified, not refused) as `gdpr access` does, its deadline from its
/// receipt, then records it answered when every input was read.
///
/// # Errors
///
/// No such request, one of another kind or pending verification, and
/// the errors of `gdpr access`. A refused request prints its record,
/// exit 1.
pub(crate) fn access(
    store: Option<&Path>,
    id: &str,
    subject: &Subject,
    inputs: &[PathBuf],
    extension_notice: Option<&str>,
) -> Result<Status, Fatal> {
    // Nothing is released before the requester is known.
    let requests = open(store)?;
    let r = match released(&requests, id, "access") {
        Ok(r) => r,
        Err(done) => return done,
    };
    let received = format_rfc3339(r.received_at);
    let request = super::gdpr::Request {
        store,
        received: Some(&received[..10]),
        extension_notice,
    };
    let subject = with_address(subject, &r.subject);
    let (doc, status) = super::gdpr::answer(&subject, inputs, Some(&request))?;
    print_json(&doc)?;

    // Answered once it is out, and whole.
    let messages = doc["messages"].as_array().map_or(0, Vec::len);
    if status == Status::Ok {
        let outcome = serde_json::json!({"request": id, "messages": messages});
        answered(&requests, id, &outcome)?;
    }
    Ok(status)
}

/// `gdpr export --request ID`: answers a released portability request
/// as `gdpr export` does (chunked into `dir` when given), then records
/// it answered when the export is whole and every input was read; an
/// interrupted chunked export is resumed by the same command.
///
/// # Errors
///
/// As [`access`], and the errors of `gdpr export`.
pub(crate) fn export(
    store: Option<&Path>,
    id: &str,
    subject: &Subject,
    inputs: &[PathBuf],
    dir: Option<(&Path, usize)>,
) -> Result<Status, Fatal> {
    // Nothing is released before the requester is known.
    let requests = open(store)?;
    let r = match released(&requests, id, "portability") {
        Ok(r) => r,
        Err(done) => return done,
    };
    let subject = with_address(subject, &r.subject);

    // The answer, and what it holds.
    let (messages, status) = match dir {
        Some((dir, per)) => {
            let (manifest, status) =
                super::gdpr::chunked(&subject, inputs, dir, per)?;
            print_json(&manifest)?;
            (manifest.chunks.iter().map(|c| c.mentions).sum(), status)
        }
        None => {
            let (doc, status) = super::gdpr::answer(&subject, inputs, None)?;
            print_json(&doc)?;
            let n = doc["messages"].as_array().map_or(0, Vec::len);
            (n as u64, status)
        }
    };
    if status == Status::Ok {
        let outcome = serde_json::json!({"request": id, "messages": messages});
        answered(&requests, id, &outcome)?;
    }
    Ok(status)
}

/// `gdpr erase --request ID`: the erasure answer (erased, retained with
/// basis, pseudonym key shredded, backups beyond use, notifications
/// queued); a request answered already gives its first answer, and
/// nothing is read or written.
///
/// # Errors
///
/// No such request, one pending verification, bad identifiers or holds,
/// files that cannot be read or written; the request can then be tried
/// again. A refused request prints its record, exit 1.
pub(crate) fn erase(
    store: Option<&Path>,
    id: &str,
    subject: &Subject,
    hold: Option<&Path>,
    input: &Path,
    out: &Path,
) -> Result<Status, Fatal> {
    let requests = open(store)?;
    let r = find(&requests, id)?;
    of_kind(&r, "erasure")?;
    let matcher = Matcher::new(&with_address(subject, &r.subject))?;
    let holds = holds(hold)?;
    let now = unix_now();
    let fail = |e: GdprError| Fatal(format!("request {id}: {e}"));
    // A duplicate reads and writes nothing.
    let answer = if r.state == RequestState::Completed {
        let (none, mut sink) = (std::io::empty(), std::io::sink());
        erasure(&requests, id, &matcher, none, &holds, &mut sink, now)
            .map_err(fail)
    } else {
        write_copy(input, out, |reader, writer| {
            erasure(&requests, id, &matcher, reader, &holds, writer, now)
                .map_err(fail)
        })
    };
    match answer {
        Ok(answer) => {
            print_json(&answer)?;
            Ok(Status::Ok)
        }
        Err(e) => refusal(&requests, id, e),
    }
}

/// What `gdpr rectify --request ID` changes.
pub(crate) enum Rectify<'a> {
    /// The subject's address becomes `to` in the copy of `input` at `out`.
    Address { to: &'a str, input: &'a Path, out: &'a Path },
    /// A supplementary statement, kept with the request.
    Statement(&'a str),
}

/// `gdpr rectify --request ID`: the rectification answer (messages
/// rectified, records moved, notifications queued). A new value that is
/// not an address refuses the request: its record is printed, the reason
/// goes to stderr, and the exit is 1.
///
/// # Errors
///
/// No such request, one not verified, bad identifiers, files that cannot
/// be read or written.
pub(crate) fn rectify(
    store: Option<&Path>,
    id: &str,
    subject: &Subject,
    change: Rectify<'_>,
) -> Result<Status, Fatal> {
    let requests = open(store)?;
    let r = find(&requests, id)?;
    of_kind(&r, "rectification")?;
    let now = unix_now();
    let fail = |e: GdprError| Fatal(format!("request {id}: {e}"));
    let answer = match change {
        Rectify::Statement(text) => {
            let change = Change::<Empty, Sink>::Statement(text);
            rectification(&requests, id, change, now).map_err(fail)
        }
        // A duplicate reads and writes nothing.
        Rectify::Address { to, .. } if r.state == RequestState::Completed => {
            let matcher = Matcher::new(&with_address(subject, &r.subject))?;
            let (input, out) = (std::io::empty(), &mut std::io::sink());
            let change =
                Change::Address { new: to, matcher: &matcher, input, out };
            rectification(&requests, id, change, now).map_err(fail)
        }
        Rectify::Address { to, input, out } => {
            let matcher = Matcher::new(&with_address(subject, &r.subject))?;
            write_copy(input, out, |input, out| {
                let change =
                    Change::Address { new: to, matcher: &matcher, input, out };
                rectification(&requests, id, change, now).map_err(fail)
            })
        }
    };
    match answer {
        Ok(answer) => {
            print_json(&answer)?;
            Ok(Status::Ok)
        }
        Err(e) => refusal(&requests, id, e),
    }
}

/// After a failed answer: when the request is refused, the reason on
/// stderr, the record on stdout and exit 1; else the error.
fn refusal(
    requests: &Requests<SqliteStore>,
    id: &str,
    error: Fatal,
) -> Result<Status, Fatal> {
    let r = find(requests, id)?;
    if r.state != RequestState::Refused {
        return Err(error);
    }
    super::report::line(&error.0);
    print_record(requests, &r, None)
}
