//! The default store: one SQLite file, through rusqlite's bundled SQLite.

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{
    Backup, BeyondUse, Decision, Failure, KeyRecord, Lockout, Notification,
    ProcessingRecord, RequestRecord, RequestState, Store, StoreError,
};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    secret_hash BLOB NOT NULL,
    user_id TEXT NOT NULL,
    permissions TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0,
    last_used INTEGER,
    usage_count INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS key_failures (
    key_id TEXT NOT NULL,
    source TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS key_failures_by_pair
    ON key_failures (key_id, source, at);
CREATE TABLE IF NOT EXISTS processing (
    subject TEXT NOT NULL COLLATE NOCASE,
    record TEXT NOT NULL,
    recorded_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS processing_by_subject
    ON processing (subject, recorded_at);
CREATE TABLE IF NOT EXISTS key_lockouts (
    key_id TEXT NOT NULL,
    source TEXT NOT NULL,
    until INTEGER NOT NULL,
    PRIMARY KEY (key_id, source)
);
CREATE TABLE IF NOT EXISTS requests (
    id TEXT PRIMARY KEY,
    subject TEXT NOT NULL COLLATE NOCASE,
    received_at INTEGER NOT NULL,
    record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS requests_by_subject
    ON requests (subject, received_at);
CREATE TABLE IF NOT EXISTS notifications (
    record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS backups (
    id TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS beyond_use (
    backup TEXT NOT NULL,
    subject TEXT NOT NULL COLLATE NOCASE,
    record TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pseudonym_keys (
    subject TEXT PRIMARY KEY COLLATE NOCASE,
    key BLOB NOT NULL
);
";

/// Keys and failures in one SQLite database file, shared by the threads
/// of a process through one connection, and by processes through
/// SQLite's own locking.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, in WAL mode
    /// with full syncs.
    ///
    /// # Errors
    ///
    /// When the file cannot be opened or is not a mailshield store.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let conn = Connection::open(path.as_ref())
            .map_err(|e| StoreError::new("open the database", e))?;
        SqliteStore::setup(conn)
    }

    /// A store in memory, for tests and one-shot runs.
    ///
    /// # Errors
    ///
    /// When SQLite cannot start.
    pub fn in_memory() -> Result<SqliteStore, StoreError> {
        let conn = Connection::open_in_memory()
            .map_err(|e| StoreError::new("open the database", e))?;
        SqliteStore::setup(conn)
    }

    fn setup(conn: Connection) -> Result<SqliteStore, StoreError> {
        let fail = |e| StoreError::new("set up the database", e);
        conn.pragma_update(None, "journal_mode", "WAL").map_err(fail)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(fail)?;
        // Freed pages (a shredded key) are zeroed, not left readable.
        conn.pragma_update(None, "secure_delete", "ON").map_err(fail)?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(fail)?;
        conn.execute_batch(SCHEMA).map_err(fail)?;
        Ok(SqliteStore { conn: Mutex::new(conn) })
    }

    /// The connection; a thread that panicked while holding it left no
    /// half transaction (SQLite rolls it back), so the lock is taken
    /// back.
    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn to_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// A JSON column read back; a damaged one is an error naming `what`.
fn from_json<T: serde::de::DeserializeOwned>(
    text: &str,
    what: &'static str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|_| StoreError::new(what, "damaged"))
}

/// Every row of `sql` (one text column of JSON) under `args`, decoded.
fn json_rows<T: serde::de::DeserializeOwned>(
    conn: &Connection,
    what: &'static str,
    sql: &str,
    args: impl rusqlite::Params,
) -> Result<Vec<T>, StoreError> {
    let fail = |e| StoreError::new(what, e);
    let mut stmt = conn.prepare(sql).map_err(fail)?;
    let rows =
        stmt.query_map(args, |r| r.get::<_, String>(0)).map_err(fail)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(from_json(&row.map_err(fail)?, what)?);
    }
    Ok(out)
}

fn to_json<T: serde::Serialize>(
    v: &T,
    what: &'static str,
) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::new(what, e))
}

impl Store for SqliteStore {
    fn insert_key(&self, key: &KeyRecord) -> Result<(), StoreError> {
        let permissions = serde_json::to_string(&key.permissions)
            .map_err(|e| StoreError::new("insert a key", e))?;
        self.conn()
            .execute(
                "INSERT INTO api_keys (id, secret_hash, user_id, permissions,
                 created_at, expires_at, revoked, last_used, usage_count)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    key.id,
                    key.secret_hash.as_slice(),
                    key.user_id,
                    permissions,
                    to_i64(key.created_at),
                    to_i64(key.expires_at),
                    key.revoked,
                    key.last_used.map(to_i64),
                    to_i64(key.usage_count),
                ],
            )
            .map_err(|e| StoreError::new("insert a key", e))?;
        Ok(())
    }

    fn key(&self, id: &str) -> Result<Option<KeyRecord>, StoreError> {
        let fail = |e| StoreError::new("read a key", e);
        let row = self
            .conn()
            .query_row(
                "SELECT secret_hash, user_id, permissions, created_at,
                 expires_at, revoked, last_used, usage_count
                 FROM api_keys WHERE id = ?1",
                params![id],
                |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, bool>(5)?,
                        r.get::<_, Option<i64>>(6)?,
                        r.get::<_, i64>(7)?,
                    ))
                },
            )
            .optional()
            .map_err(fail)?;
        let Some((hash, user, perms, created, expires, revoked, used, n)) =
            row
        else {
            return Ok(None);
        };
        let secret_hash = <[u8; 32]>::try_from(hash.as_slice())
            .map_err(|_| StoreError::new("read a key", "damaged key hash"))?;
        let permissions = serde_json::from_str(&perms).map_err(|_| {
            StoreError::new("read a key", "damaged permissions")
        })?;
        Ok(Some(KeyRecord {
            id: id.to_string(),
            secret_hash,
            user_id: user,
            permissions,
            created_at: to_u64(created),
            expires_at: to_u64(expires),
            revoked,
            last_used: used.map(to_u64),
            usage_count: to_u64(n),
        }))
    }

    fn revoke(&self, id: &str) -> Result<bool, StoreError> {
        let n = self
            .conn()
            .execute(
                "UPDATE api_keys SET revoked = 1 WHERE id = ?1",
                params![id],
            )
            .map_err(|e| StoreError::new("revoke a key", e))?;
        Ok(n > 0)
    }

    fn record_use(&self, id: &str, now: u64) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "UPDATE api_keys SET usage_count = usage_count + 1,
                 last_used = ?2 WHERE id = ?1",
                params![id, to_i64(now)],
            )
            .map_err(|e| StoreError::new("count a key's use", e))?;
        Ok(())
    }

    fn record_failure(
        &self,
        id: &str,
        source: &str,
        now: u64,
        policy: &Lockout,
    ) -> Result<Failure, StoreError> {
        let fail = |e| StoreError::new("record a failed attempt", e);
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        let since = to_i64(now) - to_i64(policy.window);

        // A locked pair takes no more failures.
        let until: Option<i64> = tx
            .query_row(
                "SELECT until FROM key_lockouts WHERE key_id = ?1
                 AND source = ?2 AND until > ?3",
                params![id, source, to_i64(now)],
                |r| r.get(0),
            )
            .optional()
            .map_err(fail)?;
        if let Some(until) = until {
            tx.commit().map_err(fail)?;
            return Ok(Failure {
                count: 0,
                locked_until: Some(to_u64(until)),
                already_locked: true,
            });
        }

        // The failure, then the count it makes, then the lock it sets.
        tx.execute(
            "INSERT INTO key_failures (key_id, source, at)
             VALUES (?1, ?2, ?3)",
            params![id, source, to_i64(now)],
        )
        .map_err(fail)?;
        // Failures past the window count for no one: every source's go.
        tx.execute(
            "DELETE FROM key_failures WHERE key_id = ?1 AND at <= ?2",
            params![id, since],
        )
        .map_err(fail)?;
        let count: i64 = tx
            .query_row(
                "SELECT COUNT(*) FROM key_failures WHERE key_id = ?1
                 AND source = ?2 AND at > ?3",
                params![id, source, since],
                |r| r.get(0),
            )
            .map_err(fail)?;
        let count = to_u64(count);
        let locked_until =
            (count >= policy.limit).then(|| now + policy.lock_for);
        if let Some(until) = locked_until {
            tx.execute(
                "INSERT INTO key_lockouts (key_id, source, until)
                 VALUES (?1, ?2, ?3) ON CONFLICT (key_id, source)
                 DO UPDATE SET until = excluded.until",
                params![id, source, to_i64(until)],
            )
            .map_err(fail)?;
        }
        tx.commit().map_err(fail)?;
        Ok(Failure { count, locked_until, already_locked: false })
    }

    fn record_processing(
        &self,
        record: &ProcessingRecord,
    ) -> Result<(), StoreError> {
        let fail = |e| StoreError::new("record processing", e);
        let json = serde_json::to_string(record).map_err(fail)?;
        self.conn()
            .execute(
                "INSERT INTO processing (subject, record, recorded_at)
                 VALUES (?1, ?2, ?3)",
                params![
                    folded(&record.subject),
                    json,
                    to_i64(record.recorded_at)
                ],
            )
            .map_err(|e| StoreError::new("record processing", e))?;
        Ok(())
    }

    fn processing_of(
        &self,
        subject: &str,
    ) -> Result<Vec<ProcessingRecord>, StoreError> {
        let fail = |e| StoreError::new("read processing records", e);
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT record FROM processing WHERE subject = ?1
                 ORDER BY recorded_at, rowid",
            )
            .map_err(fail)?;
        let rows = stmt
            .query_map(params![folded(subject)], |r| r.get::<_, String>(0))
            .map_err(fail)?;
        let mut out = Vec::new();
        for row in rows {
            let text = row.map_err(fail)?;
            let record = serde_json::from_str(&text).map_err(|_| {
                StoreError::new("read processing records", "damaged record")
            })?;
            out.push(record);
        }
        Ok(out)
    }

    fn remove_processing(&self, subject: &str) -> Result<u64, StoreError> {
        let n = self
            .conn()
            .execute(
                "DELETE FROM processing WHERE subject = ?1",
                params![folded(subject)],
            )
            .map_err(|e| StoreError::new("remove processing records", e))?;
        Ok(n as u64)
    }

    fn rename_subject(&self, old: &str, new: &str) -> Result<u64, StoreError> {
        const WHAT: &str = "move processing records";
        let fail = |e| StoreError::new(WHAT, e);
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        let rows: Vec<(i64, ProcessingRecord)> = {
            let mut stmt = tx
                .prepare(
                    "SELECT rowid, record FROM processing WHERE subject = ?1",
                )
                .map_err(fail)?;
            let rows = stmt
                .query_map(params![folded(old)], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
                })
                .map_err(fail)?;
            let mut out = Vec::new();
            for row in rows {
                let (id, text) = row.map_err(fail)?;
                out.push((id, from_json(&text, WHAT)?));
            }
            out
        };
        for (rowid, mut record) in rows.iter().cloned() {
            record.subject = new.to_string();
            tx.execute(
                "UPDATE processing SET subject = ?2, record = ?3
                 WHERE rowid = ?1",
                params![rowid, folded(new), to_json(&record, WHAT)?],
            )
            .map_err(fail)?;
        }
        tx.commit().map_err(fail)?;
        Ok(rows.len() as u64)
    }

    fn insert_request(&self, r: &RequestRecord) -> Result<bool, StoreError> {
        const WHAT: &str = "add a request";
        let n = self
            .conn()
            .execute(
                "INSERT INTO requests (id, subject, received_at, record)
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (id) DO NOTHING",
                params![
                    r.id,
                    folded(&r.subject),
                    to_i64(r.received_at),
                    to_json(r, WHAT)?
                ],
            )
            .map_err(|e| StoreError::new(WHAT, e))?;
        Ok(n == 1)
    }

    fn request(&self, id: &str) -> Result<Option<RequestRecord>, StoreError> {
        let conn = self.conn();
        let mut found: Vec<RequestRecord> = json_rows(
            &conn,
            "read a request",
            "SELECT record FROM requests WHERE id = ?1",
            params![id],
        )?;
        Ok(found.pop())
    }

    fn requests_of(
        &self,
        subject: &str,
        since: u64,
    ) -> Result<Vec<RequestRecord>, StoreError> {
        json_rows(
            &self.conn(),
            "read requests",
            "SELECT record FROM requests WHERE subject = ?1
             AND received_at >= ?2 ORDER BY received_at, rowid",
            params![folded(subject), to_i64(since)],
        )
    }

    fn transition(
        &self,
        id: &str,
        from: &[RequestState],
        decision: &Decision,
        outcome: Option<&serde_json::Value>,
    ) -> Result<Option<(RequestRecord, bool)>, StoreError> {
        const WHAT: &str = "change a request";
        let fail = |e| StoreError::new(WHAT, e);
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        let text: Option<String> = tx
            .query_row(
                "SELECT record FROM requests WHERE id = ?1",
                params![id],
                |r| r.get(0),
            )
            .optional()
            .map_err(fail)?;
        let Some(text) = text else { return Ok(None) };
        let mut record: RequestRecord = from_json(&text, WHAT)?;

        // Only from the states named: else the request is left as it is.
        let change = from.contains(&record.state);
        if change {
            record.state = decision.state;
            record.history.push(decision.clone());
            if let Some(o) = outcome {
                record.outcome = Some(o.clone());
            }
            tx.execute(
                "UPDATE requests SET record = ?2 WHERE id = ?1",
                params![id, to_json(&record, WHAT)?],
            )
            .map_err(fail)?;
        }
        tx.commit().map_err(fail)?;
        Ok(Some((record, change)))
    }

    fn queue_notification(&self, n: &Notification) -> Result<(), StoreError> {
        const WHAT: &str = "queue a notification";
        self.conn()
            .execute(
                "INSERT INTO notifications (record) VALUES (?1)",
                params![to_json(n, WHAT)?],
            )
            .map_err(|e| StoreError::new(WHAT, e))?;
        Ok(())
    }

    fn notifications(&self) -> Result<Vec<Notification>, StoreError> {
        json_rows(
            &self.conn(),
            "read notifications",
            "SELECT record FROM notifications ORDER BY rowid",
            [],
        )
    }

    fn add_backup(&self, b: &Backup) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO backups (id, expires_at) VALUES (?1, ?2)
                 ON CONFLICT (id)
                 DO UPDATE SET expires_at = excluded.expires_at",
                params![b.id, to_i64(b.expires_at)],
            )
            .map_err(|e| StoreError::new("add a backup", e))?;
        Ok(())
    }

    fn mark_beyond_use(
        &self,
        subject: &str,
        request: &str,
        now: u64,
    ) -> Result<Vec<BeyondUse>, StoreError> {
        const WHAT: &str = "mark backups beyond use";
        let fail = |e| StoreError::new(WHAT, e);
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        let backups: Vec<(String, i64)> = {
            let mut stmt = tx
                .prepare(
                    "SELECT id, expires_at FROM backups WHERE expires_at > ?1
                     ORDER BY expires_at, id",
                )
                .map_err(fail)?;
            let rows = stmt
                .query_map(params![to_i64(now)], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .map_err(fail)?;
            rows.collect::<Result<_, _>>().map_err(fail)?
        };
        let mut marks = Vec::new();
        for (backup, expires_at) in backups {
            let mark = BeyondUse {
                backup,
                request: request.to_string(),
                marked_at: now,
                expires_at: to_u64(expires_at),
            };
            tx.execute(
                "INSERT INTO beyond_use (backup, subject, record)
                 VALUES (?1, ?2, ?3)",
                params![mark.backup, folded(subject), to_json(&mark, WHAT)?],
            )
            .map_err(fail)?;
            marks.push(mark);
        }
        tx.commit().map_err(fail)?;
        Ok(marks)
    }

    fn pseudonym_key(
        &self,
        subject: &str,
        fresh: &[u8; 32],
    ) -> Result<[u8; 32], StoreError> {
        const WHAT: &str = "read a pseudonym key";
        let fail = |e| StoreError::new(WHAT, e);
        let subject = folded(subject);
        let conn = self.conn();
        conn.execute(
            "INSERT INTO pseudonym_keys (subject, key) VALUES (?1, ?2)
             ON CONFLICT (subject) DO NOTHING",
            params![subject, fresh.as_slice()],
        )
        .map_err(fail)?;
        let key: Vec<u8> = conn
            .query_row(
                "SELECT key FROM pseudonym_keys WHERE subject = ?1",
                params![subject],
                |r| r.get(0),
            )
            .map_err(fail)?;
        <[u8; 32]>::try_from(key.as_slice())
            .map_err(|_| StoreError::new(WHAT, "damaged key"))
    }

    fn shred_pseudonym_key(&self, subject: &str) -> Result<bool, StoreError> {
        // Folded as `pseudonym_key` folds it.
        let subject = folded(subject);
        let n = self
            .conn()
            .execute(
                "DELETE FROM pseudonym_keys WHERE subject = ?1",
                params![subject],
            )
            .map_err(|e| StoreError::new("shred a pseudonym key", e))?;
        Ok(n > 0)
    }

    fn locked_until(
        &self,
        id: &str,
        source: &str,
        now: u64,
    ) -> Result<Option<u64>, StoreError> {
        let until: Option<i64> = self
            .conn()
            .query_row(
                "SELECT until FROM key_lockouts WHERE key_id = ?1
                 AND source = ?2",
                params![id, source],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| StoreError::new("read a lockout", e))?;
        Ok(until.map(to_u64).filter(|&u| u > now))
    }
}

