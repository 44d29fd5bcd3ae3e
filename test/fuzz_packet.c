/*
 * fuzz_packet.c - fuzz target: the packet input path of one core (Ethernet,
 * ARP, IPv4, ICMP, TCP) while it holds a connection in every TCP state.
 *
 * Once per process, core A (10.0.0.1, the target) and a helper core B
 * (10.0.0.2) are built over the fake I/O module, as test_tcp.c does, and
 * connections between them are driven into each state by a wire that drops
 * chosen directions of chosen flows (the table `conns` below). A's memory,
 * its sockets and the fake clock are then saved. Every input starts from
 * that snapshot: B is no longer involved, A's output is discarded, and the
 * input is decoded as a program of operations:
 *
 *   op % 8 in 0..3  a TCP segment from the peer of connection c: flags,
 *                   seq and ack as signed OFFSETS from that connection's
 *                   RCV.NXT and SND.UNA (so in-window paths are reached),
 *                   window, options (timestamps relative to TS.Recent, a
 *                   SACK block relative to SND.UNA, or raw bytes), payload,
 *                   optionally a bad checksum or a bad data offset, or,
 *                   instead, an ICMP destination unreachable quoting one of
 *                   A's segments of that connection (seq from SND.UNA)
 *          4        a raw frame (optionally with our Ethernet header put in
 *                   front and the IPv4/TCP/ICMP checksums fixed)
 *          5        time passes (1 ms .. ~2 min), timers run
 *          6        the application: send, recv, close, abort, accept
 *          7        the core polls once
 *
 * Frames go to mos_net_input in a heap buffer of exactly their length, so
 * ASan sees any read past a frame. After the input the application closes
 * everything it holds and time runs until the core is empty: every pool
 * must drain, the tuple table, the timer wheel and the send list must be
 * empty, no frame may be left. Anything else is a leak and abort()s, with
 * what is left printed.
 */
#include "mos_core.h"
#include "mos_loop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "fake_dpdk.h"
#include "mos_arp.h"
#include "mos_log.h"
#include "mos_tcp_priv.h"
#include "test/fuzz.h"
#include "test/stack_pair.h"

#define A 0
#define B 1
#define NSOCK 32		/* application sockets of A the harness can hold */
#define DRAIN_LIMIT_MS (4ULL * 3600 * 1000)	/* the stack must be empty within 4 h of quiet */

static struct mos_core *core[2];
static struct mos_conf conf[2];
static size_t core_size;

/* --- the socket layer's stand-in (as in test_tcp.c) ---------------------------------- */

struct tsock {
	struct mos_stream *s;	/* NULL: the slot is free (or the app closed it) */
	uint32_t events;
};

static struct tsock tsock[2][NSOCK];

void mos_sock_notify(struct mos_core *c, struct mos_stream *s, uint32_t events)
{
	struct tsock *t = s->sock;

	(void)c;
	t->events = events;
	if (events == 0)
		t->s = NULL;	/* freed by TCP: the socket forgets it */
}

static struct tsock *sock_new(int side)
{
	for (int i = 0; i < NSOCK; i++)
		if (tsock[side][i].s == NULL) {
			tsock[side][i].events = 0;
			return &tsock[side][i];
		}
	fprintf(stderr, "fuzz_packet: no free socket slot\n");
	abort();
}

/* --- building the states with B ---------------------------------------------------------- */

/*
 * Frames between A and B are dropped by flow and direction while they are
 * built: a flow is named by its port that is not 80.
 */
#define DROP_A2B 1
#define DROP_B2A 2
static struct {
	uint16_t port;
	int dirs;
} drop_rule[32];

static void set_drop(uint16_t port, int dirs)
{
	for (int i = 0; i < 32; i++)
		if (drop_rule[i].port == port || drop_rule[i].port == 0) {
			drop_rule[i].port = port;
			drop_rule[i].dirs = dirs;
			return;
		}
	abort();
}

static bool dropped(int from, const struct fake_frame *f)
{
	uint16_t sp, dp, key;

	if (f->len < MOS_NET_HDR_MAX + 4 || f->data[12] != 0x08 || f->data[13] != 0x00 ||
	    f->data[MOS_ETH_HLEN + 9] != IPPROTO_TCP)
		return false;
	sp = (uint16_t)(f->data[MOS_NET_HDR_MAX] << 8 | f->data[MOS_NET_HDR_MAX + 1]);
	dp = (uint16_t)(f->data[MOS_NET_HDR_MAX + 2] << 8 | f->data[MOS_NET_HDR_MAX + 3]);
	key = sp == 80 ? dp : sp;
	for (int i = 0; i < 32 && drop_rule[i].port != 0; i++)
		if (drop_rule[i].port == key)
			return drop_rule[i].dirs & (from == A ? DROP_A2B : DROP_B2A);
	return false;
}

