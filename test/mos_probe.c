/*
 * mos_probe.c - a test client on the epwget stack, for interoperability
 * tests against kernel peers (test/ksock.c, nginx) over a veth lab.
 *
 * One core, the mtcp_* API only (so the socket and epoll layers are under
 * test too). Modes:
 *   send     each connection writes BYTES of the test pattern, then closes
 *   recv     each connection reads to EOF and checks the pattern (BYTES expected)
 *   echo     each connection writes BYTES and reads them back, then closes
 *   connect  one connection that must fail with the errno named by -e
 *   http     GET -u PATH (HTTP/1.0, Connection: Close), read to EOF: status 200
 *            and a body of BYTES bytes of the pattern
 * -w: in recv mode, wait for the server to close first (else we close once
 * BYTES arrived, as an HTTP client that read Content-Length bytes does).
 * -k CONNS connections in all, -c CONCURRENCY at once. The pattern is the
 * one of test/ksock.c: byte i = (uint8_t)((i * 2654435761 + 7) >> 13).
 *
 * Prints one line: "result=ok|fail conns=N bytes_out=B bytes_in=B errors=E
 * bad_bytes=X ms=T conns_per_s=R" (plus "errno=NAME" in connect mode) and
 * exits 0 when the result is ok.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mos_core.h"	/* a test tool: it may print the stack's counters */
#include "mos_log.h"
#include "mtcp_api.h"

#define MAX_CONC 4096
#define CHUNK    65536

enum mode { M_SEND, M_RECV, M_ECHO, M_CONNECT, M_HTTP };

struct conn {
	int sd;
	size_t out, in;
	bool writing;
	/* http: the response's status line, then the header's end, then the body */
	char status[16];
	uint8_t crlf;		/* how much of "\r\n\r\n" was seen: 4 = in the body */
	size_t body;
};

static struct {
	enum mode mode;
	const char *conf;
	in_addr_t daddr;
	in_port_t dport;
	size_t bytes;
	long conns;
	int conc;
	int timeout_s;
	const char *expect;
	int cores;
	bool wait_eof;		/* -w: read until the server closes, even after BYTES */
	const char *path;	/* -u: the path of an http GET */
} opt = { .conns = 1, .conc = 1, .timeout_s = 60, .cores = 1 };

struct results {
	long started, done, errors;
	size_t out, in, bad;
	int last_errno;
	uint64_t handed_over;	/* frames this core's queue got for another core */
};

/* Each core's thread has its own: it shares nothing with the others. */
static _Thread_local struct results res;
static _Thread_local struct conn conns[MAX_CONC];
static _Thread_local mctx_t mctx;
static _Thread_local int ep;
static _Thread_local long my_conns;
static _Thread_local int my_conc;

static uint8_t pat[1u << 21];
static struct results core_res[CONF_MAX_CORES];
/*
 * Cores done with their own connections. With software steering a core's
 * queue also receives other cores' frames and hands them over, so every
 * core keeps its loop running until all are done.
 */
static _Atomic int cores_done;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static const char *errno_name(int e)
{
	return e == ECONNREFUSED ? "ECONNREFUSED" : e == ETIMEDOUT ? "ETIMEDOUT" :
	       e == ECONNRESET ? "ECONNRESET" : e == 0 ? "0" : strerror(e);
}

static int parse_args(int argc, char **argv)
{
	int c;
	char *colon;

	while ((c = getopt(argc, argv, "f:d:m:n:k:c:t:e:wN:u:")) != -1) {
		switch (c) {
		case 'f': opt.conf = optarg; break;
		case 'd':
			colon = strchr(optarg, ':');
			if (colon == NULL)
				return -1;
			*colon = '\0';
			opt.daddr = inet_addr(optarg);
			opt.dport = htons((uint16_t)atoi(colon + 1));
			break;
		case 'm':
			opt.mode = !strcmp(optarg, "send") ? M_SEND : !strcmp(optarg, "recv") ? M_RECV :
				   !strcmp(optarg, "echo") ? M_ECHO : !strcmp(optarg, "http") ? M_HTTP :
				   M_CONNECT;
			break;
		case 'n': opt.bytes = strtoull(optarg, NULL, 10); break;
		case 'k': opt.conns = atol(optarg); break;
		case 'c': opt.conc = atoi(optarg); break;
		case 't': opt.timeout_s = atoi(optarg); break;
		case 'e': opt.expect = optarg; break;
		case 'w': opt.wait_eof = true; break;
		case 'N': opt.cores = atoi(optarg); break;
		case 'u': opt.path = optarg; break;
		default: return -1;
		}
	}
	if (opt.conf == NULL || opt.dport == 0 || opt.conc < 1 || opt.conc > MAX_CONC ||
	    opt.cores < 1 || opt.cores > CONF_MAX_CORES)
		return -1;
	return 0;
}

