#!/usr/bin/env bats
# The queue daemon on pure cgroup v2, started in a delegated cgroup as
# runtime/gradebox.service places it (Delegate=yes): it steps into the
# supervisors' leaf, its graders build their job cgroups below the unit,
# and jobs grade through it. Runs only in the VM (tests/vm/run.sh).
load ../integration/serve_common

DELEG=/sys/fs/cgroup/gb-serve.slice/gradebox.service

setup_file() { serve_setup_file; }

setup() {
	[ "${GB_VM:-}" = 1 ] || skip "needs the pure cgroup v2 VM (tests/vm/run.sh)"
	serve_setup
	mkdir -p "$DELEG"
	# what systemd does for the slice: hand memory, pids and cpu to the unit
	echo "+memory +pids +cpu" >/sys/fs/cgroup/gb-serve.slice/cgroup.subtree_control
}

teardown() {
	serve_teardown
	local rc=$?
	find /sys/fs/cgroup/gb-serve.slice -depth -type d -exec rmdir {} + 2>/dev/null
	return $rc
}

@test "serve in a delegated cgroup: the daemon moves to the supervisors' leaf and jobs grade through it" {
	task=$(make_task ok)
	# grading itself must work here for the daemon's grading to mean anything
	direct=$("$GRADEBOX" grade --task "$task" --input "$INPUT" --json | python3 -c \
		'import json, sys; r = json.load(sys.stdin); print(r["result"], r["text"])')
	[[ $direct == success* ]] || skip "gradebox grade itself fails in this VM ($direct)"
	# the daemon as the unit's only process
	sh -c 'echo $$ >'"$DELEG"'/cgroup.procs && exec "$@"' sh \
		"$GRADEBOX" serve --socket "$SOCK" --spool "$SPOOL" --slots 2 2>>"$LOG" &
	DPID=$!
	for i in $(seq 400); do status >/dev/null 2>&1 && break; sleep 0.05; done
	[ "$(cat /proc/"$DPID"/cgroup)" = "0::/gb-serve.slice/gradebox.service/gradebox-supervisors" ]
	for i in $(seq 10); do submit --task "$task"; done >"$BATS_TEST_TMPDIR/ids"
	wait_done 10
	while read -r id; do
		[ "$(result_of "$id")" = success ] || { cat "$SPOOL/done/$id.json"; cat "$LOG"; false; }
	done <"$BATS_TEST_TMPDIR/ids"
	serve_stop
	# no job cgroup is left below the unit
	[ -z "$(find "$DELEG/gradebox" -mindepth 1 -type d 2>/dev/null)" ]
}
