/*
 * epserver.c - a static-file HTTP server on the epwget stack, in the
 * manner of mTCP's epserver: every file under the document root is loaded
 * into memory at start (eps_http.c), each core listens on its own stack
 * instance and NIC queue and serves the connections its queue receives.
 *
 * HTTP/1.0 and 1.1, GET and HEAD, keep-alive when the client asks for it
 * (1.0: Connection: keep-alive; 1.1: unless Connection: close), pipelined
 * requests answered in order, Content-Length on every response, 404 for a
 * missing file, 400 (then close) for a malformed request, 501 for other
 * methods. A response is a prebuilt header and the file's bytes, written
 * straight from the site: nothing is allocated per request.
 *
 * On a device that cannot hash (memif, af_packet, ring, tap) the stack
 * steers each received frame to the core that the Toeplitz hash of its
 * 4-tuple names, and that core answers on its own queue: the queue the
 * client's NIC (or its own steering, with the same key and table) picks
 * for the reply. A client that chose its source ports for its cores gets
 * every reply on the right core (epwget's rss_handovers stays 0).
 *
 * SIGINT or SIGTERM: stop accepting, let the connections in flight finish
 * (one second at most), print the summary, write -j, exit 0. A second
 * signal exits at once.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "app_cli.h"
#include "conf_parse.h"
#include "eps_http.h"
#include "mos_log.h"
#include "mtcp_api.h"

#define EXIT_USAGE   2
#define MAX_EVENTS   1024
/*
 * The ring of owed responses. Reading stops while PIPE_MAX - 1 are owed, and
 * a read asks for at most (PIPE_MAX - 1 - owed) * EPS_REQ_MIN bytes: whole
 * requests then owe at most PIPE_MAX - 1 responses, and the last slot is
 * kept for the one response that ends the parsing of a read early - the 400
 * of a malformed request, which can cost a single byte, after a request
 * whose start came in an earlier read (see read_requests). Bytes beyond
 * stay in the socket until responses drain; nothing is kept aside.
 */
#define PIPE_MAX     32	/* responses one connection may owe at once */
#define PIPE_READ    (PIPE_MAX - 1)	/* owed responses below which requests are read */
#define READ_MAX     (PIPE_READ * EPS_REQ_MIN)
#define GRACE_US     1000000	/* in-flight connections may finish for this long on stop */
#define DRAIN_US     2000000	/* closing streams may finish for this long after */
#define SOCK_SLACK   1024	/* socket ids beyond max_concurrency (listener, epoll) */

/* An owed response: its index in the site, and two flags. */
#define OWE_HEAD     0x1	/* the header only */
#define OWE_KEEP     0x2	/* the connection stays open after it */
#define OWE_SHIFT    2

/* struct conn flags */
#define C_OPEN        0x01
#define C_CLOSING     0x02	/* a response without keep-alive is owed: read no more */
#define C_PEER_CLOSED 0x04	/* the client closed its side: answer, then close */
#define C_UNREAD      0x08	/* request bytes may be left unread (a closing response stopped us) */

struct conn {
	uint8_t flags;
	uint8_t head, n_owed;	/* ring of owed responses */
	uint8_t interest;	/* MOS_EPOLLIN/OUT registered now */
	uint32_t requests;	/* on this connection */
	uint64_t off;		/* bytes of the front response written */
	uint32_t owed[PIPE_MAX];
	struct eps_req req;
};

struct eps_counters {
	uint64_t accepted, closed, requests, keepalive_reuses;
	uint64_t status_200, status_400, status_404, status_501;
	uint64_t bytes_out, body_bytes;
	uint64_t resets;		/* connections lost to an error (reset, timeout) */
	uint64_t accept_full;		/* accepts refused: no free socket id (EMFILE) */
	uint64_t aborted_at_stop;	/* still busy when the grace second ended */
	uint64_t pipe_full;		/* reads put off: PIPE_READ responses owed, the rest waits */
	uint64_t pipe_refused;		/* responses the ring had no slot for: never, by design */
	uint64_t bad[EPS_ERR_COUNT];	/* malformed requests, by reason */
};

