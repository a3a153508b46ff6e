//! Fernet tokens, compatible with Python's `cryptography.fernet`.
//!
//! A token is urlsafe base64, with padding, of
//!
//! ```text
//! 0x80 || timestamp (u64, big-endian) || IV (16) || ciphertext || HMAC (32)
//! ```
//!
//! where the ciphertext is AES-128-CBC with PKCS#7 padding (RustCrypto
//! `aes` and `cbc`) and the HMAC is HMAC-SHA256 (`ring`) over everything
//! before it. A 32-byte Fernet key is the signing key (first 16 bytes) then
//! the encryption key (last 16).
//!
//! [`decrypt`] checks, in this order: the size limit ([`MAX_TOKEN_LEN`],
//! before decoding), base64, the length, the version byte, the HMAC (in
//! constant time, `ring::hmac::verify`), the timestamp, then CBC and its
//! padding. Only bytes that passed the HMAC are decrypted, so the padding
//! check is no oracle. Every failure after the size limit is the one error
//! [`CryptoErrorKind::InvalidToken`](crate::crypto::CryptoErrorKind), with
//! one message.
//!
//! # Where this is stricter than Python
//!
//! Every token Python's `Fernet.encrypt()` emits is accepted. Beyond that:
//!
//! - ASCII whitespace at the two ends of a token is ignored (a trailing
//!   newline from a file); otherwise the token must be in the urlsafe
//!   alphabet with canonical `=` padding. Python also accepts `+` and `/`
//!   and whitespace inside the token, because its base64 decoder discards
//!   what it does not know; mailshield refuses them. Both refuse a token
//!   whose padding was removed.
//! - A token stamped more than [`MAX_CLOCK_SKEW`] (60) seconds after `now`
//!   is refused even without a ttl. Python checks the skew only when a ttl
//!   is given, so it accepts far-future tokens without one.
//!
//! Time arithmetic saturates, so timestamps, ttls and clocks near
//! `u64::MAX` are refused or accepted as the real numbers say, and never
//! overflow.
//!
//! # Limitations
//!
//! Fernet is in memory by design: tokens over [`MAX_TOKEN_LEN`] are refused
//! with `TooLarge`, and the whole plaintext is one buffer. The AES key
//! schedule inside the `aes` crate is not wiped after use.

use std::fmt;

use aes::Aes128;
use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;
use ring::hmac;
use ring::rand::SystemRandom;
use zeroize::{Zeroize, Zeroizing};

use crate::crypto::keyset::{
    Algorithm, KEY_LEN, KeySet, decode_key_text, fernet_key_id,
};
use crate::crypto::{CryptoError, Random, time};

/// The longest token (as text) that [`decrypt`] accepts: 1 GiB.
pub const MAX_TOKEN_LEN: usize = 1 << 30;

/// How far in the future, in seconds, a token's timestamp may be.
pub const MAX_CLOCK_SKEW: u64 = 60;

const VERSION: u8 = 0x80;
const HEADER_LEN: usize = 1 + 8 + 16;
const MAC_LEN: usize = 32;
const BLOCK: usize = 16;
/// Header, one ciphertext block and the HMAC.
const MIN_LEN: usize = HEADER_LEN + BLOCK + MAC_LEN;

/// A Fernet key: 16 bytes of HMAC signing key, then 16 of AES key.
///
/// Not `Clone`; wiped on drop; `Debug` prints nothing of it.
pub struct FernetKey {
    bytes: Zeroizing<[u8; KEY_LEN]>,
}

impl FernetKey {
    /// A key from its 32 raw bytes.
    ///
    /// # Errors
    ///
    /// `InvalidKey` unless `bytes` is exactly 32 bytes long.
    pub fn from_bytes(bytes: &[u8]) -> Result<FernetKey, CryptoError> {
        if bytes.len() != KEY_LEN {
            return Err(CryptoError::invalid_key("not 32 bytes long"));
        }
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        key.copy_from_slice(bytes);
        Ok(FernetKey { bytes: key })
    }

