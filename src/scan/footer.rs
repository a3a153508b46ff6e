//! Disclaimer footers: notices whose keywords do not set the level.
//!
//! Mail often ends in a confidentiality or intended-recipient notice full
//! of words like "confidential" and "legal". Such a footer says nothing
//! about the message, so its keywords are reported with `in_footer` and do
//! not lift the level; personal data inside it is still found.
//!
//! A footer is a paragraph (lines between blank lines, quote markers `>`
//! ignored) that reads as a notice and is trailing: after it, up to the end
//! of the field or the next quoted-reply header (`On ... wrote:`,
//! `-----Original Message-----`, `From:`), stand at most three non-blank
//! lines. Anything after a signature separator (`-- `) that reads as a
//! notice is a footer too.

use super::Span;

/// Phrases that make a paragraph a notice (ASCII, lower case).
const NOTICE: &[&str] = &[
    "intended solely",
    "intended only",
    "intended recipient",
    "intended for the",
    "solely for the use",
    "received this e-mail in error",
    "received this email in error",
    "received this message in error",
    "received this communication in error",
    "confidentiality notice",
    "legally privileged",
    "privileged and confidential",
    "may contain confidential",
    "may contain privileged",
    "unauthorised use",
    "unauthorized use",
    "unauthorised disclosure",
    "unauthorized disclosure",
    "vertrauliche informationen",
    "not the intended",
];

/// A line with its quote markers stripped.
struct Line {
    span: Span,
    blank: bool,
    boundary: bool,
}

fn lines(text: &[u8]) -> Vec<Line> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < text.len() {
        let end = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |i| start + i + 1);
        let raw = &text[start..end];
        let body = strip_quotes(raw);
        let trimmed = body.trim_ascii();
        let boundary = is_reply_header(trimmed);
        out.push(Line {
            span: Span { start, end },
            blank: trimmed.is_empty(),
            boundary,
        });
        start = end;
    }
    out
}

fn strip_quotes(mut line: &[u8]) -> &[u8] {
    loop {
        let t = line.trim_ascii_start();
        match t.first() {
            Some(b'>') => line = &t[1..],
            _ => return line,
        }
    }
}

fn is_reply_header(line: &[u8]) -> bool {
    let lower = line.to_ascii_lowercase();
    (lower.starts_with(b"on ") && lower.ends_with(b"wrote:"))
        || lower.starts_with(b"-----original message")
        || lower.starts_with(b"from: ")
        || line == b"--"
}

fn is_notice(text: &[u8]) -> bool {
    let lower = text.to_ascii_lowercase();
    NOTICE.iter().any(|p| memchr::memmem::find(&lower, p.as_bytes()).is_some())
}

/// The footer spans of one body field.
pub(crate) fn footers(text: &[u8]) -> Vec<Span> {
    let lines = lines(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].blank || lines[i].boundary {
            i += 1;
            continue;
        }
        let first = i;
        while i < lines.len() && !lines[i].blank && !lines[i].boundary {
            i += 1;
        }
        let para = Span { start: lines[first].span.start, end: lines[i - 1].span.end };
        if !is_notice(&text[para.start..para.end]) {
            continue;
        }
        let after_signature = lines[..first].iter().any(|l| {
            strip_quotes(&text[l.span.start..l.span.end]).trim_ascii_end() == b"--"
        });
        let trailing = lines[i..]
            .iter()
            .take_while(|l| !l.boundary)
            .filter(|l| !l.blank)
            .count()
            <= 3;
        if trailing || after_signature {
            out.push(para);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_notice_is_a_footer() {
        let t = "Salary review attached.\n\nBest,\nAna\n\nThis email is \
                 confidential and intended solely for the addressee.\n";
        let f = footers(t.as_bytes());
        assert_eq!(f.len(), 1);
        assert!(t[f[0].start..f[0].end].starts_with("This email"));
    }

    #[test]
    fn notice_before_a_quoted_reply_is_a_footer() {
        let t = "Hi\n\nCONFIDENTIALITY NOTICE: legally privileged.\n\n\
                 On Mon, 2024-01-02 at 9:00, Bo <bo@example.com> wrote:\n\
                 > Hello\n> more\n> more\n> more\n> more\n";
        assert_eq!(footers(t.as_bytes()).len(), 1);
    }

    #[test]
    fn notice_in_the_middle_is_not() {
        let t = "This is confidential and intended only for you.\n\nline\n\
                 line\nline\nline\nline\n";
        assert!(footers(t.as_bytes()).is_empty());
    }
}
