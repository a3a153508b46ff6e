//! JSONL records, one JSON object per line.
//!
//! The keys of the guide's `email_data` are read: `body`, `subject` and
//! `sender_email` become fields of those names (roles body, subject and
//! address, in that order, each only when it is there and not `null`);
//! `id` becomes the message id (a string as it is, a number as JSON
//! prints it, anything else as its JSON text); every other key is kept in
//! [`Message::extra`], not scanned.
//!
//! A record that cannot be read still gives a message, so that none is
//! dropped: a line that is not JSON, not an object, whose scanned keys
//! are not strings, or that is longer than `max_message`, gives a message
//! with no fields, `complete: false`, and an error naming the line
//! (counted from 1, as editors count; the message's
//! [`Source::index`](super::Source) counts from 0). Blank lines are
//! skipped, but they count: a record's index is its line number from 0.
//! A line's CR before its LF is not part of the record.

use std::io::BufRead;
use std::sync::Arc;

use serde_json::Value;

use super::error::MailError;
use super::lines::LineReader;
use super::{Limits, Message, Source};
use crate::rules::FieldRole;
use crate::scan::Field;

/// The scanned keys, in field order, with their roles.
const SCANNED: [(&str, FieldRole); 3] = [
    ("body", FieldRole::Body),
    ("subject", FieldRole::Subject),
    ("sender_email", FieldRole::Address),
];

/// The records of one JSONL input.
pub(crate) struct Jsonl<R> {
    lines: LineReader<R>,
    path: Arc<str>,
    limits: Limits,
    line: usize,
    done: bool,
}

impl<R: BufRead> Jsonl<R> {
    pub fn new(reader: R, path: String, limits: Limits) -> Jsonl<R> {
        Jsonl {
            lines: LineReader::new(reader),
            path: path.into(),
            limits,
            line: 0,
            done: false,
        }
    }
}

impl<R: BufRead> Iterator for Jsonl<R> {
    type Item = Result<Message, MailError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.done {
                return None;
            }
            let mut buf = Vec::new();
            let line = match self
                .lines
                .read_line(&mut buf, self.limits.max_message)
            {
                Ok(Some(line)) => line,
                Ok(None) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(MailError::io(self.path.to_string(), e)));
                }
            };
            let index = self.line;
            self.line += 1;
            let source = Source { path: self.path.clone(), index };
            if line.stored < line.len {
                let mut msg = Message::empty(source, line.len);
                msg.fail(format!(
                    "line {}: longer than {} bytes; not read",
                    index + 1,
                    self.limits.max_message
                ));
                return Some(Ok(msg));
            }
            let text = buf.strip_suffix(b"\n").unwrap_or(&buf);
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            if text.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Some(Ok(record(source, text, line.len)));
        }
    }
}

/// One record as a message.
pub(crate) fn record(source: Source, text: &[u8], raw_len: usize) -> Message {
    let line = source.index + 1;
    let mut msg = Message::empty(source, raw_len);
    let map = match serde_json::from_slice::<Value>(text) {
        Ok(Value::Object(map)) => map,
        Ok(_) => {
            msg.fail(format!("line {line}: not a JSON object"));
            return msg;
        }
        Err(e) => {
            // N.B. serde_json's own message may quote the input; the
            // category and column never do.
            let what = match e.classify() {
                serde_json::error::Category::Eof => "cut short",
                _ => "a syntax error",
            };
            msg.fail(format!(
                "line {line}: not valid JSON ({what} at column {})",
                e.column()
            ));
            return msg;
        }
    };
    let mut scanned: [Option<Value>; 3] = Default::default();
    for (key, value) in map {
        match SCANNED.iter().position(|(k, _)| *k == key) {
            Some(i) => scanned[i] = Some(value),
            None if key == "id" => msg.id = id_text(value),
            None => {
                msg.extra.insert(key, value);
            }
        }
    }
    for ((key, role), value) in SCANNED.iter().zip(scanned) {
        match value {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => msg.fields.push(Field {
                name: (*key).into(),
                role: *role,
                text: s.into_bytes().into(),
            }),
            Some(_) => {
                msg.fields.clear();
                msg.fail(format!("line {line}: `{key}` is not a string"));
                break;
            }
        }
    }
    msg
}

/// A record's id as text: a string as it is, a number as printed.
fn id_text(value: Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(input: &str) -> Vec<Message> {
        Jsonl::new(input.as_bytes(), "x.jsonl".into(), Limits::default())
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn records_fields_ids_and_extra() {
        let msgs = read(
            "{\"id\": 7, \"subject\": \"hi\", \"body\": \"b\", \"x\": [1]}\r\n\
             \n\
             {\"id\": \"a-1\", \"sender_email\": \"ana@example.com\", \
             \"body\": null}\n",
        );
        assert_eq!(msgs.len(), 2);
        let names: Vec<&str> =
            msgs[0].fields.iter().map(|f| &*f.name).collect();
        assert_eq!(names, ["body", "subject"]);
        assert_eq!(msgs[0].id.as_deref(), Some("7"));
        assert_eq!(msgs[0].extra["x"], serde_json::json!([1]));
        assert_eq!(msgs[1].source.index, 2);
        assert_eq!(msgs[1].id.as_deref(), Some("a-1"));
        assert_eq!(msgs[1].fields[0].role, FieldRole::Address);
        assert!(msgs.iter().all(|m| m.complete));
    }

    #[test]
    fn bad_records_are_kept_with_an_error() {
        let msgs = read(
            "{\"body\": \"4111 1111 1111 1111\"\n[1, 2]\n{\"body\": 5}\n",
        );
        assert_eq!(msgs.len(), 3);
        assert_eq!(
            msgs[0].errors,
            ["line 1: not valid JSON (cut short at column 30)"]
        );
        assert_eq!(msgs[1].errors, ["line 2: not a JSON object"]);
        assert_eq!(msgs[2].errors, ["line 3: `body` is not a string"]);
        assert!(msgs.iter().all(|m| !m.complete && m.fields.is_empty()));
    }
}
