//! Security events in an append-only, hash-chained JSON Lines file, the
//! guide's threat rules over them, and its security report (SPEC
//! section 7).
//!
//! Each line of the log is one JSON object:
//!
//! - an event: `{"seq": N, "epoch": E, "prev": H, "event": {...}}`;
//! - a checkpoint: `{"seq": N, "epoch": E, "prev": H, "checkpoint": M}`.
//!
//! `seq` counts lines from 0; `epoch` is left out when it is 0 (see
//! below); `prev` links the line to the one before:
//! HMAC-SHA256 (hex) of the previous line's bytes under the key of the
//! line's epoch, 64 zeros for the first, so a chain cannot be rebuilt,
//! nor lines added, without that key. A checkpoint's `M` is HMAC-SHA256
//! of `seq`, `epoch` and `prev`: written every
//! [`AuditLog::CHECKPOINT_EVERY`] events and at close (when something is
//! new), and copied to the head file beside the log (`<log>.head`), which
//! can be kept elsewhere. [`verify`] then finds an entry that was
//! changed, removed, swapped, added or re-chained, and a tail that was
//! cut: past the last checkpoint, or, with the head file, back to an
//! earlier one. MACs are compared in constant time.
//!
//! Keys evolve forward (HOSTILE-INPUTS 105): epoch `E` is the run of lines
//! after the `E`-th checkpoint up to and including the next one. Epoch 0
//! is keyed by the audit key given to [`verify`] (the root); the key of
//! epoch `E + 1` is HMAC-SHA256 under epoch `E`'s key of a fixed label
//! ([`EpochKey`]), and the writer keeps only the current epoch's key,
//! forgetting each one once its checkpoint is written. Someone who takes
//! the writing host learns the current key: from it, later keys follow,
//! earlier ones do not, so the sealed epochs cannot be rewritten and
//! re-sealed with it; [`verify`] derives every epoch's key from the root
//! and checks each line against its own epoch's key.
//!
//! Before an event is written, every string in its `details` is scanned by
//! the engine given to [`AuditLog::open`] and its findings replaced by
//! placeholders, so no value from a message reaches the log. With
//! [`AuditLog::pseudonymize`], its `user_id` is replaced by the user's
//! keyed pseudonym ([`Pseudonyms`]), which erasure shreds. JSON escaping
//! keeps each event on its own line whatever its fields hold.
//!
//! Limitations: [`AuditLog::open`] is given the root and derives the current
//! epoch's key, then drops the root; forward security then holds against an
//! attacker who reads the writer's memory or files, not the key set it was
//! given (the command line's `--key-file`). A host that keeps the root
//! elsewhere hands the writer its epoch key ([`AuditLog::open_at`]). Logs
//! written before keys evolved do not verify (their checkpoints sign no
//! epoch). One
//! process writes a log at a time (threads of it may share the [`AuditLog`]);
//! a second writer process would fork the chain, which [`verify`] reports. A
//! log whose last line was torn by a crash is refused by [`AuditLog::open`]
//! until it is repaired by hand.

mod pseudonyms;
pub mod report;
pub mod rules;

pub use pseudonyms::Pseudonyms;

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ring::hmac;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::batch::body_field;
use crate::crypto::{format_rfc3339, parse_rfc3339};
use crate::engine::Engine;
use crate::protect::redact_keyless;

/// The label of the checkpoint key a key set gives audit logs
/// ([`KeySet::derive_secret`]), shared by the command line and the C ABI.
///
/// [`KeySet::derive_secret`]: crate::crypto::KeySet::derive_secret
pub const CHECKPOINT_KEY_LABEL: &[u8] = b"mailshield audit checkpoint v1";

/// How risky an event is.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    /// Routine.
    Low,
    /// Worth a look.
    Medium,
    /// An incident.
    High,
    /// An incident to act on now.
    Critical,
}

impl Risk {
    /// The name the log and the report use.
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
            Risk::Critical => "critical",
        }
    }
}

/// One security event, with the guide's fields.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Unique id (random, UUID-shaped).
    pub event_id: String,
    /// When it happened, Unix seconds (RFC 3339 UTC in the log).
    #[serde(with = "rfc3339")]
    pub timestamp: u64,
    /// `authentication_failed`, `data_access`, `permission_change`, ...
    pub event_type: String,
    /// Who did it.
    pub user_id: Option<String>,
    /// What it touched.
    pub resource: Option<String>,
    /// More, as JSON; strings are redacted before writing.
    pub details: Map<String, Value>,
    /// How risky it is.
    pub risk_level: Risk,
    /// Where it came from.
    pub source_ip: Option<String>,
    /// The client's user agent.
    pub user_agent: Option<String>,
    /// The session.
    pub session_id: Option<String>,
}

