#!/usr/bin/env bats
# gradebox serve: the queue daemon and its clients (issue 12).
load serve_common

setup_file() { serve_setup_file; }
setup() { serve_setup; }
teardown() { serve_teardown; }

JOBS=200

@test "serve: $JOBS jobs through the socket with 2 slots get one result each, never more than 2 grading at once" {
	task=$(make_task ok)
	serve_start --slots 2
	for i in $(seq $JOBS); do submit --task "$task"; done >"$BATS_TEST_TMPDIR/ids"
	[ "$(sort -u "$BATS_TEST_TMPDIR/ids" | wc -l)" -eq $JOBS ]
	wait_done $JOBS
	serve_stop
	[ "$(ls "$SPOOL/done" | wc -l)" -eq $JOBS ]
	while read -r id; do
		[ "$(result_of "$id")" = success ] || { cat "$SPOOL/done/$id.json"; false; }
	done <"$BATS_TEST_TMPDIR/ids"
	[ "$(grep -c ' result=' "$LOG")" -eq $JOBS ]
	[ "$(python3 "$SERVE_CLIENT" overlap "$LOG")" -eq 2 ]
	# nothing of the jobs stays in the spool but their results
	[ -z "$(find "$SPOOL/jobs" "$SPOOL/incoming" -mindepth 1)" ]
}

@test "serve: $JOBS jobs through the spool with 2 slots get one result each, never more than 2 grading at once" {
	task=$(make_task ok)
	serve_start --slots 2
	python3 "$SERVE_CLIENT" spool "$SPOOL" $JOBS "$task" "$INPUT"
	wait_done $JOBS
	serve_stop
	for i in $(seq 0 $((JOBS - 1))); do
		[ "$(result_of job$i)" = success ]
	done
	[ "$(grep -c ' result=' "$LOG")" -eq $JOBS ]
	[ "$(python3 "$SERVE_CLIENT" overlap "$LOG")" -eq 2 ]
	[ -z "$(find "$SPOOL/jobs" "$SPOOL/incoming" -mindepth 1)" ]
}

@test "serve: SIGKILLed in the middle of a burst and restarted, no job is lost or graded twice" {
	task=$(make_task ok)
	serve_start --slots 2
	for i in $(seq 60); do submit --task "$task"; done >"$BATS_TEST_TMPDIR/ids"
	python3 "$SERVE_CLIENT" spool "$SPOOL" 40 "$task" "$INPUT"
	wait_done 10
	kill -KILL "$DPID"
	wait "$DPID" || true
	DPID=
	# the graders it left: their results may come, the restart regrades
	gb_clean || true
	serve_start --slots 2
	wait_done 100
	serve_stop
	for id in $(cat "$BATS_TEST_TMPDIR/ids") $(seq -f 'job%g' 0 39); do
		[ "$(result_of "$id")" = success ]
	done
	[ "$(ls "$SPOOL/done" | wc -l)" -eq 100 ]
	# each job logged once with a result, whichever daemon graded it
	[ "$(grep ' result=' "$LOG" | awk '{ print $3 }' | sort | uniq -d)" = "" ]
	[ -z "$(find "$SPOOL/jobs" "$SPOOL/incoming" -mindepth 1)" ]
}

@test "serve: a job killed while it grades ends as killed, its sandboxes gone" {
	task=$(make_task slow 300)
	serve_start --slots 1
	id=$(submit --task "$task")
	grading_pid >/dev/null
	run "$GRADEBOX" kill --socket "$SOCK" "$id"
	[ "$status" -eq 0 ]
	[ "$output" = "$id: killed" ]
	[ "$(result_of "$id")" = killed ]
	serve_stop
	gb_clean
}

@test "serve: a queued job killed ends as killed without grading" {
	slow=$(make_task slow 300)
	ok=$(make_task ok)
	serve_start --slots 1
	first=$(submit --task "$slow")
	second=$(submit --task "$ok")
	run status "$second"
	[[ $output == *'"state": "queued"'* ]]
	[[ $output == *'"position": 1'* ]]
	run "$GRADEBOX" kill --socket "$SOCK" "$second"
	[ "$output" = "$second: killed" ]
	run python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["started"])' "$SPOOL/done/$second.json"
	[ "$output" = None ]
	"$GRADEBOX" kill --socket "$SOCK" "$first"
}

@test "serve: a grading supervisor that dies gives its job an error result" {
	task=$(make_task slow 300)
	serve_start --slots 1
	id=$(submit --task "$task")
	kill -KILL "$(grading_pid)"
	wait_done 1
	[ "$(result_of "$id")" = error ]
	grep -q 'the grading supervisor crashed: killed by signal 9' "$SPOOL/done/$id.json"
	# the slot is free again
	ok=$(make_task ok)
	run submit --task "$ok" --wait
	[ "$status" -eq 0 ]
}

@test "serve: past --queue-max a submit is refused with the reason, and the spool waits its turn" {
	task=$(make_task slow 300)
	ok=$(make_task ok)
	serve_start --slots 1 --queue-max 2
	running=$(submit --task "$task")
	grading_pid >/dev/null
	q1=$(submit --task "$ok")
	q2=$(submit --task "$ok")
	run submit --task "$ok"
	[ "$status" -eq 254 ]
	[[ $output == *"the queue is full (2 jobs waiting"* ]]
	# a spool job waits in incoming/ rather than being refused
	python3 "$SERVE_CLIENT" spool "$SPOOL" 1 "$ok" "$INPUT"
	sleep 1
	[ -e "$SPOOL/incoming/job0.json" ]
	"$GRADEBOX" kill --socket "$SOCK" "$running"
	wait_done 4
	[ "$(result_of job0)" = success ]
	[ "$(result_of "$q2")" = success ]
}

