//! Streaming: one message fed in pieces, the same findings as one call.
//!
//! A [`StreamScanner`] keeps a window of the message: the bytes not yet
//! final, and enough history before them for every look-back the engine
//! does (a run growing left, a context window, a word boundary). Each time
//! the window holds more than the pack's longest match past the last final
//! point, it scans the window from a region start that no run, keyword or
//! folded form can cross (the byte before it is a separator no detector
//! consumes, such as a line break), and keeps the findings that end before
//! the new safe point. Nothing that ends after the safe point is final:
//! it is found again, whole, in the next window. So offsets are global to
//! the message, results equal [`Engine::scan`] on the whole message, and
//! the redacted output ([`StreamScanner::redacted`]) never emits the first
//! part of a value a seam cut.
//!
//! Memory is bounded by the window: about twice the pack's longest match
//! plus the largest piece fed.
//!
//! Limitations: the `seed` pack is one-shot (the guide scans whole
//! bodies). A finding longer than the pack's longest match, or a stretch
//! longer than the history without any separator, makes the result
//! incomplete with an error rather than silently cut. Keywords in a
//! disclaimer are judged with the text the window holds after them (the
//! pack's longest match), which is enough unless a footer paragraph is
//! longer than that.

use std::ops::Deref;

use crate::engine::Engine;
use crate::rules::{FieldRole, RedactionMode, Semantics};

use super::{Field, Finding, KeywordHit, Scan, Span};

/// History kept before the final point beyond the longest match: context
/// windows look back at most this far.
const LOOK_BACK: usize = 512;

/// Look-ahead kept after a match: word boundaries and isolation checks
/// read a few bytes past a value.
const LOOK_AHEAD: usize = 64;

/// An error starting a stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamError {
    reason: String,
}

impl std::fmt::Display for StreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for StreamError {}

/// Scans one message fed in pieces. See the [module documentation](self).
///
/// `E` is how the scanner holds its engine: a reference, or an
/// `Arc<Engine>` for a scanner that must not borrow (the C ABI's).
#[derive(Debug)]
pub struct StreamScanner<E: Deref<Target = Engine>> {
    engine: E,
    role: FieldRole,
    /// Bytes from `base` on.
    buf: Vec<u8>,
    base: usize,
    /// Everything before this global offset is final.
    done: usize,
    /// Redacted output has been written up to here.
    emitted: usize,
    /// Final findings not yet redacted into output.
    unredacted: Vec<Finding>,
    /// Whether redacted output is being taken (then the window keeps what
    /// is not yet written).
    redacting: bool,
    scan: Scan,
    separators: [bool; 256],
}

impl<E: Deref<Target = Engine>> StreamScanner<E> {
    /// Starts a stream of one field of `role` (normally a body) that
    /// collects findings.
    ///
    /// # Errors
    ///
    /// When the engine's pack is one-shot (python semantics or sequential
    /// redaction, as the `seed` pack).
    pub fn new(
        engine: E,
        role: FieldRole,
    ) -> Result<StreamScanner<E>, StreamError> {
        Self::start(engine, role, false)
    }

    /// Starts a stream that also writes the redacted message
    /// ([`StreamScanner::redacted`]); it keeps the bytes not yet written.
    ///
    /// # Errors
    ///
    /// As [`StreamScanner::new`].
    pub fn redacting(
        engine: E,
        role: FieldRole,
    ) -> Result<StreamScanner<E>, StreamError> {
        Self::start(engine, role, true)
    }

    fn start(
        engine: E,
        role: FieldRole,
        redacting: bool,
    ) -> Result<StreamScanner<E>, StreamError> {
        let pack = engine.pack();
        let separators = engine.inner().separators();
        if pack.semantics == Semantics::Python
            || pack.redaction.mode == RedactionMode::Sequential
        {
            return Err(StreamError {
                reason: format!(
                    "pack `{}` is one-shot: it scans whole bodies",
                    pack.name
                ),
            });
        }
        Ok(StreamScanner {
            engine,
            role,
            buf: Vec::new(),
            base: 0,
            done: 0,
            emitted: 0,
            unredacted: Vec::new(),
            redacting,
            scan: Scan { complete: true, ..Scan::default() },
            separators,
        })
    }

