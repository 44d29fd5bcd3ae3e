/*
 * test_net.c - unit tests of mos_net: Ethernet, ARP with learning, IPv4
 * checks, ICMP echo, TCP hand-off, checksums, header output, and a seeded
 * mutation run of ~100k damaged frames.
 *
 * Frames are built by small helpers whose checksums come from ref_cksum
 * below, written apart from mos_cksum_*. Every frame is handed to
 * mos_net_input in a heap buffer of exactly its length, so that ASan sees
 * any read past its end.
 */
#include "mos_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>

#include "test/check.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const uint8_t our_mac[6] = { 0x02, 0, 0, 0, 0, 0x01 };	/* dpdk0, from its port */
static const uint8_t our_mac1[6] = { 0x02, 0, 0, 0, 0x01, 0x01 };	/* dpdk1, from mos.conf */
static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x99 };
static const uint8_t other_mac[6] = { 0x02, 0, 0, 0, 0, 0x77 };
static const uint8_t static_mac[6] = { 0x02, 0, 0, 0, 0, 0x04 };
static const uint8_t router_mac[6] = { 0x02, 0, 0, 0, 0, 0xfe };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t zero_mac[6];

static const char test_mos[] =
	"mos {\n"
	"  netdev {\n"
	"    dpdk0 0x1 10.0.0.2/24\n"
	"    dpdk1 0x1 10.1.0.2/16 02:00:00:00:01:01\n"
	"  }\n"
	"  arp_table {\n"
	"    10.0.0.4/32 02:00:00:00:00:04\n"
	"    192.168.0.0/16 02:00:00:00:00:fe\n"
	"  }\n"
	"  route_table { 192.168.0.0/16 dpdk0; 172.16.0.0/12 dpdk1 }\n"
	"}\n";

static struct mos_conf conf;
static struct mos_net net;
static struct mos_tcp_in seg;

static in_addr_t ip(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return a.s_addr;
}

