/*
 * mos_net.h - layers 2 and 3 of one core: Ethernet, ARP, IPv4, ICMP echo,
 * checksums and routes.
 *
 * Pure packet logic on byte buffers: nothing here sends, allocates or
 * reads a clock. Input validates a received frame, counts every drop by
 * its reason, answers ARP requests and ICMP echo requests by rewriting the
 * frame in place (the caller transmits it back), learns neighbours, and
 * hands TCP segments up as a validated view. Output writes Ethernet + IPv4
 * headers in front of a segment. Nothing is held here while a next hop is
 * resolved: the caller keeps whatever waits for the ARP answer.
 *
 * Byte order: addresses and ports in network order, as on the wire.
 * Threading: a struct mos_net belongs to one core.
 */
#ifndef EPWGET_MOS_NET_H
#define EPWGET_MOS_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf_parse.h"
#include "mos_wire.h"

#define MOS_NET_HDR_MAX     (MOS_ETH_HLEN + MOS_IP_HLEN)
#define MOS_ARP_LEARNED_MAX 1024	/* learned-table slots per core (a power of two); at most
					 * 3/4 of them are filled, so that probes stay short */

/* Receive flags from the NIC (checksums it verified). */
#define MOS_RX_IP_CKSUM_GOOD  0x1
#define MOS_RX_L4_CKSUM_GOOD  0x2

/* Why a received frame was dropped: one counter each. */
enum mos_net_drop {
	MOS_DROP_SHORT_FRAME,		/* shorter than an Ethernet header */
	MOS_DROP_NOT_FOR_US,		/* to another MAC or a multicast group, or from a
					 * group address (no station sends from one) */
	MOS_DROP_ETHERTYPE,		/* not IPv4, ARP, IPv6 (802.1Q too: no VLANs) */
	MOS_DROP_IPV6,			/* IPv6: ignored */
	MOS_DROP_ARP_MALFORMED,		/* short, not IPv4 on Ethernet, bad op or sha */
	MOS_DROP_ARP_NOT_FOR_US,	/* for another address, or gratuitous for an unknown one */
	MOS_DROP_IP_SHORT,		/* truncated header or total length past the frame */
	MOS_DROP_IP_VERSION,
	MOS_DROP_IP_HLEN,		/* IHL below 5, or past the total length */
	MOS_DROP_IP_CKSUM,
	MOS_DROP_IP_FRAGMENT,		/* MF set or offset non-zero: we do not reassemble */
	MOS_DROP_IP_TTL,		/* TTL 0 */
	MOS_DROP_IP_NOT_OURS,		/* destination not one of ours (nor broadcast) */
	MOS_DROP_IP_SRC,		/* source is 0/8, broadcast, multicast, loopback or ours */
	MOS_DROP_IP_PROTO,		/* neither TCP nor ICMP */
	MOS_DROP_ICMP_MALFORMED,	/* short or bad checksum */
	MOS_DROP_ICMP_TYPE,		/* neither an echo request nor a destination
					 * unreachable: counted, ignored */
	MOS_DROP_ICMP_QUOTE,		/* a destination unreachable whose quote is not one of
					 * our TCP segments: truncated (RFC 1122 4.2.3.9 wants
					 * the IPv4 header and 8 bytes of TCP), not IPv4, a
					 * fragment past the first, not TCP, or not from us */
	MOS_DROP_TCP_SHORT,		/* shorter than a TCP header */
	MOS_DROP_TCP_CKSUM,
	MOS_DROP_COUNT
};

struct mos_net_stats {
	uint64_t rx_frames;
	uint64_t drop[MOS_DROP_COUNT];
	uint64_t arp_requests_answered;
	uint64_t arp_replies_learned;	/* replies to us that made or refreshed an entry */
	uint64_t arp_consumed;		/* ARP taken in, no answer: MOS_NET_CONSUMED */
	uint64_t arp_requests_sent;	/* counted by mos_net_arp_request */
	uint64_t arp_learned_full;	/* a neighbour not learned: table full */
	uint64_t icmp_echo_answered;
	uint64_t icmp_errors_delivered;	/* destination unreachables handed to TCP */
	uint64_t tcp_delivered;
};

