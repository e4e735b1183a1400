//! Language package analyzers: installed metadata (Python, Node, Ruby, PHP, .NET), binaries (Go,
//! Rust), Java archives and declared lockfiles.
//!
//! Every format is one row of [`FORMATS`]: its analyzer id and version, the sizes it reads, a test
//! on the path alone, and its pure parser, `parse(bytes) -> (Vec<Package>, Vec<Diagnostic>)`,
//! that never panics and bounds its work. One [`LangAnalyzer`] runs each row; [`parse_file`] fills
//! in the evidence location (`/` + the path) of what the parser found. Path heuristics live in
//! `paths.rs`, package construction in `package.rs`; ARCHITECTURE.md ("How to add an analyzer")
//! has the recipe for a new format.

pub mod binary;
pub mod bitnami;
pub mod dotnet;
pub mod gobinary;
pub mod java;
pub mod lockfiles;
pub mod npm;
mod package;
mod paths;
pub mod php;
pub mod python;
pub mod reconcile;
pub mod ruby;
pub mod rustbinary;

use std::io::{self, Read};
use std::ops::RangeInclusive;

use microscanner_model::CompactString;
pub use package::{GraphResult, ParseResult, purl_for};
pub(crate) use package::{dedup, from_json, lang_package, warn};
use paths::file_name;

use crate::{Analyzer, AnalyzerOutput, LayerFiles};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

/// The largest metadata file (METADATA, package.json, gemspec) we read.
pub const MAX_METADATA_SIZE: u64 = 4 * MIB;
/// The largest lockfile we read.
pub const MAX_LOCKFILE_SIZE: u64 = 64 * MIB;
/// The largest binary we inspect for Go or Rust build data.
pub const MAX_BINARY_SIZE: u64 = 256 * MIB;
/// The largest Java archive we open.
pub const MAX_ARCHIVE_SIZE: u64 = 256 * MIB;
/// The smallest file the binary analyzer opens: no Go or Rust executable is smaller.
const MIN_BINARY_SIZE: u64 = 4 * KIB;

/// The sizes of metadata files read.
const METADATA: RangeInclusive<u64> = 0..=MAX_METADATA_SIZE;
/// The sizes of lockfiles read.
const LOCKFILE: RangeInclusive<u64> = 0..=MAX_LOCKFILE_SIZE;
/// The sizes of archives read.
const ARCHIVE: RangeInclusive<u64> = 0..=MAX_ARCHIVE_SIZE;

/// A format's pure parser.
#[derive(Debug, Clone, Copy)]
enum Parser {
    /// Reads the file's bytes alone.
    Bytes(fn(&[u8]) -> ParseResult),
    /// Reads the bytes and the file name (a Java archive's name is a fallback for its coordinates).
    Named(fn(&[u8], &str) -> ParseResult),
    /// Reads the file's bytes alone, and its dependency graph too (a lockfile's).
    Graph(fn(&[u8]) -> GraphResult),
    /// Reads the file as a stream, graph included: a lockfile that can list a million entries
    /// is parsed as the layer walk reads it, so its bytes and its packages are never in memory
    /// together.
    Reader(fn(&mut dyn Read) -> GraphResult),
}

/// One language file format: everything its analyzer needs, as one row of [`FORMATS`] (as Syft
/// registers a parser by glob). The layer cache keys on `id` and `version`, so neither changes
/// without a reason.
#[derive(Debug)]
pub struct Format {
    /// The analyzer id: stable, part of the layer cache key.
    id: &'static str,
    /// The analyzer version, part of the layer cache key: bump when the output for the same
    /// input changes.
    version: u32,
    /// The sizes read. A file over the end is lost evidence ([`crate::lost`]); a file under the
    /// start is not wanted, and a start above 0 means the format claims no path (it guesses from
    /// content, as executables do).
    size: RangeInclusive<u64>,
    /// Whether a file at this path (relative to the image root) is of this format, from the
    /// path alone: called for every file of every layer, so cheap.
    path: fn(&str) -> bool,
    /// The pure parser.
    parser: Parser,
    /// Whether the file is the package itself (an executable, a zipped egg), so the packages
    /// read from it carry its sha256 ([`Package::sha256`](microscanner_model::Package::sha256)),
    /// computed over the bytes the walk read for the parser when the parse found packages.
    /// Java archives hash themselves (nested ones too); metadata files and lockfiles describe
    /// a package without being it, so they are not hashed.
    hashed: bool,
}

