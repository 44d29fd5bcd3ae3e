/*
 * mos_dpdk_mp.c - the I/O module's multi-process group (epwget-mp, mos.conf's
 * multiprocess line): one process per core, the master a DPDK primary that
 * starts the ports, each slave a secondary that attaches to them. It owns
 * the group's EAL start (mos_dpdk_init_mp and its checks), the memzone in
 * which the master publishes its ports, key and steering rings to its slaves
 * (struct mp_shared), each process's slot there (claim, progress, exit), and
 * the group's shut-down: the master waits for its slaves, then removes the
 * group's files.
 *
 * Off the packet path: each process's main thread, at start, while it waits
 * for the others (mos_dpdk_mp_others) and at exit. Attached, a slave's core
 * runs mos_io.c's packet path on the master's ports, rings and its own pool,
 * as a core of a threaded epwget does.
 */
#include "mos_dpdk.h"
#include "mos_dpdk_priv.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_memzone.h>
#include <rte_ring.h>

#include "mos_log.h"

/* Built with AddressSanitizer (make SAN=1: clang's __has_feature, gcc's macro)? */
#if defined(__SANITIZE_ADDRESS__)
#define MOS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MOS_ASAN 1
#endif
#endif
#ifndef MOS_ASAN
#define MOS_ASAN 0
#endif
static const bool sanitized_address_space = MOS_ASAN;

/*
 * What a multi-process master publishes to its slaves in a memzone: the
 * ports as it started them, the key, and one slot per queue saying which
 * process works it and how far it got. Slots change with atomics only.
 */
#define MP_ZONE        "mos_mp"
#define MP_MAGIC       0x45505750u	/* "EPWP" */
#define MP_READY_FILE  "mos_mp_ready"	/* in the runtime dir: the master's pid, once it is ready */
#define MP_EXIT_WAIT_MS 5000		/* the master waits this long for slaves to leave */

enum mp_state { MP_FREE = 0, MP_RUNNING, MP_DONE, MP_EXITED };

struct mp_slot {
	int32_t pid;
	uint32_t state;			/* enum mp_state */
};

struct mp_shared {
	uint32_t magic;
	uint32_t nqueues;
	int32_t master_pid;
	uint32_t master_cpu;
	uint64_t core_mask;
	struct mos_rss_key key;
	int n_ports;
	uint16_t port_id[CONF_MAX_NETDEV];
	bool steer[CONF_MAX_NETDEV];
	struct mos_port_info info[CONF_MAX_NETDEV];
	struct mp_slot slot[CONF_MAX_CORES];
};

/* --- the group's EAL ------------------------------------------------------ */

/* The value of option opt in the user's words ("--opt=v" or "--opt v"), or NULL. */
static const char *opt_value(const char *const *argv, int argc, const char *opt)
{
	size_t n = strlen(opt);

	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], opt, n) != 0)
			continue;
		if (argv[i][n] == '=')
			return argv[i] + n + 1;
		if (argv[i][n] == '\0' && i + 1 < argc)
			return argv[i + 1];
	}
	return NULL;
}

static bool hugetlbfs_mounted(void)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/mounts", "r");

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, " hugetlbfs ") != NULL;
	fclose(f);
	return found;
}

/* The pid in the group's ready file, 0 when there is none. */
static int32_t ready_pid(void)
{
	char path[PATH_MAX];
	long pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", io.mp_dir, MP_READY_FILE);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld", &pid) != 1 || pid <= 0 || pid > INT32_MAX)
		pid = 0;
	fclose(f);
	return (int32_t)pid;
}

/* A DPDK primary holds a lock on the group's config file while it lives. */
static bool primary_alive(void)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/config", io.mp_dir);
	return rte_eal_primary_proc_alive(path) != 0;
}

