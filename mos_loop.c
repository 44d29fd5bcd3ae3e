/*
 * mos_loop.c - the per-core loop (mos_loop.h). One turn:
 *
 *   mos_io_rx_burst -> [mos_fault_rx] -> input_one -> mos_net_input
 *       -> mos_tcp_input (a segment) | mos_tcp_icmp_error (a destination unreachable)
 *        | mos_fault/mos_io tx (an ARP or ICMP reply)
 *   mos_arp_check -> mos_tcp_neigh_resolved (streams whose next hop is known)
 *   mos_tcp_timers -> mos_tcp_flush -> [mos_fault_tx_release] -> mos_io_tx_flush
 *
 * and, in a slave of a multi-process group, once a second a look at its
 * master. The stop flag that SIGINT sets is here too: every core's loop
 * reads it, and the socket layer returns EINTR when it is set.
 */
#include "mos_loop.h"

#include <signal.h>
#include <stdint.h>

#include "mos_arp.h"
#include "mos_core.h"
#include "mos_dpdk.h"
#include "mos_io.h"
#include "mos_log.h"
#include "mos_net.h"
#include "mos_tcp.h"

#define RX_BURST 32
/*
 * Bursts a turn while the queue gives full ones. A core that took one burst
 * a turn while its application answered up to a thousand events left the
 * peer's transmit queue full, and the ACKs waiting behind it came after the
 * peer's retransmission timeout: spurious retransmissions, then resets.
 */
#define RX_BURSTS_PER_TURN 8

static volatile sig_atomic_t stop;	/* SIGINT, or a slave's master gone: every core stops */
static uint64_t master_check_at = UINT64_MAX;	/* tick of a slave's next look; never: ~0 */

bool mos_loop_stopping(void)
{
	return stop != 0;
}

void mos_loop_stop(void)
{
	stop = 1;
}

void mos_loop_reset(void)
{
	stop = 0;
	master_check_at = UINT64_MAX;
}

void mos_loop_watch_master(const struct mos_core *core)
{
	master_check_at = core->now;
}

/* A slave whose master has gone stops: the NIC and the shared memory are the master's. */
static void check_master(const struct mos_core *core)
{
	master_check_at = core->now + MOS_TCP_TICKS_PER_S;
	if (mos_dpdk_mp_master_alive())
		return;
	MOS_LOG(ERR, "the master of this group has exited: this slave stops (start the master, "
		"then the slaves, again)");
	stop = 1;
	master_check_at = UINT64_MAX;
}

static void input_one(struct mos_core *core, struct mos_rxpkt *p)
{
	struct mos_tcp_in seg;
	uint16_t len = p->len;

	switch (mos_net_input(&core->net, p->iface, p->data, &len, p->flags, &seg)) {
	case MOS_NET_TCP:
		mos_tcp_input(core, &seg, core->now);
		mos_io_pkt_free(core, p->pkt);
		break;
	case MOS_NET_ICMP_ERR:
		mos_tcp_icmp_error(core, &seg, core->now);
		mos_io_pkt_free(core, p->pkt);
		break;
	case MOS_NET_REPLY:
		mos_core_tx_send(core, p->iface, p->pkt, len, 0);
		break;
	default:
		mos_io_pkt_free(core, p->pkt);
		break;
	}
}

/*
 * With fault injection on, the burst goes through mos_fault_rx on its way
 * in (one branch per burst when it is off), and frames it held to send go
 * out before the flush.
 */
int mos_loop_poll(struct mos_core *core)
{
	struct mos_rxpkt rx[RX_BURST];
	int n = 0;

	core->now = mos_io_now_us() / MOS_TCP_TICK_US;
	for (int k, b = 0; b < RX_BURSTS_PER_TURN; b++) {
		k = mos_io_rx_burst(core, rx, RX_BURST);
		if (__builtin_expect(core->fault.rx_on, 0)) {
			n += mos_fault_rx(core, rx, k, input_one);	/* held frames too */
		} else {
			for (int i = 0; i < k; i++)
				input_one(core, &rx[i]);
			n += k;
		}
		if (k < RX_BURST)
			break;
	}
	if (!LIST_EMPTY(&core->arp_wait))	/* the ARP answers of this burst, or a retry due */
		mos_arp_check(core, mos_tcp_neigh_resolved);
	mos_tcp_timers(core, core->now);
	mos_tcp_flush(core);
	if (__builtin_expect(core->fault.tx_on, 0))
		mos_fault_tx_release(core);
	mos_io_tx_flush(core);
	if (core->now >= master_check_at)	/* a slave, once a second */
		check_master(core);
	return n;
}
