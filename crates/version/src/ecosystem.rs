//! From OSV ecosystem strings to version schemes.

use crate::VersionScheme;

/// The scheme for an OSV `package.ecosystem` value.
///
/// The part before the first `:` names the ecosystem (`Debian:12`, `Alpine:v3.19`,
/// `Rocky Linux:9`, `Ubuntu:22.04:LTS`); it is matched without regard to case. Unknown
/// ecosystems get [`VersionScheme::Generic`].
pub fn scheme_for_osv_ecosystem(ecosystem: &str) -> VersionScheme {
    let base = ecosystem.split(':').next().unwrap_or("").trim().to_ascii_lowercase();
    match base.as_str() {
        "debian" | "ubuntu" => VersionScheme::Dpkg,
        "alpine" | "wolfi" | "chainguard" | "minimos" | "alpaquita" | "bellsoft hardened containers" => {
            VersionScheme::Apk
        }
        "red hat" | "rocky linux" | "almalinux" | "suse" | "opensuse" | "mageia" | "photon os" | "openeuler"
        | "azure linux" | "cbl-mariner" | "centos" | "fedora" | "oracle linux" | "amazon linux" => VersionScheme::Rpm,
        "pypi" => VersionScheme::Pep440,
        "npm" => VersionScheme::Npm,
        // SemVer 2.0 is each of these ecosystems' own rule: Cargo, Elixir's `Version` (Hex),
        // SwiftPM's `Version` (SwiftURL), Julia's `VersionNumber`. Dart's `pub_semver` is SemVer
        // but orders a `+build` above the bare release, where SemVer precedence (and so this
        // comparator) calls them equal: the only departure, and only on build-suffix ties.
        "crates.io" | "hex" | "pub" | "swifturl" | "julia" | "bitnami" => VersionScheme::Semver,
        // Conan's own `Version` splits on `.` and compares items as numbers, else as text
        // (`1.1.1t` > `1.1.1s`), which is the generic scheme's rule; ConanCenter versions are
        // not SemVer (`1.2.12`, `1.1.1t`, `cci.20230101`).
        "conancenter" => VersionScheme::Generic,
        "go" => VersionScheme::Go,
        "maven" => VersionScheme::Maven,
        "rubygems" => VersionScheme::RubyGems,
        "nuget" => VersionScheme::NuGet,
        "packagist" => VersionScheme::Composer,
        _ => VersionScheme::Generic,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_osv_ecosystems() {
        let cases = [
            ("Debian:12", VersionScheme::Dpkg),
            ("Ubuntu:22.04:LTS", VersionScheme::Dpkg),
            ("Alpine:v3.19", VersionScheme::Apk),
            ("Wolfi", VersionScheme::Apk),
            ("Chainguard", VersionScheme::Apk),
            ("Rocky Linux:9", VersionScheme::Rpm),
            ("AlmaLinux:8", VersionScheme::Rpm),
            ("Red Hat", VersionScheme::Rpm),
            ("Red Hat:enterprise_linux:9::appstream", VersionScheme::Rpm),
            ("SUSE:Linux Enterprise Server 15 SP5", VersionScheme::Rpm),
            ("openSUSE:Tumbleweed", VersionScheme::Rpm),
            ("PyPI", VersionScheme::Pep440),
            ("npm", VersionScheme::Npm),
            ("crates.io", VersionScheme::Semver),
            ("Go", VersionScheme::Go),
            ("Maven", VersionScheme::Maven),
            ("Maven:https://repo.maven.apache.org/maven2/", VersionScheme::Maven),
            ("RubyGems", VersionScheme::RubyGems),
            ("NuGet", VersionScheme::NuGet),
            ("Packagist", VersionScheme::Composer),
            ("Pub", VersionScheme::Semver),
            ("Hex", VersionScheme::Semver),
            ("SwiftURL", VersionScheme::Semver),
            ("Julia", VersionScheme::Semver),
            ("ConanCenter", VersionScheme::Generic),
            ("GIT", VersionScheme::Generic),
            ("Linux", VersionScheme::Generic),
            ("", VersionScheme::Generic),
            ("SomethingNew:1", VersionScheme::Generic),
        ];
        for (ecosystem, scheme) in cases {
            assert_eq!(scheme_for_osv_ecosystem(ecosystem), scheme, "{ecosystem}");
        }
    }
}
