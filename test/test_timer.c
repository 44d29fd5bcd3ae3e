/*
 * test_timer.c - the hashed timing wheel: arming, firing ticks, callbacks
 * that arm and cancel, budgets, the O(1) bound, and a long random run
 * checked against a brute-force model of when each timer must fire.
 */
#include "mos_timer.h"

#include <errno.h>

#include "check.h"

#define MAX_SLOTS 4096
#define NTIMERS 4096

static struct mos_timer slot_mem[MAX_SLOTS + 1];
static struct mos_timer timers[NTIMERS];

/* splitmix64: a fixed seed gives the same run everywhere. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return rng_next(s) % n;
}

static int wheel_setup(struct mos_wheel *w, uint32_t nslots, uint64_t now)
{
	for (size_t i = 0; i < NTIMERS; i++)
		mos_timer_init(&timers[i]);
	return mos_wheel_init(w, slot_mem, sizeof(slot_mem), nslots, now);
}

/* Records what fired: the timer's index and the wheel's tick at the time. */
struct log {
	struct mos_wheel *w;
	unsigned n;
	size_t idx[NTIMERS];
	uint64_t tick[NTIMERS];
	uint64_t expires[NTIMERS];
};

static void log_fire(struct mos_timer *t, void *arg)
{
	struct log *l = arg;

	if (l->n < NTIMERS) {
		l->idx[l->n] = (size_t)(t - timers);
		l->tick[l->n] = l->w->now;
		l->expires[l->n] = t->expires;
	}
	l->n++;
}

static struct log lg;

static void log_reset(struct mos_wheel *w)
{
	lg.w = w;
	lg.n = 0;
}

TEST(init_rejects_bad_arguments)
{
	struct mos_wheel w;
	static uint64_t raw[4];

	CHECK_EQ(mos_wheel_mem_size(8), 9 * sizeof(struct mos_timer));
	CHECK_EQ(mos_wheel_init(&w, slot_mem, sizeof(slot_mem), 0, 0), -EINVAL);
	CHECK_EQ(mos_wheel_init(&w, slot_mem, sizeof(slot_mem), 1, 0), -EINVAL);
	CHECK_EQ(mos_wheel_init(&w, slot_mem, sizeof(slot_mem), 3, 0), -EINVAL);
	CHECK_EQ(mos_wheel_init(&w, slot_mem, sizeof(slot_mem), UINT32_C(1) << 25, 0), -EINVAL);
	CHECK_EQ(mos_wheel_init(&w, NULL, sizeof(slot_mem), 8, 0), -EINVAL);
	CHECK_EQ(mos_wheel_init(&w, slot_mem, mos_wheel_mem_size(8) - 1, 8, 0), -EINVAL);
	CHECK_EQ(mos_wheel_init(&w, (uint8_t *)raw + 4, sizeof(raw) - 4, 2, 0), -EINVAL);
	CHECK_EQ(mos_wheel_init(&w, slot_mem, mos_wheel_mem_size(8), 8, 7), 0);
	CHECK_EQ(w.now, 7);
	CHECK_EQ(w.armed, 0);
	CHECK_EQ(mos_wheel_init(&w, slot_mem, mos_wheel_mem_size(2), 2, 0), 0);
}

