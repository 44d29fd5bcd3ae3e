#!/bin/bash
# e2e_san.sh - full epwget runs under AddressSanitizer, UBSan and
# LeakSanitizer (the SAN=1 build, `make test SAN=1`) against nginx in the
# veth lab: 20,000 flows on two cores, keep-alive with -o bodies, and a
# SIGINT mid-run. Each must exit as it should with no sanitizer report at
# all, leaks included (LSan checks at exit: everything epwget and DPDK
# allocated must be freed or still reachable). In the ordinary static build
# there is no sanitizer to ask, and the script says so and skips. The lab is
# removed on every exit path (test/lab.sh).
set -u
cd "$(dirname "$0")/.."
. test/lab.sh
EPWGET=${EPWGET:-./epwget}	# make test sets it, and E2E_SAN=1 for the SAN=1 build

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; shift; for l in "$@"; do echo "  $l"; done; }

if [ "${E2E_SAN:-0}" != 1 ]; then
	echo "SKIP e2e_san: needs the sanitizer build (make test SAN=1)"
	echo "e2e_san: 0 passed, 0 failed, 1 skipped"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "SKIP e2e_san: needs root (network namespaces)"
	echo "e2e_san: 0 passed, 0 failed, 1 skipped"
	exit 0
fi
# a leak check that cannot run must not pass: LSan has to be in the binary
if nm "$EPWGET" 2>/dev/null | grep -q '__lsan_do_leak_check'; then
	ok "LeakSanitizer is linked into $EPWGET"
else
	bad "LeakSanitizer is linked into $EPWGET" "no __lsan_do_leak_check: not a SAN=1 build?"
	echo "e2e_san: $passed passed, $failed failed"
	exit 1
fi

lab_up san 71 || { echo "e2e_san: 0 passed, 1 failed"; exit 1; }
lab_trap
www=$LAB_TMP/www
mkdir -p "$www"
for n in 64 8192; do head -c "$n" /dev/urandom > "$www/f$n"; done
chmod -R a+rX "$www"
lab_nginx "$www" 80 || { echo "e2e_san: 0 passed, 1 failed"; exit 1; }
sed "s/iface=epwrund/iface=$LAB_IF_CLI/; s/qpairs=[0-9]*/qpairs=2/; s/10.99.1.2/$LAB_CLI_IP/; \
     s/10.99.1.0/${LAB_CLI_IP%.*}.0/; s/0xFFFF/0x3/g" conf/mos.conf > "$LAB_TMP/mos.conf"

# san NAME EXPECTED_RC [--int] ARGS...: epwget under the sanitizers, each report
# to a file $LAB_TMP/san.*; --int sends SIGINT after 2 s
san() {
	local name=$1 want=$2 int=0 pid rc reports
	shift 2
	[ "$1" = --int ] && { int=1; shift; }
	rm -f "$LAB_TMP"/san.* "$LAB_TMP/out.json"
	ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$LAB_TMP/san" \
	UBSAN_OPTIONS="print_stacktrace=1:log_path=$LAB_TMP/san" \
		lab_exec_cli "$EPWGET" -f "$LAB_TMP/mos.conf" -j "$LAB_TMP/out.json" "$@" \
		> "$LAB_TMP/out" 2> "$LAB_TMP/err" &
	pid=$!
	if [ "$int" = 1 ]; then
		sleep 2
		# the background job is a subshell; its child is epwget (ip netns exec execs it)
		kill -INT $(pgrep -P "$pid") 2>/dev/null
	fi
	wait "$pid"
	rc=$?
	reports=$(cat "$LAB_TMP"/san.* 2>/dev/null)
	if [ -n "$reports" ]; then
		bad "$name" "exit $rc; the sanitizers reported:" "$(echo "$reports" | head -40)"
	elif [ "$rc" -ne "$want" ]; then
		bad "$name" "exit $rc, expected $want" "$(tail -3 "$LAB_TMP/out")" \
			"$(grep -v '^EAL: ' "$LAB_TMP/err" | tail -3)"
	elif ! python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["flows_ok"] > 0 else 1)' \
		"$LAB_TMP/out.json" 2> /dev/null; then
		bad "$name" "no flow ok in the JSON summary" "$(head -c 300 "$LAB_TMP/out.json" 2>/dev/null)"
	else
		ok "$name"
	fi
}

san "20,000 flows on 2 cores: exit 0, no ASan, UBSan or leak report" 0 \
	-N 2 -c 400 "$LAB_SRV_IP/f64" 20000
printf 'url = %s/f8192\ntotal_flows = 300\ntotal_concurrency = 10\nkeep_alive = 1\n' "$LAB_SRV_IP" \
	> "$LAB_TMP/ka.conf"
san "keep-alive with -o bodies on 2 cores: exit 0, no report" 0 \
	-N 2 -w "$LAB_TMP/ka.conf" -o "$LAB_TMP/body"
san "SIGINT mid-run: exit 1, no report (flows in flight released)" 1 --int \
	-N 2 -c 100 "$LAB_SRV_IP/f8192" 100000000

lab_down
echo "e2e_san: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
