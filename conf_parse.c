/*
 * conf_parse.c - mos.conf: grammar, validation, lookups.
 *
 * The file is parsed out of a caller's buffer, one line at a time, by
 * conf_lex.c's line scanner, which hands each line here to be split into
 * statements; the first error ends the parse with one line
 * "file:line: message" in the caller's buffer. epwget.conf and URLs are
 * conf_epwget.c's.
 *
 * mos.conf (the block syntax of mOS):
 *   application { type = end; run = epwget; core_mask = 0x00FF }
 *   mos {
 *       rmem_size = 8192                  key = value, value to end of statement
 *       netdev { dpdk0 0x00FF 10.0.0.2/24 [02:00:00:00:00:01] }
 *       arp_table { 10.0.0.4/32 00:11:22:33:44:55 }
 *       route_table { 10.0.0.0/24 dpdk0 }
 *       fault { rx_drop = 5; tx_reorder = 0.5; seed = 7 }     fault injection, off by default
 *   }
 * Statements end at a newline, ';', '{' or '}'. A block's '{' may sit on
 * the line of its name or on the next one; list blocks hold one entry of
 * blank-separated words per statement.
 *
 * So that mOS files port unchanged, keys that mean nothing to an end host
 * are accepted and ignored: forward, stat_print, mos_log, no_ring_buffers,
 * io, and the whole block nic_forward_table. tcp_tw_interval is mOS's name
 * for tcp_timewait, and mOS's tcp_timeout = -1 ("never") is stored as 0.
 */
#include "conf_parse.h"
#include "conf_lex.h"
#include "mos_rss.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- names and words (no <ctype.h>: bytes >= 0x80 are data) ------------ */

static bool is_ident_char(int ch)
{
	return conf_is_digit(ch) || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       ch == '_';
}

/* [A-Za-z0-9_]+ shorter than max (a name that fits a char[max]). */
static bool is_ident(const char *s, size_t max)
{
	size_t n = 0;

	while (is_ident_char(s[n]))
		n++;
	return n > 0 && s[n] == '\0' && n < max;
}

/* Cut s into blank-separated words; max + 1 when there are more than max. */
static int split_words(char *s, char **w, int max)
{
	int n = 0;

	for (;;) {
		while (conf_is_blank(*s))
			s++;
		if (*s == '\0')
			return n;
		if (n == max)
			return max + 1;
		w[n++] = s;
		while (*s != '\0' && !conf_is_blank(*s))
			s++;
		if (*s != '\0')
			*s++ = '\0';
	}
}

/* ---- mos.conf settings, table-driven (conf_lex.c applies them) --------- */

/* Ring and table sizes: in range and a power of two. */
static int set_pow2(const struct setting *st)
{
	long long v;
	int rc = conf_get_num(st, &v);

	if (rc < 0)
		return rc;
	if (v & (v - 1))
		return conf_fail(st->s, "%s: %lld is not a power of two", st->key, v);
	*FIELD(st, int) = (int)v;
	return 0;
}

/* Seconds; mOS writes -1 for "never", which is our 0. */
static int set_timeout(const struct setting *st)
{
	int rc = conf_set_int(st);

	if (rc == 0 && *FIELD(st, int) < 0)
		*FIELD(st, int) = 0;
	return rc;
}

/* A core mask: hex (0x...) or decimal, 64 bits, not zero. */
static int parse_mask(const struct src *s, const char *what, const char *val, uint64_t *mask)
{
	int rc = conf_parse_u64(val, true, mask);

	if (rc == -EINVAL)
		return conf_fail(s, "%s: '%s' is not a number", what, val);
	if (rc < 0)
		return conf_fail(s, "%s: %s is more than 64 bits", what, val);
	if (*mask == 0)
		return conf_fail(s, "%s: core mask 0 selects no core", what);
	return 0;
}

static int set_mask(const struct setting *st)
{
	return parse_mask(st->s, st->key, st->val, FIELD(st, uint64_t));
}

/* Any 64-bit number, hex (0x...) or decimal. */
static int set_u64(const struct setting *st)
{
	int rc = conf_parse_u64(st->val, true, FIELD(st, uint64_t));

	if (rc == -EINVAL)
		return conf_fail(st->s, "%s: '%s' is not a number", st->key, st->val);
	if (rc < 0)
		return conf_fail(st->s, "%s: %s is more than 64 bits", st->key, st->val);
	return 0;
}

/*
 * A percentage with at most two decimals ("5", "0.5", "12.25"), stored in
 * hundredths (500, 50, 1225) so that the stack compares integers.
 */
