/*
 * test_rss.c - unit tests of mos_rss: the Toeplitz hash against the
 * Microsoft verification vectors, the byte tables against the bitwise
 * reference, key symmetry, redirection tables, and the source pools
 * (exact partition of the candidate pairs, reply direction, FIFO reuse,
 * rejected puts and build errors).
 */
#include "mos_rss.h"

#include "check.h"

#include <arpa/inet.h>
#include <errno.h>

#define NPORTS (MOS_RSS_PORT_LAST - MOS_RSS_PORT_FIRST + 1)	/* 64511 */
#define ALL_PORTS MOS_RSS_PORT_FIRST, MOS_RSS_PORT_LAST		/* mos.conf's default */

static uint64_t rng_state = 0x243f6a8885a308d3ull;

/* splitmix64 from a fixed seed: every run checks the same tuples. */
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A dotted quad in network order, parsed by libc rather than by us. */
static in_addr_t ip4(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return a.s_addr;
}

/*
 * The reference hash of the packet src:sport -> dst:dport from host-order
 * values, the input bytes laid out by hand; n is 8 (2-tuple) or 12.
 */
static uint32_t ref_hash(const uint8_t *key, size_t key_len, uint32_t src, uint32_t dst,
			 uint16_t sport, uint16_t dport, size_t n)
{
	uint8_t in[MOS_RSS_V4_TCP_LEN] = {
		(uint8_t)(src >> 24), (uint8_t)(src >> 16), (uint8_t)(src >> 8), (uint8_t)src,
		(uint8_t)(dst >> 24), (uint8_t)(dst >> 16), (uint8_t)(dst >> 8), (uint8_t)dst,
		(uint8_t)(sport >> 8), (uint8_t)sport, (uint8_t)(dport >> 8), (uint8_t)dport,
	};

	return mos_rss_toeplitz(key, key_len, in, n);
}

/* Microsoft RSS verification vectors: the packet goes source -> destination. */
struct ms_vector {
	const char *dst;
	uint16_t dport;
	const char *src;
	uint16_t sport;
	uint32_t v4, v4_tcp;
};

static const struct ms_vector ms_vectors[] = {
	{ "161.142.100.80", 1766, "66.9.149.187", 2794, 0x323e8fc2, 0x51ccc178 },
	{ "65.69.140.83", 4739, "199.92.111.2", 14230, 0xd718262a, 0xc626b0ea },
	{ "12.22.207.184", 38024, "24.19.198.95", 12898, 0xd2d0a5de, 0x5c2b394a },
	{ "209.142.163.6", 2217, "38.27.205.30", 48228, 0x82989176, 0xafc7327f },
	{ "202.188.127.2", 1303, "153.39.163.191", 44251, 0x5d1809c5, 0x10e828a2 },
};

#define N_MS_VECTORS (sizeof(ms_vectors) / sizeof(ms_vectors[0]))

/* Keys are 12 KiB with their tables: keep them off the stack. */
static struct mos_rss_key key_a, key_b;

TEST(test_builtin_keys)
{
	static const uint8_t ms40[40] = {
		0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
		0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
		0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
	};

	CHECK(memcmp(mos_rss_key_microsoft, ms40, sizeof(ms40)) == 0);
	for (int i = 0; i < MOS_RSS_KEY_MAX; i++) {
		CHECK_EQ(mos_rss_key_symmetric[i], i % 2 ? 0x5a : 0x6d);
		CHECK_EQ(mos_rss_key_mtcp[i], 0x05);
		if (i >= 40)	/* our documented extension: bytes 0..11 again */
			CHECK_EQ(mos_rss_key_microsoft[i], ms40[i - 40]);
	}
}

TEST(test_toeplitz_single_bits)
{
	const uint8_t *key = mos_rss_key_microsoft;
	uint64_t key64 = 0x6d5a56da255b0ec2ull;	/* the key's first 8 bytes */
	uint8_t in[8] = { 0 };

	CHECK_EQ(mos_rss_toeplitz(key, 40, in, sizeof(in)), 0);
	for (int bit = 0; bit < 32; bit++) {
		memset(in, 0, sizeof(in));
		in[bit / 8] = (uint8_t)(0x80 >> (bit % 8));
		/* input bit `bit` selects key bits bit .. bit + 31 */
		CHECK_EQ(mos_rss_toeplitz(key, 40, in, sizeof(in)), (uint32_t)(key64 >> (32 - bit)));
	}
	in[0] = 0xc0;	/* two bits: the XOR of their windows */
	CHECK_EQ(mos_rss_toeplitz(key, 40, in, 1), (uint32_t)(key64 >> 32) ^ (uint32_t)(key64 >> 31));
}

TEST(test_ms_vectors_reference)
{
	for (size_t i = 0; i < N_MS_VECTORS; i++) {
		const struct ms_vector *v = &ms_vectors[i];
		uint32_t src = ntohl(ip4(v->src)), dst = ntohl(ip4(v->dst));

		for (size_t len = 40; len <= MOS_RSS_KEY_MAX; len += 12) {
			const uint8_t *key = mos_rss_key_microsoft;

			CHECK_EQ(ref_hash(key, len, src, dst, v->sport, v->dport, 8), v->v4);
			CHECK_EQ(ref_hash(key, len, src, dst, v->sport, v->dport, 12), v->v4_tcp);
		}
	}
}

TEST(test_ms_vectors_table)
{
	for (size_t len = 40; len <= MOS_RSS_KEY_MAX; len += 12) {
		REQUIRE(mos_rss_key_init(&key_a, mos_rss_key_microsoft, len) == 0);
		CHECK_EQ(key_a.len, len);
		for (size_t i = 0; i < N_MS_VECTORS; i++) {
			const struct ms_vector *v = &ms_vectors[i];
			in_addr_t src = ip4(v->src), dst = ip4(v->dst);

			CHECK_EQ(mos_rss_hash_v4(&key_a, src, dst), v->v4);
			CHECK_EQ(mos_rss_hash_v4_tcp(&key_a, src, dst, htons(v->sport), htons(v->dport)),
				 v->v4_tcp);
		}
	}
}