static void finish(struct conn *c, bool ok, int err)
{
	mtcp_epoll_ctl(mctx, ep, MOS_EPOLL_CTL_DEL, c->sd, NULL);
	mtcp_close(mctx, c->sd);
	c->sd = -1;
	res.done++;
	if (!ok) {
		if (res.errors < 3 && getenv("MOS_PROBE_STATS") != NULL)
			fprintf(stderr, "mos_probe: connection %ld failed: %ld bytes in, %s\n",
				res.done, (long)c->in, err ? strerror(err) : "end of stream");
		res.errors++;
		res.last_errno = err;
	}
}

static int start_one(struct conn *c)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct mtcp_epoll_event ev = { .events = MOS_EPOLLIN | MOS_EPOLLOUT };

	memset(c, 0, sizeof(*c));
	c->sd = mtcp_socket(mctx, AF_INET, SOCK_STREAM, 0);
	if (c->sd < 0)
		return -errno;
	mtcp_setsock_nonblock(mctx, c->sd);
	sa.sin_addr.s_addr = opt.daddr;
	sa.sin_port = opt.dport;
	c->writing = opt.mode == M_SEND || opt.mode == M_ECHO || opt.mode == M_HTTP;
	ev.data.ptr = c;
	if (mtcp_connect(mctx, c->sd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		int e = errno;

		mtcp_close(mctx, c->sd);
		c->sd = -1;
		return -e;
	}
	mtcp_epoll_ctl(mctx, ep, MOS_EPOLL_CTL_ADD, c->sd, &ev);
	res.started++;
	return 0;
}

/* The request of epwget's seed, HTTP/1.0 with Connection: Close. */
static void http_request(struct conn *c)
{
	char req[512];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nUser-Agent: Wget/1.12 (linux-gnu)\r\n"
			 "Accept: */*\r\nHost: probe\r\nConnection: Close\r\n\r\n",
			 opt.path ? opt.path : "/");
	struct mtcp_epoll_event ev = { .events = MOS_EPOLLIN, .data.ptr = c };

	if (mtcp_write(mctx, c->sd, req, (size_t)n) != n)
		return;	/* a fresh socket takes 512 bytes at once; try again on the next OUT */
	res.out += (size_t)n;
	c->writing = false;
	mtcp_epoll_ctl(mctx, ep, MOS_EPOLL_CTL_MOD, c->sd, &ev);
}

/* Header bytes are skipped (the status line kept); body bytes are checked against the pattern. */
static void http_bytes(struct conn *c, const uint8_t *p, size_t n)
{
	static const char end[] = "\r\n\r\n";

	for (size_t i = 0; i < n; i++) {
		if (c->crlf == 4) {
			res.bad += p[i] != pat[c->body % sizeof(pat)];
			c->body++;
			continue;
		}
		if (c->in + i < sizeof(c->status) - 1)
			c->status[c->in + i] = (char)p[i];
		c->crlf = p[i] == (uint8_t)end[c->crlf] ? (uint8_t)(c->crlf + 1) :
			  p[i] == '\r' ? 1 : 0;
	}
}

static bool http_ok(const struct conn *c)
{
	return c->crlf == 4 && strncmp(c->status + 8, " 200", 4) == 0 && c->body == opt.bytes;
}

static void on_write(struct conn *c)
{
	if (opt.mode == M_HTTP) {
		http_request(c);
		return;
	}
	while (c->out < opt.bytes) {
		size_t off = c->out % sizeof(pat), n = opt.bytes - c->out;
		ssize_t w;

		if (n > sizeof(pat) - off)
			n = sizeof(pat) - off;
		w = mtcp_write(mctx, c->sd, (const char *)pat + off, n > CHUNK ? CHUNK : n);
		if (w <= 0)
			return;
		c->out += (size_t)w;
		res.out += (size_t)w;
	}
	c->writing = false;
	if (opt.mode == M_SEND) {
		finish(c, true, 0);
		return;
	}
	struct mtcp_epoll_event ev = { .events = MOS_EPOLLIN, .data.ptr = c };

	mtcp_epoll_ctl(mctx, ep, MOS_EPOLL_CTL_MOD, c->sd, &ev);
}

