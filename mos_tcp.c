/*
 * mos_tcp.c - TCP streams: their life, the verbs the socket layer calls,
 * round-trip timing, and the timers. Input is in mos_tcp_in.c, output in
 * mos_tcp_out.c.
 *
 * Called from above by the socket layer (mtcp_connect -> mos_tcp_connect,
 * mtcp_write -> mos_tcp_send, mtcp_read -> mos_tcp_recv, mtcp_close ->
 * mos_tcp_close) and by the loop (mos_loop_poll -> mos_tcp_timers); tells
 * the socket layer of news through tcp_notify -> mos_sock_notify.
 */
#include "mos_tcp.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <arpa/inet.h>

#include <xxhash.h>

#include "mos_arp.h"
#include "mos_core.h"
#include "mos_io.h"
#include "mos_log.h"
#include "mos_tcp_priv.h"
#include "mtcp_api.h"

static const char *const state_names[MOS_TCP_STATE_COUNT] = {
	"CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1",
	"FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT",
};

#define FIN_WAIT_2_ORPHAN 60000	/* ticks an orphan waits for the peer's FIN, as Linux */

const char *mos_tcp_state_name(int state)
{
	return state >= 0 && state < MOS_TCP_STATE_COUNT ? state_names[state] : "?";
}

void tcp_set_state(struct mos_core *core, struct mos_stream *s, int state)
{
	if (state == MOS_TCP_ESTABLISHED && s->state != MOS_TCP_ESTABLISHED)
		core->tcp.established++;
	s->state = (uint8_t)state;
}

/*
 * RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport,
 * secretkey). M is the 4-microsecond timer of RFC 793 3.3, read from the
 * I/O clock (the stack's tick of a millisecond would give every connection
 * of one tick the same M); F a keyed hash of the 4-tuple with the core's
 * secret, so that a tuple's sequence space moves on with time and another
 * tuple's cannot be guessed from it.
 */
uint32_t tcp_iss(struct mos_core *core, const struct mos_tuple_key *k)
{
	uint64_t f = XXH3_64bits_withSeed(k, sizeof(*k), core->iss_secret);

	return (uint32_t)f + (uint32_t)(mos_io_now_us() / 4);
}

/*
 * The ISS of a new connection on a tuple whose previous connection sent up
 * to old_max: above it by more than a window (RFC 9293 3.4.1, RFC 6191's
 * spirit), whatever the clock says, so that a peer still in LAST_ACK or
 * TIME_WAIT takes the new SYN (and our SYN-ACK) as a new connection and no
 * old segment falls in the new window.
 */
uint32_t tcp_iss_above(struct mos_core *core, const struct mos_tuple_key *k, uint32_t old_max)
{
	uint32_t iss = tcp_iss(core, k), min = old_max + TCP_ISS_GAP;

	return MOS_SEQ_LT(iss, min) ? min : iss;
}

/*
 * Our MSS for s: its interface's MTU less the IPv4 and TCP headers. A frame
 * is one mbuf of Ethernet's size (no jumbo frames yet), so an MTU above
 * MOS_ETH_MTU, or one the port did not tell, counts as MOS_ETH_MTU.
 */
uint16_t tcp_our_mss(const struct mos_core *core, const struct mos_stream *s)
{
	uint16_t mtu = core->net.iface[s->iface].mtu;

	if (mtu == 0 || mtu > MOS_ETH_MTU)
		mtu = MOS_ETH_MTU;
	return (uint16_t)(mtu - MOS_IP_HLEN - MOS_TCP_HLEN);
}

/* The shift that lets a 16-bit window field cover the receive buffer (RFC 7323 2.2). */
static uint8_t wscale_for(uint32_t size)
{
	uint8_t ws = 0;

	while (ws < TCP_WSCALE_MAX && (size >> ws) > 65535)
		ws++;
	return ws;
}

static void timer_kind(struct mos_stream_timer *t, uint8_t kind)
{
	mos_timer_init(&t->t);
	t->kind = kind;
}

