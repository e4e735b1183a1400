//! A tiny HTTP/1.1 server on 127.0.0.1 for update tests: serves byte bodies at fixed paths with
//! ETags and conditional GET, and can misbehave on purpose (500, dropped connection).
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::panic)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// How a path answers.
#[derive(Clone, Debug)]
pub enum Route {
    /// 200 with this body and ETag (304 when If-None-Match matches).
    File { body: Arc<Vec<u8>>, etag: String },
    /// Always this status, empty body.
    Status(u16),
    /// Announce the full length, send half the body, close.
    DropHalfway(Arc<Vec<u8>>),
    /// NVD's CVE API 2.0 over these items (`{"cve": {...}}`), answered as NVD answers:
    /// `resultsPerPage` and `startIndex` page them; `lastModStartDate` and `lastModEndDate`
    /// (both or neither, at most 120 days apart, else 404) keep those whose `lastModified` is in
    /// the window. Every page says `timestamp`.
    Nvd { items: Arc<Vec<serde_json::Value>>, timestamp: String },
}

/// One request the server saw.
#[derive(Clone, Debug)]
pub struct Seen {
    /// Path without the query.
    pub path: String,
    /// Path and query, as requested.
    pub target: String,
    /// The If-None-Match header, if sent.
    pub if_none_match: Option<String>,
    /// The status answered.
    pub status: u16,
}

/// The server handle.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    routes: Arc<Mutex<HashMap<String, Route>>>,
    log: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    /// Starts serving on a free loopback port.
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let routes: Arc<Mutex<HashMap<String, Route>>> = Arc::default();
        let log: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let (r, l) = (routes.clone(), log.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (r, l) = (r.clone(), l.clone());
                std::thread::spawn(move || {
                    let _ = handle(stream, &r, &l);
                });
            }
        });
        Self { base, routes, log }
    }

    /// Serves `body` at `path` (ETag derived from its content). A path with a `?query` matches
    /// only that query; one without matches any.
    pub fn file(&self, path: &str, body: Vec<u8>) {
        let etag = format!("\"{:x}-{}\"", fxhash(&body), body.len());
        self.set(path, Route::File { body: Arc::new(body), etag });
    }

    /// Sets a route.
    pub fn set(&self, path: &str, route: Route) {
        self.routes.lock().unwrap().insert(path.to_owned(), route);
    }

    /// The current route of a path.
    pub fn get(&self, path: &str) -> Option<Route> {
        self.routes.lock().unwrap().get(path).cloned()
    }

    /// Requests seen so far, and forget them.
    pub fn take_log(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

fn fxhash(b: &[u8]) -> u64 {
    b.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, x| (h ^ u64::from(*x)).wrapping_mul(0x100_0000_01b3))
}

fn handle(stream: TcpStream, routes: &Mutex<HashMap<String, Route>>, log: &Mutex<Vec<Seen>>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let target = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let path = target.split('?').next().unwrap_or("/").to_owned();
    let mut if_none_match = None;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.trim().eq_ignore_ascii_case("if-none-match")
        {
            if_none_match = Some(v.trim().to_owned());
        }
    }
    let route = {
        let routes = routes.lock().unwrap();
        routes.get(&target).or_else(|| routes.get(&path)).cloned()
    };
    let route = match route {
        Some(Route::Nvd { items, timestamp }) => {
            nvd_answer(&target, &items, &timestamp).map_or(Some(Route::Status(404)), |body| {
                let etag = format!("\"{:x}-{}\"", fxhash(&body), body.len());
                Some(Route::File { body: Arc::new(body), etag })
            })
        }
        other => other,
    };
    let mut out = stream;
    let status = match route {
        None => {
            write!(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
            404
        }
        Some(Route::Status(code)) => {
            write!(out, "HTTP/1.1 {code} Oops\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
            code
        }
        Some(Route::File { etag, .. }) if if_none_match.as_deref() == Some(etag.as_str()) => {
            write!(out, "HTTP/1.1 304 Not Modified\r\nETag: {etag}\r\nConnection: close\r\n\r\n")?;
            304
        }
        Some(Route::File { body, etag }) => {
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nETag: {etag}\r\nLast-Modified: Mon, 23 Nov 2026 10:00:00 GMT\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            out.write_all(&body)?;
            200
        }
        Some(Route::Nvd { .. }) => unreachable!("answered above"),
        Some(Route::DropHalfway(body)) => {
            write!(out, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len())?;
            out.write_all(&body[..body.len() / 2])?;
            out.flush()?;
            let _ = out.shutdown(std::net::Shutdown::Both);
            200
        }
    };
    log.lock().unwrap().push(Seen { path, target, if_none_match, status });
    out.flush()
}

/// A time of an NVD query (`2026-12-07T13:04:05.123%2B00:00`) or record (`2023-10-18T18:00:24.900`,
/// UTC).
fn nvd_time(s: &str) -> Option<time::OffsetDateTime> {
    let s = s.replace("%2B", "+").replace("%3A", ":");
    let s = if s.contains('+') || s.ends_with('Z') { s } else { format!("{s}Z") };
    time::OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339).ok()
}