static void on_read(struct conn *c)
{
	static _Thread_local uint8_t buf[CHUNK];
	ssize_t r;

	while ((r = mtcp_read(mctx, c->sd, (char *)buf, sizeof(buf))) > 0) {
		if (opt.mode == M_HTTP)
			http_bytes(c, buf, (size_t)r);
		else
			for (ssize_t i = 0; i < r; i++)
				res.bad += buf[i] != pat[(c->in + (size_t)i) % sizeof(pat)];
		c->in += (size_t)r;
		res.in += (size_t)r;
		/* the client knows how much comes (as HTTP's Content-Length): it closes first */
		if ((opt.mode == M_ECHO || opt.mode == M_RECV) && c->in >= opt.bytes && !opt.wait_eof) {
			finish(c, c->in == opt.bytes, 0);
			return;
		}
	}
	if (r == 0 && opt.mode == M_HTTP)
		finish(c, http_ok(c), 0);
	else if (r == 0)
		finish(c, c->in == opt.bytes || opt.mode == M_SEND, 0);
	else if (errno != EAGAIN)
		finish(c, false, errno);
}

static void on_event(struct mtcp_epoll_event *ev)
{
	struct conn *c = ev->data.ptr;
	int err = 0;
	socklen_t len = sizeof(err);

	if (c->sd < 0)
		return;
	if (ev->events & MOS_EPOLLERR) {
		mtcp_getsockopt(mctx, c->sd, SOL_SOCKET, SO_ERROR, &err, &len);
		finish(c, false, err);
		return;
	}
	if ((ev->events & MOS_EPOLLOUT) && c->writing)
		on_write(c);
	if (c->sd >= 0 && (ev->events & (MOS_EPOLLIN | MOS_EPOLLHUP)))
		on_read(c);
}

static int setup(void)
{
	struct mtcp_conf mc;

	if (getenv("MOS_PROBE_DEBUG") != NULL)
		mos_log_set("mos_probe", MOS_LOG_DEBUG);
	if (mtcp_init(opt.conf) != 0)
		return -1;
	mtcp_getconf(&mc);
	mc.num_cores = opt.cores;
	/* room for streams still closing (FIN_WAIT, TIME_WAIT) beside the open ones */
	mc.max_concurrency = mc.max_num_buffers = 3 * (opt.conc / opt.cores + 1) + 1024;
	mc.rcvbuf_size = mc.sndbuf_size = 65536;
	return mtcp_setconf(&mc);
}

/* One core's share, its context, its RSS source pairs and its epoll instance. */
static int setup_core(int core)
{
	my_conns = opt.conns / opt.cores + (core < opt.conns % opt.cores);
	my_conc = opt.conc / opt.cores + (core < opt.conc % opt.cores);
	for (int i = 0; i < MAX_CONC; i++)
		conns[i].sd = -1;
	mctx = mtcp_create_context(core);
	if (mctx == NULL || mtcp_init_rss(mctx, INADDR_ANY, 1, opt.daddr, opt.dport) != 0)
		return -1;
	ep = mtcp_epoll_create(mctx, MAX_CONC);
	return ep < 0 ? -1 : 0;
}

static void run(void)
{
	struct mtcp_epoll_event evs[256];
	uint64_t deadline = now_ms() + (uint64_t)opt.timeout_s * 1000;
	long live = 0;

	while (res.done < my_conns && now_ms() < deadline) {
		for (int i = 0; i < my_conc && res.started < my_conns; i++) {
			if (conns[i].sd >= 0)
				continue;
			int e = start_one(&conns[i]);

			if (e != 0) {
				if (res.errors < 3 && getenv("MOS_PROBE_STATS") != NULL)
					fprintf(stderr, "mos_probe: connect failed: %s\n", strerror(-e));
				res.last_errno = -e;
				res.started++;
				res.done++;
				res.errors++;
			}
		}
		live = mtcp_epoll_wait(mctx, ep, evs, 256, 100);
		if (live < 0 && errno == EINTR)
			break;
		for (long i = 0; i < live; i++)
			on_event(&evs[i]);
	}
}

