/*
 * mos_socket.c - the socket table of one core and the mtcp_* socket calls
 * (mOS names and semantics): descriptors over TCP streams, the blocking
 * and non-blocking forms of each call, socket errors, and mos_sock_notify,
 * through which TCP reports readiness to the epoll layer.
 *
 * The application's calls come in here (mtcp_connect -> mos_tcp_connect,
 * mtcp_write -> mos_tcp_send, mtcp_read -> mos_tcp_recv ...); TCP's news
 * comes back through tcp_notify -> mos_sock_notify -> mos_epoll_notify.
 *
 * Errors: internal helpers return -errno; each mtcp_* call turns that
 * into -1 with errno once, at its end (mos_api_fail()).
 *
 * Blocking calls run the core's stack themselves (mos_loop_poll) until
 * they can finish, since the application's thread is the stack's thread;
 * they give up with EINTR when the core is asked to stop.
 */
#include "mos_socket.h"

#include <errno.h>
#include <limits.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "mos_core.h"
#include "mos_loop.h"
#include "mos_epoll.h"
#include "mos_tcp.h"

/* --- the table ----------------------------------------------------------------- */

size_t mos_sock_mem_size(uint32_t max_sockets)
{
	return mos_align_up((size_t)max_sockets * sizeof(struct mos_socket), 8);
}

int mos_sock_init(struct mos_sock_core *sc, void *mem, size_t memlen, uint32_t max_sockets)
{
	if (max_sockets == 0 || max_sockets > INT_MAX || mem == NULL || ((uintptr_t)mem & 7) != 0)
		return -EINVAL;
	if (memlen < mos_sock_mem_size(max_sockets))
		return -ENOSPC;
	memset(sc, 0, sizeof(*sc));
	memset(mem, 0, mos_sock_mem_size(max_sockets));
	sc->sock = mem;
	sc->max = max_sockets;
	for (uint32_t i = 0; i < max_sockets; i++) {
		sc->sock[i].id = (int)i;
		sc->sock[i].next_free = i + 1 < max_sockets ? i + 1 : MOS_SOCK_NONE;
	}
	sc->free_head = 0;
	sc->free_tail = max_sockets - 1;
	return 0;
}

struct mos_socket *mos_sock_get(struct mos_sock_core *sc, int id)
{
	struct mos_socket *so;

	if (id < 0 || (uint32_t)id >= sc->max)
		return NULL;
	so = &sc->sock[id];
	return so->type == MOS_SK_FREE ? NULL : so;
}

/* From the head of the free list (FIFO: see mos_socket.h). */
struct mos_socket *mos_sock_alloc(struct mos_sock_core *sc, enum mos_sock_type type)
{
	struct mos_socket *so;

	if (sc->free_head == MOS_SOCK_NONE) {
		sc->exhausted++;
		return NULL;
	}
	so = &sc->sock[sc->free_head];
	sc->free_head = so->next_free;
	if (sc->free_head == MOS_SOCK_NONE)
		sc->free_tail = MOS_SOCK_NONE;
	so->next_free = MOS_SOCK_NONE;
	so->type = (uint8_t)type;
	if (++sc->in_use > sc->in_use_max)
		sc->in_use_max = sc->in_use;
	return so;
}

/* To the tail of the free list, every field cleared but the id. */
void mos_sock_release(struct mos_sock_core *sc, struct mos_socket *so)
{
	int id = so->id;

	memset(so, 0, sizeof(*so));
	so->id = id;
	so->next_free = MOS_SOCK_NONE;
	if (sc->free_tail != MOS_SOCK_NONE)
		sc->sock[sc->free_tail].next_free = (uint32_t)id;
	else
		sc->free_head = (uint32_t)id;
	sc->free_tail = (uint32_t)id;
	sc->in_use--;
}

/* --- errors and events ------------------------------------------------------------ */

