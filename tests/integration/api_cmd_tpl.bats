#!/usr/bin/env bats
# feedback-msg-tpl (inginious-api.md §3): template lookup, the rendering
# rules, translations and the error texts. The C subset runs with
# GRADEBOX_API_NO_PYTHON=1; where the host has python3 + jinja2, the same
# templates also go through the real Jinja2 and must give the same bytes.
load api_cmd_helpers

setup() {
	api_setup
	input_is '{"q": "x", "@lang": "fr_FR"}'
	export GRADEBOX_API_NO_PYTHON=1
}

@test "feedback-msg-tpl: variables and the filters e, upper, lower, default, length" {
	printf '{{ n|upper }}/{{ n|lower }}/{{ h|e }}/[{{ missing }}]/{{ missing|default("dflt") }}/{{ n|length }}' >t.tpl
	"$API/feedback-msg-tpl" t n=MiXé h="<a \"x\">&'"
	fb_is '{"text": "MIX\u00c9/mix\u00e9/&lt;a &#34;x&#34;&gt;&amp;&#39;/[]/dflt/4"}'
}

@test "feedback-msg-tpl: if/elif/else and for with loop variables" {
	printf '{%% if n == "1" %%}one{%% elif n %%}other{%% else %%}none{%% endif %%}|{%% for c in w %%}{{ loop.index }}{{ c }}{%% if not loop.last %%},{%% endif %%}{%% else %%}empty{%% endfor %%}' >t.tpl
	"$API/feedback-msg-tpl" t n=1 w=ab
	fb_is '{"text": "one|1a,2b"}'
	"$API/feedback-msg-tpl" t n=2 w=
	fb_is '{"text": "other|empty"}'
	"$API/feedback-msg-tpl" t
	fb_is '{"text": "none|empty"}'
}

@test "feedback-msg-tpl: CRLF becomes LF, the final newline goes, block tags keep theirs, - trims" {
	printf 'a\r\n{%% if 1 %%}\r\nb\r\n{%% endif %%}\r\n{%%- if 1 -%%}\n  c\n{%%- endif %%}\n\n' >t.tpl
	"$API/feedback-msg-tpl" t
	fb_is '{"text": "a\n\nb\nc\n"}'
}

@test "feedback-msg-tpl: later duplicate options win; values are strings" {
	printf '{{ a }}{{ a ~ b }}' >t.tpl
	"$API/feedback-msg-tpl" t a=1 b=2 a=3
	fb_is '{"text": "332"}'
}

@test "feedback-msg-tpl: an undefined name used in a computation gives INGInious's error text, exit 0" {
	printf '{{ missing + 1 }}' >t.tpl
	run "$API/feedback-msg-tpl" t
	[ "$status" -eq 0 ]
	# the text as json.dumps writes it
	grep -qF '{"text": "\n.. error::\n   \n   An error occured while parsing the feedback template. Here is the full error:\n   \n   ::\n   \n\t\tTraceback (most recent call last):\n' "$FB"
	grep -qF "UndefinedError: 'missing' is undefined" "$FB"
	grep -qF '\n\t\t\n\tPlease contact your administrator.\n"}' "$FB"
}

@test "feedback-msg-tpl: a syntax error gives the error text" {
	printf '{%% if %%}x' >t.tpl
	"$API/feedback-msg-tpl" t
	grep -qF 'TemplateSyntaxError' "$FB"
	grep -qF 'Please contact your administrator.\n"}' "$FB"
}

@test "feedback-msg-tpl looks for T.<lang>.tpl, then /task/lang/<lang>/T.tpl, then T.tpl" {
	mkdir -p "$ROOT/task/lang/fr_FR"
	printf 'plain' >t.tpl
	"$API/feedback-msg-tpl" t
	fb_is '{"text": "plain"}'
	printf 'langdir' >"$ROOT/task/lang/fr_FR/t.tpl"
	"$API/feedback-msg-tpl" t
	fb_is '{"text": "langdir"}'
	printf 'dotted' >t.fr_FR.tpl
	"$API/feedback-msg-tpl" t
	fb_is '{"text": "dotted"}'
	mkdir sub
	printf 'sub' >sub/u.tpl
	"$API/feedback-msg-tpl" sub/u
	fb_is '{"text": "sub"}'
}

