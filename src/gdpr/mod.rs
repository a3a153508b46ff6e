//! Data subject requests over a mail archive (SPEC section 7): access,
//! portability, erasure with legal holds, rectification.
//!
//! A [`Subject`] is given by its identifiers: addresses, phone numbers,
//! names. [`Matcher`] compiles them into a dynamic pack, so the engine
//! finds candidates at scanning speed, then keeps only exact matches:
//!
//! - an address matches case-insensitively as a whole address, so
//!   `malice@example.com` and `bob.alice@example.com` never match
//!   `alice@example.com`; sub-addresses (`alice+news@`) are other
//!   addresses and match only when listed;
//! - a phone number matches when its digits equal the identifier's,
//!   whatever the spacing and punctuation, and no digit touches it; give
//!   the national form too when the archive may use it;
//! - a name matches case-insensitively, its words separated by any white
//!   space, with no letter or digit touching it.
//!
//! [`erase`] and [`rectify`] copy an mbox: each message's raw bytes get
//! every match replaced; a message in which a match remains only in
//! encoded form (base64, quoted-printable, an encoded word) is rebuilt as
//! a plain text message of its redacted fields, headers `From`, `To`,
//! `Cc`, `Subject` and `Message-ID` kept (redacted), other parts
//! dropped, and listed as rebuilt. Messages under a legal hold are copied
//! unchanged and listed with their basis. A message too large to read
//! whole, or that cannot be decoded whole outside a hold, stops the
//! request with an error: it could not be copied or checked entirely.
//! Envelope (`From `) lines are written anew, as `From MAILER-DAEMON`
//! with the epoch date.
//!
//! [`export`] writes large answers in chunks with a SHA-256 manifest,
//! and resumes them after an interruption. [`requests`] keeps the
//! requests themselves in the store: identity
//! verification, excessive requests, duplicates, and what an erasure or
//! rectification owes recipients, backups and the audit log.

pub mod deadline;
pub mod export;
pub mod requests;

use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufRead, Write};

use serde::Serialize;

use crate::batch::record::with_scanned_fields;
use crate::engine::Engine;
use crate::mail::{Limits, Message, Source, mbox_messages};
use crate::rules::Pack;
use crate::scan::{Field, Span};

/// A data subject, by identifiers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Subject {
    /// Mail addresses.
    pub emails: Vec<String>,
    /// Phone numbers, in any format.
    pub phones: Vec<String>,
    /// Full names.
    pub names: Vec<String>,
}

/// An error of a request: bad identifiers, unreadable or unwritable
/// archives. It names the cause, never an identifier.
#[derive(Debug)]
pub struct GdprError(String);

impl fmt::Display for GdprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GdprError {}

impl From<crate::store::StoreError> for GdprError {
    fn from(e: crate::store::StoreError) -> GdprError {
        GdprError(e.to_string())
    }
}

impl From<io::Error> for GdprError {
    fn from(e: io::Error) -> GdprError {
        GdprError(e.to_string())
    }
}

/// What an identifier is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A mail address.
    Email,
    /// A phone number.
    Phone,
    /// A name.
    Name,
}

/// One exact match of an identifier in a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Hit {
    /// The field's index.
    pub field: usize,
    /// Bytes of the field.
    pub start: usize,
    /// End, exclusive.
    pub end: usize,
    /// What matched.
    pub kind: Kind,
}

/// Whether `s` is an address of the form `local@domain.tld`, as a
/// rectified address must be.
pub fn is_address(s: &str) -> bool {
    address_problem(s).is_none()
}

/// What keeps `s` from being an address of the form `local@domain.tld`,
/// in words that never quote it; `None` when it is one.
pub fn address_problem(s: &str) -> Option<&'static str> {
    let Some((local, domain)) = s.split_once('@') else {
        return Some("it has no @");
    };
    let atom = |c: char| c.is_alphanumeric() || "._%+-".contains(c);
    let label = |c: char| c.is_alphanumeric() || c == '.' || c == '-';
    if local.is_empty() {
        Some("nothing comes before the @")
    } else if !local.chars().all(atom) {
        Some("its local part holds a character an address cannot")
    } else if !domain.contains('.') {
        Some("its domain has no dot")
    } else if domain.starts_with('.') || domain.ends_with('.') {
        Some("its domain starts or ends with a dot")
    } else if !domain.chars().all(label) {
        Some("its domain holds a character a domain cannot")
    } else {
        None
    }
}

/// The characters of an address's local part (RFC 5322 `atext` and the
/// dot), as a regex class run: a candidate takes them all in, so that a
/// longer address (`bounce=alice@`) is never read as the subject's.
const LOCAL_RUN: &str = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]";

