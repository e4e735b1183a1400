//! Downloading feeds and rebuilding the database (`db update`).
//!
//! Each feed is fetched from its upstream address (or the same path under a mirror URL or a local
//! directory) with a conditional GET (ETag / Last-Modified kept in a cache directory beside the
//! database), retried with exponential backoff on connection errors, 5xx and 429. A download goes
//! to a temporary file first and only replaces the cached copy after the whole database has been
//! rebuilt and verified, so a failed download, a corrupt file or a killed process leaves both the
//! database and the cache as they were. When no feed changed, nothing is rebuilt.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use microscanner_atomic_file::Stale;
use microscanner_vulndb::{Database, hash_file};
use serde::{Deserialize, Serialize};

use crate::build::{BuildOptions, BuildReport, Input, Layer, Progress, build_layered, canonical_ecosystem};
use crate::{FeedError, repo_metadata};

mod incremental;
use incremental::{Incremental, Mark, Overlay};

/// osv.dev's bucket.
pub const OSV_BASE: &str = "https://osv-vulnerabilities.storage.googleapis.com";
/// The Debian security tracker.
pub const DEBIAN_TRACKER_BASE: &str = "https://security-tracker.debian.org";
/// The tracker's git repository (for `data/DSA/list`, `data/DLA/list`).
pub const DEBIAN_SALSA_BASE: &str = "https://salsa.debian.org";
/// Alpine secdb.
pub const ALPINE_BASE: &str = "https://secdb.alpinelinux.org";
/// The rolling apk distributions' secdbs: (feed group and distro id, advisory ecosystem, base
/// URL, path), where vunnel's providers fetch them. Wolfi's and Chainguard's are
/// `{urlprefix}/{reponame}/security.json` of the secdb's own header; MinimOS publishes its
/// secdb at `/advisories/secdb/security.json` (vunnel's `minimos` provider), not where its header
/// would put it (`/os/security.json`, Wolfi's path under a mirror). The importer tells the
/// vendors apart by the header's `urlprefix`, not by the path.
pub const VENDOR_SECDBS: &[(&str, &str, &str, &str)] = &[
    ("wolfi", "Wolfi", "https://packages.wolfi.dev", "/os/security.json"),
    ("chainguard", "Chainguard", "https://packages.cgr.dev", "/chainguard/security.json"),
    ("minimos", "MinimOS", "https://packages.mini.dev", "/advisories/secdb/security.json"),
];
/// The NVD API.
pub const NVD_BASE: &str = "https://services.nvd.nist.gov";
/// CISA.
pub const KEV_BASE: &str = "https://www.cisa.gov";
/// EPSS.
pub const EPSS_BASE: &str = "https://epss.empiricalsecurity.com";

/// The OSV ecosystems `db update` fetches when `--ecosystems` is not given (osv.dev's names).
pub const DEFAULT_OSV_ECOSYSTEMS: &[&str] = &[
    "AlmaLinux",
    "Alpine",
    "Bitnami",
    "Chainguard",
    "ConanCenter",
    "crates.io",
    "Debian",
    "Go",
    "Hex",
    "Julia",
    "Maven",
    "npm",
    "NuGet",
    "openSUSE",
    "Packagist",
    "Pub",
    "PyPI",
    "Red Hat",
    "Rocky Linux",
    "RubyGems",
    "SUSE",
    "SwiftURL",
    "Ubuntu",
    "Wolfi",
];

/// OSV ecosystems whose `all.zip` osv.dev may not publish (the schema names them, the data is
/// young or absent): a 404 skips them instead of failing the update.
const OPTIONAL_OSV_ECOSYSTEMS: &[&str] = &["Bitnami", "ConanCenter", "Julia"];

/// Alpine releases whose secdb is fetched (a release the server lacks is skipped).
pub const ALPINE_RELEASES: &[&str] = &[
    "v3.2", "v3.3", "v3.4", "v3.5", "v3.6", "v3.7", "v3.8", "v3.9", "v3.10", "v3.11", "v3.12", "v3.13", "v3.14",
    "v3.15", "v3.16", "v3.17", "v3.18", "v3.19", "v3.20", "v3.21", "v3.22", "edge",
];

/// Feed groups that `--feeds` can name.
pub const FEED_GROUPS: &[&str] = &[
    "osv",
    "debian",
    "alpine",
    "wolfi",
    "chainguard",
    "minimos",
    "amazon",
    "photon",
    "redhat",
    "oracle",
    "azurelinux",
    "nvd",
    "kev",
    "epss",
];

/// Oracle's ELSA OVAL of every release, in the one form Oracle publishes it (bzip2), read
/// decompressing as it streams (`detect::import_file`).
pub const ORACLE_BASE: &str = "https://linux.oracle.com";
/// The ELSA OVAL's path under [`ORACLE_BASE`]; its file name is what the importer recognises.
const ORACLE_OVAL: &str = "/security/oval/com.oracle.elsa-all.xml.bz2";

/// Microsoft's OVAL of CBL-Mariner 2.0 and Azure Linux 3.0 (github.com/microsoft/
/// AzureLinuxVulnerabilityData, its default branch), by file name.
pub const MICROSOFT_OVAL_BASE: &str = "https://raw.githubusercontent.com";
/// The OVAL files fetched from [`MICROSOFT_OVAL_BASE`]: CBL-Mariner 2.0 and Azure Linux 3.0 (the
/// supported releases; CBL-Mariner 1.0 reached its end of life in 2023).
const MICROSOFT_OVAL_FILES: &[&str] = &["cbl-mariner-2.0-oval.xml", "azurelinux-3.0-oval.xml"];

