#!/usr/bin/env bats
# gradebox grade: INGInious tasks graded in a grading sandbox (issue 10).
# Each test imports the busybox test rootfs as the environment "default"
# and builds a course in its own temporary directory.

bats_require_minimum_version 1.5.0
load helpers

setup() {
	gb_setup
	gb image import "$ROOTFS" --name default >/dev/null
	COURSE=$BATS_TEST_TMPDIR/course
	mkdir -p "$COURSE"
	echo '{"input": {"q1": "42"}}' >"$BATS_TEST_TMPDIR/input.json"
	INPUT=$BATS_TEST_TMPDIR/input.json
}

# mktask NAME [TASK.YAML]: a task whose run file (sh) is read from stdin.
mktask() {
	local dir=$COURSE/$1 yaml=$2
	mkdir -p "$dir"
	if [ -z "$yaml" ]; then
		yaml='environment_type: docker
environment_id: default
environment_parameters:
  limits: {time: 10, memory: 100}'
	fi
	printf '%s\n' "$yaml" >"$dir/task.yaml"
	{ echo '#!/bin/sh'; cat; } >"$dir/run"
	chmod +x "$dir/run"
}

# grade TASK [ARGS...]: grade with $INPUT, the result JSON in $output.
grade() {
	local task=$1
	shift
	run --separate-stderr "$GRADEBOX" grade --task "$COURSE/$task" --input "$INPUT" --json "$@"
}

field() { jq -r "$1" <<<"$output"; }

@test "a run file that sets success: result success, grade 100, exit 0" {
	mktask t <<'EOF'
echo '{"result": "success"}' >/.__output/__feedback.json
EOF
	grade t
	[ "$status" -eq 0 ]
	[ "$(field .result)" = success ]
	[ "$(field .grade)" = 100 ]
}

@test "a run file that sets failed: grade 0, exit 1, text and problems kept" {
	mktask t <<'EOF'
printf '%s' '{"result": "failed", "text": "no", "problems": {"q1": ["failed", "wrong"]}}' >/.__output/__feedback.json
EOF
	grade t
	[ "$status" -eq 1 ]
	[ "$(field .result)" = failed ]
	[ "$(field .grade)" = 0 ]
	[ "$(field .text)" = no ]
	[ "$(field '.problems.q1[1]')" = wrong ]
}

@test "no feedback at all is a crash: No feedback was given" {
	mktask t <<'EOF'
true
EOF
	grade t
	[ "$status" -eq 1 ]
	[ "$(field .result)" = crash ]
	[[ "$(field .text)" == "No feedback was given"* ]]
}

@test "a malformed feedback file is a crash" {
	mktask t <<'EOF'
echo '{"result": ' >/.__output/__feedback.json
EOF
	grade t
	[ "$(field .result)" = crash ]
}

@test "a task without a run file: crash '/task/run' could not be found" {
	mktask t </dev/null
	rm "$COURSE/t/run"
	grade t
	[ "$status" -eq 1 ]
	[ "$(field .result)" = crash ]
	[ "$(field .text)" = "'/task/run' could not be found" ]
}

@test "the run file runs without its executable bit, through its shebang" {
	mktask t <<'EOF'
echo '{"result": "success"}' >/.__output/__feedback.json
EOF
	chmod -x "$COURSE/t/run"
	grade t
	[ "$(field .result)" = success ]
}

@test "run.sh runs with sh when the image has no bash" {
	mktask t </dev/null
	rm "$COURSE/t/run"
	echo 'echo "{\"result\": \"success\", \"text\": \"$0\"}" >/.__output/__feedback.json' \
		>"$COURSE/t/run.sh"
	grade t
	[ "$(field .result)" = success ]
	[ "$(field .text)" = /task/run.sh ]
}

@test "run_cmd replaces the run file, split on spaces" {
	mktask t "environment_id: default
environment_parameters:
  run_cmd: /bin/sh /task/other.sh a b" </dev/null
	echo 'echo "{\"result\": \"success\", \"text\": \"$1$2\"}" >/.__output/__feedback.json' \
		>"$COURSE/t/other.sh"
	grade t
	[ "$(field .result)" = success ]
	[ "$(field .text)" = ab ]
}

