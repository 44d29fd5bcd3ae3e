#!/bin/bash
# bench.sh - `make bench`: short HTTP flows per second on two cores, our
# stack against the kernel's, every row measured in this one run on the same
# two CPUs (BENCH_CPU_A, the client's, default 0; BENCH_CPU_B, the server's,
# default 1):
#
#   1. epwget -> epserver over net_memif: two DPDK processes, one pinned to
#      each CPU, no kernel on the path (conf/epwget-memif.conf,
#      conf/epserver.conf; the memif socket in a temp dir).
#   2. wrk, ab, h2load --h1 -> nginx, both on the kernel, over loopback in
#      a private network namespace (the lab's server namespace): nginx with
#      1 worker on CPU B, the client (wrk -t1) on CPU A, Connection: close.
#   3. epwget -> the same nginx over the veth lab (net_af_packet), epwget on
#      CPU A.
#
# For 64 B and 8 KB files, HTTP/1.0-style Connection: close, concurrency 100,
# 1,000, 10,000, and 50,000 for row 1 (the peers' limits: one client address
# has 64,511 source ports, and the kernel rows stop at 10,000 here: ab and
# the fd limit): completed flows/s (median of BENCH_REPS runs, default 3),
# p99 response time, row 1 / wrk. Also epwget's peak memory per connection
# (row 1: VmRSS + HugetlbPages, sampled), and the time from exec to the
# first SYN (row 1: to the first connection epserver accepted; rows 2 and
# 3: a tcpdump timestamp).
#
# epwget's rate is that of the middle 80% of its flows: from the time the
# 10%th flow completed to the time the 90%th did, read off its per-second
# "completes" lines (start-up, with the pools it maps, and the tail are not
# flows/s; wrk's figure has neither).
#
# BENCH_SMOKE=1: one run, concurrency 100, short runs (make test's check
# that the bench works). The medians and the machine's description go to
# BENCH_OUT (default build/bench)/results-<date>.md; the table is printed.
# A number is never a failure: the exit status says only whether the bench
# could run. But a row with any flow not ok is FAILED (epwget's JSON: ok,
# non-2xx, errors; row 1 also epserver's: requests, 200/400/404/501, body
# bytes, as many as epwget's ok flows; wrk, ab and h2load: their failed,
# non-2xx and socket-error counts), its rate shown only beside that word;
# BENCH_STRICT=1 makes a FAILED run exit 1. EPWGET and EPSERVER name the
# binaries (default ./epwget, ./epserver; make test sets the build's).
# Needs root (namespaces), nginx, wrk, ab, h2load, tcpdump,
# python3 (make deps).
set -u
cd "$(dirname "$0")/.."
. test/lab.sh

SMOKE=${BENCH_SMOKE:-0}
CPU_A=${BENCH_CPU_A:-0}
CPU_B=${BENCH_CPU_B:-1}
OUT_DIR=${BENCH_OUT:-build/bench}
SIZES="64 8192"
if [ "$SMOKE" = 1 ]; then
	REPS=1 CONCS="100" KCONCS="100" R1_FLOWS=20000 R3_FLOWS=3000 WRK_S=1 AB_N=3000
else
	REPS=${BENCH_REPS:-3} CONCS="100 1000 10000 50000" KCONCS="100 1000 10000"
	R1_FLOWS=400000 R3_FLOWS=60000 WRK_S=5 AB_N=60000
fi

