#!/usr/bin/env bats
# gradebox image: import Docker and OCI images and rootfs trees into the
# layer store, list, inspect, rm; hostile archives are refused and change
# nothing. Test images are built with umoci and skopeo (fixtures/), once,
# under tests/.work/images.

load helpers

FIX=$BATS_TEST_DIRNAME/fixtures
IMAGES=$TOP/tests/.work/images

setup_file() {
	local rootfs=${GB_TEST_ROOTFS:-$TOP/tests/.work/rootfs} stamp=$IMAGES/.stamp
	[ -d "$rootfs" ] || return 0
	if [ ! -f "$stamp" ] || [ -n "$(find "$FIX" -newer "$stamp" -type f)" ]; then
		"$FIX/build-images.sh" "$IMAGES" "$rootfs" >"$BATS_FILE_TMPDIR/build.log" 2>&1 ||
			{ cat "$BATS_FILE_TMPDIR/build.log" >&2; return 1; }
		touch "$stamp"
	fi
}

setup() {
	gb_setup
	MNT=$BATS_TEST_TMPDIR/mnt
	BG_PIDS=()
}

teardown() {
	local p
	for p in "${BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	if mountpoint -q "$MNT" 2>/dev/null; then umount "$MNT"; fi
	gb_teardown
}

# Lower dirs of an image, top first (overlay's order).
lowers() {
	gb image inspect "$1" | python3 -c 'import json, sys
print(":".join(reversed([l["path"] for l in json.load(sys.stdin)["layers"]])))'
}

# Mount the image's layers read-only at $MNT, as a sandbox would see them.
mount_image() {
	local l
	l=$(lowers "$1")
	mkdir -p "$MNT"
	if [[ $l == *:* ]]; then
		mount -t overlay overlay -o "ro,lowerdir=$l" "$MNT"
	else
		mount --bind "$l" "$MNT"
		mount -o remount,bind,ro "$MNT"
	fi
}

assert_same_tree() {
	run python3 "$FIX/treecmp.py" "$1" "$2"
	echo "$output"
	[ "$status" -eq 0 ]
}

# Everything in the store, to prove a refused import changed nothing.
store_listing() {
	(cd "$GRADEBOX_STATE_DIR" && find . -type f -printf '%p %s %m\n' -o -printf '%p %y %m\n' |
		sort)
}

# A refused import: exit 254, one line naming the file and the problem,
# and the store exactly as before.
assert_refused() {
	local file=$1 problem=$2 before
	before=$(store_listing)
	run gb image import "$file" --name hostile
	echo "$output"
	[ "$status" -eq 254 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == "gradebox: $file"* ]]
	[[ $output == *"$problem"* ]]
	[ "$(store_listing)" = "$before" ]
}

with_store() {
	gb image import "$IMAGES/base-docker.tar" >/dev/null
}

layer_dirs() {
	find "$GRADEBOX_STATE_DIR/layers" -mindepth 1 -maxdepth 1 -type d ! -name '.*' | wc -l
}

@test "image import: docker save archive gives the tree umoci unpacks" {
	run gb image import "$IMAGES/multi-docker.tar"
	[ "$status" -eq 0 ]
	[ "$output" = "imported gb-multi" ]
	mount_image gb-multi
	assert_same_tree "$IMAGES/ref-multi/rootfs" "$MNT"
}

@test "image import: oci-archive gives the tree umoci unpacks" {
	run gb image import "$IMAGES/multi-oci.tar"
	[ "$status" -eq 0 ]
	mount_image gb-multi
	assert_same_tree "$IMAGES/ref-multi/rootfs" "$MNT"
}

@test "image import: OCI layout directory gives the tree umoci unpacks" {
	run gb image import "$IMAGES/multi-layout"
	[ "$status" -eq 0 ]
	mount_image gb-multi
	assert_same_tree "$IMAGES/ref-multi/rootfs" "$MNT"
}