/// The page NVD's API answers `target` with, `None` for a query it refuses (404).
fn nvd_answer(target: &str, items: &[serde_json::Value], timestamp: &str) -> Option<Vec<u8>> {
    let query: HashMap<&str, &str> =
        target.split_once('?').map(|(_, q)| q).unwrap_or("").split('&').filter_map(|kv| kv.split_once('=')).collect();
    let number = |k: &str| query.get(k).map_or(Some(0), |v| v.parse::<usize>().ok());
    let (start_index, per_page) = (number("startIndex")?, number("resultsPerPage")?.clamp(1, 2000));
    let window = match (query.get("lastModStartDate"), query.get("lastModEndDate")) {
        (None, None) => None,
        (Some(a), Some(b)) => {
            let (a, b) = (nvd_time(a)?, nvd_time(b)?);
            if b < a || b - a > time::Duration::days(120) {
                return None;
            }
            Some((a, b))
        }
        _ => return None,
    };
    let selected: Vec<&serde_json::Value> = items
        .iter()
        .filter(|item| {
            window.is_none_or(|(a, b)| {
                nvd_time(item["cve"]["lastModified"].as_str().unwrap_or("")).is_some_and(|t| a <= t && t <= b)
            })
        })
        .collect();
    let page: Vec<&serde_json::Value> = selected.iter().skip(start_index).take(per_page).copied().collect();
    let body = serde_json::json!({
        "resultsPerPage": page.len(),
        "startIndex": start_index,
        "totalResults": selected.len(),
        "format": "NVD_CVE",
        "version": "2.0",
        "timestamp": timestamp,
        "vulnerabilities": page,
    });
    Some(serde_json::to_vec(&body).unwrap())
}

/// NVD's API over the items of a real page (its own `timestamp` on every answer).
pub fn nvd_route(page: &[u8]) -> Route {
    let page: serde_json::Value = serde_json::from_slice(page).unwrap();
    let items = page["vulnerabilities"].as_array().unwrap().clone();
    Route::Nvd { items: Arc::new(items), timestamp: page["timestamp"].as_str().unwrap().to_owned() }
}

/// Serves the fixture feeds at their upstream paths. Returns the server.
pub fn serve_fixtures(fixtures: &std::path::Path) -> Server {
    let s = Server::start();
    let vuls = fixtures.join("feeds-vuls-data-update-fixtures/pkg/fetch");
    let vunnel = fixtures.join("feeds-vunnel-fixtures/tests/unit/providers");
    let read = |p: std::path::PathBuf| std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    s.file("/PyPI/all.zip", read(vuls.join("pip/osv/testdata/fixtures/all.zip")));
    s.file("/Go/all.zip", read(vuls.join("golang/osv/testdata/fixtures/all.zip")));
    s.file("/crates.io/all.zip", read(vuls.join("cargo/osv/testdata/fixtures/all.zip")));
    s.file("/Debian/all.zip", read(vuls.join("debian/osv/testdata/fixtures/all.zip")));
    s.file("/Alpine/all.zip", read(vuls.join("alpine/osv/testdata/fixtures/all.zip")));
    s.file("/tracker/data/json", read(vunnel.join("debian/test-fixtures/input/debian.json")));
    let lists = fixtures.join("debian-security-tracker/CVEDB-mirror/data");
    for l in ["DSA", "DLA"] {
        s.file(
            &format!("/security-tracker-team/security-tracker/-/raw/master/data/{l}/list"),
            read(lists.join(l).join("list")),
        );
    }
    for release in ["v3.3", "v3.4", "v3.5", "v3.6", "v3.7", "v3.8", "v3.9", "v3.10", "v3.11"] {
        for repo in ["main", "community"] {
            s.file(
                &format!("/{release}/{repo}.json"),
                read(fixtures.join("alpine-secdb").join(release).join(format!("{repo}.json"))),
            );
        }
    }
    s.set("/rest/json/cves/2.0", nvd_route(&read(vunnel.join("nvd/test-fixtures/full-page.json"))));
    s.file(
        "/sites/default/files/feeds/known_exploited_vulnerabilities.json",
        read(fixtures.join("kev-cisa/known_exploited_vulnerabilities.json")),
    );
    s.file("/epss_scores-current.csv.gz", read(vuls.join("epss/testdata/fixtures/epss_scores-2023-03-07.csv.gz")));
    s
}
