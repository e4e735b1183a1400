//! Language package analyzers: installed metadata (Python, Node, Ruby, PHP, .NET), binaries (Go,
//! Rust), Java archives and declared lockfiles.
//!
//! Every format has a pure parser, `parse(bytes) -> (Vec<Package>, Vec<Diagnostic>)`, that never
//! panics and bounds its work. The analyzers here are thin glue: [`Format::matches`] decides from
//! the path and size alone whether a file is wanted, and [`parse_file`] fills in the evidence
//! location (`/` + the path) of what the parser found.

pub mod dotnet;
pub mod gobinary;
pub mod java;
pub mod lockfiles;
pub mod npm;
pub mod php;
pub mod python;
pub mod reconcile;
pub mod ruby;
pub mod rustbinary;

use microscanner_model::{Diagnostic, Evidence, Package, PackageKind, Purl};

use crate::{Analyzer, AnalyzerOutput, LayerFiles, Record};

/// What a parser returns: the packages found, and the problems met.
pub type ParseResult = (Vec<Package>, Vec<Diagnostic>);

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

/// Every file format the language analyzers understand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Python `*.dist-info/METADATA`, `*.egg-info/PKG-INFO` or a `*.egg-info` file.
    PythonMetadata,
    /// A Python `.egg` zip archive in a site-packages directory.
    PythonEgg,
    /// `node_modules/NAME/package.json` or `node_modules/@scope/NAME/package.json`.
    NpmPackageJson,
    /// An executable that may carry Go build info or cargo-auditable data.
    Binary,
    /// A Java archive: `.jar`, `.war`, `.ear`, `.par`, `.sar`, `.jpi`, `.hpi`.
    JavaArchive,
    /// Ruby `specifications/*.gemspec`.
    Gemspec,
    /// PHP `vendor/composer/installed.json`.
    ComposerInstalled,
    /// .NET `*.deps.json`.
    DotnetDeps,
    /// `Cargo.lock`.
    CargoLock,
    /// `package-lock.json` (v1-v3) or `npm-shrinkwrap.json`.
    PackageLock,
    /// `yarn.lock` (v1 and berry).
    YarnLock,
    /// `pnpm-lock.yaml` (v5-v9).
    PnpmLock,
    /// `poetry.lock`.
    PoetryLock,
    /// `Pipfile.lock`.
    PipfileLock,
    /// `uv.lock`.
    UvLock,
    /// `requirements*.txt` (pinned `==` lines).
    Requirements,
    /// `Gemfile.lock`.
    GemfileLock,
    /// `composer.lock`.
    ComposerLock,
    /// `go.mod`.
    GoMod,
    /// NuGet `packages.lock.json`.
    NugetLock,
}

/// Every format, in the order the analyzers are registered.
pub const ALL_FORMATS: &[Format] = &[
    Format::PythonMetadata,
    Format::PythonEgg,
    Format::NpmPackageJson,
    Format::Binary,
    Format::JavaArchive,
    Format::Gemspec,
    Format::ComposerInstalled,
    Format::DotnetDeps,
    Format::CargoLock,
    Format::PackageLock,
    Format::YarnLock,
    Format::PnpmLock,
    Format::PoetryLock,
    Format::PipfileLock,
    Format::UvLock,
    Format::Requirements,
    Format::GemfileLock,
    Format::ComposerLock,
    Format::GoMod,
    Format::NugetLock,
];

/// The last path component.
fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// The directory part of a path (empty for a bare name).
fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// True when the path lies in a Python `site-packages` or `dist-packages` directory.
fn in_python_lib(path: &str) -> bool {
    path.contains("site-packages/") || path.contains("dist-packages/")
}

