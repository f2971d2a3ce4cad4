#!/usr/bin/env bats
# The default seccomp profile refuses what Docker's refuses. Each test runs
# the call as the default user (4242) and as --root, asserts the errno, and
# proves that the filter is what refuses it: with an empty profile the same
# call succeeds or fails differently.
load ../integration/helpers

setup() {
	gb_setup
	[ -x "$PROBE" ] || skip "no probe binary (tests/run-tests builds it)"
	: >"$BATS_TEST_TMPDIR/empty-profile"
}
teardown() { gb_teardown; }

# as FLAGS -- CMD: run CMD with the probe at /probe; FLAGS ("" = none) is
# split into words, as --root or "--bind SRC:DST".
as() {
	local who=$1
	shift 2
	gbrun $who --bind "$PROBE:/probe" -- "$@"
}

# unfiltered FLAGS -- CMD: the same with an empty profile.
unfiltered() {
	local who=$1
	shift 2
	gbrun $who --seccomp "$BATS_TEST_TMPDIR/empty-profile" --bind "$PROBE:/probe" -- "$@"
}

@test "socket(AF_VSOCK) fails with EPERM, also with junk in the upper half of the family" {
	local who
	for who in "" --root; do
		# 40 = AF_VSOCK; the kernel reads the family's low 32 bits only
		run as "$who" -- /bin/sh -c '/probe socket 40 1 0; /probe socket 0x100000028 1 0'
		[ "$status" -eq 0 ]
		[ "${lines[0]}" = EPERM ]
		[ "${lines[1]}" = EPERM ]
		run unfiltered "$who" -- /bin/sh -c '/probe socket 40 1 0; /probe socket 0x100000028 1 0'
		[ "$status" -eq 0 ]
		# "ok" here; "Address family not supported" without the vsock module
		[ "${lines[0]}" != EPERM ]
		[ "${lines[1]}" != EPERM ]
	done
}

@test "host device events do not reach the sandbox: uevent netlink sockets fail with EPERM" {
	local who ready=$BATS_TEST_TMPDIR/ready
	mkdir "$BATS_TEST_TMPDIR/rw"
	# the probe runs as 4242 inside
	chmod 0777 "$BATS_TEST_TMPDIR/rw"
	for who in "" --root; do
		# 16 = AF_NETLINK, 2 = SOCK_DGRAM, 15 = NETLINK_KOBJECT_UEVENT
		run as "$who" -- /bin/sh -c '/probe socket 16 2 15; /probe socket 16 2 0; /probe uevent /tmp/ready'
		[ "$status" -eq 0 ]
		[ "${lines[0]}" = EPERM ]
		# other netlink families still work (ip, ss)
		[ "${lines[1]}" = ok ]
		[ "${lines[2]}" = EPERM ]
	done
	# Without the rule the leak is there: an event the host makes for its
	# /dev/null reaches the sandbox (its net namespace belongs to the host's
	# user namespace, and such events go to every one of those). A "change"
	# event for /dev/null is harmless: udev, if running, re-applies its rules.
	rm -f "$BATS_TEST_TMPDIR/rw/ready"
	unfiltered "--bind $BATS_TEST_TMPDIR/rw:/rw:rw" -- /probe uevent /rw/ready \
		>"$BATS_TEST_TMPDIR/out" &
	wait_for_file "$BATS_TEST_TMPDIR/rw/ready"
	echo change >/sys/devices/virtual/mem/null/uevent
	wait $!
	run cat "$BATS_TEST_TMPDIR/out"
	[[ "$output" == "event "* ]]
}

@test "personality() accepts only Docker's harmless values" {
	local who allowed denied v
	# PER_LINUX, PER_LINUX32, UNAME26, both, the query
	allowed="0 0x8 0x20000 0x20008 0xffffffff"
	# ADDR_NO_RANDOMIZE, READ_IMPLIES_EXEC, MMAP_PAGE_ZERO, ADDR_COMPAT_LAYOUT,
	# ADDR_LIMIT_32BIT, ADDR_LIMIT_3GB, STICKY_TIMEOUTS, PER_SVR4 (0x04100001),
	# values next to the allowed ones, and every other single bit and every
	# value with one bit clear
	denied="0x40000 0x400000 0x100000 0x200000 0x800000 0x8000000 0x4000000 0x04100001
		0x1 0x9 0x20009 0x28000 0xfffffffe 0x7fffffff 0x80000000"
	for v in $(seq 0 31); do
		[ "$v" = 3 ] || [ "$v" = 17 ] || denied="$denied $((1 << v))"
		denied="$denied $((0xffffffff ^ (1 << v)))"
	done
	denied=$(echo $denied)
	for who in "" --root; do
		run as "$who" -- /bin/sh -c "for v in $allowed; do echo \"\$v \$(/probe personality \$v)\"; done"
		[ "$status" -eq 0 ]
		[ "$(grep -cv ' ok$' <<<"$output")" = 0 ]
		[ "${#lines[@]}" = 5 ]
		run as "$who" -- /bin/sh -c "for v in $denied; do echo \"\$v \$(/probe personality \$v)\"; done"
		[ "$status" -eq 0 ]
		echo "$output" | grep -v ' EPERM$' || true
		[ "$(grep -cv ' EPERM$' <<<"$output")" = 0 ]
		run unfiltered "$who" -- /probe personality 0x40000
		[ "$output" = ok ]
	done
}

