//! Packages found in an image.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::Arc;

use compact_str::CompactString;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Purl;

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
    /// A component of a Bitnami image (the application and the libraries built with it),
    /// declared in the image's `/opt/bitnami/<component>/.spdx-<component>.spdx`.
    Bitnami,
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
            Self::Bitnami => "Bitnami",
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
            Self::Bitnami => "bitnami",
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
/// lockfile of a million entries), so a package is 80 bytes: its name and version are
/// [`CompactString`]s (inline up to 24 bytes), its location and layer are shared pointers (every
/// package of one file shares one location), its purl is derived from its kind, name and version
/// unless it differs from that (an OS package's distro qualifiers), and what only some packages
/// have (architecture, source package, licenses, owned files, an rpm module stream) is kept in one boxed record that a
/// language package does not pay for. The JSON is the same as when every field was a string of
/// its own (see the `Serialize` impl).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// Which package database or ecosystem it belongs to.
    pub kind: PackageKind,
    /// Installed, declared in a lockfile, or both.
    pub evidence: Evidence,
    /// The package name as its ecosystem spells it (binary package name for OS packages).
    pub name: CompactString,
    /// The installed version, verbatim.
    pub version: CompactString,
    /// The path inside the image of the file that says the package is there ([`Package::location`]).
    location: Option<Arc<CompactString>>,
    /// The layer that introduced this package, once the merge step has attributed it. Shared:
    /// every package of a layer points at one `LayerRef` (the same JSON as a copy each).
    pub layer: Option<Arc<LayerRef>>,
    /// What only some packages have; `None` when all of it is empty.
    details: Option<Box<Details>>,
}

/// The fields of a [`Package`] that most language packages leave empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
///
/// Boxed strings (two words) for the fields that are rarely short or rarely set (a purl with its
/// qualifiers, a binNMU source version, an rpm modularity label), so the record stays 128 bytes.
struct Details {
    arch: Option<CompactString>,
    source_name: Option<CompactString>,
    source_version: Option<Box<str>>,
    /// Boxed slices (two words, not three): set once, never grown.
    licenses: Box<[String]>,
    /// The purl, when it is not the one [`Purl::for_package`] derives.
    purl: Option<Box<str>>,
    /// The files an OS package owns, or the digest of the file a language package was read from:
    /// one slot, since no package has both (an OS package's evidence is its database, which is
    /// not the package), keeping the record at 128 bytes.
    file: FileFacts,
    /// The rpm `MODULARITYLABEL` (`nodejs:18:9030020231120082734:rhel9`).
    modularity_label: Option<Box<str>>,
}

/// What a package's record says about files: the files it owns (an OS package), or the sha256
/// of the one file it was read from (a binary, a Java archive). An enum of two boxes is as
/// small as one of them: the null pointer of the slice marks the digest.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FileFacts {
    /// The files the package owns, as absolute paths (possibly none).
    Owned(Box<[String]>),
    /// The sha256 of the file the package was read from.
    Sha256(Box<[u8; 32]>),
}

impl Default for FileFacts {
    fn default() -> Self {
        Self::Owned(Box::default())
    }
}

impl Details {
    fn is_empty(&self) -> bool {
        self.arch.is_none()
            && self.source_name.is_none()
            && self.source_version.is_none()
            && self.licenses.is_empty()
            && self.purl.is_none()
            && matches!(&self.file, FileFacts::Owned(files) if files.is_empty())
            && self.modularity_label.is_none()
    }
}

impl Package {
    /// An installed package of `kind` named `name` at `version`, with no location or anything
    /// else yet: add them with the `with_*` setters. Its purl is the one its kind derives from
    /// the name and version until [`Package::with_purl`] says otherwise.
    pub fn new(kind: PackageKind, name: impl Into<CompactString>, version: impl Into<CompactString>) -> Self {
        Self {
            kind,
            evidence: Evidence::Installed,
            name: name.into(),
            version: version.into(),
            location: None,
            layer: None,
            details: None,
        }
    }

