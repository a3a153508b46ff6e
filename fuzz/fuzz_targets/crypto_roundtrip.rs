//! Sealing and opening, with one fixed key set (a Fernet key, which also
//! seals `ms1` envelopes through its derived AES-256-GCM subkey):
//!
//! - decrypt(encrypt(x)) == x for both ciphers, the first input byte
//!   choosing how much of the rest is the message id;
//! - a sealed value with one bit flipped (chosen by the input) never
//!   opens;
//! - the input itself, opened as an envelope and as a Fernet token, never
//!   panics and never opens: success on bytes the fuzzer made up would be
//!   a forgery. (The seed corpus holds no valid sealed values, and nothing
//!   in it is sealed under this key.)
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mailshield::crypto::{KeySet, aead, fernet, unix_now};

/// A fixed Fernet key of the crate's own documentation.
const KEY: &str = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=";

fn keys() -> &'static KeySet {
    static KEYS: OnceLock<KeySet> = OnceLock::new();
    KEYS.get_or_init(|| KeySet::from_fernet_key(KEY).unwrap())
}

/// `sealed` with bit `at` (modulo its length in bits) flipped.
fn flipped(sealed: &str, at: usize) -> Vec<u8> {
    let mut bytes = sealed.as_bytes().to_vec();
    let bit = at % (bytes.len() * 8);
    bytes[bit / 8] ^= 1 << (bit % 8);
    bytes
}

fuzz_target!(|data: &[u8]| {
    let keys = keys();
    let now = unix_now();
    let (id_len, rest) = match data.split_first() {
        Some((&n, rest)) => (usize::from(n).min(rest.len()), rest),
        None => (0, data),
    };
    let (message_id, plaintext) = rest.split_at(id_len);
    let flip =
        data.iter().fold(0usize, |h, &b| h.wrapping_mul(31) ^ b as usize);

    // AES-256-GCM envelope.
    let sealed = aead::seal(keys, message_id, plaintext).unwrap();
    assert!(aead::is_envelope(sealed.as_bytes()));
    let opened = aead::open(keys, message_id, sealed.as_bytes()).unwrap();
    assert_eq!(opened, plaintext, "aead round trip");
    let bad = flipped(&sealed, flip);
    assert!(aead::open(keys, message_id, &bad).is_err(), "flipped envelope");

    // Fernet token.
    let token = fernet::encrypt_with_keys(keys, plaintext).unwrap();
    let opened =
        fernet::decrypt_with_keys(keys, token.as_bytes(), None, now).unwrap();
    assert_eq!(opened, plaintext, "fernet round trip");
    let opened =
        fernet::decrypt_with_keys(keys, token.as_bytes(), Some(60), now)
            .unwrap();
    assert_eq!(opened, plaintext, "fernet round trip with a ttl");
    let bad = flipped(&token, flip);
    assert!(
        fernet::decrypt_with_keys(keys, &bad, None, now).is_err(),
        "flipped token"
    );

    // The input as a sealed value.
    assert!(aead::open(keys, message_id, data).is_err(), "forged envelope");
    assert!(aead::open(keys, b"", data).is_err(), "forged envelope");
    for ttl in [None, Some(0), Some(u64::MAX)] {
        for at in [now, 0, u64::MAX] {
            assert!(
                fernet::decrypt_with_keys(keys, data, ttl, at).is_err(),
                "forged token"
            );
        }
    }
});
