//! Property tests of protection and streaming against simple references.
//!
//! - One-pass protection writes what a naive reference writes over the
//!   same findings: every byte outside them in order, each finding by its
//!   operator, nothing else.
//! - A stream scanner fed a message in pieces, at any split points, finds
//!   what one call finds and writes what one redaction writes.
//!
//! Messages are synthetic values and filler between them, after padding
//! of random length, so that values fall across the scanner's 64-byte
//! blocks and across the stream's window (made small here so a message of
//! a few kilobytes crosses it many times). The conversion of offsets
//! between bytes, code points and UTF-16 is tested beside its code
//! (`src/ffi/view.rs`).

use std::sync::LazyLock;

use mailshield::engine::Engine;
use mailshield::protect::{Cipher, Options, mask, protect, redact};
use mailshield::rules::{FieldRole, Operator, Pack};
use mailshield::scan::{Field, Finding, StreamScanner};
use proptest::prelude::*;

/// Values of every entity of the `default` pack, keywords, forms the
/// normalised view folds, and filler, some of it not UTF-8.
const PIECES: &[&str] = &[
    "ana@example.com",
    "Bo.Li+x@mail.example.org",
    "4111 1111 1111 1111",
    "5500-0000-0000-0004",
    "SSN 536-90-1234",
    "call (415) 555-0132",
    "+44 20 7946 0958",
    "192.0.2.7",
    "2001:db8::1",
    "DE89 3704 0044 0532 0130 00",
    "password: hunter2xyz",
    "AKIAIOSFODNN7EXAMPLE",
    "confidential",
    "\u{ff14}\u{ff11}\u{ff11}\u{ff11} 1111 1111 1111",
    "ana&#64;example.com",
    "5\u{200b}36-90-1234",
    "caf\u{e9} \u{1f600} ",
    " ",
    ", ",
    "\n",
    "lorem ipsum ",
    "the quick brown fox ",
    "0123",
    "-",
    "@",
];

/// A message: padding, then pieces, some bytes made invalid UTF-8.
fn message() -> impl Strategy<Value = Vec<u8>> {
    (
        0usize..130,
        proptest::collection::vec(0..PIECES.len(), 0..60),
        proptest::collection::vec(any::<prop::sample::Index>(), 0..3),
    )
        .prop_map(|(pad, picks, bad)| {
            let mut m = b"x ".repeat(pad / 2);
            for i in picks {
                m.extend_from_slice(PIECES[i].as_bytes());
                m.push(b' ');
            }
            for i in bad {
                if !m.is_empty() {
                    let at = i.index(m.len());
                    m[at] = 0xff;
                }
            }
            m
        })
}

/// What one finding is replaced by, written out by hand.
fn replacement(engine: &Engine, f: &Finding, value: &[u8]) -> Vec<u8> {
    let pack = engine.pack();
    let entity = &pack.entities[f.entity];
    match pack.detectors[f.detector].operator {
        Operator::Placeholder => {
            format!("[{}_REDACTED]", entity.name).into_bytes()
        }
        Operator::Mask => mask(entity.mask, value).into_bytes(),
        Operator::Drop => Vec::new(),
        Operator::Keep => value.to_vec(),
        Operator::Token => panic!("no token detector in these packs"),
    }
}

/// The naive reference: byte by byte, a finding's replacement where it
/// starts, its bytes skipped, every other byte copied.
fn reference(engine: &Engine, text: &[u8], findings: &[Finding]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut skip_to = 0;
    let mut next = findings.iter().peekable();
    for i in 0..=text.len() {
        while let Some(f) = next.next_if(|f| f.span.start == i) {
            let value = &text[f.span.start..f.span.end];
            out.extend_from_slice(&replacement(engine, f, value));
            skip_to = f.span.end;
        }
        if i < text.len() && i >= skip_to {
            out.push(text[i]);
        }
    }
    out
}

/// The `default` pack, and the example pack (masks, a dropped detector),
/// compiled once.
static ENGINES: LazyLock<[Engine; 2]> = LazyLock::new(|| {
    let text = include_str!("../../examples/custom-pack.toml");
    let pack = Pack::from_toml("custom-pack.toml", text).unwrap();
    [Engine::builtin("default").unwrap(), Engine::new(pack).unwrap()]
});

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn one_pass_protection_equals_the_reference(text in message()) {
        for engine in ENGINES.iter() {
            let fields = [Field::new("body", FieldRole::Body, &text)];
            let opts = Options {
                cipher: Cipher::None,
                keys: None,
                message_id: b"m1",
                level: None,
            };
            let p = protect(engine, &fields, &opts).unwrap();
            let findings = &p.scan.findings;
            // Sorted, disjoint and inside the text.
            for w in findings.windows(2) {
                prop_assert!(w[0].span.end <= w[1].span.start, "{w:?}");
            }
            prop_assert!(findings.iter().all(|f| f.span.end <= text.len()));
            let want = reference(engine, &text, findings);
            prop_assert_eq!(
                String::from_utf8_lossy(&p.body),
                String::from_utf8_lossy(&want)
            );
        }
    }
}

/// The `default` pack with a window of 256 bytes, compiled once.
static SMALL_WINDOW: LazyLock<Engine> = LazyLock::new(|| {
    let mut pack = Pack::builtin("default").unwrap();
    pack.max_match_len = 256;
    Engine::new(pack).unwrap()
});

/// Feeds `text` cut at `cuts` (sorted) and checks findings, keywords and
/// redacted output against one scan and one redaction of the whole.
fn stream_equals_one_shot(
    engine: &Engine,
    text: &[u8],
    cuts: &[usize],
) -> Result<(), TestCaseError> {
    let whole = engine.scan(text);
    let mut want = Vec::new();
    redact(engine, text, &whole.findings, None, &mut want).unwrap();
    let mut s = StreamScanner::redacting(engine, FieldRole::Body).unwrap();
    let mut out = Vec::new();
    let mut from = 0;
    for &cut in cuts.iter().chain([&text.len()]) {
        s.feed(&text[from..cut]);
        s.redacted(&mut out);
        from = cut;
    }
    let got = s.finish_redacted(&mut out);
    prop_assert_eq!(got.complete, whole.complete, "{:?}", got.errors);
    prop_assert_eq!(&got.findings, &whole.findings, "cuts {:?}", cuts);
    prop_assert_eq!(&got.keywords, &whole.keywords);
    prop_assert_eq!(
        String::from_utf8_lossy(&out),
        String::from_utf8_lossy(&want)
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn streaming_equals_one_shot_at_any_split_points(
        text in message(),
        picks in proptest::collection::vec(any::<prop::sample::Index>(),
            0..12),
    ) {
        let mut cuts: Vec<usize> =
            picks.iter().map(|i| i.index(text.len() + 1)).collect();
        cuts.sort_unstable();
        stream_equals_one_shot(&SMALL_WINDOW, &text, &cuts)?;
    }
}

#[test]
fn streaming_equals_one_shot_at_every_split_point() {
    // Every value of the pieces, three times, after 61 bytes of padding:
    // more than four windows of 256 bytes, each cut tried as the seam.
    let engine = &*SMALL_WINDOW;
    let mut text = b"x".repeat(61);
    for _ in 0..3 {
        for p in PIECES {
            text.extend_from_slice(p.as_bytes());
            text.push(b' ');
        }
    }
    assert!(text.len() > 4 * 256, "{}", text.len());
    assert!(engine.scan(&text).findings.len() > 20);
    for cut in 0..=text.len() {
        stream_equals_one_shot(engine, &text, &[cut])
            .unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
    }
}