/* The socket of id on mctx's core, or NULL with errno (EINVAL: no context; EBADF). */
static struct mos_socket *lookup(mctx_t mctx, int id, struct mos_core **core)
{
	struct mos_socket *so;

	if (mctx == NULL) {
		errno = EINVAL;
		return NULL;
	}
	*core = mos_core_of(mctx);
	so = mos_sock_get(&(*core)->sock, id);
	if (so == NULL)
		errno = EBADF;
	return so;
}

/* As lookup, for the calls that only sockets take: an epoll instance is ENOTSOCK. */
static struct mos_socket *lookup_sock(mctx_t mctx, int id, struct mos_core **core)
{
	struct mos_socket *so = lookup(mctx, id, core);

	if (so != NULL && so->type == MOS_SK_EPOLL) {
		errno = ENOTSOCK;
		return NULL;
	}
	return so;
}

/* The error the socket has not reported yet: its stream's, or the one kept when it went. */
static int pending_error(const struct mos_socket *so)
{
	if (so->flags & MOS_SKF_ERR_TAKEN)
		return 0;
	return so->stream != NULL ? so->stream->so_error : so->so_error;
}

/* Report the pending error once (SO_ERROR, Linux's sock_error): 0 when none. */
static int take_error(struct mos_socket *so)
{
	int err = pending_error(so);

	if (err != 0)
		so->flags |= MOS_SKF_ERR_TAKEN;
	return err;
}

uint32_t mos_sock_events(const struct mos_socket *so)
{
	uint32_t ev;

	if (so->type == MOS_SK_LISTENER)
		return so->stream != NULL ? mos_tcp_poll(so->stream) : 0;
	if (so->type != MOS_SK_STREAM)
		return 0;
	if (so->stream != NULL)
		ev = mos_tcp_poll(so->stream);
	else if (so->flags & MOS_SKF_STARTED)
		ev = MOS_EPOLLIN | MOS_EPOLLRDHUP | MOS_EPOLLHUP |
		     (so->so_error != 0 ? MOS_EPOLLERR : 0);
	else
		return MOS_EPOLLOUT | MOS_EPOLLHUP;
	if (so->flags & MOS_SKF_ERR_TAKEN)
		ev &= ~(uint32_t)MOS_EPOLLERR;
	return ev;
}

/* After a read, write or accept: an edge-triggered registration re-arms what is gone. */
static void after_op(struct mos_socket *so)
{
	if (so->ep != NULL && (so->ep_events & MOS_EPOLLET))
		mos_epoll_rearm(so, mos_sock_events(so));
}

void mos_sock_notify(struct mos_core *core, struct mos_stream *s, uint32_t events)
{
	struct mos_socket *so = s->sock;

	(void)core;
	if (so == NULL)
		return;
	if (events == 0) {	/* the stream is being freed: keep its error for SO_ERROR */
		so->so_error = s->so_error;
		so->stream = NULL;
		events = mos_sock_events(so);
	} else if (so->flags & MOS_SKF_ERR_TAKEN) {
		events &= ~(uint32_t)MOS_EPOLLERR;
	}
	if (so->ep != NULL)
		mos_epoll_notify(so, events);
}

/* One turn of the stack for a blocking call: 0, or -EINTR when the core must stop. */
static int block_once(struct mos_core *core)
{
	if (mos_loop_stopping())
		return -EINTR;
	mos_loop_poll(core);
	return 0;
}

/* --- addresses ------------------------------------------------------------------- */

static int addr_in(const struct sockaddr *addr, socklen_t len, struct sockaddr_in *sin)
{
	if (addr == NULL)
		return -EFAULT;
	if (len < sizeof(*sin))
		return -EINVAL;
	memcpy(sin, addr, sizeof(*sin));	/* addr may point to a plain struct sockaddr */
	return sin->sin_family == AF_INET ? 0 : -EAFNOSUPPORT;
}

