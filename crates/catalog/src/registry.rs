//! The analyzers a scan runs by default. Each analyzer module adds itself here.

use crate::Analyzer;

/// Every analyzer of a default scan, in a fixed order.
pub fn default_analyzers() -> Vec<Box<dyn Analyzer>> {
    let analyzers: Vec<Box<dyn Analyzer>> = vec![
        // OS identity and OS package databases
        Box::new(crate::os::OsAnalyzer),
        Box::new(crate::dpkg::DpkgAnalyzer),
        Box::new(crate::apk::ApkAnalyzer),
        Box::new(crate::rpm::RpmAnalyzer),
        // language packages
        Box::new(crate::lang::LangAnalyzer::new(crate::lang::Format::PythonMetadata)),
        Box::new(crate::lang::LangAnalyzer::new(crate::lang::Format::PythonEgg)),
        Box::new(crate::lang::LangAnalyzer::new(crate::lang::Format::NpmPackageJson)),
        Box::new(crate::lang::LangAnalyzer::new(crate::lang::Format::Binary)),
        Box::new(crate::lang::LangAnalyzer::new(crate::lang::Format::JavaArchive)),
        Box::new(crate::lang::LangAnalyzer::new(crate::lang::Format::Gemspec)),
        Box::new(crate::lang::LangAnalyzer::new(crate::lang::Format::ComposerInstalled)),
        Box::new(crate::lang::LangAnalyzer::new(crate::lang::Format::DotnetDeps)),
        Box::new(crate::lang::LangAnalyzer::new(crate::lang::Format::CargoLock)),
        Box::new(crate::lang::LangAnalyzer::new(crate::lang::Format::PackageLock)),
        Box::new(crate::lang::LangAnalyzer::new(crate::lang::Format::YarnLock)),
        Box::new(crate::lang::LangAnalyzer::new(crate::lang::Format::PnpmLock)),
        Box::new(crate::lang::LangAnalyzer::new(crate::lang::Format::PoetryLock)),
        Box::new(crate::lang::LangAnalyzer::new(crate::lang::Format::PipfileLock)),
        Box::new(crate::lang::LangAnalyzer::new(crate::lang::Format::UvLock)),
        Box::new(crate::lang::LangAnalyzer::new(crate::lang::Format::Requirements)),
        Box::new(crate::lang::LangAnalyzer::new(crate::lang::Format::GemfileLock)),
        Box::new(crate::lang::LangAnalyzer::new(crate::lang::Format::ComposerLock)),
        Box::new(crate::lang::LangAnalyzer::new(crate::lang::Format::GoMod)),
        Box::new(crate::lang::LangAnalyzer::new(crate::lang::Format::NugetLock)),
    ];
    analyzers
}
