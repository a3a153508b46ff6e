//! Rule packs: what to look for and what to do with it.
//!
//! A [`Pack`] is data. It lists detectors (an entity type, a regex, an
//! optional [`Validator`], an [`Operator`], a score and context words),
//! keyword lists with a match mode, an allow-list, the classification rules
//! and the per-level handling policies. Packs load from TOML
//! ([`Pack::from_toml`], [`Pack::load`]); the built-in packs `seed` and
//! `default` are written in the same schema and compiled in
//! ([`Pack::builtin`]), so that any of them can be printed and extended.
//!
//! Loading checks everything that can be checked without compiling
//! automata: the schema (unknown keys are refused), the regex syntax,
//! validator and operator names, score ranges and references between
//! sections. Compiling, with its size limits, happens in
//! [`crate::engine::Engine::new`], which reports errors in the same form:
//! the file, the detector and the reason.
//!
//! Limitations: a pack may use the `python` semantics (the `seed` pack does)
//! only with the regex subset that the guide's patterns need; see
//! [`Semantics::Python`].

mod builtin;
mod error;
mod load;
pub mod validate;

pub use error::RulesError;
pub use validate::Validator;

/// How a pack's patterns are read and matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Semantics {
    /// regex-automata's syntax and semantics, on bytes.
    Regex,
    /// CPython 3.11 `re` on `str`: `\d`, `\s`, `\w` and `\b` follow
    /// Python's Unicode 14 definitions and `i` follows Python's
    /// ignore-case rules. Supports literals, classes, groups, alternation,
    /// repetition and `\b`/`\B`; other assertions are refused at load.
    Python,
}

/// A sensitivity level, from least to most sensitive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// May be shared freely.
    Public,
    /// The default for business mail.
    Internal,
    /// Holds personal data or sensitive keywords.
    Confidential,
    /// Holds high-sensitivity personal data or credentials.
    Restricted,
}

impl Level {
    /// All levels, least sensitive first.
    pub const ALL: [Level; 4] = [
        Level::Public,
        Level::Internal,
        Level::Confidential,
        Level::Restricted,
    ];

    /// The lower-case name used in JSON and TOML (`"restricted"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Public => "public",
            Level::Internal => "internal",
            Level::Confidential => "confidential",
            Level::Restricted => "restricted",
        }
    }

    /// Parses a lower-case level name.
    pub fn parse(name: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == name)
    }
}

/// What replaces a finding in protected output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    /// `[TYPE_REDACTED]`.
    Placeholder,
    /// A mask that never shows more than the last four digits.
    Mask,
    /// A keyed, deterministic pseudonym such as `[EMAIL:3f9a1c2e]`.
    Token,
    /// Nothing: the value is removed.
    Drop,
    /// The value is left as it is.
    Keep,
}

impl Operator {
    fn parse(name: &str) -> Option<Operator> {
        Some(match name {
            "placeholder" => Operator::Placeholder,
            "mask" => Operator::Mask,
            "token" => Operator::Token,
            "drop" => Operator::Drop,
            "keep" => Operator::Keep,
            _ => return None,
        })
    }
}

/// How much of a value a mask may show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaskStyle {
    /// `***` and the last four digits (SSN, cards, IBAN, phones).
    LastFour,
    /// `***@domain` (e-mail addresses).
    Email,
    /// `***` alone (IP addresses, secrets).
    Full,
}

/// The role of a field in a message, which decides whether a pack scans it
/// and whether it counts towards the level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldRole {
    /// A body text part (`body`, `body.1`, ...) or a raw message.
    Body,
    /// The subject line.
    Subject,
    /// An address header (`from`, `to`, `cc`, `reply-to`, `sender_email`).
    Address,
}

impl FieldRole {
    fn parse(name: &str) -> Option<FieldRole> {
        Some(match name {
            "body" => FieldRole::Body,
            "subject" => FieldRole::Subject,
            "address" => FieldRole::Address,
            _ => return None,
        })
    }
}

/// An entity type a pack can report, such as `SSN` or `EMAIL`.
#[derive(Clone, Debug, PartialEq)]
pub struct Entity {
    /// Upper-case name (`CREDIT_CARD`).
    pub name: String,
    /// Overlap priority: where findings of two types overlap, the higher
    /// rank wins and the spans merge into one finding of that type.
    pub rank: u32,
    /// How the `mask` operator and masked examples show a value.
    pub mask: MaskStyle,
}

