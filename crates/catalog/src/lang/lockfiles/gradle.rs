//! Gradle `gradle.lockfile`: one `group:artifact:version=configurations` line per locked module;
//! `#` comments and the `empty=` line (configurations that resolved nothing) are not modules.

use microscanner_model::{Evidence, PackageKind};

use crate::lang::{ParseResult, dedup, lang_package, warn};

/// Parses a `gradle.lockfile`.
pub fn parse(bytes: &[u8]) -> ParseResult {
    let text = String::from_utf8_lossy(bytes);
    let mut pkgs = Vec::new();
    let mut diags = Vec::new();
    let mut bad = 0usize;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("empty=") {
            continue;
        }
        // every locked line ends in `=configurations`: a line without one is cut or not ours
        let coordinates = line.split_once('=').map_or("", |(c, _)| c).trim();
        let mut parts = coordinates.split(':');
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some(g), Some(a), Some(v), None) if !g.is_empty() && !a.is_empty() && !v.is_empty() => {
                pkgs.push(lang_package(PackageKind::Maven, &format!("{g}:{a}"), v, Evidence::Declared));
            }
            _ => {
                if bad == 0 {
                    diags.push(warn(format!("gradle.lockfile: cannot read line {:?}", first_chars(line, 80))));
                }
                bad += 1;
            }
        }
    }
    if bad > 1 {
        diags.push(warn(format!("gradle.lockfile: {bad} lines in all are not group:artifact:version")));
    }
    dedup(&mut pkgs);
    (pkgs, diags)
}

/// The first `n` characters of `s`, for a message.
fn first_chars(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}
