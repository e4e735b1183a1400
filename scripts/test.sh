#!/usr/bin/env bash
# The whole test suite: unit, integration and the acceptance tier (real images from
# ../shared/tools/make-images.sh, built here if missing; that needs root and about 6 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
export MICROSCANNER_IMAGES="${MICROSCANNER_IMAGES:-$PWD/target/images}"
have_images() {
  for f in debian12-app/oci/index.json debian11-app/docker-archive.tar podman-app/oci-archive.tar; do
    [ -f "$MICROSCANNER_IMAGES/$f" ] || return 1
  done
}
if ! have_images; then
  echo "building the test images into $MICROSCANNER_IMAGES (needs root)..." >&2
  WITH_BENCH=0 WITH_REGISTRY=0 bash ../shared/tools/make-images.sh "$MICROSCANNER_IMAGES"
fi
cargo test --workspace --locked --no-fail-fast "$@"
