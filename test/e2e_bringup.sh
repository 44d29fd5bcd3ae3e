#!/bin/sh
# e2e_bringup.sh - the static binary, its command line, its configuration
# errors, and the -C bring-up (EAL, ports, pools, RSS source pairs) on a
# DPDK null device, without hugepages and with them. Leaves nothing behind:
# temporary files, hugepage reservation and DPDK runtime files are restored
# or removed on every exit path.
set -u
cd "$(dirname "$0")/.."
BIN=${EPWGET:-./epwget}	# make test sets EPWGET (and E2E_SAN=1 for the sanitizer build)
tmp=$(mktemp -d)
hp_before=$(cat /proc/sys/vm/nr_hugepages)
passed=0
failed=0

cleanup() {
	echo "$hp_before" > /proc/sys/vm/nr_hugepages 2>/dev/null
	rm -rf "$tmp"
	rmdir /var/run/dpdk 2>/dev/null	# only when empty: others may be running
}
trap cleanup EXIT
trap 'exit 1' INT TERM

printf 'url = 10.0.0.4/index-64.html\ntotal_flows = 100000\ntotal_concurrency = 4000\n' > "$tmp/null.wconf"

ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; shift; for l in "$@"; do echo "  $l"; done; }

# run NAME EXPECTED_RC ARGS...: run epwget, keep stdout/stderr in $tmp/out, $tmp/err
run() {
	name=$1; want=$2; shift 2
	# the null device and a server behind it, unless the test names other files
	"$BIN" -f conf/mos-null.conf -w "$tmp/null.wconf" "$@" > "$tmp/out" 2> "$tmp/err" &
	pid=$!	# the EAL's runtime directory, if one is made, is /var/run/dpdk/epwget-$pid
	wait "$pid"
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		bad "$name" "exit $rc, expected $want" "stderr: $(head -c 600 "$tmp/err")"
		return 1
	fi
	return 0
}

# usage_err NAME PATTERN ARGS...: exit 2, exactly one stderr line matching PATTERN, no EAL started
usage_err() {
	name=$1; pat=$2; shift 2
	run "$name" 2 "$@" || return
	lines=$(wc -l < "$tmp/err")
	if [ "$lines" -ne 1 ] || ! grep -q -- "$pat" "$tmp/err"; then
		bad "$name" "want one line matching '$pat', got $lines:" "$(cat "$tmp/err")"
	elif grep -q EAL "$tmp/err" || [ -e "/var/run/dpdk/epwget-$pid" ]; then
		bad "$name" "DPDK was started before the error"
	else
		ok "$name"
	fi
}

no_runtime_left() {	# of the last run (other DPDK programs may run beside this test)
	if [ -e "/var/run/dpdk/epwget-$pid" ]; then
		bad "$1: DPDK runtime files removed" "left: /var/run/dpdk/epwget-$pid"
	else
		ok "$1: DPDK runtime files removed"
	fi
}

# --- the binary -----------------------------------------------------------
if [ "${E2E_SAN:-0}" = 1 ]; then
	echo "skip binary is static: the SAN=1 build links glibc dynamically (ASan needs it)"
elif file "$BIN" | grep -q 'statically linked' && ldd "$BIN" 2>&1 | grep -q 'not a dynamic executable' &&
   ! readelf -l "$BIN" | grep -q INTERP; then
	ok "binary is static (file, ldd, no ELF interpreter)"
else
	bad "binary is static" "$(file "$BIN")"
fi

if run "-h prints usage, exit 0" 0 -h; then
	if grep -q '^usage: epwget' "$tmp/out"; then
		ok "-h prints usage, exit 0"
	else
		bad "-h prints usage" "stdout: $(head -c 600 "$tmp/out")"
	fi
fi

