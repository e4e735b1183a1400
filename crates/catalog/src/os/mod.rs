//! Operating system identity: `os-release` and the distributions' older release files.
//!
//! Every file yields a [`Record::Os`] with a priority; the merge keeps the highest. `os-release`
//! (`etc/` and `usr/lib/`) beats the distribution-specific release files, which beat
//! `lsb-release` and `debian_version`.

mod eol;

mod purl;

pub use eol::{EndOfLife, all as all_end_of_life, end_of_life};
pub use microscanner_model::distro::{normalize_id, os_info, osv_ecosystem, purl_distro, purl_namespace, release_key};
pub use purl::{package_purl, split_epoch};

use microscanner_model::{Diagnostic, OsInfo};

use crate::{Analyzer, AnalyzerOutput, LayerFiles, Record};

/// Release files are small; anything bigger is not one.
const MAX_SIZE: u64 = 64 * 1024;

/// Priority of `etc/os-release`.
pub const PRIORITY_OS_RELEASE: u8 = 100;
/// Priority of `usr/lib/os-release` (the target `etc/os-release` usually links to).
pub const PRIORITY_USR_LIB_OS_RELEASE: u8 = 99;
/// Priority of a distribution's own release file (`etc/redhat-release`, `etc/alpine-release`).
pub const PRIORITY_RELEASE_FILE: u8 = 50;
/// Priority of `etc/lsb-release`.
pub const PRIORITY_LSB: u8 = 40;
/// Priority of `etc/debian_version` (Ubuntu has one too, so it loses to `lsb-release`).
pub const PRIORITY_DEBIAN_VERSION: u8 = 30;

/// The files this analyzer reads, with their kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    OsRelease(u8),
    Lsb,
    DebianVersion,
    AlpineRelease,
    /// `X release N (...)` lines: Red Hat family, Fedora, Amazon, Oracle.
    RedHatStyle,
    SuseRelease,
    PhotonRelease,
    MarinerRelease,
}

fn kind_of(path: &str) -> Option<Kind> {
    Some(match path {
        "etc/os-release" => Kind::OsRelease(PRIORITY_OS_RELEASE),
        "usr/lib/os-release" => Kind::OsRelease(PRIORITY_USR_LIB_OS_RELEASE),
        "etc/lsb-release" => Kind::Lsb,
        "etc/debian_version" => Kind::DebianVersion,
        "etc/alpine-release" => Kind::AlpineRelease,
        "etc/redhat-release"
        | "etc/centos-release"
        | "etc/rocky-release"
        | "etc/almalinux-release"
        | "etc/oracle-release"
        | "etc/fedora-release"
        | "etc/system-release" => Kind::RedHatStyle,
        "etc/SuSE-release" => Kind::SuseRelease,
        "etc/photon-release" => Kind::PhotonRelease,
        "etc/mariner-release" | "etc/azurelinux-release" => Kind::MarinerRelease,
        _ => return None,
    })
}

/// Finds the operating system from `os-release` and the release files.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsAnalyzer;

impl Analyzer for OsAnalyzer {
    fn id(&self) -> &'static str {
        "os-release"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, path: &str, size: u64) -> bool {
        self.max_size(path).is_some_and(|bound| size <= bound)
    }

    fn max_size(&self, path: &str) -> Option<u64> {
        kind_of(path).map(|_| MAX_SIZE)
    }

    fn analyze(&self, files: &LayerFiles) -> AnalyzerOutput {
        let mut out = AnalyzerOutput::default();
        for (path, bytes) in files {
            let Some(kind) = kind_of(path) else { continue };
            let text = String::from_utf8_lossy(bytes);
            let (priority, os) = match kind {
                Kind::OsRelease(p) => (p, parse_os_release(&text, path)),
                Kind::Lsb => (PRIORITY_LSB, parse_lsb_release(&text, path)),
                Kind::DebianVersion => (PRIORITY_DEBIAN_VERSION, parse_debian_version(&text, path)),
                Kind::AlpineRelease => (PRIORITY_RELEASE_FILE, parse_alpine_release(&text, path)),
                Kind::RedHatStyle => (PRIORITY_RELEASE_FILE, parse_redhat_release(&text, path)),
                Kind::SuseRelease => (PRIORITY_RELEASE_FILE, parse_suse_release(&text, path)),
                Kind::PhotonRelease => (PRIORITY_RELEASE_FILE, parse_photon_release(&text, path)),
                Kind::MarinerRelease => (PRIORITY_RELEASE_FILE, parse_mariner_release(&text, path)),
            };
            match os {
                Some(os) => out.records.push(Record::Os { path: path.clone(), priority, os }),
                None if !text.trim().is_empty() => {
                    out.diagnostics
                        .push(Diagnostic::warning(path.as_str(), "unrecognised operating system release file"));
                }
                None => {}
            }
        }
        out
    }
}

