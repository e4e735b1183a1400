#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a panic is the failure report
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "tests read their fixtures from disk; the crate's own code does no file I/O"
)]

//! The language parsers against the lockfile, installed-metadata, binary and archive fixtures of
//! `pkgdb-syft` and `pkgdb-osv-scalibr` (read in place under `fixtures_dir()`), one row per Go
//! test case of the peer: (our format, fixture path, the exact `name version` set we must give).
//!
//! `CASES` are the rows where our set equals the one the peer's `EXPECTED-from-*-tests.md` states
//! (checked against the fixture itself where that file's grouping is ambiguous or lists only part
//! of the set, e.g. the poetry/uv "extras" fixtures: every `[[package]]` of the file). Notes on them:
//! - Go module versions: scalibr prints them without the leading `v`; we keep Go's canonical
//!   `vX.Y.Z` (the same version), and `stdlib` likewise.
//! - scalibr's go binaries (`binary_with_module_replacement-*`): its EXPECTED lists no pairs; the
//!   set is the embedded build info (`dep golang.org/x/xerrors ... => github.com/golang/xerrors`,
//!   main module `(devel)` not a package, Go 1.22.0).
//! - scalibr's `com.google.src.yolo-0.1.2.jar` (a MANIFEST.MF with only Bundle-* fields): its
//!   EXPECTED lists no pair; we report the bundle's symbolic name and version.
//! - Fixtures already checked one by one in `lang_fixtures.rs` (the wheelegg, cargoauditable and
//!   java archive fixtures of scalibr, syft's composer installed.json) are not repeated here.
//!
//! `EXCEPTIONS` are the rows where we deliberately differ from the peer: each says why, and
//! asserts what we give instead.
//!
//! Out of scope (formats we do not parse): syft's conda, bun.lock, deno.lock, pdm.lock, pylock,
//! setup.py, gradle lockfiles, pom.xml, pom.properties read alone, MANIFEST.MF read alone, jvm
//! installs, GraalVM native-image SBOMs, .csproj/libman.json, PE (.dll/.exe) version resources,
//! PECL/PEAR `.reg`, Go source/license/vendor trees, pyenv configs, `installed-files.txt`, and the
//! image-based cases (which need Docker-built images); scalibr's conda, bun.lock, pylock,
//! setup.py/pdm, pom.xml, gradle, packages.config, `MANIFEST.MF` read alone, `.whl` and
//! vscode-extension/unity `package.json`, and the swift, dart, haskell, R, erlang, elixir, lua,
//! ocaml, cpp and opkg extractors. The `glob-paths` fixtures test the peers' file globbing, not
//! parsing, and are left out.

use std::collections::BTreeSet;

use microscanner_catalog::lang::Format;

type Row = (&'static str, &'static str, &'static [&'static str]);

fn format_by_id(id: &str) -> &'static Format {
    microscanner_catalog::lang::format(id).unwrap_or_else(|| panic!("no format {id}"))
}

/// Our `name version` set for a fixture, and the number of diagnostics.
fn ours(format: &str, rel: &str) -> (BTreeSet<String>, usize) {
    let path = microscanner_testkit::fixtures_dir().join(rel);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (pkgs, diags) = format_by_id(format).parse(rel, &bytes);
    (pkgs.iter().map(|p| format!("{} {}", p.name, p.version)).collect(), diags.len())
}

fn check(rows: &[Row]) {
    let mut failures = Vec::new();
    for (format, rel, expected) in rows {
        let want: BTreeSet<String> = expected.iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(want.len(), expected.len(), "{rel}: duplicate row entries");
        let (got, _) = ours(format, rel);
        if got != want {
            let missing: Vec<_> = want.difference(&got).collect();
            let extra: Vec<_> = got.difference(&want).collect();
            failures.push(format!("{rel}\n  missing: {missing:?}\n  extra:   {extra:?}"));
        }
    }
    assert!(failures.is_empty(), "{} of {} fixtures differ:\n{}", failures.len(), rows.len(), failures.join("\n"));
}

#[test]
fn peer_fixtures_give_the_expected_packages() {
    check(CASES);
}

#[test]
fn documented_exceptions_give_what_we_report_instead() {
    check(EXCEPTIONS);
}

/// Exceptions where we report nothing must say why: a diagnostic, or a file whose only entries we
/// leave out on purpose (dev-only, git, local, the project itself, a local replace).
#[test]
fn empty_exceptions_are_deliberate() {
    let (_, diags) =
        ours("python-metadata", "pkgdb-syft/syft/pkg/cataloger/python/testdata/empty-1.0.0-py3.8.egg-info");
    assert_eq!(diags, 1);
    let (_, diags) =
        ours("pnpm-lock", "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/exotic.yaml");
    assert_eq!(diags, 1);
    let (got, diags) =
        ours("pnpm-lock", "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/files.yaml");
    assert_eq!(diags, 1, "the nameless file: entry is reported");
    assert!(got.iter().all(|p| !p.starts_with("file:")), "{got:?}");
    let (_, diags) = ours(
        "yarn-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/yarnlock/testdata/no-version.v1.lock",
    );
    assert_eq!(diags, 1);
}

/// syft's `yarn/yarn.lock` and `yarn-v1-deps/yarn.lock`: the same yarn v1 packages.
const SYFT_YARN_V1: &[&str] = &[
    "@babel/code-frame 7.10.4",
    "@types/minimatch 3.0.3",
    "@types/qs 6.9.4",
    "ajv 6.12.3",
    "asn1.js 4.10.1",
    "atob 2.1.2",
    "aws-sdk 2.706.0",
    "c0n-fab_u.laTION 7.7.7",
    "jhipster-core 7.3.4",
];

/// scalibr's `nested-dependencies.v1.json` and `.v2.json`: one project locked by two npm versions.
const SCALIBR_NESTED_DEPENDENCIES: &[&str] =
    &["postcss 6.0.23", "postcss 7.0.16", "postcss-calc 7.0.1", "supports-color 5.5.0", "supports-color 6.1.0"];

