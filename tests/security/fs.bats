#!/usr/bin/env bats
# Filesystem attacks: a sandbox (or a hostile image) must never steer a
# host-side mount, hide /proc's masks, hand host users the image store's
# setuid files, or outgrow --disk with inodes and xattrs.

load ../integration/helpers
bats_require_minimum_version 1.5.0

# A host user who is nobody to gradebox. setpriv keeps root's capabilities
# up to the exec: the shell it starts has none, and runs the command.
as_nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups /bin/sh -c '"$@"' sh "$@"; }

# Layer directory (host path) of image $1's layer $2.
layer_path() {
	gb image inspect "$1" | python3 -c 'import json, sys
print(json.load(sys.stdin)["layers"][int(sys.argv[1])]["path"])' "$2"
}

# A world-traversable store, so that only gradebox's own modes keep a host
# user out (bats' temporary directories are 0700).
open_store() {
	OPEN=$(mktemp -d /tmp/gb-fs-store.XXXXXX)
	chmod 0755 "$OPEN"
	export GRADEBOX_STATE_DIR=$OPEN/state
}

teardown() {
	[ -z "${OPEN:-}" ] || rm -rf "$OPEN"
	gb_teardown
}

@test "a bind source swapped for a symlink between runs is refused, for the worker and root" {
	for who in "" --root; do
		d=$BATS_TEST_TMPDIR/swap$who
		mkdir -p "$d/share/data" "$d/secret"
		chmod 0777 "$d/share"
		echo host-secret >"$d/secret/file"
		# run 1 writes the parent of a bind source: the source becomes a symlink
		run gbrun $who --bind "$d/share:/share:rw" --bind "$d/share/data:/data" -- \
			/bin/sh -c "rmdir /share/data && ln -s '$d/secret' /share/data && echo swapped"
		[ "$status" -eq 0 ]
		[ "$output" = swapped ]
		[ -L "$d/share/data" ]
		# run 2 binds the same source: refused, the host directory never shown
		run gbrun $who --bind "$d/share/data:/data" -- /bin/cat /data/file
		[ "$status" -eq 254 ]
		[[ $output == *"symlink in its path"* ]]
		[[ $output != *host-secret* ]]
		[ "$(cat "$d/secret/file")" = host-secret ]
	done
}

@test "a --rootfs swapped for a symlink between runs is refused, for the worker and root" {
	for who in "" --root; do
		d=$BATS_TEST_TMPDIR/rootswap$who
		mkdir -p "$d/p"
		chmod 0777 "$d/p"
		cp -a "$ROOTFS" "$d/p/r"
		echo host-marker >"$d/marker"
		# run 1 writes the rootfs's parent: the rootfs becomes a symlink to /
		run gbrun $who --bind "$d/p:/p:rw" -- /bin/sh -c 'mv /p/r /p/r.old && ln -s / /p/r && echo swapped'
		[ "$status" -eq 0 ]
		[ "$output" = swapped ]
		# run 2 on that rootfs: refused, the host's root never shown
		run "$GRADEBOX" run $who --rootfs "$d/p/r" -- /bin/cat "$d/marker"
		[ "$status" -eq 254 ]
		[[ $output == *"--rootfs $d/p/r has a symlink in its path"* ]]
		[[ $output != *host-marker* ]]
	done
}

@test "a symlink anywhere in a bind source path is refused, naming the resolved path" {
	mkdir -p "$BATS_TEST_TMPDIR/real/sub"
	ln -s real "$BATS_TEST_TMPDIR/link"
	ln -s sub "$BATS_TEST_TMPDIR/real/last"
	for src in "$BATS_TEST_TMPDIR/link/sub" "$BATS_TEST_TMPDIR/real/last"; do
		run gbrun --bind "$src:/mnt" -- /bin/true
		[ "$status" -eq 254 ]
		[ "${#lines[@]}" -eq 1 ]
		[[ $output == *"--bind: source $src has a symlink in its path"*"realpath $src"* ]]
	done
	# the resolved path works
	run gbrun --bind "$BATS_TEST_TMPDIR/real/sub:/mnt" -- /bin/true
	[ "$status" -eq 0 ]
}

