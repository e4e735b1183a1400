#!/usr/bin/env bash
# Builds microscanner and runs its main job on a real image: the SBOM of debian12-app
# (built by ../shared/tools/make-images.sh if missing; that needs root).
set -euo pipefail
cd "$(dirname "$0")/.."
images="${MICROSCANNER_IMAGES:-$PWD/target/images}"
if [ ! -f "$images/debian12-app/oci/index.json" ]; then
  WITH_BENCH=0 WITH_REGISTRY=0 IMAGES=debian12-app WITH_PODMAN=0 bash ../shared/tools/make-images.sh "$images"
fi
cargo build --release --locked -p microscanner-cli
out=target/debian12-app.cdx.json
./target/release/microscanner sbom "oci:$images/debian12-app/oci" --format cyclonedx --output "$out"
echo "wrote $out: $(grep -c '"purl"' "$out") components" >&2
