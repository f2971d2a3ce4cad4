#!/usr/bin/env bats
# gradebox test: replaying a course's recorded INGInious submissions (issue
# 14). These tests grade through a stand-in grader (fixtures/replay-grade.py,
# the runner's GRADEBOX_GRADE_EXEC hook) so each result is exactly chosen;
# replay_grade.bats replays through the real `gradebox grade`.

load helpers

STANDIN=$BATS_TEST_DIRNAME/fixtures/replay-grade.py

setup() {
	gb_setup
	export GRADEBOX_GRADE_EXEC=$STANDIN
	COURSE=$BATS_TEST_TMPDIR/course
	mkdir -p "$COURSE/hello/test" "$COURSE/\$common"
	# what the stand-in grades every hello submission
	cat >"$COURSE/hello/canned.json" <<-'EOF'
	{"result": "success", "text": "Good", "grade": 100.0,
	 "problems": {"q1": ["success", "Right"]}, "tests": {"t1": 1},
	 "custom": {"c": "x"}, "state": "s", "archive": "H4sIAAAAAAAAAw==",
	 "stdout": "out\n", "stderr": "", "stats": {}}
	EOF
}

teardown() {
	gb_teardown
	[ -z "$(pgrep -f "$STANDIN")" ] || { echo "a stand-in grader is left" >&2; return 1; }
}

# record TASK NAME [SED...]: a recording as INGInious keeps one, matching
# the canned result, edited by the sed expressions.
record() {
	local task=$1 name=$2
	shift 2
	mkdir -p "$COURSE/$task/test"
	sed -e "" "$@" >"$COURSE/$task/test/$name.test" <<-'EOF'
	_id: 65a1b2c3d4e5f6a7b8c9d0e1
	courseid: demo
	taskid: hello
	status: done
	submitted_on: 2024-01-15 09:30:00.250000
	username:
	- carol.jones
	user_ip: 198.51.100.7
	response_type: rst
	input:
	  q1: '42'
	  '@username': carol.jones
	  '@email': carol.jones@uni.example
	  '@lang': en
	result: success
	grade: 100.0
	text: the text is never compared
	problems:
	  q1:
	  - success
	  - Right
	tests:
	  t1: 1
	custom:
	  c: x
	state: s
	archive: !!binary |
	  AAAA
	stdout: "out\n"
	EOF
}

@test "test: recordings that grade the same are reported same, exit 0" {
	record hello a
	record hello b
	run gb test "$COURSE"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "same    hello/test/a.test" ]]
	[[ "${lines[1]}" == "same    hello/test/b.test" ]]
	[[ "$output" =~ "total       2       2          0       0" ]]
}

@test "test: a difference in each compared key is reported old -> new, exit 1" {
	record hello 1-result -e 's/^result: success/result: failed/'
	record hello 2-grade -e 's/^grade: 100.0/grade: 50.0/'
	record hello 3-problems -e 's/^  - Right/  - Wrong/'
	record hello 4-tests -e 's/^  t1: 1/  t1: 2/'
	record hello 5-custom -e 's/^  c: x/  c: y/'
	record hello 6-state -e 's/^state: s/state: t/'
	record hello 7-stdout -e 's/^stdout: .*/stdout: "other\\n"/'
	record hello 8-stderr -e '$a stderr: warning'
	run gb test "$COURSE"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == 'DIFF    hello/test/1-result.test  result: "failed" -> "success"' ]]
	[[ "${lines[1]}" == 'DIFF    hello/test/2-grade.test  grade: 50.0 -> 100.0' ]]
	[[ "${lines[2]}" == 'DIFF    hello/test/3-problems.test  problems.q1: ["success","Wrong"] -> ["success","Right"]' ]]
	[[ "${lines[3]}" == 'DIFF    hello/test/4-tests.test  tests.t1: 2 -> 1' ]]
	[[ "${lines[4]}" == 'DIFF    hello/test/5-custom.test  custom.c: "y" -> "x"' ]]
	[[ "${lines[5]}" == 'DIFF    hello/test/6-state.test  state: "t" -> "s"' ]]
	[[ "${lines[6]}" == 'DIFF    hello/test/7-stdout.test  stdout: "other\n" -> "out\n"' ]]
	[[ "${lines[7]}" == 'DIFF    hello/test/8-stderr.test  stderr: "warning" -> ""' ]]
	[[ "$output" =~ "hello       8       0          8       0" ]]
}

