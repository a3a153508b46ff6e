//! Compiling detectors: patterns into automata, and automata into triggers.

use regex_automata::PatternID;
use regex_automata::meta;
use regex_automata::util::captures::GroupInfo;
use regex_syntax::hir::{ClassUnicode, ClassUnicodeRange, Hir};

use crate::rules::{Detector, Pack, RulesError, Semantics};

use super::analyze;
use super::python::{self, Alphabet};

/// Longest pattern a pack may hold, in bytes.
pub(crate) const MAX_PATTERN_LEN: usize = 4096;

/// Size limit of one detector's compiled automata, in bytes.
pub(crate) const NFA_SIZE_LIMIT: usize = 4 << 20;

/// Lazy DFA cache of one detector per thread, in bytes.
const CACHE_CAPACITY: usize = 1 << 20;

/// How a detector's candidates are found.
#[derive(Clone, Debug)]
pub(crate) enum Trigger {
    /// Inside runs of its run group (index into the engine's groups).
    Run(usize),
    /// At positions where one of these byte strings begins.
    Prefix {
        /// The strings; lower case when `fold`.
        prefixes: Vec<Vec<u8>>,
        /// Compare ASCII letters case-insensitively.
        fold: bool,
        /// Only where the byte before is not an ASCII letter or digit.
        word_start: bool,
    },
    /// Anywhere: the whole field is searched.
    Full,
}

/// A detector ready to scan.
#[derive(Debug)]
pub(crate) struct Compiled {
    /// Index into the pack's detectors.
    pub index: usize,
    /// Index into the pack's entities.
    pub entity: usize,
    /// The detector's automata.
    pub regex: meta::Regex,
    /// Forward and reverse lazy DFAs alone, for run searches: on a region
    /// of a few dozen bytes they cost a fraction of a meta search. `None`
    /// when they cannot be built within the limits; a search they give up
    /// on goes to `regex`.
    pub fast: Option<regex_automata::hybrid::regex::Regex>,
    /// A case-sensitive twin, for packs that redact case-sensitively what
    /// they detect case-insensitively.
    pub redact: Option<meta::Regex>,
    /// Capture group whose span is reported.
    pub group: Option<usize>,
    /// Where candidates come from.
    pub trigger: Trigger,
    /// The characters a match can consume.
    pub run_class: ClassUnicode,
    /// Fewest trigger characters in a match.
    pub min_trigger: usize,
    /// Fewest bytes in a match.
    pub min_len: usize,
    /// Most bytes in a match, when the pattern bounds it.
    pub max_len: Option<usize>,
    /// Fewest occurrences of particular ASCII bytes in a match.
    pub needs: Vec<(u8, usize)>,
    /// Shortest possible longest streak of trigger characters.
    pub streak: usize,
    /// The pattern, for the run group's sieve.
    pub hir: Hir,
    /// Context words, split into words.
    pub context: ContextWords,
}

/// A detector's context words, each entry split into its words.
#[derive(Clone, Debug, Default)]
pub(crate) struct ContextWords {
    pub window: usize,
    pub raise: Vec<Vec<Vec<u8>>>,
    pub lower: Vec<Vec<Vec<u8>>>,
    pub raise_by: f32,
    pub lower_by: f32,
    /// `(key of the entry's last word, entry, raises)`, sorted by key.
    pub index: Vec<(u64, u16, bool)>,
    /// Bit `len` (at most 31) of entry `fold(first byte)`: some entry's
    /// last word has that first byte and length; a quick reject.
    pub shapes: Vec<u32>,
}

/// Whether a byte belongs to a context word: ASCII letters and digits,
/// and every byte of a non-ASCII character (so `Müller` is one word).
pub(crate) fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// The words of a context entry or window: runs of word bytes, and `:`
/// as a word of its own (so the entry `t:` means a `T` followed by a colon).
pub(crate) fn tokens(text: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        if text[i] == b':' {
            out.push(&text[i..i + 1]);
            i += 1;
        } else if is_word_byte(text[i]) {
            let start = i;
            while i < text.len() && is_word_byte(text[i]) {
                i += 1;
            }
            out.push(&text[start..i]);
        } else {
            i += 1;
        }
    }
    out
}

/// A hash of a word, ASCII letters folded.
pub(crate) fn word_key(word: &[u8]) -> u64 {
    word.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0000_01b3)
    })
}

