#!/usr/bin/env bash
# tests/vm/run.sh — run part of the test suite on a pure cgroup v2 kernel.
#
# usage: tests/vm/run.sh                  run $GB_VM_TESTS (bats files; default
#                                         tests/vm/*.bats tests/integration/{limits,check,config,sandbox,grade,run_student*}.bats
#                                         tests/security/*.bats)
#        tests/vm/run.sh FILE.bats...     run these bats files
#        tests/vm/run.sh -- CMD [ARG...]  run CMD (stdout is read as TAP)
#        tests/vm/run.sh --shell          interactive root shell on the VM console
#        tests/vm/run.sh --build          only build the initramfs
#
# Theory of operation
# -------------------
# The build/test host has hybrid cgroups, so the cgroup v2 backend is tested in a
# VM: Debian's own kernel (linux-image-amd64, /boot/vmlinuz-*) under
# qemu-system-x86_64 with TCG (no KVM here), running the *host's* userland, so
# the gradebox binary, bats and every tool are the ones just built and installed
# on the host; only the kernel differs.
#
#  1. initramfs (cached in tests/.work/vm/initramfs-<hash>.cpio, rebuilt when the
#     kernel, its modules, busybox or this script change): busybox-static, the
#     modules virtio_ring, virtio, virtio_pci_modern_dev, virtio_pci_legacy_dev,
#     virtio_pci, netfs, fscache, 9pnet, 9pnet_virtio, 9p, overlay (in that order;
#     built-in ones skipped, .ko.xz/.ko.zst/.ko.gz decompressed at build time),
#     and two busybox scripts:
#     - /init (stage 1): mounts devtmpfs/proc/sysfs, loads the modules, mounts
#       the host's / read-only over 9p (tag "host", cache=loose) and a tmpfs,
#       stacks them as an overlay (lower = host root, upper = tmpfs) on /newroot,
#       mounts the writable 9p share "gbvmout" (this run's tests/.work/vm/run.PID/out)
#       on /newroot/.gbvm/out (and the 9p host root itself on /.gbvm/host),
#       then switch_root's into the overlay (not chroot:
#       the kernel refuses new user namespaces to a chrooted process).
#     - /.gbvm/stage2 (stage 2, PID 1 in the overlay): mounts proc, sysfs,
#       cgroup2 (/sys/fs/cgroup, nsdelegate), devpts, /dev/shm, tmpfs on /tmp,
#       /var/tmp and /run, brings lo up, enables every controller in the root cgroup's
#       subtree_control (as systemd does), optionally moves itself to
#       $GB_VM_CGROUP, then runs out/job.sh with bash: stdout -> out/tap,
#       stderr -> out/stderr, exit code -> out/rc; then powers off.
#  2. out/job.sh is written by this script: it exports GB_VM=1, GB_VM_TOP, the
#     caller's GB_* and GRADEBOX* variables, cd's to the project top (the same
#     path as on the host) and runs `bats --tap FILES` (or the given command).
#  3. qemu runs under `timeout $GB_VM_TIMEOUT` (default 3600 s), -no-reboot,
#     panic=-1, serial console -> run dir's console.log (kernel messages never
#     reach stdout). While it runs, out/tap is followed and each line is
#     re-printed: test lines as "ok N - [vm] name" / "not ok N - [vm] name",
#     bats' plan and anything else as "# " comments; a plan "1..M" closes the
#     output. When the VM dies, times out, or reports fewer tests than bats
#     planned, a "not ok - vm: <reason> (see <log>)" line is added.
#  4. Exit 0 only if the job exited 0 and every test passed. The logs of the
#     last run stay in tests/.work/vm/last/ (console.log, qemu.log, out/).
#     Nothing else is left on the host: qemu is killed on exit/interrupt.
#
# The VM, as the tests see it: kernel 6.1 (Debian), 2 vCPUs, $GB_VM_MEM (4G),
# root, pure cgroup v2 at /sys/fs/cgroup with cpuset cpu io memory hugetlb pids
# rdma misc; / is an overlay (host / read-only + tmpfs), so every host path
# (the project tree too) is readable at the same path and writes go to the
# VM's RAM, never to the host; /tmp, /var/tmp, /run, /dev/shm are fresh tmpfs.
# An overlay's upperdir must be on one of those tmpfs: the root overlay is
# refused as upperdir ("not supported as upperdir").
#
# Environment: GB_VM_TESTS, GB_VM_TIMEOUT (s), GB_VM_MEM (qemu -m), GB_VM_SMP,
# GB_VM_KERNEL (a vmlinuz; its modules must be in /lib/modules/<version>),
# GB_VM_CGROUP (cgroup the tests run in, default "/" = the root cgroup),
# GB_VM_APPEND (more kernel command line, e.g. "loglevel=7" to debug a boot).
set -uo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# The VM mounts fresh tmpfs on /tmp, /run, /var/tmp and /dev/shm: a project
# checked out below one of them is shared into the VM on its own, read-only,
# at the same path (a CI clone in /tmp, say).
project_share=
case $top in /tmp/* | /run/* | /var/tmp/* | /dev/shm/*) project_share=$top ;; esac
work=$top/tests/.work/vm
timeout_s=${GB_VM_TIMEOUT:-3600}
mem=${GB_VM_MEM:-4G}
smp=${GB_VM_SMP:-2}
vm_cgroup=${GB_VM_CGROUP:-/}
modules=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
	netfs fscache 9pnet 9pnet_virtio 9p overlay)

ntests=0 nfail=0

# A line that can not be read as a test result: a TAP comment.
note() { printf '# %s\n' "$*"; }
# A failure of the harness itself, counted as one failed test.
vm_fail() {
	printf 'not ok - vm: %s\n' "$*"
	ntests=$((ntests + 1)) nfail=$((nfail + 1))
}
# Give up before booting (missing tool, bad usage).
give_up() {
	vm_fail "$*"
	echo "1..$ntests"
	exit 1
}

mode=bats
tests=()
case ${1-} in
--shell) mode=shell; shift ;;
--build) mode=build; shift ;;
--) mode=cmd; shift; [ $# -gt 0 ] || give_up "usage: $0 -- CMD [ARG...]" ;;
-h | --help) sed -n '2,9s/^# \{0,1\}//p' "$0"; exit 0 ;;
-*) give_up "unknown option $1 (see $0 --help)" ;;
esac
if [ $mode = bats ]; then
	if [ $# -gt 0 ]; then
		for f in "$@"; do
			[ -f "$f" ] || give_up "no such test file: $f"
			tests+=("$(cd "$(dirname "$f")" && pwd)/$(basename "$f")")
		done
	elif [ -n "${GB_VM_TESTS-}" ]; then
		for f in $GB_VM_TESTS; do
			case $f in /*) ;; *) f=$top/$f ;; esac
			[ -f "$f" ] || give_up "no such test file in GB_VM_TESTS: $f"
			tests+=("$f")
		done
	else
		for f in "$top"/tests/vm/*.bats "$top"/tests/integration/limits*.bats "$top"/tests/integration/check.bats \
			"$top"/tests/integration/config.bats "$top"/tests/integration/sandbox.bats \
			"$top"/tests/integration/grade.bats "$top"/tests/integration/run_student*.bats \
			"$top"/tests/security/*.bats; do
			[ -f "$f" ] && tests+=("$f")
		done
	fi
	[ ${#tests[@]} -gt 0 ] || give_up "no bats files to run"
	for i in "${!tests[@]}"; do
		case ${tests[i]} in "$top"/*) ;; /tmp/* | /run/* | /dev/* | /proc/* | /sys/*)
			give_up "${tests[i]} is not visible in the VM (its /tmp, /run, /dev are its own)" ;;
		esac
		tests[i]=${tests[i]#"$top"/}
	done
fi
case $timeout_s in '' | *[!0-9]*) give_up "GB_VM_TIMEOUT must be a number of seconds" ;; esac
case $vm_cgroup in /*) ;; *) give_up "GB_VM_CGROUP must start with /" ;; esac
case $vm_cgroup in *[!A-Za-z0-9._/@:-]* | *..*) give_up "GB_VM_CGROUP: bad path $vm_cgroup" ;; esac

# --- what the host must have -------------------------------------------------
for t in timeout tail flock sha256sum find; do
	command -v $t >/dev/null || give_up "$t missing (coreutils/findutils/util-linux)"
done
command -v qemu-system-x86_64 >/dev/null ||
	give_up "qemu-system-x86_64 missing (apt-get install qemu-system-x86)"
[ $mode != bats ] || command -v bats >/dev/null || give_up "bats missing (apt-get install bats)"
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || give_up "$busybox missing (apt-get install busybox-static)"
# A static busybox has no ELF interpreter (PT_INTERP): ldd may be absent.
# (Outputs are captured first: with pipefail, `| grep -q` can fail on SIGPIPE.)
case $(ldd "$busybox" 2>&1) in *"=>"* | *ld-linux*)
	give_up "$busybox is dynamically linked (apt-get install busybox-static)" ;;
esac
case $("$busybox" cpio --help 2>&1) in *"Create (requires -H newc)"*) ;; *)
	give_up "$busybox cannot create cpio archives (apt-get install busybox-static)" ;;
esac

# The kernel: GB_VM_KERNEL, else the newest /boot/vmlinuz-* that has modules.
kernel=${GB_VM_KERNEL-}
if [ -z "$kernel" ]; then
	# shellcheck disable=SC2045 # ls -v sorts by version; these names have no spaces
	for k in $(ls -v /boot/vmlinuz-* 2>/dev/null); do
		[ -d "/lib/modules/${k#/boot/vmlinuz-}/kernel" ] && kernel=$k
	done
fi
[ -n "$kernel" ] || give_up "no kernel with modules in /boot (apt-get install linux-image-amd64)"
[ -r "$kernel" ] || give_up "cannot read the kernel $kernel (GB_VM_KERNEL)"
kver=$(basename "$kernel")
kver=${kver#vmlinuz-}
moddir=/lib/modules/$kver
[ -d "$moddir/kernel" ] || give_up "no modules for $kernel in $moddir (apt-get install linux-image-$kver)"

mkdir -p "$work" || give_up "cannot create $work"

# --- the initramfs -------------------------------------------------------------
# Stage 1, /init in the initramfs (busybox sh, PID 1).
read -r -d '' init_sh <<'EOF'
#!/bin/busybox sh
# gradebox VM stage 1 (see tests/vm/run.sh). Messages start with "gbvm-init:".
/bin/busybox mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
/bin/busybox --install -s /bin
export PATH=/bin
die() {
	echo "gbvm-init: $*"
	if grep -q " /out " /proc/mounts 2>/dev/null; then echo "$*" >>/out/init-error; umount /out; fi
	sync
	poweroff -f
	echo o >/proc/sysrq-trigger
	sleep 30
}
mount -t proc proc /proc || die "mount /proc failed"
mount -t sysfs sysfs /sys || die "mount /sys failed"
for m in $(cat /modules.list); do
	insmod "/modules/$m.ko" || die "insmod $m failed"
done
mkdir -p /out /lower /rw /newroot
# The 9p channels appear when 9pnet_virtio probes; allow it a moment.
n=0
until mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 gbvmout /out 2>/dev/null; do
	n=$((n + 1))
	[ $n -lt 50 ] || die "cannot mount the 9p share gbvmout"
	sleep 0.1
done
echo "stage1 $(cat /proc/uptime)" >>/out/progress
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose,ro host /lower ||
	die "cannot mount the host root (9p tag host)"
mount -t tmpfs -o mode=0755 gbvm-rw /rw || die "cannot mount the tmpfs for the overlay"
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work,index=off,metacopy=off,redirect_dir=off,xino=off \
	gbvm-root /newroot || die "cannot mount the overlay root"
mkdir -p /newroot/.gbvm/out /newroot/.gbvm/host || die "the overlay root is not writable"
cp /bin/busybox /stage2 /newroot/.gbvm/ || die "cannot copy stage 2"
mount --move /out /newroot/.gbvm/out || die "cannot move /out"
mount --move /lower /newroot/.gbvm/host || die "cannot move /lower"
mount --move /dev /newroot/dev || die "cannot move /dev"
umount /proc /sys
exec switch_root -c /dev/console /newroot /.gbvm/stage2
die "switch_root failed"
EOF

# Stage 2, /.gbvm/stage2 in the overlay root (busybox sh, PID 1).
read -r -d '' stage2_sh <<'EOF'
#!/.gbvm/busybox sh
# gradebox VM stage 2 (see tests/vm/run.sh). Messages start with "gbvm-init:".
bb=/.gbvm/busybox
out=/.gbvm/out
off() {
	sync
	$bb umount $out 2>/dev/null
	$bb poweroff -f
	echo o >/proc/sysrq-trigger
	$bb sleep 30
}
die() {
	echo "gbvm-init: $*"
	echo "$*" >>$out/init-error
	off
}
$bb mount -t proc -o nosuid,nodev,noexec proc /proc || die "mount /proc failed"
$bb mount -t sysfs -o nosuid,nodev,noexec sysfs /sys || die "mount /sys failed"
$bb mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate cgroup2 /sys/fs/cgroup ||
	die "mount cgroup2 on /sys/fs/cgroup failed"
$bb mkdir -p /dev/pts /dev/shm /dev/mqueue
$bb mount -t devpts -o nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5 devpts /dev/pts ||
	die "mount devpts failed"
$bb mount -t tmpfs -o nosuid,nodev,mode=1777 shm /dev/shm || die "mount /dev/shm failed"
$bb mount -t mqueue -o nosuid,nodev,noexec mqueue /dev/mqueue
$bb mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs /tmp || die "mount /tmp failed"
$bb mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /run || die "mount /run failed"
$bb mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs /var/tmp || die "mount /var/tmp failed"
$bb mkdir -p /run/lock /run/user
# what udev would add to /dev
$bb ln -sfn /proc/self/fd /dev/fd
$bb ln -sfn /proc/self/fd/0 /dev/stdin
$bb ln -sfn /proc/self/fd/1 /dev/stdout
$bb ln -sfn /proc/self/fd/2 /dev/stderr
$bb ln -sfn /proc/kcore /dev/core
$bb chmod 1777 /run/lock
$bb hostname gbvm
$bb ip link set lo up
echo "stage2 $($bb cat /proc/uptime)" >>$out/progress
. $out/vm.conf
if [ -n "$GB_VM_PROJECT" ]; then
	$bb mkdir -p "$GB_VM_PROJECT"
	$bb mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose,ro gbvmproj \
		"$GB_VM_PROJECT" || die "mount the project share on $GB_VM_PROJECT failed"
fi

# cgroups as a systemd host has them: controllers enabled from the root down
# to the cgroup the tests run in (vm.conf: GB_VM_CGROUP).
. $out/vm.conf
cg=/sys/fs/cgroup
for c in $($bb cat $cg/cgroup.controllers); do echo "+$c" >$cg/cgroup.subtree_control; done
if [ "$GB_VM_CGROUP" != / ]; then
	path=$cg
	for part in $(echo "$GB_VM_CGROUP" | $bb tr / ' '); do
		path=$path/$part
		$bb mkdir -p "$path" || die "cannot create cgroup $path"
		[ "$path" = "$cg$GB_VM_CGROUP" ] && break
		for c in $($bb cat "$path/cgroup.controllers"); do
			echo "+$c" >"$path/cgroup.subtree_control"
		done
	done
	echo $$ >"$cg$GB_VM_CGROUP/cgroup.procs" || die "cannot enter cgroup $GB_VM_CGROUP"
fi

cd /
if [ "$GB_VM_MODE" = shell ]; then
	$bb setsid $bb cttyhack /bin/bash --rcfile $out/job.sh -i
	echo $? >$out/rc
else
	/bin/bash $out/job.sh </dev/null >>$out/tap 2>>$out/stderr
	echo $? >$out/rc
fi
echo "done $($bb cat /proc/uptime)" >>$out/progress
off
EOF

# Cache key: the scripts, the kernel, busybox and every module file.
build_initramfs() {
	local key_src="" m f found ko
	local -a files=()
	for m in "${modules[@]}"; do
		if grep -q "/$m\.ko\$" "$moddir/modules.builtin" 2>/dev/null; then
			continue
		fi
		found=$(find "$moddir/kernel" \( -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" \
			-o -name "$m.ko.gz" \) -print -quit)
		[ -n "$found" ] || { echo "kernel module $m missing in $moddir (apt-get install linux-image-$kver)"; return 1; }
		files+=("$m:$found")
	done
	key_src=$(printf '%s\n' "$init_sh" "$stage2_sh" "$kernel" "${files[@]}"
		stat -L -c '%n %s %Y' "$busybox" "${files[@]#*:}")
	key=$(printf '%s' "$key_src" | sha256sum | cut -c1-16)
	initramfs=$work/initramfs-$key.cpio
	[ -s "$initramfs" ] && { echo "$initramfs"; return 0; }

	exec 9>"$work/build.lock"
	flock 9
	if [ -s "$initramfs" ]; then echo "$initramfs"; return 0; fi
	local stage=$work/initramfs.tmp.$$
	rm -rf "$stage"
	mkdir -p "$stage"/{bin,dev,proc,sys,modules}
	cp "$busybox" "$stage/bin/busybox"
	printf '%s\n' "$init_sh" >"$stage/init"
	printf '%s\n' "$stage2_sh" >"$stage/stage2"
	chmod 755 "$stage/init" "$stage/stage2"
	: >"$stage/modules.list"
	for f in "${files[@]}"; do
		m=${f%%:*} ko=${f#*:}
		case $ko in
		*.xz) command -v xz >/dev/null || { echo "xz missing (apt-get install xz-utils)"; return 1; }
			xz -dc "$ko" >"$stage/modules/$m.ko" ;;
		*.zst) command -v zstd >/dev/null || { echo "zstd missing (apt-get install zstd)"; return 1; }
			zstd -qdc "$ko" >"$stage/modules/$m.ko" ;;
		*.gz) gzip -dc "$ko" >"$stage/modules/$m.ko" ;;
		*) cp "$ko" "$stage/modules/$m.ko" ;;
		esac || { echo "cannot unpack $ko"; return 1; }
		echo "$m" >>"$stage/modules.list"
	done
	(cd "$stage" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort | "$busybox" cpio -o -H newc -R 0:0 2>/dev/null) \
		>"$initramfs.tmp" || { echo "cpio failed"; return 1; }
	mv "$initramfs.tmp" "$initramfs"
	rm -rf "$stage"
	# Old initramfs images are of no use any more.
	find "$work" -maxdepth 1 -name 'initramfs-*.cpio' ! -name "initramfs-$key.cpio" -delete
	echo "$initramfs"
}
# In a subshell: prints the image's path, or why it could not be built.
if ! initramfs=$(build_initramfs); then
	rm -rf "$work/initramfs.tmp.$$" "$work"/initramfs-*.cpio.tmp
	give_up "cannot build the initramfs: $initramfs"
fi
[ $mode = build ] && { note "vm: initramfs $initramfs (kernel $kernel)"; exit 0; }

# --- one run -------------------------------------------------------------------
run=$work/run.$$
rm -rf "$run"
mkdir -p "$run/out"
qpid='' tpid=''
cleanup() {
	local i qemu_pid
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
		# $qpid is timeout(1); it passes the TERM on to qemu.
		qemu_pid=$(cat "$run/qemu.pid" 2>/dev/null)
		kill "$qpid" 2>/dev/null
		for i in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$qpid" 2>/dev/null || break
			sleep 0.5
		done
		kill -9 "$qpid" ${qemu_pid:+"$qemu_pid"} 2>/dev/null
		wait "$qpid" 2>/dev/null
	fi
	[ -n "$tpid" ] && kill "$tpid" 2>/dev/null
	if [ -d "$run" ]; then
		rm -rf "$work/last"
		mv "$run" "$work/last" 2>/dev/null || rm -rf "$run"
	fi
}
trap cleanup EXIT
interrupted() {
	vm_fail "interrupted by SIG$1 (see $work/last/console.log)"
	echo "1..$ntests"
	exit "$2"
}
trap 'interrupted INT 130' INT
trap 'interrupted TERM 143' TERM
trap 'interrupted HUP 129' HUP

# The job the VM runs, in bash, after stage 2.
{
	echo "# written by tests/vm/run.sh"
	echo "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
	echo "export HOME=/root LANG=C.UTF-8 TERM=dumb GB_VM=1"
	printf 'export GB_VM_TOP=%q\n' "$top"
	for v in $(compgen -e); do
		case $v in GB_VM_TOP | GB_VM) ;; GB_* | GRADEBOX*) printf 'export %s=%q\n' "$v" "${!v}" ;; esac
	done
	printf 'cd %q || exit 1\n' "$top"
	case $mode in
	bats) printf 'exec bats --tap'; printf ' %q' "${tests[@]}"; echo ;;
	cmd) printf 'exec'; printf ' %q' "$@"; echo ;;
	shell) echo 'PS1="gbvm:\w# "' ;;
	esac
} >"$run/out/job.sh"
printf 'GB_VM_CGROUP=%s\nGB_VM_MODE=%s\nGB_VM_PROJECT=%s\n' "$vm_cgroup" "$mode" "$project_share" \
	>"$run/out/vm.conf"
: >"$run/out/tap"

esc() { printf '%s' "${1//,/,,}"; } # qemu option values: a comma is doubled
cmdline="console=ttyS0 quiet loglevel=4 panic=-1 mitigations=off rdinit=/init ${GB_VM_APPEND-}"
qemu=(qemu-system-x86_64 -accel tcg -cpu max -m "$mem" -smp "$smp"
	-nodefaults -no-user-config -display none -no-reboot -pidfile "$run/qemu.pid"
	-kernel "$kernel" -initrd "$initramfs" -append "$cmdline"
	-virtfs "local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=$(esc "$run/out"),mount_tag=gbvmout,security_model=none,multidevs=remap")
[ -z "$project_share" ] ||
	qemu+=(-virtfs "local,path=$(esc "$project_share"),mount_tag=gbvmproj,security_model=none,readonly=on,multidevs=remap")

if [ $mode = shell ]; then
	note "vm: booting $kernel; the console is this terminal (exit the shell to power off, Ctrl-A x to kill)"
	"${qemu[@]}" -serial mon:stdio
	exit $?
fi

start=$(date +%s)
timeout -k 10 "$timeout_s" "${qemu[@]}" -serial "file:$(esc "$run/console.log")" \
	</dev/null >"$run/qemu.log" 2>&1 &
qpid=$!

# Follow the TAP the VM writes, re-printing it as it comes.
plan=
vm_line() {
	local line=$1 st num desc
	case $line in
	"ok "* | "not ok "*)
		if [[ $line =~ ^(not\ )?ok\ ([0-9]*)\ ?(-\ )?(.*)$ ]]; then
			st=${BASH_REMATCH[1]}ok num=${BASH_REMATCH[2]} desc=${BASH_REMATCH[4]}
			ntests=$((ntests + 1))
			[ "$st" = ok ] || nfail=$((nfail + 1))
			printf '%s %s- [vm] %s\n' "$st" "${num:+$num }" "$desc"
		fi
		;;
	1..*) plan=${line#1..}; note "vm: bats plan $line" ;;
	"#"*) printf '%s\n' "$line" ;;
	*) note "$line" ;;
	esac
}
exec 3< <(exec tail -n +1 -F --pid="$qpid" "$run/out/tap" 2>/dev/null)
tpid=$!
while IFS= read -r -u 3 line || [ -n "$line" ]; do
	vm_line "$line"
done
exec 3<&-
wait "$qpid"
qrc=$?
qpid=
elapsed=$(($(date +%s) - start))

log=$work/last/console.log # where cleanup() moves this run's logs
if [ -s "$run/out/stderr" ]; then
	note "vm: the tests wrote to stderr: see $work/last/out/stderr"
fi
if [ -f "$run/out/rc" ]; then
	rc=$(cat "$run/out/rc")
	if [ -n "$plan" ] && [ "$ntests" -lt "$plan" ]; then
		vm_fail "bats planned $plan tests, $ntests reported (see $log)"
	elif [ "$rc" != 0 ] && [ $nfail = 0 ]; then
		vm_fail "the test command exited with $rc (see $work/last/out/stderr)"
	fi
	boot=$(sed -n 's/^stage2 \([0-9.]*\) .*/\1/p' "$run/out/progress")
	note "vm: kernel $kver, booted in ${boot:-?}s (guest uptime), boot + run took ${elapsed}s"
