//! Classification: a level, a confidence, risk factors and actions.
//!
//! A message starts at the pack's base level (`internal`, confidence 0.8).
//! Each classification rule whose entity types were found, and which no
//! earlier rule named in its `unless` silenced, raises the level to its
//! own and adds its risk factor; the confidence is that of the first rule
//! with the final level. Keywords found outside footers lift a message
//! still at the base level to the keyword level and add
//! `"Sensitive keywords: a, b, c"` (the first three of the pack's lists, in
//! list order). The recommended actions follow the final level's policy in
//! the guide's wording and order. Only fields whose role sets the level
//! count (under the `default` pack, not the address headers).

use crate::engine::Engine;
use crate::rules::Level;
use crate::scan::{Field, Scan, table};

/// The level of a message and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Classification {
    /// The level.
    pub level: Level,
    /// The confidence of the rule that decided it.
    pub confidence: f64,
    /// Risk factors, in rule order.
    pub risk_factors: Vec<String>,
    /// Actions the level's policy requires.
    pub recommended_actions: Vec<&'static str>,
}

/// Classifies a scanned message. `fields` are the fields given to
/// [`Engine::scan_fields`].
pub fn classify(
    engine: &Engine,
    fields: &[Field<'_>],
    scan: &Scan,
) -> Classification {
    let pack = engine.pack();
    let rules = &pack.classify;
    let counts =
        |f: usize| fields.get(f).is_some_and(|x| pack.sets_level(x.role));

    // Entity types found in fields that set the level. PERF: tables on
    // the stack; classification runs once a message, and its allocations
    // were most of its 2% of the command line's time (perf,
    // BENCHMARKS.md).
    let (mut small, mut large) = ([false; 64], Vec::new());
    let found = table(pack.entities.len(), &mut small, &mut large);
    for f in scan.findings.iter().filter(|f| counts(f.field)) {
        found[f.entity] = true;
    }

    // Rules, in order.
    let mut level = rules.base_level;
    let mut confidence = rules.base_confidence;
    let mut risk_factors = Vec::new();
    let (mut small, mut large) = ([false; 64], Vec::new());
    let fired = table(rules.rules.len(), &mut small, &mut large);
    for (i, rule) in rules.rules.iter().enumerate() {
        let hit = rule.entities.iter().any(|&e| found[e]);
        if !hit || rule.unless.iter().any(|&u| fired[u]) {
            continue;
        }
        fired[i] = true;
        risk_factors.push(rule.risk.clone());
        if rule.level > level {
            level = rule.level;
            confidence = rule.confidence;
        }
    }

    // Keywords outside footers, in list order.
    let mut seen: Vec<(usize, usize)> = scan
        .keywords
        .iter()
        .filter(|k| !k.in_footer && counts(k.field))
        .map(|k| (k.list, k.word))
        .collect();
    seen.sort_unstable();
    seen.dedup();
    let mut words: Vec<&str> = Vec::new();
    for (l, w) in seen {
        let word = pack.keywords[l].words[w].as_str();
        if !words.contains(&word) {
            words.push(word);
        }
    }
    if !words.is_empty() {
        let k = &rules.keywords;
        if level == rules.base_level && k.level > level {
            level = k.level;
            confidence = k.confidence;
        }
        let mut risk = k.risk_prefix.clone();
        for (i, word) in words.iter().take(k.max).enumerate() {
            if i > 0 {
                risk.push_str(", ");
            }
            risk.push_str(word);
        }
        risk_factors.push(risk);
    }

    Classification {
        level,
        confidence,
        risk_factors,
        recommended_actions: actions(engine, level),
    }
}

/// The guide's recommended actions for a level's policy.
pub fn actions(engine: &Engine, level: Level) -> Vec<&'static str> {
    let p = engine.pack().policy(level);
    let mut out = Vec::new();
    if p.encryption_required {
        out.push("Apply encryption");
    }
    if p.access_logging {
        out.push("Enable access logging");
    }
    if p.approval_required {
        out.push("Require approval for access");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify_text(pack: &str, text: &str) -> Classification {
        let e = Engine::builtin(pack).unwrap();
        let fields = [Field::new(
            "body",
            crate::rules::FieldRole::Body,
            text.as_bytes(),
        )];
        let scan = e.scan_fields(&fields);
        classify(&e, &fields, &scan)
    }

    #[test]
    fn seed_levels_follow_the_guide() {
        let c = classify_text("seed", "SSN 123-45-6789 and the salary");
        assert_eq!(c.level, Level::Restricted);
        assert_eq!(c.confidence, 0.95);
        assert_eq!(
            c.risk_factors,
            vec![
                "High-sensitivity PII detected",
                "Sensitive keywords: salary"
            ]
        );
        assert_eq!(
            c.recommended_actions,
            vec![
                "Apply encryption",
                "Enable access logging",
                "Require approval for access"
            ]
        );
        let c = classify_text("seed", "the secretary is illegal");
        assert_eq!(c.level, Level::Confidential);
        assert_eq!(c.confidence, 0.75);
        assert_eq!(c.risk_factors, vec!["Sensitive keywords: secret, legal"]);
        let c = classify_text("seed", "hello");
        assert_eq!((c.level, c.confidence), (Level::Internal, 0.8));
        assert_eq!(
            c.recommended_actions,
            vec!["Apply encryption", "Enable access logging"]
        );
    }

    #[test]
    fn default_keywords_in_footers_do_not_lift() {
        let text = "Lunch on Friday?\n\nAna\n\nThis email is confidential and \
                    intended solely for the addressee.\n";
        assert_eq!(classify_text("default", text).level, Level::Internal);
        let c = classify_text("default", "Attached is the salary review.");
        assert_eq!((c.level, c.confidence), (Level::Confidential, 0.75));
    }
}
