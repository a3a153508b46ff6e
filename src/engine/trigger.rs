//! The candidate scan: one pass over a field that marks where anything can
//! start.
//!
//! Each 64-byte block of a field is classified at once: a bit per byte
//! that can start a run (a digit, `@`, `:`, a lead byte of a non-ASCII
//! character a detector or the normalised view cares about) and a bit per
//! position where two bytes begin a literal prefix of a detector or a
//! keyword (`ey` of a JWT, `pa` of `password`), with ASCII letters folded.
//! The classification itself is [`super::simd`]'s nibble tables.
//! Everything after this step runs only at the marked positions.

/// The number of bytes classified at once.
pub(crate) const BLOCK: usize = 64;

/// Folds ASCII upper case to lower case and leaves every other byte.
#[inline(always)]
pub(crate) fn fold(b: u8) -> u8 {
    b | ((b.wrapping_sub(b'A') < 26) as u8) << 5
}

pub(crate) use super::simd::Marks;
use super::simd::{self, Nibbles, Tables};

/// One pair class: a first byte (folded or exact) and the bytes that may
/// follow it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PairGroup {
    /// The first byte; lower case when `fold`.
    pub first: u8,
    /// Compare ASCII letters case-insensitively.
    pub fold: bool,
    /// Only where the byte before is not an ASCII letter or digit.
    pub word_start: bool,
    /// Second and (when the prefix has one) third bytes; lower case when
    /// `fold`.
    pub rest: Vec<(u8, Option<u8>)>,
}

/// What asks for a pair: the first three bytes of a prefix (the third may
/// be absent), whether to fold case, and whether at word starts only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PairSpec {
    pub bytes: (u8, u8, Option<u8>),
    pub fold: bool,
    pub word_start: bool,
}

impl PairSpec {
    /// The spec of a prefix of at least two bytes.
    pub(crate) fn new(
        prefix: &[u8],
        fold: bool,
        word_start: bool,
    ) -> PairSpec {
        PairSpec {
            bytes: (prefix[0], prefix[1], prefix.get(2).copied()),
            fold,
            word_start,
        }
    }

    /// Whether this spec's bytes, as its group stores them, are
    /// `(first, second, third)`.
    pub(crate) fn stored(&self) -> (u8, u8, Option<u8>) {
        let (a, b, c) = self.bytes;
        if self.fold { (fold(a), fold(b), c.map(fold)) } else { (a, b, c) }
    }
}

/// The compiled candidate scan.
#[derive(Clone, Debug, Default)]
pub(crate) struct Classifier {
    tables: Tables,
    any: bool,
    /// Pair classes, for the exact check at a mark.
    pub pairs: Vec<PairGroup>,
    /// For each byte value, the pair classes whose first byte it can be.
    by_first: Vec<Vec<u16>>,
}

/// A byte and, for a folded ASCII letter, its other case.
fn cases(b: u8, fold: bool) -> Vec<u8> {
    if fold && b.is_ascii_alphabetic() {
        vec![b.to_ascii_lowercase(), b.to_ascii_uppercase()]
    } else {
        vec![b]
    }
}

impl Classifier {
    /// Builds a classifier from the bytes that start runs, the pairs that
    /// start prefixes, and the exact ASCII class and triggers of the first
    /// run group (empty when there is none).
    pub(crate) fn new(
        single: &[bool; 256],
        specs: &[PairSpec],
        group0: (&[bool; 128], &[bool; 128]),
    ) -> Classifier {
        let mut pairs: Vec<PairGroup> = Vec::new();
        for spec in specs {
            let (a, b, c) = spec.stored();
            let key = |g: &PairGroup| {
                g.first == a
                    && g.fold == spec.fold
                    && g.word_start == spec.word_start
            };
            match pairs.iter_mut().find(|g| key(g)) {
                Some(g) if !g.rest.contains(&(b, c)) => g.rest.push((b, c)),
                Some(_) => {}
                None => pairs.push(PairGroup {
                    first: a,
                    fold: spec.fold,
                    word_start: spec.word_start,
                    rest: vec![(b, c)],
                }),
            }
        }
        let mut tables = Tables {
            alnum: Tables::alnum(),
            class0: Tables::ascii(|b| group0.0[usize::from(b)]),
            trigger0: Tables::ascii(|b| group0.1[usize::from(b)]),
            ..Tables::default()
        };
        tables.single = single_table(single);
        // Pair groups share the sixteen bits round-robin; a shared bit
        // needs a word start only if all its groups do.
        let mut ws_all = [0xFFu8; 2];
        for (i, g) in pairs.iter().enumerate() {
            let (pass, bit) = ((i / 8) % 2, (i % 8) as u8);
            for &x in &cases(g.first, g.fold) {
                tables.first[pass].add(bit, x);
            }
            for &(s, t) in &g.rest {
                for &x in &cases(s, g.fold) {
                    tables.second[pass].add(bit, x);
                }
                match t {
                    Some(t) => {
                        for &x in &cases(t, g.fold) {
                            tables.third[pass].add(bit, x);
                        }
                    }
                    None => {
                        for x in 0..=255 {
                            tables.third[pass].add(bit, x);
                        }
                    }
                }
            }
            if !g.word_start {
                ws_all[pass] &= !(1 << bit);
            }
        }
        for pass in 0..2 {
            let used: u8 = (0..8)
                .filter(|&b| pairs.len() > pass * 8 + b)
                .fold(0, |m, b| m | 1 << b);
            tables.word_start[pass] = ws_all[pass] & used;
        }
        let mut by_first = vec![Vec::new(); 256];
        for (i, g) in pairs.iter().enumerate() {
            for &x in &cases(g.first, g.fold) {
                by_first[usize::from(x)].push(i as u16);
            }
        }
        let any = single.iter().any(|&b| b) || !pairs.is_empty();
        Classifier { tables, any, pairs, by_first }
    }

