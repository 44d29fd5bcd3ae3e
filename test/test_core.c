/*
 * test_core.c - process set-up and per-core contexts (mos_core.c) over the
 * fake I/O module: settings, pool carving, port start, RSS source pairs,
 * and that everything is given back.
 */
#include "mos_core.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include "check.h"
#include "fake_dpdk.h"
#include "mos_log.h"
#include "mos_loop.h"

static char conf_path[64];

static const char good_conf[] =
	"application { type = end; run = epwget; core_mask = 0x3 }\n"
	"mos {\n"
	"  max_concurrency = 64\n"
	"  rmem_size = 4096\n"
	"  wmem_size = 2048\n"
	"  rss_key = symmetric\n"
	"  netdev {\n"
	"    dpdk0 0x3 10.0.0.2/24\n"
	"  }\n"
	"  route_table { 10.1.0.0/16 dpdk0 }\n"
	"}\n";

static int write_conf(const char *text)
{
	FILE *f;

	snprintf(conf_path, sizeof(conf_path), "/tmp/test_core.%ld.conf", (long)getpid());
	f = fopen(conf_path, "w");
	if (f == NULL)
		return -1;
	fputs(text, f);
	fclose(f);
	return 0;
}

static int start(const char *text)
{
	mos_log_set("test_core", MOS_LOG_QUIET);	/* the tests provoke errors on purpose */
	memset(&fake_dpdk, 0, sizeof(fake_dpdk));
	if (write_conf(text) != 0)
		return -1;
	return mtcp_init(conf_path);
}

static void stop(void)
{
	mtcp_destroy();
	unlink(conf_path);
}

/* CPUs 0 and 1 in the test's mask; a machine with one CPU runs one core. */
static int cores_here(void)
{
	cpu_set_t set;

	sched_getaffinity(0, sizeof(set), &set);
	return CPU_ISSET(0, &set) + CPU_ISSET(1, &set);
}

TEST(init_reads_the_settings)
{
	struct mtcp_conf c;

	REQUIRE(start(good_conf) == 0);
	CHECK_EQ(fake_dpdk.init_calls, 1);
	REQUIRE(mtcp_getconf(&c) == 0);
	CHECK_EQ(c.num_cores, cores_here());
	CHECK_EQ(c.max_concurrency, 64);
	CHECK_EQ(c.max_num_buffers, 64);	/* defaults to max_concurrency */
	CHECK_EQ(c.rcvbuf_size, 4096);
	CHECK_EQ(c.sndbuf_size, 2048);
	CHECK_EQ(c.tcp_timeout, 30);
	CHECK_EQ(c.tcp_timewait, 0);
	CHECK(mtcp_init(conf_path) == -1 && errno == EALREADY);
	stop();
	CHECK_EQ(fake_dpdk.fini_calls, 1);
}

TEST(init_fails_cleanly_on_a_bad_file)
{
	struct mtcp_conf c;

	CHECK(start("mos { rmem_size = 12 }\n") == -1 && errno == EINVAL);
	CHECK_EQ(fake_dpdk.init_calls, 0);	/* nothing started */
	CHECK(mtcp_getconf(&c) == -1);
	unlink(conf_path);
	CHECK(mtcp_init("/nonexistent/mos.conf") == -1);
	fake_dpdk.fail_init = true;
	CHECK(write_conf(good_conf) == 0 && mtcp_init(conf_path) == -1);
	unlink(conf_path);
	fake_dpdk.fail_init = false;
	CHECK(start(good_conf) == 0);	/* and a good one still works after */
	stop();
}

