/*
 * test_conf.c - unit tests of conf_parse: mos.conf, epwget.conf, URLs,
 * route and ARP lookups, file loading, and a seeded mutation run that
 * feeds ~200k damaged configs to the parsers (they must fail cleanly).
 */
#include "conf_parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <unistd.h>

#include "test/check.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static char err[CONF_ERR_MAX];
static struct mos_conf mc;
static struct epwget_conf ec;

static int mos(const char *text)
{
	return conf_mos_parse(&mc, "t.conf", text, strlen(text), err, sizeof(err));
}

static int epw(const char *text)
{
	return conf_epwget_parse(&ec, "e.conf", text, strlen(text), err, sizeof(err));
}

static int write_tmp(char *path, const char *data, size_t len);

static in_addr_t ip(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return a.s_addr;
}

static const uint8_t ms_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/* The brief's example, every feature of the format. */
static const char good_mos[] =
	"application { type = end; run = epwget; core_mask = 0x00FF }\n"
	"mos {\n"
	"    nb_mem_channels = 4\n"
	"    max_concurrency = 100000\n"
	"    rmem_size = 8192\n"
	"    wmem_size = 8192\n"
	"    tcp_timeout = 30\n"
	"    tcp_timewait = 0\n"
	"    multiprocess = 0 master     # or `multiprocess = slave`\n"
	"    eal_args = --no-pci --vdev=net_tap0,iface=epw0\n"
	"    rss_key = symmetric\n"
	"    rx_desc = 1024\n"
	"    tx_desc = 1024\n"
	"    reta_size = 128\n"
	"    netdev {\n"
	"        dpdk0 0x00FF 10.0.0.2/24 [02:00:00:00:00:01]\n"
	"    }\n"
	"    arp_table { 10.0.0.4/32 00:11:22:33:44:55 }\n"
	"    route_table { 10.0.0.0/24 dpdk0 }\n"
	"}\n";

/* Every field away from its default. */
static const char full_mos[] =
	"# a full mos.conf\n"
	"application {\n"
	"\ttype = end\n"
	"\trun = epwget -f conf/epwget.conf\n"
	"\tcore_mask = 0xFFFF\n"
	"}\n"
	"mos {\n"
	"\tnb_mem_channels = 2\n"
	"\tmax_concurrency = 50000\n"
	"\tmax_num_buffers = 60000\n"
	"\trmem_size = 16384 ; wmem_size = 32768\n"
	"\ttcp_timeout = 60\n"
	"\ttcp_timewait = 5\n"
	"\tmultiprocess = 3 master\n"
	"\teal_args =   --no-pci  --vdev=net_tap0,iface=epw0   \n"
	"\trss_key = microsoft\n"
	"\trx_desc = 512\n"
	"\ttx_desc = 2048\n"
	"\treta_size = 512\n"
	"\tnetdev {\n"
	"\t\tdpdk0 0x000F 10.0.0.2/24 [02:00:00:00:00:01]\n"
	"\t\tdpdk1 240 192.168.1.1/16 02:00:00:00:00:0A\n"
	"\t}\n"
	"\tarp_table {\n"
	"\t\t10.0.0.4/32 00:11:22:33:44:55\n"
	"\t\t10.0.1.0/24 00:11:22:33:44:66\n"
	"\t\t172.16.0.9 02:aa:bb:cc:dd:ee\n"
	"\t}\n"
	"\troute_table { 10.0.0.0/24 dpdk0; 172.16.0.0/12 dpdk1 }\n"
	"\tfault\n"
	"\t{\n"
	"\t\tseed = 0xdeadbeef\n"
	"\t\tdelay_us = 2500 ; reorder_depth = 4\n"
	"\t\trx_drop = 5; rx_dup = 1; rx_reorder = 2.5; rx_corrupt = 0.01; rx_delay = 0.1\n"
	"\t\ttx_drop = 100; tx_dup = 99.99; tx_reorder = 0; tx_corrupt = 7.05; tx_delay = 50\n"
	"\t}\n"
	"}\n";

static const char good_epw[] =
	"url = 10.0.0.4/index-8192.html\n"
	"dest_port = 80\n"
	"total_flows = 100000\n"
	"total_concurrency = 4000\n"
	"core_limit = 8\n"
	"keep_alive = 0\n";

TEST(mos_brief_example)
{
	REQUIRE(mos(good_mos) == 0);
	CHECK_STR(err, "");
	CHECK_STR(mc.app_type, "end");
	CHECK_STR(mc.app_run, "epwget");
	CHECK_EQ(mc.core_mask, 0xff);
	CHECK_EQ(mc.mp_mode, CONF_MP_MASTER);
	CHECK_EQ(mc.mp_master_core, 0);
	CHECK_STR(mc.eal_args, "--no-pci --vdev=net_tap0,iface=epw0");
	CHECK_EQ(mc.n_netdev, 1);
	CHECK_EQ(mc.n_arp, 1);
	CHECK_EQ(mc.n_route, 1);
	CHECK_EQ(mc.route[0].netdev, 0);
}

TEST(mos_every_field)
{
	static const uint8_t mac0[6] = { 2, 0, 0, 0, 0, 1 };
	static const uint8_t mac1[6] = { 2, 0, 0, 0, 0, 0x0a };
	static const uint8_t mac_a[6] = { 0, 0x11, 0x22, 0x33, 0x44, 0x55 };
	static const uint8_t mac_c[6] = { 2, 0xaa, 0xbb, 0xcc, 0xdd, 0xee };

	REQUIRE(mos(full_mos) == 0);
	CHECK_STR(mc.app_type, "end");
	CHECK_STR(mc.app_run, "epwget -f conf/epwget.conf");
	CHECK_EQ(mc.core_mask, 0xffff);
	CHECK_EQ(mc.nb_mem_channels, 2);
	CHECK_EQ(mc.max_concurrency, 50000);
	CHECK_EQ(mc.max_num_buffers, 60000);
	CHECK_EQ(mc.rmem_size, 16384);
	CHECK_EQ(mc.wmem_size, 32768);
	CHECK_EQ(mc.tcp_timeout, 60);
	CHECK_EQ(mc.tcp_timewait, 5);
	CHECK_EQ(mc.mp_mode, CONF_MP_MASTER);
	CHECK_EQ(mc.mp_master_core, 3);
	CHECK_STR(mc.eal_args, "--no-pci  --vdev=net_tap0,iface=epw0");
	CHECK_EQ(mc.rss_key_kind, CONF_RSS_KEY_MICROSOFT);
	CHECK_EQ(mc.rss_key_len, 52);
	CHECK(memcmp(mc.rss_key, ms_key, 40) == 0);
	CHECK_EQ(mc.rx_desc, 512);
	CHECK_EQ(mc.tx_desc, 2048);
	CHECK_EQ(mc.reta_size, 512);

	REQUIRE(mc.n_netdev == 2);
	CHECK_STR(mc.netdev[0].name, "dpdk0");
	CHECK_EQ(mc.netdev[0].core_mask, 0x0f);
	CHECK_EQ(mc.netdev[0].addr, ip("10.0.0.2"));
	CHECK_EQ(mc.netdev[0].prefix, 24);
	CHECK(mc.netdev[0].mac_set);
	CHECK(memcmp(mc.netdev[0].mac, mac0, 6) == 0);
	CHECK_STR(mc.netdev[1].name, "dpdk1");
	CHECK_EQ(mc.netdev[1].core_mask, 0xf0);
	CHECK_EQ(mc.netdev[1].addr, ip("192.168.1.1"));
	CHECK_EQ(mc.netdev[1].prefix, 16);
	CHECK(mc.netdev[1].mac_set);
	CHECK(memcmp(mc.netdev[1].mac, mac1, 6) == 0);

	REQUIRE(mc.n_arp == 3);
	CHECK_EQ(mc.arp[0].addr, ip("10.0.0.4"));
	CHECK_EQ(mc.arp[0].prefix, 32);
	CHECK(memcmp(mc.arp[0].mac, mac_a, 6) == 0);
	CHECK_EQ(mc.arp[1].addr, ip("10.0.1.0"));
	CHECK_EQ(mc.arp[1].prefix, 24);
	CHECK_EQ(mc.arp[2].addr, ip("172.16.0.9"));
	CHECK_EQ(mc.arp[2].prefix, 32);
	CHECK(memcmp(mc.arp[2].mac, mac_c, 6) == 0);

	REQUIRE(mc.n_route == 2);
	CHECK_EQ(mc.route[0].addr, ip("10.0.0.0"));
	CHECK_EQ(mc.route[0].prefix, 24);
	CHECK_EQ(mc.route[0].netdev, 0);
	CHECK_EQ(mc.route[1].addr, ip("172.16.0.0"));
	CHECK_EQ(mc.route[1].prefix, 12);
	CHECK_EQ(mc.route[1].netdev, 1);

	CHECK_EQ(mc.fault.seed, 0xdeadbeef);
	CHECK_EQ(mc.fault.delay_us, 2500);
	CHECK_EQ(mc.fault.reorder_depth, 4);
	CHECK_EQ(mc.fault.rx.drop, 500);
	CHECK_EQ(mc.fault.rx.dup, 100);
	CHECK_EQ(mc.fault.rx.reorder, 250);
	CHECK_EQ(mc.fault.rx.corrupt, 1);
	CHECK_EQ(mc.fault.rx.delay, 10);
	CHECK_EQ(mc.fault.tx.drop, 10000);
	CHECK_EQ(mc.fault.tx.dup, 9999);
	CHECK_EQ(mc.fault.tx.reorder, 0);
	CHECK_EQ(mc.fault.tx.corrupt, 705);
	CHECK_EQ(mc.fault.tx.delay, 5000);
}

TEST(mos_defaults)
{
	struct mos_conf d;

	conf_mos_defaults(&d);
	CHECK_EQ(d.nb_mem_channels, 4);
	CHECK_EQ(d.max_concurrency, 100000);
	CHECK_EQ(d.rmem_size, 8192);
	CHECK_EQ(d.wmem_size, 8192);
	CHECK_EQ(d.tcp_timeout, 30);
	CHECK_EQ(d.tcp_timewait, 0);
	CHECK_EQ(d.port_first, 1025);
	CHECK_EQ(d.port_last, 65535);
	CHECK_EQ(d.rx_desc, 1024);
	CHECK_EQ(d.tx_desc, 1024);
	CHECK_EQ(d.reta_size, 128);
	CHECK_EQ(d.mp_mode, CONF_MP_NONE);
	CHECK_EQ(d.rss_key_kind, CONF_RSS_KEY_SYMMETRIC);
	CHECK_EQ(d.rss_key_len, 52);
	CHECK_EQ(d.rss_key[0], 0x6d);
	CHECK_EQ(d.rss_key[1], 0x5a);
	CHECK_EQ(d.rss_key[39], 0x5a);
	CHECK_EQ(d.fault.seed, 1);
	CHECK_EQ(d.fault.delay_us, 1000);
	CHECK_EQ(d.fault.reorder_depth, 2);
	CHECK_EQ(d.fault.rx.drop | d.fault.rx.dup | d.fault.rx.reorder | d.fault.rx.corrupt |
		 d.fault.rx.delay, 0);
	CHECK_EQ(d.fault.tx.drop | d.fault.tx.dup | d.fault.tx.reorder | d.fault.tx.corrupt |
		 d.fault.tx.delay, 0);

	/* a minimal file keeps them; core_mask is the netdevs' union */
	REQUIRE(mos("mos { netdev { dpdk0 0x3 10.0.0.2/24\n dpdk1 0x30 10.1.0.2/24 } }") == 0);
	CHECK_EQ(mc.core_mask, 0x33);
	CHECK_EQ(mc.max_num_buffers, 100000);
	CHECK_EQ(mc.tcp_timeout, 30);
	CHECK_EQ(mc.mp_mode, CONF_MP_NONE);
	CHECK_EQ(mc.mp_master_core, -1);
	CHECK(!mc.netdev[0].mac_set);
	CHECK_STR(mc.app_type, "end");
	CHECK_STR(mc.eal_args, "");

	/* max_num_buffers follows max_concurrency unless given */
	REQUIRE(mos("mos { max_concurrency = 777; netdev { dpdk0 1 10.0.0.2/24 } }") == 0);
	CHECK_EQ(mc.max_num_buffers, 777);
}

