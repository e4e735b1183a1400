//! The records an importer produces and the database stores.
//!
//! These are plain data: importers build them from feed bytes, [`crate::Builder`] writes them, and
//! [`crate::Database`] reads them back for the matcher.

use serde::{Deserialize, Serialize};

/// One advisory: an OSV record, a DSA/DLA, a CVE seen by the Debian tracker, NVD, Alpine...
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    /// Its identifier (`PYSEC-2021-98`, `DSA-5380-1`, `CVE-2023-1393`).
    pub id: String,
    /// Other identifiers of the same issue (`CVE-...`, `GHSA-...`).
    pub aliases: Vec<String>,
    /// Identifiers of related but different issues (OSV `related`, OSV `upstream`).
    pub related: Vec<String>,
    /// A one-line summary.
    pub summary: Option<String>,
    /// The long description.
    pub details: Option<String>,
    /// When it was published (RFC 3339 or the feed's own date form).
    pub published: Option<String>,
    /// When it was last modified.
    pub modified: Option<String>,
    /// When it was withdrawn, if it was.
    pub withdrawn: Option<String>,
    /// Links (advisory pages, fixes, reports).
    pub references: Vec<Reference>,
    /// Weakness identifiers (`CWE-79`).
    pub cwes: Vec<String>,
    /// The feed it came from (`osv`, `debian-dsa`, `nvd`, ...).
    pub source: String,
}

/// A link of an advisory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// OSV reference type (`ADVISORY`, `FIX`, `WEB`, ...), or `WEB` when the feed has none.
    pub kind: String,
    /// The address.
    pub url: String,
}

/// One affected package of an advisory, keyed by (ecosystem, name).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    /// The advisory this belongs to.
    pub advisory_id: String,
    /// The OSV ecosystem, kept as published (`PyPI`, `Debian:12`, `Alpine:v3.19`, `crates.io`).
    pub ecosystem: String,
    /// The package name in that ecosystem (for Debian and Ubuntu, the source package).
    pub name: String,
    /// The package URL, when the feed gives one.
    pub purl: Option<String>,
    /// The OSV `ranges` array, verbatim (`[{"type":"ECOSYSTEM","events":[...]}]`).
    pub ranges: serde_json::Value,
    /// The OSV `versions` list: explicitly affected versions.
    pub versions: Vec<String>,
    /// OSV `ecosystem_specific` and `database_specific` (object with both keys, or `null`).
    pub extra: serde_json::Value,
}

/// Kinds of severity rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SeverityKind {
    /// CVSS version 2 vector.
    CvssV2,
    /// CVSS version 3.0 or 3.1 vector.
    CvssV3,
    /// CVSS version 4.0 vector.
    CvssV4,
    /// A vendor's own word (Debian urgency, Ubuntu priority, GHSA severity).
    Vendor,
}

impl SeverityKind {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CvssV2 => "CVSS_V2",
            Self::CvssV3 => "CVSS_V3",
            Self::CvssV4 => "CVSS_V4",
            Self::Vendor => "VENDOR",
        }
    }

    /// Parses a stored name (also OSV's `CVSS_V3` etc.).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "CVSS_V2" => Some(Self::CvssV2),
            "CVSS_V3" => Some(Self::CvssV3),
            "CVSS_V4" => Some(Self::CvssV4),
            "VENDOR" => Some(Self::Vendor),
            _ => None,
        }
    }
}

/// A severity rating of an advisory, from one source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeverityRating {
    /// The advisory it rates.
    pub advisory_id: String,
    /// What kind of rating this is.
    pub kind: SeverityKind,
    /// The CVSS vector, or the vendor's word (`high`, `unimportant`, `not yet assigned`).
    pub value: String,
    /// The base score (from the feed, or computed from the vector).
    pub score: Option<f64>,
    /// Who rated it (`nvd@nist.gov`, `osv`, `debian`, a CNA's address).
    pub source: String,
    /// Where it applies, when it is a per-release rating (`Debian:12`); empty otherwise.
    pub scope: String,
}

