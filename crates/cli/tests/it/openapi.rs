//! The service against its published contract: schemathesis (from PyPI) reads `docs/openapi.yaml`
//! and sends generated requests (valid and invalid) to a real `microscanner serve` with a real
//! SMTP sink; every answer must conform (status codes, content types, headers, schemas), valid
//! requests must be accepted, invalid ones refused, and nothing may answer 5xx.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr, missing_docs)]

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use microscanner_testkit::smtp::SmtpSink;

fn schemathesis() -> Option<String> {
    let found = Command::new("schemathesis").arg("--version").output().is_ok_and(|o| o.status.success());
    found.then(|| "schemathesis".to_owned())
}

#[test]
fn the_server_keeps_its_openapi_contract() {
    let st = schemathesis();
    if !microscanner_testkit::require(st.is_some(), "schemathesis (pip install schemathesis)") {
        return;
    }
    let Some(st) = st else { return };
    let Some(smtp) = SmtpSink::start() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("microscanner.db");
    let f = microscanner_testkit::fixtures_dir();
    let bin = env!("CARGO_BIN_EXE_microscanner");
    let out = Command::new(bin)
        .args(["db", "build", "--db"])
        .arg(&db)
        .arg("--from")
        .arg(f.join("osv-pypi-pypa/json"))
        .arg("--from")
        .arg(f.join("debian-security-tracker/CVEDB-mirror/data/DSA/list"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let store = format!("sqlite://{}", tmp.path().join("server.db").display());
    let mut serve = Command::new(bin)
        .arg("--db")
        .arg(&db)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--database-url", &store, "--public-url", &url])
        .args(["--smtp-url", &format!("smtp://127.0.0.1:{}", smtp.port), "--register-per-client", "1000000"])
        // generated scans remember under many names: the bound (409) is not what is tested here
        .args(["--watch-max-per-token", "1000000"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let client = reqwest::blocking::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !client.get(format!("{url}/readyz")).send().is_ok_and(|r| r.status() == 200) {
        assert!(Instant::now() < deadline, "serve did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let token = Command::new(bin)
        .args(["server", "token", "create", "--email", "contract@example.com", "--quota", "100000000"])
        .args(["--database-url", &store, "--public-url", &url])
        .output()
        .unwrap();
    let token = String::from_utf8(token.stdout).unwrap().trim().to_owned();
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.yaml");
    let out = Command::new(st)
        .arg("run")
        .arg(&spec)
        .args(["--url", &url, "--checks", "all", "--max-examples", "150", "--seed", "20261206"])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .env("NO_COLOR", "1")
        .current_dir(tmp.path())
        .output()
        .unwrap();
    let _ = serve.kill();
    let _ = serve.wait();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found contract violations:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("10 selected"), "every operation was tested:\n{text}");
}
