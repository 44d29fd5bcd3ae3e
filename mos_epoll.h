/*
 * mos_epoll.h - epoll instances of one core: registrations, the ready
 * list, and mtcp_epoll_wait, which drives the core's stack.
 *
 * An epoll instance is an entry of the core's socket table (mos_socket.h).
 * A socket may be registered in one instance at a time. Each instance keeps
 * an intrusive doubly linked ready list: a socket enters it in O(1) when
 * TCP reports events it is interested in (mos_sock_notify), at most once;
 * mtcp_epoll_wait recomputes each socket's events when it reports them.
 * Level-triggered sockets stay on the list while they are ready (behind
 * the ones not yet reported, so every ready socket gets its turn);
 * edge-triggered ones leave it once reported and come back only for
 * events that are new: absent from the last report, or gone and back since.
 *
 * The mtcp_epoll_* calls are declared in mtcp_api.h; this header holds what
 * the socket layer asks of the epoll layer. Everything runs on the core
 * that owns the table.
 */
#ifndef EPWGET_MOS_EPOLL_H
#define EPWGET_MOS_EPOLL_H

#include <stdint.h>

#include "mos_socket.h"

/* so's readiness may have changed; events: mos_sock_events(so). Queues it when it matters. */
void mos_epoll_notify(struct mos_socket *so, uint32_t events);

/*
 * The application acted on so (read, write, accept) and its events are
 * now events: an edge-triggered registration forgets reported events that
 * are gone, so that their return is a new edge.
 */
static inline void mos_epoll_rearm(struct mos_socket *so, uint32_t events)
{
	so->ep_reported &= events;
}

/* so is closing: take it off its instance (it must be registered in one). */
void mos_epoll_unregister(struct mos_socket *so);

/* The instance ep is closing: every socket registered in it is dropped from it. */
void mos_epoll_close(struct mos_sock_core *sc, struct mos_socket *ep);

#endif
