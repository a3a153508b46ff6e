//! Keyword lists compiled into byte variants for the candidate scan.
//!
//! A keyword is found by its first two bytes in the candidate scan and
//! confirmed by comparing the rest, ASCII letters folded. For the guide's
//! test, a keyword in Python's `str.lower()` of the text, the variants also
//! spell each letter with every non-ASCII character whose lower case is
//! that letter (the Kelvin sign for `k`), so no lower-cased copy of the
//! text is ever made.
//!
//! Limitation: a text character whose lower case is several characters
//! (`İ` lowers to `i` and a combining dot) can only match at a keyword's
//! first or last position, where Python can see the same.

use crate::rules::{KeywordList, KeywordMode};

use super::python::tables::STR_LOWER;
use super::trigger::fold;

/// At most this many spellings are made of one keyword.
const MAX_VARIANTS: usize = 64;

/// One spelling of one keyword.
#[derive(Clone, Debug)]
pub(crate) struct Variant {
    /// Index of the keyword in its list.
    pub word: usize,
    /// The bytes, ASCII letters folded to lower case.
    pub bytes: Vec<u8>,
}

/// A compiled keyword list.
#[derive(Clone, Debug)]
pub(crate) struct Keywords {
    pub mode: KeywordMode,
    pub variants: Vec<Variant>,
}

impl Keywords {
    /// Compiles a list.
    ///
    /// # Errors
    ///
    /// When a keyword is shorter than two bytes.
    pub(crate) fn new(list: &KeywordList) -> Result<Keywords, String> {
        let mut variants = Vec::new();
        for (word, w) in list.words.iter().enumerate() {
            if w.len() < 2 {
                return Err(format!("keyword `{w}` is shorter than 2 bytes"));
            }
            let spellings = match list.mode {
                KeywordMode::PythonLower => python_spellings(w),
                KeywordMode::Word | KeywordMode::Substring => {
                    vec![w.as_bytes().to_vec()]
                }
            };
            for s in spellings {
                let bytes = s.iter().map(|&b| fold(b)).collect();
                variants.push(Variant { word, bytes });
            }
        }
        Ok(Keywords { mode: list.mode, variants })
    }
}

/// Every spelling of `word` that Python's `str.lower()` turns into it.
fn python_spellings(word: &str) -> Vec<Vec<u8>> {
    let chars: Vec<char> = word.chars().collect();
    let mut out: Vec<Vec<u8>> = vec![Vec::new()];
    for (j, &c) in chars.iter().enumerate() {
        let first = j == 0;
        let last = j + 1 == chars.len();
        let mut alts = vec![c.to_string()];
        for &(cp, lower) in STR_LOWER {
            let Some(x) = char::from_u32(cp) else { continue };
            if x.is_ascii() {
                continue;
            }
            let mut it = lower.chars();
            let exact = it.next() == Some(c) && it.next().is_none();
            let starts = last && lower.starts_with(c);
            let ends = first && lower.ends_with(c);
            if exact || starts || ends {
                alts.push(x.to_string());
            }
        }
        let mut next = Vec::new();
        for prefix in &out {
            for a in &alts {
                if next.len() < MAX_VARIANTS {
                    let mut v = prefix.clone();
                    v.extend_from_slice(a.as_bytes());
                    next.push(v);
                }
            }
        }
        out = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_spellings_add_the_kelvin_sign() {
        let v = python_spellings("private key");
        assert!(v.contains(&b"private key".to_vec()));
        assert!(v.contains(&"private \u{212A}ey".as_bytes().to_vec()));
        assert_eq!(v.len(), 2);
        assert_eq!(python_spellings("salary").len(), 1);
    }
}
