//! Java archives (jar, war, ear, ...): every `pom.properties` (normally `META-INF/maven/**/`) is one Maven
//! artifact (a shaded jar reports each embedded artifact); without any, `META-INF/MANIFEST.MF`
//! and the file name (`name-1.2.3.jar`) identify the archive. Each package carries the sha256
//! of the archive it was read from (outer or nested), the digest the walk computes anyway.
//!
//! Archives that multiply are bounded over the whole nesting of one outer file, not per
//! archive: nested archives are opened to a bounded depth, and inflated bytes, entries looked at
//! and nested archives opened all count against one budget shared by every level ([`Limits`]).
//! Entries whose bytes overlap (several central-directory entries pointing at one local header,
//! the trick of zip quines) are read once, with a warning; a nested archive whose bytes were
//! already read (by sha256) is not read again. So a small jar that lists one inner jar sixteen
//! times, six levels deep, is six archives, not sixteen million. Hitting a bound is a warning
//! (the scan is incomplete), never silent.

use std::collections::{BTreeSet, HashSet};
use std::io::{Cursor, Read};

use microscanner_model::{DiagnosticLevel, Evidence, Package, PackageKind};
use sha2::{Digest as _, Sha256};

use super::{ParseResult, lang_package, warn};

/// Bounds on what one outer archive may cost, over its whole nesting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How many archives deep we open (the outer archive is depth 0).
    pub max_depth: usize,
    /// Total bytes inflated over the whole archive tree.
    pub max_inflated: u64,
    /// Largest single member inflated (a nested archive or a metadata file).
    pub max_member: u64,
    /// Most entries looked at per archive.
    pub max_entries: usize,
    /// Most entries looked at over the whole archive tree.
    pub max_total_entries: usize,
    /// Most nested archives opened over the whole archive tree.
    pub max_archives: usize,
}

impl Default for Limits {
    /// Real archives stay far below: a Spring Boot jar nests one level (a few hundred jars), an
    /// ear three; the largest single jars hold some 100,000 entries. The depth matches the
    /// peers' (osv-scalibr reads a jar nested ten deep).
    fn default() -> Self {
        Self {
            max_depth: 16,
            max_inflated: 256 * 1024 * 1024,
            max_member: 64 * 1024 * 1024,
            max_entries: 200_000,
            max_total_entries: 1_000_000,
            max_archives: 10_000,
        }
    }
}

/// Largest metadata member (pom.properties, MANIFEST.MF).
const MAX_METADATA: u64 = 1024 * 1024;

/// One walk of an outer archive and everything nested in it: the shared budget and the results.
struct Walk {
    limits: Limits,
    /// Bytes inflated so far.
    inflated: u64,
    /// Entries looked at so far.
    entries: usize,
    /// Nested archives opened so far.
    archives: usize,
    /// The sha256 of every archive read, so the same bytes are read once.
    seen: HashSet<[u8; 32]>,
    /// Nested archives not read because their bytes were read already: (count, first location).
    repeated: (usize, String),
    pkgs: Vec<Package>,
    diags: Vec<microscanner_model::Diagnostic>,
    /// The bounds already reported (each is reported once per outer archive).
    reported: BTreeSet<Bound>,
}

/// A bound of [`Limits`] shared by the whole nesting, reported the first time it is hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Bound {
    /// [`Limits::max_depth`].
    Depth,
    /// [`Limits::max_total_entries`].
    TotalEntries,
    /// [`Limits::max_archives`].
    Archives,
}

impl Walk {
    /// A warning at `loc` that `bound` was hit, unless it was reported already in this walk.
    fn bound_hit(&mut self, bound: Bound, loc: &str, message: impl FnOnce() -> String) {
        if self.reported.insert(bound) {
            self.diags.push(warn_at(loc, message()));
        }
    }
}

/// Parses a Java archive with the default [`Limits`].
pub fn parse(bytes: &[u8]) -> ParseResult {
    parse_with_limits(bytes, "", Limits::default())
}

/// Parses a Java archive whose own file name is `name` (for the file-name heuristic; may be empty).
pub fn parse_named(bytes: &[u8], name: &str) -> ParseResult {
    parse_with_limits(bytes, name, Limits::default())
}