impl Event {
    /// An event of `event_type` at `timestamp` with a fresh id, low risk
    /// and no other field.
    pub fn new(event_type: &str, timestamp: u64) -> Event {
        Event {
            event_id: new_id(),
            timestamp,
            event_type: event_type.to_string(),
            user_id: None,
            resource: None,
            details: Map::new(),
            risk_level: Risk::Low,
            source_ip: None,
            user_agent: None,
            session_id: None,
        }
    }
}

/// An event as a host application gives it: `event_type` required, the
/// other fields of [`Event`] optional (`timestamp` as RFC 3339, default
/// now; `event_id` default a fresh one; `risk_level` default low).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventIn {
    event_id: Option<String>,
    timestamp: Option<String>,
    event_type: String,
    user_id: Option<String>,
    resource: Option<String>,
    #[serde(default)]
    details: Map<String, Value>,
    risk_level: Option<Risk>,
    source_ip: Option<String>,
    user_agent: Option<String>,
    session_id: Option<String>,
}

impl Event {
    /// Reads an event from a JSON object with the fields of [`Event`]:
    /// `event_type` required, the others optional (`timestamp` as RFC
    /// 3339, default `now`; `event_id` a fresh one; `risk_level` low);
    /// unknown fields refused.
    ///
    /// # Errors
    ///
    /// When it is not such an object (the message names the field, never
    /// a value).
    pub fn from_json(bytes: &[u8], now: u64) -> Result<Event, String> {
        let e: EventIn = serde_json::from_slice(bytes).map_err(|err| {
            format!("not an audit event: {}", redacted(&err))
        })?;
        let timestamp = match &e.timestamp {
            Some(t) => parse_rfc3339(t)
                .ok_or("not an audit event: `timestamp` is not RFC 3339")?,
            None => now,
        };
        Ok(Event {
            event_id: e.event_id.unwrap_or_else(new_id),
            timestamp,
            event_type: e.event_type,
            user_id: e.user_id,
            resource: e.resource,
            details: e.details,
            risk_level: e.risk_level.unwrap_or(Risk::Low),
            source_ip: e.source_ip,
            user_agent: e.user_agent,
            session_id: e.session_id,
        })
    }
}

/// A JSON error without the input it quotes: serde_json quotes the
/// values it did not expect, which may be data; field names are kept.
fn redacted(err: &serde_json::Error) -> String {
    let text = err.to_string();
    // An unknown field's name is the caller's text: not repeated.
    if text.starts_with("unknown field") {
        return "an unknown field".to_string();
    }
    let named = ["missing field", "duplicate field"];
    if named.iter().any(|p| text.starts_with(p)) {
        let end = text.find(", expected").unwrap_or(text.len());
        let end = end.min(text.find(" at line").unwrap_or(text.len()));
        return text[..end].to_string();
    }
    let kind = match err.classify() {
        serde_json::error::Category::Syntax => "bad JSON",
        serde_json::error::Category::Eof => "JSON cut short",
        serde_json::error::Category::Data => "a field of the wrong type",
        serde_json::error::Category::Io => "unreadable",
    };
    format!("{kind} at line {} column {}", err.line(), err.column())
}

mod rfc3339 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_rfc3339(*t))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<u64, D::Error> {
        let text = String::deserialize(d)?;
        super::parse_rfc3339(&text)
            .ok_or_else(|| serde::de::Error::custom("not an RFC 3339 time"))
    }
}

/// A random id shaped like a version 4 UUID.
fn new_id() -> String {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 16];
    // A failing system generator leaves zeros; ids are labels, not keys.
    let _ = ring::rand::SystemRandom::new().fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// An error of the audit log: the file and the cause.
#[derive(Debug)]
pub struct AuditError {
    path: PathBuf,
    cause: String,
}

impl AuditError {
    fn new(path: &Path, cause: impl fmt::Display) -> AuditError {
        AuditError { path: path.to_path_buf(), cause: cause.to_string() }
    }
}

impl fmt::Display for AuditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.cause)
    }
}