/* Poll both cores and carry frames until nothing moves; the clock stands still. */
static void run_pair(void)
{
	for (int round = 0; round < 1000; round++) {
		int moved = mos_loop_poll(core[A]) + mos_loop_poll(core[B]);
		struct fake_frame *f;

		for (int i = 0; i < 2; i++)
			while ((f = fake_io_take(i)) != NULL) {
				moved++;
				if (dropped(i, f) || fake_io_give(1 - i, f) != 0)
					fake_io_free(f);
			}
		if (moved == 0)
			return;
	}
}

static const char *const conf_text[2] = {
	"mos {\n netdev { dpdk0 0x1 10.0.0.1/24 02:00:00:00:00:01 }\n"
	" arp_table { 10.0.0.2/32 02:00:00:00:00:02 }\n tcp_syn_retries = 3\n}\n",
	"mos {\n netdev { dpdk0 0x1 10.0.0.2/24 02:00:00:00:00:02 }\n"
	" arp_table { 10.0.0.1/32 02:00:00:00:00:01 }\n}\n",
};

static struct mos_core *make_core(int i, const struct mtcp_conf *mc, size_t *sizep)
{
	char err[CONF_ERR_MAX];
	struct mos_port_info port;
	size_t size = mos_core_mem_size(mc);
	struct mos_core *c;

