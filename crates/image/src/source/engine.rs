//! `docker:REF` and `podman:REF`: an image a local engine holds, read through the Docker engine
//! API (bollard). Podman answers the same API on its service socket.
//!
//! The image is inspected (so a missing image is a clear error), then exported
//! (`GET /images/{name}/get`, the `docker save` tar) into a scratch file, bounded in size, which
//! the docker-archive reader opens; the file is deleted with the [`Image`]. The engine's async
//! calls run on a small runtime made for the call and dropped before returning.

use std::error::Error as StdError;
use std::future::Future;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::Docker;
use bollard::errors::Error as EngineError;
use futures_util::StreamExt as _;

use super::docker_archive;
use crate::{Image, ImageError, OpenOptions};

/// Which engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Engine {
    /// The Docker engine.
    Docker,
    /// Podman's Docker-compatible service.
    Podman,
}

impl Engine {
    /// The engine's name as reports and errors show it (also the image's `source`).
    fn name(self) -> &'static str {
        match self {
            Self::Docker => "docker",
            Self::Podman => "podman",
        }
    }

    /// What to tell the user when the engine cannot be reached.
    fn hint(self) -> &'static str {
        match self {
            Self::Docker => "is the daemon running? set DOCKER_HOST",
            Self::Podman => "is `podman system service` running? set CONTAINER_HOST",
        }
    }
}

/// The Docker engine's socket when `DOCKER_HOST` is not set.
const DOCKER_DEFAULT_HOST: &str = "unix:///var/run/docker.sock";
/// Podman's system-wide (rootful) service socket.
const PODMAN_SYSTEM_HOST: &str = "unix:///run/podman/podman.sock";

/// Seconds a connection plus one short request (inspect) may take.
const CONNECT_TIMEOUT_SECS: u64 = 10;
/// Seconds the engine may take to start the export, and the longest pause between two chunks.
const EXPORT_TIMEOUT_SECS: u64 = 120;
/// The export may be this many times [`crate::Limits::max_layer_bytes`]: an image has several
/// layers, each bounded by that limit when it is walked; the export is bounded as a whole.
const EXPORT_LAYER_FACTOR: u64 = 4;

/// Exports `reference` from the engine and opens it.
pub(crate) fn open(engine: Engine, reference: &str, target: &str, options: &OpenOptions) -> Result<Image, ImageError> {
    check_reference(reference, target)?;
    let host = endpoint(engine);
    let fail = |reason: String| ImageError::Engine { engine: engine.name(), endpoint: host.clone(), reason };
    let scratch = run(engine, &host, async {
        let docker = connect(&host).map_err(|e| fail(unreachable_reason(engine, &e)))?;
        match inspect(&docker, reference).await {
            Ok(size) => check_size(size, reference, options).map_err(fail)?,
            Err(e) if is_not_found(&e) => return Err(fail(format!("no image {reference}"))),
            Err(e) => return Err(fail(request_reason(engine, &e))),
        }
        export(&docker, engine, &host, reference, options).await
    })??;
    finish(engine, scratch, target, options)
}

