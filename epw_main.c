/*
 * epw_main.c - epwget's program, whichever way its cores run: the command
 * line, epwget.conf and the checks made before the stack starts, the plan
 * of the cores (each one's share of the flows and the stack's sizes for
 * it), the -C bring-up, the run, the per-second lines, the summary, -o's
 * files limit, the -j JSON and the exit statuses.
 *
 * Its place: epwget.c and epwget_mp.c are main() and a struct epw_mode
 * each, calling epw_main(); the flows of a core run in epw_flow.c, the
 * numbers and the JSON are epw_stats.c's, the stack is reached through
 * mtcp_api.h. What differs between the two programs is the mode's: its
 * name and usage, and its cores (struct epw_cores below, the one place
 * that says how each plans, brings up and runs them, and what its
 * messages advise).
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "app_cli.h"
#include "conf_parse.h"
#include "epw_flow.h"
#include "epw_main.h"
#include "epw_request.h"
#include "epw_stats.h"
#include "mos_log.h"
#include "mtcp_api.h"

#define EXIT_USAGE 2
#define MAX_POOL_ROWS 8

/* What one core is asked to do, and what its bring-up reported. */
struct core_job {
	int core;
	long flows;
	int concurrency;
	in_addr_t daddr;
	in_port_t dport;
	in_addr_t saddr;	/* -s: the first source address; n_saddr 0: the netdev's */
	int n_saddr;
	pthread_t thread;
	int err;		/* errno of the step that failed, 0 = fine */
	const char *failed;	/* that step */
	int n_stats;
	struct mtcp_pool_stat stats[MAX_POOL_ROWS];
};

/*
 * How a mode's cores are planned, brought up and run, and the words its
 * messages advise with: epw_thread_per_core (epwget) and
 * epw_process_per_core (epwget-mp), defined after their functions.
 */
struct epw_cores {
	/*
	 * One core per process: -c CORE names it (-N is refused), the process
	 * is one of a group (epw_run.mp) and -j writes FILE-CORE.json.
	 * Otherwise -c is total_concurrency and -N the core count.
	 */
	bool per_process;
	/* The core count, each core's share, the stack's sizes: 0 or -errno, said. */
	int (*plan)(const struct epw_options *o, struct epwget_conf *wc, struct core_job *jobs,
		    int *ncores, long *first_flow);
	/* -C: bring every core up and release it (threads, or here). */
	void (*bring_up)(struct core_job *jobs, int cores);
	/* Run ecore[0..cores) to the end, with the per-second lines. */
	void (*run)(int cores, bool verbose);
	/* too_concurrent's advice: what lowers a core's concurrency, what adds cores */
	const char *concurrency_knob, *cores_knob;
	/* -o's files limit: "at <files_at>N<files_at_end>; ... or lower <files_knob>" */
	const char *files_at, *files_at_end, *files_knob;
};

/* The mode epw_parse_args was given: its name is in every message. */
static const struct epw_mode *mode;
static const char *prog = "epwget";

static int parse_option(struct epw_options *o, int c, const char *arg)
{
	long v = 0;
	int ret = 0;

	switch (c) {
	case 'f': o->mos_conf = arg; break;
	case 'w': o->wget_conf = arg; break;
	case 'o': o->outfile = arg; break;
	case 'j': o->json = arg; break;
	case 'v': o->verbose = true; break;
	case 'C': o->check = true; break;
	case 's': o->source_addrs = arg; break;
	case 'N':
		if (mode->cores->per_process)
			return app_usage_error(prog, "-N: epwget-mp runs one core per process (-c CORE); the "
					   "core mask sets the size of the group");
		ret = app_parse_num(prog, "-N", arg, 1, CONF_MAX_CORES, &v);
		o->cores = (int)v;
		break;
	case 'c':
		if (mode->cores->per_process) {
			ret = app_parse_num(prog, "-c", arg, 0, CONF_MAX_CORES - 1, &v);
			o->core = (int)v;
			break;
		}
		ret = app_parse_num(prog, "-c", arg, 1, CONF_MAX_CONCURRENCY, &v);
		o->concurrency = (int)v;
		break;
	case 'n':
		ret = app_parse_num(prog, "-n", arg, 1, CONF_MAX_FLOWS, &o->flows);
		break;
	default:
		ret = epw_request_option(prog, o, c, arg);
		if (ret > 0)
			return app_usage_error(prog, "-%c: unknown option", c);
	}
	return ret;
}

