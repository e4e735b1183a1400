//! Python package versions: PEP 440, with `packaging`'s pre-22 legacy order for the rest.
//!
//! Valid PEP 440 versions are parsed and ordered by the `pep440_rs` crate (the implementation
//! uv grew from, written to match `packaging.version.Version` exactly: normalisation,
//! epochs, pre/post/dev releases, local versions); the differential test checks it against
//! `packaging` itself. Strings PEP 440 rejects (`0.9-doduo`, `1.0-SNAPSHOT`) still occur in
//! advisories and old packages; they get `packaging` 21's `LegacyVersion` key and sort below
//! every valid version, as osv-scalibr and `pip` before 22 do. Only an empty string fails.

use std::cmp::Ordering;
use std::str::FromStr;

use crate::{VersionError, VersionScheme};

/// A parsed Python version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PythonVersion {
    /// A PEP 440 version.
    Pep440(pep440_rs::Version),
    /// Anything else, as `packaging`'s `LegacyVersion` key.
    Legacy(Vec<String>),
}

/// Parses a Python version.
///
/// # Errors
/// The string is empty or blank.
pub fn parse(version: &str) -> Result<PythonVersion, VersionError> {
    if version.trim().is_empty() {
        return Err(VersionError::new(VersionScheme::Pep440, version, "version string is empty"));
    }
    Ok(match pep440_rs::Version::from_str(version) {
        Ok(v) => PythonVersion::Pep440(v),
        Err(_) => PythonVersion::Legacy(legacy_key(version)),
    })
}

/// Whether `version` is a valid PEP 440 version (not a legacy one).
pub fn is_pep440(version: &str) -> bool {
    pep440_rs::Version::from_str(version).is_ok()
}

/// `packaging` 21's `_legacy_cmpkey` parts.
fn legacy_key(version: &str) -> Vec<String> {
    let lower = version.to_lowercase();
    let mut parts: Vec<String> = Vec::new();
    for part in legacy_components(&lower).chain(std::iter::once("*final".to_owned())) {
        if part.starts_with('*') {
            if part.as_str() < "*final" {
                while parts.last().is_some_and(|p| p == "*final-") {
                    parts.pop();
                }
            }
            while parts.last().is_some_and(|p| p == "00000000") {
                parts.pop();
            }
        }
        parts.push(part);
    }
    parts
}

/// `_parse_version_parts` without its final `*final`: splits on `\d+|[a-z]+|\.|-`, keeping the
/// text between matches too (as `re.split` with a group does), maps a few words, drops empty
/// parts and dots, zero-pads numbers to 8 and prefixes the rest with `*`.
fn legacy_components(s: &str) -> impl Iterator<Item = String> + '_ {
    let bytes = s.as_bytes();
    let mut pieces: Vec<&str> = Vec::new();
    let mut i = 0;
    let mut text_start = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let len = if c.is_ascii_digit() {
            bytes[i..].iter().take_while(|c| c.is_ascii_digit()).count()
        } else if c.is_ascii_lowercase() {
            bytes[i..].iter().take_while(|c| c.is_ascii_lowercase()).count()
        } else if c == b'.' || c == b'-' {
            1
        } else {
            0
        };
        if len == 0 {
            i += s[i..].chars().next().map_or(1, char::len_utf8);
            continue;
        }
        pieces.push(&s[text_start..i]);
        pieces.push(&s[i..i + len]);
        i += len;
        text_start = i;
    }
    pieces.push(&s[text_start..]);
    pieces.into_iter().filter_map(|part| {
        let part = match part {
            "pre" | "preview" | "rc" => "c",
            "-" => "final-",
            "dev" => "@",
            other => other,
        };
        if part.is_empty() || part == "." {
            None
        } else if part.starts_with(|c: char| c.is_ascii_digit()) {
            Some(format!("{part:0>8}"))
        } else {
            Some(format!("*{part}"))
        }
    })
}

impl Ord for PythonVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Pep440(a), Self::Pep440(b)) => a.cmp(b),
            (Self::Legacy(_), Self::Pep440(_)) => Ordering::Less,
            (Self::Pep440(_), Self::Legacy(_)) => Ordering::Greater,
            (Self::Legacy(a), Self::Legacy(b)) => a.cmp(b),
        }
    }
}

impl PartialOrd for PythonVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two Python versions.
///
/// # Errors
/// Either version fails [`parse`].
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(parse(a)?.cmp(&parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_pep440() {
        let chain =
            ["1!0.1", "1!1.0.dev1", "1!1.0a1", "1!1.0b2.post3", "1!1.0rc1", "1!1.0", "1!1.0+local", "1!1.0.post1"];
        for pair in chain.windows(2) {
            assert_eq!(compare(pair[0], pair[1]).unwrap(), Ordering::Less, "{pair:?}");
        }
        assert_eq!(compare("1.0.0", "1.0").unwrap(), Ordering::Equal);
        assert_eq!(compare("1.0-1", "1.0.post1").unwrap(), Ordering::Equal);
    }

    #[test]
    fn legacy_sorts_below_pep440() {
        assert!(!is_pep440("0.9-doduo"));
        assert_eq!(compare("0.9-doduo", "0.1").unwrap(), Ordering::Less);
        assert_eq!(compare("0.1-bulbasaur", "0.1-charmander").unwrap(), Ordering::Less);
        assert_eq!(legacy_key("1.0-SNAPSHOT"), ["00000001", "*final-", "*snapshot", "*final"]);
        assert!(compare(" ", "1").is_err());
    }
}
