//! Licences as SPDX expressions: Debian's DEP-5 short names mapped to SPDX ids, and a licence-text
//! matcher (the `spdx` crate's detection, askalono's algorithm with the SPDX licence list's texts
//! inlined) for the free-form copyright files DEP-5 does not cover.
//!
//! Nothing is guessed: a DEP-5 name with no SPDX equivalent (`public-domain`, an unversioned
//! `GPL`) is kept verbatim as a name, and a text the matcher does not recognise with
//! [`MATCH_THRESHOLD`] confidence gives no licence at all.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use sha2::Digest as _;

use spdx::detection::TextData;

use crate::license_index::{LicenseIndex, Located};
use crate::license_texts::license_texts;

/// The least score (Sørensen–Dice over word bigrams, 0 to 1) at which a licence text found in a
/// copyright file is taken as that licence. 0.8 is askalono's own default: below it, texts of
/// related licences (BSD-2 and BSD-3, the GPL versions) are confused.
pub const MATCH_THRESHOLD: f32 = 0.8;

/// The most bytes of one free-form text the matcher reads (matching is superlinear in the text;
/// licence texts sit at the top of copyright files).
pub const MAX_MATCHED_TEXT: usize = 128 << 10;

/// The SPDX form of one DEP-5 licence short name (`GPL-2+` → `GPL-2.0-or-later`, `Expat` →
/// `MIT`), or `None` when SPDX has no id for it (`public-domain`, a bare `GPL`).
pub fn dep5_name_to_spdx(name: &str) -> Option<String> {
    let name = name.trim();
    let (base, later) = match name.strip_suffix('+') {
        Some(base) => (base, true),
        None => (name, false),
    };
    let lower = base.to_ascii_lowercase();
    if let Some(id) = gnu_family(&lower, later) {
        return Some(id);
    }
    let id: &str = match lower.as_str() {
        "expat" | "mit" => "MIT",
        "perl" => return Some("Artistic-1.0-Perl OR GPL-1.0-or-later".to_owned()),
        "artistic" | "artistic-1" => "Artistic-1.0-Perl",
        "artistic-2" => "Artistic-2.0",
        "apache-2" => "Apache-2.0",
        "bsd-2-clause" => "BSD-2-Clause",
        "bsd-3-clause" => "BSD-3-Clause",
        "bsd-4-clause" => "BSD-4-Clause",
        "cc0" => "CC0-1.0",
        "python" | "psf" | "psf-2" => "PSF-2.0",
        "zlib" => "Zlib",
        "zope" | "zpl" => "ZPL-2.1",
        _ => return spdx_id_ignoring_case(base).map(|id| if later { format!("{id}+") } else { id.to_owned() }),
    };
    Some(if later { format!("{id}+") } else { id.to_owned() })
}

/// The GNU licences, whose SPDX ids spell the version out and say `-only` or `-or-later`.
fn gnu_family(lower: &str, later: bool) -> Option<String> {
    let (family, version) = lower.split_once('-')?;
    let family = match family {
        "gpl" => "GPL",
        "lgpl" => "LGPL",
        "agpl" => "AGPL",
        "gfdl" => "GFDL",
        _ => return None,
    };
    let (family, version) = match (family, version.strip_prefix("niv-")) {
        ("GFDL", Some(v)) => ("GFDL-NIV", v),
        _ => (family, version),
    };
    let version = match version {
        "1" | "1.0" => "1.0",
        "2" | "2.0" => "2.0",
        "2.1" => "2.1",
        "3" | "3.0" => "3.0",
        "1.1" | "1.2" | "1.3" => version,
        _ => return None,
    };
    let suffix = if later { "or-later" } else { "only" };
    let id = match family {
        "GFDL-NIV" => format!("GFDL-{version}-no-invariants-{suffix}"),
        _ => format!("{family}-{version}-{suffix}"),
    };
    spdx::license_id(&id).map(|_| id)
}

/// The SPDX licence id spelled `name` in any case (`apache-2.0` → `Apache-2.0`).
fn spdx_id_ignoring_case(name: &str) -> Option<&'static str> {
    spdx::identifiers::LICENSES.iter().find(|l| l.name.eq_ignore_ascii_case(name)).map(|l| l.name)
}

