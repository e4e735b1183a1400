//! Bitnami images' component SPDX documents (`/opt/bitnami/<component>/.spdx-<component>.spdx`,
//! SPDX 2.3 JSON written by Bitnami's build). A Bitnami image installs its application and the
//! libraries built with it (PostgreSQL with GEOS, Proj and GDAL) from Bitnami's own tarballs,
//! not with the OS package manager: this document is the only record of them, and Bitnami's
//! vulnerability database (OSV, ecosystem `Bitnami`) is keyed by the names it uses.
//!
//! Only the packages with a `pkg:bitnami/NAME@VERSION` purl are read. The document may list
//! other packages (an Elasticsearch document lists its jars as `pkg:maven/...`): those are files
//! in the image that the other analyzers read themselves, from the files, so taking them from
//! the document too would report them twice.

use microscanner_model::{Evidence, Package, PackageKind};
use serde::Deserialize;

use crate::lang::{ParseResult, dedup, from_json, lang_package, warn};

#[derive(Deserialize)]
struct Document {
    #[serde(default)]
    packages: Vec<SpdxPackage>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpdxPackage {
    #[serde(default)]
    name: String,
    #[serde(default)]
    license_concluded: Option<String>,
    #[serde(default)]
    license_declared: Option<String>,
    #[serde(default)]
    external_refs: Vec<ExternalRef>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    #[serde(default)]
    reference_type: String,
    #[serde(default)]
    reference_locator: String,
}

/// Name and version of a `pkg:bitnami/NAME@VERSION[?qualifiers][#subpath]` purl (percent
/// escapes decoded); `None` for any other purl, or one without a version.
pub fn bitnami_purl(purl: &str) -> Option<(String, String)> {
    let rest = purl.strip_prefix("pkg:bitnami/")?;
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let (name, version) = rest.rsplit_once('@')?;
    let (name, version) = (decode(name)?, decode(version)?);
    (!name.is_empty() && !version.is_empty() && !name.contains('/')).then_some((name, version))
}

/// A purl component with its `%XX` escapes decoded; `None` when an escape is malformed or the
/// result is not UTF-8.
fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The licence a package states: the concluded one, else the declared one, unless SPDX's
/// "nothing" words.
fn license(p: &SpdxPackage) -> Option<String> {
    [&p.license_concluded, &p.license_declared]
        .into_iter()
        .flatten()
        .map(|l| l.trim())
        .find(|l| !l.is_empty() && !matches!(*l, "NONE" | "NOASSERTION"))
        .map(str::to_owned)
}

/// The Bitnami component of one SPDX package, if it has a `pkg:bitnami` purl.
fn component(p: &SpdxPackage) -> Option<Package> {
    let purl = p
        .external_refs
        .iter()
        .find(|r| r.reference_type == "purl" && r.reference_locator.starts_with("pkg:bitnami/"))?;
    let (name, version) = bitnami_purl(&purl.reference_locator)?;
    let package = lang_package(PackageKind::Bitnami, &name, &version, Evidence::Installed);
    Some(match license(p) {
        Some(l) => package.with_licenses(vec![l]),
        None => package,
    })
}

/// Parses a Bitnami component SPDX document.
pub fn parse(bytes: &[u8]) -> ParseResult {
    let doc: Document = match from_json(bytes, "Bitnami SPDX document") {
        Ok(d) => d,
        Err(d) => return (Vec::new(), vec![d]),
    };
    let mut pkgs = Vec::new();
    let mut diags = Vec::new();
    for p in &doc.packages {
        let bitnami = p.external_refs.iter().find(|r| r.reference_locator.starts_with("pkg:bitnami/"));
        match (component(p), bitnami) {
            (Some(package), _) => pkgs.push(package),
            (None, Some(r)) => diags.push(warn(format!(
                "Bitnami SPDX document: package {:?} has a purl without a name and version ({:?}); skipped",
                p.name, r.reference_locator
            ))),
            (None, None) => {}
        }
    }
    dedup(&mut pkgs);
    (pkgs, diags)
}

#[cfg(test)]
mod tests {
    use super::bitnami_purl;

    #[test]
    fn bitnami_purls_give_name_and_version() {
        let got = |p: &str| bitnami_purl(p);
        assert_eq!(got("pkg:bitnami/geos@3.8.3"), Some(("geos".into(), "3.8.3".into())));
        assert_eq!(got("pkg:bitnami/elasticsearch@8.7.1?arch=arm64"), Some(("elasticsearch".into(), "8.7.1".into())));
        assert_eq!(got("pkg:bitnami/a%2Bb@1.0%2B2#sub"), Some(("a+b".into(), "1.0+2".into())));
        for bad in ["pkg:bitnami/geos", "pkg:maven/a/b@1", "pkg:bitnami/@1", "pkg:bitnami/x@", "pkg:bitnami/x@1%G0"] {
            assert_eq!(got(bad), None, "{bad}");
        }
    }
}