TEST(arm_cancel_rearm)
{
	struct mos_wheel w;
	struct mos_timer *a = &timers[0], *b = &timers[1];

	REQUIRE(wheel_setup(&w, 8, 100) == 0);
	log_reset(&w);
	CHECK(!mos_timer_armed(a));
	mos_timer_cancel(&w, a);	/* not armed: nothing */
	CHECK_EQ(w.armed, 0);

	mos_timer_arm(&w, a, 105);
	CHECK(mos_timer_armed(a));
	CHECK_EQ(w.armed, 1);
	mos_timer_cancel(&w, a);
	CHECK(!mos_timer_armed(a));
	CHECK_EQ(w.armed, 0);
	mos_timer_cancel(&w, a);
	CHECK_EQ(w.armed, 0);

	mos_timer_arm(&w, a, 105);
	mos_timer_arm(&w, b, 103);
	mos_timer_arm(&w, a, 110);	/* re-arming moves it, counts once */
	CHECK_EQ(w.armed, 2);
	CHECK_EQ(mos_wheel_advance(&w, 102, log_fire, &lg, 0), 0);
	CHECK_EQ(mos_wheel_advance(&w, 103, log_fire, &lg, 0), 1);
	CHECK_EQ(lg.idx[0], 1);
	CHECK(!mos_timer_armed(b));
	CHECK_EQ(mos_wheel_advance(&w, 109, log_fire, &lg, 0), 0);	/* not at 105 any more */
	CHECK_EQ(mos_wheel_advance(&w, 110, log_fire, &lg, 0), 1);
	CHECK_EQ(lg.idx[1], 0);
	CHECK_EQ(lg.tick[1], 110);
	CHECK_EQ(w.armed, 0);
	CHECK_EQ(w.fired, 2);
	CHECK_EQ(w.now, 110);

	mos_timer_arm(&w, a, 200);	/* a fired timer can be armed again */
	CHECK_EQ(mos_wheel_advance(&w, 200, log_fire, &lg, 0), 1);
	CHECK_EQ(w.armed, 0);
}

TEST(past_and_present_fire_at_the_next_advance)
{
	struct mos_wheel w;

	REQUIRE(wheel_setup(&w, 8, 50) == 0);
	log_reset(&w);
	mos_timer_arm(&w, &timers[0], 10);	/* long past */
	mos_timer_arm(&w, &timers[1], 50);	/* the tick already processed */
	mos_timer_arm(&w, &timers[2], 0);
	CHECK_EQ(mos_wheel_advance(&w, 50, log_fire, &lg, 0), 3);	/* even without a new tick */
	CHECK_EQ(w.armed, 0);
	mos_timer_arm(&w, &timers[0], 42);
	CHECK_EQ(mos_wheel_advance(&w, 51, log_fire, &lg, 0), 1);
	CHECK_EQ(mos_wheel_advance(&w, 51 + 8, log_fire, &lg, 0), 0);	/* and only once */
}

TEST(clock_does_not_go_back)
{
	struct mos_wheel w;

	REQUIRE(wheel_setup(&w, 8, 1000) == 0);
	log_reset(&w);
	mos_timer_arm(&w, &timers[0], 1001);
	CHECK_EQ(mos_wheel_advance(&w, 3, log_fire, &lg, 0), 0);
	CHECK_EQ(w.now, 1000);
	CHECK(mos_timer_armed(&timers[0]));
	CHECK_EQ(mos_wheel_advance(&w, 1001, log_fire, &lg, 0), 1);
}

TEST(far_timer_is_revisited_once_per_turn)
{
	struct mos_wheel w;
	const uint64_t start = 1000;

	for (uint64_t d = 1; d <= 100; d++) {
		REQUIRE(wheel_setup(&w, 8, start) == 0);
		log_reset(&w);
		mos_timer_arm(&w, &timers[0], start + d);
		for (uint64_t now = start + 1; now < start + d; now++)
			CHECK_EQ(mos_wheel_advance(&w, now, log_fire, &lg, 0), 0);
		CHECK_EQ(mos_wheel_advance(&w, start + d, log_fire, &lg, 0), 1);
		CHECK_EQ(lg.tick[0], start + d);
		CHECK_EQ(w.revisited, (d - 1) / 8);
	}
}

