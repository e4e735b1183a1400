//! `db publish registry:REF` and `db update --source registry:REF`: the database export (the
//! zstd file of `db export`) as an OCI artifact in any registry, so a company's own registry
//! (Harbor, ECR, GHCR, Artifactory, a `registry:2`) becomes its database mirror.
//!
//! The artifact: an OCI image manifest with `artifactType` [`ARTIFACT_TYPE`], the empty config
//! (`application/vnd.oci.empty.v1+json`, the 2-byte `{}`), one layer of [`LAYER_TYPE`] (the
//! export, verified by `db import` like any export), and annotations for the schema version and
//! the data's date. An update remembers the manifest digest it installed beside the database
//! ([`State`]); when the registry's manifest still has that digest and the local file is still
//! that database, nothing but the manifest is downloaded.
//!
//! Deltas: the manifest names the database's version ([`VERSION_ANNOTATION`], its content
//! digest, `microscanner_vulndb::content_version`), and after the export it carries up to
//! [`MAX_DELTAS`] delta layers ([`DELTA_LAYER_TYPE`], each annotated with the versions it goes
//! from and to): `db publish` makes one from the previously published database to the new one
//! and keeps the previous manifest's. An update whose local database is the base of a chain of
//! them ending at the published version downloads only those layers (when they weigh less than
//! the export) and applies them; otherwise it takes the export.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use microscanner_image::artifact::{BlobSource, EMPTY_CONFIG, OCI_EMPTY, OCI_MANIFEST, Repository};
use microscanner_image::{OpenOptions, sha256_of};
use microscanner_vulndb::{
    DELTA_MEDIA_TYPE, SCHEMA_VERSION, content_version, export, export_delta, hash_file, import, import_delta,
    temp_path_beside,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::commands::inventory::SourceArgs;
use crate::commands::{Global, TempFile, note};
use crate::exit::Outcome;

/// The `artifactType` of a published database.
pub(crate) const ARTIFACT_TYPE: &str = "application/vnd.microscanner.db.v1";
/// The media type of its one layer: a `db export` file (a zstd-compressed tar).
pub(crate) const LAYER_TYPE: &str = "application/vnd.microscanner.db.export.v1+zstd";
/// The media type of a delta layer (`db export --since`).
pub(crate) const DELTA_LAYER_TYPE: &str = DELTA_MEDIA_TYPE;
/// Annotation (manifest): the version of the database (its content digest).
const VERSION_ANNOTATION: &str = "dev.microscanner.db.version";
/// Annotation (delta layer): the version the delta applies to.
const DELTA_BASE_ANNOTATION: &str = "dev.microscanner.db.delta.base";
/// Annotation (delta layer): the version it makes.
const DELTA_TARGET_ANNOTATION: &str = "dev.microscanner.db.delta.target";
/// How many deltas a manifest carries (the most recent publications: a week of daily ones).
const MAX_DELTAS: usize = 7;
/// Annotation: the schema version of the database inside.
const SCHEMA_ANNOTATION: &str = "dev.microscanner.db.schema";
/// Annotation: when the database was built (RFC 3339).
const BUILT_ANNOTATION: &str = "dev.microscanner.db.built";
/// Annotation: sha256 of the database file inside the export.
const SHA256_ANNOTATION: &str = "dev.microscanner.db.sha256";
/// Most bytes of a manifest (a published one is under 2 KiB; OCI registries cap them at 4 MiB).
const MAX_MANIFEST: u64 = 1 << 20;
/// Most bytes of an export a pull accepts (a full database exports to a few hundred MB).
const MAX_EXPORT: u64 = 4 << 30;
/// The overall deadline of one publish or update (an export of a few hundred MB on a slow link).
const DEADLINE: std::time::Duration = std::time::Duration::from_secs(30 * 60);
/// Most bytes of the update state file (a few hundred bytes).
const MAX_STATE: u64 = 64 << 10;

/// Registry credentials and transport, as `scan` takes them.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct RegistryArgs {
    /// Registry user name for `registry:REF` (with `--password-stdin` or `MICROSCANNER_PASSWORD`);
    /// without it the docker config's credentials are used.
    #[arg(long, env = "MICROSCANNER_USERNAME", value_name = "USER")]
    username: Option<String>,
    /// Read the registry password (or token) from stdin, one line.
    #[arg(long, requires = "username")]
    password_stdin: bool,
    /// Plain HTTP, and no certificate checks, for the registry (a local or trusted registry).
    #[arg(long)]
    insecure: bool,
}

