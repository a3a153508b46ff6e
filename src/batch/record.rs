//! The scan record of one message: the JSON line of SPEC section 6.1.
//!
//! The command line writes these lines and the C ABI hands them out, so
//! both build them here, from the same fields, scan and classification.

use std::borrow::Cow;

use super::json::Json;
use crate::classify::Classification;
use crate::engine::Engine;
use crate::mail::{Message, join_bodies};
use crate::protect::{mask, mask_into};
use crate::rules::{FieldRole, Semantics};
use crate::scan::{Field, Scan, Span};

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
    scanned_fields(engine, &m.fields)
}

/// The fields a pack scans, as [`fields_for`] gives them, for a message
/// whose fields come apart from it
/// ([`Pending::resolve_borrowing`](crate::mail::Pending::resolve_borrowing)).
/// They borrow `fields`, but for the `body` of a python-semantics pack,
/// which joins the body fields into a new text.
pub fn scanned_fields<'m>(
    engine: &Engine,
    fields: &'m [Field<'_>],
) -> Vec<Field<'m>> {
    let borrowed = |f: &'m Field<'_>| Field {
        name: Cow::Borrowed(f.name.as_ref()),
        role: f.role,
        text: Cow::Borrowed(f.text.as_ref()),
    };
    if engine.pack().semantics != Semantics::Python {
        return fields.iter().map(borrowed).collect();
    }
    let mut out = vec![Field {
        name: Cow::Borrowed("body"),
        role: FieldRole::Body,
        text: Cow::Owned(join_bodies(fields)),
    }];
    out.extend(
        fields.iter().filter(|f| f.role != FieldRole::Body).map(borrowed),
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
    let mut out = Vec::with_capacity(guess);
    let masks = Masks::Given(masked);
    write_line(&mut out, engine, m, fields, scan, class, masks);
    out
}