int epw_parse_args(const struct epw_mode *m, struct epw_options *o, int argc, char **argv)
{
	int c, ret;

	mode = m;
	prog = m->prog;
	memset(o, 0, sizeof(*o));
	o->core = -1;
	o->requests_per_conn = -1;
	o->close_rst = -1;
	o->mos_conf = "conf/mos.conf";
	o->wget_conf = "conf/epwget.conf";
	opterr = 0;	/* our own messages */
	while ((c = getopt(argc, argv, ":f:w:N:c:n:o:j:m:b:H:k:P:x:s:Cvh")) != -1) {
		if (c == 'h') {
			o->help = true;
			return 0;
		}
		if (c == ':')
			return app_usage_error(prog, "-%c needs a value", optopt);
		if (c == '?')
			return app_usage_error(prog, "-%c: unknown option", optopt);
		ret = parse_option(o, c, optarg);
		if (ret != 0)
			return ret;
	}
	if (optind < argc)
		o->url = argv[optind++];
	if (optind < argc && (ret = app_parse_num(prog, "FLOWS", argv[optind++], 1, CONF_MAX_FLOWS,
					      &o->flows)) != 0)
		return ret;
	if (optind < argc)
		return app_usage_error(prog, "unexpected argument '%s'", argv[optind]);
	if (mode->cores->per_process && o->core < 0)
		return app_usage_error(prog, "-c CORE is needed: the CPU of the core mask this process runs on");
	return 0;
}

