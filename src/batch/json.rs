//! A small JSON writer for the scan record, byte for byte what
//! `serde_json` writes for the same values.
//!
//! The record is written once per message, so its cost is part of every
//! scan the command line does: going through `serde`'s data model took
//! about a tenth of the command line's time beyond the scan. This writer
//! appends straight into one buffer and copies strings that need no
//! escape (nearly all of them) in one step.
//!
//! Strings are escaped as `serde_json` escapes them: `"` and `\` with a
//! backslash, the control characters `\b`, `\t`, `\n`, `\f`, `\r` by
//! name and the others as `\u00XX`; nothing else, so non-ASCII text stays
//! as it is. Numbers with a fraction go through `serde_json` itself.

/// A JSON text being written into a byte buffer.
///
/// The caller writes values in order; the writer puts the commas between
/// members and elements. It does not check that the text is well formed:
/// every `begin_*` needs its `end_*`, and a member value needs its key.
pub(crate) struct Json {
    out: Vec<u8>,
    /// The next value is the first of its object or array: no comma.
    first: bool,
}

impl Json {
    /// A writer appending to `out`, after what it holds.
    pub fn after(out: Vec<u8>) -> Json {
        Json { out, first: true }
    }

    /// The text written.
    pub fn finish(self) -> Vec<u8> {
        self.out
    }

    pub fn begin_object(&mut self) {
        self.separate();
        self.out.push(b'{');
        self.first = true;
    }

    pub fn end_object(&mut self) {
        self.out.push(b'}');
        self.first = false;
    }

    pub fn begin_array(&mut self) {
        self.separate();
        self.out.push(b'[');
        self.first = true;
    }

    pub fn end_array(&mut self) {
        self.out.push(b']');
        self.first = false;
    }

    /// An object member's key that needs no escape (a name of the
    /// record's own); its value comes next.
    pub fn key(&mut self, key: &'static str) {
        debug_assert!(!key.bytes().any(needs_escape));
        self.separate();
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.first = true;
    }

    /// An object member's key from data; its value comes next.
    pub fn key_escaped(&mut self, key: &str) {
        self.separate();
        escaped(&mut self.out, key);
        self.out.push(b':');
        self.first = true;
    }

    pub fn str(&mut self, value: &str) {
        self.separate();
        self.write_str(value);
    }

    pub fn usize(&mut self, value: usize) {
        self.separate();
        self.write_usize(value);
    }

    /// A number with a fraction, in `serde_json`'s shortest form (`0.85`,
    /// `1.0`); `null` when it is not finite, as `serde_json` writes it.
    pub fn f64(&mut self, value: f64) {
        self.separate();
        self.write_f64(value);
    }

    pub fn bool(&mut self, value: bool) {
        self.separate();
        self.write_bool(value);
    }

    /// JSON text of the record's own, written as it is with no separator:
    /// for objects written whole, member after member (`"type":`, then
    /// `,"field":`), which costs a copy a member instead of four. The
    /// caller writes the values between with the `write_*` functions and
    /// keeps the text well formed.
    pub fn fragment(&mut self, text: &'static str) {
        self.out.extend_from_slice(text.as_bytes());
    }

    /// A string value, with no separator before it.
    pub fn write_str(&mut self, value: &str) {
        escaped(&mut self.out, value);
    }

    /// An integer value, with no separator before it.
    pub fn write_usize(&mut self, value: usize) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut n = value;
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.out.extend_from_slice(&digits[at..]);
    }

    /// [`Json::f64`], with no separator before it.
    pub fn write_f64(&mut self, value: f64) {
        if !self.four_decimals(value) {
            // Writing a number into a vector cannot fail.
            let _ = serde_json::to_writer(&mut self.out, &value);
        }
    }

    /// Writes a `value` from 0 to 1 with at most four decimals (scores
    /// and confidences are rounded so) without `serde_json`; false, having
    /// written nothing, for any other value. A test checks all 10,001
    /// such values against `serde_json`.
    fn four_decimals(&mut self, value: f64) -> bool {
        let scaled = (value * 10_000.0).round();
        let exact = value.is_sign_positive()
            && (0.0..=10_000.0).contains(&scaled)
            && scaled / 10_000.0 == value;
        if !exact {
            return false;
        }
        let n = scaled as u32;
        let (whole, mut fraction) = (n / 10_000, n % 10_000);
        let mut digits = 4;
        while digits > 1 && fraction % 10 == 0 {
            fraction /= 10;
            digits -= 1;
        }
        self.out.push(b'0' + whole as u8);
        self.out.push(b'.');
        let text = [
            b'0' + (fraction / 1000 % 10) as u8,
            b'0' + (fraction / 100 % 10) as u8,
            b'0' + (fraction / 10 % 10) as u8,
            b'0' + (fraction % 10) as u8,
        ];
        self.out.extend_from_slice(&text[4 - digits..]);
        true
    }

    /// A boolean value, with no separator before it.
    pub fn write_bool(&mut self, value: bool) {
        let text: &[u8] = if value { b"true" } else { b"false" };
        self.out.extend_from_slice(text);
    }

    /// An array of strings.
    pub fn strs<'s>(&mut self, values: impl IntoIterator<Item = &'s str>) {
        self.begin_array();
        for v in values {
            self.str(v);
        }
        self.end_array();
    }

    fn separate(&mut self) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
    }
}

