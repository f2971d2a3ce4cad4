#!/usr/bin/env bats
# The feedback commands of gradebox-api (issue 10 §4, inginious-api.md §2,
# §3): the feedback file's bytes, exit codes and messages, run on the host.
load api_cmd_helpers

setup() { api_setup; }

@test "feedback-result sets the global result, verbatim; the last call wins" {
	"$API/feedback-result" failed
	"$API/feedback-result" 'any thing é'
	fb_is '{"result": "any thing \u00e9"}'
}

@test "feedback-result -i sets a problem's result and keeps its text" {
	"$API/feedback-result" -i q1 success
	"$API/feedback-msg" -i q2 -m 'bare text'
	"$API/feedback-result" -i q2 failed
	"$API/feedback-result" --id q2 crash
	fb_is '{"problems": {"q1": ["success", ""], "q2": ["crash", "bare text"]}}'
}

@test "feedback-result -i \"\" is the global result" {
	"$API/feedback-result" -i "" success
	fb_is '{"result": "success"}'
}

@test "feedback-grade stores Python's float() of its argument" {
	local arg want
	while IFS='|' read -r arg want; do
		rm -f "$FB"
		"$API/feedback-grade" -- "$arg"
		fb_is "{\"grade\": $want}"
	done <<-'EOF_'
	87.8|87.8
	150|150.0
	-5|-5.0
	 5 |5.0
	1_000|1000.0
	1e20|1e+20
	1e16|1e+16
	0.0001|0.0001
	1e-05|1e-05
	inf|Infinity
	-Infinity|-Infinity
	nAn|NaN
	١٢|12.0
	0|0.0
	EOF_
}

@test "feedback-grade refuses what float() refuses: exit 1, file untouched" {
	"$API/feedback-grade" 50
	for arg in abc "" 0x10 5,5 1__0 _1; do
		run "$API/feedback-grade" -- "$arg"
		[ "$status" -eq 1 ]
		[[ "$output" == *"ValueError: could not convert string to float"* ]]
	done
	fb_is '{"grade": 50.0}'
}

@test "feedback-grade -1e3 is an argparse error (not a negative number to argparse)" {
	run "$API/feedback-grade" -1e3
	[ "$status" -eq 2 ]
	out_is $'usage: feedback-grade [-h] grade\nfeedback-grade: error: the following arguments are required: grade'
	run "$API/feedback-grade" -5
	[ "$status" -eq 0 ]
	fb_is '{"grade": -5.0}'
}

@test "feedback-msg sets, -a appends without separator, newlines kept" {
	"$API/feedback-msg" -m $'first\n'
	"$API/feedback-msg" -a -m $'second\n\n'
	fb_is '{"text": "first\nsecond\n\n"}'
	"$API/feedback-msg" -m new
	fb_is '{"text": "new"}'
}

@test "feedback-msg reads stdin when -m is absent or empty; empty stdin sets \"\"" {
	printf 'from\nstdin\n' | "$API/feedback-msg"
	fb_is '{"text": "from\nstdin\n"}'
	printf 'more' | "$API/feedback-msg" -a -m ""
	fb_is '{"text": "from\nstdin\nmore"}'
	"$API/feedback-msg" </dev/null
	fb_is '{"text": ""}'
}

@test "feedback-msg: invalid UTF-8 on stdin exits 1, nothing written" {
	"$API/feedback-msg" -m keep
	run bash -c "printf 'a\xffb' | '$API/feedback-msg'"
	[ "$status" -eq 1 ]
	fb_is '{"text": "keep"}'
}

@test "feedback-msg -i: text-only problems stay bare strings; a result makes a pair" {
	"$API/feedback-msg" -i p -m one
	"$API/feedback-msg" -i p -a -m +two
	fb_is '{"problems": {"p": "one+two"}}'
	"$API/feedback-result" -i p success
	"$API/feedback-msg" -i p -a -m +three
	fb_is '{"problems": {"p": ["success", "one+two+three"]}}'
	"$API/feedback-msg" -i p -m reset
	fb_is '{"problems": {"p": ["success", "reset"]}}'
	"$API/feedback-msg" -i "" -m global
	fb_is '{"problems": {"p": ["success", "reset"]}, "text": "global"}'
}

@test "-e decodes Python's unicode-escape, then Latin-1 to UTF-8" {
	"$API/feedback-msg" -e -m 'a\nb\tc\\d\x41\101\x00|\xc3\xa9|\q|é|\N{LATIN SMALL LETTER A}'
	fb_is '{"text": "a\nb\tc\\dAA\u0000|\u00e9|\\q|\u00e9|a"}'
}