int epw_load_conf(const struct epw_options *o, struct epwget_conf *wc)
{
	char err[CONF_ERR_MAX];
	int ret = conf_epwget_load(wc, o->wget_conf, err, sizeof(err));

	if (ret != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return ret;
	}
	if (o->url != NULL && conf_parse_url(wc, o->url, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: URL: %s; see %s -h\n", prog, err, prog);
		return -EINVAL;
	}
	if (!wc->url_set) {
		fprintf(stderr, "%s: no URL: give URL on the command line or url in %s; "
			"see %s -h\n", prog, o->wget_conf, prog);
		return -EINVAL;
	}
	if (o->source_addrs != NULL &&
	    conf_set_source_addrs(wc, o->source_addrs, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: -s: %s\n", prog, err);
		return -EINVAL;
	}
	if (o->flows != 0)
		wc->total_flows = o->flows;
	if (o->concurrency != 0)
		wc->total_concurrency = o->concurrency;
	if (o->cores != 0)
		wc->core_limit = o->cores;
	if (wc->total_flows <= 0) {
		fprintf(stderr, "%s: no flow count: give FLOWS, -n, or total_flows in %s\n",
			prog, o->wget_conf);
		return -EINVAL;
	}
	return epw_request_conf(prog, o, wc);
}

/*
 * The server must be reachable through mos.conf's netdevs and routes, and
 * -s's addresses must be the routing netdev's to own: said
 * once, here, before DPDK starts, rather than by every core. A mos.conf
 * that does not parse is left to mtcp_init, which says why.
 */
static int check_route(const struct epw_options *o, const struct epwget_conf *wc)
{
	static struct mos_conf mc;
	char err[CONF_ERR_MAX], host[INET_ADDRSTRLEN];

	if (conf_mos_load(&mc, o->mos_conf, err, sizeof(err)) != 0)
		return 0;
	if (conf_route_lookup(&mc, wc->host) >= 0) {
		if (wc->n_saddr == 0 || conf_check_source_addrs(&mc, wc, err, sizeof(err)) >= 0)
			return 0;
		fprintf(stderr, "%s: %s (-s, or source_addrs in %s; mos.conf is %s)\n", prog, err,
			o->wget_conf, o->mos_conf);
		return -EINVAL;
	}
	inet_ntop(AF_INET, &wc->host, host, sizeof(host));
	fprintf(stderr, "%s: no route to %s, the URL's host: add a route_table line or a netdev "
		"whose subnet holds it in %s\n", prog, host, o->mos_conf);
	return -EINVAL;
}

/* mTCP's split: an equal share each, the remainder one each to the lowest cores. */
static long share(long total, int cores, int core)
{
	return total / cores + (core < total % cores ? 1 : 0);
}

/*
 * Streams for a core running `concurrency` connections: 3 x (mTCP's epwget's
 * max_fds), for those closing and in TIME_WAIT, and 64 more, as for the
 * buffers: at a concurrency of 2, 6 streams ran out whenever a few
 * connections waited a round trip in LAST_ACK.
 */
static int streams_for(int concurrency)
{
	return 3 * concurrency + 64;
}

/* Within the stack's limit of streams per core? */
static bool too_concurrent(int concurrency)
{
	if (concurrency <= (CONF_MAX_CONCURRENCY - 64) / 3)
		return false;
	fprintf(stderr, "%s: concurrency %d per core needs %d streams per core, above the stack's %d; "
		"lower %s or use more cores (%s)\n", prog, concurrency, streams_for(concurrency),
		CONF_MAX_CONCURRENCY, mode->cores->concurrency_knob, mode->cores->cores_knob);
	return true;
}

/*
 * Buffer pairs for a core running `concurrency` connections. mTCP's epwget
 * gives every one of its 3 x concurrency streams a pair (max_fds); but a
 * pair is taken by an open connection only (streams closing after the
 * server's FIN hold theirs for about a round trip): the concurrency, a
 * quarter more for those, and 64. The pools are resident from the start,
 * so the other two thirds were ~34 KB of memory per connection doing
 * nothing. A core that runs out (a long tcp_timewait with our side closing
 * first) counts a local shortage and opens the connection later.
 */
static int buffers_for(int concurrency)
{
	return concurrency + concurrency / 4 + 64;
}

/* epwget: decide the core count, then size each core's stack for its share. */
static int plan_cores(const struct epw_options *o, struct epwget_conf *wc, struct core_job *jobs,
		      int *ncores, long *first_flow)
{
	struct mtcp_conf mc;
	int cores;

	(void)o;
	*first_flow = 0;
	if (mtcp_getconf(&mc) != 0)
		return -errno;
	if (mc.multi_process != MTCP_MP_NONE) {
		fprintf(stderr, "epwget: the mos config has a multiprocess line: that is epwget-mp's "
			"(one process per core); remove the line to run threaded\n");
		return -EINVAL;
	}
	cores = wc->core_limit > 0 ? wc->core_limit : mc.num_cores;
	if (cores > mc.num_cores) {
		fprintf(stderr, "epwget: %d cores asked, the core mask has %d; lower -N or core_limit, "
			"or widen core_mask\n", cores, mc.num_cores);
		return -EINVAL;
	}
	if (wc->total_flows < cores)
		cores = (int)wc->total_flows;
	if (wc->total_concurrency == 0)	/* not given anywhere: 100 per core, as mOS */
		wc->total_concurrency = 100 * cores;
	if (wc->total_concurrency < cores) {
		fprintf(stderr, "epwget: total_concurrency %d is below the %d cores; each core needs "
			"at least one connection\n", wc->total_concurrency, cores);
		return -EINVAL;
	}
	for (int i = 0; i < cores; i++) {
		jobs[i].core = i;
		jobs[i].flows = share(wc->total_flows, cores, i);
		jobs[i].concurrency = (int)share(wc->total_concurrency, cores, i);
		jobs[i].daddr = wc->host;
		jobs[i].dport = htons(wc->port);
		jobs[i].saddr = wc->saddr_first;
		jobs[i].n_saddr = (int)wc->n_saddr;
	}
	if (too_concurrent(jobs[0].concurrency))
		return -EINVAL;
	mc.num_cores = cores;
	mc.max_concurrency = streams_for(jobs[0].concurrency);
	mc.max_num_buffers = buffers_for(jobs[0].concurrency);
	if (mtcp_setconf(&mc) != 0)
		return -errno;
	*ncores = cores;
	return 0;
}

/*
 * epwget-mp: this process is the group's queue of its CPU's rank in the
 * core mask; it takes that rank's share, as the threaded split would.
 */
static int plan_process(const struct epw_options *o, struct epwget_conf *wc, struct core_job *job,
			int *ncores, long *first_flow)
{
	struct mtcp_conf mc;
	int procs, rank;

	*ncores = 1;
	if (mtcp_getconf(&mc) != 0)
		return -errno;
	if (mc.multi_process == MTCP_MP_NONE) {
		fprintf(stderr, "%s: %s has no multiprocess line: add `multiprocess = %d master` for "
			"the master or `multiprocess = slave` for the others; or run the threaded "
			"epwget\n", prog, o->mos_conf, o->core);
		return -EINVAL;
	}
	if (o->core >= 64 || !((mc.cpu_mask >> o->core) & 1)) {
		fprintf(stderr, "%s: -c %d: core %d is not in core_mask 0x%llx of %s; give one of "
			"its CPUs\n", prog, o->core, o->core, (unsigned long long)mc.cpu_mask,
			o->mos_conf);
		return -EINVAL;
	}
	if (mc.multi_process == MTCP_MP_MASTER && o->core != mc.mp_master_core) {
		fprintf(stderr, "%s: -c %d: %s is the master's configuration (multiprocess = %d "
			"master): start the master with -c %d and the slaves with a slave "
			"configuration\n", prog, o->core, o->mos_conf, mc.mp_master_core,
			mc.mp_master_core);
		return -EINVAL;
	}
	procs = mc.num_cores;
	rank = __builtin_popcountll(mc.cpu_mask & ((1ULL << o->core) - 1));
	if (wc->total_concurrency == 0)
		wc->total_concurrency = 100 * procs;
	if (wc->total_concurrency < procs) {
		fprintf(stderr, "%s: total_concurrency %d is below the %d processes; each needs at "
			"least one connection\n", prog, wc->total_concurrency, procs);
		return -EINVAL;
	}
	*first_flow = 0;
	for (int k = 0; k < rank; k++)
		*first_flow += share(wc->total_flows, procs, k);
	job->core = o->core;
	job->flows = share(wc->total_flows, procs, rank);
	job->concurrency = (int)share(wc->total_concurrency, procs, rank);
	job->daddr = wc->host;
	job->dport = htons(wc->port);
	job->saddr = wc->saddr_first;
	job->n_saddr = (int)wc->n_saddr;
	if (too_concurrent(job->concurrency))
		return -EINVAL;
	mc.max_concurrency = streams_for(job->concurrency);
	mc.max_num_buffers = buffers_for(job->concurrency);
	return mtcp_setconf(&mc) == 0 ? 0 : -errno;
}

/* Why core `core` could not run: the step that failed and its errno, or what to change. */
static void print_core_failure(int core, const char *failed, int err)
{
	if (strcmp(failed, "mtcp_init_rss") == 0 && err == ENOENT)
		fprintf(stderr, "%s: core %d: no source port of mos.conf's source_ports sends its "
			"reply to this core's queue; widen source_ports or run fewer cores\n", prog,
			core);
	else
		fprintf(stderr, "%s: core %d: %s failed: %s\n", prog, core, failed, strerror(err));
}

/*
 * Whether a core failed because the ports refused the configuration (more
 * cores than a device has queues, a device that cannot serve this mode):
 * the run never started, so the exit status is a usage error's.
 */
static bool refused_at_start(const char *failed, int err)
{
	return failed != NULL && strcmp(failed, "mtcp_create_context") == 0 &&
	       (err == EINVAL || err == ENOTSUP);
}

/* One core's bring-up: context, RSS source pairs, statistics, release. */
static void *run_core(void *arg)
{
	struct core_job *job = arg;
	mctx_t mctx = mtcp_create_context(job->core);

	if (mctx == NULL) {
		job->err = errno;
		job->failed = "mtcp_create_context";
		return NULL;
	}
	if (mtcp_init_rss(mctx, job->n_saddr > 0 ? job->saddr : INADDR_ANY,
			  job->n_saddr > 0 ? job->n_saddr : 1, job->daddr, job->dport) != 0) {
		job->err = errno;
		job->failed = "mtcp_init_rss";
	}
	job->n_stats = mtcp_get_pool_stats(mctx, job->stats, MAX_POOL_ROWS);
	mtcp_destroy_context(mctx);
	return NULL;
}

/* epwget's bring-up: every core on its own thread at once. */
static void bring_up_threads(struct core_job *jobs, int cores)
{
	for (int i = 0; i < cores; i++)
		if (pthread_create(&jobs[i].thread, NULL, run_core, &jobs[i]) != 0) {
			jobs[i].err = errno;
			jobs[i].failed = "pthread_create";
			jobs[i].thread = 0;
		}
	for (int i = 0; i < cores; i++)
		if (jobs[i].thread != 0)
			pthread_join(jobs[i].thread, NULL);
}

/* epwget-mp's: no threads, this process's one core, here. */
static void bring_up_here(struct core_job *jobs, int cores)
{
	for (int i = 0; i < cores; i++)
		run_core(&jobs[i]);
}

static void report_core(const struct core_job *job)
{
	double mib = 0;
	uint64_t pairs = 0;

	for (int i = 0; i < job->n_stats; i++) {
		mib += (double)job->stats[i].bytes / (1 << 20);
		if (strcmp(job->stats[i].name, "rss_pairs") == 0)
			pairs = job->stats[i].capacity;
	}
	printf("[CPU %d] flows %ld, concurrency %d, source pairs %lu, pools %.1f MiB\n",
	       job->core, job->flows, job->concurrency, (unsigned long)pairs, mib);
	for (int i = 0; i < job->n_stats; i++)
		MOS_LOG(DEBUG, "core %d pool %-10s %8lu objects, %8.1f MiB", job->core,
			job->stats[i].name, (unsigned long)job->stats[i].capacity,
			(double)job->stats[i].bytes / (1 << 20));
}

static int check_run(const struct epwget_conf *wc, struct core_job *jobs, int cores)
{
	char host[INET_ADDRSTRLEN];
	int failed = 0;

	mode->cores->bring_up(jobs, cores);
	for (int i = 0; i < cores; i++)
		if (jobs[i].failed != NULL) {
			print_core_failure(jobs[i].core, jobs[i].failed, jobs[i].err);
			failed++;
		}

	inet_ntop(AF_INET, &wc->host, host, sizeof(host));
	printf("%s check: %ld flows to %s:%u%s over %d cores, concurrency %d\n", prog,
	       wc->total_flows, host, wc->port, wc->path, cores, wc->total_concurrency);
	for (int i = 0; i < cores; i++)
		if (jobs[i].failed == NULL)
			report_core(&jobs[i]);
	printf("%s check: %s\n", prog, failed == 0 ? "every core came up" : "some cores failed");
	if (failed != 0 && refused_at_start(jobs[0].failed, jobs[0].err))
		return EXIT_USAGE;
	return failed == 0 ? 0 : 1;
}

/* --- the run ------------------------------------------------------------------ */

static struct epw_run run;
static struct epw_core ecore[CONF_MAX_CORES];

/*
 * The first SIGINT stops new flows and gives those in flight up to one
 * second; the second exits at once. Installed with sigaction rather than
 * mtcp_register_signal: that one makes every mtcp_epoll_wait return EINTR
 * at once, which would leave no stack running for the grace second.
 */
static void on_sigint(int sig)
{
	static volatile sig_atomic_t seen;
	struct timespec ts;

	(void)sig;
	if (seen++)
		_exit(130);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	run.stop_deadline_us = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000 + 1000000;
	run.stop = 1;
}


static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *core_thread(void *arg)
{
	epw_core_run(arg, &run);
	return NULL;
}

/* A snapshot of the numbers the per-second line is made of (for one core or all). */
struct snap {
	struct epw_counters c;
	uint64_t lat_n, lat_sum, max_us;
};

static void snap_core(struct snap *sn, int i)
{
	sn->c = ecore[i].c;
	sn->lat_n = ecore[i].lat.count;
	sn->lat_sum = ecore[i].lat.sum;
	sn->max_us = __atomic_exchange_n(&ecore[i].max_us_interval, 0, __ATOMIC_RELAXED);
}

static void snap_add(struct snap *t, const struct snap *sn)
{
	epw_counters_add(&t->c, &sn->c);
	t->lat_n += sn->lat_n;
	t->lat_sum += sn->lat_sum;
	if (sn->max_us > t->max_us)
		t->max_us = sn->max_us;
}

/* One line for what changed between last and now; last becomes now. */
static void print_line(const char *who, const struct snap *now, struct snap *last)
{
	struct epw_stats_sample v;
	char line[256];

	v.connects = now->c.started - last->c.started;
	v.bytes_read = now->c.bytes_received - last->c.bytes_received;
	v.bytes_written = now->c.bytes_written - last->c.bytes_written;
	v.completes = now->c.completed - last->c.completed;
	v.resp_avg_us = now->lat_n > last->lat_n ?
			(now->lat_sum - last->lat_sum) / (now->lat_n - last->lat_n) : 0;
	v.resp_max_us = now->max_us;
	if (epw_stats_line(line, sizeof(line), who, &v) > 0)
		fprintf(stderr, "%s\n", line);
	*last = *now;
}

/* mTCP's line once a second for the second that just ended; with -v one per core first. */
static void per_second(int cores, bool verbose, struct snap *last_core, struct snap *last_all)
{
	struct snap all, sn;
	char who[16];

	memset(&all, 0, sizeof(all));
	for (int i = 0; i < cores; i++) {
		snap_core(&sn, i);
		snap_add(&all, &sn);
		snprintf(who, sizeof(who), "CPU%2d", i);
		if (verbose)
			print_line(who, &sn, &last_core[i]);
	}
	print_line("ALL", &all, last_all);
}

static void fault_add(struct epw_fault_dir *t, const struct epw_fault_dir *d)
{
	t->frames += d->frames;
	t->dropped += d->dropped;
	t->duplicated += d->duplicated;
	t->reordered += d->reordered;
	t->corrupted += d->corrupted;
	t->delayed += d->delayed;
	t->no_buffer += d->no_buffer;
	t->hold_full += d->hold_full;
}

/* What the fault injection of mos.conf did, when it did anything. */
static void print_faults(const char *dir, const struct epw_fault_dir *d)
{
	if (d->frames == 0)
		return;
	printf("[ ALL ] faults injected on %s: %lu frames, %lu dropped, %lu duplicated, %lu reordered, "
	       "%lu corrupted, %lu delayed (%lu copies and %lu holds missed: no buffer, hold full)\n",
	       dir, (unsigned long)d->frames, (unsigned long)d->dropped,
	       (unsigned long)d->duplicated, (unsigned long)d->reordered,
	       (unsigned long)d->corrupted, (unsigned long)d->delayed,
	       (unsigned long)d->no_buffer, (unsigned long)d->hold_full);
}

static void summary_fill(struct epw_summary *s, int cores, double secs)
{
	memset(s, 0, sizeof(*s));
	epw_hist_init(&s->latency);
	for (int i = 0; i < cores; i++) {
		epw_counters_add(&s->total, &ecore[i].c);
		epw_hist_merge(&s->latency, &ecore[i].lat);
		s->per_core[i] = (struct epw_core_row){ ecore[i].core, ecore[i].c.completed,
						       ecore[i].c.errors,
						       ecore[i].c.incompletes, ecore[i].rss_handovers,
						       ecore[i].no_mbuf, ecore[i].source_pairs };
	}
	s->n_cores = (uint32_t)cores;
	for (int i = 0; i < cores; i++) {
		fault_add(&s->fault_rx, &ecore[i].fault_rx);
		fault_add(&s->fault_tx, &ecore[i].fault_tx);
	}
	s->source_addrs = run.n_saddr > 0 ? (uint64_t)run.n_saddr : 1;
	s->duration_s = secs;
	s->flows_per_s = secs > 0 ? (double)s->total.completed / secs : 0;
}

static void print_summary(const struct epw_summary *s, int cores)
{
	const struct epw_counters *t = &s->total;
	const struct epw_hist *h = &s->latency;

	for (int i = 0; i < cores; i++)
		printf("[CPU %d] Completed %lu connections, errors: %lu incompletes: %lu\n",
		       ecore[i].core,
		       (unsigned long)ecore[i].c.completed, (unsigned long)ecore[i].c.errors,
		       (unsigned long)ecore[i].c.incompletes);
	printf("[ ALL ] flows: %lu completed, %lu ok, %lu http non-2xx, %lu incomplete, %lu errors "
	       "(%lu timeouts, %lu resets, %lu refused, %lu bad responses), %lu local shortages, "
	       "%lu reconnects\n",
	       (unsigned long)t->completed, (unsigned long)t->ok, (unsigned long)t->http_non_2xx,
	       (unsigned long)t->incompletes, (unsigned long)t->errors, (unsigned long)t->timeouts,
	       (unsigned long)t->resets, (unsigned long)t->refused, (unsigned long)t->bad_responses,
	       (unsigned long)t->local_errors, (unsigned long)t->reconnects);
	if (t->unreachable != 0)
		printf("[ ALL ] unreachable: %lu connections were refused by an ICMP destination "
		       "unreachable (a router or firewall on the path, or no route there): counted in "
		       "errors\n", (unsigned long)t->unreachable);
	if (t->local_errors != 0)
		printf("[ ALL ] local shortages: the stack found its pools empty %lu times for streams, "
		       "%lu for buffers, %lu for source ports (mos.conf source_ports)\n",
		       (unsigned long)t->empty_streams, (unsigned long)t->empty_buffers,
		       (unsigned long)t->empty_ports);
	printf("[ ALL ] %lu connections, %lu requests\n", (unsigned long)t->connections,
	       (unsigned long)t->requests);
	printf("[ ALL ] bytes: %lu received (%lu body), %lu written; %.3f s, %.0f flows/s\n",
	       (unsigned long)t->bytes_received, (unsigned long)t->body_bytes,
	       (unsigned long)t->bytes_written, s->duration_s, s->flows_per_s);
	printf("[ ALL ] response time us: p50 %lu, p90 %lu, p99 %lu, p99.9 %lu, max %lu\n",
	       (unsigned long)epw_hist_percentile(h, 50), (unsigned long)epw_hist_percentile(h, 90),
	       (unsigned long)epw_hist_percentile(h, 99), (unsigned long)epw_hist_percentile(h, 99.9),
	       (unsigned long)h->max);
	print_faults("receive", &s->fault_rx);
	print_faults("send", &s->fault_tx);
}

/* What to do about a symbolic link at an -o or -j path. */
static const char *const link_refused = "does not write through links; remove it or choose "
					"another path";

/* What to do about an -o body that could not be written with errno err. */
static const char *output_advice(int err)
{
	switch (err) {
	case EEXIST: return "-o writes new files only: remove the old ones or choose another -o";
	case ENOENT: return "create the directory or choose another -o";
	case ENOSPC: case EDQUOT: return "free space there or choose another -o";
	case EMFILE: case ENFILE: return "raise ulimit -n or lower -c";
	case EACCES: case EPERM: case EROFS: return "choose an -o where you may write";
	default: return "check the -o path";
	}
}

/* -o bodies not written: how many, and the first one's path, cause and remedy (stderr). */
static void print_output_errors(const char *outfile, const struct epw_summary *s, int cores)
{
	const struct epw_core *c = NULL;
	char path[PATH_MAX + 32];

	for (int i = 0; i < cores && c == NULL; i++)
		if (ecore[i].c.output_errors != 0)
			c = &ecore[i];
	if (c == NULL)
		return;
	snprintf(path, sizeof(path), "%s.%ld", outfile, c->out_flow);
	printf("[ ALL ] output errors: %lu bodies not written to their -o files\n",
	       (unsigned long)s->total.output_errors);
	if (c->out_errno == ELOOP)
		fprintf(stderr, "%s: -o: %lu bodies not written; the first: %s is a symbolic link: "
			"%s %s\n", prog, (unsigned long)s->total.output_errors, path, prog,
			link_refused);
	else
		fprintf(stderr, "%s: -o: %lu bodies not written; the first: %s: %s; %s\n", prog,
			(unsigned long)s->total.output_errors, path, strerror(c->out_errno),
			output_advice(c->out_errno));
}

/* Open files now: the entries of /proc/self/fd (less the one reading it); 0 if unknown. */
static long open_files(void)
{
	DIR *d = opendir("/proc/self/fd");
	long n = 0;

	if (d == NULL)
		return 0;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n > 3 ? n - 3 : 0;	/* ".", ".." and the directory's own */
}

/* Connections this process keeps open at once: its cores' shares. */
static int process_concurrency(const struct core_job *jobs, int cores)
{
	int n = 0;

	for (int i = 0; i < cores; i++)
		n += jobs[i].concurrency;
	return n;
}

/*
 * -o keeps a file open for each connection: `concurrency` of them at once,
 * besides what is open now (DPDK's) and a margin. Raise the soft limit of
 * open files to that when the hard limit allows; else refuse, saying what
 * to change. 0 or -errno.
 */
static int output_files_limit(const char *outfile, int concurrency)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)concurrency + (rlim_t)open_files() + 64, was;

	if (outfile == NULL || getrlimit(RLIMIT_NOFILE, &rl) != 0 ||
	    rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		fprintf(stderr, "%s: -o needs %lu open files at %s%d%s; the limit is %lu: raise it with "
			"ulimit -n or lower %s\n", prog, (unsigned long)need, mode->cores->files_at,
			concurrency, mode->cores->files_at_end, (unsigned long)rl.rlim_max,
			mode->cores->files_knob);
		return -EMFILE;
	}
	was = rl.rlim_cur;
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		fprintf(stderr, "%s: -o needs %lu open files; raising the limit from %lu failed: %s; "
			"raise it with ulimit -n\n", prog, (unsigned long)need, (unsigned long)was,
			strerror(errno));
		return -errno;
	}
	MOS_LOG(DEBUG, "open files limit raised to %lu for -o", (unsigned long)need);
	return 0;
}

