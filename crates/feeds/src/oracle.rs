//! Oracle Linux security advisories (ELSA) from Oracle's OVAL (`com.oracle.elsa-all.xml`, the
//! per-year `com.oracle.elsa-YYYY.xml`), read by the shared [`crate::oval`] reader.
//!
//! # Records
//!
//! Each ELSA definition gives, per CVE it references (the ELSA id itself when it has none), an
//! advisory (source [`SOURCE`]; title, description, issue date and ELSA page; the ELSA id as a
//! related id) with, for every package check `NAME is earlier than EVR` (the criterion's comment,
//! which Oracle generates from the `rpminfo_state` `evr` `less than`), an affected entry "introduced `0`, fixed at `EVR`" (a `0:` epoch left out),
//! a `fixed` state and the ELSA severity (`important`, `moderate`...) as Oracle's per-package
//! rating (rater [`RATER`]).
//!
//! Architectures collapse to one entry per package: the lowest fixed version among them (and
//! among `OR` alternatives, such as Oracle's rebuild `110-1.0.1.el8` beside the upstream
//! `110-1.el8`). Oracle sometimes fixes one architecture at a later build (ELSA-2022-4803:
//! `rsyslog` `8.24.0-57.0.1.el7_9.3` on x86_64, `…57.0.4…` on aarch64); keeping the lowest never
//! reports a fixed x86_64 package, at the cost of missing an aarch64 package between the two
//! builds (a known gap: the rpm database's architecture is not compared).
//!
//! # Releases and Ksplice
//!
//! The release comes from the criterion "Oracle Linux N is installed" of the enclosing `AND`
//! (else from the definition's one `<platform>Oracle Linux N</platform>`): `Oracle Linux:N`, the
//! ecosystem `model::distro` maps os-release `ID="ol"` to. Oracle's Ksplice user-space packages
//! (a release containing `ksplice1`, as `2:1.1.1g-15.ksplice1.el8_3`) are a separate stream:
//! their fixes go to `Oracle Linux:N:ksplice1` (the label as it appears), and the matcher looks
//! a Ksplice package up there and an ordinary one in `Oracle Linux:N`. So a Ksplice fixed version
//! is never compared with an ordinary installed package, nor the other way round (Trivy's rule:
//! compare only when both or neither are ksplice; see
//! `microscanner_model::distro::oracle_ksplice_stream`). UEK kernels have their own package names
//! (`kernel-uek`), so they never meet the RHCK `kernel`'s fixes; the UEK generations (5, 6, 7)
//! share the name `kernel-uek`, and an ELSA for one generation is compared with another's
//! kernel (a known gap, in `docs/coverage.md`).

use std::collections::BTreeMap;
use std::io::{BufRead, Read};

use microscanner_model::Diagnostic;
use microscanner_model::distro::oracle_ksplice_stream;

use crate::oval::{self, Advisories, Entry, Meta, Node, Op, Pick};
use crate::{FeedError, Import, Out, Sink, xml};

/// Source name of the advisories.
pub const SOURCE: &str = "oracle-elsa";
/// Who rates: the name stored with the ELSA severity words.
pub const RATER: &str = "oracle";

/// True when a file name is Oracle's OVAL (`com.oracle.elsa-all.xml`, `com.oracle.elsa-2024.xml`).
pub fn is_elsa_name(name: &str) -> bool {
    let name = name.rsplit(['/', '\\']).next().unwrap_or(name).to_ascii_lowercase();
    name.starts_with("com.oracle.elsa-") && (name.ends_with(".xml") || name.ends_with(".xml.bz2"))
}

/// Imports one ELSA OVAL document held in memory.
pub fn parse(bytes: &[u8], location: &str) -> Result<Import, FeedError> {
    oval::parse_with(read, bytes, location)
}

/// Imports an ELSA OVAL file, its records handed to `sink` in chunks once the document has been
/// read whole (a malformed or truncated file gives an error and no records).
pub fn import_file<F: Read>(location: &str, file: F, sink: &mut dyn Sink) -> Result<Import, FeedError> {
    oval::import_with(read, location, file, sink)
}

/// The release `N` of "Oracle Linux N is installed" or "Oracle Linux N".
fn release_of(text: &str) -> Option<&str> {
    let rest = text.trim().strip_prefix("Oracle Linux ")?;
    let n = rest.split_whitespace().next()?;
    (!n.is_empty() && n.len() <= 4 && n.bytes().all(|b| b.is_ascii_digit())).then_some(n)
}

/// Picks the package checks, with the release they belong to as context.
fn pick(meta: &Meta, root: Option<&Node>, out: &mut Vec<Pick>) {
    let mut platforms = meta.platforms.iter().filter_map(|p| release_of(p));
    let fallback = match (platforms.next(), platforms.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    };
    if let Some(root) = root {
        walk(root, fallback, out);
    }
}

fn walk(node: &Node, release: Option<&str>, out: &mut Vec<Pick>) {
    let Node::Criteria { and, children } = node else {
        leaf(node, release, out);
        return;
    };
    let here = if *and {
        children.iter().find_map(|c| match c {
            Node::Criterion { comment, .. } => comment.strip_suffix(" is installed").and_then(release_of),
            Node::Criteria { .. } => None,
        })
    } else {
        None
    };
    let release = here.or(release);
    for c in children {
        walk(c, release, out);
    }
}

