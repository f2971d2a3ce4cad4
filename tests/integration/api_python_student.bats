#!/usr/bin/env bats
# run_student() and run_student_simple() from Python run the `run_student`
# command (helpers/api/run_student.c, on PATH in the sandbox) with the given
# stdio and flags, and return its exit code. Here a fake `run_student` on
# PATH records what it was given and plays the student, so the Python side
# is tested alone; tests/integration/run_student*.bats test the real one.

load helpers
load api_python_helpers
bats_require_minimum_version 1.5.0

setup() {
	api_setup
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	export FAKE_LOG=$BATS_TEST_TMPDIR/fake.log
	# FAKE_MODE: args (record argv and cwd), cat (stdin to stdout, "err" to
	# stderr), big (stdin to stdout, 1 MiB to stderr), stdio (which fds are
	# writable), sig (wait for SIGUSR1), exit N (exit with N)
	cat >"$BATS_TEST_TMPDIR/bin/run_student" <<-'EOF2'
	#!/bin/bash
	case $FAKE_MODE in
	args) { printf '%s\n' "$@"; echo "cwd=$PWD"; } >"$FAKE_LOG" ;;
	cat) cat; printf err >&2 ;;
	big) cat; head -c 1048576 /dev/zero | tr '\0' e >&2 ;;
	stdio) if echo x 2>/dev/null; then r=out-ok; else r=out-fails; fi; echo $r >>"$FAKE_LOG"
		{ read -r line; echo "stdin-status=$?"; } >>"$FAKE_LOG" ;;
	sig) trap 'echo got-USR1 >"$FAKE_LOG"; exit 42' USR1; touch "$FAKE_LOG.ready"
		while :; do sleep 0.05; done ;;
	exit*) exit "${FAKE_MODE#exit }" ;;
	esac
	EOF2
	chmod +x "$BATS_TEST_TMPDIR/bin/run_student"
	export PATH=$BATS_TEST_TMPDIR/bin:$PATH
}
teardown() { :; }

@test "run_student passes its arguments as run_student flags, the command split as a shell would, cwd = working_dir" {
	mkdir wd
	FAKE_MODE=args py 'from inginious_container_api.run_student import run_student
print(run_student("gcc -o '"'"'a b'"'"' \"x.c\"", container="c2", time_limit=2, hard_time_limit=1.5,
      memory_limit="100", share_network=True, start_student_as_root=True, teardown_script="rm x", working_dir="wd"))'
	assert_file "$FAKE_LOG" "--container
c2
--time
2
--hard-time
2
--memory
100
--share-network
--run-as-root
--teardown-script
rm x
gcc
-o
'a b'
x.c
cwd=$ROOT/task/wd
"
	FAKE_MODE=args py 'from inginious_container_api.run_student import run_student; run_student("ls -l")'
	assert_file "$FAKE_LOG" "ls
-l
cwd=$ROOT/task
"
	FAKE_MODE=args py 'from inginious_container_api.run_student import run_student; run_student("")'
	assert_file "$FAKE_LOG" "echo
'info: student container started with no command set'
cwd=$ROOT/task
"
}

@test "run_student returns the command's exit code (student code, 256-N, 252, 253, 254)" {
	for code in 0 1 127 245 247 252 253 254; do
		run env FAKE_MODE="exit $code" "$PY" -c 'from inginious_container_api.run_student import run_student; print(run_student("true"))'
		[ "$output" = "$code" ]
	done
}

@test "run_student: stdio None is /dev/null opened read-only (student writes fail); given fds are the student's" {
	FAKE_MODE=stdio py 'from inginious_container_api.run_student import run_student; run_student("x")'
	assert_file "$FAKE_LOG" $'out-fails\nstdin-status=1\n'
	rm "$FAKE_LOG"
	FAKE_MODE=cat py 'import os
from inginious_container_api.run_student import run_student
r, w = os.pipe(); os.write(w, b"in\n"); os.close(w)
with open("o", "wb") as o, open("e", "wb") as e:
    print(run_student("x", stdin=r, stdout=o, stderr=e.fileno()))'
	assert_file o $'in\n'
	assert_file e err
}

