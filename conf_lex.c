/*
 * conf_lex.c - what the two grammars stand on: lines, blanks, numbers,
 * addresses, key = value settings and whole files.
 *
 * Both files are parsed out of a caller's buffer, one line at a time: a
 * line is copied into a bounded local buffer, checked for NUL and control
 * bytes, cut at '#' and handed to the grammar (conf_parse.c for mos.conf,
 * conf_epwget.c for epwget.conf). A key = value is checked against its
 * entry in the grammar's key table and stored through the table's setter.
 * Nothing outlives a call, nothing exits, and the first error ends the
 * parse with one line "file:line: message" in the caller's buffer.
 *
 * Internal to the conf_*.c files (conf_lex.h); the API is conf_parse.h.
 */
#include "conf_lex.h"
#include "conf_parse.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- errors ------------------------------------------------------------ */

void conf_src_init(struct src *s, const char *name, char *err, size_t errlen)
{
	s->name = name != NULL ? name : "(config)";
	s->line = 0;
	s->err = err;
	s->errlen = err != NULL ? errlen : 0;
	if (s->errlen > 0)
		err[0] = '\0';
}

__attribute__((format(printf, 3, 0)))
static int vfail_at(const struct src *s, int line, const char *fmt, va_list ap)
{
	int n;

	if (s->errlen == 0)
		return -EINVAL;
	if (line > 0)
		n = snprintf(s->err, s->errlen, "%s:%d: ", s->name, line);
	else
		n = snprintf(s->err, s->errlen, "%s: ", s->name);
	if (n >= 0 && (size_t)n < s->errlen)
		vsnprintf(s->err + n, s->errlen - (size_t)n, fmt, ap);
	return -EINVAL;
}