/// True when a path may be an executable worth opening: any file in a `bin`/`sbin` directory, and
/// extension-less (or `.exe`) files under `usr/local`, `opt`, `app`, outside package trees. Text
/// files with a known extension are never taken.
fn maybe_binary_path(path: &str) -> bool {
    const TEXT_EXT: &[&str] = &[
        ".py", ".pyc", ".sh", ".js", ".mjs", ".cjs", ".json", ".txt", ".md", ".h", ".c", ".rb", ".pl", ".pm", ".html",
        ".css", ".xml", ".yaml", ".yml", ".toml", ".cfg", ".conf", ".ini", ".gz", ".png", ".svg", ".ts", ".map",
        ".lock", ".jar", ".1", ".gif", ".jpg", ".csh", ".fish", ".ps1", ".bat",
    ];
    let name = file_name(path);
    if name.starts_with('.') || TEXT_EXT.iter().any(|e| name.ends_with(e)) {
        return false;
    }
    let dir = parent(path);
    let in_bin_dir = dir == "bin"
        || dir == "sbin"
        || dir.ends_with("/bin")
        || dir.ends_with("/sbin")
        || dir.starts_with("usr/libexec");
    if in_bin_dir {
        return true;
    }
    let app_tree = ["usr/local/", "opt/", "app/", "srv/", "go/bin/"].iter().any(|p| path.starts_with(p));
    app_tree
        && !path.contains("node_modules/")
        && !in_python_lib(path)
        && !path.contains("/include/")
        && !path.contains("/share/")
        && (!name.contains('.') || name.ends_with(".exe"))
}

/// The smallest file the binary analyzer opens: no Go or Rust executable is smaller.
const MIN_BINARY_SIZE: u64 = 4 * KIB;

/// True for a `package.json` directly in a package directory below `node_modules`.
fn is_node_module_manifest(path: &str) -> bool {
    if file_name(path) != "package.json" {
        return false;
    }
    let mut parts = parent(path).rsplit('/');
    let Some(name) = parts.next() else { return false };
    match parts.next() {
        Some("node_modules") => !name.starts_with('.') && !name.starts_with('@'),
        Some(scope) if scope.starts_with('@') => parts.next() == Some("node_modules"),
        _ => false,
    }
}

/// True for a file name that is a Java archive.
fn is_java_archive_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".jar", ".war", ".ear", ".par", ".sar", ".jpi", ".hpi", ".kar", ".nar", ".rar"]
        .iter()
        .any(|ext| lower.ends_with(ext))
        && !lower.ends_with(".tar.rar")
}

