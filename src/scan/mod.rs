//! Finding spans: what a message holds, field by field.
//!
//! [`Engine::scan`] scans one text; [`Engine::scan_fields`] scans the
//! fields of a message (body parts, subject, address headers), each as its
//! own buffer with its own offsets. A [`Scan`] holds the [`Finding`]s (an
//! entity type, a field, a byte span, a score and whether a validator
//! confirmed it) and the [`KeywordHit`]s.
//!
//! Under packs with single-pass redaction (the `default` pack) overlapping
//! findings are merged first (see [`overlap`]), so findings are disjoint
//! within a field; fields that hold forms the normalised view folds are
//! scanned through the view ([`view`]) with spans mapped back. Under the
//! `seed` pack findings are each type's matches, as the guide's classify
//! finds them, and may overlap across types.
//!
//! Spans are byte offsets into the field's bytes. Invalid UTF-8 never
//! panics: a byte that is not part of a valid character is a character of
//! its own that no class holds.

mod context;
pub(crate) mod core;
mod footer;
mod overlap;
pub mod stream;
pub(crate) mod view;

use std::borrow::Cow;

use crate::engine::Engine;
use crate::rules::{FieldRole, RedactionMode};

pub use stream::{StreamError, StreamScanner};

/// A half-open byte range `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether the span is empty.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// One piece of personal data or secret found.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Finding {
    /// Index into the pack's entities ([`Engine::entity_name`]).
    pub entity: usize,
    /// Index into the pack's detectors.
    pub detector: usize,
    /// Index of the field it was found in.
    pub field: usize,
    /// Byte span in that field.
    pub span: Span,
    /// Score in [0, 1] after context.
    pub score: f32,
    /// A validator confirmed it (Luhn, issuing rules, mod-97, ...).
    pub validated: bool,
}

/// One keyword found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeywordHit {
    /// Index into the pack's keyword lists.
    pub list: usize,
    /// Index of the keyword in its list.
    pub word: usize,
    /// Index of the field it was found in.
    pub field: usize,
    /// Byte span in that field.
    pub span: Span,
    /// It stands in a disclaimer footer and does not set the level.
    pub in_footer: bool,
}

/// One field of a message.
#[derive(Clone, Debug)]
pub struct Field<'a> {
    /// Its name: `body`, `body.1`, `subject`, `from`, `sender_email`, ...
    pub name: Cow<'a, str>,
    /// What kind of field it is.
    pub role: FieldRole,
    /// Its decoded bytes (UTF-8 expected).
    pub text: Cow<'a, [u8]>,
}

impl<'a> Field<'a> {
    /// A field borrowing its text.
    pub fn new(name: &'a str, role: FieldRole, text: &'a [u8]) -> Field<'a> {
        Field { name: Cow::Borrowed(name), role, text: Cow::Borrowed(text) }
    }

    /// The same field owning its name and text.
    pub fn into_owned(self) -> Field<'static> {
        Field {
            name: Cow::Owned(self.name.into_owned()),
            role: self.role,
            text: Cow::Owned(self.text.into_owned()),
        }
    }
}

/// What scanning a message found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scan {
    /// Findings, sorted by field and start.
    pub findings: Vec<Finding>,
    /// Keywords, sorted by field and start.
    pub keywords: Vec<KeywordHit>,
    /// Every byte of every scanned field was scanned.
    pub complete: bool,
    /// Problems that did not stop the scan (no values in them).
    pub errors: Vec<String>,
}

/// A table of `len` entries, all `T::default()`: `small` (which must be
/// all default) when it is long enough, the usual case, else `large`.
/// For per-message tables on a hot path that should not allocate.
pub(crate) fn table<'a, T: Copy + Default>(
    len: usize,
    small: &'a mut [T; 64],
    large: &'a mut Vec<T>,
) -> &'a mut [T] {
    if len <= small.len() {
        &mut small[..len]
    } else {
        large.resize(len, T::default());
        large
    }
}

impl Scan {
    /// Findings per entity index, non-zero counts only, in the order the
    /// pack's detectors first name each entity (the guide's order for the
    /// `seed` pack).
    pub fn counts(&self, engine: &Engine) -> Vec<(usize, usize)> {
        // PERF: the command line counts every message twice; the
        // allocation was 1% of its time (perf, BENCHMARKS.md).
        let (mut small, mut large) = ([0usize; 64], Vec::new());
        let types = engine.pack().entities.len();
        let counts = table(types, &mut small, &mut large);
        for f in &self.findings {
            counts[f.entity] += 1;
        }
        engine
            .entity_order()
            .iter()
            .filter(|&&e| counts[e] > 0)
            .map(|&e| (e, counts[e]))
            .collect()
    }
}

