#!/usr/bin/env python3
"""Cold-start timing harness for tests/bench/run.sh.

Runs each case (a command line that starts a sandbox running /bin/true)
many times, interleaved: every round runs each case once, in a shuffled
order, so a slow patch of the host (another job, a CPU frequency change)
hurts every case alike instead of one. A few warm-up rounds first fill the
page cache and dentry cache, and are not counted.

One sample is the wall time from posix_spawn() to wait4() returning, on
CLOCK_MONOTONIC; wait4's rusage adds the CPU time of the process and of
the descendants it reaped. Medians, p10 and p90 are reported; the targets
compare medians. Timings are never asserted: a target missed prints MISS,
only a command that fails to run makes the exit status non-zero.

usage: bench.py --gradebox BIN --rootfs DIR --out FILE
                [--bundle DIR --runc-root DIR] [--runs N] [--warmup N]
                [--gap-ms MS] [--tmpdir DIR]
"""
import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time

LIMITS = ["--time", "5", "--memory", "256", "--pids", "64", "--disk", "64",
          "--output", "1000000", "--file-size", "16"]
CMD = ["/bin/true"]

# (numerator, denominator, highest ratio of medians that meets the target)
TARGETS = [
    ("gradebox", "bwrap", 1.0, "gradebox no slower than bubblewrap"),
    ("gradebox", "runc", 0.2, "gradebox at most 1/5 of runc"),
    ("gradebox+limits", "gradebox", 1.2, "all limits on cost at most 20%"),
]

NS_PER_MS = 1e6


def build_cases(a):
    """name -> argv; '{n}' in an argument becomes a per-run unique number."""
    cases = {
        "gradebox": [a.gradebox, "run", "--rootfs", a.rootfs, "--"] + CMD,
        "gradebox+limits": [a.gradebox, "run", "--rootfs", a.rootfs]
        + LIMITS + ["--"] + CMD,
    }
    skipped = {}
    bwrap = shutil.which("bwrap")
    if bwrap:
        cases["bwrap"] = [bwrap, "--unshare-all", "--ro-bind", a.rootfs, "/",
                          "--proc", "/proc", "--dev", "/dev"] + CMD
    else:
        skipped["bwrap"] = "bwrap not found (apt-get install bubblewrap)"
    runc = shutil.which("runc")
    if not runc:
        skipped["runc"] = "runc not found (apt-get install runc)"
    elif not a.bundle:
        skipped["runc"] = "no runc bundle given"
    else:
        # A fresh container id per run: runc refuses to reuse a live one,
        # and a fixed id would hide a missed `runc delete`.
        cases["runc"] = [runc, "--root", a.runc_root, "run", "--bundle",
                         a.bundle, "gbbench-%d-{n}" % os.getpid()]
    return cases, skipped


def expand(argv, n):
    return [x.replace("{n}", str(n)) for x in argv]


