/*
 * mos_core.c - process set-up and the per-core contexts: mtcp_init,
 * mtcp_getconf/mtcp_setconf, mtcp_create_context and its memory (pools,
 * tuple table, timer wheel, sockets), mtcp_init_rss, signals, mtcp_destroy.
 * It is the top of the stack for the application's set-up calls (it calls
 * the I/O module, the socket table and the loop's stop flag, and nothing
 * calls back into it); the per-core loop that mtcp_epoll_wait turns is
 * mos_loop.c's.
 *
 * Process-wide state is `stack` below: written by the main thread between
 * mtcp_init and the first context, read-only afterwards (the port start in
 * the first mtcp_create_context is serialised by start_lock).
 */
#include "mos_core.h"

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "conf_parse.h"
#include "mos_dpdk.h"
#include "mos_io.h"
#include "mos_log.h"
#include "mos_loop.h"

#define HUGE_PAGE (2u << 20)

static struct {
	bool inited;
	bool started;			/* ports are up: settings are frozen */
	int start_err;			/* the port start failed: every context fails */
	pthread_mutex_t start_lock;
	struct mos_conf conf;
	char conf_path[256];
	struct mtcp_conf mconf;		/* the settings in force */
	struct mos_rss_key rss_key;
	struct mos_port_info port[CONF_MAX_NETDEV];
	struct mos_core *core[CONF_MAX_CORES];
	mtcp_sighandler_t app_handler[NSIG];
} stack = { .start_lock = PTHREAD_MUTEX_INITIALIZER };

/*
 * The pool table: every pool a core carves, its object size and count as
 * functions of the settings in force. Like lwIP's memp table, the one
 * place that says where a core's memory goes.
 */
static size_t rcvbuf_size(const struct mtcp_conf *c) { return (size_t)c->rcvbuf_size; }
static size_t sndbuf_size(const struct mtcp_conf *c) { return (size_t)c->sndbuf_size; }
static uint32_t num_buffers(const struct mtcp_conf *c) { return (uint32_t)c->max_num_buffers; }
static size_t stream_size(const struct mtcp_conf *c) { (void)c; return sizeof(struct mos_stream); }
static uint32_t num_streams(const struct mtcp_conf *c) { return (uint32_t)c->max_concurrency; }

static const struct pool_def {
	const char *name;
	size_t (*obj_size)(const struct mtcp_conf *c);
	uint32_t (*count)(const struct mtcp_conf *c);
	size_t align;
} pool_defs[MOS_POOL_COUNT] = {
	[MOS_POOL_RCVBUF] = { "rcvbuf", rcvbuf_size, num_buffers, MOS_CACHE_LINE },
	[MOS_POOL_SNDBUF] = { "sndbuf", sndbuf_size, num_buffers, MOS_CACHE_LINE },
	[MOS_POOL_STREAM] = { "stream", stream_size, num_streams, MOS_CACHE_LINE },
};

/* The ranges mtcp_setconf accepts: those of mos.conf. */
static const struct setting_range {
	const char *name;
	size_t offset;
	int min, max;
} setting_ranges[] = {
	{ "max_concurrency", offsetof(struct mtcp_conf, max_concurrency), 1, CONF_MAX_CONCURRENCY },
	{ "max_num_buffers", offsetof(struct mtcp_conf, max_num_buffers), 1, CONF_MAX_CONCURRENCY },
	{ "rcvbuf_size", offsetof(struct mtcp_conf, rcvbuf_size), CONF_BUF_MIN, CONF_BUF_MAX },
	{ "sndbuf_size", offsetof(struct mtcp_conf, sndbuf_size), CONF_BUF_MIN, CONF_BUF_MAX },
	{ "tcp_timewait", offsetof(struct mtcp_conf, tcp_timewait), 0, CONF_TIMEWAIT_MAX },
	{ "tcp_timeout", offsetof(struct mtcp_conf, tcp_timeout), 0, CONF_TIMEOUT_MAX },
};

