//! The `mailshield` command, run as a user runs it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::support::{TempDir, shared};

fn mailshield() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mailshield"));
    c.env_remove("MAILSHIELD_KEY");
    c
}

fn run(args: &[&str]) -> Output {
    mailshield().args(args).output().unwrap()
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))
        })
        .collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `messages=N` of the summary line.
fn summary_messages(err: &str) -> usize {
    let line = err
        .lines()
        .find(|l| l.starts_with("mailshield: summary: "))
        .unwrap_or_else(|| panic!("no summary in {err}"));
    line.split_whitespace()
        .find_map(|w| w.strip_prefix("messages="))
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn scan_counts_every_message_of_the_real_corpus() {
    let Some(shared) = shared() else { return };
    let real = shared.join("corpus/real");
    let counts = std::fs::read_to_string(real.join("COUNTS.tsv")).unwrap();
    for row in counts.lines().skip(1) {
        let (input, n) = row.split_once('\t').unwrap();
        let n: usize = n.parse().unwrap();
        let path = real.join(input.trim_end_matches('/'));
        let out = run(&["scan", path.to_str().unwrap()]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(0), "{input}: {err}");
        let records = lines(&out);
        assert_eq!(records.len(), n, "{input}: result lines");
        assert_eq!(summary_messages(&err), n, "{input}: summary");
        // Sources never repeat, ids may.
        let mut seen = std::collections::HashSet::new();
        for r in &records {
            let key = (
                r["source"]["path"].to_string(),
                r["source"]["index"].as_u64().unwrap(),
            );
            assert!(seen.insert(key), "{input}: source repeats");
            for key in [
                "id",
                "source",
                "classification",
                "confidence",
                "findings",
                "keywords",
                "counts",
                "risk_factors",
                "recommended_actions",
                "complete",
                "warnings",
                "errors",
            ] {
                assert!(r.get(key).is_some(), "{input}: no {key} in {r}");
            }
        }
    }
}

/// A mailbox whose parts are encoded every common way.
const ENCODED: &str = "From test@example.com Mon Nov 30 09:00:00 2026\n\
From: Ana Li <ana@example.com>\n\
To: bo@example.org\n\
Subject: =?UTF-8?B?Q2FsbCBtZSBhdCA0MTUtNTU1LTAxMzI=?=\n\
Message-ID: <enc-1@example.com>\n\
MIME-Version: 1.0\n\
Content-Type: multipart/mixed; boundary=\"XX\"\n\
\n\
--XX\n\
Content-Type: text/plain; charset=utf-8\n\
Content-Transfer-Encoding: quoted-printable\n\
\n\
SSN 536-90=\n\
-1234 and ana.li@exa=\n\
mple.com\n\
--XX\n\
Content-Type: text/plain; charset=utf-8\n\
Content-Transfer-Encoding: base64\n\
\n\
Q2FyZCA0MTExIDExMTEgMTExMSAxMTExIHBsZWFzZQ==\n\
--XX\n\
Content-Type: text/html; charset=utf-8\n\
\n\
<p>Write to ana&#64;example.org</p>\n\
--XX--\n";

#[test]
fn encoded_parts_are_found_in_their_fields() {
    let dir = TempDir::new("cli-encoded");
    let path = dir.join("enc.mbox");
    std::fs::write(&path, ENCODED).unwrap();
    let out = run(&["scan", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let r = &lines(&out)[0];
    assert_eq!(r["id"], "enc-1@example.com");
    let found: Vec<(String, String, u64, u64)> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["type"].as_str().unwrap().to_string(),
                f["field"].as_str().unwrap().to_string(),
                f["start"].as_u64().unwrap(),
                f["end"].as_u64().unwrap(),
            )
        })
        .collect();
    let want = |ty: &str, field: &str, s: u64, e: u64| {
        (ty.to_string(), field.to_string(), s, e)
    };
    for w in [
        want("EMAIL", "from", 8, 23),
        want("EMAIL", "to", 0, 14),
        want("PHONE", "subject", 11, 23),
        want("SSN", "body", 4, 15),
        want("EMAIL", "body", 20, 38),
        want("CREDIT_CARD", "body.1", 5, 24),
        want("EMAIL", "body.2", 9, 24),
    ] {
        assert!(found.contains(&w), "{w:?} not in {found:?}");
    }
    assert_eq!(r["classification"], "restricted");
    // Masked values only: no digit run of the card, no address.
    let text = r.to_string();
    assert!(!text.contains("4111 1111"), "{text}");
    assert!(!text.contains("ana.li@"), "{text}");
}