impl ContextWords {
    pub(crate) fn new(ctx: &crate::rules::Context) -> ContextWords {
        let split = |entries: &[String]| -> Vec<Vec<Vec<u8>>> {
            entries
                .iter()
                .map(|e| {
                    tokens(e.as_bytes())
                        .into_iter()
                        .map(|w| w.to_ascii_lowercase())
                        .collect()
                })
                .filter(|words: &Vec<Vec<u8>>| !words.is_empty())
                .collect()
        };
        let raise = split(&ctx.raise);
        let lower = split(&ctx.lower);
        let mut index = Vec::new();
        let mut shapes = vec![0u32; 256];
        for (list, raises) in [(&raise, true), (&lower, false)] {
            for (i, entry) in list.iter().enumerate() {
                if let Some(last) = entry.last() {
                    index.push((word_key(last), i as u16, raises));
                    shapes[usize::from(last[0])] |= 1 << last.len().min(31);
                }
            }
        }
        index.sort();
        ContextWords {
            window: ctx.window,
            raise,
            lower,
            raise_by: ctx.raise_by,
            lower_by: ctx.lower_by,
            index,
            shapes,
        }
    }

    /// Whether there are any words.
    pub fn is_empty(&self) -> bool {
        self.raise.is_empty() && self.lower.is_empty()
    }
}

/// What the first pass over all python-semantics patterns collects.
pub(crate) fn python_alphabet(
    pack: &Pack,
) -> Result<Option<Alphabet>, RulesError> {
    if pack.semantics != Semantics::Python {
        return Ok(None);
    }
    let mut sets = Vec::new();
    for d in &pack.detectors {
        check_len(pack, d)?;
        let mut variants = vec![d.case_insensitive];
        if d.case_insensitive && pack.redaction.case_sensitive {
            variants.push(false);
        }
        for ci in variants {
            python::translate(&d.pattern, ci, &mut |s| {
                if !sets.contains(s) {
                    sets.push(s.clone());
                }
                s.clone()
            })
            .map_err(|e| RulesError::detector(&pack.source, &d.id, e))?;
        }
    }
    let mut digits = python::py_digit();
    digits.union(&ascii_digits());
    sets.push(digits);
    Alphabet::new(&sets)
        .map(Some)
        .map_err(|e| RulesError::new(&pack.source, e))
}

fn check_len(pack: &Pack, d: &Detector) -> Result<(), RulesError> {
    if d.pattern.len() > MAX_PATTERN_LEN {
        return Err(RulesError::detector(
            &pack.source,
            &d.id,
            format!("pattern is longer than {MAX_PATTERN_LEN} bytes"),
        ));
    }
    Ok(())
}

fn ascii_digits() -> ClassUnicode {
    ClassUnicode::new([ClassUnicodeRange::new('0', '9')])
}

fn byte_set(b: u8) -> ClassUnicode {
    let c = char::from(b);
    ClassUnicode::new([ClassUnicodeRange::new(c, c)])
}

/// Parses one detector's pattern into HIR in the pack's semantics.
fn parse(
    pack: &Pack,
    d: &Detector,
    ci: bool,
    alphabet: Option<&Alphabet>,
) -> Result<Hir, RulesError> {
    check_len(pack, d)?;
    let err = |e: String| RulesError::detector(&pack.source, &d.id, e);
    match alphabet {
        Some(a) => {
            python::translate(&d.pattern, ci, &mut |s| a.map(s)).map_err(err)
        }
        None => regex_syntax::ParserBuilder::new()
            .case_insensitive(ci)
            .nest_limit(100)
            .build()
            .parse(&d.pattern)
            .map_err(|e| {
                err(format!("bad regex: {}", last_line(&e.to_string())))
            }),
    }
}

fn last_line(s: &str) -> String {
    s.lines().last().unwrap_or(s).trim().to_string()
}

