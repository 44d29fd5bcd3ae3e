/*
 * epwget.c - the threaded epwget, mOS/mTCP's event-driven web client: one
 * process, a thread per core, each core on its own stack instance and NIC
 * queue, total_flows short HTTP flows to one server split over them.
 *
 * main() -> epw_main (epw_main.c) with this program's mode: its usage and
 * epw_thread_per_core (the cores of the mask, -N, a thread each, the main
 * thread printing mTCP's line every second). epwget_mp.c is the other
 * entry, one process per core.
 */
#include "epw_main.h"

static const struct epw_mode threaded = {
	.prog = "epwget",
	.usage =
	"usage: epwget [-f mos.conf] [-w epwget.conf] [-N cores] [-c total_concurrency]\n"
	"              [-n total_flows] [-m METHOD] [-b FILE] [-H header]... [-k N] [-P DEPTH]\n"
	"              [-x fin|rst] [-s FIRST[-LAST]] [-o outfile] [-j summary.json] [-C] [-v] [-h]\n"
	"              [URL [FLOWS]]\n"
	"  URL            http://host[:port]/path or host[:port]/path, host an IPv4 address\n"
	"                 or a name in /etc/hosts (no DNS; no https) (epwget.conf: url)\n"
	"  FLOWS, -n      flows to run in all (epwget.conf: total_flows)\n"
	"  -f FILE        stack configuration (default conf/mos.conf)\n"
	"  -w FILE        application configuration (default conf/epwget.conf)\n"
	"  -N CORES       cores to use (epwget.conf: core_limit; default: the core mask)\n"
	"  -c N           connections open at once, over all cores (total_concurrency)\n"
	"  -o FILE        write each body to FILE.<flow number>, a new file (not over an\n"
	"                 old one, nor through a symbolic link)\n"
	"  -j FILE        write the summary as JSON (not through a symbolic link)\n"
	"  -m METHOD      GET (default), HEAD, POST, PUT, DELETE, OPTIONS, PATCH (method)\n"
	"  -b FILE        body of each POST, PUT or PATCH, with Content-Length (body_file)\n"
	"  -H 'N: v'      a header, repeatable; replaces a default of its name (header)\n"
	"  -k N           requests per connection: 1 (default) one each, 0 no limit\n"
	"  -P DEPTH       requests in flight per connection, pipelined (default 1)\n"
	"  -x fin|rst     end connections with FIN (default) or RST, no TIME_WAIT (close)\n"
	"  -s FIRST[-LAST] source addresses, up to 256 in the netdev's subnet: each adds\n"
	"                 64,511 ports to the pairs per server (source_addrs)\n"
	"  -C             check: bring up DPDK, ports, pools and RSS source pairs, report, stop\n"
	"  -v             per-core lines and debug messages\n"
	"mTCP's form works too: epwget 10.0.0.4/index.html 100000 -N 8 -c 8000 -f mos.conf\n",
	.cores = &epw_thread_per_core,
};

int main(int argc, char **argv)
{
	return epw_main(&threaded, argc, argv);
}
