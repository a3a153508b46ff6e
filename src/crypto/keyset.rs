//! Keys, key sets and the pseudonym key.
//!
//! A [`Key`] is 32 bytes of secret material with an id and an
//! [`Algorithm`]. A [`KeySet`] holds one or more keys: the primary key seals
//! new envelopes and tokens, the others are kept so that what they sealed
//! still opens (rotation). Key sets come from three places:
//!
//! - [`KeySet::generate`]: one new random AES-256-GCM key, for
//!   `mailshield keygen`;
//! - [`KeySet::from_fernet_key`]: one Fernet-style key, the form of the
//!   `MAILSHIELD_KEY` environment variable (32 bytes, urlsafe base64 with
//!   padding). Its id is the first 8 lower-case hex digits of the SHA-256
//!   of the 32 key bytes. Such a set seals both ways: Fernet with the key
//!   itself, AES-256-GCM with a subkey derived by HKDF-SHA256 (info
//!   `mailshield aes-256-gcm v1`), so the same bytes never serve two
//!   algorithms;
//! - [`KeySet::load`]: a key-set file.
//!
//! # The key-set file
//!
//! JSON, written with mode 0600 by [`KeySet::write_new`] and
//! [`KeySet::save`]:
//!
//! ```json
//! {
//!   "version": 1,
//!   "primary": "k3f9a1c2e5b7d4a60",
//!   "keys": [
//!     {
//!       "id": "k3f9a1c2e5b7d4a60",
//!       "algorithm": "aes-256-gcm",
//!       "key": "<urlsafe base64, with padding, of 32 bytes>",
//!       "created": "2025-01-31T09:30:00Z"
//!     }
//!   ]
//! }
//! ```
//!
//! - `version` is 1; other versions are refused.
//! - `primary` names one of the keys.
//! - each key has exactly the four fields shown. `id` is 1 to 64 of
//!   `A-Z a-z 0-9 _ -` and unique in the file; `algorithm` is `aes-256-gcm`
//!   or `fernet` (a Fernet key holds the signing key then the encryption
//!   key, as Python's `Fernet.generate_key()` does); `created` is an RFC
//!   3339 date-time (written in UTC).
//! - unknown fields are refused, so that a misspelt field is not silently
//!   ignored. The file may be at most 1 MiB.
//!
//! Errors name the file and the field (`keys[1].key`), never the key.
//!
//! # Pseudonyms
//!
//! [`TokenKey`] is the key of the `token` redaction operator: an HMAC-SHA256
//! key derived by HKDF (info `mailshield token v1`) from one key, usually
//! the primary. Pseudonyms are stable for a key and change when the primary
//! key is rotated; keep the old key and derive from it with
//! [`TokenKey::new`] to join archives made before the rotation.
//!
//! # Limitations
//!
//! Generated AES key ids are `k` and 16 random hex digits; Fernet key ids
//! are 32-bit fingerprints, so two Fernet keys in one set could in principle
//! share an id, and such a set is refused. Lookups are linear in the number
//! of keys, which is expected to be small.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;
use ring::rand::SystemRandom;
use ring::{aead, digest, hkdf, hmac};
use zeroize::Zeroizing;

use crate::crypto::{CryptoError, Random, hex, time};

/// The length of every key's material, in bytes.
pub const KEY_LEN: usize = 32;

/// The longest key id, in bytes.
pub const MAX_KEY_ID_LEN: usize = 64;

/// HKDF `info` of the AES-256-GCM subkey of a Fernet key.
const AEAD_INFO: &[u8] = b"mailshield aes-256-gcm v1";

/// HKDF `info` of the pseudonym key.
const TOKEN_INFO: &[u8] = b"mailshield token v1";

/// What a key is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// AES-256-GCM `ms1` envelopes ([`crate::crypto::aead`]).
    Aes256Gcm,
    /// Fernet tokens ([`crate::crypto::fernet`]); also seals `ms1`
    /// envelopes through an HKDF subkey.
    Fernet,
}

