//! Package URLs of OS packages, which need the distribution: `pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.21`,
//! `pkg:rpm/rocky/bash@5.1.8-9.el9?arch=x86_64&epoch=1&distro=rocky-9`.
//!
//! Package analyzers do not see the OS files (they may sit in another layer), so they build the
//! purl without a distribution; the merge rebuilds it with [`package_purl`] once the OS is known.

use microscanner_model::{OsInfo, Package, PackageKind, Purl};

use microscanner_model::distro::{purl_distro, purl_namespace};

/// Splits an rpm version `[EPOCH:]VERSION-RELEASE` into the epoch (if any) and the rest.
pub fn split_epoch(version: &str) -> (Option<&str>, &str) {
    match version.split_once(':') {
        Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => (Some(e), rest),
        _ => (None, version),
    }
}

/// The purl of an OS package (deb, apk, rpm) given the image's OS, if known. Other kinds keep the
/// purl their analyzer built.
///
/// The namespace is the distribution id (`debian`, `ubuntu`, `alpine`, `wolfi`, `rocky`, `rhel`,
/// `opensuse-leap`...), or the format's home distribution when the OS is unknown (`debian`,
/// `alpine`; none for rpm). Qualifiers: `arch`, `epoch` (rpm, when the version has one) and
/// `distro` ([`purl_distro`]) when the OS is known.
pub fn package_purl(p: &Package, os: Option<&OsInfo>) -> String {
    let default_ns = match p.kind {
        PackageKind::Deb => "debian",
        PackageKind::Apk => "alpine",
        PackageKind::Rpm => "",
        _ => return p.purl().into_owned(),
    };
    // Only use the OS as namespace when it plausibly owns this package format.
    let os = os.filter(|o| !o.family.is_empty());
    let namespace = os.map_or(default_ns, purl_namespace);
    let (epoch, version) = match p.kind {
        PackageKind::Rpm => split_epoch(&p.version),
        _ => (None, p.version.as_str()),
    };
    let mut purl = Purl::new(p.kind.purl_type(), &p.name).with_namespace(namespace).with_version(version);
    if let Some(arch) = &p.arch() {
        purl = purl.with_qualifier("arch", arch);
    }
    if let Some(e) = epoch {
        purl = purl.with_qualifier("epoch", e);
    }
    if let Some(os) = os {
        purl = purl.with_qualifier("distro", &purl_distro(os));
    }
    purl.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::os::os_info;

    fn pkg(kind: PackageKind, name: &str, version: &str, arch: &str) -> Package {
        Package::new(kind, name, version).with_arch(Some(arch))
    }

    #[test]
    fn purls() {
        let alpine = os_info("alpine", "3.21.3", "etc/os-release");
        let p = pkg(PackageKind::Apk, "musl", "1.2.5-r9", "x86_64");
        assert_eq!(package_purl(&p, Some(&alpine)), "pkg:apk/alpine/musl@1.2.5-r9?arch=x86_64&distro=alpine-3.21");
        assert_eq!(package_purl(&p, None), "pkg:apk/alpine/musl@1.2.5-r9?arch=x86_64");
        let rocky = os_info("rocky", "9.3", "etc/os-release");
        let p = pkg(PackageKind::Rpm, "bash", "1:5.1.8-9.el9", "x86_64");
        assert_eq!(package_purl(&p, Some(&rocky)), "pkg:rpm/rocky/bash@5.1.8-9.el9?arch=x86_64&distro=rocky-9&epoch=1");
        let p = pkg(PackageKind::Rpm, "curl", "7.76.0-6.cm2", "x86_64");
        assert_eq!(package_purl(&p, None), "pkg:rpm/curl@7.76.0-6.cm2?arch=x86_64");
        let debian = os_info("debian", "12", "etc/os-release");
        let p = pkg(PackageKind::Deb, "libssl3", "3.0.11-1~deb12u2", "amd64");
        assert_eq!(
            package_purl(&p, Some(&debian)),
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12"
        );
    }
}
