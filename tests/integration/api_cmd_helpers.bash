# Shared setup for the container API command tests (api_cmd*.bats): the
# commands of helpers/bin run on the host, their fixed paths under
# GRADEBOX_API_ROOT=$BATS_TEST_TMPDIR/root, so nothing needs a sandbox.
load helpers

# GB_TEST_API: another build of helpers/bin (a sanitizer build, an install)
API=${GB_TEST_API:-$TOP/helpers/bin}
ROOT=$BATS_TEST_TMPDIR/root
FB=$ROOT/.__output/__feedback.json

api_setup() {
	[ -x "$API/gradebox-api" ] || skip "helpers/bin/gradebox-api is not built (run make)"
	export GRADEBOX_API_ROOT=$ROOT
	mkdir -p "$ROOT/.__input" "$ROOT/task"
	cd "$BATS_TEST_TMPDIR"
}

# fb_is JSON: the feedback file holds exactly these bytes (no newline).
fb_is() {
	local got
	got=$(cat "$FB" 2>/dev/null; printf x)
	got=${got%x}
	if [ "$got" != "$1" ]; then
		printf 'feedback: %s\nexpected: %s\n' "$got" "$1" >&2
		return 1
	fi
}

# fb_set BYTES: the feedback file as a run file could have left it.
fb_set() {
	mkdir -p "$ROOT/.__output"
	printf '%s' "$1" >"$FB"
}

# input_is JSON: the "input" object of the job's input file.
input_is() {
	printf '{"type": "start", "input": %s, "debug": false}' "$1" >"$ROOT/.__input/__inputdata.json"
}

# out_is EXPECTED: bats' $output, byte for byte (use $'...').
out_is() {
	if [ "$output" != "$1" ]; then
		printf 'output:   %q\nexpected: %q\n' "$output" "$1" >&2
		return 1
	fi
}

# has_python3_jinja2: python3 with jinja2 on this host.
has_python3_jinja2() {
	command -v python3 >/dev/null && python3 -c 'import jinja2' 2>/dev/null
}

# file_is FILE EXPECTED: FILE holds exactly EXPECTED (trailing newlines
# included, which bats' $output drops).
file_is() {
	local got
	got=$(cat "$1" 2>/dev/null; printf x)
	got=${got%x}
	if [ "$got" != "$2" ]; then
		printf 'got:      %q\nexpected: %q\n' "$got" "$2" >&2
		return 1
	fi
}