TEST(setconf_checks_every_range_and_changes_nothing_on_error)
{
	struct mtcp_conf c, bad, now;

	REQUIRE(start(good_conf) == 0);
	REQUIRE(mtcp_getconf(&c) == 0);
	bad = c; bad.num_cores = 0;
	CHECK(mtcp_setconf(&bad) == -1 && errno == EINVAL);
	bad = c; bad.num_cores = c.num_cores + 1;
	CHECK(mtcp_setconf(&bad) == -1 && errno == EINVAL);
	bad = c; bad.rcvbuf_size = 100;
	CHECK(mtcp_setconf(&bad) == -1 && errno == EINVAL);
	bad = c; bad.max_num_buffers = 0;
	CHECK(mtcp_setconf(&bad) == -1 && errno == EINVAL);
	bad = c; bad.tcp_timeout = -1;
	CHECK(mtcp_setconf(&bad) == -1 && errno == EINVAL);
	REQUIRE(mtcp_getconf(&now) == 0);
	CHECK(memcmp(&now, &c, sizeof(c)) == 0);
	c.max_concurrency = 30;
	c.max_num_buffers = 10;
	c.cpu_mask = 0xff;	/* read-only: ignored */
	CHECK(mtcp_setconf(&c) == 0);
	REQUIRE(mtcp_getconf(&now) == 0);
	CHECK_EQ(now.max_num_buffers, 10);
	CHECK_EQ(now.cpu_mask, 0x3);
	stop();
}

TEST(context_carves_pools_from_the_settings_and_starts_ports_once)
{
	struct mtcp_conf c;
	struct mos_core *core;
	void *buf[10];
	mctx_t m;

	REQUIRE(start(good_conf) == 0);
	REQUIRE(mtcp_getconf(&c) == 0);
	c.num_cores = 1;
	c.max_num_buffers = 10;
	REQUIRE(mtcp_setconf(&c) == 0);
	m = mtcp_create_context(0);
	REQUIRE(m != NULL);
	CHECK_EQ(m->cpu, 0);
	CHECK_EQ(fake_dpdk.start_calls, 1);
	CHECK_EQ(fake_dpdk.nqueues, 1);
	CHECK(mtcp_setconf(&c) == -1 && errno == EBUSY);	/* frozen once ports run */
	CHECK(mtcp_create_context(0) == NULL && errno == EEXIST);
	CHECK(mtcp_create_context(1) == NULL && errno == EINVAL);	/* num_cores is 1 */
	core = mos_core_of(m);
	CHECK_EQ((uintptr_t)core % MOS_CACHE_LINE, 0);
	CHECK_EQ(core->pool[MOS_POOL_RCVBUF].capacity, 10);
	CHECK_EQ(core->pool[MOS_POOL_RCVBUF].obj_size, 4096);
	CHECK_EQ(core->pool[MOS_POOL_SNDBUF].obj_size, 2048);
	CHECK(core->arena.used <= core->arena.size);
	for (int i = 0; i < 10; i++) {
		buf[i] = mos_pool_get(&core->pool[MOS_POOL_RCVBUF]);
		REQUIRE(buf[i] != NULL);
		memset(buf[i], i, 4096);	/* the memory is really there */
	}
	CHECK(mos_pool_get(&core->pool[MOS_POOL_RCVBUF]) == NULL);
	CHECK_EQ(core->pool[MOS_POOL_RCVBUF].exhausted, 1);
	for (int i = 0; i < 10; i++)
		mos_pool_put(&core->pool[MOS_POOL_RCVBUF], buf[i]);
	CHECK_EQ(core->pool[MOS_POOL_RCVBUF].in_use, 0);
	mtcp_destroy_context(m);
	CHECK_EQ(fake_dpdk.detach_calls, 1);
	stop();
}

TEST(failed_port_start_fails_every_context)
{
	REQUIRE(start(good_conf) == 0);
	fake_dpdk.fail_start = true;
	CHECK(mtcp_create_context(0) == NULL && errno == EIO);
	fake_dpdk.fail_start = false;
	CHECK(mtcp_create_context(0) == NULL && errno == EIO);	/* no second try */
	CHECK_EQ(fake_dpdk.start_calls, 1);
	stop();
}

/* good_conf started with one core, and its context; NULL on failure. */
static mctx_t one_core_context(void)
{
	struct mtcp_conf c;

	if (start(good_conf) != 0 || mtcp_getconf(&c) != 0)
		return NULL;
	c.num_cores = 1;
	if (mtcp_setconf(&c) != 0)
		return NULL;
	return mtcp_create_context(0);
}

