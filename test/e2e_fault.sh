#!/bin/bash
# e2e_fault.sh - epwget against nginx through the stack's own fault
# injection (mos.conf block `fault`), no netem, no nftables: 5% loss, 5%
# reordering and 1% duplication on receive and on send. Flows of 64 B,
# 8 KB and 100 KB must all be ok with every -o body byte-identical to the
# served file, and the fault counters each core logs at the end must show
# each fault at about its rate. A last run corrupts and delays frames and
# checks that the kernel's TCP caught our damaged segments by checksum.
# The lab is removed on every exit path (test/lab.sh).
set -u
cd "$(dirname "$0")/.."
. test/lab.sh

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; shift; for l in "$@"; do echo "  $l"; done; }

EPWGET=${EPWGET:-./epwget}	# make test sets it: the SAN=1 build has its own
[ -x "$EPWGET" ] || { echo "$EPWGET is missing: run 'make' first"; echo "e2e_fault: 0 passed, 1 failed"; exit 1; }
if [ "$(id -u)" != 0 ]; then
	echo "SKIP e2e_fault: needs root (network namespaces)"
	echo "e2e_fault: 0 passed, 0 failed, 1 skipped"
	exit 0
fi
start=$(date +%s)
lab_up fault 42 || { echo "e2e_fault: 0 passed, 1 failed"; exit 1; }
lab_trap
www=$LAB_TMP/www
mkdir -p "$www"
for n in 64 8192 102400; do head -c "$n" /dev/urandom > "$www/f$n"; done
chmod -R a+rX "$www"
lab_nginx "$www" 80 || { echo "e2e_fault: 0 passed, 1 failed"; exit 1; }

# mos FAULT_STATEMENTS [MOS_STATEMENTS]: a one-core mos.conf for the lab with that fault block
mos() {
	cat > "$LAB_TMP/mos.conf" <<-EOF
	application { type = end; run = epwget; core_mask = 0x1 }
	mos {
		${2:-}
		max_concurrency = 10000
		tcp_timeout = 30
		tcp_timewait = 0
		eal_args = --no-pci --vdev=net_af_packet0,iface=$LAB_IF_CLI,framecnt=4096,qpairs=1
		netdev { dpdk0 0x1 $LAB_CLI_IP/24 }
		fault {
			$1
		}
	}
	EOF
}

# epw NAME ARGS...: run epwget in our namespace, JSON in $LAB_TMP/out.json, its log in err
epw() {
	local name=$1
	shift
	rm -f "$LAB_TMP/out.json"
	lab_exec_cli "$EPWGET" -f "$LAB_TMP/mos.conf" -j "$LAB_TMP/out.json" "$@" \
		> "$LAB_TMP/out" 2> "$LAB_TMP/err"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		bad "$name" "exit $rc" "$(tail -4 "$LAB_TMP/out")" "$(grep -v '^EAL: ' "$LAB_TMP/err" | tail -4)"
		return 1
	fi
	return 0
}

# check_run NAME FLOWS SIZE PREFIX: JSON totals, every body, the fault counters
check_run() {
	local name=$1 flows=$2 size=$3 prefix=$4
	if python3 - "$LAB_TMP/out.json" "$www/f$size" "$prefix" "$flows" "$size" "$LAB_TMP/err" \
		> "$LAB_TMP/py.out" 2>&1 <<-'PY'
	import json, os, re, sys
	js, served, prefix, flows, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
	d = json.load(open(js))
	want = open(served, "rb").read()
	same = 0
	for i in range(flows):
	    try:
	        same += open("%s.%d" % (prefix, i), "rb").read() == want
	    except OSError:
	        pass
	problems = []
	if not (d["flows_ok"] == flows and d["flows_completed"] == flows and d["errors"] == 0):
	    problems.append("flows_ok %d, completed %d, errors %d of %d" %
	                    (d["flows_ok"], d["flows_completed"], d["errors"], flows))
	if d["body_bytes"] != flows * size:
	    problems.append("body_bytes %d, want %d" % (d["body_bytes"], flows * size))
	if same != flows or os.path.exists("%s.%d" % (prefix, flows)):
	    problems.append("%d of %d bodies byte-identical" % (same, flows))
	# the JSON's fault counters are the cores' logged ones, summed
	logged = {"rx": {}, "tx": {}}
	for line in open(sys.argv[6]):
	    m = re.search(r"fault (rx|tx): (.*)", line)
	    if m:
	        for n, k in re.findall(r"(\d+) ([a-z ]+?)(?:,|$)", m.group(2).strip()):
	            k = k.replace(" ", "_")
	            logged[m.group(1)][k] = logged[m.group(1)].get(k, 0) + int(n)
	for dr in ("rx", "tx"):
	    for k, v in d["faults"][dr].items():
	        if v != logged[dr].get(k, 0):
	            problems.append("JSON faults %s %s %d, logged %d" % (dr, k, v, logged[dr].get(k, 0)))
	if d["faults"]["rx"]["frames"] == 0:
	    problems.append("JSON faults: no frames met the injector")
	print("; ".join(problems) if problems else "%d bodies identical, %.1f s, JSON fault counters = the logged ones" % (same, d["duration_s"]))
	sys.exit(1 if problems else 0)
	PY
	then
		ok "$name: $(cat "$LAB_TMP/py.out")"
	else
		bad "$name" "$(cat "$LAB_TMP/py.out")"
	fi
	grep 'fault [rt]x:' "$LAB_TMP/err" >> "$LAB_TMP/faults"
}

