#!/usr/bin/env bats
# Host output files, the command's stdio and output floods (issue 9): no
# sandbox can steer where gradebox writes on the host, reach gradebox's own
# files or terminal through its stdio, or outrun its limits by flooding.
load ../integration/helpers

# uid_base of the default config: every sandbox id is at or above it.
UID_BASE=2000000000
OPROBE=$TOP/tests/.work/output_probe

setup_file() {
	local src=$BATS_TEST_DIRNAME/output_probe.c
	if [ ! -x "$OPROBE" ] || [ "$src" -nt "$OPROBE" ]; then
		mkdir -p "${OPROBE%/*}"
		gcc -static -O2 -o "$OPROBE.$$" "$src" && mv "$OPROBE.$$" "$OPROBE"
	fi
}

# A host file that must come out of every test unchanged.
host_file() {
	echo "host data" >"$BATS_TEST_TMPDIR/host"
	echo "$BATS_TEST_TMPDIR/host"
}

meta_field() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
		"$BATS_TEST_TMPDIR/meta.json" "$1"
}

@test "--stdout, --stderr and --meta refuse a symlink, leaving its target alone" {
	local target flag
	target=$(host_file)
	ln -s "$target" "$BATS_TEST_TMPDIR/link"
	for flag in --stdout --stderr --meta; do
		run gbrun "$flag" "$BATS_TEST_TMPDIR/link" -- echo pwned
		[ "$status" -eq 254 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == *"$flag"*"$BATS_TEST_TMPDIR/link"*"symbolic link"* ]]
		[ "$(cat "$target")" = "host data" ]
		[ -L "$BATS_TEST_TMPDIR/link" ]
	done
	# a symlink in place of a directory on the way is as good as one at the end
	mkdir "$BATS_TEST_TMPDIR/sbx"
	ln -s "$BATS_TEST_TMPDIR" "$BATS_TEST_TMPDIR/sbx/dir"
	chown "$((UID_BASE + 4242))" "$BATS_TEST_TMPDIR/sbx"
	run gbrun --stdout "$BATS_TEST_TMPDIR/sbx/dir/host" -- echo pwned
	[ "$status" -eq 254 ]
	[ "$(cat "$target")" = "host data" ]
}

@test "an output in a directory a sandbox id could write is refused, and nothing is created" {
	local d flag
	# as a previous run's :rw bind leaves it: owned by the sandbox's worker
	d=$BATS_TEST_TMPDIR/owned
	mkdir "$d"
	chown "$((UID_BASE + 4242)):$((UID_BASE + 4242))" "$d"
	for flag in --stdout --stderr --meta; do
		run gbrun "$flag" "$d/out" -- echo hi
		[ "$status" -eq 254 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ "$output" == *"$flag"*"$d"*"sandbox uid"* ]]
	done
	# its group, world-writable without the sticky bit, or an ancestor
	mkdir "$BATS_TEST_TMPDIR/group" "$BATS_TEST_TMPDIR/world" "$d/sub"
	chgrp "$((UID_BASE + 4242))" "$BATS_TEST_TMPDIR/group"
	chmod 0777 "$BATS_TEST_TMPDIR/world"
	for d in "$BATS_TEST_TMPDIR/group" "$BATS_TEST_TMPDIR/world" "$d/sub"; do
		run gbrun --stdout "$d/out" -- echo hi
		[ "$status" -eq 254 ]
		[ "${#lines[@]}" -eq 1 ]
	done
	[ -z "$(find "$BATS_TEST_TMPDIR" -name out)" ]
	# a root-owned directory, and a sticky world-writable one, are fine
	chmod 1777 "$BATS_TEST_TMPDIR/world"
	run gbrun --stdout "$BATS_TEST_TMPDIR/world/out" --meta "$BATS_TEST_TMPDIR/meta.json" -- echo hi
	[ "$status" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/world/out")" = hi ]
	[ "$(meta_field status)" = exited ]
}

@test "an output that is a FIFO or a device but the null device is refused, never opened" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	# a FIFO with no reader would hang an open for writing: timeout tells
	run timeout 60 "$GRADEBOX" run --rootfs "$ROOTFS" --stdout "$BATS_TEST_TMPDIR/fifo" -- echo hi
	[ "$status" -eq 254 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"$BATS_TEST_TMPDIR/fifo"*"not a regular file"* ]]
	run gbrun --stderr /dev/zero -- echo hi
	[ "$status" -eq 254 ]
	[[ "$output" == *"/dev/zero"*"not a regular file"* ]]
	[ -c /dev/zero ]
	# the null device is the one device taken, for output but never for meta
	run gbrun --stdout /dev/null --stderr /dev/null -- echo hi
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run gbrun --meta /dev/null -- /bin/sh -c 'echo ran >&2'
	[ "$status" -eq 254 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == "gradebox: --meta: /dev/null: is not a regular file"* ]]
	[ -c /dev/null ]
}