@test "-e: escapes above U+00FF, a lone Latin-1 byte and a trailing backslash exit 1, nothing written" {
	"$API/feedback-msg" -m keep
	for arg in '\u00e9' '\u20ac' '\N{BULLET}' 'end\' '\x4' '\777'; do
		run "$API/feedback-msg" -e -m "$arg"
		[ "$status" -eq 1 ]
	done
	fb_is '{"text": "keep"}'
}

@test "feedback-custom converts int, then float, else keeps the string" {
	local arg want
	while IFS='|' read -r arg want; do
		rm -f "$FB"
		"$API/feedback-custom" -- k "$arg"
		fb_is "{\"custom\": {\"k\": $want}}"
	done <<-'EOF_'
	12|12
	 0012 |12
	-0|0
	1_000|1000
	١٢|12
	123456789012345678901234567890|123456789012345678901234567890
	1e3|1000.0
	1.5|1.5
	nan|NaN
	1e999|Infinity
	infinity|Infinity
	0x10|"0x10"
	True|"True"
	|""
	EOF_
}

@test "feedback-custom: more than 4300 digits is not an int but a float" {
	"$API/feedback-custom" a "$(printf '0%.0s' $(seq 4999))9"
	"$API/feedback-custom" b "$(printf '9%.0s' $(seq 5000))"
	"$API/feedback-custom" c "$(printf '1%.0s' $(seq 4300))"
	fb_is "{\"custom\": {\"a\": 9.0, \"b\": Infinity, \"c\": $(printf '1%.0s' $(seq 4300))}}"
}

@test "feedback-custom -j stores JSON (NaN accepted); bad JSON: message on stdout, exit 1" {
	"$API/feedback-custom" -j k '{"b": [1, 2.50, null, NaN], "a": "\u00e9"}'
	fb_is '{"custom": {"k": {"b": [1, 2.5, null, NaN], "a": "\u00e9"}}}'
	run "$API/feedback-custom" --json k '{bad'
	[ "$status" -eq 1 ]
	out_is "Cannot decode json. Invalid value for --json"
	fb_is '{"custom": {"k": {"b": [1, 2.5, null, NaN], "a": "\u00e9"}}}'
}

@test "feedback-state stores a string, empty allowed" {
	"$API/feedback-state" 'level 2'
	"$API/feedback-state" ''
	fb_is '{"state": ""}'
}

@test "feedback: result, grade, text and custom, each saved in that order" {
	"$API/feedback" -f 'txt' -c 'n:1:2' -g 0 -r success
	fb_is '{"result": "success", "grade": 0.0, "text": "txt", "custom": {"n": "1:2"}}'
	"$API/feedback" -i q -r failed -f 'pt'
	fb_is '{"result": "success", "grade": 0.0, "text": "txt", "custom": {"n": "1:2"}, "problems": {"q": ["failed", "pt"]}}'
}

@test "feedback -c without a colon stores \"\"; -j wins over -c; empty values are skipped" {
	"$API/feedback" -c lonely
	"$API/feedback" -c 'x:1' -j 'y:[1, "a"]'
	"$API/feedback" -r "" -g "" -f "" -c ""
	fb_is '{"custom": {"lonely": "", "y": [1, "a"]}}'
}

@test "feedback: a failing later step keeps the earlier ones" {
	run "$API/feedback" -r success -g abc -f never
	[ "$status" -eq 1 ]
	fb_is '{"result": "success"}'
	run "$API/feedback" -r failed -j 'k:{bad'
	[ "$status" -eq 1 ]
	out_is "Cannot decode json. Invalid value for --custom-json"
	fb_is '{"result": "failed"}'
}

@test "feedback -p prints the feedback as one JSON line; {} when empty" {
	run "$API/feedback" -p
	out_is '{}'
	"$API/feedback" -r success -p >"$BATS_TEST_TMPDIR/out"
	file_is "$BATS_TEST_TMPDIR/out" $'{"result": "success"}\n'
}

@test "feedback has no -a: feedback -ae exits 2" {
	run "$API/feedback" -ae
	[ "$status" -eq 2 ]
	out_is $'usage: feedback [-h] [-r RESULT] [-g GRADE] [-f FEEDBACK] [-i ID] [-e] [-p]\n                [-c CUSTOM] [-j CUSTOM_JSON]\nfeedback: error: unrecognized arguments: -ae'
	[ ! -e "$FB" ]
}