# --- 5% loss, 5% reordering, 1% duplication each way --------------------------
mos "seed = 42
		rx_drop = 5; rx_reorder = 5; rx_dup = 1
		tx_drop = 5; tx_reorder = 5; tx_dup = 1"
: > "$LAB_TMP/faults"
for run in "64 2000 100" "8192 1000 100" "102400 150 30"; do
	set -- $run
	size=$1 flows=$2 conc=$3
	mkdir -p "$LAB_TMP/b$size"
	if epw "$flows x $size B" -c "$conc" -o "$LAB_TMP/b$size/body" "$LAB_SRV_IP/f$size" "$flows"; then
		check_run "$flows flows of $size B through 5% loss, 5% reordering, 1% duplication" \
			"$flows" "$size" "$LAB_TMP/b$size/body"
		if grep -q 'warning: .*fault injection on: rx drop 5.00%, dup 1.00%, reorder 5.00%; tx drop 5.00%, dup 1.00%, reorder 5.00% (.*seed 42)' "$LAB_TMP/err"; then
			[ "$size" = 64 ] && ok "the fault settings are announced as a warning at start"
		else
			[ "$size" = 64 ] && bad "no fault warning at start" "$(grep -v '^EAL: ' "$LAB_TMP/err" | head -3)"
		fi
	elif [ "$size" = 64 ]; then
		bad "the fault settings are announced as a warning at start: not run" "epwget failed (above)"
	fi
	rm -rf "$LAB_TMP/b$size"
done

# The counters of the three runs, summed per direction: each fault near its rate
if python3 - "$LAB_TMP/faults" > "$LAB_TMP/py.out" 2>&1 <<-'PY'
import re, sys
tot = {}
keys = ("frames", "dropped", "duplicated", "reordered", "corrupted", "delayed", "no buffer", "hold full")
for line in open(sys.argv[1]):
    m = re.search(r"fault (rx|tx): (.*)", line)
    t = tot.setdefault(m.group(1), dict.fromkeys(keys, 0))
    for n, k in re.findall(r"(\d+) ([a-z ]+?)(?:,|$)", m.group(2).strip()):
        t[k] += int(n)
problems = []
for d in ("rx", "tx"):
    t = tot.get(d)
    if t is None:
        problems.append("no %s counters logged" % d)
        continue
    print("%s: %d frames, %d dropped, %d reordered, %d duplicated, %d corrupted, %d delayed, "
          "%d no buffer, %d hold full" % (d, t["frames"], t["dropped"], t["reordered"],
          t["duplicated"], t["corrupted"], t["delayed"], t["no buffer"], t["hold full"]))
    n = t["frames"]
    # binomial counts over thousands of frames: these bounds are many deviations wide
    for k, lo, hi in (("dropped", 3.5, 6.5), ("reordered", 3.0, 7.0), ("duplicated", 0.4, 1.8)):
        pct = 100.0 * t[k] / n if n else 0
        if n < 5000 or not lo <= pct <= hi:
            problems.append("%s %s %.2f%% of %d frames, expected %.1f..%.1f%%" % (d, k, pct, n, lo, hi))
    if t["corrupted"] or t["delayed"] or t["hold full"]:
        problems.append("%s: faults that were not asked for" % d)
print("; ".join(problems))
sys.exit(1 if problems else 0)
PY
then
	ok "fault counters at their rates: $(head -2 "$LAB_TMP/py.out" | tr '\n' ';' | sed 's/;$//')"
