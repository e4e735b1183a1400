//! Version strings drawn from the shared fixtures, for differential tests, property tests and
//! benchmarks. Everything is read in place from `shared/fixtures/`.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)] // each test target uses a different part; `pub` for benches
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "tests read their fixtures from disk; the crate's own code does no file I/O"
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use microscanner_version::VersionScheme;

/// `shared/fixtures/`.
pub fn fixtures_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Files under `dir` whose name ends with `suffix`, sorted, at most `limit`.
fn files(dir: &Path, suffix: &str, limit: usize) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(suffix) {
                out.push(p);
            }
        }
    }
    out.sort();
    out.truncate(limit);
    out
}

/// Both sides of every `A op B` line of an osv-scalibr style file.
fn op_file_versions(rel: &str, out: &mut BTreeSet<String>) {
    for line in read(&fixtures_root().join("version-vectors").join(rel)).lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("//") {
            continue;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts.len() == 3 {
            out.insert(parts[0].to_owned());
            out.insert(parts[2].to_owned());
        }
    }
}

/// The first two fields of every `a b result` line.
fn result_file_versions(rel: &str, out: &mut BTreeSet<String>) {
    for line in read(&fixtures_root().join("version-vectors").join(rel)).lines() {
        let content = line.split('#').next().unwrap_or("").trim();
        let parts: Vec<&str> = content.split_whitespace().collect();
        if parts.len() == 3 {
            out.insert(parts[0].to_owned());
            out.insert(parts[1].to_owned());
        }
    }
}

/// Event and `versions` strings of OSV JSON files under `rel` for ecosystems of `scheme`.
fn osv_versions(rel: &str, scheme: VersionScheme, limit: usize, out: &mut BTreeSet<String>) {
    for path in files(&fixtures_root().join(rel), ".json", limit) {
        let Ok(doc) = serde_json::from_str::<serde_json::Value>(&read(&path)) else { continue };
        let Some(affected) = doc.get("affected").and_then(|a| a.as_array()) else { continue };
        for a in affected {
            let eco = a.pointer("/package/ecosystem").and_then(|e| e.as_str()).unwrap_or("");
            if VersionScheme::from_osv_ecosystem(eco) != scheme {
                continue;
            }
            for range in a.get("ranges").and_then(|r| r.as_array()).into_iter().flatten() {
                if range.get("type").and_then(|t| t.as_str()) == Some("GIT") {
                    continue;
                }
                for event in range.get("events").and_then(|e| e.as_array()).into_iter().flatten() {
                    for key in ["introduced", "fixed", "last_affected"] {
                        if let Some(v) = event.get(key).and_then(|v| v.as_str())
                            && v != "0"
                        {
                            out.insert(v.to_owned());
                        }
                    }
                }
            }
            for v in a.get("versions").and_then(|v| v.as_array()).into_iter().flatten() {
                if let Some(v) = v.as_str() {
                    out.insert(v.to_owned());
                }
            }
        }
    }
}