/*
 * -j, opened at start so that a path it cannot write fails before the run:
 * created or truncated (a regular file is replaced), never through a
 * symbolic link. 0 or -errno, said on stderr.
 */
static int open_json(const char *path, FILE **f)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	int e;

	*f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (*f != NULL)
		return 0;
	e = errno;
	if (fd >= 0)
		close(fd);
	if (e == ELOOP)
		fprintf(stderr, "%s: -j: %s is a symbolic link: %s %s\n", prog, path, prog,
			link_refused);
	else
		fprintf(stderr, "%s: -j %s: cannot open it: %s; choose a path in a directory that "
			"exists and that you may write to\n", prog, path, strerror(e));
	return -e;
}

/* The summary into f (open_json's), which is closed. 0 or -errno. */
static int write_json(FILE *f, const char *path, const struct epw_summary *s)
{
	int ret = epw_summary_json(f, s);

	if (fclose(f) != 0 && ret == 0)
		ret = -errno;
	if (ret != 0)
		fprintf(stderr, "%s: -j %s: %s\n", prog, path, strerror(-ret));
	return ret;
}

/* epwget-mp: this process's line once a second, from its own loop (it has no other thread). */
static void mp_second(void)
{
	static struct snap last;
	struct snap sn;
	char who[16];

	snap_core(&sn, 0);
	snprintf(who, sizeof(who), "CPU%2d", ecore[0].core);
	print_line(who, &sn, &last);
}

