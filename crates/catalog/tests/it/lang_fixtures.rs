//! Language parsers against the peers' fixtures in `shared/fixtures/pkgdb-*`, read in place.
//!
//! Each row is a fixture and the `name version` list its peer's `EXPECTED-*.md` states (for these
//! rows our output equals it). The documented exceptions, where we deliberately differ from the
//! peer, are in `documented_exceptions` with the reason.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests: a panic is the failure report
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "tests read their fixtures from disk; the crate's own code does no file I/O"
)]

use std::collections::BTreeSet;

use microscanner_catalog::lang::{Format, parse_file};
use microscanner_model::Evidence;

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/fixtures/");

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{ROOT}{rel}")).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The format a fixture is read as (the fixture names are the peers', not the real file names).
fn format_of(rel: &str) -> &'static Format {
    let l = rel.to_ascii_lowercase();
    let table: &[(&str, &str)] = &[
        ("core_deps", "dotnet-deps"),
        ("golang/binary", "lang-binary"),
        ("gobinary", "lang-binary"),
        ("rust/binary", "lang-binary"),
        ("cargoauditable", "lang-binary"),
        ("golang/mod", "go-mod"),
        ("java/", "java-archive"),
        ("nodejs/npm", "npm-package-lock"),
        ("nodejs/pnpm", "pnpm-lock"),
        ("nodejs/yarn", "yarn-lock"),
        ("nuget/lock", "nuget-lock"),
        ("installed.json", "composer-installed"),
        ("php/composer", "composer-lock"),
        ("python/packaging", "python-metadata"),
        (".egg", "python-egg"),
        ("python/wheelegg", "python-metadata"),
        ("python/pip/", "pip-requirements"),
        ("pipenv", "pipfile-lock"),
        ("poetry", "poetry-lock"),
        ("python/uv", "uv-lock"),
        ("ruby/bundler", "gemfile-lock"),
        ("rust/cargo", "cargo-lock"),
    ];
    let id =
        table.iter().find(|(k, _)| l.contains(k)).map(|(_, id)| *id).unwrap_or_else(|| panic!("no format for {rel}"));
    format(id)
}

/// The language format whose analyzer id is `id`.
fn format(id: &str) -> &'static Format {
    microscanner_catalog::lang::format(id).unwrap_or_else(|| panic!("no format {id}"))
}

fn parse(rel: &str) -> (BTreeSet<String>, Vec<String>) {
    let (pkgs, diags) = format_of(rel).parse(rel, &read(rel));
    (
        pkgs.iter().map(|p| format!("{} {}", p.name, p.version)).collect(),
        diags.iter().map(|d| d.message.clone()).collect(),
    )
}

/// The web app of trivy's `maven.war` (parser fixture) and `test.war` (analyzer fixture): the same
/// file.
const MAVEN_WEB_APP: &[&str] = &[
    "com.cronutils:cron-utils 9.1.2",
    "com.example:web-app 1.0-SNAPSHOT",
    "com.fasterxml.jackson.core:jackson-annotations 2.9.10",
    "com.fasterxml.jackson.core:jackson-core 2.9.10",
    "com.fasterxml.jackson.core:jackson-databind 2.9.10.6",
    "org.apache.commons:commons-lang3 3.11",
    "org.glassfish:javax.el 3.0.0",
    "org.slf4j:slf4j-api 1.7.30",
];

/// trivy's `package-lock_v1.json` to `_v3.json`: one project locked by three npm versions.
const NPM_LOCK_V1_TO_V3: &[&str] = &[
    "@babel/helper-string-parser 7.19.4",
    "asap 2.0.6",
    "body-parser 1.18.3",
    "bytes 3.0.0",
    "content-type 1.0.5",
    "debug 2.5.2",
    "debug 2.6.9",
    "depd 1.1.2",
    "ee-first 1.1.1",
    "encodeurl 1.0.2",
    "escape-html 1.0.3",
    "finalhandler 1.1.1",
    "http-errors 1.6.3",
    "iconv-lite 0.4.23",
    "inherits 2.0.3",
    "media-typer 0.3.0",
    "mime-db 1.52.0",
    "mime-types 2.1.35",
    "ms 0.7.2",
    "ms 1.0.0",
    "ms 2.0.0",
    "on-finished 2.3.0",
    "parseurl 1.3.3",
    "promise 8.3.0",
    "qs 6.5.2",
    "raw-body 2.3.3",
    "safer-buffer 2.1.2",
    "setprototypeof 1.1.0",
    "statuses 1.4.0",
    "type-is 1.6.18",
    "unpipe 1.0.0",
];

/// trivy's `poetry_flask.lock` and `poetry_v2_flask.lock`: one project locked by poetry 1 and 2.
const POETRY_FLASK: &[&str] = &[
    "atomicwrites 1.4.1",
    "attrs 25.1.0",
    "click 8.1.8",
    "colorama 0.4.6",
    "flask 1.0.3",
    "itsdangerous 2.2.0",
    "jinja2 3.1.5",
    "markupsafe 3.0.2",
    "more-itertools 10.6.0",
    "packaging 24.2",
    "pluggy 0.13.1",
    "py 1.11.0",
    "pytest 5.4.3",
    "wcwidth 0.2.13",
    "werkzeug 3.1.3",
];

/// trivy's `cargo_normal.lock` and `cargo_mixed.lock`: the same packages, the mixed one in another
/// order, with comments and a multi-line string version.
const CARGO_NORMAL: &[&str] = &[
    "idna 0.1.5",
    "libc 0.2.54",
    "matches 0.1.8",
    "normal 0.1.0",
    "percent-encoding 1.0.1",
    "typemap 0.3.3",
    "unsafe-any 0.4.2",
    "url 1.7.2",
];

/// trivy's analyzer fixtures `happy/yarn.lock` and `no-packagejson/yarn.lock`: the same file.
const YARN_HAPPY: &[&str] = &[
    "js-tokens 2.0.0",
    "js-tokens 4.0.0",
    "loose-envify 1.4.0",
    "object-assign 4.1.1",
    "prop-types 15.7.2",
    "react-is 16.13.1",
    "scheduler 0.13.6",
];

