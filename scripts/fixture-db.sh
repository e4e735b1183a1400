#!/usr/bin/env bash
# Builds a vulnerability database from the real feeds in ../shared/fixtures (OSV for Go, Rust,
# PyPI, AlmaLinux and samples, GHSA, the Debian DSA/DLA lists and tracker JSON, Alpine secdb,
# NVD, KEV, EPSS): the offline database of the demo and the benchmarks.
#   scripts/fixture-db.sh DB_PATH [MICROSCANNER_BINARY]
set -euo pipefail
db=$1
bin=${2:-./target/release/microscanner}
cd "$(dirname "$0")/.."
F=../shared/fixtures
V=$F/feeds-vuls-data-update-fixtures/pkg/fetch
U=$F/feeds-vunnel-fixtures/tests/unit/providers
"$bin" --quiet db build --db "$db" \
  --from $F/osv-go-vulndb --from $F/osv-rustsec --from $F/osv-pypi-pypa/json --from $F/osv-almalinux \
  --from $F/osv-samples --from $F/osv-ghsa-subset \
  --from $F/debian-security-tracker/CVEDB-mirror/data/DSA/list --from $F/debian-security-tracker/CVEDB-mirror/data/DLA/list \
  --from $U/debian/test-fixtures/input/debian.json --from $F/alpine-secdb \
  --from $U/nvd/test-fixtures/full-page.json --from $F/feeds-osv-dev-testdata/vulnfeeds/test_data/nvdcve-2.0 \
  --from $F/kev-cisa/known_exploited_vulnerabilities.json --from $V/epss/testdata/fixtures
