//! Helpers shared by the targets: engines built once per process, and
//! the span checks every scan must pass.

use std::sync::OnceLock;

use mailshield::engine::Engine;
use mailshield::scan::Scan;

/// The built-in `default` pack, compiled once.
#[allow(dead_code)]
pub fn default_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::builtin("default").unwrap())
}

/// The built-in `seed` pack, compiled once.
#[allow(dead_code)]
pub fn seed_engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| Engine::builtin("seed").unwrap())
}

/// Checks that every finding and keyword of `scan` lies inside its field
/// (`lens[i]` is the length of field `i`), that findings are sorted by
/// field then start, and, when `disjoint`, that findings of one field do
/// not overlap.
#[allow(dead_code)]
pub fn check_spans(scan: &Scan, lens: &[usize], disjoint: bool) {
    for f in &scan.findings {
        assert!(f.field < lens.len(), "finding in field {}", f.field);
        assert!(
            f.span.start < f.span.end && f.span.end <= lens[f.field],
            "finding span {:?} outside field of {} bytes",
            f.span,
            lens[f.field]
        );
        assert!((0.0..=1.0).contains(&f.score), "score {}", f.score);
    }
    for k in &scan.keywords {
        assert!(k.field < lens.len());
        assert!(k.span.start <= k.span.end && k.span.end <= lens[k.field]);
    }
    for w in scan.findings.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        assert!(
            (a.field, a.span.start) <= (b.field, b.span.start),
            "findings not sorted: {:?} then {:?}",
            a.span,
            b.span
        );
        if disjoint && a.field == b.field {
            assert!(
                a.span.end <= b.span.start,
                "findings overlap: {:?} and {:?}",
                a.span,
                b.span
            );
        }
    }
}
