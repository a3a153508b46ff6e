//! Scores from context: words near a match, and digit-run isolation.

use crate::engine::{ContextWords, is_word_byte, word_key};

/// At most this many words before a match are read.
const MAX_WORDS: usize = 16;

/// The score change the words before `start` make.
///
/// The window is the `ctx.window` bytes before the match, cut at the last
/// line break, split into words (runs of ASCII letters, digits and
/// non-ASCII characters; a colon is a word of its own). The
/// context entry nearest to the match decides: a `raise` entry adds
/// `raise_by`, a `lower` entry subtracts `lower_by`. Entries of several
/// words match consecutive words. Words compare ASCII case-insensitively.
/// Cost: linear in the window.
pub(crate) fn adjust(ctx: &ContextWords, text: &[u8], start: usize) -> f32 {
    if ctx.is_empty() {
        return 0.0;
    }
    let mut lo = start.saturating_sub(ctx.window);
    // A word the window cuts is not a word of the context.
    while lo > 0
        && lo < start
        && is_word_byte(text[lo - 1])
        && is_word_byte(text[lo])
    {
        lo += 1;
    }
    let mut window = &text[lo..start];
    if let Some(nl) = window.iter().rposition(|&b| b == b'\n') {
        window = &window[nl + 1..];
    }
    // Words from the nearest back, as spans of `window`.
    let mut words: [(usize, usize); MAX_WORDS] = [(0, 0); MAX_WORDS];
    let mut n = 0;
    let mut end = window.len();
    while n < MAX_WORDS {
        while end > 0
            && !is_word_byte(window[end - 1])
            && window[end - 1] != b':'
        {
            end -= 1;
        }
        if end == 0 {
            break;
        }
        let mut begin = end - 1;
        if window[begin] != b':' {
            while begin > 0 && is_word_byte(window[begin - 1]) {
                begin -= 1;
            }
        }
        words[n] = (begin, end);
        n += 1;
        end = begin;
    }
    let word = |k: usize| &window[words[k].0..words[k].1];
    // Whether `entry` ends at word `k` (counting from the nearest).
    let ends_at = |entry: &[Vec<u8>], k: usize| {
        entry.len() <= n - k
            && entry
                .iter()
                .rev()
                .enumerate()
                .all(|(j, w)| word(k + j).eq_ignore_ascii_case(w))
    };
    for k in 0..n {
        let w = word(k);
        if ctx.shapes[usize::from(w[0].to_ascii_lowercase())]
            >> w.len().min(31)
            & 1
            == 0
        {
            continue;
        }
        let key = word_key(w);
        let from = ctx.index.partition_point(|e| e.0 < key);
        let mut hit = None;
        for &(ek, i, raises) in &ctx.index[from..] {
            if ek != key {
                break;
            }
            let list = if raises { &ctx.raise } else { &ctx.lower };
            if ends_at(&list[usize::from(i)], k) {
                // A raise entry wins a tie at the same word.
                hit = Some(raises || hit == Some(true));
            }
        }
        match hit {
            Some(true) => return ctx.raise_by,
            Some(false) => return -ctx.lower_by,
            None => {}
        }
    }
    0.0
}

/// Whether a raise word could stand before some match inside
/// `text[start..end]`: any raise entry in the window before `start`
/// through `end`. A detector that cannot reach the threshold without a
/// raise skips a run where this is false. Cost: linear in the window and
/// the run.
pub(crate) fn raise_near(
    ctx: &ContextWords,
    text: &[u8],
    start: usize,
    end: usize,
) -> bool {
    if ctx.raise.is_empty() {
        return false;
    }
    let mut lo = start.saturating_sub(ctx.window);
    if let Some(nl) = text[lo..start].iter().rposition(|&b| b == b'\n') {
        lo += nl + 1;
    }
    // Words left to right; an entry matches when its words are the last
    // ones read.
    let slice = &text[lo..end];
    let mut last: [(usize, usize); 4] = [(0, 0); 4];
    let mut n = 0usize;
    let mut i = 0;
    while i < slice.len() {
        let b = slice[i];
        let (from, to) = if b == b':' {
            (i, i + 1)
        } else if is_word_byte(b) {
            let from = i;
            while i < slice.len() && is_word_byte(slice[i]) {
                i += 1;
            }
            (from, i)
        } else {
            i += 1;
            continue;
        };
        i = i.max(to);
        last.rotate_right(1);
        last[0] = (from, to);
        n += 1;
        let w = &slice[from..to];
        if ctx.shapes[usize::from(w[0].to_ascii_lowercase())]
            >> w.len().min(31)
            & 1
            == 0
        {
            continue;
        }
        let hit = ctx.raise.iter().any(|entry| {
            entry.len() <= n.min(4)
                && entry.iter().rev().enumerate().all(|(j, e)| {
                    slice[last[j].0..last[j].1].eq_ignore_ascii_case(e)
                })
        });
        if hit {
            return true;
        }
    }
    false
}

/// Whether `text[start..end]` stands alone: no letter or digit touches it,
/// and it does not continue a number through `-`, `.` or `:`.
pub(crate) fn isolated(text: &[u8], start: usize, end: usize) -> bool {
    let sep = |b: u8| matches!(b, b'-' | b'.' | b':');
    if start > 0 {
        let b = text[start - 1];
        if b.is_ascii_alphanumeric()
            || (sep(b) && start >= 2 && text[start - 2].is_ascii_digit())
        {
            return false;
        }
    }
    if end < text.len() {
        let b = text[end];
        if b.is_ascii_alphanumeric()
            || (sep(b) && text.get(end + 1).is_some_and(u8::is_ascii_digit))
        {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> ContextWords {
        ContextWords::new(&crate::rules::Context {
            window: 32,
            raise: vec!["card".into(), "social security".into()],
            lower: vec!["tracking".into()],
            raise_by: 0.3,
            lower_by: 0.6,
        })
    }

    #[test]
    fn nearest_word_decides() {
        let t = b"tracking of card 4111";
        assert_eq!(adjust(&ctx(), t, 17), 0.3);
        let t = b"card tracking number 4111";
        assert_eq!(adjust(&ctx(), t, 21), -0.6);
        // Whole words only, and not across a line break.
        let t = b"discard 4111";
        assert_eq!(adjust(&ctx(), t, 8), 0.0);
        let t = b"card\n4111";
        assert_eq!(adjust(&ctx(), t, 5), 0.0);
        let t = b"Social  Security: 4111";
        assert_eq!(adjust(&ctx(), t, 18), 0.3);
        // A word cut by the window's start does not count: "discard" is
        // not "card" even when the window starts inside it.
        let t = format!("dis{}card {}", "", "x".repeat(0));
        let t = format!("{t}{}4111", " ".repeat(26));
        assert_eq!(adjust(&ctx(), t.as_bytes(), t.len() - 4), 0.0);
    }

    #[test]
    fn isolation() {
        let t = b"x 123-45-6789 y";
        assert!(isolated(t, 2, 13));
        assert!(!isolated(b"1-123-45-6789", 2, 13));
        assert!(!isolated(b"a123", 1, 4));
        assert!(!isolated(b"1.2.3.4.5", 0, 7));
        assert!(isolated(b"1.2.3.4.", 0, 7));
    }
}