TEST(test_key_init_rejects_lengths)
{
	static const size_t bad[] = { 0, 1, 16, 39, 41, 51, 53, 64 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(mos_rss_key_init(&key_a, mos_rss_key_mtcp, bad[i]), -EINVAL);
	CHECK_EQ(mos_rss_key_init(NULL, mos_rss_key_mtcp, 40), -EINVAL);
	CHECK_EQ(mos_rss_key_init(&key_a, NULL, 40), -EINVAL);
}

/* n random tuples: the table hashes of k equal the reference on k's bytes. */
static void check_table_against_reference(const struct mos_rss_key *k, int n)
{
	int bad = 0;

	for (int i = 0; i < n; i++) {
		uint64_t a = rnd(), b = rnd();
		uint32_t src = (uint32_t)a, dst = (uint32_t)(a >> 32);
		uint16_t sport = (uint16_t)b, dport = (uint16_t)(b >> 16);
		uint32_t t2 = mos_rss_hash_v4(k, htonl(src), htonl(dst));
		uint32_t t4 = mos_rss_hash_v4_tcp(k, htonl(src), htonl(dst), htons(sport), htons(dport));

		bad += t2 != ref_hash(k->key, k->len, src, dst, sport, dport, 8);
		bad += t4 != ref_hash(k->key, k->len, src, dst, sport, dport, 12);
	}
	CHECK_EQ(bad, 0);
}

TEST(test_table_matches_reference)
{
	const uint8_t *keys[] = { mos_rss_key_symmetric, mos_rss_key_microsoft, mos_rss_key_mtcp };
	uint8_t random_key[MOS_RSS_KEY_MAX];

	for (size_t i = 0; i < sizeof(random_key); i++)
		random_key[i] = (uint8_t)rnd();
	for (size_t len = 40; len <= MOS_RSS_KEY_MAX; len += 12) {
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			REQUIRE(mos_rss_key_init(&key_a, keys[i], len) == 0);
			check_table_against_reference(&key_a, 2000);
		}
		REQUIRE(mos_rss_key_init(&key_a, random_key, len) == 0);
		CHECK(memcmp(key_a.key, random_key, len) == 0);
		check_table_against_reference(&key_a, 2000);
	}
}

/* Random tuples hashed a -> b and b -> a; returns how many differ. */
static int count_asymmetric(const struct mos_rss_key *k, int n)
{
	int differ = 0;

	for (int i = 0; i < n; i++) {
		uint64_t a = rnd(), b = rnd();
		in_addr_t x = (in_addr_t)a, y = (in_addr_t)(a >> 32);
		in_port_t px = (in_port_t)b, py = (in_port_t)(b >> 16);
		uint32_t fwd = mos_rss_hash_v4_tcp(k, x, y, px, py);
		uint32_t rev = mos_rss_hash_v4_tcp(k, y, x, py, px);
		uint32_t ref_fwd = ref_hash(k->key, k->len, ntohl(x), ntohl(y), ntohs(px), ntohs(py), 12);
		uint32_t ref_rev = ref_hash(k->key, k->len, ntohl(y), ntohl(x), ntohs(py), ntohs(px), 12);

		differ += fwd != rev || ref_fwd != ref_rev ||
			  mos_rss_hash_v4(k, x, y) != mos_rss_hash_v4(k, y, x);
	}
	return differ;
}

TEST(test_symmetric_keys)
{
	/* 0x6d5a repeats every 16 bits, 0x05 every 8: both hash the same both ways */
	for (size_t len = 40; len <= MOS_RSS_KEY_MAX; len += 12) {
		REQUIRE(mos_rss_key_init(&key_a, mos_rss_key_symmetric, len) == 0);
		CHECK_EQ(count_asymmetric(&key_a, 5000), 0);
		REQUIRE(mos_rss_key_init(&key_a, mos_rss_key_mtcp, len) == 0);
		CHECK_EQ(count_asymmetric(&key_a, 5000), 0);
	}
}

TEST(test_microsoft_key_not_symmetric)
{
	const struct ms_vector *v = &ms_vectors[0];
	in_addr_t src = ip4(v->src), dst = ip4(v->dst);

	REQUIRE(mos_rss_key_init(&key_a, mos_rss_key_microsoft, 40) == 0);
	CHECK(mos_rss_hash_v4_tcp(&key_a, dst, src, htons(v->dport), htons(v->sport)) != v->v4_tcp);
	CHECK(mos_rss_hash_v4(&key_a, dst, src) != v->v4);
	CHECK(count_asymmetric(&key_a, 1000) > 990);
}

TEST(test_reta_default)
{
	static struct mos_rss_reta r;

	for (unsigned nq = 1; nq <= 16; nq++) {
		REQUIRE(mos_rss_reta_default(&r, MOS_RETA_DEFAULT, nq) == 0);
		CHECK_EQ(r.size, MOS_RETA_DEFAULT);
		CHECK_EQ(r.nqueues, nq);
		for (unsigned i = 0; i < MOS_RETA_DEFAULT; i++)
			CHECK_EQ(r.queue[i], i % nq);
	}
	REQUIRE(mos_rss_reta_default(&r, 128, 4) == 0);
	CHECK_EQ(mos_rss_reta_queue(&r, 0x80000005), 1);	/* only the low 7 bits count */
	CHECK_EQ(mos_rss_reta_queue(&r, 0xffffffff), 127 % 4);
}

