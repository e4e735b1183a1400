//! Platforms (`linux/arm64/v8`) and which of an image index's manifests a scan reads.

use std::fmt;
use std::str::FromStr;

/// An OCI platform: operating system, architecture and optional variant.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Platform {
    /// `linux`, `windows`.
    pub os: String,
    /// The GOARCH-style architecture: `amd64`, `arm64`, `arm`, `386`, `s390x`.
    pub architecture: String,
    /// The CPU variant (`v7`, `v8`), when the index gives one.
    pub variant: Option<String>,
}

impl Platform {
    /// The platform this binary runs on (always `linux` for the OS: container images are).
    pub fn host() -> Self {
        let architecture = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "powerpc64" => "ppc64le",
            "arm" => "arm",
            other => other,
        };
        Self { os: "linux".into(), architecture: architecture.into(), variant: None }
    }

    /// Whether an index entry for `entry` satisfies a request for `self`: os and architecture
    /// equal, and the variant equal when the request names one (`arm64` matches `arm64/v8`).
    pub fn accepts(&self, entry: &Self) -> bool {
        self.os == entry.os
            && self.architecture == entry.architecture
            && self.variant.as_ref().is_none_or(|v| entry.variant.as_deref().is_none_or(|e| e == v))
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// A `--platform` value that is not `os/arch[/variant]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a platform: expected os/arch[/variant], as linux/amd64 or linux/arm64/v8")]
pub struct InvalidPlatform(pub String);

impl FromStr for Platform {
    type Err = InvalidPlatform;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || InvalidPlatform(s.to_owned());
        let parts: Vec<&str> = s.split('/').collect();
        let ok = |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !(2..=3).contains(&parts.len()) || !parts.iter().all(|p| ok(p)) {
            return Err(bad());
        }
        Ok(Self {
            os: parts[0].to_ascii_lowercase(),
            architecture: parts[1].to_ascii_lowercase(),
            variant: parts.get(2).map(|v| v.to_ascii_lowercase()),
        })
    }
}

/// Which manifests of an image index to scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PlatformSelector {
    /// The host's platform (the first entry when the index has no such platform).
    #[default]
    Host,
    /// Exactly this platform; an index without it is an error naming the ones it has.
    Exact(Platform),
    /// Every platform of the index (attestation manifests with `unknown/unknown` are skipped).
    All,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let p: Platform = "linux/arm64/v8".parse().unwrap();
        assert_eq!(p.to_string(), "linux/arm64/v8");
        assert_eq!(p.variant.as_deref(), Some("v8"));
        assert_eq!("linux/amd64".parse::<Platform>().unwrap().variant, None);
        for bad in ["", "linux", "linux/", "/amd64", "a/b/c/d", "linux/am d64"] {
            assert!(bad.parse::<Platform>().is_err(), "{bad}");
        }
    }

    #[test]
    fn variant_matches_only_when_asked() {
        let any_arm: Platform = "linux/arm64".parse().unwrap();
        let v8: Platform = "linux/arm64/v8".parse().unwrap();
        let arm7: Platform = "linux/arm/v7".parse().unwrap();
        let arm6: Platform = "linux/arm/v6".parse().unwrap();
        assert!(any_arm.accepts(&v8));
        assert!(v8.accepts(&any_arm));
        assert!(!arm7.accepts(&arm6));
        assert!(!any_arm.accepts(&arm7));
    }
}
