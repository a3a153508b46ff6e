//! API keys in the guide's `eb_` format, checked for real (SPEC section
//! 7).
//!
//! A key reads `eb_<id>_<secret>`: `id` is 16 lower-case hex digits
//! (random, not derived from the secret) and `secret` 43 characters of
//! URL-safe base64 without padding (32 random bytes). The key is split at
//! its first two underscores only, so the secret may hold `_` and `-`.
//! The store keeps `HMAC-SHA256(pepper, secret)`, never the secret; the
//! check recomputes it and compares in constant time (`ring::hmac::verify`).
//! The guide looked up the id alone, so any secret passed.
//!
//! [`ApiKeys::check`] answers with a [`Verdict`] whose [`Reason`] tells
//! the host application why a key was refused; what its client sees is
//! the host's choice. Failed secrets lock the key for the source they
//! came from (5 in 15 minutes lock it for 15 minutes, [`Lockout`]), so
//! that someone who knows a key id cannot lock its owner out from
//! elsewhere. Attempts while locked are refused without being checked or
//! counted, and do not extend the lock.
//!
//! Comparison: the only comparison of a secret is
//! `ring::hmac::verify(&pepper, secret, stored_hash)`, which recomputes
//! the MAC and compares it in constant time; no `==` on hashes and not
//! ring's deprecated slice comparison (a unit test reads this file to
//! keep it so). A Welch t-test of that comparison, with stored hashes
//! that match the computed one on their first 0, 16 and 31 bytes, is run
//! by hand (`cargo test --lib auth::tests::welch -- --ignored
//! --nocapture`): the machines CI runs on are too noisy for a timing
//! test to pass or fail reliably.
//!
//! No checksum (HOSTILE-INPUTS 86, decided against): a GitHub-style
//! CRC32 suffix would let a typo be refused before the store is read,
//! and secret scanners tell real keys from look-alikes offline. The key
//! format is the guide's, fixed by SPEC section 7 so that existing hosts
//! keep parsing it, and a suffix would change it. Without one, a typo or
//! a random near-miss is refused like any wrong secret: one indexed read
//! and the keyed hash, `forged` or `unknown`. The fixed shape (`eb_`, 16
//! lower-case hex, 43 base64url characters) already keeps the default
//! pack's `API_KEY` detector precise. A later format (`eb2_`) could add
//! one; this one does not.
//!
//! Limitations: the check does the same hashing whatever fails, but the
//! store lookups it makes differ (an unknown id reads one row, a known one
//! more), so its time is not fully independent of the reason.

pub mod jwt;

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};
use serde::Serialize;

use crate::crypto::KeySet;
use crate::store::{KeyRecord, Lockout, Store, StoreError};

/// The label of the pepper a key set gives API keys
/// ([`KeySet::derive_secret`]): the command line and the C ABI use it, so
/// keys made by one are checked by the other.
pub const PEPPER_LABEL: &[u8] = b"mailshield api-key pepper v1";

/// How long a new key is valid: 90 days.
pub const KEY_LIFETIME: u64 = 90 * 24 * 60 * 60;

/// Why a key was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reason {
    /// Not a key of this grammar, or no key has its id.
    Unknown,
    /// The id is known and the secret is wrong.
    Forged,
    /// Past its expiry (or, for a damaged record, before its creation).
    Expired,
    /// Revoked.
    Revoked,
    /// Too many failed secrets from this source lately.
    Locked,
}

impl Reason {
    /// The reason as the JSON of `keys check` writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Unknown => "unknown",
            Reason::Forged => "forged",
            Reason::Expired => "expired",
            Reason::Revoked => "revoked",
            Reason::Locked => "locked",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The answer to one key check.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// The key is accepted.
    pub valid: bool,
    /// Why not, when it is refused.
    pub reason: Option<Reason>,
    /// The key's owner, when accepted.
    pub user_id: Option<String>,
    /// Its permissions, when accepted.
    pub permissions: Vec<String>,
}

