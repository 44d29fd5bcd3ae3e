/*
 * epwget_mp.c - epwget-mp, mOS's multi-process epwget: one process per CPU
 * of mos.conf's core_mask, no threads, one NIC shared by the group. The
 * master (mos.conf `multiprocess = N master`) starts the NIC, the slaves
 * attach to it; each runs its share of the flows on its main thread,
 * prints its own line every second and writes its own JSON.
 *
 * main() -> epw_main (epw_main.c) with this program's mode: its usage and
 * epw_process_per_core (-c CORE, the core's rank's share). epwget.c is the
 * threaded entry.
 */
#include "epw_main.h"

static const struct epw_mode per_process = {
	.prog = "epwget-mp",
	.usage =
	"usage: epwget-mp -c CORE [-f mos.conf] [-w epwget.conf] [-n total_flows]\n"
	"                 [-m METHOD] [-b FILE] [-H header]... [-k N] [-P DEPTH] [-x fin|rst]\n"
	"                 [-s FIRST[-LAST]]\n"
	"                 [-o outfile] [-j summary.json] [-C] [-v] [-h] [URL [FLOWS]]\n"
	"  -c CORE        the CPU this process runs on, one of mos.conf's core_mask; the\n"
	"                 master (multiprocess = CORE master) first, then one slave\n"
	"                 (multiprocess = slave) per other CPU of the mask\n"
	"  URL, FLOWS, -n, -f, -w, -o, -m, -b, -H, -k, -P, -x, -s, -C, -v as for epwget;\n"
	"                 total_flows and total_concurrency (epwget.conf) are split over\n"
	"                 the processes\n"
	"  -j FILE        JSON summary of this process: FILE with -CORE before .json\n"
	"e.g. epwget-mp -f conf/mos-master.conf -c 0 & epwget-mp -f conf/mos-slave.conf -c 1\n",
	.cores = &epw_process_per_core,
};

int main(int argc, char **argv)
{
	return epw_main(&per_process, argc, argv);
}