/// Parses `KEY=value` lines as `os-release(5)` and `lsb-release` write them: values may be
/// double- or single-quoted with backslash escapes; comments and blank lines are skipped.
pub fn parse_key_values(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else { continue };
        let value = value.trim();
        let value = if value.len() >= 2
            && ((value.starts_with('"') && value.ends_with('"')) || (value.starts_with('\'') && value.ends_with('\'')))
        {
            let inner = &value[1..value.len() - 1];
            let mut s = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    if let Some(n) = chars.next() {
                        s.push(n);
                    }
                } else {
                    s.push(c);
                }
            }
            s
        } else {
            value.to_owned()
        };
        out.push((key.trim().to_owned(), value));
    }
    out
}

fn get<'a>(kv: &'a [(String, String)], key: &str) -> Option<&'a str> {
    kv.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
}

/// Parses an `os-release` file. Needs `ID` (or a `NAME` we recognise); the version comes from
/// `VERSION_ID`, then `VERSION`, then (Debian testing/sid) the codename.
pub fn parse_os_release(text: &str, evidence: &str) -> Option<OsInfo> {
    let kv = parse_key_values(text);
    let id = get(&kv, "ID").map(str::to_owned).or_else(|| get(&kv, "NAME").and_then(id_from_name))?;
    let family = normalize_id(&id);
    let codename = get(&kv, "VERSION_CODENAME").map(str::to_owned);
    let pretty = get(&kv, "PRETTY_NAME").map(str::to_owned);
    let raw_version = match get(&kv, "VERSION_ID") {
        Some(v) => v.to_owned(),
        None => match (family.as_str(), get(&kv, "VERSION")) {
            (_, Some(v)) => v.split_whitespace().next().unwrap_or(v).to_owned(),
            // Debian testing/unstable have no VERSION_ID.
            ("debian", None) => codename.clone().unwrap_or_default(),
            _ => String::new(),
        },
    };
    let mut os = os_info(&family, &raw_version, evidence);
    // Alpine edge states an `_alpha` VERSION_ID and says `edge` in its name.
    if os.family == "alpine" && pretty.as_deref().is_some_and(|p| p.contains("edge")) {
        os.version = "edge".to_owned();
        os.ecosystem = None;
    }
    os.pretty_name = pretty;
    os.codename = codename.or_else(|| get(&kv, "UBUNTU_CODENAME").map(str::to_owned));
    Some(os)
}

/// Maps a distribution's display name (`NAME=`, release-file prefix) to its `ID`.
fn id_from_name(name: &str) -> Option<String> {
    microscanner_model::distro::id_from_name(name).map(str::to_owned)
}

/// Parses `etc/lsb-release` (`DISTRIB_ID=Ubuntu`, `DISTRIB_RELEASE=22.04`).
pub fn parse_lsb_release(text: &str, evidence: &str) -> Option<OsInfo> {
    let kv = parse_key_values(text);
    let id = get(&kv, "DISTRIB_ID")?;
    let version = get(&kv, "DISTRIB_RELEASE")?;
    let mut os = os_info(id, version, evidence);
    os.codename = get(&kv, "DISTRIB_CODENAME").map(str::to_owned);
    os.pretty_name = get(&kv, "DISTRIB_DESCRIPTION").map(str::to_owned);
    Some(os)
}

