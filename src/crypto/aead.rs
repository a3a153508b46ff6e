//! `ms1` envelopes: AES-256-GCM through `ring`, as text.
//!
//! An envelope is one line of ASCII:
//!
//! ```text
//! ms1:<key id>:<payload>
//! ```
//!
//! - `ms1` is the format version. A Fernet token (which starts `gAAAAA`) or
//!   any other text is refused by this prefix before anything is decoded.
//! - `<key id>` names the key of the [`KeySet`] that sealed it (1 to 64 of
//!   `A-Z a-z 0-9 _ -`), so that after a rotation old envelopes still find
//!   their key.
//! - `<payload>` is urlsafe base64 without padding of
//!   `nonce (12 bytes) || ciphertext || tag (16 bytes)`; the ciphertext is
//!   as long as the plaintext.
//!
//! The associated data binds the version, the key id and the caller's
//! message id:
//!
//! ```text
//! b"mailshield/ms1\0" || key id || b"\0" || message id
//! ```
//!
//! so an envelope moved to another message, or relabelled with another key
//! id, does not open. The message id is not stored in the envelope: the
//! caller supplies the same one to [`seal`] and [`open`] (the protect layer
//! uses the message's id).
//!
//! The key is the primary key of the set: an AES-256-GCM key's material,
//! or for a Fernet key its HKDF-SHA256 subkey (info `mailshield aes-256-gcm
//! v1`). Each seal draws a fresh 96-bit nonce from the system generator; a
//! generator failure is an error, never a fallback.
//!
//! # Limitations
//!
//! - Nonces are random. Keep a key to well under 2^32 seals (the NIST SP
//!   800-38D bound for random nonces); nothing counts seals across runs.
//! - Whole bodies only: no streaming. Envelopes longer than
//!   [`MAX_ENVELOPE_LEN`] are refused before decoding, and [`seal`] refuses
//!   a plaintext whose envelope would be longer.
//! - GCM hides the plaintext, not its length.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::aead::{Aad, NONCE_LEN, Nonce};
use ring::rand::SystemRandom;
use zeroize::Zeroize;

use crate::crypto::keyset::{KeySet, MAX_KEY_ID_LEN, is_valid_key_id};
use crate::crypto::{CryptoError, Random};

/// The longest envelope [`open`] accepts (and [`seal`] makes): 1 GiB.
pub const MAX_ENVELOPE_LEN: usize = 1 << 30;

/// The version prefix of every envelope.
const PREFIX: &[u8] = b"ms1:";

/// The start of the associated data.
const AAD_PREFIX: &[u8] = b"mailshield/ms1\0";

/// The length of the GCM tag.
const TAG_LEN: usize = 16;

/// Seals `plaintext` under the primary key of `keys`, bound to
/// `message_id`, as an `ms1` envelope.
///
/// Linear in the length of the plaintext.
///
/// # Errors
///
/// - `Random` if the system random number generator fails;
/// - `TooLarge` if the envelope would be longer than [`MAX_ENVELOPE_LEN`].
///
/// # Example
///
/// ```
/// use mailshield::crypto::{KeySet, aead};
///
/// let keys = KeySet::generate()?;
/// let id = b"<m1@example.com>";
/// let envelope = aead::seal(&keys, id, b"Dear Alice")?;
/// assert!(envelope.starts_with("ms1:"));
/// assert_eq!(aead::open(&keys, id, envelope.as_bytes())?, b"Dear Alice");
/// # Ok::<(), mailshield::crypto::CryptoError>(())
/// ```
pub fn seal(
    keys: &KeySet,
    message_id: &[u8],
    plaintext: &[u8],
) -> Result<String, CryptoError> {
    seal_with(keys, message_id, plaintext, &SystemRandom::new())
}