@test "test: grades agree to 2 decimals; text, archive and unrecorded stdout/stderr are not compared" {
	record hello near -e 's/^grade: 100.0/grade: 99.999/'
	record hello nostdout -e '/^stdout:/d'
	record hello far -e 's/^grade: 100.0/grade: 99.99/'
	run gb test "$COURSE"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == 'DIFF    hello/test/far.test  grade: 99.99 -> 100.0' ]]
	[[ "${lines[1]}" == "same    hello/test/near.test" ]]
	[[ "${lines[2]}" == "same    hello/test/nostdout.test" ]]
}

@test "test: values on a line are shortened" {
	record hello long -e "s/^state: s/state: $(printf 'x%.0s' $(seq 100))/"
	run gb test "$COURSE"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "DIFF    hello/test/long.test  state: \"$(printf 'x%.0s' $(seq 39))... -> \"s\"" ]]
}

@test "test: !!binary uploads reach grade as the file's bytes" {
	cp "$COURSE/hello/canned.json" "$BATS_TEST_TMPDIR/c.json"
	mkdir -p "$COURSE/upload" && cp "$BATS_TEST_TMPDIR/c.json" "$COURSE/upload/canned.json"
	# "hello world\n", as PyYAML writes bytes
	record upload match -e 's/^  q1: .42./  upload:\n    filename: a.txt\n    value: !!binary |\n      aGVsbG8gd29y\n      bGQK/' \
		-e 's/^stdout: .*/stdout: "hello world\\n"/'
	record upload other -e 's/^  q1: .42./  upload: {filename: a.txt, value: !!binary "aGVsbG8K"}/' \
		-e 's/^stdout: .*/stdout: "hello world\\n"/'
	run gb test "$COURSE" upload
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "same    upload/test/match.test" ]]
	[[ "${lines[1]}" == 'DIFF    upload/test/other.test  stdout: "hello world\n" -> "hello\n"' ]]
}

@test "test: a malformed .test is reported with path:line:column and counted, the others are graded" {
	record hello good
	printf 'input:\n  q1: [a, b\nresult: success\n' >"$COURSE/hello/test/syntax.test"
	printf -- '- just\n- a list\n' >"$COURSE/hello/test/list.test"
	printf 'result: success\ngrade: 100.0\n' >"$COURSE/hello/test/noinput.test"
	run gb test "$COURSE"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" == "same    hello/test/good.test" ]]
	[[ "${lines[1]}" =~ ^"BROKEN  hello/test/list.test:1:1: not a recorded submission" ]]
	[[ "${lines[2]}" =~ ^"BROKEN  hello/test/noinput.test:1:1: no \`input\` mapping" ]]
	[[ "${lines[3]}" =~ ^"BROKEN  hello/test/syntax.test:3:7: did not find expected ',' or ']'" ]]
	[[ "$output" =~ "hello       1       1          0       3" ]]
}

@test "test: a submission grade cannot grade is an error; none graded exits 254" {
	record hello cannot -e "s/^  q1: .42./  answer: cannot/"
	run gb test "$COURSE"
	echo "$output"
	[ "$status" -eq 254 ]
	[[ "${lines[0]}" == "ERROR   hello/test/cannot.test  could not grade: task.yaml: environment_id: no such image" ]]
	[[ "$output" =~ "no recorded submission could be graded" ]]
	record hello good
	run gb test "$COURSE"
	[ "$status" -eq 1 ]
}