else
	if [ $qrc = 124 ] || [ $qrc = 137 ]; then
		why="timed out after ${timeout_s}s"
	elif [ -s "$run/out/init-error" ]; then
		why="boot failed: $(tail -n1 "$run/out/init-error")"
	elif grep -q 'gbvm-init:' "$run/console.log" 2>/dev/null; then
		why="boot failed: $(grep -a 'gbvm-init:' "$run/console.log" | tail -n1 | tr -d '\r' | sed 's/.*gbvm-init: //')"
	elif grep -qa 'Kernel panic' "$run/console.log" 2>/dev/null; then
		why="kernel panic: $(grep -a 'Kernel panic' "$run/console.log" | tail -n1 | tr -d '\r')"
	elif [ $qrc != 0 ]; then
		why="qemu failed (exit $qrc): $(tail -n1 "$run/qemu.log")"
		log=$work/last/qemu.log
	else
		why="the VM stopped without a result"
	fi
	vm_fail "$why (see $log)"
	tail -n 15 "$run/console.log" 2>/dev/null | tr -d '\r' | sed 's/^/# console: /'
fi
echo "1..$ntests"
# bats must have reported at least one test; a bare command (--) its exit code.
[ $nfail = 0 ] && { [ $ntests -gt 0 ] || [ $mode = cmd ]; }