/// Words near a match that raise or lower its score.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Context {
    /// Bytes before the match searched for context words.
    pub window: usize,
    /// Words (ASCII, matched case-insensitively) that raise the score.
    pub raise: Vec<String>,
    /// Words that lower the score.
    pub lower: Vec<String>,
    /// Added when a `raise` word is near.
    pub raise_by: f32,
    /// Subtracted when a `lower` word is near.
    pub lower_by: f32,
}

/// One detector: a pattern for one entity type and what to do with it.
#[derive(Clone, Debug, PartialEq)]
pub struct Detector {
    /// Unique within the pack; named in errors.
    pub id: String,
    /// Index into [`Pack::entities`].
    pub entity: usize,
    /// The pattern, in the pack's [`Semantics`].
    pub pattern: String,
    /// Match case-insensitively.
    pub case_insensitive: bool,
    /// Report this capture group's span instead of the whole match.
    pub group: Option<String>,
    /// Checked on each candidate; a candidate it refuses is dropped.
    pub validator: Option<Validator>,
    /// Replaces findings in protected output.
    pub operator: Operator,
    /// Base score in [0, 1], before context.
    pub score: f32,
    /// Score adjustments from nearby words.
    pub context: Context,
    /// Refuse a match that continues a longer digit run (a digit, or a
    /// separator and a digit, right before or after it).
    pub isolated: bool,
}

/// How a keyword list matches text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeywordMode {
    /// Whole words, ASCII case-insensitive.
    Word,
    /// Anywhere, ASCII case-insensitive (`legal` hits `illegal`).
    Substring,
    /// Anywhere in Python's `str.lower()` of the text: the guide's test.
    PythonLower,
}

/// A list of sensitive keywords.
#[derive(Clone, Debug, PartialEq)]
pub struct KeywordList {
    /// Name of the list, for errors and merging.
    pub name: String,
    /// Match mode.
    pub mode: KeywordMode,
    /// The keywords, in report order (lower-case).
    pub words: Vec<String>,
}

/// Known values of one entity type that are never reported.
#[derive(Clone, Debug, PartialEq)]
pub struct Allow {
    /// Index into [`Pack::entities`].
    pub entity: usize,
    /// Values, compared after normalising (digits only for numbers,
    /// lower case for addresses).
    pub values: Vec<String>,
}

/// A classification rule: findings of these types set this level.
#[derive(Clone, Debug, PartialEq)]
pub struct LevelRule {
    /// Name, referenced by `unless`.
    pub name: String,
    /// Indexes into [`Pack::entities`].
    pub entities: Vec<usize>,
    /// The level the rule sets.
    pub level: Level,
    /// The confidence reported when this rule decides the level.
    pub confidence: f64,
    /// The risk factor the rule adds.
    pub risk: String,
    /// Indexes of earlier rules that, when they fire, silence this one.
    pub unless: Vec<usize>,
}

/// How keywords affect the level.
#[derive(Clone, Debug, PartialEq)]
pub struct KeywordRule {
    /// The level keywords lift the base level to.
    pub level: Level,
    /// The confidence then reported.
    pub confidence: f64,
    /// Risk factor prefix; the first `max` keywords found follow it.
    pub risk_prefix: String,
    /// How many keywords the risk factor names.
    pub max: usize,
}

/// Classification rules of a pack.
#[derive(Clone, Debug, PartialEq)]
pub struct ClassifyRules {
    /// Level of a message nothing fires on.
    pub base_level: Level,
    /// Confidence of the base level.
    pub base_confidence: f64,
    /// Rules in order.
    pub rules: Vec<LevelRule>,
    /// Keyword rule.
    pub keywords: KeywordRule,
}

/// Handling policy of one level, as in the guide.
#[derive(Clone, Debug, PartialEq)]
pub struct LevelPolicy {
    /// The body must be sealed.
    pub encryption_required: bool,
    /// Reads must be logged.
    pub access_logging: bool,
    /// Days to keep the message.
    pub retention_days: u32,
    /// Access needs approval.
    pub approval_required: bool,
    /// Changes need an audit trail.
    pub audit_trail: bool,
}

/// How protected output is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedactionMode {
    /// Overlaps resolved first, then every finding replaced in one pass.
    SinglePass,
    /// The guide's rewrite: type by type, each pattern applied to the text
    /// the previous types left, only at levels confidential and restricted.
    Sequential,
}