static void buffers_put(struct mos_core *core, struct mos_stream *s)
{
	if (s->snd_mem != NULL)
		mos_pool_put(&core->pool[MOS_POOL_SNDBUF], s->snd_mem);
	if (s->rcv_mem != NULL)
		mos_pool_put(&core->pool[MOS_POOL_RCVBUF], s->rcv_mem);
	s->snd_mem = s->rcv_mem = NULL;
}

/*
 * Once the application has closed, a closing stream gives back what it no
 * longer needs: the receive buffer at once (new data now gets a RST and is
 * never stored; old data is only counted), the send buffer once our FIN
 * is acknowledged (nothing is left to send again). A TIME_WAIT stream then
 * holds no buffer, as a Linux timewait socket; the rings keep their size
 * and sequence numbers (the window offered stays the same), not the memory.
 */
void tcp_shed_buffers(struct mos_core *core, struct mos_stream *s)
{
	if (!(s->flags & MOS_SF_APP_CLOSED))
		return;
	if (s->rcv_mem != NULL) {
		mos_pool_put(&core->pool[MOS_POOL_RCVBUF], s->rcv_mem);
		s->rcv_mem = NULL;
		s->rcv.data = NULL;
	}
	if (s->snd_mem != NULL && (s->flags & MOS_SF_FIN_SENT) && s->snd_una == s->snd_max) {
		mos_pool_put(&core->pool[MOS_POOL_SNDBUF], s->snd_mem);
		s->snd_mem = NULL;
		s->snd.data = NULL;
	}
}

/*
 * The memory of a stream, zeroed, its timers ready, counted in n_streams.
 * NULL with *err = -ENOMEM when the pool is empty (counted). Every stream
 * comes from here and goes back through stream_release.
 */
static struct mos_stream *stream_alloc(struct mos_core *core, int *err)
{
	struct mos_stream *s = mos_pool_get(&core->pool[MOS_POOL_STREAM]);

	if (s == NULL) {
		core->tcp.no_stream_mem++;
		*err = -ENOMEM;
		return NULL;
	}
	memset(s, 0, sizeof(*s));
	timer_kind(&s->rto_timer, MOS_TIMER_RTO);
	timer_kind(&s->ack_timer, MOS_TIMER_ACK);
	timer_kind(&s->life_timer, MOS_TIMER_LIFE);
	core->n_streams++;
	return s;
}

/* The stream's memory back to the pool, once it is off every list and its buffers are back. */
void stream_release(struct mos_core *core, struct mos_stream *s)
{
	core->n_streams--;
	mos_pool_put(&core->pool[MOS_POOL_STREAM], s);
}

/*
 * A new stream for the tuple, in the tuple table, with both buffers. NULL
 * with *err: -ENOMEM (a pool is empty: counted) or -EADDRINUSE.
 */
struct mos_stream *tcp_stream_new(struct mos_core *core, in_addr_t laddr, in_port_t lport,
				  in_addr_t raddr, in_port_t rport, int *err)
{
	struct mos_stream *s = stream_alloc(core, err);

	if (s == NULL)
		return NULL;
	s->snd_mem = mos_pool_get(&core->pool[MOS_POOL_SNDBUF]);
	s->rcv_mem = mos_pool_get(&core->pool[MOS_POOL_RCVBUF]);
	s->tuple.key = (struct mos_tuple_key){ laddr, raddr, lport, rport };
	s->tuple.hash = mos_tuple_hash(&core->tuples, &s->tuple.key);
	*err = s->snd_mem == NULL || s->rcv_mem == NULL ? -ENOMEM :
	       mos_tuple_insert(&core->tuples, &s->tuple);
	if (*err != 0) {
		if (*err == -ENOMEM || *err == -ENOSPC)
			core->tcp.no_stream_mem++;
		*err = *err == -EEXIST ? -EADDRINUSE : -ENOMEM;
		buffers_put(core, s);
		stream_release(core, s);
		return NULL;
	}
	s->flags = MOS_SF_HASHED;
	s->rcv_wscale = wscale_for(core->pool[MOS_POOL_RCVBUF].obj_size);
	s->mss = TCP_MSS_DEFAULT;
	s->rto = MOS_TCP_RTO_INIT;
	s->last_activity = core->now;
	return s;
}