	if (conf_mos_parse(&conf[i], "fuzz.conf", conf_text[i], strlen(conf_text[i]), err,
			   sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	memset(&port, 0, sizeof(port));
	memcpy(port.mac, conf[i].netdev[0].mac, 6);
	size = mos_align_up(size, MOS_CACHE_LINE);
	c = aligned_alloc(MOS_CACHE_LINE, size);
	if (c == NULL)
		abort();
	memset(c, 0, size);
	if (mos_core_setup(c, size, 0, mc, &conf[i], &port, 1234 + (uint64_t)i) != 0)
		abort();
	fake_io_attach(c, i);
	if (sizep != NULL)
		*sizep = size;
	return c;
}

/* The connections of A the input talks about, by 4-tuple (a freed stream's tuple stays). */
enum conn_id {
	C_SYN_SENT, C_SYN_RCVD, C_EST, C_EST_BUSY, C_FIN_WAIT_1, C_FIN_WAIT_2, C_CLOSING,
	C_CLOSE_WAIT, C_LAST_ACK, C_TIME_WAIT, C_EST_PASSIVE, C_EST_UNACCEPTED, C_NEW_TO_LISTENER,
	C_CLOSED_PORT, NCONN
};

static const struct conn_def {
	const char *name;
	uint16_t aport, bport;	/* A's port and the peer's */
	int state;		/* the state the build must reach (CLOSED: no stream) */
} conns[NCONN] = {
	[C_SYN_SENT]        = { "SYN_SENT",     41001, 80,    MOS_TCP_SYN_SENT },
	[C_SYN_RCVD]        = { "SYN_RCVD",     80,    42001, MOS_TCP_SYN_RCVD },
	[C_EST]             = { "ESTABLISHED",  41002, 80,    MOS_TCP_ESTABLISHED },
	[C_EST_BUSY]        = { "ESTABLISHED with data in flight and out of order",
				41003, 80, MOS_TCP_ESTABLISHED },
	[C_FIN_WAIT_1]      = { "FIN_WAIT_1",   41004, 80,    MOS_TCP_FIN_WAIT_1 },
	[C_FIN_WAIT_2]      = { "FIN_WAIT_2",   41005, 80,    MOS_TCP_FIN_WAIT_2 },
	[C_CLOSING]         = { "CLOSING",      41006, 80,    MOS_TCP_CLOSING },
	[C_CLOSE_WAIT]      = { "CLOSE_WAIT",   41007, 80,    MOS_TCP_CLOSE_WAIT },
	[C_LAST_ACK]        = { "LAST_ACK",     41008, 80,    MOS_TCP_LAST_ACK },
	[C_TIME_WAIT]       = { "TIME_WAIT",    41009, 80,    MOS_TCP_TIME_WAIT },
	[C_EST_PASSIVE]     = { "ESTABLISHED, accepted", 80, 42002, MOS_TCP_ESTABLISHED },
	[C_EST_UNACCEPTED]  = { "ESTABLISHED, in the accept queue", 80, 42003, MOS_TCP_ESTABLISHED },
	[C_NEW_TO_LISTENER] = { "a new tuple to the listener", 80, 50000, MOS_TCP_CLOSED },
	[C_CLOSED_PORT]     = { "a port nobody listens on", 81, 43000, MOS_TCP_CLOSED },
};

static struct mos_stream *listener_a;

static struct mos_stream *find(int side, in_port_t lport, in_port_t rport)
{
	struct mos_tuple_key k = { conf[side].netdev[0].addr, conf[1 - side].netdev[0].addr,
				  htons(lport), htons(rport) };
	struct mos_tuple_node *n = mos_tuple_lookup(&core[side]->tuples, &k,
						  mos_tuple_hash(&core[side]->tuples, &k));

	return n != NULL ? stream_of_flow(n) : NULL;
}

static struct mos_stream *conn_stream(int c)
{
	return find(A, conns[c].aport, conns[c].bport);
}

/* A connects from aport to B:80; B accepts. Returns A's stream. */
static struct mos_stream *open_active(uint16_t aport, struct mos_stream **bs)
{
	struct tsock *ta = sock_new(A);
	struct mos_stream *s, *b;
	int err;

	s = mos_tcp_connect(core[A], conf[A].netdev[0].addr, htons(aport), conf[B].netdev[0].addr,
			    htons(80), false, ta, &err);
	if (s == NULL)
		abort();
	ta->s = s;
	run_pair();
	b = find(B, 80, aport);
	if (b != NULL && b->state == MOS_TCP_ESTABLISHED) {
		struct tsock *tb = sock_new(B);
		struct mos_stream *l = b->listener, *x;

		while (l != NULL && (x = mos_tcp_accept(core[B], l)) != NULL && x != b)
			;
		b->sock = tb;
		tb->s = b;
	}
	if (bs != NULL)
		*bs = b;
	return s;
}

/* B connects from bport to A:80. */
static void open_passive(uint16_t bport)
{
	struct tsock *tb = sock_new(B);
	int err;

	tb->s = mos_tcp_connect(core[B], conf[B].netdev[0].addr, htons(bport),
				conf[A].netdev[0].addr, htons(80), false, tb, &err);
	if (tb->s == NULL)
		abort();
	run_pair();
}

static void app_close(int side, struct mos_stream *s)
{
	struct tsock *t = s->sock;

	mos_tcp_close(core[side], s);
	if (t != NULL)
		t->s = NULL;
}

static void fill(uint8_t *buf, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)((i * 2654435761u + seed) >> 13);
}

static void build_states(void)
{
	static uint8_t data[4096];
	struct mos_stream *s, *b;
	struct tsock *tl = sock_new(A), *tbl = sock_new(B);
	int err;

	fill(data, sizeof(data), 1);
	listener_a = mos_tcp_listen(core[A], htonl(INADDR_ANY), htons(80), 8, tl, &err);
	tl->s = listener_a;
	tbl->s = mos_tcp_listen(core[B], htonl(INADDR_ANY), htons(80), 16, tbl, &err);
	if (listener_a == NULL || tbl->s == NULL)
		abort();

	/* SYN_SENT: nothing gets through */
	set_drop(41001, DROP_A2B | DROP_B2A);
	open_active(41001, NULL);
	/* SYN_RCVD: B's SYN arrives, A's SYN-ACK is lost */
	set_drop(42001, DROP_A2B);
	open_passive(42001);
	/* ESTABLISHED, quiet */
	open_active(41002, NULL);
	/*
	 * ESTABLISHED with 3000 bytes of A's in flight (unacknowledged) and
	 * B's bytes 1000..3000 queued out of order behind a lost first 1000.
	 */
	s = open_active(41003, &b);
	set_drop(41003, DROP_B2A);
	mos_tcp_send(core[B], b, data, 1000);
	run_pair();
	set_drop(41003, DROP_A2B);
	mos_tcp_send(core[B], b, data + 1000, 2000);
	run_pair();
	mos_tcp_send(core[A], s, data, 3000);
	run_pair();
	/* FIN_WAIT_1: 500 bytes and the FIN, neither acknowledged */
	s = open_active(41004, NULL);
	set_drop(41004, DROP_A2B);
	mos_tcp_send(core[A], s, data, 500);
	app_close(A, s);
	run_pair();
	/* FIN_WAIT_2: our FIN acknowledged, the peer's still to come */
	s = open_active(41005, NULL);
	app_close(A, s);
	run_pair();
	/* CLOSING: both FINs cross, the ACKs of ours are lost */
	s = open_active(41006, &b);
	set_drop(41006, DROP_A2B);
	app_close(A, s);
	run_pair();
	app_close(B, b);
	run_pair();
	/* CLOSE_WAIT: the peer closed after 100 bytes the application has not read */
	s = open_active(41007, &b);
	mos_tcp_send(core[B], b, data, 100);
	run_pair();
	app_close(B, b);
	run_pair();
	/* LAST_ACK: the peer closed, we closed, our FIN is lost */
	s = open_active(41008, &b);
	app_close(B, b);
	run_pair();
	set_drop(41008, DROP_A2B);
	app_close(A, s);
	run_pair();
	/* TIME_WAIT: we closed first, everything arrived */
	s = open_active(41009, &b);
	app_close(A, s);
	run_pair();
	app_close(B, b);
	run_pair();
	/* passive ESTABLISHED: one accepted by the application, one left in the queue */
	open_passive(42002);
	s = mos_tcp_accept(core[A], listener_a);
	if (s == NULL)
		abort();
	s->sock = sock_new(A);
	((struct tsock *)s->sock)->s = s;
	open_passive(42003);
}

/* Every connection is where the table says, or the harness itself is broken. */
static void check_states(void)
{
	for (int c = 0; c < NCONN; c++) {
		struct mos_stream *s = conn_stream(c);
		int st = s != NULL ? s->state : MOS_TCP_CLOSED;

		if (st != conns[c].state) {
			fprintf(stderr, "fuzz_packet: %s is %s after the build\n", conns[c].name,
				mos_tcp_state_name(st));
			abort();
		}
	}
	if (conn_stream(C_EST_BUSY)->rcv.n_ooo == 0 ||
	    conn_stream(C_EST_BUSY)->snd_una == conn_stream(C_EST_BUSY)->snd_max) {
		fprintf(stderr, "fuzz_packet: the busy connection has nothing in flight or queued\n");
		abort();
	}
}

/* --- the snapshot every input starts from ------------------------------------------ */

static struct mos_core *snap_core;
static struct tsock snap_tsock[NSOCK];
static struct fake_io snap_io;
static struct mos_stream *snap_listener;

static void discard_output(void)
{
	struct fake_frame *f;

	for (int i = 0; i < 2; i++) {
		while ((f = fake_io_take(i)) != NULL)
			fake_io_free(f);
		while (fake_io.inbox[i].n != 0) {
			f = fake_io.inbox[i].f[fake_io.inbox[i].head];
			fake_io.inbox[i].head = (fake_io.inbox[i].head + 1) % FAKE_QUEUE;
			fake_io.inbox[i].n--;
			fake_io_free(f);
		}
	}
}

static void init_once(void)
{
	struct mtcp_conf mc;

	mos_log_set("fuzz_packet", MOS_LOG_QUIET);
	memset(&fake_io, 0, sizeof(fake_io));
	fake_io.now_us = 5000000;
	memset(&mc, 0, sizeof(mc));
	mc.num_cores = 1;
	mc.max_concurrency = 24;
	mc.max_num_buffers = 24;
	mc.rcvbuf_size = 8192;		/* small: the input can fill windows */
	mc.sndbuf_size = 8192;
	mc.tcp_timewait = 30;
	mc.tcp_timeout = 0;		/* no idle timeout: it would hide streams that never end */
	core[A] = make_core(A, &mc, &core_size);
	mc.rcvbuf_size = 262144;	/* B asks for a window scale of 3: A's sends scale */
	mc.sndbuf_size = 65536;
	core[B] = make_core(B, &mc, NULL);
	build_states();
	discard_output();
	check_states();
	if (fake_io.frames_used != 0)
		abort();
	snap_core = aligned_alloc(MOS_CACHE_LINE, core_size);
	if (snap_core == NULL)
		abort();
	memcpy(snap_core, core[A], core_size);
	memcpy(snap_tsock, tsock[A], sizeof(snap_tsock));
	snap_io = fake_io;
	snap_listener = listener_a;
}

/* Back to the snapshot: pointers inside A stay valid, A sits at the same address. */
static void restore(void)
{
	memcpy(core[A], snap_core, core_size);
	memcpy(tsock[A], snap_tsock, sizeof(snap_tsock));
	fake_io = snap_io;
	listener_a = snap_listener;
}

/* --- the operations ------------------------------------------------------------------- */

static uint64_t now_ms(void)
{
	return fake_io.now_us / MOS_TCP_TICK_US;
}

static void poll_a(void)
{
	struct fake_frame *f;

	mos_loop_poll(core[A]);
	while ((f = fake_io_take(A)) != NULL)
		fake_io_free(f);
}

/*
 * One frame into A, as mos_loop_poll's input step does, from a heap copy
 * of exactly len bytes; then the rest of a poll (timers, output).
 */
static void deliver(const uint8_t *frame, uint16_t len)
{
	uint8_t *buf = malloc(len ? len : 1);
	struct mos_tcp_in seg;
	uint16_t l = len;

	if (buf == NULL)
		abort();
	memcpy(buf, frame, len);
	core[A]->now = now_ms();
	switch (mos_net_input(&core[A]->net, 0, buf, &l, 0, &seg)) {
	case MOS_NET_TCP:
		mos_tcp_input(core[A], &seg, core[A]->now);
		break;
	case MOS_NET_ICMP_ERR:
		mos_tcp_icmp_error(core[A], &seg, core[A]->now);
		break;
	default:
		if (l > len)
			abort();	/* an answer may never grow past the received frame */
		break;
	}
	free(buf);
	poll_a();
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* Ethernet B -> A, IPv4 saddr -> daddr, l4len bytes of proto after it; checksum done. */
static void write_hdrs(uint8_t *f, in_addr_t saddr, in_addr_t daddr, uint8_t proto, uint16_t l4len)
{
	uint8_t *ip = f + MOS_ETH_HLEN;

	memcpy(f, conf[A].netdev[0].mac, 6);
	memcpy(f + 6, conf[B].netdev[0].mac, 6);
	put16(f + 12, 0x0800);
	memset(ip, 0, MOS_IP_HLEN);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(MOS_IP_HLEN + l4len));
	put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, &saddr, 4);
	memcpy(ip + 16, &daddr, 4);
	put16(ip + 10, mos_cksum_fold(mos_cksum_add(0, ip, MOS_IP_HLEN)));
}

