#!/bin/bash
# e2e_mp.sh - epwget-mp, the multi-process mode, against nginx over the
# master's net_tap (test/mplab.sh): a master and one slave, and a master
# and three slaves, complete every flow with exact bytes (-o bodies
# identical and numbered over the group); a slave started before its
# master waits for it; a slave with no master, a second master, a slave
# on the master's or a taken core, bad -c values, net_af_packet and the
# wrong binary for a configuration are refused with their messages; a
# master killed mid-run makes its slave stop with a message, and the next
# group starts cleanly; nothing is left behind (namespaces, hugepages,
# mount, DPDK runtime files).
set -u
cd "$(dirname "$0")/.."
. test/mplab.sh
EPWGET=${EPWGET:-./epwget}		# make test sets both: the SAN=1 build has its own
EPWGET_MP=${EPWGET_MP:-./epwget-mp}

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; shift; for l in "$@"; do echo "  $l"; done; }
finish() { echo "e2e_mp: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; }

if [ "$(id -u)" != 0 ]; then
	echo "SKIP e2e_mp: needs root (namespaces, hugepages)"
	echo "e2e_mp: 0 passed, 0 failed, 1 skipped"
	exit 0
fi
pages_before=$(cat /proc/sys/vm/nr_hugepages)
MPLAB_WAIT=20 mplab_up mp 21 2 || { echo "e2e_mp: 0 passed, 1 failed"; exit 1; }
mplab_trap
T=$LAB_TMP
www=$T/www
mkdir -p "$www"
for n in 64 8192; do head -c "$n" /dev/urandom > "$www/f$n"; done
chmod -R a+rX "$www"
lab_nginx "$www" 80 || { bad "nginx"; finish; exit 1; }
# the same group with 4 processes (on however many CPUs this machine has), and one with mp_wait 2
_mplab_conf conf/mos-master.conf "$T/m4.conf" 4
_mplab_conf conf/mos-slave.conf "$T/s4.conf" 4
sed 's/mp_wait = [0-9]*/mp_wait = 2/' "$MPLAB_MASTER" > "$T/mw.conf"
sed 's/mp_wait = [0-9]*/mp_wait = 2/' "$MPLAB_SLAVE" > "$T/sw.conf"

# wconf FLOWS CONCURRENCY FILE: an epwget.conf for the lab
wconf() {
	printf 'url = %s/%s\ntotal_flows = %s\ntotal_concurrency = %s\n' "$LAB_SRV_IP" "$3" "$1" "$2" \
		> "$T/w.conf"
	echo "$T/w.conf"
}

# start NAME CONF CORE ARGS...: a process of the group in the background; $T/NAME.{out,err}
declare -A PID
start() {
	local name=$1 conf=$2 core=$3
	shift 3
	mplab_exec timeout -s KILL 120 "$EPWGET_MP" -f "$conf" -c "$core" "$@" \
		> "$T/$name.out" 2> "$T/$name.err" &
	PID[$name]=$!
}

# finish_rc NAME: its exit status
rc_of() { wait "${PID[$1]}"; }

# jsum FILES EXPR: EXPR over the summed JSON `d` (flows_ok, body_bytes, ...) of the files
jsum() {
	local files=$1 expr=$2
	python3 - "$expr" $files <<-'EOF'
	import json, sys
	d = {}
	for p in sys.argv[2:]:
	    for k, v in json.load(open(p)).items():
	        if isinstance(v, (int, float)):
	            d[k] = d.get(k, 0) + v
	sys.exit(0 if eval(sys.argv[1]) else 1)
	EOF
}

master_pid() { cat "/var/run/dpdk/$MPLAB_PREFIX/mos_mp_ready" 2> /dev/null; }

# --- a master and one slave: 1,000 flows of 8 KB, bodies kept ------------------------
w=$(wconf 1000 100 f8192)
rm -rf "$T/body" && mkdir -p "$T/body"
start m "$MPLAB_MASTER" 0 -w "$w" -j "$T/s.json" -o "$T/body/b"
mplab_tap || bad "the master's tap" "$(tail -n 3 "$T/m.err")"
start s1 "$MPLAB_SLAVE" 1 -w "$w" -j "$T/s.json" -o "$T/body/b"
rc_of m; rm_=$?
rc_of s1; rs=$?
if [ "$rm_" = 0 ] && [ "$rs" = 0 ] &&
   jsum "$T/s-0.json $T/s-1.json" "d['flows_ok'] == 1000 and d['body_bytes'] == 8192000 and d['errors'] == 0"; then
	ok "master + 1 slave: 1,000 flows of 8 KB all ok, 8,192,000 body bytes, one JSON each (s-0.json, s-1.json)"
else
	bad "master + 1 slave" "exit $rm_/$rs" "$(tail -n 3 "$T/m.out" "$T/m.err" "$T/s1.out" "$T/s1.err")"
fi
same=0
for i in $(seq 0 999); do cmp -s "$T/body/b.$i" "$www/f8192" && same=$((same + 1)); done
if [ "$same" = 1000 ] && [ "$(ls "$T/body" | wc -l)" = 1000 ]; then
	ok "master + 1 slave: -o wrote 1,000 bodies, numbered 0..999 over the group, byte-identical"
else
	bad "-o over the group" "$same of 1000 identical, $(ls "$T/body" | wc -l) files"
fi
if grep -q '^\[CPU 1\] Completed 500 connections' "$T/s1.out" &&
   grep -q '^\[CPU 0\] Completed 500 connections' "$T/m.out"; then
	ok "each process prints its own per-core line (500 each)"
else
	bad "per-process lines" "$(grep Completed "$T/m.out" "$T/s1.out")"
fi

# --- a master and three slaves: 4 processes, 4 queues ------------------------------------
w=$(wconf 4000 200 f64)
rm -f "$T"/s-*.json
start m "$T/m4.conf" 0 -w "$w" -j "$T/s.json"
mplab_tap || bad "the master's tap (4 queues)" "$(tail -n 3 "$T/m.err")"
for c in 1 2 3; do start "s$c" "$T/s4.conf" "$c" -w "$w" -j "$T/s.json"; done
rcs=""
for n in m s1 s2 s3; do rc_of "$n"; rcs="$rcs$?"; done
if [ "$rcs" = 0000 ] &&
   jsum "$T/s-0.json $T/s-1.json $T/s-2.json $T/s-3.json" "d['flows_ok'] == 4000 and d['body_bytes'] == 256000" &&
   jsum "$T/s-3.json" "d['flows_ok'] == 1000"; then
	ok "master + 3 slaves: 4,000 flows all ok, 256,000 body bytes, 1,000 per process"
else
	bad "master + 3 slaves" "exit codes $rcs" "$(tail -n 2 "$T"/m.err "$T"/s?.err)"
fi

# --- a slave started before its master waits for it ---------------------------------------
w=$(wconf 400 40 f64)
rm -f "$T"/s-*.json
start s1 "$MPLAB_SLAVE" 1 -w "$w" -j "$T/s.json"
sleep 2
start m "$MPLAB_MASTER" 0 -w "$w" -j "$T/s.json"
mplab_tap || bad "the master's tap (late master)" "$(tail -n 3 "$T/m.err")"
rc_of m; rm_=$?
rc_of s1; rs=$?
if [ "$rm_" = 0 ] && [ "$rs" = 0 ] && grep -q "waiting up to 20 s for the master" "$T/s1.err" &&
   jsum "$T/s-0.json $T/s-1.json" "d['flows_ok'] == 400"; then
	ok "a slave started 2 s before its master waits for it; all 400 flows ok"
else
	bad "slave before master" "exit $rm_/$rs" "$(tail -n 3 "$T/s1.err" "$T/m.err")"
fi

# --- a slave with no master -------------------------------------------------------------------
t0=$(date +%s)
start s1 "$T/sw.conf" 1 -w "$w"
rc_of s1; rs=$?
dt=$(($(date +%s) - t0))
if [ "$rs" = 1 ] && [ "$dt" -lt 15 ] &&
   grep -q "no master is ready for file prefix $MPLAB_PREFIX after 2 s: start the master first" "$T/s1.err"; then
	ok "a slave with no master gives up after mp_wait (2 s): exit 1, says to start the master first"
else
	bad "slave with no master" "exit $rs after $dt s" "$(tail -n 3 "$T/s1.err")"
fi

# --- refusals beside a running group, then the master killed mid-run ----------------------------
w=$(wconf 100000000 20 f64)
start m "$T/mw.conf" 0 -w "$w"
mplab_tap || bad "the master's tap (long run)" "$(tail -n 3 "$T/m.err")"
start m2 "$T/mw.conf" 0 -w "$w"
rc_of m2; r=$?
if [ "$r" = 1 ] && grep -q "a master already runs for file prefix $MPLAB_PREFIX (pid $(master_pid))" "$T/m2.err"; then
	ok "a second master is refused: exit 1, names the running one's pid"
else
	bad "second master" "exit $r" "$(tail -n 3 "$T/m2.err")"
fi
start s0 "$T/sw.conf" 0 -w "$w"
rc_of s0; r=$?
if [ "$r" = 2 ] && grep -q "core 0 is the master's (multiprocess = 0 master): give slaves the other CPUs" "$T/s0.err"; then
	ok "a slave on the master's core is refused"
else
	bad "slave on the master's core" "exit $r" "$(tail -n 3 "$T/s0.err")"
fi
start s1 "$T/sw.conf" 1 -w "$w" -j "$T/k.json"
for i in $(seq 100); do grep -q '^\[CPU 1\] connect' "$T/s1.err" && break; sleep 0.1; done
start s1b "$T/sw.conf" 1 -w "$w"
rc_of s1b; r=$?
if [ "$r" = 1 ] && grep -q "queue 1 of this group already has a process (pid" "$T/s1b.err"; then
	ok "a second slave on a taken core is refused"
else
	bad "second slave on core 1" "exit $r" "$(tail -n 3 "$T/s1b.err")"
fi
mp=$(master_pid)
if [ -n "$mp" ] && grep -q '^\[CPU 1\] connect' "$T/s1.err"; then
	kill -KILL "$mp"
	t0=$(date +%s)
	rc_of s1; rs=$?
	dt=$(($(date +%s) - t0))
	if [ "$rs" = 1 ] && [ "$dt" -lt 20 ] && grep -q "the master of this group has exited: this slave stops" "$T/s1.err" &&
	   grep -q "core 1: the group's master exited mid-run" "$T/s1.err" && [ -s "$T/k-1.json" ]; then
		ok "master killed mid-run: its slave stops in $dt s with exit 1, says why, still writes its summary"
	else
		bad "master killed" "exit $rs after $dt s, summary $(wc -c < "$T/k-1.json" 2>&1)" "$(grep -v connect: "$T/s1.err" | tail -6)"
	fi
else
	bad "master killed" "no running group to kill (master pid '$mp')" "$(tail -n 3 "$T/m.err" "$T/s1.err")"
fi
rc_of m
# what the killed master left (runtime files, hugepage files) does not stop the next group
w=$(wconf 200 20 f64)
rm -f "$T"/s-*.json
start m "$MPLAB_MASTER" 0 -w "$w" -j "$T/s.json"
mplab_tap || bad "the master's tap (after the kill)" "$(tail -n 3 "$T/m.err")"
start s1 "$MPLAB_SLAVE" 1 -w "$w" -j "$T/s.json"
rc_of m; rm_=$?
rc_of s1; rs=$?
if [ "$rm_" = 0 ] && [ "$rs" = 0 ] && jsum "$T/s-0.json $T/s-1.json" "d['flows_ok'] == 200"; then
	ok "after the killed master, a new group starts and completes its 200 flows"
else
	bad "group after a kill" "exit $rm_/$rs" "$(tail -n 3 "$T/m.err" "$T/s1.err")"
fi
if [ ! -e "/var/run/dpdk/$MPLAB_PREFIX" ] && [ -z "$(ls "$MPLAB_HUGE")" ]; then
	ok "a master that ends cleanly removes the group's runtime directory and hugepage files"
else
	bad "master's clean-up" "$(ls "/var/run/dpdk/$MPLAB_PREFIX" "$MPLAB_HUGE" 2>&1 | head -5)"
fi

# --- command lines and configurations that are refused before anything starts --------------------
# refused NAME RC PATTERN BINARY ARGS...
refused() {
	local name=$1 want=$2 pat=$3
	shift 3
	mplab_exec timeout -s KILL 30 "$@" > "$T/r.out" 2> "$T/r.err"
	local r=$?
	if [ "$r" = "$want" ] && grep -qF -- "$pat" "$T/r.err"; then
		ok "$name: exit $r, '$pat'"
	else
		bad "$name" "exit $r, expected $want and '$pat'" "$(tail -n 3 "$T/r.err")"
	fi
}
w=$(wconf 100 10 f64)
refused "-c 5 outside core_mask 0x3" 2 "-c 5: core 5 is not in core_mask 0x3" "$EPWGET_MP" -f "$MPLAB_SLAVE" -w "$w" -c 5
refused "the master's configuration on core 1" 2 "is the master's configuration (multiprocess = 0 master): start the master with -c 0" \
	"$EPWGET_MP" -f "$MPLAB_MASTER" -w "$w" -c 1
refused "-c x" 2 "-c: 'x' is not a number" "$EPWGET_MP" -f "$MPLAB_SLAVE" -w "$w" -c x
refused "-c 64" 2 "-c: 64 is out of range (0..63)" "$EPWGET_MP" -f "$MPLAB_SLAVE" -w "$w" -c 64
refused "no -c" 2 "-c CORE is needed" "$EPWGET_MP" -f "$MPLAB_SLAVE" -w "$w"
refused "-N" 2 "-N: epwget-mp runs one core per process" "$EPWGET_MP" -f "$MPLAB_SLAVE" -w "$w" -c 1 -N 2
refused "epwget-mp without a multiprocess line" 2 "has no multiprocess line" "$EPWGET_MP" -f conf/mos-null.conf -w "$w" -c 0
refused "threaded epwget with a multiprocess line" 2 "that is epwget-mp's" "$EPWGET" -f "$MPLAB_MASTER" -w "$w"
ip -n "$LAB_NS_CLI" link add epwmpa type veth peer name epwmpb && ip -n "$LAB_NS_CLI" link set epwmpa up &&
	ip -n "$LAB_NS_CLI" link set epwmpb up
sed "s|--vdev=net_tap0,iface=$MPLAB_IF|--vdev=net_af_packet0,iface=epwmpa|" "$MPLAB_MASTER" > "$T/af.conf"
refused "net_af_packet in a group" 2 "net_af_packet cannot be shared with DPDK secondary processes" \
	"$EPWGET_MP" -f "$T/af.conf" -w "$w" -c 0

# --- nothing left behind ------------------------------------------------------------------------
trap - EXIT INT TERM HUP
mplab_down
left=""
[ -e "/var/run/dpdk/$MPLAB_PREFIX" ] && left="$left /var/run/dpdk/$MPLAB_PREFIX"
mountpoint -q "$MPLAB_HUGE" 2> /dev/null && left="$left mount:$MPLAB_HUGE"
ip netns list | grep -q "epw-mp-" && left="$left namespaces"
[ "$(cat /proc/sys/vm/nr_hugepages)" = "$pages_before" ] || left="$left nr_hugepages=$(cat /proc/sys/vm/nr_hugepages)(was $pages_before)"
if [ -z "$left" ]; then
	ok "nothing left: namespaces, hugetlbfs mount, DPDK runtime directory, hugepages given back"
else
	bad "leftovers" "$left"
fi
finish
