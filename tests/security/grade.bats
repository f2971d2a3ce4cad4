#!/usr/bin/env bats
# The grading sandbox against a hostile run file (issue 10): what it
# writes is read back by host root without following its symlinks; the
# teacher's directory, the host and other jobs are never touched; a killed
# grading leaves nothing behind.

bats_require_minimum_version 1.5.0
load ../integration/helpers

setup() {
	gb_setup
	gb image import "$ROOTFS" --name default >/dev/null
	COURSE=$BATS_TEST_TMPDIR/course
	INPUT=$BATS_TEST_TMPDIR/input.json
	echo '{"q1": "42"}' >"$INPUT"
	# A host file that would grade as success if host root read it.
	SECRET=$BATS_TEST_TMPDIR/host-secret
	echo '{"result": "success", "text": "host secret"}' >"$SECRET"
}

mktask() {
	mkdir -p "$COURSE/t"
	echo 'environment_id: default' >"$COURSE/t/task.yaml"
	{ echo '#!/bin/sh'; cat; } >"$COURSE/t/run"
	chmod +x "$COURSE/t/run"
}

grade() {
	run --separate-stderr "$GRADEBOX" grade --task "$COURSE/t" --input "$INPUT" --json "$@"
}

field() { jq -r "$1" <<<"$output"; }

@test "a feedback file replaced by a symlink to a host file is a crash; the host file is not read" {
	mktask <<EOF
ln -sf $SECRET /.__output/__feedback.json
EOF
	grade
	[ "$(field .result)" = crash ]
	[[ "$output" != *"host secret"* ]]
}

@test "a symlink in /.__output's place is not followed either" {
	# a host file that would pass for a feedback, should it be read
	echo '{"result": "success", "text": "host secret"}' >"$BATS_TEST_TMPDIR/host-secret"
	mktask <<EOF
ln -s $BATS_TEST_TMPDIR /.__output/dir
ln -sf dir/host-secret /.__output/__feedback.json
EOF
	grade
	[ "$(field .result)" = crash ]
	[[ "$output" != *"host secret"* ]]
}

@test "symlinks in /archive are packed as symlinks, never as the host file they name" {
	mktask <<EOF
ln -s $SECRET /archive/leak
mkdir /archive/d && ln -s $BATS_TEST_TMPDIR /archive/d/dir
echo '{"result": "success"}' >/.__output/__feedback.json
EOF
	grade
	[ "$(field .result)" = success ]
	mkdir "$BATS_TEST_TMPDIR/a"
	field .archive | base64 -d | tar -xz -C "$BATS_TEST_TMPDIR/a"
	[ -L "$BATS_TEST_TMPDIR/a/leak" ]
	[ "$(readlink "$BATS_TEST_TMPDIR/a/leak")" = "$SECRET" ]
	! field .archive | base64 -d | zcat | grep -q "host secret"
}

@test "the run file cannot change the teacher's task directory, even files the worker owns there" {
	mktask <<'EOF'
echo pwned >/task/run; echo pwned >/task/task.yaml; echo x >/task/planted; rm -f /task/data
mkdir -p /task/student && echo y >/task/student/z
echo '{"result": "success"}' >/.__output/__feedback.json
EOF
	echo keep >"$COURSE/t/data"
	before=$(cd "$COURSE/t" && find . -exec stat -c '%n %s %Y' {} + | sort | md5sum)
	grade
	[ "$(field .result)" = success ]
	after=$(cd "$COURSE/t" && find . -exec stat -c '%n %s %Y' {} + | sort | md5sum)
	[ "$before" = "$after" ]
	[ "$(cat "$COURSE/t/data")" = keep ]
	grep -q '^#!/bin/sh' "$COURSE/t/run"
}

@test "the job tmpfs is never mounted on the host, and a SIGKILLed grading leaves nothing but cgroups for gc" {
	mktask <<'EOF'
exec sleep 60
EOF
	"$GRADEBOX" grade --task "$COURSE/t" --input "$INPUT" --json >/dev/null &
	pid=$!
	wait_for_sandboxed "sleep 60"
	# while it runs: no mount of the job on the host
	! grep -q "$GRADEBOX_RUN_DIR" /proc/self/mountinfo
	kill -KILL $pid
	wait $pid || true
	for _ in $(seq 400); do [ -z "$(sandboxed_pids "sleep 60")" ] && break; sleep 0.05; done
	[ -z "$(sandboxed_pids "sleep 60")" ]
	run "$GRADEBOX" gc
	[ "$status" -eq 0 ]
	gb_clean
}

@test "two gradings at once: neither sees the other's files or input" {
	mktask <<'EOF'
v=$(getinput q1)
echo "$v" >/task/student/mine; echo "$v" >/tmp/mine; echo "$v" >/archive/mine
sleep 1
ls /task/student /tmp /archive | grep -v "^/\|^$" | sort -u | tr '\n' ' ' >/tmp/seen
echo "{\"result\": \"success\", \"text\": \"$v $(cat /task/student/mine) $(cat /archive/mine) $(cat /tmp/seen)\"}" >/.__output/__feedback.json
EOF
	echo '{"q1": "A"}' >"$BATS_TEST_TMPDIR/a.json"
	echo '{"q1": "B"}' >"$BATS_TEST_TMPDIR/b.json"
	"$GRADEBOX" grade --task "$COURSE/t" --input "$BATS_TEST_TMPDIR/a.json" --result "$BATS_TEST_TMPDIR/ra.json" &
	"$GRADEBOX" grade --task "$COURSE/t" --input "$BATS_TEST_TMPDIR/b.json" --result "$BATS_TEST_TMPDIR/rb.json" &
	wait
	# each saw its own value everywhere, and one file per directory
	[[ "$(jq -r .text "$BATS_TEST_TMPDIR/ra.json")" == "A A A mine"* ]]
	[[ "$(jq -r .text "$BATS_TEST_TMPDIR/rb.json")" == "B B B mine"* ]]
}
