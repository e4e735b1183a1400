#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "tests read their fixtures from disk; the crate's own code does no file I/O"
)]

//! The formats of issue #19 (the lockfiles Trivy reads beside ours: Dart, Elixir, Swift,
//! CocoaPods, Gradle, Maven `pom.xml`, Conan, Julia, sbt) against Trivy's own fixtures
//! (`pkgdb-trivy/pkg/...`, read in place): each row is a Trivy test case and the exact
//! `name version` list its Go test expects (`EXPECTED-from-trivy-tests.md`), duplicates included
//! (Julia keeps two packages of one name with different UUIDs, as Trivy does). Then the hostile
//! cases: cut, garbage and very large inputs give diagnostics in bounded time, never a panic.
//!
//! Where we deliberately differ from Trivy (`EXCEPTIONS`):
//! - Trivy's pom.xml parser reads parent POMs and remote repositories; we read the file alone,
//!   so only its happy fixtures (every version literal or a property of the same file) compare.
//!   A version range (`(,1.0]`) and an invoker placeholder (`@example.version@`) are skipped
//!   with a diagnostic where Trivy lists the dependency with an empty or placeholder version.
//! - Trivy's pubspec.lock "use minimum version" option (an SDK package at the Flutter SDK's
//!   minimum version) is not ours: SDK packages keep the version the lockfile gives them.

use std::time::{Duration, Instant};

use microscanner_catalog::lang::Format;

/// (format id, fixture path under `pkgdb-trivy/pkg/`, Trivy's expected `name version` list).
type Row = (&'static str, &'static str, &'static [&'static str]);

const P: &str = "dependency/parser/";
const A: &str = "fanal/analyzer/language/";

fn format(id: &str) -> &'static Format {
    microscanner_catalog::lang::format(id).unwrap_or_else(|| panic!("no format {id}"))
}

