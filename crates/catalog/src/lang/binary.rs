//! Executables: Go build info first, then cargo-auditable data, then (incomplete) panic paths of
//! Rust crates. The format is guessed from the content, so only files that start like an
//! executable are opened.

use super::{ParseResult, gobinary, rustbinary};

/// True when `bytes` start like an executable (ELF, PE, Mach-O thin).
pub fn looks_executable(bytes: &[u8]) -> bool {
    const MAGICS: &[&[u8]] = &[
        b"\x7fELF",
        b"MZ",
        &[0xfe, 0xed, 0xfa, 0xce],
        &[0xfe, 0xed, 0xfa, 0xcf],
        &[0xce, 0xfa, 0xed, 0xfe],
        &[0xcf, 0xfa, 0xed, 0xfe],
    ];
    MAGICS.iter().any(|m| bytes.starts_with(m))
}

/// Parses an executable: Go build info first, then cargo-auditable data, then (incomplete)
/// panic paths of Rust crates. Anything that does not start like an executable gives nothing.
pub fn parse(bytes: &[u8]) -> ParseResult {
    if !looks_executable(bytes) {
        return (Vec::new(), Vec::new());
    }
    let (pkgs, diags) = gobinary::parse(bytes);
    if !pkgs.is_empty() || !diags.is_empty() {
        return (pkgs, diags);
    }
    rustbinary::parse(bytes)
}
