# lab.sh - a two-namespace veth lab for interoperability tests. Source it
# from bash (". test/lab.sh"), as root.
#
#   namespace epw-NAME-cli   veth end epwNAMEd, no address: our DPDK binary
#                            owns it through net_af_packet,iface=epwNAMEd;
#                            run the binary with lab_exec_cli
#   namespace epw-NAME-srv   veth end epwNAMEs, 10.99.N.4/24: the kernel
#                            peer (ksock, nginx), run with lab_start_srv;
#                            lab_loss adds epwNAMEx/epwNAMEy, a veth pair
#                            left down that discards the lost packets
#
# The veth pair is created directly inside the two namespaces: nothing is
# ever added to the root namespace, and deleting the namespaces removes the
# pair. On both ends: checksum and segmentation offloads off (a kernel peer
# on veth otherwise hands over 64 KB segments and unfinished checksums),
# MTU 1500, one TCP segment per packet handed to the device (gso_max_segs
# 1), IPv6 off (no router solicitations or DAD), our end promiscuous. In
# both namespaces the kernel keeps no TCP metrics (tcp_no_metrics_save):
# each connection starts afresh, whatever the ones before it measured.
#
# Needs Debian 12 packages: iproute2 (ip, ss), ethtool, procps (sysctl),
# util-linux (flock), nftables (lab_loss, lab_dup), nginx-light or nginx
# (lab_nginx).
#
# Functions (each returns non-zero and says why on stderr when it fails):
#   lab_up NAME [N]         make the lab; NAME: 1-11 of [a-z0-9], N: 1-254
#                           (default 1). One run per NAME at a time: waits
#                           for another run's lab NAME (LAB_LOCK_WAIT s,
#                           default 300), then removes what a killed run
#                           of that NAME left.
#   lab_down                kill every process in the two namespaces, delete
#                           them and the temp dir; idempotent, trap-safe
#   lab_purge NAME          remove what a killed run of lab NAME left
#                           (lab_up NAME does that too)
#   lab_trap                trap EXIT INT TERM HUP so that lab_down runs;
#                           scripts with their own cleanup call lab_down
#                           from it, after trap '' INT TERM HUP
#   lab_exec_cli CMD...     run CMD in the client namespace (our side)
#   lab_exec_srv CMD...     run CMD in the server namespace
#   lab_start_srv [-p PORT] CMD...
#                           start CMD in the server namespace in the
#                           background; wait (5 s at most) for a line
#                           "ready" from ksock, else for PORT to listen;
#                           sets LAB_SRV_PID, LAB_SRV_OUT, LAB_SRV_ERR
#   lab_stop_srv [PID]      SIGTERM (SIGKILL after 5 s), return its status
#   lab_nginx ROOTDIR PORT  nginx, 1 worker, on 10.99.N.4:PORT serving
#                           ROOTDIR; LAB_NGINX_AFFINITY overrides the
#                           worker_cpu_affinity (default auto); sets
#                           LAB_NGINX_PID, LAB_NGINX_DIR (conf, error.log)
#   lab_mac_srv, lab_mac_cli   print the MAC of that veth end
#   lab_loss PCT            drop PCT% of the kernel side's packets, each way,
#                           as a wire would: the kernel never learns of a drop
#                           (see _lab_nft_tables); tcpdump on the server's end
#                           shows the packets dropped on the way in (it sees
#                           them first), not those dropped on the way out
#   lab_dup PCT             duplicate PCT% of the packets the kernel sends
#   lab_clear               remove the loss and duplication rules
#   lab_nft_packets loss|dup   print how many packets the rules hit so far
#   lab_jcheck NAME EXPR    a check over epwget's JSON summary in $LAB_TMP/out.json
#                           (a Python expression over it as d): calls the
#                           script's own ok NAME, or bad NAME with the JSON
#
# Variables set by lab_up: LAB_NAME LAB_NS_SRV LAB_NS_CLI LAB_IF_SRV
# LAB_IF_CLI LAB_NET (10.99.N) LAB_SRV_IP (10.99.N.4) LAB_CLI_IP (10.99.N.2,
# the address to give our stack) LAB_TMP (a temp dir, removed by lab_down).

LAB_NAME=${LAB_NAME:-}
_LAB_PIDS=()

_lab_err() { echo "lab: $*" >&2; }

_lab_need_up() {
	[ -n "$LAB_NAME" ] && return 0
	_lab_err "${FUNCNAME[1]}: no lab is up: call lab_up NAME first"
	return 1
}