impl Algorithm {
    /// The name used in key-set files: `aes-256-gcm` or `fernet`.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Aes256Gcm => "aes-256-gcm",
            Algorithm::Fernet => "fernet",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<Algorithm> {
        match name {
            "aes-256-gcm" => Some(Algorithm::Aes256Gcm),
            "fernet" => Some(Algorithm::Fernet),
            _ => None,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Whether `id` is a well-formed key id: 1 to 64 of `A-Z a-z 0-9 _ -`.
pub fn is_valid_key_id(id: &str) -> bool {
    (1..=MAX_KEY_ID_LEN).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b))
}

/// One secret key: an id, an algorithm and 32 bytes of material.
///
/// Not `Clone`, so that key bytes are not copied by accident; the material
/// is wiped when the key is dropped. `Debug` prints the id and algorithm
/// only, and there is no accessor for the material.
pub struct Key {
    id: String,
    algorithm: Algorithm,
    material: Zeroizing<[u8; KEY_LEN]>,
    created: u64,
}

impl Key {
    /// The key's id, unique within its key set.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// What the key is for.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// When the key was made, in Unix seconds.
    pub fn created(&self) -> u64 {
        self.created
    }

    /// Builds a key; the caller has validated the id.
    pub(crate) fn from_parts(
        id: String,
        algorithm: Algorithm,
        material: Zeroizing<[u8; KEY_LEN]>,
        created: u64,
    ) -> Key {
        debug_assert!(is_valid_key_id(&id));
        Key { id, algorithm, material, created }
    }

    /// A new random key; `taken` says which ids are already in use.
    fn generate(
        algorithm: Algorithm,
        rng: &dyn Random,
        taken: impl Fn(&str) -> bool,
    ) -> Result<Key, CryptoError> {
        let mut material = Zeroizing::new([0u8; KEY_LEN]);
        rng.fill(&mut material[..])?;
        let id = match algorithm {
            Algorithm::Fernet => fernet_key_id(&material),
            Algorithm::Aes256Gcm => {
                let mut raw = [0u8; 8];
                rng.fill(&mut raw)?;
                format!("k{}", hex(&raw))
            }
        };
        if taken(&id) {
            return Err(CryptoError::invalid_key_id(
                "a new key's id collides with a key of the set",
                &id,
            ));
        }
        Ok(Key { id, algorithm, material, created: time::now() })
    }

    /// The raw material, for this layer's ciphers and the key-set file.
    pub(crate) fn material(&self) -> &[u8; KEY_LEN] {
        &self.material
    }

