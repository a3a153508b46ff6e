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
//! notice is a footer too. Only the paragraphs that hold keywords are ever
//! looked at, so a field without keywords costs nothing here.

use std::collections::BTreeMap;

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
    let starts = |p: &[u8]| {
        line.len() >= p.len() && line[..p.len()].eq_ignore_ascii_case(p)
    };
    let ends = |p: &[u8]| {
        line.len() >= p.len()
            && line[line.len() - p.len()..].eq_ignore_ascii_case(p)
    };
    (starts(b"on ") && ends(b"wrote:"))
        || starts(b"-----original message")
        || starts(b"from: ")
        || line == b"--"
}

fn is_notice(text: &[u8]) -> bool {
    static PHRASES: std::sync::OnceLock<Option<aho_corasick::AhoCorasick>> =
        std::sync::OnceLock::new();
    let ac = PHRASES.get_or_init(|| {
        aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(NOTICE)
            .ok()
    });
    ac.as_ref().is_some_and(|ac| ac.is_match(text))
}

/// A line of the field: its span and its text without quote markers and
/// surrounding blanks.
fn line_at(text: &[u8], start: usize) -> (Span, &[u8]) {
    let end = memchr::memchr(b'\n', &text[start..])
        .map_or(text.len(), |i| start + i + 1);
    (Span { start, end }, strip_quotes(&text[start..end]).trim_ascii())
}

/// The start of the line holding byte `at`.
fn line_start(text: &[u8], at: usize) -> usize {
    memchr::memrchr(b'\n', &text[..at]).map_or(0, |i| i + 1)
}

/// Answers "is this span inside a footer?" for one body field, looking
/// only at the paragraphs asked about.
///
/// Cost: each paragraph (and each blank or reply-header line) that holds
/// a span is judged once, in time linear in its length and the few lines
/// after it; a span is then looked up in a map of what was judged, in
/// time logarithmic in its size. Linear in the field for any number of
/// spans, in any order.
pub(crate) struct Footers<'a> {
    text: &'a [u8],
    /// What was judged, by start: the end of a paragraph and whether it
    /// is a footer, or the end of a line that is in no paragraph (`None`).
    seen: BTreeMap<usize, (usize, Option<bool>)>,
    /// Where the first signature separator line starts, once looked up.
    signature: Option<Option<usize>>,
}

