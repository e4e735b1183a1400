#!/bin/sh
# Fails when a JSON report has findings at or above a severity that an earlier one has not: the
# gate "no new vulnerabilities" of a pipeline that accepts what the default branch already has.
#
#   sh examples/ci/new-findings.sh OLD.json NEW.json [SEVERITY]      (SEVERITY: default high)
#
# OLD and NEW are `microscanner scan --format json` reports. The comparison is microscanner's
# own (`microscanner diff`: findings matched by package and by id or any alias, so a package
# upgraded that still has the finding, or a GHSA that became a CVE, is "changed", not new).
# Prints the new, fixed and changed findings; exits 0 when nothing new reaches SEVERITY, 4 when
# something does, 1 when a report cannot be read.
set -eu
old=${1:?usage: new-findings.sh OLD.json NEW.json [SEVERITY]}
new=${2:?usage: new-findings.sh OLD.json NEW.json [SEVERITY]}
severity=${3:-high}
ms=${MICROSCANNER:-microscanner}
status=0
"$ms" diff "$old" "$new" --format table --fail-on "$severity" || status=$?
case $status in
  0) echo "new-findings: nothing new at or above $severity since $old" >&2 ;;
  4) echo "new-findings: FAILED: new findings at or above $severity since $old" >&2 ;;
  *) echo "new-findings: could not compare $old and $new (exit $status)" >&2 ;;
esac
exit "$status"
