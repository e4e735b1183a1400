//! Deltas end to end through the binary, on the real RustSec feed: database N is built from the
//! feed with 25 advisories removed and three replaced by their real older versions (as
//! vuln-list-update's golden files hold them), KEV, and three days of EPSS scores; N+1 from the
//! whole feed, KEV and four days. `db export --since N` then `db import` onto N gives N+1's
//! canonical dump; a delta refuses another base and leaves it as it was; an import killed at any
//! moment leaves N or N+1, never anything else.
#![allow(clippy::unwrap_used)] // tests may unwrap

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures")
}

fn workdir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-dbdelta-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn microscanner() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_microscanner"));
    c.env_remove("MICROSCANNER_DB").env("RUST_LOG", "warn").env("NO_COLOR", "1").stdin(Stdio::null());
    c.env("MICROSCANNER_CACHE_DIR", concat!(env!("CARGO_TARGET_TMPDIR"), "/cli-tests-layer-cache"));
    c
}

fn ok(out: &Output) -> String {
    assert!(out.status.success(), "failed: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn db_cmd(db: &Path, args: &[&str]) -> Output {
    microscanner().arg("db").args(args).arg("--db").arg(db).output().unwrap()
}

/// The RustSec advisories that vuln-list-update's golden files hold in an older version.
const OLDER: [&str; 3] = ["smallvec/RUSTSEC-2019-0009", "tar/RUSTSEC-2018-0002", "openssl/RUSTSEC-2016-0001"];

/// Builds N (`old`) and N+1 (`new`) in `dir`.
fn build_pair(dir: &Path) -> (PathBuf, PathBuf) {
    let f = fixtures();
    let rustsec = f.join("osv-rustsec/crates");
    let subset = dir.join("rustsec-n");
    std::fs::create_dir_all(&subset).unwrap();
    let mut names: Vec<String> = std::fs::read_dir(&rustsec)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert!(names.len() > 1000, "the RustSec fixture");
    for (i, name) in names.iter().enumerate() {
        // 25 advisories are new in N+1.
        if i % 48 != 7 || i / 48 >= 25 {
            std::fs::copy(rustsec.join(name), subset.join(name)).unwrap();
        }
    }
    let golden = f.join("feeds-vuln-list-update-fixtures/osvdev/testdata/golden/rust");
    for older in OLDER {
        let id = older.split('/').nth(1).unwrap();
        let old = std::fs::read(golden.join(format!("{older}.json"))).unwrap();
        assert_ne!(old, std::fs::read(rustsec.join(format!("{id}.json"))).unwrap());
        std::fs::write(subset.join(format!("{id}.json")), old).unwrap();
    }
    let epss_all = f.join("feeds-vuls-data-update-fixtures/pkg/fetch/epss/testdata/fixtures");
    let epss_n = dir.join("epss-n");
    std::fs::create_dir_all(&epss_n).unwrap();
    for day in ["2021-04-14", "2021-09-01", "2022-02-04"] {
        let name = format!("epss_scores-{day}.csv.gz");
        std::fs::copy(epss_all.join(&name), epss_n.join(&name)).unwrap();
    }
    let kev = f.join("kev-cisa/known_exploited_vulnerabilities.json");
    let build = |db: &Path, osv: &Path, epss: &Path| {
        let out = microscanner()
            .args(["db", "build", "--db"])
            .arg(db)
            .arg("--from")
            .arg(osv)
            .arg("--from")
            .arg(&kev)
            .arg("--from")
            .arg(epss)
            .output()
            .unwrap();
        ok(&out);
    };
    let (old, new) = (dir.join("n/microscanner.db"), dir.join("n1/microscanner.db"));
    build(&old, &subset, &epss_n);
    build(&new, &rustsec, &epss_all);
    (old, new)
}

fn dump(db: &Path) -> Vec<u8> {
    let out = db_cmd(db, &["dump"]);
    ok(&out);
    out.stdout
}

fn version(db: &Path) -> String {
    let out = db_cmd(db, &["dump", "--version"]);
    ok(&out);
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[test]
fn a_delta_applied_to_n_gives_the_contents_of_n_plus_one_and_refuses_another_base() {
    let dir = workdir("roundtrip");
    let (old, new) = build_pair(&dir);
    let (dump_old, dump_new) = (dump(&old), dump(&new));
    assert_ne!(dump_old, dump_new);

    let delta = dir.join("n-to-n1.delta.zst");
    let said = ok(&db_cmd(&new, &["export", delta.to_str().unwrap(), "--since", old.to_str().unwrap()]));
    assert!(said.contains("exported the delta from version ") && said.contains(" keys changed ("), "{said}");
    // A full export of N+1, for the size comparison and as a base given by its export.
    let full = dir.join("n1.tar.zst");
    ok(&db_cmd(&new, &["export", full.to_str().unwrap()]));
    let (delta_len, full_len) = (std::fs::metadata(&delta).unwrap().len(), std::fs::metadata(&full).unwrap().len());
    eprintln!("delta {delta_len} bytes, full export {full_len} bytes");
    assert!(delta_len * 4 < full_len, "a delta of a few dozen advisories is much smaller than the export");

    // What the delta holds: the 25 new advisories, the 3 changed, EPSS, meta; nothing withdrawn.
    let text = String::from_utf8(zstd::decode_all(std::fs::File::open(&delta).unwrap()).unwrap()).unwrap();
    for id in OLDER.map(|o| o.split('/').nth(1).unwrap()) {
        assert!(text.contains(&format!("\"table\":\"advisories\",\"key\":\"{id}\"")), "{id}");
    }
    let advisories = text.lines().filter(|l| l.starts_with("{\"table\":\"advisories\"")).count();
    assert_eq!(advisories, 25 + 3);
    // Nothing withdrawn from N to N+1 but the source rows of N's feed directories (other paths).
    let withdrawn: Vec<&str> = text.lines().filter(|l| l.ends_with("\"rows\":[]}")).collect();
    assert!(withdrawn.iter().all(|l| l.starts_with("{\"table\":\"sources\"")), "{withdrawn:?}");

    let target = dir.join("client/microscanner.db");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::copy(&old, &target).unwrap();
    let said = ok(&db_cmd(&target, &["import", delta.to_str().unwrap()]));
    assert!(said.contains("applied the delta"), "{said}");
    assert!(dump(&target) == dump_new, "the canonical dump of N + delta equals N+1's");
    assert_eq!(version(&target), version(&new));
    ok(&db_cmd(&target, &["status"]));

    // Applied again (the database is now N+1, not its base): refused, untouched.
    let before = std::fs::read(&target).unwrap();
    let out = db_cmd(&target, &["import", delta.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(err.contains("made against database version") && err.contains(&version(&old)), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert_eq!(std::fs::read(&target).unwrap(), before);

    // The reverse delta, with the base given as its export: N+1 back to N.
    let back = dir.join("n1-to-n.delta.zst");
    let old_export = dir.join("n.tar.zst");
    ok(&db_cmd(&old, &["export", old_export.to_str().unwrap()]));
    let said = ok(&db_cmd(&old, &["export", back.to_str().unwrap(), "--since", full.to_str().unwrap()]));
    assert!(said.contains(" withdrawn)") && !said.contains("(0 withdrawn)"), "{said}");
    ok(&db_cmd(&target, &["import", back.to_str().unwrap()]));
    assert!(dump(&target) == dump_old, "N+1 + reverse delta equals N");
}

#[cfg(unix)]
#[test]
fn a_killed_import_leaves_the_previous_database() {
    use std::os::unix::process::ExitStatusExt as _;
    let dir = workdir("killed");
    let (old, new) = build_pair(&dir);
    let (dump_old, dump_new) = (dump(&old), dump(&new));
    let delta = dir.join("delta.zst");
    ok(&db_cmd(&new, &["export", delta.to_str().unwrap(), "--since", old.to_str().unwrap()]));
    let target = dir.join("client/microscanner.db");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    let mut killed = 0;
    // An import takes about half a second here (debug build): killed at every stage, and some
    // not killed at all.
    let delays = [0u64, 20, 50, 100, 200, 300, 400, 500, 700, 1000, 3000];
    for delay_ms in delays {
        std::fs::copy(&old, &target).unwrap();
        let mut child = microscanner()
            .args(["db", "import"])
            .arg(&delta)
            .arg("--db")
            .arg(&target)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let status = child.wait().unwrap();
        let after = dump(&target);
        if status.signal() == Some(9) {
            killed += 1;
            assert!(after == dump_old || after == dump_new, "killed after {delay_ms} ms: neither N nor N+1");
        } else {
            assert!(status.success());
            assert!(after == dump_new);
        }
    }
    eprintln!("{killed} of {} imports killed before they ended", delays.len());
    assert!(killed > 0, "at least one import was killed before it ended");
    // The next import sweeps what the killed ones left beside the database, and applies.
    std::fs::copy(&old, &target).unwrap();
    ok(&db_cmd(&target, &["import", delta.to_str().unwrap()]));
    assert!(dump(&target) == dump_new);
    let left: Vec<_> = std::fs::read_dir(target.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// The registry's filesystem storage (`scripts/registry.sh`: `$MICROSCANNER_REGISTRY_DIR/data`).
fn blob_file(digest: &str) -> PathBuf {
    let dir = std::env::var("MICROSCANNER_REGISTRY_DIR").unwrap_or_else(|_| "/var/tmp/ms-registry".to_owned());
    let hex = digest.strip_prefix("sha256:").unwrap();
    Path::new(&dir).join(format!("data/docker/registry/v2/blobs/sha256/{}/{hex}/data", &hex[..2]))
}

/// The manifest the registry holds for `repo:tag`, fetched with curl (not our client).
fn manifest(registry: &str, repo: &str, tag: &str) -> serde_json::Value {
    let out = Command::new("curl")
        .args(["-sf", "-H", "Accept: application/vnd.oci.image.manifest.v1+json"])
        .arg(format!("http://{registry}/v2/{repo}/manifests/{tag}"))
        .output()
        .unwrap();
    assert!(out.status.success(), "curl: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn registry_cmd(dir: &Path, db: &Path, args: &[&str]) -> Output {
    microscanner()
        .env_remove("MICROSCANNER_USERNAME")
        .env_remove("MICROSCANNER_PASSWORD")
        .env("DOCKER_CONFIG", dir.join("no-docker-config"))
        .arg("db")
        .args(args)
        .arg("--db")
        .arg(db)
        .output()
        .unwrap()
}

/// N then N+1 published to the same tag: the manifest carries the export of N+1 and the delta
/// from N, annotated with both versions; a client holding N downloads only the delta (the
/// export's blob is deleted from the registry's storage first, so fetching it would fail) and
/// ends with N+1's contents; a client with nothing takes the export.
#[test]
fn the_registry_artifact_carries_the_delta_and_an_update_from_the_base_takes_only_it() {
    let Some(reg) = microscanner_testkit::test_registries() else { return };
    let dir = workdir("registry");
    let (old, new) = build_pair(&dir);
    let target = format!("registry:{}/microscanner-db-delta:1", reg.open);
    let said = ok(&registry_cmd(&dir, &old, &["publish", &target]));
    assert!(said.contains(", 0 deltas"), "nothing was published before: {said}");
    let client = dir.join("client/microscanner.db");
    ok(&registry_cmd(&dir, &client, &["update", "--source", &target]));
    assert!(dump(&client) == dump(&old));

    let said = ok(&registry_cmd(&dir, &new, &["publish", &target]));
    assert!(said.contains(", 1 deltas; a delta of "), "{said}");
    let m = manifest(&reg.open, "microscanner-db-delta", "1");
    assert_eq!(m["annotations"]["dev.microscanner.db.version"], version(&new));
    let layers = m["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2, "{m}");
    assert_eq!(layers[1]["mediaType"], "application/vnd.microscanner.db.delta.v1+zstd");
    assert_eq!(layers[1]["annotations"]["dev.microscanner.db.delta.base"], version(&old));
    assert_eq!(layers[1]["annotations"]["dev.microscanner.db.delta.target"], version(&new));
    let (full, delta) = (layers[0]["size"].as_u64().unwrap(), layers[1]["size"].as_u64().unwrap());
    eprintln!("registry: export {full} bytes, delta {delta} bytes ({:.2}%)", delta as f64 * 100.0 / full as f64);
    assert!(delta < full);

    // A client with nothing takes the export.
    let fresh = dir.join("fresh/microscanner.db");
    let said = ok(&registry_cmd(&dir, &fresh, &["update", "--source", &target]));
    assert!(said.contains(&format!("{full} bytes downloaded")), "{said}");
    assert!(dump(&fresh) == dump(&new));

    // The client holding N: only the delta, with the export's blob gone from the registry.
    std::fs::remove_file(blob_file(layers[0]["digest"].as_str().unwrap())).unwrap();
    let said = ok(&registry_cmd(&dir, &client, &["update", "--source", &target]));
    assert!(said.contains("by 1 delta(s)") && said.contains(&format!("{delta} bytes downloaded")), "{said}");
    assert!(dump(&client) == dump(&new));
    // Nothing new: nothing downloaded.
    let said = ok(&registry_cmd(&dir, &client, &["update", "--source", &target]));
    assert!(said.contains("is up to date"), "{said}");
}

/// `microscanner serve` over N, then over N+1 (its file replaced): a client holding N gets the
/// delta from `GET /api/v1/db/download?since=N` (fewer bytes than the export the server
/// announces) and ends with N+1's contents; its next update downloads nothing, although its
/// file is not byte for byte the server's.
#[test]
fn the_service_serves_the_delta_from_its_previous_database() {
    let dir = workdir("serve");
    let (old, new) = build_pair(&dir);
    let served = dir.join("served/microscanner.db");
    std::fs::create_dir_all(served.parent().unwrap()).unwrap();
    std::fs::copy(&old, &served).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let mut child = microscanner()
        .arg("--db")
        .arg(&served)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--database-url"])
        .arg(format!("sqlite://{}", dir.join("server.db").display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    struct Kill<'a>(&'a mut std::process::Child);
    impl Drop for Kill<'_> {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _kill = Kill(&mut child);
    let http = reqwest::blocking::Client::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !http.get(format!("{url}/readyz")).send().is_ok_and(|r| r.status() == 200) {
        assert!(std::time::Instant::now() < deadline, "serve did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let client = dir.join("client/microscanner.db");
    let update = || ok(&db_cmd(&client, &["update", "--source", &url]));
    assert!(update().contains("bytes downloaded"));
    assert!(dump(&client) == dump(&old));

    // The server's file is replaced by N+1 (renamed into place, as `db update` does).
    let tmp = dir.join("served/.next.db");
    std::fs::copy(&new, &tmp).unwrap();
    std::fs::rename(&tmp, &served).unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let meta: serde_json::Value = http.get(format!("{url}/api/v1/db")).send().unwrap().json().unwrap();
    assert_eq!(meta["version"], version(&new), "{meta}");
    let export_size = meta["download"]["size"].as_u64().unwrap();
    let said = update();
    let downloaded: u64 = said
        .split(" bytes downloaded")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{said}"));
    eprintln!("service: delta {downloaded} bytes, export {export_size} bytes");
    assert!(downloaded * 4 < export_size, "the delta, not the export: {said}");
    assert!(dump(&client) == dump(&new));
    assert_ne!(std::fs::read(&client).unwrap(), std::fs::read(&new).unwrap());
    assert!(update().contains("up to date"));
}
