#!/usr/bin/env bash
# Starts two local registries (Debian's docker-registry, distribution v2) on loopback for the
# registry tests, sharing one storage directory, and pushes the test images into them with skopeo:
#   open: 127.0.0.1:$MICROSCANNER_REGISTRY_PORT      (default 5000), no auth
#   auth: 127.0.0.1:$MICROSCANNER_REGISTRY_AUTH_PORT (default 5001), htpasswd basic auth scanner / s3cret-pass
# Repositories: demo/<image>:latest (OCI manifest), demo/<image>:v2s2 (Docker schema 2) and
# demo/debian12-app-auth:latest on the auth instance. Idempotent: running registries and pushed
# images are reused. Prints the environment the tests read (MICROSCANNER_TEST_REGISTRY*).
# `scripts/registry.sh stop` stops them.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGES="${MICROSCANNER_IMAGES:-$PWD/target/images}"
DIR="${MICROSCANNER_REGISTRY_DIR:-/var/tmp/ms-registry}"
OPEN_PORT="${MICROSCANNER_REGISTRY_PORT:-5000}"
AUTH_PORT="${MICROSCANNER_REGISTRY_AUTH_PORT:-5001}"
USER_NAME=scanner
PASSWORD=s3cret-pass
OPEN=127.0.0.1:$OPEN_PORT
AUTH=127.0.0.1:$AUTH_PORT

up() { curl -s -o /dev/null "http://$1/v2/"; }

if [ "${1:-start}" = stop ]; then
  for n in open auth; do
    [ -f "$DIR/$n/pid" ] && kill "$(cat "$DIR/$n/pid")" 2>/dev/null || true
  done
  exit 0
fi

start() {  # start NAME PORT [htpasswd]
  local n=$1 port=$2 ht=${3:-}
  up "127.0.0.1:$port" && return 0
  mkdir -p "$DIR/$n" "$DIR/data"
  {
    echo "version: 0.1"
    echo "log: {level: warn}"
    echo "storage:"
    echo "  filesystem: {rootdirectory: $DIR/data}"
    echo "  cache: {blobdescriptor: inmemory}"
    echo "http:"
    echo "  addr: 127.0.0.1:$port"
    echo "  secret: microscanner-test-secret"
    if [ -n "$ht" ]; then
      echo "auth:"
      echo "  htpasswd: {realm: microscanner-test, path: $ht}"
    fi
  } > "$DIR/$n/config.yml"
  setsid docker-registry serve "$DIR/$n/config.yml" > "$DIR/$n/registry.log" 2>&1 < /dev/null &
  echo $! > "$DIR/$n/pid"
  for _ in $(seq 100); do up "127.0.0.1:$port" && return 0; sleep 0.1; done
  up "127.0.0.1:$port" && return 0
  echo "error: docker-registry $n did not start on 127.0.0.1:$port (log: $DIR/$n/registry.log)" >&2
  cat "$DIR/$n/registry.log" >&2
  exit 1
}

mkdir -p "$DIR"
[ -f "$DIR/htpasswd" ] || htpasswd -Bbc "$DIR/htpasswd" "$USER_NAME" "$PASSWORD" 2>/dev/null
start open "$OPEN_PORT"
start auth "$AUTH_PORT" "$DIR/htpasswd"

pushed() { skopeo inspect --raw --tls-verify=false "$@" > /dev/null 2>&1; }
for name in debian12-app debian11-app; do
  src="oci:$IMAGES/$name/oci:latest"
  pushed "docker://$OPEN/demo/$name:latest" ||
    skopeo copy -q --dest-tls-verify=false "$src" "docker://$OPEN/demo/$name:latest"
  pushed "docker://$OPEN/demo/$name:v2s2" ||
    skopeo copy -q --dest-tls-verify=false --format v2s2 "$src" "docker://$OPEN/demo/$name:v2s2"
done
pushed --creds "$USER_NAME:$PASSWORD" "docker://$AUTH/demo/debian12-app-auth:latest" ||
  skopeo copy -q --dest-tls-verify=false --dest-creds "$USER_NAME:$PASSWORD" \
    "oci:$IMAGES/debian12-app/oci:latest" "docker://$AUTH/demo/debian12-app-auth:latest"

echo "MICROSCANNER_TEST_REGISTRY=$OPEN"
echo "MICROSCANNER_TEST_REGISTRY_AUTH=$AUTH"
echo "MICROSCANNER_TEST_REGISTRY_CREDS=$USER_NAME:$PASSWORD"