impl RegistryArgs {
    /// The options the registry client is connected with.
    fn open_options(&self) -> anyhow::Result<OpenOptions> {
        let source = SourceArgs {
            platform: None,
            all_platforms: false,
            username: self.username.clone(),
            password_stdin: self.password_stdin,
            insecure: self.insecure,
            timeout: Some(DEADLINE),
        };
        source.open_options(microscanner_image::Limits::default())
    }
}

/// `db publish`.
#[derive(Debug, clap::Args)]
pub(crate) struct PublishArgs {
    /// Where to push: `registry:HOST[:PORT]/NAME:TAG`.
    #[arg(value_name = "registry:REF")]
    target: String,
    /// Credentials and transport.
    #[command(flatten)]
    registry: RegistryArgs,
}

/// The reference of a `registry:REF` argument, or `None` when it has no such prefix.
pub(crate) fn registry_ref(source: &str) -> Option<&str> {
    source.strip_prefix("registry:").filter(|r| !r.is_empty())
}

/// `db publish registry:REF`: exports the database beside it, pushes the export and the empty
/// config (each skipped when the registry has it), then the manifest by tag.
pub(crate) fn publish(global: &Global, db: &Path, args: &PublishArgs) -> anyhow::Result<Outcome> {
    let Some(reference) = registry_ref(&args.target) else {
        bail!("db publish: {:?} is not a registry:HOST/NAME:TAG target", args.target);
    };
    let options = args.registry.open_options()?;
    let file = TempFile(temp_path_beside(db, "publish"));
    let exported = export(db, &file.0).with_context(|| format!("exporting {}", db.display()))?;
    let (digest, size) = hash_file(&file.0).with_context(|| format!("hashing {}", file.0.display()))?;
    let digest = format!("sha256:{digest}");
    let version = content_version(db).with_context(|| format!("reading {}", db.display()))?;
    let repo = Repository::connect(reference, &options, true).with_context(|| format!("publishing to {reference}"))?;
    let name = repo.name();
    let delta_file = TempFile(temp_path_beside(db, "publish-delta"));
    // A previous publication that cannot be read (gone, damaged): published without deltas;
    // updates then take the export.
    let (deltas, new_delta) = publish_deltas(&repo, db, &version, &delta_file.0).unwrap_or_else(|e| {
        tracing::warn!("no delta from the database published at {name}: {e:#}");
        (Vec::new(), None)
    });
    let manifest = artifact_manifest(&digest, size, &exported, &version, &deltas);
    let bytes = serde_json::to_vec(&manifest)?;
    let push = || -> anyhow::Result<(bool, String)> {
        repo.push_blob(&sha256_of(EMPTY_CONFIG), 2, BlobSource::Bytes(EMPTY_CONFIG))?;
        if let Some(delta) = &new_delta {
            repo.push_blob(&delta.digest, delta.size, BlobSource::File(&delta_file.0))?;
        }
        let uploaded = repo.push_blob(&digest, size, BlobSource::File(&file.0))?;
        Ok((uploaded, repo.push_manifest(OCI_MANIFEST, &bytes)?))
    };
    let (uploaded, manifest_digest) = push().with_context(|| format!("publishing {} to {name}", db.display()))?;
    let sent = if uploaded { format!("{size} bytes uploaded") } else { "the registry had the export already".into() };
    let delta_said = match &new_delta {
        Some(d) => format!("; a delta of {} bytes from version {}", d.size, d.base),
        None => String::new(),
    };
    note(
        global,
        &format!(
            "published {} (built {}, version {version}) to {name}: manifest {manifest_digest}, {sent}, {} deltas{delta_said}",
            db.display(),
            exported.built_at,
            deltas.len(),
        ),
    );
    Ok(Outcome::Success)
}