die() { echo "bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces for rows 2 and 3); run as root"
for t in wrk ab h2load nginx tcpdump python3 taskset; do
	command -v "$t" > /dev/null || [ -x "$t" ] || [ -x "/usr/sbin/$t" ] ||
		die "'$t' not found: run 'make deps' (it installs the bench packages)"
done
EPWGET=${EPWGET:-./epwget}	# make test sets both: the SAN=1 build has its own
EPSERVER=${EPSERVER:-./epserver}
for b in "$EPWGET" "$EPSERVER"; do [ -x "$b" ] || die "$b is missing: run 'make'"; done
[ "$(nproc)" -gt "$CPU_B" ] || die "CPU $CPU_B does not exist here: set BENCH_CPU_A and BENCH_CPU_B"
mask_a=$(printf '0x%x' $((1 << CPU_A)))
mask_b=$(printf '0x%x' $((1 << CPU_B)))
ulimit -n "$(ulimit -Hn)"

tmp=$(mktemp -d /tmp/epwbench.XXXXXX) || die "no temp dir"
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
mkdir -p "$www"
for s in $SIZES; do head -c "$s" /dev/zero | tr '\0' 'b' > "$www/f$s"; done
chmod -R a+rX "$tmp"
raw=$tmp/raw.tsv	# row tool size conc rep flows_per_s p99_ms peak_kb note
: > "$raw"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date '+%Y-%m-%d %H:%M:%S')
maxc=0
for c in $CONCS; do [ "$c" -gt "$maxc" ] && maxc=$c; done

sed "s|socket=[^,]*|socket=$tmp/memif.sock|; s/0xFFFF/$mask_b/g" conf/epserver.conf > "$tmp/srv.conf"
sed "s|socket=[^,]*|socket=$tmp/memif.sock|; s/0xFFFF/$mask_a/g" conf/epwget-memif.conf > "$tmp/cli.conf"

# epwget_rate OUT_ERR JSON FLOWS: the steady flows/s (see the header), p99 in
# ms and the flows' outcome, tab-separated: "ok N, non-2xx N, errors N" (errors:
# every flow of FLOWS neither ok nor non-2xx: error, incomplete, timeout, never
# ended), "FAILED: " before it when a flow was not ok
epwget_rate() {
	python3 - "$1" "$2" "$3" <<-'PY'
	import json, re, sys
	per_s = [int(m.group(1)) for m in re.finditer(r"^\[ ALL \].*completes:\s*(\d+)", open(sys.argv[1]).read(), re.M)]
	d = json.load(open(sys.argv[2]))
	n = sum(per_s)
	# the lines come a second apart from the start; the last covers what was left of the run
	ends = [float(i + 1) for i in range(len(per_s))]
	if ends:
	    ends[-1] = max(d["duration_s"], ends[-1] - 1 + 1e-3)
	def when(target):	# the time the cumulative count reached target, linear within a line
	    done, start = 0, 0.0
	    for c, end in zip(per_s, ends):
	        if c and done + c >= target:
	            return start + (end - start) * (target - done) / c
	        done, start = done + c, end
	    return None
	t10, t90 = (when(0.1 * n), when(0.9 * n)) if n else (None, None)
	rate = 0.8 * n / (t90 - t10) if t10 is not None and t90 is not None and t90 > t10 else d["flows_per_s"]
	want = int(sys.argv[3])
	errs = want - d["flows_ok"] - d["http_non_2xx"]
	note = "ok %d, non-2xx %d, errors %d" % (d["flows_ok"], d["http_non_2xx"], errs)
	if d["flows_ok"] != want:
	    note = "FAILED: " + note
	print("%.0f\t%.2f\t%s" % (rate, d["latency_us"]["p99"] / 1000.0, note))
	PY
}

# peak_of PID: wait for PID; print the most memory it held, in KiB: VmRSS plus
# HugetlbPages of /proc/PID/status, sampled every 50 ms (hugepages are not in
# the RSS that wait4 reports, and the stack maps its pools on them when free)
peak_of() {
	local pid=$1 max=0 kb
	while kill -0 "$pid" 2> /dev/null; do
		kb=$(awk '/^(VmRSS|HugetlbPages):/ { s += $2 } END { print s + 0 }' \
			"/proc/$pid/status" 2> /dev/null)
		[ "${kb:-0}" -gt "$max" ] && max=$kb
		sleep 0.05
	done
	wait "$pid" 2> /dev/null
	echo "$max"
}