@test "the course's \$common/run serves a task without a run file" {
	mktask t </dev/null
	rm "$COURSE/t/run"
	mkdir -p "$COURSE/\$common"
	printf '#!/bin/sh\necho "{\\"result\\": \\"success\\", \\"text\\": \\"$0\\"}" >/.__output/__feedback.json\n' \
		>"$COURSE/\$common/run"
	chmod +x "$COURSE/\$common/run"
	grade t
	[ "$(field .result)" = success ]
	[ "$(field .text)" = /course/common/run ]
}

@test "the run file runs as the worker in /task with HOME=/task, PATH and PYTHONPATH" {
	mktask t <<'EOF'
printf '{"result": "success", "text": "%s %s %s %s %s"}' "$(id -u):$(id -g)" "$PWD" "$HOME" \
	"${PATH%%:*}" "$PYTHONPATH" >/.__output/__feedback.json
EOF
	grade t
	[ "$(field .text)" = "4242:4242 /task /task /.gradebox/bin /.gradebox/python" ]
}

@test "/task is writable by the worker, the teacher's directory is never written" {
	mktask t <<'EOF'
echo changed >/task/run && echo new >/task/new && mkdir /task/d && rm /task/task.yaml &&
	echo '{"result": "success"}' >/.__output/__feedback.json
EOF
	before=$(cd "$COURSE/t" && find . -exec stat -c '%n %s %Y %U' {} + | sort | md5sum)
	grade t
	[ "$(field .result)" = success ]
	after=$(cd "$COURSE/t" && find . -exec stat -c '%n %s %Y %U' {} + | sort | md5sum)
	[ "$before" = "$after" ]
	[ ! -e "$COURSE/t/new" ]
}

@test "/task/student exists and is writable even when the task has none" {
	mktask t <<'EOF'
echo x >/task/student/f && [ "$(stat -c %u /task/student/f)" = 4242 ] &&
	echo '{"result": "success"}' >/.__output/__feedback.json
EOF
	grade t
	[ "$(field .result)" = success ]
}

@test "/course/common and its student folder are read-only" {
	mktask t <<'EOF'
cat /course/common/student/f >/dev/null || exit 0
touch /course/common/x 2>/dev/null && exit 0
touch /course/common/student/x 2>/dev/null && exit 0
echo '{"result": "success"}' >/.__output/__feedback.json
EOF
	mkdir -p "$COURSE/\$common/student"
	echo hi >"$COURSE/\$common/student/f"
	grade t
	[ "$(field .result)" = success ]
	[ ! -e "$COURSE/\$common/x" ]
}

@test "the input: answers, @ fields with their defaults, uploads written to __inputfile_N" {
	cat >"$INPUT" <<'EOF'
{"q1": "hello", "up": {"filename": "a.txt", "value": "Ynl0ZXM="}, "@lang": "fr"}
EOF
	mktask t <<'EOF'
d=/.__input/__inputdata.json
tr -d '\n' <$d >/tmp/in
cp /tmp/in /archive/in.json
cp /.__input/__inputfile_0 /archive/up
echo '{"result": "success"}' >/.__output/__feedback.json
EOF
	grade t
	[ "$(field .result)" = success ]
	mkdir "$BATS_TEST_TMPDIR/a"
	field .archive | base64 -d | tar -xz -C "$BATS_TEST_TMPDIR/a"
	[ "$(cat "$BATS_TEST_TMPDIR/a/up")" = bytes ]
	in=$BATS_TEST_TMPDIR/a/in.json
	[ "$(jq -r .input.q1 "$in")" = hello ]
	[ "$(jq -r .input.up.value "$in")" = /.__input/__inputfile_0 ]
	[ "$(jq -r .input.up.filename "$in")" = a.txt ]
	[ "$(jq -r '.input["@lang"]' "$in")" = fr ]
	[ "$(jq -r '.input["@username"]' "$in")" = student ]
	[ "$(jq -r '.input["@state"]' "$in")" = "" ]
	[ "$(jq -r '.input["@time"]' "$in")" != null ]
}

@test "a CPU loop ends as timeout at the task's time limit" {
	mktask t "environment_id: default
environment_parameters:
  limits: {time: '1', hard_time: '30'}" <<'EOF'
while :; do :; done
EOF
	grade t
	[ "$status" -eq 1 ]
	[ "$(field .result)" = timeout ]
	awk -v t="$(field .stats.cpu_time)" 'BEGIN { exit !(t >= 1 && t < 5) }'
}