_lab_need_cmds() {
	local c
	for c in "$@"; do
		command -v "$c" > /dev/null && continue
		_lab_err "'$c' not found: apt-get install -y iproute2 ethtool procps util-linux nftables nginx-light"
		return 1
	done
}

_lab_set_vars() {	# NAME N
	LAB_NAME=$1
	LAB_NS_SRV=epw-$1-srv
	LAB_NS_CLI=epw-$1-cli
	LAB_IF_SRV=epw$1s
	LAB_IF_CLI=epw$1d
	LAB_NET=10.99.$2
	LAB_SRV_IP=$LAB_NET.4
	LAB_CLI_IP=$LAB_NET.2
}

# Take lab NAME's lock: one run per lab name at a time, so that a run never
# clears another's lab as leftovers. Waits LAB_LOCK_WAIT seconds (default
# 300) for the other run. The fd is closed for the processes the lab starts,
# so a server orphaned by a SIGKILL does not hold it.
_lab_lock() {
	local f=/run/lock/epwlab-$1.lock wait=${LAB_LOCK_WAIT:-300}
	_lab_need_cmds flock stat || return 1
	while :; do
		exec {_LAB_LOCK_FD}>> "$f" || return 1
		if ! flock -w 1 "$_LAB_LOCK_FD"; then
			_lab_err "lab $1 is in use by another run: waiting up to $wait s for it"
			if ! flock -w "$wait" "$_LAB_LOCK_FD"; then
				_lab_err "lab $1 still in use after $wait s: pick another NAME, or stop that run"
				exec {_LAB_LOCK_FD}>&-
				return 1
			fi
		fi
		# the holder removes the file before it unlocks: lock the file that is there now
		[ "$(stat -c %i "$f" 2> /dev/null)" = "$(stat -L -c %i "/proc/$BASHPID/fd/$_LAB_LOCK_FD")" ] &&
			return 0
		exec {_LAB_LOCK_FD}>&-
	done
}

_lab_unlock() {
	rm -f "/run/lock/epwlab-$1.lock"
	exec {_LAB_LOCK_FD}>&-
}

_lab_ns_exists() { ip netns list | awk '{ print $1 }' | grep -qx -- "$1"; }

# Kill every process in namespace NS: SIGTERM, then SIGKILL after 3 s.
_lab_kill_ns() {
	local ns=$1 pids i
	pids=$(ip netns pids "$ns" 2> /dev/null)
	[ -z "$pids" ] && return 0
	kill -TERM $pids 2> /dev/null
	for i in $(seq 30); do
		[ -z "$(ip netns pids "$ns" 2> /dev/null)" ] && return 0
		sleep 0.1
	done
	pids=$(ip netns pids "$ns" 2> /dev/null)
	[ -n "$pids" ] && kill -KILL $pids 2> /dev/null
	sleep 0.1
}

# Remove the namespaces of lab NAME, anything left in them and its temp dirs;
# quiet when absent.
_lab_teardown() {
	local name=$1 ns
	for ns in "epw-$name-srv" "epw-$name-cli"; do
		_lab_ns_exists "$ns" || continue
		_lab_kill_ns "$ns"
		ip netns del "$ns" || _lab_err "could not delete namespace $ns: try 'ip netns del $ns'"
	done
	# never created in the root namespace; removed here in case an older script did
	for ns in "epw${name}d" "epw${name}s"; do
		ip link show dev "$ns" > /dev/null 2>&1 && ip link del dev "$ns"
	done
	rm -rf /tmp/epwlab-"$name".*	# a killed run's temp dir
	return 0
}

# Offloads off, MTU 1500, IPv6 off on interface IF of namespace NS, then up;
# no TCP metrics cache in NS.
_lab_if_setup() {
	local ns=$1 ifc=$2 feat
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 "net.ipv6.conf.$ifc.disable_ipv6=1" || return 1
	# The kernel caches per destination the RTT of each connection that
	# closes, and starts the next one to that address with an RTO of three
	# times the cached RTT when that is above its own first sample. Our side
	# has one address for every connection, so one connection with a long
	# RTT sample (a handshake whose ACK was lost: the ACK of the SYN-ACK
	# retransmission echoes the first SYN-ACK's timestamp, which makes the
	# RTT the whole handshake, seconds) gave later ones, in that run and the
	# next, RTOs of up to 35 s: one lost data segment then stalled a
	# connection past a client's timeout. Without the cache, tests are
	# independent of the ones that ran before them in the same lab.
	ip netns exec "$ns" sysctl -qw net.ipv4.tcp_no_metrics_save=1 || return 1
	# TCP hands the device multi-segment (GSO) packets whatever its features
	# and segments them after the netfilter hooks, so loss and duplication
	# rules would hit whole bursts: one segment per packet makes them per packet
	ip -n "$ns" link set dev "$ifc" mtu 1500 gso_max_segs 1 || return 1
	ip netns exec "$ns" ethtool -K "$ifc" tx off rx off tso off gso off gro off > /dev/null || return 1
	feat=$(ip netns exec "$ns" ethtool -k "$ifc") || return 1
	for f in tx-checksumming tcp-segmentation-offload generic-segmentation-offload \
		 generic-receive-offload; do
		if ! echo "$feat" | grep -q "^$f: off"; then
			_lab_err "$ifc: $f is still on: check 'ethtool -k $ifc' in $ns"
			return 1
		fi
	done
	ip -n "$ns" link set dev lo up && ip -n "$ns" link set dev "$ifc" up
}

