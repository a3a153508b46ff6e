//! The header fields of a message as text: addresses, subject, id.
//!
//! Address headers become one line of text, each address as a reader
//! would write it: `Ana Li <ana@example.com>, bo@example.org`, display
//! names decoded (RFC 2047) and quoted when they hold a comma or other
//! special, groups as `Team: a@example.com, b@example.com;`. A header
//! that appears twice gives both values, joined like a list. When
//! `mail-parser` finds no address in a header that is there, its raw text
//! (unfolded) is the field, so nothing the header says goes unscanned.

use mail_parser::{
    Addr, Address, Header, HeaderName, HeaderValue, MessagePart,
};

/// The warning of input that is not mail.
pub(crate) const NOT_MAIL: &str =
    "not an RFC 5322 message; scanned as raw bytes";

/// What is wrong with a header block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Block {
    /// No line of it is a header: the input is not mail.
    NotMail,
    /// Some line is neither a header nor part of one.
    Stray,
}

/// Checks that the top header block of `raw` is made of headers.
///
/// `mail-parser` reads any text as a message: a line without a colon in
/// the header block is skipped, and words at the end of the input become
/// a header name. Those bytes would go unscanned, so the caller scans
/// them as they are. A line starting with `From ` (an mbox envelope left
/// in a file) is allowed.
///
/// # Errors
///
/// [`Block::NotMail`] when no line is a header, [`Block::Stray`] when
/// some line is neither a header nor part of one.
pub(crate) fn check_header_block(
    raw: &[u8],
    root: &MessagePart<'_>,
) -> Result<(), Block> {
    let end = (root.offset_body as usize).min(raw.len());
    let mut spans: Vec<(usize, usize)> = root
        .headers
        .iter()
        .filter(|h| is_header(raw, h))
        .map(|h| (h.offset_field as usize, h.offset_end as usize))
        .collect();
    if spans.is_empty() {
        return Err(Block::NotMail);
    }
    spans.sort_unstable();
    let mut at = (root.offset_header as usize).min(end);
    for (start, stop) in spans.into_iter().chain([(end, end)]) {
        let gap = raw.get(at..start.clamp(at, end)).unwrap_or_default();
        let stray = gap.split(|&b| b == b'\n').any(|line| {
            let line = line.trim_ascii();
            !line.is_empty() && !line.starts_with(b"From ")
        });
        if stray {
            return Err(Block::Stray);
        }
        at = at.max(stop.min(end));
    }
    Ok(())
}

/// Whether `mail-parser`'s header is one: a name without blanks, then a
/// colon.
fn is_header(raw: &[u8], h: &Header<'_>) -> bool {
    let (field, start) = (h.offset_field as usize, h.offset_start as usize);
    let Some(name) = raw.get(field..start.saturating_sub(1)) else {
        return false;
    };
    start > field
        && raw[start - 1] == b':'
        && !name.trim_ascii().is_empty()
        && !name.trim_ascii().iter().any(|b| matches!(b, b' ' | b'\t'))
}

