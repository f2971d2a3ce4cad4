#!/usr/bin/env bats
# gradebox test through the real `gradebox grade` (issue 14): every
# submission in a grading sandbox on the busybox test rootfs, imported as the
# environment "default". replay.bats covers the comparison itself.

load helpers

setup() {
	gb_setup
	unset GRADEBOX_GRADE_EXEC
	gb image import "$ROOTFS" --name default >/dev/null
	COURSE=$BATS_TEST_TMPDIR/course
	mkdir -p "$COURSE/echo/test"
	# the run file reports what the input asks for: a result and a state
	cat >"$COURSE/echo/task.yaml" <<-'EOF'
	environment_type: docker
	environment_id: default
	environment_parameters:
	  limits: {time: 10, memory: 64}
	problems:
	  want: {type: code, language: plain}
	EOF
	cat >"$COURSE/echo/run" <<-'EOF'
	#!/bin/sh
	want=$(getinput want)
	feedback-result "$want"
	feedback-msg -m "asked for $want"
	feedback-state "s-$want"
	echo "graded $want"
	EOF
	chmod +x "$COURSE/echo/run"
}

# recording NAME WANT RESULT: a submission asking for WANT, recorded as RESULT.
recording() {
	cat >"$COURSE/echo/test/$1.test" <<-EOF
	_id: 0123456789abcdef0123$1
	courseid: c
	taskid: echo
	submitted_on: 2025-05-05 05:05:05
	username: [erin.example]
	input: {want: $2, '@username': erin.example, '@lang': en}
	result: $3
	grade: $([ "$3" = success ] && echo 100.0 || echo 0.0)
	problems: {}
	tests: {}
	custom: {}
	state: s-$3
	stdout: "graded $2\n"
	EOF
}

@test "replay (grade): the example course's recordings grade as recorded" {
	cp -r "$TOP/docs/examples/course" "$BATS_TEST_TMPDIR/example"
	# the tasks of the busybox image (examples.bats replays python-sum)
	run gb test "$BATS_TEST_TMPDIR/example" hello-sh template-sh upload-sh -j 2
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ "same    upload-sh/test/answer.test" ]]
	[[ "$output" =~ "total             9       9          0       0" ]]
}

@test "replay (grade): same and DIFF through grading sandboxes; --update, then all same" {
	recording a success success
	recording b failed success
	recording c failed failed
	run gb test "$COURSE"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "same    echo/test/a.test" ]]
	[[ "${lines[1]}" == 'DIFF    echo/test/b.test  result: "success" -> "failed"; grade: 100.0 -> 0.0; state: "s-success" -> "s-failed"' ]]
	[[ "${lines[2]}" == "same    echo/test/c.test" ]]
	run gb test "$COURSE" --update
	[ "$status" -eq 1 ]
	grep -qx 'result: failed' "$COURSE/echo/test/b.test"
	grep -qx 'submitted_on: 2025-05-05 05:05:05' "$COURSE/echo/test/b.test"
	run gb test "$COURSE"
	echo "$output"
	[ "$status" -eq 0 ]
}

@test "replay (grade): -j 2 with more submissions than slots grades every one" {
	local i
	for i in $(seq 6); do recording "s$i" success success; done
	run gb test "$COURSE" -j 2 --json "$BATS_TEST_TMPDIR/r.json"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^same' <<<"$output")" = 6 ]
	[ "$(jq .total.same "$BATS_TEST_TMPDIR/r.json")" = 6 ]
}