TEST(timers_within_one_turn_cost_o1)
{
	struct mos_wheel w;
	uint64_t rng = 1, fired = 0;
	const uint32_t nslots = 1024;

	/* stepped one tick at a time */
	REQUIRE(wheel_setup(&w, nslots, 0) == 0);
	log_reset(&w);
	for (size_t i = 0; i < NTIMERS; i++)
		mos_timer_arm(&w, &timers[i], 1 + rng_below(&rng, nslots));
	for (uint64_t now = 1; now <= nslots; now++)
		fired += mos_wheel_advance(&w, now, log_fire, &lg, 0);
	CHECK_EQ(fired, NTIMERS);
	CHECK_EQ(w.revisited, 0);
	CHECK_EQ(w.armed, 0);

	/* in jumps of various sizes, with a second turn's timers that must each be seen once */
	REQUIRE(wheel_setup(&w, nslots, 0) == 0);
	log_reset(&w);
	for (size_t i = 0; i < NTIMERS; i++)
		mos_timer_arm(&w, &timers[i], 1 + rng_below(&rng, 2 * nslots));
	fired = 0;
	for (uint64_t now = 0; now < 2 * nslots;) {
		now += 1 + rng_below(&rng, 100);
		fired += mos_wheel_advance(&w, now, log_fire, &lg, 0);
	}
	CHECK_EQ(fired, NTIMERS);
	CHECK(w.revisited <= NTIMERS);
	for (unsigned i = 0; i < lg.n && i < NTIMERS; i++)
		CHECK_EQ(lg.tick[i], lg.expires[i]);	/* each at its own slot's tick */
}

TEST(large_jump_fires_everything_once_in_one_turn)
{
	struct mos_wheel w;
	uint64_t rng = 2;
	static uint8_t seen[NTIMERS];

	REQUIRE(wheel_setup(&w, 64, 5) == 0);
	log_reset(&w);
	for (size_t i = 0; i < NTIMERS; i++)
		mos_timer_arm(&w, &timers[i], 6 + rng_below(&rng, 50 * 64));
	CHECK_EQ(mos_wheel_advance(&w, 1000000, log_fire, &lg, 0), NTIMERS);
	CHECK_EQ(w.now, 1000000);
	CHECK_EQ(w.revisited, 0);	/* every slot visited once, everything due */
	CHECK_EQ(w.armed, 0);
	memset(seen, 0, sizeof(seen));
	for (unsigned i = 0; i < NTIMERS; i++)
		seen[lg.idx[i]]++;
	for (unsigned i = 0; i < NTIMERS; i++)
		CHECK_EQ(seen[i], 1);

	/* a jump short of what is armed leaves the rest, each seen once */
	REQUIRE(wheel_setup(&w, 64, 0) == 0);
	for (size_t i = 0; i < 100; i++)
		mos_timer_arm(&w, &timers[i], 10000 + i);
	CHECK_EQ(mos_wheel_advance(&w, 5000, log_fire, &lg, 0), 0);
	CHECK_EQ(w.revisited, 100);
	CHECK_EQ(mos_wheel_advance(&w, 10049, log_fire, &lg, 0), 50);
	CHECK_EQ(w.armed, 50);
}

TEST(fire_order_follows_the_slots)
{
	struct mos_wheel w;
	uint64_t rng = 3;

	REQUIRE(wheel_setup(&w, 512, 100) == 0);
	log_reset(&w);
	for (size_t i = 0; i < 2000; i++)
		mos_timer_arm(&w, &timers[i], 100 + rng_below(&rng, 512));	/* 100: overdue */
	CHECK_EQ(mos_wheel_advance(&w, 100 + 511, log_fire, &lg, 0), 2000);
	for (unsigned i = 1; i < 2000; i++)
		CHECK(lg.expires[i - 1] <= lg.expires[i]);
	for (unsigned i = 0; i < 2000; i++)
		CHECK_EQ(lg.tick[i], lg.expires[i]);	/* the wheel's tick when each fired */
}

/* Callbacks that act on other timers. */
struct act {
	struct mos_wheel *w;
	unsigned fired;
	size_t last;
	uint64_t period;	/* re-arm self at now + period when not 0 */
	int cancel_other;	/* cancel timers[0] or timers[1], whichever did not fire */
	uint64_t move_other;	/* re-arm the other one at this tick */
};

