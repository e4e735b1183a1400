#!/usr/bin/env bash
# Makes sure the real test images from ../shared/tools/make-images.sh exist at
# $MICROSCANNER_IMAGES (default: target/images), building them when any is missing (needs root,
# about 4 minutes). podman refuses a --runroot longer than 50 characters, and make-images.sh puts
# it under its output directory, so the images are built in a short directory
# ($MICROSCANNER_IMAGES_BUILD, default /var/tmp/ms-images) and linked from target/images.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGES="${MICROSCANNER_IMAGES:-$PWD/target/images}"
BUILD="${MICROSCANNER_IMAGES_BUILD:-/var/tmp/ms-images}"
have_images() {
  for f in debian12-app/oci/index.json debian12-app/oci-archive.tar debian11-app/docker-archive.tar \
           podman-app/oci-archive.tar; do
    [ -f "$1/$f" ] || return 1
  done
}
have_images "$IMAGES" && exit 0
if ! have_images "$BUILD"; then
  echo "building the test images into $BUILD (needs root)..." >&2
  mkdir -p "$BUILD"
  KEEP_WORK=1 WITH_BENCH=0 WITH_REGISTRY=0 bash ../shared/tools/make-images.sh "$BUILD"
  # the podman image is the one most sensitive to the machine: show why when it was not built
  if [ ! -f "$BUILD/podman-app/oci-archive.tar" ]; then
    for f in "$BUILD"/.work/podman-build-*.log; do
      [ -f "$f" ] && { echo "--- $f"; tail -n 40 "$f"; } >&2
    done
  fi
  rm -rf "$BUILD/.work"
fi
if [ "$(realpath -m "$IMAGES")" != "$(realpath -m "$BUILD")" ]; then
  mkdir -p "$(dirname "$IMAGES")"
  rm -rf "$IMAGES"
  ln -s "$BUILD" "$IMAGES"
fi
have_images "$IMAGES" || { echo "error: test images missing under $IMAGES after the build" >&2; exit 1; }
