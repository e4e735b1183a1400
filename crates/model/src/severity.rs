//! Severity: the one scale every source's rating is mapped onto.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// How bad a vulnerability is, on the scale every report and policy uses. Ordered: `Unknown`
/// is the lowest, so "at or above `high`" is a plain comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// No source rated it (or only with "not yet assigned").
    Unknown,
    /// The distro judged it not a real risk (Debian `unimportant`, Ubuntu `negligible`).
    Negligible,
    /// Low.
    Low,
    /// Medium (GHSA `moderate`).
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Self; 6] = [Self::Unknown, Self::Negligible, Self::Low, Self::Medium, Self::High, Self::Critical];

    /// The lowercase name used in JSON, on the command line and in the ignore file.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Negligible => "negligible",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// The severity of a CVSS base score. Versions 3 and 4 use the CVSS qualitative scale
    /// (9.0 and up critical); version 2 has no critical band (7.0 and up is high), as NVD rates it.
    /// A score of 0 (CVSS "none") maps to `Unknown`.
    pub fn from_cvss_score(score: f64, cvss_major_version: u8) -> Self {
        match score {
            s if s.is_nan() || s <= 0.0 => Self::Unknown,
            s if s < 4.0 => Self::Low,
            s if s < 7.0 => Self::Medium,
            s if s < 9.0 || cvss_major_version == 2 => Self::High,
            _ => Self::Critical,
        }
    }

    /// The severity a vendor's word means: Debian urgencies (`unimportant`, `low**`,
    /// `medium`), Ubuntu priorities (`negligible`), GHSA (`MODERATE`), Red Hat (`Important`).
    /// `None` for words that rate nothing (`not yet assigned`, `end-of-life`).
    pub fn from_vendor_word(word: &str) -> Option<Self> {
        let word = word.trim().trim_end_matches('*').trim().to_ascii_lowercase();
        Some(match word.as_str() {
            "unimportant" | "negligible" | "none" => Self::Negligible,
            "low" => Self::Low,
            "medium" | "moderate" => Self::Medium,
            "high" | "important" => Self::High,
            "critical" => Self::Critical,
            _ => return None,
        })
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A severity name that is not one of the six.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown severity {0:?} (expected unknown, negligible, low, medium, high or critical)")]
pub struct UnknownSeverity(pub String);

impl FromStr for Severity {
    type Err = UnknownSeverity;

    /// Case-insensitive: `HIGH` and `high` are the same.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownSeverity(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cvss_bands() {
        assert_eq!(Severity::from_cvss_score(0.0, 3), Severity::Unknown);
        assert_eq!(Severity::from_cvss_score(3.9, 3), Severity::Low);
        assert_eq!(Severity::from_cvss_score(4.0, 3), Severity::Medium);
        assert_eq!(Severity::from_cvss_score(7.0, 3), Severity::High);
        assert_eq!(Severity::from_cvss_score(9.0, 3), Severity::Critical);
        assert_eq!(Severity::from_cvss_score(10.0, 2), Severity::High);
        assert_eq!(Severity::from_cvss_score(f64::NAN, 3), Severity::Unknown);
    }

    #[test]
    fn vendor_words_and_names() {
        assert_eq!(Severity::from_vendor_word("unimportant"), Some(Severity::Negligible));
        assert_eq!(Severity::from_vendor_word("low**"), Some(Severity::Low));
        assert_eq!(Severity::from_vendor_word("MODERATE"), Some(Severity::Medium));
        assert_eq!(Severity::from_vendor_word("not yet assigned"), None);
        assert_eq!("HIGH".parse::<Severity>(), Ok(Severity::High));
        assert!("severe".parse::<Severity>().is_err());
        assert!(Severity::Critical > Severity::High && Severity::Negligible > Severity::Unknown);
    }
}
