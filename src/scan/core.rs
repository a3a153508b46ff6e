//! Scanning one buffer: the candidate scan, runs, prefixes and keywords.
//!
//! [`scan_text`] walks the marks of the candidate scan in order. A mark of
//! a run trigger grows into the maximal run of characters the group's
//! detectors can consume, and each detector whose minimums the run meets
//! searches it with its automaton. A mark of a byte pair is checked
//! against the literal prefixes and keyword spellings that start with it;
//! a detector then runs anchored at the mark. Detectors without a trigger
//! search the whole buffer. Every candidate then passes the detector's
//! validator, isolation check, context score and the allow-list.
//!
//! All work is linear in the buffer: runs never overlap, and every search
//! looks at most twice the detector's longest match ahead (its pattern's
//! own bound, else the pack's `max_match_len`), so a pattern whose every
//! search would read to the end of the buffer before a short match wins
//! (`.*[^A-Z]|[A-Z]` over capitals, HOSTILE-INPUTS 5) costs the buffer
//! times that length, not its square; the automata are linear-time.
//!
//! A match as long as the pack's longest match or longer is reported as
//! an error on the message (`complete: false`). Limitation: for a custom
//! pattern with no bound of its own, a window can hide that a match
//! would run past the pack's longest match when a shorter alternative
//! also matches inside it; that shorter match is then what is reported.

use regex_automata::{Anchored, Input};

use crate::engine::python::{contains, decode};
use crate::engine::trigger::{BLOCK, fold};
use crate::engine::{
    IN_RUN, Inner, PairUser, Scratch, TRIGGER, Trigger, VIEW_BIT,
    normalize_value,
};
use crate::rules::KeywordMode;
use crate::rules::validate::Verdict;

use super::context;
use super::{Finding, KeywordHit, Span};

/// What scanning one buffer found.
#[derive(Debug, Default)]
pub(crate) struct Found {
    pub findings: Vec<Finding>,
    pub keywords: Vec<KeywordHit>,
    /// Candidates longer than the pack allows (the detector's id).
    pub overlong: Vec<usize>,
}

/// The buffer holds a form the normalised view folds.
#[derive(Debug)]
pub(crate) struct NeedView;

/// Scans `text` as field `field`. With `stop_at_view`, returns
/// [`NeedView`] as soon as a form the normalised view folds is seen.
pub(crate) fn scan_text(
    inner: &Inner,
    scratch: &mut Scratch,
    text: &[u8],
    field: usize,
    stop_at_view: bool,
    found: &mut Found,
) -> Result<(), NeedView> {
    let mut s = FieldScan::new(inner, scratch, text, field, found);
    s.marks(stop_at_view)?;
    for &d in &inner.full {
        s.search(d, 0, text.len());
    }
    Ok(())
}

/// The raw matches of every detector in `text`, without validators or
/// context: what each pattern alone finds, as Python's `re.findall` would,
/// as `(detector, span)`. With `redact`, detectors' case-sensitive twins
/// are used where they have one.
pub(crate) fn raw_scan(
    inner: &Inner,
    scratch: &mut Scratch,
    text: &[u8],
    redact: bool,
) -> Vec<(usize, Span)> {
    let mut found = Found::default();
    let mut s = FieldScan::new(inner, scratch, text, 0, &mut found);
    s.raw = Some(Vec::new());
    s.redact = redact;
    let _ = s.marks(false);
    for &d in &inner.full {
        s.search(d, 0, text.len());
    }
    s.raw.take().unwrap_or_default()
}

/// The raw matches of detector `d` in `text[range]` (see [`raw_scan`]).
pub(crate) fn raw_matches(
    inner: &Inner,
    scratch: &mut Scratch,
    d: usize,
    text: &[u8],
    range: std::ops::Range<usize>,
    redact: bool,
) -> Vec<Span> {
    let mut found = Found::default();
    let mut s = FieldScan::new(inner, scratch, text, 0, &mut found);
    s.raw = Some(Vec::new());
    s.redact = redact;
    s.search(d, range.start, range.end);
    s.raw
        .take()
        .unwrap_or_default()
        .into_iter()
        .map(|(_, span)| span)
        .collect()
}

