#!/usr/bin/env bats
# gradebox agent against the test peer (the backend side of INGInious's
# protocol, tests/agent/peer.py), grading with the stand-in grader: the
# protocol, the slots, kills, pings, reconnection and malformed frames.

load agent_helpers

setup() { agent_setup; }
teardown() { agent_teardown; }

@test "agent: hello offers the store's images as docker environments with their INGInious names, creation times and the slots" {
	command -v umoci >/dev/null || skip "umoci is missing (setup.sh --deps-only): it builds the labelled image"
	# an image with INGInious's labels, stored under another name
	local oci=$BATS_TEST_TMPDIR/oci
	umoci init --layout "$oci"
	umoci new --image "$oci:latest"
	umoci unpack --rootless --image "$oci:latest" "$BATS_TEST_TMPDIR/bundle" >/dev/null
	cp -a "$ROOTFS/." "$BATS_TEST_TMPDIR/bundle/rootfs/"
	umoci repack --image "$oci:latest" "$BATS_TEST_TMPDIR/bundle" >/dev/null
	umoci config --image "$oci:latest" --config.label org.inginious.grading.name=ingi/python \
		--config.label org.inginious.grading.ports=22,8080 >/dev/null
	"$GRADEBOX" image import "$oci" --name stored-python >/dev/null
	start_agent
	peer hello
	[ "$(pj .hello.friendly_name)" = test-agent ]
	[ "$(pj .hello.available_job_slots)" = 2 ]
	[ "$(pj '.hello.available_environments | keys | join(",")')" = docker ]
	[ "$(pj '.hello.available_environments.docker | keys | join(",")')" = default,ingi/python,stored-python ]
	local id created
	id=$("$GRADEBOX" image inspect default | jq -r .id)
	created=$(date -d "$("$GRADEBOX" image inspect default | jq -r .created)" +%s)
	[ "$(pj '.hello.available_environments.docker.default | [.id, .created, .ports, .advertised] | tostring')" = "[\"$id\",$created,[],true]" ]
	[ "$(pj '.hello.available_environments.docker["ingi/python"].ports | tostring')" = "[22,8080]" ]
	[ "$(pj '.hello.available_environments.docker["ingi/python"].id')" = "$(pj '.hello.available_environments.docker["stored-python"].id')" ]
}

@test "agent: 200 jobs over 2 slots are each answered once with their own result" {
	start_agent
	# (the timeout only ends a hang: a loaded CI host grades slowly)
	peer jobs --count 200 --upload --timeout 1200 \
		--params '{"limits": {"time": 7, "hard_time": 21, "memory": 64, "disk": 10}, "run_cmd": "", "network_grading": false}'
	[ "$(pj '.done | length')" = 200 ]
	[ "$(pj '.late | length')" = 0 ]
	# each job's own result: its number echoed by the grader, its upload's
	# bytes (sent as msgpack bin, handed to grade as base64), its parameters
	run pj '[.done | to_entries[] | (.key | ltrimstr("job-") | tonumber) as $n | .value |
		select(.result[0] != "success"
			or (.result[1] | startswith("n=\($n) task=task course=course image=default upload=") | not)
			or .grade != (($n % 100) + 0.5) or .custom != {n: $n, time: 7}
			or .state != "s\($n)" or .stdout != "out\($n)" or .stderr != ""
			or .problems != {q1: ["success", "fine"], q2: "bare text"} or .tests != {t1: true}
			or .archive.bytes != ("ARCHIVE\($n)" | length))] | length'
	[ "$output" = 0 ]
	# the upload of job 10: bytes 0a 00 ff then "upload"
	[ "$(pj '.done["job-10"].result[1]')" = "n=10 task=task course=course image=default upload=0a00ff75706c6f6164" ]
	# the counters, in the queue daemon's format
	grep -qx 'gradebox_jobs_total{result="success"} 200' "$GRADEBOX_STATE_DIR/agent/metrics"
	grep -qx 'gradebox_jobs_submitted_total 200' "$GRADEBOX_STATE_DIR/agent/metrics"
	# one log line per job, as the queue daemon writes
	[ "$(grep -c 'gradebox agent: job job-[0-9]* task=course/task result=success' "$AGENT_LOG")" = 200 ]
	# never more than 2 at once: the agent said it has 2 slots
	[ "$(pj '[.events[] | select(.[0] != "pong")] | reduce .[] as $e ({n: 0, max: 0};
		if $e[0] == "started" then .n += 1 | .max = ([.max, .n] | max) else .n -= 1 end) | .max')" -le 2 ]
}