@test "test: bad arguments, a missing course or task and a course without recordings exit 254" {
	run gb test
	[ "$status" -eq 254 ]
	run gb test "$COURSE" -j 0
	[ "$status" -eq 254 ] && [[ "$output" =~ "-j 0" ]]
	run gb test "$BATS_TEST_TMPDIR/nope"
	[ "$status" -eq 254 ] && [[ "$output" =~ "nope" ]]
	record hello a
	run gb test "$COURSE" nosuchtask
	[ "$status" -eq 254 ] && [[ "$output" =~ "nosuchtask: no such task" ]]
	rm -r "$COURSE/hello/test"
	run gb test "$COURSE"
	echo "$output"
	[ "$status" -eq 254 ] && [[ "$output" =~ "no recorded submissions" ]]
}

@test "test: named tasks only; \$common and dot directories are not tasks" {
	mkdir -p "$COURSE/other" "$COURSE/\$common/test" "$COURSE/.git/test"
	cp "$COURSE/hello/canned.json" "$COURSE/other/"
	record hello a
	record other b
	cp "$COURSE/hello/test/a.test" "$COURSE/\$common/test/"
	cp "$COURSE/hello/test/a.test" "$COURSE/.git/test/"
	run gb test "$COURSE"
	[ "$status" -eq 0 ] && [ "${#lines[@]}" -eq 6 ]
	run gb test "$COURSE" other
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "same    other/test/b.test" ]] && [ "${#lines[@]}" -eq 4 ]
}

@test "test: -j with more submissions than slots grades them all, at most N at once" {
	local i
	for i in $(seq 7); do record hello "s$i"; done
	export REPLAY_LOG=$BATS_TEST_TMPDIR/log REPLAY_HOLD=$BATS_TEST_TMPDIR/hold
	touch "$REPLAY_HOLD"
	"$GRADEBOX" test "$COURSE" -j 3 >"$BATS_TEST_TMPDIR/out" &
	local pid=$!
	# three start and wait on the hold: the slots are full
	for i in $(seq 400); do [ "$(grep -c start "$REPLAY_LOG" 2>/dev/null)" = 3 ] && break; sleep 0.05; done
	[ "$(grep -c start "$REPLAY_LOG")" = 3 ]
	rm "$REPLAY_HOLD"
	wait "$pid"
	cat "$BATS_TEST_TMPDIR/out"
	[ "$(grep -c '^same' "$BATS_TEST_TMPDIR/out")" = 7 ]
	# never more than three between a start and its end
	awk '/start/ { n++; if (n > max) max = n } /end/ { n-- } END { exit !(max == 3) }' "$REPLAY_LOG"
}

@test "test: --update rewrites the results that differ, keeping every other field and the key order; then all same" {
	record hello a -e 's/^result: success/result: failed/' -e 's/^grade: 100.0/grade: 0.0/' \
		-e 's/^  t1: 1/  t1: 0/' -e 's/^stdout: .*/stderr: old/'
	record hello b
	cp "$COURSE/hello/test/b.test" "$BATS_TEST_TMPDIR/b.before"
	chown 1234:1235 "$COURSE/hello/test/a.test"
	chmod 664 "$COURSE/hello/test/a.test"
	run gb test "$COURSE" --update
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "${lines[0]}" =~ "(updated)" ]]
	cat "$COURSE/hello/test/a.test"
	# key order as recorded; stdout (not recorded) not added; stderr rewritten
	[ "$(sed -n 's/^\([a-z_]*\):.*/\1/p' "$COURSE/hello/test/a.test" | tr '\n' ' ')" = \
		"_id courseid taskid status submitted_on username user_ip response_type input result grade text problems tests custom state archive stderr " ]
	grep -qx 'result: success' "$COURSE/hello/test/a.test"
	# still the teacher's file, with its mode
	[ "$(stat -c '%u %g %a' "$COURSE/hello/test/a.test")" = "1234 1235 664" ]
	grep -qx 'grade: 100.0' "$COURSE/hello/test/a.test"
	grep -qx "stderr: ''" "$COURSE/hello/test/a.test"
	grep -qx 'submitted_on: 2024-01-15 09:30:00.250000' "$COURSE/hello/test/a.test"
	grep -qx 'archive: !!binary |' "$COURSE/hello/test/a.test"
	grep -qx 'response_type: rst' "$COURSE/hello/test/a.test"
	# the text is part of the result: rewritten, though never compared
	grep -qx 'text: Good' "$COURSE/hello/test/a.test"
	# a file that was the same is not touched
	cmp "$COURSE/hello/test/b.test" "$BATS_TEST_TMPDIR/b.before"
	run gb test "$COURSE"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" =~ "total       2       2          0       0" ]]
}