static int mp_master_checks(const char *const *argv, int user, char *err, size_t errlen)
{
	char path[PATH_MAX];

	if (primary_alive()) {
		int32_t pid = ready_pid();

		mos_set_err(err, errlen, "a master already runs for file prefix %s (pid %d): stop "
			    "it first, or give this group its own --file-prefix in eal_args",
			    io.mp_prefix, pid);
		return -EEXIST;
	}
	if (mos_dpdk_hugepages_free() <= 0) {
		mos_set_err(err, errlen, "multi-process needs hugepages and none is free: echo "
			    "256 > /proc/sys/vm/nr_hugepages (make run-mp does it)");
		return -ENOMEM;
	}
	if (!has_opt(argv, user, "--huge-dir") && !hugetlbfs_mounted()) {
		mos_set_err(err, errlen, "multi-process needs a hugetlbfs mount to share memory: "
			    "mkdir -p /dev/hugepages && mount -t hugetlbfs nodev /dev/hugepages "
			    "(make run-mp does it)");
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/%s", io.mp_dir, MP_READY_FILE);
	unlink(path);	/* left by a master that died */
	return 0;
}

/* A slave starts its EAL only once the master has started the ports: the tap PMD hands queues over then. */
static int mp_wait_master(char *err, size_t errlen)
{
	for (unsigned waited_ms = 0;; waited_ms += 100) {
		int32_t pid = ready_pid();

		if (pid != 0 && pid_alive(pid) && primary_alive())
			return 0;
		if (waited_ms >= io.mp_wait_s * 1000u) {
			mos_set_err(err, errlen, "no master is ready for file prefix %s after %u "
				    "s: start the master first (epwget-mp -f MASTER.conf -c N, "
				    "with multiprocess = N master), or raise mp_wait", io.mp_prefix,
				    io.mp_wait_s);
			return -ETIMEDOUT;
		}
		if (waited_ms == 0)
			MOS_LOG(INFO, "waiting up to %u s for the master of file prefix %s",
				io.mp_wait_s, io.mp_prefix);
		usleep(100 * 1000);
	}
}

/* The CPU that lcore `cpu` runs on: itself when this process may use it, else one it may. */
static unsigned physical_cpu(unsigned cpu)
{
	cpu_set_t set;
	unsigned n = 0, pick;

	if (sched_getaffinity(0, sizeof(set), &set) != 0 || CPU_ISSET(cpu, &set))
		return cpu;
	n = (unsigned)CPU_COUNT(&set);
	if (n == 0)
		return cpu;
	pick = cpu % n;
	for (unsigned c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set) && pick-- == 0) {
			MOS_LOG(INFO, "CPU %u is not available here: core %u shares CPU %u", cpu,
				cpu, c);
			return c;
		}
	return cpu;
}

static int mp_check_args(const struct mos_conf *conf, unsigned cpu, const char *const *argv,
			 int user, char *err, size_t errlen)
{
	static const char *const private_mem[] = { "--in-memory", "--no-huge", "--no-shconf" };

	if (cpu >= CONF_MAX_CORES || !((conf->core_mask >> cpu) & 1)) {
		mos_set_err(err, errlen, "core %u is not in core_mask 0x%llx: give -c one of its "
			    "CPUs", cpu, (unsigned long long)conf->core_mask);
		return -EINVAL;
	}
	if (conf->mp_mode == CONF_MP_MASTER && (int)cpu != conf->mp_master_core) {
		mos_set_err(err, errlen, "this is the master's configuration (multiprocess = %d "
			    "master): run it with -c %d; slaves take a configuration with "
			    "multiprocess = slave", conf->mp_master_core, conf->mp_master_core);
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(private_mem) / sizeof(private_mem[0]); i++)
		if (has_opt(argv, user, private_mem[i])) {
			mos_set_err(err, errlen, "eal_args: %s keeps memory private to one "
				    "process; multi-process shares it: remove %s", private_mem[i],
				    private_mem[i]);
			return -EINVAL;
		}
	return 0;
}

