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
}

/// One request the server saw.
#[derive(Clone, Debug)]
pub struct Seen {
    /// Path without the query.
    pub path: String,
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
        Some(Route::DropHalfway(body)) => {
            write!(out, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len())?;
            out.write_all(&body[..body.len() / 2])?;
            out.flush()?;
            let _ = out.shutdown(std::net::Shutdown::Both);
            200
        }
    };
    log.lock().unwrap().push(Seen { path, if_none_match, status });
    out.flush()
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
    s.file("/rest/json/cves/2.0", read(vunnel.join("nvd/test-fixtures/full-page.json")));
    s.file(
        "/sites/default/files/feeds/known_exploited_vulnerabilities.json",
        read(fixtures.join("kev-cisa/known_exploited_vulnerabilities.json")),
    );
    s.file("/epss_scores-current.csv.gz", read(vuls.join("epss/testdata/fixtures/epss_scores-2023-03-07.csv.gz")));
    s
}
