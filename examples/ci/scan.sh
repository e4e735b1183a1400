#!/bin/sh
# Scans an image that is already built (no Dockerfile change) and applies the pipeline's exit-code
# policy; the GitHub Actions and GitLab CI jobs beside this file call it, and
# crates/cli/tests/examples.rs runs those jobs' lines.
#
#   sh examples/ci/scan.sh IMAGE [BASELINE.json]
#
# IMAGE is any scan target: registry:REF, docker:REF, oci-archive:PATH, ...
# Writes microscanner.json and microscanner.sarif (kept as artifacts, whatever the outcome), then:
#   - with a baseline (the default branch's last report): fails (exit 4) only on findings at or
#     above $MICROSCANNER_FAIL_ON (default high) that the baseline has not (new-findings.sh);
#   - without one (the first run): fails (exit 4) on every finding at or above it;
#   - a scan that could not run (exit 1 error, 2 usage) fails the job with its own code.
set -eu
image=${1:?usage: scan.sh IMAGE [BASELINE.json]}
baseline=${2:-}
fail_on=${MICROSCANNER_FAIL_ON:-high}
ms=${MICROSCANNER:-microscanner}
here=$(dirname "$0")

# SARIF for the code-scanning view; --fail-on none: the report is wanted whatever it holds.
"$ms" scan "$image" --format sarif --output microscanner.sarif --fail-on none
# JSON: the record, and what the gate below reads. Its exit code is the verdict without a baseline.
status=0
"$ms" scan "$image" --format json --output microscanner.json --fail-on "$fail_on" || status=$?
case $status in
  0 | 4) ;;
  *) echo "microscanner: the scan failed (exit $status)" >&2; exit "$status" ;;
esac
if [ -n "$baseline" ] && [ -f "$baseline" ]; then
  exec sh "$here/new-findings.sh" "$baseline" microscanner.json "$fail_on"
fi
[ "$status" = 0 ] || echo "microscanner: no baseline yet: every finding at or above $fail_on fails" >&2
exit "$status"
