//! Version comparison for every ecosystem microscanner scans, and OSV `affected` evaluation.
//!
//! Each [`VersionScheme`] compares versions the way the ecosystem's own tool does (`dpkg
//! --compare-versions`, apk-tools, `rpmvercmp`, node-semver, `packaging`, Maven's
//! `ComparableVersion`, `Gem::Version`, NuGet, PHP's `version_compare`). One module per scheme
//! holds the comparator and documents where it follows (or, deliberately, departs from) the
//! reference implementation. [`osv`] evaluates an OSV `affected` entry against an installed
//! version.

mod error;
mod num;

pub mod apk;
pub mod composer;
pub mod dpkg;
pub mod ecosystem;
pub mod generic;
pub mod go;
pub mod maven;
pub mod npm;
pub mod nuget;
pub mod osv;
pub mod pep440;
pub mod rpm;
pub mod rubygems;
pub mod semver;

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

pub use error::{UnknownScheme, VersionError};

/// A version-ordering scheme: how one ecosystem orders its version strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VersionScheme {
    /// Debian and Ubuntu packages (`dpkg --compare-versions`).
    Dpkg,
    /// Alpine, Wolfi and Chainguard packages (apk-tools).
    Apk,
    /// RPM packages (`rpmvercmp` with epoch, `~` and `^`).
    Rpm,
    /// SemVer 2.0 (crates.io, OSV `SEMVER` ranges), parsed leniently.
    Semver,
    /// npm packages (node-semver).
    Npm,
    /// Python packages (PEP 440, with `packaging`'s legacy fallback for invalid strings).
    Pep440,
    /// Maven artifacts (`ComparableVersion`).
    Maven,
    /// Go modules (`golang.org/x/mod/semver`, with the leading `v` optional).
    Go,
    /// Ruby gems (`Gem::Version`).
    RubyGems,
    /// NuGet packages (`NuGetVersion`).
    NuGet,
    /// Composer / Packagist packages (PHP `version_compare`).
    Composer,
    /// Anything else: numbers compare as numbers, words as words.
    Generic,
}

impl VersionScheme {
    /// Every scheme, in declaration order.
    pub const ALL: [Self; 12] = [
        Self::Dpkg,
        Self::Apk,
        Self::Rpm,
        Self::Semver,
        Self::Npm,
        Self::Pep440,
        Self::Maven,
        Self::Go,
        Self::RubyGems,
        Self::NuGet,
        Self::Composer,
        Self::Generic,
    ];

    /// The lowercase name used on the command line and in [`FromStr`].
    pub fn name(self) -> &'static str {
        match self {
            Self::Dpkg => "dpkg",
            Self::Apk => "apk",
            Self::Rpm => "rpm",
            Self::Semver => "semver",
            Self::Npm => "npm",
            Self::Pep440 => "pep440",
            Self::Maven => "maven",
            Self::Go => "go",
            Self::RubyGems => "rubygems",
            Self::NuGet => "nuget",
            Self::Composer => "composer",
            Self::Generic => "generic",
        }
    }

    /// Compares `a` with `b` in this scheme.
    ///
    /// # Errors
    /// [`VersionError`] naming the first of the two versions that this scheme cannot parse.
    pub fn compare(self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        match self {
            Self::Dpkg => dpkg::compare(a, b),
            Self::Apk => Ok(apk::compare(a, b)),
            Self::Rpm => Ok(rpm::compare(a, b)),
            Self::Semver => semver::compare(a, b),
            Self::Npm => npm::compare(a, b),
            Self::Pep440 => pep440::compare(a, b),
            Self::Maven => Ok(maven::compare(a, b)),
            Self::Go => go::compare(a, b),
            Self::RubyGems => rubygems::compare(a, b),
            Self::NuGet => nuget::compare(a, b),
            Self::Composer => Ok(composer::compare(a, b)),
            Self::Generic => generic::compare(a, b),
        }
    }

    /// Checks that `version` is one this scheme can order.
    ///
    /// Schemes whose reference tool orders every string (apk, rpm, Maven, Composer) accept
    /// every string here; [`VersionScheme::is_strictly_valid`] tells whether the ecosystem
    /// would call it well-formed.
    ///
    /// # Errors
    /// [`VersionError`] if the scheme cannot parse `version`.
    pub fn validate(self, version: &str) -> Result<(), VersionError> {
        self.compare(version, version).map(|_| ())
    }

    /// Whether `version` is well-formed by the ecosystem's own, stricter, rules (for apk:
    /// `apk version --check`; for dpkg: no syntax warning). Ordering does not need this.
    pub fn is_strictly_valid(self, version: &str) -> bool {
        match self {
            Self::Apk => apk::is_valid(version),
            Self::Dpkg => dpkg::parse(version).is_ok_and(|v| v.syntax_warning().is_none()),
            other => other.validate(version).is_ok(),
        }
    }

    /// The scheme for an OSV `affected[].package.ecosystem` string (`Debian:12`, `PyPI`, ...);
    /// unknown ecosystems get [`VersionScheme::Generic`].
    pub fn from_osv_ecosystem(ecosystem: &str) -> Self {
        ecosystem::scheme_for_osv_ecosystem(ecosystem)
    }
}

impl fmt::Display for VersionScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for VersionScheme {
    type Err = UnknownScheme;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|scheme| scheme.name() == s).ok_or_else(|| UnknownScheme(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for scheme in VersionScheme::ALL {
            assert_eq!(scheme.name().parse::<VersionScheme>().unwrap(), scheme);
            assert_eq!(scheme.to_string(), scheme.name());
        }
        assert!("Dpkg".parse::<VersionScheme>().is_err());
        assert!("".parse::<VersionScheme>().is_err());
    }

    #[test]
    fn error_names_the_bad_version() {
        let err = VersionScheme::Npm.compare("1.2.3", "not-a-version").unwrap_err();
        assert_eq!(err.version(), "not-a-version");
        assert!(err.to_string().contains("not-a-version"), "{err}");
        assert!(err.to_string().contains("npm"), "{err}");
    }
}