/* Write a:p, cut to *len bytes, and set *len to the full length (as Linux does). */
static int addr_out(struct sockaddr *addr, socklen_t *len, in_addr_t a, in_port_t p)
{
	struct sockaddr_in sin;

	if (addr == NULL || len == NULL)
		return -EFAULT;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = a;
	sin.sin_port = p;
	memcpy(addr, &sin, *len < sizeof(sin) ? *len : sizeof(sin));
	*len = sizeof(sin);
	return 0;
}

static void attach(struct mos_socket *so, struct mos_stream *s)
{
	so->stream = s;
	so->flags |= MOS_SKF_STARTED;
	so->laddr = s->tuple.key.laddr;
	so->lport = s->tuple.key.lport;
	so->raddr = s->tuple.key.raddr;
	so->rport = s->tuple.key.rport;
}

/* --- creating, binding, listening, accepting -------------------------------------------- */

int mtcp_socket(mctx_t mctx, int domain, int type, int protocol)
{
	struct mos_socket *so;

	if (mctx == NULL)
		return mos_api_fail(EINVAL);
	if (domain != AF_INET)
		return mos_api_fail(EAFNOSUPPORT);
	if ((type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != SOCK_STREAM ||
	    (protocol != 0 && protocol != IPPROTO_TCP))
		return mos_api_fail(EPROTONOSUPPORT);
	so = mos_sock_alloc(&mos_core_of(mctx)->sock, MOS_SK_STREAM);
	if (so == NULL)
		return mos_api_fail(EMFILE);
	if (type & SOCK_NONBLOCK)
		so->flags |= MOS_SKF_NONBLOCK;
	return so->id;
}

int mtcp_setsock_nonblock(mctx_t mctx, int sockid)
{
	struct mos_core *core;
	struct mos_socket *so = lookup_sock(mctx, sockid, &core);

	if (so == NULL)
		return -1;
	so->flags |= MOS_SKF_NONBLOCK;
	return 0;
}

int mtcp_bind(mctx_t mctx, int sockid, const struct sockaddr *addr, socklen_t addrlen)
{
	struct mos_core *core;
	struct mos_socket *so = lookup_sock(mctx, sockid, &core);
	struct sockaddr_in sin;
	int err;

	if (so == NULL)
		return -1;
	if (so->type != MOS_SK_STREAM || (so->flags & (MOS_SKF_BOUND | MOS_SKF_STARTED)))
		return mos_api_fail(EINVAL);
	err = addr_in(addr, addrlen, &sin);
	if (err != 0)
		return mos_api_fail(-err);
	/* conflicts show at listen or connect, where TCP knows the tuples in use */
	so->laddr = sin.sin_addr.s_addr;
	so->lport = sin.sin_port;
	so->flags |= MOS_SKF_BOUND;
	return 0;
}

int mtcp_listen(mctx_t mctx, int sockid, int backlog)
{
	struct mos_core *core;
	struct mos_socket *so = lookup_sock(mctx, sockid, &core);
	struct mos_stream *l;
	int err;

	if (so == NULL)
		return -1;
	if (so->type == MOS_SK_LISTENER)
		return 0;	/* already listening; the backlog stays as it was */
	if (so->flags & MOS_SKF_STARTED)
		return mos_api_fail(EINVAL);
	if (!(so->flags & MOS_SKF_BOUND))
		return mos_api_fail(EDESTADDRREQ);	/* POSIX: no port to listen on without bind */
	l = mos_tcp_listen(core, so->laddr, so->lport, backlog > 0 ? (uint32_t)backlog : 0, so,
			   &err);
	if (l == NULL)
		return mos_api_fail(-err);
	so->type = MOS_SK_LISTENER;
	so->stream = l;
	return 0;
}

/*
 * Wait until the listener has a child (a blocking socket runs the stack),
 * then check that an id is free for it. 0 or -errno.
 */
static int accept_ready(struct mos_core *core, struct mos_socket *so)
{
	while (!(mos_tcp_poll(so->stream) & MOS_EPOLLIN)) {
		int err;

		if (so->flags & MOS_SKF_NONBLOCK)
			return -EAGAIN;
		err = block_once(core);
		if (err != 0)
			return err;
	}
	if (core->sock.free_head == MOS_SOCK_NONE) {	/* the child stays queued (Linux) */
		core->sock.exhausted++;
		return -EMFILE;
	}
	return 0;
}

int mtcp_accept(mctx_t mctx, int sockid, struct sockaddr *addr, socklen_t *addrlen)
{
	struct mos_core *core;
	struct mos_socket *so = lookup_sock(mctx, sockid, &core);
	struct mos_socket *ns;
	struct mos_stream *c;
	int err;

	if (so == NULL)
		return -1;
	if (so->type != MOS_SK_LISTENER || so->stream == NULL)
		return mos_api_fail(EINVAL);
	err = accept_ready(core, so);
	c = err == 0 ? mos_tcp_accept(core, so->stream) : NULL;
	after_op(so);
	if (c == NULL)
		return mos_api_fail(err != 0 ? -err : EAGAIN);
	ns = mos_sock_alloc(&core->sock, MOS_SK_STREAM);	/* cannot fail: checked above */
	c->sock = ns;
	attach(ns, c);
	if (addr != NULL)
		addr_out(addr, addrlen, ns->raddr, ns->rport);
	return ns->id;
}

/* --- connecting ------------------------------------------------------------------- */

/*
 * The source pair of a connection: the bound one, or one from the core's
 * RSS pool, whose replies the NIC steers to this core. As in mOS, an
 * unbound socket can connect only to the destination the application gave
 * mtcp_init_rss first: there is no other port allocator, and a port picked
 * without the pool would send the replies to another core's queue.
 */
static int pick_source(struct mos_core *core, const struct mos_socket *so, in_addr_t daddr,
		       in_port_t dport, in_addr_t *saddr, in_port_t *sport, bool *rss)
{
	*rss = false;
	if (so->flags & MOS_SKF_BOUND) {
		if (so->laddr == htonl(INADDR_ANY) || so->lport == 0)
			return -EADDRNOTAVAIL;	/* partial bind: nothing to complete it */
		*saddr = so->laddr;
		*sport = so->lport;
		return 0;
	}
	if (core->rss_mem == NULL || core->rss.daddr != daddr || core->rss.dport != dport)
		return -EADDRNOTAVAIL;	/* the application must call mtcp_init_rss first */
	if (mos_rss_pool_get(&core->rss, saddr, sport) != 0)
		return -EADDRNOTAVAIL;
	*rss = true;
	return 0;
}

static int open_stream(struct mos_core *core, struct mos_socket *so, const struct sockaddr_in *to)
{
	in_addr_t saddr;
	in_port_t sport;
	bool rss;
	struct mos_stream *s;
	int err = pick_source(core, so, to->sin_addr.s_addr, to->sin_port, &saddr, &sport, &rss);

	if (err != 0)
		return err;
	s = mos_tcp_connect(core, saddr, sport, to->sin_addr.s_addr, to->sin_port, rss, so, &err);
	if (s == NULL) {
		if (rss)	/* TCP returns the pair only for a stream it made */
			mos_rss_pool_put(&core->rss, saddr, sport);
		return err;
	}
	attach(so, s);
	return 0;
}

/* A blocking connect runs the stack until the handshake ends: 0 or -errno. */
static int connect_wait(struct mos_core *core, struct mos_socket *so)
{
	for (;;) {
		int err;

		if (so->stream == NULL || so->stream->state == MOS_TCP_CLOSED) {
			err = take_error(so);
			return err != 0 ? -err : -ECONNABORTED;
		}
		if (so->stream->state >= MOS_TCP_ESTABLISHED)
			return 0;
		err = block_once(core);
		if (err != 0)
			return err;
	}
}

int mtcp_connect(mctx_t mctx, int sockid, const struct sockaddr *addr, socklen_t addrlen)
{
	struct mos_core *core;
	struct mos_socket *so = lookup_sock(mctx, sockid, &core);
	struct sockaddr_in sin;
	int err;

	if (so == NULL)
		return -1;
	if (so->type == MOS_SK_LISTENER)
		return mos_api_fail(EISCONN);
	if (so->flags & MOS_SKF_STARTED)	/* a socket connects once */
		return mos_api_fail(so->stream != NULL && so->stream->state == MOS_TCP_SYN_SENT ?
			    EALREADY : EISCONN);
	err = addr_in(addr, addrlen, &sin);
	if (err == 0)
		err = open_stream(core, so, &sin);
	if (err == 0 && (so->flags & MOS_SKF_NONBLOCK))
		err = -EINPROGRESS;
	else if (err == 0)
		err = connect_wait(core, so);
	return err != 0 ? mos_api_fail(-err) : 0;
}

/* --- reading and writing ------------------------------------------------------------ */

static uint32_t clamp32(size_t n)
{
	return n > INT32_MAX ? INT32_MAX : (uint32_t)n;
}

/* 0, or -EINVAL (count out of range, total past SSIZE_MAX) / -EFAULT; *sum: the total. */
static int iov_check(const struct iovec *iov, int iovcnt, size_t *sum)
{
	*sum = 0;
	if (iovcnt < 0 || iovcnt > IOV_MAX)
		return -EINVAL;
	if (iovcnt > 0 && iov == NULL)
		return -EFAULT;
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > (size_t)SSIZE_MAX - *sum)
			return -EINVAL;
		if (iov[i].iov_base == NULL && iov[i].iov_len != 0)
			return -EFAULT;
		*sum += iov[i].iov_len;
	}
	return 0;
}

