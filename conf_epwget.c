/*
 * conf_epwget.c - epwget.conf and URLs: grammar, validation, loading.
 *
 * epwget.conf is flat: key = value, one per line (';' may be part of a URL).
 * Lines, settings and the file come from conf_lex.c; the keys and the URL
 * "host[:port]/path" (also given on epwget's command line) are checked here.
 */
#include "conf_parse.h"
#include "conf_lex.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- epwget.conf and URLs --------------------------------------------- */

/* A URL error: no file:line, the caller adds them. Returns -EINVAL. */
__attribute__((format(printf, 3, 4)))
static int url_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A host name's characters: letters, digits, '-', '.', '_' (as /etc/hosts holds them). */
static bool name_char(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || conf_is_digit(ch) ||
	       ch == '-' || ch == '.' || ch == '_';
}

/*
 * The IPv4 address of name in the hosts file at path (/etc/hosts' format:
 * ADDRESS NAME [ALIAS...], '#' comments; lines of IPv6 addresses skipped),
 * the first line that names it, case aside. 0, -ENOENT when no line does,
 * or -EIO when the file cannot be read, with the message in err.
 */
static int hosts_lookup(const char *path, const char *name, in_addr_t *addr, char *err,
			size_t errlen)
{
	char *buf, *line, *save = NULL;
	size_t len;
	int rc = conf_read_file(path, &buf, &len, err, errlen);

	if (rc < 0)
		return -EIO;
	buf[len] = '\0';
	rc = -ENOENT;
	for (line = strtok_r(buf, "\n", &save); line != NULL && rc != 0;
	     line = strtok_r(NULL, "\n", &save)) {
		char *wsave = NULL, *w;
		in_addr_t a;

		line[strcspn(line, "#")] = '\0';
		w = strtok_r(line, " \t\r\v\f", &wsave);
		if (w == NULL || conf_parse_ipv4(w, &a) < 0)
			continue;
		while (rc != 0 && (w = strtok_r(NULL, " \t\r\v\f", &wsave)) != NULL) {
			if (strcasecmp(w, name) == 0) {
				*addr = a;
				rc = 0;
			}
		}
	}
	free(buf);
	return rc;
}

/*
 * The host of a URL, n bytes at h: a dotted IPv4 address, or a name looked
 * up in the hosts file at hosts (a static binary has no NSS, so no DNS).
 */
static int url_addr(const char *h, size_t n, const char *hosts, in_addr_t *host, char *err,
		    size_t errlen)
{
	char hbuf[256];
	bool dotted = true;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		if (!conf_is_digit(h[i]) && h[i] != '.')
			dotted = false;
		if (!name_char(h[i]))
			return url_fail(err, errlen, "'%.*s' is neither a dotted IPv4 address nor a "
					"host name (letters, digits, '-', '.')", (int)n, h);
	}
	if (n >= sizeof(hbuf))
		return url_fail(err, errlen, "host name longer than %zu bytes", sizeof(hbuf) - 1);
	memcpy(hbuf, h, n);
	hbuf[n] = '\0';
	if (dotted) {
		if (n > 15 || conf_parse_ipv4(hbuf, host) < 0)
			return url_fail(err, errlen, "'%s' must be a dotted IPv4 address", hbuf);
	} else {
		char msg[CONF_ERR_MAX];

		rc = hosts_lookup(hosts, hbuf, host, msg, sizeof(msg));
		if (rc == -ENOENT)
			return url_fail(err, errlen, "host '%s' not found in %s (a static binary has "
					"no DNS resolver: give an address or add it to %s)", hbuf,
					hosts, hosts);
		if (rc < 0)
			return url_fail(err, errlen, "host '%s': %s (a static binary has no DNS "
					"resolver: give an address)", hbuf, msg);
	}
	if (!conf_is_unicast(*host)) {
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, host, a, sizeof(a));
		return url_fail(err, errlen, dotted ? "%s is not a unicast address" :
				"%s, the address of '%s', is not a unicast address", a, hbuf);
	}
	return 0;
}