@test "tag-set: true iff exactly true or True; *auto-tag- ids ignored, file not rewritten" {
	"$API/tag-set" a true
	"$API/tag-set" b True
	"$API/tag-set" c TRUE
	"$API/tag-set" d 1
	fb_is '{"tests": {"a": true, "b": true, "c": false, "d": false}}'
	rm "$FB"
	"$API/tag-set" '*auto-tag-5' true
	[ ! -e "$FB" ]
}

@test "tag: a new *auto-tag-<hash> key per call; hash(\"\") is 0" {
	"$API/tag" same
	"$API/tag" same
	"$API/tag" ""
	run grep -oE '"\*auto-tag--?[0-9]+": "same"' "$FB"
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" != "${lines[1]}" ]
	grep -qF '"*auto-tag-0": ""' "$FB"
}

@test "the file is json.dumps: key order kept on overwrite, ASCII escapes, surrogate pairs" {
	"$API/feedback-result" failed
	"$API/feedback-grade" 10
	"$API/feedback-result" success
	"$API/feedback-msg" -m $'\x01"\\/\b\f\r\x7f é😀'
	fb_is '{"result": "success", "grade": 10.0, "text": "\u0001\"\\/\b\f\r\u007f \u00e9\ud83d\ude00"}'
}

@test "a non-UTF-8 argument is kept as lone surrogates: \\udcXX in the file" {
	"$API/feedback-state" "$(printf 'a\xffb\xc3')"
	fb_is '{"state": "a\udcffb\udcc3"}'
}

@test "an unparsable feedback file becomes the crash dict plus the change" {
	fb_set $'\n'
	"$API/feedback-grade" 5
	fb_is '{"result": "crash", "text": "Feedback file has been modified by user !", "grade": 5.0}'
	fb_set '{"result": "succ'
	"$API/feedback-result" success
	fb_is '{"result": "success", "text": "Feedback file has been modified by user !"}'
}

@test "a feedback file that is not UTF-8: the writer exits 1, file unchanged" {
	printf '{"text": "\xff"}' >"$BATS_TEST_TMPDIR/bad"
	fb_set ''
	cp "$BATS_TEST_TMPDIR/bad" "$FB"
	run "$API/feedback-result" success
	[ "$status" -eq 1 ]
	[[ "$output" == *UnicodeDecodeError* ]]
	cmp "$FB" "$BATS_TEST_TMPDIR/bad"
}

@test "an empty feedback file is {}; NaN/Infinity in it are read back" {
	fb_set ''
	"$API/feedback-result" success
	fb_is '{"result": "success"}'
	fb_set '{"grade": NaN, "custom": {"x": -Infinity}}'
	"$API/feedback-state" s
	fb_is '{"grade": NaN, "custom": {"x": -Infinity}, "state": "s"}'
}

@test "a feedback file that is JSON but not an object: every writer exits 1, file unchanged" {
	for doc in '[]' 'null' '3'; do
		fb_set "$doc"
		run "$API/feedback-result" success
		[ "$status" -eq 1 ]
		[[ "$output" == *TypeError* ]]
		fb_is "$doc"
	done
}

@test "the feedback directory is made when missing" {
	"$API/feedback-result" success
	[ -d "$ROOT/.__output" ]
	fb_is '{"result": "success"}'
	# no temp file left next to it
	[ "$(ls -A "$ROOT/.__output")" = __feedback.json ]
}

@test "50 concurrent feedback-msg -a: no update lost" {
	local i
	for i in $(seq 50); do
		"$API/feedback-msg" -a -m "<$i>" &
	done
	wait
	for i in $(seq 50); do
		grep -qF "<$i>" "$FB" || { echo "lost <$i>: $(cat "$FB")"; return 1; }
	done
	[ "$(ls -A "$ROOT/.__output")" = __feedback.json ]
}

@test "argparse: required arguments, then unrecognized ones; exit 2, file untouched" {
	run "$API/tag-set"
	[ "$status" -eq 2 ]
	out_is $'usage: tag-set [-h] tag value\ntag-set: error: the following arguments are required: tag, value'
	run "$API/feedback-result" --bogus
	out_is $'usage: feedback-result [-h] [-i ID] result\nfeedback-result: error: the following arguments are required: result'
	run "$API/feedback-result" a b c
	out_is $'usage: feedback-result [-h] [-i ID] result\nfeedback-result: error: unrecognized arguments: b c'
	[ ! -e "$FB" ]
}