    /// The AES-256-GCM key that seals `ms1` envelopes under this key: the
    /// material itself for an AES key, an HKDF subkey for a Fernet key.
    ///
    /// PERF: built per seal or open (a key schedule, and for a Fernet key
    /// four HMAC-SHA256 blocks), microseconds beside a message body; cache
    /// it in `Key` if a benchmark ever shows it.
    pub(crate) fn aead_key(&self) -> aead::LessSafeKey {
        let unbound = match self.algorithm {
            Algorithm::Aes256Gcm => {
                aead::UnboundKey::new(&aead::AES_256_GCM, &self.material[..])
                    .expect("N.B. 32 bytes is the AES-256-GCM key length")
            }
            Algorithm::Fernet => {
                let info = [AEAD_INFO];
                let prk = hkdf_prk(&self.material[..]);
                let okm = prk
                    .expand(&info, &aead::AES_256_GCM)
                    .expect("N.B. HKDF-SHA256 can expand to 32 bytes");
                aead::UnboundKey::from(okm)
            }
        };
        aead::LessSafeKey::new(unbound)
    }
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("id", &self.id)
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// HKDF-SHA256 extract with an empty salt (RFC 5869 allows it; the input
/// is already a uniformly random key).
fn hkdf_prk(ikm: &[u8]) -> hkdf::Prk {
    hkdf::Salt::new(hkdf::HKDF_SHA256, &[]).extract(ikm)
}

/// The id of a Fernet key: the first 8 lower-case hex digits of the
/// SHA-256 of its 32 bytes.
pub(crate) fn fernet_key_id(material: &[u8; KEY_LEN]) -> String {
    let digest = digest::digest(&digest::SHA256, material);
    hex(&digest.as_ref()[..4])
}

/// Decodes the text form of a key: urlsafe base64 with padding of 32
/// bytes, ASCII whitespace at the ends ignored.
///
/// The error is a reason to print; it never contains the text.
pub(crate) fn decode_key_text(
    text: &str,
) -> Result<Zeroizing<[u8; KEY_LEN]>, &'static str> {
    let text = text.trim_ascii();
    if text.is_empty() {
        return Err("empty");
    }
    // 88 characters decode to at most 66 bytes, twice a key: enough to
    // tell "too long" from "not base64" without a heap buffer.
    if text.len() > 88 {
        return Err("too long for a 32-byte key");
    }
    let mut buf = Zeroizing::new([0u8; 66]);
    let len = URL_SAFE
        .decode_slice(text, &mut buf[..])
        .map_err(|_| "not urlsafe base64 with padding")?;
    if len != KEY_LEN {
        return Err("does not decode to 32 bytes");
    }
    let mut material = Zeroizing::new([0u8; KEY_LEN]);
    material.copy_from_slice(&buf[..KEY_LEN]);
    Ok(material)
}

/// Keys with ids: one primary for new seals, the rest for opening.
///
/// Not `Clone`; `Debug` prints key ids only.
pub struct KeySet {
    keys: Vec<Key>,
    primary: usize,
}

impl KeySet {
    /// A key set of one new random AES-256-GCM key, with an id of `k` and
    /// 16 random hex digits.
    ///
    /// # Errors
    ///
    /// [`Random`](crate::crypto::CryptoErrorKind::Random) if the system
    /// random number generator fails.
    ///
    /// # Example
    ///
    /// ```
    /// use mailshield::crypto::{Algorithm, KeySet};
    ///
    /// let keys = KeySet::generate()?;
    /// assert_eq!(keys.primary().algorithm(), Algorithm::Aes256Gcm);
    /// assert_eq!(keys.primary().id().len(), 17);
    /// # Ok::<(), mailshield::crypto::CryptoError>(())
    /// ```
    pub fn generate() -> Result<KeySet, CryptoError> {
        KeySet::generate_with(&SystemRandom::new())
    }

    pub(crate) fn generate_with(
        rng: &dyn Random,
    ) -> Result<KeySet, CryptoError> {
        let key = Key::generate(Algorithm::Aes256Gcm, rng, |_| false)?;
        Ok(KeySet { keys: vec![key], primary: 0 })
    }

    /// A key set of one Fernet key given as text, the `MAILSHIELD_KEY`
    /// form: 32 bytes in urlsafe base64 with padding, as Python's
    /// `Fernet.generate_key()` makes. ASCII whitespace at either end (a
    /// trailing newline) is ignored.
    ///
    /// The key's id is the first 8 lower-case hex digits of the SHA-256 of
    /// the 32 bytes. The set seals Fernet tokens with the key and `ms1`
    /// envelopes with its HKDF-derived AES-256-GCM subkey.
    ///
    /// # Errors
    ///
    /// [`InvalidKey`](crate::crypto::CryptoErrorKind::InvalidKey) if the
    /// text is empty, is not urlsafe base64 with padding (the standard
    /// alphabet's `+` and `/` included), or does not decode to exactly 32
    /// bytes. The message never contains the text.
    ///
    /// # Example
    ///
    /// ```
    /// use mailshield::crypto::{Algorithm, KeySet};
    ///
    /// let text = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=\n";
    /// let keys = KeySet::from_fernet_key(text)?;
    /// assert_eq!(keys.primary().algorithm(), Algorithm::Fernet);
    /// assert_eq!(keys.primary().id().len(), 8);
    /// # Ok::<(), mailshield::crypto::CryptoError>(())
    /// ```
    pub fn from_fernet_key(text: &str) -> Result<KeySet, CryptoError> {
        let material =
            decode_key_text(text).map_err(CryptoError::invalid_key)?;
        let id = fernet_key_id(&material);
        let key =
            Key::from_parts(id, Algorithm::Fernet, material, time::now());
        Ok(KeySet { keys: vec![key], primary: 0 })
    }

