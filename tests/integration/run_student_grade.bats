#!/usr/bin/env bats
# run_student inside `gradebox grade` (issue 11 through issue 10's grading
# sandbox): the same server, bound at /.gradebox/sock.
load helpers
bats_require_minimum_version 1.5.0

setup() {
	gb_setup
	[ -x "$TOP/helpers/bin/run_student" ] || skip "helpers/bin/run_student is not built (make)"
	gb image import "$ROOTFS" --name default >/dev/null
	COURSE=$BATS_TEST_TMPDIR/course
	mkdir -p "$COURSE/t"
	printf 'environment_type: docker\nenvironment_id: default\nenvironment_parameters:\n  limits: {time: 10, memory: 100}\n' >"$COURSE/t/task.yaml"
	echo '{"input": {}}' >"$BATS_TEST_TMPDIR/input.json"
	# The Python API may not be built in this tree: an empty one serves.
	if [ ! -d "$TOP/helpers/python" ]; then
		export GRADEBOX_HELPERS_DIR=$BATS_TEST_TMPDIR/helpers
		mkdir -p "$GRADEBOX_HELPERS_DIR/python"
		cp -a "$TOP/helpers/bin" "$GRADEBOX_HELPERS_DIR/bin"
	fi
}

teardown() { gb_teardown; }

# runfile: the task's run file (sh), from stdin.
runfile() {
	{ echo '#!/bin/sh'; cat; } >"$COURSE/t/run"
	chmod +x "$COURSE/t/run"
}

grade() {
	run --separate-stderr "$GRADEBOX" grade --task "$COURSE/t" --input "$BATS_TEST_TMPDIR/input.json" --json
}

@test "grade: run_student runs the student's code in student sandboxes, counted in stats.student_runs" {
	runfile <<'EOF'
cd /task/student && echo hello > f
a=$(run_student cat f); ra=$?
printf 'kill -SEGV $$\n' > k.sh; run_student sh k.sh; rb=$?
b=$(run_student "sh -c 'ls /task; id -u; [ -e /.gradebox ] || echo no-gradebox'" | tr '\n' ' ')
echo "{\"result\": \"success\", \"text\": \"$a $ra $rb $b\"}" > /.__output/__feedback.json
EOF
	grade
	echo "$output $stderr"
	[ "$status" -eq 0 ]
	[ "$(jq -r .text <<<"$output")" = "hello 0 245 student 4242 no-gradebox " ]
	[ "$(jq -r .stats.student_runs <<<"$output")" = 3 ]
}

@test "grade: a student sandbox left running ends with the grading sandbox" {
	runfile <<'EOF'
run_student sleep 3021 &
while [ ! -e /task/student/started ]; do run_student touch /task/student/started; done
echo '{"result": "success"}' > /.__output/__feedback.json
EOF
	grade
	echo "$output $stderr"
	[ "$status" -eq 0 ]
	[ -z "$(pgrep -xf 'sleep 3021')" ]
}

@test "run_student through grade: the course's \$common/student is read-only in the student sandbox" {
	mkdir -p "$COURSE/\$common/student"
	echo shared >"$COURSE/\$common/student/f"
	runfile <<'EOF2'
v=$(run_student cat /course/common/student/f)
run_student touch /course/common/student/x 2>/dev/null; w=$?
echo "{\"result\": \"success\", \"text\": \"$v $w\"}" >/.__output/__feedback.json
EOF2
	grade
	[ "$(jq -r .text <<<"$output")" = "shared 1" ]
}

@test "run_student through grade: the job's process limit covers the grading and the student sandboxes together" {
	export GRADEBOX_DEFAULT_PIDS=40
	runfile <<'EOF2'
for i in $(seq 25); do sleep 100 & done
set -- /proc/[0-9]*; g=$#
# the student says x for every sleep it could start; busybox sh gives up
# at the first fork that fails
s=$(run_student "sh -c 'for i in \$(seq 30); do sleep 100 & echo x; done'" 2>/dev/null | grep -c x)
echo "{\"result\": \"success\", \"text\": \"$g $s\"}" >/.__output/__feedback.json
EOF2
	grade
	echo "$output"
	read -r g s <<<"$(jq -r .text <<<"$output")"
	[ "$g" -ge 25 ]
	# each box alone may have 40; both together stay within the job's 40
	[ "$((g + s))" -le 42 ]
	[ "$s" -lt 30 ]
}