/// Fixtures whose peer expectation we reproduce exactly.
const EXPECTED: &[(&str, &[&str])] = &[
    (
        "pkgdb-trivy/pkg/dependency/parser/dotnet/core_deps/testdata/ambiguous-root.deps.json",
        &["Newtonsoft.Json 13.0.3", "Web 1.0.0", "Worker 1.0.0"],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/dotnet/core_deps/testdata/happy.deps.json",
        &["ExampleApp1 1.0.0", "Newtonsoft.Json 13.0.1"],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/dotnet/core_deps/testdata/missing-target.deps.json",
        &["ExampleApp1 1.0.0", "Newtonsoft.Json 13.0.1"],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/dotnet/core_deps/testdata/multi-project.deps.json",
        &["Api 1.0.0", "Data 1.0.0", "Newtonsoft.Json 13.0.3", "Web 1.0.0"],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/dotnet/core_deps/testdata/self-contained.deps.json",
        &["ExampleApp1 1.0.0", "Newtonsoft.Json 13.0.1"],
    ),
    ("pkgdb-trivy/pkg/dependency/parser/golang/binary/testdata/goexperiment", &["stdlib v1.22.1"]),
    ("pkgdb-trivy/pkg/dependency/parser/golang/binary/testdata/main-version-via-ldflags.elf", &["stdlib v1.22.1"]),
    (
        "pkgdb-trivy/pkg/dependency/parser/golang/binary/testdata/semver-main-module-version.macho",
        &["go.etcd.io/bbolt v1.3.5", "stdlib v1.20.6"],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/java/jar/testdata/gradle.war",
        &[
            "commons-dbcp:commons-dbcp 1.4",
            "commons-pool:commons-pool 1.6",
            "log4j:log4j 1.2.17",
            "org.apache.commons:commons-compress 1.19",
        ],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/java/jar/testdata/hadoop-shaded-guava-1.1.0-SNAPSHOT.jar",
        &[
            "com.google.guava:failureaccess 1.0.1",
            "com.google.guava:guava 29.0-jre",
            "com.google.guava:listenablefuture 9999.0-empty-to-avoid-conflict-with-guava",
            "com.google.j2objc:j2objc-annotations 1.3",
            "org.apache.hadoop.thirdparty:hadoop-shaded-guava 1.1.0-SNAPSHOT",
        ],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/java/jar/testdata/io.quarkus.gizmo.gizmo-1.1.jar",
        &[
            "com.fasterxml.jackson.core:jackson-databind 2.12.3",
            "com.fasterxml.jackson.core:jackson-databind 2.13.4",
            "io.quarkus.gizmo:gizmo 1.1",
            "log4j:log4j 1.2.16",
            "log4j:log4j 1.2.17",
        ],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/java/jar/testdata/license-from-jenkins-plugin.jar",
        &["com.example:jenkins-plugin 1.0.0"],
    ),
    ("pkgdb-trivy/pkg/dependency/parser/java/jar/testdata/maven.war", MAVEN_WEB_APP),
    (
        "pkgdb-trivy/pkg/dependency/parser/java/jar/testdata/multi-license-1.0.0.jar",
        &["com.example:multi-license 1.0.0"],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/java/jar/testdata/nested.jar",
        &["test:nested 0.0.1", "test:nested2 0.0.2", "test:nested3 0.0.3"],
    ),
    ("pkgdb-trivy/pkg/dependency/parser/nodejs/npm/testdata/package-lock_v1.json", NPM_LOCK_V1_TO_V3),
    ("pkgdb-trivy/pkg/dependency/parser/nodejs/npm/testdata/package-lock_v2.json", NPM_LOCK_V1_TO_V3),
    ("pkgdb-trivy/pkg/dependency/parser/nodejs/npm/testdata/package-lock_v3.json", NPM_LOCK_V1_TO_V3),
    (
        "pkgdb-trivy/pkg/dependency/parser/nodejs/npm/testdata/package-lock_v3_with-same-dev-and-non-dev.json",
        &["fsevents 1.2.9", "minimist 0.0.8", "mkdirp 0.5.1", "node-pre-gyp 0.12.0"],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/nodejs/npm/testdata/package-lock_v3_with_legacy_licenses.json",
        &["mustache 2.3.2", "pause-stream 0.0.11", "tv4 1.3.0"],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/nodejs/npm/testdata/package-lock_v3_with_peer.json",
        &["lodash 4.17.21", "mustache 2.3.2", "triple-beam 1.4.1", "winston 3.17.0", "winston-mail 2.0.0"],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/nodejs/npm/testdata/package-lock_v3_with_workspace_as_object.json",
        &["lodash 4.17.21", "testapp 1.0.0"],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/nodejs/npm/testdata/package-lock_v3_without_root_deps_field.json",
        &["debug 2.6.9", "func1 1.0.0", "ms 2.0.0"],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/nodejs/pnpm/testdata/pnpm-lock_archives.yaml",
        &["asynckit 0.4.0", "debug 4.3.4", "is-negative 2.0.1", "lodash 4.17.21", "ms 2.1.2", "package1 1.0.0"],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/nodejs/pnpm/testdata/pnpm-lock_many.yaml",
        &[
            "@babel/runtime 7.18.3",
            "ajv 6.12.6",
            "asn1 0.2.6",
            "assert-plus 1.0.0",
            "asynckit 0.4.0",
            "aws-sign2 0.7.0",
            "aws4 1.11.0",
            "bcrypt-pbkdf 1.0.2",
            "caseless 0.12.0",
            "chalk 5.0.1",
            "combined-stream 1.0.8",
            "commander 9.3.0",
            "core-util-is 1.0.2",
            "dashdash 1.14.1",
            "delayed-stream 1.0.0",
            "ecc-jsbn 0.1.2",
            "extend 3.0.2",
            "extsprintf 1.3.0",
            "fast-deep-equal 3.1.3",
            "fast-json-stable-stringify 2.1.0",
            "forever-agent 0.6.1",
            "form-data 2.3.3",
            "getpass 0.1.7",
            "har-schema 2.0.0",
            "har-validator 5.1.5",
            "http-signature 1.2.0",
            "is-typedarray 1.0.0",
            "isstream 0.1.2",
            "js-tokens 4.0.0",
            "jsbn 0.1.1",
            "json-schema 0.4.0",
            "json-schema-traverse 0.4.1",
            "json-stringify-safe 5.0.1",
            "jsprim 1.4.2",
            "lodash 4.17.21",
            "loose-envify 1.4.0",
            "mime-db 1.52.0",
            "mime-types 2.1.35",
            "oauth-sign 0.9.0",
            "performance-now 2.1.0",
            "psl 1.8.0",
            "punycode 2.1.1",
            "qs 6.5.3",
            "react 18.1.0",
            "redux 4.2.0",
            "regenerator-runtime 0.13.9",
            "request 2.88.2",
            "safe-buffer 5.2.1",
            "safer-buffer 2.1.2",
            "sshpk 1.17.0",
            "tough-cookie 2.5.0",
            "tunnel-agent 0.6.0",
            "tweetnacl 0.14.5",
            "uri-js 4.4.1",
            "uuid 3.4.0",
            "verror 1.10.0",
        ],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/nodejs/pnpm/testdata/pnpm-lock_normal.yaml",
        &["asap 2.0.6", "jquery 3.6.0", "promise 8.1.0"],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/nodejs/pnpm/testdata/pnpm-lock_v6.yaml",
        &["asap 2.0.6", "jquery 3.6.0", "promise 8.1.0"],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/nodejs/pnpm/testdata/pnpm-lock_v6_with_dev.yaml",
        &[
            "@babel/runtime 7.22.3",
            "js-tokens 4.0.0",
            "loose-envify 1.4.0",
            "react 18.1.0",
            "redux 4.2.0",
            "regenerator-runtime 0.13.11",
        ],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/nodejs/pnpm/testdata/pnpm-lock_v9.yaml",
        &[
            "@babel/helper-string-parser 7.24.1",
            "asap 2.0.6",
            "asynckit 0.4.0",
            "await-sleep 0.0.1",
            "debug 4.3.4",
            "debug 4.3.5",
            "ee-first 1.1.1",
            "encodeurl 1.0.2",
            "escape-html 1.0.3",
            "finalhandler 1.1.1",
            "is-negative 2.0.1",
            "jquery 3.6.0",
            "lodash 4.17.21",
            "ms 2.0.0",
            "ms 2.1.2",
            "on-finished 2.3.0",
            "package1 file:package1",
            "parseurl 1.3.3",
            "promise 8.1.0",
            "sleep-utils 1.0.3",
            "statuses 1.4.0",
            "unpipe 1.0.0",
        ],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/nodejs/pnpm/testdata/pnpm-lock_v9_cyclic_import.yaml",
        &[
            "browserslist 4.23.0",
            "caniuse-lite 1.0.30001627",
            "electron-to-chromium 1.4.789",
            "escalade 3.1.2",
            "node-releases 2.0.14",
            "picocolors 1.0.1",
            "update-browserslist-db 1.0.16",
        ],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/nodejs/pnpm/testdata/pnpm-lock_v9_multi_version.yaml",
        &["is-number 6.0.0", "is-number 7.0.0"],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/nodejs/pnpm/testdata/pnpm-lock_v9_multiple_documents.yaml",
        &["is-number 7.0.0"],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/nodejs/pnpm/testdata/pnpm-lock_v9_same-vers-diff-peers.yaml",
        &[
            "jest-config 30.0.3",
            "jest-pnp-resolver 1.2.3",
            "jest-resolve 27.5.1",
            "jest-resolve 30.0.2",
            "jest-runner 27.5.1",
            "jest-runner 30.0.3",
        ],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/nodejs/pnpm/testdata/pnpm-lock_with_dev.yaml",
        &[
            "@babel/runtime 7.18.3",
            "js-tokens 4.0.0",
            "loose-envify 1.4.0",
            "react 18.1.0",
            "redux 4.2.0",
            "regenerator-runtime 0.13.9",
        ],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/nodejs/yarn/testdata/yarn_happy.lock",
        &[
            "@babel/helper-regex 7.4.4",
            "ansi-regex 2.1.1",
            "ansi-regex 3.0.0",
            "asap 2.0.6",
            "inherits 2.0.3",
            "is-fullwidth-code-point 2.0.0",
            "jquery 3.4.1",
            "js-tokens 4.0.0",
            "lodash 4.17.11",
            "promise 8.0.3",
            "safe-buffer 5.1.2",
            "safer-buffer 2.1.2",
            "statuses 1.5.0",
            "string-width 2.1.1",
            "strip-ansi 3.0.1",
            "strip-ansi 4.0.0",
            "whatwg-fetch 3.0.0",
            "wide-align 1.1.3",
        ],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/nodejs/yarn/testdata/yarn_v2_deps_with_protocol.lock",
        &["debug 4.3.4", "ms 2.1.2"],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/nodejs/yarn/testdata/yarn_v2_happy.lock",
        &[
            "@types/color-name 1.1.1",
            "abbrev 1.1.1",
            "ansi-styles 3.2.1",
            "ansi-styles 4.2.1",
            "assert-plus 1.0.0",
            "async 3.2.0",
            "color-convert 1.9.3",
            "color-convert 2.0.1",
            "color-name 1.1.3",
            "color-name 1.1.4",
            "ipaddr.js 1.9.1",
            "js-tokens 4.0.0",
            "loose-envify 1.4.0",
            "node-gyp 7.1.0",
            "once 1.4.0",
            "wrappy 1.0.2",
        ],
    ),
    ("pkgdb-trivy/pkg/dependency/parser/nodejs/yarn/testdata/yarn_with_bad_protocol.lock", &["jquery 3.4.1"]),
    (
        "pkgdb-trivy/pkg/dependency/parser/nodejs/yarn/testdata/yarn_with_local.lock",
        &["asap 2.0.6", "jquery 3.4.1", "promise 8.0.3"],
    ),
    ("pkgdb-trivy/pkg/dependency/parser/nodejs/yarn/testdata/yarn_with_npm.lock", &["jquery 3.6.0"]),
    (
        "pkgdb-trivy/pkg/dependency/parser/nuget/lock/testdata/packages_lock_legacy.json",
        &["AWSSDK.Core 3.5.1.30", "Newtonsoft.Json 12.0.3"],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/nuget/lock/testdata/packages_lock_multi.json",
        &[
            "AWSSDK.Core 3.5.1.30",
            "Microsoft.Bcl.AsyncInterfaces 1.1.0",
            "Microsoft.CSharp 4.3.0",
            "Microsoft.NETCore.Platforms 1.1.0",
            "Microsoft.NETCore.Targets 1.1.0",
            "Microsoft.NETFramework.ReferenceAssemblies 1.0.0",
            "Microsoft.NETFramework.ReferenceAssemblies.net20 1.0.0",
            "Microsoft.NETFramework.ReferenceAssemblies.net40 1.0.0",
            "NETStandard.Library 1.6.1",
            "NETStandard.Library 2.0.3",
            "Newtonsoft.Json 12.0.3",
            "System.Collections 4.3.0",
            "System.ComponentModel 4.3.0",
            "System.ComponentModel.Primitives 4.3.0",
            "System.ComponentModel.TypeConverter 4.3.0",
            "System.Diagnostics.Debug 4.3.0",
            "System.Diagnostics.Tools 4.3.0",
            "System.Dynamic.Runtime 4.3.0",
            "System.Globalization 4.3.0",
            "System.IO 4.3.0",
            "System.Linq 4.3.0",
            "System.Linq.Expressions 4.3.0",
            "System.Net.Primitives 4.3.0",
            "System.ObjectModel 4.3.0",
            "System.Reflection 4.3.0",
            "System.Reflection.Extensions 4.3.0",
            "System.Reflection.Primitives 4.3.0",
            "System.Resources.ResourceManager 4.3.0",
            "System.Runtime 4.3.0",
            "System.Runtime.CompilerServices.Unsafe 4.5.2",
            "System.Runtime.Extensions 4.3.0",
            "System.Runtime.Serialization.Primitives 4.3.0",
            "System.Text.Encoding 4.3.0",
            "System.Text.Encoding.Extensions 4.3.0",
            "System.Text.RegularExpressions 4.3.0",
            "System.Threading 4.3.0",
            "System.Threading.Tasks 4.3.0",
            "System.Threading.Tasks.Extensions 4.5.2",
            "System.Xml.ReaderWriter 4.3.0",
            "System.Xml.XDocument 4.3.0",
        ],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/nuget/lock/testdata/packages_lock_simple.json",
        &["Newtonsoft.Json 12.0.3", "NuGet.Frameworks 5.7.0"],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/nuget/lock/testdata/packages_lock_subdependencies.json",
        &[
            "Microsoft.Extensions.ApiDescription.Server 3.0.0",
            "Microsoft.OpenApi 1.1.4",
            "Newtonsoft.Json 12.0.3",
            "NuGet.Frameworks 5.7.0",
            "Swashbuckle.AspNetCore 5.5.1",
            "Swashbuckle.AspNetCore.Swagger 5.5.1",
            "Swashbuckle.AspNetCore.SwaggerGen 5.5.1",
            "Swashbuckle.AspNetCore.SwaggerUI 5.5.1",
        ],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/php/composer/testdata/composer_happy.lock",
        &[
            "guzzlehttp/guzzle 6.5.8",
            "guzzlehttp/promises 1.5.2",
            "guzzlehttp/psr7 1.9.0",
            "pear/log 1.13.3",
            "pear/pear_exception v1.0.2",
            "psr/http-message 1.0.1",
            "ralouphie/getallheaders 3.0.3",
            "symfony/polyfill-intl-idn v1.27.0",
            "symfony/polyfill-intl-normalizer v1.27.0",
            "symfony/polyfill-php72 v1.27.0",
        ],
    ),
    ("pkgdb-trivy/pkg/dependency/parser/python/packaging/testdata/asyncssh-2.14.2.METADATA", &["asyncssh 2.14.2"]),
    ("pkgdb-trivy/pkg/dependency/parser/python/packaging/testdata/distlib-0.3.1-py3.9.egg-info", &["distlib 0.3.1"]),
    ("pkgdb-trivy/pkg/dependency/parser/python/packaging/testdata/distlib-0.3.1.METADATA", &["distlib 0.3.1"]),
    ("pkgdb-trivy/pkg/dependency/parser/python/packaging/testdata/iniconfig-2.0.0.METADATA", &["iniconfig 2.0.0"]),
    ("pkgdb-trivy/pkg/dependency/parser/python/packaging/testdata/networkx-3.0.METADATA", &["networkx 3.0"]),
    ("pkgdb-trivy/pkg/dependency/parser/python/packaging/testdata/pyphen-0.14.0.METADATA", &["pyphen 0.14.0"]),
    (
        "pkgdb-trivy/pkg/dependency/parser/python/packaging/testdata/setuptools-51.3.3-py3.8.egg-info.PKG-INFO",
        &["setuptools 51.3.3"],
    ),
    ("pkgdb-trivy/pkg/dependency/parser/python/packaging/testdata/simple-0.1.0.METADATA", &["simple 0.1.0"]),
    ("pkgdb-trivy/pkg/dependency/parser/python/packaging/testdata/unidecode-egg-info.PKG-INFO", &["Unidecode 0.4.1"]),
    ("pkgdb-trivy/pkg/dependency/parser/python/packaging/testdata/zipp-3.12.1.METADATA", &["zipp 3.12.1"]),
    ("pkgdb-trivy/pkg/dependency/parser/python/pip/testdata/requirement_exstras.txt", &["celery 4.4.7", "pyjwt 2.1.0"]),
    (
        "pkgdb-trivy/pkg/dependency/parser/python/pip/testdata/requirements_comments.txt",
        &["Flask 2.0.0", "Jinja2 3.0.0", "MarkupSafe 2.0.0", "click 8.0.0"],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/python/pip/testdata/requirements_flask.txt",
        &["Flask 2.0.0", "Jinja2 3.0.0", "MarkupSafe 2.0.0", "Werkzeug 2.0.0", "click 8.0.0", "itsdangerous 2.0.0"],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/python/pip/testdata/requirements_hash.txt",
        &["FooProject 1.2", "Jinja2 3.0.0"],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/python/pip/testdata/requirements_hyphens.txt",
        &["oauth2-client 4.0.0", "python-gitlab 2.0.0"],
    ),
    ("pkgdb-trivy/pkg/dependency/parser/python/pip/testdata/requirements_no_version.txt", &["Flask 2.0.0"]),
    (
        "pkgdb-trivy/pkg/dependency/parser/python/pip/testdata/requirements_operator.txt",
        &["Django 2.3.4", "SomeProject 5.4"],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/python/pip/testdata/requirements_spaces.txt",
        &["Flask 2.0.0", "Jinja2 3.0.0", "click 8.0.0", "itsdangerous 2.0.0"],
    ),
    ("pkgdb-trivy/pkg/dependency/parser/python/pip/testdata/requirements_utf16le.txt", &["attrs 20.3.0"]),
    (
        "pkgdb-trivy/pkg/dependency/parser/python/pipenv/testdata/Pipfile_django.lock",
        &[
            "certifi 2019.3.9",
            "chardet 3.0.4",
            "django 2.2",
            "djangorestframework 3.9.3",
            "idna 2.8",
            "pytz 2019.1",
            "pyyaml 5.1",
            "requests 2.21.0",
            "sqlparse 0.3.0",
            "urllib3 1.24.2",
        ],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/python/pipenv/testdata/Pipfile_many.lock",
        &[
            "awscli 1.16.147",
            "botocore 1.12.137",
            "certifi 2019.3.9",
            "chardet 3.0.4",
            "colorama 0.3.9",
            "django 2.2",
            "djangorestframework 3.9.3",
            "docutils 0.14",
            "framework 0.1.0",
            "idna 2.8",
            "jinja2 2.10.1",
            "jmespath 0.9.4",
            "markupsafe 1.1.1",
            "pyasn1 0.4.5",
            "python-dateutil 2.8.0",
            "pytz 2019.1",
            "pyyaml 3.13",
            "requests 2.21.0",
            "rsa 3.4.2",
            "s3transfer 0.2.0",
            "simplejson 3.16.0",
            "six 1.12.0",
            "sqlparse 0.3.0",
            "urllib3 1.24.2",
        ],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/python/pipenv/testdata/Pipfile_normal.lock",
        &["certifi 2019.3.9", "chardet 3.0.4", "idna 2.8", "pyyaml 5.1", "requests 2.21.0", "urllib3 1.24.2"],
    ),
    ("pkgdb-trivy/pkg/dependency/parser/python/poetry/testdata/poetry_flask.lock", POETRY_FLASK),
    ("pkgdb-trivy/pkg/dependency/parser/python/poetry/testdata/poetry_normal.lock", &["pypi 2.1"]),
    ("pkgdb-trivy/pkg/dependency/parser/python/poetry/testdata/poetry_v2_flask.lock", POETRY_FLASK),
    (
        "pkgdb-trivy/pkg/dependency/parser/python/uv/testdata/uv_normal.lock",
        &[
            "anyio 4.7.0",
            "certifi 2024.12.14",
            "charset-normalizer 3.4.0",
            "colorama 0.4.6",
            "exceptiongroup 1.2.2",
            "h11 0.14.0",
            "httpcore 1.0.7",
            "httpx 0.28.1",
            "idna 3.10",
            "iniconfig 2.0.0",
            "normal 0.1.0",
            "orjson 3.10.12",
            "packaging 24.2",
            "pluggy 1.5.0",
            "pytest 8.3.4",
            "requests 2.32.0",
            "sniffio 1.3.1",
            "socksio 1.0.0",
            "tomli 2.2.1",
            "typing-extensions 4.12.2",
            "urllib3 2.2.3",
        ],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/ruby/bundler/testdata/Gemfile_bundler2.lock",
        &[
            "coderay 1.1.3",
            "concurrent-ruby 1.1.10",
            "dotenv 2.7.6",
            "faker 2.21.0",
            "i18n 1.10.0",
            "json 2.6.2",
            "method_source 1.0.0",
            "pry 0.14.1",
        ],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/ruby/bundler/testdata/Gemfile_normal.lock",
        &[
            "coderay 1.1.2",
            "concurrent-ruby 1.1.5",
            "dotenv 2.7.2",
            "faker 1.9.3",
            "i18n 1.6.0",
            "method_source 0.9.2",
            "pry 0.12.2",
        ],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/rust/binary/testdata/test.elf",
        &["crate_with_features 0.1.0", "library_crate 0.1.0"],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/rust/binary/testdata/test.exe",
        &["crate_with_features 0.1.0", "library_crate 0.1.0"],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/rust/binary/testdata/test.macho",
        &["crate_with_features 0.1.0", "library_crate 0.1.0"],
    ),
    ("pkgdb-trivy/pkg/dependency/parser/rust/cargo/testdata/cargo_mixed.lock", CARGO_NORMAL),
    ("pkgdb-trivy/pkg/dependency/parser/rust/cargo/testdata/cargo_normal.lock", CARGO_NORMAL),
    (
        "pkgdb-trivy/pkg/dependency/parser/rust/cargo/testdata/cargo_v3.lock",
        &[
            "aho-corasick 0.7.20",
            "app 0.1.0",
            "libc 0.2.140",
            "memchr 1.0.2",
            "memchr 2.5.0",
            "regex 1.7.3",
            "regex-syntax 0.5.6",
            "regex-syntax 0.6.29",
            "ucd-util 0.1.10",
        ],
    ),
    (
        "pkgdb-trivy/pkg/dependency/parser/dotnet/core_deps/testdata/without-runtime.deps.json",
        &["JsonDiffPatch 2.0.61", "Libuv 1.9.1", "System.Collections.Immutable 1.3.0", "hello2 1.0.0"],
    ),
    // syft
    (
        "pkgdb-syft/syft/pkg/cataloger/php/testdata/vendor/composer_1/installed.json",
        &["asm89/stack-cors 1.3.0", "behat/mink v1.8.1"],
    ),
    (
        "pkgdb-syft/syft/pkg/cataloger/php/testdata/vendor/composer_2/installed.json",
        &["asm89/stack-cors 1.3.0", "behat/mink v1.8.1"],
    ),
    // osv-scalibr
    ("pkgdb-osv-scalibr/extractor/filesystem/language/python/wheelegg/testdata/distinfo_meta", &["pip 22.2.2"]),
    (
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/wheelegg/testdata/egginfo_pkginfo",
        &["setuptools 57.4.0"],
    ),
    ("pkgdb-osv-scalibr/extractor/filesystem/language/python/wheelegg/testdata/egginfo", &["pycups 2.0.1"]),
    ("pkgdb-osv-scalibr/extractor/filesystem/language/python/wheelegg/testdata/pkginfo", &["httplib2 0.20.4"]),
    ("pkgdb-osv-scalibr/extractor/filesystem/language/python/wheelegg/testdata/malformed_pkginfo", &["passlib 1.7.4"]),
    ("pkgdb-osv-scalibr/extractor/filesystem/language/python/wheelegg/testdata/mixed_case", &["httplib2 1.0"]),
    (
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/wheelegg/testdata/special_chars",
        &["backports.ssl_match_hostname 3.5.0.1"],
    ),
    (
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/wheelegg/testdata/pyopenssl-26.0.0.dist-info",
        &["pyOpenSSL 26.0.0"],
    ),
    (
        "pkgdb-osv-scalibr/extractor/filesystem/language/python/wheelegg/testdata/monotonic-1.6-py3.10.egg",
        &["monotonic 1.6"],
    ),
    (
        "pkgdb-osv-scalibr/extractor/filesystem/language/rust/cargoauditable/testdata/uses_serde_json/uses_serde_json",
        &[
            "itoa 1.0.14",
            "memchr 2.7.4",
            "proc-macro2 1.0.92",
            "quote 1.0.38",
            "ryu 1.0.18",
            "serde 1.0.217",
            "serde_derive 1.0.217",
            "serde_json 1.0.135",
            "syn 2.0.95",
            "unicode-ident 1.0.14",
            "uses_json 0.1.0",
        ],
    ),
    (
        "pkgdb-osv-scalibr/extractor/filesystem/language/rust/cargoauditable/testdata/no_deps/no_deps",
        &["no_deps 0.1.0"],
    ),
    ("pkgdb-osv-scalibr/extractor/filesystem/language/rust/cargoauditable/testdata/not_binary/not_binary", &[]),
    (
        "pkgdb-osv-scalibr/extractor/filesystem/language/java/archive/testdata/simple.jar",
        &["com.some.package:package-name 1.2.3"],
    ),
    (
        "pkgdb-osv-scalibr/extractor/filesystem/language/java/archive/testdata/complex.jar",
        &["com.some.anotherpackage:another-package-name 3.2.1", "com.some.package:package-name 1.2.3"],
    ),
    (
        "pkgdb-osv-scalibr/extractor/filesystem/language/java/archive/testdata/nested_at_10.jar",
        &["com.some.package:package-name 1.2.3"],
    ),
    ("pkgdb-osv-scalibr/extractor/filesystem/language/java/archive/testdata/nested_at_100.jar", &[]),
    (
        "pkgdb-osv-scalibr/extractor/filesystem/language/java/archive/testdata/guava-31.1-jre.jar",
        &["com.google.guava:guava 31.1-jre"],
    ),
    ("pkgdb-osv-scalibr/extractor/filesystem/language/java/archive/testdata/empty.jar", &[]),
    (
        "pkgdb-osv-scalibr/extractor/filesystem/language/java/archive/testdata/no_pom_properties-2.4.0.jar",
        &["no_pom_properties:no_pom_properties 2.4.0"],
    ),
    (
        "pkgdb-osv-scalibr/extractor/filesystem/language/java/archive/testdata/pom_missing_group_id-2.4.0.jar",
        &["pom_missing_group_id:pom_missing_group_id 2.4.0"],
    ),
];

