/*
 * ksock.c - a kernel-socket peer for the interoperability tests.
 *
 * The servers that our stack's client talks to (sink, source, echo, rst),
 * a kernel client to check the lab and to measure the kernel against
 * itself, and the test pattern with its hash for scripts. One thread, one
 * epoll loop (edge-triggered for connections), a pool of connection slots
 * carved once at start. Ends after --timeout seconds, on SIGTERM or SIGINT,
 * and, for a server given -k, after that many connections.
 *
 * The pattern is the one the stack's unit tests use: byte i of a stream is
 * (uint8_t)((i * 2654435761u + 7) >> 13), i counted from 0 in 64 bits.
 * Byte i depends on i mod 2^21 only, so one 2 MiB table serves any length.
 * Hashes are XXH64 with seed 0, printed as 16 hex digits.
 *
 * Build: gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror \
 *            -o build/test/ksock test/ksock.c -lxxhash
 * Output: "ready" once listening; one line per closed connection
 * "conn N bytes B xxh64 H" (B, H: the bytes this side sent for a source
 * server or a sink client, else the bytes it received); "total ..." at exit.
 * Exit: 0 done, 1 a connection failed or -k was not reached, 2 usage.
 */
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PAT_PERIOD	(1u << 21)
#define IO_CHUNK	(256u * 1024)
#define MAX_EVENTS	512
#define HDR_MAX		4096
#define SPARE_FDS	64

enum role { R_SINK, R_SOURCE, R_ECHO, R_RST, R_CLIENT, R_HASH, R_GEN };
enum cmode { C_SINK, C_SOURCE, C_ECHO, C_HTTP };

struct opts {
	enum role role;
	enum cmode cmode;
	const char *addr;	/* servers: listen address; client: source address */
	const char *host;	/* client: server address */
	const char *http_path;
	uint16_t port;
	bool port_set, bytes_set, max_set, close_first, quiet;
	uint64_t bytes;
	uint64_t conns;		/* client: connections in all; server: stop after */
	unsigned parallel;
	unsigned max_conns;
	unsigned timeout_s;
};

struct conn {
	int fd;
	bool connected, wr_done, rd_eof, hash_tx;
	uint64_t id;
	uint64_t sent, rcvd;	/* payload bytes; http: request sent, body received */
	uint8_t *pend;		/* echo: bytes read, not yet written back */
	size_t pend_off, pend_len;
	char *hdr;		/* http: the response header so far */
	size_t hdr_len;
	int status;		/* http: -1 until the header is complete */
	XXH64_state_t hash;
	struct conn *next_free;
};

struct kstate {
	struct opts o;
	int ep, lfd;
	struct conn *pool, *free_list;
	unsigned pool_size;
	uint64_t next_id, launched, closed, failed, bytes, open;
	uint64_t want_hash;	/* the pattern's hash over o.bytes */
	char req[512];		/* http request */
	size_t req_len;
	struct timespec start, end;
};

static uint8_t pat[PAT_PERIOD];
static uint8_t iobuf[IO_CHUNK];
static volatile sig_atomic_t stop_sig;

static void usage(FILE *f)
{
	fputs("usage: ksock sink   -p PORT [-a ADDR] [-k CONNS] [-q]\n"
	      "       ksock source -p PORT -n BYTES [-a ADDR] [--close-first] [-k CONNS] [-q]\n"
	      "       ksock echo   -p PORT [-a ADDR] [-k CONNS] [-q]\n"
	      "       ksock rst    -p PORT [-a ADDR] [-k CONNS]\n"
	      "       ksock client -c HOST -p PORT [-n BYTES] [--mode sink|source|echo]\n"
	      "                    [--http PATH] [-k CONNS] [-P PARALLEL] [-a SRCADDR] [-q]\n"
	      "       ksock hash [-n BYTES]   (xxh64 of the pattern, or of stdin without -n)\n"
	      "       ksock gen -n BYTES      (the pattern on stdout)\n"
	      "common: --timeout SECONDS (default 120), --max-conns N (server slots, default 65536,\n"
	      "or what ulimit -n allows)\n"
	      "BYTES take a K, M or G suffix (powers of 1024). Client modes name the server:\n"
	      "sink: send BYTES, then FIN; source: read BYTES; echo: send BYTES, read them back;\n"
	      "--http PATH: GET PATH over HTTP/1.0, -n checks the body against the pattern.\n"
	      "source: after sending, wait for the client's FIN, then close; --close-first:\n"
	      "close right after sending.\n", f);
}