pub(crate) fn seal_with(
    keys: &KeySet,
    message_id: &[u8],
    plaintext: &[u8],
    rng: &dyn Random,
) -> Result<String, CryptoError> {
    let key = keys.primary();
    let len = envelope_len(key.id().len(), plaintext.len());
    if len > MAX_ENVELOPE_LEN {
        return Err(CryptoError::too_large(
            "plaintext",
            plaintext.len(),
            max_plaintext_len(key.id().len()),
        ));
    }

    // nonce || plaintext, then encrypt in place and append the tag.
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill(&mut nonce)?;
    let mut buf = Vec::with_capacity(NONCE_LEN + plaintext.len() + TAG_LEN);
    buf.extend_from_slice(&nonce);
    buf.extend_from_slice(plaintext);
    let aad = associated_data(key.id(), message_id);
    let tag = key
        .aead_key()
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(&aad),
            &mut buf[NONCE_LEN..],
        )
        .map_err(|_| {
            // ring refuses only inputs over GCM's 64 GiB limit, which the
            // size check above rules out.
            CryptoError::too_large("plaintext", plaintext.len(), len)
        })?;
    buf.extend_from_slice(tag.as_ref());

    let mut out = String::with_capacity(len);
    out.push_str("ms1:");
    out.push_str(key.id());
    out.push(':');
    URL_SAFE_NO_PAD.encode_string(&buf, &mut out);
    Ok(out)
}

/// Opens an `ms1` envelope sealed under any key of `keys` for
/// `message_id`, and returns the plaintext.
///
/// The key is found by the id in the envelope, so envelopes sealed before
/// a rotation open as long as the set still holds their key. Linear in the
/// length of the envelope.
///
/// # Errors
///
/// - `TooLarge` if the envelope is longer than [`MAX_ENVELOPE_LEN`]
///   (checked first, before anything is decoded);
/// - `InvalidEnvelope` if it does not start `ms1:` (a Fernet token, say),
///   its key id or payload is malformed or too short, or it does not
///   authenticate: wrong key, wrong message id, or any byte altered;
/// - `UnknownKey` if the set holds no key with the envelope's id.
pub fn open(
    keys: &KeySet,
    message_id: &[u8],
    envelope: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    if envelope.len() > MAX_ENVELOPE_LEN {
        return Err(CryptoError::too_large(
            "envelope",
            envelope.len(),
            MAX_ENVELOPE_LEN,
        ));
    }
    let (key_id, payload) = split(envelope)?;
    let key =
        keys.get(key_id).ok_or_else(|| CryptoError::unknown_key(key_id))?;

    // Decode, then open in place: ring moves the plaintext to the front.
    let mut buf = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| CryptoError::invalid_envelope("malformed payload"))?;
    if buf.len() < NONCE_LEN + TAG_LEN {
        return Err(CryptoError::invalid_envelope("payload too short"));
    }
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&buf[..NONCE_LEN]);
    let aad = associated_data(key_id, message_id);
    let opened = key.aead_key().open_within(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(&aad),
        &mut buf,
        NONCE_LEN..,
    );
    match opened {
        Ok(plaintext) => {
            let len = plaintext.len();
            buf.truncate(len);
            Ok(buf)
        }
        Err(_) => {
            // N.B. Unauthenticated bytes must not linger.
            buf.zeroize();
            Err(CryptoError::invalid_envelope(
                "did not authenticate (wrong key, wrong message id \
                 or altered)",
            ))
        }
    }
}

/// Whether `bytes` has the shape of an `ms1` envelope: the `ms1:` prefix, a
/// well-formed key id and a `:`.
///
/// A cheap syntactic test, to tell envelopes from clear text or Fernet
/// tokens; it proves nothing about the payload. It reads at most the first
/// 70 bytes, whatever the input's length.
pub fn is_envelope(bytes: &[u8]) -> bool {
    split_header(bytes).is_some()
}

/// Splits an envelope into its key id and payload.
fn split(envelope: &[u8]) -> Result<(&str, &[u8]), CryptoError> {
    if !envelope.starts_with(PREFIX) {
        return Err(CryptoError::invalid_envelope("not an ms1 envelope"));
    }
    split_header(envelope)
        .ok_or_else(|| CryptoError::invalid_envelope("malformed key id"))
}

