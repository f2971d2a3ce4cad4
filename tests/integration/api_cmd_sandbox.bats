#!/usr/bin/env bats
# The static gradebox-api inside a real sandbox on the busybox rootfs (no
# libc there): the commands run as the grading sandbox will run them.
load api_cmd_helpers

setup() {
	gb_setup
	[ -x "$API/gradebox-api" ] || skip "helpers/bin/gradebox-api is not built (run make)"
	OUT=$BATS_TEST_TMPDIR/out
	mkdir -p "$OUT/.__input"
	chmod -R 0777 "$OUT"
}

teardown() { gb_teardown; }

@test "gradebox-api runs in the busybox sandbox: it is static" {
	[ ! -e "$ROOTFS/lib/ld-linux-x86-64.so.2" ] && [ ! -e "$ROOTFS/lib64/ld-linux-x86-64.so.2" ] ||
		skip "this rootfs has a dynamic loader: it would not show the binary is static"
	printf '{"input": {"q": "ans", "@lang": "en"}}' >"$OUT/.__input/__inputdata.json"
	# one sandbox, as in grading: each run gets its own uid slot
	run gbrun --bind "$API:/.gradebox/bin" --bind "$OUT:/out:rw" --env GRADEBOX_API_ROOT=/out -- /bin/sh -c \
		'/.gradebox/bin/feedback-result success && export PATH=/.gradebox/bin:$PATH &&
		getinput q | feedback-msg -a && feedback-grade 87.8 && tag-set t true && rst-code -c x'
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	out_is $'\n\n.. code-block:: \n\n\tx'
	file_is "$OUT/.__output/__feedback.json" '{"result": "success", "text": "ans", "grade": 87.8, "tests": {"t": true}}'
}