/* ---- command line ------------------------------------------------------- */

static int parse_num(const char *opt, const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	uint64_t mul = 1;

	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (end != s && *end && !end[1]) {
		switch (*end) {
		case 'k': case 'K': mul = 1ull << 10; end++; break;
		case 'm': case 'M': mul = 1ull << 20; end++; break;
		case 'g': case 'G': mul = 1ull << 30; end++; break;
		}
	}
	if (s[0] < '0' || s[0] > '9' || *end || errno) {
		fprintf(stderr, "ksock: %s: '%s' is not a number (ksock -h for usage)\n", opt, s);
		return -1;
	}
	if (v > max / mul) {
		fprintf(stderr, "ksock: %s: %s is out of range (at most %" PRIu64 ")\n", opt, s, max);
		return -1;
	}
	*out = v * mul;
	return 0;
}

/* parse_num for counts that must be 1 or more, into an unsigned */
static int parse_count(const char *opt, const char *s, uint64_t max, unsigned *out)
{
	uint64_t v;

	if (parse_num(opt, s, max, &v))
		return -1;
	if (v == 0) {
		fprintf(stderr, "ksock: %s: give 1 or more\n", opt);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

static int parse_role(const char *s, struct opts *o)
{
	static const char *const names[] = {
		[R_SINK] = "sink", [R_SOURCE] = "source", [R_ECHO] = "echo", [R_RST] = "rst",
		[R_CLIENT] = "client", [R_HASH] = "hash", [R_GEN] = "gen",
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i]) == 0) {
			o->role = (enum role)i;
			return 0;
		}
	fprintf(stderr, "ksock: unknown mode '%s' (sink, source, echo, rst, client, hash, gen)\n", s);
	return -1;
}

static int parse_cmode(const char *s, struct opts *o)
{
	if (strcmp(s, "sink") == 0)
		o->cmode = C_SINK;
	else if (strcmp(s, "source") == 0)
		o->cmode = C_SOURCE;
	else if (strcmp(s, "echo") == 0)
		o->cmode = C_ECHO;
	else {
		fprintf(stderr, "ksock: --mode: '%s' is not sink, source or echo\n", s);
		return -1;
	}
	return 0;
}

static int parse_opt(int c, const char *arg, struct opts *o)
{
	unsigned v;

	switch (c) {
	case 'p':
		if (parse_count("-p", arg, 65535, &v))
			return -1;
		o->port = (uint16_t)v;
		o->port_set = true;
		return 0;
	case 'n':
		o->bytes_set = true;
		return parse_num("-n", arg, UINT64_MAX >> 1, &o->bytes);
	case 'k':
		return parse_num("-k", arg, UINT64_MAX >> 1, &o->conns);
	case 'P': return parse_count("-P", arg, 1000000, &o->parallel);
	case 'T': return parse_count("--timeout", arg, 86400, &o->timeout_s);
	case 'M':
		o->max_set = true;
		return parse_count("--max-conns", arg, 1000000, &o->max_conns);
	case 'a': o->addr = arg; return 0;
	case 'c': o->host = arg; return 0;
	case 'm': return parse_cmode(arg, o);
	case 'H': o->http_path = arg; o->cmode = C_HTTP; return 0;
	case 'C': o->close_first = true; return 0;
	case 'q': o->quiet = true; return 0;
	}
	return -1;
}

static int parse_addr(const char *what, const char *s, uint16_t port, struct sockaddr_in *sa)
{
	*sa = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port) };
	if (inet_pton(AF_INET, s, &sa->sin_addr) == 1)
		return 0;
	fprintf(stderr, "ksock: %s: '%s' is not an IPv4 address (write it as 10.99.1.4)\n", what, s);
	return -1;
}

