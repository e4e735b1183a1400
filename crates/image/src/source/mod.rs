//! Image sources: turning a target string into an [`Image`].
//!
//! `docker-archive:PATH`, `oci:DIR[:TAG]`, `oci-archive:PATH[:TAG]`, `dir:PATH`, or a bare path
//! whose kind is detected from what is there.

mod config;
mod docker_archive;
mod oci;
mod rootfs;
mod tar_index;

use std::path::{Path, PathBuf};

use crate::{Image, ImageError, Limits};

pub(crate) use rootfs::walk as walk_rootfs;
pub(crate) use tar_index::Region;

/// A parsed target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A `docker save` / `podman save` tar.
    DockerArchive(PathBuf),
    /// An OCI layout directory, with an optional tag.
    Oci(PathBuf, Option<String>),
    /// An OCI layout in a tar, with an optional tag.
    OciArchive(PathBuf, Option<String>),
    /// A root filesystem directory.
    Dir(PathBuf),
    /// A bare path, kind to be detected.
    Path(PathBuf),
}

impl Target {
    /// Parses `TRANSPORT:REST` or a bare path. Registry and engine references are not supported
    /// yet and get a clear error rather than a guess.
    pub fn parse(target: &str) -> Result<Self, ImageError> {
        let err = |reason: &str| ImageError::Target { target: target.to_owned(), reason: reason.to_owned() };
        if let Some(rest) = target.strip_prefix("docker-archive:") {
            return Ok(Self::DockerArchive(PathBuf::from(rest)));
        }
        if let Some(rest) = target.strip_prefix("oci-archive:") {
            let (path, tag) = split_tag(rest);
            return Ok(Self::OciArchive(path, tag));
        }
        if let Some(rest) = target.strip_prefix("oci:") {
            let (path, tag) = split_tag(rest);
            return Ok(Self::Oci(path, tag));
        }
        if let Some(rest) = target.strip_prefix("dir:") {
            return Ok(Self::Dir(PathBuf::from(rest)));
        }
        for transport in ["registry:", "docker:", "podman:", "sbom:"] {
            if target.starts_with(transport) {
                return Err(err(&format!("the {} source is not supported yet", transport.trim_end_matches(':'))));
            }
        }
        if target.is_empty() {
            return Err(err("empty target"));
        }
        Ok(Self::Path(PathBuf::from(target)))
    }
}

/// Splits `PATH:TAG` when `PATH` alone exists (a path may itself hold `:`).
fn split_tag(rest: &str) -> (PathBuf, Option<String>) {
    if Path::new(rest).exists() {
        return (PathBuf::from(rest), None);
    }
    match rest.rsplit_once(':') {
        Some((path, tag)) if !tag.contains('/') && !tag.is_empty() => (PathBuf::from(path), Some(tag.to_owned())),
        _ => (PathBuf::from(rest), None),
    }
}

/// Opens the image a target names.
pub fn open(target: &str, limits: &Limits) -> Result<Image, ImageError> {
    let not_found = |path: &Path| ImageError::Target {
        target: target.to_owned(),
        reason: format!("{} does not exist", path.display()),
    };
    match Target::parse(target)? {
        Target::DockerArchive(path) => {
            exists(&path).ok_or_else(|| not_found(&path))?;
            docker_archive::open(&path, target, limits)
        }
        Target::Oci(path, tag) => {
            exists(&path).ok_or_else(|| not_found(&path))?;
            oci::open(oci::Layout::Dir(path), tag.as_deref(), target, "oci", limits)
        }
        Target::OciArchive(path, tag) => {
            exists(&path).ok_or_else(|| not_found(&path))?;
            let index = tar_index::TarIndex::build(&path)?;
            oci::open(oci::Layout::Archive(path, index), tag.as_deref(), target, "oci-archive", limits)
        }
        Target::Dir(path) => {
            if !path.is_dir() {
                return Err(not_found(&path));
            }
            Ok(Image::rootfs(target, &path))
        }
        Target::Path(path) => detect(&path, target, limits),
    }
}

/// `Some(())` when `path` exists.
fn exists(path: &Path) -> Option<()> {
    path.exists().then_some(())
}

/// Opens a bare path by what it holds: an OCI layout or root filesystem directory, or a tar
/// that is a docker-archive (`manifest.json`) or an OCI archive (`index.json`).
fn detect(path: &Path, target: &str, limits: &Limits) -> Result<Image, ImageError> {
    if path.is_dir() {
        if oci::is_layout_dir(path) {
            return oci::open(oci::Layout::Dir(path.to_owned()), None, target, "oci", limits);
        }
        return Ok(Image::rootfs(target, path));
    }
    if !path.is_file() {
        return Err(ImageError::Target {
            target: target.to_owned(),
            reason: "no such file or directory, and registry references are not supported yet".to_owned(),
        });
    }
    let index = tar_index::TarIndex::build(path)?;
    if index.contains("manifest.json") {
        docker_archive::open_indexed(path, index, target, limits)
    } else if index.contains("index.json") {
        oci::open(oci::Layout::Archive(path.to_owned(), index), None, target, "oci-archive", limits)
    } else {
        Err(ImageError::Target {
            target: target.to_owned(),
            reason: "a tar with neither manifest.json nor index.json: not an image archive".to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_transports() {
        assert_eq!(Target::parse("docker-archive:/x.tar").unwrap(), Target::DockerArchive("/x.tar".into()));
        assert_eq!(
            Target::parse("oci:/nonexistent/dir:v1").unwrap(),
            Target::Oci("/nonexistent/dir".into(), Some("v1".into()))
        );
        assert_eq!(Target::parse("oci:/nonexistent/dir").unwrap(), Target::Oci("/nonexistent/dir".into(), None));
        assert_eq!(Target::parse("dir:/").unwrap(), Target::Dir("/".into()));
        assert!(Target::parse("registry:alpine").is_err());
        assert!(Target::parse("").is_err());
    }
}
