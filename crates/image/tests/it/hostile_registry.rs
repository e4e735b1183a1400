//! The `registry:` source against hostile registries: small HTTP servers on loopback, written
//! here, that answer with endless, oversized, trickled or missing bodies (the attacks of issue 23).
//! Every network read must be bounded in bytes for its kind of document while it streams, by a
//! stall timeout and by the overall deadline, and the error must say which bound was hit, naming
//! the registry and the document.

#![allow(clippy::unwrap_used)]

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use microscanner_image::{EntryKind, ImageError, LayerVisitor, Limits, OpenOptions, RegistryOptions, open_with};

/// The longest any test may take: a guard against hangs, not a timing assertion.
const HANG_GUARD: Duration = Duration::from_secs(30);

/// Answers one request on `stream` (the request head is already read) for `path`; `addr` is the
/// server's own `host:port`.
type Handler = dyn Fn(&str, &mut TcpStream, &str) -> io::Result<()> + Send + Sync;

/// Starts a server on a free loopback port that reads each request head and calls `handler`;
/// returns its `host:port`. Connections that do not start with an HTTP method (a TLS hello: the
/// client tries HTTPS first on loopback) are closed, so the client falls back to plain HTTP.
fn serve(handler: impl Fn(&str, &mut TcpStream, &str) -> io::Result<()> + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let handler: Arc<Handler> = Arc::new(handler);
    let own = addr.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let (handler, own) = (Arc::clone(&handler), own.clone());
            std::thread::spawn(move || {
                if let Some(path) = request_path(&mut stream) {
                    let _ = handler(&path, &mut stream, &own);
                }
            });
        }
    });
    addr
}

/// Reads a request head and returns its path; `None` for anything that is not HTTP.
fn request_path(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 64 << 10 || stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        if head.is_empty() && !byte[0].is_ascii_uppercase() {
            return None;
        }
        head.push(byte[0]);
    }
    let line = String::from_utf8_lossy(&head).lines().next()?.to_owned();
    line.split(' ').nth(1).map(str::to_owned)
}

/// Writes a whole answer.
fn respond(stream: &mut TcpStream, status: &str, headers: &[&str], body: &[u8]) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for header in headers {
        head.push_str(header);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)
}

/// Writes an answer whose chunked body repeats `chunk` until the client goes away.
fn endless(stream: &mut TcpStream, status: &str, headers: &[&str], first: &[u8], chunk: &[u8]) -> io::Result<()> {
    let mut head = format!("HTTP/1.1 {status}\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n");
    for header in headers {
        head.push_str(header);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    write_chunk(stream, first)?;
    loop {
        write_chunk(stream, chunk)?;
    }
}

/// One frame of a chunked body.
fn write_chunk(stream: &mut TcpStream, data: &[u8]) -> io::Result<()> {
    if data.is_empty() {
        return Ok(());
    }
    stream.write_all(format!("{:x}\r\n", data.len()).as_bytes())?;
    stream.write_all(data)?;
    stream.write_all(b"\r\n")
}

/// `/v2/`: the API root, open to anyone.
fn api_root(path: &str, stream: &mut TcpStream) -> Option<io::Result<()>> {
    (path == "/v2/").then(|| respond(stream, "200 OK", &["Content-Type: application/json"], b"{}"))
}

/// Options with an empty docker config (the user's own credentials never reach a test server).
fn options(dir: &Path) -> OpenOptions {
    let config = dir.join("empty-config.json");
    std::fs::write(&config, "{}").unwrap();
    OpenOptions {
        registry: RegistryOptions { docker_config: Some(config), ..RegistryOptions::default() },
        ..OpenOptions::default()
    }
}

/// Runs `f` on its own thread and returns its result, failing the test if it takes longer than
/// [`HANG_GUARD`].
fn guarded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(HANG_GUARD).expect("the open did not end within the hang guard")
}

/// Opens `registry:ADDR/t/app:latest` with `options` and returns the error it must end with,
/// checked to be one line naming the registry.
fn open_error(addr: &str, options: OpenOptions) -> String {
    let target = format!("registry:{addr}/t/app:latest");
    let result = guarded(move || open_with(&target, &options).map(|images| images.len()));
    let err = result.expect_err("the open must fail");
    let msg = err.to_string();
    assert!(!msg.contains('\n'), "error is not one line: {msg:?}");
    assert!(msg.contains(addr), "the error names the registry: {msg}");
    assert!(matches!(err, ImageError::Registry { .. }), "{err:?}");
    msg
}