static int check_opts(const struct opts *o)
{
	bool server = o->role <= R_RST;
	struct sockaddr_in sa;

	if ((server || o->role == R_CLIENT) && !o->port_set)
		fprintf(stderr, "ksock: give the port with -p PORT\n");
	else if (o->role == R_CLIENT && !o->host)
		fprintf(stderr, "ksock: client: give the server with -c HOST (an IPv4 address)\n");
	else if ((o->role == R_SOURCE || o->role == R_GEN) && !o->bytes_set)
		fprintf(stderr, "ksock: give the stream length with -n BYTES\n");
	else if (o->role == R_CLIENT && o->cmode != C_HTTP && !o->bytes_set)
		fprintf(stderr, "ksock: client: give -n BYTES (what to send or expect)\n");
	else if (o->role == R_CLIENT && o->http_path && o->http_path[0] != '/')
		fprintf(stderr, "ksock: --http: the path must start with '/'\n");
	else if (o->host && parse_addr("-c", o->host, 0, &sa))
		return -1;
	else if (o->addr && parse_addr("-a", o->addr, 0, &sa))
		return -1;
	else
		return 0;
	return -1;
}

/* Returns 0 to run, 1 after -h, -1 on a usage error (already reported). */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "http", required_argument, NULL, 'H' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "max-conns", required_argument, NULL, 'M' },
		{ "close-first", no_argument, NULL, 'C' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .parallel = 1, .max_conns = 65536, .timeout_s = 120 };
	if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? -1 : 1;
	}
	if (parse_role(argv[1], o))
		return -1;
	/* argv[1], the mode, stands where getopt expects the program name */
	while ((c = getopt_long(argc - 1, argv + 1, "p:a:n:c:k:P:qh", lo, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 1;
		}
		if (c == '?' || parse_opt(c, optarg, o))
			return -1;
	}
	if (optind < argc - 1) {
		fprintf(stderr, "ksock: unexpected argument '%s'\n", argv[optind + 1]);
		return -1;
	}
	if (o->role == R_CLIENT && o->conns == 0)
		o->conns = 1;
	return check_opts(o);
}

/* ---- the pattern and its hash ------------------------------------------ */

static void pattern_init(void)
{
	for (uint64_t i = 0; i < PAT_PERIOD; i++)
		pat[i] = (uint8_t)((i * 2654435761u + 7) >> 13);
}

static uint64_t pattern_hash(uint64_t n)
{
	XXH64_state_t h;
	uint64_t off = 0;

	XXH64_reset(&h, 0);
	while (off < n) {
		uint64_t len = n - off < PAT_PERIOD ? n - off : PAT_PERIOD;
		XXH64_update(&h, pat, (size_t)len);
		off += len;
	}
	return XXH64_digest(&h);
}

static int cmd_hash(const struct opts *o)
{
	XXH64_state_t h;
	ssize_t r;

	if (o->bytes_set) {
		printf("%016" PRIx64 "\n", pattern_hash(o->bytes));
		return 0;
	}
	XXH64_reset(&h, 0);
	while ((r = read(0, iobuf, sizeof iobuf)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			perror("ksock: hash: reading stdin");
			return 1;
		}
		XXH64_update(&h, iobuf, (size_t)r);
	}
	printf("%016" PRIx64 "\n", XXH64_digest(&h));
	return 0;
}

static int cmd_gen(const struct opts *o)
{
	uint64_t off = 0;

	while (off < o->bytes) {
		uint64_t p = off % PAT_PERIOD, len = PAT_PERIOD - p;
		if (len > o->bytes - off)
			len = o->bytes - off;
		ssize_t w = write(1, pat + p, (size_t)len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			perror("ksock: gen: writing stdout");
			return 1;
		}
		off += (uint64_t)w;
	}
	return 0;
}

/* ---- connection slots --------------------------------------------------- */

/* Raise the descriptor limit towards want. Returns how many descriptors may be open. */
static rlim_t raise_fd_limit(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 1024;
	if (rl.rlim_cur >= want)
		return rl.rlim_cur;
	struct rlimit up = { .rlim_cur = want, .rlim_max = rl.rlim_max > want ? rl.rlim_max : want };
	if (setrlimit(RLIMIT_NOFILE, &up) == 0)	/* root may raise the hard limit too */
		return want;
	rl.rlim_cur = rl.rlim_max;
	return setrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_max : rl.rlim_cur;
}

