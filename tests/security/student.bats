#!/usr/bin/env bats
# Student sandboxes (run_student, issue 11): from the student, nothing of
# the grader is reachable and nothing outlives the call; from the grading
# sandbox, forged requests cannot hurt the supervisor.
load ../integration/helpers
load ../integration/student_helpers

setup() { student_setup; }

teardown() {
	end_grading_bg
	gb_teardown
}

# wait_task FILE: wait (up to 20 s) until the sandboxes make $TASK/FILE.
wait_task() {
	local i
	for i in $(seq 400); do
		[ -e "$TASK/$1" ] && return 0
		sleep 0.05
	done
	echo "timed out waiting for $TASK/$1" >&2
	return 1
}

fd_count() { ls /proc/"$1"/fd | wc -l; }

@test "student: cannot read or write anything of /task outside /task/student" {
	# the grader writes the rootfs's /task, the worker's where it is idmapped
	gb_need_idmapped_rootfs
	# What the student writes at /task lands in its own sandbox's layer.
	student_script s.sh 'cat /task/run 2>/dev/null && echo READ; ls /task/tests 2>/dev/null && echo LISTED
echo x > /task/run 2>/dev/null; echo x > /task/new 2>/dev/null; echo student-ran'
	run grading 'mkdir /task/tests; echo secret > /task/run; echo t > /task/tests/t
		run_student sh /task/student/s.sh; cat /task/run; [ -e /task/new ] || echo no-new'
	[ "$status" -eq 0 ]
	[ "$(head -3 <<<"$output")" = "$(printf 'student-ran\nsecret\nno-new')" ]
}

@test "student: cannot see or signal the grading sandbox's processes" {
	student_script s.sh 'ps -o args | grep -c "^sleep 3011"; kill -9 -1 2>/dev/null; echo alive'
	run grading 'sleep 3011 & g=$!; run_student sh /task/student/s.sh; kill -0 $g && echo grader-sleep-alive; kill $g'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 0 ]
	grep -qx grader-sleep-alive <<<"$output"
}

@test "student: cannot reach the supervisor socket" {
	cp "$TOP/tests/student/run_student" "$TASK/run_student"
	student_script s.sh 'ls /.gradebox 2>/dev/null && echo SEES-GRADEBOX
/task/student/run_student true; echo inner=$?'
	run grading 'run_student sh /task/student/s.sh'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "run_student: not available: no gradebox supervisor socket at /.gradebox/sock" ]
	[ "${lines[1]}" = inner=251 ]
}

@test "student: cannot leave a process running after run_student returns" {
	student_script s.sh 'sleep 3012 </dev/null >/dev/null 2>&1 & echo started'
	grading_bg "$BATS_TEST_TMPDIR/out" 'run_student sh /task/student/s.sh; touch /task/student/returned
		while [ ! -e /task/student/checked ]; do sleep 0.02; done'
	wait_task returned
	[ -z "$(host_pids 'sleep 3012')" ]
	touch "$TASK/checked"
	wait "$HARNESS_PID"
	HARNESS_PID=
}

@test "student: its sandbox dies when run_student dies" {
	student_script s.sh 'trap "" TERM HUP INT; touch /task/student/running; exec sleep 3013'
	grading_bg "$BATS_TEST_TMPDIR/out" 'run_student sh /task/student/s.sh & p=$!
		while [ ! -e /task/student/running ]; do sleep 0.02; done
		kill -9 $p; touch /task/student/killed
		while [ ! -e /task/student/checked ]; do sleep 0.02; done'
	wait_task killed
	for i in $(seq 200); do [ -z "$(host_pids 'sleep 3013')" ] && break; sleep 0.05; done
	[ -z "$(host_pids 'sleep 3013')" ]
	touch "$TASK/checked"
	wait "$HARNESS_PID"
	HARNESS_PID=
}

@test "student: cannot exceed the grading sandbox's limits by asking for more" {
	run grading --memory 48 --time 2 'run_student --memory 4000 /task/student/probe alloc 200; echo rc=$?
		run_student --time 100 "sh -c \"while :; do :; done\""; echo rc=$?
		run_student --hard-time 100 --time 100 sleep 1; echo rc=$?'
	[ "$status" -eq 0 ]
	[ "$(grep '^rc=' <<<"$output" | tr '\n' ' ')" = "rc=252 rc=253 rc=0 " ]
}

@test "student: cannot fill the job's disk beyond its limit" {
	# One job tmpfs of --disk for all its boxes: the grader's 5 MB and the
	# student's 5 MB do not both fit in 8.
	run grading --disk 8 --job-disk 'dd if=/dev/zero of=/tmp/g bs=1M count=5 2>/dev/null; echo grader=$?
		run_student "dd if=/dev/zero of=/tmp/fill bs=1M count=5"; echo rc=$?'
	[ "$status" -eq 0 ]
	grep -qx 'grader=0' <<<"$output"
	grep -q 'No space left on device' <<<"$output"
	[ "$(grep '^rc=' <<<"$output")" = rc=1 ]
}

@test "student: forged requests get 254 or a closed socket; the supervisor serves on, no fd leaked" {
	grading_bg "$BATS_TEST_TMPDIR/out" 'run_student true; touch /task/student/before
		while [ ! -e /task/student/go ]; do sleep 0.02; done
		for a in huge truncated nofds twofds extrafds dirfd garbage; do forge $a; done
		forge flood 10000; forge hold 200
		run_student echo still-serving; touch /task/student/after
		while [ ! -e /task/student/done ]; do sleep 0.02; done'
	wait_task before
	before=$(fd_count "$HARNESS_PID")
	touch "$TASK/go"
	wait_task after
	after=$(fd_count "$HARNESS_PID")
	# before the end: a supervisor that kept a forged call's stdio would
	# also hold the grader's pipes open and never finish
	[ "$before" -eq "$after" ]
	touch "$TASK/done"
	wait "$HARNESS_PID"
	HARNESS_PID=
	cat "$BATS_TEST_TMPDIR/out"
	for a in huge truncated nofds twofds extrafds dirfd garbage; do
		grep -Eqx "$a: (254|closed)" "$BATS_TEST_TMPDIR/out"
	done
	grep -qx 'flood: 10000 done' "$BATS_TEST_TMPDIR/out"
	grep -qx still-serving "$BATS_TEST_TMPDIR/out"
}
