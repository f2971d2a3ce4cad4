# Shared setup for the integration tests (bats). Every test gets its own
# state and run directories; teardown fails the test when it left anything
# behind: a mount, a process or a cgroup.

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
GRADEBOX=${GRADEBOX:-$TOP/gradebox}
# The busybox rootfs (rootfs/busybox/build.sh), built once by tests/run-tests.
ROOTFS=${GB_TEST_ROOTFS:-$TOP/tests/.work/rootfs}
# In the VM (tests/vm/run.sh) the project tree is itself an overlay over 9p,
# too deep to stack another overlay on: use a copy on the VM's tmpfs.
if [ "${GB_VM:-}" = 1 ] && [ -d "$ROOTFS" ]; then
	if [ ! -x /tmp/gb-vm-rootfs/bin/sh ]; then
		cp -a "$ROOTFS" /tmp/gb-vm-rootfs.$$ && mv /tmp/gb-vm-rootfs.$$ /tmp/gb-vm-rootfs
	fi
	ROOTFS=/tmp/gb-vm-rootfs
fi

gb_setup() {
	export GRADEBOX_CONFIG=/dev/null
	export GRADEBOX_STATE_DIR=$BATS_TEST_TMPDIR/state
	export GRADEBOX_RUN_DIR=$BATS_TEST_TMPDIR/run
	mkdir -p "$GRADEBOX_STATE_DIR" "$GRADEBOX_RUN_DIR"
	[ -d "$ROOTFS" ] || skip "no test rootfs at $ROOTFS (tests/run-tests builds it)"
}

# Is PID a process of this test (it carries this test's GRADEBOX_RUN_DIR)?
gb_ours() {
	{ tr '\0' '\n' </proc/"$1"/environ; } 2>/dev/null | grep -qx "GRADEBOX_RUN_DIR=$GRADEBOX_RUN_DIR"
}

