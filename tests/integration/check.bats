#!/usr/bin/env bats
# gradebox check and gc: what an admin runs on a new host or after a crash.
load helpers

@test "check says which cgroup backend is in use and why, and exits 0" {
	run "$GRADEBOX" check
	[ "$status" -eq 0 ]
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
		[[ "$output" == *"cgroups"*"ok"*"v2"* ]]
	else
		[[ "$output" == *"cgroups"*"ok"*"hybrid"* ]]
	fi
	[[ "$output" == *"user namespaces"*"ok"* ]]
	[[ "$output" == *"gradebox can run jobs on this host"* ]]
}

@test "check --json is one JSON object naming the backend" {
	run "$GRADEBOX" check --json
	[ "$status" -eq 0 ]
	backend=$(echo "$output" | jq -r .cgroup.backend)
	[[ "$backend" == v2 || "$backend" == hybrid ]]
}

@test "check refuses a bad seccomp profile setting with 254" {
	GRADEBOX_SECCOMP_PROFILE=/nonexistent/profile run "$GRADEBOX" check
	[ "$status" -eq 254 ]
	[[ "$output" == *"/nonexistent/profile"* ]]
}

@test "gc on a clean host removes nothing and exits 0" {
	run "$GRADEBOX" gc
	[ "$status" -eq 0 ]
	[[ "$output" == *"removed 0 leftover job item(s)"* ]]
}

@test "gc removes a dead supervisor's run directory and keeps a live one's" {
	mkdir -p "$GRADEBOX_RUN_DIR/job-999999-1/box-0"
	# pid $$ lives, but started at another time: not that job's owner
	mkdir -p "$GRADEBOX_RUN_DIR/job-$$-1"
	"$GRADEBOX" run --rootfs "$ROOTFS" -- sleep 2 &
	local live=$!
	for _ in $(seq 50); do
		ls "$GRADEBOX_RUN_DIR" | grep -q "^job-$live-" && break
		sleep 0.1
	done
	run "$GRADEBOX" gc
	[ "$status" -eq 0 ]
	[ ! -e "$GRADEBOX_RUN_DIR/job-999999-1" ]
	[ ! -e "$GRADEBOX_RUN_DIR/job-$$-1" ]
	ls "$GRADEBOX_RUN_DIR" | grep -q "^job-$live-"
	# and the live job finishes normally
	wait $live
}
