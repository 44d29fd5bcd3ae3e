/*
 * mos_arp.c - next-hop resolution for a core's streams (see mos_arp.h):
 * the wait list of streams without a neighbour MAC, the ARP requests sent
 * for them (one per MOS_ARP_RETRY ticks per core), and their wake-up when
 * mos_net has learned the answer. Packet formats and the neighbour table
 * stay in mos_net.c; what a woken stream sends again is TCP's.
 *
 * send_segment -> mos_arp_resolve (no MAC: wait); mos_loop_poll ->
 * mos_arp_check -> the loop's wake callback (mos_tcp_neigh_resolved).
 */
#include "mos_arp.h"

#include <sys/queue.h>

#include "mos_core.h"
#include "mos_io.h"
#include "mos_net.h"
#include "mos_tcp.h"

/* Make sure the stream knows its neighbour's MAC; false when it must wait for ARP. */
static bool neigh_ready(struct mos_core *core, struct mos_stream *s)
{
	in_addr_t nexthop;
	uint16_t iface;

	if (s->flags & MOS_SF_NEIGH_OK)
		return true;
	if (mos_net_route(&core->net, s->tuple.key.raddr, &iface, &nexthop) == 0 &&
	    mos_net_neigh(&core->net, nexthop, s->dst_mac) == 0) {
		s->flags |= MOS_SF_NEIGH_OK;
		return true;
	}
	return false;
}

/* RFC 826: ask who has the stream's next hop (at most every MOS_ARP_RETRY ticks per core). */
static void arp_request(struct mos_core *core, struct mos_stream *s)
{
	struct mos_txbuf req;
	in_addr_t nexthop;
	uint16_t iface;

	if (core->arp_last_request != 0 && core->now - core->arp_last_request < MOS_ARP_RETRY)
		return;
	if (mos_net_route(&core->net, s->tuple.key.raddr, &iface, &nexthop) != 0 ||
	    mos_io_tx_alloc(core, &req) != 0)
		return;
	core->arp_last_request = core->now;
	mos_core_tx_send(core, iface, req.pkt, mos_net_arp_request(&core->net, iface, nexthop,
								     req.data), 0);
}

bool mos_arp_resolve(struct mos_core *core, struct mos_stream *s)
{
	if (neigh_ready(core, s))
		return true;
	if (!(s->flags & MOS_SF_ARP_WAIT)) {
		s->flags |= MOS_SF_ARP_WAIT;
		LIST_INSERT_HEAD(&core->arp_wait, s, arp_link);
	}
	arp_request(core, s);
	return false;
}

void mos_arp_unwait(struct mos_core *core, struct mos_stream *s)
{
	(void)core;
	if (!(s->flags & MOS_SF_ARP_WAIT))
		return;
	LIST_REMOVE(s, arp_link);
	s->flags &= ~MOS_SF_ARP_WAIT;
}

void mos_arp_check(struct mos_core *core, void (*wake)(struct mos_core *, struct mos_stream *))
{
	struct mos_stream *s, *next;

	for (s = LIST_FIRST(&core->arp_wait); s != NULL; s = next) {
		next = LIST_NEXT(s, arp_link);
		if (!neigh_ready(core, s)) {
			arp_request(core, s);
			continue;
		}
		mos_arp_unwait(core, s);
		wake(core, s);
	}
}
