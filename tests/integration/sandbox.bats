#!/usr/bin/env bats
# gradebox run: the sandbox core, one test per property a user relies on.
load helpers

@test "the command's exit code comes through" {
	run gbrun -- /bin/sh -c 'exit 7'
	[ "$status" -eq 7 ]
}

@test "a command killed by signal N exits 128+N" {
	run gbrun -- /bin/sh -c 'kill -KILL $$'
	[ "$status" -eq 137 ]
	run gbrun -- /bin/sh -c 'kill -TERM $$'
	[ "$status" -eq 143 ]
}

@test "stdin, stdout and stderr pass straight through" {
	out=$(echo "from stdin" | gbrun -- /bin/sh -c 'cat; echo to-stderr >&2' 2>"$BATS_TEST_TMPDIR/err")
	[ "$out" = "from stdin" ]
	[ "$(cat "$BATS_TEST_TMPDIR/err")" = "to-stderr" ]
}

@test "the sandbox cannot see host processes" {
	sleep 300 & local host_pid=$!
	run gbrun -- /bin/sh -c 'ls /proc | grep -c "^[0-9]*$"; kill -0 '"$host_pid"' 2>&1 || echo invisible'
	kill $host_pid
	[ "$status" -eq 0 ]
	# pid 1 (init), the shell, ls and grep at most
	[ "${lines[0]}" -le 4 ]
	[[ "$output" == *invisible* ]]
}

@test "sandboxes running at once do not see each other" {
	# each says it is up in a shared directory, then looks around only once
	# the other is up too, so both are surely running at the time
	local meet=$BATS_TEST_TMPDIR/meet
	mkdir "$meet"
	chmod 777 "$meet"
	local cmd='echo $0 > /tmp/$0; sleep 20 &
		for i in $(seq 400); do ps -o comm | grep -qx sleep && break; sleep 0.05; done
		touch /meet/$0
		for i in $(seq 400); do [ -e /meet/$1 ] && break; sleep 0.05; done
		ls /tmp; ps -o comm | grep -cx sleep; touch /meet/$0.done
		for i in $(seq 400); do [ -e /meet/$1.done ] && break; sleep 0.05; done'
	gbrun --bind "$meet:/meet:rw" -- /bin/sh -c "$cmd" a b >"$BATS_TEST_TMPDIR/a" &
	local a=$!
	gbrun --bind "$meet:/meet:rw" -- /bin/sh -c "$cmd" b a >"$BATS_TEST_TMPDIR/b" &
	local b=$!
	wait $a
	wait $b
	# each sees only its own file in /tmp and only its own sleep
	[ "$(cat "$BATS_TEST_TMPDIR/a")" = "$(printf 'a\n1')" ]
	[ "$(cat "$BATS_TEST_TMPDIR/b")" = "$(printf 'b\n1')" ]
}

@test "the command runs as pid 2 under a private init that shows no host paths" {
	run gbrun -- /bin/sh -c 'echo $$; cat /proc/1/comm; tr "\0" " " < /proc/1/cmdline; echo'
	[ "${lines[0]}" = "2" ]
	[ "${lines[1]}" = "gradebox-init" ]
	[[ "${lines[2]}" != *"$ROOTFS"* ]]
	[[ "${lines[2]}" == gradebox-init* ]]
}

@test "only lo exists, and it is up" {
	run gbrun -- /bin/sh -c 'ip -o link'
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == *" lo: "*UP* ]]
	run gbrun -- /bin/sh -c 'ping -c1 -W1 127.0.0.1 >/dev/null 2>&1 || nc -z -w1 127.0.0.1 1 2>/dev/null; ip -o addr | grep -c 127.0.0.1'
	[ "${lines[-1]}" = "1" ]
}

@test "the sandbox has a network namespace of its own; --network host keeps the host's" {
	host_ns=$(readlink /proc/self/ns/net)
	run gbrun -- /bin/sh -c 'readlink /proc/self/ns/net'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == net:* ]]
	[ "${lines[0]}" != "$host_ns" ]
	run gbrun --network host -- /bin/sh -c 'readlink /proc/self/ns/net'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "$host_ns" ]
}