/// Whether `b` can stand in an address's local part.
fn is_local_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b)
}

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// A subject's identifiers compiled for scanning.
pub struct Matcher {
    engine: Engine,
    /// Each detector's kind and the identifier it stands for.
    detectors: Vec<(Kind, String)>,
}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Matcher")
            .field("identifiers", &self.detectors.len())
            .finish()
    }
}

impl Matcher {
    /// Compiles `subject`'s identifiers.
    ///
    /// # Errors
    ///
    /// When there is no identifier, an address is not an address, a phone
    /// number has fewer than 5 digits, or a name is empty.
    pub fn new(subject: &Subject) -> Result<Matcher, GdprError> {
        let mut toml = String::from(
            "[pack]\nname = \"subject\"\nnormalize = false\nfooters = false\n\
             scan_fields = [\"body\", \"subject\", \"address\"]\n\
             level_fields = [\"body\", \"subject\", \"address\"]\n\
             [[entity]]\nname = \"SUBJECT\"\nrank = 50\nmask = \"full\"\n",
        );
        let mut detectors = Vec::new();
        let mut add = |kind: Kind, value: &str, pattern: String| {
            let id = detectors.len();
            toml.push_str(&format!(
                "[[detector]]\nid = \"subject-{id}\"\nentity = \"SUBJECT\"\n\
                 pattern = '''{pattern}'''\nscore = 1.0\n"
            ));
            detectors.push((kind, value.to_string()));
        };
        for e in &subject.emails {
            if !is_address(e) {
                return Err(GdprError(
                    "an address identifier is not an address".into(),
                ));
            }
            let lit = regex_syntax::escape(e);
            let pattern = format!("(?i){LOCAL_RUN}*{lit}[A-Za-z0-9.-]*");
            add(Kind::Email, &e.to_lowercase(), pattern);
        }
        for p in &subject.phones {
            let d = digits(p);
            if d.len() < 5 {
                return Err(GdprError(
                    "a phone identifier has fewer than 5 digits".into(),
                ));
            }
            let sep = "[ ().-]{0,2}";
            let body: Vec<String> = d.chars().map(|c| c.to_string()).collect();
            add(Kind::Phone, &d, format!("\\+?\\(?{}", body.join(sep)));
        }
        for n in &subject.names {
            // Matched as its words with any white space between them.
            let words: Vec<&str> = n.split_whitespace().collect();
            if words.is_empty() {
                return Err(GdprError("a name identifier is empty".into()));
            }
            let escaped: Vec<String> =
                words.iter().map(|w| regex_syntax::escape(w)).collect();
            let pattern = format!("(?i){}", escaped.join("\\s+"));
            add(Kind::Name, &words.join(" ").to_lowercase(), pattern);
        }
        if detectors.is_empty() {
            return Err(GdprError(
                "no identifier of the subject was given".into(),
            ));
        }
        let pack = Pack::from_toml("<subject>", &toml).map_err(|e| {
            GdprError(format!("cannot compile the identifiers: {e}"))
        })?;
        let engine = Engine::new(pack).map_err(|e| {
            GdprError(format!("cannot compile the identifiers: {e}"))
        })?;
        Ok(Matcher { engine, detectors })
    }