/* Every pair in the core's pool must bring its reply to the core's queue. */
static unsigned pairs_land_on_queue(struct mos_core *core, in_addr_t daddr, in_port_t dport,
				    const struct mos_rss_reta *reta, in_addr_t saddr,
				    uint32_t num_addr, unsigned *per_addr);

static void check_pairs_land_on_queue(struct mos_core *core, in_addr_t daddr, in_port_t dport,
				      const struct mos_rss_reta *reta, unsigned n_expect)
{
	CHECK_EQ(pairs_land_on_queue(core, daddr, dport, reta, inet_addr("10.0.0.2"), 1, NULL),
		 n_expect);
}

/* Drain the pool: every pair's reply on the core's queue, its address in the range. */
static unsigned pairs_land_on_queue(struct mos_core *core, in_addr_t daddr, in_port_t dport,
				    const struct mos_rss_reta *reta, in_addr_t saddr,
				    uint32_t num_addr, unsigned *per_addr)
{
	struct mos_rss_key k;
	in_addr_t s;
	in_port_t p;
	unsigned n = 0;

	CHECK(mos_rss_key_init(&k, mos_rss_key_symmetric, 40) == 0);
	while (mos_rss_pool_get(&core->rss, &s, &p) == 0) {
		uint32_t h = mos_rss_hash_v4_tcp(&k, daddr, s, dport, p);

		uint32_t i = ntohl(s) - ntohl(saddr);

		CHECK_EQ(mos_rss_reta_queue(reta, h), core->queue);
		CHECK(i < num_addr);
		if (per_addr != NULL && i < num_addr)
			per_addr[i]++;
		n++;
	}
	return n;
}

TEST(init_rss_builds_the_pairs_of_this_core_queue)
{
	struct mtcp_pool_stat st[8];
	struct mos_rss_reta reta;
	in_addr_t daddr = inet_addr("10.1.2.3");
	mctx_t m;
	int n;

	m = one_core_context();
	REQUIRE(m != NULL);
	CHECK(mtcp_init_rss(m, INADDR_ANY, 1, inet_addr("192.168.9.9"), htons(80)) == -1 &&
	      errno == ENETUNREACH);
	REQUIRE(mtcp_init_rss(m, INADDR_ANY, 1, daddr, htons(80)) == 0);
	n = mtcp_get_pool_stats(m, st, 8);
	REQUIRE(n == MOS_POOL_COUNT + 1);
	CHECK_STR(st[n - 1].name, "rss_pairs");
	CHECK_EQ(st[n - 1].capacity, 64511);	/* one queue owns every pair */
	REQUIRE(mos_rss_reta_default(&reta, 128, 1) == 0);
	check_pairs_land_on_queue(mos_core_of(m), daddr, htons(80), &reta, 64511);
	CHECK(mtcp_init_rss(m, INADDR_ANY, 0, daddr, htons(80)) == -1 && errno == EINVAL);
	CHECK(mtcp_init_rss(m, INADDR_ANY, 1, daddr, 70000) == -1 && errno == EINVAL);
	mtcp_destroy_context(m);
	stop();
}

/*
 * -s 10.0.0.2-10.0.0.3 (issue 13): a base inside the netdev's subnet that is
 * not its address; twice the pairs of one address, each reply on the
 * core's queue, and the link owns exactly the pool's addresses.
 */
