/*
 * mos_io.c - the I/O module's packet path (mos_io.h): each core's receive
 * and transmit bursts on its own queues, software steering of each frame to
 * the core that owns it, the extra queues of fixed-queue devices, and the
 * munmap guard. Runs on each core's own thread (the guard: on the EAL
 * interrupt thread), over the ports, pools and rings mos_dpdk.c set up.
 *
 * Receive (mos_io_rx_burst): the core's steering ring (rx_ring), then
 * rte_eth_rx_burst on its queue and the extra queues it polls (rx_port) ->
 * frame_owner, on ports we steer -> hand_over to the owner's ring | an ARP
 * reply: share_arp, a copy to every core | the core's own: to_rxpkt ->
 * mos_core_poll's input.
 * Transmit: mos_io_tx_alloc -> the stack builds the frame -> mos_io_tx_send
 * batches it -> tx_flush_port -> rte_eth_tx_burst.
 *
 * Per-core state: struct io_core, one cache-aligned struct per core with
 * one writer, that core, in an array indexed by the core's queue (as the
 * DPDK examples keep per-lcore state). Not hung off struct mos_core: the
 * munmap guard (EAL interrupt thread) and mos_dpdk_fini (main thread) have
 * no struct mos_core and walk every core's state, and struct mos_core
 * belongs to the stack, which sees only this module's plain C types (its
 * unit tests' stand-in, test/fake_dpdk.c, keeps no such state); the index
 * it needs, core->queue, is already there.
 */
#include "mos_io.h"
#include "mos_dpdk_priv.h"

#include <errno.h>
#include <sched.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "mos_core.h"
#include "mos_wire.h"

#define TX_BATCH       64
#define TX_RETRIES     8

/*
 * One core's packet-path state, written only by that core's thread (the
 * munmap guard reads busy from the interrupt thread).
 */
struct io_core {
	uint64_t busy;			/* odd while the core is inside a burst */
	struct rte_mbuf *tx[CONF_MAX_NETDEV][TX_BATCH];
	uint16_t n_tx[CONF_MAX_NETDEV];
	unsigned rx_turn;		/* which of its queues a port's poll starts with */
	struct mos_io_stats st;
} __rte_cache_aligned;

static struct io_core io_core[CONF_MAX_CORES];

/*
 * A core is inside a burst call (rte_eth_rx_burst, rte_eth_tx_burst) while
 * its io_core's busy count is odd: the count is the core's, also while it
 * polls an extra queue, so that each count has one writer. When a memif
 * peer goes away, memif_disconnect unmaps the shared rings from the EAL
 * interrupt thread with no regard for a core inside a burst (DPDK 22.11):
 * over a loaded machine that killed epserver in eth_memif_rx about one
 * client exit in ten. munmap is wrapped (-Wl,--wrap=munmap, mk/dpdk.mk): on
 * the interrupt thread it first waits until every burst that had begun is
 * over. Bursts that begin later see the link down (memif clears its flag
 * before it unmaps) and touch nothing.
 */
static inline void burst_enter(struct io_core *ic)
{
	__atomic_store_n(&ic->busy, ic->busy + 1, __ATOMIC_SEQ_CST);
}

static inline void burst_leave(struct io_core *ic)
{
	__atomic_store_n(&ic->busy, ic->busy + 1, __ATOMIC_RELEASE);
}

int __real_munmap(void *addr, size_t len);
int __wrap_munmap(void *addr, size_t len);

int __wrap_munmap(void *addr, size_t len)
{
	if (io.eal_up && rte_thread_is_intr())
		for (unsigned q = 0; q < CONF_MAX_CORES; q++) {
			uint64_t n = __atomic_load_n(&io_core[q].busy, __ATOMIC_SEQ_CST);

			while ((n & 1) && __atomic_load_n(&io_core[q].busy, __ATOMIC_ACQUIRE) == n)
				sched_yield();
		}
	return __real_munmap(addr, len);
}

void mos_io_forget_tx(void)
{
	for (unsigned q = 0; q < CONF_MAX_CORES; q++)
		memset(io_core[q].n_tx, 0, sizeof(io_core[q].n_tx));
}

uint64_t mos_io_now_us(void)
{
	return rte_rdtsc() / io.tsc_per_us;
}

const struct mos_io_stats *mos_io_stats(const struct mos_core *core)
{
	return &io_core[core->queue].st;
}

/*
 * The queue that owns a received frame on a port we steer: the RETA entry
 * of the Toeplitz hash of its IPv4/TCP 4-tuple, as the NIC would compute
 * it. -1 for frames of every core (ARP replies); q, the core that polled
 * it, for anything that is not a well-formed enough IPv4 TCP segment (L3
 * drops and counts it).
 */