TEST(mos_one_line_blocks)
{
	REQUIRE(mos("application { type = end; run = epwget; core_mask = 0x00FF }\n"
		    "mos { netdev { dpdk0 0x00FF 10.0.0.2/24 } }") == 0);
	CHECK_STR(mc.app_run, "epwget");
	CHECK_EQ(mc.core_mask, 0xff);
	CHECK_EQ(mc.n_netdev, 1);
}

TEST(mos_layouts)
{
	/* '{' on the next line, '}' alone, ';' lists, comments, CRLF, tabs */
	REQUIRE(mos("mos   # the stack\r\n"
		    "{\r\n"
		    "\trmem_size=4096;wmem_size =4096 # two on a line\n"
		    "\tnetdev\n"
		    "\n"
		    "\t# a comment between name and brace\n"
		    "\t{ dpdk0 1 10.0.0.2/24; dpdk1 2 10.0.1.2/24 [02:00:00:00:00:02]\n"
		    "\t}\n"
		    "\troute_table {\n"
		    "\t}\n"
		    "}") == 0);
	CHECK_EQ(mc.rmem_size, 4096);
	CHECK_EQ(mc.wmem_size, 4096);
	CHECK_EQ(mc.n_netdev, 2);
	CHECK_EQ(mc.n_route, 0);
	CHECK(mc.netdev[1].mac_set);
}

TEST(mos_longest_line)
{
	char buf[2048];

	/* 1023 bytes and a CR are fine; one more byte is not */
	memset(buf, ' ', sizeof(buf));
	buf[0] = '#';
	strcpy(buf + 1023, "\r\nmos { netdev { dpdk0 1 10.0.0.2/24 } }");
	CHECK(mos(buf) == 0);
	buf[1023] = ' ';
	CHECK(mos(buf) == -EINVAL);
	CHECK_STR(err, "t.conf:1: line longer than 1023 bytes");
}

TEST(mos_ported_from_mos)
{
	/* keys of mOS without meaning here are accepted and ignored */
	REQUIRE(mos("mos {\n"
		    "\tforward = 0\n"
		    "\tstat_print =\n"
		    "\tmos_log = logs/\n"
		    "\tno_ring_buffers = 1\n"
		    "\tio = dpdk\n"
		    "\ttcp_tw_interval = 30\n"
		    "\ttcp_timeout = -1\n"
		    "\tnic_forward_table {\n"
		    "\t\tdpdk0 dpdk1\n"
		    "\t}\n"
		    "\tnetdev { dpdk0 0x00FF 10.0.0.2/24 }\n"
		    "}\n") == 0);
	CHECK_EQ(mc.tcp_timewait, 30);
	CHECK_EQ(mc.tcp_timeout, 0);
}

/* mOS's sample has no addresses: it read them from the kernel. */
TEST(mos_sample_without_address)
{
	CHECK(mos("application { type = end; run = epwget; core_mask = 0x00FF }\n"
		  "mos {\n"
		  "    nb_mem_channels = 4\n"
		  "    max_concurrency = 100000\n"
		  "    rmem_size = 8192\n"
		  "    wmem_size = 8192\n"
		  "    tcp_timeout = 30\n"
		  "    tcp_timewait = 0\n"
		  "    multiprocess = 0 master\n"
		  "    netdev { dpdk0 0x00FF }\n"
		  "    arp_table { 10.0.0.4/32 00:11:22:33:44:55 }\n"
		  "    route_table { 10.0.0.0/24 dpdk0 }\n"
		  "}\n") == -EINVAL);
	CHECK_STR(err, "t.conf:10: netdev 'dpdk0' needs a core mask and an address:"
		  " NAME MASK ADDR/PREFIX [MAC] (e.g. dpdk0 0x1 10.0.0.2/24)");
}

TEST(mos_multiprocess)
{
	REQUIRE(mos("mos { multiprocess = 0 master; netdev { dpdk0 1 10.0.0.2/24 } }") == 0);
	CHECK_EQ(mc.mp_mode, CONF_MP_MASTER);
	CHECK_EQ(mc.mp_master_core, 0);
	REQUIRE(mos("mos { multiprocess = 63  master; netdev { dpdk0 0x8000000000000000"
		    " 10.0.0.2/24 } }") == 0);
	CHECK_EQ(mc.mp_master_core, 63);
	REQUIRE(mos("mos { multiprocess = slave; netdev { dpdk0 1 10.0.0.2/24 } }") == 0);
	CHECK_EQ(mc.mp_mode, CONF_MP_SLAVE);
	CHECK_EQ(mc.mp_master_core, -1);
	CHECK_EQ(mc.mp_wait, 30);
	REQUIRE(mos("mos { multiprocess = slave; mp_wait = 5; netdev { dpdk0 1 10.0.0.2/24 } }") == 0);
	CHECK_EQ(mc.mp_wait, 5);
	CHECK_EQ(mc.nb_mbuf, 0);
	REQUIRE(mos("mos { nb_mbuf = 1088; netdev { dpdk0 1 10.0.0.2/24 } }") == 0);
	CHECK_EQ(mc.nb_mbuf, 1088);	/* 1024 RX descriptors + 64: the least allowed */
}

/* A plain --file-prefix name is kept as given; the bad ones are in mos_bad_inputs. */
TEST(mos_file_prefix)
{
	REQUIRE(mos("mos { eal_args = --no-pci --file-prefix=epwget-mp.2_a\n"
		    "netdev { dpdk0 1 10.0.0.2/24 } }") == 0);
	CHECK_STR(mc.eal_args, "--no-pci --file-prefix=epwget-mp.2_a");
	REQUIRE(mos("mos { eal_args = --file-prefix grp --no-pci\n"
		    "netdev { dpdk0 1 10.0.0.2/24 } }") == 0);
	/* other options may hold '/' and '..' */
	REQUIRE(mos("mos { eal_args = --vdev=net_memif0,socket=/run/../m.sock --files=a/b\n"
		    "netdev { dpdk0 1 10.0.0.2/24 } }") == 0);
}

TEST(mos_source_ports)
{
	REQUIRE(mos("mos { netdev { dpdk0 1 10.0.0.2/24 } }") == 0);
	CHECK_EQ(mc.port_first, 1025);
	CHECK_EQ(mc.port_last, 65535);
	REQUIRE(mos("mos { source_ports = 20000-20999; netdev { dpdk0 1 10.0.0.2/24 } }") == 0);
	CHECK_EQ(mc.port_first, 20000);
	CHECK_EQ(mc.port_last, 20999);
	REQUIRE(mos("mos { source_ports = 1025 - 1025; netdev { dpdk0 1 10.0.0.2/24 } }") == 0);
	CHECK_EQ(mc.port_first, 1025);
	CHECK_EQ(mc.port_last, 1025);
}

/* mos { fault { KEY = VALUE } netdev ... } */
static int fault_key(const char *key, const char *value)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "mos { fault { %s = %s }\nnetdev { dpdk0 1 10.0.0.2/24 } }", key,
		 value);
	return mos(buf);
}

#define FAULT_OFF(f) offsetof(struct mos_conf, fault.f)

/* Every rate key: valid values stored in hundredths, out of range and garbage refused. */
TEST(mos_fault_rates)
{
	static const struct { const char *key; size_t off; } keys[] = {
		{ "rx_drop", FAULT_OFF(rx.drop) }, { "rx_dup", FAULT_OFF(rx.dup) },
		{ "rx_reorder", FAULT_OFF(rx.reorder) }, { "rx_corrupt", FAULT_OFF(rx.corrupt) },
		{ "rx_delay", FAULT_OFF(rx.delay) }, { "tx_drop", FAULT_OFF(tx.drop) },
		{ "tx_dup", FAULT_OFF(tx.dup) }, { "tx_reorder", FAULT_OFF(tx.reorder) },
		{ "tx_corrupt", FAULT_OFF(tx.corrupt) }, { "tx_delay", FAULT_OFF(tx.delay) },
	};
	static const struct { const char *val; int want; } good[] = {
		{ "0", 0 }, { "0.0", 0 }, { "0.00", 0 }, { "0.01", 1 }, { "0.5", 50 }, { "0.05", 5 },
		{ "1", 100 }, { "5", 500 }, { "12.25", 1225 }, { "007.5", 750 }, { "99.99", 9999 },
		{ "100", 10000 }, { "100.0", 10000 }, { "100.00", 10000 },
	};
	static const struct { const char *val; const char *msg; } bad[] = {
		{ "100.01", "100.01 is out of range (0..100)" },
		{ "101", "101 is out of range (0..100)" },
		{ "99999999999999999999999", "99999999999999999999999 is out of range (0..100)" },
		{ "0.001", "'0.001' has more than two decimals" },
		{ "5.125", "'5.125' has more than two decimals" },
		{ "-1", "'-1' is not a percentage (0..100, e.g. 5 or 0.25)" },
		{ "abc", "'abc' is not a percentage (0..100, e.g. 5 or 0.25)" },
		{ "5%", "'5%' is not a percentage (0..100, e.g. 5 or 0.25)" },
		{ "1.", "'1.' is not a percentage (0..100, e.g. 5 or 0.25)" },
		{ ".5", "'.5' is not a percentage (0..100, e.g. 5 or 0.25)" },
		{ "1,5", "'1,5' is not a percentage (0..100, e.g. 5 or 0.25)" },
		{ "1.2.3", "'1.2.3' is not a percentage (0..100, e.g. 5 or 0.25)" },
		{ "5 5", "'5 5' is not a percentage (0..100, e.g. 5 or 0.25)" },
		{ "1e2", "'1e2' is not a percentage (0..100, e.g. 5 or 0.25)" },
		{ "+5", "'+5' is not a percentage (0..100, e.g. 5 or 0.25)" },
		{ "0x10", "'0x10' is not a percentage (0..100, e.g. 5 or 0.25)" },
	};
	char want[CONF_ERR_MAX];

	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
			int rc = fault_key(keys[k].key, good[i].val);
			int got = *(const int *)(const void *)((const char *)&mc + keys[k].off);

			if (rc != 0 || got != good[i].want) {
				fprintf(stderr, "  %s = %s: rc %d, stored %d, want %d (%s)\n",
					keys[k].key, good[i].val, rc, got, good[i].want, err);
				check_failures++;
			}
		}
		for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
			int rc = fault_key(keys[k].key, bad[i].val);

			snprintf(want, sizeof(want), "t.conf:1: %s: %s", keys[k].key, bad[i].msg);
			if (rc != -EINVAL || strcmp(err, want) != 0) {
				fprintf(stderr, "  %s = %s: rc %d\n    got:  %s\n    want: %s\n",
					keys[k].key, bad[i].val, rc, err, want);
				check_failures++;
			}
		}
	}
}

TEST(mos_fault_other_keys)
{
	REQUIRE(fault_key("seed", "0") == 0);
	CHECK_EQ(mc.fault.seed, 0);
	REQUIRE(fault_key("seed", "18446744073709551615") == 0);
	CHECK_EQ(mc.fault.seed, UINT64_MAX);
	REQUIRE(fault_key("seed", "0xFFFFFFFFFFFFFFFF") == 0);
	CHECK_EQ(mc.fault.seed, UINT64_MAX);
	REQUIRE(fault_key("delay_us", "1") == 0);
	CHECK_EQ(mc.fault.delay_us, 1);
	REQUIRE(fault_key("delay_us", "1000000") == 0);
	CHECK_EQ(mc.fault.delay_us, 1000000);
	REQUIRE(fault_key("reorder_depth", "1") == 0);
	CHECK_EQ(mc.fault.reorder_depth, 1);
	REQUIRE(fault_key("reorder_depth", "32") == 0);
	CHECK_EQ(mc.fault.reorder_depth, 32);
	/* an empty block, and one with only a seed: no fault, the defaults stay */
	REQUIRE(mos("mos { fault { }\nnetdev { dpdk0 1 10.0.0.2/24 } }") == 0);
	CHECK_EQ(mc.fault.seed, 1);
	CHECK_EQ(mc.fault.rx.drop, 0);
	REQUIRE(mos("mos {\nfault\n{\nseed = 3\n}\nnetdev { dpdk0 1 10.0.0.2/24 } }") == 0);
	CHECK_EQ(mc.fault.seed, 3);
	CHECK_EQ(mc.fault.delay_us, 1000);
}

