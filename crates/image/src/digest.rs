//! Content digests: parsing `sha256:HEX` and verifying a stream while it is read.

use std::io::{self, Read};

use sha2::{Digest as _, Sha256};

use crate::ImageError;

/// A `sha256:` content digest, validated: 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Digest(String);

impl Digest {
    /// Parses `sha256:HEX`. Other algorithms are refused: the OCI spec requires sha256 support,
    /// and a digest we cannot check is a digest we would have to trust.
    pub fn parse(s: &str) -> Result<Self, String> {
        let hex = s.strip_prefix("sha256:").ok_or_else(|| format!("unsupported digest {s:?} (want sha256:...)"))?;
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(format!("malformed digest {s:?}"));
        }
        Ok(Self(s.to_owned()))
    }

    /// The hex part, which is also the blob's file name in an OCI layout.
    pub fn hex(&self) -> &str {
        &self.0["sha256:".len()..]
    }

    /// The full `sha256:HEX` form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The `sha256:` digest of a byte slice.
pub fn sha256_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// A reader that hashes everything read through it, so a blob is verified while it streams.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> HashingReader<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> Self {
        Self { inner, hasher: Sha256::new(), bytes: 0 }
    }

    /// How many bytes have been read so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    /// Reads what is left, then checks the digest of everything read against `expected`.
    pub fn verify(mut self, expected: &str, blob: &str) -> Result<u64, ImageError> {
        io::copy(&mut self, &mut io::sink())
            .map_err(|e| ImageError::Layer { layer: blob.to_owned(), reason: format!("reading blob: {e}") })?;
        let actual = format!("sha256:{}", hex::encode(self.hasher.finalize()));
        if actual == expected {
            Ok(self.bytes)
        } else {
            Err(ImageError::DigestMismatch { blob: blob.to_owned(), expected: expected.to_owned(), actual })
        }
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}