/// Builds a detector's automata with the engine's size limits.
///
/// PERF: meta's own limits for the full DFA (40 KiB) keep compile time
/// low; larger DFAs took most of the 70 ms an engine used to take. The
/// `prefilter` is off for detectors searched in digit runs: meta's literal
/// prefilter (a Teddy searcher over digit prefixes) costs more to start
/// than the whole search of a run of a dozen bytes.
fn build(
    pack: &Pack,
    d: &Detector,
    hir: &Hir,
    prefilter: bool,
) -> Result<meta::Regex, RulesError> {
    let config = meta::Config::new()
        .nfa_size_limit(Some(NFA_SIZE_LIMIT))
        .hybrid_cache_capacity(CACHE_CAPACITY)
        .auto_prefilter(prefilter);
    meta::Builder::new().configure(config).build_from_hir(hir).map_err(|e| {
        let reason = match e.size_limit() {
            Some(limit) => {
                format!("automaton is over its size limit of {limit} bytes")
            }
            None => format!("cannot compile: {e}"),
        };
        RulesError::detector(&pack.source, &d.id, reason)
    })
}

/// The capture group index named by a detector's `group`.
fn group_index(
    pack: &Pack,
    d: &Detector,
    info: &GroupInfo,
) -> Result<Option<usize>, RulesError> {
    let Some(g) = &d.group else { return Ok(None) };
    let index = match g.parse::<usize>() {
        Ok(i) => (i < info.group_len(PatternID::ZERO)).then_some(i),
        Err(_) => info.to_index(PatternID::ZERO, g),
    };
    index.map(Some).ok_or_else(|| {
        RulesError::detector(
            &pack.source,
            &d.id,
            format!("no capture group `{g}`"),
        )
    })
}

/// Compiles one detector and says how its candidates are found. `group`
/// returns the run group index for a trigger set, creating it if needed.
pub(crate) fn detector(
    pack: &Pack,
    index: usize,
    alphabet: Option<&Alphabet>,
    group: &mut dyn FnMut(&ClassUnicode) -> usize,
) -> Result<Compiled, RulesError> {
    let d = &pack.detectors[index];
    let hir = parse(pack, d, d.case_insensitive, alphabet)?;

    // What a match must contain, in real code points.
    let unmap = |c: &ClassUnicode| match alphabet {
        Some(a) => a.unmap(c),
        None => c.clone(),
    };
    let remap = |c: &ClassUnicode| match alphabet {
        Some(a) => a.map(c),
        None => c.clone(),
    };
    let run_class = unmap(&analyze::consumed(&hir));
    let mut digits = python::py_digit();
    digits.union(&ascii_digits());
    digits.intersect(&run_class);
    let min_digits = analyze::min_count(&hir, &remap(&digits));
    let min_at = analyze::min_count(&hir, &byte_set(b'@'));
    let digit_streak = analyze::min_streak(&hir, &remap(&digits));
    let min_len = hir.properties().minimum_len().unwrap_or(0);
    let mut needs = Vec::new();
    for b in b"@:.-_/=#$%&+".iter().copied() {
        let n = analyze::min_count(&hir, &byte_set(b));
        if n > 0 {
            needs.push((b, n));
        }
    }

    // The cheapest way to find candidates: a rare byte every match holds,
    // then literal prefixes (not starting with a digit, which would mark
    // every number), then digits. Prefixes over stand-ins would never
    // meet real text.
    let folded_count = |p: &Vec<Vec<u8>>| {
        let mut f: Vec<Vec<u8>> =
            p.iter().map(|x| x.to_ascii_lowercase()).collect();
        f.sort();
        f.dedup();
        f.len()
    };
    let prefixes = analyze::prefixes(&hir, 4).filter(|p| {
        !p.is_empty()
            && folded_count(p) <= 64
            && p.iter().all(|x| x.len() >= 2 && !x[0].is_ascii_digit())
            && (alphabet.is_none() || p.iter().all(|x| x.is_ascii()))
    });
    let mut streak = 0;
    let (trigger, min_trigger) = if min_at > 0 {
        (Trigger::Run(group(&byte_set(b'@'))), min_at)
    } else if let Some(p) = prefixes {
        (prefix_trigger(&hir, p), 0)
    } else if min_digits > 0 {
        streak = digit_streak;
        (Trigger::Run(group(&digits)), min_digits)
    } else if let Some(&(b, n)) =
        needs.iter().find(|(b, _)| *b != b'.' && *b != b'-')
    {
        (Trigger::Run(group(&byte_set(b))), n)
    } else {
        (Trigger::Full, 0)
    };

    // The automata.
    let prefilter = !matches!(trigger, Trigger::Run(_));
    let regex = build(pack, d, &hir, prefilter)?;
    let redact = if d.case_insensitive && pack.redaction.case_sensitive {
        let cs = parse(pack, d, false, alphabet)?;
        Some(build(pack, d, &cs, prefilter)?)
    } else {
        None
    };
    let group_idx = group_index(pack, d, regex.group_info())?;
    let fast = match trigger {
        Trigger::Run(_) | Trigger::Prefix { .. } => lazy_regex(&hir),
        Trigger::Full => None,
    };
    Ok(Compiled {
        index,
        entity: d.entity,
        regex,
        fast,
        redact,
        group: group_idx,
        trigger,
        run_class,
        min_trigger,
        min_len,
        max_len: hir.properties().maximum_len(),
        needs,
        streak,
        hir,
        context: ContextWords::new(&d.context),
    })
}