static void setup_net(struct mos_net *n, struct mos_conf *c, const char *text)
{
	/* dpdk1's port MAC differs from its mos.conf MAC: the file must win */
	static const uint8_t port_macs[2][6] = {
		{ 0x02, 0, 0, 0, 0, 0x01 }, { 0x02, 0, 0, 0, 0x0e, 0x0e },
	};
	static const uint16_t ports[2] = { 3, 5 };
	char err[CONF_ERR_MAX];

	if (conf_mos_parse(c, "net.conf", text, strlen(text), err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	mos_net_init(n, c, port_macs, ports);
}

static void setup(void)
{
	setup_net(&net, &conf, test_mos);
}

/* ---- the reference checksum and the frame builders ---- */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* RFC 1071 as written: big-endian words, a zero after an odd byte, fold, complement. */
static uint16_t ref_cksum(const uint8_t *p, size_t n)
{
	uint64_t s = 0;

	for (size_t i = 0; i < n; i += 2)
		s += (uint32_t)p[i] << 8 | (i + 1 < n ? p[i + 1] : 0);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The TCP checksum over a pseudo-header put in front of the segment. */
static uint16_t ref_tcp_cksum(in_addr_t s, in_addr_t d, const uint8_t *tcp, size_t n)
{
	uint8_t buf[12 + 1600];

	memcpy(buf, &s, 4);
	memcpy(buf + 4, &d, 4);
	buf[8] = 0;
	buf[9] = IPPROTO_TCP;
	put16(buf + 10, (uint16_t)n);
	memcpy(buf + 12, tcp, n);
	return ref_cksum(buf, 12 + n);
}

static size_t put_eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	put16(f + 12, type);
	return 14;
}

/* An ARP frame of 42 bytes: Ethernet to eth_dst from sha, then the packet. */
static size_t arp_frame(uint8_t *f, const uint8_t *eth_dst, uint16_t op, const uint8_t *sha,
			const char *spa, const uint8_t *tha, const char *tpa)
{
	uint8_t *a = f + put_eth(f, eth_dst, sha, 0x0806);
	in_addr_t s = ip(spa), t = ip(tpa);

	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, &s, 4);
	memcpy(a + 18, tha, 6);
	memcpy(a + 24, &t, 4);
	return 42;
}

static void fix_ip_cksum(uint8_t *f)
{
	uint8_t *h = f + 14;

	put16(h + 10, 0);
	put16(h + 10, ref_cksum(h, (size_t)(h[0] & 0xf) * 4));
}

/*
 * An IPv4 frame from peer_mac to our_mac: optlen bytes of options (NOPs
 * ending with an EOL), then the payload. ID 0x4321, DF, TTL 57.
 */
static size_t ip_frame(uint8_t *f, const char *src, const char *dst, uint8_t proto,
		       const uint8_t *payload, size_t plen, size_t optlen)
{
	uint8_t *h = f + put_eth(f, our_mac, peer_mac, 0x0800);
	size_t hlen = 20 + optlen;
	in_addr_t s = ip(src), d = ip(dst);

	h[0] = (uint8_t)(0x40 | hlen / 4);
	h[1] = 0;
	put16(h + 2, (uint16_t)(hlen + plen));
	put16(h + 4, 0x4321);
	put16(h + 6, 0x4000);
	h[8] = 57;
	h[9] = proto;
	memcpy(h + 12, &s, 4);
	memcpy(h + 16, &d, 4);
	memset(h + 20, 1, optlen);
	if (optlen > 0)
		h[hlen - 1] = 0;
	memcpy(h + hlen, payload, plen);
	fix_ip_cksum(f);
	return 14 + hlen + plen;
}

/* An ICMP echo (type 8) or other message with identifier 0x1234, sequence 1. */
static size_t icmp_msg(uint8_t *m, uint8_t type, uint8_t code, const char *data)
{
	size_t n = 8 + strlen(data);

	m[0] = type;
	m[1] = code;
	put16(m + 2, 0);
	put16(m + 4, 0x1234);
	put16(m + 6, 1);
	memcpy(m + 8, data, n - 8);
	put16(m + 2, ref_cksum(m, n));
	return n;
}

/* A TCP segment of 20 bytes of header (no options) and data, checksummed for src -> dst. */
static size_t tcp_seg(uint8_t *t, const char *src, const char *dst, const char *data)
{
	size_t n = 20 + strlen(data);

	memset(t, 0, 20);
	put16(t, 80);
	put16(t + 2, 40000);
	put16(t + 4, 0x0102);	/* sequence number, high half */
	t[12] = 5 << 4;
	t[13] = 0x18;		/* PSH ACK */
	put16(t + 14, 65535);
	memcpy(t + 20, data, n - 20);
	put16(t + 16, ref_tcp_cksum(ip(src), ip(dst), t, n));
	return n;
}

static size_t tcp_frame(uint8_t *f, const char *src, const char *dst, const char *data,
			size_t optlen)
{
	uint8_t t[1500];
	size_t n = tcp_seg(t, src, dst, data);

	return ip_frame(f, src, dst, IPPROTO_TCP, t, n, optlen);
}

static size_t echo_frame(uint8_t *f, const char *src, const char *dst, const char *data)
{
	uint8_t m[1500];
	size_t n = icmp_msg(m, 8, 0, data);

	return ip_frame(f, src, dst, IPPROTO_ICMP, m, n, 0);
}

/*
 * An ICMP destination unreachable (type 3, code) from router to dst that
 * quotes an IPv4 header from qsrc to qdst of protocol qproto and the first
 * qtcp bytes of a TCP segment of ours (port 40000 -> 80, sequence 0x01020000).
 */
static size_t unreach_frame(uint8_t *f, const char *router, const char *dst, uint8_t code,
			    const char *qsrc, const char *qdst, uint8_t qproto, size_t qtcp)
{
	uint8_t m[8 + 20 + 40], t[40];
	in_addr_t qs = ip(qsrc), qd = ip(qdst);
	uint8_t *q = m + 8;

	memset(m, 0, sizeof(m));
	m[0] = 3;
	m[1] = code;
	q[0] = 0x45;
	put16(q + 2, 20 + 20);
	put16(q + 6, 0x4000);
	q[8] = 63;
	q[9] = qproto;
	memcpy(q + 12, &qs, 4);
	memcpy(q + 16, &qd, 4);
	put16(q + 10, ref_cksum(q, 20));
	tcp_seg(t, qsrc, qdst, "");
	put16(t, 40000);	/* our port first: the segment is ours */
	put16(t + 2, 80);
	memcpy(q + 20, t, qtcp);
	put16(m + 2, ref_cksum(m, 8 + 20 + qtcp));
	return ip_frame(f, router, dst, IPPROTO_ICMP, m, 8 + 20 + qtcp, 0);
}

/* ---- feeding frames ---- */

#define N_STATS (sizeof(struct mos_net_stats) / sizeof(uint64_t))
#define STAT(field) (offsetof(struct mos_net_stats, field) / sizeof(uint64_t))
#define DROP_STAT(why) (STAT(drop) + (why))

static void stats_of(const struct mos_net *n, uint64_t s[N_STATS])
{
	memcpy(s, &n->stats, sizeof(n->stats));
}

/*
 * Feed len bytes of f to n on iface in a buffer of exactly len bytes and
 * copy back what the stack left there (a reply). Returns the verdict.
 */
static enum mos_net_verdict feed_on(struct mos_net *n, uint16_t iface, uint8_t *f, uint16_t *len,
				    uint32_t flags)
{
	uint8_t *buf = malloc(*len);
	uint16_t n_in = *len;
	enum mos_net_verdict v;

	if (buf == NULL && *len > 0)
		abort();
	memcpy(buf, f, *len);
	v = mos_net_input(n, iface, buf, len, flags, &seg);
	if (*len > n_in)
		abort();	/* a reply never grows past the frame */
	memcpy(f, buf, n_in);
	/* seg points into buf: move it to f for the caller */
	if (v == MOS_NET_TCP || v == MOS_NET_ICMP_ERR) {
		seg.tcp = f + (seg.tcp - buf);
		seg.src_mac = f + (seg.src_mac - buf);
	}
	free(buf);
	return v;
}

static enum mos_net_verdict feed(uint8_t *f, size_t len, uint32_t flags)
{
	uint16_t l = (uint16_t)len;

	return feed_on(&net, 0, f, &l, flags);
}

static bool covered[MOS_DROP_COUNT];

/*
 * The frame is dropped for `why` and that alone: rx_frames and
 * drop[why] go up by one, no other counter moves.
 */
static bool drops_as_on(uint16_t iface, uint8_t *f, size_t len, uint32_t flags,
			enum mos_net_drop why)
{
	uint64_t a[N_STATS], b[N_STATS];
	uint16_t l = (uint16_t)len;
	enum mos_net_verdict v;
	bool ok = true;

	stats_of(&net, a);
	v = feed_on(&net, iface, f, &l, flags);
	stats_of(&net, b);
	a[STAT(rx_frames)]++;
	a[DROP_STAT(why)]++;
	if (v != MOS_NET_DROP) {
		fprintf(stderr, "  verdict %d, not a drop (%d expected)\n", v, why);
		ok = false;
	}
	for (size_t i = 0; i < N_STATS; i++) {
		if (a[i] != b[i]) {
			fprintf(stderr, "  stat word %zu: %" PRIu64 ", expected %" PRIu64
				" (drop %d expected)\n", i, b[i], a[i], why);
			ok = false;
		}
	}
	if (ok)
		covered[why] = true;
	return ok;
}

static bool drops_as(uint8_t *f, size_t len, uint32_t flags, enum mos_net_drop why)
{
	return drops_as_on(0, f, len, flags, why);
}

static bool neigh_is(in_addr_t a, const uint8_t *mac)
{
	uint8_t m[6];

	return mos_net_neigh(&net, a, m) == 0 && memcmp(m, mac, 6) == 0;
}

/* ---- checksums ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: fixed seeds make every run the same */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

TEST(cksum_known_vector)
{
	/* the IPv4 header of RFC 1071's usual worked example (checksum 0xb861) */
	uint8_t h[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			  0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };

	CHECK_EQ(ref_cksum(h, 20), 0xb861);
	CHECK_EQ(mos_cksum_fold(mos_cksum_add(0, h, 20)), 0xb861);
	put16(h + 10, 0xb861);
	CHECK_EQ(mos_cksum_fold(mos_cksum_add(0, h, 20)), 0);	/* verifies */
	CHECK_EQ(mos_cksum_fold(0), 0xffff);
	CHECK_EQ(mos_cksum_fold(0xffff), 0);
	CHECK_EQ(mos_cksum_fold(0x1fffe), 0);	/* 0xfffe + 1 */
	CHECK_EQ(mos_cksum_fold(0xffffffff), 0);
	CHECK_EQ(mos_cksum_fold(0x12345678), (uint16_t)~(0x1234 + 0x5678));
	CHECK_EQ(mos_cksum_fold(mos_cksum_add(0, h, 0)), 0xffff);
	/* one odd byte is the high half of a word */
	CHECK_EQ(mos_cksum_fold(mos_cksum_add(0, "\x12", 1)), (uint16_t)~0x1200);
}

TEST(cksum_matches_reference_on_random_buffers)
{
	static uint8_t buf[2048 + 16];

	rng_state = 0x9e3779b97f4a7c15ull;
	for (int iter = 0; iter < 20000; iter++) {
		size_t off = rnd() % 16, len = rnd() % 2048, cut;
		const uint8_t *p = buf + off;
		uint32_t start = (uint32_t)rnd();
		uint64_t big;

		for (size_t i = 0; i < len; i++)
			buf[off + i] = (uint8_t)rnd();
		if (iter % 7 == 0)
			memset(buf + off, 0xff, len);	/* the most carries */
		CHECK_EQ(mos_cksum_fold(mos_cksum_add(0, p, len)), ref_cksum(p, len));
		/* chained at an even cut */
		cut = len == 0 ? 0 : (rnd() % len) & ~(size_t)1;
		CHECK_EQ(mos_cksum_fold(mos_cksum_add(mos_cksum_add(0, p, cut), p + cut,
						      len - cut)), ref_cksum(p, len));
		/* a starting sum counts as its two halves */
		big = (uint64_t)(start >> 16) + (start & 0xffff) + (uint16_t)~ref_cksum(p, len);
		while (big >> 16)
			big = (big & 0xffff) + (big >> 16);
		CHECK_EQ(mos_cksum_fold(mos_cksum_add(start, p, len)), (uint16_t)~big);
	}
}

TEST(cksum_long_buffer_does_not_overflow)
{
	static uint8_t big[1 << 18];

	memset(big, 0xff, sizeof(big));
	CHECK_EQ(mos_cksum_fold(mos_cksum_add(0, big + 1, sizeof(big) - 1)),
		 ref_cksum(big + 1, sizeof(big) - 1));
	CHECK_EQ(mos_cksum_fold(mos_cksum_add(0xffffffff, big, sizeof(big))), 0);
}

TEST(cksum_pseudo_header)
{
	uint8_t t[64];

	rng_state = 42;
	for (int i = 0; i < 1000; i++) {
		in_addr_t s = (in_addr_t)rnd(), d = (in_addr_t)rnd();
		uint16_t n = (uint16_t)(rnd() % 64);

		for (int j = 0; j < n; j++)
			t[j] = (uint8_t)rnd();
		uint32_t sum = mos_cksum_pseudo(s, d, IPPROTO_TCP, n);

		CHECK_EQ(mos_cksum_fold(mos_cksum_add(sum, t, n)), ref_tcp_cksum(s, d, t, n));
	}
}

/* ---- Ethernet ---- */

TEST(init_takes_addresses_macs_and_ports)
{
	setup();
	CHECK_EQ(net.n_iface, 2);
	CHECK_EQ(net.iface[0].addr, ip("10.0.0.2"));
	CHECK_EQ(net.iface[0].mask, ip("255.255.255.0"));
	CHECK(memcmp(net.iface[0].mac, our_mac, 6) == 0);
	CHECK_EQ(net.iface[0].port, 3);
	CHECK_EQ(net.iface[1].mask, ip("255.255.0.0"));
	CHECK(memcmp(net.iface[1].mac, our_mac1, 6) == 0);	/* mos.conf wins over the port */
	CHECK_EQ(net.iface[1].port, 5);
	CHECK_EQ(net.n_learned, 0);
}

TEST(ethernet_drops)
{
	static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
	uint8_t f[128];
	size_t n;

	setup();
	n = echo_frame(f, "10.0.0.9", "10.0.0.2", "x");
	CHECK(drops_as(f, 0, 0, MOS_DROP_SHORT_FRAME));
	CHECK(drops_as(f, 13, 0, MOS_DROP_SHORT_FRAME));
	memcpy(f, other_mac, 6);
	CHECK(drops_as(f, n, 0, MOS_DROP_NOT_FOR_US));
	memcpy(f, mcast, 6);
	CHECK(drops_as(f, n, 0, MOS_DROP_NOT_FOR_US));
	memcpy(f, our_mac1, 6);	/* dpdk1's MAC, arriving on dpdk0 */
	CHECK(drops_as(f, n, 0, MOS_DROP_NOT_FOR_US));
	memcpy(f, our_mac, 6);
	memcpy(f + 6, bcast, 6);	/* from a group address */
	CHECK(drops_as(f, n, 0, MOS_DROP_NOT_FOR_US));
	memcpy(f + 6, peer_mac, 6);

	put16(f + 12, 0x8100);	/* an 802.1Q tag */
	CHECK(drops_as(f, n, 0, MOS_DROP_ETHERTYPE));
	put16(f + 12, 0x88cc);	/* LLDP */
	CHECK(drops_as(f, n, 0, MOS_DROP_ETHERTYPE));
	put16(f + 12, 0x0040);	/* an 802.3 length */
	CHECK(drops_as(f, n, 0, MOS_DROP_ETHERTYPE));
	put16(f + 12, 0x86dd);
	CHECK(drops_as(f, n, 0, MOS_DROP_IPV6));
	CHECK(drops_as(f, 14, 0, MOS_DROP_IPV6));

	put16(f + 12, 0x0800);
	CHECK_EQ(feed(f, n, 0), MOS_NET_REPLY);
	n = echo_frame(f, "10.0.0.9", "10.0.0.2", "x");
	memcpy(f, bcast, 6);	/* broadcast frames are ours too */
	CHECK_EQ(feed(f, n, 0), MOS_NET_REPLY);
	CHECK(memcmp(f + 6, our_mac, 6) == 0);	/* answered from our MAC, not broadcast */
	CHECK(memcmp(f, peer_mac, 6) == 0);
}

/* ---- ARP ---- */

TEST(arp_request_is_answered_in_place)
{
	static const uint8_t want[60] = {
		0x02, 0x00, 0x00, 0x00, 0x00, 0x99, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
		0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x99, 0x0a, 0x00, 0x00, 0x09,
		/* padding: zeros, none of the request's bytes */
	};
	uint8_t f[60];
	uint16_t len;

	setup();
	memset(f, 0xee, sizeof(f));
	arp_frame(f, bcast, 1, peer_mac, "10.0.0.9", zero_mac, "10.0.0.2");
	len = 60;
	CHECK_EQ(feed_on(&net, 0, f, &len, 0), MOS_NET_REPLY);
	CHECK_EQ(len, 60);
	CHECK(memcmp(f, want, 60) == 0);
	CHECK_EQ(net.stats.arp_requests_answered, 1);
	CHECK(neigh_is(ip("10.0.0.9"), peer_mac));	/* the asker is learned */
	CHECK_EQ(net.n_learned, 1);

	/* an unpadded request gets an unpadded answer */
	memset(f, 0xee, sizeof(f));
	arp_frame(f, bcast, 1, peer_mac, "10.0.0.9", zero_mac, "10.0.0.2");
	len = 42;
	CHECK_EQ(feed_on(&net, 0, f, &len, 0), MOS_NET_REPLY);
	CHECK_EQ(len, 42);
	CHECK(memcmp(f, want, 42) == 0);
	CHECK_EQ(f[42], 0xee);	/* nothing written past it */
	CHECK_EQ(net.n_learned, 1);

	/* a request for dpdk1's address on dpdk1: its MAC answers */
	arp_frame(f, bcast, 1, peer_mac, "10.1.0.9", zero_mac, "10.1.0.2");
	len = 42;
	CHECK_EQ(feed_on(&net, 1, f, &len, 0), MOS_NET_REPLY);
	CHECK(memcmp(f + 6, our_mac1, 6) == 0);
	CHECK(memcmp(f + 22, our_mac1, 6) == 0);
	CHECK(neigh_is(ip("10.1.0.9"), peer_mac));

	/* an RFC 5227 probe (sender 0.0.0.0) is answered, nothing learned */
	arp_frame(f, bcast, 1, other_mac, "0.0.0.0", zero_mac, "10.0.0.2");
	len = 42;
	CHECK_EQ(feed_on(&net, 0, f, &len, 0), MOS_NET_REPLY);
	CHECK_EQ(get16(f + 20), 2);
	CHECK(memcmp(f, other_mac, 6) == 0);
	CHECK_EQ(net.n_learned, 2);
	CHECK_EQ(net.stats.arp_requests_answered, 4);
}

TEST(arp_learns_replies_and_refreshes)
{
	uint8_t f[60];

	setup();
	arp_frame(f, our_mac, 2, peer_mac, "10.0.0.10", our_mac, "10.0.0.2");
	CHECK_EQ(feed(f, 42, 0), MOS_NET_CONSUMED);
	CHECK_EQ(net.stats.arp_replies_learned, 1);
	CHECK_EQ(net.stats.arp_consumed, 1);
	CHECK(neigh_is(ip("10.0.0.10"), peer_mac));

	/* the same neighbour with a new MAC: refreshed, not added twice */
	arp_frame(f, our_mac, 2, other_mac, "10.0.0.10", our_mac, "10.0.0.2");
	CHECK_EQ(feed(f, 42, 0), MOS_NET_CONSUMED);
	CHECK(neigh_is(ip("10.0.0.10"), other_mac));
	CHECK_EQ(net.n_learned, 1);
	CHECK_EQ(net.stats.arp_replies_learned, 2);

	/* a reply from off the link is taken in and not learned */
	arp_frame(f, our_mac, 2, peer_mac, "10.5.0.1", our_mac, "10.0.0.2");
	CHECK_EQ(feed(f, 42, 0), MOS_NET_CONSUMED);
	CHECK_EQ(mos_net_neigh(&net, ip("10.5.0.1"), f), -ENOENT);
	/* dpdk1's subnet heard on dpdk0: not this link's neighbour */
	arp_frame(f, bcast, 1, peer_mac, "10.1.0.7", zero_mac, "10.0.0.2");
	CHECK_EQ(feed(f, 42, 0), MOS_NET_REPLY);
	CHECK_EQ(mos_net_neigh(&net, ip("10.1.0.7"), f), -ENOENT);
	/* a route_table range reached through dpdk1 is learned there */
	arp_frame(f, our_mac1, 2, peer_mac, "172.16.1.1", our_mac1, "10.1.0.2");
	CHECK_EQ(feed_on(&net, 1, f, &(uint16_t){ 42 }, 0), MOS_NET_CONSUMED);
	CHECK(neigh_is(ip("172.16.1.1"), peer_mac));
	/* a sender claiming our own address is not learned */
	arp_frame(f, our_mac, 2, peer_mac, "10.0.0.2", our_mac, "10.1.0.2");
	CHECK_EQ(feed(f, 42, 0), MOS_NET_CONSUMED);
	CHECK_EQ(net.n_learned, 2);
	CHECK_EQ(net.stats.arp_replies_learned, 3);
	CHECK_EQ(net.stats.arp_consumed, 5);
}

TEST(arp_gratuitous_updates_known_only)
{
	uint8_t f[60];

	setup();
	arp_frame(f, our_mac, 2, peer_mac, "10.0.0.10", our_mac, "10.0.0.2");
	CHECK_EQ(feed(f, 42, 0), MOS_NET_CONSUMED);

	arp_frame(f, bcast, 1, other_mac, "10.0.0.10", zero_mac, "10.0.0.10");
	CHECK_EQ(feed(f, 42, 0), MOS_NET_CONSUMED);
	CHECK(neigh_is(ip("10.0.0.10"), other_mac));
	arp_frame(f, bcast, 2, peer_mac, "10.0.0.10", bcast, "10.0.0.10");	/* reply form */
	CHECK_EQ(feed(f, 42, 0), MOS_NET_CONSUMED);
	CHECK(neigh_is(ip("10.0.0.10"), peer_mac));

	/* a stranger announcing itself is not added */
	arp_frame(f, bcast, 1, other_mac, "10.0.0.50", zero_mac, "10.0.0.50");
	CHECK(drops_as(f, 42, 0, MOS_DROP_ARP_NOT_FOR_US));
	CHECK_EQ(mos_net_neigh(&net, ip("10.0.0.50"), f), -ENOENT);
	CHECK_EQ(net.n_learned, 1);
	CHECK_EQ(net.stats.arp_consumed, 3);
}

TEST(arp_static_entry_wins_over_learning)
{
	uint8_t f[60];

	setup();
	CHECK(neigh_is(ip("10.0.0.4"), static_mac));
	arp_frame(f, our_mac, 2, peer_mac, "10.0.0.4", our_mac, "10.0.0.2");
	CHECK_EQ(feed(f, 42, 0), MOS_NET_CONSUMED);
	arp_frame(f, bcast, 1, peer_mac, "10.0.0.4", zero_mac, "10.0.0.2");
	CHECK_EQ(feed(f, 42, 0), MOS_NET_REPLY);
	arp_frame(f, bcast, 1, peer_mac, "10.0.0.4", zero_mac, "10.0.0.4");
	CHECK(drops_as(f, 42, 0, MOS_DROP_ARP_NOT_FOR_US));
	CHECK(neigh_is(ip("10.0.0.4"), static_mac));
	/* a prefix entry covers a whole routed range (a router) */
	arp_frame(f, our_mac, 2, peer_mac, "192.168.3.3", our_mac, "10.0.0.2");
	CHECK_EQ(feed(f, 42, 0), MOS_NET_CONSUMED);
	CHECK(neigh_is(ip("192.168.3.3"), router_mac));
	CHECK_EQ(net.n_learned, 0);
	CHECK_EQ(net.stats.arp_replies_learned, 0);
}

TEST(arp_drops)
{
	static const uint8_t mcast[6] = { 0x01, 0, 0x5e, 0, 0, 1 };
	uint8_t f[60];

	setup();
	arp_frame(f, bcast, 1, peer_mac, "10.0.0.9", zero_mac, "10.0.0.2");
	CHECK(drops_as(f, 41, 0, MOS_DROP_ARP_MALFORMED));
	CHECK(drops_as(f, 14, 0, MOS_DROP_ARP_MALFORMED));
	put16(f + 14, 6);	/* IEEE 802 hardware */
	CHECK(drops_as(f, 42, 0, MOS_DROP_ARP_MALFORMED));
	put16(f + 14, 1);
	put16(f + 16, 0x86dd);
	CHECK(drops_as(f, 42, 0, MOS_DROP_ARP_MALFORMED));
	put16(f + 16, 0x0800);
	f[18] = 8;
	CHECK(drops_as(f, 42, 0, MOS_DROP_ARP_MALFORMED));
	f[18] = 6;
	f[19] = 16;
	CHECK(drops_as(f, 42, 0, MOS_DROP_ARP_MALFORMED));
	f[19] = 4;
	for (uint16_t op = 0; op < 10; op++) {
		if (op == 1 || op == 2)
			continue;
		put16(f + 20, op);	/* RARP (3, 4), InARP (8, 9) and nonsense */
		CHECK(drops_as(f, 42, 0, MOS_DROP_ARP_MALFORMED));
	}
	put16(f + 20, 1);
	memcpy(f + 22, mcast, 6);	/* we would answer a group address */
	CHECK(drops_as(f, 42, 0, MOS_DROP_ARP_MALFORMED));
	memcpy(f + 22, zero_mac, 6);
	CHECK(drops_as(f, 42, 0, MOS_DROP_ARP_MALFORMED));

	arp_frame(f, bcast, 1, peer_mac, "10.0.0.9", zero_mac, "10.0.0.3");
	CHECK(drops_as(f, 42, 0, MOS_DROP_ARP_NOT_FOR_US));
	/* a reply, not to us */
	arp_frame(f, bcast, 2, peer_mac, "10.0.0.9", zero_mac, "10.0.0.3");
	CHECK(drops_as(f, 42, 0, MOS_DROP_ARP_NOT_FOR_US));
	CHECK_EQ(net.n_learned, 0);
}

TEST(arp_learned_table_fills_then_counts)
{
	uint8_t f[60];
	char a[32];
	unsigned learned_limit = MOS_ARP_LEARNED_MAX / 4 * 3;
	unsigned extra = 40;
	uint16_t len;

	setup();
	for (unsigned i = 0; i < learned_limit + extra; i++) {
		uint8_t mac[6] = { 0x02, 0, 0, 0, (uint8_t)(i >> 8), (uint8_t)i };

		snprintf(a, sizeof(a), "10.1.%u.%u", 1 + i / 200, 1 + i % 200);
		arp_frame(f, bcast, 1, mac, a, zero_mac, "10.1.0.2");
		len = 42;
		/* answered, full or not */
		CHECK_EQ(feed_on(&net, 1, f, &len, 0), MOS_NET_REPLY);
	}
	CHECK_EQ(net.n_learned, learned_limit);
	CHECK_EQ(net.stats.arp_learned_full, extra);
	CHECK_EQ(net.stats.arp_requests_answered, learned_limit + extra);
	for (unsigned i = 0; i < learned_limit + extra; i++) {
		uint8_t mac[6] = { 0x02, 0, 0, 0, (uint8_t)(i >> 8), (uint8_t)i };

		snprintf(a, sizeof(a), "10.1.%u.%u", 1 + i / 200, 1 + i % 200);
		if (i < learned_limit)
			CHECK(neigh_is(ip(a), mac));
		else
			CHECK_EQ(mos_net_neigh(&net, ip(a), f), -ENOENT);
	}
	/* a full table still refreshes what it holds */
	arp_frame(f, our_mac1, 2, other_mac, "10.1.1.1", our_mac1, "10.1.0.2");
	len = 42;
	CHECK_EQ(feed_on(&net, 1, f, &len, 0), MOS_NET_CONSUMED);
	CHECK(neigh_is(ip("10.1.1.1"), other_mac));
	CHECK_EQ(net.stats.arp_learned_full, extra);
}

TEST(arp_request_writer)
{
	static const uint8_t want[60] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
		0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
		0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x07,
	};
	uint8_t f[64];

	setup();
	memset(f, 0xee, sizeof(f));
	CHECK_EQ(mos_net_arp_request(&net, 0, ip("10.0.0.7"), f), 60);
	CHECK(memcmp(f, want, 60) == 0);
	CHECK_EQ(f[60], 0xee);
	CHECK_EQ(net.stats.arp_requests_sent, 1);
}

