//! The licence texts matched against, as data of our own (`data/license-texts.zst`): the texts and
//! standard headers of the SPDX licences found in distribution packages' copyright files, in the
//! `spdx` crate's normalised lines.
//!
//! The crate ships the whole list (about 700 licences) as one compressed cache; loading it took
//! about 0.25 s of CPU and 70 MB of memory in every process that matched a single copyright
//! file, and the matcher needs only the lines of a quarter of them. The file here is cut from
//! that cache by [`tests::license_texts_are_current`], which also fails when a newer crate's
//! texts differ from it (and writes the new file when asked to).
//!
//! Format (before zstd): for each text, a line `NAME<TAB>KIND<TAB>N` (`KIND` is `original` or
//! `header`), then its `N` lines.

use std::sync::OnceLock;

use spdx::detection::TextData;

/// The file, compressed.
const COMPRESSED: &[u8] = include_bytes!("../data/license-texts.zst");
/// The most bytes it may expand to.
const MAX_EXPANDED: u64 = 16 << 20;

/// One licence text: an original text or a standard header.
#[derive(Debug)]
pub(crate) struct LicenseText {
    /// The SPDX id (in the crate's spelling: `GPL-2.0+`).
    pub(crate) name: String,
    /// Its lines, normalised as the crate's [`TextData::lines`].
    pub(crate) lines: Vec<String>,
    /// The crate's data of the text, made on first use (what exact scores compare with).
    exact: OnceLock<TextData>,
}

impl LicenseText {
    /// The crate's data of the text, for [`TextData::match_score`]: the same word pairs as the
    /// crate's own cache has for it (a test holds this for every text).
    pub(crate) fn data(&self) -> &TextData {
        self.exact.get_or_init(|| TextData::new(&self.lines.join("\n")))
    }
}

/// Every licence text, read once.
pub(crate) fn license_texts() -> Option<&'static [LicenseText]> {
    static TEXTS: OnceLock<Option<Vec<LicenseText>>> = OnceLock::new();
    TEXTS
        .get_or_init(|| match parse(COMPRESSED) {
            Ok(texts) => Some(texts),
            Err(e) => {
                tracing::warn!("licence texts could not be read: {e}");
                None
            }
        })
        .as_deref()
}

/// Reads the compressed file.
fn parse(compressed: &[u8]) -> Result<Vec<LicenseText>, String> {
    use std::io::Read as _;
    let mut text = String::new();
    zstd::Decoder::new(compressed)
        .map_err(|e| e.to_string())?
        .take(MAX_EXPANDED)
        .read_to_string(&mut text)
        .map_err(|e| e.to_string())?;
    let mut lines = text.split('\n');
    let mut out = Vec::new();
    while let Some(head) = lines.next().filter(|l| !l.is_empty()) {
        let mut fields = head.split('\t');
        let (Some(name), Some("original" | "header"), Some(count), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(format!("bad entry line {head:?}"));
        };
        let count: usize = count.parse().map_err(|_| format!("bad line count in {head:?}"))?;
        let body: Vec<String> = lines.by_ref().take(count).map(str::to_owned).collect();
        if body.len() != count {
            return Err(format!("{name}: {count} lines expected, {} found", body.len()));
        }
        out.push(LicenseText { name: name.to_owned(), lines: body, exact: OnceLock::new() });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use spdx::detection::Store;

    /// The licence families kept (prefixes of SPDX ids): those found in distribution packages'
    /// copyright files, about 250 of the list's 700 texts. A text of a licence outside them gives
    /// no licence (never another one: the threshold holds either way).
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

    /// Whether the licence `name` is kept: of [`MATCHED_FAMILIES`], and a current SPDX id (the
    /// deprecated `GPL-3.0-with-GCC-exception` and its kind are left out: their replacement
    /// would be an expression with an exception the text does not pin down), or a deprecated
    /// `+` form, which the matcher writes as `-or-later`.
    fn kept(name: &str) -> bool {
        let current = |id: &str| spdx::license_id(id).is_some_and(|l| !l.is_deprecated());
        MATCHED_FAMILIES.iter().any(|f| name.starts_with(f))
            && (current(name) || name.strip_suffix('+').is_some_and(|base| spdx::license_id(base).is_some()))
    }

    /// The file, as the crate's cache gives it.
    fn from_crate() -> String {
        let store = Store::load_inline().expect("the crate's cache loads");
        let mut names: Vec<_> = store.iter().filter(|(name, _)| kept(name)).collect();
        names.sort_by(|a, b| a.0.cmp(b.0));
        let mut out = String::new();
        for (name, entry) in names {
            let texts =
                std::iter::once((&entry.original, "original")).chain(entry.headers.iter().map(|h| (h, "header")));
            for (data, kind) in texts {
                out.push_str(&format!("{name}\t{kind}\t{}\n", data.lines().len()));
                for line in data.lines() {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        out
    }

    /// The file holds exactly the crate's lines of the kept licences (run with
    /// `MICROSCANNER_WRITE_LICENSE_TEXTS=1` to write it anew after a crate update), and the data
    /// made from each text's lines has the same word pairs as the crate's own.
    #[test]
    fn license_texts_are_current() {
        let expected = from_crate();
        if std::env::var_os("MICROSCANNER_WRITE_LICENSE_TEXTS").is_some() {
            let compressed = zstd::encode_all(expected.as_bytes(), 19).unwrap();
            #[allow(clippy::disallowed_methods)] // the test writes the file it checks, when asked to
            std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/data/license-texts.zst"), compressed).unwrap();
            return;
        }
        let mut ours = String::new();
        std::io::Read::read_to_string(&mut zstd::Decoder::new(COMPRESSED).unwrap(), &mut ours).unwrap();
        assert!(
            ours == expected,
            "data/license-texts.zst is not the crate's: run with MICROSCANNER_WRITE_LICENSE_TEXTS=1"
        );
        let store = Store::load_inline().unwrap();
        let texts = license_texts().unwrap();
        assert!(texts.len() > 250, "{}", texts.len());
        for text in texts {
            let entry = store.iter().find(|(name, _)| **name == text.name).unwrap().1;
            let theirs = std::iter::once(&entry.original).chain(&entry.headers);
            assert!(theirs.into_iter().any(|t| t.ngram_matches(text.data())), "{}", text.name);
        }
    }

    #[test]
    fn a_damaged_file_is_an_error() {
        let damaged = zstd::encode_all(&b"MIT\toriginal\t3\nonly one line\n"[..], 1).unwrap();
        assert!(parse(&damaged).unwrap_err().contains("3 lines expected"));
        assert!(parse(b"not zstd").is_err());
    }
}
