//! Which database key a package is looked up by ([`LookupKey`]), and which version is compared.
//!
//! * Language packages use the OSV ecosystem of their kind ([`language_ecosystem`]) and their own
//!   name and version. Go toolchain versions (`go1.21.3`, as `go version` and some SBOMs spell
//!   the `stdlib` module) are normalised to the SemVer form the Go vulnerability database uses.
//! * OS packages use the distro release of the image (`Debian:12`, `Alpine:v3.19`), never an
//!   upstream ecosystem. Debian and Ubuntu key advisories by *source* package (`libssl3` is
//!   matched as `openssl`) and the source version is compared (a binNMU `1.0.8-5+b1` is source
//!   `1.0.8-5`). Alpine's secdb is keyed by the origin package, which the catalog records as the
//!   source name. rpm distros (AlmaLinux, Rocky, Red Hat OSV) name *binary* packages in their
//!   advisories, so rpm packages are looked up by their own name and `[epoch:]version-release`;
//!   a Red Hat rpm also by its source rpm's name ([`redhat_source_key`]), where Red Hat's
//!   states other than fixes are.

use std::borrow::Cow;

use microscanner_model::{OsInfo, Package, PackageKind};
use microscanner_version::VersionScheme;

/// The database key (ecosystem, name) a package is looked up by, and the version compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupKey<'a> {
    /// The ecosystem looked up (`PyPI`, `Debian:12`; an Oracle Ksplice package
    /// `Oracle Linux:8:ksplice1`, a Red Hat module build `Red Hat:enterprise_linux:9:module:nodejs:18`).
    pub ecosystem: Cow<'a, str>,
    /// The name looked up (the source package for Debian and Ubuntu).
    pub name: &'a str,
    /// The version compared (the source version for Debian binNMUs, `1.21.3` for `go1.21.3`).
    pub version: Cow<'a, str>,
    /// The scheme the ecosystem orders versions with.
    pub scheme: VersionScheme,
}

/// Why a package cannot be looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unmatched {
    /// An OS package in an image whose OS was not recognised.
    UnknownOs,
    /// The OS was recognised but has no advisory ecosystem (`fedora 42`, `debian sid`).
    NoOsEcosystem {
        /// `family version` of the OS.
        os: String,
    },
    /// An OS package whose kind does not fit the OS's ecosystem (an rpm in a Debian image).
    WrongOs {
        /// The OS ecosystem.
        ecosystem: String,
    },
    /// A language package of a kind no advisory ecosystem covers (CocoaPods: OSV has none). A
    /// gap of the advisory data, not of the image.
    NoAdvisoryEcosystem,
}

/// The OSV ecosystem of a language package kind; `None` for OS kinds (they use the distro's).
pub fn language_ecosystem(kind: PackageKind) -> Option<&'static str> {
    kind.osv_ecosystem()
}

/// The version scheme an OS package kind's versions follow.
fn os_scheme(kind: PackageKind) -> Option<VersionScheme> {
    match kind {
        PackageKind::Deb => Some(VersionScheme::Dpkg),
        PackageKind::Apk => Some(VersionScheme::Apk),
        PackageKind::Rpm => Some(VersionScheme::Rpm),
        _ => None,
    }
}

