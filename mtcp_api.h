/*
 * mtcp_api.h - the public API of the epwget stack, with the names and
 * semantics of mOS's mtcp_api.h so that mOS/mTCP applications port with
 * few changes. Applications include this header and nothing else of the
 * stack.
 *
 * Calls follow the socket convention: 0 (or a count, or a descriptor) on
 * success, -1 with errno set on failure.
 *
 * Present in this build: process set-up (mtcp_init, mtcp_getconf,
 * mtcp_setconf, mtcp_destroy), per-core contexts (mtcp_create_context,
 * mtcp_destroy_context, mtcp_init_rss), signals, and the socket and epoll
 * calls over the TCP stack.
 *
 * Sockets and epoll instances: a socket id is a small int, from 0, valid
 * only on the context (core) that made it, and only that core's thread
 * may use it. Blocking calls and mtcp_epoll_wait run the core's stack
 * while they wait (the application's thread is the stack's thread); they
 * return -1 with EINTR once SIGINT has asked every core to stop. Nothing
 * raises SIGPIPE. On devices that cannot hash for us (tap, af_packet,
 * memif, ring) a core's queue also receives other cores' frames and hands
 * them over while its application polls: keep every core's loop turning
 * (mtcp_epoll_wait) until all cores are done, not only until its own flows
 * are.
 */
#ifndef EPWGET_MTCP_API_H
#define EPWGET_MTCP_API_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Settings an application may read and override between mtcp_init and the first context. */
struct mtcp_conf {
	int num_cores;		/* cores (contexts, NIC queues) to use: at most the core mask's */
	int max_concurrency;	/* streams per core */
	uint64_t cpu_mask;	/* read-only: the CPUs of the core mask */
	int max_num_buffers;	/* send and receive buffers per core */
	int rcvbuf_size;	/* bytes; mos.conf rmem_size */
	int sndbuf_size;	/* bytes; mos.conf wmem_size */
	int tcp_timewait;	/* seconds */
	int tcp_timeout;	/* seconds, 0 = no idle timeout */
	int multi_process;	/* read-only: MTCP_MP_* from mos.conf's multiprocess line */
	int mp_master_core;	/* read-only: the master's CPU (multiprocess = N master), else -1 */
};

/* mos.conf `multiprocess`: one process per core sharing the NIC (epwget-mp). */
#define MTCP_MP_NONE   0	/* no multiprocess line: one process, one thread per core */
#define MTCP_MP_MASTER 1	/* `multiprocess = N master`: the DPDK primary, on CPU N */
#define MTCP_MP_SLAVE  2	/* `multiprocess = slave`: a DPDK secondary */

/*
 * A per-core context. `cpu` is the context's index, 0 .. num_cores - 1:
 * it runs on the cpu-th CPU of the core mask and owns NIC queue cpu.
 * In multi-process mode `cpu` is the process's CPU as given to
 * mtcp_create_context (a CPU of the core mask), and the process owns the
 * queue of that CPU's rank in the mask.
 */
struct mtcp_context {
	int cpu;
};

/* mOS compatibility: mOS applications are written against this pointer type. */
typedef struct mtcp_context *mctx_t;

typedef void (*mtcp_sighandler_t)(int);

/* epoll, with the constants of mOS (they equal Linux's where both exist). */
enum mtcp_epoll_op {
	MOS_EPOLL_CTL_ADD = 1,
	MOS_EPOLL_CTL_DEL = 2,
	MOS_EPOLL_CTL_MOD = 3,
};

enum mtcp_event_type {
	MOS_EPOLLNONE  = 0x0000,
	MOS_EPOLLIN    = 0x0001,
	MOS_EPOLLPRI   = 0x0002,
	MOS_EPOLLOUT   = 0x0004,
	MOS_EPOLLERR   = 0x0008,
	MOS_EPOLLHUP   = 0x0010,
	MOS_EPOLLRDHUP = 0x2000,
};
#define MOS_EPOLLET (1u << 31)

typedef union mtcp_epoll_data {
	void *ptr;
	int sockid;
	uint32_t u32;
	uint64_t u64;
} mtcp_epoll_data_t;

struct mtcp_epoll_event {
	uint32_t events;
	mtcp_epoll_data_t data;
};

/*
 * Read the configuration file (mos.conf syntax) and bring up the DPDK
 * environment. Call once, from the main thread, before anything else.
 * On failure it prints why (file:line for a config error) and returns -1.
 */
int mtcp_init(const char *config_file);