/// A delta layer of a published database.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DeltaLayer {
    /// `sha256:…` of the delta file.
    digest: String,
    /// Its size in bytes.
    size: u64,
    /// The version it applies to.
    base: String,
    /// The version it makes.
    target: String,
}

/// The deltas the manifest publishing `db` (version `version`) carries: the previous manifest's
/// (when that published another version, a delta from it to this one first, written to
/// `delta_file`, and returned second to be uploaded), at most [`MAX_DELTAS`]. Nothing published
/// yet, or not a database of our schema: none.
fn publish_deltas(
    repo: &Repository,
    db: &Path,
    version: &str,
    delta_file: &Path,
) -> anyhow::Result<(Vec<DeltaLayer>, Option<DeltaLayer>)> {
    let previous = match repo.manifest(OCI_MANIFEST, MAX_MANIFEST) {
        Ok(m) => m,
        Err(e) => {
            tracing::info!("no previous database to make a delta from: {e}");
            return Ok((Vec::new(), None));
        }
    };
    let Ok(previous) = artifact_layers(&previous.bytes, &repo.name()) else { return Ok((Vec::new(), None)) };
    let Some(previous_version) = previous.version else { return Ok((Vec::new(), None)) };
    let mut deltas = previous.deltas;
    if previous_version == version {
        return Ok((deltas, None));
    }
    // The previous database, from its export, beside ours; the delta from it to ours.
    let export_file = TempFile(temp_path_beside(db, "publish-previous"));
    let base = TempFile(temp_path_beside(db, "publish-base"));
    {
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(&export_file.0).with_context(|| format!("creating {}", export_file.0.display()))?,
        );
        repo.download(&previous.export.digest, previous.export.size, &mut out)?;
        out.flush().with_context(|| format!("writing {}", export_file.0.display()))?;
    }
    import(&export_file.0, &base.0)?;
    let (header, _) = export_delta(&base.0, db, delta_file)?;
    if header.base != previous_version {
        bail!("the previous export is version {}, its manifest says {previous_version}", header.base);
    }
    let (digest, size) = hash_file(delta_file)?;
    let delta = DeltaLayer { digest: format!("sha256:{digest}"), size, base: header.base, target: header.target };
    deltas.retain(|d| d.target != version);
    deltas.insert(0, delta.clone());
    deltas.truncate(MAX_DELTAS);
    Ok((deltas, Some(delta)))
}

/// The artifact's manifest for an export of `size` bytes with sha256 `digest` of the database
/// version `version`, and its delta layers.
fn artifact_manifest(
    digest: &str,
    size: u64,
    exported: &microscanner_vulndb::Manifest,
    version: &str,
    deltas: &[DeltaLayer],
) -> serde_json::Value {
    let mut layers = vec![json!({
        "mediaType": LAYER_TYPE,
        "digest": digest,
        "size": size,
        "annotations": { "org.opencontainers.image.title": "microscanner-db.tar.zst" },
    })];
    layers.extend(deltas.iter().map(|d| {
        json!({
            "mediaType": DELTA_LAYER_TYPE,
            "digest": d.digest,
            "size": d.size,
            "annotations": {
                "org.opencontainers.image.title": "microscanner-db.delta.zst",
                DELTA_BASE_ANNOTATION: d.base,
                DELTA_TARGET_ANNOTATION: d.target,
            },
        })
    }));
    json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": ARTIFACT_TYPE,
        "config": { "mediaType": OCI_EMPTY, "digest": sha256_of(EMPTY_CONFIG), "size": 2, "data": "e30=" },
        "layers": layers,
        "annotations": {
            "org.opencontainers.image.created": exported.built_at,
            BUILT_ANNOTATION: exported.built_at,
            SCHEMA_ANNOTATION: exported.schema_version.to_string(),
            SHA256_ANNOTATION: exported.sha256,
            VERSION_ANNOTATION: version,
        },
    })
}

