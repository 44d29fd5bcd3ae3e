/*
 * eps_conn.c - one HTTP connection of epserver: mtcp_epoll event ->
 * read_requests -> eps_req_feed -> owe -> send_owed -> mtcp_writev.
 *
 * It owns a core's connection slots (struct eps_conn, by socket id), the
 * ring of responses each one owes, and the counters of what they did.
 * epserver.c (the program) accepts and hands the connection over
 * (eps_conn_open), then passes on its epoll events (eps_conn_event);
 * eps_http.c parses the requests and holds the responses, written
 * straight from the site: nothing is allocated per request.
 */
#include "eps_conn.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/uio.h>

/*
 * The ring of owed responses. Reading stops while PIPE_MAX - 1 are owed, and
 * a read asks for at most (PIPE_MAX - 1 - owed) * EPS_REQ_MIN bytes: whole
 * requests then owe at most PIPE_MAX - 1 responses, and the last slot is
 * kept for the one response that ends the parsing of a read early - the 400
 * of a malformed request, which can cost a single byte, after a request
 * whose start came in an earlier read (see read_requests). Bytes beyond
 * stay in the socket until responses drain; nothing is kept aside.
 */
#define PIPE_READ    (PIPE_MAX - 1)	/* owed responses below which requests are read */
#define READ_MAX     (PIPE_READ * EPS_REQ_MIN)

/* An owed response: its index in the site, and two flags. */
#define OWE_HEAD     0x1	/* the header only */
#define OWE_KEEP     0x2	/* the connection stays open after it */
#define OWE_SHIFT    2

/* struct eps_conn flags */
#define C_OPEN        0x01
#define C_CLOSING     0x02	/* a response without keep-alive is owed: read no more */
#define C_PEER_CLOSED 0x04	/* the client closed its side: answer, then close */
#define C_UNREAD      0x08	/* request bytes may be left unread (a closing response stopped us) */

/*
 * Deadlines. A connection waiting on its client - for the request head it
 * began (or, when it has sent none yet, the first), or for the next request
 * after a kept-alive response - has a deadline; while it owes responses it
 * has none (it waits on its own writes, which the stack times out).
 *
 * Each kind of deadline is now + one fixed timeout, and now only grows, so
 * a list of the connections in the order their deadlines were set is also
 * in deadline order: appending is O(1), unlinking (the head completed, the
 * connection closed) is O(1) through the links in the slot, and the sweep
 * stops at the first deadline still ahead. So nothing is allocated, an event
 * costs O(1), and a sweep O(1 + connections it closes) - never a walk of
 * every slot, as a periodic scan of the table (or a timer wheel with a slot
 * per tick) would cost. The sweep runs after each epoll_wait, which waits
 * 100 ms at most: a connection outlives its deadline by that at most.
 */
enum { DL_HEAD, DL_IDLE, DL_NONE };	/* waits for a request head / for a request / none */
#define DL_NIL UINT32_MAX

struct eps_conn {
	uint8_t flags;
	uint8_t head, n_owed;	/* ring of owed responses */
	uint8_t interest;	/* MOS_EPOLLIN/OUT registered now */
	uint8_t dl;		/* DL_*: the list the slot is on */
	uint32_t requests;	/* on this connection */
	uint32_t dl_prev, dl_next;	/* socket ids on its list, DL_NIL at the ends */
	uint32_t dl_req;	/* requests when the deadline was set */
	uint64_t deadline;	/* cx->now_us's clock; while dl != DL_NONE */
	uint64_t off;		/* bytes of the front response written */
	uint32_t owed[PIPE_MAX];
	struct eps_req req;
};

static void set_interest(struct eps_conn_ctx *cx, int sd, struct eps_conn *k, uint8_t want)
{
	struct mtcp_epoll_event ev = { .events = want, .data.u64 = (uint64_t)sd };

	if (want == k->interest)
		return;
	mtcp_epoll_ctl(cx->mctx, cx->ep, MOS_EPOLL_CTL_MOD, sd, &ev);
	k->interest = want;
}

static void dl_unlink(struct eps_conn_ctx *cx, struct eps_conn *k)
{
	if (k->dl == DL_NONE)
		return;
	if (k->dl_prev == DL_NIL)
		cx->dl_first[k->dl] = k->dl_next;
	else
		cx->conn[k->dl_prev].dl_next = k->dl_next;
	if (k->dl_next == DL_NIL)
		cx->dl_last[k->dl] = k->dl_prev;
	else
		cx->conn[k->dl_next].dl_prev = k->dl_prev;
	k->dl = DL_NONE;
}