static int rss(const char *value)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "mos { rss_key = %s; netdev { dpdk0 1 10.0.0.2/24 } }", value);
	return mos(buf);
}

TEST(mos_rss_key)
{
	static const char hex40[] =
		"6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa";
	static const char hex52[] =
		"0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
		"202122232425262728292A2B2C2D2E2F30313233";
	char colons[160];
	int i;

	REQUIRE(rss("symmetric") == 0);
	CHECK_EQ(mc.rss_key_kind, CONF_RSS_KEY_SYMMETRIC);
	CHECK_EQ(mc.rss_key_len, 52);
	for (i = 0; i < 52; i++)
		CHECK_EQ(mc.rss_key[i], (i & 1) ? 0x5a : 0x6d);
	REQUIRE(rss("microsoft") == 0);
	CHECK_EQ(mc.rss_key_kind, CONF_RSS_KEY_MICROSOFT);
	CHECK(memcmp(mc.rss_key, ms_key, 40) == 0);
	REQUIRE(rss("mtcp") == 0);
	CHECK_EQ(mc.rss_key_kind, CONF_RSS_KEY_MTCP);
	CHECK_EQ(mc.rss_key[0], 5);
	CHECK_EQ(mc.rss_key[39], 5);

	REQUIRE(rss(hex40) == 0);
	CHECK_EQ(mc.rss_key_kind, CONF_RSS_KEY_HEX);
	CHECK_EQ(mc.rss_key_len, 40);
	CHECK(memcmp(mc.rss_key, ms_key, 40) == 0);
	REQUIRE(rss(hex52) == 0);
	CHECK_EQ(mc.rss_key_len, 52);
	for (i = 0; i < 52; i++)
		CHECK_EQ(mc.rss_key[i], i);
	for (i = 0; i < 40; i++)
		sprintf(colons + 3 * i, "%02X%s", ms_key[i], i < 39 ? ":" : "");
	REQUIRE(rss(colons) == 0);
	CHECK(memcmp(mc.rss_key, ms_key, 40) == 0);

	CHECK(rss("6d5a") == -EINVAL);
	CHECK_STR(err, "t.conf:1: rss_key: 2 bytes, a key has 40 or 52");
	CHECK(rss("0x6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01") == -EINVAL);
	CHECK_STR(err, "t.conf:1: rss_key: 39 bytes, a key has 40 or 52");
	CHECK(rss("6d5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa00") == -EINVAL);
	CHECK_STR(err, "t.conf:1: rss_key: 41 bytes, a key has 40 or 52");
	CHECK(rss("6d5a5") == -EINVAL);
	CHECK_STR(err, "t.conf:1: rss_key: '6d5a5' is not symmetric, microsoft, mtcp or hex bytes");
	CHECK(rss("6d:5a:") == -EINVAL);
	CHECK(rss("6d:5a56") == -EINVAL);
	CHECK(rss("6d 5a") == -EINVAL);
	CHECK(rss("Symmetric") == -EINVAL);
	CHECK(rss("0x") == -EINVAL);
	CHECK(rss("6g") == -EINVAL);
}

struct bad_case {
	const char *text;
	const char *msg;
};

/* mos { fault { BODY (line 3) } netdev { dpdk0 0xFF 10.0.0.2/24 } } */
#define IN_FAULT(body) "mos {\nfault {\n" body "\n}\nnetdev { dpdk0 0xFF 10.0.0.2/24 }\n}\n"
/* mos { BODY (line 2) netdev { dpdk0 0xFF 10.0.0.2/24 } } */
#define IN_MOS(body) "mos {\n" body "\nnetdev { dpdk0 0xFF 10.0.0.2/24 }\n}\n"
#define NETDEV(line) "mos {\nnetdev {\n" line "\n}\n}\n"
#define IN_LIST(list, line) "mos {\nnetdev { dpdk0 1 10.0.0.2/24; dpdk1 2 10.0.1.2/24 }\n" \
			    list " {\n" line "\n}\n}\n"