impl Format {
    /// A stable id, used as the analyzer id.
    pub fn id(self) -> &'static str {
        match self {
            Self::PythonMetadata => "python-metadata",
            Self::PythonEgg => "python-egg",
            Self::NpmPackageJson => "node-package-json",
            Self::Binary => "lang-binary",
            Self::JavaArchive => "java-archive",
            Self::Gemspec => "ruby-gemspec",
            Self::ComposerInstalled => "composer-installed",
            Self::DotnetDeps => "dotnet-deps",
            Self::CargoLock => "cargo-lock",
            Self::PackageLock => "npm-package-lock",
            Self::YarnLock => "yarn-lock",
            Self::PnpmLock => "pnpm-lock",
            Self::PoetryLock => "poetry-lock",
            Self::PipfileLock => "pipfile-lock",
            Self::UvLock => "uv-lock",
            Self::Requirements => "pip-requirements",
            Self::GemfileLock => "gemfile-lock",
            Self::ComposerLock => "composer-lock",
            Self::GoMod => "go-mod",
            Self::NugetLock => "nuget-lock",
        }
    }

    /// The size above which a file of this format is not read.
    pub fn max_size(self) -> u64 {
        match self {
            Self::PythonMetadata | Self::NpmPackageJson | Self::Gemspec => MAX_METADATA_SIZE,
            Self::Binary => MAX_BINARY_SIZE,
            Self::JavaArchive | Self::PythonEgg => MAX_ARCHIVE_SIZE,
            _ => MAX_LOCKFILE_SIZE,
        }
    }

    /// Whether the file at `path` (relative to the image root) is of this format, from its path alone.
    pub fn matches_path(self, path: &str) -> bool {
        let name = file_name(path);
        match self {
            Self::PythonMetadata => {
                in_python_lib(path)
                    && ((name == "METADATA" && parent(path).ends_with(".dist-info"))
                        || (name == "PKG-INFO" && parent(path).ends_with(".egg-info"))
                        || name.ends_with(".egg-info"))
            }
            Self::PythonEgg => in_python_lib(path) && name.ends_with(".egg"),
            Self::NpmPackageJson => is_node_module_manifest(path),
            Self::Binary => maybe_binary_path(path),
            Self::JavaArchive => is_java_archive_name(name),
            Self::Gemspec => {
                name.ends_with(".gemspec")
                    && (parent(path).ends_with("specifications") || parent(path).ends_with("specifications/default"))
            }
            Self::ComposerInstalled => path.ends_with("vendor/composer/installed.json"),
            Self::DotnetDeps => name.ends_with(".deps.json"),
            Self::CargoLock => name == "Cargo.lock",
            Self::PackageLock => {
                (name == "package-lock.json" || name == "npm-shrinkwrap.json") && !path.contains("node_modules/")
            }
            Self::YarnLock => name == "yarn.lock" && !path.contains("node_modules/"),
            Self::PnpmLock => name == "pnpm-lock.yaml" && !path.contains("node_modules/"),
            Self::PoetryLock => name == "poetry.lock",
            Self::PipfileLock => name == "Pipfile.lock",
            Self::UvLock => name == "uv.lock",
            Self::Requirements => {
                name.ends_with(".txt")
                    && name.starts_with("requirements")
                    && !in_python_lib(path)
                    && !path.contains("node_modules/")
            }
            Self::GemfileLock => name == "Gemfile.lock" || name == "gems.locked",
            Self::ComposerLock => name == "composer.lock",
            Self::GoMod => name == "go.mod" && !path.contains("/pkg/mod/"),
            Self::NugetLock => name == "packages.lock.json",
        }
    }

    /// Whether the layer walk should hand this file to the format's analyzer.
    pub fn wants(self, path: &str, size: u64) -> bool {
        size <= self.max_size() && (self != Self::Binary || size >= MIN_BINARY_SIZE) && self.matches_path(path)
    }

    /// Runs this format's pure parser over `bytes` (`path` only names a Java archive for the
    /// file-name heuristic).
    pub fn parse(self, path: &str, bytes: &[u8]) -> ParseResult {
        match self {
            Self::PythonMetadata => python::parse_metadata(bytes),
            Self::PythonEgg => python::parse_egg(bytes),
            Self::NpmPackageJson => npm::parse_package_json(bytes),
            Self::Binary => parse_binary(bytes),
            Self::JavaArchive => java::parse_named(bytes, file_name(path)),
            Self::Gemspec => ruby::parse_gemspec(bytes),
            Self::ComposerInstalled => php::parse_installed(bytes),
            Self::DotnetDeps => dotnet::parse_deps_json(bytes),
            Self::CargoLock => lockfiles::cargo::parse(bytes),
            Self::PackageLock => lockfiles::npm::parse(bytes),
            Self::YarnLock => lockfiles::yarn::parse(bytes),
            Self::PnpmLock => lockfiles::pnpm::parse(bytes),
            Self::PoetryLock => lockfiles::python::parse_poetry(bytes),
            Self::PipfileLock => lockfiles::python::parse_pipfile(bytes),
            Self::UvLock => lockfiles::python::parse_uv(bytes),
            Self::Requirements => lockfiles::python::parse_requirements(bytes),
            Self::GemfileLock => lockfiles::ruby::parse(bytes),
            Self::ComposerLock => php::parse_lock(bytes),
            Self::GoMod => lockfiles::gomod::parse(bytes),
            Self::NugetLock => dotnet::parse_packages_lock(bytes),
        }
    }

    /// The analyzer version (part of the layer cache key): bump when output changes.
    fn version(self) -> u32 {
        1
    }
}

/// True when `bytes` start like an executable (ELF, PE, Mach-O thin).
pub fn looks_executable(bytes: &[u8]) -> bool {
    const MAGICS: &[&[u8]] = &[
        b"\x7fELF",
        b"MZ",
        &[0xfe, 0xed, 0xfa, 0xce],
        &[0xfe, 0xed, 0xfa, 0xcf],
        &[0xce, 0xfa, 0xed, 0xfe],
        &[0xcf, 0xfa, 0xed, 0xfe],
    ];
    MAGICS.iter().any(|m| bytes.starts_with(m))
}

/// Go build info first, then cargo-auditable data, then (incomplete) panic paths of Rust crates.
pub fn parse_binary(bytes: &[u8]) -> ParseResult {
    if !looks_executable(bytes) {
        return (Vec::new(), Vec::new());
    }
    let (pkgs, diags) = gobinary::parse(bytes);
    if !pkgs.is_empty() || !diags.is_empty() {
        return (pkgs, diags);
    }
    rustbinary::parse(bytes)
}