    /// A key from its text form, urlsafe base64 with padding (Python's
    /// `Fernet.generate_key()`); ASCII whitespace at the ends is ignored.
    ///
    /// # Errors
    ///
    /// `InvalidKey` if the text is empty, not urlsafe base64 with padding,
    /// or not 32 bytes once decoded. The message never contains the text.
    pub fn from_base64(text: &str) -> Result<FernetKey, CryptoError> {
        let bytes = decode_key_text(text).map_err(CryptoError::invalid_key)?;
        Ok(FernetKey { bytes })
    }

    /// A new random key.
    ///
    /// # Errors
    ///
    /// `Random` if the system random number generator fails.
    pub fn generate() -> Result<FernetKey, CryptoError> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        SystemRandom::new().fill(&mut bytes[..])?;
        Ok(FernetKey { bytes })
    }

    /// The key's id as [`KeySet::from_fernet_key`] would give it: the first
    /// 8 hex digits of the SHA-256 of the key.
    pub fn id(&self) -> String {
        fernet_key_id(&self.bytes)
    }
}

impl fmt::Debug for FernetKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FernetKey").finish_non_exhaustive()
    }
}

/// Encrypts `plaintext` with a given timestamp and IV: deterministic, for
/// test vectors.
///
/// Never reuse an IV under one key in real use; [`encrypt`] draws a fresh
/// one. A token longer than [`MAX_TOKEN_LEN`] can be made here but is
/// refused by [`decrypt`]. Linear in the length of the plaintext.
///
/// # Example
///
/// ```
/// use mailshield::crypto::fernet::{self, FernetKey};
///
/// let key = FernetKey::from_base64(
///     "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=")?;
/// let iv = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
/// let token = fernet::encrypt_with(&key, b"hello", 499_162_800, iv);
/// assert!(token.starts_with("gAAAAAAdwJ6w"));
/// assert_eq!(fernet::decrypt(&key, token.as_bytes(), None, 499_162_800)?,
///     b"hello");
/// # Ok::<(), mailshield::crypto::CryptoError>(())
/// ```
pub fn encrypt_with(
    key: &FernetKey,
    plaintext: &[u8],
    timestamp: u64,
    iv: [u8; 16],
) -> String {
    seal_parts(&key.bytes, plaintext, timestamp, iv)
}

/// Encrypts `plaintext` with the current time and a random IV.
///
/// # Errors
///
/// - `TooLarge` if the token would be longer than [`MAX_TOKEN_LEN`];
/// - `Random` if the system random number generator fails.
///
/// # Example
///
/// ```
/// use mailshield::crypto::{fernet::{self, FernetKey}, unix_now};
///
/// let key = FernetKey::generate()?;
/// let token = fernet::encrypt(&key, b"synthetic body")?;
/// let plain = fernet::decrypt(&key, token.as_bytes(), Some(60), unix_now())?;
/// assert_eq!(plain, b"synthetic body");
/// # Ok::<(), mailshield::crypto::CryptoError>(())
/// ```
pub fn encrypt(
    key: &FernetKey,
    plaintext: &[u8],
) -> Result<String, CryptoError> {
    encrypt_using(&key.bytes, plaintext, time::now(), &SystemRandom::new())
}

/// Encrypts `plaintext` under the primary key of `keys`, which must be a
/// Fernet key, with the current time and a random IV.
///
/// # Errors
///
/// `InvalidKey` if the primary key is not a Fernet key (an AES-256-GCM key
/// never doubles as a Fernet key); otherwise as [`encrypt`].
pub fn encrypt_with_keys(
    keys: &KeySet,
    plaintext: &[u8],
) -> Result<String, CryptoError> {
    let material = primary_fernet(keys)?;
    encrypt_using(material, plaintext, time::now(), &SystemRandom::new())
}

pub(crate) fn encrypt_using(
    key: &[u8; KEY_LEN],
    plaintext: &[u8],
    timestamp: u64,
    rng: &dyn Random,
) -> Result<String, CryptoError> {
    let len = token_len(plaintext.len());
    if len > MAX_TOKEN_LEN {
        return Err(CryptoError::too_large(
            "fernet plaintext",
            plaintext.len(),
            MAX_TOKEN_LEN / 4 * 3 - MIN_LEN,
        ));
    }
    let mut iv = [0u8; 16];
    rng.fill(&mut iv)?;
    Ok(seal_parts(key, plaintext, timestamp, iv))
}

