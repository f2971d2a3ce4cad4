#!/usr/bin/env bash
# Output capture throughput: how fast the supervisor moves a sandbox's
# stdout. A busybox producer inside gradebox, with no output cap (every byte
# copied to gradebox's stdout) and with a cap (the first BENCH_OUTPUT_CAP
# bytes kept, the rest read and dropped), side by side with the same
# producer on the host, straight to /dev/null and through a pipe to cat (the
# copy the supervisor makes). stdout is /dev/null throughout. The producer
# is dd of /dev/zero in 64 KiB writes: busybox's `yes | head -c` moves only
# about 40 MB/s by itself, which would time yes, not the supervisor
# (BENCH_OUTPUT_PRODUCER=yes measures it anyway). See tests/bench/README.md.
#
# usage: tests/bench/output.sh          (as root)
#   BENCH_OUTPUT_BYTES  bytes through the pipe (default 2 GiB)
#   BENCH_OUTPUT_CAP    the --output cap of the capped case (default 1 MiB)
#   BENCH_OUTPUT_PRODUCER  dd (default) or yes (yes | head -c)
#   RUNS                timed runs per case, the median is reported (default 3)
#   BENCH_ROOTFS, GRADEBOX  as for run.sh
# Target: at least 1 GB/s through the supervisor in both gradebox cases.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
gradebox=${GRADEBOX:-$top/gradebox}
rootfs=${BENCH_ROOTFS:-$top/tests/.work/rootfs}
bytes=${BENCH_OUTPUT_BYTES:-2147483648}
cap=${BENCH_OUTPUT_CAP:-1048576}
runs=${RUNS:-3}
target_gbps=1.0

die() { echo "bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (gradebox run needs it)"
[ -x "$gradebox" ] || die "$gradebox missing: run make first"
[ -x "$rootfs/bin/busybox" ] || die "$rootfs/bin/busybox missing: tests/run-tests unit builds it"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GRADEBOX_CONFIG=/dev/null GRADEBOX_STATE_DIR=$tmp/state GRADEBOX_RUN_DIR=$tmp/run
mkdir -p "$GRADEBOX_STATE_DIR" "$GRADEBOX_RUN_DIR"

chunk=65536
bb=$rootfs/bin/busybox
case ${BENCH_OUTPUT_PRODUCER:-dd} in
dd)
	[ $((bytes % chunk)) = 0 ] || die "BENCH_OUTPUT_BYTES must be a multiple of $chunk"
	pipeline="dd if=/dev/zero bs=$chunk count=$((bytes / chunk)) status=none"
	host_pipeline="$bb $pipeline" ;;
yes)
	pipeline="yes | head -c $bytes"
	host_pipeline="$bb yes | $bb head -c $bytes" ;;
*) die "BENCH_OUTPUT_PRODUCER must be dd or yes" ;;
esac

# seconds for one run of "$@", stdout to /dev/null; fails on a non-zero exit
timed() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# row NAME CMD...: the median of RUNS runs, as seconds and GB/s; cases run
# through gradebox are held to the target.
row() {
	local name=$1 s i
	shift
	s=$(for i in $(seq "$runs"); do timed "$@"; done | median)
	awk -v n="$name" -v s="$s" -v b="$bytes" -v t="$target_gbps" -v judge="$judge" 'BEGIN {
		g = b / s / 1e9
		v = judge ? (g >= t ? "PASS" : "MISS") : ""
		printf "%-30s %9.3f %9.2f  %s\n", n, s, g, v }'
}

echo "output capture: $bytes bytes of '$pipeline', median of $runs runs, stdout /dev/null"
printf '%-30s %9s %9s  %s\n' case seconds GB/s "target >= $target_gbps GB/s"
judge=0 row "host, to /dev/null" "$bb" sh -c "$host_pipeline"
judge=0 row "host, through a pipe to cat" "$bb" sh -c "$host_pipeline | $bb cat"
judge=1 row "gradebox, no cap" "$gradebox" run --rootfs "$rootfs" -- sh -c "$pipeline"
judge=1 row "gradebox, --output $cap" "$gradebox" run --rootfs "$rootfs" --output "$cap" -- \
	sh -c "$pipeline"
