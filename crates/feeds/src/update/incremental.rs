//! Incremental updates of the two feeds that publish their changes: osv.dev's ecosystems and NVD.
//!
//! After a first full download (an ecosystem's `all.zip`, every NVD page), an update fetches only
//! what changed since the last one:
//!
//! * OSV: `<ECOSYSTEM>/modified_id.csv` lists `<RFC 3339 modified>,<ID>` newest first. It is read
//!   only down to the first entry not newer than the mark (the newest entry the last update saw),
//!   and each of those records is fetched alone (`<ECOSYSTEM>/<ID>.json`).
//! * NVD: the API's `lastModStartDate`/`lastModEndDate` window from the last update to now (at
//!   most 120 days, NVD's limit), paged as the full download is.
//!
//! The changed records are kept in the download cache as overlay files beside the base (the last
//! full download), newest first, and the database is built anew from base and overlays, where an
//! overlay's copy of a record replaces every older copy of the same id ([`Layer`]). Too many
//! changes, a gap in the list, a record the server does not have, a window the server refuses or
//! more than 120 days since the last update fall back to the full download, which drops the
//! overlays.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{
    Deadline, DownloadCacheState, Feed, FeedError, Fetched, FetchedFile, Fetcher, NVD_MAX_PAGES, NVD_PAGE, error_chain,
    file_name_of, page_info_of,
};

/// More records changed than this since the last update: the ecosystem's `all.zip` is fetched
/// whole instead (one file is then cheaper than thousands of requests).
pub(super) const MAX_OSV_CHANGES: usize = 5_000;
/// Most records an ecosystem's overlays may hold together before a full download replaces them.
const MAX_OSV_OVERLAY: u64 = 20_000;
/// Most CVEs NVD's overlays may hold together before a full download replaces them.
const MAX_NVD_OVERLAY: u64 = 100_000;
/// Most overlay files a feed may have (one per update that found changes; NVD: per page).
const MAX_OVERLAYS: usize = 64;
/// NVD's longest `lastModStartDate`..`lastModEndDate` window.
pub(super) const NVD_WINDOW: time::Duration = time::Duration::days(120);
/// Longest line of `modified_id.csv` read (an RFC 3339 time, a comma, an id of at most
/// [`crate::MAX_ID`] bytes).
const MAX_CSV_LINE: u64 = 1024;
/// Records fetched at once (a day's changes of a big ecosystem are hundreds of small files).
const RECORD_FETCHES: usize = 8;
/// Most bytes of `modified_id.csv` read (the list is read only down to the mark: a few lines).
const MAX_CSV: u64 = 256 * 1024 * 1024;

/// The incremental state of one feed in `state.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Incremental {
    /// OSV: the newest `modified` of `modified_id.csv` at the last update; NVD: the end of the
    /// last window (RFC 3339).
    pub(super) mark: String,
    /// The cache files of the last full download, in build order.
    pub(super) base: Vec<String>,
    /// The overlay files, newest first.
    pub(super) overlays: Vec<OverlayFile>,
}

/// One overlay file in `state.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct OverlayFile {
    /// Its name in the cache directory.
    file: String,
    /// Where its records came from (the build names it in diagnostics).
    origin: String,
    /// How many records it holds.
    records: u64,
}

/// An overlay file of this update: in the cache already, or new in the incoming directory.
#[derive(Debug, Clone)]
pub(super) struct Overlay {
    /// Its name in the cache directory.
    pub(super) file: String,
    /// Where it is now.
    pub(super) path: PathBuf,
    /// Where its records came from.
    pub(super) origin: String,
    /// How many records it holds.
    pub(super) records: u64,
}

impl Overlay {
    /// Its entry in `state.json`.
    pub(super) fn entry(&self) -> OverlayFile {
        OverlayFile { file: self.file.clone(), origin: self.origin.clone(), records: self.records }
    }
}

/// What becomes of a feed's incremental state after this update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Mark {
    /// As it was.
    Keep,
    /// None any more (the next update downloads the feed whole).
    Clear,
    /// This mark, this update's base files and overlays.
    Set(String),
}

