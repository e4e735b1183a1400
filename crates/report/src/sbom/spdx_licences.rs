//! Licence expressions as an SPDX 2.3 document writes them, so that the official validator
//! (`pyspdxtools`) accepts them.
//!
//! Our licence ids come from the SPDX licence list the `spdx` crate carries (3.29). The official
//! validator checks ids against an older list (`license-expression` 30.4.4's, the newest on PyPI
//! in 2026-12), so a correct, current id such as `BSD-3-Clause-Tso` (e2fsprogs' licence, found
//! by the text matcher in Debian 11's free-form copyright files) makes the whole document
//! invalid. Such an id is written as `LicenseRef-ID`, and the document defines each one it uses
//! in `hasExtractedLicensingInfos`, naming the list's id and page: nothing is lost, and a reader
//! with the newer list still sees which licence it is. CycloneDX is not affected: its schema
//! takes any expression.

use std::collections::BTreeSet;

use microscanner_model::Package;
use serde_json::{Value, json};

/// Ids of the SPDX licence list 3.29 that `license-expression` 30.4.4 (used by `spdx-tools`
/// 0.8.5) rejects: licences added to the list after its data was taken, and a few deprecated
/// ids. Found by validating every id of the list; a test validates a document with one package
/// per id of the list, so a missing entry fails it.
const UNKNOWN_TO_VALIDATORS: &[&str] = &[
    "ALGLIB-Documentation",
    "Advanced-Cryptics-Dictionary",
    "BOLA-1.1",
    "BSD-2-Clause-pos-unchanged",
    "BSD-3-Clause-OpenWebUI",
    "BSD-3-Clause-Tso",
    "BSD-Mark-Modifications",
    "BSD-Source-Code-no-disclaimer",
    "BSD-Source-alt-GPL",
    "BSD-ask-to-endorse",
    "Brian-Gladman-3-Clause-no-conversion",
    "Buddy",
    "Bugroff",
    "CAPEC-tou",
    "CC-BY-NC-3.0-IGO",
    "ESA-PL-permissive-2.4",
    "ESA-PL-strong-copyleft-2.4",
    "ESA-PL-weak-copyleft-2.4",
    "FDK-MPEG-H",
    "GFDL-1.1-invariants",
    "GFDL-1.1-no-invariants",
    "GFDL-1.2-invariants",
    "GFDL-1.2-no-invariants",
    "GFDL-1.3-invariants",
    "GFDL-1.3-no-invariants",
    "GPL-2.0-with-GCC-exception",
    "GPL-2.0-with-autoconf-exception",
    "GPL-2.0-with-bison-exception",
    "GPL-2.0-with-classpath-exception",
    "GPL-2.0-with-font-exception",
    "GPL-3.0-with-GCC-exception",
    "GPL-3.0-with-autoconf-exception",
    "HPND-SMC",
    "HPND-sell-variant-critical-systems",
    "Hippocratic-3.0-core",
    "ISO-permission",
    "Informatica",
    "MIT-STK",
    "MMPL-1.0.1",
    "MPL-2.0-no-copyleft-exception",
    "MVT-1.1",
    "NIST-PD-TNT",
    "OSC-1.0",
    "OSSP",
    "OpenMDW-1.0",
    "ParaType-Free-Font-1.3",
    "SGMLUG-PM",
    "TekHVC",
    "UnRAR",
    "Vixie-Cron",
    "WTFNMFPL",
    "WordNet",
    "X11-no-permit-persons",
    "atc-game",
    "eCos-2.0",
    "hyphen-bulgarian",
];

/// Exceptions of the list 3.29 that the validator rejects after `WITH`. SPDX 2.3 has no
/// reference form for an exception, so an expression with one is not written as an expression
/// (the package's licences stay in its comment).
const EXCEPTIONS_UNKNOWN_TO_VALIDATORS: &[&str] = &[
    "Classpath-exception-2.0-short",
    "Google-Patent-WebM",
    "Simple-Library-Usage-exception",
    "Spelling-Provider-LGPL-exception",
    "kvirc-openssl-exception",
    "rsync-linking-exception",
    "sqlitestudio-OpenSSL-exception",
];

/// The SPDX licence list version our ids come from (`M.N`, as `creationInfo.licenseListVersion`
/// writes it).
pub(crate) fn licence_list_version() -> &'static str {
    let full = spdx::identifiers::VERSION;
    full.match_indices('.').nth(1).map_or(full, |(end, _)| &full[..end])
}

/// The `LicenseRef-` an id the validators do not know is written as (`+` has no place in a
/// reference: `-or-later`).
fn reference_of(token: &str) -> Option<String> {
    let (id, later) = match token.strip_suffix('+') {
        Some(id) => (id, true),
        None => (token, false),
    };
    UNKNOWN_TO_VALIDATORS.contains(&id).then(|| format!("LicenseRef-{id}{}", if later { "-or-later" } else { "" }))
}