int mos_dpdk_init_mp(const struct mos_conf *conf, const char *prog, bool verbose, unsigned cpu,
		     char *err, size_t errlen)
{
	static char words[CONF_EAL_ARGS_MAX], lcores[48], prefix[96];
	const char *argv[EAL_ARGV_MAX];
	const char *p;
	bool master = conf->mp_mode == CONF_MP_MASTER;
	int argc, user, ret;

	if (io.eal_up)
		return 0;
	if (conf->mp_mode == CONF_MP_NONE) {
		mos_set_err(err, errlen, "no multiprocess line in the mos config: add "
			    "`multiprocess = N master` (the master's) or `multiprocess = slave`");
		return -EINVAL;
	}
	argc = mos_dpdk_user_eal_args(conf, prog, words, sizeof(words), argv, err, errlen);
	if (argc < 0)
		return argc;
	user = argc;
	ret = mp_check_args(conf, cpu, argv, user, err, errlen);
	if (ret != 0)
		return ret;
	io.mp = conf->mp_mode;
	io.mp_queue = (unsigned)__builtin_popcountll(conf->core_mask & ((1ULL << cpu) - 1));
	io.mp_wait_s = (unsigned)conf->mp_wait;
	p = opt_value(argv, user, "--file-prefix");
	snprintf(io.mp_prefix, sizeof(io.mp_prefix), "%s", p != NULL ? p : "epwget-mp");
	io.prefix[0] = '\0';	/* the group's directory is removed by the master, not by us */
	mos_dpdk_runtime_dir_of(io.mp_prefix, io.mp_dir, sizeof(io.mp_dir));
	ret = master ? mp_master_checks(argv, user, err, errlen) : mp_wait_master(err, errlen);
	if (ret != 0)
		return ret;
	if (p == NULL) {
		snprintf(prefix, sizeof(prefix), "--file-prefix=%s", io.mp_prefix);
		argv[argc++] = prefix;
	}
	if (!has_opt(argv, user, "--proc-type"))
		argv[argc++] = master ? "--proc-type=primary" : "--proc-type=secondary";
	/*
	 * AddressSanitizer's shadow covers the EAL's default base address (4
	 * GiB): a sanitized master reserved its hugepage space wherever mmap
	 * put it, where a slave's own mappings often were already ("Cannot
	 * reserve 17179869184 bytes at [0x7fdffde00000] - please use
	 * '--base-virtaddr'"; 2 test groups of 4 failed). Above the shadow and
	 * below ASan's allocator, the address is free in every process.
	 */
	if (sanitized_address_space && master && !has_opt(argv, user, "--base-virtaddr"))
		argv[argc++] = "--base-virtaddr=0x200000000000";
	/* lcore id = the core's CPU: each process of the group has its own mempool caches */
	if (!has_opt(argv, user, "-l") && !has_opt(argv, user, "-c") && !has_opt(argv, user, "--lcores")) {
		snprintf(lcores, sizeof(lcores), "--lcores=%u@%u", cpu, physical_cpu(cpu));
		argv[argc++] = lcores;
	}
	argc = mos_dpdk_add_common_args(conf, verbose, argv, argc, user);
	return mos_dpdk_eal_start(argv, argc, err, errlen);
}

/* --- publish (master) and attach (slave) ---------------------------------- */

static int write_ready_file(char *err, size_t errlen)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", io.mp_dir, MP_READY_FILE);
	snprintf(tmp, sizeof(tmp), "%s/%s.tmp", io.mp_dir, MP_READY_FILE);
	f = fopen(tmp, "w");
	if (f == NULL || fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0 ||
	    rename(tmp, path) != 0) {
		mos_set_err(err, errlen, "cannot write %s (%s); check that %s is writable", path,
			    strerror(errno), io.mp_dir);
		return -errno;
	}
	return 0;
}

/* The master, its ports started: tell the slaves what they are and that they may come. */
int mos_dpdk_mp_publish(const struct mos_conf *conf, const struct mos_port_info *info,
		      char *err, size_t errlen)
{
	struct mp_shared *sh;

	io.mp_mz = rte_memzone_reserve(MP_ZONE, sizeof(*sh), rte_socket_id(), 0);
	if (io.mp_mz == NULL) {
		mos_set_err(err, errlen, "cannot reserve the group's memzone (%s); reserve more "
			    "hugepages", rte_strerror(rte_errno));
		return -ENOMEM;
	}
	sh = io.mp_sh = io.mp_mz->addr;
	memset(sh, 0, sizeof(*sh));
	sh->nqueues = io.nqueues;
	sh->master_pid = (int32_t)getpid();
	sh->master_cpu = (uint32_t)conf->mp_master_core;
	sh->core_mask = conf->core_mask;
	sh->key = io.key;
	sh->n_ports = io.n_ports;
	for (int i = 0; i < io.n_ports; i++) {
		sh->port_id[i] = io.port_id[i];
		sh->steer[i] = io.steer[i];
		sh->info[i] = info[i];
	}
	sh->slot[io.mp_queue] = (struct mp_slot){ sh->master_pid, MP_RUNNING };
	__atomic_store_n(&sh->magic, MP_MAGIC, __ATOMIC_RELEASE);
	return write_ready_file(err, errlen);
}

