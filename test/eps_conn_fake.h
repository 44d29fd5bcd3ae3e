/*
 * eps_conn_fake.h - a fake socket under epserver's connections (eps_conn.c,
 * linked as a module) for test_eps.c and fuzz_epserver.c. Include it once
 * per program.
 *
 * The mtcp_* calls eps_conn.c makes are defined here for one connection,
 * EC_SD, whose client is a byte stream: the test says how much of it has
 * arrived (ec_arrive), how much the send buffer takes (ec.room), and when
 * the client's FIN comes after the last byte (ec.fin). ec_step() opens the
 * connection, then delivers the events a level-triggered epoll would
 * report for the interest eps_conn.c registered. Everything the server
 * writes lands in ec.out; the core's counters are ec_cx.count, and the
 * site it serves is `site`, which the test loads.
 *
 * ec_expect() computes, from the same stream, what a correct server
 * answers: each request's response in order (eps_req_feed and the site's
 * lookup, as eps_conn.c asks them), up to and including the first one that
 * closes the connection (a 400, a 501, a request without keep-alive, or
 * the ec_cx.max_requests-th: set the limits in ec_cx before it).
 *
 * The clock is ec_cx.now_us, the test's: ec_tick() moves it on and sweeps
 * the deadlines, as the core's loop does after each epoll_wait.
 * ec_verify() compares ec.out with it byte for byte once the connection
 * is quiet, and checks the counters and the connection's end; it returns
 * the first disagreement, or NULL.
 */
#ifndef EPWGET_TEST_EPS_CONN_FAKE_H
#define EPWGET_TEST_EPS_CONN_FAKE_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "eps_conn.h"
#include "eps_http.h"

#define EC_SD      7		/* the connection's socket id */
#define EC_EP      1
#define EC_SLOTS   8
#define EC_OUT_MAX (8u << 20)	/* bytes the client can take in one run */

static struct {
	const uint8_t *in;
	size_t in_len;
	size_t arrived;		/* bytes of in that reached the socket */
	size_t taken;		/* bytes of in that the server read */
	bool fin;		/* the client's FIN follows byte in_len */
	size_t room;		/* bytes the send buffer takes now (SIZE_MAX: no limit) */
	uint8_t *out;
	size_t out_len;
	bool accepted, closed, aborted;
	uint32_t interest;
	unsigned misuse;	/* calls on a socket closed or unknown */
	unsigned max_owed;	/* the most responses the ring held after an event */
} ec;

static struct eps_site site;		/* what the connection serves: the test loads it */
static volatile sig_atomic_t ec_stop;	/* the server's stop flag: never set here */
static struct eps_conn_ctx ec_cx;	/* core 0: its connections and counters */

static bool ec_ours(int sd)
{
	if (sd == EC_SD && ec.accepted && !ec.closed && !ec.aborted)
		return true;
	ec.misuse++;
	return false;
}

/* The ring's fill, looked at whenever the server reads or writes and after each event. */
static void ec_note_ring(void)
{
	unsigned owed = eps_conn_owed(&ec_cx, EC_SD);

	if (owed > ec.max_owed)
		ec.max_owed = owed;
}

ssize_t mtcp_read(mctx_t mctx, int sockid, char *buf, size_t len)
{
	size_t n;

	(void)mctx;
	if (!ec_ours(sockid)) {
		errno = EBADF;
		return -1;
	}
	ec_note_ring();
	n = ec.arrived - ec.taken;
	if (n == 0) {
		if (ec.fin && ec.arrived == ec.in_len)
			return 0;
		errno = EAGAIN;
		return -1;
	}
	n = n < len ? n : len;
	memcpy(buf, ec.in + ec.taken, n);
	ec.taken += n;
	return (ssize_t)n;
}

ssize_t mtcp_writev(mctx_t mctx, int sockid, const struct iovec *iov, int iovcnt)
{
	size_t w = 0;

	(void)mctx;
	if (!ec_ours(sockid)) {
		errno = EBADF;
		return -1;
	}
	ec_note_ring();
	for (int i = 0; i < iovcnt && ec.room > 0; i++) {
		size_t n = iov[i].iov_len < ec.room ? iov[i].iov_len : ec.room;

		if (ec.out_len + n > EC_OUT_MAX) {
			fprintf(stderr, "eps_conn: more than %u bytes written\n", EC_OUT_MAX);
			abort();
		}
		memcpy(ec.out + ec.out_len, iov[i].iov_base, n);
		ec.out_len += n;
		w += n;
		if (ec.room != SIZE_MAX)
			ec.room -= n;
	}
	if (w == 0) {
		errno = EAGAIN;
		return -1;
	}
	return (ssize_t)w;
}

