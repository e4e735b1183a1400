//! rpm packages: the rpm database in any of its three formats (BerkeleyDB `Packages`, NDB
//! `Packages.db`, SQLite `rpmdb.sqlite`), read by `microscanner-rpmdb` from the layer's bytes.
//!
//! Each package's `REQUIRENAME`s become its [`Requires`], resolved by the graph step
//! (`graph.rs`) as rpm resolves them: to the installed package of that name, else to one that
//! provides it (`PROVIDENAME`: `libc.so.6(GLIBC_2.34)(64bit)`), and a file path (`/bin/sh`) to
//! the package that owns the file. Version constraints are dropped (rpm keeps what is installed
//! consistent), and so are `rpmlib(...)` features.

use std::collections::HashSet;
use std::sync::Arc;

use microscanner_model::{CompactString, Diagnostic, Package, PackageKind};
use microscanner_rpmdb::RpmPackage;

use crate::{Analyzer, AnalyzerOutput, LayerFiles, Needed, Record, Requires};

/// The directories rpm keeps its database in (`_dbpath`): the classic one, the one Fedora 36+,
/// RHEL 9 and SUSE use since the `/usr` merge, and the one some minimal images use.
pub const DB_DIRS: [&str; 3] = ["var/lib/rpm/", "usr/lib/sysimage/rpm/", "usr/share/rpm/"];
/// The database file names, one per format.
pub const DB_FILES: [&str; 3] = ["Packages", "Packages.db", "rpmdb.sqlite"];

/// The largest database read. A database is held whole while it is read (the three formats are
/// read by offset; SQLite's copy is SQLite's own), and its headers are parsed one at a time as
/// they are found, never all copied out first: a scan costs the file once (SQLite: twice) plus
/// its packages. Container images hold a few MiB to a few tens of MiB; a bigger database is lost
/// evidence, said as such (`lost.rs`), not a scan that grows with whatever a layer declares.
const MAX_SIZE: u64 = 256 * 1024 * 1024;

/// `gpg-pubkey` entries are imported signing keys, not software.
const GPG_PUBKEY: &str = "gpg-pubkey";

/// Whether `path` is an rpm database file.
pub fn is_db_path(path: &str) -> bool {
    DB_DIRS.iter().any(|d| path.strip_prefix(d).is_some_and(|f| DB_FILES.contains(&f)))
}

/// Whether `path` is the SQLite write-ahead log beside an `rpmdb.sqlite`.
fn is_wal_path(path: &str) -> bool {
    DB_DIRS.iter().any(|d| path.strip_prefix(d) == Some("rpmdb.sqlite-wal"))
}

/// Reads the rpm database.
#[derive(Debug, Default, Clone, Copy)]
pub struct RpmAnalyzer;

impl Analyzer for RpmAnalyzer {
    fn id(&self) -> &'static str {
        "rpm"
    }

    fn version(&self) -> u32 {
        // 2: packages carry their `MODULARITYLABEL`; 3: and the dependency graph (requires
        // resolved by provides)
        3
    }

    fn wants(&self, path: &str, size: u64) -> bool {
        size <= MAX_SIZE && (is_db_path(path) || (size > 0 && is_wal_path(path)))
    }

    fn max_size(&self, path: &str) -> Option<u64> {
        (is_db_path(path) || is_wal_path(path)).then_some(MAX_SIZE)
    }

    fn analyze(&self, files: &LayerFiles) -> AnalyzerOutput {
        let mut out = AnalyzerOutput::default();
        for (path, bytes) in files {
            if is_wal_path(path) && !bytes.is_empty() {
                // rpm checkpoints its write-ahead log when it closes; a non-empty one means rpm was
                // interrupted, and changes still in it are not read.
                out.diagnostics.push(Diagnostic::warning(
                    path.as_str(),
                    "rpm's SQLite write-ahead log is not empty; changes still in it are not read",
                ));
            }
            if !is_db_path(path) {
                continue;
            }
            let (packages, requires, diagnostics) = parse_with_requires(bytes, path);
            if let Some(packages) = packages {
                // an empty database is a record too: the packages a lower layer listed are gone
                out.records.push(Record::Packages { path: path.clone(), packages });
            }
            out.push(path, Vec::new(), requires, diagnostics);
        }
        out
    }
}

/// Parses an rpm database read from `location`. `None` when the file is not a readable database
/// at all (with a diagnostic, unless it is empty); otherwise the packages that could be read and a
/// diagnostic per damaged part.
pub fn parse(bytes: &[u8], location: &str) -> (Option<Vec<Package>>, Vec<Diagnostic>) {
    let (packages, _, diagnostics) = parse_with_requires(bytes, location);
    (packages, diagnostics)
}

