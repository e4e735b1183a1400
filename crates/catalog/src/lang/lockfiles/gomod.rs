//! `go.mod`: `require` lines (single and block), with `replace` directives applied.

use std::collections::BTreeMap;

use microscanner_model::{Evidence, PackageKind};

use crate::lang::{ParseResult, lang_package, warn};

/// Strips a `//` comment and surrounding space.
fn strip_comment(line: &str) -> &str {
    line.split("//").next().unwrap_or_default().trim()
}

/// Unquotes a Go module path or version token.
fn unquote(s: &str) -> &str {
    s.trim_matches(|c| c == '"' || c == '`')
}

/// The replacement part of `old [v] => new [v]`: ((old, old version), (new, new version)).
type Replace = ((String, Option<String>), (String, Option<String>));

fn parse_replace(spec: &str) -> Option<Replace> {
    let (lhs, rhs) = spec.split_once("=>")?;
    let mut l = lhs.split_whitespace().map(unquote);
    let mut r = rhs.split_whitespace().map(unquote);
    let old = l.next()?.to_owned();
    let old_v = l.next().map(str::to_owned);
    let new = r.next()?.to_owned();
    let new_v = r.next().map(str::to_owned);
    Some(((old, old_v), (new, new_v)))
}

/// The `(path, version)` of an `exclude` line.
fn parse_exclude(spec: &str) -> Option<(String, String)> {
    let mut f = spec.split_whitespace().map(unquote);
    Some((f.next()?.to_owned(), f.next()?.to_owned()))
}

/// Parses a `go.mod`: required modules (declared), replacements applied (local-path
/// replacements, which carry no version, drop the module).
pub fn parse(bytes: &[u8]) -> ParseResult {
    let text = String::from_utf8_lossy(bytes);
    let mut requires: BTreeMap<String, String> = BTreeMap::new();
    let mut replaces: Vec<Replace> = Vec::new();
    // `exclude path version`: that exact version is never selected, so a requirement on it
    // does not name the version in use (the go command moves to a later one).
    let mut excludes: Vec<(String, String)> = Vec::new();
    let mut block: Option<&str> = None;
    let mut saw_module = false;
    let mut go_directive: Option<String> = None;
    let mut toolchain: Option<String> = None;
    for raw in text.lines() {
        let line = strip_comment(raw);
        if line.is_empty() {
            continue;
        }
        if let Some(b) = block {
            if line == ")" {
                block = None;
                continue;
            }
            match b {
                "require" => {
                    let mut f = line.split_whitespace().map(unquote);
                    if let (Some(p), Some(v)) = (f.next(), f.next()) {
                        requires.insert(p.to_owned(), v.to_owned());
                    }
                }
                "replace" => replaces.extend(parse_replace(line)),
                "exclude" => excludes.extend(parse_exclude(line)),
                _ => {}
            }
            continue;
        }
        let (kw, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let rest = rest.trim();
        match kw {
            "module" => saw_module = true,
            "go" => go_directive = Some(rest.to_owned()),
            // a custom toolchain name carries a suffix (`go1.23.6-xyz`): the Go release is before it
            "toolchain" => toolchain = Some(rest.split('-').next().unwrap_or(rest).to_owned()),
            "require" | "replace" | "exclude" | "retract" | "tool" | "godebug" | "ignore" if rest == "(" => {
                block = Some(kw);
            }
            "require" => {
                let mut f = rest.split_whitespace().map(unquote);
                if let (Some(p), Some(v)) = (f.next(), f.next()) {
                    requires.insert(p.to_owned(), v.to_owned());
                }
            }
            "replace" => replaces.extend(parse_replace(rest)),
            "exclude" => excludes.extend(parse_exclude(rest)),
            _ => {}
        }
    }
    for (path, version) in &excludes {
        if requires.get(path) == Some(version) {
            requires.remove(path);
        }
    }
    let mut diags = Vec::new();
    if !saw_module {
        diags.push(warn("go.mod has no module directive"));
    }
    for ((old, old_v), (new, new_v)) in replaces {
        let applies = match (&old_v, requires.get(&old)) {
            (Some(ov), Some(v)) => ov == v,
            (None, Some(_)) => true,
            _ => false,
        };
        if !applies {
            continue;
        }
        requires.remove(&old);
        if let Some(nv) = new_v {
            requires.insert(new, nv);
        }
    }
    let mut pkgs: Vec<_> =
        requires.iter().map(|(p, v)| lang_package(PackageKind::Golang, p, v, Evidence::Declared)).collect();
    // The toolchain the module asks for; a `go 1.21.0`-style line (three parts, Go >= 1.21) is a
    // minimum toolchain too. The main module itself has no version and is not a package.
    let go = toolchain.or_else(|| go_directive.filter(|g| g.split('.').count() == 3).map(|g| format!("go{g}")));
    if let Some(v) = go.as_deref().and_then(crate::lang::gobinary::stdlib_version) {
        pkgs.push(lang_package(PackageKind::Golang, "stdlib", &v, Evidence::Declared));
    }
    (pkgs, diags)
}
