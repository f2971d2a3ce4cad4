#!/usr/bin/env bats
# Installing gradebox like a service (issue 12): the units pass
# systemd-analyze verify, make install puts everything in place and keeps an
# admin's gradebox.conf.
load helpers

setup() { gb_setup; }
teardown() { gb_teardown; }

# units UNITDIR: the unit templates with this build's binary as ExecStart.
units() {
	local t
	for t in gradebox.service gradebox.socket; do
		sed -e "s|@bindir@|$TOP|g" -e 's|@GB_CONFIG@|/etc/gradebox/gradebox.conf|g' \
			"$TOP/runtime/$t.in" >"$1/$t"
	done
}

@test "serve install: the systemd units pass systemd-analyze verify" {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"
	mkdir "$BATS_TEST_TMPDIR/units"
	units "$BATS_TEST_TMPDIR/units"
	run systemd-analyze verify --man=no "$BATS_TEST_TMPDIR/units/gradebox.service" \
		"$BATS_TEST_TMPDIR/units/gradebox.socket"
	echo "$output"
	[ "$status" -eq 0 ]
	grep -qx 'Delegate=yes' "$BATS_TEST_TMPDIR/units/gradebox.service"
	grep -qx 'StateDirectory=gradebox' "$BATS_TEST_TMPDIR/units/gradebox.service"
	grep -qx 'RuntimeDirectory=gradebox' "$BATS_TEST_TMPDIR/units/gradebox.service"
	grep -qx 'Restart=on-failure' "$BATS_TEST_TMPDIR/units/gradebox.service"
	grep -qx 'SocketMode=0660' "$BATS_TEST_TMPDIR/units/gradebox.socket"
}

@test "serve install: make install installs the binary, profile, man page, units and a default config it never overwrites" {
	[ -f "$TOP/Makefile" ] || skip "no configured build tree at $TOP"
	dest=$BATS_TEST_TMPDIR/dest
	make -s -C "$TOP" install DESTDIR="$dest" >/dev/null
	prefix=$(sed -n 's/^prefix = //p' "$TOP/Makefile")
	sysconfdir=$(sed -n 's/^sysconfdir = //p' "$TOP/Makefile" | sed "s|\${prefix}|$prefix|")
	[ -x "$dest$prefix/bin/gradebox" ]
	[ -f "$dest$prefix/share/gradebox/seccomp-default.txt" ]
	[ -f "$dest$prefix/share/man/man1/gradebox.1" ]
	grep -qx "ExecStart=$prefix/bin/gradebox serve" "$dest$prefix/lib/systemd/system/gradebox.service"
	[ -f "$dest$prefix/lib/systemd/system/gradebox.socket" ]
	conf=$dest$sysconfdir/gradebox/gradebox.conf
	cmp "$TOP/runtime/gradebox.conf" "$conf"
	# every key the default config names is one gradebox knows
	for key in $(sed -n 's/^# \([a-z_]*\) =.*/\1/p' "$conf"); do
		grep -q "\"$key\"" "$TOP/src/lib/config.c" || { echo "unknown key $key"; false; }
	done
	# an admin's config survives a reinstall and an uninstall
	echo 'slots = 3' >"$conf"
	make -s -C "$TOP" install DESTDIR="$dest" >/dev/null
	[ "$(cat "$conf")" = 'slots = 3' ]
	make -s -C "$TOP" uninstall DESTDIR="$dest" >/dev/null
	[ "$(cat "$conf")" = 'slots = 3' ]
	[ ! -e "$dest$prefix/bin/gradebox" ]
}

@test "serve install: the default config parses and sets the documented defaults" {
	GRADEBOX_CONFIG=$TOP/runtime/gradebox.conf run "$GRADEBOX" check
	[[ $output != *"gradebox.conf:"* ]]
	# uncommented, every line with a value is a valid setting (an empty one
	# stands for "unset"; paths of an installed tree may not exist here)
	sed -n 's/^# \([a-z_]* = [^ ]*\).*/\1/p' "$TOP/runtime/gradebox.conf" |
		grep -v '^seccomp_profile\|^helpers_dir\| = $' >"$BATS_TEST_TMPDIR/all.conf"
	GRADEBOX_CONFIG=$BATS_TEST_TMPDIR/all.conf run "$GRADEBOX" status --socket "$BATS_TEST_TMPDIR/none"
	[[ $output == *"cannot reach the queue daemon"* ]]
}