TEST(init_rss_two_addresses_twice_the_pairs)
{
	struct mtcp_pool_stat st[8];
	struct mos_rss_reta reta;
	in_addr_t daddr = inet_addr("10.1.2.3");
	unsigned per_addr[2] = { 0, 0 };
	struct mos_core *core;
	mctx_t m;
	int n;

	m = one_core_context();
	REQUIRE(m != NULL);
	core = mos_core_of(m);
	/* the network and broadcast addresses of 10.0.0.0/24 are no host's */
	CHECK(mtcp_init_rss(m, inet_addr("10.0.0.0"), 2, daddr, htons(80)) == -1 &&
	      errno == EINVAL);
	CHECK(mtcp_init_rss(m, inet_addr("10.0.0.254"), 2, daddr, htons(80)) == -1 &&
	      errno == EINVAL);
	CHECK(mtcp_init_rss(m, inet_addr("10.0.0.2"), MOS_RSS_POOL_ADDR_MAX + 1, daddr,
			    htons(80)) == -1 && errno == EINVAL);
	CHECK_EQ(core->net.iface[0].own_last, 0);
	REQUIRE(mtcp_init_rss(m, inet_addr("10.0.0.3"), 2, daddr, htons(80)) == 0);
	CHECK_EQ(core->netdev, 0);
	CHECK_EQ(core->net.iface[0].own_first, 0x0a000003u);
	CHECK_EQ(core->net.iface[0].own_last, 0x0a000004u);
	n = mtcp_get_pool_stats(m, st, 8);
	REQUIRE(n == MOS_POOL_COUNT + 1);
	CHECK_EQ(st[n - 1].capacity, 2 * 64511);	/* one queue: every pair of both */
	REQUIRE(mos_rss_reta_default(&reta, 128, 1) == 0);
	CHECK_EQ(pairs_land_on_queue(core, daddr, htons(80), &reta, inet_addr("10.0.0.3"), 2,
				     per_addr), 2 * 64511);
	CHECK_EQ(per_addr[0], 64511);
	CHECK_EQ(per_addr[1], 64511);
	/* back to the netdev's own address: the range is given up */
	REQUIRE(mtcp_init_rss(m, INADDR_ANY, 1, daddr, htons(80)) == 0);
	CHECK_EQ(core->net.iface[0].own_last, 0);
	mtcp_destroy_context(m);
	stop();
}

TEST(two_cores_split_the_source_pairs)
{
	struct mtcp_pool_stat st[8];
	struct mtcp_conf c;
	struct mos_rss_reta reta;
	in_addr_t daddr = inet_addr("10.0.0.4");
	mctx_t m[2];
	uint64_t total = 0;
	int n = 0;

	if (cores_here() < 2)
		return;	/* a one-CPU machine has nothing to split */
	REQUIRE(start(good_conf) == 0);
	/* a device table in blocks (first half queue 0), not the default i % 2 */
	fake_dpdk.reta_size = 64;
	for (int i = 0; i < 64; i++)
		fake_dpdk.reta[i] = (uint16_t)(i / 32);
	REQUIRE(mtcp_getconf(&c) == 0);
	CHECK_EQ(c.num_cores, 2);
	for (int i = 0; i < 2; i++) {
		m[i] = mtcp_create_context(i);
		REQUIRE(m[i] != NULL);
		REQUIRE(mtcp_init_rss(m[i], INADDR_ANY, 1, daddr, htons(8080)) == 0);
		n = mtcp_get_pool_stats(m[i], st, 8);
		REQUIRE(n == MOS_POOL_COUNT + 1);
		CHECK_STR(st[n - 1].name, "rss_pairs");
		total += st[n - 1].capacity;
	}
	CHECK_EQ(fake_dpdk.start_calls, 1);
	CHECK_EQ(fake_dpdk.nqueues, 2);
	CHECK_EQ(total, 64511);
	REQUIRE(mos_rss_reta_set(&reta, fake_dpdk.reta, 64, 2) == 0);
	check_pairs_land_on_queue(mos_core_of(m[1]), daddr, htons(8080), &reta,
				  (unsigned)st[n - 1].capacity);
	mtcp_destroy_context(m[0]);
	mtcp_destroy_context(m[1]);
	stop();
}

