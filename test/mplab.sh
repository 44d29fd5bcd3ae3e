# mplab.sh - the lab of epwget-mp: test/lab.sh's two namespaces, with the
# veth pair replaced by the DPDK tap of the group's master, plus the
# hugepages and the hugetlbfs mount that a DPDK multi-process group needs.
# Source it from bash (". test/mplab.sh"), as root.
#
#   namespace epw-NAME-cli   the master and slaves run here (mplab_exec);
#                            the master's net_tap makes interface epwNAMEt
#   namespace epw-NAME-srv   mplab_tap moves epwNAMEt here and gives it
#                            10.99.N.4/24; nginx (lab_nginx) listens there
#
# Functions (each returns non-zero and says why on stderr when it fails):
#   mplab_up NAME N CORES   the lab, MPLAB_PAGES (default 512) hugepages
#                           more than the kernel had, a private hugetlbfs
#                           mount, and the group's configurations written to
#                           $MPLAB_MASTER and $MPLAB_SLAVE: conf/mos-master.conf
#                           and conf/mos-slave.conf with core_mask 0..CORES-1,
#                           the lab's addresses, interface and hugetlbfs
#                           mount, file prefix epwget-mp-NAME, and mp_wait
#                           $MPLAB_WAIT when set
#   mplab_tap [LOG]         wait (10 s) for the master to be ready (or, with
#                           LOG, for the threaded epwget writing LOG to have
#                           started its port), move its tap to the server
#                           namespace, address it, offloads off, up
#   mplab_down              stop every process of the lab, remove the
#                           namespaces, the mount (and so the group's memory
#                           files), the DPDK runtime directory of the prefix,
#                           and give back the hugepages; idempotent
#   mplab_trap              trap EXIT INT TERM HUP so that mplab_down runs
#   mplab_exec CMD...       run CMD in the client namespace
#
# Variables: those of lab.sh, plus MPLAB_IF (the tap), MPLAB_PREFIX,
# MPLAB_HUGE (the mount), MPLAB_MASTER, MPLAB_SLAVE.

. "$(dirname "${BASH_SOURCE[0]}")/lab.sh"

_MPLAB_ADDED=0

_mplab_hugepages_add() {	# PAGES
	local f=/proc/sys/vm/nr_hugepages before after
	before=$(cat $f) || return 1
	echo $((before + $1)) > $f 2> /dev/null
	after=$(cat $f)
	_MPLAB_ADDED=$((after - before))
	if [ "$_MPLAB_ADDED" -lt "$1" ]; then
		_lab_err "mplab: the kernel gave $_MPLAB_ADDED of $1 hugepages (memory fragmented?): free memory or lower MPLAB_PAGES"
		return 1
	fi
}

_mplab_hugepages_give_back() {
	local f=/proc/sys/vm/nr_hugepages now
	[ "$_MPLAB_ADDED" -gt 0 ] || return 0
	now=$(cat $f)
	echo $((now > _MPLAB_ADDED ? now - _MPLAB_ADDED : 0)) > $f
	_MPLAB_ADDED=0
}

# The shipped pair of configurations, made to fit this lab.
_mplab_conf() {	# SRC DST CORES
	local mask
	mask=$(printf '0x%x' $(((1 << $3) - 1)))
	sed -e "s/core_mask = 0x[0-9A-Fa-f]*/core_mask = $mask/" \
	    -e "s/dpdk0 0x[0-9A-Fa-f]* 10\.99\.2\.2/dpdk0 $mask $LAB_CLI_IP/" \
	    -e "s/10\.99\.2\.0\/24/$LAB_NET.0\/24/" \
	    -e "s|iface=epwmp0|iface=$MPLAB_IF --huge-dir=$MPLAB_HUGE --file-prefix=$MPLAB_PREFIX|" \
	    ${MPLAB_WAIT:+-e "s/mp_wait = [0-9]*/mp_wait = $MPLAB_WAIT/"} "$1" > "$2"
}

