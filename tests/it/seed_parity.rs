//! The `seed` pack against the guide's own code, `tools/seed_ref.py`.
//!
//! Every text of `../shared/corpus` (each real message's bytes read as
//! UTF-8 with replacement, each case text), a few hundred generated
//! messages and this file's own cases go through both; classification,
//! confidence, per-type counts, risk factors, recommended actions,
//! sanitized text and sanitization log must be equal, byte for byte.

use std::fs;
use std::path::Path;
use std::process::Command;

use mailshield::engine::Engine;
use mailshield::protect::{Cipher, Options, protect};
use mailshield::rules::FieldRole;
use mailshield::scan::Field;
use serde_json::{Value, json};

use crate::support::{TempDir, python_has, require, shared};

/// Texts that probe the corners of Python's semantics.
fn own_cases() -> Vec<(String, String)> {
    let long_tail = "x".repeat(10_200);
    let cases = [
        // Unicode digits: Python's \d takes them, \b sees word characters.
        ("arabic-ssn", "id ٤١١-٤٥-٦٧٨٩ end".to_string()),
        ("fullwidth-card", "card ４１１１ １１１１ １１１１ １１１１".to_string()),
        ("devanagari-ip", "ip १.२.३.४ and 1.2.3.4".to_string()),
        ("superscript-beside", "x²123-45-6789 and ²536-90-1234".to_string()),
        ("mixed-digits", "5٥5-12-3456 and 123-٤٥-6789".to_string()),
        // Non-ASCII letters beside digits.
        ("letters-beside", "é123-45-6789 123-45-6789é ü4111 1111 1111 1111".to_string()),
        ("cjk-beside", "電話555-123-4567です and 555-123-4567".to_string()),
        ("email-unicode", "josé@example.com zoë@example.org ana@exämple.com".to_string()),
        ("ignorecase-letters", "İ@x.com ı@x.com ſ@x.com \u{212A}@x.com".to_string()),
        ("kelvin-keyword", "PRIVATE \u{212A}EY and CONFİDENTİAL".to_string()),
        ("nbsp-phone", "call 555\u{a0}123\u{a0}4567 or (555)\u{2003}123-4567".to_string()),
        ("tld-pipe", "a@b.c|m and x@y.co|5 and z@w.c||".to_string()),
        // Bodies over 10,000 code points, with matches past the cut.
        (
            "long-internal",
            format!("{long_tail} call 555-123-4567 at the end"),
        ),
        (
            "long-restricted",
            format!("SSN 123-45-6789 {} é {long_tail}", "word ".repeat(1200)),
        ),
        ("long-multibyte", format!("{} 4111 1111 1111 1111", "é".repeat(10_050))),
        // Matches of different types that touch or overlap.
        ("ssn-in-email", "536-90-1234@example.com".to_string()),
        ("ssn-then-dot-email", "x 536-90-1234.a@example.com".to_string()),
        ("card-in-phone", "4111 1111 1111 1111 and 123-456-7890123".to_string()),
        ("ip-in-email", "1.2.3.4@example.com and user@10.0.0.1.example.com".to_string()),
        ("phone-touch-ip", "555-123-45671.2.3.4 and 5551234567.1.2.3".to_string()),
        ("tld-then-ssn", "a@b.c|536-90-1234 and a@b.cc|123-45-6789".to_string()),
        ("ssn-card-overlap", "1234-5678-9012-3456 123456789 1234567890123456".to_string()),
        ("adjacent-emails", "a@x.com,b@y.org;c@z.net a@x.comb@y.org".to_string()),
        ("phone-paren", "(555) 123-4567 (555)123-4567 +1 (555) 123-4567 +1-555-123-4567".to_string()),
        ("many-types", "SSN 123-45-6789, card 4111-1111-1111-1111, mail a@b.com, call 555.123.4567, ip 192.168.0.1".to_string()),
        ("empty", String::new()),
        ("keywords-only", "the attorney sent the salary file".to_string()),
    ];
    cases.into_iter().map(|(id, t)| (id.to_string(), t)).collect()
}

