/*
 * epw_flow.h - one core of epwget: its share of the flows, run on its own
 * stack context (mTCP's RunWget: keep `concurrency` connections open,
 * send the GET on EPOLLOUT, read the response on EPOLLIN, count the outcome).
 *
 * Threading: a struct epw_core is written by its core's thread only; the
 * main thread reads its counters for the per-second line (a snapshot).
 */
#ifndef EPWGET_EPW_FLOW_H
#define EPWGET_EPW_FLOW_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "epw_stats.h"
#include "mtcp_api.h"

/* What every core shares, read-only while the cores run. */
struct epw_run {
	in_addr_t daddr;	/* network order */
	in_port_t dport;	/* network order */
	in_addr_t saddr_first;	/* -s: the first source address, network order */
	int n_saddr;		/* ...and how many; 0: the netdev's own address */
	const char *request;	/* the request's head, byte for byte, built once */
	size_t request_len;
	char *body;		/* -b's body, loaded at start (NULL: none), sent after each head */
	size_t body_len;
	long requests_per_conn;	/* -k: 1 a connection per request, 0 as many as the server allows */
	int pipeline;		/* -P: requests in flight per connection */
	bool close_rst;		/* -x rst: a connection ends with mtcp_abort, not mtcp_close */
	bool head_only;		/* HEAD: a response ends with its header */
	const char *outfile;	/* -o: bodies go to outfile.<flow number>; NULL: not kept */
	int expect_status;	/* epwget.conf's: 1..5 the class Nxx, 100..599 a code; 0 is 2xx */
	bool expect_body;	/* every body (decoded) must have expect_body_bytes bytes */
	uint64_t expect_body_bytes;
	int ncores;
	bool mp;		/* one process of an epwget-mp group: the group, not ncores, is waited for */
	void (*each_second)(void);	/* called once a second from the core's loop (epwget-mp) */
	volatile int stop;	/* first SIGINT: start nothing more, finish in-flight flows */
	volatile uint64_t stop_deadline_us;	/* ...until then (monotonic us); the rest are cut */
	int cores_done;		/* cores whose own flows are all done (atomic) */
};

struct epw_flow;
struct epw_req;

struct epw_core {
	int core;
	long flows;		/* this core's share */
	long first_flow;	/* global number of its first flow (for -o) */
	int concurrency;
	const struct epw_run *run;

	struct epw_counters c;	/* cumulative */
	struct epw_hist lat;	/* response times, us */
	uint64_t max_us_interval;	/* largest response time since the main thread last took it */
	uint64_t rss_handovers;
	uint64_t source_pairs;	/* its pool's (address, port) pairs, after set-up */
	uint64_t no_mbuf;	/* frames the stack could not build: the mbuf pool was empty */
	struct epw_fault_dir fault_rx, fault_tx;	/* mos.conf fault injection on this core */
	int out_errno;		/* the first -o body not written (c.output_errors): its errno */
	long out_flow;		/* ...and its flow number */
	int err;		/* a set-up step failed: its errno */
	const char *failed;

	/* private to the core */
	mctx_t mctx;
	int ep;
	long next_flow;		/* flows started */
	int active;
	struct epw_flow *slot;	/* concurrency slots, allocated at start */
	int *free_slot;		/* indexes of the free slots, a stack */
	int n_free;
	int *redo_slot;		/* slots whose flow waits for a connection: a retry met a shortage */
	int n_redo;
	struct epw_req *ring;	/* the slots' flows in flight: concurrency x pipeline */
};

/* Run core c's flows to the end (or to stop). The thread function's body. */
void epw_core_run(struct epw_core *c, struct epw_run *run);

#endif