/* -j's path; epwget-mp's: each process its own file, the core before ".json" (or at the end). */
static const char *json_path(const char *path, int core, char *buf, size_t len)
{
	size_t n = strlen(path);

	if (!mode->cores->per_process)
		return path;
	if (n > 5 && strcmp(path + n - 5, ".json") == 0)
		snprintf(buf, len, "%.*s-%d.json", (int)(n - 5), path, core);
	else
		snprintf(buf, len, "%s-%d", path, core);
	return buf;
}

static void report_failure(const struct epw_core *c)
{
	if (c->err == EPIPE)
		fprintf(stderr, "%s: core %d: the group's master exited mid-run; flows in flight "
			"were cut. Start the master, then the slaves, again\n", prog, c->core);
	else
		print_core_failure(c->core, c->failed, c->err);
}

/*
 * epwget's run: a thread per core; this one prints mTCP's line each second
 * until they are done.
 */
static void run_threads(int cores, bool verbose)
{
	static struct snap last_core[CONF_MAX_CORES], last_all;
	pthread_t threads[CONF_MAX_CORES];

	for (int i = 0; i < cores; i++)
		pthread_create(&threads[i], NULL, core_thread, &ecore[i]);
	while (__atomic_load_n(&run.cores_done, __ATOMIC_SEQ_CST) < cores) {
		double next = now_s() + 1.0;

		while (now_s() < next && __atomic_load_n(&run.cores_done, __ATOMIC_SEQ_CST) < cores)
			usleep(20000);
		per_second(cores, verbose, last_core, &last_all);
	}
	for (int i = 0; i < cores; i++)
		pthread_join(threads[i], NULL);
}

