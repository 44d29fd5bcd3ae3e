#!/bin/bash
# e2e_queues.sh - a device with more receive queues than the run has cores.
# net_af_packet's queue count is fixed at probe (qpairs=N): the kernel fans
# the frames out over all N sockets (PACKET_FANOUT) whatever the run uses,
# so every queue must be polled. Queue q >= cores is polled by core
# q % cores, which hands each frame to its owner (software steering).
# Against nginx in the veth lab (test/lab.sh), each run bounded by timeout:
#   qpairs=2, 1 core:  every flow ok, frames of queue 1 handed over
#                      (before: 17 connects, 7 completes, then a hang)
#   qpairs=3, 2 cores: queue 2 polled by core 0, every flow ok
#   qpairs=1, 2 cores: refused at start, exit 2, the message names qpairs
#   qpairs=2, 2 cores: as before, every flow ok, rss_handovers on both
# Needs root; traffic stays inside the namespaces epw-queues-*.
set -u
cd "$(dirname "$0")/.." || exit 1
. test/lab.sh
EPWGET=${EPWGET:-./epwget}	# make test sets it: the SAN=1 build has its own
RUN_S=${QUEUES_RUN_S:-60}	# a run that takes longer hangs

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; shift; for l in "$@"; do echo "  $l"; done; }

if [ "$(id -u)" != 0 ]; then
	echo "SKIP e2e_queues: needs root (network namespaces)"
	echo "e2e_queues: 0 passed, 0 failed, 1 skipped"
	exit 0
fi
lab_up queues 63 || { echo "e2e_queues: 0 passed, 1 failed"; exit 1; }
lab_trap
www=$LAB_TMP/www
mkdir -p "$www"
head -c 64 /dev/urandom > "$www/f64"
chmod -R a+rX "$www"
lab_nginx "$www" 80 || { echo "e2e_queues: 0 passed, 1 failed"; exit 1; }

mos() {	# QPAIRS CORES: a mos.conf for the lab, the device with QPAIRS queue pairs
	local mask
	mask=$(printf '0x%x' $(((1 << $2) - 1)))
	sed "s/iface=epwrund/iface=$LAB_IF_CLI/; s/qpairs=[0-9]*/qpairs=$1/; s/10.99.1.2/$LAB_CLI_IP/; \
	     s/10.99.1.0/${LAB_CLI_IP%.*}.0/; s/0xFFFF/$mask/g" conf/mos.conf > "$LAB_TMP/mos$1-$2.conf"
	echo "$LAB_TMP/mos$1-$2.conf"
}

# epw NAME ARGS...: epwget in our namespace, bounded by RUN_S; must exit 0
epw() {
	local name=$1
	shift
	rm -f "$LAB_TMP/out.json"
	lab_exec_cli timeout -s INT -k 5 "$RUN_S" "$EPWGET" -j "$LAB_TMP/out.json" "$@" \
		> "$LAB_TMP/out" 2> "$LAB_TMP/err"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		bad "$name" "exit $rc, expected 0 (124 or 130: still running after $RUN_S s)" \
			"$(grep -v '^EAL: ' "$LAB_TMP/out" | tail -4)" "$(grep -v '^EAL: ' "$LAB_TMP/err" | tail -3)"
		return 1
	fi
	return 0
}


handovers() {	# the per-core rss_handovers of the last run, comma-separated
	python3 -c "import json,sys; print(','.join(str(c['rss_handovers']) for c in json.load(open(sys.argv[1]))['per_core']))" \
		"$LAB_TMP/out.json" 2> /dev/null
}

url=$LAB_SRV_IP/f64

# qpairs=2, core and netdev mask 0x3, -N 1 (issue 11): queue 1 has no core of its own
conf=$(mos 2 2)
if epw "qpairs=2, 1 core: 400 flows" -f "$conf" -N 1 -c 20 "$url" 400; then
	lab_jcheck "qpairs=2, 1 core: 400 flows at concurrency 20 all ok in $(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['duration_s'])" "$LAB_TMP/out.json" 2>/dev/null) s, $(handovers) frames of queue 1 handed to core 0" \
		"d['flows_ok'] == 400 and d['errors'] == 0 and len(d['per_core']) == 1 and d['per_core'][0]['rss_handovers'] > 0"
	if grep -q "core 0 also polls queue 1," "$LAB_TMP/err"; then
		ok "qpairs=2, 1 core: the start says which core polls queue 1"
	else
		bad "qpairs=2, 1 core: no line about queue 1" "$(grep -v '^EAL: ' "$LAB_TMP/err" | tail -3)"
	fi
fi

# qpairs=3, 2 cores: queue 2 is core 0's to poll; its frames go to both cores
conf=$(mos 3 2)
if epw "qpairs=3, 2 cores: 2,000 flows" -f "$conf" -N 2 -c 100 "$url" 2000; then
	lab_jcheck "qpairs=3, 2 cores: 2,000 flows all ok, handovers per core $(handovers)" \
		"d['flows_ok'] == 2000 and d['errors'] == 0 and len(d['per_core']) == 2 and all(c['completed'] > 0 and c['rss_handovers'] > 0 for c in d['per_core'])"
	if grep -q "core 0 also polls queue 2," "$LAB_TMP/err" && ! grep -q "core 1 also" "$LAB_TMP/err"; then
		ok "qpairs=3, 2 cores: the start says core 0 polls queue 2, core 1 nothing more"
	else
		bad "qpairs=3, 2 cores: which core polls queue 2" "$(grep -v '^EAL: ' "$LAB_TMP/err" | tail -3)"
	fi
fi

# qpairs=1, 2 cores: fewer queues than cores is refused, naming qpairs
rm -f "$LAB_TMP/out.json"
lab_exec_cli timeout -k 5 "$RUN_S" "$EPWGET" -f "$(mos 1 2)" -N 2 -c 10 "$url" 10 \
	> "$LAB_TMP/out" 2> "$LAB_TMP/err"
rc=$?
if [ "$rc" = 2 ] && grep -q "qpairs=N" "$LAB_TMP/err"; then
	ok "qpairs=1, 2 cores: refused (exit $rc): $(grep -v EAL "$LAB_TMP/err" | grep -m1 qpairs | cut -c1-110)"
else
	bad "qpairs=1, 2 cores: not refused" "exit $rc" "$(grep -v '^EAL: ' "$LAB_TMP/err" | tail -3)"
fi

# qpairs=2, 2 cores: one queue per core, steering as before
conf=$(mos 2 2)
if epw "qpairs=2, 2 cores: 2,000 flows" -f "$conf" -N 2 -c 100 "$url" 2000; then
	lab_jcheck "qpairs=2, 2 cores: 2,000 flows all ok, handovers per core $(handovers)" \
		"d['flows_ok'] == 2000 and d['errors'] == 0 and len(d['per_core']) == 2 and all(c['completed'] > 0 and c['rss_handovers'] > 0 for c in d['per_core'])"
	if ! grep -q "also polls queue" "$LAB_TMP/err"; then
		ok "qpairs=2, 2 cores: no extra queue to poll"
	else
		bad "qpairs=2, 2 cores: an extra queue reported" "$(grep 'also polls' "$LAB_TMP/err")"
	fi
fi

lab_down
[ "$(ip netns list | grep -c 'epw-queues')" -eq 0 ] && ok "lab removed" || bad "lab removed"
echo "e2e_queues: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