@test "the command's stdio are pipes: it cannot rewrite, truncate or grow gradebox's own output file" {
	local user out
	for user in "" --root; do
		out=$BATS_TEST_TMPDIR/out$user
		echo "host line" >"$out"
		gbrun $user --bind "$OPROBE:/probe" -- /bin/sh -c \
			'for fd in 0 1 2; do readlink /proc/self/fd/$fd; done; /probe attack-stdout' \
			</dev/null >>"$out" 2>"$BATS_TEST_TMPDIR/err"
		run cat "$out"
		[ "${lines[0]}" = "host line" ]
		[[ "${lines[1]}" == pipe:* ]]
		[[ "${lines[2]}" == pipe:* ]]
		[[ "${lines[3]}" == pipe:* ]]
		[ "${#lines[@]}" -eq 4 ]
		# no byte written at offset 0, no truncation, no 1 GiB fallocate
		[ "$(stat -c %s "$out")" -lt 4096 ]
		grep -qx "pwrite Illegal seek\|pwrite Invalid argument" "$BATS_TEST_TMPDIR/err"
		! grep -q "fallocate ok\|ftruncate ok" "$BATS_TEST_TMPDIR/err"
	done
}

@test "the command cannot change the modes of gradebox's terminal, and still reads from it" {
	local user
	for user in "" --root; do
		run python3 - "$GRADEBOX" "$ROOTFS" $user <<'PY'
import os, pty, sys, termios, fcntl, struct, select
gradebox, rootfs, extra = sys.argv[1], sys.argv[2], sys.argv[3:]
master, slave = pty.openpty()
fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
before = (termios.tcgetattr(slave), fcntl.ioctl(slave, termios.TIOCGWINSZ, b"\0" * 8))
pid = os.fork()
if pid == 0:
    os.setsid()
    for fd in (0, 1, 2):
        os.dup2(slave, fd)
    os.execv(gradebox, [gradebox, "run", "--rootfs", rootfs, *extra, "--", "/bin/sh", "-c",
        "read line; echo got:$line; stty -echo raw; stty rows 3 cols 7; echo done"])
os.write(master, b"hello\n")
# Read until gradebox has exited (the slave stays open here, so the master
# never sees an end of file); a stuck run is killed after a minute.
seen, st, waited = b"", None, 0.0
while st is None:
    r, _, _ = select.select([master], [], [], 0.1)
    if r:
        seen += os.read(master, 4096)
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        st = status
    else:
        waited += 0.1
        if waited > 60:
            os.kill(pid, 15)
while select.select([master], [], [], 0)[0]:
    seen += os.read(master, 4096)
after = (termios.tcgetattr(slave), fcntl.ioctl(slave, termios.TIOCGWINSZ, b"\0" * 8))
print("exit", os.waitstatus_to_exitcode(st))
print("got" if b"got:hello" in seen else "missing input: %r" % seen)
print("unchanged" if before == after else "changed")
PY
		echo "$output"
		[ "${lines[0]}" = "exit 0" ]
		[ "${lines[1]}" = got ]
		[ "${lines[2]}" = unchanged ]
	done
}

@test "an output flood cannot outrun the CPU limit: timeout, bounded CPU" {
	local user
	for user in "" --root; do
		# gradebox must end by itself; timeout(1) only stops a broken one
		run timeout 120 "$GRADEBOX" run --rootfs "$ROOTFS" $user --time 1 \
			--meta "$BATS_TEST_TMPDIR/meta.json" --bind "$OPROBE:/probe" -- \
			/probe tee-flood flood 4 >/dev/null
		[ "$status" -eq 253 ]
		[ "$(meta_field status)" = timeout ]
		python3 -c 'import sys; sys.exit(not float(sys.argv[1]) < 3)' "$(meta_field cpu_time)"
	done
}

@test "a reader that stops reading cannot hold off the limits: the run ends as a timeout" {
	local user tag
	for user in "" --root; do
		tag=stalled-$$-${user:-worker}
		# The reader reads nothing until the writer is gone: only limits
		# that still run while gradebox's stdout is full end the writer.
		gbrun $user --time 1 --output 100000000000 --meta "$BATS_TEST_TMPDIR/meta.json" \
			--bind "$OPROBE:/probe" -- /probe write-forever "$tag" | {
			# first until the writer runs, then until it is gone
			for i in $(seq 1200); do
				pgrep -f "^/probe write-forever $tag" >/dev/null && break
				sleep 0.05
			done
			for i in $(seq 1200); do
				pgrep -f "^/probe write-forever $tag" >/dev/null || break
				sleep 0.05
			done
			pgrep -f "^/probe write-forever $tag" >/dev/null && echo gave-up >"$BATS_TEST_TMPDIR/reader"
			cat >/dev/null
		}
		[ "${PIPESTATUS[0]}" -eq 253 ]
		[ ! -e "$BATS_TEST_TMPDIR/reader" ]
		[ "$(meta_field status)" = timeout ]
		[ "$(meta_field timeout)" = wall ]
	done
}
