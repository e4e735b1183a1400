//! Alpine/Wolfi/Chainguard packages: the apk database `lib/apk/db/installed`.
//!
//! The format is stanzas of `X:value` lines separated by blank lines (apk-tools `database.c`):
//! `P` name, `V` version, `A` arch, `L` license, `o` origin (the source package Alpine's advisories
//! are keyed by), `F` a directory and `R` a file in the last `F` directory, `D` what it depends
//! on and `p` what it provides (`so:libcrypto.so.3=3.1.4-r5`, `cmd:openssl=...`).

use microscanner_model::{CompactString, Diagnostic, Package, PackageKind};

use crate::{Analyzer, AnalyzerOutput, LayerFiles, Needed, Record, Requires};

/// Where apk keeps its database (apk-tools 2 and the `usr/` location of apk-tools 3).
pub const DB_PATHS: [&str; 2] = ["lib/apk/db/installed", "usr/lib/apk/db/installed"];

/// The largest database read: real ones are a few MiB even with thousands of packages. The same
/// bound as a dpkg status (the same kind of text), so a scan's memory stays near its target; a
/// bigger one is a lost-evidence warning, never silent.
const MAX_SIZE: u64 = 64 * 1024 * 1024;

/// Reads the apk `installed` database.
#[derive(Debug, Default, Clone, Copy)]
pub struct ApkAnalyzer;

impl Analyzer for ApkAnalyzer {
    fn id(&self) -> &'static str {
        "apk"
    }

    fn version(&self) -> u32 {
        3 // 2: the size bound came down from 256 to 64 MiB; 3: `D:` and `p:` for the graph
    }

    fn wants(&self, path: &str, size: u64) -> bool {
        self.max_size(path).is_some_and(|bound| size <= bound)
    }

    fn max_size(&self, path: &str) -> Option<u64> {
        DB_PATHS.contains(&path).then_some(MAX_SIZE)
    }

    fn analyze(&self, files: &LayerFiles) -> AnalyzerOutput {
        let mut out = AnalyzerOutput::default();
        for (path, bytes) in files {
            if !DB_PATHS.contains(&path.as_str()) {
                continue;
            }
            let (mut packages, requires, diags) = parse_with_requires(bytes);
            let location = std::sync::Arc::new(CompactString::from(path.as_str()));
            for p in &mut packages {
                p.set_shared_location(std::sync::Arc::clone(&location));
            }
            out.diagnostics.extend(diags.into_iter().map(|d| Diagnostic { location: path.clone(), ..d }));
            out.records.push(Record::Packages { path: path.clone(), packages });
            if !requires.is_empty() {
                out.records.push(Record::Dependencies { path: path.clone(), requires });
            }
        }
        out
    }
}

/// One stanza being read.
#[derive(Default)]
struct Stanza {
    /// Line number (1-based) of the stanza's first line.
    line: usize,
    name: Option<String>,
    version: Option<String>,
    arch: Option<String>,
    license: Option<String>,
    origin: Option<String>,
    dir: Option<String>,
    files: Vec<String>,
    /// The `D:` line, verbatim.
    depends: Option<String>,
    /// The `p:` line, verbatim.
    provides: Option<String>,
    seen: bool,
}

impl Stanza {
    fn finish(self, packages: &mut Vec<Package>, requires: &mut Vec<Requires>, diags: &mut Vec<Diagnostic>) {
        if !self.seen {
            return;
        }
        let (Some(name), Some(version)) = (self.name.clone(), self.version.clone()) else {
            let what = match &self.name {
                Some(n) => format!("package {n:?} has no version (V:)"),
                None => "stanza has no package name (P:)".to_owned(),
            };
            diags.push(Diagnostic::warning(DB_PATHS[0], format!("line {}: {what}; skipped", self.line)));
            return;
        };
        let needs: Vec<Vec<Needed>> = self
            .depends
            .as_deref()
            .map(apk_names)
            .unwrap_or_default()
            .into_iter()
            .map(|n| vec![Needed::any(n)])
            .collect();
        let provides: Vec<_> =
            self.provides.as_deref().map(apk_names).unwrap_or_default().into_iter().map(Into::into).collect();
        if !needs.is_empty() || !provides.is_empty() {
            requires.push(Requires {
                kind: PackageKind::Apk,
                name: name.as_str().into(),
                version: version.as_str().into(),
                needs,
                provides,
            });
        }
        // no purl yet: the inventory step gives OS packages theirs, naming the distro
        let p = Package::new(PackageKind::Apk, name, version)
            .with_arch(self.arch)
            .with_source_name(self.origin)
            .with_licenses(self.license.into_iter().collect())
            .with_files(self.files);
        packages.push(p);
    }
}

/// The names of a `D:` or `p:` line (`so:libc.musl-x86_64.so.1 busybox>=1.36 !conflict`): each
/// without its version or constraint; conflicts (`!name`) are no dependency and are dropped.
fn apk_names(line: &str) -> Vec<&str> {
    line.split_whitespace()
        .filter(|token| !token.starts_with('!'))
        .filter_map(|token| token.split(['=', '<', '>', '~']).next().filter(|name| !name.is_empty()))
        .collect()
}

/// Parses an apk `installed` database. Stanzas without a name or version are skipped with a
/// diagnostic; everything else is kept. Never panics.
pub fn parse(bytes: &[u8]) -> (Vec<Package>, Vec<Diagnostic>) {
    let (packages, _, diags) = parse_with_requires(bytes);
    (packages, diags)
}

/// Like [`parse`], with what each package depends on (`D:`) and provides (`p:`), for the graph.
pub fn parse_with_requires(bytes: &[u8]) -> (Vec<Package>, Vec<Requires>, Vec<Diagnostic>) {
    let text = String::from_utf8_lossy(bytes);
    let mut requires = Vec::new();
    let mut packages = Vec::new();
    let mut diags = Vec::new();
    let mut cur = Stanza::default();
    let mut bad_lines = 0usize;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        if line.is_empty() {
            std::mem::take(&mut cur).finish(&mut packages, &mut requires, &mut diags);
            continue;
        }
        if !cur.seen {
            cur.seen = true;
            cur.line = i + 1;
        }
        let bytes = line.as_bytes();
        if bytes.len() < 2 || bytes[1] != b':' {
            bad_lines += 1;
            continue;
        }
        let value = &line[2..];
        match bytes[0] {
            b'P' => cur.name = Some(value.to_owned()),
            b'V' => cur.version = Some(value.to_owned()),
            b'A' => cur.arch = Some(value.to_owned()),
            b'L' => cur.license = Some(value.to_owned()).filter(|l| !l.is_empty()),
            b'D' => cur.depends = Some(value.to_owned()),
            b'p' => cur.provides = Some(value.to_owned()),
            b'o' => cur.origin = Some(value.to_owned()).filter(|o| !o.is_empty()),
            b'F' => cur.dir = Some(value.trim_matches('/').to_owned()),
            b'R' => {
                let file = match cur.dir.as_deref() {
                    Some(d) if !d.is_empty() => format!("/{d}/{value}"),
                    _ => format!("/{value}"),
                };
                cur.files.push(file);
            }
            _ => {}
        }
    }
    cur.finish(&mut packages, &mut requires, &mut diags);
    if bad_lines > 0 {
        diags.push(Diagnostic::warning(DB_PATHS[0], format!("{bad_lines} line(s) are not `X:value` lines; ignored")));
    }
    (packages, requires, diags)
}