static void conf_to_mtcp(const struct mos_conf *c, struct mtcp_conf *m)
{
	memset(m, 0, sizeof(*m));
	m->num_cores = __builtin_popcountll(c->core_mask);
	m->max_concurrency = c->max_concurrency;
	m->cpu_mask = c->core_mask;
	m->max_num_buffers = c->max_num_buffers;
	m->rcvbuf_size = c->rmem_size;
	m->sndbuf_size = c->wmem_size;
	m->tcp_timewait = c->tcp_timewait;
	m->tcp_timeout = c->tcp_timeout;
	m->multi_process = c->mp_mode == CONF_MP_MASTER ? MTCP_MP_MASTER :
			   c->mp_mode == CONF_MP_SLAVE ? MTCP_MP_SLAVE : MTCP_MP_NONE;
	m->mp_master_core = c->mp_master_core;
}

/*
 * Keep the CPUs of the core mask that this process may run on: one
 * mos.conf then serves boxes of several sizes. An empty result is an error.
 */
static int usable_core_mask(uint64_t *mask, const char *path, char *err, size_t errlen)
{
	cpu_set_t set;
	uint64_t have = 0;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 0;
	for (int cpu = 0; cpu < CONF_MAX_CORES; cpu++)
		if (CPU_ISSET(cpu, &set))
			have |= 1ULL << cpu;
	if ((*mask & have) == 0) {
		snprintf(err, errlen, "%s: core_mask 0x%" PRIx64 " names none of the CPUs this "
			 "process may use (0x%" PRIx64 "); fix core_mask", path, *mask, have);
		return -EINVAL;
	}
	if ((*mask & have) != *mask)
		MOS_LOG(INFO, "core_mask 0x%" PRIx64 ": using 0x%" PRIx64 ", the CPUs this machine "
			"lets us run on", *mask, *mask & have);
	*mask &= have;
	return 0;
}

int mtcp_init(const char *config_file)
{
	char err[CONF_ERR_MAX];
	int ret;

	if (stack.inited)
		return mos_api_fail(EALREADY);
	if (config_file == NULL)
		return mos_api_fail(EINVAL);
	ret = conf_mos_load(&stack.conf, config_file, err, sizeof(err));
	if (ret == 0)
		mos_fault_log_conf(&stack.conf.fault, config_file);
	/* a group of processes keeps its mask: queue numbers are ranks in it */
	if (ret == 0 && stack.conf.mp_mode == CONF_MP_NONE)
		ret = usable_core_mask(&stack.conf.core_mask, config_file, err, sizeof(err));
	if (ret == 0 && mos_rss_key_init(&stack.rss_key, stack.conf.rss_key,
					 (size_t)stack.conf.rss_key_len) != 0) {
		snprintf(err, sizeof(err), "%s: rss_key must have 40 or 52 bytes", config_file);
		ret = -EINVAL;
	}
	if (ret != 0) {
		MOS_LOG(ERR, "%s", err);
		return mos_api_fail(-ret);
	}
	snprintf(stack.conf_path, sizeof(stack.conf_path), "%s", config_file);
	conf_to_mtcp(&stack.conf, &stack.mconf);
	/* multi-process: the EAL starts in mtcp_create_context, which names the process's CPU */
	if (stack.conf.mp_mode == CONF_MP_NONE)
		ret = mos_dpdk_init(&stack.conf, "epwget", mos_log_level >= MOS_LOG_DEBUG, err,
				    sizeof(err));
	if (ret != 0) {
		MOS_LOG(ERR, "%s", err);
		return mos_api_fail(-ret);
	}
	mos_loop_reset();
	stack.inited = true;
	return 0;
}

int mtcp_getconf(struct mtcp_conf *conf)
{
	if (!stack.inited || conf == NULL)
		return mos_api_fail(EINVAL);
	*conf = stack.mconf;
	return 0;
}

