//! Keeping `mail-parser`'s recursion bounded, whatever the input.
//!
//! `mail-parser` 0.11 parses nested multiparts and plain attached
//! messages iteratively, but the messages it builds nest one inside the
//! other, and two things walk that nesting recursively: dropping a
//! message, and `Message::into_owned`, which it calls on an attached
//! message that was base64 or quoted-printable encoded (about 700 bytes
//! of stack per level in a debug build: 3,000 levels overflow a thread's
//! 2 MiB, and a stack overflow aborts the process). Levels hidden inside
//! an encoded part cannot be seen in the raw bytes.
//!
//! So [`check`] counts, before the parse, the `Content-Type` headers
//! whose value says `message` or `digest` (the only ways to nest a
//! message), in the raw bytes and in what decoding would reveal: the
//! bytes quoted-printable decoded, and every run of base64 lines decoded,
//! three levels down (as deep as `mail-parser` decodes). Above
//! [`MAX_CONTAINERS`] the message is not MIME-parsed; it is scanned as
//! raw bytes with a warning. The count is a superset (it does not know
//! which headers are real), so it errs on the side of not parsing.
//! Parsed messages are taken apart level by level ([`dismantle`]) instead
//! of dropped recursively.
//!
//! The cost: one search for `content-type` (a vectorised search for its
//! middle), and for messages that have a
//! `message` or `digest` type somewhere, one lenient decoding pass over
//! the bytes (twice for quoted-printable) per level.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use mail_parser::{Message, PartType};

use super::decode;

/// Above this many nesting declarations a message is scanned as raw
/// bytes.
pub(crate) const MAX_CONTAINERS: usize = 512;

/// How many levels of encoding the count looks through.
const LEVELS: usize = 3;

/// The shortest run of base64 lines that can hold a `Content-Type`.
const MIN_RUN: usize = 24;

/// How far into a header value (folded lines included) the count looks.
const MAX_VALUE: usize = 4096;

/// Why a message is not MIME-parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TooNested;

/// Where `content-type` is found: the case variants of `t-ty`, its
/// middle, which is rare in text and short enough for a vectorised
/// search of a few literals; each hit is checked against the whole name.
static CONTENT_TYPE: LazyLock<AhoCorasick> = LazyLock::new(|| {
    let mut variants = Vec::new();
    for bits in 0..8u8 {
        let case = |b: u8, bit: u8| {
            if bits & bit != 0 { b.to_ascii_uppercase() } else { b }
        };
        variants.push([case(b't', 1), b'-', case(b't', 2), case(b'y', 4)]);
    }
    AhoCorasick::builder()
        .match_kind(aho_corasick::MatchKind::LeftmostFirst)
        .build(variants)
        .expect("literals always build")
});

/// `content-type`, and where [`CONTENT_TYPE`]'s literal sits in it.
const NAME: &[u8] = b"content-type";
const MIDDLE: usize = 6;

static CONTAINER: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(["message", "digest"])
        .expect("literals always build")
});

/// Whether `raw` can be given to `mail-parser` without its recursion
/// going deeper than the stack allows.
///
/// # Errors
///
/// When it holds, or could reveal by decoding, more than
/// [`MAX_CONTAINERS`] nesting declarations.
pub(crate) fn check(raw: &[u8]) -> Result<(), TooNested> {
    if containers(raw) == 0 {
        return Ok(());
    }
    let mut total = 0;
    if count(raw, 0, &mut total) { Ok(()) } else { Err(TooNested) }
}

/// Adds the declarations in `data` and what decoding reveals to `total`;
/// false once it is over the limit. Recursion bounded by [`LEVELS`].
fn count(data: &[u8], level: usize, total: &mut usize) -> bool {
    let qp = decode::quoted_printable(data);
    *total += containers(&qp).max(containers(data));
    if *total > MAX_CONTAINERS {
        return false;
    }
    if level == LEVELS {
        return true;
    }
    let changed = qp != data;
    let sources: &[&[u8]] = if changed { &[data, &qp] } else { &[data] };
    // N.B. the two sources are two readings of the same bytes (base64
    // padding alone makes the quoted-printable one differ): the larger
    // count of the two is added, not their sum, which doubled at every
    // level.
    let base = *total;
    let mut most = base;
    for src in sources {
        let mut sum = base;
        for run in base64_runs(src) {
            let (decoded, _) = decode::base64(run);
            if !count(&decoded, level + 1, &mut sum) {
                *total = sum;
                return false;
            }
        }
        most = most.max(sum);
    }
    *total = most;
    true
}

/// How many `Content-Type` headers say `message` or `digest`.
fn containers(data: &[u8]) -> usize {
    CONTENT_TYPE
        .find_iter(data)
        .filter_map(|m| {
            let start = m.start().checked_sub(MIDDLE)?;
            let name = data.get(start..start + NAME.len())?;
            name.eq_ignore_ascii_case(NAME).then_some(start + NAME.len())
        })
        .filter(|&end| CONTAINER.is_match(header_value(data, end)))
        .count()
}

/// The header value after `at`: the rest of the line and the folded
/// lines after it, at most [`MAX_VALUE`] bytes.
fn header_value(data: &[u8], at: usize) -> &[u8] {
    let rest = &data[at..data.len().min(at + MAX_VALUE)];
    let mut end = 0;
    while let Some(n) = memchr::memchr(b'\n', &rest[end..]) {
        end += n + 1;
        if !matches!(rest.get(end), Some(b' ' | b'\t')) {
            return &rest[..end];
        }
    }
    rest
}