struct FieldScan<'a> {
    inner: &'a Inner,
    scratch: &'a mut Scratch,
    text: &'a [u8],
    field: usize,
    found: &'a mut Found,
    /// End of the last run of each group.
    processed: [usize; 32],

    /// Collect raw match spans here instead of findings.
    raw: Option<Vec<(usize, Span)>>,
    /// Search with the case-sensitive twins.
    redact: bool,
}

impl<'a> FieldScan<'a> {
    fn new(
        inner: &'a Inner,
        scratch: &'a mut Scratch,
        text: &'a [u8],
        field: usize,
        found: &'a mut Found,
    ) -> FieldScan<'a> {
        scratch.det_end.clear();
        scratch.det_end.resize(inner.detectors.len(), 0);
        scratch.kw_end.clear();
        scratch.kw_end.resize(inner.keywords.len(), 0);
        FieldScan {
            inner,
            scratch,
            text,
            field,
            found,
            processed: [0; 32],
            raw: None,
            redact: false,
        }
    }

    fn marks(&mut self, stop_at_view: bool) -> Result<(), NeedView> {
        let text = self.text;
        let classifier = &self.inner.classifier;
        if classifier.is_empty() {
            return Ok(());
        }
        let mut at = 0;
        while at < text.len() {
            let marks = classifier.block(text, at);
            let mut singles = marks.singles;
            // The first group's ASCII triggers grow their runs with bit
            // operations; their bytes need no other look unless they also
            // mark something else.
            let fast =
                if self.inner.groups.is_empty() { 0 } else { marks.trigger0 };
            if self.inner.group0_exclusive {
                singles &= !fast;
            }
            let mut bits = singles | marks.pairs | fast;
            while bits != 0 {
                let i = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let p = at + i;
                if fast >> i & 1 == 1 && p >= self.processed[0] {
                    self.run_bits(&marks, at, i);
                }
                if singles >> i & 1 == 1 {
                    let groups = self.inner.byte_groups[text[p] as usize];
                    if groups & VIEW_BIT != 0
                        && stop_at_view
                        && super::view::is_trigger(text, p)
                    {
                        return Err(NeedView);
                    }
                    let mut g = groups & !VIEW_BIT;
                    while g != 0 {
                        let gi = g.trailing_zeros() as usize;
                        g &= g - 1;
                        if p >= self.processed[gi] {
                            self.run(gi, p);
                        }
                    }
                }
                if marks.pairs >> i & 1 == 1 {
                    self.pair(p);
                }
            }
            at += BLOCK;
        }
        Ok(())
    }

    /// The run of the first group around its ASCII trigger at bit `i` of
    /// the block at `at`, found with bit operations on the block's masks.
    /// A run that reaches the edge of the block, or a non-ASCII character
    /// next to it, is grown the scalar way.
    fn run_bits(
        &mut self,
        marks: &crate::engine::trigger::Marks,
        at: usize,
        i: usize,
    ) {
        let text = self.text;
        let class = marks.class0;
        let below = !class & ((1u64 << i) - 1);
        let start =
            if below == 0 { 0 } else { 64 - below.leading_zeros() as usize };
        let above = if i == 63 { 0 } else { !class & (!0u64 << (i + 1)) };
        let end =
            if above == 0 { BLOCK } else { above.trailing_zeros() as usize };
        let (s, e) = (at + start, (at + end).min(text.len()));
        // The run may go on past the block, or through a non-ASCII
        // character of the class: grow it the scalar way then.
        let group = &self.inner.groups[0];
        let open = |b: u8| {
            if b < 0x80 {
                group.class_ascii[usize::from(b)]
            } else {
                group.non_ascii
            }
        };
        let open_left = s > 0 && open(text[s - 1]);
        let open_right = e < text.len() && open(text[e]);
        if open_left || open_right {
            self.run(0, at + i);
            return;
        }
        let span = (!0u64 << start)
            & if end == BLOCK { !0 } else { (1u64 << end) - 1 };
        let trig = marks.trigger0 & span;
        // The longest streak of consecutive triggers.
        let mut x = trig;
        let mut longest = 0;
        while x != 0 {
            longest += 1;
            x &= x >> 1;
        }
        self.processed[0] = e;
        self.run_found(0, s, e, trig.count_ones() as usize, longest);
    }

    /// Whether character `c` (or an invalid byte, `None`) is in a run of
    /// group `g`.
    fn in_class(&self, g: usize, c: Option<u32>) -> bool {
        let group = &self.inner.groups[g];
        match c {
            Some(c) if c < 0x80 => group.class_ascii[c as usize],
            Some(c) => {
                char::from_u32(c).is_some_and(|c| contains(&group.class, c))
            }
            None => false,
        }
    }

    /// Grows the run of group `g` around the trigger at `p` and searches
    /// it with each detector whose minimums it meets and whose pattern the
    /// group's sieve saw match.
    fn run(&mut self, g: usize, p: usize) {
        let text = self.text;
        let group = &self.inner.groups[g];
        let is_trigger = |c: Option<u32>| match c {
            Some(c) if c < 0x80 => group.trigger_ascii[c as usize],
            Some(c) => {
                char::from_u32(c).is_some_and(|c| contains(&group.trigger, c))
            }
            None => false,
        };

        // A non-ASCII lead byte marks only a possible trigger.
        if text[p] >= 0x80 && !is_trigger(decode(text, p).0) {
            return;
        }

        // Grow left.
        let mut start = p;
        while start > 0 {
            let b = text[start - 1];
            if b < 0x80 {
                if group.flags[usize::from(b)] & IN_RUN == 0 {
                    break;
                }
                start -= 1;
            } else {
                let prev = char_start(text, start);
                if !self.in_class(g, decode(text, prev).0) {
                    break;
                }
                start = prev;
            }
        }

        // Grow right, counting what the detectors need.
        let mut end = start;
        let (mut triggers, mut streak, mut longest) = (0usize, 0usize, 0usize);
        let mut counts = [0usize; 8];
        while end < text.len() {
            let b = text[end];
            let (trig, len) = if b < 0x80 {
                let f = group.flags[usize::from(b)];
                if f & IN_RUN == 0 {
                    break;
                }
                if f >> 2 != 0 {
                    counts[usize::from(f >> 2) - 1] += 1;
                }
                (f & TRIGGER != 0, 1)
            } else {
                let (c, len) = decode(text, end);
                if !self.in_class(g, c) {
                    break;
                }
                (is_trigger(c), len)
            };
            if trig {
                triggers += 1;
                streak += 1;
                longest = longest.max(streak);
            } else {
                streak = 0;
            }
            end += len;
        }
        self.processed[g] = end;
        self.run_stats(g, start, end, triggers, longest, counts);
    }

    /// A run of group `g` found by [`FieldScan::runs_in_block`]: counts
    /// the bytes its detectors need and goes on as [`FieldScan::run`].
    fn run_found(
        &mut self,
        g: usize,
        start: usize,
        end: usize,
        triggers: usize,
        longest: usize,
    ) {
        let group = &self.inner.groups[g];
        if triggers < group.min_trigger {
            return;
        }
        let mut counts = [0usize; 8];
        if !group.counted.is_empty() {
            for &b in &self.text[start..end] {
                let f = group.flags[usize::from(b & 0x7F)];
                if f >> 2 != 0 {
                    counts[usize::from(f >> 2) - 1] += 1;
                }
            }
        }
        self.run_stats(g, start, end, triggers, longest, counts);
    }

    /// Searches a grown run with each detector whose minimums it meets and
    /// whose pattern the group's sieve saw match.
    fn run_stats(
        &mut self,
        g: usize,
        start: usize,
        end: usize,
        triggers: usize,
        longest: usize,
        counts: [usize; 8],
    ) {
        let group = &self.inner.groups[g];
        if triggers < group.min_trigger {
            return;
        }

        // Detectors whose minimums the run meets; the group lists them by
        // their trigger minimum, so the loop stops at the first too high.
        let mut wanted = 0u128;
        for (k, &d) in group.detectors.iter().enumerate() {
            let det = &self.inner.detectors[d];
            if triggers < det.min_trigger {
                break;
            }
            let needs_met = det.needs.iter().all(|&(b, n)| {
                group
                    .counted
                    .iter()
                    .position(|&c| c == b)
                    .is_none_or(|i| counts[i] >= n)
            });
            if longest >= det.streak && end - start >= det.min_len && needs_met
            {
                wanted |= 1 << k.min(127);
            }
        }
        if wanted == 0 {
            return;
        }
        let matched = self.sieve(g, start, end);
        let threshold = self.inner.pack.threshold;
        for k in 0..group.detectors.len() {
            if wanted >> k.min(127) & 1 == 1
                && (k >= 64 || matched >> k & 1 == 1)
            {
                let d = self.inner.groups[g].detectors[k];
                let det = &self.inner.detectors[d];
                let base = self.inner.pack.detectors[det.index].score;
                // A detector that needs a raise word skips runs with none.
                let needs_raise = base < threshold;
                if needs_raise
                    && (base + det.context.raise_by < threshold
                        || !context::raise_near(
                            &det.context,
                            self.text,
                            start,
                            end,
                        ))
                {
                    continue;
                }
                self.search(d, start, end);
            }
        }
    }

    /// Which of group `g`'s patterns match anywhere in `text[start..end]`,
    /// as a bit mask of their positions in the group; all bits when the
    /// sieve cannot tell (a quit byte, a cache that gave up).
    fn sieve(&mut self, g: usize, start: usize, end: usize) -> u64 {
        let text = self.text;
        if self.inner.alphabet.is_some() {
            let (lo, hi) = context_bounds(text, start, end);
            if !text[lo..hi].is_ascii() {
                return u64::MAX;
            }
        }
        let dfa = &self.inner.groups[g].sieve;
        let cache = &mut self.scratch.sieves[g];
        let input = Input::new(text).range(start..end);
        let Ok(mut sid) = dfa.start_state_forward(cache, &input) else {
            return u64::MAX;
        };
        let mut found = 0u64;
        let mut collect =
            |sid: regex_automata::hybrid::LazyStateID,
             cache: &regex_automata::hybrid::dfa::Cache| {
                for i in 0..dfa.match_len(cache, sid) {
                    let pid = dfa.match_pattern(cache, sid, i).as_usize();
                    found |= 1u64.checked_shl(pid as u32).unwrap_or(0);
                }
            };
        for &b in &text[start..end] {
            sid = match dfa.next_state(cache, sid, b) {
                Ok(sid) => sid,
                Err(_) => return u64::MAX,
            };
            if sid.is_tagged() {
                if sid.is_match() {
                    collect(sid, cache);
                } else if sid.is_dead() {
                    return found;
                } else if sid.is_quit() {
                    return u64::MAX;
                }
            }
        }
        let last = if end < text.len() {
            dfa.next_state(cache, sid, text[end])
        } else {
            dfa.next_eoi_state(cache, sid)
        };
        match last {
            Ok(sid) if sid.is_quit() => u64::MAX,
            Ok(sid) => {
                if sid.is_match() {
                    collect(sid, cache);
                }
                found
            }
            Err(_) => u64::MAX,
        }
    }

    /// A byte pair at `p` starts a prefix of some detectors or keywords.
    fn pair(&mut self, p: usize) {
        let inner = self.inner;
        let text = self.text;
        let mut best: [(usize, usize, usize); 4] = [(usize::MAX, 0, 0); 4];
        for gi in inner.classifier.pair_groups_at(text, p) {
            for &user in &inner.pair_users[gi] {
                match user {
                    PairUser::Detector(d) => self.prefix(d, p),
                    PairUser::Keyword { list, variant } => {
                        let v = &inner.keywords[list].variants[variant];
                        if folded_eq(text, p, &v.bytes) {
                            let end = p + v.bytes.len();
                            let slot = best
                                .iter_mut()
                                .find(|b| b.0 == list || b.0 == usize::MAX);
                            match slot {
                                Some(b) if b.0 == usize::MAX || b.2 < end => {
                                    *b = (list, v.word, end)
                                }
                                _ => {}
                            }
                        }
                    }
                }
            }
        }
        for (list, word, end) in best {
            if list != usize::MAX {
                self.keyword(list, word, p, end);
            }
        }
    }

    fn keyword(&mut self, list: usize, word: usize, start: usize, end: usize) {
        if start < self.scratch.kw_end[list] {
            return;
        }
        let mode = self.inner.keywords[list].mode;
        if mode == KeywordMode::Word
            && (alnum_before(self.text, start) || alnum_at(self.text, end))
        {
            return;
        }
        self.scratch.kw_end[list] = end;
        self.found.keywords.push(KeywordHit {
            list,
            word,
            field: self.field,
            span: Span { start, end },
            in_footer: false,
        });
    }

    /// Runs a prefix-triggered detector anchored at `p`.
    fn prefix(&mut self, d: usize, p: usize) {
        if p < self.scratch.det_end[d] {
            return;
        }
        let det = &self.inner.detectors[d];
        let Trigger::Prefix { prefixes, fold, .. } = &det.trigger else {
            return;
        };
        let starts = |x: &Vec<u8>| {
            if *fold {
                folded_eq(self.text, p, x)
            } else {
                self.text[p..].starts_with(x)
            }
        };
        if !prefixes.iter().any(starts) {
            return;
        }
        let limit = self.limit(d);
        let end = self.text.len().min(p.saturating_add(limit));
        let input =
            Input::new(self.text).range(p..end).anchored(Anchored::Yes);
        let Some(m) = self.find(d, &input) else { return };
        if m.1 == end && end < self.text.len() {
            self.found.overlong.push(d);
        }
        self.scratch.det_end[d] = m.1;
        self.accept(d, m.0, m.1, m.2);
    }

    /// Searches `text[start..end]` with detector `d`, all matches.
    fn search(&mut self, d: usize, start: usize, end: usize) {
        let text = self.text;
        let needs_transcode = self.inner.alphabet.is_some() && {
            let (lo, hi) = context_bounds(text, start, end);
            !text[lo..hi].is_ascii()
        };
        if needs_transcode {
            self.search_transcoded(d, start, end);
            return;
        }
        let min_len = self.inner.detectors[d].min_len;
        let limit = self.limit(d);
        let mut at = start;
        while at <= end && end - at >= min_len {
            // A window that holds every match starting in its first
            // `limit` bytes whole.
            let hi = end.min(at.saturating_add(limit.saturating_mul(2)));
            let input = Input::new(text).range(at..hi);
            let cut = hi < end;
            match self.find(d, &input) {
                None if cut => at = hi - limit + 1,
                None => break,
                // A match that starts late may be cut by the window:
                // search again from its start.
                Some((s, _, _)) if cut && s + limit > hi => at = s,
                Some((s, e, group)) => {
                    if e - s >= limit {
                        self.found.overlong.push(d);
                    }
                    self.accept(d, s, e, group);
                    at = if e > s { e } else { e + 1 };
                }
            }
        }
    }

    /// One more than the longest match detector `d` can make: its
    /// pattern's own bound, or the pack's longest match.
    fn limit(&self, d: usize) -> usize {
        let det = &self.inner.detectors[d];
        let most = self.inner.pack.max_match_len.max(1);
        det.max_len.map_or(most, |m| m.saturating_add(1).min(most))
    }

    /// Python semantics over non-ASCII text: search a copy in which every
    /// non-ASCII character is its stand-in, one character of context on
    /// each side.
    fn search_transcoded(&mut self, d: usize, start: usize, end: usize) {
        let text = self.text;
        let Some(alphabet) = self.inner.alphabet.as_ref() else { return };
        let (lo, hi) = context_bounds(text, start, end);
        let mut buf = std::mem::take(&mut self.scratch.buf);
        let mut offsets = std::mem::take(&mut self.scratch.offsets);
        buf.clear();
        offsets.clear();
        alphabet.transcode(text, lo..hi, &mut buf, &mut offsets);
        let bs = offsets.partition_point(|&o| o < start);
        let be = offsets.partition_point(|&o| o < end);
        let mut input = Input::new(&buf[..]).range(bs..be);
        let mut hits = Vec::new();
        while let Some((s, e, group)) = self.find(d, &input) {
            let map = |(a, b): (usize, usize)| (offsets[a], offsets[b]);
            hits.push((offsets[s], offsets[e], group.map(map)));
            let next = if e > s { e } else { e + 1 };
            if next > be {
                break;
            }
            input.set_start(next);
        }
        self.scratch.buf = buf;
        self.scratch.offsets = offsets;
        for (s, e, group) in hits {
            self.accept(d, s, e, group);
        }
    }

    /// One search: the match span and, for detectors with a group, the
    /// group's span.
    fn find(
        &mut self,
        d: usize,
        input: &Input<'_>,
    ) -> Option<(usize, usize, Option<(usize, usize)>)> {
        let det = &self.inner.detectors[d];
        if self.redact {
            if let (Some(re), Some(cache)) =
                (det.redact.as_ref(), self.scratch.redact_caches[d].as_mut())
            {
                let m = re.search_with(cache, input)?;
                return Some((m.start(), m.end(), None));
            }
        }
        let fast = match (det.fast.as_ref(), self.scratch.fast[d].as_mut()) {
            (Some(fast), Some(cache)) => fast.try_search(cache, input).ok(),
            _ => None,
        };
        let cache = &mut self.scratch.caches[d];
        let m = match fast {
            Some(m) => m?,
            None => det.regex.search_with(cache, input)?,
        };
        match (det.group, self.scratch.captures[d].as_mut()) {
            (Some(g), Some(caps)) => {
                // Groups only on the span the automaton already found.
                let exact = input
                    .clone()
                    .range(m.start()..m.end())
                    .anchored(Anchored::Yes);
                det.regex.search_captures_with(cache, &exact, caps);
                let span = caps.get_group(g).map(|s| (s.start, s.end));
                Some((m.start(), m.end(), span))
            }
            _ => Some((m.start(), m.end(), None)),
        }
    }

    /// Validates and scores one match and keeps it if it passes.
    fn accept(
        &mut self,
        d: usize,
        start: usize,
        end: usize,
        group: Option<(usize, usize)>,
    ) {
        if let Some(raw) = self.raw.as_mut() {
            raw.push((d, Span { start, end }));
            return;
        }
        let inner = self.inner;
        let det = &inner.detectors[d];
        let rule = &inner.pack.detectors[det.index];
        let text = self.text;
        let (s, mut e) = match group {
            Some(span) => trim_quotes(text, span),
            None if det.group.is_some() => return,
            None => (start, end),
        };
        if s >= e {
            return;
        }
        if rule.isolated && !context::isolated(text, s, e) {
            return;
        }
        let mut validated = false;
        if let Some(v) = rule.validator {
            match v.check(&text[s..e]) {
                Verdict::Reject => return,
                Verdict::Accept => validated = true,
                Verdict::Shorten(n) => {
                    e = s + n;
                    validated = true;
                }
            }
        }
        if rule.isolated && e != end && !context::isolated(text, s, e) {
            return;
        }
        let score = (rule.score
            + context::adjust(&det.context, text, s.min(start)))
        .clamp(0.0, 1.0);
        if score < inner.pack.threshold {
            return;
        }
        if inner.allow.iter().any(|(ent, values)| {
            *ent == det.entity
                && values.contains(&normalize_value(&text[s..e]))
        }) {
            return;
        }
        self.found.findings.push(Finding {
            entity: det.entity,
            detector: det.index,
            field: self.field,
            span: Span { start: s, end: e },
            score,
            validated,
        });
    }
}