static int set_pct(const struct setting *st)
{
	const char *s = st->val;
	long whole = 0, frac = 0;
	int nd = 0, nf = 0;

	for (; conf_is_digit(*s); s++, nd++)
		if (whole <= st->k->max)	/* stays small: the range check below fails it */
			whole = whole * 10 + (*s - '0');
	if (*s == '.')
		for (s++; conf_is_digit(*s); s++, nf++)
			if (nf < 2)
				frac = frac * 10 + (*s - '0');
	if (nd == 0 || *s != '\0' || (st->val[nd] == '.' && nf == 0))
		return conf_fail(st->s, "%s: '%s' is not a percentage (0..100, e.g. 5 or 0.25)",
				 st->key, st->val);
	if (nf > 2)
		return conf_fail(st->s, "%s: '%s' has more than two decimals", st->key, st->val);
	if (nf == 1)
		frac *= 10;
	if (whole * 100 + frac > st->k->max)
		return conf_fail(st->s, "%s: %s is out of range (0..100)", st->key, st->val);
	*FIELD(st, int) = (int)(whole * 100 + frac);
	return 0;
}

static int set_str(const struct setting *st)
{
	size_t n = strlen(st->val);

	if (n >= (size_t)st->k->max)
		return conf_fail(st->s, "%s: value longer than %lld bytes", st->key,
				 st->k->max - 1);
	memcpy(FIELD(st, char), st->val, n + 1);
	return 0;
}

static int set_app_type(const struct setting *st)
{
	if (strcmp(st->val, "end") != 0)
		return conf_fail(st->s, "%s: '%s' is not supported (only 'end')", st->key, st->val);
	return set_str(st);
}

/* Is word (n bytes, up to any '=') --file-prefix, or an abbreviation getopt_long takes? */
static bool is_file_prefix_opt(const char *word, size_t n)
{
	static const char opt[] = "--file-prefix";

	return n >= 4 && n < sizeof(opt) && strncmp(word, opt, n) == 0;
}

/*
 * --file-prefix names the EAL's runtime directory (/var/run/dpdk/PREFIX),
 * which the multi-process master empties and removes at exit: a plain name
 * only, never empty, with no '/' and no ".." (nor "." alone, the parent
 * itself). w: the n words of eal_args.
 */
static int check_file_prefix(const struct setting *st, char **w, int n)
{
	for (int i = 0; i < n; i++) {
		size_t len = strcspn(w[i], "=");
		const char *v;

		if (!is_file_prefix_opt(w[i], len))
			continue;
		v = w[i][len] == '=' ? w[i] + len + 1 : i + 1 < n ? w[i + 1] : "";
		if (*v == '\0')
			return conf_fail(st->s, "%s: %.*s has no name: give one (as "
					 "--file-prefix=epwget-mp), or leave the option out", st->key,
					 (int)len, w[i]);
		if (strchr(v, '/') != NULL || strstr(v, "..") != NULL || strcmp(v, ".") == 0)
			return conf_fail(st->s, "%s: %.*s '%s' must be a plain name, without '/' or "
					 "'..': it names a directory under /var/run/dpdk that the "
					 "multi-process master removes at exit", st->key, (int)len,
					 w[i], v);
	}
	return 0;
}

/* The I/O module splits eal_args on blanks into at most CONF_MAX_EAL_ARGS. */
static int set_eal(const struct setting *st)
{
	char copy[CONF_LINE_MAX];
	char *w[CONF_MAX_EAL_ARGS + 1];
	const char *p = st->val;
	int n = 0, rc;

	while (*p != '\0') {
		while (conf_is_blank(*p))
			p++;
		if (*p != '\0')
			n++;
		while (*p != '\0' && !conf_is_blank(*p))
			p++;
	}
	if (n > CONF_MAX_EAL_ARGS)
		return conf_fail(st->s, "%s: %d arguments, at most %d", st->key, n,
				 CONF_MAX_EAL_ARGS);
	snprintf(copy, sizeof(copy), "%s", st->val);
	n = split_words(copy, w, CONF_MAX_EAL_ARGS + 1);
	rc = check_file_prefix(st, w, n);
	return rc < 0 ? rc : set_str(st);
}

/* `N master` (N: the master's core) or `slave`. */
static int set_mp(const struct setting *st)
{
	struct mos_conf *c = st->base;
	char copy[CONF_LINE_MAX];
	char *w[3];
	uint64_t core;
	int n;

	snprintf(copy, sizeof(copy), "%s", st->val);
	n = split_words(copy, w, 3);
	if (n == 1 && strcmp(w[0], "slave") == 0) {
		c->mp_mode = CONF_MP_SLAVE;
		c->mp_master_core = -1;
		return 0;
	}
	if (n != 2 || strcmp(w[1], "master") != 0)
		return conf_fail(st->s, "%s: expected 'N master' or 'slave', got '%s'", st->key,
				 st->val);
	if (conf_parse_u64(w[0], false, &core) < 0 || core >= CONF_MAX_CORES)
		return conf_fail(st->s, "%s: master core '%s' is not a core number (0..%d)",
				 st->key, w[0], CONF_MAX_CORES - 1);
	c->mp_mode = CONF_MP_MASTER;
	c->mp_master_core = (int)core;
	return 0;
}

