#!/bin/bash
# e2e_epserver.sh - epserver end to end.
#
# 1. epwget -> epserver over net_memif (two DPDK processes, no kernel on the
#    path; the memif socket lives in a temp dir of ours): 1 and 2 cores on
#    each side, every flow ok with the exact body bytes, no frame handed
#    between cores on either side (rss_handovers 0: the server answered on
#    the queue the client's steering expects), -o bodies byte-identical to
#    the served files, a 404 counted on both sides, keep-alive, and SIGINT
#    stopping epserver cleanly with its summary and JSON; and, from a cold
#    server (epwget at its ready line, and once before it), the two ends'
#    counts cross-checked: epwget's ok flows and body bytes are epserver's
#    requests, 200s and body bytes; -s with two source addresses and
#    100,000 connections on one core, and epserver ARPing for a -s address.
# 2. A kernel client (python3 in the lab's server namespace) -> epserver on
#    net_af_packet over the veth lab: bodies, HTTP/1.1 keep-alive,
#    pipelining, HEAD, 404, 400 and 501, then SIGTERM and the JSON counts.
#    Needs root (network namespaces); skipped otherwise.
# 3. Slowloris on the same lab: slow clients (python3) hold every stream of
#    an epserver with -c 4 -t 2 -K 2; each is closed at the deadline, a normal
#    client is served within it + 3 s, its idle keep-alive closed at 2 s; the
#    control (-t 0) starves the normal client.
# Everything started here is stopped, and the temp dir and lab removed, on
# every exit path.
set -u
cd "$(dirname "$0")/.."
. test/lab.sh

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; shift; for l in "$@"; do echo "  $l"; done; }
# notrun WHY NAME...: a FAIL for each check that could not run
notrun() { local why=$1 n; shift; for n in "$@"; do bad "$n: not run" "$why"; done; }

EPWGET=${EPWGET:-./epwget}		# make test sets both: the SAN=1 build has its own
EPSERVER=${EPSERVER:-./epserver}
for b in "$EPSERVER" "$EPWGET"; do
	[ -x "$b" ] || { echo "$b is missing: run 'make test' (it builds it)"; exit 1; }
done
tmp=$(mktemp -d /tmp/e2e_eps.XXXXXX) || exit 1
spid=
cleanup() {
	[ -n "$spid" ] && kill -KILL "$spid" 2> /dev/null && wait "$spid" 2> /dev/null
	[ -n "${lpid:-}" ] && kill -KILL "$lpid" 2> /dev/null && wait "$lpid" 2> /dev/null
	lab_down
	rm -rf "$tmp"
}
trap "trap '' INT TERM HUP; cleanup" EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

www=$tmp/www
mkdir -p "$www/sub"
for n in 0 64 8192 1048576; do head -c "$n" /dev/urandom > "$www/f$n"; done
printf '<html>epserver</html>\n' > "$www/index.html"
printf 'sub\n' > "$www/sub/index.html"

# Masks: the server on the second CPU when there is one, the client on the first.
if [ "$(nproc)" -gt 1 ]; then smask1=0x2; else smask1=0x1; fi
# mconf SRC ROLE_MASK CORES: a memif configuration with our socket path and that mask
mconf() {
	local out=$tmp/$(basename "$1" .conf)-$3.conf
	sed "s|socket=[^,]*|socket=$tmp/memif.sock|; s/0xFFFF/$2/g" "$1" > "$out"
	echo "$out"
}

# launch_server CONF ARGS...: epserver in the background, its pid in $spid
launch_server() {
	local conf=$1
	shift
	rm -f "$tmp/s.json" "$tmp/s.out" "$tmp/memif.sock"	# a socket file left by a crash blocks the next
	"$EPSERVER" -f "$conf" -d "$www" -j "$tmp/s.json" "$@" > "$tmp/s.out" 2> "$tmp/s.err" &
	spid=$!
}

