//! `--sarif FILE`: SARIF 2.1.0 with one result per finding.
//!
//! A result says where a finding is (the input path, the message's index
//! in it, the field, the byte span) and what it is (its entity type as the
//! rule id); never the value. The file is written as results come, so its
//! size, not the run's memory, grows with the number of findings.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use mailshield::rules::Pack;
use serde_json::json;

use super::Fatal;

/// Where one finding is.
pub(crate) struct Hit<'a> {
    pub path: &'a str,
    pub index: usize,
    pub field: &'a str,
    pub ty: &'a str,
    pub start: usize,
    pub end: usize,
}

/// A SARIF file being written.
pub(crate) struct Sarif {
    path: PathBuf,
    file: BufWriter<File>,
    first: bool,
}

impl Sarif {
    /// Creates the file and writes the run's head.
    ///
    /// # Errors
    ///
    /// When the file cannot be created or written.
    pub(crate) fn create(path: &Path, pack: &Pack) -> Result<Sarif, Fatal> {
        let fail =
            |e: std::io::Error| Fatal(format!("{}: {e}", path.display()));
        let file = File::create(path).map_err(fail)?;
        let rules: Vec<_> = pack
            .entities
            .iter()
            .map(|e| {
                json!({
                    "id": e.name,
                    "shortDescription": {"text": format!("{} found in mail", e.name)},
                })
            })
            .collect();
        let driver = json!({
            "name": "mailshield",
            "version": env!("CARGO_PKG_VERSION"),
            "informationUri": "https://example.com/mailshield",
            "rules": rules,
        });
        let mut s = Sarif {
            path: path.to_path_buf(),
            file: BufWriter::new(file),
            first: true,
        };
        let head = format!(
            "{{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\",\"runs\":[{{\"tool\":{{\"driver\":{driver}}},\"results\":["
        );
        s.file.write_all(head.as_bytes()).map_err(fail)?;
        Ok(s)
    }

    /// Serializes one result, followed by a comma, into `out`.
    pub(crate) fn result(hit: &Hit<'_>, out: &mut Vec<u8>) {
        let r = json!({
            "ruleId": hit.ty,
            "level": "warning",
            "message": {"text": format!(
                "{} in field {} of message {}", hit.ty, hit.field, hit.index
            )},
            "locations": [{
                "physicalLocation": {"artifactLocation": {"uri": hit.path}},
                "logicalLocations": [{
                    "name": hit.field,
                    "fullyQualifiedName": format!("{}#{}/{}", hit.path, hit.index, hit.field),
                    "kind": "member",
                }],
            }],
            "properties": {
                "messageIndex": hit.index,
                "field": hit.field,
                "start": hit.start,
                "end": hit.end,
            },
        });
        if serde_json::to_writer(&mut *out, &r).is_ok() {
            out.push(b',');
        }
    }

    /// Appends serialized results (each followed by a comma).
    ///
    /// # Errors
    ///
    /// When the file cannot be written.
    pub(crate) fn add(&mut self, results: &[u8]) -> Result<(), Fatal> {
        if results.is_empty() {
            return Ok(());
        }
        let fail =
            |e: std::io::Error| Fatal(format!("{}: {e}", self.path.display()));
        let mut bytes = results;
        if self.first {
            self.first = false;
        } else {
            self.file.write_all(b",").map_err(fail)?;
        }
        if let Some(stripped) = bytes.strip_suffix(b",") {
            bytes = stripped;
        }
        self.file.write_all(bytes).map_err(fail)
    }

    /// Closes the document.
    ///
    /// # Errors
    ///
    /// When the file cannot be written.
    pub(crate) fn finish(mut self) -> Result<(), Fatal> {
        let fail =
            |e: std::io::Error| Fatal(format!("{}: {e}", self.path.display()));
        self.file.write_all(b"]}]}\n").map_err(fail)?;
        self.file.flush().map_err(fail)
    }
}
