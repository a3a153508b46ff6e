//! `mailshield keys create|check|revoke`: API keys in the store.
//!
//! The store is `--store FILE`, else `MAILSHIELD_STORE`, else
//! `mailshield.db` in the working directory. Key hashes are keyed with a
//! pepper derived from the key set (`--key-file` or `MAILSHIELD_KEY`),
//! which the store never holds.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use mailshield::auth::ApiKeys;
use mailshield::crypto::unix_now;
use mailshield::store::SqliteStore;

use super::{Fatal, Status};

/// The store a command uses.
pub(crate) fn store_path(given: Option<&Path>) -> PathBuf {
    given
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("MAILSHIELD_STORE").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("mailshield.db"))
}

fn api_keys(
    store: Option<&Path>,
    key_file: Option<&Path>,
) -> Result<ApiKeys<SqliteStore>, Fatal> {
    let keys = super::keys::load(key_file)?;
    let path = store_path(store);
    let store = SqliteStore::open(&path)
        .map_err(|e| Fatal(format!("{}: {e}", path.display())))?;
    Ok(ApiKeys::with_key_set(store, &keys))
}

/// `keys create`: prints the new key once on stdout.
///
/// # Errors
///
/// A key set or store that does not open, a failing write.
pub(crate) fn create(
    store: Option<&Path>,
    key_file: Option<&Path>,
    user: &str,
    permissions: &[String],
) -> Result<Status, Fatal> {
    let keys = api_keys(store, key_file)?;
    let key = keys.create(user, permissions, unix_now())?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{key}").map_err(|e| Fatal(format!("stdout: {e}")))?;
    Ok(Status::Ok)
}

/// `keys check`: reads one key from stdin and prints the verdict; exit 0
/// when valid, 1 when refused.
///
/// # Errors
///
/// A key set or store that does not open, stdin that cannot be read.
pub(crate) fn check(
    store: Option<&Path>,
    key_file: Option<&Path>,
    source: &str,
) -> Result<Status, Fatal> {
    let keys = api_keys(store, key_file)?;
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Fatal(format!("stdin: {e}")))?;
    let verdict =
        keys.check(line.trim_end_matches(['\n', '\r']), source, unix_now())?;
    // The fields in SPEC order: valid, reason, user_id, permissions.
    println!("{}", serde_json::to_string(&verdict).unwrap_or_default());
    Ok(if verdict.valid { Status::Ok } else { Status::FailOn })
}

/// `keys revoke KEY_ID`.
///
/// # Errors
///
/// A key set or store that does not open, or no key with that id.
pub(crate) fn revoke(
    store: Option<&Path>,
    key_file: Option<&Path>,
    id: &str,
) -> Result<Status, Fatal> {
    let keys = api_keys(store, key_file)?;
    if !keys.revoke(id)? {
        return Err(Fatal(format!("keys revoke: no key with id {id}")));
    }
    super::report::line(&format!("key {id} revoked"));
    Ok(Status::Ok)
}
