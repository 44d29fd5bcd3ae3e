/*
 * test_socket.c - the socket table and epoll (mos_socket.c, mos_epoll.c)
 * over a fake TCP: the mos_tcp_* verbs, mos_loop_poll and
 * mos_loop_stopping are stubs below, whose streams have settable
 * readiness, so that ids, errors, blocking and every epoll rule can be
 * checked without a stack. Connections take real pairs from a real RSS
 * pool (mos_rss.c), and each case ends by checking that the socket table
 * and the pool are whole again.
 */
#include "mos_socket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "check.h"
#include "mos_core.h"
#include "mos_loop.h"
#include "mos_epoll.h"
#include "mos_tcp.h"
#include "mtcp_api.h"

#define ALL_PORTS MOS_RSS_PORT_FIRST, MOS_RSS_PORT_LAST	/* mos.conf's default */

#define MAXS       8	/* sockets in the test table */
#define N_STREAMS  64
#define TXCAP      64

/* --- the fake TCP --------------------------------------------------------------- */

/* What a fake stream has, beside the fields of struct mos_stream the socket layer reads. */
struct fake {
	bool used, rss, closed, aborted;
	uint32_t rx;		/* bytes waiting to be read */
	uint32_t rx_off;	/* bytes read so far: the next byte is rx_off & 0xff */
	bool eof;		/* the peer's FIN came (after the rx bytes) */
	uint32_t tx_space;	/* room in the send buffer */
	uint8_t tx[TXCAP];	/* what was sent, first TXCAP bytes */
	uint32_t tx_len;
	uint32_t accept_q;	/* listener: children ready */
	uint32_t extra;		/* events mos_tcp_poll adds */
};

static struct mos_core core;
static uint64_t sock_mem[(MAXS * sizeof(struct mos_socket) + 7) / 8];
static struct mos_stream streams[N_STREAMS];
static struct fake fk[N_STREAMS];
static int connect_err;		/* -errno mos_tcp_connect fails with, 0: succeed */
static int n_closed, n_aborted;

/* mos_loop_poll: the tick, a count, a hook per turn, an optional stop. */
static int polls;
static int stop_after;		/* 0: never */
static bool stopping;
static void (*poll_hook)(int turn);

static struct mos_rss_key key;
static struct mos_rss_reta reta;
static uint64_t rss_mem[8192];
static uint32_t rss_capacity;

static in_addr_t ip4(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return a.s_addr;
}

static struct fake *fake_of(const struct mos_stream *s)
{
	return &fk[s - streams];
}

static struct mos_stream *stream_new(uint8_t state)
{
	for (int i = 0; i < N_STREAMS; i++)
		if (!fk[i].used) {
			memset(&streams[i], 0, sizeof(streams[i]));
			memset(&fk[i], 0, sizeof(fk[i]));
			fk[i].used = true;
			streams[i].state = state;
			core.n_streams++;
			return &streams[i];
		}
	abort();
}

/* The stream is gone, as tcp_free does it: the socket hears events 0, the pair goes back. */
static void stream_free(struct mos_stream *s)
{
	if (s->sock != NULL)
		mos_sock_notify(&core, s, 0);
	s->sock = NULL;
	if (fake_of(s)->rss)
		mos_rss_pool_put(&core.rss, s->tuple.key.laddr, s->tuple.key.lport);
	if (s->state == MOS_TCP_LISTEN)
		core.n_listener--;
	s->state = MOS_TCP_CLOSED;
	fake_of(s)->used = false;
	core.n_streams--;
}

uint32_t mos_tcp_poll(const struct mos_stream *s)
{
	const struct fake *f = fake_of(s);
	uint32_t ev = f->extra;

	if (s->state == MOS_TCP_LISTEN)
		return f->accept_q != 0 ? MOS_EPOLLIN : 0;
	if (s->so_error != 0)
		ev |= MOS_EPOLLERR | MOS_EPOLLHUP | MOS_EPOLLIN | MOS_EPOLLRDHUP;
	if (f->rx != 0)
		ev |= MOS_EPOLLIN;
	if (f->eof)
		ev |= MOS_EPOLLIN | MOS_EPOLLRDHUP;
	if (s->state == MOS_TCP_ESTABLISHED && f->tx_space != 0)
		ev |= MOS_EPOLLOUT;
	if (s->state == MOS_TCP_CLOSED)
		ev |= MOS_EPOLLHUP;
	return ev;
}

/* TCP's tcp_notify: tell the socket what the stream has now. */
static void tcp_event(struct mos_stream *s)
{
	if (s->sock != NULL)
		mos_sock_notify(&core, s, mos_tcp_poll(s));
}

struct mos_stream *mos_tcp_connect(struct mos_core *c, in_addr_t saddr, in_port_t sport,
				   in_addr_t daddr, in_port_t dport, bool rss_pair, void *sock,
				   int *err)
{
	struct mos_stream *s;

	(void)c;
	if (connect_err != 0) {
		*err = connect_err;
		return NULL;
	}
	s = stream_new(MOS_TCP_SYN_SENT);
	s->tuple.key = (struct mos_tuple_key){ saddr, daddr, sport, dport };
	s->sock = sock;
	fake_of(s)->rss = rss_pair;
	fake_of(s)->tx_space = TXCAP;
	return s;
}

struct mos_stream *mos_tcp_listen(struct mos_core *c, in_addr_t addr, in_port_t port,
				  uint32_t backlog, void *sock, int *err)
{
	struct mos_stream *s;

	(void)backlog;
	for (int i = 0; i < N_STREAMS; i++)
		if (fk[i].used && streams[i].state == MOS_TCP_LISTEN &&
		    streams[i].tuple.key.lport == port) {
			*err = -EADDRINUSE;
			return NULL;
		}
	s = stream_new(MOS_TCP_LISTEN);
	s->tuple.key.laddr = addr;
	s->tuple.key.lport = port;
	s->sock = sock;
	c->n_listener++;
	return s;
}

struct mos_stream *mos_tcp_accept(struct mos_core *c, struct mos_stream *l)
{
	struct mos_stream *s;

	(void)c;
	if (fake_of(l)->accept_q == 0)
		return NULL;
	fake_of(l)->accept_q--;
	s = stream_new(MOS_TCP_ESTABLISHED);
	s->tuple.key = (struct mos_tuple_key){ l->tuple.key.laddr, ip4("10.9.9.9"),
					     l->tuple.key.lport, htons(40000) };
	fake_of(s)->tx_space = TXCAP;
	return s;
}

long mos_tcp_send(struct mos_core *c, struct mos_stream *s, const void *data, uint32_t n)
{
	struct fake *f = fake_of(s);
	uint32_t put = n < f->tx_space ? n : f->tx_space;

	(void)c;
	if (s->so_error != 0)
		return -s->so_error;
	if (s->state == MOS_TCP_SYN_SENT)
		return -EAGAIN;
	if (s->state != MOS_TCP_ESTABLISHED)
		return s->state == MOS_TCP_CLOSED ? -ENOTCONN : -EPIPE;
	if (put == 0)
		return n == 0 ? 0 : -EAGAIN;
	for (uint32_t i = 0; i < put; i++)
		if (f->tx_len < TXCAP)
			f->tx[f->tx_len++] = ((const uint8_t *)data)[i];
	f->tx_space -= put;
	return put;
}

