//! The SQLite store under restarts, kills and concurrent writers.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use mailshield::auth::{ApiKeys, Reason};
use mailshield::store::{Lockout, SqliteStore, Store};

use crate::support::TempDir;

const PEPPER: [u8; 32] = [3; 32];
const T0: u64 = 1_780_000_000;

#[test]
fn keys_and_lockouts_survive_a_restart() {
    let dir = TempDir::new("store");
    let path = dir.join("restart.db");
    let key = {
        let keys = ApiKeys::new(SqliteStore::open(&path).unwrap(), &PEPPER);
        let key = keys.create("u1", &["scan".into()], T0).unwrap();
        let forged = format!("{}{}", &key[..20], "A".repeat(43));
        for i in 0..5 {
            keys.check(&forged, "x", T0 + i).unwrap();
        }
        key
    };
    let keys = ApiKeys::new(SqliteStore::open(&path).unwrap(), &PEPPER);
    assert!(keys.check(&key, "y", T0 + 10).unwrap().valid);
    let v = keys.check(&key, "x", T0 + 10).unwrap();
    assert_eq!(v.reason, Some(Reason::Locked));
}

#[test]
fn concurrent_failures_are_each_counted_once() {
    let dir = TempDir::new("store");
    let path = dir.join("concurrent.db");
    let store = Arc::new(SqliteStore::open(&path).unwrap());
    let policy = Lockout { limit: 1000, ..Lockout::default() };
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                for _ in 0..25 {
                    store.record_failure("k", "s", T0, &policy).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let last = store.record_failure("k", "s", T0, &policy).unwrap();
    assert_eq!(last.count, 101);
}

/// The child of the kill test: creates keys until killed, printing each
/// id once the store has acknowledged it.
#[test]
fn child_writer() {
    let Ok(path) = std::env::var("MAILSHIELD_STORE_CHILD") else { return };
    let keys = ApiKeys::new(SqliteStore::open(&path).unwrap(), &PEPPER);
    for i in 0.. {
        let key = keys.create(&format!("u{i}"), &[], T0).unwrap();
        println!("{key}");
    }
}

#[test]
fn a_process_killed_while_writing_loses_nothing_acknowledged() {
    let dir = TempDir::new("store");
    let path = dir.join("kill.db");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "store::child_writer", "--nocapture", "-q"])
        .env("MAILSHIELD_STORE_CHILD", &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut acknowledged = Vec::new();
    let out = BufReader::new(child.stdout.take().unwrap());
    for line in out.lines() {
        let line = line.unwrap();
        if line.starts_with("eb_") {
            acknowledged.push(line);
        }
        if acknowledged.len() == 40 {
            // SIGKILL, in the middle of the next write.
            child.kill().unwrap();
            break;
        }
    }
    child.wait().unwrap();
    let keys = ApiKeys::new(SqliteStore::open(&path).unwrap(), &PEPPER);
    for key in &acknowledged {
        assert!(keys.check(key, "a", T0 + 1).unwrap().valid, "lost {key}");
    }
}

// HOSTILE 124: workers racing for one request: exactly one takes it.
#[test]
fn one_of_many_racing_workers_takes_a_request() {
    use mailshield::store::{Decision, RequestRecord, RequestState};
    let dir = TempDir::new("store");
    let store = Arc::new(SqliteStore::open(dir.join("race.db")).unwrap());
    let verified =
        Decision { state: RequestState::Verified, at: T0, reason: None };
    let request = RequestRecord {
        id: "e1".into(),
        kind: "erasure".into(),
        subject: "alice@example.com".into(),
        channel: "unauthenticated".into(),
        state: RequestState::Verified,
        received_at: T0,
        history: vec![verified],
        outcome: None,
    };
    assert!(store.insert_request(&request).unwrap());
    assert!(!store.insert_request(&request).unwrap());
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let take = Decision {
                    state: RequestState::InProgress,
                    at: T0 + 1,
                    reason: None,
                };
                let from = [RequestState::Verified];
                let (_, changed) = store
                    .transition("e1", &from, &take, None)
                    .unwrap()
                    .unwrap();
                changed
            })
        })
        .collect();
    let won: usize =
        threads.into_iter().map(|t| usize::from(t.join().unwrap())).sum();
    assert_eq!(won, 1);
    let after = store.request("e1").unwrap().unwrap();
    assert_eq!(after.history.len(), 2);
}

// Regression: SQLite's NOCASE folds ASCII only, so an erasure of
// `ÉLODIE@example.com` left the key made for `élodie@example.com`.
#[test]
fn a_pseudonym_key_is_shredded_whatever_the_case_of_its_subject() {
    let store = SqliteStore::in_memory().unwrap();
    let key = store.pseudonym_key("élodie@example.com", &[1; 32]).unwrap();
    assert_eq!(key, [1; 32]);
    let again = store.pseudonym_key("ÉLODIE@example.com", &[2; 32]).unwrap();
    assert_eq!(again, [1; 32]);
    assert!(store.shred_pseudonym_key("ÉLODIE@Example.com").unwrap());
    assert!(!store.shred_pseudonym_key("élodie@example.com").unwrap());
}

/// `COLLATE NOCASE` folds ASCII only: a subject written with other
/// capitals was another subject for processing records and requests, so
/// an erasure missed records and repeated requests escaped their limit.
#[test]
fn regression_subjects_differing_in_non_ascii_case_are_one_subject() {
    use mailshield::store::{ProcessingRecord, RequestRecord, RequestState};
    let store = SqliteStore::in_memory().unwrap();
    let processing = |subject: &str| ProcessingRecord {
        subject: subject.into(),
        purpose: "support".into(),
        legal_basis: "contract".into(),
        categories: vec!["contact details".into()],
        recipients: vec![],
        retention: "6 years".into(),
        source: None,
        recorded_at: T0,
    };
    store.record_processing(&processing("Élodie@Example.com")).unwrap();
    store.record_processing(&processing("élodie@example.com")).unwrap();
    let found = store.processing_of("ÉLODIE@EXAMPLE.COM").unwrap();
    let subjects: Vec<_> = found.iter().map(|r| r.subject.as_str()).collect();
    assert_eq!(subjects, ["Élodie@Example.com", "élodie@example.com"]);
    let moved = store
        .rename_subject("élodie@EXAMPLE.com", "elodie@example.org")
        .unwrap();
    assert_eq!(moved, 2);
    assert_eq!(store.remove_processing("ELODIE@example.org").unwrap(), 2);
    for (id, subject) in
        [("r1", "ÉLODIE@example.com"), ("r2", "élodie@example.com")]
    {
        let request = RequestRecord {
            id: id.into(),
            kind: "access".into(),
            subject: subject.into(),
            channel: "unauthenticated".into(),
            state: RequestState::PendingVerification,
            received_at: T0,
            history: vec![],
            outcome: None,
        };
        assert!(store.insert_request(&request).unwrap());
    }
    let ids: Vec<_> = store
        .requests_of("Élodie@example.com", T0)
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, ["r1", "r2"]);
}