/// Red Hat's security data: the CSAF VEX archive of every CVE document is
/// `/data/csaf/v2/vex/<name>`, the name given by `/data/csaf/v2/vex/archive_latest.txt`.
pub const REDHAT_BASE: &str = "https://security.access.redhat.com";
/// Where Red Hat names its latest VEX archive (`csaf_vex_2025-12-06.tar.zst`).
const REDHAT_VEX_INDEX: &str = "/data/csaf/v2/vex/archive_latest.txt";

/// Photon OS releases whose CVE metadata is fetched (the supported ones; a release the server
/// lacks is skipped). Photon's ecosystem is also OSV's `Photon OS:N`: both are read.
pub const PHOTON_RELEASES: &[&str] = &["3.0", "4.0", "5.0"];
/// Where Photon's CVE metadata is (`cve_data_photon<N>.json`, named as the importer expects).
pub const PHOTON_BASE: &str = "https://packages.broadcom.com";

/// Amazon Linux's repositories: (release, `mirror.list` path under [`AMAZON_BASE`]). The
/// supported releases only: Amazon Linux 1 (EOL 2023-12-31) and the 2022 preview are not fetched
/// (`db build --from` reads copies of their updateinfo).
pub const AMAZON_REPOSITORIES: &[(&str, &str)] =
    &[("2", "/2/core/latest/x86_64/mirror.list"), ("2023", "/al2023/core/mirrors/latest/x86_64/mirror.list")];
/// Where Amazon Linux's mirror lists are.
pub const AMAZON_BASE: &str = "https://cdn.amazonlinux.com";
/// The hosts a `mirror.list` may send us to.
const AMAZON_HOSTS: &[&str] = &["amazonlinux.com", "amazonaws.com"];

/// NVD page size (the API maximum).
const NVD_PAGE: u64 = 2000;
/// Stop paging NVD after this many pages (a safety net against a server that never ends).
const NVD_MAX_PAGES: u64 = 1000;
/// Largest download accepted.
const MAX_DOWNLOAD: u64 = 2 * 1024 * 1024 * 1024;

/// One feed to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    /// Name in the cache, the metadata and messages (`osv:PyPI`, `debian-tracker`, `alpine:v3.19/main`).
    pub name: String,
    /// Upstream base URL.
    pub base: &'static str,
    /// Path (and query) under the base, the same under a mirror.
    pub path: String,
    /// A 404 means "not published" (an Alpine release that does not exist), not a failure.
    pub optional: bool,
    /// How it is fetched.
    pub fetch: Fetch,
}

/// How a feed is fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fetch {
    /// One file at the feed's path.
    Whole,
    /// NVD: page through the API.
    NvdPages,
    /// An rpm repository's `updateinfo.xml`: the feed's path is a `mirror.list`, which names the
    /// repository, whose `repodata/repomd.xml` names the file ([`crate::repo_metadata`]).
    RepoUpdateinfo,
    /// Red Hat's VEX archive: the feed's path is `archive_latest.txt`, which names the
    /// `.tar.zst` beside it (fetched whole and conditionally; the daily `changes.csv` deltas are
    /// not applied, so the data is as fresh as the latest archive).
    RedHatVexArchive,
}

/// Where feeds come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The real upstream addresses.
    Upstream,
    /// A mirror: the upstream paths under this base URL.
    Mirror(String),
    /// A local copy: the upstream paths under this directory.
    Directory(PathBuf),
}

impl Origin {
    /// `--source URL|DIR`.
    pub fn parse(s: &str) -> Self {
        if s.starts_with("http://") || s.starts_with("https://") {
            Self::Mirror(s.trim_end_matches('/').to_owned())
        } else {
            Self::Directory(PathBuf::from(s))
        }
    }
}

/// How to update.
#[derive(Debug, Clone)]
pub struct UpdateOptions {
    /// Where to fetch from.
    pub origin: Origin,
    /// Only these ecosystems (`--ecosystems`); `None`: all.
    pub ecosystems: Option<Vec<String>>,
    /// Only these feed groups (`osv`, `debian`, `alpine`, `nvd`, `kev`, `epss`); `None`: all.
    pub feeds: Option<Vec<String>>,
    /// NVD API key (raises the rate limit from 5 to 50 requests per 30 s).
    pub nvd_api_key: Option<String>,
    /// Pause between NVD pages (6 s without a key, 0.6 s with one, per NVD's published limits).
    pub nvd_delay: Option<Duration>,
    /// Retries after the first attempt.
    pub retries: u32,
    /// First backoff; doubled after each retry.
    pub backoff: Duration,
    /// Whole-download timeout (connecting is limited to the smaller of this and 30 s).
    pub timeout: Duration,
    /// No byte for this long (waiting for the answer, or between two reads of the body) fails
    /// the attempt, so a server that accepts and never answers costs seconds, not the whole
    /// `timeout`.
    pub stall_timeout: Duration,
}

/// The default [`UpdateOptions::stall_timeout`].
pub const STALL_TIMEOUT: Duration = Duration::from_secs(30);

impl Default for UpdateOptions {
    fn default() -> Self {
        Self {
            origin: Origin::Upstream,
            ecosystems: None,
            feeds: None,
            nvd_api_key: None,
            nvd_delay: None,
            retries: 3,
            backoff: Duration::from_millis(500),
            timeout: Duration::from_secs(30 * 60),
            stall_timeout: STALL_TIMEOUT,
        }
    }
}

/// What an update did.
#[derive(Debug, Clone, Default)]
pub struct UpdateReport {
    /// Feeds downloaded anew (changed).
    pub downloaded: Vec<String>,
    /// Feeds the server said were not modified (or whose content was the same).
    pub unchanged: Vec<String>,
    /// Optional feeds the server does not have (404).
    pub missing: Vec<String>,
    /// The build, when one was needed.
    pub build: Option<BuildReport>,
}

impl UpdateReport {
    /// True when the database was rebuilt.
    pub fn rebuilt(&self) -> bool {
        self.build.is_some()
    }
}