/// Decrypts a Fernet token with one key.
///
/// `ttl`, if given, is the greatest age in seconds a token may have at
/// `now` (Unix seconds; see [`crate::crypto::unix_now`]). Tokens stamped
/// more than [`MAX_CLOCK_SKEW`] seconds after `now` are refused with or
/// without a ttl. See the [module docs](self) for the order of the checks
/// and what is stricter than Python. Linear in the length of the token.
///
/// # Errors
///
/// - `TooLarge` if the token is longer than [`MAX_TOKEN_LEN`], checked
///   before anything is decoded;
/// - `InvalidToken` for every other failure, whichever check it was.
pub fn decrypt(
    key: &FernetKey,
    token: &[u8],
    ttl: Option<u64>,
    now: u64,
) -> Result<Vec<u8>, CryptoError> {
    let data = decode(token)?;
    if !verify_mac(&key.bytes, &data) {
        return Err(CryptoError::invalid_token());
    }
    open_verified(&key.bytes, data, ttl, now)
}

/// Decrypts a Fernet token with whichever Fernet key of `keys` made it,
/// as Python's `MultiFernet.decrypt` does: the primary key first if it is
/// a Fernet key, then the others in file order. AES-256-GCM keys are not
/// tried.
///
/// # Errors
///
/// - `InvalidKey` if the set holds no Fernet key;
/// - otherwise as [`decrypt`]; a token no key verifies is `InvalidToken`.
pub fn decrypt_with_keys(
    keys: &KeySet,
    token: &[u8],
    ttl: Option<u64>,
    now: u64,
) -> Result<Vec<u8>, CryptoError> {
    let (data, key) = decode_and_find(keys, token)?;
    open_verified(key, data, ttl, now)
}

/// Re-encrypts a token under the primary key of `keys`, keeping its
/// original timestamp, as Python's `MultiFernet.rotate` does.
///
/// The token may be under any Fernet key of the set. No ttl applies (an
/// old token can always be rotated), but a token more than
/// [`MAX_CLOCK_SKEW`] seconds after `now` is refused. The new token has a
/// fresh random IV.
///
/// # Errors
///
/// - `InvalidKey` if the primary key is not a Fernet key, or the set holds
///   no Fernet key;
/// - `TooLarge`, `InvalidToken` as [`decrypt`];
/// - `Random` if the system random number generator fails.
pub fn rotate_token(
    keys: &KeySet,
    token: &[u8],
    now: u64,
) -> Result<String, CryptoError> {
    rotate_using(keys, token, now, &SystemRandom::new())
}

pub(crate) fn rotate_using(
    keys: &KeySet,
    token: &[u8],
    now: u64,
    rng: &dyn Random,
) -> Result<String, CryptoError> {
    let primary = primary_fernet(keys)?;
    let (data, key) = decode_and_find(keys, token)?;
    let timestamp = timestamp_of(&data);
    let plaintext = Zeroizing::new(open_verified(key, data, None, now)?);
    let mut iv = [0u8; 16];
    rng.fill(&mut iv)?;
    Ok(seal_parts(primary, &plaintext, timestamp, iv))
}

/// The material of the primary key, which must be a Fernet key.
fn primary_fernet(keys: &KeySet) -> Result<&[u8; KEY_LEN], CryptoError> {
    let primary = keys.primary();
    if primary.algorithm() != Algorithm::Fernet {
        return Err(CryptoError::invalid_key_id(
            "the primary key is not a fernet key",
            primary.id(),
        ));
    }
    Ok(primary.material())
}

/// Decodes a token and finds the Fernet key of `keys` whose HMAC it
/// carries.
fn decode_and_find<'k>(
    keys: &'k KeySet,
    token: &[u8],
) -> Result<(Vec<u8>, &'k [u8; KEY_LEN]), CryptoError> {
    let mut candidates = keys.fernet_keys().peekable();
    if candidates.peek().is_none() {
        return Err(CryptoError::invalid_key(
            "the key set holds no fernet key",
        ));
    }
    let data = decode(token)?;
    for key in candidates {
        if verify_mac(key.material(), &data) {
            return Ok((data, key.material()));
        }
    }
    Err(CryptoError::invalid_token())
}