/// Fix state of a package in one distro release.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FixState {
    /// Fixed in `fixed_version`.
    Fixed,
    /// Affected, no fix yet.
    Unfixed,
    /// Affected, the distro will not fix it (Debian `ignored`, `no-dsa`).
    WontFix,
    /// Affected, fix postponed to a later point release (Debian `postponed`).
    Postponed,
    /// The release (or the package in it) is out of support.
    EndOfLife,
    /// Not affected.
    NotAffected,
    /// The distro has not decided yet (Debian `undetermined`).
    Undetermined,
}

impl FixState {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fixed => "fixed",
            Self::Unfixed => "unfixed",
            Self::WontFix => "wont-fix",
            Self::Postponed => "postponed",
            Self::EndOfLife => "end-of-life",
            Self::NotAffected => "not-affected",
            Self::Undetermined => "undetermined",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Fixed,
            Self::Unfixed,
            Self::WontFix,
            Self::Postponed,
            Self::EndOfLife,
            Self::NotAffected,
            Self::Undetermined,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// The fix status of a package for an advisory in one distro release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixStatus {
    /// The advisory.
    pub advisory_id: String,
    /// The release as an OSV ecosystem (`Debian:11`, `Alpine:v3.11`).
    pub ecosystem: String,
    /// The (source) package name.
    pub name: String,
    /// The state.
    pub state: FixState,
    /// The version that fixes it, when there is one.
    pub fixed_version: Option<String>,
    /// The vendor's urgency word (`low`, `high**`, `unimportant`), if any.
    pub urgency: Option<String>,
    /// Why (Debian's `nodsa_reason`, a list note).
    pub note: Option<String>,
}

/// An entry of CISA's Known Exploited Vulnerabilities catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KevEntry {
    /// The CVE.
    pub cve_id: String,
    /// When CISA added it (`2025-08-25`).
    pub date_added: Option<String>,
    /// The remediation due date.
    pub due_date: Option<String>,
    /// `Known` or `Unknown`.
    pub ransomware: Option<String>,
    /// Vendor or project.
    pub vendor: Option<String>,
    /// Product.
    pub product: Option<String>,
    /// CISA's name of the vulnerability.
    pub name: Option<String>,
}

/// An EPSS score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpssScore {
    /// The CVE.
    pub cve_id: String,
    /// Probability of exploitation in the next 30 days, 0..1.
    pub score: f64,
    /// Percentile, when the layout has it.
    pub percentile: Option<f64>,
    /// The score date, when the file says.
    pub date: Option<String>,
}

/// Everything one importer produced from one input.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Records {
    /// Advisories (merged by id with others on write).
    pub advisories: Vec<Advisory>,
    /// Affected packages.
    pub affected: Vec<Affected>,
    /// Severity ratings.
    pub severities: Vec<SeverityRating>,
    /// Per-release fix states.
    pub fix_statuses: Vec<FixStatus>,
    /// KEV entries.
    pub kev: Vec<KevEntry>,
    /// EPSS scores.
    pub epss: Vec<EpssScore>,
    /// True when each advisory here is a complete document (OSV, NVD): the same id again from the
    /// same source in a later batch is then a duplicate and skipped. False for feeds that spread one
    /// advisory over many files (a CVE in each Alpine release file), whose parts are merged.
    pub complete: bool,
}

impl Records {
    /// Appends another batch.
    pub fn extend(&mut self, other: Self) {
        self.advisories.extend(other.advisories);
        self.affected.extend(other.affected);
        self.severities.extend(other.severities);
        self.fix_statuses.extend(other.fix_statuses);
        self.kev.extend(other.kev);
        self.epss.extend(other.epss);
        self.complete &= other.complete;
    }

    /// How many top-level records this holds (advisories, KEV entries and EPSS scores).
    pub fn record_count(&self) -> usize {
        self.advisories.len() + self.kev.len() + self.epss.len()
    }

    /// True when nothing was produced.
    pub fn is_empty(&self) -> bool {
        self.record_count() == 0 && self.affected.is_empty() && self.severities.is_empty()
    }
}