/// The OSV ecosystem name osv.dev uses for an `--ecosystems` word.
pub fn osv_ecosystem_name(word: &str) -> String {
    let canonical = canonical_ecosystem(word);
    DEFAULT_OSV_ECOSYSTEMS
        .iter()
        .find(|e| e.to_ascii_lowercase() == canonical)
        .map_or_else(|| word.trim().to_owned(), |e| (*e).to_owned())
}

/// The feeds an update fetches for these options.
pub fn plan(options: &UpdateOptions) -> Vec<Feed> {
    let group = |g: &str| options.feeds.as_ref().is_none_or(|f| f.iter().any(|x| x.eq_ignore_ascii_case(g)));
    let ecosystems: Option<Vec<String>> =
        options.ecosystems.as_ref().map(|e| e.iter().map(|w| osv_ecosystem_name(w)).collect());
    let wants = |eco: &str| ecosystems.as_ref().is_none_or(|e| e.iter().any(|x| x.eq_ignore_ascii_case(eco)));
    let mut feeds = Vec::new();
    if group("osv") {
        let list: Vec<String> = match &ecosystems {
            Some(e) => e.clone(),
            None => DEFAULT_OSV_ECOSYSTEMS.iter().map(|s| (*s).to_owned()).collect(),
        };
        for eco in list {
            feeds.push(Feed {
                name: format!("osv:{eco}"),
                base: OSV_BASE,
                path: format!("/{}/all.zip", eco.replace(' ', "%20")),
                optional: OPTIONAL_OSV_ECOSYSTEMS.iter().any(|o| o.eq_ignore_ascii_case(&eco)),
                fetch: Fetch::Whole,
            });
        }
    }
    if group("debian") && wants("Debian") {
        feeds.push(Feed {
            name: "debian-tracker".into(),
            base: DEBIAN_TRACKER_BASE,
            path: "/tracker/data/json".into(),
            optional: false,
            fetch: Fetch::Whole,
        });
        for list in ["DSA", "DLA"] {
            feeds.push(Feed {
                name: format!("debian-{}", list.to_ascii_lowercase()),
                base: DEBIAN_SALSA_BASE,
                path: format!("/security-tracker-team/security-tracker/-/raw/master/data/{list}/list"),
                optional: false,
                fetch: Fetch::Whole,
            });
        }
    }
    if group("alpine") && wants("Alpine") {
        for release in ALPINE_RELEASES {
            for repo in ["main", "community"] {
                feeds.push(Feed {
                    name: format!("alpine:{release}/{repo}"),
                    base: ALPINE_BASE,
                    path: format!("/{release}/{repo}.json"),
                    optional: true,
                    fetch: Fetch::Whole,
                });
            }
        }
    }
    for &(id, ecosystem, base, path) in VENDOR_SECDBS {
        if group(id) && wants(ecosystem) {
            feeds.push(Feed {
                name: format!("{id}-secdb"),
                base,
                path: path.into(),
                optional: false,
                fetch: Fetch::Whole,
            });
        }
    }
    if group("amazon") && wants("Amazon Linux") {
        for &(release, path) in AMAZON_REPOSITORIES {
            feeds.push(Feed {
                name: format!("amazon:{release}"),
                base: AMAZON_BASE,
                path: path.into(),
                optional: false,
                fetch: Fetch::RepoUpdateinfo,
            });
        }
    }
    if group("photon") && wants("Photon OS") {
        for release in PHOTON_RELEASES {
            let name = format!("cve_data_photon{release}.json");
            feeds.push(Feed {
                path: format!("/photon/photon_cve_metadata/{name}"),
                name,
                base: PHOTON_BASE,
                optional: true,
                fetch: Fetch::Whole,
            });
        }
    }
    if group("redhat") && wants("Red Hat") {
        feeds.push(Feed {
            name: "redhat-vex".into(),
            base: REDHAT_BASE,
            path: REDHAT_VEX_INDEX.into(),
            optional: true,
            fetch: Fetch::RedHatVexArchive,
        });
    }
    if group("oracle") && wants("Oracle Linux") {
        feeds.push(Feed {
            name: "com.oracle.elsa-all.xml.bz2".into(),
            base: ORACLE_BASE,
            path: ORACLE_OVAL.into(),
            optional: true,
            fetch: Fetch::Whole,
        });
    }
    if group("azurelinux") && (wants("Azure Linux") || wants("CBL-Mariner")) {
        for name in MICROSOFT_OVAL_FILES {
            feeds.push(Feed {
                name: (*name).into(),
                base: MICROSOFT_OVAL_BASE,
                path: format!("/microsoft/AzureLinuxVulnerabilityData/main/{name}"),
                optional: true,
                fetch: Fetch::Whole,
            });
        }
    }
    if group("nvd") {
        feeds.push(Feed {
            name: "nvd".into(),
            base: NVD_BASE,
            path: "/rest/json/cves/2.0".into(),
            optional: false,
            fetch: Fetch::NvdPages,
        });
    }
    if group("kev") {
        feeds.push(Feed {
            name: "kev".into(),
            base: KEV_BASE,
            path: "/sites/default/files/feeds/known_exploited_vulnerabilities.json".into(),
            optional: false,
            fetch: Fetch::Whole,
        });
    }
    if group("epss") {
        feeds.push(Feed {
            name: "epss".into(),
            base: EPSS_BASE,
            path: "/epss_scores-current.csv.gz".into(),
            optional: false,
            fetch: Fetch::Whole,
        });
    }
    feeds
}

/// Validators of one cached download.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct DownloadCacheEntry {
    url: String,
    etag: Option<String>,
    last_modified: Option<String>,
    sha256: String,
}

