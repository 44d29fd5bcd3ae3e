#!/bin/bash
# e2e_hostile.sh - epwget against servers that misbehave (tracker issue 7).
#
# The real epwget, in the client namespace of a veth lab (test/lab.sh), is
# pointed at test/hostile_srv: a kernel-socket HTTP server at 10.99.41.4
# that resets at every stage, sends headers that never end or lines of
# 1 MB, bad Content-Length values, one byte a second, or nothing; and a raw
# AF_PACKET peer at 10.99.41.5 (an address the server namespace's kernel
# does not own) for what kernel sockets will not do: a SYN-ACK with a wrong
# ACK number, data outside the window, overlapping segments whose bytes
# differ, data after the FIN, resets with wrong sequence numbers, a zero
# window for ever, no answer to the SYN. Then exhaustion (concurrency
# beyond what memory allows, TIME_WAIT holding every stream) and where -o
# writes its files.
#
# Every case states its right outcome first and checks epwget's JSON
# counters, its exit status and, against hangs, a bound on its wall time
# (generous: the machine may be loaded). The table at the end lists every
# case with what was seen. The lab is removed on every exit path.
set -u
cd "$(dirname "$0")/.."
. test/lab.sh

SRV_BIN=${E2E_BUILD:-build}/test/hostile_srv
passed=0
failed=0
rows=()
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; shift; for l in "$@"; do echo "  $l"; done; }

EPWGET=${EPWGET:-./epwget}	# make test sets it: the SAN=1 build has its own
EPWGET_ABS=$(realpath -- "$EPWGET")	# for the cases that run it from another directory
for b in "$EPWGET" "$SRV_BIN"; do
	[ -x "$b" ] || { echo "$b is missing: run 'make test' (it builds it)"; exit 1; }
done
if [ "$(id -u)" != 0 ]; then
	echo "e2e_hostile: needs root (network namespaces); skipped"
	echo "e2e_hostile: 0 passed, 0 failed"
	exit 0
fi
lab_up hostile 41 || { echo "e2e_hostile: 0 passed, 1 failed"; exit 1; }
lab_trap
RAW_IP=$LAB_NET.5	# the raw peer
DEAD_IP=$LAB_NET.6	# nobody
# the server namespace's kernel must stay out of the raw peer's connections
lab_exec_srv sysctl -qw net.ipv4.conf.all.forwarding=0 net.ipv4.ip_forward=0

# mos.conf: small timeouts so that every hostile case ends within seconds
TIMEOUT=2
SYN_RETRIES=1	# a SYN nobody answers: 1 + 2 s, then ETIMEDOUT
mosconf() {	# FILE [TIMEWAIT [SOURCE_PORTS]]
	cat > "$1" <<-EOF
	application { type = end; core_mask = 0x1 }
	mos {
		eal_args = --no-pci --vdev=net_af_packet0,iface=$LAB_IF_CLI,framecnt=4096,qpairs=1
		tcp_timeout = $TIMEOUT
		tcp_timewait = ${2:-0}
		source_ports = ${3:-1025-65535}
		tcp_syn_retries = $SYN_RETRIES
		netdev { dpdk0 0x1 $LAB_CLI_IP/24 }
		arp_table {
			$RAW_IP/32 $(lab_mac_srv)
			$DEAD_IP/32 $(lab_mac_srv)
		}
	}
	EOF
}
conf=$LAB_TMP/mos.conf
mosconf "$conf"

# epw MAXWALL ARGS...: run epwget in our namespace, JSON in $LAB_TMP/out.json;
# sets rc and wall (seconds, one decimal). MAXWALL kills a hang.
epw() {
	local max=$1 t0 t1
	shift
	rm -f "$LAB_TMP/out.json"
	t0=$(date +%s%N)
	timeout -k 2 "$max" ip netns exec "$LAB_NS_CLI" "$EPWGET" -f "$conf" -j "$LAB_TMP/out.json" \
		"$@" > "$LAB_TMP/out" 2> "$LAB_TMP/err"
	rc=$?
	t1=$(date +%s%N)
	wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
}

# counters: the JSON's counters in one short line (for the table)
counters() {
	python3 - "$LAB_TMP/out.json" <<-'PY' 2> /dev/null || echo "no JSON"
	import json, sys
	d = json.load(open(sys.argv[1]))
	keys = [("flows_ok", "ok"), ("http_non_2xx", "non2xx"), ("incompletes", "incomplete"),
	        ("timeouts", "timeouts"), ("resets", "resets"), ("refused", "refused"),
	        ("bad_responses", "bad"), ("local_shortages", "shortages"), ("output_errors", "output_errors"),
	        ("reconnects", "reconnects"),
	        ("errors", "errors")]
	out = ["%s=%d" % (n, d[k]) for k, n in keys if d.get(k, 0)]
	e = d.get("empty_pools", {})
	if any(e.values()):
	    out.append("empty(streams/buffers/ports)=%d/%d/%d" %
	               (e["streams"], e["buffers"], e["source_ports"]))
	out.append("body=%d" % d["body_bytes"])
	print(" ".join(out))
	PY
}

