#!/bin/bash
# Run every test program and script given, then print the grand total as
# the plain line "N passed, N failed, N skipped".
#
# Each program prints its own summary line last, either
#   <name>: N passed, N failed
# or, when it skipped something,
#   <name>: N passed, N failed, N skipped
# A program that dies without one counts as one failure, and so does one
# that reports no failure but exits non-zero.
#
# Skips. A program that skips a part or all of itself prints, for each
# part, a line of one of these forms (before its summary, counted in its
# "N skipped"):
#   SKIP <name>: <reason>        it could not run here (not root, ...)
#   SKIP-HW <name>: <reason>     this machine lacks a hardware feature the
#                                reason names (hugepages, an IOMMU, ...)
# As root, or with CI=true, a SKIP line of an end-to-end script (e2e_*.sh)
# counts as one failure: everything an e2e script needs but hardware is
# there, so its checks must run. SKIP-HW is allowed everywhere.
#
# Time limits. Each program runs under `timeout`, E2E_TIMEOUT seconds
# (default 600) or, for one of them, E2E_TIMEOUT_<name> (the file name
# without directory and extension, e.g. E2E_TIMEOUT_e2e_bench=900). On
# expiry it gets SIGTERM, its whole process group with it (so its traps
# remove its labs), and SIGKILL 30 s later if still there; it counts as one
# failure, with a line saying it timed out.
set -u
passed=0
failed=0
skipped=0
strict=0
{ [ "$(id -u)" = 0 ] || [ "${CI:-}" = true ]; } && strict=1
start=$(date +%s)
tpid=
# ^C or TERM: stop the program that runs (its traps clean up), then stop
stop() { [ -n "$tpid" ] && kill -TERM "$tpid" 2> /dev/null && wait "$tpid"; exit "$1"; }
trap 'stop 130' INT
trap 'stop 143' TERM
trap 'stop 129' HUP
for t in "$@"; do
	echo "== $t"
	name=$(basename "$t")
	name=${name%.*}
	var=E2E_TIMEOUT_$(tr -c 'A-Za-z0-9_\n' '_' <<< "$name")
	limit=${!var:-${E2E_TIMEOUT:-600}}
	log=$(mktemp)
	t0=$(date +%s)
	# timeout runs the program in a process group of its own and signals all of
	# it; in the background here, so that a ^C or TERM given to us reaches it
	timeout --signal=TERM --kill-after=30 "$limit" "./$t" > "$log" 2>&1 &
	tpid=$!
	wait "$tpid"
	code=$?
	tpid=
	cat "$log"
	timed_out=0
	if [ "$code" = 124 ] || { [ "$code" = 137 ] && [ $(( $(date +%s) - t0 )) -ge "$limit" ]; }; then
		timed_out=1
	fi
	last=$(tail -n 1 "$log")
	p= f= s=0
	if [[ $last =~ :\ ([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)?$ ]]; then
		p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} s=${BASH_REMATCH[4]:-0}
	fi
	if [ "$timed_out" = 1 ]; then
		echo "$t: timed out after $limit s (E2E_TIMEOUT or $var): counted as 1 failure"
		failed=$((failed + 1))
		[ -n "$p" ] && passed=$((passed + p)) && failed=$((failed + f)) && skipped=$((skipped + s))
	elif [ -n "$p" ]; then
		passed=$((passed + p))
		failed=$((failed + f))
		skipped=$((skipped + s))
		if [ "$code" -ne 0 ] && [ "$f" -eq 0 ]; then
			echo "$t: exit status $code after reporting no failure: counted as 1 failure"
			failed=$((failed + 1))
		fi
	else
		echo "$t: ended without its summary line (exit status $code): counted as 1 failure"
		failed=$((failed + 1))
	fi
	nskip=$(grep -c '^SKIP \|^SKIP-HW ' "$log")
	if [ "$nskip" -gt "$s" ]; then
		echo "$t: $nskip SKIP lines but $s skipped in its summary: counted as 1 failure"
		failed=$((failed + 1))
	fi
	if [ "$strict" = 1 ] && [[ $name == e2e_* ]] && grep -q '^SKIP ' "$log"; then
		n=$(grep -c '^SKIP ' "$log")
		echo "$t: $n part(s) skipped as root or CI (only SKIP-HW may skip there): counted as $n failure(s)"
		failed=$((failed + n))
	fi
	rm -f "$log"
done
echo "== $(( $(date +%s) - start )) s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
