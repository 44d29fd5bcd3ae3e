#!/bin/bash
# run-lab.sh [CORES] - `make run`: epwget on the shipped configuration.
#
# When conf/mos.conf is the shipped lab (its eal_args name iface=epwrund),
# build the lab first: namespace epw-run-srv with nginx at 10.99.1.4
# serving generated files (index-64.html, index-8192.html, index-1m.html),
# namespace epw-run-cli holding our end of the veth pair for DPDK's
# net_af_packet with one queue pair per core; run epwget there; remove
# everything on exit, Ctrl-C or failure (test/lab.sh). Any other
# conf/mos.conf (a real NIC) runs epwget directly.
set -u
cd "$(dirname "$0")/.."
cores=${1:-}
args=(-f conf/mos.conf -w conf/epwget.conf ${cores:+-N "$cores"})

if ! grep -q 'iface=epwrund' conf/mos.conf; then
	exec ./epwget "${args[@]}"
fi
[ "$(id -u)" = 0 ] || { echo "make run: the lab needs root (network namespaces); run as root" >&2; exit 1; }
. test/lab.sh
lab_up run 1 || exit 1
trap '' INT	# epwget gets Ctrl-C (summary first, a second one exits); the lab goes after it
trap 'lab_down' EXIT TERM HUP

www=$LAB_TMP/www
mkdir -p "$www"
head -c 64 /dev/zero | tr '\0' 'e' > "$www/index-64.html"
head -c 8192 /dev/zero | tr '\0' 'e' > "$www/index-8192.html"
head -c 1048576 /dev/zero | tr '\0' 'e' > "$www/index-1m.html"
chmod -R a+rX "$www"
lab_nginx "$www" 80 || exit 1

queues=${cores:-$(nproc)}
sed "s/qpairs=[0-9]*/qpairs=$queues/" conf/mos.conf > "$LAB_TMP/mos.conf"
args[1]=$LAB_TMP/mos.conf
echo "make run: epwget -> nginx at $LAB_SRV_IP over a veth lab (net_af_packet, $queues queues)"
trap - INT
lab_exec_cli ./epwget "${args[@]}"
