//! Compiling a pack into one thread-safe [`Engine`].
//!
//! An engine holds, for every detector of a pack, a regex-automata meta
//! regex (lazy DFA, one-pass DFA, bounded backtracker and PikeVM, chosen
//! per search) and a trigger that says where the automaton needs to run at
//! all:
//!
//! - run triggers: a detector whose matches must contain `@`, or a digit,
//!   or another rare byte, is searched only inside maximal runs of the
//!   characters it can consume around such a byte, and only when the run
//!   holds enough of them (nine digits for an SSN, three dots for an IPv4
//!   address). Detectors with the same trigger share one run.
//! - prefix triggers: a detector whose matches start with one of a few
//!   literal strings (`eyJ`, `-----BEGIN `, `password`) is searched,
//!   anchored, only where the candidate scan saw the first two bytes of one.
//! - everything else is searched over the whole field.
//!
//! Keyword lists use the prefix mechanism too. One candidate scan
//! ([`trigger`]) marks all of these positions in a single pass of SIMD
//! compares, so a field with nothing to find costs one pass at memory
//! speed. Per-thread scratch (automaton caches, buffers) comes from a pool
//! and is reused across messages.
//!
//! Packs with [`Semantics::Python`] are first translated ([`python`]) so
//! that the automata match exactly what CPython 3.11's `re` matches.
//!
//! Limitations: at most 31 distinct run triggers per pack; a pattern may be
//! at most 4 KiB and each detector's automata at most 4 MiB.

mod analyze;
mod compile;
mod keywords;
pub(crate) mod python;
mod simd;
pub(crate) mod trigger;

use std::panic::{RefUnwindSafe, UnwindSafe};
use std::sync::Arc;

use regex_automata::meta;
use regex_automata::util::captures::Captures;
use regex_automata::util::pool::{Pool, PoolGuard};
use regex_syntax::hir::ClassUnicode;

pub(crate) use compile::{
    Compiled, ContextWords, Trigger, is_word_byte, word_key,
};
pub(crate) use keywords::Keywords;

use crate::rules::{Pack, RulesError};

use trigger::{Classifier, PairSpec};

/// Bit of [`Inner::byte_groups`] for bytes that can begin a form the
/// normalised view rewrites.
pub(crate) const VIEW_BIT: u32 = 1 << 31;

/// Lead bytes of the forms the normalised view rewrites: NUL (between
/// digits), `&` (entities), `%` (escapes) and the first bytes of the
/// non-ASCII forms it folds. `crate::scan::view` checks the exact forms.
pub(crate) const VIEW_LEAD_BYTES: &[u8] =
    &[0x00, b'&', b'%', 0xC2, 0xC4, 0xC5, 0xCC, 0xCD, 0xE1, 0xE2, 0xE3, 0xEF];

/// A run trigger shared by one or more detectors.
#[derive(Debug)]
pub(crate) struct RunGroup {
    /// Characters that start a run.
    pub trigger: ClassUnicode,
    /// The ASCII part of `trigger`, by byte.
    pub trigger_ascii: [bool; 128],
    /// Characters a run may hold: the union of its detectors' run classes.
    pub class: ClassUnicode,
    /// The ASCII part of `class`, by byte.
    pub class_ascii: [bool; 128],
    /// Whether `class` holds any non-ASCII character.
    pub non_ascii: bool,
    /// Detectors searched in the run.
    pub detectors: Vec<usize>,
    /// ASCII bytes whose count in a run some detector needs (at most 8).
    pub counted: Vec<u8>,
    /// For each ASCII byte: [`IN_RUN`], [`TRIGGER`], and in the bits above
    /// them one plus its index in `counted` (0 when not counted).
    pub flags: [u8; 128],
    /// The fewest trigger characters any of the group's detectors needs.
    pub min_trigger: usize,
    /// One automaton over all the group's patterns.
    pub sieve: regex_automata::hybrid::dfa::DFA,
}

/// [`RunGroup::flags`]: the byte may be part of a run.
pub(crate) const IN_RUN: u8 = 1;
/// [`RunGroup::flags`]: the byte is a trigger.
pub(crate) const TRIGGER: u8 = 2;

/// Something the candidate scan found the first two bytes of.
#[derive(Clone, Copy, Debug)]
pub(crate) enum PairUser {
    /// A prefix-triggered detector.
    Detector(usize),
    /// One spelling of a keyword.
    Keyword { list: usize, variant: usize },
}