/* Out of the tuple table: no segment finds it any more. */
static void unhash(struct mos_core *core, struct mos_stream *s)
{
	if (s->flags & MOS_SF_HASHED)
		mos_tuple_remove(&core->tuples, &s->tuple);
	s->flags &= ~MOS_SF_HASHED;
}

/* Remove a passive child from its listener's accept queue, if it is there. */
static void unqueue_child(struct mos_stream *s)
{
	struct mos_stream *l = s->listener;

	if (l == NULL)
		return;
	if (s->flags & MOS_SF_ACCEPT_Q) {
		TAILQ_REMOVE(&l->accept_q, s, accept_link);
		s->flags &= ~MOS_SF_ACCEPT_Q;
		l->n_accept--;
	}
	s->listener = NULL;
}

/*
 * The stream is finished: out of the tuple table, timers stopped, buffers
 * back, the socket told to forget it. The memory itself waits for the
 * flush when the stream still sits on the to-send list.
 */
void tcp_free(struct mos_core *core, struct mos_stream *s)
{
	if (s->flags & MOS_SF_DEAD)
		return;
	unqueue_child(s);
	mos_arp_unwait(core, s);
	mos_timer_cancel(&core->wheel, &s->rto_timer.t);
	mos_timer_cancel(&core->wheel, &s->ack_timer.t);
	mos_timer_cancel(&core->wheel, &s->life_timer.t);
	unhash(core, s);
	if (s->flags & MOS_SF_RSS_PAIR)
		mos_rss_pool_put(&core->rss, s->tuple.key.laddr, s->tuple.key.lport);
	buffers_put(core, s);
	if (s->sock != NULL)
		mos_sock_notify(core, s, 0);
	s->sock = NULL;
	s->state = MOS_TCP_CLOSED;
	s->flags |= MOS_SF_DEAD;
	if (!(s->flags & MOS_SF_ON_TXLIST))
		stream_release(core, s);
}

void tcp_notify(struct mos_core *core, struct mos_stream *s)
{
	uint32_t ev = mos_tcp_poll(s);

	/* 0 would tell the socket layer the stream is gone: only tcp_free says that */
	if (s->sock != NULL && ev != 0)
		mos_sock_notify(core, s, ev);
	else if (s->listener != NULL && s->state == MOS_TCP_ESTABLISHED)
		tcp_notify(core, s->listener);
}

/*
 * The connection failed with err (ETIMEDOUT, ECONNRESET, ECONNREFUSED,
 * ECONNABORTED for urgent data refused, an ICMP error's EHOSTUNREACH,
 * ENETUNREACH or ENOPROTOOPT): no more segments; the socket sees the
 * error, and the stream goes when the application closes it (at once if it
 * already has, or if no socket has it yet).
 */
void tcp_fail(struct mos_core *core, struct mos_stream *s, int err)
{
	MOS_LOG(DEBUG, "stream :%u -> :%u failed in %s: %s (una %u nxt %u max %u wnd %u, "
		"rcv.nxt %u, retries %u)", ntohs(s->tuple.key.lport), ntohs(s->tuple.key.rport),
		mos_tcp_state_name(s->state), err ? strerror(err) : "closed", s->snd_una - s->iss,
		s->snd_nxt - s->iss, s->snd_max - s->iss, s->snd_wnd, s->rcv.nxt - s->irs,
		s->retries);
	if (err == ETIMEDOUT) {
		core->tcp.conn_timeout++;
		/* RFC 1122 4.2.3.9: a soft ICMP error is what a timed-out stream reports (as Linux) */
		if (s->soft_error != 0)
			err = s->soft_error;
	} else if (err == ECONNRESET)
		core->tcp.conn_reset++;
	else if (err == ECONNREFUSED)
		core->tcp.conn_refused++;
	if (err == EHOSTUNREACH || err == ENETUNREACH)
		core->tcp.unreachable++;
	s->so_error = err;
	if (s->sock == NULL) {
		tcp_free(core, s);
		return;
	}
	mos_timer_cancel(&core->wheel, &s->rto_timer.t);
	mos_timer_cancel(&core->wheel, &s->ack_timer.t);
	mos_timer_cancel(&core->wheel, &s->life_timer.t);
	unhash(core, s);
	s->state = MOS_TCP_CLOSED;
	tcp_notify(core, s);
}

