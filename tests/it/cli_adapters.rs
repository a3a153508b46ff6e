//! The adapters' commands that reach the library's requests, chunked
//! exports and pseudonyms: `gdpr receive|verify|status|backup|
//! notifications`, `gdpr access|erase|rectify --request`, `gdpr export
//! --dir`, `audit log|report --pseudonymize`. Each case checks the exact
//! stdout, with the times of the run (Unix seconds) set to 0 once they
//! are checked to fall within it.

use std::path::Path;
use std::process::{Command, Output};

use mailshield::crypto::{format_rfc3339, unix_now};
use mailshield::gdpr::deadline::deadline;
use serde_json::{Value, json};

use crate::support::TempDir;

const EXCESSIVE: &str = mailshield::gdpr::requests::EXCESSIVE;

/// `mailshield` run in `dir` (so paths in outputs are relative), without
/// a key or store from the environment.
fn run(dir: &TempDir, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailshield"))
        .current_dir(&dir.0)
        .env_remove("MAILSHIELD_KEY")
        .env_remove("MAILSHIELD_STORE")
        .args(args)
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Each stdout line as JSON, times of the run set to 0.
fn json_lines(out: &Output, since: u64) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let mut v: Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            zero_times(&mut v, since);
            v
        })
        .collect()
}

/// The one JSON document on stdout, times set to 0.
fn json_doc(out: &Output, since: u64) -> Value {
    let mut lines = json_lines(out, since);
    assert_eq!(lines.len(), 1, "{}", String::from_utf8_lossy(&out.stdout));
    lines.remove(0)
}

/// Sets every time of the run to 0, after checking it is one.
fn zero_times(v: &mut Value, since: u64) {
    const TIMES: [&str; 4] = ["at", "received_at", "queued_at", "marked_at"];
    match v {
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                if TIMES.contains(&k.as_str()) {
                    let t = x.as_u64().unwrap();
                    assert!(since <= t && t <= unix_now(), "{k}: {t}");
                    *x = json!(0);
                } else {
                    zero_times(x, since);
                }
            }
        }
        Value::Array(items) => {
            items.iter_mut().for_each(|x| zero_times(x, since));
        }
        _ => {}
    }
}

/// The deadline of a request received today.
fn today_deadline() -> Value {
    let received = format_rfc3339(unix_now())[..10].parse().unwrap();
    serde_json::to_value(deadline(received, None)).unwrap()
}

const MBOX: &str = "From x Thu Dec  3 10:00:00 2026\n\
    From: alice@example.com\nMessage-ID: <a1@example.com>\n\n\
    Hi, alice@example.com here.\n\n\
    From x Thu Dec  3 10:00:00 2026\nFrom: bob@example.com\n\
    Message-ID: <a2@example.com>\n\nCc alice@example.com, held.\n\n\
    From x Thu Dec  3 10:00:00 2026\nFrom: carol@example.com\n\
    Message-ID: <a3@example.com>\n\nNothing of hers.\n";

