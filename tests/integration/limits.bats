#!/usr/bin/env bats
# gradebox run: the supervisor and its limits. Each case asserts the exit
# code and the --meta JSON the user reads. Runs on the host (hybrid cgroups)
# and in the VM (pure cgroup v2, tests/vm/run.sh).
load helpers

META() { jq -r "$1" "$BATS_TEST_TMPDIR/meta.json"; }
# lim ARGS... -- CMD: gradebox run with the probe bound at /probe and a meta file
lim() { gbrun --meta "$BATS_TEST_TMPDIR/meta.json" --bind "$PROBE:/probe" "$@"; }

setup() {
	gb_setup
	[ -x "$PROBE" ] || skip "no probe binary (tests/run-tests builds it)"
}

# The CPU-limit tests set a generous wall limit: on a loaded host the
# default (3 x --time) may pass before the sandbox gets its second of CPU.
@test "a busy loop ends at the CPU limit: 253, timeout cpu" {
	run lim --time 1 --hard-time 60 -- /probe burn 1
	[ "$status" -eq 253 ]
	[ "$(META .status)" = timeout ]
	[ "$(META .timeout)" = cpu ]
	[ "$(META .exit_code)" = 253 ]
	# stopped within ~1.1 s of CPU (a generous margin for slow VMs)
	awk -v c="$(META .cpu_time)" 'BEGIN { exit !(c >= 1.0 && c < 1.3) }'
}

@test "two busy threads use the CPU limit twice as fast" {
	run lim --time 1 --hard-time 60 -- /probe burn 2
	[ "$status" -eq 253 ]
	[ "$(META .timeout)" = cpu ]
	# the kill came when both threads together had used 1 s: had only one
	# thread been counted, the sandbox would have used about 2 s
	awk -v c="$(META .cpu_time)" 'BEGIN { exit !(c >= 1.0 && c < 1.3) }'
}

@test "a sleeping command ends at the wall limit: 253, timeout wall" {
	run lim --time 1 --hard-time 1 -- sleep 100
	[ "$status" -eq 253 ]
	[ "$(META .status)" = timeout ]
	[ "$(META .timeout)" = wall ]
	awk -v w="$(META .wall_time)" 'BEGIN { exit !(w >= 1.0 && w < 3) }'
}

@test "the wall limit defaults to three times the CPU limit" {
	run lim --time 0.5 -- sleep 100
	[ "$status" -eq 253 ]
	[ "$(META .timeout)" = wall ]
	awk -v w="$(META .wall_time)" 'BEGIN { exit !(w >= 1.5 && w < 4) }'
}

@test "allocating past the memory limit: 252, oom_killed" {
	run lim --memory 64 -- /probe alloc 200
	[ "$status" -eq 252 ]
	[ "$(META .status)" = memory ]
	[ "$(META .oom_killed)" = true ]
	[ "$(META .memory_peak)" -le $((70 * 1024 * 1024)) ]
}

@test "an OOM-killed child gives 252 even when the main process exits 0" {
	run lim --memory 64 -- /bin/sh -c '/probe alloc 200; echo parent-survived; exit 0'
	[ "$status" -eq 252 ]
	[[ "$output" == *parent-survived* ]]
	[ "$(META .oom_killed)" = true ]
}

@test "a fork bomb hits the pids limit with EAGAIN and the host stays responsive" {
	local ready=$BATS_TEST_TMPDIR/ready
	mkdir "$ready"
	chmod 777 "$ready"
	# the bomb holds all its processes until the host is done checking
	lim --pids 20 --time 10 --bind "$ready:/ready:rw" -- /probe forkbomb /ready \
		>"$BATS_TEST_TMPDIR/out" 2>&1 &
	local bomb=$!
	wait_for_file "$ready/full"
	# while the sandbox is at its limit, the host still forks and execs, and
	# another sandbox still starts
	local host_ok=0 sandbox_ok=0
	/bin/true && host_ok=1
	gbrun -- /bin/true && sandbox_ok=1
	kill -0 $bomb # the bomb still runs
	touch "$ready/done"
	local rc=0
	wait $bomb || rc=$?
	[ "$host_ok" = 1 ]
	[ "$sandbox_ok" = 1 ]
	[ "$rc" -eq 0 ]
	local out
	out=$(cat "$BATS_TEST_TMPDIR/out")
	[[ "$out" == "EAGAIN after "* ]]
	[ "${out#EAGAIN after }" -lt 20 ]
}

