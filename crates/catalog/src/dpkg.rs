//! dpkg: `var/lib/dpkg/status`, the distroless `var/lib/dpkg/status.d/*` files and the
//! `var/lib/dpkg/info/*.list` lists of installed files.

use std::borrow::Cow;
use std::sync::Arc;

use microscanner_model::{CompactString, Diagnostic, Package, PackageKind, Purl};

use crate::{Analyzer, AnalyzerOutput, LayerFiles, Needed, Record, Requires};

/// The dpkg database analyzer.
#[derive(Debug, Default, Clone, Copy)]
pub struct DpkgAnalyzer;

/// The dpkg status database.
pub const STATUS: &str = "var/lib/dpkg/status";
/// The directory of the distroless one-file-per-package databases.
pub const STATUS_D: &str = "var/lib/dpkg/status.d/";
const INFO: &str = "var/lib/dpkg/info/";
/// Bound on a status file (the largest real ones are a few MiB).
const MAX_STATUS: u64 = 64 << 20;
/// Bound on one `.list` file.
const MAX_LIST: u64 = 16 << 20;

impl Analyzer for DpkgAnalyzer {
    fn id(&self) -> &'static str {
        "dpkg"
    }

    fn version(&self) -> u32 {
        1
    }

    fn wants(&self, path: &str, size: u64) -> bool {
        self.max_size(path).is_some_and(|bound| size <= bound)
    }

    fn max_size(&self, path: &str) -> Option<u64> {
        if path == STATUS {
            return Some(MAX_STATUS);
        }
        if let Some(name) = path.strip_prefix(STATUS_D) {
            return (!name.contains('/') && !is_control_file(name)).then_some(MAX_STATUS);
        }
        if let Some(name) = path.strip_prefix(INFO) {
            return (!name.contains('/') && name.ends_with(".list")).then_some(MAX_LIST);
        }
        None
    }

    fn analyze(&self, files: &LayerFiles) -> AnalyzerOutput {
        let mut out = AnalyzerOutput::default();
        for (path, bytes) in files {
            if let Some(name) = path.strip_prefix(INFO) {
                let package = name.trim_end_matches(".list").to_owned();
                let files = parse_list(bytes);
                out.records.push(Record::OwnedFiles { path: path.clone(), package, files });
                continue;
            }
            let location = format!("/{path}");
            let require_status = path == STATUS;
            let (packages, requires, diagnostics) = parse_status_with_requires(bytes, &location, require_status);
            out.diagnostics.extend(diagnostics);
            out.records.push(Record::Packages { path: path.clone(), packages });
            if !requires.is_empty() {
                out.records.push(Record::Dependencies { path: path.clone(), requires });
            }
        }
        out
    }
}

/// Whether `path` is a dpkg database: the `status` file or a `status.d` entry.
pub fn is_db_path(path: &str) -> bool {
    path == STATUS || path.strip_prefix(STATUS_D).is_some_and(|name| !name.contains('/') && !is_control_file(name))
}

/// Control files that sit beside a package's stanza in `status.d` (`NAME.md5sums`, maintainer
/// scripts such as `NAME.preinst`): not databases.
fn is_control_file(name: &str) -> bool {
    const SUFFIXES: [&str; 10] = [
        ".md5sums",
        ".preinst",
        ".postinst",
        ".prerm",
        ".postrm",
        ".conffiles",
        ".list",
        ".triggers",
        ".shlibs",
        ".symbols",
    ];
    SUFFIXES.iter().any(|suffix| name.ends_with(suffix))
}

/// Parses a `.list` file: one absolute path per line (`/.` is the root and is skipped).
pub fn parse_list(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::trim_end)
        .filter(|l| l.starts_with('/') && *l != "/.")
        .map(str::to_owned)
        .collect()
}

/// One stanza's fields, in order. Continuation lines are folded into the field above (the only
/// case that copies: a one-line value borrows the file's text).
type Stanza<'a> = Vec<(&'a str, Cow<'a, str>)>;

/// Parses a dpkg status file (or one `status.d` entry) into installed packages.
///
/// A package is listed when its `Status` field's last word is `installed` (whatever the wanted
/// state: `deinstall ok installed` is still on disk). `status.d` files (distroless) carry no
/// `Status` field, so `require_status` is false for them. A broken stanza is a diagnostic; the
/// other stanzas are still read. One stanza is held at a time, so memory follows the packages,
/// not the file's descriptions.
pub fn parse_status(bytes: &[u8], location: &str, require_status: bool) -> (Vec<Package>, Vec<Diagnostic>) {
    let (packages, _, diagnostics) = parse_status_with_requires(bytes, location, require_status);
    (packages, diagnostics)
}

