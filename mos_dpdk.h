/*
 * mos_dpdk.h - the I/O module: the only code that calls DPDK.
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
 * path); mos_dpdk_thread_attach and the mos_io_* packet path run on each
 * core's own thread, on that core's queues only. With software steering a
 * core's queue also carries other cores' frames, which it hands over while
 * it polls: every core must keep polling until all cores are done.
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

/* --- the packet path of one core (its own thread only) --- */

struct mos_core;

#define MOS_FRAME_MAX 1536	/* bytes a transmit buffer holds */

/* Offloads asked of the NIC for one frame. */
#define MOS_TX_IP_CKSUM  0x1	/* IPv4 header checksum field is 0: fill it */
#define MOS_TX_TCP_CKSUM 0x2	/* TCP checksum field holds the pseudo-header sum: finish it */

/* A transmit buffer: data has room for MOS_FRAME_MAX bytes. */
struct mos_txbuf {
	void *pkt;
	uint8_t *data;
};

/* A received frame. */
struct mos_rxpkt {
	void *pkt;
	uint8_t *data;
	uint16_t len;
	uint16_t iface;		/* the netdev index it came in on */
	uint32_t flags;		/* MOS_RX_* (mos_net.h): checksums the NIC verified */
};

/* Per-core I/O counters. */
struct mos_io_stats {
	uint64_t rx_pkts, tx_pkts;
	uint64_t rx_bytes, tx_bytes;
	uint64_t tx_dropped;		/* the NIC queue stayed full: frames freed */
	uint64_t no_mbuf;		/* a transmit buffer was asked for and none was left */
	uint64_t handed_over;		/* read from a queue not its owner's, handed to the owner:
					 * another core (steering), or this core from an extra queue */
	uint64_t handed_in;		/* handed to this core: by another core's steering, or from
					 * an extra queue this core polls */
	uint64_t steer_dropped;		/* the owner's steering ring was full */
	uint64_t extra_rx;		/* read from the extra queues this core polls */
};

/*
 * Receive up to max frames for this core: from its queue on every port, the
 * extra queues it polls, and its steering ring. Frames that belong to
 * another core (their Toeplitz hash names its queue) go to that core's ring
 * instead.
 */
int mos_io_rx_burst(struct mos_core *core, struct mos_rxpkt *out, int max);

/* Send every frame queued by mos_io_tx_send. */
void mos_io_tx_flush(struct mos_core *core);

/* The core's I/O counters. */
const struct mos_io_stats *mos_io_stats(const struct mos_core *core);

/* Microseconds of a monotonic clock (the TSC in production). */
uint64_t mos_io_now_us(void);

/* A buffer to build a frame in. 0, or -ENOBUFS (counted by the caller). */
int mos_io_tx_alloc(struct mos_core *core, struct mos_txbuf *tb);

/* Queue the frame of len bytes for sending on interface iface; the buffer is gone. */
void mos_io_tx_send(struct mos_core *core, uint16_t iface, void *pkt, uint16_t len, uint32_t ol);

/* The data of a buffer handed out by mos_io_tx_alloc (for one held while ARP resolves). */
uint8_t *mos_io_pkt_data(void *pkt);

/* Give back a buffer without sending it. */
void mos_io_pkt_free(struct mos_core *core, void *pkt);

/* Stop and close the ports, release the EAL and its runtime directory. Idempotent. */
void mos_dpdk_fini(void);

#endif
