#!/usr/bin/env bash
# Queue daemon throughput: trivial jobs (a run file that only sets success,
# on the busybox image) through `gradebox serve --slots 2` over its socket,
# side by side with `gradebox grade` run in a loop (one loop, and two loops
# at once: what 2 slots could do with no daemon at all), in the same run.
# Also the daemon's own CPU time per job (utime+stime of the serve process,
# not its graders) against the job's own cost (the graders' CPU per job).
# See tests/bench/README.md.
#
# usage: tests/bench/serve.sh           (as root)
#   BENCH_SERVE_JOBS  jobs per case (default 300)
#   BENCH_ROOTFS, GRADEBOX  as for run.sh
#   BENCH_OUT         the JSON results (default tests/.work/bench/serve.json)
# Targets (issue 12): >= 100 jobs/s through the socket on a 2-core host, and
# the daemon's CPU per job under 10% of the job's own.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
gradebox=${GRADEBOX:-$top/gradebox}
rootfs=${BENCH_ROOTFS:-$top/tests/.work/rootfs}
jobs=${BENCH_SERVE_JOBS:-300}
out=${BENCH_OUT:-$top/tests/.work/bench/serve.json}

die() { echo "bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (gradebox grade needs it)"
[ -x "$gradebox" ] || die "$gradebox missing: run make first"
[ -x "$rootfs/bin/sh" ] || die "no rootfs at $rootfs (tests/run-tests unit builds it)"

tmp=$(mktemp -d /tmp/gb-bench-serve.XXXXXX)
dpid=
cleanup() {
	[ -n "$dpid" ] && kill -TERM "$dpid" 2>/dev/null && wait "$dpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
export GRADEBOX_CONFIG=/dev/null GRADEBOX_STATE_DIR=$tmp/state GRADEBOX_RUN_DIR=$tmp/run
mkdir -p "$GRADEBOX_STATE_DIR" "$GRADEBOX_RUN_DIR" "$tmp/task" "$(dirname "$out")"
"$gradebox" image import "$rootfs" --name default >/dev/null
cat >"$tmp/task/task.yaml" <<'YAML'
environment_id: default
environment_type: docker
environment_parameters:
  limits: {time: 10, hard_time: 30, memory: 64}
YAML
cat >"$tmp/task/run" <<'RUN'
#!/bin/sh
echo '{"result": "success", "text": "", "grade": 100.0}' >/.__output/__feedback.json
RUN
chmod +x "$tmp/task/run"
echo '{"input": {}}' >"$tmp/input.json"

# cpu_of PID: user+system seconds of PID itself, and of its reaped children
cpu_of() {
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); print ($12 + $13) / hz, ($14 + $15) / hz }' \
		/proc/"$1"/stat
}

now() { date +%s.%N; }

# 1. gradebox grade in a loop, and two loops at once
loop() {
	local i
	for i in $(seq "$1"); do
		"$gradebox" grade --task "$tmp/task" --input "$tmp/input.json" --json >/dev/null ||
			[ $? -eq 1 ]
	done
}
t0=$(now)
loop "$jobs"
t1=$(now)
loop $((jobs / 2)) & p1=$!
loop $((jobs - jobs / 2)) & p2=$!
wait $p1 $p2
t2=$(now)

# 2. the daemon with 2 slots: every job submitted on one connection, then
#    waited for (the client is python, so that the figure is the daemon's,
#    not a gradebox submit process per job)
"$gradebox" serve --slots 2 --socket "$tmp/gb.sock" --spool "$tmp/spool" 2>"$tmp/serve.log" &
dpid=$!
for i in $(seq 200); do [ -S "$tmp/gb.sock" ] && break; sleep 0.05; done
read -r d_self0 d_kids0 < <(cpu_of "$dpid")
t3=$(now)
python3 - "$tmp/gb.sock" "$tmp/task" "$jobs" <<'PY'
import json, socket, sys
path, task, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_UNIX)
s.connect(path)
f = s.makefile("rwb")
job = {"task": task, "input": {}}
for _ in range(n):
    f.write(json.dumps({"cmd": "submit", "job": job}).encode() + b"\n")