/* "HOST[:PORT]", n bytes at url: the port in *port, or 0 when there is none. */
static int url_host(const char *url, size_t n, const char *hosts, in_addr_t *host, int *port,
		    char *err, size_t errlen)
{
	size_t hl = strcspn(url, ":");
	uint32_t v = 0;
	size_t i;
	int rc;

	if (hl > n)
		hl = n;
	if (hl == 0)
		return url_fail(err, errlen, "no host in '%s'", url);
	if (memchr(url, '@', n) != NULL)
		return url_fail(err, errlen, "'%.*s': a user name in a URL is not supported; give "
				"host[:port]", (int)n, url);
	rc = url_addr(url, hl, hosts, host, err, errlen);
	if (rc < 0)
		return rc;
	*port = 0;
	if (hl == n)
		return 0;
	for (i = hl + 1; i < n; i++) {
		if (!conf_is_digit(url[i]))
			return url_fail(err, errlen, "bad port '%.*s'", (int)(n - hl - 1),
					url + hl + 1);
		v = v > 65535 ? v : v * 10 + (uint32_t)(url[i] - '0');
	}
	if (n == hl + 1)
		return url_fail(err, errlen, "no port after ':'");
	if (v == 0 || v > 65535)
		return url_fail(err, errlen, "port %.*s is out of range (1..65535)",
				(int)(n - hl - 1), url + hl + 1);
	*port = (int)v;
	return 0;
}

/* The path, n bytes (and lead more before it): printable ASCII, no blank, fits c->path. */
static int url_path(const char *path, size_t n, size_t lead, char *err, size_t errlen)
{
	size_t i;

	if (n + lead >= CONF_PATH_MAX)
		return url_fail(err, errlen, "path longer than %d bytes", CONF_PATH_MAX - 1);
	for (i = 0; i < n; i++) {
		if ((unsigned char)path[i] <= 0x20 || (unsigned char)path[i] >= 0x7f)
			return url_fail(err, errlen, "path has a blank or control character (0x%02x)",
					(unsigned char)path[i]);
	}
	return 0;
}

/*
 * "http://" (any case) cut off; "https://" and other schemes refused.
 * A scheme is what comes before a "://" that holds the URL's first '/'.
 */
static int url_scheme(const char **url, char *err, size_t errlen)
{
	const char *u = *url, *slash = strchr(u, '/');
	size_t n;

	if (slash == NULL || slash == u || slash[-1] != ':' || slash[1] != '/')
		return 0;
	n = (size_t)(slash - 1 - u);
	if (n == 4 && strncasecmp(u, "http", 4) == 0) {
		*url = slash + 2;
		return 0;
	}
	if (n == 5 && strncasecmp(u, "https", 5) == 0)
		return url_fail(err, errlen, "https is not supported: epwget speaks HTTP/1.x over "
				"plain TCP; give http://host[:port]/path");
	return url_fail(err, errlen, "scheme '%.*s' is not supported: give http://host[:port]/path "
			"or host[:port]/path", (int)n, u);
}

/* conf_parse_url_hosts, and whether the URL named a port. */
static int parse_url(struct epwget_conf *c, const char *url, const char *hosts, bool *had_port,
		     char *err, size_t errlen)
{
	char dummy[1];
	const char *path, *rest = url;
	size_t plen, lead, hl;
	in_addr_t host;
	int port, rc;

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (url == NULL || *url == '\0')
		return url_fail(err, errlen, "empty URL");
	rc = url_scheme(&rest, err, errlen);
	if (rc < 0)
		return rc;
	path = rest + strcspn(rest, "/?#");
	if (path == rest || *rest == ':')
		return url_fail(err, errlen, "no host in '%s'", url);
	if (*rest == '[')
		return url_fail(err, errlen, "'%s': IPv6 is not supported; give an IPv4 address or "
				"a host name", url);
	url = rest;
	rc = url_host(url, (size_t)(path - url), hosts, &host, &port, err, errlen);
	if (rc < 0)
		return rc;
	plen = strcspn(path, "#");		/* a fragment is the reader's, never sent */
	lead = *path == '/' ? 0 : 1;		/* "host?q" and "host" ask for "/?q", "/" */
	rc = url_path(path, plen, lead, err, errlen);
	if (rc < 0)
		return rc;
	c->host = host;
	c->host_name[0] = '\0';
	hl = strcspn(url, ":/?#");
	if (strspn(url, "0123456789.") < hl) {	/* a name (url_addr checked its length) */
		memcpy(c->host_name, url, hl);
		c->host_name[hl] = '\0';
	}
	if (port > 0)
		c->port = (uint16_t)port;
	c->path[0] = '/';
	memcpy(c->path + lead, path, plen);
	c->path[lead + plen] = '\0';
	*had_port = port > 0;
	return 0;
}

