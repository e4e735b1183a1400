//! The analyzers a scan runs by default: the OS identity and package databases, then one
//! analyzer per language format ([`crate::lang::FORMATS`]). An OS analyzer module adds itself
//! here; a language format adds a row to that table instead.

use crate::Analyzer;

/// Every analyzer of a default scan, in a fixed order (the order is part of the layer cache key).
pub fn default_analyzers() -> Vec<Box<dyn Analyzer>> {
    let mut analyzers: Vec<Box<dyn Analyzer>> = vec![
        Box::new(crate::os::OsAnalyzer),
        Box::new(crate::dpkg::DpkgAnalyzer),
        Box::new(crate::apk::ApkAnalyzer),
        Box::new(crate::rpm::RpmAnalyzer),
        Box::new(crate::copyright::CopyrightAnalyzer),
    ];
    analyzers.extend(crate::lang::analyzers());
    analyzers
}