fn keygen(dir: &TempDir) -> String {
    let key = dir.join("keys.json");
    let out = run(&["keygen", "--out", key.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    key.to_str().unwrap().to_string()
}

#[test]
fn protect_then_decrypt_gives_back_the_redacted_body() {
    let dir = TempDir::new("cli-protect");
    let key = keygen(&dir);
    let input = dir.join("in.jsonl");
    std::fs::write(
        &input,
        "{\"id\": \"m1\", \"sender_email\": \"ana@example.com\", \"subject\": \"hello\", \
         \"body\": \"SSN 536-90-1234, call (415) 555-0132.\", \"thread\": 7}\n\
         {\"id\": \"m2\", \"body\": \"Lunch at noon.\"}\n",
    )
    .unwrap();
    let clear = run(&[
        "protect",
        "--key-file",
        &key,
        "--cipher",
        "none",
        input.to_str().unwrap(),
    ]);
    assert_eq!(clear.status.code(), Some(0), "{}", stderr(&clear));
    let clear = lines(&clear);
    assert_eq!(clear[0]["body"], "SSN [SSN_REDACTED], call [PHONE_REDACTED].");
    assert_eq!(clear[0]["classification"], "restricted");
    assert_eq!(clear[0]["sender_email"], "ana@example.com");
    assert_eq!(clear[0]["thread"], 7);
    assert_eq!(clear[0]["pii_detected"][0]["examples"][0], "***1234");
    for cipher in ["aes-256-gcm", "fernet"] {
        let sealed = run(&[
            "protect",
            "--key-file",
            &key,
            "--cipher",
            cipher,
            input.to_str().unwrap(),
        ]);
        assert_eq!(sealed.status.code(), Some(0), "{}", stderr(&sealed));
        let records = lines(&sealed);
        let body = records[0]["body"].as_str().unwrap();
        assert!(!body.contains("REDACTED"), "{cipher}: body not sealed");
        let stored = dir.join(&format!("{cipher}.jsonl"));
        std::fs::write(&stored, &sealed.stdout).unwrap();
        let opened =
            run(&["decrypt", "--key-file", &key, stored.to_str().unwrap()]);
        assert_eq!(opened.status.code(), Some(0), "{}", stderr(&opened));
        let opened = lines(&opened);
        for (a, b) in opened.iter().zip(&clear) {
            assert_eq!(a["body"], b["body"], "{cipher}");
        }
        // Another key does not fit: a clear error naming the input.
        let other = TempDir::new("cli-other-key");
        let wrong = keygen(&other);
        let out =
            run(&["decrypt", "--key-file", &wrong, stored.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{cipher}");
        let err = stderr(&out);
        assert!(err.contains(&format!("{}#0", stored.display())), "{err}");
        assert!(!err.contains("SSN"), "{err}");
    }
}

#[test]
fn keys_never_come_from_arguments_and_never_show() {
    let out = run(&["protect", "--key", "abc", "-"]);
    assert_eq!(out.status.code(), Some(2));
    let dir = TempDir::new("cli-nokey");
    let input = dir.join("in.jsonl");
    std::fs::write(&input, "{\"id\": 1, \"body\": \"x\"}\n").unwrap();
    let out = run(&["protect", input.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no key"), "{}", stderr(&out));
    // A bad MAILSHIELD_KEY is refused without echoing it.
    let out = mailshield()
        .args(["protect", input.to_str().unwrap()])
        .env("MAILSHIELD_KEY", "not-a-key-SECRETVALUE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(!stderr(&out).contains("SECRETVALUE"), "{}", stderr(&out));
}

#[test]
fn exit_codes() {
    let dir = TempDir::new("cli-exit");
    let clean = dir.join("clean.jsonl");
    std::fs::write(&clean, "{\"id\": 1, \"body\": \"Lunch at noon.\"}\n")
        .unwrap();
    let pii = dir.join("pii.jsonl");
    std::fs::write(&pii, "{\"id\": 1, \"body\": \"SSN 536-90-1234\"}\n")
        .unwrap();
    assert_eq!(run(&["scan", clean.to_str().unwrap()]).status.code(), Some(0));
    assert_eq!(
        run(&["scan", "--fail-on", "restricted", pii.to_str().unwrap()])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        run(&["scan", "--fail-on", "restricted", clean.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        run(&["scan", "--no-such-flag", clean.to_str().unwrap()])
            .status
            .code(),
        Some(2)
    );
    // A missing input is reported; the others are still scanned.
    let out =
        run(&["scan", "/nonexistent/input.mbox", clean.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(lines(&out).len(), 1);
    assert!(
        stderr(&out).contains("/nonexistent/input.mbox"),
        "{}",
        stderr(&out)
    );
    // A record that is not JSON is kept with an error: incomplete, 3.
    let bad = dir.join("bad.jsonl");
    std::fs::write(&bad, "{\"id\": 1, \"body\": \"ok\"}\nnot json\n").unwrap();
    let out = run(&["scan", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(lines(&out).len(), 2);
}

#[test]
fn stdin_broken_pipe_and_full_disk() {
    // Stdin as JSONL.
    let mut child = mailshield()
        .args(["scan", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"{\"id\": \"a\", \"body\": \"mail ana@example.com\"}\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let r = &lines(&out)[0];
    assert_eq!(r["source"]["path"], "-");
    assert_eq!(r["findings"][0]["type"], "EMAIL");

    // A closed stdout ends the run quietly with 0.
    let dir = TempDir::new("cli-pipe");
    let big = dir.join("big.jsonl");
    let mut text = String::new();
    for i in 0..20_000 {
        text.push_str(&format!(
            "{{\"id\": {i}, \"body\": \"mail user{i}@example.com\"}}\n"
        ));
    }
    std::fs::write(&big, text).unwrap();
    let mut child = mailshield()
        .args(["scan", big.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));

    // A special file that cannot be synced is written in place.
    if Path::new("/dev/null").exists() {
        let out = run(&["scan", "--out", "/dev/null", big.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert!(!stderr(&out).contains("/dev/null"), "{}", stderr(&out));
    }

    // No space left: a clear error and exit 2.
    if Path::new("/dev/full").exists() {
        let out = run(&["scan", "--out", "/dev/full", big.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains("/dev/full"), "{}", stderr(&out));
    }
}

#[test]
fn sarif_lists_findings_without_values() {
    let dir = TempDir::new("cli-sarif");
    let input = dir.join("in.jsonl");
    std::fs::write(
        &input,
        "{\"id\": 1, \"body\": \"SSN 536-90-1234 mail ana@example.com\"}\n",
    )
    .unwrap();
    let sarif = dir.join("out.sarif");
    let out = run(&[
        "scan",
        "--sarif",
        sarif.to_str().unwrap(),
        input.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(&sarif).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let results = v["runs"][0]["results"].as_array().unwrap();
    let rules: BTreeMap<String, u64> = results
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["properties"]["start"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(rules.get("SSN"), Some(&4));
    assert_eq!(rules.get("EMAIL"), Some(&21));
    assert!(!text.contains("536-90") && !text.contains("ana@"), "{text}");
}

#[test]
fn rules_list_show_and_check() {
    let out = run(&["rules", "list"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("default\t"), "{text}");
    assert!(text.contains("\nseed\t"), "{text}");
    let out = run(&["rules", "list", "--show", "seed"]);
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains(r"\b\d{3}-?\d{2}-?\d{4}\b")
    );
    let example =
        concat!(env!("CARGO_MANIFEST_DIR"), "/examples/custom-pack.toml");
    let out = run(&["rules", "check", example]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let dir = TempDir::new("cli-rules");
    let bad = dir.join("bad.toml");
    std::fs::write(
        &bad,
        "[pack]\nname = \"x\"\n[[detector]]\nid = \"d1\"\nentity = \"SSN\"\npattern = '(unclosed'\n",
    )
    .unwrap();
    let out = run(&["rules", "check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("bad.toml: detector `d1`: bad regex"), "{err}");
}

#[test]
fn sample_mailbox_of_the_readme() {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/sample.mbox");
    let out = run(&["scan", sample]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let records = lines(&out);
    let levels: Vec<&str> = records
        .iter()
        .map(|r| r["classification"].as_str().unwrap())
        .collect();
    assert_eq!(levels, ["restricted", "restricted", "restricted", "internal"]);
    assert_eq!(summary_messages(&stderr(&out)), 4);
}

/// Runs `mailshield` with `stdin` as its input.
fn run_with_stdin(args: &[&str], stdin: &str) -> Output {
    let mut child = mailshield()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn keys_create_check_and_revoke() {
    let dir = TempDir::new("cli-keys");
    let key_file = keygen(&dir);
    let store = dir.join("s.db");
    let s = store.to_str().unwrap();
    let base = ["--key-file", key_file.as_str(), "--store", s];
    let mut args = vec!["keys", "create"];
    args.extend(base);
    args.extend(["--user", "alice", "--permission", "scan"]);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let key = String::from_utf8(out.stdout).unwrap();
    let key = key.trim_end();
    assert!(key.starts_with("eb_") && key.len() == 63, "{key}");
    // The store holds no secret.
    let db = std::fs::read(&store).unwrap();
    assert!(!db.windows(43).any(|w| w == key[20..].as_bytes()));

    let mut check = vec!["keys", "check"];
    check.extend(base);
    let out = run_with_stdin(&check, &format!("{key}\n"));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"valid\":true,\"reason\":null,\"user_id\":\"alice\",\"permissions\":[\"scan\"]}\n"
    );
    let forged = format!("{}{}\n", &key[..20], "A".repeat(43));
    let out = run_with_stdin(&check, &forged);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"valid\":false,\"reason\":\"forged\",\"user_id\":null,\"permissions\":[]}\n"
    );

    let mut revoke = vec!["keys", "revoke"];
    revoke.extend(base);
    revoke.push(&key[3..19]);
    assert_eq!(run(&revoke).status.code(), Some(0));
    let out = run_with_stdin(&check, &format!("{key}\n"));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("\"reason\":\"revoked\"")
    );
}

#[test]
fn audit_log_verify_and_report() {
    let dir = TempDir::new("cli-audit");
    let key_file = keygen(&dir);
    let log = dir.join("audit.log");
    let l = log.to_str().unwrap();
    for i in 0..3 {
        let details = format!("{{\"note\":\"try {i} by bob@example.com\"}}");
        let out = run(&[
            "audit",
            "log",
            "--log",
            l,
            "--key-file",
            &key_file,
            "--type",
            "authentication_failed",
            "--user",
            "bob",
            "--details",
            &details,
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("{}\n", 2 * i)
        );
    }
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains("bob@example.com"));
    let verify = ["audit", "verify", "--log", l, "--key-file", &key_file];
    let out = run(&verify);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "{\"broken\":null,\"checkpoints\":3,\"events\":3,\"head_checked\":true,\"valid\":true}\n"
    );
    std::fs::write(&log, text.replace("try 1", "try 9")).unwrap();
    let out = run(&verify);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("the chain breaks at entry 2")
    );

    let out = run(&["audit", "report", "--log", l]);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["summary"]["total_events"], 3);
    assert_eq!(report["user_activity"]["bob"]["failed_logins"], 3);
}

#[test]
fn gdpr_access_and_erase_an_mbox() {
    let dir = TempDir::new("cli-gdpr");
    let mbox = dir.join("a.mbox");
    std::fs::write(
        &mbox,
        "From x Thu Dec  3 10:00:00 2026\nFrom: alice@example.com\n\
         Message-ID: <a1@example.com>\n\nHi, alice@example.com here.\n\n\
         From x Thu Dec  3 10:00:00 2026\nFrom: malice@example.com\n\
         Message-ID: <a2@example.com>\n\nNot her.\n\n\
         From x Thu Dec  3 10:00:00 2026\nFrom: bob@example.com\n\
         Message-ID: <a3@example.com>\n\nCc alice@example.com, held.\n",
    )
    .unwrap();
    let m = mbox.to_str().unwrap();
    let out = run(&["gdpr", "access", "--email", "alice@example.com", m]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = doc["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a1@example.com", "a3@example.com"]);

    // With processing records and a deadline.
    let store = dir.join("s.db");
    let st = store.to_str().unwrap();
    let out = run(&[
        "gdpr",
        "record",
        "--store",
        st,
        "--subject",
        "Alice@example.com",
        "--purpose",
        "billing",
        "--basis",
        "contract",
        "--category",
        "contact details",
        "--recipient",
        "payroll provider (EU)",
        "--retention",
        "6 years",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run(&[
        "gdpr",
        "access",
        "--email",
        "alice@example.com",
        "--store",
        st,
        "--received",
        "2025-01-31",
        m,
    ]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["information"]["purposes"], serde_json::json!(["billing"]));
    assert_eq!(
        doc["information"]["recipients"],
        serde_json::json!(["payroll provider (EU)"])
    );
    assert_eq!(doc["information"]["automated_decision_making"], "none");
    assert_eq!(
        doc["deadline"],
        serde_json::json!({"due": "2025-02-28", "extended_due": "2025-02-28", "late_extension": false})
    );

    let hold = dir.join("hold.tsv");
    std::fs::write(&hold, "a3@example.com\tcourt order 12\n").unwrap();
    let copy = dir.join("erased.mbox");
    let out = run(&[
        "gdpr",
        "erase",
        "--email",
        "alice@example.com",
        "--hold",
        hold.to_str().unwrap(),
        "--out",
        copy.to_str().unwrap(),
        m,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["changed"], serde_json::json!(["a1@example.com"]));
    assert_eq!(report["held"][0]["basis"], "court order 12");
    let erased = std::fs::read_to_string(&copy).unwrap();
    // Left: the held message, and `malice@`, which is someone else.
    assert_eq!(erased.matches("alice@example.com").count(), 2);
    assert!(erased.contains("Cc alice@example.com, held."));
    assert!(erased.contains("Hi, [REDACTED] here."));
    assert!(erased.contains("malice@example.com"));
}

/// An mbox of `n` messages of several shapes: plain ones with findings
/// and keywords, ones with `>From ` lines, CRLF, 8-bit and
/// quoted-printable bodies, and an empty one.
fn varied_mbox(n: usize) -> Vec<u8> {
    let mut mbox = Vec::new();
    for i in 0..n {
        mbox.extend_from_slice(
            b"From sender@example.com Thu Jan  1 00:00:00 2026\n",
        );
        let body = match i % 6 {
            0 => format!(
                "From: Ana Li <ana{i}@example.com>\nSubject: plan {i}\n\
                 Message-ID: <m{i}@example.com>\n\n\
                 Call 415-555-{:04} or write to bo{i}@example.org.\n\
                 The password is in the confidential file.\n",
                i % 10_000
            ),
            1 => format!(
                "From: bo@example.org\nSubject: note {i}\n\n\
                 >From here on, SSN 536-90-{:04}.\n",
                1000 + i % 9000
            ),
            2 => format!(
                "From: cy@example.net\r\nSubject: crlf {i}\r\n\r\n\
                 Card 4111 1111 1111 1111, medical record {i}.\r\n"
            ),
            3 => format!(
                "From: di@example.com\nSubject: =?utf-8?q?caf=C3=A9_{i}?=\n\
                 Content-Type: text/plain; charset=iso-8859-1\n\
                 Content-Transfer-Encoding: quoted-printable\n\n\
                 Caf=E9 at 10.0.{}.{}, mail e{i}@exam=\nple.com\n",
                i % 250,
                i % 200
            ),
            4 => String::new(),
            _ => format!("Subject: bare {i}\n\nnothing here {i}\n"),
        };
        mbox.extend_from_slice(body.as_bytes());
        mbox.push(b'\n');
    }
    mbox
}

#[test]
fn records_come_whole_and_in_input_order_across_pieces_and_batches() {
    use mailshield::batch::record::{fields_for, masked_values, scan_line};
    use mailshield::classify::classify;
    use mailshield::engine::Engine;
    use mailshield::mail::{self, Format, Limits};

    // More messages than a batch holds (512), in many pieces of 16.
    let dir = TempDir::new("order");
    let path = dir.join("varied.mbox");
    std::fs::write(&path, varied_mbox(1_100)).unwrap();
    let file = path.to_str().unwrap();
    let out = run(&["scan", "--threads", "3", file]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // Each line is the library's record of that message, byte for byte
    // (with masks made apart from the record).
    let engine = Engine::builtin("default").unwrap();
    let reader = mail::open(&path, Format::Auto, Limits::default()).unwrap();
    let mut want = Vec::new();
    let mut by_type: BTreeMap<String, usize> = BTreeMap::new();
    for m in reader {
        let m = m.unwrap();
        let fields = fields_for(&engine, &m);
        let scan = engine.scan_fields(&fields);
        let class = classify(&engine, &fields, &scan);
        let masked = masked_values(&engine, &fields, &scan);
        want.extend(scan_line(&engine, &m, &fields, &scan, &class, &masked));
        want.push(b'\n');
        for f in &scan.findings {
            *by_type
                .entry(engine.entity_name(f.entity).into())
                .or_default() += 1;
        }
    }
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&want)
    );
    assert_eq!(lines(&out).len(), 1_100);

    // The summary counts every finding by type.
    let err = stderr(&out);
    assert_eq!(summary_messages(&err), 1_100);
    let summary = err.lines().find(|l| l.contains("summary:")).unwrap();
    let total: usize = by_type.values().sum();
    let words: Vec<&str> = summary.split_whitespace().collect();
    assert!(words.contains(&format!("findings={total}").as_str()));
    for (ty, n) in &by_type {
        let word = format!("{ty}={n}");
        assert!(words.contains(&word.as_str()), "{word} in {summary}");
    }
    assert!(by_type.len() >= 5, "{by_type:?}");
}