/*
 * An ICMP destination unreachable (code % 16) from B quoting A's segment
 * of connection c at SND.UNA + seq_off: the IPv4 header and qlen bytes of
 * TCP (fewer than 8: a truncated quote).
 */
static void icmp_quote(int c, uint16_t peer_port, uint8_t code, uint32_t seq, uint16_t qlen)
{
	static uint8_t f[MOS_NET_HDR_MAX + 8 + MOS_IP_HLEN + MOS_TCP_HLEN];
	uint8_t *icmp = f + MOS_NET_HDR_MAX, *q = icmp + 8, *th = q + MOS_IP_HLEN;
	uint16_t len = (uint16_t)(8 + MOS_IP_HLEN + qlen);

	memset(icmp, 0, sizeof(f) - MOS_NET_HDR_MAX);
	icmp[0] = MOS_ICMP_UNREACH;
	icmp[1] = code % 16;
	q[0] = 0x45;
	put16(q + 2, MOS_IP_HLEN + MOS_TCP_HLEN);
	q[8] = 64;
	q[9] = IPPROTO_TCP;
	memcpy(q + 12, &conf[A].netdev[0].addr, 4);
	memcpy(q + 16, &conf[B].netdev[0].addr, 4);
	put16(th, conns[c].aport);
	put16(th + 2, peer_port);
	put32(th + 4, seq);
	th[12] = 5 << 4;
	th[13] = MOS_TH_ACK;
	write_hdrs(f, conf[B].netdev[0].addr, conf[A].netdev[0].addr, IPPROTO_ICMP, len);
	put16(icmp + 2, mos_cksum_fold(mos_cksum_add(0, icmp, len)));
	deliver(f, (uint16_t)(MOS_NET_HDR_MAX + len));
}

