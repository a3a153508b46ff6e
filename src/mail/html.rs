//! HTML to text, for scanning what a reader of an HTML part sees.
//!
//! [`to_text`] removes tags, comments, and the content of `script` and
//! `style`; ends a line at block elements (`p`, `div`, `br`, `li`, `tr`,
//! headings, ...) and puts a tab between table cells, so that words of
//! two blocks never run together into one (`<td>536-90-1234</td><td>7`
//! must not read as one long number); and decodes character references:
//! numeric ones (`&#64;`, `&#x40;`, with or without the `;`) and named
//! ones for ASCII punctuation, the Latin-1 letters and common typography.
//! Runs of white space collapse to one space, outside `pre`, as a browser
//! shows them. Inline elements (`b`, `span`, `a`, `font`, ...) join their
//! text to what is around them, as a browser does: `<b>ana</b>@x.org`
//! reads `ana@x.org`.
//!
//! Limitations: attribute values are dropped (the target of a `mailto:`
//! link is not kept when the link text differs); named references outside
//! the table are kept as written; `&nbsp;` becomes a plain space. The
//! output is never longer than the input plus one byte per tag.

/// Elements whose content is not shown (when they are closed).
const HIDDEN: &[&[u8]] = &[b"script", b"style"];

/// Elements that start or end a line.
const BLOCK: &[&[u8]] = &[
    b"address",
    b"article",
    b"aside",
    b"blockquote",
    b"br",
    b"caption",
    b"center",
    b"dd",
    b"div",
    b"dl",
    b"dt",
    b"fieldset",
    b"figcaption",
    b"figure",
    b"footer",
    b"form",
    b"h1",
    b"h2",
    b"h3",
    b"h4",
    b"h5",
    b"h6",
    b"header",
    b"hr",
    b"li",
    b"main",
    b"nav",
    b"ol",
    b"p",
    b"pre",
    b"section",
    b"table",
    b"tbody",
    b"tfoot",
    b"thead",
    b"tr",
    b"ul",
];

/// Elements that separate cells on a line.
const CELL: &[&[u8]] = &[b"td", b"th"];

/// Named references from U+00A0 to U+00FF, in code point order.
const LATIN1: [&str; 96] = [
    "nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect",
    "uml", "copy", "ordf", "laquo", "not", "shy", "reg", "macr", "deg",
    "plusmn", "sup2", "sup3", "acute", "micro", "para", "middot", "cedil",
    "sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest", "Agrave",
    "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil", "Egrave",
    "Eacute", "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH",
    "Ntilde", "Ograve", "Oacute", "Ocirc", "Otilde", "Ouml", "times",
    "Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute", "THORN", "szlig",
    "agrave", "aacute", "acirc", "atilde", "auml", "aring", "aelig", "ccedil",
    "egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc", "iuml",
    "eth", "ntilde", "ograve", "oacute", "ocirc", "otilde", "ouml", "divide",
    "oslash", "ugrave", "uacute", "ucirc", "uuml", "yacute", "thorn", "yuml",
];

/// Other named references: ASCII punctuation and common typography.
const NAMED: &[(&str, char)] = &[
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("commat", '@'),
    ("period", '.'),
    ("comma", ','),
    ("colon", ':'),
    ("semi", ';'),
    ("hyphen", '-'),
    ("dash", '-'),
    ("minus", '\u{2212}'),
    ("plus", '+'),
    ("lpar", '('),
    ("rpar", ')'),
    ("sol", '/'),
    ("bsol", '\\'),
    ("lowbar", '_'),
    ("num", '#'),
    ("percnt", '%'),
    ("excl", '!'),
    ("quest", '?'),
    ("equals", '='),
    ("dollar", '$'),
    ("ast", '*'),
    ("lsqb", '['),
    ("rsqb", ']'),
    ("lcub", '{'),
    ("rcub", '}'),
    ("verbar", '|'),
    ("tilde", '~'),
    ("grave", '`'),
    ("Hat", '^'),
    ("ndash", '\u{2013}'),
    ("mdash", '\u{2014}'),
    ("lsquo", '\u{2018}'),
    ("rsquo", '\u{2019}'),
    ("sbquo", '\u{201A}'),
    ("ldquo", '\u{201C}'),
    ("rdquo", '\u{201D}'),
    ("bdquo", '\u{201E}'),
    ("hellip", '\u{2026}'),
    ("bull", '\u{2022}'),
    ("euro", '\u{20AC}'),
    ("trade", '\u{2122}'),
    ("dagger", '\u{2020}'),
    ("Dagger", '\u{2021}'),
    ("permil", '\u{2030}'),
    ("lsaquo", '\u{2039}'),
    ("rsaquo", '\u{203A}'),
    ("OElig", '\u{152}'),
    ("oelig", '\u{153}'),
    ("Scaron", '\u{160}'),
    ("scaron", '\u{161}'),
    ("Yuml", '\u{178}'),
    ("fnof", '\u{192}'),
    ("ensp", ' '),
    ("emsp", ' '),
    ("thinsp", ' '),
    ("zwnj", '\u{200C}'),
    ("zwj", '\u{200D}'),
    ("lrm", '\u{200E}'),
    ("rlm", '\u{200F}'),
];