# start_server CONF ARGS...: epserver in the background; waits for its "ready" line
start_server() {
	local i
	launch_server "$@"
	shift
	for i in $(seq 200); do
		grep -q '^epserver: ready' "$tmp/s.out" 2> /dev/null && return 0
		kill -0 "$spid" 2> /dev/null || break
		sleep 0.05
	done
	bad "epserver start ($*)" "$(tail -3 "$tmp/s.err")"
	stop_server
	return 1
}

# stop_server: SIGINT, wait (30 s at most: does not hang); its exit status in $rc
stop_server() {
	local i
	rc=255
	[ -z "$spid" ] && return
	kill -INT "$spid" 2> /dev/null
	for i in $(seq 300); do
		kill -0 "$spid" 2> /dev/null || break
		sleep 0.1
	done
	kill -KILL "$spid" 2> /dev/null
	wait "$spid"
	rc=$?
	spid=
}

# epw NAME EXPECTED_RC ARGS...: epwget; its JSON in $tmp/c.json
epw() {
	local name=$1 want=$2 rc
	shift 2
	rm -f "$tmp/c.json"
	"$EPWGET" -j "$tmp/c.json" "$@" > "$tmp/c.out" 2> "$tmp/c.err"
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		bad "$name" "epwget exit $rc, expected $want" "$(tail -3 "$tmp/c.out")" \
			"$(grep -v '^EAL: ' "$tmp/c.err" | tail -3)"
		return 1
	fi
	return 0
}

# jcheck NAME FILE PYTHON_EXPR: the expression over the JSON in FILE (as d) must hold
jcheck() {
	if python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($3) else 1)" \
		"$2" 2> "$tmp/py.err"; then
		ok "$1"
	else
		bad "$1" "$3" "$(head -c 600 "$2" 2> /dev/null)" "$(tail -2 "$tmp/py.err")"
	fi
}

url=10.0.0.4
for cores in 1 2; do
	if [ "$cores" = 1 ]; then sm=$smask1; cm=0x1; else sm=0x3; cm=0x3; fi
	sconf=$(mconf conf/epserver.conf "$sm" "$cores")
	cconf=$(mconf conf/epwget-memif.conf "$cm" "$cores")
	if ! start_server "$sconf" -N "$cores" -c 4000; then
		names=("$cores core(s): 20,000 flows" "$cores core(s): the server's counts, exit 0 on SIGINT")
		[ "$cores" = 1 ] && names+=("-o 0 B" "-o 64 B" "-o 8192 B" "-o 1048576 B" "404" "keep-alive")
		notrun "epserver did not start" "${names[@]}"
		continue
	fi
	if epw "$cores core(s): 20,000 flows" 0 -f "$cconf" -N "$cores" -c 200 "$url/f64" 20000; then
		jcheck "$cores core(s): 20,000 flows of 64 B over memif all ok, 1,280,000 body bytes, client rss_handovers 0 on every core" \
			"$tmp/c.json" "d['flows_ok'] == 20000 and d['body_bytes'] == 1280000 and len(d['per_core']) == $cores and all(c['rss_handovers'] == 0 for c in d['per_core'])"
	fi
	if [ "$cores" = 1 ]; then
		for n in 0 64 8192 1048576; do
			rm -f "$tmp"/body.*
			epw "-o $n B" 0 -f "$cconf" -N 1 -c 2 -o "$tmp/body" "$url/f$n" 3 || continue
			same=0
			for i in 0 1 2; do cmp -s "$tmp/body.$i" "$www/f$n" && same=$((same + 1)); done
			if [ "$same" -eq 3 ]; then
				ok "-o: 3 bodies of $n B byte-identical to the served file"
			else
				bad "-o $n B" "$same of 3 identical" "$(ls -l "$tmp"/body.* 2>&1 | head -3)"
			fi
		done
		epw "404" 1 -f "$cconf" -N 1 -c 5 "$url/missing" 50 &&
			jcheck "a missing file: 50 flows http_non_2xx on the client" "$tmp/c.json" \
				"d['http_non_2xx'] == 50 and d['errors'] == 0"
		printf 'url = %s/f64\ntotal_flows = 2000\ntotal_concurrency = 20\nkeep_alive = 1\n' \
			"$url" > "$tmp/ka.conf"
		epw "keep-alive" 0 -f "$cconf" -N 1 -w "$tmp/ka.conf" &&
			jcheck "keep-alive: 2,000 flows all ok" "$tmp/c.json" \
				"d['flows_ok'] == 2000 and d['body_bytes'] == 128000"
	fi
	stop_server
	if [ "$rc" != 0 ]; then
		bad "$cores core(s): epserver stops on SIGINT" "exit $rc" "$(tail -3 "$tmp/s.err")"
		continue
	fi
	if [ "$cores" = 1 ]; then
		jcheck "1 core: the server counted 20,006 + 2,000 flows ok (2,000 over at most 40 connections), 50 404s, no handover, exit 0 on SIGINT" \
			"$tmp/s.json" "d['status_200'] == 20000 + 12 + 2000 and d['status_404'] == 50 and d['accepted'] <= 20000 + 12 + 50 + 40 and d['keepalive_reuses'] >= 1960 and d['resets'] == 0 and d['per_core'][0]['rss_handovers'] == 0"
	else
		jcheck "2 cores: the server served 20,000, each core some, no handover on either, exit 0 on SIGINT" \
			"$tmp/s.json" "d['status_200'] == 20000 and len(d['per_core']) == 2 and all(c['accepted'] > 0 and c['rss_handovers'] == 0 for c in d['per_core'])"
	fi