long mos_tcp_recv(struct mos_core *c, struct mos_stream *s, void *buf, uint32_t n)
{
	struct fake *f = fake_of(s);
	uint32_t got = n < f->rx ? n : f->rx;

	(void)c;
	if (s->state == MOS_TCP_SYN_SENT)
		return s->so_error != 0 ? -s->so_error : -EAGAIN;
	if (f->rx == 0) {
		if (s->so_error != 0)
			return -s->so_error;
		return f->eof || s->state == MOS_TCP_CLOSED ? 0 : -EAGAIN;
	}
	for (uint32_t i = 0; i < got; i++)
		((uint8_t *)buf)[i] = (uint8_t)(f->rx_off + i);
	f->rx_off += got;
	f->rx -= got;
	return got;
}

void mos_tcp_close(struct mos_core *c, struct mos_stream *s)
{
	(void)c;
	s->sock = NULL;
	fake_of(s)->closed = true;
	n_closed++;
	stream_free(s);		/* at once here; the real TCP keeps it for the FINs */
}

void mos_tcp_abort(struct mos_core *c, struct mos_stream *s)
{
	(void)c;
	s->sock = NULL;
	fake_of(s)->aborted = true;
	n_aborted++;
	stream_free(s);
}

int mos_loop_poll(struct mos_core *c)
{
	c->now++;
	polls++;
	if (poll_hook != NULL)
		poll_hook(polls);
	if (stop_after != 0 && polls >= stop_after)
		stopping = true;
	return 0;
}

bool mos_loop_stopping(void)
{
	return stopping;
}

/* --- helpers -------------------------------------------------------------------- */

#define DADDR "10.0.0.4"
#define DPORT 80

static mctx_t mctx;

/* A fresh core: empty table, no streams, an RSS pool for DADDR:DPORT (queue 0 of 64). */
static void setup(void)
{
	long cap;

	memset(&core, 0, sizeof(core));
	memset(fk, 0, sizeof(fk));
	connect_err = 0;
	n_closed = n_aborted = 0;
	polls = stop_after = 0;
	stopping = false;
	poll_hook = NULL;
	mctx = &core.ctx;
	if (mos_sock_init(&core.sock, sock_mem, sizeof(sock_mem), MAXS) != 0)
		abort();
	if (mos_rss_key_init(&key, mos_rss_key_symmetric, 40) != 0 ||
	    mos_rss_reta_default(&reta, 128, 64) != 0)
		abort();
	cap = mos_rss_pool_build(&core.rss, rss_mem, sizeof(rss_mem), &key, &reta, 0,
				 ip4("10.0.0.2"), 1, ALL_PORTS, ip4(DADDR), htons(DPORT));
	if (cap <= 0)
		abort();
	rss_capacity = (uint32_t)cap;
	core.rss_mem = rss_mem;
}

/* Every id free, every stream gone, every source pair back. */
static void check_drained(void)
{
	CHECK_EQ(core.sock.in_use, 0);
	CHECK_EQ(core.sock.n_epoll, 0);
	CHECK_EQ(core.n_streams, 0);
	CHECK_EQ(core.rss.count, rss_capacity);
}

static struct sockaddr_in sin_of(const char *addr, uint16_t port)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = ip4(addr);
	sin.sin_port = htons(port);
	return sin;
}

static int connect_to(int id, const char *addr, uint16_t port)
{
	struct sockaddr_in sin = sin_of(addr, port);

	return mtcp_connect(mctx, id, (const struct sockaddr *)&sin, sizeof(sin));
}

/* A non-blocking socket connecting to DADDR:DPORT; *s: its stream. */
static int connecting(struct mos_stream **s)
{
	int id = mtcp_socket(mctx, AF_INET, SOCK_STREAM, 0);

	if (id < 0 || mtcp_setsock_nonblock(mctx, id) != 0)
		abort();
	errno = 0;
	if (connect_to(id, DADDR, DPORT) != -1 || errno != EINPROGRESS)
		abort();
	*s = core.sock.sock[id].stream;
	return id;
}

/* As connecting, then established (told to the socket as TCP would). */
static int connected(struct mos_stream **s)
{
	int id = connecting(s);

	(*s)->state = MOS_TCP_ESTABLISHED;
	tcp_event(*s);
	return id;
}

static int epoll_add(int ep, int id, uint32_t events)
{
	struct mtcp_epoll_event ev = { .events = events, .data.sockid = id };

	return mtcp_epoll_ctl(mctx, ep, MOS_EPOLL_CTL_ADD, id, &ev);
}

static int wait0(int ep, struct mtcp_epoll_event *out, int max)
{
	return mtcp_epoll_wait(mctx, ep, out, max, 0);
}

/* New bytes for s, told to the socket. */
static void data_in(struct mos_stream *s, uint32_t n)
{
	fake_of(s)->rx += n;
	tcp_event(s);
}

/* The connection fails with err, as tcp_fail does it. */
static void stream_fail(struct mos_stream *s, int err)
{
	s->so_error = err;
	s->state = MOS_TCP_CLOSED;
	tcp_event(s);
}

/* --- the table ---------------------------------------------------------------------- */

TEST(init_checks_its_arguments)
{
	struct mos_sock_core sc;

	CHECK_EQ(mos_sock_mem_size(3), mos_align_up(3 * sizeof(struct mos_socket), 8));
	CHECK_EQ(mos_sock_init(&sc, sock_mem, sizeof(sock_mem), 0), -EINVAL);
	CHECK_EQ(mos_sock_init(&sc, NULL, sizeof(sock_mem), 2), -EINVAL);
	CHECK_EQ(mos_sock_init(&sc, (char *)sock_mem + 4, sizeof(sock_mem) - 8, 2), -EINVAL);
	CHECK_EQ(mos_sock_init(&sc, sock_mem, sizeof(sock_mem), MAXS + 1), -ENOSPC);
	CHECK_EQ(mos_sock_init(&sc, sock_mem, sizeof(sock_mem), MAXS), 0);
	CHECK_EQ(sc.max, MAXS);
	CHECK_EQ(sc.in_use, 0);
}

TEST(ids_from_zero_reused_fifo_and_exhausted)
{
	setup();
	for (int i = 0; i < MAXS; i++)
		CHECK_EQ(mtcp_socket(mctx, AF_INET, SOCK_STREAM, 0), i);
	errno = 0;
	CHECK_EQ(mtcp_socket(mctx, AF_INET, SOCK_STREAM, 0), -1);
	CHECK_EQ(errno, EMFILE);
	errno = 0;
	CHECK_EQ(mtcp_epoll_create(mctx, 10), -1);
	CHECK_EQ(errno, EMFILE);
	CHECK_EQ(core.sock.exhausted, 2);
	CHECK_EQ(core.sock.in_use_max, MAXS);
	CHECK_EQ(mtcp_close(mctx, 5), 0);
	CHECK_EQ(mtcp_close(mctx, 2), 0);
	CHECK_EQ(mtcp_epoll_create(mctx, 1), 5);	/* the first closed comes back first */
	CHECK_EQ(mtcp_socket(mctx, AF_INET, SOCK_STREAM, 0), 2);
	for (int i = 0; i < MAXS; i++)
		CHECK_EQ(mtcp_close(mctx, i), 0);
	check_drained();
}

