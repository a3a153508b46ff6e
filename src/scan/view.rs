//! The normalised view: obfuscated text folded for detection.
//!
//! People (and mail software) write personal data in forms a plain pattern
//! misses: full-width digits and `＠`, zero-width and other format
//! characters inside a number, no-break spaces and non-ASCII hyphens
//! between digit groups, HTML entities (`&#64;`) and percent-escapes
//! (`%40`). The view is a copy of a field with these forms folded to ASCII
//! and an edit list that maps every span of the copy back to the original
//! bytes, so that a finding covers (and redaction removes) the whole
//! original form. A field with none of these forms is scanned as it is.
//!
//! Folds: U+FF01-U+FF5E to ASCII, U+3000 and the Unicode spaces to a space,
//! the dotted and dotless i, long s and Kelvin sign to ASCII letters, the
//! Unicode hyphens and minus to `-` and NUL to a space when a digit stands
//! on both sides; U+00AD, U+200B-U+200F, U+202A-U+202E, U+2060-U+2064 and
//! U+FEFF are dropped, and combining marks after a digit. Digits of other
//! scripts (Arabic-Indic, Devanagari) are not folded: the `default` pack
//! does not read them as numbers. Entities and escapes are decoded once (a double-encoded form
//! stays encoded) and only when they decode to printable ASCII or to a
//! folded form.

use crate::engine::python::decode;

/// One replacement: `orig[orig_at..orig_at + orig_len]` became
/// `view[view_at..view_at + view_len]`.
#[derive(Clone, Copy, Debug)]
struct Edit {
    view_at: usize,
    orig_at: usize,
    view_len: usize,
    orig_len: usize,
}

/// A folded copy of a field with its map back. See the
/// [module documentation](self).
#[derive(Clone, Debug, Default)]
pub(crate) struct View {
    pub text: Vec<u8>,
    edits: Vec<Edit>,
}

/// What one form at a position folds to.
enum Fold {
    /// Replace the form by these bytes.
    Bytes([u8; 4], usize),
    /// Drop the form.
    Drop,
}

fn is_digit_at(text: &[u8], i: usize) -> bool {
    match text.get(i) {
        Some(b) if b.is_ascii_digit() => true,
        Some(_) => matches!(decode(text, i), (Some(0xFF10..=0xFF19), _)),
        None => false,
    }
}

/// The start of the character that ends at `end`.
fn char_before(text: &[u8], end: usize) -> usize {
    let mut i = end.saturating_sub(1);
    while i > 0 && end - i < 4 && (text[i] & 0xC0) == 0x80 {
        i -= 1;
    }
    i
}

/// Folds one decoded code point, given whether digits stand on both sides
/// and whether a digit stands before it.
fn fold_char(
    cp: u32,
    between_digits: bool,
    after_digit: bool,
) -> Option<Fold> {
    let ascii = |b: u8| Some(Fold::Bytes([b, 0, 0, 0], 1));
    match cp {
        0x00 if between_digits => ascii(b' '),
        // Combining marks on a digit hide nothing but the digit.
        0x0300..=0x036F
        | 0x1AB0..=0x1AFF
        | 0x1DC0..=0x1DFF
        | 0x20D0..=0x20FF
        | 0xFE20..=0xFE2F
            if after_digit =>
        {
            Some(Fold::Drop)
        }
        0xFF01..=0xFF5E => ascii((cp - 0xFEE0) as u8),
        0x3000 | 0x00A0 | 0x2000..=0x200A | 0x202F | 0x205F => ascii(b' '),
        0x00AD
        | 0x200B..=0x200F
        | 0x202A..=0x202E
        | 0x2060..=0x2064
        | 0xFEFF => Some(Fold::Drop),
        0x2010..=0x2015 | 0x2212 | 0xFE58 | 0xFE63 if between_digits => {
            ascii(b'-')
        }
        0x0130 => ascii(b'I'),
        0x0131 => ascii(b'i'),
        0x017F => ascii(b's'),
        0x212A => ascii(b'K'),
        _ => None,
    }
}

