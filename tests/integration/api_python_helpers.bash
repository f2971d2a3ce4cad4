# Shared by the api_python*.bats files: the Python container API runs on the
# host, against a fake sandbox root in the test's temp dir
# (GRADEBOX_API_ROOT). No sandbox is made, so the tests do not use
# gb_setup/gb_teardown (which need the test rootfs).

API_PY=$TOP/helpers/python
LAUNCHER_SRC=$TOP/helpers/inginious-ipython

# The Python to test with: the first that has IPython and Jinja2 (Debian's
# ipython3 and python3-jinja2 land in /usr/bin/python3, which a pyenv or venv
# python3 earlier on PATH does not see), else python3.
api_pick_python() {
	local p
	for p in "${GB_TEST_PYTHON:-}" /usr/bin/python3 "$(command -v python3)"; do
		[ -n "$p" ] && [ -x "$p" ] || continue
		if "$p" -c 'import IPython, jinja2' 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	command -v python3
}
PY=$(api_pick_python)

api_setup() {
	[ -n "$PY" ] || skip "no python3 on this host"
	ROOT=$BATS_TEST_TMPDIR/root
	mkdir -p "$ROOT/.__input" "$ROOT/task"
	export GRADEBOX_API_ROOT=$ROOT
	export PYTHONPATH=$API_PY
	export PYTHONDONTWRITEBYTECODE=1
	FB=$ROOT/.__output/__feedback.json
	api_input '{"q1": "x"}'
	cd "$ROOT/task"
}

# api_input JSON-MAP: the input file, as the job's start message
api_input() {
	printf '{"type": "start", "input": %s, "debug": false}' "$1" >"$ROOT/.__input/__inputdata.json"
}

# py CODE: run CODE with the API importable
py() { "$PY" -c "$1"; }

# need_module NAME: skip unless the test python imports NAME
need_module() {
	"$PY" -c "import $1" 2>/dev/null || skip "$PY cannot import $1 (setup.sh --deps-only installs ipython3, python3-jinja2)"
}

# A directory that hides module NAME from Python (its import raises
# ImportError), to test what happens in an image without it.
hide_module() {
	mkdir -p "$BATS_TEST_TMPDIR/hide/$1"
	echo "raise ImportError('$1 is hidden by the test')" >"$BATS_TEST_TMPDIR/hide/$1/__init__.py"
	echo "$BATS_TEST_TMPDIR/hide"
}

# assert_file FILE EXPECTED: FILE's bytes are EXPECTED (no newline added)
assert_file() {
	local got
	got=$(cat "$1"; echo x)
	got=${got%x}
	if [ "$got" != "$2" ]; then
		echo "$1:"
		echo "  got:      $got"
		echo "  expected: $2"
		return 1
	fi
}