/// The image from the local engine when one is reachable and holds `reference`; `None` otherwise.
///
/// Docker's endpoint (`DOCKER_HOST`, else the default socket) is tried first, then Podman's
/// (`CONTAINER_HOST`, else its rootless and system sockets). An engine that is not there, refuses
/// the connection, does not answer or does not have the image is skipped; only a failure after
/// the image was found (the export) is an error.
pub(crate) fn open_if_present(
    reference: &str,
    target: &str,
    options: &OpenOptions,
) -> Result<Option<Image>, ImageError> {
    if check_reference(reference, target).is_err() {
        return Ok(None);
    }
    let mut tried: Vec<String> = Vec::new();
    for (engine, host) in candidates() {
        if tried.contains(&host) {
            continue;
        }
        tried.push(host.clone());
        if let Some(path) = socket_path(&host)
            && !path.exists()
        {
            tracing::debug!("{reference}: no {} engine at {host} (no socket)", engine.name());
            continue;
        }
        let fail = |reason: String| ImageError::Engine { engine: engine.name(), endpoint: host.clone(), reason };
        // Ok: found, and the export's outcome; Err: skipped, why, and whether to say so aloud.
        let probe = run(engine, &host, async {
            let docker = match connect(&host) {
                Ok(docker) => docker,
                Err(e) => return Err((unreachable_reason(engine, &e), false)),
            };
            match inspect(&docker, reference).await {
                Ok(size) => {
                    tracing::info!("{reference}: found in the {} engine at {host}", engine.name());
                    if let Err(reason) = check_size(size, reference, options) {
                        return Ok(Err(fail(reason)));
                    }
                    Ok(export(&docker, engine, &host, reference, options).await)
                }
                Err(e) if is_not_found(&e) => Err(("it does not have the image".to_owned(), false)),
                Err(e) => {
                    let connect_failed = matches!(&e, EngineError::HyperLegacyError { err } if err.is_connect());
                    Err((request_reason(engine, &e), !connect_failed))
                }
            }
        });
        match probe {
            Ok(Ok(exported)) => return finish(engine, exported?, target, options).map(Some),
            Ok(Err((reason, false))) => tracing::debug!("{reference}: {} engine at {host}: {reason}", engine.name()),
            Ok(Err((reason, true))) => {
                tracing::warn!("{reference}: {} engine at {host} skipped: {reason}", engine.name())
            }
            Err(e) => tracing::warn!("{reference}: {e}"),
        }
    }
    Ok(None)
}

/// Opens the exported archive and makes the image own (and delete) it.
fn finish(
    engine: Engine,
    scratch: tempfile::TempPath,
    target: &str,
    options: &OpenOptions,
) -> Result<Image, ImageError> {
    let mut image = docker_archive::open(&scratch, target, &options.limits)?;
    image.info.source = engine.name().to_owned();
    image.scratch = Some(scratch);
    Ok(image)
}

/// Refuses references that are not image names: they are put into a request path, so `?`, `#`,
/// spaces or `..` must not reach it.
fn check_reference(reference: &str, target: &str) -> Result<(), ImageError> {
    let charset = reference.chars().all(|c| c.is_ascii_alphanumeric() || "._-/:@".contains(c));
    let segments = reference.split('/').all(|s| !s.is_empty() && s != "." && s != "..");
    if !reference.is_empty() && charset && segments && !reference.contains("..") {
        return Ok(());
    }
    Err(ImageError::Target { target: target.to_owned(), reason: format!("{reference:?} is not an image reference") })
}

/// The endpoint of an engine as the environment names it.
fn endpoint(engine: Engine) -> String {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    match engine {
        Engine::Docker => var("DOCKER_HOST").unwrap_or_else(|| DOCKER_DEFAULT_HOST.to_owned()),
        Engine::Podman => var("CONTAINER_HOST")
            .or_else(|| var("DOCKER_HOST"))
            .or_else(podman_rootless_host)
            .unwrap_or_else(|| PODMAN_SYSTEM_HOST.to_owned()),
    }
}

/// `$XDG_RUNTIME_DIR/podman/podman.sock` when that socket exists.
fn podman_rootless_host() -> Option<String> {
    let dir = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty())?;
    let path = PathBuf::from(dir).join("podman").join("podman.sock");
    path.exists().then(|| format!("unix://{}", path.display()))
}

/// The endpoints a bare reference is looked for at, in order.
fn candidates() -> Vec<(Engine, String)> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let mut list = vec![(Engine::Docker, endpoint(Engine::Docker))];
    if let Some(host) = var("CONTAINER_HOST") {
        list.push((Engine::Podman, host));
    }
    if let Some(host) = podman_rootless_host() {
        list.push((Engine::Podman, host));
    }
    list.push((Engine::Podman, PODMAN_SYSTEM_HOST.to_owned()));
    list
}