done

# SIGINT while a load runs: epserver stops within its grace, prints its summary, writes JSON
sconf=$(mconf conf/epserver.conf "$smask1" 1)
cconf=$(mconf conf/epwget-memif.conf 0x1 1)
if ! start_server "$sconf" -N 1 -c 4000; then
	notrun "epserver did not start" "SIGINT under load" "SIGINT: the EAL runtime directory of epserver is gone"
else
	"$EPWGET" -f "$cconf" -N 1 -c 100 "$url/f8192" 100000000 > /dev/null 2>&1 &
	cpid=$!
	sleep 2
	srv=$spid
	stop_server
	kill -INT "$cpid" 2> /dev/null
	sleep 1.5
	kill -INT "$cpid" 2> /dev/null
	wait "$cpid" 2> /dev/null
	if [ "$rc" = 0 ] && grep -q '^\[ ALL \] requests' "$tmp/s.out"; then
		jcheck "SIGINT under load: exit 0, summary, JSON with the requests so far" "$tmp/s.json" \
			"d['status_200'] > 0 and d['duration_s'] > 1"
	else
		bad "SIGINT under load" "exit $rc" "$(tail -3 "$tmp/s.out")" "$(tail -3 "$tmp/s.err")"
	fi
	if [ -e "/var/run/dpdk/epwget-$srv" ]; then
		bad "SIGINT: the EAL runtime directory is gone" "/var/run/dpdk/epwget-$srv remains"
	else
		ok "SIGINT: the EAL runtime directory of epserver is gone"
	fi
fi