/// A directory with `a.mbox` and a store holding a processing record of
/// alice with one recipient.
fn setup(tag: &str) -> TempDir {
    let dir = TempDir::new(tag);
    std::fs::write(dir.join("a.mbox"), MBOX).unwrap();
    let out = run(
        &dir,
        &[
            "gdpr",
            "record",
            "--store",
            "s.db",
            "--subject",
            "alice@example.com",
            "--purpose",
            "billing",
            "--basis",
            "contract",
            "--recipient",
            "payroll provider (EU)",
            "--retention",
            "6 years",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    dir
}

/// The record of a request as `receive`, `verify` and `status` print it.
fn record(id: &str, kind: &str, channel: &str, history: Value) -> Value {
    let state = history.as_array().unwrap().last().unwrap()["state"].clone();
    json!({
        "id": id,
        "kind": kind,
        "subject": "alice@example.com",
        "channel": channel,
        "state": state,
        "received_at": 0,
        "history": history,
        "outcome": null,
        "deadline": today_deadline(),
    })
}

fn decision(state: &str, reason: &str) -> Value {
    json!({"state": state, "at": 0, "reason": reason})
}

const PENDING: &str = "identity not verified: nothing is released until it is";

#[test]
fn gdpr_erasure_request_from_receipt_to_answer() {
    let dir = setup("cli-req-erase");
    let since = unix_now();
    let s = ["--store", "s.db"];
    let backup = run(
        &dir,
        &["gdpr", "backup", s[0], s[1], "b1", "--expires", "2099-01-01"],
    );
    assert_eq!(backup.status.code(), Some(0), "{}", stderr(&backup));
    assert_eq!(
        json_doc(&backup, since),
        json!({"id": "b1", "expires_at": 4_070_908_800u64})
    );

    // Received by mail: pending, and nothing is erased before it is
    // verified.
    let receive = [
        "gdpr",
        "receive",
        s[0],
        s[1],
        "r1",
        "--kind",
        "erasure",
        "--subject",
        "alice@example.com",
    ];
    let out = run(&dir, &receive);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let pending = json!([decision("pending_verification", PENDING)]);
    let expected = record("r1", "erasure", "unauthenticated", pending);
    assert_eq!(json_doc(&out, since), expected);
    std::fs::write(dir.join("hold.tsv"), "a2@example.com\tcourt order 12\n")
        .unwrap();
    let erase = [
        "gdpr",
        "erase",
        s[0],
        s[1],
        "--request",
        "r1",
        "--hold",
        "hold.tsv",
        "--out",
        "e.mbox",
        "a.mbox",
    ];
    let out = run(&dir, &erase);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(out.stdout, b"");
    assert_eq!(
        stderr(&out),
        "mailshield: request r1: the request is pending identity \
         verification: nothing is released\n"
    );
    assert!(!dir.join("e.mbox").exists() && !dir.join("e.partial").exists());

    // Verified, then answered.
    let out = run(&dir, &["gdpr", "verify", s[0], s[1], "r1"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let verified = json!([
        decision("pending_verification", PENDING),
        decision("verified", "identity verified"),
    ]);
    let expected = record("r1", "erasure", "unauthenticated", verified);
    assert_eq!(json_doc(&out, since), expected);
    let out = run(&dir, &erase);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut answer = json!({
        "request": "r1",
        "status": "completed",
        "erased": ["a1@example.com"],
        "retained": [
            {"id": "a2@example.com", "index": 1, "basis": "court order 12"}
        ],
        "pseudonym_key_shredded": false,
        "backups_beyond_use": [{
            "backup": "b1", "request": "r1", "marked_at": 0,
            "expires_at": 4_070_908_800u64
        }],
        "notifications": [{
            "request": "r1", "recipient": "payroll provider (EU)",
            "kind": "erasure", "queued_at": 0
        }],
        "processing_records_removed": 1,
    });
    assert_eq!(json_doc(&out, since), answer);
    let copy = std::fs::read_to_string(dir.join("e.mbox")).unwrap();
    assert!(copy.contains("Hi, [REDACTED] here."), "{copy}");
    assert!(copy.contains("Cc alice@example.com, held."), "{copy}");

    // A duplicate gives the first answer back and writes nothing.
    std::fs::remove_file(dir.join("e.mbox")).unwrap();
    let out = run(&dir, &erase);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    answer["status"] = json!("already_completed");
    assert_eq!(json_doc(&out, since), answer);
    assert!(!dir.join("e.mbox").exists());

    // The status shows the answer; the notification is queued.
    let out = run(&dir, &["gdpr", "status", s[0], s[1], "r1"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json_doc(&out, since);
    assert_eq!(doc["state"], "completed");
    answer["status"] = json!("completed");
    assert_eq!(doc["outcome"], answer);
    let states: Vec<&str> = doc["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        ["pending_verification", "verified", "in_progress", "completed"]
    );
    let out = run(&dir, &["gdpr", "notifications", s[0], s[1]]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json_lines(&out, since), [answer["notifications"][0].clone()]);
}

#[test]
fn gdpr_excessive_requests_are_refused_with_exit_1() {
    let dir = setup("cli-req-excess");
    let since = unix_now();
    let receive = |id: &str| {
        let args = [
            "gdpr",
            "receive",
            "--store",
            "s.db",
            id,
            "--kind",
            "access",
            "--subject",
            "alice@example.com",
            "--authenticated-as",
            "Alice@example.com",
        ];
        run(&dir, &args)
    };
    let channel = "authenticated:Alice@example.com";
    for id in ["q1", "q2"] {
        let out = receive(id);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let first = decision("verified", "authenticated as the subject");
        let expected = record(id, "access", channel, json!([first]));
        assert_eq!(json_doc(&out, since), expected);
    }
    let out = receive("q3");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let refused = json!([decision("refused", EXCESSIVE)]);
    assert_eq!(
        json_doc(&out, since),
        record("q3", "access", channel, refused)
    );
    // Received again under its id: the stored record, still refused.
    assert_eq!(receive("q3").status.code(), Some(1));

    // Nothing is answered for it: its record, exit 1.
    let access =
        ["gdpr", "access", "--store", "s.db", "--request", "q3", "a.mbox"];
    let out = run(&dir, &access);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "mailshield: request q3: the request was refused\n"
    );
    let refused = json!([decision("refused", EXCESSIVE)]);
    assert_eq!(
        json_doc(&out, since),
        record("q3", "access", channel, refused)
    );

    // An unknown request is an error.
    let out = run(&dir, &["gdpr", "status", "--store", "s.db", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out), "mailshield: request nope: no such request\n");
}

#[test]
fn gdpr_access_with_a_request_is_released_once_verified() {
    let dir = setup("cli-req-access");
    let since = unix_now();
    let s = ["--store", "s.db"];
    let receive = [
        "gdpr",
        "receive",
        s[0],
        s[1],
        "r1",
        "--kind",
        "access",
        "--subject",
        "alice@example.com",
    ];
    assert_eq!(run(&dir, &receive).status.code(), Some(0));
    let access = ["gdpr", "access", s[0], s[1], "--request", "r1", "a.mbox"];
    let out = run(&dir, &access);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(out.stdout, b"");
    assert_eq!(
        run(&dir, &["gdpr", "verify", s[0], s[1], "r1"]).status.code(),
        Some(0)
    );

    // The request's subject is the identifier; its deadline runs from
    // its receipt.
    let out = run(&dir, &access);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc = json_doc(&out, since);
    let ids: Vec<&str> = doc["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a1@example.com", "a2@example.com"]);
    assert_eq!(doc["request"], "access");
    assert_eq!(doc["deadline"], today_deadline());
    assert_eq!(doc["information"]["purposes"], json!(["billing"]));
    let out = run(&dir, &["gdpr", "status", s[0], s[1], "r1"]);
    let doc = json_doc(&out, since);
    assert_eq!(doc["state"], "completed");
    assert_eq!(doc["outcome"], json!({"request": "r1", "messages": 2}));
}

#[test]
fn gdpr_rectify_with_a_request_refuses_a_bad_address() {
    let dir = setup("cli-req-rectify");
    let since = unix_now();
    let s = ["--store", "s.db"];
    let receive = |id: &str| {
        let args = [
            "gdpr",
            "receive",
            s[0],
            s[1],
            id,
            "--kind",
            "rectification",
            "--subject",
            "alice@example.com",
            "--authenticated-as",
            "alice@example.com",
        ];
        assert_eq!(run(&dir, &args).status.code(), Some(0));
    };
    let rectify = |id: &str, to: &str| {
        let args = [
            "gdpr",
            "rectify",
            s[0],
            s[1],
            "--request",
            id,
            "--to",
            to,
            "--out",
            "r.mbox",
            "a.mbox",
        ];
        run(&dir, &args)
    };
    let channel = "authenticated:alice@example.com";

    // Not an address: refused with the reason, recorded; exit 1.
    receive("r1");
    let out = rectify("r1", "alice.example.org");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let reason = "the new value is not a mail address: it has no @";
    let history = json!([
        decision("verified", "authenticated as the subject"),
        decision("refused", reason),
    ]);
    let expected = record("r1", "rectification", channel, history);
    assert_eq!(json_doc(&out, since), expected);
    assert_eq!(stderr(&out), format!("mailshield: request r1: {reason}\n"));
    assert!(!dir.join("r.mbox").exists());

    // An address: the copy, the record moved, its recipient notified.
    receive("r2");
    let out = rectify("r2", "alice@example.org");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let notification = json!({
        "request": "r2", "recipient": "payroll provider (EU)",
        "kind": "rectification", "queued_at": 0
    });
    assert_eq!(
        json_doc(&out, since),
        json!({
            "request": "r2",
            "status": "completed",
            "rectified": ["a1@example.com", "a2@example.com"],
            "records_moved": 1,
            "statement": null,
            "notifications": [notification],
        })
    );
    let copy = std::fs::read_to_string(dir.join("r.mbox")).unwrap();
    assert!(copy.contains("Hi, alice@example.org here."), "{copy}");

    // A supplementary statement, with no archive.
    receive("r3");
    let statement = [
        "gdpr",
        "rectify",
        s[0],
        s[1],
        "--request",
        "r3",
        "--statement",
        "The address changed in 2026.",
    ];
    let out = run(&dir, &statement);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        json_doc(&out, since),
        json!({
            "request": "r3",
            "status": "completed",
            "rectified": [],
            "records_moved": 0,
            "statement": "The address changed in 2026.",
            "notifications": [],
        })
    );
    // --statement needs a request.
    let bare = [
        "gdpr",
        "rectify",
        "--email",
        "alice@example.com",
        "--statement",
        "x",
    ];
    assert_eq!(run(&dir, &bare).status.code(), Some(2));
}

#[test]
fn gdpr_export_with_a_request_resumes_and_is_answered_once_whole() {
    let dir = setup("cli-req-export");
    let since = unix_now();
    let receive = [
        "gdpr",
        "receive",
        "--store",
        "s.db",
        "p1",
        "--kind",
        "portability",
        "--subject",
        "alice@example.com",
        "--authenticated-as",
        "alice@example.com",
    ];
    assert_eq!(run(&dir, &receive).status.code(), Some(0));

    // Of another kind: an error, and nothing answered.
    let erase = [
        "gdpr",
        "erase",
        "--store",
        "s.db",
        "--request",
        "p1",
        "--out",
        "e.mbox",
        "a.mbox",
    ];
    let out = run(&dir, &erase);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "mailshield: request p1: a request of portability, not of erasure\n"
    );

    // The request's address is the identifier; the export is chunked.
    let export = [
        "gdpr",
        "export",
        "--store",
        "s.db",
        "--request",
        "p1",
        "--dir",
        "out",
        "--chunk-messages",
        "2",
        "a.mbox",
    ];
    let out = run(&dir, &export);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let manifest: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(manifest["complete"], true);
    assert_eq!(manifest["messages_read"], 3);
    assert_eq!(manifest["chunks"].as_array().unwrap().len(), 2);
    let status = ["gdpr", "status", "--store", "s.db", "p1"];
    let doc = json_doc(&run(&dir, &status), since);
    assert_eq!(doc["state"], "completed");
    assert_eq!(doc["outcome"], json!({"request": "p1", "messages": 1}));
    // Asked again: the same manifest, still answered once.
    let again = run(&dir, &export);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(again.stdout, out.stdout);
    let doc = json_doc(&run(&dir, &status), since);
    assert_eq!(doc["history"].as_array().unwrap().len(), 3);
}

fn sha256_hex(bytes: &[u8]) -> String {
    sha_hex(ring::digest::digest(&ring::digest::SHA256, bytes).as_ref())
}

fn sha_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The manifest's entry of chunk `index`, from its file.
fn chunk(dir: &Path, index: u64, mentions: u64) -> Value {
    let file = format!("part-{index:06}.jsonl");
    let bytes = std::fs::read(dir.join(&file)).unwrap();
    json!({
        "file": file,
        "first_message": index,
        "messages": 1,
        "mentions": mentions,
        "bytes": bytes.len(),
        "sha256": sha256_hex(&bytes),
    })
}

#[test]
fn gdpr_export_dir_writes_chunks_and_resumes() {
    let dir = TempDir::new("cli-export");
    std::fs::write(dir.join("a.mbox"), MBOX).unwrap();
    let export = [
        "gdpr",
        "export",
        "--email",
        "alice@example.com",
        "--dir",
        "out",
        "--chunk-messages",
        "1",
        "a.mbox",
    ];
    let out = run(&dir, &export);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let created = doc["created_at"].as_str().unwrap().to_string();
    assert!(created.ends_with('Z') && created.len() == 20, "{created}");
    doc["created_at"] = json!("");
    let ex = dir.join("out");
    // Portability: only what alice sent.
    let expected = json!({
        "format": "mailshield-gdpr-export",
        "version": 1,
        "request": "portability",
        "chunk_messages": 1,
        "messages_read": 3,
        "complete": true,
        "created_at": "",
        "chunks": [chunk(&ex, 0, 1), chunk(&ex, 1, 0), chunk(&ex, 2, 0)],
    });
    assert_eq!(doc, expected);
    let first = std::fs::read(ex.join("part-000000.jsonl")).unwrap();
    let line: Value = serde_json::from_slice(&first).unwrap();
    assert_eq!(line["id"], "a1@example.com");

    // Done: run again, the same manifest, nothing rewritten.
    let again = run(&dir, &export);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(again.stdout, out.stdout);

    // Interrupted after the first chunk (the manifest as the export
    // leaves it then): run again, it resumes to the same export.
    let mut partial = expected.clone();
    partial["complete"] = json!(false);
    partial["messages_read"] = json!(1);
    partial["chunks"] = json!([expected["chunks"][0]]);
    std::fs::write(ex.join("manifest.partial.json"), partial.to_string())
        .unwrap();
    for f in ["manifest.json", "part-000001.jsonl", "part-000002.jsonl"] {
        std::fs::remove_file(ex.join(f)).unwrap();
    }
    let kept = ex.join("part-000000.jsonl");
    let modified = || std::fs::metadata(&kept).unwrap().modified().unwrap();
    let before = modified();
    let out = run(&dir, &export);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    doc["created_at"] = json!("");
    assert_eq!(doc, expected);
    assert!(!ex.join("manifest.partial.json").exists());
    // The chunk the partial manifest vouched for was kept, not redone.
    assert_eq!(modified(), before);

    // Other options over a partial export are refused.
    std::fs::write(ex.join("manifest.partial.json"), partial.to_string())
        .unwrap();
    std::fs::remove_file(ex.join("manifest.json")).unwrap();
    let mut other = export.to_vec();
    other[7] = "2";
    let out = run(&dir, &other);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "mailshield: out: the export directory holds a partial export made \
         with other options\n"
    );

    // Without --dir, one document on stdout as before.
    let out = run(
        &dir,
        &["gdpr", "export", "--email", "alice@example.com", "a.mbox"],
    );
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["request"], "portability");
    assert_eq!(doc["messages"].as_array().unwrap().len(), 1);
}

