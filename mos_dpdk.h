/*
 * mos_dpdk.h - the I/O module, the only code that calls DPDK: its control
 * path (mos_dpdk.c; the multi-process group, mos_dpdk_mp.c). The packet
 * path over the ports it starts is mos_io.h's (mos_io.c).
 *
 * It owns the EAL, the ports named by the netdev lines of mos.conf, their
 * queues (queue i belongs to core i), the per-core mbuf pools, the RSS key
 * and redirection table programmed into each port, and the lcore identity
 * of each core's thread. The rest of the stack sees plain C types.
 *
 * A device whose queue count is fixed at probe (af_packet's qpairs) may
 * have more queues than the run has cores, and the kernel spreads frames
 * over all of them: an extra queue q (q >= cores) is polled by core
 * q % cores besides its own, and each of its frames handed to its owner.
 *
 * Threading: the set-up and shut-down calls run on the main thread (control
 * path); mos_dpdk_thread_attach runs on each core's own thread, which then
 * calls the packet path (mos_io.h) on that core's queues only.
 */
#ifndef EPWGET_MOS_DPDK_H
#define EPWGET_MOS_DPDK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf_parse.h"
#include "mos_rss.h"

#define MOS_DPDK_DRIVER_MAX 32

/* What the stack needs to know about one started port. */
struct mos_port_info {
	uint16_t port_id;
	char driver[MOS_DPDK_DRIVER_MAX];
	uint8_t mac[6];
	uint16_t nqueues;	/* one per core */
	uint16_t dev_queues;	/* the device's: nqueues, or more when fixed at probe (af_packet qpairs) */
	uint16_t mtu;
	bool hw_rss;		/* the NIC hashes with our key and table */
	bool tx_cksum;		/* IPv4 and TCP checksums offloaded on transmit */
	bool rx_cksum;		/* the NIC checks IPv4 and TCP checksums */
	bool link_up;
	uint32_t link_mbps;
	struct mos_rss_reta reta;	/* the table the NIC uses, or ours for software steering */
};

/*
 * Start the EAL for a process that will run up to the cores of conf's core
 * mask. prog is argv[0]. Returns 0 or -errno with a message in err that
 * says what to do next.
 */
int mos_dpdk_init(const struct mos_conf *conf, const char *prog, bool verbose,
		  char *err, size_t errlen);

/*
 * Multi-process mode (conf->mp_mode, epwget-mp): start the EAL of the one
 * process of a group that runs on CPU cpu (a CPU of conf's core mask) and
 * owns the queue of cpu's rank in the mask. The master (DPDK primary)
 * refuses to start beside a live master of the same file prefix; a slave
 * (secondary) waits up to conf->mp_wait seconds for its master to be
 * ready. Both need hugepages on a hugetlbfs mount. Then
 * mos_dpdk_ports_start starts the ports (master) or attaches to them
 * (slave, no control-path call). 0 or -errno with err filled.
 */
int mos_dpdk_init_mp(const struct mos_conf *conf, const char *prog, bool verbose, unsigned cpu,
		     char *err, size_t errlen);

/*
 * The group's bookkeeping (multi-process mode; main thread). finish: this
 * process's own work is done. others: how many other processes of the
 * group are still working, counting those not yet started until mp_wait
 * seconds after this one finished; -EPIPE when this slave's master is
 * gone. master_alive: false once a slave's master has exited.
 */
void mos_dpdk_mp_finish(void);
int mos_dpdk_mp_others(void);
bool mos_dpdk_mp_master_alive(void);

/*
 * Configure and start every netdev port with nqueues RX/TX queue pairs,
 * the RSS key k and the default table of conf's reta_size. info receives
 * one entry per netdev (conf->n_netdev). 0 or -errno with err filled.
 * A multi-process master also publishes the ports, pools and steering
 * rings to its slaves; a slave takes them from its master instead.
 */
int mos_dpdk_ports_start(const struct mos_conf *conf, unsigned nqueues,
			 const struct mos_rss_key *k, struct mos_port_info *info,
			 char *err, size_t errlen);

/*
 * Make the calling thread the home of core `core`: pin it to cpu and give
 * it a DPDK lcore identity (for the mbuf caches). 0 or -errno.
 */
int mos_dpdk_thread_attach(unsigned core, unsigned cpu);
void mos_dpdk_thread_detach(void);

/* Stop and close the ports, release the EAL and its runtime directory. Idempotent. */
void mos_dpdk_fini(void);

#endif
