#!/bin/sh
# Run every test program and script given, then print the grand total as
# the plain line "N passed, N failed". Each program prints its own
# "<name>: N passed, N failed" line last; a program that dies without one
# counts as one failure.
set -u
passed=0
failed=0
start=$(date +%s)
for t in "$@"; do
	echo "== $t"
	log=$(mktemp)
	"./$t" > "$log" 2>&1
	code=$?
	cat "$log"
	rc=$(tail -n 1 "$log" | sed -n 's/.*: \([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\1 \2/p')
	if [ -n "$rc" ]; then
		passed=$((passed + ${rc% *}))
		failed=$((failed + ${rc#* }))
		if [ "$code" -ne 0 ] && [ "${rc#* }" -eq 0 ]; then
			echo "$t: exit status $code after reporting no failure: counted as 1 failure"
			failed=$((failed + 1))
		fi
	else
		echo "$t: ended without its summary line: counted as 1 failure"
		failed=$((failed + 1))
	fi
	rm -f "$log"
done
echo "== $(( $(date +%s) - start )) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
