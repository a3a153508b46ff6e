//! What the adapters keep, behind a trait, with an embedded SQLite
//! database by default ([`SqliteStore`]): API key records and failed
//! attempts (auth); processing records, subject requests and their
//! decisions, queued Art. 19 notifications, backups and what was marked
//! beyond use in them (gdpr); the per-subject keys of audit pseudonyms.
//!
//! Every method is one transaction: when it returns `Ok`, what it wrote is
//! on disk (SQLite's `synchronous = FULL` in WAL mode), so a process killed
//! at any point loses nothing that a caller was told had happened. A
//! request changes state only from the states its caller names
//! ([`Store::transition`]), so two workers never both take it.
//!
//! Limitations: a shredded pseudonym key is deleted from the database,
//! but SQLite may keep the freed page (and its WAL copy) on disk until it
//! is reused or the file is vacuumed; `secure_delete` is turned on so the
//! page is zeroed when freed, the WAL is checkpointed at close. Copies of
//! the database file in backups keep the key until they expire.
//!

mod sqlite;

use std::fmt;

pub use sqlite::SqliteStore;

/// One API key as stored: never the secret, only its keyed hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRecord {
    /// The key id: 16 lower-case hex digits, random.
    pub id: String,
    /// HMAC-SHA256 of the secret under the server's pepper.
    pub secret_hash: [u8; 32],
    /// Who the key belongs to.
    pub user_id: String,
    /// What it may do, as the host application names it.
    pub permissions: Vec<String>,
    /// Unix seconds.
    pub created_at: u64,
    /// Unix seconds; the key is refused from this instant on.
    pub expires_at: u64,
    /// Revoked keys are refused.
    pub revoked: bool,
    /// Unix seconds of the last accepted use.
    pub last_used: Option<u64>,
    /// Accepted uses.
    pub usage_count: u64,
}

/// One processing activity about a data subject (GDPR Art. 30), what an
/// access request reports (Art. 15(1)).
#[derive(
    Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize,
)]
pub struct ProcessingRecord {
    /// The subject, by an identifier (an address).
    pub subject: String,
    /// Why the data is processed.
    pub purpose: String,
    /// The legal basis (Art. 6), as the controller words it.
    pub legal_basis: String,
    /// Categories of personal data (`contact details`, ...).
    pub categories: Vec<String>,
    /// Recipients, third countries included.
    pub recipients: Vec<String>,
    /// How long it is kept, or the criteria.
    pub retention: String,
    /// Where the data came from, when not from the subject.
    pub source: Option<String>,
    /// Unix seconds.
    pub recorded_at: u64,
}

/// An error of the store. It names the operation and the cause, never a
/// secret.
#[derive(Debug)]
pub struct StoreError {
    what: &'static str,
    cause: String,
}

impl StoreError {
    pub(crate) fn new(what: &'static str, cause: impl fmt::Display) -> Self {
        StoreError { what, cause: cause.to_string() }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "store: cannot {}: {}", self.what, self.cause)
    }
}

impl std::error::Error for StoreError {}

/// Where a subject request stands.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum RequestState {
    /// Received; the requester's identity is not confirmed yet, so
    /// nothing is released (Art. 12(6)).
    PendingVerification,
    /// The requester is the subject; the request may be answered.
    Verified,
    /// Being answered by one worker.
    InProgress,
    /// Answered; its outcome is kept.
    Completed,
    /// Refused, with a reason (Art. 12(5)).
    Refused,
}

/// One data subject request, with every decision taken on it.
///
/// Its `Debug` form leaves out the subject, the channel (which names the
/// authenticated user) and the outcome (message ids, recipients): it
/// shows the id, kind, state, time and decisions only.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RequestRecord {
    /// The host's id of the request.
    pub id: String,
    /// `access`, `portability`, `erasure` or `rectification`.
    pub kind: String,
    /// The subject, by an address.
    pub subject: String,
    /// Where it came from: `unauthenticated`, or the authenticated user.
    pub channel: String,
    /// Where it stands now.
    pub state: RequestState,
    /// Unix seconds.
    pub received_at: u64,
    /// Each state taken, with its Unix time and a reason, oldest first.
    pub history: Vec<Decision>,
    /// What the answer was, once completed (JSON).
    pub outcome: Option<serde_json::Value>,
}

