//! Shared by the CLI tests that scan the debian12-app image: the repository root, the image's
//! directory and the database of `scripts/fixture-db.sh` (every fixture feed), built once per
//! test binary by that script and the binary under test.
#![allow(dead_code, clippy::unwrap_used, clippy::print_stderr, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The checkout's root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// The debian12-app directory of `make-images.sh` (`oci/`, `oci-archive.tar`, ...), or `None`
/// with a skip note; under CI (`CI` set) a missing image fails instead.
pub fn image_dir() -> Option<PathBuf> {
    let images =
        std::env::var_os("MICROSCANNER_IMAGES").map(PathBuf::from).unwrap_or_else(|| repo_root().join("target/images"));
    let dir = images.join("debian12-app");
    if dir.join("oci/index.json").is_file() {
        return Some(dir);
    }
    microscanner_testkit::require(false, &format!("the image at {} (scripts/images.sh builds it)", dir.display()));
    None
}

/// The database of `scripts/fixture-db.sh`, built on first use.
pub fn db() -> &'static Path {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fixture-scan-db-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("microscanner.db");
        let out = Command::new("bash")
            .arg(repo_root().join("scripts/fixture-db.sh"))
            .arg(&db)
            .arg(env!("CARGO_BIN_EXE_microscanner"))
            .output()
            .unwrap();
        assert!(out.status.success(), "fixture-db.sh: {}", String::from_utf8_lossy(&out.stderr));
        db
    })
}