_lab_make() {
	ip netns add "$LAB_NS_SRV" && ip netns add "$LAB_NS_CLI" || return 1
	ip link add "$LAB_IF_CLI" netns "$LAB_NS_CLI" type veth \
		peer name "$LAB_IF_SRV" netns "$LAB_NS_SRV" || return 1
	_lab_if_setup "$LAB_NS_SRV" "$LAB_IF_SRV" && _lab_if_setup "$LAB_NS_CLI" "$LAB_IF_CLI" || return 1
	ip -n "$LAB_NS_CLI" link set dev "$LAB_IF_CLI" promisc on || return 1
	ip -n "$LAB_NS_SRV" addr add "$LAB_SRV_IP/24" dev "$LAB_IF_SRV"
}

lab_up() {
	local name=${1:-} n=${2:-1}
	if ! [[ $name =~ ^[a-z0-9]{1,11}$ ]]; then
		_lab_err "lab_up: NAME '$name' must be 1-11 of a-z, 0-9 (interface names are 15 at most)"
		return 1
	fi
	if ! [[ $n =~ ^[0-9]{1,3}$ ]] || [ "$n" -lt 1 ] || [ "$n" -gt 254 ]; then
		_lab_err "lab_up: N '$n' must be 1-254 (the lab's subnet is 10.99.N.0/24)"
		return 1
	fi
	if [ -n "$LAB_NAME" ]; then
		_lab_err "lab_up: lab '$LAB_NAME' is up in this shell: call lab_down first"
		return 1
	fi
	_lab_need_cmds ip ss ethtool sysctl || return 1
	_lab_lock "$name" || return 1
	_lab_set_vars "$name" "$n"
	_lab_teardown "$name"
	LAB_TMP=$(mktemp -d "/tmp/epwlab-$name.XXXXXX") || { lab_down; return 1; }
	if ! _lab_make; then
		_lab_err "lab_up $name failed (see above); removed what it made"
		lab_down
		return 1
	fi
}

lab_down() {
	local p
	[ -z "$LAB_NAME" ] && return 0
	_lab_teardown "$LAB_NAME"
	for p in "${_LAB_PIDS[@]}"; do
		wait "$p" 2> /dev/null	# reap; the namespaces' processes were killed above
	done
	_LAB_PIDS=()
	[ -n "${LAB_TMP:-}" ] && rm -rf "$LAB_TMP"
	_lab_unlock "$LAB_NAME"
	LAB_NAME=
	unset LAB_NS_SRV LAB_NS_CLI LAB_IF_SRV LAB_IF_CLI LAB_NET LAB_SRV_IP LAB_CLI_IP LAB_TMP \
	      LAB_SRV_PID LAB_SRV_OUT LAB_SRV_ERR LAB_NGINX_PID LAB_NGINX_DIR
	return 0
}

lab_purge() {
	local name=${1:-}
	if [ -n "$name" ] && [ "$name" = "$LAB_NAME" ]; then
		lab_down
		return
	fi
	if ! [[ $name =~ ^[a-z0-9]{1,11}$ ]]; then
		_lab_err "lab_purge: NAME '$name' must be 1-11 of a-z, 0-9"
		return 1
	fi
	_lab_lock "$name" || return 1
	_lab_teardown "$name"
	_lab_unlock "$name"
}

lab_trap() {
	trap "trap '' INT TERM HUP; lab_down" EXIT	# a second signal must not cut it short
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}

lab_exec_cli() { _lab_need_up && ip netns exec "$LAB_NS_CLI" "$@" {_LAB_LOCK_FD}>&-; }
lab_exec_srv() { _lab_need_up && ip netns exec "$LAB_NS_SRV" "$@" {_LAB_LOCK_FD}>&-; }