static void op_segment(struct fuzz_in *in)
{
	static uint8_t f[MOS_NET_HDR_MAX + 60 + 1500];
	int c = fz_u8(in) % NCONN;
	const struct mos_stream *s = conn_stream(c);
	uint8_t flags = fz_u8(in);
	int32_t seq_off = (int32_t)fz_u32(in), ack_off = (int32_t)fz_u32(in);
	uint16_t wnd = fz_u16(in);
	uint8_t ctl = fz_u8(in);
	uint16_t sport = conns[c].bport, paylen;
	uint8_t *th = f + MOS_NET_HDR_MAX, *o = th + MOS_TCP_HLEN;
	int optlen = 0;
	uint32_t seq0 = s != NULL ? s->rcv.nxt : 0, ack0 = s != NULL ? s->snd_una : 0;

	if (ctl & 0x01) {	/* timestamps, tsval relative to TS.Recent */
		uint32_t tsval = (s != NULL ? s->ts_recent : 0) + (uint32_t)(int8_t)fz_u8(in);
		uint32_t tsecr = tcp_ts_now(core[A]) - fz_u8(in);

		o[optlen++] = TCP_OPT_NOP;
		o[optlen++] = TCP_OPT_NOP;
		o[optlen++] = TCP_OPT_TS;
		o[optlen++] = 10;
		put32(o + optlen, tsval);
		put32(o + optlen + 4, tsecr);
		optlen += 8;
	}
	if (ctl & 0x02) {	/* one SACK block relative to SND.UNA */
		uint32_t start = ack0 + (uint32_t)(int16_t)fz_u16(in);

		o[optlen++] = TCP_OPT_NOP;
		o[optlen++] = TCP_OPT_NOP;
		o[optlen++] = TCP_OPT_SACK;
		o[optlen++] = 10;
		put32(o + optlen, start);
		put32(o + optlen + 4, start + fz_u16(in));
		optlen += 8;
	}
	if (ctl & 0x04) {	/* raw option bytes from the input */
		int n = fz_u8(in) % (40 - optlen + 1);

		optlen += (int)fz_bytes(in, o + optlen, (size_t)n);
	}
	while (optlen % 4 != 0)
		o[optlen++] = TCP_OPT_EOL;
	if (ctl & 0x08)		/* another peer port: the listener, or no stream */
		sport = fz_u16(in);
	paylen = (uint16_t)(fz_u16(in) % (1500 - MOS_IP_HLEN - MOS_TCP_HLEN - optlen + 1));
	if (ctl & 0x10) {	/* a generated payload: long segments from short inputs */
		fill(o + optlen, paylen, fz_u8(in));
	} else {
		size_t got = fz_bytes(in, o + optlen, paylen);

		memset(o + optlen + got, 'x', paylen - got);
	}
	if (ctl & 0x80) {	/* not the segment: an ICMP error quoting one of A's, flags its code */
		icmp_quote(c, sport, flags, ack0 + (uint32_t)ack_off, paylen % (MOS_TCP_HLEN + 1));
		return;
	}
	put16(th, sport);
	put16(th + 2, conns[c].aport);
	put32(th + 4, seq0 + (uint32_t)seq_off);
	put32(th + 8, ack0 + (uint32_t)ack_off);
	th[12] = (uint8_t)(((MOS_TCP_HLEN + optlen) / 4) << 4);
	if (ctl & 0x20)		/* a data offset of the input's choosing */
		th[12] = (uint8_t)(fz_u8(in) << 4);
	th[13] = flags;
	put16(th + 14, wnd);
	put16(th + 16, 0);
	put16(th + 18, 0);
	write_hdrs(f, conf[B].netdev[0].addr, conf[A].netdev[0].addr, IPPROTO_TCP,
		   (uint16_t)(MOS_TCP_HLEN + optlen + paylen));
	put16(th + 16, mos_cksum_fold(mos_cksum_add(mos_cksum_pseudo(conf[B].netdev[0].addr,
			conf[A].netdev[0].addr, IPPROTO_TCP, (uint16_t)(MOS_TCP_HLEN + optlen + paylen)),
			th, (size_t)(MOS_TCP_HLEN + optlen + paylen))));
	if (ctl & 0x40)
		th[16] ^= 0x5a;
	deliver(f, (uint16_t)(MOS_NET_HDR_MAX + MOS_TCP_HLEN + optlen + paylen));
}