void tcp_schedule(struct mos_core *core, struct mos_stream *s)
{
	if (s->flags & MOS_SF_ON_TXLIST)
		return;
	s->flags |= MOS_SF_ON_TXLIST;
	STAILQ_INSERT_TAIL(&core->tx_list, s, tx_link);
}

void tcp_rto_arm(struct mos_core *core, struct mos_stream *s)
{
	mos_timer_arm(&core->wheel, &s->rto_timer.t, core->now + s->rto);
}

/* RFC 6298 2.2 and 2.3, in the fixed point of 4.4BSD: srtt x 8, rttvar x 4. */
void tcp_rtt_sample(struct mos_stream *s, uint32_t rtt)
{
	int32_t delta;

	if (rtt == 0)
		rtt = 1;
	if (s->srtt8 == 0) {
		s->srtt8 = rtt << 3;
		s->rttvar4 = rtt << 1;
	} else {
		delta = (int32_t)rtt - (int32_t)(s->srtt8 >> 3);
		s->srtt8 = (uint32_t)((int32_t)s->srtt8 + delta);
		if (delta < 0)
			delta = -delta;
		s->rttvar4 = (uint32_t)((int32_t)s->rttvar4 + delta - (int32_t)(s->rttvar4 >> 2));
	}
	s->rto = (s->srtt8 >> 3) + (s->rttvar4 > 1 ? s->rttvar4 : 1);
	if (s->rto < MOS_TCP_RTO_MIN)
		s->rto = MOS_TCP_RTO_MIN;
	if (s->rto > MOS_TCP_RTO_MAX)
		s->rto = MOS_TCP_RTO_MAX;
}

/*
 * RFC 9293 3.10.7.4: TIME_WAIT lasts tcp_timewait (mOS's 2 MSL setting).
 * Even with 0 it lasts one tick: the ACK of the peer's FIN, owed now, goes
 * out in this turn of the loop before the timer can free the stream.
 */
void tcp_enter_timewait(struct mos_core *core, struct mos_stream *s)
{
	tcp_set_state(core, s, MOS_TCP_TIME_WAIT);
	mos_timer_cancel(&core->wheel, &s->rto_timer.t);
	mos_timer_cancel(&core->wheel, &s->ack_timer.t);
	tcp_shed_buffers(core, s);
	tcp_notify(core, s);
	mos_timer_arm(&core->wheel, &s->life_timer.t,
		      core->now + (core->tcp_timewait > 0 ? core->tcp_timewait : 1));
}

/* The idle timeout runs from the last segment in or out. */
void tcp_idle_touch(struct mos_core *core, struct mos_stream *s)
{
	s->last_activity = core->now;
	if (core->tcp_timeout != 0 && !mos_timer_armed(&s->life_timer.t) &&
	    s->state != MOS_TCP_TIME_WAIT && s->state != MOS_TCP_LISTEN)
		mos_timer_arm(&core->wheel, &s->life_timer.t, core->now + core->tcp_timeout);
}

struct mos_stream *tcp_listener_find(struct mos_core *core, in_addr_t addr, in_port_t port)
{
	struct mos_stream *any = NULL;

	for (int i = 0; i < core->n_listener; i++) {
		struct mos_stream *l = core->listener[i];

		if (l->tuple.key.lport != port)
			continue;
		if (l->tuple.key.laddr == addr)
			return l;
		if (l->tuple.key.laddr == htonl(INADDR_ANY))
			any = l;
	}
	return any;
}

/* --- the verbs of the socket layer ------------------------------------------- */