/// The `--utc-offset` in minutes that makes the current time 12:00 local.
fn midday_offset() -> String {
    let minute_of_day = (unix_now() % 86_400 / 60) as i64;
    (720 - minute_of_day).to_string()
}

/// `p-` or `u-` and 16 hex digits.
fn is_pseudonym(s: &str, prefix: &str) -> bool {
    s.strip_prefix(prefix).is_some_and(|h| {
        h.len() == 16 && h.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

#[test]
fn audit_pseudonyms_in_the_log_and_the_report() {
    let dir = setup("cli-audit-pseudo");
    let out = run(&dir, &["keygen", "--out", "k.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let log = |user: &str| {
        let args = [
            "audit",
            "log",
            "--log",
            "a.log",
            "--key-file",
            "k.json",
            "--type",
            "data_access",
            "--user",
            user,
            "--pseudonymize",
            "--store",
            "s.db",
        ];
        run(&dir, &args)
    };
    for (user, seq) in
        [("Alice@example.com", "0\n"), ("alice@example.com", "2\n")]
    {
        let out = log(user);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(String::from_utf8_lossy(&out.stdout), seq);
    }
    let text = std::fs::read_to_string(dir.join("a.log")).unwrap();
    assert!(!text.to_lowercase().contains("alice"), "{text}");
    let users: Vec<String> = text
        .lines()
        .filter_map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["event"]["user_id"].as_str().map(str::to_string)
        })
        .collect();
    assert_eq!(users.len(), 2);
    assert!(
        is_pseudonym(&users[0], "p-") && users[0] == users[1],
        "{users:?}"
    );

    // The report shows the log's pseudonym, or its own keyed one. Its
    // business hours are set so that now is midday there: the events
    // were logged now, and at night their access would raise an
    // `unusual_access_time` alert.
    let offset = midday_offset();
    let report =
        ["audit", "report", "--log", "a.log", "--utc-offset", &offset];
    let out = run(&dir, &report);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let activity = json!({
        "total_events": 2, "failed_logins": 0, "data_accesses": 2,
        "high_risk_events": 0
    });
    assert_eq!(doc["user_activity"], json!({users[0].clone(): activity}));
    let keyed =
        [&report[..], &["--pseudonymize", "--key-file", "k.json"]].concat();
    let out = run(&dir, &keyed);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["report_period"]["days"], 30);
    doc["report_period"] = json!(null);
    // The report's pseudonym: HMAC-SHA256 of the id under a key derived
    // from the key set, its first 8 bytes in hex.
    let keys = mailshield::crypto::KeySet::load(dir.join("k.json")).unwrap();
    let secret = keys.derive_secret(b"mailshield audit report pseudonyms v1");
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &secret);
    let tag = ring::hmac::sign(&key, users[0].as_bytes());
    let named = format!("u-{}", &sha_hex(tag.as_ref())[..16]);
    assert_eq!(
        doc,
        json!({
            "report_period": null,
            "summary": {
                "total_events": 2, "unique_users": 1, "high_risk_events": 0,
                "critical_events": 0, "incidents_not_listed": 0
            },
            "event_breakdown": {"data_access": 2},
            "user_activity": {named: activity},
            "security_incidents": [],
            "alerts": [],
            "recommendations": [],
        })
    );
    // No key set: a usage error that names no key.
    let out = run(&dir, &[&report[..], &["--pseudonymize"]].concat());
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "mailshield: no key: give --key-file FILE or set MAILSHIELD_KEY\n"
    );

    // Erasure shreds the subject's key: the log still verifies.
    let receive = [
        "gdpr",
        "receive",
        "--store",
        "s.db",
        "r1",
        "--kind",
        "erasure",
        "--subject",
        "alice@example.com",
        "--authenticated-as",
        "alice@example.com",
    ];
    assert_eq!(run(&dir, &receive).status.code(), Some(0));
    let erase = [
        "gdpr",
        "erase",
        "--store",
        "s.db",
        "--request",
        "r1",
        "--out",
        "e.mbox",
        "a.mbox",
    ];
    let out = run(&dir, &erase);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["pseudonym_key_shredded"], true);
    let verify = ["audit", "verify", "--log", "a.log", "--key-file", "k.json"];
    let out = run(&dir, &verify);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"broken\":null,\"checkpoints\":2,\"events\":2,\
         \"head_checked\":true,\"valid\":true}\n"
    );
    // A later event of alice links to none of the earlier ones.
    assert_eq!(log("alice@example.com").status.code(), Some(0));
    let text = std::fs::read_to_string(dir.join("a.log")).unwrap();
    let last: Value = serde_json::from_str(
        text.lines().rfind(|l| l.contains("\"event\"")).unwrap(),
    )
    .unwrap();
    let fresh = last["event"]["user_id"].as_str().unwrap();
    assert!(is_pseudonym(fresh, "p-") && fresh != users[0], "{fresh}");
}
