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

/// Which findings fail a scan, by severity (`--fail-on`): every severity at or above a
/// threshold, plus, when asked, `unknown` (findings no source rated).
///
/// `unknown` is the lowest severity, so the threshold `unknown` alone fails on every finding (as it
/// always did); `high` plus `unknown` fails on high, critical and unrated findings only. Written
/// on the command line as `high`, or as a comma list such as `high,unknown` ([`FromStr`]); "never
/// fails" is `Option::<FailOn>::None` (`--fail-on none`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FailOn {
    threshold: Severity,
    unknown: bool,
}

impl FailOn {
    /// Fails on `threshold` and every higher severity.
    pub const fn at_or_above(threshold: Severity) -> Self {
        Self { threshold, unknown: false }
    }

    /// The same, and findings of unknown severity fail as well.
    #[must_use]
    pub const fn and_unknown(self) -> Self {
        // at or above `unknown` already includes it: keep one representation of "everything"
        Self { threshold: self.threshold, unknown: !matches!(self.threshold, Severity::Unknown) }
    }

    /// The lowest severity that fails (findings of unknown severity may fail too: see
    /// [`FailOn::adds_unknown`]).
    pub const fn threshold(self) -> Severity {
        self.threshold
    }

    /// True when findings of unknown severity fail although the threshold is above `unknown`
    /// (`--fail-on high,unknown`).
    pub const fn adds_unknown(self) -> bool {
        self.unknown
    }

    /// Whether a finding of `severity` fails.
    pub fn fails(self, severity: Severity) -> bool {
        severity >= self.threshold || (self.unknown && severity == Severity::Unknown)
    }

    /// The command-line spelling: `high`, `high,unknown`, `unknown`.
    pub fn to_flag(self) -> String {
        if self.unknown { format!("{},unknown", self.threshold) } else { self.threshold.to_string() }
    }
}

/// In sentences ("at or above high, plus unknown"): the threshold, and `, plus unknown` when
/// unrated findings fail as well.
impl fmt::Display for FailOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.unknown { write!(f, "{}, plus unknown", self.threshold) } else { write!(f, "{}", self.threshold) }
    }
}

/// A `--fail-on` value that is not a severity or a comma list of severities.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidFailOn(String);

impl FromStr for FailOn {
    type Err = InvalidFailOn;

    /// A severity (`high`: it and above), or a comma list (`high,unknown`, `HIGH, UNKNOWN`): the
    /// lowest rated severity named is the threshold, and `unknown` in a list adds the findings no
    /// source rated. Case-insensitive; blanks around items are ignored. `none` (never fail) is
    /// not a `FailOn`: the caller reads it as `Option::None`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const EXPECTED: &str =
            "expected unknown, negligible, low, medium, high or critical, a comma list such as high,unknown, or none";
        let mut threshold: Option<Severity> = None;
        let mut unknown = false;
        for item in s.split(',').map(str::trim) {
            if item.is_empty() {
                return Err(InvalidFailOn(format!("{s:?}: an empty item ({EXPECTED})")));
            }
            if item.eq_ignore_ascii_case("none") {
                return Err(InvalidFailOn(format!("{s:?}: `none` (never fail) cannot be combined with severities")));
            }
            let severity = item
                .parse::<Severity>()
                .map_err(|_| InvalidFailOn(format!("unknown severity {item:?} ({EXPECTED})")))?;
            if severity == Severity::Unknown {
                unknown = true;
            } else {
                threshold = Some(threshold.map_or(severity, |t| t.min(severity)));
            }
        }
        Ok(match threshold {
            Some(t) if unknown => Self::at_or_above(t).and_unknown(),
            Some(t) => Self::at_or_above(t),
            None => Self::at_or_above(Severity::Unknown),
        })
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

    #[test]
    fn fail_on_threshold_and_sets() {
        let parse = |s: &str| s.parse::<FailOn>();
        assert_eq!(parse("high"), Ok(FailOn::at_or_above(Severity::High)));
        assert_eq!(parse("CRITICAL"), Ok(FailOn::at_or_above(Severity::Critical)));
        let high_unknown = FailOn::at_or_above(Severity::High).and_unknown();
        assert_eq!(parse("high,unknown"), Ok(high_unknown));
        assert_eq!(parse(" UNKNOWN , High "), Ok(high_unknown));
        assert_eq!(parse("critical,high,unknown"), Ok(high_unknown), "the lowest rated severity is the threshold");
        // `unknown` alone is the lowest threshold: every finding, as before
        let everything = FailOn::at_or_above(Severity::Unknown);
        assert_eq!(parse("unknown"), Ok(everything));
        assert_eq!(everything.and_unknown(), everything, "one representation of everything");
        assert!(Severity::ALL.into_iter().all(|s| everything.fails(s)));

        let fails: Vec<Severity> = Severity::ALL.into_iter().filter(|s| high_unknown.fails(*s)).collect();
        assert_eq!(fails, [Severity::Unknown, Severity::High, Severity::Critical]);
        let fails: Vec<Severity> =
            Severity::ALL.into_iter().filter(|s| FailOn::at_or_above(Severity::High).fails(*s)).collect();
        assert_eq!(fails, [Severity::High, Severity::Critical]);

        assert_eq!(
            (high_unknown.to_flag(), high_unknown.to_string()),
            ("high,unknown".into(), "high, plus unknown".into())
        );
        assert_eq!(parse(&high_unknown.to_flag()), Ok(high_unknown));
        assert_eq!(everything.to_flag(), "unknown");

        for bad in ["severe", "high,", "high,,critical", "", "none,high", "high,none"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        assert!(parse("severe").unwrap_err().to_string().contains("unknown severity \"severe\""));
    }
}