/// What `modified_id.csv` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Since {
    /// The ids modified after the mark, newest first (without a mark: none), and the newest
    /// `modified` of the list (`None`: an empty list).
    Changes { newest: Option<String>, ids: Vec<String> },
    /// More than the bound changed.
    TooMany,
    /// The list ends before reaching the mark: it does not say everything that changed.
    Gap,
    /// The server has no list (404).
    Missing,
}

/// Moves this update's overlay files into the cache and records each feed's new incremental
/// state. Returns the overlay files no feed uses any more (removed once `state.json` is written).
pub(super) fn commit(
    state: &mut DownloadCacheState,
    marks: Vec<(String, Option<Incremental>, Vec<Overlay>)>,
    cache: &Path,
) -> Result<Vec<String>, FeedError> {
    let mut stale = Vec::new();
    for (feed, incremental, overlays) in marks {
        for overlay in &overlays {
            let dest = cache.join(&overlay.file);
            if overlay.path != dest {
                std::fs::rename(&overlay.path, &dest)
                    .map_err(|e| FeedError::Io { location: dest.display().to_string(), source: e })?;
            }
        }
        let kept: HashSet<String> =
            incremental.iter().flat_map(|i| i.overlays.iter().map(|o| o.file.clone())).collect();
        let old = match incremental {
            Some(i) => state.incremental.insert(feed, i),
            None => state.incremental.remove(&feed),
        };
        stale.extend(old.into_iter().flat_map(|o| o.overlays).map(|o| o.file).filter(|f| !kept.contains(f)));
    }
    Ok(stale)
}

/// Removes cache files (overlays no feed uses any more); a file already gone is no error.
pub(super) fn remove_files(cache: &Path, files: &[String]) {
    for file in files {
        let _ = std::fs::remove_file(cache.join(file));
    }
}

/// A feed's incremental state when the update can build on it: a database exists and every base
/// and overlay file is in the cache.
fn usable<'s>(state: &'s DownloadCacheState, feed: &Feed, cache: &Path, have_db: bool) -> Option<&'s Incremental> {
    let incremental = state.incremental.get(&feed.name).filter(|_| have_db)?;
    let present = |file: &str| cache.join(file).is_file();
    let complete = !incremental.base.is_empty()
        && incremental.base.iter().all(|f| state.files.contains_key(f) && present(f))
        && incremental.overlays.iter().all(|o| present(&o.file));
    complete.then_some(incremental)
}

/// The overlays already in the cache, newest first.
fn cached_overlays(incremental: &Incremental, cache: &Path) -> Vec<Overlay> {
    incremental
        .overlays
        .iter()
        .map(|o| Overlay {
            file: o.file.clone(),
            path: cache.join(&o.file),
            origin: o.origin.clone(),
            records: o.records,
        })
        .collect()
}

/// The base files already in the cache, as fetched files that did not change.
fn cached_base(incremental: &Incremental, state: &DownloadCacheState, cache: &Path) -> Vec<FetchedFile> {
    incremental
        .base
        .iter()
        .map(|f| (f.clone(), cache.join(f), None, state.files.get(f).map(|e| e.url.clone()).unwrap_or_default()))
        .collect()
}

