//! Which rating sets a finding's severity, and the list of every rating known.
//!
//! Ratings come from the advisories of a finding's group that the database holds (the matched
//! advisories and their aliases, such as the CVE's NVD or Debian tracker record). Each falls in
//! one tier; the first tier that has a usable rating decides:
//!
//! | tier | OS packages | language packages |
//! |---|---|---|
//! | the distro's vendor word (Debian urgency, Ubuntu priority, the rpm advisory's `Important:`) | 1 | 6 |
//! | the matched advisories' own CVSS | 2 | 1 |
//! | the matched advisories' own vendor word (GHSA `database_specific.severity`) | 3 | 2 |
//! | NVD's CVSS (NVD's own, then the CNA's it publishes) | 4 | 5 |
//! | CVSS of alias advisories that did not match (a GHSA beside the PYSEC that did) | 5 | 3 |
//! | vendor words of those alias advisories | 6 | 4 |
//!
//! Within a tier CVSS v3 is preferred, then v4, then v2, then the vendor word; then NVD's own
//! rating before a CNA's; then the more severe. A rating only counts where it applies: a
//! per-release rating (`Debian:12/openssl`) only for that release and package. Words that rate
//! nothing (`not yet assigned`, `end-of-life`) and vectors without a score are left out.

use std::cmp::Ordering;

use microscanner_model::{Rating, RatingKind, Severity};
use microscanner_vulndb::{SeverityKind, cvss_base_score};

/// Raters whose vendor words are a distribution's own (tier 1 for OS packages): the Debian
/// tracker's urgencies, Amazon's ALAS severities (`microscanner_feeds::amazon::RATER`), Oracle's
/// ELSA severities (`oracle::RATER`), the Azure Linux / CBL-Mariner OVAL's (`mariner::RATER`),
/// Photon's CVE metadata scores (`photon::RATER`) and Red Hat's VEX impacts (`redhat::RATER`).
/// Their CVSS vectors, scoped to the release, count as the matched advisory's own.
const DISTRO_RATERS: &[&str] = &["debian", "amazon", "oracle", "azurelinux", "photon", "redhat"];

/// What a finding's ratings are chosen for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Context<'a> {
    /// An OS package (the distro's word comes first) or a language package.
    pub os: bool,
    /// The ecosystem looked up (`Debian:12`, `PyPI`).
    pub ecosystem: &'a str,
    /// The name looked up (the source package for Debian).
    pub name: &'a str,
}

/// One advisory's ratings.
#[derive(Debug, Clone, Copy)]
pub struct Rated<'a> {
    /// The advisory id.
    pub id: &'a str,
    /// Whether this advisory's affected entry matched the package (its ratings are its "own").
    pub matched: bool,
    /// Its ratings as stored.
    pub severities: &'a [microscanner_vulndb::SeverityRating],
    /// A distro word found outside the severities table (`Important` in an AlmaLinux or Rocky
    /// summary `Important: bind security update`), with the rater's name.
    pub distro_word: Option<(&'a str, &'a str)>,
}

/// The severity chosen and every rating, the chosen one first.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    /// The severity.
    pub severity: Severity,
    /// The rater of the chosen rating (`debian`, `osv`, `ghsa`, `nvd`, a CNA), or `none`.
    pub source: String,
    /// Every usable rating, in order of preference.
    pub ratings: Vec<Rating>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tier {
    DistroVendor,
    OwnCvss,
    OwnVendor,
    Nvd,
    AliasCvss,
    AliasVendor,
}

impl Tier {
    fn rank(self, os: bool) -> u8 {
        match (self, os) {
            (Self::DistroVendor, true) => 0,
            (Self::OwnCvss, true) => 1,
            (Self::OwnVendor, true) => 2,
            (Self::Nvd, true) => 3,
            (Self::AliasCvss, true) => 4,
            (Self::AliasVendor, true) => 5,
            (Self::OwnCvss, false) => 0,
            (Self::OwnVendor, false) => 1,
            (Self::AliasCvss, false) => 2,
            (Self::AliasVendor, false) => 3,
            (Self::Nvd, false) => 4,
            (Self::DistroVendor, false) => 5,
        }
    }
}

