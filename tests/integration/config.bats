#!/usr/bin/env bats
# Configuration keys a host admin sets (here through their GRADEBOX_*
# variables), asserted on what the host then sees.
load helpers

# The hierarchies job cgroups live in, and this process's own cgroup: the
# v2 one on pure v2 hosts, the v1 memory one on hybrid hosts (where
# cgroup_root's path below the v2 mount is used in every hierarchy, and a
# cgroup above our memory cgroup would escape the limit we run under).
cgroup_layout() {
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
		CG_V2=/sys/fs/cgroup
		CG_MOUNTS=(/sys/fs/cgroup)
		CG_OWN=$(sed -n 's/^0:://p' /proc/self/cgroup)
	else
		CG_V2=/sys/fs/cgroup/unified
		CG_MOUNTS=(/sys/fs/cgroup/unified /sys/fs/cgroup/memory /sys/fs/cgroup/pids)
		CG_OWN=$(awk -F: '$2 == "memory" { print $3 }' /proc/self/cgroup)
	fi
	CG_OWN=${CG_OWN%/}
}

setup() {
	gb_setup
	CG_MADE=()
}

teardown() {
	local d
	# the directories the cgroup_root test made, deepest first
	for d in "${CG_MADE[@]}"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} +
	done
	gb_teardown
}

# host_ids PID: "uid gid" lines of /proc/PID/status: real, effective,
# saved and filesystem ids as the host sees them.
host_ids() {
	awk '/^Uid:/ { print $2, $3, $4, $5 } /^Gid:/ { print $2, $3, $4, $5 }' /proc/"$1"/status
}

# in_slot BASE INSIDE IDS...: every id is BASE + k * 65536 + INSIDE, for one
# sandbox slot k below 1024.
in_slot() {
	local base=$1 inside=$2 id off
	shift 2
	for id; do
		off=$((id - base - inside))
		[ "$off" -ge 0 ] && [ $((off % 65536)) -eq 0 ] && [ $((off / 65536)) -lt 1024 ] || {
			echo "id $id is not $base + k * 65536 + $inside" >&2
			return 1
		}
	done
}

# host_ids_of FLAGS...: the host uid and gid lines of a sandboxed sleep run
# with FLAGS, read from the host while it runs.
host_ids_of() {
	local tag="7$RANDOM$RANDOM" box pid
	"$GRADEBOX" run --rootfs "$ROOTFS" "$@" -- sleep "$tag" &
	box=$!
	wait_for_sandboxed "sleep $tag"
	pid=$(sandboxed_pids "sleep $tag")
	host_ids "$pid"
	kill -TERM $box
	wait $box || true
}

@test "uid_base: the sandbox's processes run as host ids uid_base + inside id" {
	local base=1500000000
	export GRADEBOX_UID_BASE=$base
	run host_ids_of
	echo "$output"
	[ "${#lines[@]}" -eq 2 ]
	in_slot $base 4242 ${lines[0]} ${lines[1]}
	# root inside is uid_base itself (in its slot), never host root
	run host_ids_of --root
	echo "$output"
	[ "${#lines[@]}" -eq 2 ]
	in_slot $base 0 ${lines[0]} ${lines[1]}
}

@test "cgroup_root: job cgroups are made below it" {
	cgroup_layout
	local rel=${CG_OWN#/}/gradebox-root-$$ m p c tag="7$RANDOM$RANDOM" pid
	rel=${rel#/}
	# remember the first directory the run will create in each hierarchy
	for m in "${CG_MOUNTS[@]}"; do
		p=$m
		for c in ${rel//\// }; do
			p=$p/$c
			if [ ! -d "$p" ]; then
				CG_MADE+=("$p")
				break
			fi
		done
	done
	export GRADEBOX_CGROUP_ROOT=$CG_V2/$rel
	"$GRADEBOX" run --rootfs "$ROOTFS" -- sleep "$tag" &
	local box=$!
	wait_for_sandboxed "sleep $tag"
	pid=$(sandboxed_pids "sleep $tag")
	run cat /proc/"$pid"/cgroup
	kill -TERM $box
	wait $box || true
	echo "$output"
	# the v2 cgroup, and the v1 memory and pids ones on hybrid hosts
	[[ "$output" == *"0::/$rel/job-"* ]]
	if [ ${#CG_MOUNTS[@]} -gt 1 ]; then
		[[ "$output" == *":memory:/$rel/job-"* ]]
		[[ "$output" == *":pids:/$rel/job-"* ]]
	fi
	# and it is gone with the run, cgroup_root staying
	[ -d "$GRADEBOX_CGROUP_ROOT" ]
	[ -z "$(find "$GRADEBOX_CGROUP_ROOT" -mindepth 1 -type d)" ]
}
