//! Licences as SPDX expressions: Debian's DEP-5 short names mapped to SPDX ids, and a licence-text
//! matcher (the `spdx` crate's detection, askalono's algorithm with the SPDX licence list's texts
//! inlined) for the free-form copyright files DEP-5 does not cover.
//!
//! Nothing is guessed: a DEP-5 name with no SPDX equivalent (`public-domain`, an unversioned
//! `GPL`) is kept verbatim as a name, and a text the matcher does not recognise with
//! [`MATCH_THRESHOLD`] confidence gives no licence at all.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use sha2::Digest as _;

use spdx::detection::{LicenseEntry, Store, TextData};

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

/// [`match_license_text`] without the memo: askalono's elimination scan (the `spdx` crate's
/// `Scanner` with `optimize`: the best licence of the whole text; then, while one is found,
/// the lines it spans are located, blanked, and the rest scanned again), with one addition:
/// a licence's lines are only searched for when some part of the text could reach the
/// threshold ([`best_part_bound`]). Locating the lines is most of the cost (tens of views of a
/// file of thousands of lines, each normalised again), and in most free-form copyright files
/// the best licence of the whole text is not there at all.
fn match_uncached(text: &str) -> Vec<String> {
    let Some(store) = store() else { return Vec::new() };
    let data = TextData::new(text);
    let mut found: Vec<String> = Vec::new();
    let mut add = |name: &str| {
        let id = canonical_detected_id(name);
        if !found.contains(&id) {
            found.push(id);
        }
    };
    let mut analysis = store.analyze(&data);
    if analysis.score > MATCH_THRESHOLD {
        add(analysis.name);
        if analysis.score > SHALLOW_LIMIT {
            return found;
        }
    }
    let mut current = Cow::Borrowed(&data);
    for _ in 0..MAX_PASSES {
        if best_part_bound(&current, analysis.data) < MATCH_THRESHOLD - BOUND_MARGIN {
            break;
        }
        let (located, score) = current.optimize_bounds(analysis.data);
        if score < MATCH_THRESHOLD {
            break;
        }
        add(analysis.name);
        current = Cow::Owned(located.white_out());
        analysis = store.analyze(&current);
    }
    found
}

/// A whole-text score above which the text is taken as that licence alone (askalono's).
const SHALLOW_LIMIT: f32 = 0.99;
/// The most licences looked for in one text.
const MAX_PASSES: usize = 10;
/// How far below [`MATCH_THRESHOLD`] [`best_part_bound`] may be and the lines still be searched
/// for: the bound assumes a part's word pairs are among the whole text's, and normalising a
/// part alone can differ a little at its edges.
const BOUND_MARGIN: f32 = 0.1;

/// An upper bound of the score (Sørensen–Dice over word pairs, what the `spdx` crate scores)
/// that any run of lines of `text` can reach against `licence`.
///
/// With t and l the pair counts of the text and the licence and m their common pairs, a run of
/// p pairs, c ≤ min(p, m) of them common, scores 2c / (p + l) ≤ 2m / (m + l). The crate gives
/// only scores, so the counts come from appending [`PROBE`] (k pairs that no licence has):
/// d1 = 2m / (t + l) (text, licence), d2 = 2m / (t + k + l) (text and probe, licence) and
/// d3 = 2t / (2t + k) (text, text and probe). With t as the unit, k = 2 (1/d3 - 1),
/// m = k / (2 (1/d2 - 1/d1)) and l = 2m/d1 - 1. Returns 1 (search) whenever the scores do
/// not allow the computation.
fn best_part_bound(text: &TextData, licence: &TextData) -> f32 {
    let d1 = f64::from(text.match_score(licence));
    if d1 <= 0.0 {
        return 0.0;
    }
    let probed = TextData::new(&format!("{}\n{}", text.lines().join("\n"), &*PROBE));
    let d2 = f64::from(probed.match_score(licence));
    let d3 = f64::from(text.match_score(&probed));
    if !(d2 > 0.0 && d2 < d1 && d3 > 0.0 && d3 < 1.0) {
        return 1.0;
    }
    let k = 2.0 * (1.0 / d3 - 1.0);
    let m = k / (2.0 * (1.0 / d2 - 1.0 / d1));
    let l = 2.0 * m / d1 - 1.0;
    if !(m.is_finite() && l > 0.0) {
        return 1.0;
    }
    (2.0 * m / (m + l)).min(1.0) as f32
}