_lab_mac() { ip -n "$1" -o link show dev "$2" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'; }
lab_mac_srv() { _lab_need_up && _lab_mac "$LAB_NS_SRV" "$LAB_IF_SRV"; }
lab_mac_cli() { _lab_need_up && _lab_mac "$LAB_NS_CLI" "$LAB_IF_CLI"; }

# Is the server PID up: "ready" printed (ksock), PORT listening, or still alive.
_lab_srv_ready() {	# PID KSOCK PORT
	kill -0 "$1" 2> /dev/null || return 2
	if [ "$2" = 1 ]; then
		grep -qx ready "$LAB_SRV_OUT"
	elif [ -n "$3" ]; then
		[ -n "$(ip netns exec "$LAB_NS_SRV" ss -Hltn "sport = :$3")" ]
	fi
}

lab_start_srv() {
	local port='' ksock=0 i r
	if [ "${1:-}" = -p ]; then
		port=$2
		shift 2
	fi
	_lab_need_up || return 1
	[ $# -gt 0 ] || { _lab_err "lab_start_srv: give a command"; return 1; }
	case ${1##*/} in ksock*) ksock=1 ;; esac
	LAB_SRV_OUT=$LAB_TMP/srv${#_LAB_PIDS[@]}.out
	LAB_SRV_ERR=$LAB_TMP/srv${#_LAB_PIDS[@]}.err
	ip netns exec "$LAB_NS_SRV" "$@" > "$LAB_SRV_OUT" 2> "$LAB_SRV_ERR" < /dev/null {_LAB_LOCK_FD}>&- &
	LAB_SRV_PID=$!
	_LAB_PIDS+=("$LAB_SRV_PID")
	[ "$ksock" = 0 ] && [ -z "$port" ] && sleep 0.3
	for i in $(seq 100); do
		_lab_srv_ready "$LAB_SRV_PID" "$ksock" "$port"
		r=$?
		[ "$r" = 0 ] && return 0
		[ "$r" = 2 ] && break
		sleep 0.05
	done
	_lab_err "lab_start_srv: '$*' $([ "$r" = 2 ] && echo exited || echo "was not ready in 5 s"):"
	sed 's/^/  /' "$LAB_SRV_ERR" >&2
	lab_stop_srv "$LAB_SRV_PID" 2> /dev/null
	return 1
}

lab_stop_srv() {
	local pid=${1:-${LAB_SRV_PID:-}} i
	[ -n "$pid" ] || { _lab_err "lab_stop_srv: no server started"; return 1; }
	kill -TERM "$pid" 2> /dev/null
	for i in $(seq 50); do
		kill -0 "$pid" 2> /dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2> /dev/null
	wait "$pid"
}

lab_nginx() {
	local root=${1:-} port=${2:-} bin d nofile conns
	_lab_need_up || return 1
	if [ ! -d "$root" ] || ! [[ $port =~ ^[0-9]+$ ]]; then
		_lab_err "lab_nginx: give an existing ROOTDIR and a PORT (got '$root' '$port')"
		return 1
	fi
	bin=$(command -v nginx || echo /usr/sbin/nginx)
	nofile=$(ulimit -Hn)
	[ "$nofile" = unlimited ] || [ "$nofile" -gt 65536 ] && nofile=65536
	conns=$((nofile - 64 < 16384 ? nofile - 64 : 16384))
	[ -x "$bin" ] || { _lab_err "nginx not found: apt-get install -y nginx-light"; return 1; }
	d=$LAB_TMP/nginx
	mkdir -p "$d"
	cat > "$d/nginx.conf" <<-EOF
	# generated by test/lab.sh for lab $LAB_NAME
	# the worker runs as the caller: tests serve files from private temp dirs
	user $(id -un);
	worker_processes 1;
	worker_cpu_affinity ${LAB_NGINX_AFFINITY:-auto};
	worker_rlimit_nofile $nofile;
	daemon off;
	pid $d/nginx.pid;
	error_log $d/error.log warn;
	events { worker_connections $conns; multi_accept on; }
	http {
		access_log off;
		sendfile on;
		tcp_nopush on;
		keepalive_requests 100000;
		default_type application/octet-stream;
		client_body_temp_path $d/body;
		proxy_temp_path $d/proxy;
		fastcgi_temp_path $d/fastcgi;
		uwsgi_temp_path $d/uwsgi;
		scgi_temp_path $d/scgi;
		server {
			listen $LAB_SRV_IP:$port backlog=4096;
			root $root;
		}
	}
	EOF
	lab_start_srv -p "$port" "$bin" -p "$d" -c "$d/nginx.conf" -e "$d/error.log" || return 1
	LAB_NGINX_PID=$LAB_SRV_PID
	LAB_NGINX_DIR=$d
}

_lab_pct() {
	[[ ${1:-} =~ ^[0-9]{1,3}$ ]] && [ "$1" -le 100 ] && return 0
	_lab_err "${FUNCNAME[1]}: PCT '${1:-}' must be 0-100"
	return 1
}

_lab_nft() { ip netns exec "$LAB_NS_SRV" nft "$@"; }

# The lab's tables, empty chains on first use: loss at the input hook of the
# inet family and at the netdev egress of the server's end, duplication at
# that egress after the loss.
#
# A drop must be silent to the kernel, as on a wire. An input drop is. An
# output drop is not where the verdict is "drop" (inet output hook, or netdev
# egress): the sender gets an error (-EPERM, NET_XMIT_DROP), and TCP treats
# that unlike loss. A listener whose SYN-ACK retransmission fails so forgets
# the half-open connection at once (reqsk_timer_handler drops the request
# when inet_rtx_syn_ack fails), while the peer, whose handshake ACK was lost,
# stays ESTABLISHED: with 10% loss about 1% of connections hung for good. So
# the output loss forwards ("fwd", a stolen packet: the sender sees success)
# to epwNAMEx, one end of a veth pair in the server namespace that is left
# down, where the packet is discarded.
_lab_nft_tables() {
	local bh=epw${LAB_NAME}x
	_lab_need_cmds nft || return 1
	if ! ip -n "$LAB_NS_SRV" link show dev "$bh" > /dev/null 2>&1; then
		ip -n "$LAB_NS_SRV" link add "$bh" type veth peer name "epw${LAB_NAME}y" || return 1
	fi
	_lab_nft -f - <<-EOF
	table inet epwlab {
		chain loss_in { type filter hook input priority 0; policy accept; }
	}
	table netdev epwlab {
		chain loss_out { type filter hook egress device "$LAB_IF_SRV" priority -10; policy accept; }
		chain dup_out { type filter hook egress device "$LAB_IF_SRV" priority 0; policy accept; }
	}
	EOF
}

lab_loss() {
	_lab_need_up && _lab_pct "${1:-}" && _lab_nft_tables || return 1
	_lab_nft flush chain inet epwlab loss_in && _lab_nft flush chain netdev epwlab loss_out || return 1
	[ "$1" -eq 0 ] && return 0
	_lab_nft add rule inet epwlab loss_in iifname "$LAB_IF_SRV" numgen random mod 100 "<" "$1" counter drop &&
	_lab_nft add rule netdev epwlab loss_out meta protocol "{ ip, ip6 }" numgen random mod 100 "<" "$1" \
		counter fwd to "\"epw${LAB_NAME}x\""
}

lab_dup() {
	_lab_need_up && _lab_pct "${1:-}" && _lab_nft_tables || return 1
	_lab_nft flush chain netdev epwlab dup_out || return 1
	[ "$1" -eq 0 ] && return 0
	_lab_nft add rule netdev epwlab dup_out numgen random mod 100 "<" "$1" counter dup to "\"$LAB_IF_SRV\""
}

lab_clear() {
	_lab_need_up || return 1
	command -v nft > /dev/null || return 0
	_lab_nft delete table inet epwlab 2> /dev/null
	_lab_nft delete table netdev epwlab 2> /dev/null
	return 0
}

lab_nft_packets() {
	local c
	_lab_need_up || return 1
	case ${1:-} in
	loss) set -- "inet epwlab loss_in" "netdev epwlab loss_out" ;;
	dup) set -- "netdev epwlab dup_out" ;;
	*) _lab_err "lab_nft_packets: say loss or dup"; return 1 ;;
	esac
	for c in "$@"; do
		_lab_nft list chain $c 2> /dev/null
	done |
		awk '{ for (i = 1; i < NF; i++) if ($i == "packets") s += $(i + 1) } END { print s + 0 }'
}

lab_jcheck() {
	if python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if ($2) else 1)" \
		"$LAB_TMP/out.json" 2> "$LAB_TMP/py.err"; then
		ok "$1"
	else
		bad "$1" "$2" "$(head -c 600 "$LAB_TMP/out.json" 2>/dev/null)" "$(tail -2 "$LAB_TMP/py.err")"
	fi
}