static int pool_init(struct kstate *k, unsigned n)
{
	rlim_t fds = raise_fd_limit((rlim_t)n + SPARE_FDS);

	if (fds < (rlim_t)n + SPARE_FDS) {
		unsigned fit = fds > 2 * SPARE_FDS ? (unsigned)(fds - SPARE_FDS) : SPARE_FDS;
		if (k->o.max_set || k->o.role == R_CLIENT)	/* the default adapts quietly */
			fprintf(stderr, "ksock: only %llu descriptors allowed (ulimit -n): %u connection "
			"slots instead of %u; raise the limit for more\n",
				(unsigned long long)fds, fit, n);
		n = fit;
	}
	k->pool = calloc(n, sizeof *k->pool);
	if (!k->pool) {
		fprintf(stderr, "ksock: no memory for %u connection slots: lower --max-conns or -P\n", n);
		return -1;
	}
	k->pool_size = n;
	for (unsigned i = n; i-- > 0;) {
		k->pool[i].next_free = k->free_list;
		k->free_list = &k->pool[i];
	}
	return 0;
}

static struct conn *conn_get(struct kstate *k, int fd)
{
	struct conn *c = k->free_list;

	if (!c)
		return NULL;
	k->free_list = c->next_free;
	*c = (struct conn){ .fd = fd, .id = k->next_id++, .status = -1 };
	c->hash_tx = k->o.role == R_SOURCE || (k->o.role == R_CLIENT && k->o.cmode == C_SINK);
	XXH64_reset(&c->hash, 0);
	k->open++;
	return c;
}

static uint64_t stream_bytes(const struct conn *c)
{
	return c->hash_tx ? c->sent : c->rcvd;
}

/* Close the connection, print its line, give its slot back. err: why it failed, or NULL. */
static void conn_close(struct kstate *k, struct conn *c, const char *err)
{
	bool http = k->o.role == R_CLIENT && k->o.cmode == C_HTTP;

	if (!k->o.quiet || err) {
		printf("conn %" PRIu64, c->id);
		if (http)
			printf(" status %d", c->status);
		printf(" bytes %" PRIu64 " xxh64 %016" PRIx64, stream_bytes(c), XXH64_digest(&c->hash));
		if (err)
			printf(" error %s", err);
		putchar('\n');
	}
	if (c->fd >= 0)		/* after the line: a script that saw the close finds it */
		close(c->fd);
	k->closed++;
	k->failed += err != NULL;
	k->bytes += stream_bytes(c);
	k->open--;
	free(c->pend);
	free(c->hdr);
	c->pend = NULL;
	c->hdr = NULL;
	c->next_free = k->free_list;
	k->free_list = c;
}

/* ---- byte moving ---------------------------------------------------------- */