/// The SPDX exception id of a DEP-5 `with X exception` clause (`GCC-3.1`), when there is one.
fn dep5_exception_to_spdx(name: &str) -> Option<&'static str> {
    let lower = name.trim().to_ascii_lowercase();
    let id = match lower.as_str() {
        "gcc" | "gcc-3.1" | "gcc-runtime" => "GCC-exception-3.1",
        "gcc-2.0" => "GCC-exception-2.0",
        "autoconf" | "autoconf-2.0" => "Autoconf-exception-2.0",
        "autoconf-3.0" => "Autoconf-exception-3.0",
        "bison" | "bison-2.2" => "Bison-exception-2.2",
        "classpath" | "classpath-2.0" => "Classpath-exception-2.0",
        "font" | "font-2.0" => "Font-exception-2.0",
        "libtool" => "Libtool-exception",
        _ => return spdx::identifiers::EXCEPTIONS.iter().find(|e| e.name.eq_ignore_ascii_case(&lower)).map(|e| e.name),
    };
    Some(id)
}

/// One DEP-5 `License:` short-name line (`GPL-2+ or Artistic`, `LGPL-2.1+ and GPL-3+ with GCC
/// exception`) as an SPDX expression, or `None` when a name in it has no SPDX id. `or` binds
/// tighter than `and`, and a comma separates `and`-joined groups, as the copyright format says.
pub fn dep5_expression_to_spdx(line: &str) -> Option<String> {
    let mut groups = Vec::new();
    for group in line.split(',') {
        let group = group.trim().trim_start_matches("and ").trim();
        if group.is_empty() {
            continue;
        }
        let mut ands = Vec::new();
        for and_part in split_word(group, "and") {
            let ors = split_word(&and_part, "or").iter().map(|term| dep5_term(term)).collect::<Option<Vec<_>>>()?;
            ands.push(parenthesised_if(ors.join(" OR "), ors.len() > 1));
        }
        groups.push(ands.join(" AND "));
    }
    if groups.is_empty() {
        return None;
    }
    // a group's top level is AND, or an OR in parentheses: the groups join without more
    let expression = groups.join(" AND ");
    spdx::Expression::parse(&expression).is_ok().then_some(expression)
}

/// One term: a name, perhaps `with X exception`.
fn dep5_term(term: &str) -> Option<String> {
    let lower = term.to_ascii_lowercase();
    match lower.find(" with ") {
        Some(at) => {
            let license = dep5_name_to_spdx(&term[..at])?;
            let exception = term[at + 6..].trim();
            let exception =
                exception.strip_suffix(" exception").or(exception.strip_suffix(" Exception")).unwrap_or(exception);
            let exception = dep5_exception_to_spdx(exception)?;
            (!license.contains(' ')).then(|| format!("{license} WITH {exception}"))
        }
        None => dep5_name_to_spdx(term).map(|id| parenthesised_if(id.clone(), id.contains(' '))),
    }
}

/// `text` split at the word `word` (any case), each part trimmed.
fn split_word(text: &str, word: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    for token in text.split_whitespace() {
        if token.eq_ignore_ascii_case(word) {
            parts.push(String::new());
        } else if let Some(last) = parts.last_mut() {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(token);
        }
    }
    parts.retain(|p| !p.is_empty());
    parts
}

fn parenthesised_if(s: String, cond: bool) -> String {
    if cond { format!("({s})") } else { s }
}

