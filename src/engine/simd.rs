//! Nibble-table byte classification, with AVX2 where the CPU has it.
//!
//! The candidate scan asks, for every byte of a block, "can a run start
//! here?" and "do this byte and the next begin a literal prefix?". Both
//! are answered with the shuffle technique of SIMD string scanners: a byte
//! `b` is in class bit `k` when bit `k` is set in both `lo[b & 15]` and
//! `hi[b >> 4]`. A class is then a union of such products; sets that are
//! not an exact product are over-approximated, which only adds candidates
//! the exact check that follows drops. Pair classes combine the class of
//! a byte with the class of the next one, and may require that the byte
//! before is not an ASCII letter or digit (a word start).
//!
//! `unsafe` is confined to this module: the AVX2 routine is called only
//! after runtime detection, and its loads read from fixed-size arrays.
//! Everything else, including the portable fallback that is the reference
//! for the tests, is safe code.
#![allow(unsafe_code)]

/// A nibble table pair: one class bit per entry bit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Nibbles {
    pub lo: [u8; 16],
    pub hi: [u8; 16],
}

impl Nibbles {
    /// Adds byte `b` to class bit `bit`.
    pub(crate) fn add(&mut self, bit: u8, b: u8) {
        self.lo[usize::from(b & 15)] |= 1 << bit;
        self.hi[usize::from(b >> 4)] |= 1 << bit;
    }

    #[inline(always)]
    fn class(&self, b: u8) -> u8 {
        self.lo[usize::from(b & 15)] & self.hi[usize::from(b >> 4)]
    }
}

/// Everything the block classifier needs.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tables {
    /// Bytes that start runs (any bit).
    pub single: Nibbles,
    /// First bytes of pair classes, two passes of eight bits.
    pub first: [Nibbles; 2],
    /// Second bytes of pair classes.
    pub second: [Nibbles; 2],
    /// Third bytes of pair classes.
    pub third: [Nibbles; 2],
    /// Pair bits that need a word start.
    pub word_start: [u8; 2],
    /// ASCII letters and digits, exactly.
    pub alnum: Nibbles,
    /// The run class of the first run group, exactly for ASCII.
    pub class0: Nibbles,
    /// The ASCII triggers of the first run group, exactly.
    pub trigger0: Nibbles,
}

impl Tables {
    /// An exact table of a set of ASCII bytes: bit `h` of `lo[l]` holds
    /// byte `h << 4 | l`, and `hi[h]` is `1 << h`, so bytes at or above
    /// 0x80 are never members.
    pub(crate) fn ascii(member: impl Fn(u8) -> bool) -> Nibbles {
        let mut n = Nibbles::default();
        for h in 0..8u8 {
            n.hi[usize::from(h)] = 1 << h;
            for l in 0..16u8 {
                if member(h << 4 | l) {
                    n.lo[usize::from(l)] |= 1 << h;
                }
            }
        }
        n
    }

    /// The alnum table: digits, then A-O/a-o, then P-Z/p-z.
    pub(crate) fn alnum() -> Nibbles {
        let mut n = Nibbles::default();
        for b in (b'0'..=b'9').chain(b'A'..=b'Z').chain(b'a'..=b'z') {
            let bit = match b >> 4 {
                3 => 0,
                4 | 6 => 1,
                _ => 2,
            };
            n.add(bit, b);
        }
        n
    }
}

/// Marks of one block: bit `i` for byte `i`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Marks {
    pub singles: u64,
    pub pairs: u64,
    /// Bytes in the first run group's class.
    pub class0: u64,
    /// Bytes that trigger the first run group.
    pub trigger0: u64,
}

/// The bytes around a block: `rows[0][i]` is the byte before position
/// `i`, `rows[1][i]` the byte at it, then the two after it.
pub(crate) type Rows<'a> = [&'a [u8; 64]; 4];

/// Classifies a 64-byte block.
#[inline]
pub(crate) fn classify(t: &Tables, rows: Rows<'_>) -> Marks {
    #[cfg(target_arch = "x86_64")]
    {
        if has_avx2() {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { classify_avx2(t, rows) };
        }
    }
    classify_portable(t, rows)
}

#[cfg(target_arch = "x86_64")]
fn has_avx2() -> bool {
    use std::sync::atomic::{AtomicU8, Ordering};
    static STATE: AtomicU8 = AtomicU8::new(0);
    match STATE.load(Ordering::Relaxed) {
        1 => true,
        2 => false,
        _ => {
            let yes = std::is_x86_feature_detected!("avx2");
            STATE.store(if yes { 1 } else { 2 }, Ordering::Relaxed);
            yes
        }
    }
}

