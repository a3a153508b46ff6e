//! The `default` pack: the shared cases of `corpus/cases/default-pack.jsonl`
//! and this file's own, each a kind of mistake scanners make.

use std::fs;

use mailshield::engine::Engine;
use mailshield::protect::{Cipher, Options, protect};
use mailshield::rules::FieldRole;
use mailshield::scan::Field;
use serde_json::Value;

use crate::support::shared;

/// What one text comes to under the default pack.
struct Outcome {
    counts: Vec<(String, usize)>,
    level: String,
    redacted: String,
    spans: Vec<(String, usize, usize)>,
}

fn outcome(engine: &Engine, text: &[u8]) -> Outcome {
    let fields = [Field::new("body", FieldRole::Body, text)];
    let opts = Options {
        cipher: Cipher::None,
        keys: None,
        message_id: b"",
        level: None,
    };
    let p = protect(engine, &fields, &opts).unwrap();
    Outcome {
        counts: p
            .scan
            .counts(engine)
            .into_iter()
            .map(|(e, n)| (engine.entity_name(e).to_string(), n))
            .collect(),
        level: p.classification.level.as_str().to_string(),
        redacted: String::from_utf8_lossy(&p.body).into_owned(),
        spans: p
            .scan
            .findings
            .iter()
            .map(|f| {
                (
                    engine.entity_name(f.entity).to_string(),
                    f.span.start,
                    f.span.end,
                )
            })
            .collect(),
    }
}

fn count(o: &Outcome, ty: &str) -> usize {
    o.counts.iter().find(|(t, _)| t == ty).map_or(0, |(_, n)| *n)
}

#[test]
fn every_shared_case_holds() {
    let Some(shared) = shared() else { return };
    let text =
        fs::read_to_string(shared.join("corpus/cases/default-pack.jsonl"))
            .unwrap();
    let engine = Engine::builtin("default").unwrap();
    let mut failures = Vec::new();
    let mut cases = 0;
    for line in text.lines() {
        let case: Value = serde_json::from_str(line).unwrap();
        assert_eq!(case["pack"], "default");
        cases += 1;
        let id = case["id"].as_str().unwrap();
        let o = outcome(&engine, case["text"].as_str().unwrap().as_bytes());
        if let Some(want) = case["expect_counts"].as_object() {
            for (ty, n) in want {
                if count(&o, ty) as u64 != n.as_u64().unwrap() {
                    failures
                        .push(format!("{id}: {ty} {} != {n}", count(&o, ty)));
                }
            }
        }
        if let Some(level) = case["expect_classification"].as_str() {
            if o.level != level {
                failures.push(format!("{id}: level {} != {level}", o.level));
            }
        }
        if let Some(r) = case["expect_redacted"].as_str() {
            if o.redacted != r {
                failures
                    .push(format!("{id}: redacted {:?} != {r:?}", o.redacted));
            }
        }
    }
    assert!(cases >= 28, "only {cases} cases");
    assert!(failures.is_empty(), "{failures:#?}");
}