fn kind_rank(kind: RatingKind) -> u8 {
    match kind {
        RatingKind::CvssV3 => 0,
        RatingKind::CvssV4 => 1,
        RatingKind::CvssV2 => 2,
        RatingKind::Vendor => 3,
    }
}

/// Whether a rating scoped to `scope` applies to the package (`""`: everywhere; `Debian:12`:
/// that ecosystem; `Debian:12/openssl`: that package there).
pub fn scope_applies(scope: &str, ecosystem: &str, name: &str) -> bool {
    if scope.is_empty() || scope == ecosystem {
        return true;
    }
    scope.strip_prefix(ecosystem).and_then(|r| r.strip_prefix('/')).is_some_and(|n| n == name)
}

/// The rater's name as reports show it.
fn rater(advisory_id: &str, source: &str) -> String {
    let ghsa = advisory_id.starts_with("GHSA-");
    match source {
        "osv" | "osv:database_specific" if ghsa => "ghsa".to_owned(),
        "osv" | "osv:database_specific" => "osv".to_owned(),
        "nvd@nist.gov" => "nvd".to_owned(),
        s => match s.strip_prefix("osv:") {
            Some(vendor) => vendor.to_ascii_lowercase(),
            None => s.to_owned(),
        },
    }
}

/// The distro word at the start of a Red Hat-style summary (`Important: bind security update`).
pub fn summary_word(summary: &str) -> Option<&str> {
    let (word, _) = summary.split_once(':')?;
    let word = word.trim();
    matches!(word, "Critical" | "Important" | "Moderate" | "Low").then_some(word)
}

/// The CVSS major version of a rating kind.
fn cvss_major(kind: SeverityKind) -> Option<u8> {
    match kind {
        SeverityKind::CvssV2 => Some(2),
        SeverityKind::CvssV3 => Some(3),
        SeverityKind::CvssV4 => Some(4),
        SeverityKind::Vendor => None,
    }
}

fn rating_kind(kind: SeverityKind) -> RatingKind {
    match kind {
        SeverityKind::CvssV2 => RatingKind::CvssV2,
        SeverityKind::CvssV3 => RatingKind::CvssV3,
        SeverityKind::CvssV4 => RatingKind::CvssV4,
        SeverityKind::Vendor => RatingKind::Vendor,
    }
}