impl fmt::Debug for RequestRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestRecord")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("state", &self.state)
            .field("received_at", &self.received_at)
            .field("history", &self.history)
            .field("outcome", &self.outcome.is_some())
            .finish_non_exhaustive()
    }
}

/// One decision on a request.
#[derive(
    Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize,
)]
pub struct Decision {
    /// The state taken.
    pub state: RequestState,
    /// Unix seconds.
    pub at: u64,
    /// Why, in words for the subject (never data).
    pub reason: Option<String>,
}

/// A notification to a recipient of a subject's data (Art. 19), queued
/// for the host to send.
#[derive(
    Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize,
)]
pub struct Notification {
    /// The request it follows.
    pub request: String,
    /// Who is told.
    pub recipient: String,
    /// `erasure` or `rectification`.
    pub kind: String,
    /// Unix seconds.
    pub queued_at: u64,
}

/// A backup the controller keeps, until it expires.
#[derive(
    Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize,
)]
pub struct Backup {
    /// The host's name of it.
    pub id: String,
    /// Unix seconds; it is destroyed then.
    pub expires_at: u64,
}

/// A subject's data in a backup, put beyond use until the backup expires:
/// never restored, never read for another purpose.
#[derive(
    Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize,
)]
pub struct BeyondUse {
    /// The backup.
    pub backup: String,
    /// The request that marked it.
    pub request: String,
    /// Unix seconds.
    pub marked_at: u64,
    /// Unix seconds: the backup's expiry.
    pub expires_at: u64,
}

/// Keys and failed attempts. Implementations are shared between threads
/// and make each method atomic.
pub trait Store: Send + Sync {
    /// Adds a new key.
    ///
    /// # Errors
    ///
    /// When a key with that id exists, or the store cannot be written.
    fn insert_key(&self, key: &KeyRecord) -> Result<(), StoreError>;

    /// The key with this id, if any.
    ///
    /// # Errors
    ///
    /// When the store cannot be read.
    fn key(&self, id: &str) -> Result<Option<KeyRecord>, StoreError>;

    /// Marks a key revoked; false when there is no such key.
    ///
    /// # Errors
    ///
    /// When the store cannot be written.
    fn revoke(&self, id: &str) -> Result<bool, StoreError>;

    /// Counts one accepted use at `now`.
    ///
    /// # Errors
    ///
    /// When the store cannot be written.
    fn record_use(&self, id: &str, now: u64) -> Result<(), StoreError>;

    /// Records one failed attempt on key `id` from `source` at `now`, in
    /// one transaction with its cause and consequence: an attempt while
    /// the pair is locked is not counted and does not extend the lock;
    /// otherwise, when `policy.limit` failures from that source fall in
    /// `(now - policy.window, now]`, this one included, the pair is locked
    /// until `now + policy.lock_for`. Concurrent failures are each counted
    /// once.
    ///
    /// # Errors
    ///
    /// When the store cannot be written.
    fn record_failure(
        &self,
        id: &str,
        source: &str,
        now: u64,
        policy: &Lockout,
    ) -> Result<Failure, StoreError>;

    /// Adds a processing record.
    ///
    /// # Errors
    ///
    /// When the store cannot be written.
    fn record_processing(
        &self,
        record: &ProcessingRecord,
    ) -> Result<(), StoreError>;

    /// The processing records of `subject` (compared case-insensitively),
    /// oldest first.
    ///
    /// # Errors
    ///
    /// When the store cannot be read.
    fn processing_of(
        &self,
        subject: &str,
    ) -> Result<Vec<ProcessingRecord>, StoreError>;

    /// Removes the processing records of `subject` (erasure); returns how
    /// many were removed.
    ///
    /// # Errors
    ///
    /// When the store cannot be written.
    fn remove_processing(&self, subject: &str) -> Result<u64, StoreError>;

    /// Moves the processing records of `old` to `new` (rectification);
    /// returns how many moved.
    ///
    /// # Errors
    ///
    /// When the store cannot be written.
    fn rename_subject(&self, old: &str, new: &str) -> Result<u64, StoreError>;

