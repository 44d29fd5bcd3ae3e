/*
 * mos_dpdk_priv.h - what the I/O module's files share and no other
 * module may include (as mos_tcp_priv.h is TCP's):
 *
 *   mos_dpdk.c     the EAL, the ports and the multi-process group (main thread)
 *   mos_io.c       the packet path (each core's own thread)
 *
 * Module state is `io`, defined in mos_dpdk.c: written by the main thread
 * during start-up and shut-down only, never on the packet path, which reads
 * it. Each core's packet-path state is mos_io.c's own (struct io_core).
 */
#ifndef EPWGET_MOS_DPDK_PRIV_H
#define EPWGET_MOS_DPDK_PRIV_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf_parse.h"
#include "mos_dpdk.h"
#include "mos_rss.h"

struct rte_mempool;
struct rte_memzone;
struct rte_ring;
struct mp_shared;

struct mos_dpdk_io {
	bool eal_up;
	uint64_t tsc_per_us;
	unsigned nqueues;
	struct mos_rss_key key;		/* for software steering */
	bool steer[CONF_MAX_NETDEV];	/* the port does not hash for us: steer in software */
	uint16_t dev_queues[CONF_MAX_NETDEV];	/* the port's queues: nqueues, or more (extra_queue) */
	struct mos_rss_reta reta[CONF_MAX_NETDEV];
	struct rte_ring *ring[CONF_MAX_NETDEV][CONF_MAX_CORES];	/* frames handed to a core */
	char prefix[64];	/* --file-prefix we chose, "" when the user gave one */
	char run_dir[128];	/* the EAL runtime directory to remove at exit */
	int n_ports;
	uint16_t port_id[CONF_MAX_NETDEV];
	struct rte_mempool *mbuf_pool[CONF_MAX_CORES];

	/* multi-process mode (epwget-mp) */
	enum conf_mp_mode mp;
	unsigned mp_queue;		/* this process's queue */
	unsigned mp_wait_s;
	char mp_prefix[64];		/* the group's --file-prefix */
	char mp_dir[PATH_MAX / 2];	/* the group's EAL runtime directory */
	struct mp_shared *mp_sh;	/* the master's memzone, shared by the group */
	const struct rte_memzone *mp_mz;
	uint64_t mp_finished_us;	/* when this process's own work ended, 0 = not yet */
	bool mp_told_wait, mp_told_missing;
};

extern struct mos_dpdk_io io;

/* --- mos_io.c --- */

/* Forget every core's batched frames (fini: they go with the mbuf pools). */
void mos_io_forget_tx(void);

#endif
