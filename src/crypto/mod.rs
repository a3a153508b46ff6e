//! Encryption at rest: AEAD envelopes, Fernet tokens and key sets.
//!
//! This layer seals the protected copy of a message so that only a holder
//! of the key can read it, and opens what earlier runs (or the Python
//! tooling mailshield replaces) sealed. It has three parts:
//!
//! - [`aead`]: `ms1` envelopes, AES-256-GCM through `ring` with a fresh
//!   random 96-bit nonce per seal and the key id and message id bound as
//!   associated data. This is the default cipher.
//! - [`fernet`]: Fernet tokens (AES-128-CBC and HMAC-SHA256), read and
//!   written byte-compatibly with Python's `cryptography.fernet`, so that
//!   archives encrypted by the Python tooling can be opened and tokens made
//!   here open there.
//! - [`keyset`]: [`KeySet`], a list of identified [`Key`]s with one primary
//!   key for new seals and older keys kept for opening (rotation), loaded
//!   from and written to a JSON key-set file or taken from one Fernet key
//!   (the `MAILSHIELD_KEY` form); and [`TokenKey`], the keyed pseudonym
//!   function behind the `token` redaction operator.
//!
//! Every failure is a [`CryptoError`]. Its message names the file, field or
//! key id at fault and never carries key material, plaintext, ciphertext or
//! token bytes. All Fernet token failures are one kind,
//! [`CryptoErrorKind::InvalidToken`], with one message, whatever check
//! failed, so that an error cannot serve as an oracle.
//!
//! Key separation: a key's bytes serve one algorithm only. A Fernet key's 32
//! bytes are its Fernet signing and encryption keys; the AES-256-GCM key
//! and the pseudonym key of a key set are derived from a key by HKDF-SHA256
//! with distinct `info` strings (`mailshield aes-256-gcm v1`, `mailshield
//! token v1`).
//!
//! # Limitations
//!
//! - Everything is in memory: a body is sealed or opened whole. Envelopes
//!   and tokens over [`aead::MAX_ENVELOPE_LEN`] and
//!   [`fernet::MAX_TOKEN_LEN`] are refused before decoding.
//! - Nonces are random, not counted. The usual bound for random 96-bit GCM
//!   nonces is 2^32 seals under one key; nothing counts seals across runs,
//!   so rotate keys ([`KeySet::rotate`]) long before that.
//! - Key bytes held by mailshield's own types are wiped on drop (the
//!   `zeroize` crate). The key schedules inside `ring` and `aes`, copies in
//!   the JSON parser's scratch space and whatever the caller holds are not.
//! - The key-set file is protected by its file mode (0600) alone; it is not
//!   itself encrypted, and concurrent writers are not locked out.
//! - Fernet parsing is stricter than Python's; see [`fernet`] for what it
//!   refuses that Python accepts.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

pub mod aead;
pub mod fernet;
pub mod keyset;

mod keyfile;
mod time;

pub use fernet::FernetKey;
pub use keyset::{Algorithm, Key, KeySet, TokenKey};

/// The current Unix time in whole seconds, for [`fernet::decrypt`]'s `now`.
///
/// A clock that reads before 1970 gives 0.
pub fn unix_now() -> u64 {
    time::now()
}

/// Unix seconds as RFC 3339 UTC, `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_rfc3339(secs: u64) -> String {
    time::format_utc(secs)
}

/// An RFC 3339 date-time (`Z` or an offset; a fraction is dropped) as
/// Unix seconds; `None` for anything else and for instants before 1970.
pub fn parse_rfc3339(text: &str) -> Option<u64> {
    time::parse(text)
}

/// The error of every fallible operation of the crypto layer.
///
/// Match on [`CryptoError::kind`]; the `Display` text is for people. It is
/// lower case, names the file, field or key id at fault where there is one,
/// and never contains key material, plaintext, ciphertext or token bytes.
#[derive(Debug)]
pub struct CryptoError {
    kind: ErrorKind,
}

/// What kind of failure a [`CryptoError`] is.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CryptoErrorKind {
    /// A key, or a key id, is malformed or does not fit the operation.
    InvalidKey,
    /// A Fernet token failed a check. Which one is deliberately not said.
    InvalidToken,
    /// An `ms1` envelope is malformed or did not authenticate.
    InvalidEnvelope,
    /// An envelope or request names a key id the key set does not hold.
    UnknownKey,
    /// An input is over a size limit, checked before decoding.
    TooLarge,
    /// The system random number generator failed.
    Random,
    /// A key-set file could not be read, parsed or written.
    KeyFile,
}