/* Two cores, two addresses: the pairs of both split, each core's on its queue. */
TEST(two_cores_split_two_addresses)
{
	struct mtcp_pool_stat st[8];
	struct mos_rss_reta reta;
	in_addr_t daddr = inet_addr("10.0.0.4");
	mctx_t m[2];
	unsigned total = 0;
	int n;

	if (cores_here() < 2)
		return;
	REQUIRE(start(good_conf) == 0);
	REQUIRE(mos_rss_reta_default(&reta, 128, 2) == 0);
	for (int i = 0; i < 2; i++) {
		m[i] = mtcp_create_context(i);
		REQUIRE(m[i] != NULL);
		REQUIRE(mtcp_init_rss(m[i], inet_addr("10.0.0.2"), 2, daddr, htons(8080)) == 0);
		n = mtcp_get_pool_stats(m[i], st, 8);
		REQUIRE(n == MOS_POOL_COUNT + 1);
		CHECK(st[n - 1].capacity > 0);
		CHECK_EQ(pairs_land_on_queue(mos_core_of(m[i]), daddr, htons(8080), &reta,
					     inet_addr("10.0.0.2"), 2, NULL), st[n - 1].capacity);
		total += (unsigned)st[n - 1].capacity;
	}
	CHECK_EQ(total, 2 * 64511);
	mtcp_destroy_context(m[0]);
	mtcp_destroy_context(m[1]);
	stop();
}

static const char mp_conf[] =
	"application { type = end; run = epwget; core_mask = 0xA }\n"
	"mos {\n"
	"  max_concurrency = 64\n"
	"  multiprocess = slave\n"
	"  netdev { dpdk0 0xA 10.0.0.2/24 }\n"
	"}\n";

/*
 * Multi-process: the EAL waits for the context (it needs the CPU), the
 * context owns the queue of its CPU's rank, one per process, and a slave
 * whose master is gone stops (mtcp_epoll_wait: EINTR).
 */
TEST(multiprocess_context_takes_the_queue_of_its_cpu)
{
	struct mtcp_epoll_event ev[4];
	struct mtcp_conf c;
	mctx_t m;
	int ep;

	REQUIRE(start(mp_conf) == 0);
	CHECK_EQ(fake_dpdk.init_calls, 0);	/* not yet: no CPU named */
	REQUIRE(mtcp_getconf(&c) == 0);
	CHECK_EQ(c.multi_process, MTCP_MP_SLAVE);
	CHECK_EQ(c.num_cores, 2);		/* the mask is kept whole, whatever this machine has */
	c.num_cores = 1;			/* the group's size is the mask's */
	REQUIRE(mtcp_setconf(&c) == 0);
	REQUIRE(mtcp_getconf(&c) == 0);
	CHECK_EQ(c.num_cores, 2);
	CHECK(mtcp_create_context(2) == NULL && errno == EINVAL);	/* not in 0xA */
	m = mtcp_create_context(3);
	REQUIRE(m != NULL);
	CHECK_EQ(fake_dpdk.mp_cpu, 3);
	CHECK_EQ(fake_dpdk.nqueues, 2);
	CHECK_EQ(m->cpu, 3);
	CHECK_EQ(mos_core_of(m)->queue, 1);	/* CPU 3 is the second of 0xA */
	CHECK(mtcp_create_context(1) == NULL && errno == EEXIST);
	fake_dpdk.mp_others = 2;
	CHECK_EQ(mtcp_mp_others(m), 2);
	CHECK(mtcp_mp_finish(m) == 0 && fake_dpdk.mp_finish_calls == 1);
	ep = mtcp_epoll_create(m, 4);
	REQUIRE(ep >= 0);
	CHECK_EQ(mtcp_epoll_wait(m, ep, ev, 4, 0), 0);
	fake_dpdk.mp_master_dead = true;
	fake_io.now_us += 2000000;	/* the next once-a-second look finds it gone */
	CHECK_EQ(mtcp_epoll_wait(m, ep, ev, 4, 0), 0);
	CHECK(mtcp_epoll_wait(m, ep, ev, 4, 0) == -1 && errno == EINTR);
	CHECK(mtcp_mp_others(m) == -1 && errno == EPIPE);
	mtcp_destroy_context(m);
	stop();
	CHECK(start(good_conf) == 0);	/* threaded: no multi-process calls */
	m = mtcp_create_context(0);
	REQUIRE(m != NULL);
	CHECK(mtcp_mp_others(m) == -1 && errno == EINVAL);
	mtcp_destroy_context(m);
	stop();
}

/* mtcp_drain's callbacks: others busy for the first `busy` calls. */
struct drain_probe {
	int busy, busy_calls, turns;
	uint64_t first_idle_us;
};