/* ---- IPv4 ---- */

TEST(ip_header_drops)
{
	uint8_t f[128];
	size_t n;

	setup();
	n = tcp_frame(f, "10.0.0.9", "10.0.0.2", "hi", 0);
	CHECK(drops_as(f, 14 + 19, 0, MOS_DROP_IP_SHORT));
	f[14] = 0x65;	/* version 6 behind an IPv4 type */
	fix_ip_cksum(f);
	CHECK(drops_as(f, n, 0, MOS_DROP_IP_VERSION));
	f[14] = 0x44;	/* IHL 4 */
	CHECK(drops_as(f, n, 0, MOS_DROP_IP_HLEN));
	f[14] = 0x4f;	/* a 60-byte header in a 42-byte packet */
	CHECK(drops_as(f, n, 0, MOS_DROP_IP_SHORT));

	n = tcp_frame(f, "10.0.0.9", "10.0.0.2", "", 0);	/* 54 bytes */
	f[14] = 0x46;	/* 24 bytes of header, total length 40: fine so far */
	put16(f + 16, 22);	/* total length below the header */
	fix_ip_cksum(f);
	CHECK(drops_as(f, n, 0, MOS_DROP_IP_HLEN));
	n = tcp_frame(f, "10.0.0.9", "10.0.0.2", "", 0);
	put16(f + 16, 41);	/* one byte past the frame */
	fix_ip_cksum(f);
	CHECK(drops_as(f, n, 0, MOS_DROP_IP_SHORT));
	put16(f + 16, 40);
	f[24] ^= 0x01;	/* checksum */
	CHECK(drops_as(f, n, 0, MOS_DROP_IP_CKSUM));
	CHECK_EQ(feed(f, n, MOS_RX_IP_CKSUM_GOOD), MOS_NET_TCP);	/* the NIC vouched for it */
}

