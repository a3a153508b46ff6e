//! Redaction leaves nothing a detector found: arbitrary bytes are
//! protected as a body (cipher none) under the `default` pack.
//!
//! Not under the `seed` pack: it is the guide's `sanitize_content`
//! exactly, which finds values case-insensitively and rewrites them
//! case-sensitively, so `E@e.n\u{131}` (a dotless i, which folds to `i`) is
//! found and kept, as in the guide (its flaw, kept for parity; see
//! `regressions/protect_redacts/`).
//!
//! The invariant, stated so that it is true and checkable: let the
//! *redacted values* be the bytes of each finding of the input (operator
//! other than `keep`, at least 4 bytes), and the *kept segments* the input
//! bytes between findings. A redacted value that occurs in no kept segment
//! must not occur in the output: if it does, it was copied through, or
//! rebuilt out of kept text and a replacement. Also, under the single-pass
//! `default` pack, the kept segments appear in the output in order and
//! re-scanning the output finds no value equal to a redacted value.
#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mailshield::crypto::KeySet;
use mailshield::engine::Engine;
use mailshield::protect::{Cipher, Options, protect};
use mailshield::rules::{FieldRole, Operator, RedactionMode};
use mailshield::scan::{Field, Span};

/// A fixed Fernet key of the crate's own documentation, for the `token`
/// operator should a detector use it.
const KEY: &str = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";

fn keys() -> &'static KeySet {
    static KEYS: OnceLock<KeySet> = OnceLock::new();
    KEYS.get_or_init(|| KeySet::from_fernet_key(KEY).unwrap())
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// The input outside the union of `spans` (sorted by start).
/// Whether `v` is the end of a placeholder and then kept text, or kept
/// text and then the start of a placeholder: a replacement beside that
/// kept text writes the same bytes again.
fn rebuilt(v: &[u8], placeholders: &[Vec<u8>], kept: &[&[u8]]) -> bool {
    let in_kept =
        |x: &[u8]| x.is_empty() || kept.iter().any(|k| contains(k, x));
    placeholders.iter().any(|ph| {
        (1..=ph.len().min(v.len())).any(|n| {
            let tail = v.starts_with(&ph[ph.len() - n..]) && in_kept(&v[n..]);
            let head = v.ends_with(&ph[..n]) && in_kept(&v[..v.len() - n]);
            tail || head
        })
    })
}

fn kept_segments<'a>(data: &'a [u8], spans: &[Span]) -> Vec<&'a [u8]> {
    let mut kept = Vec::new();
    let mut at = 0;
    for s in spans {
        if s.start > at {
            kept.push(&data[at..s.start]);
        }
        at = at.max(s.end);
    }
    kept.push(&data[at.min(data.len())..]);
    kept
}

fn check(engine: &Engine, data: &[u8]) {
    let fields = [Field::new("body", FieldRole::Body, data)];
    let opts = Options {
        cipher: Cipher::None,
        keys: Some(keys()),
        message_id: b"fuzz@example.com",
        level: None,
    };
    let p = protect(engine, &fields, &opts).expect("protect with a key");
    let pack = engine.pack();
    let single_pass = pack.redaction.mode == RedactionMode::SinglePass;

    // Redacted values and kept segments of the input. A value that is
    // part of a placeholder, holds one (`[PASSWORD_REDACTED]` written in
    // the input as a password) or joins a piece of one to kept text, is
    // rebuilt by any replacement and the kept text beside it: not a leak.
    let spans: Vec<Span> = p.scan.findings.iter().map(|f| f.span).collect();
    let kept = kept_segments(data, &spans);
    let placeholders: Vec<Vec<u8>> = pack
        .entities
        .iter()
        .map(|e| format!("[{}_REDACTED]", e.name).into_bytes())
        .collect();
    let redacted: Vec<&[u8]> = p
        .scan
        .findings
        .iter()
        .filter(|f| pack.detectors[f.detector].operator != Operator::Keep)
        .map(|f| &data[f.span.start..f.span.end])
        .filter(|v| v.len() >= 4)
        .filter(|v| !kept.iter().any(|k| contains(k, v)))
        .filter(|v| {
            !placeholders.iter().any(|ph| contains(ph, v) || contains(v, ph))
        })
        .filter(|v| !rebuilt(v, &placeholders, &kept))
        .collect();

    // No redacted value in the output.
    for v in &redacted {
        assert!(
            !contains(&p.body, v),
            "a redacted value of {} bytes survives in the output",
            v.len()
        );
    }
    if !single_pass {
        return;
    }

    // Kept bytes in order.
    let mut at = 0;
    for k in kept.iter().filter(|k| !k.is_empty()) {
        let pos = p.body[at..]
            .windows(k.len())
            .position(|w| w == *k)
            .expect("a kept segment is missing from the output");
        at += pos + k.len();
    }

    // Re-scanning finds no redacted value.
    let again = engine.scan(&p.body);
    for f in &again.findings {
        let v = &p.body[f.span.start..f.span.end];
        assert!(
            !redacted.contains(&v),
            "re-scan finds a redacted value of {} bytes",
            v.len()
        );
    }
}

fuzz_target!(|data: &[u8]| {
    check(common::default_engine(), data);
});