/* The socket of a read or write: a stream socket (a listener is ENOTCONN). */
static struct mos_socket *lookup_io(mctx_t mctx, int id, struct mos_core **core)
{
	struct mos_socket *so = lookup_sock(mctx, id, core);

	if (so != NULL && so->type != MOS_SK_STREAM) {
		errno = ENOTCONN;
		return NULL;
	}
	return so;
}

/*
 * What a read or a write that moved no byte returns for r (0 or -errno):
 * a failed stream's error, reported once (Linux's sock_error); after that
 * the stream's error reads as `after` (0, the end, for reads; -EPIPE).
 */
static long settle(struct mos_socket *so, long r, long after)
{
	int err;

	if (r > 0 || r == -EAGAIN || r == -EINTR || !(so->flags & MOS_SKF_STARTED))
		return r;
	err = pending_error(so);
	if (err != 0) {
		so->flags |= MOS_SKF_ERR_TAKEN;
		return -err;
	}
	if (so->stream != NULL && so->stream->so_error != 0 && r == -so->stream->so_error)
		return after;
	return r;
}

/* One read: bytes, 0 at the end, or -errno; errors are left to settle(). */
static long recv_raw(struct mos_core *core, struct mos_socket *so, void *buf, uint32_t n)
{
	if (so->stream == NULL)
		return so->flags & MOS_SKF_STARTED ? 0 : -ENOTCONN;
	return mos_tcp_recv(core, so->stream, buf, n);
}