    /// The record of rarely set fields, made on first use.
    fn details_mut(&mut self) -> &mut Details {
        self.details.get_or_insert_with(Box::default)
    }

    /// Drops the record of rarely set fields when everything in it is empty.
    fn tidy(&mut self) {
        if self.details.as_ref().is_some_and(|d| d.is_empty()) {
            self.details = None;
        }
    }

    /// The architecture, for OS packages.
    pub fn arch(&self) -> Option<&str> {
        self.details.as_ref()?.arch.as_deref()
    }

    /// The source package name (dpkg `Source:`, apk origin, rpm source rpm), which distro
    /// advisories are keyed by.
    pub fn source_name(&self) -> Option<&str> {
        self.details.as_ref()?.source_name.as_deref()
    }

    /// The source package version, when it differs from the binary one (binNMUs).
    pub fn source_version(&self) -> Option<&str> {
        self.details.as_ref()?.source_version.as_deref()
    }

    /// Declared licenses, verbatim.
    pub fn licenses(&self) -> &[String] {
        self.details.as_ref().map_or(&[], |d| &d.licenses)
    }

    /// Files the package owns (dpkg `info/*.list`, rpm file lists), as absolute paths. Used to
    /// attribute language packages to the OS package that ships them; not part of reports.
    pub fn files(&self) -> &[String] {
        match self.details.as_deref() {
            Some(Details { file: FileFacts::Owned(files), .. }) => files,
            _ => &[],
        }
    }

    /// The sha256 of the file the package was read from (a Go or Rust binary, a Java archive, a
    /// zipped egg), computed as the layer walk streamed it; `None` for packages read from a
    /// database or metadata file that is not the package itself.
    pub fn sha256(&self) -> Option<&[u8; 32]> {
        match self.details.as_deref() {
            Some(Details { file: FileFacts::Sha256(digest), .. }) => Some(digest),
            _ => None,
        }
    }

