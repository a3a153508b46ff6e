//! Python `re` semantics on regex-automata, exactly.
//!
//! The `seed` pack must find what the guide's Python code finds, character
//! for character. CPython 3.11 defines `\d`, `\s`, `\w` (and so `\b`) and
//! ignore-case matching with its own Unicode 14 tables, which differ from
//! regex-automata's newer ones (`²` is a word character to Python and not
//! to regex-automata, and so on). This module makes the two agree.
//!
//! Each pattern is parsed with regex-syntax, and every literal and class is
//! turned into the exact set of code points Python would match, from the
//! tables in [`tables`] (generated from CPython by `tools/gen_pytables.py`).
//! All non-ASCII code points are then split into a few blocks, each block
//! holding the code points that every set of the pack, and Python's word
//! test, treat alike. Each block is represented by one stand-in character
//! whose regex-automata word status equals Python's for the block. Classes
//! are rewritten over ASCII plus the stand-ins, so a haystack whose
//! non-ASCII characters are replaced by their stand-ins ([`Alphabet::
//! transcode`]) matches under regex-automata exactly as the original text
//! matches under Python. ASCII text needs no transcoding at all: on ASCII,
//! Python and regex-automata already agree once `\s` is spelt out.
//!
//! Limitations: inline flags, anchors other than `\b` and `\B`, Unicode
//! property classes (`\p{..}`, which Python lacks) and nested or set
//! operation classes are refused at load. Ignore-case follows CPython for
//! the Basic Multilingual Plane; outside it the simple lower-case mapping
//! is used, as CPython's comments describe.

pub mod tables;

use std::collections::HashMap;
use std::sync::OnceLock;

use regex_syntax::ast::{self, Ast};
use regex_syntax::hir::{Class, ClassUnicode, ClassUnicodeRange, Hir, Look};

/// An exact set of code points.
pub(crate) type Set = ClassUnicode;

fn set_of(ranges: &[(u32, u32)]) -> Set {
    Set::new(ranges.iter().filter_map(|&(lo, hi)| {
        Some(ClassUnicodeRange::new(char::from_u32(lo)?, char::from_u32(hi)?))
    }))
}

fn single(c: char) -> Set {
    Set::new([ClassUnicodeRange::new(c, c)])
}

/// Whether `c` is in `set`.
pub(crate) fn contains(set: &Set, c: char) -> bool {
    let r = set.ranges();
    let i = r.partition_point(|x| x.end() < c);
    i < r.len() && r[i].start() <= c
}

/// Python's `\w`: `str.isalnum()` plus `_`.
pub(crate) fn py_word() -> Set {
    set_of(tables::WORD)
}

/// Python's `\d`.
pub(crate) fn py_digit() -> Set {
    set_of(tables::DIGIT)
}

/// The cased code points: those `_sre.unicode_tolower` changes and their
/// lower-case forms.
fn cased_set() -> &'static Set {
    static CASED: OnceLock<Set> = OnceLock::new();
    CASED.get_or_init(|| {
        let mut s = Set::empty();
        for &(a, b) in tables::SRE_LOWER {
            for cp in [a, b] {
                if let Some(c) = char::from_u32(cp) {
                    s.push(ClassUnicodeRange::new(c, c));
                }
            }
        }
        s
    })
}

fn is_cased(c: char) -> bool {
    contains(cased_set(), c)
}

/// The code points whose lower-case form is in `set`.
fn preimage(set: &Set) -> Set {
    let mut out = set.clone();
    let mut changed = Set::empty();
    let mut added = Set::empty();
    for &(a, b) in tables::SRE_LOWER {
        let (Some(a), Some(b)) = (char::from_u32(a), char::from_u32(b)) else {
            continue;
        };
        if contains(set, a) {
            changed.push(ClassUnicodeRange::new(a, a));
        }
        if contains(set, b) {
            added.push(ClassUnicodeRange::new(a, a));
        }
    }
    out.difference(&changed);
    out.union(&added);
    out
}