static int mp_lookup_shared(const struct mos_conf *conf, unsigned nqueues,
			    const struct mos_rss_key *k, char *err, size_t errlen)
{
	const struct rte_memzone *mz = rte_memzone_lookup(MP_ZONE);
	struct mp_shared *sh = mz != NULL ? mz->addr : NULL;

	if (sh == NULL || __atomic_load_n(&sh->magic, __ATOMIC_ACQUIRE) != MP_MAGIC) {
		mos_set_err(err, errlen, "the master of file prefix %s has published no ports; is "
			    "it an epwget-mp master of this version?", io.mp_prefix);
		return -ENOENT;
	}
	io.mp_sh = sh;
	if (sh->core_mask != conf->core_mask || sh->nqueues != nqueues ||
	    sh->n_ports != conf->n_netdev) {
		mos_set_err(err, errlen, "the master runs core_mask 0x%llx with %d netdevs, this "
			    "configuration has 0x%llx and %d: give slaves the master's "
			    "configuration with only the multiprocess line changed",
			    (unsigned long long)sh->core_mask, sh->n_ports,
			    (unsigned long long)conf->core_mask, conf->n_netdev);
		return -EINVAL;
	}
	if (sh->key.len != k->len || memcmp(sh->key.key, k->key, k->len) != 0) {
		mos_set_err(err, errlen, "rss_key differs from the master's: the group must steer "
			    "with one key; use the master's rss_key");
		return -EINVAL;
	}
	if (io.mp_queue == (unsigned)__builtin_popcountll(sh->core_mask &
							   ((1ULL << sh->master_cpu) - 1))) {
		mos_set_err(err, errlen, "core %u is the master's (multiprocess = %u master): give "
			    "slaves the other CPUs of core_mask", sh->master_cpu, sh->master_cpu);
		return -EINVAL;
	}
	return 0;
}

