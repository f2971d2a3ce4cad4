#!/usr/bin/env bats
# The Python container API (helpers/python): every function's effect on the
# feedback file, byte for byte as INGInious writes it
# (../shared/inginious-api.md §2, §4), its input readers, the legacy package
# `inginious`, DEBUG mode and the feedback file's lock + rename protocol.

load helpers
load api_python_helpers

setup() { api_setup; }
teardown() { :; }

@test "set_global_result, set_grade, set_global_feedback: json.dumps bytes, insertion order, float repr, ASCII escapes" {
	py 'from inginious_container_api.feedback import *
set_global_result("failed")
set_grade("50")
set_global_feedback("héllo 😀")
set_global_feedback(" again\n", append=True)
set_global_result("success")'
	assert_file "$FB" '{"result": "success", "grade": 50.0, "text": "h\u00e9llo \ud83d\ude00 again\n"}'
	py 'from inginious_container_api import feedback
feedback.set_grade(True)'
	assert_file "$FB" '{"result": "success", "grade": 1.0, "text": "h\u00e9llo \ud83d\ude00 again\n"}'
	py 'from inginious_container_api import feedback
feedback.set_grade(float("nan")); feedback.set_custom_value("big", 1e20)
feedback.set_custom_value("inf", float("-inf")); feedback.set_custom_value("f", 87.8)'
	assert_file "$FB" '{"result": "success", "grade": NaN, "text": "h\u00e9llo \ud83d\ude00 again\n", "custom": {"big": 1e+20, "inf": -Infinity, "f": 87.8}}'
}

@test "set_grade: float() of the value, no clamping; a bad value raises ValueError and writes nothing" {
	py 'from inginious_container_api import feedback
feedback.set_grade(150)'
	assert_file "$FB" '{"grade": 150.0}'
	run py 'from inginious_container_api import feedback
feedback.set_grade("abc")'
	[ "$status" -eq 1 ]
	[[ $output == *"ValueError: could not convert string to float: 'abc'"* ]]
	assert_file "$FB" '{"grade": 150.0}'
}

@test "problem feedback: text alone stays a bare string, a result makes it [result, text] and keeps the text" {
	py 'from inginious_container_api import feedback as f
f.set_problem_feedback("only text", "p2")
f.set_problem_feedback("txt", "p1")
f.set_problem_result("success", "p1")
f.set_problem_feedback(" more", "p1", append=True)
f.set_problem_result("failed", "p3")
f.set_problem_feedback(" +", "p2", append=True)
f.set_problem_feedback("new", "p3")
f.set_problem_feedback("g", "")'
	assert_file "$FB" '{"problems": {"p2": "only text +", "p1": ["success", "txt more"], "p3": ["failed", "new"], "": "g"}}'
}

@test "set_global_feedback and set_problem_feedback refuse a non-string before writing" {
	py 'from inginious_container_api import feedback as f
f.set_global_result("success")'
	for call in 'set_global_feedback(3)' 'set_problem_feedback(None, "p")' 'set_problem_feedback(b"x", "p", True)'; do
		run py "from inginious_container_api import feedback as f
f.$call"
		[ "$status" -eq 1 ]
		[[ $output == *"ValueError: Feedback doesn't match correct instance"* ]]
	done
	assert_file "$FB" '{"result": "success"}'
}

@test "set_tag stores value == True; *auto-tag- ids are ignored; tag() keys come from hash(str(value))" {
	export PYTHONHASHSEED=0
	py 'from inginious_container_api import feedback as f
f.set_tag("one", 1); f.set_tag("yes", "yes"); f.set_tag("none", None); f.set_tag("t", True)
f.set_tag("*auto-tag-7", True)
f.tag("v"); f.tag("v"); f.tag(1); f.tag("1"); f.tag("")'
	hv=$(py 'print(hash("v"))')
	h1=$(py 'print(hash("1"))')
	assert_file "$FB" "{\"tests\": {\"one\": true, \"yes\": false, \"none\": false, \"t\": true, \"*auto-tag-$hv\": \"v\", \"*auto-tag-$h1\": \"1\", \"*auto-tag-0\": \"\"}}"
}

