//! Package URLs (<https://github.com/package-url/purl-spec>), built for output.

use std::fmt;

use crate::PackageKind;

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
    subpath: Option<String>,
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
            subpath: None,
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

impl Purl {
    /// The purl of a package of `kind` named `name` at `version`, following each purl type's
    /// rules for splitting a namespace off the name. An OS package's purl also names its distro
    /// and architecture, which only the inventory knows: this is its purl without them.
    pub fn for_package(kind: PackageKind, name: &str, version: &str) -> Self {
        let split = |ty: &str, at: Option<(&str, &str)>| match at {
            Some((ns, n)) => Self::new(ty, n).with_namespace(ns).with_version(version),
            None => Self::new(ty, name).with_version(version),
        };
        match kind {
            PackageKind::Pypi => Self::new("pypi", &pep503_name(name)).with_version(version),
            PackageKind::Npm => match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
                Some((scope, n)) => Self::new("npm", n).with_namespace(&format!("@{scope}")).with_version(version),
                None => Self::new("npm", name).with_version(version),
            },
            // `github.com/apple/swift-nio`: the host and owner are the namespace
            PackageKind::Golang | PackageKind::Swift => split(kind.purl_type(), name.rsplit_once('/')),
            PackageKind::Maven => split("maven", name.split_once(':')),
            PackageKind::Composer => split("composer", name.split_once('/')),
            // a subspec (`AppCenter/Core`) is the pod's subpath
            PackageKind::Cocoapods => match name.split_once('/') {
                Some((pod, sub)) => Self::new("cocoapods", pod).with_version(version).with_subpath(sub),
                None => Self::new("cocoapods", name).with_version(version),
            },
            other => Self::new(other.purl_type(), name).with_version(version),
        }
    }

    /// Sets the subpath (a CocoaPods subspec: `Core` of `AppCenter/Core`). Slashes separate
    /// segments; empty, `.` and `..` segments are dropped, as the spec says.
    #[must_use]
    pub fn with_subpath(mut self, subpath: &str) -> Self {
        let segments: Vec<&str> = subpath.split('/').filter(|s| !matches!(*s, "" | "." | "..")).collect();
        if !segments.is_empty() {
            self.subpath = Some(segments.join("/"));
        }
        self
    }
}

/// A Python distribution name normalised as PEP 503 says: lowercase, runs of `-`, `_`, `.`
/// become one `-`. The purl of a PyPI package names it so.
pub fn pep503_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Percent-encodes everything but the purl spec's unreserved characters (and `extra`): the
/// canonical form, so that two tools that print the same package print the same string.
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
            // the spec's canonical form keeps `:` (an epoch) and encodes `+` (`1.2+dfsg` is
            // `1.2%2Bdfsg`), as its conformance suite's deb cases say
            write!(f, "@{}", encode(v, b":"))?;
        }
        for (i, (k, v)) in self.qualifiers.iter().enumerate() {
            let sep = if i == 0 { '?' } else { '&' };
            write!(f, "{sep}{k}={}", encode(v, b":"))?;
        }
        if let Some(sub) = &self.subpath {
            let segments: Vec<String> = sub.split('/').map(|s| encode(s, b"")).collect();
            write!(f, "#{}", segments.join("/"))?;
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
    fn subpath_follows_qualifiers() {
        let p = Purl::new("cocoapods", "AppCenter").with_version("4.2.0").with_subpath("Analytics");
        assert_eq!(p.to_string(), "pkg:cocoapods/AppCenter@4.2.0#Analytics");
        let p = Purl::new("cocoapods", "A").with_subpath("/./");
        assert_eq!(p.to_string(), "pkg:cocoapods/A");
    }

    #[test]
    fn scoped_npm_and_epoch_are_encoded() {
        let p = Purl::new("npm", "core").with_namespace("@babel").with_version("7.0.0");
        assert_eq!(p.to_string(), "pkg:npm/%40babel/core@7.0.0");
        let p = Purl::new("deb", "bash").with_namespace("debian").with_version("1:5.2");
        assert_eq!(p.to_string(), "pkg:deb/debian/bash@1:5.2");
    }

    /// The official conformance suite's `build` cases (`../shared/fixtures/purl-spec-tests`) for
    /// every purl type microscanner emits: the components as the suite gives them must print as
    /// its canonical purl. (Cases with a subpath are left out: we never emit one.)
    #[test]
    fn conformance_suite_build_cases_of_our_types() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/purl-spec-tests/tests/types");
        let mut checked = 0;
        for ty in [
            "apk",
            "bitnami",
            "cargo",
            "cocoapods",
            "composer",
            "conan",
            "deb",
            "gem",
            "golang",
            "hex",
            "julia",
            "maven",
            "npm",
            "nuget",
            "pub",
            "pypi",
            "rpm",
            "swift",
        ] {
            let text = std::fs::read_to_string(format!("{dir}/{ty}-test.json")).unwrap();
            let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
            for case in doc["tests"].as_array().unwrap() {
                let input = &case["input"];
                if case["test_type"] != "build" || case["expected_failure"] == true || !input["subpath"].is_null() {
                    continue;
                }
                let text = |key: &str| input[key].as_str().unwrap_or_default();
                let mut purl = Purl::new(text("type"), text("name"))
                    .with_namespace(text("namespace"))
                    .with_version(text("version"));
                for (k, v) in input["qualifiers"].as_object().into_iter().flatten() {
                    purl = purl.with_qualifier(k, v.as_str().unwrap_or_default());
                }
                assert_eq!(purl.to_string(), case["expected_output"].as_str().unwrap(), "{}", case["description"]);
                checked += 1;
            }
        }
        assert!(checked >= 10, "only {checked} build cases of our types");
    }
}
