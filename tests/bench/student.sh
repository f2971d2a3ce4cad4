#!/usr/bin/env bash
# run_student benchmark (issue 11): the round trip of `run_student /bin/true`
# from inside a grading sandbox, side by side in the same run with a cold
# `gradebox run -- /bin/true` from the host; then 16 parallel calls from
# one run file: throughput and the supervisor's own CPU per call.
#
# usage: tests/bench/student.sh   (as root, after make and tests/run-tests unit)
#   BENCH_RUNS    calls per case (default 200)
#   BENCH_ROOTFS  rootfs (default tests/.work/rootfs, the busybox one)
#   GRADEBOX      the binary (default ./gradebox)
# The grading sandbox is tests/student/gb-student-harness (the run_student
# server of `gradebox grade`, without the task around it). Prints the
# figures; exits non-zero only when a case failed to run.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
runs=${BENCH_RUNS:-200}
rootfs=${BENCH_ROOTFS:-$top/tests/.work/rootfs}
gradebox=${GRADEBOX:-$top/gradebox}
harness=$top/tests/student/gb-student-harness
calls=$top/tests/student/bench_calls
client=$top/helpers/bin/gradebox-api
[ -x "$client" ] || client=$top/tests/student/run_student

die() { echo "bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root"
for f in "$gradebox" "$harness" "$calls" "$client"; do
	[ -x "$f" ] || die "$f missing: run make and tests/run-tests unit first"
done
[ -x "$rootfs/bin/true" ] || die "$rootfs/bin/true missing"

tmp=$(mktemp -d /run/gradebox-bench-student.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GRADEBOX_CONFIG=/dev/null GRADEBOX_STATE_DIR=$tmp/state GRADEBOX_RUN_DIR=$tmp/run
mkdir -p "$tmp/state" "$tmp/run" "$tmp/api/bin" "$tmp/task"
chmod 755 "$tmp" "$tmp/api" "$tmp/api/bin"
chmod 777 "$tmp/task"
cp "$client" "$tmp/api/bin/"
[ "$(basename "$client")" = run_student ] || ln -s "$(basename "$client")" "$tmp/api/bin/run_student"
cp "$calls" "$tmp/api/bin/"

field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2" | head -1; }

echo "# cold gradebox run -- /bin/true from the host, $runs runs"
cold=$("$calls" "$runs" 1 "$gradebox" run --rootfs "$rootfs" -- /bin/true)
echo "$cold"

echo "# run_student /bin/true from inside a grading sandbox, $runs calls"
inside=$("$harness" --rootfs "$rootfs" --task-student "$tmp/task" --api "$tmp/api" --parallel 16 \
	-- /bin/sh -c "bench_calls $runs 1 run_student /bin/true; bench_calls $((runs < 160 ? 160 : runs)) 16 run_student /bin/true" 2>&1)
echo "$inside"
seq_line=$(grep 'parallel=1 ' <<<"$inside")
par_line=$(grep 'parallel=16 ' <<<"$inside")
for l in "$cold" "$seq_line" "$par_line"; do
	[ "$(field failures "$l")" = 0 ] || die "a case had failures: $l"
done

cold_ms=$(field median_ms "$cold")
rs_ms=$(field median_ms "$seq_line")
sup=$(field supervisor_cpu_s "$inside")
runs_total=$(field student_runs "$inside")
python3 - "$cold_ms" "$rs_ms" "$(field calls_per_s "$seq_line")" "$(field calls_per_s "$par_line")" \
	"$sup" "$runs_total" <<'PY'
import sys
cold, rs, seq_cps, par_cps, sup, n = map(float, sys.argv[1:])
print(f"run_student round trip median {rs:.2f} ms vs cold gradebox run {cold:.2f} ms: "
      f"ratio {rs / cold:.2f} (target <= 1.2) {'PASS' if rs <= 1.2 * cold else 'FAIL'}")
print(f"sequential calls/s {seq_cps:.0f} (target >= 150) {'PASS' if seq_cps >= 150 else 'FAIL'}")
print(f"16 parallel: {par_cps:.0f} calls/s; supervisor CPU per call "
      f"{1000 * sup / n:.3f} ms over {int(n)} calls (whole run, its own CPU only)")
PY
# A Python run file running 50 test cases, one run_student_simple("true")
# each, through gradebox grade, against the same run file with no case: the
# difference is what the 50 calls cost beyond their own work (target: 0.5 s).
py_archive=${BENCH_PY_ARCHIVE:-$top/tests/.work/debian-python.tar.zst}
if [ ! -f "$py_archive" ]; then
	echo "# python: skipped, no image with python3 at $py_archive (rootfs/debian-python/build.sh)"
	exit 0
fi
"$gradebox" image import "$py_archive" --name python3 >/dev/null
for n in 0 50; do
	mkdir -p "$tmp/course/py$n"
	printf 'environment_type: docker\nenvironment_id: python3\nenvironment_parameters:\n  limits: {time: 60, memory: 512}\n' \
		>"$tmp/course/py$n/task.yaml"
	cat >"$tmp/course/py$n/run" <<PY
#!/usr/bin/python3
from inginious_container_api.run_student import run_student_simple
from inginious_container_api import feedback
codes = [run_student_simple("true")[2] for case in range($n)]
feedback.set_global_result("success" if not any(codes) else "failed")
PY
	chmod +x "$tmp/course/py$n/run"
done
echo '{"input": {}}' >"$tmp/input.json"
python3 - "$gradebox" "$tmp" <<'PY'
import json, statistics, subprocess, sys, time
gradebox, tmp = sys.argv[1:]
def wall(n):
    t = time.monotonic()
    r = subprocess.run([gradebox, "grade", "--task", f"{tmp}/course/py{n}", "--input",
                        f"{tmp}/input.json", "--json"], capture_output=True, text=True)
    d = time.monotonic() - t
    res = json.loads(r.stdout)
    if res["result"] != "success" or res["stats"]["student_runs"] != n:
        sys.exit(f"python case {n}: {res['result']}: {res['text']}")
    return d
samples = {0: [], 50: []}
for _ in range(5):  # interleaved, so load hits both alike
    for n in (0, 50):
        samples[n].append(wall(n))
base, fifty = statistics.median(samples[0]), statistics.median(samples[50])
extra = fifty - base
print(f"python run file: 0 cases {base:.3f} s, 50 run_student_simple cases {fifty:.3f} s "
      f"(medians of 5): +{extra:.3f} s, {1000 * extra / 50:.1f} ms per case "
      f"(target +0.5 s) {'PASS' if extra <= 0.5 else 'FAIL'}")
PY