/// Chooses the severity of a finding from its advisories' ratings (see the module docs).
pub fn choose(ctx: Context<'_>, advisories: &[Rated<'_>]) -> Choice {
    let mut all: Vec<(u8, Rating)> = Vec::new();
    for adv in advisories {
        for s in adv.severities {
            if !scope_applies(&s.scope, ctx.ecosystem, ctx.name) {
                continue;
            }
            let (tier, severity, score) = match cvss_major(s.kind) {
                Some(major) => {
                    let Some(score) = s.score.or_else(|| cvss_base_score(&s.value)) else { continue };
                    let tier = match s.source.as_str() {
                        "osv" if adv.matched => Tier::OwnCvss,
                        d if adv.matched && DISTRO_RATERS.contains(&d) => Tier::OwnCvss,
                        "osv" => Tier::AliasCvss,
                        _ => Tier::Nvd,
                    };
                    (tier, Severity::from_cvss_score(score, major), Some(score))
                }
                None => {
                    let Some(severity) = Severity::from_vendor_word(&s.value) else { continue };
                    let distro = DISTRO_RATERS.contains(&s.source.as_str())
                        || (s.source.starts_with("osv:") && s.source != "osv:database_specific");
                    let tier = match (distro, adv.matched) {
                        (true, _) => Tier::DistroVendor,
                        (false, true) => Tier::OwnVendor,
                        (false, false) => Tier::AliasVendor,
                    };
                    (tier, severity, None)
                }
            };
            if severity == Severity::Unknown {
                continue;
            }
            let rating = Rating {
                source: rater(adv.id, &s.source),
                kind: rating_kind(s.kind),
                value: s.value.clone(),
                score,
                severity,
            };
            all.push((tier.rank(ctx.os), rating));
        }
        if let Some((source, word)) = adv.distro_word
            && let Some(severity) = Severity::from_vendor_word(word)
        {
            let rating = Rating {
                source: source.to_owned(),
                kind: RatingKind::Vendor,
                value: word.to_owned(),
                score: None,
                severity,
            };
            all.push((Tier::DistroVendor.rank(ctx.os), rating));
        }
    }
    all.sort_by(|(ta, a), (tb, b)| {
        ta.cmp(tb)
            .then_with(|| kind_rank(a.kind).cmp(&kind_rank(b.kind)))
            .then_with(|| (b.source == "nvd").cmp(&(a.source == "nvd")))
            .then_with(|| b.severity.cmp(&a.severity))
            .then_with(|| a.source.cmp(&b.source))
            .then_with(|| a.value.cmp(&b.value))
            .then_with(|| a.score.partial_cmp(&b.score).unwrap_or(Ordering::Equal))
    });
    let mut ratings: Vec<Rating> = Vec::with_capacity(all.len());
    for (_, r) in all {
        if !ratings.iter().any(|x| x.source == r.source && x.kind == r.kind && x.value == r.value) {
            ratings.push(r);
        }
    }
    match ratings.first() {
        Some(first) => Choice { severity: first.severity, source: first.source.clone(), ratings },
        None => Choice { severity: Severity::Unknown, source: "none".to_owned(), ratings },
    }
}

#[cfg(test)]
mod tests {
    use microscanner_vulndb::SeverityRating;

    use super::*;

    fn sev(id: &str, kind: SeverityKind, value: &str, score: Option<f64>, source: &str, scope: &str) -> SeverityRating {
        SeverityRating {
            advisory_id: id.into(),
            kind,
            value: value.into(),
            score,
            source: source.into(),
            scope: scope.into(),
        }
    }

    const V3_HIGH: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H";
    const V3_CRIT: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H";
    const V2: &str = "AV:N/AC:L/Au:N/C:P/I:P/A:P";

