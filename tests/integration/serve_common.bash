# Shared by the queue daemon's tests (serve*.bats, security/serve.bats):
# a daemon per test on its own socket and spool, graded by the real
# `gradebox grade` on the busybox image, and tasks that end as asked.
load "$(dirname "${BASH_SOURCE[0]}")/helpers.bash"

SERVE_CLIENT="$(dirname "${BASH_SOURCE[0]}")/serve_client.py"

# One image store per file: the busybox rootfs imported once as "default".
serve_setup_file() {
	export GRADEBOX_CONFIG=/dev/null
	export GRADEBOX_STATE_DIR=$BATS_FILE_TMPDIR/state
	[ -d "$ROOTFS" ] || return 0
	mkdir -p "$GRADEBOX_STATE_DIR"
	"$GRADEBOX" image import "$ROOTFS" --name default >/dev/null
}

serve_setup() {
	gb_setup
	export GRADEBOX_STATE_DIR=$BATS_FILE_TMPDIR/state
	SOCK=$BATS_TEST_TMPDIR/gb.sock
	SPOOL=$BATS_TEST_TMPDIR/spool
	LOG=$BATS_TEST_TMPDIR/serve.log
	TASKS=$BATS_TEST_TMPDIR/tasks
	INPUT=$BATS_TEST_TMPDIR/input.json
	echo '{"input": {"q1": "42"}}' >"$INPUT"
	DPID=
	"$GRADEBOX" grade --help >/dev/null 2>&1 ||
		skip "gradebox grade is not in this build"
}

serve_teardown() {
	serve_stop
	gb_teardown
}

# make_task NAME [SECONDS]: a task whose run file sleeps SECONDS (0) and
# sets success with grade 100 (the feedback file, as the helpers write it).
make_task() {
	local dir=$TASKS/$1
	mkdir -p "$dir"
	cat >"$dir/task.yaml" <<-YAML
	environment_id: default
	environment_type: docker
	environment_parameters:
	  limits: {time: 60, hard_time: 120, memory: 64}
	problems: {q1: {type: code}}
	YAML
	cat >"$dir/run" <<-RUN
	#!/bin/sh
	# standin-sleep ${2:-0}
	[ "${2:-0}" = 0 ] || sleep ${2:-0}
	mkdir -p /.__output
	echo '{"result": "success", "text": "ok", "grade": 100.0}' >/.__output/__feedback.json
	RUN
	chmod +x "$dir/run"
	echo "$dir"
}

# serve_start [ARGS...]: the daemon in the background, ready to answer.
serve_start() {
	"$GRADEBOX" serve --socket "$SOCK" --spool "$SPOOL" "$@" 2>>"$LOG" &
	DPID=$!
	local i
	for i in $(seq 400); do
		"$GRADEBOX" status --socket "$SOCK" >/dev/null 2>&1 && return 0
		kill -0 "$DPID" 2>/dev/null || { cat "$LOG" >&2; return 1; }
		sleep 0.05
	done
	echo "the daemon did not answer" >&2
	return 1
}

# serve_stop: SIGTERM and wait (the daemon exits 0 once its jobs ended);
# one stuck for a minute (a broken build) is SIGKILLed and fails.
serve_stop() {
	[ -n "$DPID" ] || return 0
	kill -TERM "$DPID" 2>/dev/null
	local i rc
	for i in $(seq 1200); do
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$DPID" 2>/dev/null || true
	wait "$DPID"
	rc=$?
	DPID=
	return $rc
}

# submit ARGS...: gradebox submit on this test's socket.
submit() { "$GRADEBOX" submit --socket "$SOCK" --input "$INPUT" "$@"; }
status() { "$GRADEBOX" status --socket "$SOCK" "$@"; }

# wait_done N [ROUNDS]: wait (ROUNDS x 0.05 s, default 600 s: 200 jobs on
# a loaded 2-core host) until done/ holds N results.
wait_done() {
	local i
	for i in $(seq "${2:-12000}"); do
		[ "$(find "$SPOOL/done" -name '*.json' | wc -l)" -ge "$1" ] && return 0
		kill -0 "$DPID" 2>/dev/null || { echo "the daemon died" >&2; return 1; }
		sleep 0.05
	done
	echo "timed out: $(find "$SPOOL/done" -name '*.json' | wc -l) of $1 results" >&2
	return 1
}

# result_of ID: the "result" field of done/ID.json.
result_of() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["result"])' \
		"$SPOOL/done/$1.json"
}

# grading_pid: the pid of a `gradebox grade` child of the daemon (waits).
grading_pid() {
	local i p
	for i in $(seq 400); do
		p=$(pgrep -P "$DPID" | head -1)
		[ -n "$p" ] && { echo "$p"; return 0; }
		sleep 0.05
	done
	return 1
}
