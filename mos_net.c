/*
 * mos_net.c - layers 2 and 3 of one core (see mos_net.h): Ethernet input,
 * ARP (RFC 826) with its learned table, IPv4 input checks (RFC 791,
 * RFC 1122 3.2.1), ICMP echo and destination unreachable (RFC 792), the
 * Internet checksum (RFC 1071), header output and routes.
 *
 * On the receive path: mos_loop_poll -> input_one -> mos_net_input ->
 * eth_for_us -> arp_input | ip_input -> icmp_input | tcp_input (hands the
 * segment back as a mos_tcp_in for mos_tcp_input; icmp_error_input hands
 * a destination unreachable's quote the same way, for mos_tcp_icmp_error).
 * On the send path: send_segment -> mos_net_write_hdr.
 *
 * Packets are read and written at the byte offsets of mos_wire.h, never
 * through a struct laid over the buffer; addresses are copied as they are,
 * network order in and out.
 */
#include "mos_net.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <string.h>

#define IP_TTL_OUT      64	/* the TTL of what we send */

/* Learned neighbours: filled to 3/4 at most, so a probe meets a free slot soon. */
#define LEARNED_LIMIT   (MOS_ARP_LEARNED_MAX / 4 * 3)
#define LEARNED_MASK    (MOS_ARP_LEARNED_MAX - 1)

_Static_assert((MOS_ARP_LEARNED_MAX & (MOS_ARP_LEARNED_MAX - 1)) == 0,
	       "MOS_ARP_LEARNED_MAX must be a power of two");

static const uint8_t mac_broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* ---- bytes ---- */

static in_addr_t get_addr(const uint8_t *p)
{
	in_addr_t a;

	memcpy(&a, p, sizeof(a));
	return a;
}

static void put_addr(uint8_t *p, in_addr_t a)
{
	memcpy(p, &a, sizeof(a));
}

/* The I/G bit: set on multicast and broadcast addresses. */
static bool mac_is_group(const uint8_t *m)
{
	return (m[0] & 1) != 0;
}

static bool mac_is_zero(const uint8_t *m)
{
	return (m[0] | m[1] | m[2] | m[3] | m[4] | m[5]) == 0;
}

static enum mos_net_verdict drop(struct mos_net *net, enum mos_net_drop why)
{
	net->stats.drop[why]++;
	return MOS_NET_DROP;
}

/* ---- checksums (RFC 1071) ---- */

/* Fold a sum of 16-bit words to 16 bits, carries added back in. */
static uint16_t fold16(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* a + b in ones-complement arithmetic on 32 bits: the carry goes back in. */
static uint32_t add32(uint32_t a, uint32_t b)
{
	uint64_t s = (uint64_t)a + b;

	return (uint32_t)s + (uint32_t)(s >> 32);
}

/*
 * RFC 1071 2(B): the ones-complement sum does not depend on byte order, so
 * words are summed as the CPU loads them, eight bytes at a time, and the
 * folded sum is turned to network order once at the end. memcpy loads
 * make any start address fine.
 */
uint32_t mos_cksum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = 0;
	uint64_t w64;
	uint32_t w32;
	uint16_t w16;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w64, p, 8);
		acc += (uint32_t)w64;
		acc += w64 >> 32;
	}
	if (len >= 4) {
		memcpy(&w32, p, 4);
		acc += w32;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&w16, p, 2);
		acc += w16;
		p += 2;
		len -= 2;
	}
	if (len == 1) {
		const uint8_t last[2] = { p[0], 0 };	/* RFC 1071: pad the odd byte */

		memcpy(&w16, last, 2);
		acc += w16;
	}
	return add32(sum, ntohs(fold16(acc)));
}

uint16_t mos_cksum_fold(uint32_t sum)
{
	return (uint16_t)~fold16(sum);
}

uint32_t mos_cksum_pseudo(in_addr_t saddr, in_addr_t daddr, uint8_t proto, uint16_t len)
{
	uint32_t s = ntohl(saddr), d = ntohl(daddr);

	return (s >> 16) + (s & 0xffff) + (d >> 16) + (d & 0xffff) + proto + len;
}

