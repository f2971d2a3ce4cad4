#!/bin/bash
# Build every libFuzzer harness and run each for a bounded time, as TAP:
#   ok N - fuzz NAME: E execs/s, cov C, ft F
#   not ok N - fuzz NAME: crash|leak|timeout|oom|build failed|regression ... (artifact or log)
# Usage: tests/fuzz/run.sh [SECONDS]   (per harness, default 30)
# First each file of tests/fuzz/regressions/NAME/ is replayed (every crash
# found once stays there and must run clean), then NAME fuzzes from its
# seed corpus (tests/fuzz/corpus/NAME, copied: the committed one is never
# written) with its dictionary tests/fuzz/NAME.dict when there is one.
# Everything lands in tests/.work/fuzz/: build/, corpus/NAME (grown),
# artifacts/NAME/ (crashing inputs), logs/NAME.log, tmp/ (the harnesses'
# scratch dirs) and report.log (the TAP lines of every run, appended).
# Exits 1 when any harness fails, 2 on bad usage.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
secs=${1:-30}
timeout=10 # seconds one input may take
case $secs in
'' | *[!0-9]* | 0) echo "usage: $0 [SECONDS per harness, > 0]" >&2; exit 2 ;;
esac
work=$top/tests/.work/fuzz
build=$work/build
harnesses=$(sed -n 's/^HARNESSES = //p' "$here/Makefile")
set -- $harnesses
echo "1..$#"

mkdir -p "$work/logs" "$work/corpus"
rm -rf "$work/tmp"
mkdir -p "$work/tmp"
export GB_FUZZ_TMPDIR=$work/tmp
# Leaks fail the run; halt on the first UBSan report (the build makes it fatal).
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:handle_abort=1
# libseccomp's own leaks (see the file) are not ours to fail on.
export LSAN_OPTIONS=suppressions=$here/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
report=$work/report.log
echo "# $(date -u +%FT%TZ) run.sh $secs" >>"$report"
fails=0 n=0

tap() { # LINE: print and keep
	echo "$1"
	echo "$1" >>"$report"
}

# The failure a libFuzzer log shows, and its artifact.
why() {
	local log=$1 kind=crash art
	if grep -q 'ERROR: libFuzzer: timeout' "$log"; then kind=timeout
	elif grep -q 'ERROR: libFuzzer: out-of-memory' "$log"; then kind=oom
	elif grep -q 'ERROR: LeakSanitizer' "$log"; then kind=leak
	fi
	art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
	echo "$kind (${art:-no artifact; log $log})"
}

# The N-th harness: print its one TAP line.
run_one() {
	local name=$1 bin=$build/fuzz_$1 log=$work/logs/$1.log
	local corpus=$work/corpus/$1 arts=$work/artifacts/$1 regs=$here/regressions/$1
	local dict=() opts execs f note=

	if ! make -s -C "$here" BUILD="$build" "$bin" >"$log" 2>&1; then
		tap "not ok $n - fuzz $name: build failed: $(grep -m1 -E 'error|Error' "$log" || tail -n 1 "$log") (log $log)"
		return 1
	fi
	opts=(-timeout=$timeout -rss_limit_mb=2048 -print_final_stats=1)
	mkdir -p "$arts" "$corpus"
	opts+=(-artifact_prefix="$arts/")
	[ -f "$here/$name.dict" ] && dict=(-dict="$here/$name.dict")
	# Regressions first: each file once.
	if [ -d "$regs" ] && [ -n "$(ls -A "$regs")" ]; then
		for f in "$regs"/*; do
			if ! "$bin" "${opts[@]}" "$f" >"$log" 2>&1; then
				tap "not ok $n - fuzz $name: regression $(basename "$f"): $(why "$log")"
				return 1
			fi
		done
	fi
	if ! "$bin" "${opts[@]}" "${dict[@]}" -max_total_time="$secs" "$corpus" \
		"$here/corpus/$name" >"$log" 2>&1; then
		f=$(why "$log")
		if [ "${f%% *}" != timeout ] || ! stall "$bin" "$log" "${opts[@]}"; then
			tap "not ok $n - fuzz $name: $f"
			return 1
		fi
		note=" (stopped early: a timeout under load that replays clean: ${f#timeout })"
	fi
	execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	[ -n "$execs" ] || execs=$(stat_of exec/s "$log")
	tap "ok $n - fuzz $name: ${execs:-?} execs/s, cov $(stat_of cov "$log"), ft $(stat_of ft "$log")${note:-}"
}

# The last value of a libFuzzer status field (cov, ft, exec/s).
stat_of() {
	grep -E '^#[0-9]+' "$2" | sed -n "s|.* $1: \([0-9]*\).*|\1|p" | tail -n 1 | grep . || echo '?'
}

# A stall of the whole process, not a hang of the code: libFuzzer checks
# the time every TIMEOUT/2+1 s, so a real hang is reported by 2*TIMEOUT s;
# one reported later means the process was not scheduled at all for that
# long (seen here with a load of 19 on the 2 cores: "timeout after 57
# seconds"). Even then the input must replay clean alone, three times.
stall() {
	local bin=$1 log=$2 art i after
	shift 2
	after=$(sed -n 's/.*ERROR: libFuzzer: timeout after \([0-9]*\) seconds.*/\1/p' "$log")
	[ -n "$after" ] && [ "$after" -gt $((2 * timeout)) ] || return 1
	art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
	[ -f "$art" ] || return 1
	for i in 1 2 3; do
		"$bin" "$@" "$art" >>"$log.replay" 2>&1 || return 1
	done
}

for name; do
	n=$((n + 1))
	run_one "$name" || fails=$((fails + 1))
done
rm -rf "$work/tmp"
echo "# fuzz: $((n - fails)) passed, $fails failed" | tee -a "$report"
[ "$fails" -eq 0 ]