static int frame_owner(int port, const uint8_t *f, uint32_t len, unsigned q)
{
	const uint8_t *l3 = f + MOS_ETH_HLEN, *th;	/* the ARP or IPv4 header */
	uint16_t type;
	in_addr_t src, dst;
	in_port_t sp, dp;
	uint32_t ihl;

	if (len < MOS_ETH_HLEN + MOS_IP_HLEN)
		return (int)q;
	type = mos_get16(f + MOS_ETH_OFF_TYPE);
	if (type == MOS_ETHERTYPE_ARP)	/* a reply teaches every core */
		return len >= MOS_ETH_HLEN + MOS_ARP_LEN &&
		       mos_get16(l3 + MOS_ARP_OFF_OP) == MOS_ARP_OP_REPLY ? -1 : (int)q;
	ihl = mos_ip_hlen(l3);
	th = l3 + ihl;
	if (type != MOS_ETHERTYPE_IPV4 || l3[MOS_IP_OFF_PROTO] != IPPROTO_TCP ||
	    ihl < MOS_IP_HLEN || len < MOS_ETH_HLEN + ihl + MOS_TCP_OFF_DPORT + 2)
		return (int)q;
	memcpy(&src, l3 + MOS_IP_OFF_SRC, 4);
	memcpy(&dst, l3 + MOS_IP_OFF_DST, 4);
	memcpy(&sp, th + MOS_TCP_OFF_SPORT, 2);
	memcpy(&dp, th + MOS_TCP_OFF_DPORT, 2);
	return mos_rss_reta_queue(&io.reta[port], mos_rss_hash_v4_tcp(&io.key, src, dst, sp, dp));
}

static void hand_over(struct io_core *ic, int port, unsigned owner, struct rte_mbuf *m)
{
	if (rte_ring_enqueue(io.ring[port][owner], m) != 0) {
		ic->st.steer_dropped++;
		rte_pktmbuf_free(m);
		return;
	}
	ic->st.handed_over++;
}

/* An ARP reply goes to every other core as a copy; true when this core keeps the original. */
static void share_arp(struct io_core *ic, int port, unsigned q, struct rte_mbuf *m)
{
	for (unsigned o = 0; o < io.nqueues; o++) {
		struct rte_mbuf *c;

		if (o == q)
			continue;
		c = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
		if (c != NULL)
			hand_over(ic, port, o, c);
		else
			ic->st.steer_dropped++;
	}
}

static void to_rxpkt(struct mos_rxpkt *p, struct rte_mbuf *m, int port)
{
	uint64_t ip = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	uint64_t l4 = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;

	p->pkt = m;
	p->data = rte_pktmbuf_mtod(m, uint8_t *);
	p->len = rte_pktmbuf_data_len(m);
	p->iface = (uint16_t)port;
	p->flags = (ip == RTE_MBUF_F_RX_IP_CKSUM_GOOD ? MOS_RX_IP_CKSUM_GOOD : 0) |
		   (l4 == RTE_MBUF_F_RX_L4_CKSUM_GOOD ? MOS_RX_L4_CKSUM_GOOD : 0);
}

/*
 * Receive from one port's queue rxq for core q (rxq is q, or an extra queue
 * q polls), keeping the core's frames and steering the others. A frame
 * that core q keeps from an extra queue counts as handed over and in.
 */
static int rx_port(struct io_core *ic, int port, unsigned rxq, unsigned q, struct mos_rxpkt *out,
		   int max)
{
	struct rte_mbuf *m[64];
	int n = 0;
	uint16_t k;

	burst_enter(ic);
	k = rte_eth_rx_burst(io.port_id[port], (uint16_t)rxq, m, (uint16_t)(max < 64 ? max : 64));
	burst_leave(ic);

	if (rxq != q)
		ic->st.extra_rx += k;
	for (uint16_t i = 0; i < k; i++) {
		int owner = (int)q;

		if (io.steer[port] && m[i]->nb_segs == 1)
			owner = frame_owner(port, rte_pktmbuf_mtod(m[i], uint8_t *),
					    rte_pktmbuf_data_len(m[i]), q);
		if (owner < 0)
			share_arp(ic, port, q, m[i]);
		else if (owner != (int)q) {
			hand_over(ic, port, (unsigned)owner, m[i]);
			continue;
		}
		if (rxq != q && owner == (int)q) {
			ic->st.handed_over++;
			ic->st.handed_in++;
		}
		ic->st.rx_pkts++;
		ic->st.rx_bytes += rte_pktmbuf_pkt_len(m[i]);
		to_rxpkt(&out[n++], m[i], port);
	}
	return n;
}

