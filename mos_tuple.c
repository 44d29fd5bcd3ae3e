/*
 * mos_tuple.c - the tuple table (see mos_tuple.h): mos_tcp_input ->
 * mos_tuple_lookup finds a segment's stream; tcp_stream_new inserts,
 * tcp_free removes.
 *
 * Each bucket is a singly linked chain of the nodes whose hash, masked,
 * names it; new nodes go at the head. A node keeps its hash, so a lookup
 * compares 4 bytes before the key's 12, and remove needs no rehash.
 */
#include "mos_tuple.h"

#include <assert.h>
#include <errno.h>
#include <stdalign.h>
#include <string.h>
#include <xxhash.h>

/* The hash and memcmp read the key as 12 bytes: no padding may hide in it. */
static_assert(sizeof(struct mos_tuple_key) == 12, "struct mos_tuple_key must have no padding");

#define FLOW_MIN_BUCKETS 16u
#define FLOW_MAX_ENTRIES (UINT32_C(1) << 31)

static uint32_t bucket_count(uint32_t max_entries)
{
	uint32_t n = FLOW_MIN_BUCKETS;

	while (n < max_entries)
		n <<= 1;
	return n;
}

size_t mos_tuple_mem_size(uint32_t max_entries)
{
	if (max_entries == 0 || max_entries > FLOW_MAX_ENTRIES)
		return 0;
	return (size_t)bucket_count(max_entries) * sizeof(struct mos_tuple_node *);
}

int mos_tuple_init(struct mos_tuple_table *t, void *mem, size_t memlen, uint32_t max_entries,
		  uint64_t seed)
{
	size_t need = mos_tuple_mem_size(max_entries);

	if (need == 0 || mem == NULL || (uintptr_t)mem % alignof(struct mos_tuple_node *) != 0 ||
	    memlen < need)
		return -EINVAL;

	memset(mem, 0, need);	/* every bucket empty */
	*t = (struct mos_tuple_table){
		.bucket = mem,
		.mask = bucket_count(max_entries) - 1,
		.max = max_entries,
		.seed = seed,
	};
	return 0;
}

uint32_t mos_tuple_hash(const struct mos_tuple_table *t, const struct mos_tuple_key *k)
{
	uint64_t h = XXH3_64bits_withSeed(k, sizeof(*k), t->seed);

	return (uint32_t)(h ^ (h >> 32));
}

struct mos_tuple_node *mos_tuple_lookup(const struct mos_tuple_table *t,
					const struct mos_tuple_key *k, uint32_t hash)
{
	struct mos_tuple_node *n;

	for (n = t->bucket[hash & t->mask]; n != NULL; n = n->next)
		if (n->hash == hash && memcmp(&n->key, k, sizeof(*k)) == 0)
			return n;
	return NULL;
}

int mos_tuple_insert(struct mos_tuple_table *t, struct mos_tuple_node *n)
{
	uint32_t hash = mos_tuple_hash(t, &n->key);
	struct mos_tuple_node **head = &t->bucket[hash & t->mask];

	if (mos_tuple_lookup(t, &n->key, hash) != NULL) {
		t->insert_dup++;
		return -EEXIST;
	}
	if (t->count == t->max) {
		t->insert_full++;
		return -ENOSPC;
	}
	n->hash = hash;
	n->next = *head;
	*head = n;
	t->count++;
	return 0;
}

void mos_tuple_remove(struct mos_tuple_table *t, struct mos_tuple_node *n)
{
	struct mos_tuple_node **pp = &t->bucket[n->hash & t->mask];

	while (*pp != NULL && *pp != n)
		pp = &(*pp)->next;
	assert(*pp == n);	/* n must be in the table */
	if (*pp == NULL)
		return;
	*pp = n->next;
	n->next = NULL;
	t->count--;
}