    /// Whether the classifier marks anything at all.
    pub(crate) fn is_empty(&self) -> bool {
        !self.any
    }

    /// Classifies `hay[at..at + 64]`. Bytes past the end of `hay` are
    /// never marked.
    #[inline]
    pub(crate) fn block(&self, hay: &[u8], at: usize) -> Marks {
        let row = |r: usize| -> Option<&[u8; BLOCK]> {
            let from = (at + r).checked_sub(1)?;
            hay.get(from..from + BLOCK)?.try_into().ok()
        };
        let m = match (row(0), row(1), row(2), row(3)) {
            (Some(a), Some(b), Some(c), Some(d)) => {
                simd::classify(&self.tables, [a, b, c, d])
            }
            _ => {
                // An edge block: copy it, with the byte before and the two
                // after, into a zero-padded buffer.
                let mut buf = [0u8; BLOCK + 3];
                let from = at.saturating_sub(1);
                let to = hay.len().min(at + BLOCK + 2);
                let dst = usize::from(at == 0);
                buf[dst..dst + (to - from)].copy_from_slice(&hay[from..to]);
                let row = |r: usize| -> &[u8; BLOCK] {
                    buf[r..r + BLOCK].try_into().unwrap_or(&[0; BLOCK])
                };
                simd::classify(&self.tables, [row(0), row(1), row(2), row(3)])
            }
        };
        let valid = match hay.len() - at {
            n if n >= BLOCK => u64::MAX,
            n => (1u64 << n) - 1,
        };
        Marks {
            singles: m.singles & valid,
            pairs: m.pairs & valid,
            class0: m.class0 & valid,
            trigger0: m.trigger0 & valid,
        }
    }

    /// The pair classes that begin at `hay[p]`, exactly.
    pub(crate) fn pair_groups_at(
        &self,
        hay: &[u8],
        p: usize,
    ) -> impl Iterator<Item = usize> + '_ {
        let (b, c) = (hay.get(p + 1).copied(), hay.get(p + 2).copied());
        let ws = p == 0 || !hay[p - 1].is_ascii_alphanumeric();
        self.by_first[usize::from(hay[p])].iter().filter_map(move |&i| {
            let g = &self.pairs[usize::from(i)];
            let (y, z) =
                if g.fold { (b.map(fold), c.map(fold)) } else { (b, c) };
            let hit = (ws || !g.word_start)
                && g.rest
                    .iter()
                    .any(|&(s, t)| Some(s) == y && (t.is_none() || t == z));
            hit.then_some(usize::from(i))
        })
    }
}

/// The nibble table of the run-start bytes: one bit per distinct set of
/// low nibbles, rows beyond eight merged into the last bit.
fn single_table(single: &[bool; 256]) -> Nibbles {
    let mut rows: Vec<(u16, Vec<u8>)> = Vec::new();
    for hi in 0..16u8 {
        let mut lo_set = 0u16;
        for lo in 0..16u8 {
            if single[usize::from(hi << 4 | lo)] {
                lo_set |= 1 << lo;
            }
        }
        if lo_set == 0 {
            continue;
        }
        match rows.iter_mut().find(|(set, _)| *set == lo_set) {
            Some((_, his)) => his.push(hi),
            None => rows.push((lo_set, vec![hi])),
        }
    }
    let mut n = Nibbles::default();
    for (i, (lo_set, his)) in rows.iter().enumerate() {
        let bit = i.min(7) as u8;
        for lo in 0..16u8 {
            if lo_set >> lo & 1 == 1 {
                for &hi in his {
                    n.add(bit, hi << 4 | lo);
                }
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_singles_and_folded_pairs_across_blocks() {
        let mut single = [false; 256];
        for b in b'0'..=b'9' {
            single[b as usize] = true;
        }
        let c = Classifier::new(
            &single,
            &[PairSpec::new(b"ey", true, false)],
            (&[false; 128], &[false; 128]),
        );
        let mut hay = vec![b'.'; 130];
        hay[3] = b'7';
        hay[63] = b'E';
        hay[64] = b'Y';
        hay[129] = b'4';
        let m0 = c.block(&hay, 0);
        assert_eq!(m0.singles, 1 << 3);
        assert_eq!(m0.pairs, 1 << 63);
        let m2 = c.block(&hay, 128);
        assert_eq!(m2.singles, 1 << 1);
        assert_eq!(m2.pairs, 0);
        assert_eq!(c.pair_groups_at(&hay, 63).collect::<Vec<_>>(), vec![0]);
    }

    #[test]
    fn word_start_pairs_skip_inside_words() {
        let c = Classifier::new(
            &[false; 256],
            &[PairSpec::new(b"pa", true, true)],
            (&[false; 128], &[false; 128]),
        );
        let hay = b"xpa pa.pa Pa";
        let m = c.block(hay, 0);
        assert_eq!(m.pairs, 1 << 4 | 1 << 7 | 1 << 10);
    }
}
