#!/usr/bin/env bash
# Database benchmarks (issue 6): build time and file size over every fixture feed, and
# (ecosystem, name) lookups per second.
#   bench/db-bench.sh            # library benchmark (criterion) + end-to-end `microscanner db build`
# Fixtures are read in place from ../shared/fixtures.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== library: cargo bench -p microscanner-feeds --bench db"
cargo bench -p microscanner-feeds --bench db 2>/dev/null | grep -E '^(db |lookup keys|vulndb/|  +time|  +thrpt)' || true

echo "== end to end: microscanner db build (release binary)"
cargo build --release -p microscanner-cli --bin microscanner 2>/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
start=$(date +%s.%N)
bash scripts/fixture-db.sh "$out/microscanner.db"
end=$(date +%s.%N)
printf 'db build (cli, release): %.2f s, %s bytes\n' "$(echo "$end - $start" | bc)" "$(stat -c %s "$out/microscanner.db")"
start=$(date +%s.%N)
./target/release/microscanner db export --db "$out/microscanner.db" "$out/db.tar.zst" 2>/dev/null
end=$(date +%s.%N)
printf 'db export: %.2f s, %s bytes compressed\n' "$(echo "$end - $start" | bc)" "$(stat -c %s "$out/db.tar.zst")"