    /// Builds a key set from keys with unique, valid ids; `primary` is an
    /// index into `keys`.
    pub(crate) fn from_parts(keys: Vec<Key>, primary: usize) -> KeySet {
        debug_assert!(primary < keys.len());
        KeySet { keys, primary }
    }

    /// The key that seals new envelopes and tokens.
    pub fn primary(&self) -> &Key {
        &self.keys[self.primary]
    }

    /// The key with this id, if the set holds one.
    pub fn get(&self, id: &str) -> Option<&Key> {
        self.keys.iter().find(|k| k.id == id)
    }

    /// Every key, in the order of the key-set file (the primary wherever
    /// it stands).
    pub fn iter(&self) -> impl Iterator<Item = &Key> {
        self.keys.iter()
    }

    /// The Fernet keys, primary first if it is one, then in file order:
    /// the order in which `MultiFernet` would try them.
    pub(crate) fn fernet_keys(&self) -> impl Iterator<Item = &Key> {
        let primary = self.primary();
        let first =
            (primary.algorithm == Algorithm::Fernet).then_some(primary);
        let rest = self.keys.iter().enumerate().filter_map(move |(i, k)| {
            (i != self.primary && k.algorithm == Algorithm::Fernet)
                .then_some(k)
        });
        first.into_iter().chain(rest)
    }

    /// Adds a new random AES-256-GCM key and makes it the primary. Older
    /// keys stay in the set, so what they sealed still opens.
    ///
    /// Save the set afterwards ([`KeySet::save`]) or the new key is lost.
    ///
    /// # Errors
    ///
    /// `Random` if the system random number generator fails.
    ///
    /// # Example
    ///
    /// ```
    /// use mailshield::crypto::{KeySet, aead};
    ///
    /// let mut keys = KeySet::generate()?;
    /// let old = aead::seal(&keys, b"m1", b"archived")?;
    /// keys.rotate()?;
    /// assert_eq!(aead::open(&keys, b"m1", old.as_bytes())?, b"archived");
    /// # Ok::<(), mailshield::crypto::CryptoError>(())
    /// ```
    pub fn rotate(&mut self) -> Result<&Key, CryptoError> {
        self.rotate_with(Algorithm::Aes256Gcm)
    }

    /// Adds a new random key of `algorithm` and makes it the primary. A new
    /// Fernet key's id is its SHA-256 fingerprint, as for
    /// [`KeySet::from_fernet_key`].
    ///
    /// # Errors
    ///
    /// `Random` if the system random number generator fails; `InvalidKey`
    /// in the (for AES keys, 2^-64-unlikely) case that the new key's id is
    /// already in the set.
    pub fn rotate_with(
        &mut self,
        algorithm: Algorithm,
    ) -> Result<&Key, CryptoError> {
        self.rotate_using(algorithm, &SystemRandom::new())
    }

    pub(crate) fn rotate_using(
        &mut self,
        algorithm: Algorithm,
        rng: &dyn Random,
    ) -> Result<&Key, CryptoError> {
        let key = Key::generate(algorithm, rng, |id| self.get(id).is_some())?;
        self.keys.push(key);
        self.primary = self.keys.len() - 1;
        Ok(&self.keys[self.primary])
    }

