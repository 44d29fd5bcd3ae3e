/*
 * epw_flow.c - one core of epwget (see epw_flow.h): its connections, the
 * request, the response parser, the outcome of every flow, and the -o files.
 * epw_main.c runs it: on a thread per core (epwget) or on the main thread
 * of each epwget-mp process; the stack is reached through mtcp_api.h.
 */
#include "epw_flow.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app_cli.h"
#include "http_parse.h"

#define MAX_EVENTS 1024
#define READ_CHUNK 65536

/* What a connection asks of epoll: OUT while it connects, then IN and OUT, or IN. */
enum { EV_CONNECT, EV_WRITE, EV_READ };

/* One request given to a connection and not answered yet. */
struct epw_req {
	long number;		/* global flow number */
	uint64_t sent_us;	/* request fully written (0: not yet) */
};

/*
 * A slot: one connection and the flows it carries. The flows given to it
 * and not answered are ring[head..head+inflight) (run->pipeline entries,
 * allocated at start); the response read is the head's; the first
 * `written` of them are on the wire, and the next one has req_off bytes
 * there (the head, then the body, as the socket takes them).
 */
struct epw_flow {
	int sd;			/* -1: slot free */
	long number;		/* global flow number of the head: the response being read */
	size_t req_off;		/* bytes written of the request after the `written` ones */
	uint64_t sent_us;	/* the head's request fully written */
	struct http_resp resp;
	FILE *out;		/* -o file of the head's flow, or NULL */
	bool reused;		/* a response came on this connection already (keep-alive) */
	uint8_t events;		/* asked of epoll: EV_CONNECT, EV_WRITE or EV_READ */
	bool last;		/* no more requests on this connection (the server closes it) */
	int inflight, head, written;
	long conn_reqs;		/* requests this connection was given (-k) */
	struct epw_req *ring;
};

/* Flow f's body is not (all) in its -o file: counted; the first one's errno and flow kept. */
static void output_error(struct epw_core *c, const struct epw_flow *f, int err)
{
	if (c->c.output_errors++ == 0) {
		c->out_errno = err;
		c->out_flow = f->number;
	}
}

/*
 * A new file for the body: never an old file (O_EXCL) and never through a
 * symbolic link (one at the path is EEXIST to O_EXCL: reported as ELOOP).
 */
static void open_body_file(struct epw_core *c, struct epw_flow *f)
{
	char path[4096];
	struct stat st;
	int fd, e;

	f->out = NULL;
	if (c->run->outfile == NULL)
		return;
	snprintf(path, sizeof(path), "%s.%ld", c->run->outfile, f->number);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd >= 0) {
		f->out = fdopen(fd, "w");
		if (f->out != NULL)
			return;
		e = errno;
		close(fd);
	} else {
		e = errno;
		if (e == EEXIST && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
			e = ELOOP;
	}
	output_error(c, f, e);
}

/* Close the flow's file: a write error anywhere in it is an output error. */
static void close_body_file(struct epw_core *c, struct epw_flow *f)
{
	bool bad;

	if (f->out == NULL)
		return;
	bad = ferror(f->out) != 0;
	errno = 0;
	if ((fclose(f->out) != 0) | bad)
		output_error(c, f, errno != 0 ? errno : EIO);
	f->out = NULL;
}

/*
 * A whole response against epwget.conf's expect_*: NULL when it is ok, else
 * its counter. Outside the 2xx class a status counts as non-2xx; outside
 * another expected code or class, and with a body of another size, the
 * response is a bad one.
 */
static uint64_t *response_kind(struct epw_core *c, const struct http_resp *r)
{
	int want = c->run->expect_status != 0 ? c->run->expect_status : 2;

	if (c->run->expect_body && r->body_bytes != c->run->expect_body_bytes)
		return &c->c.bad_responses;
	if (want < 100 ? r->status / 100 == want : r->status == want)
		return NULL;
	return want == 2 ? &c->c.http_non_2xx : &c->c.bad_responses;
}

