/*
 * mos_dpdk.c - the I/O module's control path (see mos_dpdk.h): the EAL and
 * its runtime directory, the ports with their queues, mbuf pools, RSS key
 * and redirection table, the steering rings, each core's lcore identity,
 * and the shut-down of all of it. Main thread only (thread_attach: each
 * core's thread, once), before the cores start and after they stop: nothing
 * here is on the packet path.
 *
 * The packet path over what it sets up is mos_io.c; a multi-process group's
 * EAL, publishing and attaching is mos_dpdk_mp.c. The state the three share,
 * `io` (mos_dpdk_priv.h), is defined here.
 */
#include "mos_dpdk.h"
#include "mos_dpdk_priv.h"

#include <errno.h>
#include <pthread.h>
#include <dirent.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_memzone.h>
#include <rte_ring.h>

#include "mos_log.h"

#define MBUF_CACHE        256
#define MBUF_BURST_SLACK  2048	/* mbufs a core holds outside the rings: bursts, ARP queue */
#define LINK_WAIT_MS      3000
#define INTR_SETTLE_US    100000	/* the interrupt thread's walk after a port close (fini) */
#define NO_HUGE_BASE_MB   64	/* EAL heap besides the mbuf pools, when it has no hugepages */

/* Drivers that accept an RSS configuration but do not hash with our key and table. */
static const char *const soft_rss_drivers[] = {
	"net_tap", "net_af_packet", "net_memif", "net_ring", "net_null", "net_pcap",
	"net_virtio_user",
};

/*
 * Drivers whose receive queues are fixed when the device is probed, however
 * many the port is configured with: af_packet opens qpairs sockets in one
 * PACKET_FANOUT group, and the kernel spreads frames over all of them. The
 * port is configured with all of them, and the queues beyond the run's
 * cores are polled too (see extra_queue).
 */
static const char *const fixed_queue_drivers[] = { "net_af_packet" };

#define STEER_RING     4096	/* frames one core may hold for another */

struct mos_dpdk_io io;