@test "agent: a kill ends a running job as killed, and a kill of an unknown id is answered killed" {
	start_agent
	peer kill --release "$RELEASE"
	[ "$(pj '.done.victim.result[0]')" = killed ]
	[ "$(pj '.done.victim.state')" = before-kill ]
	[ "$(pj '.done.nosuch.result[0]')" = killed ]
	[ "$(pj '.done.nosuch.state')" = unknown-state ]
	[ "$(pj '.done.survivor.result[0]')" = success ]
	[ -z "$(fake_graders)" ]
}

@test "agent: pings are answered at once while every slot grades" {
	start_agent
	peer ping --pings 20 --release "$RELEASE"
	# the peer fails if a job ended before the 20th pong
	[ "$(pj '.done | length')" = 2 ]
	[ "$(pj '[.done[] | .result[0]] | unique | join(",")')" = success ]
}

@test "agent: a backend restart in the middle of a burst: new hello (with the store as it is now), the jobs that ended meanwhile reported" {
	start_agent
	# the first backend starts a job in each slot, then dies without a word
	peer start-block --release "$RELEASE"
	[ "$(pj '.running | length')" = 2 ]
	[ "$(pj '.hello.available_environments.docker | keys | join(",")')" = default ]
	# an image imported now is announced by the next hello
	"$GRADEBOX" image import "$ROOTFS" --name later >/dev/null
	# the agent notices the silence, reconnects (the backend is still
	# down); meanwhile the two jobs end
	wait_for_log "no message from the backend"
	touch "$RELEASE"
	# the new backend gets a hello, then the two results, then grades on
	peer after-restart --late 2 --count 4
	[ "$(pj '[.late[] | .job_id] | sort | join(",")')" = old-0,old-1 ]
	[ "$(pj '[.late[] | .result[0]] | unique | join(",")')" = success ]
	[ "$(pj '.done | length')" = 4 ]
	[ "$(pj '.hello.available_environments.docker | keys | join(",")')" = default,later ]
	[ "$(grep -c 'no message from the backend' "$AGENT_LOG")" = 1 ]
}

@test "agent: an agent started before its backend waits, then says hello" {
	start_agent
	wait_for_log "waiting for the backend"
	peer jobs --count 2
	[ "$(pj '.done | length')" = 2 ]
	[ "$(grep -c 'connected to the backend' "$AGENT_LOG")" = 1 ]
}

@test "agent: SIGKILLed and restarted, it stops the graders it left and nothing stays behind" {
	start_agent
	peer start-block --release "$RELEASE"
	kill -KILL "$AGENT_PID"
	wait "$AGENT_PID" || true
	AGENT_PID=
	# its graders outlive it (own process groups) ...
	[ "$(fake_graders | wc -l)" = 2 ]
	# ... until the next agent stops them
	start_agent
	wait_for_log "stopped 2 grader(s) left by an agent that was killed"
	[ -z "$(fake_graders)" ]
	run "$GRADEBOX" gc
	[ "$status" = 0 ]
	[ "$output" = "removed 0 leftover job item(s), 0 leftover image item(s)" ]
	peer jobs --count 2
	[ "$(pj '.done | length')" = 2 ]
	stop_agent
	[ ! -e "$GRADEBOX_STATE_DIR/agent" ]
}

@test "agent: malformed frames (bad msgpack, wrong types, unknown @type) are logged and dropped, and the agent keeps serving" {
	start_agent
	peer malformed
	[ "$(grep -c 'dropped a message from the backend' "$AGENT_LOG")" = 9 ]
	grep -q 'dropped a multipart message' "$AGENT_LOG"
	grep -q 'unknown message type "BackendNoSuchThing"' "$AGENT_LOG"
	grep -q 'BackendKillJob without a text job_id' "$AGENT_LOG"
	grep -q 'not msgpack' "$AGENT_LOG"
	[ "$(pj '.done["bad-fields"].result[0]')" = error ]
	[[ "$(pj '.done["bad-fields"].result[1]')" == *"BackendNewJob.inputdata: expected a map"* ]]
	[ "$(pj '.done.good.result[0]')" = success ]
}

