/*
 * conf_epwget.c - epwget.conf and URLs: grammar, validation, loading.
 *
 * epwget.conf is flat: key = value, one per line (';' may be part of a URL).
 * Lines, settings and the file come from conf_lex.c; the keys and the URL
 * "host[:port]/path" (also given on epwget's command line) are checked here.
 */
#include "conf_parse.h"
#include "conf_lex.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* "HOST[:PORT]": the port in *port, or 0 when there is none. */
static int url_host(const char *url, size_t n, in_addr_t *host, int *port, char *err,
		    size_t errlen)
{
	char hbuf[16];
	size_t hl = strcspn(url, ":");
	uint32_t v = 0;
	size_t i;

	if (hl > n)
		hl = n;
	if (hl == 0)
		return url_fail(err, errlen, "no host in '%s'", url);
	memcpy(hbuf, url, hl < 15 ? hl : 15);
	hbuf[hl < 15 ? hl : 15] = '\0';
	if (hl > 15 || conf_parse_ipv4(hbuf, host) < 0)
		return url_fail(err, errlen, "'%.*s' must be a dotted IPv4 address", (int)hl, url);
	if (!conf_is_unicast(*host))
		return url_fail(err, errlen, "%s is not a unicast address", hbuf);
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

/* The path: printable ASCII, no blank, shorter than CONF_PATH_MAX. */
static int url_path(const char *path, char *err, size_t errlen)
{
	size_t i, n = strlen(path);

	if (n >= CONF_PATH_MAX)
		return url_fail(err, errlen, "path longer than %d bytes", CONF_PATH_MAX - 1);
	for (i = 0; i < n; i++) {
		if ((unsigned char)path[i] <= 0x20 || (unsigned char)path[i] >= 0x7f)
			return url_fail(err, errlen, "path has a blank or control character (0x%02x)",
					(unsigned char)path[i]);
	}
	return 0;
}

/* conf_parse_url, and whether the URL named a port. */
static int parse_url(struct epwget_conf *c, const char *url, bool *had_port, char *err,
		     size_t errlen)
{
	char dummy[1];
	const char *path;
	in_addr_t host;
	int port, rc;

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (url == NULL || *url == '\0')
		return url_fail(err, errlen, "empty URL");
	if (strstr(url, "://") != NULL)
		return url_fail(err, errlen, "'%s': no scheme, write host/path"
				" (e.g. 10.0.0.4/index.html)", url);
	path = url + strcspn(url, "/");
	rc = url_host(url, (size_t)(path - url), &host, &port, err, errlen);
	if (rc == 0)
		rc = url_path(path, err, errlen);
	if (rc < 0)
		return rc;
	c->host = host;
	if (port > 0)
		c->port = (uint16_t)port;
	memcpy(c->path, *path ? path : "/", *path ? strlen(path) + 1 : 2);
	*had_port = port > 0;
	return 0;
}

int conf_parse_url(struct epwget_conf *c, const char *url, char *err, size_t errlen)
{
	bool had_port;
	int rc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	rc = parse_url(c, url, &had_port, err, errlen);
	if (rc == 0)
		c->url_set = true;
	return rc;
}

struct epw_parser {
	struct src s;
	struct epwget_conf c;
	int *key_line;			/* per epw_keys entry */
	int dest_port;			/* 0: not given */
	bool url_set;
	bool url_port;			/* the url named a port: it wins */
};

static int set_url(const struct setting *st)
{
	struct epw_parser *p = st->base;
	char msg[CONF_ERR_MAX];

	if (parse_url(&p->c, st->val, &p->url_port, msg, sizeof(msg)) < 0)
		return conf_fail(st->s, "%s: %s", st->key, msg);
	p->url_set = true;
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
	return conf_apply_setting(&p->s, epw_keys, k, p->key_line, key, conf_trim(eq + 1), p);
}

void conf_epwget_defaults(struct epwget_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->port = 80;
	memcpy(c->path, "/", 2);
}

int conf_epwget_parse(struct epwget_conf *c, const char *name, const char *text, size_t len,
		      char *err, size_t errlen)
{
	int key_line[ARRAY_SIZE(epw_keys)] = { 0 };
	struct epw_parser p;
	int rc;

	memset(&p, 0, sizeof(p));
	conf_src_init(&p.s, name, err, errlen);
	conf_epwget_defaults(&p.c);
	p.key_line = key_line;
	rc = conf_scan_lines(&p.s, text, len, epw_line, &p);
	/* no url is no error here: the command line may give it */
	p.c.url_set = p.url_set;
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
