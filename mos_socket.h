/*
 * mos_socket.h - one core's socket table: the descriptors behind the
 * mtcp_* socket calls (stream sockets, listeners and epoll instances), and
 * the bridge between them and the TCP streams below (mos_sock_notify).
 *
 * A socket id is an index into a fixed array carved from the core's arena
 * at start, as in mOS: ids start at 0 and epoll instances take ids from
 * the same table. Free ids are handed out in FIFO order, as mTCP does, so
 * an id that was just closed is the last to come back (a late event for it
 * is less likely to land on a new connection).
 *
 * Threading: a table belongs to one core and is used only on its thread.
 * Nothing here allocates after mos_sock_init.
 */
#ifndef EPWGET_MOS_SOCKET_H
#define EPWGET_MOS_SOCKET_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "mtcp_api.h"

struct mos_stream;

/* What a table entry is. */
enum mos_sock_type {
	MOS_SK_FREE = 0,
	MOS_SK_STREAM,		/* unbound, bound, connecting, connected, or stream gone */
	MOS_SK_LISTENER,
	MOS_SK_EPOLL,
};

/* struct mos_socket flags */
#define MOS_SKF_NONBLOCK  0x01	/* EAGAIN/EINPROGRESS rather than running the stack */
#define MOS_SKF_BOUND     0x02	/* laddr/lport were set by mtcp_bind */
#define MOS_SKF_STARTED   0x04	/* a stream was attached once (connect or accept) */
#define MOS_SKF_ERR_TAKEN 0x08	/* the stream's error was reported (SO_ERROR, read, write) */
#define MOS_SKF_READY     0x10	/* on its epoll's ready list */

/*
 * One table entry. Shared by mos_socket.c and mos_epoll.c; nothing else of
 * the stack reads its fields (TCP knows a socket only as its stream's
 * opaque sock pointer).
 */
TAILQ_HEAD(mos_sock_tailq, mos_socket);
LIST_HEAD(mos_sock_list, mos_socket);

struct mos_socket {
	uint8_t type;			/* enum mos_sock_type */
	uint8_t flags;			/* MOS_SKF_* */
	int id;
	int so_error;			/* the error of a stream gone (kept for SO_ERROR) */
	in_addr_t laddr, raddr;		/* network order: ours (bound, connected), peer's */
	in_port_t lport, rport;
	struct mos_stream *stream;	/* stream or listener; NULL before connect, once freed */

	/* registration in an epoll instance (ep != NULL) */
	struct mos_socket *ep;
	uint32_t ep_events;		/* interest, ERR and HUP included, and MOS_EPOLLET */
	uint32_t ep_reported;		/* ET: events reported and present since */
	mtcp_epoll_data_t ep_data;
	TAILQ_ENTRY(mos_socket) ready_link;	/* on ep's ready list (MOS_SKF_READY) */
	LIST_ENTRY(mos_socket) reg_link;	/* on ep's registered list */

	/* an epoll instance */
	struct mos_sock_tailq ready;		/* sockets with events, in the order they came */
	struct mos_sock_list reg;		/* registered sockets, newest first */
	uint32_t n_reg;

	uint32_t next_free;		/* free list link: an index, MOS_SOCK_NONE at the end */
};

#define MOS_SOCK_NONE UINT32_MAX

/* A core's socket table; struct mos_core embeds one as `sock`. */
struct mos_sock_core {
	struct mos_socket *sock;	/* max entries */
	uint32_t max;
	uint32_t free_head, free_tail;	/* FIFO of free ids */
	uint32_t in_use, in_use_max;	/* entries taken (epolls included), high-water mark */
	uint32_t n_epoll;		/* epoll instances open */
	uint64_t exhausted;		/* socket, accept, epoll_create refused: EMFILE */
};

/* Bytes of memory a table of max_sockets entries needs (aligned to 8). */
size_t mos_sock_mem_size(uint32_t max_sockets);

/*
 * Set up the table in mem (memlen bytes, 8-byte aligned, at least
 * mos_sock_mem_size). Every id 0 .. max_sockets - 1 starts free. Called
 * once per core, before the application's first call. 0, or -EINVAL (no
 * entries, mem NULL or misaligned), -ENOSPC (memlen too small).
 */
int mos_sock_init(struct mos_sock_core *sc, void *mem, size_t memlen, uint32_t max_sockets);

/* For mos_epoll.c: the entry with id in use, or NULL (out of range or free). */
struct mos_socket *mos_sock_get(struct mos_sock_core *sc, int id);

/* For mos_epoll.c: take a free entry of type, or NULL when none is left (counted). */
struct mos_socket *mos_sock_alloc(struct mos_sock_core *sc, enum mos_sock_type type);

/* For mos_epoll.c: give the entry back (after its stream and registrations are dropped). */
void mos_sock_release(struct mos_sock_core *sc, struct mos_socket *so);

/*
 * The MOS_EPOLL* events so has now: its stream's (mos_tcp_poll), without
 * ERR once the error was reported; a stream socket whose stream is gone
 * has IN|RDHUP|HUP (and ERR while its error is pending); one never
 * connected has OUT|HUP, as on Linux. Epoll instances have none.
 */
uint32_t mos_sock_events(const struct mos_socket *so);

#endif
