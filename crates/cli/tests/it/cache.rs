//! The layer cache on the real images (`../shared/tools/make-images.sh`): a rescan reads only the
//! layers it has not seen, results equal an uncached scan, concurrent scans share one cache and
//! analyse each layer once, a corrupt entry is rebuilt, and `cache clean` empties it. Each test
//! uses its own cache directory.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a panic is the failure report

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// A fresh cache directory under the target's temporary directory.
fn cache_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("layer-cache-tests").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// `microscanner ARGS` with the layer cache in `cache` and info-level logs.
fn run(cache: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_microscanner"))
        .args(args)
        .env("MICROSCANNER_CACHE_DIR", cache)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap()
}

/// Runs `sbom TARGET --format json [EXTRA]`; returns the document and (analysed, from cache).
fn sbom(cache: &Path, target: &str, extra: &[&str]) -> (Value, (usize, usize)) {
    let mut args = vec!["sbom", target, "--format", "json"];
    args.extend_from_slice(extra);
    let out = run(cache, &args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "sbom {target} failed: {stderr}");
    (serde_json::from_slice(&out.stdout).unwrap(), layer_counts(&stderr))
}

/// Reads "analysed N layers, M from cache" from the log.
fn layer_counts(stderr: &str) -> (usize, usize) {
    let line = stderr.lines().find_map(|l| l.split_once("analysed ").map(|(_, rest)| rest)).unwrap_or_else(|| {
        panic!("no layer count in the log: {stderr}");
    });
    let numbers: Vec<usize> = line.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse().ok()).collect();
    (numbers[0], numbers[1])
}

fn diff_ids(doc: &Value) -> Vec<String> {
    doc["image"]["layers"].as_array().unwrap().iter().map(|l| l["diff_id"].as_str().unwrap().to_owned()).collect()
}

fn entries(cache: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(cache)
        .map(|r| r.map(|e| e.unwrap().path()).filter(|p| p.to_string_lossy().ends_with(".json.zst")).collect())
        .unwrap_or_default()
}

/// Targets of the two images that share a base.
fn targets(images: &Path) -> (String, String) {
    (
        format!("oci:{}/debian12-app/oci", images.display()),
        format!("oci-archive:{}/podman-app/oci-archive.tar", images.display()),
    )
}

#[test]
fn a_rescan_reads_only_new_layers_and_equals_an_uncached_scan() {
    let Some(images) = microscanner_testkit::images_dir() else { return };
    let (debian, podman) = targets(&images);
    let cache = cache_dir("rescan");
    let (debian_doc, counts) = sbom(&cache, &debian, &[]);
    let debian_layers = diff_ids(&debian_doc);
    assert_eq!(counts, (debian_layers.len(), 0), "cold cache: every layer is analysed");

    let (podman_doc, counts) = sbom(&cache, &podman, &[]);
    let podman_layers = diff_ids(&podman_doc);
    let known: BTreeSet<&String> = debian_layers.iter().collect();
    let shared = podman_layers.iter().filter(|d| known.contains(d)).count();
    assert!(shared >= 3, "podman-app is built on debian12-app's base layers ({shared} shared)");
    assert_eq!(counts, (podman_layers.len() - shared, shared), "only podman-app's new layers are read");

    // Warm: nothing is read, and the documents equal uncached ones.
    let (warm, counts) = sbom(&cache, &podman, &[]);
    assert_eq!(counts, (0, podman_layers.len()));
    let (uncached, counts) = sbom(&cache, &podman, &["--no-cache"]);
    assert_eq!(counts, (podman_layers.len(), 0));
    assert_eq!(warm, uncached);
    assert_eq!(podman_doc, uncached);
    let (uncached, _) = sbom(&cache, &debian, &["--no-cache"]);
    let (warm, _) = sbom(&cache, &debian, &[]);
    assert_eq!(warm, uncached);
    assert_eq!(debian_doc, uncached);
}