/* The end of the connection: closed or aborted, as *how says. */
static int ec_end(int sockid, bool *how)
{
	if (!ec_ours(sockid))
		return -1;
	*how = true;
	return 0;
}

int mtcp_close(mctx_t mctx, int sockid)
{
	(void)mctx;
	return ec_end(sockid, &ec.closed);
}

int mtcp_abort(mctx_t mctx, int sockid)
{
	(void)mctx;
	return ec_end(sockid, &ec.aborted);
}

int mtcp_epoll_ctl(mctx_t mctx, int epid, int op, int sockid, struct mtcp_epoll_event *event)
{
	(void)mctx;
	(void)op;
	if (epid != EC_EP || !ec_ours(sockid))
		return -1;
	ec.interest = event->events;
	return 0;
}

int mtcp_setsock_nonblock(mctx_t mctx, int sockid)
{
	(void)mctx;
	return ec_ours(sockid) ? 0 : -1;
}

/* --- the harness ------------------------------------------------------------------ */

/* A fresh core 0 and connection for the client stream in[0..len); the site is the test's. */
static void ec_start(const uint8_t *in, size_t len, uint8_t *out)
{
	memset(&ec, 0, sizeof(ec));
	eps_conn_table_free(&ec_cx);
	memset(&ec_cx, 0, sizeof(ec_cx));
	ec.in = in;
	ec.in_len = len;
	ec.out = out;
	ec.room = SIZE_MAX;
	ec_cx.mctx = (mctx_t)(uintptr_t)0x1000;
	ec_cx.ep = EC_EP;
	ec_cx.site = &site;
	ec_cx.stop = &ec_stop;
	if (eps_conn_table_init(&ec_cx, EC_SLOTS) != 0) {
		perror("eps_conn_fake: the connection slots");
		abort();
	}
}

static void ec_arrive(size_t n)
{
	ec.arrived = n < ec.in_len - ec.arrived ? ec.arrived + n : ec.in_len;
}

/*
 * One round of the event loop: the accept of the connection first, then
 * its level-triggered events. false when nothing was ready (or the
 * connection is gone).
 */
static bool ec_step(void)
{
	uint32_t ev = 0;

	if (!ec.accepted) {
		ec.accepted = true;
		eps_conn_open(&ec_cx, EC_SD);
		ec_note_ring();
		return true;
	}
	if (ec.closed || ec.aborted)
		return false;
	if ((ec.interest & MOS_EPOLLIN) &&
	    (ec.arrived > ec.taken || (ec.fin && ec.arrived == ec.in_len)))
		ev |= MOS_EPOLLIN;
	if ((ec.interest & MOS_EPOLLOUT) && ec.room > 0)
		ev |= MOS_EPOLLOUT;
	if (ev == 0)
		return false;
	eps_conn_event(&ec_cx, EC_SD, ev);
	ec_note_ring();
	return true;
}

/* Rounds until nothing is ready; false when it never settles. */
static bool ec_settle(void)
{
	for (long i = 0; i < 1000000; i++)
		if (!ec_step())
			return true;
	return false;
}

/* What a correct server owes the stream: see the top. */
struct ec_expect {
	size_t len;		/* bytes of the responses */
	uint32_t responses;
	uint32_t status[4];	/* 200, 400, 404, 501 */
	bool closing;		/* the last one closes the connection */
};

static int ec_status_index(uint16_t status)
{
	return status == 200 ? 0 : status == 400 ? 1 : status == 404 ? 2 : 3;
}

/* The first max responses of the stream (ec_expect: all); out NULL: their lengths only. */
static void ec_expect_n(const struct eps_site *s, const uint8_t *in, size_t len, uint8_t *out,
			size_t cap, struct ec_expect *e, uint32_t max)
{
	static struct eps_req r;
	size_t off = 0;

	memset(e, 0, sizeof(*e));
	eps_req_init(&r);
	while (off < len && !e->closing && e->responses < max) {
		size_t used;
		int st = eps_req_feed(&r, in + off, len - off, &used);
		uint32_t resp;
		bool keep = false, head = false;
		uint64_t hl, bl;

		off += used;
		if (st == 0)
			break;
		if (st < 0) {
			resp = EPS_RESP_400;
		} else if (r.method == EPS_M_OTHER) {
			resp = EPS_RESP_501;
		} else {
			resp = eps_site_lookup(s, r.path, r.path_len);
			keep = r.keep_alive && (ec_cx.max_requests == 0 ||
						e->responses + 1 < ec_cx.max_requests);
			head = r.method == EPS_M_HEAD;
		}
		hl = s->resp[resp].hdr_len[keep];
		bl = head ? 0 : s->resp[resp].size;
		if (out != NULL && e->len + hl + bl > cap) {
			fprintf(stderr, "eps_conn: expected responses past %zu bytes\n", cap);
			abort();
		}
		if (out != NULL) {
			memcpy(out + e->len, s->resp[resp].hdr[keep], hl);
			memcpy(out + e->len + hl, s->resp[resp].body, bl);
		}
		e->len += hl + bl;
		e->responses++;
		e->status[ec_status_index(s->resp[resp].status)]++;
		e->closing = !keep;
		eps_req_init(&r);
	}
}

