//! Elixir `mix.lock`: an Elixir map literal, one dependency per line,
//! `"name": {:hex, :package, "version", "checksum", [:mix], [deps], "hexpm", "checksum"},`.
//! Only `:hex` entries are packages of the Hex ecosystem; `:git` and `:path` dependencies name a
//! commit or a directory, not a release, and are left out. Read line by line, as `mix` writes it
//! (no Elixir term parser: a scanner needs the first three tuple elements only).

use microscanner_model::{Evidence, PackageKind};

use crate::lang::{ParseResult, dedup, lang_package, warn};

/// Parses a `mix.lock`.
pub fn parse(bytes: &[u8]) -> ParseResult {
    let text = String::from_utf8_lossy(bytes);
    let mut pkgs = Vec::new();
    let mut diags = Vec::new();
    let body = text.trim();
    if body.is_empty() {
        return (pkgs, diags);
    }
    if !body.starts_with("%{") {
        return (pkgs, vec![warn("mix.lock does not start with an Elixir map (`%{`)")]);
    }
    for line in text.lines() {
        let line = line.trim();
        if !line.starts_with('"') {
            continue;
        }
        match hex_entry(line) {
            Ok(Some((name, version))) => pkgs.push(lang_package(PackageKind::Hex, name, version, Evidence::Declared)),
            Ok(None) => {}
            Err(why) => diags.push(warn(format!("mix.lock: cannot read entry {}: {why}", first_chars(line, 60)))),
        }
    }
    if !body.ends_with('}') {
        diags.push(warn("mix.lock ends before its closing `}`: it may be cut short"));
    }
    dedup(&mut pkgs);
    (pkgs, diags)
}

/// The Hex package name and version of one entry line; `None` for a non-Hex entry.
fn hex_entry(line: &str) -> Result<Option<(&str, &str)>, &'static str> {
    let (_, tuple) = line.split_once("{").ok_or("no tuple")?;
    let mut items = tuple.splitn(4, ',').map(str::trim);
    let scm = items.next().ok_or("no source")?;
    if scm != ":hex" {
        return Ok(None);
    }
    let name = items.next().and_then(|n| n.strip_prefix(':')).ok_or("no package atom")?;
    let name = name.trim_matches('"');
    let version = items.next().and_then(|v| v.strip_prefix('"')?.strip_suffix('"')).ok_or("no version string")?;
    if name.is_empty() || version.is_empty() {
        return Err("empty name or version");
    }
    Ok(Some((name, version)))
}

/// The first `n` characters of `s`, for a message.
fn first_chars(s: &str, n: usize) -> &str {
    s.char_indices().nth(n).map_or(s, |(i, _)| &s[..i])
}

#[cfg(test)]
mod tests {
    use super::hex_entry;

    #[test]
    fn entries() {
        let l = r#""bunt": {:hex, :bunt, "0.2.0", "95", [:mix], [], "hexpm", "7a"},"#;
        assert_eq!(hex_entry(l), Ok(Some(("bunt", "0.2.0"))));
        let l = r#""esaml": {:git, "https://github.com/firezone/esaml.git", "4294", []},"#;
        assert_eq!(hex_entry(l), Ok(None));
        assert!(hex_entry(r#""x": {:hex, :x}"#).is_err());
    }
}