@test "tag: each process has its own string hash, so the same value twice makes two entries" {
	unset PYTHONHASHSEED
	py 'from inginious_container_api import feedback as f; f.tag("same")'
	py 'from inginious_container_api import feedback as f; f.tag("same")'
	run jq -r '.tests | keys | length' "$FB"
	[ "$output" = 2 ]
	run jq -r '[.tests[]] | unique | .[]' "$FB"
	[ "$output" = same ]
}

@test "set_custom_value: any JSON value, tuples become lists; a value json cannot write raises TypeError, file unchanged" {
	py 'from inginious_container_api import feedback as f
f.set_custom_value("t", (1, "a", None, True)); f.set_custom_value("d", {"k": [1.5]}); f.set_custom_value("t", "again")'
	assert_file "$FB" '{"custom": {"t": "again", "d": {"k": [1.5]}}}'
	run py 'from inginious_container_api import feedback as f
f.set_custom_value("s", {1, 2})'
	[ "$status" -eq 1 ]
	[[ $output == *"TypeError: Object of type set is not JSON serializable"* ]]
	assert_file "$FB" '{"custom": {"t": "again", "d": {"k": [1.5]}}}'
	[ -z "$(ls -A "$ROOT/.__output" | grep -v '^__feedback.json$')" ]
}

@test "set_state takes any JSON value; get_feedback returns the loaded dict" {
	py 'from inginious_container_api import feedback as f
f.set_state({"attempt": 2})'
	assert_file "$FB" '{"state": {"attempt": 2}}'
	run py 'from inginious_container_api import feedback as f; print(f.get_feedback())'
	[ "$output" = "{'state': {'attempt': 2}}" ]
	py 'from inginious_container_api import feedback as f; f.set_state("")'
	assert_file "$FB" '{"state": ""}'
}

@test "feedback file: absent or empty is {}, unparsable (even a newline) becomes the crash record, NaN parses, a non-object makes writers fail" {
	rm -f "$FB"
	run py 'from inginious_container_api import feedback as f; print(f.get_feedback())'
	[ "$output" = "{}" ]
	mkdir -p "$ROOT/.__output"
	: >"$FB"
	py 'from inginious_container_api import feedback as f; f.set_state("s")'
	assert_file "$FB" '{"state": "s"}'
	printf '\n' >"$FB"
	run py 'from inginious_container_api import feedback as f; print(f.get_feedback())'
	[ "$output" = "{'result': 'crash', 'text': 'Feedback file has been modified by user !'}" ]
	assert_file "$FB" $'\n'
	py 'from inginious_container_api import feedback as f; f.set_grade(5)'
	assert_file "$FB" '{"result": "crash", "text": "Feedback file has been modified by user !", "grade": 5.0}'
	printf '{"grade": NaN, "x": Infinity}' >"$FB"
	py 'from inginious_container_api import feedback as f; f.set_state("s")'
	assert_file "$FB" '{"grade": NaN, "x": Infinity, "state": "s"}'
	for bad in '[]' 'null' '3'; do
		printf '%s' "$bad" >"$FB"
		run py 'from inginious_container_api import feedback as f; f.set_global_result("success")'
		[ "$status" -eq 1 ]
		[[ $output == *TypeError* ]]
		assert_file "$FB" "$bad"
	done
}

@test "feedback writes: .__output is created, the file is replaced by rename (a new inode), no temp file is left" {
	rm -rf "$ROOT/.__output"
	py 'from inginious_container_api import feedback as f; f.set_global_result("success")'
	[ -d "$ROOT/.__output" ]
	before=$(stat -c %i "$FB")
	py 'from inginious_container_api import feedback as f; f.set_grade(3)'
	[ "$(stat -c %i "$FB")" != "$before" ]
	[ "$(ls -A "$ROOT/.__output")" = __feedback.json ]
}

