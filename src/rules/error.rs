use std::fmt;

/// An error loading or compiling a pack.
///
/// The message names the pack's source (a file path or `builtin:NAME`),
/// the detector or section at fault when there is one, and the reason. It
/// never contains scanned text.
#[derive(Clone, Debug)]
pub struct RulesError {
    source: String,
    item: Option<String>,
    reason: String,
}

impl RulesError {
    pub(crate) fn new(source: &str, reason: impl Into<String>) -> RulesError {
        RulesError { source: source.into(), item: None, reason: reason.into() }
    }

    pub(crate) fn detector(
        source: &str,
        id: &str,
        reason: impl Into<String>,
    ) -> RulesError {
        RulesError {
            source: source.into(),
            item: Some(format!("detector `{id}`")),
            reason: reason.into(),
        }
    }

    pub(crate) fn item(
        source: &str,
        item: impl Into<String>,
        reason: impl Into<String>,
    ) -> RulesError {
        RulesError {
            source: source.into(),
            item: Some(item.into()),
            reason: reason.into(),
        }
    }

    pub(crate) fn io(source: &str, err: &std::io::Error) -> RulesError {
        RulesError::new(source, format!("cannot read: {err}"))
    }

    /// The pack source the error is about.
    pub fn source_name(&self) -> &str {
        &self.source
    }

    /// The detector or section at fault, such as ``detector `ssn` ``.
    pub fn item_name(&self) -> Option<&str> {
        self.item.as_deref()
    }

    /// The reason, without source and item.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.item {
            Some(item) => {
                write!(f, "{}: {}: {}", self.source, item, self.reason)
            }
            None => write!(f, "{}: {}", self.source, self.reason),
        }
    }
}

impl std::error::Error for RulesError {}
