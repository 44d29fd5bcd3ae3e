#!/bin/bash
# run-mp.sh [CORES] - `make run-mp`: epwget-mp, the multi-process mode.
#
# Builds test/mplab.sh's lab (namespaces, hugepages, a hugetlbfs mount,
# nginx serving generated files at 10.99.2.4), starts the master on CPU 0
# with conf/mos-master.conf, waits MP_PAUSE seconds (default 5, mOS's
# pause; the slaves would wait for the master anyway), starts one slave per
# other CPU with conf/mos-slave.conf, waits for all of them and prints the
# group's totals from their JSON summaries. Flows and concurrency come from
# conf/epwget.conf; the URL is the lab's. Everything it made is removed on
# exit, Ctrl-C or failure. Exit status 0 when every process's flows were ok.
# MP_COMPARE=1 then runs the threaded epwget on the same lab (same cores,
# device, server, flows) for a side-by-side figure; MP_WGET_CONF replaces
# conf/epwget.conf.
set -u
cd "$(dirname "$0")/.."
cores=${1:-2}
pause=${MP_PAUSE:-5}
[ "$(id -u)" = 0 ] || { echo "make run-mp: the lab needs root (namespaces, hugepages); run as root" >&2; exit 1; }
if ! [[ $cores =~ ^[0-9]+$ ]] || [ "$cores" -lt 1 ] || [ "$cores" -gt 16 ]; then
	echo "make run-mp: CORES=$cores: give 1-16 (one process per core)" >&2
	exit 2
fi
. test/mplab.sh
mplab_up runmp 2 "$cores" || exit 1
mplab_trap
# Ctrl-C goes to the processes (each prints its summary; a second one exits at once), not to us
trap '' INT

www=$LAB_TMP/www
mkdir -p "$www"
head -c 64 /dev/zero | tr '\0' 'e' > "$www/index-64.html"
head -c 8192 /dev/zero | tr '\0' 'e' > "$www/index-8192.html"
chmod -R a+rX "$www"
lab_nginx "$www" 80 || exit 1
url=$LAB_SRV_IP/index-64.html
out=$LAB_TMP/out
mkdir -p "$out"

echo "make run-mp: epwget-mp, $cores processes -> nginx at $LAB_SRV_IP over net_tap"
pids=()
mplab_exec ./epwget-mp -f "$MPLAB_MASTER" -w "${MP_WGET_CONF:-conf/epwget.conf}" -c 0 -j "$out/s.json" "$url" &
pids+=($!)
mplab_tap || exit 1
sleep "$pause"
for ((c = 1; c < cores; c++)); do
	mplab_exec ./epwget-mp -f "$MPLAB_SLAVE" -w "${MP_WGET_CONF:-conf/epwget.conf}" -c "$c" -j "$out/s.json" "$url" &
	pids+=($!)
done
rc=0
for p in "${pids[@]}"; do
	wait "$p" || rc=1
done
python3 - "$out" "$cores" <<'EOF' || rc=1
import json, sys, os
out, cores = sys.argv[1], int(sys.argv[2])
keys = ("flows_completed", "flows_ok", "http_non_2xx", "incompletes", "errors", "timeouts",
        "body_bytes")
tot, longest, missing = dict.fromkeys(keys, 0), 0.0, []
for c in range(cores):
    p = os.path.join(out, "s-%d.json" % c)
    if not os.path.exists(p):
        missing.append(c)
        continue
    j = json.load(open(p))
    for k in keys:
        tot[k] += j.get(k, 0)
    longest = max(longest, j.get("duration_s", 0))
print("[GROUP] %d processes: %d flows completed, %d ok, %d http non-2xx, %d incomplete, "
      "%d errors (%d timeouts); %d body bytes; %.0f flows/s (all flows over the longest "
      "process's run, %.3f s, pause included)"
      % (cores - len(missing), tot["flows_completed"], tot["flows_ok"], tot["http_non_2xx"],
         tot["incompletes"], tot["errors"], tot["timeouts"], tot["body_bytes"],
         tot["flows_completed"] / longest if longest > 0 else 0, longest))
if missing:
    print("[GROUP] no summary from core(s) %s: see their messages above" % missing)
    sys.exit(1)
EOF
[ "${MP_COMPARE:-0}" = 1 ] || exit $rc

# MP_COMPARE=1: the threaded epwget on the same cores, device and server, right after
sed '/multiprocess = /d' "$MPLAB_MASTER" > "$LAB_TMP/threaded.conf"
echo "make run-mp: the threaded epwget, $cores cores, same lab"
mplab_exec ./epwget -f "$LAB_TMP/threaded.conf" -w "${MP_WGET_CONF:-conf/epwget.conf}" -N "$cores" \
	-j "$out/t.json" "$url" 2> "$LAB_TMP/t.err" &
tpid=$!
mplab_tap "$LAB_TMP/t.err" || exit 1
wait "$tpid" || rc=1
grep -v "connect:" "$LAB_TMP/t.err" >&2
exit $rc