/* epwget-mp's: this process's one core on this thread, its line from its own loop. */
static void run_here(int cores, bool verbose)
{
	(void)cores;
	(void)verbose;
	run.each_second = mp_second;
	epw_core_run(&ecore[0], &run);
}

/*
 * Run every core's flows the mode's way; print mOS's per-core lines and the
 * summary. Exit status 0 when all were ok.
 */
static int flow_run(const struct epw_options *o, const struct epwget_conf *wc,
		    const struct core_job *jobs, int cores, long first_flow, FILE *json,
		    const char *jpath)
{
	static char request[EPW_REQUEST_MAX];
	struct epw_summary sum;
	long first = first_flow, total = 0;
	double t0;

	run.daddr = wc->host;
	run.saddr_first = wc->saddr_first;
	run.n_saddr = (int)wc->n_saddr;
	run.dport = htons(wc->port);
	run.request = request;
	run.request_len = epw_build_request(wc, run.body_len, request, sizeof(request));
	run.requests_per_conn = wc->requests_per_conn;
	run.pipeline = wc->pipeline;
	run.close_rst = wc->close_rst;
	run.head_only = strcmp(wc->method, "HEAD") == 0;
	run.expect_status = wc->expect_status;
	run.expect_body = wc->expect_body;
	run.expect_body_bytes = wc->expect_body_bytes;
	run.outfile = o->outfile;
	run.ncores = cores;
	run.mp = mode->cores->per_process;
	app_catch(SIGINT, on_sigint);
	t0 = now_s();
	for (int i = 0; i < cores; i++) {
		ecore[i] = (struct epw_core){ .core = jobs[i].core, .flows = jobs[i].flows,
					      .first_flow = first, .concurrency = jobs[i].concurrency,
					      .ep = -1 };
		first += jobs[i].flows;
		total += jobs[i].flows;
	}
	mode->cores->run(cores, o->verbose);
	for (int i = 0; i < cores; i++)
		if (ecore[i].failed != NULL)
			report_failure(&ecore[i]);
	summary_fill(&sum, cores, now_s() - t0);
	print_summary(&sum, cores);
	print_output_errors(o->outfile, &sum, cores);
	if (json != NULL && write_json(json, jpath, &sum) != 0)
		return 1;
	if (refused_at_start(ecore[0].failed, ecore[0].err))
		return EXIT_USAGE;
	return (long)sum.total.ok == total && sum.total.output_errors == 0 ? 0 : 1;
}

