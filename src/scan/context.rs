//! Scores from context: words near a match, and digit-run isolation.

use crate::rules::Context;

/// The score change the words before `start` make.
///
/// The window is the `ctx.window` bytes before the match, cut at the last
/// line break. The context word nearest to the match decides: a `raise`
/// word adds `raise_by`, a `lower` word subtracts `lower_by`. Words match
/// whole, ASCII case-insensitively. Cost: linear in the window times the
/// number of words.
pub(crate) fn adjust(ctx: &Context, text: &[u8], start: usize) -> f32 {
    if ctx.raise.is_empty() && ctx.lower.is_empty() {
        return 0.0;
    }
    let lo = start.saturating_sub(ctx.window);
    let mut window = &text[lo..start];
    if let Some(nl) = window.iter().rposition(|&b| b == b'\n') {
        window = &window[nl + 1..];
    }
    let raise = nearest(&ctx.raise, window);
    let lower = nearest(&ctx.lower, window);
    match (raise, lower) {
        (Some(r), Some(l)) if r < l => ctx.raise_by,
        (Some(_), None) => ctx.raise_by,
        (_, Some(_)) => -ctx.lower_by,
        (None, None) => 0.0,
    }
}

/// The distance from the end of `window` to the end of the nearest whole
/// occurrence of any of `words`.
fn nearest(words: &[String], window: &[u8]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for w in words {
        let w = w.as_bytes();
        if w.len() > window.len() {
            continue;
        }
        for at in (0..=window.len() - w.len()).rev() {
            let end = at + w.len();
            if best.is_some_and(|b| window.len() - end >= b) {
                break;
            }
            let hit = window[at..end].eq_ignore_ascii_case(w)
                && (at == 0 || !window[at - 1].is_ascii_alphanumeric())
                && (end == window.len() || !window[end].is_ascii_alphanumeric());
            if hit {
                best = Some(window.len() - end);
                break;
            }
        }
    }
    best
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

    fn ctx() -> Context {
        Context {
            window: 32,
            raise: vec!["card".into(), "cc".into()],
            lower: vec!["tracking".into()],
            raise_by: 0.3,
            lower_by: 0.6,
        }
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
