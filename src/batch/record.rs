//! The scan record of one message: the JSON line of SPEC section 6.1.
//!
//! The command line writes these lines and the C ABI hands them out, so
//! both build them here, from the same fields, scan and classification.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;

use crate::classify::Classification;
use crate::engine::Engine;
use crate::mail::Message;
use crate::protect::mask;
use crate::rules::{FieldRole, Semantics};
use crate::scan::{Field, Scan};

#[derive(Serialize)]
struct SourceOut<'a> {
    path: &'a str,
    index: usize,
}

#[derive(Serialize)]
struct FindingOut<'a> {
    #[serde(rename = "type")]
    ty: &'a str,
    field: &'a str,
    start: usize,
    end: usize,
    score: f64,
    validated: bool,
    masked: &'a str,
}

#[derive(Serialize)]
struct KeywordOut<'a> {
    keyword: &'a str,
    field: &'a str,
    start: usize,
    end: usize,
    in_footer: bool,
}

#[derive(Serialize)]
struct Line<'a> {
    id: Cow<'a, str>,
    source: SourceOut<'a>,
    classification: &'static str,
    confidence: f64,
    findings: Vec<FindingOut<'a>>,
    keywords: Vec<KeywordOut<'a>>,
    counts: BTreeMap<&'a str, usize>,
    risk_factors: &'a [String],
    recommended_actions: &'a [String],
    complete: bool,
    warnings: &'a [String],
    errors: Vec<&'a str>,
}

/// A score as JSON shows it: four decimals, so 0.95 reads 0.95.
pub fn rounded(score: f32) -> f64 {
    (f64::from(score) * 10_000.0).round() / 10_000.0
}

/// The id a record carries: its own, or `<path>#<index>`.
pub fn message_id(m: &Message) -> Cow<'_, str> {
    match &m.id {
        Some(id) => Cow::Borrowed(id.as_str()),
        None => Cow::Owned(format!("{}#{}", m.source.path, m.source.index)),
    }
}

/// The fields a pack scans: a python-semantics pack (the guide's) reads
/// the message's text as one `body`, as the guide did.
pub fn fields_for<'m>(engine: &Engine, m: &'m Message) -> Vec<Field<'m>> {
    let borrowed = |f: &'m Field<'static>| Field {
        name: Cow::Borrowed(f.name.as_ref()),
        role: f.role,
        text: Cow::Borrowed(f.text.as_ref()),
    };
    if engine.pack().semantics != Semantics::Python {
        return m.fields.iter().map(borrowed).collect();
    }
    let mut out = vec![Field {
        name: Cow::Borrowed("body"),
        role: FieldRole::Body,
        text: Cow::Owned(m.text()),
    }];
    out.extend(
        m.fields.iter().filter(|f| f.role != FieldRole::Body).map(borrowed),
    );
    out
}

/// `m` with the fields its engine's pack scans ([`fields_for`]), owned.
pub fn with_scanned_fields(engine: &Engine, mut m: Message) -> Message {
    if engine.pack().semantics == Semantics::Python {
        m.fields = fields_for(engine, &m)
            .into_iter()
            .map(Field::into_owned)
            .collect();
    }
    m
}

/// Findings per entity type name, in the pack's order.
pub fn counts(engine: &Engine, scan: &Scan) -> Vec<(String, usize)> {
    scan.counts(engine)
        .into_iter()
        .map(|(e, n)| (engine.entity_name(e).to_string(), n))
        .collect()
}

/// Whether every byte of the message was read and scanned.
pub fn is_complete(m: &Message, scan: &Scan) -> bool {
    m.complete && scan.complete
}

/// Each finding's value masked as its entity type says, in scan order.
pub fn masked_values(
    engine: &Engine,
    fields: &[Field<'_>],
    scan: &Scan,
) -> Vec<String> {
    let pack = engine.pack();
    scan.findings
        .iter()
        .map(|f| {
            let value = &fields[f.field].text[f.span.start..f.span.end];
            mask(pack.entities[f.entity].mask, value)
        })
        .collect()
}

/// The JSON line of SPEC section 6.1 for `m`, without its line break.
///
/// `fields` are those [`fields_for`] gave, scanned into `scan` and
/// classified as `class`; `masked` holds each finding's masked value
/// ([`masked_values`]). The message's errors come before the scan's.
pub fn scan_line(
    engine: &Engine,
    m: &Message,
    fields: &[Field<'_>],
    scan: &Scan,
    class: &Classification,
    masked: &[String],
) -> Vec<u8> {
    let pack = engine.pack();
    let findings = scan
        .findings
        .iter()
        .zip(masked)
        .map(|(f, masked)| FindingOut {
            ty: &pack.entities[f.entity].name,
            field: &fields[f.field].name,
            start: f.span.start,
            end: f.span.end,
            score: rounded(f.score),
            validated: f.validated,
            masked,
        })
        .collect();
    let keywords = scan
        .keywords
        .iter()
        .map(|k| KeywordOut {
            keyword: &pack.keywords[k.list].words[k.word],
            field: &fields[k.field].name,
            start: k.span.start,
            end: k.span.end,
            in_footer: k.in_footer,
        })
        .collect();
    let counts = scan
        .counts(engine)
        .into_iter()
        .map(|(e, n)| (engine.entity_name(e), n))
        .collect();
    let errors =
        m.errors.iter().chain(&scan.errors).map(String::as_str).collect();
    let line = Line {
        id: message_id(m),
        source: SourceOut { path: &m.source.path, index: m.source.index },
        classification: class.level.as_str(),
        confidence: class.confidence,
        findings,
        keywords,
        counts,
        risk_factors: &class.risk_factors,
        recommended_actions: &class.recommended_actions,
        complete: is_complete(m, scan),
        warnings: &m.warnings,
        errors,
    };
    // Serialising plain structs of strings and numbers cannot fail.
    serde_json::to_vec(&line).unwrap_or_default()
}
