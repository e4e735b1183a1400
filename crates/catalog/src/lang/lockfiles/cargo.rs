//! `Cargo.lock`, read with the `cargo-lock` crate.

use microscanner_model::{Evidence, PackageKind};

use crate::lang::{ParseResult, lang_package, warn};

/// Parses a `Cargo.lock` (v1-v4): every `[[package]]` table.
///
/// Read as plain TOML rather than with the `cargo-lock` crate: cargo-lock 11.1 panics on a
/// malformed `checksum` (found by our fuzzer; the input is kept in `tests/data/`), and a scanner
/// only needs each package's name and version, not the resolved graph.
pub fn parse(bytes: &[u8]) -> ParseResult {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return (Vec::new(), vec![warn("Cargo.lock is not UTF-8")]);
    };
    match toml::from_str::<Plain>(text) {
        Ok(plain) => {
            let diags = plain
                .package
                .iter()
                .filter(|p| semver::Version::parse(&p.version).is_err())
                .map(|p| warn(format!("Cargo.lock: {} has version {:?}, which is not SemVer", p.name, p.version)))
                .collect();
            let pkgs = plain
                .package
                .iter()
                .map(|p| lang_package(PackageKind::Cargo, &p.name, &p.version, Evidence::Declared))
                .collect();
            (pkgs, diags)
        }
        Err(e) => (Vec::new(), vec![warn(format!("cannot parse Cargo.lock: {}", one_line(&e.to_string())))]),
    }
}

/// The first line of a multi-line parser message.
fn one_line(message: &str) -> &str {
    message.lines().next().unwrap_or_default()
}

#[derive(serde::Deserialize)]
struct Plain {
    #[serde(default)]
    package: Vec<PlainPackage>,
}

#[derive(serde::Deserialize)]
struct PlainPackage {
    name: String,
    version: String,
}