static const struct bad_case mos_bad[] = {
	/* keys and numbers */
	{ IN_MOS("rmme_size = 8192"), "t.conf:2: unknown key 'rmme_size' in block mos" },
	{ IN_MOS("rmem_size = abc"), "t.conf:2: rmem_size: 'abc' is not a number" },
	{ IN_MOS("rmem_size = 8192x"), "t.conf:2: rmem_size: '8192x' is not a number" },
	{ IN_MOS("rmem_size = +8192"), "t.conf:2: rmem_size: '+8192' is not a number" },
	{ IN_MOS("rmem_size = 81 92"), "t.conf:2: rmem_size: '81 92' is not a number" },
	{ IN_MOS("rmem_size = 0x2000"), "t.conf:2: rmem_size: '0x2000' is not a number" },
	{ IN_MOS("rmem_size = 8192.0"), "t.conf:2: rmem_size: '8192.0' is not a number" },
	{ IN_MOS("rmem_size = -"), "t.conf:2: rmem_size: '-' is not a number" },
	{ IN_MOS("rmem_size = 100"), "t.conf:2: rmem_size: 100 is out of range (1024..67108864)" },
	{ IN_MOS("rmem_size = 67108865"),
	  "t.conf:2: rmem_size: 67108865 is out of range (1024..67108864)" },
	{ IN_MOS("max_concurrency = 99999999999999999999999"),
	  "t.conf:2: max_concurrency: 99999999999999999999999 is out of range (1..10000000)" },
	{ IN_MOS("max_concurrency = 9223372036854775808"),
	  "t.conf:2: max_concurrency: 9223372036854775808 is out of range (1..10000000)" },
	{ IN_MOS("max_num_buffers = 0"), "t.conf:2: max_num_buffers: 0 is out of range (1..10000000)" },
	{ IN_MOS("nb_mem_channels = 33"), "t.conf:2: nb_mem_channels: 33 is out of range (1..32)" },
	{ IN_MOS("tcp_timewait = -1"), "t.conf:2: tcp_timewait: -1 is out of range (0..3600)" },
	{ IN_MOS("tcp_timeout = -2"), "t.conf:2: tcp_timeout: -2 is out of range (-1..86400)" },
	{ IN_MOS("tcp_timeout = 86401"), "t.conf:2: tcp_timeout: 86401 is out of range (-1..86400)" },
	{ IN_MOS("rx_desc = 1000"), "t.conf:2: rx_desc: 1000 is not a power of two" },
	{ IN_MOS("tx_desc = 32"), "t.conf:2: tx_desc: 32 is out of range (64..16384)" },
	{ IN_MOS("reta_size = 4096"), "t.conf:2: reta_size: 4096 is out of range (64..2048)" },
	{ IN_MOS("reta_size = 96"), "t.conf:2: reta_size: 96 is not a power of two" },
	{ IN_MOS("rmem_size ="), "t.conf:2: rmem_size: no value" },
	{ IN_MOS("= 8192"), "t.conf:2: no key before '='" },
	{ IN_MOS("rmem_size = 8192\nrmem_size = 8192"),
	  "t.conf:3: duplicate key 'rmem_size' (first set on line 2)" },
	{ IN_MOS("tcp_timewait = 1; tcp_tw_interval = 2"),
	  "t.conf:2: duplicate key 'tcp_tw_interval' (first set on line 2)" },
	{ IN_MOS("rmem_size 8192"), "t.conf:2: expected 'key = value', got 'rmem_size 8192'" },
	{ IN_MOS("rmem_size"), "t.conf:2: rmem_size: expected 'rmem_size = value'" },
	{ IN_MOS("foo\nrmem_size = 8192"), "t.conf:2: 'foo': expected 'key = value' or 'foo {'" },
	{ IN_MOS("multiprocess = 0"),
	  "t.conf:2: multiprocess: expected 'N master' or 'slave', got '0'" },
	{ IN_MOS("multiprocess = master"),
	  "t.conf:2: multiprocess: expected 'N master' or 'slave', got 'master'" },
	{ IN_MOS("multiprocess = 64 master"),
	  "t.conf:2: multiprocess: master core '64' is not a core number (0..63)" },
	{ IN_MOS("multiprocess = 0 master slave"),
	  "t.conf:2: multiprocess: expected 'N master' or 'slave', got '0 master slave'" },
	{ IN_MOS("mp_wait = 0"), "t.conf:2: mp_wait: 0 is out of range (1..3600)" },
	{ IN_MOS("source_ports = 5000"),
	  "t.conf:2: source_ports: expected FIRST-LAST (as 1025-65535), got '5000'" },
	{ IN_MOS("source_ports = 80-90"),
	  "t.conf:2: source_ports: '80-90' is not a range of ports within 1025-65535, first <= last" },
	{ IN_MOS("source_ports = 6000-5000"), "t.conf:2: source_ports: '6000-5000' is not a range "
	  "of ports within 1025-65535, first <= last" },
	{ IN_MOS("source_ports = 2000-65536"), "t.conf:2: source_ports: '2000-65536' is not a "
	  "range of ports within 1025-65535, first <= last" },
	{ IN_MOS("source_ports = -2000"), "t.conf:2: source_ports: '-2000' is not a range "
	  "of ports within 1025-65535, first <= last" },
	{ IN_MOS("source_ports = 2000-x"), "t.conf:2: source_ports: '2000-x' is not a range "
	  "of ports within 1025-65535, first <= last" },
	{ IN_MOS("nb_mbuf = 100"), "t.conf:2: nb_mbuf: 100 is out of range (128..16777216)" },
	{ IN_MOS("rx_desc = 256\nnb_mbuf = 300"), "t.conf:3: nb_mbuf: 300 is below what the RX rings "
	  "take (1 netdev(s) x rx_desc 256) plus 64; raise nb_mbuf or lower rx_desc" },
	{ IN_MOS("multiprocess = 8 master"),
	  "t.conf:2: multiprocess: master core 8 is not in core_mask 0xff" },
	{ IN_MOS("eal_args = a b c d e f g h i j k l m n o p q r s t u v w x y z 1 2 3 4 5 6 7"),
	  "t.conf:2: eal_args: 33 arguments, at most 32" },
#define PREFIX_NAME(o, v) "t.conf:2: eal_args: " o " '" v "' must be a plain name, without '/' " \
	"or '..': it names a directory under /var/run/dpdk that the multi-process master removes at exit"
	{ IN_MOS("eal_args = --no-pci --file-prefix="), "t.conf:2: eal_args: --file-prefix has no "
	  "name: give one (as --file-prefix=epwget-mp), or leave the option out" },
	{ IN_MOS("eal_args = --no-pci --file-prefix"), "t.conf:2: eal_args: --file-prefix has no "
	  "name: give one (as --file-prefix=epwget-mp), or leave the option out" },
	{ IN_MOS("eal_args = --file-prefix=a/b"), PREFIX_NAME("--file-prefix", "a/b") },
	{ IN_MOS("eal_args = --file-prefix=/"), PREFIX_NAME("--file-prefix", "/") },
	{ IN_MOS("eal_args = --file-prefix ../x --no-pci"), PREFIX_NAME("--file-prefix", "../x") },
	{ IN_MOS("eal_args = --file-prefix=.."), PREFIX_NAME("--file-prefix", "..") },
	{ IN_MOS("eal_args = --file-prefix=a..b"), PREFIX_NAME("--file-prefix", "a..b") },
	{ IN_MOS("eal_args = --file-prefix=."), PREFIX_NAME("--file-prefix", ".") },
	{ IN_MOS("eal_args = --file-pre=/tmp/x"), PREFIX_NAME("--file-pre", "/tmp/x") },
	/* fault */
	{ IN_FAULT("seed = abc"), "t.conf:3: seed: 'abc' is not a number" },
	{ IN_FAULT("seed = -1"), "t.conf:3: seed: '-1' is not a number" },
	{ IN_FAULT("seed = 1.5"), "t.conf:3: seed: '1.5' is not a number" },
	{ IN_FAULT("seed = 18446744073709551616"),
	  "t.conf:3: seed: 18446744073709551616 is more than 64 bits" },
	{ IN_FAULT("seed = 0x1FFFFFFFFFFFFFFFF"), "t.conf:3: seed: 0x1FFFFFFFFFFFFFFFF is more than 64 bits" },
	{ IN_FAULT("seed ="), "t.conf:3: seed: no value" },
	{ IN_FAULT("delay_us = 0"), "t.conf:3: delay_us: 0 is out of range (1..1000000)" },
	{ IN_FAULT("delay_us = 1000001"), "t.conf:3: delay_us: 1000001 is out of range (1..1000000)" },
	{ IN_FAULT("delay_us = 1ms"), "t.conf:3: delay_us: '1ms' is not a number" },
	{ IN_FAULT("delay_us = 0.5"), "t.conf:3: delay_us: '0.5' is not a number" },
	{ IN_FAULT("reorder_depth = 0"), "t.conf:3: reorder_depth: 0 is out of range (1..32)" },
	{ IN_FAULT("reorder_depth = 33"), "t.conf:3: reorder_depth: 33 is out of range (1..32)" },
	{ IN_FAULT("reorder_depth = two"), "t.conf:3: reorder_depth: 'two' is not a number" },
	{ IN_FAULT("rx_drop ="), "t.conf:3: rx_drop: no value" },
	{ IN_FAULT("rx_drop = 150"), "t.conf:3: rx_drop: 150 is out of range (0..100)" },
	{ IN_FAULT("tx_delay = lots"),
	  "t.conf:3: tx_delay: 'lots' is not a percentage (0..100, e.g. 5 or 0.25)" },
	{ IN_FAULT("rx_drop = 1\nrx_drop = 2"), "t.conf:4: duplicate key 'rx_drop' (first set on line 3)" },
	{ IN_FAULT("rx_lose = 5"), "t.conf:3: unknown key 'rx_lose' in block fault" },
	{ IN_FAULT("drop = 5"), "t.conf:3: unknown key 'drop' in block fault" },
	{ IN_FAULT("rmem_size = 8192"), "t.conf:3: unknown key 'rmem_size' in block fault" },
	{ IN_FAULT("netdev { }"), "t.conf:3: unknown block 'netdev' in block fault" },
	{ IN_FAULT("rx_drop 5"), "t.conf:3: expected 'key = value', got 'rx_drop 5'" },
	{ IN_FAULT("rx_drop"), "t.conf:3: rx_drop: expected 'rx_drop = value'" },
	{ IN_MOS("rx_drop = 5"), "t.conf:2: unknown key 'rx_drop' in block mos" },
	{ IN_MOS("seed = 5"), "t.conf:2: unknown key 'seed' in block mos" },
	{ IN_MOS("fault { }\nfault { }"), "t.conf:3: duplicate block 'fault' (first opened on line 2)" },
	{ "fault { rx_drop = 5 }\n", "t.conf:1: unknown block 'fault' at top level" },
	{ "application { fault { } }\n", "t.conf:1: unknown block 'fault' in block application" },
	{ "mos {\nfault {\nrx_drop = 5\n", "t.conf:2: block 'fault' opened here is never closed" },
	/* application */
	{ "application { type = monitor }\n", "t.conf:1: type: 'monitor' is not supported (only 'end')" },
	{ "application { core_mask = 0 }\n", "t.conf:1: core_mask: core mask 0 selects no core" },
	{ "application { core_mask = 0x1FFFFFFFFFFFFFFFF }\n",
	  "t.conf:1: core_mask: 0x1FFFFFFFFFFFFFFFF is more than 64 bits" },
	{ "application { core_mask = 0xg }\n", "t.conf:1: core_mask: '0xg' is not a number" },
	{ "application { rmem_size = 1 }\n", "t.conf:1: unknown key 'rmem_size' in block application" },
	{ "application { core_mask = 0x0F }\n" NETDEV("dpdk0 0x1F 10.0.0.2/24"),
	  "t.conf:4: netdev 'dpdk0': cores 0x10 are not in core_mask 0xf" },
	/* blocks */
	{ "rmem_size = 1\n", "t.conf:1: key 'rmem_size' outside a block" },
	{ "foo { }\n", "t.conf:1: unknown block 'foo' at top level" },
	{ IN_MOS("foo {\n}"), "t.conf:2: unknown block 'foo' in block mos" },
	{ IN_MOS("mos { }"), "t.conf:2: unknown block 'mos' in block mos" },
	{ NETDEV("dpdk1 { }"), "t.conf:3: unknown block 'dpdk1' in block netdev" },
	{ "{\n", "t.conf:1: '{' without a block name" },
	{ "mos\n\nrmem_size = 1\n", "t.conf:1: 'mos': expected 'mos {'" },
	{ "mos { netdev { dpdk0 1 10.0.0.2/24 } } x\n", "t.conf:1: 'x': expected 'x {'" },
	{ "mos { netdev { dpdk0 1 10.0.0.2/24 } }\nmos { }\n",
	  "t.conf:2: duplicate block 'mos' (first opened on line 1)" },
	{ IN_MOS("netdev { }"), "t.conf:3: duplicate block 'netdev' (first opened on line 2)" },
	{ "mos { netdev { dpdk0 1 10.0.0.2/24 } }\n}\n", "t.conf:2: unbalanced '}'" },
	{ "}", "t.conf:1: unbalanced '}'" },
	{ "\n\nmos {\nnetdev { dpdk0 1 10.0.0.2/24 }\n", "t.conf:3: block 'mos' opened here is never closed" },
	{ "mos {\nnetdev {\ndpdk0 1 10.0.0.2/24\n}\n", "t.conf:1: block 'mos' opened here is never closed" },
	{ "mos {\nnetdev {\ndpdk0 1 10.0.0.2/24\n", "t.conf:2: block 'netdev' opened here is never closed" },
	{ "mos\n", "t.conf:1: 'mos': expected 'mos {'" },
	/* bytes */
	{ "mos {\x01}\n", "t.conf:1: control character 0x01 in line" },
	{ "mos {\n\x7f\n", "t.conf:2: control character 0x7f in line" },
	{ "mos {\rnetdev { dpdk0 1 10.0.0.2/24 } }\n", "t.conf:1: control character 0x0d in line" },
	/* whole file */
	{ "", "t.conf: no netdev: add 'netdev { NAME MASK ADDR/PREFIX }' to block mos" },
	{ "# nothing\n\n   \n", "t.conf: no netdev: add 'netdev { NAME MASK ADDR/PREFIX }' to block mos" },
	{ "application { type = end }\n", "t.conf: no netdev: add 'netdev { NAME MASK ADDR/PREFIX }' to block mos" },
	{ "mos { netdev { } }\n", "t.conf: no netdev: add 'netdev { NAME MASK ADDR/PREFIX }' to block mos" },
	/* netdev */
	{ NETDEV("dpdk0 0xFF 10.0.0.256/24"), "t.conf:3: netdev 'dpdk0': bad address '10.0.0.256'" },
	{ NETDEV("dpdk0 0xFF 10.0.0.02/24"), "t.conf:3: netdev 'dpdk0': bad address '10.0.0.02'" },
	{ NETDEV("dpdk0 0xFF 10.0.0/24"), "t.conf:3: netdev 'dpdk0': bad address '10.0.0'" },
	{ NETDEV("dpdk0 0xFF 10.0.0.1.2/24"), "t.conf:3: netdev 'dpdk0': bad address '10.0.0.1.2'" },
	{ NETDEV("dpdk0 0xFF 10.0.0.2/33"), "t.conf:3: netdev 'dpdk0': bad prefix '/33' (0..32)" },
	{ NETDEV("dpdk0 0xFF 10.0.0.2/024"), "t.conf:3: netdev 'dpdk0': bad prefix '/024' (0..32)" },
	{ NETDEV("dpdk0 0xFF 10.0.0.2/"), "t.conf:3: netdev 'dpdk0': bad prefix '/' (0..32)" },
	{ NETDEV("dpdk0 0xFF 10.0.0.2/0"), "t.conf:3: netdev 'dpdk0': prefix /0 is not a subnet" },
	{ NETDEV("dpdk0 0xFF 10.0.0.2"),
	  "t.conf:3: netdev 'dpdk0': '10.0.0.2' needs a prefix (ADDR/PREFIX)" },
	{ NETDEV("dpdk0 0xFF 10.0.0.0/24"),
	  "t.conf:3: netdev 'dpdk0': 10.0.0.0 is the network address of 10.0.0.0/24" },
	{ NETDEV("dpdk0 0xFF 10.0.0.255/24"),
	  "t.conf:3: netdev 'dpdk0': 10.0.0.255 is the broadcast address of 10.0.0.0/24" },
	{ NETDEV("dpdk0 0xFF 0.0.0.0/8"), "t.conf:3: netdev 'dpdk0': 0.0.0.0 is not a unicast address" },
	{ NETDEV("dpdk0 0xFF 224.0.0.9/24"), "t.conf:3: netdev 'dpdk0': 224.0.0.9 is not a unicast address" },
	{ NETDEV("dpdk0 0xFF 10.0.0.2/24 [00:11:22]"), "t.conf:3: netdev 'dpdk0': bad MAC '00:11:22'" },
	{ NETDEV("dpdk0 0xFF 10.0.0.2/24 [00:11:22:33:44:55"),
	  "t.conf:3: netdev 'dpdk0': bad MAC '[00:11:22:33:44:55'" },
	{ NETDEV("dpdk0 0xFF 10.0.0.2/24 00:11:22:33:44:5g"),
	  "t.conf:3: netdev 'dpdk0': bad MAC '00:11:22:33:44:5g'" },
	{ NETDEV("dpdk0 0xFF 10.0.0.2/24 00-11-22-33-44-55"),
	  "t.conf:3: netdev 'dpdk0': bad MAC '00-11-22-33-44-55'" },
	{ NETDEV("dpdk0 0xFF 10.0.0.2/24 [01:00:5e:00:00:01]"),
	  "t.conf:3: netdev 'dpdk0': MAC 01:00:5e:00:00:01 is a multicast address" },
	{ NETDEV("dpdk0 0xFF 10.0.0.2/24 ff:ff:ff:ff:ff:ff"),
	  "t.conf:3: netdev 'dpdk0': MAC ff:ff:ff:ff:ff:ff is a multicast address" },
	{ NETDEV("dpdk0 0xFF 10.0.0.2/24 00:00:00:00:00:00"),
	  "t.conf:3: netdev 'dpdk0': MAC 00:00:00:00:00:00 is all zero" },
	{ NETDEV("dpdk0 0xFF 10.0.0.2/24 02:00:00:00:00:01 x"),
	  "t.conf:3: netdev 'dpdk0': unexpected 'x' after the MAC" },
	{ NETDEV("dpdk0 0 10.0.0.2/24"), "t.conf:3: netdev 'dpdk0': core mask 0 selects no core" },
	{ NETDEV("dpdk0 ff 10.0.0.2/24"), "t.conf:3: netdev 'dpdk0': 'ff' is not a number" },
	{ NETDEV("dpdk8 1 10.0.0.2/24"),
	  "t.conf:3: netdev 'dpdk8': DPDK port out of range (dpdk0..dpdk7)" },
	{ NETDEV("dpdk01 1 10.0.0.2/24"),
	  "t.conf:3: netdev 'dpdk01': DPDK port out of range (dpdk0..dpdk7)" },
	{ NETDEV("dpdk-0 1 10.0.0.2/24"),
	  "t.conf:3: netdev: bad name 'dpdk-0' ([A-Za-z0-9_], at most 31)" },
	{ NETDEV("an_interface_name_of_32_chars_xx 1 10.0.0.2/24"),
	  "t.conf:3: netdev: bad name 'an_interface_name_of_32_chars_xx' ([A-Za-z0-9_], at most 31)" },
	{ NETDEV("dpdk0 1 10.0.0.2/24\ndpdk0 2 10.0.1.2/24"),
	  "t.conf:4: duplicate netdev 'dpdk0' (first on line 3)" },
	{ NETDEV("a 1 10.0.0.2/24; b 1 10.0.0.3/24; c 1 10.0.0.4/24; d 1 10.0.0.5/24\n"
		 "e 1 10.0.0.6/24; f 1 10.0.0.7/24; g 1 10.0.0.8/24; h 1 10.0.0.9/24\n"
		 "i 1 10.0.0.10/24"), "t.conf:5: too many netdev entries (at most 8)" },
	/* arp_table */
	{ IN_LIST("arp_table", "10.0.0.5/24 00:11:22:33:44:55"),
	  "t.conf:4: arp_table: 10.0.0.5/24 has host bits set (the network is 10.0.0.0/24)" },
	{ IN_LIST("arp_table", "10.0.0.4 00:11:22:33:44:55\n10.0.0.4/32 00:11:22:33:44:56"),
	  "t.conf:5: arp_table: duplicate entry 10.0.0.4/32 (first on line 4)" },
	{ IN_LIST("arp_table", "10.0.0.4 01:11:22:33:44:55"),
	  "t.conf:4: arp_table: MAC 01:11:22:33:44:55 is a multicast address" },
	{ IN_LIST("arp_table", "10.0.0.4 00:11:22:33:44"), "t.conf:4: arp_table: bad MAC '00:11:22:33:44'" },
	{ IN_LIST("arp_table", "10.0.0.4"), "t.conf:4: arp_table: expected 'ADDR[/PREFIX] MAC'" },
	{ IN_LIST("arp_table", "10.0.0.4 00:11:22:33:44:55 x"), "t.conf:4: arp_table: expected 'ADDR[/PREFIX] MAC'" },
	{ IN_LIST("arp_table", "10.0.0.4/40 00:11:22:33:44:55"), "t.conf:4: arp_table: bad prefix '/40' (0..32)" },
	{ IN_LIST("arp_table", "host 00:11:22:33:44:55"), "t.conf:4: arp_table: bad address 'host'" },
	/* route_table */
	{ IN_LIST("route_table", "10.0.0.0/24 dpdk5"), "t.conf:4: route_table: unknown device 'dpdk5'" },
	{ IN_LIST("route_table", "10.0.0.0/24 dpdk0\n10.1.0.0/16 dpdk7"),
	  "t.conf:5: route_table: unknown device 'dpdk7'" },
	{ IN_LIST("route_table", "10.0.0.0 dpdk0"),
	  "t.conf:4: route_table: '10.0.0.0' needs a prefix (ADDR/PREFIX)" },
	{ IN_LIST("route_table", "10.0.0.1/24 dpdk0"),
	  "t.conf:4: route_table: 10.0.0.1/24 has host bits set (the network is 10.0.0.0/24)" },
	{ IN_LIST("route_table", "10.0.0.0/24 dpdk0\n10.0.0.0/24 dpdk1"),
	  "t.conf:5: route_table: duplicate entry 10.0.0.0/24 (first on line 4)" },
	{ IN_LIST("route_table", "10.0.0.0/24"), "t.conf:4: route_table: expected 'ADDR/PREFIX DEV'" },
	{ IN_LIST("route_table", "10.0.0.0/24 dpdk0 dpdk1"), "t.conf:4: route_table: expected 'ADDR/PREFIX DEV'" },
	{ IN_LIST("route_table", "10.0.0.0/24 dpdk:0"), "t.conf:4: route_table: bad device name 'dpdk:0'" },
};

