//! The identity of the operating system an image is built on.

use serde::{Deserialize, Serialize};

/// The operating system of an image, as read from `os-release` and friends.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsInfo {
    /// The distribution id, lowercase, as `os-release`'s `ID` gives it (`debian`, `alpine`, `rocky`).
    pub family: String,
    /// The release as advisories key it (`12`, `3.19`, `22.04`, `9`).
    pub version: String,
    /// A human name (`Debian GNU/Linux 12 (bookworm)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    /// The release codename where there is one (`bookworm`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codename: Option<String>,
    /// The OSV ecosystem of the release (`Debian:12`, `Alpine:v3.19`), when the distro has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ecosystem: Option<String>,
    /// The path inside the image the identity was read from.
    pub evidence: String,
}

impl OsInfo {
    /// The CPE 2.3 name of the release, for the distributions whose name the NVD's CPE
    /// dictionary fixes and vulnerability data use (Debian `cpe:2.3:o:debian:debian_linux:12.0`,
    /// Ubuntu `cpe:2.3:o:canonical:ubuntu_linux:22.04`), so a consumer can match the operating
    /// system against NVD records. `None` for the others: a vendor or product name is never
    /// guessed. Packages get none: no distribution defines a CPE per package.
    pub fn cpe(&self) -> Option<String> {
        let plain = |v: &str| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        let (vendor, product, version) = match self.family.as_str() {
            // the NVD names Debian releases `10.0`, `11.0`, `12.0`
            "debian" if plain(&self.version) && !self.version.contains('.') => {
                ("debian", "debian_linux", format!("{}.0", self.version))
            }
            "ubuntu" if plain(&self.version) => ("canonical", "ubuntu_linux", self.version.clone()),
            _ => return None,
        };
        Some(format!("cpe:2.3:o:{vendor}:{product}:{version}:*:*:*:*:*:*:*"))
    }
}

#[cfg(test)]
mod tests {
    use super::OsInfo;

    #[test]
    fn cpes_of_debian_and_ubuntu_only() {
        let os = |family: &str, version: &str| OsInfo {
            family: family.into(),
            version: version.into(),
            ..OsInfo::default()
        };
        assert_eq!(os("debian", "12").cpe().as_deref(), Some("cpe:2.3:o:debian:debian_linux:12.0:*:*:*:*:*:*:*"));
        assert_eq!(
            os("ubuntu", "22.04").cpe().as_deref(),
            Some("cpe:2.3:o:canonical:ubuntu_linux:22.04:*:*:*:*:*:*:*")
        );
        assert_eq!(os("debian", "sid").cpe(), None, "an unreleased suite has no CPE");
        assert_eq!(os("debian", "12:*").cpe(), None, "a version never breaks the CPE's fields");
        assert_eq!(os("alpine", "3.21").cpe(), None, "no name is guessed");
    }
}