# judge NAME EXPECT RC PYEXPR [EXTRA_OK [EXTRA_WHY]]: the exit status must be
# RC and the expression over the JSON `d` must hold (PYEXPR -: no JSON to
# check), and EXTRA_OK must be 0
judge() {
	local name=$1 expect=$2 want=$3 expr=$4 extra=${5:-0} why=${6:-} seen res
	seen=$(counters)
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		res=FAIL
		bad "$name: hung (killed after its bound)" "$(tail -3 "$LAB_TMP/out")"
	elif [ "$rc" != "$want" ]; then
		res=FAIL
		bad "$name: exit $rc, expected $want" "$seen" "$(tail -3 "$LAB_TMP/out")" \
			"$(grep -v '^EAL: ' "$LAB_TMP/err" | tail -3)"
	elif [ "$expr" != - ] &&
	     ! python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($expr) else 1)" \
		"$LAB_TMP/out.json" 2> /dev/null; then
		res=FAIL
		bad "$name: $expect" "expected: $expr" "seen: $seen"
	elif [ "$extra" != 0 ]; then
		res=FAIL
		bad "$name: $expect" "$why" "seen: $seen"
	else
		res=pass
		ok "$name: $expect ($seen; ${wall}s)"
	fi
	rows+=("$(printf '| %s | %s | %s | %s | %s |' "$name" "$expect" "$seen" "$wall" "$res")")
}

port=8000
# The next server on the next port; until epw runs, a case has no result.
next_srv() {
	[ -n "${LAB_SRV_PID:-}" ] && lab_stop_srv > /dev/null 2>&1
	LAB_SRV_PID=
	port=$((port + 1))
	rc=none
	wall=0
	rm -f "$LAB_TMP/out.json"
}

# srv ARGS...: a fresh hostile_srv http; sets url
srv() {
	next_srv
	url=$LAB_SRV_IP:$port/x
	lab_start_srv -p "$port" "$SRV_BIN" http -a "$LAB_SRV_IP" -p "$port" "$@"
}

# raw MODE: a fresh raw peer; sets url
raw() {
	next_srv
	url=$RAW_IP:$port/x
	lab_start_srv "$SRV_BIN" raw -i "$LAB_IF_SRV" -a "$RAW_IP" -p "$port" "$1" || return 1
	for i in $(seq 100); do
		grep -qx ready "$LAB_SRV_OUT" && return 0
		sleep 0.05
	done
	return 1
}

