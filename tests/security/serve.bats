#!/usr/bin/env bats
# gradebox serve against hostile clients: whoever may write the spool's
# incoming/ or connect to the socket (the socket_group) must not make the
# daemon, which runs as root, follow a symlink or a hard link, block, swallow
# unbounded memory, or stop serving.
load ../integration/serve_common

setup_file() { serve_setup_file; }
setup() { serve_setup; }
teardown() { serve_teardown; }

# drop NAME CONTENT-FILE: a job into incoming/ the documented way.
drop() {
	cp "$2" "$SPOOL/incoming/.$1"
	mv "$SPOOL/incoming/.$1" "$SPOOL/incoming/$1.json"
}

# text_of ID: the "text" field of done/ID.json.
text_of() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["text"])' \
		"$SPOOL/done/$1.json"
}

job_file() {
	printf '{"task": "%s", "input": {"q1": "x"}}\n' "$1" >"$2"
}

@test "serve: malformed socket messages get an error reply and the daemon keeps serving" {
	task=$(make_task ok)
	serve_start --slots 1
	run python3 "$SERVE_CLIENT" send "$SOCK" 'not json' '[1, 2]' '{}' '{"cmd": "launch"}' \
		'{"cmd": "status", "id": "../../etc/passwd"}' '{"cmd": "submit"}' \
		'{"cmd": "submit", "job": {"task": "relative", "input": {}}}' \
		"{\"cmd\": \"submit\", \"job\": {\"task\": \"$task\", \"input\": {}, \"evil\": 1}}" \
		"{\"cmd\": \"submit\", \"job\": {\"task\": \"$task\", \"input\": {}, \"limits\": {\"time\": -1}}}" \
		'{"cmd": "kill", "id": "nosuchjob"}' '{"cmd": "wait"}'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = '{"ok":false,"error":"bad JSON at column 3: '"'"'['"'"' or '"'"'{'"'"' expected near '"'"'not'"'"'"}' ]
	[ "${lines[1]}" = '{"ok":false,"error":"a request is a JSON object"}' ]
	[[ ${lines[2]} == *'field \"cmd\" is missing'* ]]
	[ "${lines[3]}" = '{"ok":false,"error":"unknown command \"launch\""}' ]
	[ "${lines[4]}" = '{"ok":false,"error":"field \"id\" is not a job id"}' ]
	[ "${lines[5]}" = '{"ok":false,"error":"a job must be a JSON object"}' ]
	[ "${lines[6]}" = '{"ok":false,"error":"field \"task\" must be an absolute path"}' ]
	[ "${lines[7]}" = '{"ok":false,"error":"unknown field \"evil\""}' ]
	[ "${lines[8]}" = '{"ok":false,"error":"field \"limits.time\" must be between 0 and 3.1536e+07"}' ]
	[ "${lines[9]}" = '{"ok":false,"error":"no job nosuchjob"}' ]
	[ "${lines[10]}" = '{"ok":false,"error":"field \"id\" is missing or not a job id"}' ]
	# a client that leaves in the middle of a message
	python3 "$SERVE_CLIENT" half "$SOCK"
	run submit --task "$task" --wait
	[ "$status" -eq 0 ]
	[ "$(grep -c ' result=' "$LOG")" -eq 1 ]
}

@test "serve: a request line longer than the limit gets an error and the connection closes" {
	task=$(make_task ok)
	serve_start --slots 1
	run python3 "$SERVE_CLIENT" huge "$SOCK" $((17 * 1024 * 1024))
	[ "$status" -eq 0 ]
	[ "$output" = '{"ok":false,"error":"a request line is longer than 16777216 bytes"}' ]
	run submit --task "$task" --wait
	[ "$status" -eq 0 ]
}

@test "serve: an incoming symlink is refused, its target never read" {
	task=$(make_task ok)
	job_file "$task" "$BATS_TEST_TMPDIR/target.json"
	serve_start --slots 1
	ln -s "$BATS_TEST_TMPDIR/target.json" "$SPOOL/incoming/link.json"
	wait_done 1
	[ "$(result_of link)" = error ]
	[ "$(text_of link)" = "incoming/link.json is a symbolic link, not a job file" ]
	[ -e "$BATS_TEST_TMPDIR/target.json" ]
	[ ! -e "$SPOOL/incoming/link.json" ]
}

@test "serve: an incoming hard link is refused" {
	task=$(make_task ok)
	mkdir -p "$SPOOL/incoming"
	job_file "$task" "$SPOOL/target.json"
	serve_start --slots 1
	ln "$SPOOL/target.json" "$SPOOL/incoming/hard.json"
	wait_done 1
	[ "$(result_of hard)" = error ]
	[ "$(text_of hard)" = "incoming/hard.json has 2 links: a job file has one" ]
}

@test "serve: an incoming FIFO is refused without blocking the daemon" {
	task=$(make_task ok)
	serve_start --slots 1
	mkfifo "$SPOOL/incoming/.fifo"
	mv "$SPOOL/incoming/.fifo" "$SPOOL/incoming/fifo.json"
	# 20 s: a daemon blocked in open() never gets there
	wait_done 1 400
	[ "$(result_of fifo)" = error ]
	[ "$(text_of fifo)" = "incoming/fifo.json is not a regular file" ]
	run submit --task "$task" --wait
	[ "$status" -eq 0 ]
}

@test "serve: an incoming file larger than the limit is refused unread" {
	task=$(make_task ok)
	python3 -c 'import json, sys; json.dump({"task": sys.argv[1], "input": {"q1": "x" * (17 << 20)}}, open(sys.argv[2], "w"))' \
		"$task" "$BATS_TEST_TMPDIR/huge.json"
	serve_start --slots 1
	drop huge "$BATS_TEST_TMPDIR/huge.json"
	wait_done 1
	[ "$(result_of huge)" = error ]
	[ "$(text_of huge)" = "incoming/huge.json is larger than 16777216 bytes" ]
}

@test "serve: malformed job files get an error result naming the problem" {
	task=$(make_task ok)
	serve_start --slots 1
	echo '{"task": ' >"$BATS_TEST_TMPDIR/a"
	drop badjson "$BATS_TEST_TMPDIR/a"
	echo '{"input": {}}' >"$BATS_TEST_TMPDIR/b"
	drop notask "$BATS_TEST_TMPDIR/b"
	printf '{"task": "%s", "input": "text"}' "$task" >"$BATS_TEST_TMPDIR/c"
	drop badinput "$BATS_TEST_TMPDIR/c"
	printf '{"task": "%s/none", "input": {}}' "$task" >"$BATS_TEST_TMPDIR/d"
	drop notaskdir "$BATS_TEST_TMPDIR/d"
	echo '{}' >"$SPOOL/incoming/bad name.json"
	wait_done 4
	[[ $(text_of badjson) == "incoming/badjson.json: line 2: "* ]]
	[ "$(text_of notask)" = 'field "task" is missing' ]
	[ "$(text_of badinput)" = 'field "input" must be an object' ]
	[[ $(text_of notaskdir) == "field \"task\": $task/none: No such file or directory" ]]
	grep -q 'incoming/bad name.json: a job id is letters' "$LOG"
	run submit --task "$task" --wait
	[ "$status" -eq 0 ]
}
