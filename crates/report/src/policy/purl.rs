//! Package URL parsing and comparison, as far as policy needs it: the ignore file's `purl`
//! patterns and VEX product ids are compared with a finding's package purl.

/// A parsed purl: percent-decoded, with the parts that identify a package normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedPurl {
    /// The type, lowercase (`deb`, `pypi`).
    pub(crate) ty: String,
    /// The namespace segments joined by `/`, lowercase (empty when absent).
    pub(crate) namespace: String,
    /// The name, lowercase (PyPI names also with `_` and `.` as `-`).
    pub(crate) name: String,
    /// The version as written (decoded), if any.
    pub(crate) version: Option<String>,
    /// Qualifiers, keys lowercase, values decoded.
    pub(crate) qualifiers: Vec<(String, String)>,
}

/// Percent-decodes `s` (`%2B` → `+`); a `%` not followed by two hex digits stays as it is. The
/// one decoder of purls: the policy's patterns and the SBOM reader both use it.
pub(crate) fn decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |j: usize| bytes.get(j).and_then(|&c| char::from(c).to_digit(16));
        match (b, hex(i + 1), hex(i + 2)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl ParsedPurl {
    /// Parses `pkg:type/namespace/name@version?qualifiers#subpath`; `None` when `s` is not a purl.
    /// Case of type, namespace and name is ignored (every ecosystem we scan treats names
    /// case-insensitively or never has two packages differing only by case).
    pub(crate) fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        let scheme = s.get(..4)?;
        if !scheme.eq_ignore_ascii_case("pkg:") {
            return None;
        }
        let rest = s.get(4..)?.trim_start_matches('/');
        let rest = rest.split_once('#').map_or(rest, |(r, _)| r);
        let (rest, qualifiers) = match rest.split_once('?') {
            Some((r, q)) => (r, q),
            None => (rest, ""),
        };
        let (path, version) = match rest.rsplit_once('@') {
            Some((p, v)) if !v.contains('/') => (p, Some(decode(v))),
            _ => (rest, None),
        };
        let (ty, path) = path.split_once('/')?;
        let mut segments: Vec<String> =
            path.split('/').filter(|seg| !seg.is_empty()).map(|seg| decode(seg).to_lowercase()).collect();
        let mut name = segments.pop()?;
        let ty = ty.to_ascii_lowercase();
        if ty.is_empty() {
            return None;
        }
        if ty == "pypi" {
            name = name.replace(['_', '.'], "-");
        }
        let qualifiers = qualifiers
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.to_ascii_lowercase(), decode(v)))
            .collect();
        Some(Self { ty, namespace: segments.join("/"), name, version: version.filter(|v| !v.is_empty()), qualifiers })
    }

    /// True when `self`, a pattern (an ignore entry's purl or a VEX product), names the package
    /// `package`: same type, namespace and name; the same version when the pattern gives one;
    /// and equal values for every qualifier both give (a qualifier only one side has is ignored).
    pub(crate) fn covers(&self, package: &Self) -> bool {
        self.ty == package.ty
            && self.namespace == package.namespace
            && self.name == package.name
            && self.version.as_ref().is_none_or(|v| package.version.as_ref() == Some(v))
            && self
                .qualifiers
                .iter()
                .all(|(k, v)| package.qualifiers.iter().find(|(pk, _)| pk == k).is_none_or(|(_, pv)| pv == v))
    }

    /// True for purls of whole images (`pkg:oci/...`, `pkg:docker/...`).
    pub(crate) fn is_image(&self) -> bool {
        self.ty == "oci" || self.ty == "docker"
    }
}

#[cfg(test)]
mod tests {
    use super::ParsedPurl;

    fn p(s: &str) -> ParsedPurl {
        ParsedPurl::parse(s).unwrap_or_else(|| panic!("{s} should parse"))
    }

    #[test]
    fn parses_and_decodes() {
        let deb = p("pkg:deb/debian/libssl1.1@1.1.1n-0%2Bdeb11u3?arch=amd64&distro=debian-11");
        assert_eq!((deb.ty.as_str(), deb.namespace.as_str(), deb.name.as_str()), ("deb", "debian", "libssl1.1"));
        assert_eq!(deb.version.as_deref(), Some("1.1.1n-0+deb11u3"));
        assert_eq!(deb.qualifiers.len(), 2);
        let npm = p("pkg:npm/@babel/core");
        assert_eq!((npm.namespace.as_str(), npm.name.as_str(), npm.version), ("@babel", "core", None));
        let npm = p("pkg:npm/%40babel/core@7.0.0#lib/index.js");
        assert_eq!((npm.namespace.as_str(), npm.version.as_deref()), ("@babel", Some("7.0.0")));
        assert_eq!(p("pkg:pypi/Django_Rest.Framework@3").name, "django-rest-framework");
        assert!(ParsedPurl::parse("https://example.com/x").is_none());
        assert!(ParsedPurl::parse("pkg:").is_none());
        assert!(ParsedPurl::parse("pkg:deb").is_none());
        assert!(ParsedPurl::parse("pkg:%zz/x@%").is_some());
    }

    #[test]
    fn covers_by_parts() {
        let pkg = p("pkg:deb/debian/libssl1.1@1.1.1n-0%2Bdeb11u3?arch=amd64&distro=debian-11");
        assert!(p("pkg:deb/debian/libssl1.1").covers(&pkg));
        assert!(p("pkg:deb/debian/libssl1.1@1.1.1n-0+deb11u3").covers(&pkg));
        assert!(p("pkg:deb/debian/libssl1.1@1.1.1n-0+deb11u3?arch=amd64&os=linux").covers(&pkg));
        assert!(!p("pkg:deb/debian/libssl1.1?arch=arm64").covers(&pkg));
        assert!(!p("pkg:deb/debian/libssl1.1@1.1.1n-0+deb11u4").covers(&pkg));
        assert!(!p("pkg:deb/ubuntu/libssl1.1").covers(&pkg));
        assert!(!p("pkg:deb/debian/libssl").covers(&pkg));
        assert!(p("pkg:PyPI/Django@2.2").covers(&p("pkg:pypi/django@2.2")));
        assert!(p("pkg:oci/app@sha256%3Aabc").is_image());
    }
}