TEST(ip_fragments_ttl_and_protocol)
{
	uint8_t f[128];
	size_t n;

	setup();
	n = tcp_frame(f, "10.0.0.9", "10.0.0.2", "hi", 0);
	put16(f + 20, 0x2000);	/* MF */
	fix_ip_cksum(f);
	CHECK(drops_as(f, n, 0, MOS_DROP_IP_FRAGMENT));
	put16(f + 20, 0x0001);	/* offset 8 */
	fix_ip_cksum(f);
	CHECK(drops_as(f, n, 0, MOS_DROP_IP_FRAGMENT));
	put16(f + 20, 0x5fff);	/* DF and a last fragment: still one */
	fix_ip_cksum(f);
	CHECK(drops_as(f, n, 0, MOS_DROP_IP_FRAGMENT));
	put16(f + 20, 0x0000);	/* no DF: a whole datagram all the same */
	fix_ip_cksum(f);
	CHECK_EQ(feed(f, n, 0), MOS_NET_TCP);

	f[22] = 0;
	fix_ip_cksum(f);
	CHECK(drops_as(f, n, 0, MOS_DROP_IP_TTL));
	f[22] = 1;
	fix_ip_cksum(f);
	CHECK_EQ(feed(f, n, 0), MOS_NET_TCP);
	CHECK_EQ(seg.ttl, 1);

	f[23] = IPPROTO_UDP;
	fix_ip_cksum(f);
	CHECK(drops_as(f, n, 0, MOS_DROP_IP_PROTO));
}

TEST(ip_addresses)
{
	static const char *const not_ours[] = {
		"10.0.0.3", "10.0.0.255", "255.255.255.255", "224.0.0.1", "0.0.0.0", "8.8.8.8",
	};
	static const char *const bad_src[] = {
		"0.0.0.0", "0.1.2.3", "255.255.255.255", "10.0.0.255", "10.1.255.255",
		"224.0.0.1", "239.255.255.250", "127.0.0.1", "127.9.9.9", "10.0.0.2", "10.1.0.2",
	};
	uint8_t f[128];
	size_t n;

	setup();
	for (size_t i = 0; i < ARRAY_SIZE(not_ours); i++) {
		n = tcp_frame(f, "10.0.0.9", not_ours[i], "", 0);
		CHECK(drops_as(f, n, 0, MOS_DROP_IP_NOT_OURS));
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad_src); i++) {
		n = tcp_frame(f, bad_src[i], "10.0.0.2", "", 0);
		CHECK(drops_as(f, n, 0, MOS_DROP_IP_SRC));
	}
	/* weak host model (RFC 1122 3.3.4.2): dpdk1's address, heard on dpdk0 */
	n = tcp_frame(f, "10.0.0.9", "10.1.0.2", "", 0);
	CHECK_EQ(feed(f, n, 0), MOS_NET_TCP);
	CHECK_EQ(seg.iface, 0);
	/* a network address and an off-link source are hosts */
	n = tcp_frame(f, "10.0.0.0", "10.0.0.2", "", 0);
	CHECK_EQ(feed(f, n, 0), MOS_NET_TCP);
	n = tcp_frame(f, "93.184.216.34", "10.0.0.2", "", 0);
	CHECK_EQ(feed(f, n, 0), MOS_NET_TCP);
}

