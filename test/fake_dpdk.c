/*
 * fake_dpdk.c - the I/O module's stand-in for unit tests of the modules
 * above it: same header, no EAL, no hugepages. Ports come up as software-
 * RSS devices with the default table; calls are recorded for the tests.
 */
#include "mos_dpdk.h"
#include "fake_dpdk.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct fake_dpdk fake_dpdk;

int mos_dpdk_init(const struct mos_conf *conf, const char *prog, bool verbose,
		  char *err, size_t errlen)
{
	(void)conf; (void)prog; (void)verbose;
	fake_dpdk.init_calls++;
	if (fake_dpdk.fail_init) {
		snprintf(err, errlen, "fake EAL refuses to start");
		return -EINVAL;
	}
	return 0;
}

int mos_dpdk_ports_start(const struct mos_conf *conf, unsigned nqueues,
			 const struct mos_rss_key *k, struct mos_port_info *info,
			 char *err, size_t errlen)
{
	(void)k;
	fake_dpdk.start_calls++;
	fake_dpdk.nqueues = nqueues;
	if (fake_dpdk.fail_start) {
		snprintf(err, errlen, "fake port refuses to start");
		return -EIO;
	}
	for (int i = 0; i < conf->n_netdev; i++) {
		memset(&info[i], 0, sizeof(info[i]));
		info[i].port_id = (uint16_t)i;
		snprintf(info[i].driver, sizeof(info[i].driver), "fake");
		info[i].nqueues = (uint16_t)nqueues;
		info[i].link_up = true;
		if (fake_dpdk.reta_size != 0)
			mos_rss_reta_set(&info[i].reta, fake_dpdk.reta, fake_dpdk.reta_size, nqueues);
		else
			mos_rss_reta_default(&info[i].reta, (unsigned)conf->reta_size, nqueues);
	}
	return 0;
}

int mos_dpdk_thread_attach(unsigned core, unsigned cpu)
{
	(void)core;
	fake_dpdk.attach_calls++;
	fake_dpdk.last_cpu = cpu;
	return 0;
}

void mos_dpdk_thread_detach(void)
{
	fake_dpdk.detach_calls++;
}

void mos_dpdk_fini(void)
{
	fake_dpdk.fini_calls++;
}