/// The lower-case forms of a set, plus CPython's extra ignore-case
/// equivalents of each.
fn lower_image(set: &Set) -> Set {
    let mut out = set.clone();
    let mut moved = Set::empty();
    let mut images = Set::empty();
    for &(a, b) in tables::SRE_LOWER {
        let (Some(a), Some(b)) = (char::from_u32(a), char::from_u32(b)) else {
            continue;
        };
        if contains(set, a) {
            moved.push(ClassUnicodeRange::new(a, a));
            images.push(ClassUnicodeRange::new(b, b));
        }
    }
    out.difference(&moved);
    out.union(&images);
    let mut fixes = Set::empty();
    for &(k, vs) in tables::SRE_EXTRA_CASES {
        let Some(k) = char::from_u32(k) else { continue };
        if contains(&out, k) {
            for &v in vs {
                if let Some(v) = char::from_u32(v) {
                    fixes.push(ClassUnicodeRange::new(v, v));
                }
            }
        }
    }
    out.union(&fixes);
    out
}

/// The set Python's ignore-case matching accepts for literal and range
/// items `items` and category items `cats` of one class.
fn ignore_case(items: &Set, cats: &Set) -> Set {
    let mut cased = items.clone();
    cased.intersect(cased_set());
    let cased = cased.ranges().len() > 0;
    if !cased {
        let mut s = items.clone();
        s.union(cats);
        return s;
    }
    let mut target = lower_image(items);
    target.union(cats);
    preimage(&target)
}

/// Translates a Python pattern into an exact-set form. `map` turns each
/// Python set into the class the output uses: the identity while
/// collecting sets, the stand-in mapping when building the final HIR.
pub(crate) fn translate(
    pattern: &str,
    ci: bool,
    map: &mut dyn FnMut(&Set) -> Set,
) -> Result<Hir, String> {
    let ast = ast::parse::ParserBuilder::new()
        .nest_limit(100)
        .build()
        .parse(pattern)
        .map_err(|e| format!("bad pattern: {}", one_line(&e.to_string())))?;
    lower(&ast, ci, map)
}

fn one_line(s: &str) -> String {
    s.lines().last().unwrap_or(s).trim().to_string()
}

fn unsupported(what: &str) -> String {
    format!("python semantics do not support {what}")
}

fn lower(
    ast: &Ast,
    ci: bool,
    map: &mut dyn FnMut(&Set) -> Set,
) -> Result<Hir, String> {
    Ok(match ast {
        Ast::Empty(_) => Hir::empty(),
        Ast::Literal(lit) => {
            let c = lit.c;
            let set = if ci && is_cased(c) {
                ignore_case(&single(c), &Set::empty())
            } else {
                single(c)
            };
            Hir::class(Class::Unicode(map(&set)))
        }
        Ast::Dot(_) => {
            let mut set = single('\n');
            set.negate();
            Hir::class(Class::Unicode(map(&set)))
        }
        Ast::Assertion(a) => match a.kind {
            ast::AssertionKind::WordBoundary => Hir::look(Look::WordUnicode),
            ast::AssertionKind::NotWordBoundary => {
                Hir::look(Look::WordUnicodeNegate)
            }
            _ => return Err(unsupported("anchors other than \\b and \\B")),
        },
        Ast::ClassPerl(p) => Hir::class(Class::Unicode(map(&perl(p)))),
        Ast::ClassUnicode(_) => {
            return Err(unsupported("\\p{..} classes"));
        }
        Ast::ClassBracketed(b) => {
            Hir::class(Class::Unicode(map(&bracketed(b, ci)?)))
        }
        Ast::Repetition(r) => {
            let sub = lower(&r.ast, ci, map)?;
            let (min, max) = match r.op.kind {
                ast::RepetitionKind::ZeroOrOne => (0, Some(1)),
                ast::RepetitionKind::ZeroOrMore => (0, None),
                ast::RepetitionKind::OneOrMore => (1, None),
                ast::RepetitionKind::Range(ref range) => match *range {
                    ast::RepetitionRange::Exactly(n) => (n, Some(n)),
                    ast::RepetitionRange::AtLeast(n) => (n, None),
                    ast::RepetitionRange::Bounded(a, b) => (a, Some(b)),
                },
            };
            Hir::repetition(regex_syntax::hir::Repetition {
                min,
                max,
                greedy: r.greedy,
                sub: Box::new(sub),
            })
        }
        Ast::Group(g) => {
            let sub = lower(&g.ast, ci, map)?;
            match &g.kind {
                ast::GroupKind::NonCapturing(flags)
                    if flags.items.is_empty() =>
                {
                    sub
                }
                ast::GroupKind::NonCapturing(_) => {
                    return Err(unsupported("inline flags"));
                }
                ast::GroupKind::CaptureIndex(i) => {
                    Hir::capture(regex_syntax::hir::Capture {
                        index: *i,
                        name: None,
                        sub: Box::new(sub),
                    })
                }
                ast::GroupKind::CaptureName { name, .. } => {
                    Hir::capture(regex_syntax::hir::Capture {
                        index: name.index,
                        name: Some(name.name.clone().into_boxed_str()),
                        sub: Box::new(sub),
                    })
                }
            }
        }
        Ast::Alternation(alt) => Hir::alternation(
            alt.asts
                .iter()
                .map(|a| lower(a, ci, map))
                .collect::<Result<_, _>>()?,
        ),
        Ast::Concat(cat) => Hir::concat(
            cat.asts
                .iter()
                .map(|a| lower(a, ci, map))
                .collect::<Result<_, _>>()?,
        ),
        Ast::Flags(_) => return Err(unsupported("inline flags")),
    })
}