/* Stop the ports and release everything mtcp_init made. After every context is destroyed. */
void mtcp_destroy(void);

/* Copy the current settings into conf. 0, or -1/EINVAL. */
int mtcp_getconf(struct mtcp_conf *conf);

/*
 * Override settings (num_cores, max_concurrency, max_num_buffers,
 * rcvbuf_size, sndbuf_size, tcp_timewait, tcp_timeout; cpu_mask is ignored).
 * Only before the first mtcp_create_context: later it fails with EBUSY.
 * A value out of range fails with EINVAL and changes nothing.
 */
int mtcp_setconf(const struct mtcp_conf *conf);

/* Pin the calling thread to the cpu-th CPU of the core mask. 0 or -1. */
int mtcp_core_affinitize(int cpu);

/*
 * Create the context of core cpu (0 .. num_cores - 1) on the calling
 * thread: pins the thread, carves the core's memory pools, and (for the
 * first context) starts the NIC ports with num_cores queues. One context
 * per core; the thread that creates it is the only one that may use it.
 * Returns NULL with errno set on failure (the reason is logged).
 */
mctx_t mtcp_create_context(int cpu);

/* Release the context's pools. From its own thread. */
void mtcp_destroy_context(mctx_t mctx);

/*
 * Before mtcp_destroy_context (our extension; mOS has no such call): keep
 * the core's stack turning so that its closing streams finish (the last
 * FINs and ACKs) and, where software steering hands other cores' frames
 * over through this core's queue, so that those keep flowing. While
 * others_busy(arg) says another core of the run still works, it turns with
 * no limit; then until no connection is left or linger_ms has passed.
 * others_busy and each_turn (either may be NULL) are called every 10 ms of
 * turning, each_turn for the application's own periodic work. From the
 * context's thread. 0, or -1 with errno EINTR when SIGINT (or a slave's
 * master gone) stopped it, EINVAL for a bad argument.
 */
int mtcp_drain(mctx_t mctx, int linger_ms, bool (*others_busy)(void *arg),
	       void (*each_turn)(void *arg), void *arg);

/* Install a handler for signum (SIGINT stops every core's event loop). Returns the old one. */
mtcp_sighandler_t mtcp_register_signal(int signum, mtcp_sighandler_t handler);

/*
 * Build this core's pool of source (address, port) pairs for connections
 * to daddr:dport (network order): the pairs saddr_base .. + num_addr - 1
 * times ports 1025..65535 whose replies the NIC (or the software steering)
 * delivers to this core (ports: mos.conf's source_ports). saddr_base
 * INADDR_ANY means the address of the netdev that routes daddr; another
 * base must lie, with all num_addr addresses, inside that netdev's subnet
 * (not its network or broadcast address), and the netdev then owns the
 * range: it answers ARP for it and takes frames to it. Consecutive pairs
 * alternate addresses. 0, or -1 with errno (EINVAL, ENOMEM, ENOENT when no
 * pair maps to this core).
 */
int mtcp_init_rss(mctx_t mctx, in_addr_t saddr_base, int num_addr, in_addr_t daddr,
		  in_addr_t dport);

/* --- sockets --- */

/* mOS's name for an end-host TCP socket type (mOS's monitor types do not exist here). */
#define MOS_SOCK_STREAM SOCK_STREAM

/*
 * A TCP socket: domain AF_INET (else EAFNOSUPPORT), type SOCK_STREAM,
 * optionally | SOCK_NONBLOCK, protocol 0 or IPPROTO_TCP (else
 * EPROTONOSUPPORT). Returns its id, or -1 with EMFILE when the core's
 * table (sized from max_concurrency) is full.
 */
int mtcp_socket(mctx_t mctx, int domain, int type, int protocol);

/* Make calls on sockid return EAGAIN / EINPROGRESS rather than wait. 0 or -1. */
int mtcp_setsock_nonblock(mctx_t mctx, int sockid);

/*
 * Set the local address and port (network order in addr). Before
 * listen/connect, once (else EINVAL). A connect from a bound socket uses
 * the bound pair, which must have both an address and a port.
 */
int mtcp_bind(mctx_t mctx, int sockid, const struct sockaddr *addr, socklen_t addrlen);

/* Listen on the bound address (EDESTADDRREQ when unbound). 0 or -1. */
int mtcp_listen(mctx_t mctx, int sockid, int backlog);