@test "the command may use every CPU the supervisor may use" {
	# init is kept off the supervisor's CPU while it starts; the command
	# must not inherit that.
	want=$(awk '/^Cpus_allowed_list/ {print $2}' /proc/$$/status)
	run gbrun -- /bin/sh -c 'grep Cpus_allowed_list /proc/self/status'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"	$want" ]]
	run taskset -c 0 "$GRADEBOX" run --rootfs "$ROOTFS" -- /bin/sh -c 'grep Cpus_allowed_list /proc/self/status'
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *"	0" ]]
}

# serve_once PORT: answer one connection on 127.0.0.1:PORT (host side), in
# the background; $server is its pid. Returns once the server listens.
serve_once() {
	local ready=$BATS_TEST_TMPDIR/listening.$1.$RANDOM
	python3 -c "
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $1)); s.listen(5); s.settimeout(20)
open('$ready', 'w').close()
try:
    c, _ = s.accept(); c.sendall(b'host-secret\\n'); c.close()
except Exception:
    pass
" &
	server=$!
	wait_for_file "$ready"
}

@test "the sandbox cannot reach a host port on 127.0.0.1" {
	local port=$((20000 + RANDOM % 20000)) server
	# the host network can reach it...
	serve_once $port
	run gbrun --network host -- /bin/sh -c "nc -w 2 127.0.0.1 $port </dev/null"
	[[ "$output" == *host-secret* ]]
	wait $server || true
	# ...the default sandbox cannot
	serve_once $port
	run gbrun -- /bin/sh -c "nc -w 2 127.0.0.1 $port </dev/null; echo rc=\$?"
	kill $server 2>/dev/null || true
	wait $server 2>/dev/null || true
	[[ "$output" != *host-secret* ]]
	[[ "$output" == *rc=1* ]]
}

@test "the worker cannot write the rootfs" {
	run gbrun -- /bin/sh -c 'touch /bin/x 2>&1; echo rc=$?; echo hi > /etc/passwd; echo rc=$?'
	[[ "$output" == *"rc=1"*"rc=1"* ]]
}

@test "root's writes go to a throw-away layer: the rootfs dir is unchanged" {
	local before after
	gb_need_idmapped_rootfs
	before=$(cd "$ROOTFS" && find . -printf '%p %m %U %s %T@\n' | sort | md5sum)
	run gbrun --root -- /bin/sh -c 'echo x > /bin/newfile && rm /etc/passwd && mkdir /newdir && cat /bin/newfile'
	[ "$status" -eq 0 ]
	[ "$output" = "x" ]
	after=$(cd "$ROOTFS" && find . -printf '%p %m %U %s %T@\n' | sort | md5sum)
	[ "$before" = "$after" ]
	# and the next run starts fresh
	run gbrun -- /bin/sh -c 'test -e /bin/newfile && echo leaked; test -e /etc/passwd && echo fresh'
	[ "$output" = "fresh" ]
}

@test "image files owned by root show as root inside" {
	gb_need_idmapped_rootfs
	run gbrun -- /bin/sh -c 'stat -c "%u %g" /bin/busybox /etc/passwd'
	[ "${lines[0]}" = "0 0" ]
	[ "${lines[1]}" = "0 0" ]
}

@test "the sandbox cannot mount, not even as root" {
	run gbrun -- /bin/sh -c 'mount -t tmpfs none /tmp 2>&1; echo rc=$?'
	[[ "$output" == *rc=1* || "$output" == *rc=255* ]]
	run gbrun --root -- /bin/sh -c 'mount -t tmpfs none /mnt 2>&1; echo rc=$?; umount /proc 2>&1; echo rc=$?'
	[[ "$output" != *"rc=0"* ]]
}