/* One interface of the core: a netdev of mos.conf with its port's MAC. */
struct mos_iface {
	in_addr_t addr;
	in_addr_t mask;
	uint8_t mac[6];
	uint16_t port;			/* the I/O module's port */
	uint16_t mtu;			/* the port's MTU; 0: not known (MOS_ETH_MTU) */
	/*
	 * Source addresses the stack owns on this link besides addr
	 * (mos_net_own_range), host order, first..last inclusive; both 0
	 * when none. ARP requests for them are answered and IPv4 frames to
	 * them taken, as for addr: one range, so the checks stay O(1).
	 */
	uint32_t own_first, own_last;
};

/* A neighbour: static (mos.conf arp_table) or learned. */
struct mos_neigh {
	in_addr_t addr;
	uint8_t mac[6];
	bool used;
};

struct mos_net {
	const struct mos_conf *conf;	/* routes and static neighbours */
	int n_iface;
	struct mos_iface iface[CONF_MAX_NETDEV];
	struct mos_neigh learned[MOS_ARP_LEARNED_MAX];	/* open addressing by address */
	uint32_t n_learned;
	uint16_t ip_id;			/* next IPv4 identification */
	struct mos_net_stats stats;
};

/*
 * A received TCP segment, validated up to the TCP header's length and
 * checksum (MOS_NET_TCP). For MOS_NET_ICMP_ERR the same view describes the
 * segment of ours that an ICMP destination unreachable quotes, as it was
 * sent: saddr is our address, daddr the peer's, tcp the quoted TCP header
 * (at least its first 8 bytes: ports and sequence number, RFC 792), tcp_len
 * the quoted bytes there are (8 or more; they end where the quote does),
 * and icmp_* say what the message is.
 */
struct mos_tcp_in {
	in_addr_t saddr;
	in_addr_t daddr;
	uint16_t iface;
	const uint8_t *src_mac;		/* the sender's MAC, in the frame */
	uint8_t *tcp;			/* the TCP header */
	uint16_t tcp_len;		/* header + payload, from the IP total length */
	uint8_t ttl;
	/* MOS_NET_ICMP_ERR only */
	uint8_t icmp_type, icmp_code;
	in_addr_t icmp_from;		/* the sender of the ICMP message (a router, or the peer) */
};

/* ICMP destination unreachable (RFC 792, RFC 1122 3.2.2.1, RFC 1812 5.2.7.1) */
#define MOS_ICMP_UNREACH              3
#define MOS_ICMP_UNREACH_NET          0
#define MOS_ICMP_UNREACH_HOST         1
#define MOS_ICMP_UNREACH_PROTO        2
#define MOS_ICMP_UNREACH_PORT         3
#define MOS_ICMP_UNREACH_NEEDFRAG     4	/* path MTU (RFC 1191) */
#define MOS_ICMP_UNREACH_NET_PROHIB   9
#define MOS_ICMP_UNREACH_HOST_PROHIB  10
#define MOS_ICMP_UNREACH_FILTER       13	/* communication administratively prohibited */
#define MOS_ICMP_QUOTE_TCP            8	/* TCP bytes a quote must hold (RFC 792) */

enum mos_net_verdict {
	MOS_NET_DROP,			/* counted in stats.drop */
	MOS_NET_CONSUMED,		/* handled here: an ARP reply or a gratuitous ARP */
	MOS_NET_REPLY,			/* the frame was rewritten in place: send it back, *len set */
	MOS_NET_TCP,			/* a TCP segment for the stack: *seg filled */
	MOS_NET_ICMP_ERR,		/* an ICMP destination unreachable quoting a TCP
					 * segment of ours: *seg describes the quote */
};

/*
 * Set up a core's L2/L3 state from mos.conf, which must outlive net.
 * mac[i] is netdev i's port MAC (a netdev's own MAC in mos.conf wins; mac
 * may be NULL when every netdev has one); port_of_netdev[i] its I/O port
 * (NULL: port i). Any core, for its own net.
 */