/*
 * The next established connection of listener sockid as a new socket id,
 * and its peer in addr when addr is not NULL; a blocking listener waits
 * for one. The new socket is blocking, as on Linux (mtcp_setsock_nonblock
 * changes that). -1 with EAGAIN (non-blocking, none pending), EMFILE (no
 * free id: the connection stays queued), EINVAL (not a listener).
 */
int mtcp_accept(mctx_t mctx, int sockid, struct sockaddr *addr, socklen_t *addrlen);

/*
 * Open a connection to addr. An unbound socket takes its source pair from
 * the core's RSS pool, so the destination must be the one given to
 * mtcp_init_rss (else, or when the pool is empty, EADDRNOTAVAIL).
 * Non-blocking: -1 with EINPROGRESS, then MOS_EPOLLOUT when established or
 * MOS_EPOLLERR when it failed (SO_ERROR says why). Blocking: 0 once
 * established, or -1 with ETIMEDOUT, ECONNREFUSED, ECONNRESET, EINTR.
 * EALREADY while connecting, EISCONN after.
 */
int mtcp_connect(mctx_t mctx, int sockid, const struct sockaddr *addr, socklen_t addrlen);

/*
 * Read up to len bytes: the count, 0 when the peer closed, -1 with EAGAIN
 * (non-blocking, nothing to read), ENOTCONN (never connected), or the
 * connection's error (ECONNRESET, ETIMEDOUT...) once, as on Linux.
 */
ssize_t mtcp_read(mctx_t mctx, int sockid, char *buf, size_t len);

/* mtcp_read over iovcnt buffers, filled in order. */
ssize_t mtcp_readv(mctx_t mctx, int sockid, const struct iovec *iov, int iovcnt);

/*
 * Queue up to len bytes for sending: the count taken (a non-blocking
 * socket may take fewer; a blocking one waits for room for all), or -1
 * with EAGAIN (send buffer full), ENOTCONN (not connected), EPIPE (closed
 * for sending), or the connection's error once.
 */
ssize_t mtcp_write(mctx_t mctx, int sockid, const char *buf, size_t len);

/* mtcp_write over iovcnt buffers, taken in order. */
ssize_t mtcp_writev(mctx_t mctx, int sockid, const struct iovec *iov, int iovcnt);

/*
 * Release sockid (any kind, epoll instances included) at once: a
 * connection is closed gracefully (FIN after the queued data, or RST when
 * unread data is left) and lives on in the stack until TCP is done; the
 * socket leaves its epoll instance. 0, or -1 with EBADF.
 */
int mtcp_close(mctx_t mctx, int sockid);

/* As mtcp_close, but the connection is reset (RST) and freed now. Not for epoll ids (ENOTSOCK). */
int mtcp_abort(mctx_t mctx, int sockid);

/*
 * SOL_SOCKET / SO_ERROR (an int): the connection's pending error
 * (ETIMEDOUT, ECONNRESET, ECONNREFUSED, or 0), which the call clears; it
 * stays readable after the stack freed the connection. Other options:
 * ENOPROTOOPT.
 */
int mtcp_getsockopt(mctx_t mctx, int sockid, int level, int optname, void *optval,
		    socklen_t *optlen);

/* SOL_SOCKET / SO_REUSEADDR and IPPROTO_TCP / TCP_NODELAY are accepted and change nothing. */
int mtcp_setsockopt(mctx_t mctx, int sockid, int level, int optname, const void *optval,
		    socklen_t optlen);

/* The local and the peer's address (ENOTCONN when not connected), as getsockname/getpeername. */
int mtcp_getsockname(mctx_t mctx, int sockid, struct sockaddr *addr, socklen_t *addrlen);
int mtcp_getpeername(mctx_t mctx, int sockid, struct sockaddr *addr, socklen_t *addrlen);

/* Connections alive on this core: connecting, open, closing and in TIME_WAIT; not listeners. */
uint32_t mtcp_get_connection_cnt(mctx_t mctx);

/* --- epoll --- */

/* A new epoll instance; its id comes from the socket table. size > 0 (else EINVAL). */
int mtcp_epoll_create(mctx_t mctx, int size);

/*
 * Register (MOS_EPOLL_CTL_ADD), change (MOD) or remove (DEL) sockid's
 * interest in event->events (MOS_EPOLLIN, OUT, RDHUP, | MOS_EPOLLET for
 * edge-triggered); ERR and HUP are always added, and events already
 * pending are reported by the next wait. A socket belongs to one instance
 * at a time. -1 with EBADF (bad id), EINVAL (epid not an instance, sockid
 * an instance, bad op), EEXIST (ADD twice), ENOENT (MOD/DEL of a socket
 * not registered here).
 */