@test "CapEff is 0, NoNewPrivs is 1 and Seccomp is 2" {
	run gbrun -- /bin/sh -c 'grep -E "^(CapEff|CapPrm|CapBnd|CapAmb|NoNewPrivs|Seccomp):" /proc/self/status'
	[[ "$output" == *"CapEff:	0000000000000000"* ]]
	[[ "$output" == *"CapPrm:	0000000000000000"* ]]
	[[ "$output" == *"CapBnd:	0000000000000000"* ]]
	[[ "$output" == *"NoNewPrivs:	1"* ]]
	[[ "$output" == *"Seccomp:	2"* ]]
}

@test "--root keeps capabilities, inside the user namespace only" {
	run gbrun --root -- /bin/sh -c 'id -u; grep CapEff /proc/self/status; cat /proc/self/uid_map'
	[ "${lines[0]}" = "0" ]
	[[ "${lines[1]}" != *"0000000000000000"* ]]
	# uid 0 inside is uid_base outside, never host root
	read -r inside outside count <<<"${lines[2]}"
	[ "$inside" = "0" ]
	[ "$outside" -ge 65536 ]
}

@test "even root inside cannot open its init's memory, environment or root" {
	# mem is only opened: a read at offset 0 fails for any process (nothing
	# is mapped there), so a read could not tell allowed from denied
	run gbrun --root -- /bin/sh -c '(exec 3</proc/self/mem) 2>/dev/null; echo self=$?; (exec 3</proc/1/mem) 2>/dev/null; echo mem=$?; cat /proc/1/environ >/dev/null 2>&1; echo env=$?; ls /proc/1/root/ >/dev/null 2>&1; echo root=$?'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "self=0" ]
	[ "${lines[1]}" = "mem=1" ]
	[ "${lines[2]}" = "env=1" ]
	[ "${lines[3]}" = "root=1" ]
}

@test "init stays non-dumpable when the host lets set-id programs dump (fs.suid_dumpable=1)" {
	# The command's gid change resets the dumpable flag of the memory it
	# shares with init until execve; root inside must still not reach init.
	local saved
	saved=$(cat /proc/sys/fs/suid_dumpable)
	echo 1 >/proc/sys/fs/suid_dumpable
	run gbrun --user 0:5 -- /bin/sh -c '(exec 3</proc/1/mem) 2>/dev/null; echo mem=$?; ls /proc/1/root/ >/dev/null 2>&1; echo root=$?'
	echo "$saved" >/proc/sys/fs/suid_dumpable
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "mem=1" ]
	[ "${lines[1]}" = "root=1" ]
}

# syscall_results ARGS... -- CALL...: "CALL RESULT" per call (probe.c), made
# in one sandbox run with ARGS; the caller is still alive at the end.
syscall_results() {
	local args=() t
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	gbrun "${args[@]}" --bind "$PROBE:/probe" -- /bin/sh -c 'for t; do echo "$t $(/probe $t)"; done; echo alive' sh "$@"
}

# assert_filtered ARGS... -- CALL=ERRNO...: with the default profile each
# CALL fails with ERRNO and the caller lives on; with an empty profile the
# same CALL does not fail with ERRNO: the filter, not the kernel, refused it.
assert_filtered() {
	local args=() calls=() want=() c
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	for c; do calls+=("${c%=*}"); want+=("${c#*=}"); done
	run syscall_results "${args[@]}" -- "${calls[@]}"
	echo "default profile: $output"
	[ "$status" -eq 0 ]
	[ "${lines[-1]}" = alive ]
	for i in "${!calls[@]}"; do
		[ "${lines[$i]}" = "${calls[$i]} ${want[$i]}" ]
	done
	: >"$BATS_TEST_TMPDIR/empty-profile"
	run syscall_results "${args[@]}" --seccomp "$BATS_TEST_TMPDIR/empty-profile" -- "${calls[@]}"
	echo "empty profile: $output"
	[ "$status" -eq 0 ]
	for i in "${!calls[@]}"; do
		[[ "${lines[$i]}" == "${calls[$i]} "* ]]
		[ "${lines[$i]}" != "${calls[$i]} ${want[$i]}" ]
	done
}

