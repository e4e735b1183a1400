//! The analyzer interface: what every package or OS analyzer implements.

use std::collections::BTreeMap;
use std::io::{self, Read};

use microscanner_model::{CompactString, Diagnostic, OsInfo, Package, PackageKind};
use serde::{Deserialize, Serialize};

/// The files one analyzer asked for in one layer: path (relative to the image root, no leading
/// `/`) → contents. Only files the analyzer's [`Analyzer::wants`] accepted are here.
pub type LayerFiles = BTreeMap<String, Vec<u8>>;

/// Turns files into packages. The layer walk offers every regular file to each analyzer's cheap
/// [`Analyzer::wants`]; each accepted file is handed to [`Analyzer::analyze`] as soon as it is
/// read, and its bytes are dropped right after, so memory stays flat however many large binaries
/// a layer holds. Every record is keyed by the one file it came from (dpkg's `status` and its
/// `info/*.list` files are separate records, joined after the merge).
///
/// Analyzers are pure: no I/O, no network, no panics on any input. What they cannot read becomes
/// a [`Diagnostic`] beside the partial result.
pub trait Analyzer: Send + Sync {
    /// A stable id (`dpkg`, `os-release`); part of the layer cache key.
    fn id(&self) -> &'static str;

    /// Bumped whenever the analyzer's output for the same input changes; part of the cache key.
    fn version(&self) -> u32;

    /// Whether this analyzer wants the regular file at `path` (relative, no leading `/`) of
    /// `size` bytes. Called for every file of every layer: keep it cheap, and bound the size.
    ///
    /// An analyzer that would take even an empty file at `path` (`wants(path, 0)`) *claims* the
    /// path: the path itself is its evidence (a package database, a lockfile, a jar). When what
    /// sits there is a FIFO, a device or a symlink that resolves to no file, that evidence is
    /// lost and the scan says so (the lost-evidence rule, `lost.rs`). Analyzers that guess from
    /// content and want a minimum size (executables) claim nothing.
    fn wants(&self, path: &str, size: u64) -> bool;

    /// The size bound of the files this analyzer reads at `path`: `Some(bound)` when it reads a
    /// file there of at most `bound` bytes, `None` when it never reads that path. A wanted file
    /// over its bound is lost evidence, reported as such (`lost.rs`), never dropped in
    /// silence. The default is `None`: an analyzer without a size bound needs nothing here.
    fn max_size(&self, _path: &str) -> Option<u64> {
        None
    }

    /// Whether [`Analyzer::analyze`] costs enough CPU per file (tens of milliseconds: matching
    /// licence texts) to run on another thread while the walk reads on. The walk then reads the
    /// file whole and hands it to a worker, within a bound on the bytes waiting (64 MiB; over
    /// it, the walk analyzes the file itself).
    /// The records are the same either way. The default is `false`: parsing is cheaper than
    /// handing the file over.
    fn runs_beside_walk(&self) -> bool {
        false
    }

    /// Analyzes files that [`Analyzer::wants`] accepted. The layer walk passes one file at a
    /// time; a map keeps the signature open to callers with several files of one layer.
    fn analyze(&self, files: &LayerFiles) -> AnalyzerOutput;

    /// Analyzes the one file at `path` of `size` bytes as `content` streams it. The layer walk
    /// calls this when this analyzer is the only reader of the file, so an analyzer that can
    /// parse a stream (a lockfile of a million entries) never holds the file's bytes and its
    /// packages together. The default reads the file whole, into a buffer of its size (a
    /// growing buffer would cost up to twice the file), and calls [`Analyzer::analyze`]. A read
    /// error is returned, not turned into a diagnostic: it is the layer's, not the file's.
    fn analyze_reader(&self, path: &str, size: u64, content: &mut dyn Read) -> io::Result<AnalyzerOutput> {
        let mut bytes = read_buffer(size);
        content.read_to_end(&mut bytes)?;
        Ok(self.analyze(&LayerFiles::from([(path.to_owned(), bytes)])))
    }
}

/// A buffer for a file of `size` bytes read whole: its size up front (bounded, since a size comes
/// from the layer), so reading it costs the file once.
pub(crate) fn read_buffer(size: u64) -> Vec<u8> {
    Vec::with_capacity(usize::try_from(size).unwrap_or(0).min(64 << 20))
}

