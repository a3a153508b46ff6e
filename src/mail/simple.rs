//! Header blocks simple enough to read without a MIME parser.
//!
//! Most messages of an archive have a handful of plain headers: one or
//! a few bare addresses, a subject in ASCII, a Message-ID, a
//! `Content-Type: text/plain` with a charset. [`read`] reads such a
//! block in one pass and gives the fields `mail-parser` and
//! [`super::headers`] would give; it gives `None` for any block with
//! something it does not handle, and that block goes to `mail-parser`.
//!
//! What it handles, and nothing more: UTF-8 with no control character
//! but tab (and CR only before LF); at least one header, every line a
//! header or the continuation of one; folded lines only in headers that
//! do not become fields; each of `From`, `To`, `Cc`, `Reply-To`,
//! `Subject`, `Message-ID`, `Content-Type` and
//! `Content-Transfer-Encoding` at most once and not empty; no other
//! `Content-*` header; addresses as `local@domain` or `Name Words
//! <local@domain>` (letters and digits in the name), comma separated; a
//! subject without RFC 2047 words, runs of spaces or other whitespace; a
//! Message-ID of ASCII in angle brackets, without spaces; a content type
//! of tokens and unquoted or plainly quoted parameters. A test compares
//! this reader with `mail-parser` on the shared corpora and on generated
//! blocks at the edge of that language.

use std::borrow::Cow;

/// The headers of a simple block that matter for scanning.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Headers<'a> {
    /// `from`, `to`, `cc`, `reply-to`, as [`super::headers`] writes them
    /// (borrowed when the block writes them so already).
    pub addresses: [Option<Cow<'a, str>>; 4],
    pub subject: Option<&'a str>,
    /// The Message-ID without its angle brackets.
    pub id: Option<&'a str>,
    /// `Content-Type` was there (and is `text/plain`).
    pub typed: bool,
    pub charset: Option<&'a str>,
    /// The transfer encoding is base64 or quoted-printable.
    pub encoded: bool,
}

/// Reads a header block (the bytes up to and with its empty line);
/// `None` when the block is not of the simple kind the module describes.
pub(crate) fn read(head: &[u8]) -> Option<Headers<'_>> {
    // UTF-8, and no control character but tab.
    let text = simdutf8::basic::from_utf8(head).ok()?;
    let lone_cr = memchr::memchr_iter(b'\r', head)
        .any(|i| head.get(i + 1) != Some(&b'\n'));
    if lone_cr || !all_in(head, ALLOWED) {
        return None;
    }
    let mut out = Headers::default();
    let mut seen = 0u16;
    let (mut folded_ok, mut any) = (false, false);
    for line in lines(text) {
        if line.is_empty() {
            break;
        }
        // A continuation: only under a header that is not read here.
        if line.starts_with([' ', '\t']) {
            if !folded_ok {
                return None;
            }
            continue;
        }
        let colon = memchr::memchr(b':', line.as_bytes())?;
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        if name.is_empty() || name.bytes().any(is_blank) {
            return None;
        }
        let which = known(name)?;
        (folded_ok, any) = (which.is_none(), true);
        if let Some(bit) = which {
            if seen & (1 << bit) != 0 {
                return None;
            }
            seen |= 1 << bit;
            out.set(bit, trim(value))?;
        }
    }
    // A block of no header is not mail at all.
    any.then_some(out)
}

/// The lines of a block, without their line breaks.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let ends = memchr::memchr_iter(b'\n', text.as_bytes()).chain([text.len()]);
    let mut start = 0;
    ends.map(move |end| {
        let line = &text[start..end];
        start = end + 1;
        line.strip_suffix('\r').unwrap_or(line)
    })
}