/// Everything compiled from a pack.
#[derive(Debug)]
pub(crate) struct Inner {
    pub pack: Pack,
    pub detectors: Vec<Compiled>,
    pub groups: Vec<RunGroup>,
    /// Detectors searched over whole fields.
    pub full: Vec<usize>,
    pub classifier: Classifier,
    /// Users of each of the classifier's pair groups.
    pub pair_users: Vec<Vec<PairUser>>,
    /// For each byte: bit `i` when it starts runs of group `i`, and
    /// [`VIEW_BIT`].
    pub byte_groups: [u32; 256],
    pub keywords: Vec<Keywords>,
    pub alphabet: Option<python::Alphabet>,
    /// Allow-listed values per entity, normalised.
    pub allow: Vec<(usize, Vec<Vec<u8>>)>,
    /// No byte that triggers the first run group marks anything else.
    pub group0_exclusive: bool,
    /// Entity indexes in the order the detectors first name them, then
    /// the others ([`Engine::entity_order`]).
    pub entity_order: Vec<usize>,
}

/// Per-thread buffers and automaton caches.
#[derive(Debug)]
pub(crate) struct Scratch {
    pub caches: Vec<meta::Cache>,
    pub redact_caches: Vec<Option<meta::Cache>>,
    pub captures: Vec<Option<Captures>>,
    /// Transcoding buffer (python semantics).
    pub buf: Vec<u8>,
    /// Source offsets of `buf`.
    pub offsets: Vec<usize>,
    /// Caches of the run groups' sieves.
    pub sieves: Vec<regex_automata::hybrid::dfa::Cache>,
    /// Caches of the detectors' lazy DFAs.
    pub fast: Vec<Option<regex_automata::hybrid::regex::Cache>>,
    /// End of the last match of each prefix detector in the current field.
    pub det_end: Vec<usize>,
    /// End of the last keyword of each list in the current field.
    pub kw_end: Vec<usize>,
}

type MakeScratch =
    Box<dyn Fn() -> Scratch + Send + Sync + UnwindSafe + RefUnwindSafe>;

/// A pack compiled for scanning. See the [module documentation](self).
///
/// An `Engine` is `Send + Sync`: share one (behind an `Arc` or a
/// reference) between all threads. Building one costs a few milliseconds
/// for the built-in packs.
pub struct Engine {
    inner: Arc<Inner>,
    pool: Pool<Scratch, MakeScratch>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("pack", &self.inner.pack.name).finish()
    }
}

impl Engine {
    /// Compiles a pack.
    ///
    /// # Errors
    ///
    /// A pattern that does not parse, uses syntax the pack's semantics do
    /// not support, names a missing capture group or compiles to automata
    /// over the size limit; a keyword shorter than two bytes; more than 31
    /// distinct run triggers. Each error names the pack source and the
    /// detector.
    pub fn new(pack: Pack) -> Result<Engine, RulesError> {
        let inner = Arc::new(compile(pack)?);
        let shared = Arc::clone(&inner);
        let make: MakeScratch = Box::new(move || Scratch::new(&shared));
        Ok(Engine { inner, pool: Pool::new(make) })
    }

    /// Compiles a built-in pack (`default` or `seed`).
    ///
    /// # Errors
    ///
    /// When there is no built-in pack of that name.
    pub fn builtin(name: &str) -> Result<Engine, RulesError> {
        Engine::new(Pack::builtin(name)?)
    }

    /// The pack this engine was compiled from.
    pub fn pack(&self) -> &Pack {
        &self.inner.pack
    }

    pub(crate) fn inner(&self) -> &Inner {
        &self.inner
    }

    pub(crate) fn scratch(&self) -> PoolGuard<'_, Scratch, MakeScratch> {
        self.pool.get()
    }
}

impl Inner {
    /// ASCII bytes no detector, keyword, prefix or folded form can hold:
    /// a stream can start a region right after one.
    pub(crate) fn separators(&self) -> [bool; 256] {
        let mut sep = [false; 256];
        for (b, slot) in sep.iter_mut().enumerate().take(128) {
            let byte = b as u8;
            *slot = !byte.is_ascii_alphanumeric()
                && !VIEW_LEAD_BYTES.contains(&byte)
                && self.groups.iter().all(|g| !g.class_ascii[b]);
        }
        for d in &self.detectors {
            if let Trigger::Prefix { prefixes, .. } = &d.trigger {
                for p in prefixes {
                    for &b in p {
                        sep[usize::from(b)] = false;
                    }
                }
            }
        }
        for k in &self.keywords {
            for v in &k.variants {
                for &b in &v.bytes {
                    sep[usize::from(b)] = false;
                }
            }
        }
        sep
    }
}

