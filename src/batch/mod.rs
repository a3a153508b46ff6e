//! Many messages on every core, results in input order.
//!
//! [`scan_batch`] and [`scan_messages`] spread a slice of messages over
//! rayon's thread pool and return one [`Scan`] per message, in input
//! order. The engine is shared; each thread reuses its own scratch. A
//! panic while scanning one message (a bug, never expected) is contained:
//! that message's result says `complete: false` with an error, and every
//! other message is still scanned.
//!
//! Limitation: the whole slice is in memory. Streaming pipelines over
//! archives of any size are built on top of this by the command line,
//! which feeds bounded chunks.

mod json;
pub mod record;

use std::panic::{AssertUnwindSafe, catch_unwind};

use rayon::prelude::*;

use crate::engine::Engine;
use crate::rules::FieldRole;
use crate::scan::{Field, Scan};

/// Scans each text as a message whose only field is `body`, in parallel.
pub fn scan_batch<T: AsRef<[u8]> + Sync>(
    engine: &Engine,
    texts: &[T],
) -> Vec<Scan> {
    texts.par_iter().map(|t| guarded(|| engine.scan(t.as_ref()))).collect()
}

/// Scans messages given as fields, in parallel.
pub fn scan_messages(
    engine: &Engine,
    messages: &[Vec<Field<'_>>],
) -> Vec<Scan> {
    messages.par_iter().map(|m| guarded(|| engine.scan_fields(m))).collect()
}

/// Runs one scan, turning a panic into an incomplete result.
fn guarded(f: impl FnOnce() -> Scan) -> Scan {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|_| Scan {
        complete: false,
        errors: vec!["internal error while scanning this message".into()],
        ..Scan::default()
    })
}

/// The fields of a message given as body text only.
pub fn body_field(text: &[u8]) -> Vec<Field<'_>> {
    vec![Field::new("body", FieldRole::Body, text)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_equals_sequential_and_keeps_order() {
        let engine = Engine::builtin("default").unwrap();
        let texts: Vec<String> = (0..500)
            .map(|i| format!("msg {i}: write to user{i}@example.com or call 415-555-{:04}", i))
            .collect();
        let par = scan_batch(&engine, &texts);
        let seq: Vec<Scan> =
            texts.iter().map(|t| engine.scan(t.as_bytes())).collect();
        assert_eq!(par, seq);
        assert_eq!(par[7].findings.len(), 2);
    }
}
