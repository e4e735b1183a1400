#!/usr/bin/env bash
# Throughput and latency of `microscanner serve`'s scan endpoint: wrk on loopback POSTs a
# 130-package inventory (debian12-app's, cut to 130 packages) with one token, against the SQLite
# store and then against PostgreSQL (initdb into a temporary directory). Targets (2 cores, the
# load generator on the same machine): >= 1,000 scans/s and p99 < 50 ms with SQLite, >= 500/s
# with PostgreSQL. Prints one line per store: scans/s, p50, p99, and non-2xx answers.
#   bash bench/serve.sh [SECONDS]        (needs: wrk, postgresql; images from scripts/images.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-10}
images="${MICROSCANNER_IMAGES:-$PWD/target/images}"
oci="$images/debian12-app/oci"
[ -f "$oci/index.json" ] || { echo "no image at $oci: run scripts/images.sh first" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing (apt-get install wrk)" >&2; exit 1; }
bin=${MICROSCANNER_BIN:-}
if [ -z "$bin" ]; then
  cargo build --release --locked -p microscanner-cli >&2
  bin=./target/release/microscanner
fi
work=$(mktemp -d)
cleanup() {
  [ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null || true
  [ -n "${pg_dir:-}" ] && runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work" "${pg_dir:-}"
}
trap cleanup EXIT
bash scripts/fixture-db.sh "$work/microscanner.db" "$bin"
"$bin" sbom "oci:$oci" --format json --no-cache > "$work/full.json"
python3 - "$work/full.json" "$work/inventory.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["packages"] = doc["packages"][:130]
json.dump(doc, open(sys.argv[2], "w"))
print(f"inventory: {len(doc['packages'])} packages, {len(json.dumps(doc))} bytes", file=sys.stderr)
PY
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')

run() { # label, database-url
  local label=$1 url=$2
  "$bin" --db "$work/microscanner.db" serve --listen "127.0.0.1:$port" --database-url "$url" \
    --daily-quota 100000000 2>"$work/serve.log" &
  serve_pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  token=$("$bin" server token create --email bench@example.com --database-url "$url" --public-url "http://127.0.0.1:$port")
  cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
local f = io.open("$work/inventory.json", "rb")
wrk.body = f:read("*a")
f:close()
LUA
  # warm up, then measure
  wrk -t1 -c4 -d2s -s "$work/post.lua" "http://127.0.0.1:$port/api/v1/scan" >/dev/null
  wrk -t2 -c16 -d"${seconds}s" --latency -s "$work/post.lua" "http://127.0.0.1:$port/api/v1/scan" > "$work/wrk.txt"
  python3 - "$label" "$work/wrk.txt" <<'PY'
import re, sys
label, text = sys.argv[1], open(sys.argv[2]).read()
def latency(p):
    m = re.search(rf"^\s*{p}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
errors = re.search(r"Socket errors: (.*)", text)
print(f"{label:<12} {rps:9.0f} scans/s   p50 {latency(50):7.2f} ms   p99 {latency(99):7.2f} ms"
      f"   non-2xx {non2xx.group(1) if non2xx else 0}{'   socket errors: ' + errors.group(1) if errors else ''}")
PY
  kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; serve_pid=
}

echo "$(nproc) cores; wrk -t2 -c16 -d${seconds}s on loopback; binary $bin"
run sqlite "sqlite://$work/server.db"
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -n "$pg_bin" ]; then
  pg_dir=$(mktemp -d)
  chown postgres "$pg_dir"
  pg_port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  runuser -u postgres -- "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres --no-sync >/dev/null
  runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -w -l "$pg_dir/log" \
    -o "-p $pg_port -k $pg_dir -h 127.0.0.1" start >/dev/null
  run postgres "postgres://postgres@127.0.0.1:$pg_port/postgres"
else
  echo "postgres     skipped: postgresql is not installed" >&2
fi