impl Scratch {
    fn new(inner: &Inner) -> Scratch {
        let caches =
            inner.detectors.iter().map(|d| d.regex.create_cache()).collect();
        let redact_caches = inner
            .detectors
            .iter()
            .map(|d| d.redact.as_ref().map(|r| r.create_cache()))
            .collect();
        let captures = inner
            .detectors
            .iter()
            .map(|d| d.group.map(|_| d.regex.create_captures()))
            .collect();
        let sieves =
            inner.groups.iter().map(|g| g.sieve.create_cache()).collect();
        let fast = inner
            .detectors
            .iter()
            .map(|d| d.fast.as_ref().map(|r| r.create_cache()))
            .collect();
        Scratch {
            caches,
            redact_caches,
            captures,
            buf: Vec::new(),
            offsets: Vec::new(),
            sieves,
            fast,
            det_end: Vec::new(),
            kw_end: Vec::new(),
        }
    }
}

fn ascii_table(set: &ClassUnicode) -> [bool; 128] {
    let mut t = [false; 128];
    for (b, slot) in t.iter_mut().enumerate() {
        *slot = python::contains(set, char::from(b as u8));
    }
    t
}

fn has_non_ascii(set: &ClassUnicode) -> bool {
    set.ranges().last().is_some_and(|r| r.end() as u32 >= 0x80)
}

fn compile(pack: Pack) -> Result<Inner, RulesError> {
    let alphabet = compile::python_alphabet(&pack)?;

    // Detectors, and the run groups their triggers need.
    let mut triggers: Vec<ClassUnicode> = Vec::new();
    let mut detectors = Vec::with_capacity(pack.detectors.len());
    for i in 0..pack.detectors.len() {
        let mut group = |set: &ClassUnicode| match triggers
            .iter()
            .position(|t| t == set)
        {
            Some(g) => g,
            None => {
                triggers.push(set.clone());
                triggers.len() - 1
            }
        };
        detectors.push(compile::detector(
            &pack,
            i,
            alphabet.as_ref(),
            &mut group,
        )?);
    }
    if triggers.len() > 31 {
        return Err(RulesError::new(
            &pack.source,
            "more than 31 distinct run triggers",
        ));
    }
    let groups = run_groups(&triggers, &detectors)
        .map_err(|e| RulesError::new(&pack.source, e))?;
    let full = detectors
        .iter()
        .enumerate()
        .filter(|(_, d)| matches!(d.trigger, Trigger::Full))
        .map(|(i, _)| i)
        .collect();

    // Keyword lists.
    let mut keywords = Vec::new();
    for list in &pack.keywords {
        keywords.push(Keywords::new(list).map_err(|e| {
            RulesError::item(
                &pack.source,
                format!("keywords `{}`", list.name),
                e,
            )
        })?);
    }

    // The candidate scan.
    let mut byte_groups = [0u32; 256];
    for (g, group) in groups.iter().enumerate() {
        for b in 0..128 {
            if group.trigger_ascii[b] {
                byte_groups[b] |= 1 << g;
            }
        }
        if has_non_ascii(&group.trigger) {
            for b in 0xC2..=0xF4 {
                byte_groups[b] |= 1 << g;
            }
        }
    }
    if pack.normalize {
        for &b in VIEW_LEAD_BYTES {
            byte_groups[b as usize] |= VIEW_BIT;
        }
    }
    let users = pair_table(&detectors, &keywords);
    let mut single = [false; 256];
    for (b, s) in single.iter_mut().enumerate() {
        *s = byte_groups[b] != 0;
    }
    let specs: Vec<PairSpec> = users.iter().map(|(s, _)| *s).collect();
    let none = [false; 128];
    let group0 = groups
        .first()
        .map_or((&none, &none), |g| (&g.class_ascii, &g.trigger_ascii));
    let classifier = Classifier::new(&single, &specs, group0);
    let pair_users = classifier
        .pairs
        .iter()
        .map(|g| {
            users
                .iter()
                .filter(|(spec, _)| {
                    let (a, b, c) = spec.stored();
                    a == g.first
                        && spec.fold == g.fold
                        && spec.word_start == g.word_start
                        && g.rest.contains(&(b, c))
                })
                .map(|(_, u)| *u)
                .collect::<Vec<_>>()
        })
        .map(|mut v| {
            v.dedup_by(|a, b| same_user(a, b));
            v
        })
        .collect();
    let allow = pack
        .allow
        .iter()
        .map(|a| {
            (
                a.entity,
                a.values
                    .iter()
                    .map(|v| normalize_value(v.as_bytes()))
                    .collect(),
            )
        })
        .collect();
    let group0_exclusive = groups.first().is_some_and(|g| {
        (0..128).all(|b| !g.trigger_ascii[b] || byte_groups[b] == 1)
    });
    let entity_order = entity_order(&pack);
    Ok(Inner {
        group0_exclusive,
        entity_order,
        pack,
        detectors,
        groups,
        full,
        classifier,
        pair_users,
        byte_groups,
        keywords,
        alphabet,
        allow,
    })
}

