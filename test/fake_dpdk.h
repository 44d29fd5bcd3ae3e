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
	/* multi-process: what mos_dpdk_init_mp got, and what the group looks like */
	int mp_init_calls, mp_finish_calls;
	unsigned mp_cpu;
	int mp_others;			/* mos_dpdk_mp_others returns this */
	bool mp_master_dead;
};

extern struct fake_dpdk fake_dpdk;

/*
 * The packet path of the fake: frames live in a static pool; what a core
 * sends lands in the fake's outbox, and what a test puts in a core's inbox
 * is what that core receives. The clock is a plain variable.
 */
#define FAKE_FRAMES   4096
#define FAKE_FRAME_SZ 1536
#define FAKE_CORES    4
#define FAKE_QUEUE    4096

struct mos_core;

struct fake_frame {
	uint8_t data[FAKE_FRAME_SZ];
	uint16_t len;
	uint16_t iface;
	uint32_t ol;		/* offloads asked on transmit */
	bool used;
};

struct fake_queue {
	struct fake_frame *f[FAKE_QUEUE];
	unsigned head, n;
};

struct fake_io {
	uint64_t now_us;
	uint64_t auto_us;	/* each read of the clock moves it on this much (0: still) */
	struct mos_core *core[FAKE_CORES];
	struct fake_queue inbox[FAKE_CORES];
	struct fake_queue outbox[FAKE_CORES];
	unsigned frames_used;
	bool alloc_fail;	/* mos_io_tx_alloc fails while set */
	unsigned oversize;	/* frames sent beyond 1514 bytes: a real NIC drops them */
};

extern struct fake_io fake_io;

/* Register core as fake core number i (its inbox and outbox). */
void fake_io_attach(struct mos_core *core, int i);

/* Take a frame from core i's outbox (NULL when empty) / put one in its inbox. */
struct fake_frame *fake_io_take(int i);
int fake_io_give(int i, struct fake_frame *f);

/* A new frame with a copy of data, or NULL when the pool is empty. */
struct fake_frame *fake_io_frame(const void *data, uint16_t len);
void fake_io_free(struct fake_frame *f);

#endif
