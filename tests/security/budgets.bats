#!/usr/bin/env bats
# Shared kernel budgets, default limits, the OOM killer's order and socket
# buffers: one sandbox must not starve the host or its neighbours.
load ../integration/helpers

setup() {
	gb_setup
	[ -x "$PROBE" ] || skip "no probe binary (tests/run-tests builds it)"
}

teardown() {
	local d
	# End every sandbox a failed test may still hold.
	for d in "$BATS_TEST_TMPDIR"/held-*; do
		[ -e "$d/pid" ] || continue
		touch "$d/stop"
		wait "$(cat "$d/pid")" 2>/dev/null || true
	done
	gb_teardown
}

# held NAME ARGS... -- CMD: start `gradebox run ARGS -- CMD` in the
# background with the probe at /probe. CMD's stdin stays open until
# `release NAME`, so `/probe ... hold` or `cat` keeps the sandbox alive;
# returns once CMD has printed its first line (in held-NAME/out).
held() {
	local name=$1 dir=$BATS_TEST_TMPDIR/held-$1 i
	shift
	mkdir -p "$dir"
	"$GRADEBOX" run --rootfs "$ROOTFS" --bind "$PROBE:/probe" "$@" \
		< <(until [ -e "$dir/stop" ]; do sleep 0.05; done) >"$dir/out" 2>"$dir/err" &
	echo $! >"$dir/pid"
	for i in $(seq 400); do
		[ -s "$dir/out" ] && return 0
		kill -0 "$(cat "$dir/pid")" 2>/dev/null || break
		sleep 0.05
	done
	echo "sandbox $name did not start: $(cat "$dir/err")" >&2
	return 1
}

release() {
	local dir=$BATS_TEST_TMPDIR/held-$1
	touch "$dir/stop"
	wait "$(cat "$dir/pid")"
	rm -f "$dir/pid"
}

held_out() { head -n1 "$BATS_TEST_TMPDIR/held-$1/out"; }
children() { cat /proc/"$1"/task/"$1"/children; }
# Host pids of a held sandbox's gradebox, init and command.
gb_pid() { cat "$BATS_TEST_TMPDIR/held-$1/pid"; }
# init: gradebox's child that is no longer host root (the other one is the
# shell feeding the command's stdin).
init_pid() {
	local c
	for c in $(children "$(gb_pid "$1")"); do
		[ "$(host_uid "$c")" != 0 ] && echo "$c" && return 0
	done
	return 1
}
cmd_pid() { children "$(init_pid "$1")" | awk '{ print $1 }'; }
host_uid() { awk '/^Uid:/ { print $2 }' /proc/"$1"/status; }

# cg_file PID CONTROLLER FILE: that control file of PID's cgroup, read on
# the host (v1 hierarchy of CONTROLLER on hybrid hosts, else cgroup v2).
cg_file() {
	local path
	if [ -d "/sys/fs/cgroup/$2" ] && [ -e "/sys/fs/cgroup/$2/tasks" ]; then
		path=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' /proc/"$1"/cgroup)
		cat "/sys/fs/cgroup/$2$path/$3"
	else
		path=$(awk -F: '$1 == "0" { print $3 }' /proc/"$1"/cgroup)
		cat "/sys/fs/cgroup$path/$3"
	fi
}

memory_limit_file() {
	if [ -e /sys/fs/cgroup/memory/tasks ]; then echo memory.limit_in_bytes; else echo memory.max; fi
}

# Namespace creation for --root: refused by default once the seccomp rules
# apply to root too, allowed again by --nested.
nested_flag() {
	if "$GRADEBOX" run --help | grep -q -- '--nested'; then echo --nested; fi
}

uid_base=2000000000