/// Parses a Java archive with explicit limits. Packages found in nested archives carry a
/// relative location (`WEB-INF/lib/a.jar`, `a.jar!b.jar`) that the analyzer glue appends to
/// the outer archive's path after a `!`.
pub fn parse_with_limits(bytes: &[u8], name: &str, limits: Limits) -> ParseResult {
    let mut w = Walk {
        limits,
        inflated: 0,
        entries: 0,
        archives: 0,
        seen: HashSet::new(),
        repeated: (0, String::new()),
        pkgs: Vec::new(),
        diags: Vec::new(),
        reported: BTreeSet::new(),
    };
    let digest = Sha256::digest(bytes).into();
    w.seen.insert(digest);
    walk(&mut w, bytes, digest, name, "", 0);
    let (repeated, first) = std::mem::take(&mut w.repeated);
    if repeated > 0 {
        let mut d = warn_at(
            "",
            format!(
                "{repeated} nested archive(s) repeat the bytes of one already read (first: {first}); each content is read once"
            ),
        );
        d.level = DiagnosticLevel::Info;
        w.diags.push(d);
    }
    (w.pkgs, w.diags)
}

/// The entries of `archive` (of the first `count`) whose bytes overlap those of another entry:
/// several central-directory entries pointing at one local header, or ranges that overlap. Of
/// each overlapping group the entry placed first is kept; the others are returned.
fn overlapping(archive: &mut zip::ZipArchive<Cursor<&[u8]>>, count: usize) -> BTreeSet<usize> {
    let mut spans: Vec<(u64, u64, usize)> = Vec::with_capacity(count);
    for i in 0..count {
        // An entry that cannot be located is reported when it is read.
        if let Ok(entry) = archive.by_index_raw(i) {
            let end = entry.data_start().saturating_add(entry.compressed_size());
            spans.push((entry.header_start(), end, i));
        }
    }
    spans.sort_unstable();
    let mut overlap = BTreeSet::new();
    let mut kept_end: Option<u64> = None;
    for (start, end, i) in spans {
        match kept_end {
            Some(kept) if start < kept => {
                overlap.insert(i);
            }
            _ => kept_end = Some(end.max(kept_end.unwrap_or(0))),
        }
    }
    overlap
}

/// Reads `file` fully, up to `limit` bytes; `None` (with a diagnostic) when it is larger or broken.
fn inflate(w: &mut Walk, file: &mut impl Read, declared: u64, limit: u64, what: &str, loc: &str) -> Option<Vec<u8>> {
    let remaining = w.limits.max_inflated.saturating_sub(w.inflated);
    let limit = limit.min(remaining);
    if declared > limit {
        w.diags.push(warn_at(loc, format!("{what}: {declared} bytes inflated is over the limit; skipped")));
        return None;
    }
    let mut buf = Vec::new();
    match file.take(limit + 1).read_to_end(&mut buf) {
        Ok(n) => {
            w.inflated += n as u64;
            if n as u64 > limit {
                w.diags.push(warn_at(loc, format!("{what} inflates past the limit (zip bomb?); skipped")));
                return None;
            }
            Some(buf)
        }
        Err(e) => {
            w.diags.push(warn_at(loc, format!("cannot inflate {what}: {e}")));
            None
        }
    }
}

fn warn_at(loc: &str, message: String) -> microscanner_model::Diagnostic {
    let mut d = warn(message);
    d.location = loc.to_owned();
    d
}

/// Parses a `key=value` properties file (only what pom.properties needs).
fn properties(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.lines().filter(|l| !l.trim_start().starts_with(['#', '!'])).filter_map(|l| {
        let (k, v) = l.split_once('=').or_else(|| l.split_once(':'))?;
        Some((k.trim(), v.trim()))
    })
}