/// Every language format, in the order its analyzers run (that order is part of the layer cache
/// key). Adding a format is adding a row here, at the end (ARCHITECTURE.md, "How to add an
/// analyzer").
pub static FORMATS: &[Format] = &[
    Format {
        id: "python-metadata",
        version: 2,
        size: METADATA,
        path: paths::is_python_metadata,
        parser: Parser::Bytes(python::parse_metadata),
        hashed: false,
    },
    Format {
        id: "python-egg",
        version: 3,
        size: ARCHIVE,
        path: paths::is_python_egg,
        parser: Parser::Bytes(python::parse_egg),
        hashed: true,
    },
    Format {
        id: "node-package-json",
        version: 1,
        size: METADATA,
        path: paths::is_node_module_manifest,
        parser: Parser::Bytes(npm::parse_package_json),
        hashed: false,
    },
    Format {
        id: "lang-binary",
        version: 2,
        size: MIN_BINARY_SIZE..=MAX_BINARY_SIZE,
        path: paths::maybe_binary,
        parser: Parser::Bytes(binary::parse),
        hashed: true,
    },
    Format {
        id: "java-archive",
        version: 2,
        size: ARCHIVE,
        path: paths::is_java_archive,
        parser: Parser::Named(java::parse_named),
        hashed: false,
    },
    Format {
        id: "ruby-gemspec",
        version: 1,
        size: METADATA,
        path: paths::is_gemspec,
        parser: Parser::Bytes(ruby::parse_gemspec),
        hashed: false,
    },
    Format {
        id: "composer-installed",
        version: 1,
        size: LOCKFILE,
        path: |p| p.ends_with("vendor/composer/installed.json"),
        parser: Parser::Bytes(php::parse_installed),
        hashed: false,
    },
    Format {
        id: "dotnet-deps",
        version: 1,
        size: LOCKFILE,
        path: |p| file_name(p).ends_with(".deps.json"),
        parser: Parser::Bytes(dotnet::parse_deps_json),
        hashed: false,
    },
    Format {
        id: "cargo-lock",
        version: 2,
        size: LOCKFILE,
        path: |p| file_name(p) == "Cargo.lock",
        parser: Parser::Graph(lockfiles::cargo::parse_graph),
        hashed: false,
    },
    Format {
        id: "npm-package-lock",
        version: 2,
        size: LOCKFILE,
        path: paths::is_package_lock,
        parser: Parser::Reader(lockfiles::npm::parse_reader),
        hashed: false,
    },
    Format {
        id: "yarn-lock",
        version: 1,
        size: LOCKFILE,
        path: |p| file_name(p) == "yarn.lock" && !paths::in_node_modules(p),
        parser: Parser::Bytes(lockfiles::yarn::parse),
        hashed: false,
    },
    Format {
        id: "pnpm-lock",
        version: 1,
        size: LOCKFILE,
        path: |p| file_name(p) == "pnpm-lock.yaml" && !paths::in_node_modules(p),
        parser: Parser::Bytes(lockfiles::pnpm::parse),
        hashed: false,
    },
    Format {
        id: "poetry-lock",
        version: 2,
        size: LOCKFILE,
        path: |p| file_name(p) == "poetry.lock",
        parser: Parser::Graph(lockfiles::python::parse_poetry_graph),
        hashed: false,
    },
    Format {
        id: "pipfile-lock",
        version: 1,
        size: LOCKFILE,
        path: |p| file_name(p) == "Pipfile.lock",
        parser: Parser::Bytes(lockfiles::python::parse_pipfile),
        hashed: false,
    },
    Format {
        id: "uv-lock",
        version: 2,
        size: LOCKFILE,
        path: |p| file_name(p) == "uv.lock",
        parser: Parser::Graph(lockfiles::python::parse_uv_graph),
        hashed: false,
    },
    Format {
        id: "pip-requirements",
        version: 1,
        size: LOCKFILE,
        path: paths::is_requirements,
        parser: Parser::Bytes(lockfiles::python::parse_requirements),
        hashed: false,
    },
    Format {
        id: "gemfile-lock",
        version: 2,
        size: LOCKFILE,
        path: |p| matches!(file_name(p), "Gemfile.lock" | "gems.locked"),
        parser: Parser::Graph(lockfiles::ruby::parse_graph),
        hashed: false,
    },
    Format {
        id: "composer-lock",
        version: 2,
        size: LOCKFILE,
        path: |p| file_name(p) == "composer.lock",
        parser: Parser::Graph(php::parse_lock_graph),
        hashed: false,
    },
    Format {
        id: "go-mod",
        version: 1,
        size: LOCKFILE,
        path: |p| file_name(p) == "go.mod" && !p.contains("/pkg/mod/"),
        parser: Parser::Bytes(lockfiles::gomod::parse),
        hashed: false,
    },
    Format {
        id: "nuget-lock",
        version: 1,
        size: LOCKFILE,
        path: |p| file_name(p) == "packages.lock.json",
        parser: Parser::Bytes(dotnet::parse_packages_lock),
        hashed: false,
    },
    Format {
        id: "dart-pubspec-lock",
        version: 1,
        size: LOCKFILE,
        path: |p| file_name(p) == "pubspec.lock",
        parser: Parser::Bytes(lockfiles::dart::parse),
        hashed: false,
    },
    Format {
        id: "elixir-mix-lock",
        version: 1,
        size: LOCKFILE,
        path: |p| file_name(p) == "mix.lock",
        parser: Parser::Bytes(lockfiles::elixir::parse),
        hashed: false,
    },
    Format {
        id: "swift-package-resolved",
        version: 1,
        size: LOCKFILE,
        path: |p| file_name(p) == "Package.resolved",
        parser: Parser::Bytes(lockfiles::swift::parse),
        hashed: false,
    },
    Format {
        id: "cocoapods-podfile-lock",
        version: 1,
        size: LOCKFILE,
        path: |p| file_name(p) == "Podfile.lock",
        parser: Parser::Bytes(lockfiles::cocoapods::parse),
        hashed: false,
    },
    Format {
        id: "gradle-lockfile",
        version: 1,
        size: LOCKFILE,
        path: |p| file_name(p).ends_with("gradle.lockfile"),
        parser: Parser::Bytes(lockfiles::gradle::parse),
        hashed: false,
    },
    Format {
        id: "maven-pom",
        version: 1,
        size: METADATA,
        path: paths::is_pom_xml,
        parser: Parser::Bytes(lockfiles::maven::parse),
        hashed: false,
    },
    Format {
        id: "conan-lock",
        version: 1,
        size: LOCKFILE,
        path: |p| file_name(p) == "conan.lock",
        parser: Parser::Bytes(lockfiles::conan::parse),
        hashed: false,
    },
    Format {
        id: "julia-manifest",
        version: 1,
        size: LOCKFILE,
        path: paths::is_julia_manifest,
        parser: Parser::Bytes(lockfiles::julia::parse),
        hashed: false,
    },
    Format {
        id: "sbt-lock",
        version: 1,
        size: LOCKFILE,
        path: |p| file_name(p) == "build.sbt.lock",
        parser: Parser::Bytes(lockfiles::sbt::parse),
        hashed: false,
    },
    Format {
        id: "bitnami-spdx",
        version: 1,
        size: METADATA,
        path: paths::is_bitnami_spdx,
        parser: Parser::Bytes(bitnami::parse),
        hashed: false,
    },
];