/// Appends `s` as a JSON string, quoted and escaped.
fn escaped(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    // Nearly every string needs no escape: one pass tells, and it is
    // copied whole.
    if !any_needs_escape(s.as_bytes()) {
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        return;
    }
    let mut rest = s.as_bytes();
    while let Some(i) = rest.iter().position(|&b| needs_escape(b)) {
        out.extend_from_slice(&rest[..i]);
        escape(out, rest[i]);
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
    out.push(b'"');
}

/// Whether a byte of `bytes` [`needs_escape`]: eight bytes at a time,
/// each word tested for a byte under 0x20, a `"` or a `\`.
///
/// PERF: the byte-by-byte test was 0.5% of the command line's time (the
/// 300 MB slice of BENCHMARKS.md, perf); this change and borrowed
/// headers together took the slice from 0.84 to 0.83 s.
fn any_needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    // Whether a byte of `w` is under `n` (at most 0x80). N.B. exact as a
    // yes or no: a byte is flagged wrongly only by a borrow from a byte
    // below it that is flagged rightly, and `!w` never flags a byte of
    // 0x80 or more, which never borrows.
    let any_under =
        |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & HIGH != 0;
    let any_is = |w: u64, b: u8| any_under(w ^ (ONES * u64::from(b)), 1);
    let (words, rest) = bytes.as_chunks::<8>();
    let mut found = false;
    for &word in words {
        let w = u64::from_le_bytes(word);
        found |= any_under(w, 0x20) | any_is(w, b'"') | any_is(w, b'\\');
    }
    found || rest.iter().any(|&b| needs_escape(b))
}

fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Appends the escape of one byte that [`needs_escape`].
fn escape(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let named: &[u8] = match b {
        b'"' => b"\\\"",
        b'\\' => b"\\\\",
        b'\n' => b"\\n",
        b'\r' => b"\\r",
        b'\t' => b"\\t",
        0x08 => b"\\b",
        0x0C => b"\\f",
        _ => {
            let (hi, lo) =
                (HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xF)]);
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', hi, lo]);
            return;
        }
    };
    out.extend_from_slice(named);
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn written(s: &str) -> String {
        let mut out = Vec::new();
        escaped(&mut out, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        assert_eq!(written("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(written("\n\r\t\u{8}\u{c}"), r#""\n\r\t\b\f""#);
        assert_eq!(
            written("\u{0}\u{1f}\u{7f}é😀/"),
            "\"\\u0000\\u001f\u{7f}é😀/\""
        );
    }

    #[test]
    fn each_byte_needs_an_escape_or_not_at_each_place_of_a_word() {
        for b in 0..=255u8 {
            for len in 1..=17 {
                for at in 0..len {
                    let mut bytes = vec![b'a'; len];
                    bytes[at] = b;
                    assert_eq!(
                        any_needs_escape(&bytes),
                        needs_escape(b),
                        "{b:#x} at {at} of {len}"
                    );
                }
            }
        }
    }

    proptest! {
        #[test]
        fn escapes_are_found_as_one_byte_at_a_time_finds_them(
            bytes in proptest::collection::vec(
                prop_oneof![
                    Just(b'"'),
                    Just(b'\\'),
                    Just(0x23),
                    Just(0x5d),
                    0u8..0x21,
                    0x7e..=255u8,
                ],
                0..40,
            ),
        ) {
            prop_assert_eq!(
                any_needs_escape(&bytes),
                bytes.iter().any(|&b| needs_escape(b))
            );
        }
    }

    #[test]
    fn values_and_separators() {
        let mut j = Json::after(Vec::new());
        j.begin_object();
        j.key("a");
        j.begin_array();
        j.usize(0);
        j.f64(0.85);
        j.f64(1.0);
        j.f64(f64::NAN);
        j.bool(true);
        j.begin_object();
        j.end_object();
        j.end_array();
        j.key_escaped("b\n");
        j.strs(["x", "y"]);
        j.key("c");
        j.begin_array();
        j.end_array();
        j.end_object();
        let text = String::from_utf8(j.finish()).unwrap();
        assert_eq!(
            text,
            r#"{"a":[0,0.85,1.0,null,true,{}],"b\n":["x","y"],"c":[]}"#
        );
    }

    #[test]
    fn four_decimal_numbers_are_written_as_serde_json_writes_them() {
        for n in 0..=10_000u32 {
            let value = f64::from(n) / 10_000.0;
            let mut j = Json::after(Vec::new());
            assert!(j.four_decimals(value), "{value}");
            let want = serde_json::to_string(&value).unwrap();
            assert_eq!(String::from_utf8(j.finish()).unwrap(), want);
        }
        for other in [-0.0, -0.5, 1.5, 0.123_45, 1e-5, f64::NAN, f64::INFINITY]
        {
            let mut j = Json::after(Vec::new());
            assert!(!j.four_decimals(other), "{other}");
            assert!(j.finish().is_empty());
        }
    }

    proptest! {
        #[test]
        fn any_string_is_written_as_serde_json_writes_it(
            s in any::<String>(),
        ) {
            prop_assert_eq!(written(&s), serde_json::to_string(&s).unwrap());
        }

        #[test]
        fn any_number_is_written_as_serde_json_writes_it(
            n in any::<usize>(),
            x in any::<f64>(),
        ) {
            let mut j = Json::after(Vec::new());
            j.begin_array();
            j.usize(n);
            j.f64(x);
            j.end_array();
            let want = serde_json::to_string(&(n, x)).unwrap();
            prop_assert_eq!(j.finish(), want.into_bytes());
        }
    }
}
