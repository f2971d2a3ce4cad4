#!/bin/sh
# Shared by the course's tasks: run a command (the student's code, in a
# student sandbox through run_student), compare its output with the expected
# text and report through the container API.
# Usage: check-output.sh EXPECTED CMD...
expected=$1; shift
# at most 100 kB of output is kept; the exit code travels through fd 3
out=$({ "$@" 2>&1; echo $? >/tmp/.rc; } | head -c 100000)
rc=$(cat /tmp/.rc 2>/dev/null)
case $rc in
252)	feedback-result overflow
	feedback-msg -m "Your program used more memory than allowed." ;;
253)	feedback-result timeout
	feedback-msg -m "Your program took too long." ;;
*)	if [ "$out" = "$expected" ]; then
		feedback-result success
		feedback-msg -m "Correct: your program printed the expected text."
	else
		feedback-result failed
		feedback-msg -m "Expected \`$expected\`, your program printed \`$(printf %s "$out" | head -c 200)\`."
	fi ;;
esac