impl std::error::Error for AuditError {}

/// One line of the log as written.
#[derive(Serialize, Deserialize)]
struct Line {
    seq: u64,
    /// Left out when 0, so a log of one epoch reads as before.
    #[serde(default, skip_serializing_if = "is_zero")]
    epoch: u64,
    prev: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<Event>,
    #[serde(skip_serializing_if = "Option::is_none")]
    checkpoint: Option<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// What a line's link signs: the previous line's bytes.
fn link_message(line: &[u8]) -> Vec<u8> {
    let mut msg = b"mailshield audit line\0".to_vec();
    msg.extend_from_slice(line);
    msg
}

/// The link to `line` that the next line carries as `prev`: keyed, so a
/// chain cannot be rebuilt without the key.
fn line_link(key: &hmac::Key, line: &[u8]) -> String {
    hex(hmac::sign(key, &link_message(line)).as_ref())
}

/// What a checkpoint signs: its `seq`, `epoch` and `prev`.
fn checkpoint_message(seq: u64, epoch: u64, prev: &str) -> Vec<u8> {
    let mut msg = b"mailshield audit checkpoint\0".to_vec();
    msg.extend_from_slice(&seq.to_be_bytes());
    msg.extend_from_slice(&epoch.to_be_bytes());
    msg.extend_from_slice(prev.as_bytes());
    msg
}

/// The most epochs a head file may name (4 billion events at the default
/// checkpoint interval); deriving a key costs one HMAC per epoch.
const MAX_EPOCHS: u64 = 1 << 22;

/// The label whose MAC under one epoch's key is the next epoch's key.
const NEXT_EPOCH: &[u8] = b"mailshield audit next epoch";

/// The key of one epoch of a log. It is not `Clone`, and prints only its
/// epoch; moving on to the next epoch overwrites it, and dropping it
/// zeroes its bytes (not `ring`'s copy inside the HMAC key, which `ring`
/// does not offer to clear).
pub struct EpochKey {
    epoch: u64,
    secret: Zeroizing<[u8; 32]>,
    mac: hmac::Key,
}

impl fmt::Debug for EpochKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EpochKey").field("epoch", &self.epoch).finish()
    }
}

impl EpochKey {
    /// The key of epoch 0: the audit key itself.
    fn root(key: &[u8; 32]) -> EpochKey {
        EpochKey {
            epoch: 0,
            secret: Zeroizing::new(*key),
            mac: hmac::Key::new(hmac::HMAC_SHA256, key),
        }
    }

    /// The key of `epoch`, derived from the audit key `root`. Linear in
    /// `epoch` (one HMAC per epoch).
    pub fn derive(root: &[u8; 32], epoch: u64) -> EpochKey {
        let mut key = EpochKey::root(root);
        key.advance_to(epoch);
        key
    }

    /// Its epoch.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Moves on to the next epoch, overwriting this one's key.
    fn advance(&mut self) {
        let tag = hmac::sign(&self.mac, NEXT_EPOCH);
        self.secret.copy_from_slice(tag.as_ref());
        self.mac = hmac::Key::new(hmac::HMAC_SHA256, &self.secret[..]);
        self.epoch += 1;
    }

    /// Moves on to `epoch`, if it is later.
    fn advance_to(&mut self, epoch: u64) {
        while self.epoch < epoch {
            self.advance();
        }
    }
}

/// The checkpoint MAC of line `seq` of `key`'s epoch whose `prev` is
/// `prev`.
fn checkpoint_mac(key: &EpochKey, seq: u64, prev: &str) -> String {
    let msg = checkpoint_message(seq, key.epoch, prev);
    hex(hmac::sign(&key.mac, &msg).as_ref())
}

/// Whether `tag` (hex) is the MAC of `msg`, compared in constant time.
fn tag_ok(key: &hmac::Key, msg: &[u8], tag: &str) -> bool {
    unhex(tag).is_some_and(|t| hmac::verify(key, msg, &t).is_ok())
}

const GENESIS: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// The head file of a log.
pub fn head_path(log: &Path) -> PathBuf {
    let mut name = log.as_os_str().to_owned();
    name.push(".head");
    PathBuf::from(name)
}

struct Writer {
    file: File,
    seq: u64,
    prev: String,
    since_checkpoint: u64,
    /// The current epoch's key, the only one the writer holds.
    key: EpochKey,
}

