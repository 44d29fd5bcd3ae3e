#!/bin/bash
# e2e_epwget.sh - epwget against nginx in the veth lab: the full run on one
# and two cores (every flow ok, exact byte totals, JSON parsed), -o bodies
# byte-identical to the served files, keep-alive, a 404, ICMP host and port
# unreachable (nftables reject), -s with two source addresses (the kernel
# ARPs for the second), and SIGINT mid-run.
# The lab is removed on every exit path (test/lab.sh).
set -u
cd "$(dirname "$0")/.."
. test/lab.sh
EPWGET=${EPWGET:-./epwget}	# make test sets it: the SAN=1 build has its own

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; shift; for l in "$@"; do echo "  $l"; done; }

if [ "$(id -u)" != 0 ]; then
	echo "SKIP e2e_epwget: needs root (network namespaces)"
	echo "e2e_epwget: 0 passed, 0 failed, 1 skipped"
	exit 0
fi
lab_up epw 62 || { echo "e2e_epwget: 0 passed, 1 failed"; exit 1; }
lab_trap
www=$LAB_TMP/www
mkdir -p "$www"
for n in 0 64 8192 1048576; do head -c "$n" /dev/urandom > "$www/f$n"; done
chmod -R a+rX "$www"
lab_nginx "$www" 80 || { echo "e2e_epwget: 0 passed, 1 failed"; exit 1; }

mos() {	# CORES: a mos.conf for the lab with that many cores and queue pairs
	local mask=$((1 << $1))
	mask=$(printf '0x%x' $((mask - 1)))
	sed "s/iface=epwrund/iface=$LAB_IF_CLI/; s/qpairs=[0-9]*/qpairs=$1/; s/10.99.1.2/$LAB_CLI_IP/; \
	     s/10.99.1.0/${LAB_CLI_IP%.*}.0/; s/0xFFFF/$mask/g" conf/mos.conf > "$LAB_TMP/mos$1.conf"
	echo "$LAB_TMP/mos$1.conf"
}

# epw NAME EXPECTED_RC ARGS...: run epwget in our namespace, JSON in $LAB_TMP/out.json
epw() {
	local name=$1 want=$2
	shift 2
	rm -f "$LAB_TMP/out.json"
	lab_exec_cli "$EPWGET" -j "$LAB_TMP/out.json" "$@" > "$LAB_TMP/out" 2> "$LAB_TMP/err"
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		bad "$name" "exit $rc, expected $want" "$(tail -4 "$LAB_TMP/out")" \
			"$(grep -v '^EAL: ' "$LAB_TMP/err" | tail -3)"
		return 1
	fi
	return 0
}


url=$LAB_SRV_IP/f64
for cores in 1 2; do
	conf=$(mos "$cores")
	if epw "$cores core(s): 100,000 flows" 0 -f "$conf" -N "$cores" -c 4000 "$url" 100000; then
		lab_jcheck "$cores core(s): 100,000 flows at concurrency 4,000 all ok, 6,400,000 body bytes ($(sed -n 's/.* \([0-9]*\) flows\/s/\1/p' "$LAB_TMP/out") flows/s)" \
			"d['flows_ok'] == 100000 and d['flows_completed'] == 100000 and d['body_bytes'] == 6400000 and d['errors'] == 0 and len(d['per_core']) == $cores"
	fi
done
conf=$(mos 1)

for n in 0 64 8192 1048576; do
	rm -f "$LAB_TMP"/body.*
	if epw "-o $n B" 0 -f "$conf" -c 2 -o "$LAB_TMP/body" "$LAB_SRV_IP/f$n" 3; then
		same=0
		for i in 0 1 2; do cmp -s "$LAB_TMP/body.$i" "$www/f$n" && same=$((same + 1)); done
		if [ "$same" -eq 3 ] && [ ! -e "$LAB_TMP/body.3" ]; then
			ok "-o: 3 bodies of $n B, byte-identical to the served file, numbered 0..2"
		else
			bad "-o $n B" "$same of 3 identical" "$(ls -l "$LAB_TMP"/body.* 2>&1 | head -4)"
		fi
	fi
done

# keep-alive: the kernel's count of accepted connections shows the reuse
passive() { lab_exec_srv nstat -asz TcpPassiveOpens | awk '/TcpPassiveOpens/ { print $2 }'; }
printf 'url = %s\ntotal_flows = 2000\ntotal_concurrency = 20\nkeep_alive = 1\n' "$url" > "$LAB_TMP/ka.conf"
before=$(passive)
if epw "keep-alive" 0 -f "$conf" -w "$LAB_TMP/ka.conf"; then
	opened=$(( $(passive) - before ))
	if [ "$opened" -le 200 ]; then
		lab_jcheck "keep-alive: 2,000 flows, all ok, over $opened connections" \
			"d['flows_ok'] == 2000 and d['body_bytes'] == 128000"
	else
		bad "keep-alive" "nginx accepted $opened connections for 2,000 flows"
	fi
fi

if epw "404" 1 -f "$conf" -c 5 "$LAB_SRV_IP/missing" 50; then
	lab_jcheck "a missing file: 50 flows counted http_non_2xx, exit status 1" \
		"d['http_non_2xx'] == 50 and d['flows_ok'] == 0 and d['errors'] == 0"
fi

# A server that promises 1000 bytes and closes after 10: every flow incomplete
cat > "$LAB_TMP/short.py" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 8081))
s.listen(128)
s.settimeout(60)
print("ready", flush=True)
while True:
    c, _ = s.accept()
    c.settimeout(5)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = c.recv(4096)
        if not chunk:
            break
        data += chunk
    c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10)
    c.close()