srv_lines() { grep -c "^$1" "$LAB_SRV_OUT"; }
# srv_wait PREFIX N: the server printed N lines starting with PREFIX (10 s at most)
srv_wait() {
	local i
	for i in $(seq 200); do
		[ "$(srv_lines "$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}

# bodies N CONTENT: the -o files $LAB_TMP/body.0 .. N-1 each hold CONTENT
bodies() {
	local i
	for i in $(seq 0 $(($1 - 1))); do
		[ "$(cat "$LAB_TMP/body.$i" 2> /dev/null)" = "$2" ] || return 1
	done
}

F=3	# flows per case, all at once
HDR1000='HTTP/1.0 200 OK\r\nContent-Length: 1000\r\n\r\n'
BODY1000=$(head -c 1000 /dev/zero | tr '\0' 'b')
H1K_LEN=41	# bytes of HDR1000 once unescaped

resets() {
echo "-- resets at every stage"
epw 20 -c $F "$LAB_SRV_IP:9/x" $F	# nobody listens: the kernel answers the SYN with a RST
judge "RST to the SYN (closed port)" "refused, not retried" 1 \
	"d['refused'] == $F and d['errors'] == $F and d['flows_completed'] == $F"
srv --rst -1 && epw 20 -c $F "$url" $F
judge "RST before the request is read" "resets" 1 "d['resets'] == $F and d['errors'] == $F"
srv --rst 0 && epw 20 -c $F "$url" $F
judge "RST after the request is read" "resets" 1 "d['resets'] == $F and d['errors'] == $F"
srv -r "$HDR1000$BODY1000" --rst $H1K_LEN && epw 20 -c $F "$url" $F
judge "RST after the header" "resets, no body" 1 \
	"d['resets'] == $F and d['errors'] == $F and d['body_bytes'] == 0"
srv -r "$HDR1000$BODY1000" --rst $((H1K_LEN + 500)) && epw 20 -c $F "$url" $F
judge "RST mid-body (500 of 1000 B)" "resets, 500 B each" 1 \
	"d['resets'] == $F and d['errors'] == $F and d['body_bytes'] == 500 * $F"
srv -r "$HDR1000$BODY1000" --rst 100000 && epw 20 -c $F "$url" $F
judge "RST after the whole response (acked)" "ok: the response was complete" 0 \
	"d['flows_ok'] == $F and d['errors'] == 0 and d['body_bytes'] == 1000 * $F"
srv -r "$HDR1000$BODY1000" --rst-now 100000 && epw 20 -c $F "$url" $F
judge "whole response and RST back to back" "ok: read what came before the RST" 0 \
	"d['flows_ok'] == $F and d['errors'] == 0 and d['body_bytes'] == 1000 * $F"
srv -r "$HDR1000$BODY1000" --rst-now $((H1K_LEN + 500)) && epw 20 -c $F "$url" $F
judge "half the body and RST back to back" "resets, 500 B each" 1 \
	"d['resets'] == $F and d['errors'] == $F and d['body_bytes'] == 500 * $F"

}

http() {
echo "-- headers and framing"
# epwget gives up after 8 KiB and closes; the server writing on must then
# get a RST (RFC 1122 4.2.2.13) rather than fill a window nobody reads. The
# server pauses right after the byte that breaks the cap, so that epwget
# has read everything when it closes (a FIN, not the RST of unread data).
srv -r 'HTTP/1.0 200 OK\r\n' --endless --pause 8193 && epw 20 -c $F "$url" $F
judge "header that never ends" "bad response (8 KiB cap), server reset" 1 \
	"d['bad_responses'] == $F and d['errors'] == $F" \
	"$(srv_wait "conn write failed" $F && echo 0 || echo 1)" \
	"$(srv_lines "conn write failed") of $F server writes failed"
srv -r 'HTTP/1.0 200 OK\r\n' --line 1048576 --pause 8193 && epw 20 -c $F "$url" $F
judge "one header line of 1 MiB" "bad response (8 KiB cap), server reset" 1 \
	"d['bad_responses'] == $F and d['errors'] == $F" \
	"$(srv_wait "conn write failed" $F && echo 0 || echo 1)" \
	"$(srv_lines "conn write failed") of $F server writes failed"
for cl in -1 abc 18446744073709551616 18446744073709551615 9223372036854775808 '5, 6' '+5' '0x5' ''; do
	srv -r "HTTP/1.0 200 OK\\r\\nContent-Length: $cl\\r\\n\\r\\nhello" && epw 20 -c $F "$url" $F
	judge "Content-Length: '$cl'" "bad response" 1 \
		"d['bad_responses'] == $F and d['errors'] == $F and d['body_bytes'] == 0"
done
srv -r 'HTTP/1.0 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!' &&
	epw 20 -c $F "$url" $F
judge "Content-Length twice, 5 and 6" "bad response" 1 \
	"d['bad_responses'] == $F and d['errors'] == $F"
srv -r 'HTTP/1.0 200 OK\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\nhello' &&
	epw 20 -c $F "$url" $F
judge "Content-Length twice, 5 and 5" "ok (RFC 9110 8.6)" 0 \
	"d['flows_ok'] == $F and d['body_bytes'] == 5 * $F"
srv -r 'HTTP/1.0 200 OK\r\nContent-Length: 9223372036854775807\r\n\r\nhello' &&
	epw 20 -c $F "$url" $F
judge "Content-Length 2^63-1, 5 B, close" "incomplete" 1 \
	"d['incompletes'] == $F and d['errors'] == 0 and d['body_bytes'] == 5 * $F"
srv -r 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nhello' && epw 20 -c $F "$url" $F
judge "Transfer-Encoding: gzip" "bad response (unsupported)" 1 \
	"d['bad_responses'] == $F and d['errors'] == $F"
# chunked (RFC 9112 7.1): 3 chunks, an extension, a trailer, in 5 writes cut
# inside the framing; what is counted and written is the decoded payload
CHUNKED_BODY=$(head -c 1000 /dev/zero | tr '\0' c)abcdefghijklmnopqrstuvwxyzhello
rm -f "$LAB_TMP"/body.*
srv --chunked && epw 20 -c $F -o "$LAB_TMP/body" "$url" $F
judge "chunked: 3 chunks, an extension, a trailer" "ok, 1031 B decoded each" 0 \
	"d['flows_ok'] == $F and d['errors'] == 0 and d['body_bytes'] == 1031 * $F" \
	"$(bodies $F "$CHUNKED_BODY" && echo 0 || echo 1)" "the -o files do not hold the decoded body"
rm -f "$LAB_TMP"/body.*
srv --chunked -d 1 -s 0 && epw 30 -c $F "$url" $F
judge "chunked, a byte at a time" "ok, 1031 B decoded each" 0 \
	"d['flows_ok'] == $F and d['errors'] == 0 and d['body_bytes'] == 1031 * $F"
# epwget.conf's expectations: the decoded size, the status
printf 'expect_body_bytes = 1031\nexpect_status = 200\n' > "$LAB_TMP/expect.conf"
srv --chunked && epw 20 -w "$LAB_TMP/expect.conf" -c $F "$url" $F
judge "chunked, expect_body_bytes = 1031, expect_status = 200" "ok" 0 \
	"d['flows_ok'] == $F and d['errors'] == 0 and d['bad_responses'] == 0"
printf 'expect_body_bytes = 1030\n' > "$LAB_TMP/expect.conf"
srv --chunked && epw 20 -w "$LAB_TMP/expect.conf" -c $F "$url" $F
judge "chunked, expect_body_bytes = 1030 (wrong)" "bad response each" 1 \
	"d['bad_responses'] == $F and d['errors'] == $F and d['flows_ok'] == 0"
printf 'expect_status = 201\n' > "$LAB_TMP/expect.conf"
srv --chunked && epw 20 -w "$LAB_TMP/expect.conf" -c $F "$url" $F
judge "200 with expect_status = 201" "bad response each (not non-2xx)" 1 \
	"d['bad_responses'] == $F and d['http_non_2xx'] == 0 and d['flows_ok'] == 0"
printf 'expect_status = 4xx\n' > "$LAB_TMP/expect.conf"
srv -r 'HTTP/1.0 404 Not Found\r\nContent-Length: 5\r\n\r\nnope!' &&
	epw 20 -w "$LAB_TMP/expect.conf" -c $F "$url" $F
judge "404 with expect_status = 4xx" "ok" 0 \
	"d['flows_ok'] == $F and d['http_non_2xx'] == 0 and d['errors'] == 0"
srv -r 'HTTP/1.0 404 Not Found\r\nContent-Length: 5\r\n\r\nnope!' && epw 20 -c $F "$url" $F
judge "404, expect_status the default (2xx)" "non-2xx, not bad" 1 \
	"d['http_non_2xx'] == $F and d['bad_responses'] == 0 and d['flows_ok'] == 0"
srv -r 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5g\r\nhello\r\n0\r\n\r\n' &&
	epw 20 -c $F "$url" $F
judge "chunk size '5g'" "bad response" 1 \
	"d['bad_responses'] == $F and d['errors'] == $F and d['body_bytes'] == 0"
srv -r 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n' &&
	epw 20 -c $F "$url" $F
judge "chunk data longer than its size" "bad response, 3 B each" 1 \
	"d['bad_responses'] == $F and d['errors'] == $F and d['body_bytes'] == 3 * $F"
srv -r 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel' && epw 20 -c $F "$url" $F
judge "close inside a chunk" "incomplete, 3 B each" 1 \
	"d['incompletes'] == $F and d['flows_ok'] == 0 and d['body_bytes'] == 3 * $F"
srv -r 'HTTP/2 200 OK\r\n\r\nhello' && epw 20 -c $F "$url" $F
judge "status line HTTP/2" "bad response" 1 "d['bad_responses'] == $F and d['errors'] == $F"
srv -r 'HTTP/1.1 101 Switching Protocols\r\n\r\n' && epw 20 -c $F "$url" $F
judge "101 Switching Protocols" "bad response" 1 "d['bad_responses'] == $F and d['errors'] == $F"
srv -r 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello' &&
	epw 20 -c $F "$url" $F
judge "100 Continue, then 200" "ok" 0 "d['flows_ok'] == $F and d['body_bytes'] == 5 * $F"
srv -r 'HTTP/1.0 200 OK\r\n\r\nhello' && epw 20 -c $F "$url" $F
judge "no Content-Length, body ends at the close" "ok" 0 \
	"d['flows_ok'] == $F and d['body_bytes'] == 5 * $F"
srv -r 'HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello, and more' && epw 20 -c $F "$url" $F
judge "more bytes than Content-Length" "ok, 5 B counted" 0 \
	"d['flows_ok'] == $F and d['body_bytes'] == 5 * $F"
srv -r 'HTTP/1.0 200 OK\r\nContent-Le' && epw 20 -c $F "$url" $F
judge "close inside the header" "incomplete" 1 "d['incompletes'] == $F and d['flows_ok'] == 0"
# keep-alive asked and granted (HTTP/1.1), then the server closes or resets
# each connection after one response without saying so (RFC 9112 9.6: it
# may): a request that meets the close goes again on a new connection
printf 'keep_alive = 1\n' > "$LAB_TMP/ka.conf"
srv -r 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello' &&
	epw 20 -w "$LAB_TMP/ka.conf" -c 2 "$url" 8
judge "keep-alive granted, then closed unannounced" "each flow ok on a connection of its own" 0 \
	"d['flows_ok'] == 8 and d['errors'] == 0 and d['incompletes'] == 0" \
	"$([ "$(srv_lines "conn closed")" = 8 ] && echo 0 || echo 1)" \
	"the server closed $(srv_lines "conn closed") connections"
srv -r 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello' --rst-now 100 &&
	epw 20 -w "$LAB_TMP/ka.conf" -c 2 "$url" 8
judge "keep-alive granted, then reset after one response" "each flow ok on a connection of its own" 0 \
	"d['flows_ok'] == 8 and d['errors'] == 0 and d['incompletes'] == 0"

}

slow() {
echo "-- slow and silent servers (tcp_timeout $TIMEOUT s)"
srv -r 'HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello' -d 1000 -s 38 && epw 30 -c $F "$url" $F
judge "body at one byte a second (gaps < tcp_timeout)" "ok, slowly" 0 \
	"d['flows_ok'] == $F and d['body_bytes'] == 5 * $F and d['duration_s'] >= 4"
srv -r 'HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n' --hold && epw 20 -c $F "$url" $F
judge "header, then nothing for ever" "timeouts after tcp_timeout" 1 \
	"d['timeouts'] == $F and d['errors'] == $F and d['flows_ok'] == 0"
srv -r '' --hold && epw 20 -c $F "$url" $F
judge "no answer to the request" "timeouts after tcp_timeout" 1 \
	"d['timeouts'] == $F and d['errors'] == $F"
raw nosyn && epw 20 -c $F "$url" $F
n=$(srv_lines syn)
judge "no answer to the SYN" "timeouts after 1 + $SYN_RETRIES SYNs" 1 \
	"d['timeouts'] == $F and d['errors'] == $F" \
	"$([ "$n" = $((F * (1 + SYN_RETRIES))) ] && echo 0 || echo 1)" "the peer saw $n SYNs"

}

segments() {
echo "-- segments the kernel would not send (raw peer)"
RAW_BODY=0123456789ABCDEF
raw badack && epw 20 -c $F -o "$LAB_TMP/body" "$url" $F
n=$(srv_lines "badack rst ok")
judge "SYN-ACK acknowledging a wrong number" "RST <SEQ=SEG.ACK>, SYN again, ok" 0 \
	"d['flows_ok'] == $F and d['body_bytes'] == 16 * $F" \
	"$([ "$n" = $F ] && bodies $F $RAW_BODY && echo 0 || echo 1)" \
	"$n correct RSTs; $(grep badack "$LAB_SRV_OUT" | sort | uniq -c | tr '\n' ' ')"
rm -f "$LAB_TMP"/body.*
raw oow && epw 20 -c $F -o "$LAB_TMP/body" "$url" $F
n=$(srv_lines "oow acked ok")
judge "data beyond, before and across the window" "dropped (edge clipped), ACKed, ok" 0 \
	"d['flows_ok'] == $F and d['body_bytes'] == 16 * $F" \
	"$([ "$n" = $F ] && bodies $F $RAW_BODY && echo 0 || echo 1)" \
	"$n right ACKs; bodies: $(cat "$LAB_TMP"/body.* 2> /dev/null | tr '\n' ' ')"
rm -f "$LAB_TMP"/body.*
raw overlap && epw 20 -c $F -o "$LAB_TMP/body" "$url" $F
judge "overlapping segments with other bytes" "first-received bytes stand" 0 \
	"d['flows_ok'] == $F and d['body_bytes'] == 16 * $F" \
	"$(bodies $F 01234567wxyzCDEF && echo 0 || echo 1)" \
	"bodies: $(head -c 16 "$LAB_TMP"/body.* 2> /dev/null | tr '\n' ' ')"
rm -f "$LAB_TMP"/body.*
raw afterfin && epw 20 -c $F -o "$LAB_TMP/body" "$url" $F
judge "data after the FIN" "ignored, body ends at the FIN, ok" 0 \
	"d['flows_ok'] == $F and d['body_bytes'] == 16 * $F" \
	"$(bodies $F $RAW_BODY && echo 0 || echo 1)" \
	"bodies: $(head -c 30 "$LAB_TMP"/body.* 2> /dev/null | tr '\n' ' ')"
rm -f "$LAB_TMP"/body.*
raw rstseq && epw 20 -c $F "$url" $F
n=$(srv_lines "challenge ack ok")
judge "RST in the window but not at RCV.NXT, RST outside" "challenge ACK, ignored, ok" 0 \
	"d['flows_ok'] == $F and d['resets'] == 0" \
	"$([ "$n" = $F ] && echo 0 || echo 1)" "$n right challenge ACKs"
raw zerowin && epw 20 -c $F "$url" $F
n=$(srv_lines probe)
judge "zero window for ever from the SYN-ACK" "probed, then timeouts after tcp_timeout" 1 \
	"d['timeouts'] == $F and d['errors'] == $F and d['bytes_received'] == 0" \
	"$([ "$n" -ge 1 ] && echo 0 || echo 1)" "$n probes seen"
}

exhaust() {
echo "-- exhaustion"
local msg
# epwget sizes the stack from -c: 3 streams and buffers per connection, per core
epw 20 -c 10000000 "$LAB_SRV_IP:$port/x" 10
msg=$(grep -v EAL "$LAB_TMP/err" | head -2 | tr '\n' ' ')
judge "-c 10,000,000 (30 M streams asked)" "refused at start, exit 2, a clear message" 2 - \
	"$([ ! -s "$LAB_TMP/out.json" ] && grep -q "lower -c" "$LAB_TMP/err" && echo 0 || echo 1)" \
	"stderr: $msg"
# 147 GB that the kernel refuses at once; where it would try to populate
# them (overcommit 1, or that much memory) the case is skipped
if [ "$(cat /proc/sys/vm/overcommit_memory)" != 1 ] &&
   [ "$(awk '/^(MemTotal|SwapTotal):/ { s += $2 } END { print s < 64 * 1024 * 1024 }' /proc/meminfo)" = 1 ]; then
	epw 20 -c 3000000 "$LAB_SRV_IP:$port/x" 10
	msg=$(grep -v EAL "$LAB_TMP/err" | head -2 | tr '\n' ' ')
	judge "-c 3,000,000 (9 M streams, 147 GB of buffers)" "no memory: clear error, exit 1, no flow run" 1 \
		"d['flows_completed'] == 0" \
		"$(grep -q "cannot reserve" "$LAB_TMP/err" && echo 0 || echo 1)" "stderr: $msg"
else
	echo "skip -c 3,000,000: this machine could try to populate 147 GB (overcommit 1 or >= 64 GB)"
fi
# TIME_WAIT holds each stream (and its source pair, but no buffer) for
# tcp_timewait: 20 connections get 124 streams, 400 flows need 4 rounds of 1 s
mosconf "$LAB_TMP/tw.conf" 1
srv --hold && conf=$LAB_TMP/tw.conf epw 60 -c 20 "$url" 400
judge "TIME_WAIT (1 s) holding every stream, 400 flows at -c 20" \
	"shortages counted, every flow ok in the end" 0 \
	"d['flows_ok'] == 400 and d['local_shortages'] > 0 and d['errors'] == 0 and d['empty_pools']['streams'] > 0 and d['empty_pools']['buffers'] == 0"
# the source-port pool runs dry first: 50 ports (mos.conf source_ports),
# each held by TIME_WAIT for 1 s; the 124 streams and 89 buffer pairs of
# -c 20 outlast it. 200 flows need 4 rounds.
mosconf "$LAB_TMP/ports.conf" 1 20000-20049
conf=$LAB_TMP/ports.conf epw 20 -C -c 20 "$LAB_SRV_IP:$port/x" 200	# -C: what it would take
msg=$(grep -o "source pairs [0-9]*" "$LAB_TMP/out")
srv --hold && conf=$LAB_TMP/ports.conf epw 60 -c 20 "$url" 200
judge "source ports (50) held by TIME_WAIT (1 s), 200 flows at -c 20" \
	"the empty port pool counted, every flow ok in the end" 0 \
	"d['flows_ok'] == 200 and d['errors'] == 0 and d['local_shortages'] > 0 and d['empty_pools'] == {'streams': 0, 'buffers': 0, 'source_ports': d['empty_pools']['source_ports']} and d['empty_pools']['source_ports'] > 0 and d['duration_s'] >= 3" \
	"$([ "$msg" = "source pairs 50" ] && echo 0 || echo 1)" \
	"epwget -C says '$msg', not 'source pairs 50'"
# keep-alive meets that: every 2nd connection says "Connection: close" and
# waits, so our side closes first and holds TIME_WAIT; the others keep
# alive, then close unannounced, and the request that crosses the close
# goes again on a new connection, which finds the streams held: that flow
# waits for one (a shortage, counted), it does not fail
printf 'keep_alive = 1\n' > "$LAB_TMP/ka.conf"
srv -r 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello' \
	--every 2 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello' &&
	conf=$LAB_TMP/tw.conf epw 60 -w "$LAB_TMP/ka.conf" -c 20 "$url" 600
judge "keep-alive retries while TIME_WAIT holds the streams, 600 flows at -c 20" \
	"retries wait for a stream, every flow ok" 0 \
	"d['flows_ok'] == 600 and d['errors'] == 0 and d['incompletes'] == 0 and d['reconnects'] > 0 and d['local_shortages'] > 0"
}

# The -o files: only OUTFILE.<flow number>, whatever the URL's path says.
files() {
echo "-- input files"
local d=$LAB_TMP/files new wconf=$LAB_TMP/epwget.conf
mkdir -p "$d/run" "$d/out"
: > "$wconf"	# everything from the command line; epwget runs in $d/run
srv
touch "$d/stamp"
for path in '/../../etc/epwhostile' '/a/b/c' '/%2e%2e/x'; do
	rm -rf "$d/out"/* "$d/run"/*
	( cd "$d/run" && timeout -k 2 20 ip netns exec "$LAB_NS_CLI" "$EPWGET_ABS" \
		-f "$conf" -w "$wconf" -o "$d/out/body" "$LAB_SRV_IP:$port$path" 3 > /dev/null 2>&1 )
	rc=$?
	new=$(cd "$d" && find . -newer stamp \( -type f -o -type d \) ! -name . | sort | tr '\n' ' ')
	if [ "$rc" = 0 ] && [ "$new" = "./out ./out/body.0 ./out/body.1 ./out/body.2 " ] &&
	   [ ! -e /etc/epwhostile ] && [ "$(cat "$d/out/body.1")" = hello ]; then
		ok "-o with URL path $path: only out/body.0..2 written (bodies right)"
	else
		bad "-o with URL path $path" "exit $rc; created: $new"
	fi
done
rm -rf "$d/out"/* "$d/run"/*
( cd "$d/run" && timeout -k 2 20 ip netns exec "$LAB_NS_CLI" "$EPWGET_ABS" \
	-f "$conf" -w "$wconf" "$LAB_SRV_IP:$port/a/b/c" 3 > /dev/null 2>&1 )
rc=$?
new=$(cd "$d" && find . -newer stamp -type f | sort | tr '\n' ' ')
[ "$rc" = 0 ] && [ -z "$new" ] && ok "no -o: no file written (cwd, -o dir)" ||
	bad "no -o" "exit $rc; created: $new"
epw 20 -c 3 -o "$d/missing/dir/body" "$url" 3
judge "-o into a directory that does not exist" "each file an output error, exit 1, named" 1 \
	"d['flows_ok'] == 3 and d['output_errors'] == 3 and d['local_shortages'] == 0" \
	"$([ ! -e "$d/missing" ] && grep -q "$d/missing/dir/body\.[0-2]" "$LAB_TMP/err" && echo 0 ||
	   echo 1)" "created the directory or named no path: $(grep -v '^EAL: ' "$LAB_TMP/err" | tail -2)"
output_files
}

# -o and -j never write through a symbolic link nor over an old body, and
# -o has the open files it needs (tracker issue 11)
output_files() {
local d=$LAB_TMP/outfiles hard
rm -rf "$d" && mkdir -p "$d/old" "$d/ln"
echo old > "$d/old/body.1"
epw 20 -c 3 -o "$d/old/body" "$url" 3
judge "-o body path an existing file" "refused (EEXIST), an output error, exit 1" 1 \
	"d['flows_ok'] == 3 and d['output_errors'] == 1" \
	"$([ "$(cat "$d/old/body.1")" = old ] && [ "$(cat "$d/old/body.2")" = hello ] &&
	   grep -q "body\.1: File exists" "$LAB_TMP/err" && echo 0 || echo 1)" \
	"body.1: '$(head -c 20 "$d/old/body.1")'; $(grep -v '^EAL: ' "$LAB_TMP/err" | tail -2)"
echo keep > "$d/victim"
ln -s "$d/victim" "$d/ln/body.1"
epw 20 -c 3 -o "$d/ln/body" "$url" 3
judge "-o body path a symbolic link" "refused, the target untouched, exit 1" 1 \
	"d['flows_ok'] == 3 and d['output_errors'] == 1" \
	"$([ "$(cat "$d/victim")" = keep ] && [ -L "$d/ln/body.1" ] &&
	   [ "$(cat "$d/ln/body.0")" = hello ] &&
	   grep -q "body\.1 is a symbolic link" "$LAB_TMP/err" && echo 0 || echo 1)" \
	"victim: '$(head -c 20 "$d/victim")'; $(grep -v '^EAL: ' "$LAB_TMP/err" | tail -2)"
echo keep > "$d/victim.json"
ln -s "$d/victim.json" "$d/link.json"
epw 20 -c 3 -j "$d/link.json" "$url" 3
judge "-j a symbolic link to a file" "refused before the run, target untouched, exit 2" 2 - \
	"$([ "$(cat "$d/victim.json")" = keep ] && ! grep -q "flows:" "$LAB_TMP/out" &&
	   grep -q "link.json is a symbolic link" "$LAB_TMP/err" && echo 0 || echo 1)" \
	"victim: '$(head -c 20 "$d/victim.json")'; $(grep -v '^EAL: ' "$LAB_TMP/err" | tail -2)"
ln -s "$d/nowhere.json" "$d/dangling.json"
epw 20 -c 3 -j "$d/dangling.json" "$url" 3
judge "-j a dangling symbolic link" "refused before the run, nothing created, exit 2" 2 - \
	"$([ ! -e "$d/nowhere.json" ] && ! grep -q "flows:" "$LAB_TMP/out" && echo 0 || echo 1)" \
	"$(ls "$d"); $(grep -v '^EAL: ' "$LAB_TMP/err" | tail -2)"
epw 20 -c 3 -j "$d/no/such/dir.json" "$url" 3
judge "-j in a directory that does not exist" "refused before the run, exit 2" 2 - \
	"$(! grep -q "flows:" "$LAB_TMP/out" && grep -q "dir.json" "$LAB_TMP/err" && echo 0 ||
	   echo 1)" "$(grep -v '^EAL: ' "$LAB_TMP/err" | tail -2)"
# a write that fails: 3 bodies of 1000 B, each a 4 KiB page of a tmpfs of 2
mkdir -p "$d/full"
if mount -t tmpfs -o size=8k epw-full "$d/full" 2> /dev/null; then
	srv -r "$HDR1000$BODY1000"
	epw 20 -c 3 -o "$d/full/body" "$url" 3
	judge "-o onto a full file system (ENOSPC)" "the body not written an output error, exit 1" 1 \
		"d['flows_ok'] == 3 and d['output_errors'] == 1" \
		"$(grep -q "No space left on device" "$LAB_TMP/err" && echo 0 || echo 1)" \
		"stderr: $(grep -v '^EAL: ' "$LAB_TMP/err" | tail -2)"
	umount "$d/full"
	srv
else
	echo "skip -o onto a full file system: cannot mount a tmpfs"
fi
# -c 200 keeps 200 bodies open at once
epw_limit -n 64 20 -c 200 -o "$d/lim" "$url" 200
judge "-o at -c 200 under ulimit -n 64 (soft and hard)" "refused at start, exit 2, a clear message" \
	2 - "$(grep -q "\-o needs [0-9]* open files at -c 200; the limit is 64: raise it with ulimit -n or lower -c" \
	       "$LAB_TMP/err" && [ -z "$(ls "$d" | grep lim)" ] && echo 0 || echo 1)" \
	"stderr: $(grep -v '^EAL: ' "$LAB_TMP/err" | tail -2)"
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ] || [ "$hard" -ge 1024 ]; then
	rm -f "$LAB_TMP"/body.*
	epw_limit -Sn 64 30 -c 200 -o "$LAB_TMP/body" "$url" 200
	judge "-o at -c 200 under ulimit -Sn 64 (hard $hard)" "soft limit raised, every body written" 0 \
		"d['flows_ok'] == 200 and d['output_errors'] == 0" \
		"$(bodies 200 hello && echo 0 || echo 1)" \
		"$(ls "$LAB_TMP" | grep -c '^body\.') bodies; $(grep -v '^EAL: ' "$LAB_TMP/err" | tail -2)"
	rm -f "$LAB_TMP"/body.*
else
	echo "skip -o under ulimit -Sn 64: the hard limit ($hard) is below 1024"
fi
}

# epw_limit ULIMIT_ARGS... MAXWALL ARGS...: epw under `ulimit ULIMIT_ARGS` (two words)
epw_limit() {
	local l1=$1 l2=$2
	shift 2
	rm -f "$LAB_TMP/rcwall"
	( ulimit "$l1" "$l2" || exit 1; epw "$@"; echo "$rc $wall" > "$LAB_TMP/rcwall" )
	read -r rc wall < "$LAB_TMP/rcwall" 2> /dev/null || { rc=none; wall=0; }
}

# test/e2e_hostile.sh [SECTION...]: run only those sections (default: all)
for sect in ${@:-resets http slow segments exhaust files}; do
	"$sect"
	[ -n "${LAB_SRV_PID:-}" ] && lab_stop_srv > /dev/null 2>&1
	LAB_SRV_PID=
done

lab_down
[ "$(ip netns list | grep -c 'epw-hostile')" -eq 0 ] && ok "lab removed" || bad "lab removed"
echo
echo "| case | right outcome | counters seen | wall s | result |"
echo "|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo
echo "e2e_hostile: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
