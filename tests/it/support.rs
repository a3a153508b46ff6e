//! What the integration tests share: the `../shared` folder, Python, temp
//! files.
//!
//! A test that needs something from outside the crate (the corpora in
//! `../shared`, `python3` with a package) prints why it skips and passes,
//! except under `MAILSHIELD_CI=1`, where a missing resource fails it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The shared material beside the checkout.
pub const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared");

/// True if a resource is there; otherwise prints a skip message and gives
/// false, or under `MAILSHIELD_CI=1` fails the test.
pub fn require(present: bool, missing: &str) -> bool {
    if present {
        return true;
    }
    if std::env::var("MAILSHIELD_CI").as_deref() == Ok("1") {
        panic!("{missing}, and MAILSHIELD_CI=1 requires it");
    }
    eprintln!("skipping: {missing}");
    false
}

/// `../shared`, or `None` after a skip message.
pub fn shared() -> Option<PathBuf> {
    let dir = Path::new(SHARED);
    require(dir.is_dir(), "../shared is absent (a user's clone has none)")
        .then(|| dir.to_path_buf())
}

/// Whether `python3` can import every module named.
pub fn python_has(modules: &[&str]) -> bool {
    let code = modules
        .iter()
        .map(|m| format!("import {m}"))
        .collect::<Vec<_>>()
        .join("; ");
    Command::new("python3")
        .args(["-c", &code])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A fresh directory under the temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let nanos =
            SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
        let name = format!(
            "mailshield-it-{tag}-{}-{nanos}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        fs::create_dir(&path).unwrap();
        TempDir(path)
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
