//! Debian copyright files (`usr/share/doc/PACKAGE/copyright`): the licences of the dpkg package of
//! that name, read in the same layer walk as the package databases and joined to the packages
//! after the merge (`inventory.rs`), as the `info/*.list` files are.
//!
//! A machine-readable file (DEP-5, <https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/>)
//! gives the `License:` short names of its `Files:` paragraphs, mapped to SPDX ids
//! ([`crate::license::dep5_expression_to_spdx`]) and joined with `AND`, each licence once; a name
//! SPDX has no id for is kept verbatim beside the expression. A free-form file gives the licences
//! whose texts it contains, found by [`crate::license::match_license_text`] above its confidence
//! threshold, or nothing.

use std::collections::BTreeMap;

use crate::license::{dep5_expression_to_spdx, match_license_text};
use crate::{Analyzer, AnalyzerOutput, LayerFiles, Record};

/// The copyright-file analyzer. Machine-readable files are always read (cheap); free-form ones
/// are matched against licence texts only with `match_texts`, which costs about a second on a
/// Debian image: the SBOM outputs, whose point the licences are, ask for it; a vulnerability
/// scan does not pay for it ([`crate::default_analyzers_with`]).
#[derive(Debug, Default, Clone, Copy)]
pub struct CopyrightAnalyzer {
    /// Whether free-form copyright files are matched against licence texts.
    pub match_texts: bool,
}

const DOC: &str = "usr/share/doc/";
/// Bound on one copyright file (the largest in Debian are a few hundred KiB).
const MAX_COPYRIGHT: u64 = 4 << 20;

impl Analyzer for CopyrightAnalyzer {
    fn id(&self) -> &'static str {
        "dpkg-copyright"
    }

    /// 1 without licence-text matching, 2 with it: the layer cache keeps the two apart.
    fn version(&self) -> u32 {
        if self.match_texts { 2 } else { 1 }
    }

    /// A copyright file of 1 byte up to the bound. An empty one says nothing, and the path is
    /// not claimed (`wants(path, 0)` is false): a licence text is not evidence that a package is
    /// there, so a missing or oversized one is no lost evidence, only a package without a licence.
    fn wants(&self, path: &str, size: u64) -> bool {
        size > 0 && size <= MAX_COPYRIGHT && package_of(path).is_some()
    }

    /// Matching a free-form file's text costs tens of milliseconds: done beside the walk.
    fn runs_beside_walk(&self) -> bool {
        self.match_texts
    }

    fn analyze(&self, files: &LayerFiles) -> AnalyzerOutput {
        let mut out = AnalyzerOutput::default();
        for (path, bytes) in files {
            let Some(package) = package_of(path) else { continue };
            let licenses = parse_copyright_with(bytes, self.match_texts);
            out.records.push(Record::Licenses { path: path.clone(), package: package.to_owned(), licenses });
        }
        out
    }
}

/// The licences of the dpkg package `name`, from its copyright file, or from the one of the
/// package its doc directory links to (`usr/share/doc/libgcc-s1 -> gcc-12-base`, which Debian
/// allows between binary packages of one source, so the licence is the same).
pub fn licenses_of<'a>(
    name: &str,
    licenses: &'a BTreeMap<String, Vec<String>>,
    symlinks: &BTreeMap<String, String>,
) -> Option<&'a Vec<String>> {
    if let Some(found) = licenses.get(name) {
        return Some(found);
    }
    let link = format!("{DOC}{name}");
    let target = microscanner_image::path::resolve_link(&link, symlinks.get(&link)?)?;
    licenses.get(target.strip_prefix(DOC)?)
}

/// The package whose copyright file `path` is (`usr/share/doc/NAME/copyright` → `NAME`).
fn package_of(path: &str) -> Option<&str> {
    let name = path.strip_prefix(DOC)?.strip_suffix("/copyright")?;
    (!name.is_empty() && !name.contains('/')).then_some(name)
}

/// The licences a copyright file states: for a DEP-5 file, one SPDX expression (and any names
/// SPDX has no id for, verbatim); for a free-form one, the SPDX ids of the licence texts found.
pub fn parse_copyright(bytes: &[u8]) -> Vec<String> {
    parse_copyright_with(bytes, true)
}

/// [`parse_copyright`], a free-form file matched against licence texts only with `match_texts`
/// (without, it gives nothing).
pub fn parse_copyright_with(bytes: &[u8], match_texts: bool) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let paragraphs = paragraphs(&text);
    let is_dep5 = paragraphs.first().is_some_and(|p| field(p, "Format").is_some());
    if !is_dep5 {
        return if match_texts { match_license_text(&text) } else { Vec::new() };
    }
    let mut lines: Vec<&str> =
        paragraphs.iter().filter(|p| field(p, "Files").is_some()).filter_map(|p| field(p, "License")).collect();
    if lines.is_empty() {
        lines.extend(paragraphs.first().and_then(|p| field(p, "License")));
    }
    combine_dep5(&lines)
}