/// `state.json` in the cache directory: file name → validators.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct DownloadCacheState {
    files: BTreeMap<String, DownloadCacheEntry>,
    /// What the database was last built from (feeds and `--ecosystems`): a different selection
    /// rebuilds even when no download changed.
    #[serde(default)]
    selection: String,
    /// Feeds updated incrementally (OSV ecosystems, NVD): name → their mark, base and overlays.
    #[serde(default)]
    incremental: BTreeMap<String, Incremental>,
}

/// The download cache directory of a database (`<db>.feeds/` beside it): the last copy of each
/// feed and its validators (ETag, Last-Modified), for conditional requests.
pub fn download_cache_dir(db: &Path) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "microscanner.db".into());
    name.push(".feeds");
    db.with_file_name(name)
}

fn file_name_of(feed: &str, page: Option<u64>) -> String {
    let mut s: String =
        feed.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '_' }).collect();
    if let Some(p) = page {
        s.push_str(&format!(".page{p}"));
    }
    s
}

/// A fetched file: cache file name, path to build from, new validators if it changed, its URL.
type FetchedFile = (String, PathBuf, Option<DownloadCacheEntry>, String);

struct Fetched {
    /// Cache file name → (path to use for the build, new validators if it changed).
    files: Vec<FetchedFile>,
    /// Records fetched since `files` were downloaded whole, newest first (incremental feeds).
    overlays: Vec<Overlay>,
    /// What becomes of the feed's incremental state.
    mark: Mark,
    /// True when the feed's records changed otherwise than through `files` (a new overlay, or
    /// overlays dropped by a full download).
    changed: bool,
}

impl Fetched {
    /// A feed fetched whole, as every feed but OSV's and NVD's is.
    fn whole(files: Vec<FetchedFile>) -> Self {
        Self { files, overlays: Vec::new(), mark: Mark::Keep, changed: false }
    }
}

/// Runs `db update`: fetch every planned feed, rebuild when any changed (or there is no valid
/// database yet), install, then commit the downloads to the cache.
pub fn update(target: &Path, options: &UpdateOptions, progress: &dyn Progress) -> Result<UpdateReport, FeedError> {
    let feeds = plan(options);
    if feeds.is_empty() {
        return Err(FeedError::Download { url: String::new(), message: "no feeds selected".into() });
    }
    let cache = download_cache_dir(target);
    let incoming = cache.join(format!("incoming-{}", std::process::id()));
    remove_stale_incoming(&cache);
    // `state.json`'s temporaries left by killed updates (the cache directory is ours).
    microscanner_atomic_file::sweep_stale_in(&cache, Stale::OwnerGoneOrAfter(Duration::from_secs(3600)));
    for dir in [&cache, &incoming] {
        std::fs::create_dir_all(dir).map_err(|e| FeedError::Io { location: dir.display().to_string(), source: e })?;
    }
    let result = update_inner(target, options, progress, &feeds, &cache, &incoming);
    let _ = std::fs::remove_dir_all(&incoming);
    result
}

fn update_inner(
    target: &Path,
    options: &UpdateOptions,
    progress: &dyn Progress,
    feeds: &[Feed],
    cache: &Path,
    incoming: &Path,
) -> Result<UpdateReport, FeedError> {
    let state_path = cache.join("state.json");
    let mut state: DownloadCacheState =
        std::fs::read(&state_path).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
    // Conditional requests only make sense when there is a working database built from the cache.
    let have_db = Database::open(target).is_ok();
    let fetcher = Fetcher::new(options)?;
    let mut report = UpdateReport::default();
    let mut inputs = Vec::new();
    let mut layers = Vec::new();
    let mut changes: Vec<(String, PathBuf, DownloadCacheEntry)> = Vec::new();
    // Incremental state to commit with the database: (feed, new state or none, new overlays).
    let mut marks: Vec<(String, Option<Incremental>, Vec<Overlay>)> = Vec::new();
    let mut overlays_changed = false;
    for (i, feed) in feeds.iter().enumerate() {
        progress.fetching(&feed.name, i + 1, feeds.len());
        let fetched = fetcher.fetch_feed(feed, &state, cache, incoming, have_db)?;
        let Some(fetched) = fetched else {
            report.missing.push(feed.name.clone());
            continue;
        };
        let mut changed = fetched.changed;
        overlays_changed |= fetched.changed;
        let layered = !fetched.overlays.is_empty();
        for overlay in &fetched.overlays {
            inputs.push(Input {
                path: overlay.path.clone(),
                source: feed.name.clone(),
                origin: overlay.origin.clone(),
            });
            layers.push(Layer::Overlay(i));
        }
        let base: Vec<String> = fetched.files.iter().map(|f| f.0.clone()).collect();
        for (file, path, entry, url) in fetched.files {
            if let Some(entry) = entry {
                changed = true;
                changes.push((file, path.clone(), entry));
            }
            inputs.push(Input { path, source: feed.name.clone(), origin: url });
            layers.push(if layered { Layer::Base(i) } else { Layer::Plain });
        }
        match fetched.mark {
            Mark::Keep => {}
            Mark::Clear => marks.push((feed.name.clone(), None, Vec::new())),
            Mark::Set(mark) => {
                let files = fetched.overlays.iter().map(Overlay::entry).collect();
                marks.push((feed.name.clone(), Some(Incremental { mark, base, overlays: files }), fetched.overlays));
            }
        }
        if changed { report.downloaded.push(feed.name.clone()) } else { report.unchanged.push(feed.name.clone()) }
    }
    let selection = format!(
        "{}|{}",
        feeds.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(","),
        options.ecosystems.as_ref().map(|e| e.join(",")).unwrap_or_default()
    );
    if changes.is_empty() && !overlays_changed && have_db && state.selection == selection {
        // Nothing to rebuild, but a window that found nothing still moves the marks on.
        if !marks.is_empty() {
            let stale = incremental::commit(&mut state, marks, cache)?;
            write_state(&state_path, &state)?;
            incremental::remove_files(cache, &stale);
        }
        return Ok(report);
    }
    let build_options = BuildOptions { ecosystems: options.ecosystems.clone(), strict: true };
    let built = build_layered(target, &inputs, &layers, &build_options, progress)?;
    // The database is in place: now the downloads become the cache.
    for (file, path, entry) in changes {
        let dest = cache.join(&file);
        if path != dest {
            std::fs::rename(&path, &dest)
                .map_err(|e| FeedError::Io { location: dest.display().to_string(), source: e })?;
        }
        state.files.insert(file, entry);
    }
    let stale = incremental::commit(&mut state, marks, cache)?;
    state.selection = selection;
    write_state(&state_path, &state)?;
    incremental::remove_files(cache, &stale);
    report.build = Some(built);
    Ok(report)
}