@test "image import: the comparison sees a missing layer" {
	gb image import "$IMAGES/multi-oci.tar"
	l=$(lowers gb-multi)
	mkdir -p "$MNT"
	mount -t overlay overlay -o "ro,lowerdir=${l#*:}" "$MNT" # without the top layer
	run python3 "$FIX/treecmp.py" "$IMAGES/ref-multi/rootfs" "$MNT"
	[ "$status" -eq 1 ]
	[[ $output == *"data/tofile"* ]]
}

@test "image import: whiteouts are stored in overlayfs form" {
	gb image import "$IMAGES/multi-oci.tar"
	layers=($(gb image inspect gb-multi | python3 -c 'import json, sys
print(" ".join(l["path"] for l in json.load(sys.stdin)["layers"]))'))
	# layer 3 deleted data/gone.txt: a 0:0 character device
	[ "$(stat -c '%F %t:%T' "${layers[2]}/data/gone.txt")" = "character special file 0:0" ]
	# layer 4 made data/opaque opaque
	run python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "trusted.overlay.opaque"))' \
		"${layers[3]}/data/opaque"
	[ "$output" = "b'y'" ]
	# no .wh. name survives
	[ -z "$(find "${layers[@]}" -name '.wh.*')" ]
}

@test "image import: owners, modes, xattrs and hard links as in the image" {
	gb image import "$IMAGES/multi-docker.tar"
	layer2=$(gb image inspect gb-multi | python3 -c 'import json, sys
print(json.load(sys.stdin)["layers"][1]["path"])')
	[ "$(stat -c '%u:%g %a' "$layer2/data/owned")" = "4242:4242 640" ]
	[ "$(stat -c '%u:%g %a' "$layer2/data/private")" = "1000:1000 700" ]
	[ "$(stat -c '%a' "$layer2/data/suid")" = "4755" ]
	[ "$(stat -c '%i' "$layer2/data/keep.txt")" = "$(stat -c '%i' "$layer2/data/hardlink.txt")" ]
	[ "$(readlink "$layer2/data/abs-sym")" = "/etc/passwd" ]
	run python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "user.gradebox"))' \
		"$layer2/data/xattr"
	[ "$output" = "b'hello'" ]
}

@test "image import: name from --name, else the label, else the repository tag" {
	run gb image import "$IMAGES/other-docker.tar" --name custom
	[ "$output" = "imported custom" ]
	run gb image import "$IMAGES/other-docker.tar"
	[ "$output" = "imported gb-other" ]
	python3 "$FIX/mkimage.py" docker "$BATS_TEST_TMPDIR/tagged.tar" --tag ingi/tagged:1
	run gb image import "$BATS_TEST_TMPDIR/tagged.tar"
	[ "$output" = "imported ingi/tagged:1" ]
	run gb image list --json
	[[ $output == *'"custom"'* && $output == *'"gb-other"'* && $output == *'"ingi/tagged:1"'* ]]
}

@test "image import: an image with no name is refused, asking for --name" {
	python3 "$FIX/mkimage.py" docker "$BATS_TEST_TMPDIR/anon.tar"
	run gb image import "$BATS_TEST_TMPDIR/anon.tar"
	[ "$status" -eq 254 ]
	[[ $output == *"--name"* ]]
	run gb image import "$BATS_TEST_TMPDIR/anon.tar" --name 'bad name'
	[ "$status" -eq 254 ]
	[[ $output == *"invalid image name"* ]]
}

@test "image import: rootfs tarballs, plain and gzip, xz, zstd, bzip2 compressed" {
	tar -C "$ROOTFS" -cf "$BATS_TEST_TMPDIR/rootfs.tar" .
	for z in gzip xz zstd bzip2; do
		$z -k -c "$BATS_TEST_TMPDIR/rootfs.tar" >"$BATS_TEST_TMPDIR/rootfs.tar.$z"
	done
	for f in rootfs.tar rootfs.tar.gzip rootfs.tar.xz rootfs.tar.zstd rootfs.tar.bzip2; do
		run gb image import "$BATS_TEST_TMPDIR/$f" --name "r-$f"
		echo "$output"
		[ "$status" -eq 0 ]
		assert_same_tree "$ROOTFS" "$(lowers "r-$f")"
	done
	# the same tar, however compressed, is one layer
	[ "$(layer_dirs)" -eq 1 ]
}