    /// The exact matches in `fields`, sorted by field and start.
    pub fn hits(&self, fields: &[Field<'_>]) -> Vec<Hit> {
        let scan = self.engine.scan_fields(fields);
        let mut hits: Vec<Hit> = scan
            .findings
            .iter()
            .filter_map(|f| {
                let text = &fields[f.field].text;
                let (kind, value) = &self.detectors[f.detector];
                let span = exact(*kind, value, text, f.span)?;
                Some(Hit {
                    field: f.field,
                    start: span.start,
                    end: span.end,
                    kind: *kind,
                })
            })
            .collect();
        hits.sort_by_key(|h| (h.field, h.start));
        hits.dedup_by(|b, a| a.field == b.field && b.start < a.end);
        hits
    }
}

/// The part of a candidate that is exactly `value`, or `None`.
fn exact(kind: Kind, value: &str, text: &[u8], span: Span) -> Option<Span> {
    let found = std::str::from_utf8(&text[span.start..span.end]).ok()?;
    let before = text[..span.start].last().copied();
    let after = text.get(span.end).copied();
    match kind {
        Kind::Email => {
            // A sentence's final dot or dash is not the address's.
            let trimmed = found.trim_end_matches(['.', '-']);
            let ok = trimmed.to_lowercase() == *value
                && !before.is_some_and(is_local_char);
            ok.then(|| Span {
                start: span.start,
                end: span.start + trimmed.len(),
            })
        }
        Kind::Phone => {
            let ok = digits(found) == *value
                && !before.is_some_and(|b| b.is_ascii_digit())
                && !after.is_some_and(|b| b.is_ascii_digit());
            ok.then_some(span)
        }
        Kind::Name => {
            let words: Vec<&str> = found.split_whitespace().collect();
            let ok = words.join(" ").to_lowercase() == *value
                && !touches(text, span);
            ok.then_some(span)
        }
    }
}

/// Whether a letter or digit sits right before or after `span`. Reads at
/// most one character (four bytes) on each side.
fn touches(text: &[u8], span: Span) -> bool {
    let before = &text[span.start.saturating_sub(4)..span.start];
    let after = &text[span.end..(span.end + 4).min(text.len())];
    let last = before.utf8_chunks().last().and_then(|c| {
        if c.invalid().is_empty() {
            c.valid().chars().next_back()
        } else {
            None
        }
    });
    let first =
        after.utf8_chunks().next().and_then(|c| c.valid().chars().next());
    last.is_some_and(char::is_alphanumeric)
        || first.is_some_and(char::is_alphanumeric)
}

/// One message of an access or portability answer.
#[derive(Debug, Serialize)]
pub struct Mention {
    /// The message's id.
    pub id: String,
    /// Where it is.
    pub source: SourceOut,
    /// Its fields, as decoded text.
    pub fields: Vec<FieldOut>,
    /// Where the subject is mentioned.
    pub hits: Vec<Hit>,
}

/// A message's place in its archive.
#[derive(Debug, Serialize)]
pub struct SourceOut {
    /// The file.
    pub path: String,
    /// The message's index in it.
    pub index: usize,
}

/// A field of an answer.
#[derive(Debug, Serialize)]
pub struct FieldOut {
    /// Its name.
    pub name: String,
    /// Its text (invalid UTF-8 replaced).
    pub text: String,
}

/// The messages of `messages` that mention the subject, with their
/// fields: the copy of the data that an access request returns. With
/// `own_only`, the messages the subject sent (an address of theirs in
/// `from` or `sender_email`), for portability, with every address,
/// phone and name of someone else that `others` finds replaced by its
/// placeholder.
pub fn mentions(
    matcher: &Matcher,
    messages: impl Iterator<Item = Message>,
    others: Option<&Engine>,
) -> Vec<Mention> {
    let mut out = Vec::new();
    for m in messages {
        let hits = matcher.hits(&m.fields);
        let sent = hits.iter().any(|h| {
            h.kind == Kind::Email
                && matches!(&*m.fields[h.field].name, "from" | "sender_email")
        });
        if hits.is_empty() || (others.is_some() && !sent) {
            continue;
        }
        let fields = m
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let own: Vec<Hit> =
                    hits.iter().filter(|h| h.field == i).copied().collect();
                let text = match others {
                    Some(engine) => redact_others(engine, &f.text, &own),
                    None => f.text.to_vec(),
                };
                FieldOut {
                    name: f.name.to_string(),
                    text: String::from_utf8_lossy(&text).into_owned(),
                }
            })
            .collect();
        let id = crate::batch::record::message_id(&m).into_owned();
        out.push(Mention {
            id,
            source: SourceOut {
                path: m.source.path.to_string(),
                index: m.source.index,
            },
            fields,
            hits: if others.is_some() { Vec::new() } else { hits },
        });
    }
    out
}

/// `text` with what `engine` finds replaced, except the subject's own
/// identifiers (`own`).
fn redact_others(engine: &Engine, text: &[u8], own: &[Hit]) -> Vec<u8> {
    let scan = engine.scan(text);
    let keep =
        |s: Span| own.iter().any(|h| h.start < s.end && s.start < h.end);
    let findings: Vec<_> =
        scan.findings.into_iter().filter(|f| !keep(f.span)).collect();
    crate::protect::redact_keyless(engine, text, &findings)
}

/// What an access answer tells besides the data (Art. 15(1) and (2)),
/// from the controller's processing records of the subject.
#[derive(Debug, Serialize)]
pub struct AccessInformation {
    /// Why the data is processed.
    pub purposes: Vec<String>,
    /// On which legal bases.
    pub legal_bases: Vec<String>,
    /// Which categories of data.
    pub categories: Vec<String>,
    /// To whom it is disclosed, third countries included.
    pub recipients: Vec<String>,
    /// How long it is kept.
    pub retention: Vec<String>,
    /// Where it came from, when not from the subject.
    pub sources: Vec<String>,
    /// The subject's rights.
    pub rights: Vec<&'static str>,
    /// Automated decisions, profiling included: mailshield makes none.
    pub automated_decision_making: &'static str,
    /// The records themselves.
    pub records: Vec<crate::store::ProcessingRecord>,
}

