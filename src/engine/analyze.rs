//! What a compiled pattern needs to see before it can match.
//!
//! The engine never runs a detector's automaton over a whole field when it
//! can avoid it. These functions read a pattern's HIR and say what every
//! match must contain: the characters it can consume at all (its run
//! class), how many characters of a set it consumes at least, and the byte
//! strings every match starts with. The engine turns that into triggers:
//! cheap candidate searches after which the automaton runs only on a small
//! region.

use regex_syntax::hir::{
    Class, ClassUnicode, ClassUnicodeRange, Hir, HirKind,
};

use super::python::contains;

/// Every character any match of `hir` can consume. Bytes of byte classes
/// at or above 0x80 widen the set to all non-ASCII characters.
pub(crate) fn consumed(hir: &Hir) -> ClassUnicode {
    let mut out = ClassUnicode::empty();
    walk_consumed(hir, &mut out);
    out
}

fn non_ascii() -> ClassUnicode {
    ClassUnicode::new([ClassUnicodeRange::new('\u{80}', '\u{10FFFF}')])
}

fn walk_consumed(hir: &Hir, out: &mut ClassUnicode) {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(lit) => {
            for c in String::from_utf8_lossy(&lit.0).chars() {
                out.push(ClassUnicodeRange::new(c, c));
            }
            if lit.0.iter().any(|&b| b >= 0x80) {
                out.union(&non_ascii());
            }
        }
        HirKind::Class(Class::Unicode(c)) => out.union(c),
        HirKind::Class(Class::Bytes(c)) => {
            for r in c.ranges() {
                let hi = r.end().min(0x7F);
                if r.start() <= hi {
                    out.push(ClassUnicodeRange::new(
                        char::from(r.start()),
                        char::from(hi),
                    ));
                }
                if r.end() >= 0x80 {
                    out.union(&non_ascii());
                }
            }
        }
        HirKind::Repetition(r) => walk_consumed(&r.sub, out),
        HirKind::Capture(c) => walk_consumed(&c.sub, out),
        HirKind::Concat(hs) | HirKind::Alternation(hs) => {
            for h in hs {
                walk_consumed(h, out);
            }
        }
    }
}

/// Whether every character of `class` is in `set`.
fn subset(class: &Class, set: &ClassUnicode) -> bool {
    match class {
        Class::Unicode(c) => {
            let mut rest = c.clone();
            rest.difference(set);
            rest.ranges().is_empty() && !c.ranges().is_empty()
        }
        Class::Bytes(c) => {
            !c.ranges().is_empty()
                && c.ranges().iter().all(|r| {
                    r.end() < 0x80
                        && (r.start()..=r.end())
                            .all(|b| contains(set, char::from(b)))
                })
        }
    }
}

/// The least number of characters from `set` that any match consumes.
pub(crate) fn min_count(hir: &Hir, set: &ClassUnicode) -> usize {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => 0,
        HirKind::Literal(lit) => String::from_utf8_lossy(&lit.0)
            .chars()
            .filter(|&c| contains(set, c))
            .count(),
        HirKind::Class(c) => usize::from(subset(c, set)),
        HirKind::Repetition(r) => {
            (r.min as usize).saturating_mul(min_count(&r.sub, set))
        }
        HirKind::Capture(c) => min_count(&c.sub, set),
        HirKind::Concat(hs) => hs.iter().map(|h| min_count(h, set)).sum(),
        HirKind::Alternation(hs) => {
            hs.iter().map(|h| min_count(h, set)).min().unwrap_or(0)
        }
    }
}

/// Whether every character any match of `hir` consumes is in `set`.
fn pure(hir: &Hir, set: &ClassUnicode) -> bool {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => true,
        HirKind::Literal(lit) => {
            String::from_utf8_lossy(&lit.0).chars().all(|c| contains(set, c))
        }
        HirKind::Class(c) => subset(c, set),
        HirKind::Repetition(r) => pure(&r.sub, set),
        HirKind::Capture(c) => pure(&c.sub, set),
        HirKind::Concat(hs) | HirKind::Alternation(hs) => {
            hs.iter().all(|h| pure(h, set))
        }
    }
}

