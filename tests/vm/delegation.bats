#!/usr/bin/env bats
# Pure cgroup v2 with gradebox started in a cgroup of its own below the
# root, as systemd's Delegate=yes gives it (runtime/gradebox.service): the
# limits must still hold. Runs only in the VM (tests/vm/run.sh).
load ../integration/helpers

DELEG=/sys/fs/cgroup/gb-test.slice/gradebox.service

setup() {
	[ "${GB_VM:-}" = 1 ] || skip "needs the pure cgroup v2 VM (tests/vm/run.sh)"
	gb_setup
	mkdir -p "$DELEG"
	# what systemd does for the slice: hand memory and pids down to the unit
	echo "+memory +pids +cpu" > /sys/fs/cgroup/gb-test.slice/cgroup.subtree_control
}

teardown() {
	gb_teardown
	local rc=$?
	# the supervisors' leaf stays by design; the test removes its own unit
	find /sys/fs/cgroup/gb-test.slice -depth -type d -exec rmdir {} + 2>/dev/null
	return $rc
}

# in_unit CMD...: run CMD as the only process of the delegated cgroup
in_unit() { sh -c 'echo $$ > '"$DELEG"'/cgroup.procs && exec "$@"' sh "$@"; }

@test "in a delegated cgroup, gradebox moves itself to a leaf and the memory limit holds" {
	run in_unit "$GRADEBOX" run --rootfs "$ROOTFS" --memory 32 --meta "$BATS_TEST_TMPDIR/m.json" \
		-- /bin/sh -c 'x=a; while :; do x=$x$x; done'
	[ "$status" -eq 252 ]
	[ "$(jq -r .oom_killed "$BATS_TEST_TMPDIR/m.json")" = true ]
	[ -d "$DELEG/gradebox-supervisors" ]
	[ -d "$DELEG/gradebox" ]
	# no job cgroup is left below the delegated base
	[ -z "$(find "$DELEG/gradebox" -mindepth 1 -type d)" ]
}

@test "in a delegated cgroup, the pids limit holds" {
	run in_unit "$GRADEBOX" run --rootfs "$ROOTFS" --pids 5 -- /bin/sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 5 & done 2>&1; echo done'
	[[ "$output" == *"an't fork"* || "$output" == *"Resource temporarily unavailable"* ]]
}

@test "with another process in the delegated cgroup, gradebox refuses with a hint" {
	sleep 30 &
	local other=$!
	echo $other > "$DELEG/cgroup.procs"
	run in_unit "$GRADEBOX" run --rootfs "$ROOTFS" -- /bin/true
	kill $other
	wait $other 2>/dev/null || true
	[ "$status" -eq 254 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"Delegate=yes"* || "$output" == *"cgroup_root"* ]]
}
