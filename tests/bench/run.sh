#!/usr/bin/env bash
# Cold-start benchmark: gradebox vs bubblewrap vs runc on the same rootfs,
# and gradebox with all limits on vs none. See tests/bench/README.md.
#
# usage: tests/bench/run.sh            (as root; `make bench` runs it)
#   BENCH_RUNS    timed runs per case (default 200)
#   BENCH_WARMUP  warm-up rounds, not timed (default 10)
#   BENCH_GAP_MS  idle time before each run (default 0: back to back)
#   BENCH_ROOTFS  rootfs to run /bin/true in (default: the busybox test
#                 rootfs tests/.work/rootfs, built when missing)
#   BENCH_OUT     the JSON results (default tests/.work/bench/results.json)
#   GRADEBOX      the binary (default: ./gradebox of this tree)
#   BENCH_TMPDIR  where the run/state dirs and the runc bundle go (default:
#                 /run or /dev/shm when tmpfs, as /run is on a normal host;
#                 else $TMPDIR or /tmp)
# Prints a table and writes the figures as JSON. Exits 0 whether or
# not the targets are met; non-zero only when a case failed to run or
# something was left behind.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$top/tests/.work
out=${BENCH_OUT:-$work/bench/results.json}
gradebox=${GRADEBOX:-$top/gradebox}
runs=${BENCH_RUNS:-200}
warmup=${BENCH_WARMUP:-10}
gap=${BENCH_GAP_MS:-0}

die() { echo "bench: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (gradebox run and runc need it)"
[ -x "$gradebox" ] || die "$gradebox missing: run make first"
command -v python3 >/dev/null || die "python3 missing: apt-get install python3"

rootfs=${BENCH_ROOTFS:-$work/rootfs}
if [ -z "${BENCH_ROOTFS:-}" ] && [ ! -x "$rootfs/bin/sh" ]; then
	mkdir -p "$work"
	"$top/rootfs/busybox/build.sh" "$rootfs" >/dev/null
fi
[ -x "$rootfs/bin/true" ] || die "$rootfs/bin/true missing: not a usable rootfs"
rootfs=$(cd "$rootfs" && pwd)

# The run directory holds each sandbox's box directory: keep it on tmpfs as
# the default /run/gradebox is, or a disk journal gets timed too.
tmpbase=${BENCH_TMPDIR:-}
if [ -z "$tmpbase" ]; then
	for d in /run /dev/shm "${TMPDIR:-/tmp}"; do
		tmpbase=$d
		[ "$(stat -f -c %T "$d" 2>/dev/null)" = tmpfs ] && break
	done
fi
tmp=$(mktemp -d "$tmpbase/gradebox-bench.XXXXXX")
runc_root=$tmp/runc

# Nothing outlives the bench: runc containers, then the temp tree.
cleanup() {
	if command -v runc >/dev/null && [ -d "$runc_root" ]; then
		runc --root "$runc_root" list -q 2>/dev/null |
			while read -r id; do runc --root "$runc_root" delete -f "$id"; done
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export GRADEBOX_CONFIG=/dev/null
export GRADEBOX_STATE_DIR=$tmp/state
export GRADEBOX_RUN_DIR=$tmp/run
mkdir -p "$GRADEBOX_STATE_DIR" "$GRADEBOX_RUN_DIR" "$runc_root"

# runc bundle: the default spec, on the shared rootfs, read-only, no tty.
bundle_args=()
if command -v runc >/dev/null; then
	mkdir "$tmp/bundle"
	(cd "$tmp/bundle" && runc spec)
	python3 - "$tmp/bundle/config.json" "$rootfs" <<'PY'
import json, sys
path, rootfs = sys.argv[1], sys.argv[2]
with open(path) as f:
    spec = json.load(f)
spec["root"] = {"path": rootfs, "readonly": True}
spec["process"]["args"] = ["/bin/true"]
spec["process"]["terminal"] = False
with open(path, "w") as f:
    json.dump(spec, f, indent=2)
PY
	bundle_args=(--bundle "$tmp/bundle" --runc-root "$runc_root")
fi

status=0
python3 "$top/tests/bench/bench.py" --gradebox "$gradebox" --rootfs "$rootfs" \
	--out "$out" --runs "$runs" --warmup "$warmup" "${bundle_args[@]}" \
	--gap-ms "$gap" --tmpdir "$tmp" || status=$?

# What a run may leave behind: mounts, cgroups, run dirs, runc containers.
left=$(
	grep -F "$tmp" /proc/self/mountinfo | sed 's/^/mount: /' || true
	find /sys/fs/cgroup -maxdepth 8 -type d -name 'job-*' -path '*gradebox*' \
		2>/dev/null | sed 's/^/cgroup: /'
	find /sys/fs/cgroup -maxdepth 8 -type d -name 'gbbench-*' 2>/dev/null |
		sed 's/^/runc cgroup: /'
	find "$GRADEBOX_RUN_DIR" -mindepth 1 -maxdepth 1 | sed 's/^/run dir: /'
	if command -v runc >/dev/null; then
		runc --root "$runc_root" list -q 2>/dev/null | sed 's/^/runc container: /'
	fi
)
if [ -n "$left" ]; then
	echo "bench: left behind:" >&2
	echo "$left" >&2
	status=1
fi
exit $status