/// A subject as its column holds it: lower case in full. N.B. the
/// columns' `COLLATE NOCASE` folds ASCII letters only, so every subject
/// is folded here before it is written or compared, or `ÉLODIE@` and
/// `élodie@` would be two subjects (a way around the limit on repeated
/// requests, and records an erasure would miss).
fn folded(subject: &str) -> String {
    subject.to_lowercase()
}
#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> KeyRecord {
        KeyRecord {
            id: id.into(),
            secret_hash: [7; 32],
            user_id: "u1".into(),
            permissions: vec!["read".into(), "scan".into()],
            created_at: 100,
            expires_at: 200,
            revoked: false,
            last_used: None,
            usage_count: 0,
        }
    }

    #[test]
    fn keys_round_trip_and_count_uses() {
        let s = SqliteStore::in_memory().unwrap();
        s.insert_key(&record("00112233aabbccdd")).unwrap();
        assert!(s.insert_key(&record("00112233aabbccdd")).is_err());
        s.record_use("00112233aabbccdd", 150).unwrap();
        s.record_use("00112233aabbccdd", 160).unwrap();
        let got = s.key("00112233aabbccdd").unwrap().unwrap();
        assert_eq!(
            got,
            KeyRecord {
                usage_count: 2,
                last_used: Some(160),
                ..record("00112233aabbccdd")
            }
        );
        assert!(s.revoke("00112233aabbccdd").unwrap());
        assert!(!s.revoke("ffffffffffffffff").unwrap());
        assert!(s.key("00112233aabbccdd").unwrap().unwrap().revoked);
        assert_eq!(s.key("ffffffffffffffff").unwrap(), None);
    }

    #[test]
    fn processing_records_come_back_per_subject_in_order() {
        let s = SqliteStore::in_memory().unwrap();
        let rec = |subject: &str, purpose: &str, at| ProcessingRecord {
            subject: subject.into(),
            purpose: purpose.into(),
            legal_basis: "contract".into(),
            categories: vec!["contact details".into()],
            recipients: vec!["payroll provider (EU)".into()],
            retention: "6 years after the contract ends".into(),
            source: None,
            recorded_at: at,
        };
        s.record_processing(&rec("alice@example.com", "billing", 20)).unwrap();
        s.record_processing(&rec("bob@example.com", "support", 10)).unwrap();
        s.record_processing(&rec("alice@example.com", "support", 10)).unwrap();
        let got = s.processing_of("Alice@Example.com").unwrap();
        let purposes: Vec<&str> =
            got.iter().map(|r| r.purpose.as_str()).collect();
        assert_eq!(purposes, ["support", "billing"]);
        assert_eq!(got[1], rec("alice@example.com", "billing", 20));
    }

    #[test]
    fn failures_count_per_source_inside_the_window() {
        let s = SqliteStore::in_memory().unwrap();
        let p = Lockout::default();
        for (i, t) in [0, 60, 120, 180].into_iter().enumerate() {
            let f = s.record_failure("k", "a", t, &p).unwrap();
            let want = Failure {
                count: i as u64 + 1,
                locked_until: None,
                already_locked: false,
            };
            assert_eq!(f, want);
        }
        // Another source has its own count.
        let f = s.record_failure("k", "b", 200, &p).unwrap();
        assert_eq!(f.count, 1);
        // The fifth from `a` locks `a` for 15 minutes, not `b`.
        let f = s.record_failure("k", "a", 240, &p).unwrap();
        let want = Failure {
            count: 5,
            locked_until: Some(240 + 900),
            already_locked: false,
        };
        assert_eq!(f, want);
        // While locked: not counted, not extended.
        let f = s.record_failure("k", "a", 300, &p).unwrap();
        assert_eq!((f.count, f.already_locked), (0, true));
        assert_eq!(f.locked_until, Some(1140));
        assert_eq!(s.locked_until("k", "a", 241).unwrap(), Some(1140));
        assert_eq!(s.locked_until("k", "a", 1140).unwrap(), None);
        assert_eq!(s.locked_until("k", "b", 241).unwrap(), None);
        // After the lock, failures older than the window no longer count.
        let f = s.record_failure("k", "a", 1141, &p).unwrap();
        assert_eq!((f.count, f.already_locked), (1, false));
    }
}