/* -s FIRST-LAST: the stack owns the range on its link, and only it (issue 13) */
TEST(owned_range_answered_and_taken)
{
	uint8_t f[128];
	uint16_t len;
	size_t n;

	setup();
	/* refused: outside the subnet, its network or broadcast address, an empty wrap */
	CHECK_EQ(mos_net_own_range(&net, 0, ip("10.0.1.1"), 2), -EINVAL);
	CHECK_EQ(mos_net_own_range(&net, 0, ip("10.0.0.254"), 3), -EINVAL);
	CHECK_EQ(mos_net_own_range(&net, 0, ip("10.0.0.0"), 2), -EINVAL);
	CHECK_EQ(mos_net_own_range(&net, 0, ip("10.0.0.254"), 2), -EINVAL);
	CHECK_EQ(mos_net_own_range(&net, 2, ip("10.0.0.3"), 2), -EINVAL);
	CHECK_EQ(net.iface[0].own_last, 0);
	/* before: 10.0.0.3 is not ours, neither for ARP nor for IPv4 */
	arp_frame(f, bcast, 1, peer_mac, "10.0.0.9", zero_mac, "10.0.0.3");
	len = 42;
	CHECK_EQ(feed_on(&net, 0, f, &len, 0), MOS_NET_DROP);
	CHECK_EQ(net.stats.drop[MOS_DROP_ARP_NOT_FOR_US], 1);
	n = tcp_frame(f, "10.0.0.9", "10.0.0.3", "", 0);
	CHECK(drops_as(f, n, 0, MOS_DROP_IP_NOT_OURS));

	REQUIRE(mos_net_own_range(&net, 0, ip("10.0.0.2"), 3) == 0);	/* .2 .3 .4 */
	CHECK_EQ(net.iface[0].own_first, 0x0a000002u);
	CHECK_EQ(net.iface[0].own_last, 0x0a000004u);
	for (int a = 2; a <= 4; a++) {
		char tpa[16];

		snprintf(tpa, sizeof(tpa), "10.0.0.%d", a);
		arp_frame(f, bcast, 1, peer_mac, "10.0.0.9", zero_mac, tpa);
		len = 42;
		CHECK_EQ(feed_on(&net, 0, f, &len, 0), MOS_NET_REPLY);
		CHECK_EQ(get16(f + 20), 2);
		CHECK(memcmp(f + 22, our_mac, 6) == 0);	/* sha: dpdk0's MAC */
		CHECK_EQ(f[28 + 3], a);			/* spa: the address asked for */
		CHECK(memcmp(f, peer_mac, 6) == 0);
		n = tcp_frame(f, "10.0.0.9", tpa, "", 0);
		CHECK_EQ(feed(f, n, 0), MOS_NET_TCP);
		CHECK_EQ(seg.daddr, ip(tpa));
	}
	/* the rest of the subnet is still not ours */
	arp_frame(f, bcast, 1, peer_mac, "10.0.0.9", zero_mac, "10.0.0.5");
	len = 42;
	CHECK_EQ(feed_on(&net, 0, f, &len, 0), MOS_NET_DROP);
	arp_frame(f, bcast, 1, peer_mac, "10.0.0.9", zero_mac, "10.0.0.1");
	len = 42;
	CHECK_EQ(feed_on(&net, 0, f, &len, 0), MOS_NET_DROP);
	n = tcp_frame(f, "10.0.0.9", "10.0.0.5", "", 0);
	CHECK(drops_as(f, n, 0, MOS_DROP_IP_NOT_OURS));
	/* an owned address is ours as a source too: a frame from it is a spoof or a loop */
	n = tcp_frame(f, "10.0.0.3", "10.0.0.2", "", 0);
	CHECK(drops_as(f, n, 0, MOS_DROP_IP_SRC));
	/* count 0 gives them up */
	REQUIRE(mos_net_own_range(&net, 0, 0, 0) == 0);
	n = tcp_frame(f, "10.0.0.9", "10.0.0.3", "", 0);
	CHECK(drops_as(f, n, 0, MOS_DROP_IP_NOT_OURS));
	/* a /16: the whole range but its two ends, and not one more */
	CHECK_EQ(mos_net_own_range(&net, 1, ip("10.1.0.1"), 65535), -EINVAL);
	REQUIRE(mos_net_own_range(&net, 1, ip("10.1.0.1"), 65534) == 0);
	n = tcp_frame(f, "10.0.0.9", "10.1.255.254", "", 0);	/* weak host: heard on dpdk0 */
	CHECK_EQ(feed(f, n, 0), MOS_NET_TCP);
}

TEST(ip_options_skipped_and_padding_ignored)
{
	uint8_t f[128];
	size_t n;

	setup();
	n = tcp_frame(f, "10.0.0.9", "10.0.0.2", "abc", 8);
	CHECK_EQ(feed(f, n, 0), MOS_NET_TCP);
	CHECK(seg.tcp == f + 14 + 28);
	CHECK_EQ(seg.tcp_len, 23);
	CHECK_EQ(get16(seg.tcp), 80);

	/* 14 + 40 bytes padded to 60: the TCP length comes from the IP header */
	memset(f, 0xee, sizeof(f));
	n = tcp_frame(f, "10.0.0.9", "10.0.0.2", "", 0);
	CHECK_EQ(n, 54);
	CHECK_EQ(feed(f, 60, 0), MOS_NET_TCP);
	CHECK_EQ(seg.tcp_len, 20);
	/* a 60-byte frame carrying 19 bytes of TCP: short, whatever follows */
	n = tcp_frame(f, "10.0.0.9", "10.0.0.2", "", 0);
	put16(f + 16, 39);
	fix_ip_cksum(f);
	CHECK(drops_as(f, 60, 0, MOS_DROP_TCP_SHORT));
	put16(f + 16, 20);	/* no TCP at all */
	fix_ip_cksum(f);
	CHECK(drops_as(f, 60, 0, MOS_DROP_TCP_SHORT));
}

/* ---- TCP ---- */

TEST(tcp_checksum_and_view)
{
	uint8_t f[1600];
	size_t n;

	setup();
	/* an odd length */
	n = tcp_frame(f, "10.0.0.9", "10.0.0.2", "GET / HTTP/1.0\r\n\r\n!", 0);
	CHECK_EQ(feed(f, n, 0), MOS_NET_TCP);
	CHECK_EQ(seg.saddr, ip("10.0.0.9"));
	CHECK_EQ(seg.daddr, ip("10.0.0.2"));
	CHECK_EQ(seg.iface, 0);
	CHECK(seg.src_mac == f + 6);
	CHECK(memcmp(seg.src_mac, peer_mac, 6) == 0);
	CHECK(seg.tcp == f + 34);
	CHECK_EQ(seg.tcp_len, 20 + 19);
	CHECK_EQ(seg.ttl, 57);
	CHECK_EQ(net.stats.tcp_delivered, 1);

	f[n - 1] ^= 0x40;	/* one payload bit */
	CHECK(drops_as(f, n, 0, MOS_DROP_TCP_CKSUM));
	CHECK_EQ(feed(f, n, MOS_RX_L4_CKSUM_GOOD), MOS_NET_TCP);
	/* IP_CKSUM_GOOD says nothing about TCP */
	CHECK(drops_as(f, n, MOS_RX_IP_CKSUM_GOOD, MOS_DROP_TCP_CKSUM));
	f[n - 1] ^= 0x40;
	/* the pseudo-header counts: another source breaks it */
	memcpy(f + 26, &(in_addr_t){ ip("10.0.0.8") }, 4);
	fix_ip_cksum(f);
	CHECK(drops_as(f, n, 0, MOS_DROP_TCP_CKSUM));

	/* a full-sized segment */
	{
		char data[1461];

		memset(data, 'z', 1460);
		data[1460] = 0;
		n = tcp_frame(f, "10.0.0.9", "10.0.0.2", data, 0);
		CHECK_EQ(n, 1514);
		CHECK_EQ(feed(f, n, 0), MOS_NET_TCP);
		CHECK_EQ(seg.tcp_len, 1480);
	}
	CHECK_EQ(net.stats.tcp_delivered, 3);
}

/* ---- ICMP ---- */

static const uint8_t echo_req[49] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x99,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x23, 0x43, 0x21, 0x40, 0x00, 0x39, 0x01,
	0xea, 0xae, 0x0a, 0x00, 0x00, 0x09, 0x0a, 0x00, 0x00, 0x02, 0x08, 0x00,
	0x82, 0x7e, 0x12, 0x34, 0x00, 0x01, 0x65, 0x70, 0x77, 0x67, 0x65, 0x74,
	0x21,
};

static const uint8_t echo_rep[49] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x99, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
	0x08, 0x00, 0x45, 0x00, 0x00, 0x23, 0x43, 0x21, 0x40, 0x00, 0x40, 0x01,
	0xe3, 0xae, 0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x09, 0x00, 0x00,
	0x8a, 0x7e, 0x12, 0x34, 0x00, 0x01, 0x65, 0x70, 0x77, 0x67, 0x65, 0x74,
	0x21,
};