# --- row 1: epwget -> epserver over memif --------------------------------------
start_epserver() {
	local i
	rm -f "$tmp/s.json" "$tmp/memif.sock"
	# twice the concurrency: streams in FIN_WAIT beside the open ones
	"$EPSERVER" -f "$tmp/srv.conf" -N 1 -c $((2 * maxc + 2048)) -d "$www" -j "$tmp/s.json" \
		> "$tmp/s.out" 2> "$tmp/s.err" &
	spid=$!
	for i in $(seq 400); do
		grep -q '^epserver: ready' "$tmp/s.out" && return 0
		kill -0 "$spid" 2> /dev/null || break
		sleep 0.05
	done
	die "epserver did not start: $(grep -v '^EAL: ' "$tmp/s.err" | tail -3)"
}

stop_epserver() {
	local i
	kill -INT "$spid" 2> /dev/null
	for i in $(seq 300); do kill -0 "$spid" 2> /dev/null || break; sleep 0.1; done
	kill -KILL "$spid" 2> /dev/null
	wait "$spid" 2> /dev/null
	spid=
}

row1() {
	local rep=$1 size c t0 first r flows rate p99 note r1_ok=0 r1_body=0
	start_epserver
	t0=
	for size in $SIZES; do
		for c in $CONCS; do
			flows=$R1_FLOWS
			[ "$flows" -lt $((c * 4)) ] && flows=$((c * 4))
			[ -z "$t0" ] && t0=$(date +%s%N)
			"$EPWGET" -f "$tmp/cli.conf" -N 1 -c "$c" -j "$tmp/c.json" "10.0.0.4/f$size" \
				"$flows" > "$tmp/c.out" 2> "$tmp/c.err" &
			peak_of $! > "$tmp/peak"
			if r=$(epwget_rate "$tmp/c.err" "$tmp/c.json" "$flows" 2> /dev/null); then
				IFS=$'\t' read -r rate p99 note <<< "$r"
				printf '1\tepwget\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$c" "$rep" "$rate" "$p99" \
					"$(cat "$tmp/peak")" "$note" >> "$raw"
				r1_ok=$((r1_ok + $(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['flows_ok'])" "$tmp/c.json")))
				r1_body=$((r1_body + $(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['body_bytes'])" "$tmp/c.json")))
				echo "row 1 run $rep: epwget -> epserver, $size B, c $c: $rate flows/s, p99 $p99 ms ($note)"
			else
				printf '1\tepwget\t%s\t%s\t%s\t0\t-\t0\tFAILED: no result\n' "$size" "$c" "$rep" >> "$raw"
				echo "row 1 run $rep: epwget -> epserver, $size B, c $c: FAILED: no result ($(grep -v '^EAL: ' "$tmp/c.err" | tail -1))"
			fi
		done
	done
	stop_epserver
	# the server's side of the same flows: every request a 200, as many as epwget's ok flows
	note=$(python3 - "$tmp/s.json" "$r1_ok" "$r1_body" 2> /dev/null <<-'PY'
	import json, sys
	s = json.load(open(sys.argv[1]))
	ok, body = int(sys.argv[2]), int(sys.argv[3])
	note = "requests %d, 200 %d, 400 %d, 404 %d, 501 %d, body %d (epwget: ok %d, body %d)" % (
	    s["requests"], s["status_200"], s["status_400"], s["status_404"], s["status_501"], s["body_bytes"], ok, body)
	good = s["requests"] == s["status_200"] == ok and s["body_bytes"] == body
	print(note if good else "FAILED: " + note)
	PY
	) || note="FAILED: no JSON from epserver"
	printf '1\tepserver\t-\t-\t%s\t0\t-\t0\t%s\n' "$rep" "$note" >> "$raw"
	echo "row 1 run $rep: epserver: $note"
	first=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['first_accept_unix_ns'])" \
		"$tmp/s.json" 2> /dev/null || echo 0)
	[ "$first" -gt 0 ] && awk -v rep="$rep" -v a="$first" -v b="$t0" \
		'BEGIN { printf "1\tfirst_syn\t64\t100\t%s\t0\t0\t0\t%.1f\n", rep, (a - b) / 1e6 }' >> "$raw"
}

# --- rows 2 and 3: the kernel's nginx -------------------------------------------
# syn_start IFACE: tcpdump in the server namespace, waiting for the first SYN to port 80
syn_start() {
	local i
	rm -f "$tmp/syn"
	ip netns exec "$LAB_NS_SRV" tcpdump -i "$1" -tt -n -l -c 1 \
		'tcp dst port 80 and tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn' \
		> "$tmp/syn" 2> "$tmp/syn.err" {_LAB_LOCK_FD}>&- &
	tpid=$!
	for i in $(seq 100); do grep -q 'listening on' "$tmp/syn.err" && break; sleep 0.05; done
}

# syn_end ROW REP T0: the first SYN's time minus T0, in ms, into the raw table
syn_end() {
	local i ts
	for i in $(seq 50); do kill -0 "$tpid" 2> /dev/null || break; sleep 0.1; done
	kill "$tpid" 2> /dev/null
	wait "$tpid" 2> /dev/null
	ts=$(awk 'NR == 1 { print $1 }' "$tmp/syn")
	[ -n "$ts" ] && awk -v row="$1" -v rep="$2" -v ts="$ts" -v t0="$3" \
		'BEGIN { printf "%s\tfirst_syn\t64\t100\t%s\t0\t0\t0\t%.1f\n", row, rep, ts * 1000 - t0 / 1e6 }' >> "$raw"
}

srv() { ip netns exec "$LAB_NS_SRV" taskset -c "$CPU_A" "$@" {_LAB_LOCK_FD}>&-; }

row2() {
	local rep=$1 size c url out rate p99 n nt
	for size in $SIZES; do
		for c in $KCONCS; do
			url=http://$LAB_SRV_IP/f$size
			if [ "$size" = 64 ] && [ "$c" = "${KCONCS%% *}" ]; then
				syn_start lo
				t0=$(date +%s%N)
			fi
			out=$(srv wrk -t1 -c "$c" -d "${WRK_S}s" --latency -H 'Connection: close' "$url" 2>&1)
			[ -n "${tpid:-}" ] && { syn_end 2 "$rep" "$t0"; tpid=; }
			rate=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<< "$out")
			p99=$(awk '$1 == "99%" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
				print (u == "us" ? v / 1000 : u == "s" ? v * 1000 : v) }' <<< "$out")
			# a request wrk saw fail: a socket error or a status not 2xx/3xx
			nt=$(grep -o -e 'Socket errors:.*' -e 'Non-2xx or 3xx responses:.*' <<< "$out" | paste -sd';')
			[ -z "$rate" ] && nt="no result${nt:+; $nt}"
			printf '2\twrk\t%s\t%s\t%s\t%s\t%s\t0\t%s\n' "$size" "$c" "$rep" "${rate:-0}" \
				"${p99:-0}" "${nt:+FAILED: }${nt:-ok}" >> "$raw"
			echo "row 2 run $rep: wrk -> nginx, $size B, c $c: ${rate:-?} req/s, p99 ${p99:-?} ms ${nt}"
			n=$AB_N
			[ "$n" -lt "$c" ] && n=$c
			out=$(srv ab -q -r -c "$c" -n "$n" "$url" 2>&1)
			rate=$(sed -n 's/^Requests per second: *\([0-9.]*\).*/\1/p' <<< "$out")
			p99=$(awk '$1 == "99%" { print $2 }' <<< "$out")
			nt=$(grep -o -e 'Failed requests: *[0-9]*' -e 'Non-2xx responses: *[0-9]*' <<< "$out" |
				tr -s ' ' | paste -sd';')
			if [ -z "$rate" ] || grep -Eq ': *[1-9]' <<< "$nt"; then nt="FAILED: ${nt:-no result}"; fi
			printf '2\tab\t%s\t%s\t%s\t%s\t%s\t0\t%s\n' "$size" "$c" "$rep" "${rate:-0}" \
				"${p99:-0}" "$nt" >> "$raw"
			echo "row 2 run $rep: ab -> nginx, $size B, c $c: ${rate:-?} req/s, p99 ${p99:-?} ms"
			out=$(srv h2load --h1 -c "$c" -n "$n" -H 'Connection: close' "$url" 2>&1)
			rate=$(sed -n 's/^finished in [0-9.]*m\?s, \([0-9.]*\) req\/s.*/\1/p' <<< "$out")
			nt=$(sed -n 's/^requests: .* \([0-9]* failed, [0-9]* errored\).*/\1/p' <<< "$out")
			nt="$nt; $(sed -n 's/^status codes: [0-9]* 2xx, [0-9]* 3xx, \([0-9]* 4xx, [0-9]* 5xx\)/\1/p' <<< "$out")"
			if [ -z "$rate" ] || [ "$nt" = "; " ] || grep -Eq '(^| )[1-9][0-9]* [a-z0-9]' <<< "$nt"; then
				nt="FAILED: $nt"
			fi
			printf '2\th2load\t%s\t%s\t%s\t%s\t-\t0\t%s\n' "$size" "$c" "$rep" "${rate:-0}" \
				"$nt" >> "$raw"
			echo "row 2 run $rep: h2load --h1 -> nginx, $size B, c $c: ${rate:-?} req/s"
		done
	done
}

row3() {
	local rep=$1 size c r flows rate p99 note
	for size in $SIZES; do
		for c in $KCONCS; do
			flows=$R3_FLOWS
			[ "$flows" -lt $((c * 4)) ] && flows=$((c * 4))
			if [ "$size" = 64 ] && [ "$c" = "${KCONCS%% *}" ]; then
				syn_start "$LAB_IF_SRV"
				t0=$(date +%s%N)
			fi
			ip netns exec "$LAB_NS_CLI" "$EPWGET" -f "$tmp/lab.conf" -N 1 -c "$c" \
				-j "$tmp/c.json" "$LAB_SRV_IP/f$size" "$flows" > "$tmp/c.out" 2> "$tmp/c.err" \
				{_LAB_LOCK_FD}>&-
			[ -n "${tpid:-}" ] && { syn_end 3 "$rep" "$t0"; tpid=; }
			if r=$(epwget_rate "$tmp/c.err" "$tmp/c.json" "$flows" 2> /dev/null); then
				IFS=$'\t' read -r rate p99 note <<< "$r"
				printf '3\tepwget\t%s\t%s\t%s\t%s\t%s\t0\t%s\n' "$size" "$c" "$rep" "$rate" "$p99" \
					"$note" >> "$raw"
				echo "row 3 run $rep: epwget -> nginx (af_packet), $size B, c $c: $rate flows/s, p99 $p99 ms ($note)"
			else
				printf '3\tepwget\t%s\t%s\t%s\t0\t-\t0\tFAILED: no result\n' "$size" "$c" "$rep" >> "$raw"
				echo "row 3 run $rep: epwget -> nginx, $size B, c $c: FAILED: no result ($(grep -v '^EAL: ' "$tmp/c.err" | tail -1))"
			fi
		done
	done
}

lab_up bench 92 || die "lab_up failed (see above)"
LAB_NGINX_AFFINITY=$(python3 -c "print('1' + '0' * $CPU_B)") lab_nginx "$www" 80 ||
	die "nginx did not start"
sed "s/iface=epwrund/iface=$LAB_IF_CLI/; s/qpairs=[0-9]*/qpairs=1/; s/10.99.1.2/$LAB_CLI_IP/; \
     s/10.99.1.0/${LAB_CLI_IP%.*}.0/; s/0xFFFF/$mask_a/g" conf/mos.conf > "$tmp/lab.conf"
tpid=
for rep in $(seq "$REPS"); do
	row1 "$rep"
	row2 "$rep"
	row3 "$rep"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

mkdir -p "$OUT_DIR"
out=$OUT_DIR/results-$(date +%Y%m%d-%H%M%S).md
{
	echo "# make bench, $started$([ "$SMOKE" = 1 ] && echo ' (smoke mode: one short run)')"
	echo
	echo "Machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) CPUs" \
	     "($(lscpu | sed -n 's/^Hypervisor vendor: *//p' | head -1 | sed 's/./hypervisor &/')), kernel $(uname -r)," \
	     "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
	     "hugepages $(cat /proc/sys/vm/nr_hugepages)."
	echo "Client on CPU $CPU_A, server on CPU $CPU_B. Load average before: $load_before; after: $load_after."
	echo "$(nginx -v 2>&1 | sed 's/.*: //'), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)," \
	     "$(ab -V | head -1 | sed 's/This is //; s/, Version//'), $(h2load --version | head -1)," \
	     "DPDK $(pkg-config --modversion libdpdk 2>/dev/null)."
	echo
} > "$out"
python3 - "$raw" "$REPS" >> "$out" <<'PY'
import collections, statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
reps = int(sys.argv[2])
runs = collections.defaultdict(list)
notes = collections.defaultdict(list)
failed = set()
# epserver's counts over one run of row 1 (every size and concurrency of that run)
server_failed = {r[4]: r[8] for r in rows if r[1] == "epserver" and r[8].startswith("FAILED")}
for row, tool, size, conc, rep, rate, p99, peak, note in rows:
    if tool == "epserver":
        continue
    k = (row, tool, int(size), int(conc))
    runs[k].append((float(rate), p99, int(peak), note))
    if tool == "first_syn":
        continue
    notes[k].append(note)
    # a run with any flow not ok fails its row: its rate is never shown alone
    if note.startswith("FAILED"):
        failed.add(k)
    if row == "1" and rep in server_failed:
        failed.add(k)
        notes[k].append("epserver " + server_failed[rep])
def med(k, i=0):
    v = [float(r[i]) for r in runs.get(k, []) if r[i] not in ("-", "")]
    return statistics.median(v) if v else None
names = {("1", "epwget"): "1 epwget -> epserver (memif)", ("2", "wrk"): "2 wrk -> nginx (kernel, lo)",
         ("2", "ab"): "2 ab -> nginx (kernel, lo)", ("2", "h2load"): "2 h2load --h1 -> nginx (kernel, lo)",
         ("3", "epwget"): "3 epwget -> nginx (af_packet, veth)"}
print("## Completed flows/s (median of %d run%s), Connection: close\n" % (reps, "s" if reps > 1 else ""))
print("A row with any flow not ok (a run's error, non-2xx, incomplete, timeout, a flow that never")
print("ended, or epserver's counts not epwget's) is FAILED, its rate shown only beside that word.\n")
print("| row | size | concurrency | flows/s | p99 ms | runs | row 1 / wrk | outcome (ok, non-2xx, errors) |")
print("|---|---|---|---|---|---|---|---|")
keys = sorted({(r, t, s, c) for (r, t, s, c) in runs if t != "first_syn"},
              key=lambda k: (k[2], k[3], k[0], list(names).index((k[0], k[1]))))
for k in keys:
    row, tool, size, conc = k
    rate, p99 = med(k), med(k, 1)
    ratio = ""
    if row == "1" and med(("2", "wrk", size, conc)):
        ratio = "%.1fx" % (rate / med(("2", "wrk", size, conc)))
    cell = "{:,.0f}".format(rate)
    if k in failed:
        cell = "FAILED (" + cell + ")"
        ratio = ratio and ratio + " (FAILED row)"
    outcome = "; ".join(dict.fromkeys(notes[k]))
    print("| %s | %s B | %s | %s | %s | %d | %s | %s |" % (names[(row, tool)], size, "{:,}".format(conc),
          cell, "-" if p99 is None else "%.2f" % p99, len(runs[k]), ratio, outcome))
print()
print("## Targets\n")
for size in sorted({k[2] for k in keys}):
    for c in (1000, 100):
        if med(("2", "wrk", size, c)) and med(("1", "epwget", size, c)):
            print("- %d B, concurrency %s: row 1 / wrk = %.1fx (target 20x for 64 B)%s" %
                  (size, "{:,}".format(c), med(("1", "epwget", size, c)) / med(("2", "wrk", size, c)),
                   " (FAILED rows)" if {("1", "epwget", size, c), ("2", "wrk", size, c)} & failed else ""))
            break
    top = max([k[3] for k in keys if k[0] == "1" and k[2] == size] or [0])
    if top > 1000 and med(("1", "epwget", size, 1000)):
        print("- %d B: row 1 at concurrency %s / at 1,000 = %.2f (target: at least 0.85 at 100,000)%s" %
              (size, "{:,}".format(top), med(("1", "epwget", size, top)) / med(("1", "epwget", size, 1000)),
               " (FAILED rows)" if {("1", "epwget", size, top), ("1", "epwget", size, 1000)} & failed else ""))
    for c in sorted({k[3] for k in keys if k[0] == "3" and k[2] == size}):
        if med(("2", "wrk", size, c)):
            print("- %d B, concurrency %s: row 3 / wrk = %.2f (target: at least 1)%s" %
                  (size, "{:,}".format(c), med(("3", "epwget", size, c)) / med(("2", "wrk", size, c)),
                   " (FAILED rows)" if {("3", "epwget", size, c), ("2", "wrk", size, c)} & failed else ""))
print()
print("## Memory (row 1: epwget's largest VmRSS + HugetlbPages, sampled every 50 ms; median)\n")
print("| size | concurrency | peak MiB | KiB per connection |")
print("|---|---|---|---|")
for k in keys:
    if k[0] == "1":
        peak = med(k, 2)
        print("| %d B | %s | %.0f | %.1f |" % (k[2], "{:,}".format(k[3]), peak / 1024, peak / k[3]))
pk = sorted((k[3], med(k, 2)) for k in keys if k[0] == "1" and k[2] == min(k2[2] for k2 in keys))
if len(pk) >= 2 and pk[-1][0] > pk[0][0]:
    print("\nMarginal cost: %.1f KiB per added connection (from %s to %s)." %
          ((pk[-1][1] - pk[0][1]) / (pk[-1][0] - pk[0][0]), "{:,}".format(pk[0][0]), "{:,}".format(pk[-1][0])))
print()
print("## Time from exec to the first SYN (ms, median; row 1: to the first connection epserver accepted)\n")
for row in ("1", "2", "3"):
    v = [float(r[3]) for r in runs.get((row, "first_syn", 64, 100), [])]
    if v:
        print("- row %s: %.1f ms (%s)" % (row, statistics.median(v), ", ".join("%.1f" % x for x in v)))
print()
print("## Every run\n")
print("| row | tool | size | concurrency | run | flows/s | p99 ms | peak KiB | note |")
print("|---|---|---|---|---|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")
PY
echo
sed -n '/^## Completed/,/^## Every run/p' "$out" | sed '$d'
echo "bench: results in $out"
# the exit status says whether the bench could run; BENCH_STRICT=1 (make
# test's e2e_bench.sh) also fails it on any FAILED run
nfail=$(awk -F'\t' '$9 ~ /^FAILED/' "$raw" | wc -l)
if [ "$nfail" -gt 0 ]; then
	echo "bench: $nfail run(s) FAILED (a flow not ok): see the table"
	[ "${BENCH_STRICT:-0}" = 1 ] && exit 1
fi
exit 0