def version(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        lines = (out.stdout or out.stderr).strip().splitlines()
        return lines[0] if lines else None
    except (OSError, subprocess.SubprocessError):
        return None


def check(name, argv):
    """One run with its output captured: None when it works, else why not."""
    try:
        p = subprocess.run(expand(argv, 0), stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as e:
        return str(e)
    if p.returncode != 0:
        msg = (p.stderr or p.stdout).strip().splitlines()
        return "exit %d: %s" % (p.returncode, msg[-1] if msg else "no output")
    return None


def run_once(argv, devnull):
    acts = [(os.POSIX_SPAWN_DUP2, devnull, fd) for fd in (0, 1, 2)]
    t0 = time.perf_counter_ns()
    pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=acts)
    _, status, ru = os.wait4(pid, 0)
    t1 = time.perf_counter_ns()
    cpu = (ru.ru_utime + ru.ru_stime) * 1e3
    return (t1 - t0) / NS_PER_MS, cpu, os.waitstatus_to_exitcode(status)


def summary(wall, cpu):
    if not wall:
        return None
    if len(wall) >= 2:
        dec = statistics.quantiles(wall, n=10, method="inclusive")
        p10, p90 = dec[0], dec[8]
    else:
        p10 = p90 = wall[0]
    return {
        "n": len(wall),
        "median_ms": statistics.median(wall),
        "p10_ms": p10,
        "p90_ms": p90,
        "mean_ms": statistics.fmean(wall),
        "min_ms": min(wall),
        "max_ms": max(wall),
        "cpu_median_ms": statistics.median(cpu),
    }


def interleave(cases, runs, warmup, seed=1, gap_ms=0.0, failed=None,
               ok_codes=(0,)):
    """Run every case once per round, in a shuffled order, warmup + runs
    rounds; returns ({name: summary}, elapsed seconds). A case whose runs
    exit with a code outside ok_codes is reported in failed[name]."""
    rng = random.Random(seed)
    wall = {n: [] for n in cases}
    cpu = {n: [] for n in cases}
    errors = {n: 0 for n in cases}
    order = list(cases)
    devnull = os.open(os.devnull, os.O_RDWR)
    counter = 0
    t_start = time.monotonic()
    for rnd in range(warmup + runs):
        rng.shuffle(order)
        for name in order:
            if gap_ms > 0:
                time.sleep(gap_ms / 1e3)
            counter += 1
            w, c, code = run_once(expand(cases[name], counter), devnull)
            if code not in ok_codes:
                errors[name] += 1
            elif rnd >= warmup:
                wall[name].append(w)
                cpu[name].append(c)
    os.close(devnull)
    elapsed = time.monotonic() - t_start
    for name, k in errors.items():
        if k and failed is not None:
            failed[name] = "%d of %d runs failed" % (k, warmup + runs)
    return {n: summary(wall[n], cpu[n]) for n in wall}, elapsed


def fs_type(path):
    """The file system type of the mount holding path, from mountinfo."""
    best, fstype = "", None
    try:
        real = os.path.realpath(path)
        with open("/proc/self/mountinfo") as f:
            for line in f:
                left, right = line.split(" - ", 1)
                mnt = left.split()[4]
                if (real == mnt or real.startswith(mnt.rstrip("/") + "/")) \
                        and len(mnt) >= len(best):
                    best, fstype = mnt, right.split()[0]
    except OSError:
        pass
    return fstype


def host_info(tmpdir):
    cg = "v2" if os.path.exists("/sys/fs/cgroup/cgroup.controllers") else (
        "hybrid" if os.path.isdir("/sys/fs/cgroup/unified") else "v1")
    return {"kernel": platform.release(), "cpus": os.cpu_count(),
            "cgroup": cg, "run_dir_fs": fs_type(tmpdir) if tmpdir else None}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gradebox", required=True)
    ap.add_argument("--rootfs", required=True)
    ap.add_argument("--bundle")
    ap.add_argument("--runc-root")
    ap.add_argument("--out", required=True)
    ap.add_argument("--tmpdir", help="the run/state directory, to report its fs")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--gap-ms", type=float, default=0.0,
                    help="idle time before each run, not timed")
    a = ap.parse_args()
    if a.runs < 1 or a.warmup < 0:
        sys.exit("bench.py: --runs must be >= 1 and --warmup >= 0")

    cases, skipped = build_cases(a)
    failed = {}
    for name in list(cases):
        why = check(name, cases[name])
        if why:
            failed[name] = why
            del cases[name]

    stats, elapsed = interleave(cases, a.runs, a.warmup, a.seed, a.gap_ms, failed)
    results = []
    for num, den, limit, what in TARGETS:
        s_num, s_den = stats.get(num), stats.get(den)
        if not s_num or not s_den:
            results.append({"name": "%s / %s" % (num, den), "what": what,
                            "limit": limit, "ratio": None, "pass": None})
            continue
        r = s_num["median_ms"] / s_den["median_ms"]
        results.append({"name": "%s / %s" % (num, den), "what": what,
                        "limit": limit, "ratio": r, "pass": r <= limit})

    report = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "host": host_info(a.tmpdir),
        "rootfs": a.rootfs,
        "command": CMD,
        "runs": a.runs,
        "warmup": a.warmup,
        "interleaved": True,
        "gap_ms": a.gap_ms,
        "elapsed_s": round(elapsed, 1),
        "versions": {
            "bwrap": version(["bwrap", "--version"]) if "bwrap" in cases else None,
            "runc": version(["runc", "--version"]) if "runc" in cases else None,
        },
        "cases": {n: {"argv": cases[n], **(stats[n] or {})} for n in cases},
        "skipped": skipped,
        "failed": failed,
        "targets": results,
    }
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out + ".tmp", "w") as f:
        json.dump(report, f, indent=2)
        f.write("\n")
    os.replace(a.out + ".tmp", a.out)

    h = report["host"]
    gap = ", %g ms idle before each" % a.gap_ms if a.gap_ms > 0 else ""
    print("cold start of %s: %d interleaved runs per case after %d warm-up "
          "rounds%s (%.0f s)" % (" ".join(CMD), a.runs, a.warmup, gap, elapsed))
    print("host: Linux %s, %d CPUs, cgroup %s, run dir on %s; rootfs %s"
          % (h["kernel"], h["cpus"], h["cgroup"], h["run_dir_fs"], a.rootfs))
    print()
    print("%-16s %9s %9s %9s %9s %9s" % ("case", "median", "p10", "p90",
                                          "mean", "cpu med"))
    for n in ["gradebox", "gradebox+limits", "bwrap", "runc"]:
        s = stats.get(n)
        if s:
            print("%-16s %6.2f ms %6.2f ms %6.2f ms %6.2f ms %6.2f ms"
                  % (n, s["median_ms"], s["p10_ms"], s["p90_ms"],
                     s["mean_ms"], s["cpu_median_ms"]))
        elif n in skipped:
            print("%-16s skipped: %s" % (n, skipped[n]))
        elif n in failed:
            print("%-16s FAILED: %s" % (n, failed[n]))
    print()
    print("%-26s %8s %8s  %s" % ("target (ratio of medians)", "measured",
                                 "target", "verdict"))
    for t in results:
        meas = "%.2f" % t["ratio"] if t["ratio"] is not None else "n/a"
        verdict = {True: "PASS", False: "MISS", None: "n/a"}[t["pass"]]
        print("%-26s %8s %8s  %s  (%s)" % (t["name"], meas,
                                          "<= %.2f" % t["limit"], verdict,
                                          t["what"]))
    print()
    print("results: %s" % a.out)
    for n, why in failed.items():
        print("bench: %s failed to run: %s" % (n, why), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
