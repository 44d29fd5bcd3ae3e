/*
 * conf_parse.h - mos.conf and epwget.conf: what they hold once parsed.
 *
 * Both files are read once, at start, by the main thread; the parsed
 * structs are plain data that the stack copies what it needs from, so the
 * fast path never reads configuration text. Addresses are kept in network
 * byte order (as in struct sockaddr_in), everything else in host order.
 *
 * Errors: every function that reads a file writes at most one line
 * "file:line: message" into the caller's buffer and returns -EINVAL (bad
 * content), -ENOENT or another -errno (the file could not be read). Nothing
 * here exits or allocates beyond the call.
 */
#ifndef EPWGET_CONF_PARSE_H
#define EPWGET_CONF_PARSE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONF_LINE_MAX      1024	/* longer lines are an error, not truncated */
#define CONF_ERR_MAX       512	/* size of an error message buffer */
#define CONF_NAME_MAX      32	/* netdev, application names (with the NUL) */
#define CONF_PATH_MAX      256	/* url path, application command (with the NUL) */
#define CONF_MAX_CORES     64	/* a core mask is 64 bits */
#define CONF_MAX_NETDEV    8
#define CONF_MAX_ARP       256
#define CONF_MAX_ROUTE     64
#define CONF_MAX_EAL_ARGS  32
#define CONF_EAL_ARGS_MAX  (CONF_LINE_MAX)
/* Ranges shared by the parser and mtcp_setconf. */
#define CONF_MAX_CONCURRENCY 10000000	/* streams, buffers, connections per core or in all */
#define CONF_MAX_FLOWS       1000000000000L
#define CONF_METHOD_MAX      8	/* "OPTIONS" and the NUL */
#define CONF_HEADERS_MAX     16	/* header lines and -H options together */
#define CONF_HEADER_MAX      256	/* one "Name: value" with the NUL */
#define CONF_MAX_PIPELINE    64	/* -P */
/*
 * -s, source_addrs: addresses in one range. Each core's pool of (address,
 * port) pairs takes 16 KiB of bitmaps per address and 4 bytes per pair:
 * 256 addresses x 64,511 ports is ~70 MB on one core; 65,536 would be 1 GiB
 * of bitmaps per core and 17 GB of pairs, so the stack's pool limit
 * (MOS_RSS_POOL_ADDR_MAX) is not epwget's.
 */
#define CONF_MAX_SOURCE_ADDRS 256
#define CONF_BUF_MIN         1024	/* rmem_size, wmem_size */
#define CONF_BUF_MAX         (64 * 1024 * 1024)
#define CONF_TIMEOUT_MAX     86400	/* tcp_timeout, seconds */
#define CONF_TIMEWAIT_MAX    3600	/* tcp_timewait, seconds */
#define CONF_RSS_KEY_MAX   52	/* 40-byte keys (ixgbe, most NICs) or 52 (i40e, ice) */
#define CONF_FILE_MAX      (1024 * 1024)	/* larger files are refused (-EFBIG) */
#define CONF_FAULT_PCT_MAX   10000	/* fault rates are kept in hundredths of a percent */
#define CONF_FAULT_DELAY_MAX 1000000	/* delay_us: one second */
#define CONF_FAULT_DEPTH_MAX 32		/* reorder_depth, frames */

enum conf_mp_mode {
	CONF_MP_NONE = 0,	/* one process, one thread per core */
	CONF_MP_MASTER,		/* `multiprocess = N master`: DPDK primary */
	CONF_MP_SLAVE,		/* `multiprocess = slave`: DPDK secondary */
};

enum conf_rss_key_kind {
	CONF_RSS_KEY_SYMMETRIC = 0,	/* 0x6d 0x5a repeated: same hash both ways */
	CONF_RSS_KEY_MICROSOFT,		/* the Microsoft verification key */
	CONF_RSS_KEY_MTCP,		/* 0x05 repeated, as mTCP/mOS program it */
	CONF_RSS_KEY_HEX,		/* given in the file as hex bytes */
};

/* One `netdev { NAME MASK ADDR/PREFIX [MAC] }` line. */
struct conf_netdev {
	char name[CONF_NAME_MAX];	/* dpdkN: the N-th DPDK port */
	uint64_t core_mask;
	in_addr_t addr;			/* network order */
	uint8_t prefix;			/* 0..32 */
	bool mac_set;			/* mac overrides the port's own */
	uint8_t mac[6];
};

/* One `arp_table { ADDR[/PREFIX] MAC }` line: a static neighbour. */
struct conf_arp {
	in_addr_t addr;			/* network order, host bits cleared */
	uint8_t prefix;			/* 32 when the line has none */
	uint8_t mac[6];
};