@test "image import: rootfs directory" {
	run gb image import "$ROOTFS" --name busybox
	[ "$status" -eq 0 ]
	assert_same_tree "$ROOTFS" "$(lowers busybox)"
	run gb image inspect busybox
	[[ $output == *'"format": "rootfs-dir"'* ]]
	[[ $output == *'PATH='* ]]
}

@test "image import: two images sharing a base store the base layer once" {
	gb image import "$IMAGES/multi-oci.tar"
	gb image import "$IMAGES/other-docker.tar"
	base_multi=$(lowers gb-multi | tr ':' '\n' | tail -1)
	base_other=$(lowers gb-other | tr ':' '\n' | tail -1)
	[ "$base_multi" = "$base_other" ]
	[ "$(layer_dirs)" -eq 6 ] # 5 of multi + 1 of other
}

@test "image import: a multi-platform index gives the linux/amd64 image" {
	python3 "$FIX/mkimage.py" multiarch "$BATS_TEST_TMPDIR/ma"
	run gb image import "$BATS_TEST_TMPDIR/ma"
	[ "$status" -eq 0 ]
	[ "$output" = "imported multiarch:1" ]
	[ "$(cat "$(lowers multiarch:1)/arch.txt")" = amd64 ]
}

@test "image import: two imports of the same layers at once" {
	"$GRADEBOX" image import "$IMAGES/multi-docker.tar" --name a &
	pa=$!
	"$GRADEBOX" image import "$IMAGES/multi-oci.tar" --name b &
	pb=$!
	wait $pa
	wait $pb
	[ "$(layer_dirs)" -eq 5 ]
	[ -z "$(find "$GRADEBOX_STATE_DIR/layers" -maxdepth 1 -name '.*')" ]
	mount_image b
	assert_same_tree "$IMAGES/ref-multi/rootfs" "$MNT"
}

@test "image import: a killed import leaves nothing visible; the next one cleans up" {
	mkdir "$BATS_TEST_TMPDIR/big"
	head -c 400M /dev/zero >"$BATS_TEST_TMPDIR/big/zeros"
	cp -a "$ROOTFS/." "$BATS_TEST_TMPDIR/big/"
	tar -C "$BATS_TEST_TMPDIR/big" -cf "$BATS_TEST_TMPDIR/big.tar" .
	rm -rf "$BATS_TEST_TMPDIR/big"
	with_store
	before=$(gb image list --json)
	"$GRADEBOX" image import "$BATS_TEST_TMPDIR/big.tar" --name big &
	pid=$!
	BG_PIDS+=($pid)
	for _ in $(seq 500); do
		compgen -G "$GRADEBOX_STATE_DIR/layers/.tmp-*" >/dev/null && break
		sleep 0.01
	done
	kill -9 $pid
	wait $pid || true
	compgen -G "$GRADEBOX_STATE_DIR/layers/.tmp-*" >/dev/null # it was caught mid-way
	[ "$(gb image list --json)" = "$before" ]
	[ "$(layer_dirs)" -eq 1 ]
	# gradebox gc removes what the dead import left
	run gb gc
	[ "$status" -eq 0 ]
	[ -z "$(find "$GRADEBOX_STATE_DIR/layers" -maxdepth 1 -name '.*')" ]
	# and so does the next import
	dead=$(sh -c 'echo $$')
	mkdir -p "$GRADEBOX_STATE_DIR/layers/.tmp-$dead-1/usr"
	gb image import "$IMAGES/other-docker.tar"
	[ -z "$(find "$GRADEBOX_STATE_DIR/layers" -maxdepth 1 -name '.*')" ]
	gb image list --json | grep -q gb-other
}