/* Recompute the IPv4 header checksum and, when the lengths allow, the TCP or ICMP one. */
static void fix_checksums(uint8_t *f, uint16_t len)
{
	uint8_t *ip = f + MOS_ETH_HLEN;
	uint16_t hlen, tot;
	in_addr_t sa, da;

	if (len < MOS_NET_HDR_MAX || ip[0] >> 4 != 4)
		return;
	hlen = (uint16_t)((ip[0] & 0xf) * 4);
	tot = (uint16_t)(ip[2] << 8 | ip[3]);
	if (hlen < MOS_IP_HLEN || MOS_ETH_HLEN + hlen > len)
		return;
	put16(ip + 10, 0);
	put16(ip + 10, mos_cksum_fold(mos_cksum_add(0, ip, hlen)));
	if (tot < hlen || MOS_ETH_HLEN + tot > len)
		return;
	memcpy(&sa, ip + 12, 4);
	memcpy(&da, ip + 16, 4);
	if (ip[9] == IPPROTO_TCP && tot - hlen >= MOS_TCP_HLEN) {
		put16(ip + hlen + 16, 0);
		put16(ip + hlen + 16, mos_cksum_fold(mos_cksum_add(mos_cksum_pseudo(sa, da,
				IPPROTO_TCP, (uint16_t)(tot - hlen)), ip + hlen, (size_t)(tot - hlen))));
	} else if (ip[9] == IPPROTO_ICMP && tot - hlen >= 4) {
		put16(ip + hlen + 2, 0);
		put16(ip + hlen + 2, mos_cksum_fold(mos_cksum_add(0, ip + hlen, (size_t)(tot - hlen))));
	}
}

static void op_raw(struct fuzz_in *in)
{
	static uint8_t f[FAKE_FRAME_SZ];
	uint8_t mode = fz_u8(in);
	uint16_t len = (uint16_t)(fz_u16(in) % (1514 + 1)), at = 0;

	if ((mode & 1) && len >= MOS_ETH_HLEN) {	/* our header: to A from B */
		memcpy(f, conf[A].netdev[0].mac, 6);
		memcpy(f + 6, conf[B].netdev[0].mac, 6);
		put16(f + 12, (mode & 4) ? 0x0806 : 0x0800);
		at = MOS_ETH_HLEN;
	}
	len = (uint16_t)(at + fz_bytes(in, f + at, (size_t)(len - at)));
	if (mode & 2)
		fix_checksums(f, len);
	deliver(f, len);
}