    /// Takes the key with this id out of the set, so that nothing it sealed
    /// opens with this set any more.
    ///
    /// # Errors
    ///
    /// `UnknownKey` if the set holds no such key; `InvalidKey` if it is the
    /// primary key (rotate first).
    pub fn remove(&mut self, id: &str) -> Result<Key, CryptoError> {
        let Some(index) = self.keys.iter().position(|k| k.id == id) else {
            return Err(CryptoError::unknown_key(id));
        };
        if index == self.primary {
            return Err(CryptoError::invalid_key_id(
                "is the primary key and cannot be removed",
                id,
            ));
        }
        if index < self.primary {
            self.primary -= 1;
        }
        Ok(self.keys.remove(index))
    }

    /// The pseudonym key of the primary key; see [`TokenKey`].
    pub fn token_key(&self) -> TokenKey {
        TokenKey::new(self.primary())
    }

    /// 32 secret bytes for one purpose (`label`, such as `mailshield
    /// api-key pepper v1`), derived by HKDF-SHA256 from the primary key:
    /// the same key set and label always give the same bytes.
    ///
    /// N.B. Rotating the primary key changes them: what was made under
    /// the old bytes (API key hashes, audit checkpoints) then needs the
    /// key set that made it.
    pub fn derive_secret(&self, label: &[u8]) -> [u8; KEY_LEN] {
        struct Len;
        impl hkdf::KeyType for Len {
            fn len(&self) -> usize {
                KEY_LEN
            }
        }
        let info = [label];
        let prk = hkdf_prk(&self.primary().material[..]);
        let mut out = [0u8; KEY_LEN];
        prk.expand(&info, Len)
            .and_then(|okm| okm.fill(&mut out))
            .expect("N.B. HKDF-SHA256 can expand to 32 bytes");
        out
    }
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("KeySet")
            .field("primary", &self.primary().id)
            .field("keys", &ids)
            .finish()
    }
}

/// The keyed pseudonym function of the `token` redaction operator.
///
/// An HMAC-SHA256 key derived by HKDF-SHA256 (info `mailshield token v1`)
/// from one key. The same key, entity type and value always give the same
/// pseudonym, so redacted archives can still be joined; without the key a
/// pseudonym cannot be tied to its value except by guessing the value and
/// holding the key.
///
/// `Debug` prints the id of the key it was derived from, nothing else.
pub struct TokenKey {
    key_id: String,
    key: hmac::Key,
}

impl TokenKey {
    /// Derives the pseudonym key of `key`.
    pub fn new(key: &Key) -> TokenKey {
        let info = [TOKEN_INFO];
        let prk = hkdf_prk(&key.material[..]);
        let okm = prk
            .expand(&info, hmac::HMAC_SHA256)
            .expect("N.B. HKDF-SHA256 can expand to 32 bytes");
        TokenKey { key_id: key.id.clone(), key: hmac::Key::from(okm) }
    }

    /// The id of the key this was derived from.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The pseudonym of `value` as an entity of `entity_type`: the first 4
    /// bytes of HMAC-SHA256(key, entity_type || 0x00 || value). The protect
    /// layer prints them as 8 hex digits (`[EMAIL:3f9a1c2e]`).
    ///
    /// N.B. The 0x00 separates type and value unambiguously only because
    /// entity types (`EMAIL`, `CREDIT_CARD`) never contain a NUL. With 32
    /// bits, distinct values collide after about 2^16 of one type; a
    /// pseudonym is a join key, not a unique id.
    ///
    /// Linear in the length of `value`.
    ///
    /// # Example
    ///
    /// ```
    /// use mailshield::crypto::KeySet;
    ///
    /// let token = KeySet::generate()?.token_key();
    /// let a = token.pseudonym("EMAIL", b"alice@example.com");
    /// assert_eq!(a, token.pseudonym("EMAIL", b"alice@example.com"));
    /// assert_ne!(a, token.pseudonym("EMAIL", b"bob@example.com"));
    /// # Ok::<(), mailshield::crypto::CryptoError>(())
    /// ```
    pub fn pseudonym(&self, entity_type: &str, value: &[u8]) -> [u8; 4] {
        let mut ctx = hmac::Context::with_key(&self.key);
        ctx.update(entity_type.as_bytes());
        ctx.update(&[0]);
        ctx.update(value);
        let tag = ctx.sign();
        let mut out = [0u8; 4];
        out.copy_from_slice(&tag.as_ref()[..4]);
        out
    }
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenKey")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use base64::engine::general_purpose::STANDARD;