int conf_parse_url_hosts(struct epwget_conf *c, const char *url, const char *hosts, char *err,
			 size_t errlen)
{
	bool had_port;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	rc = parse_url(c, url, hosts, &had_port, err, errlen);
	if (rc == 0)
		c->url_set = true;
	return rc;
}

int conf_parse_url(struct epwget_conf *c, const char *url, char *err, size_t errlen)
{
	return conf_parse_url_hosts(c, url, CONF_HOSTS_PATH, err, errlen);
}

/* ---- what each request is ------------------------------------------------ */

static const char *const methods[] = { "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS",
				       "PATCH" };

int conf_set_method(struct epwget_conf *c, const char *m, char *err, size_t errlen)
{
	for (size_t i = 0; i < ARRAY_SIZE(methods); i++)
		if (strcmp(m, methods[i]) == 0) {
			memcpy(c->method, m, strlen(m) + 1);
			return 0;
		}
	for (size_t i = 0; i < ARRAY_SIZE(methods); i++)
		if (strcasecmp(m, methods[i]) == 0)
			return url_fail(err, errlen, "method '%s': methods are upper case; give %s",
					m, methods[i]);
	return url_fail(err, errlen, "method '%.32s' is not one epwget sends; give GET, HEAD, "
			"POST, PUT, DELETE, OPTIONS or PATCH", m);
}

bool conf_method_has_body(const char *m)
{
	return strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 || strcmp(m, "PATCH") == 0;
}

/* RFC 9110 5.6.2: a token's characters. */
static bool token_char(int ch)
{
	return ch > 0x20 && ch < 0x7f && strchr("\"(),/:;<=>?@[\\]{}", ch) == NULL;
}

bool conf_header_name_is(const char *h, const char *name)
{
	size_t n = strlen(name);

	return strncasecmp(h, name, n) == 0 && h[n] == ':';
}

int conf_add_header(struct epwget_conf *c, const char *h, char *err, size_t errlen)
{
	size_t n = 0, len = strlen(h);
	int i;

	while (token_char((unsigned char)h[n]))
		n++;
	if (n == 0 || h[n] != ':')
		return url_fail(err, errlen, "header '%.64s': give 'Name: value', a name of letters, "
				"digits or -_.!#$%%&'*+^`|~ and a colon", h);
	for (size_t k = n + 1; k < len; k++)
		if (((unsigned char)h[k] < 0x20 && h[k] != '\t') || h[k] == 0x7f)
			return url_fail(err, errlen, "header '%.*s': its value has a control character "
					"(0x%02x); give printable text", (int)n, h, (unsigned char)h[k]);
	if (len >= CONF_HEADER_MAX)
		return url_fail(err, errlen, "header '%.*s' is longer than %d bytes", (int)n, h,
				CONF_HEADER_MAX - 1);
	if (conf_header_name_is(h, "Content-Length") || conf_header_name_is(h, "Transfer-Encoding"))
		return url_fail(err, errlen, "header '%.*s' is epwget's: the body's size (-b, "
				"body_file) sets Content-Length", (int)n, h);
	for (i = 0; i < c->n_headers; i++) {
		char name[CONF_HEADER_MAX];

		memcpy(name, h, n);
		name[n] = '\0';
		if (conf_header_name_is(c->headers[i], name))
			break;
	}
	if (i == CONF_HEADERS_MAX)
		return url_fail(err, errlen, "more than %d headers", CONF_HEADERS_MAX);
	memcpy(c->headers[i], h, len + 1);
	if (i == c->n_headers)
		c->n_headers++;
	return 0;
}

int conf_set_close(struct epwget_conf *c, const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "fin") == 0 || strcmp(v, "rst") == 0) {
		c->close_rst = v[0] == 'r';
		return 0;
	}
	return url_fail(err, errlen, "close '%.32s': give fin (mtcp_close, the default) or rst "
			"(mtcp_abort: no TIME_WAIT)", v);
}

/* A dotted quad, nothing else, into *a (network order). */
static bool parse_quad(const char *v, size_t len, in_addr_t *a)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr in;

	while (len > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, v, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, &in) != 1)
		return false;
	*a = in.s_addr;
	return true;
}

