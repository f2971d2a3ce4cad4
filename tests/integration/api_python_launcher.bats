#!/usr/bin/env bats
# inginious-ipython, the launcher of Python run files (helpers/inginious-ipython,
# built into helpers/bin): the API's globals preloaded as INGInious's
# star-imports give them, IPython's `!cmd`/`%env` when IPython imports, plain
# python3 with the same globals when it does not.

load helpers
load api_python_helpers
bats_require_minimum_version 1.5.0

setup() {
	api_setup
	LAUNCHER=$TOP/helpers/bin/inginious-ipython
	[ -x "$LAUNCHER" ] || LAUNCHER=$LAUNCHER_SRC
}
teardown() { :; }

# launch [ARG...]: the launcher under the test python
launch() { "$PY" "$LAUNCHER" "$@"; }

# The names a run file uses without importing them, as INGInious's
# star-imports of input, feedback, lang, rst, run_student, ssh_student give
# them (its modules' own imports included); zmq and msgpack are left out:
# gradebox's run_student does not use them.
GLOBALS_RUN_PY='
import types
names = """json os re datetime sys base64 builtins traceback gettext array signal socket tempfile
asyncio struct threading Template inginious_container_api get_input get_username get_lang
get_submission_time parse_template load_input set_global_result set_problem_result set_grade
set_global_feedback set_problem_feedback set_state set_tag tag set_custom_value get_feedback
set_feedback_from_tpl save_feedback get_lang_dir_path init get_codeblock get_imageblock
get_admonition indent_block run_student run_student_simple ssh_student read_block""".split()
missing = [n for n in names if n not in globals()]
print("missing:", missing)
print(json.dumps({"a": [1]}), os.path.basename(__file__), re.sub("b", "c", "ab"),
      datetime.date(2026, 1, 2), tempfile.gettempdir(), signal.SIGTERM == 15,
      isinstance(asyncio, types.ModuleType), base64.b64encode(b"x").decode(), sys.argv[1:])
set_global_result("success")
set_problem_feedback(get_input("q1"), "q1")
'

@test "launcher without a file: 'No file given' on stderr, exit 1" {
	run --separate-stderr launch
	[ "$status" -eq 1 ]
	[ "$stderr" = "No file given" ]
	[ -z "$output" ]
}

@test "launcher under IPython: the star-import globals (json, os, re, datetime ...), __file__, sys.argv" {
	need_module IPython
	printf '%s' "$GLOBALS_RUN_PY" >run.py
	run launch run.py a 'b c'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "missing: []" ]
	[ "${lines[1]}" = "{\"a\": [1]} run.py ac 2026-01-02 /tmp True True eA== ['a', 'b c']" ]
	assert_file "$FB" '{"result": "success", "problems": {"q1": "x"}}'
}

@test "launcher under IPython: !cmd lines, \$VAR from Python names first then the environment, out = !cmd, %env" {
	need_module IPython
	cat >run.py <<-'PYEOF'
	x = 5
	HOME_T = "python"
	!echo py=$x env=$GB_T_VAR both=$HOME_T none=[$GB_T_UNSET] braces={x+1}
	out = !echo one; echo two
	print(out)
	%env GB_T_SET=fromenv
	!echo $GB_T_SET
	print(os.environ["GB_T_SET"])
	def f():
	    local = "loc"
	    !echo $local $GB_T_VAR
	f()
	!feedback-nonexistent-cmd 2>/dev/null || echo status=$?
	PYEOF
	# IPython runs `!cmd` on a pty (pexpect), as in INGInious: lines end in \r\n
	GB_T_VAR=envval HOME_T=shell run bash -c '"$0" "$1" run.py | tr -d "\r"' "$PY" "$LAUNCHER"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "py=5 env=envval both=python none=[] braces=6" ]
	[ "${lines[1]}" = "['one', 'two']" ]
	[ "${lines[2]}" = "env: GB_T_SET=fromenv" ]
	[ "${lines[3]}" = "fromenv" ]
	[ "${lines[4]}" = "fromenv" ]
	[ "${lines[5]}" = "loc envval" ]
	[ "${lines[6]}" = "status=127" ]
}