@test "image import: leaves a live import's temporary directory alone" {
	with_store
	# a temporary directory whose owner (this shell) is alive and holds it
	mkdir "$GRADEBOX_STATE_DIR/layers/.tmp-$$-1"
	(
		exec 9<"$GRADEBOX_STATE_DIR/layers/.tmp-$$-1"
		flock 9
		touch "$BATS_TEST_TMPDIR/locked"
		exec sleep 60
	) &
	BG_PIDS+=($!)
	wait_for_file "$BATS_TEST_TMPDIR/locked"
	gb image import "$IMAGES/other-docker.tar"
	run gb gc
	[ "$status" -eq 0 ]
	[ -d "$GRADEBOX_STATE_DIR/layers/.tmp-$$-1" ]
}

@test "image import: re-importing a name replaces it and frees the old layers" {
	gb image import "$IMAGES/multi-docker.tar" --name env
	gb image import "$IMAGES/other-docker.tar" --name env
	[ "$(layer_dirs)" -eq 2 ]
	[ "$(gb image list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" -eq 1 ]
}

@test "image import: refuses path traversal" {
	with_store
	python3 "$FIX/mkimage.py" hostile traversal "$BATS_TEST_TMPDIR/t.tar"
	assert_refused "$BATS_TEST_TMPDIR/t.tar" "entry '../escaped': path goes outside the layer"
	[ ! -e "$GRADEBOX_STATE_DIR/escaped" ]
	[ ! -e "$GRADEBOX_STATE_DIR/layers/escaped" ]
}

@test "image import: refuses absolute paths" {
	with_store
	python3 "$FIX/mkimage.py" hostile absolute "$BATS_TEST_TMPDIR/a.tar"
	assert_refused "$BATS_TEST_TMPDIR/a.tar" "entry '/etc/escaped': absolute path"
}

@test "image import: refuses a file written through a symlink" {
	with_store
	mkdir "$BATS_TEST_TMPDIR/victim"
	VICTIM=$BATS_TEST_TMPDIR/victim python3 "$FIX/mkimage.py" hostile symlink-escape \
		"$BATS_TEST_TMPDIR/s.tar"
	assert_refused "$BATS_TEST_TMPDIR/s.tar" "entry 'lnk/escaped': path goes through a symlink"
	[ -z "$(ls -A "$BATS_TEST_TMPDIR/victim")" ]
}

@test "image import: refuses hard links out of the layer" {
	with_store
	python3 "$FIX/mkimage.py" hostile hardlink-outside "$BATS_TEST_TMPDIR/h.tar"
	assert_refused "$BATS_TEST_TMPDIR/h.tar" "entry 'h': hard link target: path goes outside"
	python3 "$FIX/mkimage.py" hostile hardlink-symlink "$BATS_TEST_TMPDIR/h2.tar"
	assert_refused "$BATS_TEST_TMPDIR/h2.tar" "entry 'h': hard link target goes through a symlink"
}

@test "image import: refuses device nodes" {
	with_store
	python3 "$FIX/mkimage.py" hostile device "$BATS_TEST_TMPDIR/d.tar"
	assert_refused "$BATS_TEST_TMPDIR/d.tar" "entry 'dev/mem': device node"
}

@test "image import: refuses a decompression bomb over max_unpacked_mb" {
	with_store
	python3 "$FIX/mkimage.py" hostile bomb "$BATS_TEST_TMPDIR/bomb.tar.gz"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/bomb.tar.gz")" -lt 1000000 ]
	export GRADEBOX_MAX_UNPACKED_MB=16
	assert_refused "$BATS_TEST_TMPDIR/bomb.tar.gz" "unpacked size exceeds the limit of 16 MB"
	export GRADEBOX_MAX_UNPACKED_MB=128
	run gb image import "$BATS_TEST_TMPDIR/bomb.tar.gz" --name bomb-allowed
	[ "$status" -eq 0 ]
}

