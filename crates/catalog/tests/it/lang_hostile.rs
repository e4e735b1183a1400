//! Hostile input for the language parsers: bounded time and memory, a diagnostic, no panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a panic is the failure report
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "tests read their fixtures from disk; the crate's own code does no file I/O"
)]

use std::io::{Cursor, Write};
use std::time::{Duration, Instant};

use microscanner_catalog::lang::java::{Limits, parse_with_limits};
use microscanner_catalog::lang::{Format, gobinary, parse_file};
use zip::write::SimpleFileOptions;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/");

/// The language format whose analyzer id is `id`.
fn format(id: &str) -> &'static Format {
    microscanner_catalog::lang::format(id).unwrap_or_else(|| panic!("no format {id}"))
}

fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        w.start_file(*name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn zip_bomb_jar_stops_at_the_inflation_budget() {
    // 64 MiB of zeros deflate to ~64 KiB; nested twice it is a small file that would inflate a lot
    let zeros = vec![0u8; 64 << 20];
    let inner = zip_of(&[("a.bin.jar", &zeros), ("b.bin.jar", &zeros)]);
    let outer = zip_of(&[
        ("META-INF/maven/g/a/pom.properties", b"groupId=g\nartifactId=a\nversion=1\n"),
        ("lib/inner.jar", &inner),
    ]);
    assert!(outer.len() < 2 << 20, "the bomb is small: {}", outer.len());
    let limits = Limits { max_inflated: 32 << 20, max_member: 16 << 20, ..Limits::default() };
    let t = Instant::now();
    let (pkgs, diags) = parse_with_limits(&outer, "bomb.jar", limits);
    assert!(t.elapsed() < Duration::from_secs(20));
    assert_eq!(pkgs.len(), 1, "the outer artifact is still reported");
    assert!(diags.iter().any(|d| d.message.contains("limit")), "{diags:?}");
}

#[test]
fn jar_nested_100_deep_is_cut_at_the_depth_limit() {
    let bytes = std::fs::read(format!(
        "{ROOT}pkgdb-osv-scalibr/extractor/filesystem/language/java/archive/testdata/nested_at_100.jar"
    ))
    .unwrap();
    let t = Instant::now();
    let (pkgs, diags) = parse_file("opt/app/nested_at_100.jar", &bytes).unwrap();
    assert!(t.elapsed() < Duration::from_secs(10));
    assert!(pkgs.is_empty());
    assert_eq!(diags.len(), 1, "one diagnostic, not one per level: {diags:?}");
    assert!(diags[0].message.contains("nest deeper"));
    assert_eq!(
        diags[0].location,
        "/opt/app/nested_at_100.jar!nested.jar!nested.jar!nested.jar!nested.jar!nested.jar!nested.jar!nested.jar!nested.jar!nested.jar!nested.jar!nested.jar!nested.jar!nested.jar!nested.jar!nested.jar!nested.jar"
    );
}

fn big_package_lock(n: usize) -> Vec<u8> {
    let mut s = String::from(
        r#"{"name":"big","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{"":{"name":"big","version":"1.0.0"}"#,
    );
    for i in 0..n {
        s.push_str(&format!(
            r#","node_modules/package-number-{i}":{{"version":"1.{}.{}","resolved":"https://registry.npmjs.org/package-number-{i}/-/package-number-{i}-1.0.0.tgz","integrity":"sha512-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="}}"#,
            i % 100,
            i % 7
        ));
    }
    s.push_str("}}");
    s.into_bytes()
}

#[test]
fn fifty_megabyte_minified_package_lock() {
    let bytes = big_package_lock(240_000);
    assert!(bytes.len() > 50 << 20, "{}", bytes.len());
    assert!(format("npm-package-lock").wants("app/package-lock.json", bytes.len() as u64));
    let t = Instant::now();
    let (pkgs, diags) = format("npm-package-lock").parse("app/package-lock.json", &bytes);
    assert!(t.elapsed() < Duration::from_secs(60), "{:?}", t.elapsed());
    assert!(diags.is_empty());
    assert_eq!(pkgs.len(), 240_000);
    // the same file cut short: a diagnostic, no packages
    let (pkgs, diags) = format("npm-package-lock").parse("app/package-lock.json", &bytes[..bytes.len() / 2]);
    assert!(pkgs.is_empty());
    assert_eq!(diags.len(), 1);
    // past the size bound the layer walk never hands it over
    assert!(!format("npm-package-lock").wants("app/package-lock.json", 65 << 20));
}

#[test]
fn truncated_go_binaries() {
    for name in ["test.elf", "test.exe", "test.macho", "main-version-via-ldflags.elf"] {
        let bytes =
            std::fs::read(format!("{ROOT}pkgdb-trivy/pkg/dependency/parser/golang/binary/testdata/{name}")).unwrap();
        let full = gobinary::parse(&bytes);
        assert!(full.0.iter().any(|p| p.name == "stdlib"), "{name}");
        let mut diagnosed = 0;
        for cut in (0..64).map(|i| bytes.len() * i / 64) {
            let (pkgs, diags) = format("lang-binary").parse(name, &bytes[..cut]);
            if !diags.is_empty() {
                diagnosed += 1;
                assert!(pkgs.is_empty() || pkgs.iter().any(|p| p.name == "stdlib"));
            }
        }
        // pointer-form (Go < 1.18) cuts that keep the header but lose what it points to are reported
        if name != "main-version-via-ldflags.elf" {
            assert!(diagnosed > 0, "{name}: no truncation was diagnosed");
        }
        // and a buildinfo header cut in the middle of its strings
        let at = bytes.windows(14).position(|w| w == b"\xff Go buildinf:").unwrap();
        let (pkgs, diags) = gobinary::parse(&bytes[..at + 20]);
        assert!(pkgs.is_empty());
        assert_eq!(diags.len(), 1, "{name}");
    }
}

#[test]
fn malformed_yaml_and_toml() {
    let cases: &[(&str, &[u8])] = &[
        ("pnpm-lock", b"lockfileVersion: '6.0'\npackages:\n  /a@1.0.0: [\n"),
        ("pnpm-lock", b"\t- : : :\n{{{"),
        ("pnpm-lock", b"lockfileVersion: 5.4\npackages: 12\n"),
        ("poetry-lock", b"[[package]]\nname = \"a\"\nversion = 1.0.0\n"),
        ("uv-lock", b"[[package]\nname="),
        ("cargo-lock", b"[[package]]\nname = \"a\"\nversion = \n"),
        ("cargo-lock", b"\xff\xfe\x00"),
        ("pipfile-lock", b"{\"default\": [1, 2"),
        ("composer-lock", b"{\"packages\": {}}"),
        ("nuget-lock", b"{\"dependencies\": {\"net6.0\": 5}}"),
        ("dotnet-deps", b"null"),
        ("npm-package-lock", &[b'['; 100_000]),
    ];
    for (id, bytes) in cases {
        let (pkgs, diags) = format(id).parse("x", bytes);
        assert!(pkgs.is_empty(), "{id}: {pkgs:?}");
        assert!(!diags.is_empty(), "{id} {:?}: no diagnostic", String::from_utf8_lossy(&bytes[..bytes.len().min(40)]));
        assert!(diags.iter().all(|d| !d.message.contains('\n')), "one-line messages");
    }
}

#[test]
fn inconsistent_cargo_lock_is_read_with_a_diagnostic() {
    let (pkgs, diags) =
        format("cargo-lock").parse("Cargo.lock", b"[[package]]\nname = \"a\"\nversion = \"not semver\"\n");
    assert_eq!(pkgs.len(), 1);
    assert_eq!(diags.len(), 1);
}

#[test]
fn yaml_alias_bomb_is_bounded() {
    let mut y = String::from("lockfileVersion: '6.0'\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        y.push_str(&format!("a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"));
    }
    y.push_str("packages:\n  /a@1.0.0:\n    resolution: *a11\n");
    let t = Instant::now();
    let (_pkgs, diags) = format("pnpm-lock").parse("pnpm-lock.yaml", y.as_bytes());
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    assert!(!diags.is_empty(), "10^12 nodes must hit the budget");
}

/// A Cargo.lock that the fuzzer found crashing the parser (kept as a regression input).
#[test]
fn cargo_lock_fuzz_crash_is_a_diagnostic() {
    let bytes = include_bytes!("../data/cargo-lock-fuzz-crash.lock");
    let (pkgs, diags) = format("cargo-lock").parse("Cargo.lock", bytes);
    assert!(!pkgs.is_empty() || !diags.is_empty(), "a damaged lockfile says something");
}
