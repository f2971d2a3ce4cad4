#!/usr/bin/env bash
# One command from a fresh Debian 12 machine (as root) to a working gradebox:
# install what is missing, build, prepare the default rootfs image, and run
# grade the bundled example course. `./setup.sh --deps-only` only installs the packages (the test
# suite uses it).
set -euo pipefail
top=$(cd "$(dirname "$0")" && pwd)
cd "$top"

# Build: autotools + the six libraries configure checks for.
build_pkgs="build-essential autoconf automake libtool pkg-config libseccomp-dev libcap-dev
	libmnl-dev libjansson-dev libyaml-dev libarchive-dev"
# Run time and the default rootfs.
run_pkgs="busybox-static jq"
# The example course's Debian environments (python3, cpp).
env_pkgs="mmdebstrap zstd"
# Tests: real images (umoci, skopeo), the VM suite (qemu, Debian's kernel),
# tools the tests drive, and the runtimes the benchmarks compare against.
test_pkgs="bats jq python3 ipython3 python3-jinja2 iproute2 procps umoci skopeo mmdebstrap zstd xz-utils bzip2 qemu-system-x86
	linux-image-amd64 bubblewrap runc hyperfine strace"

deps() {
	local want=($build_pkgs $run_pkgs $env_pkgs)
	[ "${1:-}" = tests ] && want+=($test_pkgs)
	local missing=()
	for p in "${want[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "setup: installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() {
	[ -x configure ] || ./autogen.sh >/dev/null
	[ -f Makefile ] || ./configure -q
	make -s -j"$(nproc)"
}

if [ "$(id -u)" != 0 ]; then
	echo "setup: run as root (gradebox builds sandboxes with kernel namespaces)" >&2
	exit 1
fi
case ${1:-} in
--deps-only) deps tests; exit 0 ;;
--build-only) deps; build; exit 0 ;;
esac

deps
build

# The default rootfs: busybox with a `worker` (4242) user, imported into the
# store as the image `default`.
work=$top/build
mkdir -p "$work"
rootfs/busybox/build.sh "$work/rootfs-busybox" >/dev/null
tar -C "$work/rootfs-busybox" -cf "$work/rootfs-busybox.tar" .
./gradebox image import "$work/rootfs-busybox.tar" --name default

echo
echo "== gradebox check"
./gradebox check || true
echo
echo "== demo: a sandbox from the default image"
./gradebox run -- /bin/sh -c 'echo "hello from $(hostname): $(id)"; ls /'
echo
echo "== demo: limits (a busy loop against --time 1; expect exit 253)"
rc=0
./gradebox run --time 1 --meta "$work/demo-meta.json" -- /bin/sh -c 'while :; do :; done' || rc=$?
echo "exit code $rc; meta:"; cat "$work/demo-meta.json"

# The example course's environments, named as INGInious names them: python3
# (IPython and Jinja2, as INGInious's Python container has) and cpp (gcc).
# Built from the Debian mirror once (about a minute each), then kept.
env_image() {
	local name=$1
	shift
	./gradebox image list --json | jq -e --arg n "$name" 'any(.[]; .name == $n)' >/dev/null &&
		return 0
	echo "== building the $name environment (rootfs/debian-python/build.sh $*)"
	if rootfs/debian-python/build.sh "$work/env-$name.tar.zst" "$@" >"$work/env-$name.log" 2>&1; then
		./gradebox image import "$work/env-$name.tar.zst" --name "$name"
	else
		echo "setup: could not build $name (see $work/env-$name.log); its tasks are skipped"
	fi
}
env_image python3 ipython3 python3-jinja2
env_image cpp gcc libc6-dev

echo
echo "== grading the example course (docs/examples): every submission"
docs/examples/grade-all.sh "$top/gradebox"