/// Peak resident memory of this process, in bytes (Linux).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The endless bodies were not held: the process stayed small.
fn assert_memory_bounded() {
    if let Some(peak) = peak_rss() {
        assert!(peak < 512 << 20, "peak RSS {peak} bytes: a body was buffered without bound");
    }
}

const MANIFEST_PATH: &str = "/v2/t/app/manifests/latest";

#[test]
fn endless_chunked_manifest_is_cut_at_the_document_bound() {
    let addr = serve(|path, stream, _| {
        if let Some(done) = api_root(path, stream) {
            return done;
        }
        let headers = ["Content-Type: application/vnd.oci.image.manifest.v1+json"];
        endless(stream, "200 OK", &headers, br#"{"schemaVersion":2,"layers":[""#, &[b' '; 64 << 10])
    });
    let tmp = tempfile::tempdir().unwrap();
    let msg = open_error(&addr, options(tmp.path()));
    assert!(msg.contains("manifest of t/app:latest exceeds 8 MiB while streaming"), "{msg}");
    assert_memory_bounded();
}

#[test]
fn endless_token_answer_is_cut_at_the_token_bound() {
    let addr = serve(|path, stream, own| {
        if path == "/v2/" || path.starts_with("/v2/t/") {
            let challenge = format!(r#"WWW-Authenticate: Bearer realm="http://{own}/token",service="fake""#);
            return respond(stream, "401 Unauthorized", &[&challenge], b"");
        }
        if path.starts_with("/token?") {
            return endless(stream, "200 OK", &["Content-Type: application/json"], br#"{"token":""#, &[b'a'; 64 << 10]);
        }
        respond(stream, "404 Not Found", &[], b"")
    });
    let tmp = tempfile::tempdir().unwrap();
    let msg = open_error(&addr, options(tmp.path()));
    assert!(msg.contains(&format!("token answer from http://{addr}/token exceeds 1 MiB while streaming")), "{msg}");
    assert_memory_bounded();
}

#[test]
fn manifest_declaring_a_gigabyte_is_refused_before_reading() {
    let addr = serve(|path, stream, _| {
        if let Some(done) = api_root(path, stream) {
            return done;
        }
        let head = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1073741824\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\n\r\n";
        stream.write_all(head.as_bytes())?;
        // Would send the whole gigabyte if it were read.
        loop {
            stream.write_all(&[b' '; 64 << 10])?;
        }
    });
    let tmp = tempfile::tempdir().unwrap();
    let msg = open_error(&addr, options(tmp.path()));
    assert!(msg.contains("manifest of t/app:latest declares 1073741824 bytes (Content-Length)"), "{msg}");
    assert!(msg.contains("8 MiB") && msg.contains("not read"), "{msg}");
    assert_memory_bounded();
}

/// A server whose manifest arrives one byte every `interval`, forever.
fn trickling(interval: Duration) -> String {
    serve(move |path, stream, _| {
        if let Some(done) = api_root(path, stream) {
            return done;
        }
        let headers = ["Content-Type: application/vnd.oci.image.manifest.v1+json"];
        let mut head = "HTTP/1.1 200 OK\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n".to_owned();
        for header in headers {
            head.push_str(header);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        loop {
            write_chunk(stream, b" ")?;
            std::thread::sleep(interval);
        }
    })
}

#[test]
fn manifest_at_one_byte_a_second_trips_the_stall_timeout() {
    let addr = trickling(Duration::from_secs(1));
    let tmp = tempfile::tempdir().unwrap();
    let mut opts = options(tmp.path());
    opts.stall_timeout = Duration::from_millis(300);
    let msg = open_error(&addr, opts);
    assert!(msg.contains("manifest of t/app:latest: nothing received for 300 ms (stall timeout)"), "{msg}");
}

#[test]
fn manifest_at_one_byte_a_second_ends_at_the_deadline() {
    let addr = trickling(Duration::from_secs(1));
    let tmp = tempfile::tempdir().unwrap();
    let mut opts = options(tmp.path());
    opts.stall_timeout = Duration::from_secs(5);
    opts.timeout = Some(Duration::from_secs(3));
    let msg = open_error(&addr, opts);
    assert!(msg.contains("manifest of t/app:latest: not done within the overall timeout of 3 s"), "{msg}");
}

#[test]
fn server_that_never_answers_trips_the_stall_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        // Accept, hold every connection open, answer nothing.
        let held: Vec<TcpStream> = listener.incoming().map_while(Result::ok).collect();
        drop(held);
    });
    let tmp = tempfile::tempdir().unwrap();
    let mut opts = options(tmp.path());
    opts.stall_timeout = Duration::from_millis(500);
    let msg = open_error(&addr, opts);
    assert!(msg.contains("nothing received for 500 ms (stall timeout)"), "{msg}");
}

/// A config that names one layer, its digest, and a manifest naming both (with the given layer
/// size).
fn image_documents(layer_size: u64) -> (Vec<u8>, String, Vec<u8>, String) {
    let config = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:1111111111111111111111111111111111111111111111111111111111111111"]}}"#.to_vec();
    let config_digest = microscanner_image::sha256_of(&config);
    let layer_digest = format!("sha256:{}", "2".repeat(64));
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": { "mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len() },
        "layers": [{ "mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": layer_size }],
    }))
    .unwrap();
    (manifest, config_digest, config, layer_digest)
}