    use super::*;
    use crate::crypto::aead;
    use crate::crypto::testing::{BrokenRandom, FixedRandom};
    use crate::crypto::{CryptoErrorKind, FernetKey};

    /// The Fernet spec's sample key (public test data).
    const SPEC_KEY: &str = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";

    fn material_texts(key: &Key) -> [String; 3] {
        let m = key.material();
        [URL_SAFE.encode(m), STANDARD.encode(m), hex(m)]
    }

    #[test]
    fn fernet_key_id_is_sha256_prefix() {
        let keys = KeySet::from_fernet_key(SPEC_KEY).unwrap();
        let bytes = URL_SAFE.decode(SPEC_KEY).unwrap();
        let digest = digest::digest(&digest::SHA256, &bytes);
        assert_eq!(keys.primary().id(), hex(&digest.as_ref()[..4]));
        assert_eq!(keys.primary().id().len(), 8);
        assert_eq!(keys.primary().algorithm(), Algorithm::Fernet);
    }

    #[test]
    fn key_text_with_surrounding_whitespace_is_accepted() {
        for text in [
            format!("{SPEC_KEY}\n"),
            format!("  {SPEC_KEY}\r\n"),
            format!("\t{SPEC_KEY}"),
        ] {
            let keys = KeySet::from_fernet_key(&text).unwrap();
            let plain = KeySet::from_fernet_key(SPEC_KEY).unwrap();
            assert_eq!(keys.primary().id(), plain.primary().id());
        }
    }

    #[test]
    fn bad_key_texts_are_refused_without_echo() {
        let k31 = URL_SAFE.encode([7u8; 31]);
        let k33 = URL_SAFE.encode([7u8; 33]);
        let unpadded = SPEC_KEY.trim_end_matches('=').to_string();
        let standard = STANDARD.encode([0xfb_u8; 32]);
        assert!(standard.contains('+') || standard.contains('/'));
        let long = URL_SAFE.encode([9u8; 64]);
        let cases = [
            k31,
            k33,
            unpadded,
            standard,
            long,
            "not a key at all, clearly!!".to_string(),
            "cw_0x689RpI-jtRR7oE8h_eQs KImvJapLeSbXpwF4e4=".to_string(),
            String::new(),
            "   \n".to_string(),
        ];
        for text in &cases {
            let err = KeySet::from_fernet_key(text).unwrap_err();
            assert_eq!(err.kind(), CryptoErrorKind::InvalidKey, "{text:?}");
            let err2 = FernetKey::from_base64(text).unwrap_err();
            assert_eq!(err2.kind(), CryptoErrorKind::InvalidKey);
            for shown in [
                err.to_string(),
                format!("{err:?}"),
                err2.to_string(),
                format!("{err2:?}"),
            ] {
                let t = text.trim();
                assert!(t.is_empty() || !shown.contains(t), "{shown}");
                if t.len() >= 8 {
                    assert!(!shown.contains(&t[..8]), "{shown}");
                }
            }
        }
    }

