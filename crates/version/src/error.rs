//! The errors of this crate.

use crate::VersionScheme;

/// A version string that a scheme cannot parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {scheme} version {version:?}: {reason}")]
pub struct VersionError {
    scheme: VersionScheme,
    version: String,
    reason: &'static str,
}

impl VersionError {
    /// A `scheme` version `version` that is invalid because of `reason`.
    pub fn new(scheme: VersionScheme, version: &str, reason: &'static str) -> Self {
        Self { scheme, version: version.to_owned(), reason }
    }

    /// The scheme that rejected the version.
    pub fn scheme(&self) -> VersionScheme {
        self.scheme
    }

    /// The version string that was rejected, as given.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Why it was rejected.
    pub fn reason(&self) -> &'static str {
        self.reason
    }
}

/// A scheme name that is not one of [`VersionScheme::ALL`]'s names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown version scheme {0:?} (expected one of dpkg, apk, rpm, semver, npm, pep440, maven, go, rubygems, nuget, composer, generic)"
)]
pub struct UnknownScheme(pub String);
