#!/usr/bin/env bash
# Watch benchmark (issue 17): re-evaluating 1,000 remembered inventories against the fixture
# database, end to end through `microscanner watch run` (no notification).
#   bench/watch.sh [N [PACKAGES [copies|distinct]]]
#     N          remembered inventories (default 1000)
#     PACKAGES   each cut to PACKAGES packages (default: all of debian12-app's, 252)
#     copies     (default) the image's inventory, cut to its last PACKAGES packages (the language
#                packages), remembered once by `scan --remember` and copied N-1 times in the store
#                (sqlite3): N identical images, the most a run can share between entries
#     distinct   N different inventories, each a seeded random sample of PACKAGES of the image's
#                packages, each remembered by its own `scan --remember`: a fleet of images on one
#                base, sharing some packages and not others
# The image is debian12-app (the test image of ../shared/tools/make-images.sh, found in
# $MICROSCANNER_IMAGES or target/images). Each entry's result is its own match; what one run
# shares between entries is only what the database says (docs/watch.md, "Performance").
# BIN picks the binary (default: target/release/microscanner, built when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
packages_wanted=${2:-0}
mode=${3:-copies}
case $mode in copies|distinct) ;; *) echo "mode: copies or distinct, not $mode" >&2; exit 2 ;; esac
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
if [ "$mode" = distinct ]; then
  "$bin" --quiet sbom "oci:$images/debian12-app/oci" --format json -o "$out/full.json"
  mkdir -p "$out/fleet"
  python3 - "$out/full.json" "$out/fleet" "$n" "$packages_wanted" <<'PY'
import json, random, sys
path, fleet, n, k = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
doc = json.load(open(path))
everything = doc["packages"]
rng = random.Random(17)
for i in range(n):
    doc["packages"] = rng.sample(everything, min(k, len(everything))) if k > 0 else everything
    json.dump(doc, open(f"{fleet}/{i:04d}.json", "w"))
PY
  for f in "$out"/fleet/*.json; do
    name=$(basename "$f" .json)
    name=$([ "$name" = 0000 ] && echo seed || echo "copy-$name")
    "$bin" --quiet --db "$out/microscanner.db" scan "sbom:$f" -f json -o /dev/null --fail-on none --remember "$name"
  done
else
  "$bin" --quiet --db "$out/microscanner.db" scan "$target" -f json -o /dev/null --fail-on none --remember seed
  sqlite3 "$out/data/watch.db" "
    WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < $n - 1)
    INSERT INTO remembered SELECT printf('copy-%04d', i), image, digest, remembered_at, inventory, package_count,
      findings, finding_count, evaluated_at, database_built_at, webhook_url, webhook_format, notify_on,
      delivery_state, delivery_at, delivery_attempts, delivery_error FROM remembered, k WHERE name = 'seed';"
fi
packages=$(sqlite3 "$out/data/watch.db" "SELECT avg(package_count) FROM remembered")
findings=$(sqlite3 "$out/data/watch.db" "SELECT printf('%.0f', avg(finding_count)) FROM remembered")
count=$(sqlite3 "$out/data/watch.db" "SELECT count(*) FROM remembered")
start=$(date +%s.%N)
"$bin" --quiet --db "$out/microscanner.db" watch run --no-notify -f json -o "$out/run.json"
end=$(date +%s.%N)
printf 'watch run (%s): %s inventories of %s packages (%s findings each, on average): %.2f s (%s)\n' \
  "$mode" "$count" "$packages" "$findings" "$(echo "$end - $start" | bc)" "$bin"
