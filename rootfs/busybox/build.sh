#!/bin/sh
# Build the minimal default rootfs from Debian's busybox-static: a shell, the
# coreutils applets, /etc/passwd with `worker` (4242) as INGInious expects.
# usage: rootfs/busybox/build.sh OUTDIR
set -eu
out=${1:?usage: $0 OUTDIR}
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "$0: $busybox missing: apt-get install busybox-static" >&2; exit 1; }
if ldd "$busybox" >/dev/null 2>&1; then
	echo "$0: $busybox is dynamically linked: apt-get install busybox-static" >&2
	exit 1
fi

tmp="$out.tmp.$$"
rm -rf "$tmp"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"
cd "$tmp"
mkdir -p bin sbin usr/bin usr/sbin etc tmp proc sys dev root task home/worker var/tmp run
chmod 1777 tmp var/tmp
chmod 700 root
cp "$busybox" bin/busybox
for applet in $(bin/busybox --list-full); do
	[ "$applet" = bin/busybox ] && continue
	[ -e "$applet" ] || ln -s /bin/busybox "$applet"
done
cat > etc/passwd <<'P'
root:x:0:0:root:/root:/bin/sh
worker:x:4242:4242:INGInious worker:/task:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > etc/group <<'G'
root:x:0:
worker:x:4242:
nogroup:x:65534:
G
echo "gradebox" > etc/hostname
printf 'hosts: files\n' > etc/nsswitch.conf
printf '127.0.0.1 localhost\n::1 localhost\n' > etc/hosts
chown 4242:4242 home/worker task 2>/dev/null || true
cd - >/dev/null
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
echo "$out"