fn perl(p: &ast::ClassPerl) -> Set {
    let mut set = match p.kind {
        ast::ClassPerlKind::Digit => set_of(tables::DIGIT),
        ast::ClassPerlKind::Space => set_of(tables::SPACE),
        ast::ClassPerlKind::Word => set_of(tables::WORD),
    };
    if p.negated {
        set.negate();
    }
    set
}

fn bracketed(b: &ast::ClassBracketed, ci: bool) -> Result<Set, String> {
    let ast::ClassSet::Item(item) = &b.kind else {
        return Err(unsupported("class set operations"));
    };
    let mut items = Set::empty();
    let mut cats = Set::empty();
    collect_item(item, &mut items, &mut cats)?;
    let mut set = if ci {
        ignore_case(&items, &cats)
    } else {
        let mut s = items;
        s.union(&cats);
        s
    };
    if b.negated {
        set.negate();
    }
    Ok(set)
}

fn collect_item(
    item: &ast::ClassSetItem,
    items: &mut Set,
    cats: &mut Set,
) -> Result<(), String> {
    match item {
        ast::ClassSetItem::Empty(_) => {}
        ast::ClassSetItem::Literal(l) => items.union(&single(l.c)),
        ast::ClassSetItem::Range(r) => {
            items.push(ClassUnicodeRange::new(r.start.c, r.end.c))
        }
        ast::ClassSetItem::Perl(p) => cats.union(&perl(p)),
        ast::ClassSetItem::Union(u) => {
            for i in &u.items {
                collect_item(i, items, cats)?;
            }
        }
        ast::ClassSetItem::Ascii(_) => {
            return Err(unsupported("[:name:] classes"));
        }
        ast::ClassSetItem::Unicode(_) => {
            return Err(unsupported("\\p{..} classes"));
        }
        ast::ClassSetItem::Bracketed(_) => {
            return Err(unsupported("nested classes"));
        }
    }
    Ok(())
}

/// Stand-ins for blocks of word characters: letters that regex-automata
/// treats as word characters.
const WORD_STAND_INS: &str =
    "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþ";

/// Stand-ins for blocks of other characters: symbols that are not word
/// characters to regex-automata.
const OTHER_STAND_INS: &str = "¡¢£¤¥¦§¨©«¬®¯°±´¶·¸»¿×÷";

/// The non-ASCII code points split into blocks that every set of a pack
/// treats alike, each with its stand-in character.
#[derive(Clone, Debug)]
pub(crate) struct Alphabet {
    /// Sorted, disjoint intervals of non-ASCII code points and their block.
    intervals: Vec<(u32, u32, u16)>,
    /// The stand-in of each block.
    stand_ins: Vec<char>,
    /// The block used for bytes that are not valid UTF-8.
    invalid: u16,
}