/// What an update from a registry remembers beside the database: which manifest it installed,
/// and the database file that came from it.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct State {
    /// `registry:REF` as given.
    source: String,
    /// `sha256:…` of the manifest installed.
    manifest: String,
    /// Lowercase hex sha256 of the database file it installed.
    database_sha256: String,
}

/// The state file of `db`: `microscanner.db.registry.json` beside it.
fn state_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".registry.json");
    db.with_file_name(name)
}

/// The state beside `db`, when there is a readable one (anything else counts as none).
fn read_state(db: &Path) -> Option<State> {
    let path = state_path(db);
    let len = std::fs::metadata(&path).ok()?.len();
    if len > MAX_STATE {
        return None;
    }
    serde_json::from_slice(&std::fs::read(&path).ok()?).ok()
}

/// Writes the state beside `db` (atomically).
fn write_state(db: &Path, state: &State) -> anyhow::Result<()> {
    let path = state_path(db);
    let file = microscanner_atomic_file::AtomicFile::create(&path)?;
    let mut out = file.as_file();
    out.write_all(&serde_json::to_vec_pretty(state)?)?;
    file.commit()?;
    Ok(())
}

/// The fields of a pulled manifest that are checked.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PulledManifest {
    /// Must be the OCI image manifest type when present.
    media_type: Option<String>,
    /// Must be [`ARTIFACT_TYPE`].
    artifact_type: Option<String>,
    /// Exactly one, of [`LAYER_TYPE`].
    layers: Vec<PulledLayer>,
    /// The schema version among them.
    #[serde(default)]
    annotations: std::collections::BTreeMap<String, String>,
}

/// A layer descriptor.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PulledLayer {
    /// Its media type.
    media_type: String,
    /// `sha256:…`.
    digest: String,
    /// Its size in bytes.
    size: u64,
    /// A delta layer's base and target.
    #[serde(default)]
    annotations: std::collections::BTreeMap<String, String>,
}

/// What a published database artifact holds.
struct Artifact {
    /// The export (the first layer).
    export: PulledLayer,
    /// The delta layers after it.
    deltas: Vec<DeltaLayer>,
    /// The database's version, when the publisher named it.
    version: Option<String>,
}

/// Checks a pulled manifest is a microscanner database this binary reads; its export layer.
#[cfg(test)]
fn export_layer(bytes: &[u8], name: &str) -> anyhow::Result<PulledLayer> {
    artifact_layers(bytes, name).map(|a| a.export)
}