/// Writes `state.json` whole (a temporary beside it, synced, renamed): a killed update leaves the
/// old state or the new one, never half a file.
fn write_state(state_path: &Path, state: &DownloadCacheState) -> Result<(), FeedError> {
    let json = serde_json::to_vec_pretty(state).map_err(|e| FeedError::malformed("state.json", e))?;
    microscanner_atomic_file::write(state_path, &json)
        .map_err(|e| FeedError::Io { location: e.path.display().to_string(), source: e.source })
}

struct Fetcher<'a> {
    options: &'a UpdateOptions,
    client: Option<reqwest::blocking::Client>,
}

enum Got {
    NotModified,
    NotFound,
    Body { etag: Option<String>, last_modified: Option<String> },
}

impl<'a> Fetcher<'a> {
    fn new(options: &'a UpdateOptions) -> Result<Self, FeedError> {
        let client = match &options.origin {
            Origin::Directory(_) => None,
            origin => {
                let mut b = reqwest::blocking::Client::builder()
                    .user_agent(concat!("microscanner/", env!("CARGO_PKG_VERSION")))
                    .connect_timeout(options.timeout.min(Duration::from_secs(30)))
                    // the blocking client's timeout is per operation (the answer, each read):
                    // the stall timeout; the whole download is bounded by `Deadline`
                    .timeout(options.stall_timeout.min(options.timeout));
                if let Origin::Mirror(url) = origin
                    && (url.contains("://127.0.0.1") || url.contains("://localhost") || url.contains("://[::1]"))
                {
                    b = b.no_proxy();
                }
                Some(b.build().map_err(|e| FeedError::Download { url: String::new(), message: e.to_string() })?)
            }
        };
        Ok(Self { options, client })
    }

    fn url_of(&self, feed: &Feed, query: &str) -> String {
        match &self.options.origin {
            Origin::Upstream => format!("{}{}{query}", feed.base, feed.path),
            Origin::Mirror(base) => format!("{base}{}{query}", feed.path),
            Origin::Directory(dir) => {
                dir.join(feed.path.trim_start_matches('/').replace("%20", " ")).display().to_string()
            }
        }
    }

    /// The pause between two NVD pages (6 s without a key, 0.6 s with one, per NVD's limits).
    fn nvd_delay(&self) -> Duration {
        self.options.nvd_delay.unwrap_or(if self.options.nvd_api_key.is_some() {
            Duration::from_millis(600)
        } else {
            Duration::from_secs(6)
        })
    }

    /// Fetches one feed (all pages of NVD). `None`: optional and absent.
    fn fetch_feed(
        &self,
        feed: &Feed,
        state: &DownloadCacheState,
        cache: &Path,
        incoming: &Path,
        have_db: bool,
    ) -> Result<Option<Fetched>, FeedError> {
        if feed.fetch == Fetch::RepoUpdateinfo {
            return self.fetch_repo_updateinfo(feed, state, cache, incoming, have_db);
        }
        if feed.fetch == Fetch::RedHatVexArchive {
            return self.fetch_vex_archive(feed, state, cache, incoming, have_db);
        }
        let directory = matches!(self.options.origin, Origin::Directory(_));
        if feed.fetch == Fetch::Whole && feed.base == OSV_BASE && !directory {
            return self.fetch_osv(feed, state, cache, incoming, have_db);
        }
        if feed.fetch != Fetch::NvdPages || directory {
            let file = file_name_of(&feed.name, None);
            let url = self.url_of(feed, "");
            return Ok(self
                .fetch_one(&url, &file, feed.optional, false, state, cache, incoming, have_db)?
                .map(|(path, entry)| Fetched::whole(vec![(file, path, entry, url)])));
        }
        self.fetch_nvd(feed, state, cache, incoming, have_db)
    }

    /// Pages through the whole of NVD, each page cached and compared by content.
    fn fetch_nvd_pages(
        &self,
        feed: &Feed,
        state: &DownloadCacheState,
        cache: &Path,
        incoming: &Path,
        have_db: bool,
    ) -> Result<Vec<FetchedFile>, FeedError> {
        // NVD: pages of NVD_PAGE until totalResults, politely spaced.
        let delay = self.nvd_delay();
        let mut files = Vec::new();
        let mut start = 0u64;
        for page in 0..NVD_MAX_PAGES {
            if page > 0 {
                std::thread::sleep(delay);
            }
            let query = format!("?resultsPerPage={NVD_PAGE}&startIndex={start}");
            let url = self.url_of(feed, &query);
            let file = file_name_of(&feed.name, Some(page));
            let Some((path, entry)) = self.fetch_one(&url, &file, false, true, state, cache, incoming, have_db)? else {
                break;
            };
            let (index, per_page, total) = page_info_of(&path, &url)?
                .ok_or_else(|| FeedError::malformed(&url, "not an NVD API page (no startIndex/totalResults)"))?;
            files.push((file, path, entry, url));
            start = index + per_page.max(1);
            if start >= total || per_page == 0 {
                break;
            }
        }
        Ok(files)
    }

