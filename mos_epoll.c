/*
 * mos_epoll.c - epoll instances of one core (see mos_epoll.h): the
 * mtcp_epoll_* calls, each instance's ready list and list of registered
 * sockets, and the wait loop that drives the core's stack.
 *
 * Events in: tcp_notify -> mos_sock_notify -> mos_epoll_notify (the ready
 * list). Out: mtcp_epoll_wait -> mos_loop_poll ... -> collect.
 */
#include "mos_epoll.h"

#include <errno.h>
#include <stddef.h>

#include "mos_core.h"
#include "mos_loop.h"
#include "mos_tcp.h"

/* The interest bits a registration keeps; other bits of the caller's mask are ignored. */
#define EP_KNOWN (MOS_EPOLLIN | MOS_EPOLLPRI | MOS_EPOLLOUT | MOS_EPOLLERR | MOS_EPOLLHUP | \
		  MOS_EPOLLRDHUP | MOS_EPOLLET)

/* The events so's registration asks for (ERR and HUP always among them). */
static uint32_t interest(const struct mos_socket *so)
{
	return so->ep_events & ~MOS_EPOLLET;
}

/* --- the ready list: a TAILQ, each socket at most once (MOS_SKF_READY) ---------------- */

static void ready_push(struct mos_socket *ep, struct mos_socket *so)
{
	if (so->flags & MOS_SKF_READY)
		return;
	so->flags |= MOS_SKF_READY;
	TAILQ_INSERT_TAIL(&ep->ready, so, ready_link);
}

static void ready_unlink(struct mos_socket *ep, struct mos_socket *so)
{
	if (!(so->flags & MOS_SKF_READY))
		return;
	TAILQ_REMOVE(&ep->ready, so, ready_link);
	so->flags &= (uint8_t)~MOS_SKF_READY;
}

void mos_epoll_notify(struct mos_socket *so, uint32_t events)
{
	uint32_t ev = events & interest(so);

	if (so->ep_events & MOS_EPOLLET) {
		so->ep_reported &= events;	/* an event gone is an edge when it returns */
		ev &= ~so->ep_reported;
	}
	if (ev != 0)
		ready_push(so->ep, so);
}

/* --- registrations -------------------------------------------------------------------- */

/* Set so's interest and data; already-pending events are raised at once. */
static void arm(struct mos_socket *so, const struct mtcp_epoll_event *event)
{
	so->ep_events = (event->events & EP_KNOWN) | MOS_EPOLLERR | MOS_EPOLLHUP;
	so->ep_data = event->data;
	so->ep_reported = 0;
	if (mos_sock_events(so) & interest(so))
		ready_push(so->ep, so);
	else
		ready_unlink(so->ep, so);
}

static void reg_add(struct mos_socket *ep, struct mos_socket *so)
{
	so->ep = ep;
	LIST_INSERT_HEAD(&ep->reg, so, reg_link);
	ep->n_reg++;
}

void mos_epoll_unregister(struct mos_socket *so)
{
	struct mos_socket *ep = so->ep;

	ready_unlink(ep, so);
	LIST_REMOVE(so, reg_link);
	ep->n_reg--;
	so->ep = NULL;
	so->ep_events = so->ep_reported = 0;
}

void mos_epoll_close(struct mos_sock_core *sc, struct mos_socket *ep)
{
	while (!LIST_EMPTY(&ep->reg))
		mos_epoll_unregister(LIST_FIRST(&ep->reg));
	sc->n_epoll--;
}

int mtcp_epoll_create(mctx_t mctx, int size)
{
	struct mos_sock_core *sc;
	struct mos_socket *ep;

	if (mctx == NULL || size <= 0)
		return mos_api_fail(EINVAL);
	sc = &mos_core_of(mctx)->sock;
	ep = mos_sock_alloc(sc, MOS_SK_EPOLL);
	if (ep == NULL)
		return mos_api_fail(EMFILE);
	TAILQ_INIT(&ep->ready);
	LIST_INIT(&ep->reg);
	sc->n_epoll++;
	return ep->id;
}

/* The instance epid on mctx's core, or NULL with errno (EBADF: no such id; EINVAL: not epoll). */
static struct mos_socket *lookup_ep(mctx_t mctx, int epid, struct mos_core **core)
{
	struct mos_socket *ep;