/* As recv_raw, but a blocking socket runs the stack while there is nothing to read. */
static long recv_wait(struct mos_core *core, struct mos_socket *so, void *buf, uint32_t n)
{
	long r;

	while ((r = recv_raw(core, so, buf, n)) == -EAGAIN && !(so->flags & MOS_SKF_NONBLOCK)) {
		int err = block_once(core);

		if (err != 0)
			return err;
	}
	return r;
}

/*
 * Fill the vectors in order. Only the first read waits; the rest take what
 * is there, and an error after some bytes is left for the next call.
 */
static long readv_sock(struct mos_core *core, struct mos_socket *so, const struct iovec *iov,
		       int iovcnt)
{
	size_t total = 0;
	long r = 0;

	for (int i = 0; i < iovcnt; i++) {
		uint32_t n = clamp32(iov[i].iov_len);

		if (n == 0)
			continue;
		r = total == 0 ? recv_wait(core, so, iov[i].iov_base, n) :
				 recv_raw(core, so, iov[i].iov_base, n);
		if (r <= 0)
			break;
		total += (size_t)r;
		if ((uint32_t)r < iov[i].iov_len)
			break;
	}
	return total > 0 ? (long)total : settle(so, r, 0);
}

typedef long vec_op(struct mos_core *core, struct mos_socket *so, const struct iovec *iov,
		    int iovcnt);