# Everything a test may leave behind, as text; empty when clean. Other
# gradebox users on the machine (a benchmark, say) are not this test's.
gb_leftovers() {
	grep -E "$BATS_TEST_TMPDIR|gradebox" /proc/self/mountinfo | sed 's/^/mount: /'
	local pid
	for pid in $(pgrep -f "$GRADEBOX (run|grade|serve)"); do
		gb_ours "$pid" && echo "process: $pid $(tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null)"
	done
	local cg name owner start now mem_own
	# gradebox makes v1 memory cgroups below its own: one outside ours
	# belongs to a gradebox started elsewhere
	mem_own=/sys/fs/cgroup/memory$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
	mem_own=${mem_own%/}/
	while read -r cg; do
		case $cg in /sys/fs/cgroup/memory/*) [[ $cg == "$mem_own"* ]] || continue ;; esac
		name=${cg##*/}
		owner=${name#job-}
		start=${owner#*-}
		start=${start%%.*} # hybrid: a sandbox's v1 cgroup is <job>.<box>
		owner=${owner%%-*}
		now=$(awk '{ sub(/.*\) /, ""); print $20 }' /proc/"$owner"/stat 2>/dev/null)
		# a live owner that is not this test's is someone else's job
		if [ "$now" = "$start" ] && ! gb_ours "$owner"; then
			continue
		fi
		# an owner that ended between find and now took its cgroup along
		[ -d "$cg" ] || continue
		echo "cgroup: $cg"
	done < <(find /sys/fs/cgroup -maxdepth 8 -type d -name 'job-*' -path '*gradebox*' 2>/dev/null)
	if [ -d "$GRADEBOX_RUN_DIR" ]; then
		find "$GRADEBOX_RUN_DIR" -mindepth 1 -maxdepth 1 | sed 's/^/run dir: /'
	fi
}

# gb_clean: nothing is left behind. Another user's job may be ending just as
# we look (its owner gone, its cgroup not yet), or a killed one be waiting
# for its own gc: what is left behind stays, the rest clears within seconds.
gb_clean() {
	local left i
	for i in $(seq 200); do
		left=$(gb_leftovers)
		[ -z "$left" ] && return 0
		sleep 0.05
	done
	echo "left behind:" >&2
	echo "$left" >&2
	# Fail, but leave no mount of this test for the next one (a mutant
	# made it on purpose: the test is there to catch it).
	grep -F "$BATS_TEST_TMPDIR" /proc/self/mountinfo | awk '{ print $5 }' |
		sort -r | while read -r m; do umount -l "$m" 2>/dev/null; done
	return 1
}

gb_teardown() {
	gb_clean
}

setup() { gb_setup; }
teardown() { gb_teardown; }

# run_gb ARGS...: run gradebox, capturing status/output (bats `run`).
gb() { "$GRADEBOX" "$@"; }

# probe: static helper for system calls busybox cannot make (probe.c).
PROBE=${GB_TEST_PROBE:-$TOP/tests/.work/probe}

# gbrun ARGS... -- CMD: gradebox run on the test rootfs.
gbrun() { "$GRADEBOX" run --rootfs "$ROOTFS" "$@"; }

# sandboxed_pids CMDLINE: host pids of the processes whose whole command
# line is CMDLINE and whose parent is a sandbox's init. The supervisor's own
# command line holds CMDLINE too: it must never count as the sandbox's.
sandboxed_pids() {
	local pid ppid
	for pid in $(pgrep -xf "$1"); do
		ppid=$(awk '/^PPid:/ { print $2 }' /proc/"$pid"/status 2>/dev/null)
		[ -n "$ppid" ] && [ "$(cat /proc/"$ppid"/comm 2>/dev/null)" = gradebox-init ] &&
			echo "$pid"
	done
	return 0
}

# wait_for_sandboxed CMDLINE: wait (up to 20 s) until sandboxed_pids finds it.
wait_for_sandboxed() {
	local i
	for i in $(seq 400); do
		[ -n "$(sandboxed_pids "$1")" ] && return 0
		sleep 0.05
	done
	echo "timed out waiting for '$1' in a sandbox" >&2
	return 1
}

# wait_for_file FILE: wait (up to 20 s) until FILE exists. A background
# helper touches FILE once it is ready, so a loaded machine (CI) slows the
# test down instead of failing it, as a fixed sleep would.
wait_for_file() {
	local i
	for i in $(seq 400); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	echo "timed out waiting for $1" >&2
	return 1
}

# gb_rootfs_idmappable: can the rootfs be idmapped into a sandbox's user
# namespace? Not where it lies on tmpfs before Linux 6.3 — the VM's copy of
# the rootfs (6.1): there its files show as nobody inside.
gb_rootfs_idmappable() {
	local v major minor
	[ "$(stat -f -c %T "$ROOTFS")" = tmpfs ] || return 0
	v=$(uname -r)
	major=${v%%.*}
	minor=${v#*.}
	minor=${minor%%[!0-9]*}
	[ "$major" -gt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -ge 3 ]; }
}

# gb_need_idmapped_rootfs: skip, saying why, a test that needs it.
gb_need_idmapped_rootfs() {
	gb_rootfs_idmappable ||
		skip "the rootfs is on tmpfs, which Linux $(uname -r) cannot idmap (6.3+): its files show as nobody"
}

# The rootfs/debian-python environment (python3, IPython, Jinja2), built once
# per version of the recipe into tests/.work (about a minute with the Debian
# mirror) and shared by every test file that needs it.
PYTHON_TARBALL=$TOP/tests/.work/debian-python-$(sha256sum "$TOP/rootfs/debian-python/build.sh" | cut -c1-12).tar.zst
gb_build_python_tarball() {
	[ -f "$PYTHON_TARBALL" ] && return 0
	mkdir -p "$(dirname "$PYTHON_TARBALL")"
	local log
	log=$(mktemp)
	if ! "$TOP/rootfs/debian-python/build.sh" "$PYTHON_TARBALL.tmp" >"$log" 2>&1; then
		tail -20 "$log" >&2
		rm -f "$log" "$PYTHON_TARBALL.tmp"
		return 1
	fi
	rm -f "$log"
	mv "$PYTHON_TARBALL.tmp" "$PYTHON_TARBALL"
}
