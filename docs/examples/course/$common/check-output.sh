#!/bin/sh
# Shared by the course's tasks: compare a command's output with the expected
# text and report through the container API. Usage: check-output.sh EXPECTED CMD...
expected=$1; shift
out=$("$@" 2>&1)
if [ "$out" = "$expected" ]; then
	feedback-result success
	feedback-msg -m "Correct: your program printed the expected text."
else
	feedback-result failed
	feedback-msg -m "Expected \`$expected\`, your program printed \`$(printf %s "$out" | head -c 200)\`."
fi