/// [`parse`], with what each package requires and provides, for the dependency graph.
pub fn parse_with_requires(bytes: &[u8], location: &str) -> (Option<Vec<Package>>, Vec<Requires>, Vec<Diagnostic>) {
    if bytes.is_empty() {
        return (None, Vec::new(), Vec::new());
    }
    let db = match microscanner_rpmdb::read(bytes) {
        Ok(db) => db,
        Err(e) => {
            return (None, Vec::new(), vec![Diagnostic::warning(location, format!("rpm database not read: {e}"))]);
        }
    };
    let diagnostics = db.problems.iter().map(|p| Diagnostic::warning(location, format!("rpm database: {p}"))).collect();
    let shared = Arc::new(CompactString::from(location));
    let installed: Vec<RpmPackage> = db.packages.into_iter().filter(|p| p.name != GPG_PUBKEY).collect();
    let requires = requires(&installed);
    let packages = installed.into_iter().map(|p| to_package(p, &shared)).collect();
    (Some(packages), requires, diagnostics)
}

/// What each package requires, and what it provides: its `PROVIDENAME`s and those of its files
/// some package requires by path (`/bin/sh`), as rpm answers `--whatprovides` for a path from
/// the file lists. Only required paths are kept, so a database of a million files costs no copy
/// of them.
fn requires(packages: &[RpmPackage]) -> Vec<Requires> {
    let wanted_files: HashSet<&str> =
        packages.iter().flat_map(|p| &p.requires).filter(|r| r.starts_with('/')).map(String::as_str).collect();
    packages
        .iter()
        .filter(|p| !p.requires.is_empty() || !p.provides.is_empty())
        .map(|p| {
            let owned = p.files.iter().filter(|f| wanted_files.contains(f.as_str()));
            Requires {
                kind: PackageKind::Rpm,
                name: p.name.as_str().into(),
                version: p.evr().into(),
                needs: p.requires.iter().map(|r| vec![Needed::any(r.as_str())]).collect(),
                provides: p.provides.iter().chain(owned).map(|n| n.as_str().into()).collect(),
            }
        })
        .collect()
}

/// Converts one header into a [`Package`]: the version is `[EPOCH:]VERSION-RELEASE`, the source is
/// the source rpm's name and version (with the binary's epoch, as rpm records no source epoch),
/// and a module stream build keeps its `MODULARITYLABEL` (Red Hat's advisories of module builds
/// apply only within their stream).
pub fn to_package(p: RpmPackage, location: &Arc<CompactString>) -> Package {
    let version = p.evr();
    let (source_name, source_version) = match p.source_nvr() {
        Some((name, v, r)) => {
            let sv = match p.epoch {
                Some(e) => format!("{e}:{v}-{r}"),
                None => format!("{v}-{r}"),
            };
            (Some(name.to_owned()), Some(sv))
        }
        None => (None, None),
    };
    // no purl yet: the inventory step gives OS packages theirs, naming the distro
    Package::new(PackageKind::Rpm, p.name, version)
        .with_arch(p.arch)
        .with_source_name(source_name)
        .with_source_version(source_version)
        .with_modularity_label(p.modularity_label)
        .with_licenses(p.license.into_iter().collect())
        .with_shared_location(Arc::clone(location))
        .with_files(p.files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_module_build_keeps_its_modularity_label() {
        // nodejs of RHEL 9's nodejs:18 stream, as its header records it
        let header = RpmPackage {
            name: "nodejs".into(),
            epoch: Some(1),
            version: "18.18.2".into(),
            release: "2.module+el9.3.0+20414+ad66b7a1".into(),
            arch: Some("x86_64".into()),
            source_rpm: Some("nodejs-18.18.2-2.module+el9.3.0+20414+ad66b7a1.src.rpm".into()),
            modularity_label: Some("nodejs:18:9030020231120082734:rhel9".into()),
            ..RpmPackage::default()
        };
        let location = Arc::new(CompactString::from("/var/lib/rpm/rpmdb.sqlite"));
        let p = to_package(header.clone(), &location);
        assert_eq!(p.version, "1:18.18.2-2.module+el9.3.0+20414+ad66b7a1");
        assert_eq!(p.modularity_label(), Some("nodejs:18:9030020231120082734:rhel9"));
        let plain = to_package(RpmPackage { modularity_label: None, ..header }, &location);
        assert_eq!(plain.modularity_label(), None);
    }
}
