//! The TOML schema of packs and its translation into [`Pack`].
//!
//! Every table refuses unknown keys, so a misspelt option is an error and
//! not a silent default. See `examples/custom-pack.toml` and the README for
//! the schema.

use serde::Deserialize;

use super::{
    Allow, ClassifyRules, Context, Detector, Entity, FieldRole, KeywordList,
    KeywordMode, KeywordRule, Level, LevelPolicy, LevelRule, MaskStyle,
    Operator, Pack, Redaction, RedactionMode, RulesError, Semantics, Truncate,
    Validator,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackFile {
    pack: PackSection,
    #[serde(default)]
    entity: Vec<EntityFile>,
    #[serde(default)]
    detector: Vec<DetectorFile>,
    #[serde(default)]
    keywords: Vec<KeywordsFile>,
    #[serde(default)]
    allow: Vec<AllowFile>,
    classify: Option<ClassifyFile>,
    policy: Option<PoliciesFile>,
    redaction: Option<RedactionFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackSection {
    name: String,
    description: Option<String>,
    extends: Option<String>,
    semantics: Option<String>,
    threshold: Option<f32>,
    max_match_len: Option<usize>,
    normalize: Option<bool>,
    footers: Option<bool>,
    scan_fields: Option<Vec<String>>,
    level_fields: Option<Vec<String>>,
    #[serde(default)]
    disable: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntityFile {
    name: String,
    rank: Option<u32>,
    mask: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DetectorFile {
    id: String,
    entity: String,
    pattern: String,
    #[serde(default)]
    case_insensitive: bool,
    group: Option<String>,
    validator: Option<String>,
    operator: Option<String>,
    score: Option<f32>,
    #[serde(default)]
    isolated: bool,
    context: Option<ContextFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContextFile {
    window: Option<usize>,
    #[serde(default)]
    raise: Vec<String>,
    #[serde(default)]
    lower: Vec<String>,
    raise_by: Option<f32>,
    lower_by: Option<f32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeywordsFile {
    name: String,
    mode: Option<String>,
    words: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowFile {
    entity: String,
    values: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassifyFile {
    base_level: String,
    base_confidence: f64,
    #[serde(default)]
    rule: Vec<RuleFile>,
    keywords: KeywordRuleFile,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    name: String,
    entities: Vec<String>,
    level: String,
    confidence: f64,
    risk: String,
    #[serde(default)]
    unless: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeywordRuleFile {
    level: String,
    confidence: f64,
    risk_prefix: String,
    max: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PoliciesFile {
    public: Option<PolicyFile>,
    internal: Option<PolicyFile>,
    confidential: Option<PolicyFile>,
    restricted: Option<PolicyFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    encryption_required: Option<bool>,
    access_logging: Option<bool>,
    retention_days: Option<u32>,
    approval_required: Option<bool>,
    audit_trail: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RedactionFile {
    mode: String,
    #[serde(default)]
    case_sensitive: bool,
    truncate: Option<TruncateFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TruncateFile {
    restricted: usize,
    other: usize,
    marker: String,
}

/// The entity types every pack knows, with their rank and mask.
const STANDARD_ENTITIES: &[(&str, u32, MaskStyle)] = &[
    ("PRIVATE_KEY", 100, MaskStyle::Full),
    ("CLOUD_KEY", 95, MaskStyle::Full),
    ("API_KEY", 94, MaskStyle::Full),
    ("JWT", 93, MaskStyle::Full),
    ("PASSWORD", 92, MaskStyle::Full),
    ("CREDIT_CARD", 90, MaskStyle::LastFour),
    ("SSN", 89, MaskStyle::LastFour),
    ("IBAN", 88, MaskStyle::LastFour),
    ("EMAIL", 70, MaskStyle::Email),
    ("PHONE", 60, MaskStyle::LastFour),
    ("IP_ADDRESS", 50, MaskStyle::Full),
];

/// The guide's handling policies per level.
fn guide_policies() -> [LevelPolicy; 4] {
    let p = |enc, log, days, approval, audit| LevelPolicy {
        encryption_required: enc,
        access_logging: log,
        retention_days: days,
        approval_required: approval,
        audit_trail: audit,
    };
    [
        p(false, false, 365, false, false),
        p(true, true, 180, false, false),
        p(true, true, 90, true, false),
        p(true, true, 30, true, true),
    ]
}

pub(super) fn from_toml(source: &str, text: &str) -> Result<Pack, RulesError> {
    let file: PackFile = toml::from_str(text)
        .map_err(|e| RulesError::new(source, toml_reason(&e)))?;
    let base = match &file.pack.extends {
        Some(name) => {
            let mut base = Pack::builtin(name).map_err(|_| {
                RulesError::new(
                    source,
                    format!("`extends`: no built-in pack `{name}`"),
                )
            })?;
            base.source = source.to_string();
            base
        }
        None => empty_pack(source),
    };
    merge(base, file)
}

/// A TOML error as one line, with its position.
fn toml_reason(err: &toml::de::Error) -> String {
    let msg = err.message().trim().replace('\n', " ");
    match err.span() {
        Some(span) => format!("invalid TOML at byte {}: {msg}", span.start),
        None => format!("invalid TOML: {msg}"),
    }
}

fn empty_pack(source: &str) -> Pack {
    let entities = STANDARD_ENTITIES
        .iter()
        .map(|&(name, rank, mask)| Entity { name: name.into(), rank, mask })
        .collect();
    Pack {
        name: String::new(),
        source: source.into(),
        description: String::new(),
        semantics: Semantics::Regex,
        threshold: 0.5,
        max_match_len: 16 * 1024,
        normalize: true,
        footers: false,
        scan_roles: vec![
            FieldRole::Body,
            FieldRole::Subject,
            FieldRole::Address,
        ],
        level_roles: vec![FieldRole::Body, FieldRole::Subject],
        entities,
        detectors: Vec::new(),
        keywords: Vec::new(),
        allow: Vec::new(),
        classify: ClassifyRules {
            base_level: Level::Internal,
            base_confidence: 0.8,
            rules: Vec::new(),
            keywords: KeywordRule {
                level: Level::Confidential,
                confidence: 0.75,
                risk_prefix: "Sensitive keywords: ".into(),
                max: 3,
            },
        },
        policies: guide_policies(),
        redaction: Redaction {
            mode: RedactionMode::SinglePass,
            case_sensitive: false,
            truncate: None,
        },
    }
}

fn merge(mut pack: Pack, file: PackFile) -> Result<Pack, RulesError> {
    let src = pack.source.clone();
    merge_section(&mut pack, &file.pack)?;
    for e in &file.entity {
        merge_entity(&mut pack, e)?;
    }
    for id in &file.pack.disable {
        let before = pack.detectors.len();
        pack.detectors.retain(|d| &d.id != id);
        if pack.detectors.len() == before {
            return Err(RulesError::detector(
                &src,
                id,
                "`disable`: no such detector",
            ));
        }
    }
    for d in file.detector {
        let det = detector(&pack, d)?;
        match pack.detectors.iter_mut().find(|x| x.id == det.id) {
            Some(slot) => *slot = det,
            None => pack.detectors.push(det),
        }
    }
    for k in file.keywords {
        let list = keywords(&src, k)?;
        match pack.keywords.iter_mut().find(|x| x.name == list.name) {
            Some(slot) => *slot = list,
            None => pack.keywords.push(list),
        }
    }
    for a in file.allow {
        let entity = entity_ref(&pack, "allow", &a.entity)?;
        pack.allow.push(Allow { entity, values: a.values });
    }
    if let Some(c) = file.classify {
        pack.classify = classify(&pack, c)?;
    }
    if let Some(p) = file.policy {
        merge_policies(&mut pack.policies, p);
    }
    if let Some(r) = file.redaction {
        pack.redaction = redaction(&src, r)?;
    }
    check(&pack)?;
    Ok(pack)
}

fn merge_section(pack: &mut Pack, s: &PackSection) -> Result<(), RulesError> {
    let src = pack.source.clone();
    pack.name = s.name.clone();
    if let Some(d) = &s.description {
        pack.description = d.clone();
    }
    if let Some(sem) = &s.semantics {
        pack.semantics = match sem.as_str() {
            "regex" => Semantics::Regex,
            "python" => Semantics::Python,
            other => {
                return Err(RulesError::item(
                    &src,
                    "[pack]",
                    format!("unknown semantics `{other}` (regex, python)"),
                ));
            }
        };
    }
    if let Some(t) = s.threshold {
        pack.threshold = unit(&src, "[pack] threshold", t)?;
    }
    if let Some(m) = s.max_match_len {
        pack.max_match_len = m;
    }
    if let Some(n) = s.normalize {
        pack.normalize = n;
    }
    if let Some(f) = s.footers {
        pack.footers = f;
    }
    if let Some(roles) = &s.scan_fields {
        pack.scan_roles = field_roles(&src, "scan_fields", roles)?;
    }
    if let Some(roles) = &s.level_fields {
        pack.level_roles = field_roles(&src, "level_fields", roles)?;
    }
    Ok(())
}

fn field_roles(
    src: &str,
    key: &str,
    names: &[String],
) -> Result<Vec<FieldRole>, RulesError> {
    names
        .iter()
        .map(|n| {
            FieldRole::parse(n).ok_or_else(|| {
                RulesError::item(
                    src,
                    format!("[pack] {key}"),
                    format!(
                        "unknown field role `{n}` (body, subject, address)"
                    ),
                )
            })
        })
        .collect()
}

fn merge_entity(pack: &mut Pack, e: &EntityFile) -> Result<(), RulesError> {
    let src = &pack.source;
    let item = format!("entity `{}`", e.name);
    let valid = !e.name.is_empty()
        && e.name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_');
    if !valid {
        return Err(RulesError::item(
            src,
            item,
            "names are upper case: A-Z and _",
        ));
    }
    let mask = match e.mask.as_deref() {
        None => None,
        Some("last4") => Some(MaskStyle::LastFour),
        Some("email") => Some(MaskStyle::Email),
        Some("full") => Some(MaskStyle::Full),
        Some(other) => {
            return Err(RulesError::item(
                src,
                item,
                format!("unknown mask `{other}` (last4, email, full)"),
            ));
        }
    };
    match pack.entities.iter_mut().find(|x| x.name == e.name) {
        Some(slot) => {
            slot.rank = e.rank.unwrap_or(slot.rank);
            slot.mask = mask.unwrap_or(slot.mask);
        }
        None => pack.entities.push(Entity {
            name: e.name.clone(),
            rank: e.rank.unwrap_or(10),
            mask: mask.unwrap_or(MaskStyle::Full),
        }),
    }
    Ok(())
}

fn entity_ref(
    pack: &Pack,
    item: &str,
    name: &str,
) -> Result<usize, RulesError> {
    pack.entity_index(name).ok_or_else(|| {
        RulesError::item(
            &pack.source,
            item,
            format!("unknown entity `{name}` (declare it in [[entity]])"),
        )
    })
}

fn unit(src: &str, item: &str, v: f32) -> Result<f32, RulesError> {
    if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(RulesError::item(src, item, format!("{v} is outside [0, 1]")))
    }
}

fn detector(pack: &Pack, d: DetectorFile) -> Result<Detector, RulesError> {
    let src = &pack.source;
    let id = d.id.clone();
    let err = |reason: String| RulesError::detector(src, &id, reason);
    let valid_id = !id.is_empty()
        && id.bytes().all(|b| {
            b.is_ascii_lowercase()
                || b.is_ascii_digit()
                || b == b'-'
                || b == b'_'
        });
    if !valid_id {
        return Err(err("ids are lower case: a-z, 0-9, - and _".into()));
    }
    let entity = pack
        .entity_index(&d.entity)
        .ok_or_else(|| err(format!("unknown entity `{}`", d.entity)))?;
    let validator = match &d.validator {
        None => None,
        Some(v) => Some(
            Validator::parse(v)
                .ok_or_else(|| err(format!("unknown validator `{v}`")))?,
        ),
    };
    let operator = match d.operator.as_deref() {
        None => Operator::Placeholder,
        Some(o) => Operator::parse(o).ok_or_else(|| {
            err(format!(
                "unknown operator `{o}` (placeholder, mask, token, drop, keep)"
            ))
        })?,
    };
    let score = d.score.unwrap_or(0.85);
    if !(0.0..=1.0).contains(&score) {
        return Err(err(format!("score {score} is outside [0, 1]")));
    }
    if d.pattern.is_empty() {
        return Err(err("empty pattern".into()));
    }
    let context = match d.context {
        None => Context::default(),
        Some(c) => Context {
            window: c.window.unwrap_or(32).min(256),
            raise: lower_words(c.raise),
            lower: lower_words(c.lower),
            raise_by: c.raise_by.unwrap_or(0.3),
            lower_by: c.lower_by.unwrap_or(0.5),
        },
    };
    Ok(Detector {
        id: d.id,
        entity,
        pattern: d.pattern,
        case_insensitive: d.case_insensitive,
        group: d.group,
        validator,
        operator,
        score,
        context,
        isolated: d.isolated,
    })
}

fn lower_words(words: Vec<String>) -> Vec<String> {
    words.into_iter().map(|w| w.to_ascii_lowercase()).collect()
}

fn keywords(src: &str, k: KeywordsFile) -> Result<KeywordList, RulesError> {
    let item = format!("keywords `{}`", k.name);
    let mode = match k.mode.as_deref().unwrap_or("word") {
        "word" => KeywordMode::Word,
        "substring" => KeywordMode::Substring,
        "python-lower" => KeywordMode::PythonLower,
        other => {
            return Err(RulesError::item(
                src,
                item,
                format!(
                    "unknown mode `{other}` (word, substring, python-lower)"
                ),
            ));
        }
    };
    for w in &k.words {
        if w.is_empty() || w.len() > 64 {
            return Err(RulesError::item(
                src,
                item,
                "keywords are 1 to 64 bytes long",
            ));
        }
    }
    let words = k.words.iter().map(|w| w.to_lowercase()).collect();
    Ok(KeywordList { name: k.name, mode, words })
}

fn level(src: &str, item: &str, name: &str) -> Result<Level, RulesError> {
    Level::parse(name).ok_or_else(|| {
        RulesError::item(
            src,
            item,
            format!(
                "unknown level `{name}` (public, internal, confidential, \
                 restricted)"
            ),
        )
    })
}

fn classify(
    pack: &Pack,
    c: ClassifyFile,
) -> Result<ClassifyRules, RulesError> {
    let src = &pack.source;
    let mut rules: Vec<LevelRule> = Vec::new();
    for r in c.rule {
        let item = format!("classify rule `{}`", r.name);
        let entities = r
            .entities
            .iter()
            .map(|e| entity_ref(pack, &item, e))
            .collect::<Result<Vec<_>, _>>()?;
        let unless = r
            .unless
            .iter()
            .map(|u| {
                rules.iter().position(|x| &x.name == u).ok_or_else(|| {
                    RulesError::item(
                        src,
                        &item,
                        format!("`unless`: no earlier rule `{u}`"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        rules.push(LevelRule {
            level: level(src, &item, &r.level)?,
            name: r.name,
            entities,
            confidence: r.confidence,
            risk: r.risk,
            unless,
        });
    }
    let k = c.keywords;
    Ok(ClassifyRules {
        base_level: level(src, "[classify]", &c.base_level)?,
        base_confidence: c.base_confidence,
        rules,
        keywords: KeywordRule {
            level: level(src, "[classify.keywords]", &k.level)?,
            confidence: k.confidence,
            risk_prefix: k.risk_prefix,
            max: k.max,
        },
    })
}

fn merge_policies(policies: &mut [LevelPolicy; 4], p: PoliciesFile) {
    let given = [p.public, p.internal, p.confidential, p.restricted];
    for (slot, file) in policies.iter_mut().zip(given) {
        let Some(f) = file else { continue };
        let keep = |v: Option<bool>, old: bool| v.unwrap_or(old);
        slot.encryption_required =
            keep(f.encryption_required, slot.encryption_required);
        slot.access_logging = keep(f.access_logging, slot.access_logging);
        slot.retention_days = f.retention_days.unwrap_or(slot.retention_days);
        slot.approval_required =
            keep(f.approval_required, slot.approval_required);
        slot.audit_trail = keep(f.audit_trail, slot.audit_trail);
    }
}

fn redaction(src: &str, r: RedactionFile) -> Result<Redaction, RulesError> {
    let mode = match r.mode.as_str() {
        "single-pass" => RedactionMode::SinglePass,
        "sequential" => RedactionMode::Sequential,
        other => {
            return Err(RulesError::item(
                src,
                "[redaction]",
                format!("unknown mode `{other}` (single-pass, sequential)"),
            ));
        }
    };
    let truncate = r.truncate.map(|t| Truncate {
        restricted: t.restricted,
        other: t.other,
        marker: t.marker,
    });
    Ok(Redaction { mode, case_sensitive: r.case_sensitive, truncate })
}

/// Checks a finished pack as a whole.
fn check(pack: &Pack) -> Result<(), RulesError> {
    let src = &pack.source;
    if pack.name.is_empty() {
        return Err(RulesError::item(src, "[pack]", "`name` is empty"));
    }
    for (i, d) in pack.detectors.iter().enumerate() {
        if pack.detectors[..i].iter().any(|x| x.id == d.id) {
            return Err(RulesError::detector(src, &d.id, "duplicate id"));
        }
    }
    if pack.detectors.len() > 1024 {
        return Err(RulesError::new(src, "more than 1024 detectors"));
    }
    if pack.max_match_len == 0 || pack.max_match_len > 16 << 20 {
        return Err(RulesError::item(
            src,
            "[pack] max_match_len",
            "must be between 1 and 16 MiB",
        ));
    }
    if pack.semantics == Semantics::Python && pack.normalize {
        return Err(RulesError::item(
            src,
            "[pack]",
            "python semantics scan the text as Python sees it: set \
             `normalize = false`",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
        [pack]
        name = "mine"
        [[detector]]
        id = "emp"
        entity = "EMPLOYEE_ID"
        pattern = 'EMP-\d{6}'
        [[entity]]
        name = "EMPLOYEE_ID"
    "#;

    fn err(text: &str) -> String {
        from_toml("mine.toml", text).unwrap_err().to_string()
    }

    #[test]
    fn entity_must_be_declared_before_use() {
        // The detector comes first in the file but entities merge first.
        let p = from_toml("mine.toml", MINIMAL).unwrap();
        assert_eq!(
            p.detectors[0].entity,
            p.entity_index("EMPLOYEE_ID").unwrap()
        );
    }

    #[test]
    fn errors_name_file_detector_and_reason() {
        let e = err(r#"
            [pack]
            name = "mine"
            [[detector]]
            id = "emp"
            entity = "SSN"
            pattern = 'x'
            validator = "crc32"
        "#);
        assert_eq!(e, "mine.toml: detector `emp`: unknown validator `crc32`");
        let e = err(r#"
            [pack]
            name = "mine"
            [[detector]]
            id = "emp"
            entity = "NOPE"
            pattern = 'x'
        "#);
        assert_eq!(e, "mine.toml: detector `emp`: unknown entity `NOPE`");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let e = err(r#"
            [pack]
            name = "mine"
            treshold = 0.4
        "#);
        assert!(e.starts_with("mine.toml: invalid TOML at byte"), "{e}");
        assert!(e.contains("unknown field `treshold`"), "{e}");
    }

    #[test]
    fn extends_replaces_and_disables() {
        let p = from_toml(
            "mine.toml",
            r#"
            [pack]
            name = "mine"
            extends = "default"
            disable = ["ssn-bare"]
            [[detector]]
            id = "ssn"
            entity = "SSN"
            pattern = 'SSN-\d{9}'
            "#,
        )
        .unwrap();
        assert!(p.detectors.iter().all(|d| d.id != "ssn-bare"));
        let ssn = p.detectors.iter().find(|d| d.id == "ssn").unwrap();
        assert_eq!(ssn.pattern, r"SSN-\d{9}");
        assert_eq!(p.source, "mine.toml");
    }
}
