//! The plain C structs results are read through, and the storage they
//! point into.

use std::ffi::c_char;

use crate::scan::Span;

/// UTF-8 text owned by a handle: `len` bytes at `ptr`, then a NUL byte.
/// `ptr` is null only where a call says the text is absent.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Text {
    /// The first byte.
    pub ptr: *const c_char,
    /// Its length in bytes, without the NUL.
    pub len: usize,
}

/// Bytes owned by a handle (not NUL-terminated, maybe not UTF-8), or
/// bytes the caller passes in.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Bytes {
    /// The first byte; may be null when `len` is 0.
    pub ptr: *const u8,
    /// The length in bytes.
    pub len: usize,
}

/// A span of a field's text in the three units of the ABI.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Offsets {
    /// Start, in bytes of the UTF-8 text.
    pub start: usize,
    /// End (exclusive), in bytes.
    pub end: usize,
    /// Start, in Unicode code points.
    pub start_char: usize,
    /// End, in code points.
    pub end_char: usize,
    /// Start, in UTF-16 code units.
    pub start_utf16: usize,
    /// End, in UTF-16 code units.
    pub end_utf16: usize,
}

/// One finding of a result.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct FindingView {
    /// The entity type, as the JSON's `type` (`EMAIL`, `CREDIT_CARD`...).
    pub entity_type: Text,
    /// The index of that type in the engine's entity list.
    pub entity: u32,
    /// The index of its field in the result's fields.
    pub field: u32,
    /// Where it is in that field.
    pub span: Offsets,
    /// Its score, 0 to 1, rounded to four decimals as in the JSON.
    pub score: f64,
    /// True only when a validator (Luhn, a checksum) confirmed it.
    pub validated: bool,
    /// The value masked as the pack says (SPEC section 4).
    pub masked: Text,
}

/// One keyword hit of a result.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct KeywordView {
    /// The keyword as the pack lists it.
    pub keyword: Text,
    /// The index of its field in the result's fields.
    pub field: u32,
    /// Where it is in that field.
    pub span: Offsets,
    /// True when it lies in a disclaimer footer (it does not classify).
    pub in_footer: bool,
}

/// One field of a scanned message.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct FieldView {
    /// Its name: `body`, `body.1`, `subject`, `from`...
    pub name: Text,
    /// Its decoded text, which the spans index. Empty in the result of a
    /// scan of plain text (the caller's own buffer is the text) and of a
    /// stream, which does not keep it.
    pub text: Bytes,
}

/// The level of a message and the scalars of its result.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Summary {
    /// 0 public, 1 internal, 2 confidential, 3 restricted (the
    /// `MAILSHIELD_LEVEL_` values).
    pub level: i32,
    /// The level's name: `public`, `internal`, `confidential`,
    /// `restricted`.
    pub classification: Text,
    /// The confidence of the rule that decided the level.
    pub confidence: f64,
    /// Every byte was read and scanned.
    pub complete: bool,
    /// The record's id: the Message-ID without angle brackets, else
    /// `<path>#<index>` (`-#0` for one buffer, `-#i` in a batch). A
    /// protected body is bound to it.
    pub id: Text,
}

/// Every part of a result in one read: the summary and each list, as a
/// pointer to its first item and a count. Everything points into the
/// result.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ResultView {
    /// Level, confidence, completeness, id.
    pub summary: Summary,
    /// The findings, sorted by field and start.
    pub findings: *const FindingView,
    /// Their number.
    pub findings_len: usize,
    /// The keyword hits.
    pub keywords: *const KeywordView,
    /// Their number.
    pub keywords_len: usize,
    /// The fields.
    pub fields: *const FieldView,
    /// Their number.
    pub fields_len: usize,
    /// The risk factors.
    pub risk_factors: *const Text,
    /// Their number.
    pub risk_factors_len: usize,
    /// The recommended actions.
    pub recommended_actions: *const Text,
    /// Their number.
    pub recommended_actions_len: usize,
    /// The warnings.
    pub warnings: *const Text,
    /// Their number.
    pub warnings_len: usize,
    /// The errors.
    pub errors: *const Text,
    /// Their number.
    pub errors_len: usize,
}

/// The protected copy of a message, from `mailshield_protect`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ProtectedView {
    /// The redacted (and, where the policy says, truncated) body, in
    /// clear.
    pub body: Bytes,
    /// The sealed body (`ms1:...` envelope or Fernet token) when the
    /// level's policy requires encryption and a cipher was asked for;
    /// else `ptr` is null.
    pub sealed: Text,
    /// The redacted subject when the pack scans subjects; else `ptr` is
    /// null.
    pub subject: Bytes,
    /// What was done, in the guide's wording: `log_len` texts.
    pub log: *const Text,
    /// The number of log texts.
    pub log_len: usize,
}

/// Strings of one handle, in one allocation, each followed by a NUL.
///
/// Built in two steps: [`Arena::add`] while the handle is assembled, then
/// [`Arena::freeze`], after which [`Frozen::text`] turns the marks into
/// [`Text`] views that stay valid as long as the frozen arena lives.
#[derive(Debug, Default)]
pub(crate) struct Arena {
    bytes: Vec<u8>,
}

