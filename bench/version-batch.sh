#!/usr/bin/env bash
# Times `microscanner version compare dpkg --batch` on one million pairs of real Debian versions
# (from the Debian security tracker's DSA/DLA lists and the dpkg/APT test vectors in
# ../shared/fixtures). The target is under 2 seconds for 1,000,000 pairs in a release build.
#
#   bench/version-batch.sh            # build (if needed) and time; exits 1 above the limit
#   N=200000 LIMIT=1 bench/version-batch.sh
#   MICROSCANNER=/path/to/microscanner bench/version-batch.sh
set -euo pipefail

cd "$(dirname "$0")/.."
N=${N:-1000000}
LIMIT=${LIMIT:-2}
BIN=${MICROSCANNER:-target/release/microscanner}
FIXTURES=${FIXTURES:-../shared/fixtures}

if [[ -z ${MICROSCANNER:-} ]]; then
    cargo build --release --quiet -p microscanner-cli
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

{
    awk '$2 == "-" && $4 ~ /^[0-9]/ { print $4 }' \
        "$FIXTURES/debian-security-tracker/CVEDB-mirror/data/DSA/list" \
        "$FIXTURES/debian-security-tracker/CVEDB-mirror/data/DLA/list"
    grep -hv '^#' "$FIXTURES/version-vectors/apt/versions.lst" "$FIXTURES/version-vectors/dpkg/Dpkg_Version.t.DATA.txt" |
        awk 'NF >= 3 { print $1; print $2 }'
} | grep -v -- '-$' | sort -u > "$work/versions"

awk -v n="$N" 'BEGIN { srand(1) }
    { v[NR] = $0 }
    END { for (i = 0; i < n; i++) print v[int(rand() * NR) + 1] " " v[int(rand() * NR) + 1] }' \
    "$work/versions" > "$work/pairs"

echo "$(wc -l < "$work/versions") distinct versions, $(wc -l < "$work/pairs") pairs ($(du -h "$work/pairs" | cut -f1))"

start=$(date +%s%N)
"$BIN" version compare dpkg --batch < "$work/pairs" > "$work/out"
end=$(date +%s%N)

lines=$(wc -l < "$work/out")
errors=$(grep -c '^error' "$work/out" || true)
less=$(grep -c '^<$' "$work/out" || true)
equal=$(grep -c '^=$' "$work/out" || true)
greater=$(grep -c '^>$' "$work/out" || true)
if [[ $lines -ne $N ]]; then
    echo "expected $N result lines, got $lines" >&2
    exit 1
fi
awk -v ns=$((end - start)) -v n="$N" -v errors="$errors" -v limit="$LIMIT" \
    -v less="$less" -v equal="$equal" -v greater="$greater" 'BEGIN {
    s = ns / 1e9
    printf "%d pairs in %.3f s: %.2f million comparisons/s (%d error lines; < %d, = %d, > %d)\n",
        n, s, n / s / 1e6, errors, less, equal, greater
    exit (s > limit) ? 1 : 0
}' || { echo "slower than ${LIMIT}s" >&2; exit 1; }
