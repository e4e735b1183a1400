//! The ignore file (`--ignore-file`, conventionally `.microscanner-ignore.yaml`): findings a team
//! has decided to accept, each with a reason and, ideally, an expiry date.
//!
//! ```yaml
//! # either a list of entries, or a mapping with the list under `ignore:`
//! ignore:
//!   - id: CVE-2023-0286              # required: the finding's id or any alias (case-insensitive)
//!     package: libssl1.1             # optional: package name (or source package), `*` wildcards
//!     purl: pkg:deb/debian/libssl1.1 # optional: purl; parts given must match, or a `*` glob
//!     paths: ["/usr/lib/**"]         # optional: location glob, or a list of them
//!     reason: not reachable from the app      # recommended: why it is accepted
//!     expires: 2026-12-31            # optional: stops applying after this day
//! ```
//!
//! An entry hides every finding that all its given conditions match:
//! - `id`: equals the finding's id or one of its aliases, ignoring case (no wildcards: an entry
//!   is about one vulnerability).
//! - `package`: the package name or its source package name (`openssl` covers `libssl3`),
//!   ignoring case; `*` matches any run of characters (`libssl*`).
//! - `purl`: without `*`, a package URL compared part by part: type, namespace and name must be
//!   equal (ignoring case), the version only when the pattern gives one, and qualifiers only
//!   those both sides carry (`pkg:deb/debian/libssl1.1` covers every version and architecture;
//!   `pkg:npm/foo` does not cover `pkg:npm/foobar`). With `*`, a glob over the finding's purl as
//!   the report writes it, or percent-decoded (`pkg:maven/org.apache.logging.log4j/*`;
//!   `pkg:deb/debian/libssl1.1@*+deb11u*` and `...@*%2Bdeb11u*` both work).
//! - `paths`: the finding's location (the file the package was found in) or one of its parent
//!   directories matches one of the globs: `*` and `?` stay within one path segment, `**`
//!   crosses segments, and a leading `/` or `./` is ignored (`opt/venv` covers everything under
//!   `/opt/venv`).
//! - `expires`: a date `YYYY-MM-DD`. The entry applies up to and including that day; after it,
//!   the entry no longer hides anything and the policy adds a warning naming the file and entry.
//! - `reason`: free text, copied into the suppressed finding; an entry without one gets an
//!   informational note when it is used.
//!
//! Any other key is an error naming the key; a bad date or purl is an error naming the entry.
//!
//! A plain list of ids, as Trivy's `.trivyignore`, is read too: one id per line, `#` comments, and
//! optionally `exp:YYYY-MM-DD` after the id. The comment lines just above an id become its reason.
//!
//! ```text
//! # not reachable: we never parse untrusted certificates
//! CVE-2023-0286
//! GHSA-xxxx-yyyy-zzzz exp:2026-12-31
//! ```

use std::fmt;

use microscanner_model::Finding;
use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use time::Date;
use time::macros::format_description;

use super::PolicyError;
use super::glob;
use super::purl::ParsedPurl;

/// One entry of the ignore file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreEntry {
    /// Its position in the file, from 1 (for messages).
    pub index: usize,
    /// The vulnerability id or alias it is about.
    pub id: String,
    /// The package name pattern, if any.
    pub package: Option<String>,
    /// The purl pattern, if any.
    pub purl: Option<String>,
    /// Location globs; empty means any location.
    pub paths: Vec<String>,
    /// Why the finding is accepted.
    pub reason: Option<String>,
    /// The last day the entry applies.
    pub expires: Option<Date>,
}

impl IgnoreEntry {
    /// `entry 3 (CVE-2023-0286)`, for messages.
    pub fn label(&self) -> String {
        format!("entry {} ({})", self.index, self.id)
    }

    /// True when the entry no longer applies on `today` (its `expires` day is before it).
    pub fn is_expired(&self, today: Date) -> bool {
        self.expires.is_some_and(|d| d < today)
    }

    /// True when every condition of the entry matches `finding` (expiry is not checked here).
    pub fn matches(&self, finding: &Finding) -> bool {
        finding.ids().any(|id| id.eq_ignore_ascii_case(&self.id))
            && self.package.as_deref().is_none_or(|p| {
                name_matches(p, &finding.package.name)
                    || finding.package.source_name.as_deref().is_some_and(|s| name_matches(p, s))
            })
            && self.purl.as_deref().is_none_or(|p| purl_matches(p, &finding.package.purl))
            && (self.paths.is_empty() || self.paths.iter().any(|p| path_matches(p, &finding.package.location)))
    }
}