static bool drain_busy(void *arg)
{
	struct drain_probe *p = arg;

	if (p->busy_calls++ < p->busy)
		return true;
	if (p->first_idle_us == 0)
		p->first_idle_us = fake_io.now_us;
	return false;
}

static void drain_turn(void *arg)
{
	((struct drain_probe *)arg)->turns++;
}

/*
 * mtcp_drain turns the loop while other cores work, then until the last
 * connection is gone or the linger has passed; SIGINT ends it with EINTR.
 */
TEST(drain_waits_for_the_others_then_for_the_last_connections)
{
	struct drain_probe p = { .busy = 3 };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(80) };
	struct mtcp_conf c;
	uint64_t t0;
	mctx_t m;
	int sd;

	REQUIRE(start(good_conf) == 0);
	REQUIRE(mtcp_getconf(&c) == 0);
	c.num_cores = 1;
	REQUIRE(mtcp_setconf(&c) == 0);
	m = mtcp_create_context(0);
	REQUIRE(m != NULL);
	fake_io.auto_us = 100;		/* time passes as the loop turns */
	/* no connection: done as soon as the others are */
	t0 = fake_io.now_us;
	CHECK_EQ(mtcp_drain(m, 2000, drain_busy, drain_turn, &p), 0);
	CHECK_EQ(p.busy_calls, 4);
	CHECK_EQ(p.turns, 3);
	CHECK(p.first_idle_us - t0 >= 30000);	/* 10 ms of turning per busy answer */
	CHECK(fake_io.now_us - p.first_idle_us < 1000);
	/* a connection that never completes (nobody answers its SYN): the linger ends it */
	sa.sin_addr.s_addr = inet_addr("10.1.2.3");
	REQUIRE(mtcp_init_rss(m, INADDR_ANY, 1, sa.sin_addr.s_addr, htons(80)) == 0);
	sd = mtcp_socket(m, AF_INET, SOCK_STREAM, 0);
	REQUIRE(sd >= 0);
	REQUIRE(mtcp_setsock_nonblock(m, sd) == 0);
	CHECK(mtcp_connect(m, sd, (struct sockaddr *)&sa, sizeof(sa)) == -1 && errno == EINPROGRESS);
	CHECK_EQ(mtcp_get_connection_cnt(m), 1);
	p = (struct drain_probe){ .busy = 0 };
	CHECK_EQ(mtcp_drain(m, 50, drain_busy, NULL, &p), 0);
	CHECK(fake_io.now_us - p.first_idle_us >= 50000 && fake_io.now_us - p.first_idle_us < 70000);
	CHECK_EQ(mtcp_get_connection_cnt(m), 1);
	/* SIGINT's stop ends it at once */
	mos_loop_stop();
	CHECK(mtcp_drain(m, 5000, NULL, NULL, NULL) == -1 && errno == EINTR);
	CHECK(mtcp_drain(NULL, 5000, NULL, NULL, NULL) == -1 && errno == EINVAL);
	CHECK(mtcp_drain(m, -1, NULL, NULL, NULL) == -1 && errno == EINVAL);
	mtcp_abort(m, sd);
	fake_io.auto_us = 0;
	mtcp_destroy_context(m);
	stop();
	CHECK(!mos_loop_stopping());	/* mtcp_destroy clears it */
}

static const struct check_case cases[] = {
	CASE(init_reads_the_settings),
	CASE(init_fails_cleanly_on_a_bad_file),
	CASE(setconf_checks_every_range_and_changes_nothing_on_error),
	CASE(context_carves_pools_from_the_settings_and_starts_ports_once),
	CASE(failed_port_start_fails_every_context),
	CASE(init_rss_builds_the_pairs_of_this_core_queue),
	CASE(init_rss_two_addresses_twice_the_pairs),
	CASE(two_cores_split_two_addresses),
	CASE(two_cores_split_the_source_pairs),
	CASE(multiprocess_context_takes_the_queue_of_its_cpu),
	CASE(drain_waits_for_the_others_then_for_the_last_connections),
};

CHECK_MAIN(cases)