/* `FIRST-LAST`: the source ports of active opens, within mTCP's 1025-65535. */
static int set_ports(const struct setting *st)
{
	struct mos_conf *c = st->base;
	char copy[CONF_LINE_MAX];
	char *dash;
	uint64_t lo, hi;

	snprintf(copy, sizeof(copy), "%s", st->val);
	dash = strchr(copy, '-');
	if (dash == NULL)
		return conf_fail(st->s, "%s: expected FIRST-LAST (as 1025-65535), got '%s'",
				 st->key, st->val);
	*dash = '\0';
	if (conf_parse_u64(conf_trim(copy), false, &lo) < 0 ||
	    conf_parse_u64(conf_trim(dash + 1), false, &hi) < 0 ||
	    lo < MOS_RSS_PORT_FIRST || hi > MOS_RSS_PORT_LAST || lo > hi)
		return conf_fail(st->s,
				 "%s: '%s' is not a range of ports within %d-%d, first <= last",
				 st->key, st->val, MOS_RSS_PORT_FIRST, MOS_RSS_PORT_LAST);
	c->port_first = (int)lo;
	c->port_last = (int)hi;
	return 0;
}

/* A named key: mos_rss's built-in bytes, all 52 of them. */
static void rss_builtin(struct mos_conf *c, enum conf_rss_key_kind kind)
{
	const uint8_t *key = kind == CONF_RSS_KEY_MICROSOFT ? mos_rss_key_microsoft :
			     kind == CONF_RSS_KEY_MTCP ? mos_rss_key_mtcp : mos_rss_key_symmetric;

	memcpy(c->rss_key, key, CONF_RSS_KEY_MAX);
	c->rss_key_kind = kind;
	/* 52 bytes: a 40-byte NIC takes the first 40; the IPv4 hash reads only 16 */
	c->rss_key_len = CONF_RSS_KEY_MAX;
}

/* "6d5a..." or "6d:5a:...", optional 0x: the number of bytes, or -EINVAL. */
static int parse_hex_key(const char *s, uint8_t *key)
{
	bool colons;
	int n = 0, hi, lo;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	colons = strchr(s, ':') != NULL;
	while (*s != '\0') {
		hi = conf_hex_val(s[0]);
		lo = hi < 0 ? -1 : conf_hex_val(s[1]);
		if (lo < 0)
			return -EINVAL;
		if (n < CONF_RSS_KEY_MAX)
			key[n] = (uint8_t)(hi << 4 | lo);
		n++;
		s += 2;
		if (colons && s[0] == ':' && s[1] != '\0')
			s++;
		else if (colons && s[0] != '\0')
			return -EINVAL;
	}
	return n > 0 ? n : -EINVAL;
}

static int set_rss(const struct setting *st)
{
	static const struct {
		const char *name;
		enum conf_rss_key_kind kind;
	} named[] = {
		{ "symmetric", CONF_RSS_KEY_SYMMETRIC },
		{ "microsoft", CONF_RSS_KEY_MICROSOFT },
		{ "mtcp", CONF_RSS_KEY_MTCP },
	};
	struct mos_conf *c = st->base;
	uint8_t key[CONF_RSS_KEY_MAX];
	size_t i;
	int n;

	for (i = 0; i < ARRAY_SIZE(named); i++) {
		if (strcmp(st->val, named[i].name) == 0) {
			rss_builtin(c, named[i].kind);
			return 0;
		}
	}
	n = parse_hex_key(st->val, key);
	if (n < 0)
		return conf_fail(st->s, "%s: '%s' is not symmetric, microsoft, mtcp or hex bytes",
				 st->key, st->val);
	if (n != 40 && n != 52)
		return conf_fail(st->s, "%s: %d bytes, a key has 40 or 52", st->key, n);
	memset(c->rss_key, 0, sizeof(c->rss_key));
	memcpy(c->rss_key, key, (size_t)n);
	c->rss_key_kind = CONF_RSS_KEY_HEX;
	c->rss_key_len = n;
	return 0;
}


#define MOS_OFF(f) offsetof(struct mos_conf, f)
#define MIB (1024LL * 1024)