/* Send the pattern up to byte n. Returns 1 when all is sent, 0 when the socket is full, -errno. */
static int send_pattern(struct conn *c, uint64_t n)
{
	while (c->sent < n) {
		uint64_t p = c->sent % PAT_PERIOD, len = PAT_PERIOD - p;
		if (len > n - c->sent)
			len = n - c->sent;
		ssize_t w = send(c->fd, pat + p, (size_t)len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		if (c->hash_tx)
			XXH64_update(&c->hash, pat + p, (size_t)w);
		c->sent += (uint64_t)w;
	}
	return 1;
}

/* HTTP: collect the header, then hash the body. */
static void http_data(struct conn *c, const uint8_t *p, size_t n)
{
	if (c->status < 0) {
		size_t before = c->hdr_len, take = HDR_MAX - c->hdr_len;
		if (take > n)
			take = n;
		memcpy(c->hdr + c->hdr_len, p, take);
		c->hdr_len += take;
		char *end = memmem(c->hdr, c->hdr_len, "\r\n\r\n", 4);
		if (!end) {
			if (c->hdr_len == HDR_MAX)
				c->status = 0;		/* header too long: no status */
			return;
		}
		size_t hdr_end = (size_t)(end + 4 - c->hdr);
		c->hdr[hdr_end - 1] = '\0';
		if (sscanf(c->hdr, "HTTP/%*d.%*d %d", &c->status) != 1)
			c->status = 0;
		p += hdr_end - before;
		n -= hdr_end - before;
	}
	XXH64_update(&c->hash, p, n);
	c->rcvd += n;
}

static void on_data(struct kstate *k, struct conn *c, const uint8_t *p, size_t n)
{
	if (k->o.role == R_CLIENT && k->o.cmode == C_HTTP) {
		http_data(c, p, n);
		return;
	}
	if (!c->hash_tx)
		XXH64_update(&c->hash, p, n);
	c->rcvd += n;
}

/* Read until the socket is empty. Returns 1 at EOF, 0 when empty, -errno. */
static int drain(struct kstate *k, struct conn *c)
{
	while (!c->rd_eof) {
		ssize_t r = recv(c->fd, iobuf, sizeof iobuf, 0);
		if (r > 0)
			on_data(k, c, iobuf, (size_t)r);
		else if (r == 0)
			c->rd_eof = true;
		else if (errno != EINTR)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
	}
	return 1;
}

/* Echo: write back what waits. Returns 1 when nothing waits, 0 when the socket is full, -errno. */
static int flush_pend(struct conn *c)
{
	while (c->pend_off < c->pend_len) {
		ssize_t w = send(c->fd, c->pend + c->pend_off, c->pend_len - c->pend_off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		c->pend_off += (size_t)w;
	}
	free(c->pend);
	c->pend = NULL;
	c->pend_off = c->pend_len = 0;
	return 1;
}

static int keep_pend(struct conn *c, const uint8_t *p, size_t n)
{
	c->pend = malloc(n);
	if (!c->pend)
		return -ENOMEM;
	memcpy(c->pend, p, n);
	c->pend_off = 0;
	c->pend_len = n;
	return 0;
}

/* ---- servers ------------------------------------------------------------ */

/* Each step returns 1 when the connection is done, 0 to wait, -errno on failure. */
static int sink_step(struct kstate *k, struct conn *c)
{
	return drain(k, c);
}

static int source_step(struct kstate *k, struct conn *c)
{
	int r = send_pattern(c, k->o.bytes);

	if (r < 0)
		return r;
	if (r == 1 && !c->wr_done) {
		c->wr_done = true;
		if (k->o.close_first) {
			shutdown(c->fd, SHUT_WR);
			return 1;
		}
	}
	r = drain(k, c);		/* the client's FIN; anything it sends is counted, not hashed */
	if (r < 0)
		return r;
	return c->wr_done && c->rd_eof;
}

static int echo_step(struct kstate *k, struct conn *c)
{
	(void)k;
	for (;;) {
		int r = flush_pend(c);
		if (r <= 0 || c->rd_eof)
			return r;
		ssize_t n = recv(c->fd, iobuf, sizeof iobuf, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
		c->rd_eof = n == 0;
		XXH64_update(&c->hash, iobuf, (size_t)n);
		c->rcvd += (uint64_t)n;
		ssize_t w = n ? send(c->fd, iobuf, (size_t)n, MSG_NOSIGNAL) : 0;
		if (w < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				return -errno;
			w = 0;
		}
		if (w < n && (r = keep_pend(c, iobuf + w, (size_t)(n - w))))
			return r;
	}
}

static void server_event(struct kstate *k, struct conn *c)
{
	int r;

	switch (k->o.role) {
	case R_SINK: r = sink_step(k, c); break;
	case R_SOURCE: r = source_step(k, c); break;
	default: r = echo_step(k, c); break;
	}
	if (r != 0)
		conn_close(k, c, r < 0 ? strerror(-r) : NULL);
}

static void rst_close(struct kstate *k, int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct conn *c = conn_get(k, fd);

	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg))
		perror("ksock: rst: SO_LINGER");
	if (c) {
		conn_close(k, c, NULL);
	} else {
		close(fd);
		k->closed++;
	}
}

static void on_accept(struct kstate *k)
{
	for (;;) {
		int fd = accept4(k->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				perror("ksock: accept (out of descriptors? raise ulimit -n)");
			return;
		}
		if (k->o.role == R_RST) {
			rst_close(k, fd);
			continue;
		}
		struct conn *c = conn_get(k, fd);
		struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
					  .data.ptr = c };
		if (!c) {
			fprintf(stderr, "ksock: all %u slots busy, connection refused: raise --max-conns\n",
				k->pool_size);
			close(fd);
		} else if (epoll_ctl(k->ep, EPOLL_CTL_ADD, fd, &ev)) {
			conn_close(k, c, strerror(errno));
		}
	}
}