/* Write "name:line: message" (no line when line is 0); returns -EINVAL. */
__attribute__((format(printf, 3, 4)))
int conf_fail_at(const struct src *s, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail_at(s, line, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* ---- characters, blanks, numbers (no <ctype.h>: bytes >= 0x80 are data) */

bool conf_is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

bool conf_is_blank(int ch)
{
	return ch == ' ' || ch == '\t';
}

int conf_hex_val(int ch)
{
	if (conf_is_digit(ch))
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Drop leading and trailing blanks, in place. */
char *conf_trim(char *s)
{
	size_t n;

	while (conf_is_blank(*s))
		s++;
	n = strlen(s);
	while (n > 0 && conf_is_blank(s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Decimal digits, or 0x and hex digits when hex; no sign or blank. */
int conf_parse_u64(const char *s, bool hex, uint64_t *out)
{
	uint64_t v = 0, base = 10;
	bool over = false;
	int d;

	if (hex && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (*s == '\0')
		return -EINVAL;
	for (; *s != '\0'; s++) {
		d = base == 16 ? conf_hex_val(*s) : (conf_is_digit(*s) ? *s - '0' : -1);
		if (d < 0)
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			over = true;
		v = v * base + (uint64_t)d;
	}
	*out = v;
	return over ? -ERANGE : 0;
}

/* An optional '-' and decimal digits. -EINVAL: not a number; -ERANGE. */
static int parse_i64(const char *s, int64_t *out)
{
	bool neg = s[0] == '-';
	uint64_t v;
	int rc;

	rc = conf_parse_u64(s + neg, false, &v);
	if (rc < 0)
		return rc;
	if (v > (uint64_t)INT64_MAX + neg)
		return -ERANGE;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/* ---- addresses ----------------------------------------------------------- */

/* Strict dotted quad: four decimal parts 0..255, no leading zeros. */
int conf_parse_ipv4(const char *s, in_addr_t *out)
{
	uint32_t a = 0, v;
	int i, nd;

	for (i = 0; i < 4; i++) {
		if (i > 0 && *s++ != '.')
			return -EINVAL;
		for (v = 0, nd = 0; nd < 4 && conf_is_digit(s[nd]); nd++)
			v = v * 10 + (uint32_t)(s[nd] - '0');
		if (nd == 0 || nd > 3 || v > 255 || (nd > 1 && s[0] == '0'))
			return -EINVAL;
		a = a << 8 | v;
		s += nd;
	}
	if (*s != '\0')
		return -EINVAL;
	*out = htonl(a);
	return 0;
}

/* Not 0.0.0.0, 255.255.255.255 or multicast (224.0.0.0/4). */
bool conf_is_unicast(in_addr_t addr)
{
	uint32_t a = ntohl(addr);

	return a != 0 && a != 0xffffffffu && (a >> 28) != 0xe;
}

/* Host-order netmask of a prefix length 0..32. */
uint32_t conf_prefix_mask(int prefix)
{
	return prefix <= 0 ? 0 : 0xffffffffu << (32 - prefix);
}

const char *conf_fmt_ipv4(in_addr_t addr, char *buf)
{
	uint32_t a = ntohl(addr);

	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
	return buf;
}

/*
 * "ADDR/PREFIX", or "ADDR" (prefix 32) when the prefix is optional; word is
 * cut at the '/'. what starts the messages ("route_table", "netdev 'x'").
 */
int conf_parse_cidr(const struct src *s, const char *what, char *word, bool need_prefix,
		    in_addr_t *addr, int *prefix)
{
	char *slash = strchr(word, '/');
	const char *p;
	uint64_t v;

	if (slash != NULL)
		*slash = '\0';
	if (conf_parse_ipv4(word, addr) < 0)
		return conf_fail(s, "%s: bad address '%s'", what, word);
	if (slash == NULL) {
		if (need_prefix)
			return conf_fail(s, "%s: '%s' needs a prefix (ADDR/PREFIX)", what, word);
		*prefix = 32;
		return 0;
	}
	p = slash + 1;
	if (conf_parse_u64(p, false, &v) < 0 || v > 32 || (p[0] == '0' && p[1] != '\0'))
		return conf_fail(s, "%s: bad prefix '/%s' (0..32)", what, p);
	*prefix = (int)v;
	return 0;
}

/* ADDR/PREFIX must name a network: no bits set past the prefix. */
int conf_check_network(const struct src *s, const char *what, in_addr_t addr, int prefix)
{
	uint32_t a = ntohl(addr);
	char b1[16], b2[16];

	if ((a & ~conf_prefix_mask(prefix)) == 0)
		return 0;
	return conf_fail(s, "%s: %s/%d has host bits set (the network is %s/%d)", what,
			 conf_fmt_ipv4(addr, b1), prefix,
			 conf_fmt_ipv4(htonl(a & conf_prefix_mask(prefix)), b2), prefix);
}

/* xx:xx:xx:xx:xx:xx, a unicast address (not group, not all zero). */
int conf_parse_mac(const struct src *s, const char *what, const char *word, uint8_t *mac)
{
	int i, hi, lo;

	if (strlen(word) != 17)
		return conf_fail(s, "%s: bad MAC '%s'", what, word);
	for (i = 0; i < 6; i++) {
		hi = conf_hex_val(word[3 * i]);
		lo = conf_hex_val(word[3 * i + 1]);
		if (hi < 0 || lo < 0 || (i < 5 && word[3 * i + 2] != ':'))
			return conf_fail(s, "%s: bad MAC '%s'", what, word);
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	if (mac[0] & 1)
		return conf_fail(s, "%s: MAC %s is a multicast address", what, word);
	if ((mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0)
		return conf_fail(s, "%s: MAC %s is all zero", what, word);
	return 0;
}

/* ---- lines ------------------------------------------------------------- */

/* NUL and control bytes are errors; tab is a blank, a final CR was cut. */
static int check_bytes(const struct src *s, const char *line, size_t n)
{
	size_t i;
	unsigned char ch;

	for (i = 0; i < n; i++) {
		ch = (unsigned char)line[i];
		if (ch == '\0')
			return conf_fail(s, "NUL byte in line");
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			return conf_fail(s, "control character 0x%02x in line", ch);
	}
	return 0;
}

/*
 * Call fn(ctx, line) for every line of text, the line NUL-terminated in a
 * local buffer, its comment cut off; stop at the first error.
 */
int conf_scan_lines(struct src *s, const char *text, size_t len,
		    int (*fn)(void *ctx, char *line), void *ctx)
{
	char buf[CONF_LINE_MAX];
	const char *start, *nl;
	size_t pos = 0, n;
	char *hash;
	int rc;

	if (text == NULL && len > 0)
		return conf_fail_at(s, 0, "no text");
	while (pos < len) {
		start = text + pos;
		nl = memchr(start, '\n', len - pos);
		n = nl != NULL ? (size_t)(nl - start) : len - pos;
		pos += n + (nl != NULL);
		s->line++;
		if (n > 0 && start[n - 1] == '\r')
			n--;
		if (n >= CONF_LINE_MAX)
			return conf_fail(s, "line longer than %d bytes", CONF_LINE_MAX - 1);
		rc = check_bytes(s, start, n);
		if (rc < 0)
			return rc;
		memcpy(buf, start, n);
		buf[n] = '\0';
		hash = strchr(buf, '#');
		if (hash != NULL)
			*hash = '\0';
		rc = fn(ctx, buf);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- key = value settings, table-driven ------------------------------- */

int conf_get_num(const struct setting *st, long long *v)
{
	int64_t x;
	int rc;

	rc = parse_i64(st->val, &x);
	if (rc == -EINVAL)
		return conf_fail(st->s, "%s: '%s' is not a number", st->key, st->val);
	if (rc < 0 || x < st->k->min || x > st->k->max)
		return conf_fail(st->s, "%s: %s is out of range (%lld..%lld)", st->key, st->val,
				 st->k->min, st->k->max);
	*v = x;
	return 0;
}

int conf_set_int(const struct setting *st)
{
	long long v;
	int rc = conf_get_num(st, &v);

	if (rc == 0)
		*FIELD(st, int) = (int)v;
	return rc;
}

int conf_set_long(const struct setting *st)
{
	long long v;
	int rc = conf_get_num(st, &v);

	if (rc == 0)
		*FIELD(st, long) = (long)v;
	return rc;
}

int conf_set_bool(const struct setting *st)
{
	long long v;
	int rc = conf_get_num(st, &v);

	if (rc == 0)
		*FIELD(st, bool) = v != 0;
	return rc;
}

/* mOS keys with no meaning for an end host. */
int conf_set_ignore(const struct setting *st)
{
	(void)st;
	return 0;
}

const struct key_def *conf_find_key(const struct key_def *t, size_t n, enum blk blk,
				    const char *key)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (t[i].blk != blk)
			continue;
		if (strcmp(t[i].key, key) == 0 || (t[i].alias && strcmp(t[i].alias, key) == 0))
			return &t[i];
	}
	return NULL;
}

/*
 * Store key = val after the checks every key shares: a value, and no
 * second setting (key_line[i] is the line key i was first set on).
 */
int conf_apply_setting(const struct src *s, const struct key_def *table,
		       const struct key_def *k, int *key_line, const char *key, char *val,
		       void *base)
{
	struct setting st = { s, k, key, val, base };
	int *first = &key_line[k - table];

	if (*first > 0)
		return conf_fail(s, "duplicate key '%s' (first set on line %d)", key, *first);
	if (*val == '\0' && k->set != conf_set_ignore)
		return conf_fail(s, "%s: no value", key);
	*first = s->line;
	return k->set(&st);
}

/* ---- files ------------------------------------------------------------- */

static int read_fd(int fd, char *buf, size_t max, size_t *len)
{
	ssize_t r;

	*len = 0;
	while (*len < max) {
		r = read(fd, buf + *len, max - *len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		*len += (size_t)r;
	}
	return 0;
}

/* The whole file into a malloc'd buffer (freed by the caller). */
int conf_read_file(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	struct src s;
	int fd, rc;

	conf_src_init(&s, path, err, errlen);
	*buf = NULL;
	if (path == NULL)
		return conf_fail_at(&s, 0, "no file name");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		conf_fail_at(&s, 0, "cannot open: %s", strerror(-rc));
		return rc;
	}
	*buf = malloc(CONF_FILE_MAX + 1);
	rc = *buf == NULL ? -ENOMEM : read_fd(fd, *buf, CONF_FILE_MAX + 1, len);
	close(fd);
	if (rc == 0 && *len > CONF_FILE_MAX) {
		conf_fail_at(&s, 0, "larger than %d bytes", CONF_FILE_MAX);
		rc = -EFBIG;
	} else if (rc < 0) {
		conf_fail_at(&s, 0, "cannot read: %s", strerror(-rc));
	}
	if (rc < 0) {
		free(*buf);
		*buf = NULL;
	}
	return rc;
}