    /// Fetches a repository's updateinfo: its `mirror.list` and `repomd.xml` (small, read anew
    /// each time: the repository's address changes with each release), then the file itself,
    /// cached and conditional like every feed. Under a mirror or a directory the repository is
    /// found at the upstream address's path.
    fn fetch_repo_updateinfo(
        &self,
        feed: &Feed,
        state: &DownloadCacheState,
        cache: &Path,
        incoming: &Path,
        have_db: bool,
    ) -> Result<Option<Fetched>, FeedError> {
        let base = file_name_of(&feed.name, None);
        let list_url = self.url_of(feed, "");
        let Some(list) = self.fetch_small(&list_url, &format!("{base}.mirror-list"), feed.optional, incoming)? else {
            return Ok(None);
        };
        let mirror = repo_metadata::mirror_of(&list, AMAZON_HOSTS)
            .ok_or_else(|| FeedError::malformed(&list_url, "names no repository address on the vendor's hosts"))?;
        let repository = match &self.options.origin {
            Origin::Upstream => mirror.clone(),
            Origin::Mirror(url) => format!("{url}{}", repo_metadata::path_of(&mirror)),
            Origin::Directory(dir) => {
                dir.join(repo_metadata::path_of(&mirror).trim_start_matches('/')).display().to_string()
            }
        };
        let repomd_url = format!("{repository}/repodata/repomd.xml");
        let repomd = self
            .fetch_small(&repomd_url, &format!("{base}.repomd.xml"), false, incoming)?
            .ok_or_else(|| FeedError::Download { url: repomd_url.clone(), message: "404 Not Found".into() })?;
        let href = repo_metadata::updateinfo_location(&repomd).map_err(|e| FeedError::malformed(&repomd_url, e))?;
        let url = format!("{repository}/{href}");
        // named as the importer recognises an updateinfo file
        let file = format!("{base}-updateinfo.xml.gz");
        Ok(self
            .fetch_one(&url, &file, false, false, state, cache, incoming, have_db)?
            .map(|(path, entry)| Fetched::whole(vec![(file, path, entry, url)])))
    }

    /// Fetches Red Hat's VEX archive: `archive_latest.txt` (small, read anew each time), then the
    /// archive it names, beside it, cached and conditional like every feed. The name must be a
    /// plain `.tar.zst` file name (no path).
    fn fetch_vex_archive(
        &self,
        feed: &Feed,
        state: &DownloadCacheState,
        cache: &Path,
        incoming: &Path,
        have_db: bool,
    ) -> Result<Option<Fetched>, FeedError> {
        let base = file_name_of(&feed.name, None);
        let index_url = self.url_of(feed, "");
        let Some(index) =
            self.fetch_small(&index_url, &format!("{base}.archive_latest.txt"), feed.optional, incoming)?
        else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(&index);
        let name = text.lines().next().unwrap_or_default().trim();
        let plain = !name.is_empty()
            && name.len() <= 128
            && !name.starts_with('.')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !plain || !crate::redhat::is_archive_name(&name.to_ascii_lowercase()) {
            return Err(FeedError::malformed(&index_url, "names no .tar.zst archive beside it"));
        }
        let dir = feed.path.rsplit_once('/').map_or("", |(d, _)| d);
        let archive = Feed { path: format!("{dir}/{name}"), ..feed.clone() };
        let url = self.url_of(&archive, "");
        // named as the importer recognises the archive
        let file = format!("{base}.tar.zst");
        Ok(self
            .fetch_one(&url, &file, false, false, state, cache, incoming, have_db)?
            .map(|(path, entry)| Fetched::whole(vec![(file, path, entry, url)])))
    }

    /// Fetches a small document (a mirror list, a repository index) unconditionally and reads it,
    /// at most [`repo_metadata::MAX_REPOMD`] bytes. `None`: optional and absent.
    fn fetch_small(
        &self,
        url: &str,
        file: &str,
        optional: bool,
        incoming: &Path,
    ) -> Result<Option<Vec<u8>>, FeedError> {
        let Some((path, _)) =
            self.fetch_one(url, file, optional, false, &DownloadCacheState::default(), incoming, incoming, false)?
        else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        std::fs::File::open(&path)
            .and_then(|f| f.take(repo_metadata::MAX_REPOMD as u64 + 1).read_to_end(&mut bytes))
            .map_err(|e| FeedError::Io { location: url.to_owned(), source: e })?;
        let _ = std::fs::remove_file(&path);
        Ok(Some(bytes))
    }

    /// Fetches one URL (or local file) into `incoming/<file>`. Returns the path to build from and,
    /// when the content changed, the new cache entry.
    #[allow(clippy::too_many_arguments)]
    fn fetch_one(
        &self,
        url: &str,
        file: &str,
        optional: bool,
        paged: bool,
        state: &DownloadCacheState,
        cache: &Path,
        incoming: &Path,
        have_db: bool,
    ) -> Result<Option<(PathBuf, Option<DownloadCacheEntry>)>, FeedError> {
        let cached_path = cache.join(file);
        let cached = state.files.get(file).filter(|e| e.url == url && cached_path.is_file() && have_db);
        let dest = incoming.join(file);
        let got = match (&self.client, &self.options.origin) {
            (_, Origin::Directory(_)) => {
                let src = PathBuf::from(url);
                if !src.is_file() {
                    if optional {
                        return Ok(None);
                    }
                    return Err(FeedError::Download { url: url.to_owned(), message: "no such file".into() });
                }
                std::fs::copy(&src, &dest).map_err(|e| FeedError::Io { location: url.to_owned(), source: e })?;
                Got::Body { etag: None, last_modified: None }
            }
            (Some(client), _) => self.get_with_retries(client, url, cached, &dest)?,
            (None, _) => return Err(FeedError::Download { url: url.to_owned(), message: "no HTTP client".into() }),
        };
        match got {
            Got::NotFound if optional => Ok(None),
            Got::NotFound => Err(FeedError::Download { url: url.to_owned(), message: "404 Not Found".into() }),
            Got::NotModified => match cached {
                Some(_) => Ok(Some((cached_path, None))),
                None => Err(FeedError::Download {
                    url: url.to_owned(),
                    message: "304 Not Modified without a cached copy".into(),
                }),
            },
            Got::Body { etag, last_modified } => {
                let sha256 = content_hash(&dest, paged)?;
                if let Some(c) = cached
                    && c.sha256 == sha256
                {
                    let _ = std::fs::remove_file(&dest);
                    return Ok(Some((cached_path, None)));
                }
                Ok(Some((dest, Some(DownloadCacheEntry { url: url.to_owned(), etag, last_modified, sha256 }))))
            }
        }
    }

