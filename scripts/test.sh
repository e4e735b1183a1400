#!/usr/bin/env bash
# The whole test suite: unit, integration and the acceptance tier (real images from
# ../shared/tools/make-images.sh, built by scripts/images.sh if missing; that needs root and about 4 minutes;
# local registries from scripts/registry.sh; the static binary from scripts/build-static.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export MICROSCANNER_IMAGES="${MICROSCANNER_IMAGES:-$PWD/target/images}"
bash scripts/images.sh
# two local registries (open, basic auth) holding the images, for the registry tests
eval "$(bash scripts/registry.sh | sed 's/^/export /')"
# the static binary the in-image and examples tests run (target/static/microscanner); cargo
# rebuilds it only when a source changed
bash scripts/build-static.sh
cargo test --workspace --locked --no-fail-fast "$@"