/// 512 words that no licence text has (`zqaa`, `zqab`, ... `zqtr`): [`best_part_bound`]'s
/// probe.
static PROBE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let letters = b"abcdefghijklmnopqrstuvwxyz";
    let words: Vec<String> =
        (0..512).map(|i| format!("zq{}{}", char::from(letters[i / 26]), char::from(letters[i % 26]))).collect();
    words.join(" ")
});

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

/// The licence families matched against (prefixes of SPDX ids): those found in distribution
/// packages' copyright files, about 250 of the list's 700 texts. Matching is a comparison with
/// every candidate, so this subset halves its cost; a text of a licence outside it gives no
/// licence (never another one: the threshold holds either way).
const MATCHED_FAMILIES: &[&str] = &[
    "GPL-",
    "LGPL-",
    "AGPL-",
    "GFDL-",
    "BSD-",
    "0BSD",
    "MIT",
    "Apache-",
    "MPL-",
    "Artistic-",
    "Zlib",
    "ISC",
    "PSF-",
    "Python-",
    "CC0-",
    "CC-BY-",
    "OpenSSL",
    "SSLeay",
    "libselinux",
    "X11",
    "Unlicense",
    "BSL-1.0",
    "curl",
    "Libpng",
    "libpng",
    "IJG",
    "FTL",
    "OFL-",
    "Sleepycat",
    "NCSA",
    "W3C",
    "bzip2",
    "ICU",
    "Unicode-",
    "PostgreSQL",
    "HPND",
    "EPL-",
    "CDDL-",
    "WTFPL",
    "Beerware",
    "TCL",
    "blessing",
    "Ruby",
    "PHP-",
    "OLDAP",
    "Vim",
    "ZPL-",
    "AFL-",
    "LPPL-",
    "Info-ZIP",
    "MS-PL",
];

/// The SPDX licence texts of [`MATCHED_FAMILIES`], loaded once (the `spdx` crate ships the whole
/// list as a compressed cache).
fn store() -> Option<&'static Store> {
    static STORE: OnceLock<Option<Store>> = OnceLock::new();
    STORE
        .get_or_init(|| match Store::load_inline() {
            Ok(full) => Some(subset(&full)),
            Err(e) => {
                tracing::warn!("licence texts could not be loaded: {e}");
                None
            }
        })
        .as_ref()
}

/// The entries of `full` whose ids start with one of [`MATCHED_FAMILIES`].
fn subset(full: &Store) -> Store {
    let mut store = Store::new();
    for (name, entry) in full.iter().filter(|(name, _)| MATCHED_FAMILIES.iter().any(|f| name.starts_with(f))) {
        let mut kept = LicenseEntry::new(entry.original.clone());
        kept.aliases.clone_from(&entry.aliases);
        kept.headers.clone_from(&entry.headers);
        kept.alternates.clone_from(&entry.alternates);
        store.insert_entry(name.clone(), kept);
    }
    store
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

    #[test]
    fn license_texts_are_matched_or_left_alone() {
        let mit = "Permission is hereby granted, free of charge, to any person obtaining a copy of this software \
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
        assert_eq!(match_license_text(&format!("Copyright 2020 Someone\n\n{mit}")), ["MIT"]);
        assert!(match_license_text("This package was debianized by someone. It is free software.").is_empty());
        assert!(match_license_text("").is_empty());
    }

    /// The bound is never below what locating the licence's lines achieves, and it rules out a
    /// licence whose pairs the text mostly lacks.
    #[test]
    fn the_bound_holds_and_rules_out_absent_licences() {
        let Some(store) = store() else { panic!("the licence texts load") };
        let mit = store.get_original("MIT").unwrap();
        let filler: String = (0..300).map(|i| format!("line {i} of a changelog about packaging\n")).collect();
        let text = format!(
            "{filler}\nPermission is hereby granted, free of charge, to any person obtaining a copy of this \
             software and associated documentation files (the \"Software\"), to deal in the Software without \
             restriction, including without limitation the rights to use, copy, modify, merge, publish, \
             distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the \
             Software is furnished to do so, subject to the following conditions:\n\nThe above copyright notice \
             and this permission notice shall be included in all copies or substantial portions of the \
             Software.\n\nTHE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND.\n\n{filler}"
        );
        let data = TextData::new(&text);
        let (_, located) = data.optimize_bounds(mit);
        let bound = best_part_bound(&data, mit);
        assert!(data.match_score(mit) < 0.5, "the whole text is no match");
        assert!(bound + 1e-4 >= located, "bound {bound} < located {located}"); // f32 rounding
        let without = TextData::new(&filler);
        assert!(best_part_bound(&without, mit) < MATCH_THRESHOLD - BOUND_MARGIN);
    }
}
