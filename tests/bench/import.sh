#!/usr/bin/env bash
# Import benchmark: `gradebox image import` of a multi-layer image against
# `tar -xf` of the same layer tars into one directory each (what import must
# at least do). Two forms: a docker save archive (plain layer tars) and an
# oci-archive (gzip layers, `tar -xzf`). Prints the median of RUNS runs of
# each and the ratio; the target is <= 1.3.
#
# usage: tests/bench/import.sh [ROOTFS.tar[.zst|.gz|.xz]]
#   default rootfs: the rootfs/debian-python recipe's output, built once
#   RUNS=5          runs of each command
#   BENCH_TMPFS=1   work in a private tmpfs (measures CPU cost without the
#                   disk's noise); default: tests/.work/bench on disk
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
GRADEBOX=${GRADEBOX:-$top/gradebox}
RUNS=${RUNS:-5}
work=$top/tests/.work/bench
rootfs=${1:-$top/tests/.work/debian-python.tar.zst}
mkdir -p "$work"

if [ ! -f "$rootfs" ]; then
	echo "# building $rootfs with rootfs/debian-python/build.sh" >&2
	"$top/rootfs/debian-python/build.sh" "$rootfs" >&2
fi
img=$work/image
if [ ! -f "$img/.stamp" ] || [ "$rootfs" -nt "$img/.stamp" ]; then
	echo "# splitting $rootfs into layers" >&2
	rm -rf "$img"
	mkdir -p "$img"
	case $rootfs in
	*.zst) zstd -q -d -c "$rootfs" >"$img/rootfs.tar" ;;
	*.gz) gzip -d -c "$rootfs" >"$img/rootfs.tar" ;;
	*.xz) xz -d -c "$rootfs" >"$img/rootfs.tar" ;;
	*) cp "$rootfs" "$img/rootfs.tar" ;;
	esac
	python3 "$top/tests/bench/mklayers.py" "$img/rootfs.tar" "$img"
	rm "$img/rootfs.tar"
	touch "$img/.stamp"
fi
mapfile -t layers <"$img/layers.txt"

run_dir=$work/run
cleanup() {
	if mountpoint -q "$run_dir" 2>/dev/null; then umount "$run_dir"; fi
	rm -rf "$run_dir"
}
trap cleanup EXIT
mkdir -p "$run_dir"
if [ "${BENCH_TMPFS:-0}" = 1 ]; then
	mount -t tmpfs -o size=4g gradebox-bench "$run_dir"
fi
export GRADEBOX_CONFIG=/dev/null GRADEBOX_STATE_DIR=$run_dir/state

# time_of CMD...: seconds the command took (after a clean slate and sync)
time_of() {
	local t0 t1
	rm -rf "$run_dir/state" "$run_dir/tar"
	mkdir -p "$run_dir/tar"
	sync
	t0=$(date +%s.%N)
	"$@" >/dev/null
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}

# tar_layers SUFFIX TARFLAGS: extract every layer tar (with SUFFIX) into its own dir
tar_layers() {
	local i=0 l
	for l in "${layers[@]}"; do
		mkdir "$run_dir/tar/$i"
		tar "$2" "$img/$l$1" -C "$run_dir/tar/$i"
		i=$((i + 1))
	done
}
tar_plain() { tar_layers "" -xf; }
tar_gz() { tar_layers .gz -xzf; }

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

bench() {
	local label=$1 archive=$2 tarfn=$3 gb=() tr=() i mg mt
	for ((i = 0; i < RUNS; i++)); do
		# alternate which goes first, so neither always gets the warm cache
		if ((i % 2)); then
			tr+=("$(time_of "$tarfn")")
			gb+=("$(time_of "$GRADEBOX" image import "$archive")")
		else
			gb+=("$(time_of "$GRADEBOX" image import "$archive")")
			tr+=("$(time_of "$tarfn")")
		fi
	done
	mg=$(printf '%s\n' "${gb[@]}" | median)
	mt=$(printf '%s\n' "${tr[@]}" | median)
	printf '%-34s gradebox %6.2f s   tar %6.2f s   ratio %.2f\n' "$label" "$mg" "$mt" \
		"$(awk -v a="$mg" -v b="$mt" 'BEGIN { print a / b }')"
}

size=$(du -sb "$img"/layer*.tar | awk '{ s += $1 } END { printf "%.0f MB", s / 1e6 }')
echo "# ${#layers[@]} layers, $size of layer tars, median of $RUNS runs$([ "${BENCH_TMPFS:-0}" = 1 ] && echo ', tmpfs')"
bench "docker save (plain layers)" "$img/docker.tar" tar_plain
bench "oci-archive (gzip layers)" "$img/oci.tar" tar_gz