/// Which read header a name is: `Some(Some(i))` for the `i`th of those
/// [`Headers::set`] reads, `Some(None)` for one that is skipped, `None`
/// for one this reader does not handle.
fn known(name: &str) -> Option<Option<u8>> {
    let is = |s: &str| name.eq_ignore_ascii_case(s);
    let read = match name.len() {
        2 if is("to") => Some(1),
        2 if is("cc") => Some(2),
        4 if is("from") => Some(0),
        7 if is("subject") => Some(4),
        8 if is("reply-to") => Some(3),
        10 if is("message-id") => Some(5),
        12 if is("content-type") => Some(6),
        25 if is("content-transfer-encoding") => Some(7),
        _ => None,
    };
    let content =
        name.get(..8).is_some_and(|p| p.eq_ignore_ascii_case("content-"));
    match read {
        Some(i) => Some(Some(i)),
        None if content => None,
        None => Some(None),
    }
}

impl<'a> Headers<'a> {
    /// Reads the value of the `which`th read header; `None` when it is
    /// not simple.
    fn set(&mut self, which: u8, value: &'a str) -> Option<()> {
        if value.is_empty() {
            return None;
        }
        match which {
            0..=3 => {
                self.addresses[usize::from(which)] = Some(addresses(value)?)
            }
            4 => self.subject = Some(subject(value)?),
            5 => self.id = Some(message_id(value)?),
            6 => {
                self.charset = text_plain(value)?;
                self.typed = true;
            }
            _ => self.encoded = encoded(value)?,
        }
        Some(())
    }
}

/// A comma-separated list of simple addresses, as one line: each
/// address as it is, joined by `, `; `value` itself when it is written
/// so.
fn addresses(value: &str) -> Option<Cow<'_, str>> {
    // Whether every item but the first follows its comma after exactly
    // one space, with no blank before the next comma.
    let mut tidy = true;
    for (i, raw) in value.split(',').enumerate() {
        let item = trim(raw);
        if !is_address(item) {
            return None;
        }
        let lead = usize::from(i > 0);
        tidy &=
            raw.len() == item.len() + lead && (i == 0 || raw.starts_with(' '));
    }
    if tidy {
        return Some(Cow::Borrowed(value));
    }
    let mut out = String::with_capacity(value.len());
    for (i, item) in value.split(',').map(trim).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(item);
    }
    Some(Cow::Owned(out))
}

/// `local@domain`, or `Name Words <local@domain>` with one space before
/// the bracket.
fn is_address(item: &str) -> bool {
    match item.split_once('<') {
        None => is_addr(item),
        Some((name, rest)) => {
            match (name.strip_suffix(' '), rest.strip_suffix('>')) {
                (Some(name), Some(addr)) => is_addr(addr) && is_name(name),
                _ => false,
            }
        }
    }
}

/// `local@domain` of letters, digits and `._%+-` (`.-` in the domain).
fn is_addr(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    !local.is_empty()
        && !domain.is_empty()
        && all_in(local.as_bytes(), LOCAL)
        && all_in(domain.as_bytes(), DOMAIN)
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.as_bytes().windows(2).any(|w| w == b"..")
}

/// Words of letters and digits, one space between them.
fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.split(' ').all(|w| {
            !w.is_empty() && w.bytes().all(|b| b.is_ascii_alphanumeric())
        })
}

/// A subject with no encoded words, tabs, runs of spaces or whitespace
/// but the space.
fn subject(value: &str) -> Option<&str> {
    // One pass over the bytes for `=?`, two spaces and tabs, with no
    // early exit.
    let mut prev = 0u8;
    let mut odd = false;
    for &b in value.as_bytes() {
        odd |= (prev == b'=' && b == b'?') | (prev == b' ' && b == b' ');
        odd |= b == b'\t';
        prev = b;
    }
    let odd_space = |c: char| c.is_whitespace() && c != ' ';
    let plain = !odd && (value.is_ascii() || !value.chars().any(odd_space));
    plain.then_some(value)
}

/// `<id>` with no spaces or brackets inside: the id.
fn message_id(value: &str) -> Option<&str> {
    let id = value.strip_prefix('<')?.strip_suffix('>')?;
    let plain = !id.is_empty() && all_in(id.as_bytes(), ID);
    plain.then_some(id)
}