/// Reads `modified_id.csv` (`<RFC 3339 modified>,<ID>` per line, newest first) down to the first
/// entry not newer than `mark`, at most `max` ids; without a mark, only its first entry. An id
/// must be a plain file name (it becomes part of a URL). Errors name `location` and the line.
pub(super) fn parse_modified(
    mut reader: impl BufRead,
    location: &str,
    mark: Option<OffsetDateTime>,
    max: usize,
) -> Result<Since, FeedError> {
    let mut newest = None;
    let mut ids = Vec::new();
    let mut seen = HashSet::new();
    let mut line = Vec::new();
    for number in 1u64.. {
        line.clear();
        let n = (&mut reader)
            .take(MAX_CSV_LINE + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| FeedError::Io { location: location.to_owned(), source: e })?;
        if n == 0 {
            break;
        }
        let at = || format!("{location}:{number}");
        if line.len() as u64 > MAX_CSV_LINE {
            return Err(FeedError::malformed(&at(), format!("line longer than {MAX_CSV_LINE} bytes")));
        }
        let text = std::str::from_utf8(&line).map_err(|e| FeedError::malformed(&at(), e))?.trim();
        if text.is_empty() {
            continue;
        }
        let Some((when, id)) = text.split_once(',') else {
            return Err(FeedError::malformed(&at(), "not `<modified>,<id>`"));
        };
        let (when, id) = (when.trim(), id.trim());
        let parsed = match OffsetDateTime::parse(when, &Rfc3339) {
            Ok(t) => t,
            // a header line, as some copies of the list have
            Err(_) if newest.is_none() && when.eq_ignore_ascii_case("modified") => continue,
            Err(e) => return Err(FeedError::malformed(&at(), format!("modified time {when:?}: {e}"))),
        };
        if !plain_id(id) {
            return Err(FeedError::malformed(&at(), format!("{id:?} is not a record id")));
        }
        if newest.is_none() {
            newest = Some(when.to_owned());
        }
        let Some(mark) = mark else {
            return Ok(Since::Changes { newest, ids });
        };
        if parsed <= mark {
            return Ok(Since::Changes { newest, ids });
        }
        if seen.insert(id.to_owned()) {
            if ids.len() == max {
                return Ok(Since::TooMany);
            }
            ids.push(id.to_owned());
        }
    }
    Ok(if mark.is_none() { Since::Changes { newest, ids } } else { Since::Gap })
}

/// True for an id that can name a file in a URL path: letters, digits, `-_.:`, not starting with
/// a dot, at most [`crate::MAX_ID`] bytes.
fn plain_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= crate::MAX_ID
        && !id.starts_with('.')
        && id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

/// NVD's extended ISO-8601 form of a time, in UTC, for a query string (`+` written `%2B`).
pub(super) fn nvd_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}%2B00:00",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