@test "the pids limit counts threads too" {
	run lim --pids 20 --time 10 -- /probe threads
	[ "$status" -eq 0 ]
	[[ "$output" == "EAGAIN after "* ]]
	# the main thread and init take two of the 20
	[ "${output#EAGAIN after }" -lt 20 ]
}

@test "filling the disk fails with ENOSPC inside and meta says disk_full" {
	run lim --disk 8 -- /probe fill /tmp/big
	[ "$status" -eq 0 ]
	[[ "$output" == "ENOSPC after "* ]]
	local bytes=${output#ENOSPC after }
	bytes=${bytes% bytes}
	[ "$bytes" -le $((8 * 1024 * 1024)) ]
	[ "$(META .disk_full)" = true ]
	[ "$(META .status)" = disk ]
}

@test "the disk limit covers the rootfs upper layer too" {
	run lim --root --disk 8 -- /bin/sh -c '/probe fill /big1; /probe fill /tmp/big2'
	[[ "${lines[0]}" == "ENOSPC after "* ]]
	[[ "${lines[1]}" == "ENOSPC after 0 bytes" ]]
	[ "$(META .disk_full)" = true ]
}

@test "the disk limit covers /dev/shm too" {
	run lim --disk 8 -- /bin/sh -c '/probe fill /dev/shm/big1; /probe fill /tmp/big2'
	[[ "${lines[0]}" == "ENOSPC after "* ]]
	local bytes=${lines[0]#ENOSPC after }
	[ "${bytes% bytes}" -le $((8 * 1024 * 1024)) ]
	# /dev/shm took the whole budget: nothing is left for /tmp
	[ "${lines[1]}" = "ENOSPC after 0 bytes" ]
	[ "$(META .disk_full)" = true ]
}

@test "files in /tmp count towards the memory limit" {
	# a disk far above the memory limit: only memory can stop the writer
	run lim --memory 32 --disk 512 -- /probe fill /tmp/big
	[ "$status" -eq 252 ]
	[ "$(META .status)" = memory ]
	[ "$(META .oom_killed)" = true ]
	[ "$(META .disk_full)" = false ]
}

@test "a file past --file-size fails with EFBIG, and dd is killed by SIGXFSZ" {
	run lim --file-size 1 -- /probe bigfile /tmp/f 4
	[ "$status" -eq 0 ]
	[ "$output" = "EFBIG after 1048576 bytes" ]
	run lim --file-size 1 -- dd if=/dev/zero of=/tmp/f bs=1M count=4
	[ "$status" -eq $((128 + 25)) ]
	[ "$(META .status)" = signaled ]
	[ "$(META .signal)" = 25 ]
}

@test "--nofile caps open files" {
	run lim --nofile 32 -- /bin/sh -c 'ulimit -n'
	[ "$status" -eq 0 ]
	[ "$output" = 32 ]
}

@test "an output flood is cut at --output without blocking the writer" {
	run lim --time 10 --output 1000 --stdout "$BATS_TEST_TMPDIR/out" -- \
		/bin/sh -c 'head -c 20000000 /dev/zero; echo finished >&2'
	[ "$status" -eq 0 ]
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/out")" -eq 1000 ]
	[ "$(META .output_truncated)" = true ]
	[[ "$output" == *finished* ]]
}

@test "--output caps stderr as well" {
	run lim --time 10 --output 1000 --stderr "$BATS_TEST_TMPDIR/err" -- \
		/bin/sh -c 'head -c 20000000 /dev/zero >&2; echo finished'
	[ "$status" -eq 0 ]
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/err")" -eq 1000 ]
	[ "$(META .output_truncated)" = true ]
	[ "$output" = finished ]
}

@test "--output caps gradebox's own stdout and stderr without --stdout or --stderr" {
	lim --time 10 --output 1000 -- /bin/sh -c 'head -c 20000000 /dev/zero; head -c 30000 /dev/zero >&2' \
		>"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/out")" -eq 1000 ]
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/err")" -eq 1000 ]
	[ "$(META .output_truncated)" = true ]
}