check_own_range() { # USER-ARGS INSIDE-UID
	local inside=$2 a b ua ub
	held a $1 -- /bin/sh -c 'echo ready; exec cat'
	held b $1 -- /bin/sh -c 'echo ready; exec cat'
	a=$(cmd_pid a)
	b=$(cmd_pid b)
	ua=$(host_uid "$a")
	ub=$(host_uid "$b")
	echo "host uids: $ua $ub"
	[ "$ua" != "$ub" ]
	[ "$ua" -ge $((uid_base + inside)) ]
	[ "$ub" -ge $((uid_base + inside)) ]
	[ $(((ua - uid_base - inside) % 65536)) -eq 0 ]
	[ $(((ub - uid_base - inside) % 65536)) -eq 0 ]
	# each user namespace is owned by its own slot's root id, never host root
	run "$PROBE" ns-owner /proc/"$a"/ns/user
	[ "$output" = "$((ua - inside))" ]
	run "$PROBE" ns-owner /proc/"$b"/ns/user
	[ "$output" = "$((ub - inside))" ]
	release a
	release b
}

@test "two concurrent sandboxes run as different host uid ranges, each in a user namespace owned by its own root id" {
	check_own_range "" 4242
}

@test "two concurrent --root sandboxes run as different host uid ranges, each in a user namespace owned by its own root id" {
	check_own_range --root 0
}

check_inotify() { # USER-ARGS
	local max
	max=$(cat /proc/sys/user/max_inotify_instances)
	held hog $1 -- /probe inotify-hold
	# the whole per-user budget, none of it shared with host root
	[ "$(held_out hog)" = "held $max EMFILE" ]
	run "$PROBE" inotify-hold 1 </dev/null
	[ "$output" = "held 1 ok" ]
	run gbrun $1 --bind "$PROBE:/probe" -- /probe inotify-hold 1 </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "held 1 ok" ]
	release hog
}

@test "a sandbox holding every inotify instance it may leaves host root and another sandbox theirs" {
	check_inotify ""
}

@test "a --root sandbox holding every inotify instance it may leaves host root and another sandbox theirs" {
	check_inotify --root
}

@test "a --root sandbox making UTS namespaces until refused leaves host root and new sandboxes theirs" {
	local flag
	flag=$(nested_flag)
	run gbrun --root $flag --bind "$PROBE:/probe" -- /probe unshare-user
	[ "$output" = ok ] || skip "nested user namespaces are refused to --root${flag:+ even with $flag} ($output): nothing to exhaust"
	held hog --root $flag --pids 16 -- /probe uts-hold
	# refused by the per-user namespace budget of the sandbox's own ids
	[[ "$(held_out hog)" == "held "*" ENOSPC" ]]
	run unshare --uts true
	[ "$status" -eq 0 ]
	run gbrun -- /bin/hostname
	[ "$status" -eq 0 ]
	[ "$output" = gradebox ]
	release hog
}

@test "with every uid slot taken a sandbox is refused, and the slot is free again when its holder ends" {
	# A base of its own: no other test's sandbox holds these ids.
	export GRADEBOX_UID_BASE=$((3000000000 + (RANDOM % 1000) * 65536))
	export GRADEBOX_UID_SLOTS=1
	held a -- /bin/sh -c 'echo ready; exec cat'
	[ "$(host_uid "$(cmd_pid a)")" = $((GRADEBOX_UID_BASE + 4242)) ]
	run gbrun -- /bin/true
	[ "$status" -eq 254 ]
	[[ "$output" == *"uid slots"*"uid_slots"* ]]
	release a
	run gbrun -- /bin/true
	[ "$status" -eq 0 ]
}

@test "with no limit flags a sandbox gets the default memory, pids, disk and wall limits" {
	held a -- /bin/sh -c 'df -m /tmp | tail -n1; exec cat'
	local pid
	pid=$(cmd_pid a)
	[ "$(cg_file "$pid" memory "$(memory_limit_file)")" = $((1024 * 1024 * 1024)) ]
	[ "$(cg_file "$pid" pids pids.max)" = 512 ]
	read -r _ size _ <<<"$(held_out a)"
	[ "$size" = 1024 ]
	release a
	# the wall limit's default, shortened through its variable
	GRADEBOX_DEFAULT_HARD_TIME=0.5 run gbrun --meta "$BATS_TEST_TMPDIR/meta" -- /bin/sleep 30
	[ "$status" -eq 253 ]
	grep -q '"timeout": "wall"' "$BATS_TEST_TMPDIR/meta"
}