# Both ends must agree, from a cold server: every flow of epwget ok, and its
# ok flows and body bytes those epserver counted (requests, status_200, body
# bytes; no 400, 404 or 501). epwget starts the moment epserver is ready, and
# once 0.2 s after epserver's exec, before it is (-c 130,000: a slow start;
# epwget's SYNs go again until it answers).
# cross CONC FLOWS early|ready
commas() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<< "$1"; }
cross() {
	local c=$1 flows=$2 when=$3 name i crc
	name="cold server, epwget started $([ "$when" = early ] && echo '0.2 s after its exec, before ready' ||
		echo 'at its ready'), c $(commas "$c"), $(commas "$flows") flows of 64 B: both ends agree"
	if [ "$when" = early ]; then
		launch_server "$sconf" -N 1 -c 130000
		sleep 0.2
	elif ! start_server "$sconf" -N 1 -c $((2 * c + 2048)); then
		notrun "epserver did not start" "$name"
		return
	fi
	rm -f "$tmp/c.json"
	"$EPWGET" -f "$cconf" -N 1 -c "$c" -j "$tmp/c.json" "$url/f64" "$flows" > "$tmp/c.out" 2> "$tmp/c.err"
	crc=$?
	grep -q '^epserver: ready' "$tmp/s.out" 2> /dev/null || i="epserver never printed ready"
	stop_server
	if python3 - "$tmp/c.json" "$tmp/s.json" "$flows" > "$tmp/cross" 2>&1 <<-'PY'
	import json, sys
	c, s, n = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), int(sys.argv[3])
	print("epwget: %d ok of %d (completed %d, non-2xx %d, errors %d, incompletes %d, timeouts %d, resets %d), %d body bytes;"
	      % (c["flows_ok"], n, c["flows_completed"], c["http_non_2xx"], c["errors"], c["incompletes"], c["timeouts"],
	         c["resets"], c["body_bytes"]))
	print("epserver: %d requests (200: %d, 400: %d, 404: %d, 501: %d), %d body bytes"
	      % (s["requests"], s["status_200"], s["status_400"], s["status_404"], s["status_501"], s["body_bytes"]))
	sys.exit(0 if c["flows_ok"] == n == c["flows_completed"] and c["body_bytes"] == 64 * n and
	         s["requests"] == s["status_200"] == c["flows_ok"] and s["body_bytes"] == c["body_bytes"] and
	         s["status_400"] == s["status_404"] == s["status_501"] == 0 else 1)
	PY
	then
		if [ "$crc" = 0 ] && [ "$rc" = 0 ]; then ok "$name"; else
			bad "$name" "epwget exit $crc, epserver exit $rc" "$(sed -n 1p "$tmp/cross")" \
				"$(sed -n '2,$p' "$tmp/cross")"; fi
	else
		bad "$name" "epwget exit $crc, epserver exit $rc${i:+; $i}" "$(sed -n 1p "$tmp/cross")" \
			"$(sed -n '2,$p' "$tmp/cross")" \
			"$(grep -v '^EAL: ' "$tmp/c.err" | tail -2)"
	fi
}
sconf=$(mconf conf/epserver.conf "$smask1" 1)
cconf=$(mconf conf/epwget-memif.conf 0x1 1)
cross 100 20000 ready
cross 1000 100000 ready
cross 10000 100000 ready
cross 10000 100000 early

# -s FIRST-LAST (issue 13): two source addresses give one core 2 x 64,511
# pairs to one server port, so 100,000 connections open at once fit with
# tcp_timewait 0; one address does not (its port pool runs dry). epserver
# knows 10.0.0.3's MAC from its arp_table; without that line it must ARP
# for it, and epwget's stack must answer for the address it was given.
# saddr_run NAME SCONF ARGS...: epserver -c 130000, then epwget; the server stopped
saddr_run() {
	local name=$1 sc=$2
	shift 2
	if ! start_server "$sc" -N 1 -c 130000; then
		notrun "epserver did not start" "$name"
		return 1
	fi
	epw "$name" 0 -f "$cconf" -N 1 "$@"
	local erc=$?
	stop_server
	return $erc
}
sconf2=$tmp/epserver-saddr.conf
sed 's|^\(\t*\)10.0.0.2/32 \(.*\)$|&\n\110.0.0.3/32 \2|' "$sconf" > "$sconf2"
if saddr_run "-s 10.0.0.2-10.0.0.3, -c 100,000 on one core" "$sconf2" -c 100000 \
	-s 10.0.0.2-10.0.0.3 "$url/f64" 200000; then
	grep '^\[ ALL \] flows' "$tmp/c.out"
	jcheck "-s 10.0.0.2-10.0.0.3, -c 100,000 on one core: 200,000 flows all ok, source_addrs 2, 129,022 source pairs, no source-port shortage" \
		"$tmp/c.json" "d['flows_ok'] == 200000 and d['source_addrs'] == 2 and d['per_core'][0]['source_pairs'] == 2 * 64511 and d['empty_pools']['source_ports'] == 0"
	jcheck "-s 10.0.0.2-10.0.0.3: epserver served 200,000, no handover" "$tmp/s.json" \
		"d['status_200'] == 200000 and d['accepted'] == 200000 and d['per_core'][0]['rss_handovers'] == 0"