#[test]
fn fixtures_match_peer_expectations() {
    let mut failures = Vec::new();
    for (rel, want) in EXPECTED {
        let (got, diags) = parse(rel);
        let want: BTreeSet<String> = want.iter().map(|s| (*s).to_owned()).collect();
        if got != want {
            failures.push(format!("{rel}\n  want {want:?}\n  got  {got:?}\n  diags {diags:?}"));
        }
    }
    assert!(failures.is_empty(), "{} fixtures differ:\n{}", failures.len(), failures.join("\n"));
}

/// Every format gives the same from the stream the layer walk hands it as from the file's bytes
/// (a streaming parser, such as package-lock's, reads as the walk reads; the others read whole).
#[test]
fn streamed_and_whole_files_parse_alike() {
    let mut streamed = 0;
    for (rel, _) in EXPECTED {
        let format = format_of(rel);
        let bytes = read(rel);
        let whole = format.parse_graph(rel, &bytes);
        let stream = format
            .parse_reader(rel, bytes.len() as u64, &mut bytes.as_slice())
            .unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(stream, whole, "{rel}");
        streamed += usize::from(format.id() == "npm-package-lock" && !whole.0.is_empty());
    }
    assert!(streamed >= 5, "the streaming parser was exercised on {streamed} lockfiles");
    // a lockfile cut short is a diagnostic naming it, as when read whole
    let lock = read("pkgdb-trivy/pkg/dependency/parser/nodejs/npm/testdata/package-lock_v3.json");
    let (pkgs, _, diags) = format("npm-package-lock")
        .parse_reader("package-lock.json", lock.len() as u64, &mut &lock[..lock.len() / 2])
        .unwrap();
    assert!(pkgs.is_empty() && diags.iter().any(|d| d.message.contains("package-lock.json")), "{diags:?}");
}