const CASES: &[Row] = &[
    ("pipfile-lock", "pkgdb-syft/syft/pkg/cataloger/python/testdata/pypi-remote/Pipfile.lock", &["certifi 2025.10.5"]),
    (
        "poetry-lock",
        "pkgdb-syft/syft/pkg/cataloger/python/testdata/poetry/dev-deps/poetry.lock",
        &["added-value 0.14.2", "alabaster 0.7.12", "appnope 0.1.0", "asciitree 0.3.3"],
    ),
    (
        "poetry-lock",
        "pkgdb-syft/syft/pkg/cataloger/python/testdata/poetry/simple-deps/poetry.lock",
        &["certifi 2024.2.2", "charset-normalizer 3.3.2", "idna 3.7", "requests 2.32.2", "urllib3 2.2.1"],
    ),
    (
        "poetry-lock",
        "pkgdb-syft/syft/pkg/cataloger/python/testdata/poetry/nested-extras/poetry.lock",
        &[
            "annotated-types 0.7.0",
            "anyio 4.3.0",
            "certifi 2024.2.2",
            "click 8.1.7",
            "colorama 0.4.6",
            "dnspython 2.6.1",
            "email-validator 2.1.1",
            "fastapi 0.111.0",
            "fastapi-cli 0.0.4",
            "h11 0.14.0",
            "httpcore 1.0.5",
            "httptools 0.6.1",
            "httpx 0.27.0",
            "idna 3.7",
            "itsdangerous 2.2.0",
            "jinja2 3.1.4",
            "markdown-it-py 3.0.0",
            "markupsafe 2.1.5",
            "mdurl 0.1.2",
            "orjson 3.10.3",
            "pydantic 2.7.1",
            "pydantic-core 2.18.2",
            "pydantic-extra-types 2.7.0",
            "pydantic-settings 2.2.1",
            "pygments 2.18.0",
            "python-dotenv 1.0.1",
            "python-multipart 0.0.9",
            "pyyaml 6.0.1",
            "rich 13.7.1",
            "shellingham 1.5.4",
            "sniffio 1.3.1",
            "starlette 0.37.2",
            "typer 0.12.3",
            "typing-extensions 4.12.0",
            "ujson 5.10.0",
            "uvicorn 0.29.0",
            "uvloop 0.19.0",
            "watchfiles 0.21.0",
            "websockets 12.0",
        ],
    ),
    (
        "poetry-lock",
        "pkgdb-syft/syft/pkg/cataloger/python/testdata/poetry/multiple-extras/poetry.lock",
        &[
            "anyio 4.3.0",
            "brotli 1.1.0",
            "brotlicffi 1.1.0.0",
            "certifi 2024.2.2",
            "cffi 1.16.0",
            "h11 0.14.0",
            "h2 4.1.0",
            "hpack 4.0.0",
            "httpcore 1.0.5",
            "httpx 0.27.0",
            "hyperframe 6.0.1",
            "idna 3.7",
            "pycparser 2.22",
            "sniffio 1.3.1",
            "socksio 1.0.0",
        ],
    ),
    (
        "poetry-lock",
        "pkgdb-syft/syft/pkg/cataloger/python/testdata/poetry/case-sensitivity/poetry.lock",
        &["dj-rest-auth 7.0.1", "django 5.2.6", "djangorestframework 3.16.1"],
    ),
    (
        "poetry-lock",
        "pkgdb-syft/syft/pkg/cataloger/python/testdata/poetry/conflicting-with-extras/poetry.lock",
        &[
            "anyio 4.3.0",
            "brotli 1.1.0",
            "brotlicffi 1.1.0.0",
            "certifi 2024.2.2",
            "cffi 1.16.0",
            "click 7.1.2",
            "colorama 0.4.6",
            "h11 0.14.0",
            "h2 4.1.0",
            "hpack 4.0.0",
            "httpcore 1.0.5",
            "httpx 0.27.0",
            "hyperframe 6.0.1",
            "idna 3.7",
            "pprintpp 0.4.0",
            "pycparser 2.22",
            "pygments 1.6",
            "rich 0.3.3",
            "sniffio 1.3.1",
            "socksio 1.0.0",
            "typing-extensions 3.10.0.2",
        ],
    ),
    ("poetry-lock", "pkgdb-syft/syft/pkg/cataloger/python/testdata/pypi-remote/poetry.lock", &["certifi 2025.10.5"]),
    (
        "uv-lock",
        "pkgdb-syft/syft/pkg/cataloger/python/testdata/uv/simple-deps/uv.lock",
        &[
            "certifi 2025.1.31",
            "charset-normalizer 3.4.1",
            "idna 3.10",
            "requests 2.32.3",
            "testpkg 0.1.0",
            "urllib3 2.3.0",
        ],
    ),
    (
        "uv-lock",
        "pkgdb-syft/syft/pkg/cataloger/python/testdata/uv/nested-extras/uv.lock",
        &[
            "annotated-types 0.7.0",
            "anyio 4.9.0",
            "certifi 2025.1.31",
            "click 8.1.8",
            "colorama 0.4.6",
            "dnspython 2.7.0",
            "email-validator 2.2.0",
            "fastapi 0.111.1",
            "fastapi-cli 0.0.7",
            "h11 0.14.0",
            "httpcore 1.0.7",
            "httptools 0.6.4",
            "httpx 0.28.1",
            "idna 3.10",
            "itsdangerous 2.2.0",
            "jinja2 3.1.6",
            "markdown-it-py 3.0.0",
            "markupsafe 3.0.2",
            "mdurl 0.1.2",
            "orjson 3.10.16",
            "pydantic 2.11.0",
            "pydantic-core 2.33.0",
            "pydantic-extra-types 2.10.3",
            "pydantic-settings 2.8.1",
            "pygments 2.19.1",
            "python-dotenv 1.1.0",
            "python-multipart 0.0.20",
            "pyyaml 6.0.2",
            "rich 13.9.4",
            "rich-toolkit 0.14.0",
            "shellingham 1.5.4",
            "sniffio 1.3.1",
            "starlette 0.37.2",
            "testpkg 0.1.0",
            "typer 0.15.2",
            "typing-extensions 4.13.0",
            "typing-inspection 0.4.0",
            "ujson 5.10.0",
            "uvicorn 0.34.0",
            "uvloop 0.21.0",
            "watchfiles 1.0.4",
            "websockets 15.0.1",
        ],
    ),
    (
        "uv-lock",
        "pkgdb-syft/syft/pkg/cataloger/python/testdata/uv/multiple-extras/uv.lock",
        &[
            "anyio 4.9.0",
            "brotli 1.1.0",
            "brotlicffi 1.1.0.0",
            "certifi 2025.1.31",
            "cffi 1.17.1",
            "h11 0.14.0",
            "h2 4.2.0",
            "hpack 4.1.0",
            "httpcore 1.0.7",
            "httpx 0.28.1",
            "hyperframe 6.1.0",
            "idna 3.10",
            "pycparser 2.22",
            "sniffio 1.3.1",
            "socksio 1.0.0",
            "testpkg 0.1.0",
            "typing-extensions 4.13.0",
        ],
    ),
    (
        "uv-lock",
        "pkgdb-syft/syft/pkg/cataloger/python/testdata/uv/conflicting-with-extras/uv.lock",
        &[
            "anyio 4.6.2.post1",
            "brotli 1.1.0",
            "brotlicffi 1.1.0.0",
            "certifi 2025.1.31",
            "cffi 1.17.1",
            "click 7.1.2",
            "colorama 0.4.6",
            "h11 0.14.0",
            "h2 4.2.0",
            "hpack 4.1.0",
            "httpcore 1.0.7",
            "httpx 0.28.1",
            "hyperframe 6.1.0",
            "idna 3.10",
            "pprintpp 0.4.0",
            "pycparser 2.22",
            "pygments 1.6",
            "rich 0.3.3",
            "sniffio 1.3.1",
            "socksio 1.0.0",
            "testpkg 0.1.0",
            "typing-extensions 3.10.0.2",
        ],
    ),
    ("uv-lock", "pkgdb-syft/syft/pkg/cataloger/python/testdata/pypi-remote/uv.lock", &["certifi 2025.10.5"]),
    (
        "pip-requirements",
        "pkgdb-syft/syft/pkg/cataloger/python/testdata/pypi-remote/requirements.txt",
        &["certifi 2025.10.5"],
    ),
    (
        "python-metadata",
        "pkgdb-syft/syft/pkg/cataloger/python/testdata/site-packages/nested/dist-name/dist-info/METADATA",
        &["Pygments 2.6.1"],
    ),
    (
        "python-metadata",
        "pkgdb-syft/syft/pkg/cataloger/python/testdata/site-packages/nested/egg-name/egg-info/PKG-INFO",
        &["requests 2.22.0"],
    ),
    (
        "python-metadata",
        "pkgdb-syft/syft/pkg/cataloger/python/testdata/site-packages/uppercase/dist-name/DIST-INFO/METADATA",
        &["Pygments 2.6.1"],
    ),
    (
        "python-metadata",
        "pkgdb-syft/syft/pkg/cataloger/python/testdata/site-packages/uppercase/egg-name/EGG-INFO/PKG-INFO",
        &["requests 2.22.0"],
    ),
    (
        "python-metadata",
        "pkgdb-syft/syft/pkg/cataloger/python/testdata/site-packages/partial.dist-info/METADATA",
        &["Pygments 2.6.1"],
    ),
    (
        "python-metadata",
        "pkgdb-syft/syft/pkg/cataloger/python/testdata/site-packages/malformed-record/dist-info/METADATA",
        &["Pygments 2.6.1"],
    ),
    (
        "python-metadata",
        "pkgdb-syft/syft/pkg/cataloger/python/testdata/site-packages/test/test.egg-info",
        &["requests 2.22.0"],
    ),
    (
        "node-package-json",
        "pkgdb-syft/syft/pkg/cataloger/javascript/testdata/pkg-lock/node_modules/cowsay/package.json",
        &["cowsay 1.4.0"],
    ),
    ("node-package-json", "pkgdb-syft/syft/pkg/cataloger/javascript/testdata/pkg-json/package.json", &["npm 6.14.6"]),
    (
        "pnpm-lock",
        "pkgdb-syft/syft/pkg/cataloger/javascript/testdata/pnpm-v6/pnpm-lock.yaml",
        &[
            "@babel/core 7.21.4",
            "@testing-library/jest-dom 5.16.5",
            "@testing-library/react 13.4.0",
            "@testing-library/user-event 13.5.0",
            "@types/eslint 8.37.0",
            "react 18.2.0",
            "react-dom 18.2.0",
            "read-cache 1.0.0",
            "schema-utils 3.1.2",
            "web-vitals 2.1.4",
        ],
    ),
    (
        "pnpm-lock",
        "pkgdb-syft/syft/pkg/cataloger/javascript/testdata/pnpm-v9/pnpm-lock.yaml",
        &["@babel/core 7.24.7", "@babel/helper-plugin-utils 7.24.7", "is-positive 3.1.0", "rollup 4.18.0"],
    ),
    (
        "pnpm-lock",
        "pkgdb-syft/syft/pkg/cataloger/javascript/testdata/pnpm-v9-snapshots/pnpm-lock.yaml",
        &[
            "cross-spawn 7.0.6",
            "isexe 2.0.0",
            "path-key 3.1.1",
            "shebang-command 2.0.0",
            "shebang-regex 3.0.0",
            "which 2.0.2",
        ],
    ),
    (
        "pnpm-lock",
        "pkgdb-syft/syft/pkg/cataloger/javascript/testdata/pnpm-v5-peer-suffix/pnpm-lock.yaml",
        &["acorn 8.8.0", "acorn-jsx 5.3.2", "webpack-cli 4.10.0"],
    ),
    (
        "pnpm-lock",
        "pkgdb-syft/syft/pkg/cataloger/javascript/testdata/pnpm-multi-doc/pnpm-lock.yaml",
        &["minimist 1.2.0"],
    ),
    ("yarn-lock", "pkgdb-syft/syft/pkg/cataloger/javascript/testdata/yarn/yarn.lock", SYFT_YARN_V1),
    (
        "yarn-lock",
        "pkgdb-syft/syft/pkg/cataloger/javascript/testdata/yarn-berry/yarn.lock",
        &[
            "@babel/code-frame 7.10.4",
            "@types/minimatch 3.0.3",
            "@types/qs 6.9.4",
            "ajv 6.12.3",
            "asn1.js 4.10.1",
            "atob 2.1.2",
            "aws-sdk 2.706.0",
            "jhipster-core 7.3.4",
        ],
    ),
    (
        "yarn-lock",
        "pkgdb-syft/syft/pkg/cataloger/javascript/testdata/yarn-dups/yarn.lock",
        &["async 0.9.2", "async 3.2.3", "merge-objects 1.0.5", "resize-observer-polyfill 1.5.2"],
    ),
    (
        "yarn-lock",
        "pkgdb-syft/syft/pkg/cataloger/javascript/testdata/yarn-berry-dups/yarn.lock",
        &["async 0.9.2", "async 3.2.6"],
    ),
    ("yarn-lock", "pkgdb-syft/syft/pkg/cataloger/javascript/testdata/yarn-v1-deps/yarn.lock", SYFT_YARN_V1),
    (
        "yarn-lock",
        "pkgdb-syft/syft/pkg/cataloger/javascript/testdata/yarn-dev-deps/yarn.lock",
        &["dev-only-transitive 1.0.0", "dev-pkg 1.0.0", "prod-pkg 1.0.0", "shared-pkg 1.0.0"],
    ),
    (
        "yarn-lock",
        "pkgdb-syft/syft/pkg/cataloger/javascript/testdata/yarn-berry-dev-deps/yarn.lock",
        &["dev-only-transitive 1.0.0", "dev-pkg 1.0.0", "prod-pkg 1.0.0", "shared-pkg 1.0.0"],
    ),
    (
        "gemfile-lock",
        "pkgdb-syft/syft/pkg/cataloger/ruby/testdata/Gemfile.lock",
        &[
            "actionmailer 4.1.1",
            "actionpack 4.1.1",
            "actionview 4.1.1",
            "activemodel 4.1.1",
            "activerecord 4.1.1",
            "activesupport 4.1.1",
            "arel 5.0.1.20140414130214",
            "bootstrap-sass 3.1.1.1",
            "builder 3.2.2",
            "coffee-rails 4.0.1",
            "coffee-script 2.2.0",
            "coffee-script-source 1.7.0",
            "erubis 2.7.0",
            "execjs 2.0.2",
            "google-cloud-errors 1.3.0",
            "hike 1.2.3",
            "i18n 0.6.9",
            "jbuilder 2.0.7",
            "jquery-rails 3.1.0",
            "json 1.8.1",
            "kgio 2.9.2",
            "libv8 3.16.14.3",
            "mail 2.5.4",
            "mime-types 1.25.1",
            "minitest 5.3.4",
            "multi_json 1.10.1",
            "mysql2 0.3.16",
            "polyglot 0.3.4",
            "rack 1.5.2",
            "rack-test 0.6.2",
            "rails 4.1.1",
            "railties 4.1.1",
            "raindrops 0.13.0",
            "rake 10.3.2",
            "rdoc 4.1.1",
            "ref 1.0.5",
            "sass 3.2.19",
            "sass-rails 4.0.3",
            "sdoc 0.4.0",
            "spring 1.1.3",
            "sprockets 2.11.0",
            "sprockets-rails 2.1.3",
            "sqlite3 1.3.9",
            "therubyracer 0.12.1",
            "thor 0.19.1",
            "thread_safe 0.3.3",
            "tilt 1.4.1",
            "treetop 1.4.15",
            "turbolinks 3.0.0",
            "tzinfo 1.2.0",
            "uglifier 2.5.0",
            "unicorn 4.8.3",
        ],
    ),
    (
        "composer-lock",
        "pkgdb-syft/syft/pkg/cataloger/php/testdata/composer.lock",
        &[
            "adoy/fastcgi-client 1.0.2",
            "alcaeus/mongo-php-adapter 1.1.11",
            "behat/gherkin v4.6.2",
            "codeception/codeception 4.1.6",
        ],
    ),
    (
        "nuget-lock",
        "pkgdb-syft/syft/pkg/cataloger/dotnet/testdata/packages.lock.json",
        &[
            "AutoMapper 13.0.1",
            "Microsoft.Extensions.DependencyInjection.Abstractions 9.0.0",
            "Microsoft.Extensions.Logging 9.0.0",
            "Microsoft.Extensions.Options 9.0.0",
            "Microsoft.Extensions.Primitives 9.0.0",
            "System.Runtime.CompilerServices.Unsafe 9.0.0",
            "bootstrap 5.0.0",
            "log4net 1.2.15",
            "log4net 2.0.5",
        ],
    ),
    (
        "dotnet-deps",
        "pkgdb-syft/syft/pkg/cataloger/dotnet/testdata/dir-example-1/TestLibrary.deps.json",
        &[
            "AWSSDK.Core 3.7.10.6",
            "Microsoft.Extensions.DependencyInjection 6.0.0",
            "Microsoft.Extensions.DependencyInjection.Abstractions 6.0.0",
            "Microsoft.Extensions.Logging 6.0.0",
            "Microsoft.Extensions.Logging.Abstractions 6.0.0",
            "Microsoft.Extensions.Options 6.0.0",
            "Microsoft.Extensions.Primitives 6.0.0",
            "Newtonsoft.Json 13.0.1",
            "Serilog 2.10.0",
            "Serilog.Sinks.Console 4.0.1",
            "TestCommon 1.0.0",
            "TestLibrary 1.0.0",
        ],
    ),
    (
        "dotnet-deps",
        "pkgdb-syft/syft/pkg/cataloger/dotnet/testdata/deps-with-referenceassembly/MyApp.deps.json",
        &["MyApp 1.0.0", "Newtonsoft.Json 13.0.3"],
    ),
    (
        "cargo-lock",
        "pkgdb-syft/syft/pkg/cataloger/rust/testdata/Cargo.lock",
        &[
            "ansi_term 0.12.1",
            "errno 0.3.9",
            "matches 0.1.8",
            "memchr 2.3.3",
            "natord 1.0.9",
            "nom 4.2.3",
            "schannel 0.1.26",
            "unicode-bidi 0.3.4",
            "version_check 0.1.5",
            "winapi 0.3.9",
            "winapi-i686-pc-windows-gnu 0.4.0",
            "winapi-x86_64-pc-windows-gnu 0.4.0",
            "windows-sys 0.52.0",
            "windows-sys 0.59.0",
        ],
    ),
    (
        "cargo-lock",
        "pkgdb-syft/syft/pkg/cataloger/rust/testdata/Cargo.lock-with-git-deps",
        &[
            "aho-corasick 1.1.3",
            "hello_world 0.1.0",
            "memchr 2.7.4",
            "minimal-lexical 0.2.1",
            "nom 7.1.3",
            "nom-regex 0.2.0",
            "regex 1.11.1",
            "regex-automata 0.4.9",
            "regex-syntax 0.8.5",
        ],
    ),
    (
        "cargo-lock",
        "pkgdb-syft/syft/pkg/cataloger/rust/testdata/path-deps/Cargo.lock",
        &["app 1.0.0", "memchr 2.7.4", "telemetry 0.1.0"],
    ),
    (
        "go-mod",
        "pkgdb-syft/syft/pkg/cataloger/golang/testdata/go-mod-fixtures/one-package/go.mod",
        &["github.com/bmatcuk/doublestar v1.3.1"],
    ),
    (
        "go-mod",
        "pkgdb-syft/syft/pkg/cataloger/golang/testdata/go-mod-fixtures/many-packages/go.mod",
        &[
            "github.com/anchore/archiver/v3 v3.5.2",
            "github.com/anchore/go-testutils v0.0.0-20200624184116-66aa578126db",
            "github.com/anchore/go-version v1.2.2-0.20200701162849-18adb9c92b9b",
            "github.com/anchore/stereoscope v0.0.0-20200706164556-7cf39d7f4639",
            "github.com/bmatcuk/doublestar v8.8.8",
            "github.com/go-test/deep v1.0.6",
        ],
    ),
    (
        "go-mod",
        "pkgdb-syft/syft/pkg/cataloger/golang/testdata/go-source-replacements/go.mod",
        &["golang.org/x/text v0.0.0-20170915032832-14c0d48ead0c", "rsc.io/quote v1.5.2", "rsc.io/sampler v1.3.1"],
    ),
    ("dotnet-deps", "pkgdb-osv-scalibr/extractor/filesystem/language/dotnet/depsjson/testdata/empty", &[]),
    ("dotnet-deps", "pkgdb-osv-scalibr/extractor/filesystem/language/dotnet/depsjson/testdata/invalid", &[]),
    (
        "dotnet-deps",
        "pkgdb-osv-scalibr/extractor/filesystem/language/dotnet/depsjson/testdata/nopackagename",
        &["AWSSDK.Core 3.7.10.6", "TestLibrary 1.0.0"],
    ),
    (
        "dotnet-deps",
        "pkgdb-osv-scalibr/extractor/filesystem/language/dotnet/depsjson/testdata/valid",
        &["AWSSDK.Core 3.7.10.6", "Microsoft.Extensions.DependencyInjection 6.0.0", "TestLibrary 1.0.0"],
    ),
    (
        "nuget-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/dotnet/packageslockjson/testdata/invalid/invalid",
        &[],
    ),
    (
        "nuget-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/dotnet/packageslockjson/testdata/valid/packages.lock.json",
        &[
            "Another.Longer.Name.Dep 4.5.4",
            "Core.Dep 1.24.0",
            "Some.Dep.Five 4.7.2",
            "Some.Dep.Four 4.5.0",
            "Some.Dep.One 1.1.1",
            "Some.Dep.Three 1.0.2",
            "Some.Dep.Two 4.6.0",
            "Some.Longer.Name.Dep 4.7.2",
        ],
    ),
    (
        "lang-binary",
        "pkgdb-osv-scalibr/extractor/filesystem/language/golang/gobinary/testdata/binary_with_module_replacement-darwin-arm64",
        &["github.com/golang/xerrors v0.0.0-20220907171357-04be3eba64a2", "stdlib v1.22.0"],
    ),
    (
        "lang-binary",
        "pkgdb-osv-scalibr/extractor/filesystem/language/golang/gobinary/testdata/binary_with_module_replacement-linux-amd64",
        &["github.com/golang/xerrors v0.0.0-20220907171357-04be3eba64a2", "stdlib v1.22.0"],
    ),
    (
        "lang-binary",
        "pkgdb-osv-scalibr/extractor/filesystem/language/golang/gobinary/testdata/binary_with_module_replacement-windows-amd64",
        &["github.com/golang/xerrors v0.0.0-20220907171357-04be3eba64a2", "stdlib v1.22.0"],
    ),
    ("go-mod", "pkgdb-osv-scalibr/extractor/filesystem/language/golang/gomod/testdata/empty.mod", &[]),
    ("go-mod", "pkgdb-osv-scalibr/extractor/filesystem/language/golang/gomod/testdata/not-go-mod.mod", &[]),
    (
        "go-mod",
        "pkgdb-osv-scalibr/extractor/filesystem/language/golang/gomod/testdata/one-package.mod",
        &["github.com/BurntSushi/toml v1.0.0"],
    ),
    (
        "go-mod",
        "pkgdb-osv-scalibr/extractor/filesystem/language/golang/gomod/testdata/replace-local.mod",
        &["github.com/BurntSushi/toml v1.0.0"],
    ),
    (
        "go-mod",
        "pkgdb-osv-scalibr/extractor/filesystem/language/golang/gomod/testdata/replace-mixed.mod",
        &["golang.org/x/net v0.5.6"],
    ),
    (
        "go-mod",
        "pkgdb-osv-scalibr/extractor/filesystem/language/golang/gomod/testdata/replace-no-version.mod",
        &["example.com/fork/net v1.4.5"],
    ),
    (
        "go-mod",
        "pkgdb-osv-scalibr/extractor/filesystem/language/golang/gomod/testdata/replace-not-required.mod",
        &["github.com/BurntSushi/toml v1.0.0", "golang.org/x/net v0.5.6"],
    ),
    (
        "go-mod",
        "pkgdb-osv-scalibr/extractor/filesystem/language/golang/gomod/testdata/replace-one.mod",
        &["example.com/fork/net v1.4.5"],
    ),
    (
        "go-mod",
        "pkgdb-osv-scalibr/extractor/filesystem/language/golang/gomod/testdata/toolchain-with-suffix.mod",
        &["github.com/BurntSushi/toml v1.0.0", "stdlib v1.23.6"],
    ),
    (
        "go-mod",
        "pkgdb-osv-scalibr/extractor/filesystem/language/golang/gomod/testdata/toolchain.mod",
        &["github.com/BurntSushi/toml v1.0.0", "stdlib v1.23.6"],
    ),
    (
        "java-archive",
        "pkgdb-osv-scalibr/extractor/filesystem/language/java/archive/testdata/com.google.src.yolo-0.1.2.jar",
        &["com.google.src:com.google.src.yolo 0.1.2"],
    ),
    (
        "java-archive",
        "pkgdb-osv-scalibr/extractor/filesystem/language/java/archive/testdata/no_pom_properties.jar",
        &[],
    ),
    (
        "java-archive",
        "pkgdb-osv-scalibr/extractor/filesystem/language/java/archive/testdata/pom_missing_group_id.jar",
        &[],
    ),
    (
        "node-package-json",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagejson/testdata/package.json",
        &["testdata 10.46.8"],
    ),
    (
        "node-package-json",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagejson/testdata/deps/accepts/package.json",
        &["accepts 1.3.8"],
    ),
    (
        "node-package-json",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagejson/testdata/deps/acorn-globals/package.json",
        &[],
    ),
    (
        "node-package-json",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagejson/testdata/deps/acorn/package.json",
        &[],
    ),
    (
        "node-package-json",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagejson/testdata/deps/no-person-name/package.json",
        &["accepts 1.3.8"],
    ),
    (
        "node-package-json",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagejson/testdata/deps/window-size/package.json",
        &[],
    ),
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/alias.v1.json",
        &["@babel/code-frame 7.0.0", "string-width 4.2.0", "string-width 5.1.2"],
    ),
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/alias.v2.json",
        &["@babel/code-frame 7.0.0", "string-width 4.2.0", "string-width 5.1.2"],
    ),
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/bundled-dependencies.v3.json",
        &["ansi-regex 6.2.2", "semver 7.7.2", "strip-ansi 7.1.2"],
    ),
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/commits.v1.json",
        &["ansi-styles 1.0.0", "postcss-calc 7.0.1"],
    ),
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/commits.v2.json",
        &[
            "@segment/analytics.js-integration-facebook-pixel 2.4.1",
            "ansi-styles 1.0.0",
            "babel-preset-php 1.1.1",
            "is-number-1 3.0.0",
            "is-number-2 2.0.0",
            "is-number-3 2.0.0",
            "is-number-3 3.0.0",
            "is-number-4 3.0.0",
            "is-number-5 3.0.0",
            "postcss-calc 7.0.1",
            "slick-carousel 1.7.1",
        ],
    ),
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/empty.v1.json",
        &[],
    ),
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/empty.v2.json",
        &[],
    ),
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/files.v1.json",
        &["lodash 1.3.1"],
    ),
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/files.v2.json",
        &["abbrev 1.0.9", "abbrev 2.3.4"],
    ),
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/nested-dependencies-dup.v1.json",
        &[
            "@vue/component-compiler-utils 2.6.0",
            "autoprefixer 9.5.1",
            "babel-code-frame 6.26.0",
            "css-declaration-sorter 4.0.1",
            "cssnano 4.1.10",
            "cssnano-preset-default 4.0.7",
            "cssnano-util-raw-cache 4.0.1",
            "friendly-errors-webpack-plugin 1.7.0",
            "postcss-calc 7.0.1",
            "postcss-colormin 4.0.3",
            "postcss-convert-values 4.0.1",
            "postcss-discard-comments 4.0.2",
            "postcss-discard-duplicates 4.0.2",
            "postcss-discard-empty 4.0.1",
            "postcss-discard-overridden 4.0.1",
            "postcss-loader 3.0.0",
            "postcss-merge-longhand 4.0.11",
            "postcss-merge-rules 4.0.3",
            "postcss-minify-font-values 4.0.2",
            "postcss-minify-gradients 4.0.2",
            "postcss-minify-params 4.0.2",
            "postcss-minify-selectors 4.0.2",
            "postcss-normalize-charset 4.0.1",
            "postcss-normalize-display-values 4.0.2",
            "postcss-normalize-positions 4.0.2",
            "postcss-normalize-repeat-style 4.0.2",
            "postcss-normalize-string 4.0.2",
            "postcss-normalize-timing-functions 4.0.2",
            "postcss-normalize-unicode 4.0.1",
            "postcss-normalize-url 4.0.1",
            "postcss-normalize-whitespace 4.0.2",
            "postcss-ordered-values 4.1.2",
            "postcss-reduce-initial 4.0.3",
            "postcss-reduce-transforms 4.0.2",
            "postcss-svgo 4.0.2",
            "postcss-unique-selectors 4.0.1",
            "supports-color 2.0.0",
            "supports-color 5.5.0",
            "supports-color 6.1.0",
        ],
    ),
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/nested-dependencies-dup.v2.json",
        &["supports-color 2.0.0", "supports-color 6.1.0"],
    ),
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/nested-dependencies.v1.json",
        SCALIBR_NESTED_DEPENDENCIES,
    ),
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/nested-dependencies.v2.json",
        SCALIBR_NESTED_DEPENDENCIES,
    ),
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/one-package-dev.v1.json",
        &["wrappy 1.0.2"],
    ),
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/one-package-dev.v2.json",
        &["wrappy 1.0.2"],
    ),
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/one-package.v1.json",
        &["wrappy 1.0.2"],
    ),
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/one-package.v2.json",
        &["wrappy 1.0.2"],
    ),
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/optional-package.v1.json",
        &["supports-color 5.5.0", "wrappy 1.0.2"],
    ),
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/optional-package.v2.json",
        &["supports-color 5.5.0", "wrappy 1.0.2"],
    ),
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/same-package-different-groups.v1.json",
        &["ajv 5.5.2", "eslint 1.2.3", "table 1.0.0"],
    ),
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/same-package-different-groups.v2.json",
        &["ajv 5.5.2", "eslint 1.2.3", "table 1.0.0"],
    ),
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/scoped-packages.v1.json",
        &["@babel/code-frame 7.0.0", "wrappy 1.0.2"],
    ),
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/scoped-packages.v2.json",
        &["@babel/code-frame 7.0.0", "wrappy 1.0.2"],
    ),
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/two-packages.v1.json",
        &["supports-color 5.5.0", "wrappy 1.0.2"],
    ),
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/two-packages.v2.json",
        &["supports-color 5.5.0", "wrappy 1.0.2"],
    ),
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/both/npm-shrinkwrap.json",
        &["supports-color 5.5.0", "wrappy 1.0.2"],
    ),
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/npm-shrinkwrap-only/npm-shrinkwrap.json",
        &["supports-color 5.5.0", "wrappy 1.0.2"],
    ),
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/package-lock-only/package-lock.json",
        &["supports-color 5.5.0", "wrappy 1.0.2"],
    ),
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/commits.v9.yaml",
        &["ansi-regex 6.0.1", "is-number 7.0.0"],
    ),
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/commits.yaml",
        &[
            "@my-scope/my-other-package 1.0.0",
            "@my-scope/my-package 1.0.0",
            "faker-parser 0.0.1",
            "mocks 20.0.1",
            "my-bitbucket-package 1.0.0",
        ],
    ),
    ("pnpm-lock", "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/empty.yaml", &[]),
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/invalid-path.yaml",
        &["acorn 8.7.0"],
    ),
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/invalid-paths.yaml",
        &["acorn 8.7.0"],
    ),
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/missing-packages.yaml",
        &[],
    ),
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/mixed-groups.v9.yaml",
        &["ansi-regex 5.0.1", "is-number 7.0.0", "uuid 8.3.2"],
    ),
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/multiple-packages.yaml",
        &[
            "aws-sdk 2.1087.0",
            "base64-js 1.5.1",
            "buffer 4.9.2",
            "events 1.1.1",
            "ieee754 1.1.13",
            "isarray 1.0.0",
            "jmespath 0.16.0",
            "punycode 1.3.2",
            "querystring 0.2.0",
            "sax 1.2.1",
            "url 0.10.3",
            "uuid 3.3.2",
            "xml2js 0.4.19",
            "xmlbuilder 9.0.7",
        ],
    ),
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/multiple-versions.v9.yaml",
        &["uuid 8.0.0", "uuid 8.3.2", "xmlbuilder 11.0.1"],
    ),
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/multiple-versions.yaml",
        &["uuid 3.3.2", "uuid 8.3.2", "xmlbuilder 9.0.7"],
    ),
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/no-packages.v9.yaml",
        &[],
    ),
    ("pnpm-lock", "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/no-packages.yaml", &[]),
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/one-package-dev.v9.yaml",
        &["acorn 8.11.3"],
    ),
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/one-package-dev.yaml",
        &["acorn 8.7.0"],
    ),
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/one-package-v6-lockfile.yaml",
        &["acorn 8.7.0"],
    ),
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/one-package.v9.yaml",
        &["acorn 8.11.3"],
    ),
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/one-package.yaml",
        &["acorn 8.7.0"],
    ),
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/peer-dependencies-advanced-rc-v6.yaml",
        &["js-tokens 4.0.0", "loose-envify 1.4.0", "react 18.2.0", "react-dom 18.0.0-rc.3", "scheduler 0.21.0"],
    ),
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/peer-dependencies-advanced-v6.yaml",
        &[
            "js-tokens 4.0.0",
            "loose-envify 1.4.0",
            "react 18.3.0-canary-ab31a9ed2-20230824",
            "react-dom 18.3.0-canary-ab31a9ed2-20230824",
            "scheduler 0.24.0-canary-ab31a9ed2-20230824",
        ],
    ),
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/peer-dependencies-advanced.v9.yaml",
        &[
            "@eslint-community/eslint-utils 4.4.0",
            "@eslint/eslintrc 2.1.4",
            "@typescript-eslint/eslint-plugin 5.62.0",
            "@typescript-eslint/parser 5.62.0",
            "@typescript-eslint/type-utils 5.62.0",
            "@typescript-eslint/typescript-estree 5.62.0",
            "@typescript-eslint/utils 5.62.0",
            "debug 4.3.4",
            "eslint 8.57.0",
            "has-flag 4.0.0",
            "supports-color 7.2.0",
            "tsutils 3.21.0",
            "typescript 4.9.5",
        ],
    ),
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/peer-dependencies-advanced.yaml",
        &[
            "@typescript-eslint/eslint-plugin 5.13.0",
            "@typescript-eslint/parser 5.13.0",
            "@typescript-eslint/type-utils 5.13.0",
            "@typescript-eslint/types 5.13.0",
            "@typescript-eslint/typescript-estree 5.13.0",
            "@typescript-eslint/utils 5.13.0",
            "eslint 8.10.0",
            "eslint-utils 3.0.0",
            "tsutils 3.21.0",
        ],
    ),
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/peer-dependencies-v6.yaml",
        &["js-tokens 4.0.0", "loose-envify 1.4.0", "react 18.2.0", "react-dom 18.2.0", "scheduler 0.23.0"],
    ),
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/peer-dependencies.v9.yaml",
        &["acorn 8.11.3", "acorn-jsx 5.3.2"],
    ),
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/peer-dependencies.yaml",
        &["acorn 8.7.0", "acorn-jsx 5.3.2"],
    ),
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/scoped-packages-v6-lockfile.yaml",
        &["@typescript-eslint/types 5.57.1"],
    ),
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/scoped-packages.v9.yaml",
        &["@typescript-eslint/types 5.62.0"],
    ),
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/scoped-packages.yaml",
        &["@typescript-eslint/types 5.13.0"],
    ),
    ("yarn-lock", "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/yarnlock/testdata/empty.v1.lock", &[]),
    ("yarn-lock", "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/yarnlock/testdata/empty.v2.lock", &[]),
    (
        "yarn-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/yarnlock/testdata/metadata-only.v2.lock",
        &[],
    ),
    (
        "yarn-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/yarnlock/testdata/multiple-constraints.v1.lock",
        &["@babel/code-frame 7.12.13", "domelementtype 1.3.1"],
    ),
    (
        "yarn-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/yarnlock/testdata/multiple-versions.v1.lock",
        &["define-properties 1.1.3", "define-property 0.2.5", "define-property 1.0.0", "define-property 2.0.2"],
    ),
    (
        "yarn-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/yarnlock/testdata/multiple-versions.v2.lock",
        &["debug 2.6.9", "debug 3.2.7", "debug 4.3.3"],
    ),
    (
        "yarn-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/yarnlock/testdata/one-package.v1.lock",
        &["balanced-match 1.0.2"],
    ),
    (
        "yarn-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/yarnlock/testdata/one-package.v2.lock",
        &["balanced-match 1.0.2"],
    ),
    (
        "yarn-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/yarnlock/testdata/scoped-packages.v1.lock",
        &["@babel/code-frame 7.12.11", "@babel/compat-data 7.14.0"],
    ),
    (
        "yarn-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/yarnlock/testdata/scoped-packages.v2.lock",
        &["@babel/cli 7.16.8", "@babel/code-frame 7.16.7", "@babel/compat-data 7.16.8"],
    ),
    (
        "yarn-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/yarnlock/testdata/two-packages.v1.lock",
        &["concat-map 0.0.1", "concat-stream 1.6.2"],
    ),
    (
        "yarn-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/yarnlock/testdata/two-packages.v2.lock",
        &["compare-func 2.0.0", "concat-map 0.0.1"],
    ),
    (
        "yarn-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/yarnlock/testdata/with-aliases.v1.lock",
        &["@babel/helper-validator-identifier 7.22.20", "ansi-regex 5.0.1", "ansi-regex 6.0.1"],
    ),
    (
        "yarn-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/yarnlock/testdata/with-aliases.v2.lock",
        &["@babel/helper-validator-identifier 7.22.20", "ansi-regex 5.0.1", "ansi-regex 6.0.1"],
    ),
    (
        "yarn-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/yarnlock/testdata/with-prerelease.v1.lock",
        &[
            "css-tree 1.0.0-alpha.37",
            "gensync 1.0.0-beta.2",
            "node-fetch 3.0.0-beta.9",
            "resolve 1.20.0",
            "resolve 2.0.0-next.3",
        ],
    ),
    (
        "yarn-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/yarnlock/testdata/with-prerelease.v2.lock",
        &["@nicolo-ribaudo/chokidar-2 2.1.8-no-fsevents.3", "gensync 1.0.0-beta.2"],
    ),
    (
        "yarn-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/yarnlock/testdata/with-quotes.v1.lock",
        &["concat-map 0.0.1", "concat-stream 1.6.2"],
    ),
    (
        "yarn-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/yarnlock/testdata/with-quotes.v2.lock",
        &["compare-func 2.0.0", "concat-map 0.0.1"],
    ),
    (
        "composer-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/php/composerlock/testdata/drupal-packages.json",
        &["drupal/core 10.4.5", "drupal/field_time 1.0.0-beta5", "drupal/tfa 2.0.0-alpha4", "theseer/tokenizer 1.1.3"],
    ),
    (
        "composer-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/php/composerlock/testdata/duplicate-packages.json",
        &["sentry/sdk 2.0.4", "sentry/sdk 2.0.5", "sentry/sdk 3.0.0-dev"],
    ),
    ("composer-lock", "pkgdb-osv-scalibr/extractor/filesystem/language/php/composerlock/testdata/empty.json", &[]),
    (
        "composer-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/php/composerlock/testdata/one-package-dev.json",
        &["sentry/sdk 2.0.4"],
    ),
    (
        "composer-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/php/composerlock/testdata/one-package.json",
        &["sentry/sdk 2.0.4"],
    ),
    (
        "composer-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/php/composerlock/testdata/two-packages-alt.json",
        &["sentry/sdk 2.0.4", "theseer/tokenizer 1.1.3"],
    ),
    (
        "composer-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/php/composerlock/testdata/two-packages.json",
        &["sentry/sdk 2.0.4", "theseer/tokenizer 1.1.3"],
    ),
    ("pipfile-lock", "pkgdb-osv-scalibr/extractor/filesystem/language/python/pipfilelock/testdata/empty.json", &[]),
    (
        "pipfile-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/pipfilelock/testdata/minified.json",
        &["markupsafe 2.1.1"],
    ),
    (
        "pipfile-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/pipfilelock/testdata/multiple-packages.json",
        &["itsdangerous 2.1.2", "markupsafe 2.1.1", "pluggy 1.0.0", "pluggy 1.0.1"],
    ),
    (
        "pipfile-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/pipfilelock/testdata/no-version.json",
        &[],
    ),
    (
        "pipfile-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/pipfilelock/testdata/one-package-dev.json",
        &["markupsafe 2.1.1"],
    ),
    (
        "pipfile-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/pipfilelock/testdata/one-package.json",
        &["markupsafe 2.1.1"],
    ),
    (
        "pipfile-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/pipfilelock/testdata/two-packages-alt.json",
        &["itsdangerous 2.1.2", "markupsafe 2.1.1"],
    ),
    (
        "pipfile-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/pipfilelock/testdata/two-packages.json",
        &["itsdangerous 2.1.2", "markupsafe 2.1.1"],
    ),
    ("pipfile-lock", "pkgdb-osv-scalibr/extractor/filesystem/language/python/pipfilelock/testdata/empty-file", &[]),
    ("poetry-lock", "pkgdb-osv-scalibr/extractor/filesystem/language/python/poetrylock/testdata/empty-file.lock", &[]),
    ("poetry-lock", "pkgdb-osv-scalibr/extractor/filesystem/language/python/poetrylock/testdata/empty.lock", &[]),
    (
        "poetry-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/poetrylock/testdata/multiple-packages.v2.lock",
        &[
            "async-timeout 5.0.1",
            "factory-boy 3.3.1",
            "faker 33.3.0",
            "proto-plus 1.22.0",
            "proto-plus 1.23.0",
            "protobuf 4.25.5",
            "python-dateutil 2.9.0.post0",
            "redis 5.2.1",
            "six 1.17.0",
            "typing-extensions 4.12.2",
            "urllib3 2.3.0",
        ],
    ),
    (
        "poetry-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/poetrylock/testdata/names-outside-package-block.lock",
        &["first-pkg 1.0.0", "second-pkg 2.0.0"],
    ),
    (
        "poetry-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/poetrylock/testdata/one-package-with-metadata.lock",
        &["emoji 2.0.0"],
    ),
    (
        "poetry-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/poetrylock/testdata/one-package.lock",
        &["numpy 1.23.3"],
    ),
    (
        "poetry-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/poetrylock/testdata/optional-package.lock",
        &["numpy 1.23.3"],
    ),
    (
        "poetry-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/poetrylock/testdata/source-git.lock",
        &["ike 0.2.0"],
    ),
    (
        "poetry-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/poetrylock/testdata/source-legacy.lock",
        &["appdirs 1.4.4"],
    ),
    (
        "poetry-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/poetrylock/testdata/two-packages.lock",
        &["proto-plus 1.22.0", "protobuf 4.21.5"],
    ),
    (
        "pip-requirements",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/requirements/testdata/comments.txt",
        &["GMPY2 1", "PyCrypto 1.2-alpha", "SymPy 1.2", "requests 1.0", "six 1.2"],
    ),
    (
        "pip-requirements",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/requirements/testdata/env_var.txt",
        &["another 1.0", "asdf 1.2"],
    ),
    (
        "pip-requirements",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/requirements/testdata/extras.txt",
        &["celery 4.4.7", "pyjwt 2.1.0"],
    ),
    (
        "pip-requirements",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/requirements/testdata/invalid.txt",
        &[],
    ),
    ("pip-requirements", "pkgdb-osv-scalibr/extractor/filesystem/language/python/requirements/testdata/loop.txt", &[]),
    (
        "pip-requirements",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/requirements/testdata/multiline_and_comments.txt",
        &["pkgA 1.0", "pkgB 2.0"],
    ),
    (
        "pip-requirements",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/requirements/testdata/no_version.txt",
        &[],
    ),
    (
        "pip-requirements",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/requirements/testdata/other-loop.txt",
        &[],
    ),
    (
        "pip-requirements",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/requirements/testdata/other-requirements.txt",
        &["pandas 2.2.3"],
    ),
    (
        "pip-requirements",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/requirements/testdata/per_req_options.txt",
        &[
            "foo1 1.0",
            "foo11 1.0",
            "foo12 1.0",
            "foo13 1.0",
            "foo14 1.0",
            "foo16-Client 1.0",
            "foo17--hash 1.0",
            "foo18-Client 1.0",
            "foo2 1.0",
            "foo3 1.0",
            "foo4 1.0",
            "foo5 1.0",
            "foo6 1.0",
            "foo8 1.0",
            "foo9 1.0",
        ],
    ),
    (
        "pip-requirements",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/requirements/testdata/trailing_backslash.txt",
        &["pkg1 1.0"],
    ),
    ("uv-lock", "pkgdb-osv-scalibr/extractor/filesystem/language/python/uvlock/testdata/empty.lock", &[]),
    (
        "uv-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/uvlock/testdata/names-outside-package-block.lock",
        &["first-pkg 1.0.0", "second-pkg 2.0.0"],
    ),
    ("uv-lock", "pkgdb-osv-scalibr/extractor/filesystem/language/python/uvlock/testdata/no-packages.lock", &[]),
    (
        "python-metadata",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/wheelegg/testdata/repeated_pkginfo",
        &["root 1.0.0"],
    ),
    ("python-metadata", "pkgdb-osv-scalibr/extractor/filesystem/language/python/wheelegg/testdata/empty", &[]),
    (
        "python-egg",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/wheelegg/testdata/monotonic_no_pkginfo-1.6-py3.10.egg",
        &[],
    ),
    (
        "gemfile-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/ruby/gemfilelock/testdata/has-git-gem.lock",
        &[
            "concurrent-ruby 1.1.7",
            "hanami-controller 2.0.0.alpha1",
            "hanami-utils 2.0.0.alpha1",
            "rack 2.2.3",
            "transproc 1.1.1",
        ],
    ),
    (
        "gemfile-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/ruby/gemfilelock/testdata/has-local-gem.lock",
        &[
            "actionpack 7.0.2.2",
            "actionview 7.0.2.2",
            "activesupport 7.0.2.2",
            "backbone-on-rails 1.2.0.0",
            "builder 3.2.4",
            "coffee-script 2.4.1",
            "coffee-script-source 1.12.2",
            "concurrent-ruby 1.1.9",
            "crass 1.0.6",
            "eco 1.0.0",
            "eco-source 1.1.0.rc.1",
            "ejs 1.1.1",
            "erubi 1.10.0",
            "execjs 2.8.1",
            "i18n 1.10.0",
            "jquery-rails 4.4.0",
            "loofah 2.14.0",
            "method_source 1.0.0",
            "minitest 5.15.0",
            "nokogiri 1.13.3",
            "racc 1.6.0",
            "rack 2.2.3",
            "rack-test 1.1.0",
            "rails-dom-testing 2.0.3",
            "rails-html-sanitizer 1.4.2",
            "railties 7.0.2.2",
            "rake 13.0.6",
            "thor 1.2.1",
            "tzinfo 2.0.4",
            "zeitwerk 2.5.4",
        ],
    ),
    ("gemfile-lock", "pkgdb-osv-scalibr/extractor/filesystem/language/ruby/gemfilelock/testdata/invalid.lock", &[]),
    (
        "gemfile-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/ruby/gemfilelock/testdata/multiple-gems.lock",
        &["bundler-audit 0.9.0.1", "coderay 1.1.3", "dotenv 2.7.6", "method_source 1.0.0", "pry 0.14.1", "thor 1.2.1"],
    ),
    (
        "gemfile-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/ruby/gemfilelock/testdata/no-gem-section.lock",
        &[],
    ),
    ("gemfile-lock", "pkgdb-osv-scalibr/extractor/filesystem/language/ruby/gemfilelock/testdata/no-gems.lock", &[]),
    (
        "gemfile-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/ruby/gemfilelock/testdata/no-spec-section.lock",
        &[],
    ),
    (
        "gemfile-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/ruby/gemfilelock/testdata/one-gem.lock",
        &["ast 2.4.2"],
    ),
    (
        "gemfile-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/ruby/gemfilelock/testdata/rails.lock",
        &[
            "actioncable 7.0.2.2",
            "actionmailbox 7.0.2.2",
            "actionmailer 7.0.2.2",
            "actionpack 7.0.2.2",
            "actiontext 7.0.2.2",
            "actionview 7.0.2.2",
            "activejob 7.0.2.2",
            "activemodel 7.0.2.2",
            "activerecord 7.0.2.2",
            "activestorage 7.0.2.2",
            "activesupport 7.0.2.2",
            "builder 3.2.4",
            "concurrent-ruby 1.1.9",
            "crass 1.0.6",
            "digest 3.1.0",
            "erubi 1.10.0",
            "globalid 1.0.0",
            "i18n 1.10.0",
            "io-wait 0.2.1",
            "loofah 2.14.0",
            "mail 2.7.1",
            "marcel 1.0.2",
            "method_source 1.0.0",
            "mini_mime 1.1.2",
            "minitest 5.15.0",
            "net-imap 0.2.3",
            "net-pop 0.1.1",
            "net-protocol 0.1.2",
            "net-smtp 0.3.1",
            "nio4r 2.5.8",
            "nokogiri 1.13.3",
            "racc 1.6.0",
            "rack 2.2.3",
            "rack-test 1.1.0",
            "rails 7.0.2.2",
            "rails-dom-testing 2.0.3",
            "rails-html-sanitizer 1.4.2",
            "railties 7.0.2.2",
            "rake 13.0.6",
            "strscan 3.0.1",
            "thor 1.2.1",
            "timeout 0.2.0",
            "tzinfo 2.0.4",
            "websocket-driver 0.7.5",
            "websocket-extensions 0.1.5",
            "zeitwerk 2.5.4",
        ],
    ),
    (
        "gemfile-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/ruby/gemfilelock/testdata/rubocop.lock",
        &[
            "ast 2.4.2",
            "parallel 1.21.0",
            "parser 3.1.1.0",
            "rainbow 3.1.1",
            "regexp_parser 2.2.1",
            "rexml 3.2.5",
            "rubocop 1.25.1",
            "rubocop-ast 1.16.0",
            "ruby-progressbar 1.11.0",
            "unicode-display_width 2.1.0",
        ],
    ),
    (
        "gemfile-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/ruby/gemfilelock/testdata/some-gems.lock",
        &["coderay 1.1.3", "method_source 1.0.0", "pry 0.14.1"],
    ),
    (
        "gemfile-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/ruby/gemfilelock/testdata/source-section-at-end.lock",
        &["ast 2.4.2"],
    ),
    (
        "cargo-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/rust/cargolock/testdata/duplicate.lock",
        &["syn 1.0.73", "syn 2.0.0"],
    ),
    ("cargo-lock", "pkgdb-osv-scalibr/extractor/filesystem/language/rust/cargolock/testdata/empty.lock", &[]),
    (
        "cargo-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/rust/cargolock/testdata/many-packages.lock",
        &["aho-corasick 0.7.18", "libc 0.2.140", "memchr 2.4.1", "syn 1.0.109", "syn 2.0.15", "zstd 0.11.2"],
    ),
    (
        "cargo-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/rust/cargolock/testdata/one-package.lock",
        &["addr2line 0.15.2"],
    ),
    (
        "cargo-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/rust/cargolock/testdata/package-with-build-string.lock",
        &["wasi 0.10.2+wasi-snapshot-preview1"],
    ),
    (
        "cargo-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/rust/cargolock/testdata/package-with-comments.lock",
        &["addr2line 0.15.2", "syn 1.0.73"],
    ),
    (
        "cargo-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/rust/cargolock/testdata/two-packages-with-local.lock",
        &["addr2line 0.15.2", "local-rust-pkg 0.1.0"],
    ),
    (
        "cargo-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/rust/cargolock/testdata/two-packages.lock",
        &["addr2line 0.15.2", "syn 1.0.73"],
    ),
    (
        "node-package-json",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagejson/testdata/deps/with/deps/acorn/package.json",
        &["acorn 1.2.2"],
    ),
];

