//! Rust binaries: the cargo-auditable dependency list (`.dep-v0`), read with `auditable-info`
//! under a size limit; for binaries without it, crate versions recovered from embedded registry
//! paths of panic messages (`quitters`), reported with a diagnostic saying the list is incomplete.

use auditable_info::Error as AuditError;
use microscanner_model::{Diagnostic, Evidence, PackageKind};
use serde::Deserialize;

use super::{ParseResult, lang_package, warn};

/// The largest decompressed audit JSON we accept.
pub const MAX_AUDIT_JSON: usize = 8 * 1024 * 1024;

#[derive(Deserialize)]
struct AuditInfo {
    packages: Vec<AuditPackage>,
}

#[derive(Deserialize)]
struct AuditPackage {
    name: String,
    version: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    root: bool,
}

/// Parses the decompressed cargo-auditable JSON: runtime dependencies and the root package
/// (build-only dependencies are not in the binary).
pub fn parse_audit_json(json: &[u8]) -> ParseResult {
    let info: AuditInfo = match serde_json::from_slice(json) {
        Ok(i) => i,
        Err(e) => return (Vec::new(), vec![warn(format!("cannot parse cargo-auditable JSON: {e}"))]),
    };
    let pkgs = info
        .packages
        .iter()
        .filter(|p| p.root || p.kind.as_deref().is_none_or(|k| k == "runtime"))
        .map(|p| lang_package(PackageKind::Cargo, &p.name, &p.version, Evidence::Installed))
        .collect();
    (pkgs, Vec::new())
}

/// Parses a Rust executable. A binary with neither audit data nor registry paths gives nothing.
pub fn parse(bytes: &[u8]) -> ParseResult {
    match auditable_info::json_from_slice(bytes, MAX_AUDIT_JSON) {
        Ok(json) => parse_audit_json(json.as_bytes()),
        Err(AuditError::NoAuditData) => fallback(bytes),
        Err(e) => {
            let (pkgs, mut diags) = fallback(bytes);
            diags.insert(0, warn(format!("cannot read cargo-auditable data: {e}")));
            (pkgs, diags)
        }
    }
}

/// Crate versions from panic paths (`.cargo/registry/src/*/NAME-VERSION/`): incomplete evidence.
fn fallback(bytes: &[u8]) -> ParseResult {
    let found = quitters::versions(bytes);
    if found.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let pkgs: Vec<_> = found
        .iter()
        .map(|(name, version)| lang_package(PackageKind::Cargo, name, &version.to_string(), Evidence::Installed))
        .collect();
    let diag = Diagnostic::warning(
        String::new(),
        format!(
            "Rust binary without cargo-auditable data: {} crates recovered from panic paths, the list is incomplete",
            pkgs.len()
        ),
    );
    (pkgs, vec![diag])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_paths_are_incomplete_evidence() {
        let mut bin = b"\x7fELF".to_vec();
        bin.resize(4096, 0);
        bin.extend_from_slice(
            b"/home/u/.cargo/registry/src/index.crates.io-6f17d22bba15001f/smallvec-1.6.0/src/lib.rs\0",
        );
        bin.extend_from_slice(b"/home/u/.cargo/registry/src/github.com-1ecc6299db9ec823/time-0.1.43/src/sys.rs\0");
        let (pkgs, diags) = parse(&bin);
        let got: Vec<_> = pkgs.iter().map(|p| format!("{}@{}", p.name, p.version)).collect();
        assert_eq!(got, vec!["smallvec@1.6.0", "time@0.1.43"]);
        assert!(diags.iter().any(|d| d.message.contains("incomplete")), "{diags:?}");
    }

    #[test]
    fn audit_json_runtime_and_root_only() {
        let json = br#"{"packages":[
            {"name":"app","version":"0.1.0","source":"local","root":true,"dependencies":[1]},
            {"name":"regex","version":"1.5.4","source":"crates.io"},
            {"name":"cc","version":"1.0.0","source":"crates.io","kind":"build"}]}"#;
        let (pkgs, diags) = parse_audit_json(json);
        assert!(diags.is_empty());
        let got: Vec<_> = pkgs.iter().map(|p| p.purl().into_owned()).collect();
        assert_eq!(got, vec!["pkg:cargo/app@0.1.0", "pkg:cargo/regex@1.5.4"]);
    }
}