/*
 * A flow ended: count it. kind NULL: a whole response, ok, non-2xx or bad
 * by response_kind(); else the counter of what went wrong, which is also an
 * error unless it is an incomplete (kind &errors: an error of no other kind).
 */
static void flow_end(struct epw_core *c, struct epw_flow *f, uint64_t *kind)
{
	if (kind == NULL)
		kind = response_kind(c, &f->resp);
	c->c.completed++;
	if (kind == &c->c.http_non_2xx) {
		c->c.http_non_2xx++;
	} else if (kind != NULL) {
		if (kind != &c->c.errors)
			(*kind)++;
		if (kind != &c->c.incompletes)
			c->c.errors++;
	} else {
		uint64_t us = app_now_us() - f->sent_us;
		uint64_t m = __atomic_load_n(&c->max_us_interval, __ATOMIC_RELAXED);

		c->c.ok++;
		epw_hist_add(&c->lat, us);
		/* the main thread takes the interval's max with an exchange: raise it atomically */
		while (us > m && !__atomic_compare_exchange_n(&c->max_us_interval, &m, us, false,
							     __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			;
	}
	close_body_file(c, f);
}

/* Close slot f's connection; the slot stays f's (a retry goes on in it). */
static void conn_drop(struct epw_core *c, struct epw_flow *f)
{
	mtcp_epoll_ctl(c->mctx, c->ep, MOS_EPOLL_CTL_DEL, f->sd, NULL);
	mtcp_close(c->mctx, f->sd);
	f->sd = -1;
	c->active--;
}

static void slot_free(struct epw_core *c, struct epw_flow *f);

/* The last response came: end the connection as close says (-x: FIN or RST). */
static void conn_finish(struct epw_core *c, struct epw_flow *f)
{
	if (c->run->close_rst) {
		mtcp_epoll_ctl(c->mctx, c->ep, MOS_EPOLL_CTL_DEL, f->sd, NULL);
		mtcp_abort(c->mctx, f->sd);
		f->sd = -1;
		c->active--;
	} else {
		conn_drop(c, f);
	}
	slot_free(c, f);
}

static void slot_free(struct epw_core *c, struct epw_flow *f)
{
	c->free_slot[c->n_free++] = (int)(f - c->slot);
}

/* Close slot f's connection and give the slot back for the next flow. */
static void conn_close(struct epw_core *c, struct epw_flow *f)
{
	conn_drop(c, f);
	slot_free(c, f);
}

static struct epw_req *ring_at(const struct epw_core *c, const struct epw_flow *f, int i)
{
	return &f->ring[(f->head + i) % c->run->pipeline];
}

/* The head's response is the next to read: a fresh parser and -o file. */
static void resp_begin(struct epw_core *c, struct epw_flow *f)
{
	f->number = ring_at(c, f, 0)->number;
	f->sent_us = ring_at(c, f, 0)->sent_us;
	http_resp_init(&f->resp, c->run->head_only);
	open_body_file(c, f);
}

/* May connection f be given another flow now? */
static bool may_take(const struct epw_core *c, const struct epw_flow *f)
{
	long k = c->run->requests_per_conn;

	return !f->last && f->inflight < c->run->pipeline && (k == 0 || f->conn_reqs < k) &&
	       c->next_flow < c->flows && !c->run->stop;
}

/* The next flow of this core on connection f (new or kept alive). */
static void flow_begin(struct epw_core *c, struct epw_flow *f)
{
	struct epw_req *q = ring_at(c, f, f->inflight);

	q->number = c->first_flow + c->next_flow++;
	q->sent_us = 0;
	f->conn_reqs++;
	if (f->inflight++ == 0)
		resp_begin(c, f);
	c->c.started++;
}

/* A new connection on slot f: socket, connect, epoll. 0 or -errno. */
static int conn_connect(struct epw_core *c, struct epw_flow *f)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct mtcp_epoll_event ev = { .events = MOS_EPOLLOUT, .data.ptr = f };
	int e;

	f->sd = mtcp_socket(c->mctx, AF_INET, SOCK_STREAM, 0);
	if (f->sd < 0)
		return -errno;
	mtcp_setsock_nonblock(c->mctx, f->sd);
	sa.sin_addr.s_addr = c->run->daddr;
	sa.sin_port = c->run->dport;
	if (mtcp_connect(c->mctx, f->sd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
	    errno != EINPROGRESS) {
		e = errno;
		mtcp_close(c->mctx, f->sd);
		f->sd = -1;
		return -e;
	}
	mtcp_epoll_ctl(c->mctx, c->ep, MOS_EPOLL_CTL_ADD, f->sd, &ev);
	c->active++;
	c->c.connections++;
	f->reused = false;
	f->events = EV_CONNECT;
	f->last = false;
	f->written = 0;
	f->req_off = 0;
	f->conn_reqs = f->inflight;	/* a retry's flows are this connection's */
	return 0;
}

static int conn_open(struct epw_core *c, struct epw_flow *f)
{
	int e;

	f->inflight = 0;
	f->head = 0;
	e = conn_connect(c, f);
	if (e == 0)
		flow_begin(c, f);
	return e;
}

/*
 * Ask for EPOLLOUT (a request waits for room) or not; responses are read
 * either way (a server may answer before a long body is all written).
 */
static void want_out(struct epw_core *c, struct epw_flow *f, bool out)
{
	struct mtcp_epoll_event ev = { .events = MOS_EPOLLIN | MOS_EPOLLRDHUP |
						 (out ? MOS_EPOLLOUT : 0), .data.ptr = f };
	uint8_t want = out ? EV_WRITE : EV_READ;

	if (f->events == want)
		return;
	f->events = want;
	mtcp_epoll_ctl(c->mctx, c->ep, MOS_EPOLL_CTL_MOD, f->sd, &ev);
}

/*
 * The next request's bytes from req_off: the head, then the body, written
 * in pieces as the socket takes them (the body is never copied, and never
 * assumed to fit the send buffer). true once the request is all written.
 */
static bool write_request(struct epw_core *c, struct epw_flow *f)
{
	const struct epw_run *run = c->run;

	while (f->req_off < run->request_len + run->body_len) {
		const char *p = f->req_off < run->request_len ? run->request + f->req_off :
				run->body + (f->req_off - run->request_len);
		size_t n = f->req_off < run->request_len ? run->request_len - f->req_off :
			   run->request_len + run->body_len - f->req_off;
		ssize_t w = mtcp_write(c->mctx, f->sd, p, n);

		if (w <= 0)
			return false;	/* EAGAIN: the next EPOLLOUT; errors come as EPOLLERR */
		f->req_off += (size_t)w;
		c->c.bytes_written += (uint64_t)w;
	}
	return true;
}

/*
 * EPOLLOUT, or room for another request: the connection's requests go out,
 * up to -P in flight and -k on the connection; then wait for responses.
 */
static void on_writable(struct epw_core *c, struct epw_flow *f)
{
	for (;;) {
		if (f->written == f->inflight) {
			if (!may_take(c, f))
				break;
			flow_begin(c, f);
		}
		if (!write_request(c, f)) {
			want_out(c, f, true);
			return;
		}
		ring_at(c, f, f->written)->sent_us = app_now_us();
		if (f->written++ == 0)
			f->sent_us = ring_at(c, f, 0)->sent_us;
		f->req_off = 0;
		c->c.requests++;
	}
	want_out(c, f, false);
}

/* Whether every request given to f is on the wire. */
static bool all_written(const struct epw_flow *f)
{
	return f->written == f->inflight;
}

/* The head's flow ended (flow_end): the next in flight, if any, is read next. */
static void flow_pop(struct epw_core *c, struct epw_flow *f)
{
	f->head = (f->head + 1) % c->run->pipeline;
	f->inflight--;
	if (f->written > 0)
		f->written--;
	else	/* answered before its request was all written: the rest of it is in the way */
		f->last = true;
	if (f->inflight > 0)
		resp_begin(c, f);
}

static int flow_reconnect(struct epw_core *c, struct epw_flow *f);

/*
 * Connection f is gone or going (the server closes it) with flows in
 * flight that it never answered: they go again on a new connection, each
 * counted as a reconnect; no stream, port or buffer for it now: a local
 * shortage, counted, and the slot waits for open_more() to try again.
 */
static void flows_again(struct epw_core *c, struct epw_flow *f)
{
	conn_drop(c, f);
	if (flow_reconnect(c, f) != 0) {
		c->c.local_errors++;
		c->redo_slot[c->n_redo++] = (int)(f - c->slot);
	}
}

/*
 * The response is whole: count it, then keep the connection for the next
 * flow or close it. peer_closed: the server's FIN is in already (a server
 * that closes kept-alive connections without saying so): no next request
 * on this connection, it would only meet the close. true when the
 * connection goes on reading (its next response may be in the bytes read).
 */
static bool response_done(struct epw_core *c, struct epw_flow *f, bool peer_closed)
{
	bool again = c->run->requests_per_conn != 1 && f->resp.keep_alive && !peer_closed;

	flow_end(c, f, NULL);
	f->reused = true;
	flow_pop(c, f);
	if (!again)
		f->last = true;
	if (f->last && f->inflight > 0) {	/* pipelined requests it will not answer */
		flows_again(c, f);
		return false;
	}
	if (f->inflight == 0 && !may_take(c, f)) {
		conn_finish(c, f);
		return false;
	}
	on_writable(c, f);
	return true;
}

/*
 * Feed what was read to the parser; the body to the -o file. *used: the
 * bytes taken (those after a whole response are the next one's). 1 done,
 * -1 error, 0 more.
 */
static int consume(struct epw_core *c, struct epw_flow *f, const uint8_t *p, size_t n,
		   size_t *used)
{
	size_t took, off, len;
	int r;

	*used = 0;
	do {	/* one range of body per call: a chunked body comes a chunk at a time */
		r = http_resp_feed(&f->resp, p, n, &took, &off, &len);
		if (len != 0 && f->out != NULL && fwrite(p + off, 1, len, f->out) != len) {
			/* one error per body: the rest of it is not written */
			output_error(c, f, errno != 0 ? errno : EIO);
			fclose(f->out);
			f->out = NULL;
		}
		c->c.body_bytes += len;
		p += took;
		n -= took;
		*used += took;
	} while (r == 0 && n != 0 && took != 0);
	return r;
}

/* The counter of a socket error. */
static uint64_t *error_kind(struct epw_core *c, int err)
{
	return err == ETIMEDOUT ? &c->c.timeouts : err == ECONNRESET ? &c->c.resets :
	       err == ECONNREFUSED ? &c->c.refused :
	       err == EHOSTUNREACH || err == ENETUNREACH ? &c->c.unreachable : &c->c.errors;
}

/* Slot f's flow, whose connection is gone, starts over on a new one. 0 or -errno. */
static int flow_reconnect(struct epw_core *c, struct epw_flow *f)
{
	int e = conn_connect(c, f);

	if (e != 0)
		return e;
	http_resp_init(&f->resp, c->run->head_only);
	c->c.reconnects += (uint64_t)f->inflight;
	return 0;
}

/*
 * RFC 9112 9.3.1, 9.6: a server may close a kept-alive connection at any
 * time, and our next request can cross its FIN. Closed or reset before
 * any byte of the response came: the same flow goes again on a new
 * connection (once: that one is not reused), counted as a reconnect. No
 * stream, port or buffer for it now: a local shortage, counted, and the
 * slot waits for open_more() to try again; the flow fails only if the
 * run stops first. false when f is not such a flow.
 */
static bool retry_fresh(struct epw_core *c, struct epw_flow *f)
{
	if (!f->reused || f->resp.header_bytes != 0)
		return false;
	flows_again(c, f);	/* with -P, every flow in flight */
	return true;
}

/*
 * The connection failed: the head's flow ends as kind, and so do the
 * others in flight on it (flow_end's rule); then it is closed.
 */
static void flows_fail(struct epw_core *c, struct epw_flow *f, uint64_t *kind)
{
	while (f->inflight > 0) {
		flow_end(c, f, kind);
		f->head = (f->head + 1) % c->run->pipeline;
		f->inflight--;
	}
	f->written = 0;
	conn_close(c, f);
}

/* events: those epoll reported (EPOLLRDHUP: the server's FIN came). */
static void on_readable(struct epw_core *c, struct epw_flow *f, uint32_t events)
{
	static _Thread_local uint8_t buf[READ_CHUNK];
	ssize_t r;
	int st = 0;

	while ((r = mtcp_read(c->mctx, f->sd, (char *)buf, sizeof(buf))) > 0) {
		size_t off = 0, used;

		c->c.bytes_received += (uint64_t)r;
		while (off < (size_t)r) {
			if (f->inflight == 0)
				break;	/* bytes no request asked for: dropped */
			st = consume(c, f, buf + off, (size_t)r - off, &used);
			off += used;
			if (st < 0) {
				/* a response we cannot parse */
				flows_fail(c, f, &c->c.bad_responses);
				return;
			}
			if (st == 1 && !response_done(c, f, (events & MOS_EPOLLRDHUP) != 0))
				return;	/* the connection ended, or its flows went to a new one */
		}
	}
	if ((r == 0 || errno != EAGAIN) && retry_fresh(c, f))
		return;
	if (r == 0) {	/* the server closed: the end of the body, or a cut */
		st = http_resp_eof(&f->resp);
		if (st == 1 && f->inflight == 1) {
			flow_end(c, f, NULL);
			f->inflight = 0;
			conn_close(c, f);
		} else if (st == 1) {	/* the head is whole; those behind it were cut */
			flow_end(c, f, NULL);
			f->head = (f->head + 1) % c->run->pipeline;
			f->inflight--;
			flows_fail(c, f, &c->c.incompletes);
		} else {
			flows_fail(c, f, &c->c.incompletes);
		}
	} else if (errno != EAGAIN) {
		flows_fail(c, f, error_kind(c, errno));
	}
}

static void on_error(struct epw_core *c, struct epw_flow *f)
{
	int err = 0;
	socklen_t len = sizeof(err);

	mtcp_getsockopt(c->mctx, f->sd, SOL_SOCKET, SO_ERROR, &err, &len);
	flows_fail(c, f, error_kind(c, err));
}

static void on_event(struct epw_core *c, const struct mtcp_epoll_event *ev)
{
	struct epw_flow *f = ev->data.ptr;

	if (f->sd < 0)
		return;
	if (ev->events & MOS_EPOLLERR) {
		/*
		 * Once the request is out, the bytes that came before the error
		 * count first, as reads see them: a RST right behind the last
		 * byte of a body leaves a whole response.
		 */
		if (f->written == 0)
			on_error(c, f);
		else
			on_readable(c, f, ev->events);
		return;
	}
	if ((ev->events & MOS_EPOLLOUT) && !all_written(f)) {
		on_writable(c, f);
		if (f->sd < 0 || !(ev->events & (MOS_EPOLLIN | MOS_EPOLLHUP)))
			return;
	}
	if (ev->events & (MOS_EPOLLIN | MOS_EPOLLHUP))
		on_readable(c, f, ev->events);
}

/*
 * Fill the free slots with new connections (mTCP's CreateConnection
 * loop). The free slots are a stack, not a scan of every slot: a turn of
 * the loop costs the same at 100 connections and at 100,000.
 */
static void open_more(struct epw_core *c)
{
	while (c->n_redo > 0 && !c->run->stop) {	/* retries first: their flows began */
		if (flow_reconnect(c, &c->slot[c->redo_slot[c->n_redo - 1]]) != 0) {
			c->c.local_errors++;
			return;
		}
		c->n_redo--;
	}
	while (c->n_free > 0 && c->next_flow < c->flows && !c->run->stop) {
		if (conn_open(c, &c->slot[c->free_slot[c->n_free - 1]]) != 0) {
			/* no socket, no source port, no memory: a local shortage, counted; retry later */
			c->c.local_errors++;
			break;
		}
		c->n_free--;
	}
}

/* The capacity of the stack's pool named name (0: none). */
static uint64_t pool_capacity(mctx_t mctx, const char *name)
{
	struct mtcp_pool_stat st[8];
	int n = mtcp_get_pool_stats(mctx, st, 8);

	for (int i = 0; i < n; i++)
		if (strcmp(st[i].name, name) == 0)
			return st[i].capacity;
	return 0;
}

static int setup(struct epw_core *c)
{
	c->slot = calloc((size_t)c->concurrency, sizeof(*c->slot));
	c->free_slot = calloc((size_t)c->concurrency, sizeof(*c->free_slot));
	c->redo_slot = calloc((size_t)c->concurrency, sizeof(*c->redo_slot));
	c->ring = calloc((size_t)c->concurrency * (size_t)c->run->pipeline, sizeof(*c->ring));
	c->mctx = mtcp_create_context(c->core);
	if (c->slot == NULL || c->free_slot == NULL || c->redo_slot == NULL || c->ring == NULL ||
	    c->mctx == NULL) {
		c->failed = c->mctx != NULL ? "calloc" : "mtcp_create_context";
		return -(c->err = errno);
	}
	/* the lowest slot on top, as the scan that came before took them */
	for (int i = 0; i < c->concurrency; i++) {
		c->slot[i].sd = -1;
		c->slot[i].ring = &c->ring[(size_t)i * (size_t)c->run->pipeline];
		c->free_slot[i] = c->concurrency - 1 - i;
	}
	c->n_free = c->concurrency;
	if (mtcp_init_rss(c->mctx, c->run->n_saddr > 0 ? c->run->saddr_first : INADDR_ANY,
			  c->run->n_saddr > 0 ? c->run->n_saddr : 1, c->run->daddr,
			  c->run->dport) != 0) {
		c->failed = "mtcp_init_rss";
		return -(c->err = errno);
	}
	c->source_pairs = pool_capacity(c->mctx, "rss_pairs");
	c->ep = mtcp_epoll_create(c->mctx, MAX_EVENTS);
	if (c->ep < 0) {
		c->failed = "mtcp_epoll_create";
		return -(c->err = errno);
	}
	return 0;
}

/* Close what is still open at the end (stop): in-flight flows are incomplete. */
static void abandon(struct epw_core *c)
{
	while (c->n_redo > 0) {	/* waiting for a connection */
		struct epw_flow *f = &c->slot[c->redo_slot[--c->n_redo]];

		for (; f->inflight > 0; f->inflight--)
			flow_end(c, f, &c->c.incompletes);
	}
	for (int i = 0; i < c->concurrency; i++) {
		struct epw_flow *f = &c->slot[i];

		if (f->sd < 0)
			continue;
		for (; f->inflight > 0; f->inflight--)
			flow_end(c, f, &c->c.incompletes);
		mtcp_abort(c->mctx, f->sd);
		f->sd = -1;
		c->active--;
	}
}

static void fault_dir(struct epw_fault_dir *d, const struct mtcp_fault_dir_stat *s)
{
	*d = (struct epw_fault_dir){ s->frames, s->dropped, s->duplicated, s->reordered,
				     s->corrupted, s->delayed, s->no_buffer, s->hold_full };
}

/* What the stack's pools refused: the causes of the local shortages. */
static void pool_stats(struct epw_core *c)
{
	struct mtcp_pool_stat ps[8];
	int n = mtcp_get_pool_stats(c->mctx, ps, 8);

	for (int i = 0; i < n; i++) {
		if (strcmp(ps[i].name, "stream") == 0)
			c->c.empty_streams = ps[i].exhausted;
		else if (strcmp(ps[i].name, "rcvbuf") == 0 || strcmp(ps[i].name, "sndbuf") == 0)
			c->c.empty_buffers += ps[i].exhausted;
		else if (strcmp(ps[i].name, "rss_pairs") == 0)
			c->c.empty_ports = ps[i].exhausted;
	}
}

static void fault_stats(struct epw_core *c)
{
	struct mtcp_fault_stat fs;

	if (mtcp_get_fault_stats(c->mctx, &fs) != 0)
		return;
	fault_dir(&c->fault_rx, &fs.rx);
	fault_dir(&c->fault_tx, &fs.tx);
}

/* The once-a-second hook of epwget-mp, which has no thread to print from. */
static void tick(const struct epw_run *run, uint64_t *next)
{
	uint64_t now;

	if (run->each_second == NULL)
		return;
	now = app_now_us();
	if (*next == 0)
		*next = now + 1000000;
	if (now < *next)
		return;
	*next += 1000000;
	run->each_second();
}

/*
 * Whether other cores (threads, or processes of the group) still need
 * this one's queue polled. A slave whose master is gone: no, and it
 * reports that as its failure.
 */
static bool others_working(struct epw_core *c, struct epw_run *run)
{
	int n;

	if (!run->mp)
		return __atomic_load_n(&run->cores_done, __ATOMIC_SEQ_CST) < run->ncores;
	n = mtcp_mp_others(c->mctx);
	if (n < 0 && errno == EPIPE && c->failed == NULL) {
		c->failed = "the group's master";
		c->err = EPIPE;
	}
	return n > 0;
}

/* mtcp_drain's callbacks: the others' progress, and epwget-mp's line each second. */
struct drain_arg {
	struct epw_core *c;
	struct epw_run *run;
	uint64_t next_tick;
};

static bool drain_others(void *arg)
{
	struct drain_arg *d = arg;

	return others_working(d->c, d->run);
}

static void drain_tick(void *arg)
{
	struct drain_arg *d = arg;

	tick(d->run, &d->next_tick);
}

void epw_core_run(struct epw_core *c, struct epw_run *run)
{
	struct mtcp_epoll_event ev[MAX_EVENTS];
	uint64_t next_tick = 0;
	bool halted = false;	/* the stack stopped (EINTR): a slave's master is gone */

	c->run = run;
	epw_hist_init(&c->lat);
	if (setup(c) == 0) {
		while ((!run->stop && (c->next_flow < c->flows || c->n_redo > 0)) ||
		       (c->active > 0 && (!run->stop || app_now_us() < run->stop_deadline_us))) {
			int n;

			open_more(c);
			n = mtcp_epoll_wait(c->mctx, c->ep, ev, MAX_EVENTS, 10);
			if (n < 0 && errno == EINTR) {
				halted = true;
				break;
			}
			for (int i = 0; i < n; i++)
				on_event(c, &ev[i]);
			tick(run, &next_tick);
		}
		abandon(c);
	}
	__atomic_add_fetch(&run->cores_done, 1, __ATOMIC_SEQ_CST);
	if (run->mp && c->mctx != NULL)
		mtcp_mp_finish(c->mctx);
	/*
	 * Software steering: this core's queue carries other cores' frames until
	 * all are done; then its own closing streams finish (bounded).
	 */
	if (!halted && c->mctx != NULL && c->ep >= 0) {
		struct drain_arg d = { c, run, next_tick };

		mtcp_drain(c->mctx, APP_DRAIN_MS, drain_others, drain_tick, &d);
	}
	if (halted && run->mp && c->failed == NULL)
		others_working(c, run);	/* names the cause: the master */
	if (c->mctx != NULL) {
		struct mtcp_io_stat io;

		if (mtcp_get_io_stats(c->mctx, &io) == 0) {
			c->rss_handovers = io.rss_handovers;
			c->no_mbuf = io.no_mbuf;
		}
		fault_stats(c);
		pool_stats(c);
		mtcp_destroy_context(c->mctx);
	}
	free(c->slot);
	free(c->free_slot);
	free(c->redo_slot);
	free(c->ring);
	c->ring = NULL;
	c->slot = NULL;
	c->free_slot = NULL;
	c->redo_slot = NULL;
}