/// The main section of a MANIFEST.MF, with continuation lines joined.
fn manifest_main(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            break;
        }
        if let Some(cont) = line.strip_prefix(' ') {
            if let Some(last) = out.last_mut() {
                last.1.push_str(cont);
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    out
}

/// `name-1.2.3.jar` → (`name`, `1.2.3`): the version starts at the first `-digit`.
pub fn split_file_name(file: &str) -> Option<(String, String)> {
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    let bytes = stem.as_bytes();
    let i = (1..bytes.len()).find(|&i| bytes[i - 1] == b'-' && bytes[i].is_ascii_digit())?;
    Some((stem[..i - 1].to_owned(), stem[i..].to_owned()))
}

/// Identifies an archive without pom.properties from its manifest and file name.
fn from_manifest(manifest: Option<&str>, file: &str) -> Option<(String, String, String)> {
    let main = manifest.map(manifest_main).unwrap_or_default();
    let get = |k: &str| main.iter().find(|(key, _)| key.eq_ignore_ascii_case(k)).map(|(_, v)| v.clone());
    let symbolic = get("Bundle-SymbolicName").map(|s| s.split(';').next().unwrap_or_default().trim().to_owned());
    let by_name = split_file_name(file);
    let version = get("Implementation-Version")
        .or_else(|| get("Bundle-Version"))
        .or_else(|| get("Specification-Version"))
        .or_else(|| by_name.as_ref().map(|n| n.1.clone()))?;
    let artifact = by_name
        .as_ref()
        .map(|n| n.0.clone())
        .or_else(|| symbolic.as_ref().map(|s| s.rsplit('.').next().unwrap_or(s).to_owned()))
        .or_else(|| get("Implementation-Title"))?;
    let group = get("Implementation-Vendor-Id")
        .or_else(|| get("Automatic-Module-Name").and_then(|m| m.rsplit_once('.').map(|(g, _)| g.to_owned())))
        .or_else(|| symbolic.as_ref().and_then(|s| s.rsplit_once('.').map(|(g, _)| g.to_owned())))
        .unwrap_or_else(|| artifact.clone());
    let clean = |s: &str| !s.is_empty() && !s.contains(char::is_whitespace);
    (clean(&group) && clean(&artifact) && clean(&version)).then_some((group, artifact, version))
}

fn is_nested_archive(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".jar", ".war", ".ear", ".sar", ".par", ".jpi", ".hpi", ".rar", ".nar"].iter().any(|e| lower.ends_with(e))
}

/// Reads one archive of the nesting (the outer one at depth 0): its Maven artifacts, and every
/// nested archive within the shared budget.
fn walk(w: &mut Walk, bytes: &[u8], digest: [u8; 32], file_name: &str, loc: &str, depth: usize) {
    let mut archive = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(a) => a,
        Err(e) => {
            w.diags.push(warn_at(loc, format!("cannot open Java archive: {e}")));
            return;
        }
    };
    let count = entries_to_read(w, archive.len(), loc);
    let overlap = overlapping(&mut archive, count);
    if !overlap.is_empty() {
        w.diags.push(warn_at(
            loc,
            format!(
                "{} entries overlap the bytes of other entries (one local header listed more than once: a zip quine or bomb); each region is read once",
                overlap.len()
            ),
        ));
    }
    let mut poms: Vec<(String, String, String)> = Vec::new();
    let mut manifest: Option<String> = None;
    for i in (0..count).filter(|i| !overlap.contains(i)) {
        let mut entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                w.diags.push(warn_at(loc, format!("bad archive entry #{i}: {e}")));
                continue;
            }
        };
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().to_owned();
        let size = entry.size();
        if name == "pom.properties" || name.ends_with("/pom.properties") {
            if let Some(buf) = inflate(w, &mut entry, size, MAX_METADATA, &name, loc) {
                poms.extend(pom_coordinates(w, &buf, &name, loc));
            }
        } else if name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
            if let Some(buf) = inflate(w, &mut entry, size, MAX_METADATA, &name, loc) {
                manifest = Some(String::from_utf8_lossy(&buf).into_owned());
            }
        } else if is_nested_archive(&name) && may_open_nested(w, &name, loc, depth) {
            // open it right away: one inflated member per nesting level is alive at a time
            if let Some(buf) = inflate(w, &mut entry, size, w.limits.max_member, &name, loc) {
                drop(entry);
                nested(w, &buf, &name, loc, depth);
            }
        }
    }
    if poms.is_empty() {
        let base = file_name.rsplit('/').next().unwrap_or(file_name);
        poms.extend(from_manifest(manifest.as_deref(), base));
    }
    poms.sort();
    poms.dedup();
    for (g, a, v) in poms {
        let mut p = lang_package(PackageKind::Maven, &format!("{g}:{a}"), &v, Evidence::Installed);
        p.set_location(loc);
        // the archive's own sha256, which the walk needs anyway to read each content once
        p.set_sha256(Some(digest));
        w.pkgs.push(p);
    }
}