@test "image import: refuses truncated archives" {
	with_store
	head -c 1500000 "$IMAGES/multi-docker.tar" >"$BATS_TEST_TMPDIR/trunc.tar"
	assert_refused "$BATS_TEST_TMPDIR/trunc.tar" "runcated"
	tar -C "$ROOTFS" -czf - . | head -c 300000 >"$BATS_TEST_TMPDIR/trunc.tar.gz"
	assert_refused "$BATS_TEST_TMPDIR/trunc.tar.gz" "runcated"
}

@test "image import: refuses a docker save whose layer does not match its diff_id" {
	with_store
	python3 "$FIX/mkimage.py" docker "$BATS_TEST_TMPDIR/w.tar" --tag w:1 --wrong-diff-id
	assert_refused "$BATS_TEST_TMPDIR/w.tar" "diff_id mismatch"
}

@test "image import: refuses an OCI layout with a tampered blob" {
	with_store
	cp -a "$IMAGES/multi-layout" "$BATS_TEST_TMPDIR/tampered"
	# change 8 bytes near the end of layer 2 (the base layer is in the store
	# already, so it is not read again)
	python3 - "$BATS_TEST_TMPDIR/tampered" <<-'EOF'
		import json, sys
		d = sys.argv[1] + "/blobs/sha256/"
		m = json.load(open(d + json.load(open(sys.argv[1] + "/index.json"))["manifests"][0]["digest"][7:]))
		with open(d + m["layers"][1]["digest"][7:], "r+b") as f:
		    f.seek(-100, 2)
		    f.write(b"\0" * 8)
	EOF
	before=$(store_listing)
	run gb image import "$BATS_TEST_TMPDIR/tampered"
	echo "$output"
	[ "$status" -eq 254 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == *"tampered"* ]]
	[ "$(store_listing)" = "$before" ]
}

@test "image import: refuses what is not an image" {
	head -c 5000 /dev/urandom >"$BATS_TEST_TMPDIR/junk"
	run gb image import "$BATS_TEST_TMPDIR/junk" --name junk
	[ "$status" -eq 254 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == *"junk"* ]]
	run gb image import "$BATS_TEST_TMPDIR/missing" --name m
	[ "$status" -eq 254 ]
	[[ $output == *"missing: No such file"* ]]
	run gb image import
	[ "$status" -eq 254 ]
}

@test "image list: name, id, size, layers, created" {
	gb image import "$IMAGES/multi-docker.tar"
	run gb image list
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "NAME"*"ID"*"SIZE"*"LAYERS"*"CREATED" ]]
	[[ ${lines[1]} =~ ^gb-multi\ +[0-9a-f]{12}\ +[0-9.]+\ [kMG]?B\ +5\ +[0-9]{4}- ]]
}

@test "image list: an empty store lists nothing" {
	run gb image list --json
	[ "$status" -eq 0 ]
	[ "$output" = "[]" ]
}

@test "image inspect: layers, config and labels as JSON" {
	gb image import "$IMAGES/multi-oci.tar"
	run gb image inspect gb-multi
	[ "$status" -eq 0 ]
	echo "$output" | python3 -c 'import json, sys
img = json.load(sys.stdin)
assert img["name"] == "gb-multi", img
assert img["id"].startswith("sha256:")
assert len(img["layers"]) == 5
assert img["config"]["WorkingDir"] == "/task"
assert "GB_TEST=1" in img["config"]["Env"]
assert img["config"]["Labels"]["org.inginious.grading.name"] == "gb-multi"'
	run gb image inspect nosuch
	[ "$status" -eq 254 ]
	[[ $output == *"no image named 'nosuch'"* ]]
}