/// Forward and reverse lazy DFAs for `hir`, or `None` when they do not
/// build within the limits.
fn lazy_regex(hir: &Hir) -> Option<regex_automata::hybrid::regex::Regex> {
    use regex_automata::hybrid::{dfa::DFA, regex::Regex};
    use regex_automata::nfa::thompson;
    let nfa = |reverse: bool| {
        thompson::Compiler::new()
            .configure(
                thompson::Config::new()
                    .nfa_size_limit(Some(NFA_SIZE_LIMIT))
                    .reverse(reverse)
                    .which_captures(thompson::WhichCaptures::None),
            )
            .build_from_hir(hir)
            .ok()
    };
    let dfa = |nfa, reverse: bool| {
        let config = DFA::config()
            .unicode_word_boundary(true)
            .cache_capacity(CACHE_CAPACITY)
            .prefilter(None);
        let config = if reverse {
            config.match_kind(regex_automata::MatchKind::All)
        } else {
            config
        };
        DFA::builder().configure(config).build_from_nfa(nfa).ok()
    };
    let fwd = dfa(nfa(false)?, false)?;
    let rev = dfa(nfa(true)?, true)?;
    Some(Regex::builder().build_from_dfas(fwd, rev))
}

/// A prefix trigger: folded when every case variant of each prefix's first
/// two bytes is itself a prefix, and at word starts when the pattern opens
/// with a word boundary before a word character.
fn prefix_trigger(hir: &Hir, raw: Vec<Vec<u8>>) -> Trigger {
    use super::trigger::fold;
    let heads: Vec<[u8; 2]> = raw.iter().map(|p| [p[0], p[1]]).collect();
    let fold_ok = heads.iter().all(|h| {
        let variants = |b: u8| {
            if b.is_ascii_alphabetic() {
                vec![b.to_ascii_lowercase(), b.to_ascii_uppercase()]
            } else {
                vec![b]
            }
        };
        variants(h[0])
            .iter()
            .all(|&a| variants(h[1]).iter().all(|&b| heads.contains(&[a, b])))
    });
    let word_start = analyze::opens_with_word_boundary(hir)
        && raw.iter().all(|p| p[0].is_ascii_alphanumeric() || p[0] == b'_');
    let mut prefixes: Vec<Vec<u8>> = if fold_ok {
        raw.iter().map(|x| x.iter().map(|&b| fold(b)).collect()).collect()
    } else {
        raw
    };
    prefixes.sort();
    prefixes.dedup();
    Trigger::Prefix { prefixes, fold: fold_ok, word_start }
}

/// The sieve of a run group: one lazy DFA over all of its detectors'
/// patterns that reports, in a single pass over a run, which of them
/// match anywhere in it.
///
/// # Errors
///
/// When the combined automaton is over the size limit.
pub(crate) fn sieve(
    hirs: &[&Hir],
) -> Result<regex_automata::hybrid::dfa::DFA, String> {
    use regex_automata::MatchKind;
    use regex_automata::hybrid::dfa::DFA;
    use regex_automata::nfa::thompson;
    let nfa = thompson::Compiler::new()
        .configure(
            thompson::Config::new()
                .nfa_size_limit(Some(4 * NFA_SIZE_LIMIT))
                .which_captures(thompson::WhichCaptures::None),
        )
        .build_many_from_hir(hirs)
        .map_err(|e| format!("cannot compile the run sieve: {e}"))?;
    DFA::builder()
        .configure(
            DFA::config()
                .match_kind(MatchKind::All)
                .unicode_word_boundary(true)
                .cache_capacity(CACHE_CAPACITY)
                .minimum_cache_clear_count(None),
        )
        .build_from_nfa(nfa)
        .map_err(|e| format!("cannot compile the run sieve: {e}"))
}