@test "a run file that sleeps past hard_time ends as timeout" {
	mktask t "environment_id: default
environment_parameters:
  limits: {time: 10, hard_time: 1}" <<'EOF'
sleep 30
EOF
	grade t
	[ "$(field .result)" = timeout ]
}

@test "a run file that eats memory ends as overflow" {
	mktask t "environment_id: default
environment_parameters:
  limits: {memory: '30'}" <<'EOF'
x=aaaaaaaaaaaaaaaa; while :; do x=$x$x; done
EOF
	grade t
	[ "$(field .result)" = overflow ]
}

@test "a run file that fills the disk ends as overflow, saying disk" {
	mktask t "environment_id: default
environment_parameters:
  limits: {disk: 8}" <<'EOF'
dd if=/dev/zero of=/tmp/fill bs=1M count=64 2>/dev/null
echo '{"result": "success"}' >/.__output/__feedback.json
EOF
	grade t
	[ "$(field .result)" = overflow ]
	[[ "$(field .text)" == *disk* ]]
}

@test "a fork bomb stays inside the job and the grading ends" {
	mktask t "environment_id: default
environment_parameters:
  limits: {time: 2, hard_time: 5}" <<'EOF'
f() { f | f & }; f
sleep 10
EOF
	grade t
	[ "$status" -eq 1 ]
	[ "$(field .result)" = timeout ]
}

@test "stdout and stderr come back, capped by the output limit" {
	mktask t "environment_id: default
environment_parameters:
  limits: {output: 1}" <<'EOF'
echo to-err >&2
yes spam | head -c 3000000
echo '{"result": "success"}' >/.__output/__feedback.json
EOF
	grade t
	[ "$(field .result)" = success ]
	[ "$(field .stdout | wc -c)" -le $((1024 * 1024 + 1)) ]
	[[ "$(field .stdout)" == spam* ]]
	[ "$(field .stderr)" = to-err ]
}

@test "SIGTERM to grade kills the sandbox and the result is killed" {
	mktask t <<'EOF'
exec sleep 60
EOF
	"$GRADEBOX" grade --task "$COURSE/t" --input "$INPUT" --result "$BATS_TEST_TMPDIR/r.json" &
	pid=$!
	wait_for_sandboxed "sleep 60"
	kill -TERM $pid
	wait $pid || true
	[ "$(jq -r .result "$BATS_TEST_TMPDIR/r.json")" = killed ]
}

