/*
 * fuzz_conf.c - fuzz target: conf_parse.c, conf_epwget.c and conf_lex.c on
 * any text. The input is given whole to both parsers, mos.conf's and
 * epwget.conf's (their in-memory entry points, as test_conf.c calls them),
 * and, cut at its first NUL or newline, to the URL parser. Besides ASan and
 * UBSan, what a parser accepts is checked against the limits conf_parse.h
 * promises, the error message must be a terminated string, and the lookups
 * are run on the accepted tables.
 */
#include "conf_parse.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include "test/fuzz.h"

static void bad(const char *what)
{
	fprintf(stderr, "fuzz_conf: accepted, but %s\n", what);
	abort();
}

static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static void check_mos(const struct mos_conf *c)
{
	if (c->n_netdev < 1 || c->n_netdev > CONF_MAX_NETDEV || c->n_arp < 0 ||
	    c->n_arp > CONF_MAX_ARP || c->n_route < 0 || c->n_route > CONF_MAX_ROUTE)
		bad("a table count is out of range");
	if (!terminated(c->app_type, sizeof(c->app_type)) ||
	    !terminated(c->app_run, sizeof(c->app_run)) ||
	    !terminated(c->eal_args, sizeof(c->eal_args)))
		bad("a string is not terminated");
	if (c->max_concurrency < 1 || c->max_concurrency > CONF_MAX_CONCURRENCY ||
	    c->max_num_buffers < 1 || c->max_num_buffers > CONF_MAX_CONCURRENCY ||
	    c->rmem_size < CONF_BUF_MIN || c->rmem_size > CONF_BUF_MAX ||
	    c->wmem_size < CONF_BUF_MIN || c->wmem_size > CONF_BUF_MAX ||
	    c->tcp_timeout < 0 || c->tcp_timeout > CONF_TIMEOUT_MAX ||
	    c->tcp_timewait < 0 || c->tcp_timewait > CONF_TIMEWAIT_MAX ||
	    c->tcp_syn_retries < 1 || c->rss_key_len < 0 || c->rss_key_len > CONF_RSS_KEY_MAX)
		bad("a setting is out of its range");
	for (int i = 0; i < c->n_netdev; i++) {
		const struct conf_netdev *nd = &c->netdev[i];

		if (!terminated(nd->name, sizeof(nd->name)) || nd->name[0] == '\0')
			bad("a netdev has no name");
		if (nd->prefix > 32 || (nd->core_mask & ~c->core_mask) != 0)
			bad("a netdev prefix or core mask is out of range");
		if (conf_route_lookup(c, nd->addr) < 0)
			bad("a netdev's own address has no route");
	}
	for (int i = 0; i < c->n_arp; i++) {
		if (c->arp[i].prefix > 32)
			bad("an ARP prefix is above 32");
		if (conf_arp_lookup(c, c->arp[i].addr) == NULL)
			bad("an ARP entry is not found by its own address");
	}
	for (int i = 0; i < c->n_route; i++) {
		int nd = conf_route_lookup(c, c->route[i].addr);

		if (c->route[i].prefix > 32 || c->route[i].netdev < 0 ||
		    c->route[i].netdev >= c->n_netdev)
			bad("a route names no netdev");
		if (nd < 0 || nd >= c->n_netdev)
			bad("a route's own network has no route");
	}
}

static void check_epwget(const struct epwget_conf *c)
{
	if (!terminated(c->path, sizeof(c->path)) || c->path[0] != '/')
		bad("the URL path does not start with '/'");
	if (c->total_flows < 0 || c->total_flows > CONF_MAX_FLOWS || c->total_concurrency < 0 ||
	    c->total_concurrency > CONF_MAX_CONCURRENCY || c->core_limit < 0 ||
	    c->core_limit > CONF_MAX_CORES || c->port == 0)
		bad("a setting is out of its range");
	if (c->url_set && c->host == 0)
		bad("the URL has no host");
}

static void check_err(const char *err, size_t size, int rc)
{
	if (!terminated(err, size))
		bad("the error message is not terminated");
	if (rc != 0 && err[0] == '\0') {
		fprintf(stderr, "fuzz_conf: an error (%d) with no message\n", rc);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mos_conf mc;
	struct epwget_conf ec;
	char err[CONF_ERR_MAX], url[CONF_LINE_MAX + 1];
	size_t n;
	int rc;

	memset(err, 'x', sizeof(err));
	rc = conf_mos_parse(&mc, "fuzz.conf", (const char *)data, size, err, sizeof(err));
	check_err(err, sizeof(err), rc);
	if (rc == 0)
		check_mos(&mc);
	memset(err, 'x', sizeof(err));
	rc = conf_epwget_parse(&ec, "fuzz.conf", (const char *)data, size, err, sizeof(err));
	check_err(err, sizeof(err), rc);
	if (rc == 0)
		check_epwget(&ec);
	/* a short error buffer must truncate, not overflow */
	rc = conf_mos_parse(&mc, "fuzz.conf", (const char *)data, size, err, 7);
	check_err(err, 7, rc);

	for (n = 0; n < size && n < CONF_LINE_MAX && data[n] != '\0' && data[n] != '\n'; n++)
		url[n] = (char)data[n];
	url[n] = '\0';
	conf_epwget_defaults(&ec);
	memset(err, 'x', sizeof(err));
	rc = conf_parse_url(&ec, url, err, sizeof(err));
	check_err(err, sizeof(err), rc);
	if (rc == 0)
		check_epwget(&ec);
	return 0;
}