    /// Adds a request; false when one with its id exists (nothing is
    /// changed then).
    ///
    /// # Errors
    ///
    /// When the store cannot be written.
    fn insert_request(&self, r: &RequestRecord) -> Result<bool, StoreError>;

    /// The request with this id.
    ///
    /// # Errors
    ///
    /// When the store cannot be read.
    fn request(&self, id: &str) -> Result<Option<RequestRecord>, StoreError>;

    /// The requests of `subject` (compared case-insensitively) received at
    /// or after `since`, oldest first.
    ///
    /// # Errors
    ///
    /// When the store cannot be read.
    fn requests_of(
        &self,
        subject: &str,
        since: u64,
    ) -> Result<Vec<RequestRecord>, StoreError>;

    /// Moves request `id` to `decision.state` when it is in one of
    /// `from`, in one transaction, appending the decision to its history
    /// and setting `outcome` when one is given. Returns the request as it
    /// is afterwards and whether this call changed it (`None`: no such
    /// request).
    ///
    /// # Errors
    ///
    /// When the store cannot be written.
    fn transition(
        &self,
        id: &str,
        from: &[RequestState],
        decision: &Decision,
        outcome: Option<&serde_json::Value>,
    ) -> Result<Option<(RequestRecord, bool)>, StoreError>;

    /// Queues a notification.
    ///
    /// # Errors
    ///
    /// When the store cannot be written.
    fn queue_notification(&self, n: &Notification) -> Result<(), StoreError>;

    /// The notifications queued, oldest first.
    ///
    /// # Errors
    ///
    /// When the store cannot be read.
    fn notifications(&self) -> Result<Vec<Notification>, StoreError>;

    /// Adds a backup, or replaces the one with its id.
    ///
    /// # Errors
    ///
    /// When the store cannot be written.
    fn add_backup(&self, b: &Backup) -> Result<(), StoreError>;

    /// Marks the subject's data in every backup not expired at `now`
    /// beyond use, for `request`; returns the marks made.
    ///
    /// # Errors
    ///
    /// When the store cannot be written.
    fn mark_beyond_use(
        &self,
        subject: &str,
        request: &str,
        now: u64,
    ) -> Result<Vec<BeyondUse>, StoreError>;

    /// The key of `subject`'s audit pseudonym (compared
    /// case-insensitively), set to `fresh` when there is none. After a
    /// shred this makes a new key, so later pseudonyms do not link to the
    /// earlier ones.
    ///
    /// # Errors
    ///
    /// When the store cannot be written.
    fn pseudonym_key(
        &self,
        subject: &str,
        fresh: &[u8; 32],
    ) -> Result<[u8; 32], StoreError>;

    /// Destroys `subject`'s pseudonym key (crypto-shredding); false when
    /// there was none.
    ///
    /// # Errors
    ///
    /// When the store cannot be written.
    fn shred_pseudonym_key(&self, subject: &str) -> Result<bool, StoreError>;

    /// Until when key `id` is locked for `source`, if it is at `now`.
    ///
    /// # Errors
    ///
    /// When the store cannot be read.
    fn locked_until(
        &self,
        id: &str,
        source: &str,
        now: u64,
    ) -> Result<Option<u64>, StoreError>;
}

/// When failed attempts lock a key for one source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lockout {
    /// Failures that lock (5).
    pub limit: u64,
    /// Over how many seconds they are counted (15 minutes).
    pub window: u64,
    /// How long the lock lasts, from the failure that set it (15
    /// minutes).
    pub lock_for: u64,
}

impl Default for Lockout {
    fn default() -> Lockout {
        Lockout { limit: 5, window: 15 * 60, lock_for: 15 * 60 }
    }
}

/// What recording a failure found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Failure {
    /// Failures from the source inside the window, this one included (0
    /// when it was locked already).
    pub count: u64,
    /// Set when this failure locked the pair, or it was locked already.
    pub locked_until: Option<u64>,
    /// The pair was locked before this attempt: it was not counted.
    pub already_locked: bool,
}
