#!/usr/bin/env bats
# The VM's premise (tests/vm/run.sh): pure cgroup v2 with the controllers
# gradebox needs, user namespaces, overlayfs. Meant to run inside the VM;
# outside it (GB_VM unset) every test is skipped.

setup() {
	[ "${GB_VM-}" = 1 ] || skip "not in the VM (run tests/vm/run.sh)"
	cg=/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup)
	cg=${cg%/}
}

teardown() {
	if [ -n "${child-}" ] && [ -d "$child" ]; then
		echo 1 >"$child/cgroup.kill"
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			grep -q '^populated 0' "$child/cgroup.events" && break
			sleep 0.2
		done
		rmdir "$child"
	fi
	if [ -n "${merged-}" ] && grep -q " $merged " /proc/self/mountinfo; then
		umount "$merged"
	fi
	return 0
}

@test "/sys/fs/cgroup is cgroup2, nothing else is mounted below it" {
	run stat -f -c %T /sys/fs/cgroup
	[ "$status" -eq 0 ]
	[ "$output" = cgroup2fs ]
	[ "$(grep -c ' /sys/fs/cgroup' /proc/self/mountinfo)" -eq 1 ]
	# no v1 hierarchy anywhere
	run grep -q ' cgroup ' /proc/self/mounts
	[ "$status" -ne 0 ]
	# /proc/self/cgroup has the single v2 line only
	[ "$(wc -l </proc/self/cgroup)" -eq 1 ]
	grep -q '^0::/' /proc/self/cgroup
}

@test "memory and pids are available, in the root and in our own cgroup" {
	for c in memory pids cpu; do
		grep -qw "$c" /sys/fs/cgroup/cgroup.controllers
		grep -qw "$c" "$cg/cgroup.controllers"
	done
}

@test "a cgroup below ours enforces pids.max and memory.max" {
	[ "$cg" = /sys/fs/cgroup ] ||
		skip "GB_VM_CGROUP is not the root: our cgroup holds processes"
	[ "$(stat -f -c %T "$cg")" = cgroup2fs ]
	child=$cg/gbvm-smoke-$$
	mkdir "$child"
	grep -qw memory "$child/cgroup.controllers"
	grep -qw pids "$child/cgroup.controllers"
	echo 3 >"$child/pids.max"
	echo $((32 * 1024 * 1024)) >"$child/memory.max"
	echo 0 >"$child/memory.swap.max"
	# python and two children fit under pids.max=3; the third fork fails.
	run sh -c "echo \$\$ >$child/cgroup.procs && exec python3 -c '
import os, time
n = 0
try:
    for i in range(10):
        if os.fork() == 0:
            time.sleep(1)
            os._exit(0)
        n += 1
except BlockingIOError:
    print(\"limited at\", n)
while n:
    os.wait()
    n -= 1
'"
	[ "$status" -eq 0 ]
	[ "$output" = "limited at 2" ]
	[ "$(sed -n 's/^max //p' "$child/pids.events")" -ge 1 ]
	# 64 MiB in a 32 MiB cgroup without swap: OOM kill, counted in memory.events.
	run sh -c "echo \$\$ >$child/cgroup.procs && exec python3 -c 'b = bytearray(64 << 20); print(len(b))'"
	[ "$status" -eq 137 ]
	[ "$(sed -n 's/^oom_kill //p' "$child/memory.events")" -ge 1 ]
	[ -e "$child/cgroup.kill" ]
}

@test "user namespaces work: unshare -Ur" {
	run unshare -Ur id -u
	[ "$status" -eq 0 ]
	[ "$output" = 0 ]
	run unshare -Urm --propagation private sh -c 'mount -t tmpfs none /mnt && echo mounted'
	[ "$status" -eq 0 ]
	[ "$output" = mounted ]
}

@test "overlayfs mounts on the tmpfs /tmp, and inside a user namespace" {
	[ "$(stat -f -c %T /tmp)" = tmpfs ]
	d=$BATS_TEST_TMPDIR
	mkdir -p "$d"/{lower,upper,work,merged}
	echo base >"$d/lower/f"
	merged=$d/merged
	mount -t overlay overlay -o "lowerdir=$d/lower,upperdir=$d/upper,workdir=$d/work" "$merged"
	[ "$(cat "$merged/f")" = base ]
	echo changed >"$merged/f"
	[ "$(cat "$d/upper/f")" = changed ]
	[ "$(cat "$d/lower/f")" = base ]
	umount "$merged"
	rm -rf "$d/upper" "$d/work" && mkdir "$d/upper" "$d/work"
	run unshare -Urm --propagation private sh -c \
		"mount -t overlay overlay -o lowerdir=$d/lower,upperdir=$d/upper,workdir=$d/work $merged && echo x >$merged/g && cat $merged/f"
	[ "$status" -eq 0 ]
	[ "$output" = base ]
	[ -f "$d/upper/g" ]
}