/// The format whose analyzer id is `id` (`cargo-lock`), if there is one.
pub fn format(id: &str) -> Option<&'static Format> {
    FORMATS.iter().find(|f| f.id == id)
}

impl Format {
    /// The stable id, used as the analyzer id.
    pub fn id(&self) -> &'static str {
        self.id
    }

    /// The analyzer version (part of the layer cache key).
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The size above which a file of this format is not read.
    pub fn max_size(&self) -> u64 {
        *self.size.end()
    }

    /// Whether the file at `path` (relative to the image root) is of this format, from its path alone.
    pub fn matches_path(&self, path: &str) -> bool {
        (self.path)(path)
    }

    /// Whether the layer walk should hand this file to the format's analyzer.
    pub fn wants(&self, path: &str, size: u64) -> bool {
        self.size.contains(&size) && self.matches_path(path)
    }

    /// Runs this format's pure parser over `bytes` (`path` only names a Java archive for the
    /// file-name heuristic).
    pub fn parse(&self, path: &str, bytes: &[u8]) -> ParseResult {
        let (packages, _, diagnostics) = self.parse_graph(path, bytes);
        (packages, diagnostics)
    }

    /// Like [`Format::parse`], with the dependency graph of formats that have one (lockfiles).
    /// The packages of a hashed format ([`Format::hashed`](Format)) found in the file itself
    /// carry its sha256.
    pub fn parse_graph(&self, path: &str, bytes: &[u8]) -> GraphResult {
        let (mut packages, requires, diagnostics) = match self.parser {
            Parser::Bytes(parse) => with_no_graph(parse(bytes)),
            Parser::Named(parse) => with_no_graph(parse(bytes, file_name(path))),
            Parser::Graph(parse) => parse(bytes),
            Parser::Reader(parse) => parse(&mut &*bytes),
        };
        if self.hashed {
            set_digest(bytes, &mut packages);
        }
        (packages, requires, diagnostics)
    }

    /// Runs this format's parser over the file of `size` bytes `content` streams: as it streams
    /// for a format whose parser reads a stream (package-lock), read whole first for the others.
    pub fn parse_reader(&self, path: &str, size: u64, content: &mut dyn Read) -> io::Result<GraphResult> {
        if let Parser::Reader(parse) = self.parser {
            return Ok(parse(content));
        }
        let mut bytes = crate::analyzer::read_buffer(size);
        content.read_to_end(&mut bytes)?;
        Ok(self.parse_graph(path, &bytes))
    }
}