/// `text/plain` with simple parameters: the charset, if any.
fn text_plain(value: &str) -> Option<Option<&str>> {
    let mut parts = value.split(';');
    let ty = trim(parts.next()?);
    if !ty.eq_ignore_ascii_case("text/plain") {
        return None;
    }
    let mut charset = None;
    for param in parts {
        let (name, v) = trim(param).split_once('=')?;
        let v = match v.strip_prefix('"') {
            Some(q) => q.strip_suffix('"')?,
            None => v,
        };
        if !is_token(name) || !is_token(v) {
            return None;
        }
        if name.eq_ignore_ascii_case("charset") {
            if charset.is_some() {
                return None;
            }
            charset = Some(v);
        }
    }
    Some(charset)
}

/// Whether a transfer encoding is base64 or quoted-printable.
fn encoded(value: &str) -> Option<bool> {
    if !is_token(value) {
        return None;
    }
    Some(
        value.eq_ignore_ascii_case("base64")
            || value.eq_ignore_ascii_case("quoted-printable"),
    )
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// `s` without the spaces and tabs around it.
fn trim(s: &str) -> &str {
    let bytes = s.as_bytes();
    let Some(start) = bytes.iter().position(|&b| !is_blank(b)) else {
        return "";
    };
    let end =
        bytes.iter().rposition(|&b| !is_blank(b)).map_or(start, |e| e + 1);
    &s[start..end]
}

/// Letters, digits and `-_.+`.
fn is_token(s: &str) -> bool {
    !s.is_empty() && all_in(s.as_bytes(), TOKEN)
}

// Byte classes, one bit each in [`CLASSES`]: the checks above read one
// table entry a byte instead of comparing against lists.
/// Allowed anywhere in a block: not a control character but tab, CR and
/// LF.
const ALLOWED: u8 = 1;
/// The local part of an address: letters, digits and `._%+-`.
const LOCAL: u8 = 2;
/// A domain: letters, digits and `.-`.
const DOMAIN: u8 = 4;
/// A Message-ID: printable ASCII but `<>"()\\`.
const ID: u8 = 8;
/// A token of a content type: letters, digits and `-_.+`.
const TOKEN: u8 = 16;

/// The classes of each byte value.
static CLASSES: [u8; 256] = classes();

const fn classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let alnum = c.is_ascii_alphanumeric();
        let mut bits = 0;
        if c >= b' ' && c != 0x7F || matches!(c, b'\t' | b'\n' | b'\r') {
            bits |= ALLOWED;
        }
        if alnum || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-') {
            bits |= LOCAL;
        }
        if alnum || matches!(c, b'.' | b'-') {
            bits |= DOMAIN;
        }
        if c.is_ascii_graphic()
            && !matches!(c, b'<' | b'>' | b'"' | b'(' | b')' | b'\\')
        {
            bits |= ID;
        }
        if alnum || matches!(c, b'-' | b'_' | b'.' | b'+') {
            bits |= TOKEN;
        }
        t[b] = bits;
        b += 1;
    }
    t
}