#[derive(Debug)]
enum ErrorKind {
    InvalidKey { reason: &'static str, id: Option<String> },
    InvalidToken,
    InvalidEnvelope(&'static str),
    UnknownKey(Option<String>),
    TooLarge { what: &'static str, len: usize, max: usize },
    Random,
    KeyFile(Box<KeyFileError>),
}

#[derive(Debug)]
struct KeyFileError {
    path: PathBuf,
    field: Option<String>,
    reason: String,
    source: Option<io::Error>,
}

impl CryptoError {
    /// What kind of failure this is.
    pub fn kind(&self) -> CryptoErrorKind {
        match self.kind {
            ErrorKind::InvalidKey { .. } => CryptoErrorKind::InvalidKey,
            ErrorKind::InvalidToken => CryptoErrorKind::InvalidToken,
            ErrorKind::InvalidEnvelope(_) => CryptoErrorKind::InvalidEnvelope,
            ErrorKind::UnknownKey(_) => CryptoErrorKind::UnknownKey,
            ErrorKind::TooLarge { .. } => CryptoErrorKind::TooLarge,
            ErrorKind::Random => CryptoErrorKind::Random,
            ErrorKind::KeyFile(_) => CryptoErrorKind::KeyFile,
        }
    }

    /// The key id at fault, for `UnknownKey` and some `InvalidKey` errors.
    pub fn key_id(&self) -> Option<&str> {
        match &self.kind {
            ErrorKind::InvalidKey { id, .. } => id.as_deref(),
            ErrorKind::UnknownKey(id) => id.as_deref(),
            _ => None,
        }
    }

    /// The key-set file at fault, for `KeyFile` errors.
    pub fn path(&self) -> Option<&Path> {
        match &self.kind {
            ErrorKind::KeyFile(e) => Some(&e.path),
            _ => None,
        }
    }

    /// The field of the key-set file at fault (`keys[1].key`), if any.
    pub fn field(&self) -> Option<&str> {
        match &self.kind {
            ErrorKind::KeyFile(e) => e.field.as_deref(),
            _ => None,
        }
    }

    pub(crate) fn invalid_key(reason: &'static str) -> CryptoError {
        CryptoError { kind: ErrorKind::InvalidKey { reason, id: None } }
    }

    /// `id` must already be a valid key id: it is printed.
    pub(crate) fn invalid_key_id(
        reason: &'static str,
        id: &str,
    ) -> CryptoError {
        let id = Some(id.to_string());
        CryptoError { kind: ErrorKind::InvalidKey { reason, id } }
    }

    pub(crate) fn invalid_token() -> CryptoError {
        CryptoError { kind: ErrorKind::InvalidToken }
    }

    pub(crate) fn invalid_envelope(reason: &'static str) -> CryptoError {
        CryptoError { kind: ErrorKind::InvalidEnvelope(reason) }
    }

    /// The id is printed only when it is a well-formed key id, so that a
    /// caller's arbitrary bytes never reach the message.
    pub(crate) fn unknown_key(id: &str) -> CryptoError {
        let id = keyset::is_valid_key_id(id).then(|| id.to_string());
        CryptoError { kind: ErrorKind::UnknownKey(id) }
    }

    pub(crate) fn too_large(
        what: &'static str,
        len: usize,
        max: usize,
    ) -> CryptoError {
        CryptoError { kind: ErrorKind::TooLarge { what, len, max } }
    }

    pub(crate) fn random() -> CryptoError {
        CryptoError { kind: ErrorKind::Random }
    }

    /// `reason` is written by this crate, never copied from the file.
    pub(crate) fn key_file(
        path: &Path,
        field: Option<String>,
        reason: impl Into<String>,
    ) -> CryptoError {
        let e = KeyFileError {
            path: path.to_path_buf(),
            field,
            reason: reason.into(),
            source: None,
        };
        CryptoError { kind: ErrorKind::KeyFile(Box::new(e)) }
    }

    pub(crate) fn key_file_io(
        path: &Path,
        reason: &'static str,
        source: io::Error,
    ) -> CryptoError {
        let e = KeyFileError {
            path: path.to_path_buf(),
            field: None,
            reason: reason.to_string(),
            source: Some(source),
        };
        CryptoError { kind: ErrorKind::KeyFile(Box::new(e)) }
    }
}

impl fmt::Display for CryptoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ErrorKind::InvalidKey { reason, id: Some(id) } => {
                write!(f, "invalid key {id}: {reason}")
            }
            ErrorKind::InvalidKey { reason, id: None } => {
                write!(f, "invalid key: {reason}")
            }
            ErrorKind::InvalidToken => write!(f, "invalid fernet token"),
            ErrorKind::InvalidEnvelope(reason) => {
                write!(f, "invalid envelope: {reason}")
            }
            ErrorKind::UnknownKey(Some(id)) => {
                write!(f, "unknown key id {id}")
            }
            ErrorKind::UnknownKey(None) => write!(f, "unknown key id"),
            ErrorKind::TooLarge { what, len, max } => {
                write!(f, "{what} too large: {len} bytes, limit {max}")
            }
            ErrorKind::Random => {
                write!(f, "the system random number generator failed")
            }
            ErrorKind::KeyFile(e) => {
                write!(f, "key file {}: ", e.path.display())?;
                if let Some(field) = &e.field {
                    write!(f, "field {field}: ")?;
                }
                write!(f, "{}", e.reason)?;
                if let Some(source) = &e.source {
                    write!(f, ": {source}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for CryptoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            ErrorKind::KeyFile(e) => {
                e.source.as_ref().map(|s| s as &dyn std::error::Error)
            }
            _ => None,
        }
    }
}

/// Where random bytes come from: the system generator, or in tests one
/// that fails on purpose.
///
/// `ring`'s `SecureRandom` is sealed, so this seam is ours. A failure is
/// always an error; nothing falls back to a weaker source.
pub(crate) trait Random {
    fn fill(&self, dest: &mut [u8]) -> Result<(), CryptoError>;
}

impl Random for ring::rand::SystemRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<(), CryptoError> {
        ring::rand::SecureRandom::fill(self, dest)
            .map_err(|_| CryptoError::random())
    }
}

/// Lower-case hex of some bytes (ids, never key material).
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

#[cfg(test)]
pub(crate) mod testing {
    //! Test helpers shared by the crypto unit tests.