/// Every text of the shared corpus, with an id.
fn corpus_texts(shared: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let real = shared.join("corpus/real");
    let mut files = Vec::new();
    walk(&real, &mut files);
    files.sort();
    let skip = [
        "MANIFEST.tsv",
        "COUNTS.tsv",
        "SOURCES.md",
        "combined.mbox.index.tsv",
    ];
    for f in &files {
        if skip.iter().any(|s| f.ends_with(s)) {
            continue;
        }
        let bytes = fs::read(f).unwrap();
        let id = f.strip_prefix(shared).unwrap().display().to_string();
        out.push((id, String::from_utf8_lossy(&bytes).into_owned()));
    }
    // Each message of combined.mbox on its own, by its index.
    let mbox = fs::read(real.join("combined.mbox")).unwrap();
    let index =
        fs::read_to_string(real.join("combined.mbox.index.tsv")).unwrap();
    for line in index.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (off, len): (usize, usize) =
            (cols[1].parse().unwrap(), cols[2].parse().unwrap());
        let text = String::from_utf8_lossy(&mbox[off..off + len]).into_owned();
        out.push((format!("combined.mbox#{}", cols[0]), text));
    }
    let cases =
        fs::read_to_string(shared.join("corpus/cases/default-pack.jsonl"))
            .unwrap();
    for line in cases.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        out.push((
            format!("case:{}", v["id"].as_str().unwrap()),
            v["text"].as_str().unwrap().into(),
        ));
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// A few hundred generated messages.
fn generated(dir: &TempDir, shared: &Path) -> Vec<(String, String)> {
    let out = dir.join("gen.jsonl");
    let status = Command::new("python3")
        .arg(shared.join("tools/gen_corpus.py"))
        .args(["--seed", "11", "--size-mb", "0.7", "--out"])
        .arg(&out)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "gen_corpus.py failed");
    fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (
                format!("gen:{}", v["id"]),
                v["body"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// What `seed_ref.py --mode full` says of each text.
fn reference(
    dir: &TempDir,
    shared: &Path,
    texts: &[(String, String)],
) -> Vec<Value> {
    let input = dir.join("in.jsonl");
    let output = dir.join("out.jsonl");
    let mut lines = String::new();
    for (id, body) in texts {
        lines.push_str(&json!({"id": id, "body": body}).to_string());
        lines.push('\n');
    }
    fs::write(&input, lines).unwrap();
    let status = Command::new("python3")
        .arg(shared.join("tools/seed_ref.py"))
        .arg(&input)
        .args(["--mode", "full", "--out"])
        .arg(&output)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "seed_ref.py failed");
    fs::read_to_string(&output)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// What mailshield says of one text, in seed_ref's shape.
fn ours(engine: &Engine, body: &str) -> Value {
    let fields = [Field::new("body", FieldRole::Body, body.as_bytes())];
    let opts = Options {
        cipher: Cipher::None,
        keys: None,
        message_id: b"",
        level: None,
    };
    let p = protect(engine, &fields, &opts).unwrap();
    let counts: Vec<Value> = p
        .scan
        .counts(engine)
        .into_iter()
        .map(|(e, n)| json!({"type": engine.entity_name(e), "count": n}))
        .collect();
    json!({
        "classification": p.classification.level.as_str(),
        "confidence": p.classification.confidence,
        "detected_pii": counts,
        "risk_factors": p.classification.risk_factors,
        "recommended_actions": p.classification.recommended_actions,
        "sanitized_content": String::from_utf8(p.body).unwrap(),
        "sanitization_actions": p.log,
    })
}

fn compare(engine: &Engine, texts: &[(String, String)], refs: &[Value]) {
    assert_eq!(texts.len(), refs.len());
    let mut failures = Vec::new();
    for ((id, body), r) in texts.iter().zip(refs) {
        let mut want = r.clone();
        let obj = want.as_object_mut().unwrap();
        for key in ["id", "original_length", "sanitized_length"] {
            obj.remove(key);
        }
        for pii in obj["detected_pii"].as_array_mut().unwrap() {
            pii.as_object_mut().unwrap().remove("examples");
        }
        let got = ours(engine, body);
        if got != want {
            failures.push(format!("{id}:\n  want {want}\n  got  {got}"));
        }
    }
    let shown: Vec<&String> = failures.iter().take(5).collect();
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{shown:#?}",
        failures.len(),
        texts.len()
    );
}

#[test]
fn seed_pack_equals_the_guide_on_every_corpus_text() {
    let Some(shared) = shared() else { return };
    if !require(python_has(&["faker"]), "python3 with faker is missing") {
        return;
    }
    let dir = TempDir::new("seed-parity");
    let mut texts = corpus_texts(&shared);
    texts.extend(generated(&dir, &shared));
    texts.extend(own_cases());
    assert!(texts.len() > 1800, "only {} texts", texts.len());
    let refs = reference(&dir, &shared, &texts);
    let engine = Engine::builtin("seed").unwrap();
    compare(&engine, &texts, &refs);
}