impl<'a> Footers<'a> {
    pub(crate) fn new(text: &'a [u8]) -> Footers<'a> {
        Footers { text, seen: BTreeMap::new(), signature: None }
    }

    /// Whether `span` lies in a footer paragraph.
    pub(crate) fn contains(&mut self, span: Span) -> bool {
        let (end, verdict) = match self.judged(span.start) {
            Some(judged) => judged,
            None => self.judge(span.start),
        };
        span.end <= end && verdict == Some(true)
    }

    /// What was judged of the paragraph or line that holds byte `at`.
    fn judged(&self, at: usize) -> Option<(usize, Option<bool>)> {
        let (_, &(end, verdict)) = self.seen.range(..=at).next_back()?;
        (at < end).then_some((end, verdict))
    }

    /// Judges the paragraph that holds byte `at` (or, when it is in
    /// none, its line) and keeps the verdict.
    fn judge(&mut self, at: usize) -> (usize, Option<bool>) {
        let (start, end, verdict) = match self.paragraph(at) {
            Some(para) => {
                let yes = (self.trailing(para.end)
                    || self.after_signature(para.start))
                    && is_notice(&self.text[para.start..para.end]);
                (para.start, para.end, Some(yes))
            }
            None => {
                let (line, _) = line_at(self.text, line_start(self.text, at));
                (line.start, line.end, None)
            }
        };
        self.seen.insert(start, (end, verdict));
        (end, verdict)
    }

    /// The paragraph (lines between blank lines and reply headers) that
    /// holds byte `at`.
    fn paragraph(&self, at: usize) -> Option<Span> {
        let text = self.text;
        let first = line_start(text, at);
        let (line, body) = line_at(text, first);
        if body.is_empty() || is_reply_header(body) {
            return None;
        }
        let mut start = first;
        while start > 0 {
            let prev = line_start(text, start - 1);
            let (_, body) = line_at(text, prev);
            if body.is_empty() || is_reply_header(body) {
                break;
            }
            start = prev;
        }
        let mut end = line.end;
        while end < text.len() {
            let (next, body) = line_at(text, end);
            if body.is_empty() || is_reply_header(body) {
                break;
            }
            end = next.end;
        }
        Some(Span { start, end })
    }

    /// At most three non-blank lines follow before the field ends or a
    /// reply header starts.
    fn trailing(&self, mut at: usize) -> bool {
        let mut lines = 0;
        while at < self.text.len() {
            let (line, body) = line_at(self.text, at);
            if is_reply_header(body) {
                break;
            }
            if !body.is_empty() {
                lines += 1;
                if lines > 3 {
                    return false;
                }
            }
            at = line.end;
        }
        true
    }

    /// A signature separator (`-- `) stands before `at`.
    fn after_signature(&mut self, at: usize) -> bool {
        let text = self.text;
        let sig = *self.signature.get_or_insert_with(|| {
            memchr::memmem::find_iter(text, b"--").find_map(|i| {
                let s = line_start(text, i);
                let (_, body) = line_at(text, s);
                (body == b"--").then_some(s)
            })
        });
        sig.is_some_and(|s| s < at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn footer_spans(t: &str, word: &str) -> Vec<bool> {
        let mut f = Footers::new(t.as_bytes());
        t.match_indices(word)
            .map(|(i, w)| f.contains(Span { start: i, end: i + w.len() }))
            .collect()
    }

    #[test]
    fn trailing_notice_is_a_footer() {
        let t = "The confidential salary review.\n\nBest,\nAna\n\nThis email \
                 is confidential and intended solely for the addressee.\n";
        assert_eq!(footer_spans(t, "confidential"), vec![false, true]);
    }

    #[test]
    fn notice_before_a_quoted_reply_is_a_footer() {
        let t = "Hi\n\nCONFIDENTIALITY NOTICE: legally privileged.\n\n\
                 On Mon, 2024-01-02 at 9:00, Bo <bo@example.com> wrote:\n\
                 > Hello\n> more\n> more\n> more\n> more\n";
        assert_eq!(footer_spans(t, "privileged"), vec![true]);
    }

    #[test]
    fn notice_in_the_middle_is_not() {
        let t = "This is confidential and intended only for you.\n\nline\n\
                 line\nline\nline\nline\n";
        assert_eq!(footer_spans(t, "confidential"), vec![false]);
    }

    #[test]
    fn notice_after_a_signature_is() {
        let t = "Hi\n-- \nAna\n\nconfidential: intended only for you.\n\n\
                 a\nb\nc\nd\ne\n";
        assert_eq!(footer_spans(t, "confidential"), vec![true]);
    }

    /// A body of `n` paragraphs with a keyword each, the last a notice.
    fn many_paragraphs(n: usize) -> String {
        let mut t = String::new();
        for i in 0..n {
            t.push_str(&format!("Paragraph {i} is confidential.\n\n"));
        }
        t.push_str(
            "This email is confidential and intended solely for you.\n",
        );
        t
    }

    #[test]
    fn spans_in_any_order_get_their_paragraphs_verdict() {
        let t = many_paragraphs(50);
        let spans: Vec<Span> = t
            .match_indices("confidential")
            .map(|(i, w)| Span { start: i, end: i + w.len() })
            .collect();
        let in_order: Vec<bool> = {
            let mut f = Footers::new(t.as_bytes());
            spans.iter().map(|&s| f.contains(s)).collect()
        };
        let mut expected = vec![false; 50];
        expected.push(true);
        assert_eq!(in_order, expected);
        // Backwards, and a span that crosses its paragraph's end first:
        // neither changes a verdict.
        let mut f = Footers::new(t.as_bytes());
        let last = spans[50];
        assert!(!f.contains(Span { start: last.start, end: t.len() + 1 }));
        let backwards: Vec<bool> =
            spans.iter().rev().map(|&s| f.contains(s)).collect();
        assert_eq!(backwards.into_iter().rev().collect::<Vec<_>>(), expected);
    }

    #[test]
    fn spans_on_blank_and_reply_header_lines_are_not_footers() {
        let t = "Hi\n\nOn Monday, Bo wrote:\n> confidential notice\n";
        let mut f = Footers::new(t.as_bytes());
        assert!(!f.contains(Span { start: 3, end: 4 }));
        assert!(!f.contains(Span { start: 8, end: 14 }));
        assert!(!f.contains(Span { start: 8, end: 14 }));
    }

    /// The regression of the linear search through every paragraph seen
    /// (BENCHMARKS.md, `body10m`): four times the paragraphs take at most
    /// ten times as long (growth only, not a speed claim).
    #[test]
    fn regression_footer_lookup_was_quadratic_in_paragraphs() {
        let time = |n: usize| {
            let t = many_paragraphs(n);
            let spans: Vec<Span> = t
                .match_indices("confidential")
                .map(|(i, w)| Span { start: i, end: i + w.len() })
                .collect();
            (0..3)
                .map(|_| {
                    let start = std::time::Instant::now();
                    let mut f = Footers::new(t.as_bytes());
                    let yes = spans.iter().filter(|&&s| f.contains(s)).count();
                    assert_eq!(yes, 1);
                    start.elapsed()
                })
                .min()
                .unwrap_or_default()
        };
        let (t1, t4) = (time(10_000), time(40_000));
        let slack = std::time::Duration::from_millis(5);
        assert!(t4 <= t1 * 10 + slack, "{t1:?}, four times: {t4:?}");
    }
}