struct eps_core {
	int core;
	mctx_t mctx;
	int ep, lsd;
	struct conn *conn;	/* indexed by socket id */
	uint32_t n_conn;
	uint32_t open;
	struct eps_counters c;
	uint64_t rx_pkts, tx_pkts, rss_handovers, handed_in, tx_dropped, first_accept_ns;
	const char *failed;
	int err;
	pthread_t thread;
} __attribute__((aligned(64)));

static struct {
	const char *conf;
	const char *root;
	const char *json;
	int cores;		/* 0: the core mask's */
	int port;
	int max_conns;		/* per core, 0: mos.conf max_concurrency */
	uint64_t max_bytes;
	bool verbose;
	bool help;		/* -h: print the usage, start nothing */
} opt = { .conf = "conf/epserver.conf", .port = 80, .max_bytes = 1ull << 30 };

static struct eps_site site;
static struct eps_core ecore[CONF_MAX_CORES];
static int ncores;
static volatile sig_atomic_t stop;
static int cores_ready, cores_failed, cores_done;	/* atomic */

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

/* --- one connection ------------------------------------------------------------- */

static void set_interest(struct eps_core *c, int sd, struct conn *k, uint8_t want)
{
	struct mtcp_epoll_event ev = { .events = want, .data.u64 = (uint64_t)sd };

	if (want == k->interest)
		return;
	mtcp_epoll_ctl(c->mctx, c->ep, MOS_EPOLL_CTL_MOD, sd, &ev);
	k->interest = want;
}

static void conn_free(struct eps_core *c, struct conn *k)
{
	k->flags = 0;
	c->open--;
	c->c.closed++;
}

/*
 * Close gracefully: the FIN follows what was written. Unread request bytes
 * would turn the close into a reset and could destroy the response in
 * flight, so they are read and dropped first.
 */
static void conn_close(struct eps_core *c, int sd, struct conn *k)
{
	static _Thread_local char sink[4096];

	if (k->flags & C_UNREAD)
		while (mtcp_read(c->mctx, sd, sink, sizeof(sink)) > 0)
			;
	mtcp_close(c->mctx, sd);
	conn_free(c, k);
}

static void conn_abort(struct eps_core *c, int sd, struct conn *k)
{
	mtcp_abort(c->mctx, sd);
	conn_free(c, k);
}

/*
 * Queue the response to a whole request. The read sizes keep a slot for
 * it (PIPE_READ); should the ring still be full, the response is refused,
 * counted, and the connection closes after what it owes rather than
 * overwrite the response at the front.
 */
static void owe(struct eps_core *c, struct conn *k, uint32_t resp, bool head, bool keep)
{
	uint32_t slot = (uint32_t)(k->head + k->n_owed) % PIPE_MAX;

	if (k->n_owed >= PIPE_MAX) {
		c->c.pipe_refused++;
		k->flags |= C_CLOSING;
		k->owed[(uint32_t)(k->head + k->n_owed - 1) % PIPE_MAX] &= ~(uint32_t)OWE_KEEP;
		return;
	}
	k->owed[slot] = resp << OWE_SHIFT | (head ? OWE_HEAD : 0) | (keep ? OWE_KEEP : 0);
	k->n_owed++;
	if (!keep)
		k->flags |= C_CLOSING;
	c->c.requests++;
	if (k->requests++ > 0)
		c->c.keepalive_reuses++;
}

static void request_done(struct eps_core *c, struct conn *k)
{
	const struct eps_req *r = &k->req;
	bool keep = r->keep_alive && !stop;

	if (r->method == EPS_M_OTHER)
		owe(c, k, EPS_RESP_501, false, false);
	else
		owe(c, k, eps_site_lookup(&site, r->path, r->path_len), r->method == EPS_M_HEAD, keep);
}

/* Parse what was read; stop at a response that closes the connection. */
static void parse(struct eps_core *c, struct conn *k, const uint8_t *p, size_t n)
{
	size_t off = 0, used;

	while (off < n && !(k->flags & C_CLOSING)) {
		int st = eps_req_feed(&k->req, p + off, n - off, &used);

		off += used;
		if (st == 0)
			return;
		if (st > 0) {
			request_done(c, k);
		} else {
			c->c.bad[k->req.error]++;
			owe(c, k, EPS_RESP_400, false, false);
		}
		eps_req_init(&k->req);
	}
	if (off < n)
		k->flags |= C_UNREAD;
}

