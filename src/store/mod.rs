//! What the adapters keep: API key records and failed attempts, behind a
//! trait, with an embedded SQLite database by default ([`SqliteStore`]).
//!
//! Every method is one transaction: when it returns `Ok`, what it wrote is
//! on disk (SQLite's `synchronous = FULL` in WAL mode), so a process killed
//! at any point loses nothing that a caller was told had happened.
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
