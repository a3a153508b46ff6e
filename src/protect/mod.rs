//! Protection of one message: redact, truncate where a policy asks, seal.
//!
//! [`protect`] scans a message once, classifies it, and writes the
//! protected copy in one pass over each field: untouched bytes are copied,
//! each finding is replaced by its detector's [`Operator`], and the body is
//! sealed (AES-256-GCM envelope or Fernet token) when the level's policy
//! requires encryption. A public body stays clear.
//!
//! Under single-pass packs (the `default` pack) findings are disjoint
//! before any rewrite (see [`crate::scan`]), the subject is redacted like
//! the body, and address headers are kept. Under the `seed` pack the body
//! is rewritten as the guide's `sanitize_content` does: type by type, only
//! at levels confidential and restricted, then truncated to the pack's
//! limit in code points ([`sequential`]).
//!
//! A message's body is its body fields joined by a blank line.

mod sequential;

use std::fmt;

use crate::classify::{Classification, classify};
use crate::crypto::{CryptoError, KeySet, TokenKey, aead, fernet};
use crate::engine::Engine;
use crate::rules::{FieldRole, Level, MaskStyle, Operator, RedactionMode};
use crate::scan::{Field, Finding, Scan};

/// How a protected body is sealed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cipher {
    /// AES-256-GCM envelope (`ms1:...`), the default.
    Aes256Gcm,
    /// Fernet token, readable by Python's `cryptography.fernet`.
    Fernet,
    /// No sealing: the redacted body in clear, for review and tests.
    None,
}

/// Options of [`protect`].
#[derive(Clone, Copy, Debug)]
pub struct Options<'a> {
    /// The cipher.
    pub cipher: Cipher,
    /// Keys for sealing and for the `token` operator.
    pub keys: Option<&'a KeySet>,
    /// Bound to the envelope as associated data.
    pub message_id: &'a [u8],
    /// Protect as at this level instead of the message's own: what is
    /// redacted, where the body is cut and whether it is sealed follow
    /// this level's policy (the guide's `sanitize_content(content,
    /// classification)`). The classification reported is still the
    /// message's own.
    pub level: Option<Level>,
}

/// A protected message.
#[derive(Debug)]
pub struct Protected {
    /// What the scan found.
    pub scan: Scan,
    /// The message's level and why.
    pub classification: Classification,
    /// The redacted (and, where the policy says, truncated) body.
    pub body: Vec<u8>,
    /// The sealed body, when the level requires encryption and a cipher
    /// other than [`Cipher::None`] was asked for.
    pub sealed: Option<String>,
    /// The redacted subject, when the pack scans subjects.
    pub subject: Option<Vec<u8>>,
    /// What was done, in the guide's wording.
    pub log: Vec<String>,
}

/// An error protecting a message. It names the cause, never a value.
#[derive(Debug)]
pub struct ProtectError {
    kind: ErrorKind,
}

#[derive(Debug)]
enum ErrorKind {
    NoKey(&'static str),
    Crypto(CryptoError),
}

impl fmt::Display for ProtectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::NoKey(why) => write!(f, "no key given: {why}"),
            ErrorKind::Crypto(e) => write!(f, "cannot seal: {e}"),
        }
    }
}

impl std::error::Error for ProtectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::Crypto(e) => Some(e),
            ErrorKind::NoKey(_) => None,
        }
    }
}