#[test]
fn endless_config_blob_is_cut_at_the_document_bound() {
    let (manifest, config_digest, _, _) = image_documents(1000);
    let config_path = format!("/v2/t/app/blobs/{config_digest}");
    let addr = serve(move |path, stream, _| {
        if let Some(done) = api_root(path, stream) {
            return done;
        }
        if path == MANIFEST_PATH {
            return respond(stream, "200 OK", &["Content-Type: application/vnd.oci.image.manifest.v1+json"], &manifest);
        }
        if path == config_path {
            return endless(stream, "200 OK", &[], b"{", &[b' '; 64 << 10]);
        }
        respond(stream, "404 Not Found", &[], b"")
    });
    let tmp = tempfile::tempdir().unwrap();
    let msg = open_error(&addr, options(tmp.path()));
    assert!(msg.contains(&format!("config {config_digest} exceeds 8 MiB while streaming")), "{msg}");
    assert_memory_bounded();
}

#[test]
fn oversized_error_body_is_cut_at_the_error_bound() {
    let addr = serve(|path, stream, _| {
        if let Some(done) = api_root(path, stream) {
            return done;
        }
        endless(stream, "500 Internal Server Error", &["Content-Type: text/html"], b"<html>", &[b'x'; 64 << 10])
    });
    let tmp = tempfile::tempdir().unwrap();
    let msg = open_error(&addr, options(tmp.path()));
    assert!(msg.contains("HTTP 500 for manifest of t/app:latest (error body over 64 KiB, not read further)"), "{msg}");
    assert_memory_bounded();
}

/// Counts entries; wants no content.
struct Nothing;

impl LayerVisitor for Nothing {
    fn wants(&mut self, _path: &str, _size: u64) -> bool {
        false
    }

    fn file(&mut self, _path: &str, _size: u64, _content: &mut dyn Read) -> io::Result<()> {
        Ok(())
    }

    fn entry(&mut self, _path: &str, _kind: EntryKind) {}

    fn skipped(&mut self, _raw_path: &str, _reason: &str) {}
}

#[test]
fn endless_layer_blob_is_cut_at_its_descriptor_size() {
    let (manifest, config_digest, config, layer_digest) = image_documents(4096);
    let config_path = format!("/v2/t/app/blobs/{config_digest}");
    let layer_path = format!("/v2/t/app/blobs/{layer_digest}");
    let addr = serve(move |path, stream, _| {
        if let Some(done) = api_root(path, stream) {
            return done;
        }
        if path == MANIFEST_PATH {
            return respond(stream, "200 OK", &["Content-Type: application/vnd.oci.image.manifest.v1+json"], &manifest);
        }
        if path == config_path {
            return respond(stream, "200 OK", &[], &config);
        }
        if path == layer_path {
            return endless(stream, "200 OK", &[], &[0; 512], &[0; 64 << 10]);
        }
        respond(stream, "404 Not Found", &[], b"")
    });
    let tmp = tempfile::tempdir().unwrap();
    let opts = options(tmp.path());
    let target = format!("registry:{addr}/t/app:latest");
    let err = guarded(move || {
        let images = open_with(&target, &opts).unwrap();
        images[0].layers[0].walk(&Limits::default(), &mut Nothing).map(|_| ())
    })
    .expect_err("the walk must fail");
    let msg = err.to_string();
    assert!(!msg.contains('\n'), "{msg:?}");
    assert!(msg.contains(&format!("layer {layer_digest} exceeds 4 KiB while streaming")), "{msg}");
    assert!(msg.contains(&addr), "{msg}");
    assert_memory_bounded();
}
