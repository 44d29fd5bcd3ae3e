/*
 * mos_dpdk.h - the I/O module: the only code that calls DPDK.
 *
 * It owns the EAL, the ports named by the netdev lines of mos.conf, their
 * queues (queue i belongs to core i), the per-core mbuf pools, the RSS key
 * and redirection table programmed into each port, and the lcore identity
 * of each core's thread. The rest of the stack sees plain C types.
 *
 * Threading: everything here but mos_dpdk_thread_attach runs on the main
 * thread, during start-up and shut-down (control path).
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
	uint16_t nqueues;
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
 * Configure and start every netdev port with nqueues RX/TX queue pairs,
 * the RSS key k and the default table of conf's reta_size. info receives
 * one entry per netdev (conf->n_netdev). 0 or -errno with err filled.
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