    fn longest(&self) -> usize {
        self.engine.pack().max_match_len
    }

    /// Feeds the next piece of the message.
    pub fn feed(&mut self, piece: &[u8]) {
        self.buf.extend_from_slice(piece);
        let hold = self.longest() + LOOK_AHEAD;
        if self.buf.len() > 2 * (hold + LOOK_BACK)
            && self.base + self.buf.len() - hold > self.done
        {
            self.step(false);
        }
    }

    /// Final findings so far (global offsets, sorted).
    pub fn findings(&self) -> &[Finding] {
        &self.scan.findings
    }

    /// Final keyword hits so far (global offsets, sorted).
    pub fn keywords(&self) -> &[KeywordHit] {
        &self.scan.keywords
    }

    /// The final point: every finding and keyword found from now on
    /// starts at or after this global offset.
    pub fn final_offset(&self) -> usize {
        self.done
    }

    /// Appends the redacted message up to the last point that is final;
    /// placeholders only, whole values only. Writes nothing on a scanner
    /// not made by [`StreamScanner::redacting`].
    pub fn redacted(&mut self, out: &mut Vec<u8>) {
        if !self.redacting {
            return;
        }
        let upto = self.done;
        let mut findings = std::mem::take(&mut self.unredacted);
        findings.retain(|f| {
            if f.span.end <= upto {
                return true;
            }
            self.unredacted.push(*f);
            false
        });
        let mut at = self.emitted;
        for f in &findings {
            let start = f.span.start.max(at);
            out.extend_from_slice(
                &self.buf[at - self.base..start - self.base],
            );
            out.push(b'[');
            out.extend_from_slice(
                self.engine.entity_name(f.entity).as_bytes(),
            );
            out.extend_from_slice(b"_REDACTED]");
            at = f.span.end;
        }
        if upto > at {
            out.extend_from_slice(&self.buf[at - self.base..upto - self.base]);
            at = upto;
        }
        self.emitted = at;
    }

    /// Ends the stream: scans what is left and returns the whole result.
    pub fn finish(mut self) -> Scan {
        self.step(true);
        self.scan
    }

    /// Ends the stream and appends the rest of the redacted message.
    pub fn finish_redacted(mut self, out: &mut Vec<u8>) -> Scan {
        self.step(true);
        self.redacted(out);
        self.scan
    }

    /// Scans the window and moves the final point forward.
    fn step(&mut self, last: bool) {
        let end = self.base + self.buf.len();
        let hold = self.longest() + LOOK_AHEAD;
        let safe = if last { end } else { end.saturating_sub(hold) };
        if safe <= self.done && !last {
            return;
        }

        // A region start nothing crosses: just after a separator, and no
        // later than the final point (no held finding starts before it).
        let want = self
            .done
            .saturating_sub(self.longest() + LOOK_BACK)
            .max(self.base);
        // The byte before `base` is forgotten: `base` itself qualifies only
        // as the message's start.
        let region = match (want..=self.done).rev().find(|&p| {
            p == 0
                || (p > self.base
                    && self.separators
                        [usize::from(self.buf[p - 1 - self.base])])
        }) {
            Some(p) => p,
            None => {
                self.incomplete(format!(
                    "{} bytes without a separator exceed the streaming window",
                    self.done - want
                ));
                want
            }
        };

        // Scan the region as a field of its own.
        let text = &self.buf[region - self.base..];
        let field = [Field::new("body", self.role, text)];
        let found = self.engine.scan_fields(&field);
        let shift =
            |s: Span| Span { start: s.start + region, end: s.end + region };
        // The new final point: the safe point, or the start of a finding
        // that runs past it, whichever is first.
        let mut next = if last { end } else { safe };
        for f in &found.findings {
            let (start, end) = (f.span.start + region, f.span.end + region);
            if start >= self.done && !last && end > safe {
                next = next.min(start);
            }
        }
        for mut f in found.findings {
            f.span = shift(f.span);
            if f.span.start >= self.done && f.span.end <= next {
                self.scan.findings.push(f);
                self.unredacted.push(f);
            }
        }
        for mut k in found.keywords {
            k.span = shift(k.span);
            if k.span.start >= self.done && k.span.start < next {
                self.scan.keywords.push(KeywordHit { field: 0, ..k });
            }
        }
        for e in found.errors {
            self.incomplete(e);
        }
        self.done = self.done.max(next);

        // Forget what no later window needs.
        let mut keep = self.done.saturating_sub(self.longest() + LOOK_BACK);
        if self.redacting {
            keep = keep.min(self.emitted);
        }
        let keep = keep.max(self.base);
        self.buf.drain(..keep - self.base);
        self.base = keep;
    }

