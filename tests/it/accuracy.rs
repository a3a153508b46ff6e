//! Accuracy of the `default` pack on a labeled generated corpus: precision
//! and recall of at least 0.99 per entity type (SPEC.md section 8).

use std::process::Command;

use serde_json::Value;

use crate::support::{TempDir, python_has, require, shared};

#[test]
fn default_pack_precision_and_recall_are_at_least_099() {
    let Some(shared) = shared() else { return };
    if !require(python_has(&["faker"]), "python3 with faker is missing") {
        return;
    }
    let dir = TempDir::new("accuracy");
    let (corpus, labels) =
        (dir.join("mail.jsonl"), dir.join("mail.labels.jsonl"));
    let status = Command::new("python3")
        .arg(shared.join("tools/gen_corpus.py"))
        .args(["--seed", "1", "--size-mb", "20", "--out"])
        .arg(&corpus)
        .arg("--labels")
        .arg(&labels)
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "gen_corpus.py failed");
    let out = Command::new(env!("CARGO_BIN_EXE_accuracy"))
        .arg("--json")
        .arg(&corpus)
        .arg(&labels)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let types: Vec<&str> =
        rows.iter().map(|r| r["type"].as_str().unwrap()).collect();
    for want in ["CREDIT_CARD", "EMAIL", "IP_ADDRESS", "PHONE", "SSN"] {
        assert!(types.contains(&want), "no row for {want}: {types:?}");
    }
    for r in &rows {
        eprintln!("{r}");
        let (p, rc) =
            (r["precision"].as_f64().unwrap(), r["recall"].as_f64().unwrap());
        assert!(p >= 0.99 && rc >= 0.99, "{r}");
    }
}
