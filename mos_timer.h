/*
 * mos_timer.h - one core's timers: a hashed timing wheel.
 *
 * Timers are embedded in the objects they time (a stream has its
 * retransmission, delayed-ACK, persist, keepalive/idle and TIME_WAIT
 * timers), so arming one allocates nothing. Arm, re-arm and cancel are O(1);
 * advancing the clock costs O(1) per slot passed plus O(1) per timer that
 * fires or that sits in a visited slot but is due in a later turn of the
 * wheel (it is left there), whatever the number of timers armed.
 *
 * Time is in ticks of the caller's choosing (the stack uses microseconds
 * divided by its tick length); the wheel only compares and subtracts them.
 * Threading: a wheel belongs to one core.
 */
#ifndef EPWGET_MOS_TIMER_H
#define EPWGET_MOS_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mos_timer {
	struct mos_timer *next;
	struct mos_timer *prev;		/* NULL when not armed */
	uint64_t expires;		/* tick at which it is due */
};

struct mos_wheel {
	uint64_t now;			/* the last tick processed */
	uint32_t nslots;		/* power of two */
	uint32_t armed;			/* timers armed now */
	struct mos_timer *slot;		/* nslots list heads (sentinels), then one for overdue timers */
	uint64_t fired;			/* counters for the statistics */
	uint64_t revisited;		/* timers seen in a slot before their turn */
};

typedef void mos_timer_fn(struct mos_timer *t, void *arg);

/* Bytes of memory a wheel of nslots slots needs. */
size_t mos_wheel_mem_size(uint32_t nslots);

/*
 * Set up a wheel of nslots (a power of two, 2..2^24) in mem (memlen
 * bytes, aligned to 8) starting at tick now. 0 or -EINVAL.
 */
int mos_wheel_init(struct mos_wheel *w, void *mem, size_t memlen, uint32_t nslots, uint64_t now);

/* A timer must be initialised once before its first arm. */
void mos_timer_init(struct mos_timer *t);

static inline bool mos_timer_armed(const struct mos_timer *t)
{
	return t->prev != NULL;
}

/*
 * Arm t to fire at tick expires (re-arming an armed timer moves it). A tick
 * the wheel has already processed (expires <= w->now) fires at the next
 * mos_wheel_advance, whatever its now; armed so from fn, that is the next
 * call, not the running one (a timer re-armed in the past cannot loop).
 */
void mos_timer_arm(struct mos_wheel *w, struct mos_timer *t, uint64_t expires);

/* Disarm t; nothing happens when it is not armed. */
void mos_timer_cancel(struct mos_wheel *w, struct mos_timer *t);

/*
 * Advance the wheel to tick now (a now below w->now counts as w->now) and
 * call fn(t, arg) for each timer due by then, disarmed before the call:
 * overdue ones first, then in order of their slots (timers of one tick in
 * no set order). fn may arm or cancel any timer, the one it got included;
 * one it arms for a tick after w->now and by now fires in this call. At
 * most budget timers fire per call (0 = no limit); the rest stay due and
 * fire on the next call, and w->now stays before the first slot not done.
 * Returns the number that fired.
 */
unsigned mos_wheel_advance(struct mos_wheel *w, uint64_t now, mos_timer_fn *fn, void *arg,
			   unsigned budget);

#endif