static void act_fire(struct mos_timer *t, void *arg)
{
	struct act *a = arg;
	size_t i = (size_t)(t - timers);

	a->fired++;
	a->last = i;
	if (a->period != 0)
		mos_timer_arm(a->w, t, a->w->now + a->period);
	if (a->cancel_other)
		mos_timer_cancel(a->w, &timers[1 - i]);
	if (a->move_other != 0) {
		mos_timer_arm(a->w, &timers[1 - i], a->move_other);
		a->move_other = 0;
	}
}

TEST(fn_rearms_itself_periodically)
{
	struct mos_wheel w;
	struct act a = { .w = &w, .period = 3 };

	REQUIRE(wheel_setup(&w, 8, 0) == 0);
	mos_timer_arm(&w, &timers[0], 3);
	for (uint64_t now = 1; now <= 30; now++) {
		unsigned n = mos_wheel_advance(&w, now, act_fire, &a, 0);

		CHECK_EQ(n, now % 3 == 0);
	}
	CHECK_EQ(a.fired, 10);
	CHECK_EQ(w.armed, 1);
	/*
	 * A jump visits the last turn's slots, 993..1000: the timer (33, in
	 * slot 1) fires at 993, and what fn arms for ticks still ahead in the
	 * same call fires in it too: 996 and 999.
	 */
	CHECK_EQ(mos_wheel_advance(&w, 1000, act_fire, &a, 0), 3);
	CHECK_EQ(timers[0].expires, 1002);
}

static void rearm_at_tick(struct mos_timer *t, void *arg)
{
	struct act *a = arg;

	a->fired++;
	mos_timer_arm(a->w, t, a->w->now);	/* the tick being processed */
}

TEST(fn_rearming_at_the_current_tick_does_not_loop)
{
	struct mos_wheel w;
	struct act a = { .w = &w };

	REQUIRE(wheel_setup(&w, 8, 10) == 0);
	mos_timer_arm(&w, &timers[0], 12);
	for (unsigned i = 1; i <= 4; i++) {
		CHECK_EQ(mos_wheel_advance(&w, 12, rearm_at_tick, &a, 0), 1);
		CHECK_EQ(a.fired, i);
	}
	CHECK_EQ(w.armed, 1);
}

static void rearm_in_past(struct mos_timer *t, void *arg)
{
	struct act *a = arg;

	a->fired++;
	mos_timer_arm(a->w, t, 0);
}

TEST(fn_rearming_itself_overdue_fires_once_per_call)
{
	struct mos_wheel w;
	struct act a = { .w = &w };

	REQUIRE(wheel_setup(&w, 8, 10) == 0);
	mos_timer_arm(&w, &timers[0], 3);
	for (unsigned i = 1; i <= 5; i++) {
		CHECK_EQ(mos_wheel_advance(&w, 10 + i / 2, rearm_in_past, &a, 0), 1);
		CHECK_EQ(a.fired, i);
		CHECK(mos_timer_armed(&timers[0]));
	}
	mos_timer_cancel(&w, &timers[0]);
	CHECK_EQ(w.armed, 0);
}

TEST(fn_cancels_a_timer_of_its_own_slot)
{
	struct mos_wheel w;
	struct act a = { .w = &w, .cancel_other = 1 };

	/* both in the slot being run */
	REQUIRE(wheel_setup(&w, 8, 0) == 0);
	mos_timer_arm(&w, &timers[0], 5);
	mos_timer_arm(&w, &timers[1], 5);
	CHECK_EQ(mos_wheel_advance(&w, 5, act_fire, &a, 0), 1);
	CHECK(!mos_timer_armed(&timers[1 - a.last]));
	CHECK_EQ(w.armed, 0);
	CHECK_EQ(mos_wheel_advance(&w, 100, act_fire, &a, 0), 0);

	/* both overdue */
	a.fired = 0;
	mos_timer_arm(&w, &timers[0], 1);
	mos_timer_arm(&w, &timers[1], 2);
	CHECK_EQ(mos_wheel_advance(&w, 100, act_fire, &a, 0), 1);
	CHECK_EQ(w.armed, 0);

	/* the other one in a later slot of the same advance */
	mos_timer_arm(&w, &timers[0], 101);
	mos_timer_arm(&w, &timers[1], 104);
	CHECK_EQ(mos_wheel_advance(&w, 106, act_fire, &a, 0), 1);
	CHECK_EQ(a.last, 0);
	CHECK_EQ(w.armed, 0);
}