int conf_set_source_addrs(struct epwget_conf *c, const char *v, char *err, size_t errlen)
{
	const char *dash = strchr(v, '-');
	in_addr_t first, last;
	uint64_t n;

	if (!parse_quad(v, dash != NULL ? (size_t)(dash - v) : strlen(v), &first) ||
	    (dash != NULL && !parse_quad(dash + 1, strlen(dash + 1), &last)))
		return url_fail(err, errlen, "source addresses '%.40s': give FIRST or FIRST-LAST, "
				"IPv4 addresses (10.0.0.2-10.0.0.3)", v);
	if (dash == NULL)
		last = first;
	if (ntohl(last) < ntohl(first))
		return url_fail(err, errlen, "source addresses '%.40s': the last is below the "
				"first; give FIRST-LAST in ascending order", v);
	n = (uint64_t)ntohl(last) - ntohl(first) + 1;
	if (n > CONF_MAX_SOURCE_ADDRS)
		return url_fail(err, errlen, "source addresses '%.40s': %llu addresses, epwget "
				"takes at most %d (each core's pool of address x port pairs "
				"grows with each: ~70 MB at %d); give a shorter range", v,
				(unsigned long long)n, CONF_MAX_SOURCE_ADDRS,
				CONF_MAX_SOURCE_ADDRS);
	c->saddr_first = first;
	c->n_saddr = (uint32_t)n;
	return 0;
}

static uint32_t mask_of(uint8_t prefix)
{
	return prefix == 0 ? 0 : 0xffffffffu << (32 - prefix);
}

/* Whether [lo, hi] and the prefix net/len (host order) share an address. */
static bool overlaps(uint32_t lo, uint32_t hi, uint32_t net, uint8_t prefix)
{
	uint32_t m = mask_of(prefix), a = net & m, b = a | ~m;

	return lo <= b && a <= hi;
}

int conf_check_source_addrs(const struct mos_conf *mc, const struct epwget_conf *c, char *err,
			    size_t errlen)
{
	uint32_t lo = ntohl(c->saddr_first), hi = lo + (c->n_saddr - 1), m, net;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN], x[INET_ADDRSTRLEN];
	const struct conf_netdev *nd = NULL;
	int i, via;

	inet_ntop(AF_INET, &c->saddr_first, a, sizeof(a));
	inet_ntop(AF_INET, &(in_addr_t){ htonl(hi) }, b, sizeof(b));
	for (i = 0; i < mc->n_netdev; i++) {
		m = mask_of(mc->netdev[i].prefix);
		net = ntohl(mc->netdev[i].addr) & m;
		if ((lo & m) == net && (hi & m) == net) {
			nd = &mc->netdev[i];
			break;
		}
	}
	if (nd == NULL)
		return url_fail(err, errlen, "source addresses %s-%s are not all in one netdev's "
				"subnet: give addresses of a netdev's subnet in mos.conf, or widen "
				"its prefix", a, b);
	inet_ntop(AF_INET, &(in_addr_t){ htonl(net) }, x, sizeof(x));
	if (nd->prefix < 31 && (lo == net || hi == (net | ~m)))
		return url_fail(err, errlen, "source addresses %s-%s hold the %s address of %s's "
				"subnet %s/%u, which no host may use: leave it out of the range", a,
				b, lo == net ? "network" : "broadcast", nd->name, x, nd->prefix);
	via = conf_route_lookup(mc, c->host);
	if (via != i) {
		inet_ntop(AF_INET, &c->host, x, sizeof(x));
		return url_fail(err, errlen, "source addresses %s-%s are on %s, but the server %s "
				"is reached through %s: give addresses of %s's subnet", a, b,
				nd->name, x, via < 0 ? "no netdev" : mc->netdev[via].name,
				via < 0 ? "its netdev" : mc->netdev[via].name);
	}
	if (ntohl(c->host) >= lo && ntohl(c->host) <= hi) {
		inet_ntop(AF_INET, &c->host, x, sizeof(x));
		return url_fail(err, errlen, "source addresses %s-%s hold the server's address %s: "
				"leave it out of the range", a, b, x);
	}
	for (int k = 0; k < mc->n_arp; k++) {
		const struct conf_arp *e = &mc->arp[k];

		/* a static neighbour inside the range: a host we would answer for */
		if (e->prefix > nd->prefix && overlaps(lo, hi, ntohl(e->addr), e->prefix)) {
			inet_ntop(AF_INET, &e->addr, x, sizeof(x));
			return url_fail(err, errlen, "source addresses %s-%s hold %s/%u, a static "
					"neighbour of mos.conf's arp_table: take it out of the "
					"range or remove the arp_table line", a, b, x, e->prefix);
		}
	}
	for (int k = 0; k < mc->n_route; k++) {
		const struct conf_route *r = &mc->route[k];

		if (r->netdev != i && overlaps(lo, hi, ntohl(r->addr), r->prefix)) {
			inet_ntop(AF_INET, &r->addr, x, sizeof(x));
			return url_fail(err, errlen, "source addresses %s-%s are routed out of %s by "
					"mos.conf's route_table line %s/%u: take them out of "
					"the range or remove the line", a, b,
					mc->netdev[r->netdev].name, x, r->prefix);
		}
	}
	return i;
}