TEST(bad_ids_and_bad_arguments)
{
	char buf[4];
	int ep;

	setup();
	ep = mtcp_epoll_create(mctx, 1);
	const int bad[] = { -1, MAXS, MAXS + 100, 3 /* free */ };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		CHECK_EQ(mtcp_read(mctx, bad[i], buf, sizeof(buf)), -1);
		CHECK_EQ(errno, EBADF);
		errno = 0;
		CHECK_EQ(mtcp_write(mctx, bad[i], buf, sizeof(buf)), -1);
		CHECK_EQ(errno, EBADF);
		errno = 0;
		CHECK_EQ(mtcp_close(mctx, bad[i]), -1);
		CHECK_EQ(errno, EBADF);
		errno = 0;
		CHECK_EQ(connect_to(bad[i], DADDR, DPORT), -1);
		CHECK_EQ(errno, EBADF);
	}
	errno = 0;
	CHECK_EQ(mtcp_read(mctx, ep, buf, sizeof(buf)), -1);	/* not a socket */
	CHECK_EQ(errno, ENOTSOCK);
	errno = 0;
	CHECK_EQ(mtcp_socket(mctx, AF_INET6, SOCK_STREAM, 0), -1);
	CHECK_EQ(errno, EAFNOSUPPORT);
	errno = 0;
	CHECK_EQ(mtcp_socket(mctx, AF_INET, SOCK_DGRAM, 0), -1);
	CHECK_EQ(errno, EPROTONOSUPPORT);
	errno = 0;
	CHECK_EQ(mtcp_socket(mctx, AF_INET, SOCK_STREAM, IPPROTO_UDP), -1);
	CHECK_EQ(errno, EPROTONOSUPPORT);
	errno = 0;
	CHECK_EQ(mtcp_socket(NULL, AF_INET, SOCK_STREAM, 0), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(mtcp_close(mctx, ep), 0);
	check_drained();
}

TEST(socket_nonblock_flag_and_mos_type_name)
{
	int a, b;

	setup();
	a = mtcp_socket(mctx, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TCP);
	b = mtcp_socket(mctx, AF_INET, MOS_SOCK_STREAM, 0);
	REQUIRE(a >= 0 && b >= 0);
	CHECK(core.sock.sock[a].flags & MOS_SKF_NONBLOCK);
	CHECK(!(core.sock.sock[b].flags & MOS_SKF_NONBLOCK));
	CHECK_EQ(mtcp_close(mctx, a), 0);
	CHECK_EQ(mtcp_close(mctx, b), 0);
	check_drained();
}

/* --- connect ----------------------------------------------------------------------- */

TEST(nonblocking_connect_takes_an_rss_pair)
{
	struct mos_stream *s;
	struct sockaddr_in me, peer;
	socklen_t len = sizeof(me);
	int id;

	setup();
	id = connecting(&s);
	REQUIRE(s != NULL);
	CHECK(s->sock == &core.sock.sock[id]);
	CHECK(fake_of(s)->rss);
	CHECK_EQ(core.rss.count, rss_capacity - 1);
	CHECK_EQ(s->tuple.key.raddr, ip4(DADDR));
	CHECK_EQ(s->tuple.key.rport, htons(DPORT));
	CHECK_EQ(mtcp_getsockname(mctx, id, (struct sockaddr *)&me, &len), 0);
	CHECK_EQ(len, sizeof(me));
	CHECK_EQ(me.sin_addr.s_addr, s->tuple.key.laddr);
	CHECK_EQ(me.sin_port, s->tuple.key.lport);
	CHECK_EQ(mtcp_get_connection_cnt(mctx), 1);
	errno = 0;
	CHECK_EQ(connect_to(id, DADDR, DPORT), -1);
	CHECK_EQ(errno, EALREADY);
	errno = 0;
	CHECK_EQ(mtcp_getpeername(mctx, id, (struct sockaddr *)&peer, &len), -1);
	CHECK_EQ(errno, ENOTCONN);
	s->state = MOS_TCP_ESTABLISHED;
	tcp_event(s);
	errno = 0;
	CHECK_EQ(connect_to(id, DADDR, DPORT), -1);
	CHECK_EQ(errno, EISCONN);
	CHECK_EQ(mtcp_getpeername(mctx, id, (struct sockaddr *)&peer, &len), 0);
	CHECK_EQ(peer.sin_addr.s_addr, ip4(DADDR));
	CHECK_EQ(peer.sin_port, htons(DPORT));
	CHECK_EQ(mtcp_close(mctx, id), 0);
	CHECK_EQ(n_closed, 1);
	check_drained();
}