/// What separates the ids of an expression (operators are ids' neighbours, not their parts).
const SEPARATORS: [char; 3] = [' ', '(', ')'];

/// `expression` (a valid SPDX expression over the list) as the document writes it: each id
/// the validators do not know as its `LicenseRef-`. `None` when it has an exception they do not
/// know.
pub(crate) fn document_expression(expression: &str) -> Option<String> {
    if expression.split(SEPARATORS).any(|t| EXCEPTIONS_UNKNOWN_TO_VALIDATORS.contains(&t)) {
        return None;
    }
    let mut out = String::with_capacity(expression.len());
    for piece in expression.split_inclusive(SEPARATORS) {
        let (token, separator) = piece.split_at(piece.trim_end_matches(SEPARATORS).len());
        out.push_str(reference_of(token).as_deref().unwrap_or(token));
        out.push_str(separator);
    }
    Some(out)
}

/// The `hasExtractedLicensingInfos` of a document over `packages`: one entry for each
/// `LicenseRef-` their licence expressions are written with ([`document_expression`]), in
/// order of the reference.
pub(crate) fn extracted_licensing_infos<'a>(packages: impl Iterator<Item = &'a Package>) -> Vec<Value> {
    let mut used = BTreeSet::new();
    for package in packages {
        let Some(expression) = super::spdx_expression_of(package.licenses()) else { continue };
        if document_expression(&expression).is_none() {
            continue; // written as NOASSERTION: it references nothing
        }
        used.extend(expression.split(SEPARATORS).filter(|t| reference_of(t).is_some()).map(str::to_owned));
    }
    used.iter().filter_map(|token| extracted_info(token)).collect()
}

/// The definition of the reference `token` (an id of the list, maybe with `+`) is written as.
fn extracted_info(token: &str) -> Option<Value> {
    let reference = reference_of(token)?;
    let id = token.trim_end_matches('+');
    let name = spdx::license_id(id).map_or(id, |l| l.full_name);
    let later = if token.ends_with('+') { ", or any later version" } else { "" };
    let page = format!("https://spdx.org/licenses/{id}.html");
    Some(json!({
        "licenseId": reference,
        "name": format!("{name}{later}"),
        "extractedText": format!(
            "The SPDX License List {} licence {id}{later} ({name}): {page}",
            licence_list_version()
        ),
        "seeAlsos": [page],
        "comment": format!(
            "{id} is an SPDX License List id that SPDX 2.3 validators do not know yet; written as a reference to it"
        ),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_the_validators_know_are_written_as_they_are() {
        assert_eq!(document_expression("MIT").as_deref(), Some("MIT"));
        let gpl = "GPL-2.0-or-later WITH Classpath-exception-2.0";
        assert_eq!(document_expression(gpl).as_deref(), Some(gpl));
    }

    #[test]
    fn newer_ids_become_references_and_are_defined() {
        assert_eq!(
            document_expression("(BSD-3-Clause-Tso OR MIT) AND GPL-2.0-only").as_deref(),
            Some("(LicenseRef-BSD-3-Clause-Tso OR MIT) AND GPL-2.0-only")
        );
        assert_eq!(document_expression("MIT-STK+").as_deref(), Some("LicenseRef-MIT-STK-or-later"));
        let package = Package::new(microscanner_model::PackageKind::Deb, "libuuid1", "2.36.1-8")
            .with_licenses(vec!["BSD-3-Clause-Tso".into(), "GPL-2.0-or-later".into()]);
        let infos = extracted_licensing_infos(std::iter::once(&package));
        assert_eq!(infos.len(), 1);
        assert_eq!(infos[0]["licenseId"], "LicenseRef-BSD-3-Clause-Tso");
        assert_eq!(infos[0]["name"], "BSD 3-Clause Tso variant");
    }

    #[test]
    fn an_exception_the_validators_do_not_know_gives_no_expression() {
        assert_eq!(document_expression("GPL-2.0-only WITH rsync-linking-exception"), None);
        let package = Package::new(microscanner_model::PackageKind::Deb, "p", "1")
            .with_licenses(vec!["BSD-3-Clause-Tso AND GPL-2.0-only WITH rsync-linking-exception".into()]);
        assert!(extracted_licensing_infos(std::iter::once(&package)).is_empty(), "nothing is referenced");
    }

    #[test]
    fn the_list_version_is_major_and_minor() {
        assert_eq!(licence_list_version().matches('.').count(), 1, "{}", licence_list_version());
    }
}