/// Checks a pulled manifest is a microscanner database this binary reads: its export layer (the
/// first), its delta layers (the others) and its version.
fn artifact_layers(bytes: &[u8], name: &str) -> anyhow::Result<Artifact> {
    let manifest: PulledManifest =
        serde_json::from_slice(bytes).with_context(|| format!("the manifest of {name} is not an OCI manifest"))?;
    if manifest.media_type.as_deref().is_some_and(|t| t != OCI_MANIFEST) {
        bail!("{name} is not an OCI image manifest (media type {:?})", manifest.media_type.unwrap_or_default());
    }
    match manifest.artifact_type.as_deref() {
        Some(ARTIFACT_TYPE) => {}
        Some(other) => bail!("{name} is not a microscanner database (artifactType {other}, expected {ARTIFACT_TYPE})"),
        None => bail!("{name} is not a microscanner database (no artifactType; an image?)"),
    }
    let schema = manifest.annotations.get(SCHEMA_ANNOTATION).map(String::as_str).unwrap_or("none");
    if schema != SCHEMA_VERSION.to_string() {
        bail!("{name} holds a database of schema version {schema}; this microscanner reads version {SCHEMA_VERSION}");
    }
    let version = manifest.annotations.get(VERSION_ANNOTATION).cloned();
    let mut layers = manifest.layers.into_iter();
    let Some(layer) = layers.next() else {
        bail!("{name}: a database artifact has the export as its first layer; it has none");
    };
    if layer.media_type != LAYER_TYPE {
        bail!("{name}: layer media type {:?}, expected {LAYER_TYPE}", layer.media_type);
    }
    if layer.size > MAX_EXPORT {
        bail!("{name}: the export declares {} bytes, more than the {MAX_EXPORT} an update accepts", layer.size);
    }
    let mut deltas = Vec::new();
    for (i, mut delta) in layers.enumerate() {
        if delta.media_type != DELTA_LAYER_TYPE {
            bail!(
                "{name}: layer {} has media type {:?}; after the export only deltas ({DELTA_LAYER_TYPE})",
                i + 2,
                delta.media_type
            );
        }
        if i >= MAX_DELTAS * 4 || delta.size > MAX_EXPORT {
            bail!("{name}: more deltas, or a larger one, than an update accepts");
        }
        let (Some(base), Some(target)) =
            (delta.annotations.remove(DELTA_BASE_ANNOTATION), delta.annotations.remove(DELTA_TARGET_ANNOTATION))
        else {
            bail!("{name}: delta layer {} does not name its base and target versions", i + 2);
        };
        deltas.push(DeltaLayer { digest: delta.digest, size: delta.size, base, target });
    }
    Ok(Artifact { export: layer, deltas, version })
}

/// The deltas that take the database of version `from` to version `to`, in order, when the
/// artifact's deltas chain from one to the other.
fn delta_chain<'a>(deltas: &'a [DeltaLayer], from: &str, to: &str) -> Option<Vec<&'a DeltaLayer>> {
    let mut chain = Vec::new();
    let mut at = from;
    while at != to {
        let next = deltas.iter().find(|d| d.base == at)?;
        chain.push(next);
        at = &next.target;
        if chain.len() > deltas.len() {
            return None;
        }
    }
    Some(chain)
}

/// `db update --source registry:REF`: the published database, downloaded only when its
/// manifest digest is not the one installed (or the local file is no longer that database).
pub(crate) fn update(global: &Global, db: &Path, source: &str, args: &RegistryArgs) -> anyhow::Result<Outcome> {
    let Some(reference) = registry_ref(source) else { bail!("--source {source:?}: registry:HOST/NAME:TAG expected") };
    let options = args.open_options()?;
    let context = || format!("updating {} from {source} (the previous database, if any, is unchanged)", db.display());
    let repo = Repository::connect(reference, &options, false).with_context(context)?;
    let name = repo.name();
    let manifest = repo.manifest(OCI_MANIFEST, MAX_MANIFEST).with_context(context)?;
    if let Some(state) = read_state(db).filter(|s| s.manifest == manifest.digest)
        && hash_file(db).is_ok_and(|(sha, _)| sha == state.database_sha256)
    {
        note(
            global,
            &format!("{} is up to date ({name} is still {}); nothing downloaded", db.display(), manifest.digest),
        );
        return Ok(Outcome::Success);
    }
    let artifact = artifact_layers(&manifest.bytes, &name).with_context(context)?;
    if let Some(outcome) = update_by_deltas(global, db, source, &repo, &manifest, &artifact)? {
        return Ok(outcome);
    }
    let layer = artifact.export;
    let file = TempFile(temp_path_beside(db, "pull"));
    if let Some(dir) = file.0.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let download = || -> anyhow::Result<()> {
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(&file.0).with_context(|| format!("creating {}", file.0.display()))?,
        );
        repo.download(&layer.digest, layer.size, &mut out)?;
        out.flush().with_context(|| format!("writing {}", file.0.display()))?;
        Ok(())
    };
    download().with_context(context)?;
    let installed = import(&file.0, db).with_context(context)?;
    let state =
        State { source: source.to_owned(), manifest: manifest.digest.clone(), database_sha256: installed.sha256 };
    write_state(db, &state).with_context(|| format!("writing {}", state_path(db).display()))?;
    note(
        global,
        &format!(
            "{}: the database of {name} (built {}, manifest {}), {} bytes downloaded",
            db.display(),
            installed.built_at,
            manifest.digest,
            layer.size
        ),
    );
    // remembered images are re-evaluated after every update that changed the database
    super::watch::after_update(global, db);
    Ok(Outcome::Success)
}