TEST(connect_source_rules)
{
	struct sockaddr_in me = sin_of("10.0.0.7", 5555);
	struct mos_stream *s;
	int a = -1, b, c;

	setup();
	b = mtcp_socket(mctx, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	errno = 0;
	CHECK_EQ(connect_to(b, "10.0.0.5", DPORT), -1);	/* not the pool's destination */
	CHECK_EQ(errno, EADDRNOTAVAIL);
	errno = 0;
	CHECK_EQ(connect_to(b, DADDR, 8080), -1);
	CHECK_EQ(errno, EADDRNOTAVAIL);
	/* a bound socket uses its own pair, anywhere */
	CHECK_EQ(mtcp_bind(mctx, b, (struct sockaddr *)&me, sizeof(me)), 0);
	errno = 0;
	CHECK_EQ(connect_to(b, "10.0.0.5", 99), -1);
	CHECK_EQ(errno, EINPROGRESS);
	s = core.sock.sock[b].stream;
	REQUIRE(s != NULL);
	CHECK(!fake_of(s)->rss);
	CHECK_EQ(s->tuple.key.laddr, me.sin_addr.s_addr);
	CHECK_EQ(s->tuple.key.lport, me.sin_port);
	/* a partial bind has nothing to complete it */
	c = mtcp_socket(mctx, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	me.sin_port = 0;
	CHECK_EQ(mtcp_bind(mctx, c, (struct sockaddr *)&me, sizeof(me)), 0);
	errno = 0;
	CHECK_EQ(connect_to(c, DADDR, DPORT), -1);
	CHECK_EQ(errno, EADDRNOTAVAIL);
	/* TCP refuses: the pair goes back */
	connect_err = -ENOMEM;
	a = mtcp_socket(mctx, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	errno = 0;
	CHECK_EQ(connect_to(a, DADDR, DPORT), -1);
	CHECK_EQ(errno, ENOMEM);
	CHECK_EQ(core.rss.count, rss_capacity);
	/* no pool at all: mtcp_init_rss was not called */
	connect_err = 0;
	core.rss_mem = NULL;
	errno = 0;
	CHECK_EQ(connect_to(a, DADDR, DPORT), -1);
	CHECK_EQ(errno, EADDRNOTAVAIL);
	core.rss_mem = rss_mem;
	CHECK_EQ(mtcp_close(mctx, a), 0);
	CHECK_EQ(mtcp_close(mctx, b), 0);
	CHECK_EQ(mtcp_close(mctx, c), 0);
	check_drained();
}

TEST(connect_with_the_pool_empty)
{
	in_addr_t a;
	in_port_t p;
	int id;

	setup();
	while (mos_rss_pool_get(&core.rss, &a, &p) == 0)
		;
	id = mtcp_socket(mctx, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	errno = 0;
	CHECK_EQ(connect_to(id, DADDR, DPORT), -1);
	CHECK_EQ(errno, EADDRNOTAVAIL);
	CHECK_EQ(mtcp_close(mctx, id), 0);
	CHECK_EQ(core.sock.in_use, 0);
	CHECK_EQ(core.n_streams, 0);
}

static struct mos_stream *hook_stream;
static int hook_turn;
static int hook_err;

/* At turn hook_turn the stream is established, or fails with hook_err. */
static void establish_hook(int turn)
{
	if (turn != hook_turn)
		return;
	if (hook_err != 0) {
		stream_fail(hook_stream, hook_err);
		return;
	}
	hook_stream->state = MOS_TCP_ESTABLISHED;
	tcp_event(hook_stream);
}

static void catch_stream(int turn)
{
	for (int i = 0; i < N_STREAMS && hook_stream == NULL; i++)
		if (fk[i].used && streams[i].state == MOS_TCP_SYN_SENT)
			hook_stream = &streams[i];
	establish_hook(turn);
}

TEST(blocking_connect_runs_the_stack)
{
	int id;

	setup();
	hook_stream = NULL;
	hook_turn = 3;
	hook_err = 0;
	poll_hook = catch_stream;
	id = mtcp_socket(mctx, AF_INET, SOCK_STREAM, 0);
	CHECK_EQ(connect_to(id, DADDR, DPORT), 0);
	CHECK_EQ(polls, 3);
	CHECK_EQ(mtcp_close(mctx, id), 0);

	hook_stream = NULL;
	hook_turn = polls + 2;
	hook_err = ECONNREFUSED;
	id = mtcp_socket(mctx, AF_INET, SOCK_STREAM, 0);
	errno = 0;
	CHECK_EQ(connect_to(id, DADDR, DPORT), -1);
	CHECK_EQ(errno, ECONNREFUSED);
	CHECK_EQ(mtcp_close(mctx, id), 0);

	poll_hook = NULL;
	stop_after = polls + 4;
	id = mtcp_socket(mctx, AF_INET, SOCK_STREAM, 0);
	errno = 0;
	CHECK_EQ(connect_to(id, DADDR, DPORT), -1);
	CHECK_EQ(errno, EINTR);
	CHECK_EQ(mtcp_close(mctx, id), 0);
	check_drained();
}

/* --- reading and writing ---------------------------------------------------------------- */

TEST(read_and_write_results)
{
	struct mos_stream *s;
	char buf[16];
	int id, fresh;

	setup();
	fresh = mtcp_socket(mctx, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	errno = 0;
	CHECK_EQ(mtcp_read(mctx, fresh, buf, sizeof(buf)), -1);
	CHECK_EQ(errno, ENOTCONN);
	errno = 0;
	CHECK_EQ(mtcp_write(mctx, fresh, "x", 1), -1);
	CHECK_EQ(errno, ENOTCONN);
	id = connecting(&s);
	errno = 0;
	CHECK_EQ(mtcp_write(mctx, id, "x", 1), -1);	/* still connecting */
	CHECK_EQ(errno, EAGAIN);
	s->state = MOS_TCP_ESTABLISHED;
	errno = 0;
	CHECK_EQ(mtcp_read(mctx, id, buf, sizeof(buf)), -1);
	CHECK_EQ(errno, EAGAIN);
	CHECK_EQ(mtcp_read(mctx, id, buf, 0), 0);
	fake_of(s)->rx = 5;
	CHECK_EQ(mtcp_read(mctx, id, buf, sizeof(buf)), 5);
	CHECK_EQ(buf[4], 4);
	fake_of(s)->tx_space = 3;
	CHECK_EQ(mtcp_write(mctx, id, "abcdef", 6), 3);	/* partial */
	errno = 0;
	CHECK_EQ(mtcp_write(mctx, id, "def", 3), -1);
	CHECK_EQ(errno, EAGAIN);
	fake_of(s)->eof = true;
	CHECK_EQ(mtcp_read(mctx, id, buf, sizeof(buf)), 0);
	s->state = MOS_TCP_FIN_WAIT_1;	/* as after a shutdown: TCP says EPIPE */
	fake_of(s)->tx_space = 10;
	errno = 0;
	CHECK_EQ(mtcp_write(mctx, id, "x", 1), -1);
	CHECK_EQ(errno, EPIPE);
	CHECK_EQ(mtcp_close(mctx, id), 0);
	CHECK_EQ(mtcp_close(mctx, fresh), 0);
	check_drained();
}

TEST(readv_and_writev_split_across_buffers)
{
	struct mos_stream *s;
	char a[4], b[4], c[4];
	struct iovec rv[] = { { a, 4 }, { NULL, 0 }, { b, 4 }, { c, 4 } };
	struct iovec wv[] = { { (void *)"0123", 4 }, { (void *)"4567", 4 } };
	int id;

	setup();
	id = connected(&s);
	fake_of(s)->rx = 10;
	CHECK_EQ(mtcp_readv(mctx, id, rv, 4), 10);
	CHECK_EQ(a[0], 0);
	CHECK_EQ(a[3], 3);
	CHECK_EQ(b[0], 4);
	CHECK_EQ(c[0], 8);
	CHECK_EQ(c[1], 9);
	CHECK_EQ(fake_of(s)->rx, 0);
	fake_of(s)->tx_space = 6;
	CHECK_EQ(mtcp_writev(mctx, id, wv, 2), 6);
	CHECK_EQ(fake_of(s)->tx_len, 6);
	CHECK(memcmp(fake_of(s)->tx, "012345", 6) == 0);
	errno = 0;
	CHECK_EQ(mtcp_writev(mctx, id, wv, 2), -1);
	CHECK_EQ(errno, EAGAIN);
	errno = 0;
	CHECK_EQ(mtcp_readv(mctx, id, rv, -1), -1);
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK_EQ(mtcp_readv(mctx, id, NULL, 1), -1);
	CHECK_EQ(errno, EFAULT);
	CHECK_EQ(mtcp_readv(mctx, id, rv, 0), 0);
	CHECK_EQ(mtcp_close(mctx, id), 0);
	check_drained();
}

/* Each turn of the stack brings 2 bytes and frees 2 bytes of send buffer. */
static void trickle_hook(int turn)
{
	(void)turn;
	data_in(hook_stream, 2);
	fake_of(hook_stream)->tx_space += 2;
	tcp_event(hook_stream);
}

TEST(blocking_read_and_write_run_the_stack)
{
	char buf[8];
	int id;

	setup();
	id = connected(&hook_stream);
	core.sock.sock[id].flags &= (uint8_t)~MOS_SKF_NONBLOCK;
	poll_hook = trickle_hook;
	CHECK_EQ(mtcp_read(mctx, id, buf, sizeof(buf)), 2);
	CHECK_EQ(polls, 1);
	fake_of(hook_stream)->tx_space = 0;
	CHECK_EQ(mtcp_write(mctx, id, "abcdefgh", 8), 8);	/* waits for room for all */
	CHECK_EQ(polls, 5);
	CHECK(memcmp(fake_of(hook_stream)->tx, "abcdefgh", 8) == 0);
	poll_hook = NULL;
	fake_of(hook_stream)->rx = 0;
	stop_after = polls + 2;
	errno = 0;
	CHECK_EQ(mtcp_read(mctx, id, buf, sizeof(buf)), -1);
	CHECK_EQ(errno, EINTR);
	CHECK_EQ(mtcp_close(mctx, id), 0);
	check_drained();
}

TEST(errors_are_reported_once)
{
	struct mos_stream *s;
	char buf[8];
	int id, err;
	socklen_t len = sizeof(err);

	setup();
	id = connected(&s);
	fake_of(s)->rx = 3;
	stream_fail(s, ECONNRESET);
	CHECK_EQ(mtcp_read(mctx, id, buf, sizeof(buf)), 3);	/* the data first */
	errno = 0;
	CHECK_EQ(mtcp_read(mctx, id, buf, sizeof(buf)), -1);
	CHECK_EQ(errno, ECONNRESET);
	CHECK_EQ(mtcp_read(mctx, id, buf, sizeof(buf)), 0);	/* then the end */
	errno = 0;
	CHECK_EQ(mtcp_write(mctx, id, "x", 1), -1);
	CHECK_EQ(errno, EPIPE);
	CHECK_EQ(mtcp_getsockopt(mctx, id, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	CHECK_EQ(err, 0);
	CHECK_EQ(mtcp_close(mctx, id), 0);

	id = connected(&s);
	stream_fail(s, ECONNRESET);
	errno = 0;
	CHECK_EQ(mtcp_write(mctx, id, "x", 1), -1);
	CHECK_EQ(errno, ECONNRESET);
	errno = 0;
	CHECK_EQ(mtcp_write(mctx, id, "x", 1), -1);
	CHECK_EQ(errno, EPIPE);
	CHECK_EQ(mtcp_close(mctx, id), 0);
	check_drained();
}

TEST(so_error_outlives_the_stream)
{
	struct mos_stream *s;
	struct sockaddr_in peer;
	char buf[4];
	int id, err = -1;
	socklen_t len = sizeof(err);

	setup();
	id = connecting(&s);
	stream_fail(s, ETIMEDOUT);
	stream_free(s);		/* TCP frees it (notify with events 0) */
	CHECK(core.sock.sock[id].stream == NULL);
	CHECK_EQ(core.rss.count, rss_capacity);
	CHECK_EQ(mtcp_getsockopt(mctx, id, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	CHECK_EQ(err, ETIMEDOUT);
	CHECK_EQ(len, sizeof(int));
	CHECK_EQ(mtcp_getsockopt(mctx, id, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	CHECK_EQ(err, 0);	/* read once */
	CHECK_EQ(mtcp_read(mctx, id, buf, sizeof(buf)), 0);
	errno = 0;
	CHECK_EQ(mtcp_write(mctx, id, "x", 1), -1);
	CHECK_EQ(errno, EPIPE);
	errno = 0;
	CHECK_EQ(mtcp_getpeername(mctx, id, (struct sockaddr *)&peer, &len), -1);
	CHECK_EQ(errno, ENOTCONN);
	CHECK_EQ(mtcp_close(mctx, id), 0);
	CHECK_EQ(n_closed, 0);	/* nothing left for TCP to close */
	check_drained();
}

TEST(socket_options)
{
	int id, one = 1, v;
	socklen_t len = sizeof(v), small = 2;

	setup();
	id = mtcp_socket(mctx, AF_INET, SOCK_STREAM, 0);
	CHECK_EQ(mtcp_getsockopt(mctx, id, SOL_SOCKET, SO_ERROR, &v, &len), 0);
	CHECK_EQ(v, 0);
	errno = 0;
	CHECK_EQ(mtcp_getsockopt(mctx, id, SOL_SOCKET, SO_ERROR, &v, &small), -1);
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK_EQ(mtcp_getsockopt(mctx, id, SOL_SOCKET, SO_RCVBUF, &v, &len), -1);
	CHECK_EQ(errno, ENOPROTOOPT);
	CHECK_EQ(mtcp_setsockopt(mctx, id, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	CHECK_EQ(mtcp_setsockopt(mctx, id, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	errno = 0;
	CHECK_EQ(mtcp_setsockopt(mctx, id, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)), -1);
	CHECK_EQ(errno, ENOPROTOOPT);
	errno = 0;
	CHECK_EQ(mtcp_setsockopt(mctx, id, IPPROTO_TCP, TCP_NODELAY, &one, 1), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(mtcp_close(mctx, id), 0);
	check_drained();
}

/* --- listen and accept ------------------------------------------------------------------- */

TEST(listen_and_accept)
{
	struct sockaddr_in me = sin_of("10.0.0.2", 8000), peer;
	socklen_t len = sizeof(peer);
	struct mtcp_epoll_event out[4];
	struct mos_stream *l;
	int ls, other, ep, c;

	setup();
	ls = mtcp_socket(mctx, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	errno = 0;
	CHECK_EQ(mtcp_listen(mctx, ls, 16), -1);
	CHECK_EQ(errno, EDESTADDRREQ);
	CHECK_EQ(mtcp_bind(mctx, ls, (struct sockaddr *)&me, sizeof(me)), 0);
	errno = 0;
	CHECK_EQ(mtcp_bind(mctx, ls, (struct sockaddr *)&me, sizeof(me)), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(mtcp_listen(mctx, ls, 16), 0);
	CHECK_EQ(mtcp_listen(mctx, ls, 16), 0);
	l = core.sock.sock[ls].stream;
	REQUIRE(l != NULL);
	CHECK_EQ(mtcp_get_connection_cnt(mctx), 0);	/* listeners do not count */
	other = mtcp_socket(mctx, AF_INET, SOCK_STREAM, 0);
	CHECK_EQ(mtcp_bind(mctx, other, (struct sockaddr *)&me, sizeof(me)), 0);
	errno = 0;
	CHECK_EQ(mtcp_listen(mctx, other, 1), -1);
	CHECK_EQ(errno, EADDRINUSE);
	errno = 0;
	CHECK_EQ(mtcp_accept(mctx, other, NULL, NULL), -1);
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK_EQ(mtcp_accept(mctx, ls, NULL, NULL), -1);
	CHECK_EQ(errno, EAGAIN);
	ep = mtcp_epoll_create(mctx, 4);
	CHECK_EQ(epoll_add(ep, ls, MOS_EPOLLIN), 0);
	CHECK_EQ(wait0(ep, out, 4), 0);
	fake_of(l)->accept_q = 2;
	tcp_event(l);
	CHECK_EQ(wait0(ep, out, 4), 1);
	CHECK_EQ(out[0].events, MOS_EPOLLIN);
	CHECK_EQ(out[0].data.sockid, ls);
	c = mtcp_accept(mctx, ls, (struct sockaddr *)&peer, &len);
	REQUIRE(c >= 0);
	CHECK_EQ(peer.sin_addr.s_addr, ip4("10.9.9.9"));
	CHECK_EQ(peer.sin_port, htons(40000));
	CHECK(core.sock.sock[c].stream->sock == &core.sock.sock[c]);
	CHECK_EQ(mtcp_get_connection_cnt(mctx), 1);
	errno = 0;
	CHECK_EQ(mtcp_read(mctx, ls, (char *)&peer, 1), -1);
	CHECK_EQ(errno, ENOTCONN);
	/* no free id: the second child stays queued */
	while (mtcp_socket(mctx, AF_INET, SOCK_STREAM, 0) >= 0)
		;
	errno = 0;
	CHECK_EQ(mtcp_accept(mctx, ls, NULL, NULL), -1);
	CHECK_EQ(errno, EMFILE);
	CHECK_EQ(fake_of(l)->accept_q, 1);
	for (int i = 0; i < MAXS; i++)
		mtcp_close(mctx, i);
	CHECK_EQ(core.n_listener, 0);
	check_drained();
}

/* --- epoll ----------------------------------------------------------------------------- */

TEST(epoll_ctl_errors)
{
	struct mtcp_epoll_event ev = { .events = MOS_EPOLLIN };
	int ep, ep2, id;

	setup();
	errno = 0;
	CHECK_EQ(mtcp_epoll_create(mctx, 0), -1);
	CHECK_EQ(errno, EINVAL);
	ep = mtcp_epoll_create(mctx, 1);
	ep2 = mtcp_epoll_create(mctx, 1);
	id = mtcp_socket(mctx, AF_INET, SOCK_STREAM, 0);
	CHECK_EQ(core.sock.n_epoll, 2);
	errno = 0;
	CHECK_EQ(mtcp_epoll_ctl(mctx, 7, MOS_EPOLL_CTL_ADD, id, &ev), -1);
	CHECK_EQ(errno, EBADF);
	errno = 0;
	CHECK_EQ(mtcp_epoll_ctl(mctx, -3, MOS_EPOLL_CTL_ADD, id, &ev), -1);
	CHECK_EQ(errno, EBADF);
	errno = 0;
	CHECK_EQ(mtcp_epoll_ctl(mctx, id, MOS_EPOLL_CTL_ADD, id, &ev), -1);	/* no epoll */
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK_EQ(mtcp_epoll_ctl(mctx, ep, MOS_EPOLL_CTL_ADD, 7, &ev), -1);
	CHECK_EQ(errno, EBADF);
	errno = 0;
	CHECK_EQ(mtcp_epoll_ctl(mctx, ep, MOS_EPOLL_CTL_ADD, ep, &ev), -1);
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK_EQ(mtcp_epoll_ctl(mctx, ep, MOS_EPOLL_CTL_ADD, ep2, &ev), -1);
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK_EQ(mtcp_epoll_ctl(mctx, ep, 9, id, &ev), -1);
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK_EQ(mtcp_epoll_ctl(mctx, ep, MOS_EPOLL_CTL_ADD, id, NULL), -1);
	CHECK_EQ(errno, EFAULT);
	errno = 0;
	CHECK_EQ(mtcp_epoll_ctl(mctx, ep, MOS_EPOLL_CTL_MOD, id, &ev), -1);
	CHECK_EQ(errno, ENOENT);
	errno = 0;
	CHECK_EQ(mtcp_epoll_ctl(mctx, ep, MOS_EPOLL_CTL_DEL, id, NULL), -1);
	CHECK_EQ(errno, ENOENT);
	CHECK_EQ(mtcp_epoll_ctl(mctx, ep, MOS_EPOLL_CTL_ADD, id, &ev), 0);
	errno = 0;
	CHECK_EQ(mtcp_epoll_ctl(mctx, ep, MOS_EPOLL_CTL_ADD, id, &ev), -1);
	CHECK_EQ(errno, EEXIST);
	errno = 0;
	CHECK_EQ(mtcp_epoll_ctl(mctx, ep2, MOS_EPOLL_CTL_ADD, id, &ev), -1);
	CHECK_EQ(errno, EEXIST);
	errno = 0;
	CHECK_EQ(mtcp_epoll_ctl(mctx, ep2, MOS_EPOLL_CTL_MOD, id, &ev), -1);
	CHECK_EQ(errno, ENOENT);
	CHECK_EQ(mtcp_epoll_ctl(mctx, ep, MOS_EPOLL_CTL_MOD, id, &ev), 0);
	CHECK_EQ(core.sock.sock[ep].n_reg, 1);
	CHECK_EQ(mtcp_epoll_ctl(mctx, ep, MOS_EPOLL_CTL_DEL, id, NULL), 0);
	CHECK_EQ(core.sock.sock[ep].n_reg, 0);
	CHECK_EQ(mtcp_epoll_ctl(mctx, ep2, MOS_EPOLL_CTL_ADD, id, &ev), 0);
	errno = 0;
	CHECK_EQ(mtcp_epoll_wait(mctx, id, (struct mtcp_epoll_event *)&ev, 1, 0), -1);
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK_EQ(mtcp_epoll_wait(mctx, ep, &ev, 0, 0), -1);
	CHECK_EQ(errno, EINVAL);
	errno = 0;
	CHECK_EQ(mtcp_epoll_wait(mctx, 6, &ev, 1, 0), -1);
	CHECK_EQ(errno, EBADF);
	CHECK_EQ(mtcp_close(mctx, id), 0);
	CHECK_EQ(mtcp_close(mctx, ep), 0);
	CHECK_EQ(mtcp_close(mctx, ep2), 0);
	check_drained();
}

TEST(add_and_mod_raise_pending_events)
{
	struct mtcp_epoll_event out[4], ev = { .events = MOS_EPOLLOUT, .data.u64 = 77 };
	struct mos_stream *s;
	int ep, id;

	setup();
	ep = mtcp_epoll_create(mctx, 4);
	id = connected(&s);	/* OUT before any registration: no notify will come again */
	CHECK_EQ(epoll_add(ep, id, MOS_EPOLLIN), 0);
	CHECK_EQ(wait0(ep, out, 4), 0);
	CHECK_EQ(mtcp_epoll_ctl(mctx, ep, MOS_EPOLL_CTL_MOD, id, &ev), 0);
	CHECK_EQ(wait0(ep, out, 4), 1);
	CHECK_EQ(out[0].events, MOS_EPOLLOUT);
	CHECK_EQ(out[0].data.u64, 77);
	CHECK_EQ(mtcp_epoll_ctl(mctx, ep, MOS_EPOLL_CTL_DEL, id, NULL), 0);
	CHECK_EQ(epoll_add(ep, id, MOS_EPOLLOUT | MOS_EPOLLET), 0);
	CHECK_EQ(wait0(ep, out, 4), 1);	/* ET too: pending events are an edge */
	CHECK_EQ(out[0].data.sockid, id);
	/* MOD to events not pending takes the socket off the ready list */
	ev.events = MOS_EPOLLIN;
	CHECK_EQ(mtcp_epoll_ctl(mctx, ep, MOS_EPOLL_CTL_MOD, id, &ev), 0);
	CHECK(!(core.sock.sock[id].flags & MOS_SKF_READY));
	CHECK_EQ(wait0(ep, out, 4), 0);
	CHECK_EQ(mtcp_close(mctx, id), 0);
	CHECK_EQ(mtcp_close(mctx, ep), 0);
	check_drained();
}

TEST(err_and_hup_are_always_reported)
{
	struct mtcp_epoll_event out[4];
	struct mos_stream *s;
	int ep, id, err;
	socklen_t len = sizeof(err);

	setup();
	ep = mtcp_epoll_create(mctx, 4);
	id = connecting(&s);
	CHECK_EQ(epoll_add(ep, id, MOS_EPOLLOUT), 0);
	CHECK_EQ(wait0(ep, out, 4), 0);
	stream_fail(s, ECONNREFUSED);
	CHECK_EQ(wait0(ep, out, 4), 1);
	CHECK_EQ(out[0].events, MOS_EPOLLERR | MOS_EPOLLHUP);	/* IN, RDHUP not asked for */
	CHECK_EQ(mtcp_getsockopt(mctx, id, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	CHECK_EQ(err, ECONNREFUSED);
	CHECK_EQ(wait0(ep, out, 4), 1);
	CHECK_EQ(out[0].events, MOS_EPOLLHUP);	/* the error was read */
	CHECK_EQ(mtcp_close(mctx, id), 0);
	CHECK_EQ(mtcp_close(mctx, ep), 0);
	check_drained();
}

TEST(level_triggered_reports_while_ready)
{
	struct mtcp_epoll_event out[4];
	struct mos_stream *s;
	char buf[8];
	int ep, id;

	setup();
	ep = mtcp_epoll_create(mctx, 4);
	id = connected(&s);
	fake_of(s)->tx_space = 0;
	CHECK_EQ(epoll_add(ep, id, MOS_EPOLLIN | MOS_EPOLLRDHUP), 0);
	data_in(s, 6);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(wait0(ep, out, 4), 1);
		CHECK_EQ(out[0].events, MOS_EPOLLIN);
	}
	CHECK_EQ(mtcp_read(mctx, id, buf, 4), 4);
	CHECK_EQ(wait0(ep, out, 4), 1);	/* 2 bytes left */
	CHECK_EQ(mtcp_read(mctx, id, buf, 4), 2);
	CHECK_EQ(wait0(ep, out, 4), 0);
	CHECK(!(core.sock.sock[id].flags & MOS_SKF_READY));
	fake_of(s)->eof = true;
	tcp_event(s);
	CHECK_EQ(wait0(ep, out, 4), 1);
	CHECK_EQ(out[0].events, MOS_EPOLLIN | MOS_EPOLLRDHUP);
	CHECK_EQ(mtcp_close(mctx, id), 0);
	CHECK_EQ(mtcp_close(mctx, ep), 0);
	check_drained();
}

TEST(edge_triggered_reports_once_per_new_event)
{
	struct mtcp_epoll_event out[4];
	struct mos_stream *s;
	char buf[16];
	int ep, id;

	setup();
	ep = mtcp_epoll_create(mctx, 4);
	id = connected(&s);
	fake_of(s)->tx_space = 0;
	CHECK_EQ(epoll_add(ep, id, MOS_EPOLLIN | MOS_EPOLLOUT | MOS_EPOLLET), 0);
	CHECK_EQ(wait0(ep, out, 4), 0);
	data_in(s, 4);
	CHECK_EQ(wait0(ep, out, 4), 1);
	CHECK_EQ(out[0].events, MOS_EPOLLIN);
	CHECK_EQ(wait0(ep, out, 4), 0);	/* still readable, but reported */
	data_in(s, 4);
	CHECK_EQ(wait0(ep, out, 4), 0);	/* not drained: no new edge */
	fake_of(s)->tx_space = 8;	/* an ACK makes room: OUT is new */
	tcp_event(s);
	CHECK_EQ(wait0(ep, out, 4), 1);
	CHECK_EQ(out[0].events, MOS_EPOLLIN | MOS_EPOLLOUT);
	CHECK_EQ(mtcp_read(mctx, id, buf, sizeof(buf)), 8);	/* drained */
	errno = 0;
	CHECK_EQ(mtcp_read(mctx, id, buf, sizeof(buf)), -1);
	CHECK_EQ(errno, EAGAIN);
	data_in(s, 1);
	CHECK_EQ(wait0(ep, out, 4), 1);	/* IN came back: a new edge */
	CHECK_EQ(out[0].events, MOS_EPOLLIN | MOS_EPOLLOUT);
	CHECK_EQ(wait0(ep, out, 4), 0);
	/* IN went away without a read (TCP said so), then came back */
	fake_of(s)->rx = 0;
	tcp_event(s);
	CHECK_EQ(wait0(ep, out, 4), 0);
	data_in(s, 1);
	CHECK_EQ(wait0(ep, out, 4), 1);
	CHECK_EQ(out[0].events, MOS_EPOLLIN | MOS_EPOLLOUT);
	CHECK_EQ(mtcp_close(mctx, id), 0);
	CHECK_EQ(mtcp_close(mctx, ep), 0);
	check_drained();
}

TEST(maxevents_and_fair_turns)
{
	struct mtcp_epoll_event out[8];
	struct mos_stream *s[5];
	int ep, id[5];
	const int order[][2] = { { 0, 1 }, { 2, 3 }, { 4, 0 }, { 1, 2 } };

	setup();
	ep = mtcp_epoll_create(mctx, 8);
	for (int i = 0; i < 5; i++) {
		id[i] = connected(&s[i]);
		CHECK_EQ(epoll_add(ep, id[i], MOS_EPOLLOUT), 0);
	}
	for (size_t r = 0; r < sizeof(order) / sizeof(order[0]); r++) {
		CHECK_EQ(wait0(ep, out, 2), 2);
		CHECK_EQ(out[0].data.sockid, id[order[r][0]]);
		CHECK_EQ(out[1].data.sockid, id[order[r][1]]);
	}
	/* one stops being ready: the others go on in turn */
	fake_of(s[3])->tx_space = 0;
	CHECK_EQ(wait0(ep, out, 8), 4);
	CHECK_EQ(out[0].data.sockid, id[4]);
	CHECK_EQ(out[1].data.sockid, id[0]);
	CHECK_EQ(out[2].data.sockid, id[1]);
	CHECK_EQ(out[3].data.sockid, id[2]);
	for (int i = 0; i < 5; i++)
		CHECK_EQ(mtcp_close(mctx, id[i]), 0);
	CHECK_EQ(wait0(ep, out, 8), 0);
	CHECK_EQ(mtcp_close(mctx, ep), 0);
	check_drained();
}

static void data_at_turn(int turn)
{
	if (turn == hook_turn)
		data_in(hook_stream, 1);
}

TEST(wait_timeouts_run_the_stack)
{
	struct mtcp_epoll_event out[2];
	int ep, id;
	uint64_t t0;

	setup();
	ep = mtcp_epoll_create(mctx, 2);
	id = connected(&hook_stream);
	CHECK_EQ(epoll_add(ep, id, MOS_EPOLLIN), 0);
	CHECK_EQ(wait0(ep, out, 2), 0);
	CHECK_EQ(polls, 1);	/* timeout 0: one turn */
	t0 = core.now;
	CHECK_EQ(mtcp_epoll_wait(mctx, ep, out, 2, 5), 0);
	CHECK_EQ(core.now - t0, 5);	/* one tick a turn in the stub */
	hook_turn = polls + 10;
	poll_hook = data_at_turn;
	CHECK_EQ(mtcp_epoll_wait(mctx, ep, out, 2, -1), 1);
	CHECK_EQ(polls, hook_turn);
	CHECK_EQ(out[0].events, MOS_EPOLLIN);
	hook_turn = polls + 3;
	CHECK_EQ(mtcp_epoll_wait(mctx, ep, out, 2, 100), 1);	/* still readable: LT */
	CHECK_EQ(mtcp_close(mctx, id), 0);
	CHECK_EQ(mtcp_close(mctx, ep), 0);
	check_drained();
}

TEST(wait_returns_eintr_when_stopping)
{
	struct mtcp_epoll_event out[2];
	int ep;

	setup();
	ep = mtcp_epoll_create(mctx, 2);
	stop_after = 4;
	errno = 0;
	CHECK_EQ(mtcp_epoll_wait(mctx, ep, out, 2, -1), -1);
	CHECK_EQ(errno, EINTR);
	CHECK_EQ(polls, 4);
	errno = 0;
	CHECK_EQ(mtcp_epoll_wait(mctx, ep, out, 2, 0), -1);	/* at once from now on */
	CHECK_EQ(errno, EINTR);
	CHECK_EQ(polls, 4);
	CHECK_EQ(mtcp_close(mctx, ep), 0);
	check_drained();
}

TEST(close_leaves_the_epoll)
{
	struct mtcp_epoll_event out[4];
	struct mos_stream *s, *t;
	int ep, ep2, a, b;

	setup();
	ep = mtcp_epoll_create(mctx, 4);
	a = connected(&s);
	b = connected(&t);
	CHECK_EQ(epoll_add(ep, a, MOS_EPOLLOUT), 0);
	CHECK_EQ(epoll_add(ep, b, MOS_EPOLLOUT), 0);
	CHECK_EQ(mtcp_close(mctx, a), 0);	/* ready, then closed */
	CHECK_EQ(core.sock.sock[ep].n_reg, 1);
	CHECK_EQ(wait0(ep, out, 4), 1);
	CHECK_EQ(out[0].data.sockid, b);
	/* the id comes back in a new socket, not in the epoll */
	a = connected(&s);
	CHECK_EQ(wait0(ep, out, 4), 1);
	CHECK_EQ(out[0].data.sockid, b);
	/* closing the epoll drops its registrations */
	CHECK_EQ(epoll_add(ep, a, MOS_EPOLLOUT), 0);
	CHECK_EQ(mtcp_close(mctx, ep), 0);
	CHECK(core.sock.sock[a].ep == NULL);
	CHECK(core.sock.sock[b].ep == NULL);
	CHECK(!(core.sock.sock[b].flags & MOS_SKF_READY));
	ep2 = mtcp_epoll_create(mctx, 4);
	CHECK_EQ(epoll_add(ep2, b, MOS_EPOLLOUT), 0);
	data_in(s, 1);	/* a notify for a socket in no epoll */
	CHECK_EQ(wait0(ep2, out, 4), 1);
	CHECK_EQ(mtcp_abort(mctx, a), 0);
	CHECK_EQ(n_aborted, 1);
	CHECK_EQ(mtcp_close(mctx, b), 0);
	CHECK_EQ(mtcp_close(mctx, ep2), 0);
	check_drained();
}

TEST(freed_stream_is_reported_and_forgotten)
{
	struct mtcp_epoll_event out[2];
	struct mos_stream *s;
	int ep, id, err;
	socklen_t len = sizeof(err);

	setup();
	ep = mtcp_epoll_create(mctx, 2);
	id = connected(&s);
	CHECK_EQ(epoll_add(ep, id, MOS_EPOLLIN | MOS_EPOLLET), 0);
	CHECK_EQ(wait0(ep, out, 2), 0);
	s->so_error = ECONNRESET;	/* freed at once, as tcp_fail for a reset in TIME_WAIT */
	stream_free(s);
	CHECK_EQ(wait0(ep, out, 2), 1);
	CHECK_EQ(out[0].events, MOS_EPOLLIN | MOS_EPOLLERR | MOS_EPOLLHUP);
	CHECK_EQ(mtcp_getsockopt(mctx, id, SOL_SOCKET, SO_ERROR, &err, &len), 0);
	CHECK_EQ(err, ECONNRESET);
	CHECK_EQ(mtcp_close(mctx, id), 0);
	CHECK_EQ(mtcp_close(mctx, ep), 0);
	check_drained();
}

static const struct check_case cases[] = {
	CASE(init_checks_its_arguments),
	CASE(ids_from_zero_reused_fifo_and_exhausted),
	CASE(bad_ids_and_bad_arguments),
	CASE(socket_nonblock_flag_and_mos_type_name),
	CASE(nonblocking_connect_takes_an_rss_pair),
	CASE(connect_source_rules),
	CASE(connect_with_the_pool_empty),
	CASE(blocking_connect_runs_the_stack),
	CASE(read_and_write_results),
	CASE(readv_and_writev_split_across_buffers),
	CASE(blocking_read_and_write_run_the_stack),
	CASE(errors_are_reported_once),
	CASE(so_error_outlives_the_stream),
	CASE(socket_options),
	CASE(listen_and_accept),
	CASE(epoll_ctl_errors),
	CASE(add_and_mod_raise_pending_events),
	CASE(err_and_hup_are_always_reported),
	CASE(level_triggered_reports_while_ready),
	CASE(edge_triggered_reports_once_per_new_event),
	CASE(maxevents_and_fair_turns),
	CASE(wait_timeouts_run_the_stack),
	CASE(wait_returns_eintr_when_stopping),
	CASE(close_leaves_the_epoll),
	CASE(freed_stream_is_reported_and_forgotten),
};

CHECK_MAIN(cases)