    use super::{CryptoError, Random};

    /// A generator that always fails, as a broken `getrandom` would.
    pub(crate) struct BrokenRandom;

    impl Random for BrokenRandom {
        fn fill(&self, _dest: &mut [u8]) -> Result<(), CryptoError> {
            Err(CryptoError::random())
        }
    }

    /// A generator that repeats one byte, to pin nonces in tests.
    pub(crate) struct FixedRandom(pub(crate) u8);

    impl Random for FixedRandom {
        fn fill(&self, dest: &mut [u8]) -> Result<(), CryptoError> {
            dest.fill(self.0);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_messages() {
        let cases = [
            (CryptoError::invalid_token(), CryptoErrorKind::InvalidToken),
            (CryptoError::random(), CryptoErrorKind::Random),
            (
                CryptoError::invalid_envelope("x"),
                CryptoErrorKind::InvalidEnvelope,
            ),
            (CryptoError::too_large("t", 2, 1), CryptoErrorKind::TooLarge),
        ];
        for (err, kind) in cases {
            assert_eq!(err.kind(), kind);
            let text = err.to_string();
            assert_eq!(text, text.to_lowercase(), "{text}");
        }
    }

    #[test]
    fn unknown_key_prints_only_well_formed_ids() {
        let err = CryptoError::unknown_key("k0123456789abcdef");
        assert_eq!(err.to_string(), "unknown key id k0123456789abcdef");
        assert_eq!(err.key_id(), Some("k0123456789abcdef"));
        let err = CryptoError::unknown_key("sec ret\n");
        assert_eq!(err.to_string(), "unknown key id");
        assert!(!format!("{err:?}").contains("sec ret"));
        assert_eq!(err.key_id(), None);
    }

    #[test]
    fn key_file_names_path_and_field_and_keeps_source() {
        let path = Path::new("/nonexistent/keys.json");
        let err = CryptoError::key_file(
            path,
            Some("keys[0].key".into()),
            "not urlsafe base64 of 32 bytes",
        );
        assert_eq!(
            err.to_string(),
            "key file /nonexistent/keys.json: field keys[0].key: \
             not urlsafe base64 of 32 bytes"
        );
        assert_eq!(err.field(), Some("keys[0].key"));
        assert_eq!(err.path(), Some(path));
        let io = io::Error::from(io::ErrorKind::NotFound);
        let err = CryptoError::key_file_io(path, "cannot open", io);
        assert!(std::error::Error::source(&err).is_some());
        assert!(err.to_string().starts_with("key file /nonexistent"));
    }

    #[test]
    fn hex_is_lower_case() {
        assert_eq!(hex(&[0x00, 0x9f, 0xa0, 0xff]), "009fa0ff");
    }
}
