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
 * Against clients that hold connections without using them (Slowloris):
 * a request head must be complete within request_timeout (-t, 10 s; the
 * first from the accept, later ones from their first byte), else the
 * connection is reset without an answer, as nginx does at
 * client_header_timeout with reset_timedout_connection on (it logs a 408
 * but sends nothing; a FIN would leave the stream in FIN_WAIT_2 for as long
 * as the client ignores it, and a Slowloris does); a kept-alive connection idle
 * for keepalive_timeout (-K, 15 s: shorter than nginx's 75 s, as an idle
 * connection holds a slot of -c) closes; and a connection carries at most
 * keepalive_requests (-R, 1000, as nginx) requests, the last answered with
 * Connection: close. Each is counted (summary and JSON). The deadlines are
 * eps_conn.c's, swept by the core's loop after each epoll_wait.
 *
 * SIGINT or SIGTERM: stop accepting, let the connections in flight finish
 * (one second at most), print the summary, write -j, exit 0. A second
 * signal exits at once.
 *
 * This file is the program: the options, the stack and the site set up,
 * one thread per core (its stack context, epoll and listener; the loop
 * that accepts and dispatches events; the stop), the signals, the summary
 * and the JSON. What happens on a connection - requests read and parsed,
 * responses owed and written, the counters - is eps_conn.c's, handed the
 * site and the stop flag through its struct eps_conn_ctx; the site and
 * the request parser are eps_http.c's.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app_cli.h"
#include "conf_parse.h"
#include "eps_conn.h"
#include "eps_http.h"
#include "mos_log.h"
#include "mtcp_api.h"

#define EXIT_USAGE   2
#define MAX_EVENTS   1024
#define GRACE_US     1000000	/* in-flight connections may finish for this long on stop */
#define SOCK_SLACK   1024	/* socket ids beyond max_concurrency (listener, epoll) */

struct eps_core {
	int core;
	int lsd;
	struct eps_conn_ctx cx;	/* the stack context, epoll, connections and counters */
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
	long request_timeout;	/* s, 0: none (-t) */
	long keepalive_timeout;	/* s, 0: none (-K) */
	long max_requests;	/* per connection, 0: no limit (-R) */
	bool verbose;
	bool help;		/* -h: print the usage, start nothing */
} opt = { .conf = "conf/epserver.conf", .port = 80, .max_bytes = 1ull << 30,
	    .request_timeout = 10, .keepalive_timeout = 15, .max_requests = 1000 };

static struct eps_site site;
static struct eps_core ecore[CONF_MAX_CORES];
static int ncores;
static volatile sig_atomic_t stop;
static int cores_ready, cores_failed, cores_done;	/* atomic */

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

/* --- one core ------------------------------------------------------------------- */

static void accept_all(struct eps_core *c)
{
	for (;;) {
		int sd = mtcp_accept(c->cx.mctx, c->lsd, NULL, NULL);

		if (sd < 0) {
			if (errno == EMFILE)
				c->cx.count.accept_full++;
			return;
		}
		if ((uint32_t)sd >= c->cx.n_conn) {	/* cannot happen with SOCK_SLACK; never index past */
			mtcp_abort(c->cx.mctx, sd);
			c->cx.count.accept_full++;
			continue;
		}
		if (c->first_accept_ns == 0)
			c->first_accept_ns = wall_ns();
		eps_conn_open(&c->cx, sd);
	}
}

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

	c->cx.ep = c->lsd = -1;
	c->cx.site = &site;
	c->cx.stop = &stop;
	c->cx.request_timeout_us = (uint64_t)opt.request_timeout * 1000000;
	c->cx.keepalive_timeout_us = (uint64_t)opt.keepalive_timeout * 1000000;
	c->cx.max_requests = (uint32_t)opt.max_requests;
	c->cx.now_us = app_now_us();
	if (eps_conn_table_init(&c->cx, max_socks) != 0)
		return core_fail(c, "calloc of the connection slots");
	c->cx.mctx = mtcp_create_context(c->core);
	if (c->cx.mctx == NULL)
		return core_fail(c, "mtcp_create_context");
	c->cx.ep = mtcp_epoll_create(c->cx.mctx, MAX_EVENTS);
	if (c->cx.ep < 0)
		return core_fail(c, "mtcp_epoll_create");
	c->lsd = mtcp_socket(c->cx.mctx, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->lsd < 0)
		return core_fail(c, "mtcp_socket");
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	if (mtcp_bind(c->cx.mctx, c->lsd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		return core_fail(c, "mtcp_bind");
	if (mtcp_listen(c->cx.mctx, c->lsd, (int)(max_socks - SOCK_SLACK)) != 0)
		return core_fail(c, "mtcp_listen");
	ev.data.u64 = (uint64_t)c->lsd;
	if (mtcp_epoll_ctl(c->cx.mctx, c->cx.ep, MOS_EPOLL_CTL_ADD, c->lsd, &ev) != 0)
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
			eps_conn_event(&c->cx, sd, ev[i].events);
	}
}

