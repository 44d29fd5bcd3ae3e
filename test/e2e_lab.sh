#!/bin/bash
# e2e_lab.sh - the interoperability lab (test/lab.sh) and its kernel peer
# (test/ksock.c), checked without our stack: the kernel's own sockets on
# both ends of the lab's veth pair. Our end gets a temporary address for
# that. Transfers each way with their hashes, many connections, reset and
# refusal, 10% loss and duplication, nginx, and a lab that leaves nothing
# behind: after lab_down, after a SIGTERM and after a SIGKILL of a script.
#
# Needs root and the Debian packages iproute2, ethtool, procps, util-linux,
# nftables, nginx-light (or nginx), gcc, libxxhash-dev:
#   apt-get install -y iproute2 ethtool procps util-linux nftables nginx-light gcc libxxhash-dev
# Builds build/test/ksock when it is missing or older than test/ksock.c.
# Traffic stays inside the namespaces epw-e2elab-* and epw-e2ekill-*.
set -u
cd "$(dirname "$0")/.." || exit 1
. test/lab.sh
K=${E2E_BUILD:-build}/test/ksock	# make test sets E2E_BUILD (build-san for SAN=1)
CFLAGS_KSOCK="-std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror"
tmp=$(mktemp -d)
passed=0
failed=0
start=$(date +%s)