/// The `License:` short-name lines of a DEP-5 file as one `AND` of their SPDX expressions, each
/// conjunct once, followed by the lines that do not map, verbatim and once each.
fn combine_dep5(lines: &[&str]) -> Vec<String> {
    let mut conjuncts: Vec<String> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for line in lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()) {
        match dep5_expression_to_spdx(line) {
            Some(expression) => {
                for conjunct in top_level_conjuncts(&expression) {
                    if !conjuncts.iter().any(|c| c == conjunct) {
                        conjuncts.push(conjunct.to_owned());
                    }
                }
            }
            None if !names.iter().any(|n| n == line) => names.push(line.to_owned()),
            None => {}
        }
    }
    let mut licenses = Vec::with_capacity(1 + names.len());
    if !conjuncts.is_empty() {
        licenses.push(conjuncts.join(" AND "));
    }
    licenses.extend(names);
    licenses
}

/// The parts of `expression` joined by `AND` outside parentheses.
fn top_level_conjuncts(expression: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0_i32, 0);
    let bytes = expression.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => depth -= 1,
            b' ' if depth == 0 && expression[i..].starts_with(" AND ") => {
                parts.push(expression[start..i].trim());
                start = i + 5;
                i += 4;
            }
            _ => {}
        }
        i += 1;
    }
    parts.push(expression[start..].trim());
    parts.retain(|p| !p.is_empty());
    parts
}

/// One paragraph: its fields' names and first-line values (continuation lines are licence texts
/// and file lists, which the licences do not need).
type Paragraph<'a> = Vec<(&'a str, &'a str)>;

/// The paragraphs of a deb822 text (blank lines separate them; `#` lines are comments).
fn paragraphs(text: &str) -> Vec<Paragraph<'_>> {
    let mut all = Vec::new();
    let mut current: Paragraph<'_> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                all.push(std::mem::take(&mut current));
            }
        } else if line.starts_with([' ', '\t', '#']) {
            continue;
        } else if let Some((key, value)) = line.split_once(':') {
            current.push((key.trim(), value.trim()));
        }
    }
    if !current.is_empty() {
        all.push(current);
    }
    all
}

/// The first-line value of `name` in `paragraph` (any case).
fn field<'a>(paragraph: &Paragraph<'a>, name: &str) -> Option<&'a str> {
    paragraph.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEP5: &str = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: x\n\n\
Files: *\nCopyright: 2000 A\nLicense: GPL-2+\n\nFiles: lib/*\nCopyright: 2001 B\nLicense: LGPL-2.1+ and GPL-2+\n\n\
Files: doc/*\nCopyright: none\nLicense: public-domain\n\nFiles: debian/*\nCopyright: 2002 C\nLicense: GPL-2+\n\n\
License: GPL-2+\n This program is free software...\n .\n On Debian systems, see /usr/share/common-licenses/GPL-2.\n";

    #[test]
    fn dep5_files_licences_are_one_expression_plus_unmapped_names() {
        assert_eq!(parse_copyright(DEP5.as_bytes()), ["GPL-2.0-or-later AND LGPL-2.1-or-later", "public-domain"]);
    }

    #[test]
    fn header_licence_when_no_files_paragraph_has_one() {
        let text = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nLicense: Expat\n";
        assert_eq!(parse_copyright(text.as_bytes()), ["MIT"]);
    }

    #[test]
    fn wants_only_copyright_files_of_a_doc_dir() {
        let a = CopyrightAnalyzer::default();
        assert!(a.wants("usr/share/doc/bash/copyright", 10));
        assert!(!a.wants("usr/share/doc/bash/copyright", 0), "claims nothing");
        assert!(!a.wants("usr/share/doc/bash/sub/copyright", 10));
        assert!(!a.wants("usr/share/doc/copyright", 10));
        assert!(!a.wants("usr/share/doc/bash/changelog.gz", 10));
        assert!(!a.wants("usr/share/doc/bash/copyright", MAX_COPYRIGHT + 1));
    }

    #[test]
    fn free_form_texts_are_matched_only_when_asked() {
        let gpl = "This program is free software; you can redistribute it and/or modify it under the terms of \
            the GNU General Public License as published by the Free Software Foundation; either version 2 of \
            the License, or (at your option) any later version.";
        let dep5 = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nLicense: Expat\n";
        assert!(parse_copyright_with(gpl.as_bytes(), false).is_empty());
        assert_eq!(parse_copyright_with(dep5.as_bytes(), false), ["MIT"], "DEP-5 is always read");
        let (without, with) = (CopyrightAnalyzer::default(), CopyrightAnalyzer { match_texts: true });
        assert_ne!(without.version(), with.version(), "the layer cache keeps the two apart");
    }

    #[test]
    fn a_doc_directory_link_shares_its_target_s_licences() {
        let licenses = [("python3".to_owned(), vec!["PSF-2.0".to_owned()])].into();
        let symlinks = [("usr/share/doc/python3-venv".to_owned(), "python3".to_owned())].into();
        assert_eq!(licenses_of("python3-venv", &licenses, &symlinks), Some(&vec!["PSF-2.0".to_owned()]));
        assert_eq!(licenses_of("python3-dev", &licenses, &symlinks), None);
    }

    #[test]
    fn conjuncts_split_outside_parentheses() {
        assert_eq!(top_level_conjuncts("(A OR B AND C) AND D"), ["(A OR B AND C)", "D"]);
        assert_eq!(top_level_conjuncts("A"), ["A"]);
    }
}
