/*
 * mos_arp.h - a core's streams waiting for their next hop's MAC: the wait
 * list, the core's rate-limited ARP requests, and the wake-up once the
 * answer is learned.
 *
 * mos_net.c parses and writes ARP packets and keeps the neighbour table,
 * as pure packet logic (it sends nothing, reads no clock); this module is
 * the part that needs the core: its clock, its transmit path and the list
 * (core->arp_wait, core->arp_last_request). TCP output asks it one
 * question per segment, mos_arp_resolve; the core's loop calls
 * mos_arp_check after each receive burst while the list is not empty.
 *
 * Threading: a core's own thread, for that core's streams.
 */
#ifndef EPWGET_MOS_ARP_H
#define EPWGET_MOS_ARP_H

#include <stdbool.h>

struct mos_core;
struct mos_stream;

#define MOS_ARP_RETRY      100		/* ticks between ARP requests of a core */

/*
 * Whether s knows its next hop's MAC (s->dst_mac, MOS_SF_NEIGH_OK), from
 * the route and the neighbour table. When not, s goes on the core's wait
 * list (once) and the next hop is asked for: the caller's segment is lost
 * as if on the wire, its timers run as usual, and the answer wakes s
 * through mos_arp_check.
 */
bool mos_arp_resolve(struct mos_core *core, struct mos_stream *s);

/* Take s off the wait list, if it is there (a stream being freed). */
void mos_arp_unwait(struct mos_core *core, struct mos_stream *s);

/*
 * Wake the waiting streams whose next hop is now known (call after ARP
 * input): each leaves the wait list and is handed to wake (the loop passes
 * TCP's mos_tcp_neigh_resolved, so that ARP never calls up into TCP); ask
 * again for the others.
 */
void mos_arp_check(struct mos_core *core, void (*wake)(struct mos_core *, struct mos_stream *));

#endif