@test "run_student: signal_handler_callback gets a function that signals the student's command" {
	run env FAKE_MODE=sig "$PY" -c '
import os, signal, threading, time
from inginious_container_api.run_student import run_student
def callback(send):
    def later():
        while not os.path.exists(os.environ["FAKE_LOG"] + ".ready"):
            time.sleep(0.01)
        send(signal.SIGUSR1)
    threading.Thread(target=later, daemon=True).start()
print(run_student("x", signal_handler_callback=callback))'
	[ "$output" = 42 ]
	assert_file "$FAKE_LOG" $'got-USR1\n'
}

@test "run_student_simple: (stdout, stderr, retval), fused (stdout, retval), text=False bytes, strict decoding" {
	run env FAKE_MODE=cat "$PY" -c 'from inginious_container_api.run_student import run_student_simple as s
print(s("x", "héllo"), s("x", "a", stdout_err_fuse=True), s("x", b"\xff", text=False), s("x"))'
	[ "$output" = "('héllo', 'err', 0) ('aerr', 0) (b'\xff', b'err', 0) ('', 'err', 0)" ]
	run env FAKE_MODE=cat "$PY" -c 'from inginious_container_api.run_student import run_student_simple as s; s("x", b"\xff")'
	[ "$status" -eq 1 ]
	[[ $output == *UnicodeDecodeError* ]]
	run env FAKE_MODE="exit 253" "$PY" -c 'from inginious_container_api.run_student import run_student_simple as s; print(s("x", "in"))'
	[ "$output" = "('', '', 253)" ]
}

@test "run_student_simple: 4 MiB of input and 4+1 MiB of output do not deadlock (INGInious blocks past 64 KiB)" {
	# timeout: a regression would hang here forever, not fail
	run env FAKE_MODE=big timeout 300 "$PY" -c 'from inginious_container_api.run_student import run_student_simple as s
out, err, code = s("x", "ab" * (2 << 20))
print(len(out), out == "ab" * (2 << 20), len(err), set(err), code)'
	[ "$output" = "4194304 True 1048576 {'e'} 0" ]
}

@test "run_student without a run_student command (outside gradebox): 251, 'not available' on stderr" {
	run --separate-stderr env PATH=/usr/bin:/bin "$PY" -c 'from inginious_container_api.run_student import run_student, run_student_simple
print(run_student("ls"), run_student_simple("ls"))'
	[ "$output" = "251 ('', '', 251)" ]
	[[ $stderr == "run_student: run_student outside a grading sandbox (no run_student command) is not available in gradebox"* ]]
}

@test "run_student(ssh=True) and ssh_student(): 251 with 'not available', the command is not run" {
	run --separate-stderr env FAKE_MODE=args "$PY" -c 'from inginious_container_api.run_student import run_student
from inginious_container_api.ssh_student import ssh_student
print(run_student("ls", ssh=True), ssh_student(setup_script="ls"))'
	[ "$output" = "251 251" ]
	[ "$stderr" = $'run_student: ssh is not available in gradebox\nrun_student: ssh_student is not available in gradebox' ]
	[ ! -e "$FAKE_LOG" ]
}

@test "run_student: a working_dir that does not exist or an unbalanced quote: 254 and a message" {
	run --separate-stderr env FAKE_MODE=args "$PY" -c 'from inginious_container_api.run_student import run_student
print(run_student("ls", working_dir="/nonexistent"), run_student("echo \"a"))'
	[ "$output" = "254 254" ]
	[[ $stderr == *"No such file or directory: '/nonexistent'"*"No closing quotation"* ]]
	[ ! -e "$FAKE_LOG" ]
}