@test "/proc is mounted and masked whatever the image has at /proc, /dev and /tmp" {
	# image A: proc -> tmp/p, a directory the /tmp mount would cover
	a=$BATS_TEST_TMPDIR/img-a
	cp -a "$ROOTFS" "$a"
	rmdir "$a/proc"
	mkdir "$a/tmp/p"
	ln -s tmp/p "$a/proc"
	# image B: proc -> tmp/p, dev a symlink to a host-looking path, tmp a file
	b=$BATS_TEST_TMPDIR/img-b
	cp -a "$ROOTFS" "$b"
	rmdir "$b/proc" "$b/dev" "$b/tmp"
	ln -s tmp/p "$b/proc"
	ln -s /run "$b/dev"
	echo file >"$b/tmp"
	# every sensitive entry this kernel has
	masks=""
	for p in kcore keys timer_list sched_debug latency_stats acpi scsi asound interrupts sysrq-trigger; do
		[ -e "/proc/$p" ] && masks="$masks $p"
	done
	[ -n "$masks" ]
	for img in "$a" "$b"; do
		for who in "" --root; do
			run "$GRADEBOX" run --rootfs "$img" $who -- /bin/sh -c '
				[ -d /proc ] && [ ! -L /proc ] && [ -d /dev ] && [ ! -L /dev ] && [ -d /tmp ] && echo dirs
				awk "\$5 == \"/proc\"" /proc/self/mountinfo | grep -c " - proc "
				for p in '"$masks"'; do echo "$p $(grep -c " /proc/$p " /proc/self/mountinfo)"; done
				[ -c /proc/kcore ] || [ ! -e /proc/kcore ] && echo kcore-null
				echo 1 > /proc/sys/kernel/domainname; echo rc=$?
				echo x > /tmp/x && cat /tmp/x && echo x > /dev/null && echo ok'
			echo "$img $who: $output"
			[ "$status" -eq 0 ]
			[ "${lines[0]}" = dirs ]
			[ "${lines[1]}" = 1 ]
			for l in "${lines[@]:2:$(wc -w <<<"$masks")}"; do [ "${l#* }" = 1 ]; done
			[[ $output == *kcore-null* ]]
			[[ $output == *"Read-only file system"*"rc=1"* ]]
			[[ $output == *$'x\nok' ]]
		done
		# the image itself is untouched: the replacement lives in the overlay
		[ -L "$img/proc" ]
	done
	[ -L "$b/dev" ]
	[ "$(cat "$b/tmp")" = file ]
}

@test "the image store is private: another host user neither enters it nor runs its setuid files" {
	open_store
	r=$BATS_TEST_TMPDIR/suid-rootfs
	cp -a "$ROOTFS" "$r"
	mkdir -p "$r/usr/local/bin"
	cp "$ROOTFS/bin/busybox" "$r/usr/local/bin/id"
	chmod 4755 "$r/usr/local/bin/id"
	run gb image import "$r" --name suid
	[ "$status" -eq 0 ]
	layer=$(layer_path suid 0)
	[ "$(stat -c %a "$layer/usr/local/bin/id")" = 4755 ]
	for d in "$GRADEBOX_STATE_DIR" "$GRADEBOX_STATE_DIR/layers" "$GRADEBOX_STATE_DIR/images"; do
		[ "$(stat -c '%a %u' "$d")" = "700 0" ]
	done
	run as_nobody ls "$GRADEBOX_STATE_DIR/layers"
	[ "$status" -ne 0 ]
	[[ $output == *"Permission denied"* ]]
	run -126 as_nobody "$layer/usr/local/bin/id" -u
	[[ $output == *"Permission denied"* ]]
	# a store left world-traversable by an older version is fixed on open
	chmod 0755 "$GRADEBOX_STATE_DIR" "$GRADEBOX_STATE_DIR/layers" "$GRADEBOX_STATE_DIR/images"
	run gb image list
	[ "$status" -eq 0 ]
	for d in "$GRADEBOX_STATE_DIR" "$GRADEBOX_STATE_DIR/layers" "$GRADEBOX_STATE_DIR/images"; do
		[ "$(stat -c %a "$d")" = 700 ]
	done
	run -126 as_nobody "$layer/usr/local/bin/id" -u
	[[ $output == *"Permission denied"* ]]
}

@test "image import drops file capabilities" {
	command -v setcap >/dev/null || skip "no setcap on this host"
	r=$BATS_TEST_TMPDIR/cap-rootfs
	cp -a "$ROOTFS" "$r"
	cp "$ROOTFS/bin/busybox" "$r/bin/capped"
	setcap cap_setuid,cap_dac_override+ep "$r/bin/capped"
	[ -n "$(getcap "$r/bin/capped")" ]
	run gb image import "$r" --name capped
	[ "$status" -eq 0 ]
	layer=$(layer_path capped 0)
	[ -f "$layer/bin/capped" ]
	run getcap "$layer/bin/capped"
	[ -z "$output" ]
	run python3 -c 'import os, sys; print(os.listxattr(sys.argv[1]))' "$layer/bin/capped"
	[[ $output != *security.capability* ]]
}

