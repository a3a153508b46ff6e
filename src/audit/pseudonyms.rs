//! Keyed pseudonyms for the people an audit log names, so that erasing
//! a subject does not mean editing a sealed log (HOSTILE-INPUTS 119).
//!
//! [`Pseudonyms::of`] maps a user id (an address, compared without case)
//! to `p-` and 16 hex digits: HMAC-SHA256 under a random 32-byte key of
//! that subject alone, kept in the store. [`AuditLog::pseudonymize`]
//! writes every event's `user_id` that way, so the log holds no one's
//! id, and one subject's events still share a pseudonym (the threat rules
//! and the report work on it as on any id). While the key exists, the
//! controller can find a subject's events by computing the pseudonym.
//!
//! Erasure destroys the subject's key ([`Store::shred_pseudonym_key`],
//! called by [`crate::gdpr::requests::erasure`]): crypto-shredding. The
//! log is not touched, so its chain and checkpoints still verify; the
//! pseudonyms left in it can no longer be computed from the subject's id
//! by anyone, the controller included. A later event of the same id gets
//! a fresh key and a pseudonym that does not link to the old ones.
//!
//! Limitations: a pseudonym hides the id, not the pattern: events of one
//! pseudonym stay linked to each other, and other fields (a source
//! address, a resource) may still point at the person; details are
//! redacted by the engine, not pseudonymised. Shredding is only as good
//! as the store's deletion (see [`crate::store`]).
//!
//! [`AuditLog::pseudonymize`]: super::AuditLog::pseudonymize

use std::fmt;
use std::sync::Arc;

use ring::hmac;
use ring::rand::{SecureRandom, SystemRandom};

use crate::store::{Store, StoreError};

/// Subjects' pseudonyms, their keys in a store.
#[derive(Clone)]
pub struct Pseudonyms {
    store: Arc<dyn Store>,
}

impl fmt::Debug for Pseudonyms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pseudonyms")
    }
}

impl Pseudonyms {
    /// Pseudonyms keyed in `store`.
    pub fn new(store: Arc<dyn Store>) -> Pseudonyms {
        Pseudonyms { store }
    }

    /// The pseudonym of `id`, making its key on first use.
    ///
    /// # Errors
    ///
    /// When the store fails, or the random generator does.
    pub fn of(&self, id: &str) -> Result<String, StoreError> {
        let subject = id.to_lowercase();
        let mut fresh = [0u8; 32];
        SystemRandom::new().fill(&mut fresh).map_err(|_| {
            StoreError::new("make a pseudonym key", "no random")
        })?;
        let key = self.store.pseudonym_key(&subject, &fresh)?;
        let key = hmac::Key::new(hmac::HMAC_SHA256, &key);
        let tag = hmac::sign(&key, subject.as_bytes());
        let hex: String =
            tag.as_ref()[..8].iter().map(|b| format!("{b:02x}")).collect();
        Ok(format!("p-{hex}"))
    }
}