    fn os_ctx() -> Context<'static> {
        Context { os: true, ecosystem: "Debian:11", name: "openssl" }
    }

    #[test]
    fn os_packages_prefer_the_distro_word_in_scope() {
        let cve = [
            sev("CVE-1", SeverityKind::CvssV3, V3_CRIT, Some(10.0), "nvd@nist.gov", ""),
            sev("CVE-1", SeverityKind::Vendor, "low", None, "debian", "Debian:11/openssl"),
            sev("CVE-1", SeverityKind::Vendor, "high", None, "debian", "Debian:10/openssl"),
            sev("CVE-1", SeverityKind::Vendor, "not yet assigned", None, "debian", "Debian:11/openssl"),
        ];
        let c = choose(os_ctx(), &[Rated { id: "CVE-1", matched: true, severities: &cve, distro_word: None }]);
        assert_eq!((c.severity, c.source.as_str()), (Severity::Low, "debian"));
        // The other release's word and the word that rates nothing are not ratings of this package.
        assert_eq!(c.ratings.len(), 2, "{:?}", c.ratings);
        assert_eq!(c.ratings[1].source, "nvd");
        assert_eq!(c.ratings[1].severity, Severity::Critical);
        // A language package with the same data: NVD (the distro word is out of scope anyway).
        let lang = Context { os: false, ecosystem: "PyPI", name: "x" };
        let c = choose(lang, &[Rated { id: "CVE-1", matched: false, severities: &cve, distro_word: None }]);
        assert_eq!((c.severity, c.source.as_str()), (Severity::Critical, "nvd"));
    }

    #[test]
    fn own_cvss_then_own_word_then_nvd() {
        let ghsa = [
            sev("GHSA-x", SeverityKind::Vendor, "MODERATE", None, "osv:database_specific", ""),
            sev("GHSA-x", SeverityKind::CvssV2, V2, None, "osv", ""),
        ];
        let nvd = [sev("CVE-1", SeverityKind::CvssV3, V3_CRIT, None, "nvd@nist.gov", "")];
        let lang = Context { os: false, ecosystem: "npm", name: "x" };
        let both = [
            Rated { id: "GHSA-x", matched: true, severities: &ghsa, distro_word: None },
            Rated { id: "CVE-1", matched: false, severities: &nvd, distro_word: None },
        ];
        let c = choose(lang, &both);
        // v2 7.5 is high (no critical band in v2), computed from the vector.
        assert_eq!((c.severity, c.source.as_str()), (Severity::High, "ghsa"));
        assert_eq!(c.ratings[0].score, Some(7.5));
        assert_eq!(c.ratings[1].kind, RatingKind::Vendor);
        assert_eq!(c.ratings[2].source, "nvd");
        // Without the CVSS, the GHSA word.
        let word = [ghsa[0].clone()];
        let c = choose(lang, &[Rated { id: "GHSA-x", matched: true, severities: &word, distro_word: None }, both[1]]);
        assert_eq!((c.severity, c.source.as_str()), (Severity::Medium, "ghsa"));
        // An OS package with no distro word: the advisory's own CVSS before NVD.
        let c = choose(os_ctx(), &both);
        assert_eq!(c.source, "ghsa");
    }

    #[test]
    fn v3_before_v4_before_v2_and_nvd_before_a_cna() {
        let cve = [
            sev("CVE-1", SeverityKind::CvssV2, V2, Some(7.5), "nvd@nist.gov", ""),
            sev("CVE-1", SeverityKind::CvssV3, V3_CRIT, Some(10.0), "cna@vuldb.com", ""),
            sev("CVE-1", SeverityKind::CvssV3, V3_HIGH, Some(7.5), "nvd@nist.gov", ""),
        ];
        let c = choose(os_ctx(), &[Rated { id: "CVE-1", matched: false, severities: &cve, distro_word: None }]);
        assert_eq!((c.severity, c.source.as_str()), (Severity::High, "nvd"));
        assert_eq!(c.ratings[1].source, "cna@vuldb.com");
        assert_eq!(c.ratings[2].kind, RatingKind::CvssV2);
    }

    #[test]
    fn nothing_usable_is_unknown_none() {
        let junk = [
            sev("X", SeverityKind::CvssV3, "not a vector", None, "osv", ""),
            sev("X", SeverityKind::Vendor, "end-of-life", None, "debian", ""),
        ];
        let c = choose(os_ctx(), &[Rated { id: "X", matched: true, severities: &junk, distro_word: None }]);
        assert_eq!((c.severity, c.source.as_str(), c.ratings.len()), (Severity::Unknown, "none", 0));
    }

    #[test]
    fn rpm_summary_words() {
        assert_eq!(summary_word("Important: bind security update"), Some("Important"));
        assert_eq!(summary_word("Moderate: dbus security update"), Some("Moderate"));
        assert_eq!(summary_word("NetworkManager bug fix and enhancement update"), None);
        assert_eq!(summary_word("Note: something"), None);
        let c = choose(
            Context { os: true, ecosystem: "AlmaLinux:8", name: "bind" },
            &[Rated { id: "ALSA-1", matched: true, severities: &[], distro_word: Some(("almalinux", "Important")) }],
        );
        assert_eq!((c.severity, c.source.as_str()), (Severity::High, "almalinux"));
    }

    #[test]
    fn scopes() {
        assert!(scope_applies("", "Debian:12", "openssl"));
        assert!(scope_applies("Debian:12", "Debian:12", "openssl"));
        assert!(scope_applies("Debian:12/openssl", "Debian:12", "openssl"));
        assert!(!scope_applies("Debian:12/openssl3", "Debian:12", "openssl"));
        assert!(!scope_applies("Debian:1/openssl", "Debian:12", "openssl"));
        assert!(!scope_applies("PyPI", "npm", "x"));
    }
}