static int route_stream(struct mos_core *core, struct mos_stream *s, in_addr_t daddr)
{
	in_addr_t nexthop;
	int ret = mos_net_route(&core->net, daddr, &s->iface, &nexthop);

	if (ret != 0)
		return ret;
	if (mos_net_neigh(&core->net, nexthop, s->dst_mac) == 0)
		s->flags |= MOS_SF_NEIGH_OK;
	return 0;
}

/* An existing stream on the tuple: one in TIME_WAIT gives way (RFC 6191's spirit: new ISS above). */
static int reuse_tuple(struct mos_core *core, const struct mos_tuple_key *k, uint32_t *old_max)
{
	struct mos_tuple_node *n = mos_tuple_lookup(&core->tuples, k, mos_tuple_hash(&core->tuples, k));
	struct mos_stream *old;

	if (n == NULL)
		return 0;
	old = stream_of_flow(n);
	if (old->state != MOS_TCP_TIME_WAIT)
		return -EADDRINUSE;
	*old_max = old->snd_max;
	core->tcp.timewait_reused++;
	tcp_free(core, old);
	return 1;
}

struct mos_stream *mos_tcp_connect(struct mos_core *core, in_addr_t saddr, in_port_t sport,
				   in_addr_t daddr, in_port_t dport, bool rss_pair, void *sock,
				   int *err)
{
	struct mos_tuple_key k = { saddr, daddr, sport, dport };
	uint32_t old_max = 0;
	struct mos_stream *s;
	int reused = reuse_tuple(core, &k, &old_max);

	if (reused < 0) {
		*err = reused;
		return NULL;
	}
	s = tcp_stream_new(core, saddr, sport, daddr, dport, err);
	if (s == NULL)
		return NULL;
	*err = route_stream(core, s, daddr);
	if (*err != 0) {
		tcp_free(core, s);
		return NULL;
	}
	s->iss = reused ? tcp_iss_above(core, &k, old_max) : tcp_iss(core, &k);
	s->snd_una = s->snd_nxt = s->snd_max = s->iss;
	mos_sndbuf_init(&s->snd, s->snd_mem, core->pool[MOS_POOL_SNDBUF].obj_size, s->iss + 1);
	s->sock = sock;
	if (rss_pair)
		s->flags |= MOS_SF_RSS_PAIR;
	tcp_set_state(core, s, MOS_TCP_SYN_SENT);
	core->tcp.active_opens++;
	tcp_schedule(core, s);
	return s;
}

struct mos_stream *mos_tcp_listen(struct mos_core *core, in_addr_t addr, in_port_t port,
				  uint32_t backlog, void *sock, int *err)
{
	struct mos_stream *s;

	if (core->n_listener >= MOS_LISTEN_MAX) {
		*err = -ENOBUFS;
		return NULL;
	}
	for (int i = 0; i < core->n_listener; i++)
		if (core->listener[i]->tuple.key.lport == port &&
		    core->listener[i]->tuple.key.laddr == addr) {
			*err = -EADDRINUSE;
			return NULL;
		}
	s = stream_alloc(core, err);
	if (s == NULL)
		return NULL;
	TAILQ_INIT(&s->accept_q);
	s->tuple.key.laddr = addr;
	s->tuple.key.lport = port;
	s->backlog = backlog > 0 ? backlog : 1;
	s->sock = sock;
	s->state = MOS_TCP_LISTEN;
	core->listener[core->n_listener++] = s;
	return s;
}

struct mos_stream *mos_tcp_accept(struct mos_core *core, struct mos_stream *l)
{
	struct mos_stream *c = TAILQ_FIRST(&l->accept_q);

	(void)core;
	if (c == NULL)
		return NULL;
	TAILQ_REMOVE(&l->accept_q, c, accept_link);
	c->flags &= ~MOS_SF_ACCEPT_Q;
	l->n_accept--;
	c->listener = NULL;
	return c;
}

