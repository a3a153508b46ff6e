//! `mailshield rules list|check`.

use std::io::Write;
use std::path::Path;

use mailshield::engine::Engine;
use mailshield::rules::Pack;

use super::{Fatal, Status};

/// Lists the built-in packs, or prints one pack's TOML.
///
/// # Errors
///
/// When `show` names neither a built-in pack nor a readable file.
pub(crate) fn list(show: Option<&str>) -> Result<Status, Fatal> {
    let mut out = std::io::stdout().lock();
    match show {
        None => {
            for name in Pack::BUILTIN {
                let pack = Pack::builtin(name)?;
                let _ = writeln!(
                    out,
                    "{name}\t{} detectors\t{}",
                    pack.detectors.len(),
                    pack.description
                );
            }
        }
        Some(name) => {
            let text = match Pack::builtin_source(name) {
                Some(t) => t.to_string(),
                None => std::fs::read_to_string(name)
                    .map_err(|e| Fatal(format!("{name}: {e}")))?,
            };
            let _ = out.write_all(text.as_bytes());
        }
    }
    Ok(Status::Ok)
}

/// Loads and compiles a pack file.
///
/// # Errors
///
/// The first problem found, naming the file, the detector and the reason.
pub(crate) fn check(file: &Path) -> Result<Status, Fatal> {
    let pack = Pack::load(file)?;
    let (detectors, lists) = (pack.detectors.len(), pack.keywords.len());
    Engine::new(pack)?;
    println!(
        "{}: ok ({detectors} detectors, {lists} keyword lists)",
        file.display()
    );
    Ok(Status::Ok)
}