@test "feedback writes: 8 processes writing at once lose no update" {
	for i in 1 2 3 4 5 6 7 8; do
		py "from inginious_container_api import feedback as f
for j in range(25): f.set_custom_value('w$i-%d' % j, j)" &
	done
	wait
	run jq -r '.custom | length' "$FB"
	[ "$output" = 200 ]
	[ "$(ls -A "$ROOT/.__output")" = __feedback.json ]
}

@test "feedback writes wait for the directory's flock held by another writer" {
	mkdir -p "$ROOT/.__output"
	py 'from inginious_container_api import feedback as f; f.set_global_result("first")'
	# hold the lock, start a writer, change the file, release: the writer
	# must see the change (it read after the lock was released)
	"$PY" -c '
import fcntl, os, subprocess, sys, time
d = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)
fcntl.flock(d, fcntl.LOCK_EX)
w = subprocess.Popen([sys.executable, "-c", "from inginious_container_api import feedback as f; f.set_grade(7)"])
# wait until the kernel lists the writer as blocked on a flock (/proc/locks "->")
while not any("->" in l and " %d " % w.pid in l for l in open("/proc/locks")):
    assert w.poll() is None, "the writer did not wait for the lock"
    time.sleep(0.01)
with open(sys.argv[1] + "/__feedback.json", "w") as f:
    f.write("{\"result\": \"held\"}")
fcntl.flock(d, fcntl.LOCK_UN)
sys.exit(w.wait())
' "$ROOT/.__output"
	assert_file "$FB" '{"result": "held", "grade": 7.0}'
}

@test "set_feedback_from_tpl: Jinja2 with _ from /task/lang, lookup ./NAME.<lang>.tpl, /task/lang/<lang>/NAME.tpl, ./NAME.tpl" {
	need_module jinja2
	api_input '{"@lang": "fr_FR"}'
	mkdir -p "$ROOT/task/lang/fr/LC_MESSAGES" "$ROOT/task/lang/fr_FR"
	"$PY" - "$ROOT/task/lang/fr/LC_MESSAGES/messages.mo" <<-'PYEOF'
	import struct, sys
	# a GNU .mo catalogue: header entry + one message
	msgs = {"": "Content-Type: text/plain; charset=UTF-8\n", "Hello": "Bonjour é"}
	keys = sorted(msgs)
	ids = b"".join(k.encode() + b"\0" for k in keys)
	strs = b"".join(msgs[k].encode() + b"\0" for k in keys)
	n = len(keys)
	start = 7 * 4 + 16 * n
	otab, ttab, o = [], [], 0
	for k in keys:
	    otab += [len(k.encode()), start + o]; o += len(k.encode()) + 1
	t = 0
	for k in keys:
	    ttab += [len(msgs[k].encode()), start + len(ids) + t]; t += len(msgs[k].encode()) + 1
	data = struct.pack("Iiiiiii", 0x950412de, 0, n, 28, 28 + 8 * n, 0, 0)
	data += struct.pack("%di" % (2 * n), *otab) + struct.pack("%di" % (2 * n), *ttab) + ids + strs
	open(sys.argv[1], "wb").write(data)
	PYEOF
	printf '{{ _("Hello") }} {{ name|upper }}!\r\n{%% for i in items %%}[{{ i }}]{%% endfor %%}\n' >"$ROOT/task/lang/fr_FR/greet.tpl"
	run py 'from inginious_container_api import feedback as f
p = {"name": "ann", "items": [1, 2]}
print(f.set_feedback_from_tpl("greet", p), "_" in p)'
	[ "$output" = "True True" ]
	assert_file "$FB" '{"text": "Bonjour \u00e9 ANN!\n[1][2]"}'
	# ./NAME.<lang>.tpl comes first, ./NAME.tpl last; problem_id "" is a problem
	printf 'local {{ x }}' >"$ROOT/task/greet.fr_FR.tpl"
	printf 'plain' >"$ROOT/task/other.tpl"
	py 'from inginious_container_api import feedback as f
f.set_feedback_from_tpl("greet", {"x": 1}, problem_id="")
f.set_feedback_from_tpl("other", {}, problem_id="p", append=True)
f.set_feedback_from_tpl("other", {}, problem_id="p", append=True)'
	assert_file "$FB" '{"text": "Bonjour \u00e9 ANN!\n[1][2]", "problems": {"": "local 1", "p": "plainplain"}}'
}