# Only calls this kernel lets the user make (or refuses with another errno)
# prove the filter: mount and new mount namespaces are the kernel's to refuse
# to uid 4242, and unprivileged bpf is off on most hosts.
@test "the seccomp filter refuses the worker calls the kernel would allow, with the profile's errno" {
	[ -x "$PROBE" ] || skip "no probe binary (tests/run-tests builds it)"
	assert_filtered -- keyctl=EPERM add_key=EPERM ptrace=EPERM userfaultfd=EPERM \
		kcmp=EPERM process_vm_readv=EPERM perf_event_open=EPERM io_uring=ENOSYS \
		unshare-user=EPERM
}

@test "the seccomp filter refuses root inside the calls it refuses everyone" {
	[ -x "$PROBE" ] || skip "no probe binary (tests/run-tests builds it)"
	assert_filtered --root -- keyctl=EPERM add_key=EPERM ptrace=EPERM userfaultfd=EPERM \
		kcmp=EPERM process_vm_readv=EPERM perf_event_open=EPERM io_uring=ENOSYS
}

@test "--seccomp replaces the default profile" {
	[ -x "$PROBE" ] || skip "no probe binary (tests/run-tests builds it)"
	printf 'ENOSYS keyctl\n' > "$BATS_TEST_TMPDIR/profile"
	run gbrun --seccomp "$BATS_TEST_TMPDIR/profile" --bind "$PROBE:/probe" -- /probe keyctl
	[ "$output" = "ENOSYS" ]
	# a call the default profile refuses is now allowed
	run gbrun --seccomp "$BATS_TEST_TMPDIR/profile" --bind "$PROBE:/probe" -- /probe ptrace
	[ "$output" = ok ]
}

@test "a bad seccomp profile is refused with its file and line" {
	printf 'EPERM keyctl\nEPERM no_such_call\n' > "$BATS_TEST_TMPDIR/profile"
	run gbrun --seccomp "$BATS_TEST_TMPDIR/profile" -- /bin/true
	[ "$status" -eq 254 ]
	[[ "$output" == *"$BATS_TEST_TMPDIR/profile: line 2"*no_such_call* ]]
}

@test "the hostname is private" {
	local host_name
	host_name=$(hostname)
	run gbrun -- /bin/hostname
	[ "$output" = "gradebox" ]
	run gbrun --hostname box7 -- /bin/hostname
	[ "$output" = "box7" ]
	run gbrun --root -- /bin/sh -c 'hostname evil 2>/dev/null; hostname'
	[ "$output" = "gradebox" ]
	[ "$(hostname)" = "$host_name" ]
}

@test "an orphaned daemon inside is gone when the run ends" {
	local tag="7$RANDOM$RANDOM"
	run gbrun -- /bin/sh -c "(setsid sleep $tag </dev/null >/dev/null 2>&1 &)
		for i in \$(seq 400); do ps -o args | grep -q '^sleep $tag' && break; sleep 0.05; done
		ps -o args | grep -c '^sleep $tag'"
	[ "$status" -eq 0 ]
	# it was running when the command exited
	[ "$output" = 1 ]
	# gradebox returns once the sandbox's last process is gone
	[ -z "$(pgrep -xf "sleep $tag")" ]
}