static int listen_on(struct kstate *k)
{
	struct sockaddr_in sa;
	int one = 1;

	if (parse_addr("-a", k->o.addr ? k->o.addr : "0.0.0.0", k->o.port, &sa))
		return -1;
	k->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (k->lfd < 0 || setsockopt(k->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one)) {
		perror("ksock: socket");
		return -1;
	}
	if (bind(k->lfd, (struct sockaddr *)&sa, sizeof sa) || listen(k->lfd, 4096)) {
		fprintf(stderr, "ksock: listen on %s:%u: %s (is another server there? is the "
			"address on an interface of this namespace?)\n",
			k->o.addr ? k->o.addr : "0.0.0.0", k->o.port, strerror(errno));
		return -1;
	}
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	if (epoll_ctl(k->ep, EPOLL_CTL_ADD, k->lfd, &ev)) {
		perror("ksock: epoll_ctl");
		return -1;
	}
	return 0;
}

/* ---- client ------------------------------------------------------------- */

static int client_connect(struct kstate *k, struct conn *c)
{
	struct sockaddr_in dst, src;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
				  .data.ptr = c };

	parse_addr("-c", k->o.host, k->o.port, &dst);		/* checked by check_opts */
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (k->o.addr) {
		parse_addr("-a", k->o.addr, 0, &src);
		if (bind(c->fd, (struct sockaddr *)&src, sizeof src))
			return -errno;
	}
	if (connect(c->fd, (struct sockaddr *)&dst, sizeof dst) && errno != EINPROGRESS)
		return -errno;
	if (epoll_ctl(k->ep, EPOLL_CTL_ADD, c->fd, &ev))
		return -errno;
	if (k->o.cmode == C_HTTP && !(c->hdr = malloc(HDR_MAX)))
		return -ENOMEM;
	return 0;
}

/* Open connections until -P are open or -k were opened. Never recurses into itself. */
static void client_fill(struct kstate *k)
{
	struct conn *c;

	while (k->launched < k->o.conns && (c = conn_get(k, -1))) {
		k->launched++;
		int r = client_connect(k, c);
		if (r)
			conn_close(k, c, strerror(-r));
	}
}

static int client_send(struct kstate *k, struct conn *c)
{
	int r = 1;

	if (c->wr_done)
		return 0;
	if (k->o.cmode == C_SINK || k->o.cmode == C_ECHO) {
		r = send_pattern(c, k->o.bytes);
		if (r == 1 && shutdown(c->fd, SHUT_WR))
			return -errno;
	} else if (k->o.cmode == C_HTTP) {
		while (c->sent < k->req_len && r == 1) {
			ssize_t w = send(c->fd, k->req + c->sent, k->req_len - c->sent, MSG_NOSIGNAL);
			if (w < 0 && errno != EINTR)
				r = errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -errno;
			c->sent += w > 0 ? (uint64_t)w : 0;
		}
	}
	c->wr_done = r == 1;
	return r < 0 ? r : 0;
}

/* What was wrong with a finished connection, or NULL. */
static const char *client_verdict(const struct kstate *k, const struct conn *c)
{
	bool check = k->o.cmode != C_SINK && (k->o.cmode != C_HTTP || k->o.bytes_set);

	if (k->o.cmode == C_SINK && c->sent != k->o.bytes)
		return "sent short";
	if (k->o.cmode == C_HTTP && c->status != 200)
		return "no HTTP 200";
	if (check && c->rcvd != k->o.bytes)
		return "wrong byte count";
	if (check && XXH64_digest(&c->hash) != k->want_hash)
		return "hash mismatch";
	return NULL;
}

static void client_event(struct kstate *k, struct conn *c)
{
	int r = 0;

	if (!c->connected) {
		socklen_t len = sizeof r;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &r, &len) == 0 && r) {
			conn_close(k, c, strerror(r));
			return;
		}
		c->connected = true;
	}
	r = client_send(k, c);
	if (r == 0)
		r = drain(k, c);
	if (r < 0)
		conn_close(k, c, strerror(-r));
	else if (c->rd_eof || (k->o.cmode == C_SOURCE && c->rcvd >= k->o.bytes))
		conn_close(k, c, client_verdict(k, c));
}

/* ---- the loop ----------------------------------------------------------- */

static double secs_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static void on_signal(int sig)
{
	stop_sig = sig;
}

