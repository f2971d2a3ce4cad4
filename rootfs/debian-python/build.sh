#!/bin/sh
# Build a Debian Python 3 grading environment without Docker: mmdebstrap
# (variant minbase) plus python3 and the usual grader tools, the INGInious
# user `worker` (uid/gid 4242, home /task), as a compressed rootfs tarball
# that `gradebox image import OUT --name NAME` accepts. It has what INGInious's
# Python environments (`default`, `python3`) give run files: IPython, so
# that run.py's `!cmd` lines work under inginious-ipython, and Jinja2 for
# feedback templates.
#
# usage: rootfs/debian-python/build.sh OUT.tar.zst [PACKAGE...]
#   extra PACKAGEs are installed too (e.g. python3-numpy)
#   SUITE   Debian release (default: bookworm)
#   MIRROR  Debian mirror (default: the one this host's apt uses; there is no
#           built-in address: with none found the recipe says so and stops)
# Needs: mmdebstrap, zstd (apt-get install mmdebstrap zstd); run as root.
set -eu
out=${1:?usage: $0 OUT.tar.zst [PACKAGE...]}
shift
suite=${SUITE:-bookworm}
packages="python3 python3-yaml python3-venv ipython3 python3-jinja2 bash procps ca-certificates $*"

default_mirror() {
	# deb822 sources first, then the one-line format
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i ~ /\/debian\/?$/) { print $i; exit } }' "$f"
	done | head -n 1
	[ -f /etc/apt/sources.list ] &&
		awk '$1 == "deb" && $2 ~ /\/debian\/?$/ { print $2; exit }' /etc/apt/sources.list
}
mirror=${MIRROR:-$(default_mirror | head -n 1)}
if [ -z "$mirror" ]; then
	echo "$0: no Debian mirror in /etc/apt/sources.list or /etc/apt/sources.list.d/*.sources;" \
		"set MIRROR=http://HOST/debian" >&2
	exit 1
fi

command -v mmdebstrap >/dev/null || { echo "$0: mmdebstrap missing: apt-get install mmdebstrap" >&2; exit 1; }

# Device nodes are left out (--skip=output/dev): sandboxes get their own
# /dev, and gradebox refuses device nodes in images.
mmdebstrap --variant=minbase --mode=root --format=tar --skip=output/dev \
	--include="$(echo $packages | tr ' ' ',')" \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-include=/usr/share/doc/*/copyright' \
	--customize-hook='chroot "$1" groupadd --gid 4242 worker' \
	--customize-hook='chroot "$1" useradd --uid 4242 --gid 4242 --home-dir /task --no-create-home --shell /bin/bash --comment "INGInious worker" worker' \
	--customize-hook='mkdir -p "$1/task" && chown 4242:4242 "$1/task"' \
	--customize-hook='rm -rf "$1"/var/cache/apt/*.bin "$1"/var/lib/apt/lists/*' \
	"$suite" "$out" "$mirror"
echo "$out"