TEST(fn_moves_a_timer_of_its_own_slot)
{
	struct mos_wheel w;
	struct act a = { .w = &w, .move_other = 9 };

	REQUIRE(wheel_setup(&w, 8, 0) == 0);
	mos_timer_arm(&w, &timers[0], 5);
	mos_timer_arm(&w, &timers[1], 5);
	CHECK_EQ(mos_wheel_advance(&w, 5, act_fire, &a, 0), 1);
	CHECK_EQ(w.armed, 1);
	CHECK_EQ(mos_wheel_advance(&w, 8, act_fire, &a, 0), 0);
	CHECK_EQ(mos_wheel_advance(&w, 9, act_fire, &a, 0), 1);

	/* moved later within the advance that runs: fires in it, at its own slot */
	a.move_other = 15;
	mos_timer_arm(&w, &timers[0], 12);
	mos_timer_arm(&w, &timers[1], 12);
	CHECK_EQ(mos_wheel_advance(&w, 16, act_fire, &a, 0), 2);
	CHECK_EQ(w.armed, 0);
}

TEST(budget_limits_and_the_rest_fire_next_call)
{
	struct mos_wheel w;
	unsigned n;

	/* ten in one tick */
	REQUIRE(wheel_setup(&w, 8, 0) == 0);
	log_reset(&w);
	for (size_t i = 0; i < 10; i++)
		mos_timer_arm(&w, &timers[i], 4);
	CHECK_EQ(mos_wheel_advance(&w, 6, log_fire, &lg, 3), 3);
	CHECK_EQ(w.now, 3);	/* tick 4 not done */
	CHECK_EQ(mos_wheel_advance(&w, 6, log_fire, &lg, 3), 3);
	CHECK_EQ(mos_wheel_advance(&w, 6, log_fire, &lg, 3), 3);
	CHECK_EQ(mos_wheel_advance(&w, 6, log_fire, &lg, 3), 1);
	CHECK_EQ(w.now, 6);
	CHECK_EQ(mos_wheel_advance(&w, 6, log_fire, &lg, 3), 0);
	CHECK_EQ(w.armed, 0);

	/* one per tick, 1..10, in order across calls */
	REQUIRE(wheel_setup(&w, 16, 0) == 0);
	log_reset(&w);
	for (size_t i = 0; i < 10; i++)
		mos_timer_arm(&w, &timers[i], 1 + i);
	CHECK_EQ(mos_wheel_advance(&w, 10, log_fire, &lg, 4), 4);
	CHECK_EQ(w.now, 4);
	CHECK_EQ(mos_wheel_advance(&w, 10, log_fire, &lg, 4), 4);
	CHECK_EQ(w.now, 8);
	CHECK_EQ(mos_wheel_advance(&w, 10, log_fire, &lg, 4), 2);
	CHECK_EQ(w.now, 10);
	for (unsigned i = 0; i < 10; i++)
		CHECK_EQ(lg.idx[i], i);

	/* overdue ones count against the budget too */
	REQUIRE(wheel_setup(&w, 8, 100) == 0);
	log_reset(&w);
	for (size_t i = 0; i < 5; i++)
		mos_timer_arm(&w, &timers[i], 50);
	mos_timer_arm(&w, &timers[5], 101);
	CHECK_EQ(mos_wheel_advance(&w, 101, log_fire, &lg, 2), 2);
	CHECK_EQ(w.now, 100);
	CHECK_EQ(mos_wheel_advance(&w, 101, log_fire, &lg, 2), 2);
	CHECK_EQ(mos_wheel_advance(&w, 101, log_fire, &lg, 2), 2);
	CHECK_EQ(lg.idx[5], 5);
	CHECK_EQ(w.armed, 0);

	/* a budget stop in the middle of a one-turn jump loses nothing */
	REQUIRE(wheel_setup(&w, 8, 0) == 0);
	log_reset(&w);
	for (size_t i = 0; i < 40; i++)
		mos_timer_arm(&w, &timers[i], 1 + i);
	n = mos_wheel_advance(&w, 1000, log_fire, &lg, 7);
	CHECK_EQ(n, 7);
	while ((n = mos_wheel_advance(&w, 1000, log_fire, &lg, 7)) != 0)
		CHECK(n <= 7);
	CHECK_EQ(lg.n, 40);
	CHECK_EQ(w.armed, 0);
	CHECK_EQ(w.now, 1000);
}

