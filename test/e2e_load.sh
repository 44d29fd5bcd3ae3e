#!/bin/bash
# e2e_load.sh - what load epwget sends (issue 13), in the veth lab: -k
# requests per connection counted on the server's side (the kernel's
# TcpPassiveOpens of nginx's namespace: exact), -P pipelining against nginx,
# HEAD's empty bodies, a 1 MiB POST body arriving byte-exact (hostile_srv
# --body-hash answers its length and FNV-1a), -x rst leaving no TIME_WAIT
# on the server, a server that closes kept-alive connections unannounced with
# pipelined requests unanswered (they go again), bad -m/-b/-H/-k/-P/-x values
# refused with exit 2; and against epserver over memif, its count of accepted
# connections equal to epwget's (-k 10: a tenth of the flows).
set -u
cd "$(dirname "$0")/.."
. test/lab.sh
EPWGET=${EPWGET:-./epwget}	# make test sets it: the SAN=1 build has its own
HOSTILE=${E2E_BUILD:-build}/test/hostile_srv

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; shift; for l in "$@"; do echo "  $l"; done; }

# refused NAME ARGS...: exit 2 and a line naming the option, before any network work
refused() {
	local name=$1 out
	shift
	out=$("$EPWGET" "$@" 2>&1 > /dev/null)
	rc=$?
	if [ "$rc" -eq 2 ] && [ -n "$out" ]; then
		ok "refused with exit 2: $name: $(echo "$out" | head -1 | cut -c1-110)"
	else
		bad "refused: $name" "exit $rc, expected 2" "$out"
	fi
}
refused "-m FOO" -m FOO 10.99.1.4/ 1
refused "-m get (case)" -m get 10.99.1.4/ 1
refused "-b with GET" -b /etc/hostname 10.99.1.4/ 1
refused "-b a file that is not there" -m POST -b /nonexistent/body 10.99.1.4/ 1
refused "-H without a colon" -H 'X-Bad' 10.99.1.4/ 1
refused "-H with a control character" -H $'X-A: b\001' 10.99.1.4/ 1
refused "-H Content-Length" -H 'Content-Length: 5' 10.99.1.4/ 1
refused "-k -1" -k -1 10.99.1.4/ 1
refused "-k x" -k x 10.99.1.4/ 1
refused "-P 0" -P 0 -k 0 10.99.1.4/ 1
refused "-P 65" -P 65 -k 0 10.99.1.4/ 1
refused "-P 4 with -k 1" -P 4 10.99.1.4/ 1
refused "-x foo" -x foo 10.99.1.4/ 1

if [ "$(id -u)" != 0 ]; then
	echo "SKIP e2e_load lab tests: need root (network namespaces)"
	echo "e2e_load: $passed passed, $failed failed, 1 skipped"
	[ "$failed" -eq 0 ]
	exit
fi
lab_up load 64 || { echo "e2e_load: $passed passed, 1 failed"; exit 1; }
lab_trap
www=$LAB_TMP/www
mkdir -p "$www"
for n in 64 8192; do head -c "$n" /dev/urandom > "$www/f$n"; done
chmod -R a+rX "$www"
lab_nginx "$www" 80 || { echo "e2e_load: $passed passed, 1 failed"; exit 1; }
sed "s/iface=epwrund/iface=$LAB_IF_CLI/; s/qpairs=[0-9]*/qpairs=1/; s/10.99.1.2/$LAB_CLI_IP/; \
     s/10.99.1.0/${LAB_CLI_IP%.*}.0/; s/0xFFFF/0x1/g" conf/mos.conf > "$LAB_TMP/mos.conf"
conf=$LAB_TMP/mos.conf

# epw NAME EXPECTED_RC ARGS...: run epwget in our namespace, JSON in $LAB_TMP/out.json
epw() {
	local name=$1 want=$2
	shift 2
	rm -f "$LAB_TMP/out.json"
	lab_exec_cli "$EPWGET" -f "$conf" -j "$LAB_TMP/out.json" "$@" > "$LAB_TMP/out" 2> "$LAB_TMP/err"
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		bad "$name" "exit $rc, expected $want" "$(tail -4 "$LAB_TMP/out")" \
			"$(grep -v '^EAL: ' "$LAB_TMP/err" | tail -3)"
		return 1
	fi
	return 0
}


passive() { lab_exec_srv nstat -asz TcpPassiveOpens | awk '/TcpPassiveOpens/ { print $2 }'; }
timewait() { lab_exec_srv ss -Htan state time-wait | wc -l; }