/*
 * The deadline sd needs now (see the top): kept while it waits the same
 * way for the same request (the head's deadline runs from its first byte,
 * not its last), set from now when it starts to wait - a request answered
 * within the event starts a new wait, though the kind may be the same -
 * dropped when it waits on itself.
 */
static void dl_update(struct eps_conn_ctx *cx, int sd, struct eps_conn *k)
{
	uint8_t want = DL_NONE;
	uint64_t after = 0;

	if (k->n_owed == 0 && !(k->flags & (C_CLOSING | C_PEER_CLOSED))) {
		if (k->requests == 0 || !eps_req_idle(&k->req)) {
			want = DL_HEAD;
			after = cx->request_timeout_us;
		} else {
			want = DL_IDLE;
			after = cx->keepalive_timeout_us;
		}
		if (after == 0)
			want = DL_NONE;
	}
	if (want == k->dl && k->requests == k->dl_req)
		return;
	dl_unlink(cx, k);
	if (want == DL_NONE)
		return;
	k->dl = want;
	k->deadline = cx->now_us + after;
	k->dl_req = k->requests;
	k->dl_next = DL_NIL;
	k->dl_prev = cx->dl_last[want];
	if (k->dl_prev == DL_NIL)
		cx->dl_first[want] = (uint32_t)sd;
	else
		cx->conn[k->dl_prev].dl_next = (uint32_t)sd;
	cx->dl_last[want] = (uint32_t)sd;
}

static void conn_free(struct eps_conn_ctx *cx, struct eps_conn *k)
{
	dl_unlink(cx, k);
	k->flags = 0;
	cx->open--;
	cx->count.closed++;
}

/*
 * Close gracefully: the FIN follows what was written. Unread request bytes
 * would turn the close into a reset and could destroy the response in
 * flight, so they are read and dropped first.
 */
static void conn_close(struct eps_conn_ctx *cx, int sd, struct eps_conn *k)
{
	static _Thread_local char sink[4096];

	if (k->flags & C_UNREAD)
		while (mtcp_read(cx->mctx, sd, sink, sizeof(sink)) > 0)
			;
	mtcp_close(cx->mctx, sd);
	conn_free(cx, k);
}

static void conn_abort(struct eps_conn_ctx *cx, int sd, struct eps_conn *k)
{
	mtcp_abort(cx->mctx, sd);
	conn_free(cx, k);
}

/*
 * Queue the response to a whole request. The read sizes keep a slot for
 * it (PIPE_READ); should the ring still be full, the response is refused,
 * counted, and the connection closes after what it owes rather than
 * overwrite the response at the front.
 */
static void owe(struct eps_conn_ctx *cx, struct eps_conn *k, uint32_t resp, bool head, bool keep)
{
	uint32_t slot = (uint32_t)(k->head + k->n_owed) % PIPE_MAX;

	if (k->n_owed >= PIPE_MAX) {
		cx->count.pipe_refused++;
		k->flags |= C_CLOSING;
		k->owed[(uint32_t)(k->head + k->n_owed - 1) % PIPE_MAX] &= ~(uint32_t)OWE_KEEP;
		return;
	}
	k->owed[slot] = resp << OWE_SHIFT | (head ? OWE_HEAD : 0) | (keep ? OWE_KEEP : 0);
	k->n_owed++;
	if (!keep)
		k->flags |= C_CLOSING;
	cx->count.requests++;
	if (k->requests++ > 0)
		cx->count.keepalive_reuses++;
}

static void request_done(struct eps_conn_ctx *cx, struct eps_conn *k)
{
	const struct eps_req *r = &k->req;
	bool keep = r->keep_alive && !*cx->stop;

	if (keep && cx->max_requests != 0 && k->requests + 1 >= cx->max_requests) {
		keep = false;	/* the last this connection may carry: Connection: close */
		cx->count.keepalive_limits++;
	}
	if (r->method == EPS_M_OTHER)
		owe(cx, k, EPS_RESP_501, false, false);
	else
		owe(cx, k, eps_site_lookup(cx->site, r->path, r->path_len), r->method == EPS_M_HEAD,
		    keep);
}

/* Parse what was read; stop at a response that closes the connection. */
static void parse(struct eps_conn_ctx *cx, struct eps_conn *k, const uint8_t *p, size_t n)
{
	size_t off = 0, used;

	while (off < n && !(k->flags & C_CLOSING)) {
		int st = eps_req_feed(&k->req, p + off, n - off, &used);

		off += used;
		if (st == 0)
			return;
		if (st > 0) {
			request_done(cx, k);
		} else {
			cx->count.bad[k->req.error]++;
			owe(cx, k, EPS_RESP_400, false, false);
		}
		eps_req_init(&k->req);
	}
	if (off < n)
		k->flags |= C_UNREAD;
}