/// Broken or non-matching inputs give nothing, and those that are broken say so.
#[test]
fn broken_fixtures_give_a_diagnostic() {
    for rel in [
        "pkgdb-trivy/pkg/dependency/parser/dotnet/core_deps/testdata/invalid.deps.json",
        "pkgdb-trivy/pkg/dependency/parser/rust/cargo/testdata/cargo_invalid.lock",
        "pkgdb-osv-scalibr/extractor/filesystem/language/java/archive/testdata/invalid_jar.jar",
        "pkgdb-osv-scalibr/extractor/filesystem/language/java/archive/testdata/not_jar",
        "pkgdb-osv-scalibr/extractor/filesystem/language/java/archive/testdata/nested_at_100.jar",
    ] {
        let (got, diags) = parse(rel);
        assert!(got.is_empty(), "{rel}: {got:?}");
        assert!(!diags.is_empty(), "{rel}: no diagnostic");
    }
    for rel in [
        "pkgdb-trivy/pkg/dependency/parser/golang/binary/testdata/dummy",
        "pkgdb-trivy/pkg/dependency/parser/rust/binary/testdata/dummy",
        "pkgdb-trivy/pkg/dependency/parser/ruby/bundler/testdata/Gemfile_malformed.lock",
    ] {
        assert!(parse(rel).0.is_empty(), "{rel}");
    }
}

