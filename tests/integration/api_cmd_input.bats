#!/usr/bin/env bats
# getinput and parsetemplate (inginious-api.md §3), on the host.
load api_cmd_helpers

setup() {
	api_setup
	printf 'int x;\r\n\x00\xff' >"$ROOT/.__input/__inputfile_0"
	input_is '{"q1": "line1\nline2", "n": 42, "f": 1e20, "fl": 1.5, "b": true, "l": [1, "\u00e9"], "o": {"k": null}, "z": null, "up": {"filename": "a.c", "value": "/.__input/__inputfile_0"}, "@username": "bob", "@lang": "en"}'
}

@test "getinput prints a string's UTF-8, no trailing newline" {
	"$API/getinput" q1 >out
	file_is out $'line1\nline2'
}

@test "getinput prints Python's str() of numbers and booleans" {
	run "$API/getinput" n
	out_is 42
	run "$API/getinput" f
	out_is 1e+20
	run "$API/getinput" fl
	out_is 1.5
	run "$API/getinput" b
	out_is True
}

@test "getinput prints lists and objects as json.dumps" {
	run "$API/getinput" l
	out_is '[1, "\u00e9"]'
	run "$API/getinput" o
	out_is '{"k": null}'
}

@test "getinput ignores a suffix on a non-upload; @-fields work" {
	run "$API/getinput" n:filename
	out_is 42
	run "$API/getinput" @username
	out_is bob
}

@test "getinput of an upload: :filename prints the name, anything else the bytes" {
	run "$API/getinput" up:filename
	out_is a.c
	for id in up up:value up:xyz; do
		"$API/getinput" "$id" >out
		cmp out "$ROOT/.__input/__inputfile_0"
	done
}

@test "getinput: a missing key is a KeyError, exit 1" {
	run "$API/getinput" nope:x
	[ "$status" -eq 1 ]
	[[ "$output" == *"KeyError: 'nope'"* ]]
}

@test "getinput of null: the message on stderr, exit 2" {
	run "$API/getinput" z
	[ "$status" -eq 2 ]
	out_is "Invalid/unknown input format. Please access it from Python using input.get_input."
}

@test "getinput: input file missing or not JSON, upload missing: exit 2 with INGInious's messages" {
	rm "$ROOT/.__input/__inputfile_0"
	run "$API/getinput" up
	[ "$status" -eq 2 ]
	out_is "Input file not found"
	rm "$ROOT/.__input/__inputdata.json"
	run "$API/getinput" q1
	[ "$status" -eq 2 ]
	out_is "Input file not found"
	printf '{"input": ' >"$ROOT/.__input/__inputdata.json"
	run "$API/getinput" q1
	[ "$status" -eq 2 ]
	out_is "Input is not compatible"
}

@test "getinput: NULs and white space around the input file are ignored" {
	printf '\n\x00 {"input": {"a": "x"}} \x00\n' >"$ROOT/.__input/__inputdata.json"
	run "$API/getinput" a
	out_is x
}

@test "parsetemplate fills @PREFIX@ID@SUFFIX@ once per line of the answer" {
	input_is '{"code": "a();\nb();", "empty": "", "name": "bob"}'
	printf 'int main() {\r\n    @    @code@;@\r\n}\n@@empty@@|@<@name@>@\n' >tpl.c
	"$API/parsetemplate" tpl.c
	file_is tpl.c $'int main() {\r\n        a();;\n    b();;\r\n}\n|<bob>\n'
}

@test "parsetemplate splits answers on every Python line boundary" {
	input_is '{"a": "1\r2\r\n3\u000b4\u000c5\u001c6\u00857\u20288\u20299\n"}'
	printf '@[@a@]@' >t
	"$API/parsetemplate" t
	file_is t $'[1]\n[2]\n[3]\n[4]\n[5]\n[6]\n[7]\n[8]\n[9]'
}

@test "parsetemplate: an upload's :filename and :value; a bare @@KEY@@ of an upload stays" {
	printf 'file\ncontent' >"$ROOT/.__input/__inputfile_0"
	input_is '{"up": {"filename": "f.txt", "value": "/.__input/__inputfile_0"}}'
	printf '@@up:filename@@ @> @up:value@@ @@up@@' >t
	"$API/parsetemplate" t
	file_is t $'f.txt > file\n> content @@up@@'
}

@test "parsetemplate: @-fields as @@@username@@, unknown markers stay, later keys rescan" {
	input_is '{"a": "@@b@@", "b": "B", "@username": "bob"}'
	printf '@@a@@ @@@username@@ @@nope@@' >t
	"$API/parsetemplate" t
	file_is t 'B bob @@nope@@'
	input_is '{"b": "B", "a": "@@b@@"}'
	printf '@@a@@' >t
	"$API/parsetemplate" t
	file_is t '@@b@@'
}

@test "parsetemplate: the id is a regular expression, replacement literal" {
	input_is '{"q.1": "x"}'
	printf '@@q.1@@ @@q11@@' >t
	"$API/parsetemplate" t
	file_is t 'x @@q11@@'
}

@test "parsetemplate -o writes elsewhere, creating its directories" {
	input_is '{"a": "A"}'
	printf '@@a@@' >t
	"$API/parsetemplate" -o deep/er/out t
	file_is deep/er/out A
	file_is t '@@a@@'
}

@test "parsetemplate: a marker for a number is an AttributeError, exit 1, nothing written" {
	input_is '{"n": 3, "a": "A"}'
	printf '@@a@@ @@n@@' >t
	run "$API/parsetemplate" t
	[ "$status" -eq 1 ]
	[[ "$output" == *AttributeError* ]]
	file_is t '@@a@@ @@n@@'
}

@test "parsetemplate: template missing or not UTF-8: exit 2" {
	run "$API/parsetemplate" nope
	[ "$status" -eq 2 ]
	out_is "Input file not found"
	printf '\xff @@a@@' >t
	run "$API/parsetemplate" t
	[ "$status" -eq 2 ]
	out_is "Input is not compatible"
}
