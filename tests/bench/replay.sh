#!/usr/bin/env bash
# gradebox test throughput: BENCH_REPLAY_N recorded submissions of a
# trivial shell task (run.sh: read the answer, set the result) replayed with
# `gradebox test -j BENCH_REPLAY_JOBS`, beside the same submissions graded by
# `gradebox grade` one after the other in a shell loop, in the same run on
# the same environment. The run file is run.sh, which grade runs with bash,
# or sh where the image has none (the busybox test rootfs). Reports
# submissions per second for both. See tests/bench/README.md.
#
# usage: tests/bench/replay.sh          (as root)
#   BENCH_REPLAY_N      recordings (default 200)
#   BENCH_REPLAY_JOBS   -j of gradebox test (default 2)
#   BENCH_ROOTFS, GRADEBOX  as for run.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
gradebox=${GRADEBOX:-$top/gradebox}
rootfs=${BENCH_ROOTFS:-$top/tests/.work/rootfs}
n=${BENCH_REPLAY_N:-200}
jobs=${BENCH_REPLAY_JOBS:-2}

die() { echo "bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (gradebox grade needs it)"
[ -x "$gradebox" ] || die "$gradebox missing: run make first"
[ -x "$rootfs/bin/busybox" ] || die "$rootfs/bin/busybox missing: tests/run-tests unit builds it"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GRADEBOX_CONFIG=/dev/null GRADEBOX_STATE_DIR=$tmp/state GRADEBOX_RUN_DIR=$tmp/run
unset GRADEBOX_GRADE_EXEC
mkdir -p "$GRADEBOX_STATE_DIR" "$GRADEBOX_RUN_DIR"
"$gradebox" image import "$rootfs" --name default >/dev/null

course=$tmp/course
task=$course/trivial
mkdir -p "$task/test" "$tmp/inputs"
cat >"$task/task.yaml" <<'YAML'
environment_type: docker
environment_id: default
environment_parameters:
  limits: {time: 10, memory: 64}
problems:
  answer: {type: code, language: plain}
YAML
cat >"$task/run.sh" <<'SH'
if [ "$(getinput answer)" = 42 ]; then feedback-result success; else feedback-result failed; fi
SH
for i in $(seq "$n"); do
	if [ $((i % 2)) = 0 ]; then answer=42 result=success grade=100.0; else answer=41 result=failed grade=0.0; fi
	cat >"$task/test/$i.test" <<REC
_id: bench$i
courseid: bench
taskid: trivial
submitted_on: 2026-01-01 00:00:00
username: [user$i]
input: {answer: '$answer', '@username': user$i, '@lang': en}
result: $result
grade: $grade
problems: {}
tests: {}
custom: {}
state: ''
REC
	echo "{\"input\": {\"answer\": \"$answer\", \"@username\": \"user$i\", \"@lang\": \"en\"}}" >"$tmp/inputs/$i.json"
done

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.1f", n / (b - a) }'; }

echo "# $n submissions, $(nproc) CPUs, $(uname -r)"
t0=$(now)
for i in $(seq "$n"); do
	"$gradebox" grade --task "$task" --course "$course" --input "$tmp/inputs/$i.json" \
		--result "$tmp/r.json" >/dev/null || [ $? = 1 ]
done
t1=$(now)
echo "grade loop (one at a time):   $(rate "$n" "$t0" "$t1") submissions/s ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s)"

t0=$(now)
"$gradebox" test "$course" -j "$jobs" >"$tmp/test.out" || die "gradebox test: exit $? ($(tail -3 "$tmp/test.out"))"
t1=$(now)
same=$(grep -c '^same' "$tmp/test.out")
[ "$same" = "$n" ] || die "gradebox test: $same of $n same"
echo "gradebox test -j $jobs:          $(rate "$n" "$t0" "$t1") submissions/s ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s)"
