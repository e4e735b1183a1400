#!/usr/bin/env bash
# The in-image scan: wall time and peak memory (/usr/bin/time -v) of the static binary scanning
# debian12-app's root filesystem from inside it, as `RUN /microscanner --db /db` does in a build:
# a chroot of the unpacked image (umoci) in a mount namespace of its own with /proc, /sys and /dev
# mounted as a container runtime mounts them, against the local database of
# scripts/fixture-db.sh. Also the same scan from outside (`scan dir:ROOTFS`, no chroot).
# Targets: under 0.5 s and under 64 MiB. Needs root (chroot, mount), umoci, the test images.
#   bash bench/in-image.sh [RUNS]          (default 5 runs of each; median wall, highest RSS)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
images="${MICROSCANNER_IMAGES:-$PWD/target/images}"
oci="$images/debian12-app/oci"
[ -f "$oci/index.json" ] || { echo "no image at $oci: run scripts/images.sh first" >&2; exit 1; }
bin=target/static/microscanner
[ -x "$bin" ] || bash scripts/build-static.sh >&2
work=target/bench/in-image
mkdir -p "$work"
db="$work/microscanner.db"
[ -f "$db" ] || bash scripts/fixture-db.sh "$db" "$bin"
tag=$(python3 -c "import json;print(json.load(open('$oci/index.json'))['manifests'][0].get('annotations',{}).get('org.opencontainers.image.ref.name','latest'))")
root="$work/debian12-app"
if [ ! -f "$root/rootfs/var/lib/dpkg/status" ]; then
  rm -rf "$root"
  umoci unpack --image "$oci:$tag" "$root" >/dev/null
fi
rootfs=$(realpath "$root/rootfs")
cp "$bin" "$rootfs/microscanner"
cp "$db" "$rootfs/db"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# measure LABEL EXPECTED_EXIT COMMAND...: runs it $runs times; prints median wall and max RSS
measure() {
  local label=$1 expected=$2; shift 2
  local walls=() rss=0 code
  for _ in $(seq "$runs"); do
    code=0
    /usr/bin/time -v -o "$tmp/time" "$@" >"$tmp/out" 2>"$tmp/err" || code=$?
    if [ "$code" != "$expected" ]; then
      echo "error: $label exited $code (expected $expected)" >&2
      cat "$tmp/err" >&2
      exit 1
    fi
    walls+=("$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,p,":"); s=0; for(i=1;i<=n;i++) s=s*60+p[i]; print s}' "$tmp/time")")
    r=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tmp/time")
    [ "$r" -gt "$rss" ] && rss=$r
  done
  median=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  awk -v l="$label" -v w="$median" -v r="$rss" 'BEGIN {printf "%-58s %6.2f s %8.1f MiB\n", l, w, r / 1024}'
  echo "$median $rss" >"$tmp/last"
}

size=$(stat -c %s "$bin")
awk -v b="$bin" -v s="$size" -v n="$(nproc)" 'BEGIN {printf "static binary: %s, %d bytes (%.1f MiB), %d cores\n", b, s, s / 1048576, n}'
echo "packages in the root: $(grep -c '^Package:' "$rootfs/var/lib/dpkg/status") dpkg, plus language packages"
# -c: the verdict (exit 4 without it) is not what is measured
in_chroot='mount -t proc proc "$1/proc" && mount -t sysfs sysfs "$1/sys" && mount --rbind /dev "$1/dev" && exec chroot "$1" /microscanner --db /db -c'
measure "in the image: chroot, /proc /sys /dev mounted, --db /db" 0 \
  unshare --mount --propagation private sh -c "$in_chroot" sh "$rootfs"
read -r wall rss <"$tmp/last"
measure "from outside: scan dir:ROOTFS --format microscanner" 0 \
  "$bin" --db "$db" scan "dir:$rootfs" --format microscanner --no-cache -c
python3 - "$wall" "$rss" <<'EOF'
import sys
wall, rss = float(sys.argv[1]), int(sys.argv[2]) / 1024
print(f"in-image scan: {wall:.2f} s (target < 0.5: {'ok' if wall < 0.5 else 'MISSED'}), "
      f"{rss:.1f} MiB peak (target < 64: {'ok' if rss < 64 else 'MISSED'})")
EOF
rm -f "$rootfs/microscanner" "$rootfs/db"