static void count_response(struct eps_conn_ctx *cx, uint32_t resp, uint64_t body)
{
	switch (cx->site->resp[resp].status) {
	case 200: cx->count.status_200++; break;
	case 400: cx->count.status_400++; break;
	case 404: cx->count.status_404++; break;
	default: cx->count.status_501++; break;
	}
	cx->count.body_bytes += body;
}

/* Whether the connection may read more requests now. */
static bool may_read(const struct eps_conn *k)
{
	return !(k->flags & (C_CLOSING | C_PEER_CLOSED)) && k->n_owed < PIPE_READ;
}

/* Write what is owed. false when the connection is gone (closed or dropped). */
static bool send_owed(struct eps_conn_ctx *cx, int sd, struct eps_conn *k)
{
	while (k->n_owed > 0) {
		uint32_t rec = k->owed[k->head];
		const struct eps_resp *r = &cx->site->resp[rec >> OWE_SHIFT];
		bool keep = (rec & OWE_KEEP) != 0;
		uint64_t hl = r->hdr_len[keep], bl = (rec & OWE_HEAD) ? 0 : r->size;
		struct iovec iov[2];
		int cnt = 0;
		ssize_t w;

		if (k->off < hl)
			iov[cnt++] = (struct iovec){ (void *)(uintptr_t)(r->hdr[keep] + k->off),
						     (size_t)(hl - k->off) };
		if (bl > 0) {
			uint64_t b = k->off > hl ? k->off - hl : 0;

			iov[cnt++] = (struct iovec){ (void *)(uintptr_t)(r->body + b), (size_t)(bl - b) };
		}
		w = mtcp_writev(cx->mctx, sd, iov, cnt);
		if (w < 0 && errno != EAGAIN) {
			cx->count.resets++;
			conn_abort(cx, sd, k);
			return false;
		}
		if (w > 0) {
			k->off += (uint64_t)w;
			cx->count.bytes_out += (uint64_t)w;
		}
		if (k->off < hl + bl) {	/* the send buffer is full: on with EPOLLOUT */
			set_interest(cx, sd, k, (uint8_t)((may_read(k) ? MOS_EPOLLIN : 0) | MOS_EPOLLOUT));
			return true;
		}
		count_response(cx, rec >> OWE_SHIFT, bl);
		k->off = 0;
		k->head = (uint8_t)((k->head + 1) % PIPE_MAX);
		k->n_owed--;
		if (!keep) {
			conn_close(cx, sd, k);
			return false;
		}
	}
	if (k->flags & C_PEER_CLOSED) {
		conn_close(cx, sd, k);
		return false;
	}
	set_interest(cx, sd, k, MOS_EPOLLIN);
	return true;
}

/*
 * Read requests while fewer than PIPE_READ responses are owed. A read of
 * room * EPS_REQ_MIN bytes (room = PIPE_READ - owed) completes at most room
 * requests: the first may have begun in an earlier read and end with the
 * read's first byte, but each one after takes EPS_REQ_MIN bytes. Parsing
 * stops at the first response that closes the connection, and a malformed
 * request is one (its 400 takes the slot PIPE_READ keeps). So the ring
 * never holds more than PIPE_MAX, and no byte has to be kept aside: what
 * was not read waits in the socket until the responses drain.
 */
static bool read_requests(struct eps_conn_ctx *cx, int sd, struct eps_conn *k)
{
	static _Thread_local uint8_t buf[READ_MAX];

	while (may_read(k)) {
		size_t want = (size_t)(PIPE_READ - k->n_owed) * EPS_REQ_MIN;
		ssize_t r = mtcp_read(cx->mctx, sd, (char *)buf, want);

		if (r > 0) {
			parse(cx, k, buf, (size_t)r);
			if ((size_t)r < want)
				break;	/* the stack ran dry: nothing more comes until the next poll */
			k->flags |= C_UNREAD;	/* maybe more: drained before a close */
		} else if (r == 0) {
			k->flags |= C_PEER_CLOSED;
		} else if (errno == EAGAIN) {
			break;
		} else {
			cx->count.resets++;
			conn_abort(cx, sd, k);
			return false;
		}
	}
	if (!(k->flags & (C_CLOSING | C_PEER_CLOSED)) && k->n_owed >= PIPE_READ)
		cx->count.pipe_full++;	/* the rest waits in the socket for EPOLLIN after the drain */
	if (k->n_owed == 0 && (k->flags & C_PEER_CLOSED)) {
		conn_close(cx, sd, k);
		return false;
	}
	if (k->n_owed > 0)
		return send_owed(cx, sd, k);
	return true;
}