long mos_tcp_send(struct mos_core *core, struct mos_stream *s, const void *data, uint32_t n)
{
	uint32_t put;

	if (s->so_error != 0)
		return -s->so_error;
	if (s->flags & MOS_SF_FIN_QUEUED)
		return -EPIPE;
	if (s->state == MOS_TCP_SYN_SENT || s->state == MOS_TCP_SYN_RCVD)
		return -EAGAIN;
	if (s->state != MOS_TCP_ESTABLISHED && s->state != MOS_TCP_CLOSE_WAIT)
		return s->state == MOS_TCP_CLOSED ? -ENOTCONN : -EPIPE;
	put = mos_sndbuf_write(&s->snd, data, n);
	if (put == 0)
		return n == 0 ? 0 : -EAGAIN;
	tcp_schedule(core, s);
	return put;
}

/* A window update is worth a segment when the right edge moves by min(buffer / 2, MSS). */
static bool window_update_due(const struct mos_stream *s)
{
	uint32_t edge = s->rcv.nxt + mos_rcvbuf_window(&s->rcv);
	uint32_t step = s->rcv.size / 2 < s->mss ? s->rcv.size / 2 : s->mss;

	return mos_seq_diff(edge, s->rcv_adv) >= (int32_t)step;
}

long mos_tcp_recv(struct mos_core *core, struct mos_stream *s, void *buf, uint32_t n)
{
	uint32_t got;

	if (s->state == MOS_TCP_LISTEN || s->state == MOS_TCP_SYN_SENT ||
	    s->state == MOS_TCP_SYN_RCVD)
		return s->so_error != 0 ? -s->so_error : -EAGAIN;
	if (s->rcv.len == 0) {
		if (s->so_error != 0)
			return -s->so_error;
		return (s->flags & MOS_SF_FIN_RCVD) || s->state == MOS_TCP_CLOSED ? 0 : -EAGAIN;
	}
	got = mos_rcvbuf_read(&s->rcv, buf, n);
	if (window_update_due(s) && s->state != MOS_TCP_CLOSED) {
		s->flags |= MOS_SF_ACK_NOW;
		core->tcp.window_updates++;
		tcp_schedule(core, s);
	}
	return got;
}

/* Children of l still in SYN_RCVD: reset them (a walk of the tuple table, on the control path). */
static void abort_half_open(struct mos_core *core, struct mos_stream *l)
{
	for (uint32_t b = 0; b <= core->tuples.mask; b++) {
		struct mos_tuple_node *n = core->tuples.bucket[b], *next;

		for (; n != NULL; n = next) {
			struct mos_stream *c = stream_of_flow(n);

			next = n->next;
			if (c->listener == l)
				mos_tcp_abort(core, c);
		}
	}
}

static void close_listener(struct mos_core *core, struct mos_stream *l)
{
	struct mos_stream *c;

	while ((c = mos_tcp_accept(core, l)) != NULL)
		mos_tcp_abort(core, c);
	abort_half_open(core, l);
	for (int i = 0; i < core->n_listener; i++)
		if (core->listener[i] == l) {
			core->listener[i] = core->listener[--core->n_listener];
			break;
		}
	l->sock = NULL;
	l->flags |= MOS_SF_DEAD;
	if (!(l->flags & MOS_SF_ON_TXLIST))
		stream_release(core, l);
}

void mos_tcp_close(struct mos_core *core, struct mos_stream *s)
{
	s->sock = NULL;
	s->flags |= MOS_SF_APP_CLOSED;
	switch (s->state) {
	case MOS_TCP_LISTEN:
		close_listener(core, s);
		return;
	case MOS_TCP_CLOSED:
	case MOS_TCP_SYN_SENT:
		tcp_free(core, s);
		return;
	case MOS_TCP_TIME_WAIT:
		if (!mos_timer_armed(&s->life_timer.t))
			tcp_free(core, s);
		return;
	default:
		break;
	}
	/* RFC 2525 2.17: closing with unread data resets the connection */
	if (s->rcv.len != 0) {
		mos_tcp_abort(core, s);
		return;
	}
	tcp_shed_buffers(core, s);
	if (s->state == MOS_TCP_SYN_RCVD || s->state == MOS_TCP_ESTABLISHED)
		tcp_set_state(core, s, MOS_TCP_FIN_WAIT_1);
	else if (s->state == MOS_TCP_CLOSE_WAIT)
		tcp_set_state(core, s, MOS_TCP_LAST_ACK);
	else
		return;	/* FIN already on its way */
	s->flags |= MOS_SF_FIN_QUEUED;
	tcp_schedule(core, s);
}

