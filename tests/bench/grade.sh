#!/usr/bin/env bash
# Grading benchmark (issue 10): `gradebox grade` of a trivial sh task beside
# a cold `gradebox run -- /bin/true`, and a Python task beside python3's own
# start-up, in one interleaved run (grade.py says what and which targets).
#
# usage: tests/bench/grade.sh     (as root, after make)
#   RUNS      timed runs per case (default 100)
#   PY_IMAGE  an imported image with python3 for the Python pair (default:
#             "python3" when `gradebox image list` has it)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
gradebox=${GRADEBOX:-$top/gradebox}
[ "$(id -u)" = 0 ] || { echo "grade.sh: run as root" >&2; exit 1; }
[ -x "$top/helpers/bin/feedback-result" ] || { echo "grade.sh: build the helpers first (make)" >&2; exit 1; }
[ -x "$top/tests/.work/rootfs/bin/sh" ] || "$top/rootfs/busybox/build.sh" "$top/tests/.work/rootfs" >/dev/null

tmp=$(mktemp -d /run/gradebox-gradebench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
py_image=${PY_IMAGE:-}
if [ -z "$py_image" ] && "$gradebox" image list 2>/dev/null | grep -q '^python3 '; then
	py_image=python3
fi
export GRADEBOX_CONFIG=/dev/null GRADEBOX_RUN_DIR=$tmp/run
# The busybox image as "default", and the Python one from the host's store.
if [ -n "$py_image" ]; then
	export GRADEBOX_STATE_DIR=${GRADEBOX_STATE_DIR:-/var/lib/gradebox}
	"$gradebox" image list | grep -q '^default ' ||
		"$gradebox" image import "$top/tests/.work/rootfs" --name default >/dev/null
else
	export GRADEBOX_STATE_DIR=$tmp/state
	"$gradebox" image import "$top/tests/.work/rootfs" --name default >/dev/null
fi
python3 "$top/tests/bench/grade.py" --gradebox "$gradebox" --work "$tmp" \
	--runs "${RUNS:-100}" ${py_image:+--py-image "$py_image"} \
	--out "$top/tests/.work/bench/grade.json"