TEST(icmp_echo_is_answered_in_place)
{
	static const uint8_t zeros[11];
	uint8_t f[128];
	uint16_t len;
	size_t n;

	setup();
	/* the literal request is what the builder makes */
	n = echo_frame(f, "10.0.0.9", "10.0.0.2", "epwget!");
	CHECK_EQ(n, sizeof(echo_req));
	CHECK(memcmp(f, echo_req, n) == 0);

	memcpy(f, echo_req, 49);
	memset(f + 49, 0xee, 11);
	len = 60;
	CHECK_EQ(feed_on(&net, 0, f, &len, 0), MOS_NET_REPLY);
	CHECK_EQ(len, 60);
	CHECK(memcmp(f, echo_rep, 49) == 0);
	CHECK(memcmp(f + 49, zeros, 11) == 0);
	CHECK_EQ(ref_cksum(f + 14, 20), 0);
	CHECK_EQ(ref_cksum(f + 34, 15), 0);
	CHECK_EQ(net.stats.icmp_echo_answered, 1);

	memcpy(f, echo_req, 49);
	len = 49;
	CHECK_EQ(feed_on(&net, 0, f, &len, 0), MOS_NET_REPLY);
	CHECK_EQ(len, 49);
	CHECK(memcmp(f, echo_rep, 49) == 0);

	/* with options: the same answer, options dropped */
	{
		uint8_t m[64];
		size_t mn = icmp_msg(m, 8, 0, "epwget!");

		n = ip_frame(f, "10.0.0.9", "10.0.0.2", IPPROTO_ICMP, m, mn, 4);
		CHECK_EQ(n, 53);
		len = (uint16_t)n;
		CHECK_EQ(feed_on(&net, 0, f, &len, 0), MOS_NET_REPLY);
		CHECK_EQ(len, 49);
		CHECK(memcmp(f, echo_rep, 49) == 0);
	}
	/* the reply, fed back to its sender (roles swapped), verifies */
	{
		static const char peer_mos[] =
			"mos { netdev { dpdk0 0x1 10.0.0.9/24 02:00:00:00:00:99 } }\n";
		struct mos_conf pc;
		struct mos_net pn;

		setup_net(&pn, &pc, peer_mos);
		memcpy(f, echo_rep, 49);
		len = 49;
		CHECK_EQ(feed_on(&pn, 0, f, &len, 0), MOS_NET_DROP);
		CHECK_EQ(pn.stats.drop[MOS_DROP_ICMP_TYPE], 1);	/* a reply is not answered */
	}
	CHECK_EQ(net.stats.icmp_echo_answered, 3);
}

TEST(icmp_drops)
{
	uint8_t f[128], m[64];
	size_t n, mn;

	setup();
	mn = icmp_msg(m, 0, 0, "pong");
	n = ip_frame(f, "10.0.0.9", "10.0.0.2", IPPROTO_ICMP, m, mn, 0);
	CHECK(drops_as(f, n, 0, MOS_DROP_ICMP_TYPE));
	mn = icmp_msg(m, 8, 1, "ping");	/* echo with a code */
	n = ip_frame(f, "10.0.0.9", "10.0.0.2", IPPROTO_ICMP, m, mn, 0);
	CHECK(drops_as(f, n, 0, MOS_DROP_ICMP_TYPE));
	mn = icmp_msg(m, 11, 0, "time exceeded");
	n = ip_frame(f, "10.0.0.9", "10.0.0.2", IPPROTO_ICMP, m, mn, 0);
	CHECK(drops_as(f, n, 0, MOS_DROP_ICMP_TYPE));
	/* a destination unreachable whose "quote" is 7 bytes of text: no IPv4 header */
	mn = icmp_msg(m, 3, 3, "unreach");
	n = ip_frame(f, "10.0.0.9", "10.0.0.2", IPPROTO_ICMP, m, mn, 0);
	CHECK(drops_as(f, n, 0, MOS_DROP_ICMP_QUOTE));

	mn = icmp_msg(m, 8, 0, "ping");
	m[9] ^= 1;
	n = ip_frame(f, "10.0.0.9", "10.0.0.2", IPPROTO_ICMP, m, mn, 0);
	CHECK(drops_as(f, n, 0, MOS_DROP_ICMP_MALFORMED));
	/* the L4 flag is for TCP: ICMP is always checked */
	CHECK(drops_as(f, n, MOS_RX_L4_CKSUM_GOOD, MOS_DROP_ICMP_MALFORMED));
	/* an echo of 6 bytes whose checksum verifies: still short of the 8-byte header */
	memset(m, 0, sizeof(m));
	m[0] = 8;
	put16(m + 4, 0x1234);
	put16(m + 2, ref_cksum(m, 6));
	n = ip_frame(f, "10.0.0.9", "10.0.0.2", IPPROTO_ICMP, m, 6, 0);
	CHECK(drops_as(f, n, 0, MOS_DROP_ICMP_MALFORMED));
	CHECK(drops_as(f, n + 20, 0, MOS_DROP_ICMP_MALFORMED));	/* padding does not help */
	CHECK_EQ(net.stats.icmp_echo_answered, 0);
}

/*
 * RFC 792, RFC 1122 4.2.3.9: a destination unreachable that quotes an IPv4
 * header and 8 bytes of one of our TCP segments goes up as MOS_NET_ICMP_ERR
 * with the quote as the view (our address first); any other is counted and
 * dropped, and nothing of it is written.
 */
TEST(icmp_unreachable_quoting_our_segment_goes_to_tcp)
{
	uint8_t f[160], g[160];
	uint16_t len;
	size_t n;

	setup();
	/* from a router, not the peer: it is the quote that must be ours */
	n = unreach_frame(f, "10.0.0.1", "10.0.0.2", 1, "10.0.0.2", "192.168.7.7", IPPROTO_TCP, 8);
	len = (uint16_t)n;
	memcpy(g, f, n);
	CHECK_EQ(feed_on(&net, 0, f, &len, 0), MOS_NET_ICMP_ERR);
	CHECK(memcmp(f, g, n) == 0);
	CHECK_EQ(net.stats.icmp_errors_delivered, 1);
	CHECK_EQ(seg.saddr, ip("10.0.0.2"));
	CHECK_EQ(seg.daddr, ip("192.168.7.7"));
	CHECK_EQ(seg.icmp_from, ip("10.0.0.1"));
	CHECK_EQ(seg.icmp_type, 3);
	CHECK_EQ(seg.icmp_code, 1);
	CHECK_EQ(seg.tcp_len, 8);
	CHECK(seg.tcp == f + 14 + 20 + 8 + 20);
	CHECK_EQ(get16(seg.tcp), 40000);
	CHECK_EQ(get16(seg.tcp + 4), 0x0102);
	/* a quote of the whole 20-byte header, port unreachable from the peer itself */
	n = unreach_frame(f, "10.0.0.9", "10.0.0.2", 3, "10.0.0.2", "10.0.0.9", IPPROTO_TCP, 20);
	CHECK_EQ(feed(f, n, 0), MOS_NET_ICMP_ERR);
	CHECK_EQ(seg.tcp_len, 20);
	CHECK_EQ(net.stats.icmp_errors_delivered, 2);

	/* truncated: 7 bytes of TCP, or no room for the quoted header */
	n = unreach_frame(f, "10.0.0.1", "10.0.0.2", 1, "10.0.0.2", "10.0.0.9", IPPROTO_TCP, 7);
	CHECK(drops_as(f, n, 0, MOS_DROP_ICMP_QUOTE));
	/* not ours: the quoted source is the peer (an error about its own segment) */
	n = unreach_frame(f, "10.0.0.1", "10.0.0.2", 1, "10.0.0.9", "10.0.0.2", IPPROTO_TCP, 8);
	CHECK(drops_as(f, n, 0, MOS_DROP_ICMP_QUOTE));
	/* not TCP */
	n = unreach_frame(f, "10.0.0.1", "10.0.0.2", 1, "10.0.0.2", "10.0.0.9", IPPROTO_UDP, 8);
	CHECK(drops_as(f, n, 0, MOS_DROP_ICMP_QUOTE));
	/* the quoted header damaged, the ICMP checksum made right again: IHL 4, version 6 */
	for (int k = 0; k < 3; k++) {
		uint8_t *icmp;

		n = unreach_frame(f, "10.0.0.1", "10.0.0.2", 1, "10.0.0.2", "10.0.0.9",
				  IPPROTO_TCP, 8);
		icmp = f + 14 + 20;
		if (k == 0)
			icmp[8] = 0x44;
		else if (k == 1)
			icmp[8] = 0x65;
		else
			put16(icmp + 8 + 6, 0x0010);	/* a fragment past the first: no TCP header */
		put16(icmp + 2, 0);
		put16(icmp + 2, ref_cksum(icmp, n - 14 - 20));
		CHECK(drops_as(f, n, 0, MOS_DROP_ICMP_QUOTE));
	}
	/* a quoted IHL of 15 runs past the quote */
	n = unreach_frame(f, "10.0.0.1", "10.0.0.2", 1, "10.0.0.2", "10.0.0.9", IPPROTO_TCP, 20);
	f[14 + 20 + 8] = 0x4f;
	put16(f + 14 + 20 + 2, 0);
	put16(f + 14 + 20 + 2, ref_cksum(f + 14 + 20, n - 34));
	CHECK(drops_as(f, n, 0, MOS_DROP_ICMP_QUOTE));
	/* a bad ICMP checksum */
	n = unreach_frame(f, "10.0.0.1", "10.0.0.2", 1, "10.0.0.2", "10.0.0.9", IPPROTO_TCP, 8);
	f[n - 1] ^= 1;
	CHECK(drops_as(f, n, 0, MOS_DROP_ICMP_MALFORMED));
	CHECK_EQ(net.stats.icmp_errors_delivered, 2);
}