    /// [`Package::sha256`] as 64 lowercase hex digits.
    pub fn sha256_hex(&self) -> Option<String> {
        self.sha256().map(|digest| digest.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The package URL: the one set with [`Package::with_purl`], else the one its kind derives
    /// from its name and version ([`Purl::for_package`]).
    pub fn purl(&self) -> Cow<'_, str> {
        match self.details.as_ref().and_then(|d| d.purl.as_deref()) {
            Some(purl) => Cow::Borrowed(purl),
            None => Cow::Owned(Purl::for_package(self.kind, &self.name, &self.version).to_string()),
        }
    }

    /// The path inside the image of the file that says the package is there (empty until an
    /// analyzer says it).
    pub fn location(&self) -> &str {
        self.location.as_deref().map_or("", CompactString::as_str)
    }

    /// The shared location, for giving it to other packages of the same file.
    pub fn shared_location(&self) -> Option<&Arc<CompactString>> {
        self.location.as_ref()
    }

    /// With this architecture.
    #[must_use]
    pub fn with_arch(mut self, arch: Option<impl Into<CompactString>>) -> Self {
        self.set_arch(arch.map(Into::into));
        self
    }

    /// Sets the architecture.
    pub fn set_arch(&mut self, arch: Option<CompactString>) {
        self.details_mut().arch = arch;
        self.tidy();
    }

    /// With this source package name.
    #[must_use]
    pub fn with_source_name(mut self, source_name: Option<impl Into<CompactString>>) -> Self {
        self.set_source_name(source_name.map(Into::into));
        self
    }

    /// Sets the source package name.
    pub fn set_source_name(&mut self, source_name: Option<CompactString>) {
        self.details_mut().source_name = source_name;
        self.tidy();
    }

    /// With this source package version.
    #[must_use]
    pub fn with_source_version(mut self, source_version: Option<impl Into<CompactString>>) -> Self {
        self.set_source_version(source_version.map(Into::into));
        self
    }

    /// Sets the source package version.
    pub fn set_source_version(&mut self, source_version: Option<CompactString>) {
        self.details_mut().source_version = source_version.map(|v| v.as_str().into());
        self.tidy();
    }

    /// The rpm module stream build that installed the package (`MODULARITYLABEL`:
    /// `name:stream:version:context`, `nodejs:18:9030020231120082734:rhel9`); `None` for a
    /// package of no module. Red Hat advisories of module builds apply only within their stream.
    pub fn modularity_label(&self) -> Option<&str> {
        self.details.as_ref()?.modularity_label.as_deref()
    }

    /// With this rpm modularity label.
    #[must_use]
    pub fn with_modularity_label(mut self, label: Option<impl Into<CompactString>>) -> Self {
        self.set_modularity_label(label.map(Into::into));
        self
    }

    /// Sets the rpm modularity label (an empty one is none).
    pub fn set_modularity_label(&mut self, label: Option<CompactString>) {
        self.details_mut().modularity_label = label.filter(|l| !l.is_empty()).map(|l| l.as_str().into());
        self.tidy();
    }

    /// With these declared licenses.
    #[must_use]
    pub fn with_licenses(mut self, licenses: Vec<String>) -> Self {
        self.set_licenses(licenses);
        self
    }

    /// Sets the declared licenses.
    pub fn set_licenses(&mut self, licenses: Vec<String>) {
        self.details_mut().licenses = licenses.into_boxed_slice();
        self.tidy();
    }

    /// With this package URL.
    #[must_use]
    pub fn with_purl(mut self, purl: impl Into<CompactString>) -> Self {
        self.set_purl(purl);
        self
    }

    /// Sets the package URL. The one the kind derives is not stored: a language package keeps no
    /// copy of what its name and version already say.
    pub fn set_purl(&mut self, purl: impl Into<CompactString>) {
        let purl = purl.into();
        let derived = Purl::for_package(self.kind, &self.name, &self.version).to_string();
        self.details_mut().purl = (purl != derived).then(|| purl.as_str().into());
        self.tidy();
    }

    /// Found at this path in the image. Each call makes a location of its own; a parser that
    /// finds many packages in one file gives them one with [`Package::with_shared_location`].
    #[must_use]
    pub fn with_location(mut self, location: impl Into<CompactString>) -> Self {
        self.set_location(location);
        self
    }

    /// Sets the location (see [`Package::with_location`]).
    pub fn set_location(&mut self, location: impl Into<CompactString>) {
        let location = location.into();
        if self.location() != location {
            self.location = Some(Arc::new(location));
        }
    }

    /// Found in the file at `location`, shared with the other packages of that file.
    #[must_use]
    pub fn with_shared_location(mut self, location: Arc<CompactString>) -> Self {
        self.location = Some(location);
        self
    }

    /// Sets the shared location (see [`Package::with_shared_location`]).
    pub fn set_shared_location(&mut self, location: Arc<CompactString>) {
        self.location = Some(location);
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
        self.set_files(files);
        self
    }

    /// Sets the files the package owns (which replaces a digest: see [`Package::sha256`]).
    pub fn set_files(&mut self, files: Vec<String>) {
        if !files.is_empty() || matches!(self.details.as_deref(), Some(Details { file: FileFacts::Owned(_), .. })) {
            self.details_mut().file = FileFacts::Owned(files.into_boxed_slice());
        }
        self.tidy();
    }

    /// Takes the files the package owns, leaving none.
    pub fn take_files(&mut self) -> Vec<String> {
        let files = match self.details.as_deref_mut() {
            Some(Details { file: file @ FileFacts::Owned(_), .. }) => match std::mem::take(file) {
                FileFacts::Owned(files) => files.into_vec(),
                FileFacts::Sha256(_) => Vec::new(),
            },
            _ => Vec::new(),
        };
        self.tidy();
        files
    }

    /// With the sha256 of the file it was read from (see [`Package::sha256`]).
    #[must_use]
    pub fn with_sha256(mut self, digest: Option<[u8; 32]>) -> Self {
        self.set_sha256(digest);
        self
    }

    /// Sets the sha256 of the file the package was read from. A package that owns files (an OS
    /// package) keeps them: it has no file digest of its own.
    pub fn set_sha256(&mut self, digest: Option<[u8; 32]>) {
        match digest {
            Some(digest) if self.files().is_empty() => self.details_mut().file = FileFacts::Sha256(Box::new(digest)),
            Some(_) => {}
            None => {
                if self.sha256().is_some() {
                    self.details_mut().file = FileFacts::default();
                }
            }
        }
        self.tidy();
    }

    /// The order of packages in an inventory and its reports: kind, name, version, architecture,
    /// location, then the purl, which is made only to break a tie (a language package's is
    /// derived, not stored). One definition for the scan and for an inventory read back from an
    /// SBOM, so both list packages alike.
    pub fn cmp_listing(&self, other: &Self) -> Ordering {
        (self.kind, &self.name, &self.version, self.arch(), self.location())
            .cmp(&(other.kind, &other.name, &other.version, other.arch(), other.location()))
            .then_with(|| self.purl().cmp(&other.purl()))
    }

    /// The identity used to tell whether two layers hold "the same" package.
    pub fn identity(&self) -> (PackageKind, &str, &str, Option<&str>) {
        (self.kind, &self.name, &self.version, self.arch())
    }
}

/// A package as its JSON spells it, borrowed for writing: the shape `Package` had when every
/// field was a string of its own, kept so reports and caches do not change.
#[derive(Serialize)]
struct PackageOut<'a> {
    kind: PackageKind,
    name: &'a str,
    version: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    arch: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    modularity_label: Option<&'a str>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    licenses: &'a [String],
    purl: Cow<'a, str>,
    location: &'a str,
    evidence: Evidence,
    #[serde(skip_serializing_if = "Option::is_none")]
    layer: Option<&'a LayerRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<String>,
}