static void count_response(struct eps_core *c, uint32_t resp, uint64_t body)
{
	switch (site.resp[resp].status) {
	case 200: c->c.status_200++; break;
	case 400: c->c.status_400++; break;
	case 404: c->c.status_404++; break;
	default: c->c.status_501++; break;
	}
	c->c.body_bytes += body;
}

/* Whether the connection may read more requests now. */
static bool may_read(const struct conn *k)
{
	return !(k->flags & (C_CLOSING | C_PEER_CLOSED)) && k->n_owed < PIPE_READ;
}

/* Write what is owed. false when the connection is gone (closed or dropped). */
static bool send_owed(struct eps_core *c, int sd, struct conn *k)
{
	while (k->n_owed > 0) {
		uint32_t rec = k->owed[k->head];
		const struct eps_resp *r = &site.resp[rec >> OWE_SHIFT];
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
		w = mtcp_writev(c->mctx, sd, iov, cnt);
		if (w < 0 && errno != EAGAIN) {
			c->c.resets++;
			conn_abort(c, sd, k);
			return false;
		}
		if (w > 0) {
			k->off += (uint64_t)w;
			c->c.bytes_out += (uint64_t)w;
		}
		if (k->off < hl + bl) {	/* the send buffer is full: on with EPOLLOUT */
			set_interest(c, sd, k, (uint8_t)((may_read(k) ? MOS_EPOLLIN : 0) | MOS_EPOLLOUT));
			return true;
		}
		count_response(c, rec >> OWE_SHIFT, bl);
		k->off = 0;
		k->head = (uint8_t)((k->head + 1) % PIPE_MAX);
		k->n_owed--;
		if (!keep) {
			conn_close(c, sd, k);
			return false;
		}
	}
	if (k->flags & C_PEER_CLOSED) {
		conn_close(c, sd, k);
		return false;
	}
	set_interest(c, sd, k, MOS_EPOLLIN);
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
static bool read_requests(struct eps_core *c, int sd, struct conn *k)
{
	static _Thread_local uint8_t buf[READ_MAX];

	while (may_read(k)) {
		size_t want = (size_t)(PIPE_READ - k->n_owed) * EPS_REQ_MIN;
		ssize_t r = mtcp_read(c->mctx, sd, (char *)buf, want);

		if (r > 0) {
			parse(c, k, buf, (size_t)r);
			if ((size_t)r < want)
				break;	/* the stack ran dry: nothing more comes until the next poll */
			k->flags |= C_UNREAD;	/* maybe more: drained before a close */
		} else if (r == 0) {
			k->flags |= C_PEER_CLOSED;
		} else if (errno == EAGAIN) {
			break;
		} else {
			c->c.resets++;
			conn_abort(c, sd, k);
			return false;
		}
	}
	if (!(k->flags & (C_CLOSING | C_PEER_CLOSED)) && k->n_owed >= PIPE_READ)
		c->c.pipe_full++;	/* the rest waits in the socket for EPOLLIN after the drain */
	if (k->n_owed == 0 && (k->flags & C_PEER_CLOSED)) {
		conn_close(c, sd, k);
		return false;
	}
	if (k->n_owed > 0)
		return send_owed(c, sd, k);
	return true;
}

static void on_conn_event(struct eps_core *c, int sd, uint32_t events)
{
	struct conn *k = &c->conn[sd];

	if (!(k->flags & C_OPEN))
		return;	/* closed earlier in this batch */
	if (events & MOS_EPOLLERR) {
		c->c.resets++;
		conn_abort(c, sd, k);
		return;
	}
	if ((events & MOS_EPOLLOUT) && k->n_owed > 0 && !send_owed(c, sd, k))
		return;
	if (events & (MOS_EPOLLIN | MOS_EPOLLHUP))
		read_requests(c, sd, k);
}

static void accept_all(struct eps_core *c)
{
	for (;;) {
		int sd = mtcp_accept(c->mctx, c->lsd, NULL, NULL);
		struct mtcp_epoll_event ev = { .events = MOS_EPOLLIN };
		struct conn *k;

		if (sd < 0) {
			if (errno == EMFILE)
				c->c.accept_full++;
			return;
		}
		if ((uint32_t)sd >= c->n_conn) {	/* cannot happen with SOCK_SLACK; never index past */
			mtcp_abort(c->mctx, sd);
			c->c.accept_full++;
			continue;
		}
		if (c->first_accept_ns == 0)
			c->first_accept_ns = wall_ns();
		k = &c->conn[sd];
		k->flags = C_OPEN;
		k->head = k->n_owed = 0;
		k->interest = MOS_EPOLLIN;
		k->requests = 0;
		k->off = 0;
		eps_req_init(&k->req);
		ev.data.u64 = (uint64_t)sd;
		mtcp_setsock_nonblock(c->mctx, sd);
		mtcp_epoll_ctl(c->mctx, c->ep, MOS_EPOLL_CTL_ADD, sd, &ev);
		c->open++;
		c->c.accepted++;
		/*
		 * The request often came with the handshake's last ACK: answer it in
		 * this round, so that the response carries the ACK of the request
		 * rather than a bare ACK going first (the stack holds it one round).
		 */
		read_requests(c, sd, k);
	}
}

/* --- one core ------------------------------------------------------------------- */

static int core_fail(struct eps_core *c, const char *step)
{
	c->failed = step;
	c->err = errno;
	return -1;
}

static int core_setup(struct eps_core *c, uint32_t max_socks)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port) };
	struct mtcp_epoll_event ev = { .events = MOS_EPOLLIN };

	c->ep = c->lsd = -1;
	c->n_conn = max_socks;
	c->conn = calloc(max_socks, sizeof(*c->conn));
	if (c->conn == NULL)
		return core_fail(c, "calloc of the connection slots");
	c->mctx = mtcp_create_context(c->core);
	if (c->mctx == NULL)
		return core_fail(c, "mtcp_create_context");
	c->ep = mtcp_epoll_create(c->mctx, MAX_EVENTS);
	if (c->ep < 0)
		return core_fail(c, "mtcp_epoll_create");
	c->lsd = mtcp_socket(c->mctx, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->lsd < 0)
		return core_fail(c, "mtcp_socket");
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	if (mtcp_bind(c->mctx, c->lsd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return core_fail(c, "mtcp_bind");
	if (mtcp_listen(c->mctx, c->lsd, (int)(max_socks - SOCK_SLACK)) != 0)
		return core_fail(c, "mtcp_listen");
	ev.data.u64 = (uint64_t)c->lsd;
	if (mtcp_epoll_ctl(c->mctx, c->ep, MOS_EPOLL_CTL_ADD, c->lsd, &ev) != 0)
		return core_fail(c, "mtcp_epoll_ctl");
	return 0;
}

static void dispatch(struct eps_core *c, const struct mtcp_epoll_event *ev, int n)
{
	for (int i = 0; i < n; i++) {
		int sd = (int)ev[i].data.u64;

		if (sd == c->lsd)
			accept_all(c);
		else
			on_conn_event(c, sd, ev[i].events);
	}
}

/*
 * Stop: no new connections; idle keep-alive ones close now, busy ones get
 * GRACE_US to finish (their last response says Connection: close), the
 * rest are reset.
 */
static void core_stop(struct eps_core *c, struct mtcp_epoll_event *ev)
{
	uint64_t end = now_us() + GRACE_US;

	if (c->lsd >= 0)
		mtcp_close(c->mctx, c->lsd);
	c->lsd = -1;
	for (uint32_t sd = 0; sd < c->n_conn; sd++) {
		struct conn *k = &c->conn[sd];

		if ((k->flags & C_OPEN) && k->n_owed == 0 && eps_req_idle(&k->req))
			conn_close(c, (int)sd, k);
	}
	while (c->open > 0 && now_us() < end) {
		int n = mtcp_epoll_wait(c->mctx, c->ep, ev, MAX_EVENTS, 10);

		dispatch(c, ev, n);
	}
	for (uint32_t sd = 0; sd < c->n_conn && c->open > 0; sd++)
		if (c->conn[sd].flags & C_OPEN) {
			c->c.aborted_at_stop++;
			conn_abort(c, (int)sd, &c->conn[sd]);
		}
}

static void *core_main(void *arg)
{
	static _Thread_local struct mtcp_epoll_event ev[MAX_EVENTS];
	struct eps_core *c = arg;
	struct mtcp_conf mc;
	struct mtcp_io_stat io;

	mtcp_getconf(&mc);
	if (core_setup(c, (uint32_t)mc.max_concurrency + SOCK_SLACK) != 0) {
		__atomic_add_fetch(&cores_failed, 1, __ATOMIC_SEQ_CST);
	} else {
		__atomic_add_fetch(&cores_ready, 1, __ATOMIC_SEQ_CST);
		while (!stop) {
			int n = mtcp_epoll_wait(c->mctx, c->ep, ev, MAX_EVENTS, 100);

			dispatch(c, ev, n);
		}
		core_stop(c, ev);
	}
	__atomic_add_fetch(&cores_done, 1, __ATOMIC_SEQ_CST);
	/* software steering: this queue carries other cores' frames until all are done */
	for (uint64_t end = 0; c->mctx != NULL && c->ep >= 0;) {
		bool others = __atomic_load_n(&cores_done, __ATOMIC_SEQ_CST) < ncores;

		if (!others && end == 0)
			end = now_us() + DRAIN_US;
		if (!others && (mtcp_get_connection_cnt(c->mctx) == 0 || now_us() > end))
			break;
		mtcp_epoll_wait(c->mctx, c->ep, ev, MAX_EVENTS, 10);
	}
	if (c->mctx != NULL) {
		if (mtcp_get_io_stats(c->mctx, &io) == 0) {
			c->rss_handovers = io.rss_handovers;
			c->handed_in = io.handed_in;
			c->tx_dropped = io.tx_dropped;
			c->rx_pkts = io.rx_pkts;
			c->tx_pkts = io.tx_pkts;
		}
		if (c->ep >= 0)
			mtcp_close(c->mctx, c->ep);
		mtcp_destroy_context(c->mctx);
	}
	free(c->conn);
	c->conn = NULL;
	return NULL;
}

/* --- main ----------------------------------------------------------------------- */

static void on_signal(int sig)
{
	(void)sig;
	if (stop)
		_exit(130);
	stop = 1;
}

static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: epserver [-f mos.conf] -d ROOT [-N cores] [-p port] [-c connections]\n"
		"                [-m MiB] [-j summary.json] [-v] [-h]\n"
		"  -f FILE     stack configuration (default conf/epserver.conf)\n"
		"  -d ROOT     serve the files under ROOT (loaded into memory at start)\n"
		"  -N CORES    cores to use (default: the core mask's)\n"
		"  -p PORT     TCP port to listen on (default 80)\n"
		"  -c N        connections per core (default: max_concurrency of the config)\n"
		"  -m MiB      most file bytes to load (default 1024)\n"
		"  -j FILE     write the summary as JSON at the end\n"
		"  -v          debug messages\n"
		"SIGINT or SIGTERM stops it: connections in flight get one second, then the summary.\n");
}