int mtcp_setconf(const struct mtcp_conf *conf)
{
	int cores = __builtin_popcountll(stack.conf.core_mask);

	if (!stack.inited || conf == NULL)
		return mos_api_fail(EINVAL);
	if (stack.started)
		return mos_api_fail(EBUSY);
	if (conf->num_cores < 1 || conf->num_cores > cores) {
		MOS_LOG(ERR, "num_cores %d: the core mask of %s has %d cores", conf->num_cores,
			stack.conf_path, cores);
		return mos_api_fail(EINVAL);
	}
	for (size_t i = 0; i < sizeof(setting_ranges) / sizeof(setting_ranges[0]); i++) {
		const struct setting_range *r = &setting_ranges[i];
		int v = *(const int *)(const void *)((const char *)conf + r->offset);

		if (v < r->min || v > r->max) {
			MOS_LOG(ERR, "%s %d is out of range (%d..%d)", r->name, v, r->min, r->max);
			return mos_api_fail(EINVAL);
		}
	}
	stack.mconf = *conf;
	stack.mconf.cpu_mask = stack.conf.core_mask;
	if (stack.conf.mp_mode != CONF_MP_NONE)	/* one queue per process of the group */
		stack.mconf.num_cores = cores;
	stack.mconf.multi_process = stack.conf.mp_mode == CONF_MP_MASTER ? MTCP_MP_MASTER :
				    stack.conf.mp_mode == CONF_MP_SLAVE ? MTCP_MP_SLAVE : MTCP_MP_NONE;
	stack.mconf.mp_master_core = stack.conf.mp_master_core;
	return 0;
}

/* The CPU of context index i: the i-th set bit of the core mask. */
static unsigned cpu_of(int i)
{
	uint64_t mask = stack.conf.core_mask;

	while (i-- > 0)
		mask &= mask - 1;
	return (unsigned)__builtin_ctzll(mask);
}

int mtcp_core_affinitize(int cpu)
{
	if (!stack.inited || cpu < 0 || cpu >= stack.mconf.num_cores)
		return mos_api_fail(EINVAL);
	return mos_dpdk_thread_attach((unsigned)cpu, cpu_of(cpu)) == 0 ? 0 : mos_api_fail(EINVAL);
}

size_t mos_core_mem_size(const struct mtcp_conf *conf)
{
	size_t size = mos_align_up(sizeof(struct mos_core), MOS_CACHE_LINE);

	for (int i = 0; i < MOS_POOL_COUNT; i++)
		size += mos_pool_mem_size(pool_defs[i].obj_size(conf), pool_defs[i].align,
					  pool_defs[i].count(conf));
	size += mos_tuple_mem_size((uint32_t)conf->max_concurrency) + MOS_CACHE_LINE;
	size += mos_wheel_mem_size(MOS_WHEEL_SLOTS) + MOS_CACHE_LINE;
	size += mos_sock_mem_size((uint32_t)conf->max_concurrency + MOS_SOCK_EXTRA) + MOS_CACHE_LINE;
	return size;
}

static void log_ports(void)
{
	for (int i = 0; i < stack.conf.n_netdev; i++) {
		const struct mos_port_info *p = &stack.port[i];
		const uint8_t *m = p->mac;

		MOS_LOG(INFO, "%s: %s, %u queues, RSS %s, checksums %s, MAC %02x:%02x:%02x:%02x:%02x:%02x, "
			"link %s", stack.conf.netdev[i].name, p->driver, p->nqueues,
			p->hw_rss ? "by the NIC" : "in software (steering)",
			p->tx_cksum ? "offloaded" : "in software", m[0], m[1], m[2], m[3], m[4], m[5],
			p->link_up ? "up" : "down");
	}
}

/* The first context starts the ports, with one queue per core. */
static int start_ports(void)
{
	char err[CONF_ERR_MAX];
	int ret = 0;

	pthread_mutex_lock(&stack.start_lock);
	if (stack.start_err != 0) {
		ret = stack.start_err;
	} else if (!stack.started) {
		ret = mos_dpdk_ports_start(&stack.conf, (unsigned)stack.mconf.num_cores,
					   &stack.rss_key, stack.port, err, sizeof(err));
		if (ret != 0) {
			MOS_LOG(ERR, "%s", err);
			stack.start_err = ret;
		} else {
			stack.started = true;
			log_ports();
		}
	}
	pthread_mutex_unlock(&stack.start_lock);
	return ret;
}