static void set_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal }, old;	/* no SA_RESTART: epoll_wait returns */

	sigemptyset(&sa.sa_mask);
	/* a shell starts background jobs with SIGINT ignored: keep it so */
	if (sigaction(SIGINT, NULL, &old) == 0 && old.sa_handler != SIG_IGN)
		sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int run_loop(struct kstate *k)
{
	static struct epoll_event ev[MAX_EVENTS];
	bool client = k->o.role == R_CLIENT;

	for (;;) {
		if (client)
			client_fill(k);
		if (client ? k->closed == k->o.conns : k->o.conns && k->closed >= k->o.conns)
			break;
		if (stop_sig)
			break;
		double left = k->o.timeout_s - secs_since(&k->start);
		if (left <= 0)
			break;
		int n = epoll_wait(k->ep, ev, MAX_EVENTS, left > 0.5 ? 500 : (int)(left * 1000) + 1);
		if (n < 0 && errno != EINTR) {
			perror("ksock: epoll_wait");
			return -1;
		}
		for (int i = 0; i < n; i++) {
			struct conn *c = ev[i].data.ptr;
			if (!c)
				on_accept(k);
			else if (client)
				client_event(k, c);
			else
				server_event(k, c);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &k->end);
	return 0;
}

/* ---- main ----------------------------------------------------------------- */

static int report(struct kstate *k)
{
	double secs = (double)(k->end.tv_sec - k->start.tv_sec) +
		      (double)(k->end.tv_nsec - k->start.tv_nsec) / 1e9;
	const char *why = stop_sig ? "stopped by a signal" : "timed out (--timeout)";

	if (k->o.role != R_CLIENT) {
		printf("total conns %" PRIu64 " bytes %" PRIu64 "\n", k->closed, k->bytes);
		if (k->open)
			fprintf(stderr, "ksock: %" PRIu64 " connections still open at exit\n", k->open);
		if (k->o.conns && k->closed < k->o.conns) {
			fprintf(stderr, "ksock: %s after %" PRIu64 " of %" PRIu64 " connections\n",
				why, k->closed, k->o.conns);
			return 1;
		}
		return 0;
	}
	uint64_t unfinished = k->o.conns - k->closed;
	printf("total conns %" PRIu64 " bytes %" PRIu64 " failed %" PRIu64 " secs %.3f "
	       "conns/s %.0f MB/s %.1f\n", k->closed, k->bytes, k->failed + unfinished, secs,
	       secs > 0 ? (double)k->closed / secs : 0.0,
	       secs > 0 ? (double)k->bytes / secs / 1e6 : 0.0);
	if (unfinished)
		fprintf(stderr, "ksock: client %s with %" PRIu64 " connections unfinished (is the "
			"server there? a longer --timeout?)\n", why, unfinished);
	return k->failed || unfinished;
}

static int setup(struct kstate *k)
{
	k->ep = epoll_create1(EPOLL_CLOEXEC);
	if (k->ep < 0) {
		perror("ksock: epoll_create1");
		return -1;
	}
	if (k->o.role != R_CLIENT)
		return pool_init(k, k->o.max_conns) || listen_on(k) ? -1 : 0;
	if (k->o.http_path)
		k->req_len = (size_t)snprintf(k->req, sizeof k->req, "GET %.400s HTTP/1.0\r\nHost: %s\r\n"
					      "User-Agent: ksock\r\n\r\n", k->o.http_path, k->o.host);
	k->want_hash = pattern_hash(k->o.bytes);
	return pool_init(k, k->o.parallel < k->o.conns ? k->o.parallel : (unsigned)k->o.conns);
}

int main(int argc, char **argv)
{
	static struct kstate k = { .lfd = -1 };
	int r = parse_args(argc, argv, &k.o);

	if (r)
		return r > 0 ? 0 : 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	pattern_init();
	if (k.o.role == R_HASH)
		return cmd_hash(&k.o);
	if (k.o.role == R_GEN)
		return cmd_gen(&k.o);
	set_signals();
	clock_gettime(CLOCK_MONOTONIC, &k.start);
	if (setup(&k))
		return 1;
	if (k.o.role != R_CLIENT)
		puts("ready");
	if (run_loop(&k))
		return 1;
	return report(&k);
}
