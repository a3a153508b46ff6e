//! `mailshield scan`: one JSON line per message (SPEC.md section 6.1).

use std::borrow::Cow;
use std::collections::BTreeMap;

use mailshield::classify::classify;
use mailshield::engine::Engine;
use mailshield::mail::Message;
use mailshield::protect::mask;
use mailshield::rules::{FieldRole, Level, Semantics};
use mailshield::scan::{Field, Scan};
use serde::Serialize;

use super::output::Sink;
use super::pipeline::{self, Outcome};
use super::sarif::{Hit, Sarif};
use super::{Fatal, ScanArgs, Status};

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
    masked: String,
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
    risk_factors: Vec<String>,
    recommended_actions: Vec<String>,
    complete: bool,
    warnings: &'a [String],
    errors: Vec<String>,
}

/// A score as JSON shows it: four decimals, so 0.95 reads 0.95.
pub(crate) fn rounded(score: f32) -> f64 {
    (f64::from(score) * 10_000.0).round() / 10_000.0
}

/// The id a record carries: its own, or `<path>#<index>`.
pub(crate) fn message_id(m: &Message) -> Cow<'_, str> {
    match &m.id {
        Some(id) => Cow::Borrowed(id.as_str()),
        None => Cow::Owned(format!("{}#{}", m.source.path, m.source.index)),
    }
}

/// The fields a pack scans: a python-semantics pack (the guide's) reads
/// the message's text as one `body`, as the guide did.
pub(crate) fn fields_for<'m>(
    engine: &Engine,
    m: &'m Message,
) -> Vec<Field<'m>> {
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

/// Findings per entity type, in the pack's order.
pub(crate) fn counts(engine: &Engine, scan: &Scan) -> Vec<(String, usize)> {
    scan.counts(engine)
        .into_iter()
        .map(|(e, n)| (engine.entity_name(e).to_string(), n))
        .collect()
}

fn line(engine: &Engine, m: &Message, sarif: bool) -> Outcome {
    let fields = fields_for(engine, m);
    let scan = engine.scan_fields(&fields);
    let c = classify(engine, &fields, &scan);
    let pack = engine.pack();
    let findings = scan
        .findings
        .iter()
        .map(|f| {
            let field = &fields[f.field];
            let entity = &pack.entities[f.entity];
            FindingOut {
                ty: &entity.name,
                field: &field.name,
                start: f.span.start,
                end: f.span.end,
                score: rounded(f.score),
                validated: f.validated,
                masked: mask(
                    entity.mask,
                    &field.text[f.span.start..f.span.end],
                ),
            }
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
    let count_list = counts(engine, &scan);
    let mut errors = m.errors.clone();
    errors.extend(scan.errors.iter().cloned());
    let complete = m.complete && scan.complete;
    let out = Line {
        id: message_id(m),
        source: SourceOut { path: &m.source.path, index: m.source.index },
        classification: c.level.as_str(),
        confidence: c.confidence,
        findings,
        keywords,
        counts: count_list.iter().map(|(t, n)| (t.as_str(), *n)).collect(),
        risk_factors: c.risk_factors,
        recommended_actions: c.recommended_actions,
        complete,
        warnings: &m.warnings,
        errors: errors.clone(),
    };
    let mut json = serde_json::to_vec(&out).unwrap_or_default();
    json.push(b'\n');
    let mut side = Vec::new();
    if sarif {
        for f in &scan.findings {
            let hit = Hit {
                path: &m.source.path,
                index: m.source.index,
                field: &fields[f.field].name,
                ty: &pack.entities[f.entity].name,
                start: f.span.start,
                end: f.span.end,
            };
            Sarif::result(&hit, &mut side);
        }
    }
    Outcome {
        line: json,
        level: Some(c.level),
        counts: count_list,
        warnings: m.warnings.clone(),
        errors,
        complete,
        side,
    }
}

/// Runs `mailshield scan`.
///
/// # Errors
///
/// A pack that does not load, an output that cannot be written.
pub(crate) fn run(args: ScanArgs) -> Result<Status, Fatal> {
    let engine = super::engine(&args.input.pack)?;
    let mut sink = Sink::open(args.input.out.as_deref())?;
    let mut sarif = match &args.sarif {
        Some(path) => Some(Sarif::create(path, engine.pack())?),
        None => None,
    };
    let with_hits = sarif.is_some();
    let result = pipeline::run(
        &args.input,
        &mut sink,
        |m| line(&engine, m, with_hits),
        |o| match sarif.as_mut() {
            Some(s) => s.add(&o.side),
            None => Ok(()),
        },
    );
    let run = match result {
        Ok(run) => run,
        Err(e) => {
            sink.abandon();
            return Err(e);
        }
    };
    if let Some(s) = sarif {
        s.finish()?;
    }
    match sink.finish() {
        Ok(()) | Err(super::output::WriteError::Closed) => {}
        Err(super::output::WriteError::Failed(e)) => return Err(Fatal(e)),
    }
    let mut status = run.status;
    if let (Some(fail), Some(worst)) = (args.fail_on, run.worst) {
        if worst >= Level::from(fail) {
            status = status.max(Status::FailOn);
        }
    }
    Ok(status)
}