TEST(test_reta_rejects_bad_args)
{
	static const unsigned bad_size[] = { 0, 1, 32, 63, 65, 96, 100, 3072, 4096, 65536 };
	static const unsigned good_size[] = { 64, 128, 256, 512, 1024, 2048 };
	static struct mos_rss_reta r;
	uint16_t zeros[MOS_RETA_MAX] = { 0 };

	for (size_t i = 0; i < sizeof(bad_size) / sizeof(bad_size[0]); i++) {
		CHECK_EQ(mos_rss_reta_default(&r, bad_size[i], 4), -EINVAL);
		CHECK_EQ(mos_rss_reta_set(&r, zeros, bad_size[i], 4), -EINVAL);
	}
	for (size_t i = 0; i < sizeof(good_size) / sizeof(good_size[0]); i++) {
		CHECK_EQ(mos_rss_reta_default(&r, good_size[i], 4), 0);
		CHECK_EQ(mos_rss_reta_set(&r, zeros, good_size[i], 4), 0);
	}
	CHECK_EQ(mos_rss_reta_default(&r, 128, 0), -EINVAL);
	CHECK_EQ(mos_rss_reta_default(&r, 128, MOS_RETA_MAX + 1), -EINVAL);
	CHECK_EQ(mos_rss_reta_default(&r, 128, 1), 0);
	CHECK_EQ(mos_rss_reta_default(&r, 128, MOS_RETA_MAX), 0);
	CHECK_EQ(mos_rss_reta_set(&r, zeros, 128, 0), -EINVAL);
	CHECK_EQ(mos_rss_reta_default(NULL, 128, 4), -EINVAL);
	CHECK_EQ(mos_rss_reta_set(NULL, zeros, 128, 4), -EINVAL);
	CHECK_EQ(mos_rss_reta_set(&r, NULL, 128, 4), -EINVAL);
}

TEST(test_reta_set)
{
	static struct mos_rss_reta r, saved;
	uint16_t e[512];

	for (unsigned i = 0; i < 512; i++)
		e[i] = (uint16_t)(rnd() % 6);
	REQUIRE(mos_rss_reta_set(&r, e, 512, 6) == 0);
	CHECK_EQ(r.size, 512);
	CHECK_EQ(r.nqueues, 6);
	CHECK(memcmp(r.queue, e, sizeof(e)) == 0);
	for (uint32_t h = 0; h < 2048; h += 7)
		CHECK_EQ(mos_rss_reta_queue(&r, h | 0xabc00000), e[h % 512]);
	saved = r;
	e[511] = 6;	/* one entry past the queues */
	CHECK_EQ(mos_rss_reta_set(&r, e, 512, 6), -EINVAL);
	CHECK(memcmp(&r, &saved, sizeof(r)) == 0);
	e[511] = 5;
	e[0] = 0xffff;
	CHECK_EQ(mos_rss_reta_set(&r, e, 512, 6), -EINVAL);
	CHECK(memcmp(&r, &saved, sizeof(r)) == 0);
}

/* A pool and the memory it lives in (malloc: 16-byte aligned). */
struct built {
	struct mos_rss_pool p;
	void *mem;
	size_t len;
};

/* Count, allocate exactly what mem_size says, build; the build's result. */
static long build(struct built *b, const struct mos_rss_key *k, const struct mos_rss_reta *r,
		  uint16_t q, in_addr_t base, uint32_t num_addr, in_addr_t daddr, in_port_t dport)
{
	long n = mos_rss_pool_count(k, r, q, base, num_addr, ALL_PORTS, daddr, dport);

	b->mem = NULL;
	if (n < 0)
		return n;
	b->len = mos_rss_pool_mem_size((uint32_t)n, num_addr);
	b->mem = malloc(b->len);
	if (b->mem == NULL)
		abort();
	return mos_rss_pool_build(&b->p, b->mem, b->len, k, r, q, base, num_addr, ALL_PORTS, daddr,
				  dport);
}

/* What the pools of one configuration are checked against. */
struct tally {
	const struct mos_rss_key *k;
	const struct mos_rss_reta *r;
	uint32_t first, num_addr;	/* host order */
	uint32_t daddr;
	uint16_t dport;
	uint64_t *seen;			/* bit per (addr index, port) over all pools */
	uint64_t total, wrong_queue, dup, out_of_range;
};

/* Take a pair from the pool; count it against the reference and the pairs seen. */
static void tally_pair(struct tally *t, uint16_t q, in_addr_t saddr, in_port_t sport)
{
	uint32_t ai = ntohl(saddr) - t->first;
	uint16_t port = ntohs(sport);
	uint32_t bit = ai << 16 | port, h;

	t->total++;
	if (ai >= t->num_addr || port < MOS_RSS_PORT_FIRST) {
		t->out_of_range++;
		return;
	}
	t->dup += (t->seen[bit / 64] >> (bit % 64)) & 1;
	t->seen[bit / 64] |= 1ull << (bit % 64);
	/* the reply: server daddr:dport -> client saddr:sport */
	h = ref_hash(t->k->key, t->k->len, t->daddr, ntohl(saddr), t->dport, port, 12);
	t->wrong_queue += mos_rss_reta_queue(t->r, h) != q;
}

/* Build queue q's pool, drain it through get() and tally every pair. */
static void drain_queue(struct tally *t, uint16_t q)
{
	in_addr_t base = htonl(t->first), daddr = htonl(t->daddr), sa;
	in_port_t dport = htons(t->dport), sp;
	long count = mos_rss_pool_count(t->k, t->r, q, base, t->num_addr, ALL_PORTS, daddr, dport);
	struct built b;
	long n = build(&b, t->k, t->r, q, base, t->num_addr, daddr, dport);

	CHECK(count > 0);
	CHECK_EQ(n, count);
	if (n <= 0) {
		free(b.mem);
		return;
	}
	CHECK_EQ(b.p.capacity, count);
	CHECK_EQ(b.p.count, count);
	for (long i = 0; i < count && mos_rss_pool_get(&b.p, &sa, &sp) == 0; i++)
		tally_pair(t, q, sa, sp);
	CHECK_EQ(b.p.count, 0);
	CHECK_EQ(b.p.empty, 0);
	CHECK_EQ(mos_rss_pool_get(&b.p, &sa, &sp), -EAGAIN);
	CHECK_EQ(b.p.empty, 1);
	free(b.mem);
}