const EXCEPTIONS: &[Row] = &[
    // syft leaves out the `develop` section by default; we report it too (astroid, autopep8), as for every lockfile's dev dependencies
    (
        "pipfile-lock",
        "pkgdb-syft/syft/pkg/cataloger/python/testdata/pipfile-lock/Pipfile.lock",
        &[
            "aio-pika 6.8.0",
            "aiodns 2.0.0",
            "aiohttp 3.7.4.post0",
            "aiohttp-jinja2 1.4.2",
            "astroid 2.5.2",
            "autopep8 1.5.6",
        ],
    ),
    // `GithubSampleProject == 3.7.1 @ git+https://...` is not PEP 508 (a version and a URL); the install comes from git, so no PyPI 3.7.1 is pinned: we drop the line, syft keeps it
    (
        "pip-requirements",
        "pkgdb-syft/syft/pkg/cataloger/python/testdata/requires/requirements.txt",
        &[
            "FrIeNdLy-_-bArD 1.0.0",
            "SomeProject 5.4",
            "argh 0.26.2",
            "argh 0.26.3",
            "celery 4.4.7",
            "dots-._allowed 1.0.0",
            "flask 4.0.0",
            "foo 1.0.0",
            "local-version 1.2.3+gcr.2",
            "urllib3 1.26.20",
        ],
    ),
    // syft reports `no-version` with an empty version; a package without a version cannot be matched, we give a diagnostic instead
    (
        "python-metadata",
        "pkgdb-syft/syft/pkg/cataloger/python/testdata/site-packages/no-version/no-version-py3.8.egg-info",
        &[],
    ),
    // an empty file: syft takes name and version from the file name; we read metadata only, so: nothing, with a diagnostic
    ("python-metadata", "pkgdb-syft/syft/pkg/cataloger/python/testdata/empty-1.0.0-py3.8.egg-info", &[]),
    // syft drops `dev: true` entries by default (its IncludeDevDependencies option); we report dev dependencies. The fixture's v1 `dependencies` map has a v2-style key `node_modules/async`, which npm never writes; we report the key as the name, as written
    (
        "npm-package-lock",
        "pkgdb-syft/syft/pkg/cataloger/javascript/testdata/pkg-lock/package-lock.json",
        &[
            "@actions/core 1.6.0",
            "ansi-regex 3.0.0",
            "cowsay 1.4.0",
            "get-stdin 5.0.1",
            "is-fullwidth-code-point 2.0.0",
            "minimist 0.0.10",
            "node_modules/async 3.2.4",
            "optimist 0.6.1",
            "string-width 2.1.1",
            "strip-ansi 4.0.0",
            "strip-eof 1.0.0",
            "wordwrap 0.0.3",
        ],
    ),
    // syft reports the root project (npm 6.14.6) and drops the dev entry (async); we never report the project itself and keep dev dependencies
    (
        "npm-package-lock",
        "pkgdb-syft/syft/pkg/cataloger/javascript/testdata/pkg-lock/package-lock-2.json",
        &[
            "@types/prop-types 15.7.5",
            "@types/react 18.0.17",
            "@types/scheduler 0.16.2",
            "async 3.2.4",
            "csstype 3.1.0",
        ],
    ),
    // syft reports the root project (lock-v3-fixture 1.0.0) and drops the dev entry (async); we never report the project itself and keep dev dependencies
    (
        "npm-package-lock",
        "pkgdb-syft/syft/pkg/cataloger/javascript/testdata/pkg-lock/package-lock-3.json",
        &[
            "@types/prop-types 15.7.5",
            "@types/react 18.0.20",
            "@types/scheduler 0.16.2",
            "async 3.2.4",
            "csstype 3.1.1",
        ],
    ),
    // syft drops the dev branch (dev-parent and its nested dev-nested); we keep dev dependencies
    (
        "npm-package-lock",
        "pkgdb-syft/syft/pkg/cataloger/javascript/testdata/pkg-lock/nested-package-lock-1.json",
        &[
            "dev-nested 1.0.0",
            "dev-parent 1.0.0",
            "duplicate 1.0.0",
            "middle 1.0.0",
            "parent 1.0.0",
            "shared 0.5.0",
            "shared 1.0.0",
            "shared 2.0.0",
        ],
    ),
    // syft reports the root project (alias-check 1.0.0); we do not
    (
        "npm-package-lock",
        "pkgdb-syft/syft/pkg/cataloger/javascript/testdata/pkg-lock/alias-package-lock-1.json",
        &["@bundled-es-modules/chai 4.2.2", "case 1.6.2", "case 1.6.3"],
    ),
    // syft reports the root project (alias-check 1.0.0); we do not
    (
        "npm-package-lock",
        "pkgdb-syft/syft/pkg/cataloger/javascript/testdata/pkg-lock/alias-package-lock-2.json",
        &["@bundled-es-modules/chai 4.2.2", "case 1.6.2", "case 1.6.3"],
    ),
    // syft reports the root project (tmp 1.0.0); we do not
    (
        "npm-package-lock",
        "pkgdb-syft/syft/pkg/cataloger/javascript/testdata/pkg-lock/array-license-package-lock.json",
        &["pause-stream 0.0.11", "through 2.3.8"],
    ),
    // a truncated fixture (`# removed other packages`): `packages` holds only a dev entry, so syft's nanoid/picocolors/source-map-js come from the importer's `dependencies` map. We read resolved packages from `packages` only and leave dev entries out (as pnpm does for production installs): nothing
    ("pnpm-lock", "pkgdb-syft/syft/pkg/cataloger/javascript/testdata/pnpm/pnpm-lock.yaml", &[]),
    // the only requirement is replaced by a local directory (`=> ../../../`), which has no version; syft reports the module without a version, we drop it (nothing to match)
    ("go-mod", "pkgdb-syft/syft/pkg/cataloger/golang/testdata/go-mod-fixtures/relative-replace/go.mod", &[]),
    // before Go 1.17 go.mod lists no indirect requirements, so scalibr also reads the go.sum beside it (testify, go-spew...) and reports stdlib 1.16 from the `go` line; we parse the go.mod alone, and a two-part `go` line is a language version, not a toolchain, so no stdlib
    (
        "go-mod",
        "pkgdb-osv-scalibr/extractor/filesystem/language/golang/gomod/testdata/indirect-1.16.mod",
        &["github.com/sirupsen/logrus v1.9.3"],
    ),
    // scalibr reports stdlib 1.23 from the two-part `go 1.23` line (a language version, not a toolchain: we report none)
    (
        "go-mod",
        "pkgdb-osv-scalibr/extractor/filesystem/language/golang/gomod/testdata/indirect-1.23.mod",
        &["github.com/sirupsen/logrus v1.9.3", "golang.org/x/sys v0.0.0-20220715151400-c0bba94af5f8"],
    ),
    // scalibr reports stdlib 1.17 from the two-part `go` line (a language version: we report none)
    (
        "go-mod",
        "pkgdb-osv-scalibr/extractor/filesystem/language/golang/gomod/testdata/indirect-packages.mod",
        &[
            "github.com/BurntSushi/toml v1.0.0",
            "github.com/mattn/go-colorable v0.1.9",
            "github.com/mattn/go-isatty v0.0.14",
            "golang.org/x/sys v0.0.0-20210630005230-0f9fa26af87c",
            "gopkg.in/yaml.v2 v2.4.0",
        ],
    ),
    // an invalid go.mod that requires golang.org/x/net twice (v1.2.3 and v0.5.6); scalibr applies both replacements (foe 1.4.5 and 1.4.2), we keep one requirement per module (the last), so foe v1.4.2
    (
        "go-mod",
        "pkgdb-osv-scalibr/extractor/filesystem/language/golang/gomod/testdata/replace-different.mod",
        &["example.com/fork/foe v1.4.2"],
    ),
    // scalibr reports stdlib 1.17 from the two-part `go` line (a language version: we report none)
    (
        "go-mod",
        "pkgdb-osv-scalibr/extractor/filesystem/language/golang/gomod/testdata/two-packages.mod",
        &["github.com/BurntSushi/toml v1.0.0", "gopkg.in/yaml.v2 v2.4.0"],
    ),
    // the jar holds no metadata (random.txt only): both peers guess from the file name; scalibr guesses the group `org.eclipse.sisu`, we use the whole dotted name as group and artifact
    (
        "java-archive",
        "pkgdb-osv-scalibr/extractor/filesystem/language/java/archive/testdata/org.eclipse.sisu.inject-0.3.5.jar",
        &["org.eclipse.sisu.inject:org.eclipse.sisu.inject 0.3.5"],
    ),
    // scalibr ignores a package-lock.json that has an npm-shrinkwrap.json beside it (a directory rule); the parser reads the file it is given
    (
        "npm-package-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/packagelockjson/testdata/both/package-lock.json",
        &["supports-color 5.5.0", "wrappy 1.0.2"],
    ),
    // synthetic keys with null entries (`/foo/1.0.0:` and no fields) that no pnpm writes: the typed YAML read refuses the document, so nothing and a diagnostic (scalibr reads the keys alone)
    ("pnpm-lock", "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/exotic.yaml", &[]),
    // local `file:` entries are reported by their own `name`; the nameless `file:../nameless-package` gives a diagnostic (it used to come out as a package named `file:..`)
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/files.yaml",
        &[
            "a-local-package 1.0.0",
            "a-nested-local-package 1.0.0",
            "my-file-package 0.0.0",
            "one-up 1.0.0",
            "one-up-with-peer 1.0.0",
        ],
    ),
    // scalibr reports dev entries too; we leave pnpm `dev: true` entries out
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/mixed-groups.v53.yaml",
        &["ansi-regex 5.0.1", "uuid 8.3.2"],
    ),
    // scalibr reports dev entries too; we leave pnpm `dev: true` entries out
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/mixed-groups.v54.yaml",
        &["ansi-regex 5.0.1", "uuid 8.3.2"],
    ),
    // scalibr reports dev entries too; we leave pnpm `dev: true` entries out
    (
        "pnpm-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/mixed-groups.v6.yaml",
        &["ansi-regex 5.0.0", "uuid 8.0.0"],
    ),
    // the only package is `dev: true`: we leave pnpm dev entries out (scalibr reports @my-org/my-package 3.2.3)
    ("pnpm-lock", "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/pnpmlock/testdata/tarball.yaml", &[]),
    // git dependencies (git+ssh, https, github:, and the `owner/repo#ref` shorthand) are not registry packages: scalibr reports them, we keep only minimist (whose first descriptor is a registry range)
    (
        "yarn-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/yarnlock/testdata/commits.v1.lock",
        &["minimist 0.0.8"],
    ),
    // every entry is a git dependency: scalibr reports them, we report none
    ("yarn-lock", "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/yarnlock/testdata/commits.v2.lock", &[]),
    // the workspace entry @ws/ansi-regex 0.0.0-use.local is the project, not a dependency: scalibr keeps it, we do not
    (
        "yarn-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/yarnlock/testdata/exclude-root.v2.lock",
        &["ansi-regex 6.1.0"],
    ),
    // `file:` dependencies (filedep, other_package, sprintf-js, etag 1.8.0) are local, not registry packages: scalibr reports them, we do not
    (
        "yarn-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/yarnlock/testdata/files.v1.lock",
        &["etag 1.8.1", "lodash 1.3.1"],
    ),
    // the only entry is a `file:` dependency: nothing
    ("yarn-lock", "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/yarnlock/testdata/files.v2.lock", &[]),
    // the header `balanced-match:` has no range, which yarn never writes: a diagnostic, no package (scalibr reads balanced-match 1.0.2)
    (
        "yarn-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/yarnlock/testdata/no-version.v1.lock",
        &[],
    ),
    // domino 2.1.6+git comes from a git URL: not a registry package
    (
        "yarn-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/yarnlock/testdata/with-build-string.v1.lock",
        &["tslib 2.6.2"],
    ),
    // domino 2.1.6+git comes from a git URL: not a registry package
    (
        "yarn-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/javascript/yarnlock/testdata/with-build-string.v2.lock",
        &["tslib 2.6.2"],
    ),
    // only exact pins (`==`, `===`) name the installed version; scalibr also takes the lower bound of `>=` and `~=` (keyring 4.1.1, Mopidy-Dirble 1.1)
    (
        "pip-requirements",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/requirements/testdata/example.txt",
        &["docopt 0.6.1"],
    ),
    // only exact pins: scalibr also takes `>=`/`<=` bounds (newspaper3k, combination-._-.also_-._valid, pkg); `asdf==0.7.*` is a range
    (
        "pip-requirements",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/requirements/testdata/with_versions.txt",
        &[
            "hy-phen 1.2",
            "nltk 3.2.2",
            "pkg.dot.name 5.0.0",
            "qwerty 0.1",
            "tabulate 0.7.7",
            "under_score 1.3",
            "yolo 1.0",
        ],
    ),
    // we report the project's own `[[package]]` (uv-lockfiles 0.1.0); scalibr drops it
    (
        "uv-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/uvlock/testdata/grouped-packages.lock",
        &[
            "black 24.10.0",
            "click 8.1.7",
            "colorama 0.4.6",
            "emoji 2.14.0",
            "flake8 7.1.1",
            "mccabe 0.7.0",
            "mypy-extensions 1.0.0",
            "packaging 24.2",
            "pathspec 0.12.1",
            "platformdirs 4.3.6",
            "pycodestyle 2.12.1",
            "pyflakes 3.2.0",
            "tomli 2.2.1",
            "typing-extensions 4.12.2",
            "uv-lockfiles 0.1.0",
        ],
    ),
    // we report the project's own `[[package]]` (uv-lockfiles 0.1.0); scalibr drops it
    (
        "uv-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/uvlock/testdata/no-dependencies.lock",
        &["uv-lockfiles 0.1.0"],
    ),
    // we report the project's own `[[package]]` (uv-lockfiles 0.1.0), as for Cargo.lock; scalibr drops it
    (
        "uv-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/uvlock/testdata/one-package.lock",
        &["emoji 2.14.0", "uv-lockfiles 0.1.0"],
    ),
    // we report the project's own `[[package]]` (uv-lockfiles 0.1.0); scalibr drops it
    (
        "uv-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/uvlock/testdata/source-git.lock",
        &["ruff 0.8.1", "uv-lockfiles 0.1.0"],
    ),
    // we report the project's own `[[package]]` (uv-lockfiles 0.1.0); scalibr drops it
    (
        "uv-lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/uvlock/testdata/two-packages.lock",
        &["emoji 2.14.0", "protobuf 4.25.5", "uv-lockfiles 0.1.0"],
    ),
];
