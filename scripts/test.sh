#!/usr/bin/env bash
# The whole test suite: unit, integration and the acceptance tier (real images from
# ../shared/tools/make-images.sh, built by scripts/images.sh if missing; that needs root and about 4 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
export MICROSCANNER_IMAGES="${MICROSCANNER_IMAGES:-$PWD/target/images}"
bash scripts/images.sh
cargo test --workspace --locked --no-fail-fast "$@"
