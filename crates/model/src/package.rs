//! Packages found in an image.

use serde::{Deserialize, Serialize};

/// What kind of package database or evidence a package came from. It fixes the purl type and
/// the version scheme the matcher compares with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageKind {
    /// A Debian package (dpkg).
    Deb,
    /// An Alpine/Wolfi package (apk).
    Apk,
    /// An rpm package.
    Rpm,
    /// A Python distribution.
    Pypi,
    /// An npm package.
    Npm,
    /// A Go module (including the `stdlib` pseudo-module).
    Golang,
    /// A Rust crate.
    Cargo,
    /// A Maven artifact.
    Maven,
    /// A Ruby gem.
    Gem,
    /// A PHP Composer package.
    Composer,
    /// A NuGet package.
    Nuget,
}

impl PackageKind {
    /// The OSV ecosystem language packages of this kind are looked up in (`PyPI`, `npm`, ...);
    /// `None` for OS kinds, whose ecosystem is their distro's release. The matcher keys its
    /// lookups by it and the reports name it, so it is defined once, here.
    pub fn osv_ecosystem(self) -> Option<&'static str> {
        Some(match self {
            Self::Pypi => "PyPI",
            Self::Npm => "npm",
            Self::Golang => "Go",
            Self::Cargo => "crates.io",
            Self::Maven => "Maven",
            Self::Gem => "RubyGems",
            Self::Composer => "Packagist",
            Self::Nuget => "NuGet",
            Self::Deb | Self::Apk | Self::Rpm => return None,
        })
    }

    /// The purl type of this kind (`deb`, `pypi`, ...).
    pub fn purl_type(self) -> &'static str {
        match self {
            Self::Deb => "deb",
            Self::Apk => "apk",
            Self::Rpm => "rpm",
            Self::Pypi => "pypi",
            Self::Npm => "npm",
            Self::Golang => "golang",
            Self::Cargo => "cargo",
            Self::Maven => "maven",
            Self::Gem => "gem",
            Self::Composer => "composer",
            Self::Nuget => "nuget",
        }
    }

    /// True for packages managed by the operating system's package manager.
    pub fn is_os(self) -> bool {
        matches!(self, Self::Deb | Self::Apk | Self::Rpm)
    }
}

/// How we know a package is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Evidence {
    /// Installed: a package database, installed metadata or a binary says it is there.
    Installed,
    /// Declared only: a lockfile names it, but nothing installed was found.
    Declared,
    /// Both installed and declared in a lockfile.
    Both,
}

/// The layer that introduced a package.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct LayerRef {
    /// Position of the layer, from 0 at the base.
    pub index: usize,
    /// The layer's diffID (sha256 of the uncompressed tar).
    pub diff_id: String,
    /// The image history line that created the layer (`RUN apt-get install ...`), if recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

/// One package found in the image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// Which package database or ecosystem it belongs to.
    pub kind: PackageKind,
    /// The package name as its ecosystem spells it (binary package name for OS packages).
    pub name: String,
    /// The installed version, verbatim.
    pub version: String,
    /// The architecture, for OS packages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// The source package name (dpkg `Source:`, apk origin, rpm source rpm), which distro
    /// advisories are keyed by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// The source package version, when it differs from the binary one (binNMUs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    /// Declared licenses, verbatim.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    /// The package URL.
    pub purl: String,
    /// The path inside the image of the file that says the package is there.
    pub location: String,
    /// Installed, declared in a lockfile, or both.
    pub evidence: Evidence,
    /// The layer that introduced this package, once the merge step has attributed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<LayerRef>,
    /// Files the package owns (dpkg `info/*.list`, rpm file lists), as absolute paths. Used to
    /// attribute language packages to the OS package that ships them; not part of reports.
    #[serde(default, skip_serializing)]
    pub files: Vec<String>,
}

impl Package {
    /// The identity used to tell whether two layers hold "the same" package.
    pub fn identity(&self) -> (PackageKind, &str, &str, Option<&str>) {
        (self.kind, &self.name, &self.version, self.arch.as_deref())
    }
}
