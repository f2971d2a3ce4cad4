#!/usr/bin/env bats
# rst-code, rst-image, rst-msgblock, rst-indent and archive
# (inginious-api.md §3), on the host, output byte for byte.
load api_cmd_helpers

setup() { api_setup; }

@test "rst-code: a code-block, a tab per line, then two newlines" {
	"$API/rst-code" -l python -c $'a = 1\nprint(a)\n' >out
	file_is out $'\n\n.. code-block:: python\n\n\ta = 1\n\tprint(a)\n\n\n'
}

@test "rst-code: no language leaves a trailing space; code from stdin when -c is empty" {
	printf 'x\r\ny' | "$API/rst-code" -c "" >out
	file_is out $'\n\n.. code-block:: \n\n\tx\n\ty\n\n\n'
}

@test "rst-code -e decodes escapes" {
	"$API/rst-code" -e -l c -c 'a\nb' >out
	file_is out $'\n\n.. code-block:: c\n\n\ta\n\tb\n\n\n'
}

@test "rst-image: the file in base64, format from -f or the extension (case kept)" {
	printf 'PNGDATA' >pic.PNG
	"$API/rst-image" pic.PNG >out
	file_is out $'\n\n.. raw:: html\n\n\t<img src="data:image/PNG;base64,UE5HREFUQQ==">\n\n'
	"$API/rst-image" -f svg+xml pic.PNG >out
	file_is out $'\n\n.. raw:: html\n\n\t<img src="data:image/svg+xml;base64,UE5HREFUQQ==">\n\n'
	printf 'ab' >.hidden
	"$API/rst-image" .hidden >out
	file_is out $'\n\n.. raw:: html\n\n\t<img src="data:image/;base64,YWI=">\n\n'
}

@test "rst-image: a missing file exits 1" {
	run "$API/rst-image" nope.png
	[ "$status" -eq 1 ]
	[[ "$output" == *"FileNotFoundError"* ]]
}

@test "rst-msgblock: admonition with a title, its class kept when known" {
	"$API/rst-msgblock" -c danger -t 'Oops' -m $'line 1\nline 2' >out
	file_is out $'\n\n.. admonition:: Oops\n\t:class: alert alert-danger\n\n\tline 1\n\tline 2\n\n\n'
}

@test "rst-msgblock: note without a title; an unknown or empty class is info" {
	"$API/rst-msgblock" -c bogus -m hi >out
	file_is out $'\n\n.. note:: \n\t:class: alert alert-info\n\n\thi\n\n\n'
	echo hi | "$API/rst-msgblock" -c "" >out
	file_is out $'\n\n.. note:: \n\t:class: alert alert-info\n\n\thi\n\n\n'
}

@test "rst-indent: N > 0 prefixes every line with S repeated N times" {
	"$API/rst-indent" -m $'a\nb' >out
	file_is out $'\ta\n\tb\n\n'
	"$API/rst-indent" -c '> ' -a 2 -m $'a\nb' >out
	file_is out $'> > a\n> > b\n\n'
}

@test "rst-indent: N <= 0 deletes S among the first |N| characters of each line" {
	"$API/rst-indent" -a -2 -m $'a\tb\tc\n\t\tx' >out
	file_is out $'ab\tc\nx\n\n'
	"$API/rst-indent" -a -5 -c ab -m 'abab' >out
	file_is out $'abab\n\n'
}

@test "rst-indent: -a must be an int" {
	run "$API/rst-indent" -a x -m y
	[ "$status" -eq 2 ]
	out_is $'usage: rst-indent [-h] [-e] [-c INDENT_CHAR] [-a AMOUNT] [-m MESSAGE]\nrst-indent: error: argument -a/--amount: invalid int value: \'x\''
}

@test "rst-*: text that is not UTF-8 cannot be printed: exit 1, nothing printed" {
	run "$API/rst-indent" -m "$(printf 'a\xff')"
	[ "$status" -eq 1 ]
	[[ "$output" == *UnicodeEncodeError* ]]
	run bash -c "printf '\xff' | '$API/rst-code'"
	[ "$status" -eq 1 ]
}

@test "archive -a copies content and mode to /archive/SUB/NAME" {
	printf 'data' >f.txt
	chmod 0750 f.txt
	"$API/archive" -a f.txt
	file_is "$ROOT/archive/f.txt" data
	[ "$(stat -c %a "$ROOT/archive/f.txt")" = 750 ]
	"$API/archive" -a f.txt -s sub/dir
	file_is "$ROOT/archive/sub/dir/f.txt" data
}

@test "archive -r removes after -a; nothing to do exits 0" {
	printf 'data' >g.txt
	"$API/archive" -a g.txt -r g.txt
	[ ! -e "$ROOT/archive/g.txt" ]
	run "$API/archive"
	[ "$status" -eq 0 ]
	out_is ""
}

@test "archive: failures print Python's OSError on stdout, exit 2" {
	run "$API/archive" -r f.txt
	[ "$status" -eq 2 ]
	out_is "[Errno 2] No such file or directory: '/archive//f.txt'"
	run "$API/archive" -a nope
	[ "$status" -eq 2 ]
	out_is "[Errno 2] No such file or directory: 'nope'"
}