fi
if saddr_run "one source address, -c 100,000 on one core" "$sconf2" -c 100000 "$url/f64" 100000; then
	jcheck "one source address, -c 100,000: its 64,511 pairs ran dry (the second address is what carried -s's run)" \
		"$tmp/c.json" "d['source_addrs'] == 1 and d['per_core'][0]['source_pairs'] == 64511 and d['empty_pools']['source_ports'] > 0"
fi
if saddr_run "-s 10.0.0.3 unknown to epserver" "$sconf" -c 50 -s 10.0.0.3 "$url/f64" 1000; then
	jcheck "-s 10.0.0.3, not in epserver's arp_table: it ARPs, epwget answers, 1,000 flows ok" \
		"$tmp/c.json" "d['flows_ok'] == 1000 and d['source_addrs'] == 1"
fi
for s in 10.0.0.254-10.0.0.255 10.0.1.2-10.0.1.3 10.0.0.3-10.0.0.4 10.0.0.0-10.0.1.0; do
	"$EPWGET" -f "$cconf" -s "$s" "$url/f64" 10 > /dev/null 2> "$tmp/err"
	rc=$?
	if [ "$rc" = 2 ] && [ "$(grep -c 'source addresses' "$tmp/err")" = 1 ]; then
		ok "-s $s: exit 2, one line: $(cut -c 1-90 "$tmp/err")"
	else
		bad "-s $s refused" "exit $rc" "$(cat "$tmp/err")"
	fi
done

# A bad command line: exit 2 and one line saying what to do
"$EPSERVER" -d "$tmp/none" -f conf/epserver.conf > /dev/null 2> "$tmp/err"
rc=$?
if [ "$rc" = 2 ] && grep -q 'give -d an existing' "$tmp/err"; then
	ok "a missing document root: exit 2 and advice"
else
	bad "a missing document root" "exit $rc" "$(cat "$tmp/err")"
fi

# --- a kernel client over the veth lab -----------------------------------------
if [ "$(id -u)" != 0 ]; then
	echo "SKIP e2e_epserver: the kernel-client part needs root (network namespaces)"
	echo "e2e_epserver: $passed passed, $failed failed, 1 skipped"
	[ "$failed" -eq 0 ]
	exit
fi
if ! lab_up eps 91; then
	bad "lab_up eps 91"
	echo "e2e_epserver: $passed passed, $failed failed"
	exit 1
fi
chmod -R a+rX "$tmp"
cat > "$tmp/lab.conf" <<EOF
application { type = end; core_mask = 0x1 }
mos {
	eal_args = --no-pci --vdev=net_af_packet0,iface=$LAB_IF_CLI,framecnt=4096,qpairs=1
	tcp_timewait = 0
	netdev { dpdk0 0x1 $LAB_CLI_IP/24 }
}
EOF
# lab_server TAG ARGS...: epserver on af_packet in the lab, $tmp/TAG.{out,err,json},
# its pid in $lpid; waits for its ready line (10 s), 1 when it never came.
# Not lab_exec_cli, a function: $! must be epserver itself (ip netns exec execs it).
lab_server() {
	local tag=$1 i
	shift
	rm -f "$tmp/$tag.json"
	ip netns exec "$LAB_NS_CLI" "$EPSERVER" -f "$tmp/lab.conf" -d "$www" -j "$tmp/$tag.json" "$@" \
		> "$tmp/$tag.out" 2> "$tmp/$tag.err" {_LAB_LOCK_FD}>&- &
	lpid=$!
	for i in $(seq 200); do
		grep -q '^epserver: ready' "$tmp/$tag.out" && return 0
		kill -0 "$lpid" 2> /dev/null || break
		sleep 0.05
	done
	return 1
}
# lab_server_stop: SIGTERM, wait (30 s at most); its exit status in $rc
lab_server_stop() {
	local i
	kill -TERM "$lpid" 2> /dev/null
	for i in $(seq 300); do kill -0 "$lpid" 2> /dev/null || break; sleep 0.1; done
	kill -KILL "$lpid" 2> /dev/null
	wait "$lpid"
	rc=$?
	lpid=
}
lab_server lab ||
	bad "kernel client: epserver on af_packet was not ready in 10 s" "$(grep -v '^EAL: ' "$tmp/lab.err" | tail -3)"