impl Fetcher<'_> {
    /// Fetches an OSV ecosystem: the records changed since the last update when it can, its
    /// `all.zip` (conditionally) when it cannot.
    pub(super) fn fetch_osv(
        &self,
        feed: &Feed,
        state: &DownloadCacheState,
        cache: &Path,
        incoming: &Path,
        have_db: bool,
    ) -> Result<Option<Fetched>, FeedError> {
        let file = file_name_of(&feed.name, None);
        let url = self.url_of(feed, "");
        let dir = feed.path.rsplit_once('/').map_or("", |(d, _)| d).to_owned();
        let at = |name: &str| self.url_of(&Feed { path: format!("{dir}/{name}"), ..feed.clone() }, "");
        let list_url = at("modified_id.csv");
        let usable = usable(state, feed, cache, have_db).filter(|i| {
            i.base == [file.clone()]
                && state.files.get(&file).is_some_and(|e| e.url == url)
                && i.overlays.len() < MAX_OVERLAYS
                && i.overlays.iter().map(|o| o.records).sum::<u64>() < MAX_OSV_OVERLAY
        });
        if let Some(incremental) = usable {
            let mark = OffsetDateTime::parse(&incremental.mark, &Rfc3339).ok();
            if mark.is_some()
                && let Since::Changes { newest, ids } = self.modified_since(&list_url, mark)?
            {
                let base = cached_base(incremental, state, cache);
                let mut overlays = cached_overlays(incremental, cache);
                if ids.is_empty() {
                    return Ok(Some(Fetched { files: base, overlays, mark: Mark::Keep, changed: false }));
                }
                if let Some(overlay) = self.fetch_osv_records(&file, &ids, &at, incoming)? {
                    overlays.insert(0, overlay);
                    let mark = Mark::Set(newest.unwrap_or_else(|| incremental.mark.clone()));
                    return Ok(Some(Fetched { files: base, overlays, mark, changed: true }));
                }
            }
        }
        // Whole: the list's newest entry first, so that a record changed while the zip is
        // fetched is fetched again next time rather than missed. A list that cannot be read
        // only means no mark: the next update downloads the zip again (conditionally).
        let newest = match self.modified_since(&list_url, None) {
            Ok(Since::Changes { newest, .. }) => newest,
            _ => None,
        };
        let had_overlays = state.incremental.get(&feed.name).is_some_and(|i| !i.overlays.is_empty());
        let Some((path, entry)) = self.fetch_one(&url, &file, feed.optional, false, state, cache, incoming, have_db)?
        else {
            return Ok(None);
        };
        if entry.is_none() {
            // The same zip as before: the overlays on it still hold newer records.
            if let Some(incremental) = usable {
                let overlays = cached_overlays(incremental, cache);
                return Ok(Some(Fetched {
                    files: vec![(file, path, None, url)],
                    overlays,
                    mark: Mark::Keep,
                    changed: false,
                }));
            }
            return Ok(Some(Fetched {
                files: vec![(file, path, None, url)],
                overlays: Vec::new(),
                mark: Mark::Clear,
                changed: had_overlays,
            }));
        }
        let mark = newest.map_or(Mark::Clear, Mark::Set);
        Ok(Some(Fetched { files: vec![(file, path, entry, url)], overlays: Vec::new(), mark, changed: had_overlays }))
    }

    /// Reads `modified_id.csv` at `url`, streaming, down to the mark ([`parse_modified`]).
    fn modified_since(&self, url: &str, mark: Option<OffsetDateTime>) -> Result<Since, FeedError> {
        let started = std::time::Instant::now();
        let Some(response) = self.open(url)? else { return Ok(Since::Missing) };
        let body = Deadline { inner: response.take(MAX_CSV), until: started + self.options.timeout };
        parse_modified(BufReader::new(body), url, mark, MAX_OSV_CHANGES)
    }

    /// Fetches the records `ids` one by one into one overlay file (a JSON list, newest first).
    /// `None`: the server lacks one of them (the caller downloads the ecosystem whole).
    fn fetch_osv_records(
        &self,
        file: &str,
        ids: &[String],
        at: &dyn Fn(&str) -> String,
        incoming: &Path,
    ) -> Result<Option<Overlay>, FeedError> {
        let name = format!("{file}.changes-{}.json", OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000);
        let path = incoming.join(&name);
        let io = |e: std::io::Error| FeedError::Io { location: path.display().to_string(), source: e };
        let mut out = BufWriter::new(std::fs::File::create(&path).map_err(io)?);
        out.write_all(b"[").map_err(io)?;
        let mut first = true;
        // A few at a time, written in the list's order; at most RECORD_FETCHES records in memory.
        for batch in ids.chunks(RECORD_FETCHES) {
            let got: Vec<Result<Option<Vec<u8>>, FeedError>> = std::thread::scope(|scope| {
                let fetches: Vec<_> = batch
                    .iter()
                    .enumerate()
                    .map(|(k, id)| {
                        let url = at(&format!("{id}.json"));
                        scope.spawn(move || self.fetch_record(&url, id, incoming, k))
                    })
                    .collect();
                fetches
                    .into_iter()
                    .map(|f| {
                        f.join().unwrap_or_else(|_| {
                            Err(FeedError::Download { url: at(""), message: "a record download failed".into() })
                        })
                    })
                    .collect()
            });
            for record in got {
                let Some(record) = record? else {
                    drop(out);
                    let _ = std::fs::remove_file(&path);
                    return Ok(None);
                };
                if !first {
                    out.write_all(b",\n").map_err(io)?;
                }
                first = false;
                out.write_all(&record).map_err(io)?;
            }
        }
        out.write_all(b"]\n").map_err(io)?;
        let out = out.into_inner().map_err(|e| io(e.into_error()))?;
        out.sync_all().map_err(io)?;
        Ok(Some(Overlay { file: name, path, origin: at(""), records: ids.len() as u64 }))
    }

    /// One OSV record: at most [`crate::MAX_RECORD`] bytes of JSON whose `id` is `id`, downloaded
    /// to the `slot`th scratch file. `None`: 404.
    fn fetch_record(&self, url: &str, id: &str, incoming: &Path, slot: usize) -> Result<Option<Vec<u8>>, FeedError> {
        let empty = DownloadCacheState::default();
        let scratch = format!("osv-record-{slot}.json");
        let Some((path, _)) = self.fetch_one(url, &scratch, true, false, &empty, incoming, incoming, false)? else {
            return Ok(None);
        };
        let io = |e: std::io::Error| FeedError::Io { location: url.to_owned(), source: e };
        let size = std::fs::metadata(&path).map_err(io)?.len();
        if size > crate::MAX_RECORD {
            return Err(FeedError::malformed(url, format!("a record of {size} bytes, over {}", crate::MAX_RECORD)));
        }
        let bytes = std::fs::read(&path).map_err(io)?;
        let _ = std::fs::remove_file(&path);
        let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| FeedError::malformed(url, e))?;
        match value.get("id").and_then(serde_json::Value::as_str) {
            Some(got) if got == id => Ok(Some(bytes)),
            got => Err(FeedError::malformed(url, format!("holds record {got:?}, not {id}"))),
        }
    }

    /// Fetches NVD: the window since the last update when it can, every page when it cannot.
    pub(super) fn fetch_nvd(
        &self,
        feed: &Feed,
        state: &DownloadCacheState,
        cache: &Path,
        incoming: &Path,
        have_db: bool,
    ) -> Result<Option<Fetched>, FeedError> {
        let now = OffsetDateTime::now_utc();
        let first_page = self.url_of(feed, &format!("?resultsPerPage={NVD_PAGE}&startIndex=0"));
        let usable = usable(state, feed, cache, have_db).filter(|i| {
            i.base.first().and_then(|f| state.files.get(f)).is_some_and(|e| e.url == first_page)
                && i.overlays.len() < MAX_OVERLAYS
                && i.overlays.iter().map(|o| o.records).sum::<u64>() < MAX_NVD_OVERLAY
        });
        if let Some(incremental) = usable
            && let Ok(since) = OffsetDateTime::parse(&incremental.mark, &Rfc3339)
            && since <= now
            && now - since <= NVD_WINDOW
            && let Some(window) = self.fetch_nvd_window(feed, since, now, incoming)?
        {
            let changed = !window.is_empty();
            let mut overlays = window;
            overlays.extend(cached_overlays(incremental, cache));
            let files = cached_base(incremental, state, cache);
            return Ok(Some(Fetched { files, overlays, mark: Mark::Set(rfc3339(now)), changed }));
        }
        let had_overlays = state.incremental.get(&feed.name).is_some_and(|i| !i.overlays.is_empty());
        let files = self.fetch_nvd_pages(feed, state, cache, incoming, have_db)?;
        Ok(Some(Fetched { files, overlays: Vec::new(), mark: Mark::Set(rfc3339(now)), changed: had_overlays }))
    }

    /// The pages of CVEs modified in `since..=until`, as new overlay files (in page order; none
    /// when nothing changed). `None`: the server refuses the window (404: a mirror of the pages
    /// only, or a window NVD does not take), so the caller pages through everything.
    fn fetch_nvd_window(
        &self,
        feed: &Feed,
        since: OffsetDateTime,
        until: OffsetDateTime,
        incoming: &Path,
    ) -> Result<Option<Vec<Overlay>>, FeedError> {
        let stamp = until.unix_timestamp_nanos() / 1_000_000;
        let (start_date, end_date) = (nvd_date(since), nvd_date(until));
        let empty = DownloadCacheState::default();
        let mut pages: Vec<Overlay> = Vec::new();
        let mut start = 0u64;
        for page in 0..NVD_MAX_PAGES {
            if page > 0 {
                std::thread::sleep(self.nvd_delay());
            }
            let query = format!(
                "?lastModStartDate={start_date}&lastModEndDate={end_date}&resultsPerPage={NVD_PAGE}&startIndex={start}"
            );
            let url = self.url_of(feed, &query);
            let file = format!("{}.changes-{stamp}.page{page}", file_name_of(&feed.name, None));
            let Some((path, _)) = self.fetch_one(&url, &file, true, true, &empty, incoming, incoming, false)? else {
                for p in &pages {
                    let _ = std::fs::remove_file(&p.path);
                }
                return Ok(None);
            };
            let (index, per_page, total) = page_info_of(&path, &url)?
                .ok_or_else(|| FeedError::malformed(&url, "not an NVD API page (no startIndex/totalResults)"))?;
            if total == 0 || per_page == 0 {
                let _ = std::fs::remove_file(&path);
                break;
            }
            pages.push(Overlay { file, path, origin: url, records: per_page });
            start = index + per_page;
            if start >= total {
                break;
            }
        }
        Ok(Some(pages))
    }

    /// Opens a streaming GET, retried like every download. `None`: 404.
    fn open(&self, url: &str) -> Result<Option<reqwest::blocking::Response>, FeedError> {
        let Some(client) = &self.client else {
            return Err(FeedError::Download { url: url.to_owned(), message: "no HTTP client".into() });
        };
        let mut wait = self.options.backoff;
        let mut attempt = 0u32;
        loop {
            let message = match client.get(url).send() {
                Ok(r) if r.status() == reqwest::StatusCode::NOT_FOUND => return Ok(None),
                Ok(r) if r.status().is_success() => return Ok(Some(r)),
                Ok(r) => {
                    let status = r.status();
                    let retryable = status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS;
                    if !retryable {
                        return Err(FeedError::Download { url: url.to_owned(), message: format!("HTTP {status}") });
                    }
                    format!("HTTP {status}")
                }
                Err(e) => format!("request failed: {}", error_chain(&e)),
            };
            if attempt >= self.options.retries {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Option<OffsetDateTime> {
        Some(OffsetDateTime::parse(s, &Rfc3339).unwrap())
    }

    const LIST: &str = "2026-12-07T10:00:00.5Z,GHSA-aaaa-bbbb-cccc\n\
                        2026-12-07T09:00:00Z,PYSEC-2026-2\n\
                        2026-12-06T00:00:00Z,PYSEC-2026-1\n\
                        2026-12-05T00:00:00Z,PYSEC-2025-9\n";

    #[test]
    fn the_list_is_read_down_to_the_mark_only() {
        let since = parse_modified(LIST.as_bytes(), "l", at("2026-12-06T00:00:00Z"), 10).unwrap();
        assert_eq!(
            since,
            Since::Changes {
                newest: Some("2026-12-07T10:00:00.5Z".into()),
                ids: vec!["GHSA-aaaa-bbbb-cccc".into(), "PYSEC-2026-2".into()]
            }
        );
        // stops at the mark: a malformed line after it is never read
        let tail = format!("{LIST}garbage\n");
        assert!(parse_modified(tail.as_bytes(), "l", at("2026-12-06T12:00:00Z"), 10).is_ok());
        // nothing newer
        let none = parse_modified(LIST.as_bytes(), "l", at("2026-12-07T10:00:00.5Z"), 10).unwrap();
        assert_eq!(none, Since::Changes { newest: Some("2026-12-07T10:00:00.5Z".into()), ids: vec![] });
        // without a mark: the newest entry only
        let first = parse_modified(tail.as_bytes(), "l", None, 10).unwrap();
        assert_eq!(first, Since::Changes { newest: Some("2026-12-07T10:00:00.5Z".into()), ids: vec![] });
        // too many, or a list that ends before the mark
        assert_eq!(parse_modified(LIST.as_bytes(), "l", at("2026-12-05T00:00:00Z"), 2).unwrap(), Since::TooMany);
        assert_eq!(parse_modified(LIST.as_bytes(), "l", at("2020-01-01T00:00:00Z"), 10).unwrap(), Since::Gap);
        // a header line is skipped; a bad line names the file and line
        let header = format!("modified,id\n{LIST}");
        assert!(
            matches!(parse_modified(header.as_bytes(), "l", at("2026-12-07T00:00:00Z"), 10).unwrap(), Since::Changes { ids, .. } if ids.len() == 2)
        );
        let err = parse_modified("2026-12-07T10:00:00Z,../../etc/passwd\n".as_bytes(), "list.csv", None, 10);
        assert!(err.unwrap_err().to_string().contains("list.csv:1"));
        let long = format!("2026-12-07T10:00:00Z,{}\n", "A".repeat(2000));
        assert!(parse_modified(long.as_bytes(), "l", None, 10).unwrap_err().to_string().contains("longer than"));
        let bad = parse_modified("yesterday,GHSA-1\n".as_bytes(), "l", None, 10);
        assert!(bad.unwrap_err().to_string().contains("modified time"));
    }

    #[test]
    fn nvd_dates_are_extended_iso_8601_in_utc() {
        let t = OffsetDateTime::parse("2026-12-07T15:04:05.123456+02:00", &Rfc3339).unwrap();
        assert_eq!(nvd_date(t), "2026-12-07T13:04:05.123%2B00:00");
    }
}