/// An open audit log, appended to by any number of threads.
pub struct AuditLog {
    path: PathBuf,
    engine: Option<Arc<Engine>>,
    pseudonyms: Option<Pseudonyms>,
    writer: Mutex<Writer>,
    every: u64,
}

impl fmt::Debug for AuditLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditLog").field("path", &self.path).finish()
    }
}

impl AuditLog {
    /// Events between two checkpoints.
    pub const CHECKPOINT_EVERY: u64 = 1000;

    /// Opens the log at `path` for appending (creating it), with the
    /// 32-byte audit `key` for checkpoints, and `engine` to redact
    /// details (none: details are written as given).
    ///
    /// # Errors
    ///
    /// When the file cannot be opened or read, or its last line is not a
    /// whole line of this format (a torn write, another file).
    pub fn open(
        path: impl AsRef<Path>,
        key: &[u8; 32],
        engine: Option<Arc<Engine>>,
    ) -> Result<AuditLog, AuditError> {
        AuditLog::open_at(path, EpochKey::root(key), engine)
    }

    /// Opens the log at `path` as [`AuditLog::open`] does, with the key
    /// of an epoch instead of the root: the log's current epoch or an
    /// earlier one (moved on from), so that the writer never sees the
    /// keys of the epochs it cannot rewrite.
    ///
    /// # Errors
    ///
    /// As [`AuditLog::open`]; and when `key` is of an epoch later than
    /// the log's.
    pub fn open_at(
        path: impl AsRef<Path>,
        mut key: EpochKey,
        engine: Option<Arc<Engine>>,
    ) -> Result<AuditLog, AuditError> {
        let path = path.as_ref();
        let fail = |e: std::io::Error| AuditError::new(path, e);
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)
            .map_err(fail)?;
        // Where the chain stands, in which epoch, and whether its tail is
        // sealed.
        let last = last_entry(&mut file, path)?;
        let epoch = last
            .as_ref()
            .map_or(0, |(l, _)| l.epoch + u64::from(l.checkpoint.is_some()));
        if key.epoch > epoch {
            return Err(AuditError::new(
                path,
                "the key is of a later epoch than the log",
            ));
        }
        key.advance_to(epoch);
        let (seq, prev, since_checkpoint) = match last {
            None => (0, GENESIS.to_string(), 0),
            Some((line, bytes)) => {
                let unsealed = u64::from(line.event.is_some());
                (line.seq + 1, line_link(&key.mac, &bytes), unsealed)
            }
        };
        let writer = Writer { file, seq, prev, since_checkpoint, key };
        Ok(AuditLog {
            path: path.to_path_buf(),
            engine,
            pseudonyms: None,
            writer: Mutex::new(writer),
            every: Self::CHECKPOINT_EVERY,
        })
    }

    /// The same log with a checkpoint every `events` events.
    pub fn checkpoint_every(mut self, events: u64) -> AuditLog {
        self.every = events.max(1);
        self
    }

    /// The same log writing each event's `user_id` as its pseudonym.
    pub fn pseudonymize(mut self, pseudonyms: Pseudonyms) -> AuditLog {
        self.pseudonyms = Some(pseudonyms);
        self
    }

    /// Appends `event` (its details redacted, its user pseudonymised when
    /// asked) and returns its `seq`; the line is on disk when this
    /// returns.
    ///
    /// # Errors
    ///
    /// When the write or the sync fails, or the pseudonym's store does;
    /// then nothing was acknowledged, and the caller must treat the
    /// audited operation as not done.
    pub fn append(&self, mut event: Event) -> Result<u64, AuditError> {
        if let Some(engine) = &self.engine {
            redact_details(engine, &mut event.details);
        }
        if let (Some(p), Some(user)) = (&self.pseudonyms, &event.user_id) {
            let named =
                p.of(user).map_err(|e| AuditError::new(&self.path, e))?;
            event.user_id = Some(named);
        }
        let mut w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let seq = self.write_line(&mut w, Some(event), None)?;
        w.since_checkpoint += 1;
        if w.since_checkpoint >= self.every {
            self.checkpoint_locked(&mut w)?;
        }
        Ok(seq)
    }

    /// Writes a checkpoint now, and the head file, when an event was
    /// appended since the last one (else there is nothing to seal).
    ///
    /// # Errors
    ///
    /// When the write fails.
    pub fn checkpoint(&self) -> Result<(), AuditError> {
        let mut w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if w.since_checkpoint == 0 {
            return Ok(());
        }
        self.checkpoint_locked(&mut w)
    }

    /// Closes the log with a final checkpoint.
    ///
    /// # Errors
    ///
    /// When the write fails.
    pub fn close(self) -> Result<(), AuditError> {
        self.checkpoint()
    }

    fn checkpoint_locked(&self, w: &mut Writer) -> Result<(), AuditError> {
        let mac = checkpoint_mac(&w.key, w.seq, &w.prev);
        let line = {
            let l = Line {
                seq: w.seq,
                epoch: w.key.epoch,
                prev: w.prev.clone(),
                event: None,
                checkpoint: Some(mac),
            };
            serde_json::to_vec(&l).unwrap_or_default()
        };
        self.write_raw(w, &line)?;
        w.since_checkpoint = 0;
        // The epoch is sealed: its key is forgotten, and the next line
        // links under the next one.
        w.key.advance();
        w.prev = line_link(&w.key.mac, &line);

        // The head file, replaced whole.
        let head = head_path(&self.path);
        let tmp = head.with_extension("head.tmp");
        let fail = |e: std::io::Error| AuditError::new(&head, e);
        let mut f = File::create(&tmp).map_err(fail)?;
        f.write_all(&line).map_err(fail)?;
        f.sync_all().map_err(fail)?;
        std::fs::rename(&tmp, &head).map_err(fail)
    }

    fn write_line(
        &self,
        w: &mut Writer,
        event: Option<Event>,
        checkpoint: Option<String>,
    ) -> Result<u64, AuditError> {
        let l = Line {
            seq: w.seq,
            epoch: w.key.epoch,
            prev: w.prev.clone(),
            event,
            checkpoint,
        };
        let line = serde_json::to_vec(&l)
            .map_err(|e| AuditError::new(&self.path, e))?;
        self.write_raw(w, &line)
    }

    fn write_raw(
        &self,
        w: &mut Writer,
        line: &[u8],
    ) -> Result<u64, AuditError> {
        let mut bytes = line.to_vec();
        bytes.push(b'\n');
        let fail = |e: std::io::Error| AuditError::new(&self.path, e);
        w.file.write_all(&bytes).map_err(fail)?;
        w.file.sync_data().map_err(fail)?;
        let seq = w.seq;
        w.prev = line_link(&w.key.mac, line);
        w.seq += 1;
        Ok(seq)
    }
}