/* The core's counters, for a failing test's log. */
static void print_stats(void)
{
	const struct mos_core *c = mos_core_of(mctx);
	const struct mos_tcp_stats *t = &c->tcp;
	const struct mos_io_stats *io = mos_io_stats(c);

	fprintf(stderr, "core %d io: rx %lu tx %lu tx_dropped %lu no_mbuf %lu handed_over %lu "
		"handed_in %lu steer_dropped %lu\n", mctx->cpu, io->rx_pkts, io->tx_pkts,
		io->tx_dropped, io->no_mbuf, io->handed_over, io->handed_in, io->steer_dropped);
	fprintf(stderr, "tcp: in %lu out %lu retrans %lu fast %lu rto %lu unacceptable %lu "
		"no_stream %lu bad_off %lu bad_opt %lu paws %lu old_ack %lu future_ack %lu "
		"rst_in %lu rst_out %lu challenge %lu no_tx_buf %lu\n",
		t->segs_in, t->segs_out, t->retransmits, t->fast_retransmits, t->rto_timeouts,
		t->drop_unacceptable, t->drop_no_stream, t->drop_bad_offset, t->drop_bad_options,
		t->drop_paws, t->drop_old_ack, t->drop_future_ack, t->rst_in, t->rst_out,
		t->challenge_acks, t->no_tx_buf);
	for (int i = 0; i < MOS_DROP_COUNT; i++)
		if (c->net.stats.drop[i] != 0)
			fprintf(stderr, "net drop %d: %lu\n", i, c->net.stats.drop[i]);
}

/* One core's thread: its connections, then its closing streams, then its context. */
static void *core_main(void *arg)
{
	int core = (int)(intptr_t)arg;

	if (setup_core(core) != 0) {
		fprintf(stderr, "mos_probe: core %d set-up failed: %s\n", core, strerror(errno));
		res.errors = res.done = my_conns;
		core_res[core] = res;
		cores_done++;
		return NULL;
	}
	run();
	res.handed_over = mos_io_stats(mos_core_of(mctx))->handed_over;
	core_res[core] = res;
	cores_done++;
	/* let the closing streams finish (FIN exchange, TIME_WAIT), and serve the other cores */
	for (uint64_t end = now_ms() + 3000;
	     (mtcp_get_connection_cnt(mctx) != 0 || cores_done < opt.cores) && now_ms() < end;) {
		struct mtcp_epoll_event ev[16];

		mtcp_epoll_wait(mctx, ep, ev, 16, 10);
	}
	if (getenv("MOS_PROBE_STATS") != NULL)
		print_stats();
	mtcp_close(mctx, ep);
	mtcp_destroy_context(mctx);
	return NULL;
}

static void add(struct results *t, const struct results *r)
{
	t->started += r->started;
	t->done += r->done;
	t->errors += r->errors;
	t->out += r->out;
	t->in += r->in;
	t->bad += r->bad;
	t->handed_over += r->handed_over;
	if (r->last_errno != 0)
		t->last_errno = r->last_errno;
}

int main(int argc, char **argv)
{
	pthread_t th[CONF_MAX_CORES];
	struct results all = { 0 };
	uint64_t t0, ms;
	bool ok;

	for (size_t i = 0; i < sizeof(pat); i++)
		pat[i] = (uint8_t)((i * 2654435761u + 7) >> 13);
	if (parse_args(argc, argv) != 0) {
		fprintf(stderr, "usage: mos_probe -f mos.conf -d ADDR:PORT -m send|recv|echo|connect|http "
			"[-n BYTES] [-k CONNS] [-c CONC] [-N CORES] [-t SECONDS] [-e ERRNO_NAME] [-w] [-u PATH]\n");
		return 2;
	}
	if (opt.mode == M_CONNECT)
		opt.conns = opt.conc = opt.cores = 1;
	if (setup() != 0) {
		fprintf(stderr, "mos_probe: set-up failed: %s\n", strerror(errno));
		return 1;
	}
	t0 = now_ms();
	for (int i = 0; i < opt.cores; i++)
		pthread_create(&th[i], NULL, core_main, (void *)(intptr_t)i);
	for (int i = 0; i < opt.cores; i++) {
		pthread_join(th[i], NULL);
		add(&all, &core_res[i]);
	}
	ms = now_ms() - t0;
	if (opt.mode == M_CONNECT)
		ok = all.errors == 1 && opt.expect && !strcmp(errno_name(all.last_errno), opt.expect);
	else
		ok = all.done == opt.conns && all.errors == 0 && all.bad == 0;
	printf("result=%s conns=%ld bytes_out=%zu bytes_in=%zu errors=%ld bad_bytes=%zu ms=%llu "
	       "conns_per_s=%.0f errno=%s handed_over=%lu\n", ok ? "ok" : "fail", all.done, all.out,
	       all.in, all.errors, all.bad, (unsigned long long)ms,
	       ms ? (double)all.done * 1000.0 / (double)ms : 0.0, errno_name(all.last_errno),
	       (unsigned long)all.handed_over);
	mtcp_destroy();
	return ok ? 0 : 1;
}