/// Truncation of protected bodies, in code points.
#[derive(Clone, Debug, PartialEq)]
pub struct Truncate {
    /// Limit for restricted bodies.
    pub restricted: usize,
    /// Limit for every other level.
    pub other: usize,
    /// Appended after a cut.
    pub marker: String,
}

/// Redaction policy of a pack.
#[derive(Clone, Debug, PartialEq)]
pub struct Redaction {
    /// Single pass or the guide's sequential rewrite.
    pub mode: RedactionMode,
    /// Redact with the patterns compiled case-sensitively even where
    /// detection is case-insensitive (the guide's behaviour).
    pub case_sensitive: bool,
    /// Truncation; `None` keeps whole bodies.
    pub truncate: Option<Truncate>,
}

/// A rule pack. See the [module documentation](self).
#[derive(Clone, Debug, PartialEq)]
pub struct Pack {
    /// Name (`default`).
    pub name: String,
    /// Where the pack came from (`builtin:default` or a file path); every
    /// error names it.
    pub source: String,
    /// Free text.
    pub description: String,
    /// Pattern semantics.
    pub semantics: Semantics,
    /// Findings scoring under this are neither reported nor counted.
    pub threshold: f32,
    /// The longest match any detector can make, in bytes (PEM blocks
    /// included). Streaming holds back this much; a longer candidate is an
    /// error on its message.
    pub max_match_len: usize,
    /// Scan through the normalised view (full-width forms, zero-width
    /// characters, entities and escapes).
    pub normalize: bool,
    /// Recognise disclaimer footers, whose keywords do not set the level.
    pub footers: bool,
    /// Field roles scanned.
    pub scan_roles: Vec<FieldRole>,
    /// Field roles whose findings and keywords set the level.
    pub level_roles: Vec<FieldRole>,
    /// Entity types, in the order counts are reported.
    pub entities: Vec<Entity>,
    /// Detectors.
    pub detectors: Vec<Detector>,
    /// Keyword lists.
    pub keywords: Vec<KeywordList>,
    /// Allow-list.
    pub allow: Vec<Allow>,
    /// Classification rules.
    pub classify: ClassifyRules,
    /// Policies of public, internal, confidential, restricted.
    pub policies: [LevelPolicy; 4],
    /// Redaction policy.
    pub redaction: Redaction,
}

impl Pack {
    /// Names of the built-in packs.
    pub const BUILTIN: [&'static str; 2] = ["default", "seed"];

    /// A built-in pack by name (`default` or `seed`).
    ///
    /// # Errors
    ///
    /// When no built-in pack has that name.
    pub fn builtin(name: &str) -> Result<Pack, RulesError> {
        builtin::pack(name)
    }

    /// The TOML text of a built-in pack, as `rules list --show` prints it.
    pub fn builtin_source(name: &str) -> Option<&'static str> {
        builtin::source(name)
    }

    /// Parses a pack from TOML text; `source` names it in errors.
    ///
    /// A pack with `extends = "NAME"` starts from that built-in pack: its
    /// detectors with the same id are replaced, new ones added, `disable`
    /// removes detectors by id, and any other section given overrides the
    /// built-in one.
    ///
    /// # Errors
    ///
    /// Malformed TOML, unknown keys, bad regex syntax, unknown validators,
    /// operators, entity types or levels, duplicate ids and out-of-range
    /// numbers; each error names `source` and, where there is one, the
    /// detector.
    pub fn from_toml(source: &str, text: &str) -> Result<Pack, RulesError> {
        load::from_toml(source, text)
    }

    /// Reads and parses a pack file.
    ///
    /// # Errors
    ///
    /// As [`Pack::from_toml`], and when the file cannot be read.
    pub fn load(path: &std::path::Path) -> Result<Pack, RulesError> {
        let source = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| RulesError::io(&source, &e))?;
        load::from_toml(&source, &text)
    }

    /// The index of an entity type by name.
    pub fn entity_index(&self, name: &str) -> Option<usize> {
        self.entities.iter().position(|e| e.name == name)
    }

    /// The policy of a level.
    pub fn policy(&self, level: Level) -> &LevelPolicy {
        &self.policies[level as usize]
    }

    /// Whether fields of this role are scanned.
    pub fn scans(&self, role: FieldRole) -> bool {
        self.scan_roles.contains(&role)
    }

    /// Whether fields of this role set the level.
    pub fn sets_level(&self, role: FieldRole) -> bool {
        self.level_roles.contains(&role)
    }
}