/// The reference classifier: one table lookup per byte and class.
pub(crate) fn classify_portable(t: &Tables, rows: Rows<'_>) -> Marks {
    let [prev, cur, next, after] = rows;
    let mut m = Marks::default();
    for i in 0..64 {
        if t.single.class(cur[i]) != 0 {
            m.singles |= 1 << i;
        }
        if t.class0.class(cur[i]) != 0 {
            m.class0 |= 1 << i;
        }
        if t.trigger0.class(cur[i]) != 0 {
            m.trigger0 |= 1 << i;
        }
        let ws = t.alnum.class(prev[i]) == 0;
        for pass in 0..2 {
            let mut c = t.first[pass].class(cur[i])
                & t.second[pass].class(next[i])
                & t.third[pass].class(after[i]);
            if !ws {
                c &= !t.word_start[pass];
            }
            if c != 0 {
                m.pairs |= 1 << i;
            }
        }
    }
    m
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn classify_avx2(t: &Tables, rows: Rows<'_>) -> Marks {
    use std::arch::x86_64::*;

    let table = |x: &[u8; 16]| {
        // SAFETY: reads 16 bytes from a 16-byte array.
        let v = unsafe { _mm_loadu_si128(x.as_ptr().cast()) };
        _mm256_broadcastsi128_si256(v)
    };
    let load = |x: &[u8; 64], half: usize| {
        // SAFETY: half is 0 or 1, so 32 bytes from offset 0 or 32 of a
        // 64-byte array.
        unsafe { _mm256_loadu_si256(x.as_ptr().add(half * 32).cast()) }
    };
    let low4 = _mm256_set1_epi8(0x0F);
    let class = |v: __m256i, lo: __m256i, hi: __m256i| {
        let l = _mm256_shuffle_epi8(lo, _mm256_and_si256(v, low4));
        let h = _mm256_shuffle_epi8(
            hi,
            _mm256_and_si256(_mm256_srli_epi16(v, 4), low4),
        );
        _mm256_and_si256(l, h)
    };
    let zero = _mm256_setzero_si256();
    let nonzero = |v: __m256i| {
        !(_mm256_movemask_epi8(_mm256_cmpeq_epi8(v, zero)) as u32)
    };

    let (s_lo, s_hi) = (table(&t.single.lo), table(&t.single.hi));
    let (c_lo, c_hi) = (table(&t.class0.lo), table(&t.class0.hi));
    let (t_lo, t_hi) = (table(&t.trigger0.lo), table(&t.trigger0.hi));
    let (a_lo, a_hi) = (table(&t.alnum.lo), table(&t.alnum.hi));
    let [prev, cur, next, after] = rows;
    let mut m = Marks::default();
    for half in 0..2 {
        let (c, n, p) = (load(cur, half), load(next, half), load(prev, half));
        let a = load(after, half);
        let singles = nonzero(class(c, s_lo, s_hi));
        // 0xFF where the previous byte is not a letter or digit.
        let ws = _mm256_cmpeq_epi8(class(p, a_lo, a_hi), zero);
        let mut acc = zero;
        for pass in 0..2 {
            let f =
                class(c, table(&t.first[pass].lo), table(&t.first[pass].hi));
            let s =
                class(n, table(&t.second[pass].lo), table(&t.second[pass].hi));
            let r =
                class(a, table(&t.third[pass].lo), table(&t.third[pass].hi));
            let keep = _mm256_or_si256(
                ws,
                _mm256_set1_epi8(!t.word_start[pass] as i8),
            );
            let hit = _mm256_and_si256(
                _mm256_and_si256(f, s),
                _mm256_and_si256(r, keep),
            );
            acc = _mm256_or_si256(acc, hit);
        }
        m.singles |= u64::from(singles) << (half * 32);
        m.class0 |= u64::from(nonzero(class(c, c_lo, c_hi))) << (half * 32);
        m.trigger0 |= u64::from(nonzero(class(c, t_lo, t_hi))) << (half * 32);
        m.pairs |= u64::from(nonzero(acc)) << (half * 32);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_tables_are_exact() {
        let n = Tables::ascii(|b| b == b'-' || b.is_ascii_uppercase());
        for b in 0..=255u8 {
            assert_eq!(
                n.class(b) != 0,
                b == b'-' || b.is_ascii_uppercase(),
                "{b:#x}"
            );
        }
    }

    #[test]
    fn alnum_table_is_exact() {
        let a = Tables::alnum();
        for b in 0..=255u8 {
            assert_eq!(a.class(b) != 0, b.is_ascii_alphanumeric(), "{b:#x}");
        }
    }

    #[test]
    fn simd_equals_portable() {
        let mut t = Tables { alnum: Tables::alnum(), ..Tables::default() };
        for b in b'0'..=b'9' {
            t.single.add(0, b);
        }
        t.single.add(1, b'@');
        t.single.add(2, 0xE2);
        t.class0 = Tables::ascii(|b| b.is_ascii_digit() || b == b' ');
        t.trigger0 = Tables::ascii(|b| b.is_ascii_digit());
        t.first[0].add(0, b'p');
        t.first[0].add(0, b'P');
        t.second[0].add(0, b'a');
        t.word_start[0] = 1;
        for b in 0..=255 {
            t.third[0].add(0, b);
        }
        t.first[1].add(3, b'-');
        t.second[1].add(3, b'-');
        t.third[1].add(3, b'-');
        let mut state = 0x1234_5678u32;
        for _ in 0..2000 {
            let mut block = [[0u8; 64]; 4];
            for row in &mut block {
                for b in row.iter_mut() {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    *b = b"0pPa-@ x\xe2Z9"[(state % 11) as usize];
                }
            }
            let rows = [&block[0], &block[1], &block[2], &block[3]];
            let want = classify_portable(&t, rows);
            assert_eq!(classify(&t, rows), want);
        }
    }
}