/// Entity indexes in the order the pack's detectors first name them, then
/// the entities no detector names.
fn entity_order(pack: &Pack) -> Vec<usize> {
    let mut order: Vec<usize> = Vec::new();
    let named = pack.detectors.iter().map(|d| d.entity);
    for e in named.chain(0..pack.entities.len()) {
        if !order.contains(&e) {
            order.push(e);
        }
    }
    order
}

fn same_user(a: &PairUser, b: &PairUser) -> bool {
    match (a, b) {
        (PairUser::Detector(x), PairUser::Detector(y)) => x == y,
        (
            PairUser::Keyword { list: l1, variant: v1 },
            PairUser::Keyword { list: l2, variant: v2 },
        ) => l1 == l2 && v1 == v2,
        _ => false,
    }
}

fn run_groups(
    triggers: &[ClassUnicode],
    detectors: &[Compiled],
) -> Result<Vec<RunGroup>, String> {
    triggers
        .iter()
        .enumerate()
        .map(|(g, t)| {
            let mut members: Vec<usize> = detectors
                .iter()
                .enumerate()
                .filter(
                    |(_, d)| matches!(d.trigger, Trigger::Run(x) if x == g),
                )
                .map(|(i, _)| i)
                .collect();
            // By trigger minimum, so a run stops at the first too high.
            members.sort_by_key(|&i| detectors[i].min_trigger);
            let mut class = t.clone();
            let mut counted = Vec::new();
            for &i in &members {
                class.union(&detectors[i].run_class);
                for &(b, _) in &detectors[i].needs {
                    if !counted.contains(&b) && counted.len() < 8 {
                        counted.push(b);
                    }
                }
            }
            let hirs: Vec<&regex_syntax::hir::Hir> =
                members.iter().map(|&i| &detectors[i].hir).collect();
            let trigger_ascii = ascii_table(t);
            let class_ascii = ascii_table(&class);
            let mut flags = [0u8; 128];
            for (b, f) in flags.iter_mut().enumerate() {
                *f = u8::from(class_ascii[b]) * IN_RUN
                    | u8::from(trigger_ascii[b]) * TRIGGER;
                if let Some(k) =
                    counted.iter().position(|&c| usize::from(c) == b)
                {
                    *f |= ((k + 1) as u8) << 2;
                }
            }
            let min_trigger = members
                .iter()
                .map(|&i| detectors[i].min_trigger)
                .min()
                .unwrap_or(0);
            Ok(RunGroup {
                non_ascii: has_non_ascii(&class),
                trigger_ascii,
                trigger: t.clone(),
                class_ascii,
                class,
                counted,
                flags,
                min_trigger,
                sieve: compile::sieve(&hirs)?,
                detectors: members,
            })
        })
        .collect()
}

/// The byte pairs of every prefix trigger and keyword spelling.
fn pair_table(
    detectors: &[Compiled],
    keywords: &[Keywords],
) -> Vec<(PairSpec, PairUser)> {
    let mut users = Vec::new();
    for (i, d) in detectors.iter().enumerate() {
        if let Trigger::Prefix { prefixes, fold, word_start } = &d.trigger {
            for p in prefixes {
                users.push((
                    PairSpec::new(p, *fold, *word_start),
                    PairUser::Detector(i),
                ));
            }
        }
    }
    for (l, k) in keywords.iter().enumerate() {
        let word_start = k.mode == crate::rules::KeywordMode::Word;
        for (v, var) in k.variants.iter().enumerate() {
            let spec = PairSpec::new(&var.bytes, true, word_start);
            users.push((spec, PairUser::Keyword { list: l, variant: v }));
        }
    }
    users
}

/// The comparable form of a value for the allow-list: digits only when it
/// has at least four, else lower case without spaces.
pub(crate) fn normalize_value(v: &[u8]) -> Vec<u8> {
    let digits: Vec<u8> =
        v.iter().copied().filter(u8::is_ascii_digit).collect();
    if digits.len() >= 4 {
        digits
    } else {
        v.iter()
            .filter(|b| !b.is_ascii_whitespace())
            .map(u8::to_ascii_lowercase)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn engine_is_send_and_sync() {
        assert_send_sync::<Engine>();
    }
}
#[cfg(test)]
mod build_tests {
    use super::*;

    #[test]
    fn builtin_engines_compile() {
        for name in Pack::BUILTIN {
            let t = std::time::Instant::now();
            let e = Engine::builtin(name).unwrap();
            eprintln!(
                "{name}: {:?} groups={} full={:?}",
                t.elapsed(),
                e.inner().groups.len(),
                e.inner().full
            );
            for d in &e.inner().detectors {
                eprintln!(
                    "  {} {:?} min={} len={} needs={:?}",
                    e.pack().detectors[d.index].id,
                    d.trigger,
                    d.min_trigger,
                    d.min_len,
                    d.needs
                );
            }
        }
    }
}
