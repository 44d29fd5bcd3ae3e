/*
 * test_tuple.c - the tuple table: insert, lookup and remove, refusals and
 * their counters, chains, a long random run against a brute-force model,
 * the seeded hash and the length of chains at full load.
 */
#include "mos_tuple.h"

#include <arpa/inet.h>
#include <errno.h>

#include "check.h"

#define MAX_KEYS 65536

static struct mos_tuple_node *bucket_mem[MAX_KEYS];
static struct mos_tuple_node nodes[MAX_KEYS];
static uint8_t present[MAX_KEYS];	/* the model: node i is in the table */

/* splitmix64: a fixed seed gives the same run everywhere. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static struct mos_tuple_key random_key(uint64_t *rng)
{
	uint64_t a = rng_next(rng), b = rng_next(rng);

	return (struct mos_tuple_key){
		.laddr = (in_addr_t)a,
		.raddr = (in_addr_t)(a >> 32),
		.lport = (in_port_t)b,
		.rport = (in_port_t)(b >> 16),
	};
}

/* What epwget's own flows look like: a few local addresses, one server, every port. */
static struct mos_tuple_key client_key(uint32_t i)
{
	return (struct mos_tuple_key){
		.laddr = htonl(0x0a000001 + (i >> 16)),
		.raddr = htonl(0x0a000164),
		.lport = htons((in_port_t)i),
		.rport = htons(80),
	};
}

static int table_setup(struct mos_tuple_table *t, uint32_t max, uint64_t seed)
{
	for (size_t i = 0; i < MAX_KEYS; i++)
		nodes[i].next = NULL;
	memset(present, 0, sizeof(present));
	return mos_tuple_init(t, bucket_mem, sizeof(bucket_mem), max, seed);
}

static struct mos_tuple_node *find(const struct mos_tuple_table *t, const struct mos_tuple_key *k)
{
	return mos_tuple_lookup(t, k, mos_tuple_hash(t, k));
}

static unsigned chain_len(const struct mos_tuple_table *t, uint32_t b)
{
	unsigned n = 0;

	for (const struct mos_tuple_node *p = t->bucket[b]; p != NULL; p = p->next)
		n++;
	return n;
}

TEST(init_checks_arguments_and_mem_size_suffices)
{
	static const uint32_t maxes[] = { 1, 2, 15, 16, 17, 1000, 1024, 1025, 65535, 65536 };
	struct mos_tuple_table t;

	CHECK_EQ(mos_tuple_mem_size(0), 0);
	CHECK_EQ(mos_tuple_mem_size((UINT32_C(1) << 31) + 1), 0);
	CHECK_EQ(mos_tuple_mem_size(UINT32_C(1) << 31), (size_t)(UINT32_C(1) << 31) * sizeof(void *));
	CHECK_EQ(mos_tuple_init(&t, bucket_mem, sizeof(bucket_mem), 0, 1), -EINVAL);
	CHECK_EQ(mos_tuple_init(&t, NULL, sizeof(bucket_mem), 10, 1), -EINVAL);
	CHECK_EQ(mos_tuple_init(&t, (uint8_t *)bucket_mem + 4, sizeof(bucket_mem) - 8, 10, 1), -EINVAL);

	for (size_t i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
		uint32_t max = maxes[i];
		size_t need = mos_tuple_mem_size(max);
		uint32_t buckets;

		REQUIRE(need <= sizeof(bucket_mem));
		CHECK_EQ(mos_tuple_init(&t, bucket_mem, need - 1, max, 1), -EINVAL);
		memset(bucket_mem, 0xa5, need);	/* init must clear what it is given */
		REQUIRE(mos_tuple_init(&t, bucket_mem, need, max, 1) == 0);
		buckets = t.mask + 1;
		CHECK_EQ(buckets & t.mask, 0);	/* a power of two */
		CHECK(buckets >= max && buckets >= 16);
		CHECK(buckets == 16 || buckets / 2 < max);	/* the next one, not more */
		CHECK_EQ(need, buckets * sizeof(struct mos_tuple_node *));
		CHECK_EQ(t.max, max);
		CHECK_EQ(t.count, 0);
		for (uint32_t b = 0; b < buckets; b++)
			CHECK(t.bucket[b] == NULL);
	}
}