/*
 * The pools of every queue of r together hold each candidate pair exactly
 * once, each on the queue its reply hashes to by the reference function.
 */
static void check_partition(const struct mos_rss_key *k, const struct mos_rss_reta *r,
			    const char *base, uint32_t num_addr, const char *daddr, uint16_t dport)
{
	struct tally t = { .k = k, .r = r, .first = ntohl(ip4(base)), .num_addr = num_addr,
			   .daddr = ntohl(ip4(daddr)), .dport = dport };

	t.seen = calloc((size_t)num_addr * 1024, sizeof(uint64_t));
	REQUIRE(t.seen != NULL);
	for (uint16_t q = 0; q < r->nqueues; q++)
		drain_queue(&t, q);
	CHECK_EQ(t.total, (uint64_t)num_addr * NPORTS);
	CHECK_EQ(t.out_of_range, 0);
	CHECK_EQ(t.dup, 0);
	CHECK_EQ(t.wrong_queue, 0);
	free(t.seen);
}

static void check_partitions_1_to_16(const uint8_t *key, uint32_t num_addr)
{
	static struct mos_rss_reta r;

	REQUIRE(mos_rss_key_init(&key_a, key, 40) == 0);
	for (unsigned nq = 1; nq <= 16; nq++) {
		REQUIRE(mos_rss_reta_default(&r, MOS_RETA_DEFAULT, nq) == 0);
		check_partition(&key_a, &r, "10.0.0.2", num_addr, "10.0.0.4", 80);
	}
}

TEST(test_pools_partition_symmetric_key)
{
	check_partitions_1_to_16(mos_rss_key_symmetric, 1);
}

TEST(test_pools_partition_microsoft_key)
{
	check_partitions_1_to_16(mos_rss_key_microsoft, 1);
}

TEST(test_pools_partition_three_addresses)
{
	static const unsigned nqs[] = { 1, 3, 8, 16 };
	static struct mos_rss_reta r;
	const uint8_t *keys[] = { mos_rss_key_symmetric, mos_rss_key_microsoft };

	for (size_t i = 0; i < 2; i++) {
		REQUIRE(mos_rss_key_init(&key_a, keys[i], MOS_RSS_KEY_MAX) == 0);
		for (size_t j = 0; j < sizeof(nqs) / sizeof(nqs[0]); j++) {
			REQUIRE(mos_rss_reta_default(&r, MOS_RETA_DEFAULT, nqs[j]) == 0);
			check_partition(&key_a, &r, "10.0.0.2", 3, "10.0.0.4", 80);
		}
	}
	/* a range that ends at the last address of IPv4 */
	check_partition(&key_a, &r, "255.255.255.254", 2, "10.0.0.4", 8080);
}

/*
 * -s FIRST-LAST (issue 13): a queue's pool over two addresses holds exactly
 * the pairs of each address's own pool, twice a one-address pool's on one
 * queue, and every pair it hands out sends its reply to that queue.
 */
TEST(test_pool_two_addresses_twice_the_pairs)
{
	static struct mos_rss_reta r;
	in_addr_t daddr = ip4("10.0.0.4");

	REQUIRE(mos_rss_key_init(&key_a, mos_rss_key_symmetric, MOS_RSS_KEY_MAX) == 0);
	REQUIRE(mos_rss_reta_default(&r, MOS_RETA_DEFAULT, 1) == 0);
	CHECK_EQ(mos_rss_pool_count(&key_a, &r, 0, ip4("10.0.0.2"), 2, ALL_PORTS, daddr,
				    htons(80)), 2L * NPORTS);
	REQUIRE(mos_rss_reta_default(&r, MOS_RETA_DEFAULT, 4) == 0);
	for (uint16_t q = 0; q < 4; q++) {
		long one = mos_rss_pool_count(&key_a, &r, q, ip4("10.0.0.2"), 1, ALL_PORTS, daddr,
					      htons(80));
		long other = mos_rss_pool_count(&key_a, &r, q, ip4("10.0.0.3"), 1, ALL_PORTS,
						daddr, htons(80));
		struct built b;
		long n = build(&b, &key_a, &r, q, ip4("10.0.0.2"), 2, daddr, htons(80));
		long got = 0, from_second = 0;
		in_addr_t sa;
		in_port_t sp;

		CHECK_EQ(n, one + other);
		CHECK_EQ(b.p.capacity, (uint32_t)n);
		while (mos_rss_pool_get(&b.p, &sa, &sp) == 0) {
			uint32_t h = mos_rss_hash_v4_tcp(&key_a, daddr, sa, htons(80), sp);

			CHECK_EQ(mos_rss_reta_queue(&r, h), q);
			CHECK(sa == ip4("10.0.0.2") || sa == ip4("10.0.0.3"));
			from_second += sa == ip4("10.0.0.3");
			got++;
		}
		CHECK_EQ(got, n);
		CHECK_EQ(from_second, other);
		free(b.mem);
	}
	/* the addresses take turns from the first pair on, not 64,511 of one first */
	{
		struct built b;
		in_addr_t sa;
		in_port_t sp;
		int alternate = 0;

		REQUIRE(mos_rss_reta_default(&r, MOS_RETA_DEFAULT, 1) == 0);
		REQUIRE(build(&b, &key_a, &r, 0, ip4("10.0.0.2"), 2, daddr, htons(80)) ==
			2L * NPORTS);
		for (int i = 0; i < 1000 && mos_rss_pool_get(&b.p, &sa, &sp) == 0; i++)
			alternate += sa == ip4(i % 2 ? "10.0.0.3" : "10.0.0.2") &&
				     ntohs(sp) == MOS_RSS_PORT_FIRST + i / 2;
		CHECK_EQ(alternate, 1000);
		free(b.mem);
	}
}

