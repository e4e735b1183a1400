//! The analyzers a scan runs by default: the OS identity and package databases, then one
//! analyzer per language format ([`crate::lang::FORMATS`]). An OS analyzer module adds itself
//! here; a language format adds a row to that table instead.

use crate::Analyzer;

/// Every analyzer of a default scan, in a fixed order (the order is part of the layer cache key),
/// free-form copyright files matched against licence texts (as an SBOM wants them).
pub fn default_analyzers() -> Vec<Box<dyn Analyzer>> {
    default_analyzers_with(true)
}

/// [`default_analyzers`], free-form copyright files matched against licence texts only with
/// `license_texts` (a second or so on a Debian image, which a vulnerability scan need not pay).
pub fn default_analyzers_with(license_texts: bool) -> Vec<Box<dyn Analyzer>> {
    let mut analyzers: Vec<Box<dyn Analyzer>> = vec![
        Box::new(crate::os::OsAnalyzer),
        Box::new(crate::dpkg::DpkgAnalyzer),
        Box::new(crate::apk::ApkAnalyzer),
        Box::new(crate::rpm::RpmAnalyzer),
        Box::new(crate::copyright::CopyrightAnalyzer { match_texts: license_texts }),
    ];
    analyzers.extend(crate::lang::analyzers());
    analyzers
}