TEST(insert_lookup_remove)
{
	struct mos_tuple_table t;
	struct mos_tuple_node *a = &nodes[0], *b = &nodes[1];
	uint32_t h;

	REQUIRE(table_setup(&t, 100, 7) == 0);
	a->key = client_key(1000);
	b->key = client_key(1001);
	CHECK(find(&t, &a->key) == NULL);
	CHECK_EQ(mos_tuple_insert(&t, a), 0);
	CHECK_EQ(mos_tuple_insert(&t, b), 0);
	CHECK_EQ(t.count, 2);
	h = mos_tuple_hash(&t, &a->key);
	CHECK_EQ(a->hash, h);
	CHECK(mos_tuple_lookup(&t, &a->key, h) == a);
	CHECK(find(&t, &b->key) == b);

	mos_tuple_remove(&t, a);
	CHECK_EQ(t.count, 1);
	CHECK(find(&t, &a->key) == NULL);
	CHECK(find(&t, &b->key) == b);
	CHECK_EQ(mos_tuple_insert(&t, a), 0);	/* back in */
	CHECK(find(&t, &a->key) == a);
	mos_tuple_remove(&t, a);
	mos_tuple_remove(&t, b);
	CHECK_EQ(t.count, 0);
	CHECK_EQ(t.insert_dup, 0);
	CHECK_EQ(t.insert_full, 0);
}

TEST(duplicate_is_refused_and_counted)
{
	struct mos_tuple_table t;

	REQUIRE(table_setup(&t, 10, 7) == 0);
	nodes[0].key = client_key(5);
	nodes[1].key = client_key(5);
	CHECK_EQ(mos_tuple_insert(&t, &nodes[0]), 0);
	CHECK_EQ(mos_tuple_insert(&t, &nodes[1]), -EEXIST);
	CHECK_EQ(mos_tuple_insert(&t, &nodes[1]), -EEXIST);
	CHECK_EQ(t.insert_dup, 2);
	CHECK_EQ(t.count, 1);
	CHECK(find(&t, &nodes[1].key) == &nodes[0]);	/* the first one stays */
	mos_tuple_remove(&t, &nodes[0]);
	CHECK_EQ(mos_tuple_insert(&t, &nodes[1]), 0);
	CHECK(find(&t, &nodes[0].key) == &nodes[1]);
}

TEST(full_table_is_refused_and_counted)
{
	struct mos_tuple_table t;

	REQUIRE(table_setup(&t, 5, 7) == 0);
	for (uint32_t i = 0; i < 6; i++)
		nodes[i].key = client_key(i);
	for (size_t i = 0; i < 5; i++)
		CHECK_EQ(mos_tuple_insert(&t, &nodes[i]), 0);
	CHECK_EQ(mos_tuple_insert(&t, &nodes[5]), -ENOSPC);
	CHECK_EQ(mos_tuple_insert(&t, &nodes[5]), -ENOSPC);
	CHECK_EQ(t.insert_full, 2);
	CHECK(find(&t, &nodes[5].key) == NULL);
	CHECK_EQ(mos_tuple_insert(&t, &nodes[2]), -EEXIST);	/* a duplicate says so, full or not */
	CHECK_EQ(t.insert_dup, 1);
	CHECK_EQ(t.count, 5);

	mos_tuple_remove(&t, &nodes[3]);
	CHECK_EQ(mos_tuple_insert(&t, &nodes[5]), 0);
	CHECK(find(&t, &nodes[5].key) == &nodes[5]);
	CHECK(find(&t, &nodes[3].key) == NULL);
	CHECK_EQ(t.insert_full, 2);
}