fn split_header(envelope: &[u8]) -> Option<(&str, &[u8])> {
    let rest = envelope.strip_prefix(PREFIX)?;
    let window = &rest[..rest.len().min(MAX_KEY_ID_LEN + 1)];
    let colon = window.iter().position(|&b| b == b':')?;
    let id = std::str::from_utf8(&rest[..colon]).ok()?;
    is_valid_key_id(id).then(|| (id, &rest[colon + 1..]))
}

fn associated_data(key_id: &str, message_id: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(
        AAD_PREFIX.len() + key_id.len() + 1 + message_id.len(),
    );
    aad.extend_from_slice(AAD_PREFIX);
    aad.extend_from_slice(key_id.as_bytes());
    aad.push(0);
    aad.extend_from_slice(message_id);
    aad
}

/// The length of the envelope of a plaintext, saturating.
fn envelope_len(key_id_len: usize, plaintext_len: usize) -> usize {
    let raw = plaintext_len.saturating_add(NONCE_LEN + TAG_LEN);
    // base64 without padding: 4 characters per 3 bytes, rounded up.
    let encoded = (raw / 3).saturating_mul(4).saturating_add(match raw % 3 {
        0 => 0,
        r => r + 1,
    });
    encoded.saturating_add(PREFIX.len() + key_id_len + 1)
}