/* The frame of mtcp_readv and mtcp_writev: look up, check the vector, run op, settle. */
static ssize_t vec_call(mctx_t mctx, int sockid, const struct iovec *iov, int iovcnt, vec_op *op)
{
	struct mos_core *core;
	struct mos_socket *so = lookup_io(mctx, sockid, &core);
	size_t sum;
	long r;

	if (so == NULL)
		return -1;
	r = iov_check(iov, iovcnt, &sum);
	if (r != 0)
		return mos_api_fail((int)-r);
	if (sum == 0)
		return 0;
	r = op(core, so, iov, iovcnt);
	after_op(so);
	return r < 0 ? mos_api_fail((int)-r) : r;
}

ssize_t mtcp_readv(mctx_t mctx, int sockid, const struct iovec *iov, int iovcnt)
{
	return vec_call(mctx, sockid, iov, iovcnt, readv_sock);
}

ssize_t mtcp_read(mctx_t mctx, int sockid, char *buf, size_t len)
{
	struct iovec v = { .iov_base = buf, .iov_len = len };

	return mtcp_readv(mctx, sockid, &v, 1);
}

/* One write: bytes taken or -errno; errors are left to settle(). */
static long send_raw(struct mos_core *core, struct mos_socket *so, const char *buf, uint32_t n)
{
	long r;

	if (so->stream == NULL)
		return so->flags & MOS_SKF_STARTED ? -EPIPE : -ENOTCONN;
	r = mos_tcp_send(core, so->stream, buf, n);
	return r == 0 ? -EAGAIN : r;	/* n > 0: nothing taken means a full buffer */
}

/*
 * Queue len bytes; a blocking socket runs the stack for room until all are
 * taken. Returns the bytes taken; *err is 0 when all were, else -errno.
 */
static size_t send_buf(struct mos_core *core, struct mos_socket *so, const char *p, size_t len,
		       long *err)
{
	size_t put = 0;

	*err = 0;
	while (put < len) {
		long r = send_raw(core, so, p + put, clamp32(len - put));

		if (r > 0) {
			put += (size_t)r;
			continue;
		}
		if (r == -EAGAIN && !(so->flags & MOS_SKF_NONBLOCK))
			r = block_once(core);
		if (r != 0) {
			*err = r;
			break;
		}
	}
	return put;
}

static long writev_sock(struct mos_core *core, struct mos_socket *so, const struct iovec *iov,
			int iovcnt)
{
	size_t total = 0;
	long err = 0;

	for (int i = 0; i < iovcnt; i++) {
		size_t put = send_buf(core, so, iov[i].iov_base, iov[i].iov_len, &err);

		total += put;
		if (put < iov[i].iov_len)
			break;
	}
	return total > 0 ? (long)total : settle(so, err, -EPIPE);
}

ssize_t mtcp_writev(mctx_t mctx, int sockid, const struct iovec *iov, int iovcnt)
{
	return vec_call(mctx, sockid, iov, iovcnt, writev_sock);
}

ssize_t mtcp_write(mctx_t mctx, int sockid, const char *buf, size_t len)
{
	/* iov_base is not const in struct iovec; writev only reads it */
	struct iovec v = { .iov_base = (void *)(uintptr_t)buf, .iov_len = len };

	return mtcp_writev(mctx, sockid, &v, 1);
}

/* --- closing ----------------------------------------------------------------------- */