struct epw_parser {
	struct src s;
	struct epwget_conf c;
	int *key_line;			/* per epw_keys entry */
	const char *hosts;		/* where URL host names are looked up */
	int dest_port;			/* 0: not given */
	bool url_set;
	bool url_port;			/* the url named a port: it wins */
};

static int set_url(const struct setting *st)
{
	struct epw_parser *p = st->base;
	char msg[CONF_ERR_MAX];

	if (parse_url(&p->c, st->val, p->hosts, &p->url_port, msg, sizeof(msg)) < 0)
		return conf_fail(st->s, "%s: %s", st->key, msg);
	p->url_set = true;
	return 0;
}

/* expect_status = 200 (a code, 100..599) or 2xx (a class, 1xx..5xx) */
static int set_expect_status(const struct setting *st)
{
	struct epw_parser *p = st->base;
	const char *v = st->val;
	bool cls = v[0] >= '1' && v[0] <= '5' && (v[1] == 'x' || v[1] == 'X') &&
		   (v[2] == 'x' || v[2] == 'X') && v[3] == '\0';
	bool code = v[0] >= '1' && v[0] <= '5' && v[1] >= '0' && v[1] <= '9' && v[2] >= '0' &&
		    v[2] <= '9' && v[3] == '\0';

	if (!cls && !code)
		return conf_fail(st->s, "%s: '%s' is not a status: give a code from 100 to 599 "
				 "(200) or a class from 1xx to 5xx (2xx)", st->key, v);
	p->c.expect_status = cls ? v[0] - '0' : atoi(v);
	return 0;
}

/* expect_body_bytes = N: every response's body (decoded, when chunked) has N bytes */
static int set_expect_body(const struct setting *st)
{
	struct epw_parser *p = st->base;
	long long v;
	int rc = conf_get_num(st, &v);

	if (rc < 0)
		return rc;
	p->c.expect_body = true;
	p->c.expect_body_bytes = (uint64_t)v;
	return 0;
}

/* method, close, header, source_addrs: the shared checks, with this file's line. */
static int set_request_key(const struct setting *st)
{
	struct epw_parser *p = st->base;
	char msg[CONF_ERR_MAX];
	int rc;

	if (strcmp(st->key, "method") == 0)
		rc = conf_set_method(&p->c, st->val, msg, sizeof(msg));
	else if (strcmp(st->key, "close") == 0)
		rc = conf_set_close(&p->c, st->val, msg, sizeof(msg));
	else if (strcmp(st->key, "source_addrs") == 0)
		rc = conf_set_source_addrs(&p->c, st->val, msg, sizeof(msg));
	else
		rc = conf_add_header(&p->c, st->val, msg, sizeof(msg));
	return rc < 0 ? conf_fail(st->s, "%s: %s", st->key, msg) : 0;
}

static int set_body_file(const struct setting *st)
{
	struct epw_parser *p = st->base;

	if (strlen(st->val) >= sizeof(p->c.body_file))
		return conf_fail(st->s, "%s: path longer than %zu bytes", st->key,
				 sizeof(p->c.body_file) - 1);
	strcpy(p->c.body_file, st->val);
	return 0;
}

#define EPW_OFF(f) offsetof(struct epw_parser, f)