static const struct key_def mos_keys[] = {
	{ "type", NULL, BLK_APP, set_app_type, MOS_OFF(app_type), 0, CONF_NAME_MAX },
	{ "run", NULL, BLK_APP, set_str, MOS_OFF(app_run), 0, CONF_PATH_MAX },
	{ "core_mask", NULL, BLK_APP, set_mask, MOS_OFF(core_mask), 0, 0 },
	{ "nb_mem_channels", NULL, BLK_MOS, conf_set_int, MOS_OFF(nb_mem_channels), 1, 32 },
	{ "max_concurrency", NULL, BLK_MOS, conf_set_int, MOS_OFF(max_concurrency), 1, CONF_MAX_CONCURRENCY },
	{ "max_num_buffers", NULL, BLK_MOS, conf_set_int, MOS_OFF(max_num_buffers), 1, CONF_MAX_CONCURRENCY },
	{ "rmem_size", NULL, BLK_MOS, conf_set_int, MOS_OFF(rmem_size), CONF_BUF_MIN, CONF_BUF_MAX },
	{ "wmem_size", NULL, BLK_MOS, conf_set_int, MOS_OFF(wmem_size), CONF_BUF_MIN, CONF_BUF_MAX },
	{ "tcp_timeout", NULL, BLK_MOS, set_timeout, MOS_OFF(tcp_timeout), -1, CONF_TIMEOUT_MAX },
	{ "tcp_timewait", "tcp_tw_interval", BLK_MOS, conf_set_int, MOS_OFF(tcp_timewait), 0, CONF_TIMEWAIT_MAX },
	{ "tcp_syn_retries", NULL, BLK_MOS, conf_set_int, MOS_OFF(tcp_syn_retries), 1, 10 },
	{ "source_ports", NULL, BLK_MOS, set_ports, 0, 0, 0 },
	{ "multiprocess", NULL, BLK_MOS, set_mp, 0, 0, 0 },
	{ "mp_wait", NULL, BLK_MOS, conf_set_int, MOS_OFF(mp_wait), 1, 3600 },
	{ "eal_args", NULL, BLK_MOS, set_eal, MOS_OFF(eal_args), 0, CONF_EAL_ARGS_MAX },
	{ "rss_key", NULL, BLK_MOS, set_rss, 0, 0, 0 },
	{ "rx_desc", NULL, BLK_MOS, set_pow2, MOS_OFF(rx_desc), 64, 16384 },
	{ "nb_mbuf", NULL, BLK_MOS, conf_set_int, MOS_OFF(nb_mbuf), 128, 16 * 1024 * 1024 },
	{ "tx_desc", NULL, BLK_MOS, set_pow2, MOS_OFF(tx_desc), 64, 16384 },
	{ "reta_size", NULL, BLK_MOS, set_pow2, MOS_OFF(reta_size), 64, 2048 },
	/* fault { }: fault injection between the stack and the I/O module */
	{ "seed", NULL, BLK_FAULT, set_u64, MOS_OFF(fault.seed), 0, 0 },
	{ "delay_us", NULL, BLK_FAULT, conf_set_int, MOS_OFF(fault.delay_us), 1, CONF_FAULT_DELAY_MAX },
	{ "reorder_depth", NULL, BLK_FAULT, conf_set_int, MOS_OFF(fault.reorder_depth), 1, CONF_FAULT_DEPTH_MAX },
	{ "rx_drop", NULL, BLK_FAULT, set_pct, MOS_OFF(fault.rx.drop), 0, CONF_FAULT_PCT_MAX },
	{ "rx_dup", NULL, BLK_FAULT, set_pct, MOS_OFF(fault.rx.dup), 0, CONF_FAULT_PCT_MAX },
	{ "rx_reorder", NULL, BLK_FAULT, set_pct, MOS_OFF(fault.rx.reorder), 0, CONF_FAULT_PCT_MAX },
	{ "rx_corrupt", NULL, BLK_FAULT, set_pct, MOS_OFF(fault.rx.corrupt), 0, CONF_FAULT_PCT_MAX },
	{ "rx_delay", NULL, BLK_FAULT, set_pct, MOS_OFF(fault.rx.delay), 0, CONF_FAULT_PCT_MAX },
	{ "tx_drop", NULL, BLK_FAULT, set_pct, MOS_OFF(fault.tx.drop), 0, CONF_FAULT_PCT_MAX },
	{ "tx_dup", NULL, BLK_FAULT, set_pct, MOS_OFF(fault.tx.dup), 0, CONF_FAULT_PCT_MAX },
	{ "tx_reorder", NULL, BLK_FAULT, set_pct, MOS_OFF(fault.tx.reorder), 0, CONF_FAULT_PCT_MAX },
	{ "tx_corrupt", NULL, BLK_FAULT, set_pct, MOS_OFF(fault.tx.corrupt), 0, CONF_FAULT_PCT_MAX },
	{ "tx_delay", NULL, BLK_FAULT, set_pct, MOS_OFF(fault.tx.delay), 0, CONF_FAULT_PCT_MAX },
	/* mOS's, ignored: middlebox forwarding, its own logs and statistics */
	{ "forward", NULL, BLK_MOS, conf_set_ignore, 0, 0, 0 },
	{ "stat_print", NULL, BLK_MOS, conf_set_ignore, 0, 0, 0 },
	{ "mos_log", NULL, BLK_MOS, conf_set_ignore, 0, 0, 0 },
	{ "no_ring_buffers", NULL, BLK_MOS, conf_set_ignore, 0, 0, 0 },
	{ "io", NULL, BLK_MOS, conf_set_ignore, 0, 0, 0 },
};

/* ---- mos.conf ----------------------------------------------------------- */

struct frame {
	enum blk kind;
	const char *name;
	int line;			/* where it opened */
};