/*
 * The random run. The model knows, for each timer, whether it is armed,
 * its expiry, and whether the running advance must fire it: one armed
 * before the call and due by the call's now must fire in it, one armed
 * from fn must if its expiry is after the wheel's tick at the time and by
 * now; no other may fire. A call that stops on its budget leaves due ones
 * for the next call, which must fire them.
 */
#define SIM_TIMERS 256
#define SIM_SLOTS 64

struct sim_timer {
	uint64_t expires;
	bool armed;
	bool eligible;
};

struct sim {
	struct mos_wheel w;
	struct sim_timer m[SIM_TIMERS];
	uint64_t rng;
	uint64_t clock;		/* the caller's now: never goes back */
	bool in_call;
	unsigned fired;		/* in the running call */
	uint64_t total_fired;
	uint64_t fired_from_fn;	/* fired after being armed from fn in the same call */
	unsigned bad;		/* model mismatches seen in fn */
};

static struct sim sim;

static uint64_t sim_expiry(struct sim *s)
{
	uint64_t r = rng_below(&s->rng, 100);

	if (r < 12)
		return s->clock - rng_below(&s->rng, 3 * SIM_SLOTS);	/* the past */
	if (r < 17)
		return s->w.now;
	if (r < 22)
		return s->clock;
	if (r < 65)
		return s->clock + 1 + rng_below(&s->rng, SIM_SLOTS);
	return s->clock + SIM_SLOTS + rng_below(&s->rng, 20 * SIM_SLOTS);	/* turns ahead */
}

static void sim_arm(struct sim *s, size_t i, uint64_t expires)
{
	mos_timer_arm(&s->w, &timers[i], expires);
	s->m[i].expires = expires;
	s->m[i].armed = true;
	s->m[i].eligible = s->in_call && expires > s->w.now && expires <= s->clock;
}

static void sim_cancel(struct sim *s, size_t i)
{
	mos_timer_cancel(&s->w, &timers[i]);
	s->m[i].armed = false;
}

static void sim_fire(struct mos_timer *t, void *arg)
{
	struct sim *s = arg;
	size_t i = (size_t)(t - timers);
	uint64_t r;

	if (i >= SIM_TIMERS || !s->m[i].armed || !s->m[i].eligible || mos_timer_armed(t) ||
	    t->expires > s->clock || t->expires != s->m[i].expires) {
		s->bad++;
		return;
	}
	s->m[i].armed = false;
	s->fired++;
	r = rng_below(&s->rng, 10);
	if (r < 3)
		sim_arm(s, i, sim_expiry(s));			/* re-arm self */
	else if (r < 5)
		sim_cancel(s, rng_below(&s->rng, SIM_TIMERS));	/* cancel another (or self) */
	else if (r < 7)
		sim_arm(s, rng_below(&s->rng, SIM_TIMERS), sim_expiry(s));
}

static uint64_t sim_step(struct sim *s)
{
	uint64_t r = rng_below(&s->rng, 100);

	if (r < 50)
		return rng_below(&s->rng, 3);
	if (r < 80)
		return 1 + rng_below(&s->rng, SIM_SLOTS / 2);
	if (r < 95)
		return SIM_SLOTS - 1 + rng_below(&s->rng, 3);
	return 10 * SIM_SLOTS + rng_below(&s->rng, 90 * SIM_SLOTS);
}

