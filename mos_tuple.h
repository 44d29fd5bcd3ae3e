/*
 * mos_tuple.h - one core's 4-tuple table: a TCP stream found by its addresses and ports.
 *
 * Chained hashing over a fixed bucket array carved at start; nodes are
 * embedded in the streams, so insert and remove allocate nothing. The hash
 * is xxhash (XXH3) keyed with a per-table random seed, so a peer cannot
 * choose tuples that all land in one bucket. Lookup, insert and remove are
 * O(1) on average at the load the table is sized for (at most one entry
 * per bucket).
 *
 * Threading: a table belongs to one core.
 */
#ifndef EPWGET_MOS_TUPLE_H
#define EPWGET_MOS_TUPLE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

/* Network byte order, as in the packet: our address and port, then the peer's. */
struct mos_tuple_key {
	in_addr_t laddr;
	in_addr_t raddr;
	in_port_t lport;
	in_port_t rport;
};

struct mos_tuple_node {
	struct mos_tuple_node *next;
	struct mos_tuple_key key;
	uint32_t hash;
};

struct mos_tuple_table {
	struct mos_tuple_node **bucket;
	uint32_t mask;			/* buckets - 1 */
	uint32_t count;
	uint32_t max;			/* entries allowed */
	uint64_t seed;
	uint64_t insert_full;		/* inserts refused: table full */
	uint64_t insert_dup;		/* inserts refused: key present */
};

/*
 * Bytes of memory for a table of up to max_entries, 1..2^31 (buckets: the
 * next power of two >= max_entries, at least 16); 0 when out of range.
 */
size_t mos_tuple_mem_size(uint32_t max_entries);

/*
 * Set up in mem (aligned to 8, at least mos_tuple_mem_size bytes). seed: from
 * a random source in production. 0 or -EINVAL.
 */
int mos_tuple_init(struct mos_tuple_table *t, void *mem, size_t memlen, uint32_t max_entries,
		  uint64_t seed);

uint32_t mos_tuple_hash(const struct mos_tuple_table *t, const struct mos_tuple_key *k);

/* Insert n with n->key set. 0, -EEXIST (key present: counted), -ENOSPC (full: counted). */
int mos_tuple_insert(struct mos_tuple_table *t, struct mos_tuple_node *n);

/* The node with key k, or NULL. hash: mos_tuple_hash(t, k), computed once per packet. */
struct mos_tuple_node *mos_tuple_lookup(const struct mos_tuple_table *t,
					const struct mos_tuple_key *k, uint32_t hash);

/* Remove n, which must be in the table. */
void mos_tuple_remove(struct mos_tuple_table *t, struct mos_tuple_node *n);

#endif