const struct epw_cores epw_thread_per_core = {
	.per_process = false,
	.plan = plan_cores,
	.bring_up = bring_up_threads,
	.run = run_threads,
	.concurrency_knob = "-c (total_concurrency)",
	.cores_knob = "-N",
	.files_at = "-c ",
	.files_at_end = "",
	.files_knob = "-c",
};

const struct epw_cores epw_process_per_core = {
	.per_process = true,
	.plan = plan_process,
	.bring_up = bring_up_here,
	.run = run_here,
	.concurrency_knob = "total_concurrency (epwget.conf)",
	.cores_knob = "more CPUs in core_mask",
	.files_at = "this process's ",
	.files_at_end = " connections",
	.files_knob = "total_concurrency (epwget.conf)",
};

int epw_main(const struct epw_mode *m, int argc, char **argv)
{
	static struct core_job jobs[CONF_MAX_CORES];
	char jbuf[PATH_MAX];
	const char *jpath = NULL;
	FILE *json = NULL;
	struct epwget_conf wc;
	struct epw_options o;
	long first_flow = 0;
	int cores = 0, ret;

	mos_log_set(m->prog, MOS_LOG_INFO);
	if (epw_parse_args(m, &o, argc, argv) != 0)
		return EXIT_USAGE;
	if (o.help) {
		fputs(m->usage, stdout);
		return 0;
	}
	if (o.verbose)
		mos_log_set(prog, MOS_LOG_DEBUG);
	if (epw_load_conf(&o, &wc) != 0 || check_route(&o, &wc) != 0 ||
	    epw_load_body(prog, &wc, &run.body, &run.body_len) != 0)
		return EXIT_USAGE;
	if (o.json != NULL && !o.check) {	/* -C writes no JSON */
		jpath = json_path(o.json, o.core, jbuf, sizeof(jbuf));
		if (open_json(jpath, &json) != 0)
			return EXIT_USAGE;
	}
	if (mtcp_init(o.mos_conf) != 0)	/* a configuration it cannot read or use: usage */
		return errno == EINVAL || errno == ENOENT || errno == EACCES || errno == EFBIG ||
		       errno == EISDIR ? EXIT_USAGE : 1;
	ret = m->cores->plan(&o, &wc, jobs, &cores, &first_flow);
	if (ret == 0)
		ret = output_files_limit(o.outfile, process_concurrency(jobs, cores));
	if (ret == 0) {
		ret = o.check ? check_run(&wc, jobs, cores) :
		      flow_run(&o, &wc, jobs, cores, first_flow, json, jpath);	/* closes json */
	} else {
		if (json != NULL)
			fclose(json);
		ret = EXIT_USAGE;
	}
	mtcp_destroy();
	free(run.body);
	return ret;
}