/// The rights an answer names (Art. 15(1)(e) and (f)).
const RIGHTS: [&str; 5] = [
    "rectification (Art. 16)",
    "erasure (Art. 17)",
    "restriction of processing (Art. 18)",
    "objection (Art. 21)",
    "complaint to a supervisory authority (Art. 77)",
];

impl AccessInformation {
    /// The information of `records`, each list without repeats, in
    /// record order.
    pub fn new(records: Vec<crate::store::ProcessingRecord>) -> Self {
        fn push(list: &mut Vec<String>, v: &str) {
            if !list.iter().any(|x| x == v) {
                list.push(v.to_string());
            }
        }
        let mut info = AccessInformation {
            purposes: Vec::new(),
            legal_bases: Vec::new(),
            categories: Vec::new(),
            recipients: Vec::new(),
            retention: Vec::new(),
            sources: Vec::new(),
            rights: RIGHTS.to_vec(),
            automated_decision_making: "none",
            records: Vec::new(),
        };
        for r in &records {
            push(&mut info.purposes, &r.purpose);
            push(&mut info.legal_bases, &r.legal_basis);
            r.categories.iter().for_each(|c| push(&mut info.categories, c));
            r.recipients.iter().for_each(|c| push(&mut info.recipients, c));
            push(&mut info.retention, &r.retention);
            if let Some(src) = &r.source {
                push(&mut info.sources, src);
            }
        }
        info.records = records;
        info
    }
}

/// Message ids under a legal hold, each with its basis: lines of
/// `<message id><TAB><basis>`; blank lines and `#` comments skipped.
///
/// # Errors
///
/// A line without a tab, or with an empty id or basis (its number is
/// named).
pub fn read_holds(text: &str) -> Result<HashMap<String, String>, GdprError> {
    let mut holds = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((id, basis)) = line.split_once('\t') else {
            return Err(GdprError(format!(
                "holds line {}: no tab between id and basis",
                i + 1
            )));
        };
        let (id, basis) = (id.trim().trim_matches(['<', '>']), basis.trim());
        if id.is_empty() || basis.is_empty() {
            return Err(GdprError(format!(
                "holds line {}: empty id or basis",
                i + 1
            )));
        }
        holds.insert(id.to_string(), basis.to_string());
    }
    Ok(holds)
}

/// A held message of an erasure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Held {
    /// Its id.
    pub id: String,
    /// Its index in the archive.
    pub index: usize,
    /// Why it is kept.
    pub basis: String,
}

/// What an erasure or rectification did.
#[derive(Debug, Default, PartialEq, Eq, Serialize)]
pub struct Rewrite {
    /// Messages read.
    pub messages: usize,
    /// Ids of messages changed in place.
    pub changed: Vec<String>,
    /// Ids of messages rebuilt as plain text (a match was encoded).
    pub rebuilt: Vec<String>,
    /// Messages under a legal hold, copied unchanged.
    pub held: Vec<Held>,
}

/// Erasure: copies the mbox `input` to `out` with every match of the
/// subject replaced by `[REDACTED]`, except messages under `holds`.
///
/// # Errors
///
/// When the input cannot be read or the output written.
pub fn erase(
    matcher: &Matcher,
    input: impl BufRead,
    holds: &HashMap<String, String>,
    out: &mut impl Write,
) -> Result<Rewrite, GdprError> {
    rewrite(matcher, input, holds, b"[REDACTED]", out)
}

/// Rectification: as [`erase`], with the subject's addresses replaced by
/// `new_value`.
///
/// # Errors
///
/// As [`erase`]; when `matcher` holds identifiers other than addresses,
/// or `new_value` is not an address.
pub fn rectify(
    matcher: &Matcher,
    input: impl BufRead,
    new_value: &str,
    out: &mut impl Write,
) -> Result<Rewrite, GdprError> {
    if matcher.detectors.iter().any(|(k, _)| *k != Kind::Email) {
        return Err(GdprError(
            "rectification replaces addresses: give the old ones only".into(),
        ));
    }
    if let Some(problem) = address_problem(new_value) {
        return Err(GdprError(format!(
            "the new value is not a mail address: {problem}"
        )));
    }
    rewrite(matcher, input, &HashMap::new(), new_value.as_bytes(), out)
}

