//! Image sources: turning a target string into an [`Image`].
//!
//! `docker-archive:PATH`, `oci:DIR[:TAG]`, `oci-archive:PATH[:TAG]`, `dir:PATH`, `registry:REF`,
//! `docker:REF`, `podman:REF`, a bare path whose kind is detected from what is there, or a bare
//! reference (the local engine first, then the registry).

mod config;
mod docker_archive;
mod engine;
mod oci;
pub(crate) mod registry;
mod rootfs;
mod tar_index;

use std::path::{Path, PathBuf};

use crate::{Image, ImageError, Limits, OpenOptions, PlatformSelector};

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
    /// An image in a registry (`registry:REF`).
    Registry(String),
    /// An image the Docker engine holds (`docker:REF`).
    Docker(String),
    /// An image Podman holds, through its Docker-compatible socket (`podman:REF`).
    Podman(String),
    /// A bare reference that is not a path: the local engine first, then the registry.
    Reference(String),
    /// A bare path, kind to be detected.
    Path(PathBuf),
}

impl Target {
    /// Parses `TRANSPORT:REST`, or a bare path (when something exists there, or it looks like a
    /// file name) or image reference.
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
        let reference = |rest: &str| {
            if rest.is_empty() { Err(err("no image reference after the transport")) } else { Ok(rest.to_owned()) }
        };
        if let Some(rest) = target.strip_prefix("registry:") {
            return reference(rest).map(Self::Registry);
        }
        if let Some(rest) = target.strip_prefix("docker:") {
            return reference(rest).map(Self::Docker);
        }
        if let Some(rest) = target.strip_prefix("podman:") {
            return reference(rest).map(Self::Podman);
        }
        if target.starts_with("sbom:") {
            return Err(err("an SBOM is not an image: `microscanner scan sbom:FILE` reads it without this crate"));
        }
        if target.is_empty() {
            return Err(err("empty target"));
        }
        if Path::new(target).exists() || !looks_like_reference(target) {
            return Ok(Self::Path(PathBuf::from(target)));
        }
        Ok(Self::Reference(target.to_owned()))
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

/// Whether a bare target that names no existing file reads as an image reference
/// (`alpine:3.20`, `ghcr.io/org/app@sha256:...`) rather than a path or file name.
fn looks_like_reference(target: &str) -> bool {
    let file_like = [".tar", ".tar.gz", ".tgz", ".tar.zst", ".json"].iter().any(|ext| target.ends_with(ext));
    let path_like = target.starts_with(['/', '.', '~']) || target.contains("//") || target.ends_with('/');
    let charset = target.chars().all(|c| c.is_ascii_alphanumeric() || "._-/:@+".contains(c));
    !file_like && !path_like && charset
}

/// Opens the image a target names; for an image index, the host platform's image.
pub fn open(target: &str, limits: &Limits) -> Result<Image, ImageError> {
    let mut images = open_with(target, &OpenOptions::with_limits(*limits))?;
    Ok(images.swap_remove(0))
}

/// Opens the images a target names: one, or one per platform with [`PlatformSelector::All`]
/// (never an empty list).
pub fn open_with(target: &str, options: &OpenOptions) -> Result<Vec<Image>, ImageError> {
    let images = match Target::parse(target)? {
        Target::Registry(reference) => registry::open(&reference, target, options)?,
        Target::Docker(reference) => vec![engine::open(engine::Engine::Docker, &reference, target, options)?],
        Target::Podman(reference) => vec![engine::open(engine::Engine::Podman, &reference, target, options)?],
        Target::Reference(reference) => {
            open_reference(&reference, target, options).map_err(|e| with_kinds_hint(e, target))?
        }
        Target::Oci(path, tag) => {
            exists(&path).ok_or_else(|| not_found(target, &path))?;
            wrong_kind(&path, target)?;
            oci::open(&oci::Layout::Dir(path), tag.as_deref(), target, &options.platform, &options.limits)?
        }
        Target::OciArchive(path, tag) => {
            exists(&path).ok_or_else(|| not_found(target, &path))?;
            wrong_kind(&path, target)?;
            let index = tar_index::TarIndex::build(&path)?;
            let layout = oci::Layout::Archive(path, index);
            oci::open(&layout, tag.as_deref(), target, &options.platform, &options.limits)?
        }
        Target::Path(path) => detect(&path, target, options)?,
        other => vec![open_single(other, target, &options.limits)?],
    };
    if images.is_empty() {
        return Err(ImageError::Target { target: target.to_owned(), reason: "no image found".to_owned() });
    }
    if let PlatformSelector::Exact(wanted) = &options.platform {
        for image in &images {
            check_platform(image, wanted, target)?;
        }
    }
    Ok(images)
}

/// `--platform` on a single-platform image (a docker-archive, an engine export, a layout without
/// an index): the image's own config must say that platform, so a scan never silently reports
/// another platform than the one asked for. An image chosen from an index by its platform entry,
/// or whose config names no architecture, passes.
fn check_platform(image: &Image, wanted: &crate::Platform, target: &str) -> Result<(), ImageError> {
    if image.platform.is_some() {
        return Ok(());
    }
    let info = &image.info;
    let Some(architecture) = info.architecture.clone() else { return Ok(()) };
    let have = crate::Platform {
        os: info.os.clone().unwrap_or_else(|| wanted.os.clone()),
        architecture,
        variant: info.variant.clone(),
    };
    if wanted.accepts(&have) {
        Ok(())
    } else {
        Err(ImageError::Target { target: target.to_owned(), reason: format!("the image is {have}, not {wanted}") })
    }
}

/// A bare reference: the local engine when it is there and holds the image, else the registry.
/// The log says which was used.
fn open_reference(reference: &str, target: &str, options: &OpenOptions) -> Result<Vec<Image>, ImageError> {
    if !matches!(options.platform, PlatformSelector::All)
        && let Some(image) = engine::open_if_present(reference, target, options)?
    {
        return Ok(vec![image]);
    }
    tracing::info!("{reference}: not in a local engine; pulling from the registry");
    registry::open(reference, target, options)
}

/// The target kinds, as an error's hint lists them.
pub(crate) const TARGET_KINDS: &str = "docker-archive:PATH, oci:DIR[:TAG], oci-archive:PATH[:TAG], dir:PATH, registry:REF, \
     docker:REF, podman:REF, sbom:FILE, a path or an image reference";

/// A target whose kind does not fit what is at its path: a file given to a directory kind or a
/// directory given to an archive kind, with the kind that fits.
fn wrong_kind(path: &Path, target: &str) -> Result<(), ImageError> {
    let shown = path.display();
    let reason = match target.split_once(':').map(|(kind, _)| kind) {
        Some("oci") if path.is_file() => {
            format!(
                "{shown} is a file, and oci: reads an OCI layout directory; for an OCI archive use oci-archive:{shown}"
            )
        }
        Some("dir") if path.is_file() => format!(
            "{shown} is a file, and dir: reads a root filesystem directory; for an image archive use \
             docker-archive:{shown} or oci-archive:{shown} (or the bare path, detected)"
        ),
        Some("oci-archive") if path.is_dir() => {
            format!("{shown} is a directory, and oci-archive: reads a tar; for an OCI layout directory use oci:{shown}")
        }
        Some("docker-archive") if path.is_dir() => format!(
            "{shown} is a directory, and docker-archive: reads a `docker save` tar; for an OCI layout use \
             oci:{shown}, for a root filesystem dir:{shown}"
        ),
        _ => return Ok(()),
    };
    Err(ImageError::Target { target: target.to_owned(), reason })
}

/// A bare `word:rest` that failed as an image reference, when `word` could have been meant as a
/// target kind (`foo:bar`, `oci-layout:app`): the error says how it was read and lists the kinds.
fn with_kinds_hint(err: ImageError, target: &str) -> ImageError {
    let looks_like_kind = target
        .split_once(':')
        .is_some_and(|(word, _)| !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    if !looks_like_kind {
        return err;
    }
    ImageError::Target {
        target: target.to_owned(),
        reason: format!("read as an image reference, and {err}; the target kinds are {TARGET_KINDS}"),
    }
}

fn not_found(target: &str, path: &Path) -> ImageError {
    ImageError::Target { target: target.to_owned(), reason: format!("{} does not exist", path.display()) }
}

/// Opens a single-image target: a docker-archive or a root filesystem.
fn open_single(parsed: Target, target: &str, limits: &Limits) -> Result<Image, ImageError> {
    let not_found = |path: &Path| not_found(target, path);
    match parsed {
        Target::DockerArchive(path) => {
            exists(&path).ok_or_else(|| not_found(&path))?;
            wrong_kind(&path, target)?;
            docker_archive::open(&path, target, limits)
        }
        Target::Dir(path) => {
            exists(&path).ok_or_else(|| not_found(&path))?;
            wrong_kind(&path, target)?;
            if !path.is_dir() {
                return Err(not_found(&path));
            }
            Ok(Image::rootfs(target, &path))
        }
        _ => Err(ImageError::Target { target: target.to_owned(), reason: "not a single-image source".to_owned() }),
    }
}

/// `Some(())` when `path` exists.
fn exists(path: &Path) -> Option<()> {
    path.exists().then_some(())
}

/// Opens a bare path by what it holds: an OCI layout or root filesystem directory, or a tar
/// that is a docker-archive (`manifest.json`) or an OCI archive (`index.json`).
fn detect(path: &Path, target: &str, options: &OpenOptions) -> Result<Vec<Image>, ImageError> {
    let (platform, limits) = (&options.platform, &options.limits);
    if path.is_dir() {
        if oci::is_layout_dir(path) {
            return oci::open(&oci::Layout::Dir(path.to_owned()), None, target, platform, limits);
        }
        return Ok(vec![Image::rootfs(target, path)]);
    }
    if !path.is_file() {
        return Err(ImageError::Target { target: target.to_owned(), reason: "no such file or directory".to_owned() });
    }
    let index = tar_index::TarIndex::build(path)?;
    if index.contains("manifest.json") {
        Ok(vec![docker_archive::open_indexed(path, index, target, limits)?])
    } else if index.contains("index.json") {
        oci::open(&oci::Layout::Archive(path.to_owned(), index), None, target, platform, limits)
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
        assert_eq!(Target::parse("registry:alpine").unwrap(), Target::Registry("alpine".into()));
        assert_eq!(Target::parse("docker:app:1").unwrap(), Target::Docker("app:1".into()));
        assert_eq!(Target::parse("podman:localhost/app").unwrap(), Target::Podman("localhost/app".into()));
        assert!(Target::parse("registry:").is_err());
        assert!(Target::parse("").is_err());
    }

    #[test]
    fn bare_targets_are_paths_or_references() {
        let reference = |s: &str| Target::parse(s).unwrap() == Target::Reference(s.into());
        assert!(reference("alpine"));
        assert!(reference("alpine:3.20"));
        assert!(reference("127.0.0.1:5000/demo/app:latest"));
        assert!(reference("ghcr.io/org/app@sha256:0123456789abcdef"));
        assert!(!reference("/nonexistent/image.tar"));
        assert!(!reference("image.tar"));
        assert!(!reference("./dir"));
        assert!(!reference("has space"));
        assert_eq!(Target::parse("/").unwrap(), Target::Path("/".into()));
    }
}
