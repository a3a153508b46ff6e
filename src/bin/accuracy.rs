//! Precision and recall of a pack against a labeled corpus.
//!
//! ```text
//! accuracy [--pack NAME|FILE.toml] [--json] CORPUS.jsonl LABELS.jsonl
//! ```
//!
//! CORPUS is `gen_corpus.py` output (records with `id` and `body`), LABELS
//! its `--labels` file (`id`, `type`, `start`, `end`, byte offsets into the
//! body). Only bodies are scored. A finding is right when a label of its
//! type overlaps its span; a label is found when a finding of its type
//! overlaps it (SPEC.md section 8). Findings of types the corpus never
//! labels count against precision: the generator plants none of them.
//!
//! Prints a Markdown table, or with `--json` one JSON object per type;
//! `--errors` also lists every miss and false finding on stderr, with the
//! text around it (for synthetic corpora only: it prints values).

use std::collections::{BTreeMap, HashMap};
use std::process::ExitCode;

use mailshield::engine::Engine;
use mailshield::rules::Pack;
use serde_json::{Value, json};

#[derive(Default)]
struct Tally {
    labels: usize,
    found_labels: usize,
    findings: usize,
    right_findings: usize,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("accuracy: {e}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let json_out = take_flag(&mut args, "--json");
    let show_errors = take_flag(&mut args, "--errors");
    let pack =
        take_value(&mut args, "--pack")?.unwrap_or_else(|| "default".into());
    let [corpus, labels] = args.as_slice() else {
        return Err(
            "usage: accuracy [--pack NAME|FILE] [--json] CORPUS LABELS".into(),
        );
    };
    let pack = if pack.ends_with(".toml") {
        Pack::load(std::path::Path::new(&pack)).map_err(|e| e.to_string())?
    } else {
        Pack::builtin(&pack).map_err(|e| e.to_string())?
    };
    let engine = Engine::new(pack).map_err(|e| e.to_string())?;

    // Labels by record id.
    let mut by_id: HashMap<String, Vec<(String, usize, usize)>> =
        HashMap::new();
    for line in read_lines(labels)? {
        let v: Value = serde_json::from_str(&line)
            .map_err(|e| format!("{labels}: {e}"))?;
        let id = v["id"].to_string();
        let ty = v["type"].as_str().unwrap_or_default().to_string();
        let (s, e) =
            (v["start"].as_u64().unwrap_or(0), v["end"].as_u64().unwrap_or(0));
        by_id.entry(id).or_default().push((ty, s as usize, e as usize));
    }

    // Scan every body and match findings to labels.
    let mut tally: BTreeMap<String, Tally> = BTreeMap::new();
    for line in read_lines(corpus)? {
        let v: Value = serde_json::from_str(&line)
            .map_err(|e| format!("{corpus}: {e}"))?;
        let body = v["body"].as_str().unwrap_or_default();
        let labels =
            by_id.get(&v["id"].to_string()).map(Vec::as_slice).unwrap_or(&[]);
        let scan = engine.scan(body.as_bytes());
        for (ty, s, e) in labels {
            let t = tally.entry(ty.clone()).or_default();
            t.labels += 1;
            let hit = scan.findings.iter().any(|f| {
                engine.entity_name(f.entity) == ty
                    && *s < f.span.end
                    && f.span.start < *e
            });
            t.found_labels += usize::from(hit);
            if !hit && show_errors {
                eprintln!("missed {ty}: {:?}", context(body, *s, *e));
            }
        }
        for f in &scan.findings {
            let ty = engine.entity_name(f.entity);
            let t = tally.entry(ty.to_string()).or_default();
            t.findings += 1;
            let right = labels.iter().any(|(lt, s, e)| {
                lt == ty && *s < f.span.end && f.span.start < *e
            });
            t.right_findings += usize::from(right);
            if !right && show_errors {
                eprintln!(
                    "false {ty}: {:?}",
                    context(body, f.span.start, f.span.end)
                );
            }
        }
    }
    print_table(&tally, json_out);
    Ok(())
}

/// The span with some text around it, for `--errors`.
fn context(body: &str, s: usize, e: usize) -> String {
    let b = body.as_bytes();
    let lo = s.saturating_sub(30);
    let hi = (e + 15).min(b.len());
    format!(
        "{}[{}]{}",
        String::from_utf8_lossy(&b[lo..s]),
        String::from_utf8_lossy(&b[s..e]),
        String::from_utf8_lossy(&b[e..hi])
    )
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

fn print_table(tally: &BTreeMap<String, Tally>, json_out: bool) {
    if !json_out {
        println!("| type | labels | findings | precision | recall |");
        println!("|---|---:|---:|---:|---:|");
    }
    for (ty, t) in tally {
        let precision = ratio(t.right_findings, t.findings);
        let recall = ratio(t.found_labels, t.labels);
        if json_out {
            let row = json!({
                "type": ty, "labels": t.labels, "findings": t.findings,
                "right_findings": t.right_findings, "found_labels": t.found_labels,
                "precision": precision, "recall": recall,
            });
            println!("{row}");
        } else {
            println!(
                "| {ty} | {} | {} | {precision:.4} | {recall:.4} |",
                t.labels, t.findings
            );
        }
    }
}

fn read_lines(path: &str) -> Result<Vec<String>, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    Ok(text.lines().map(str::to_string).collect())
}

fn take_flag(args: &mut Vec<String>, flag: &str) -> bool {
    let before = args.len();
    args.retain(|a| a != flag);
    args.len() != before
}

fn take_value(
    args: &mut Vec<String>,
    flag: &str,
) -> Result<Option<String>, String> {
    match args.iter().position(|a| a == flag) {
        None => Ok(None),
        Some(i) if i + 1 < args.len() => {
            let v = args.remove(i + 1);
            args.remove(i);
            Ok(Some(v))
        }
        Some(_) => Err(format!("{flag} needs a value")),
    }
}
