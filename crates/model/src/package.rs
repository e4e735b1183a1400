//! Packages found in an image.

use std::sync::Arc;

use compact_str::CompactString;
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
    /// A Dart / Flutter package (pub.dev).
    Pub,
    /// An Elixir / Erlang package (hex.pm).
    Hex,
    /// A Swift Package Manager package, named by its repository URL without the scheme
    /// (`github.com/apple/swift-nio`).
    Swift,
    /// A CocoaPods pod (`AppCenter`, or a subspec `AppCenter/Core`). OSV has no CocoaPods
    /// ecosystem: these are listed, not matched.
    Cocoapods,
    /// A C/C++ Conan package (ConanCenter).
    Conan,
    /// A Julia package (the General registry).
    Julia,
}

impl PackageKind {
    /// The OSV ecosystem language packages of this kind are looked up in (`PyPI`, `npm`, ...);
    /// `None` for OS kinds, whose ecosystem is their distro's release, and for CocoaPods, which no
    /// OSV ecosystem covers. The matcher keys its
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
            Self::Pub => "Pub",
            Self::Hex => "Hex",
            Self::Swift => "SwiftURL",
            Self::Conan => "ConanCenter",
            Self::Julia => "Julia",
            // no OSV ecosystem publishes CocoaPods advisories
            Self::Cocoapods => return None,
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
            Self::Pub => "pub",
            Self::Hex => "hex",
            Self::Swift => "swift",
            Self::Cocoapods => "cocoapods",
            Self::Conan => "conan",
            Self::Julia => "julia",
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
///
/// An image can list hundreds of thousands of packages (a 250,000-stanza dpkg status, a
/// lockfile of a million entries), so a package is kept small: its text fields are
/// [`CompactString`]s, stored inline up to 24 bytes (a name, a version, an architecture, a
/// location such as `/var/lib/dpkg/status` cost no allocation), and its layer is a shared
/// pointer. The JSON is the same as with `String`s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// Which package database or ecosystem it belongs to.
    pub kind: PackageKind,
    /// The package name as its ecosystem spells it (binary package name for OS packages).
    pub name: CompactString,
    /// The installed version, verbatim.
    pub version: CompactString,
    /// The architecture, for OS packages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<CompactString>,
    /// The source package name (dpkg `Source:`, apk origin, rpm source rpm), which distro
    /// advisories are keyed by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_name: Option<CompactString>,
    /// The source package version, when it differs from the binary one (binNMUs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<CompactString>,
    /// Declared licenses, verbatim.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    /// The package URL.
    pub purl: CompactString,
    /// The path inside the image of the file that says the package is there.
    pub location: CompactString,
    /// Installed, declared in a lockfile, or both.
    pub evidence: Evidence,
    /// The layer that introduced this package, once the merge step has attributed it. Shared:
    /// every package of a layer points at one `LayerRef` (the same JSON as a copy each).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<Arc<LayerRef>>,
    /// Files the package owns (dpkg `info/*.list`, rpm file lists), as absolute paths. Used to
    /// attribute language packages to the OS package that ships them; not part of reports.
    #[serde(default, skip_serializing)]
    pub files: Vec<String>,
}

impl Package {
    /// An installed package of `kind` named `name` at `version`, with no purl, location or
    /// anything else yet: add them with the `with_*` setters.
    pub fn new(kind: PackageKind, name: impl Into<CompactString>, version: impl Into<CompactString>) -> Self {
        Self {
            kind,
            name: name.into(),
            version: version.into(),
            arch: None,
            source_name: None,
            source_version: None,
            licenses: Vec::new(),
            purl: CompactString::default(),
            location: CompactString::default(),
            evidence: Evidence::Installed,
            layer: None,
            files: Vec::new(),
        }
    }

    /// With this architecture.
    #[must_use]
    pub fn with_arch(mut self, arch: Option<impl Into<CompactString>>) -> Self {
        self.arch = arch.map(Into::into);
        self
    }

    /// With this source package name.
    #[must_use]
    pub fn with_source_name(mut self, source_name: Option<impl Into<CompactString>>) -> Self {
        self.source_name = source_name.map(Into::into);
        self
    }

    /// With this source package version.
    #[must_use]
    pub fn with_source_version(mut self, source_version: Option<impl Into<CompactString>>) -> Self {
        self.source_version = source_version.map(Into::into);
        self
    }

    /// With these declared licenses.
    #[must_use]
    pub fn with_licenses(mut self, licenses: Vec<String>) -> Self {
        self.licenses = licenses;
        self
    }

    /// With this package URL.
    #[must_use]
    pub fn with_purl(mut self, purl: impl Into<CompactString>) -> Self {
        self.purl = purl.into();
        self
    }

    /// Found at this path in the image.
    #[must_use]
    pub fn with_location(mut self, location: impl Into<CompactString>) -> Self {
        self.location = location.into();
        self
    }

    /// With this evidence (installed is the default).
    #[must_use]
    pub fn with_evidence(mut self, evidence: Evidence) -> Self {
        self.evidence = evidence;
        self
    }

    /// Introduced by this layer.
    #[must_use]
    pub fn with_layer(mut self, layer: Option<Arc<LayerRef>>) -> Self {
        self.layer = layer;
        self
    }

    /// Owning these files.
    #[must_use]
    pub fn with_files(mut self, files: Vec<String>) -> Self {
        self.files = files;
        self
    }

    /// The identity used to tell whether two layers hold "the same" package.
    pub fn identity(&self) -> (PackageKind, &str, &str, Option<&str>) {
        (self.kind, &self.name, &self.version, self.arch.as_deref())
    }
}