void mos_tcp_abort(struct mos_core *core, struct mos_stream *s)
{
	if (s->state == MOS_TCP_LISTEN) {
		close_listener(core, s);
		return;
	}
	if (s->state != MOS_TCP_CLOSED && s->state != MOS_TCP_SYN_SENT &&
	    s->state != MOS_TCP_TIME_WAIT)
		tcp_send_flags(core, s, MOS_TH_RST | MOS_TH_ACK, s->snd_nxt);
	s->sock = NULL;
	tcp_free(core, s);
}

uint32_t mos_tcp_poll(const struct mos_stream *s)
{
	uint32_t ev = 0;

	if (s->state == MOS_TCP_LISTEN)
		return !TAILQ_EMPTY(&s->accept_q) ? MOS_EPOLLIN : 0;
	if (s->so_error != 0)
		ev |= MOS_EPOLLERR | MOS_EPOLLHUP | MOS_EPOLLIN | MOS_EPOLLRDHUP;
	if (s->rcv.len != 0)
		ev |= MOS_EPOLLIN;
	if (s->flags & MOS_SF_FIN_RCVD)
		ev |= MOS_EPOLLIN | MOS_EPOLLRDHUP;
	if ((s->state == MOS_TCP_ESTABLISHED || s->state == MOS_TCP_CLOSE_WAIT) &&
	    !(s->flags & MOS_SF_FIN_QUEUED) && mos_sndbuf_space(&s->snd) != 0)
		ev |= MOS_EPOLLOUT;
	/* both directions are shut: the peer's FIN came and ours was sent */
	if (s->state == MOS_TCP_CLOSED ||
	    ((s->flags & MOS_SF_FIN_RCVD) && (s->flags & MOS_SF_FIN_QUEUED)))
		ev |= MOS_EPOLLHUP;
	return ev;
}

/* --- timers ------------------------------------------------------------------ */

static struct mos_stream *stream_of_timer(struct mos_timer *t)
{
	struct mos_stream_timer *st = (struct mos_stream_timer *)(void *)t;
	size_t off = st->kind == MOS_TIMER_RTO ? offsetof(struct mos_stream, rto_timer) :
		     st->kind == MOS_TIMER_ACK ? offsetof(struct mos_stream, ack_timer) :
		     offsetof(struct mos_stream, life_timer);

	return (struct mos_stream *)(void *)((char *)st - off);
}