/// The socket file of a `unix://` endpoint (or a bare absolute path).
fn socket_path(host: &str) -> Option<&Path> {
    if let Some(path) = host.strip_prefix("unix://") {
        return Some(Path::new(path));
    }
    host.starts_with('/').then(|| Path::new(host))
}

/// A client for the endpoint; nothing is sent yet (a missing socket file is an error already).
fn connect(host: &str) -> Result<Docker, EngineError> {
    let version = bollard::API_DEFAULT_VERSION;
    if let Some(path) = socket_path(host) {
        return Docker::connect_with_unix(&path.to_string_lossy(), CONNECT_TIMEOUT_SECS, version);
    }
    if host.starts_with("tcp://") || host.starts_with("http://") {
        return Docker::connect_with_http(host, CONNECT_TIMEOUT_SECS, version);
    }
    Err(EngineError::UnsupportedURISchemeError { uri: host.to_owned() })
}

/// Inspects the image; its size when the engine states it. Only the status matters: a body this
/// client cannot parse still means the engine has the image.
async fn inspect(docker: &Docker, reference: &str) -> Result<Option<u64>, EngineError> {
    match docker.inspect_image(reference).await {
        Ok(info) => Ok(info.size.and_then(|s| u64::try_from(s).ok())),
        Err(EngineError::JsonDataError { .. } | EngineError::JsonSerdeError { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The most bytes an export may have.
fn export_bound(options: &OpenOptions) -> u64 {
    options.limits.max_layer_bytes.saturating_mul(EXPORT_LAYER_FACTOR)
}

/// Refuses, before exporting, an image the engine says is bigger than the export bound.
fn check_size(size: Option<u64>, reference: &str, options: &OpenOptions) -> Result<(), String> {
    let bound = export_bound(options);
    match size {
        Some(size) if size > bound => {
            Err(format!("image {reference} is {size} bytes, over the bound of {bound} bytes"))
        }
        _ => Ok(()),
    }
}

/// Streams the engine's export of `reference` into a scratch file, bounded in size and in the
/// time between chunks. On any error the file is removed.
async fn export(
    docker: &Docker,
    engine: Engine,
    host: &str,
    reference: &str,
    options: &OpenOptions,
) -> Result<tempfile::TempPath, ImageError> {
    let fail = |reason: String| ImageError::Engine { engine: engine.name(), endpoint: host.to_owned(), reason };
    let dir = options.scratch_dir.clone().unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&dir).map_err(|e| ImageError::io(&dir, e))?;
    let mut file = tempfile::Builder::new()
        .prefix("engine-export-")
        .suffix(".tar")
        .tempfile_in(&dir)
        .map_err(|e| ImageError::io(&dir, e))?;
    let bound = export_bound(options);
    let docker = docker.clone().with_timeout(Duration::from_secs(EXPORT_TIMEOUT_SECS));
    let mut stream = docker.export_image(reference);
    let mut written: u64 = 0;
    tracing::debug!("{reference}: exporting from the {} engine at {host} to {}", engine.name(), file.path().display());
    loop {
        let next = tokio::time::timeout(Duration::from_secs(EXPORT_TIMEOUT_SECS), stream.next())
            .await
            .map_err(|_| fail(format!("export of {reference}: no data for {EXPORT_TIMEOUT_SECS} s")))?;
        let Some(chunk) = next else { break };
        let chunk = chunk.map_err(|e| match e {
            e if is_not_found(&e) => fail(format!("no image {reference}")),
            e => fail(format!("export of {reference} failed: {}", describe(&e))),
        })?;
        written = written.saturating_add(chunk.len() as u64);
        if written > bound {
            return Err(fail(format!("export of {reference} exceeds the bound of {bound} bytes")));
        }
        file.write_all(&chunk).map_err(|e| ImageError::io(file.path(), e))?;
    }
    file.flush().map_err(|e| ImageError::io(file.path(), e))?;
    tracing::debug!("{reference}: exported {written} bytes");
    Ok(file.into_temp_path())
}

/// Runs the engine calls on a runtime made for them (on a thread of its own when the caller is
/// itself inside a tokio runtime, where blocking on another one is not allowed).
fn run<T: Send>(engine: Engine, host: &str, work: impl Future<Output = T> + Send) -> Result<T, ImageError> {
    let block = move || -> Result<T, ImageError> {
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| ImageError::Engine {
                engine: engine.name(),
                endpoint: host.to_owned(),
                reason: format!("cannot start an async runtime: {e}"),
            })?;
        Ok(runtime.block_on(work))
    };
    if tokio::runtime::Handle::try_current().is_err() {
        return block();
    }
    std::thread::scope(|scope| match scope.spawn(block).join() {
        Ok(result) => result,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

/// Whether the engine answered 404 (no such image).
fn is_not_found(err: &EngineError) -> bool {
    matches!(err, EngineError::DockerResponseServerError { status_code: 404, .. })
}

/// Why the engine could not be reached, with what to do about it; one line.
fn unreachable_reason(engine: Engine, err: &EngineError) -> String {
    let what = match err {
        EngineError::SocketNotFoundError(path) => format!("no socket at {path}"),
        EngineError::UnsupportedURISchemeError { uri } => {
            return format!("cannot connect: unsupported endpoint {uri} (use unix:// or tcp://)");
        }
        other => root_cause(other),
    };
    format!("cannot connect: {what} ({})", engine.hint())
}

/// Why a request failed: an unreachable engine gets the hint, an engine's own error its message.
fn request_reason(engine: Engine, err: &EngineError) -> String {
    match err {
        EngineError::DockerResponseServerError { status_code, message } => {
            format!("the engine answered {status_code}: {}", one_line(message))
        }
        EngineError::RequestTimeoutError => {
            format!("cannot connect: no answer within {CONNECT_TIMEOUT_SECS} s ({})", engine.hint())
        }
        EngineError::HyperLegacyError { err: e } if e.is_connect() => unreachable_reason(engine, err),
        other => describe(other),
    }
}

/// An error and its causes on one line (`client error (Connect): Connection refused`).
fn describe(err: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = one_line(&e.to_string());
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// The innermost cause of an error (`Connection refused (os error 111)`), on one line.
fn root_cause(err: &(dyn StdError + 'static)) -> String {
    let mut last = err;
    while let Some(source) = last.source() {
        last = source;
    }
    one_line(&last.to_string())
}

/// Text on one line, trimmed.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_that_could_bend_the_request_path_are_refused() {
        for good in ["alpine", "localhost/mstest:1", "127.0.0.1:5000/a/b:v1", "app@sha256:0123abcd", "a_b-c.d"] {
            assert!(check_reference(good, good).is_ok(), "{good}");
        }
        for bad in ["", "a b", "a?x=1", "a#b", "../containers/json", "a/../b", "/abs", "a//b", "a/", "%2e"] {
            assert!(check_reference(bad, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn endpoints_are_unix_sockets_or_tcp() {
        assert_eq!(socket_path("unix:///run/x.sock"), Some(Path::new("/run/x.sock")));
        assert_eq!(socket_path("/run/x.sock"), Some(Path::new("/run/x.sock")));
        assert_eq!(socket_path("tcp://127.0.0.1:2375"), None);
        assert!(matches!(connect("unix:///nonexistent/x.sock"), Err(EngineError::SocketNotFoundError(_))));
        assert!(connect("tcp://127.0.0.1:1").is_ok(), "nothing is sent before the first request");
        assert!(matches!(connect("ssh://host"), Err(EngineError::UnsupportedURISchemeError { .. })));
    }

    #[test]
    fn a_missing_socket_is_a_one_line_error_with_a_hint() {
        let err = connect("unix:///nonexistent/x.sock").err().map(|e| unreachable_reason(Engine::Docker, &e));
        assert_eq!(
            err.as_deref(),
            Some("cannot connect: no socket at /nonexistent/x.sock (is the daemon running? set DOCKER_HOST)")
        );
    }

    #[test]
    fn a_refused_connection_is_reported_as_unreachable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dead.sock");
        // A socket file nobody listens on: bind, then drop the listener.
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        let host = format!("unix://{}", path.display());
        let reason = run(Engine::Podman, &host, async {
            let docker = connect(&host).unwrap();
            inspect(&docker, "alpine").await.err().map(|e| request_reason(Engine::Podman, &e))
        })
        .unwrap()
        .unwrap();
        assert!(reason.starts_with("cannot connect: "), "{reason}");
        assert!(reason.contains("refused"), "{reason}");
        assert!(reason.ends_with("(is `podman system service` running? set CONTAINER_HOST)"), "{reason}");
    }

    /// Answers one request per response on a fresh unix socket under `dir`, in order, with
    /// canned bytes (a stand-in engine for what a real one cannot be made to do: oversize exports).
    fn serve(dir: &Path, responses: Vec<Vec<u8>>) -> (String, std::thread::JoinHandle<()>) {
        use std::io::Read as _;
        let path = dir.join("engine.sock");
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let handle = std::thread::spawn(move || {
            for response in responses {
                let (mut conn, _) = listener.accept().unwrap();
                let mut request = Vec::new();
                let mut byte = [0u8; 1];
                while !request.ends_with(b"\r\n\r\n") && conn.read(&mut byte).unwrap() == 1 {
                    request.push(byte[0]);
                }
                let _ = conn.write_all(&response);
            }
        });
        (format!("unix://{}", path.display()), handle)
    }

    fn http(status: &str, body: &[u8]) -> Vec<u8> {
        let head = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
        [head.as_bytes(), body].concat()
    }

    fn export_with(host: &str, options: &OpenOptions) -> Result<tempfile::TempPath, ImageError> {
        run(Engine::Docker, host, async {
            let docker = connect(host).unwrap();
            export(&docker, Engine::Docker, host, "app:1", options).await
        })
        .unwrap()
    }

    #[test]
    fn an_export_over_the_bound_is_an_error_and_leaves_no_file() {
        let dir = tempfile::tempdir().unwrap();
        let scratch = dir.path().join("scratch");
        let mut options = OpenOptions::with_limits(crate::Limits { max_layer_bytes: 10, ..crate::Limits::default() });
        options.scratch_dir = Some(scratch.clone());
        let (host, server) = serve(dir.path(), vec![http("200 OK", &[0; 1000]), http("200 OK", &[7; 40])]);
        let err = export_with(&host, &options).unwrap_err().to_string();
        assert!(err.contains("export of app:1 exceeds the bound of 40 bytes"), "{err}");
        assert_eq!(std::fs::read_dir(&scratch).unwrap().count(), 0, "the partial export is removed");
        let file = export_with(&host, &options).unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), [7; 40], "an export at the bound is kept whole");
        let kept = file.to_path_buf();
        drop(file);
        assert!(!kept.exists(), "the export is deleted with its handle");
        server.join().unwrap();
    }

    #[test]
    fn a_404_is_no_such_image() {
        let dir = tempfile::tempdir().unwrap();
        let body = br#"{"message":"No such image: nosuch:1"}"#;
        let (host, server) = serve(dir.path(), vec![http("404 Not Found", body)]);
        let err =
            run(Engine::Docker, &host, async { inspect(&connect(&host).unwrap(), "nosuch:1").await.unwrap_err() })
                .unwrap();
        assert!(is_not_found(&err), "{err}");
        server.join().unwrap();
    }

    #[test]
    fn the_export_bound_scales_with_the_layer_limit() {
        let options = OpenOptions::with_limits(crate::Limits { max_layer_bytes: 10, ..crate::Limits::default() });
        assert_eq!(export_bound(&options), 40);
        assert!(check_size(Some(41), "a", &options).is_err());
        assert!(check_size(Some(40), "a", &options).is_ok());
        assert!(check_size(None, "a", &options).is_ok());
    }
}
