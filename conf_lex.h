/*
 * conf_lex.h - what conf_lex.c, conf_parse.c and conf_epwget.c share and
 * nothing else may use: internal to the conf_*.c files, the API is
 * conf_parse.h. Error positions, characters and numbers, IPv4 addresses,
 * the line scanner, the key = value settings machinery and whole files;
 * all of it in conf_lex.c. Functions that return int give 0 or -errno
 * (conf_fail and conf_fail_at always -EINVAL, with the message written).
 */
#ifndef EPWGET_CONF_LEX_H
#define EPWGET_CONF_LEX_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- errors ------------------------------------------------------------ */

/* Where the parser is: the name used in messages and the current line. */
struct src {
	const char *name;
	int line;
	char *err;
	size_t errlen;
};

/* Name messages after name ("(config)" when NULL); err may be NULL. */
void conf_src_init(struct src *s, const char *name, char *err, size_t errlen);

/* Write "name:line: message" (no line when line is 0); returns -EINVAL. */
__attribute__((format(printf, 3, 4)))
int conf_fail_at(const struct src *s, int line, const char *fmt, ...);

/* The same on the current line. */
#define conf_fail(s, ...) conf_fail_at((s), (s)->line, __VA_ARGS__)

/* ---- characters, blanks, numbers --------------------------------------- */

bool conf_is_digit(int ch);
bool conf_is_blank(int ch);
int conf_hex_val(int ch);			/* 0..15, or -1 */
char *conf_trim(char *s);
/* Decimal digits, or 0x and hex digits when hex: -EINVAL, -ERANGE or 0. */
int conf_parse_u64(const char *s, bool hex, uint64_t *out);

/* ---- addresses --------------------------------------------------------- */

int conf_parse_ipv4(const char *s, in_addr_t *out);	/* strict dotted quad */
bool conf_is_unicast(in_addr_t addr);
uint32_t conf_prefix_mask(int prefix);		/* host order, prefix 0..32 */
const char *conf_fmt_ipv4(in_addr_t addr, char *buf);	/* buf: 16 bytes; returns buf */
/*
 * "ADDR/PREFIX", or "ADDR" (prefix 32) when need_prefix is false; word is
 * cut at the '/'. what starts the messages ("route_table", "netdev 'x'").
 */
int conf_parse_cidr(const struct src *s, const char *what, char *word, bool need_prefix,
		    in_addr_t *addr, int *prefix);
/* ADDR/PREFIX must name a network: no bits set past the prefix. */
int conf_check_network(const struct src *s, const char *what, in_addr_t addr, int prefix);
/* xx:xx:xx:xx:xx:xx, a unicast address (not group, not all zero). */
int conf_parse_mac(const struct src *s, const char *what, const char *word, uint8_t *mac);

/* ---- lines ------------------------------------------------------------- */

/*
 * Call fn(ctx, line) for every line of text (s->line counts them), the
 * line NUL-terminated in a local buffer, its comment cut off; the first
 * error, of the bytes or of fn, ends the scan and is returned.
 */
int conf_scan_lines(struct src *s, const char *text, size_t len,
		    int (*fn)(void *ctx, char *line), void *ctx);

/* ---- key = value settings, table-driven ------------------------------- */

enum blk { BLK_TOP, BLK_APP, BLK_MOS, BLK_NETDEV, BLK_ARP, BLK_ROUTE, BLK_FAULT, BLK_SKIP };

struct key_def;

/* One `key = value` about to be stored. */
struct setting {
	const struct src *s;
	const struct key_def *k;
	const char *key;	/* as written: k->key or k->alias */
	char *val;		/* trimmed, non-empty, may be cut up */
	void *base;		/* the struct k->off points into */
};

struct key_def {
	const char *key;
	const char *alias;	/* mOS's other name for it, or NULL */
	enum blk blk;		/* block the key belongs in */
	int (*set)(const struct setting *st);
	size_t off;
	long long min, max;	/* range; for strings max is the buffer size */
};

#define FIELD(st, type) ((type *)(void *)((char *)(st)->base + (st)->k->off))

/* The value as a number in k->min..k->max, or a message. */
int conf_get_num(const struct setting *st, long long *v);
/* Setters for key_def.set: a number in range into an int, long or bool. */
int conf_set_int(const struct setting *st);
int conf_set_long(const struct setting *st);
int conf_set_bool(const struct setting *st);
/* Accepts anything, an empty value too, and stores nothing. */
int conf_set_ignore(const struct setting *st);

/* The entry of table t (n entries) for key, or its alias, in block blk; NULL if none. */
const struct key_def *conf_find_key(const struct key_def *t, size_t n, enum blk blk,
				    const char *key);
/*
 * Store key = val through k->set, k an entry of table; key_line (one per
 * entry) refuses a second setting of a key and an empty value.
 */
int conf_apply_setting(const struct src *s, const struct key_def *table,
		       const struct key_def *k, int *key_line, const char *key, char *val,
		       void *base);

/* ---- files ------------------------------------------------------------- */

/*
 * The whole file at path into a malloc'd buffer that the caller frees;
 * over CONF_FILE_MAX bytes is -EFBIG, and every error has its message.
 */
int conf_read_file(const char *path, char **buf, size_t *len, char *err, size_t errlen);

#endif