/// `start..end` widened by one character on each side: the context a
/// word boundary looks at.
fn context_bounds(text: &[u8], start: usize, end: usize) -> (usize, usize) {
    let lo = if start > 0 { char_start(text, start) } else { 0 };
    let hi = if end < text.len() { end + decode(text, end).1 } else { end };
    (lo, hi)
}

/// A captured value in matching quotes is reported without them.
fn trim_quotes(text: &[u8], (s, e): (usize, usize)) -> (usize, usize) {
    if e >= s + 2 {
        let (a, b) = (text[s], text[e - 1]);
        if a == b && (a == b'\'' || a == b'"') {
            return (s + 1, e - 1);
        }
    }
    (s, e)
}

/// Whether `text[p..]` starts with `pat`, ASCII letters folded.
fn folded_eq(text: &[u8], p: usize, pat: &[u8]) -> bool {
    text.len() >= p + pat.len()
        && text[p..p + pat.len()].iter().zip(pat).all(|(&a, &b)| fold(a) == b)
}

/// The start of the character before `i`.
pub(crate) fn char_start(text: &[u8], i: usize) -> usize {
    let mut j = i - 1;
    while j > 0 && i - j < 4 && (text[j] & 0xC0) == 0x80 {
        j -= 1;
    }
    if decode(text, j).1 == i - j { j } else { i - 1 }
}