PY
if ! lab_start_srv -p 8081 python3 "$LAB_TMP/short.py" "$LAB_SRV_IP" 2> "$LAB_TMP/short.err"; then
	bad "a server that closes early: its server did not start" "$(tail -3 "$LAB_TMP/short.err")"
elif epw "early close" 1 -f "$conf" -c 2 "$LAB_SRV_IP:8081/x" 20; then
	lab_jcheck "a server that closes early: 20 flows counted incomplete, none ok, exit 1" \
		"d['incompletes'] == 20 and d['flows_ok'] == 0 and d['errors'] == 0 and d['body_bytes'] == 200"
fi

# -s with two source addresses (issue 13): the kernel ARPs for the second
# (epwget's stack must answer for it), and nginx sees SYNs from both (an
# nftables counter per source address in the server's namespace).
s2=${LAB_CLI_IP%.*}.3
lab_exec_srv ip neigh flush dev "$LAB_IF_SRV" 2> /dev/null
if ! lab_exec_srv nft -f - <<-EOF
	table ip epwsaddr {
		chain in { type filter hook input priority -5; policy accept;
			ip saddr $LAB_CLI_IP tcp flags & (syn | ack) == syn counter;
			ip saddr $s2 tcp flags & (syn | ack) == syn counter; }
	}
	EOF
then
	bad "-s two addresses: the nftables counters"
elif epw "-s $LAB_CLI_IP-$s2" 0 -f "$conf" -c 200 -s "$LAB_CLI_IP-$s2" "$url" 20000; then
	syns=$(lab_exec_srv nft list table ip epwsaddr | sed -n 's/.*packets \([0-9]*\).*/\1/p' | tr '\n' ' ')
	neigh=$(lab_exec_srv ip neigh show "$s2" dev "$LAB_IF_SRV")
	cmac=$(lab_exec_cli cat "/sys/class/net/$LAB_IF_CLI/address")
	lab_jcheck "-s $LAB_CLI_IP-$s2 against nginx: 20,000 flows all ok, source_addrs 2 (SYNs from each: $syns)" \
		"d['flows_ok'] == 20000 and d['source_addrs'] == 2 and d['per_core'][0]['source_pairs'] == 2 * 64511 and all(int(n) > 0 for n in '$syns'.split()) and len('$syns'.split()) == 2"
	case "$neigh" in
	*"lladdr $cmac"*) ok "-s: the kernel's neighbour $s2 is epwget's MAC $cmac (our ARP answer)" ;;
	*) bad "-s: the kernel's neighbour entry for $s2" "'$neigh', expected lladdr $cmac" ;;
	esac
fi
lab_exec_srv nft delete table ip epwsaddr 2> /dev/null

# ICMP destination unreachable from the server's host (RFC 1122 4.2.3.9, as
# Linux): a SYN answered with host-unreachable fails its flow at once, counted
# unreachable, not after the SYN retries; port-unreachable counts as refused.
# The kernel's ICMP rate limit (one a second per host after a burst) is off in
# the server's namespace, so that every SYN gets its answer.
if ! lab_exec_srv sysctl -qw net.ipv4.icmp_ratelimit=0 ||
   ! lab_exec_srv nft -f - <<-EOF
	table ip epwicmp {
		chain in { type filter hook input priority -5; policy accept;
			tcp dport 9 counter reject with icmp type host-unreachable;
			tcp dport 7 counter reject with icmp type port-unreachable; }
	}
	EOF
then
	bad "ICMP unreachable: the nftables rule or the sysctl"
else
	if epw "ICMP host unreachable" 1 -f "$conf" -c 5 "$LAB_SRV_IP:9/x" 20; then
		lab_jcheck "ICMP host unreachable: 20 flows counted unreachable within a second (no SYN retries)" \
			"d['unreachable'] == 20 and d['errors'] == 20 and d['timeouts'] == 0 and d['duration_s'] < 1.0"
	fi
	if epw "ICMP port unreachable" 1 -f "$conf" -c 5 "$LAB_SRV_IP:7/x" 20; then
		lab_jcheck "ICMP port unreachable: 20 flows counted refused within a second" \
			"d['refused'] == 20 and d['unreachable'] == 0 and d['errors'] == 20 and d['duration_s'] < 1.0"
	fi
	lab_exec_srv nft delete table ip epwicmp
fi

# SIGINT mid-run: the summary and the JSON still come
rm -f "$LAB_TMP/out.json"
lab_exec_cli "$EPWGET" -f "$conf" -c 100 -j "$LAB_TMP/out.json" "$LAB_SRV_IP/f8192" 100000000 \
	> "$LAB_TMP/out" 2> "$LAB_TMP/err" &
pid=$!
sleep 2
for p in $(ip netns pids "$LAB_NS_CLI"); do	# this lab's epwget only, not others' on the machine
	[ "$(cat "/proc/$p/comm" 2> /dev/null)" = epwget ] && kill -INT "$p"
done
wait "$pid"
rc=$?
if [ "$rc" -eq 1 ] && grep -q '^\[CPU 0\] Completed' "$LAB_TMP/out"; then
	lab_jcheck "SIGINT mid-run: exit 1, per-core lines, valid JSON with the flows done so far" \
		"0 < d['flows_ok'] < 100000000 and d['duration_s'] > 1"
else
	bad "SIGINT mid-run" "exit $rc" "$(tail -3 "$LAB_TMP/out")"
fi

lab_down
[ "$(ip netns list | grep -c 'epw-epw')" -eq 0 ] && ok "lab removed" || bad "lab removed"
echo "e2e_epwget: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
