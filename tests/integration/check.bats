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

@test "gc leaves a running job alone" {
	"$GRADEBOX" run --rootfs "$ROOTFS" -- sleep 30 &
	local live=$!
	job_cgroups() { find /sys/fs/cgroup -maxdepth 8 -type d -name "job-$live-*" -path '*gradebox*' 2>/dev/null; }
	for _ in $(seq 50); do [ -n "$(job_cgroups)" ] && break; sleep 0.1; done
	[ -n "$(job_cgroups)" ]
	run "$GRADEBOX" gc
	[ "$status" -eq 0 ]
	[[ "$output" == *"removed 0 leftover job item(s)"* ]]
	[ -n "$(job_cgroups)" ]
	# and the live job still ends cleanly (SIGTERM: 128+15)
	kill -TERM $live
	local rc=0
	wait $live || rc=$?
	[ "$rc" -eq 143 ]
	[ -z "$(job_cgroups)" ]
}

@test "check exits 254 and says so when cgroups are unusable" {
	GRADEBOX_CGROUP_ROOT=$BATS_TEST_TMPDIR/not-a-cgroup run "$GRADEBOX" check
	[ "$status" -eq 254 ]
	[[ "$output" == *"cgroups"*missing*"$BATS_TEST_TMPDIR/not-a-cgroup"* ]]
	[[ "$output" == *"gradebox cannot run jobs on this host"* ]]
	GRADEBOX_CGROUP_ROOT=$BATS_TEST_TMPDIR/not-a-cgroup run "$GRADEBOX" check --json
	[ "$status" -eq 254 ]
	[ "$(jq -r '.ok, .cgroup.ok' <<<"$output" | tr '\n' ' ')" = "false false " ]
}

@test "check exits 254 and says so when user namespaces are unusable" {
	# Inside a chroot the kernel refuses new user namespaces: a bind of /
	# in a private mount namespace makes one, and changes nothing outside.
	local root=$BATS_TEST_TMPDIR/chroot
	mkdir "$root"
	run unshare -m sh -c 'mount --rbind / "$1" && exec chroot "$1" "$2" check' sh "$root" "$GRADEBOX"
	[ "$status" -eq 254 ]
	[[ "$output" == *"user namespaces"*missing*"clone(CLONE_NEWUSER)"* ]]
	[[ "$output" == *"gradebox cannot run jobs on this host"* ]]
	# outside the chroot, the same host is fine
	run "$GRADEBOX" check
	[ "$status" -eq 0 ]
}

@test "check reports the container API and whether tmpfs can be idmapped (student sandboxes' slots)" {
	run "$GRADEBOX" check --json
	[ "$(jq -r .container_api.ok <<<"$output")" = true ]
	[ "$(jq -r .tmpfs_idmap.ok <<<"$output")" != null ]
	GRADEBOX_HELPERS_DIR=$BATS_TEST_TMPDIR/none run "$GRADEBOX" check
	[[ "$output" == *"container API"*"gradebox-api"*"helpers_dir"* ]]
}