/// The licences whose texts `text` contains, each with at least [`MATCH_THRESHOLD`] confidence,
/// as SPDX ids in the order found (none when nothing matches well enough: never a guess). Reads
/// at most [`MAX_MATCHED_TEXT`] bytes. The licence list is loaded on first use (about 0.2 s).
///
/// Matching costs tens of milliseconds a file, and Debian's binary packages of one source ship
/// the same file (`libc6` and `libc-bin`, the four Kerberos libraries): the answer for each
/// distinct text (by sha256) is kept for the life of the process, at most [`MAX_MEMO`] of them.
/// The function stays pure: the memo only saves recomputing the same answer.
pub fn match_license_text(text: &str) -> Vec<String> {
    let mut end = text.len().min(MAX_MATCHED_TEXT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let text = &text[..end];
    let key: [u8; 32] = sha2::Sha256::digest(text.as_bytes()).into();
    if let Some(found) = memo().lock().ok().and_then(|m| m.get(&key).cloned()) {
        return found;
    }
    let found = match_uncached(text);
    if let Ok(mut memo) = memo().lock()
        && memo.len() < MAX_MEMO
    {
        memo.insert(key, found.clone());
    }
    found
}

/// The most texts whose answers [`match_license_text`] keeps.
pub const MAX_MEMO: usize = 4096;

/// The answers of [`match_license_text`] so far, by the sha256 of the text.
fn memo() -> &'static Mutex<HashMap<[u8; 32], Vec<String>>> {
    static MEMO: OnceLock<Mutex<HashMap<[u8; 32], Vec<String>>>> = OnceLock::new();
    MEMO.get_or_init(Mutex::default)
}

/// [`match_license_text`] without the memo: askalono's elimination scan (the best licence found,
/// its lines blanked, the rest scanned again), with the search for a licence and its lines done
/// by [`LicenseIndex`] and each licence kept only when the `spdx` crate's exact score of its
/// lines reaches [`MATCH_THRESHOLD`].
///
/// The search is best first: licences in decreasing order of their bound
/// ([`LicenseIndex::candidates`]) are located until no bound left can beat the best estimate
/// located; the best estimate is then checked with the exact score, and when it falls short, the
/// next best. Blanking a licence's lines changes only the runs that overlap them, so the other
/// licences' runs are kept from one pass to the next and only those are located again.
fn match_uncached(text: &str) -> Vec<String> {
    let Some(index) = index() else { return Vec::new() };
    let floor = MATCH_THRESHOLD - ESTIMATE_MARGIN;
    // The crate's lines are the text's split at `\n`, each normalised on its own: a run of them
    // is scored exactly by normalising only those lines, and blanking a licence's lines is
    // making them empty.
    let mut lines: Vec<&str> = text.split('\n').collect();
    let mut words = index.words(&lines);
    let candidates = index.candidates(&words, floor);
    let mut next = candidates.iter().peekable();
    let mut located: Vec<Located> = Vec::new();
    let mut found: Vec<String> = Vec::new();
    let mut passes = 0;
    while passes < MAX_PASSES && found.len() < MAX_LICENSES {
        let best = located.iter().map(|l| l.score).fold(floor, f32::max);
        while let Some(&(t, _)) = next.next_if(|(_, bound)| *bound >= best) {
            located.extend(index.locate(&words, t).filter(|l| l.score >= floor));
        }
        let Some(top) = located.iter().map(|l| l.score).reduce(f32::max) else { break };
        let near: Vec<Located> = located.extract_if(.., |l| l.score >= top - NEAR_TIE).collect();
        let Some(best) = best_exact(index, &lines, &near) else { continue };
        let Some(template) = index.template(best.template) else { break };
        located.extend(near.into_iter().filter(|l| *l != best));
        passes += 1;
        let id = canonical_detected_id(&template.text.name);
        if !found.contains(&id) {
            found.push(id);
        }
        for line in lines.get_mut(best.start..best.end).unwrap_or_default() {
            *line = "";
        }
        words = index.words(&lines);
        let overlapping = |l: &Located| l.start < best.end && best.start < l.end;
        let stale: Vec<usize> =
            located.iter().filter(|l| overlapping(l)).map(|l| l.template).chain([best.template]).collect();
        located.retain(|l| !overlapping(l));
        located.extend(stale.into_iter().filter_map(|t| index.locate(&words, t)).filter(|l| l.score >= floor));
    }
    found
}