/*
 * Map memory for a core: hugepages when the kernel has them free, else
 * ordinary pages. MAP_POPULATE touches every page now, from the core's own
 * (already pinned) thread, so the memory sits on the core's NUMA node and
 * no page fault happens on the fast path.
 */
static void *map_core_memory(size_t size, bool *huge)
{
	const int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE;
	void *mem = mmap(NULL, mos_align_up(size, HUGE_PAGE), PROT_READ | PROT_WRITE,
			 flags | MAP_HUGETLB, -1, 0);

	*huge = mem != MAP_FAILED;
	if (mem == MAP_FAILED)
		mem = mmap(NULL, size, PROT_READ | PROT_WRITE, flags, -1, 0);
	return mem == MAP_FAILED ? NULL : mem;
}

static void unmap_core_memory(void *mem, size_t size, bool huge)
{
	if (mem != NULL)
		munmap(mem, huge ? mos_align_up(size, HUGE_PAGE) : size);
}

static int carve_pools(struct mos_core *core, const struct mtcp_conf *mc)
{
	for (int i = 0; i < MOS_POOL_COUNT; i++) {
		const struct pool_def *d = &pool_defs[i];
		int ret = mos_pool_carve(&core->pool[i], &core->arena, d->name,
					 d->obj_size(mc), d->align, d->count(mc));

		if (ret != 0)
			return ret;
	}
	return 0;
}

/* The tuple table, the timer wheel and the socket table, from the arena. */
static int carve_tables(struct mos_core *core, const struct mtcp_conf *mc, uint64_t seed)
{
	uint32_t n = (uint32_t)mc->max_concurrency, nsock = n + MOS_SOCK_EXTRA;
	size_t fsz = mos_tuple_mem_size(n), wsz = mos_wheel_mem_size(MOS_WHEEL_SLOTS);
	size_t ssz = mos_sock_mem_size(nsock);
	void *fmem = mos_arena_carve(&core->arena, fsz, MOS_CACHE_LINE);
	void *wmem = mos_arena_carve(&core->arena, wsz, MOS_CACHE_LINE);
	void *smem = mos_arena_carve(&core->arena, ssz, MOS_CACHE_LINE);

	if (fmem == NULL || wmem == NULL || smem == NULL)
		return -ENOMEM;
	if (mos_tuple_init(&core->tuples, fmem, fsz, n, seed) != 0 ||
	    mos_wheel_init(&core->wheel, wmem, wsz, MOS_WHEEL_SLOTS, core->now) != 0 ||
	    mos_sock_init(&core->sock, smem, ssz, nsock) != 0)
		return -EINVAL;
	return 0;
}

int mos_core_setup(struct mos_core *core, size_t size, int cpu, const struct mtcp_conf *mc,
		   const struct mos_conf *conf, const struct mos_port_info *ports, uint64_t seed)
{
	size_t head = mos_align_up(sizeof(struct mos_core), MOS_CACHE_LINE);
	uint8_t mac[CONF_MAX_NETDEV][6];
	uint16_t port_of[CONF_MAX_NETDEV];
	int ret;

	memset(core, 0, sizeof(*core));
	core->mem = core;
	core->mem_size = size;
	core->ctx.cpu = cpu;
	core->queue = (uint16_t)cpu;
	core->netdev = -1;
	core->now = mos_io_now_us() / MOS_TCP_TICK_US;
	core->tcp_timeout = (uint32_t)mc->tcp_timeout * MOS_TCP_TICKS_PER_S;
	core->tcp_timewait = (uint32_t)mc->tcp_timewait * MOS_TCP_TICKS_PER_S;
	core->iss_secret = seed ^ 0x9e3779b97f4a7c15ULL;
	core->syn_retries = (uint8_t)conf->tcp_syn_retries;
	STAILQ_INIT(&core->tx_list);
	LIST_INIT(&core->arp_wait);
	mos_arena_init(&core->arena, (uint8_t *)core + head, size - head);
	ret = carve_pools(core, mc);
	if (ret == 0)
		ret = carve_tables(core, mc, seed);
	if (ret != 0)
		return ret;
	for (int i = 0; i < conf->n_netdev; i++) {
		memcpy(mac[i], ports[i].mac, 6);
		port_of[i] = ports[i].port_id;
		core->tx_cksum[i] = ports[i].tx_cksum;
	}
	mos_net_init(&core->net, conf, (const uint8_t (*)[6])mac, port_of);
	for (int i = 0; i < conf->n_netdev; i++)
		core->net.iface[i].mtu = ports[i].mtu;
	mos_fault_init(&core->fault, &conf->fault, (unsigned)cpu);
	return 0;
}