    fn incomplete(&mut self, error: String) {
        self.scan.complete = false;
        if !self.scan.errors.contains(&error) {
            self.scan.errors.push(error);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_stretch_without_separators_is_incomplete_not_a_panic() {
        // 40 KB of one letter: the window moves past its own start with
        // no separator to begin a region at.
        let engine = Engine::builtin("default").unwrap();
        for piece in [1, 1000] {
            let mut s = StreamScanner::new(&engine, FieldRole::Body).unwrap();
            for chunk in vec![b'x'; 40_000].chunks(piece) {
                s.feed(chunk);
            }
            let scan = s.finish();
            assert!(!scan.complete, "pieces of {piece}");
            assert!(
                scan.errors[0].ends_with(
                    "bytes without a separator exceed the streaming window"
                ),
                "{:?}",
                scan.errors
            );
        }
    }

    fn message() -> Vec<u8> {
        let mut m = Vec::new();
        for i in 0..60 {
            m.extend_from_slice(
                format!(
                    "Line {i}: call 415-555-{:04} or mail user{i}@example.com; card \
                     4111 1111 1111 1111, SSN 536-90-1234.\n",
                    i * 7
                )
                .as_bytes(),
            );
            if i % 9 == 0 {
                m.extend_from_slice(
                    b"-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf\n-----END RSA PRIVATE KEY-----\n",
                );
            }
        }
        m
    }

    #[test]
    fn every_chunking_finds_what_one_call_finds() {
        let mut pack = crate::rules::Pack::builtin("default").unwrap();
        // A small window so that these few kilobytes cross many seams.
        pack.max_match_len = 256;
        let engine = Engine::new(pack).unwrap();
        let text = message();
        let whole = engine.scan(&text);
        assert!(whole.findings.len() > 200);
        for piece in [1, 7, 64, 333, 1000, text.len()] {
            let mut s =
                StreamScanner::redacting(&engine, FieldRole::Body).unwrap();
            let mut out = Vec::new();
            for chunk in text.chunks(piece) {
                s.feed(chunk);
                s.redacted(&mut out);
            }
            let got = s.finish_redacted(&mut out);
            let first_diff = got
                .findings
                .iter()
                .zip(&whole.findings)
                .position(|(a, b)| a != b);
            assert!(
                got.findings == whole.findings,
                "piece {piece}: {} vs {} findings, first difference at {first_diff:?}: {:?} vs {:?}",
                got.findings.len(),
                whole.findings.len(),
                first_diff.map(|i| got.findings[i]),
                first_diff.map(|i| whole.findings[i]),
            );
            assert_eq!(got.keywords, whole.keywords, "piece {piece}");
            let mut want = Vec::new();
            crate::protect::redact(
                &engine,
                &text,
                &whole.findings,
                None,
                &mut want,
            )
            .unwrap();
            assert_eq!(out, want, "piece {piece}");
        }
    }

    #[test]
    fn seed_pack_is_one_shot() {
        let engine = Engine::builtin("seed").unwrap();
        let e = StreamScanner::new(&engine, FieldRole::Body).unwrap_err();
        assert_eq!(
            e.to_string(),
            "pack `seed` is one-shot: it scans whole bodies"
        );
    }
}