/// The text an HTML document shows, as UTF-8.
///
/// Linear in the input. Never panics, whatever the markup.
pub(crate) fn to_text(html: &str) -> String {
    let mut out = Out { text: String::with_capacity(html.len()), pre: 0 };
    let b = html.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'<' => i = markup(html, i, &mut out),
            b'&' => {
                let (c, len) = reference(b, i);
                match c {
                    Some(c) => out.push(c),
                    None => out.push('&'),
                }
                i += len;
            }
            _ => {
                // Up to the next markup byte, as one run.
                let end = memchr::memchr2(b'<', b'&', &b[i..])
                    .map_or(b.len(), |n| i + n);
                out.push_str(&html[i..end]);
                i = end;
            }
        }
    }
    out.finish()
}

/// The text being written: white space collapsed outside `pre`.
struct Out {
    text: String,
    pre: usize,
}

impl Out {
    fn push_str(&mut self, s: &str) {
        for c in s.chars() {
            self.push(c);
        }
    }

    fn push(&mut self, c: char) {
        if self.pre > 0 || !matches!(c, ' ' | '\t' | '\r' | '\n' | '\x0c') {
            self.text.push(c);
        } else if !self.text.is_empty()
            && !self.text.ends_with([' ', '\n', '\t'])
        {
            self.text.push(' ');
        }
    }

    /// Ends the line, unless it is empty or already ended.
    fn newline(&mut self) {
        let trimmed = self.text.trim_end_matches([' ', '\t']).len();
        self.text.truncate(trimmed);
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.text.push('\n');
        }
    }

    fn cell(&mut self) {
        let trimmed = self.text.trim_end_matches(' ').len();
        self.text.truncate(trimmed);
        if !self.text.is_empty() && !self.text.ends_with(['\n', '\t']) {
            self.text.push('\t');
        }
    }

    fn finish(mut self) -> String {
        let trimmed = self.text.trim_end().len();
        self.text.truncate(trimmed);
        self.text
    }
}

/// Handles the markup at `i` (a `<`); returns where text goes on.
fn markup(html: &str, i: usize, out: &mut Out) -> usize {
    let b = html.as_bytes();
    let rest = &b[i + 1..];
    // A comment, a doctype or a processing instruction.
    if rest.starts_with(b"!--") {
        return memchr::memmem::find(&rest[3..], b"-->")
            .map_or(b.len(), |n| i + 4 + n + 3);
    }
    if rest.first().is_some_and(|&c| c == b'!' || c == b'?') {
        return tag_end(b, i + 1);
    }
    // A tag: `<name` or `</name`; anything else is a literal `<`.
    let closing = rest.first() == Some(&b'/');
    let start = i + 1 + usize::from(closing);
    let len =
        b[start..].iter().take_while(|c| c.is_ascii_alphanumeric()).count();
    if len == 0 || !b[start].is_ascii_alphabetic() {
        out.push('<');
        return i + 1;
    }
    let name = b[start..start + len].to_ascii_lowercase();
    let end = tag_end(b, start + len);
    if HIDDEN.contains(&&name[..]) && !closing {
        return skip_element(b, end, &name);
    }
    if name == b"pre" {
        out.pre =
            if closing { out.pre.saturating_sub(1) } else { out.pre + 1 };
    }
    if BLOCK.contains(&&name[..]) {
        out.newline();
    } else if CELL.contains(&&name[..]) && !closing {
        out.cell();
    }
    end
}

