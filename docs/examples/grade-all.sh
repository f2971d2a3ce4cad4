#!/usr/bin/env bash
# Grade every example submission of the example course and print a table:
# task, submission, result, grade, CPU and wall seconds.
#
# usage: docs/examples/grade-all.sh [GRADEBOX]
#   a task whose environment is not imported is listed as skipped, with how
#   to build it (rootfs/README.md)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
gradebox=${1:-gradebox}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
images=$("$gradebox" image list --json 2>/dev/null | jq -r '.[].name')

printf '%-12s %-11s %-9s %6s %6s %6s\n' TASK SUBMISSION RESULT GRADE CPU WALL
for task in "$here"/course/*/; do
	task=${task%/}
	name=${task##*/}
	[ "$name" = '$common' ] && continue
	env=$(sed -n 's/^environment_id: *//p' "$task/task.yaml")
	if ! grep -qx "$env" <<<"$images"; then
		printf '%-12s %-11s skipped: environment %s is not imported (see rootfs/README.md)\n' \
			"$name" - "$env"
		continue
	fi
	for sub in "$here"/submissions/"$name"/*.json; do
		s=$(basename "$sub" .json)
		"$gradebox" grade --task "$task" --input "$sub" --result "$out/r.json" 2>"$out/err"
		if [ -s "$out/r.json" ]; then
			jq -r --arg t "$name" --arg s "$s" \
				'"\($t)\t\($s)\t\(.result)\t\(.grade)\t\(.stats.cpu_time*100|round/100)\t\(.stats.wall_time*100|round/100)"' \
				"$out/r.json" | awk -F'\t' '{ printf "%-12s %-11s %-9s %6s %6s %6s\n", $1, $2, $3, $4, $5, $6 }'
		else
			printf '%-12s %-11s could not grade: %s\n' "$name" "$s" "$(head -1 "$out/err")"
		fi
		rm -f "$out/r.json"
	done
done
