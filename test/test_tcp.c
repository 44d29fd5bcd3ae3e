/*
 * test_tcp.c - TCP between two stack instances in memory.
 *
 * Two cores (10.0.0.1 and 10.0.0.2) are built with mos_core_setup over the
 * fake I/O module; a wire between their outboxes and inboxes can drop,
 * duplicate, reorder and corrupt frames from a seeded generator, and the
 * clock only moves when the test says so, so every run is the same run.
 * The socket layer is stubbed: TCP's upcalls are recorded here.
 */
#include "mos_core.h"
#include "mos_loop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "fake_dpdk.h"
#include "mos_tcp_priv.h"
#include "stack_pair.h"

#define ALL_PORTS MOS_RSS_PORT_FIRST, MOS_RSS_PORT_LAST	/* mos.conf's default */

#define A 0
#define B 1

static struct mos_core *core[2];
static struct mos_conf conf[2];
static struct mtcp_conf mc;

/* --- the socket layer's stand-in ------------------------------------------------ */

struct tsock {
	struct mos_stream *s;
	uint32_t events;
	int notifies;
	bool freed;
	int so_error;
};

void mos_sock_notify(struct mos_core *c, struct mos_stream *s, uint32_t events)
{
	struct tsock *t = s->sock;

	(void)c;
	t->notifies++;
	t->events = events;
	if (events == 0 && s->sock != NULL) {
		t->freed = true;
		t->so_error = s->so_error;
		t->s = NULL;
	}
}

/* --- the wire ---------------------------------------------------------------------- */

static struct {
	uint64_t rng;
	int loss, dup, reorder, corrupt;	/* per mille */
	bool down;				/* drop everything */
	struct fake_frame *held[2];		/* a frame delayed for reordering */
	unsigned delivered, dropped;
} wire;

static uint32_t rnd(void)
{
	wire.rng ^= wire.rng << 13;
	wire.rng ^= wire.rng >> 7;
	wire.rng ^= wire.rng << 17;
	return (uint32_t)wire.rng;
}

static void deliver(int from, struct fake_frame *f)
{
	int to = 1 - from;

	if (wire.down || (int)(rnd() % 1000) < wire.loss) {
		wire.dropped++;
		fake_io_free(f);
		return;
	}
	if ((int)(rnd() % 1000) < wire.corrupt && f->len > 14)
		f->data[14 + rnd() % (f->len - 14)] ^= (uint8_t)(1u << (rnd() % 8));
	if ((int)(rnd() % 1000) < wire.dup) {
		struct fake_frame *c = fake_io_frame(f->data, f->len);

		if (c != NULL && fake_io_give(to, c) != 0)
			fake_io_free(c);
	}
	if (wire.held[from] == NULL && (int)(rnd() % 1000) < wire.reorder) {
		wire.held[from] = f;	/* goes after the next frame */
		return;
	}
	wire.delivered++;
	if (fake_io_give(to, f) != 0)
		fake_io_free(f);
	if (wire.held[from] != NULL) {
		f = wire.held[from];
		wire.held[from] = NULL;
		if (fake_io_give(to, f) != 0)
			fake_io_free(f);
	}
}

/* Poll both cores and carry frames until nothing moves; then let `ms` milliseconds pass. */
static void run(unsigned ms)
{
	for (unsigned t = 0; t <= ms; t++) {
		for (int round = 0; round < 1000; round++) {
			int moved = mos_loop_poll(core[A]) + mos_loop_poll(core[B]);
			struct fake_frame *f;

			for (int i = 0; i < 2; i++)
				while ((f = fake_io_take(i)) != NULL) {
					deliver(i, f);
					moved++;
				}
			if (moved == 0)
				break;
		}
		if (t < ms)
			fake_io.now_us += 1000;
	}
	for (int i = 0; i < 2; i++)	/* nothing stays held across a test step */
		if (wire.held[i] != NULL) {
			fake_io_give(1 - i, wire.held[i]);
			wire.held[i] = NULL;
		}
}

/* --- set-up ---------------------------------------------------------------------------- */

static const char *const conf_text[2] = {
	"mos {\n netdev { dpdk0 0x1 10.0.0.1/24 02:00:00:00:00:01 }\n"
	" arp_table { 10.0.0.2/32 02:00:00:00:00:02 }\n}\n",
	"mos {\n netdev { dpdk0 0x1 10.0.0.2/24 02:00:00:00:00:02 }\n"
	" arp_table { 10.0.0.1/32 02:00:00:00:00:01 }\n}\n",
};

static void teardown(void)
{
	for (int i = 0; i < 2; i++) {
		free(core[i]);
		core[i] = NULL;
	}
}

static int setup(int bufsize, int timewait, int timeout)
{
	teardown();
	memset(&fake_io, 0, sizeof(fake_io));
	memset(&wire, 0, sizeof(wire));
	wire.rng = 0x2545f4914f6cdd1dULL;
	fake_io.now_us = 5000000;
	memset(&mc, 0, sizeof(mc));
	mc.num_cores = 1;
	mc.max_concurrency = 64;
	mc.max_num_buffers = 64;
	mc.rcvbuf_size = bufsize;
	mc.sndbuf_size = bufsize;
	mc.tcp_timewait = timewait;
	mc.tcp_timeout = timeout;
	for (int i = 0; i < 2; i++)
		if (stack_core_up(&core[i], &conf[i], "t.conf", conf_text[i], &mc, i,
				  1234 + (uint64_t)i) != 0)
			return -1;
	return 0;
}

static in_addr_t addr(int i)
{
	return conf[i].netdev[0].addr;
}

/* Every pool of both cores is back to empty and no frame is left anywhere. */
static void check_drained(void)
{
	for (int i = 0; i < 2; i++) {
		for (int p = 0; p < MOS_POOL_COUNT; p++)
			if (core[i]->pool[p].in_use != 0) {
				CHECK_FAIL_("core %d pool %s: %u in use", i, core[i]->pool[p].name,
					    core[i]->pool[p].in_use);
			}
		CHECK_EQ(core[i]->n_streams, 0);
		CHECK_EQ(core[i]->tuples.count, 0);
	}
	CHECK_EQ(fake_io.frames_used, 0);
	CHECK_EQ(fake_io.oversize, 0);
}

/* A connection A:aport -> B:80, accepted on B. */
struct pair {
	struct tsock ca, cb, l;
	struct mos_stream *a, *b, *lst;
};

static int open_pair(struct pair *p, uint16_t aport)
{
	int err;

	memset(p, 0, sizeof(*p));
	p->lst = mos_tcp_listen(core[B], htonl(INADDR_ANY), htons(80), 16, &p->l, &err);
	if (p->lst == NULL)
		return err;
	p->a = mos_tcp_connect(core[A], addr(A), htons(aport), addr(B), htons(80), false, &p->ca,
			       &err);
	if (p->a == NULL)
		return err;
	p->ca.s = p->a;
	run(5);
	p->b = mos_tcp_accept(core[B], p->lst);
	if (p->b == NULL)
		return -EAGAIN;
	p->b->sock = &p->cb;
	p->cb.s = p->b;
	return 0;
}

static void fill(uint8_t *buf, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)((i * 2654435761u + seed) >> 13);
}

/*
 * Send n bytes from x to y and read them on y, checking every byte; gives
 * up after limit_ms of simulated time. Returns the bytes that arrived right.
 */
static size_t transfer(int xi, struct mos_stream *x, struct mos_stream *y, size_t n,
		       unsigned limit_ms)
{
	static uint8_t src[1 << 22], dst[1 << 16];
	size_t sent = 0, got = 0;

	(void)xi;
	if (n > sizeof(src))
		n = sizeof(src);
	fill(src, n, 7);
	for (unsigned t = 0; t < limit_ms && got < n; t++) {
		long w = sent < n ? mos_tcp_send(core[xi], x, src + sent,
						 (uint32_t)(n - sent > 65536 ? 65536 : n - sent)) : 0;
		long r;

		if (w > 0)
			sent += (size_t)w;
		run(1);
		while ((r = mos_tcp_recv(core[1 - xi], y, dst, sizeof(dst))) > 0) {
			if (memcmp(dst, src + got, (size_t)r) != 0) {
				CHECK_FAIL_("bytes %zu..%zu differ", got, got + (size_t)r);
				return got;
			}
			got += (size_t)r;
		}
	}
	return got;
}

/* Both sides close (a first), then time passes: everything must be released. */
static void close_both(struct pair *p)
{
	mos_tcp_close(core[A], p->a);
	run(5);
	CHECK_EQ(p->b->state, MOS_TCP_CLOSE_WAIT);
	CHECK(mos_tcp_recv(core[B], p->b, (uint8_t[8]){ 0 }, 8) == 0);	/* EOF */
	mos_tcp_close(core[B], p->b);
	run(5);
	mos_tcp_close(core[B], p->lst);
	run(2000);
}

/* The pair and its listener reset and closed, time passes: everything must be released. */
static void abort_both(struct pair *p)
{
	mos_tcp_abort(core[A], p->a);
	mos_tcp_abort(core[B], p->b);
	mos_tcp_close(core[B], p->lst);
	run(10);
	check_drained();
}

/* --- the tests ---------------------------------------------------------------------- */

TEST(handshake_negotiates_options)
{
	struct pair p;

	REQUIRE(setup(262144, 0, 0) == 0);
	REQUIRE(open_pair(&p, 40000) == 0);
	CHECK_EQ(p.a->state, MOS_TCP_ESTABLISHED);
	CHECK_EQ(p.b->state, MOS_TCP_ESTABLISHED);
	CHECK(p.a->flags & MOS_SF_TS);
	CHECK(p.a->flags & MOS_SF_SACK);
	CHECK(p.a->flags & MOS_SF_WSCALE);
	CHECK(p.b->flags & MOS_SF_WSCALE);
	CHECK_EQ(p.a->rcv_wscale, 3);	/* 256 KiB needs a shift of 3 */
	CHECK_EQ(p.b->snd_wscale, 3);
	CHECK_EQ(p.a->mss, 1448);	/* 1460 less the timestamp option */
	CHECK_EQ(p.a->cwnd, 14480);	/* RFC 6928 */
	CHECK_EQ(p.a->snd_una, p.a->iss + 1);
	CHECK_EQ(p.b->rcv.nxt, p.a->iss + 1);
	CHECK(p.ca.events & MOS_EPOLLOUT);
	CHECK(p.l.events & MOS_EPOLLIN);	/* the listener was told of the child */
	CHECK_EQ(core[A]->tcp.active_opens, 1);
	CHECK_EQ(core[B]->tcp.passive_opens, 1);
	close_both(&p);
	check_drained();
}

/* Our MSS comes from the interface's MTU; one above Ethernet's (or untold) counts as 1,500. */
TEST(mss_follows_the_interface_mtu)
{
	struct pair p;

	REQUIRE(setup(65536, 0, 0) == 0);
	core[B]->net.iface[0].mtu = 1400;
	REQUIRE(open_pair(&p, 40001) == 0);
	CHECK_EQ(p.a->mss, 1348);	/* B announced 1360, less the timestamp option */
	CHECK_EQ(p.b->mss, 1348);	/* A's 1460, capped by B's own 1360 */
	close_both(&p);
	check_drained();
	/* jumbo ports: a frame is one mbuf, so 1,500 at most */
	REQUIRE(setup(65536, 0, 0) == 0);
	core[A]->net.iface[0].mtu = core[B]->net.iface[0].mtu = 9000;
	REQUIRE(open_pair(&p, 40002) == 0);
	CHECK_EQ(p.a->mss, 1448);
	CHECK_EQ(p.b->mss, 1448);
	close_both(&p);
	check_drained();
}

TEST(bulk_both_ways_with_window_scaling)
{
	struct pair p;

	uint64_t data_segs, acks;

	REQUIRE(setup(262144, 0, 0) == 0);
	REQUIRE(open_pair(&p, 40001) == 0);
	data_segs = core[A]->tcp.segs_out;
	acks = core[B]->tcp.segs_out;
	CHECK_EQ(transfer(A, p.a, p.b, 4u << 20, 20000), 4u << 20);
	data_segs = core[A]->tcp.segs_out - data_segs;
	acks = core[B]->tcp.segs_out - acks;
	/* delayed ACKs: about one ACK for every two full segments (RFC 9293 3.8.6.3) */
	CHECK(data_segs >= (4u << 20) / 1448);
	CHECK(acks * 10 < data_segs * 7);
	CHECK_EQ(transfer(B, p.b, p.a, 1u << 20, 20000), 1u << 20);
	CHECK(p.a->snd_wnd > 65535);	/* the scaled window was used */
	CHECK_EQ(core[A]->tcp.retransmits, 0);
	close_both(&p);
	check_drained();
}

TEST(one_byte_and_close_orders)
{
	struct pair p;

	REQUIRE(setup(16384, 1, 0) == 0);
	REQUIRE(open_pair(&p, 40002) == 0);
	CHECK_EQ(transfer(A, p.a, p.b, 1, 100), 1);
	/* the server closes first this time */
	mos_tcp_close(core[B], p.b);
	run(5);
	CHECK_EQ(p.a->state, MOS_TCP_CLOSE_WAIT);
	CHECK(p.ca.events & MOS_EPOLLRDHUP);
	CHECK(mos_tcp_recv(core[A], p.a, (uint8_t[4]){ 0 }, 4) == 0);
	mos_tcp_close(core[A], p.a);
	run(5);
	CHECK_EQ(core[A]->n_streams, 0);	/* LAST_ACK done */
	CHECK_EQ(core[B]->n_streams, 2);	/* the listener and the TIME_WAIT stream */
	run(1100);				/* tcp_timewait = 1 s */
	CHECK_EQ(core[B]->n_streams, 1);
	mos_tcp_close(core[B], p.lst);
	run(1);
	check_drained();
}

