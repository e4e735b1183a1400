//! The way to an rpm repository's `updateinfo.xml`, as `dnf` finds it: a `mirror.list` names the
//! repository's current address, whose `repodata/repomd.xml` names the updateinfo file. Amazon
//! Linux publishes its ALAS advisories only this way (`crate::amazon` reads the file itself).
//!
//! Both documents come from the network, so both are read with bounds: a `mirror.list` is a few
//! lines, a `repomd.xml` a few kilobytes; an address must be `http(s)` on the repository's own
//! hosts, and a location a plain relative path (no `..`, no scheme, no absolute path).

use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};

/// The most of a `mirror.list` we read.
pub const MAX_MIRROR_LIST: usize = 64 * 1024;
/// The most of a `repomd.xml` we read.
pub const MAX_REPOMD: usize = 4 * 1024 * 1024;

/// The repository address a `mirror.list` names first: the first line that is an `http(s)` URL
/// whose host is one of `hosts` (or ends with `.HOST`), with any trailing `/` removed. `None`
/// when there is none, or the list is over [`MAX_MIRROR_LIST`].
pub fn mirror_of(list: &[u8], hosts: &[&str]) -> Option<String> {
    if list.len() > MAX_MIRROR_LIST {
        return None;
    }
    let text = std::str::from_utf8(list).ok()?;
    text.lines().map(str::trim).find(|line| allowed(line, hosts)).map(|line| line.trim_end_matches('/').to_owned())
}

/// Whether `url` is `http(s)` on one of `hosts`, with no credentials, spaces or control characters.
fn allowed(url: &str, hosts: &[&str]) -> bool {
    let Some(rest) = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")) else { return false };
    let host = rest.split('/').next().unwrap_or_default();
    let clean = !url.chars().any(|c| c.is_whitespace() || c.is_control()) && !host.contains('@');
    clean && hosts.iter().any(|h| host.eq_ignore_ascii_case(h) || host.to_ascii_lowercase().ends_with(&format!(".{h}")))
}

/// The path of `url` (after its host), for fetching it from a mirror that keeps the upstream
/// paths: `https://cdn.amazonlinux.com/2/core/2.0/x86_64/abc` → `/2/core/2.0/x86_64/abc`.
pub fn path_of(url: &str) -> &str {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).unwrap_or(url);
    rest.find('/').map_or("", |i| &rest[i..])
}

/// Why a `repomd.xml` gave no updateinfo location.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RepomdError {
    /// Over [`MAX_REPOMD`].
    #[error("repomd.xml is over {MAX_REPOMD} bytes")]
    TooLarge,
    /// Not XML we can read.
    #[error("repomd.xml is not readable XML: {0}")]
    Xml(String),
    /// No `<data type="updateinfo">` with a location.
    #[error("repomd.xml names no updateinfo")]
    NoUpdateinfo,
    /// The location is not a plain relative path.
    #[error("repomd.xml's updateinfo location {0:?} is not a relative path inside the repository")]
    BadLocation(String),
}

/// The `href` of the `<location>` of the `<data type="updateinfo">` entry of a `repomd.xml`
/// (`repodata/<sum>-updateinfo.xml.gz`), relative to the repository address.
///
/// # Errors
/// When the document is too large or unreadable, names no updateinfo, or names it outside the
/// repository.
pub fn updateinfo_location(repomd: &[u8]) -> Result<String, RepomdError> {
    if repomd.len() > MAX_REPOMD {
        return Err(RepomdError::TooLarge);
    }
    let mut reader = Reader::from_reader(repomd);
    let mut buf = Vec::new();
    let mut in_updateinfo = false;
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|e| RepomdError::Xml(e.to_string()))?;
        match event {
            Event::Start(e) if e.local_name().as_ref() == b"data" => {
                in_updateinfo = attribute(&e, b"type").as_deref() == Some("updateinfo");
            }
            Event::End(e) if e.local_name().as_ref() == b"data" => in_updateinfo = false,
            Event::Start(e) | Event::Empty(e) if in_updateinfo && e.local_name().as_ref() == b"location" => {
                let href = attribute(&e, b"href").ok_or(RepomdError::NoUpdateinfo)?;
                return if is_relative_path(&href) { Ok(href) } else { Err(RepomdError::BadLocation(href)) };
            }
            Event::Eof => return Err(RepomdError::NoUpdateinfo),
            _ => {}
        }
        buf.clear();
    }
}

/// The unescaped value of attribute `name` of `e`.
fn attribute(e: &quick_xml::events::BytesStart<'_>, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .and_then(|a| a.normalized_value(XmlVersion::Implicit1_0).ok().map(|v| v.into_owned()))
}

/// A path inside the repository: relative, no `..`, no scheme, no control characters.
fn is_relative_path(href: &str) -> bool {
    !href.is_empty()
        && !href.starts_with('/')
        && !href.contains("://")
        && !href.contains('\\')
        && !href.chars().any(char::is_control)
        && href.split('/').all(|part| !part.is_empty() && part != "." && part != "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    const AMAZON: &[&str] = &["amazonlinux.com"];

    #[test]
    fn the_first_allowed_address_of_a_mirror_list() {
        let list = b"\n# mirrors\nhttps://evil.example/2/core/x\nhttps://cdn.amazonlinux.com/2/core/2.0/x86_64/6b02/\n";
        assert_eq!(mirror_of(list, AMAZON).as_deref(), Some("https://cdn.amazonlinux.com/2/core/2.0/x86_64/6b02"));
        assert_eq!(mirror_of(b"https://user@cdn.amazonlinux.com/x", AMAZON), None, "no credentials");
        assert_eq!(mirror_of(b"ftp://cdn.amazonlinux.com/x", AMAZON), None);
        assert_eq!(mirror_of(b"https://amazonlinux.com.evil.example/x", AMAZON), None);
        assert_eq!(mirror_of(&vec![b'a'; MAX_MIRROR_LIST + 1], AMAZON), None);
        assert_eq!(path_of("https://cdn.amazonlinux.com/2/core/2.0/x86_64/6b02"), "/2/core/2.0/x86_64/6b02");
    }

    #[test]
    fn the_updateinfo_location_of_real_repomd_files() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/fixtures/feeds-vuls-data-update-fixtures/pkg/fetch/amazon/testdata/fixtures");
        let read = |name: &str| std::fs::read(dir.join(name)).unwrap_or_default();
        let valid = read("repomd_valid.xml");
        assert!(!valid.is_empty(), "fixture missing");
        let href = updateinfo_location(&valid).unwrap_or_default();
        assert!(href.starts_with("repodata/") && href.ends_with("updateinfo.xml.gz"), "{href}");
        assert_eq!(updateinfo_location(&read("repomd_noupdateinfo.xml")), Err(RepomdError::NoUpdateinfo));
        assert!(updateinfo_location(&read("repomd_invalid.xml")).is_err());
    }

    #[test]
    fn locations_outside_the_repository_are_refused() {
        for href in ["../../etc/passwd", "/etc/passwd", "https://evil.example/u.xml.gz", "repodata//x", "a/./b"] {
            let doc = format!(r#"<repomd><data type="updateinfo"><location href="{href}"/></data></repomd>"#);
            assert_eq!(updateinfo_location(doc.as_bytes()), Err(RepomdError::BadLocation(href.to_owned())));
        }
        assert_eq!(updateinfo_location(&vec![b' '; MAX_REPOMD + 1]), Err(RepomdError::TooLarge));
    }
}