/// Of `near` (located runs whose estimates are within [`NEAR_TIE`] of the best), the one whose
/// exact score is highest, if it reaches [`MATCH_THRESHOLD`] (the first licence text on a tie).
/// Related licences differ in a few words (the version in the GPL's header, a clause of the
/// BSD family), so their estimates are close and the exact score decides. Each distinct run of
/// lines is normalised once.
fn best_exact(index: &LicenseIndex<'_>, lines: &[&str], near: &[Located]) -> Option<Located> {
    let mut views: HashMap<(usize, usize), TextData> = HashMap::new();
    let mut best: Option<(f32, Located)> = None;
    for l in near {
        let template = index.template(l.template)?;
        let view = views
            .entry((l.start, l.end))
            .or_insert_with(|| TextData::new(&lines.get(l.start..l.end).unwrap_or_default().join("\n")));
        let exact = view.match_score(template.text.data());
        if best.is_none_or(|(b, bl)| exact > b || (exact == b && l.template < bl.template)) {
            best = Some((exact, *l));
        }
    }
    best.filter(|(exact, _)| *exact >= MATCH_THRESHOLD).map(|(_, l)| l)
}

/// How close to the best estimate a licence's estimate must be for the exact scores to decide
/// between them.
const NEAR_TIE: f32 = 0.02;

/// The most licences found in one text.
const MAX_LICENSES: usize = 10;
/// The most licence texts found in one text, counting copies of one licence (a file that
/// repeats the MIT text for each of its parts), so that matching stays linear in the text.
const MAX_PASSES: usize = 64;
/// How far below [`MATCH_THRESHOLD`] the index's estimate of a licence may be and the crate's
/// exact score still be computed: the estimate normalises a little differently at the edges of
/// a run of lines (a title, a common prefix).
const ESTIMATE_MARGIN: f32 = 0.05;

/// The detection store's names are SPDX ids, some in their deprecated spelling (`GPL-2.0+`):
/// the current one.
fn canonical_detected_id(name: &str) -> String {
    match name.strip_suffix('+') {
        Some(base) if base.starts_with("GPL-") || base.starts_with("LGPL-") || base.starts_with("AGPL-") => {
            format!("{base}-or-later")
        }
        _ => name.to_owned(),
    }
}

