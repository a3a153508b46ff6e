//! Compiling detectors: patterns into automata, and automata into triggers.

use regex_automata::meta;
use regex_automata::util::captures::GroupInfo;
use regex_automata::PatternID;
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
    /// At positions where one of these byte strings (ASCII letters folded)
    /// begins.
    Prefix(Vec<Vec<u8>>),
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
    /// Fewest occurrences of particular ASCII bytes in a match.
    pub needs: Vec<(u8, usize)>,
}

/// What the first pass over all python-semantics patterns collects.
pub(crate) fn python_alphabet(pack: &Pack) -> Result<Option<Alphabet>, RulesError> {
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
        Some(a) => python::translate(&d.pattern, ci, &mut |s| a.map(s)).map_err(err),
        None => regex_syntax::ParserBuilder::new()
            .case_insensitive(ci)
            .nest_limit(100)
            .build()
            .parse(&d.pattern)
            .map_err(|e| err(format!("bad regex: {}", last_line(&e.to_string())))),
    }
}

fn last_line(s: &str) -> String {
    s.lines().last().unwrap_or(s).trim().to_string()
}

/// Builds a detector's automata with the engine's size limits.
fn build(pack: &Pack, d: &Detector, hir: &Hir) -> Result<meta::Regex, RulesError> {
    let config = meta::Config::new()
        .nfa_size_limit(Some(NFA_SIZE_LIMIT))
        .onepass_size_limit(Some(NFA_SIZE_LIMIT))
        .dfa_size_limit(Some(NFA_SIZE_LIMIT))
        .dfa_state_limit(Some(10_000))
        .hybrid_cache_capacity(CACHE_CAPACITY);
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
        RulesError::detector(&pack.source, &d.id, format!("no capture group `{g}`"))
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
    let regex = build(pack, d, &hir)?;
    let redact = if d.case_insensitive && pack.redaction.case_sensitive {
        let cs = parse(pack, d, false, alphabet)?;
        Some(build(pack, d, &cs)?)
    } else {
        None
    };
    let group_idx = group_index(pack, d, regex.group_info())?;

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
    let min_len = hir.properties().minimum_len().unwrap_or(0);
    let mut needs = Vec::new();
    for b in b"@:.-_/=#$%&+".iter().copied() {
        let n = analyze::min_count(&hir, &byte_set(b));
        if n > 0 {
            needs.push((b, n));
        }
    }

    // The cheapest way to find candidates.
    // Prefixes over stand-ins would never meet real text.
    let prefixes = analyze::prefixes(&hir, 4).filter(|p| {
        !p.is_empty()
            && p.iter().all(|x| x.len() >= 2)
            && (alphabet.is_none() || p.iter().all(|x| x.is_ascii()))
    });
    let (trigger, min_trigger) = if min_at > 0 {
        (Trigger::Run(group(&byte_set(b'@'))), min_at)
    } else if min_digits > 0 {
        (Trigger::Run(group(&digits)), min_digits)
    } else if let Some(p) = prefixes {
        let mut folded: Vec<Vec<u8>> = p
            .iter()
            .map(|x| x.iter().map(|&b| super::trigger::fold(b)).collect())
            .collect();
        folded.sort();
        folded.dedup();
        (Trigger::Prefix(folded), 0)
    } else if let Some(&(b, n)) = needs.iter().find(|(b, _)| *b != b'.' && *b != b'-')
    {
        (Trigger::Run(group(&byte_set(b))), n)
    } else {
        (Trigger::Full, 0)
    };
    Ok(Compiled {
        index,
        entity: d.entity,
        regex,
        redact,
        group: group_idx,
        trigger,
        run_class,
        min_trigger,
        min_len,
        needs,
    })
}