fn is_alnum(c: Option<u32>) -> bool {
    c.and_then(char::from_u32).is_some_and(|c| c.is_alphanumeric() || c == '_')
}

fn alnum_before(text: &[u8], i: usize) -> bool {
    i > 0 && is_alnum(decode(text, char_start(text, i)).0)
}

fn alnum_at(text: &[u8], i: usize) -> bool {
    i < text.len() && is_alnum(decode(text, i).0)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::engine::Engine;

    /// Values the `default` pack and the example pack detect, text around
    /// them, and bytes that are not UTF-8.
    const PIECES: &[&[u8]] = &[
        b"ana@example.com",
        b"Bo.Li+x@mail.example.org",
        b"4111 1111 1111 1111",
        b"4111-1111-1111-1111",
        b"SSN 536-90-1234",
        b"536-90-1234",
        b"call (415) 555-0132",
        b"+44 20 7946 0958",
        b"192.0.2.7",
        b"2001:db8::1",
        b"DE89 3704 0044 0532 0130 00",
        b"password: hunter2xyz",
        b"AKIAIOSFODNN7EXAMPLE",
        b"eb_2db728971d9b640e_c92P2-zHd3OC2pYwL82",
        b"EMP-123456",
        b"-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34Gkx\n\
          -----END RSA PRIVATE KEY-----",
        b"caf\xc3\xa9 ",
        b"\xff",
        b" ",
        b"\n",
        b"lorem ipsum ",
        b"0123",
        b"-",
        b"@",
        b".",
        b":",
    ];

    fn text() -> impl Strategy<Value = Vec<u8>> {
        (0usize..70, proptest::collection::vec(0..PIECES.len(), 0..40))
            .prop_map(|(pad, picks)| {
                let mut t = b"x".repeat(pad);
                for i in picks {
                    t.extend_from_slice(PIECES[i]);
                    t.push(b' ');
                }
                t
            })
    }

    /// The oracle: each detector's own automaton over the whole buffer,
    /// every leftmost-first match, no triggers, runs or prefixes.
    fn naive(engine: &Engine, text: &[u8]) -> Vec<(usize, Span)> {
        let mut out = Vec::new();
        for (d, det) in engine.inner().detectors.iter().enumerate() {
            for m in det.regex.find_iter(text) {
                out.push((d, Span { start: m.start(), end: m.end() }));
            }
        }
        out.sort_unstable();
        out
    }

    /// The `default` pack and the example pack, compiled once.
    static ENGINES: std::sync::LazyLock<[Engine; 2]> =
        std::sync::LazyLock::new(|| {
            let toml = include_str!("../../examples/custom-pack.toml");
            let pack = crate::rules::Pack::from_toml("custom-pack.toml", toml)
                .unwrap();
            [Engine::builtin("default").unwrap(), Engine::new(pack).unwrap()]
        });

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// HOSTILE-INPUTS 9: what the candidate scan finds equals what
        /// a plain search of the whole buffer finds, detector by detector.
        #[test]
        fn candidate_scan_equals_a_plain_search(text in text()) {
            for engine in ENGINES.iter() {
                let mut scratch = engine.scratch();
                let mut got =
                    raw_scan(engine.inner(), &mut scratch, &text, false);
                got.sort_unstable();
                prop_assert_eq!(got, naive(engine, &text));
            }
        }
    }
}