/// Builds the token text; `plaintext` may be any length.
fn seal_parts(
    key: &[u8; KEY_LEN],
    plaintext: &[u8],
    timestamp: u64,
    iv: [u8; 16],
) -> String {
    let (signing, encryption) = split_key(key);
    let padded = (plaintext.len() / BLOCK + 1) * BLOCK;
    let mut data = Vec::with_capacity(HEADER_LEN + padded + MAC_LEN);
    data.push(VERSION);
    data.extend_from_slice(&timestamp.to_be_bytes());
    data.extend_from_slice(&iv);
    data.resize(HEADER_LEN + padded, 0);

    // Encrypt from the caller's buffer straight into the token.
    let cipher = cbc::Encryptor::<Aes128>::new(&encryption.into(), &iv.into());
    let written = cipher
        .encrypt_padded_b2b_mut::<Pkcs7>(plaintext, &mut data[HEADER_LEN..])
        .expect("N.B. the buffer is sized for the padded plaintext")
        .len();
    debug_assert_eq!(written, padded);

    let mac = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &signing), &data);
    data.extend_from_slice(mac.as_ref());
    URL_SAFE.encode(&data)
}

/// Size limit, base64, length and version: the checks before the HMAC.
fn decode(token: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(CryptoError::too_large(
            "fernet token",
            token.len(),
            MAX_TOKEN_LEN,
        ));
    }
    let data = URL_SAFE
        .decode(token.trim_ascii())
        .map_err(|_| CryptoError::invalid_token())?;
    if data.len() < MIN_LEN || data[0] != VERSION {
        return Err(CryptoError::invalid_token());
    }
    Ok(data)
}

/// Whether the token's HMAC is right under `key`, compared in constant
/// time by `ring`.
fn verify_mac(key: &[u8; KEY_LEN], data: &[u8]) -> bool {
    let (signing, _) = split_key(key);
    let (signed, mac) = data.split_at(data.len() - MAC_LEN);
    let key = hmac::Key::new(hmac::HMAC_SHA256, &signing);
    hmac::verify(&key, signed, mac).is_ok()
}

/// Timestamp, then CBC and padding, on a token whose HMAC is verified.
fn open_verified(
    key: &[u8; KEY_LEN],
    data: Vec<u8>,
    ttl: Option<u64>,
    now: u64,
) -> Result<Vec<u8>, CryptoError> {
    if !fresh(timestamp_of(&data), ttl, now) {
        return Err(CryptoError::invalid_token());
    }
    let body_len = data.len() - HEADER_LEN - MAC_LEN;
    if !body_len.is_multiple_of(BLOCK) {
        return Err(CryptoError::invalid_token());
    }

    // Decrypt in place, keeping only the ciphertext in the buffer.
    let mut iv = [0u8; 16];
    iv.copy_from_slice(&data[9..HEADER_LEN]);
    let mut buf = data;
    buf.truncate(HEADER_LEN + body_len);
    buf.drain(..HEADER_LEN);
    let (_, encryption) = split_key(key);
    let cipher = cbc::Decryptor::<Aes128>::new(&encryption.into(), &iv.into());
    match cipher.decrypt_padded_mut::<Pkcs7>(&mut buf) {
        Ok(plain) => {
            let len = plain.len();
            buf.truncate(len);
            Ok(buf)
        }
        Err(_) => {
            buf.zeroize();
            Err(CryptoError::invalid_token())
        }
    }
}

/// Whether a token stamped `timestamp` is acceptable at `now`: not more
/// than the skew in the future, and with a ttl not older than the ttl.
fn fresh(timestamp: u64, ttl: Option<u64>, now: u64) -> bool {
    if timestamp > now.saturating_add(MAX_CLOCK_SKEW) {
        return false;
    }
    // Python: expired when timestamp + ttl < now. Saturating, a sum past
    // u64::MAX is later than any clock, so never expired.
    ttl.is_none_or(|ttl| timestamp.saturating_add(ttl) >= now)
}