	if (mctx == NULL) {
		errno = EINVAL;
		return NULL;
	}
	*core = mos_core_of(mctx);
	ep = mos_sock_get(&(*core)->sock, epid);
	if (ep == NULL || ep->type != MOS_SK_EPOLL) {
		errno = ep == NULL ? EBADF : EINVAL;
		return NULL;
	}
	return ep;
}

static int ctl(struct mos_socket *ep, int op, struct mos_socket *so,
	       const struct mtcp_epoll_event *event)
{
	if (op != MOS_EPOLL_CTL_ADD && op != MOS_EPOLL_CTL_MOD && op != MOS_EPOLL_CTL_DEL)
		return -EINVAL;
	if (op != MOS_EPOLL_CTL_DEL && event == NULL)
		return -EFAULT;
	if (op == MOS_EPOLL_CTL_ADD) {
		if (so->ep != NULL)	/* one instance per socket (in this one or another) */
			return -EEXIST;
		reg_add(ep, so);
	} else if (so->ep != ep) {
		return -ENOENT;
	}
	if (op == MOS_EPOLL_CTL_DEL)
		mos_epoll_unregister(so);
	else
		arm(so, event);
	return 0;
}

int mtcp_epoll_ctl(mctx_t mctx, int epid, int op, int sockid, struct mtcp_epoll_event *event)
{
	struct mos_core *core;
	struct mos_socket *ep = lookup_ep(mctx, epid, &core);
	struct mos_socket *so;
	int err;

	if (ep == NULL)
		return -1;
	so = mos_sock_get(&core->sock, sockid);
	if (so == NULL)
		return mos_api_fail(EBADF);
	if (so->type == MOS_SK_EPOLL)	/* itself, or nesting: not supported */
		return mos_api_fail(EINVAL);
	err = ctl(ep, op, so, event);
	return err != 0 ? mos_api_fail(-err) : 0;
}

/* --- waiting ------------------------------------------------------------------------ */

/*
 * Report up to max ready sockets from the head of the list, with the
 * events they have now. Level-triggered ones still ready go behind the
 * ones not reached, so that every ready socket is reported in turn;
 * edge-triggered ones leave the list. Returns the count.
 */
static int collect(struct mos_socket *ep, struct mtcp_epoll_event *out, int max)
{
	struct mos_sock_tailq kept = TAILQ_HEAD_INITIALIZER(kept);
	struct mos_socket *so;
	int n = 0;

	while (n < max && (so = TAILQ_FIRST(&ep->ready)) != NULL) {
		uint32_t ev = mos_sock_events(so) & interest(so);

		ready_unlink(ep, so);
		if (ev == 0)
			continue;
		out[n].events = ev;
		out[n].data = so->ep_data;
		n++;
		if (so->ep_events & MOS_EPOLLET) {
			so->ep_reported |= ev;
			continue;
		}
		TAILQ_INSERT_TAIL(&kept, so, ready_link);
	}
	while ((so = TAILQ_FIRST(&kept)) != NULL) {
		TAILQ_REMOVE(&kept, so, ready_link);
		ready_push(ep, so);
	}
	return n;
}

/* Whether timeout_ms (negative: never) has passed since tick start. */
static bool timed_out(const struct mos_core *core, uint64_t start, int timeout_ms)
{
	if (timeout_ms < 0)
		return false;
	return core->now - start >= (uint64_t)timeout_ms * 1000u / MOS_TCP_TICK_US;
}

/*
 * Every call runs the stack once before it looks at the ready list, even
 * when sockets are still ready from the last call: that turn transmits
 * what the application wrote since, and keeps the receive queue moving
 * for an application that always has events.
 */
int mtcp_epoll_wait(mctx_t mctx, int epid, struct mtcp_epoll_event *events, int maxevents,
		    int timeout)
{
	struct mos_core *core;
	struct mos_socket *ep = lookup_ep(mctx, epid, &core);
	uint64_t start;
	int n;

	if (ep == NULL)
		return -1;
	if (events == NULL)
		return mos_api_fail(EFAULT);
	if (maxevents <= 0)
		return mos_api_fail(EINVAL);
	start = core->now;
	for (;;) {
		if (mos_loop_stopping())
			return mos_api_fail(EINTR);
		mos_loop_poll(core);
		n = collect(ep, events, maxevents);
		if (n > 0 || timeout == 0 || timed_out(core, start, timeout))
			return n;
	}
}