    #[test]
    fn debug_shows_ids_not_material() {
        let mut keys = KeySet::from_fernet_key(SPEC_KEY).unwrap();
        keys.rotate().unwrap();
        let set_debug = format!("{keys:?}");
        for key in keys.iter() {
            assert!(set_debug.contains(key.id()));
            let key_debug = format!("{key:?}");
            assert!(key_debug.contains(key.id()));
            for text in material_texts(key) {
                assert!(!set_debug.contains(&text));
                assert!(!key_debug.contains(&text));
                assert!(!set_debug.contains(&text[..12]));
            }
            let token_debug = format!("{:?}", TokenKey::new(key));
            assert!(token_debug.contains(key.id()));
            assert!(!token_debug.contains(&material_texts(key)[0][..12]));
        }
        assert!(!set_debug.contains(SPEC_KEY));
        assert!(!set_debug.contains(&SPEC_KEY[..12]));
    }

    #[test]
    fn generate_makes_distinct_aes_keys() {
        let a = KeySet::generate().unwrap();
        let b = KeySet::generate().unwrap();
        let (ka, kb) = (a.primary(), b.primary());
        assert_eq!(ka.algorithm(), Algorithm::Aes256Gcm);
        assert!(ka.id().starts_with('k') && ka.id().len() == 17);
        assert!(ka.id()[1..].bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(ka.id(), kb.id());
        assert_ne!(ka.material(), kb.material());
        assert!(ka.created() > 1_600_000_000);
    }

    #[test]
    fn rng_failure_is_an_error() {
        let err = KeySet::generate_with(&BrokenRandom).unwrap_err();
        assert_eq!(err.kind(), CryptoErrorKind::Random);
        let mut keys = KeySet::generate().unwrap();
        let err = keys
            .rotate_using(Algorithm::Aes256Gcm, &BrokenRandom)
            .unwrap_err();
        assert_eq!(err.kind(), CryptoErrorKind::Random);
        assert_eq!(keys.iter().count(), 1);
    }

    #[test]
    fn colliding_generated_id_is_refused() {
        let mut keys = KeySet::generate_with(&FixedRandom(3)).unwrap();
        let err = keys
            .rotate_using(Algorithm::Aes256Gcm, &FixedRandom(3))
            .unwrap_err();
        assert_eq!(err.kind(), CryptoErrorKind::InvalidKey);
        assert_eq!(keys.iter().count(), 1);
    }

    #[test]
    fn rotation_keeps_old_keys_and_remove_drops_them() {
        let mut keys = KeySet::generate().unwrap();
        let old_id = keys.primary().id().to_string();
        let sealed = aead::seal(&keys, b"m-1", b"before rotation").unwrap();
        let new_id = keys.rotate().unwrap().id().to_string();
        assert_ne!(old_id, new_id);
        assert_eq!(keys.primary().id(), new_id);
        assert!(keys.get(&old_id).is_some());
        let opened = aead::open(&keys, b"m-1", sealed.as_bytes()).unwrap();
        assert_eq!(opened, b"before rotation");
        let fresh = aead::seal(&keys, b"m-1", b"after").unwrap();
        assert!(fresh.starts_with(&format!("ms1:{new_id}:")));

        // The primary cannot be removed; the old key can.
        let err = keys.remove(&new_id).unwrap_err();
        assert_eq!(err.kind(), CryptoErrorKind::InvalidKey);
        assert_eq!(err.key_id(), Some(new_id.as_str()));
        let removed = keys.remove(&old_id).unwrap();
        assert_eq!(removed.id(), old_id);
        assert_eq!(keys.primary().id(), new_id);
        let err = aead::open(&keys, b"m-1", sealed.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), CryptoErrorKind::UnknownKey);
        assert_eq!(err.key_id(), Some(old_id.as_str()));
        let err = keys.remove(&old_id).unwrap_err();
        assert_eq!(err.kind(), CryptoErrorKind::UnknownKey);
    }

    #[test]
    fn remove_before_primary_keeps_primary() {
        let mut keys = KeySet::generate().unwrap();
        let first = keys.primary().id().to_string();
        keys.rotate().unwrap();
        let second = keys.primary().id().to_string();
        keys.remove(&first).unwrap();
        assert_eq!(keys.primary().id(), second);
    }