/// Runs of lines made only of base64 characters (a CR before the LF
/// allowed), at least [`MIN_RUN`] bytes long.
fn base64_runs(data: &[u8]) -> Vec<&[u8]> {
    let mut runs = Vec::new();
    let mut start = None;
    let mut at = 0;
    for line in data.split_inclusive(|&b| b == b'\n') {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        let b64 = !body.is_empty()
            && body.iter().all(|&b| {
                b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')
            });
        match (b64, start) {
            (true, None) => start = Some(at),
            (false, Some(s)) => {
                if at - s >= MIN_RUN {
                    runs.push(&data[s..at]);
                }
                start = None;
            }
            _ => {}
        }
        at += line.len();
    }
    if let Some(s) = start.filter(|&s| at - s >= MIN_RUN) {
        runs.push(&data[s..]);
    }
    runs
}

/// Drops a parsed message level by level: nested messages are moved out
/// of their parts first, so no drop recurses through the nesting.
pub(crate) fn dismantle(root: Message<'_>) {
    let mut pending = vec![root];
    while let Some(mut msg) = pending.pop() {
        for part in &mut msg.parts {
            if matches!(part.body, PartType::Message(_))
                && let PartType::Message(inner) =
                    std::mem::take(&mut part.body)
            {
                pending.push(inner);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(data: &[u8]) -> String {
        const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ\
                           abcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut s = String::new();
        for (i, c) in data.chunks(3).enumerate() {
            let n = u32::from(c[0]) << 16
                | u32::from(*c.get(1).unwrap_or(&0)) << 8
                | u32::from(*c.get(2).unwrap_or(&0));
            for k in 0..4 {
                let ch = if k <= c.len() {
                    T[(n >> (18 - 6 * k) & 63) as usize]
                } else {
                    b'='
                };
                s.push(ch as char);
            }
            if i % 19 == 18 {
                s.push_str("\r\n");
            }
        }
        s
    }

    #[test]
    fn ordinary_messages_pass() {
        assert_eq!(
            check(b"Subject: x\r\n\r\nthis message is fine\r\n"),
            Ok(())
        );
        let one =
            "Content-Type: message/rfc822\r\n\r\nSubject: y\r\n\r\nhi\r\n";
        assert_eq!(check(one.as_bytes()), Ok(()));
    }

    #[test]
    fn names_are_found_in_any_case_anywhere() {
        let data = b"content-type: message/rfc822\n\
                     x cOnTeNt-TyPe: MESSAGE/x\n\
                     CONTENT-TYPE: text/plain; digest\n\
                     Content-Type: text/plain\n\
                     ontent-type: message/x\n\
                     t-ty: message\n";
        assert_eq!(containers(data), 3);
        assert_eq!(containers(b"t-type: message"), 0);
    }

    #[test]
    fn nesting_hidden_in_base64_is_counted() {
        let inner =
            "Content-Type: message/rfc822\r\n\r\n".repeat(MAX_CONTAINERS);
        let raw = format!(
            "Content-Type: message/rfc822\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            b64(inner.as_bytes())
        );
        assert_eq!(containers(raw.as_bytes()), 1);
        assert_eq!(check(raw.as_bytes()), Err(TooNested));
    }

    /// `width` attached messages in padded base64, three levels deep.
    fn encoded_tree(width: usize) -> String {
        let mut msg = "Subject: x\r\n\r\nhi\r\n".to_string();
        for level in 0..3 {
            let part = format!(
                "--b{level}\r\nContent-Type: message/rfc822\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n{}\r\n",
                b64(msg.as_bytes())
            );
            msg = format!(
                "Content-Type: multipart/mixed; boundary=b{level}\r\n\r\n\
                 {}--b{level}--\r\n",
                part.repeat(width)
            );
        }
        msg
    }

    #[test]
    fn padded_base64_is_not_counted_twice_per_level() {
        // Read as written and as quoted-printable (which padding changes),
        // 7 x 7 x 7 messages once counted 7 + 2 x 49 + 4 x 343 = 1477.
        let tree = encoded_tree(7);
        assert!(tree.contains("=\r\n"));
        let mut total = 0;
        assert!(count(tree.as_bytes(), 0, &mut total));
        assert_eq!(total, 7 + 49 + 343);
        assert_eq!(check(tree.as_bytes()), Ok(()));
        assert_eq!(check(encoded_tree(9).as_bytes()), Err(TooNested));
    }

    #[test]
    fn nesting_hidden_in_quoted_printable_is_counted() {
        let inner =
            "Content-Type: =6Dessage/rfc822\r\n\r\n".repeat(MAX_CONTAINERS);
        let raw = format!("Content-Type: message/rfc822\r\n\r\n{inner}");
        assert_eq!(check(raw.as_bytes()), Err(TooNested));
    }

    #[test]
    fn folded_values_and_runs() {
        let data =
            b"Content-Type:\r\n multipart/digest; x\r\nSubject: message\r\n";
        assert_eq!(containers(data), 1);
        assert_eq!(
            containers(b"Content-Type: text/plain\r\nSubject: message\r\n"),
            0
        );
        let runs = base64_runs(
            b"head: x\r\n\r\nQUJDREVGR0hJSktMTU5PUFFS\r\nU1RVVldY\r\n--b\r\n",
        );
        assert_eq!(runs, [&b"QUJDREVGR0hJSktMTU5PUFFS\r\nU1RVVldY\r\n"[..]]);
    }
}