@test "feedback-msg-tpl: a missing template gives INGInious's text, exit 0" {
	run "$API/feedback-msg-tpl" nope
	[ "$status" -eq 0 ]
	fb_is '{"text": "\n.. error::\n\n    Unable to find template named nope. Please contact your administrator.\n    \n\n    "}'
}

@test "feedback-msg-tpl -i \"\" is a problem named \"\"; -a appends" {
	printf 'T' >t.tpl
	"$API/feedback-msg-tpl" -i "" t
	"$API/feedback-msg-tpl" -a -i "" t
	"$API/feedback-msg-tpl" -a t
	"$API/feedback-msg-tpl" -a t
	fb_is '{"problems": {"": "TT"}, "text": "TT"}'
}

@test "feedback-msg-tpl needs @lang (KeyError) and the input file (FileNotFoundError): exit 1" {
	input_is '{"q": "x"}'
	printf 'T' >t.tpl
	run "$API/feedback-msg-tpl" t
	[ "$status" -eq 1 ]
	[[ "$output" == *"KeyError: '@lang'"* ]]
	[ ! -e "$FB" ]
	rm "$ROOT/.__input/__inputdata.json"
	run "$API/feedback-msg-tpl" t
	[ "$status" -eq 1 ]
	[[ "$output" == *FileNotFoundError* ]]
	[ ! -e "$FB" ]
}

@test "feedback-msg-tpl: an option without exactly one = is a usage error" {
	for o in novalue a=b=c; do
		run "$API/feedback-msg-tpl" t "$o"
		[ "$status" -eq 2 ]
		out_is "usage: feedback-msg-tpl [-h] [-a] [-i ID] template [options ...]
feedback-msg-tpl: error: argument options: Invalid entry $o"
	done
}

@test "feedback-msg-tpl: _() translates with /task/lang/<lang>/LC_MESSAGES/messages.mo, fr_FR finding fr" {
	printf '{{ _("Yes") }} {{ _("Unknown") }}' >t.tpl
	"$API/feedback-msg-tpl" t
	fb_is '{"text": "Yes Unknown"}'
	mkdir -p "$ROOT/task/lang/fr/LC_MESSAGES"
	cp "$TOP/tests/integration/fixtures/api_cmd/fr.mo" "$ROOT/task/lang/fr/LC_MESSAGES/messages.mo"
	"$API/feedback-msg-tpl" t
	fb_is '{"text": "Oui Unknown"}'
}

@test "the C subset and the real Jinja2 give the same bytes" {
	has_python3_jinja2 || skip "no python3 with jinja2 on this host"
	mkdir -p "$ROOT/task/lang/fr/LC_MESSAGES"
	cp "$TOP/tests/integration/fixtures/api_cmd/fr.mo" "$ROOT/task/lang/fr/LC_MESSAGES/messages.mo"
	local i=0 tpl
	while IFS= read -r tpl; do
		i=$((i + 1))
		printf "$tpl" >t$i.tpl
		rm -f "$FB"
		GRADEBOX_API_NO_PYTHON=1 "$API/feedback-msg-tpl" t$i a=A b= n=3 h='<&>' a=Z
		mv "$FB" c.json
		GRADEBOX_API_NO_PYTHON=0 "$API/feedback-msg-tpl" t$i a=A b= n=3 h='<&>' a=Z
		cmp c.json "$FB" || { echo "template $i: $tpl"; cat c.json; echo; cat "$FB"; return 1; }
	done <<-'EOF_'
	{{ a }}{{ b }}{{ c }}|{{ h|e }}|{{ h|escape|upper }}|{{ a|lower }}|{{ c|default("d") }}|{{ b|default("d", true) }}
	{%% if a == "Z" and not b %%}yes{%% else %%}no{%% endif %%}{%% if c is defined %%}def{%% endif %%}
	{%% for x in a ~ n %%}{{ loop.index0 }}:{{ x }}{{ "," if not loop.last }}{%% endfor %%}
	{%% for x in ["p", "q"] %%}{{ x|upper }}{%% endfor %%}{{ [1, 2]|length }}{{ n|int + 1 }}
	{{ _("Yes") }} {{ _("Hello %%s") }} {{ _("nope") }}
	a\r\nb\r\n\r\n
	{%% set v = a ~ "!" %%}{{ v }} {{ "x" in h }} {{ "&" in h }} {{ n|trim|string }}
	{{ h|safe }} {{ a|first }}{{ [3, 4]|last }} {{ "hello wORLD x2y"|title }} {{ "ab"|capitalize }}
	EOF_
}