/* Take this process's slot, unless a live process of the group holds it. */
static int mp_claim(char *err, size_t errlen)
{
	struct mp_slot *sl = &io.mp_sh->slot[io.mp_queue];
	int32_t old = __atomic_load_n(&sl->pid, __ATOMIC_ACQUIRE);
	uint32_t st = __atomic_load_n(&sl->state, __ATOMIC_ACQUIRE);

	if ((old != 0 && st != MP_EXITED && pid_alive(old)) ||
	    !__atomic_compare_exchange_n(&sl->pid, &old, (int32_t)getpid(), false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		mos_set_err(err, errlen, "queue %u of this group already has a process (pid %d): "
			    "give each slave its own CPU of core_mask", io.mp_queue, old);
		return -EBUSY;
	}
	__atomic_store_n(&sl->state, MP_RUNNING, __ATOMIC_RELEASE);
	return 0;
}

/* A slave: the master's ports, pools and rings, found by name; no control-path call. */
int mos_dpdk_mp_attach(const struct mos_conf *conf, unsigned nqueues, const struct mos_rss_key *k,
		     struct mos_port_info *info, char *err, size_t errlen)
{
	char name[RTE_RING_NAMESIZE];
	int ret = mp_lookup_shared(conf, nqueues, k, err, errlen);
	struct mp_shared *sh = io.mp_sh;

	if (ret != 0)
		return ret;
	for (int i = 0; i < sh->n_ports; i++) {
		io.port_id[i] = sh->port_id[i];
		io.steer[i] = sh->steer[i];
		io.dev_queues[i] = sh->info[i].dev_queues;
		io.reta[i] = sh->info[i].reta;
		info[i] = sh->info[i];
		for (unsigned q = 0; io.steer[i] && q < nqueues; q++) {
			snprintf(name, sizeof(name), "mos_steer_%d_%u", i, q);
			io.ring[i][q] = rte_ring_lookup(name);
			if (io.ring[i][q] == NULL) {
				mos_set_err(err, errlen, "the master's steering ring %s is missing",
					    name);
				return -ENOENT;
			}
		}
	}
	io.n_ports = sh->n_ports;
	snprintf(name, sizeof(name), "mos_mbuf_%u", io.mp_queue);
	io.mbuf_pool[io.mp_queue] = rte_mempool_lookup(name);
	if (io.mbuf_pool[io.mp_queue] == NULL) {
		mos_set_err(err, errlen, "the master's mbuf pool %s is missing", name);
		return -ENOENT;
	}
	return mp_claim(err, errlen);
}

/* --- the group's progress and exit ---------------------------------------- */

static uint64_t wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

bool mos_dpdk_mp_master_alive(void)
{
	return io.mp != CONF_MP_SLAVE || io.mp_sh == NULL || pid_alive(io.mp_sh->master_pid);
}

void mos_dpdk_mp_finish(void)
{
	if (io.mp_sh == NULL)
		return;
	__atomic_store_n(&io.mp_sh->slot[io.mp_queue].state, MP_DONE, __ATOMIC_RELEASE);
	if (io.mp_finished_us == 0)
		io.mp_finished_us = wall_us();
}

int mos_dpdk_mp_others(void)
{
	uint64_t waited = io.mp_finished_us != 0 ? wall_us() - io.mp_finished_us : 0;
	int running = 0, unstarted = 0;
	char missing[128] = "";

	if (io.mp_sh == NULL)
		return 0;
	if (!mos_dpdk_mp_master_alive())
		return -EPIPE;
	for (unsigned q = 0; q < io.nqueues; q++) {
		const struct mp_slot *sl = &io.mp_sh->slot[q];
		uint32_t st = __atomic_load_n(&sl->state, __ATOMIC_ACQUIRE);

		if (q == io.mp_queue)
			continue;
		if (st == MP_RUNNING && pid_alive(__atomic_load_n(&sl->pid, __ATOMIC_ACQUIRE)))
			running++;
		else if (st == MP_FREE) {
			size_t n = strlen(missing);

			unstarted++;
			snprintf(missing + n, sizeof(missing) - n, "%s%u", n ? "," : "", q);
		}
	}
	if (unstarted == 0)
		return running;
	if (waited < (uint64_t)io.mp_wait_s * 1000000) {
		if (!io.mp_told_wait && io.mp_finished_us != 0)
			MOS_LOG(INFO, "waiting up to %u s for the processes of queues %s to start",
				io.mp_wait_s, missing);
		io.mp_told_wait = io.mp_finished_us != 0;
		return running + unstarted;
	}
	if (!io.mp_told_missing)
		MOS_LOG(WARN, "the processes of queues %s never started (waited %u s): their share "
			"of the flows did not run", missing, io.mp_wait_s);
	io.mp_told_missing = true;
	return running;
}

/*
 * The master, last of its group: the runtime directory (config, memory
 * maps, sockets, the ready file) and the hugepage files of the group's
 * prefix on every hugetlbfs mount. What a crash leaves, make run-mp and
 * the tests remove.
 */
void mos_dpdk_mp_remove_files(void)
{
	char line[512], mnt[256], type[32], prefix[80];
	FILE *f;

	mos_dpdk_unlink_files(io.mp_dir, "");
	rmdir(io.mp_dir);
	snprintf(prefix, sizeof(prefix), "%smap_", io.mp_prefix);
	f = fopen("/proc/mounts", "r");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%*s %255s %31s", mnt, type) == 2 && strcmp(type, "hugetlbfs") == 0)
			mos_dpdk_unlink_files(mnt, prefix);
	fclose(f);
}

/*
 * The master waits (bounded) for its slaves to leave before it stops the
 * ports under them and frees their memory: until their processes are gone,
 * not only marked exited, since a slave still talks to the master's EAL
 * while it cleans up.
 */
void mos_dpdk_mp_wait_slaves(void)
{
	for (int waited = 0; waited < MP_EXIT_WAIT_MS; waited += 50) {
		int live = 0;

		for (unsigned q = 0; q < io.nqueues; q++) {
			const struct mp_slot *sl = &io.mp_sh->slot[q];

			if (q != io.mp_queue && pid_alive(__atomic_load_n(&sl->pid, __ATOMIC_ACQUIRE)))
				live++;
		}
		if (live == 0)
			return;
		if (waited == 0)
			MOS_LOG(INFO, "waiting for %d slave%s to exit before stopping the ports", live,
				live == 1 ? "" : "s");
		usleep(50 * 1000);
	}
	MOS_LOG(WARN, "slaves still running after %d ms: stopping the ports anyway",
		MP_EXIT_WAIT_MS);
}

/* A slave leaves what it attached to: the master owns and frees it. */
void mos_dpdk_mp_slave_fini(void)
{
	if (io.mp_sh != NULL)
		__atomic_store_n(&io.mp_sh->slot[io.mp_queue].state, MP_EXITED, __ATOMIC_RELEASE);
	io.mp_sh = NULL;
	io.n_ports = 0;
	memset(io.ring, 0, sizeof(io.ring));
	memset(io.mbuf_pool, 0, sizeof(io.mbuf_pool));
	rte_eal_cleanup();
	io.eal_up = false;
}

