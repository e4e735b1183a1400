//! Installed Python distributions: `*.dist-info/METADATA`, `*.egg-info/PKG-INFO`, `*.egg-info`
//! files and `.egg` zip archives (core metadata, an RFC 822 header block).

use std::io::Read;

use microscanner_model::{Evidence, PackageKind};

use super::{ParseResult, lang_package, warn};

/// The largest metadata member of an `.egg` archive we inflate.
const MAX_EGG_MEMBER: u64 = 4 * 1024 * 1024;

pub use microscanner_model::pep503_name as normalize_name;

/// The header fields of a core-metadata file we use.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CoreMetadata {
    /// `Name:`.
    pub name: Option<String>,
    /// `Version:`.
    pub version: Option<String>,
    /// `License-Expression:` or `License:` (first line only), and `Classifier: License ::` entries.
    pub licenses: Vec<String>,
}

/// Reads the header block (up to the first blank line) of a core-metadata file.
pub fn read_core_metadata(text: &str) -> CoreMetadata {
    let mut md = CoreMetadata::default();
    let mut expression = None;
    let mut license = None;
    let mut classifiers = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            continue; // continuation of a multi-line field (License text, Description)
        }
        let Some((key, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        match key.trim().to_ascii_lowercase().as_str() {
            "name" if md.name.is_none() => md.name = Some(value.to_owned()),
            "version" if md.version.is_none() => md.version = Some(value.to_owned()),
            "license-expression" if !value.is_empty() => expression = Some(value.to_owned()),
            "license" if !value.is_empty() && !value.eq_ignore_ascii_case("UNKNOWN") => {
                license = Some(value.to_owned());
            }
            "classifier" => {
                if let Some(l) = value.strip_prefix("License ::") {
                    let l = l.rsplit("::").next().unwrap_or(l).trim();
                    if !l.is_empty() {
                        classifiers.push(l.to_owned());
                    }
                }
            }
            _ => {}
        }
    }
    md.licenses = match (expression, license) {
        (Some(e), _) => vec![e],
        (None, Some(l)) if l.len() <= 200 => vec![l],
        _ => classifiers,
    };
    md
}

/// Parses a `METADATA` / `PKG-INFO` file into one installed PyPI package.
pub fn parse_metadata(bytes: &[u8]) -> ParseResult {
    let text = String::from_utf8_lossy(bytes);
    let md = read_core_metadata(&text);
    match (md.name, md.version) {
        (Some(name), Some(version)) if !name.is_empty() && !version.is_empty() => {
            let mut p = lang_package(PackageKind::Pypi, &name, &version, Evidence::Installed);
            p.set_licenses(md.licenses);
            (vec![p], Vec::new())
        }
        _ => (Vec::new(), vec![warn("Python metadata has no Name or Version")]),
    }
}

/// Parses an `.egg` zip archive: its `EGG-INFO/PKG-INFO`.
pub fn parse_egg(bytes: &[u8]) -> ParseResult {
    let mut archive = match zip::ZipArchive::new(std::io::Cursor::new(bytes)) {
        Ok(a) => a,
        Err(e) => return (Vec::new(), vec![warn(format!("cannot open egg archive: {e}"))]),
    };
    let Ok(mut file) = archive.by_name("EGG-INFO/PKG-INFO") else {
        return (Vec::new(), vec![warn("egg archive has no EGG-INFO/PKG-INFO")]);
    };
    let mut buf = Vec::new();
    if let Err(e) = file.by_ref().take(MAX_EGG_MEMBER).read_to_end(&mut buf) {
        return (Vec::new(), vec![warn(format!("cannot inflate EGG-INFO/PKG-INFO: {e}"))]);
    }
    parse_metadata(&buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503() {
        assert_eq!(normalize_name("Django"), "django");
        assert_eq!(normalize_name("zope.interface"), "zope-interface");
        assert_eq!(normalize_name("Foo__Bar--baz"), "foo-bar-baz");
    }

    #[test]
    fn metadata_header_only() {
        let t = "Metadata-Version: 2.1\nName: Django\nVersion: 2.2\nLicense: BSD\n\nName: NotThis\n";
        let (p, d) = parse_metadata(t.as_bytes());
        assert!(d.is_empty());
        assert_eq!(p[0].name, "Django");
        assert_eq!(p[0].version, "2.2");
        assert_eq!(p[0].purl(), "pkg:pypi/django@2.2");
        assert_eq!(p[0].licenses(), vec!["BSD".to_owned()]);
    }
}