static uint64_t random_seed(void)
{
	uint64_t seed = 0;

	if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
		seed = mos_io_now_us() * 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid();
	return seed;
}

/* The context of queue q, on CPU cpu. */
static struct mos_core *core_alloc(int q, unsigned cpu)
{
	size_t size = mos_core_mem_size(&stack.mconf);
	bool huge;
	struct mos_core *core = map_core_memory(size, &huge);

	if (core == NULL) {
		MOS_LOG(ERR, "core %d: cannot reserve %zu MiB for its pools (max_num_buffers %d x "
			"(rcvbuf %d + sndbuf %d) bytes); lower max_num_buffers or the buffer sizes "
			"in %s", q, size >> 20, stack.mconf.max_num_buffers,
			stack.mconf.rcvbuf_size, stack.mconf.sndbuf_size, stack.conf_path);
		return NULL;
	}
	if (mos_core_setup(core, size, q, &stack.mconf, &stack.conf, stack.port,
			   random_seed()) != 0) {
		/* mos_core_mem_size and the carving disagree: a bug, not a user error */
		MOS_LOG(ERR, "core %d: pool carving overran its arena of %zu bytes", q, size);
		unmap_core_memory(core, size, huge);
		return NULL;
	}
	core->mem_huge = huge;
	core->cpu = cpu;
	return core;
}

/*
 * Multi-process: this process's one context, on CPU cpu of the core mask.
 * Its EAL starts now (it needs the CPU): the master's starts the ports,
 * a slave's attaches to them. The EAL has pinned this thread already.
 */