/// Parses the file at `path` (relative, no leading `/`) if some format wants it, and sets the
/// packages' location and the diagnostics' location to `/path`.
pub fn parse_file(path: &str, bytes: &[u8]) -> Option<ParseResult> {
    let format = FORMATS.iter().find(|f| f.wants(path, bytes.len() as u64))?;
    Some(parse_with(format, path, bytes))
}

/// Gives the packages a parser found in the file itself (no location of their own) the sha256
/// of `bytes`, the file as the walk read it: computed only when there are such packages, so an
/// executable that is neither Go nor Rust costs nothing more.
fn set_digest(bytes: &[u8], packages: &mut [microscanner_model::Package]) {
    use sha2::{Digest as _, Sha256};
    let mut own = packages.iter_mut().filter(|p| p.location().is_empty()).peekable();
    if own.peek().is_some() {
        let digest: [u8; 32] = Sha256::digest(bytes).into();
        own.for_each(|p| p.set_sha256(Some(digest)));
    }
}

/// A parse result without a graph.
fn with_no_graph((packages, diagnostics): ParseResult) -> GraphResult {
    (packages, Vec::new(), diagnostics)
}

/// Runs `format`'s parser and fills in locations.
fn parse_with(format: &Format, path: &str, bytes: &[u8]) -> ParseResult {
    let (packages, _, diagnostics) = parse_graph_with(format, path, bytes);
    (packages, diagnostics)
}

/// Runs `format`'s parser, graph included, and fills in locations.
fn parse_graph_with(format: &Format, path: &str, bytes: &[u8]) -> GraphResult {
    locate(path, format.parse_graph(path, bytes))
}

/// Fills in the locations of what a parser found in the file at `path`.
fn locate(path: &str, (mut pkgs, requires, mut diags): GraphResult) -> GraphResult {
    let location = format!("/{path}");
    // every package the parser left unlocated shares the file's location
    let shared = std::sync::Arc::new(CompactString::from(location.as_str()));
    for p in &mut pkgs {
        match p.location() {
            "" => p.set_shared_location(std::sync::Arc::clone(&shared)),
            inner => {
                let located = located(&location, inner);
                p.set_location(located);
            }
        }
    }
    for d in &mut diags {
        d.location = located(&location, &d.location);
    }
    (pkgs, requires, diags)
}

/// The location of evidence a parser found in the file at `location`: the file itself when the
/// parser left it empty, `/outer.jar!inner.jar` for nested evidence, unchanged when absolute.
fn located(location: &str, inner: &str) -> String {
    if inner.is_empty() {
        location.to_owned()
    } else if inner.starts_with('/') {
        inner.to_owned()
    } else {
        format!("{location}!{inner}")
    }
}

/// The analyzer of one row of [`FORMATS`].
#[derive(Debug, Clone, Copy)]
pub struct LangAnalyzer {
    format: &'static Format,
}

impl LangAnalyzer {
    /// The analyzer for `format`.
    pub fn new(format: &'static Format) -> Self {
        Self { format }
    }
}