/// A lower bound on the longest streak of consecutive characters from
/// `set` in any match: a run whose longest streak is shorter cannot hold
/// a match.
pub(crate) fn min_streak(hir: &Hir, set: &ClassUnicode) -> usize {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => 0,
        HirKind::Literal(lit) => {
            let (mut best, mut cur) = (0, 0);
            for c in String::from_utf8_lossy(&lit.0).chars() {
                cur = if contains(set, c) { cur + 1 } else { 0 };
                best = best.max(cur);
            }
            best
        }
        HirKind::Class(c) => usize::from(subset(c, set)),
        HirKind::Repetition(r) if pure(&r.sub, set) => {
            (r.min as usize).saturating_mul(min_count(&r.sub, set))
        }
        HirKind::Repetition(r) if r.min > 0 => min_streak(&r.sub, set),
        HirKind::Repetition(_) => 0,
        HirKind::Capture(c) => min_streak(&c.sub, set),
        HirKind::Alternation(hs) => {
            hs.iter().map(|h| min_streak(h, set)).min().unwrap_or(0)
        }
        HirKind::Concat(hs) => {
            // Consecutive pure elements join into one streak.
            let (mut best, mut cur) = (0, 0);
            for h in hs {
                if pure(h, set) {
                    cur += min_count(h, set);
                    best = best.max(cur);
                } else {
                    cur = 0;
                    best = best.max(min_streak(h, set));
                }
            }
            best
        }
    }
}

/// Whether every match of `hir` begins with a word-boundary assertion.
pub(crate) fn opens_with_word_boundary(hir: &Hir) -> bool {
    use regex_syntax::hir::Look;
    match hir.kind() {
        HirKind::Look(l) => matches!(
            l,
            Look::WordAscii
                | Look::WordUnicode
                | Look::WordStartAscii
                | Look::WordStartUnicode
        ),
        HirKind::Capture(c) => opens_with_word_boundary(&c.sub),
        HirKind::Concat(hs) => {
            hs.first().is_some_and(opens_with_word_boundary)
        }
        HirKind::Alternation(hs) => hs.iter().all(opens_with_word_boundary),
        _ => false,
    }
}

/// A bound on the number of prefixes [`prefixes`] tracks.
const MAX_PREFIXES: usize = 256;

/// A class with more characters than this ends prefix expansion.
const MAX_CLASS_FANOUT: usize = 16;

#[derive(Clone)]
struct Prefix {
    bytes: Vec<u8>,
    open: bool,
}

/// Byte strings of at most `k` bytes such that every match starts with
/// one of them; `None` when there would be too many to be useful.
///
/// A string shorter than `k` means the match can end there or the next
/// character was too varied to follow.
pub(crate) fn prefixes(hir: &Hir, k: usize) -> Option<Vec<Vec<u8>>> {
    let start = vec![Prefix { bytes: Vec::new(), open: true }];
    let mut out: Vec<Vec<u8>> =
        expand(hir, start, k)?.into_iter().map(|p| p.bytes).collect();
    out.sort();
    out.dedup();
    Some(out)
}

fn expand(hir: &Hir, set: Vec<Prefix>, k: usize) -> Option<Vec<Prefix>> {
    if set.iter().all(|p| !p.open) {
        return Some(set);
    }
    let out = match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => set,
        HirKind::Literal(lit) => {
            set.into_iter().map(|p| append(p, &lit.0, k)).collect()
        }
        HirKind::Class(class) => {
            let Some(choices) = class_choices(class) else {
                return Some(close(set));
            };
            let mut out = Vec::new();
            for p in set {
                if !p.open {
                    out.push(p);
                    continue;
                }
                for c in &choices {
                    out.push(append(p.clone(), c, k));
                }
                if out.len() > MAX_PREFIXES {
                    return None;
                }
            }
            out
        }
        HirKind::Capture(c) => expand(&c.sub, set, k)?,
        HirKind::Concat(hs) => {
            let mut cur = set;
            for h in hs {
                cur = expand(h, cur, k)?;
            }
            cur
        }
        HirKind::Alternation(hs) => {
            let mut out = Vec::new();
            for h in hs {
                out.extend(expand(h, set.clone(), k)?);
                if out.len() > MAX_PREFIXES {
                    return None;
                }
            }
            out
        }
        HirKind::Repetition(r) => {
            let mut cur = set;
            for _ in 0..r.min {
                if cur.iter().all(|p| !p.open) {
                    break;
                }
                cur = expand(&r.sub, cur, k)?;
            }
            if r.max != Some(r.min) { close(cur) } else { cur }
        }
    };
    (out.len() <= MAX_PREFIXES).then_some(out)
}