/*
 * Stop: no new connections; idle keep-alive ones close now, busy ones get
 * GRACE_US to finish (their last response says Connection: close), the
 * rest are reset.
 */
static void core_stop(struct eps_core *c, struct mtcp_epoll_event *ev)
{
	uint64_t end = app_now_us() + GRACE_US;

	if (c->lsd >= 0)
		mtcp_close(c->cx.mctx, c->lsd);
	c->lsd = -1;
	eps_conn_close_idle(&c->cx);
	while (c->cx.open > 0 && app_now_us() < end) {
		int n = mtcp_epoll_wait(c->cx.mctx, c->cx.ep, ev, MAX_EVENTS, 10);

		c->cx.now_us = app_now_us();
		dispatch(c, ev, n);
	}
	eps_conn_abort_all(&c->cx);
}

/* mtcp_drain's question: do other cores still need this one's queue polled? */
static bool others_working(void *arg)
{
	(void)arg;
	return __atomic_load_n(&cores_done, __ATOMIC_SEQ_CST) < ncores;
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
			/* 100 ms at most: the period of the deadline sweep too */
			int n = mtcp_epoll_wait(c->cx.mctx, c->cx.ep, ev, MAX_EVENTS, 100);

			c->cx.now_us = app_now_us();
			dispatch(c, ev, n);
			eps_conn_sweep(&c->cx);
		}
		core_stop(c, ev);
	}
	__atomic_add_fetch(&cores_done, 1, __ATOMIC_SEQ_CST);
	/* software steering: this queue carries other cores' frames until all are done */
	if (c->cx.mctx != NULL && c->cx.ep >= 0)
		mtcp_drain(c->cx.mctx, APP_DRAIN_MS, others_working, NULL, NULL);
	if (c->cx.mctx != NULL) {
		if (mtcp_get_io_stats(c->cx.mctx, &io) == 0) {
			c->rss_handovers = io.rss_handovers;
			c->handed_in = io.handed_in;
			c->tx_dropped = io.tx_dropped;
			c->rx_pkts = io.rx_pkts;
			c->tx_pkts = io.tx_pkts;
		}
		if (c->cx.ep >= 0)
			mtcp_close(c->cx.mctx, c->cx.ep);
		mtcp_destroy_context(c->cx.mctx);
	}
	eps_conn_table_free(&c->cx);
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


static void usage(FILE *f)
{
	fprintf(f,
		"usage: epserver [-f mos.conf] -d ROOT [-N cores] [-p port] [-c connections]\n"
		"                [-m MiB] [-t S] [-K S] [-R N] [-j summary.json] [-v] [-h]\n"
		"  -f FILE     stack configuration (default conf/epserver.conf)\n"
		"  -d ROOT     serve the files under ROOT (loaded into memory at start)\n"
		"  -N CORES    cores to use (default: the core mask's)\n"
		"  -p PORT     TCP port to listen on (default 80)\n"
		"  -c N        connections per core (default: max_concurrency of the config)\n"
		"  -m MiB      most file bytes to load (default 1024)\n"
		"  -t S        request_timeout: a request head (from the accept, or from its first\n"
		"              byte on a kept-alive connection, to its blank line) must be complete\n"
		"              within S seconds, or the connection is reset, unanswered (default 10;\n"
		"              0: no limit)\n"
		"  -K S        keepalive_timeout: a kept-alive connection idle between requests for\n"
		"              S seconds closes (default 15; 0: no limit)\n"
		"  -R N        keepalive_requests: requests per connection; the N-th response says\n"
		"              Connection: close and the connection closes after it (default 1000;\n"
		"              0: no limit)\n"
		"  -j FILE     write the summary as JSON at the end\n"
		"  -v          debug messages\n"
		"SIGINT or SIGTERM stops it: connections in flight get one second, then the summary.\n");
}

