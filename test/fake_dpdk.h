/* fake_dpdk.h - what the fake I/O module records, and the failures it can be told to return. */
#ifndef EPWGET_TEST_FAKE_DPDK_H
#define EPWGET_TEST_FAKE_DPDK_H

#include <stdbool.h>
#include <stdint.h>

#include "mos_rss.h"

struct fake_dpdk {
	bool fail_init;
	bool fail_start;
	unsigned reta_size;		/* non-zero: ports use this table */
	uint16_t reta[MOS_RETA_MAX];
	int init_calls, start_calls, attach_calls, detach_calls, fini_calls;
	unsigned nqueues;
	unsigned last_cpu;
};

extern struct fake_dpdk fake_dpdk;

#endif