@test "launcher: the run file's directory is on sys.path, so a task's own utils.py imports, not the API's" {
	printf 'X = "task utils"\n' >utils.py
	printf 'import utils, feedback_x\nprint(utils.X, feedback_x.Y)\n' >run.py
	printf 'Y = "task module"\n' >feedback_x.py
	for hide in "" "$(hide_module IPython)"; do
		PYTHONPATH=${hide:+$hide:}$API_PY run launch run.py
		[ "$status" -eq 0 ]
		[ "${lines[-1]}" = "task utils task module" ]
	done
}

@test "launcher: input.load_input() and the legacy package work in a run file" {
	printf 'from inginious import feedback, input\nprint(input.load_input()["input"]["q1"], input._load_input()["type"])\nfeedback.set_grade(42)\n' >run.py
	for hide in "" "$(hide_module IPython)"; do
		PYTHONPATH=${hide:+$hide:}$API_PY run launch run.py
		[ "$status" -eq 0 ]
		[ "${lines[-1]}" = "x start" ]
	done
	assert_file "$FB" '{"grade": 42.0}'
}

@test "launcher without IPython: plain python3 with the same globals, __file__ and sys.argv" {
	printf '%s' "$GLOBALS_RUN_PY" >run.py
	PYTHONPATH=$(hide_module IPython):$API_PY run launch run.py a 'b c'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "missing: []" ]
	[ "${lines[1]}" = "{\"a\": [1]} run.py ac 2026-01-02 /tmp True True eA== ['a', 'b c']" ]
	assert_file "$FB" '{"result": "success", "problems": {"q1": "x"}}'
}

@test "launcher without IPython: a !cmd line stops the run with a message naming the line, exit 1" {
	printf 'set_global_result("success")\nx = 1\n!echo hi\n' >run.py
	PYTHONPATH=$(hide_module IPython):$API_PY run --separate-stderr launch run.py
	[ "$status" -eq 1 ]
	[ "$stderr" = 'inginious-ipython: run.py:3: `!echo hi` needs IPython, which this environment lacks (install ipython3, or use subprocess)' ]
	[ ! -e "$FB" ]
	printf 'out = !ls\n' >run2.py
	PYTHONPATH=$(hide_module IPython):$API_PY run --separate-stderr launch run2.py
	[ "$status" -eq 1 ]
	[[ $stderr == *'run2.py:1: `out = !ls` needs IPython'* ]]
}

@test "launcher without IPython: a run file's exception prints its traceback, exit 1; a plain syntax error stays one" {
	printf 'set_global_result("success")\nraise RuntimeError("boom")\n' >run.py
	PYTHONPATH=$(hide_module IPython):$API_PY run launch run.py
	[ "$status" -eq 1 ]
	[[ $output == *"RuntimeError: boom"* ]]
	assert_file "$FB" '{"result": "success"}'
	printf 'def (:\n' >bad.py
	PYTHONPATH=$(hide_module IPython):$API_PY run launch bad.py
	[ "$status" -eq 1 ]
	[[ $output == *SyntaxError* ]]
}

@test "launcher: built into helpers/bin by make, executable, python3 shebang" {
	[ -x "$TOP/helpers/bin/inginious-ipython" ] || skip "helpers/bin/inginious-ipython is not built (make)"
	cmp "$TOP/helpers/bin/inginious-ipython" "$LAUNCHER_SRC"
	[ "$(head -n 1 "$TOP/helpers/bin/inginious-ipython")" = "#!/usr/bin/env python3" ]
}

@test "launcher: a run.py that is plain Python runs without starting IPython; one with !cmd or get_ipython starts it" {
	need_module IPython
	printf 'import sys\nprint("IPython" in sys.modules)\n' >run.py
	run launch run.py
	[ "$status" -eq 0 ]
	[ "$output" = False ]
	printf 'import sys\nprint("IPython" in sys.modules)\n!true\n' >run.py
	run launch run.py
	[ "${lines[0]}" = True ]
	printf 'import sys\nprint("IPython" in sys.modules, get_ipython() is not None)\n' >run.py
	run launch run.py
	[ "${lines[0]}" = "True True" ]
}