# --- command line errors: one line, exit 2, nothing started -----------------
usage_err "-N not a number" "-N: 'abc' is not a number" -N abc -C
usage_err "-N zero" "-N: 0 is out of range (1..64)" -N 0 -C
usage_err "-N too many" "-N: 65 is out of range" -N 65 -C
usage_err "-c trailing garbage" "-c: '10x' is not a number" -c 10x -C
usage_err "-n negative" "-n: '-5' is not a number" -n -5 -C
usage_err "unknown option" "-z: unknown option" -z
usage_err "option without value" "-f needs a value" -C -f
usage_err "FLOWS zero" "FLOWS: 0 is out of range" -C 10.0.0.4/ 0
usage_err "extra argument" "unexpected argument 'extra'" -C 10.0.0.4/ 10 extra
usage_err "URL https" "URL: https is not supported: epwget speaks HTTP/1.x over plain TCP" -C https://10.0.0.4/ 10
usage_err "URL with another scheme" "URL: scheme 'ftp' is not supported" -C ftp://10.0.0.4/ 10
usage_err "URL with a name not in /etc/hosts" \
	"URL: host 'no-such-host.invalid' not found in /etc/hosts (a static binary has no DNS resolver" \
	-C no-such-host.invalid/ 10
usage_err "URL port out of range" "port 70000 is out of range" -C 10.0.0.4:70000/ 10

# --- configuration errors -------------------------------------------------
printf 'mos {\n  rmem_size = 8192\n  rmem_sizee = 1\n}\n' > "$tmp/bad1.conf"
usage_err "mos.conf unknown key names file:line" "$tmp/bad1.conf:3: unknown key 'rmem_sizee'" -C -f "$tmp/bad1.conf"
printf 'mos {\n  netdev { dpdk0 0x1 10.0.0.2/24 }\n' > "$tmp/bad2.conf"
usage_err "mos.conf unclosed block" "$tmp/bad2.conf:1: block 'mos' opened here is never closed" -C -f "$tmp/bad2.conf"
usage_err "mos.conf missing" "cannot open: No such file or directory" -C -f "$tmp/none.conf"
printf 'url = 10.0.0.4/\ntotal_flows = many\n' > "$tmp/bad.wconf"
usage_err "epwget.conf bad number" "$tmp/bad.wconf:2: total_flows: 'many' is not a number" -C -w "$tmp/bad.wconf"
printf 'total_flows = 5\n' > "$tmp/nourl.wconf"
usage_err "no URL anywhere" "no URL: give URL" -C -w "$tmp/nourl.wconf"
sed 's/eal_args = --no-pci/eal_args = --file-prefix=..\/run --no-pci/' conf/mos-null.conf > "$tmp/prefix.conf"
usage_err "mos.conf --file-prefix outside the runtime directory" \
	"$tmp/prefix.conf:[0-9]*: eal_args: --file-prefix '../run' must be a plain name" -C -f "$tmp/prefix.conf"
sed "s/0xFFFF/0x8000000000000000/g" conf/mos-null.conf > "$tmp/nocpu.conf"
usage_err "core mask without a usable CPU" "names none of the CPUs" -C -f "$tmp/nocpu.conf"

# --- bring-up -------------------------------------------------------------
check_bringup() {	# LABEL: -C on every core, then on one core
	label=$1
	if run "$label: -C on all cores" 0 -C -c 200; then
		n=$(grep -c '^\[CPU [0-9]*\] flows' "$tmp/out")
		pairs=$(awk '/source pairs/ { sub(/,.*/, "", $9); s += $9 } END { print s + 0 }' "$tmp/out")
		if grep -q 'every core came up' "$tmp/out" && [ "$n" -eq "$(nproc)" ] &&
		   [ "$pairs" -eq 64511 ]; then
			ok "$label: -C on all $n cores, the cores' source pairs add up to 64511"
		else
			bad "$label: -C on all cores" "cores $n (nproc $(nproc)), pairs $pairs" "$(cat "$tmp/out")"
		fi
	fi
	no_runtime_left "$label"
	if run "$label: -C -N 1" 0 -C -N 1 -c 100 10.0.0.4:8080/x 7 &&
	   grep -q '^\[CPU 0\] flows 7, concurrency 100, source pairs 64511,' "$tmp/out" &&
	   [ "$(grep -c '^\[CPU' "$tmp/out")" -eq 1 ]; then
		ok "$label: -C -N 1: one core owns every source pair"
	else
		bad "$label: -C -N 1" "$(cat "$tmp/out" "$tmp/err")"
	fi
}