/// Decodes an HTML entity at `i` (which holds `&`): the code point and
/// the entity's length.
fn entity(text: &[u8], i: usize) -> Option<(u32, usize)> {
    let rest = &text[i + 1..text.len().min(i + 12)];
    let semi = rest.iter().position(|&b| b == b';')?;
    let body = &rest[..semi];
    let cp = if let Some(num) = body.strip_prefix(b"#") {
        let (digits, radix) = match num.first() {
            Some(b'x' | b'X') => (&num[1..], 16),
            _ => (num, 10),
        };
        if digits.is_empty() || digits.len() > 7 {
            return None;
        }
        u32::from_str_radix(std::str::from_utf8(digits).ok()?, radix).ok()?
    } else {
        u32::from(match body {
            b"amp" => b'&',
            b"lt" => b'<',
            b"gt" => b'>',
            b"quot" => b'"',
            b"apos" => b'\'',
            b"nbsp" => return Some((0xA0, semi + 2)),
            b"commat" => b'@',
            b"period" => b'.',
            b"hyphen" | b"dash" => b'-',
            b"plus" => b'+',
            b"lpar" => b'(',
            b"rpar" => b')',
            b"colon" => b':',
            b"sol" => b'/',
            b"lowbar" => b'_',
            b"num" => b'#',
            b"percnt" => b'%',
            _ => return None,
        })
    };
    Some((cp, semi + 2))
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// The fold of the form starting at `i`, with the form's length.
fn fold_at(text: &[u8], i: usize) -> Option<(Fold, usize)> {
    let b = text[i];
    let after = i > 0 && is_digit_at(text, char_before(text, i));
    let between = |len: usize| after && is_digit_at(text, i + len);
    match b {
        b'&' => {
            let (cp, len) = entity(text, i)?;
            if cp < 0x80 {
                if (0x20..0x7F).contains(&cp) {
                    return Some((Fold::Bytes([cp as u8, 0, 0, 0], 1), len));
                }
                return None;
            }
            match fold_char(cp, between(len), after)? {
                Fold::Bytes(r, n) => Some((Fold::Bytes(r, n), len)),
                Fold::Drop => Some((Fold::Drop, len)),
            }
        }
        b'%' => {
            let (h, l) = (hex(*text.get(i + 1)?)?, hex(*text.get(i + 2)?)?);
            let v = h * 16 + l;
            (0x20..0x7F)
                .contains(&v)
                .then_some((Fold::Bytes([v, 0, 0, 0], 1), 3))
        }
        0x80.. => {
            let (cp, len) = decode(text, i);
            Some((fold_char(cp?, between(len), after)?, len))
        }
        0x00 => Some((fold_char(0, between(1), after)?, 1)),
        _ => None,
    }
}

/// Whether a form the view folds starts at `i`.
pub(crate) fn is_trigger(text: &[u8], i: usize) -> bool {
    fold_at(text, i).is_some()
}

impl View {
    /// Builds the view of `text`, reusing `self`'s buffers.
    pub(crate) fn build(&mut self, text: &[u8]) {
        self.text.clear();
        self.edits.clear();
        let mut i = 0;
        let mut copied = 0;
        while i < text.len() {
            let b = text[i];
            let interesting = b == b'&' || b == b'%' || b == 0 || b >= 0xC2;
            let folded = if interesting { fold_at(text, i) } else { None };
            let Some((fold, len)) = folded else {
                i += 1;
                continue;
            };
            self.text.extend_from_slice(&text[copied..i]);
            let view_at = self.text.len();
            if let Fold::Bytes(r, n) = fold {
                self.text.extend_from_slice(&r[..n]);
            }
            self.edits.push(Edit {
                view_at,
                orig_at: i,
                view_len: self.text.len() - view_at,
                orig_len: len,
            });
            i += len;
            copied = i;
        }
        self.text.extend_from_slice(&text[copied..]);
    }

    /// The original offset where a view span starting at `at` starts.
    pub(crate) fn map_start(&self, at: usize) -> usize {
        let k = self.edits.partition_point(|e| e.view_at <= at);
        if k == 0 {
            return at;
        }
        let e = self.edits[k - 1];
        if at < e.view_at + e.view_len {
            e.orig_at
        } else {
            e.orig_at + e.orig_len + (at - e.view_at - e.view_len)
        }
    }

    /// The original offset where a view span ending at `at` ends.
    pub(crate) fn map_end(&self, at: usize) -> usize {
        let k = self.edits.partition_point(|e| e.view_at < at);
        if k == 0 {
            return at;
        }
        let e = self.edits[k - 1];
        if at <= e.view_at + e.view_len {
            e.orig_at + e.orig_len
        } else {
            e.orig_at + e.orig_len + (at - e.view_at - e.view_len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(s: &str) -> View {
        let mut v = View::default();
        v.build(s.as_bytes());
        v
    }

    #[test]
    fn folds_full_width_and_maps_back() {
        let s = "SSN ５３６-９０-１２３４!";
        let v = view(s);
        assert_eq!(v.text, b"SSN 536-90-1234!");
        assert_eq!(v.map_start(4), 4);
        assert_eq!(v.map_end(15), s.len() - 1);
    }

    #[test]
    fn entities_escapes_and_zero_width() {
        assert_eq!(view("a&#64;b.com").text, b"a@b.com");
        assert_eq!(view("a%40b.com").text, b"a@b.com");
        assert_eq!(view("a&amp;#64;b").text, b"a&#64;b");
        assert_eq!(view("4111\u{200b}1111").text, b"41111111");
        assert_eq!(view("(415) 555\u{2011}0132").text, b"(415) 555-0132");
        // A dash between words is left alone, a no-break space folds.
        assert_eq!(view("file \u{2014} 1").text, "file \u{2014} 1".as_bytes());
        assert_eq!(view("415\u{a0}555").text, b"415 555");
        assert_eq!(view("CONF\u{130}DENT\u{130}AL").text, b"CONFIDENTIAL");
        assert_eq!(view("1\u{303}2 3").text, b"12 3");
        assert_eq!(view("4111\u{0}1111").text, b"4111 1111");
        assert_eq!(view("a\u{0}b").text, b"a\x00b");
    }

    #[test]
    fn dropped_characters_stay_outside_edge_spans() {
        let s = "x\u{200b}12";
        let v = view(s);
        assert_eq!(v.text, b"x12");
        // "12" starts after the zero-width space.
        assert_eq!(v.map_start(1), 4);
        assert_eq!(v.map_end(3), 6);
        // "x" ends before it.
        assert_eq!(v.map_end(1), 1);
    }

    #[test]
    fn plain_text_is_not_a_trigger() {
        let s = "Café — 100% “quoted” 5 & 6";
        for i in 0..s.len() {
            assert!(!is_trigger(s.as_bytes(), i), "{i}");
        }
    }
}