TEST(mos_bad_inputs)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mos_bad); i++) {
		int rc = mos(mos_bad[i].text);

		if (rc != -EINVAL || strcmp(err, mos_bad[i].msg) != 0) {
			fprintf(stderr, "  case %zu: rc %d\n    got:  %s\n    want: %s\n", i, rc, err,
				mos_bad[i].msg);
			check_failures++;
		}
	}
}

/* Inputs that need more room than a table row. */
TEST(mos_bad_generated)
{
	static char buf[CONF_ERR_MAX * 40];
	size_t n;
	int i;

	memset(buf, 0, sizeof(buf));
	memset(buf, 'x', 1024);
	memcpy(buf, "# ", 2);
	CHECK(mos(buf) == -EINVAL);
	CHECK_STR(err, "t.conf:1: line longer than 1023 bytes");

	n = (size_t)sprintf(buf, "mos { netdev { dpdk0 1 10.0.0.2/24 }\narp_table {\n");
	for (i = 0; i <= CONF_MAX_ARP; i++)
		n += (size_t)sprintf(buf + n, "10.%d.%d.1 00:11:22:33:44:55\n", i / 256, i % 256);
	strcpy(buf + n, "} }\n");
	CHECK(mos(buf) == -EINVAL);
	CHECK_STR(err, "t.conf:259: too many arp_table entries (at most 256)");

	n = (size_t)sprintf(buf, "mos { netdev { dpdk0 1 10.0.0.2/24 }\nroute_table {\n");
	for (i = 0; i <= CONF_MAX_ROUTE; i++)
		n += (size_t)sprintf(buf + n, "10.%d.0.0/16 dpdk0\n", i);
	strcpy(buf + n, "} }\n");
	CHECK(mos(buf) == -EINVAL);
	CHECK_STR(err, "t.conf:67: too many route_table entries (at most 64)");

	n = (size_t)sprintf(buf, "application { run = ");
	memset(buf + n, 'r', CONF_PATH_MAX);
	strcpy(buf + n + CONF_PATH_MAX, " }\n");
	CHECK(mos(buf) == -EINVAL);
	CHECK_STR(err, "t.conf:1: run: value longer than 255 bytes");

	/* NUL bytes, which a C string cannot hold */
	CHECK(conf_mos_parse(&mc, "t.conf", "mos {\n\0}\n", 9, err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "t.conf:2: NUL byte in line");
	CHECK(conf_mos_parse(&mc, "t.conf", "# comment \0 too\n", 16, err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "t.conf:1: NUL byte in line");
}

TEST(mos_error_buffer)
{
	char small[8];

	/* no buffer, or a short one: still an error, never an overrun */
	CHECK(conf_mos_parse(&mc, "t.conf", "}", 1, NULL, 0) == -EINVAL);
	CHECK(conf_mos_parse(&mc, "t.conf", "}", 1, small, sizeof(small)) == -EINVAL);
	CHECK_STR(small, "t.conf:");
	CHECK(conf_mos_parse(&mc, "t.conf", "}", 1, small, 1) == -EINVAL);
	CHECK_STR(small, "");
	CHECK(conf_mos_parse(&mc, NULL, "}", 1, err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "(config):1: unbalanced '}'");
	CHECK(conf_mos_parse(&mc, "t.conf", NULL, 0, err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "t.conf: no netdev: add 'netdev { NAME MASK ADDR/PREFIX }' to block mos");
	/* success clears the message */
	REQUIRE(mos(good_mos) == 0);
	CHECK_STR(err, "");
}

TEST(epwget_good)
{
	REQUIRE(epw(good_epw) == 0);
	CHECK_EQ(ec.host, ip("10.0.0.4"));
	CHECK_EQ(ec.port, 80);
	CHECK_STR(ec.path, "/index-8192.html");
	CHECK_EQ(ec.total_flows, 100000);
	CHECK_EQ(ec.total_concurrency, 4000);
	CHECK_EQ(ec.core_limit, 8);
	CHECK(!ec.keep_alive);

	REQUIRE(epw("# only the url\nurl = 10.0.0.4\n") == 0);
	CHECK_STR(ec.path, "/");
	CHECK_EQ(ec.port, 80);
	CHECK_EQ(ec.total_flows, 0);
	CHECK_EQ(ec.total_concurrency, 0);
	CHECK_EQ(ec.core_limit, 0);
	CHECK(!ec.keep_alive);

	REQUIRE(epw("url=10.0.0.4/a;b?c=d\r\ntotal_flows = 1000000000000\nkeep_alive = 1\n") == 0);
	CHECK(ec.url_set);
	CHECK_STR(ec.path, "/a;b?c=d");
	CHECK_EQ(ec.total_flows, 1000000000000L);
	CHECK(ec.keep_alive);
}

TEST(epwget_port_precedence)
{
	REQUIRE(epw("url = 10.0.0.4:8080/x\ndest_port = 81\n") == 0);
	CHECK_EQ(ec.port, 8080);
	REQUIRE(epw("dest_port = 81\nurl = 10.0.0.4:8080/x\n") == 0);
	CHECK_EQ(ec.port, 8080);
	REQUIRE(epw("dest_port = 81\nurl = 10.0.0.4/x\n") == 0);
	CHECK_EQ(ec.port, 81);
	REQUIRE(epw("url = 10.0.0.4/x\ndest_port = 81\n") == 0);
	CHECK_EQ(ec.port, 81);
	REQUIRE(epw("url = 10.0.0.4/x\n") == 0);
	CHECK_EQ(ec.port, 80);
}

TEST(epwget_expect)
{
	/* the defaults: any 2xx, the body unchecked */
	REQUIRE(epw("url = 10.0.0.4\n") == 0);
	CHECK_EQ(ec.expect_status, 2);
	CHECK(!ec.expect_body);
	REQUIRE(epw("expect_status = 200\nexpect_body_bytes = 38\n") == 0);
	CHECK_EQ(ec.expect_status, 200);
	CHECK(ec.expect_body);
	CHECK_EQ(ec.expect_body_bytes, 38);
	REQUIRE(epw("expect_status = 4XX\nexpect_body_bytes = 0\n") == 0);
	CHECK_EQ(ec.expect_status, 4);
	CHECK(ec.expect_body);
	CHECK_EQ(ec.expect_body_bytes, 0);
	REQUIRE(epw("expect_status = 599\nexpect_body_bytes = 9223372036854775807\n") == 0);
	CHECK_EQ(ec.expect_status, 599);
	CHECK_EQ(ec.expect_body_bytes, 9223372036854775807ull);
	REQUIRE(epw("expect_status = 1xx\n") == 0);
	CHECK_EQ(ec.expect_status, 1);
}

static const struct bad_case epw_bad[] = {
	{ "expect_status = 600\n", "e.conf:1: expect_status: '600' is not a status: give a code "
	  "from 100 to 599 (200) or a class from 1xx to 5xx (2xx)" },
	{ "expect_status = 99\n", "e.conf:1: expect_status: '99' is not a status: give a code "
	  "from 100 to 599 (200) or a class from 1xx to 5xx (2xx)" },
	{ "expect_status = 2xxx\n", "e.conf:1: expect_status: '2xxx' is not a status: give a code "
	  "from 100 to 599 (200) or a class from 1xx to 5xx (2xx)" },
	{ "expect_status = 200 OK\n", "e.conf:1: expect_status: '200 OK' is not a status: give a "
	  "code from 100 to 599 (200) or a class from 1xx to 5xx (2xx)" },
	{ "expect_status = 6xx\n", "e.conf:1: expect_status: '6xx' is not a status: give a code "
	  "from 100 to 599 (200) or a class from 1xx to 5xx (2xx)" },
	{ "expect_status = 200\nexpect_status = 2xx\n",
	  "e.conf:2: duplicate key 'expect_status' (first set on line 1)" },
	{ "expect_body_bytes = -1\n",
	  "e.conf:1: expect_body_bytes: -1 is out of range (0..9223372036854775807)" },
	{ "expect_body_bytes = 1k\n", "e.conf:1: expect_body_bytes: '1k' is not a number" },
	{ "expect_body_bytes =\n", "e.conf:1: expect_body_bytes: no value" },
	{ "url = 10.0.0.4/\nurll = 1\n", "e.conf:2: unknown key 'urll'" },
	{ "url = 10.0.0.4/\nrmem_size = 1\n", "e.conf:2: unknown key 'rmem_size'" },
	{ "url 10.0.0.4/\n", "e.conf:1: expected 'key = value', got 'url 10.0.0.4/'" },
	{ "url =\n", "e.conf:1: url: no value" },
	{ "url = 10.0.0.4/\nurl = 10.0.0.5/\n", "e.conf:2: duplicate key 'url' (first set on line 1)" },
	{ "url = https://10.0.0.4/index.html\n", "e.conf:1: url: https is not supported: epwget "
	  "speaks HTTP/1.x over plain TCP; give http://host[:port]/path" },
	{ "url = 10.0.0.4:99999/\n", "e.conf:1: url: port 99999 is out of range (1..65535)" },
	{ "url = 10.0.0.4/a b\n", "e.conf:1: url: path has a blank or control character (0x20)" },
	{ "total_flows = 0\n", "e.conf:1: total_flows: 0 is out of range (1..1000000000000)" },
	{ "total_flows = 1e6\n", "e.conf:1: total_flows: '1e6' is not a number" },
	{ "total_flows = 1000000000001\n",
	  "e.conf:1: total_flows: 1000000000001 is out of range (1..1000000000000)" },
	{ "total_concurrency = 10000001\n",
	  "e.conf:1: total_concurrency: 10000001 is out of range (1..10000000)" },
	{ "core_limit = 65\n", "e.conf:1: core_limit: 65 is out of range (1..64)" },
	{ "core_limit = 0\n", "e.conf:1: core_limit: 0 is out of range (1..64)" },
	{ "keep_alive = 2\n", "e.conf:1: keep_alive: 2 is out of range (0..1)" },
	{ "keep_alive = yes\n", "e.conf:1: keep_alive: 'yes' is not a number" },
	{ "dest_port = 0\n", "e.conf:1: dest_port: 0 is out of range (1..65535)" },
	{ "dest_port = 65536\n", "e.conf:1: dest_port: 65536 is out of range (1..65535)" },
	{ "dest_port = 80 80\n", "e.conf:1: dest_port: '80 80' is not a number" },
	{ "= 3\n", "e.conf:1: no key before '='" },
	{ "url = 10.0.0.4/\x02\n", "e.conf:1: control character 0x02 in line" },
	{ "method = FETCH\n", "e.conf:1: method: method 'FETCH' is not one epwget sends; give GET, "
	  "HEAD, POST, PUT, DELETE, OPTIONS or PATCH" },
	{ "method = post\n", "e.conf:1: method: method 'post': methods are upper case; give POST" },
	{ "method = GET\nmethod = HEAD\n", "e.conf:2: duplicate key 'method' (first set on line 1)" },
	{ "header = X-No-Colon\n", "e.conf:1: header: header 'X-No-Colon': give 'Name: value', a "
	  "name of letters, digits or -_.!#$%&'*+^`|~ and a colon" },
	{ "header = : v\n", "e.conf:1: header: header ': v': give 'Name: value', a name of letters, "
	  "digits or -_.!#$%&'*+^`|~ and a colon" },
	{ "header = X Y: v\n", "e.conf:1: header: header 'X Y: v': give 'Name: value', a name of "
	  "letters, digits or -_.!#$%&'*+^`|~ and a colon" },
	{ "header = content-length: 3\n", "e.conf:1: header: header 'content-length' is epwget's: "
	  "the body's size (-b, body_file) sets Content-Length" },
	{ "header = Transfer-Encoding: chunked\n", "e.conf:1: header: header 'Transfer-Encoding' is "
	  "epwget's: the body's size (-b, body_file) sets Content-Length" },
	{ "header =\n", "e.conf:1: header: no value" },
	{ "close = reset\n", "e.conf:1: close: close 'reset': give fin (mtcp_close, the default) "
	  "or rst (mtcp_abort: no TIME_WAIT)" },
	{ "body_file =\n", "e.conf:1: body_file: no value" },
};

TEST(epwget_request_keys)
{
	/* the defaults: mOS's GET, a connection per request, FIN */
	REQUIRE(epw("url = 10.0.0.4/\n") == 0);
	CHECK_STR(ec.method, "GET");
	CHECK_STR(ec.body_file, "");
	CHECK_EQ(ec.n_headers, 0);
	CHECK_EQ(ec.requests_per_conn, 1);
	CHECK_EQ(ec.pipeline, 1);
	CHECK(!ec.close_rst);

	REQUIRE(epw("method = POST\nbody_file = /tmp/b x\nclose = rst\n"
		    "header = X-A: 1\nheader = Host: example\nheader=x-a:  2 \n") == 0);
	CHECK_STR(ec.method, "POST");
	CHECK_STR(ec.body_file, "/tmp/b x");
	CHECK(ec.close_rst);
	REQUIRE(ec.n_headers == 2);	/* a name given again, case aside, replaces */
	CHECK_STR(ec.headers[0], "x-a:  2");
	CHECK_STR(ec.headers[1], "Host: example");
	REQUIRE(epw("close = fin\n") == 0);
	CHECK(!ec.close_rst);

	/* keep_alive = 1: as many requests per connection as the server allows */
	REQUIRE(epw("keep_alive = 1\n") == 0);
	CHECK_EQ(ec.requests_per_conn, 0);
	REQUIRE(epw("keep_alive = 0\n") == 0);
	CHECK_EQ(ec.requests_per_conn, 1);

	for (const char *const *m = (const char *const[]){ "GET", "HEAD", "POST", "PUT", "DELETE",
							  "OPTIONS", "PATCH", NULL }; *m; m++) {
		CHECK(conf_set_method(&ec, *m, err, sizeof(err)) == 0);
		CHECK_STR(ec.method, *m);
		CHECK(conf_method_has_body(*m) == (strcmp(*m, "POST") == 0 || strcmp(*m, "PUT") == 0 ||
						   strcmp(*m, "PATCH") == 0));
	}
	CHECK(conf_set_method(&ec, "", err, sizeof(err)) == -EINVAL);
	CHECK(conf_set_method(&ec, "GETX", err, sizeof(err)) == -EINVAL);
	CHECK_STR(ec.method, "PATCH");	/* a refused method changes nothing */
}

/* source_addrs = FIRST[-LAST] and -s (issue 13): parsing, then the range against mos.conf */
TEST(epwget_source_addrs)
{
	static const char *const bad[] = {
		"", "10.0.0.2-", "-10.0.0.3", "10.0.0", "10.0.0.2-10.0.0.x", "10.0.0.2--10.0.0.3",
		"10.0.0.3-10.0.0.2", "10.0.0.1-10.0.1.1", "host-name", "10.0.0.2-10.0.0.3-10.0.0.4",
	};
	/* ranges refused against the mos.conf below (the server 10.0.0.77), and why */
	static const char *const refused[][2] = {
		{ "10.0.0.250-10.0.1.3", "not all in one netdev's subnet" },
		{ "192.168.0.2-192.168.0.3", "not all in one netdev's subnet" },
		{ "10.0.0.0-10.0.0.3", "the network address of dpdk0's subnet 10.0.0.0/24" },
		{ "10.0.0.254-10.0.0.255", "the broadcast address of dpdk0's subnet" },
		{ "10.0.0.3-10.0.0.4", "10.0.0.4/32, a static neighbour" },
		{ "10.0.0.120-10.0.0.130",
		  "routed out of dpdk1 by mos.conf's route_table line 10.0.0.128/28" },
		{ "10.0.0.70-10.0.0.80", "hold the server's address 10.0.0.77" },
	};

	REQUIRE(epw("url = 10.0.0.4/\n") == 0);
	CHECK_EQ(ec.n_saddr, 0);	/* not given: the netdev's own address */
	REQUIRE(epw("source_addrs = 10.0.0.2-10.0.0.3\n") == 0);
	CHECK_EQ(ec.saddr_first, ip("10.0.0.2"));
	CHECK_EQ(ec.n_saddr, 2);
	REQUIRE(epw("source_addrs = 10.0.0.9\n") == 0);
	CHECK_EQ(ec.saddr_first, ip("10.0.0.9"));
	CHECK_EQ(ec.n_saddr, 1);
	REQUIRE(conf_set_source_addrs(&ec, "10.0.0.1 - 10.0.1.0", err, sizeof(err)) == 0);
	CHECK_EQ(ec.n_saddr, CONF_MAX_SOURCE_ADDRS);	/* 256, across an octet */
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		CHECK(conf_set_source_addrs(&ec, bad[i], err, sizeof(err)) == -EINVAL);
		CHECK(strstr(err, "source addresses") != NULL);
	}
	CHECK_EQ(ec.n_saddr, CONF_MAX_SOURCE_ADDRS);	/* a refused range changes nothing */
	CHECK(conf_set_source_addrs(&ec, "10.0.0.0-10.0.255.255", err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "65536 addresses, epwget takes at most 256") != NULL);
	CHECK(epw("source_addrs = 10.0.0.3-10.0.0.2\n") == -EINVAL);
	CHECK(strstr(err, "e.conf:1: source_addrs: ") != NULL);
	CHECK(strstr(err, "ascending") != NULL);
	CHECK(epw("source_addrs = 10.0.0.2\nsource_addrs = 10.0.0.3\n") == -EINVAL);

	/* against mos.conf: dpdk0 10.0.0.2/24, dpdk1 10.1.0.2/16, a route and static neighbours */
	REQUIRE(mos("mos { netdev { dpdk0 1 10.0.0.2/24; dpdk1 1 10.1.0.2/16 }\n"
		    "  arp_table { 10.0.0.4/32 02:00:00:00:00:04; 10.0.0.0/24 02:00:00:00:00:fe }\n"
		    "  route_table { 10.0.0.128/28 dpdk1; 10.0.0.0/24 dpdk0 } }\n") == 0);
	REQUIRE(epw("url = 10.0.0.77/\nsource_addrs = 10.0.0.2-10.0.0.3\n") == 0);
	CHECK_EQ(conf_check_source_addrs(&mc, &ec, err, sizeof(err)), 0);
	REQUIRE(conf_set_source_addrs(&ec, "10.0.0.78-10.0.0.127", err, sizeof(err)) == 0);
	CHECK_EQ(conf_check_source_addrs(&mc, &ec, err, sizeof(err)), 0);
	for (size_t i = 0; i < ARRAY_SIZE(refused); i++) {
		REQUIRE(conf_set_source_addrs(&ec, refused[i][0], err, sizeof(err)) == 0);
		CHECK(conf_check_source_addrs(&mc, &ec, err, sizeof(err)) == -EINVAL);
		if (strstr(err, refused[i][1]) == NULL)
			CHECK_FAIL_("%s: '%s' lacks '%s'", refused[i][0], err, refused[i][1]);
	}
	/* the server on dpdk1, the addresses on dpdk0 */
	REQUIRE(epw("url = 10.1.9.9/\nsource_addrs = 10.0.0.2-10.0.0.3\n") == 0);
	CHECK(conf_check_source_addrs(&mc, &ec, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "the server 10.1.9.9 is reached through dpdk1") != NULL);
	REQUIRE(conf_set_source_addrs(&ec, "10.1.0.1-10.1.0.255", err, sizeof(err)) == 0);
	CHECK_EQ(conf_check_source_addrs(&mc, &ec, err, sizeof(err)), 1);
	/* a /31 has no network or broadcast address (RFC 3021) */
	REQUIRE(mos("mos { netdev { dpdk0 1 10.0.0.2/31 } }") == 0);
	REQUIRE(epw("url = 10.9.0.1/\nsource_addrs = 10.0.0.2-10.0.0.3\n") == 0);
	CHECK(conf_check_source_addrs(&mc, &ec, err, sizeof(err)) == -EINVAL);	/* no route */
	REQUIRE(mos("mos { netdev { dpdk0 1 10.0.0.2/31 }\n route_table { 10.9.0.0/16 dpdk0 } }") == 0);
	CHECK_EQ(conf_check_source_addrs(&mc, &ec, err, sizeof(err)), 0);
}

TEST(epwget_headers_limits)
{
	char h[CONF_HEADER_MAX + 8];

	conf_epwget_defaults(&ec);
	for (int i = 0; i < CONF_HEADERS_MAX; i++) {
		snprintf(h, sizeof(h), "X-%d: %d", i, i);
		CHECK(conf_add_header(&ec, h, err, sizeof(err)) == 0);
	}
	CHECK(conf_add_header(&ec, "X-0: again", err, sizeof(err)) == 0);	/* replaces */
	CHECK_STR(ec.headers[0], "X-0: again");
	CHECK(conf_add_header(&ec, "X-new: 1", err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "more than 16 headers");

	memset(h, 'v', sizeof(h));
	memcpy(h, "X-Long: ", 8);
	h[CONF_HEADER_MAX] = '\0';	/* 256 bytes: one too many */
	CHECK(conf_add_header(&ec, h, err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "header 'X-Long' is longer than 255 bytes");
	h[CONF_HEADER_MAX - 1] = '\0';
	conf_epwget_defaults(&ec);
	CHECK(conf_add_header(&ec, h, err, sizeof(err)) == 0);
	CHECK(conf_add_header(&ec, "X-Tab: a\tb", err, sizeof(err)) == 0);
	CHECK(conf_add_header(&ec, "X-Empty:", err, sizeof(err)) == 0);
	CHECK(conf_header_name_is("host: x", "Host"));
	CHECK(!conf_header_name_is("Hostile: x", "Host"));
}

TEST(epwget_bad_inputs)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(epw_bad); i++) {
		int rc = epw(epw_bad[i].text);

		if (rc != -EINVAL || strcmp(err, epw_bad[i].msg) != 0) {
			fprintf(stderr, "  case %zu: rc %d\n    got:  %s\n    want: %s\n", i, rc, err,
				epw_bad[i].msg);
			check_failures++;
		}
	}
	CHECK(conf_epwget_parse(&ec, "e.conf", "url = 10.0.0.4/\0", 16, err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "e.conf:1: NUL byte in line");

	/* no url is fine: a URL from the command line completes the file */
	CHECK(epw("") == 0);
	CHECK(!ec.url_set);
	CHECK(epw("# nothing\n") == 0);
	CHECK(epw("total_flows = 10\ndest_port = 81\ncore_limit = 2\n") == 0);
	CHECK(!ec.url_set);
	CHECK_EQ(ec.total_flows, 10);
	CHECK_EQ(ec.port, 81);
	CHECK_EQ(ec.core_limit, 2);
	CHECK(conf_parse_url(&ec, "10.0.0.9/x", err, sizeof(err)) == 0);
	CHECK(ec.url_set);
	CHECK_EQ(ec.port, 81);
}

TEST(url_good)
{
	struct epwget_conf c;

	conf_epwget_defaults(&c);
	REQUIRE(conf_parse_url(&c, "10.0.0.4/index.html", err, sizeof(err)) == 0);
	CHECK_EQ(c.host, ip("10.0.0.4"));
	CHECK_EQ(c.port, 80);
	CHECK_STR(c.path, "/index.html");
	REQUIRE(conf_parse_url(&c, "10.0.0.4:8080/a/b?c=d", err, sizeof(err)) == 0);
	CHECK_EQ(c.port, 8080);
	CHECK_STR(c.path, "/a/b?c=d");
	/* no port: the port is left as it was */
	REQUIRE(conf_parse_url(&c, "192.168.1.200", err, sizeof(err)) == 0);
	CHECK_EQ(c.host, ip("192.168.1.200"));
	CHECK_EQ(c.port, 8080);
	CHECK_STR(c.path, "/");
	REQUIRE(conf_parse_url(&c, "1.2.3.4:65535/", NULL, 0) == 0);
	CHECK_EQ(c.port, 65535);
	CHECK_STR(c.path, "/");
}

/* The forms curl and wget take: a scheme, no path, a query or a fragment. */
TEST(url_http_forms)
{
	struct epwget_conf c;

	conf_epwget_defaults(&c);
	REQUIRE(conf_parse_url(&c, "http://10.0.0.1/x", err, sizeof(err)) == 0);
	CHECK(c.url_set);
	CHECK_EQ(c.host, ip("10.0.0.1"));
	CHECK_EQ(c.port, 80);
	CHECK_STR(c.path, "/x");
	REQUIRE(conf_parse_url(&c, "HTTP://10.0.0.2:8080/a/b?c=d", err, sizeof(err)) == 0);
	CHECK_EQ(c.host, ip("10.0.0.2"));
	CHECK_EQ(c.port, 8080);
	CHECK_STR(c.path, "/a/b?c=d");
	conf_epwget_defaults(&c);
	REQUIRE(conf_parse_url(&c, "http://10.0.0.3", err, sizeof(err)) == 0);
	CHECK_EQ(c.host, ip("10.0.0.3"));
	CHECK_EQ(c.port, 80);
	CHECK_STR(c.path, "/");
	REQUIRE(conf_parse_url(&c, "http://10.0.0.3:81?q=1", err, sizeof(err)) == 0);
	CHECK_EQ(c.port, 81);
	CHECK_STR(c.path, "/?q=1");
	/* the fragment is the reader's: never sent */
	REQUIRE(conf_parse_url(&c, "http://10.0.0.3/doc.html#part", err, sizeof(err)) == 0);
	CHECK_STR(c.path, "/doc.html");
	REQUIRE(conf_parse_url(&c, "10.0.0.3#top", err, sizeof(err)) == 0);
	CHECK_STR(c.path, "/");
	/* "://" in the path is no scheme */
	REQUIRE(conf_parse_url(&c, "10.0.0.4/r?to=http://x/", err, sizeof(err)) == 0);
	CHECK_STR(c.path, "/r?to=http://x/");
}

static const char test_hosts[] =
	"# /etc/hosts of a test\n"
	"::1\tlocalhost ip6-localhost\n"
	"127.0.0.1 localhost\n"
	"  10.0.0.7   server.lab server   # the lab's nginx\n"
	"10.0.0.8\tother server\n"
	"not-an-address bogus\n"
	"224.0.0.1 mcast\n";

/* Host names from a hosts file given by path (no NSS in a static binary). */
TEST(url_host_names)
{
	struct epwget_conf c;
	char hosts[256], want[1024];

	REQUIRE(write_tmp(hosts, test_hosts, strlen(test_hosts)) == 0);
	conf_epwget_defaults(&c);
	REQUIRE(conf_parse_url_hosts(&c, "server/x", hosts, err, sizeof(err)) == 0);
	CHECK_EQ(c.host, ip("10.0.0.7"));	/* the first line that names it */
	CHECK_STR(c.path, "/x");
	CHECK_STR(c.host_name, "server");	/* the Host header names it as written */
	REQUIRE(conf_parse_url_hosts(&c, "http://SERVER.lab:8080/y", hosts, err, sizeof(err)) == 0);
	CHECK_EQ(c.host, ip("10.0.0.7"));
	CHECK_EQ(c.port, 8080);
	CHECK_STR(c.path, "/y");
	CHECK_STR(c.host_name, "SERVER.lab");
	REQUIRE(conf_parse_url_hosts(&c, "http://10.0.0.9:8080/y", hosts, err, sizeof(err)) == 0);
	CHECK_STR(c.host_name, "");		/* an address: Host is the dotted address */
	REQUIRE(conf_parse_url_hosts(&c, "other", hosts, err, sizeof(err)) == 0);
	CHECK_EQ(c.host, ip("10.0.0.8"));

	conf_epwget_defaults(&c);
	CHECK(conf_parse_url_hosts(&c, "http://nosuch/x", hosts, err, sizeof(err)) == -EINVAL);
	snprintf(want, sizeof(want), "host 'nosuch' not found in %s (a static binary has no DNS "
		 "resolver: give an address or add it to %s)", hosts, hosts);
	CHECK_STR(err, want);
	CHECK(conf_parse_url_hosts(&c, "ip6-localhost/", hosts, err, sizeof(err)) == -EINVAL);
	CHECK(strstr(err, "host 'ip6-localhost' not found in ") == err);
	CHECK(conf_parse_url_hosts(&c, "bogus/", hosts, err, sizeof(err)) == -EINVAL);
	CHECK(conf_parse_url_hosts(&c, "mcast/", hosts, err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "224.0.0.1, the address of 'mcast', is not a unicast address");
	CHECK_EQ(c.host, 0);
	CHECK(!c.url_set);

	/* epwget.conf's url line takes the same forms and names */
	REQUIRE(conf_epwget_parse_hosts(&ec, "e.conf", "url = http://server:8081/z\n", 27, hosts,
					err, sizeof(err)) == 0);
	CHECK(ec.url_set);
	CHECK_EQ(ec.host, ip("10.0.0.7"));
	CHECK_EQ(ec.port, 8081);
	CHECK_STR(ec.path, "/z");
	CHECK(conf_epwget_parse_hosts(&ec, "e.conf", "url = nosuch/\n", 14, hosts, err,
				      sizeof(err)) == -EINVAL);
	snprintf(want, sizeof(want), "e.conf:1: url: host 'nosuch' not found in %s (a static "
		 "binary has no DNS resolver: give an address or add it to %s)", hosts, hosts);
	CHECK_STR(err, want);
	unlink(hosts);

	CHECK(conf_parse_url_hosts(&c, "server/", "test/no/such/hosts", err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "host 'server': test/no/such/hosts: cannot open: No such file or directory "
		  "(a static binary has no DNS resolver: give an address)");
}

static const struct bad_case url_bad[] = {
	{ "", "empty URL" },
	{ "https://10.0.0.4/x", "https is not supported: epwget speaks HTTP/1.x over plain TCP; "
	  "give http://host[:port]/path" },
	{ "HTTPS://10.0.0.4/x", "https is not supported: epwget speaks HTTP/1.x over plain TCP; "
	  "give http://host[:port]/path" },
	{ "ftp://10.0.0.4/x", "scheme 'ftp' is not supported: give http://host[:port]/path or "
	  "host[:port]/path" },
	{ "http://", "no host in 'http://'" },
	{ "http:///x", "no host in 'http:///x'" },
	{ "http://:80/x", "no host in 'http://:80/x'" },
	{ "http://user@10.0.0.4/x", "'user@10.0.0.4': a user name in a URL is not supported; give "
	  "host[:port]" },
	{ "http://[::1]:80/x", "'http://[::1]:80/x': IPv6 is not supported; give an IPv4 address or "
	  "a host name" },
	{ "http://10.0.0.4:8o/", "bad port '8o'" },
	{ "http://10.0.0.4/a b", "path has a blank or control character (0x20)" },
	{ "ho$t/x", "'ho$t' is neither a dotted IPv4 address nor a host name (letters, digits, '-', '.')" },
	{ "10.0.0/x", "'10.0.0' must be a dotted IPv4 address" },
	{ "10.0.0.4.5/x", "'10.0.0.4.5' must be a dotted IPv4 address" },
	{ "010.0.0.4/x", "'010.0.0.4' must be a dotted IPv4 address" },
	{ "/index.html", "no host in '/index.html'" },
	{ ":80/index.html", "no host in ':80/index.html'" },
	{ "0.0.0.0/x", "0.0.0.0 is not a unicast address" },
	{ "239.1.1.1/x", "239.1.1.1 is not a unicast address" },
	{ "10.0.0.4:0/", "port 0 is out of range (1..65535)" },
	{ "10.0.0.4:70000/", "port 70000 is out of range (1..65535)" },
	{ "10.0.0.4:99999999999999999999/", "port 99999999999999999999 is out of range (1..65535)" },
	{ "10.0.0.4:/", "no port after ':'" },
	{ "10.0.0.4:", "no port after ':'" },
	{ "10.0.0.4:8o/", "bad port '8o'" },
	{ "10.0.0.4:+80/", "bad port '+80'" },
	{ "10.0.0.4:80:81/", "bad port '80:81'" },
	{ "10.0.0.4/a b", "path has a blank or control character (0x20)" },
	{ "10.0.0.4/a\tb", "path has a blank or control character (0x09)" },
	{ "10.0.0.4/a\x7f", "path has a blank or control character (0x7f)" },
	{ "10.0.0.4/\xc3\xa9", "path has a blank or control character (0xc3)" },
};

TEST(url_bad_inputs)
{
	struct epwget_conf c;
	char long_url[CONF_PATH_MAX + 32];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(url_bad); i++) {
		conf_epwget_defaults(&c);
		c.port = 1234;
		if (conf_parse_url(&c, url_bad[i].text, err, sizeof(err)) != -EINVAL ||
		    strcmp(err, url_bad[i].msg) != 0) {
			fprintf(stderr, "  case %zu:\n    got:  %s\n    want: %s\n", i, err,
				url_bad[i].msg);
			check_failures++;
		}
		/* a failed parse leaves the conf alone */
		CHECK_EQ(c.host, 0);
		CHECK_EQ(c.port, 1234);
		CHECK_STR(c.path, "/");
	}
	CHECK(conf_parse_url(&c, NULL, err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "empty URL");

	strcpy(long_url, "10.0.0.4/");
	memset(long_url + 9, 'a', CONF_PATH_MAX - 2);
	long_url[9 + CONF_PATH_MAX - 2] = '\0';		/* path of 255 bytes: fits */
	CHECK(conf_parse_url(&c, long_url, err, sizeof(err)) == 0);
	strcat(long_url, "a");
	CHECK(conf_parse_url(&c, long_url, err, sizeof(err)) == -EINVAL);
	CHECK_STR(err, "path longer than 255 bytes");
}

static const char lookup_mos[] =
	"mos {\n"
	"  netdev { dpdk0 1 10.0.0.2/24; dpdk1 1 192.168.1.1/16; dpdk2 1 10.9.9.9/32 }\n"
	"  route_table {\n"
	"    0.0.0.0/0 dpdk1\n"
	"    10.0.0.0/8 dpdk1\n"
	"    10.0.0.128/25 dpdk1\n"
	"    172.16.0.0/12 dpdk0\n"
	"    192.168.0.0/16 dpdk0\n"
	"  }\n"
	"  arp_table {\n"
	"    10.0.0.4 02:00:00:00:00:04\n"
	"    10.0.0.0/24 02:00:00:00:00:24\n"
	"    10.0.0.0/16 02:00:00:00:00:16\n"
	"  }\n"
	"}\n";

TEST(route_lookup)
{
	REQUIRE(mos(lookup_mos) == 0);
	CHECK_EQ(conf_route_lookup(&mc, ip("10.0.0.5")), 0);	/* netdev /24 beats route /8 */
	CHECK_EQ(conf_route_lookup(&mc, ip("10.0.0.200")), 1);	/* route /25 beats netdev /24 */
	CHECK_EQ(conf_route_lookup(&mc, ip("10.1.2.3")), 1);	/* route /8 */
	CHECK_EQ(conf_route_lookup(&mc, ip("10.9.9.9")), 2);	/* netdev /32 */
	CHECK_EQ(conf_route_lookup(&mc, ip("172.31.255.255")), 0);
	CHECK_EQ(conf_route_lookup(&mc, ip("172.32.0.0")), 1);	/* default */
	CHECK_EQ(conf_route_lookup(&mc, ip("8.8.8.8")), 1);	/* default */
	CHECK_EQ(conf_route_lookup(&mc, ip("192.168.7.7")), 0);	/* a tie: route_table wins */

	REQUIRE(mos("mos { netdev { dpdk0 1 10.0.0.2/24 } }") == 0);
	CHECK_EQ(conf_route_lookup(&mc, ip("10.0.0.77")), 0);
	CHECK_EQ(conf_route_lookup(&mc, ip("10.0.1.1")), -1);
	CHECK_EQ(conf_route_lookup(&mc, ip("8.8.8.8")), -1);
}

TEST(arp_lookup)
{
	const struct conf_arp *a;

	REQUIRE(mos(lookup_mos) == 0);
	a = conf_arp_lookup(&mc, ip("10.0.0.4"));
	REQUIRE(a != NULL);
	CHECK_EQ(a->prefix, 32);
	CHECK_EQ(a->mac[5], 0x04);
	a = conf_arp_lookup(&mc, ip("10.0.0.5"));
	REQUIRE(a != NULL);
	CHECK_EQ(a->mac[5], 0x24);
	a = conf_arp_lookup(&mc, ip("10.0.200.5"));
	REQUIRE(a != NULL);
	CHECK_EQ(a->mac[5], 0x16);
	CHECK(conf_arp_lookup(&mc, ip("10.1.0.1")) == NULL);
	CHECK(conf_arp_lookup(&mc, ip("192.168.1.2")) == NULL);
}

/* ---- files ---- */

static int write_tmp(char *path, const char *data, size_t len)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(path, 256, "%s/test_conf.XXXXXX", dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

TEST(load_files)
{
	char path[256], want[512];
	char *big;

	REQUIRE(write_tmp(path, good_mos, strlen(good_mos)) == 0);
	CHECK(conf_mos_load(&mc, path, err, sizeof(err)) == 0);
	CHECK_EQ(mc.n_netdev, 1);
	unlink(path);

	REQUIRE(write_tmp(path, "url = 10.0.0.4/\n\n}\n", 19) == 0);
	CHECK(conf_epwget_load(&ec, path, err, sizeof(err)) == -EINVAL);
	snprintf(want, sizeof(want), "%s:3: expected 'key = value', got '}'", path);
	CHECK_STR(err, want);
	unlink(path);

	REQUIRE(write_tmp(path, good_epw, strlen(good_epw)) == 0);
	CHECK(conf_epwget_load(&ec, path, err, sizeof(err)) == 0);
	CHECK_EQ(ec.total_flows, 100000);
	unlink(path);

	CHECK(conf_mos_load(&mc, "test/no/such/mos.conf", err, sizeof(err)) == -ENOENT);
	CHECK_STR(err, "test/no/such/mos.conf: cannot open: No such file or directory");
	CHECK(conf_epwget_load(&ec, "test/no/such/epwget.conf", err, sizeof(err)) == -ENOENT);
	CHECK_STR(err, "test/no/such/epwget.conf: cannot open: No such file or directory");
	CHECK(conf_mos_load(&mc, "/", err, sizeof(err)) == -EISDIR);
	CHECK_STR(err, "/: cannot read: Is a directory");
	CHECK(conf_mos_load(&mc, NULL, err, sizeof(err)) == -EINVAL);

	/* CONF_FILE_MAX bytes load, one more does not */
	big = malloc(CONF_FILE_MAX + 1);
	REQUIRE(big != NULL);
	memset(big, '\n', CONF_FILE_MAX + 1);
	memcpy(big, good_mos, strlen(good_mos));
	REQUIRE(write_tmp(path, big, CONF_FILE_MAX) == 0);
	CHECK(conf_mos_load(&mc, path, err, sizeof(err)) == 0);
	unlink(path);
	REQUIRE(write_tmp(path, big, CONF_FILE_MAX + 1) == 0);
	CHECK(conf_mos_load(&mc, path, err, sizeof(err)) == -EFBIG);
	snprintf(want, sizeof(want), "%s: larger than %d bytes", path, CONF_FILE_MAX);
	CHECK_STR(err, want);
	unlink(path);
	free(big);
}

/* ---- mutation: damaged configs must fail cleanly, never crash ---- */

static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static const char *const tokens[] = {
	"{", "}", ";", "=", "#", "\n", "/", ":", " ", "0x", "-", "dpdk0", "netdev {", "mos {",
	"255.255.255.255", "/32", "99999999999999999999", "\r", "[", "]", "master", "slave",
};

/* 1..4 random edits of in (n bytes) into out (cap bytes); the new length. */
static size_t mutate(uint64_t *rng, const char *in, size_t n, char *out, size_t cap)
{
	size_t len = n, pos, k;
	int edits = 1 + (int)(xorshift64(rng) % 4), e;
	const char *t;

	memcpy(out, in, n);
	for (e = 0; e < edits; e++) {
		pos = len ? xorshift64(rng) % len : 0;
		switch (xorshift64(rng) % 6) {
		case 0:		/* a random byte */
			if (len)
				out[pos] = (char)xorshift64(rng);
			break;
		case 1:		/* a bit */
			if (len)
				out[pos] ^= (char)(1 << (xorshift64(rng) % 8));
			break;
		case 2:		/* truncate */
			len = pos;
			break;
		case 3:		/* delete a span */
			k = xorshift64(rng) % 16;
			k = k > len - pos ? len - pos : k;
			memmove(out + pos, out + pos + k, len - pos - k);
			len -= k;
			break;
		default:	/* insert a token */
			t = tokens[xorshift64(rng) % ARRAY_SIZE(tokens)];
			k = strlen(t);
			if (len + k > cap)
				break;
			memmove(out + pos + k, out + pos, len - pos);
			memcpy(out + pos, t, k);
			len += k;
			break;
		}
	}
	return len;
}

/* A failure is -EINVAL and one line that starts with "name:". */
static bool clean_failure(int rc, const char *name)
{
	size_t n = strlen(name);

	return rc == -EINVAL && strncmp(err, name, n) == 0 && err[n] == ':' &&
	       strchr(err, '\n') == NULL && strlen(err) > n + 2;
}

static bool sane_mos(const struct mos_conf *c)
{
	int i;

	if (c->n_netdev < 1 || c->n_netdev > CONF_MAX_NETDEV || c->n_route > CONF_MAX_ROUTE ||
	    c->n_arp > CONF_MAX_ARP || (c->rss_key_len != 40 && c->rss_key_len != 52))
		return false;
	for (i = 0; i < c->n_route; i++)
		if (c->route[i].netdev < 0 || c->route[i].netdev >= c->n_netdev)
			return false;
	for (i = 0; i < 2; i++) {
		const struct conf_fault_dir *d = i == 0 ? &c->fault.rx : &c->fault.tx;
		const int r[] = { d->drop, d->dup, d->reorder, d->corrupt, d->delay };

		for (size_t k = 0; k < ARRAY_SIZE(r); k++)
			if (r[k] < 0 || r[k] > CONF_FAULT_PCT_MAX)
				return false;
	}
	if (c->fault.delay_us < 1 || c->fault.delay_us > CONF_FAULT_DELAY_MAX ||
	    c->fault.reorder_depth < 1 || c->fault.reorder_depth > CONF_FAULT_DEPTH_MAX)
		return false;
	return c->core_mask != 0 && (c->rx_desc & (c->rx_desc - 1)) == 0;
}

static void mutation_run(const char *const *seeds, size_t nseeds, int rounds, bool is_mos)
{
	static char out[4096];
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	int ok = 0, bad = 0, i, rc;
	const char *seed;
	char *buf;
	size_t n;

	for (i = 0; i < rounds; i++) {
		seed = seeds[(size_t)i % nseeds];
		n = mutate(&rng, seed, strlen(seed), out, sizeof(out));
		buf = malloc(n ? n : 1);	/* exact size: an overread shows under ASan */
		if (buf == NULL)
			abort();
		memcpy(buf, out, n);
		if (is_mos)
			rc = conf_mos_parse(&mc, "m.conf", buf, n, err, sizeof(err));
		else
			rc = conf_epwget_parse(&ec, "m.conf", buf, n, err, sizeof(err));
		free(buf);
		if (rc == 0) {
			ok++;
			if (is_mos ? !sane_mos(&mc) : (ec.path[0] != '/' || ec.port == 0 ||
						   (ec.url_set && ec.host == 0)))
				CHECK_FAIL_("round %d: a parse passed with bad values", i);
		} else {
			bad++;
			if (!clean_failure(rc, "m.conf"))
				CHECK_FAIL_("round %d: rc %d, message '%s'", i, rc, err);
		}
		if (check_failures > 10)
			return;
	}
	CHECK(ok > 0);
	CHECK(bad > 0);
}

TEST(mutation_mos)
{
	static const char *const seeds[] = { good_mos, full_mos, lookup_mos };

	mutation_run(seeds, ARRAY_SIZE(seeds), 120000, true);
}

TEST(mutation_epwget)
{
	static const char *const seeds[] = {
		good_epw, "url = 10.0.0.4:8080/a/b?c=d\ndest_port = 81\nkeep_alive = 1\n",
	};

	mutation_run(seeds, ARRAY_SIZE(seeds), 80000, false);
}

static const struct check_case cases[] = {
	CASE(mos_brief_example),
	CASE(mos_every_field),
	CASE(mos_defaults),
	CASE(mos_one_line_blocks),
	CASE(mos_layouts),
	CASE(mos_longest_line),
	CASE(mos_ported_from_mos),
	CASE(mos_sample_without_address),
	CASE(mos_multiprocess),
	CASE(mos_file_prefix),
	CASE(mos_source_ports),
	CASE(mos_fault_rates),
	CASE(mos_fault_other_keys),
	CASE(mos_rss_key),
	CASE(mos_bad_inputs),
	CASE(mos_bad_generated),
	CASE(mos_error_buffer),
	CASE(epwget_good),
	CASE(epwget_port_precedence),
	CASE(epwget_expect),
	CASE(epwget_bad_inputs),
	CASE(epwget_request_keys),
	CASE(epwget_source_addrs),
	CASE(epwget_headers_limits),
	CASE(url_good),
	CASE(url_http_forms),
	CASE(url_host_names),
	CASE(url_bad_inputs),
	CASE(route_lookup),
	CASE(arp_lookup),
	CASE(load_files),
	CASE(mutation_mos),
	CASE(mutation_epwget),
};

CHECK_MAIN(cases)