f.flush()
ids = []
for _ in range(n):
    r = json.loads(f.readline())
    assert r["ok"], r
    ids.append(r["id"])
for i in ids:
    f.write(json.dumps({"cmd": "wait", "id": i}).encode() + b"\n")
f.flush()
bad = 0
for _ in ids:
    r = json.loads(f.readline())
    bad += r["result"]["result"] != "success"
if bad:
    sys.exit("%d jobs did not succeed" % bad)
PY
t4=$(now)
read -r d_self1 d_kids1 < <(cpu_of "$dpid")

# 3. kill latency: a job that sleeps, killed once it grades; the time from
#    the kill request to its `killed` result (issue 12: within a second)
mkdir -p "$tmp/slow"
cp "$tmp/task/task.yaml" "$tmp/slow/"
printf '#!/bin/sh\nsleep 600\n' >"$tmp/slow/run"
chmod +x "$tmp/slow/run"
kills=()
for k in 1 2 3 4 5; do
	id=$("$gradebox" submit --socket "$tmp/gb.sock" --task "$tmp/slow" --input "$tmp/input.json")
	until "$gradebox" status --socket "$tmp/gb.sock" "$id" | grep -q '"state": "grading"'; do
		sleep 0.05
	done
	sleep 0.5 # the run file is running
	k0=$(now)
	"$gradebox" kill --socket "$tmp/gb.sock" "$id" | grep -q ': killed$' || die "job $id did not end as killed"
	kills+=("$k0:$(now)")
done
kill -TERM "$dpid"
wait "$dpid"
dpid=

python3 - "$out" "$jobs" "$t0" "$t1" "$t2" "$t3" "$t4" "$d_self0" "$d_self1" "$d_kids0" "$d_kids1" "${kills[@]}" <<'PY'
import json, os, sys
out = sys.argv[1]
n = int(sys.argv[2])
t0, t1, t2, t3, t4, s0, s1, k0, k1 = map(float, sys.argv[3:12])
kills = sorted(float(b) - float(a) for a, b in (k.split(":") for k in sys.argv[12:]))
r = {
    "jobs": n,
    "cpus": os.cpu_count(),
    "grade_loop_jobs_per_s": n / (t1 - t0),
    "grade_2_loops_jobs_per_s": n / (t2 - t1),
    "serve_2_slots_jobs_per_s": n / (t4 - t3),
    "daemon_cpu_ms_per_job": (s1 - s0) * 1000 / n,
    "job_cpu_ms_per_job": (k1 - k0) * 1000 / n,
    "kill_to_result_s_median": kills[len(kills) // 2],
    "kill_to_result_s_max": kills[-1],
}
r["daemon_overhead_pct"] = 100 * r["daemon_cpu_ms_per_job"] / r["job_cpu_ms_per_job"] if r["job_cpu_ms_per_job"] else None
json.dump(r, open(out, "w"), indent=2)
print("%d trivial jobs, %d CPUs" % (n, r["cpus"]))
print("  gradebox grade, one loop      %7.1f jobs/s" % r["grade_loop_jobs_per_s"])
print("  gradebox grade, two loops     %7.1f jobs/s" % r["grade_2_loops_jobs_per_s"])
print("  gradebox serve --slots 2      %7.1f jobs/s   (target >= 100)" % r["serve_2_slots_jobs_per_s"])
print("  daemon CPU per job            %7.2f ms" % r["daemon_cpu_ms_per_job"])
print("  graders' CPU per job          %7.2f ms" % r["job_cpu_ms_per_job"])
if r["daemon_overhead_pct"] is not None:
    print("  daemon overhead               %7.1f %%    (target < 10)" % r["daemon_overhead_pct"])
print("  kill to killed result         %7.3f s median, %.3f s max (target < 1)"
      % (r["kill_to_result_s_median"], r["kill_to_result_s_max"]))
PY