@test "argparse: missing option value, -opt=VALUE, values that look like negative numbers" {
	run "$API/feedback-msg" -m
	[ "$status" -eq 2 ]
	out_is $'usage: feedback-msg [-h] [-a] [-i ID] [-e] [-m MESSAGE]\nfeedback-msg: error: argument -m/--message: expected one argument'
	run "$API/feedback-msg" -m -dash
	[ "$status" -eq 2 ]
	"$API/feedback-msg" --message=-dash
	fb_is '{"text": "-dash"}'
	"$API/feedback-msg" -m -0.5
	fb_is '{"text": "-0.5"}'
}

@test "argparse: long-option prefixes, clusters, repeated options" {
	"$API/feedback-msg" --mess one
	"$API/feedback-msg" --app --mess=+two
	"$API/feedback-msg" -am +three
	"$API/feedback-msg" -am+four
	"$API/feedback-msg" -a -m x -m +five
	fb_is '{"text": "one+two+three+four+five"}'
}

@test "argparse: ignored explicit argument, ambiguous prefix, -h on stdout" {
	run "$API/feedback-msg" --help=x
	[ "$status" -eq 2 ]
	out_is $'usage: feedback-msg [-h] [-a] [-i ID] [-e] [-m MESSAGE]\nfeedback-msg: error: argument -h/--help: ignored explicit argument \'x\''
	run "$API/feedback" --cu x
	[ "$status" -eq 2 ]
	[[ "$output" == *"error: ambiguous option: --cu could match --custom, --custom-json" ]]
	"$API/feedback-grade" -h >"$BATS_TEST_TMPDIR/help"
	head -1 "$BATS_TEST_TMPDIR/help" | grep -qx 'usage: feedback-grade \[-h\] grade'
	[ ! -e "$FB" ]
}

@test "gradebox-api CMD works like the symlink; an unknown command exits 2" {
	"$API/gradebox-api" feedback-result success
	fb_is '{"result": "success"}'
	run "$API/gradebox-api" nonesuch
	[ "$status" -eq 2 ]
	for c in feedback-result feedback-grade feedback-msg feedback-msg-tpl feedback-custom \
		feedback-state feedback tag-set tag getinput parsetemplate rst-code rst-image \
		rst-msgblock rst-indent archive run_student ssh_student; do
		[ "$(readlink "$API/$c")" = gradebox-api ]
	done
}

@test "run_student and ssh_student outside a grading sandbox: exit 251 with a message" {
	run "$API/run_student" ls
	[ "$status" -eq 251 ]
	[[ "$output" == *"run_student: not available"* ]]
	run "$API/ssh_student"
	[ "$status" -eq 251 ]
}

@test "the bytes match Python's json.dumps for tricky floats, ints and strings" {
	command -v python3 >/dev/null || skip "python3 is not on this host"
	python3 - "$API" <<'PY'
import json, os, random, struct, subprocess, sys
api = sys.argv[1]
fb = os.path.join(os.environ["GRADEBOX_API_ROOT"], ".__output", "__feedback.json")
def conv(v):
    try:
        return int(v)
    except ValueError:
        try:
            return float(v)
        except ValueError:
            return v
random.seed(10)
vals = ["0.1", "1e16", "1e15", "123456789012345678", "9007199254740993", "5e-324",
        "1.7976931348623157e308", "0.30000000000000004", "1e-5", "-0.0", "2.5", "1_0.5_5"]
for _ in range(200):
    vals.append(repr(struct.unpack("d", struct.pack("Q", random.getrandbits(64)))[0]))
    vals.append("%.*g" % (random.randint(1, 17), random.random() * 10 ** random.randint(-30, 30)))
bad = []
for v in vals:
    subprocess.run([api + "/feedback-custom", "--", "k", v], check=True)
    want = json.dumps({"custom": {"k": conv(v)}})
    got = open(fb).read()
    if got != want:
        bad.append((v, got, want))
    os.remove(fb)
for s in ["\x01\x1f\x7f\x80\xff", "\u2028\ufeff", "\U0001f600\U0010ffff", "q\"\\/\b\f\n\r\t"]:
    subprocess.run([api + "/feedback-msg", "-m", s], check=True)
    if open(fb).read() != json.dumps({"text": s}):
        bad.append((s, open(fb).read(), json.dumps({"text": s})))
    os.remove(fb)
for j in ['"\\ud83d\\ude00 \\ud800 x\\udc00"', '[1E2, 1e400, -0.0, 12345678901234567890123]',
          '{"a": 1, "b": 2, "a": 3}']:
    subprocess.run([api + "/feedback-custom", "-j", "k", j], check=True)
    if open(fb).read() != json.dumps({"custom": {"k": json.loads(j)}}):
        bad.append((j, open(fb).read(), json.dumps({"custom": {"k": json.loads(j)}})))
    os.remove(fb)
for b in bad:
    print("mismatch:", b)
sys.exit(1 if bad else 0)
PY
}