static void ec_expect(const struct eps_site *s, const uint8_t *in, size_t len, uint8_t *out,
		      size_t cap, struct ec_expect *e)
{
	ec_expect_n(s, in, len, out, cap, e, UINT32_MAX);
}

/* us microseconds pass; then the sweep, as after an epoll_wait. */
static void ec_tick(uint64_t us)
{
	ec_cx.now_us += us;
	eps_conn_sweep(&ec_cx);
}

/*
 * After a deadline ended the connection (and ec_settle): the output is
 * exactly the first t->requests expected responses, the connection ended
 * once, by one deadline - reset at request_timeout, closed at
 * keepalive_timeout - and the counters add up. e is the whole stream's expectation. NULL, or what is wrong.
 */
static const char *ec_verify_cut(const struct ec_expect *e, const uint8_t *want)
{
	const struct eps_counters *t = &ec_cx.count;
	static struct ec_expect part;

	if (ec.max_owed > PIPE_MAX)
		return "the ring held more than PIPE_MAX responses";
	if (ec.misuse != 0)
		return "a socket call on a closed or unknown socket";
	if (t->request_timeouts + t->keepalive_timeouts != 1)
		return "ended early, yet not by one deadline";
	if (ec.aborted != (t->request_timeouts == 1) || ec.closed != (t->keepalive_timeouts == 1))
		return "a request timeout must reset, a keep-alive timeout close";
	if (t->requests > e->responses)
		return "more requests counted than the stream holds";
	ec_expect_n(&site, ec.in, ec.in_len, NULL, 0, &part, (uint32_t)t->requests);
	if (ec.out_len != part.len || memcmp(ec.out, want, part.len) != 0)
		return "the output is not the responses to the requests counted";
	if (part.closing)
		return "a deadline closed a connection that was closing anyway";
	if (t->status_200 + t->status_400 + t->status_404 + t->status_501 != t->requests)
		return "requests != 200 + 400 + 404 + 501";
	if (t->bytes_out != ec.out_len)
		return "bytes_out differs from the bytes written";
	if (t->accepted != 1 || t->closed != 1 || ec_cx.open != 0)
		return "the connection counts disagree with its state";
	return NULL;
}

/*
 * After ec_settle with every byte arrived and room to write: the output is
 * exactly the expected responses, the connection ended as it must, the ring
 * never held more than PIPE_MAX, and the counters add up. NULL, or what is
 * wrong.
 */
static const char *ec_verify(const struct ec_expect *e, const uint8_t *want)
{
	const struct eps_counters *t = &ec_cx.count;
	uint64_t bad = 0;

	for (int i = 0; i < EPS_ERR_COUNT; i++)
		bad += t->bad[i];
	if (ec.max_owed > PIPE_MAX)
		return "the ring held more than PIPE_MAX responses";
	if (ec.misuse != 0)
		return "a socket call on a closed or unknown socket";
	if (ec.aborted)
		return "the connection was reset";
	if (ec.out_len != e->len || memcmp(ec.out, want, e->len) != 0)
		return "the responses differ from the requests' (order, bytes or count)";
	if (ec.closed != (e->closing || ec.fin))
		return ec.closed ? "closed, though the client may send more" : "not closed";
	if (t->pipe_refused != 0)
		return "a response was refused for want of a slot";
	if (t->request_timeouts + t->keepalive_timeouts != 0)
		return "a deadline closed the connection";
	if (t->requests != e->responses)
		return "requests counted differ from the requests answered";
	if (t->status_200 + t->status_400 + t->status_404 + t->status_501 != t->requests)
		return "requests != 200 + 400 + 404 + 501";
	if (t->status_200 != e->status[0] || t->status_400 != e->status[1] ||
	    t->status_404 != e->status[2] || t->status_501 != e->status[3])
		return "a status counted wrong";
	if (bad != t->status_400)
		return "malformed requests counted differ from the 400s";
	if (t->bytes_out != ec.out_len)
		return "bytes_out differs from the bytes written";
	if (t->accepted != 1 || t->closed != (ec.closed ? 1u : 0u) || ec_cx.open != (ec.closed ? 0u : 1u))
		return "the connection counts disagree with its state";
	return NULL;
}

#endif
