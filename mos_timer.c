/*
 * mos_timer.c - the hashed timing wheel (see mos_timer.h): TCP arms and
 * cancels its streams' timers; mos_loop_poll -> mos_tcp_timers ->
 * mos_wheel_advance runs the due ones.
 *
 * Slot s holds the timers whose expiry is s modulo nslots, in a circular
 * list behind a sentinel head. After the nslots slot heads comes one more
 * list, the overdue list: timers armed for a tick the wheel has already
 * processed (expires <= w->now), which no slot still to be visited would
 * find. Every advance runs it first, whatever its now.
 *
 * Advancing from w->now to now visits the slots of ticks w->now + 1 .. now,
 * or, when that passes a whole turn, the last nslots of them: every slot
 * once. A visited slot is first moved to a list of its own on the stack, so
 * that fn may arm and cancel freely: a timer that fn arms lands in a real
 * slot or the overdue list, never in the list being run, and cancelling a
 * timer that waits in the list being run just unlinks it.
 */
#include "mos_timer.h"

#include <errno.h>
#include <stdalign.h>

static void list_init(struct mos_timer *head)
{
	head->next = head;
	head->prev = head;
}

static bool list_empty(const struct mos_timer *head)
{
	return head->next == head;
}

static void list_add_tail(struct mos_timer *head, struct mos_timer *t)
{
	t->prev = head->prev;
	t->next = head;
	head->prev->next = t;
	head->prev = t;
}

/* Unlink t; a NULL prev marks it disarmed. */
static void list_del(struct mos_timer *t)
{
	t->prev->next = t->next;
	t->next->prev = t->prev;
	t->next = NULL;
	t->prev = NULL;
}

/* Move every timer of from to the tail of to; from is left empty. */
static void list_splice_tail(struct mos_timer *to, struct mos_timer *from)
{
	if (list_empty(from))
		return;
	from->next->prev = to->prev;
	to->prev->next = from->next;
	from->prev->next = to;
	to->prev = from->prev;
	list_init(from);
}

static struct mos_timer *overdue_list(struct mos_wheel *w)
{
	return &w->slot[w->nslots];
}

static struct mos_timer *slot_of(struct mos_wheel *w, uint64_t tick)
{
	return &w->slot[tick & (w->nslots - 1)];
}

/* Link an unlinked timer where the next advance that is due to fire it will look. */
static void place(struct mos_wheel *w, struct mos_timer *t)
{
	if (t->expires <= w->now)
		list_add_tail(overdue_list(w), t);
	else
		list_add_tail(slot_of(w, t->expires), t);
}

size_t mos_wheel_mem_size(uint32_t nslots)
{
	return ((size_t)nslots + 1) * sizeof(struct mos_timer);
}

int mos_wheel_init(struct mos_wheel *w, void *mem, size_t memlen, uint32_t nslots, uint64_t now)
{
	if (nslots < 2 || nslots > (UINT32_C(1) << 24) || (nslots & (nslots - 1)) != 0 ||
	    mem == NULL || (uintptr_t)mem % alignof(struct mos_timer) != 0 ||
	    memlen < mos_wheel_mem_size(nslots))
		return -EINVAL;

	*w = (struct mos_wheel){ .now = now, .nslots = nslots, .slot = mem };
	for (uint32_t i = 0; i <= nslots; i++)
		list_init(&w->slot[i]);
	return 0;
}

void mos_timer_init(struct mos_timer *t)
{
	t->next = NULL;
	t->prev = NULL;
	t->expires = 0;
}

void mos_timer_arm(struct mos_wheel *w, struct mos_timer *t, uint64_t expires)
{
	if (mos_timer_armed(t))
		list_del(t);
	else
		w->armed++;
	t->expires = expires;
	place(w, t);
}

void mos_timer_cancel(struct mos_wheel *w, struct mos_timer *t)
{
	if (!mos_timer_armed(t))
		return;
	list_del(t);
	w->armed--;
}

/* One call of mos_wheel_advance. */
struct run {
	uint64_t now;
	mos_timer_fn *fn;
	void *arg;
	unsigned budget;	/* 0: no limit */
	unsigned fired;
};

/*
 * Fire the due timers of local, a list just taken from home; the others go
 * back where they belong (a slot's timers of a later turn: to that slot).
 * Returns false when the budget ran out first: what local still holds goes
 * back to home, untouched.
 */
static bool run_list(struct mos_wheel *w, struct run *r, struct mos_timer *home,
		     struct mos_timer *local)
{
	while (!list_empty(local)) {
		struct mos_timer *t = local->next;

		if (t->expires > r->now) {
			list_del(t);
			place(w, t);
			w->revisited++;
			continue;
		}
		if (r->budget != 0 && r->fired == r->budget) {
			list_splice_tail(home, local);
			return false;
		}
		list_del(t);
		w->armed--;
		w->fired++;
		r->fired++;
		r->fn(t, r->arg);	/* may arm or cancel anything, local's timers included */
	}
	return true;
}

/* Take the timers of home into local, run them; false when the budget ran out. */
static bool run_home(struct mos_wheel *w, struct run *r, struct mos_timer *home)
{
	struct mos_timer local;

	if (list_empty(home))
		return true;
	list_init(&local);
	list_splice_tail(&local, home);
	return run_list(w, r, home, &local);
}

unsigned mos_wheel_advance(struct mos_wheel *w, uint64_t now, mos_timer_fn *fn, void *arg,
			   unsigned budget)
{
	struct run r = { .now = now, .fn = fn, .arg = arg, .budget = budget };

	if (now < w->now)
		r.now = now = w->now;	/* the clock does not go back */
	if (!run_home(w, &r, overdue_list(w)))
		return r.fired;

	if (now - w->now > w->nslots)
		w->now = now - w->nslots;	/* one turn visits every slot */
	while (w->now < now) {
		/*
		 * The tick counts as processed while its slot runs, so that fn
		 * arming a timer for it puts it on the overdue list, not back
		 * into the slot this pass has already emptied.
		 */
		w->now++;
		if (!run_home(w, &r, slot_of(w, w->now))) {
			w->now--;
			break;
		}
	}
	return r.fired;
}
