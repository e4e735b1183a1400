//! Photon OS advisories from VMware's per-release CVE metadata
//! (`https://packages.vmware.com/photon/photon_cve_metadata/cve_data_photon<N>.json`): a JSON
//! list of `{cve_id, pkg, cve_score, aff_ver, res_ver, status}`, one entry per CVE and package.
//!
//! # Records
//!
//! The release comes from the file name only (`cve_data_photon4.0.json` → `Photon OS:4.0`, the
//! ecosystem `model::distro` maps os-release `ID=photon VERSION_ID=4.0` to, and OSV's). Each CVE
//! (or BDSA id) is an advisory of source [`SOURCE`]; each of its entries is one package:
//! - `status: "Fixed"` with a `res_ver` (`7.88.1-4.ph4`): affected below that version (an rpm
//!   EVR, compared by rpm's rules), and a `fixed` state;
//! - `status: "Not Affected"`: a `not_affected` state and no affected range;
//! - any other status (`Unfixed`, `In Progress`...): affected in every version, `unfixed`;
//! - `Fixed` without a usable version (`NA`, empty): skipped with a diagnostic, never guessed.
//!
//! `cve_score` (a CVSS base score without its vector) is kept as the vendor's rating (rater
//! [`RATER`]): the CVSS v3 band of the score as the word, the score beside it.

use std::collections::BTreeMap;

use microscanner_model::Diagnostic;
use microscanner_vulndb::{Affected, FixState, FixStatus, SeverityKind, SeverityRating};
use serde::Deserialize;
use serde_json::Value;

use crate::xml::token;
use crate::{FeedError, Import, MAX_IDS, introduced_zero_range, linked_advisory};

/// Source name of the advisories.
pub const SOURCE: &str = "photon-cve";
/// Who rates: the name stored with the severity words.
pub const RATER: &str = "photon";
/// Where Photon lists its advisories (the CVE metadata has no per-entry link).
const ADVISORIES_URL: &str = "https://github.com/vmware/photon/wiki/Security-Advisories";
/// Most entries one file may hold (the real files hold tens of thousands).
const MAX_ENTRIES: usize = 2_000_000;

/// The Photon release of a CVE metadata file name (`cve_data_photon4.0.json` → `4.0`), if it is
/// one.
pub fn release_of_name(name: &str) -> Option<&str> {
    let name = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let release = name.strip_prefix("cve_data_photon")?.strip_suffix(".json")?;
    let numeric = !release.is_empty() && release.len() <= 8;
    (numeric && release.bytes().all(|b| b.is_ascii_digit() || b == b'.')).then_some(release)
}

/// One entry of the list. Every field is optional here: a missing or odd one is a diagnostic.
#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    cve_id: Option<String>,
    #[serde(default)]
    pkg: Option<String>,
    #[serde(default)]
    cve_score: Option<Value>,
    #[serde(default)]
    res_ver: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

/// One advisory's entries, grouped: the highest score, and each package with its state.
type Grouped = (Option<f64>, Vec<(String, State)>);

/// What one package's entry says.
enum State {
    Fixed(String),
    NotAffected,
    Unfixed,
}

/// Imports one `cve_data_photon<N>.json` (named `location`) held in memory.
pub fn parse(bytes: &[u8], location: &str) -> Result<Import, FeedError> {
    let lower = location.to_ascii_lowercase();
    let release = release_of_name(&lower)
        .ok_or_else(|| FeedError::malformed(location, "not named cve_data_photon<RELEASE>.json"))?;
    let ecosystem = format!("Photon OS:{release}");
    let entries: Vec<Entry> = serde_json::from_slice(bytes).map_err(|e| FeedError::malformed(location, e))?;
    if entries.len() > MAX_ENTRIES {
        return Err(FeedError::malformed(location, format!("more than {MAX_ENTRIES} entries")));
    }
    let mut import = Import::default();
    let mut by_id: BTreeMap<String, Grouped> = BTreeMap::new();
    for (n, entry) in entries.into_iter().enumerate() {
        match read_entry(entry) {
            Ok((id, package, score, state)) => {
                let (best, packages) = by_id.entry(id).or_default();
                *best = match (*best, score) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                };
                if packages.len() < MAX_IDS {
                    packages.push((package, state));
                }
            }
            Err(why) => import.diagnostics.push(Diagnostic::warning(location, format!("entry {}: {why}", n + 1))),
        }
    }
    for (id, (score, packages)) in by_id {
        add_advisory(&mut import, &ecosystem, &id, score, packages);
    }
    if import.records.advisories.is_empty() {
        import.diagnostics.push(Diagnostic::info(location, "no usable entry"));
    }
    Ok(import)
}