impl Engine {
    /// Scans one text as a message whose only field is `body`.
    ///
    /// Linear in the text. Never panics, whatever the bytes.
    ///
    /// # Example
    ///
    /// ```
    /// use mailshield::engine::Engine;
    ///
    /// let engine = Engine::builtin("default").unwrap();
    /// let scan = engine.scan(b"SSN: 536-90-1234");
    /// let f = &scan.findings[0];
    /// assert_eq!(engine.entity_name(f.entity), "SSN");
    /// assert_eq!((f.span.start, f.span.end), (5, 16));
    /// ```
    pub fn scan(&self, text: &[u8]) -> Scan {
        self.scan_fields(&[Field::new("body", FieldRole::Body, text)])
    }

    /// Scans the fields of one message. Fields whose role the pack does
    /// not scan are skipped; field indexes in the result are positions in
    /// `fields`.
    pub fn scan_fields(&self, fields: &[Field<'_>]) -> Scan {
        let inner = self.inner();
        let pack = &inner.pack;
        let mut scratch = self.scratch();
        let mut scan = Scan { complete: true, ..Scan::default() };
        let mut view = view::View::default();
        for (i, field) in fields.iter().enumerate() {
            if !pack.scans(field.role) {
                continue;
            }
            let text: &[u8] = &field.text;
            let mut found = core::Found::default();
            let direct = core::scan_text(
                inner,
                &mut scratch,
                text,
                i,
                pack.normalize,
                &mut found,
            );
            if direct.is_err() {
                found = core::Found::default();
                view.build(text);
                let _ = core::scan_text(
                    inner,
                    &mut scratch,
                    &view.text,
                    i,
                    false,
                    &mut found,
                );
                for f in &mut found.findings {
                    f.span = Span {
                        start: view.map_start(f.span.start),
                        end: view.map_end(f.span.end),
                    };
                }
                for k in &mut found.keywords {
                    k.span = Span {
                        start: view.map_start(k.span.start),
                        end: view.map_end(k.span.end),
                    };
                }
            }
            for &d in &found.overlong {
                scan.complete = false;
                scan.errors.push(format!(
                    "{}: a candidate of detector `{}` is longer than the pack's \
                     longest match ({} bytes)",
                    field.name, pack.detectors[d].id, pack.max_match_len
                ));
            }
            if pack.footers && field.role == FieldRole::Body {
                let mut footers = footer::Footers::new(text);
                for k in &mut found.keywords {
                    k.in_footer = footers.contains(k.span);
                }
            }
            if pack.redaction.mode == RedactionMode::SinglePass {
                overlap::resolve(&mut found.findings, &pack.entities);
            } else {
                found
                    .findings
                    .sort_by_key(|f| (f.span.start, f.span.end, f.entity));
            }
            found.keywords.sort_by_key(|k| (k.span.start, k.list));
            scan.findings.append(&mut found.findings);
            scan.keywords.append(&mut found.keywords);
        }
        scan
    }

    /// Entity indexes in the order the pack's detectors first name them,
    /// then the entities no detector names.
    pub fn entity_order(&self) -> &[usize] {
        &self.inner().entity_order
    }

    /// The name of an entity index (`SSN`).
    ///
    /// # Panics
    ///
    /// When `entity` is not an index into this engine's pack entities.
    pub fn entity_name(&self, entity: usize) -> &str {
        &self.pack().entities[entity].name
    }
}

#[doc(hidden)]
pub fn debug_marks(engine: &Engine, text: &[u8]) -> (usize, usize) {
    let c = &engine.inner().classifier;
    let (mut s, mut p) = (0, 0);
    let mut at = 0;
    while at < text.len() {
        let m = c.block(text, at);
        s += m.singles.count_ones() as usize;
        p += m.pairs.count_ones() as usize;
        at += 64;
    }
    (s, p)
}
#[doc(hidden)]
pub fn debug_pairs(engine: &Engine) -> String {
    format!(
        "{:?}",
        engine
            .inner()
            .classifier
            .pairs
            .iter()
            .map(|g| (g.first as char, g.fold, g.word_start, g.rest.len()))
            .collect::<Vec<_>>()
    )
}
