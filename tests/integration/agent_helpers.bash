# Shared by the agent's bats files: a task tree, an image store, the agent
# under test and the test peer (tests/agent/peer.py, the backend side of
# INGInious's protocol). Protocol tests grade with the stand-in grader
# tests/agent/fake-grade (the runner's GRADEBOX_GRADE_EXEC hook); the
# end-to-end ones with the real `gradebox grade`.
load helpers

PEER=$TOP/tests/agent/peer.py
FAKE=$TOP/tests/agent/fake-grade
# Debian's python3 carries python3-zmq and python3-msgpack (setup.sh).
PEER_PYTHON=/usr/bin/python3

agent_setup() {
	gb_setup
	"$PEER_PYTHON" -c 'import zmq, msgpack' 2>/dev/null ||
		skip "the test peer needs Debian's python3-zmq and python3-msgpack (setup.sh --deps-only)"
	command -v jq >/dev/null || skip "jq is missing (setup.sh --deps-only)"
	TASKS=$BATS_TEST_TMPDIR/tasks
	mkdir -p "$TASKS/course/task" "$TASKS/course/\$common"
	"$GRADEBOX" image import "$ROOTFS" --name default >/dev/null
	PORT=$("$PEER_PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	BACKEND=tcp://127.0.0.1:$PORT
	AGENT_LOG=$BATS_TEST_TMPDIR/agent.log
	RELEASE=$BATS_TEST_TMPDIR/release
	AGENT_PID=
}

# start_agent [ARGS...]: the agent with the stand-in grader, 2 slots.
start_agent() {
	GRADEBOX_GRADE_EXEC=${GRADE_EXEC-$FAKE} "$GRADEBOX" agent --backend "$BACKEND" \
		--tasks "$TASKS" --slots 2 --name test-agent "$@" 2>>"$AGENT_LOG" &
	AGENT_PID=$!
}

stop_agent() {
	[ -n "$AGENT_PID" ] || return 0
	kill -TERM "$AGENT_PID" 2>/dev/null || true
	wait "$AGENT_PID" || true
	AGENT_PID=
}

# peer SCENARIO [ARGS...]: run the test peer; its JSON summary in $BATS_TEST_TMPDIR/peer.json.
peer() {
	"$PEER_PYTHON" "$PEER" "$1" --bind "$BACKEND" "${@:2}" >"$BATS_TEST_TMPDIR/peer.json"
}

# pj FILTER: jq on the peer's summary.
pj() { jq -r "$1" "$BATS_TEST_TMPDIR/peer.json"; }

# Stand-in graders of this test still running.
fake_graders() {
	local pid
	for pid in $(pgrep -f "$FAKE grade"); do
		gb_ours "$pid" && echo "$pid"
	done
	return 0
}

# wait_for_log TEXT: wait (up to 60 s) until the agent's log has TEXT.
wait_for_log() {
	local i
	for i in $(seq 1200); do
		grep -qF -- "$1" "$AGENT_LOG" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "timed out waiting for '$1' in the agent's log:" >&2
	cat "$AGENT_LOG" >&2
	return 1
}

agent_teardown() {
	stop_agent
	local left
	left=$(fake_graders)
	if [ -n "$left" ]; then
		echo "stand-in graders left: $left" >&2
		kill $left 2>/dev/null
		return 1
	fi
	gb_teardown
	# the agent's work directory goes with it
	[ ! -e "$GRADEBOX_STATE_DIR/agent" ] || { ls -la "$GRADEBOX_STATE_DIR/agent" >&2; return 1; }
}
