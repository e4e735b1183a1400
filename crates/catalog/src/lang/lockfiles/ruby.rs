//! `Gemfile.lock`: the `specs:` of the `GEM` (and `GIT`/`PATH`) sections, four-space indented
//! `name (version)` lines.

use microscanner_model::{Evidence, PackageKind};

use crate::lang::package::{LockEntry, requires_by_name};
use crate::lang::{GraphResult, ParseResult, dedup, lang_package};

/// Strips a platform suffix (`1.13.10-x86_64-linux` → `1.13.10`).
fn strip_platform(v: &str) -> &str {
    match v.find('-') {
        Some(i) if v[i + 1..].starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') => {
            let platform = &v[i + 1..];
            let known =
                ["x86", "x64", "aarch64", "arm", "java", "universal", "mingw", "mswin", "darwin", "linux", "ruby"];
            if known.iter().any(|k| platform.starts_with(k)) { &v[..i] } else { v }
        }
        _ => v,
    }
}

/// Parses a Gemfile.lock.
pub fn parse(bytes: &[u8]) -> ParseResult {
    let (packages, _, diagnostics) = parse_graph(bytes);
    (packages, diagnostics)
}

/// Like [`parse`], with the graph: the six-space indented lines under a spec are the gems it
/// depends on (`name` or `name (constraint)`), resolved within the lockfile.
pub fn parse_graph(bytes: &[u8]) -> GraphResult {
    let text = String::from_utf8_lossy(bytes);
    let mut entries: Vec<LockEntry<'_>> = Vec::new();
    let mut pkgs = Vec::new();
    let mut section = "";
    let mut in_specs = false;
    for line in text.lines() {
        if !line.starts_with(' ') {
            section = line.trim();
            in_specs = false;
            continue;
        }
        if line.trim() == "specs:" {
            in_specs = matches!(section, "GEM" | "GIT" | "PATH");
            continue;
        }
        if !in_specs || !line.starts_with("    ") {
            continue;
        }
        if line.starts_with("      ") && !line.starts_with("       ") {
            if let (Some(entry), Some(dep)) = (entries.last_mut(), line.split_whitespace().next()) {
                entry.2.push(dep);
            }
            continue;
        }
        if line.starts_with("     ") {
            continue;
        }
        let spec = line.trim();
        let Some((name, rest)) = spec.split_once(" (") else { continue };
        let Some(version) = rest.strip_suffix(')') else { continue };
        let version = strip_platform(version);
        entries.push((name, version, Vec::new()));
        pkgs.push(lang_package(PackageKind::Gem, name, version, Evidence::Declared));
    }
    dedup(&mut pkgs);
    let requires = requires_by_name(PackageKind::Gem, &entries, str::to_owned);
    (pkgs, requires, Vec::new())
}