cleanup() {
	trap '' INT TERM HUP	# a second signal must not cut the cleanup short
	lab_down
	[ -n "${child:-}" ] && kill -TERM "$child" 2> /dev/null && wait "$child"
	LAB_LOCK_WAIT=5 lab_purge e2ekill
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; shift; for l in "$@"; do echo "  $l"; done; }
summary() { echo "e2e_lab: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit; }

# --- what the lab needs ---------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
	bad "runs as root" "namespaces, veth and nftables need root: sudo $0"
	summary
fi
missing=
for c in ip ss ethtool sysctl flock nft nginx gcc; do
	command -v "$c" > /dev/null || missing="$missing $c"
done
if [ -n "$missing" ]; then
	bad "tools present" "missing:$missing" \
	    "apt-get install -y iproute2 ethtool procps util-linux nftables nginx-light gcc libxxhash-dev"
	summary
fi

# --- ksock ----------------------------------------------------------------
if [ ! -x "$K" ] || [ test/ksock.c -nt "$K" ]; then
	mkdir -p "$(dirname "$K")"
	if gcc $CFLAGS_KSOCK -o "$K" test/ksock.c -lxxhash 2> "$tmp/cc"; then
		ok "ksock builds with $CFLAGS_KSOCK"
	else
		bad "ksock builds" "$(cat "$tmp/cc")"
		summary
	fi
fi

want=""
for i in $(seq 0 63); do want="$want $(( ((i * 2654435761 + 7) >> 13) & 255 ))"; done
got=$("$K" gen -n 64 | od -An -tu1 -v | tr -s ' \n' '  ')
if [ "$got" = "$want " ] || [ "$got" = "$want" ]; then
	ok "ksock gen: bytes 0-63 are (i * 2654435761 + 7) >> 13"
else
	bad "ksock gen pattern" "want$want" "got $got"
fi
h3m=$("$K" hash -n 3M)
if [ "$("$K" gen -n 3M | "$K" hash)" = "$h3m" ] && [ "$("$K" hash -n 0)" = ef46db3751d8e999 ]; then
	ok "ksock hash -n 3M (across the 2 MiB period) equals the hash of ksock gen; empty is ef46db3751d8e999"
else
	bad "ksock hash" "hash -n 3M $h3m, gen|hash $("$K" gen -n 3M | "$K" hash), -n 0 $("$K" hash -n 0)"
fi
errs=0
for args in "" "sink" "source -p 1" "client -p 1 -n 1" "client -c 10.99.1.4 -p 1 -n 1x" \
	    "sink -p 70000" "echo -p 1 extra" "client -c host -p 1 -n 1" "bogus"; do
	"$K" $args > /dev/null 2> "$tmp/err"
	rc=$?
	if [ "$rc" -ne 2 ] || [ "$(wc -l < "$tmp/err")" -lt 1 ]; then
		errs=$((errs + 1))
		echo "  ksock $args: exit $rc, stderr: $(cat "$tmp/err")"
	fi
done
[ "$errs" -eq 0 ] && ok "ksock usage errors: exit 2 with a message" || bad "ksock usage errors ($errs wrong)"

# --- the lab ----------------------------------------------------------------
if ! lab_up e2elab 7 2> "$tmp/err"; then
	bad "lab_up e2elab" "$(cat "$tmp/err")"
	summary
fi
ok "lab_up e2elab"

nsok=0
ip netns list | grep -q "^$LAB_NS_SRV\b" && ip netns list | grep -q "^$LAB_NS_CLI\b" && nsok=1
if [ "$nsok" = 1 ] && lab_exec_srv ip link show dev "$LAB_IF_SRV" > /dev/null &&
   lab_exec_cli ip link show dev "$LAB_IF_CLI" > /dev/null &&
   ! ip link show dev "$LAB_IF_SRV" > /dev/null 2>&1 && ! ip link show dev "$LAB_IF_CLI" > /dev/null 2>&1; then
	ok "namespaces $LAB_NS_SRV, $LAB_NS_CLI hold $LAB_IF_SRV, $LAB_IF_CLI; nothing in the root namespace"
else
	bad "namespaces and links" "$(ip netns list)" "$(ip -br link)"
fi

check_end() {	# NS IF: offloads off, MTU 1500, up, no IPv6
	local f feat
	feat=$(ip netns exec "$1" ethtool -k "$2")
	for f in tx-checksumming rx-checksumming tcp-segmentation-offload generic-segmentation-offload \
		 generic-receive-offload; do
		echo "$feat" | grep -q "^$f: off" || { echo "$f on"; return 1; }
	done
	ip -n "$1" link show dev "$2" | grep -q "mtu 1500 .*state UP" || { echo "not up at 1500"; return 1; }
	ip -n "$1" -d link show dev "$2" | grep -q "gso_max_segs 1 " || { echo "gso_max_segs not 1"; return 1; }
	[ -z "$(ip -n "$1" -6 addr show dev "$2")" ] || { echo "has IPv6"; return 1; }
	[ "$(ip netns exec "$1" sysctl -n "net.ipv6.conf.$2.disable_ipv6")" = 1 ] || { echo "IPv6 on"; return 1; }
}
for end in "$LAB_NS_SRV $LAB_IF_SRV" "$LAB_NS_CLI $LAB_IF_CLI"; do
	if why=$(check_end $end); then
		ok "${end#* }: offloads off, one segment per packet, MTU 1500, up, IPv6 disabled"
	else
		bad "${end#* } set up" "$why"
	fi
done
if [ -z "$(lab_exec_cli ip -4 addr show dev "$LAB_IF_CLI")" ] &&
   lab_exec_cli ip link show dev "$LAB_IF_CLI" | grep -q PROMISC &&
   lab_exec_srv ip -4 addr show dev "$LAB_IF_SRV" | grep -q "inet $LAB_SRV_IP/24"; then
	ok "our end: no address, promiscuous; server end: $LAB_SRV_IP/24"
else
	bad "addresses" "$(lab_exec_cli ip addr)" "$(lab_exec_srv ip addr)"
fi
ms=$(lab_mac_srv)
mc=$(lab_mac_cli)
mac_re='^[0-9a-f]{2}(:[0-9a-f]{2}){5}$'
if [[ $ms =~ $mac_re ]] && [[ $mc =~ $mac_re ]] && [ "$ms" != "$mc" ]; then
	ok "lab_mac_srv $ms, lab_mac_cli $mc"
else
	bad "MACs" "srv '$ms' cli '$mc'"
fi

# The kernel on our end, for this test only; our stack owns the end otherwise.
lab_exec_cli ip addr add "$LAB_CLI_IP/24" dev "$LAB_IF_CLI"

# srv_done: wait (10 s at most) for the last server to exit; its status in $?
srv_done() {
	local i
	for i in $(seq 100); do
		kill -0 "$LAB_SRV_PID" 2> /dev/null || break
		sleep 0.1
	done
	lab_stop_srv "$LAB_SRV_PID" 2> /dev/null
}

# pair LABEL PORT "SERVER ARGS" "CLIENT ARGS" SRV_LINE: a ksock server for one
# connection, a ksock client from our end; both exit 0, the server prints SRV_LINE
pair() {
	local label=$1 port=$2 sargs=$3 cargs=$4 line=$5 crc src
	if ! lab_start_srv "$K" $sargs -a "$LAB_SRV_IP" -p "$port" -k 1 --timeout 60 2> "$tmp/err"; then
		bad "$label" "$(cat "$tmp/err")"
		return 1
	fi
	lab_exec_cli "$K" client -c "$LAB_SRV_IP" -p "$port" --timeout 30 $cargs > "$tmp/cli" 2>&1
	crc=$?
	srv_done
	src=$?
	if [ "$crc" -eq 0 ] && [ "$src" -eq 0 ] && grep -qx "conn 0 $line" "$LAB_SRV_OUT"; then
		ok "$label ($(awk '/^total/ { print $9 " s" }' "$tmp/cli"))"
	else
		bad "$label" "client exit $crc: $(cat "$tmp/cli")" \
		    "server exit $src: $(cat "$LAB_SRV_OUT" "$LAB_SRV_ERR")" "want: conn 0 $line"
	fi
}

h1m=$("$K" hash -n 1M)
pair "sink: 1 MB from our end, hashes match" 5001 sink "--mode sink -n 1M" "bytes 1048576 xxh64 $h1m"
pair "source: 1 MB to our end, client closes first" 5002 "source -n 1M" "--mode source -n 1M" \
	"bytes 1048576 xxh64 $h1m"
pair "source --close-first: 1 MB, server closes first" 5003 "source -n 1M --close-first" \
	"--mode source -n 1M" "bytes 1048576 xxh64 $h1m"
pair "echo: 1 MB each way, hashes match" 5004 echo "--mode echo -n 1M" "bytes 1048576 xxh64 $h1m"

# many connections at once through one epoll loop on each side
if lab_start_srv "$K" echo -q -a "$LAB_SRV_IP" -p 5005 -k 2000 --timeout 60 2> "$tmp/err"; then
	lab_exec_cli "$K" client -q -c "$LAB_SRV_IP" -p 5005 --mode echo -n 4K -k 2000 -P 500 \
		--timeout 30 > "$tmp/cli" 2>&1
	crc=$?
	srv_done
	src=$?
	if [ "$crc" -eq 0 ] && [ "$src" -eq 0 ] && grep -qx "total conns 2000 bytes 8192000" "$LAB_SRV_OUT" &&
	   grep -q "^total conns 2000 bytes 8192000 failed 0 " "$tmp/cli"; then
		ok "echo: 2000 connections, 500 at once ($(awk '/^total/ { print $11 " conns/s" }' "$tmp/cli"))"
	else
		bad "echo: 2000 connections" "client exit $crc: $(tail -5 "$tmp/cli")" \
		    "server exit $src: $(cat "$LAB_SRV_OUT" "$LAB_SRV_ERR")"
	fi
else
	bad "echo server for 2000 connections" "$(cat "$tmp/err")"
fi

# reset and refusal, as the client sees them
if lab_start_srv "$K" rst -a "$LAB_SRV_IP" -p 5006 -k 1 --timeout 60 2> "$tmp/err"; then
	lab_exec_cli "$K" client -c "$LAB_SRV_IP" -p 5006 --mode source -n 10 --timeout 10 > "$tmp/cli" 2>&1
	crc=$?
	srv_done
	if [ "$crc" -eq 1 ] && grep -q "error Connection reset by peer" "$tmp/cli"; then
		ok "rst: the client sees a reset"
	else
		bad "rst" "client exit $crc: $(cat "$tmp/cli")"
	fi
else
	bad "rst server" "$(cat "$tmp/err")"
fi
lab_exec_cli "$K" client -c "$LAB_SRV_IP" -p 5999 --mode source -n 10 --timeout 10 > "$tmp/cli" 2>&1
crc=$?
if [ "$crc" -eq 1 ] && grep -q "error Connection refused" "$tmp/cli"; then
	ok "a port without a listener refuses"
else
	bad "closed port" "client exit $crc: $(cat "$tmp/cli")"
fi

# --- loss and duplication -------------------------------------------------
if lab_loss 10 2> "$tmp/err" && lab_exec_srv nft list table inet epwlab | grep -q "numgen random mod 100 < 10"; then
	ok "lab_loss 10: rules on input and output"
	pair "10% loss: 1 MB to a sink completes" 5011 sink "--mode sink -n 1M" "bytes 1048576 xxh64 $h1m"
	pair "10% loss: 1 MB from a source completes" 5012 "source -n 1M" "--mode source -n 1M" \
		"bytes 1048576 xxh64 $h1m"
	n=$(lab_nft_packets loss)
	[ "$n" -gt 100 ] && ok "10% loss: the rules dropped $n packets" || bad "loss rules dropped nothing"
else
	bad "lab_loss 10" "$(cat "$tmp/err")"
fi
dsack() {	# TCP D-SACKs sent from our end so far: each is a duplicate that arrived
	lab_exec_cli cat /proc/net/netstat | awk '/^TcpExt:/ { if (!n) { for (i = 2; i <= NF; i++)
		col[$i] = i; n = 1 } else print $col["TCPDSACKOldSent"] + $col["TCPDSACKOfoSent"] }'
}
if lab_loss 0 && lab_dup 10 2> "$tmp/err"; then
	d0=$(dsack)
	pair "10% duplication: 1 MB from a source completes" 5013 "source -n 1M" "--mode source -n 1M" \
		"bytes 1048576 xxh64 $h1m"
	n=$(lab_nft_packets dup)
	d1=$(dsack)
	if [ "$n" -gt 20 ] && [ "$d1" -gt "$d0" ]; then
		ok "10% duplication: $n packets duplicated, our end answered $((d1 - d0)) with D-SACKs"
	else
		bad "duplication" "rule hits $n, D-SACKs sent $d0 -> $d1"
	fi