/// Where we differ from the peer on purpose. Each assertion pins our answer; the comment says why
/// the peer's expectation is not the right one for us.
#[test]
fn documented_exceptions() {
    // Go main module `(devel)` (trivy lists `github.com/aquasecurity/test` with no version): the
    // binary is the scanned project itself and a versionless package cannot be matched; the same
    // holds for the `module` line of go.mod (`github.com/org/repo`).
    let (got, _) = parse("pkgdb-trivy/pkg/dependency/parser/golang/binary/testdata/test.elf");
    assert!(
        got.contains("stdlib v1.15.2") && !got.iter().any(|p| p.starts_with("github.com/aquasecurity/test")),
        "{got:?}"
    );
    let (got, _) = parse("pkgdb-trivy/pkg/dependency/parser/golang/mod/testdata/normal/go.mod");
    assert!(got.contains("stdlib v1.22.5") && !got.iter().any(|p| p.starts_with("github.com/org/repo")), "{got:?}");
    // `~=` is a range, not a pin (trivy reports the lower bound `keyring 4.1.1` for `keyring~=4.1.1`,
    // which may not be what is installed). Only `==`/`===` pins are declared packages.
    let (got, _) = parse("pkgdb-trivy/pkg/dependency/parser/python/pip/testdata/requirements_compatible.txt");
    assert!(got.is_empty(), "{got:?}");
    // npm workspace member without a version (`function1`, a link to local code): nothing to report.
    let (got, _) = parse("pkgdb-trivy/pkg/dependency/parser/nodejs/npm/testdata/package-lock_v3_with_workspace.json");
    assert!(got.contains("nested_func 1.0.0") && !got.iter().any(|p| p.starts_with("function1")), "{got:?}");
    // Java archives that trivy identifies through its online/offline Java DB (SHA-1 and artifactId
    // search): we have no such database at analysis time and fall back to the manifest and file name.
    let (got, _) = parse("pkgdb-trivy/pkg/dependency/parser/java/jar/testdata/heuristic-1.0.0-SNAPSHOT.jar");
    assert_eq!(got, BTreeSet::from(["heuristic:heuristic 1.0.0-SNAPSHOT".to_owned()]));
    let (got, _) = parse("pkgdb-trivy/pkg/dependency/parser/java/jar/testdata/test.jar");
    assert_eq!(got, BTreeSet::from(["org.springframework:core 2.5.6.SEC03".to_owned()]));
}