impl Serialize for Package {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        PackageOut {
            kind: self.kind,
            name: &self.name,
            version: &self.version,
            arch: self.arch(),
            source_name: self.source_name(),
            source_version: self.source_version(),
            modularity_label: self.modularity_label(),
            licenses: self.licenses(),
            purl: self.purl(),
            location: self.location(),
            evidence: self.evidence,
            layer: self.layer.as_deref(),
            sha256: self.sha256_hex(),
        }
        .serialize(serializer)
    }
}

/// A package as its JSON spells it, read (owned fields; `files` is never written, but read when
/// present).
#[derive(Deserialize)]
struct PackageIn {
    kind: PackageKind,
    name: CompactString,
    version: CompactString,
    #[serde(default)]
    arch: Option<CompactString>,
    #[serde(default)]
    source_name: Option<CompactString>,
    #[serde(default)]
    source_version: Option<CompactString>,
    #[serde(default)]
    modularity_label: Option<CompactString>,
    #[serde(default)]
    licenses: Vec<String>,
    purl: CompactString,
    location: CompactString,
    evidence: Evidence,
    #[serde(default)]
    layer: Option<Arc<LayerRef>>,
    #[serde(default)]
    files: Vec<String>,
    #[serde(default, deserialize_with = "sha256_hex")]
    sha256: Option<[u8; 32]>,
}

/// Reads an optional sha256 written as 64 hex digits; anything else is an error naming it.
fn sha256_hex<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<[u8; 32]>, D::Error> {
    let Some(text) = Option::<CompactString>::deserialize(deserializer)? else { return Ok(None) };
    parse_sha256(&text).map(Some).ok_or_else(|| serde::de::Error::custom("sha256: expected 64 hex digits"))
}