#[test]
fn concurrent_scans_share_one_cache_and_analyse_each_layer_once() {
    let Some(images) = microscanner_testkit::images_dir() else { return };
    let (debian, podman) = targets(&images);
    let cache = cache_dir("concurrent");
    let runs: Vec<_> = [&debian, &podman, &debian, &podman]
        .into_iter()
        .map(|target| {
            let cache = cache.clone();
            let target = target.clone();
            std::thread::spawn(move || sbom(&cache, &target, &[]))
        })
        .collect();
    let results: Vec<(Value, (usize, usize))> = runs.into_iter().map(|h| h.join().unwrap()).collect();
    let docs: Vec<&Value> = results.iter().map(|(doc, _)| doc).collect();
    assert_eq!(docs[0], docs[2]);
    assert_eq!(docs[1], docs[3]);
    let (uncached, _) = sbom(&cache, &podman, &["--no-cache"]);
    assert_eq!(docs[1], &uncached);
    // A layer another scan is analysing is waited for and read from its entry, not analysed
    // again: across the four scans each distinct layer is analysed exactly once.
    let distinct: BTreeSet<String> = docs.iter().flat_map(|d| diff_ids(d)).collect();
    let analysed: usize = results.iter().map(|(_, (analysed, _))| analysed).sum();
    let walked: usize = results.iter().map(|(_, (analysed, cached))| analysed + cached).sum();
    assert_eq!(analysed, distinct.len(), "layers analysed across the concurrent scans");
    assert_eq!(walked, docs.iter().map(|d| diff_ids(d).len()).sum::<usize>());
    // No half-written or temporary file is left behind; lock files stay in their directory.
    for item in std::fs::read_dir(&cache).unwrap() {
        let name = item.unwrap().file_name().to_string_lossy().into_owned();
        assert!(name == ".locks" || (name.ends_with(".json.zst") && !name.starts_with('.')), "stray file {name}");
    }
    for item in std::fs::read_dir(cache.join(".locks")).unwrap() {
        let name = item.unwrap().file_name().to_string_lossy().into_owned();
        assert!(name.ends_with(".lock"), "stray file in .locks: {name}");
    }
}

#[test]
fn a_corrupt_entry_is_discarded_and_rebuilt() {
    let Some(images) = microscanner_testkit::images_dir() else { return };
    let (debian, _) = targets(&images);
    let cache = cache_dir("corrupt");
    let (cold, _) = sbom(&cache, &debian, &[]);
    let files = entries(&cache);
    assert_eq!(files.len(), diff_ids(&cold).len());
    for file in &files {
        std::fs::write(file, b"\x28\xb5\x2f\xfd garbage, not an entry").unwrap();
    }
    let (rebuilt, counts) = sbom(&cache, &debian, &[]);
    assert_eq!(counts, (files.len(), 0), "every corrupt entry is analysed again");
    assert_eq!(rebuilt, cold);
    let (warm, counts) = sbom(&cache, &debian, &[]);
    assert_eq!(counts, (0, files.len()), "the entries were rewritten");
    assert_eq!(warm, cold);
}

#[test]
fn cache_clean_empties_the_cache_and_max_size_bounds_it() {
    let Some(images) = microscanner_testkit::images_dir() else { return };
    let (debian, _) = targets(&images);
    let cache = cache_dir("clean");
    sbom(&cache, &debian, &[]);
    assert!(!entries(&cache).is_empty());
    let out = run(&cache, &["cache", "status"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("3 entries"));
    // An engine export a killed scan left two hours ago is swept; one in use (fresh) is not.
    let exports = cache.join("tmp");
    std::fs::create_dir_all(&exports).unwrap();
    let (old, fresh) = (exports.join("engine-export-old.tar"), exports.join("engine-export-fresh.tar"));
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    std::fs::File::create(&old).unwrap().set_modified(two_hours_ago).unwrap();
    std::fs::File::create(&fresh).unwrap();
    let out = run(&cache, &["cache", "clean"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(entries(&cache).is_empty());
    assert!(String::from_utf8_lossy(&out.stdout).contains("and 1 stale engine exports"));
    assert!(!old.exists() && fresh.exists());
    std::fs::remove_dir_all(&exports).unwrap();
    // A bound of one byte keeps nothing after the scan.
    let (_, counts) = sbom(&cache, &debian, &["--cache-max-size", "1"]);
    assert_eq!(counts.1, 0);
    assert!(entries(&cache).is_empty());
    let out = run(&cache, &["sbom", &debian, "--cache-max-size", "lots"]);
    assert!(!out.status.success());
}

#[test]
fn cache_clean_sweeps_what_killed_scans_left_and_keeps_what_is_being_written() {
    let cache = cache_dir("killed");
    std::fs::create_dir_all(&cache).unwrap();
    let key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    // An entry being written by a scan that was killed two hours ago, and one being written now.
    let stale = cache.join(format!(".{key}.json.zst.tmp-4000000000-abcdef"));
    let live = cache.join(format!(".{key}.json.zst.tmp-{}-ghijkl", std::process::id()));
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    std::fs::File::create(&stale).unwrap().set_modified(two_hours_ago).unwrap();
    std::fs::File::create(&live).unwrap();
    let out = run(&cache, &["cache", "status"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("\t0 entries"), "temporaries are not entries");
    let out = run(&cache, &["cache", "clean"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!stale.exists(), "the killed scan's temporary is swept");
    assert!(live.exists(), "a temporary being written is kept");
}