/* Frames other cores steered to this one. */
static int rx_ring(struct io_core *ic, int port, unsigned q, struct mos_rxpkt *out, int max)
{
	struct rte_mbuf *m[64];
	unsigned k = rte_ring_dequeue_burst(io.ring[port][q], (void **)m,
					    (unsigned)(max < 64 ? max : 64), NULL);

	for (unsigned i = 0; i < k; i++) {
		ic->st.handed_in++;
		ic->st.rx_pkts++;
		ic->st.rx_bytes += rte_pktmbuf_pkt_len(m[i]);
		to_rxpkt(&out[i], m[i], port);
	}
	return (int)k;
}

/*
 * The queues core q polls on a port: its own, then the extra ones q +
 * nqueues, q + 2 nqueues, ... below the port's dev_queues. The poll starts
 * with a different one each call, so that a busy queue cannot starve the others.
 */
int mos_io_rx_burst(struct mos_core *core, struct mos_rxpkt *out, int max)
{
	unsigned q = core->queue;
	struct io_core *ic = &io_core[q];
	unsigned turn = ic->rx_turn++;
	int n = 0;

	for (int port = 0; port < io.n_ports && n < max; port++) {
		unsigned dq = io.dev_queues[port];
		unsigned nq = dq > io.nqueues ? (dq - q + io.nqueues - 1) / io.nqueues : 1;

		if (io.steer[port])
			n += rx_ring(ic, port, q, out + n, max - n);
		for (unsigned j = 0; j < nq && n < max; j++)
			n += rx_port(ic, port, q + ((turn + j) % nq) * io.nqueues, q, out + n, max - n);
	}
	return n;
}

int mos_io_tx_alloc(struct mos_core *core, struct mos_txbuf *tb)
{
	struct rte_mbuf *m;

	for (int port = 0; port < io.n_ports; port++)
		if (io_core[core->queue].n_tx[port] == TX_BATCH)
			return -ENOBUFS;	/* backpressure (tx_flush_port) */
	m = rte_pktmbuf_alloc(io.mbuf_pool[core->queue]);

	if (m == NULL) {
		io_core[core->queue].st.no_mbuf++;
		return -ENOBUFS;
	}
	tb->pkt = m;
	tb->data = rte_pktmbuf_mtod(m, uint8_t *);
	return 0;
}

uint8_t *mos_io_pkt_data(void *pkt)
{
	return rte_pktmbuf_mtod((struct rte_mbuf *)pkt, uint8_t *);
}

void mos_io_pkt_free(struct mos_core *core, void *pkt)
{
	(void)core;
	rte_pktmbuf_free(pkt);
}

/*
 * What the queue does not take stays batched for the next flush, and
 * mos_io_tx_alloc refuses buffers while a batch is full: TCP then keeps its
 * streams scheduled, so a peer that drains slower than we send (a memif
 * ring, a saturated NIC) slows us down instead of losing frames.
 */
static void tx_flush_port(struct io_core *ic, unsigned q, int port)
{
	uint16_t n = ic->n_tx[port], sent = 0;

	burst_enter(ic);
	for (int tries = 0; sent < n && tries < TX_RETRIES; tries++)
		sent = (uint16_t)(sent + rte_eth_tx_burst(io.port_id[port], (uint16_t)q,
							  ic->tx[port] + sent, (uint16_t)(n - sent)));
	burst_leave(ic);
	if (sent < n)
		memmove(ic->tx[port], ic->tx[port] + sent, (size_t)(n - sent) * sizeof(ic->tx[port][0]));
	ic->st.tx_pkts += sent;
	ic->n_tx[port] = (uint16_t)(n - sent);
}

void mos_io_tx_send(struct mos_core *core, uint16_t iface, void *pkt, uint16_t len, uint32_t ol)
{
	struct io_core *ic = &io_core[core->queue];
	struct rte_mbuf *m = pkt;

	m->data_len = len;
	m->pkt_len = len;
	m->ol_flags = 0;
	if (ol != 0) {
		m->l2_len = MOS_ETH_HLEN;
		m->l3_len = MOS_IP_HLEN;
		m->ol_flags = RTE_MBUF_F_TX_IPV4 |
			      ((ol & MOS_TX_IP_CKSUM) ? RTE_MBUF_F_TX_IP_CKSUM : 0) |
			      ((ol & MOS_TX_TCP_CKSUM) ? RTE_MBUF_F_TX_TCP_CKSUM : 0);
	}
	if (ic->n_tx[iface] == TX_BATCH) {	/* the queue took nothing: no room left */
		rte_pktmbuf_free(m);
		ic->st.tx_dropped++;
		return;
	}
	ic->st.tx_bytes += len;
	ic->tx[iface][ic->n_tx[iface]++] = m;
	if (ic->n_tx[iface] == TX_BATCH)
		tx_flush_port(ic, core->queue, iface);
}

void mos_io_tx_flush(struct mos_core *core)
{
	struct io_core *ic = &io_core[core->queue];

	for (int port = 0; port < io.n_ports; port++)
		if (ic->n_tx[port] != 0)
			tx_flush_port(ic, core->queue, port);
}