# mTCP's order: URL and FLOWS first, options after (as mTCP's README writes it)
if run "mTCP's argument order" 0 10.0.0.4/index.html 100 -N 1 -c 10 -C &&
   grep -q '^\[CPU 0\] flows 100, concurrency 10,' "$tmp/out"; then
	ok "mTCP's argument order: epwget URL FLOWS -N 1 -c 10"
else
	bad "mTCP's argument order" "$(cat "$tmp/out" "$tmp/err" | tail -3)"
fi

# the URL as curl and wget take it
if run "http:// URL" 0 -C -N 1 -c 10 http://10.0.0.4:8080/a?b 5 &&
   grep -q '^epwget check: 5 flows to 10.0.0.4:8080/a?b over 1 cores' "$tmp/out"; then
	ok "http:// URL: epwget -C http://10.0.0.4:8080/a?b 5"
else
	bad "http:// URL" "$(cat "$tmp/out" "$tmp/err" | tail -3)"
fi

echo 0 > /proc/sys/vm/nr_hugepages
check_bringup "no hugepages"
if echo 64 > /proc/sys/vm/nr_hugepages 2>/dev/null && [ "$(cat /proc/sys/vm/nr_hugepages)" -gt 0 ]; then
	check_bringup "hugepages"
	echo 0 > /proc/sys/vm/nr_hugepages
else
	echo "skip hugepages: the kernel reserved none"
fi

# The README's bring-up check, word for word: the null device, conf/epwget.conf's URL.
"$BIN" -f conf/mos-null.conf -C > "$tmp/out" 2> "$tmp/err" &
pid=$!
wait "$pid"
rc=$?
if [ "$rc" -eq 0 ] && grep -q 'every core came up' "$tmp/out" && [ -z "$(sort "$tmp/err" | uniq -d)" ]; then
	ok "README's check: epwget -f conf/mos-null.conf -C: exit 0, no line twice"
else
	bad "README's check: epwget -f conf/mos-null.conf -C" "exit $rc" "$(cat "$tmp/out" "$tmp/err")"
fi
no_runtime_left "README's check"

# A server no netdev or route reaches: one line, before DPDK starts, not one per core.
sed 's/10.0.0.4\/32 02:00:00:00:00:04//; s/10.0.0.0\/24 dpdk0//; s/0.0.0.0\/0 dpdk0.*//; s/10.0.0.2\/24/10.9.0.2\/24/' conf/mos-null.conf > "$tmp/noroute.conf"
usage_err "no route to the server: said once" \
	"^epwget: no route to 10.0.0.4, the URL's host: add a route_table line or a netdev whose subnet holds it in $tmp/noroute.conf\$" \
	-C -f "$tmp/noroute.conf"

# A core that cannot come up (one source port: it sends replies to one queue only).
if [ "$(nproc)" -ge 2 ]; then
	sed 's/tcp_timewait = 0/tcp_timewait = 0\n\tsource_ports = 5000-5000/' conf/mos-null.conf > "$tmp/oneport.conf"
	if run "a core without a source port" 1 -C -N 2 -f "$tmp/oneport.conf" &&
	   [ "$(grep -c 'no source port of mos.conf' "$tmp/err")" -eq 1 ]; then
		ok "a core without a source port: said once, exit 1"
	else
		bad "a core without a source port" "$(cat "$tmp/err")"
	fi
	no_runtime_left "after a failed core"
else
	echo "skip a core without a source port: one CPU"
fi

# A flow to a server that never answers (the null device swallows every SYN):
# counted as a timeout after the SYN retries, exit status 1, valid JSON.
sed 's/tcp_timewait = 0/tcp_timewait = 0\n\ttcp_syn_retries = 1/' conf/mos-null.conf > "$tmp/dead.conf"
if run "a dead server: timeouts" 1 -f "$tmp/dead.conf" -N 1 -c 1 -j "$tmp/dead.json" 10.0.0.4/ 1 &&
   python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["timeouts"] == 1 and d["flows_ok"] == 0 and d["flows_completed"] == 1 else 1)' "$tmp/dead.json"; then
	ok "a dead server: the flow ends as a timeout after the SYN retries, JSON says so"
else
	bad "a dead server" "$(cat "$tmp/out" "$tmp/dead.json" 2>/dev/null | tail -5)"
fi

echo "e2e_bringup: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