else
	bad "lab_dup 10" "$(cat "$tmp/err")"
fi
lab_clear
if [ -z "$(lab_exec_srv nft list tables)" ]; then
	ok "lab_clear removes the rules"
else
	bad "lab_clear" "$(lab_exec_srv nft list tables)"
fi

# --- nginx ------------------------------------------------------------------
mkdir -p "$tmp/www"
"$K" gen -n 100000 > "$tmp/www/f"
printf 'hello lab\n' > "$tmp/www/small"
h100k=$("$K" hash -n 100000)
if lab_nginx "$tmp/www" 8080 2> "$tmp/err"; then
	ok "lab_nginx: listening on $LAB_SRV_IP:8080"
	lab_exec_cli "$K" client -c "$LAB_SRV_IP" -p 8080 --http /f -n 100000 --timeout 10 > "$tmp/cli" 2>&1
	crc=$?
	if [ "$crc" -eq 0 ] && grep -qx "conn 0 status 200 bytes 100000 xxh64 $h100k" "$tmp/cli"; then
		ok "nginx: GET /f, 100000 bytes of the pattern, hash matches"
	else
		bad "nginx GET /f" "client exit $crc: $(cat "$tmp/cli")"
	fi
	lab_exec_cli "$K" client -c "$LAB_SRV_IP" -p 8080 --http /none --timeout 10 > "$tmp/cli" 2>&1
	crc=$?
	[ "$crc" -eq 1 ] && grep -q "status 404 .*error no HTTP 200" "$tmp/cli" &&
		ok "nginx: GET /none is a 404, reported as a failure" || bad "nginx 404" "$(cat "$tmp/cli")"
	body=$(lab_exec_cli timeout 10 bash -c "exec 3<>/dev/tcp/$LAB_SRV_IP/8080 &&
		printf 'GET /small HTTP/1.0\r\n\r\n' >&3 && cat <&3" | tail -n 1)
	[ "$body" = "hello lab" ] && ok "nginx: GET /small with bash /dev/tcp" || bad "bash /dev/tcp GET" "got '$body'"
	lab_exec_cli "$K" client -q -c "$LAB_SRV_IP" -p 8080 --http /small -k 2000 -P 20 --timeout 30 \
		> "$tmp/cli" 2>&1
	crc=$?
	if [ "$crc" -eq 0 ] && grep -q "^total conns 2000 bytes 20000 failed 0 " "$tmp/cli"; then
		ok "nginx: 2000 HTTP/1.0 requests, 20 at once ($(awk '/^total/ { print $11 " requests/s" }' "$tmp/cli"))"
	else
		bad "nginx: 2000 requests" "client exit $crc: $(tail -5 "$tmp/cli")"
	fi
	if grep -qE '\[(emerg|alert|crit)\]' "$LAB_NGINX_DIR/error.log"; then
		bad "nginx error log" "$(cat "$LAB_NGINX_DIR/error.log")"
	fi
else
	bad "lab_nginx" "$(cat "$tmp/err")"
fi

# --- nothing left behind ----------------------------------------------------
alive() {	# PID: running (a zombie waiting for init to reap it is gone)
	local st
	st=$(ps -o stat= -p "$1")
	[ -n "$st" ] && [ "${st#Z}" = "$st" ]
}
leftovers() {	# NAME [PID]: print what of lab NAME (and process PID) still exists
	ip netns list | grep "^epw-$1-"
	ip -o link | grep -o "epw$1[ds]"
	[ -n "${2:-}" ] && alive "$2" && echo "process $2"
	ls -d /tmp/epwlab-"$1".* 2> /dev/null
}
# gone LABEL NAME [PID]: nothing of lab NAME is left. Looks while holding the
# lab's lock, so that a concurrent run of this script, which may take the
# name as soon as it is free, is not taken for a leftover.
gone() {
	local lock=/run/lock/epwlab-$2.lock left=''
	[ -e "$lock" ] && flock -n "$lock" true && left="$lock (held by no one)"
	LAB_LOCK_WAIT=600 _lab_lock "$2" 2> /dev/null
	left="$left$(leftovers "$2" "${3:-}")"
	_lab_unlock "$2"
	if [ -z "$left" ]; then ok "$1"; else bad "$1: left" "$left"; fi
}
# child_up: start the child script, wait for its lab; its server's pid in $kpid
child_up() {
	bash "$tmp/child.sh" > "$tmp/child.out" 2>&1 &
	child=$!
	for i in $(seq 600); do grep -q '^up' "$tmp/child.out" && break; sleep 0.1; done
	kpid=$(awk '/^up/ { print $2 }' "$tmp/child.out")
}

srv_pid=$LAB_SRV_PID
lab_down
gone "lab_down: no namespace, link, process, temp dir or lock left" e2elab "$srv_pid"
if lab_down; then ok "lab_down again: nothing to do, exit 0"; else bad "second lab_down"; fi

# a script killed by SIGTERM while its server runs cleans up through lab_trap
cat > "$tmp/child.sh" <<EOF
. test/lab.sh
lab_trap
lab_up e2ekill 8 || exit 1
lab_start_srv $K sink -p 5001 || exit 1
echo "up \$LAB_SRV_PID"
while :; do sleep 0.1; done
EOF
child_up
if [ -n "$kpid" ]; then
	kill -TERM "$child"
	wait "$child"
	gone "SIGTERM mid-run: lab_trap removed everything" e2ekill "$kpid"
else
	bad "child lab did not come up" "$(cat "$tmp/child.out")"
	kill -TERM "$child" 2> /dev/null
	wait "$child"
fi

# SIGKILL leaves the lab; the next lab_up of the same name clears it first
child_up
kill -KILL "$child"
wait "$child" 2> /dev/null
if [ -n "$kpid" ] && [ -n "$(leftovers e2ekill)" ]; then
	( lab_up e2ekill 8 && lab_down )
	gone "SIGKILL mid-run: lab_up of the same name cleared the leftovers" e2ekill "$kpid"
else
	bad "SIGKILL child" "$(cat "$tmp/child.out")"
fi
child=

echo "e2e_lab took $(( $(date +%s) - start )) s"
summary