static const struct block_def {
	const char *name;
	enum blk parent;
	enum blk kind;
} mos_blocks[] = {
	{ "application", BLK_TOP, BLK_APP },
	{ "mos", BLK_TOP, BLK_MOS },
	{ "netdev", BLK_MOS, BLK_NETDEV },
	{ "arp_table", BLK_MOS, BLK_ARP },
	{ "route_table", BLK_MOS, BLK_ROUTE },
	{ "fault", BLK_MOS, BLK_FAULT },
	{ "nic_forward_table", BLK_MOS, BLK_SKIP },	/* mOS's, ignored */
};

#define MOS_DEPTH 3			/* top, mos, a list or fault */

struct mos_parser {
	struct src s;
	struct mos_conf *c;
	int *key_line;			/* per mos_keys entry */
	struct frame stack[MOS_DEPTH];
	int depth;
	char pending[CONF_NAME_MAX];	/* a bare NAME waiting for its '{' */
	int pending_line;
	int block_line[ARRAY_SIZE(mos_blocks)];
	int netdev_line[CONF_MAX_NETDEV];
	int arp_line[CONF_MAX_ARP];
	int route_line[CONF_MAX_ROUTE];
	char route_dev[CONF_MAX_ROUTE][CONF_NAME_MAX];
};

static struct frame *top(struct mos_parser *p)
{
	return &p->stack[p->depth - 1];
}

/* A NAME with no '{' after it. */
static int pending_error(struct mos_parser *p)
{
	const struct key_def *k;

	k = conf_find_key(mos_keys, ARRAY_SIZE(mos_keys), top(p)->kind, p->pending);
	if (top(p)->kind == BLK_TOP)
		return conf_fail_at(&p->s, p->pending_line, "'%s': expected '%s {'", p->pending,
				    p->pending);
	if (k != NULL)
		return conf_fail_at(&p->s, p->pending_line, "%s: expected '%s = value'",
				    p->pending, p->pending);
	return conf_fail_at(&p->s, p->pending_line, "'%s': expected 'key = value' or '%s {'",
			    p->pending, p->pending);
}

static int netdev_name(struct mos_parser *p, const char *name)
{
	const struct mos_conf *c = p->c;
	uint64_t port;
	int i;

	if (!is_ident(name, CONF_NAME_MAX))
		return conf_fail(&p->s, "netdev: bad name '%s' ([A-Za-z0-9_], at most %d)", name,
				 CONF_NAME_MAX - 1);
	if (strncmp(name, "dpdk", 4) == 0 && conf_parse_u64(name + 4, false, &port) != -EINVAL &&
	    (port >= CONF_MAX_NETDEV || (name[4] == '0' && name[5] != '\0')))
		return conf_fail(&p->s, "netdev '%s': DPDK port out of range (dpdk0..dpdk%d)", name,
				 CONF_MAX_NETDEV - 1);
	for (i = 0; i < c->n_netdev; i++) {
		if (strcmp(c->netdev[i].name, name) == 0)
			return conf_fail(&p->s, "duplicate netdev '%s' (first on line %d)", name,
					 p->netdev_line[i]);
	}
	return 0;
}

/* ADDR/PREFIX of a netdev: a host address inside its subnet. */
static int netdev_addr(struct mos_parser *p, const char *what, struct conf_netdev *nd, char *w)
{
	uint32_t a, m;
	char b1[16], b2[16];
	int prefix, rc;

	rc = conf_parse_cidr(&p->s, what, w, true, &nd->addr, &prefix);
	if (rc < 0)
		return rc;
	if (prefix == 0)
		return conf_fail(&p->s, "%s: prefix /0 is not a subnet", what);
	nd->prefix = (uint8_t)prefix;
	if (!conf_is_unicast(nd->addr))
		return conf_fail(&p->s, "%s: %s is not a unicast address", what,
				 conf_fmt_ipv4(nd->addr, b1));
	a = ntohl(nd->addr);
	m = conf_prefix_mask(prefix);
	if (prefix > 30 || ((a & ~m) != 0 && (a & ~m) != ~m))
		return 0;
	return conf_fail(&p->s, "%s: %s is the %s address of %s/%d", what, conf_fmt_ipv4(nd->addr, b1),
			 (a & ~m) ? "broadcast" : "network", conf_fmt_ipv4(htonl(a & m), b2), prefix);
}

static int netdev_mac(struct mos_parser *p, const char *what, struct conf_netdev *nd, char *w)
{
	size_t n = strlen(w);

	if (w[0] == '[') {
		if (w[n - 1] != ']')
			return conf_fail(&p->s, "%s: bad MAC '%s'", what, w);
		w[n - 1] = '\0';
		w++;
	}
	nd->mac_set = true;
	return conf_parse_mac(&p->s, what, w, nd->mac);
}