/* --- what the program calls ------------------------------------------------------ */

int eps_conn_table_init(struct eps_conn_ctx *cx, uint32_t n)
{
	cx->n_conn = n;
	cx->dl_first[DL_HEAD] = cx->dl_last[DL_HEAD] = DL_NIL;
	cx->dl_first[DL_IDLE] = cx->dl_last[DL_IDLE] = DL_NIL;
	cx->conn = calloc(n, sizeof(*cx->conn));
	return cx->conn == NULL ? -1 : 0;
}

void eps_conn_table_free(struct eps_conn_ctx *cx)
{
	free(cx->conn);
	cx->conn = NULL;
}

void eps_conn_open(struct eps_conn_ctx *cx, int sd)
{
	struct mtcp_epoll_event ev = { .events = MOS_EPOLLIN, .data.u64 = (uint64_t)sd };
	struct eps_conn *k = &cx->conn[sd];

	k->flags = C_OPEN;
	k->dl = DL_NONE;
	k->head = k->n_owed = 0;
	k->interest = MOS_EPOLLIN;
	k->requests = 0;
	k->off = 0;
	eps_req_init(&k->req);
	mtcp_setsock_nonblock(cx->mctx, sd);
	mtcp_epoll_ctl(cx->mctx, cx->ep, MOS_EPOLL_CTL_ADD, sd, &ev);
	cx->open++;
	cx->count.accepted++;
	/*
	 * The request often came with the handshake's last ACK: answer it in
	 * this round, so that the response carries the ACK of the request
	 * rather than a bare ACK going first (the stack holds it one round).
	 */
	if (read_requests(cx, sd, k) && (k->flags & C_OPEN))
		dl_update(cx, sd, k);
}

void eps_conn_event(struct eps_conn_ctx *cx, int sd, uint32_t events)
{
	struct eps_conn *k = &cx->conn[sd];

	if (!(k->flags & C_OPEN))
		return;	/* closed earlier in this batch */
	if (events & MOS_EPOLLERR) {
		cx->count.resets++;
		conn_abort(cx, sd, k);
		return;
	}
	if ((events & MOS_EPOLLOUT) && k->n_owed > 0 && !send_owed(cx, sd, k))
		return;
	if ((events & (MOS_EPOLLIN | MOS_EPOLLHUP)) && !read_requests(cx, sd, k))
		return;
	if (k->flags & C_OPEN)
		dl_update(cx, sd, k);
}

void eps_conn_sweep(struct eps_conn_ctx *cx)
{
	for (int kind = DL_HEAD; kind <= DL_IDLE; kind++)
		while (cx->dl_first[kind] != DL_NIL) {
			uint32_t sd = cx->dl_first[kind];
			struct eps_conn *k = &cx->conn[sd];

			if (k->deadline > cx->now_us)
				break;	/* the rest of the list is later still */
			/*
			 * A head never finished is reset: a graceful close would
			 * leave the stream in FIN_WAIT_2 for as long as a client
			 * that ignores the FIN likes (a Slowloris does), holding
			 * the slot we meant to free; nothing is owed, so no
			 * response is lost. An idle keep-alive connection gets a
			 * FIN: its last response may still be in flight.
			 */
			if (kind == DL_HEAD) {
				cx->count.request_timeouts++;
				conn_abort(cx, (int)sd, k);	/* unlinks it */
			} else {
				cx->count.keepalive_timeouts++;
				conn_close(cx, (int)sd, k);
			}
		}
}

void eps_conn_close_idle(struct eps_conn_ctx *cx)
{
	for (uint32_t sd = 0; sd < cx->n_conn; sd++) {
		struct eps_conn *k = &cx->conn[sd];

		if ((k->flags & C_OPEN) && k->n_owed == 0 && eps_req_idle(&k->req))
			conn_close(cx, (int)sd, k);
	}
}

void eps_conn_abort_all(struct eps_conn_ctx *cx)
{
	for (uint32_t sd = 0; sd < cx->n_conn && cx->open > 0; sd++)
		if (cx->conn[sd].flags & C_OPEN) {
			cx->count.aborted_at_stop++;
			conn_abort(cx, (int)sd, &cx->conn[sd]);
		}
}

unsigned eps_conn_owed(const struct eps_conn_ctx *cx, int sd)
{
	return cx->conn[sd].n_owed;
}

uint64_t eps_conn_deadline(const struct eps_conn_ctx *cx, int sd)
{
	const struct eps_conn *k = &cx->conn[sd];

	return (k->flags & C_OPEN) && k->dl != DL_NONE ? k->deadline : 0;
}
