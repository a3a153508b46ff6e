//! Keys: `mailshield keygen`, and loading a key set for a run.
//!
//! A key set comes from `--key-file FILE` (the JSON key-set file `keygen`
//! writes) or from `MAILSHIELD_KEY` (one Fernet-style key), never from an
//! argument, so it never shows in a process list. No message here ever
//! holds key material.

use std::path::Path;

use mailshield::crypto::{Algorithm, KeySet};

use super::{Fatal, Status};

/// The key set of a run.
///
/// # Errors
///
/// When neither source gives one, or the one given does not load.
pub(crate) fn load(key_file: Option<&Path>) -> Result<KeySet, Fatal> {
    if let Some(path) = key_file {
        return KeySet::load(path).map_err(|e| Fatal(e.to_string()));
    }
    match std::env::var("MAILSHIELD_KEY") {
        Ok(text) => KeySet::from_fernet_key(&text)
            .map_err(|e| Fatal(format!("MAILSHIELD_KEY: {e}"))),
        Err(_) => Err(Fatal(
            "no key: give --key-file FILE or set MAILSHIELD_KEY".into(),
        )),
    }
}

/// Writes a new key set with one Fernet key, which seals both ways
/// (Fernet directly, AES-256-GCM through a derived subkey).
///
/// # Errors
///
/// When the file exists or cannot be written.
pub(crate) fn keygen(out: &Path) -> Result<Status, Fatal> {
    let mut keys = KeySet::generate()?;
    let first = keys.primary().id().to_string();
    keys.rotate_with(Algorithm::Fernet)?;
    keys.remove(&first)?;
    keys.write_new(out)?;
    super::report::line(&format!(
        "{}: new key set, key id {}",
        out.display(),
        keys.primary().id()
    ));
    Ok(Status::Ok)
}