/// The update by deltas, when the local database is the base of a chain of the artifact's deltas
/// to its version and they weigh less than the export: downloaded one by one (digest verified)
/// and applied (each as `db import` applies a delta: the database replaced only by a complete,
/// checked one). `None` when the export must be taken (no delta chain from the local version, or
/// one heavier than the export). A delta that fails (its digest, its import) is an error, as a
/// failed export download is: the database stays the last complete version it had.
fn update_by_deltas(
    global: &Global,
    db: &Path,
    source: &str,
    repo: &Repository,
    manifest: &microscanner_image::artifact::FetchedManifest,
    artifact: &Artifact,
) -> anyhow::Result<Option<Outcome>> {
    let name = repo.name();
    let Some(version) = &artifact.version else { return Ok(None) };
    if !db.is_file() {
        return Ok(None);
    }
    let local = match content_version(db) {
        Ok(v) => v,
        Err(e) => {
            tracing::info!("{}: {e}; taking the full export", db.display());
            return Ok(None);
        }
    };
    // What the next update compares: this manifest, and the database file now installed.
    let record = || -> anyhow::Result<()> {
        let (sha, _) = hash_file(db)?;
        let state = State { source: source.to_owned(), manifest: manifest.digest.clone(), database_sha256: sha };
        write_state(db, &state).with_context(|| format!("writing {}", state_path(db).display()))
    };
    if local == *version {
        record()?;
        note(global, &format!("{} is up to date (version {version} of {name}); nothing downloaded", db.display()));
        return Ok(Some(Outcome::Success));
    }
    let Some(chain) = delta_chain(&artifact.deltas, &local, version) else {
        tracing::info!("{name}: no delta from version {local}; taking the full export");
        return Ok(None);
    };
    let weight: u64 = chain.iter().map(|d| d.size).sum();
    if weight >= artifact.export.size {
        return Ok(None);
    }
    let mut downloaded = 0u64;
    for delta in &chain {
        let file = TempFile(temp_path_beside(db, "pull-delta"));
        let apply = || -> anyhow::Result<()> {
            let mut out = std::io::BufWriter::new(
                std::fs::File::create(&file.0).with_context(|| format!("creating {}", file.0.display()))?,
            );
            repo.download(&delta.digest, delta.size, &mut out)?;
            out.flush().with_context(|| format!("writing {}", file.0.display()))?;
            drop(out);
            import_delta(&file.0, db)?;
            Ok(())
        };
        apply().with_context(|| {
            format!(
                "updating {} from {source} by the delta {} (the previous database stays, at the last version completely applied)",
                db.display(),
                delta.digest
            )
        })?;
        downloaded += delta.size;
    }
    record()?;
    note(
        global,
        &format!(
            "{}: the database of {name} (version {version}, manifest {}) by {} delta(s) from version {local}, {downloaded} \
             bytes downloaded (the export is {} bytes)",
            db.display(),
            manifest.digest,
            chain.len(),
            artifact.export.size
        ),
    );
    super::watch::after_update(global, db);
    Ok(Some(Outcome::Success))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest_with(artifact: &str, layer: &str, schema: &str, layers: usize) -> Vec<u8> {
        let one = json!({ "mediaType": layer, "digest": format!("sha256:{}", "a".repeat(64)), "size": 10 });
        serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": artifact,
            "layers": vec![one; layers],
            "annotations": { SCHEMA_ANNOTATION: schema },
        }))
        .unwrap_or_default()
    }

    #[test]
    fn only_a_database_artifact_of_our_schema_is_taken() {
        let schema = SCHEMA_VERSION.to_string();
        let good = manifest_with(ARTIFACT_TYPE, LAYER_TYPE, &schema, 1);
        assert_eq!(export_layer(&good, "r").map(|l| l.size).ok(), Some(10));
        let refused = [
            (
                manifest_with("application/vnd.oci.image.config.v1+json", LAYER_TYPE, &schema, 1),
                "not a microscanner database",
            ),
            (
                manifest_with(ARTIFACT_TYPE, "application/vnd.oci.image.layer.v1.tar+gzip", &schema, 1),
                "layer media type",
            ),
            (manifest_with(ARTIFACT_TYPE, LAYER_TYPE, "999", 1), "schema version 999"),
            (manifest_with(ARTIFACT_TYPE, LAYER_TYPE, &schema, 2), "after the export only deltas"),
            (manifest_with(ARTIFACT_TYPE, LAYER_TYPE, &schema, 0), "it has none"),
            (b"<html>".to_vec(), "not an OCI manifest"),
        ];
        for (bytes, why) in refused {
            let err = export_layer(&bytes, "r").err().map(|e| format!("{e:#}")).unwrap_or_default();
            assert!(err.contains(why), "{why}: {err}");
        }
    }

    #[test]
    fn the_published_manifest_names_what_it_holds() {
        let exported = microscanner_vulndb::Manifest {
            format: "microscanner-db-export/1".into(),
            schema_version: SCHEMA_VERSION,
            built_at: "2026-12-07T08:00:00Z".into(),
            size: 4096,
            sha256: "b".repeat(64),
        };
        let digest = format!("sha256:{}", "c".repeat(64));
        let delta = DeltaLayer {
            digest: format!("sha256:{}", "d".repeat(64)),
            size: 12,
            base: "sha256:base".into(),
            target: "sha256:v".into(),
        };
        let bytes =
            serde_json::to_vec(&artifact_manifest(&digest, 123, &exported, "sha256:v", std::slice::from_ref(&delta)))
                .unwrap_or_default();
        let artifact = artifact_layers(&bytes, "r").ok();
        assert_eq!(
            artifact.map(|a| (a.export.digest, a.export.size, a.deltas, a.version)),
            Some((digest, 123, vec![delta], Some("sha256:v".to_owned())))
        );
        let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
        assert_eq!(doc["config"]["digest"], sha256_of(b"{}"));
        assert_eq!(doc["annotations"]["org.opencontainers.image.created"], "2026-12-07T08:00:00Z");
    }

    #[test]
    fn a_chain_of_deltas_is_followed_from_the_local_version() {
        let d = |base: &str, target: &str| DeltaLayer {
            digest: format!("sha256:{base}{target}"),
            size: 1,
            base: base.into(),
            target: target.into(),
        };
        let deltas = [d("c", "d"), d("b", "c"), d("a", "b")];
        let chain =
            |from: &str| delta_chain(&deltas, from, "d").map(|c| c.iter().map(|d| d.base.clone()).collect::<Vec<_>>());
        assert_eq!(chain("a"), Some(vec!["a".to_owned(), "b".to_owned(), "c".to_owned()]));
        assert_eq!(chain("c"), Some(vec!["c".to_owned()]));
        assert_eq!(chain("d"), Some(vec![]));
        assert_eq!(chain("z"), None);
        let cycle = [d("a", "b"), d("b", "a")];
        assert!(delta_chain(&cycle, "a", "d").is_none());
    }

    #[test]
    fn the_state_file_sits_beside_the_database() {
        assert_eq!(state_path(Path::new("/c/db/microscanner.db")), Path::new("/c/db/microscanner.db.registry.json"));
        assert_eq!(registry_ref("registry:h:5000/n:1"), Some("h:5000/n:1"));
        assert_eq!(registry_ref("https://h"), None);
        assert_eq!(registry_ref("registry:"), None);
    }
}