fn name_matches(pattern: &str, name: &str) -> bool {
    if glob::has_wildcard(pattern) {
        glob::matches(&pattern.to_lowercase(), &name.to_lowercase(), false)
    } else {
        pattern.eq_ignore_ascii_case(name)
    }
}

fn purl_matches(pattern: &str, purl: &str) -> bool {
    if pattern.contains('*') {
        // the purl as written (`%2B`) or decoded (`+`): a pattern may spell it either way
        let pattern = pattern.to_lowercase();
        let purl = purl.to_lowercase();
        return glob::matches_star_only(&pattern, &purl)
            || glob::matches_star_only(&pattern, &super::purl::decode(&purl));
    }
    match (ParsedPurl::parse(pattern), ParsedPurl::parse(purl)) {
        (Some(pattern), Some(purl)) => pattern.covers(&purl),
        _ => false,
    }
}

fn normalise_path(p: &str) -> &str {
    let mut p = p.trim();
    while let Some(rest) = p.strip_prefix("./").or_else(|| p.strip_prefix('/')) {
        p = rest;
    }
    p
}

fn path_matches(pattern: &str, location: &str) -> bool {
    let pattern = normalise_path(pattern).trim_end_matches('/');
    let location = normalise_path(location);
    if pattern.is_empty() {
        return true;
    }
    // the location itself, then each parent directory
    let mut candidates = vec![location];
    candidates.extend(location.match_indices('/').map(|(i, _)| &location[..i]));
    candidates.into_iter().any(
        |c| {
            if glob::has_wildcard(pattern) { glob::matches(pattern, c, true) } else { pattern == c }
        },
    )
}

/// The ignore file: its entries, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreFile {
    /// The file it was read from (for messages and `Suppression::source`).
    pub source: String,
    /// The entries.
    pub entries: Vec<IgnoreEntry>,
}

/// One entry as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    id: String,
    #[serde(default)]
    package: Option<String>,
    #[serde(default)]
    purl: Option<String>,
    #[serde(default, deserialize_with = "one_or_many")]
    paths: Vec<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    expires: Option<String>,
}

/// The file as written: a list of entries, or `{ignore: [entries]}`.
struct RawFile(Vec<RawEntry>);

impl<'de> Deserialize<'de> for RawFile {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FileVisitor;

        impl<'de> Visitor<'de> for FileVisitor {
            type Value = RawFile;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of ignore entries, or a mapping with the list under `ignore`")
            }

            fn visit_unit<E: de::Error>(self) -> Result<RawFile, E> {
                Ok(RawFile(Vec::new()))
            }

            fn visit_none<E: de::Error>(self) -> Result<RawFile, E> {
                Ok(RawFile(Vec::new()))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawFile, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = seq.next_element::<RawEntry>()? {
                    entries.push(entry);
                }
                Ok(RawFile(entries))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawFile, A::Error> {
                let mut entries = None;
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "ignore" if entries.is_none() => {
                            entries = Some(map.next_value::<Option<Vec<RawEntry>>>()?.unwrap_or_default());
                        }
                        "ignore" => return Err(de::Error::duplicate_field("ignore")),
                        other => return Err(de::Error::unknown_field(other, &["ignore"])),
                    }
                }
                Ok(RawFile(entries.unwrap_or_default()))
            }
        }

        deserializer.deserialize_any(FileVisitor)
    }
}

/// The one-line part of a YAML error (`line 2 column 3: unknown field ...`), without the
/// source snippet the parser appends (the binary prints one line per error).
fn yaml_message(full: &str) -> String {
    let first = full.lines().next().unwrap_or(full).trim();
    let first = first.strip_prefix("error:").unwrap_or(first).trim();
    format!("invalid ignore file: {first}")
}

