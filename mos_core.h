/*
 * mos_core.h - the per-core context of the stack and what other modules of
 * the stack (not applications) may ask of it.
 *
 * One struct mos_core per core, cache-aligned, owning that core's memory
 * arena and pools, its RSS source-pair pool and its counters. It is made by
 * mtcp_create_context on the core's own thread and used only there.
 */
#ifndef EPWGET_MOS_CORE_H
#define EPWGET_MOS_CORE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf_parse.h"
#include "mos_tuple.h"
#include "mos_net.h"
#include "mos_dpdk.h"
#include "mos_io.h"
#include "mos_fault.h"
#include "mos_pool.h"
#include "mos_rss.h"
#include "mos_socket.h"
#include "mos_tcp.h"
#include "mos_timer.h"
#include "mtcp_api.h"

#define MOS_CACHE_LINE   64
#define MOS_LISTEN_MAX   16	/* listening sockets per core */
#define MOS_WHEEL_SLOTS  4096	/* 4 s of 1 ms ticks per turn */
#define MOS_SOCK_EXTRA   64	/* sockets beyond max_concurrency: listeners, epoll instances */

/* The pools every core carves at start, in the order of the pool table in mos_core.c. */
enum mos_pool_id {
	MOS_POOL_RCVBUF,	/* receive buffers, rcvbuf_size bytes */
	MOS_POOL_SNDBUF,	/* send buffers, sndbuf_size bytes */
	MOS_POOL_STREAM,	/* TCP streams, max_concurrency of them */
	MOS_POOL_COUNT
};

struct mos_core {
	struct mtcp_context ctx;	/* the application's handle; first, so a mctx_t converts */
	unsigned cpu;			/* the CPU this core's thread is pinned to */
	uint16_t queue;			/* its RX/TX queue on every port */
	int netdev;			/* the netdev its source pairs belong to, -1 before mtcp_init_rss */

	void *mem;			/* the mapping that holds this struct and the arena */
	size_t mem_size;
	bool mem_huge;			/* backed by hugepages */
	struct mos_arena arena;
	struct mos_pool pool[MOS_POOL_COUNT];

	struct mos_rss_pool rss;	/* source pairs; valid when rss_mem != NULL */
	void *rss_mem;
	size_t rss_mem_size;

	/* the stack */
	uint64_t now;			/* stack clock, in ticks of MOS_TCP_TICK_US */
	uint32_t tcp_timeout;		/* idle timeout in ticks, 0 = none */
	uint32_t tcp_timewait;		/* TIME_WAIT in ticks */
	uint8_t syn_retries;		/* SYN retransmissions before ETIMEDOUT */
	uint64_t iss_secret;		/* RFC 6528 */
	struct mos_tuple_table tuples;
	struct mos_wheel wheel;
	struct mos_net net;
	struct mos_tcp_stats tcp;
	struct mos_stream_stailq tx_list;	/* streams with something to send, in turn */
	struct mos_stream_list arp_wait;	/* streams waiting for their next hop's MAC */
	uint64_t arp_last_request;	/* tick of the core's last ARP request */
	uint64_t challenge_second;	/* RFC 5961 7: the second (+ 1) the budget is for */
	uint64_t challenge_left;	/* challenge ACKs left in it */
	int n_listener;
	struct mos_stream *listener[MOS_LISTEN_MAX];
	uint32_t n_streams;		/* streams alive, listeners and TIME_WAIT included */
	bool tx_cksum[CONF_MAX_NETDEV];	/* the port of each interface offloads checksums */
	struct mos_sock_core sock;	/* the socket table and epoll instances */
	struct mos_fault fault;		/* mos.conf's fault injection; off: rx_on, tx_on false */
} __attribute__((aligned(MOS_CACHE_LINE)));

/*
 * The mtcp_* calls fail the socket way: -1 with errno. The stack's own
 * functions return -errno; the API turns that into this, in one place.
 */
static inline int mos_api_fail(int err)
{
	errno = err;
	return -1;
}

static inline struct mos_core *mos_core_of(mctx_t mctx)
{
	return (struct mos_core *)(void *)mctx;	/* ctx is its first member */
}

/*
 * Hand a frame to the I/O module to send (as mos_io_tx_send): every frame
 * the stack sends goes this way, through the fault injection when mos.conf
 * asks for it. When it does not, that costs one well-predicted branch.
 */
static inline void mos_core_tx_send(struct mos_core *core, uint16_t iface, void *pkt, uint16_t len,
				    uint32_t ol)
{
	if (__builtin_expect(core->fault.tx_on, 0))
		mos_fault_tx(core, iface, pkt, len, ol);
	else
		mos_io_tx_send(core, iface, pkt, len, ol);
}

/* Bytes one core's memory takes for conf: the struct, its pools and tables. */
size_t mos_core_mem_size(const struct mtcp_conf *conf);

/*
 * Lay out a core's stack in the zeroed block at core (size bytes from
 * mos_core_mem_size): pools, tuple table, timer wheel, L2/L3 state for the
 * netdevs of conf on ports (one mos_port_info per netdev). seed keys the
 * tuple hash and the ISS. Used by mtcp_create_context, and by tests that
 * build cores of their own. 0 or -ENOMEM / -EINVAL.
 */
int mos_core_setup(struct mos_core *core, size_t size, int cpu, const struct mtcp_conf *mc,
		   const struct mos_conf *conf, const struct mos_port_info *ports, uint64_t seed);

#endif
