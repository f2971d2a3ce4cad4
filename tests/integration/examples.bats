#!/usr/bin/env bats
# The bundled example course (docs/examples): every submission of the tasks
# whose environment is here grades as its name says. The busybox tasks run
# everywhere; python-sum needs the python3 environment (rootfs/debian-python,
# built once into tests/.work: gb_build_python_tarball).

bats_require_minimum_version 1.5.0
load helpers

EX=$TOP/docs/examples

setup() {
	gb_setup
	gb image import "$ROOTFS" --name default >/dev/null
}

# expect TASK SUBMISSION RESULT...: its result is one of RESULT...
expect() {
	local task=$1 sub=$2
	shift 2
	run --separate-stderr "$GRADEBOX" grade --task "$EX/course/$task" \
		--input "$EX/submissions/$task/$sub.json" --json
	local got
	got=$(jq -r .result <<<"$output")
	for want in "$@"; do
		[ "$got" = "$want" ] && return 0
	done
	echo "$task/$sub: got $got ($(jq -r .text <<<"$output")), want $*" >&2
	return 1
}

@test "example hello-sh: the student's script in a student sandbox (run_student); hostile ones end as timeout, overflow or failed" {
	expect hello-sh success success
	expect hello-sh failed failed
	expect hello-sh loop timeout
	expect hello-sh forkbomb overflow timeout failed
	expect hello-sh memory overflow
	expect hello-sh disk overflow
	expect hello-sh flood failed overflow
}

@test "example template-sh: parsetemplate fills the teacher's template" {
	expect template-sh success success
	expect template-sh failed failed
	expect template-sh memory overflow
}

@test "example upload-sh: the upload's name and bytes reach the run file" {
	expect upload-sh success success
	expect upload-sh failed failed
	expect upload-sh wrong-name failed
	expect upload-sh disk failed
}

@test "example python-sum: a run.py with 'from inginious import feedback, input' under IPython" {
	gb_build_python_tarball
	gb image import "$PYTHON_TARBALL" --name python3 >/dev/null
	expect python-sum success success
	[ "$(jq -r '.problems.code[0]' <<<"$output")" = success ]
	expect python-sum failed failed
	[[ "$(jq -r '.problems.code[1]' <<<"$output")" == *'got ``3 0 2``'* ]]
	expect python-sum memory overflow
	# and its recordings replay the same
	run gb test "$EX/course" python-sum
	echo "$output"
	[ "$status" -eq 0 ]
}
