/*
 * mos_wire.h - the wire formats the stack reads and writes, spelled once:
 * Ethernet II, ARP for IPv4 over Ethernet (RFC 826), IPv4 (RFC 791), ICMP
 * echo (RFC 792) and the TCP header (RFC 9293 3.1), as byte offsets into
 * each header, with their constants and the big-endian byte helpers.
 *
 * Packets are read and written at these offsets, never through a struct
 * laid over the buffer, so nothing depends on where the NIC put the frame
 * (mbuf data need not be aligned). Multi-byte fields are in network
 * order: mos_get16/32 read them to host order, mos_put16/32 write them.
 * Addresses and ports the stack keeps in network order are copied as they
 * are (memcpy), not through these helpers.
 *
 * Header only, no dependency beyond <stdint.h>: usable by every module,
 * the I/O module included.
 */
#ifndef EPWGET_MOS_WIRE_H
#define EPWGET_MOS_WIRE_H

#include <stdint.h>

/* ---- Ethernet II: offsets into the frame ---- */
#define MOS_ETH_OFF_DST      0
#define MOS_ETH_OFF_SRC      6
#define MOS_ETH_OFF_TYPE     12
#define MOS_ETH_HLEN         14
#define MOS_ETH_MTU          1500	/* Ethernet's payload, the largest frame an mbuf holds here */
#define MOS_ETH_ZLEN         60	/* the minimum frame without its FCS */
#define MOS_ETHERTYPE_IPV4   0x0800
#define MOS_ETHERTYPE_ARP    0x0806
#define MOS_ETHERTYPE_IPV6   0x86dd

/* ---- ARP for IPv4 over Ethernet (RFC 826): offsets into the ARP packet ---- */
#define MOS_ARP_OFF_HTYPE    0
#define MOS_ARP_OFF_PTYPE    2
#define MOS_ARP_OFF_HLEN     4
#define MOS_ARP_OFF_PLEN     5
#define MOS_ARP_OFF_OP       6
#define MOS_ARP_OFF_SHA      8
#define MOS_ARP_OFF_SPA      14
#define MOS_ARP_OFF_THA      18
#define MOS_ARP_OFF_TPA      24
#define MOS_ARP_LEN          28
#define MOS_ARP_HTYPE_ETHER  1
#define MOS_ARP_OP_REQUEST   1
#define MOS_ARP_OP_REPLY     2

/* ---- IPv4 (RFC 791): offsets into the header ---- */
#define MOS_IP_OFF_VHL       0
#define MOS_IP_OFF_TOS       1
#define MOS_IP_OFF_TOTLEN    2
#define MOS_IP_OFF_ID        4
#define MOS_IP_OFF_FRAG      6
#define MOS_IP_OFF_TTL       8
#define MOS_IP_OFF_PROTO     9
#define MOS_IP_OFF_CKSUM     10
#define MOS_IP_OFF_SRC       12
#define MOS_IP_OFF_DST       16
#define MOS_IP_HLEN          20	/* without options: all we send */
#define MOS_IP_VHL_PLAIN     0x45	/* version 4, 20-byte header */
#define MOS_IP_DF            0x4000
#define MOS_IP_MF            0x2000
#define MOS_IP_OFFMASK       0x1fff

/* ---- ICMP (RFC 792): offsets into the message ---- */
#define MOS_ICMP_OFF_TYPE    0
#define MOS_ICMP_OFF_CODE    1
#define MOS_ICMP_OFF_CKSUM   2
#define MOS_ICMP_HLEN        8	/* type, code, checksum, identifier, sequence */
#define MOS_ICMP_ECHOREPLY   0
#define MOS_ICMP_ECHO        8

/* ---- TCP (RFC 9293 3.1): offsets into the header ---- */
#define MOS_TCP_OFF_SPORT    0
#define MOS_TCP_OFF_DPORT    2
#define MOS_TCP_OFF_SEQ      4
#define MOS_TCP_OFF_ACK      8
#define MOS_TCP_OFF_DOFF     12	/* data offset, in 32-bit words, in the high nibble */
#define MOS_TCP_OFF_FLAGS    13
#define MOS_TCP_OFF_WIN      14
#define MOS_TCP_OFF_CKSUM    16
#define MOS_TCP_OFF_URP      18
#define MOS_TCP_HLEN         20	/* without options */
#define MOS_TCP_FLAGS_MASK   0x3f	/* FIN SYN RST PSH ACK URG (MOS_TH_*) */

/* ---- bytes, high first ---- */

static inline uint16_t mos_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t mos_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void mos_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void mos_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The IPv4 header's length in bytes, from its IHL. */
static inline uint16_t mos_ip_hlen(const uint8_t *ip)
{
	return (uint16_t)((ip[MOS_IP_OFF_VHL] & 0xf) * 4);
}

/* The TCP header's length in bytes, options included, from its data offset. */
static inline uint16_t mos_tcp_doff(const uint8_t *th)
{
	return (uint16_t)((th[MOS_TCP_OFF_DOFF] >> 4) * 4);
}

#endif