/* One `route_table { ADDR/PREFIX DEV }` line. */
struct conf_route {
	in_addr_t addr;			/* network order, host bits cleared */
	uint8_t prefix;
	int netdev;			/* index into mos_conf.netdev */
};

/*
 * `fault { ... }` in block mos: frames to damage on purpose, per direction,
 * each rate in hundredths of a percent (0..CONF_FAULT_PCT_MAX, "0.5" is 50).
 * Every rate 0 (the default) is no fault injection at all.
 */
struct conf_fault_dir {
	int drop;			/* freed, never seen */
	int dup;			/* a copy follows the frame */
	int reorder;			/* held behind the next reorder_depth frames */
	int corrupt;			/* one bit of the IPv4 packet flipped */
	int delay;			/* held for delay_us */
};

struct conf_fault {
	uint64_t seed;			/* the generator of core i starts from (seed, i) */
	int delay_us;			/* how long delay holds a frame; most a reorder waits */
	int reorder_depth;		/* frames a reordered frame is held behind */
	struct conf_fault_dir rx, tx;	/* on receive, on send */
};

/* mos.conf, the stack's configuration. */
struct mos_conf {
	/* application { type = end; run = epwget; core_mask = 0x00FF } */
	char app_type[CONF_NAME_MAX];	/* only "end" is supported */
	char app_run[CONF_PATH_MAX];
	uint64_t core_mask;		/* cores the application may use */

	/* mos { ... } */
	int nb_mem_channels;		/* EAL -n */
	int max_concurrency;		/* streams per core */
	int max_num_buffers;		/* send and receive buffers per core */
	int rmem_size;			/* receive buffer bytes per socket */
	int wmem_size;			/* send buffer bytes per socket */
	int tcp_timeout;		/* idle seconds before a stream is dropped, 0 = never */
	int tcp_timewait;		/* TIME_WAIT seconds, 0 = none (mOS default) */
	int tcp_syn_retries;		/* SYN retransmissions before ETIMEDOUT (Linux: 6) */
	int port_first, port_last;	/* source ports of active opens (mTCP: 1025-65535) */
	enum conf_mp_mode mp_mode;
	int mp_master_core;		/* the N of `multiprocess = N master`, else -1 */
	int mp_wait;			/* seconds a slave waits for its master, and the
					   group for processes that have not started */
	int nb_mbuf;			/* mbufs in each core's pool; 0: its rings + 2048 */
	int rx_desc;			/* RX ring size per queue */
	int tx_desc;			/* TX ring size per queue */
	int reta_size;			/* RETA entries for devices with no table of their own */
	enum conf_rss_key_kind rss_key_kind;
	uint8_t rss_key[CONF_RSS_KEY_MAX];
	int rss_key_len;		/* 40 or 52 */
	char eal_args[CONF_EAL_ARGS_MAX];	/* split on blanks by the I/O module */
	struct conf_fault fault;	/* fault { ... }: off unless a rate is set */

	int n_netdev;
	struct conf_netdev netdev[CONF_MAX_NETDEV];
	int n_arp;
	struct conf_arp arp[CONF_MAX_ARP];
	int n_route;
	struct conf_route route[CONF_MAX_ROUTE];
};

/* epwget.conf, the application's configuration. */
struct epwget_conf {
	bool url_set;			/* url was given (the command line may give it instead) */
	in_addr_t host;			/* url's host (an address, or a name's from the
					   hosts file), network order */
	char host_name[256];		/* url's host as written when it is a name ("" for an
					   address): the request's Host header */
	uint16_t port;			/* from url host:port, else dest_port, else 80 */
	char path[CONF_PATH_MAX];	/* url path, starting with '/' */
	long total_flows;		/* 0: not set, the application must ask for it */
	int total_concurrency;		/* 0: not set (mOS then runs 100 per core) */
	int core_limit;			/* 0: not set, take the core mask */
	bool keep_alive;		/* keep_alive = 1: requests_per_conn 0 unless -k says */
	/* what each request is (issue 13): built once at start, docs/CONFIGURATION.md */
	char method[CONF_METHOD_MAX];	/* GET (default), HEAD, POST, PUT, DELETE, OPTIONS, PATCH */
	char body_file[CONF_PATH_MAX];	/* "" = no body; POST, PUT and PATCH only */
	int n_headers;			/* header = lines, then -H: a name given again replaces */
	char headers[CONF_HEADERS_MAX][CONF_HEADER_MAX];	/* "Name: value" */
	long requests_per_conn;		/* -k: 1 (default) a connection each, 0 = no limit */
	int pipeline;			/* -P: requests in flight per connection, 1 by default */
	bool close_rst;			/* close = rst (-x rst): abort instead of FIN */
	int expect_status;		/* 1..5: the class Nxx (default 2: 2xx); 100..599: that code */
	bool expect_body;		/* expect_body_bytes was given */
	uint64_t expect_body_bytes;	/* the decoded body every response must have */
	in_addr_t saddr_first;		/* source_addrs (-s): the first, network order */
	uint32_t n_saddr;		/* ...and how many; 0: the netdev's own address */
};

