#!/usr/bin/env bash
# The database at full size (issue 20): generates the synthetic feed set of bench/feedgen.py
# (~550k OSV records, 300k NVD CVEs, 300k EPSS rows, KEV, from the real fixture records), builds
# it with the release `microscanner db build`, and reports against the targets:
#   build time < 5 min, peak RSS < 1 GiB, zstd export < 250 MB,
#   matching 10,000 packages < 300 ms and within 2x of the fixture database,
#   a one-day delta (`db export --since`, when this microscanner has it) < 5% of the full export.
#
#   bench/db-scale.sh                 # full size (needs ~10 GB in $TMPDIR or /var/tmp, ~15 min)
#   SCALE=0.1 bench/db-scale.sh       # a tenth
#   SEED=2 KEEP=1 bench/db-scale.sh   # another seed; keep the work directory
#   MICROSCANNER=/path/to/microscanner bench/db-scale.sh   # skip the release build
# Exits 1 when a target is missed at full size (SCALE=1).
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${SCALE:-1}
SEED=${SEED:-1}
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
if [[ -z ${MICROSCANNER:-} ]]; then
    cargo build --release --locked --quiet -p microscanner-cli
fi
bin=${MICROSCANNER:-$target_dir/release/microscanner}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/db-scale.XXXXXX")
[[ -n ${KEEP:-} ]] || trap 'rm -rf "$work"' EXIT
echo "work: $work; scale $SCALE, seed $SEED; $(nproc) cores; load: $(uptime | sed 's/.*load average: //')"

elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
# /usr/bin/time -v fields: wall seconds and peak RSS in KiB.
wall_of() { awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }' "$1"; }
rss_of() { awk -F': ' '/Maximum resident set size/ { print $2 }' "$1"; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
fail=0
check() { # label, ok (1/0)
    if [[ $2 == 1 ]]; then echo "  $1: ok"; else echo "  $1: MISSED"; fail=1; fi
}

t=$(date +%s.%N)
python3 bench/feedgen.py --out "$work/day1" --scale "$SCALE" --seed "$SEED" 2>/dev/null
echo "feed set: $(mib "$(du -sb "$work/day1" | cut -f1)") generated in $(elapsed "$t") s"

/usr/bin/time -v -o "$work/build.time" "$bin" --quiet db build --db "$work/full.db" --from "$work/day1" >"$work/build.out"
build_s=$(wall_of "$work/build.time")
build_rss=$(rss_of "$work/build.time")
db_bytes=$(stat -c %s "$work/full.db")
echo "db build: ${build_s} s, peak RSS $((build_rss / 1024)) MiB, file $(mib "$db_bytes")"
"$bin" --quiet db status --db "$work/full.db" | sed -n '1,40p' | grep -Ei 'advisories|affected|records|size' | head -8 | sed 's/^/  /' || true

t=$(date +%s.%N)
"$bin" --quiet db export --db "$work/full.db" "$work/full.tar.zst"
export_bytes=$(stat -c %s "$work/full.tar.zst")
echo "db export: $(mib "$export_bytes") zstd, in $(elapsed "$t") s"

# Matching: `scan sbom:FILE` of 10,000 packages drawn from the fixture database
# (bench/inventory10k.py), against the fixture database and this one; the report's
# duration_seconds (reading the inventory, matching, the report; no image), best of 3.
# (`MATCH_BENCH_DB=full.db cargo bench -p microscanner-matcher --bench match` times the matching
# alone, the same way.)
bash scripts/fixture-db.sh "$work/fixture.db" "$bin"
python3 bench/inventory10k.py "$work/fixture.db" >"$work/inventory.json"
scan_ms() { # db -> best duration of 3 runs in ms, and the number of findings
    for _ in 1 2 3; do
        "$bin" --quiet scan "sbom:$work/inventory.json" --db "$1" --format json -o "$work/scan.json" || true
        python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(round(d['duration_seconds']*1000), len(d['findings']))" "$work/scan.json"
    done | sort -n | head -1
}
read -r fixture_ms fixture_findings < <(scan_ms "$work/fixture.db")
read -r full_ms full_findings < <(scan_ms "$work/full.db")
echo "scan of 10,000 packages: fixture db ${fixture_ms} ms (${fixture_findings} findings), full-size db ${full_ms} ms (${full_findings} findings)"

delta_note="delta: not available"
if "$bin" db export --help 2>/dev/null | grep -q -- '--since'; then
    python3 bench/feedgen.py --out "$work/day2" --scale "$SCALE" --seed "$SEED" --next-day 2>/dev/null
    "$bin" --quiet db build --db "$work/next.db" --from "$work/day2" >/dev/null
    "$bin" --quiet db export --db "$work/next.db" --since "$work/full.db" "$work/delta.zst"
    delta_bytes=$(stat -c %s "$work/delta.zst")
    delta_note=$(awk -v d="$delta_bytes" -v f="$export_bytes" 'BEGIN { printf "delta (one day: 0.5%% changed, 300 added): %.2f MiB, %.2f%% of the full export", d / 1048576, 100 * d / f }')
fi
echo "$delta_note"

echo "targets (scale $SCALE; sizes and times scale with it):"
check "build < 300 s (${build_s} s)" "$(awk -v s="$build_s" 'BEGIN { print (s < 300) }')"
check "build peak RSS < 1 GiB ($((build_rss / 1024)) MiB)" "$(( build_rss < 1048576 ))"
check "zstd export < 250 MB ($(mib "$export_bytes"))" "$(( export_bytes < 250000000 ))"
check "scan of 10,000 packages, full-size db < 300 ms and < 2x fixture (${full_ms} ms vs ${fixture_ms} ms)" \
    "$(awk -v f="$fixture_ms" -v s="$full_ms" 'BEGIN { print (s < 300 && s < 2 * f) }')"
if [[ -n ${delta_bytes:-} ]]; then
    check "delta < 5% of the full export" "$(awk -v d="$delta_bytes" -v f="$export_bytes" 'BEGIN { print (d < 0.05 * f) }')"
fi
[[ $SCALE == 1 ]] || exit 0
exit "$fail"