/* ---- routes, neighbours, output ---- */

TEST(route_and_neigh)
{
	uint16_t iface = 99;
	in_addr_t hop = 0;
	uint8_t m[6];

	setup();
	CHECK_EQ(mos_net_route(&net, ip("10.0.0.77"), &iface, &hop), 0);
	CHECK_EQ(iface, 0);
	CHECK_EQ(hop, ip("10.0.0.77"));
	CHECK_EQ(mos_net_route(&net, ip("10.1.200.1"), &iface, &hop), 0);
	CHECK_EQ(iface, 1);
	CHECK_EQ(mos_net_route(&net, ip("172.20.0.1"), &iface, &hop), 0);
	CHECK_EQ(iface, 1);
	CHECK_EQ(hop, ip("172.20.0.1"));	/* no gateways in mOS */
	CHECK_EQ(mos_net_route(&net, ip("192.168.9.9"), &iface, &hop), 0);
	CHECK_EQ(iface, 0);
	CHECK(neigh_is(hop, router_mac));	/* the prefix entry names the router */
	CHECK_EQ(mos_net_route(&net, ip("8.8.8.8"), &iface, &hop), -ENETUNREACH);
	CHECK_EQ(mos_net_neigh(&net, ip("10.0.0.77"), m), -ENOENT);
	CHECK(neigh_is(ip("10.0.0.4"), static_mac));
}

TEST(write_hdr_bytes_and_round_trip)
{
	static const char peer_mos[] =
		"mos { netdev { dpdk0 0x1 10.0.0.7/24 02:00:00:00:00:07 } }\n";
	static const uint8_t peer7[6] = { 0x02, 0, 0, 0, 0, 0x07 };
	static const uint8_t want[34] = {
		0x02, 0x00, 0x00, 0x00, 0x00, 0x07, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
		0x08, 0x00, 0x45, 0x00, 0x00, 0x2e, 0xff, 0xfe, 0x40, 0x00, 0x40, 0x06,
		0x00, 0x00, 0x0a, 0x00, 0x00, 0x02, 0x0a, 0x00, 0x00, 0x07,
	};
	struct mos_conf pc;
	struct mos_net pn;
	uint8_t f[128];
	uint16_t len;
	size_t tn;

	setup();
	setup_net(&pn, &pc, peer_mos);
	tn = tcp_seg(f + 34, "10.0.0.2", "10.0.0.7", "hello!");
	net.ip_id = 0xfffe;
	mos_net_write_hdr(&net, f, 0, peer7, ip("10.0.0.2"), ip("10.0.0.7"), IPPROTO_TCP,
			  (uint16_t)tn, true);
	CHECK(memcmp(f, want, 34) == 0);	/* checksum left 0 for the NIC */
	len = (uint16_t)(34 + tn);
	CHECK_EQ(feed_on(&pn, 0, f, &len, 0), MOS_NET_DROP);
	CHECK_EQ(pn.stats.drop[MOS_DROP_IP_CKSUM], 1);
	len = (uint16_t)(34 + tn);
	CHECK_EQ(feed_on(&pn, 0, f, &len, MOS_RX_IP_CKSUM_GOOD), MOS_NET_TCP);

	mos_net_write_hdr(&net, f, 0, peer7, ip("10.0.0.2"), ip("10.0.0.7"), IPPROTO_TCP,
			  (uint16_t)tn, false);
	CHECK_EQ(get16(f + 18), 0xffff);
	CHECK_EQ(ref_cksum(f + 14, 20), 0);
	mos_net_write_hdr(&net, f, 0, peer7, ip("10.0.0.2"), ip("10.0.0.7"), IPPROTO_TCP,
			  (uint16_t)tn, false);
	CHECK_EQ(get16(f + 18), 0x0000);	/* wrapped */
	CHECK_EQ(net.ip_id, 1);
	len = (uint16_t)(34 + tn);
	CHECK_EQ(feed_on(&pn, 0, f, &len, 0), MOS_NET_TCP);
	CHECK_EQ(seg.saddr, ip("10.0.0.2"));
	CHECK_EQ(seg.daddr, ip("10.0.0.7"));
	CHECK_EQ(seg.tcp_len, tn);
	CHECK_EQ(seg.ttl, 64);
	CHECK(memcmp(seg.src_mac, our_mac, 6) == 0);
	CHECK(memcmp(seg.tcp + 20, "hello!", 6) == 0);
	CHECK_EQ(pn.stats.tcp_delivered, 2);
}

/* The whole ARP dance: route, miss, ask, answer, learn, send. */
TEST(arp_resolution_round_trip)
{
	static const char peer_mos[] =
		"mos { netdev { dpdk0 0x1 10.0.0.7/24 02:00:00:00:00:07 } }\n";
	static const uint8_t peer7[6] = { 0x02, 0, 0, 0, 0, 0x07 };
	struct mos_conf pc;
	struct mos_net pn;
	uint8_t f[128], mac[6];
	uint16_t iface = 9, len;
	in_addr_t hop;
	size_t tn;

	setup();
	setup_net(&pn, &pc, peer_mos);
	REQUIRE(mos_net_route(&net, ip("10.0.0.7"), &iface, &hop) == 0);
	CHECK_EQ(iface, 0);
	CHECK_EQ(hop, ip("10.0.0.7"));
	CHECK_EQ(mos_net_neigh(&net, hop, mac), -ENOENT);

	len = mos_net_arp_request(&net, iface, hop, f);
	CHECK_EQ(feed_on(&pn, 0, f, &len, 0), MOS_NET_REPLY);	/* the peer answers */
	CHECK_EQ(len, 60);
	CHECK_EQ(feed_on(&net, 0, f, &len, 0), MOS_NET_CONSUMED);	/* we learn */
	CHECK_EQ(net.stats.arp_replies_learned, 1);

	CHECK_EQ(mos_net_neigh(&net, hop, mac), 0);
	CHECK(memcmp(mac, peer7, 6) == 0);
	CHECK_EQ(net.n_learned, 1);

	tn = tcp_seg(f + 34, "10.0.0.2", "10.0.0.7", "");
	mos_net_write_hdr(&net, f, iface, mac, ip("10.0.0.2"), hop, IPPROTO_TCP, (uint16_t)tn,
			  false);
	len = (uint16_t)(34 + tn);
	CHECK_EQ(feed_on(&pn, 0, f, &len, 0), MOS_NET_TCP);
	/* the peer learned us from our request */
	CHECK_EQ(pn.n_learned, 1);
}

/* ---- mutation run ---- */

/* What one frame did to the counters: true when it is one outcome and counted once. */
static bool accounted(const uint64_t *a, const uint64_t *b, enum mos_net_verdict v)
{
	uint64_t drops = 0, reply, consumed, tcp, icmp_err;

	for (int i = 0; i < MOS_DROP_COUNT; i++)
		drops += b[DROP_STAT(i)] - a[DROP_STAT(i)];
	reply = b[STAT(arp_requests_answered)] - a[STAT(arp_requests_answered)] +
		b[STAT(icmp_echo_answered)] - a[STAT(icmp_echo_answered)];
	consumed = b[STAT(arp_consumed)] - a[STAT(arp_consumed)];
	tcp = b[STAT(tcp_delivered)] - a[STAT(tcp_delivered)];
	icmp_err = b[STAT(icmp_errors_delivered)] - a[STAT(icmp_errors_delivered)];
	if (b[STAT(rx_frames)] - a[STAT(rx_frames)] != 1 ||
	    drops + reply + consumed + tcp + icmp_err != 1)
		return false;
	switch (v) {
	case MOS_NET_DROP:
		return drops == 1;
	case MOS_NET_CONSUMED:
		return consumed == 1;
	case MOS_NET_REPLY:
		return reply == 1;
	case MOS_NET_TCP:
		return tcp == 1;
	case MOS_NET_ICMP_ERR:
		return icmp_err == 1;
	}
	return false;
}

