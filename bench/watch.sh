#!/usr/bin/env bash
# Watch benchmark (issue 17): re-evaluating 1,000 remembered inventories against the fixture
# database, end to end through `microscanner watch run` (no notification).
#   bench/watch.sh [N [PACKAGES]]   # N remembered inventories (default 1000), each cut to its
#                                   # last PACKAGES packages (default: all of debian12-app's, 252)
# The inventory is debian12-app's (the test image of ../shared/tools/make-images.sh, found in
# $MICROSCANNER_IMAGES or target/images), remembered once by `scan --remember` and copied N-1
# times in the store (sqlite3): each copy is matched on its own, nothing is shared between them.
# BIN picks the binary (default: target/release/microscanner, built when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
packages_wanted=${2:-0}
images=${MICROSCANNER_IMAGES:-target/images}
bin=${BIN:-./target/release/microscanner}
if [ ! -x "$bin" ]; then
  cargo build --release -p microscanner-cli --bin microscanner 2>/dev/null
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
export MICROSCANNER_DATA_DIR=$out/data MICROSCANNER_CACHE_DIR=$out/cache
bash scripts/fixture-db.sh "$out/microscanner.db" "$bin"
target="oci:$images/debian12-app/oci"
if [ "$packages_wanted" -gt 0 ]; then
  # the image's inventory (microscanner inventory JSON), cut to its last PACKAGES packages: the
  # language packages, which the fixture database has advisories for (its Debian data has none for
  # bookworm)
  "$bin" --quiet sbom "$target" --format json -o "$out/inventory.json"
  python3 - "$out/inventory.json" "$packages_wanted" <<'PY'
import json, sys
path, n = sys.argv[1], int(sys.argv[2])
doc = json.load(open(path))
doc["packages"] = doc["packages"][-n:]
json.dump(doc, open(path, "w"))
PY
  target="sbom:$out/inventory.json"
fi
"$bin" --quiet --db "$out/microscanner.db" scan "$target" -f json -o /dev/null --fail-on none --remember seed
sqlite3 "$out/data/watch.db" "
  WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < $n - 1)
  INSERT INTO remembered SELECT printf('copy-%04d', i), image, digest, remembered_at, inventory, package_count,
    findings, finding_count, evaluated_at, database_built_at, webhook_url, webhook_format, notify_on,
    delivery_state, delivery_at, delivery_attempts, delivery_error FROM remembered, k WHERE name = 'seed';"
packages=$(sqlite3 "$out/data/watch.db" "SELECT package_count FROM remembered WHERE name = 'seed'")
findings=$(sqlite3 "$out/data/watch.db" "SELECT finding_count FROM remembered WHERE name = 'seed'")
count=$(sqlite3 "$out/data/watch.db" "SELECT count(*) FROM remembered")
start=$(date +%s.%N)
"$bin" --quiet --db "$out/microscanner.db" watch run --no-notify -f json -o "$out/run.json"
end=$(date +%s.%N)
printf 'watch run: %s inventories of %s packages (%s findings each): %.2f s (%s)\n' \
  "$count" "$packages" "$findings" "$(echo "$end - $start" | bc)" "$bin"