/// Parses `etc/debian_version`: `12.5` → Debian 12; `trixie/sid` → Debian `trixie` (no ecosystem).
pub fn parse_debian_version(text: &str, evidence: &str) -> Option<OsInfo> {
    let line = text.lines().next()?.trim();
    if line.is_empty() {
        return None;
    }
    if line.starts_with(|c: char| c.is_ascii_digit()) {
        return Some(os_info("debian", line, evidence));
    }
    let codename = line.split('/').next().unwrap_or(line).to_owned();
    let mut os = os_info("debian", &codename, evidence);
    os.codename = Some(codename);
    Some(os)
}

/// Parses `etc/alpine-release` (`3.19.1`).
pub fn parse_alpine_release(text: &str, evidence: &str) -> Option<OsInfo> {
    let line = text.lines().next()?.trim();
    if !line.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    Some(os_info("alpine", line, evidence))
}

/// The version after the word `release` (`CentOS Linux release 7.6.1810 (Core)` → `7.6.1810`).
fn version_after_release(line: &str) -> Option<&str> {
    let mut words = line.split_whitespace();
    words.by_ref().find(|w| w.eq_ignore_ascii_case("release"))?;
    words.next().filter(|w| w.starts_with(|c: char| c.is_ascii_digit()))
}

/// Parses a Red Hat style release line (`etc/redhat-release`, `centos-release`, `rocky-release`,
/// `almalinux-release`, `oracle-release`, `fedora-release`, `system-release`).
pub fn parse_redhat_release(text: &str, evidence: &str) -> Option<OsInfo> {
    let line = text.lines().next()?.trim();
    let version = version_after_release(line)?;
    let name = line.split(" release").next().unwrap_or(line);
    let id = id_from_name(name)?;
    let mut os = os_info(&id, version, evidence);
    os.pretty_name = Some(line.to_owned());
    Some(os)
}

/// Parses the old `etc/SuSE-release` (`VERSION = 12` and `PATCHLEVEL = 5` lines).
pub fn parse_suse_release(text: &str, evidence: &str) -> Option<OsInfo> {
    let first = text.lines().next()?.trim();
    let id = if first.to_ascii_lowercase().contains("opensuse") { "opensuse-leap" } else { "sles" };
    let mut version = None;
    let mut patch = None;
    for line in text.lines() {
        if let Some((k, v)) = line.split_once('=') {
            match k.trim() {
                "VERSION" => version = Some(v.trim().to_owned()),
                "PATCHLEVEL" => patch = Some(v.trim().to_owned()),
                _ => {}
            }
        }
    }
    let mut version = version?;
    if let Some(p) = patch.filter(|_| !version.contains('.')) {
        version = format!("{version}.{p}");
    }
    let mut os = os_info(id, &version, evidence);
    os.pretty_name = Some(first.to_owned());
    Some(os)
}

/// Parses `etc/photon-release` (`VMware Photon OS 4.0`).
pub fn parse_photon_release(text: &str, evidence: &str) -> Option<OsInfo> {
    let first = text.lines().next()?.trim();
    let version = first.split_whitespace().last().filter(|w| w.starts_with(|c: char| c.is_ascii_digit()))?;
    Some(os_info("photon", version, evidence))
}

/// Parses `etc/mariner-release` / `etc/azurelinux-release` (`CBL-Mariner 2.0.20220226`).
pub fn parse_mariner_release(text: &str, evidence: &str) -> Option<OsInfo> {
    let first = text.lines().next()?.trim();
    let version = first.split_whitespace().last().filter(|w| w.starts_with(|c: char| c.is_ascii_digit()))?;
    let id = if first.to_ascii_lowercase().contains("azure") { "azurelinux" } else { "mariner" };
    Some(os_info(id, version, evidence))
}