TEST(simultaneous_close)
{
	struct pair p;

	REQUIRE(setup(16384, 1, 0) == 0);
	REQUIRE(open_pair(&p, 40003) == 0);
	mos_tcp_close(core[A], p.a);
	mos_tcp_close(core[B], p.b);
	run(0);
	CHECK_EQ(p.a->state, MOS_TCP_TIME_WAIT);
	CHECK_EQ(p.b->state, MOS_TCP_TIME_WAIT);
	run(1100);
	mos_tcp_close(core[B], p.lst);
	run(1);
	check_drained();
}

TEST(simultaneous_open)
{
	struct tsock ta = { 0 }, tb = { 0 };
	struct mos_stream *a, *b;
	int err;

	REQUIRE(setup(16384, 0, 0) == 0);
	a = mos_tcp_connect(core[A], addr(A), htons(5000), addr(B), htons(6000), false, &ta, &err);
	b = mos_tcp_connect(core[B], addr(B), htons(6000), addr(A), htons(5000), false, &tb, &err);
	REQUIRE(a != NULL && b != NULL);
	run(3000);
	CHECK_EQ(a->state, MOS_TCP_ESTABLISHED);
	CHECK_EQ(b->state, MOS_TCP_ESTABLISHED);
	CHECK_EQ(transfer(A, a, b, 10000, 1000), 10000);
	mos_tcp_close(core[A], a);
	mos_tcp_close(core[B], b);
	run(100);
	check_drained();
}

TEST(closed_port_is_refused)
{
	struct tsock t = { 0 };
	struct mos_stream *a;
	int err;

	REQUIRE(setup(16384, 0, 0) == 0);
	a = mos_tcp_connect(core[A], addr(A), htons(5001), addr(B), htons(81), false, &t, &err);
	REQUIRE(a != NULL);
	run(10);
	CHECK_EQ(a->so_error, ECONNREFUSED);
	CHECK(t.events & MOS_EPOLLERR);
	CHECK_EQ(core[B]->tcp.rst_out, 1);
	CHECK_EQ(mos_tcp_recv(core[A], a, (uint8_t[4]){ 0 }, 4), -ECONNREFUSED);
	mos_tcp_close(core[A], a);
	check_drained();
}

TEST(silent_peer_times_out_after_the_syn_retries)
{
	struct tsock t = { 0 };
	struct mos_stream *a;
	int err;

	REQUIRE(setup(16384, 0, 0) == 0);
	wire.down = true;
	a = mos_tcp_connect(core[A], addr(A), htons(5002), addr(B), htons(80), false, &t, &err);
	REQUIRE(a != NULL);
	run(60000);
	CHECK_EQ(a->state, MOS_TCP_SYN_SENT);	/* 1+2+4+8+16 s: still trying */
	run(80000);
	CHECK_EQ(a->so_error, ETIMEDOUT);	/* after 127 s, as Linux with 6 retries */
	CHECK_EQ(wire.dropped, 1 + MOS_TCP_SYN_RETRIES);
	mos_tcp_close(core[A], a);
	check_drained();
}

TEST(lossy_wire_still_delivers_every_byte)
{
	struct pair p;

	REQUIRE(setup(65536, 0, 0) == 0);
	REQUIRE(open_pair(&p, 40004) == 0);
	wire.loss = 50;
	wire.reorder = 50;
	wire.dup = 10;
	wire.corrupt = 10;
	CHECK_EQ(transfer(A, p.a, p.b, 2u << 20, 600000), 2u << 20);
	CHECK_EQ(transfer(B, p.b, p.a, 1u << 20, 600000), 1u << 20);
	CHECK(core[A]->tcp.retransmits > 0);
	CHECK(core[A]->tcp.fast_retransmits > 0);
	CHECK(core[B]->tcp.ooo_segs > 0);
	CHECK(core[B]->tcp.sack_out > 0);	/* the holes were reported with SACK blocks */
	CHECK(core[B]->tcp.dup_segs > 0);	/* duplicated frames were recognised */
	CHECK(core[B]->net.stats.drop[MOS_DROP_TCP_CKSUM] + core[B]->net.stats.drop[MOS_DROP_IP_CKSUM] > 0);
	wire.loss = wire.reorder = wire.dup = wire.corrupt = 0;
	close_both(&p);
	check_drained();
}

TEST(zero_window_is_probed_and_reopens)
{
	static uint8_t buf[65536];
	struct pair p;
	size_t sent = 0, got = 0;
	long r;

	REQUIRE(setup(16384, 0, 0) == 0);
	REQUIRE(open_pair(&p, 40005) == 0);
	for (int i = 0; i < 10; i++) {	/* the receiver reads nothing */
		long w = mos_tcp_send(core[A], p.a, buf, sizeof(buf));

		sent += w > 0 ? (size_t)w : 0;
		run(10);
	}
	CHECK_EQ(sent, 2 * 16384);	/* its buffer and ours are full */
	CHECK_EQ(p.a->snd_wnd, 0);
	run(5000);
	CHECK(core[A]->tcp.zero_window_probes > 0);
	CHECK_EQ(p.a->state, MOS_TCP_ESTABLISHED);
	while (got < sent) {
		while ((r = mos_tcp_recv(core[B], p.b, buf, sizeof(buf))) > 0)
			got += (size_t)r;
		run(100);
	}
	CHECK_EQ(got, sent);
	CHECK(core[B]->tcp.window_updates > 0);
	close_both(&p);
	check_drained();
}

/*
 * RFC 9293 3.8.6.1: a peer that answers the probes keeps a zero window as
 * long as it likes; one that has gone never answers, and the stream must
 * end (found by fuzz_packet: a closed stream probed a silent zero window
 * forever, its buffers never freed).
 */
TEST(zero_window_probes_end_when_nobody_answers)
{
	static uint8_t buf[65536];
	struct pair p;

	REQUIRE(setup(16384, 0, 0) == 0);
	REQUIRE(open_pair(&p, 40007) == 0);
	for (int i = 0; i < 4; i++) {	/* fill B's buffer and ours: B reads nothing */
		mos_tcp_send(core[A], p.a, buf, sizeof(buf));
		run(10);
	}
	REQUIRE(p.a->snd_wnd == 0);
	run(600000);			/* ten minutes of answered probes */
	CHECK(core[A]->tcp.zero_window_probes > MOS_TCP_DATA_RETRIES);
	CHECK_EQ(p.a->state, MOS_TCP_ESTABLISHED);
	wire.down = true;		/* B is gone */
	mos_tcp_close(core[A], p.a);	/* an orphan with unsent data and its FIN */
	run(1000000);			/* 15 unanswered probes, 60 s apart at most */
	CHECK_EQ(core[A]->n_streams, 0);
	CHECK_EQ(core[A]->tcp.conn_timeout, 1);
	wire.down = false;
	mos_tcp_abort(core[B], p.b);
	mos_tcp_close(core[B], p.lst);
	run(1);
	check_drained();
}

TEST(idle_timeout_resets)
{
	struct pair p;

	REQUIRE(setup(16384, 0, 2) == 0);
	REQUIRE(open_pair(&p, 40006) == 0);
	run(1000);
	CHECK_EQ(p.a->state, MOS_TCP_ESTABLISHED);
	run(1500);
	CHECK_EQ(p.a->so_error, ETIMEDOUT);
	CHECK(p.b->so_error == ECONNRESET || p.b->so_error == ETIMEDOUT);
	mos_tcp_close(core[A], p.a);
	mos_tcp_close(core[B], p.b);
	mos_tcp_close(core[B], p.lst);
	run(1);
	check_drained();
}

/* --- hand-made segments ---------------------------------------------------------- */

/*
 * A segment as the peer of x (the stream on core xi) would send it, given
 * straight to core xi: our header bytes, flags and options, a valid
 * checksum unless bad_cksum.
 */
static uint16_t inject_window = 0xffff;	/* the window field of injected segments */