/// Where the tag whose name ends before `from` ends: after its `>`,
/// quoted attribute values skipped. When a quote is never closed, the
/// first `>` ends the tag: text is not hidden inside a broken attribute.
fn tag_end(b: &[u8], from: usize) -> usize {
    let mut quote = None;
    for (i, &c) in b.iter().enumerate().skip(from) {
        match (quote, c) {
            (None, b'>') => return i + 1,
            (None, q @ (b'"' | b'\'')) => quote = Some(q),
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
    }
    memchr::memchr(b'>', &b[from..]).map_or(b.len(), |n| from + n + 1)
}

/// Skips the content of a hidden element up to its closing tag. Without
/// one, nothing is skipped: text is never hidden by a missing end tag.
fn skip_element(b: &[u8], from: usize, name: &[u8]) -> usize {
    let mut i = from;
    while let Some(n) = memchr::memmem::find(&b[i..], b"</") {
        let at = i + n + 2;
        let tag = &b[at..b.len().min(at + name.len())];
        if tag.eq_ignore_ascii_case(name)
            && !b.get(at + name.len()).is_some_and(u8::is_ascii_alphanumeric)
        {
            return tag_end(b, at + name.len());
        }
        i = at;
    }
    from
}

/// Decodes the character reference at `i` (an `&`): the character, if it
/// is one, and how many bytes it takes (1 when it is not).
fn reference(b: &[u8], i: usize) -> (Option<char>, usize) {
    let rest = &b[i + 1..];
    if let Some(num) = rest.strip_prefix(b"#") {
        let (digits, radix, skip) = match num.first() {
            Some(b'x' | b'X') => (&num[1..], 16, 2),
            _ => (num, 10, 1),
        };
        let len = digits
            .iter()
            .take_while(|c| (**c as char).is_digit(radix))
            .count();
        if len == 0 {
            return (None, 1);
        }
        let semi = usize::from(digits.get(len) == Some(&b';'));
        // N.B. Eight digits fit in a u64 in either radix.
        let value = digits[..len.min(8)].iter().fold(0u64, |v, &c| {
            v * u64::from(radix)
                + u64::from((c as char).to_digit(radix).unwrap_or(0))
        });
        let c = match u32::try_from(value) {
            Ok(v) if len <= 8 => char::from_u32(v),
            _ => None,
        };
        let c = c.filter(|&c| c != '\0').unwrap_or('\u{FFFD}');
        return (Some(c), 1 + skip + len + semi);
    }
    let len = rest.iter().take_while(|c| c.is_ascii_alphanumeric()).count();
    if rest.get(len) != Some(&b';') {
        return (None, 1);
    }
    let Ok(name) = std::str::from_utf8(&rest[..len]) else {
        return (None, 1);
    };
    let c = match LATIN1.iter().position(|&n| n == name) {
        Some(0) => Some(' '),
        Some(k) => char::from_u32(0xA0 + k as u32),
        None => NAMED.iter().find(|(n, _)| *n == name).map(|&(_, c)| c),
    };
    match c {
        Some(c) => (Some(c), len + 2),
        None => (None, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::to_text;

    #[test]
    fn entities_decode() {
        assert_eq!(to_text("ana&#64;example.org"), "ana@example.org");
        assert_eq!(to_text("ana&#x40;example.org"), "ana@example.org");
        assert_eq!(to_text("ana&#64example.org"), "ana@example.org");
        assert_eq!(to_text("ana&commat;example.org"), "ana@example.org");
        assert_eq!(to_text("Jos&eacute; &amp; B&ouml;"), "José & Bö");
        assert_eq!(to_text("a&nbsp;b &unknown; &"), "a b &unknown; &");
        assert_eq!(
            to_text("&#0; &#x110000; &#99999999999;"),
            "\u{FFFD} \u{FFFD} \u{FFFD}"
        );
    }

    #[test]
    fn tags_blocks_and_cells() {
        let html = "<html><head><style>p{x:1}</style>\
                    </head><body><p>Hello <b>ana</b>@example.org</p>\
                    <table><tr><td>536-90-1234</td><td>7</td></tr></table>\
                    a &lt; b<br>end</body></html>";
        assert_eq!(
            to_text(html),
            "Hello ana@example.org\n536-90-1234\t7\na < b\nend"
        );
    }

    #[test]
    fn comments_scripts_attributes_and_whitespace() {
        let html = "<!DOCTYPE html><!-- x@example.com -->\
                    <a href=\"mailto:x@example.com\" title='a>b'>mail</a>\
                    <script>var a = '</p>';</script>  one\r\n\t two\
                    <pre>  keep\n  this</pre>< not a tag";
        assert_eq!(to_text(html), "mail one two\n  keep\n  this\n< not a tag");
        assert_eq!(to_text("<script>never closed"), "never closed");
        assert_eq!(to_text("<a title=\"x>shown</a>"), "shown");
        assert_eq!(to_text("<div"), "");
        assert_eq!(to_text(""), "");
    }
}