/// Parses the file at `path` (relative, no leading `/`) if some format wants it, and sets the
/// packages' location and the diagnostics' location to `/path`.
pub fn parse_file(path: &str, bytes: &[u8]) -> Option<ParseResult> {
    let format = ALL_FORMATS.iter().copied().find(|f| f.wants(path, bytes.len() as u64))?;
    Some(parse_with(format, path, bytes))
}

/// Runs `format`'s parser and fills in locations.
fn parse_with(format: Format, path: &str, bytes: &[u8]) -> ParseResult {
    let (mut pkgs, mut diags) = format.parse(path, bytes);
    let location = format!("/{path}");
    for p in &mut pkgs {
        if p.location.is_empty() {
            p.location.clone_from(&location);
        } else if !p.location.starts_with('/') {
            // nested evidence (a jar inside a jar): `/outer.jar!inner.jar`
            p.location = format!("{location}!{}", p.location);
        }
    }
    for d in &mut diags {
        if d.location.is_empty() {
            d.location.clone_from(&location);
        } else if !d.location.starts_with('/') {
            d.location = format!("{location}!{}", d.location);
        }
    }
    (pkgs, diags)
}

/// An analyzer for one [`Format`].
#[derive(Debug, Clone, Copy)]
pub struct LangAnalyzer {
    format: Format,
}

impl LangAnalyzer {
    /// The analyzer for `format`.
    pub fn new(format: Format) -> Self {
        Self { format }
    }
}

impl Analyzer for LangAnalyzer {
    fn id(&self) -> &'static str {
        self.format.id()
    }

    fn version(&self) -> u32 {
        self.format.version()
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
            let (packages, diagnostics) = parse_with(self.format, path, bytes);
            out.diagnostics.extend(diagnostics);
            if !packages.is_empty() {
                out.records.push(Record::Packages { path: path.clone(), packages });
            }
        }
        out
    }
}

/// One analyzer per language format, in a fixed order.
pub fn analyzers() -> Vec<Box<dyn Analyzer>> {
    ALL_FORMATS.iter().map(|f| Box::new(LangAnalyzer::new(*f)) as Box<dyn Analyzer>).collect()
}

/// Builds a language package with no location yet (the analyzer glue fills it in).
pub(crate) fn package(kind: PackageKind, name: &str, version: &str, purl: Purl, evidence: Evidence) -> Package {
    Package {
        kind,
        name: name.to_owned(),
        version: version.to_owned(),
        arch: None,
        source_name: None,
        source_version: None,
        licenses: Vec::new(),
        purl: purl.to_string(),
        location: String::new(),
        evidence,
        layer: None,
        files: Vec::new(),
    }
}

/// The purl of a package of `kind` named `name` at `version`, following each purl type's rules.
pub fn purl_for(kind: PackageKind, name: &str, version: &str) -> Purl {
    match kind {
        PackageKind::Pypi => Purl::new("pypi", &python::normalize_name(name)).with_version(version),
        PackageKind::Npm => match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
            Some((scope, n)) => Purl::new("npm", n).with_namespace(&format!("@{scope}")).with_version(version),
            None => Purl::new("npm", name).with_version(version),
        },
        PackageKind::Golang => match name.rsplit_once('/') {
            Some((ns, n)) => Purl::new("golang", n).with_namespace(ns).with_version(version),
            None => Purl::new("golang", name).with_version(version),
        },
        PackageKind::Maven => match name.split_once(':') {
            Some((group, artifact)) => Purl::new("maven", artifact).with_namespace(group).with_version(version),
            None => Purl::new("maven", name).with_version(version),
        },
        PackageKind::Composer => match name.split_once('/') {
            Some((vendor, n)) => Purl::new("composer", n).with_namespace(vendor).with_version(version),
            None => Purl::new("composer", name).with_version(version),
        },
        other => Purl::new(other.purl_type(), name).with_version(version),
    }
}

/// A language package of `kind` with its purl.
pub(crate) fn lang_package(kind: PackageKind, name: &str, version: &str, evidence: Evidence) -> Package {
    package(kind, name, version, purl_for(kind, name, version), evidence)
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

/// Sorts packages and removes exact duplicates (same name, version and location).
pub(crate) fn dedup(pkgs: &mut Vec<Package>) {
    pkgs.sort_by(|a, b| (&a.name, &a.version, &a.location).cmp(&(&b.name, &b.version, &b.location)));
    pkgs.dedup_by(|a, b| a.name == b.name && a.version == b.version && a.location == b.location);
}