@test "feedback-msg-tpl through Python: a task's own jinja2.py in the cwd is not imported" {
	has_python3_jinja2 || skip "no python3 with jinja2 on this host"
	printf 'class Template:\n    def __init__(self, s): pass\n    def render(self, p): return "FAKE"\n' >jinja2.py
	printf '{{ a }}{%% if 1 %%}!{%% endif %%}' >t.tpl
	GRADEBOX_API_NO_PYTHON=0 "$API/feedback-msg-tpl" t a=real
	fb_is '{"text": "real!"}'
}

@test "the C subset and the real Jinja2 agree on 60 random templates of the subset" {
	has_python3_jinja2 || skip "no python3 with jinja2 on this host"
	python3 - "$API" <<'PY'
import json, os, random, subprocess, sys
api = sys.argv[1]
random.seed(5)
names = ["a", "b", "n", "h", "zz"]
filters = ["upper", "lower", "e", "length", "trim", "default('D')", "string", "first", "last",
           "title", "capitalize"]

def expr(d=0):
    r = random.random()
    if d > 2 or r < 0.3:
        return random.choice(names + ['"s"', "'q'", "1", "2", "[1, 2]"])
    if r < 0.45:
        return expr(d + 1) + "|" + random.choice(filters)
    if r < 0.55:
        return expr(d + 1) + " ~ " + expr(d + 1)
    if r < 0.65:
        return "(" + expr(d + 1) + " == " + expr(d + 1) + ")"
    if r < 0.7:
        return "not " + expr(d + 1)
    if r < 0.75:
        return expr(d + 1) + " and " + expr(d + 1)
    if r < 0.8:
        return expr(d + 1) + " or " + expr(d + 1)
    if r < 0.85:
        return expr(d + 1) + " in " + expr(d + 1)
    if r < 0.9:
        return expr(d + 1) + " if " + expr(d + 1) + " else " + expr(d + 1)
    return "(" + expr(d + 1) + " is defined)"

def ws():
    return random.choice(["", "-", ""])

def body(d=0):
    out = ""
    for _ in range(random.randint(0, 4)):
        r = random.random()
        if r < 0.3:
            out += random.choice(["text", " ", "\n", "  x\n", "\r\n", "\t"])
        elif r < 0.6:
            out += "{{" + ws() + " " + expr() + " " + ws() + "}}"
        elif r < 0.7 and d < 2:
            out += "{%" + ws() + " if " + expr() + " " + ws() + "%}" + body(d + 1)
            if random.random() < 0.5:
                out += "{% else %}" + body(d + 1)
            out += "{%" + ws() + " endif " + ws() + "%}"
        elif r < 0.8 and d < 2:
            out += "{% for x in " + random.choice(["a", "b", "[1, 2, 3]", "n", "zz"]) + " %}"
            out += body(d + 1) + "{{ x }}{{ loop.index }}{% endfor %}"
        elif r < 0.85:
            out += "{# c #}"
        else:
            out += "\n"
    return out

bad = 0
for i in range(60):
    t = body() + ("\n" if random.random() < 0.5 else "")
    with open("t.tpl", "w", newline="") as f:
        f.write(t)
    res = []
    for mode in ("1", "0"):
        env = dict(os.environ, GRADEBOX_API_NO_PYTHON=mode)
        subprocess.run([api + "/feedback-msg-tpl", "t", "a=Ab c", "b=", "n=3", "h=<&>"], env=env, check=True)
        with open(os.environ["GRADEBOX_API_ROOT"] + "/.__output/__feedback.json") as f:
            text = json.load(f)["text"]
        # error texts carry each engine's own traceback: compare the fact
        res.append("ERROR" if text.startswith("\n.. error::") else text)
    if res[0] != res[1]:
        bad += 1
        print("template", repr(t), "C:", repr(res[0]), "Jinja2:", repr(res[1]))
sys.exit(1 if bad else 0)
PY
}