@test "test: personal data (usernames, e-mail, IP addresses) is hidden unless -v" {
	record hello carol.jones-1 -e 's/^state: s/state: "by carol.jones at 198.51.100.7"/'
	record hello x -e 's/^custom:/custom:\n  who: someone@else.example/' -e '/^  c: x/d'
	run gb test "$COURSE" --json "$BATS_TEST_TMPDIR/r.json"
	echo "$output"
	[ "$status" -eq 1 ]
	! grep -E 'carol|uni.example|198.51|someone|else.example' <<<"$output"
	! grep -E 'carol|uni.example|198.51|someone|else.example' "$BATS_TEST_TMPDIR/r.json"
	[[ "${lines[0]}" =~ "hello/test/<hidden>-1.test  state: \"by <hidden> at <hidden>\"" ]]
	run gb test "$COURSE" -v --json "$BATS_TEST_TMPDIR/r.json"
	[[ "$output" =~ "carol.jones-1.test" ]] && [[ "$output" =~ "198.51.100.7" ]]
	grep -q 'someone@else.example' "$BATS_TEST_TMPDIR/r.json"
}

@test "test: --json FILE holds every submission's comparison and the totals" {
	record hello a -e 's/^grade: 100.0/grade: 10.0/'
	record hello b
	printf 'input: [\n' >"$COURSE/hello/test/c.test"
	run gb test "$COURSE" --json "$BATS_TEST_TMPDIR/r.json"
	[ "$status" -eq 1 ]
	python3 - "$BATS_TEST_TMPDIR/r.json" <<-'EOF'
	import json, sys
	r = json.load(open(sys.argv[1]))
	s = r["submissions"]
	assert [x["status"] for x in s] == ["different", "same", "broken"], s
	assert s[0]["differences"] == [{"key": "grade", "old": 10.0, "new": 100.0}], s[0]
	assert s[2]["line"] == 2 and "c.test:2:" in s[2]["message"], s[2]
	assert r["tasks"]["hello"] == {"graded": 2, "same": 1, "different": 1, "errors": 1}
	assert r["total"] == r["tasks"]["hello"]
	EOF
}

@test "test: SIGTERM stops every grading run, updates nothing and leaves nothing behind" {
	local i
	for i in $(seq 4); do record hello "s$i" -e 's/^result: success/result: failed/'; done
	cp -r "$COURSE/hello/test" "$BATS_TEST_TMPDIR/before"
	export REPLAY_LOG=$BATS_TEST_TMPDIR/log REPLAY_HOLD=$BATS_TEST_TMPDIR/hold
	export TMPDIR=$BATS_TEST_TMPDIR/tmp
	mkdir "$TMPDIR"
	touch "$REPLAY_HOLD"
	"$GRADEBOX" test "$COURSE" -j 2 --update >"$BATS_TEST_TMPDIR/out" 2>&1 &
	local pid=$!
	for i in $(seq 400); do [ "$(grep -c start "$REPLAY_LOG" 2>/dev/null)" = 2 ] && break; sleep 0.05; done
	# (a background job of a script ignores SIGINT; ^C is tested by hand)
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	cat "$BATS_TEST_TMPDIR/out"
	[ "$rc" -eq 254 ]
	grep -q "interrupted by Terminated" "$BATS_TEST_TMPDIR/out"
	diff -r "$COURSE/hello/test" "$BATS_TEST_TMPDIR/before"
	[ -z "$(ls -A "$TMPDIR")" ]
	[ "$(grep -c end "$REPLAY_LOG")" = 2 ]
}