# Each check of the client is a function run on its own: an exception fails that
# check only; and a check the client never reported (it died) fails here below.
cat > "$tmp/kclient.py" <<'PY'
import socket, sys, urllib.request, http.client
host, www = sys.argv[1], sys.argv[2]
def check(name, fn):
    try:
        cond, detail = fn()
    except Exception as e:
        cond, detail = False, repr(e)
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + str(detail)), flush=True)
def raw(data, timeout=10):
    s = socket.create_connection((host, 80), timeout=timeout)
    s.sendall(data)
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except ConnectionResetError:
        pass
    s.close()
    return out
def get(n):
    body = urllib.request.urlopen("http://%s/f%d" % (host, n), timeout=10).read()
    return body == open("%s/f%d" % (www, n), "rb").read(), len(body)
for n in (0, 64, 8192, 1048576):
    check("kernel client: GET /f%d (urllib) byte-identical" % n, lambda: get(n))
def keepalive():
    c = http.client.HTTPConnection(host, 80, timeout=10)
    got = []
    for p in ("/", "/sub/", "/f64", "/missing", "/f8192"):
        c.request("GET", p)
        r = c.getresponse()
        got.append((r.status, len(r.read()), r.getheader("Connection")))
    c.request("HEAD", "/f1048576")
    r = c.getresponse()
    head = (r.status, r.getheader("Content-Length"), len(r.read()))
    c.close()
    return (got == [(200, 22, "keep-alive"), (200, 4, "keep-alive"), (200, 64, "keep-alive"), (404, 14, "keep-alive"), (200, 8192, "keep-alive")]
            and head == (200, "1048576", 0)), (got, head)
check("kernel client: 6 HTTP/1.1 requests on one connection (keep-alive): /, /sub/, 64 B, 404, 8 KB, HEAD", keepalive)
def pipelined():
    out = raw(b"GET /f64 HTTP/1.1\r\nHost: a\r\n\r\nGET /sub/ HTTP/1.1\r\nHost: a\r\n\r\nGET /f0 HTTP/1.1\r\nConnection: close\r\n\r\n")
    return (out.count(b"HTTP/1.1 200 OK") == 3 and out.index(b"Content-Length: 64") < out.index(b"Content-Length: 4\r") < out.index(b"Content-Length: 0")
            and out.endswith(b"\r\n\r\n")), out[:200]
check("kernel client: 3 pipelined requests answered in order, the last closes", pipelined)
def bad_version():
    out = raw(b"GET / HTTP/3.0\r\n\r\n")
    return out.startswith(b"HTTP/1.1 400 Bad Request\r\n") and b"Connection: close" in out, out[:100]
check("kernel client: a bad version gets 400 and the close", bad_version)
# 8,193 bytes of a header that never ends: the last byte is the one too many, so the
# server has read everything when it answers (unread bytes would turn its close into a reset)
def long_header():
    head = b"GET / HTTP/1.1\r\nX: "
    out = raw(head + b"x" * (8193 - len(head)))
    return out.startswith(b"HTTP/1.1 400 "), out[:100]
check("kernel client: a header past 8,192 bytes gets 400", long_header)
def delete():
    out = raw(b"DELETE /f64 HTTP/1.1\r\n\r\n")
    return out.startswith(b"HTTP/1.1 501 Not Implemented\r\n"), out[:100]
check("kernel client: DELETE gets 501", delete)
def http10():
    out = raw(b"GET /f64 HTTP/1.0\r\n\r\n")
    return b"Connection: close\r\n" in out and len(out.split(b"\r\n\r\n", 1)[1]) == 64, out[:100]