/* NAME MASK ADDR/PREFIX [MAC] */
static int netdev_entry(struct mos_parser *p, char *text)
{
	struct mos_conf *c = p->c;
	struct conf_netdev *nd = &c->netdev[c->n_netdev];
	char what[CONF_NAME_MAX + 16];
	char *w[5];
	int n, rc;

	if (c->n_netdev == CONF_MAX_NETDEV)
		return conf_fail(&p->s, "too many netdev entries (at most %d)", CONF_MAX_NETDEV);
	n = split_words(text, w, 5);
	rc = netdev_name(p, w[0]);
	if (rc < 0)
		return rc;
	snprintf(what, sizeof(what), "netdev '%s'", w[0]);
	if (n < 3)
		return conf_fail(&p->s, "%s needs a core mask and an address:"
				 " NAME MASK ADDR/PREFIX [MAC] (e.g. %s 0x1 10.0.0.2/24)", what,
				 w[0]);
	if (n > 4)
		return conf_fail(&p->s, "%s: unexpected '%s' after the MAC", what, w[4]);
	memset(nd, 0, sizeof(*nd));
	memcpy(nd->name, w[0], strlen(w[0]) + 1);
	rc = parse_mask(&p->s, what, w[1], &nd->core_mask);
	if (rc == 0)
		rc = netdev_addr(p, what, nd, w[2]);
	if (rc == 0 && n == 4)
		rc = netdev_mac(p, what, nd, w[3]);
	if (rc == 0)
		p->netdev_line[c->n_netdev++] = p->s.line;
	return rc;
}

/* ADDR[/PREFIX] MAC */
static int arp_entry(struct mos_parser *p, char *text)
{
	struct mos_conf *c = p->c;
	struct conf_arp *a = &c->arp[c->n_arp];
	char *w[3];
	char b[16];
	int prefix, rc, i;

	if (c->n_arp == CONF_MAX_ARP)
		return conf_fail(&p->s, "too many arp_table entries (at most %d)", CONF_MAX_ARP);
	if (split_words(text, w, 3) != 2)
		return conf_fail(&p->s, "arp_table: expected 'ADDR[/PREFIX] MAC'");
	rc = conf_parse_cidr(&p->s, "arp_table", w[0], false, &a->addr, &prefix);
	if (rc == 0)
		rc = conf_check_network(&p->s, "arp_table", a->addr, prefix);
	if (rc == 0)
		rc = conf_parse_mac(&p->s, "arp_table", w[1], a->mac);
	if (rc < 0)
		return rc;
	a->prefix = (uint8_t)prefix;
	for (i = 0; i < c->n_arp; i++) {
		if (c->arp[i].addr == a->addr && c->arp[i].prefix == a->prefix)
			return conf_fail(&p->s,
					 "arp_table: duplicate entry %s/%d (first on line %d)",
					 conf_fmt_ipv4(a->addr, b), prefix, p->arp_line[i]);
	}
	p->arp_line[c->n_arp++] = p->s.line;
	return 0;
}

/* ADDR/PREFIX DEV; DEV is looked up once the whole file is read. */
static int route_entry(struct mos_parser *p, char *text)
{
	struct mos_conf *c = p->c;
	struct conf_route *r = &c->route[c->n_route];
	char *w[3];
	char b[16];
	int prefix, rc, i;

	if (c->n_route == CONF_MAX_ROUTE)
		return conf_fail(&p->s, "too many route_table entries (at most %d)",
				 CONF_MAX_ROUTE);
	if (split_words(text, w, 3) != 2)
		return conf_fail(&p->s, "route_table: expected 'ADDR/PREFIX DEV'");
	rc = conf_parse_cidr(&p->s, "route_table", w[0], true, &r->addr, &prefix);
	if (rc == 0)
		rc = conf_check_network(&p->s, "route_table", r->addr, prefix);
	if (rc < 0)
		return rc;
	if (!is_ident(w[1], CONF_NAME_MAX))
		return conf_fail(&p->s, "route_table: bad device name '%s'", w[1]);
	r->prefix = (uint8_t)prefix;
	r->netdev = -1;
	for (i = 0; i < c->n_route; i++) {
		if (c->route[i].addr == r->addr && c->route[i].prefix == r->prefix)
			return conf_fail(&p->s,
					 "route_table: duplicate entry %s/%d (first on line %d)",
					 conf_fmt_ipv4(r->addr, b), prefix, p->route_line[i]);
	}
	memcpy(p->route_dev[c->n_route], w[1], strlen(w[1]) + 1);
	p->route_line[c->n_route++] = p->s.line;
	return 0;
}

/* `key = value`, or a bare NAME that a '{' may follow. */
static int mos_setting(struct mos_parser *p, char *text)
{
	enum blk kind = top(p)->kind;
	const struct key_def *k;
	char *eq = strchr(text, '='), *key;

	if (eq == NULL) {
		if (!is_ident(text, CONF_NAME_MAX))
			return conf_fail(&p->s, "expected 'key = value', got '%s'", text);
		memcpy(p->pending, text, strlen(text) + 1);
		p->pending_line = p->s.line;
		return 0;
	}
	*eq = '\0';
	key = conf_trim(text);
	if (kind == BLK_TOP)
		return conf_fail(&p->s, "key '%s' outside a block", key);
	if (*key == '\0')
		return conf_fail(&p->s, "no key before '='");
	k = conf_find_key(mos_keys, ARRAY_SIZE(mos_keys), kind, key);
	if (k == NULL)
		return conf_fail(&p->s, "unknown key '%s' in block %s", key, top(p)->name);
	return conf_apply_setting(&p->s, mos_keys, k, p->key_line, key, conf_trim(eq + 1), p->c);
}