/// How many of an archive's `len` entries to look at: at most [`Limits::max_entries`] of this
/// archive, and what is left of [`Limits::max_total_entries`]; both cuts are warnings.
fn entries_to_read(w: &mut Walk, len: usize, loc: &str) -> usize {
    let max = w.limits.max_entries;
    if len > max {
        w.diags.push(warn_at(loc, format!("Java archive has {len} entries; only the first {max} are read")));
    }
    let mut count = len.min(max);
    let budget = w.limits.max_total_entries.saturating_sub(w.entries);
    if count > budget {
        count = budget;
        let total = w.limits.max_total_entries;
        w.bound_hit(Bound::TotalEntries, loc, || {
            format!("nested archives hold more than {total} entries in all; the rest are not read")
        });
    }
    w.entries += count;
    count
}

/// The Maven coordinates a `pom.properties` states, or a warning when one is missing.
fn pom_coordinates(w: &mut Walk, buf: &[u8], name: &str, loc: &str) -> Option<(String, String, String)> {
    let text = String::from_utf8_lossy(buf);
    let (mut g, mut a, mut v) = (None, None, None);
    for (k, val) in properties(&text) {
        match k {
            "groupId" => g = Some(val.to_owned()),
            "artifactId" => a = Some(val.to_owned()),
            "version" => v = Some(val.to_owned()),
            _ => {}
        }
    }
    match (g, a, v) {
        (Some(g), Some(a), Some(v)) if !g.is_empty() && !a.is_empty() && !v.is_empty() => Some((g, a, v)),
        _ => {
            w.diags.push(warn_at(loc, format!("{name} lacks groupId, artifactId or version")));
            None
        }
    }
}

/// Whether the nested archive `name` (in the archive at `depth`) is within the depth and
/// archive-count bounds; hitting either is a warning, once per outer archive.
fn may_open_nested(w: &mut Walk, name: &str, loc: &str, depth: usize) -> bool {
    let (max_depth, max_archives) = (w.limits.max_depth, w.limits.max_archives);
    if depth + 1 > max_depth {
        w.bound_hit(Bound::Depth, loc, || {
            format!("archives nest deeper than {max_depth}; {name} and deeper are not read")
        });
        return false;
    }
    if w.archives >= max_archives {
        w.bound_hit(Bound::Archives, loc, || {
            format!("more than {max_archives} nested archives in all; {name} and the rest are not read")
        });
        return false;
    }
    true
}

/// Reads the inflated nested archive `name` found in the archive at `loc`, unless the same
/// bytes were read already (counted in [`Walk::repeated`]).
fn nested(w: &mut Walk, buf: &[u8], name: &str, loc: &str, depth: usize) {
    let inner_loc = if loc.is_empty() { name.to_owned() } else { format!("{loc}!{name}") };
    let digest = Sha256::digest(buf).into();
    if !w.seen.insert(digest) {
        if w.repeated.0 == 0 {
            w.repeated.1.clone_from(&inner_loc);
        }
        w.repeated.0 += 1;
        return;
    }
    w.archives += 1;
    walk(w, buf, digest, name, &inner_loc, depth + 1);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        assert_eq!(split_file_name("log4j-1.2.17.jar"), Some(("log4j".into(), "1.2.17".into())));
        assert_eq!(split_file_name("spring-core-5.3.3.jar"), Some(("spring-core".into(), "5.3.3".into())));
        assert_eq!(split_file_name("plain.jar"), None);
    }

    #[test]
    fn not_a_zip() {
        let (p, d) = parse(b"not a zip");
        assert!(p.is_empty());
        assert_eq!(d.len(), 1);
    }
}