/*
 * Queue 0's pairs, placed by the reply hash: how many would the FORWARD
 * hash (client -> server) have put on another queue?
 */
static uint64_t forward_misplaced(const struct mos_rss_key *k, const struct mos_rss_reta *r)
{
	in_addr_t base = ip4("10.0.0.2"), daddr = ip4("10.0.0.4"), sa;
	in_port_t sp;
	uint64_t misplaced = 0;
	struct built b;

	if (build(&b, k, r, 0, base, 1, daddr, htons(80)) <= 0) {
		free(b.mem);
		return 0;
	}
	while (mos_rss_pool_get(&b.p, &sa, &sp) == 0) {
		uint32_t h = ref_hash(k->key, k->len, ntohl(sa), ntohl(daddr), ntohs(sp), 80, 12);

		misplaced += mos_rss_reta_queue(r, h) != 0;
	}
	free(b.mem);
	return misplaced;
}

TEST(test_pools_direction_matters)
{
	static struct mos_rss_reta r;

	for (unsigned nq = 2; nq <= 16; nq++) {
		REQUIRE(mos_rss_reta_default(&r, MOS_RETA_DEFAULT, nq) == 0);
		REQUIRE(mos_rss_key_init(&key_a, mos_rss_key_microsoft, 40) == 0);
		CHECK(forward_misplaced(&key_a, &r) > 0);
		REQUIRE(mos_rss_key_init(&key_a, mos_rss_key_symmetric, 40) == 0);
		CHECK_EQ(forward_misplaced(&key_a, &r), 0);
	}
}

TEST(test_pools_honour_custom_reta)
{
	static struct mos_rss_reta r, def;
	uint16_t e[MOS_RETA_MAX];

	REQUIRE(mos_rss_key_init(&key_a, mos_rss_key_microsoft, 52) == 0);
	/* 512 entries of i % 6, reversed within each group of four (as when
	 * a driver packs four entries per register the other way round) */
	for (unsigned i = 0; i < 512; i++)
		e[i] = (uint16_t)((i ^ 3) % 6);
	REQUIRE(mos_rss_reta_set(&r, e, 512, 6) == 0);
	REQUIRE(mos_rss_reta_default(&def, 512, 6) == 0);
	CHECK(memcmp(r.queue, def.queue, 512 * sizeof(uint16_t)) != 0);
	check_partition(&key_a, &r, "192.168.1.10", 1, "192.168.1.1", 443);
	/* a random table of 2048 entries over 16 queues, each queue present */
	for (unsigned i = 0; i < MOS_RETA_MAX; i++)
		e[i] = (uint16_t)(i < 16 ? i : rnd() % 16);
	REQUIRE(mos_rss_reta_set(&r, e, MOS_RETA_MAX, 16) == 0);
	check_partition(&key_a, &r, "10.0.0.2", 1, "10.0.0.4", 80);
}

/* A pool for the FIFO and put tests: Microsoft key, 10.0.0.2-3, queue q of 4. */
static void small_pool(struct built *b, uint16_t q)
{
	static struct mos_rss_reta r;

	if (mos_rss_key_init(&key_b, mos_rss_key_microsoft, 40) != 0 ||
	    mos_rss_reta_default(&r, MOS_RETA_DEFAULT, 4) != 0 ||
	    build(b, &key_b, &r, q, ip4("10.0.0.2"), 2, ip4("10.0.0.4"), htons(80)) <= 0)
		abort();
}

struct pair {
	in_addr_t a;
	in_port_t p;
};

/* Take n pairs into out; how many were handed out. */
static uint32_t take(struct mos_rss_pool *p, struct pair *out, uint32_t n)
{
	uint32_t i = 0;

	while (i < n && mos_rss_pool_get(p, &out[i].a, &out[i].p) == 0)
		i++;
	return i;
}

static int same(struct pair x, struct pair y)
{
	return x.a == y.a && x.p == y.p;
}

/* A full pool, its pairs in the order it first hands them out, a buffer. */
struct fifo {
	struct built b;
	uint32_t cap;
	struct pair *first, *again;
};

/* Build the pool, take every pair into f->first and put them all back in that order. */
static int fifo_setup(struct fifo *f)
{
	small_pool(&f->b, 1);
	f->cap = f->b.p.capacity;
	f->first = calloc(f->cap, sizeof(*f->first));
	f->again = calloc(f->cap, sizeof(*f->again));
	if (f->first == NULL || f->again == NULL || take(&f->b.p, f->first, f->cap) != f->cap)
		return -1;
	for (uint32_t i = 0; i < f->cap; i++)
		if (mos_rss_pool_put(&f->b.p, f->first[i].a, f->first[i].p) != 0)
			return -1;
	return 0;
}

static void fifo_teardown(struct fifo *f)
{
	CHECK_EQ(f->b.p.empty, 0);
	CHECK_EQ(f->b.p.bad_put, 0);
	free(f->first);
	free(f->again);
	free(f->b.mem);
}

