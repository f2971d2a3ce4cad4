#!/usr/bin/env bats
# Namespaces: nobody in a sandbox makes namespaces of its own, root
# included, unless the run allows nested containers (--nested, or the
# config's nested_images); the cgroup namespace hides the host's cgroups.
load ../integration/helpers

setup() {
	gb_setup
	[ -x "$PROBE" ] || skip "no probe binary (tests/run-tests builds it)"
	: >"$BATS_TEST_TMPDIR/empty-profile"
}
teardown() { gb_teardown; }

# The attempts, one result a line: a new user namespace, a mount (in the
# sandbox's mount namespace, then in a user+mount namespace of its own), the
# hostname in a new uts namespace, a net namespace, clone(CLONE_NEWNS),
# clone3(CLONE_NEWUSER), a cgroup namespace.
ATTEMPTS='/probe unshare user; /probe mount; /probe unshare user,mnt /probe mount
/probe unshare uts /probe sethostname evil; /probe unshare net; /probe clone-newns
/probe clone3-newuser; /probe unshare cgroup; hostname'

@test "no one, not even root, makes a user, mount, uts, net or cgroup namespace, or mounts" {
	local who host_name
	host_name=$(hostname)
	for who in "" --root; do
		run gbrun $who --bind "$PROBE:/probe" -- /bin/sh -c "$ATTEMPTS"
		[ "$status" -eq 0 ]
		[ "${lines[*]}" = "EPERM EPERM EPERM EPERM EPERM EPERM ENOSYS EPERM gradebox" ]
	done
	# The filter is what stops root: without it, all of them work.
	run gbrun --root --seccomp "$BATS_TEST_TMPDIR/empty-profile" --bind "$PROBE:/probe" -- \
		/bin/sh -c "$ATTEMPTS"
	[ "$status" -eq 0 ]
	# all but the mount in the sandbox's own mount namespace, which still
	# belongs to the host (the last line is the hostname the shell sees)
	[ "${lines[*]:0:8}" = "ok EPERM ok ok ok ok ok ok" ]
	[ "$(hostname)" = "$host_name" ]
}

@test "--nested lets the sandbox make namespaces and mount in them" {
	local who
	for who in "" --root; do
		run gbrun $who --nested --bind "$PROBE:/probe" -- /bin/sh -c \
			'/probe unshare user; /probe unshare user,mnt /probe mount; /probe unshare user,uts /probe sethostname inner; hostname'
		[ "$status" -eq 0 ]
		[ "${lines[0]}" = ok ]
		[ "${lines[1]}" = ok ]
		[ "${lines[2]}" = ok ]
		[ "${lines[3]}" = gradebox ]
	done
}

@test "nested_images in the config opts an image in, and only that image" {
	gb image import "$ROOTFS" --name nest >/dev/null
	gb image import "$ROOTFS" --name nest2 >/dev/null
	echo "nested_images = other nest" >"$BATS_TEST_TMPDIR/gradebox.conf"
	export GRADEBOX_CONFIG=$BATS_TEST_TMPDIR/gradebox.conf
	run gb run --image nest --root --bind "$PROBE:/probe" -- /probe unshare user
	[ "$output" = ok ]
	# not listed (a name is matched whole, not as a prefix)
	run gb run --image nest2 --root --bind "$PROBE:/probe" -- /probe unshare user
	[ "$output" = EPERM ]
	run gb run --image nest2 --root --nested --bind "$PROBE:/probe" -- /probe unshare user
	[ "$output" = ok ]
}

@test "/proc/self/cgroup inside shows only / (no host path, no supervisor pid)" {
	local who
	for who in "" --root; do
		run gbrun $who -- /bin/sh -c 'cat /proc/self/cgroup /proc/1/cgroup'
		[ "$status" -eq 0 ]
		[ "${#lines[@]}" -gt 0 ]
		printf '%s\n' "${lines[@]}" | grep -v ':/$' || true
		[ "$(printf '%s\n' "${lines[@]}" | grep -cv ':/$')" = 0 ]
	done
}

@test "root cannot mount the host's cgroup hierarchies; a nested cgroup namespace sees only the sandbox's cgroups" {
	local h hiers=cgroup2
	# the v1 hierarchies gradebox puts sandboxes in, on hybrid hosts
	for h in memory pids; do
		grep -q "^[0-9]*:$h:" /proc/self/cgroup && hiers="$hiers $h"
	done
	run gbrun --root --bind "$PROBE:/probe" -- /bin/sh -c \
		"mkdir /tmp/m; for h in $hiers; do /probe mount-cgroup \$h /tmp/m; /probe unshare user,mnt,cgroup /probe mount-cgroup \$h /tmp/m; done"
	[ "$status" -eq 0 ]
	[ "$(grep -cv '^EPERM$' <<<"$output")" = 0 ]
	# Allowed to nest, root mounts each from its cgroup namespace: the root
	# of the mount is the sandbox's own cgroup, with no cgroup below it.
	run gbrun --root --nested --bind "$PROBE:/probe" -- /bin/sh -c \
		"for h in $hiers; do mkdir /tmp/\$h; done
		/probe unshare user,mnt,cgroup /bin/sh -c 'for h in $hiers; do echo \"\$h \$(/probe mount-cgroup \$h /tmp/\$h) \$(find /tmp/\$h -mindepth 1 -type d | wc -l)\"; done; cat /proc/self/cgroup'"
	[ "$status" -eq 0 ]
	for h in $hiers; do
		[[ "$output" == *"$h ok 0"* ]]
	done
	[ "$(grep -v "^[a-z0-9]* ok 0$" <<<"$output" | grep -cv ':/$')" = 0 ]
}