/// The (ecosystem, name, version) `package` is matched with, given the image's OS.
///
/// # Errors
/// [`Unmatched`] for OS packages when the OS (or its advisory ecosystem) is unknown, or does not
/// fit the package kind; for language packages of a kind no advisory ecosystem covers.
pub fn lookup_key<'a>(package: &'a Package, os: Option<&'a OsInfo>) -> Result<LookupKey<'a>, Unmatched> {
    if let Some(ecosystem) = language_ecosystem(package.kind) {
        let version = if package.kind == PackageKind::Golang {
            go_version(&package.name, &package.version)
        } else {
            Cow::Borrowed(package.version.as_str())
        };
        return Ok(LookupKey {
            ecosystem: Cow::Borrowed(ecosystem),
            name: &package.name,
            version,
            scheme: VersionScheme::from_osv_ecosystem(ecosystem),
        });
    }
    if !package.kind.is_os() {
        return Err(Unmatched::NoAdvisoryEcosystem);
    }
    let os = os.ok_or(Unmatched::UnknownOs)?;
    let ecosystem =
        os.ecosystem.as_deref().filter(|e| !e.is_empty()).ok_or_else(|| Unmatched::NoOsEcosystem {
            os: format!("{} {}", os.family, os.version).trim().to_owned(),
        })?;
    let scheme = VersionScheme::from_osv_ecosystem(ecosystem);
    if os_scheme(package.kind) != Some(scheme) {
        return Err(Unmatched::WrongOs { ecosystem: ecosystem.to_owned() });
    }
    let source = package.source_name().filter(|s| !s.is_empty());
    let (name, version) = match package.kind {
        // dpkg: advisories name the source package and its version.
        PackageKind::Deb => (
            source.unwrap_or(&package.name),
            package.source_version().filter(|v| !v.is_empty()).unwrap_or(&package.version),
        ),
        // apk: secdb is keyed by the origin; origin and subpackages share one version.
        PackageKind::Apk => (source.unwrap_or(&package.name), package.version.as_str()),
        // rpm: advisories list binary packages.
        _ => (package.name.as_str(), package.version.as_str()),
    };
    // Oracle's Ksplice packages are their own stream: looked up where the importer keys Ksplice
    // fixes (`Oracle Linux:8:ksplice1`), never among the ordinary fixes, and the other way round
    // (see `microscanner_model::distro::oracle_ksplice_stream`).
    let ecosystem = match microscanner_model::distro::oracle_ksplice_stream(version) {
        Some(label) if package.kind == PackageKind::Rpm && ecosystem.starts_with("Oracle Linux:") => {
            Cow::Owned(format!("{ecosystem}:{}", label.to_ascii_lowercase()))
        }
        _ => redhat_module(package, ecosystem),
    };
    Ok(LookupKey { ecosystem, name, version: Cow::Borrowed(version), scheme })
}

/// The second key of a Red Hat rpm: its `SOURCERPM` name in the source ecosystem of the key it was
/// looked up by (`Red Hat:enterprise_linux:9:source`, or a stream's), where Red Hat's states of
/// source packages are (unfixed, will not fix, deferred, out of support scope, not affected: see
/// `microscanner_model::distro::redhat_source_ecosystem`). `None` for every other package, and
/// for an rpm without a source name.
pub fn redhat_source_key<'a>(package: &'a Package, key: &LookupKey<'a>) -> Option<LookupKey<'a>> {
    if package.kind != PackageKind::Rpm || !key.ecosystem.starts_with("Red Hat:") {
        return None;
    }
    let source = package.source_name().filter(|s| !s.is_empty())?;
    Some(LookupKey {
        ecosystem: Cow::Owned(microscanner_model::distro::redhat_source_ecosystem(&key.ecosystem)),
        name: source,
        version: key.version.clone(),
        scheme: key.scheme,
    })
}

/// Red Hat's module streams are their own streams too: a package whose rpm `MODULARITYLABEL`
/// names a stream (`nodejs:18:…`) is looked up where the Red Hat VEX importer keys that stream's
/// fixes (`Red Hat:enterprise_linux:9:module:nodejs:18`), a package of no stream in the release
/// itself (see `microscanner_model::distro::redhat_module_ecosystem`).
fn redhat_module<'a>(package: &Package, ecosystem: &'a str) -> Cow<'a, str> {
    use microscanner_model::distro::{module_stream, redhat_module_ecosystem};
    match package.modularity_label().and_then(module_stream) {
        Some(stream) if package.kind == PackageKind::Rpm && ecosystem.starts_with("Red Hat:") => {
            Cow::Owned(redhat_module_ecosystem(ecosystem, stream))
        }
        _ => Cow::Borrowed(ecosystem),
    }
}

