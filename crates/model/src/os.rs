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