@test "--stdout and --stderr capture the streams separately" {
	run lim --stdout "$BATS_TEST_TMPDIR/o" --stderr "$BATS_TEST_TMPDIR/e" -- \
		/bin/sh -c 'echo out; echo err >&2'
	[ "$status" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/o")" = out ]
	[ "$(cat "$BATS_TEST_TMPDIR/e")" = err ]
	[ "$(META .output_truncated)" = false ]
}

@test "a daemonizing child does not outlive the run" {
	local tag="7$RANDOM$RANDOM"
	run lim --time 5 -- /bin/sh -c "(setsid sleep $tag </dev/null >/dev/null 2>&1 &)
		for i in \$(seq 400); do ps -o args | grep -q '^sleep $tag' && break; sleep 0.05; done
		ps -o args | grep -c '^sleep $tag'; exit 0"
	[ "$status" -eq 0 ]
	[ "$output" = 1 ]
	awk -v w="$(META .wall_time)" 'BEGIN { exit !(w < 3) }'
	[ -z "$(pgrep -xf "sleep $tag")" ]
}

@test "SIGTERM to gradebox kills the sandbox and cleans up" {
	local tag="7$RANDOM$RANDOM"
	"$GRADEBOX" run --rootfs "$ROOTFS" --meta "$BATS_TEST_TMPDIR/meta.json" -- sleep "$tag" &
	local pid=$!
	wait_for_sandboxed "sleep $tag"
	kill -TERM $pid
	local rc=0
	wait $pid || rc=$?
	[ "$rc" -eq 143 ]
	[ -z "$(pgrep -xf "sleep $tag")" ]
	[ "$(META .status)" = signaled ]
}

@test "a SIGKILLed supervisor takes its sandbox with it, and gc removes the rest" {
	local tag="7$RANDOM$RANDOM"
	"$GRADEBOX" run --rootfs "$ROOTFS" -- sleep "$tag" &
	local pid=$!
	wait_for_sandboxed "sleep $tag"
	kill -KILL $pid
	wait $pid || true
	# PDEATHSIG reaches init asynchronously
	for _ in $(seq 400); do pgrep -xf "sleep $tag" >/dev/null || break; sleep 0.05; done
	[ -z "$(pgrep -xf "sleep $tag")" ]
	# its job directory and cgroups are still there...
	[ -n "$(gb_leftovers)" ]
	run "$GRADEBOX" gc
	[ "$status" -eq 0 ]
	# ...and gone after gc
	gb_clean
}

@test "a run within every limit: exit 0 and accurate accounting" {
	run lim --time 5 --memory 128 --pids 32 --disk 32 --output 100000 --file-size 8 -- \
		/bin/sh -c '/probe alloc 40 && sleep 0.3'
	[ "$status" -eq 0 ]
	[ "$output" = "allocated 40 MB" ]
	[ "$(META .status)" = exited ]
	[ "$(META .exit_code)" = 0 ]
	[ "$(META .timeout)" = null ]
	[ "$(META .oom_killed)" = false ]
	[ "$(META .disk_full)" = false ]
	[ "$(META .output_truncated)" = false ]
	awk -v c="$(META .cpu_time)" -v w="$(META .wall_time)" 'BEGIN { exit !(c > 0 && c < 2 && w >= 0.3 && w < 5) }'
	local peak
	peak=$(META .memory_peak)
	[ "$peak" -ge $((40 * 1024 * 1024)) ]
	[ "$peak" -le $((128 * 1024 * 1024)) ]
}

@test "meta reports the exit code and signal of an ordinary run" {
	run lim -- /bin/sh -c 'exit 3'
	[ "$status" -eq 3 ]
	[ "$(META .status)" = exited ]
	[ "$(META .exit_code)" = 3 ]
	[ "$(META .signal)" = 0 ]
	run lim -- /bin/sh -c 'kill -SEGV $$'
	[ "$status" -eq 139 ]
	[ "$(META .status)" = signaled ]
	[ "$(META .signal)" = 11 ]
}

@test "a setup failure is reported in meta with status error and 254" {
	run lim -- /no/such/program
	[ "$status" -eq 254 ]
	[ "$(META .status)" = error ]
	[[ "$(META .message)" == *"/no/such/program"* ]]
}