impl Analyzer for LangAnalyzer {
    fn id(&self) -> &'static str {
        self.format.id
    }

    fn version(&self) -> u32 {
        self.format.version
    }

    fn wants(&self, path: &str, size: u64) -> bool {
        self.format.wants(path, size)
    }

    fn max_size(&self, path: &str) -> Option<u64> {
        self.format.matches_path(path).then(|| self.format.max_size())
    }

    fn analyze(&self, files: &LayerFiles) -> AnalyzerOutput {
        let mut out = AnalyzerOutput::default();
        for (path, bytes) in files {
            if !self.format.matches_path(path) {
                continue;
            }
            let (packages, requires, diagnostics) = parse_graph_with(self.format, path, bytes);
            out.push(path, packages, requires, diagnostics);
        }
        out
    }

    fn analyze_reader(&self, path: &str, size: u64, content: &mut dyn Read) -> io::Result<AnalyzerOutput> {
        let mut out = AnalyzerOutput::default();
        if self.format.matches_path(path) {
            let (packages, requires, diagnostics) = locate(path, self.format.parse_reader(path, size, content)?);
            out.push(path, packages, requires, diagnostics);
        }
        Ok(out)
    }
}

/// One analyzer per row of [`FORMATS`], in its order.
pub fn analyzers() -> Vec<Box<dyn Analyzer>> {
    FORMATS.iter().map(|f| Box::new(LangAnalyzer::new(f)) as Box<dyn Analyzer>).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layer cache keys on every analyzer's id and version, in order: the formats there were
    /// when the table was made keep their ids, versions and places (a new row goes at the end;
    /// a version changes only with the output), and no id is used twice.
    #[test]
    fn ids_versions_and_order_are_stable() {
        const FIRST: [(&str, u32); 20] = [
            ("python-metadata", 2),
            ("python-egg", 3),
            ("node-package-json", 1),
            ("lang-binary", 2),
            ("java-archive", 2),
            ("ruby-gemspec", 1),
            ("composer-installed", 1),
            ("dotnet-deps", 1),
            ("cargo-lock", 2),
            ("npm-package-lock", 2),
            ("yarn-lock", 1),
            ("pnpm-lock", 1),
            ("poetry-lock", 2),
            ("pipfile-lock", 1),
            ("uv-lock", 2),
            ("pip-requirements", 1),
            ("gemfile-lock", 2),
            ("composer-lock", 2),
            ("go-mod", 1),
            ("nuget-lock", 1),
        ];
        // issue #19: the formats Trivy reads beside ours, added after the first table
        const ISSUE_19: [(&str, u32); 10] = [
            ("dart-pubspec-lock", 1),
            ("elixir-mix-lock", 1),
            ("swift-package-resolved", 1),
            ("cocoapods-podfile-lock", 1),
            ("gradle-lockfile", 1),
            ("maven-pom", 1),
            ("conan-lock", 1),
            ("julia-manifest", 1),
            ("sbt-lock", 1),
            ("bitnami-spdx", 1),
        ];
        let rows: Vec<(&str, u32)> = FORMATS.iter().map(|f| (f.id(), f.version())).collect();
        assert_eq!(rows.get(..FIRST.len()), Some(&FIRST[..]));
        assert_eq!(rows.get(FIRST.len()..FIRST.len() + ISSUE_19.len()), Some(&ISSUE_19[..]));
        let ids: std::collections::BTreeSet<&str> = rows.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids.len(), rows.len(), "an id is used twice");
    }

    #[test]
    fn binaries_claim_nothing_and_other_formats_claim_their_paths() {
        let binary = format("lang-binary").map(LangAnalyzer::new);
        assert!(binary.is_some_and(|b| !b.wants("usr/local/bin/tool", 0) && b.wants("usr/local/bin/tool", 4096)));
        let lock = format("cargo-lock").map(LangAnalyzer::new);
        assert!(
            lock.is_some_and(|l| l.wants("src/Cargo.lock", 0) && !l.wants("src/Cargo.lock", MAX_LOCKFILE_SIZE + 1))
        );
        assert_eq!(lock.and_then(|l| l.max_size("src/Cargo.lock")), Some(MAX_LOCKFILE_SIZE));
    }

    #[test]
    fn nested_locations_name_the_outer_file() {
        assert_eq!(located("/a.jar", ""), "/a.jar");
        assert_eq!(located("/a.jar", "b.jar"), "/a.jar!b.jar");
        assert_eq!(located("/a.jar", "/abs"), "/abs");
    }
}