/// `paths: /opt` or `paths: [/opt, /usr]`.
fn one_or_many<'de, D: de::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    struct PathsVisitor;

    impl<'de> Visitor<'de> for PathsVisitor {
        type Value = Vec<String>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a path glob or a list of them")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Vec<String>, E> {
            Ok(vec![v.to_owned()])
        }

        fn visit_unit<E: de::Error>(self) -> Result<Vec<String>, E> {
            Ok(Vec::new())
        }

        fn visit_none<E: de::Error>(self) -> Result<Vec<String>, E> {
            Ok(Vec::new())
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
            let mut out = Vec::new();
            while let Some(p) = seq.next_element::<String>()? {
                out.push(p);
            }
            Ok(out)
        }
    }

    deserializer.deserialize_any(PathsVisitor)
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl IgnoreFile {
    /// Parses the YAML text of an ignore file read from `source` (a file name, for messages).
    /// An empty file has no entries.
    pub fn parse(text: &str, source: &str) -> Result<Self, PolicyError> {
        let invalid = |message: String| PolicyError::IgnoreFile { file: source.to_owned(), message };
        let blank = text.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'));
        let raw = if blank {
            Vec::new()
        } else if let Some(plain) = plain_list(text) {
            plain
        } else {
            serde_saphyr::from_str::<RawFile>(text).map_err(|e| invalid(yaml_message(&e.to_string())))?.0
        };
        let mut entries = Vec::with_capacity(raw.len());
        for (i, raw) in raw.into_iter().enumerate() {
            let index = i + 1;
            let id = raw.id.trim().to_owned();
            if id.is_empty() {
                return Err(invalid(format!("entry {index}: `id` is empty")));
            }
            let label = format!("entry {index} ({id})");
            let expires = match non_empty(raw.expires) {
                Some(s) => Some(Date::parse(&s, format_description!("[year]-[month]-[day]")).map_err(|_| {
                    invalid(format!("{label}: `expires` {s:?} is not a date (expected YYYY-MM-DD, e.g. 2026-12-31)"))
                })?),
                None => None,
            };
            let purl = non_empty(raw.purl);
            if let Some(p) = &purl
                && !p.contains('*')
                && ParsedPurl::parse(p).is_none()
            {
                return Err(invalid(format!(
                    "{label}: `purl` {p:?} is not a package URL (pkg:TYPE/NAMESPACE/NAME[@VERSION]) nor a `*` pattern"
                )));
            }
            let paths: Vec<String> =
                raw.paths.into_iter().map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()).collect();
            entries.push(IgnoreEntry {
                index,
                id,
                package: non_empty(raw.package),
                purl,
                paths,
                reason: non_empty(raw.reason),
                expires,
            });
        }
        Ok(Self { source: source.to_owned(), entries })
    }
}

/// The entries of a `.trivyignore`-style plain list, or `None` when `text` is not one (some
/// line is neither blank, a comment, nor `ID [exp:DATE]`: then it is read as YAML).
fn plain_list(text: &str) -> Option<Vec<RawEntry>> {
    let mut entries = Vec::new();
    let mut comments: Vec<&str> = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            comments.clear();
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            comments.push(comment.trim());
            continue;
        }
        let content = line.split_once(" #").map_or(line, |(before, _)| before).trim();
        let mut words = content.split_whitespace();
        let id = words.next()?;
        let id_like = id.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && id.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !id_like {
            return None;
        }
        let mut expires = None;
        for word in words {
            expires = Some(word.strip_prefix("exp:")?.to_owned());
        }
        let reason = comments.iter().copied().filter(|c| !c.is_empty()).collect::<Vec<_>>().join(" ");
        comments.clear();
        entries.push(RawEntry { id: id.to_owned(), reason: Some(reason), expires, ..RawEntry::default() });
    }
    Some(entries)
}

#[cfg(test)]
mod tests {
    use super::path_matches;

    #[test]
    fn a_trivyignore_plain_list_is_read() {
        let text =
            "# accepted: not reachable\nCVE-2023-0286\n\nGHSA-abcd-efgh-ijkl exp:2026-12-31 # until the upgrade\n";
        let file = super::IgnoreFile::parse(text, ".trivyignore").unwrap();
        assert_eq!(file.entries.len(), 2);
        assert_eq!(file.entries[0].id, "CVE-2023-0286");
        assert_eq!(file.entries[0].reason.as_deref(), Some("accepted: not reachable"));
        assert_eq!(file.entries[1].id, "GHSA-abcd-efgh-ijkl");
        assert_eq!(file.entries[1].reason, None);
        assert_eq!(file.entries[1].expires.map(|d| d.to_string()).as_deref(), Some("2026-12-31"));
        let bad = super::IgnoreFile::parse("CVE-2023-0286 exp:soon\n", ".trivyignore").unwrap_err();
        assert!(bad.to_string().contains("soon"), "{bad}");
    }

    #[test]
    fn paths_cover_parents() {
        let loc = "/opt/venv/lib/python3.9/site-packages/Django-2.2.dist-info/METADATA";
        assert!(path_matches("/opt/venv", loc));
        assert!(path_matches("opt/venv/", loc));
        assert!(path_matches("./opt/*", loc));
        assert!(path_matches("**/Django-*.dist-info", loc));
        assert!(path_matches(loc, loc));
        assert!(!path_matches("/opt/ven", loc));
        assert!(!path_matches("/usr/**", loc));
    }
}