/* A reply must be a well-formed answer: an ARP reply or an echo reply that verifies. */
static bool reply_ok(const uint8_t *f, uint16_t len)
{
	if (len < 42 || (memcmp(f + 6, our_mac, 6) != 0 && memcmp(f + 6, our_mac1, 6) != 0) ||
	    (f[0] & 1))
		return false;
	if (get16(f + 12) == 0x0806)
		return (len == 42 || len == 60) && get16(f + 20) == 2;
	if (get16(f + 12) != 0x0800 || f[14] != 0x45 || get16(f + 16) + 14 > len)
		return false;
	return ref_cksum(f + 14, 20) == 0 && f[34] == 0 &&
	       ref_cksum(f + 34, get16(f + 16) - 20u) == 0;
}

static size_t seed_frame(uint8_t *f, unsigned which)
{
	uint8_t m[64];
	size_t n;

	switch (which) {
	case 0:
		return arp_frame(f, bcast, 1, peer_mac, "10.0.0.9", zero_mac, "10.0.0.2");
	case 1:
		n = arp_frame(f, our_mac, 2, peer_mac, "10.0.0.10", our_mac, "10.0.0.2");
		memset(f + n, 0, 18);
		return 60;
	case 2:
		return arp_frame(f, bcast, 1, peer_mac, "10.0.0.9", zero_mac, "10.0.0.9");
	case 3:
		return echo_frame(f, "10.0.0.9", "10.0.0.2", "epwget!");
	case 4:
		n = icmp_msg(m, 8, 0, "options and an even length");
		return ip_frame(f, "10.0.0.9", "10.0.0.2", IPPROTO_ICMP, m, n, 12);
	case 5:
		return tcp_frame(f, "10.0.0.9", "10.0.0.2", "HTTP/1.0 200 OK\r\n", 0);
	case 7:
		return unreach_frame(f, "10.0.0.1", "10.0.0.2", 1, "10.0.0.2", "10.0.0.9",
				     IPPROTO_TCP, 8);
	default:
		return tcp_frame(f, "10.0.0.9", "10.0.0.2", "x", 4);
	}
}

/* Damage f in place: flips, random bytes, truncation, extension. Returns the new length. */
static size_t mutate(uint8_t *f, size_t n, size_t cap)
{
	unsigned ops = 1 + (unsigned)(rnd() % 4);

	for (unsigned k = 0; k < ops; k++) {
		uint64_t r = rnd();

		switch (r % 8) {
		case 0: case 1: case 2:
			if (n > 0)
				f[(r >> 8) % n] ^= (uint8_t)(1u << ((r >> 40) % 8));
			break;
		case 3: case 4:
			if (n > 0)
				f[(r >> 8) % n] = (uint8_t)(r >> 40);
			break;
		case 5:
			n = (r >> 8) % (n + 1);
			break;
		case 6:
			if (n < cap) {
				size_t add = (r >> 8) % (cap - n + 1);

				memset(f + n, (int)(r >> 40) & 0xff, add);
				n += add;
			}
			break;
		default:
			/* keep the header checksum valid so deeper checks are reached */
			if (n >= 34 && get16(f + 12) == 0x0800 && (f[14] & 0xf) >= 5 &&
			    14 + (size_t)(f[14] & 0xf) * 4 <= n)
				fix_ip_cksum(f);
			break;
		}
	}
	return n;
}

TEST(mutation_run)
{
	enum { ROUNDS = 100000, CAP = 160 };
	static uint8_t f[CAP], orig[CAP];
	uint64_t verdicts[5] = { 0 };
	uint64_t a[N_STATS], b[N_STATS];
	unsigned bad_count = 0, bad_reply = 0;

	setup();
	rng_state = 0x5eed5eed5eedull;
	for (unsigned i = 0; i < ROUNDS; i++) {
		size_t n = seed_frame(f, i % 8);
		uint32_t flags = (rnd() % 8 == 0) ? MOS_RX_IP_CKSUM_GOOD | MOS_RX_L4_CKSUM_GOOD : 0;
		uint16_t len, iface = (uint16_t)(rnd() % 4 == 0);
		enum mos_net_verdict v;

		n = mutate(f, n, CAP);
		memcpy(orig, f, n);
		len = (uint16_t)n;
		stats_of(&net, a);
		v = feed_on(&net, iface, f, &len, flags);
		stats_of(&net, b);
		if ((unsigned)v > MOS_NET_ICMP_ERR) {
			CHECK(!"verdict out of range");
			break;
		}
		verdicts[v]++;
		if (!accounted(a, b, v) && bad_count++ < 5)
			fprintf(stderr, "  round %u: verdict %d not counted once\n", i, v);
		if (v == MOS_NET_REPLY && !reply_ok(f, len) && bad_reply++ < 5)
			fprintf(stderr, "  round %u: bad reply, %u bytes\n", i, len);
		if (v == MOS_NET_TCP && (seg.tcp < f + 34 || seg.tcp + seg.tcp_len > f + n ||
					 seg.tcp_len < 20))
			CHECK(!"segment view outside the frame");
		/* an ICMP error's quote: at least 8 bytes of TCP, inside the frame, unwritten */
		if (v == MOS_NET_ICMP_ERR &&
		    (seg.tcp < f + 62 || seg.tcp + seg.tcp_len > f + n || seg.tcp_len < 8 ||
		     memcmp(orig, f, n) != 0))
			CHECK(!"quote view outside the frame");
		if (v == MOS_NET_DROP && memcmp(orig, f, n) != 0)
			CHECK(!"a dropped frame was written to");
	}
	CHECK_EQ(bad_count, 0);
	CHECK_EQ(bad_reply, 0);
	CHECK_EQ(net.stats.rx_frames, ROUNDS);
	{
		uint64_t drops = 0;

		for (int i = 0; i < MOS_DROP_COUNT; i++)
			drops += net.stats.drop[i];
		CHECK_EQ(net.stats.rx_frames, drops + net.stats.arp_requests_answered +
			 net.stats.icmp_echo_answered + net.stats.arp_consumed +
			 net.stats.tcp_delivered + net.stats.icmp_errors_delivered);
		CHECK_EQ(drops, verdicts[MOS_NET_DROP]);
	}
	CHECK_EQ(net.stats.tcp_delivered, verdicts[MOS_NET_TCP]);
	CHECK_EQ(net.stats.icmp_errors_delivered, verdicts[MOS_NET_ICMP_ERR]);
	CHECK_EQ(net.stats.arp_consumed, verdicts[MOS_NET_CONSUMED]);
	CHECK_EQ(net.stats.arp_requests_answered + net.stats.icmp_echo_answered,
		 verdicts[MOS_NET_REPLY]);
	/* the run must reach every outcome, not die at the first check */
	for (int v = 0; v < 5; v++)
		CHECK(verdicts[v] > 100);
	CHECK(net.stats.icmp_echo_answered > 100);
	CHECK(net.n_learned <= MOS_ARP_LEARNED_MAX / 4 * 3);
	if (getenv("NET_VERBOSE") != NULL) {
		fprintf(stderr, "  drop %" PRIu64 " consumed %" PRIu64 " reply %" PRIu64
			" tcp %" PRIu64 " learned %u\n", verdicts[0], verdicts[1], verdicts[2],
			verdicts[3], net.n_learned);
		for (int i = 0; i < MOS_DROP_COUNT; i++)
			fprintf(stderr, "  drop[%d] %" PRIu64 "\n", i, net.stats.drop[i]);
	}
}

/* Runs last: every drop reason was seen, with its own counter, by some test above. */
TEST(every_drop_reason_is_exercised)
{
	if (getenv("CHECK_ONLY") != NULL)
		return;	/* a single case cannot see the others */
	for (int i = 0; i < MOS_DROP_COUNT; i++) {
		if (!covered[i]) {
			fprintf(stderr, "  drop reason %d never checked\n", i);
			CHECK(covered[i]);
		}
	}
}

static const struct check_case cases[] = {
	CASE(cksum_known_vector),
	CASE(cksum_matches_reference_on_random_buffers),
	CASE(cksum_long_buffer_does_not_overflow),
	CASE(cksum_pseudo_header),
	CASE(init_takes_addresses_macs_and_ports),
	CASE(ethernet_drops),
	CASE(arp_request_is_answered_in_place),
	CASE(arp_learns_replies_and_refreshes),
	CASE(arp_gratuitous_updates_known_only),
	CASE(owned_range_answered_and_taken),
	CASE(arp_static_entry_wins_over_learning),
	CASE(arp_drops),
	CASE(arp_learned_table_fills_then_counts),
	CASE(arp_request_writer),
	CASE(ip_header_drops),
	CASE(ip_fragments_ttl_and_protocol),
	CASE(ip_addresses),
	CASE(ip_options_skipped_and_padding_ignored),
	CASE(tcp_checksum_and_view),
	CASE(icmp_echo_is_answered_in_place),
	CASE(icmp_drops),
	CASE(icmp_unreachable_quoting_our_segment_goes_to_tcp),
	CASE(route_and_neigh),
	CASE(write_hdr_bytes_and_round_trip),
	CASE(arp_resolution_round_trip),
	CASE(mutation_run),
	CASE(every_drop_reason_is_exercised),
};

CHECK_MAIN(cases)