    #[test]
    fn fernet_rotation_uses_fingerprint_ids_and_order() {
        let mut keys = KeySet::from_fernet_key(SPEC_KEY).unwrap();
        let old = keys.primary().id().to_string();
        keys.rotate().unwrap();
        let fern = keys.rotate_with(Algorithm::Fernet).unwrap();
        assert_eq!(fern.id(), fernet_key_id(fern.material()));
        let new = fern.id().to_string();
        let order: Vec<&str> = keys.fernet_keys().map(Key::id).collect();
        assert_eq!(order, [new.as_str(), old.as_str()]);
    }

    #[test]
    fn key_ids() {
        assert!(is_valid_key_id("k0123456789abcdef"));
        assert!(is_valid_key_id("A_b-9"));
        assert!(is_valid_key_id(&"x".repeat(64)));
        assert!(!is_valid_key_id(""));
        assert!(!is_valid_key_id(&"x".repeat(65)));
        for bad in ["a b", "a:b", "a/b", "é", "a\0", "a.b"] {
            assert!(!is_valid_key_id(bad), "{bad:?}");
        }
    }

    #[test]
    fn fernet_subkey_differs_from_fernet_key() {
        // Seal with the HKDF subkey, then check that the raw key bytes used
        // as an AES-256-GCM key do not open it.
        let keys = KeySet::from_fernet_key(SPEC_KEY).unwrap();
        let sealed = aead::seal(&keys, b"m", b"separate").unwrap();
        let raw = Key::from_parts(
            keys.primary().id().to_string(),
            Algorithm::Aes256Gcm,
            decode_key_text(SPEC_KEY).unwrap(),
            0,
        );
        let raw_set = KeySet::from_parts(vec![raw], 0);
        let err = aead::open(&raw_set, b"m", sealed.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), CryptoErrorKind::InvalidEnvelope);
        assert_eq!(
            aead::open(&keys, b"m", sealed.as_bytes()).unwrap(),
            b"separate"
        );
    }

    #[test]
    fn pseudonyms_are_deterministic_and_separated() {
        let keys = KeySet::from_fernet_key(SPEC_KEY).unwrap();
        let t1 = keys.token_key();
        let t2 = KeySet::from_fernet_key(SPEC_KEY).unwrap().token_key();
        assert_eq!(t1.key_id(), keys.primary().id());
        let email = b"alice@example.com";
        let p = t1.pseudonym("EMAIL", email);
        assert_eq!(p, t2.pseudonym("EMAIL", email));
        assert_ne!(p, t1.pseudonym("EMAIL", b"bob@example.com"));
        assert_ne!(p, t1.pseudonym("PHONE", email));
        // The separator keeps type and value apart.
        assert_ne!(t1.pseudonym("AB", b"C"), t1.pseudonym("A", b"BC"));
        let other = KeySet::generate().unwrap().token_key();
        assert_ne!(p, other.pseudonym("EMAIL", email));

        // The pseudonym is HMAC-SHA256 under the HKDF-derived key.
        let info = [TOKEN_INFO];
        let prk = hkdf_prk(keys.primary().material());
        let okm = prk.expand(&info, hmac::HMAC_SHA256).unwrap();
        let key = hmac::Key::from(okm);
        let tag = hmac::sign(&key, b"EMAIL\0alice@example.com");
        assert_eq!(p[..], tag.as_ref()[..4]);
    }

    #[test]
    fn pseudonyms_rarely_collide_over_many_values() {
        let token = KeySet::generate().unwrap().token_key();
        let seen: HashSet<[u8; 4]> = (0..2000u32)
            .map(|i| {
                token.pseudonym("PHONE", format!("+1 555 {i}").as_bytes())
            })
            .collect();
        // 2000 values in 2^32: a collision has probability under 0.05%.
        assert!(seen.len() >= 1999);
    }
}