impl Alphabet {
    /// Splits the non-ASCII code points by membership in `sets` and in
    /// Python's word class.
    ///
    /// # Errors
    ///
    /// When the sets need more blocks than there are stand-ins.
    pub(crate) fn new(sets: &[Set]) -> Result<Alphabet, String> {
        let word = py_word();
        let mut bounds = vec![0x80u32, 0x11_0000];
        for set in sets.iter().chain(std::iter::once(&word)) {
            for r in set.ranges() {
                bounds.push(r.start() as u32);
                bounds.push(r.end() as u32 + 1);
            }
        }
        bounds.retain(|&b| b >= 0x80);
        bounds.sort_unstable();
        bounds.dedup();
        let mut ids: HashMap<Vec<bool>, u16> = HashMap::new();
        let mut kinds: Vec<bool> = Vec::new();
        let mut intervals = Vec::new();
        for w in bounds.windows(2) {
            let (lo, hi) = (w[0], w[1] - 1);
            let probe = char::from_u32(lo)
                .or_else(|| char::from_u32(0xE000))
                .unwrap_or('\u{80}');
            let mut sig = vec![contains(&word, probe)];
            sig.extend(sets.iter().map(|s| contains(s, probe)));
            let next = ids.len() as u16;
            let id = *ids.entry(sig.clone()).or_insert_with(|| {
                kinds.push(sig[0]);
                next
            });
            intervals.push((lo, hi, id));
        }
        let mut none = vec![false];
        none.extend(sets.iter().map(|_| false));
        let next = ids.len() as u16;
        let invalid = *ids.entry(none).or_insert_with(|| {
            kinds.push(false);
            next
        });
        let mut words = WORD_STAND_INS.chars();
        let mut others = OTHER_STAND_INS.chars();
        let mut stand_ins = Vec::with_capacity(kinds.len());
        for is_word in kinds {
            let c = if is_word { words.next() } else { others.next() };
            let c = c.ok_or("the pack's classes need too many stand-ins")?;
            debug_assert_eq!(
                regex_syntax::is_word_character(c),
                is_word,
                "stand-in {c:?}"
            );
            stand_ins.push(c);
        }
        Ok(Alphabet { intervals, stand_ins, invalid })
    }

    fn block(&self, cp: u32) -> u16 {
        let i = self.intervals.partition_point(|&(_, hi, _)| hi < cp);
        self.intervals.get(i).map_or(self.invalid, |&(_, _, id)| id)
    }

    /// The class over ASCII and stand-ins that stands for `set`.
    pub(crate) fn map(&self, set: &Set) -> Set {
        let mut out = Set::empty();
        for r in set.ranges() {
            let lo = r.start() as u32;
            let hi = (r.end() as u32).min(0x7F);
            if lo <= hi {
                out.push(ClassUnicodeRange::new(r.start(), hi as u8 as char));
            }
        }
        let mut blocks = vec![false; self.stand_ins.len()];
        for &(lo, _, id) in &self.intervals {
            let Some(c) = char::from_u32(lo) else { continue };
            if contains(set, c) {
                blocks[id as usize] = true;
            }
        }
        for (id, used) in blocks.iter().enumerate() {
            if *used {
                let c = self.stand_ins[id];
                out.push(ClassUnicodeRange::new(c, c));
            }
        }
        out
    }

    /// The code points a mapped class stands for: its ASCII part and every
    /// block whose stand-in it holds.
    pub(crate) fn unmap(&self, class: &Set) -> Set {
        let mut out = Set::empty();
        for r in class.ranges() {
            if (r.start() as u32) < 0x80 {
                let hi = (r.end() as u32).min(0x7F) as u8 as char;
                out.push(ClassUnicodeRange::new(r.start(), hi));
            }
        }
        for &(lo, hi, id) in &self.intervals {
            if contains(class, self.stand_ins[id as usize]) {
                if let (Some(lo), Some(hi)) =
                    (char::from_u32(lo), char::from_u32(hi))
                {
                    out.push(ClassUnicodeRange::new(lo, hi));
                }
            }
        }
        out
    }