impl Verdict {
    fn refused(reason: Reason) -> Verdict {
        Verdict {
            valid: false,
            reason: Some(reason),
            user_id: None,
            permissions: Vec::new(),
        }
    }
}

/// An error making or checking keys: the store failed, or the random
/// generator did. It never holds a key.
#[derive(Debug)]
pub enum AuthError {
    /// The store could not be read or written.
    Store(StoreError),
    /// The system random generator failed.
    Random,
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::Store(e) => e.fmt(f),
            AuthError::Random => f.write_str("the random generator failed"),
        }
    }
}

impl std::error::Error for AuthError {}

impl From<StoreError> for AuthError {
    fn from(e: StoreError) -> AuthError {
        AuthError::Store(e)
    }
}

/// A key split into its parts.
struct Parsed<'k> {
    id: &'k str,
    secret: [u8; 32],
}

/// Splits `eb_<id>_<secret>` at its first two underscores and checks
/// each part's grammar: `None` for anything else.
fn parse(key: &str) -> Option<Parsed<'_>> {
    let rest = key.strip_prefix("eb_")?;
    let (id, secret) = rest.split_once('_')?;
    let hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
    if id.len() != 16 || !id.bytes().all(hex) || secret.len() != 43 {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(secret).ok()?;
    Some(Parsed { id, secret: bytes.try_into().ok()? })
}

/// API keys over a store, hashed under a pepper that the store never
/// sees.
pub struct ApiKeys<S: Store> {
    store: S,
    pepper: hmac::Key,
    lockout: Lockout,
}

impl<S: Store> fmt::Debug for ApiKeys<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeys").field("lockout", &self.lockout).finish()
    }
}

impl<S: Store> ApiKeys<S> {
    /// Keys in `store`, hashed under `pepper` (32 secret bytes kept
    /// outside the store, such as a key of the key set).
    pub fn new(store: S, pepper: &[u8; 32]) -> ApiKeys<S> {
        ApiKeys {
            store,
            pepper: hmac::Key::new(hmac::HMAC_SHA256, pepper),
            lockout: Lockout::default(),
        }
    }