/* The checksum of len bytes at p, 0 when they verify. */
static uint16_t cksum(const uint8_t *p, size_t len)
{
	return mos_cksum_fold(mos_cksum_add(0, p, len));
}

/* ---- addresses ---- */

/* The interface that owns addr, or -1. */
static int iface_of_addr(const struct mos_net *net, in_addr_t addr)
{
	uint32_t h = ntohl(addr);

	for (int i = 0; i < net->n_iface; i++) {
		const struct mos_iface *f = &net->iface[i];

		if (f->addr == addr || (f->own_last != 0 &&
					h - f->own_first <= f->own_last - f->own_first))
			return i;
	}
	return -1;
}

/* A directed broadcast of one of our subnets (/31 and /32 have none, RFC 3021). */
static bool is_subnet_broadcast(const struct mos_net *net, in_addr_t addr)
{
	for (int i = 0; i < net->n_iface; i++) {
		const struct mos_iface *f = &net->iface[i];

		if (ntohl(f->mask) < 0xfffffffeu && addr == (f->addr | ~f->mask))
			return true;
	}
	return false;
}

/*
 * RFC 1122 3.2.1.3: a source must name one host. Not 0/8 ("this network",
 * only used while booting), not a broadcast (limited or directed), not
 * class D multicast, not loopback (127/8 never appears on a wire), and not
 * one of ours (a spoof or a loop).
 */
static bool src_is_bad(const struct mos_net *net, in_addr_t addr)
{
	uint32_t h = ntohl(addr);

	return (h >> 24) == 0 || h == 0xffffffffu || (h >> 28) == 0xe || (h >> 24) == 127 ||
	       is_subnet_broadcast(net, addr) || iface_of_addr(net, addr) >= 0;
}

static uint32_t prefix_mask(uint8_t prefix)
{
	return prefix == 0 ? 0 : htonl(0xffffffffu << (32 - prefix));
}

/* ---- set-up and routes ---- */

void mos_net_init(struct mos_net *net, const struct mos_conf *conf, const uint8_t (*mac)[6],
		  const uint16_t *port_of_netdev)
{
	memset(net, 0, sizeof(*net));
	net->conf = conf;
	net->n_iface = conf->n_netdev;
	for (int i = 0; i < conf->n_netdev; i++) {
		const struct conf_netdev *nd = &conf->netdev[i];
		struct mos_iface *f = &net->iface[i];

		f->addr = nd->addr;
		f->mask = prefix_mask(nd->prefix);
		if (nd->mac_set)
			memcpy(f->mac, nd->mac, 6);
		else if (mac != NULL)
			memcpy(f->mac, mac[i], 6);
		f->port = port_of_netdev != NULL ? port_of_netdev[i] : (uint16_t)i;
	}
}

int mos_net_own_range(struct mos_net *net, uint16_t iface, in_addr_t first, uint32_t count)
{
	struct mos_iface *f;
	uint32_t lo = ntohl(first), hi, net_lo, net_hi, mask;

	if (iface >= net->n_iface)
		return -EINVAL;
	f = &net->iface[iface];
	if (count == 0) {
		f->own_first = f->own_last = 0;
		return 0;
	}
	hi = lo + (count - 1);
	mask = ntohl(f->mask);
	net_lo = ntohl(f->addr) & mask;
	net_hi = net_lo | ~mask;
	if (hi < lo || lo < net_lo || hi > net_hi)
		return -EINVAL;
	if (mask < 0xfffffffeu && (lo == net_lo || hi == net_hi))
		return -EINVAL;
	f->own_first = lo;
	f->own_last = hi;
	return 0;
}

/*
 * mOS has no gateways: a destination is on the link of the netdev that
 * routes it, and the next hop is the destination itself. An arp_table line
 * with a prefix gives a router's MAC to a whole routed range.
 */
