#!/bin/bash
# e2e_epserver.sh - epserver end to end.
#
# 1. epwget -> epserver over net_memif (two DPDK processes, no kernel on the
#    path; the memif socket lives in a temp dir of ours): 1 and 2 cores on
#    each side, every flow ok with the exact body bytes, no frame handed
#    between cores on either side (rss_handovers 0: the server answered on
#    the queue the client's steering expects), -o bodies byte-identical to
#    the served files, a 404 counted on both sides, keep-alive, and SIGINT
#    stopping epserver cleanly with its summary and JSON.
# 2. A kernel client (python3 in the lab's server namespace) -> epserver on
#    net_af_packet over the veth lab: bodies, HTTP/1.1 keep-alive,
#    pipelining, HEAD, 404, 400 and 501, then SIGTERM and the JSON counts.
#    Needs root (network namespaces); skipped otherwise.
# Everything started here is stopped, and the temp dir and lab removed, on
# every exit path.
set -u
cd "$(dirname "$0")/.."
. test/lab.sh

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; shift; for l in "$@"; do echo "  $l"; done; }

EPWGET=${EPWGET:-./epwget}		# make test sets both: the SAN=1 build has its own
EPSERVER=${EPSERVER:-./epserver}
for b in "$EPSERVER" "$EPWGET"; do
	[ -x "$b" ] || { echo "$b is missing: run 'make test' (it builds it)"; exit 1; }
done
tmp=$(mktemp -d /tmp/e2e_eps.XXXXXX) || exit 1
spid=
cleanup() {
	[ -n "$spid" ] && kill -KILL "$spid" 2> /dev/null && wait "$spid" 2> /dev/null
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

# start_server CONF ARGS...: epserver in the background; waits for its "ready" line
start_server() {
	local conf=$1 i
	shift
	rm -f "$tmp/s.json" "$tmp/s.out" "$tmp/memif.sock"	# a socket file left by a crash blocks the next
	"$EPSERVER" -f "$conf" -d "$www" -j "$tmp/s.json" "$@" > "$tmp/s.out" 2> "$tmp/s.err" &
	spid=$!
	for i in $(seq 200); do
		grep -q '^epserver: ready' "$tmp/s.out" && return 0
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
			"$(grep -v EAL "$tmp/c.err" | tail -3)"
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
	start_server "$sconf" -N "$cores" -c 4000 || continue
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
if start_server "$sconf" -N 1 -c 4000; then
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
# not lab_exec_cli, a function: $! must be epserver itself (ip netns exec execs it)
ip netns exec "$LAB_NS_CLI" "$EPSERVER" -f "$tmp/lab.conf" -d "$www" -j "$tmp/lab.json" \
	> "$tmp/lab.out" 2> "$tmp/lab.err" {_LAB_LOCK_FD}>&- &
lpid=$!
for i in $(seq 200); do
	grep -q '^epserver: ready' "$tmp/lab.out" && break
	sleep 0.05
done
cat > "$tmp/kclient.py" <<'PY'
import socket, sys, urllib.request, http.client
host, www = sys.argv[1], sys.argv[2]
fails = []
def check(name, cond, detail=""):
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
for n in (0, 64, 8192, 1048576):
    body = urllib.request.urlopen("http://%s/f%d" % (host, n), timeout=10).read()
    check("kernel client: GET /f%d (urllib) byte-identical" % n, body == open("%s/f%d" % (www, n), "rb").read(), len(body))
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
check("kernel client: 6 HTTP/1.1 requests on one connection (keep-alive): /, /sub/, 64 B, 404, 8 KB, HEAD",
      got == [(200, 22, "keep-alive"), (200, 4, "keep-alive"), (200, 64, "keep-alive"), (404, 14, "keep-alive"), (200, 8192, "keep-alive")]
      and head == (200, "1048576", 0), (got, head))
out = raw(b"GET /f64 HTTP/1.1\r\nHost: a\r\n\r\nGET /sub/ HTTP/1.1\r\nHost: a\r\n\r\nGET /f0 HTTP/1.1\r\nConnection: close\r\n\r\n")
check("kernel client: 3 pipelined requests answered in order, the last closes",
      out.count(b"HTTP/1.1 200 OK") == 3 and out.index(b"Content-Length: 64") < out.index(b"Content-Length: 4\r") < out.index(b"Content-Length: 0") and out.endswith(b"\r\n\r\n"), out[:200])
out = raw(b"GET / HTTP/3.0\r\n\r\n")
check("kernel client: a bad version gets 400 and the close", out.startswith(b"HTTP/1.1 400 Bad Request\r\n") and b"Connection: close" in out, out[:100])
# 8,193 bytes of a header that never ends: the last byte is the one too many, so the
# server has read everything when it answers (unread bytes would turn its close into a reset)
head = b"GET / HTTP/1.1\r\nX: "
out = raw(head + b"x" * (8193 - len(head)))
check("kernel client: a header past 8,192 bytes gets 400", out.startswith(b"HTTP/1.1 400 "), out[:100])
out = raw(b"DELETE /f64 HTTP/1.1\r\n\r\n")
check("kernel client: DELETE gets 501", out.startswith(b"HTTP/1.1 501 Not Implemented\r\n"), out[:100])
out = raw(b"GET /f64 HTTP/1.0\r\n\r\n")
check("kernel client: HTTP/1.0 without keep-alive: Connection: close, 64 B body", b"Connection: close\r\n" in out and len(out.split(b"\r\n\r\n", 1)[1]) == 64, out[:100])
PY
lab_exec_srv python3 "$tmp/kclient.py" "$LAB_CLI_IP" "$www" > "$tmp/k.out" 2>&1
while read -r line; do
	case $line in
	"ok   "*) ok "${line#ok   }" ;;
	"FAIL "*) bad "${line#FAIL }" ;;
	esac
done < "$tmp/k.out"
grep -q '^ok   kernel client: a bad version' "$tmp/k.out" ||
	bad "kernel client script" "$(tail -5 "$tmp/k.out")" "$(grep -v EAL "$tmp/lab.err" | tail -3)"
kill -TERM "$lpid" 2> /dev/null
for i in $(seq 300); do kill -0 "$lpid" 2> /dev/null || break; sleep 0.1; done
kill -KILL "$lpid" 2> /dev/null
wait "$lpid"
rc=$?
if [ "$rc" = 0 ]; then
	jcheck "kernel client: SIGTERM stops epserver (exit 0); JSON counts two 400s (bad_version, header_too_long), one 501, one 404" \
		"$tmp/lab.json" "d['status_400'] == 2 and d['bad_requests']['bad_version'] == 1 and d['bad_requests']['header_too_long'] == 1 and d['status_501'] == 1 and d['status_404'] == 1 and d['keepalive_reuses'] >= 7"
else
	bad "kernel client: SIGTERM stops epserver" "exit $rc" "$(tail -3 "$tmp/lab.err")"
fi
lab_down
[ "$(ip netns list | grep -c 'epw-eps-')" -eq 0 ] && ok "lab removed" || bad "lab removed"
echo "e2e_epserver: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