/// The advisory id, package, score and state of one entry, or why it is skipped.
fn read_entry(entry: Entry) -> Result<(String, String, Option<f64>, State), String> {
    let id = entry.cve_id.map(|s| s.trim().to_owned()).filter(|s| token(s)).ok_or("no usable cve_id")?;
    let package = entry.pkg.map(|s| s.trim().to_owned()).filter(|s| token(s)).ok_or("no usable pkg")?;
    let status = entry.status.unwrap_or_default();
    let fixed = entry.res_ver.map(|s| s.trim().to_owned()).filter(|v| token(v) && !v.eq_ignore_ascii_case("NA"));
    let state = match status.trim().to_ascii_lowercase().as_str() {
        "fixed" => State::Fixed(fixed.ok_or_else(|| format!("{id} {package}: Fixed without a version"))?),
        "not affected" => State::NotAffected,
        _ => State::Unfixed,
    };
    let score = entry.cve_score.as_ref().and_then(Value::as_f64).filter(|s| (0.0..=10.0).contains(s));
    Ok((id, package, score, state))
}

/// The records of one advisory: the advisory, then per package its range, fix state and rating.
fn add_advisory(import: &mut Import, ecosystem: &str, id: &str, score: Option<f64>, packages: Vec<(String, State)>) {
    let records = &mut import.records;
    records.advisories.push(linked_advisory(id, SOURCE, ADVISORIES_URL.to_owned()));
    for (name, state) in packages {
        let (state, fixed) = match state {
            State::Fixed(v) => (FixState::Fixed, Some(v)),
            State::NotAffected => (FixState::NotAffected, None),
            State::Unfixed => (FixState::Unfixed, None),
        };
        if state != FixState::NotAffected {
            records.affected.push(Affected {
                advisory_id: id.to_owned(),
                ecosystem: ecosystem.to_owned(),
                name: name.clone(),
                purl: Some(format!("pkg:rpm/photon/{name}")),
                ranges: introduced_zero_range(fixed.as_deref()),
                versions: Vec::new(),
                extra: Value::Null,
            });
        }
        if let Some(score) = score {
            records.severities.push(SeverityRating {
                advisory_id: id.to_owned(),
                kind: SeverityKind::Vendor,
                value: band(score).to_owned(),
                score: Some(score),
                source: RATER.to_owned(),
                scope: format!("{ecosystem}/{name}"),
            });
        }
        records.fix_statuses.push(FixStatus {
            advisory_id: id.to_owned(),
            ecosystem: ecosystem.to_owned(),
            name,
            state,
            fixed_version: fixed,
            urgency: None,
            note: None,
        });
    }
}

/// The CVSS v3 qualitative band of a base score.
fn band(score: f64) -> &'static str {
    match score {
        s if s >= 9.0 => "critical",
        s if s >= 7.0 => "high",
        s if s >= 4.0 => "medium",
        s if s > 0.0 => "low",
        _ => "none",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_from_the_file_name_only() {
        assert_eq!(release_of_name("x/cve_data_photon4.0.json"), Some("4.0"));
        assert_eq!(release_of_name("cve_data_photon5.0.json"), Some("5.0"));
        assert_eq!(release_of_name("cve_data_photon.json"), None);
        assert_eq!(release_of_name("cve_data_photon4.0;rm.json"), None);
    }

    #[test]
    fn bands() {
        assert_eq!((band(9.8), band(7.5), band(3.7), band(0.0)), ("critical", "high", "low", "none"));
    }
}