fn read(rel: &str) -> Vec<u8> {
    let path = microscanner_testkit::fixtures_dir().join("pkgdb-trivy/pkg").join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Our sorted `name version` list for a fixture, and the diagnostics' messages.
fn ours(id: &str, rel: &str) -> (Vec<String>, Vec<String>) {
    let (pkgs, diags) = format(id).parse(rel, &read(rel));
    let mut got: Vec<String> = pkgs.iter().map(|p| format!("{} {}", p.name, p.version)).collect();
    got.sort();
    (got, diags.into_iter().map(|d| d.message).collect())
}

fn check(rows: &[(&str, String, &[&str])]) {
    let mut failures = Vec::new();
    for (id, rel, expected) in rows {
        let mut want: Vec<String> = expected.iter().map(|s| (*s).to_owned()).collect();
        want.sort();
        let (got, diags) = ours(id, rel);
        if got != want {
            failures.push(format!("{rel}\n  want: {want:?}\n  got:  {got:?}\n  diagnostics: {diags:?}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} fixtures differ:\n{}", failures.len(), rows.len(), failures.join("\n"));
}

fn rows(prefix: &str, rows: &[Row]) -> Vec<(&'static str, String, &'static [&'static str])> {
    rows.iter().map(|(id, rel, want)| (*id, format!("{prefix}{rel}"), *want)).collect()
}

#[test]
fn pubspec_lock_gives_trivys_packages() {
    check(&rows(
        P,
        &[
            (
                "dart-pubspec-lock",
                "dart/pub/testdata/happy.lock",
                &["crypto 3.0.2", "flutter_test 0.0.0", "uuid 3.0.6"],
            ),
            ("dart-pubspec-lock", "dart/pub/testdata/empty.lock", &[]),
        ],
    ));
    check(&rows(
        A,
        &[
            (
                "dart-pubspec-lock",
                "dart/pub/testdata/happy/pubspec.lock",
                &["crypto 3.0.3", "meta 1.11.0", "collection 1.17.0", "typed_data 1.3.2"],
            ),
            ("dart-pubspec-lock", "dart/pub/testdata/empty/pubspec.lock", &[]),
        ],
    ));
    for broken in [format!("{P}dart/pub/testdata/broken.lock"), format!("{A}dart/pub/testdata/broken/pubspec.lock")] {
        let (got, diags) = ours("dart-pubspec-lock", &broken);
        assert!(got.is_empty() && !diags.is_empty(), "{broken}: {got:?} {diags:?}");
    }
    let (pkgs, _) =
        format("dart-pubspec-lock").parse("pubspec.lock", &read(&format!("{P}dart/pub/testdata/happy.lock")));
    assert!(pkgs.iter().any(|p| p.purl() == "pkg:pub/crypto@3.0.2"), "{pkgs:?}");
}

#[test]
fn mix_lock_gives_trivys_packages() {
    check(&rows(
        P,
        &[
            (
                "elixir-mix-lock",
                "hex/mix/testdata/happy.mix.lock",
                &["bunt 0.2.0", "credo 1.6.6", "file_system 0.2.10", "jason 1.3.0"],
            ),
            ("elixir-mix-lock", "hex/mix/testdata/empty.mix.lock", &[]),
        ],
    ));
    check(&rows(
        A,
        &[
            ("elixir-mix-lock", "elixir/mix/testdata/happy.mix.lock", &["bunt 0.2.0"]),
            ("elixir-mix-lock", "elixir/mix/testdata/empty.mix.lock", &[]),
        ],
    ));
    let (_, diags) = ours("elixir-mix-lock", &format!("{P}hex/mix/testdata/happy.mix.lock"));
    assert!(diags.is_empty(), "the git dependency is left out silently: {diags:?}");
}

#[test]
fn package_resolved_gives_trivys_packages() {
    check(&rows(
        P,
        &[
            (
                "swift-package-resolved",
                "swift/swift/testdata/happy-v1-Package.resolved",
                &["github.com/Quick/Nimble 9.2.1", "github.com/ReactiveCocoa/ReactiveSwift 7.1.1"],
            ),
            (
                "swift-package-resolved",
                "swift/swift/testdata/happy-v2-Package.resolved",
                &[
                    "github.com/Quick/Nimble 9.2.1",
                    "github.com/Quick/Quick 7.2.0",
                    "github.com/ReactiveCocoa/ReactiveSwift 7.1.1",
                    "github.com/element-hq/swift-ogg 0.0.1",
                    "github.com/mattgallagher/CwlCatchException 2.1.2",
                    "github.com/mattgallagher/CwlPreconditionTesting 2.1.2",
                ],
            ),
            ("swift-package-resolved", "swift/swift/testdata/empty-Package.resolved", &[]),
        ],
    ));
    check(&rows(
        A,
        &[
            (
                "swift-package-resolved",
                "swift/swift/testdata/happy/Package.resolved",
                &[
                    "github.com/Quick/Nimble 9.2.1",
                    "github.com/Quick/Quick 7.0.0",
                    "github.com/ReactiveCocoa/ReactiveSwift 7.1.1",
                ],
            ),
            ("swift-package-resolved", "swift/swift/testdata/empty/Package.resolved", &[]),
        ],
    ));
    let rel = format!("{P}swift/swift/testdata/happy-v1-Package.resolved");
    let (pkgs, _) = format("swift-package-resolved").parse("Package.resolved", &read(&rel));
    assert!(pkgs.iter().any(|p| p.purl() == "pkg:swift/github.com/Quick/Nimble@9.2.1"), "{pkgs:?}");
}

#[test]
fn podfile_lock_gives_trivys_packages() {
    const HAPPY: &[&str] = &[
        "AppCenter 4.2.0",
        "AppCenter/Analytics 4.2.0",
        "AppCenter/Core 4.2.0",
        "AppCenter/Crashes 4.2.0",
        "KeychainAccess 4.2.1",
    ];
    check(&rows(
        P,
        &[
            ("cocoapods-podfile-lock", "swift/cocoapods/testdata/happy.lock", HAPPY),
            ("cocoapods-podfile-lock", "swift/cocoapods/testdata/empty.lock", &[]),
        ],
    ));
    check(&rows(
        A,
        &[
            ("cocoapods-podfile-lock", "swift/cocoapods/testdata/happy.lock", HAPPY),
            ("cocoapods-podfile-lock", "swift/cocoapods/testdata/empty.lock", &[]),
        ],
    ));
    let (got, diags) = ours("cocoapods-podfile-lock", &format!("{P}swift/cocoapods/testdata/sad.lock"));
    assert!(got.is_empty() && !diags.is_empty(), "{got:?} {diags:?}");
    let rel = format!("{P}swift/cocoapods/testdata/happy.lock");
    let (pkgs, _) = format("cocoapods-podfile-lock").parse("Podfile.lock", &read(&rel));
    assert!(pkgs.iter().any(|p| p.purl() == "pkg:cocoapods/AppCenter@4.2.0#Analytics"), "{pkgs:?}");
}

#[test]
fn gradle_lockfile_gives_trivys_packages() {
    check(&rows(
        P,
        &[
            (
                "gradle-lockfile",
                "gradle/lockfile/testdata/happy.lockfile",
                &[
                    "cglib:cglib-nodep 2.1.2",
                    "junit:junit 4.13.2",
                    "org.springframework:spring-asm 3.1.3.RELEASE",
                    "org.springframework:spring-beans 5.0.5.RELEASE",
                ],
            ),
            ("gradle-lockfile", "gradle/lockfile/testdata/empty.lockfile", &[]),
        ],
    ));
    check(&rows(
        A,
        &[
            (
                "gradle-lockfile",
                "java/gradle/testdata/lockfiles/happy/gradle.lockfile",
                &["junit:junit 4.13", "org.hamcrest:hamcrest-core 1.3"],
            ),
            ("gradle-lockfile", "java/gradle/testdata/lockfiles/empty/gradle.lockfile", &[]),
        ],
    ));
}

#[test]
fn pom_xml_gives_trivys_packages_where_the_file_alone_decides() {
    check(&rows(
        P,
        &[(
            "maven-pom",
            "java/pom/testdata/happy/pom.xml",
            &["com.example:happy 1.0.0", "org.example:example-api 1.7.30", "org.example:example-runtime 1.0.0"],
        )],
    ));
    check(&rows(
        A,
        &[(
            "maven-pom",
            "java/pom/testdata/happy/pom.xml",
            &["com.example:example 1.0.0", "com.example:example-api 2.0.0"],
        )],
    ));
    let (got, diags) = ours("maven-pom", &format!("{A}java/pom/testdata/broken/pom.xml"));
    assert!(got.is_empty() && !diags.is_empty(), "{got:?} {diags:?}");
}

/// Where our pom.xml reading departs from Trivy's (see the module documentation).
#[test]
fn pom_xml_exceptions_skip_what_the_file_does_not_decide() {
    let cases: [(&str, &[&str], &str); 2] = [
        ("java/pom/testdata/requirements/pom.xml", &["com.example:example 2.0.0"], "not a single release"),
        (
            "java/pom/testdata/mark-as-dev/src/it/example/pom.xml",
            &["com.example:example 1.0.0"],
            "not a single release",
        ),
    ];
    for (rel, want, why) in cases {
        let (got, diags) = ours("maven-pom", &format!("{A}{rel}"));
        assert_eq!(got, want, "{rel}");
        assert!(diags.iter().any(|d| d.contains(why)), "{rel}: {diags:?}");
    }
}

#[test]
fn conan_lock_gives_trivys_packages() {
    check(&rows(
        P,
        &[
            ("conan-lock", "c/conan/testdata/happy_v1_case1.lock", &["pkga 0.0.1", "pkgc 0.1.1", "pkgb system"]),
            ("conan-lock", "c/conan/testdata/happy_v1_case2.lock", &["openssl 3.0.3", "zlib 1.2.12"]),
            ("conan-lock", "c/conan/testdata/happy_v2.lock", &["matrix 1.3", "sound32 1.0"]),
            ("conan-lock", "c/conan/testdata/empty_v1.lock", &[]),
        ],
    ));
    check(&rows(
        A,
        &[
            ("conan-lock", "c/conan/testdata/happy/conan.lock", &["openssl 3.0.5", "zlib 1.2.12"]),
            ("conan-lock", "c/conan/testdata/happy_v2/release.lock", &["openssl 3.2.2", "zlib 1.3.1"]),
            ("conan-lock", "c/conan/testdata/empty/conan.lock", &[]),
        ],
    ));
    let (got, diags) = ours("conan-lock", &format!("{P}c/conan/testdata/sad_v1.lock"));
    assert!(got.is_empty() && diags.iter().any(|d| d.contains("wrong/ref/format")), "{got:?} {diags:?}");
}

#[test]
fn julia_manifest_gives_trivys_packages() {
    check(&rows(
        P,
        &[
            (
                "julia-manifest",
                "julia/manifest/testdata/primary/Manifest_v1.6.toml",
                &["Dates unknown", "JSON 0.21.4", "Mmap unknown", "Parsers 2.4.2", "Printf unknown", "Unicode unknown"],
            ),
            (
                "julia-manifest",
                "julia/manifest/testdata/primary/Manifest_v1.8.toml",
                &[
                    "Dates 1.8.5",
                    "JSON 0.21.4",
                    "Mmap 1.8.5",
                    "Parsers 2.5.10",
                    "PrecompileTools 1.1.1",
                    "Preferences 1.4.0",
                    "Printf 1.8.5",
                    "Random 1.8.5",
                    "SHA 0.7.0",
                    "Serialization 1.8.5",
                    "TOML 1.0.0",
                    "UUIDs 1.8.5",
                    "Unicode 1.8.5",
                ],
            ),
            ("julia-manifest", "julia/manifest/testdata/dep_ext_v1.9/Manifest.toml", &["AbstractFFTs 1.3.1"]),
            (
                "julia-manifest",
                "julia/manifest/testdata/shadowed_dep_v1.9/Manifest.toml",
                &["A 1.9.0", "B 1.9.0", "B 1.9.0"],
            ),
            (
                "julia-manifest",
                "julia/manifest/testdata/julia_v1.0_format/Manifest.toml",
                &["Foo unknown", "Foo unknown", "Bar unknown", "Baz unknown", "Qux unknown"],
            ),
            ("julia-manifest", "julia/manifest/testdata/no_deps_v1.6/Manifest.toml", &[]),
        ],
    ));
    check(&rows(
        A,
        &[
            (
                "julia-manifest",
                "julia/pkg/testdata/happy/Manifest.toml",
                &[
                    "Dates 1.9.0",
                    "DevDep 1.0.0",
                    "JSON 0.21.4",
                    "IndirectDevDep 2.0.0",
                    "Mmap 1.9.0",
                    "Parsers 2.5.10",
                    "PrecompileTools 1.1.1",
                    "Preferences 1.4.0",
                    "Printf 1.9.0",
                    "Random 1.9.0",
                    "SHA 0.7.0",
                    "Serialization 1.9.0",
                    "TOML 1.0.3",
                    "UUIDs 1.9.0",
                    "Unicode 1.9.0",
                ],
            ),
            ("julia-manifest", "julia/pkg/testdata/no_deps_v1.6/Manifest.toml", &[]),
            ("julia-manifest", "julia/pkg/testdata/dep_ext_v1.9/Manifest.toml", &["AbstractFFTs 1.3.1"]),
        ],
    ));
    let rel = format!("{P}julia/manifest/testdata/dep_ext_v1.9/Manifest.toml");
    let (pkgs, _) = format("julia-manifest").parse("Manifest.toml", &read(&rel));
    assert_eq!(
        pkgs.first().map(|p| p.purl().into_owned()).as_deref(),
        Some("pkg:julia/AbstractFFTs@1.3.1?uuid=621f4979-c628-5d54-868e-fcf4e3e8185c")
    );
}

#[test]
fn sbt_lock_gives_trivys_packages() {
    const V1: &[&str] = &[
        "org.apache.commons:commons-lang3 3.9",
        "org.scala-lang:scala-library 2.12.10",
        "org.typelevel:cats-core_2.12 2.9.0",
    ];
    check(&rows(
        P,
        &[
            ("sbt-lock", "sbt/lockfile/testdata/v1_happy.sbt.lock", V1),
            ("sbt-lock", "sbt/lockfile/testdata/empty.sbt.lock", &[]),
        ],
    ));
    check(&rows(
        A,
        &[
            ("sbt-lock", "java/sbt/testdata/v1/build.sbt.lock", V1),
            ("sbt-lock", "java/sbt/testdata/empty/build.sbt.lock", &[]),
        ],
    ));
}

/// The new formats' paths: each claims its file name, and nothing else's.
#[test]
fn new_formats_claim_their_paths() {
    let cases = [
        ("dart-pubspec-lock", "app/pubspec.lock"),
        ("elixir-mix-lock", "srv/app/mix.lock"),
        ("swift-package-resolved", "src/Package.resolved"),
        ("cocoapods-podfile-lock", "ios/Podfile.lock"),
        ("gradle-lockfile", "app/gradle.lockfile"),
        ("gradle-lockfile", "app/buildscript-gradle.lockfile"),
        ("maven-pom", "app/pom.xml"),
        ("conan-lock", "build/conan.lock"),
        ("julia-manifest", "proj/Manifest.toml"),
        ("julia-manifest", "proj/Manifest-v1.11.toml"),
        ("sbt-lock", "proj/build.sbt.lock"),
    ];
    for (id, path) in cases {
        let owners: Vec<&str> =
            microscanner_catalog::lang::FORMATS.iter().filter(|f| f.matches_path(path)).map(Format::id).collect();
        assert_eq!(owners, [id], "{path}");
    }
    assert!(!format("maven-pom").matches_path("root/.m2/repository/g/a/1/pom.xml"));
}

// ---- hostile input -------------------------------------------------------------------------

/// One happy fixture per new format: the input the hostile cases cut and grow.
const HAPPY: [(&str, &str); 9] = [
    ("dart-pubspec-lock", "dependency/parser/dart/pub/testdata/happy.lock"),
    ("elixir-mix-lock", "dependency/parser/hex/mix/testdata/happy.mix.lock"),
    ("swift-package-resolved", "dependency/parser/swift/swift/testdata/happy-v2-Package.resolved"),
    ("cocoapods-podfile-lock", "dependency/parser/swift/cocoapods/testdata/happy.lock"),
    ("gradle-lockfile", "dependency/parser/gradle/lockfile/testdata/happy.lockfile"),
    ("maven-pom", "dependency/parser/java/pom/testdata/happy/pom.xml"),
    ("conan-lock", "dependency/parser/c/conan/testdata/happy_v1_case1.lock"),
    ("julia-manifest", "dependency/parser/julia/manifest/testdata/primary/Manifest_v1.8.toml"),
    ("sbt-lock", "dependency/parser/sbt/lockfile/testdata/v1_happy.sbt.lock"),
];

#[test]
fn cut_files_give_a_diagnostic_and_never_panic() {
    for (id, rel) in HAPPY {
        let bytes = read(rel);
        // every cut point of a small file: none panics; cut mid-way, each says something
        for end in 0..bytes.len() {
            let _ = format(id).parse(rel, &bytes[..end]);
        }
        let cut = &bytes[..bytes.len() * 2 / 3];
        let (_, diags) = format(id).parse(rel, cut);
        assert!(!diags.is_empty(), "{id}: a file cut at 2/3 gives no diagnostic");
    }
}

#[test]
fn garbage_gives_a_diagnostic_and_never_panics() {
    let garbage: Vec<u8> = (0u32..4096).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let inputs: [&[u8]; 5] = [&garbage, b"\xff\xfe\x00<<<", b"{\"pins\": 5}", b"[[[[[[[[[[", b"PODS: 7\n"];
    for (id, rel) in HAPPY {
        for input in inputs {
            let (pkgs, diags) = format(id).parse(rel, input);
            assert!(pkgs.is_empty(), "{id}: packages from garbage: {pkgs:?}");
            assert!(!diags.is_empty(), "{id}: {input:?} is silent");
        }
    }
}

#[test]
fn deep_nesting_is_a_diagnostic() {
    let deep = |open: &str, n: usize| open.repeat(n).into_bytes();
    let cases: [(&str, Vec<u8>); 5] = [
        ("swift-package-resolved", deep("[", 100_000)),
        ("conan-lock", deep("{\"a\":", 100_000)),
        ("sbt-lock", deep("[", 100_000)),
        ("maven-pom", deep("<project>", 100_000)),
        ("dart-pubspec-lock", deep("[", 100_000)),
    ];
    for (id, bytes) in cases {
        let t = Instant::now();
        let (pkgs, diags) = format(id).parse("x", &bytes);
        assert!(pkgs.is_empty() && !diags.is_empty(), "{id}");
        assert!(t.elapsed() < Duration::from_secs(10), "{id}: {:?}", t.elapsed());
    }
}

/// Very many entries: linear time (a generous bound for a debug build on a shared machine), and
/// every entry read.
#[test]
fn huge_entry_counts_are_read_in_linear_time() {
    const N: usize = 100_000;
    let mut cases: Vec<(&str, String)> = Vec::new();
    let mut s = String::from("packages:\n");
    for i in 0..N {
        s.push_str(&format!("  p{i}:\n    source: hosted\n    version: \"1.0.{i}\"\n"));
    }
    cases.push(("dart-pubspec-lock", s));
    let mut s = String::from("%{\n");
    for i in 0..N {
        s.push_str(&format!("  \"p{i}\": {{:hex, :p{i}, \"1.0.{i}\", \"x\", [:mix], [], \"hexpm\", \"y\"}},\n"));
    }
    s.push_str("}\n");
    cases.push(("elixir-mix-lock", s));
    let pins: Vec<String> = (0..N)
        .map(|i| format!("{{\"location\":\"https://github.com/o/p{i}.git\",\"state\":{{\"version\":\"1.0.{i}\"}}}}"))
        .collect();
    cases.push(("swift-package-resolved", format!("{{\"pins\":[{}],\"version\":2}}", pins.join(","))));
    let mut s = String::from("PODS:\n");
    for i in 0..N {
        s.push_str(&format!("  - P{i} (1.0.{i})\n"));
    }
    cases.push(("cocoapods-podfile-lock", s));
    let lines: Vec<String> = (0..N).map(|i| format!("g:a{i}:1.0.{i}=runtimeClasspath")).collect();
    cases.push(("gradle-lockfile", lines.join("\n")));
    let deps: Vec<String> = (0..N)
        .map(|i| {
            format!(
                "<dependency><groupId>g</groupId><artifactId>a{i}</artifactId><version>1.0.{i}</version></dependency>"
            )
        })
        .collect();
    cases.push(("maven-pom", format!("<project><dependencies>{}</dependencies></project>", deps.join(""))));
    let refs: Vec<String> = (0..N).map(|i| format!("\"p{i}/1.0.{i}#abc%1.0\"")).collect();
    cases.push(("conan-lock", format!("{{\"version\":\"0.5\",\"requires\":[{}]}}", refs.join(","))));
    let mut s = String::from("julia_version = \"1.9.0\"\nmanifest_format = \"2.0\"\n");
    for i in 0..N {
        s.push_str(&format!("[[deps.P{i}]]\nuuid = \"u{i}\"\nversion = \"1.0.{i}\"\n"));
    }
    cases.push(("julia-manifest", s));
    let deps: Vec<String> = (0..N)
        .map(|i| {
            format!("{{\"org\":\"g\",\"name\":\"a{i}\",\"version\":\"1.0.{i}\",\"configurations\":[\"compile\"]}}")
        })
        .collect();
    cases.push(("sbt-lock", format!("{{\"lockVersion\":1,\"dependencies\":[{}]}}", deps.join(","))));
    for (id, text) in cases {
        let t = Instant::now();
        let (pkgs, diags) = format(id).parse("x", text.as_bytes());
        let took = t.elapsed();
        // serde-saphyr's node budget (250,000 YAML nodes) bounds the YAML formats: past it the
        // file is a diagnostic, not a long parse
        let yaml_budget = diags.iter().any(|d| d.message.contains("budget"));
        let yaml = matches!(id, "dart-pubspec-lock" | "cocoapods-podfile-lock");
        assert!(pkgs.len() == N || (yaml && yaml_budget && pkgs.is_empty()), "{id}: {} {diags:?}", pkgs.len());
        assert!(took < Duration::from_secs(30), "{id}: {N} entries took {took:?}");
    }
}

/// A `${property}` that refers to itself, or expands exponentially, is cut, not followed.
#[test]
fn pom_property_loops_and_bombs_are_cut() {
    let mut props = String::from("<p0>x</p0>");
    for i in 1..64 {
        props.push_str(&format!("<p{i}>${{p{}}}${{p{}}}</p{i}>", i - 1, i - 1));
    }
    let pom = format!(
        "<project><groupId>g</groupId><artifactId>a</artifactId><version>${{loop}}</version>\
         <properties><loop>${{loop}}</loop>{props}</properties><dependencies><dependency>\
         <groupId>g</groupId><artifactId>b</artifactId><version>${{p63}}</version></dependency>\
         </dependencies></project>"
    );
    let t = Instant::now();
    let (pkgs, diags) = format("maven-pom").parse("pom.xml", pom.as_bytes());
    assert!(t.elapsed() < Duration::from_secs(5));
    assert!(pkgs.is_empty(), "{pkgs:?}");
    assert_eq!(diags.len(), 2, "{diags:?}");
}

/// Bitnami's component SPDX documents, as Trivy's SBOM analyzer tests keep them
/// (`tests/data/bitnami`, MANIFEST): the `pkg:bitnami` packages with their licences, and none of
/// the document's jars (the Java analyzer reads those from the files).
#[test]
fn bitnami_spdx_documents_give_their_bitnami_components() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bitnami");
    let listed = |file: &str| -> Vec<String> {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let (pkgs, diags) = microscanner_catalog::lang::bitnami::parse(&bytes);
        assert!(diags.is_empty(), "{file}: {diags:?}");
        assert!(pkgs.iter().all(|p| p.kind == microscanner_model::PackageKind::Bitnami));
        pkgs.iter().map(|p| format!("{} {} {}", p.name, p.version, p.licenses().join(" "))).collect()
    };
    assert_eq!(
        listed("postgresql.spdx.json"),
        ["gdal 3.7.1 MIT", "geos 3.8.3 LGPL-2.1-only", "postgresql 15.3.0 PostgreSQL", "proj 6.3.2 MIT"]
    );
    assert_eq!(listed("elasticsearch.spdx.json"), ["elasticsearch 8.9.1 Elastic-2.0"]);
    let f = format("bitnami-spdx");
    assert!(f.wants("opt/bitnami/postgresql/.spdx-postgresql.spdx", 4096));
    assert!(!f.wants("usr/share/doc/.spdx-postgresql.spdx", 4096));
    // cut, wrong types and a purl without a version: diagnostics, never a panic
    let (pkgs, diags) = microscanner_catalog::lang::bitnami::parse(br#"{"packages":[{"name":"x""#);
    assert!(pkgs.is_empty() && diags.len() == 1);
    let (pkgs, diags) = microscanner_catalog::lang::bitnami::parse(br#"{"packages":{"a":1}}"#);
    assert!(pkgs.is_empty() && diags.len() == 1);
    let odd =
        br#"{"packages":[{"name":"x","externalRefs":[{"referenceType":"purl","referenceLocator":"pkg:bitnami/x"}]}]}"#;
    let (pkgs, diags) = microscanner_catalog::lang::bitnami::parse(odd);
    assert!(pkgs.is_empty());
    assert!(diags[0].message.contains("without a name and version"), "{diags:?}");
}