fn timestamp_of(data: &[u8]) -> u64 {
    let mut ts = [0u8; 8];
    ts.copy_from_slice(&data[1..9]);
    u64::from_be_bytes(ts)
}

fn split_key(key: &[u8; KEY_LEN]) -> ([u8; 16], [u8; 16]) {
    let mut signing = [0u8; 16];
    let mut encryption = [0u8; 16];
    signing.copy_from_slice(&key[..16]);
    encryption.copy_from_slice(&key[16..]);
    (signing, encryption)
}

/// The length of the token text for a plaintext length, saturating.
fn token_len(plaintext_len: usize) -> usize {
    let padded =
        (plaintext_len / BLOCK).saturating_add(1).saturating_mul(BLOCK);
    let raw = padded.saturating_add(HEADER_LEN + MAC_LEN);
    raw.div_ceil(3).saturating_mul(4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::CryptoErrorKind;
    use crate::crypto::keyset::{Key, KeySet};
    use crate::crypto::testing::BrokenRandom;

    const SPEC_KEY: &str = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";
    const SPEC_TOKEN: &str = "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eE\
                              wCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4I\
                              wqDA==";
    const SPEC_TS: u64 = 499_162_800;
    const IV: [u8; 16] =
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

    fn key() -> FernetKey {
        FernetKey::from_base64(SPEC_KEY).unwrap()
    }

    fn kind<T: fmt::Debug>(r: Result<T, CryptoError>) -> CryptoErrorKind {
        r.unwrap_err().kind()
    }

    /// A token from raw fields with a correct HMAC, so that the checks
    /// after the HMAC are reached.
    fn signed(key: &FernetKey, version: u8, ts: u64, body: &[u8]) -> String {
        let mut data = vec![version];
        data.extend_from_slice(&ts.to_be_bytes());
        data.extend_from_slice(&IV);
        data.extend_from_slice(body);
        let signing = &key.bytes[..16];
        let mac =
            hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, signing), &data);
        data.extend_from_slice(mac.as_ref());
        URL_SAFE.encode(data)
    }

    /// Raw AES-128-CBC without padding, for crafting bad padding.
    fn cbc_raw(key: &FernetKey, blocks: &[u8]) -> Vec<u8> {
        let (_, enc) = split_key(&key.bytes);
        let mut buf = blocks.to_vec();
        let c = cbc::Encryptor::<Aes128>::new(&enc.into(), &IV.into());
        c.encrypt_padded_mut::<aes::cipher::block_padding::NoPadding>(
            &mut buf,
            blocks.len(),
        )
        .unwrap();
        buf
    }

    #[test]
    fn spec_vector_is_reproduced_and_opens() {
        let token = encrypt_with(&key(), b"hello", SPEC_TS, IV);
        assert_eq!(token, SPEC_TOKEN);
        let plain = decrypt(&key(), token.as_bytes(), Some(60), SPEC_TS + 1);
        assert_eq!(plain.unwrap(), b"hello");
    }

    #[test]
    fn round_trips_many_sizes() {
        let key = FernetKey::generate().unwrap();
        let now = time::now();
        for len in [0, 1, 15, 16, 17, 31, 32, 33, 4096, 100_000] {
            let plain: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let token = encrypt(&key, &plain).unwrap();
            assert_eq!(token.len(), token_len(len));
            let out = decrypt(&key, token.as_bytes(), Some(60), now).unwrap();
            assert_eq!(out, plain);
        }
    }

    #[test]
    fn every_bit_flip_of_the_decoded_token_is_refused() {
        let key = key();
        let raw = URL_SAFE.decode(SPEC_TOKEN).unwrap();
        assert_eq!(raw.len(), 73);
        let mut count = 0;
        for i in 0..raw.len() {
            for bit in 0..8 {
                let mut bad = raw.clone();
                bad[i] ^= 1 << bit;
                let token = URL_SAFE.encode(&bad);
                let r = decrypt(&key, token.as_bytes(), None, SPEC_TS);
                assert_eq!(
                    kind(r),
                    CryptoErrorKind::InvalidToken,
                    "{i}/{bit}"
                );
                count += 1;
            }
        }
        assert_eq!(count, 584);
    }

    #[test]
    fn every_truncation_is_refused() {
        let key = key();
        let raw = URL_SAFE.decode(SPEC_TOKEN).unwrap();
        for len in 0..raw.len() {
            let token = URL_SAFE.encode(&raw[..len]);
            let r = decrypt(&key, token.as_bytes(), None, SPEC_TS);
            assert_eq!(kind(r), CryptoErrorKind::InvalidToken, "{len}");
        }
        for len in 0..SPEC_TOKEN.len() {
            let r =
                decrypt(&key, &SPEC_TOKEN.as_bytes()[..len], None, SPEC_TS);
            assert_eq!(kind(r), CryptoErrorKind::InvalidToken, "{len}");
        }
    }

    #[test]
    fn one_message_whatever_failed() {
        let key = key();
        let wrong = FernetKey::generate().unwrap();
        let failures = [
            decrypt(&wrong, SPEC_TOKEN.as_bytes(), None, SPEC_TS),
            decrypt(&key, b"%%%", None, SPEC_TS),
            decrypt(&key, SPEC_TOKEN.as_bytes(), Some(60), SPEC_TS + 61),
            decrypt(&key, SPEC_TOKEN.as_bytes(), None, SPEC_TS - 61),
            decrypt(
                &key,
                signed(&key, 0x81, SPEC_TS, &[0; 16]).as_bytes(),
                None,
                SPEC_TS,
            ),
        ];
        for r in failures {
            let err = r.unwrap_err();
            assert_eq!(err.kind(), CryptoErrorKind::InvalidToken);
            assert_eq!(err.to_string(), "invalid fernet token");
            assert_eq!(
                format!("{err:?}"),
                "CryptoError { kind: InvalidToken }"
            );
        }
    }

    #[test]
    fn hmac_valid_tokens_are_refused_by_later_checks() {
        let key = key();
        let now = SPEC_TS;
        let good_body = cbc_raw(&key, &[16u8; 16]);
        // The crafting is right: a correctly padded body opens.
        let ok = signed(&key, VERSION, now, &good_body);
        assert_eq!(decrypt(&key, ok.as_bytes(), None, now).unwrap(), b"");

        let cases = [
            ("wrong version", signed(&key, 0x81, now, &good_body), None),
            (
                "not a block multiple",
                signed(&key, VERSION, now, &[0; 17]),
                None,
            ),
            (
                "bad padding",
                signed(&key, VERSION, now, &cbc_raw(&key, &[0; 16])),
                None,
            ),
            (
                "padding 17",
                signed(&key, VERSION, now, &cbc_raw(&key, &[17; 16])),
                None,
            ),
            ("future", signed(&key, VERSION, now + 61, &good_body), None),
            ("expired", signed(&key, VERSION, now - 61, &good_body), Some(60)),
        ];
        for (what, token, ttl) in cases {
            let raw = URL_SAFE.decode(&token).unwrap();
            assert!(verify_mac(&key.bytes, &raw), "{what}");
            let r = decrypt(&key, token.as_bytes(), ttl, now);
            assert_eq!(kind(r), CryptoErrorKind::InvalidToken, "{what}");
        }
    }

    #[test]
    fn skew_and_ttl_boundaries() {
        let key = key();
        let t = SPEC_TOKEN.as_bytes();
        assert!(decrypt(&key, t, None, SPEC_TS - 60).is_ok());
        assert!(decrypt(&key, t, None, SPEC_TS - 61).is_err());
        assert!(decrypt(&key, t, Some(60), SPEC_TS + 60).is_ok());
        assert!(decrypt(&key, t, Some(60), SPEC_TS + 61).is_err());
        assert!(decrypt(&key, t, Some(0), SPEC_TS).is_ok());
        // No ttl: any age is fine.
        assert!(decrypt(&key, t, None, u64::MAX).is_ok());
    }

    #[test]
    fn timestamp_arithmetic_never_overflows() {
        let key = key();
        let now = 1_700_000_000;
        let max = encrypt_with(&key, b"x", u64::MAX, IV);
        let r = decrypt(&key, max.as_bytes(), Some(60), now);
        assert_eq!(kind(r), CryptoErrorKind::InvalidToken);
        let r = decrypt(&key, max.as_bytes(), None, now);
        assert_eq!(kind(r), CryptoErrorKind::InvalidToken);
        // At the end of time it is neither future nor expired.
        let r = decrypt(&key, max.as_bytes(), Some(60), u64::MAX);
        assert_eq!(r.unwrap(), b"x");
        let r = decrypt(&key, max.as_bytes(), Some(u64::MAX), u64::MAX - 1);
        assert_eq!(r.unwrap(), b"x");

        // Timestamp 0 with the largest ttl: 0 + ttl = u64::MAX is later
        // than any clock, so it is not expired, near the end of time too.
        let zero = encrypt_with(&key, b"y", 0, IV);
        for now in [now, u64::MAX - 1, u64::MAX] {
            let r = decrypt(&key, zero.as_bytes(), Some(u64::MAX), now);
            assert_eq!(r.unwrap(), b"y");
        }
        let r = decrypt(&key, zero.as_bytes(), Some(60), u64::MAX);
        assert_eq!(kind(r), CryptoErrorKind::InvalidToken);
        let r = decrypt(&key, zero.as_bytes(), Some(u64::MAX - 1), u64::MAX);
        assert_eq!(kind(r), CryptoErrorKind::InvalidToken);

        // A clock near the end of time and a token just before it.
        let late = encrypt_with(&key, b"z", u64::MAX - 30, IV);
        let r = decrypt(&key, late.as_bytes(), Some(60), u64::MAX - 40);
        assert_eq!(r.unwrap(), b"z");
        let r = decrypt(&key, late.as_bytes(), Some(10), u64::MAX);
        assert_eq!(kind(r), CryptoErrorKind::InvalidToken);
    }

    #[test]
    fn lenient_decoding_decisions() {
        let key = key();
        let t = SPEC_TOKEN;
        let at = |s: &str| decrypt(&key, s.as_bytes(), None, SPEC_TS);
        // Accepted: whitespace at the ends.
        for s in [format!("{t}\n"), format!(" {t}\r\n"), format!("\t{t} ")] {
            assert_eq!(at(&s).unwrap(), b"hello");
        }
        // Refused: inner whitespace, the standard alphabet, no padding.
        let inner = format!("{} {}", &t[..20], &t[20..]);
        let standard = t.replace('-', "+").replace('_', "/");
        assert_ne!(standard, t);
        let unpadded = t.trim_end_matches('=');
        for s in [inner.as_str(), &standard, unpadded, "", "\n"] {
            assert_eq!(kind(at(s)), CryptoErrorKind::InvalidToken, "{s:?}");
        }
    }

    #[test]
    fn oversized_token_is_too_large_before_decoding() {
        let key = key();
        let big = vec![b'A'; MAX_TOKEN_LEN + 1];
        let err = decrypt(&key, &big, None, 0).unwrap_err();
        assert_eq!(err.kind(), CryptoErrorKind::TooLarge);
        assert!(!err.to_string().contains("AAAA"));
    }

    #[test]
    fn token_len_is_exact() {
        for len in [0, 1, 15, 16, 17, 1000] {
            let token = encrypt_with(&key(), &vec![1; len], 5, IV);
            assert_eq!(token.len(), token_len(len));
        }
        assert_eq!(token_len(usize::MAX), usize::MAX);
    }

    #[test]
    fn rng_failure_is_an_error() {
        let k = key();
        let err = encrypt_using(&k.bytes, b"x", 1, &BrokenRandom).unwrap_err();
        assert_eq!(err.kind(), CryptoErrorKind::Random);
        let keys = KeySet::from_fernet_key(SPEC_KEY).unwrap();
        let err =
            rotate_using(&keys, SPEC_TOKEN.as_bytes(), SPEC_TS, &BrokenRandom);
        assert_eq!(kind(err), CryptoErrorKind::Random);
    }

    #[test]
    fn ivs_are_fresh() {
        let key = key();
        let mut ivs = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let token = encrypt(&key, b"same").unwrap();
            let raw = URL_SAFE.decode(token).unwrap();
            assert!(ivs.insert(raw[9..25].to_vec()));
        }
    }

    /// A key set of two Fernet keys, the first primary.
    fn two_keys(new: &[u8; 32], old: &[u8; 32]) -> KeySet {
        let make = |m: &[u8; 32]| {
            let mut z = Zeroizing::new([0u8; 32]);
            z.copy_from_slice(m);
            Key::from_parts(fernet_key_id(m), Algorithm::Fernet, z, 0)
        };
        KeySet::from_parts(vec![make(new), make(old)], 0)
    }

    #[test]
    fn multi_key_decrypt_and_rotation() {
        let old_bytes = *key().bytes;
        let new_bytes = [0x42u8; 32];
        let new = FernetKey::from_bytes(&new_bytes).unwrap();
        let keys = two_keys(&new_bytes, &old_bytes);
        let t = SPEC_TOKEN.as_bytes();
        let now = SPEC_TS + 10;

        // Old tokens open; fresh ones use the primary.
        assert_eq!(decrypt_with_keys(&keys, t, None, now).unwrap(), b"hello");
        let fresh = encrypt_with_keys(&keys, b"new").unwrap();
        assert_eq!(
            decrypt(&new, fresh.as_bytes(), None, time::now()).unwrap(),
            b"new"
        );

        // Rotation keeps the timestamp and moves to the primary key.
        let rotated = rotate_token(&keys, t, now).unwrap();
        let raw = URL_SAFE.decode(&rotated).unwrap();
        assert_eq!(timestamp_of(&raw), SPEC_TS);
        assert_ne!(rotated, SPEC_TOKEN);
        assert_eq!(
            decrypt(&new, rotated.as_bytes(), None, now).unwrap(),
            b"hello"
        );
        assert_eq!(
            kind(decrypt(&key(), rotated.as_bytes(), None, now)),
            CryptoErrorKind::InvalidToken
        );

        // Without the old key, the old token no longer opens.
        let only_new = two_keys(&new_bytes, &[0x43; 32]);
        let r = decrypt_with_keys(&only_new, t, None, now);
        assert_eq!(kind(r), CryptoErrorKind::InvalidToken);
        let r = decrypt_with_keys(&only_new, rotated.as_bytes(), None, now);
        assert_eq!(r.unwrap(), b"hello");

        // The ttl applies to rotated tokens by their original time.
        let r = decrypt_with_keys(&keys, rotated.as_bytes(), Some(5), now);
        assert_eq!(kind(r), CryptoErrorKind::InvalidToken);
    }

    #[test]
    fn aes_keys_do_not_double_as_fernet_keys() {
        let mut keys = KeySet::from_fernet_key(SPEC_KEY).unwrap();
        let t = SPEC_TOKEN.as_bytes();
        keys.rotate().unwrap();
        // The old Fernet key still decrypts; the AES primary cannot write.
        assert_eq!(
            decrypt_with_keys(&keys, t, None, SPEC_TS).unwrap(),
            b"hello"
        );
        let err = encrypt_with_keys(&keys, b"x").unwrap_err();
        assert_eq!(err.kind(), CryptoErrorKind::InvalidKey);
        assert_eq!(err.key_id(), Some(keys.primary().id()));
        assert_eq!(
            kind(rotate_token(&keys, t, SPEC_TS)),
            CryptoErrorKind::InvalidKey
        );
        let aes_only = KeySet::generate().unwrap();
        let err = decrypt_with_keys(&aes_only, t, None, SPEC_TS).unwrap_err();
        assert_eq!(err.kind(), CryptoErrorKind::InvalidKey);
    }

    #[test]
    fn keys_from_bytes_and_text_agree() {
        let raw = URL_SAFE.decode(SPEC_KEY).unwrap();
        let a = FernetKey::from_bytes(&raw).unwrap();
        let b = FernetKey::from_base64(SPEC_KEY).unwrap();
        assert_eq!(*a.bytes, *b.bytes);
        assert_eq!(
            a.id(),
            KeySet::from_fernet_key(SPEC_KEY).unwrap().primary().id()
        );
        assert_eq!(
            kind(FernetKey::from_bytes(&raw[..31])),
            CryptoErrorKind::InvalidKey
        );
        let debug = format!("{a:?}");
        assert_eq!(debug, "FernetKey { .. }");
    }
}
