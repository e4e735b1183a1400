//! CBL-Mariner and Azure Linux advisories from Microsoft's OVAL (`cbl-mariner-2.0-oval.xml`,
//! `azurelinux-3.0-oval.xml` of github.com/microsoft/AzureLinuxVulnerabilityData), read by the
//! shared [`crate::oval`] reader.
//!
//! # Records
//!
//! A definition is one CVE in one package: an advisory under the CVE (source [`SOURCE`]; title,
//! description, date, the CVE's NVD page) with one affected entry whose range comes from the
//! package's checks: `less than EVR` → `fixed` (a `fixed` state), `less than or equal EVR` (no
//! patch yet, `<patchable>false`) → `last_affected` (an `unfixed` state), `greater than` /
//! `greater than or equal EVR` → `introduced` (an exclusive `greater than` bound becomes an
//! inclusive `introduced`: the one version at the bound itself is counted as affected). The
//! definition's `<severity>` (`Critical`, `High`...) is the vendor's per-package rating (rater
//! [`RATER`]). Definitions whose `<patchable>` is `Not Applicable` ("no longer is or was never
//! applicable") give nothing.
//!
//! # Releases
//!
//! The release is told by the rpm dist tag of the versions, as the packages carry it: `.cm1` →
//! `CBL-Mariner:1.0`, `.cm2` → `CBL-Mariner:2.0`, `.azl3` → `Azure Linux:3.0`, the ecosystems
//! `model::distro` maps os-release `ID=mariner VERSION_ID=2.0` and `ID=azurelinux VERSION_ID=3.0`
//! to. A definition whose versions carry no known tag is a diagnostic.

use std::collections::BTreeSet;
use std::io::{BufRead, Read};

use microscanner_model::Diagnostic;

use crate::oval::{self, Advisories, Entry, Meta, Node, Op, Pick};
use crate::{FeedError, Import, Out, Sink};

/// Source name of the advisories.
pub const SOURCE: &str = "azurelinux-oval";
/// Who rates: the name stored with the severity words.
pub const RATER: &str = "azurelinux";

/// True when a file name is Microsoft's OVAL (`cbl-mariner-2.0-oval.xml`,
/// `azurelinux-3.0-oval.xml`, and vunnel's truncated samples).
pub fn is_mariner_name(name: &str) -> bool {
    let name = name.rsplit(['/', '\\']).next().unwrap_or(name).to_ascii_lowercase();
    name.ends_with("-oval.xml")
        && (name.contains("mariner") || name.contains("azurelinux") || name.contains("azure-linux"))
}

/// Imports one Mariner / Azure Linux OVAL document held in memory.
pub fn parse(bytes: &[u8], location: &str) -> Result<Import, FeedError> {
    oval::parse_with(read, bytes, location)
}

/// Imports a Mariner / Azure Linux OVAL file, its records handed to `sink` in chunks once the
/// document has been read whole.
pub fn import_file<F: Read>(location: &str, file: F, sink: &mut dyn Sink) -> Result<Import, FeedError> {
    oval::import_with(read, location, file, sink)
}

/// The ecosystem of a version's dist tag (`1.20.7-1.cm2` → `CBL-Mariner:2.0`).
pub fn ecosystem_of_version(evr: &str) -> Option<&'static str> {
    let tag = evr.rsplit('.').next()?;
    Some(match tag {
        "cm1" => "CBL-Mariner:1.0",
        "cm2" => "CBL-Mariner:2.0",
        "azl3" => "Azure Linux:3.0",
        _ => return None,
    })
}

