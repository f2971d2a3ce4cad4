#!/usr/bin/env bats
# gradebox agent end to end: the test peer's jobs graded by the real
# `gradebox grade` in sandboxes (agent.bats covers the protocol with a
# stand-in grader).

load agent_helpers

setup() {
	agent_setup
	GRADE_EXEC=
	local t
	for t in echo sleeper; do
		mkdir -p "$TASKS/course/$t"
		printf 'environment_type: docker\nenvironment_id: default\nenvironment_parameters:\n  limits: {time: 10, memory: 100}\n' \
			>"$TASKS/course/$t/task.yaml"
	done
	# echo: the upload's bytes as the text, an archive; with a time limit
	# of 1 s from the job's parameters, a busy loop first
	cat >"$TASKS/course/echo/run" <<'RUN'
#!/bin/sh
grep -q '"spin"' /.__input/__inputdata.json && while :; do :; done
echo archived >/archive/a.txt
printf '{"result": "success", "text": "%s", "grade": 42.0}' "$(od -An -tx1 /.__input/__inputfile_0 | tr -d ' \n')" >/.__output/__feedback.json
RUN
	printf '#!/bin/sh\nsleep 1000\n' >"$TASKS/course/sleeper/run"
	chmod +x "$TASKS/course/echo/run" "$TASKS/course/sleeper/run"
}
teardown() { agent_teardown; }

@test "agent with gradebox grade: a job is graded in a sandbox with its upload, and its archive comes back as bytes" {
	start_agent
	peer jobs --task echo --upload
	[ "$(pj '.done["job-0"].result[0]')" = success ]
	[ "$(pj '.done["job-0"].grade')" = 42 ]
	# the upload arrived as bytes 00 00 ff "upload"; the run file read them back
	[ "$(pj '.done["job-0"].result[1]')" = 0000ff75706c6f6164 ]
	# the archive is a gzip'd tar (bytes on the wire)
	[ "$(pj '.done["job-0"].archive.head' | cut -c1-4)" = 1f8b ]
}

@test "agent with gradebox grade: the job's environment_parameters replace the task's limits" {
	start_agent
	peer jobs --task echo --upload --input '{"spin": 1}' \
		--params '{"limits": {"time": 1, "hard_time": 5, "memory": 100, "disk": 100}, "run_cmd": "", "network_grading": false}'
	[ "$(pj '.done["job-0"].result[0]')" = timeout ]
}

@test "agent with gradebox grade: malformed environment_parameters end the job as error, with the field named" {
	start_agent
	peer jobs --task echo --upload --params '{"limits": {"time": "soon"}}'
	[ "$(pj '.done["job-0"].result[0]')" = error ]
	[[ "$(pj '.done["job-0"].result[1]')" == *time* ]]
}

@test "agent with gradebox grade: a kill stops the job's sandbox and is answered killed" {
	start_agent
	peer kill --task sleeper --survivor-task echo --release "$RELEASE"
	[ "$(pj '.done.victim.result[0]')" = killed ]
	[ "$(pj '.done.nosuch.result[0]')" = killed ]
	stop_agent
}

@test "agent with gradebox grade: SIGKILLed mid-job and restarted, nothing is left and gc finds nothing" {
	start_agent
	peer start-block --task sleeper --release "$RELEASE"
	kill -KILL "$AGENT_PID"
	wait "$AGENT_PID" || true
	AGENT_PID=
	start_agent
	wait_for_log "stopped 2 grader(s) left by an agent that was killed"
	run "$GRADEBOX" gc
	[ "$status" = 0 ]
	[ "$output" = "removed 0 leftover job item(s), 0 leftover image item(s)" ]
	peer jobs --task echo --upload
	[ "$(pj '.done["job-0"].result[0]')" = success ]
	stop_agent
	gb_clean
}