@test "set_feedback_from_tpl: a missing template or a Jinja2 error sets INGInious's error text and returns False" {
	need_module jinja2
	api_input '{"@lang": "en"}'
	run py 'from inginious_container_api import feedback as f; print(f.set_feedback_from_tpl("nope", {}))'
	[ "$output" = False ]
	assert_file "$FB" '{"text": "\n.. error::\n\n    Unable to find template named nope. Please contact your administrator.\n    \n\n    "}'
	printf '{{ x + 1 }}' >"$ROOT/task/bad.tpl"
	run py 'from inginious_container_api import feedback as f; print(f.set_feedback_from_tpl("bad", {}, problem_id="p"))'
	[ "$output" = False ]
	run jq -r '.problems.p' "$FB"
	[[ $output == $'\n.. error::\n   \n   An error occured while parsing the feedback template. Here is the full error:\n   \n   ::\n   \n\t\tTraceback (most recent call last):\n'* ]]
	[[ $output == *"jinja2.exceptions.UndefinedError: 'x' is undefined"* ]]
	[[ $output == *$'\n\t\t\n\tPlease contact your administrator.' ]]
}

@test "set_feedback_from_tpl without Jinja2: the template error text naming the missing module, False" {
	api_input '{"@lang": "en"}'
	printf 'hi' >"$ROOT/task/t.tpl"
	PYTHONPATH=$(hide_module jinja2):$API_PY run py 'from inginious_container_api import feedback as f; print(f.set_feedback_from_tpl("t", {}))'
	[ "$output" = False ]
	run jq -r .text "$FB"
	[[ $output == *"An error occured while parsing the feedback template"*"ImportError: jinja2 is hidden by the test"* ]]
}

@test "set_feedback_from_tpl needs @lang in the input: KeyError" {
	api_input '{"q": "x"}'
	run py 'from inginious_container_api import feedback as f; f.set_feedback_from_tpl("t", {})'
	[ "$status" -eq 1 ]
	[[ $output == *"KeyError: '@lang'"* ]]
}

