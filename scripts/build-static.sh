#!/usr/bin/env bash
# Builds the static x86_64 Linux binary for the in-image mode (docs/in-image.md): one file that
# runs in any image, glibc (Debian), musl (Alpine), distroless or scratch.
#
#   bash scripts/build-static.sh      ->  target/static/microscanner (stripped)
#                                         target/static/microscanner.sha256 (sha256sum format)
#
# The musl target is not installable here (no rustup targets), so this links the gnu target with
# glibc's static C runtime (`-C target-feature=+crt-static`: a static-pie executable, no
# interpreter, no shared libraries). Nothing on the client path needs glibc's NSS at run time:
# TLS is rustls (aws-lc-rs), the CA roots are read from the image when it has them, and names are
# resolved by hickory (reqwest's `hickory-dns` feature) from /etc/hosts and /etc/resolv.conf, never
# by getaddrinfo. Random numbers come from the getrandom system call through the static libc
# (`getrandom_backend="linux_getrandom"`): the getrandom crate's default looks the function up with
# dlsym, which finds nothing in a static binary, and falls back to /dev/urandom, absent from a bare
# chroot. The flags go in CARGO_TARGET_<triple>_RUSTFLAGS with an explicit --target, so build
# scripts and proc macros stay dynamic host programs and the host build's cache is untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
triple=x86_64-unknown-linux-gnu
[ "$(uname -m)" = x86_64 ] || { echo "error: this builds the x86_64 binary on an x86_64 host" >&2; exit 1; }
out=target/static
export CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUSTFLAGS="-C target-feature=+crt-static --cfg getrandom_backend=\"linux_getrandom\" ${MICROSCANNER_STATIC_RUSTFLAGS:-}"
unset RUSTFLAGS
cargo build --profile in-image --locked --target "$triple" -p microscanner-cli --bin microscanner
mkdir -p "$out"
bin=target/$triple/in-image/microscanner
# the release profile strips symbols already; strip again in case a profile override kept them
cp "$bin" "$out/microscanner.tmp"
strip --strip-all "$out/microscanner.tmp" 2>/dev/null || true
chmod 0755 "$out/microscanner.tmp"
mv -f "$out/microscanner.tmp" "$out/microscanner"
# refuse a binary that is not static: it would fail in scratch and distroless images
if readelf -l "$out/microscanner" | grep -q 'Requesting program interpreter'; then
  echo "error: $out/microscanner has a program interpreter: not static" >&2
  exit 1
fi
if readelf -d "$out/microscanner" 2>/dev/null | grep -q '(NEEDED)'; then
  echo "error: $out/microscanner needs shared libraries:" >&2
  readelf -d "$out/microscanner" | grep '(NEEDED)' >&2
  exit 1
fi
(cd "$out" && sha256sum microscanner > microscanner.sha256)
size=$(stat -c %s "$out/microscanner")
echo "$out/microscanner: $size bytes ($(( (size + 524288) / 1048576 )) MiB), $(file -b "$out/microscanner" 2>/dev/null | cut -d, -f1-2 || true)"
echo "sha256: $(cut -d' ' -f1 "$out/microscanner.sha256")"
