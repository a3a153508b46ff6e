//! Lenient transfer decoding, for the parts `mail-parser` gives up on.
//!
//! `mail-parser` decodes base64 and quoted-printable itself. When it
//! cannot (an invalid byte in base64, `==` in quoted-printable, a part
//! with no closing boundary) it keeps the part's encoded bytes as they
//! are, which would hide what the part says. These decoders recover what
//! can be recovered and say what was wrong, so that the message is
//! flagged instead of scanned as encoded text.

use std::borrow::Cow;

use mail_parser::decoders::charsets::map::charset_decoder;

/// What went wrong while decoding base64.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Base64Faults {
    /// Bytes outside the alphabet, whitespace and `=` (skipped).
    pub invalid: usize,
    /// The last group was cut short (1 to 3 characters and no padding):
    /// the input ends in the middle of the encoding.
    pub cut: bool,
}

/// Decodes base64, skipping whitespace and anything outside the
/// alphabet. `=` ends a group; decoding goes on after it (concatenated
/// encodings are common).
///
/// Linear; the output is at most three quarters of the input.
pub(crate) fn base64(input: &[u8]) -> (Vec<u8>, Base64Faults) {
    let mut out = Vec::with_capacity(input.len() / 4 * 3);
    let mut faults = Base64Faults::default();
    let mut acc: u32 = 0;
    let mut n = 0;
    for &b in input {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                flush(&mut out, acc, n);
                n = 0;
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\n' => continue,
            _ => {
                faults.invalid += 1;
                continue;
            }
        };
        acc = (acc << 6) | u32::from(v);
        n += 1;
        if n == 4 {
            out.extend_from_slice(&acc.to_be_bytes()[1..]);
            n = 0;
        }
    }
    if n > 0 {
        faults.cut = true;
        flush(&mut out, acc, n);
    }
    (out, faults)
}

/// Writes the bytes of a partial group of `n` characters.
fn flush(out: &mut Vec<u8>, acc: u32, n: usize) {
    match n {
        2 => out.push((acc >> 4) as u8),
        3 => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
        _ => {}
    }
}

/// Decodes quoted-printable: `=XX` escapes, soft line breaks (`=` at the
/// end of a line, before CRLF or LF, with spaces allowed between). An
/// `=` that starts neither is kept as it is. Line ends are kept as they
/// are.
///
/// Linear; the output is never longer than the input.
pub(crate) fn quoted_printable(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b != b'=' {
            out.push(b);
            i += 1;
            continue;
        }
        // A hex escape.
        if let (Some(h), Some(l)) = (
            input.get(i + 1).and_then(|&c| hex(c)),
            input.get(i + 2).and_then(|&c| hex(c)),
        ) {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        // A soft line break: `=`, optional blanks, then CRLF or LF.
        let mut j = i + 1;
        while matches!(input.get(j), Some(b' ' | b'\t')) {
            j += 1;
        }
        match (input.get(j), input.get(j + 1)) {
            (Some(b'\n'), _) => i = j + 1,
            (Some(b'\r'), Some(b'\n')) => i = j + 2,
            (None, _) => i = j,
            _ => {
                out.push(b'=');
                i += 1;
            }
        }
    }
    out
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Text in the named charset as UTF-8 (UTF-8 with U+FFFD for invalid
/// bytes when the charset is absent or unknown).
pub(crate) fn text(bytes: &[u8], charset: Option<&str>) -> String {
    match charset.and_then(|c| charset_decoder(c.as_bytes())) {
        Some(decode) => decode(bytes),
        None => match String::from_utf8_lossy(bytes) {
            Cow::Borrowed(s) => s.to_owned(),
            Cow::Owned(s) => s,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_skips_junk_and_reports_it() {
        let (out, f) = base64(b"U1NO\r\nIDUz Ni05MC0xMjM0");
        assert_eq!(out, b"SSN 536-90-1234");
        assert_eq!(f, Base64Faults::default());
        let (out, f) = base64(b"U1NO*IDUz");
        assert_eq!((&out[..], f.invalid, f.cut), (&b"SSN 53"[..], 1, false));
        let (out, f) = base64(b"U1NOIDU");
        assert_eq!((&out[..], f.cut), (&b"SSN 5"[..], true));
        let (out, f) = base64(b"YQ==Yg==");
        assert_eq!((&out[..], f), (&b"ab"[..], Base64Faults::default()));
    }

    #[test]
    fn quoted_printable_soft_breaks_and_stray_equals() {
        let qp = b"ana.li@exam=\r\nple.com 536-=\n90-1234 =3D a=ZZ b==3D";
        assert_eq!(
            quoted_printable(qp),
            b"ana.li@example.com 536-90-1234 = a=ZZ b=="
        );
        assert_eq!(quoted_printable(b"end=  \r\nx="), b"endx");
        assert_eq!(quoted_printable(b"Jos=E9"), b"Jos\xe9");
    }

    #[test]
    fn charsets() {
        assert_eq!(text(b"Jos\xe9", Some("iso-8859-1")), "José");
        assert_eq!(text(b"Jos\xe9", None), "Jos\u{FFFD}");
        assert_eq!(text(b"x", Some("no-such-charset")), "x");
    }
}