    /// Appends `text[range]` to `out` with every non-ASCII character (and
    /// every byte that is not valid UTF-8) replaced by its stand-in, and
    /// records in `offsets` the source offset of each output byte, plus
    /// one entry for the end.
    pub(crate) fn transcode(
        &self,
        text: &[u8],
        range: std::ops::Range<usize>,
        out: &mut Vec<u8>,
        offsets: &mut Vec<usize>,
    ) {
        let mut i = range.start;
        while i < range.end {
            let b = text[i];
            if b < 0x80 {
                out.push(b);
                offsets.push(i);
                i += 1;
                continue;
            }
            let (cp, len) = decode(text, i);
            let block = match cp {
                Some(cp) => self.block(cp),
                None => self.invalid,
            };
            let mut buf = [0u8; 4];
            let s = self.stand_ins[block as usize].encode_utf8(&mut buf);
            for &sb in s.as_bytes() {
                out.push(sb);
                offsets.push(i);
            }
            i += len;
        }
        offsets.push(range.end);
    }
}

/// Decodes one UTF-8 character at `i`: its code point (`None` for an
/// invalid sequence) and its length in bytes (1 for an invalid byte).
pub(crate) fn decode(text: &[u8], i: usize) -> (Option<u32>, usize) {
    let b = text[i];
    let len = match b {
        0x00..=0x7F => return (Some(u32::from(b)), 1),
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return (None, 1),
    };
    let Some(bytes) = text.get(i..i + len) else {
        return (None, 1);
    };
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.chars().next().map(|c| c as u32), len),
        Err(_) => (None, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(pattern: &str, ci: bool) -> Set {
        let mut got = None;
        translate(pattern, ci, &mut |s| {
            got = Some(s.clone());
            s.clone()
        })
        .unwrap();
        got.unwrap()
    }

    #[test]
    fn ignore_case_letters_take_python_extras() {
        let s = set("[A-Za-z]", true);
        for c in ['a', 'Z', '\u{130}', '\u{131}', '\u{17F}', '\u{212A}'] {
            assert!(contains(&s, c), "{c:?}");
        }
        assert!(!contains(&s, 'é'));
        let s = set("[A-Za-z]", false);
        assert!(!contains(&s, '\u{212A}'));
    }

    #[test]
    fn digits_and_spaces_are_python_s() {
        let d = set(r"\d", false);
        assert!(contains(&d, '٤'));
        assert!(!contains(&d, '²'));
        let s = set(r"\s", false);
        assert!(contains(&s, '\u{1c}'));
        assert!(contains(&s, '\u{a0}'));
    }

    #[test]
    fn unsupported_syntax_is_refused() {
        let e = translate("^a", false, &mut |s| s.clone()).unwrap_err();
        assert_eq!(
            e,
            "python semantics do not support anchors other than \\b and \\B"
        );
        assert!(translate(r"\pL", false, &mut |s| s.clone()).is_err());
    }

    #[test]
    fn transcoding_keeps_python_word_status() {
        let sets = vec![set(r"\d", false)];
        let a = Alphabet::new(&sets).unwrap();
        let mut out = Vec::new();
        let mut offs = Vec::new();
        let text = "x²٤é—".as_bytes();
        a.transcode(text, 0..text.len(), &mut out, &mut offs);
        let t = String::from_utf8(out).unwrap();
        let chars: Vec<char> = t.chars().collect();
        assert_eq!(chars[0], 'x');
        // ², ٤ and é are word characters to Python; — is not.
        assert!(regex_syntax::is_word_character(chars[1]));
        assert!(regex_syntax::is_word_character(chars[2]));
        assert!(regex_syntax::is_word_character(chars[3]));
        assert!(!regex_syntax::is_word_character(chars[4]));
        // ٤ is a digit, ² and é are not: different blocks.
        assert_ne!(chars[1], chars[2]);
        assert_eq!(*offs.last().unwrap(), text.len());
    }
}