/* Time passes: 1 ms .. about 2 minutes; the timers run as in a late poll. */
static void op_time(struct fuzz_in *in)
{
	uint8_t v = fz_u8(in);
	uint64_t ms = v < 128 ? (uint64_t)v + 1 : (uint64_t)(v - 127) * (v - 127) * 8;

	fake_io.now_us += ms * MOS_TCP_TICK_US;
	poll_a();
}

static void op_app(struct fuzz_in *in)
{
	static uint8_t buf[20000];
	uint8_t what = fz_u8(in) % 5;
	struct tsock *t = &tsock[A][fz_u8(in) % NSOCK];
	struct mos_stream *s = t->s;
	uint16_t n = fz_u16(in);

	if (what == 4) {	/* accept into this slot */
		struct mos_stream *l = listener_a;

		if (s != NULL || l == NULL || tsock[A][0].s != l ||
		    (s = mos_tcp_accept(core[A], l)) == NULL)
			return;
		s->sock = t;
		t->s = s;
		return;
	}
	if (s == NULL)
		return;
	switch (what) {
	case 0:
		fill(buf, n % sizeof(buf), n);
		mos_tcp_send(core[A], s, buf, n % (uint32_t)sizeof(buf));
		break;
	case 1:
		mos_tcp_recv(core[A], s, buf, n % (uint32_t)sizeof(buf));
		break;
	case 2:
		if (s == listener_a)
			listener_a = NULL;
		app_close(A, s);
		break;
	default:
		if (s == listener_a)
			listener_a = NULL;
		t->s = NULL;
		mos_tcp_abort(core[A], s);
		break;
	}
	poll_a();
}

/* --- what must hold after every operation ---------------------------------------------- */

static void broken(const struct mos_stream *s, const char *what)
{
	fprintf(stderr, "fuzz_packet: stream :%u -> :%u in %s: %s (una %u nxt %u max %u, "
		"snd.len %u, rcv.len %u, n_ooo %u)\n", ntohs(s->tuple.key.lport),
		ntohs(s->tuple.key.rport), mos_tcp_state_name(s->state), what, s->snd_una - s->iss,
		s->snd_nxt - s->iss, s->snd_max - s->iss, s->snd.len, s->rcv.len, s->rcv.n_ooo);
	abort();
}

static void check_stream(const struct mos_stream *s)
{
	const struct mos_rcvbuf *r = &s->rcv;

	if (s->state == MOS_TCP_SYN_SENT || s->state == MOS_TCP_LISTEN)
		return;
	if (MOS_SEQ_GT(s->snd_una, s->snd_max) || MOS_SEQ_GT(s->snd_nxt, s->snd_max))
		broken(s, "SND.UNA or SND.NXT beyond the highest sequence sent");
	if (s->snd.len > s->snd.size || r->len > r->size)
		broken(s, "a buffer holds more than its size");
	if (r->n_ooo > MOS_RCV_OOO_MAX)
		broken(s, "too many out-of-order ranges");
	for (int i = 0; i < r->n_ooo; i++) {
		if (!MOS_SEQ_LT(r->ooo[i].start, r->ooo[i].end) || !MOS_SEQ_GT(r->ooo[i].start, r->nxt))
			broken(s, "an out-of-order range is empty or not beyond RCV.NXT");
		if (i > 0 && !MOS_SEQ_GT(r->ooo[i].start, r->ooo[i - 1].end))
			broken(s, "out-of-order ranges overlap, touch or are not sorted");
		if (r->ooo[i].end - r->nxt > r->size - r->len)
			broken(s, "an out-of-order range lies beyond the buffer");
	}
	if (s->mss < TCP_MSS_MIN - TCP_OPT_TS_ALIGNED)
		broken(s, "MSS below the minimum");
	if ((s->flags & MOS_SF_FIN_OOO) &&
	    ((s->flags & MOS_SF_FIN_RCVD) || !MOS_SEQ_GT(s->fin_seq, r->nxt)))
		broken(s, "a kept FIN after the FIN, or not beyond RCV.NXT");
}

static void check_core(void)
{
	struct mos_core *a = core[A];

	for (uint32_t b = 0; b <= a->tuples.mask; b++)
		for (struct mos_tuple_node *n = a->tuples.bucket[b]; n != NULL; n = n->next)
			check_stream(stream_of_flow(n));
	if (a->tuples.count > a->n_streams) {
		fprintf(stderr, "fuzz_packet: %u flows but %u streams\n", a->tuples.count, a->n_streams);
		abort();
	}
	for (int p = 0; p < MOS_POOL_COUNT; p++)
		if (a->pool[p].in_use > a->pool[p].capacity) {
			fprintf(stderr, "fuzz_packet: pool %s lends more than it has\n", a->pool[p].name);
			abort();
		}
}

/* --- the end of every input: close everything, let time pass, nothing may be left ---- */

