/*
 * test_pool.c - the arena and the fixed-size object pools.
 */
#include "mos_pool.h"

#include <errno.h>
#include <stdlib.h>

#include "check.h"

static uint8_t mem[1 << 16] __attribute__((aligned(64)));

TEST(arena_carves_aligned_until_full)
{
	struct mos_arena a;
	uint8_t *p, *q;

	mos_arena_init(&a, mem + 1, 1000);	/* a misaligned start */
	p = mos_arena_carve(&a, 10, 64);
	REQUIRE(p != NULL);
	CHECK_EQ((uintptr_t)p % 64, 0);
	q = mos_arena_carve(&a, 1, 8);
	REQUIRE(q != NULL);
	CHECK(q >= p + 10);
	CHECK_EQ((uintptr_t)q % 8, 0);
	CHECK(mos_arena_carve(&a, 2000, 8) == NULL);	/* larger than what is left */
	CHECK(mos_arena_carve(&a, (size_t)-1, 8) == NULL);	/* no wrap-around */
	CHECK(mos_arena_carve(&a, 8, 3) == NULL);	/* not a power of two */
	CHECK(a.used <= a.size);
}

TEST(pool_gives_every_object_once_then_counts_exhaustion)
{
	struct mos_arena a;
	struct mos_pool p;
	void *got[100];

	mos_arena_init(&a, mem, sizeof(mem));
	REQUIRE(mos_pool_carve(&p, &a, "t", 24, 16, 100) == 0);
	CHECK_EQ(p.obj_size, 32);
	CHECK_EQ(p.capacity, 100);
	for (int i = 0; i < 100; i++) {
		got[i] = mos_pool_get(&p);
		REQUIRE(got[i] != NULL);
		CHECK(mos_pool_owns(&p, got[i]));
		CHECK_EQ((uintptr_t)got[i] % 16, 0);
		for (int j = 0; j < i; j++)
			CHECK(got[j] != got[i]);
		memset(got[i], 0xa5, 24);	/* the user owns all of it */
	}
	CHECK_EQ(p.in_use, 100);
	CHECK(mos_pool_get(&p) == NULL);
	CHECK(mos_pool_get(&p) == NULL);
	CHECK_EQ(p.exhausted, 2);
	for (int i = 0; i < 100; i++)
		mos_pool_put(&p, got[i]);
	CHECK_EQ(p.in_use, 0);
	CHECK_EQ(p.in_use_max, 100);
}

TEST(pool_is_lifo_and_recovers_after_exhaustion)
{
	struct mos_arena a;
	struct mos_pool p;
	void *x, *y;

	mos_arena_init(&a, mem, sizeof(mem));
	REQUIRE(mos_pool_carve(&p, &a, "t", 64, 64, 2) == 0);
	x = mos_pool_get(&p);
	y = mos_pool_get(&p);
	CHECK(mos_pool_get(&p) == NULL);
	mos_pool_put(&p, x);
	CHECK(mos_pool_get(&p) == x);	/* the warmest object first */
	mos_pool_put(&p, y);
	mos_pool_put(&p, x);
	CHECK(mos_pool_get(&p) == x);
	CHECK(mos_pool_get(&p) == y);
	CHECK_EQ(p.exhausted, 1);
}

TEST(pool_rejects_bad_sizes_and_small_arenas)
{
	struct mos_arena a;
	struct mos_pool p;

	mos_arena_init(&a, mem, 1024);
	CHECK_EQ(mos_pool_carve(&p, &a, "t", 0, 8, 1), -EINVAL);
	CHECK_EQ(mos_pool_carve(&p, &a, "t", 8, 4, 1), -EINVAL);	/* below a pointer */
	CHECK_EQ(mos_pool_carve(&p, &a, "t", 8, 24, 1), -EINVAL);	/* not a power of two */
	CHECK_EQ(mos_pool_carve(&p, &a, "t", 8, 8, 0), -EINVAL);
	CHECK_EQ(mos_pool_carve(&p, &a, "t", 64, 64, 17), -ENOMEM);	/* 1088 > 1024 */
	CHECK_EQ(a.used, 0);	/* a failed carve takes nothing */
	CHECK_EQ(mos_pool_carve(&p, &a, "t", 64, 64, 15), 0);
	CHECK(!mos_pool_owns(&p, mem + 1024));
	CHECK(!mos_pool_owns(&p, (uint8_t *)p.base + 8));	/* inside, not a start */
}

TEST(pool_mem_size_is_enough_wherever_the_arena_stands)
{
	/* what mos_pool_mem_size promises must fit whatever the cursor's alignment */
	for (size_t off = 0; off < 64; off++) {
		struct mos_arena a;
		struct mos_pool p;
		size_t need = mos_pool_mem_size(100, 64, 37);

		mos_arena_init(&a, mem + off, need);
		CHECK_EQ(mos_pool_carve(&p, &a, "t", 100, 64, 37), 0);
	}
}

static const struct check_case cases[] = {
	CASE(arena_carves_aligned_until_full),
	CASE(pool_gives_every_object_once_then_counts_exhaustion),
	CASE(pool_is_lifo_and_recovers_after_exhaustion),
	CASE(pool_rejects_bad_sizes_and_small_arenas),
	CASE(pool_mem_size_is_enough_wherever_the_arena_stands),
};

CHECK_MAIN(cases)
