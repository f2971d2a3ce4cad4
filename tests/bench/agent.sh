#!/usr/bin/env bash
# Agent benchmark: trivial jobs through the test peer (tests/agent/peer.py,
# the backend side of INGInious's protocol) with 2 slots: jobs per second
# and the agent's own CPU per job, beside the same jobs graded by two
# `gradebox grade` processes at a time with no daemon at all, and through
# the queue daemon (`gradebox serve`) when this build has it.
#
# usage: tests/bench/agent.sh          (as root)
#   BENCH_JOBS    jobs per case (default 200)
#   BENCH_GRADER  real: `gradebox grade` on a task whose run file only
#                 sets success (default when this build has `grade`);
#                 fake: the stand-in grader tests/agent/fake-grade, which
#                 shows the agent's own cost
#   GRADEBOX      the binary (default: ./gradebox of this tree)
# Prints one line per case; exits non-zero only when a case failed.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
gradebox=${GRADEBOX:-$top/gradebox}
jobs=${BENCH_JOBS:-200}
slots=2
python=/usr/bin/python3
peer=$top/tests/agent/peer.py
fake=$top/tests/agent/fake-grade

die() { echo "bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root"
[ -x "$gradebox" ] || die "$gradebox missing: run make first"
"$python" -c 'import zmq, msgpack' 2>/dev/null || die "python3-zmq and python3-msgpack are missing (setup.sh --deps-only)"
command -v jq >/dev/null || die "jq is missing"

grader=${BENCH_GRADER:-}
if [ -z "$grader" ]; then
	if "$gradebox" grade --help >/dev/null 2>&1; then grader=real; else grader=fake; fi
fi

rootfs=$top/tests/.work/rootfs
[ -x "$rootfs/bin/sh" ] || { mkdir -p "$top/tests/.work"; "$top/rootfs/busybox/build.sh" "$rootfs" >/dev/null; }
tmp=$(mktemp -d /run/gb-bench-agent.XXXXXX 2>/dev/null || mktemp -d)
agent_pid=
serve_pid=
cleanup() {
	[ -n "$agent_pid" ] && kill "$agent_pid" 2>/dev/null && wait "$agent_pid" 2>/dev/null
	[ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
export GRADEBOX_CONFIG=/dev/null GRADEBOX_STATE_DIR=$tmp/state GRADEBOX_RUN_DIR=$tmp/run
mkdir -p "$tmp/state" "$tmp/run" "$tmp/tasks/course/task" "$tmp/tasks/course/\$common"
"$gradebox" image import "$rootfs" --name default >/dev/null
# The trivial task: the run file only says success.
printf 'environment_id: default\nenvironment_type: docker\nlimits: {time: 10, memory: 64}\n' \
	>"$tmp/tasks/course/task/task.yaml"
printf '#!/bin/sh\nfeedback-result success\n' >"$tmp/tasks/course/task/run"
chmod +x "$tmp/tasks/course/task/run"
if [ "$grader" = fake ]; then export GRADEBOX_GRADE_EXEC=$fake; fi

ticks=$(getconf CLK_TCK)
cpu_of() { awk -v t="$ticks" '{ sub(/.*\) /, ""); printf "%.3f", ($12 + $13) / t }' /proc/"$1"/stat; }
now() { date +%s.%N; }

echo "agent benchmark: $jobs trivial jobs, $slots slots, grader: $grader ($(nproc) CPUs)"

# 1. no daemon: two graders at a time, the same program the agent runs
echo '{"input": {"n": 1, "mode": "echo"}}' >"$tmp/input.json"
echo '{"limits": {"time": 10}}' >"$tmp/params.json"
grade_cmd=$gradebox
[ "$grader" = fake ] && grade_cmd=$fake
t0=$(now)
seq "$jobs" | xargs -P "$slots" -I{} "$grade_cmd" grade --task "$tmp/tasks/course/task" \
	--course "$tmp/tasks/course" --input "$tmp/input.json" --params "$tmp/params.json" \
	--image default --result "$tmp/direct-{}.json" --json >/dev/null
t1=$(now)
ok=$(cat "$tmp"/direct-*.json | jq -r .result | grep -c '^success$' || true)
[ "$ok" = "$jobs" ] || die "direct: $ok of $jobs jobs succeeded"
awk -v n="$jobs" -v a="$t0" -v b="$t1" -v s="$slots" \
	'BEGIN { printf "direct grade x%d:   %7.1f jobs/s\n", s, n / (b - a) }'

# 2. the agent, fed by the test peer
port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$gradebox" agent --backend "tcp://127.0.0.1:$port" --tasks "$tmp/tasks" --slots "$slots" 2>"$tmp/agent.log" &
agent_pid=$!
# one peer for the whole run: a new peer on the same port would be a
# restarted backend, which the agent notices only after 10 s of silence.
# The time counts from the hello (peer.py's "elapsed").
cpu0=$(cpu_of "$agent_pid")
"$python" "$peer" jobs --count "$jobs" --bind "tcp://127.0.0.1:$port" >"$tmp/peer.json"
cpu1=$(cpu_of "$agent_pid")
t0=0
t1=$(jq .elapsed "$tmp/peer.json")
ok=$(jq '[.done[] | select(.result[0] == "success")] | length' "$tmp/peer.json")
[ "$ok" = "$jobs" ] || die "agent: $ok of $jobs jobs succeeded (see $tmp/agent.log)"
awk -v n="$jobs" -v a="$t0" -v b="$t1" -v c0="$cpu0" -v c1="$cpu1" 'BEGIN {
	printf "agent (peer):      %7.1f jobs/s, agent CPU %.3f ms/job\n", n / (b - a), (c1 - c0) * 1000 / n }'
kill "$agent_pid"
wait "$agent_pid" || true
agent_pid=

# 3. the queue daemon, the same jobs through its socket
"$gradebox" serve --slots "$slots" --spool "$tmp/spool" --socket "$tmp/serve.sock" 2>"$tmp/serve.log" &
serve_pid=$!
for _ in $(seq 200); do [ -S "$tmp/serve.sock" ] && break; sleep 0.05; done
[ -S "$tmp/serve.sock" ] || die "the queue daemon did not start (see $tmp/serve.log)"
cpu0=$(cpu_of "$serve_pid")
t0=$(now)
# enough clients at once to keep both slots busy
seq "$jobs" | xargs -P 8 -I{} "$gradebox" submit --task "$tmp/tasks/course/task" \
	--course "$tmp/tasks/course" --input "$tmp/input.json" --params "$tmp/params.json" \
	--image default --socket "$tmp/serve.sock" --wait >"$tmp/serve-results.json"
t1=$(now)
cpu1=$(cpu_of "$serve_pid")
kill "$serve_pid"
wait "$serve_pid" || true
serve_pid=
ok=$(jq -r .result "$tmp/serve-results.json" | grep -c '^success$' || true)
[ "$ok" = "$jobs" ] || die "queue daemon: $ok of $jobs jobs succeeded (see $tmp/serve.log)"
awk -v n="$jobs" -v a="$t0" -v b="$t1" -v c0="$cpu0" -v c1="$cpu1" 'BEGIN {
	printf "queue daemon:      %7.1f jobs/s, daemon CPU %.3f ms/job\n", n / (b - a), (c1 - c0) * 1000 / n }'