void mos_net_init(struct mos_net *net, const struct mos_conf *conf, const uint8_t (*mac)[6],
		  const uint16_t *port_of_netdev);

/*
 * Own count addresses from first (network order) on interface iface
 * besides its own: they must lie in its subnet, not its network or
 * broadcast address (/31 and /32 have none). Replaces the range set
 * before; count 0 clears it. 0, or -EINVAL (nothing changed).
 */
int mos_net_own_range(struct mos_net *net, uint16_t iface, in_addr_t first, uint32_t count);

/*
 * Process one received frame (*len bytes, Ethernet header first, no FCS)
 * from interface iface. rx_flags: MOS_RX_* from the NIC. ARP input may
 * learn a neighbour: after MOS_NET_CONSUMED or MOS_NET_REPLY the caller
 * can wake its streams waiting for that next hop. For MOS_NET_REPLY the
 * frame now holds the answer, *len bytes, never more than were received:
 * padded with zeros to the 60-byte Ethernet minimum when the received
 * frame was at least that long, else left short for the NIC to pad.
 * Every frame counts once in stats.rx_frames and once in exactly one of
 * stats.drop[], arp_requests_answered, icmp_echo_answered, arp_consumed,
 * icmp_errors_delivered or tcp_delivered.
 */
enum mos_net_verdict mos_net_input(struct mos_net *net, uint16_t iface, uint8_t *frame,
				   uint16_t *len, uint32_t rx_flags, struct mos_tcp_in *seg);

/*
 * Route daddr: the interface to send on and the next hop (daddr itself on
 * a netdev's subnet or a route_table line). -ENETUNREACH when none.
 */
int mos_net_route(const struct mos_net *net, in_addr_t daddr, uint16_t *iface,
		  in_addr_t *nexthop);

/* The MAC of nexthop (static entries first, then learned), or -ENOENT. */
int mos_net_neigh(const struct mos_net *net, in_addr_t nexthop, uint8_t mac[6]);

/*
 * Write Ethernet and IPv4 headers (MOS_NET_HDR_MAX bytes) at hdr for a
 * payload of payload_len bytes of protocol proto from saddr to daddr on
 * iface to dst_mac. The IPv4 checksum is computed unless offload is true
 * (then it is left 0 for the NIC). DF is set; TTL 64.
 */
void mos_net_write_hdr(struct mos_net *net, uint8_t *hdr, uint16_t iface, const uint8_t dst_mac[6],
		       in_addr_t saddr, in_addr_t daddr, uint8_t proto, uint16_t payload_len,
		       bool offload);

/*
 * Write a broadcast ARP request for nexthop on iface into frame (at least
 * 60 bytes; padded with zeros). Returns its length, 60. Counted.
 */
uint16_t mos_net_arp_request(struct mos_net *net, uint16_t iface, in_addr_t nexthop,
			     uint8_t *frame);

/*
 * Internet checksum (RFC 1071) helpers. Sums are of 16-bit words read in
 * network order, so the folded result is a host-order value: store it
 * with htons() or as two bytes, high first.
 *
 * mos_cksum_add adds len bytes at data (any length, any alignment) to the
 * partial sum `sum` and returns the new partial sum, not folded to 16
 * bits. An odd length counts its last byte as the high half of a word
 * whose low half is zero, so chain calls on even lengths only (all but
 * the last).
 *
 * mos_cksum_fold folds a partial sum to 16 bits with end-around carries
 * and returns its ones-complement: the checksum to store when the field
 * was zero during the sum. Summed over data whose checksum field holds a
 * correct checksum it returns 0 (the folded sum is then 0xffff, unless
 * every word summed was zero, which no IPv4 header and no pseudo-header
 * can be).
 */
uint32_t mos_cksum_add(uint32_t sum, const void *data, size_t len);
uint16_t mos_cksum_fold(uint32_t sum);
/* The TCP/UDP pseudo-header sum of saddr, daddr, proto and length (unfolded). */
uint32_t mos_cksum_pseudo(in_addr_t saddr, in_addr_t daddr, uint8_t proto, uint16_t len);

#endif