/// The text of every `name` header in `headers`, joined by `sep`; `None`
/// when there is none or all are empty.
pub(crate) fn header_text(
    headers: &[Header<'_>],
    name: &HeaderName<'_>,
    buf: &[u8],
    sep: &str,
) -> Option<String> {
    let mut text = String::new();
    for header in headers.iter().filter(|h| h.name == *name) {
        let value = match &header.value {
            HeaderValue::Address(a) => address_list(a),
            HeaderValue::Text(t) => t.trim().to_owned(),
            HeaderValue::TextList(l) => l.join(sep),
            _ => String::new(),
        };
        let value =
            if value.is_empty() { raw_value(header, buf) } else { value };
        if value.is_empty() {
            continue;
        }
        if !text.is_empty() {
            text.push_str(sep);
        }
        text.push_str(&value);
    }
    (!text.is_empty()).then_some(text)
}

/// The Message-ID without its angle brackets.
pub(crate) fn message_id(
    headers: &[Header<'_>],
    buf: &[u8],
) -> Option<String> {
    let header = headers.iter().find(|h| h.name == HeaderName::MessageId)?;
    let id = match &header.value {
        HeaderValue::Text(t) => t.to_string(),
        HeaderValue::TextList(l) => l.first()?.to_string(),
        _ => raw_value(header, buf),
    };
    let id = id.trim();
    let id = id.strip_prefix('<').unwrap_or(id);
    let id = id.strip_suffix('>').unwrap_or(id).trim();
    (!id.is_empty()).then(|| id.to_owned())
}

/// A header's value as written, unfolded and trimmed, as UTF-8 (invalid
/// bytes replaced).
fn raw_value(header: &Header<'_>, buf: &[u8]) -> String {
    let start = header.offset_start as usize;
    let end = (header.offset_end as usize).min(buf.len());
    let Some(raw) = buf.get(start..end) else {
        return String::new();
    };
    let text = String::from_utf8_lossy(raw);
    let unfolded: String =
        text.split(['\r', '\n']).filter(|l| !l.is_empty()).collect();
    unfolded.trim().to_owned()
}

/// An address header as one line of text.
fn address_list(address: &Address<'_>) -> String {
    let mut out = String::new();
    match address {
        Address::List(list) => addrs(&mut out, list),
        Address::Group(groups) => {
            for group in groups {
                sep(&mut out);
                match &group.name {
                    Some(name) => {
                        display_name(&mut out, name);
                        out.push_str(": ");
                        addrs(&mut out, &group.addresses);
                        out.push(';');
                    }
                    None => addrs(&mut out, &group.addresses),
                }
            }
        }
    }
    out
}

/// Appends addresses, comma-separated.
fn addrs(out: &mut String, list: &[Addr<'_>]) {
    let start = out.len();
    for a in list {
        let name = a.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
        let addr =
            a.address.as_deref().map(str::trim).filter(|n| !n.is_empty());
        if name.is_none() && addr.is_none() {
            continue;
        }
        if out.len() > start {
            out.push_str(", ");
        }
        match (name, addr) {
            (Some(n), Some(a)) => {
                display_name(out, n);
                out.push_str(" <");
                out.push_str(a);
                out.push('>');
            }
            (Some(n), None) => display_name(out, n),
            (None, Some(a)) => out.push_str(a),
            (None, None) => {}
        }
    }
}

fn sep(out: &mut String) {
    if !out.is_empty() {
        out.push_str(", ");
    }
}

/// A display name, quoted when it holds a character that would make the
/// line read differently (a comma, `<`, `@`, ...).
fn display_name(out: &mut String, name: &str) {
    if !name.contains([',', ';', ':', '<', '>', '@', '"', '\\', '(', ')']) {
        out.push_str(name);
        return;
    }
    out.push('"');
    for c in name.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::MessageParser;

    fn fields(raw: &str) -> Vec<Option<String>> {
        let msg = MessageParser::default().parse(raw.as_bytes()).unwrap();
        let headers = &msg.parts[0].headers;
        let b = raw.as_bytes();
        vec![
            header_text(headers, &HeaderName::From, b, ", "),
            header_text(headers, &HeaderName::To, b, ", "),
            header_text(headers, &HeaderName::Cc, b, ", "),
            header_text(headers, &HeaderName::Subject, b, " "),
            message_id(headers, b),
        ]
    }

    #[test]
    fn addresses_as_a_reader_writes_them() {
        let raw = "From: =?utf-8?q?Ana_Li?= <ana@example.com>\r\n\
                   To: \"Li, Bo\" <bo@example.org>, cy@example.net,\r\n \
                   Dee <dee@example.com>\r\n\
                   Cc: Team: a@example.com, b@example.com;, Empty: ;\r\n\
                   Subject: =?ISO-8859-1?Q?Jos=E9?=\r\n \
                   =?ISO-8859-1?Q?_P=E9rez?=\r\n\
                   Message-ID: <1234@mail.example.com>\r\n\r\nbody\r\n";
        assert_eq!(
            fields(raw),
            [
                Some("Ana Li <ana@example.com>".into()),
                Some(
                    "\"Li, Bo\" <bo@example.org>, cy@example.net, \
                     Dee <dee@example.com>"
                        .into()
                ),
                Some("Team: a@example.com, b@example.com;, Empty: ;".into()),
                Some("José Pérez".into()),
                Some("1234@mail.example.com".into()),
            ]
        );
    }

    #[test]
    fn header_blocks_of_text_are_not_headers() {
        let check = |raw: &str| {
            let msg = MessageParser::default().parse(raw.as_bytes()).unwrap();
            check_header_block(raw.as_bytes(), &msg.parts[0])
        };
        assert_eq!(check("Subject: x\r\nTo: a@example.com\r\n\r\nhi"), Ok(()));
        assert_eq!(check("From a@example.com Mon\nSubject: x\n\nhi"), Ok(()));
        assert_eq!(check("Subject: x\n folded\n\nbody"), Ok(()));
        assert_eq!(check("just some words, 536-90-1234"), Err(Block::NotMail));
        assert_eq!(check("hello\nworld"), Err(Block::NotMail));
        assert_eq!(
            check("Dear Ana: the SSN is\n536-90-1234\n"),
            Err(Block::NotMail)
        );
        assert_eq!(
            check("Subject: x\nno colon here\nTo: a@b\n\nbody"),
            Err(Block::Stray)
        );
    }

    #[test]
    fn repeated_missing_and_broken_headers() {
        let raw = "From: a@example.com\r\nFrom: b@example.com\r\n\
                   To: \r\nMessage-ID: no-brackets@x\r\n\r\n";
        let f = fields(raw);
        assert_eq!(f[0].as_deref(), Some("a@example.com, b@example.com"));
        assert_eq!((&f[1], &f[2], &f[3]), (&None, &None, &None));
        assert_eq!(f[4].as_deref(), Some("no-brackets@x"));
    }
}