@test "agent: an unknown environment, a missing task and SSH debug are answered with a crash a teacher understands" {
	start_agent
	peer jobs --env nosuch-image
	[ "$(pj '.done["job-0"].result | join(": ")')" = "crash: Environment 'nosuch-image' is not available on this agent (import the image with \`gradebox image import\`)" ]
	peer jobs --env-type mcq
	[ "$(pj '.done["job-0"].result | join(": ")')" = "crash: Environment type 'mcq' is not available on this agent (it offers 'docker')" ]
	peer jobs --task nosuch-task
	[ "$(pj '.done["job-0"].result | join(": ")')" = "crash: Task course/nosuch-task is not available on this agent (no directory $TASKS/course/nosuch-task)" ]
	peer jobs --debug ssh
	[ "$(pj '.done["job-0"].result | join(": ")')" = "crash: SSH debug is not supported by this agent" ]
	peer jobs --params '{"limits": {"time": 5}, "run_cmd": "", "weird": [1, {"a": null}, -2.5, true]}' --debug true
	[ "$(pj '.done["job-0"].custom.time')" = 5 ]
	[ "$(pj '.done["job-0"].result[0]')" = success ]
}

@test "agent: course and task ids that would leave the tasks directory are refused" {
	# <tasks>/../tasks exists: without the id check the job would be graded
	start_agent
	peer jobs --course .. --task tasks
	[ "$(pj '.done["job-0"].result | join(": ")')" = "error: Invalid course id '..': letters, digits, _ and - only" ]
	peer jobs --course course --task ../course
	[ "$(pj '.done["job-0"].result | join(": ")')" = "error: Invalid task id '../course': letters, digits, _ and - only" ]
	[ -z "$(grep 'result=success' "$AGENT_LOG")" ]
}

@test "agent: SIGTERM kills the running jobs, reports them killed and leaves nothing" {
	start_agent
	peer start-block --release "$RELEASE"
	kill -TERM "$AGENT_PID"
	wait "$AGENT_PID"
	AGENT_PID=
	grep -q 'Terminated: killing 2 running job(s)' "$AGENT_LOG"
	[ "$(grep -c 'task=course/task result=killed' "$AGENT_LOG")" = 2 ]
	[ -z "$(fake_graders)" ]
	[ ! -e "$GRADEBOX_STATE_DIR/agent" ]
}

@test "agent: the backend, tasks, slots and name come from the config file when no flag gives them" {
	printf 'agent_backend = %s\nagent_tasks = %s\nagent_slots = 1\nagent_name = from-config\n' \
		"$BACKEND" "$TASKS" >"$BATS_TEST_TMPDIR/gradebox.conf"
	GRADEBOX_CONFIG=$BATS_TEST_TMPDIR/gradebox.conf GRADEBOX_GRADE_EXEC=$FAKE \
		"$GRADEBOX" agent 2>>"$AGENT_LOG" &
	AGENT_PID=$!
	peer jobs --count 3
	[ "$(pj .hello.friendly_name)" = from-config ]
	[ "$(pj .hello.available_job_slots)" = 1 ]
	[ "$(pj '.done | length')" = 3 ]
	printf 'agent_slots = lots\n' >"$BATS_TEST_TMPDIR/bad.conf"
	GRADEBOX_CONFIG=$BATS_TEST_TMPDIR/bad.conf run "$GRADEBOX" agent
	[ "$status" = 254 ]
	[[ "$output" == *"bad.conf:1: agent_slots must be a number"* ]]
}

@test "agent: bad flags are refused in one line" {
	run "$GRADEBOX" agent --tasks "$TASKS"
	[ "$status" = 254 ]
	[[ "$output" == *"--backend tcp://HOST:PORT is required"* ]]
	run "$GRADEBOX" agent --backend http://x --tasks "$TASKS"
	[ "$status" = 254 ]
	[[ "$output" == *"expected tcp://HOST:PORT"* ]]
	run "$GRADEBOX" agent --backend "$BACKEND" --tasks "$BATS_TEST_TMPDIR/nosuch"
	[ "$status" = 254 ]
	[[ "$output" == *"--tasks"*"No such file or directory"* ]]
	run "$GRADEBOX" agent --backend "$BACKEND" --tasks "$TASKS" --slots 0
	[ "$status" = 254 ]
	[[ "$output" == *"--slots must be a number"* ]]
}