static int parse_args(int argc, char **argv)
{
	long v = 0;
	int c;

	opterr = 0;
	while ((c = getopt(argc, argv, ":f:d:N:p:c:m:t:K:R:j:vh")) != -1) {
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
		case 't':
			if (app_parse_num("epserver", "-t", optarg, 0, 86400, &opt.request_timeout) != 0)
				return -1;
			break;
		case 'K':
			if (app_parse_num("epserver", "-K", optarg, 0, 86400, &opt.keepalive_timeout) != 0)
				return -1;
			break;
		case 'R':
			if (app_parse_num("epserver", "-R", optarg, 0, 1L << 30, &opt.max_requests) != 0)
				return -1;
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
		const uint64_t *s = (const uint64_t *)(const void *)&ecore[i].cx.count;
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
		       "handed_in %lu, tx_dropped %lu\n", i, (unsigned long)ecore[i].cx.count.accepted,
		       (unsigned long)ecore[i].cx.count.requests, (unsigned long)ecore[i].rx_pkts,
		       (unsigned long)ecore[i].tx_pkts, (unsigned long)ecore[i].rss_handovers,
		       (unsigned long)ecore[i].handed_in, (unsigned long)ecore[i].tx_dropped);
	printf("[ ALL ] connections: %lu accepted, %lu keep-alive reuses, %lu reset, %lu aborted at "
	       "stop, %lu refused (no socket)\n", (unsigned long)t->accepted,
	       (unsigned long)t->keepalive_reuses, (unsigned long)t->resets,
	       (unsigned long)t->aborted_at_stop, (unsigned long)t->accept_full);
	printf("[ ALL ] closed by the server: %lu request timeouts, %lu keep-alive timeouts, %lu at "
	       "keepalive_requests\n", (unsigned long)t->request_timeouts,
	       (unsigned long)t->keepalive_timeouts, (unsigned long)t->keepalive_limits);
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
		"\"request_timeouts\": %lu, \"keepalive_timeouts\": %lu, \"keepalive_limits\": %lu, "
		"\"first_accept_unix_ns\": %lu, \"peak_rss_kb\": %ld, "
		"\"bad_requests\": {", ncores, secs, site.n_files, (unsigned long)site.file_bytes,
		(unsigned long)t->accepted, (unsigned long)t->closed, (unsigned long)t->requests,
		(unsigned long)t->keepalive_reuses, (unsigned long)t->status_200,
		(unsigned long)t->status_400, (unsigned long)t->status_404,
		(unsigned long)t->status_501, (unsigned long)t->bytes_out,
		(unsigned long)t->body_bytes, (unsigned long)t->resets,
		(unsigned long)t->accept_full, (unsigned long)t->aborted_at_stop,
		(unsigned long)t->pipe_full, (unsigned long)t->pipe_refused,
		(unsigned long)t->request_timeouts, (unsigned long)t->keepalive_timeouts,
		(unsigned long)t->keepalive_limits, (unsigned long)first, peak_rss_kb());
	for (int e = 1; e < EPS_ERR_COUNT; e++)
		fprintf(f, "%s\"%s\": %lu", e > 1 ? ", " : "", eps_req_error_name(e),
			(unsigned long)t->bad[e]);
	fprintf(f, "}, \"per_core\": [");
	for (int i = 0; i < ncores; i++)
		fprintf(f, "%s{\"core\": %d, \"accepted\": %lu, \"requests\": %lu, "
			"\"rx_pkts\": %lu, \"tx_pkts\": %lu, \"rss_handovers\": %lu, "
			"\"handed_in\": %lu, \"tx_dropped\": %lu}", i ? ", " : "", i,
			(unsigned long)ecore[i].cx.count.accepted, (unsigned long)ecore[i].cx.count.requests,
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
	app_catch(SIGINT, on_signal);
	app_catch(SIGTERM, on_signal);
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
	t0 = app_now_us();
	ret = serve() == 0 ? 0 : 1;
	secs = (double)(app_now_us() - t0) / 1e6;
	total(&t);
	print_summary(&t, secs);
	if (opt.json != NULL && write_json(opt.json, &t, secs) != 0)
		ret = 1;
	mtcp_destroy();
	eps_site_free(&site);
	return ret;
}
