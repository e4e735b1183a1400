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
    /// `License-Expression:` or `License:` (first line only), else the `Classifier: License ::`
    /// entries (as SPDX ids where the classifier names one licence and version).
    pub licenses: Vec<String>,
}

/// The SPDX id of a trove licence classifier that names exactly one licence and version
/// (`GNU General Public License v2 or later (GPLv2+)` → `GPL-2.0-or-later`); `None` for the
/// others (`BSD License`, `Apache Software License` name no version), which stay as written.
fn classifier_spdx(classifier: &str) -> Option<&'static str> {
    Some(match classifier {
        "MIT License" => "MIT",
        "MIT No Attribution License (MIT-0)" => "MIT-0",
        "ISC License (ISCL)" => "ISC",
        "GNU General Public License v2 (GPLv2)" => "GPL-2.0-only",
        "GNU General Public License v2 or later (GPLv2+)" => "GPL-2.0-or-later",
        "GNU General Public License v3 (GPLv3)" => "GPL-3.0-only",
        "GNU General Public License v3 or later (GPLv3+)" => "GPL-3.0-or-later",
        "GNU Lesser General Public License v2 (LGPLv2)" => "LGPL-2.0-only",
        "GNU Lesser General Public License v2 or later (LGPLv2+)" => "LGPL-2.0-or-later",
        "GNU Lesser General Public License v3 (LGPLv3)" => "LGPL-3.0-only",
        "GNU Lesser General Public License v3 or later (LGPLv3+)" => "LGPL-3.0-or-later",
        "GNU Affero General Public License v3" => "AGPL-3.0-only",
        "GNU Affero General Public License v3 or later (AGPLv3+)" => "AGPL-3.0-or-later",
        "Mozilla Public License 1.1 (MPL 1.1)" => "MPL-1.1",
        "Mozilla Public License 2.0 (MPL 2.0)" => "MPL-2.0",
        "Python Software Foundation License" => "PSF-2.0",
        "The Unlicense (Unlicense)" => "Unlicense",
        "zlib/libpng License" => "Zlib",
        "Boost Software License 1.0 (BSL-1.0)" => "BSL-1.0",
        "Eclipse Public License 2.0 (EPL-2.0)" => "EPL-2.0",
        "CC0 1.0 Universal (CC0 1.0) Public Domain Dedication" => "CC0-1.0",
        "Universal Permissive License (UPL)" => "UPL-1.0",
        "European Union Public Licence 1.2 (EUPL 1.2)" => "EUPL-1.2",
        _ => return None,
    })
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
                        classifiers.push(classifier_spdx(l).map_or_else(|| l.to_owned(), str::to_owned));
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

    #[test]
    fn licence_classifiers_become_spdx_ids_where_they_name_one() {
        let t = "Metadata-Version: 2.1\nName: x\nVersion: 1\nClassifier: License :: OSI Approved :: MIT License\n\
                 Classifier: License :: OSI Approved :: BSD License\n\
                 Classifier: License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)\n";
        let (p, _) = parse_metadata(t.as_bytes());
        assert_eq!(p[0].licenses(), ["MIT", "BSD License", "GPL-2.0-or-later"]);
        let t = "Metadata-Version: 2.4\nName: x\nVersion: 1\nLicense-Expression: Apache-2.0 OR MIT\n\
                 Classifier: License :: OSI Approved :: MIT License\n";
        assert_eq!(parse_metadata(t.as_bytes()).0[0].licenses(), ["Apache-2.0 OR MIT"], "the expression wins");
    }
}
