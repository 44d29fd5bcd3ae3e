/*
 * eps_conn.h - the HTTP connections of one epserver core (eps_conn.c):
 * an mtcp_epoll event -> read_requests -> eps_req_feed -> owe ->
 * send_owed -> mtcp_writev, answered from the site (eps_http.h).
 *
 * epserver.c is the program around it: it sets up a core's stack context,
 * epoll and listener, accepts (eps_conn_open) and hands each connection's
 * events here (eps_conn_event); test/eps_conn.h does the same over a fake
 * socket for test_eps.c and fuzz_epserver.c.
 *
 * Threading: a struct eps_conn_ctx and its connections are one core's,
 * used by that core's thread only; the main thread reads its counters
 * once the thread has ended.
 */
#ifndef EPWGET_EPS_CONN_H
#define EPWGET_EPS_CONN_H

#include <signal.h>
#include <stdint.h>

#include "eps_http.h"
#include "mtcp_api.h"

#define PIPE_MAX 32	/* responses one connection may owe at once */

/* A core's counters. Every field is a uint64_t counter (epserver.c adds the cores' as arrays). */
struct eps_counters {
	uint64_t accepted, closed, requests, keepalive_reuses;
	uint64_t status_200, status_400, status_404, status_501;
	uint64_t bytes_out, body_bytes;
	uint64_t resets;		/* connections lost to an error (reset, timeout) */
	uint64_t accept_full;		/* accepts refused: no free socket id (EMFILE) */
	uint64_t aborted_at_stop;	/* still busy when the grace second ended */
	uint64_t pipe_full;		/* reads put off: PIPE_MAX - 1 responses owed, the rest waits */
	uint64_t pipe_refused;		/* responses the ring had no slot for: never, by design */
	uint64_t request_timeouts;	/* closed: a request head not complete within request_timeout */
	uint64_t keepalive_timeouts;	/* closed: idle between requests for keepalive_timeout */
	uint64_t keepalive_limits;	/* answered with Connection: close: max_requests reached */
	uint64_t bad[EPS_ERR_COUNT];	/* malformed requests, by reason */
};

struct eps_conn;	/* one connection: eps_conn.c's */

/*
 * What a core's connections need from the program. The caller fills mctx,
 * ep, site and stop (and the limits below: 0 turns one off) and calls
 * eps_conn_table_init; from then on eps_conn.c keeps conn, open, count and
 * the deadline lists (the caller counts accept_full itself, and reads the
 * counters when the core is done). The caller also keeps now_us: set it
 * before each batch of events and before each eps_conn_sweep.
 */
struct eps_conn_ctx {
	mctx_t mctx;			/* the core's stack context */
	int ep;				/* its epoll: each connection's interest is registered there */
	const struct eps_site *site;	/* the files and responses served, read-only */
	const volatile sig_atomic_t *stop;	/* set: the server stops, keep-alive ends */
	struct eps_conn *conn;		/* indexed by socket id */
	uint32_t n_conn;
	uint32_t open;			/* connections open now */
	struct eps_counters count;

	/* Slowloris defences (epserver's -t, -K, -R); fixed before the first connection */
	uint64_t now_us;		/* the core's clock (monotonic): the caller's */
	uint64_t request_timeout_us;	/* a request head must be complete within it (0: no limit) */
	uint64_t keepalive_timeout_us;	/* an idle kept-alive connection closes after it (0: none) */
	uint32_t max_requests;		/* per connection; the last says Connection: close (0: none) */
	uint32_t dl_first[2], dl_last[2];	/* the deadline lists (eps_conn.c), by kind */
};

/*
 * The connection slots, one per socket id below n (epserver.c's core_setup;
 * the test harness). 0, or -1 with errno when they cannot be allocated.
 */
int eps_conn_table_init(struct eps_conn_ctx *cx, uint32_t n);

/* Frees the slots (none allocated: nothing); the connections must be gone. */
void eps_conn_table_free(struct eps_conn_ctx *cx);

/*
 * The accept of socket sd (< cx->n_conn) by its core: made non-blocking,
 * registered for MOS_EPOLLIN on cx->ep, counted, and the requests that came
 * with the handshake answered at once. May close the connection again.
 */
void eps_conn_open(struct eps_conn_ctx *cx, int sd);

/*
 * The events epoll reported for sd (the core's loop). Nothing when sd is
 * not open (closed earlier in the same batch); otherwise it reads, answers
 * and closes or resets as the connection requires.
 */
void eps_conn_event(struct eps_conn_ctx *cx, int sd, uint32_t events);

/*
 * Ends the connections whose deadline has passed (cx->now_us): resets one
 * whose request head begun (or which opened) request_timeout_us ago is not
 * yet complete (request_timeouts), closes a kept-alive connection idle for
 * keepalive_timeout_us (keepalive_timeouts). The lists are in deadline
 * order, so a call costs O(1 + connections closed); the core's loop calls
 * it after every epoll_wait (at most 100 ms apart).
 */
void eps_conn_sweep(struct eps_conn_ctx *cx);

/* At stop: closes every open connection that owes nothing and is between requests. */
void eps_conn_close_idle(struct eps_conn_ctx *cx);

/* At the end of the stop's grace: resets every connection still open (aborted_at_stop). */
void eps_conn_abort_all(struct eps_conn_ctx *cx);

/* The responses in sd's ring now: for the tests, which watch the ring's fill. */
unsigned eps_conn_owed(const struct eps_conn_ctx *cx, int sd);

/* sd's deadline (cx->now_us's clock), 0 when none runs: for the tests. */
uint64_t eps_conn_deadline(const struct eps_conn_ctx *cx, int sd);

#endif
