/*
 * epw_main.h - epwget's program, shared by its two entries: epwget.c (the
 * threaded epwget: one process, a thread per core) and epwget_mp.c
 * (epwget-mp: one process per core, -c CORE). Each is a main() handing
 * epw_main() its mode; epw_main.c does the rest (the command line, the
 * configuration and its checks, the plan of the cores, the run, the
 * per-second lines, the summary, the JSON and the exit status).
 *
 * Main thread only.
 */
#ifndef EPWGET_EPW_MAIN_H
#define EPWGET_EPW_MAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "conf_parse.h"
#include "epw_request.h"

/*
 * How a program's cores are planned, brought up and run (defined in
 * epw_main.c): one of these two.
 */
struct epw_cores;
/* epwget: -N cores of the core mask split the flows, a thread each; the
 * main thread prints the per-second lines. */
extern const struct epw_cores epw_thread_per_core;
/* epwget-mp: this process is the core -c CORE of a multiprocess group and
 * runs its share on the main thread, printing its own line each second. */
extern const struct epw_cores epw_process_per_core;

/* What differs between the programs. */
struct epw_mode {
	const char *prog;	/* the name in messages and the log */
	const char *usage;	/* what -h prints */
	const struct epw_cores *cores;
};

/* The whole program: returns main()'s exit status (0, 1, or 2 for a usage error). */
int epw_main(const struct epw_mode *mode, int argc, char **argv);

/*
 * The steps epw_main runs before the stack starts, for test/fuzz_cli.c.
 */

/* The command line. */
struct epw_options {
	const char *mos_conf;
	const char *wget_conf;
	const char *outfile;
	const char *json;
	const char *url;
	long flows;		/* -n or FLOWS; 0 = from epwget.conf */
	int cores;		/* -N; 0 = from epwget.conf, else the core mask */
	int concurrency;	/* -c; 0 = from epwget.conf */
	int core;		/* epwget-mp -c: this process's CPU; -1 = not given */
	const char *method;	/* -m; NULL = from epwget.conf */
	const char *body_file;	/* -b */
	const char *headers[CONF_HEADERS_MAX];	/* -H, in order */
	int n_headers;
	long requests_per_conn;	/* -k; -1 = from epwget.conf */
	int pipeline;		/* -P; 0 = 1 */
	int close_rst;		/* -x: -1 = from epwget.conf, 0 fin, 1 rst */
	const char *source_addrs;	/* -s FIRST[-LAST]; NULL = from epwget.conf */
	bool verbose;
	bool check;
	bool help;		/* -h: print the usage, start nothing */
};

/*
 * Parse argv (getopt: set optind = 0 to parse afresh) into o, as mode's
 * program; mode is the module's from then on (its name in messages).
 * 0, or -EINVAL after a usage error on stderr.
 */
int epw_parse_args(const struct epw_mode *mode, struct epw_options *o, int argc, char **argv);

/*
 * o's epwget.conf into wc, then what the command line overrides; a URL
 * and a flow count are needed. 0, or nonzero after saying why on stderr.
 */
int epw_load_conf(const struct epw_options *o, struct epwget_conf *wc);

#endif