/* One statement: a setting in application and mos, an entry in a list. */
static int mos_stmt(struct mos_parser *p, char *text)
{
	text = conf_trim(text);
	if (*text == '\0')
		return 0;
	if (p->pending_line > 0)
		return pending_error(p);
	switch (top(p)->kind) {
	case BLK_NETDEV:
		return netdev_entry(p, text);
	case BLK_ARP:
		return arp_entry(p, text);
	case BLK_ROUTE:
		return route_entry(p, text);
	case BLK_SKIP:
		return 0;
	default:
		return mos_setting(p, text);
	}
}

static int mos_open(struct mos_parser *p, char *name)
{
	struct frame *f = top(p);
	int line = p->s.line;
	size_t i;

	name = conf_trim(name);
	if (*name != '\0' && p->pending_line > 0)
		return pending_error(p);
	if (*name == '\0' && p->pending_line == 0)
		return conf_fail(&p->s, "'{' without a block name");
	if (*name == '\0') {
		name = p->pending;
		line = p->pending_line;
		p->pending_line = 0;
	}
	for (i = 0; i < ARRAY_SIZE(mos_blocks); i++) {
		if (mos_blocks[i].parent == f->kind && strcmp(mos_blocks[i].name, name) == 0)
			break;
	}
	if (i == ARRAY_SIZE(mos_blocks))
		return conf_fail(&p->s, "unknown block '%s' %s%s", name,
				 p->depth == 1 ? "at top level" : "in block ", f->name);
	if (p->block_line[i] > 0)
		return conf_fail(&p->s, "duplicate block '%s' (first opened on line %d)", name,
				 p->block_line[i]);
	if (p->depth == MOS_DEPTH)	/* the table allows no deeper block; be sure */
		return conf_fail(&p->s, "blocks nested too deep");
	p->block_line[i] = line;
	p->stack[p->depth++] = (struct frame){ mos_blocks[i].kind, mos_blocks[i].name, line };
	return 0;
}

static int mos_close(struct mos_parser *p)
{
	if (p->pending_line > 0)
		return pending_error(p);
	if (p->depth == 1)
		return conf_fail(&p->s, "unbalanced '}'");
	p->depth--;
	return 0;
}

/* Cut a line into statements at ';', '{' and '}'. */
static int mos_line(void *ctx, char *line)
{
	struct mos_parser *p = ctx;
	char *s = line, *q;
	char ch;
	int rc;

	for (q = line;; q++) {
		ch = *q;
		if (ch != ';' && ch != '{' && ch != '}' && ch != '\0')
			continue;
		*q = '\0';
		if (ch == '{') {
			rc = mos_open(p, s);
		} else {
			rc = mos_stmt(p, s);
			if (rc == 0 && ch == '}')
				rc = mos_close(p);
		}
		if (rc < 0 || ch == '\0')
			return rc;
		s = q + 1;
	}
}

static int mos_key_line(const struct mos_parser *p, const char *key)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(mos_keys); i++) {
		if (strcmp(mos_keys[i].key, key) == 0)
			return p->key_line[i];
	}
	return 0;
}

static int resolve_routes(struct mos_parser *p)
{
	struct mos_conf *c = p->c;
	int i, j;

	for (i = 0; i < c->n_route; i++) {
		for (j = 0; j < c->n_netdev; j++) {
			if (strcmp(p->route_dev[i], c->netdev[j].name) == 0)
				c->route[i].netdev = j;
		}
		if (c->route[i].netdev < 0)
			return conf_fail_at(&p->s, p->route_line[i],
					    "route_table: unknown device '%s'", p->route_dev[i]);
	}
	return 0;
}

/* Netdev cores inside the application's; the default is their union. */
static int check_cores(struct mos_parser *p)
{
	struct mos_conf *c = p->c;
	uint64_t all = 0, extra;
	int i;

	for (i = 0; i < c->n_netdev; i++)
		all |= c->netdev[i].core_mask;
	if (mos_key_line(p, "core_mask") == 0)
		c->core_mask = all;
	for (i = 0; i < c->n_netdev; i++) {
		extra = c->netdev[i].core_mask & ~c->core_mask;
		if (extra != 0)
			return conf_fail_at(&p->s, p->netdev_line[i],
					    "netdev '%s': cores 0x%" PRIx64 " are not in core_mask"
					    " 0x%" PRIx64, c->netdev[i].name, extra, c->core_mask);
	}
	if (c->mp_mode == CONF_MP_MASTER && !((c->core_mask >> c->mp_master_core) & 1))
		return conf_fail_at(&p->s, mos_key_line(p, "multiprocess"),
				    "multiprocess: master core %d is not in core_mask 0x%" PRIx64,
				    c->mp_master_core, c->core_mask);
	/* a NIC fills each RX ring with the core's mbufs before anything is sent */
	if (c->nb_mbuf != 0 && c->nb_mbuf < c->n_netdev * c->rx_desc + 64)
		return conf_fail_at(&p->s, mos_key_line(p, "nb_mbuf"), "nb_mbuf: %d is below "
				    "what the RX rings take (%d netdev(s) x rx_desc %d) plus 64; "
				    "raise nb_mbuf or lower rx_desc", c->nb_mbuf, c->n_netdev,
				    c->rx_desc);
	return 0;
}