/// The 32 bytes of a sha256 written as 64 hex digits (either case), `None` for anything else.
pub fn parse_sha256(text: &str) -> Option<[u8; 32]> {
    let bytes = text.as_bytes();
    if bytes.len() != 64 {
        return None;
    }
    let mut digest = [0_u8; 32];
    for (out, pair) in digest.iter_mut().zip(bytes.chunks_exact(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *out = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(digest)
}

impl<'de> Deserialize<'de> for Package {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let p = PackageIn::deserialize(deserializer)?;
        let mut package = Self::new(p.kind, p.name, p.version)
            .with_arch(p.arch)
            .with_source_name(p.source_name)
            .with_source_version(p.source_version)
            .with_modularity_label(p.modularity_label)
            .with_licenses(p.licenses)
            .with_purl(p.purl)
            .with_location(p.location)
            .with_evidence(p.evidence)
            .with_layer(p.layer)
            .with_files(p.files)
            .with_sha256(p.sha256);
        package.tidy();
        Ok(package)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_package_stays_small() {
        // a lockfile of a million entries is a million of these (issue 23's memory target)
        assert!(size_of::<Package>() <= 80, "{} bytes", size_of::<Package>());
        // an OS package's boxed fields: one allocation of at most 128 bytes
        assert!(size_of::<Details>() <= 128, "{} bytes", size_of::<Details>());
    }

    #[test]
    fn the_modularity_label_survives_json() {
        let p = Package::new(PackageKind::Rpm, "nodejs", "1:18.18.2-2.module+el9.3.0+20414+ad66b7a1")
            .with_modularity_label(Some("nodejs:18:9030020231120082734:rhel9"))
            .with_location("/var/lib/rpm/rpmdb.sqlite");
        let json = serde_json::to_string(&p).unwrap();
        assert!(json.contains(r#""modularity_label":"nodejs:18:9030020231120082734:rhel9""#), "{json}");
        let back: Package = serde_json::from_str(&json).unwrap();
        assert_eq!(back, p);
        let plain = Package::new(PackageKind::Rpm, "bash", "5.1.8-6.el9").with_modularity_label(Some(""));
        assert_eq!(plain.modularity_label(), None);
        assert!(!serde_json::to_string(&plain).unwrap().contains("modularity"));
    }

    #[test]
    fn a_digest_is_written_as_hex_and_read_back_and_owned_files_win() {
        let digest = [0xab_u8; 32];
        let go = Package::new(PackageKind::Golang, "stdlib", "go1.22.0").with_sha256(Some(digest));
        assert_eq!(go.sha256(), Some(&digest));
        let json = serde_json::to_value(&go).unwrap();
        assert_eq!(json["sha256"], "ab".repeat(32));
        let back: Package = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, go);
        let mut bad = json;
        bad["sha256"] = serde_json::json!("abc");
        let err = serde_json::from_value::<Package>(bad).unwrap_err().to_string();
        assert!(err.contains("sha256"), "{err}");
        // an OS package keeps its files; a digest never replaces them
        let deb = Package::new(PackageKind::Deb, "bash", "5.2")
            .with_files(vec!["/bin/bash".into()])
            .with_sha256(Some(digest));
        assert_eq!((deb.files().len(), deb.sha256()), (1, None));
        assert_eq!(go.clone().with_sha256(None).details, None, "clearing the digest leaves nothing boxed");
        assert!(serde_json::to_value(Package::new(PackageKind::Npm, "a", "1")).unwrap().get("sha256").is_none());
    }

    #[test]
    fn a_derived_purl_is_not_stored_and_json_is_unchanged() {
        let npm = Package::new(PackageKind::Npm, "@babel/core", "7.0.0").with_purl("pkg:npm/%40babel/core@7.0.0");
        assert!(npm.details.is_none(), "the derived purl costs nothing");
        let deb = Package::new(PackageKind::Deb, "bash", "5.2-1")
            .with_arch(Some("amd64"))
            .with_purl("pkg:deb/debian/bash@5.2-1?arch=amd64")
            .with_location("/var/lib/dpkg/status");
        let json = serde_json::to_value(&deb).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "deb", "name": "bash", "version": "5.2-1", "arch": "amd64",
                "purl": "pkg:deb/debian/bash@5.2-1?arch=amd64", "location": "/var/lib/dpkg/status",
                "evidence": "installed"})
        );
        let back: Package = serde_json::from_value(json).unwrap();
        assert_eq!(back, deb);
        assert_eq!(npm.purl(), "pkg:npm/%40babel/core@7.0.0");
    }
}
