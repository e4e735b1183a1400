//! Installed Ruby gems: `specifications/*.gemspec`, read as text (never evaluated). The
//! generated spec files assign `s.name = "x"`, `s.version = "1.0"` (maybe `.freeze`,
//! `Gem::Version.new(...)`) and `s.licenses = ["MIT".freeze]`.

use microscanner_model::{Evidence, PackageKind};

use super::{ParseResult, lang_package, warn};

/// The string literals in an expression: `["MIT".freeze, 'BSD']` → `MIT`, `BSD`.
fn string_literals(expr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = expr.char_indices();
    while let Some((i, c)) = chars.next() {
        if c == '"' || c == '\'' {
            let rest = &expr[i + 1..];
            if let Some(end) = rest.find(c) {
                out.push(rest[..end].to_owned());
                // skip past the literal
                for _ in 0..=rest[..end].chars().count() {
                    chars.next();
                }
            }
        }
    }
    out
}

/// The right-hand side of `<var>.<field> = ...` on this line, if it assigns `field`.
fn assignment<'a>(line: &'a str, field: &str) -> Option<&'a str> {
    let (lhs, rhs) = line.split_once('=')?;
    let lhs = lhs.trim();
    let (_, f) = lhs.rsplit_once('.')?;
    (f.trim() == field && !rhs.starts_with('=')).then_some(rhs)
}

/// Parses a gemspec: name, version and licenses.
pub fn parse_gemspec(bytes: &[u8]) -> ParseResult {
    let text = String::from_utf8_lossy(bytes);
    let (mut name, mut version, mut licenses) = (None, None, Vec::new());
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        if name.is_none()
            && let Some(rhs) = assignment(line, "name")
        {
            name = string_literals(rhs).into_iter().next();
        } else if version.is_none()
            && let Some(rhs) = assignment(line, "version")
        {
            version = string_literals(rhs).into_iter().next();
        } else if let Some(rhs) = assignment(line, "licenses").or_else(|| assignment(line, "license")) {
            licenses.extend(string_literals(rhs));
        }
    }
    match (name, version) {
        (Some(n), Some(v)) if !n.is_empty() && !v.is_empty() => {
            let mut p = lang_package(PackageKind::Gem, &n, &v, Evidence::Installed);
            p.set_licenses(licenses);
            (vec![p], Vec::new())
        }
        _ => (Vec::new(), vec![warn("gemspec has no literal name or version")]),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_gemspec;

    #[test]
    fn generated_spec() {
        let spec = br#"# -*- encoding: utf-8 -*-
# stub: rake 13.0.3 ruby lib
Gem::Specification.new do |s|
  s.name = "rake".freeze
  s.version = "13.0.3"
  s.required_rubygems_version = Gem::Requirement.new(">= 1.3.2".freeze) if s.respond_to? :required_rubygems_version=
  s.licenses = ["MIT".freeze]
  s.add_runtime_dependency(%q<other>.freeze, ["= 1.0"])
end
"#;
        let (p, d) = parse_gemspec(spec);
        assert!(d.is_empty());
        assert_eq!((p[0].name.as_str(), p[0].version.as_str()), ("rake", "13.0.3"));
        assert_eq!(p[0].licenses(), vec!["MIT".to_owned()]);
        assert_eq!(p[0].purl(), "pkg:gem/rake@13.0.3");
        let (p, d) = parse_gemspec(b"Gem::Specification.new do |spec|\n  spec.name = NAME\nend\n");
        assert!(p.is_empty());
        assert_eq!(d.len(), 1, "a name that is not a literal is never evaluated");
    }
}