# -k 10: a tenth of the connections, as nginx's kernel counts them. First: the SYNs
# must not meet the server's TIME_WAIT of the runs where it closes first
before=$(passive)
if epw "-k 10" 0 -k 10 -c 20 "$LAB_SRV_IP/f64" 2000; then
	opened=$(( $(passive) - before ))
	if [ "$opened" -eq 200 ]; then
		lab_jcheck "-k 10: 2,000 flows ok over exactly 200 connections (nginx accepted $opened)" \
			"d['flows_ok'] == 2000 and d['connections'] == 200 and d['requests'] == 2000 and d['body_bytes'] == 128000"
	else
		bad "-k 10" "nginx accepted $opened connections for 2,000 flows, expected 200" \
			"$(grep -o '"\(flows_ok\|connections\|requests\|reconnects\|errors\|resets\|local_shortages\)": [0-9]*' "$LAB_TMP/out.json" | tr '\n' ' ')"
	fi
fi
# -x rst: nginx closes first (Connection: close): FIN leaves its TIME_WAIT, RST none.
# Before the other runs where the server closes first: they leave TIME_WAIT
if [ "$(timewait)" -ne 0 ]; then
	bad "-x rst" "TIME_WAIT on the server before the run: $(timewait)"
elif epw "-x rst" 0 -x rst -c 10 "$LAB_SRV_IP/f64" 300; then
	tw=$(timewait)
	if [ "$tw" -eq 0 ]; then
		lab_jcheck "-x rst: 300 flows ok, no TIME_WAIT on the server" "d['flows_ok'] == 300"
	else
		bad "-x rst" "$tw connections in TIME_WAIT on the server"
	fi
	if epw "-x fin" 0 -x fin -c 10 "$LAB_SRV_IP/f64" 300; then
		tw=$(timewait)
		[ "$tw" -gt 0 ] && ok "-x fin (the default): the server, closing first, holds $tw in TIME_WAIT" ||
			bad "-x fin" "no TIME_WAIT on the server: the test cannot tell RST from FIN"
	fi
fi

before=$(passive)
if epw "-k 1 (the default)" 0 -c 20 "$LAB_SRV_IP/f64" 500; then
	opened=$(( $(passive) - before ))
	[ "$opened" -eq 500 ] && lab_jcheck "-k 1: a connection per request (500 accepted)" \
		"d['flows_ok'] == 500 and d['connections'] == 500 and d['requests'] == 500" ||
		bad "-k 1" "nginx accepted $opened connections for 500 flows"
fi

# -P: pipelined requests against nginx, every flow ok
for kp in "0 4" "5 4" "100 16"; do
	set -- $kp
	if epw "-k $1 -P $2" 0 -k "$1" -P "$2" -c 10 "$LAB_SRV_IP/f8192" 4000; then
		lab_jcheck "-k $1 -P $2: 4,000 pipelined flows all ok, 4,000 x 8,192 body bytes" \
			"d['flows_ok'] == 4000 and d['flows_completed'] == 4000 and d['errors'] == 0 and d['body_bytes'] == 4000 * 8192 and d['requests'] >= 4000"
	fi
done

# HEAD: a Content-Length and no body
for args in "-k 1" "-k 0 -P 4"; do
	if epw "HEAD $args" 0 -m HEAD $args -c 10 "$LAB_SRV_IP/f8192" 1000; then
		lab_jcheck "HEAD $args: 1,000 flows ok, 0 body bytes" \
			"d['flows_ok'] == 1000 and d['body_bytes'] == 0 and d['errors'] == 0"
	fi
done