/// One package's checks: name, ecosystem, introduced, fixed, last affected.
type Bounds = (String, Option<&'static str>, Option<String>, Option<String>, Option<String>);

/// Every leaf is a candidate: each definition checks one package.
fn pick(_: &Meta, root: Option<&Node>, out: &mut Vec<Pick>) {
    fn walk(n: &Node, out: &mut Vec<Pick>) {
        match n {
            Node::Criteria { children, .. } => children.iter().for_each(|c| walk(c, out)),
            Node::Criterion { test_ref, .. } => {
                out.push(Pick { context: String::new(), test_ref: test_ref.clone(), known: None });
            }
        }
    }
    if let Some(r) = root {
        walk(r, out);
    }
}

fn read(input: &mut dyn BufRead, location: &str, out: &mut Out<'_>) -> Result<(), FeedError> {
    let doc = oval::read(input, location, &mut pick)?;
    out.import.diagnostics.extend(doc.diagnostics);
    out.import.timestamp = doc.timestamp.as_deref().map(crate::oracle::normalize_timestamp);
    let mut not_applicable = 0usize;
    for (meta, checks) in &doc.definitions {
        if meta.patchable.eq_ignore_ascii_case("not applicable") {
            not_applicable += 1;
            continue;
        }
        let cves = oval::cves(meta);
        let at = format!("{location}: {}", cves.first().map_or_else(|| oval::clip(&meta.id), Clone::clone));
        let mut notes = meta.notes.clone();
        let mut by_name: Vec<Bounds> = Vec::new();
        for c in checks {
            let i = match by_name.iter().position(|b| b.0 == c.name) {
                Some(i) => i,
                None => {
                    by_name.push((c.name.clone(), None, None, None, None));
                    by_name.len() - 1
                }
            };
            let slot = &mut by_name[i];
            let evr = oval::drop_zero_epoch(&c.evr).to_owned();
            if slot.1.is_none() {
                slot.1 = ecosystem_of_version(&evr);
            }
            match c.op {
                Op::Greater | Op::GreaterOrEqual => slot.2 = Some(evr),
                Op::Less => slot.3 = Some(evr),
                Op::LessOrEqual => slot.4 = Some(evr),
                Op::Equal => notes.push(format!("{} has an \"equals\" check; skipped", oval::clip(&c.name))),
            }
        }
        let mut entries = BTreeSet::new();
        for (name, ecosystem, introduced, fixed, last) in by_name {
            let Some(ecosystem) = ecosystem else {
                notes.push(format!("{} has no CBL-Mariner or Azure Linux dist tag; skipped", oval::clip(&name)));
                continue;
            };
            if fixed.is_none() && last.is_none() {
                notes.push(format!("{} has no upper bound; skipped", oval::clip(&name)));
                continue;
            }
            entries.insert(Entry {
                ecosystem: ecosystem.to_owned(),
                name,
                introduced: introduced.unwrap_or_else(|| "0".into()),
                last_affected: if fixed.is_some() { None } else { last },
                fixed,
            });
        }
        if cves.is_empty() {
            notes.push("no CVE reference; skipped".to_owned());
        }
        if !notes.is_empty() {
            out.import.diagnostics.push(Diagnostic::warning(&at, notes.join("; ")));
        }
        if entries.is_empty() || cves.is_empty() {
            continue;
        }
        let url = meta.references.iter().find(|r| cves.contains(&r.id) && !r.url.is_empty()).map(|r| r.url.as_str());
        let advisories = Advisories {
            ids: &cves,
            related: None,
            meta,
            url,
            source: SOURCE,
            severity: oval::severity_word(meta),
            rater: RATER,
            purl_namespace: "azurelinux",
        };
        let entries: Vec<Entry> = entries.into_iter().collect();
        oval::emit(&mut out.import.records, &advisories, &entries);
        out.record_done()?;
    }
    if not_applicable > 0 {
        let what = format!("{not_applicable} definitions marked \"Not Applicable\" (not affected); skipped");
        out.import.diagnostics.push(Diagnostic::info(location, what));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dist_tags() {
        assert_eq!(ecosystem_of_version("1.20.7-1.cm2"), Some("CBL-Mariner:2.0"));
        assert_eq!(ecosystem_of_version("1.19.0.cm2"), Some("CBL-Mariner:2.0"));
        assert_eq!(ecosystem_of_version("2.38-3.azl3"), Some("Azure Linux:3.0"));
        assert_eq!(ecosystem_of_version("1.0-1.el8"), None);
        assert!(is_mariner_name("cbl-mariner-2.0-oval.xml"));
        assert!(is_mariner_name("azure-linux-truncated-3.0-oval.xml"));
        assert!(!is_mariner_name("com.oracle.elsa-all.xml"));
    }
}