static unsigned sim_advance(struct sim *s, uint64_t step, unsigned budget)
{
	unsigned n, armed = 0, left_due = 0, state_diff = 0;

	s->clock += step;
	for (size_t i = 0; i < SIM_TIMERS; i++)
		s->m[i].eligible = s->m[i].armed && s->m[i].expires <= s->clock;
	s->in_call = true;
	s->fired = 0;
	n = mos_wheel_advance(&s->w, s->clock, sim_fire, s, budget);
	s->in_call = false;
	s->total_fired += n;

	CHECK_EQ(n, s->fired);
	CHECK(budget == 0 || n <= budget);
	CHECK(s->w.now <= s->clock);
	for (size_t i = 0; i < SIM_TIMERS; i++) {
		armed += s->m[i].armed;
		left_due += s->m[i].armed && s->m[i].eligible;
		state_diff += s->m[i].armed != mos_timer_armed(&timers[i]);
	}
	if (budget == 0 || n < budget) {
		CHECK_EQ(left_due, 0);
		CHECK_EQ(s->w.now, s->clock);
	}
	CHECK_EQ(state_diff, 0);
	CHECK_EQ(s->w.armed, armed);
	return n;
}

TEST(random_run_matches_the_model)
{
	struct sim *s = &sim;
	uint64_t advances = 0;

	memset(s, 0, sizeof(*s));
	s->rng = 42;
	s->clock = 1 << 20;
	REQUIRE(wheel_setup(&s->w, SIM_SLOTS, s->clock) == 0);

	for (int op = 0; op < 100000 && check_failures == 0; op++) {
		uint64_t r = rng_below(&s->rng, 100);
		size_t i = rng_below(&s->rng, SIM_TIMERS);

		if (r < 45) {
			sim_arm(s, i, sim_expiry(s));
		} else if (r < 60) {
			sim_cancel(s, i);
		} else {
			unsigned budget = 0;

			if (rng_below(&s->rng, 10) >= 7)
				budget = 1 + (unsigned)rng_below(&s->rng, 4);
			sim_advance(s, sim_step(s), budget);
			advances++;
		}
		CHECK_EQ(s->bad, 0);
	}
	/* drain: everything fires, nothing is left behind */
	for (int k = 0; k < 100 && sim_advance(s, 30 * SIM_SLOTS, 0) != 0; k++)
		;
	for (size_t i = 0; i < SIM_TIMERS; i++)
		sim_cancel(s, i);
	CHECK_EQ(s->w.armed, 0);
	CHECK_EQ(s->bad, 0);
	CHECK(advances > 30000);
	CHECK(s->total_fired > 20000);
	printf("     %" PRIu64 " advances, %" PRIu64 " fired, %" PRIu64 " revisited\n",
	       advances, s->w.fired, s->w.revisited);
}

static const struct check_case cases[] = {
	CASE(init_rejects_bad_arguments),
	CASE(arm_cancel_rearm),
	CASE(past_and_present_fire_at_the_next_advance),
	CASE(clock_does_not_go_back),
	CASE(far_timer_is_revisited_once_per_turn),
	CASE(timers_within_one_turn_cost_o1),
	CASE(large_jump_fires_everything_once_in_one_turn),
	CASE(fire_order_follows_the_slots),
	CASE(fn_rearms_itself_periodically),
	CASE(fn_rearming_at_the_current_tick_does_not_loop),
	CASE(fn_rearming_itself_overdue_fires_once_per_call),
	CASE(fn_cancels_a_timer_of_its_own_slot),
	CASE(fn_moves_a_timer_of_its_own_slot),
	CASE(budget_limits_and_the_rest_fire_next_call),
	CASE(random_run_matches_the_model),
};

CHECK_MAIN(cases)