# POST of a 1 MiB body: the server hashes what arrives
head -c 1048576 /dev/urandom > "$LAB_TMP/body"
want=$(python3 -c '
import sys
h = 0xcbf29ce484222325
for b in open(sys.argv[1], "rb").read():
    h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
print("%016x" % h)' "$LAB_TMP/body")
if ! lab_start_srv -p 8082 "$HOSTILE" http -a "$LAB_SRV_IP" -p 8082 --body-hash; then
	bad "POST: hostile_srv --body-hash did not start" "$(tail -3 "$LAB_SRV_ERR")"
else
	srv_out=$LAB_SRV_OUT
	if epw "POST 1 MiB" 0 -m POST -b "$LAB_TMP/body" -H 'X-Test: e2e' -c 4 "$LAB_SRV_IP:8082/up" 8; then
		n=$(grep -c "^body 1048576 $want POST$" "$srv_out")
		if [ "$n" -eq 8 ]; then
			lab_jcheck "POST: 8 bodies of 1 MiB arrived byte-exact (FNV-1a $want), flows ok" \
				"d['flows_ok'] == 8 and d['body_bytes'] == 8 * 24"
		else
			bad "POST 1 MiB" "$n of 8 bodies arrived whole, expected hash $want" \
				"$(grep body "$srv_out" | head -3)"
		fi
	fi
	for m in PUT PATCH; do
		if epw "$m" 0 -m "$m" -b "$LAB_TMP/body" -c 1 "$LAB_SRV_IP:8082/up" 1; then
			grep -q "^body 1048576 $want $m$" "$srv_out" && ok "$m: the body arrived byte-exact" ||
				bad "$m" "$(tail -2 "$srv_out")"
		fi
	done
fi

# A server that answers one request as HTTP/1.1 keep-alive, then closes (with
# the pipelined requests unread: Linux resets): those go again on new connections
if ! lab_start_srv -p 8083 "$HOSTILE" http -a "$LAB_SRV_IP" -p 8083 \
	-r 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'; then
	bad "unannounced close: hostile_srv did not start" "$(tail -3 "$LAB_SRV_ERR")"
elif epw "unannounced close -k 0 -P 4" 0 -k 0 -P 4 -c 2 "$LAB_SRV_IP:8083/x" 40; then
	lab_jcheck "unannounced close with -P 4: 40 flows ok, the unanswered ones went again (reconnects)" \
		"d['flows_ok'] == 40 and d['body_bytes'] == 200 and d['reconnects'] > 0 and d['connections'] >= 40"
fi

# epwget -> epserver over memif (no kernel on the path): epserver's own count of the
# connections it accepted is the sum of epwget's, and -k 10 is a tenth of its flows
EPSERVER=${EPSERVER:-./epserver}
if [ "$(nproc)" -gt 1 ]; then smask=0x2; else smask=0x1; fi
sed "s|socket=[^,]*|socket=$LAB_TMP/memif.sock|; s/0xFFFF/$smask/g" conf/epserver.conf > "$LAB_TMP/s.conf"
sed "s|socket=[^,]*|socket=$LAB_TMP/memif.sock|; s/0xFFFF/0x1/g" conf/epwget-memif.conf > "$LAB_TMP/cm.conf"
"$EPSERVER" -f "$LAB_TMP/s.conf" -N 1 -c 4000 -d "$www" -j "$LAB_TMP/s.json" > "$LAB_TMP/s.out" 2> "$LAB_TMP/s.err" &
spid=$!
for i in $(seq 200); do
	grep -q '^epserver: ready' "$LAB_TMP/s.out" 2> /dev/null && break
	kill -0 "$spid" 2> /dev/null || break
	sleep 0.05
done
# mepw NAME ARGS...: epwget over memif, every flow ok; its connections added to $conns
conns=0
mepw() {
	local name=$1
	shift
	rm -f "$LAB_TMP/m.json"
	if "$EPWGET" -f "$LAB_TMP/cm.conf" -N 1 -j "$LAB_TMP/m.json" "$@" > "$LAB_TMP/m.out" 2> "$LAB_TMP/m.err"; then
		conns=$((conns + $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["connections"])' "$LAB_TMP/m.json")))
		return 0
	fi
	bad "$name" "epwget exit $?" "$(tail -3 "$LAB_TMP/m.out")" "$(grep -v '^EAL: ' "$LAB_TMP/m.err" | tail -3)"
	return 1
}
if ! grep -q '^epserver: ready' "$LAB_TMP/s.out" 2> /dev/null; then
	bad "epserver over memif did not start" "$(tail -3 "$LAB_TMP/s.err")"
	kill -KILL "$spid" 2> /dev/null
else
	mepw "memif -k 10" -k 10 -c 20 10.0.0.4/f64 2000 && cp "$LAB_TMP/m.json" "$LAB_TMP/k10.json"
	mepw "memif -k 0 -P 4" -k 0 -P 4 -c 10 10.0.0.4/f8192 4000
	mepw "memif HEAD -k 0 -P 8" -m HEAD -k 0 -P 8 -c 10 10.0.0.4/f8192 1000 &&
		cp "$LAB_TMP/m.json" "$LAB_TMP/head.json"
	kill -INT "$spid"
	wait "$spid"
	python3 - "$LAB_TMP/s.json" "$LAB_TMP/k10.json" "$LAB_TMP/head.json" "$conns" > "$LAB_TMP/py.out" 2>&1 <<'PY'
import json, sys
s, k, h = (json.load(open(f)) for f in sys.argv[1:4])
conns = int(sys.argv[4])
assert k["flows_ok"] == 2000 and k["connections"] == 200 and k["requests"] == 2000, k
assert h["flows_ok"] == 1000 and h["body_bytes"] == 0, h
assert s["accepted"] == conns, (s["accepted"], conns)
assert s["status_200"] == 2000 + 4000 + 1000, s["status_200"]
print(s["accepted"])
PY
	if [ $? -eq 0 ]; then
		ok "memif: epserver accepted $(cat "$LAB_TMP/py.out") connections, epwget's count; -k 10 opened 200 for 2,000 flows; -P 4 and HEAD -P 8 all ok; 7,000 200s"
	else
		bad "memif: epserver's counts" "$(tail -3 "$LAB_TMP/py.out")"
	fi
fi

lab_down
[ "$(ip netns list | grep -c 'epw-load')" -eq 0 ] && ok "lab removed" || bad "lab removed"
echo "e2e_load: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