/// The version a Go package is compared with. The Go vulnerability database spells the toolchain
/// (`stdlib`, `toolchain`) in SemVer without `v` (`1.21.3`, `1.21.0-rc.2`); the catalog records
/// `v1.21.3`, other tools `go1.21.3` or `go1.21rc2`. Module versions (`v1.2.3`) are left alone:
/// the Go and SemVer comparators accept the `v`.
pub fn go_version<'a>(name: &str, version: &'a str) -> Cow<'a, str> {
    if name != "stdlib" && name != "toolchain" {
        return Cow::Borrowed(version);
    }
    microscanner_version::go::toolchain_semver(version).map_or(Cow::Borrowed(version), Cow::Owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkg(kind: PackageKind, name: &str, version: &str) -> Package {
        Package::new(kind, name, version).with_location("/x")
    }

    fn os(ecosystem: Option<&str>) -> OsInfo {
        OsInfo {
            family: "debian".into(),
            version: "12".into(),
            ecosystem: ecosystem.map(str::to_owned),
            ..OsInfo::default()
        }
    }

    #[test]
    fn language_kinds_use_osv_ecosystems() {
        let cases = [
            (PackageKind::Pypi, "PyPI", VersionScheme::Pep440),
            (PackageKind::Npm, "npm", VersionScheme::Npm),
            (PackageKind::Golang, "Go", VersionScheme::Go),
            (PackageKind::Cargo, "crates.io", VersionScheme::Semver),
            (PackageKind::Maven, "Maven", VersionScheme::Maven),
            (PackageKind::Gem, "RubyGems", VersionScheme::RubyGems),
            (PackageKind::Composer, "Packagist", VersionScheme::Composer),
            (PackageKind::Nuget, "NuGet", VersionScheme::NuGet),
            (PackageKind::Pub, "Pub", VersionScheme::Semver),
            (PackageKind::Hex, "Hex", VersionScheme::Semver),
            (PackageKind::Swift, "SwiftURL", VersionScheme::Semver),
            (PackageKind::Conan, "ConanCenter", VersionScheme::Generic),
            (PackageKind::Julia, "Julia", VersionScheme::Semver),
            (PackageKind::Bitnami, "Bitnami", VersionScheme::Semver),
        ];
        for (kind, eco, scheme) in cases {
            let p = pkg(kind, "x", "1.0");
            let t = lookup_key(&p, None).unwrap();
            assert_eq!((t.ecosystem.as_ref(), t.scheme), (eco, scheme), "{kind:?}");
        }
    }

    #[test]
    fn cocoapods_has_no_advisory_ecosystem() {
        let p = pkg(PackageKind::Cocoapods, "AppCenter/Core", "4.2.0");
        assert_eq!(lookup_key(&p, None), Err(Unmatched::NoAdvisoryEcosystem));
        assert_eq!(lookup_key(&p, Some(&os(Some("Debian:12")))), Err(Unmatched::NoAdvisoryEcosystem));
    }

    #[test]
    fn debian_binary_is_matched_as_its_source_with_the_source_version() {
        let mut p = pkg(PackageKind::Deb, "libssl3", "3.0.11-1~deb12u2");
        p.set_source_name(Some("openssl".into()));
        let o = os(Some("Debian:12"));
        let t = lookup_key(&p, Some(&o)).unwrap();
        assert_eq!((t.ecosystem.as_ref(), t.name, t.version.as_ref()), ("Debian:12", "openssl", "3.0.11-1~deb12u2"));
        // binNMU: the source version is compared.
        let mut p = pkg(PackageKind::Deb, "bzip2", "1.0.8-5+b1");
        p.set_source_name(Some("bzip2".into()));
        p.set_source_version(Some("1.0.8-5".into()));
        assert_eq!(lookup_key(&p, Some(&o)).unwrap().version, "1.0.8-5");
        // No Source field: the package is its own source.
        let p = pkg(PackageKind::Deb, "bash", "5.2.15-2+b2");
        let t = lookup_key(&p, Some(&o)).unwrap();
        assert_eq!((t.name, t.version.as_ref()), ("bash", "5.2.15-2+b2"));
    }

    #[test]
    fn apk_uses_origin_and_rpm_the_binary_name() {
        let mut p = pkg(PackageKind::Apk, "libcrypto3", "3.1.4-r5");
        p.set_source_name(Some("openssl".into()));
        let o = OsInfo { family: "alpine".into(), ecosystem: Some("Alpine:v3.19".into()), ..OsInfo::default() };
        assert_eq!(lookup_key(&p, Some(&o)).unwrap().name, "openssl");
        let mut p = pkg(PackageKind::Rpm, "bind-export-libs", "32:9.11.26-3.el8");
        p.set_source_name(Some("bind".into()));
        let o = OsInfo { family: "rocky".into(), ecosystem: Some("Rocky Linux:8".into()), ..OsInfo::default() };
        let t = lookup_key(&p, Some(&o)).unwrap();
        assert_eq!(
            (t.name, t.version.as_ref(), t.scheme),
            ("bind-export-libs", "32:9.11.26-3.el8", VersionScheme::Rpm)
        );
    }

    #[test]
    fn oracle_ksplice_packages_are_their_own_stream() {
        let o = OsInfo { family: "ol".into(), ecosystem: Some("Oracle Linux:8".into()), ..OsInfo::default() };
        let p = pkg(PackageKind::Rpm, "openssl-libs", "1:1.1.1g-15.ksplice1.el8_3");
        assert_eq!(lookup_key(&p, Some(&o)).unwrap().ecosystem, "Oracle Linux:8:ksplice1");
        let p = pkg(PackageKind::Rpm, "openssl-libs", "1:1.1.1g-15.el8_3");
        assert_eq!(lookup_key(&p, Some(&o)).unwrap().ecosystem, "Oracle Linux:8");
        // Only Oracle has the rule.
        let r = OsInfo { family: "rocky".into(), ecosystem: Some("Rocky Linux:8".into()), ..OsInfo::default() };
        let p = pkg(PackageKind::Rpm, "x", "1-1.ksplice1.el8");
        assert_eq!(lookup_key(&p, Some(&r)).unwrap().ecosystem, "Rocky Linux:8");
    }

    #[test]
    fn red_hat_module_builds_are_their_streams() {
        let o =
            OsInfo { family: "rhel".into(), ecosystem: Some("Red Hat:enterprise_linux:9".into()), ..OsInfo::default() };
        let p = pkg(PackageKind::Rpm, "nodejs", "1:18.18.2-2.module+el9.3.0+20414+ad66b7a1")
            .with_modularity_label(Some("nodejs:18:9030020231120082734:rhel9"));
        assert_eq!(lookup_key(&p, Some(&o)).unwrap().ecosystem, "Red Hat:enterprise_linux:9:module:nodejs:18");
        let plain = pkg(PackageKind::Rpm, "nodejs", "1:16.20.2-4.el9_3");
        assert_eq!(lookup_key(&plain, Some(&o)).unwrap().ecosystem, "Red Hat:enterprise_linux:9");
        // Only Red Hat's data is keyed by stream.
        let r = OsInfo { family: "rocky".into(), ecosystem: Some("Rocky Linux:9".into()), ..OsInfo::default() };
        assert_eq!(lookup_key(&p, Some(&r)).unwrap().ecosystem, "Rocky Linux:9");
    }

    #[test]
    fn os_packages_need_a_fitting_os_ecosystem() {
        let p = pkg(PackageKind::Deb, "bash", "5.2");
        assert_eq!(lookup_key(&p, None), Err(Unmatched::UnknownOs));
        assert_eq!(lookup_key(&p, Some(&os(None))), Err(Unmatched::NoOsEcosystem { os: "debian 12".into() }));
        let rpm = pkg(PackageKind::Rpm, "bash", "5.2-1");
        assert_eq!(
            lookup_key(&rpm, Some(&os(Some("Debian:12")))),
            Err(Unmatched::WrongOs { ecosystem: "Debian:12".into() })
        );
    }

    #[test]
    fn go_toolchain_versions_are_normalised() {
        assert_eq!(go_version("stdlib", "go1.21.3"), "1.21.3");
        assert_eq!(go_version("stdlib", "go1.20"), "1.20.0");
        assert_eq!(go_version("stdlib", "go1.21rc2"), "1.21.0-rc.2");
        assert_eq!(go_version("toolchain", "go1.22.1"), "1.22.1");
        assert_eq!(go_version("stdlib", "v1.21.3"), "v1.21.3");
        assert_eq!(go_version("stdlib", "godevel"), "godevel");
        assert_eq!(go_version("github.com/x/y", "go1.2"), "go1.2");
        let p = pkg(PackageKind::Golang, "stdlib", "go1.19.4");
        assert_eq!(lookup_key(&p, None).unwrap().version, "1.19.4");
    }
}