static int mos_finish(struct mos_parser *p)
{
	struct mos_conf *c = p->c;
	int rc;

	if (p->pending_line > 0)
		return pending_error(p);
	if (p->depth > 1)
		return conf_fail_at(&p->s, top(p)->line, "block '%s' opened here is never closed",
				    top(p)->name);
	if (c->n_netdev == 0)
		return conf_fail_at(&p->s, 0, "no netdev: add 'netdev { NAME MASK ADDR/PREFIX }'"
				    " to block mos");
	rc = resolve_routes(p);
	if (rc == 0)
		rc = check_cores(p);
	if (rc == 0 && mos_key_line(p, "max_num_buffers") == 0)
		c->max_num_buffers = c->max_concurrency;
	return rc;
}

void conf_mos_defaults(struct mos_conf *c)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->app_type, "end", 4);
	c->nb_mem_channels = 4;
	c->max_concurrency = 100000;
	c->max_num_buffers = 100000;
	c->rmem_size = 8192;
	c->wmem_size = 8192;
	c->tcp_timeout = 30;
	c->tcp_timewait = 0;
	c->tcp_syn_retries = 6;
	c->port_first = MOS_RSS_PORT_FIRST;
	c->port_last = MOS_RSS_PORT_LAST;
	c->mp_mode = CONF_MP_NONE;
	c->mp_master_core = -1;
	c->mp_wait = 30;
	c->rx_desc = 1024;
	c->tx_desc = 1024;
	c->reta_size = 128;
	rss_builtin(c, CONF_RSS_KEY_SYMMETRIC);
	c->fault.seed = 1;		/* fixed: two runs of one file make the same decisions */
	c->fault.delay_us = 1000;
	c->fault.reorder_depth = 2;	/* under the three duplicate ACKs of a fast retransmit */
}

int conf_mos_parse(struct mos_conf *c, const char *name, const char *text, size_t len,
		   char *err, size_t errlen)
{
	int key_line[ARRAY_SIZE(mos_keys)] = { 0 };
	struct mos_parser p;
	int rc;

	memset(&p, 0, sizeof(p));
	conf_src_init(&p.s, name, err, errlen);
	conf_mos_defaults(c);
	p.c = c;
	p.key_line = key_line;
	p.stack[0] = (struct frame){ BLK_TOP, "", 0 };
	p.depth = 1;
	rc = conf_scan_lines(&p.s, text, len, mos_line, &p);
	if (rc == 0)
		rc = mos_finish(&p);
	return rc;
}

/* ---- files ------------------------------------------------------------- */

int conf_mos_load(struct mos_conf *c, const char *path, char *err, size_t errlen)
{
	char *buf;
	size_t len;
	int rc;

	conf_mos_defaults(c);
	rc = conf_read_file(path, &buf, &len, err, errlen);
	if (rc < 0)
		return rc;
	rc = conf_mos_parse(c, path, buf, len, err, errlen);
	free(buf);
	return rc;
}

/* ---- lookups ----------------------------------------------------------- */

static bool in_prefix(in_addr_t dst, in_addr_t net, int prefix)
{
	uint32_t m = conf_prefix_mask(prefix);

	return (ntohl(dst) & m) == (ntohl(net) & m);
}

/*
 * One longest-prefix match over route_table and the netdev subnets (the
 * connected routes, as mOS adds them to its table); on a tie the
 * route_table line wins.
 */
int conf_route_lookup(const struct mos_conf *c, in_addr_t dst)
{
	int i, best = -1, best_len = -1;

	for (i = 0; i < c->n_route; i++) {
		const struct conf_route *r = &c->route[i];

		if (r->netdev >= 0 && r->prefix > best_len && in_prefix(dst, r->addr, r->prefix)) {
			best = r->netdev;
			best_len = r->prefix;
		}
	}
	for (i = 0; i < c->n_netdev; i++) {
		const struct conf_netdev *nd = &c->netdev[i];

		if (nd->prefix > best_len && in_prefix(dst, nd->addr, nd->prefix)) {
			best = i;
			best_len = nd->prefix;
		}
	}
	return best;
}

const struct conf_arp *conf_arp_lookup(const struct mos_conf *c, in_addr_t dst)
{
	const struct conf_arp *best = NULL;
	int i;

	for (i = 0; i < c->n_arp; i++) {
		const struct conf_arp *a = &c->arp[i];

		if ((best == NULL || a->prefix > best->prefix) && in_prefix(dst, a->addr, a->prefix))
			best = a;
	}
	return best;
}