fn leaf(node: &Node, release: Option<&str>, out: &mut Vec<Pick>) {
    let Node::Criterion { test_ref, comment } = node else { return };
    // Only "NAME is earlier than EVR" leaves are package checks; the release, architecture,
    // signature and "is ksplice-based" leaves are not. The check is read from the comment, as
    // Trivy and vunnel read ELSA: Oracle generates it from the same `rpminfo_state` (and vunnel's
    // samples drop most tests and objects).
    let Some((name, evr)) = comment.split_once(" is earlier than ") else { return };
    let (name, evr) = (name.trim(), evr.trim());
    if !xml::token(name) || !xml::token(evr) {
        return;
    }
    // Without a release the check is kept with an empty context and reported when mapped.
    let context = release.map(str::to_owned).unwrap_or_default();
    out.push(Pick { context, test_ref: test_ref.clone(), known: Some((name.to_owned(), Op::Less, evr.to_owned())) });
}

fn read(input: &mut dyn BufRead, location: &str, out: &mut Out<'_>) -> Result<(), FeedError> {
    let doc = oval::read(input, location, &mut pick)?;
    out.import.diagnostics.extend(doc.diagnostics);
    out.import.timestamp = doc.timestamp.as_deref().map(normalize_timestamp);
    if doc.definitions.is_empty() {
        out.import.diagnostics.push(Diagnostic::info(location, "no ELSA definition with a package check"));
    }
    for (meta, checks) in &doc.definitions {
        let elsa = meta
            .references
            .iter()
            .find(|r| r.source.eq_ignore_ascii_case("elsa"))
            .map(|r| (r.id.clone(), r.url.clone()))
            .or_else(|| {
                let id = meta.title.split(':').next().unwrap_or("").trim();
                (id.starts_with("ELSA-") && xml::token(id)).then(|| (id.to_owned(), elsa_url(id)))
            });
        let Some((elsa, url)) = elsa else {
            let what = format!("definition {} has no ELSA id; skipped", oval::clip(&meta.id));
            out.import.diagnostics.push(Diagnostic::warning(location, what));
            continue;
        };
        let at = format!("{location}: {elsa}");
        let mut notes = meta.notes.clone();
        // (ecosystem, name) → the lowest fixed version among the architectures and the `OR`
        // alternatives (see the module documentation).
        let mut lowest: BTreeMap<(String, String), String> = BTreeMap::new();
        for c in checks {
            if c.op != Op::Less {
                notes.push(format!("{} has a {:?} check, not \"less than\"; skipped", oval::clip(&c.name), c.op));
                continue;
            }
            if c.context.is_empty() {
                notes.push(format!("{} has no Oracle Linux release; skipped", oval::clip(&c.name)));
                continue;
            }
            let fixed = oval::drop_zero_epoch(&c.evr).to_owned();
            let ecosystem = match oracle_ksplice_stream(&fixed) {
                Some(label) => format!("Oracle Linux:{}:{}", c.context, label.to_ascii_lowercase()),
                None => format!("Oracle Linux:{}", c.context),
            };
            let slot = lowest.entry((ecosystem, c.name.clone())).or_insert_with(|| fixed.clone());
            if microscanner_version::rpm::compare(&fixed, slot) == std::cmp::Ordering::Less {
                *slot = fixed;
            }
        }
        let entries: Vec<Entry> = lowest
            .into_iter()
            .map(|((ecosystem, name), fixed)| Entry {
                ecosystem,
                name,
                introduced: "0".into(),
                fixed: Some(fixed),
                last_affected: None,
            })
            .collect();
        if entries.is_empty() {
            notes.push("no package check; nothing to match".to_owned());
        }
        if !notes.is_empty() {
            out.import.diagnostics.push(Diagnostic::warning(&at, notes.join("; ")));
        }
        if entries.is_empty() {
            continue;
        }
        let cves = oval::cves(meta);
        let ids = if cves.is_empty() { vec![elsa.clone()] } else { cves };
        let url = if url.is_empty() { elsa_url(&elsa) } else { url };
        let severity = oval::severity_word(meta);
        let advisories = Advisories {
            ids: &ids,
            related: Some(&elsa),
            meta,
            url: Some(&url),
            source: SOURCE,
            severity,
            rater: RATER,
            purl_namespace: "oracle",
        };
        oval::emit(&mut out.import.records, &advisories, &entries);
        out.record_done()?;
    }
    Ok(())
}

/// The ELSA page: `https://linux.oracle.com/errata/ELSA-2021-9151.html`.
fn elsa_url(id: &str) -> String {
    format!("https://linux.oracle.com/errata/{id}.html")
}

/// `2018-10-12T00:00:00` → `2018-10-12T00:00:00Z` (a zone kept when given).
pub(crate) fn normalize_timestamp(t: &str) -> String {
    let t = t.trim();
    let has_zone = t.ends_with('Z') || t.get(19..).is_some_and(|z| z.contains(['+', '-']));
    if t.len() >= 19 && !has_zone { format!("{t}Z") } else { t.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_and_names() {
        assert_eq!(release_of("Oracle Linux 8 is installed".strip_suffix(" is installed").unwrap()), Some("8"));
        assert_eq!(release_of("Oracle Linux 7"), Some("7"));
        assert_eq!(release_of("Oracle Linux arch is x86_64"), None);
        assert!(is_elsa_name("x/com.oracle.elsa-all.xml"));
        assert!(!is_elsa_name("com.oracle.olamsa-all.xml"));
        assert_eq!(normalize_timestamp("2018-10-12T00:00:00"), "2018-10-12T00:00:00Z");
    }
}