/// The longest plaintext whose envelope fits [`MAX_ENVELOPE_LEN`].
fn max_plaintext_len(key_id_len: usize) -> usize {
    let room = MAX_ENVELOPE_LEN - (PREFIX.len() + key_id_len + 1);
    (room / 4 * 3).saturating_sub(NONCE_LEN + TAG_LEN)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::crypto::CryptoErrorKind;
    use crate::crypto::fernet::{self, FernetKey};
    use crate::crypto::testing::{BrokenRandom, FixedRandom};

    const MID: &[u8] = b"<synthetic-1@example.com>";

    fn decode(envelope: &str) -> (String, Vec<u8>) {
        let (id, payload) = split(envelope.as_bytes()).unwrap();
        (id.to_string(), URL_SAFE_NO_PAD.decode(payload).unwrap())
    }

    fn encode(id: &str, payload: &[u8]) -> String {
        format!("ms1:{id}:{}", URL_SAFE_NO_PAD.encode(payload))
    }

    fn kind(r: Result<Vec<u8>, CryptoError>) -> CryptoErrorKind {
        r.unwrap_err().kind()
    }

    #[test]
    fn round_trips_many_sizes() {
        let keys = KeySet::generate().unwrap();
        for len in [0, 1, 15, 16, 17, 255, 4096, 70_000] {
            let plain: Vec<u8> =
                (0..len).map(|i| (i * 7 % 256) as u8).collect();
            let env = seal(&keys, MID, &plain).unwrap();
            assert_eq!(
                env.len(),
                envelope_len(keys.primary().id().len(), len)
            );
            assert!(is_envelope(env.as_bytes()));
            let (_, payload) = decode(&env);
            assert_eq!(payload.len(), NONCE_LEN + len + TAG_LEN);
            assert_eq!(open(&keys, MID, env.as_bytes()).unwrap(), plain);
        }
    }

    #[test]
    fn binds_the_associated_data_as_documented() {
        let keys = KeySet::generate().unwrap();
        let key = keys.primary();
        let env = seal(&keys, MID, b"aad check").unwrap();
        let (id, mut payload) = decode(&env);
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&payload[..NONCE_LEN]);
        let mut aad = b"mailshield/ms1\0".to_vec();
        aad.extend_from_slice(id.as_bytes());
        aad.push(0);
        aad.extend_from_slice(MID);
        let plain = key
            .aead_key()
            .open_within(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(&aad),
                &mut payload,
                NONCE_LEN..,
            )
            .unwrap();
        assert_eq!(plain, b"aad check");
    }

    #[test]
    fn fernet_primary_seals_with_its_subkey() {
        let text = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";
        let keys = KeySet::from_fernet_key(text).unwrap();
        let env = seal(&keys, MID, b"both ways").unwrap();
        let id = keys.primary().id();
        assert!(env.starts_with(&format!("ms1:{id}:")));
        assert_eq!(open(&keys, MID, env.as_bytes()).unwrap(), b"both ways");
    }

    #[test]
    fn every_flipped_byte_of_the_payload_is_refused() {
        let keys = KeySet::generate().unwrap();
        let env = seal(&keys, MID, b"tamper me, synthetic body").unwrap();
        let (id, payload) = decode(&env);
        for i in 0..payload.len() {
            for bit in [0x01u8, 0x80] {
                let mut bad = payload.clone();
                bad[i] ^= bit;
                let err = open(&keys, MID, encode(&id, &bad).as_bytes());
                assert_eq!(kind(err), CryptoErrorKind::InvalidEnvelope);
            }
        }
    }

    #[test]
    fn every_truncation_is_refused() {
        let keys = KeySet::generate().unwrap();
        let env = seal(&keys, MID, b"cut me").unwrap();
        let (id, payload) = decode(&env);
        for len in 0..payload.len() {
            let err =
                open(&keys, MID, encode(&id, &payload[..len]).as_bytes());
            assert_eq!(kind(err), CryptoErrorKind::InvalidEnvelope, "{len}");
        }
        // Cutting the text anywhere fails too, and never panics.
        for len in 0..env.len() {
            assert!(
                open(&keys, MID, &env.as_bytes()[..len]).is_err(),
                "{len}"
            );
        }
    }

    #[test]
    fn wrong_message_id_key_or_key_id_is_refused() {
        let mut keys = KeySet::generate().unwrap();
        let env = seal(&keys, MID, b"bound").unwrap();
        let err = open(&keys, b"<synthetic-2@example.com>", env.as_bytes());
        assert_eq!(kind(err), CryptoErrorKind::InvalidEnvelope);
        let err = open(&keys, b"", env.as_bytes());
        assert_eq!(kind(err), CryptoErrorKind::InvalidEnvelope);

        // Another set's key under the same id does not open it.
        let other = KeySet::generate().unwrap();
        let (id, payload) = decode(&env);
        let relabelled = encode(other.primary().id(), &payload);
        let err = open(&other, MID, relabelled.as_bytes());
        assert_eq!(kind(err), CryptoErrorKind::InvalidEnvelope);

        // A second key of the same set, named in the envelope, fails the
        // associated data and the key.
        let new_id = keys.rotate().unwrap().id().to_string();
        let err = open(&keys, MID, encode(&new_id, &payload).as_bytes());
        assert_eq!(kind(err), CryptoErrorKind::InvalidEnvelope);
        assert_eq!(
            open(&keys, MID, encode(&id, &payload).as_bytes()).unwrap(),
            b"bound"
        );

        // An id the set does not hold.
        let err = open(&keys, MID, encode("kunknown", &payload).as_bytes());
        let err = err.unwrap_err();
        assert_eq!(err.kind(), CryptoErrorKind::UnknownKey);
        assert_eq!(err.to_string(), "unknown key id kunknown");
    }

    #[test]
    fn malformed_envelopes_are_refused_without_panic() {
        let keys = KeySet::generate().unwrap();
        let id = keys.primary().id().to_string();
        let long_id = "x".repeat(65);
        let cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"ms1".to_vec(),
            b"ms1:".to_vec(),
            b"ms1::AAAA".to_vec(),
            b"ms2:k1:AAAA".to_vec(),
            b"MS1:k1:AAAA".to_vec(),
            format!("ms1:{long_id}:AAAA").into_bytes(),
            format!("ms1:{id}").into_bytes(),
            format!("ms1:{id}:").into_bytes(),
            format!("ms1:{id}:!!!!").into_bytes(),
            format!("ms1:{id}:AAAA=").into_bytes(),
            format!("ms1:{id}:{}\n", "A".repeat(40)).into_bytes(),
            b"ms1:k\xff:AAAA".to_vec(),
            b"ms1:a b:AAAA".to_vec(),
        ];
        for case in &cases {
            let err = open(&keys, MID, case).unwrap_err();
            assert!(
                matches!(
                    err.kind(),
                    CryptoErrorKind::InvalidEnvelope
                        | CryptoErrorKind::UnknownKey
                ),
                "{:?}",
                String::from_utf8_lossy(case)
            );
            assert!(!err.to_string().contains("AAAA"));
        }
    }

    #[test]
    fn fernet_tokens_are_refused_by_the_prefix() {
        let text = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";
        let keys = KeySet::from_fernet_key(text).unwrap();
        let fkey = FernetKey::from_base64(text).unwrap();
        let token = fernet::encrypt(&fkey, b"a fernet body").unwrap();
        assert!(!is_envelope(token.as_bytes()));
        let err = open(&keys, MID, token.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), CryptoErrorKind::InvalidEnvelope);
        assert_eq!(err.to_string(), "invalid envelope: not an ms1 envelope");

        // And the other way: an envelope is not a Fernet token.
        let env = seal(&keys, MID, b"an ms1 body").unwrap();
        let err = fernet::decrypt(&fkey, env.as_bytes(), None, 0).unwrap_err();
        assert_eq!(err.kind(), CryptoErrorKind::InvalidToken);
    }

    #[test]
    fn oversized_envelope_is_refused_before_decoding() {
        let keys = KeySet::generate().unwrap();
        let mut big = b"ms1:".to_vec();
        big.resize(MAX_ENVELOPE_LEN + 1, b'A');
        let err = open(&keys, MID, &big).unwrap_err();
        assert_eq!(err.kind(), CryptoErrorKind::TooLarge);
    }

    #[test]
    fn size_limit_arithmetic() {
        let id_len = 17;
        let max = max_plaintext_len(id_len);
        assert!(envelope_len(id_len, max) <= MAX_ENVELOPE_LEN);
        assert!(envelope_len(id_len, max + 3) > MAX_ENVELOPE_LEN);
        assert_eq!(envelope_len(id_len, usize::MAX), usize::MAX);
    }

    #[test]
    fn ten_thousand_seals_have_distinct_nonces() {
        let keys = KeySet::generate().unwrap();
        let mut nonces = HashSet::new();
        for _ in 0..10_000 {
            let env = seal(&keys, MID, b"same plaintext").unwrap();
            let (_, payload) = decode(&env);
            assert!(nonces.insert(payload[..NONCE_LEN].to_vec()));
        }
    }

    #[test]
    fn rng_failure_is_an_error_not_a_fallback() {
        let keys = KeySet::generate().unwrap();
        let err = seal_with(&keys, MID, b"x", &BrokenRandom).unwrap_err();
        assert_eq!(err.kind(), CryptoErrorKind::Random);
    }

    #[test]
    fn reused_nonce_is_visible_in_the_payload() {
        // A repeated nonce (here forced) shows as equal first 12 payload
        // bytes, which is how an audit of stored envelopes detects it.
        let keys = KeySet::generate().unwrap();
        let a = seal_with(&keys, b"m1", b"one", &FixedRandom(9)).unwrap();
        let b = seal_with(&keys, b"m2", b"two", &FixedRandom(9)).unwrap();
        let c = seal(&keys, b"m3", b"three").unwrap();
        let nonce = |e: &str| decode(e).1[..NONCE_LEN].to_vec();
        assert_eq!(nonce(&a), nonce(&b));
        assert_ne!(nonce(&a), nonce(&c));
        assert_eq!(open(&keys, b"m2", b.as_bytes()).unwrap(), b"two");
    }

    #[test]
    fn is_envelope_checks_only_the_header() {
        assert!(is_envelope(b"ms1:k1:"));
        assert!(is_envelope(b"ms1:k1:anything"));
        assert!(!is_envelope(b"ms1:k1"));
        assert!(!is_envelope(b"gAAAAABk"));
        assert!(!is_envelope(b"ms1::x"));
        assert!(!is_envelope(b""));
    }
}
