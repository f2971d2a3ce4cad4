#!/usr/bin/env bats
# run_student: nested student sandboxes through the job's supervisor
# (issue 11). What a run file sees: exit codes, stdio, files, limits,
# signals, parallel calls.
load helpers
load student_helpers

setup() { student_setup; }
teardown() { gb_teardown; }

@test "run_student: the student's exit code, 127 for a missing command" {
	run grading 'run_student "sh -c \"exit 3\""; echo rc=$?
		run_student true; echo rc=$?
		run_student "sh -c nosuchcommand"; echo rc=$?
		run_student /nosuch/program; echo rc=$?'
	[ "$status" -eq 0 ]
	[ "$(grep '^rc=' <<<"$output" | tr '\n' ' ')" = "rc=3 rc=0 rc=127 rc=127 " ]
}

@test "run_student: a student killed by signal N gives 256-N" {
	student_script k.sh 'kill -$1 $$'
	run grading 'run_student sh /task/student/k.sh SEGV; echo rc=$?
		run_student sh /task/student/k.sh KILL; echo rc=$?'
	[ "$status" -eq 0 ]
	[ "$(grep '^rc=' <<<"$output" | tr '\n' ' ')" = "rc=245 rc=247 " ]
}

@test "run_student: words are joined with spaces and re-split as INGInious's shlex does" {
	run grading 'run_student echo "a   b" "c d"
		run_student "echo '"'"'x   y'"'"'"
		run_student sh -c "echo one two"'
	[ "$status" -eq 0 ]
	# `sh -c echo one two`: the quoting of separate words is lost (an empty line)
	[ "$(head -2 <<<"$output")" = "$(printf 'a b c d\nx   y')" ]
	[ "$(sed -n 3p <<<"$output")" = "" ]
	[[ "$(sed -n 4p <<<"$output")" == student_runs=3* ]]
}

@test "run_student: the student reads and writes the caller's own stdin, stdout and stderr" {
	run grading 'echo piped | run_student cat
		run_student "sh -c \"echo to-err >&2\"" 2>/tmp/err; cat /tmp/err
		run_student echo to-file >/tmp/out; cat /tmp/out'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = piped ]
	[ "${lines[1]}" = to-err ]
	[ "${lines[2]}" = to-file ]
}

@test "run_student: /task/student is shared both ways, nothing else of /task is there" {
	student_script s.sh 'cat /task/student/from-grader; echo student > /task/student/from-student
ls /task; cat /task/run.secret 2>/dev/null || echo no-secret'
	# (the rootfs's /task is the worker's only where the rootfs can be
	# idmapped: not on the VM's tmpfs copy, where the secret is not made)
	run grading 'echo grader > /task/student/from-grader; echo s 2>/dev/null > /task/run.secret
		run_student sh /task/student/s.sh; echo rc=$?; cat /task/student/from-student'
	[ "$status" -eq 0 ]
	[ "$(head -5 <<<"$output")" = "$(printf 'grader\nstudent\nno-secret\nrc=0\nstudent')" ]
	[[ "$(sed -n 6p <<<"$output")" == "student_runs=1 refused=0 "* ]]
}

@test "run_student: /task/student shows the same owners, uid 4242, to the grader and the student" {
	# Each sandbox has its own uid slot; the bind is idmapped into each.
	if [ "$(stat -f -c %T "$TASK")" = tmpfs ] &&
		[ "$(printf '%s\n6.3\n' "$(uname -r | cut -d. -f1,2)" | sort -V | head -1)" != 6.3 ]; then
		skip "tmpfs cannot be idmapped before Linux 6.3 (student boxes share the grader's slot there)"
	fi
	student_script s.sh 'cat /task/student/g; echo s > /task/student/s; chmod 600 /task/student/s
stat -c "%u %a" /task/student/g'
	run grading 'echo g > /task/student/g; chmod 600 /task/student/g
		run_student sh /task/student/s.sh; cat /task/student/s; stat -c "%u %a" /task/student/s'
	[ "$status" -eq 0 ]
	[ "$(head -4 <<<"$output")" = "$(printf 'g\n4242 600\ns\n4242 600')" ]
	# and on the disk too: the files belong to 4242, no slot's host id
	[ "$(stat -c %u "$TASK/g" "$TASK/s" | tr '\n' ' ')" = "4242 4242 " ]
}

@test "run_student: the cwd is the caller's inside /task/student, else /task/student" {
	run grading 'mkdir /task/student/sub && cd /task/student/sub && run_student pwd
		cd / && run_student pwd'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = /task/student/sub ]
	[ "${lines[1]}" = /task/student ]
}

@test "run_student: uid 4242, or root in its own user namespace with --run-as-root" {
	run grading 'run_student id -u; run_student --run-as-root id -u
		run_student --run-as-root "cat /proc/self/uid_map"'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = 4242 ]
	[ "${lines[1]}" = 0 ]
	# root of its own namespace, never the host's
	[ "$(awk '{ print $1, ($2 != 0) }' <<<"${lines[2]}")" = "0 1" ]
}