/// Like [`parse_status`], with what each installed package declares it needs (`Pre-Depends`
/// and `Depends`) and provides (`Provides`), for the dependency graph.
pub fn parse_status_with_requires(
    bytes: &[u8],
    location: &str,
    require_status: bool,
) -> (Vec<Package>, Vec<Requires>, Vec<Diagnostic>) {
    let text = String::from_utf8_lossy(bytes);
    let mut packages = Vec::new();
    let mut requires = Vec::new();
    let mut diagnostics = Vec::new();
    let mut number = 0;
    // one location for every package of the file
    let shared = Arc::new(CompactString::from(location));
    for_each_stanza(&text, location, &mut diagnostics, |stanza, diagnostics| {
        number += 1;
        match stanza_package(stanza, &shared, require_status) {
            Ok(Some(package)) => {
                requires.extend(stanza_requires(stanza, &package));
                packages.push(package);
            }
            Ok(None) => {}
            Err(reason) => diagnostics.push(Diagnostic::warning(location, format!("stanza {number}: {reason}"))),
        }
    });
    (packages, requires, diagnostics)
}

/// What the stanza of `package` declares: its `Pre-Depends` and `Depends`, and its `Provides`;
/// `None` when it declares neither.
fn stanza_requires(stanza: &Stanza<'_>, package: &Package) -> Option<Requires> {
    let field = |name: &str| stanza.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_ref());
    let mut needs = Vec::new();
    for name in ["Pre-Depends", "Depends"] {
        needs.extend(field(name).map(parse_relations).unwrap_or_default());
    }
    let provides: Vec<_> =
        field("Provides").map(parse_relations).unwrap_or_default().into_iter().flatten().map(|n| n.name).collect();
    (!needs.is_empty() || !provides.is_empty()).then(|| Requires {
        kind: PackageKind::Deb,
        name: package.name.clone(),
        version: package.version.clone(),
        needs,
        provides,
    })
}

/// A dpkg relationship field (`libc6 (>= 2.34), gpgv | gpgv2, python3:any`) as requirements of
/// alternatives, each a bare package name: the version constraint, the architecture qualifier
/// (`:any`, `:amd64`) and the architecture restriction (`[amd64]`) are dropped, since what is
/// installed already satisfied them (dpkg keeps the database consistent).
pub fn parse_relations(field: &str) -> Vec<Vec<Needed>> {
    field
        .split(',')
        .map(|requirement| {
            requirement
                .split('|')
                .filter_map(|alternative| {
                    let alternative = alternative.trim();
                    let end = alternative.find([' ', '(', '[', '<', '\n', '\t']).unwrap_or(alternative.len());
                    let name = alternative[..end].split(':').next().unwrap_or_default();
                    (!name.is_empty()).then(|| Needed::any(name))
                })
                .collect::<Vec<_>>()
        })
        .filter(|alternatives| !alternatives.is_empty())
        .collect()
}

/// Splits deb822 text into stanzas of (field, value) and hands each to `on_stanza` in turn.
fn for_each_stanza<'a>(
    text: &'a str,
    location: &str,
    diagnostics: &mut Vec<Diagnostic>,
    mut on_stanza: impl FnMut(&Stanza<'a>, &mut Vec<Diagnostic>),
) {
    let mut current: Stanza<'a> = Vec::new();
    for (line_no, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                on_stanza(&current, diagnostics);
                current.clear();
            }
        } else if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = current.last_mut() {
                let value = value.to_mut();
                value.push('\n');
                value.push_str(line.trim());
            }
        } else if let Some((key, value)) = line.split_once(':') {
            current.push((key.trim(), Cow::Borrowed(value.trim())));
        } else {
            diagnostics.push(Diagnostic::warning(location, format!("line {}: not a `Field: value` line", line_no + 1)));
        }
    }
    if !current.is_empty() {
        on_stanza(&current, diagnostics);
    }
}

/// Builds the package of one stanza; `Ok(None)` when it is not installed.
fn stanza_package(
    stanza: &Stanza<'_>,
    location: &Arc<CompactString>,
    require_status: bool,
) -> Result<Option<Package>, String> {
    let field = |name: &str| stanza.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_ref());
    match field("Status") {
        Some(status) if status.split_whitespace().last() != Some("installed") => return Ok(None),
        None if require_status => return Ok(None),
        _ => {}
    }
    let name = field("Package").filter(|n| !n.is_empty()).ok_or("no Package field")?;
    let version = field("Version").filter(|v| !v.is_empty()).ok_or_else(|| format!("package {name} has no Version"))?;
    let arch = field("Architecture").filter(|a| !a.is_empty()).map(str::to_owned);
    let (source_name, source_version) = match field("Source") {
        Some(source) => parse_source(source, version),
        None => (name.to_owned(), version.to_owned()),
    };
    // no purl yet: an OS package's purl names its distro, which the inventory step knows
    // (`crate::os::package_purl`); a placeholder here would cost an allocation a stanza
    Ok(Some(
        Package::new(PackageKind::Deb, name, version)
            .with_arch(arch)
            .with_source_name(Some(source_name))
            .with_source_version(Some(source_version))
            .with_shared_location(Arc::clone(location)),
    ))
}