TEST(test_pool_fifo_put_order)
{
	struct fifo f;
	struct pair *order;
	uint32_t bad = 0;

	REQUIRE(fifo_setup(&f) == 0);
	/* built in ascending (port, address) order */
	for (uint32_t i = 1; i < f.cap; i++)
		bad += ntohs(f.first[i].p) < ntohs(f.first[i - 1].p) ||
		       (f.first[i].p == f.first[i - 1].p &&
			ntohl(f.first[i].a) <= ntohl(f.first[i - 1].a));
	CHECK_EQ(bad, 0);
	/* drain, put back in a shuffled order: handed out again in that order */
	order = calloc(f.cap, sizeof(*order));
	REQUIRE(order != NULL && take(&f.b.p, order, f.cap) == f.cap);
	for (uint32_t i = f.cap - 1; i > 0; i--) {
		struct pair t = order[i];
		uint32_t j = (uint32_t)(rnd() % (i + 1));

		order[i] = order[j];
		order[j] = t;
	}
	for (uint32_t i = 0; i < f.cap; i++)
		bad += mos_rss_pool_put(&f.b.p, order[i].a, order[i].p) != 0;
	CHECK_EQ(bad, 0);
	CHECK_EQ(f.b.p.count, f.cap);
	REQUIRE(take(&f.b.p, f.again, f.cap) == f.cap);
	for (uint32_t i = 0; i < f.cap; i++)
		bad += !same(f.again[i], order[i]);
	CHECK_EQ(bad, 0);
	free(order);
	fifo_teardown(&f);
}

TEST(test_pool_fifo_returned_last)
{
	struct fifo f;
	struct pair three[3];
	uint32_t bad = 0, cap;

	REQUIRE(fifo_setup(&f) == 0);
	cap = f.cap;
	/* a pair taken and returned at once is the last handed out */
	REQUIRE(take(&f.b.p, f.again, 1) == 1);
	CHECK(same(f.again[0], f.first[0]));
	CHECK_EQ(mos_rss_pool_put(&f.b.p, f.again[0].a, f.again[0].p), 0);
	REQUIRE(take(&f.b.p, f.again, cap) == cap);
	CHECK(same(f.again[cap - 1], f.first[0]));
	for (uint32_t i = 0; i + 1 < cap; i++)
		bad += !same(f.again[i], f.first[i + 1]);
	CHECK_EQ(bad, 0);
	/* refill in build order: the head is at slot 1 now, so the last put
	 * wraps to slot 0, which held another pair */
	for (uint32_t i = 0; i < cap; i++)
		mos_rss_pool_put(&f.b.p, f.first[i].a, f.first[i].p);
	/* take three, return the third then the first */
	REQUIRE(take(&f.b.p, three, 3) == 3);
	CHECK(same(three[0], f.first[0]));
	CHECK_EQ(mos_rss_pool_put(&f.b.p, three[2].a, three[2].p), 0);
	CHECK_EQ(mos_rss_pool_put(&f.b.p, three[0].a, three[0].p), 0);
	REQUIRE(take(&f.b.p, f.again, cap - 1) == cap - 1);
	for (uint32_t i = 0; i + 3 < cap; i++)
		bad += !same(f.again[i], f.first[i + 3]);
	CHECK_EQ(bad, 0);
	CHECK(same(f.again[cap - 3], three[2]));
	CHECK(same(f.again[cap - 2], three[0]));
	CHECK_EQ(f.b.p.count, 0);
	CHECK_EQ(mos_rss_pool_put(&f.b.p, three[1].a, three[1].p), 0);
	CHECK_EQ(f.b.p.count, 1);
	fifo_teardown(&f);
}

/* A put of (a, port) is refused, counted, and leaves the pool as it was. */
static void check_put_rejected(struct built *b, in_addr_t a, uint16_t port)
{
	struct mos_rss_pool before = b->p;
	void *snap = malloc(b->len);

	REQUIRE(snap != NULL);
	memcpy(snap, b->mem, b->len);
	CHECK_EQ(mos_rss_pool_put(&b->p, a, htons(port)), -EINVAL);
	CHECK_EQ(b->p.bad_put, before.bad_put + 1);
	CHECK_EQ(b->p.head, before.head);
	CHECK_EQ(b->p.count, before.count);
	CHECK_EQ(b->p.capacity, before.capacity);
	CHECK(memcmp(snap, b->mem, b->len) == 0);
	free(snap);
}

TEST(test_pool_rejects_bad_put)
{
	struct built b, other;
	struct pair x, y;

	small_pool(&b, 1);
	small_pool(&other, 2);
	REQUIRE(take(&other.p, &y, 1) == 1);
	REQUIRE(take(&b.p, &x, 1) == 1);
	CHECK_EQ(mos_rss_pool_put(&b.p, x.a, x.p), 0);
	check_put_rejected(&b, x.a, ntohs(x.p));		/* double put */
	REQUIRE(take(&b.p, &x, 1) == 1);
	check_put_rejected(&b, htonl(ntohl(b.p.saddr_base) + (b.p.ring[b.p.head] >> 16)),
			   (uint16_t)b.p.ring[b.p.head]);	/* the head pair: free */
	check_put_rejected(&b, y.a, ntohs(y.p));		/* queue 2's pair */
	check_put_rejected(&b, ip4("10.0.0.1"), ntohs(x.p));	/* below the range */
	check_put_rejected(&b, ip4("10.0.0.4"), ntohs(x.p));	/* past the range */
	check_put_rejected(&b, ip4("0.0.0.0"), ntohs(x.p));
	check_put_rejected(&b, ip4("255.255.255.255"), ntohs(x.p));
	for (uint16_t port = 0; port < MOS_RSS_PORT_FIRST; port += 41)
		check_put_rejected(&b, x.a, port);		/* below the port range */
	check_put_rejected(&b, x.a, MOS_RSS_PORT_FIRST - 1);
	CHECK_EQ(b.p.bad_put, 8 + (MOS_RSS_PORT_FIRST + 40) / 41);
	CHECK_EQ(mos_rss_pool_put(&b.p, x.a, x.p), 0);	/* the real one still goes back */
	CHECK_EQ(b.p.count, b.p.capacity);
	CHECK_EQ(b.p.empty, 0);
	free(b.mem);
	free(other.mem);
}