fn rewrite(
    matcher: &Matcher,
    input: impl BufRead,
    holds: &HashMap<String, String>,
    with: &[u8],
    out: &mut impl Write,
) -> Result<Rewrite, GdprError> {
    let mut report = Rewrite::default();
    let limits = Limits::default();
    for (index, raw) in mbox_messages(input, limits)?.enumerate() {
        let raw = raw?;
        report.messages += 1;
        // A message read only in part can be neither kept whole nor
        // checked whole: the request stops rather than lose or miss.
        if !raw.complete {
            return Err(GdprError(format!(
                "message {index} is larger than {} bytes and cannot be \
                 copied whole",
                limits.max_message
            )));
        }
        let source = Source { path: "-".into(), index };
        let parsed = Message::from_raw(&raw.bytes, source.clone(), &limits);
        let id = crate::batch::record::message_id(&parsed).into_owned();
        if !parsed.complete && !holds.contains_key(&id) {
            return Err(GdprError(format!(
                "message {index} cannot be decoded whole ({}), so its \
                 mentions cannot all be found",
                parsed.errors.join("; ")
            )));
        }
        let bytes = match holds.get(&id) {
            Some(basis) => {
                report.held.push(Held { id, index, basis: basis.clone() });
                raw.bytes
            }
            None => {
                let (bytes, how) = clean(matcher, &raw.bytes, with, &limits);
                match how {
                    Cleaned::Untouched => {}
                    Cleaned::Changed => report.changed.push(id),
                    Cleaned::Rebuilt => report.rebuilt.push(id),
                }
                bytes
            }
        };
        write_mbox_message(out, &bytes)?;
    }
    Ok(report)
}

enum Cleaned {
    Untouched,
    Changed,
    Rebuilt,
}

/// One message with its matches replaced by `with`.
fn clean(
    matcher: &Matcher,
    raw: &[u8],
    with: &[u8],
    limits: &Limits,
) -> (Vec<u8>, Cleaned) {
    // The raw bytes first: most mentions are there as they are.
    let (bytes, changed) = clean_text(matcher, raw, with);
    let source = Source { path: "-".into(), index: 0 };
    let m = Message::from_raw(&bytes, source, limits);
    let m = with_scanned_fields(&matcher.engine, m);
    if matcher.hits(&m.fields).is_empty() {
        let how = if changed { Cleaned::Changed } else { Cleaned::Untouched };
        return (bytes, how);
    }

    // A mention is encoded: rebuild the message from its fields.
    let mut out = Vec::new();
    let header = |name: &str| {
        m.fields.iter().find(|f| f.name == name).map(|f| f.text.to_vec())
    };
    for (name, field) in
        [("From", "from"), ("To", "to"), ("Cc", "cc"), ("Subject", "subject")]
    {
        if let Some(text) = header(field) {
            let (clean, _) = clean_text(matcher, &text, with);
            out.extend_from_slice(format!("{name}: ").as_bytes());
            out.extend(
                clean
                    .iter()
                    .map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b }),
            );
            out.push(b'\n');
        }
    }
    if let Some(id) = &m.id {
        out.extend_from_slice(format!("Message-ID: <{id}>\n").as_bytes());
    }
    out.extend_from_slice(
        b"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\
          Content-Transfer-Encoding: 8bit\nX-Mailshield-Erasure: rebuilt\n\n",
    );
    out.extend_from_slice(&clean_text(matcher, &m.text(), with).0);
    out.push(b'\n');
    (out, Cleaned::Rebuilt)
}

/// `text` with every match replaced by `with`, and whether there was one.
fn clean_text(matcher: &Matcher, text: &[u8], with: &[u8]) -> (Vec<u8>, bool) {
    let field = [Field::new("text", crate::rules::FieldRole::Body, text)];
    let hits = matcher.hits(&field);
    (replace(text, &hits, with), !hits.is_empty())
}

/// `text` with each hit replaced by `with`.
fn replace(text: &[u8], hits: &[Hit], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut at = 0;
    for h in hits {
        out.extend_from_slice(&text[at..h.start]);
        out.extend_from_slice(with);
        at = h.end;
    }
    out.extend_from_slice(&text[at..]);
    out
}

/// Writes one message to an mboxrd file.
fn write_mbox_message(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    out.write_all(b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n")?;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        let quoted = line
            .iter()
            .position(|&b| b != b'>')
            .is_some_and(|i| line[i..].starts_with(b"From "));
        if quoted {
            out.write_all(b">")?;
        }
        out.write_all(line)?;
    }
    if !bytes.ends_with(b"\n") {
        out.write_all(b"\n")?;
    }
    out.write_all(b"\n")
}