/// Version strings for `scheme`: the version vectors plus real-world strings from advisories.
pub fn corpus(scheme: VersionScheme) -> Vec<String> {
    let mut out = BTreeSet::new();
    match scheme {
        VersionScheme::Dpkg => {
            op_file_versions("osv-scalibr-semantic/debian-versions.txt", &mut out);
            result_file_versions("apt/versions.lst", &mut out);
            result_file_versions("dpkg/Dpkg_Version.t.DATA.txt", &mut out);
            for list in ["DSA", "DLA"] {
                let path = fixtures_root().join("debian-security-tracker/CVEDB-mirror/data").join(list).join("list");
                for line in read(&path).lines() {
                    // `\t[bullseye] - xen 4.14.5+94-ge49571868d-1`
                    let mut fields = line.split_whitespace();
                    if let (Some(_), Some("-"), Some(_), Some(v)) =
                        (fields.next(), fields.next(), fields.next(), fields.next())
                        && v.starts_with(|c: char| c.is_ascii_digit())
                    {
                        out.insert(v.to_owned());
                    }
                }
            }
        }
        VersionScheme::Apk => {
            op_file_versions("osv-scalibr-semantic/alpine-versions.txt", &mut out);
            for path in files(&fixtures_root().join("alpine-secdb"), ".json", 100) {
                let Ok(doc) = serde_json::from_str::<serde_json::Value>(&read(&path)) else { continue };
                for pkg in doc.get("packages").and_then(|p| p.as_array()).into_iter().flatten() {
                    if let Some(fixes) = pkg.pointer("/pkg/secfixes").and_then(|s| s.as_object()) {
                        out.extend(fixes.keys().filter(|k| k.as_str() != "0").cloned());
                    }
                }
            }
        }
        VersionScheme::Rpm => {
            op_file_versions("osv-scalibr-semantic/redhat-versions.txt", &mut out);
            result_file_versions("rpm/rpmvercmp.txt", &mut out);
            osv_versions("osv-almalinux/advisories", scheme, 3000, &mut out);
        }
        VersionScheme::Pep440 => {
            op_file_versions("osv-scalibr-semantic/pypi-versions.txt", &mut out);
            osv_versions("osv-pypi-pypa/json", scheme, 3000, &mut out);
        }
        VersionScheme::Semver => {
            op_file_versions("osv-scalibr-semantic/semver-versions.txt", &mut out);
            osv_versions("osv-rustsec", scheme, 3000, &mut out);
        }
        VersionScheme::Npm => {
            op_file_versions("osv-scalibr-semantic/semver-versions.txt", &mut out);
            osv_versions("osv-ghsa-subset", scheme, 3000, &mut out);
        }
        VersionScheme::Go => {
            op_file_versions("osv-scalibr-semantic/semver-versions.txt", &mut out);
            osv_versions("osv-go-vulndb", scheme, 3000, &mut out);
        }
        VersionScheme::Maven => {
            op_file_versions("osv-scalibr-semantic/maven-versions.txt", &mut out);
            osv_versions("osv-ghsa-subset", scheme, 3000, &mut out);
        }
        VersionScheme::RubyGems => {
            op_file_versions("osv-scalibr-semantic/rubygems-versions.txt", &mut out);
            osv_versions("osv-ghsa-subset", scheme, 3000, &mut out);
        }
        VersionScheme::NuGet => {
            op_file_versions("osv-scalibr-semantic/nuget-versions.txt", &mut out);
            osv_versions("osv-ghsa-subset", scheme, 3000, &mut out);
        }
        VersionScheme::Composer => {
            op_file_versions("osv-scalibr-semantic/packagist-versions.txt", &mut out);
            op_file_versions("osv-dev/packagist_test_cases.txt", &mut out);
            osv_versions("osv-ghsa-subset", scheme, 3000, &mut out);
        }
        VersionScheme::Generic => {
            op_file_versions("osv-scalibr-semantic/cran-versions.txt", &mut out);
            op_file_versions("osv-scalibr-semantic/pub-versions.txt", &mut out);
            op_file_versions("osv-scalibr-semantic/hackage-versions.txt", &mut out);
        }
    }
    out.into_iter().collect()
}

/// A small deterministic generator (SplitMix64), so failures reproduce.
pub struct Rng(pub u64);

impl Rng {
    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// `n` pairs from `corpus`: one in ten a version with itself, the rest half uniformly random,
/// half neighbours in the sorted corpus (close versions, where comparators disagree most).
pub fn pairs(corpus: &[String], n: usize, seed: u64) -> Vec<(String, String)> {
    let mut rng = Rng(seed);
    let len = corpus.len();
    assert!(len > 1, "corpus too small");
    (0..n)
        .map(|i| {
            if i % 10 == 9 {
                let j = rng.below(len);
                (corpus[j].clone(), corpus[j].clone())
            } else if i % 2 == 0 {
                (corpus[rng.below(len)].clone(), corpus[rng.below(len)].clone())
            } else {
                let j = rng.below(len - 1);
                let k = (j + 1 + rng.below(3)).min(len - 1);
                if rng.below(2) == 0 {
                    (corpus[j].clone(), corpus[k].clone())
                } else {
                    (corpus[k].clone(), corpus[j].clone())
                }
            }
        })
        .collect()
}