static int parse_args(int argc, char **argv)
{
	long v = 0;
	int c;

	opterr = 0;
	while ((c = getopt(argc, argv, ":f:d:N:p:c:m:j:vh")) != -1) {
		switch (c) {
		case 'f': opt.conf = optarg; break;
		case 'd': opt.root = optarg; break;
		case 'j': opt.json = optarg; break;
		case 'v': opt.verbose = true; break;
		case 'h': opt.help = true; return 0;
		case 'N':
			if (app_parse_num("epserver", "-N", optarg, 1, CONF_MAX_CORES, &v) != 0)
				return -1;
			opt.cores = (int)v;
			break;
		case 'p':
			if (app_parse_num("epserver", "-p", optarg, 1, 65535, &v) != 0)
				return -1;
			opt.port = (int)v;
			break;
		case 'c':
			if (app_parse_num("epserver", "-c", optarg, 1, CONF_MAX_CONCURRENCY, &v) != 0)
				return -1;
			opt.max_conns = (int)v;
			break;
		case 'm':
			if (app_parse_num("epserver", "-m", optarg, 1, 1L << 20, &v) != 0)
				return -1;
			opt.max_bytes = (uint64_t)v << 20;
			break;
		case ':': return app_usage_error("epserver", "-%c needs a value", optopt);
		default: return app_usage_error("epserver", "-%c: unknown option", optopt);
		}
	}
	if (optind < argc)
		return app_usage_error("epserver", "unexpected argument '%s'", argv[optind]);
	if (opt.root == NULL)
		return app_usage_error("epserver", "no document root: give -d ROOT");
	return 0;
}

