/*
 * stack_pair.h - for tests that run whole stacks (mos_core_setup) over the
 * fake I/O module without the socket layer (test_tcp, test_fault,
 * fuzz_packet): the socket table's empty stand-in, and one call that
 * parses a core's mos.conf text and carves that core. Include it once per
 * test program; the test defines mos_sock_notify, what its sockets learn.
 */
#ifndef EPWGET_TEST_STACK_PAIR_H
#define EPWGET_TEST_STACK_PAIR_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_parse.h"
#include "mos_core.h"
#include "fake_dpdk.h"

/* The stacks under test need no socket table: the core's is an empty stand-in. */
size_t mos_sock_mem_size(uint32_t max_sockets)
{
	(void)max_sockets;
	return 8;
}

int mos_sock_init(struct mos_sock_core *sc, void *mem, size_t memlen, uint32_t max_sockets)
{
	(void)mem;
	(void)memlen;
	(void)max_sockets;
	memset(sc, 0, sizeof(*sc));
	return 0;
}

/*
 * Core i of the test: conf parsed from text (name for its messages), the
 * port's MAC its first netdev's, memory sized for mc, attached as fake
 * core i. 0, or -1 with the reason on stderr; *core is freed by the test.
 */
static inline int stack_core_up(struct mos_core **core, struct mos_conf *conf, const char *name,
				const char *text, const struct mtcp_conf *mc, int i, uint64_t seed)
{
	char err[CONF_ERR_MAX];
	struct mos_port_info port;
	size_t size = mos_core_mem_size(mc);

	if (conf_mos_parse(conf, name, text, strlen(text), err, sizeof(err)) != 0) {
		fprintf(stderr, "  %s\n", err);
		return -1;
	}
	memset(&port, 0, sizeof(port));
	memcpy(port.mac, conf->netdev[0].mac, 6);
	*core = aligned_alloc(MOS_CACHE_LINE, mos_align_up(size, MOS_CACHE_LINE));
	if (*core == NULL)
		return -1;
	memset(*core, 0, size);
	if (mos_core_setup(*core, size, 0, mc, conf, &port, seed) != 0)
		return -1;
	fake_io_attach(*core, i);
	return 0;
}

#endif