@test "image rm: removes the layers no other image uses" {
	gb image import "$IMAGES/multi-docker.tar"
	gb image import "$IMAGES/other-oci.tar"
	run gb image rm gb-multi
	[ "$status" -eq 0 ]
	[ "$output" = "removed gb-multi (4 layers freed)" ]
	[ "$(layer_dirs)" -eq 2 ]
	mount_image gb-other
	[ "$(cat "$MNT/other.txt")" = other ]
	umount "$MNT"
	gb image rm gb-other
	[ "$(layer_dirs)" -eq 0 ]
	[ -z "$(ls -A "$GRADEBOX_STATE_DIR/layers")" ]
	run gb image rm gb-other
	[ "$status" -eq 254 ]
}

@test "image rm: refused while a run holds the image" {
	gb image import "$IMAGES/other-docker.tar"
	local ready=$BATS_TEST_TMPDIR/ready
	mkdir "$ready"
	chmod 777 "$ready"
	# a sandbox on the image that runs until told to stop
	"$GRADEBOX" run --image gb-other --bind "$ready:/ready:rw" -- /bin/sh -c \
		'touch /ready/up; while [ ! -e /ready/stop ]; do sleep 0.05; done; cat /other.txt' \
		>"$BATS_TEST_TMPDIR/out" 2>&1 &
	local box=$!
	BG_PIDS+=($box)
	wait_for_file "$ready/up"
	run gb image rm gb-other
	local refused_status=$status refused_output=$output
	touch "$ready/stop"
	wait $box
	# the sandbox still saw its image to the end
	[ "$(cat "$BATS_TEST_TMPDIR/out")" = other ]
	[ "$refused_status" -eq 254 ]
	[[ $refused_output == *"in use by a running sandbox"* ]]
	[ "$(layer_dirs)" -eq 2 ]
	# once the run is over, rm works
	run gb image rm gb-other
	[ "$status" -eq 0 ]
	[ "$(layer_dirs)" -eq 0 ]
}

@test "image rm: several names at once" {
	gb image import "$IMAGES/multi-docker.tar"
	gb image import "$IMAGES/other-oci.tar"
	gb image import "$IMAGES/base-docker.tar"
	run gb image rm gb-multi gb-other
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 2 ]
	[[ ${lines[0]} == "removed gb-multi "* ]]
	[[ ${lines[1]} == "removed gb-other "* ]]
	[ "$(gb image list --json | python3 -c 'import json, sys; print(" ".join(i["name"] for i in json.load(sys.stdin)))')" = gb-base ]
	# only the base layer, which gb-base still uses, is left
	[ "$(layer_dirs)" -eq 1 ]
}

@test "run without --image or --rootfs uses the default image" {
	cp -a "$ROOTFS" "$BATS_TEST_TMPDIR/rootfs"
	echo default-image >"$BATS_TEST_TMPDIR/rootfs/marker"
	gb image import "$BATS_TEST_TMPDIR/rootfs" --name default
	gb image import "$ROOTFS" --name plain
	run gb run -- cat /marker
	[ "$status" -eq 0 ]
	[ "$output" = default-image ]
	# default_image names another one
	GRADEBOX_DEFAULT_IMAGE=plain run gb run -- /bin/sh -c 'test -e /marker || echo no-marker'
	[ "$status" -eq 0 ]
	[ "$output" = no-marker ]
	GRADEBOX_DEFAULT_IMAGE=missing run gb run -- /bin/true
	[ "$status" -eq 254 ]
	[[ $output == *"'missing'"* ]]
}

@test "run --image: the sandbox sees the image with its Env and WorkingDir" {
	gb image import "$IMAGES/multi-docker.tar"
	run gb run --image gb-multi -- /bin/sh -c 'echo "$GB_TEST $(pwd)"; cat /data/dir/c /data/opaque/new.txt; ls /data/opaque; stat -c "%u %a" /data/owned'
	echo "$output"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "1 /task" ]
	[ "${lines[1]}" = c ]
	[ "${lines[2]}" = new ]
	[ "${lines[3]}" = new.txt ]
	[ "${lines[4]}" = "4242 600" ]
}