#[test]
fn evidence_and_locations_of_parsers() {
    let rel = "pkgdb-trivy/pkg/dependency/parser/nodejs/yarn/testdata/yarn_happy.lock";
    let (pkgs, _) = format("yarn-lock").parse(rel, &read(rel));
    assert!(pkgs.iter().all(|p| p.evidence == Evidence::Declared && p.purl().starts_with("pkg:npm/")));
    let rel = "pkgdb-trivy/pkg/dependency/parser/java/jar/testdata/maven.war";
    let (pkgs, _) = format("java-archive").parse(rel, &read(rel));
    let jackson = pkgs.iter().find(|p| p.name.ends_with("jackson-databind")).unwrap();
    assert_eq!(jackson.purl(), "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.10.6");
    assert_eq!(jackson.location(), "WEB-INF/lib/jackson-databind-2.9.10.6.jar", "nested location, relative to the war");
    // through the glue, the nested location hangs off the archive's path
    let (pkgs, _) = parse_file("opt/app/maven.war", &read(rel)).unwrap();
    assert!(pkgs.iter().any(|p| p.location() == "/opt/app/maven.war!WEB-INF/lib/jackson-databind-2.9.10.6.jar"));
    assert!(pkgs.iter().any(|p| p.location() == "/opt/app/maven.war" && p.name == "com.example:web-app"));
}

