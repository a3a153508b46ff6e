//! The candidate scan: one pass over a field that marks where anything can
//! start.
//!
//! Each 64-byte block of a field is classified at once: a bit per byte
//! that can start a run (a digit, `@`, `:`, a lead byte of a non-ASCII
//! character a detector or the normalised view cares about) and a bit per
//! position where two bytes begin a literal prefix of a detector or a
//! keyword (`ey` of a JWT, `pa` of `password`), with ASCII letters folded.
//! The loops are written over fixed-size arrays so that the compiler turns
//! them into SIMD compares; no `unsafe` is needed. Everything after this
//! step runs only at the marked positions.
//!
//! PERF: `benches/scan.rs` (`scan/default/*`) measures this pass together
//! with the work it saves; on generated mail it classifies well over
//! 5 GB/s, so it costs a small part of the per-byte budget.

/// The number of bytes classified at once.
pub(crate) const BLOCK: usize = 64;

/// Folds ASCII upper case to lower case and leaves every other byte.
#[inline(always)]
pub(crate) fn fold(b: u8) -> u8 {
    b | ((b.wrapping_sub(b'A') < 26) as u8) << 5
}

/// Positions in one block where something can start.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Marks {
    /// Bytes in one of the single-byte trigger ranges.
    pub singles: u64,
    /// Positions where a byte pair of a prefix group begins.
    pub pairs: u64,
}

/// A set of second bytes after one (folded) first byte.
#[derive(Clone, Debug)]
pub(crate) struct PairGroup {
    pub first: u8,
    pub seconds: Vec<u8>,
}

/// The compiled candidate scan.
#[derive(Clone, Debug, Default)]
pub(crate) struct Classifier {
    /// Inclusive byte ranges that mark a single-byte candidate.
    singles: Vec<(u8, u8)>,
    /// Prefix groups, keyed by folded first byte.
    pub pairs: Vec<PairGroup>,
}

impl Classifier {
    /// Builds a classifier from the bytes that start runs and the folded
    /// byte pairs that start prefixes.
    pub(crate) fn new(single: &[bool; 256], pairs: &[(u8, u8)]) -> Classifier {
        let mut singles = Vec::new();
        let mut b = 0usize;
        while b < 256 {
            if single[b] {
                let lo = b;
                while b + 1 < 256 && single[b + 1] {
                    b += 1;
                }
                singles.push((lo as u8, b as u8));
            }
            b += 1;
        }
        let mut groups: Vec<PairGroup> = Vec::new();
        for &(a, c) in pairs {
            match groups.iter_mut().find(|g| g.first == a) {
                Some(g) => {
                    if !g.seconds.contains(&c) {
                        g.seconds.push(c);
                    }
                }
                None => groups.push(PairGroup { first: a, seconds: vec![c] }),
            }
        }
        Classifier { singles, pairs: groups }
    }

    /// Whether the classifier marks anything at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.singles.is_empty() && self.pairs.is_empty()
    }

    /// Classifies `hay[at..at + 64]`, reading one byte past the block for
    /// pairs. Bytes past the end of `hay` are never marked.
    #[inline]
    pub(crate) fn block(&self, hay: &[u8], at: usize) -> Marks {
        let mut cur = [0u8; BLOCK];
        let mut next = [0u8; BLOCK];
        let end = hay.len().min(at + BLOCK);
        cur[..end - at].copy_from_slice(&hay[at..end]);
        let nend = hay.len().min(at + BLOCK + 1);
        if at + 1 < nend {
            next[..nend - at - 1].copy_from_slice(&hay[at + 1..nend]);
        }
        let valid = if end - at == BLOCK { u64::MAX } else { (1u64 << (end - at)) - 1 };
        Marks {
            singles: self.singles(&cur) & valid,
            pairs: self.pairs(&cur, &next) & valid,
        }
    }

    #[inline]
    fn singles(&self, cur: &[u8; BLOCK]) -> u64 {
        let mut hit = [0u8; BLOCK];
        for &(lo, hi) in &self.singles {
            let width = hi - lo;
            for i in 0..BLOCK {
                hit[i] |= (cur[i].wrapping_sub(lo) <= width) as u8;
            }
        }
        pack(&hit)
    }

    #[inline]
    fn pairs(&self, cur: &[u8; BLOCK], next: &[u8; BLOCK]) -> u64 {
        if self.pairs.is_empty() {
            return 0;
        }
        let mut a = [0u8; BLOCK];
        let mut b = [0u8; BLOCK];
        for i in 0..BLOCK {
            a[i] = fold(cur[i]);
            b[i] = fold(next[i]);
        }
        let mut hit = [0u8; BLOCK];
        for g in &self.pairs {
            let mut first = [0u8; BLOCK];
            for i in 0..BLOCK {
                first[i] = (a[i] == g.first) as u8;
            }
            let mut second = [0u8; BLOCK];
            for &s in &g.seconds {
                for i in 0..BLOCK {
                    second[i] |= (b[i] == s) as u8;
                }
            }
            for i in 0..BLOCK {
                hit[i] |= first[i] & second[i];
            }
        }
        pack(&hit)
    }

    /// The prefix groups whose pair begins at `hay[p]`.
    pub(crate) fn pair_groups_at(
        &self,
        hay: &[u8],
        p: usize,
    ) -> impl Iterator<Item = usize> + '_ {
        let a = fold(hay[p]);
        let b = hay.get(p + 1).map(|&b| fold(b));
        self.pairs.iter().enumerate().filter_map(move |(i, g)| {
            (g.first == a && b.is_some_and(|b| g.seconds.contains(&b)))
                .then_some(i)
        })
    }
}

/// Packs 64 bytes of 0 or 1 into a bit mask, byte `i` to bit `i`.
#[inline(always)]
fn pack(bits: &[u8; BLOCK]) -> u64 {
    let mut m = 0u64;
    for (j, chunk) in bits.chunks_exact(8).enumerate() {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let w = u64::from_le_bytes(w);
        m |= (w.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (j * 8);
    }
    m
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
        let c = Classifier::new(&single, &[(b'e', b'y')]);
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
    }

    #[test]
    fn pack_matches_scalar() {
        let mut bits = [0u8; BLOCK];
        for i in (0..BLOCK).step_by(3) {
            bits[i] = 1;
        }
        let want = (0..BLOCK).step_by(3).fold(0u64, |m, i| m | 1 << i);
        assert_eq!(pack(&bits), want);
    }
}