/* Take so out of its epoll and give its id back. */
static void drop(struct mos_core *core, struct mos_socket *so)
{
	if (so->ep != NULL)
		mos_epoll_unregister(so);
	mos_sock_release(&core->sock, so);
}

int mtcp_close(mctx_t mctx, int sockid)
{
	struct mos_core *core;
	struct mos_socket *so = lookup(mctx, sockid, &core);

	if (so == NULL)
		return -1;
	if (so->type == MOS_SK_EPOLL)
		mos_epoll_close(&core->sock, so);
	else if (so->stream != NULL)
		mos_tcp_close(core, so->stream);	/* FIN after the data; clears ->sock */
	drop(core, so);
	return 0;
}

int mtcp_abort(mctx_t mctx, int sockid)
{
	struct mos_core *core;
	struct mos_socket *so = lookup_sock(mctx, sockid, &core);

	if (so == NULL)
		return -1;
	if (so->stream != NULL)
		mos_tcp_abort(core, so->stream);	/* RST; clears stream->sock */
	drop(core, so);
	return 0;
}

/* --- options, names, counts ------------------------------------------------------------ */

int mtcp_getsockopt(mctx_t mctx, int sockid, int level, int optname, void *optval,
		    socklen_t *optlen)
{
	struct mos_core *core;
	struct mos_socket *so = lookup_sock(mctx, sockid, &core);
	int err;

	if (so == NULL)
		return -1;
	if (level != SOL_SOCKET || optname != SO_ERROR)
		return mos_api_fail(ENOPROTOOPT);
	if (optval == NULL || optlen == NULL)
		return mos_api_fail(EFAULT);
	if (*optlen < sizeof(int))
		return mos_api_fail(EINVAL);
	err = take_error(so);
	memcpy(optval, &err, sizeof(err));
	*optlen = sizeof(err);
	return 0;
}

int mtcp_setsockopt(mctx_t mctx, int sockid, int level, int optname, const void *optval,
		    socklen_t optlen)
{
	struct mos_core *core;
	struct mos_socket *so = lookup_sock(mctx, sockid, &core);

	if (so == NULL)
		return -1;
	/* accepted for portability; they change nothing here (no Nagle, no port reuse rules) */
	if ((level != SOL_SOCKET || optname != SO_REUSEADDR) &&
	    (level != IPPROTO_TCP || optname != TCP_NODELAY))
		return mos_api_fail(ENOPROTOOPT);
	if (optval == NULL)
		return mos_api_fail(EFAULT);
	return optlen < sizeof(int) ? mos_api_fail(EINVAL) : 0;
}

int mtcp_getsockname(mctx_t mctx, int sockid, struct sockaddr *addr, socklen_t *addrlen)
{
	struct mos_core *core;
	struct mos_socket *so = lookup_sock(mctx, sockid, &core);
	int err;

	if (so == NULL)
		return -1;
	err = addr_out(addr, addrlen, so->laddr, so->lport);
	return err != 0 ? mos_api_fail(-err) : 0;
}

int mtcp_getpeername(mctx_t mctx, int sockid, struct sockaddr *addr, socklen_t *addrlen)
{
	struct mos_core *core;
	struct mos_socket *so = lookup_sock(mctx, sockid, &core);
	int err;

	if (so == NULL)
		return -1;
	/* as Linux: connected means past the handshake and not yet closed */
	if (so->type != MOS_SK_STREAM || so->stream == NULL ||
	    so->stream->state < MOS_TCP_ESTABLISHED)
		return mos_api_fail(ENOTCONN);
	err = addr_out(addr, addrlen, so->raddr, so->rport);
	return err != 0 ? mos_api_fail(-err) : 0;
}

uint32_t mtcp_get_connection_cnt(mctx_t mctx)
{
	struct mos_core *core;

	if (mctx == NULL)
		return 0;
	core = mos_core_of(mctx);
	return core->n_streams - (uint32_t)core->n_listener;
}