/// Scans, classifies and protects one message.
///
/// # Errors
///
/// When sealing is needed (or a detector uses the `token` operator) and
/// no key set was given, or sealing fails (a Fernet cipher with a key set
/// whose primary key is not a Fernet key, a failing random generator).
pub fn protect(
    engine: &Engine,
    fields: &[Field<'_>],
    opts: &Options<'_>,
) -> Result<Protected, ProtectError> {
    let scan = engine.scan_fields(fields);
    let classification = classify(engine, fields, &scan);
    let level = opts.level.unwrap_or(classification.level);
    let pack = engine.pack();
    // The pseudonym key only when some detector asks for tokens.
    let wants_token =
        pack.detectors.iter().any(|d| d.operator == Operator::Token);
    let token = opts.keys.filter(|_| wants_token).map(KeySet::token_key);
    let mut log = Vec::new();

    // Body fields, redacted one by one, joined by a blank line.
    let mut body = Vec::new();
    let mut first = true;
    for (i, field) in fields.iter().enumerate() {
        if field.role != FieldRole::Body {
            continue;
        }
        if !first {
            body.extend_from_slice(b"\n\n");
        }
        first = false;
        let text: &[u8] = &field.text;
        match pack.redaction.mode {
            RedactionMode::Sequential => {
                let sanitize =
                    matches!(level, Level::Confidential | Level::Restricted);
                if sanitize {
                    let mut scratch = engine.scratch();
                    let out = sequential::rewrite(
                        engine.inner(),
                        &mut scratch,
                        text,
                        &mut log,
                    );
                    body.extend_from_slice(&out);
                } else {
                    body.extend_from_slice(text);
                }
            }
            RedactionMode::SinglePass => {
                let found = field_findings(&scan, i);
                redact(engine, text, found, token.as_ref(), &mut body)?;
            }
        }
    }
    if pack.redaction.mode == RedactionMode::SinglePass {
        log.extend(single_pass_log(engine, &scan, fields));
    }
    if let Some(t) = &pack.redaction.truncate {
        let limit =
            if level == Level::Restricted { t.restricted } else { t.other };
        if truncate(&mut body, limit, t.marker.as_bytes()) {
            log.push(format!("Content truncated to {limit} characters"));
        }
    }

    // The subject, redacted like the body where the pack scans it.
    let mut subject = None;
    if let Some((i, f)) =
        fields.iter().enumerate().find(|(_, f)| f.role == FieldRole::Subject)
    {
        if pack.scans(FieldRole::Subject)
            && pack.redaction.mode == RedactionMode::SinglePass
        {
            let mut out = Vec::new();
            redact(
                engine,
                &f.text,
                field_findings(&scan, i),
                token.as_ref(),
                &mut out,
            )?;
            subject = Some(out);
        }
    }

    // Seal.
    let needs_seal =
        pack.policy(level).encryption_required && opts.cipher != Cipher::None;
    let sealed = if needs_seal {
        let keys = opts.keys.ok_or(ProtectError {
            kind: ErrorKind::NoKey("the level requires encryption"),
        })?;
        let crypto = |e| ProtectError { kind: ErrorKind::Crypto(e) };
        Some(match opts.cipher {
            Cipher::Fernet => {
                fernet::encrypt_with_keys(keys, &body).map_err(crypto)?
            }
            _ => aead::seal(keys, opts.message_id, &body).map_err(crypto)?,
        })
    } else {
        None
    };
    Ok(Protected { scan, classification, body, sealed, subject, log })
}

/// The findings of one field: a slice, since findings are sorted by field.
fn field_findings(scan: &Scan, field: usize) -> &[Finding] {
    let from = scan.findings.partition_point(|f| f.field < field);
    let to = scan.findings.partition_point(|f| f.field <= field);
    &scan.findings[from..to]
}

/// `Replaced N TYPE instances` for each type, in detector order.
fn single_pass_log(
    engine: &Engine,
    scan: &Scan,
    fields: &[Field<'_>],
) -> Vec<String> {
    let pack = engine.pack();
    engine
        .entity_order()
        .iter()
        .filter_map(|&e| {
            let n = scan
                .findings
                .iter()
                .filter(|f| {
                    f.entity == e
                        && matches!(
                            fields[f.field].role,
                            FieldRole::Body | FieldRole::Subject
                        )
                })
                .filter(|f| {
                    pack.detectors[f.detector].operator != Operator::Keep
                })
                .count();
            (n > 0).then(|| {
                format!("Replaced {n} {} instances", pack.entities[e].name)
            })
        })
        .collect()
}

/// Cuts `body` to `limit` code points and appends `marker`; returns whether
/// it cut. Bytes that are not valid UTF-8 count one each.
fn truncate(body: &mut Vec<u8>, limit: usize, marker: &[u8]) -> bool {
    let mut chars = 0;
    let mut i = 0;
    while i < body.len() {
        if chars == limit {
            body.truncate(i);
            body.extend_from_slice(marker);
            return true;
        }
        i += crate::engine::python::decode(body, i).1;
        chars += 1;
    }
    false
}

/// Writes `text` with `findings` (disjoint, sorted, of this field)
/// replaced by their operators, appending to `out`.
///
/// # Errors
///
/// When a finding's operator is `token` and no key was given.
pub fn redact(
    engine: &Engine,
    text: &[u8],
    findings: &[Finding],
    token: Option<&TokenKey>,
    out: &mut Vec<u8>,
) -> Result<(), ProtectError> {
    let pack = engine.pack();
    out.reserve(text.len());
    let mut copied = 0;
    for f in findings {
        if f.span.start < copied {
            continue;
        }
        out.extend_from_slice(&text[copied..f.span.start]);
        let value = &text[f.span.start..f.span.end];
        let entity = &pack.entities[f.entity];
        match pack.detectors[f.detector].operator {
            Operator::Placeholder => {
                out.push(b'[');
                out.extend_from_slice(entity.name.as_bytes());
                out.extend_from_slice(b"_REDACTED]");
            }
            Operator::Mask => {
                out.extend_from_slice(mask(entity.mask, value).as_bytes())
            }
            Operator::Token => {
                let key = token.ok_or(ProtectError {
                    kind: ErrorKind::NoKey("the token operator needs a key"),
                })?;
                let id = key.pseudonym(
                    &entity.name,
                    &crate::engine::normalize_value(value),
                );
                out.extend_from_slice(format!("[{}:", entity.name).as_bytes());
                for b in id {
                    out.extend_from_slice(format!("{b:02x}").as_bytes());
                }
                out.push(b']');
            }
            Operator::Drop => {}
            Operator::Keep => out.extend_from_slice(value),
        }
        copied = f.span.end;
    }
    out.extend_from_slice(&text[copied..]);
    Ok(())
}

/// `text` with `findings` (disjoint, sorted) replaced by their operators,
/// without a key: for text written outside a protected record (audit
/// details, exports). When a finding's operator is `token`, which needs
/// a key, the whole text is withheld as `[REDACTED]` rather than kept in
/// clear.
pub fn redact_keyless(
    engine: &Engine,
    text: &[u8],
    findings: &[Finding],
) -> Vec<u8> {
    let mut out = Vec::new();
    match redact(engine, text, findings, None, &mut out) {
        Ok(()) => out,
        Err(_) => b"[REDACTED]".to_vec(),
    }
}

/// The masked form of a value: `***` and at most the last four digits,
/// `***@domain` for an address, or `***` alone. The length of the value is
/// never shown.
pub fn mask(style: MaskStyle, value: &[u8]) -> String {
    let mut out = String::new();
    mask_into(style, value, &mut out);
    out
}

/// [`mask`], appended to `out`: for writers that mask many values
/// without a string for each.
pub fn mask_into(style: MaskStyle, value: &[u8], out: &mut String) {
    out.push_str("***");
    match style {
        MaskStyle::LastFour => {
            let digits = value.iter().copied().filter(u8::is_ascii_digit);
            if digits.clone().count() >= 8 {
                // The last four, in their order.
                let mut tail = [0u8; 4];
                for (slot, b) in tail.iter_mut().rev().zip(digits.rev()) {
                    *slot = b;
                }
                out.extend(tail.map(char::from));
            }
        }
        MaskStyle::Email => {
            if let Some(at) = value.iter().rposition(|&b| b == b'@') {
                out.push('@');
                out.push_str(&String::from_utf8_lossy(&value[at + 1..]));
            }
        }
        MaskStyle::Full => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::FieldRole;

    #[test]
    fn masks_show_at_most_four_digits() {
        assert_eq!(
            mask(MaskStyle::LastFour, b"4111-1111-1111-1111"),
            "***1111"
        );
        assert_eq!(mask(MaskStyle::LastFour, b"536-90-1234"), "***1234");
        assert_eq!(
            mask(MaskStyle::LastFour, b"6250941234567890126"),
            "***0126"
        );
        assert_eq!(
            mask(MaskStyle::Email, b"ana@example.com"),
            "***@example.com"
        );
        assert_eq!(mask(MaskStyle::Full, b"10.0.0.1"), "***");
        assert_eq!(mask(MaskStyle::LastFour, b"555-0134"), "***");
        assert_eq!(mask(MaskStyle::LastFour, b"12 34 56 78"), "***5678");
        assert_eq!(mask(MaskStyle::Email, b"not an address"), "***");
    }

    /// The masks as first written, with a string for each step: the
    /// oracle of [`mask_into`].
    fn mask_by_steps(style: MaskStyle, value: &[u8]) -> String {
        match style {
            MaskStyle::LastFour => {
                let digits: Vec<u8> =
                    value.iter().copied().filter(u8::is_ascii_digit).collect();
                if digits.len() >= 8 {
                    let tail = &digits[digits.len() - 4..];
                    format!("***{}", String::from_utf8_lossy(tail))
                } else {
                    "***".to_string()
                }
            }
            MaskStyle::Email => match value.iter().rposition(|&b| b == b'@') {
                Some(at) => format!(
                    "***@{}",
                    String::from_utf8_lossy(&value[at + 1..])
                ),
                None => "***".to_string(),
            },
            MaskStyle::Full => "***".to_string(),
        }
    }

    proptest::proptest! {
        #[test]
        fn masks_equal_the_masks_made_step_by_step(
            value in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::num::u8::ANY,
                    b'0'..=b'9',
                    proptest::strategy::Just(b'@'),
                ],
                0..40,
            ),
        ) {
            let styles =
                [MaskStyle::LastFour, MaskStyle::Email, MaskStyle::Full];
            for style in styles {
                let mut out = String::from("kept ");
                mask_into(style, &value, &mut out);
                let want = format!("kept {}", mask_by_steps(style, &value));
                proptest::prop_assert_eq!(out, want);
            }
        }
    }

    fn example_engine() -> Engine {
        let text = include_str!("../../examples/custom-pack.toml");
        let pack =
            crate::rules::Pack::from_toml("custom-pack.toml", text).unwrap();
        Engine::new(pack).unwrap()
    }

    fn protected(
        engine: &Engine,
        text: &str,
        keys: Option<&KeySet>,
    ) -> String {
        let fields = [Field::new("body", FieldRole::Body, text.as_bytes())];
        let opts = Options {
            cipher: Cipher::None,
            keys,
            message_id: b"m1",
            level: None,
        };
        String::from_utf8(protect(engine, &fields, &opts).unwrap().body)
            .unwrap()
    }

    #[test]
    fn operators_of_the_example_pack() {
        let engine = example_engine();
        let keys = KeySet::generate().unwrap();
        // mask: at most the last four digits; token: a keyed pseudonym
        // that is the same for the same value.
        let out = protected(
            &engine,
            "card 4111 1111 1111 1111, EMP-123456 and EMP-123456",
            Some(&keys),
        );
        let want_prefix = "card ***1111, [EMPLOYEE_ID:";
        assert!(out.starts_with(want_prefix), "{out}");
        let tokens: Vec<&str> =
            out.split("[EMPLOYEE_ID:").skip(1).map(|t| &t[..8]).collect();
        assert_eq!(tokens.len(), 2);
        assert_eq!(tokens[0], tokens[1]);
        assert!(tokens[0].bytes().all(|b| b.is_ascii_hexdigit()));
        // Another key, another pseudonym.
        let other = protected(
            &engine,
            "EMP-123456",
            Some(&KeySet::generate().unwrap()),
        );
        assert!(!other.contains(tokens[0]));
        // The token operator needs a key.
        let fields =
            [Field::new("body", FieldRole::Body, b"EMP-123456".as_slice())];
        let opts = Options {
            cipher: Cipher::None,
            keys: None,
            message_id: b"",
            level: None,
        };
        let e = protect(&engine, &fields, &opts).unwrap_err();
        assert_eq!(
            e.to_string(),
            "no key given: the token operator needs a key"
        );
        // The allow-listed number is not a finding.
        assert_eq!(
            protected(&engine, "call +1 415 555 0100", None),
            "call +1 415 555 0100"
        );
    }

    #[test]
    fn drop_and_keep() {
        let pack = crate::rules::Pack::from_toml(
            "t.toml",
            r#"
            [pack]
            name = "t"
            extends = "default"
            [[detector]]
            id = "email"
            entity = "EMAIL"
            pattern = '[a-z]+@example\.com'
            operator = "drop"
            [[detector]]
            id = "ipv4"
            entity = "IP_ADDRESS"
            pattern = '(?-u:\b)[0-9]{1,3}(?:\.[0-9]{1,3}){3}(?-u:\b)'
            validator = "ipv4"
            operator = "keep"
            "#,
        )
        .unwrap();
        let engine = Engine::new(pack).unwrap();
        assert_eq!(
            protected(&engine, "to ana@example.com from 192.0.2.7", None),
            "to  from 192.0.2.7"
        );
    }

    #[test]
    fn truncation_counts_code_points() {
        let mut b = "héllo".as_bytes().to_vec();
        assert!(truncate(&mut b, 2, b"[T]"));
        assert_eq!(b, "hé[T]".as_bytes());
        let mut b = b"abc".to_vec();
        assert!(!truncate(&mut b, 3, b"[T]"));
    }
}