@test "default limits come from the config file and the environment, and a flag overrides them" {
	local pid
	printf 'default_memory_mb = 200\ndefault_pids = 33\ndefault_disk_mb = 8\n' >"$BATS_TEST_TMPDIR/conf"
	export GRADEBOX_CONFIG=$BATS_TEST_TMPDIR/conf
	GRADEBOX_DEFAULT_PIDS=44 held a -- /bin/sh -c 'df -m /tmp | tail -n1; exec cat'
	pid=$(cmd_pid a)
	[ "$(cg_file "$pid" memory "$(memory_limit_file)")" = $((200 * 1024 * 1024)) ]
	[ "$(cg_file "$pid" pids pids.max)" = 44 ]
	read -r _ size _ <<<"$(held_out a)"
	[ "$size" = 8 ]
	release a
	held b --pids 55 --memory 300 -- /bin/sh -c 'echo ready; exec cat'
	pid=$(cmd_pid b)
	[ "$(cg_file "$pid" pids pids.max)" = 55 ]
	[ "$(cg_file "$pid" memory "$(memory_limit_file)")" = $((300 * 1024 * 1024)) ]
	release b
	printf 'default_pids = many\n' >"$BATS_TEST_TMPDIR/conf"
	run gbrun -- /bin/true
	[ "$status" -eq 254 ]
	[[ "$output" == *"$BATS_TEST_TMPDIR/conf:1"*default_pids* ]]
}

# Does gradebox hold CAP_SYS_RESOURCE (bit 24)? Only then does the kernel
# make the sandbox's OOM preference a floor the sandbox cannot lower.
have_sys_resource() {
	local eff
	eff=$(awk '/^CapEff:/ { print $2 }' /proc/self/status)
	(((0x$eff >> 24) & 1))
}

check_oom() { # USER-ARGS
	held a $1 -- /bin/sh -c '/probe oom-adj; exec cat'
	local gb init cmd
	gb=$(gb_pid a)
	init=$(init_pid a)
	cmd=$(cmd_pid a)
	[ "$(cat /proc/"$init"/oom_score_adj)" = 1000 ]
	[ "$(cat /proc/"$cmd"/oom_score_adj)" = 1000 ]
	[ "$(cat /proc/"$gb"/oom_score_adj)" -lt 1000 ]
	if have_sys_resource; then
		[ "$(cat /proc/"$gb"/oom_score_adj)" = -500 ]
		[ "$(held_out a)" = "adj 1000 lower EACCES" ]
	else
		# without the capability nobody can set a floor; the order holds
		[[ "$(held_out a)" == "adj 1000 lower "* ]]
	fi
	release a
}

@test "the OOM killer takes the sandbox before gradebox, and the sandbox cannot change that" {
	check_oom ""
}

@test "the OOM killer takes a --root sandbox before gradebox, and root inside cannot change that" {
	check_oom --root
}

check_tcp_flood() { # USER-ARGS
	run gbrun $1 --memory 64 --meta "$BATS_TEST_TMPDIR/meta" --bind "$PROBE:/probe" -- /probe tcp-flood 128
	echo "$output"
	# Unbounded, 128 connections buffer about 480 MB. Charged, socket
	# buffers stay near the limit (v1: a TCP limit equal to --memory beside
	# it), or the sandbox is OOM-killed.
	if [ "$status" -eq 252 ]; then
		grep -q '"status": "memory"' "$BATS_TEST_TMPDIR/meta"
		return 0
	fi
	[ "$status" -eq 0 ]
	read -r _ mb _ <<<"$output"
	[ "$mb" -le 128 ]
}

@test "loopback TCP buffers never read are charged to a sandbox's --memory" {
	check_tcp_flood ""
}

@test "loopback TCP buffers never read are charged to a --root sandbox's --memory" {
	check_tcp_flood --root
}