@test "a tar's ./ entry does not set the layer root's mode or owner" {
	src=$BATS_TEST_TMPDIR/loose
	mkdir -p "$src/bin"
	cp "$ROOTFS/bin/busybox" "$src/bin/"
	chmod 0777 "$src"
	chown 1000:1000 "$src"
	tar --numeric-owner -C "$src" -cf "$BATS_TEST_TMPDIR/loose.tar" .
	tar -tvf "$BATS_TEST_TMPDIR/loose.tar" | grep -q '^drwxrwxrwx 1000/1000 .* \./$'
	run gb image import "$BATS_TEST_TMPDIR/loose.tar" --name loose
	[ "$status" -eq 0 ]
	layer=$(layer_path loose 0)
	[ "$(stat -c '%a %u:%g' "$layer")" = "755 0:0" ]
	# the same for a rootfs directory
	run gb image import "$src" --name loose-dir
	[ "$status" -eq 0 ]
	[ "$(stat -c '%a %u:%g' "$(layer_path loose-dir 0)")" = "755 0:0" ]
}

@test "--disk bounds inodes: empty files run out long before 100 000, for the worker and root" {
	[ -x "$PROBE" ] || skip "no probe binary (tests/run-tests builds it)"
	for who in "" --root; do
		dir=/tmp
		# root fills the overlay's upper layer (its root directory is the
		# sandbox root's, also where the rootfs cannot be idmapped)
		[ -z "$who" ] || dir=/
		run gbrun $who --disk 1 --bind "$PROBE:/probe" -- /probe files "$dir" 100000
		echo "$who: $output"
		[ "$status" -eq 0 ]
		[[ $output =~ ^ENOSPC\ after\ ([0-9]+)\ files$ ]]
		[ "${BASH_REMATCH[1]}" -ge 100 ]
		[ "${BASH_REMATCH[1]}" -lt 100000 ]
	done
	# a bigger disk gets more: one inode per 4 KiB
	run gbrun --disk 64 --bind "$PROBE:/probe" -- /probe files /tmp 100000
	[[ $output =~ ^ENOSPC\ after\ ([0-9]+)\ files$ ]]
	[ "${BASH_REMATCH[1]}" -ge 10000 ]
	[ "${BASH_REMATCH[1]}" -lt 17000 ]
}

@test "xattrs cannot store megabytes beyond --disk, for the worker and root" {
	[ -x "$PROBE" ] || skip "no probe binary (tests/run-tests builds it)"
	: >"$BATS_TEST_TMPDIR/empty-profile"
	local unfiltered="--seccomp $BATS_TEST_TMPDIR/empty-profile" ns
	for who in "" --root; do
		# /tmp is the job tmpfs; the other is in the overlay (root's is its
		# root directory; the worker's /task needs the rootfs idmapped)
		dirs=/tmp
		if [ -n "$who" ]; then
			dirs="$dirs /"
		elif gb_rootfs_idmappable; then
			dirs="$dirs /task"
		fi
		for dir in $dirs; do
			# The default profile refuses every setxattr: nothing is stored in
			# any namespace (Linux 6.1's tmpfs would take security.* from the
			# worker without a bound).
			for ns in user trusted security; do
				run gbrun $who --disk 1 --bind "$PROBE:/probe" -- /probe xattrs "$dir" "$ns.x" 10
				echo "$who $dir $ns: $output"
				[ "$output" = "EOPNOTSUPP after 0 bytes" ]
			done
			# Without the filter, user.* is unsupported on tmpfs before 6.6
			# and bounded by the inode space after.
			run gbrun $who $unfiltered --disk 1 --bind "$PROBE:/probe" -- /probe xattrs "$dir" user.x 1000
			echo "$who $dir user, unfiltered: $output"
			[[ $output =~ ^(ENOSPC|EOPNOTSUPP)\ after\ ([0-9]+)\ bytes$ ]]
			[ "${BASH_REMATCH[2]}" -le $((2 * 1024 * 1024)) ]
		done
	done
}

@test "a :rw bind that could outgrow --disk is refused; a small enough one works" {
	mkdir -p "$BATS_TEST_TMPDIR/big" "$BATS_TEST_TMPDIR/small"
	run gbrun --disk 1 --bind "$BATS_TEST_TMPDIR/big:/out:rw" -- /bin/sh -c 'echo x > /out/f'
	[ "$status" -eq 254 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == *"--bind $BATS_TEST_TMPDIR/big:/out:rw: its filesystem has"*"not counted in --disk (1 MB)"* ]]
	[ ! -e "$BATS_TEST_TMPDIR/big/f" ]
	# read-only, or without --disk, it is fine
	run gbrun --disk 1 --bind "$BATS_TEST_TMPDIR/big:/out" -- /bin/true
	[ "$status" -eq 0 ]
	# a filesystem of its own no larger than --disk is accepted
	mount -t tmpfs -o size=1m gb-fs-test "$BATS_TEST_TMPDIR/small"
	run gbrun --disk 2 --bind "$BATS_TEST_TMPDIR/small:/out:rw" -- /bin/sh -c 'echo x > /out/f && echo ok'
	umount "$BATS_TEST_TMPDIR/small"
	[ "$status" -eq 0 ]
	[ "$output" = ok ]
}