fn append(mut p: Prefix, bytes: &[u8], k: usize) -> Prefix {
    if p.open {
        let room = k - p.bytes.len();
        p.bytes.extend_from_slice(&bytes[..bytes.len().min(room)]);
        p.open = p.bytes.len() < k;
    }
    p
}

fn close(set: Vec<Prefix>) -> Vec<Prefix> {
    set.into_iter().map(|p| Prefix { open: false, ..p }).collect()
}

/// The UTF-8 encodings (or bytes) a small class can match.
fn class_choices(class: &Class) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    match class {
        Class::Unicode(c) => {
            for r in c.ranges() {
                for ch in r.start()..=r.end() {
                    out.push(ch.to_string().into_bytes());
                    if out.len() > MAX_CLASS_FANOUT {
                        return None;
                    }
                }
            }
        }
        Class::Bytes(c) => {
            for r in c.ranges() {
                for b in r.start()..=r.end() {
                    out.push(vec![b]);
                    if out.len() > MAX_CLASS_FANOUT {
                        return None;
                    }
                }
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hir(p: &str) -> Hir {
        regex_syntax::Parser::new().parse(p).unwrap()
    }

    fn digits() -> ClassUnicode {
        ClassUnicode::new([ClassUnicodeRange::new('0', '9')])
    }

    #[test]
    fn min_counts() {
        let h = hir(r"[0-9]{3}-?[0-9]{2}-?[0-9]{4}");
        assert_eq!(min_count(&h, &digits()), 9);
        let h = hir(r"(?:[0-9]{1,3}\.){3}[0-9]{1,3}");
        assert_eq!(min_count(&h, &digits()), 4);
        let dot = ClassUnicode::new([ClassUnicodeRange::new('.', '.')]);
        assert_eq!(min_count(&h, &dot), 3);
        // A class that is only partly digits does not count.
        assert_eq!(min_count(&hir(r"[0-9a-f]{4}"), &digits()), 0);
    }

    #[test]
    fn min_streaks() {
        let d = digits();
        assert_eq!(min_streak(&hir(r"[0-9]{9}"), &d), 9);
        assert_eq!(min_streak(&hir(r"[0-9]{3}-[0-9]{2}-[0-9]{4}"), &d), 4);
        assert_eq!(min_streak(&hir(r"[0-9]{3}[0-9]{2}x"), &d), 5);
        assert_eq!(min_streak(&hir(r"[0-9]{13}|[0-9]{4} [0-9]{4}"), &d), 4);
        assert_eq!(min_streak(&hir(r"(?:[0-9]{2})?[0-9]"), &d), 1);
    }

    #[test]
    fn prefixes_of_literals_and_small_classes() {
        let h = hir(r"eyJ[A-Za-z0-9]+\.x");
        assert_eq!(prefixes(&h, 4).unwrap(), vec![b"eyJ".to_vec()]);
        let h = hir(r"(?i)pw|token");
        let p = prefixes(&h, 4).unwrap();
        assert!(p.contains(&b"Pw".to_vec()));
        assert!(p.contains(&b"TOKE".to_vec()));
        assert!(p.iter().all(|x| x.len() >= 2));
        assert!(prefixes(&hir(r"[a-z]+@"), 4).unwrap().contains(&Vec::new()));
    }

    #[test]
    fn consumed_set() {
        let c = consumed(&hir(r"[0-9]{3}-[0-9]{2}"));
        assert!(contains(&c, '-'));
        assert!(contains(&c, '7'));
        assert!(!contains(&c, 'a'));
    }
}
