/*
 * mos_core.h - the per-core context of the stack and what other modules of
 * the stack (not applications) may ask of it.
 *
 * One struct mos_core per core, cache-aligned, owning that core's memory
 * arena and pools, its RSS source-pair pool and its counters. It is made by
 * mtcp_create_context on the core's own thread and used only there.
 */
#ifndef EPWGET_MOS_CORE_H
#define EPWGET_MOS_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mos_pool.h"
#include "mos_rss.h"
#include "mtcp_api.h"

#define MOS_CACHE_LINE 64

/* The pools every core carves at start, in the order of the pool table in mos_core.c. */
enum mos_pool_id {
	MOS_POOL_RCVBUF,	/* receive buffers, rcvbuf_size bytes */
	MOS_POOL_SNDBUF,	/* send buffers, sndbuf_size bytes */
	MOS_POOL_COUNT
};

struct mos_core {
	struct mtcp_context ctx;	/* the application's handle; first, so a mctx_t converts */
	unsigned cpu;			/* the CPU this core's thread is pinned to */
	uint16_t queue;			/* its RX/TX queue on every port */
	int netdev;			/* the netdev its source pairs belong to, -1 before mtcp_init_rss */

	void *mem;			/* the mapping that holds this struct and the arena */
	size_t mem_size;
	bool mem_huge;			/* backed by hugepages */
	struct mos_arena arena;
	struct mos_pool pool[MOS_POOL_COUNT];

	struct mos_rss_pool rss;	/* source pairs; valid when rss_mem != NULL */
	void *rss_mem;
	size_t rss_mem_size;
} __attribute__((aligned(MOS_CACHE_LINE)));

static inline struct mos_core *mos_core_of(mctx_t mctx)
{
	return (struct mos_core *)(void *)mctx;	/* ctx is its first member */
}

/* Bytes the pools of one core take for conf (what mtcp_create_context will reserve). */
size_t mos_core_mem_size(const struct mtcp_conf *conf);

#endif