/// `(text, expected redaction, expected level)`.
const REDACTIONS: &[(&str, &str, &str)] = &[
    // A card run into a domain: one redaction, nothing spliced.
    (
        "Fake card 4151 3217 6243 3448.com here",
        "Fake card [CREDIT_CARD_REDACTED].com here",
        "restricted",
    ),
    // Nested values in a URL: no byte of either survives.
    (
        "https://x.test/r?u=alice@example.com&ip=192.0.2.7",
        "https://x.test/r?u=[EMAIL_REDACTED]&ip=[IP_ADDRESS_REDACTED]",
        "confidential",
    ),
    // Full-width digits and a homoglyph local part.
    (
        "card ４１１１ １１１１ １１１１ １１１１ mail \u{430}lice@example.com",
        "card [CREDIT_CARD_REDACTED] mail [EMAIL_REDACTED]",
        "restricted",
    ),
    // Zero-width spaces, soft hyphens and entities inside values.
    (
        "card 4111\u{200b}1111\u{ad}1111\u{200b}1111, mail bob&#64;example.org",
        "card [CREDIT_CARD_REDACTED], mail [EMAIL_REDACTED]",
        "restricted",
    ),
    // Percent-escaped address; a no-break space between digit groups.
    ("to=ann%40example.com", "to=[EMAIL_REDACTED]", "confidential"),
    // Combining marks on digits; NUL between digit groups.
    ("SSN 5\u{301}36-90-1234", "SSN [SSN_REDACTED]", "restricted"),
    (
        "card 4111\u{0}1111\u{0}1111\u{0}1111",
        "card [CREDIT_CARD_REDACTED]",
        "restricted",
    ),
    // An SSN inside an address: the more sensitive type takes the union.
    ("536-90-1234@example.com", "[SSN_REDACTED]", "restricted"),
    // Placeholders already in the text are not found again.
    (
        "[EMAIL_REDACTED] and [SSN_REDACTED]",
        "[EMAIL_REDACTED] and [SSN_REDACTED]",
        "internal",
    ),
    // Versions and build numbers are not addresses; v1.2.3.4 neither.
    (
        "Upgraded to build 10.2.3.145 and v1.2.3.4",
        "Upgraded to build 10.2.3.145 and v1.2.3.4",
        "internal",
    ),
    ("a@b.c|m and 999.999.999.999", "a@b.c|m and 999.999.999.999", "internal"),
    ("call 202-555-0143", "call [PHONE_REDACTED]", "confidential"),
    // Invalid UTF-8 passes through; what is valid is still scanned.
    (
        "x \u{FFFD} alice@example.com",
        "x \u{FFFD} [EMAIL_REDACTED]",
        "confidential",
    ),
];

#[test]
fn redaction_leaves_nothing_and_changes_nothing_else() {
    let engine = Engine::builtin("default").unwrap();
    let mut failures = Vec::new();
    for (text, want, level) in REDACTIONS {
        let o = outcome(&engine, text.as_bytes());
        if o.redacted != *want || o.level != *level {
            failures.push(format!(
                "{text:?}:\n  got  {:?} {}\n  want {want:?} {level}",
                o.redacted, o.level
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn spans_are_exact_byte_offsets() {
    let engine = Engine::builtin("default").unwrap();
    let o = outcome(&engine, "write to bob＠example.org".as_bytes());
    assert_eq!(o.spans, vec![("EMAIL".to_string(), 9, 26)]);
    let o = outcome(
        &engine,
        b"Server 2001:0db8:0000:0000:0000:ff00:0042:8329 is down",
    );
    assert_eq!(o.spans, vec![("IP_ADDRESS".to_string(), 7, 46)]);
    let o =
        outcome(&engine, "Call (415)\u{a0}555\u{2011}0132 today".as_bytes());
    assert_eq!(o.spans, vec![("PHONE".to_string(), 5, 22)]);
    // Invalid bytes around an address leave its offsets alone.
    let o = outcome(
        &engine,
        b"card 4111\xff1111 1111 1111 end \xc3 alice@example.com",
    );
    assert_eq!(o.spans, vec![("EMAIL".to_string(), 31, 48)]);
}

#[test]
fn keywords_on_word_boundaries_and_folded_forms() {
    let engine = Engine::builtin("default").unwrap();
    let words = |text: &str| -> Vec<String> {
        let s = engine.scan(text.as_bytes());
        s.keywords
            .iter()
            .map(|k| engine.pack().keywords[k.list].words[k.word].clone())
            .collect()
    };
    assert!(words("our secretary is a paralegal; illegal parking").is_empty());
    assert_eq!(words("the secret is X, LEGAL hold"), vec!["secret", "legal"]);
    for form in ["CONFİDENTİAL", "ＣＯＮＦＩＤＥＮＴＩＡＬ", "Confidential"]
    {
        assert_eq!(words(form), vec!["confidential"], "{form}");
    }
    // Leftmost-longest: one keyword, not two.
    assert_eq!(words("my private key is"), vec!["private key"]);
}

#[test]
fn arabic_indic_digits_are_not_numbers_here() {
    // Documented: the default pack folds full-width digits only; digits of
    // other scripts are not read as numbers (the seed pack, like Python,
    // does read them).
    let engine = Engine::builtin("default").unwrap();
    assert!(engine.scan("٤١١١ ١١١١ ١١١١ ١١١١".as_bytes()).findings.is_empty());
}