/// What an analyzer found in one layer. Every record is keyed by the path of the file it came
/// from, so the merge step can drop records whose file a later layer deleted or replaced.
#[derive(Debug, Default)]
pub struct AnalyzerOutput {
    /// The records found.
    pub records: Vec<Record>,
    /// Problems met (a broken stanza, a truncated database).
    pub diagnostics: Vec<Diagnostic>,
}

impl AnalyzerOutput {
    /// Adds what a parser found in the file at `path`: a record of its packages and one of what
    /// they declare they need (none when it found none), and its diagnostics.
    pub fn push(&mut self, path: &str, packages: Vec<Package>, requires: Vec<Requires>, diagnostics: Vec<Diagnostic>) {
        self.diagnostics.extend(diagnostics);
        if !packages.is_empty() {
            self.records.push(Record::Packages { path: path.to_owned(), packages });
        }
        if !requires.is_empty() {
            self.records.push(Record::Dependencies { path: path.to_owned(), requires });
        }
    }
}

/// One piece of evidence, keyed by the file it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// Packages listed by the file at `path` (a dpkg `status`, a lockfile, a binary).
    Packages {
        /// The file the packages were read from.
        path: String,
        /// The packages.
        packages: Vec<Package>,
    },
    /// The files a package owns, read from `path` (dpkg `info/NAME.list`).
    OwnedFiles {
        /// The file the list was read from.
        path: String,
        /// The owning package's name (with `:arch` for multi-arch dpkg lists).
        package: String,
        /// The owned files, as absolute paths.
        files: Vec<String>,
    },
    /// The licences of the dpkg package `package`, read from its copyright file at `path`
    /// (`usr/share/doc/NAME/copyright`): SPDX expressions, or names SPDX has no id for.
    Licenses {
        /// The file the licences were read from.
        path: String,
        /// The package the file belongs to (its doc directory's name).
        package: String,
        /// The licences, possibly none.
        licenses: Vec<String>,
    },
    /// What the packages of the evidence file at `path` declare they depend on (dpkg
    /// `Depends`, a lockfile's resolved graph), resolved to packages after the merge.
    Dependencies {
        /// The file the declarations were read from.
        path: String,
        /// One entry per package that declares something.
        requires: Vec<Requires>,
    },
    /// The operating system identity read from `path`.
    Os {
        /// The file the identity was read from.
        path: String,
        /// How much this file is trusted over others (higher wins): `os-release` beats `debian_version`.
        priority: u8,
        /// The identity.
        os: OsInfo,
    },
}

impl Record {
    /// The path of the file this record was read from.
    pub fn path(&self) -> &str {
        match self {
            Self::Packages { path, .. }
            | Self::OwnedFiles { path, .. }
            | Self::Licenses { path, .. }
            | Self::Dependencies { path, .. }
            | Self::Os { path, .. } => path,
        }
    }
}

/// What one package declares it needs, as its evidence says it: resolved to installed packages
/// by the inventory step, once every layer is merged (a dependency may sit in another layer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requires {
    /// The kind of the package and of what it needs.
    pub kind: PackageKind,
    /// The dependent package's name.
    pub name: CompactString,
    /// The dependent package's version.
    pub version: CompactString,
    /// Each requirement, as alternatives (dpkg `a | b`): the first one present is the edge.
    pub needs: Vec<Vec<Needed>>,
    /// Other names the package answers to (dpkg `Provides`, apk `p:`), for virtual packages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provides: Vec<CompactString>,
}

/// One alternative of a requirement: a package name and, when the evidence pins it (a
/// lockfile's resolved version), its version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Needed {
    /// The name needed (a package, or a virtual name some package provides).
    pub name: CompactString,
    /// The exact version, when the evidence resolved it; `None` matches any installed version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<CompactString>,
}

impl Needed {
    /// `name` at any version.
    pub fn any(name: impl Into<CompactString>) -> Self {
        Self { name: name.into(), version: None }
    }

    /// `name` at exactly `version`.
    pub fn exact(name: impl Into<CompactString>, version: impl Into<CompactString>) -> Self {
        Self { name: name.into(), version: Some(version.into()) }
    }
}