int mos_net_route(const struct mos_net *net, in_addr_t daddr, uint16_t *iface,
		  in_addr_t *nexthop)
{
	int i = conf_route_lookup(net->conf, daddr);

	if (i < 0 || i >= net->n_iface)
		return -ENETUNREACH;
	*iface = (uint16_t)i;
	*nexthop = daddr;
	return 0;
}

/* ---- learned neighbours: open addressing, linear probing, no removal ---- */

static uint32_t addr_hash(in_addr_t addr)
{
	uint32_t h = addr;

	/* murmur3's finaliser: every address bit moves the slot */
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/* The slot holding addr, else the free slot where it would go; -1 if neither. */
static int learned_slot(const struct mos_net *net, in_addr_t addr)
{
	uint32_t h = addr_hash(addr);

	for (uint32_t n = 0; n < MOS_ARP_LEARNED_MAX; n++) {
		uint32_t i = (h + n) & LEARNED_MASK;

		if (!net->learned[i].used || net->learned[i].addr == addr)
			return (int)i;
	}
	return -1;
}

int mos_net_neigh(const struct mos_net *net, in_addr_t nexthop, uint8_t mac[6])
{
	const struct conf_arp *a = conf_arp_lookup(net->conf, nexthop);
	int i;

	if (a != NULL) {
		memcpy(mac, a->mac, 6);
		return 0;
	}
	i = learned_slot(net, nexthop);
	if (i < 0 || !net->learned[i].used)
		return -ENOENT;
	memcpy(mac, net->learned[i].mac, 6);
	return 0;
}

enum learn_result {
	LEARN_NONE,		/* not a neighbour we keep (or a static one) */
	LEARN_NEW,
	LEARN_UPDATED,
	LEARN_UNKNOWN,		/* merge only, and not in the table */
	LEARN_FULL,
};

/*
 * A sender we may keep: a host address (as a source, RFC 1122 3.2.1.3),
 * on the link it spoke from (we would route to it through this interface),
 * and not one mos.conf names: a static entry always wins.
 */
static bool learnable(const struct mos_net *net, uint16_t iface, in_addr_t addr)
{
	return !src_is_bad(net, addr) && conf_route_lookup(net->conf, addr) == iface &&
	       conf_arp_lookup(net->conf, addr) == NULL;
}

/* RFC 826's merge step; create: also add a sender we did not know. */
static enum learn_result learn(struct mos_net *net, uint16_t iface, in_addr_t addr,
			       const uint8_t *mac, bool create)
{
	struct mos_neigh *n;
	int i;

	if (!learnable(net, iface, addr))
		return LEARN_NONE;
	i = learned_slot(net, addr);
	if (i >= 0 && net->learned[i].used) {
		memcpy(net->learned[i].mac, mac, 6);
		return LEARN_UPDATED;
	}
	if (!create)
		return LEARN_UNKNOWN;
	if (i < 0 || net->n_learned >= LEARNED_LIMIT) {
		net->stats.arp_learned_full++;
		return LEARN_FULL;
	}
	n = &net->learned[i];
	n->addr = addr;
	memcpy(n->mac, mac, 6);
	n->used = true;
	net->n_learned++;
	return LEARN_NEW;
}

/* ---- input ---- */

/*
 * Answers are written over the request. A frame that came padded to the
 * Ethernet minimum has room for the padding: zero it, so that no byte of
 * the request goes back out. A shorter one (from a NIC that strips the
 * padding) leaves the answer short: NICs pad on transmit.
 */
static uint16_t reply_len(uint8_t *frame, uint16_t used, uint16_t rx_len)
{
	if (used >= MOS_ETH_ZLEN || rx_len < MOS_ETH_ZLEN)
		return used;
	memset(frame + used, 0, MOS_ETH_ZLEN - used);
	return MOS_ETH_ZLEN;
}

/* RFC 826 packet reception: "?Do I have the hardware type in ar$hrd?" and so on. */
static bool arp_valid(const uint8_t *arp, uint16_t len)
{
	uint16_t op;

	if (len < MOS_ARP_LEN)
		return false;
	op = mos_get16(arp + MOS_ARP_OFF_OP);
	return mos_get16(arp + MOS_ARP_OFF_HTYPE) == MOS_ARP_HTYPE_ETHER &&
	       mos_get16(arp + MOS_ARP_OFF_PTYPE) == MOS_ETHERTYPE_IPV4 &&
	       arp[MOS_ARP_OFF_HLEN] == 6 && arp[MOS_ARP_OFF_PLEN] == 4 &&
	       (op == MOS_ARP_OP_REQUEST || op == MOS_ARP_OP_REPLY) &&
	       /* we answer to ar$sha: it must name one station */
	       !mac_is_group(arp + MOS_ARP_OFF_SHA) && !mac_is_zero(arp + MOS_ARP_OFF_SHA);
}

/*
 * RFC 826: "swap hardware and protocol fields, putting the local hardware
 * and protocol addresses in the sender fields, set the ar$op field to
 * ares_op$REPLY, send the packet to the (new) target hardware address".
 */
static uint16_t arp_reply(struct mos_net *net, uint16_t iface, uint8_t *frame, uint16_t rx_len)
{
	uint8_t *arp = frame + MOS_ETH_HLEN;
	const uint8_t *mac = net->iface[iface].mac;
	in_addr_t spa = get_addr(arp + MOS_ARP_OFF_SPA);

	memcpy(arp + MOS_ARP_OFF_THA, arp + MOS_ARP_OFF_SHA, 6);
	memcpy(arp + MOS_ARP_OFF_SPA, arp + MOS_ARP_OFF_TPA, 4);
	put_addr(arp + MOS_ARP_OFF_TPA, spa);
	memcpy(arp + MOS_ARP_OFF_SHA, mac, 6);
	mos_put16(arp + MOS_ARP_OFF_OP, MOS_ARP_OP_REPLY);
	memcpy(frame + MOS_ETH_OFF_DST, arp + MOS_ARP_OFF_THA, 6);
	memcpy(frame + MOS_ETH_OFF_SRC, mac, 6);
	net->stats.arp_requests_answered++;
	return reply_len(frame, MOS_ETH_HLEN + MOS_ARP_LEN, rx_len);
}

static enum mos_net_verdict arp_consumed(struct mos_net *net)
{
	net->stats.arp_consumed++;
	return MOS_NET_CONSUMED;
}

static enum mos_net_verdict arp_input(struct mos_net *net, uint16_t iface, uint8_t *frame,
				      uint16_t *len)
{
	const uint8_t *arp = frame + MOS_ETH_HLEN;
	enum learn_result r;
	in_addr_t spa, tpa;

	if (!arp_valid(arp, *len - MOS_ETH_HLEN))
		return drop(net, MOS_DROP_ARP_MALFORMED);
	spa = get_addr(arp + MOS_ARP_OFF_SPA);
	tpa = get_addr(arp + MOS_ARP_OFF_TPA);

	/* Gratuitous (sender and target the same): refresh, never add. */
	if (spa == tpa) {
		if (learn(net, iface, spa, arp + MOS_ARP_OFF_SHA, false) != LEARN_UPDATED)
			return drop(net, MOS_DROP_ARP_NOT_FOR_US);
		return arp_consumed(net);
	}
	/* "?Am I the target protocol address?" */
	if (iface_of_addr(net, tpa) < 0)
		return drop(net, MOS_DROP_ARP_NOT_FOR_US);
	/* merge, then add the sender: it is about to talk to us */
	r = learn(net, iface, spa, arp + MOS_ARP_OFF_SHA, true);
	if (mos_get16(arp + MOS_ARP_OFF_OP) == MOS_ARP_OP_REQUEST) {
		*len = arp_reply(net, iface, frame, *len);
		return MOS_NET_REPLY;
	}
	if (r == LEARN_NEW || r == LEARN_UPDATED)
		net->stats.arp_replies_learned++;
	return arp_consumed(net);
}

/* RFC 791 and RFC 1122 3.2.1: MOS_DROP_COUNT for a header we take, else why not. */
static enum mos_net_drop ip_check(const struct mos_net *net, const uint8_t *ip, uint16_t room,
				  uint32_t rx_flags)
{
	uint16_t hlen, tot;

	if (room < MOS_IP_HLEN)
		return MOS_DROP_IP_SHORT;
	if (ip[MOS_IP_OFF_VHL] >> 4 != 4)
		return MOS_DROP_IP_VERSION;
	hlen = mos_ip_hlen(ip);
	if (hlen < MOS_IP_HLEN)
		return MOS_DROP_IP_HLEN;
	if (hlen > room)
		return MOS_DROP_IP_SHORT;
	/* bytes past tot are Ethernet padding (a frame is at least 60 bytes) */
	tot = mos_get16(ip + MOS_IP_OFF_TOTLEN);
	if (tot < hlen)
		return MOS_DROP_IP_HLEN;
	if (tot > room)
		return MOS_DROP_IP_SHORT;
	if (!(rx_flags & MOS_RX_IP_CKSUM_GOOD) && cksum(ip, hlen) != 0)
		return MOS_DROP_IP_CKSUM;
	/*
	 * RFC 1122 3.3.2 asks hosts to reassemble; this stack does not: its
	 * peers' segments fit the MSS it announces, and we send with DF.
	 */
	if (mos_get16(ip + MOS_IP_OFF_FRAG) & (MOS_IP_MF | MOS_IP_OFFMASK))
		return MOS_DROP_IP_FRAGMENT;
	if (ip[MOS_IP_OFF_TTL] == 0)
		return MOS_DROP_IP_TTL;
	/* RFC 1122 3.2.1.3: a broadcast or multicast destination is not ours to answer */
	if (iface_of_addr(net, get_addr(ip + MOS_IP_OFF_DST)) < 0)
		return MOS_DROP_IP_NOT_OURS;
	if (src_is_bad(net, get_addr(ip + MOS_IP_OFF_SRC)))
		return MOS_DROP_IP_SRC;
	return MOS_DROP_COUNT;
}

/*
 * RFC 792 echo: the reply carries the request's identifier, sequence and
 * data back with the addresses swapped. Options are not echoed (RFC 1122
 * 3.2.2.6 asks that Record Route and Timestamp be, a SHOULD): the message
 * moves up behind a plain 20-byte header. The IPv4 identification stays.
 */
static uint16_t echo_reply(struct mos_net *net, uint16_t iface, uint8_t *frame, uint16_t hlen,
			   uint16_t icmp_len, uint16_t rx_len)
{
	uint8_t *ip = frame + MOS_ETH_HLEN;
	uint8_t *icmp = ip + MOS_IP_HLEN;
	in_addr_t saddr = get_addr(ip + MOS_IP_OFF_SRC);

	if (hlen > MOS_IP_HLEN)
		memmove(icmp, ip + hlen, icmp_len);
	icmp[MOS_ICMP_OFF_TYPE] = MOS_ICMP_ECHOREPLY;
	mos_put16(icmp + MOS_ICMP_OFF_CKSUM, 0);
	mos_put16(icmp + MOS_ICMP_OFF_CKSUM, cksum(icmp, icmp_len));

	ip[MOS_IP_OFF_VHL] = MOS_IP_VHL_PLAIN;
	mos_put16(ip + MOS_IP_OFF_TOTLEN, (uint16_t)(MOS_IP_HLEN + icmp_len));
	mos_put16(ip + MOS_IP_OFF_FRAG, mos_get16(ip + MOS_IP_OFF_FRAG) & MOS_IP_DF);
	ip[MOS_IP_OFF_TTL] = IP_TTL_OUT;
	memcpy(ip + MOS_IP_OFF_SRC, ip + MOS_IP_OFF_DST, 4);
	put_addr(ip + MOS_IP_OFF_DST, saddr);
	mos_put16(ip + MOS_IP_OFF_CKSUM, 0);
	mos_put16(ip + MOS_IP_OFF_CKSUM, cksum(ip, MOS_IP_HLEN));

	/* to the frame's sender, from us (the request may have come broadcast) */
	memcpy(frame + MOS_ETH_OFF_DST, frame + MOS_ETH_OFF_SRC, 6);
	memcpy(frame + MOS_ETH_OFF_SRC, net->iface[iface].mac, 6);
	net->stats.icmp_echo_answered++;
	return reply_len(frame, (uint16_t)(MOS_ETH_HLEN + MOS_IP_HLEN + icmp_len), rx_len);
}

/*
 * A destination unreachable (RFC 792): after the 8-byte ICMP header, the
 * IPv4 header of the datagram that failed and at least its first 8 bytes
 * (RFC 1122 4.2.3.9: TCP reads its ports and sequence number there; RFC
 * 1812 4.3.2.3 routers quote more). The quote must be one of our TCP
 * segments: IPv4, the first fragment, TCP, from one of our addresses. Its
 * checksum is not checked (a router may quote what it changed); TCP checks
 * the 4-tuple and the sequence number (RFC 5927).
 */
static enum mos_net_verdict icmp_error_input(struct mos_net *net, uint16_t iface,
					     const uint8_t *frame, const uint8_t *icmp,
					     uint16_t icmp_len, struct mos_tcp_in *seg)
{
	uint8_t *q = (uint8_t *)icmp + MOS_ICMP_HLEN;	/* the quoted IPv4 header */
	uint16_t room = icmp_len - MOS_ICMP_HLEN, qhlen;

	if (room < MOS_IP_HLEN + MOS_ICMP_QUOTE_TCP || q[MOS_IP_OFF_VHL] >> 4 != 4)
		return drop(net, MOS_DROP_ICMP_QUOTE);
	qhlen = mos_ip_hlen(q);
	if (qhlen < MOS_IP_HLEN || qhlen + MOS_ICMP_QUOTE_TCP > room ||
	    q[MOS_IP_OFF_PROTO] != IPPROTO_TCP ||
	    (mos_get16(q + MOS_IP_OFF_FRAG) & MOS_IP_OFFMASK) != 0 ||
	    iface_of_addr(net, get_addr(q + MOS_IP_OFF_SRC)) < 0)
		return drop(net, MOS_DROP_ICMP_QUOTE);
	seg->saddr = get_addr(q + MOS_IP_OFF_SRC);
	seg->daddr = get_addr(q + MOS_IP_OFF_DST);
	seg->iface = iface;
	seg->src_mac = frame + MOS_ETH_OFF_SRC;
	seg->tcp = q + qhlen;
	seg->tcp_len = (uint16_t)(room - qhlen);
	seg->ttl = q[MOS_IP_OFF_TTL];
	seg->icmp_type = icmp[MOS_ICMP_OFF_TYPE];
	seg->icmp_code = icmp[MOS_ICMP_OFF_CODE];
	seg->icmp_from = get_addr(frame + MOS_ETH_HLEN + MOS_IP_OFF_SRC);
	net->stats.icmp_errors_delivered++;
	return MOS_NET_ICMP_ERR;
}

static enum mos_net_verdict icmp_input(struct mos_net *net, uint16_t iface, uint8_t *frame,
				       uint16_t *len, uint16_t hlen, uint16_t tot,
				       struct mos_tcp_in *seg)
{
	const uint8_t *icmp = frame + MOS_ETH_HLEN + hlen;
	uint16_t icmp_len = tot - hlen;
	uint8_t type;

	if (icmp_len < MOS_ICMP_HLEN)
		return drop(net, MOS_DROP_ICMP_MALFORMED);
	type = icmp[MOS_ICMP_OFF_TYPE];
	if ((type != MOS_ICMP_ECHO || icmp[MOS_ICMP_OFF_CODE] != 0) && type != MOS_ICMP_UNREACH)
		return drop(net, MOS_DROP_ICMP_TYPE);
	if (cksum(icmp, icmp_len) != 0)
		return drop(net, MOS_DROP_ICMP_MALFORMED);
	if (type == MOS_ICMP_UNREACH)
		return icmp_error_input(net, iface, frame, icmp, icmp_len, seg);
	*len = echo_reply(net, iface, frame, hlen, icmp_len, *len);
	return MOS_NET_REPLY;
}

/* RFC 9293 3.1: the checksum covers the pseudo-header, the header and the data. */
static enum mos_net_verdict tcp_input(struct mos_net *net, uint16_t iface, uint8_t *frame,
				      uint16_t hlen, uint16_t tot, uint32_t rx_flags,
				      struct mos_tcp_in *seg)
{
	const uint8_t *ip = frame + MOS_ETH_HLEN;
	uint8_t *tcp = frame + MOS_ETH_HLEN + hlen;
	uint16_t tcp_len = tot - hlen;
	in_addr_t saddr = get_addr(ip + MOS_IP_OFF_SRC), daddr = get_addr(ip + MOS_IP_OFF_DST);

	if (tcp_len < MOS_TCP_HLEN)
		return drop(net, MOS_DROP_TCP_SHORT);
	if (!(rx_flags & MOS_RX_L4_CKSUM_GOOD) &&
	    mos_cksum_fold(mos_cksum_add(mos_cksum_pseudo(saddr, daddr, IPPROTO_TCP, tcp_len),
					 tcp, tcp_len)) != 0)
		return drop(net, MOS_DROP_TCP_CKSUM);
	seg->saddr = saddr;
	seg->daddr = daddr;
	seg->iface = iface;
	seg->src_mac = frame + MOS_ETH_OFF_SRC;
	seg->tcp = tcp;
	seg->tcp_len = tcp_len;
	seg->ttl = ip[MOS_IP_OFF_TTL];
	net->stats.tcp_delivered++;
	return MOS_NET_TCP;
}

static enum mos_net_verdict ip_input(struct mos_net *net, uint16_t iface, uint8_t *frame,
				     uint16_t *len, uint32_t rx_flags, struct mos_tcp_in *seg)
{
	const uint8_t *ip = frame + MOS_ETH_HLEN;
	enum mos_net_drop why;
	uint16_t hlen, tot;

	why = ip_check(net, ip, *len - MOS_ETH_HLEN, rx_flags);
	if (why != MOS_DROP_COUNT)
		return drop(net, why);
	hlen = mos_ip_hlen(ip);	/* options, if any, are skipped */
	tot = mos_get16(ip + MOS_IP_OFF_TOTLEN);
	switch (ip[MOS_IP_OFF_PROTO]) {
	case IPPROTO_TCP:
		return tcp_input(net, iface, frame, hlen, tot, rx_flags, seg);
	case IPPROTO_ICMP:
		return icmp_input(net, iface, frame, len, hlen, tot, seg);
	default:
		return drop(net, MOS_DROP_IP_PROTO);
	}
}

/* To this interface's MAC or broadcast, from a station (not a group) address. */
static bool eth_for_us(const struct mos_iface *f, const uint8_t *frame)
{
	if (mac_is_group(frame + MOS_ETH_OFF_SRC))
		return false;
	return memcmp(frame + MOS_ETH_OFF_DST, f->mac, 6) == 0 ||
	       memcmp(frame + MOS_ETH_OFF_DST, mac_broadcast, 6) == 0;
}

enum mos_net_verdict mos_net_input(struct mos_net *net, uint16_t iface, uint8_t *frame,
				   uint16_t *len, uint32_t rx_flags, struct mos_tcp_in *seg)
{
	assert(iface < net->n_iface);
	net->stats.rx_frames++;
	if (*len < MOS_ETH_HLEN)
		return drop(net, MOS_DROP_SHORT_FRAME);
	if (!eth_for_us(&net->iface[iface], frame))
		return drop(net, MOS_DROP_NOT_FOR_US);
	switch (mos_get16(frame + MOS_ETH_OFF_TYPE)) {
	case MOS_ETHERTYPE_IPV4:
		return ip_input(net, iface, frame, len, rx_flags, seg);
	case MOS_ETHERTYPE_ARP:
		return arp_input(net, iface, frame, len);
	case MOS_ETHERTYPE_IPV6:
		return drop(net, MOS_DROP_IPV6);
	default:
		/* 802.1Q and 802.1ad tags land here too: we configure no VLAN */
		return drop(net, MOS_DROP_ETHERTYPE);
	}
}

/* ---- output ---- */

void mos_net_write_hdr(struct mos_net *net, uint8_t *hdr, uint16_t iface, const uint8_t dst_mac[6],
		       in_addr_t saddr, in_addr_t daddr, uint8_t proto, uint16_t payload_len,
		       bool offload)
{
	uint8_t *ip = hdr + MOS_ETH_HLEN;

	assert(iface < net->n_iface);
	assert(payload_len <= UINT16_MAX - MOS_IP_HLEN);
	memcpy(hdr + MOS_ETH_OFF_DST, dst_mac, 6);
	memcpy(hdr + MOS_ETH_OFF_SRC, net->iface[iface].mac, 6);
	mos_put16(hdr + MOS_ETH_OFF_TYPE, MOS_ETHERTYPE_IPV4);

	ip[MOS_IP_OFF_VHL] = MOS_IP_VHL_PLAIN;
	ip[MOS_IP_OFF_TOS] = 0;
	mos_put16(ip + MOS_IP_OFF_TOTLEN, (uint16_t)(MOS_IP_HLEN + payload_len));
	mos_put16(ip + MOS_IP_OFF_ID, net->ip_id++);
	mos_put16(ip + MOS_IP_OFF_FRAG, MOS_IP_DF);	/* RFC 1191: we never fragment, let routers say so */
	ip[MOS_IP_OFF_TTL] = IP_TTL_OUT;
	ip[MOS_IP_OFF_PROTO] = proto;
	mos_put16(ip + MOS_IP_OFF_CKSUM, 0);
	put_addr(ip + MOS_IP_OFF_SRC, saddr);
	put_addr(ip + MOS_IP_OFF_DST, daddr);
	if (!offload)
		mos_put16(ip + MOS_IP_OFF_CKSUM, cksum(ip, MOS_IP_HLEN));
}

uint16_t mos_net_arp_request(struct mos_net *net, uint16_t iface, in_addr_t nexthop,
			     uint8_t *frame)
{
	const struct mos_iface *f;
	uint8_t *arp = frame + MOS_ETH_HLEN;

	assert(iface < net->n_iface);
	f = &net->iface[iface];
	memset(frame, 0, MOS_ETH_ZLEN);
	memcpy(frame + MOS_ETH_OFF_DST, mac_broadcast, 6);
	memcpy(frame + MOS_ETH_OFF_SRC, f->mac, 6);
	mos_put16(frame + MOS_ETH_OFF_TYPE, MOS_ETHERTYPE_ARP);
	mos_put16(arp + MOS_ARP_OFF_HTYPE, MOS_ARP_HTYPE_ETHER);
	mos_put16(arp + MOS_ARP_OFF_PTYPE, MOS_ETHERTYPE_IPV4);
	arp[MOS_ARP_OFF_HLEN] = 6;
	arp[MOS_ARP_OFF_PLEN] = 4;
	mos_put16(arp + MOS_ARP_OFF_OP, MOS_ARP_OP_REQUEST);
	memcpy(arp + MOS_ARP_OFF_SHA, f->mac, 6);
	put_addr(arp + MOS_ARP_OFF_SPA, f->addr);
	/* ar$tha stays zero: it is what we ask for */
	put_addr(arp + MOS_ARP_OFF_TPA, nexthop);
	net->stats.arp_requests_sent++;
	return MOS_ETH_ZLEN;
}
