//! The scan record of one message: the JSON line of SPEC section 6.1.
//!
//! The command line writes these lines and the C ABI hands them out, so
//! both build them here, from the same fields, scan and classification.

use std::borrow::Cow;

use super::json::Json;
use crate::classify::Classification;
use crate::engine::Engine;
use crate::mail::Message;
use crate::protect::mask;
use crate::rules::{FieldRole, Semantics};
use crate::scan::{Field, Scan};

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
    let guess = 512 + 160 * scan.findings.len() + 96 * scan.keywords.len();
    let mut j = Json::with_capacity(guess);
    j.begin_object();
    j.key("id");
    j.str(&message_id(m));
    j.key("source");
    j.begin_object();
    j.key("path");
    j.str(&m.source.path);
    j.key("index");
    j.usize(m.source.index);
    j.end_object();
    j.key("classification");
    j.str(class.level.as_str());
    j.key("confidence");
    j.f64(class.confidence);

    j.key("findings");
    findings(&mut j, engine, fields, scan, masked);
    j.key("keywords");
    keywords(&mut j, engine, fields, scan);

    // Counts by entity name, in name order.
    let mut counts: Vec<(&str, usize)> = scan
        .counts(engine)
        .into_iter()
        .map(|(e, n)| (engine.entity_name(e), n))
        .collect();
    counts.sort_unstable();
    j.key("counts");
    j.begin_object();
    for (name, n) in counts {
        j.key_escaped(name);
        j.usize(n);
    }
    j.end_object();

    j.key("risk_factors");
    j.strs(class.risk_factors.iter().map(String::as_str));
    j.key("recommended_actions");
    j.strs(class.recommended_actions.iter().map(String::as_str));
    j.key("complete");
    j.bool(is_complete(m, scan));
    j.key("warnings");
    j.strs(m.warnings.iter().map(String::as_str));
    j.key("errors");
    j.strs(m.errors.iter().chain(&scan.errors).map(String::as_str));
    j.end_object();
    j.finish()
}

/// The `findings` array of [`scan_line`].
fn findings(
    j: &mut Json,
    engine: &Engine,
    fields: &[Field<'_>],
    scan: &Scan,
    masked: &[String],
) {
    let pack = engine.pack();
    j.begin_array();
    for (f, masked) in scan.findings.iter().zip(masked) {
        j.begin_object();
        j.key("type");
        j.str(&pack.entities[f.entity].name);
        j.key("field");
        j.str(&fields[f.field].name);
        j.key("start");
        j.usize(f.span.start);
        j.key("end");
        j.usize(f.span.end);
        j.key("score");
        j.f64(rounded(f.score));
        j.key("validated");
        j.bool(f.validated);
        j.key("masked");
        j.str(masked);
        j.end_object();
    }
    j.end_array();
}

/// The `keywords` array of [`scan_line`].
fn keywords(j: &mut Json, engine: &Engine, fields: &[Field<'_>], scan: &Scan) {
    let pack = engine.pack();
    j.begin_array();
    for k in &scan.keywords {
        j.begin_object();
        j.key("keyword");
        j.str(&pack.keywords[k.list].words[k.word]);
        j.key("field");
        j.str(&fields[k.field].name);
        j.key("start");
        j.usize(k.span.start);
        j.key("end");
        j.usize(k.span.end);
        j.key("in_footer");
        j.bool(k.in_footer);
        j.end_object();
    }
    j.end_array();
}