/// trivy's analyzer-level fixtures carry the real file names (`yarn.lock`, `METADATA`,
/// `node_modules/x/package.json`), so they go through the path-based glue, [`parse_file`]: the
/// format is chosen from the path alone. Python metadata outside a site-packages directory is
/// placed in one (`usr/lib/python3/site-packages/...`), as it would be in an image.
const THROUGH_GLUE: &[(&str, &[&str])] = &[
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/dotnet/deps/testdata/datacollector.deps.json",
        &["Microsoft.VisualStudio.TestPlatform.Common 17.2.0-release-20220408-11", "Newtonsoft.Json 9.0.1"],
    ),
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/dotnet/nuget/testdata/lock/packages.lock.json",
        &["Newtonsoft.Json 12.0.3", "NuGet.Frameworks 5.7.0"],
    ),
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/java/jar/testdata/test.par",
        &["com.example:par-app 3.0.0", "com.fasterxml.jackson.core:jackson-core 2.9.10"],
    ),
    ("pkgdb-trivy/pkg/fanal/analyzer/language/java/jar/testdata/test.war", MAVEN_WEB_APP),
    ("pkgdb-trivy/pkg/fanal/analyzer/language/nodejs/npm/testdata/happy/node_modules/ms/package.json", &["ms 2.1.1"]),
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/nodejs/npm/testdata/happy/package-lock.json",
        &[
            "@babel/parser 7.23.6",
            "ansi-colors 3.2.3",
            "array-flatten 1.1.1",
            "body-parser 1.18.3",
            "debug 2.6.9",
            "express 4.16.4",
            "ms 2.0.0",
            "ms 2.1.1",
        ],
    ),
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/nodejs/pnpm/testdata/happy-v9/node_modules/vue-router/package.json",
        &["vue-router 4.5.1"],
    ),
    ("pkgdb-trivy/pkg/fanal/analyzer/language/nodejs/pnpm/testdata/happy-v9/pnpm-lock.yaml", &["vue-router 4.5.1"]),
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/nodejs/pnpm/testdata/happy/node_modules/.pnpm/ms@2.1.3/node_modules/ms/package.json",
        &["ms 2.1.3"],
    ),
    ("pkgdb-trivy/pkg/fanal/analyzer/language/nodejs/pnpm/testdata/happy/pnpm-lock.yaml", &["ms 2.1.3"]),
    ("pkgdb-trivy/pkg/fanal/analyzer/language/nodejs/yarn/testdata/happy/yarn.lock", YARN_HAPPY),
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/nodejs/yarn/testdata/latest-version/yarn.lock",
        &["debug 4.3.5", "js-tokens 9.0.0", "ms 2.1.2"],
    ),
    ("pkgdb-trivy/pkg/fanal/analyzer/language/nodejs/yarn/testdata/no-packagejson/yarn.lock", YARN_HAPPY),
    ("pkgdb-trivy/pkg/fanal/analyzer/language/nodejs/yarn/testdata/wrong-packagejson/yarn.lock", &["js-tokens 2.0.0"]),
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/nodejs/yarn/testdata/yarn-classic-licenses/yarn.lock",
        &[
            "@babel/parser 7.22.7",
            "@vue/compiler-sfc 2.7.14",
            "nanoid 3.3.6",
            "picocolors 1.0.0",
            "postcss 8.4.27",
            "source-map 0.6.1",
            "source-map-js 1.0.2",
        ],
    ),
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/php/composer/testdata/composer/happy/composer.lock",
        &["pear/log 1.13.3", "pear/pear_exception v1.0.2"],
    ),
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/php/composer/testdata/composer/no-composer-json/composer.lock",
        &["pear/log 1.13.3", "pear/pear_exception v1.0.2"],
    ),
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/php/composer/testdata/composer/with-dev/composer.lock",
        &["pear/log 1.14.6", "pear/pear_exception v1.0.2", "psr/log 1.1.4"],
    ),
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/php/composer/testdata/composer/wrong-composer-json/composer.lock",
        &["pear/log 1.13.3", "pear/pear_exception v1.0.2"],
    ),
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/python/packaging/testdata/classifier-license-dist/setuptools-51.3.3.dist-info/METADATA",
        &["setuptools 51.3.3"],
    ),
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/python/packaging/testdata/classifier-license-egg/setuptools-51.3.3.egg-info/PKG-INFO",
        &["setuptools 51.3.3"],
    ),
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/python/packaging/testdata/egg-zip-with-license-file/sample_package.egg",
        &["sample_package 0.1"],
    ),
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/python/packaging/testdata/egg-zip/kitchen-1.2.6-py2.7.egg",
        &["kitchen 1.2.6"],
    ),
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/python/packaging/testdata/happy-dist/distlib-0.3.1.dist-info/METADATA",
        &["distlib 0.3.1"],
    ),
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/python/packaging/testdata/happy-egg/distlib-0.3.1.egg-info/PKG-INFO",
        &["distlib 0.3.1"],
    ),
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/python/packaging/testdata/license-file-dist/typing_extensions-4.4.0.dist-info/METADATA",
        &["typing_extensions 4.4.0"],
    ),
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/python/pip/testdata/happy/requirements.txt",
        &["Flask 2.0.0", "annotated-types 0.7.0", "click 8.0.0", "itsdangerous 2.0.0"],
    ),
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/python/pip/testdata/libs/common-dir/lib/site-packages/Flask-2.0.0.dist-info/METADATA",
        &["Flask 2.0.0"],
    ),
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/python/pip/testdata/libs/python-dir/lib/python3.10/site-packages/Flask-2.0.0.dist-info/METADATA",
        &["Flask 2.0.0"],
    ),
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/python/poetry/testdata/happy-v2/poetry.lock",
        &[
            "atomicwrites 1.4.1",
            "attrs 25.1.0",
            "click 8.1.8",
            "colorama 0.4.6",
            "flask 1.0.3",
            "itsdangerous 2.2.0",
            "jinja2 3.1.5",
            "markupsafe 3.0.2",
            "more-itertools 10.6.0",
            "packaging 24.2",
            "pluggy 0.13.1",
            "py 1.11.0",
            "pytest 5.4.3",
            "ruff 0.8.3",
            "wcwidth 0.2.13",
            "werkzeug 3.1.3",
        ],
    ),
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/python/poetry/testdata/happy/poetry.lock",
        &[
            "certifi 2022.12.7",
            "charset-normalizer 2.1.1",
            "click 7.1.2",
            "flask 1.1.4",
            "idna 3.4",
            "itsdangerous 1.1.0",
            "jinja2 2.11.3",
            "markupsafe 2.1.2",
            "requests 2.28.1",
            "urllib3 1.26.14",
            "werkzeug 1.0.1",
        ],
    ),
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/python/poetry/testdata/no-pyproject/poetry.lock",
        &["click 8.1.3", "colorama 0.4.6"],
    ),
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/python/poetry/testdata/optional-groups/poetry.lock",
        &["click 8.1.3", "colorama 0.4.6"],
    ),
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/python/poetry/testdata/with-groups/poetry.lock",
        &[
            "anyio 4.7.0",
            "certifi 2024.12.14",
            "charset-normalizer 3.4.0",
            "colorama 0.4.6",
            "exceptiongroup 1.2.2",
            "h11 0.14.0",
            "httpcore 1.0.7",
            "httpx 0.28.1",
            "idna 3.10",
            "iniconfig 2.0.0",
            "mypy-extensions 1.0.0",
            "packaging 24.2",
            "pluggy 1.5.0",
            "pytest 8.3.4",
            "requests 2.32.3",
            "ruff 0.8.3",
            "sniffio 1.3.1",
            "socksio 1.0.0",
            "tomli 2.2.1",
            "typing-extensions 4.12.2",
            "typing-inspect 0.9.0",
            "urllib3 2.2.3",
        ],
    ),
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/python/poetry/testdata/wrong-pyproject/poetry.lock",
        &["click 8.1.3", "colorama 0.4.6"],
    ),
    // the alias rewrite case: `test 1.0.0` is the root project from package.json, which a
    // lockfile analyzer does not report
    (
        "pkgdb-trivy/pkg/fanal/analyzer/language/nodejs/yarn/testdata/alias/yarn.lock",
        &[
            "@types/jsonstream 0.8.33",
            "@types/node 20.10.5",
            "@types/uuid 9.0.7",
            "debug 4.3.4",
            "ms 2.1.2",
            "ms 2.1.3",
            "undici-types 5.26.5",
        ],
    ),
];

#[test]
fn analyzer_fixtures_through_the_path_glue() {
    let mut failures = Vec::new();
    for (rel, want) in THROUGH_GLUE {
        let bytes = read(rel);
        let (path, result) = match parse_file(rel, &bytes) {
            Some(r) => ((*rel).to_owned(), r),
            None => {
                let fake = format!("usr/lib/python3/site-packages/{rel}");
                let r = parse_file(&fake, &bytes).unwrap_or_else(|| panic!("no format wants {rel}"));
                (fake, r)
            }
        };
        let (pkgs, diags) = result;
        let got: BTreeSet<String> = pkgs.iter().map(|p| format!("{} {}", p.name, p.version)).collect();
        let want: BTreeSet<String> = want.iter().map(|s| (*s).to_owned()).collect();
        if got != want {
            failures.push(format!("{rel}\n  want {want:?}\n  got  {got:?}\n  diags {diags:?}"));
        }
        let loc = format!("/{path}");
        assert!(pkgs.iter().all(|p| p.location().starts_with(&loc)), "{rel}: locations");
    }
    assert!(failures.is_empty(), "{} fixtures differ:\n{}", failures.len(), failures.join("\n"));
}