/// Whether every byte of `bytes` is of `class`. It reads every byte, with
/// no early exit, so that the loop vectorises.
fn all_in(bytes: &[u8], class: u8) -> bool {
    bytes.iter().fold(class, |acc, &b| acc & CLASSES[usize::from(b)]) != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_simple_block() {
        let head = b"From: Ana Li <ana@example.com>, bo@example.org\r\n\
            Received: from x\r\n\tby y\r\n\
            Subject: Re: the plan\r\nMessage-ID: <a.1@example.com>\r\n\
            Content-Type: text/plain; charset=\"utf-8\"; format=flowed\r\n\
            Content-Transfer-Encoding: 8bit\r\n\r\n";
        let h = read(head).unwrap();
        assert_eq!(
            h.addresses[0].as_deref(),
            Some("Ana Li <ana@example.com>, bo@example.org")
        );
        assert!(matches!(h.addresses[0], Some(Cow::Borrowed(_))));
        assert_eq!(h.addresses[1..], [None, None, None]);
        assert_eq!(h.subject, Some("Re: the plan"));
        assert_eq!(h.id, Some("a.1@example.com"));
        assert!(h.typed && !h.encoded);
        assert_eq!(h.charset, Some("utf-8"));
    }

    #[test]
    fn address_lists_are_written_one_way() {
        let list = |value: &'static str| match addresses(value) {
            Some(Cow::Borrowed(s)) => format!("borrowed {s}"),
            Some(Cow::Owned(s)) => format!("owned {s}"),
            None => "none".into(),
        };
        assert_eq!(list("a@example.com"), "borrowed a@example.com");
        assert_eq!(
            list("Ana Li <a@example.com>, b@example.org"),
            "borrowed Ana Li <a@example.com>, b@example.org"
        );
        assert_eq!(
            list("a@example.com ,b@example.org"),
            "owned a@example.com, b@example.org"
        );
        assert_eq!(
            list("a@example.com,  Bo <b@example.org>"),
            "owned a@example.com, Bo <b@example.org>"
        );
        assert_eq!(
            list("a@example.com,\tb@example.org"),
            "owned a@example.com, b@example.org"
        );
        assert_eq!(list("a@example.com,,b@example.org"), "none");
        assert_eq!(list("Ana  Li <a@example.com>"), "none");
        assert_eq!(list("Ana Li<a@example.com>"), "none");
    }

    /// The address list as the reader wrote it before it could borrow:
    /// each item rebuilt, joined by `, `.
    fn rebuilt(value: &str) -> Option<String> {
        let mut out = String::new();
        for item in value.split(',') {
            let item = trim(item);
            if !out.is_empty() {
                out.push_str(", ");
            }
            match item.split_once('<') {
                None if is_addr(item) => out.push_str(item),
                Some((name, rest)) => {
                    let addr = rest.strip_suffix('>')?;
                    let name = name.strip_suffix(' ')?;
                    if !is_addr(addr) || !is_name(name) {
                        return None;
                    }
                    out.push_str(&format!("{name} <{addr}>"));
                }
                None => return None,
            }
        }
        Some(out)
    }

    proptest::proptest! {
        #[test]
        fn address_lists_read_as_rebuilt_and_borrowed_when_the_same(
            items in proptest::collection::vec(
                (
                    proptest::sample::select(vec![
                        "a@b.example", "Ana <a@b.example>", "Bo Li <c@d.ex>",
                        "x", "a@", "<a@b.example>", "Ana  <a@b.example>",
                    ]),
                    proptest::sample::select(vec![
                        ",", ", ", " ,", ",  ", ",\t", " , ", "\t,",
                    ]),
                ),
                1..5,
            ),
        ) {
            let value: String =
                items.iter().map(|(item, sep)| format!("{item}{sep}"))
                    .collect();
            let value = trim(value.trim_end_matches([',', ' ', '\t']));
            let (got, want) = (addresses(value), rebuilt(value));
            proptest::prop_assert_eq!(got.as_deref(), want.as_deref());
            if let Some(got) = got {
                let borrowed = matches!(got, Cow::Borrowed(_));
                proptest::prop_assert_eq!(borrowed, &*got == value);
            }
        }
    }

    #[test]
    fn anything_else_goes_to_the_parser() {
        for head in [
            &b"From: \"Li, Ana\" <ana@example.com>\n\n"[..],
            b"From: ana@example.com (Ana)\n\n",
            b"Subject: =?utf-8?q?caf=C3=A9?=\n\n",
            b"Subject: caf\xc3\xa9\xc2\xa0\n\n",
            b"Subject: bad \xe9 byte\n\n",
            b"Subject: a\n folded\n\n",
            b"To: a@example.com\nTo: b@example.com\n\n",
            b"To:\n\n",
            b"Content-Disposition: inline\n\n",
            b"Content-Type: text/html\n\n",
            b"Content-Type: text/plain; charset=\"a b\"\n\n",
            b"not a header\n\n",
            b" leading fold\n\n",
            b"From a@example.com Mon Jan 1\n\n",
            b"\n",
            b"Subject: a\rb\n\n",
        ] {
            assert_eq!(
                read(head),
                None,
                "{:?}",
                String::from_utf8_lossy(head)
            );
        }
    }
}
