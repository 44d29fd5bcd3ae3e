/*
 * mos_io.h - the I/O module's packet path: what a core's own thread calls
 * to receive and send frames (mos_io.c; in the unit tests, the stand-in
 * test/fake_dpdk.c). The ports, queues and pools behind it are started by
 * mos_dpdk.h's calls on the main thread.
 *
 * Every call runs on the core's own thread, on that core's queues only.
 * With software steering a core's queue also carries other cores' frames,
 * which it hands over while it polls: every core must keep polling until
 * all cores are done.
 */
#ifndef EPWGET_MOS_IO_H
#define EPWGET_MOS_IO_H

#include <stdint.h>

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

#endif