static mctx_t create_mp_context(int cpu)
{
	char err[CONF_ERR_MAX];
	struct mos_core *core;
	int q, ret;

	for (int i = 0; i < CONF_MAX_CORES; i++)
		if (stack.core[i] != NULL) {	/* one context per process */
			errno = EEXIST;
			return NULL;
		}
	ret = mos_dpdk_init_mp(&stack.conf, "epwget-mp", mos_log_level >= MOS_LOG_DEBUG,
			       (unsigned)cpu, err, sizeof(err));
	if (ret != 0) {
		MOS_LOG(ERR, "%s", err);
		errno = -ret;
		return NULL;
	}
	ret = start_ports();
	if (ret != 0) {
		errno = ret < 0 ? -ret : EIO;	/* EINVAL, ENOTSUP: the ports refused the configuration */
		return NULL;
	}
	q = __builtin_popcountll(stack.conf.core_mask & ((1ULL << cpu) - 1));
	core = core_alloc(q, (unsigned)cpu);
	if (core == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	core->ctx.cpu = cpu;
	stack.core[q] = core;
	if (stack.conf.mp_mode == CONF_MP_SLAVE)
		mos_loop_watch_master(core);
	return &core->ctx;
}

mctx_t mtcp_create_context(int cpu)
{
	struct mos_core *core;
	int ret;

	if (stack.inited && stack.conf.mp_mode != CONF_MP_NONE && cpu >= 0 && cpu < CONF_MAX_CORES)
		return create_mp_context(cpu);
	if (!stack.inited || cpu < 0 || cpu >= stack.mconf.num_cores) {
		errno = EINVAL;
		return NULL;
	}
	if (stack.core[cpu] != NULL) {
		errno = EEXIST;
		return NULL;
	}
	ret = start_ports();
	if (ret != 0) {
		errno = ret < 0 ? -ret : EIO;	/* EINVAL, ENOTSUP: the ports refused the configuration */
		return NULL;
	}
	if (mos_dpdk_thread_attach((unsigned)cpu, cpu_of(cpu)) != 0) {
		errno = EINVAL;
		return NULL;
	}
	core = core_alloc(cpu, cpu_of(cpu));
	if (core == NULL) {
		mos_dpdk_thread_detach();
		errno = ENOMEM;
		return NULL;
	}
	stack.core[cpu] = core;
	return &core->ctx;
}

static void rss_release(struct mos_core *core)
{
	if (core->rss_mem != NULL)
		munmap(core->rss_mem, core->rss_mem_size);
	core->rss_mem = NULL;
	core->rss_mem_size = 0;
	core->netdev = -1;
}

void mtcp_destroy_context(mctx_t mctx)
{
	struct mos_core *core = mos_core_of(mctx);
	int cpu;

	if (core == NULL || !stack.inited)
		return;
	cpu = core->queue;
	mos_fault_log_stats(&core->fault, cpu);
	mos_fault_drain(core);	/* held frames go back to the mbuf pool */
	mos_io_tx_flush(core);	/* frames still batched belong to the mbuf pool, not to us */
	/* a stopped stack (SIGINT, a slave's master gone) may hold closing streams: not a leak */
	for (int i = 0; i < MOS_POOL_COUNT && !mos_loop_stopping(); i++)
		if (core->pool[i].in_use != 0)
			MOS_LOG(WARN, "core %d: pool %s still lends %u objects at destroy (a leak)",
				cpu, core->pool[i].name, core->pool[i].in_use);
	rss_release(core);
	stack.core[cpu] = NULL;
	unmap_core_memory(core->mem, core->mem_size, core->mem_huge);
	mos_dpdk_thread_detach();
}

#define DRAIN_CHECK_US 10000	/* others_busy and each_turn: every 10 ms of turning */

int mtcp_drain(mctx_t mctx, int linger_ms, bool (*others_busy)(void *arg),
	       void (*each_turn)(void *arg), void *arg)
{
	struct mos_core *core = mctx != NULL ? mos_core_of(mctx) : NULL;
	uint64_t end = 0, now;

	if (core == NULL || linger_ms < 0)
		return mos_api_fail(EINVAL);
	for (;;) {
		bool others = others_busy != NULL && others_busy(arg);

		now = mos_io_now_us();
		if (!others && end == 0)
			end = now + (uint64_t)linger_ms * 1000;
		if (!others && (core->n_streams == (uint32_t)core->n_listener || now > end))
			return 0;
		for (uint64_t until = now + DRAIN_CHECK_US; mos_io_now_us() < until;) {
			if (mos_loop_stopping())
				return mos_api_fail(EINTR);
			mos_loop_poll(core);
		}
		if (each_turn != NULL)
			each_turn(arg);
	}
}

void mtcp_destroy(void)
{
	if (!stack.inited)
		return;
	for (int i = 0; i < CONF_MAX_CORES; i++)
		if (stack.core[i] != NULL)
			MOS_LOG(WARN, "mtcp_destroy: context of core %d was not destroyed", i);
	mos_dpdk_fini();
	stack.inited = false;
	stack.started = false;
	stack.start_err = 0;
	mos_loop_reset();
}

int mtcp_mp_finish(mctx_t mctx)
{
	if (mos_core_of(mctx) == NULL || stack.conf.mp_mode == CONF_MP_NONE)
		return mos_api_fail(EINVAL);
	mos_dpdk_mp_finish();
	return 0;
}

int mtcp_mp_others(mctx_t mctx)
{
	int n;

	if (mos_core_of(mctx) == NULL || stack.conf.mp_mode == CONF_MP_NONE)
		return mos_api_fail(EINVAL);
	n = mos_dpdk_mp_others();
	return n < 0 ? mos_api_fail(-n) : n;
}

static void on_signal(int signum)
{
	if (signum == SIGINT)
		mos_loop_stop();
	if (signum > 0 && signum < NSIG && stack.app_handler[signum] != NULL)
		stack.app_handler[signum](signum);
}

mtcp_sighandler_t mtcp_register_signal(int signum, mtcp_sighandler_t handler)
{
	struct sigaction sa;
	mtcp_sighandler_t old;

	if (signum <= 0 || signum >= NSIG) {
		errno = EINVAL;
		return SIG_ERR;
	}
	old = stack.app_handler[signum];
	stack.app_handler[signum] = handler;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(signum, &sa, NULL) != 0)
		return SIG_ERR;
	return old;
}

