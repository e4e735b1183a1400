//! Package construction shared by the language parsers: packages and their purls, warnings,
//! JSON decoding with a diagnostic on failure, and deduplication. Locations are left empty here:
//! the analyzer glue ([`super::parse_file`]) fills them in from the file's path.

use microscanner_model::{Diagnostic, Evidence, Package, PackageKind, Purl};

/// What a parser returns: the packages found, and the problems met.
pub type ParseResult = (Vec<Package>, Vec<Diagnostic>);

/// What a parser of a format with a dependency graph returns: the packages, what they require
/// (resolved within the file, so each [`crate::Needed`] has its version), and the problems met.
pub type GraphResult = (Vec<Package>, Vec<crate::Requires>, Vec<Diagnostic>);

/// The purl of a package of `kind` named `name` at `version`, following each purl type's rules.
pub fn purl_for(kind: PackageKind, name: &str, version: &str) -> Purl {
    Purl::for_package(kind, name, version)
}

/// A language package of `kind` (its purl derived from the name and version) and no location yet (the analyzer glue fills it in).
pub(crate) fn lang_package(kind: PackageKind, name: &str, version: &str, evidence: Evidence) -> Package {
    Package::new(kind, name, version).with_evidence(evidence)
}

/// A warning with no location yet (the analyzer glue fills it in).
pub(crate) fn warn(message: impl Into<String>) -> Diagnostic {
    Diagnostic::warning(String::new(), one_line(&message.into()))
}

/// A message cut to its first line (parser errors may carry multi-line snippets), bounded.
fn one_line(message: &str) -> String {
    let first = message.lines().next().unwrap_or_default().trim();
    match first.char_indices().nth(300) {
        Some((i, _)) => format!("{}...", &first[..i]),
        None => first.to_owned(),
    }
}

/// Deserializes JSON into `T`, turning failure into a diagnostic.
pub(crate) fn from_json<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8], what: &str) -> Result<T, Diagnostic> {
    serde_json::from_slice(bytes).map_err(|e| warn(format!("cannot parse {what}: {e}")))
}

/// Sorts packages and removes exact duplicates (same name, version and location). The sort is
/// unstable (no scratch copy of half the list, which a lockfile of a million entries would pay
/// at its peak), with the purl and evidence as tie-breaks so the order is still the same on
/// every run.
pub(crate) fn dedup(pkgs: &mut Vec<Package>) {
    pkgs.sort_unstable_by(|a, b| {
        (&a.name, &a.version, a.location(), a.evidence)
            .cmp(&(&b.name, &b.version, b.location(), b.evidence))
            .then_with(|| a.purl().cmp(&b.purl()))
    });
    pkgs.dedup_by(|a, b| a.name == b.name && a.version == b.version && a.location() == b.location());
}

/// One lockfile entry's part of the graph: its name, its version, and the names it depends on.
pub(crate) type LockEntry<'a> = (&'a str, &'a str, Vec<&'a str>);

/// What each entry of a lockfile requires, with each dependency resolved by name to the entry of
/// that name in the same lockfile (names compared after `normalize`: PyPI's `-`/`_`/case).
/// A name that is not in the lockfile (`php`, an extension, an extra's dependency left out) is no
/// edge; a name locked at several versions resolves to the first.
pub(crate) fn requires_by_name(
    kind: PackageKind,
    entries: &[LockEntry<'_>],
    normalize: fn(&str) -> String,
) -> Vec<crate::Requires> {
    let mut versions: std::collections::HashMap<String, &str> = std::collections::HashMap::new();
    for (name, version, _) in entries {
        versions.entry(normalize(name)).or_insert(version);
    }
    let names: std::collections::HashMap<String, &str> = entries.iter().map(|(n, _, _)| (normalize(n), *n)).collect();
    entries
        .iter()
        .filter(|(_, _, needs)| !needs.is_empty())
        .map(|(name, version, needs)| crate::Requires {
            kind,
            name: (*name).into(),
            version: (*version).into(),
            needs: needs
                .iter()
                .filter_map(|n| {
                    let key = normalize(n);
                    Some(vec![crate::Needed::exact(*names.get(&key)?, *versions.get(&key)?)])
                })
                .collect(),
            provides: Vec::new(),
        })
        .collect()
}
