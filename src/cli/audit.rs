//! `mailshield audit log|verify|report` over a MAC-chained log file.
//!
//! The checkpoint key (the root of the log's evolving epoch keys) is
//! derived from the key set (`--key-file` or `MAILSHIELD_KEY`); the head
//! file is `<log>.head`. `log --pseudonymize` writes users as keyed
//! pseudonyms whose keys the store holds and erasure shreds; `report
//! --pseudonymize` shows users as pseudonyms keyed by the key set.
//!
//! Limitations: `audit log` loads the whole key set, so the writer holds
//! the root and forward security does not cover a stolen key file (see
//! [`mailshield::audit`]).

use std::path::Path;
use std::sync::Arc;

use mailshield::audit::report::Builder;
use mailshield::audit::rules::Config;
use mailshield::audit::{
    AuditLog, CHECKPOINT_KEY_LABEL, Event, Pseudonyms, Risk, head_path,
    read_events, verify,
};
use mailshield::crypto::unix_now;
use mailshield::engine::Engine;
use mailshield::store::SqliteStore;

use super::{Fatal, Status};

/// The label of the key that `report --pseudonymize` derives from the
/// key set: the same key set gives the same pseudonyms.
const REPORT_PSEUDONYM_LABEL: &[u8] = b"mailshield audit report pseudonyms v1";

fn audit_key(key_file: Option<&Path>) -> Result<[u8; 32], Fatal> {
    Ok(super::keys::load(key_file)?.derive_secret(CHECKPOINT_KEY_LABEL))
}

/// What `audit log` appends.
pub(crate) struct LogArgs<'a> {
    pub event_type: &'a str,
    pub user: Option<&'a str>,
    pub resource: Option<&'a str>,
    pub risk: Risk,
    pub source_ip: Option<&'a str>,
    pub details: Option<&'a str>,
    /// Users as pseudonyms keyed in this store (`None` inside: the
    /// default store).
    pub pseudonyms: Option<Option<&'a Path>>,
}

/// `audit log`: appends one event (details redacted by the default pack)
/// and closes the log with a checkpoint.
///
/// # Errors
///
/// A key set that does not load, details that are not a JSON object, a
/// log that cannot be written.
pub(crate) fn log(
    path: &Path,
    key_file: Option<&Path>,
    args: &LogArgs<'_>,
) -> Result<Status, Fatal> {
    let key = audit_key(key_file)?;
    let mut event = Event::new(args.event_type, unix_now());
    event.user_id = args.user.map(str::to_string);
    event.resource = args.resource.map(str::to_string);
    event.risk_level = args.risk;
    event.source_ip = args.source_ip.map(str::to_string);
    if let Some(text) = args.details {
        event.details = serde_json::from_str(text)
            .map_err(|_| Fatal("--details: not a JSON object".into()))?;
    }
    let engine = std::sync::Arc::new(Engine::builtin("default")?);
    let mut log = AuditLog::open(path, &key, Some(engine))?;
    if let Some(store) = args.pseudonyms {
        let store_path = super::apikeys::store_path(store);
        let store = SqliteStore::open(&store_path)
            .map_err(|e| Fatal(format!("{}: {e}", store_path.display())))?;
        log = log.pseudonymize(Pseudonyms::new(Arc::new(store)));
    }
    let seq = log.append(event)?;
    log.close()?;
    println!("{seq}");
    Ok(Status::Ok)
}

/// `audit verify`: prints what it found; exit 0 when the log verifies, 1
/// when it does not. A log with checkpoints needs its head file (a log
/// cut back to an earlier checkpoint is otherwise intact), unless
/// `no_head` says the head is kept elsewhere.
///
/// # Errors
///
/// A key set that does not load, a log that cannot be read.
pub(crate) fn check(
    path: &Path,
    key_file: Option<&Path>,
    no_head: bool,
) -> Result<Status, Fatal> {
    let key = audit_key(key_file)?;
    let head = head_path(path);
    let head = head.exists().then_some(head.as_path());
    let v = verify(path, &key, head)?;
    let missing_head = head.is_none() && !no_head && v.checkpoints > 0;
    let broken = match (&v.broken, missing_head) {
        (Some(b), _) => Some(b.to_string()),
        (None, true) => Some(
            "the head file is missing: the log may have been cut back \
             (--no-head skips this check)"
                .to_string(),
        ),
        (None, false) => None,
    };
    let json = serde_json::json!({
        "valid": broken.is_none(),
        "events": v.events,
        "checkpoints": v.checkpoints,
        "head_checked": head.is_some(),
        "broken": broken,
    });
    println!("{json}");
    Ok(if broken.is_none() { Status::Ok } else { Status::FailOn })
}

/// What `audit report` shows.
pub(crate) struct ReportArgs<'a> {
    pub days: u64,
    pub table: bool,
    pub utc_offset_minutes: i32,
    /// Users as pseudonyms keyed by this key set (`None` inside:
    /// MAILSHIELD_KEY).
    pub pseudonyms: Option<Option<&'a Path>>,
}

/// `audit report`: the last `days` days, as JSON or as a table.
///
/// # Errors
///
/// A log that cannot be read, a key set that does not load.
pub(crate) fn report(
    path: &Path,
    args: &ReportArgs<'_>,
) -> Result<Status, Fatal> {
    let end = unix_now() + 1;
    let start = end.saturating_sub(args.days.saturating_mul(86_400));
    let config = Config {
        utc_offset_minutes: args.utc_offset_minutes,
        ..Config::default()
    };
    let mut builder = Builder::new(start, end, config);
    if let Some(key_file) = args.pseudonyms {
        let keys = super::keys::load(key_file)?;
        builder =
            builder.pseudonymize(&keys.derive_secret(REPORT_PSEUDONYM_LABEL));
    }
    for event in read_events(path)? {
        builder.add(&event?);
    }
    let r = builder.finish();
    if args.table {
        print!("{}", r.table());
    } else {
        println!("{}", serde_json::to_string(&r).unwrap_or_default());
    }
    Ok(Status::Ok)
}
