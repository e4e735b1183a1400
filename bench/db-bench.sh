#!/usr/bin/env bash
# Database benchmarks (issue 6): build time and file size over every fixture feed, and
# (ecosystem, name) lookups per second.
#   bench/db-bench.sh            # library benchmark (criterion) + end-to-end `microscanner db build`
# Fixtures are read in place from ../shared/fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."
F=../shared/fixtures
V=$F/feeds-vuls-data-update-fixtures/pkg/fetch
U=$F/feeds-vunnel-fixtures/tests/unit/providers

echo "== library: cargo bench -p microscanner-feeds --bench db"
cargo bench -p microscanner-feeds --bench db 2>/dev/null | grep -E '^(db |lookup keys|vulndb/|  +time|  +thrpt)' || true

echo "== end to end: microscanner db build (release binary)"
cargo build --release -p microscanner-cli --bin microscanner 2>/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
start=$(date +%s.%N)
./target/release/microscanner --quiet db build --db "$out/microscanner.db" \
  --from $F/osv-go-vulndb --from $F/osv-rustsec --from $F/osv-pypi-pypa/json --from $F/osv-almalinux \
  --from $F/osv-samples --from $F/osv-ghsa-subset \
  --from $F/debian-security-tracker/CVEDB-mirror/data/DSA/list --from $F/debian-security-tracker/CVEDB-mirror/data/DLA/list \
  --from $U/debian/test-fixtures/input/debian.json --from $F/alpine-secdb \
  --from $U/nvd/test-fixtures/full-page.json --from $F/feeds-osv-dev-testdata/vulnfeeds/test_data/nvdcve-2.0 \
  --from $F/kev-cisa/known_exploited_vulnerabilities.json --from $V/epss/testdata/fixtures
end=$(date +%s.%N)
printf 'db build (cli, release): %.2f s, %s bytes\n' "$(echo "$end - $start" | bc)" "$(stat -c %s "$out/microscanner.db")"
start=$(date +%s.%N)
./target/release/microscanner db export --db "$out/microscanner.db" "$out/db.tar.zst" 2>/dev/null
end=$(date +%s.%N)
printf 'db export: %.2f s, %s bytes compressed\n' "$(echo "$end - $start" | bc)" "$(stat -c %s "$out/db.tar.zst")"