@test "a run file that empties /.__output: crash, no feedback" {
	mktask t <<'EOF'
echo '{"result": "success"}' >/.__output/__feedback.json
rm -rf /.__output/* /.__output 2>/dev/null
true
EOF
	grade t
	[ "$(field .result)" = crash ]
}

@test "/archive comes back as a base64 .tgz of what the run file put there" {
	mktask t <<'EOF'
mkdir -p /archive/sub && echo data >/archive/sub/f && ln -s /etc/passwd /archive/link
echo '{"result": "success"}' >/.__output/__feedback.json
EOF
	grade t
	mkdir "$BATS_TEST_TMPDIR/a"
	field .archive | base64 -d | tar -xz -C "$BATS_TEST_TMPDIR/a"
	[ "$(cat "$BATS_TEST_TMPDIR/a/sub/f")" = data ]
	[ -L "$BATS_TEST_TMPDIR/a/link" ]
}

@test "systemfiles/hosts is appended to /etc/hosts" {
	mktask t <<'EOF'
grep -q 'example-host' /etc/hosts && grep -q localhost /etc/hosts &&
	echo '{"result": "success"}' >/.__output/__feedback.json
EOF
	mkdir "$COURSE/t/systemfiles"
	echo '10.1.2.3 example-host' >"$COURSE/t/systemfiles/hosts"
	grade t
	[ "$(field .result)" = success ]
}

@test "the grading sandbox has loopback only unless network_grading" {
	mktask t <<'EOF'
n=$(($(wc -l </proc/net/dev) - 2))
echo "{\"result\": \"success\", \"text\": \"$n\"}" >/.__output/__feedback.json
EOF
	grade t
	[ "$(field .text)" = 1 ]
}

@test "the legacy task.yaml form: environment, limits, run_cmd at the top level" {
	mktask t "environment: default
limits: {time: '1', memory: '50'}
run_cmd: /bin/sh /task/r.sh" </dev/null
	echo 'while :; do :; done' >"$COURSE/t/r.sh"
	grade t
	[ "$(field .result)" = timeout ]
}

@test "--time, --params and --image override task.yaml" {
	mktask t "environment_id: nowhere" <<'EOF'
while :; do :; done
EOF
	echo '{"limits": {"time": "1"}}' >"$BATS_TEST_TMPDIR/p.json"
	grade t --image default --params "$BATS_TEST_TMPDIR/p.json"
	[ "$(field .result)" = timeout ]
}

@test "a task.yaml with a syntax error: exit 254, error naming file, line and column" {
	mktask t "environment_id: default
limits: {time: [" </dev/null
	grade t
	[ "$status" -eq 254 ]
	[ "$(field .result)" = error ]
	[[ "$(field .text)" == *"$COURSE/t/task.yaml:"[0-9]*:[0-9]* ]]
}

@test "an environment that is not imported: exit 254, error naming it" {
	mktask t "environment_id: nowhere" </dev/null
	grade t
	[ "$status" -eq 254 ]
	[ "$(field .result)" = error ]
	[[ "$(field .text)" == *nowhere* ]]
}

@test "bad input JSON: exit 254, error naming the input file" {
	mktask t </dev/null
	echo '{"input": ' >"$INPUT"
	grade t
	[ "$status" -eq 254 ]
	[[ "$(field .text)" == *input.json* ]]
}

@test "--result writes the result file; a missing --task is a usage error" {
	mktask t <<'EOF'
echo '{"result": "success"}' >/.__output/__feedback.json
EOF
	run "$GRADEBOX" grade --task "$COURSE/t" --input "$INPUT" --result "$BATS_TEST_TMPDIR/r.json"
	[ "$status" -eq 0 ]
	[ "$(jq -r .result "$BATS_TEST_TMPDIR/r.json")" = success ]
	run "$GRADEBOX" grade --input "$INPUT" --json
	[ "$status" -eq 254 ]
	[[ "$output" == *"--task"* ]]
}

@test "8 grades at once each get their own sandbox and result" {
	mktask t <<'EOF'
echo "$(cat /task/student/mark 2>/dev/null)" >/task/student/mark
v=$(getinput q1 2>/dev/null || sed 's/.*"q1": "\([^"]*\)".*/\1/' /.__input/__inputdata.json)
echo "{\"result\": \"success\", \"text\": \"$v:$(cat /task/student/mark)\"}" >/.__output/__feedback.json
EOF
	for i in 1 2 3 4 5 6 7 8; do
		echo "{\"q1\": \"n$i\"}" >"$BATS_TEST_TMPDIR/in$i.json"
		"$GRADEBOX" grade --task "$COURSE/t" --input "$BATS_TEST_TMPDIR/in$i.json" \
			--result "$BATS_TEST_TMPDIR/r$i.json" &
	done
	wait
	for i in 1 2 3 4 5 6 7 8; do
		[ "$(jq -r .text "$BATS_TEST_TMPDIR/r$i.json")" = "n$i:" ]
	done
}

@test "on a terminal, grade prints a short summary; --json forces JSON" {
	mktask t <<'EOF2'
printf '%s' '{"result": "failed", "text": "almost", "problems": {"q1": ["failed", "off by one"]}}' >/.__output/__feedback.json
EOF2
	run script -qec "$GRADEBOX grade --task $COURSE/t --input $INPUT" /dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == *"result: failed"* ]]
	[[ "$output" == *"almost"* ]]
	[[ "$output" == *"q1: failed"*"off by one"* ]]
	[[ "$output" != *'"result"'* ]]
	run script -qec "$GRADEBOX grade --task $COURSE/t --input $INPUT --json" /dev/null
	[[ "$output" == *'"result": "failed"'* ]]
}

@test "a grading that ends without a state (timeout) keeps the submission's @state" {
	mktask t "environment_id: default
environment_parameters:
  limits: {time: 1}" <<'EOF2'
while :; do :; done
EOF2
	echo '{"q1": "x", "@state": "attempt-3"}' >"$INPUT"
	grade t
	[ "$(field .result)" = timeout ]
	[ "$(field .state)" = attempt-3 ]
}

@test "an environment name that is not a name (../) is refused, naming task.yaml" {
	mktask t "environment_id: ../../etc" </dev/null
	grade t
	[ "$status" -eq 254 ]
	[[ "$(field .text)" == *task.yaml*"invalid image name"* ]]
}