check("kernel client: HTTP/1.0 without keep-alive: Connection: close, 64 B body", http10)
PY
lab_exec_srv python3 "$tmp/kclient.py" "$LAB_CLI_IP" "$www" > "$tmp/k.out" 2>&1
krc=$?
while read -r line; do
	case $line in
	"ok   "*) ok "${line#ok   }" ;;
	"FAIL "*) bad "${line#FAIL }" ;;
	esac
done < "$tmp/k.out"
# every check the client has must have printed ok or FAIL
for name in "GET /f0 (urllib)" "GET /f64 (urllib)" "GET /f8192 (urllib)" "GET /f1048576 (urllib)" \
	    "6 HTTP/1.1 requests on one connection" "3 pipelined requests" "a bad version gets 400" \
	    "a header past 8,192 bytes" "DELETE gets 501" "HTTP/1.0 without keep-alive"; do
	grep -qF -e "ok   kernel client: $name" -e "FAIL kernel client: $name" "$tmp/k.out" ||
		bad "kernel client: $name: never reported (the client exited $krc)" "$(tail -3 "$tmp/k.out")" \
			"$(grep -v '^EAL: ' "$tmp/lab.err" | tail -3)"
done
lab_server_stop
if [ "$rc" = 0 ]; then
	jcheck "kernel client: SIGTERM stops epserver (exit 0); JSON counts two 400s (bad_version, header_too_long), one 501, one 404" \
		"$tmp/lab.json" "d['status_400'] == 2 and d['bad_requests']['bad_version'] == 1 and d['bad_requests']['header_too_long'] == 1 and d['status_501'] == 1 and d['status_404'] == 1 and d['keepalive_reuses'] >= 7"
else
	bad "kernel client: SIGTERM stops epserver" "exit $rc" "$(tail -3 "$tmp/lab.err")"
fi
# Slowloris: slow clients hold every connection of an epserver with -c 4 and a
# 2 s request_timeout (-t 2), each sending a header line every 0.3 s and never
# the blank line; a normal client then connects (its SYNs go again while every
# stream is taken) and must be served within the deadline + 3 s, and its idle
# keep-alive connection closed at keepalive_timeout (-K 2); the server counts
# every slow one as a request timeout. The control, -t 0 (no limit): the
# normal client is starved (its connect times out at 5 s).
cat > "$tmp/slowloris.py" <<'PY'
import socket, sys, threading, time
host, T, K, mode = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
slow = []			# [socket, connected at, closed after (None: open)]
for i in range(16):		# connect until a SYN goes unanswered: every stream taken
    s = socket.socket()
    s.settimeout(0.5)
    try:
        s.connect((host, 80))
    except OSError:
        s.close()
        break
    s.sendall(b"GET /f64 HTTP/1.1\r\nHost: a\r\n")
    s.setblocking(False)
    slow.append([s, time.monotonic(), None])
res = {}
def normal():
    t0 = time.monotonic()
    try:
        c = socket.create_connection((host, 80), timeout=T + 3)
        c.settimeout(T + 3)
        c.sendall(b"GET /f64 HTTP/1.1\r\nHost: a\r\n\r\n")
        buf = b""
        while b"\r\n\r\n" not in buf or len(buf.split(b"\r\n\r\n", 1)[1]) < 64:
            b = c.recv(65536)
            if not b:
                break
            buf += b
        res["served_s"] = time.monotonic() - t0
        res["resp"] = buf
        t1 = time.monotonic()
        c.settimeout(K + 5)
        while c.recv(4096):
            pass
        res["idle_closed_s"] = time.monotonic() - t1
        c.close()
    except OSError as e:
        res["err"] = repr(e)
        res["failed_s"] = time.monotonic() - t0
th = threading.Thread(target=normal)
th.start()
end = time.monotonic() + T + 8
while time.monotonic() < end and (th.is_alive() or (mode == "served" and any(x[2] is None for x in slow))):
    for x in slow:
        if x[2] is not None:
            continue
        try:
            if x[0].recv(4096) == b"":
                x[2] = time.monotonic() - x[1]
                continue
            x[2] = -1.0	# an answer: none is due
        except BlockingIOError:
            try:
                x[0].send(b"X-a: b\r\n")
            except OSError:
                x[2] = time.monotonic() - x[1]
        except OSError:
            x[2] = time.monotonic() - x[1]
    time.sleep(0.3)