/// Where a string is in an [`Arena`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mark {
    at: usize,
    len: usize,
}

/// An [`Arena`] that no longer grows.
#[derive(Debug)]
pub(crate) struct Frozen {
    bytes: Box<[u8]>,
}

impl Arena {
    /// An arena with room for `bytes` before it grows.
    pub(crate) fn with_capacity(bytes: usize) -> Arena {
        Arena { bytes: Vec::with_capacity(bytes) }
    }

    /// Stores `s`; its view is made after [`Arena::freeze`].
    pub(crate) fn add(&mut self, s: &str) -> Mark {
        let at = self.bytes.len();
        self.bytes.extend_from_slice(s.as_bytes());
        self.bytes.push(0);
        Mark { at, len: s.len() }
    }

    /// Stores each of `items`.
    pub(crate) fn add_all<S: AsRef<str>>(
        &mut self,
        items: impl IntoIterator<Item = S>,
    ) -> Vec<Mark> {
        items.into_iter().map(|s| self.add(s.as_ref())).collect()
    }

    pub(crate) fn freeze(self) -> Frozen {
        Frozen { bytes: self.bytes.into_boxed_slice() }
    }
}

impl Frozen {
    /// The view of a string stored before freezing.
    pub(crate) fn text(&self, m: Mark) -> Text {
        Text { ptr: self.bytes[m.at..].as_ptr().cast(), len: m.len }
    }
}

/// No text: a null view, for what is absent.
pub(crate) const NO_TEXT: Text = Text { ptr: std::ptr::null(), len: 0 };

/// A view of bytes owned elsewhere.
pub(crate) fn bytes(b: &[u8]) -> Bytes {
    Bytes { ptr: b.as_ptr(), len: b.len() }
}

/// Code points and UTF-16 units up to each byte position of `positions`
/// (sorted, deduplicated, each at most `text.len()`), in one pass.
pub(crate) fn units_at(
    text: &[u8],
    positions: &[usize],
) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(positions.len());
    let (mut at, mut chars, mut units) = (0, 0, 0);
    for &p in positions {
        let (c, u) = count_units(&text[at..p]);
        chars += c;
        units += u;
        at = p;
        out.push((chars, units));
    }
    out
}

/// Code points and UTF-16 units in `bytes`, read as a replacing decoder
/// reads them: each maximal invalid sequence is one U+FFFD (one code
/// point, one unit), as in Python's `errors="replace"` and .NET's
/// `Encoding.UTF8`.
pub(crate) fn count_units(bytes: &[u8]) -> (usize, usize) {
    if bytes.is_ascii() {
        return (bytes.len(), bytes.len());
    }
    // PERF: checking validity first is faster than walking the chunks,
    // and text is nearly always valid (`Utf8Chunks::next` was 2.6% of
    // `batch10k/abi`, BENCHMARKS.md).
    if std::str::from_utf8(bytes).is_ok() {
        return count_valid(bytes);
    }
    let (mut chars, mut units) = (0, 0);
    for chunk in bytes.utf8_chunks() {
        let (c, u) = count_valid(chunk.valid().as_bytes());
        let bad = usize::from(!chunk.invalid().is_empty());
        chars += c + bad;
        units += u + bad;
    }
    (chars, units)
}

/// [`count_units`] of valid UTF-8, eight bytes at a time: a continuation
/// byte is `10xxxxxx`, a four-byte lead `11110xxx`.
fn count_valid(bytes: &[u8]) -> (usize, usize) {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let (mut continuing, mut wide) = (0, 0);
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let w = u64::from_le_bytes(word.try_into().unwrap_or([0; 8]));
        let top = w & HIGH;
        continuing += (top & !(w << 1)).count_ones() as usize;
        wide += (top & (w << 1) & (w << 2) & (w << 3)).count_ones() as usize;
    }
    for &b in words.remainder() {
        continuing += usize::from(b & 0xC0 == 0x80);
        wide += usize::from(b >= 0xF0);
    }
    let chars = bytes.len() - continuing;
    (chars, chars + wide)
}

/// Byte spans turned into [`Offsets`] over `text`.
pub(crate) struct Converter {
    positions: Vec<usize>,
    units: Vec<(usize, usize)>,
}

impl Converter {
    /// Prepares conversion of the spans in `spans` over `text`. Spans
    /// must lie within `text`.
    pub(crate) fn new(
        text: &[u8],
        spans: impl Iterator<Item = Span>,
    ) -> Converter {
        let mut positions: Vec<usize> =
            spans.flat_map(|s| [s.start, s.end]).collect();
        positions.sort_unstable();
        positions.dedup();
        let units = units_at(text, &positions);
        Converter { positions, units }
    }

