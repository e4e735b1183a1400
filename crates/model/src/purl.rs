//! Package URLs (<https://github.com/package-url/purl-spec>), built for output.

use std::fmt;

/// A package URL: `pkg:TYPE/NAMESPACE/NAME@VERSION?QUALIFIERS`.
///
/// Only building and printing live here; components are percent-encoded as the purl spec
/// requires, and qualifiers are sorted by key so equal packages give equal strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purl {
    ty: String,
    namespace: Option<String>,
    name: String,
    version: Option<String>,
    qualifiers: Vec<(String, String)>,
}

impl Purl {
    /// A purl of type `ty` (`deb`, `npm`, ...) and `name`.
    pub fn new(ty: &str, name: &str) -> Self {
        Self {
            ty: ty.to_ascii_lowercase(),
            namespace: None,
            name: name.to_owned(),
            version: None,
            qualifiers: Vec::new(),
        }
    }

    /// Sets the namespace (`debian`, `@scope`, a Maven group id). Slashes separate segments.
    #[must_use]
    pub fn with_namespace(mut self, namespace: &str) -> Self {
        if !namespace.is_empty() {
            self.namespace = Some(namespace.to_owned());
        }
        self
    }

    /// Sets the version.
    #[must_use]
    pub fn with_version(mut self, version: &str) -> Self {
        if !version.is_empty() {
            self.version = Some(version.to_owned());
        }
        self
    }

    /// Adds a qualifier; empty values are dropped as the spec says.
    #[must_use]
    pub fn with_qualifier(mut self, key: &str, value: &str) -> Self {
        if !value.is_empty() {
            self.qualifiers.push((key.to_ascii_lowercase(), value.to_owned()));
            self.qualifiers.sort();
        }
        self
    }
}

/// Percent-encodes everything but the purl spec's unreserved characters (and `extra`).
fn encode(s: &str, extra: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || extra.contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pkg:{}/", self.ty)?;
        if let Some(ns) = &self.namespace {
            let segments: Vec<String> = ns.split('/').map(|s| encode(s, b"")).collect();
            write!(f, "{}/", segments.join("/"))?;
        }
        f.write_str(&encode(&self.name, b""))?;
        if let Some(v) = &self.version {
            write!(f, "@{}", encode(v, b"+:"))?;
        }
        for (i, (k, v)) in self.qualifiers.iter().enumerate() {
            let sep = if i == 0 { '?' } else { '&' };
            write!(f, "{sep}{k}={}", encode(v, b"/:"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::Purl;

    #[test]
    fn deb_purl_with_qualifiers_sorted() {
        let p = Purl::new("deb", "libssl3")
            .with_namespace("debian")
            .with_version("3.0.11-1~deb12u2")
            .with_qualifier("distro", "debian-12")
            .with_qualifier("arch", "amd64");
        assert_eq!(p.to_string(), "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12");
    }

    #[test]
    fn scoped_npm_and_epoch_are_encoded() {
        let p = Purl::new("npm", "core").with_namespace("@babel").with_version("7.0.0");
        assert_eq!(p.to_string(), "pkg:npm/%40babel/core@7.0.0");
        let p = Purl::new("deb", "bash").with_namespace("debian").with_version("1:5.2");
        assert_eq!(p.to_string(), "pkg:deb/debian/bash@1:5.2");
    }
}