@test "fanotify_init fails with EPERM" {
	local who
	for who in "" --root; do
		run as "$who" -- /probe fanotify
		[ "$output" = EPERM ]
		# unprivileged fanotify (Linux 5.13+) would work
		run unfiltered "$who" -- /probe fanotify
		[ "$output" = ok ]
	done
}

@test "extended attributes and ACLs cannot be set: every xattr call fails with EOPNOTSUPP" {
	local who
	for who in "" --root; do
		# setxattrat is Linux 6.13 (by number: libseccomp 2.5 does not know it)
		run as "$who" -- /bin/sh -c '/probe xattr-calls /tmp/f; /probe acl /tmp/g 4000'
		echo "$who: $output"
		[ "$status" -eq 0 ]
		[ "${lines[0]}" = "setxattr Operation not supported" ]
		[ "${lines[1]}" = "lsetxattr Operation not supported" ]
		[ "${lines[2]}" = "fsetxattr Operation not supported" ]
		[ "${lines[3]}" = "setxattrat Operation not supported" ]
		[ "${lines[4]}" = "Operation not supported" ]
		# unfiltered, a 4000-user ACL (kernel memory --disk and --memory do
		# not count) is stored, and setxattrat works or does not exist
		run unfiltered "$who" -- /bin/sh -c '/probe xattr-calls /tmp/f; /probe acl /tmp/g 4000'
		echo "$who unfiltered: $output"
		[ "${lines[4]}" = ok ]
		[[ ${lines[3]} == "setxattrat ok" || ${lines[3]} == "setxattrat ENOSYS" ]]
	done
}

@test "Linux AIO fails with ENOSYS and reserves nothing of the host's fs.aio-max-nr" {
	local who before
	before=$(cat /proc/sys/fs/aio-nr)
	for who in "" --root; do
		run as "$who" -- /bin/sh -c '/probe io_setup; cat /proc/sys/fs/aio-nr'
		[ "${lines[0]}" = ENOSYS ]
		run unfiltered "$who" -- /probe io_setup
		[ "$output" = ok ]
	done
	# nothing left reserved (the unfiltered contexts died with their sandbox)
	[ "$(cat /proc/sys/fs/aio-nr)" = "$before" ]
}

@test "profile conditions: ANDed on one line, alternatives on two" {
	cat >"$BATS_TEST_TMPDIR/profile" <<-'END'
		# socket(AF_NETLINK, *, 15) only
		EACCES socket arg0==16 arg2==15
		# two alternatives for personality
		EINVAL personality arg0&0xff==0x1
		EINVAL personality arg0>=0x1000000
		# an inequality on a rule's highest argument, written first
		ENOENT socket arg2>=7 arg0==1
	END
	run gbrun --seccomp "$BATS_TEST_TMPDIR/profile" --bind "$PROBE:/probe" -- /bin/sh -c \
		'for t in "socket 16 2 15" "socket 16 2 0" "socket 1 1 0" "personality 0x101" "personality 0x2000000" "personality 0x8" "socket 1 1 7"; do /probe $t; done'
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Permission denied" ]
	[ "${lines[1]}" = ok ]
	[ "${lines[2]}" = ok ]
	[ "${lines[3]}" = "Invalid argument" ]
	[ "${lines[4]}" = "Invalid argument" ]
	[ "${lines[5]}" = ok ]
	[ "${lines[6]}" = "No such file or directory" ]
}

@test "malformed profile lines are refused with file, line and problem" {
	local bad
	while IFS='|' read -r bad problem; do
		printf 'EPERM keyctl\n%s\n' "$bad" >"$BATS_TEST_TMPDIR/profile"
		run gbrun --seccomp "$BATS_TEST_TMPDIR/profile" -- /bin/true
		echo "$bad -> $output"
		[ "$status" -eq 254 ]
		[ "${#lines[@]}" = 1 ]
		[[ "$output" == *"$BATS_TEST_TMPDIR/profile: line 2"*"$problem"* ]]
	done <<-'END'
		EPERM socket arg6==1|arg0 to arg5
		EPERM socket arg0=1|expected ==
		EPERM socket arg0==|decimal or 0x hex
		EPERM socket arg0==0x|decimal or 0x hex
		EPERM socket arg0==12abc|decimal or 0x hex
		EPERM socket arg0==99999999999999999999999|decimal or 0x hex
		EPERM socket arg0&0xff<3|masked argument
		EPERM socket arg0&zz==3|bad mask
		EPERM socket arg0&0==5|a mask of 0
		EPERM socket arg0==40 arg0==41|arg0 is compared twice
		EPERM socket arg0==1 arg1==1 arg2==1 arg3==1 arg4==1 arg5==1 arg0==1|arg0 is compared twice
		nonroot unless-nested clone-namespaces EPERM x|'x' after clone-namespaces
		EPERM socket arg0==40 bind|after a condition
		EPERM socket arg0!=0 arg1==5|only the highest argument (arg1) may use !=
		EPERM socket arg2==5 arg1<3|only the highest argument (arg2)
		EPERM socket arg0>=2 arg3&0xff==1 arg5==0|arg0: in a rule with several conditions
		EPERM arg0==1|needs a system call
		unless-nested|needs a rule
		EPERM no_such_call arg0==1|no_such_call
		EPERM keyctl=999|keyctl is system call 250 here
		EPERM no_such_call=1024|the number must be 0 to 1023
		EPERM no_such_call=x|the number must be 0 to 1023
	END
}