/// Redacts every string in `details`, at any depth.
fn redact_details(engine: &Engine, details: &mut Map<String, Value>) {
    for value in details.values_mut() {
        redact_value(engine, value);
    }
}

fn redact_value(engine: &Engine, value: &mut Value) {
    match value {
        Value::String(s) => {
            let scan = engine.scan_fields(&body_field(s.as_bytes()));
            if scan.findings.is_empty() {
                return;
            }
            let text = redact_keyless(engine, s.as_bytes(), &scan.findings);
            *s = String::from_utf8_lossy(&text).into_owned();
        }
        Value::Array(items) => {
            items.iter_mut().for_each(|v| redact_value(engine, v))
        }
        Value::Object(map) => redact_details(engine, map),
        _ => {}
    }
}

/// The last line of the log in `file` (at `path`), parsed, with its
/// bytes; `None` for an empty log.
fn last_entry(
    file: &mut File,
    path: &Path,
) -> Result<Option<(Line, Vec<u8>)>, AuditError> {
    let bytes = match last_line(file) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Ok(None),
        Err(e) => return Err(AuditError::new(path, e)),
    };
    let line: Line = serde_json::from_slice(&bytes).map_err(|_| {
        AuditError::new(path, "the last line is not an audit entry")
    })?;
    // N.B. No log reaches these numbers; a line that names them would
    // overflow `seq` or make the key derivation run for ever.
    if line.seq == u64::MAX || line.epoch > line.seq || line.epoch > MAX_EPOCHS
    {
        return Err(AuditError::new(
            path,
            "the last line names an impossible seq or epoch",
        ));
    }
    Ok(Some((line, bytes)))
}