else
	bad "fault counters" "$(cat "$LAB_TMP/py.out")" "$(head -6 "$LAB_TMP/faults")"
fi

# --- corruption and delay: the kernel's checksums catch what we damage ---------
# the kernel's counters of segments it refused: bad TCP checksum, bad IPv4 header
csum_errors() { lab_exec_srv nstat -asz TcpInCsumErrors | awk '/TcpInCsumErrors/ { print $2 }'; }
hdr_errors() { lab_exec_srv nstat -asz IpInHdrErrors | awk '/IpInHdrErrors/ { print $2 }'; }
mos "seed = 7
		rx_corrupt = 2; rx_delay = 2; tx_corrupt = 2; tx_delay = 2; delay_us = 3000"
before=$(csum_errors)
before_hdr=$(hdr_errors)
mkdir -p "$LAB_TMP/c"
: > "$LAB_TMP/faults"
if epw "corrupt and delay" -c 50 -o "$LAB_TMP/c/body" "$LAB_SRV_IP/f8192" 500; then
	check_run "500 flows of 8192 B through 2% corruption and 2% delay (3 ms)" 500 8192 "$LAB_TMP/c/body"
	caught=$(( $(csum_errors) - before ))
	caught_hdr=$(( $(hdr_errors) - before_hdr ))
	txc=$(sed -n 's/.*fault tx: .* \([0-9]*\) corrupted.*/\1/p' "$LAB_TMP/faults")
	rxc=$(sed -n 's/.*fault rx: .* \([0-9]*\) corrupted.*/\1/p' "$LAB_TMP/faults")
	dly=$(sed -n 's/.*fault [rt]x: .* \([0-9]*\) delayed.*/\1/p' "$LAB_TMP/faults" | awk '{ s += $1 } END { print s + 0 }')
	# each damaged segment refused once, by TCP's checksum or the IPv4 header's; a few
	# land elsewhere (a longer total length is a truncated packet to the kernel)
	refused=$((caught + caught_hdr))
	if [ "${txc:-0}" -gt 0 ] && [ "$caught" -gt 0 ] && [ "$refused" -le "$txc" ] &&
	   [ $((refused * 10)) -ge $((txc * 8)) ] && [ "${rxc:-0}" -gt 0 ] && [ "${dly:-0}" -gt 0 ]; then
		ok "corruption: $txc segments sent damaged, the kernel refused $caught by TCP checksum and $caught_hdr by IPv4 header; $rxc received damaged; $dly delayed"
	else
		bad "corruption" "sent damaged ${txc:-none}, kernel TcpInCsumErrors +$caught IpInHdrErrors +$caught_hdr, received damaged ${rxc:-none}, delayed ${dly:-none}"
	fi
fi
rm -rf "$LAB_TMP/c"

# --- mbuf pool exhaustion under a burst: counted, and every flow still completes ---
# A pool of 192 mbufs (64 of them in the RX ring) while the fault block holds
# half of all frames for 20 ms: bursts of 8 KB responses find the pool empty.
mos "seed = 3
		rx_delay = 50; tx_delay = 50; delay_us = 20000" "nb_mbuf = 192; rx_desc = 64; tx_desc = 64"
: > "$LAB_TMP/faults"
if epw "mbuf exhaustion" -c 200 "$LAB_SRV_IP/f8192" 2000 &&
   python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); r=d["per_core"][0]
print("%d flows ok, %d frames not built for want of an mbuf, %d held (hold area full)" % (d["flows_ok"], r["no_mbuf"], d["faults"]["rx"]["hold_full"] + d["faults"]["tx"]["hold_full"]))
sys.exit(0 if d["flows_ok"] == 2000 and d["body_bytes"] == 2000 * 8192 and r["no_mbuf"] > 0 else 1)' \
	"$LAB_TMP/out.json" > "$LAB_TMP/py.out" 2>&1; then
	ok "mbuf pool of 192 under bursts: $(cat "$LAB_TMP/py.out")"
else
	bad "mbuf pool exhaustion" "$(cat "$LAB_TMP/py.out")" "$(tail -3 "$LAB_TMP/out")"
fi

lab_down
[ "$(ip netns list | grep -c 'epw-fault')" -eq 0 ] && ok "lab removed" || bad "lab removed"
echo "e2e_fault: $(( $(date +%s) - start )) s"
echo "e2e_fault: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