static int plan(void)
{
	struct mtcp_conf mc;

	if (mtcp_getconf(&mc) != 0)
		return -1;
	if (opt.cores > mc.num_cores) {
		fprintf(stderr, "epserver: %d cores asked, the core mask of %s has %d; lower -N or "
			"widen core_mask\n", opt.cores, opt.conf, mc.num_cores);
		return -1;
	}
	if (opt.cores > 0)
		mc.num_cores = opt.cores;
	if (opt.max_conns > 0)
		mc.max_concurrency = mc.max_num_buffers = opt.max_conns;
	if (mtcp_setconf(&mc) != 0)
		return -1;
	ncores = mc.num_cores;
	return 0;
}

/* The sum of every core's counters (each field of eps_counters is a uint64_t counter). */
static void total(struct eps_counters *t)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < ncores; i++) {
		const uint64_t *s = (const uint64_t *)(const void *)&ecore[i].c;
		uint64_t *d = (uint64_t *)(void *)t;

		for (size_t j = 0; j < sizeof(*t) / sizeof(uint64_t); j++)
			d[j] += s[j];
	}
}

/* VmHWM of this process in KiB (0 when /proc says nothing). */
static long peak_rss_kb(void)
{
	char line[256];
	long kb = 0;
	FILE *f = fopen("/proc/self/status", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmHWM: %ld", &kb) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kb;
}

static void print_summary(const struct eps_counters *t, double secs)
{
	for (int i = 0; i < ncores; i++)
		printf("[CPU %d] accepted %lu, requests %lu, frames in %lu, out %lu, rss_handovers %lu, "
		       "handed_in %lu, tx_dropped %lu\n", i, (unsigned long)ecore[i].c.accepted,
		       (unsigned long)ecore[i].c.requests, (unsigned long)ecore[i].rx_pkts,
		       (unsigned long)ecore[i].tx_pkts, (unsigned long)ecore[i].rss_handovers,
		       (unsigned long)ecore[i].handed_in, (unsigned long)ecore[i].tx_dropped);
	printf("[ ALL ] connections: %lu accepted, %lu keep-alive reuses, %lu reset, %lu aborted at "
	       "stop, %lu refused (no socket)\n", (unsigned long)t->accepted,
	       (unsigned long)t->keepalive_reuses, (unsigned long)t->resets,
	       (unsigned long)t->aborted_at_stop, (unsigned long)t->accept_full);
	printf("[ ALL ] requests: %lu (200: %lu, 404: %lu, 400: %lu, 501: %lu); %lu bytes out "
	       "(%lu body); %.3f s\n", (unsigned long)t->requests, (unsigned long)t->status_200,
	       (unsigned long)t->status_404, (unsigned long)t->status_400,
	       (unsigned long)t->status_501, (unsigned long)t->bytes_out,
	       (unsigned long)t->body_bytes, secs);
}

static int write_json(const char *path, const struct eps_counters *t, double secs)
{
	uint64_t first = 0;
	FILE *f = fopen(path, "w");
	int bad;

	if (f == NULL) {
		fprintf(stderr, "epserver: -j %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < ncores; i++)
		if (ecore[i].first_accept_ns != 0 && (first == 0 || ecore[i].first_accept_ns < first))
			first = ecore[i].first_accept_ns;
	fprintf(f, "{\"cores\": %d, \"duration_s\": %.6f, \"files\": %u, \"file_bytes\": %lu, "
		"\"accepted\": %lu, \"closed\": %lu, \"requests\": %lu, \"keepalive_reuses\": %lu, "
		"\"status_200\": %lu, \"status_400\": %lu, \"status_404\": %lu, \"status_501\": %lu, "
		"\"bytes_out\": %lu, \"body_bytes\": %lu, \"resets\": %lu, \"accept_full\": %lu, "
		"\"aborted_at_stop\": %lu, \"pipe_full\": %lu, \"pipe_refused\": %lu, "
		"\"first_accept_unix_ns\": %lu, \"peak_rss_kb\": %ld, "
		"\"bad_requests\": {", ncores, secs, site.n_files, (unsigned long)site.file_bytes,
		(unsigned long)t->accepted, (unsigned long)t->closed, (unsigned long)t->requests,
		(unsigned long)t->keepalive_reuses, (unsigned long)t->status_200,
		(unsigned long)t->status_400, (unsigned long)t->status_404,
		(unsigned long)t->status_501, (unsigned long)t->bytes_out,
		(unsigned long)t->body_bytes, (unsigned long)t->resets,
		(unsigned long)t->accept_full, (unsigned long)t->aborted_at_stop,
		(unsigned long)t->pipe_full, (unsigned long)t->pipe_refused,
		(unsigned long)first, peak_rss_kb());
	for (int e = 1; e < EPS_ERR_COUNT; e++)
		fprintf(f, "%s\"%s\": %lu", e > 1 ? ", " : "", eps_req_error_name(e),
			(unsigned long)t->bad[e]);
	fprintf(f, "}, \"per_core\": [");
	for (int i = 0; i < ncores; i++)
		fprintf(f, "%s{\"core\": %d, \"accepted\": %lu, \"requests\": %lu, "
			"\"rx_pkts\": %lu, \"tx_pkts\": %lu, \"rss_handovers\": %lu, "
			"\"handed_in\": %lu, \"tx_dropped\": %lu}", i ? ", " : "", i,
			(unsigned long)ecore[i].c.accepted, (unsigned long)ecore[i].c.requests,
			(unsigned long)ecore[i].rx_pkts, (unsigned long)ecore[i].tx_pkts,
			(unsigned long)ecore[i].rss_handovers, (unsigned long)ecore[i].handed_in,
			(unsigned long)ecore[i].tx_dropped);
	fprintf(f, "]}\n");
	bad = ferror(f);
	if ((fclose(f) != 0) | bad) {
		fprintf(stderr, "epserver: -j %s: write failed\n", path);
		return -1;
	}
	return 0;
}

/* Start the cores, say when every one listens, wait for them. 0 when all came up. */
static int serve(void)
{
	for (int i = 0; i < ncores; i++) {
		ecore[i].core = i;
		if (pthread_create(&ecore[i].thread, NULL, core_main, &ecore[i]) != 0) {
			fprintf(stderr, "epserver: cannot start the thread of core %d\n", i);
			stop = 1;
			ncores = i;
			break;
		}
	}
	while (__atomic_load_n(&cores_ready, __ATOMIC_SEQ_CST) +
	       __atomic_load_n(&cores_failed, __ATOMIC_SEQ_CST) < ncores)
		usleep(1000);
	if (cores_failed == 0 && !stop) {
		printf("epserver: ready: %u files, %lu bytes from %s, port %d, %d cores\n",
		       site.n_files, (unsigned long)site.file_bytes, opt.root, opt.port, ncores);
		fflush(stdout);
	} else {
		stop = 1;	/* one core failed: the others stop too */
	}
	for (int i = 0; i < ncores; i++) {
		pthread_join(ecore[i].thread, NULL);
		if (ecore[i].failed != NULL)
			fprintf(stderr, "epserver: core %d: %s failed: %s\n", i, ecore[i].failed,
				strerror(ecore[i].err));
	}
	return cores_failed == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	char err[1024];
	struct eps_counters t;
	uint64_t t0;
	double secs;
	int ret;

	mos_log_set("epserver", MOS_LOG_INFO);
	if (parse_args(argc, argv) != 0)
		return EXIT_USAGE;
	if (opt.help) {
		usage(stdout);
		return 0;
	}
	if (opt.verbose)
		mos_log_set("epserver", MOS_LOG_DEBUG);
	if (eps_site_load(&site, opt.root, opt.max_bytes, err, sizeof(err)) != 0) {
		fprintf(stderr, "epserver: %s\n", err);
		return EXIT_USAGE;
	}
	catch_signals();
	if (mtcp_init(opt.conf) != 0) {
		ret = errno == EINVAL || errno == ENOENT || errno == EACCES || errno == EFBIG ||
		      errno == EISDIR ? EXIT_USAGE : 1;
		eps_site_free(&site);
		return ret;
	}
	if (plan() != 0) {
		mtcp_destroy();
		eps_site_free(&site);
		return EXIT_USAGE;
	}
	t0 = now_us();
	ret = serve() == 0 ? 0 : 1;
	secs = (double)(now_us() - t0) / 1e6;
	total(&t);
	print_summary(&t, secs);
	if (opt.json != NULL && write_json(opt.json, &t, secs) != 0)
		ret = 1;
	mtcp_destroy();
	eps_site_free(&site);
	return ret;
}