/// The last line of `file` (without its line break), or `None` when it is
/// empty.
///
/// # Errors
///
/// When the file cannot be read, or does not end with a line break (a
/// torn write).
fn last_line(file: &mut File) -> std::io::Result<Option<Vec<u8>>> {
    let len = file.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok(None);
    }
    let start = len.saturating_sub(1 << 20);
    file.seek(SeekFrom::Start(start))?;
    let mut tail = Vec::new();
    file.read_to_end(&mut tail)?;
    if tail.last() != Some(&b'\n') {
        return Err(std::io::Error::other(
            "the last line is torn (no line break at the end)",
        ));
    }
    tail.pop();
    let from = memchr::memrchr(b'\n', &tail).map_or(0, |i| i + 1);
    if from == 0 && start > 0 {
        return Err(std::io::Error::other("the last line is over 1 MiB"));
    }
    Ok(Some(tail[from..].to_vec()))
}

/// What [`verify`] found wrong first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Break {
    /// A line is not an audit entry.
    Malformed {
        /// Its line number, from 0.
        line: u64,
    },
    /// An entry is missing, moved or changed: the chain breaks there.
    Chain {
        /// The entry's number.
        seq: u64,
    },
    /// A checkpoint does not match: the log was re-chained or written
    /// with another key.
    Checkpoint {
        /// The checkpoint's number.
        seq: u64,
    },
    /// Entries are not covered by a checkpoint: the log was cut, or its
    /// writer did not close it.
    Unsealed {
        /// The first entry not covered.
        seq: u64,
    },
    /// The head file names a checkpoint that the log no longer holds: the
    /// log was cut back.
    Truncated {
        /// The checkpoint's number.
        seq: u64,
    },
}

impl fmt::Display for Break {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Break::Malformed { line } => {
                write!(f, "line {line} is not an audit entry")
            }
            Break::Chain { seq } => write!(
                f,
                "the chain breaks at entry {seq}: it was changed, removed \
                 or moved"
            ),
            Break::Checkpoint { seq } => write!(
                f,
                "the checkpoint at entry {seq} does not verify: re-chained \
                 or another key"
            ),
            Break::Unsealed { seq } => write!(
                f,
                "entries from {seq} on are not sealed by a checkpoint: cut, \
                 or not closed"
            ),
            Break::Truncated { seq } => write!(
                f,
                "the head names a checkpoint at entry {seq} that the log no \
                 longer has"
            ),
        }
    }
}

/// What [`verify`] read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// Events read.
    pub events: u64,
    /// Checkpoints that verified.
    pub checkpoints: u64,
    /// The first break, when the log does not verify.
    pub broken: Option<Break>,
}

/// Verifies the log at `path` with the audit `key`, and against its head
/// file when `head` is given.
///
/// # Errors
///
/// When a file cannot be read; a log that does not verify is a
/// [`Verified`] with `broken` set.
pub fn verify(
    path: &Path,
    key: &[u8; 32],
    head: Option<&Path>,
) -> Result<Verified, AuditError> {
    let mut out = Verified { events: 0, checkpoints: 0, broken: None };
    let head = match head.map(|h| read_head(h, key)).transpose()? {
        Some(Err(b)) => {
            out.broken = Some(b);
            return Ok(out);
        }
        Some(Ok(h)) => Some(h),
        None => None,
    };
    let file = File::open(path).map_err(|e| AuditError::new(path, e))?;
    let mut chain = Chain::new(EpochKey::root(key));
    for (i, line) in BufReader::new(file).split(b'\n').enumerate() {
        let bytes = line.map_err(|e| AuditError::new(path, e))?;
        if let Err(b) = chain.step(i as u64, &bytes, &mut out) {
            out.broken = Some(b);
            return Ok(out);
        }
        if let Some((seq, line)) = &head
            && chain.next - 1 == *seq
            && bytes != *line
        {
            out.broken = Some(Break::Truncated { seq: *seq });
            return Ok(out);
        }
    }
    out.broken = chain.end(head.as_ref().map(|(seq, _)| *seq));
    Ok(out)
}

/// Where a verification stands.
struct Chain {
    /// The key of the epoch of the next line.
    key: EpochKey,
    /// The previous line, `None` before the first.
    prev: Option<Vec<u8>>,
    /// The `seq` the next line must carry.
    next: u64,
    /// Lines before this one are sealed by a checkpoint.
    sealed_to: u64,
    last_checkpoint: Option<u64>,
}

impl Chain {
    fn new(key: EpochKey) -> Chain {
        Chain { key, prev: None, next: 0, sealed_to: 0, last_checkpoint: None }
    }

