# run_student tests: a grading sandbox served by the run_student server
# (tests/student/gb-student-harness until `gradebox grade` serves it), with
# /.gradebox/bin holding run_student, ssh_student, forge and probe, and
# /task/student a directory of the test ($TASK on the host).
HARNESS=$TOP/tests/student/gb-student-harness

student_setup() {
	gb_setup
	[ -x "$HARNESS" ] && [ -x "$TOP/tests/student/run_student" ] ||
		skip "no run_student harness (tests/run-tests unit builds it)"
	[ -x "$PROBE" ] || skip "no probe binary (tests/run-tests builds it)"
	API=$BATS_TEST_TMPDIR/api
	TASK=$BATS_TEST_TMPDIR/task
	mkdir -p "$API/bin" "$TASK"
	chmod 755 "$BATS_TEST_TMPDIR" "$API" "$API/bin"
	# Each sandbox has its own uid slot: until /task/student is idmapped
	# for each, the grader's and the student's files meet through modes.
	chmod 777 "$TASK"
	# The container API binary when built (make), else the client alone.
	if [ -x "$TOP/helpers/bin/gradebox-api" ]; then
		cp "$TOP/helpers/bin/gradebox-api" "$API/bin/"
		ln -s gradebox-api "$API/bin/run_student"
	else
		cp "$TOP/tests/student/run_student" "$API/bin/"
	fi
	ln -s run_student "$API/bin/ssh_student"
	cp "$TOP/tests/student/forge" "$API/bin/"
	cp "$PROBE" "$API/bin/probe"
	cp "$PROBE" "$TASK/probe" # for the student: only /task/student is shared
}

# grading [HARNESS OPTIONS] SCRIPT: run SCRIPT with sh in a grading sandbox
# (cwd /task). The harness prints its stats line last on stderr.
grading() {
	local opts=()
	while [ $# -gt 1 ]; do
		opts+=("$1")
		shift
	done
	"$HARNESS" --rootfs "$ROOTFS" --task-student "$TASK" --api "$API" "${opts[@]}" \
		-- /bin/sh -c "umask 022; $1"
}

# grading_bg OUT [HARNESS OPTIONS] SCRIPT: the same in the background, its
# output in OUT; HARNESS_PID is the supervisor's own pid.
grading_bg() {
	local out=$1 opts=()
	shift
	while [ $# -gt 1 ]; do
		opts+=("$1")
		shift
	done
	"$HARNESS" --rootfs "$ROOTFS" --task-student "$TASK" --api "$API" "${opts[@]}" \
		-- /bin/sh -c "umask 022; $1" >"$out" 2>&1 3>&- &
	HARNESS_PID=$!
}

# end_grading_bg: stop a background harness a failed test left (SIGTERM
# kills its sandboxes), and wait for it.
end_grading_bg() {
	if [ -n "${HARNESS_PID:-}" ]; then
		kill "$HARNESS_PID" 2>/dev/null || true
		wait "$HARNESS_PID" 2>/dev/null || true
		HARNESS_PID=
	fi
}

# student_script NAME TEXT: a script the student runs as `sh /task/student/NAME`.
student_script() {
	printf '%s\n' "$2" >"$TASK/$1"
	chmod 644 "$TASK/$1"
}

# host_pids PATTERN: host processes whose whole command line is PATTERN.
host_pids() { pgrep -xf "$1" || true; }
