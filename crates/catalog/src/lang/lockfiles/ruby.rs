//! `Gemfile.lock`: the `specs:` of the `GEM` (and `GIT`/`PATH`) sections, four-space indented
//! `name (version)` lines.

use microscanner_model::{Evidence, PackageKind};

use crate::lang::{ParseResult, dedup, lang_package};

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
    let text = String::from_utf8_lossy(bytes);
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
        if !in_specs || !line.starts_with("    ") || line.starts_with("     ") {
            continue;
        }
        let spec = line.trim();
        let Some((name, rest)) = spec.split_once(" (") else { continue };
        let Some(version) = rest.strip_suffix(')') else { continue };
        pkgs.push(lang_package(PackageKind::Gem, name, strip_platform(version), Evidence::Declared));
    }
    dedup(&mut pkgs);
    (pkgs, Vec::new())
}