    /// Checks one line: its number and epoch, its link to the previous
    /// line under its epoch's key, and its checkpoint's MAC.
    fn step(
        &mut self,
        line_no: u64,
        bytes: &[u8],
        out: &mut Verified,
    ) -> Result<(), Break> {
        let malformed = Break::Malformed { line: line_no };
        let l: Line =
            serde_json::from_slice(bytes).map_err(|_| malformed.clone())?;

        // A wrong number: entry `next` is missing or moved. A wrong link
        // with the right number: the entry before was changed.
        if l.seq != self.next {
            return Err(Break::Chain { seq: self.next });
        }
        // A line of another epoch is out of place like a missing one.
        let linked = l.epoch == self.key.epoch
            && match &self.prev {
                None => l.prev == GENESIS,
                Some(prev) => {
                    tag_ok(&self.key.mac, &link_message(prev), &l.prev)
                }
            };
        if !linked {
            return Err(Break::Chain { seq: self.next.saturating_sub(1) });
        }
        match (&l.event, &l.checkpoint) {
            (Some(_), None) => out.events += 1,
            (None, Some(mac)) => {
                let msg = checkpoint_message(l.seq, l.epoch, &l.prev);
                if !tag_ok(&self.key.mac, &msg, mac) {
                    return Err(Break::Checkpoint { seq: l.seq });
                }
                out.checkpoints += 1;
                self.sealed_to = l.seq + 1;
                self.last_checkpoint = Some(l.seq);
                self.key.advance();
            }
            _ => return Err(malformed),
        }
        self.prev = Some(bytes.to_vec());
        self.next += 1;
        Ok(())
    }

    /// What is wrong at the end: an unsealed tail, or a head past it.
    fn end(&self, head: Option<u64>) -> Option<Break> {
        if self.sealed_to < self.next {
            return Some(Break::Unsealed { seq: self.sealed_to });
        }
        match head {
            Some(seq) if self.last_checkpoint.is_none_or(|c| c < seq) => {
                Some(Break::Truncated { seq })
            }
            _ => None,
        }
    }
}

/// The head file: the checkpoint it names, and that line's bytes; a
/// [`Break::Checkpoint`] when its MAC is not made with `key`.
///
/// # Errors
///
/// When it cannot be read or is not a checkpoint line.
fn read_head(
    path: &Path,
    root: &[u8; 32],
) -> Result<Result<(u64, Vec<u8>), Break>, AuditError> {
    let bytes = std::fs::read(path).map_err(|e| AuditError::new(path, e))?;
    let line = bytes.trim_ascii_end().to_vec();
    let h: Line = serde_json::from_slice(&line)
        .map_err(|_| AuditError::new(path, "not an audit head file"))?;
    let Some(mac) = h.checkpoint.as_deref() else {
        return Err(AuditError::new(path, "not an audit head file"));
    };
    // N.B. The epoch is taken from the head and its key derived: a
    // forged epoch gives a key under which the MAC does not verify. An
    // epoch past any real log's is refused before the derivation, which
    // is linear in it.
    if h.epoch > h.seq || h.epoch > MAX_EPOCHS {
        return Ok(Err(Break::Checkpoint { seq: h.seq }));
    }
    let key = EpochKey::derive(root, h.epoch);
    if !tag_ok(&key.mac, &checkpoint_message(h.seq, h.epoch, &h.prev), mac) {
        return Ok(Err(Break::Checkpoint { seq: h.seq }));
    }
    Ok(Ok((h.seq, line)))
}

/// Reads the events of a log in order, skipping checkpoints. It does not
/// verify the chain: [`verify`] does.
///
/// # Errors
///
/// When the file cannot be read or a line is not an audit entry.
pub fn read_events(
    path: &Path,
) -> Result<impl Iterator<Item = Result<Event, AuditError>>, AuditError> {
    let file = File::open(path).map_err(|e| AuditError::new(path, e))?;
    let path = path.to_path_buf();
    Ok(BufReader::new(file).split(b'\n').filter_map(move |line| {
        let bytes = match line {
            Ok(b) => b,
            Err(e) => return Some(Err(AuditError::new(&path, e))),
        };
        match serde_json::from_slice::<Line>(&bytes) {
            Ok(l) => l.event.map(Ok),
            Err(_) => Some(Err(AuditError::new(
                &path,
                "a line is not an audit entry",
            ))),
        }
    }))
}
