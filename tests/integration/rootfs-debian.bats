#!/usr/bin/env bats
# rootfs/debian-python: a Debian Python 3 environment built without Docker
# (mmdebstrap, about 30 s with the mirror reachable), imported and run.
# The tarball is built once and kept under tests/.work.

load helpers

TARBALL=$PYTHON_TARBALL

setup_file() { gb_build_python_tarball; }

@test "rootfs/debian-python: the tarball imports as an image" {
	run gb image import "$TARBALL" --name debian-python
	echo "$output"
	[ "$status" -eq 0 ]
	run gb image list
	[[ $output == *debian-python* ]]
}

@test "rootfs/debian-python: python3 runs in it as worker (4242)" {
	gb image import "$TARBALL" --name debian-python
	run gb run --image debian-python -- python3 -c \
		'import os, pwd, yaml; print(pwd.getpwuid(os.getuid()).pw_name, os.getuid(), pwd.getpwnam("worker").pw_dir)'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "worker 4242 /task" ]
}

@test "rootfs/debian-python: with no mirror in the host's apt sources it says so and stops" {
	# A private mount namespace hides /etc/apt from the recipe only.
	run unshare -m sh -c 'mount -t tmpfs none /etc/apt &&
		exec "$0" "$1"' "$TOP/rootfs/debian-python/build.sh" "$BATS_TEST_TMPDIR/none.tar.zst"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ $output == *"no Debian mirror"*"MIRROR="* ]]
	[ ! -e "$BATS_TEST_TMPDIR/none.tar.zst" ]
}