static void leak(const char *what)
{
	struct mos_core *a = core[A];

	fprintf(stderr, "fuzz_packet: LEAK: %s (streams %u, flows %u, timers %u, frames %u, "
		"pools", what, a->n_streams, a->tuples.count, a->wheel.armed, fake_io.frames_used);
	for (int p = 0; p < MOS_POOL_COUNT; p++)
		fprintf(stderr, " %s %u", a->pool[p].name, a->pool[p].in_use);
	fprintf(stderr, ")\n");
	for (uint32_t b = 0; b <= a->tuples.mask; b++)
		for (struct mos_tuple_node *n = a->tuples.bucket[b]; n != NULL; n = n->next) {
			struct mos_stream *x = stream_of_flow(n);

			fprintf(stderr, "  left: :%u -> :%u %s flags %#x sock %p snd_wnd %u snd.len %u "
				"una %u max %u retries %u rto %u\n", ntohs(x->tuple.key.lport),
				ntohs(x->tuple.key.rport), mos_tcp_state_name(x->state), x->flags,
				x->sock, x->snd_wnd, x->snd.len, x->snd_una - x->iss,
				x->snd_max - x->iss, x->retries, x->rto);
		}
	abort();
}

static bool timer_min(const struct mos_stream *s, uint64_t *min)
{
	const struct mos_timer *t[3] = { &s->rto_timer.t, &s->ack_timer.t, &s->life_timer.t };
	bool any = false;

	for (int i = 0; i < 3; i++)
		if (mos_timer_armed(t[i])) {
			any = true;
			if (t[i]->expires < *min)
				*min = t[i]->expires;
		}
	return any;
}

/* The tick of the next timer of A's streams; false when none is armed. */
static bool next_expiry(uint64_t *at)
{
	struct mos_core *a = core[A];
	bool any = false;

	*at = UINT64_MAX;
	for (uint32_t b = 0; b <= a->tuples.mask; b++)
		for (struct mos_tuple_node *n = a->tuples.bucket[b]; n != NULL; n = n->next)
			any |= timer_min(stream_of_flow(n), at);
	if (!LIST_EMPTY(&a->arp_wait)) {
		uint64_t t = a->arp_last_request + MOS_ARP_RETRY;

		*at = t < *at ? t : *at;
		any = true;
	}
	return any;
}

static void drain(void)
{
	struct mos_core *a = core[A];
	uint64_t start = now_ms(), at;
	long turns = 0;

	for (int i = NSOCK - 1; i >= 0; i--)	/* the listener (slot 0) last */
		if (tsock[A][i].s != NULL) {
			if (tsock[A][i].s == listener_a)
				listener_a = NULL;
			app_close(A, tsock[A][i].s);
		}
	poll_a();
	while (a->n_streams != 0) {
		if (!next_expiry(&at))
			leak("streams are left with no timer to end them");
		if (at > start + DRAIN_LIMIT_MS)
			leak("streams still live after hours without a peer");
		if (++turns > 1000000)
			leak("timers keep firing without time passing");
		if (at > now_ms())
			fake_io.now_us = at * MOS_TCP_TICK_US;
		poll_a();
	}
	for (int p = 0; p < MOS_POOL_COUNT; p++)
		if (a->pool[p].in_use != 0)
			leak("a pool did not drain");
	if (a->tuples.count != 0 || a->wheel.armed != 0 || !STAILQ_EMPTY(&a->tx_list) ||
	    !LIST_EMPTY(&a->arp_wait) || a->n_listener != 0 || fake_io.frames_used != 0)
		leak("the core is not empty");
}

/* FUZZ_TRACE=1: one line per operation with the state of every connection (to check seeds). */
static void trace(uint8_t op)
{
	fprintf(stderr, "op %u:", op % 8);
	for (int c = 0; c < NCONN; c++) {
		const struct mos_stream *s = conn_stream(c);

		fprintf(stderr, " %s", s != NULL ? mos_tcp_state_name(s->state) : "-");
	}
	fprintf(stderr, " | streams %u, fast retransmits %llu, now %llu ms\n", core[A]->n_streams,
		(unsigned long long)core[A]->tcp.fast_retransmits, (unsigned long long)now_ms());
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool inited, tracing;
	struct fuzz_in in = { data, size };

	if (!inited) {
		init_once();
		inited = true;
		tracing = getenv("FUZZ_TRACE") != NULL;
	}
	restore();
	for (int ops = 0; in.n != 0 && ops < 256; ops++) {
		uint8_t op = fz_u8(&in);

		switch (op % 8) {
		case 4: op_raw(&in); break;
		case 5: op_time(&in); break;
		case 6: op_app(&in); break;
		case 7: poll_a(); break;
		default: op_segment(&in); break;
		}
		check_core();
		if (tracing)
			trace(op);
	}
	drain();
	return 0;
}
