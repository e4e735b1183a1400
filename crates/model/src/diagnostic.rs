//! Diagnostics: problems met while scanning that do not stop the scan.

use serde::{Deserialize, Serialize};

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiagnosticLevel {
    /// Informational: something was skipped on purpose (e.g. a `GIT` range).
    Info,
    /// Something could not be read; the result may be incomplete.
    Warning,
}

/// A problem met while reading input that did not stop the scan: the result is still usable
/// but may be incomplete. Parsers return these beside their partial results instead of failing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Diagnostic {
    /// How serious it is.
    pub level: DiagnosticLevel,
    /// Where it happened: a path inside the image, a blob digest, a feed file.
    pub location: String,
    /// What happened, in one line.
    pub message: String,
}

impl Diagnostic {
    /// A warning about `location`.
    pub fn warning(location: impl Into<String>, message: impl Into<String>) -> Self {
        Self { level: DiagnosticLevel::Warning, location: location.into(), message: message.into() }
    }

    /// An informational note about `location`.
    pub fn info(location: impl Into<String>, message: impl Into<String>) -> Self {
        Self { level: DiagnosticLevel::Info, location: location.into(), message: message.into() }
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}