/// [`scan_line`], appended to `out`, each finding's value masked from
/// the text of `fields` as [`masked_values`] masks it: for writers that
/// put many lines in one buffer and keep no masked values of their own.
/// `fields` must be those scanned into `scan`; a finding or keyword
/// outside them (a caller's mistake) is written with an empty field name
/// and its value masked as `***`, never a panic.
pub fn write_scan_line(
    out: &mut Vec<u8>,
    engine: &Engine,
    m: &Message,
    fields: &[Field<'_>],
    scan: &Scan,
    class: &Classification,
) {
    write_line(out, engine, m, fields, scan, class, Masks::FromText);
}

/// Where a record's masked values come from.
#[derive(Clone, Copy)]
enum Masks<'a> {
    /// Given, one per finding ([`masked_values`]); a finding past the
    /// end shows an empty one.
    Given(&'a [String]),
    /// Masked from the text of the fields as the record is written.
    FromText,
}

/// The line of [`scan_line`] appended to `out`.
fn write_line(
    out: &mut Vec<u8>,
    engine: &Engine,
    m: &Message,
    fields: &[Field<'_>],
    scan: &Scan,
    class: &Classification,
    masks: Masks<'_>,
) {
    let mut j = Json::after(std::mem::take(out));
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
    findings(&mut j, engine, fields, scan, masks);
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
    j.strs(class.recommended_actions.iter().copied());
    j.key("complete");
    j.bool(is_complete(m, scan));
    j.key("warnings");
    j.strs(m.warnings.iter().map(String::as_str));
    j.key("errors");
    j.strs(m.errors.iter().chain(&scan.errors).map(String::as_str));
    j.end_object();
    *out = j.finish();
}

/// The `findings` array of [`scan_line`]. Its objects, like those of
/// [`keywords`], are written member after member as fragments: the
/// arrays are most of a record.
fn findings(
    j: &mut Json,
    engine: &Engine,
    fields: &[Field<'_>],
    scan: &Scan,
    masks: Masks<'_>,
) {
    let pack = engine.pack();
    let mut scratch = String::new();
    j.begin_array();
    for (i, f) in scan.findings.iter().enumerate() {
        let masked = match masks {
            Masks::Given(given) => given.get(i).map_or("", String::as_str),
            Masks::FromText => {
                let value = fields
                    .get(f.field)
                    .and_then(|x| x.text.get(f.span.start..f.span.end))
                    .unwrap_or_default();
                scratch.clear();
                mask_into(pack.entities[f.entity].mask, value, &mut scratch);
                &scratch
            }
        };
        j.begin_object();
        j.fragment("\"type\":");
        j.write_str(&pack.entities[f.entity].name);
        place(j, fields, f.field, f.span);
        j.fragment(",\"score\":");
        j.write_f64(rounded(f.score));
        j.fragment(",\"validated\":");
        j.write_bool(f.validated);
        j.fragment(",\"masked\":");
        j.write_str(masked);
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
        j.fragment("\"keyword\":");
        j.write_str(&pack.keywords[k.list].words[k.word]);
        place(j, fields, k.field, k.span);
        j.fragment(",\"in_footer\":");
        j.write_bool(k.in_footer);
        j.end_object();
    }
    j.end_array();
}

/// The `field`, `start` and `end` members of a finding or keyword, after
/// an earlier member. The field's name is empty when there is no field
/// at `field`.
fn place(j: &mut Json, fields: &[Field<'_>], field: usize, span: Span) {
    j.fragment(",\"field\":");
    j.write_str(fields.get(field).map_or("", |f| f.name.as_ref()));
    j.fragment(",\"start\":");
    j.write_usize(span.start);
    j.fragment(",\"end\":");
    j.write_usize(span.end);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::classify;
    use crate::mail::Source;

    #[test]
    fn a_record_with_findings_and_keywords_byte_for_byte() {
        let engine = Engine::builtin("default").unwrap();
        let m = Message {
            source: Source { path: "a.mbox".into(), index: 3 },
            id: Some("m1@example.com".into()),
            fields: vec![
                Field::new(
                    "from",
                    FieldRole::Address,
                    b"Ana <ana@example.com>",
                ),
                Field::new(
                    "body",
                    FieldRole::Body,
                    b"The password: SSN 536-90-1234, call 415-555-0134.\n",
                ),
            ],
            extra: Default::default(),
            warnings: vec!["a \"warning\"".into()],
            errors: Vec::new(),
            complete: true,
            raw_len: 120,
        };
        let fields = fields_for(&engine, &m);
        let scan = engine.scan_fields(&fields);
        let class = classify(&engine, &fields, &scan);
        let mut line = b"before\n".to_vec();
        write_scan_line(&mut line, &engine, &m, &fields, &scan, &class);
        let line = String::from_utf8(line).unwrap();
        let want = concat!(
            "before\n",
            r#"{"id":"m1@example.com","source":{"path":"a.mbox","index":3},"#,
            r#""classification":"restricted","confidence":0.95,"findings":["#,
            r#"{"type":"EMAIL","field":"from","start":5,"end":20,"score":0."#,
            r#"9,"validated":true,"masked":"***@example.com"},{"type":"SSN""#,
            r#","field":"body","start":18,"end":29,"score":0.95,"validated""#,
            r#":true,"masked":"***1234"},{"type":"PHONE","field":"body","st"#,
            r#"art":36,"end":48,"score":0.95,"validated":true,"masked":"***"#,
            r#"0134"}],"keywords":[{"keyword":"password","field":"body","st"#,
            r#"art":4,"end":12,"in_footer":false}],"counts":{"EMAIL":1,"PHO"#,
            r#"NE":1,"SSN":1},"risk_factors":["High-sensitivity PII detecte"#,
            r#"d","Sensitive keywords: password"],"recommended_actions":["A"#,
            r#"pply encryption","Enable access logging","Require approval f"#,
            r#"or access"],"complete":true,"warnings":["a \"warning\""],"er"#,
            r#"rors":[]}"#,
        );
        assert_eq!(line, want);

        // The same record with the masks given.
        let masked = masked_values(&engine, &fields, &scan);
        let given = scan_line(&engine, &m, &fields, &scan, &class, &masked);
        assert_eq!(given, &want.as_bytes()[b"before\n".len()..]);
    }
}