/* RFC 6298 5.4-5.7: retransmit the earliest unacknowledged segment, back off, restart. */
static void rto_expired(struct mos_core *core, struct mos_stream *s)
{
	bool syn = s->state == MOS_TCP_SYN_SENT || s->state == MOS_TCP_SYN_RCVD;
	uint32_t flight = tcp_inflight(s);

	if (!syn && s->snd_una == s->snd_max) {	/* nothing outstanding: a zero-window probe */
		if (s->snd_wnd == 0 && s->snd.len != 0) {
			/* a live peer answers probes (ack_step resets the count); a gone one never */
			if (++s->retries > MOS_TCP_DATA_RETRIES) {
				tcp_send_flags(core, s, MOS_TH_RST | MOS_TH_ACK, s->snd_max);
				tcp_fail(core, s, ETIMEDOUT);
				return;
			}
			core->tcp.zero_window_probes++;
			tcp_send_flags(core, s, MOS_TH_ACK, s->snd_una - 1);
			s->rto = s->rto * 2 > MOS_TCP_RTO_MAX ? MOS_TCP_RTO_MAX : s->rto * 2;
			tcp_rto_arm(core, s);
		}
		return;
	}
	if (++s->retries > (syn ? core->syn_retries : MOS_TCP_DATA_RETRIES)) {
		if (!syn)
			tcp_send_flags(core, s, MOS_TH_RST | MOS_TH_ACK, s->snd_max);
		tcp_fail(core, s, ETIMEDOUT);
		return;
	}
	core->tcp.rto_timeouts++;
	/*
	 * RFC 5681 3.1, equation (4), and the loss window of one segment. A
	 * segment the timer retransmits again keeps ssthresh (RFC 5681 3.1's
	 * implementation note; Linux's tcp_enter_loss in TCP_CA_Loss): its
	 * FlightSize is the one segment sent since, which would say 2 SMSS.
	 */
	if (s->retries == 1)
		s->ssthresh = flight / 2 > 2u * s->mss ? flight / 2 : 2u * s->mss;
	s->cwnd = s->mss;
	/* RFC 6582 3.2 step 4: duplicate ACKs of what was sent before start no fast retransmit */
	s->recover = s->snd_max;
	s->flags &= ~(MOS_SF_IN_RECOVERY | MOS_SF_RTT_TIMING);	/* Karn: no sample from it */
	s->dupacks = 0;
	s->rto = s->rto * 2 > MOS_TCP_RTO_MAX ? MOS_TCP_RTO_MAX : s->rto * 2;
	s->snd_nxt = syn ? s->iss : s->snd_una;	/* go back N */
	if (s->flags & MOS_SF_FIN_SENT && s->snd_nxt != s->snd_max)
		s->flags &= ~MOS_SF_FIN_SENT;
	core->tcp.retransmits++;
	tcp_output(core, s);
	tcp_rto_arm(core, s);
}

static void life_expired(struct mos_core *core, struct mos_stream *s)
{
	uint64_t idle_end;

	if (s->state == MOS_TCP_TIME_WAIT && (s->flags & MOS_SF_ACK_NOW)) {
		mos_timer_arm(&core->wheel, &s->life_timer.t, core->now + 1);	/* its ACK first */
		return;
	}
	if (s->state == MOS_TCP_TIME_WAIT ||
	    (s->state == MOS_TCP_FIN_WAIT_2 && (s->flags & MOS_SF_APP_CLOSED))) {
		tcp_free(core, s);
		return;
	}
	if (core->tcp_timeout == 0)
		return;
	idle_end = s->last_activity + core->tcp_timeout;
	if (idle_end > core->now) {
		mos_timer_arm(&core->wheel, &s->life_timer.t, idle_end);
		return;
	}
	if (s->state != MOS_TCP_CLOSED)
		tcp_send_flags(core, s, MOS_TH_RST | MOS_TH_ACK, s->snd_nxt);
	tcp_fail(core, s, ETIMEDOUT);
}

static void timer_fired(struct mos_timer *t, void *arg)
{
	struct mos_core *core = arg;
	struct mos_stream *s = stream_of_timer(t);

	switch (((struct mos_stream_timer *)(void *)t)->kind) {
	case MOS_TIMER_RTO:
		rto_expired(core, s);
		break;
	case MOS_TIMER_ACK:
		if (s->flags & MOS_SF_DELACK) {
			s->flags |= MOS_SF_ACK_NOW;
			tcp_schedule(core, s);
		}
		break;
	default:
		life_expired(core, s);
		break;
	}
}

void mos_tcp_timers(struct mos_core *core, uint64_t now)
{
	core->now = now;
	mos_wheel_advance(&core->wheel, now, timer_fired, core, 0);
}

/* FIN_WAIT_2 of a stream nobody will read: bounded, as Linux's tcp_fin_timeout. */
void tcp_orphan_fin_wait_2(struct mos_core *core, struct mos_stream *s)
{
	if (!(s->flags & MOS_SF_APP_CLOSED))
		return;
	mos_timer_arm(&core->wheel, &s->life_timer.t, core->now + FIN_WAIT_2_ORPHAN);
	tcp_shed_buffers(core, s);
}