mplab_up() {
	local name=${1:-} n=${2:-} cores=${3:-}
	if ! [[ $cores =~ ^[0-9]+$ ]] || [ "$cores" -lt 1 ] || [ "$cores" -gt 16 ]; then
		_lab_err "mplab_up: CORES '$cores' must be 1-16"
		return 1
	fi
	if ! [[ $name =~ ^[a-z0-9]{1,10}$ ]]; then
		_lab_err "mplab_up: NAME '$name' must be 1-10 of a-z, 0-9"
		return 1
	fi
	lab_up "$name" "$n" || return 1
	MPLAB_IF=epw${name}t
	MPLAB_PREFIX=epwget-mp-$name
	MPLAB_HUGE=/run/epwmp-$name.huge
	MPLAB_MASTER=$LAB_TMP/mos-master.conf
	MPLAB_SLAVE=$LAB_TMP/mos-slave.conf
	_mplab_leftovers
	# the tap replaces the veth pair; nginx may bind its address before the tap exists
	ip -n "$LAB_NS_SRV" link del dev "$LAB_IF_SRV" &&
		ip netns exec "$LAB_NS_SRV" sysctl -qw net.ipv4.ip_nonlocal_bind=1 &&
		_mplab_hugepages_add "${MPLAB_PAGES:-512}" &&
		mkdir -p "$MPLAB_HUGE" && mount -t hugetlbfs nodev "$MPLAB_HUGE" &&
		_mplab_conf conf/mos-master.conf "$MPLAB_MASTER" "$cores" &&
		_mplab_conf conf/mos-slave.conf "$MPLAB_SLAVE" "$cores" && return 0
	_lab_err "mplab_up $name failed (see above); removed what it made"
	mplab_down
	return 1
}

# What a killed run of this lab left: its mount, its runtime directory.
_mplab_leftovers() {
	if mountpoint -q "$MPLAB_HUGE" 2> /dev/null; then
		rm -f "$MPLAB_HUGE"/* && umount "$MPLAB_HUGE"
	fi
	rmdir "$MPLAB_HUGE" 2> /dev/null
	rm -rf "/var/run/dpdk/$MPLAB_PREFIX"
	rmdir /var/run/dpdk 2> /dev/null
	return 0
}

# The tap moves only once the master is ready (its ready file): until its
# ports have started, the tap PMD opens each queue by the interface's name
# in its own namespace, and a queue opened after the move would make a
# second interface of that name there.
# With LOG (the threaded epwget's stderr), ready is its line about the port.
_mplab_ready() {	# [LOG]
	if [ -n "${1:-}" ]; then
		grep -q "net_tap, .* link" "$1" 2> /dev/null
	else
		[ -s "/var/run/dpdk/$MPLAB_PREFIX/mos_mp_ready" ]
	fi && ip -n "$LAB_NS_CLI" link show dev "$MPLAB_IF" > /dev/null 2>&1
}

mplab_tap() {
	local i
	_lab_need_up || return 1
	for i in $(seq 100); do
		_mplab_ready "$@" && break
		sleep 0.1
	done
	if ! _mplab_ready "$@"; then
		_lab_err "mplab_tap: the master was not ready with interface $MPLAB_IF in 10 s (did it start?)"
		return 1
	fi
	# the kernel end gets its own MAC: by default it has the DPDK port's
	ip -n "$LAB_NS_CLI" link set dev "$MPLAB_IF" netns "$LAB_NS_SRV" &&
		ip -n "$LAB_NS_SRV" link set dev "$MPLAB_IF" address 02:00:0a:63:00:04 &&
		_lab_if_setup "$LAB_NS_SRV" "$MPLAB_IF" &&
		ip -n "$LAB_NS_SRV" addr add "$LAB_SRV_IP/24" dev "$MPLAB_IF"
}

mplab_down() {
	[ -z "${LAB_NAME:-}" ] && return 0
	_lab_kill_ns "$LAB_NS_CLI"	# the group first: it maps the mount
	_lab_kill_ns "$LAB_NS_SRV"
	_mplab_leftovers
	_mplab_hugepages_give_back
	lab_down
}

mplab_trap() {
	trap "trap '' INT TERM HUP; mplab_down" EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}

mplab_exec() { lab_exec_cli "$@"; }