/* The netdev whose address is saddr, or -1. */
static int netdev_of_addr(in_addr_t saddr)
{
	for (int i = 0; i < stack.conf.n_netdev; i++)
		if (stack.conf.netdev[i].addr == saddr)
			return i;
	return -1;
}

/* The netdev whose subnet holds saddr .. + num_addr - 1 (host order), or -1. */
static int netdev_of_range(uint32_t first, uint32_t num_addr)
{
	uint32_t last = first + (num_addr - 1);

	for (int i = 0; i < stack.conf.n_netdev; i++) {
		const struct conf_netdev *nd = &stack.conf.netdev[i];
		uint32_t mask = nd->prefix == 0 ? 0 : 0xffffffffu << (32 - nd->prefix);
		uint32_t net = ntohl(nd->addr) & mask;

		if (last >= first && (first & mask) == net && (last & mask) == net)
			return i;
	}
	return -1;
}

/*
 * The netdev of the pool and its source base. INADDR_ANY: the address of
 * the netdev that routes daddr. A netdev's own address alone: that netdev.
 * Else a range inside a netdev's subnet: that netdev, which then owns the
 * range (*own set); a range in no subnet falls back to daddr's route, as
 * mTCP (the stack then answers for none of it).
 */
static int rss_resolve(in_addr_t *saddr, uint32_t num_addr, in_addr_t daddr, int *netdev,
		       bool *own)
{
	char a[INET_ADDRSTRLEN];

	*own = false;
	if (*saddr == htonl(INADDR_ANY)) {
		*netdev = conf_route_lookup(&stack.conf, daddr);
		if (*netdev < 0) {
			inet_ntop(AF_INET, &daddr, a, sizeof(a));
			MOS_LOG(ERR, "no route to %s: add a route_table line or a netdev whose "
				"subnet holds it in %s", a, stack.conf_path);
			return -ENETUNREACH;
		}
		*saddr = stack.conf.netdev[*netdev].addr;
		return 0;
	}
	*netdev = num_addr == 1 ? netdev_of_addr(*saddr) : -1;
	if (*netdev >= 0)
		return 0;
	*netdev = netdev_of_range(ntohl(*saddr), num_addr);
	if (*netdev >= 0) {
		*own = true;
		return 0;
	}
	*netdev = conf_route_lookup(&stack.conf, daddr);
	return *netdev < 0 ? -ENETUNREACH : 0;
}

/* The stack owns no source address but its netdevs' own. */
static void rss_disown(struct mos_core *core)
{
	for (int i = 0; i < core->net.n_iface; i++)
		mos_net_own_range(&core->net, (uint16_t)i, 0, 0);
}