    /// Keys in `store`, peppered by `keys` ([`PEPPER_LABEL`]).
    pub fn with_key_set(store: S, keys: &KeySet) -> ApiKeys<S> {
        ApiKeys::new(store, &keys.derive_secret(PEPPER_LABEL))
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Makes a key for `user_id` with `permissions`, valid for 90 days
    /// from `now` (Unix seconds). Returns the key, to hand over once; only
    /// its hash is kept.
    ///
    /// # Errors
    ///
    /// When the random generator or the store fails.
    pub fn create(
        &self,
        user_id: &str,
        permissions: &[String],
        now: u64,
    ) -> Result<String, AuthError> {
        let rng = SystemRandom::new();
        let mut id = [0u8; 8];
        let mut secret = [0u8; 32];
        rng.fill(&mut id).map_err(|_| AuthError::Random)?;
        rng.fill(&mut secret).map_err(|_| AuthError::Random)?;
        let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
        let record = KeyRecord {
            id: id.clone(),
            secret_hash: self.hash(&secret),
            user_id: user_id.to_string(),
            permissions: permissions.to_vec(),
            created_at: now,
            expires_at: now + KEY_LIFETIME,
            revoked: false,
            last_used: None,
            usage_count: 0,
        };
        self.store.insert_key(&record)?;
        Ok(format!("eb_{id}_{}", URL_SAFE_NO_PAD.encode(secret)))
    }

    fn hash(&self, secret: &[u8; 32]) -> [u8; 32] {
        let tag = hmac::sign(&self.pepper, secret);
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }

    /// Checks `key` presented from `source` (an address, a client id) at
    /// `now` (Unix seconds); counts the use when it is accepted, the
    /// failure when its secret is wrong.
    ///
    /// # Errors
    ///
    /// When the store fails; a refused key is a [`Verdict`], not an error.
    pub fn check(
        &self,
        key: &str,
        source: &str,
        now: u64,
    ) -> Result<Verdict, AuthError> {
        // The grammar and the id; the hashing happens either way.
        let parsed = parse(key);
        let secret = parsed.as_ref().map_or([0; 32], |p| p.secret);
        let record = match &parsed {
            Some(p) => self.store.key(p.id)?,
            None => None,
        };
        let stored = record.as_ref().map_or([0; 32], |r| r.secret_hash);
        let secret_ok = hmac::verify(&self.pepper, &secret, &stored).is_ok();
        let Some(record) = record else {
            return Ok(Verdict::refused(Reason::Unknown));
        };

        // A locked pair is refused before the secret counts.
        if self.store.locked_until(&record.id, source, now)?.is_some() {
            return Ok(Verdict::refused(Reason::Locked));
        }
        if !secret_ok {
            let f = self.store.record_failure(
                &record.id,
                source,
                now,
                &self.lockout,
            )?;
            // Locked by a concurrent attempt since the check above.
            let reason =
                if f.already_locked { Reason::Locked } else { Reason::Forged };
            return Ok(Verdict::refused(reason));
        }

        // A right secret: the key's own state.
        if now >= record.expires_at || now < record.created_at {
            return Ok(Verdict::refused(Reason::Expired));
        }
        if record.revoked {
            return Ok(Verdict::refused(Reason::Revoked));
        }
        self.store.record_use(&record.id, now)?;
        Ok(Verdict {
            valid: true,
            reason: None,
            user_id: Some(record.user_id),
            permissions: record.permissions,
        })
    }

    /// Revokes the key with this id; false when there is none.
    ///
    /// # Errors
    ///
    /// When the store fails.
    pub fn revoke(&self, id: &str) -> Result<bool, AuthError> {
        Ok(self.store.revoke(id)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SqliteStore;

    const PEPPER: [u8; 32] = [9; 32];
    const T0: u64 = 1_780_000_000;

    fn keys() -> ApiKeys<SqliteStore> {
        ApiKeys::new(SqliteStore::in_memory().unwrap(), &PEPPER)
    }

    fn perms() -> Vec<String> {
        vec!["scan".to_string()]
    }

    #[test]
    fn a_new_key_is_accepted_and_counted() {
        let k = keys();
        let key = k.create("u1", &perms(), T0).unwrap();
        assert_eq!(key.len(), 3 + 16 + 1 + 43);
        let v = k.check(&key, "10.0.0.1", T0 + 5).unwrap();
        assert_eq!(
            v,
            Verdict {
                valid: true,
                reason: None,
                user_id: Some("u1".into()),
                permissions: perms()
            }
        );
        let id = &key[3..19];
        let stored = k.store().key(id).unwrap().unwrap();
        assert_eq!(stored.usage_count, 1);
        assert_eq!(stored.last_used, Some(T0 + 5));
        // Only the keyed hash of the secret is stored.
        let secret = URL_SAFE_NO_PAD.decode(&key[20..]).unwrap();
        assert_ne!(stored.secret_hash.as_slice(), secret.as_slice());
        assert_eq!(stored.secret_hash, k.hash(&secret.try_into().unwrap()));
    }

    #[test]
    fn a_forged_secret_with_a_real_id_is_refused() {
        let k = keys();
        let key = k.create("u1", &perms(), T0).unwrap();
        let forged = format!("{}{}", &key[..20], "A".repeat(43));
        let v = k.check(&forged, "a", T0).unwrap();
        assert_eq!(v, Verdict::refused(Reason::Forged));
    }

    #[test]
    fn expired_revoked_and_future_keys_are_refused_with_their_reason() {
        let k = keys();
        let key = k.create("u1", &perms(), T0).unwrap();
        let end = T0 + KEY_LIFETIME;
        assert!(k.check(&key, "a", end - 1).unwrap().valid);
        assert_eq!(
            k.check(&key, "a", end).unwrap().reason,
            Some(Reason::Expired)
        );
        assert_eq!(
            k.check(&key, "a", T0 - 1).unwrap().reason,
            Some(Reason::Expired)
        );
        assert!(k.revoke(&key[3..19]).unwrap());
        assert_eq!(
            k.check(&key, "a", T0 + 1).unwrap().reason,
            Some(Reason::Revoked)
        );
    }

    #[test]
    fn the_grammar_is_strict_and_its_failures_look_unknown() {
        let k = keys();
        let key = k.create("u1", &perms(), T0).unwrap();
        let (id, secret) = (&key[3..19], &key[20..]);
        let bad = [
            format!("EB_{id}_{secret}"),
            format!("{id}_{secret}"),
            format!("eb_{}_{secret}", id.to_uppercase()),
            format!("eb_{id}_{}", &secret[..42]),
            format!("eb_{id}_{secret}A"),
            format!("eb_{id}_{secret}="),
            format!("eb\u{ff3f}{id}_{secret}"),
            format!("eb_{id}\u{2017}{secret}"),
            String::new(),
        ];
        for b in &bad {
            let v = k.check(b, "a", T0).unwrap();
            assert_eq!(v.reason, Some(Reason::Unknown), "{b:?}");
        }
        // No failure was counted against the real key.
        assert!(k.check(&key, "a", T0).unwrap().valid);
    }

    #[test]
    fn secrets_may_hold_underscores_and_dashes() {
        // The secret is everything after the second underscore.
        let secret = [0xfb; 32];
        let text = URL_SAFE_NO_PAD.encode(secret);
        assert!(text.contains('_') || text.contains('-'));
        let key = format!("eb_0123456789abcdef_{text}");
        let p = parse(&key).unwrap();
        assert_eq!((p.id, p.secret), ("0123456789abcdef", secret));
        let dashes = format!("eb_0123456789abcdef_-{}", &text[1..]);
        assert!(parse(&dashes).is_some());
    }

    #[test]
    fn five_failures_lock_the_source_for_fifteen_minutes_only() {
        let k = keys();
        let key = k.create("u1", &perms(), T0).unwrap();
        let forged =
            format!("{}{}", &key[..20], URL_SAFE_NO_PAD.encode([1; 32]));
        for minute in 0..5 {
            let v = k.check(&forged, "attacker", T0 + minute * 60).unwrap();
            assert_eq!(v.reason, Some(Reason::Forged), "{minute}");
        }
        let fifth = T0 + 4 * 60;
        // The right key from the attacker's source: locked, and the answer
        // does not tell that the key was right.
        for at in [T0 + 5 * 60, fifth + 14 * 60 + 59] {
            let v = k.check(&key, "attacker", at).unwrap();
            assert_eq!(v, Verdict::refused(Reason::Locked));
        }
        // The owner, from elsewhere, is not locked out.
        assert!(k.check(&key, "owner", T0 + 5 * 60).unwrap().valid);
        // Unlocked 15 minutes after the fifth failure.
        assert!(k.check(&key, "attacker", fifth + 15 * 60 + 1).unwrap().valid);
    }

    #[test]
    fn four_failures_do_not_lock_and_locked_attempts_are_not_counted() {
        let k = keys();
        let key = k.create("u1", &perms(), T0).unwrap();
        let forged =
            format!("{}{}", &key[..20], URL_SAFE_NO_PAD.encode([2; 32]));
        for i in 0..4 {
            k.check(&forged, "a", T0 + i).unwrap();
        }
        assert!(k.check(&key, "a", T0 + 10).unwrap().valid);
        k.check(&forged, "a", T0 + 20).unwrap();
        assert_eq!(
            k.check(&forged, "a", T0 + 30).unwrap().reason,
            Some(Reason::Locked)
        );
        let lock = k.store().locked_until(&key[3..19], "a", T0 + 30).unwrap();
        assert_eq!(lock, Some(T0 + 20 + 900));
    }

    // HOSTILE 85, the code-review half: the secret is compared by
    // ring::hmac::verify only.
    #[test]
    fn the_secret_is_compared_by_hmac_verify_only() {
        let source = include_str!("mod.rs");
        let code = &source[..source.find("#[cfg(test)]").unwrap()];
        let verify = "hmac::verify(&self.pepper, &secret, &stored)";
        assert_eq!(code.matches(verify).count(), 1);
        for banned in
            ["constant_time", "secret_hash ==", "== stored", "stored =="]
        {
            assert!(!code.contains(banned), "{banned}");
        }
    }

    /// Welch's t statistic of two samples.
    fn welch_t(a: &[f64], b: &[f64]) -> f64 {
        let stats = |x: &[f64]| {
            let n = x.len() as f64;
            let mean = x.iter().sum::<f64>() / n;
            let var =
                x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
            (mean, var, n)
        };
        let ((ma, va, na), (mb, vb, nb)) = (stats(a), stats(b));
        (ma - mb) / (va / na + vb / nb).sqrt()
    }

    // HOSTILE 85, by hand: 10^5 comparisons per class against stored
    // hashes that match on their first 0, 16 and 31 bytes, interleaved;
    // |t| under 4.5 (the usual bound) is no evidence of a leak.
    #[test]
    #[ignore = "by hand: a timing measurement, too noisy for CI"]
    fn welch_t_test_of_the_secret_comparison_by_hand() {
        use std::time::Instant;
        let k = keys();
        let secret = [0x5a; 32];
        let right = k.hash(&secret);
        let stored = |prefix: usize| {
            let mut h = right;
            h[prefix] ^= 0x01;
            h
        };
        let classes = [stored(0), stored(16), stored(31)];
        let mut times = [Vec::new(), Vec::new(), Vec::new()];
        for round in 0..100_000 {
            // Each class first in turn, so order does not bias one.
            for c in (0..3).map(|i| (i + round) % 3) {
                let h = &classes[c];
                let start = Instant::now();
                let ok = hmac::verify(&k.pepper, &secret, h).is_ok();
                let ns = start.elapsed().as_nanos() as f64;
                assert!(!ok);
                times[c].push(ns);
            }
        }
        for (name, c) in [("0 vs 16", 1), ("0 vs 31", 2)] {
            let t = welch_t(&times[0], &times[c]);
            println!("prefix {name}: t = {t:.2}");
        }
        let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
        let median = |x: &mut Vec<f64>| {
            x.sort_by(f64::total_cmp);
            x[x.len() / 2]
        };
        let means = times.each_ref().map(|x| mean(x));
        let medians = times.each_mut().map(median);
        println!("mean ns: {means:.0?}, median ns: {medians:.0?}");
    }

    // HOSTILE 86, without a checksum: the default pack's secret detector
    // finds every generated key whole, and no near-miss of its shape.
    #[test]
    fn the_default_pack_finds_generated_keys_and_not_near_misses() {
        let engine = crate::engine::Engine::builtin("default").unwrap();
        let found = |text: &str| -> Vec<(String, String)> {
            let pack = engine.pack();
            engine
                .scan(text.as_bytes())
                .findings
                .iter()
                .map(|f| {
                    let name = pack.entities[f.entity].name.clone();
                    (name, text[f.span.start..f.span.end].to_string())
                })
                .collect()
        };
        let k = keys();
        for i in 0..50 {
            let key = k.create("u1", &perms(), T0 + i).unwrap();
            let text = format!("the key is {key} for the build");
            assert_eq!(found(&text), [("API_KEY".to_string(), key.clone())]);
            let (id, secret) = (&key[3..19], &key[20..]);
            // An id of digits alone has no upper case: make one of its
            // digits a capital instead, so that each is a near miss.
            let upper = match id.to_uppercase() {
                u if u != id => u,
                _ => format!("A{}", &id[1..]),
            };
            for near in [
                format!("eb_{upper}_{secret}"),
                format!("eb_{id}_{}", &secret[..42]),
                format!("eb-{id}_{secret}"),
            ] {
                let text = format!("the key is {near} for the build");
                let hits = found(&text);
                assert!(
                    hits.iter().all(|(n, _)| n != "API_KEY"),
                    "{near}: {hits:?}"
                );
            }
        }
    }
}
