#!/usr/bin/env bash
# Builds microscanner and runs its main job on a real image: `microscanner scan` of debian12-app
# (built by scripts/images.sh if missing; that needs root) against a database built from the
# real feeds in ../shared/fixtures. Prints the table on stderr-free stdout and writes the JSON
# report and the CycloneDX SBOM under target/.
set -euo pipefail
cd "$(dirname "$0")/.."
export MICROSCANNER_IMAGES="${MICROSCANNER_IMAGES:-$PWD/target/images}"
bash scripts/images.sh
cargo build --release --locked -p microscanner-cli
db=target/demo/microscanner.db
mkdir -p target/demo
[ -f "$db" ] || bash scripts/fixture-db.sh "$db"
image="oci:$MICROSCANNER_IMAGES/debian12-app/oci"
# As a pipeline runs it: the image has high findings, so the scan exits 4 and the build stops.
status=0
./target/release/microscanner scan "$image" --db "$db" --format table || status=$?
echo "demo: microscanner exited $status (4: findings at or above --fail-on high; a docker build or CI job stops here)" >&2
[ "$status" -eq 4 ] || { echo "demo: expected exit 4 on debian12-app with the fixture feeds" >&2; exit 1; }
# --continue-on-failure (-c) reports the same findings and exits 0.
./target/release/microscanner scan "$image" --db "$db" --format json --output target/demo/debian12-app.report.json \
  --continue-on-failure
./target/release/microscanner sbom "$image" --format cyclonedx --output target/demo/debian12-app.cdx.json
echo "wrote target/demo/debian12-app.report.json and target/demo/debian12-app.cdx.json" >&2