@test "signals sent to the sandbox's init reach the command" {
	local ready=$BATS_TEST_TMPDIR/ready out=$BATS_TEST_TMPDIR/out
	mkdir "$ready"
	chmod 777 "$ready"
	"$GRADEBOX" run --rootfs "$ROOTFS" --bind "$ready:/ready:rw" -- /bin/sh -c '
		trap "echo got USR1" USR1
		trap "echo got TERM; exit 9" TERM
		touch /ready/up
		while :; do sleep 0.05; done' >"$out" &
	local sup=$!
	wait_for_file "$ready/up"
	local init
	init=$(pgrep -P $sup -x gradebox-init)
	[ -n "$init" ]
	kill -USR1 "$init"
	for _ in $(seq 400); do grep -q "got USR1" "$out" && break; sleep 0.05; done
	kill -TERM "$init"
	for _ in $(seq 400); do kill -0 $sup 2>/dev/null || break; sleep 0.05; done
	# a signal init kept to itself leaves the run going: end it
	if kill -KILL $sup 2>/dev/null; then
		wait $sup || true
		"$GRADEBOX" gc >/dev/null
		false
	fi
	local rc=0
	wait $sup || rc=$?
	[ "$rc" -eq 9 ]
	[ "$(cat "$out")" = "$(printf 'got USR1\ngot TERM')" ]
}

@test "no file descriptor of gradebox leaks into the sandbox" {
	[ -x "$PROBE" ] || skip "no probe binary (tests/run-tests builds it)"
	exec 7</etc/hostname
	run gbrun --bind "$PROBE:/probe" -- /probe fds
	exec 7<&-
	[ "$output" = "done" ]
}

@test "the environment is cleared but for PATH, HOME, TERM and --env" {
	export GB_SECRET_VAR=leak
	run gbrun --env A=1 --env B=two -- env
	unset GB_SECRET_VAR
	[[ "$output" != *GB_SECRET_VAR* ]]
	[[ "$output" == *"PATH="* ]]
	[[ "$output" == *"HOME="* ]]
	[[ "$output" == *"TERM=dumb"* ]]
	[[ "$output" == *"A=1"* ]]
	[[ "$output" == *"B=two"* ]]
	[ "$(echo "$output" | grep -c =)" -le 6 ]
}

@test "--user and --cwd choose the identity and the directory" {
	run gbrun --user 1000:1001 --cwd /tmp -- /bin/sh -c 'id -u; id -g; pwd'
	[ "${lines[0]}" = "1000" ]
	[ "${lines[1]}" = "1001" ]
	[ "${lines[2]}" = "/tmp" ]
	run gbrun -- id -u
	[ "$output" = "4242" ]
}