@test "run_student: CPU or wall limit gives 253, memory 252" {
	run grading 'run_student --time 1 "sh -c \"while :; do :; done\""; echo rc=$?
		run_student --hard-time 1 sleep 30; echo rc=$?
		run_student --memory 32 /task/student/probe alloc 200; echo rc=$?'
	[ "$status" -eq 0 ]
	[ "$(grep '^rc=' <<<"$output" | tr '\n' ' ')" = "rc=253 rc=253 rc=252 " ]
}

@test "run_student: signals it receives reach the student" {
	student_script t.sh 'trap "echo got-\$1; exit 7" $1; touch /task/student/ready-$1
while :; do sleep 0.05; done'
	run grading 'for sig in TERM INT USR1 HUP; do
			run_student sh /task/student/t.sh $sig & p=$!
			while [ ! -e /task/student/ready-$sig ]; do sleep 0.02; done
			kill -$sig $p; wait $p; echo rc=$?
		done'
	[ "$status" -eq 0 ]
	[ "$(tr '\n' ' ' <<<"$output" | sed 's/student_runs.*//')" = "got-TERM rc=7 got-INT rc=7 got-USR1 rc=7 got-HUP rc=7 " ]
}

@test "run_student: parallel calls each get a sandbox; past student_parallel they wait" {
	student_script p.sh 'sleep 0.3; echo done-$1'
	run grading --parallel 2 'for i in 1 2 3 4 5; do run_student sh /task/student/p.sh $i & done
		fails=0; for j in 1 2 3 4 5; do wait %$j || fails=$((fails+1)); done; echo fails=$fails'
	[ "$status" -eq 0 ]
	[ "$(grep '^done-' <<<"$output" | sort | tr '\n' ' ')" = "done-1 done-2 done-3 done-4 done-5 " ]
	grep -qx 'fails=0' <<<"$output"
	grep -q 'student_runs=5 refused=0 .* max_parallel=2$' <<<"$output"
}

@test "run_student: when the grading sandbox ends, running and waiting student sandboxes end" {
	student_script s.sh 'touch /task/student/up; exec sleep 3031'
	run grading --parallel 1 'for i in 1 2 3; do run_student sh /task/student/s.sh & done
		while [ ! -e /task/student/up ]; do sleep 0.02; done; echo grader-done'
	[ "$status" -eq 0 ]
	grep -qx grader-done <<<"$output"
	grep -q 'student_runs=1 ' <<<"$output"
	[ -z "$(host_pids 'sleep 3031')" ]
}

@test "run_student: --share-network joins the grading sandbox's network, else its own" {
	run grading 'readlink /proc/self/ns/net; run_student --share-network readlink /proc/self/ns/net
		run_student readlink /proc/self/ns/net'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "${lines[1]}" ]
	[ "${lines[0]}" != "${lines[2]}" ]
}

@test "run_student: --teardown-script runs after the command, sharing /task/student; the command's code is returned" {
	run grading 'cd /task/student; run_student --teardown-script "sh -c \"cat made; echo torn-down\"" "sh -c \"echo made > made; exit 4\""; echo rc=$?
		run_student ""; echo rc=$?'
	[ "$status" -eq 0 ]
	[ "$(head -4 <<<"$output")" = "$(printf 'made\ntorn-down\nrc=4\ninfo: student container started with no command set')" ]
	grep -q 'student_runs=3 ' <<<"$output"
}

@test "run_student: 251 without a supervisor socket, and for --ssh and ssh_student" {
	GRADEBOX_API_ROOT=$BATS_TEST_TMPDIR/nowhere run "$TOP/tests/student/run_student" true
	[ "$status" -eq 251 ]
	[[ $output == *"not available"* ]]
	run grading 'run_student --ssh true; echo rc=$?; ssh_student; echo rc=$?'
	[ "$(grep '^rc=' <<<"$output" | tr '\n' ' ')" = "rc=251 rc=251 " ]
}

@test "run_student: a bad option is argparse's usage error, exit 2" {
	run "$TOP/tests/student/run_student" --time abc true
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "usage: run_student [-h] [--container CONTAINER] [--time TIME]" ]
	[ "${lines[-1]}" = "run_student: error: argument --time: invalid int value: 'abc'" ]
	run "$TOP/tests/student/run_student" --s true
	[ "$status" -eq 2 ]
	[ "${lines[-1]}" = "run_student: error: ambiguous option: --s could match --share-network, --ssh" ]
}

@test "run_student: an unknown container is refused with 254 and one line naming it" {
	run grading 'run_student --container no-such-env true; echo rc=$?'
	[ "$status" -eq 0 ]
	[ "${lines[0]:0:40}" = "run_student: --container no-such-env: im" ]
	[ "${lines[1]}" = rc=254 ]
	grep -q 'student_runs=0 refused=1' <<<"$output"
}
