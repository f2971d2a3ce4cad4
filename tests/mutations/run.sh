#!/usr/bin/env bash
# Mutation check: every security-relevant test proves it can fail.
#
# Each tests/mutations/NAME.patch is a unified diff that breaks one feature,
# after header lines naming the test that must catch it:
#     Test: tests/security/output.bats: EXACT TEST NAME
#     Test: tests/unit/test_cgroup: EXACT TEST NAME
#     Why: what the patch breaks
# (git apply skips the header.) This script copies the tree once to
# tests/.work/mutants, configures it once, then for each patch: applies it,
# rebuilds (incrementally, every program: only what the patch touches), runs that one test,
# and reverts. A mutation is caught when the test fails; one that survives,
# does not apply or does not build is a failure.
#
# Prints TAP (plan first) and a "# mutations: ..." timing line.
# usage: tests/mutations/run.sh [PATCH...]
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$top/tests/.work
scratch=$work/mutants
patches=("$@")
if [ ${#patches[@]} -eq 0 ]; then
	for p in "$top"/tests/mutations/*.patch; do
		[ -f "$p" ] && patches+=("$p")
	done
fi
echo "1..${#patches[@]}"
[ ${#patches[@]} -gt 0 ] || exit 0
start=$SECONDS
export GB_TEST_ROOTFS=${GB_TEST_ROOTFS:-$work/rootfs}
export GB_TEST_PROBE=${GB_TEST_PROBE:-$work/probe}

# The scratch tree: the tracked and new files of the work tree. Only files
# whose content differs are copied (with a new mtime, so make rebuilds what
# they feed); a run killed half way leaves a mutant behind, and this undoes it.
mkdir -p "$scratch"
sync_tree() {
	local f
	(cd "$top" && git ls-files -co --exclude-standard | grep -v -e '^build/' -e '^tests/\.work') |
		while IFS= read -r f; do
			[ -f "$top/$f" ] || continue
			cmp -s "$top/$f" "$scratch/$f" && continue
			mkdir -p "$scratch/$(dirname "$f")" && cp "$top/$f" "$scratch/$f" || return 1
		done
}
if ! sync_tree >"$work/mutants-copy.log" 2>&1; then
	for ((i = 1; i <= ${#patches[@]}; i++)); do
		echo "not ok $i - mutations: cannot copy the tree (see $work/mutants-copy.log)"
	done
	exit 1
fi
build() {
	(cd "$scratch" && { [ -x configure ] || autoreconf -fi; } &&
		{ [ -f Makefile ] || ./configure -q; } &&
		make -s Makefile >/dev/null && # regenerated first: its output is no target name
		make -s -j"$(nproc)" all && # apart: `all` recurses, and two makes would race on the libraries
		make -s -j"$(nproc)" $(make -s print-check-programs)) >"$work/mutants-build.log" 2>&1
}
if ! build; then
	for ((i = 1; i <= ${#patches[@]}; i++)); do
		echo "not ok $i - mutations: the unmutated tree does not build (see $work/mutants-build.log)"
	done
	exit 1
fi

# git apply as a plain patch tool: the scratch tree lies inside this
# repository's work tree, where git would apply paths relative to its top.
git_apply() { GIT_CEILING_DIRECTORIES=$work git apply "$@"; }

# ERE-escape a test name for bats --filter.
ere_escape() { printf '%s' "$1" | sed 's/[][\.|$(){}?+*^]/\\&/g'; }

# run_test FILE NAME: 0 when the named test passes, 1 when it fails,
# 2 when it cannot be found.
run_test() {
	local file=$1 name=$2 out
	case $file in
	*.bats)
		out=$(cd "$scratch" && bats --tap -f "^$(ere_escape "$name")\$" "$file" 2>&1 </dev/null)
		printf '%s\n' "$out" >>"$work/mutants-tests.log"
		printf '%s\n' "$out" | grep -q '^1\.\.0' && return 2
		printf '%s\n' "$out" | grep -q '^not ok' && return 1
		printf '%s\n' "$out" | grep -q '^ok ' && return 0
		return 1
		;;
	*)
		out=$(cd "$scratch" && "./$file" 2>&1 </dev/null)
		local status=$? re
		printf '%s\n' "$out" >>"$work/mutants-tests.log"
		re=$(ere_escape "$name")
		printf '%s\n' "$out" | grep -qE "^not ok [0-9]+ - $re\$" && return 1
		printf '%s\n' "$out" | grep -qE "^ok [0-9]+ - $re( # .*)?\$" && return 0
		# Never reported: the binary died before it, or no such test.
		[ $status -ne 0 ] && return 1
		return 2
		;;
	esac
}

: >"$work/mutants-tests.log"
n=0 failed=0
for p in "${patches[@]}"; do
	n=$((n + 1))
	m=$(basename "$p" .patch)
	spec=$(sed -n 's/^Test: //p' "$p" | head -1)
	file=${spec%%: *}
	name=${spec#*: }
	if [ -z "$spec" ] || [ "$file" = "$spec" ]; then
		echo "not ok $n - mutation $m: no 'Test: FILE: NAME' header"
		failed=$((failed + 1))
		continue
	fi
	if ! (cd "$scratch" && git_apply "$p") >"$work/mutants-apply.log" 2>&1; then
		echo "not ok $n - mutation $m: the patch no longer applies ($(head -1 "$work/mutants-apply.log"))"
		failed=$((failed + 1))
		continue
	fi
	if ! build; then
		echo "not ok $n - mutation $m: the mutant does not build (see $work/mutants-build.log)"
		failed=$((failed + 1))
	else
		run_test "$file" "$name"
		case $? in
		1) echo "ok $n - mutation $m caught by $file: $name" ;;
		0) echo "not ok $n - mutation $m survived: $file: $name still passes"
		   failed=$((failed + 1)) ;;
		*) echo "not ok $n - mutation $m: test '$name' not found in $file"
		   failed=$((failed + 1)) ;;
		esac
	fi
	(cd "$scratch" && git_apply -R "$p") >/dev/null 2>&1 || {
		# A tree that cannot be restored would poison every later mutant.
		rm -rf "$scratch"
		echo "# mutation $m: could not revert; the scratch tree was removed" >&2
		exit 1
	}
done
build >/dev/null 2>&1
echo "# mutations: ${#patches[@]} patches, $failed not caught, in $((SECONDS - start)) s"
[ $failed -eq 0 ]