@test "get_input: JSON values as they are, uploads as bytes or their filename, KeyError when absent" {
	api_input '{"q": "print(1)\n", "n": 3, "l": [1, "é"], "f": {"filename": "a.c", "value": "/.__input/__inputfile_0"}, "@username": "ann,bob", "@lang": "en", "@random": [0.5], "@attempts": "2"}'
	printf 'int main;\n\0' >"$ROOT/.__input/__inputfile_0"
	run py 'from inginious_container_api.input import *
print(repr(get_input("q")), get_input("n"), get_input("l"), repr(get_input("f")), repr(get_input("f:value")),
      get_input("f:filename"), get_input("q:filename"), get_username(), get_lang(), get_input("@random"), repr(get_input("@attempts")))'
	[ "$output" = "'print(1)\n' 3 [1, 'é'] b'int main;\n\x00' b'int main;\n\x00' a.c print(1)
 ann,bob en [0.5] '2'" ]
	run py 'from inginious_container_api.input import get_input; get_input("missing")'
	[ "$status" -eq 1 ]
	[[ $output == *"KeyError: 'missing'"* ]]
}

@test "input is re-read on every call; NUL bytes and blanks around it are stripped; load_input and _load_input return the whole file" {
	api_input '{"q": "one"}'
	run py 'import os
from inginious_container_api import input
a = input.get_input("q")
open(os.environ["GRADEBOX_API_ROOT"] + "/.__input/__inputdata.json", "w").write("\0\n {\"input\": {\"q\": \"two\"}, \"debug\": true} \n\0\0")
print(a, input.get_input("q"), input.load_input(), input._load_input() == input.load_input())'
	[ "$output" = "one two {'input': {'q': 'two'}, 'debug': True} True" ]
}

@test "get_submission_time: INGInious's form, and the front-end's +00:00 form with or without microseconds" {
	for t in '2026-11-22 10:00:00.123456' '2026-11-22 10:00:00.123456+00:00' '2026-11-22 11:00:00.123456+01:00'; do
		api_input "{\"@time\": \"$t\"}"
		run py 'from inginious_container_api.input import get_submission_time; print(repr(get_submission_time()))'
		[ "$output" = "datetime.datetime(2026, 11, 22, 10, 0, 0, 123456)" ]
	done
	api_input '{"@time": "2026-11-22 10:00:00+00:00"}'
	run py 'from inginious_container_api.input import get_submission_time; print(get_submission_time())'
	[ "$output" = "2026-11-22 10:00:00" ]
	api_input '{"@time": "yesterday"}'
	run py 'from inginious_container_api.input import get_submission_time; get_submission_time()'
	[ "$status" -eq 1 ]
	[[ $output == *"ValueError: time data 'yesterday' does not match format '%Y-%m-%d %H:%M:%S.%f'"* ]]
}

@test "parse_template: markers with prefix and suffix per line, uploads, later keys rescan, output file and its dirs" {
	api_input '{"a": "x\ny\rz", "f": {"filename": "in.txt", "value": "/.__input/__inputfile_0"}, "b": "@@c@@", "c": "C", "@username": "u"}'
	printf 'L1\r\nL2' >"$ROOT/.__input/__inputfile_0"
	printf '  @# @a@;@ | @@f:filename@@ @@f:value@@ @@f@@ @@b@@ @@@username@@ @@zz@@\r\n' >tpl
	py 'from inginious_container_api.input import parse_template; parse_template("tpl", "out/dir/t.c")'
	assert_file out/dir/t.c $'  # x;\n# y;\n# z; | in.txt L1\nL2 @@f@@ C u @@zz@@\r\n'
	py 'from inginious_container_api.input import parse_template; parse_template("tpl")'
	assert_file tpl $'  # x;\n# y;\n# z; | in.txt L1\nL2 @@f@@ C u @@zz@@\r\n'
	api_input '{"n": 3}'
	printf '@@n@@' >num
	run py 'from inginious_container_api.input import parse_template; parse_template("num")'
	[ "$status" -eq 1 ]
	[[ $output == *AttributeError* ]]
	assert_file num '@@n@@'
}

@test "rst: code block, image, admonition, indent as the rst-* commands print them, without print's newline" {
	printf 'PNG' >img.PNG
	run py 'from inginious_container_api.rst import *
print(repr(get_codeblock("c", "a\n\tb")), repr(get_codeblock("", "")))
print(repr(get_imageblock("img.PNG")), repr(get_imageblock("img.PNG", "gif")))
print(repr(get_admonition("nope", "", "x\ny")), repr(get_admonition("danger", "T", "m")))
print(repr(indent_block(2, "a\nb", "--")), repr(indent_block(-2, "a\tb\tc")), repr(indent_block(0, "\tx")))'
	[ "${lines[0]}" = "'\n\n.. code-block:: c\n\n\ta\n\t\tb\n\n' '\n\n.. code-block:: \n\n\n'" ]
	[ "${lines[1]}" = "'\n\n.. raw:: html\n\n\t<img src=\"data:image/PNG;base64,UE5H\">\n' '\n\n.. raw:: html\n\n\t<img src=\"data:image/gif;base64,UE5H\">\n'" ]
	[ "${lines[2]}" = "'\n\n.. note:: \n\t:class: alert alert-info\n\n\tx\n\ty\n\n' '\n\n.. admonition:: T\n\t:class: alert alert-danger\n\n\tm\n\n'" ]
	[ "${lines[3]}" = "'----a\n----b\n' 'ab\tc\n' '\tx\n'" ]
}

@test "lang: get_lang_dir_path is /task/lang; init sets LANGUAGE to @lang and installs _ once" {
	api_input '{"@lang": "de"}'
	run py 'import builtins, os
from inginious_container_api import lang
print(lang.get_lang_dir_path() == os.environ["GRADEBOX_API_ROOT"] + "/task/lang")
lang.init(); print(os.environ["LANGUAGE"], _("untranslated"))
os.environ["LANGUAGE"] = "xx"; lang.init(); print(os.environ["LANGUAGE"])'
	[ "$output" = $'True\nde untranslated\nxx' ]
}

@test "legacy package inginious: the same modules, from inginious import feedback, input, rst, lang works" {
	api_input '{"q": "v"}'
	run py 'import inginious, inginious_container_api
from inginious import feedback, input, rst, lang, run_student, ssh_student
import inginious.feedback
print(feedback is inginious_container_api.feedback, inginious.feedback is feedback, input.get_input("q"), inginious.DEBUG)
feedback.set_global_result("success")'
	[ "$output" = "True True v False" ]
	assert_file "$FB" '{"result": "success"}'
}

@test "DEBUG mode (either package's flag): ./__inputdata.json, ./__feedback.json, ./__lang" {
	mkdir dbg && cd dbg
	printf '{"input": {"q": "local", "@lang": "en"}}' >__inputdata.json
	for pkg in inginious_container_api inginious; do
		rm -f __feedback.json
		run py "import $pkg; $pkg.DEBUG = True
from inginious import feedback, input, lang
feedback.set_global_result(input.get_input('q')); print(lang.get_lang_dir_path())"
		[ "$output" = ./__lang ]
		assert_file __feedback.json '{"result": "local"}'
	done
	[ ! -e "$FB" ]
	[ "$(ls -A)" = "$(printf '__feedback.json\n__inputdata.json')" ]
}

@test "only the packages inginious_container_api and inginious are importable from helpers/python" {
	run ls "$API_PY"
	[ "$output" = $'inginious\ninginious_container_api' ]
	for m in feedback input utils rst lang run_student; do
		run py "import $m"
		[ "$status" -eq 1 ]
		[[ $output == *"ModuleNotFoundError: No module named '$m'"* ]]
	done
}

@test "Python and C helpers write the same feedback file, agreeing byte for byte" {
	api=$TOP/helpers/bin/gradebox-api
	[ -x "$api" ] || skip "helpers/bin/gradebox-api is not built in this tree (the C helpers, issue 10 §4)"
	bin=$TOP/helpers/bin
	py 'from inginious_container_api import feedback as f; f.set_problem_feedback("py text", "p1")'
	"$bin/feedback-result" -i p1 success
	py 'from inginious_container_api import feedback as f; f.set_grade(87.8); f.set_custom_value("c", [1, "é"])'
	"$bin/feedback-msg" -a -m ' C é'
	"$bin/feedback-custom" n 12
	py 'from inginious_container_api import feedback as f; f.set_global_feedback(" py", True); f.set_tag("t", True)'
	assert_file "$FB" '{"problems": {"p1": ["success", "py text"]}, "grade": 87.8, "custom": {"c": [1, "\u00e9"], "n": 12}, "text": " C \u00e9 py", "tests": {"t": true}}'
	for i in 1 2 3 4; do
		py "from inginious_container_api import feedback as f
for j in range(20): f.set_custom_value('p$i-%d' % j, j)" &
		(for j in $(seq 20); do "$bin/feedback-custom" "c$i-$j" "$j"; done) &
	done
	wait
	run jq -r '.custom | length' "$FB"
	[ "$output" = 162 ]
}