/// Splits `Source: name (version)`; without a version the source version is the binary's.
fn parse_source(source: &str, binary_version: &str) -> (String, String) {
    match source.split_once('(') {
        Some((name, rest)) => {
            let version = rest.trim_end().trim_end_matches(')').trim();
            (name.trim().to_owned(), if version.is_empty() { binary_version.to_owned() } else { version.to_owned() })
        }
        None => (source.trim().to_owned(), binary_version.to_owned()),
    }
}

/// The purl of a Debian-family binary package:
/// `pkg:deb/NAMESPACE/NAME@VERSION?arch=ARCH&distro=DISTRO`.
pub fn deb_purl(name: &str, version: &str, arch: Option<&str>, namespace: &str, distro: Option<&str>) -> String {
    Purl::new("deb", name)
        .with_namespace(namespace)
        .with_version(version)
        .with_qualifier("arch", arch.unwrap_or_default())
        .with_qualifier("distro", distro.unwrap_or_default())
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS_TEXT: &str = "Package: bzip2\nStatus: install ok installed\nArchitecture: amd64\nSource: bzip2 (1.0.8-5)\nVersion: 1.0.8-5+b1\nDescription: x\n multi\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n\nPackage: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: 3.0.11-1~deb12u2\n\nBroken line\nPackage: nover\nStatus: install ok installed\n";

    #[test]
    fn reads_binnmu_source_and_skips_removed() {
        let (packages, diagnostics) = parse_status(STATUS_TEXT.as_bytes(), "/var/lib/dpkg/status", true);
        let got: Vec<_> = packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.source_name(), p.source_version()))
            .collect();
        assert_eq!(
            got,
            [
                ("bzip2", "1.0.8-5+b1", Some("bzip2"), Some("1.0.8-5")),
                ("libssl3", "3.0.11-1~deb12u2", Some("openssl"), Some("3.0.11-1~deb12u2")),
            ]
        );
        assert_eq!(diagnostics.len(), 2, "{diagnostics:?}");
        assert_eq!(packages[0].purl(), "pkg:deb/bzip2@1.0.8-5%2Bb1", "the distro is the inventory step's to add");
        assert_eq!(crate::os::package_purl(&packages[0], None), "pkg:deb/debian/bzip2@1.0.8-5%2Bb1?arch=amd64");
    }

    #[test]
    fn wants_only_dpkg_files() {
        let a = DpkgAnalyzer;
        assert!(a.wants("var/lib/dpkg/status", 10));
        assert!(a.wants("var/lib/dpkg/status.d/base", 10));
        assert!(!a.wants("var/lib/dpkg/status.d/base.md5sums", 10));
        assert!(!a.wants("var/lib/dpkg/status.d/libsqlite3-0.preinst", 10));
        assert!(a.wants("var/lib/dpkg/status.d/libluajit5.1-dev", 10));
        assert!(a.wants("var/lib/dpkg/info/libc6:amd64.list", 10));
        assert!(!a.wants("var/lib/dpkg/info/libc6.md5sums", 10));
        assert!(!a.wants("var/lib/dpkg/status-old", 10));
        assert!(!a.wants("var/lib/dpkg/status", MAX_STATUS + 1));
    }

    #[test]
    fn relations_drop_versions_and_qualifiers() {
        let names = |field: &str| -> Vec<Vec<String>> {
            parse_relations(field)
                .into_iter()
                .map(|alts| alts.into_iter().map(|n| n.name.to_string()).collect())
                .collect()
        };
        assert_eq!(
            names("libc6 (>= 2.34), gpgv | gpgv2 | gpgv1, python3:any (>= 3.9~), foo [amd64] <!nocheck>,"),
            [vec!["libc6"], vec!["gpgv", "gpgv2", "gpgv1"], vec!["python3"], vec!["foo"]]
        );
        assert!(parse_relations("").is_empty());
        let status = "Package: apt\nStatus: install ok installed\nVersion: 2.6.1\nDepends: adduser, libc6 (>= 2.34)\nProvides: apt-transport-https (= 2.6.1)\n";
        let (packages, requires, _) = parse_status_with_requires(status.as_bytes(), "/s", true);
        assert_eq!(packages.len(), 1);
        assert_eq!(requires[0].needs.len(), 2);
        assert_eq!(requires[0].provides, ["apt-transport-https"]);
    }

    #[test]
    fn list_files_skip_root() {
        assert_eq!(parse_list(b"/.\n/bin\n/bin/bash\n"), ["/bin", "/bin/bash"]);
    }
}