/* Fill a mos_conf with the defaults of mOS (8 KB buffers, 30 s timeout, ...). */
void conf_mos_defaults(struct mos_conf *c);

/* Fill an epwget_conf with its defaults (port 80, no flows yet). */
void conf_epwget_defaults(struct epwget_conf *c);

/*
 * Parse mos.conf at path into c (defaults first). Returns 0, or -errno with
 * a one-line "path:line: message" in err (size errlen; err may be NULL).
 * Errors about the file as a whole ("no netdev", "cannot open") have no
 * line: "path: message". On error c holds defaults and part of the file.
 * Files over CONF_FILE_MAX bytes give -EFBIG.
 */
int conf_mos_load(struct mos_conf *c, const char *path, char *err, size_t errlen);

/* The same from a buffer; name is used in messages in place of a path. */
int conf_mos_parse(struct mos_conf *c, const char *name, const char *text, size_t len,
		   char *err, size_t errlen);

/*
 * Parse epwget.conf at path into c (defaults first); as conf_mos_load. The
 * url's host name, if it has one, is looked up in CONF_HOSTS_PATH, or with
 * conf_epwget_parse_hosts in the hosts file at hosts.
 */
int conf_epwget_load(struct epwget_conf *c, const char *path, char *err, size_t errlen);
int conf_epwget_parse(struct epwget_conf *c, const char *name, const char *text, size_t len,
		      char *err, size_t errlen);
int conf_epwget_parse_hosts(struct epwget_conf *c, const char *name, const char *text,
			    size_t len, const char *hosts, char *err, size_t errlen);

/*
 * Parse a URL "[http://]host[:port][/path]" into c->host, c->port (left as
 * is when the URL names none) and c->path ("/" when empty; a "#fragment" is
 * dropped). host is a dotted IPv4 address or a name looked up in the hosts
 * file at hosts (/etc/hosts' format): a static binary has no NSS, so no DNS.
 * https and other schemes are refused. Returns 0 or -EINVAL with a message
 * (no file:line) in err. conf_parse_url looks names up in CONF_HOSTS_PATH.
 */
#define CONF_HOSTS_PATH "/etc/hosts"
int conf_parse_url_hosts(struct epwget_conf *c, const char *url, const char *hosts, char *err,
			 size_t errlen);
int conf_parse_url(struct epwget_conf *c, const char *url, char *err, size_t errlen);

/*
 * Request settings shared by epwget.conf and the command line: 0 or -EINVAL
 * with a message (no file:line) in err. conf_set_method: one of the seven
 * methods, upper case. conf_add_header: "Name: value" (a token name, a
 * printable value); a header of the same name, case aside, already in c
 * is replaced, else it is added; Content-Length and Transfer-Encoding are
 * refused (the body's size sets the first). conf_set_close: "fin" or "rst".
 * conf_header_name_is: whether header h ("Name: value") is named name.
 */
int conf_set_method(struct epwget_conf *c, const char *m, char *err, size_t errlen);
int conf_add_header(struct epwget_conf *c, const char *h, char *err, size_t errlen);
int conf_set_close(struct epwget_conf *c, const char *v, char *err, size_t errlen);
bool conf_header_name_is(const char *h, const char *name);
/*
 * conf_set_source_addrs: "FIRST" or "FIRST-LAST" (dotted quads, FIRST <=
 * LAST, at most CONF_MAX_SOURCE_ADDRS) into c->saddr_first, c->n_saddr.
 * conf_check_source_addrs: c's source range against mos.conf mc: inside
 * one netdev's subnet, the netdev that routes c->host; not its network or
 * broadcast address; not the server's address; no static ARP entry
 * narrower than the subnet nor a route_table line to another netdev over
 * it. The netdev's index, or -EINVAL with what to change in err.
 */
int conf_set_source_addrs(struct epwget_conf *c, const char *v, char *err, size_t errlen);
int conf_check_source_addrs(const struct mos_conf *mc, const struct epwget_conf *c, char *err,
			    size_t errlen);
/* Whether method m sends a body (POST, PUT, PATCH). */
bool conf_method_has_body(const char *m);

/* Which netdev routes dst (longest prefix first, then the netdev subnets); -1 if none. */
int conf_route_lookup(const struct mos_conf *c, in_addr_t dst);

/* The static ARP entry for dst (longest prefix), or NULL. */
const struct conf_arp *conf_arp_lookup(const struct mos_conf *c, in_addr_t dst);

#endif
