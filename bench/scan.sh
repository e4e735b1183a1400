#!/usr/bin/env bash
# Speed and memory of `microscanner scan` and `microscanner sbom` against the physical floor:
# `gzip -dc` over the same layer blobs. One run each, warm page cache, prints a table. The scan
# uses a database built from ../shared/fixtures (scripts/fixture-db.sh). Also checks that peak RSS
# does not grow with layer size (a 1 GiB layer vs debian12-app). The cold runs pass --no-cache;
# the warm scan reads every layer from a layer cache filled by one run before (target < 0.1 s);
# four scans at once on one empty cache share the work (each layer analysed once).
# With the local registry of scripts/registry.sh running, also a cold scan pulled from it
# (registry:127.0.0.1:5000/demo/debian12-app) against curl | gzip -dc of the same blobs.
#   bash bench/scan.sh            (images from $MICROSCANNER_IMAGES or target/images)
set -euo pipefail
cd "$(dirname "$0")/.."
images="${MICROSCANNER_IMAGES:-$PWD/target/images}"
oci="$images/debian12-app/oci"
[ -f "$oci/index.json" ] || { echo "no image at $oci: run scripts/test.sh or make-images.sh first" >&2; exit 1; }
cargo build --release --locked -p microscanner-cli >&2
bin=./target/release/microscanner
manifest=$(python3 -c "import json,sys;print(json.load(open('$oci/index.json'))['manifests'][0]['digest'].split(':')[1])")
layers=$(python3 -c "import json;m=json.load(open('$oci/blobs/sha256/$manifest'));print(' '.join(l['digest'].split(':')[1] for l in m['layers']))")
blobs=$(for l in $layers; do printf '%s ' "$oci/blobs/sha256/$l"; done)
cat $blobs >/dev/null # warm the cache
measure() { # label, command...
  local label=$1; shift
  /usr/bin/time -f '%e %M' -o /tmp/bench-time "$@" >/dev/null 2>/tmp/bench-err || { cat /tmp/bench-err >&2; exit 1; }
  read -r wall rss </tmp/bench-time
  printf '%-46s %8s s %10s KiB\n' "$label" "$wall" "$rss" >&2
  echo "$wall"
}
echo "image: debian12-app ($(echo $layers | wc -w) gzip layers), $(nproc) cores"
gz=$(measure "gzip -dc layer blobs" sh -c "gzip -dc $blobs")
db=$(mktemp -d)/microscanner.db
bash scripts/fixture-db.sh "$db" "$bin"
sc=$(measure "microscanner scan oci: (json, fixture db)" $bin scan "oci:$oci" --db "$db" --format json -c --no-cache)
ms=$(measure "microscanner sbom oci: (all analyzers)" $bin sbom "oci:$oci" --format cyclonedx --no-cache)
measure "microscanner sbom docker-archive:" $bin sbom "docker-archive:$images/debian12-app/docker-archive.tar" --format json --no-cache >/dev/null
layer_cache=$(mktemp -d)
MICROSCANNER_CACHE_DIR="$layer_cache" $bin scan "oci:$oci" --db "$db" --format json -c >/dev/null # fill the cache
warm=$(MICROSCANNER_CACHE_DIR="$layer_cache" measure "microscanner scan oci: warm layer cache" $bin scan "oci:$oci" --db "$db" --format json -c)
rm -rf "$layer_cache"
# Four scans started together on one empty cache (a CI matrix on one image): each layer is
# analysed once, the others wait for its entry, so the four cost about one cold scan.
layer_cache=$(mktemp -d)
four=$(MICROSCANNER_CACHE_DIR="$layer_cache" measure "4 concurrent scans, one empty layer cache" sh -c \
  "for i in 1 2 3 4; do $bin scan oci:$oci --db $db --format json -c >/dev/null & done; wait")
rm -rf "$layer_cache"
registry="${MICROSCANNER_TEST_REGISTRY:-127.0.0.1:5000}"
if curl -sf -o /dev/null "http://$registry/v2/"; then
  urls=$(for l in $layers; do printf '%s ' "http://$registry/v2/demo/debian12-app/blobs/sha256:$l"; done)
  pull=$(measure "curl | gzip -dc (registry blobs)" sh -c "for u in $urls; do curl -sfL \$u | gzip -dc; done")
  reg=$(measure "microscanner scan registry: (cold, no cache)" $bin scan "registry:$registry/demo/debian12-app:latest" --insecure --db "$db" --format json -c --no-cache)
  python3 -c "print(f'cold registry scan: {float(\"$reg\"):.2f} s vs curl | gzip -dc {float(\"$pull\"):.2f} s (ratio {float(\"$reg\")/float(\"$pull\"):.2f})')"
else
  echo "no registry at $registry (bash scripts/registry.sh): registry case skipped" >&2
fi
python3 -c "print(f'4 concurrent cold scans on one cache: {float(\"$four\"):.2f} s vs one cold scan {float(\"$sc\"):.2f} s')"
python3 -c "print(f'warm scan with the layer cache: {float(\"$warm\"):.2f} s vs {float(\"$sc\"):.2f} s cold (target < 0.1)')"
python3 -c "print(f'ratio sbom / gzip -dc: {float(\"$ms\")/float(\"$gz\"):.2f}, scan / gzip -dc: {float(\"$sc\")/float(\"$gz\"):.2f} (target <= 1.2)')"
# RSS must not grow with layer size: a single 1 GiB file in one gzip layer.
big=$(mktemp -d)
trap 'rm -rf "$big" "$(dirname "$db")"' EXIT
python3 - "$big" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
d = sys.argv[1]; os.makedirs(f"{d}/blobs/sha256")
class Zeros(io.RawIOBase):
    def __init__(self, n): self.n = n
    def readinto(self, b):
        k = min(len(b), self.n); b[:k] = bytes(k); self.n -= k; return k
raw = f"{d}/layer.tar"
with tarfile.open(raw, "w") as t:
    for name, size in [("data/zeros.bin", 1 << 30), ("var/lib/dpkg/status", 0)]:
        info = tarfile.TarInfo(name); info.size = size; t.addfile(info, Zeros(size))
def sha(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for c in iter(lambda: f.read(1 << 20), b""): h.update(c)
    return h.hexdigest()
diff_id = sha(raw)
gz = f"{d}/layer.tar.gz"
with open(raw, "rb") as src, gzip.open(gz, "wb", compresslevel=1) as dst:
    for c in iter(lambda: src.read(1 << 20), b""): dst.write(c)
os.remove(raw)
def put(b):
    h = hashlib.sha256(b).hexdigest(); open(f"{d}/blobs/sha256/{h}", "wb").write(b); return h, len(b)
lh = sha(gz); os.rename(gz, f"{d}/blobs/sha256/{lh}")
cfg = json.dumps({"os": "linux", "architecture": "amd64", "rootfs": {"type": "layers", "diff_ids": [f"sha256:{diff_id}"]}}).encode()
ch, cl = put(cfg)
man = json.dumps({"schemaVersion": 2, "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": f"sha256:{ch}", "size": cl},
  "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": f"sha256:{lh}", "size": os.path.getsize(f"{d}/blobs/sha256/{lh}")}]}).encode()
mh, ml = put(man)
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": f"sha256:{mh}", "size": ml}]}, open(f"{d}/index.json", "w"))
open(f"{d}/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
PY
measure "microscanner sbom, one 1 GiB layer" $bin sbom "oci:$big" --format json --no-cache >/dev/null