/// The licence texts ([`license_texts`]) indexed by word pair, built once.
fn index() -> Option<&'static LicenseIndex<'static>> {
    static INDEX: OnceLock<Option<LicenseIndex<'static>>> = OnceLock::new();
    INDEX.get_or_init(|| license_texts().map(LicenseIndex::new)).as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dep5_names_map_to_spdx_ids() {
        for (dep5, spdx) in [
            ("GPL-2+", "GPL-2.0-or-later"),
            ("GPL-2", "GPL-2.0-only"),
            ("LGPL-2.1+", "LGPL-2.1-or-later"),
            ("GPL-3.0+", "GPL-3.0-or-later"),
            ("BSD-3-clause", "BSD-3-Clause"),
            ("Expat", "MIT"),
            ("Apache-2.0", "Apache-2.0"),
            ("apache-2.0", "Apache-2.0"),
            ("GFDL-NIV-1.3+", "GFDL-1.3-no-invariants-or-later"),
            ("Zlib", "Zlib"),
            ("ISC", "ISC"),
            ("MPL-1.1+", "MPL-1.1+"),
        ] {
            assert_eq!(dep5_name_to_spdx(dep5).as_deref(), Some(spdx), "{dep5}");
        }
        assert_eq!(dep5_name_to_spdx("public-domain"), None);
        assert_eq!(dep5_name_to_spdx("GPL"), None);
        assert_eq!(dep5_name_to_spdx("permissive"), None);
    }

    #[test]
    fn dep5_expressions_keep_their_operators() {
        assert_eq!(
            dep5_expression_to_spdx("GPL-2+ or Artistic").as_deref(),
            Some("(GPL-2.0-or-later OR Artistic-1.0-Perl)")
        );
        assert_eq!(
            dep5_expression_to_spdx("LGPL-2.1+ and GPL-3+ with GCC-3.1 exception").as_deref(),
            Some("LGPL-2.1-or-later AND GPL-3.0-or-later WITH GCC-exception-3.1")
        );
        assert_eq!(
            dep5_expression_to_spdx("GPL-2+ or BSD-3-clause, and MIT").as_deref(),
            Some("(GPL-2.0-or-later OR BSD-3-Clause) AND MIT")
        );
        assert_eq!(dep5_expression_to_spdx("Perl").as_deref(), Some("(Artistic-1.0-Perl OR GPL-1.0-or-later)"));
        assert_eq!(dep5_expression_to_spdx("GPL-2+ and public-domain"), None);
        assert_eq!(dep5_expression_to_spdx("GPL-2+ with OpenSSL exception"), None, "no SPDX id for it");
        for expression in ["(GPL-2.0-or-later OR Artistic-1.0-Perl)", "(GPL-2.0-or-later OR BSD-3-Clause) AND MIT"] {
            assert!(spdx::Expression::parse(expression).is_ok(), "{expression}");
        }
    }

    /// The MIT licence as a package would carry it.
    const MIT: &str = "Permission is hereby granted, free of charge, to any person obtaining a copy of this software \
                   and associated documentation files (the \"Software\"), to deal in the Software without restriction, \
                   including without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, \
                   and/or sell copies of the Software, and to permit persons to whom the Software is furnished to do so, \
                   subject to the following conditions:\n\nThe above copyright notice and this permission notice shall be \
                   included in all copies or substantial portions of the Software.\n\nTHE SOFTWARE IS PROVIDED \"AS IS\", \
                   WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF \
                   MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS \
                   OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF \
                   CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR \
                   OTHER DEALINGS IN THE SOFTWARE.\n";

    #[test]
    fn license_texts_are_matched_or_left_alone() {
        assert_eq!(match_license_text(&format!("Copyright 2020 Someone\n\n{MIT}")), ["MIT"]);
        assert!(match_license_text("This package was debianized by someone. It is free software.").is_empty());
        assert!(match_license_text("").is_empty());
    }

    /// A file that repeats one licence's text for each of its parts still has the other licences
    /// after them found (copies count toward the passes, not toward the licences).
    #[test]
    fn copies_of_one_licence_do_not_hide_another() {
        let zlib = license_texts().unwrap().iter().find(|t| t.name == "Zlib").unwrap().lines.join("\n");
        let text = format!("{}\n\n{zlib}\n", [MIT; 12].join("\n\n"));
        assert_eq!(match_license_text(&text), ["MIT", "Zlib"]);
    }

    /// The index finds a licence's lines inside a longer text, its estimate close to the crate's
    /// exact score of those lines, and rules out a licence the text lacks.
    #[test]
    fn the_index_locates_a_licence_among_other_lines() {
        let Some(index) = index() else { panic!("the licence texts load") };
        let filler: String = (0..300).map(|i| format!("line {i} of a changelog about packaging\n")).collect();
        let mit = "Permission is hereby granted, free of charge, to any person obtaining a copy of this \
             software and associated documentation files (the \"Software\"), to deal in the Software without \
             restriction, including without limitation the rights to use, copy, modify, merge, publish, \
             distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the \
             Software is furnished to do so, subject to the following conditions:\n\nThe above copyright notice \
             and this permission notice shall be included in all copies or substantial portions of the \
             Software.\n\nTHE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR \
             IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR \
             PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY \
             CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING \
             FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.";
        let data = TextData::new(&format!("{filler}\n{mit}\n\n{filler}"));
        let words = index.words(data.lines());
        let candidates = index.candidates(&words, MATCH_THRESHOLD - ESTIMATE_MARGIN);
        let Some(&(mit_template, _)) = candidates.iter().find(|(t, _)| index.template(*t).unwrap().text.name == "MIT")
        else {
            panic!("MIT is a candidate: {candidates:?}")
        };
        let located = index.locate(&words, mit_template).unwrap();
        assert_eq!((located.start, located.end), (301, 306), "{located:?}");
        let exact =
            data.with_view(located.start, located.end).match_score(index.template(mit_template).unwrap().text.data());
        assert!(exact >= MATCH_THRESHOLD && (exact - located.score).abs() < 0.1, "{exact} vs {located:?}");
        assert!(
            data.match_score(index.template(mit_template).unwrap().text.data()) < 0.5,
            "the whole text is no match"
        );
        let without = TextData::new(&filler);
        assert!(index.candidates(&index.words(without.lines()), MATCH_THRESHOLD - ESTIMATE_MARGIN).is_empty());
        assert_eq!(match_license_text(&format!("{filler}\n{mit}\n\n{filler}")), ["MIT"]);
    }
}
