/*
 * mos_dpdk_priv.h - what the I/O module's three files share and no other
 * module may include (as mos_tcp_priv.h is TCP's):
 *
 *   mos_dpdk.c     the EAL and the ports: start-up and shut-down (main thread)
 *   mos_dpdk_mp.c  the multi-process group (epwget-mp): master and slaves
 *   mos_io.c       the packet path (each core's own thread)
 *
 * Module state is `io`, defined in mos_dpdk.c: written by the main thread
 * during start-up and shut-down only, never on the packet path, which reads
 * it. Each core's packet-path state is mos_io.c's own (struct io_core).
 */
#ifndef EPWGET_MOS_DPDK_PRIV_H
#define EPWGET_MOS_DPDK_PRIV_H

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "conf_parse.h"
#include "mos_dpdk.h"
#include "mos_rss.h"

#define EAL_ARGV_MAX      (CONF_MAX_EAL_ARGS + 16)

struct rte_mempool;
struct rte_memzone;
struct rte_ring;
struct mp_shared;		/* mos_dpdk_mp.c */

struct mos_dpdk_io {
	bool eal_up;
	uint64_t tsc_per_us;
	unsigned nqueues;
	struct mos_rss_key key;		/* for software steering */
	bool steer[CONF_MAX_NETDEV];	/* the port does not hash for us: steer in software */
	uint16_t dev_queues[CONF_MAX_NETDEV];	/* the port's queues: nqueues, or more (extra_queue) */
	struct mos_rss_reta reta[CONF_MAX_NETDEV];
	struct rte_ring *ring[CONF_MAX_NETDEV][CONF_MAX_CORES];	/* frames handed to a core */
	char prefix[64];	/* --file-prefix we chose, "" when the user gave one */
	char run_dir[128];	/* the EAL runtime directory to remove at exit */
	int n_ports;
	uint16_t port_id[CONF_MAX_NETDEV];
	struct rte_mempool *mbuf_pool[CONF_MAX_CORES];

	/* multi-process mode (epwget-mp) */
	enum conf_mp_mode mp;
	unsigned mp_queue;		/* this process's queue */
	unsigned mp_wait_s;
	char mp_prefix[64];		/* the group's --file-prefix */
	char mp_dir[PATH_MAX / 2];	/* the group's EAL runtime directory */
	struct mp_shared *mp_sh;	/* the master's memzone, shared by the group */
	const struct rte_memzone *mp_mz;
	uint64_t mp_finished_us;	/* when this process's own work ended, 0 = not yet */
	bool mp_told_wait, mp_told_missing;
};

extern struct mos_dpdk_io io;

/* Whether the user's EAL arguments already hold option opt (as "opt" or "opt=..."). */
static inline bool has_opt(const char *const *argv, int argc, const char *opt)
{
	size_t n = strlen(opt);

	for (int i = 0; i < argc; i++)
		if (strncmp(argv[i], opt, n) == 0 && (argv[i][n] == '\0' || argv[i][n] == '='))
			return true;
	return false;
}

/* Whether process pid lives (EPERM: it does, as another user). */
static inline bool pid_alive(int32_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* --- mos_dpdk.c: the EAL, for the group's start too --- */

/* Free hugepages (/proc/meminfo), 0 when unknown. */
long mos_dpdk_hugepages_free(void);

/* argv[0] and the user's eal_args words (kept in words); the count, or -errno. */
int mos_dpdk_user_eal_args(const struct mos_conf *conf, const char *prog, char *words,
			   size_t wlen, const char **argv, char *err, size_t errlen);

/* The options every EAL gets unless the user's eal_args (the first user words) chose them. */
int mos_dpdk_add_common_args(const struct mos_conf *conf, bool verbose, const char **argv,
			     int argc, int user);

/* rte_eal_init on argv; then io.eal_up, the TSC rate and the runtime directory. 0 or -errno. */
int mos_dpdk_eal_start(const char **argv, int argc, char *err, size_t errlen);

/* The EAL's runtime directory for a file prefix, as the EAL itself names it. */
void mos_dpdk_runtime_dir_of(const char *prefix, char *buf, size_t len);

/* Unlink the files in dir whose names start with prefix (all of them for ""). */
void mos_dpdk_unlink_files(const char *dir, const char *prefix);

/* --- mos_dpdk_mp.c: the group's part of ports_start and fini --- */

/* The master, its ports started: tell the slaves what they are and that they may come. */
int mos_dpdk_mp_publish(const struct mos_conf *conf, const struct mos_port_info *info,
			char *err, size_t errlen);

/* A slave: the master's ports, pools and rings, found by name; no control-path call. */
int mos_dpdk_mp_attach(const struct mos_conf *conf, unsigned nqueues, const struct mos_rss_key *k,
		       struct mos_port_info *info, char *err, size_t errlen);

/* The master waits (bounded) for its slaves to leave before it stops the ports. */
void mos_dpdk_mp_wait_slaves(void);

/* A slave leaves what it attached to: the master owns and frees it. */
void mos_dpdk_mp_slave_fini(void);

/* The master, last of its group: the group's runtime directory and hugepage files. */
void mos_dpdk_mp_remove_files(void);

/* --- mos_io.c --- */

/* Forget every core's batched frames (fini: they go with the mbuf pools). */
void mos_io_forget_tx(void);

#endif