    /// The offsets of one of the spans given to [`Converter::new`].
    pub(crate) fn offsets(&self, span: Span) -> Offsets {
        let Span { start, end } = span;
        let at = |p: usize| {
            self.positions.binary_search(&p).map_or((0, 0), |i| self.units[i])
        };
        let (start_char, start_utf16) = at(start);
        let (end_char, end_utf16) = at(end);
        Offsets { start, end, start_char, end_char, start_utf16, end_utf16 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_count_code_points_and_surrogate_pairs() {
        // "a" 1 byte, "é" 2, "€" 3, "😀" 4 (a surrogate pair in UTF-16).
        let text = "aé€😀b".as_bytes();
        assert_eq!(count_units(text), (5, 6));
        let span = |start, end| Span { start, end };
        let spans = [span(0, 1), span(6, 10), span(10, 11)];
        let c = Converter::new(text, spans.into_iter());
        assert_eq!(
            c.offsets(span(6, 10)),
            Offsets {
                start: 6,
                end: 10,
                start_char: 3,
                end_char: 4,
                start_utf16: 3,
                end_utf16: 5
            }
        );
        assert_eq!(c.offsets(span(10, 11)).start_utf16, 5);
        assert_eq!(c.offsets(span(10, 11)).end_char, 5);
    }

    #[test]
    fn invalid_sequences_count_as_one_replacement_each() {
        // As String::from_utf8_lossy reads them: one U+FFFD per maximal
        // invalid sequence.
        let cases: [&[u8]; 5] = [
            b"\xff\x80 mail a@example.com \xc3",
            b"\xf0\x9f\x98",
            b"a\x80\x80b",
            b"\xf8\x88\x80\x80\x80",
            b"\xed\xa0\x80x",
        ];
        for bytes in cases {
            let lossy = String::from_utf8_lossy(bytes);
            let want = (lossy.chars().count(), lossy.encode_utf16().count());
            assert_eq!(count_units(bytes), want, "{bytes:?}");
        }
    }

    #[test]
    fn word_counts_equal_rust_string_counts() {
        // Every alignment of ASCII, 2-, 3- and 4-byte sequences.
        let s = "ab\u{e9}\u{20ac}\u{1f600}c\u{10ffff}\u{7f}\u{80}\u{ffff}";
        for rep in 1..6 {
            let text = s.repeat(rep);
            for from in 0..text.len() {
                if !text.is_char_boundary(from) {
                    continue;
                }
                let t = &text[from..];
                let want = (t.chars().count(), t.encode_utf16().count());
                assert_eq!(count_units(t.as_bytes()), want, "{from}");
            }
        }
    }

    /// Pieces of text: ASCII, each width of UTF-8, and invalid sequences
    /// (a lone lead, a stray continuation, a cut 4-byte sequence, an
    /// encoded surrogate).
    const PIECES: &[&[u8]] = &[
        b"a",
        b"mail ana@example.com ",
        "\u{e9}".as_bytes(),
        "\u{20ac}".as_bytes(),
        "\u{1f600}".as_bytes(),
        "\u{10ffff}".as_bytes(),
        b"\xff",
        b"\x80",
        b"\xc3",
        b"\xf0\x9f\x98",
        b"\xed\xa0\x80",
    ];

    fn text_strategy() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        // Leading ASCII moves everything across the 8-byte words.
        (0usize..24, proptest::collection::vec(0..PIECES.len(), 0..48))
            .prop_map(|(pad, picks)| {
                let mut t = vec![b'.'; pad];
                for i in picks {
                    t.extend_from_slice(PIECES[i]);
                }
                t
            })
    }

    /// Code points and UTF-16 units of a replacing decoder over `b`.
    fn lossy_units(b: &[u8]) -> (usize, usize) {
        let s = String::from_utf8_lossy(b);
        (s.chars().count(), s.encode_utf16().count())
    }

    proptest::proptest! {
        /// At every position where a replacing decoder reads the two
        /// sides as it reads the whole (no character or invalid sequence
        /// cut), the converter gives the decoder's counts of the prefix.
        #[test]
        fn offsets_convert_exactly_between_units(
            text in text_strategy(),
            picks in proptest::collection::vec(
                proptest::prelude::any::<proptest::sample::Index>(),
                1..8,
            ),
        ) {
            let whole = lossy_units(&text);
            proptest::prop_assert_eq!(count_units(&text), whole);
            let boundary = |p: usize| {
                let a = lossy_units(&text[..p]);
                let b = lossy_units(&text[p..]);
                (a.0 + b.0, a.1 + b.1) == whole
            };
            // Both ends of the text are always boundaries.
            let mut spans = vec![Span { start: 0, end: text.len() }];
            for pair in picks.chunks(2) {
                let mut ends: Vec<usize> =
                    pair.iter().map(|i| i.index(text.len() + 1)).collect();
                ends.sort_unstable();
                let (start, end) = (ends[0], ends[ends.len() - 1]);
                if boundary(start) && boundary(end) {
                    spans.push(Span { start, end });
                }
            }
            let c = Converter::new(&text, spans.iter().copied());
            for span in spans {
                let o = c.offsets(span);
                let (start_char, start_utf16) =
                    lossy_units(&text[..span.start]);
                let (end_char, end_utf16) = lossy_units(&text[..span.end]);
                proptest::prop_assert_eq!(
                    o,
                    Offsets {
                        start: span.start,
                        end: span.end,
                        start_char,
                        end_char,
                        start_utf16,
                        end_utf16,
                    }
                );
            }
        }
    }
}
