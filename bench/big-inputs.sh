#!/usr/bin/env bash
# Big-but-valid inputs (issue 23): time and peak RSS of the release binary as one count from the
# input grows, at a quarter, a half and all of the target size, so the growth per doubling shows
# (linear: x2). Inputs come from bench/big_inputs.py into a scratch directory:
#   dpkg status of 250,000 stanzas, package-lock of 1,000,000 entries, one layer of 2,000,000
#   files (scans); one advisory of 20,000 range events, one of 4,000 affected entries (db build +
#   scan); an OSV all.zip of 150,000 records, a Debian tracker export of 150,000 CVE entries
#   (db build).
# Targets: linear time; peak RSS under 128 MiB for scans, under 512 MiB for db build.
#   bash bench/big-inputs.sh [KIND...]     (default: every kind; BIG_SCALE=0.1 for a quick look)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -p microscanner-cli >&2

bin=${CARGO_TARGET_DIR:-$PWD/target}/release/microscanner
scale=${BIG_SCALE:-1}
work=$(mktemp -d /var/tmp/ms-big.XXXXXX)
trap 'rm -rf "$work"' EXIT
bash scripts/fixture-db.sh "$work/fixture.db" "$bin"
measure() { # label, command... -> "wall rss_kib" on stdout, a table row on stderr
  local label=$1; shift
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/err" || {
    local rc=$?; [ $rc -le 5 ] || { cat "$work/err" >&2; exit 1; } }
  read -r wall rss <"$work/time"
  printf '%-52s %8s s %9s KiB\n' "$label" "$wall" "$rss" >&2
}
sizes() { python3 -c "import sys;n=float(sys.argv[1])*float(sys.argv[2]);print(*(max(1,int(n*f)) for f in (0.25,0.5,1)))" "$1" "$scale"; }
run_kind() {
  local kind=$1 full=$2
  for n in $(sizes "$full"); do
    local d="$work/$kind-$n"
    python3 bench/big_inputs.py "$d" "$kind" "$n"
    case $kind in
      dpkg|npmlock) measure "scan dir: $kind n=$n" "$bin" scan "dir:$d" --db "$work/fixture.db" --format json --no-cache -c
        # the SBOM formats stream too: a component is made as it is written
        [ "$kind" = npmlock ] || measure "scan dir: $kind n=$n, --format cyclonedx" "$bin" scan "dir:$d" \
          --db "$work/fixture.db" --format cyclonedx --no-cache -c
        [ "$kind" = npmlock ] || measure "sbom dir: $kind n=$n, --format spdx" "$bin" sbom "dir:$d" --format spdx \
          --no-cache ;;
      layer) measure "scan oci: layer of n=$n files" "$bin" scan "oci:$d" --db "$work/fixture.db" --format json --no-cache -c ;;
      events|affected)
        measure "db build: one advisory, $kind n=$n" "$bin" --quiet db build --db "$d/db" --from "$d/feed"
        measure "scan: one advisory, $kind n=$n" "$bin" scan "dir:$d/root" --db "$d/db" --format json --no-cache -c ;;
      allzip) measure "db build: all.zip of n=$n records" "$bin" --quiet db build --db "$d/db" --from "$d/feed" ;;
      debian-tracker) measure "db build: tracker JSON of n=$n CVE entries" "$bin" --quiet db build --db "$d/db" --from "$d/feed" ;;
    esac
    rm -rf "$d"
  done
}
declare -A full=([dpkg]=250000 [npmlock]=1000000 [layer]=2000000 [events]=20000 [affected]=4000 [allzip]=150000
  [debian-tracker]=150000)
kinds=("$@"); [ ${#kinds[@]} -gt 0 ] || kinds=(dpkg npmlock layer events affected allzip debian-tracker)
echo "release binary, $(nproc) cores, scale $scale; targets: linear, scans < 131072 KiB, db build < 524288 KiB" >&2
for k in "${kinds[@]}"; do run_kind "$k" "${full[$k]}"; done