@test "usage errors match Python's argparse on 600 random command lines" {
	command -v python3 >/dev/null || skip "python3 is not on this host"
	python3 - "$API" <<'PY'
import argparse, contextlib, io, random, subprocess, sys
api = sys.argv[1]
random.seed(3)
def msg(p):
    p.add_argument("-a", "--append", action="store_true")
    p.add_argument("-i", "--id")
    p.add_argument("-e", "--escape", action="store_true")
    p.add_argument("-m", "--message")
def fb(p):
    for s, l in (("-r", "--result"), ("-g", "--grade"), ("-f", "--feedback"), ("-i", "--id")):
        p.add_argument(s, l)
    p.add_argument("-e", "--escape", action="store_true")
    p.add_argument("-p", "--print", action="store_true")
    p.add_argument("-c", "--custom")
    p.add_argument("-j", "--custom-json")
def indent(p):
    p.add_argument("-e", "--escape", action="store_true")
    p.add_argument("-c", "--indent-char")
    p.add_argument("-a", "--amount", type=int)
    p.add_argument("-m", "--message")
def custom(p):
    p.add_argument("-j", "--json", action="store_true")
    p.add_argument("key")
    p.add_argument("value")
cases = {
    "feedback-msg": (msg, ["-a", "-e", "-i", "-m", "--app", "--mess", "--id=x", "-am", "-ae", "-mX",
                           "--", "x", "-5", "-1e3", "--m", "-q", "--message=-z", "-ax"]),
    "feedback": (fb, ["-r", "-g", "-f", "-i", "-e", "-p", "-c", "-j", "--cu", "--custom",
                      "--custom-json=a:1", "--res", "-pe", "-rX", "--", "k:v", "-5", "--g=1"]),
    "rst-indent": (indent, ["-a", "-c", "-m", "-e", "--am", "--amount=2", "-a3", "-2", "x", "--",
                            "-ea", "--in", "--indent-char=>", "-ec", "--amount=x"]),
    "feedback-custom": (custom, ["-j", "k", "v", "--", "-5", "--json", "-jk", "--js", "-x"]),
}
bad = 0
for prog, (spec, toks) in cases.items():
    for _ in range(150):
        argv = [random.choice(toks) for _ in range(random.randint(0, 5))]
        p = argparse.ArgumentParser(prog=prog)
        spec(p)
        err, code = io.StringIO(), 0
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                p.parse_args(argv)
            except SystemExit as e:
                code = e.code
        r = subprocess.run([api + "/" + prog] + argv, capture_output=True, stdin=subprocess.DEVNULL)
        want = err.getvalue().strip().split("\n")[-1] if code == 2 else ""
        got = r.stderr.decode().strip().split("\n")[-1] if r.returncode == 2 else ""
        if (code == 2) != (r.returncode == 2) or want != got:
            bad += 1
            print(prog, argv, "python:", code, want, "| gradebox-api:", r.returncode, got)
sys.exit(1 if bad else 0)
PY
}

@test "a feedback command waits for the lock on .__output another writer holds" {
	mkdir -p "$ROOT/.__output"
	echo -n '{"result": "failed"}' >"$FB"
	# hold the writers' lock (flock on the directory) as another helper would
	exec 9<"$ROOT/.__output"
	flock 9
	"$API/feedback-result" success 9<&- &
	local pid=$! i
	# it blocks on the lock: its wait shows in /proc/locks, and the file is unchanged
	for i in $(seq 400); do
		grep -q -- "-> FLOCK.*:$(stat -c %i "$ROOT/.__output") " /proc/locks && break
		sleep 0.05
	done
	grep -q -- "-> FLOCK.*:$(stat -c %i "$ROOT/.__output") " /proc/locks
	[ "$(cat "$FB")" = '{"result": "failed"}' ]
	exec 9<&-
	wait $pid
	[ "$(cat "$FB")" = '{"result": "success"}' ]
}