TEST(remove_from_the_middle_of_a_chain)
{
	struct mos_tuple_table t;
	uint64_t rng = 11;
	size_t chain[5], n = 0;
	uint32_t target;

	/* 16 buckets: collect five random keys of one bucket */
	REQUIRE(table_setup(&t, 1, 3) == 0);
	REQUIRE(t.mask == 15);
	nodes[0].key = random_key(&rng);
	target = mos_tuple_hash(&t, &nodes[0].key) & t.mask;
	chain[n++] = 0;
	for (size_t i = 1; n < 5 && i < MAX_KEYS; i++) {
		nodes[i].key = random_key(&rng);
		if ((mos_tuple_hash(&t, &nodes[i].key) & t.mask) == target)
			chain[n++] = i;
	}
	REQUIRE(n == 5);
	REQUIRE(table_setup(&t, 16, 3) == 0);
	for (size_t i = 0; i < 5; i++)
		CHECK_EQ(mos_tuple_insert(&t, &nodes[chain[i]]), 0);
	CHECK_EQ(chain_len(&t, target), 5);

	/* chain order is newest first: 4 3 2 1 0 */
	mos_tuple_remove(&t, &nodes[chain[2]]);	/* the middle */
	CHECK_EQ(chain_len(&t, target), 4);
	mos_tuple_remove(&t, &nodes[chain[4]]);	/* the head */
	mos_tuple_remove(&t, &nodes[chain[0]]);	/* the tail */
	CHECK_EQ(chain_len(&t, target), 2);
	CHECK(find(&t, &nodes[chain[1]].key) == &nodes[chain[1]]);
	CHECK(find(&t, &nodes[chain[3]].key) == &nodes[chain[3]]);
	CHECK(find(&t, &nodes[chain[0]].key) == NULL);
	CHECK(find(&t, &nodes[chain[2]].key) == NULL);
	CHECK(find(&t, &nodes[chain[4]].key) == NULL);
	CHECK_EQ(t.count, 2);
	mos_tuple_remove(&t, &nodes[chain[1]]);
	mos_tuple_remove(&t, &nodes[chain[3]]);
	CHECK(t.bucket[target] == NULL);
	CHECK_EQ(t.count, 0);
}

TEST(absent_keys_are_not_found)
{
	struct mos_tuple_table t;
	struct mos_tuple_key k;
	uint64_t rng = 5;

	REQUIRE(table_setup(&t, 1024, 9) == 0);
	k = random_key(&rng);
	CHECK(find(&t, &k) == NULL);	/* empty table */
	for (size_t i = 0; i < 1024; i++) {
		nodes[i].key = random_key(&rng);
		REQUIRE(mos_tuple_insert(&t, &nodes[i]) == 0);
	}
	for (int i = 0; i < 10000; i++) {
		k = random_key(&rng);
		CHECK(find(&t, &k) == NULL);
	}
	/* one bit off in any byte of a present key */
	for (size_t byte = 0; byte < sizeof(k); byte++) {
		k = nodes[17].key;
		((uint8_t *)&k)[byte] ^= 0x10;
		CHECK(find(&t, &k) == NULL);
	}
	/* a hash that matches but a key that does not */
	k = nodes[17].key;
	k.rport ^= 1;
	CHECK(mos_tuple_lookup(&t, &k, nodes[17].hash) == NULL);
	CHECK(mos_tuple_lookup(&t, &nodes[17].key, nodes[17].hash) == &nodes[17]);
}

TEST(random_run_matches_the_model)
{
	enum { UNIVERSE = 8192, MAX = 4096 };
	struct mos_tuple_table t;
	uint64_t rng = 2024, dup = 0, full = 0;
	uint32_t count = 0;

	REQUIRE(table_setup(&t, MAX, 0x5eed) == 0);
	for (uint32_t i = 0; i < UNIVERSE; i++)	/* distinct keys: the port is the index */
		nodes[i].key = (struct mos_tuple_key){
			.laddr = (in_addr_t)rng_next(&rng),
			.raddr = (in_addr_t)rng_next(&rng),
			.lport = (in_port_t)i,
			.rport = (in_port_t)rng_next(&rng),
		};

	for (int op = 0; op < 200000 && check_failures == 0; op++) {
		uint64_t r = rng_next(&rng);
		uint32_t i = (uint32_t)(r >> 32) % UNIVERSE;
		struct mos_tuple_node *got;
		int rc;

		switch (r % 4) {	/* inserts outweigh removes: the table fills up */
		case 0:
		case 1:
			rc = mos_tuple_insert(&t, &nodes[i]);
			if (present[i]) {
				CHECK_EQ(rc, -EEXIST);
				dup++;
			} else if (count == MAX) {
				CHECK_EQ(rc, -ENOSPC);
				full++;
			} else {
				CHECK_EQ(rc, 0);
				present[i] = 1;
				count++;
			}
			break;
		case 2:
			if (present[i]) {
				mos_tuple_remove(&t, &nodes[i]);
				present[i] = 0;
				count--;
			}
			break;
		default:
			got = find(&t, &nodes[i].key);
			CHECK(got == (present[i] ? &nodes[i] : NULL));
			break;
		}
		CHECK_EQ(t.count, count);
	}
	CHECK_EQ(t.insert_dup, dup);
	CHECK_EQ(t.insert_full, full);
	CHECK(dup > 1000);	/* the run reached both refusals */
	CHECK(full > 1000);

	/* every node is where the model says, then the table drains to empty */
	for (uint32_t i = 0; i < UNIVERSE; i++) {
		CHECK(find(&t, &nodes[i].key) == (present[i] ? &nodes[i] : NULL));
		if (present[i])
			mos_tuple_remove(&t, &nodes[i]);
	}
	CHECK_EQ(t.count, 0);
	for (uint32_t b = 0; b <= t.mask; b++)
		CHECK(t.bucket[b] == NULL);
}