    fn get_with_retries(
        &self,
        client: &reqwest::blocking::Client,
        url: &str,
        cached: Option<&DownloadCacheEntry>,
        dest: &Path,
    ) -> Result<Got, FeedError> {
        let mut wait = self.options.backoff;
        let mut attempt = 0u32;
        loop {
            match self.get_once(client, url, cached, dest) {
                Ok(got) => return Ok(got),
                Err((retryable, message)) => {
                    let _ = std::fs::remove_file(dest);
                    if !retryable || attempt >= self.options.retries {
                        let tries = attempt + 1;
                        let message = format!("{message} (after {tries} attempt{})", if tries == 1 { "" } else { "s" });
                        return Err(FeedError::Download { url: url.to_owned(), message });
                    }
                    attempt += 1;
                    std::thread::sleep(wait);
                    wait = wait.saturating_mul(2);
                }
            }
        }
    }

    /// One attempt. Errors say whether retrying could help.
    fn get_once(
        &self,
        client: &reqwest::blocking::Client,
        url: &str,
        cached: Option<&DownloadCacheEntry>,
        dest: &Path,
    ) -> Result<Got, (bool, String)> {
        let mut req = client.get(url);
        if let Some(c) = cached {
            if let Some(etag) = &c.etag {
                req = req.header(reqwest::header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &c.last_modified {
                req = req.header(reqwest::header::IF_MODIFIED_SINCE, lm);
            }
        }
        if (url.starts_with(NVD_BASE) || url.contains("/rest/json/cves/"))
            && let Some(key) = &self.options.nvd_api_key
        {
            req = req.header("apiKey", key);
        }
        let started = std::time::Instant::now();
        let mut resp = req.send().map_err(|e| (true, format!("request failed: {}", error_chain(&e))))?;
        let status = resp.status();
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Got::NotModified);
        }
        if status == reqwest::StatusCode::NOT_FOUND {
            return Ok(Got::NotFound);
        }
        if !status.is_success() {
            let retryable = status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
            return Err((retryable, format!("HTTP {status}")));
        }
        let header = |name: reqwest::header::HeaderName| {
            resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
        };
        let etag = header(reqwest::header::ETAG);
        let last_modified = header(reqwest::header::LAST_MODIFIED);
        let expected = resp.content_length();
        let mut out = std::fs::File::create(dest).map_err(|e| (false, format!("{}: {e}", dest.display())))?;
        let mut body = Deadline { inner: (&mut resp).take(MAX_DOWNLOAD), until: started + self.options.timeout };
        let copied = std::io::copy(&mut body, &mut out).map_err(|e| (true, format!("download interrupted: {e}")))?;
        if let Some(n) = expected
            && n != copied
        {
            return Err((true, format!("download interrupted: got {copied} of {n} bytes")));
        }
        out.sync_all().map_err(|e| (false, format!("{}: {e}", dest.display())))?;
        Ok(Got::Body { etag, last_modified })
    }
}

/// The paging fields of a downloaded NVD page, read without keeping its `vulnerabilities`.
fn page_info_of(path: &Path, url: &str) -> Result<Option<(u64, u64, u64)>, FeedError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Paging {
        start_index: Option<serde_json::Value>,
        results_per_page: Option<serde_json::Value>,
        total_results: Option<serde_json::Value>,
    }
    let file = std::fs::File::open(path).map_err(|e| FeedError::Io { location: url.to_owned(), source: e })?;
    let paging: Paging = serde_json::from_reader(std::io::BufReader::with_capacity(256 * 1024, file))
        .map_err(|e| FeedError::malformed(url, e))?;
    let number = |v: Option<serde_json::Value>| v.as_ref().and_then(serde_json::Value::as_u64);
    Ok(match (number(paging.start_index), number(paging.results_per_page), number(paging.total_results)) {
        (Some(index), Some(per_page), Some(total)) => Some((index, per_page, total)),
        _ => None,
    })
}

/// Removes `incoming-PID` directories left by updates that were killed (their process is gone).
fn remove_stale_incoming(cache: &Path) {
    let Ok(entries) = std::fs::read_dir(cache) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix("incoming-").and_then(|p| p.parse::<u32>().ok()) else { continue };
        // Gone for sure only where `/proc` says so: without it, nothing is removed.
        if microscanner_atomic_file::process_running(pid) == Some(false) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// A body read that fails once its overall time is up (the blocking client bounds each read,
/// not the whole download).
struct Deadline<R> {
    inner: R,
    until: std::time::Instant,
}

impl<R: Read> Read for Deadline<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if std::time::Instant::now() > self.until {
            return Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "not done within the download timeout"));
        }
        self.inner.read(buf)
    }
}