int mtcp_init_rss(mctx_t mctx, in_addr_t saddr_base, int num_addr, in_addr_t daddr,
		  in_addr_t dport)
{
	struct mos_core *core = mos_core_of(mctx);
	const struct mos_rss_reta *reta;
	long n;
	int netdev, ret;
	bool own;

	if (core == NULL || num_addr < 1 || num_addr > MOS_RSS_POOL_ADDR_MAX || dport == 0 ||
	    dport > 0xffff)
		return mos_api_fail(EINVAL);
	ret = rss_resolve(&saddr_base, (uint32_t)num_addr, daddr, &netdev, &own);
	if (ret != 0)
		return mos_api_fail(-ret);
	/*
	 * The stack answers ARP for, and takes IPv4 to, the pool's addresses
	 * and no others: a range the link cannot own (its network or broadcast
	 * address) is refused.
	 */
	rss_disown(core);
	if (own && mos_net_own_range(&core->net, (uint16_t)netdev, saddr_base,
				     (uint32_t)num_addr) != 0)
		return mos_api_fail(EINVAL);
	reta = &stack.port[netdev].reta;
	n = mos_rss_pool_count(&stack.rss_key, reta, core->queue, saddr_base, (uint32_t)num_addr,
			       (uint16_t)stack.conf.port_first, (uint16_t)stack.conf.port_last,
			       daddr, (in_port_t)dport);
	if (n <= 0) {
		rss_disown(core);
		return mos_api_fail(n == 0 ? ENOENT : (int)-n);
	}
	rss_release(core);
	core->rss_mem_size = mos_rss_pool_mem_size((uint32_t)n, (uint32_t)num_addr);
	core->rss_mem = mmap(NULL, core->rss_mem_size, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (core->rss_mem == MAP_FAILED) {
		core->rss_mem = NULL;
		rss_disown(core);
		return mos_api_fail(ENOMEM);
	}
	n = mos_rss_pool_build(&core->rss, core->rss_mem, core->rss_mem_size, &stack.rss_key, reta,
			       core->queue, saddr_base, (uint32_t)num_addr,
			       (uint16_t)stack.conf.port_first, (uint16_t)stack.conf.port_last,
			       daddr, (in_port_t)dport);
	if (n <= 0) {
		rss_release(core);
		rss_disown(core);
		return mos_api_fail(n == 0 ? ENOENT : (int)-n);
	}
	core->netdev = netdev;
	return 0;
}

static void pool_stat(struct mtcp_pool_stat *s, const struct mos_pool *p)
{
	s->name = p->name;
	s->capacity = p->capacity;
	s->in_use = p->in_use;
	s->in_use_max = p->in_use_max;
	s->exhausted = p->exhausted;
	s->bytes = (uint64_t)p->capacity * p->obj_size;
}

int mtcp_get_pool_stats(mctx_t mctx, struct mtcp_pool_stat *out, int max)
{
	const struct mos_core *core = mos_core_of(mctx);
	int n = 0;

	if (core == NULL || out == NULL || max < 0)
		return mos_api_fail(EINVAL);
	for (int i = 0; i < MOS_POOL_COUNT && n < max; i++)
		pool_stat(&out[n++], &core->pool[i]);
	if (core->rss_mem != NULL && n < max) {
		out[n].name = "rss_pairs";
		out[n].capacity = core->rss.capacity;
		out[n].in_use = core->rss.capacity - core->rss.count;
		out[n].in_use_max = out[n].in_use;
		out[n].exhausted = core->rss.empty;
		out[n].bytes = core->rss_mem_size;
		n++;
	}
	return n;
}

int mtcp_get_io_stats(mctx_t mctx, struct mtcp_io_stat *out)
{
	const struct mos_io_stats *io;

	if (mctx == NULL || out == NULL)
		return mos_api_fail(EINVAL);
	io = mos_io_stats(mos_core_of(mctx));
	out->rx_pkts = io->rx_pkts;
	out->tx_pkts = io->tx_pkts;
	out->tx_dropped = io->tx_dropped;
	out->no_mbuf = io->no_mbuf;
	out->rss_handovers = io->handed_over;
	out->handed_in = io->handed_in;
	return 0;
}

int mtcp_get_fault_stats(mctx_t mctx, struct mtcp_fault_stat *out)
{
	const struct mos_core *core = mos_core_of(mctx);

	if (core == NULL || out == NULL)
		return mos_api_fail(EINVAL);
	out->rx = core->fault.rx.st;
	out->tx = core->fault.tx.st;
	return 0;
}
