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
 * mtcp_destroy_context, mtcp_init_rss) and signals. The socket and epoll
 * calls arrive with the TCP stack.
 */
#ifndef EPWGET_MTCP_API_H
#define EPWGET_MTCP_API_H

#include <netinet/in.h>
#include <stdint.h>

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
};

/*
 * A per-core context. `cpu` is the context's index, 0 .. num_cores - 1:
 * it runs on the cpu-th CPU of the core mask and owns NIC queue cpu.
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

/* Install a handler for signum (SIGINT stops every core's event loop). Returns the old one. */
mtcp_sighandler_t mtcp_register_signal(int signum, mtcp_sighandler_t handler);

/*
 * Build this core's pool of source (address, port) pairs for connections
 * to daddr:dport (network order): the pairs saddr_base .. + num_addr - 1
 * times ports 1025..65535 whose replies the NIC (or the software steering)
 * delivers to this core. saddr_base INADDR_ANY means the address of the
 * netdev that routes daddr. 0, or -1 with errno (EINVAL, ENOMEM, ENOENT
 * when no pair maps to this core).
 */
int mtcp_init_rss(mctx_t mctx, in_addr_t saddr_base, int num_addr, in_addr_t daddr,
		  in_addr_t dport);

/* --- epwget extensions (not in mOS) --- */

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

#ifdef __cplusplus
}
#endif

#endif