long mos_dpdk_hugepages_free(void)
{
	char line[256];
	long n = 0;
	FILE *f = fopen("/proc/meminfo", "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "HugePages_Free: %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

static unsigned mask_count(uint64_t mask)
{
	return (unsigned)__builtin_popcountll(mask);
}

/* Mbufs one core needs: its RX and TX rings on every port, plus what it holds between them. */
static unsigned mbufs_per_core(const struct mos_conf *conf)
{
	if (conf->nb_mbuf != 0)
		return (unsigned)conf->nb_mbuf;
	return (unsigned)(conf->n_netdev * (conf->rx_desc + conf->tx_desc)) + MBUF_BURST_SLACK;
}

/* The per-lcore cache: at most an eighth of a small pool, so that caches cannot hide most of it. */
static unsigned mbuf_cache(const struct mos_conf *conf)
{
	unsigned n = mbufs_per_core(conf) / 8;

	return n < MBUF_CACHE ? n : MBUF_CACHE;
}

/*
 * Memory options, unless the user chose them: --in-memory on hugepages
 * when some are free, else --no-huge with a heap sized for the mbuf pools.
 */
static int add_memory_args(const struct mos_conf *conf, const char **argv, int argc, char *store,
			   size_t storelen)
{
	static const char *const mem_opts[] = {
		"--no-huge", "--in-memory", "-m", "--socket-mem", "--huge-dir", "--no-shconf",
	};
	unsigned long mb;

	for (size_t i = 0; i < sizeof(mem_opts) / sizeof(mem_opts[0]); i++)
		if (has_opt(argv, argc, mem_opts[i]))
			return argc;
	if (mos_dpdk_hugepages_free() > 0) {
		MOS_LOG(DEBUG, "EAL on hugepages (--in-memory)");
		argv[argc++] = "--in-memory";
		return argc;
	}
	mb = NO_HUGE_BASE_MB + (unsigned long)mask_count(conf->core_mask) *
	     mbufs_per_core(conf) * (RTE_MBUF_DEFAULT_BUF_SIZE + 256) / (1024 * 1024);
	snprintf(store, storelen, "%lu", mb);
	MOS_LOG(DEBUG, "no free hugepages: EAL on ordinary memory (--no-huge -m %lu)", mb);
	argv[argc++] = "--no-huge";
	argv[argc++] = "--no-shconf";
	argv[argc++] = "-m";
	argv[argc++] = store;
	return argc;
}

static int split_eal_args(char *buf, const char **argv, int argc, char *err, size_t errlen)
{
	for (char *save = NULL, *w = strtok_r(buf, " \t", &save); w != NULL;
	     w = strtok_r(NULL, " \t", &save)) {
		if (argc >= CONF_MAX_EAL_ARGS) {
			mos_set_err(err, errlen, "eal_args: more than %d words; shorten eal_args",
				    CONF_MAX_EAL_ARGS - 1);
			return -E2BIG;
		}
		argv[argc++] = w;
	}
	return argc;
}

/* argv[0] and the user's eal_args words (kept in words); the count, or -errno. */
int mos_dpdk_user_eal_args(const struct mos_conf *conf, const char *prog, char *words,
			 size_t wlen, const char **argv, char *err, size_t errlen)
{
	argv[0] = prog;
	snprintf(words, wlen, "%s", conf->eal_args);
	return split_eal_args(words, argv, 1, err, errlen);
}

/* The options every EAL gets unless the user's eal_args (the first user words) chose them. */
int mos_dpdk_add_common_args(const struct mos_conf *conf, bool verbose, const char **argv,
			   int argc, int user)
{
	static char chans[16];

	snprintf(chans, sizeof(chans), "%d", conf->nb_mem_channels);
	if (!has_opt(argv, user, "-n")) {
		argv[argc++] = "-n";
		argv[argc++] = chans;
	}
	if (!has_opt(argv, user, "--log-level")) {
		argv[argc++] = verbose ? "--log-level=info" : "--log-level=warning";
		argv[argc++] = "--log-level=pmd.net.tap:crit";	/* its multiq complaint is harmless */
	}
	if (!has_opt(argv, user, "--telemetry") && !has_opt(argv, user, "--no-telemetry"))
		argv[argc++] = "--no-telemetry";
	argv[argc] = NULL;
	return argc;
}

int mos_dpdk_eal_start(const char **argv, int argc, char *err, size_t errlen)
{
	/* the EAL reorders the pointers but never writes through them */
	int ret = rte_eal_init(argc, (char **)(uintptr_t)argv);

	if (ret < 0) {
		mos_set_err(err, errlen, "DPDK EAL start failed (%s); check eal_args in the mos "
			    "config (the EAL's own message is above)", rte_strerror(rte_errno));
		return -(rte_errno ? rte_errno : EINVAL);
	}
	io.eal_up = true;
	io.tsc_per_us = rte_get_tsc_hz() / 1000000;
	if (io.tsc_per_us == 0)
		io.tsc_per_us = 1;
	snprintf(io.run_dir, sizeof(io.run_dir), "%s", rte_eal_get_runtime_dir());
	return 0;
}

/*
 * The runtime directories that epwget processes killed before their exit
 * (SIGKILL, a crash) left: epwget-PID with PID gone. Ours by name; a live
 * PID's is left alone.
 */
static void remove_stale_run_dirs(void)
{
	char base[PATH_MAX / 2], dir[PATH_MAX];
	struct dirent *e;
	DIR *d;
	long pid;
	char tail;

	mos_dpdk_runtime_dir_of("", base, sizeof(base));
	base[strlen(base) - 1] = '\0';	/* ".../dpdk/": the directory of every prefix */
	d = opendir(base);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (sscanf(e->d_name, "epwget-%ld%c", &pid, &tail) != 1 || pid <= 0 ||
		    pid > INT32_MAX || pid_alive((int32_t)pid))
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", base, e->d_name);
		mos_dpdk_unlink_files(dir, "");
		if (rmdir(dir) == 0)
			MOS_LOG(DEBUG, "removed %s, left by an epwget that was killed", dir);
	}
	closedir(d);
}

int mos_dpdk_init(const struct mos_conf *conf, const char *prog, bool verbose,
		  char *err, size_t errlen)
{
	static char words[CONF_EAL_ARGS_MAX], lcore[16], mem[24], prefix[80];
	const char *argv[EAL_ARGV_MAX];
	int argc, user;

	if (io.eal_up)
		return 0;
	argc = mos_dpdk_user_eal_args(conf, prog, words, sizeof(words), argv, err, errlen);
	if (argc < 0)
		return argc;
	user = argc;
	/* the main thread sits on the first CPU of the mask; cores' threads register later */
	snprintf(lcore, sizeof(lcore), "%d", __builtin_ctzll(conf->core_mask));
	if (!has_opt(argv, user, "-l") && !has_opt(argv, user, "-c") && !has_opt(argv, user, "--lcores")) {
		argv[argc++] = "-l";
		argv[argc++] = lcore;
	}
	argc = add_memory_args(conf, argv, argc, mem, sizeof(mem));
	io.prefix[0] = '\0';
	if (!has_opt(argv, user, "--file-prefix")) {
		remove_stale_run_dirs();
		snprintf(io.prefix, sizeof(io.prefix), "epwget-%ld", (long)getpid());
		snprintf(prefix, sizeof(prefix), "--file-prefix=%s", io.prefix);
		argv[argc++] = prefix;
	}
	argc = mos_dpdk_add_common_args(conf, verbose, argv, argc, user);
	return mos_dpdk_eal_start(argv, argc, err, errlen);
}

/* The EAL's runtime directory for a file prefix, as the EAL itself names it. */
void mos_dpdk_runtime_dir_of(const char *prefix, char *buf, size_t len)
{
	const char *base = "/var/run";

	if (getuid() != 0)
		base = getenv("XDG_RUNTIME_DIR") != NULL ? getenv("XDG_RUNTIME_DIR") : "/tmp";
	snprintf(buf, len, "%s/dpdk/%s", base, prefix);
}

static bool soft_rss_driver(const char *driver)
{
	for (size_t i = 0; i < sizeof(soft_rss_drivers) / sizeof(soft_rss_drivers[0]); i++)
		if (strcmp(driver, soft_rss_drivers[i]) == 0)
			return true;
	return false;
}

/* "dpdkN" is the N-th DPDK port; any other name is a DPDK device name (net_tap0, 0000:01:00.0). */
static int port_lookup(const char *name, uint16_t *port, char *err, size_t errlen)
{
	unsigned n;
	char tail;

	if (sscanf(name, "dpdk%u%c", &n, &tail) == 1) {
		if (n < RTE_MAX_ETHPORTS && rte_eth_dev_is_valid_port((uint16_t)n)) {
			*port = (uint16_t)n;
			return 0;
		}
	} else if (rte_eth_dev_get_port_by_name(name, port) == 0) {
		return 0;
	}
	mos_set_err(err, errlen, "netdev %s: no such DPDK port (%u probed); add the device to "
		    "eal_args (--vdev=... for a virtual device, -a PCI-ADDRESS for a NIC bound to "
		    "vfio-pci)", name, rte_eth_dev_count_avail());
	return -ENODEV;
}

/* The NUMA node of a CPU, from sysfs (the EAL knows only its own lcores); SOCKET_ID_ANY if unknown. */
static int cpu_socket(unsigned cpu)
{
	char path[64];
	struct dirent *e;
	int node = SOCKET_ID_ANY;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u", cpu);
	d = opendir(path);
	if (d == NULL)
		return SOCKET_ID_ANY;
	while ((e = readdir(d)) != NULL)
		if (sscanf(e->d_name, "node%d", &node) == 1)
			break;
	closedir(d);
	return node;
}

static struct rte_mempool *mbuf_pool_create(const struct mos_conf *conf, unsigned q, unsigned cpu)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	struct rte_mempool *mp;
	int socket = cpu_socket(cpu);

	snprintf(name, sizeof(name), "mos_mbuf_%u", q);
	mp = rte_pktmbuf_pool_create(name, mbufs_per_core(conf), mbuf_cache(conf), 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (mp == NULL && socket != SOCKET_ID_ANY)	/* no memory on that node: anywhere */
		mp = rte_pktmbuf_pool_create(name, mbufs_per_core(conf), mbuf_cache(conf), 0,
					     RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	return mp;
}

static int create_mbuf_pools(const struct mos_conf *conf, unsigned nqueues, char *err,
			     size_t errlen)
{
	uint64_t mask = conf->core_mask;

	for (unsigned q = 0; q < nqueues; q++, mask &= mask - 1) {
		if (io.mbuf_pool[q] != NULL)
			continue;
		io.mbuf_pool[q] = mbuf_pool_create(conf, q, (unsigned)__builtin_ctzll(mask));
		if (io.mbuf_pool[q] == NULL) {
			mos_set_err(err, errlen, "cannot create the mbuf pool of core %u (%u "
				    "mbufs: %s); reserve hugepages or lower rx_desc/tx_desc", q,
				    mbufs_per_core(conf), rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	return 0;
}

/* The RSS part of the port configuration: our key, when the NIC really hashes with it. */
static void setup_rss(struct rte_eth_conf *pc, const struct rte_eth_dev_info *di,
		      const struct mos_rss_key *k, uint8_t *keybuf, struct mos_port_info *info)
{
	uint64_t hf = (RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_IPV4) & di->flow_type_rss_offloads;

	info->hw_rss = hf != 0 && (di->hash_key_size == 40 || di->hash_key_size == 52) &&
		       di->reta_size >= 64 && di->reta_size <= MOS_RETA_MAX &&
		       (di->reta_size & (di->reta_size - 1)) == 0 &&
		       k->len >= di->hash_key_size && !soft_rss_driver(info->driver);
	if (!info->hw_rss)
		return;
	memcpy(keybuf, k->key, di->hash_key_size);
	pc->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	pc->rx_adv_conf.rss_conf.rss_key = keybuf;
	pc->rx_adv_conf.rss_conf.rss_key_len = di->hash_key_size;
	pc->rx_adv_conf.rss_conf.rss_hf = hf;
}

static void setup_offloads(struct rte_eth_conf *pc, const struct rte_eth_dev_info *di,
			   struct mos_port_info *info)
{
	const uint64_t tx = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	const uint64_t rx = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM;

	info->tx_cksum = (di->tx_offload_capa & tx) == tx;
	info->rx_cksum = (di->rx_offload_capa & rx) == rx;
	if (info->tx_cksum)
		pc->txmode.offloads |= tx;
	if (info->rx_cksum)
		pc->rxmode.offloads |= rx;
}

/* Program the table entry i = i % nqueues; if the NIC refuses, use the one it has. */
static int program_reta(uint16_t port, unsigned size, unsigned nqueues, struct mos_port_info *info)
{
	struct rte_eth_rss_reta_entry64 rc[MOS_RETA_MAX / RTE_ETH_RETA_GROUP_SIZE];
	uint16_t table[MOS_RETA_MAX];

	memset(rc, 0, sizeof(rc));
	for (unsigned i = 0; i < size; i++) {
		rc[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ULL << (i % RTE_ETH_RETA_GROUP_SIZE);
		rc[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] =
			(uint16_t)(i % nqueues);
	}
	if (rte_eth_dev_rss_reta_update(port, rc, (uint16_t)size) != 0) {
		MOS_LOG(WARN, "port %u refused our RSS table; using the one it has", port);
		if (rte_eth_dev_rss_reta_query(port, rc, (uint16_t)size) != 0)
			return -EIO;
	}
	for (unsigned i = 0; i < size; i++)
		table[i] = rc[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE];
	return mos_rss_reta_set(&info->reta, table, size, nqueues);
}

static void wait_link(uint16_t port, const char *name, struct mos_port_info *info)
{
	struct rte_eth_link link;

	memset(&link, 0, sizeof(link));
	for (int waited = 0; waited <= LINK_WAIT_MS; waited += 100) {
		if (rte_eth_link_get_nowait(port, &link) == 0 && link.link_status == RTE_ETH_LINK_UP)
			break;
		usleep(100 * 1000);
	}
	info->link_up = link.link_status == RTE_ETH_LINK_UP;
	info->link_mbps = link.link_speed;
	if (!info->link_up)
		MOS_LOG(WARN, "netdev %s: link still down after %d ms; check the cable or the peer "
			"interface", name, LINK_WAIT_MS);
}

/*
 * Queues 0..dev_queues-1; queue q >= nqueues (one no core owns) takes its
 * buffers from the pool of the core that polls it, q % nqueues. Its TX queue
 * is set up, as the device has it, and never used.
 */
static int queues_setup(uint16_t port, unsigned dev_queues, unsigned nqueues,
			const struct mos_conf *conf, char *err, size_t errlen)
{
	uint16_t nrx = (uint16_t)conf->rx_desc, ntx = (uint16_t)conf->tx_desc;
	int ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrx, &ntx);
	int socket = rte_eth_dev_socket_id(port);

	for (unsigned q = 0; ret == 0 && q < dev_queues; q++) {
		ret = rte_eth_rx_queue_setup(port, (uint16_t)q, nrx, (unsigned)socket, NULL,
					     io.mbuf_pool[q % nqueues]);
		if (ret == 0)
			ret = rte_eth_tx_queue_setup(port, (uint16_t)q, ntx, (unsigned)socket, NULL);
	}
	if (ret != 0)
		mos_set_err(err, errlen, "port %u: queue set-up failed (%s); try smaller "
			    "rx_desc/tx_desc", port, rte_strerror(-ret));
	return ret;
}

static bool fixed_queue_driver(const char *driver)
{
	for (size_t i = 0; i < sizeof(fixed_queue_drivers) / sizeof(fixed_queue_drivers[0]); i++)
		if (strcmp(driver, fixed_queue_drivers[i]) == 0)
			return true;
	return false;
}

/*
 * The queues the port must be configured with: one per core, or all the
 * device has when their number is fixed at probe and greater. Then say
 * which core polls each extra queue.
 */
static unsigned device_queues(const struct conf_netdev *nd, const struct rte_eth_dev_info *di,
			      unsigned nqueues, const char *driver)
{
	unsigned n = di->max_rx_queues < di->max_tx_queues ? di->max_rx_queues : di->max_tx_queues;
	char who[512] = "";	/* af_packet has 16 queues at most */

	if (!fixed_queue_driver(driver) || n <= nqueues)
		return nqueues;
	for (unsigned c = 0; c < nqueues && c + nqueues < n; c++) {
		size_t len = strlen(who);

		snprintf(who + len, sizeof(who) - len, "%score %u also polls queue%s", len ? "; " : "",
			 c, c + 2 * nqueues < n ? "s" : "");
		for (unsigned q = c + nqueues; q < n; q += nqueues) {
			len = strlen(who);
			snprintf(who + len, sizeof(who) - len, "%s %u", q == c + nqueues ? "" : ",", q);
		}
	}
	MOS_LOG(INFO, "netdev %s (%s) has %u queues fixed by the device, the run %u core%s: %s, "
		"and hands each frame to its core", nd->name, driver, n, nqueues,
		nqueues == 1 ? "" : "s", who);
	return n;
}

static int port_configure(const struct conf_netdev *nd, uint16_t port, unsigned nqueues,
			  const struct mos_conf *conf, const struct mos_rss_key *k,
			  struct mos_port_info *info, char *err, size_t errlen)
{
	struct rte_eth_conf pc;
	struct rte_eth_dev_info di;
	uint8_t keybuf[MOS_RSS_KEY_MAX];
	unsigned dev_queues;
	int ret;

	memset(&pc, 0, sizeof(pc));
	ret = rte_eth_dev_info_get(port, &di);
	if (ret != 0) {
		mos_set_err(err, errlen, "netdev %s: cannot read device info (%s)", nd->name,
			    rte_strerror(-ret));
		return ret;
	}
	snprintf(info->driver, sizeof(info->driver), "%s", di.driver_name);
	if (io.mp != CONF_MP_NONE && strcmp(info->driver, "net_af_packet") == 0) {
		mos_set_err(err, errlen, "netdev %s: net_af_packet cannot be shared with DPDK "
			    "secondary processes (they crash on transmit in DPDK 22.11): use "
			    "net_tap, net_memif or a NIC for epwget-mp, or the threaded epwget",
			    nd->name);
		return -ENOTSUP;
	}
	if (nqueues > di.max_rx_queues || nqueues > di.max_tx_queues) {
		mos_set_err(err, errlen, "netdev %s (%s) has %u RX / %u TX queues, %u cores need "
			    "one each; use fewer cores (-N) or a device with more queues "
			    "(af_packet: qpairs=N)", nd->name, info->driver, di.max_rx_queues,
			    di.max_tx_queues, nqueues);
		return -EINVAL;
	}
	setup_rss(&pc, &di, k, keybuf, info);
	setup_offloads(&pc, &di, info);
	dev_queues = device_queues(nd, &di, nqueues, info->driver);
	info->dev_queues = (uint16_t)dev_queues;
	ret = rte_eth_dev_configure(port, (uint16_t)dev_queues, (uint16_t)dev_queues, &pc);
	if (ret != 0) {
		mos_set_err(err, errlen, "netdev %s (%s): configure failed (%s)", nd->name,
			    info->driver, rte_strerror(-ret));
		return ret;
	}
	if (nd->mac_set && rte_eth_dev_default_mac_addr_set(port, (struct rte_ether_addr *)
							     (uintptr_t)nd->mac) != 0)
		MOS_LOG(WARN, "netdev %s: the device keeps its own MAC address", nd->name);
	ret = queues_setup(port, dev_queues, nqueues, conf, err, errlen);
	if (ret != 0)
		return ret;
	if (info->hw_rss && program_reta(port, di.reta_size, nqueues, info) != 0)
		info->hw_rss = false;
	if (!info->hw_rss)
		mos_rss_reta_default(&info->reta, (unsigned)conf->reta_size, nqueues);
	return 0;
}

static int port_start(const struct conf_netdev *nd, unsigned nqueues, const struct mos_conf *conf,
		      const struct mos_rss_key *k, struct mos_port_info *info,
		      char *err, size_t errlen)
{
	struct rte_ether_addr mac;
	uint16_t port;
	int ret;

	memset(info, 0, sizeof(*info));
	ret = port_lookup(nd->name, &port, err, errlen);
	if (ret == 0)
		ret = port_configure(nd, port, nqueues, conf, k, info, err, errlen);
	if (ret != 0)
		return ret;
	ret = rte_eth_dev_start(port);
	if (ret != 0) {
		mos_set_err(err, errlen, "netdev %s (%s): start failed (%s)", nd->name,
			    info->driver, rte_strerror(-ret));
		return ret;
	}
	io.port_id[io.n_ports] = port;
	io.steer[io.n_ports] = !info->hw_rss && nqueues > 1;
	io.dev_queues[io.n_ports] = info->dev_queues;
	io.reta[io.n_ports] = info->reta;
	io.n_ports++;
	info->port_id = port;
	info->nqueues = (uint16_t)nqueues;
	rte_eth_macaddr_get(port, &mac);
	memcpy(info->mac, mac.addr_bytes, sizeof(info->mac));
	if (rte_eth_dev_get_mtu(port, &info->mtu) != 0)
		info->mtu = RTE_ETHER_MTU;
	wait_link(port, nd->name, info);
	return 0;
}

/* Rings through which other cores hand this port's frames to their owner (software steering). */
static int create_steer_rings(int i, unsigned nqueues, char *err, size_t errlen)
{
	char name[RTE_RING_NAMESIZE];

	if (!io.steer[i])
		return 0;
	for (unsigned q = 0; q < nqueues; q++) {
		snprintf(name, sizeof(name), "mos_steer_%d_%u", i, q);
		io.ring[i][q] = rte_ring_create(name, STEER_RING, rte_socket_id(), RING_F_SC_DEQ);
		if (io.ring[i][q] == NULL) {
			mos_set_err(err, errlen, "cannot create the steering ring %s (%s)", name,
				    rte_strerror(rte_errno));
			return -ENOMEM;
		}
	}
	return 0;
}

int mos_dpdk_ports_start(const struct mos_conf *conf, unsigned nqueues,
			 const struct mos_rss_key *k, struct mos_port_info *info,
			 char *err, size_t errlen)
{
	int ret;

	if (!io.eal_up || nqueues == 0 || nqueues > CONF_MAX_CORES) {
		mos_set_err(err, errlen, "ports started before the EAL or with %u queues", nqueues);
		return -EINVAL;
	}
	io.nqueues = nqueues;
	io.key = *k;
	if (io.mp == CONF_MP_SLAVE)
		return mos_dpdk_mp_attach(conf, nqueues, k, info, err, errlen);
	ret = create_mbuf_pools(conf, nqueues, err, errlen);
	for (int i = 0; ret == 0 && i < conf->n_netdev; i++)
		ret = port_start(&conf->netdev[i], nqueues, conf, k, &info[i], err, errlen);
	for (int i = 0; ret == 0 && i < conf->n_netdev; i++)
		ret = create_steer_rings(i, nqueues, err, errlen);
	if (ret == 0 && io.mp == CONF_MP_MASTER)
		ret = mos_dpdk_mp_publish(conf, info, err, errlen);
	return ret;
}

int mos_dpdk_thread_attach(unsigned core, unsigned cpu)
{
	cpu_set_t set;
	int ret;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	ret = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (ret != 0) {
		MOS_LOG(ERR, "core %u: cannot pin to CPU %u (%s); check the core mask against nproc",
			core, cpu, strerror(ret));
		return -ret;
	}
	if (rte_lcore_id() == LCORE_ID_ANY && rte_thread_register() != 0) {
		MOS_LOG(ERR, "core %u: no free DPDK lcore id (%s)", core, rte_strerror(rte_errno));
		return -rte_errno;
	}
	return 0;
}

void mos_dpdk_thread_detach(void)
{
	if (io.eal_up && rte_lcore_id() != LCORE_ID_ANY && rte_lcore_id() != rte_get_main_lcore())
		rte_thread_unregister();
}

/* Remove the runtime directory the EAL made for our file prefix (and its parent when empty). */
static void remove_run_dir(void)
{
	char *slash;

	if (io.prefix[0] == '\0' || io.run_dir[0] == '\0')
		return;
	if (rmdir(io.run_dir) != 0)
		return;
	slash = strrchr(io.run_dir, '/');
	if (slash != NULL && slash != io.run_dir) {
		*slash = '\0';
		rmdir(io.run_dir);	/* fails, rightly, while other DPDK processes use it */
	}
}

/* Unlink the files in dir whose names start with prefix (all of them for ""). */
void mos_dpdk_unlink_files(const char *dir, const char *prefix)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.' || strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
}

void mos_dpdk_fini(void)
{
	bool master = io.mp == CONF_MP_MASTER;

	if (!io.eal_up)
		return;
	if (io.mp == CONF_MP_SLAVE) {
		mos_dpdk_mp_slave_fini();
		return;
	}
	if (master && io.mp_sh != NULL)
		mos_dpdk_mp_wait_slaves();
	for (int i = 0; i < io.n_ports; i++) {
		rte_eth_dev_stop(io.port_id[i]);
		rte_eth_dev_close(io.port_id[i]);
	}
	/*
	 * Closing a port unregisters its interrupt callbacks (memif's control
	 * channel), which wakes the EAL interrupt thread to walk its sources;
	 * rte_eal_cleanup (22.11) unmaps the memory they live in without stopping
	 * that thread. Let it finish the walk first: without this pause epserver
	 * and epwget over memif died in eal_intr_thread_main about one exit in three.
	 */
	if (io.n_ports > 0)
		usleep(INTR_SETTLE_US);
	for (int i = 0; i < io.n_ports; i++)
		for (unsigned q = 0; q < CONF_MAX_CORES; q++) {
			struct rte_mbuf *m;

			while (io.ring[i][q] != NULL && rte_ring_dequeue(io.ring[i][q], (void **)&m) == 0)
				rte_pktmbuf_free(m);
			rte_ring_free(io.ring[i][q]);
			io.ring[i][q] = NULL;
		}
	io.n_ports = 0;
	mos_io_forget_tx();	/* frames left go with the pools */
	for (unsigned q = 0; q < CONF_MAX_CORES; q++) {
		rte_mempool_free(io.mbuf_pool[q]);
		io.mbuf_pool[q] = NULL;
	}
	if (io.mp_mz != NULL)
		rte_memzone_free(io.mp_mz);
	io.mp_mz = NULL;
	io.mp_sh = NULL;
	rte_eal_cleanup();
	io.eal_up = false;
	if (master)
		mos_dpdk_mp_remove_files();
	else
		remove_run_dir();
}
