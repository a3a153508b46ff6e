//! The guide's sequential rewrite, exactly, from one scan.
//!
//! The guide sanitizes type by type: each pattern runs on the text the
//! previous types already rewrote, and every match becomes
//! `[TYPE_REDACTED]`. Re-running every pattern on every intermediate text
//! would cost a full scan per type. Instead the matches on the original
//! text are reused wherever the rewrite cannot have changed them: a
//! match consists of characters its pattern can consume, so it lies in a
//! maximal run of such characters, and a run that neither touches nor
//! holds a placeholder reads exactly as it did. Only the runs next to a
//! placeholder are searched again, in the rewritten text.

use crate::engine::python::{contains, decode};
use crate::engine::{Inner, Scratch};
use crate::scan::Span;
use crate::scan::core::{char_start, raw_matches, raw_scan};

/// One replacement, in original and in current coordinates.
#[derive(Clone, Copy, Debug)]
struct Edit {
    orig: Span,
    cur: Span,
}

/// Rewrites `text` as the guide's `sanitize_content` does and appends
/// `Replaced N TYPE instances` lines to `log`.
pub(crate) fn rewrite(
    inner: &Inner,
    scratch: &mut Scratch,
    text: &[u8],
    log: &mut Vec<String>,
) -> Vec<u8> {
    let mut original: Vec<Vec<Span>> = vec![Vec::new(); inner.detectors.len()];
    for (d, span) in raw_scan(inner, scratch, text, true) {
        original[d].push(span);
    }
    let mut cur = text.to_vec();
    let mut edits: Vec<Edit> = Vec::new();
    for (d, det) in inner.detectors.iter().enumerate() {
        let matches = if edits.is_empty() {
            let mut m = std::mem::take(&mut original[d]);
            m.sort();
            m
        } else {
            let windows = windows(&cur, &edits, &det.run_class);
            let mut m: Vec<Span> = original[d]
                .iter()
                .filter_map(|&s| to_current(&edits, s))
                .filter(|s| {
                    !windows.iter().any(|w| w.start < s.end && s.start < w.end)
                })
                .collect();
            for w in &windows {
                m.extend(raw_matches(
                    inner,
                    scratch,
                    d,
                    &cur,
                    w.start..w.end,
                    true,
                ));
            }
            m.sort();
            m
        };
        if matches.is_empty() {
            continue;
        }
        let name = &inner.pack.entities[det.entity].name;
        log.push(format!("Replaced {} {} instances", matches.len(), name));
        let placeholder = format!("[{name}_REDACTED]");
        (cur, edits) = apply(&cur, &edits, &matches, placeholder.as_bytes());
    }
    cur
}

/// Maps a span of the original text into the current text; `None` when a
/// replacement touched it.
fn to_current(edits: &[Edit], s: Span) -> Option<Span> {
    let mut shift: isize = 0;
    for e in edits {
        if e.orig.end <= s.start {
            shift += e.cur.len() as isize - e.orig.len() as isize;
        } else if e.orig.start < s.end {
            return None;
        } else {
            break;
        }
    }
    let at = |x: usize| (x as isize + shift) as usize;
    Some(Span { start: at(s.start), end: at(s.end) })
}

/// The maximal runs of `class` characters around every placeholder of the
/// current text, merged.
fn windows(
    cur: &[u8],
    edits: &[Edit],
    class: &regex_syntax::hir::ClassUnicode,
) -> Vec<Span> {
    let member = |c: Option<u32>| {
        c.and_then(char::from_u32).is_some_and(|c| contains(class, c))
    };
    let mut out: Vec<Span> = Vec::new();
    for e in edits {
        let mut start = e.cur.start;
        while start > 0 {
            let prev = char_start(cur, start);
            if !member(decode(cur, prev).0) {
                break;
            }
            start = prev;
        }
        let mut end = e.cur.end;
        while end < cur.len() {
            let (c, len) = decode(cur, end);
            if !member(c) {
                break;
            }
            end += len;
        }
        match out.last_mut() {
            Some(last) if start <= last.end => last.end = last.end.max(end),
            _ => out.push(Span { start, end }),
        }
    }
    out
}

/// Replaces `matches` (current coordinates, sorted, disjoint) by
/// `placeholder`, returning the new text and the merged edit list.
fn apply(
    cur: &[u8],
    edits: &[Edit],
    matches: &[Span],
    placeholder: &[u8],
) -> (Vec<u8>, Vec<Edit>) {
    // Original coordinates of a current position outside placeholders.
    let to_orig = |x: usize| -> usize {
        let mut shift: isize = 0;
        for e in edits {
            if e.cur.end <= x {
                shift += e.orig.len() as isize - e.cur.len() as isize;
            } else {
                break;
            }
        }
        (x as isize + shift) as usize
    };
    let mut out = Vec::with_capacity(cur.len());
    let mut new_edits: Vec<Edit> = Vec::new();
    let mut copied = 0;
    let mut old = edits.iter().peekable();
    for m in matches {
        // Earlier edits that end before this match keep their place.
        while let Some(e) = old.next_if(|e| e.cur.end <= m.start) {
            let shift = out.len() as isize - copied as isize;
            let at = |x: usize| (x as isize + shift) as usize;
            new_edits.push(Edit {
                orig: e.orig,
                cur: Span { start: at(e.cur.start), end: at(e.cur.end) },
            });
        }
        out.extend_from_slice(&cur[copied..m.start]);
        // A match that swallows earlier placeholders merges with them.
        let mut orig = Span { start: to_orig(m.start), end: to_orig(m.end) };
        while let Some(e) = old.next_if(|e| e.cur.start < m.end) {
            orig.start = orig.start.min(e.orig.start);
            orig.end = orig.end.max(e.orig.end);
        }
        let start = out.len();
        out.extend_from_slice(placeholder);
        new_edits.push(Edit { orig, cur: Span { start, end: out.len() } });
        copied = m.end;
    }
    let shift = out.len() as isize - copied as isize;
    for e in old {
        let at = |x: usize| (x as isize + shift) as usize;
        new_edits.push(Edit {
            orig: e.orig,
            cur: Span { start: at(e.cur.start), end: at(e.cur.end) },
        });
    }
    out.extend_from_slice(&cur[copied..]);
    (out, new_edits)
}