th.join()
closed = [round(x[2], 2) if x[2] is not None else None for x in slow]
print("slow %d" % len(slow))
ok200 = res.get("resp", b"").startswith(b"HTTP/1.1 200 OK") and res["resp"].endswith(bytes(open(sys.argv[5], "rb").read()))
detail = "slow closed after %s s; normal client %s" % (closed, {k: (v[:60] if k == "resp" else v) for k, v in res.items()})
print("# " + detail)
def check(name, cond):
    print(("ok   " if cond else "FAIL ") + name + ("" if cond else ": " + detail), flush=True)
if mode == "served":
    check("slowloris: %d slow clients took every stream (-c 4)" % len(slow), 0 < len(slow) < 16)
    check("slowloris: each slow client reset at request_timeout %g s (+1 s at most), unanswered" % T,
          all(c is not None and T - 0.2 <= c <= T + 1.0 for c in closed))
    check("slowloris: a normal client served (200, 64 B) within %g s + 3 s of its connect" % T,
          ok200 and res["served_s"] <= T + 3.0)
    check("slowloris: its idle keep-alive connection closed at keepalive_timeout %g s (+1 s at most)" % K,
          "idle_closed_s" in res and K - 0.2 <= res["idle_closed_s"] <= K + 1.0)
else:
    check("slowloris control, no request_timeout (-t 0): the normal client is starved, the slow ones stay",
          0 < len(slow) < 16 and "err" in res and all(c is None for c in closed))
for x in slow:
    x[0].close()
PY
# slowloris_run MODE EPSERVER_ARGS...: one epserver on the lab, the client, SIGTERM; JSON in $tmp/slow.json
slowloris_run() {
	local mode=$1 line
	shift
	if ! lab_server slow "$@"; then
		bad "slowloris $mode: epserver $* on af_packet was not ready in 10 s" "$(grep -v '^EAL: ' "$tmp/slow.err" | tail -3)"
	else
		lab_exec_srv python3 "$tmp/slowloris.py" "$LAB_CLI_IP" 2 2 "$mode" "$www/f64" > "$tmp/sk.out" 2>&1
		grep -q '^slow ' "$tmp/sk.out" || bad "slowloris $mode: the client failed" "$(tail -3 "$tmp/sk.out")"
		while read -r line; do
			case $line in
			"ok   "*) ok "${line#ok   }" ;;
			"FAIL "*) bad "${line#FAIL }" ;;
			"# "*) echo "     $mode: ${line#\# }" ;;
			esac
		done < "$tmp/sk.out"
	fi
	lab_server_stop
}
slowloris_run served -c 4 -t 2 -K 2
nslow=$(sed -n 's/^slow //p' "$tmp/sk.out")
if [ "$rc" = 0 ]; then
	jcheck "slowloris: epserver counted ${nslow:-?} request timeouts, 1 keep-alive timeout, one 200 (exit 0 on SIGTERM)" \
		"$tmp/slow.json" "d['request_timeouts'] == ${nslow:-0} > 0 and d['keepalive_timeouts'] == 1 and d['status_200'] == 1 and d['resets'] == 0"
else
	bad "slowloris: SIGTERM stops epserver" "exit $rc" "$(tail -3 "$tmp/slow.err")"
fi
slowloris_run starved -c 4 -t 0 -K 2
if [ "$rc" = 0 ]; then
	jcheck "slowloris control: no request timeout counted, nothing served" "$tmp/slow.json" \
		"d['request_timeouts'] == 0 and d['status_200'] == 0"
else
	bad "slowloris control: SIGTERM stops epserver" "exit $rc" "$(tail -3 "$tmp/slow.err")"
fi
lab_down
[ "$(ip netns list | grep -c 'epw-eps-')" -eq 0 ] && ok "lab removed" || bad "lab removed"
echo "e2e_epserver: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