/*
 * mos.conf's source_ports: a pool over ports 5000-5999 of two addresses
 * holds exactly the pairs of that range whose reply hashes to its queue
 * (against the bit-by-bit reference), hands out only those, and refuses
 * a pair of the queue from outside the range.
 */
TEST(test_pool_port_range)
{
	static struct mos_rss_reta r;
	struct built b;
	struct pair x;
	in_addr_t daddr = ip4("10.0.0.4"), outside = 0;
	uint32_t want = 0, got = 0;
	long n;

	REQUIRE(mos_rss_key_init(&key_b, mos_rss_key_microsoft, 40) == 0);
	REQUIRE(mos_rss_reta_default(&r, MOS_RETA_DEFAULT, 4) == 0);
	for (uint32_t a = 0; a < 2; a++)
		for (uint32_t port = 5000; port <= 5999; port++)
			want += mos_rss_reta_queue(&r, ref_hash(mos_rss_key_microsoft, 40,
					ntohl(daddr), ntohl(ip4("10.0.0.2")) + a, 80,
					(uint16_t)port, 12)) == 1;
	REQUIRE(want > 0);
	n = mos_rss_pool_count(&key_b, &r, 1, ip4("10.0.0.2"), 2, 5000, 5999, daddr, htons(80));
	CHECK_EQ(n, want);
	b.len = mos_rss_pool_mem_size((uint32_t)n, 2);
	b.mem = malloc(b.len);
	REQUIRE(b.mem != NULL);
	CHECK_EQ(mos_rss_pool_build(&b.p, b.mem, b.len, &key_b, &r, 1, ip4("10.0.0.2"), 2, 5000, 5999,
				    daddr, htons(80)), want);
	while (take(&b.p, &x, 1) == 1) {
		CHECK(ntohs(x.p) >= 5000 && ntohs(x.p) <= 5999);
		got++;
	}
	CHECK_EQ(got, want);
	CHECK_EQ(b.p.empty, 1);		/* the get that found it empty */
	/* a port of queue 1 just outside the range is not this pool's */
	for (uint32_t port = 6000; outside == 0 && port < 7000; port++)
		if (mos_rss_reta_queue(&r, ref_hash(mos_rss_key_microsoft, 40, ntohl(daddr),
				ntohl(ip4("10.0.0.2")), 80, (uint16_t)port, 12)) == 1)
			outside = port;
	REQUIRE(outside != 0);
	check_put_rejected(&b, ip4("10.0.0.2"), (uint16_t)outside);
	free(b.mem);
}

TEST(test_pool_mem_size)
{
	CHECK_EQ(mos_rss_pool_mem_size(0, 1), 16384);
	CHECK_EQ(mos_rss_pool_mem_size(NPORTS, 1), 16384 + 4 * NPORTS);
	CHECK_EQ(mos_rss_pool_mem_size(10, 3), 3 * 16384 + 40);
	CHECK_EQ(mos_rss_pool_mem_size(UINT32_MAX, MOS_RSS_POOL_ADDR_MAX),
		 (uint64_t)MOS_RSS_POOL_ADDR_MAX * 16384 + 4ull * UINT32_MAX);
}

/* Build must fail with err and leave *p as it was. */
static void check_build_fails(long err, void *mem, size_t len, const struct mos_rss_key *k,
			      const struct mos_rss_reta *r, uint16_t q, const char *base,
			      uint32_t num_addr)
{
	struct mos_rss_pool p, before;

	memset(&p, 0xa5, sizeof(p));
	memset(&before, 0xa5, sizeof(before));
	CHECK_EQ(mos_rss_pool_build(&p, mem, len, k, r, q, ip4(base), num_addr, ALL_PORTS, ip4("10.0.0.4"),
				    htons(80)), err);
	CHECK(memcmp(&p, &before, sizeof(p)) == 0);
}

/* The pool the error tests aim at: symmetric key, queue 3 of 4, 10.0.0.2 -> 10.0.0.4:80. */
static struct mos_rss_reta err_reta;

/* Its capacity; *mem gets 8 bytes more than the *need it takes. */
static long err_setup(size_t *need, uint64_t **mem)
{
	long cap;

	if (mos_rss_key_init(&key_a, mos_rss_key_symmetric, 40) != 0 ||
	    mos_rss_reta_default(&err_reta, 128, 4) != 0)
		return -1;
	cap = mos_rss_pool_count(&key_a, &err_reta, 3, ip4("10.0.0.2"), 1, ALL_PORTS, ip4("10.0.0.4"),
				 htons(80));
	if (cap <= 0)
		return -1;
	*need = mos_rss_pool_mem_size((uint32_t)cap, 1);
	*mem = malloc(*need + 8);
	return *mem == NULL ? -1 : cap;
}

