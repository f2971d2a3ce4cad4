#!/usr/bin/env bats
# The Python API in a real environment: rootfs/debian-python's image (IPython
# and Jinja2, as INGInious's `python3` / `default` environments), imported
# under INGInious's name, runs a run.py through the launcher with the
# helpers bound at /.gradebox as a grading sandbox has them. The tarball is
# built once per version of the recipe and kept under tests/.work.

load helpers
load api_python_helpers

TARBALL=$PYTHON_TARBALL

setup_file() { gb_build_python_tarball; }

setup() {
	gb_setup
	[ -x "$TOP/helpers/bin/inginious-ipython" ] || skip "helpers/bin/inginious-ipython is not built (make)"
}
teardown() { gb_teardown; }

# in_sandbox CMD...: CMD in the python3 image with the helpers at
# /.gradebox, $BATS_TEST_TMPDIR/task at /task and the API root at /api
in_sandbox() {
	gb run --image python3 --bind "$TOP/helpers:/.gradebox" \
		--bind "$BATS_TEST_TMPDIR/task:/task:rw" --bind "$BATS_TEST_TMPDIR/api:/api:rw" \
		--env GRADEBOX_API_ROOT=/api --env PYTHONPATH=/.gradebox/python \
		--env PATH=/.gradebox/bin:/usr/local/bin:/usr/bin:/bin --env HOME=/task \
		--cwd /task "$@"
}

prepare_task() {
	mkdir -p "$BATS_TEST_TMPDIR/task" "$BATS_TEST_TMPDIR/api/.__input"
	printf '{"type": "start", "input": {"q1": "42", "@lang": "en"}}' \
		>"$BATS_TEST_TMPDIR/api/.__input/__inputdata.json"
	chmod -R 0777 "$BATS_TEST_TMPDIR/task" "$BATS_TEST_TMPDIR/api"
}

@test "debian-python as INGInious's python3 environment: run.py under IPython with the API, !cmd, \$VAR and Jinja2" {
	gb image import "$TARBALL" --name python3
	prepare_task
	cat >"$BATS_TEST_TMPDIR/task/run.py" <<-'PYEOF'
	answer = get_input("q1")
	!echo shell: $answer $GB_X
	print(set_feedback_from_tpl("fb", {"n": int(answer)}))
	set_global_result("success")
	PYEOF
	printf 'n+1={{ n + 1 }}{%% if n > 40 %%} big{%% endif %%}\n' >"$BATS_TEST_TMPDIR/task/fb.tpl"
	run in_sandbox --env GB_X=envval -- /.gradebox/bin/inginious-ipython run.py
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | tr -d '\r')" = $'shell: 42 envval\nTrue' ]
	assert_file "$BATS_TEST_TMPDIR/api/.__output/__feedback.json" '{"text": "n+1=43 big", "result": "success"}'
}

@test "gradebox grade of a run.py in the python3 image: IPython with the API, !cmd, \$VAR, %env, the star-import globals, the legacy package" {
	gb image import "$TARBALL" --name python3 >/dev/null
	task=$BATS_TEST_TMPDIR/course/py
	mkdir -p "$task"
	printf 'environment_type: docker\nenvironment_id: python3\nenvironment_parameters:\n  limits: {time: 30, memory: 256}\n' >"$task/task.yaml"
	# no imports: json, os, get_input ... come with the launcher
	cat >"$task/run.py" <<-'PYEOF'
	answer = get_input("q1")
	%env GB_GREETING=hello
	out = !echo $GB_GREETING $answer $HOME
	from inginious import feedback
	feedback.set_custom_value("out", out)
	feedback.set_custom_value("json", json.dumps({"k": os.path.basename(__file__)}))
	set_problem_feedback("seen " + answer, "q1")
	set_global_result("success")
	PYEOF
	printf '{"input": {"q1": "42"}}' >"$BATS_TEST_TMPDIR/input.json"
	run "$GRADEBOX" grade --task "$task" --input "$BATS_TEST_TMPDIR/input.json" --json
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.result, .grade, .problems, .custom]' <<<"$output")" = \
		'["success",100,{"q1":"seen 42"},{"out":["hello 42 /task"],"json":"{\"k\": \"run.py\"}"}]' ]
}