@test "serve: a job whose memory limit is more than the host has is refused at submit" {
	task=$(make_task ok)
	serve_start --slots 1
	run submit --task "$task" --memory 100000000
	[ "$status" -eq 254 ]
	[[ $output == *"memory limit (100000000 MB) is more than this host has"* ]]
	sed -i 's/memory: 64/memory: 100000000/' "$task/task.yaml"
	run submit --task "$task"
	[ "$status" -eq 254 ]
	[[ $output == *"is more than this host has"* ]]
}

@test "serve: submit --wait prints the result, and on a terminal the progress" {
	task=$(make_task ok)
	serve_start --slots 1
	run submit --task "$task" --wait
	[ "$status" -eq 0 ]
	[[ $output == *'"result": "success"'* ]]
	[[ $output == *'"grade": 100'* ]]
	[[ $output == *'"queued": '* && $output == *'"started": '* && $output == *'"finished": '* ]]
	# a terminal on stderr: queued -> grading -> result
	run script -qec "$GRADEBOX submit --socket $SOCK --input $INPUT --task $task --wait >/dev/null" /dev/null
	[ "$status" -eq 0 ]
	[[ $output == *": grading"* ]]
	[[ $output == *": success (grade 100)"* ]]
}

@test "serve: status names a job's state, and the queue's" {
	task=$(make_task ok)
	serve_start --slots 1
	id=$(submit --task "$task" --wait | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
	run status "$id"
	[[ $output == *'"state": "done"'* ]]
	[[ $output == *'"result": "success"'* ]]
	run status
	[[ $output == *'"slots": 1'* ]]
	run status no-such-job
	[ "$status" -eq 254 ]
	[ "$output" = "gradebox: no job no-such-job" ]
}

@test "serve: metrics in Prometheus text over the socket and on HTTP /metrics" {
	task=$(make_task ok)
	port=$((20000 + RANDOM % 20000))
	serve_start --slots 2 --metrics-listen 127.0.0.1:$port
	submit --task "$task" --wait >/dev/null
	run status --metrics
	[[ $output == *'gradebox_jobs_total{result="success"} 1'* ]]
	[[ $output == *'gradebox_queue_length 0'* ]]
	[[ $output == *'gradebox_slots 2'* ]]
	[[ $output == *'gradebox_grading_seconds_count 1'* ]]
	[[ $output == *'gradebox_queue_wait_seconds_bucket{le="+Inf"} 1'* ]]
	run curl -sf "http://127.0.0.1:$port/metrics"
	[ "$status" -eq 0 ]
	[[ $output == *'gradebox_jobs_total{result="success"} 1'* ]]
	run curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/other"
	[ "$output" = 404 ]
}

@test "serve: 1000 idle connections, and the daemon still serves" {
	task=$(make_task ok)
	serve_start --slots 1
	run python3 "$SERVE_CLIENT" idle "$SOCK" 1000
	[ "$status" -eq 0 ]
	[ "$(grep -c '"ok":true' <<<"$output")" -eq 2 ]
	run submit --task "$task" --wait
	[ "$status" -eq 0 ]
}

@test "serve: SIGTERM lets a grading job finish within the grace" {
	task=$(make_task slow 2)
	serve_start --slots 1 --grace 60
	id=$(submit --task "$task")
	grading_pid >/dev/null
	serve_stop
	[ "$(result_of "$id")" = success ]
	grep -q 'stopped' "$LOG"
	[ ! -e "$SOCK" ]
}

@test "serve: SIGTERM kills what still grades after the grace; the next start grades it again" {
	slow=$(make_task slow 300)
	ok=$(make_task ok)
	serve_start --slots 1 --grace 0
	id=$(submit --task "$slow")
	queued=$(submit --task "$ok")
	grading_pid >/dev/null
	serve_stop
	grep -q "job $id task=slow requeued" "$LOG"
	[ ! -e "$SPOOL/done/$id.json" ] && [ ! -e "$SPOOL/done/$queued.json" ]
	sed -i 's/^\[ "300" = 0 \] || sleep 300$/true/' "$slow/run"
	serve_start --slots 1
	wait_done 2
	[ "$(result_of "$id")" = success ]
	[ "$(result_of "$queued")" = success ]
}

@test "serve: results older than done_keep are removed" {
	task=$(make_task ok)
	GRADEBOX_DONE_KEEP=1 serve_start --slots 1
	id=$(submit --task "$task" --wait | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
	[ -e "$SPOOL/done/$id.json" ]
	for i in $(seq 200); do [ -e "$SPOOL/done/$id.json" ] || break; sleep 0.05; done
	[ ! -e "$SPOOL/done/$id.json" ]
}

@test "serve: a second daemon on the same spool is refused" {
	serve_start --slots 1
	run "$GRADEBOX" serve --socket "$BATS_TEST_TMPDIR/other.sock" --spool "$SPOOL"
	[ "$status" -eq 254 ]
	[[ $output == *"another gradebox serve uses it"* ]]
	run "$GRADEBOX" serve --socket "$SOCK" --spool "$BATS_TEST_TMPDIR/other"
	[ "$status" -eq 254 ]
	[[ $output == *"another gradebox serve listens there"* ]]
}

@test "serve: the socket is mode 0660; the clients say where no daemon serves" {
	serve_start --slots 1
	[ "$(stat -c %a "$SOCK")" = 660 ]
	run "$GRADEBOX" status --socket "$BATS_TEST_TMPDIR/none.sock"
	[ "$status" -eq 254 ]
	[[ $output == *"cannot reach the queue daemon at $BATS_TEST_TMPDIR/none.sock"* ]]
}
