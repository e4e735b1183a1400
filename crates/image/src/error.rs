//! Errors of the image crate. Each names the file, blob or entry it is about.

use std::path::PathBuf;

/// Why an image could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// A file of the source could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The target string names no source we know, or nothing exists there.
    #[error("cannot scan {target}: {reason}")]
    Target {
        /// The target as given.
        target: String,
        /// Why it cannot be scanned.
        reason: String,
    },
    /// A manifest, index or config is not valid.
    #[error("invalid {what} in {location}: {reason}")]
    Invalid {
        /// What document (`manifest`, `index.json`, `config`).
        what: &'static str,
        /// Where it is (a path or a digest).
        location: String,
        /// What is wrong.
        reason: String,
    },
    /// A blob the manifest names is not there.
    #[error("blob {digest} named by the manifest is missing from {location}")]
    MissingBlob {
        /// The blob's digest.
        digest: String,
        /// The image location searched.
        location: String,
    },
    /// A blob's content does not hash to its digest.
    #[error("digest mismatch for blob {blob}: expected {expected}, got {actual}")]
    DigestMismatch {
        /// The blob (its digest or path).
        blob: String,
        /// The digest it should have.
        expected: String,
        /// The digest its content has.
        actual: String,
    },
    /// A layer's tar stream could not be read (truncated, corrupt compression, bad header).
    #[error("layer {layer}: {reason}")]
    Layer {
        /// The layer (diffID or blob digest).
        layer: String,
        /// What went wrong.
        reason: String,
    },
    /// The registry refused our credentials (or demanded some we do not have).
    #[error("authentication failed for {registry}: {reason}")]
    Auth {
        /// The registry host (`ghcr.io`, `127.0.0.1:5001`).
        registry: String,
        /// What the registry said, or which credentials were tried.
        reason: String,
    },
    /// A registry request failed (unreachable, not found, bad response).
    #[error("registry {registry}: {reason}")]
    Registry {
        /// The registry host.
        registry: String,
        /// What went wrong.
        reason: String,
    },
    /// The Docker or Podman engine could not be reached or could not export the image.
    #[error("{engine} engine at {endpoint}: {reason}")]
    Engine {
        /// `docker` or `podman`.
        engine: &'static str,
        /// The socket or URL used.
        endpoint: String,
        /// What went wrong.
        reason: String,
    },
    /// A size or count bound was exceeded: the input is treated as hostile.
    #[error("layer {layer}: {what} exceeds the limit of {limit}")]
    LimitExceeded {
        /// The layer.
        layer: String,
        /// What was too big.
        what: &'static str,
        /// The limit.
        limit: u64,
    },
}

impl ImageError {
    /// An I/O error about `path`.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io { path: path.into(), source }
    }

    /// An invalid-document error.
    pub(crate) fn invalid(what: &'static str, location: impl Into<String>, reason: impl ToString) -> Self {
        Self::Invalid { what, location: location.into(), reason: reason.to_string() }
    }
}