static void inject(int xi, const struct mos_stream *x, uint32_t seq, uint32_t ack, uint8_t flags,
		   const uint8_t *opts, int optlen, int doff_words, const char *data)
{
	struct fake_frame *f = fake_io_frame(NULL, 0);
	uint16_t dlen = (uint16_t)(data ? strlen(data) : 0);
	uint16_t hlen = (uint16_t)(MOS_TCP_HLEN + optlen), tcp_len = (uint16_t)(hlen + dlen);
	uint8_t *th;
	uint16_t c;

	REQUIRE(f != NULL);
	mos_net_write_hdr(&core[1 - xi]->net, f->data, 0, conf[xi].netdev[0].mac, x->tuple.key.raddr,
			  x->tuple.key.laddr, IPPROTO_TCP, tcp_len, false);
	th = f->data + MOS_NET_HDR_MAX;
	memset(th, 0, MOS_TCP_HLEN);
	memcpy(th, &x->tuple.key.rport, 2);
	memcpy(th + 2, &x->tuple.key.lport, 2);
	for (int i = 0; i < 4; i++) {
		th[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
		th[8 + i] = (uint8_t)(ack >> (24 - 8 * i));
	}
	th[12] = (uint8_t)((doff_words ? doff_words : hlen / 4) << 4);
	th[13] = flags;
	th[14] = (uint8_t)(inject_window >> 8);
	th[15] = (uint8_t)inject_window;
	if (optlen != 0)
		memcpy(th + MOS_TCP_HLEN, opts, (size_t)optlen);
	if (dlen != 0)
		memcpy(th + hlen, data, dlen);
	c = mos_cksum_fold(mos_cksum_add(mos_cksum_pseudo(x->tuple.key.raddr, x->tuple.key.laddr,
							  IPPROTO_TCP, tcp_len), th, tcp_len));
	th[16] = (uint8_t)(c >> 8);
	th[17] = (uint8_t)c;
	f->len = (uint16_t)(MOS_NET_HDR_MAX + tcp_len);
	REQUIRE(fake_io_give(xi, f) == 0);
	mos_loop_poll(core[xi]);
}

/*
 * An ICMP destination unreachable (code) from the peer of x (the stream on
 * core xi) quoting x's segment at seq: the quoted IPv4 header from x's side
 * and 8 bytes of TCP (RFC 792), given straight to core xi. port_delta moves
 * the quoted source port (a 4-tuple that is no stream).
 */
static void inject_icmp(int xi, const struct mos_stream *x, uint8_t code, uint32_t seq,
			int port_delta)
{
	struct fake_frame *f = fake_io_frame(NULL, 0);
	uint8_t *icmp, *q, *th;
	uint16_t len = 8 + MOS_IP_HLEN + 8, c;
	in_port_t sport = htons((uint16_t)(ntohs(x->tuple.key.lport) + port_delta));

	REQUIRE(f != NULL);
	mos_net_write_hdr(&core[1 - xi]->net, f->data, 0, conf[xi].netdev[0].mac, x->tuple.key.raddr,
			  x->tuple.key.laddr, IPPROTO_ICMP, len, false);
	icmp = f->data + MOS_NET_HDR_MAX;
	memset(icmp, 0, len);
	icmp[0] = MOS_ICMP_UNREACH;
	icmp[1] = code;
	q = icmp + 8;	/* the segment as x sent it: x's address and port first */
	mos_net_write_hdr(&core[xi]->net, f->data + 512, 0, conf[1 - xi].netdev[0].mac,
			  x->tuple.key.laddr, x->tuple.key.raddr, IPPROTO_TCP, MOS_TCP_HLEN, false);
	memcpy(q, f->data + 512 + MOS_ETH_HLEN, MOS_IP_HLEN);
	th = q + MOS_IP_HLEN;
	memcpy(th, &sport, 2);
	memcpy(th + 2, &x->tuple.key.rport, 2);
	for (int i = 0; i < 4; i++)
		th[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
	c = mos_cksum_fold(mos_cksum_add(0, icmp, len));
	icmp[2] = (uint8_t)(c >> 8);
	icmp[3] = (uint8_t)c;
	f->len = (uint16_t)(MOS_NET_HDR_MAX + len);
	REQUIRE(fake_io_give(xi, f) == 0);
	mos_loop_poll(core[xi]);
}

/*
 * RFC 1122 4.2.3.9, RFC 5927, as Linux: a destination unreachable quoting
 * our SYN fails the connection at once (host: EHOSTUNREACH, counted
 * unreachable; port: ECONNREFUSED), not after the SYN retries; one quoting
 * a sequence number outside SND.UNA..SND.MAX, or no stream, is ignored and
 * counted; fragmentation-needed is counted and ignored (path MTU: not yet).
 */
TEST(icmp_unreachable_fails_a_syn_sent_stream_at_once)
{
	struct tsock t[3] = { { 0 } };
	struct mos_stream *a[3];
	int err;

	REQUIRE(setup(16384, 0, 0) == 0);
	wire.down = true;	/* the SYNs go nowhere */
	for (int i = 0; i < 3; i++) {
		a[i] = mos_tcp_connect(core[A], addr(A), htons((uint16_t)(5010 + i)), addr(B),
				       htons(80), false, &t[i], &err);
		REQUIRE(a[i] != NULL);
		t[i].s = a[i];
	}
	run(1);
	REQUIRE(a[0]->snd_max == a[0]->iss + 1);
	/* outside the window, no stream, path MTU: all three still wait */
	inject_icmp(A, a[0], MOS_ICMP_UNREACH_HOST, a[0]->iss + 1000, 0);
	CHECK_EQ(core[A]->tcp.icmp_bad_seq, 1);
	inject_icmp(A, a[0], MOS_ICMP_UNREACH_HOST, a[0]->iss, 100);
	CHECK_EQ(core[A]->tcp.icmp_no_stream, 1);
	inject_icmp(A, a[0], MOS_ICMP_UNREACH_NEEDFRAG, a[0]->iss, 0);
	CHECK_EQ(core[A]->tcp.icmp_frag_needed, 1);
	inject_icmp(A, a[0], 5, a[0]->iss, 0);	/* source route failed: no action */
	CHECK_EQ(core[A]->tcp.icmp_other_code, 1);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(a[i]->state, MOS_TCP_SYN_SENT);
	CHECK_EQ(core[A]->tcp.icmp_in, 4);
	CHECK_EQ(core[A]->net.stats.icmp_errors_delivered, 4);

	/* the right quote: failed within the same turn of the loop, no time passing */
	inject_icmp(A, a[0], MOS_ICMP_UNREACH_HOST, a[0]->iss, 0);
	CHECK_EQ(a[0]->state, MOS_TCP_CLOSED);
	CHECK_EQ(a[0]->so_error, EHOSTUNREACH);
	CHECK(t[0].events & MOS_EPOLLERR);
	CHECK_EQ(mos_tcp_recv(core[A], a[0], (uint8_t[4]){ 0 }, 4), -EHOSTUNREACH);
	inject_icmp(A, a[1], MOS_ICMP_UNREACH_PORT, a[1]->iss, 0);
	CHECK_EQ(a[1]->so_error, ECONNREFUSED);
	inject_icmp(A, a[2], MOS_ICMP_UNREACH_FILTER, a[2]->iss, 0);	/* nft's admin-prohibited */
	CHECK_EQ(a[2]->so_error, EHOSTUNREACH);
	CHECK_EQ(core[A]->tcp.unreachable, 2);
	CHECK_EQ(core[A]->tcp.conn_refused, 1);
	CHECK_EQ(core[A]->tcp.conn_timeout, 0);
	CHECK_EQ(core[A]->tcp.retransmits, 0);	/* no SYN went twice */
	CHECK_EQ(wire.dropped, 3);
	/* a late copy finds no stream */
	for (int i = 0; i < 3; i++)
		mos_tcp_close(core[A], a[i]);
	run(1);
	check_drained();
}

/*
 * RFC 1122 4.2.3.9: on an established connection a destination unreachable
 * is soft: recorded, the connection stays; new data acknowledged forgets
 * it; if the connection then times out, it is the error reported.
 */
TEST(icmp_unreachable_on_an_established_stream_is_soft)
{
	struct pair p;

	REQUIRE(setup(16384, 0, 2) == 0);
	REQUIRE(open_pair(&p, 40030) == 0);
	inject_icmp(A, p.a, MOS_ICMP_UNREACH_HOST, p.a->snd_una, 0);
	CHECK_EQ(p.a->state, MOS_TCP_ESTABLISHED);
	CHECK_EQ(core[A]->tcp.icmp_soft, 1);
	CHECK_EQ(p.a->soft_error, EHOSTUNREACH);
	CHECK_EQ(p.a->so_error, 0);
	CHECK(!(p.ca.events & MOS_EPOLLERR));
	CHECK_EQ(transfer(A, p.a, p.b, 3000, 100), 3000);	/* still a working connection */
	CHECK_EQ(p.a->soft_error, 0);	/* and the path works: forgotten */
	/* again, then the peer goes silent: the idle timeout reports the ICMP's error */
	inject_icmp(A, p.a, MOS_ICMP_UNREACH_NET, p.a->snd_una, 0);
	CHECK_EQ(p.a->soft_error, ENETUNREACH);
	wire.down = true;
	run(2500);
	CHECK_EQ(p.a->so_error, ENETUNREACH);
	CHECK_EQ(core[A]->tcp.unreachable, 1);
	mos_tcp_close(core[A], p.a);
	mos_tcp_close(core[B], p.b);
	mos_tcp_close(core[B], p.lst);
	run(1);
	check_drained();
}

TEST(rfc5961_reset_and_syn_checks)
{
	struct pair p;
	uint64_t acks;

	REQUIRE(setup(16384, 0, 0) == 0);
	REQUIRE(open_pair(&p, 40010) == 0);
	/* a reset inside the window but not at RCV.NXT: challenge ACK, connection lives */
	acks = core[A]->tcp.challenge_acks;
	inject(A, p.a, p.a->rcv.nxt + 100, 0, MOS_TH_RST, NULL, 0, 0, NULL);
	CHECK_EQ(core[A]->tcp.challenge_acks, acks + 1);
	CHECK_EQ(p.a->state, MOS_TCP_ESTABLISHED);
	/* a reset outside the window: dropped silently */
	inject(A, p.a, p.a->rcv.nxt + 1000000, 0, MOS_TH_RST, NULL, 0, 0, NULL);
	CHECK_EQ(p.a->state, MOS_TCP_ESTABLISHED);
	/* a SYN on an established connection: challenge ACK (RFC 5961 4.2) */
	inject(A, p.a, p.a->rcv.nxt, 0, MOS_TH_SYN, NULL, 0, 0, NULL);
	CHECK_EQ(core[A]->tcp.challenge_acks, acks + 2);
	CHECK_EQ(p.a->state, MOS_TCP_ESTABLISHED);
	/* an ACK of data never sent: dropped, answered (RFC 9293 3.10.7.4 fifth check) */
	inject(A, p.a, p.a->rcv.nxt, p.a->snd_max + 5000, MOS_TH_ACK, NULL, 0, 0, "x");
	CHECK_EQ(core[A]->tcp.drop_future_ack, 1);
	CHECK_EQ(p.a->rcv.len, 0);
	/* an old ACK far below SND.UNA - MAX.SND.WND (RFC 5961 5.2) */
	inject(A, p.a, p.a->rcv.nxt, p.a->snd_una - 10000000, MOS_TH_ACK, NULL, 0, 0, NULL);
	CHECK_EQ(core[A]->tcp.drop_old_ack, 1);
	run(5);
	CHECK_EQ(transfer(A, p.a, p.b, 5000, 100), 5000);	/* still a working connection */
	/* the exact reset ends it */
	inject(A, p.a, p.a->rcv.nxt, 0, MOS_TH_RST, NULL, 0, 0, NULL);
	CHECK_EQ(p.a->so_error, ECONNRESET);
	CHECK(p.ca.events & MOS_EPOLLERR);
	mos_tcp_close(core[A], p.a);
	mos_tcp_abort(core[B], p.b);
	mos_tcp_close(core[B], p.lst);
	run(10);
	check_drained();
}

TEST(malformed_segments_are_counted_and_dropped)
{
	static const uint8_t overrun[4] = { TCP_OPT_MSS, 40, 0, 0 };	/* runs past the header */
	static const uint8_t zero_len[4] = { TCP_OPT_WSCALE, 0, 0, 0 };
	struct pair p;

	REQUIRE(setup(16384, 0, 0) == 0);
	REQUIRE(open_pair(&p, 40011) == 0);
	inject(A, p.a, p.a->rcv.nxt, p.a->snd_una, MOS_TH_ACK, NULL, 0, 4, NULL);	/* doff 4 */
	inject(A, p.a, p.a->rcv.nxt, p.a->snd_una, MOS_TH_ACK, NULL, 0, 15, "abc");	/* past end */
	CHECK_EQ(core[A]->tcp.drop_bad_offset, 2);
	inject(A, p.a, p.a->rcv.nxt, p.a->snd_una, MOS_TH_ACK, overrun, 4, 0, NULL);
	inject(A, p.a, p.a->rcv.nxt, p.a->snd_una, MOS_TH_ACK, zero_len, 4, 0, NULL);
	CHECK_EQ(core[A]->tcp.drop_bad_options, 2);
	inject(A, p.a, p.a->rcv.nxt, p.a->snd_una, MOS_TH_SYN | MOS_TH_FIN, NULL, 0, 0, NULL);
	inject(A, p.a, p.a->rcv.nxt, p.a->snd_una, MOS_TH_SYN | MOS_TH_RST, NULL, 0, 0, NULL);
	inject(A, p.a, p.a->rcv.nxt, p.a->snd_una, 0, NULL, 0, 0, "no flags");
	CHECK_EQ(core[A]->tcp.drop_bad_flags, 3);
	/* data far outside the window: not taken, answered with an ACK */
	inject(A, p.a, p.a->rcv.nxt + 1000000, p.a->snd_una, MOS_TH_ACK, NULL, 0, 0, "far");
	CHECK_EQ(core[A]->tcp.drop_unacceptable, 1);
	CHECK_EQ(p.a->rcv.len, 0);
	CHECK_EQ(p.a->state, MOS_TCP_ESTABLISHED);
	run(5);
	CHECK_EQ(transfer(B, p.b, p.a, 3000, 100), 3000);
	close_both(&p);
	check_drained();
}

TEST(paws_drops_old_timestamps)
{
	uint8_t ts[12] = { TCP_OPT_NOP, TCP_OPT_NOP, TCP_OPT_TS, 10 };
	struct pair p;
	uint32_t old;

	REQUIRE(setup(16384, 0, 0) == 0);
	REQUIRE(open_pair(&p, 40012) == 0);
	REQUIRE(p.a->flags & MOS_SF_TS);
	old = p.a->ts_recent - 1000;
	for (int i = 0; i < 4; i++)
		ts[4 + i] = (uint8_t)(old >> (24 - 8 * i));
	inject(A, p.a, p.a->rcv.nxt, p.a->snd_una, MOS_TH_ACK | MOS_TH_PSH, ts, 12, 0, "stale");
	CHECK_EQ(core[A]->tcp.drop_paws, 1);
	CHECK_EQ(p.a->rcv.len, 0);
	close_both(&p);
	check_drained();
}

TEST(data_after_fin_is_dropped)
{
	struct pair p;
	uint32_t fin_seq;

	REQUIRE(setup(16384, 0, 0) == 0);
	REQUIRE(open_pair(&p, 40013) == 0);
	fin_seq = p.a->rcv.nxt;
	inject(A, p.a, fin_seq, p.a->snd_una, MOS_TH_ACK | MOS_TH_FIN, NULL, 0, 0, NULL);
	CHECK_EQ(p.a->state, MOS_TCP_CLOSE_WAIT);
	inject(A, p.a, fin_seq + 1, p.a->snd_una, MOS_TH_ACK, NULL, 0, 0, "late");
	CHECK_EQ(core[A]->tcp.data_after_fin + core[A]->tcp.drop_unacceptable, 1);
	CHECK_EQ(p.a->rcv.len, 0);
	CHECK(mos_tcp_recv(core[A], p.a, (uint8_t[8]){ 0 }, 8) == 0);
	mos_tcp_abort(core[A], p.a);
	mos_tcp_abort(core[B], p.b);
	mos_tcp_close(core[B], p.lst);
	run(10);
	check_drained();
}

/*
 * A FIN in order while bytes wait out of order just beyond it (at RCV.NXT + 1):
 * those bytes are void, and the out-of-order queue must not be left with a
 * range that starts at the new RCV.NXT (found by fuzz_packet).
 */
TEST(fin_in_order_voids_the_out_of_order_queue)
{
	struct pair p;
	uint32_t nxt;

	REQUIRE(setup(16384, 0, 0) == 0);
	REQUIRE(open_pair(&p, 40014) == 0);
	nxt = p.a->rcv.nxt;
	inject(A, p.a, nxt + 1, p.a->snd_una, MOS_TH_ACK, NULL, 0, 0, "beyond");
	CHECK_EQ(p.a->rcv.n_ooo, 1);
	inject(A, p.a, nxt, p.a->snd_una, MOS_TH_ACK | MOS_TH_FIN, NULL, 0, 0, NULL);
	CHECK_EQ(p.a->state, MOS_TCP_CLOSE_WAIT);
	CHECK_EQ(p.a->rcv.nxt, nxt + 1);
	CHECK_EQ(p.a->rcv.n_ooo, 0);
	CHECK(mos_tcp_recv(core[A], p.a, (uint8_t[8]){ 0 }, 8) == 0);	/* EOF, no stray bytes */
	mos_tcp_abort(core[A], p.a);
	mos_tcp_abort(core[B], p.b);
	mos_tcp_close(core[B], p.lst);
	run(10);
	check_drained();
}

/* A SACK option (NOP, NOP, one block) for [start, end). */
static void sack_opt(uint8_t o[12], uint32_t start, uint32_t end)
{
	o[0] = TCP_OPT_NOP;
	o[1] = TCP_OPT_NOP;
	o[2] = TCP_OPT_SACK;
	o[3] = 10;
	for (int i = 0; i < 4; i++) {
		o[4 + i] = (uint8_t)(start >> (24 - 8 * i));
		o[8 + i] = (uint8_t)(end >> (24 - 8 * i));
	}
}

/*
 * Three duplicate ACKs, the first with a changed window (a Linux receiver
 * grows its window while it reports losses) but a new SACK block: fast
 * retransmit, in whichever half of the sequence space the connection's
 * numbers lie. Found from fuzz_packet's coverage: the highest SACKed
 * sequence started at 0, so SACK blocks more than 2^31 above 0 were never
 * new and such duplicate ACKs never counted.
 */
TEST(sack_dupacks_count_in_either_half_of_the_sequence_space)
{
	static uint8_t buf[5 * 1448];

	for (uint32_t half = 0; half < 2; half++) {
		struct pair p;
		uint16_t port = 40030;
		uint8_t o[12];
		uint32_t una;

		do {
			REQUIRE(setup(65536, 0, 0) == 0);
			REQUIRE(open_pair(&p, port++) == 0);
		} while ((p.a->snd_una >> 31) != half && port < 40100);
		REQUIRE((p.a->snd_una >> 31) == half);
		wire.down = true;	/* A's data is lost; B's ACKs are made here */
		REQUIRE(mos_tcp_send(core[A], p.a, buf, sizeof(buf)) == (long)sizeof(buf));
		run(0);
		una = p.a->snd_una;
		REQUIRE(p.a->snd_max == una + sizeof(buf));
		for (uint32_t i = 0; i < 3; i++) {
			sack_opt(o, una + p.a->mss, una + (i + 2) * p.a->mss);
			inject(A, p.a, p.a->rcv.nxt, una, MOS_TH_ACK, o, 12, 0, NULL);
		}
		CHECK_EQ(core[A]->tcp.fast_retransmits, 1);
		wire.down = false;
		mos_tcp_abort(core[A], p.a);
		mos_tcp_abort(core[B], p.b);
		mos_tcp_close(core[B], p.lst);
		run(10);
		check_drained();
	}
}

/*
 * Many short flows as epwget makes them, on a wire losing 10% of frames:
 * the server writes 64 bytes and closes after the client's FIN; the client
 * reads 64 bytes and closes. Every flow must finish, none by a timeout.
 */
TEST(short_flows_survive_heavy_loss)
{
	enum { FLOWS = 300, CONC = 30 };
	enum { SRV = 8 * CONC };	/* server streams outlive their clients' slots */
	static struct tsock tc[CONC], ts[SRV];
	struct mos_stream *c[CONC] = { 0 }, *sv[SRV] = { 0 }, *l;
	struct tsock tl = { 0 };
	int started = 0, done = 0, err, failures = 0;
	uint8_t buf[128];

	REQUIRE(setup(16384, 0, 0) == 0);
	l = mos_tcp_listen(core[B], htonl(INADDR_ANY), htons(80), 64, &tl, &err);
	REQUIRE(l != NULL);
	wire.loss = 100;
	for (int t = 0; t < 600000; t++) {
		struct mos_stream *a;
		int open = 0;

		for (int i = 0; i < CONC && started < FLOWS; i++)
			if (c[i] == NULL) {
				memset(&tc[i], 0, sizeof(tc[i]));
				c[i] = mos_tcp_connect(core[A], addr(A), htons((uint16_t)(20000 + started)),
						       addr(B), htons(80), false, &tc[i], &err);
				REQUIRE(c[i] != NULL);
				started++;
			}
		while ((a = mos_tcp_accept(core[B], l)) != NULL) {
			int j = 0;

			while (j < SRV && sv[j] != NULL)
				j++;
			REQUIRE(j < SRV);
			sv[j] = a;
			memset(&ts[j], 0, sizeof(ts[j]));
			a->sock = &ts[j];
			REQUIRE(mos_tcp_send(core[B], a, buf, 64) == 64);
		}
		run(1);
		for (int i = 0; i < SRV; i++) {
			if (sv[i] != NULL && (sv[i]->so_error != 0 ||
			    mos_tcp_recv(core[B], sv[i], buf, sizeof(buf)) == 0)) {
				mos_tcp_close(core[B], sv[i]);
				sv[i] = NULL;
			}
			open += sv[i] != NULL;
		}
		if (done == FLOWS && open == 0)
			break;
		for (int i = 0; i < CONC; i++) {
			if (c[i] == NULL)
				continue;
			if (c[i]->so_error != 0) {
				failures++;
				fprintf(stderr, "  flow failed: %s in %s\n", strerror(c[i]->so_error),
					mos_tcp_state_name(c[i]->state));
			} else if (c[i]->rcv.len < 64) {
				continue;
			} else {
				CHECK_EQ(mos_tcp_recv(core[A], c[i], buf, sizeof(buf)), 64);
			}
			mos_tcp_close(core[A], c[i]);
			c[i] = NULL;
			done++;
		}
	}
	CHECK_EQ(done, FLOWS);
	CHECK_EQ(failures, 0);
	wire.loss = 0;
	run(130000);	/* a FIN backed off by several losses takes a while to come again */
	for (uint32_t i = 0; i <= core[B]->tuples.mask; i++)
		for (struct mos_tuple_node *n = core[B]->tuples.bucket[i]; n != NULL; n = n->next) {
			struct mos_stream *x = stream_of_flow(n);

			fprintf(stderr, "  left: %s flags %x sock %p listener %p so_error %d\n",
				mos_tcp_state_name(x->state), x->flags, x->sock, (void *)x->listener,
				x->so_error);
		}
	mos_tcp_close(core[B], l);
	run(1);
	check_drained();
}

/* Move every frame waiting in core i's outbox to the other core's inbox. */
static int carry(int i)
{
	struct fake_frame *f;
	int n = 0;

	while ((f = fake_io_take(i)) != NULL) {
		REQUIRE_RET(fake_io_give(1 - i, f) == 0, n);
		n++;
	}
	return n;
}

/*
 * The peer's ACK of our FIN and its own FIN arrive in one burst (as from a
 * kernel whose application closes at once): with tcp_timewait 0 the final
 * ACK must still go out before the stream is freed.
 */
TEST(final_ack_sent_when_ack_and_fin_arrive_together)
{
	struct pair p;

	REQUIRE(setup(16384, 0, 0) == 0);
	REQUIRE(open_pair(&p, 40020) == 0);
	mos_tcp_close(core[A], p.a);
	mos_loop_poll(core[A]);		/* FIN out */
	carry(A);
	mos_loop_poll(core[B]);		/* B: CLOSE_WAIT, the ACK held for an answer */
	mos_loop_poll(core[B]);		/* none came: the ACK out alone */
	CHECK(mos_tcp_recv(core[B], p.b, (uint8_t[4]){ 0 }, 4) == 0);
	mos_tcp_close(core[B], p.b);
	mos_loop_poll(core[B]);		/* B: LAST_ACK, FIN out */
	CHECK_EQ(carry(B), 2);		/* the ACK and the FIN together */
	mos_loop_poll(core[A]);
	CHECK_EQ(carry(A), 1);		/* the final ACK */
	mos_loop_poll(core[B]);
	CHECK_EQ(core[B]->n_streams, 1);	/* only the listener: LAST_ACK ended by the ACK */
	run(10);
	CHECK_EQ(core[A]->tcp.rst_out + core[B]->tcp.rst_out, 0);
	mos_tcp_close(core[B], p.lst);
	run(1);
	check_drained();
}

/* A listener closed while a handshake is half done: the child goes too (no dangling listener). */
/*
 * A short HTTP flow, one poll a side at a time, the application acting
 * between polls as it does between two mtcp_epoll_wait calls: the ACK of
 * the SYN-ACK rides on the request, the ACK of the request on the response,
 * which carries the FIN, and the client's FIN carries the ACK of the
 * server's: three segments each way.
 */
TEST(short_flow_takes_three_segments_each_way)
{
	static const char req[] = "GET / HTTP/1.0\r\n\r\n", resp[] = "HTTP/1.0 200 OK\r\n\r\nhi";
	struct tsock ca = { 0 }, cb = { 0 }, l = { 0 };
	struct mos_stream *a, *b, *lst;
	uint8_t buf[64];
	int err, sent[2] = { 0, 0 };

	REQUIRE(setup(16384, 0, 0) == 0);
	lst = mos_tcp_listen(core[B], htonl(INADDR_ANY), htons(80), 16, &l, &err);
	a = mos_tcp_connect(core[A], addr(A), htons(40030), addr(B), htons(80), false, &ca, &err);
	REQUIRE(lst != NULL && a != NULL);
	ca.s = a;
	mos_loop_poll(core[A]);				/* SYN */
	sent[A] += carry(A);
	mos_loop_poll(core[B]);				/* SYN-ACK */
	sent[B] += carry(B);
	mos_loop_poll(core[A]);				/* established; its ACK waits */
	CHECK_EQ(carry(A), 0);
	CHECK_EQ(mos_tcp_send(core[A], a, req, sizeof(req) - 1), sizeof(req) - 1);
	mos_loop_poll(core[A]);				/* the request and the ACK */
	sent[A] += carry(A);
	mos_loop_poll(core[B]);				/* accepted, the request read; ACK waits */
	CHECK_EQ(carry(B), 0);
	b = mos_tcp_accept(core[B], lst);
	REQUIRE(b != NULL);
	b->sock = &cb;
	cb.s = b;
	CHECK_EQ(mos_tcp_recv(core[B], b, buf, sizeof(buf)), sizeof(req) - 1);
	CHECK_EQ(mos_tcp_send(core[B], b, resp, sizeof(resp) - 1), sizeof(resp) - 1);
	mos_tcp_close(core[B], b);
	mos_loop_poll(core[B]);				/* response, FIN and ACK in one */
	sent[B] += carry(B);
	mos_loop_poll(core[A]);
	CHECK_EQ(carry(A), 0);
	CHECK_EQ(mos_tcp_recv(core[A], a, buf, sizeof(buf)), sizeof(resp) - 1);
	CHECK_EQ(mos_tcp_recv(core[A], a, buf, sizeof(buf)), 0);
	mos_tcp_close(core[A], a);
	mos_loop_poll(core[A]);				/* FIN and ACK in one */
	sent[A] += carry(A);
	mos_loop_poll(core[B]);				/* the last ACK */
	sent[B] += carry(B);
	mos_loop_poll(core[A]);				/* A: LAST_ACK ends */
	CHECK_EQ(carry(A), 0);
	CHECK_EQ(sent[A], 3);
	CHECK_EQ(sent[B], 3);
	CHECK_EQ(core[A]->n_streams, 0);
	CHECK_EQ(core[A]->tcp.retransmits + core[B]->tcp.retransmits, 0);
	mos_tcp_close(core[B], lst);
	run(1);
	check_drained();
}

TEST(listener_closed_with_a_half_open_child)
{
	struct tsock t = { 0 }, tl = { 0 };
	struct mos_stream *a, *l;
	struct fake_frame *f;
	int err;

	REQUIRE(setup(16384, 0, 0) == 0);
	l = mos_tcp_listen(core[B], htonl(INADDR_ANY), htons(80), 4, &tl, &err);
	a = mos_tcp_connect(core[A], addr(A), htons(5100), addr(B), htons(80), false, &t, &err);
	REQUIRE(l != NULL && a != NULL);
	mos_loop_poll(core[A]);
	carry(A);			/* the SYN reaches B */
	mos_loop_poll(core[B]);		/* B: a child in SYN_RCVD, its SYN-ACK waits in B's outbox */
	CHECK_EQ(core[B]->n_streams, 2);
	mos_tcp_close(core[B], l);	/* the child is reset with its listener */
	CHECK_EQ(core[B]->n_streams, 0);
	while ((f = fake_io_take(B)) != NULL)
		fake_io_free(f);	/* the SYN-ACK is lost */
	run(10);
	CHECK_EQ(core[B]->tcp.rst_out, 1);
	mos_tcp_abort(core[A], a);
	run(1);
	check_drained();
}

/* --- hostile peers (tracker issue 7) --------------------------------------------- */

/* The TCP header of a frame our stack sent, and its fields. */
struct out_seg {
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t wnd;
	uint16_t len;	/* payload bytes */
};

static struct out_seg out_seg_of(const struct fake_frame *f)
{
	const uint8_t *ip = f->data + MOS_ETH_HLEN, *th = f->data + MOS_NET_HDR_MAX;
	uint16_t tot = (uint16_t)(ip[2] << 8 | ip[3]);
	struct out_seg o;

	o.flags = th[13];
	o.seq = (uint32_t)th[4] << 24 | (uint32_t)th[5] << 16 | (uint32_t)th[6] << 8 | th[7];
	o.ack = (uint32_t)th[8] << 24 | (uint32_t)th[9] << 16 | (uint32_t)th[10] << 8 | th[11];
	o.wnd = (uint16_t)(th[14] << 8 | th[15]);
	o.len = (uint16_t)(tot - MOS_IP_HLEN - (th[12] >> 4) * 4);
	return o;
}

/* Throw away what core i sent; returns how many frames. */
static int discard(int i)
{
	struct fake_frame *f;
	int n = 0;

	while ((f = fake_io_take(i)) != NULL) {
		fake_io_free(f);
		n++;
	}
	return n;
}

/* Count (and throw away) the ACKs core i sent without payload; n: frames in all. */
static int bare_acks(int i, int *n)
{
	struct fake_frame *f;
	int acks = 0;

	while ((f = fake_io_take(i)) != NULL) {
		struct out_seg o = out_seg_of(f);

		if (o.flags == MOS_TH_ACK && o.len == 0)
			acks++;
		if (n != NULL)
			(*n)++;
		fake_io_free(f);
	}
	return acks;
}

/*
 * RFC 5961 7: challenge ACKs within a per-core budget per second (as
 * Linux's tcp_challenge_ack_limit): 5,000 in-window RSTs and SYNs in one
 * second get at most MOS_TCP_CHALLENGE_ACK_LIMIT ACKs, the rest counted;
 * the next second has a budget again. Before: 5,000 ACKs.
 */
TEST(challenge_acks_have_a_per_core_budget_per_second)
{
	struct pair p;
	int acks = 0, next = 0;

	REQUIRE(setup(16384, 0, 0) == 0);
	REQUIRE(open_pair(&p, 40040) == 0);
	fake_io.now_us = (fake_io.now_us / 1000000 + 1) * 1000000;	/* a second starts */
	for (int i = 0; i < 5000; i++) {
		inject(A, p.a, p.a->rcv.nxt + 100, 0, (i & 1) ? MOS_TH_SYN : MOS_TH_RST, NULL, 0,
		       0, NULL);
		acks += bare_acks(A, NULL);
	}
	CHECK(acks <= MOS_TCP_CHALLENGE_ACK_LIMIT);
	CHECK(acks >= MOS_TCP_CHALLENGE_ACK_LIMIT / 2);
	CHECK_EQ(core[A]->tcp.challenge_acks, (uint64_t)acks);
	CHECK_EQ(core[A]->tcp.challenge_ack_limited, 5000 - (uint64_t)acks);
	CHECK_EQ(p.a->state, MOS_TCP_ESTABLISHED);
	fake_io.now_us += 1000000;	/* the next second: a new budget */
	for (int i = 0; i < 100; i++) {
		inject(A, p.a, p.a->rcv.nxt + 100, 0, MOS_TH_RST, NULL, 0, 0, NULL);
		next += bare_acks(A, NULL);
	}
	CHECK_EQ(next, 100);
	CHECK_EQ(p.a->state, MOS_TCP_ESTABLISHED);
	abort_both(&p);
}

/*
 * ACKs to out-of-window and PAWS-rejected segments: one per stream per
 * MOS_TCP_INVALID_RATELIMIT (500 ms, as Linux's tcp_invalid_ratelimit),
 * the rest counted; old data (the peer missed our ACK) is answered always,
 * as Linux's. Before: one ACK per segment.
 */
TEST(out_of_window_acks_are_one_per_500ms)
{
	uint8_t ts[12] = { TCP_OPT_NOP, TCP_OPT_NOP, TCP_OPT_TS, 10 };
	struct pair p;
	int acks = 0, frames = 0;
	uint32_t old;

	REQUIRE(setup(16384, 0, 0) == 0);
	REQUIRE(open_pair(&p, 40041) == 0);
	/* 200 bare ACKs far out of window, one each 10 ms for 2 s: one ACK each 500 ms */
	for (int i = 0; i < 200; i++) {
		inject(A, p.a, p.a->rcv.nxt + 10000000, p.a->snd_una, MOS_TH_ACK, NULL, 0, 0, NULL);
		acks += bare_acks(A, &frames);
		fake_io.now_us += 10000;
	}
	CHECK_EQ(acks, 4);
	CHECK_EQ(frames, 4);
	CHECK_EQ(core[A]->tcp.drop_unacceptable, 200);
	CHECK_EQ(core[A]->tcp.oow_ack_limited, 196);
	/* old data right after: answered all the same (not an ACK loop) */
	inject(A, p.a, p.a->rcv.nxt - 10, p.a->snd_una, MOS_TH_ACK, NULL, 0, 0, "old");
	CHECK_EQ(bare_acks(A, NULL), 1);
	CHECK_EQ(core[A]->tcp.oow_ack_limited, 196);
	/* PAWS rejections share the stream's limit: 100 in 1 s, 2 ACKs */
	REQUIRE(p.a->flags & MOS_SF_TS);
	old = p.a->ts_recent - 1000;
	for (int i = 0; i < 4; i++)
		ts[4 + i] = (uint8_t)(old >> (24 - 8 * i));
	fake_io.now_us += 500000;
	acks = 0;
	for (int i = 0; i < 100; i++) {
		inject(A, p.a, p.a->rcv.nxt, p.a->snd_una, MOS_TH_ACK, ts, 12, 0, NULL);
		acks += bare_acks(A, NULL);
		fake_io.now_us += 10000;
	}
	CHECK_EQ(acks, 2);
	CHECK_EQ(core[A]->tcp.drop_paws, 100);
	CHECK_EQ(core[A]->tcp.oow_ack_limited, 196 + 98);
	CHECK_EQ(p.a->state, MOS_TCP_ESTABLISHED);
	abort_both(&p);
}

static size_t drain_recv(int i, struct mos_stream *x, uint8_t *buf, size_t n);

/* --- congestion control with exact values (RFC 5681, RFC 6582, RFC 3042) ---------- */

/* Let ms milliseconds pass on core i alone, polling it each one; what it sends stays there. */
static void step(int i, unsigned ms)
{
	for (unsigned t = 0; t < ms; t++) {
		fake_io.now_us += 1000;
		mos_loop_poll(core[i]);
	}
}

/* Take what core i sent: up to max segments into o (the rest thrown away); how many in all. */
static int take_segs(int i, struct out_seg *o, int max)
{
	struct fake_frame *f;
	int n = 0;

	while ((f = fake_io_take(i)) != NULL) {
		if (n < max)
			o[n] = out_seg_of(f);
		n++;
		fake_io_free(f);
	}
	return n;
}

/*
 * A connection whose peer (B) is played by the test: B is never polled
 * again, its ACKs are injected. The window A has of B is the injected one.
 */
static void peer_by_hand(struct pair *p, uint16_t aport)
{
	REQUIRE(setup(262144, 0, 0) == 0);
	REQUIRE(open_pair(p, aport) == 0);
	REQUIRE(p->a->mss == 1448);
	inject(A, p->a, p->a->rcv.nxt, p->a->snd_una, MOS_TH_ACK, NULL, 0, 0, NULL);
	REQUIRE(p->a->snd_wnd == (uint32_t)0xffff << p->a->snd_wscale);
	discard(A);
}

/* A duplicate ACK from B (the window as before, no data). */
static void dupack(struct pair *p)
{
	inject(A, p->a, p->a->rcv.nxt, p->a->snd_una, MOS_TH_ACK, NULL, 0, 0, NULL);
}

/*
 * Fast retransmit and NewReno fast recovery, every step with its values
 * (MSS 1448, IW 10 segments = 14480): limited transmit (RFC 3042) on the
 * first two duplicate ACKs, the third (RFC 5681 3.2, RFC 6582 3.2 steps
 * 2-3), window inflation, a partial ACK (deflation, the next hole at once),
 * the full ACK (RFC 6582 option 2: min(ssthresh, FlightSize + SMSS)).
 */
TEST(newreno_fast_recovery_exact_values)
{
	static uint8_t buf[40 * 1448];
	const uint32_t m = 1448;
	struct out_seg o[32];
	struct pair p;
	uint32_t u;

	peer_by_hand(&p, 40050);
	u = p.a->snd_una;
	CHECK_EQ(mos_tcp_send(core[A], p.a, buf, sizeof(buf)), (long)sizeof(buf));
	mos_loop_poll(core[A]);
	CHECK_EQ(take_segs(A, o, 32), 10);	/* the initial window */
	CHECK_EQ(o[9].seq, u + 9 * m);
	CHECK_EQ(p.a->cwnd, 10 * m);
	CHECK_EQ(p.a->ssthresh, UINT32_MAX);
	/* RFC 3042: the first two duplicate ACKs each send one new segment, cwnd unchanged */
	dupack(&p);
	CHECK_EQ(take_segs(A, o, 32), 1);
	CHECK_EQ(o[0].seq, u + 10 * m);
	CHECK_EQ(o[0].len, m);
	dupack(&p);
	CHECK_EQ(take_segs(A, o, 32), 1);
	CHECK_EQ(o[0].seq, u + 11 * m);
	CHECK_EQ(p.a->cwnd, 10 * m);
	CHECK_EQ(p.a->dupacks, 2);
	CHECK_EQ(core[A]->tcp.fast_retransmits, 0);
	/* the third: ssthresh = FlightSize / 2, the first segment again, cwnd = ssthresh + 3 SMSS */
	dupack(&p);
	CHECK_EQ(core[A]->tcp.fast_retransmits, 1);
	CHECK(p.a->flags & MOS_SF_IN_RECOVERY);
	CHECK_EQ(p.a->ssthresh, 12 * m / 2);
	CHECK_EQ(p.a->cwnd, 6 * m + 3 * m);
	CHECK_EQ(p.a->recover, u + 12 * m);
	CHECK_EQ(take_segs(A, o, 32), 1);
	CHECK_EQ(o[0].seq, u);
	CHECK_EQ(o[0].len, m);
	/* each further one inflates cwnd by SMSS; at 13 SMSS one new segment fits */
	for (int i = 0; i < 4; i++)
		dupack(&p);
	CHECK_EQ(p.a->cwnd, 13 * m);
	CHECK_EQ(take_segs(A, o, 32), 1);
	CHECK_EQ(o[0].seq, u + 12 * m);
	CHECK_EQ(p.a->snd_nxt, u + 13 * m);
	/* a partial ACK (5 segments): the next hole at once, cwnd - acked + SMSS, one new segment */
	inject(A, p.a, p.a->rcv.nxt, u + 5 * m, MOS_TH_ACK, NULL, 0, 0, NULL);
	CHECK(p.a->flags & MOS_SF_IN_RECOVERY);
	CHECK_EQ(p.a->cwnd, 13 * m - 5 * m + m);
	CHECK_EQ(p.a->ssthresh, 6 * m);
	CHECK_EQ(take_segs(A, o, 32), 2);
	CHECK_EQ(o[0].seq, u + 5 * m);	/* the hole */
	CHECK_EQ(o[1].seq, u + 13 * m);	/* 8 in flight, cwnd 9 */
	/* the full ACK (recover): recovery ends, cwnd = min(ssthresh, FlightSize + SMSS) */
	inject(A, p.a, p.a->rcv.nxt, u + 12 * m, MOS_TH_ACK, NULL, 0, 0, NULL);
	CHECK(!(p.a->flags & MOS_SF_IN_RECOVERY));
	CHECK_EQ(p.a->dupacks, 0);
	CHECK_EQ(p.a->cwnd, 2 * m + m);
	CHECK_EQ(p.a->ssthresh, 6 * m);
	CHECK_EQ(take_segs(A, o, 32), 1);	/* 2 in flight, cwnd 3 */
	CHECK_EQ(o[0].seq, u + 14 * m);
	/* a new ACK: cwnd is below ssthresh, slow start adds SMSS (RFC 5681 3.1) */
	inject(A, p.a, p.a->rcv.nxt, u + 13 * m, MOS_TH_ACK, NULL, 0, 0, NULL);
	CHECK_EQ(p.a->cwnd, 4 * m);
	CHECK_EQ(core[A]->tcp.fast_retransmits, 1);
	discard(A);
	abort_both(&p);
}

/*
 * A retransmission timeout (RFC 5681 3.1, RFC 6582 3.2 step 4): ssthresh
 * from FlightSize, cwnd one segment, recover = SND.MAX so that duplicate
 * ACKs of data sent before it start no fast retransmit; a second timeout
 * of the same segment keeps ssthresh (as Linux). Before: three duplicate
 * ACKs after the timeout started fast recovery, and the second timeout
 * cut ssthresh to 2 SMSS.
 */
TEST(rto_sets_recover_and_keeps_ssthresh_on_backoff)
{
	static uint8_t buf[20 * 1448];
	const uint32_t m = 1448;
	struct out_seg o[32];
	struct pair p;
	uint32_t u, rto;

	peer_by_hand(&p, 40051);
	u = p.a->snd_una;
	rto = p.a->rto;
	CHECK_EQ(rto, MOS_TCP_RTO_MIN);
	CHECK_EQ(mos_tcp_send(core[A], p.a, buf, sizeof(buf)), (long)sizeof(buf));
	mos_loop_poll(core[A]);
	CHECK_EQ(take_segs(A, o, 32), 10);
	step(A, rto - 1);
	CHECK_EQ(core[A]->tcp.rto_timeouts, 0);
	step(A, 1);
	CHECK_EQ(core[A]->tcp.rto_timeouts, 1);
	CHECK_EQ(p.a->ssthresh, 5 * m);
	CHECK_EQ(p.a->cwnd, m);
	CHECK_EQ(p.a->recover, u + 10 * m);
	CHECK_EQ(p.a->rto, 2 * rto);
	CHECK_EQ(take_segs(A, o, 32), 1);
	CHECK_EQ(o[0].seq, u);
	/* three duplicate ACKs for data sent before the timeout: no fast retransmit */
	for (int i = 0; i < 3; i++)
		dupack(&p);
	CHECK_EQ(core[A]->tcp.fast_retransmits, 0);
	CHECK(!(p.a->flags & MOS_SF_IN_RECOVERY));
	CHECK_EQ(p.a->ssthresh, 5 * m);
	discard(A);
	/* the same segment times out again: ssthresh stays, cwnd one segment, RTO doubles */
	step(A, 2 * rto);
	CHECK_EQ(core[A]->tcp.rto_timeouts, 2);
	CHECK_EQ(p.a->ssthresh, 5 * m);
	CHECK_EQ(p.a->cwnd, m);
	CHECK_EQ(p.a->rto, 4 * rto);
	CHECK_EQ(take_segs(A, o, 32), 1);
	CHECK_EQ(o[0].seq, u);
	/* the ACK of it: slow start from one segment again (cwnd < ssthresh) */
	inject(A, p.a, p.a->rcv.nxt, u + m, MOS_TH_ACK, NULL, 0, 0, NULL);
	CHECK_EQ(p.a->cwnd, 2 * m);
	CHECK_EQ(p.a->retries, 0);
	discard(A);
	abort_both(&p);
}

/*
 * RFC 5681 4.1: after an idle time longer than the RTO with nothing
 * outstanding, cwnd = min(cwnd, IW). An idle time shorter than the RTO
 * leaves it. Before: the grown cwnd went out in one burst after the idle.
 */
TEST(cwnd_restarts_after_an_idle_rto)
{
	static uint8_t buf[40 * 1448];
	const uint32_t m = 1448;
	struct pair p;
	uint32_t grown;

	REQUIRE(setup(262144, 0, 0) == 0);
	REQUIRE(open_pair(&p, 40052) == 0);
	CHECK_EQ(transfer(A, p.a, p.b, 200000, 1000), 200000);
	run(5);
	grown = p.a->cwnd;
	CHECK(grown > 20 * m);
	CHECK_EQ(p.a->snd_una, p.a->snd_max);
	/* idle for less than the RTO: cwnd as it was, more than IW in one go */
	run(p.a->rto - 10);
	CHECK_EQ(mos_tcp_send(core[A], p.a, buf, sizeof(buf)), (long)sizeof(buf));
	mos_loop_poll(core[A]);
	CHECK_EQ(p.a->cwnd, grown);
	CHECK(carry(A) > 10);
	run(20);
	CHECK_EQ(drain_recv(B, p.b, buf, sizeof(buf)), sizeof(buf));
	CHECK_EQ(p.a->snd_una, p.a->snd_max);
	/* grow it again, then idle for longer than the RTO: IW, 10 segments */
	CHECK_EQ(transfer(A, p.a, p.b, 400000, 2000), 400000);
	run(5);
	grown = p.a->cwnd;
	CHECK(grown > 10 * m);
	run(p.a->rto + 1);
	CHECK_EQ(mos_tcp_send(core[A], p.a, buf, sizeof(buf)), (long)sizeof(buf));
	mos_loop_poll(core[A]);
	CHECK_EQ(p.a->cwnd, 10 * m);
	CHECK_EQ(discard(A), 10);
	abort_both(&p);
}

/*
 * Delayed ACKs (RFC 9293 3.8.6.3, RFC 5681 4.2): one full-sized segment
 * is acknowledged after MOS_TCP_DELACK, not before; the second full-sized
 * one at once; a short one (or one with PSH) within the round.
 */
TEST(delayed_ack_timer_and_every_second_segment)
{
	static char seg[1449];
	struct out_seg o[8];
	struct pair p;
	uint32_t nxt;

	peer_by_hand(&p, 40053);
	memset(seg, 'd', 1448);
	nxt = p.a->rcv.nxt;
	inject(A, p.a, nxt, p.a->snd_una, MOS_TH_ACK, NULL, 0, 0, seg);
	mos_loop_poll(core[A]);
	CHECK_EQ(take_segs(A, o, 8), 0);
	step(A, MOS_TCP_DELACK - 1);
	CHECK_EQ(take_segs(A, o, 8), 0);
	step(A, 1);
	CHECK_EQ(take_segs(A, o, 8), 1);
	CHECK_EQ(o[0].ack, nxt + 1448);
	/* two full-sized segments: the second is acknowledged at once */
	inject(A, p.a, nxt + 1448, p.a->snd_una, MOS_TH_ACK, NULL, 0, 0, seg);
	mos_loop_poll(core[A]);
	CHECK_EQ(take_segs(A, o, 8), 0);
	inject(A, p.a, nxt + 2 * 1448, p.a->snd_una, MOS_TH_ACK, NULL, 0, 0, seg);
	mos_loop_poll(core[A]);
	CHECK_EQ(take_segs(A, o, 8), 1);
	CHECK_EQ(o[0].ack, nxt + 3 * 1448);
	step(A, MOS_TCP_DELACK + 1);
	CHECK_EQ(take_segs(A, o, 8), 0);	/* and the timer sends nothing more */
	/* a short segment: within the round (the application's answer may carry it) */
	inject(A, p.a, nxt + 3 * 1448, p.a->snd_una, MOS_TH_ACK, NULL, 0, 0, "GET /");
	mos_loop_poll(core[A]);
	CHECK_EQ(take_segs(A, o, 8), 1);
	CHECK_EQ(o[0].ack, nxt + 3 * 1448 + 5);
	abort_both(&p);
}

/*
 * Urgent data is not implemented: a segment with URG on an established
 * stream is refused with a RST and the stream fails with ECONNABORTED,
 * its bytes not delivered (RFC 6093). An out-of-window one is only
 * acknowledged (no blind reset by URG). Before: "ab" delivered inline.
 */
TEST(urgent_data_is_refused_with_a_reset)
{
	static uint8_t buf[64];
	struct out_seg o[8];
	struct pair p;
	uint32_t nxt;

	REQUIRE(setup(16384, 0, 0) == 0);
	REQUIRE(open_pair(&p, 40060) == 0);
	inject(A, p.a, p.a->rcv.nxt + 1000000, p.a->snd_una, MOS_TH_ACK | MOS_TH_URG, NULL, 0, 0,
	       "far");
	CHECK_EQ(p.a->state, MOS_TCP_ESTABLISHED);
	CHECK_EQ(core[A]->tcp.urg_refused, 0);
	discard(A);
	nxt = p.a->snd_nxt;
	inject(A, p.a, p.a->rcv.nxt, p.a->snd_una, MOS_TH_ACK | MOS_TH_PSH | MOS_TH_URG, NULL, 0, 0,
	       "ab");
	CHECK_EQ(core[A]->tcp.urg_refused, 1);
	REQUIRE(take_segs(A, o, 8) == 1);
	CHECK_EQ(o[0].flags, MOS_TH_RST | MOS_TH_ACK);
	CHECK_EQ(o[0].seq, nxt);
	CHECK_EQ(p.a->state, MOS_TCP_CLOSED);
	CHECK_EQ(p.a->so_error, ECONNABORTED);
	CHECK(p.ca.events & MOS_EPOLLERR);
	CHECK_EQ(mos_tcp_recv(core[A], p.a, buf, sizeof(buf)), -ECONNABORTED);
	CHECK_EQ(core[A]->tcp.conn_reset, 0);	/* not the peer's reset */
	mos_tcp_close(core[A], p.a);
	mos_tcp_abort(core[B], p.b);
	mos_tcp_close(core[B], p.lst);
	run(10);
	check_drained();
}

/*
 * RFC 9293 3.10.7.3: in SYN-SENT, a SYN-ACK whose ACK is not ours gets
 * <SEQ=SEG.ACK><CTL=RST> and is otherwise dropped; the connection waits on
 * and the retransmitted SYN completes it.
 */
TEST(synack_with_a_wrong_ack_gets_a_reset_and_the_syn_goes_again)
{
	struct tsock t = { 0 }, tl = { 0 };
	struct mos_stream *a, *l, *b;
	struct fake_frame *f;
	struct out_seg o;
	int err;

	REQUIRE(setup(16384, 0, 0) == 0);
	l = mos_tcp_listen(core[B], htonl(INADDR_ANY), htons(80), 4, &tl, &err);
	a = mos_tcp_connect(core[A], addr(A), htons(5200), addr(B), htons(80), false, &t, &err);
	REQUIRE(l != NULL && a != NULL);
	mos_loop_poll(core[A]);
	CHECK_EQ(discard(A), 1);	/* the SYN: B never sees it */
	inject(A, a, 777, a->iss + 1 + 5000, MOS_TH_SYN | MOS_TH_ACK, NULL, 0, 0, NULL);
	f = fake_io_take(A);
	REQUIRE(f != NULL);
	o = out_seg_of(f);
	fake_io_free(f);
	CHECK_EQ(o.flags, MOS_TH_RST);
	CHECK_EQ(o.seq, a->iss + 1 + 5000);
	CHECK_EQ(a->state, MOS_TCP_SYN_SENT);
	CHECK_EQ(a->so_error, 0);
	CHECK_EQ(core[A]->tcp.drop_old_ack, 1);
	/* a SYN-ACK acknowledging the ISS itself (not the SYN) is no better */
	inject(A, a, 778, a->iss, MOS_TH_SYN | MOS_TH_ACK, NULL, 0, 0, NULL);
	CHECK_EQ(discard(A), 1);
	CHECK_EQ(a->state, MOS_TCP_SYN_SENT);
	run(1100);	/* RTO: the SYN again, to the real B this time */
	CHECK_EQ(a->state, MOS_TCP_ESTABLISHED);
	b = mos_tcp_accept(core[B], l);
	REQUIRE(b != NULL);
	CHECK_EQ(a->irs, b->iss);	/* the bogus SYN-ACK left nothing behind */
	mos_tcp_abort(core[A], a);
	mos_tcp_abort(core[B], b);
	mos_tcp_close(core[B], l);
	run(10);
	check_drained();
}

/*
 * The peer closed and our next request crossed its FIN: the peer's kernel
 * answers the request with <SEQ=SEG.ACK><CTL=RST>, and that ACK did not
 * cover the FIN, so SEG.SEQ = RCV.NXT - 1. Linux takes such a reset in
 * CLOSE_WAIT, CLOSING and LAST_ACK (tcp_reset_check()), so must we: else
 * the stream sits in LAST_ACK until its FIN is sent again (200 ms and up;
 * epwget's keep-alive retries ran out of streams on it). Before the FIN it
 * is outside the window and dropped, as before.
 */
TEST(reset_at_the_peers_fin_is_taken_after_the_fin)
{
	uint64_t acks;
	struct pair p;
	uint32_t n;

	REQUIRE(setup(16384, 0, 0) == 0);
	for (int last_ack = 0; last_ack < 2; last_ack++) {
		REQUIRE(open_pair(&p, (uint16_t)(40030 + last_ack)) == 0);
		acks = core[A]->tcp.challenge_acks;
		inject(A, p.a, p.a->rcv.nxt - 1, 0, MOS_TH_RST, NULL, 0, 0, NULL);
		CHECK_EQ(p.a->state, MOS_TCP_ESTABLISHED);	/* no FIN yet: outside, dropped */
		CHECK_EQ(p.a->so_error, 0);
		/* the peer's FIN (B itself never sends it: B stays ESTABLISHED) */
		inject(A, p.a, p.a->rcv.nxt, p.a->snd_nxt, MOS_TH_FIN | MOS_TH_ACK, NULL, 0, 0, NULL);
		CHECK_EQ(p.a->state, MOS_TCP_CLOSE_WAIT);
		discard(A);
		n = core[A]->n_streams;
		if (last_ack) {
			mos_tcp_close(core[A], p.a);
			mos_loop_poll(core[A]);
			CHECK_EQ(discard(A), 1);	/* our FIN, lost */
			CHECK_EQ(p.a->state, MOS_TCP_LAST_ACK);
		}
		inject(A, p.a, p.a->rcv.nxt - 1, 0, MOS_TH_RST, NULL, 0, 0, NULL);
		CHECK_EQ(core[A]->tcp.challenge_acks, acks);
		if (last_ack) {
			CHECK_EQ(core[A]->n_streams, n - 1);	/* gone at once */
		} else {
			CHECK_EQ(p.a->so_error, ECONNRESET);
			CHECK(p.ca.events & MOS_EPOLLERR);
			mos_tcp_close(core[A], p.a);
		}
		CHECK_EQ(discard(A), 0);	/* a reset is never answered */
		mos_tcp_abort(core[B], p.b);
		mos_tcp_close(core[B], p.lst);
		run(10);
	}
	check_drained();
}

/*
 * After the application's close a stream gives its buffers back as soon as
 * it cannot need them: the receive buffer at the close, the send buffer
 * when the FIN is acknowledged; TIME_WAIT holds none (as Linux's timewait
 * sockets), so TIME_WAIT runs a core out of streams, not of buffers.
 */
/*
 * RFC 9293 3.10.7.4: a FIN that comes ahead of a hole is kept (its data out
 * of order) and taken when the hole fills: CLOSE_WAIT without the peer
 * sending the FIN again, and the ACK then sent covers it.
 */
TEST(fin_ahead_of_a_hole_is_taken_when_the_hole_fills)
{
	struct pair p;
	struct fake_frame *f;
	struct out_seg o = { 0 };
	uint32_t nxt;
	uint8_t buf[32];
	int n = 0;

	REQUIRE(setup(16384, 0, 0) == 0);
	REQUIRE(open_pair(&p, 40031) == 0);
	nxt = p.a->rcv.nxt;
	inject(A, p.a, nxt + 5, p.a->snd_una, MOS_TH_ACK | MOS_TH_FIN, NULL, 0, 0, "world");
	CHECK_EQ(p.a->state, MOS_TCP_ESTABLISHED);
	CHECK_EQ(core[A]->tcp.ooo_fin, 1);
	/* data past the kept FIN is void: dropped, counted */
	inject(A, p.a, nxt + 10, p.a->snd_una, MOS_TH_ACK, NULL, 0, 0, "after");
	CHECK_EQ(core[A]->tcp.data_after_fin, 1);
	discard(A);
	inject(A, p.a, nxt, p.a->snd_una, MOS_TH_ACK, NULL, 0, 0, "hello");
	CHECK_EQ(p.a->state, MOS_TCP_CLOSE_WAIT);
	CHECK_EQ(p.a->rcv.nxt, nxt + 11);
	CHECK(!(p.a->flags & MOS_SF_FIN_OOO));
	mos_loop_poll(core[A]);	/* the deferred ACK leaves */
	while ((f = fake_io_take(A)) != NULL) {
		o = out_seg_of(f);
		n++;
		fake_io_free(f);
	}
	CHECK(n >= 1);
	CHECK(o.flags & MOS_TH_ACK);
	CHECK_EQ(o.ack, nxt + 11);	/* the FIN's sequence number acknowledged */
	CHECK_EQ(mos_tcp_recv(core[A], p.a, buf, sizeof(buf)), 10);
	CHECK(memcmp(buf, "helloworld", 10) == 0);
	CHECK_EQ(mos_tcp_recv(core[A], p.a, buf, sizeof(buf)), 0);	/* EOF */
	abort_both(&p);
}

/*
 * RFC 1337 R1: RSTs are ignored in TIME_WAIT, at RCV.NXT or not; the wait
 * runs its 2 MSL (tcp_timewait) and only then frees the stream.
 */
TEST(rst_does_not_end_time_wait)
{
	struct pair p;

	REQUIRE(setup(16384, 1, 0) == 0);
	REQUIRE(open_pair(&p, 40032) == 0);
	mos_tcp_close(core[A], p.a);	/* our side first: TIME_WAIT is A's */
	run(5);
	REQUIRE(p.b->state == MOS_TCP_CLOSE_WAIT);
	mos_tcp_close(core[B], p.b);
	run(5);
	REQUIRE(p.a->state == MOS_TCP_TIME_WAIT);
	CHECK_EQ(core[A]->n_streams, 1);
	inject(A, p.a, p.a->rcv.nxt, 0, MOS_TH_RST, NULL, 0, 0, NULL);
	inject(A, p.a, p.a->rcv.nxt, p.a->snd_max, MOS_TH_RST | MOS_TH_ACK, NULL, 0, 0, NULL);
	CHECK_EQ(core[A]->n_streams, 1);	/* before: the first RST freed it */
	CHECK_EQ(p.a->state, MOS_TCP_TIME_WAIT);
	CHECK_EQ(core[A]->tcp.timewait_rst_ignored, 2);
	inject(A, p.a, p.a->rcv.nxt + 100, 0, MOS_TH_RST, NULL, 0, 0, NULL);	/* in the window */
	CHECK_EQ(core[A]->tcp.timewait_rst_ignored, 3);
	CHECK_EQ(core[A]->tcp.challenge_acks, 0);
	run(500);
	CHECK_EQ(core[A]->n_streams, 1);
	run(600);	/* tcp_timewait = 1 s */
	CHECK_EQ(core[A]->n_streams, 0);
	mos_tcp_close(core[B], p.lst);
	run(1);
	check_drained();
}

/*
 * RFC 6528: ISN = M + F(4-tuple, secret), M a clock of 4 microseconds, F a
 * hash keyed by the core's secret.
 */
TEST(iss_is_a_4us_clock_plus_a_keyed_hash)
{
	struct mos_tuple_key k = { 0 }, k2;
	uint32_t i0, i1;

	REQUIRE(setup(16384, 0, 0) == 0);
	k.laddr = addr(A);
	k.raddr = addr(B);
	k.lport = htons(40033);
	k.rport = htons(80);
	k2 = k;
	k2.lport = htons(40034);
	i0 = tcp_iss(core[A], &k);
	CHECK_EQ(tcp_iss(core[A], &k), i0);
	fake_io.now_us += 4;
	i1 = tcp_iss(core[A], &k);
	CHECK_EQ(i1 - i0, 1);	/* one tick of 4 us (before: the millisecond clock, 0) */
	fake_io.now_us += 4000;
	CHECK_EQ(tcp_iss(core[A], &k) - i1, 1000);
	/* another tuple, or another core's secret: another, unrelated, offset */
	CHECK(tcp_iss(core[A], &k2) - tcp_iss(core[A], &k) != 0);
	CHECK(tcp_iss(core[B], &k) != tcp_iss(core[A], &k));
	CHECK(core[A]->iss_secret != core[B]->iss_secret);
	teardown();
}

/*
 * A tuple reopened while a side holds it in TIME_WAIT gets, on that side,
 * an ISS above the old connection's sequence space whatever the clock
 * says: the active side (reuse_tuple) and, here, the passive side taking
 * a new SYN in TIME_WAIT (timewait_reopen). The old connection sent far
 * more than the clock moved since.
 */
TEST(reopened_tuple_gets_an_iss_above_the_old_connection)
{
	struct pair p;
	struct tsock ta = { 0 }, tb = { 0 };
	struct mos_stream *a2, *b2;
	uint32_t old_max_b, old_max_a;
	int err;

	REQUIRE(setup(1 << 20, 60, 0) == 0);
	REQUIRE(open_pair(&p, 40035) == 0);
	CHECK_EQ(transfer(B, p.b, p.a, 2000000, 2000), 2000000);
	/* the server closes first: B holds the tuple in TIME_WAIT */
	mos_tcp_close(core[B], p.b);
	run(5);
	CHECK(mos_tcp_recv(core[A], p.a, (uint8_t[4]){ 0 }, 4) == 0);
	mos_tcp_close(core[A], p.a);
	run(5);
	REQUIRE(p.b->state == MOS_TCP_TIME_WAIT);
	CHECK_EQ(core[A]->n_streams, 0);
	old_max_b = p.b->snd_max;
	REQUIRE(MOS_SEQ_LT(tcp_iss(core[B], &p.b->tuple.key), old_max_b));	/* the clock is behind */
	a2 = mos_tcp_connect(core[A], addr(A), htons(40035), addr(B), htons(80), false, &ta, &err);
	REQUIRE(a2 != NULL);
	run(5);
	CHECK_EQ(core[B]->tcp.timewait_reused, 1);
	CHECK_EQ(a2->state, MOS_TCP_ESTABLISHED);
	b2 = mos_tcp_accept(core[B], p.lst);
	REQUIRE(b2 != NULL);
	b2->sock = &tb;
	CHECK(MOS_SEQ_GT(b2->iss, old_max_b));
	CHECK(b2->iss - old_max_b >= TCP_ISS_GAP);
	/* now the other way: A sends much, closes first, reconnects from TIME_WAIT */
	CHECK_EQ(transfer(A, a2, b2, 2000000, 2000), 2000000);
	mos_tcp_close(core[A], a2);
	run(5);
	CHECK(mos_tcp_recv(core[B], b2, (uint8_t[4]){ 0 }, 4) == 0);
	mos_tcp_close(core[B], b2);
	run(5);
	REQUIRE(a2->state == MOS_TCP_TIME_WAIT);
	old_max_a = a2->snd_max;
	a2 = mos_tcp_connect(core[A], addr(A), htons(40035), addr(B), htons(80), false, &ta, &err);
	REQUIRE(a2 != NULL);
	CHECK(MOS_SEQ_GT(a2->iss, old_max_a) && a2->iss - old_max_a >= TCP_ISS_GAP);
	run(5);
	CHECK_EQ(a2->state, MOS_TCP_ESTABLISHED);
	mos_tcp_abort(core[A], a2);
	b2 = mos_tcp_accept(core[B], p.lst);
	if (b2 != NULL)
		mos_tcp_abort(core[B], b2);
	mos_tcp_close(core[B], p.lst);
	run(61000);
	check_drained();
}

TEST(closing_streams_give_their_buffers_back)
{
	struct mos_pool *rcv, *snd;
	uint32_t r0, s0;
	struct pair p;

	REQUIRE(setup(16384, 1, 0) == 0);
	REQUIRE(open_pair(&p, 40040) == 0);
	rcv = &core[A]->pool[MOS_POOL_RCVBUF];
	snd = &core[A]->pool[MOS_POOL_SNDBUF];
	r0 = rcv->in_use;
	s0 = snd->in_use;
	CHECK_EQ(transfer(A, p.a, p.b, 3000, 100), 3000);
	CHECK_EQ(transfer(B, p.b, p.a, 3000, 100), 3000);
	CHECK_EQ(mos_tcp_send(core[A], p.a, (const uint8_t *)"tail", 4), 4);
	mos_tcp_close(core[A], p.a);	/* 4 bytes and the FIN not yet acknowledged */
	CHECK_EQ(rcv->in_use, r0 - 1);
	CHECK_EQ(snd->in_use, s0);
	run(5);
	CHECK_EQ(p.a->state, MOS_TCP_FIN_WAIT_2);
	CHECK_EQ(snd->in_use, s0 - 1);
	CHECK(mos_tcp_recv(core[B], p.b, (uint8_t[8]){ 0 }, 8) == 4);
	mos_tcp_close(core[B], p.b);
	run(5);
	CHECK_EQ(p.a->state, MOS_TCP_TIME_WAIT);
	CHECK_EQ(core[A]->n_streams, 1);
	CHECK_EQ(rcv->in_use, r0 - 1);
	CHECK_EQ(snd->in_use, s0 - 1);
	run(1100);			/* tcp_timewait = 1 s */
	CHECK_EQ(core[A]->n_streams, 0);
	CHECK_EQ(core[A]->tcp.rst_out + core[B]->tcp.rst_out, 0);
	mos_tcp_close(core[B], p.lst);
	run(1);
	check_drained();
}

/* Read everything core i's stream x holds into buf; returns the bytes. */
static size_t drain_recv(int i, struct mos_stream *x, uint8_t *buf, size_t n)
{
	size_t got = 0;
	long r;

	while (got < n && (r = mos_tcp_recv(core[i], x, buf + got, (uint32_t)(n - got))) > 0)
		got += (size_t)r;
	return got;
}

/*
 * Overlapping segments whose common bytes differ: the bytes that came
 * first stand, in order or out of order (RFC 9293 3.10.7.4 seventh check
 * leaves it open; Linux keeps the first too). A hostile peer cannot
 * rewrite what was received.
 */
TEST(overlapping_segments_keep_the_bytes_received_first)
{
	uint8_t buf[64] = { 0 };
	struct pair p;
	uint32_t base;

	REQUIRE(setup(16384, 0, 0) == 0);
	REQUIRE(open_pair(&p, 40030) == 0);
	base = p.a->rcv.nxt;
	inject(A, p.a, base, p.a->snd_una, MOS_TH_ACK, NULL, 0, 0, "0123");		/* in order */
	inject(A, p.a, base + 8, p.a->snd_una, MOS_TH_ACK, NULL, 0, 0, "wxyz");	/* ahead */
	inject(A, p.a, base, p.a->snd_una, MOS_TH_ACK, NULL, 0, 0, "ZZZZ456789ABCDEF");
	CHECK_EQ(p.a->rcv.nxt, base + 16);
	CHECK_EQ(drain_recv(A, p.a, buf, sizeof(buf)), 16);
	CHECK(memcmp(buf, "01234567wxyzCDEF", 16) == 0);
	CHECK_EQ(p.a->rcv.dup_bytes, 8);	/* "ZZZZ" and "89AB" were held already */
	/* all of it again, other bytes: old, not taken */
	inject(A, p.a, base, p.a->snd_una, MOS_TH_ACK, NULL, 0, 0, "################");
	CHECK_EQ(p.a->rcv.len, 0);
	CHECK(core[A]->tcp.drop_unacceptable + core[A]->tcp.dup_segs >= 1);
	mos_tcp_abort(core[A], p.a);
	mos_tcp_abort(core[B], p.b);
	mos_tcp_close(core[B], p.lst);
	run(10);
	check_drained();
}

/*
 * Data outside the window: old data and data far beyond are dropped and
 * answered with an ACK of RCV.NXT; data across the right edge is cut at
 * the edge (RFC 9293 3.10.7.4 first check, 3.10.7.4 seventh: "trim").
 */
TEST(data_outside_the_window_is_acked_and_the_edge_is_cut)
{
	static uint8_t buf[16384];
	static char fill_buf[1025];
	struct pair p;
	struct fake_frame *f;
	uint32_t base, wnd, off;
	int acks = 0;

	REQUIRE(setup(16384, 0, 0) == 0);
	REQUIRE(open_pair(&p, 40031) == 0);
	base = p.a->rcv.nxt;
	wnd = p.a->rcv_adv - base;
	REQUIRE(wnd > 2048 && wnd <= 16384);
	inject(A, p.a, base - 50000, p.a->snd_una, MOS_TH_ACK, NULL, 0, 0, "old data");
	inject(A, p.a, base + 10000000, p.a->snd_una, MOS_TH_ACK, NULL, 0, 0, "far away");
	inject(A, p.a, base + wnd - 4, p.a->snd_una, MOS_TH_ACK, NULL, 0, 0, "EDGE|cut off");
	CHECK_EQ(core[A]->tcp.drop_unacceptable, 2);
	CHECK_EQ(p.a->rcv.beyond_bytes, 8);	/* "|cut off" */
	mos_loop_poll(core[A]);
	while ((f = fake_io_take(A)) != NULL) {
		struct out_seg o = out_seg_of(f);

		acks++;
		CHECK_EQ(o.ack, base);	/* RCV.NXT did not move */
		fake_io_free(f);
	}
	CHECK(acks >= 1);
	/* fill the window up to the edge: the 4 bytes kept close it */
	memset(fill_buf, 'f', sizeof(fill_buf) - 1);
	for (off = 0; off + 1024 <= wnd - 4; off += 1024)
		inject(A, p.a, base + off, p.a->snd_una, MOS_TH_ACK, NULL, 0, 0, fill_buf);
	fill_buf[wnd - 4 - off] = '\0';
	if (off < wnd - 4)
		inject(A, p.a, base + off, p.a->snd_una, MOS_TH_ACK, NULL, 0, 0, fill_buf);
	CHECK_EQ(p.a->rcv.nxt, base + wnd);
	CHECK_EQ(drain_recv(A, p.a, buf, sizeof(buf)), wnd);
	CHECK(memcmp(buf + wnd - 4, "EDGE", 4) == 0);
	mos_tcp_abort(core[A], p.a);
	mos_tcp_abort(core[B], p.b);
	mos_tcp_close(core[B], p.lst);
	run(10);
	check_drained();
}

/*
 * A peer whose window stays 0 for ever and that answers every probe: the
 * probes are no progress, so the idle timeout ends the connection even
 * when it is longer than the largest probe interval (MOS_TCP_RTO_MAX).
 */
TEST(zero_window_for_ever_ends_at_the_idle_timeout)
{
	struct pair p;
	uint64_t start_us;
	unsigned ms;

	REQUIRE(setup(16384, 0, 120) == 0);
	REQUIRE(open_pair(&p, 40032) == 0);
	discard(B);
	inject_window = 0;
	inject(A, p.a, p.a->rcv.nxt, p.a->snd_una, MOS_TH_ACK, NULL, 0, 0, NULL);
	CHECK_EQ(p.a->snd_wnd, 0);
	CHECK_EQ(mos_tcp_send(core[A], p.a, "GET / HTTP/1.0\r\n\r\n", 18), 18);
	start_us = fake_io.now_us;
	/* B is gone; its stand-in answers whatever A sends with window 0 */
	for (ms = 0; ms < 300000 && p.a->so_error == 0; ms++) {
		struct fake_frame *f;

		fake_io.now_us += 1000;
		mos_loop_poll(core[A]);
		while ((f = fake_io_take(A)) != NULL) {
			struct out_seg o = out_seg_of(f);

			fake_io_free(f);
			CHECK_EQ(o.len, 0);	/* nothing fits */
			if (!(o.flags & MOS_TH_RST))
				inject(A, p.a, p.a->rcv.nxt, p.a->snd_una, MOS_TH_ACK, NULL, 0, 0, NULL);
		}
	}
	inject_window = 0xffff;
	CHECK_EQ(p.a->so_error, ETIMEDOUT);
	CHECK((fake_io.now_us - start_us) / 1000 <= 121000);
	CHECK(core[A]->tcp.zero_window_probes >= 5);
	mos_tcp_close(core[A], p.a);
	mos_tcp_abort(core[B], p.b);
	mos_tcp_close(core[B], p.lst);
	run(10);
	check_drained();
}

/*
 * RFC 1122 4.2.2.13: data that arrives after the application closed
 * cannot be delivered; the stream answers with a RST at once rather than
 * buffer it for nobody until its timers run out.
 */
TEST(data_after_close_is_answered_with_a_reset)
{
	struct pair p;

	REQUIRE(setup(16384, 0, 0) == 0);
	REQUIRE(open_pair(&p, 40033) == 0);
	mos_tcp_close(core[A], p.a);
	run(5);
	CHECK_EQ(p.a->state, MOS_TCP_FIN_WAIT_2);
	CHECK_EQ(mos_tcp_send(core[B], p.b, "more", 4), 4);	/* B may still send (half close) */
	run(5);
	CHECK_EQ(core[A]->tcp.data_after_close, 1);
	CHECK_EQ(core[A]->n_streams, 0);	/* gone, and p.a with it */
	CHECK_EQ(p.b->so_error, ECONNRESET);
	mos_tcp_close(core[B], p.b);
	mos_tcp_close(core[B], p.lst);
	run(10);
	check_drained();
}

/*
 * No transmit buffer for a while, in the middle of a burst on 8
 * connections (an mbuf pool run dry): every failed send is counted, nothing
 * is lost for good, every byte arrives once buffers come back.
 */
TEST(tx_buffer_exhaustion_mid_burst_is_counted_and_recovers)
{
	enum { N = 8, BYTES = 1 << 20 };
	static uint8_t src[BYTES], dst[65536];
	size_t at_fail = 0;
	uint64_t nobuf_before = 0, nobuf_during = 0;
	struct tsock ts[2 * N], tl = { 0 };
	struct mos_stream *a[N], *b[N], *l;
	size_t sent[N] = { 0 }, got[N] = { 0 }, total = 0;
	int err;

	REQUIRE(setup(65536, 0, 0) == 0);
	memset(ts, 0, sizeof(ts));
	fill(src, sizeof(src), 7);
	l = mos_tcp_listen(core[B], htonl(INADDR_ANY), htons(80), N, &tl, &err);
	REQUIRE(l != NULL);
	fake_io.alloc_fail = true;	/* even the SYNs find no buffer */
	for (int i = 0; i < N; i++) {
		a[i] = mos_tcp_connect(core[A], addr(A), htons((uint16_t)(41000 + i)), addr(B),
				       htons(80), false, &ts[i], &err);
		REQUIRE(a[i] != NULL);
	}
	run(50);
	CHECK(core[A]->tcp.no_tx_buf >= N);
	CHECK_EQ(a[0]->state, MOS_TCP_SYN_SENT);
	fake_io.alloc_fail = false;
	run(50);
	for (int i = 0; i < N; i++) {
		b[i] = mos_tcp_accept(core[B], l);
		REQUIRE(b[i] != NULL);
		b[i]->sock = &ts[N + i];
		CHECK_EQ(a[i]->state, MOS_TCP_ESTABLISHED);
	}
	for (unsigned t = 0; t < 60000 && total < (size_t)N * BYTES; t++) {
		/* the pool runs dry from 5 to 300 ms into the burst: no data, no ACKs */
		fake_io.alloc_fail = t >= 5 && t < 300;
		if (t == 5) {
			at_fail = total;
			nobuf_before = core[A]->tcp.no_tx_buf + core[B]->tcp.no_tx_buf;
		}
		if (t == 300)
			nobuf_during = core[A]->tcp.no_tx_buf + core[B]->tcp.no_tx_buf - nobuf_before;
		for (int i = 0; i < N; i++) {
			long w = mos_tcp_send(core[A], a[i], src + sent[i], (uint32_t)(BYTES - sent[i]));
			long r;

			sent[i] += w > 0 ? (size_t)w : 0;
			while ((r = mos_tcp_recv(core[B], b[i], dst, sizeof(dst))) > 0) {
				CHECK(memcmp(dst, src + got[i], (size_t)r) == 0);
				got[i] += (size_t)r;
				total += (size_t)r;
			}
		}
		run(1);
	}
	CHECK(at_fail > 0 && at_fail < (size_t)N * BYTES / 2);	/* it did run dry mid-burst */
	CHECK_EQ(total, (size_t)N * BYTES);
	/* the receiver's window updates (and the sender's probes) tried on every turn, counted */
	CHECK(nobuf_during >= 295);
	for (int i = 0; i < N; i++) {
		mos_tcp_close(core[A], a[i]);
		run(5);
		mos_tcp_close(core[B], b[i]);
	}
	mos_tcp_close(core[B], l);
	run(2000);
	check_drained();
}

/*
 * A peer that stalls (a full ring, a busy process) while our SYN's timer
 * runs out, and no transmit buffer for the retransmission: the RTO sets
 * SND.NXT back to the ISS and the SYN cannot go. Then the SYN-ACK for the
 * first SYN arrives. SND.NXT must move up to SND.UNA with it (as every ACK
 * that covers more than SND.NXT does, RFC 9293 3.10.7.4 and BSD's
 * tcp_input): left at the ISS, the request went out from the SYN's own
 * sequence number with bytes the send buffer never held (epserver answered
 * 744 of 100,000 requests of a cold run 400 or 501). The same for the
 * passive side: the SYN-ACK's retransmission refused, then the ACK.
 */
TEST(synack_after_a_refused_syn_retransmission_sends_the_request_intact)
{
	static const char req[] = "GET /f HTTP/1.0\r\nHost: 10.0.0.2\r\n\r\n";
	static const char resp[] = "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n";
	struct tsock t = { 0 }, tl = { 0 }, tb = { 0 };
	struct mos_stream *a, *l, *b;
	struct fake_frame *syn, *synack;
	uint8_t got[128];
	long n;
	int err;

	REQUIRE(setup(16384, 0, 0) == 0);
	l = mos_tcp_listen(core[B], htonl(INADDR_ANY), htons(80), 4, &tl, &err);
	a = mos_tcp_connect(core[A], addr(A), htons(5300), addr(B), htons(80), false, &t, &err);
	REQUIRE(l != NULL && a != NULL);
	mos_loop_poll(core[A]);
	syn = fake_io_take(A);		/* the SYN: held, as in a full ring */
	REQUIRE(syn != NULL);
	fake_io.alloc_fail = true;	/* the RTO's SYN finds no transmit buffer */
	fake_io.now_us += 1100000;
	mos_loop_poll(core[A]);
	CHECK_EQ(core[A]->tcp.rto_timeouts, 1);
	CHECK_EQ(discard(A), 0);
	fake_io.alloc_fail = false;
	REQUIRE(fake_io_give(B, syn) == 0);	/* the peer wakes up: the first SYN */
	mos_loop_poll(core[B]);
	synack = fake_io_take(B);
	REQUIRE(synack != NULL);
	b = mos_tcp_accept(core[B], l);
	CHECK(b == NULL);		/* not before the handshake's ACK */
	/* B's SYN-ACK timer runs out with no buffer too, then A's ACK comes */
	fake_io.alloc_fail = true;
	fake_io.now_us += 1100000;
	mos_loop_poll(core[B]);
	CHECK_EQ(core[B]->tcp.rto_timeouts, 1);
	/* the SYN-ACK comes while A's transmit ring is still full: the request is written first */
	REQUIRE(fake_io_give(A, synack) == 0);
	mos_loop_poll(core[A]);
	CHECK_EQ(a->state, MOS_TCP_ESTABLISHED);
	CHECK(!MOS_SEQ_LT(a->snd_nxt, a->snd_una));
	CHECK_EQ(mos_tcp_send(core[A], a, req, sizeof(req) - 1), (long)sizeof(req) - 1);
	fake_io.alloc_fail = false;
	run(5);
	CHECK_EQ(core[B]->tcp.dup_segs, 0);	/* nothing went out below SND.UNA */
	b = mos_tcp_accept(core[B], l);
	REQUIRE(b != NULL);
	b->sock = &tb;
	tb.s = b;
	CHECK(!MOS_SEQ_LT(b->snd_nxt, b->snd_una));
	n = mos_tcp_recv(core[B], b, got, sizeof(got));
	CHECK_EQ(n, (long)sizeof(req) - 1);
	CHECK(n == (long)sizeof(req) - 1 && memcmp(got, req, sizeof(req) - 1) == 0);
	CHECK_EQ(mos_tcp_send(core[B], b, resp, sizeof(resp) - 1), (long)sizeof(resp) - 1);
	run(5);
	n = mos_tcp_recv(core[A], a, got, sizeof(got));
	CHECK_EQ(n, (long)sizeof(resp) - 1);
	CHECK(n == (long)sizeof(resp) - 1 && memcmp(got, resp, sizeof(resp) - 1) == 0);
	mos_tcp_abort(core[A], a);
	mos_tcp_abort(core[B], b);
	mos_tcp_close(core[B], l);
	run(10);
	check_drained();
}

/*
 * The source-pair pool runs dry while TIME_WAIT holds the pairs (our side
 * closes first): a get finds it empty and is counted; when TIME_WAIT
 * ends the pairs come back, at the tail, and a new connection can go.
 */
TEST(source_pairs_held_by_time_wait_come_back)
{
	static struct mos_rss_key key;
	struct mos_rss_reta reta;
	uint64_t *mem;
	size_t memlen;
	long n;
	struct tsock ta[3] = { 0 }, tl = { 0 }, tb[2] = { 0 };
	struct mos_stream *a[3], *b, *l;
	in_addr_t sa;
	in_port_t sp;
	int err;

	REQUIRE(setup(16384, 1, 0) == 0);
	REQUIRE(mos_rss_key_init(&key, mos_rss_key_symmetric, 40) == 0);
	REQUIRE(mos_rss_reta_default(&reta, 128, 1) == 0);
	n = mos_rss_pool_count(&key, &reta, 0, addr(A), 1, ALL_PORTS, addr(B), htons(80));
	REQUIRE(n > 2);
	memlen = mos_rss_pool_mem_size((uint32_t)n, 1);
	mem = malloc(memlen);
	REQUIRE(mem != NULL);
	REQUIRE(mos_rss_pool_build(&core[A]->rss, mem, memlen, &key, &reta, 0, addr(A), 1, ALL_PORTS,
				   addr(B), htons(80)) == n);
	while (core[A]->rss.count > 2)	/* two pairs left */
		REQUIRE(mos_rss_pool_get(&core[A]->rss, &sa, &sp) == 0);
	l = mos_tcp_listen(core[B], htonl(INADDR_ANY), htons(80), 4, &tl, &err);
	REQUIRE(l != NULL);
	for (int i = 0; i < 2; i++) {
		REQUIRE(mos_rss_pool_get(&core[A]->rss, &sa, &sp) == 0);
		a[i] = mos_tcp_connect(core[A], sa, sp, addr(B), htons(80), true, &ta[i], &err);
		REQUIRE(a[i] != NULL);
		run(5);
		b = mos_tcp_accept(core[B], l);
		REQUIRE(b != NULL);
		b->sock = &tb[i];
		mos_tcp_close(core[A], a[i]);	/* our side first: TIME_WAIT is ours */
		run(5);
		mos_tcp_close(core[B], b);
		run(5);
		CHECK_EQ(a[i]->state, MOS_TCP_TIME_WAIT);
	}
	CHECK_EQ(mos_rss_pool_get(&core[A]->rss, &sa, &sp), -EAGAIN);
	CHECK_EQ(core[A]->rss.empty, 1);
	run(1100);	/* tcp_timewait 1 s */
	CHECK_EQ(core[A]->rss.count, 2);
	REQUIRE(mos_rss_pool_get(&core[A]->rss, &sa, &sp) == 0);
	a[2] = mos_tcp_connect(core[A], sa, sp, addr(B), htons(80), true, &ta[2], &err);
	REQUIRE(a[2] != NULL);
	run(5);
	CHECK_EQ(a[2]->state, MOS_TCP_ESTABLISHED);
	mos_tcp_abort(core[A], a[2]);
	b = mos_tcp_accept(core[B], l);
	if (b != NULL)
		mos_tcp_abort(core[B], b);
	mos_tcp_close(core[B], l);
	run(10);
	CHECK_EQ(core[A]->rss.bad_put, 0);
	check_drained();
	memset(&core[A]->rss, 0, sizeof(core[A]->rss));
	free(mem);
}

static const struct check_case cases[] = {
	CASE(handshake_negotiates_options),
	CASE(mss_follows_the_interface_mtu),
	CASE(bulk_both_ways_with_window_scaling),
	CASE(one_byte_and_close_orders),
	CASE(simultaneous_close),
	CASE(simultaneous_open),
	CASE(closed_port_is_refused),
	CASE(silent_peer_times_out_after_the_syn_retries),
	CASE(lossy_wire_still_delivers_every_byte),
	CASE(zero_window_is_probed_and_reopens),
	CASE(zero_window_probes_end_when_nobody_answers),
	CASE(idle_timeout_resets),
	CASE(icmp_unreachable_fails_a_syn_sent_stream_at_once),
	CASE(icmp_unreachable_on_an_established_stream_is_soft),
	CASE(rfc5961_reset_and_syn_checks),
	CASE(challenge_acks_have_a_per_core_budget_per_second),
	CASE(out_of_window_acks_are_one_per_500ms),
	CASE(malformed_segments_are_counted_and_dropped),
	CASE(newreno_fast_recovery_exact_values),
	CASE(rto_sets_recover_and_keeps_ssthresh_on_backoff),
	CASE(cwnd_restarts_after_an_idle_rto),
	CASE(delayed_ack_timer_and_every_second_segment),
	CASE(urgent_data_is_refused_with_a_reset),
	CASE(paws_drops_old_timestamps),
	CASE(data_after_fin_is_dropped),
	CASE(fin_in_order_voids_the_out_of_order_queue),
	CASE(sack_dupacks_count_in_either_half_of_the_sequence_space),
	CASE(short_flows_survive_heavy_loss),
	CASE(final_ack_sent_when_ack_and_fin_arrive_together),
	CASE(short_flow_takes_three_segments_each_way),
	CASE(listener_closed_with_a_half_open_child),
	CASE(synack_with_a_wrong_ack_gets_a_reset_and_the_syn_goes_again),
	CASE(reset_at_the_peers_fin_is_taken_after_the_fin),
	CASE(fin_ahead_of_a_hole_is_taken_when_the_hole_fills),
	CASE(rst_does_not_end_time_wait),
	CASE(iss_is_a_4us_clock_plus_a_keyed_hash),
	CASE(reopened_tuple_gets_an_iss_above_the_old_connection),
	CASE(closing_streams_give_their_buffers_back),
	CASE(overlapping_segments_keep_the_bytes_received_first),
	CASE(data_outside_the_window_is_acked_and_the_edge_is_cut),
	CASE(zero_window_for_ever_ends_at_the_idle_timeout),
	CASE(data_after_close_is_answered_with_a_reset),
	CASE(tx_buffer_exhaustion_mid_burst_is_counted_and_recovers),
	CASE(synack_after_a_refused_syn_retransmission_sends_the_request_intact),
	CASE(source_pairs_held_by_time_wait_come_back),
};

CHECK_MAIN(cases)