@test "binds are read-only unless :rw" {
	mkdir -p "$BATS_TEST_TMPDIR/share"
	echo data > "$BATS_TEST_TMPDIR/share/f"
	chmod 777 "$BATS_TEST_TMPDIR/share"
	run gbrun --bind "$BATS_TEST_TMPDIR/share:/mnt/share" -- /bin/sh -c 'cat /mnt/share/f; echo x > /mnt/share/new; echo rc=$?'
	[ "${lines[0]}" = "data" ]
	[[ "$output" == *"rc=1"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/share/new" ]
	run gbrun --bind "$BATS_TEST_TMPDIR/share:/mnt/share:rw" -- /bin/sh -c 'echo written > /mnt/share/new'
	[ "$status" -eq 0 ]
	[ "$(cat "$BATS_TEST_TMPDIR/share/new")" = "written" ]
}

@test "a bind source inside the run directory stays reachable" {
	# each sandbox mounts its tmpfs over run_dir; sources are taken before
	mkdir -p "$GRADEBOX_RUN_DIR/src"
	echo inside > "$GRADEBOX_RUN_DIR/src/f"
	run gbrun --bind "$GRADEBOX_RUN_DIR/src:/mnt" -- cat /mnt/f
	rm -r "$GRADEBOX_RUN_DIR/src"
	[ "$output" = inside ]
}

@test "binds are nosuid and nodev" {
	mkdir -p "$BATS_TEST_TMPDIR/share"
	run gbrun --bind "$BATS_TEST_TMPDIR/share:/mnt" -- /bin/sh -c 'grep " /mnt " /proc/self/mountinfo'
	[[ "$output" == *nosuid* ]]
	[[ "$output" == *nodev* ]]
	[[ "$output" == *" ro,"* || "$output" == *" ro "* ]]
}

# Every entry the masks cover (mount.c); the test checks those this kernel
# has and names them. The VM's kernel (Debian 6.1) has all of them but
# sched_debug (in debugfs since 5.13), latency_stats (no CONFIG_LATENCYTOP)
# and scsi (no CONFIG_SCSI_PROC_FS); asound comes with the snd module.
PROC_MASKED="kcore keys timer_list sched_debug latency_stats acpi scsi asound interrupts sysrq-trigger"
PROC_MASKED_VM="kcore keys timer_list acpi asound interrupts sysrq-trigger"

@test "/proc hides host-wide files behind empty, read-only mounts, even from root" {
	[ "${GB_VM:-}" != 1 ] || modprobe snd
	# per entry this kernel has: name, size (bytes, or entries of a
	# directory), what is mounted on it and how, and whether root inside
	# could create a file in a masked directory
	run gbrun --root -- /bin/sh -c 'for p; do
			[ -e /proc/$p ] || continue
			if [ -d /proc/$p ]; then
				n=$(ls -A /proc/$p | wc -l)
				w=$(touch /proc/$p/x 2>/dev/null && echo created || echo refused)
			else
				n=$(wc -c </proc/$p) w=-
			fi
			echo "$p $n $w $(awk -v m=/proc/$p '\''$5 == m { print $4, $6 }'\'' /proc/self/mountinfo)"
		done' sh $PROC_MASKED
	echo "$output"
	[ "$status" -eq 0 ]
	local l checked=()
	for l in "${lines[@]}"; do
		read -r name size write root opts rest <<<"$l"
		checked+=("$name")
		[ "$size" = 0 ]
		[ -z "$rest" ] # one mount only
		[[ "$opts" == ro,* ]]
		if [ "$write" = - ]; then
			[ "$root" = /null ]
		else
			[ "$root" = /empty ]
			[ "$write" = refused ]
		fi
	done
	echo "# /proc masks checked: ${checked[*]}" >&3
	[ ${#checked[@]} -ge 1 ]
	if [ "${GB_VM:-}" = 1 ]; then
		[ "${checked[*]}" = "$PROC_MASKED_VM" ]
	fi
}

@test "/proc/sys is read-only, even for root inside" {
	# A write opened with O_TRUNC meets a read-only mount before any
	# permission check: EROFS, where a writable /proc/sys gives EACCES.
	run gbrun -- /bin/sh -c 'echo x > /proc/sys/kernel/domainname'
	[ "$status" -ne 0 ]
	[[ "$output" == *"domainname: Read-only file system" ]]
	# root inside may set its own user namespace's limits, but for the mount
	run gbrun --root -- /bin/sh -c 'echo 1 > /proc/sys/user/max_user_namespaces; cat /proc/sys/user/max_user_namespaces'
	[[ "${lines[0]}" == *"max_user_namespaces: Read-only file system" ]]
	[ "${lines[1]}" != 1 ]
	run gbrun -- awk '$5 == "/proc/sys" { print $6 }' /proc/self/mountinfo
	[[ "$output" == ro,* ]]
}

@test "every mount is nosuid, and nodev but /dev, /dev/pts and the /dev/null masks" {
	mkdir -p "$BATS_TEST_TMPDIR/share"
	run gbrun --bind "$BATS_TEST_TMPDIR/share:/mnt/ro" --bind "$BATS_TEST_TMPDIR/share:/mnt/rw:rw" \
		-- cat /proc/self/mountinfo
	echo "$output"
	[ "$status" -eq 0 ]
	# field 4: the mount's root in its filesystem, 5: mount point, 6: options
	run awk '{
		if ($6 !~ /(^|,)nosuid(,|$)/) print "suid: " $5
		devices = $5 == "/dev" || $5 == "/dev/pts" || ($4 == "/null" && $5 ~ /^\/proc\//)
		if (!devices && $6 !~ /(^|,)nodev(,|$)/) print "dev: " $5
	}' <<<"$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "/dev is minimal and works" {
	run gbrun -- /bin/sh -c 'ls /dev | sort | tr "\n" " "; echo; head -c 4 /dev/zero | wc -c; echo x > /dev/null && echo null-ok; head -c 8 /dev/urandom | wc -c'
	[ "${lines[0]}" = "core fd full null ptmx pts random shm stderr stdin stdout tty urandom zero " ]
	[ "${lines[1]}" = "4" ]
	[ "${lines[2]}" = "null-ok" ]
	[ "${lines[3]}" = "8" ]
	# nobody inside adds a device, and the worker cannot write /dev
	run gbrun --root -- /bin/sh -c 'mknod /dev/sda b 8 0; echo rc=$?'
	[[ "$output" == *"rc=1" ]]
	run gbrun -- /bin/sh -c 'touch /dev/x; echo rc=$?'
	[[ "$output" == *"rc=1" ]]
}

@test "/tmp and /dev/shm are private and writable" {
	run gbrun -- /bin/sh -c 'echo a > /tmp/f && cat /tmp/f && echo b > /dev/shm/g && cat /dev/shm/g'
	[ "$status" -eq 0 ]
	[ "$output" = "$(printf 'a\nb')" ]
	run gbrun -- /bin/sh -c 'ls /tmp | wc -l'
	[ "$output" = "0" ]
}

# --- bad input: one line naming the problem, exit 254, nothing left ---

@test "a missing rootfs is refused with 254" {
	run "$GRADEBOX" run --rootfs /nonexistent/rootfs -- /bin/true
	[ "$status" -eq 254 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"/nonexistent/rootfs"*"No such file"* ]]
}

@test "a rootfs without /bin/sh is refused with 254 when the command needs it" {
	mkdir -p "$BATS_TEST_TMPDIR/empty"
	run "$GRADEBOX" run --rootfs "$BATS_TEST_TMPDIR/empty" -- /bin/sh -c true
	[ "$status" -eq 254 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"/bin/sh"* ]]
}

@test "a command not found is refused with 254" {
	run gbrun -- no-such-command
	[ "$status" -eq 254 ]
	[[ "$output" == *"no-such-command"*"not found"* ]]
}

@test "a bad --user is refused with 254" {
	run gbrun --user abc -- /bin/true
	[ "$status" -eq 254 ]
	[[ "$output" == *"--user"*"abc"* ]]
	run gbrun --user 70000 -- /bin/true
	[ "$status" -eq 254 ]
	[[ "$output" == *"70000"* ]]
}

@test "a missing bind source is refused with 254" {
	run gbrun --bind /nonexistent/src:/mnt -- /bin/true
	[ "$status" -eq 254 ]
	[[ "$output" == *"/nonexistent/src"*"No such file"* ]]
	run gbrun --bind /etc:relative -- /bin/true
	[ "$status" -eq 254 ]
	[[ "$output" == *"absolute"* ]]
}

@test "unknown options, bad values and a missing command are refused with 254" {
	run gbrun --frobnicate -- /bin/true
	[ "$status" -eq 254 ]
	[[ "$output" == *"--frobnicate"* ]]
	run gbrun --network bridge -- /bin/true
	[ "$status" -eq 254 ]
	[[ "$output" == *"--network"* ]]
	run gbrun --time -3 -- /bin/true
	[ "$status" -eq 254 ]
	run gbrun
	[ "$status" -eq 254 ]
	[[ "$output" == *"missing command"* ]]
}

@test "without the privileges it needs, gradebox refuses with 254 and a hint" {
	# inside a user namespace gradebox cannot map the sandbox's ids
	run unshare -Ur "$GRADEBOX" run --rootfs "$ROOTFS" -- /bin/true
	[ "$status" -eq 254 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" == *"gradebox check"* ]]
}

@test "a command dies of SIGPIPE as usual (the supervisor's ignored signals are reset)" {
	run gbrun -- sh -c 'kill -PIPE $$; echo survived'
	[ "$status" -eq 141 ]
	[[ "$output" != *survived* ]]
}