TEST(seed_changes_the_buckets)
{
	enum { N = 4096 };
	struct mos_tuple_table t1, t2;
	uint64_t rng = 77;
	unsigned same_bucket = 0, same_hash = 0;
	static struct mos_tuple_node *other_mem[N];

	REQUIRE(mos_tuple_init(&t1, bucket_mem, sizeof(bucket_mem), N, 1) == 0);
	REQUIRE(mos_tuple_init(&t2, other_mem, sizeof(other_mem), N, 2) == 0);
	for (uint32_t i = 0; i < N; i++) {
		struct mos_tuple_key k = i % 2 ? random_key(&rng) : client_key(i);
		uint32_t h1 = mos_tuple_hash(&t1, &k), h2 = mos_tuple_hash(&t2, &k);

		CHECK_EQ(h1, mos_tuple_hash(&t1, &k));	/* same seed, same hash */
		same_hash += h1 == h2;
		same_bucket += (h1 & t1.mask) == (h2 & t2.mask);
	}
	/* 1 in 4096 by chance: about one key in each table's same bucket */
	CHECK(same_bucket < 16);
	CHECK(same_hash < 2);
}

/* Fill a table of MAX_KEYS with random keys or client tuples; its longest chain (~0u: failed). */
static unsigned max_chain(struct mos_tuple_table *t, uint64_t seed, int client)
{
	uint64_t rng = seed;
	unsigned longest = 0;

	if (table_setup(t, MAX_KEYS, seed) != 0)
		return ~0u;
	for (uint32_t i = 0; i < MAX_KEYS; i++) {
		nodes[i].key = client ? client_key(i) : random_key(&rng);
		if (mos_tuple_insert(t, &nodes[i]) != 0)
			return ~0u;
	}
	for (uint32_t b = 0; b <= t->mask; b++) {
		unsigned n = chain_len(t, b);

		if (n > longest)
			longest = n;
	}
	return longest;
}

TEST(chains_stay_short_at_full_load)
{
	struct mos_tuple_table t;
	unsigned random_max = max_chain(&t, 0x1234, 0);
	unsigned client_max;

	CHECK_EQ(t.count, MAX_KEYS);
	CHECK_EQ(t.mask + 1, MAX_KEYS);	/* load 1.0 */
	client_max = max_chain(&t, 0x1234, 1);
	/* balls in bins: the longest of 65536 chains at load 1 is about 8 */
	CHECK(random_max < 12);
	CHECK(client_max < 12);
	printf("     longest chain at load 1.0: %u (random keys), %u (client tuples)\n",
	       random_max, client_max);
}

static const struct check_case cases[] = {
	CASE(init_checks_arguments_and_mem_size_suffices),
	CASE(insert_lookup_remove),
	CASE(duplicate_is_refused_and_counted),
	CASE(full_table_is_refused_and_counted),
	CASE(remove_from_the_middle_of_a_chain),
	CASE(absent_keys_are_not_found),
	CASE(random_run_matches_the_model),
	CASE(seed_changes_the_buckets),
	CASE(chains_stay_short_at_full_load),
};

CHECK_MAIN(cases)