int mtcp_epoll_ctl(mctx_t mctx, int epid, int op, int sockid, struct mtcp_epoll_event *event);

/*
 * Run the core's stack until some registered socket is ready, then report
 * up to maxevents of them (level-triggered ones each time they are ready,
 * taking turns; edge-triggered ones once per new event). timeout in ms: -1
 * waits for ever, 0 runs the stack once. Returns the count (0 on timeout),
 * or -1 with EINTR (the core is stopping), EBADF, EINVAL.
 */
int mtcp_epoll_wait(mctx_t mctx, int epid, struct mtcp_epoll_event *events, int maxevents,
		    int timeout);

/* --- epwget extensions (not in mOS) --- */

/*
 * Multi-process mode (mos.conf `multiprocess`, epwget-mp): each process
 * runs one context, mtcp_create_context(CPU) with a CPU of the core mask;
 * the master's (the DPDK primary's) starts the NIC for the whole group,
 * a slave's attaches to it (waiting up to mp_wait seconds for a master
 * that is not ready yet). A process's queue carries other processes'
 * frames (software steering through shared rings), so every process keeps
 * its loop turning until the whole group is done:
 *
 *   mtcp_mp_finish(mctx) once its own flows are done, then
 *   while (mtcp_mp_others(mctx) > 0) mtcp_epoll_wait(...);
 *
 * mtcp_mp_finish: 0, or -1/EINVAL (no multi-process context).
 * mtcp_mp_others: the processes of the group still working, counting
 * those that have not started yet for mp_wait seconds; 0 when all are
 * done; -1/EPIPE when this slave's master has exited (mtcp_epoll_wait then
 * fails with EINTR too), -1/EINVAL without a multi-process context.
 */
int mtcp_mp_finish(mctx_t mctx);
int mtcp_mp_others(mctx_t mctx);

/* One row of a core's memory pool statistics. */
struct mtcp_pool_stat {
	const char *name;
	uint64_t capacity;	/* objects */
	uint64_t in_use;
	uint64_t in_use_max;	/* high-water mark */
	uint64_t exhausted;	/* requests that found the pool empty */
	uint64_t bytes;		/* memory it takes */
};

/*
 * Up to max rows of statistics for the core's pools, its RSS source-pair
 * pool last (once mtcp_init_rss built it). Returns the number of rows, or
 * -1/EINVAL. Another thread may call it: the numbers are then a snapshot.
 */
int mtcp_get_pool_stats(mctx_t mctx, struct mtcp_pool_stat *out, int max);

/* A core's packet I/O counters. */
struct mtcp_io_stat {
	uint64_t rx_pkts, tx_pkts;
	uint64_t tx_dropped;	/* the NIC queue stayed full */
	uint64_t no_mbuf;	/* a frame was to be built and the core's mbuf pool was empty */
	uint64_t rss_handovers;	/* frames this core received for another core and handed over */
	uint64_t handed_in;	/* frames other cores handed to this one */
};

/* Fill out with the core's I/O counters. 0, or -1/EINVAL. */
int mtcp_get_io_stats(mctx_t mctx, struct mtcp_io_stat *out);

/*
 * What the fault injection of mos.conf (block `fault`) did to the frames of
 * one direction on one core. A frame can meet several faults (a copy made,
 * then the original held back), so the kinds need not add up to frames.
 */
struct mtcp_fault_dir_stat {
	uint64_t frames;	/* frames that met the injector */
	uint64_t dropped;
	uint64_t duplicated;	/* copies made */
	uint64_t reordered;	/* held back behind later frames */
	uint64_t corrupted;	/* one bit of the IPv4 packet flipped */
	uint64_t delayed;	/* held back for delay_us */
	uint64_t no_buffer;	/* a copy was due and no buffer was free: none made */
	uint64_t hold_full;	/* a frame was due to be held and the hold area was full: passed on */
};

struct mtcp_fault_stat {
	struct mtcp_fault_dir_stat rx;	/* received frames, before the stack sees them */
	struct mtcp_fault_dir_stat tx;	/* frames the stack sends, before the NIC gets them */
};

/* Fill out with the core's fault-injection counters (all 0 when mos.conf sets none). 0, or -1/EINVAL. */
int mtcp_get_fault_stats(mctx_t mctx, struct mtcp_fault_stat *out);

#ifdef __cplusplus
}
#endif

#endif