TEST(test_pool_count_bad_args)
{
	const struct mos_rss_key *k = &key_a;
	const struct mos_rss_reta *r = &err_reta;
	in_addr_t daddr = ip4("10.0.0.4");
	in_port_t dport = htons(80);
	size_t need;
	uint64_t *mem;

	REQUIRE(err_setup(&need, &mem) > 0);
	CHECK_EQ(mos_rss_pool_count(k, r, 3, ip4("10.0.0.2"), 0, ALL_PORTS, daddr, dport), -EINVAL);
	CHECK_EQ(mos_rss_pool_count(k, r, 3, ip4("10.0.0.2"), 65537, ALL_PORTS, daddr, dport), -EINVAL);
	CHECK_EQ(mos_rss_pool_count(k, r, 3, ip4("255.255.255.254"), 3, ALL_PORTS, daddr, dport),
		 -EINVAL);
	CHECK_EQ(mos_rss_pool_count(k, r, 3, ip4("255.255.0.1"), 65536, ALL_PORTS, daddr, dport),
		 -EINVAL);
	/* port ranges: below mTCP's first port, or upside down */
	CHECK_EQ(mos_rss_pool_count(k, r, 3, ip4("10.0.0.2"), 1, 1024, 2000, daddr, dport), -EINVAL);
	CHECK_EQ(mos_rss_pool_count(k, r, 3, ip4("10.0.0.2"), 1, 2001, 2000, daddr, dport), -EINVAL);
	CHECK_EQ(mos_rss_pool_count(k, r, 4, ip4("10.0.0.2"), 1, ALL_PORTS, daddr, dport), -EINVAL);
	CHECK_EQ(mos_rss_pool_count(NULL, r, 3, ip4("10.0.0.2"), 1, ALL_PORTS, daddr, dport), -EINVAL);
	CHECK_EQ(mos_rss_pool_count(k, NULL, 3, ip4("10.0.0.2"), 1, ALL_PORTS, daddr, dport), -EINVAL);
	/* the last address of IPv4 alone is a valid range */
	CHECK(mos_rss_pool_count(k, r, 3, ip4("255.255.255.255"), 1, ALL_PORTS, daddr, dport) > 0);
	free(mem);
}

TEST(test_pool_build_bad_args)
{
	const struct mos_rss_key *k = &key_a;
	const struct mos_rss_reta *r = &err_reta;
	size_t need;
	uint64_t *mem;

	REQUIRE(err_setup(&need, &mem) > 0);
	check_build_fails(-EINVAL, mem, need, k, r, 3, "10.0.0.2", 0);
	check_build_fails(-EINVAL, mem, need, k, r, 3, "10.0.0.2", 65537);
	check_build_fails(-EINVAL, mem, need, k, r, 3, "255.255.255.255", 2);
	check_build_fails(-EINVAL, mem, need, k, r, 4, "10.0.0.2", 1);
	check_build_fails(-EINVAL, mem, need, NULL, r, 3, "10.0.0.2", 1);
	check_build_fails(-EINVAL, mem, need, k, NULL, 3, "10.0.0.2", 1);
	check_build_fails(-EINVAL, NULL, need, k, r, 3, "10.0.0.2", 1);
	check_build_fails(-EINVAL, (char *)mem + 4, need, k, r, 3, "10.0.0.2", 1);
	CHECK_EQ(mos_rss_pool_build(NULL, mem, need, k, r, 3, ip4("10.0.0.2"), 1, ALL_PORTS,
				    ip4("10.0.0.4"), htons(80)), -EINVAL);
	free(mem);
}

TEST(test_pool_build_space_and_entries)
{
	static struct mos_rss_reta r2;
	uint16_t zeros[128] = { 0 };
	in_addr_t daddr = ip4("10.0.0.4");
	in_port_t dport = htons(80);
	size_t need;
	uint64_t *mem;
	long cap = err_setup(&need, &mem);

	REQUIRE(cap > 0);
	/* -ENOSPC: one byte short of the ring, of the bitmaps, nothing at all */
	check_build_fails(-ENOSPC, mem, need - 1, &key_a, &err_reta, 3, "10.0.0.2", 1);
	check_build_fails(-ENOSPC, mem, mos_rss_pool_mem_size(0, 1) - 1, &key_a, &err_reta, 3,
			  "10.0.0.2", 1);
	check_build_fails(-ENOSPC, mem, 0, &key_a, &err_reta, 3, "10.0.0.2", 1);
	/* -ENOENT: queue 1 has no entry in the table */
	REQUIRE(mos_rss_reta_set(&r2, zeros, 128, 2) == 0);
	CHECK_EQ(mos_rss_pool_count(&key_a, &r2, 1, ip4("10.0.0.2"), 1, ALL_PORTS, daddr, dport), 0);
	check_build_fails(-ENOENT, mem, need, &key_a, &r2, 1, "10.0.0.2", 1);
	/* exactly enough, and more than enough */
	for (size_t len = need; len <= need + 8; len += 8) {
		struct mos_rss_pool p;

		CHECK_EQ(mos_rss_pool_build(&p, mem, len, &key_a, &err_reta, 3, ip4("10.0.0.2"), 1, ALL_PORTS,
					    daddr, dport), cap);
		CHECK_EQ(p.capacity, cap);
		CHECK_EQ(p.count, cap);
		CHECK_EQ(p.queue, 3);
		CHECK_EQ(p.saddr_base, ip4("10.0.0.2"));
		CHECK_EQ(p.daddr, daddr);
		CHECK_EQ(p.dport, dport);
		CHECK_EQ(p.empty + p.bad_put + p.head, 0);
	}
	free(mem);
}

static const struct check_case cases[] = {
	CASE(test_builtin_keys),
	CASE(test_toeplitz_single_bits),
	CASE(test_ms_vectors_reference),
	CASE(test_ms_vectors_table),
	CASE(test_key_init_rejects_lengths),
	CASE(test_table_matches_reference),
	CASE(test_symmetric_keys),
	CASE(test_microsoft_key_not_symmetric),
	CASE(test_reta_default),
	CASE(test_reta_rejects_bad_args),
	CASE(test_reta_set),
	CASE(test_pools_partition_symmetric_key),
	CASE(test_pools_partition_microsoft_key),
	CASE(test_pools_partition_three_addresses),
	CASE(test_pool_two_addresses_twice_the_pairs),
	CASE(test_pools_direction_matters),
	CASE(test_pools_honour_custom_reta),
	CASE(test_pool_fifo_put_order),
	CASE(test_pool_fifo_returned_last),
	CASE(test_pool_rejects_bad_put),
	CASE(test_pool_port_range),
	CASE(test_pool_mem_size),
	CASE(test_pool_count_bad_args),
	CASE(test_pool_build_bad_args),
	CASE(test_pool_build_space_and_entries),
};

CHECK_MAIN(cases)