/// The sha256 that decides whether a download changed. For NVD API pages the response's own
/// `timestamp` (the time of the request) is left out, or every page would always look new.
fn content_hash(path: &Path, paged: bool) -> Result<String, FeedError> {
    if paged {
        let bytes =
            std::fs::read(path).map_err(|e| FeedError::Io { location: path.display().to_string(), source: e })?;
        if let Ok(serde_json::Value::Object(mut map)) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            map.remove("timestamp");
            let canonical =
                serde_json::to_vec(&map).map_err(|e| FeedError::malformed(&path.display().to_string(), e))?;
            return Ok(hex_sha256(&canonical));
        }
    }
    Ok(hash_file(path)?.0)
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(inner) = cur {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        cur = inner.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_respects_filters() {
        let all = plan(&UpdateOptions::default());
        assert!(all.iter().any(|f| f.name == "osv:PyPI" && f.path == "/PyPI/all.zip"));
        assert!(all.iter().any(|f| f.path == "/Rocky%20Linux/all.zip"));
        assert!(all.iter().any(|f| f.name == "nvd" && f.fetch == Fetch::NvdPages));
        let some = plan(&UpdateOptions {
            ecosystems: Some(vec!["pypi".into(), "rust".into()]),
            feeds: Some(vec!["osv".into(), "kev".into()]),
            ..UpdateOptions::default()
        });
        let names: Vec<_> = some.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["osv:PyPI", "osv:crates.io", "kev"]);
        let deb = plan(&UpdateOptions { ecosystems: Some(vec!["debian".into()]), ..UpdateOptions::default() });
        assert!(deb.iter().any(|f| f.name == "debian-dsa"));
        assert!(!deb.iter().any(|f| f.name.starts_with("alpine")));
        let wolfi = plan(&UpdateOptions { ecosystems: Some(vec!["wolfi".into()]), ..UpdateOptions::default() });
        let urls: Vec<_> =
            wolfi.iter().filter(|f| !f.name.starts_with("osv:")).map(|f| format!("{}{}", f.base, f.path)).collect();
        assert!(urls.contains(&"https://packages.wolfi.dev/os/security.json".to_owned()), "{urls:?}");
        assert!(!urls.iter().any(|u| u.contains("cgr.dev")), "{urls:?}");
        // Photon's CVE metadata keeps its file name, which names the release for the importer
        let photon = plan(&UpdateOptions { feeds: Some(vec!["photon".into()]), ..UpdateOptions::default() });
        let photon: Vec<_> = photon.iter().map(|f| (f.name.as_str(), format!("{}{}", f.base, f.path))).collect();
        assert_eq!(
            photon.get(1).map(|(n, u)| (*n, u.as_str())),
            Some((
                "cve_data_photon4.0.json",
                "https://packages.broadcom.com/photon/photon_cve_metadata/cve_data_photon4.0.json"
            ))
        );
        assert_eq!(photon.len(), PHOTON_RELEASES.len());
        // Oracle's and Microsoft's OVAL keep the file names the importers recognise (and
        // `--ecosystems` picks them by their ecosystems)
        let urls = |feeds: Vec<Feed>| -> Vec<(String, String)> {
            feeds.iter().map(|f| (f.name.clone(), format!("{}{}", f.base, f.path))).collect()
        };
        let oval = plan(&UpdateOptions {
            feeds: Some(vec!["oracle".into(), "azurelinux".into()]),
            ..UpdateOptions::default()
        });
        assert!(oval.iter().all(|f| f.optional && f.fetch == Fetch::Whole));
        assert_eq!(
            urls(oval),
            [
                (
                    "com.oracle.elsa-all.xml.bz2",
                    "https://linux.oracle.com/security/oval/com.oracle.elsa-all.xml.bz2"
                ),
                (
                    "cbl-mariner-2.0-oval.xml",
                    "https://raw.githubusercontent.com/microsoft/AzureLinuxVulnerabilityData/main/cbl-mariner-2.0-oval.xml"
                ),
                (
                    "azurelinux-3.0-oval.xml",
                    "https://raw.githubusercontent.com/microsoft/AzureLinuxVulnerabilityData/main/azurelinux-3.0-oval.xml"
                ),
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
        let only_oracle = plan(&UpdateOptions {
            feeds: Some(vec!["oracle".into(), "azurelinux".into()]),
            ecosystems: Some(vec!["Oracle Linux".into()]),
            ..UpdateOptions::default()
        });
        assert_eq!(only_oracle.len(), 1);
        assert!(crate::oracle::is_elsa_name(&only_oracle[0].name));
        let redhat = plan(&UpdateOptions { feeds: Some(vec!["redhat".into()]), ..UpdateOptions::default() });
        let redhat: Vec<_> =
            redhat.iter().map(|f| (f.name.as_str(), format!("{}{}", f.base, f.path), f.fetch)).collect();
        assert_eq!(
            redhat,
            [(
                "redhat-vex",
                "https://security.access.redhat.com/data/csaf/v2/vex/archive_latest.txt".to_owned(),
                Fetch::RedHatVexArchive
            )]
        );
    }

    #[test]
    fn nvd_page_hash_ignores_the_response_timestamp() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("c"));
        std::fs::write(&a, br#"{"timestamp":"2026-01-01T00:00:00","vulnerabilities":[1]}"#).unwrap();
        std::fs::write(&b, br#"{"timestamp":"2026-01-02T00:00:00","vulnerabilities":[1]}"#).unwrap();
        std::fs::write(&c, br#"{"timestamp":"2026-01-02T00:00:00","vulnerabilities":[2]}"#).unwrap();
        assert_eq!(content_hash(&a, true).unwrap(), content_hash(&b, true).unwrap());
        assert_ne!(content_hash(&b, true).unwrap(), content_hash(&c, true).unwrap());
        assert_ne!(content_hash(&a, false).unwrap(), content_hash(&b, false).unwrap());
    }

    #[test]
    fn download_cache_dir_is_beside_the_db() {
        assert_eq!(download_cache_dir(Path::new("/x/y/m.db")), PathBuf::from("/x/y/m.db.feeds"));
        assert_eq!(file_name_of("alpine:v3.1/main", Some(2)), "alpine_v3.1_main.page2");
    }
}
