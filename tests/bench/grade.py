#!/usr/bin/env python3
"""Grading benchmark (issue 10), side by side in one run, interleaved:

  cold      gradebox run --image default -- /bin/true
  grade-sh  gradebox grade of a task whose run file (sh) only calls
            `feedback-result success`, busybox image
  python    gradebox run --image PY -- python3 -c pass     (python3's start-up)
  grade-py  gradebox grade of a run.py that does
            `feedback.set_global_result("success")` through the launcher

Targets (ratios of medians): grade-sh <= 3 x cold; grade-py <= python + 15 ms.
The Python pair runs only when an image with python3 is imported (--py-image,
e.g. the rootfs/debian-python recipe); otherwise it is reported as skipped.
Timings are never asserted; a missed target prints MISS.

usage: grade.py --gradebox BIN --state DIR --run-dir DIR --work DIR
                [--py-image NAME] [--runs N] [--warmup N] [--out FILE]
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the interleaving harness of run.sh)

TASK_YAML = "environment_id: %s\nenvironment_parameters:\n  limits: {time: 10, memory: 200}\n"


def make_task(root, name, image, runfile, body):
    d = os.path.join(root, "course", name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "task.yaml"), "w") as f:
        f.write(TASK_YAML % image)
    with open(os.path.join(d, runfile), "w") as f:
        f.write(body)
    os.chmod(os.path.join(d, runfile), 0o755)
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gradebox", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--py-image")
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--out")
    a = ap.parse_args()

    inp = os.path.join(a.work, "input.json")
    with open(inp, "w") as f:
        json.dump({"input": {"q": "1"}}, f)
    res = os.path.join(a.work, "result.json")
    gb = a.gradebox
    sh = make_task(a.work, "sh", "default", "run",
                   "#!/bin/sh\nfeedback-result success\n")
    cases = {
        "cold": [gb, "run", "--image", "default", "--", "/bin/true"],
        "grade-sh": [gb, "grade", "--task", sh, "--input", inp, "--result", res],
    }
    skipped = {}
    if a.py_image:
        py = make_task(a.work, "py", a.py_image, "run.py",
                       "from inginious import feedback\n"
                       "feedback.set_global_result('success')\n")
        cases["python"] = [gb, "run", "--image", a.py_image, "--", "python3", "-c", "pass"]
        cases["grade-py"] = [gb, "grade", "--task", py, "--input", inp, "--result", res]
    else:
        skipped["python"] = skipped["grade-py"] = "no Python image given (--py-image)"
    failed = {}
    for name in list(cases):
        why = bench.check(name, cases[name])
        if why:
            failed[name] = why
            del cases[name]
    stats, elapsed = bench.interleave(cases, a.runs, a.warmup, failed=failed)

    print("gradebox grade: %d interleaved runs per case after %d warm-up rounds (%.0f s)"
          % (a.runs, a.warmup, elapsed))
    print("%-10s %9s %9s %9s %9s" % ("case", "median", "p10", "p90", "cpu med"))
    for n in ["cold", "grade-sh", "python", "grade-py"]:
        s = stats.get(n)
        if s:
            print("%-10s %6.2f ms %6.2f ms %6.2f ms %6.2f ms"
                  % (n, s["median_ms"], s["p10_ms"], s["p90_ms"], s["cpu_median_ms"]))
        else:
            print("%-10s %s" % (n, "FAILED: " + failed[n] if n in failed
                                else "skipped: " + skipped.get(n, "?")))
    targets = []
    if stats.get("cold") and stats.get("grade-sh"):
        r = stats["grade-sh"]["median_ms"] / stats["cold"]["median_ms"]
        targets.append(("grade-sh / cold", r, 3.0, r <= 3.0))
    if stats.get("python") and stats.get("grade-py"):
        d = stats["grade-py"]["median_ms"] - stats["python"]["median_ms"]
        targets.append(("grade-py - python (ms)", d, 15.0, d <= 15.0))
    print()
    for name, v, limit, ok in targets:
        print("%-24s %8.2f  target <= %-5g %s" % (name, v, limit, "PASS" if ok else "MISS"))
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"cases": {n: {"argv": cases[n], **(stats[n] or {})} for n in cases},
                       "skipped": skipped, "failed": failed,
                       "targets": [dict(zip(("name", "value", "limit", "pass"), t))
                                   for t in targets]}, f, indent=2)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