static const struct key_def epw_keys[] = {
	{ "url", NULL, BLK_TOP, set_url, 0, 0, 0 },
	{ "dest_port", NULL, BLK_TOP, conf_set_int, EPW_OFF(dest_port), 1, 65535 },
	{ "total_flows", NULL, BLK_TOP, conf_set_long, EPW_OFF(c.total_flows), 1, CONF_MAX_FLOWS },
	{ "total_concurrency", NULL, BLK_TOP, conf_set_int, EPW_OFF(c.total_concurrency), 1, CONF_MAX_CONCURRENCY },
	{ "core_limit", NULL, BLK_TOP, conf_set_int, EPW_OFF(c.core_limit), 1, CONF_MAX_CORES },
	{ "keep_alive", NULL, BLK_TOP, conf_set_bool, EPW_OFF(c.keep_alive), 0, 1 },
	{ "expect_status", NULL, BLK_TOP, set_expect_status, 0, 0, 0 },
	{ "expect_body_bytes", NULL, BLK_TOP, set_expect_body, 0, 0, INT64_MAX },
	{ "method", NULL, BLK_TOP, set_request_key, 0, 0, 0 },
	{ "body_file", NULL, BLK_TOP, set_body_file, 0, 0, 0 },
	{ "header", NULL, BLK_TOP, set_request_key, 0, 0, 0 },	/* repeatable */
	{ "close", NULL, BLK_TOP, set_request_key, 0, 0, 0 },
	{ "source_addrs", NULL, BLK_TOP, set_request_key, 0, 0, 0 },
};

static int epw_line(void *ctx, char *line)
{
	struct epw_parser *p = ctx;
	const struct key_def *k;
	char *text = conf_trim(line), *eq, *key;

	if (*text == '\0')
		return 0;
	eq = strchr(text, '=');
	if (eq == NULL)
		return conf_fail(&p->s, "expected 'key = value', got '%s'", text);
	*eq = '\0';
	key = conf_trim(text);
	if (*key == '\0')
		return conf_fail(&p->s, "no key before '='");
	k = conf_find_key(epw_keys, ARRAY_SIZE(epw_keys), BLK_TOP, key);
	if (k == NULL)
		return conf_fail(&p->s, "unknown key '%s'", key);
	if (strcmp(k->key, "header") == 0)	/* one line per header: not a duplicate */
		p->key_line[k - epw_keys] = 0;
	return conf_apply_setting(&p->s, epw_keys, k, p->key_line, key, conf_trim(eq + 1), p);
}

void conf_epwget_defaults(struct epwget_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->port = 80;
	memcpy(c->path, "/", 2);
	c->expect_status = 2;
	memcpy(c->method, "GET", 4);
	c->requests_per_conn = 1;
	c->pipeline = 1;
}

int conf_epwget_parse(struct epwget_conf *c, const char *name, const char *text, size_t len,
		      char *err, size_t errlen)
{
	return conf_epwget_parse_hosts(c, name, text, len, CONF_HOSTS_PATH, err, errlen);
}

int conf_epwget_parse_hosts(struct epwget_conf *c, const char *name, const char *text,
			    size_t len, const char *hosts, char *err, size_t errlen)
{
	int key_line[ARRAY_SIZE(epw_keys)] = { 0 };
	struct epw_parser p;
	int rc;

	memset(&p, 0, sizeof(p));
	conf_src_init(&p.s, name, err, errlen);
	conf_epwget_defaults(&p.c);
	p.key_line = key_line;
	p.hosts = hosts;
	rc = conf_scan_lines(&p.s, text, len, epw_line, &p);
	/* no url is no error here: the command line may give it */
	p.c.url_set = p.url_set;
	if (p.c.keep_alive)	/* as many requests per connection as the server allows */
		p.c.requests_per_conn = 0;
	if (!p.url_port)
		p.c.port = (uint16_t)(p.dest_port > 0 ? p.dest_port : 80);
	*c = p.c;
	return rc;
}

int conf_epwget_load(struct epwget_conf *c, const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rc;

	conf_epwget_defaults(c);
	rc = conf_read_file(path, &buf, &len, err, errlen);
	if (rc < 0)
		return rc;
	rc = conf_epwget_parse(c, path, buf, len, err, errlen);
	free(buf);
	return rc;
}
