/*
 * hostile_srv.c - misbehaving servers for test/e2e_hostile.sh, two kinds.
 *
 * A kernel-socket HTTP server (one thread per connection) that reads the
 * request and answers with whatever -r says, as slowly as -d says, resets
 * where --rst says, or sends a header that never ends:
 *
 *   hostile_srv http -a ADDR -p PORT [-r RESPONSE] [-d MS [-s FROM]] [--hold]
 *                    [--rst N] [--endless] [--line BYTES] [--chunked]
 *
 *   -r RESPONSE   the bytes to send, with C escapes (\r \n \\ \xHH); default
 *                 "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\nhello"
 *   -d MS -s FROM bytes from offset FROM on go one at a time, MS apart
 *   --hold        after the response, wait for the client to close first
 *                 (its side then holds TIME_WAIT); default: close at once
 *   --rst N       reset instead of closing: N = -1 before reading the
 *                 request, else after the first N bytes of the response are
 *                 acknowledged (SO_LINGER 0)
 *   --rst-now N   the same, right after writing them (data and RST back to back)
 *   --endless     after the response, header lines for ever
 *   --line BYTES  after the response, one header line of BYTES bytes, then
 *                 the empty line
 *   --pause P     with --endless or --line: stop for 300 ms once P bytes
 *                 are out in all, then go on
 *   --every K RESPONSE2
 *                 every K-th connection (accept order) answers RESPONSE2
 *                 instead and waits for the client to close first (--hold)
 *   --chunked     the response is CHUNKED_HDR and three chunks: 1000 bytes
 *                 of 'c', the alphabet (with the extension ";name=value"),
 *                 "hello", then the last chunk and a trailer field:
 *                 CHUNKED_BODY bytes once decoded. It goes out in five
 *                 writes 20 ms apart, cut inside the framing and the data
 *                 (unless -d: then as -d says)
 *   --body-hash   read the request's body (Content-Length bytes), say
 *                 "body LEN FNV1A64 METHOD" and answer "LEN FNV1A64" (200,
 *                 with Content-Length); -r and the options above are unused
 *
 * A raw peer on an AF_PACKET socket, for what kernel sockets will not do
 * (the kernel of its namespace does not own ADDR, so it stays out):
 *
 *   hostile_srv raw -i IFACE -a ADDR -p PORT MODE
 *
 *   badack    the first SYN-ACK of each connection acknowledges a wrong
 *             number; the client must answer <SEQ=SEG.ACK><CTL=RST> and
 *             try again (RFC 9293 3.10.7.3); then a normal response
 *   oow       before the response: data far beyond the window, old data
 *             before it, and data straddling its right edge
 *   overlap   the response in three overlapping segments whose common
 *             bytes differ: the client must keep the bytes it got first
 *   afterfin  a response framed by the close, then data after the FIN
 *   rstseq    before the response: resets whose sequence numbers are in the
 *             window but not RCV.NXT (challenge ACK expected, RFC 5961 3.2)
 *             and outside it (ignored)
 *   zerowin   a window of 0 from the SYN-ACK on, for ever
 *   nosyn     no answer to any SYN
 *
 * The normal response of the raw peer is RAW_HDR RAW_BODY, then a FIN.
 * Output: "ready" once listening; one line per event worth checking
 * ("badack rst ok", "oow acked ok", "challenge ack ok", "syn", "probe"...);
 * "conn N" when a connection ends. Runs until SIGTERM or SIGINT.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RESP_MAX	4096
#define REQ_MAX		8192
#define RAW_CONNS	256
#define RAW_HDR		"HTTP/1.0 200 OK\r\nContent-Length: 16\r\n\r\n"
#define RAW_BODY	"0123456789ABCDEF"
#define CHUNKED_HDR	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
#define CHUNKED_BODY	1031	/* decoded: 1000 + 26 + 5 */
#define CHUNKED_PIECES	5

static volatile sig_atomic_t stop;

struct opts {
	const char *addr, *iface, *mode;
	uint16_t port;
	char resp[RESP_MAX];
	size_t resp_len;
	long delay_ms, slow_from;
	long rst_after;		/* -2: no reset */
	bool rst_now;		/* do not wait for the ACK of the response first */
	bool hold, endless;
	long line;
	long pause_at;		/* --pause: bytes after which the padding stops for 300 ms */
	bool body_hash;		/* --body-hash */
	long every;		/* --every K: each K-th connection answers resp2 and holds */
	char resp2[RESP_MAX];
	size_t resp2_len;
	size_t piece[CHUNKED_PIECES];	/* --chunked: where each write ends */
	bool chunked;
};

static struct opts o = { .rst_after = -2 };
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long conns;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line on stdout, flushed: the test reads it while we run. */
static void say(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&out_lock);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

static void usage(void)
{
	fputs("usage: hostile_srv http -a ADDR -p PORT [-r RESPONSE] [-d MS [-s FROM]] [--hold]\n"
	      "                        [--rst N | --rst-now N] [--endless] [--line BYTES]\n"
	      "                        [--pause P] [--every K RESPONSE2] [--chunked] [--body-hash]\n"
	      "       hostile_srv raw -i IFACE -a ADDR -p PORT "
	      "badack|oow|overlap|afterfin|rstseq|zerowin|nosyn\n"
	      "(the file's opening comment says what each does)\n", stderr);
}

/* --chunked: the response in o.resp, and where its writes end */
static void chunked_response(void)
{
	static const char *const parts[] = {
		CHUNKED_HDR "3e8\r\n", NULL, "\r\n1a;name=value\r\nabcdefghijklmnopqrstuvwxyz",
		"\r\n5\r\nhello\r\n0\r\nX-Checksum: none\r\n\r\n",
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (parts[i] == NULL) {	/* the 1000 bytes of the first chunk */
			memset(o.resp + n, 'c', 1000);
			n += 1000;
		} else {
			memcpy(o.resp + n, parts[i], strlen(parts[i]));
			n += strlen(parts[i]);
		}
	}
	o.resp_len = n;
	/* cut in the size line, in the data, in the extension, in the CRLF, at the end */
	o.piece[0] = strlen(CHUNKED_HDR) + 2;
	o.piece[1] = strlen(CHUNKED_HDR) + 5 + 500;
	o.piece[2] = strlen(CHUNKED_HDR) + 5 + 1000 + 2 + 7;
	o.piece[3] = strlen(CHUNKED_HDR) + 5 + 1000 + 2 + 15 + 26 + 1;
	o.piece[4] = n;
	o.chunked = true;
}

/* C escapes of s into out (RESP_MAX bytes), its length in *len: \r \n \t \\ \xHH. */
static int unescape(const char *s, char *out, size_t *len)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		char c = *s;

		if (n == RESP_MAX)
			return -1;
		if (c == '\\' && s[1] != '\0') {
			c = *++s;
			if (c == 'r')
				c = '\r';
			else if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
			else if (c == 'x' && s[1] != '\0' && s[2] != '\0') {
				char hex[3] = { s[1], s[2], 0 };

				c = (char)strtol(hex, NULL, 16);
				s += 2;
			}
		}
		out[n++] = c;
	}
	*len = n;
	return 0;
}

static int parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "hold", no_argument, NULL, 'H' },
		{ "rst", required_argument, NULL, 'R' },
		{ "rst-now", required_argument, NULL, 'N' },
		{ "endless", no_argument, NULL, 'E' },
		{ "line", required_argument, NULL, 'L' },
		{ "pause", required_argument, NULL, 'P' },
		{ "every", required_argument, NULL, 'K' },
		{ "chunked", no_argument, NULL, 'C' },
		{ "body-hash", no_argument, NULL, 'B' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	if (argc < 2)
		return -1;
	o.mode = argv[1];
	unescape("HTTP/1.0 200 OK\\r\\nContent-Length: 5\\r\\n\\r\\nhello", o.resp, &o.resp_len);
	optind = 2;
	while ((c = getopt_long(argc, argv, "a:p:i:r:d:s:", lo, NULL)) != -1) {
		switch (c) {
		case 'a': o.addr = optarg; break;
		case 'p': o.port = (uint16_t)atoi(optarg); break;
		case 'i': o.iface = optarg; break;
		case 'r':
			if (unescape(optarg, o.resp, &o.resp_len) != 0) {
				fprintf(stderr, "hostile_srv: -r: longer than %d bytes\n", RESP_MAX);
				return -1;
			}
			break;
		case 'd': o.delay_ms = atol(optarg); break;
		case 's': o.slow_from = atol(optarg); break;
		case 'H': o.hold = true; break;
		case 'R': o.rst_after = atol(optarg); break;
		case 'N': o.rst_after = atol(optarg); o.rst_now = true; break;
		case 'E': o.endless = true; break;
		case 'L': o.line = atol(optarg); break;
		case 'P': o.pause_at = atol(optarg); break;
		case 'C': chunked_response(); break;
		case 'B': o.body_hash = true; break;
		case 'K':
			o.every = atol(optarg);
			if (o.every < 1 || optind >= argc ||
			    unescape(argv[optind++], o.resp2, &o.resp2_len) != 0) {
				fprintf(stderr, "hostile_srv: --every K RESPONSE2: K >= 1, "
					"RESPONSE2 at most %d bytes\n", RESP_MAX);
				return -1;
			}
			break;
		default: return -1;
		}
	}
	if (o.addr == NULL || o.port == 0)
		return -1;
	if (strcmp(o.mode, "raw") == 0) {
		if (o.iface == NULL || optind != argc - 1)
			return -1;
		o.mode = argv[optind];
		return 1;
	}
	return strcmp(o.mode, "http") == 0 && optind == argc ? 0 : -1;
}

/* ---- the kernel-socket server --------------------------------------------- */

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !stop)
		;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read until the empty line that ends the request; -1 when the client went first. */
static int read_request(int fd)
{
	char buf[REQ_MAX];
	size_t n = 0;

	while (n < sizeof(buf) - 1) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		n += (size_t)r;
		buf[n] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL)
			return 0;
	}
	return -1;
}

/* Wait until the client acknowledged everything we sent (SIOCOUTQ 0), 10 s at most. */
static void wait_acked(int fd)
{
	int q = 1;

	for (int i = 0; i < 10000 && !stop; i++) {
		if (ioctl(fd, SIOCOUTQ, &q) != 0 || q == 0)
			return;
		sleep_ms(1);
	}
}

static void reset(int fd)
{
	struct linger l = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

/* The response, bytes from slow_from on one at a time when -d is given. */
static int send_response(int fd, size_t len)
{
	size_t fast = o.delay_ms > 0 && (size_t)o.slow_from < len ? (size_t)o.slow_from : len;

	if (o.chunked && o.delay_ms == 0) {	/* each piece its own write, 20 ms apart */
		size_t at = 0;

		for (int i = 0; i < CHUNKED_PIECES && at < len && !stop; i++) {
			size_t end = o.piece[i] < len ? o.piece[i] : len;

			if (i > 0)
				sleep_ms(20);
			if (write_all(fd, o.resp + at, end - at) != 0)
				return -1;
			at = end;
		}
		return 0;
	}
	if (write_all(fd, o.resp, fast) != 0)
		return -1;
	for (size_t i = fast; i < len && !stop; i++) {
		sleep_ms(o.delay_ms);
		if (write_all(fd, o.resp + i, 1) != 0)
			return -1;
	}
	return 0;
}

/*
 * Padding bytes after a response of `sent` bytes: with --pause P, the
 * stream stops for 300 ms once P bytes are out in all (so the client can
 * read everything up to there, then close on an empty buffer).
 */
static int write_padding(int fd, const char *p, size_t n, size_t *sent)
{
	if (o.pause_at > 0 && *sent < (size_t)o.pause_at && *sent + n >= (size_t)o.pause_at) {
		size_t k = (size_t)o.pause_at - *sent;

		if (write_all(fd, p, k) != 0)
			return -1;
		*sent += k;
		p += k;
		n -= k;
		sleep_ms(300);
	}
	*sent += n;
	return write_all(fd, p, n);
}

static int send_padding(int fd)
{
	static char line[65536];
	size_t sent = o.resp_len;

	memset(line, 'a', sizeof(line));
	memcpy(line, "X-Pad: ", 7);
	if (o.line > 0) {
		for (long left = o.line; left > 0; left -= (long)sizeof(line))
			if (write_padding(fd, line, left < (long)sizeof(line) ? (size_t)left :
					  sizeof(line), &sent) != 0)
				return -1;
		return write_padding(fd, "\r\n\r\n", 4, &sent);
	}
	memcpy(line + 78, "\r\n", 2);
	while (!stop)
		if (write_padding(fd, line, 80, &sent) != 0)
			return -1;
	return 0;
}

/*
 * --body-hash: the request's header, then Content-Length bytes of body,
 * hashed (FNV-1a, 64 bits) as they come; "body LEN HASH METHOD" said and
 * answered. -1 when the client went before the end.
 */
static int hash_body(int fd)
{
	static _Thread_local char buf[65536];
	char method[16] = "", resp[128];
	unsigned long long h = 0xcbf29ce484222325ULL;
	size_t n = 0, len = 0, got = 0, hdr;
	char *end, *cl;
	ssize_t r;
	int k;

	for (;;) {
		r = read(fd, buf + n, sizeof(buf) - 1 - n);
		if (r <= 0)
			return -1;
		n += (size_t)r;
		buf[n] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
		if (n == sizeof(buf) - 1)
			return -1;
	}
	hdr = (size_t)(end - buf) + 4;
	sscanf(buf, "%15s", method);
	*end = '\0';
	cl = strcasestr(buf, "\r\nContent-Length:");
	if (cl != NULL)
		len = strtoul(cl + 17, NULL, 10);
	for (size_t i = hdr; i < n && got < len; i++, got++)
		h = (h ^ (unsigned char)buf[i]) * 0x100000001b3ULL;
	while (got < len) {
		r = read(fd, buf, sizeof(buf) < len - got ? sizeof(buf) : len - got);
		if (r <= 0)
			return -1;
		for (ssize_t i = 0; i < r; i++)
			h = (h ^ (unsigned char)buf[i]) * 0x100000001b3ULL;
		got += (size_t)r;
	}
	say("body %zu %016llx %s", got, h, method);
	k = snprintf(resp, sizeof(resp), "%zu %016llx", got, h);
	n = (size_t)snprintf(buf, sizeof(buf), "HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s",
			     k, resp);
	return write_all(fd, buf, n);
}

/* arg: the socket times 2, plus 1 for an --every connection */
static void *serve(void *arg)
{
	int fd = (int)((intptr_t)arg >> 1);
	char c;
	const char *how = "closed";

	if ((intptr_t)arg & 1) {	/* RESPONSE2, then the client closes first */
		if (read_request(fd) != 0 || write_all(fd, o.resp2, o.resp2_len) != 0) {
			how = "write failed (client gone)";
		} else {
			while (read(fd, &c, 1) > 0)
				;
			how = "held until the client closed";
		}
		close(fd);
		goto out;
	}
	if (o.body_hash) {
		how = hash_body(fd) == 0 ? "closed" : "client went before its body ended";
		close(fd);
		goto out;
	}
	if (o.rst_after == -1) {
		reset(fd);
		how = "reset before the request";
		goto out;
	}
	if (read_request(fd) != 0) {
		close(fd);
		how = "client went before its request ended";
		goto out;
	}
	if (o.rst_after >= 0) {
		size_t n = (size_t)o.rst_after < o.resp_len ? (size_t)o.rst_after : o.resp_len;

		if (send_response(fd, n) == 0 && !o.rst_now)
			wait_acked(fd);
		reset(fd);
		how = "reset";
		goto out;
	}
	if (send_response(fd, o.resp_len) != 0 || ((o.endless || o.line > 0) && send_padding(fd))) {
		how = "write failed (client gone)";
		close(fd);
		goto out;
	}
	if (o.hold) {	/* the client closes first */
		while (read(fd, &c, 1) > 0)
			;
		how = "held until the client closed";
	}
	close(fd);
out:
	pthread_mutex_lock(&out_lock);
	conns++;
	pthread_mutex_unlock(&out_lock);
	say("conn %s", how);
	return NULL;
}

static int run_http(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(o.port) };
	pthread_attr_t attr;
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM, 0);

	if (lfd < 0 || inet_pton(AF_INET, o.addr, &sa.sin_addr) != 1)
		return 2;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 4096) != 0) {
		perror("hostile_srv: bind/listen");
		return 2;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	say("ready");
	for (unsigned long accepted = 0; !stop;) {
		pthread_t t;
		int fd = accept(lfd, NULL, NULL);
		intptr_t every;

		if (fd < 0)
			continue;	/* EINTR from the stop signal, or a client gone already */
		accepted++;
		every = o.every > 0 && accepted % (unsigned long)o.every == 0;
		if (pthread_create(&t, &attr, serve, (void *)((intptr_t)fd * 2 + every)) != 0) {
			reset(fd);
			say("conn refused: no thread");
		}
	}
	say("total conns %lu", conns);
	return 0;
}

/* ---- the raw peer ------------------------------------------------------------ */

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

struct rconn {
	bool used;
	uint16_t cport;		/* the client's port, host order */
	uint8_t cmac[6];
	uint8_t caddr[4];	/* the client's address, network order */
	uint32_t rcv_nxt;	/* the client's sequence space */
	uint32_t iss, snd_nxt;	/* ours */
	uint16_t peer_wnd;	/* the window the client last offered (unscaled: no option) */
	int synacks;
	bool req_done, fin_sent, bad_ack_sent;
	bool wait_ack;		/* oow, rstseq: the response waits for the client's ACK */
	uint32_t bad_ack;
	char req[REQ_MAX];
	size_t req_len;
};

static struct {
	int fd, ifindex;
	uint8_t mac[6];
	in_addr_t addr;
	struct rconn c[RAW_CONNS];
	uint32_t next_iss;
} raw;

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p) { return (uint32_t)get16(p) << 16 | get16(p + 2); }

/* One segment to the client of c: flags, seq, ack, window, payload. */
static void xmit(const struct rconn *c, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t wnd,
		 const void *data, size_t len)
{
	uint8_t f[1514];
	uint8_t *ip = f + 14, *th = ip + 20;
	size_t thl = (flags & F_SYN) ? 24 : 20;
	size_t tot = 20 + thl + len;
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = raw.ifindex,
				  .sll_halen = 6 };
	uint32_t sum;

	if (14 + tot > sizeof(f))
		return;
	memset(f, 0, 14 + tot);
	memcpy(f, c->cmac, 6);
	memcpy(f + 6, raw.mac, 6);
	put16(f + 12, ETHERTYPE_IP);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)tot);
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	memcpy(ip + 12, &raw.addr, 4);
	memcpy(ip + 16, c->caddr, 4);
	put16(ip + 10, fold(sum16(ip, 20, 0)));
	put16(th, o.port);
	put16(th + 2, c->cport);
	put32(th + 4, seq);
	put32(th + 8, ack);
	th[12] = (uint8_t)((thl / 4) << 4);
	th[13] = flags;
	put16(th + 14, wnd);
	if (flags & F_SYN) {	/* MSS 1460 only: no timestamps, scaling or SACK */
		th[20] = 2;
		th[21] = 4;
		put16(th + 22, 1460);
	}
	memcpy(th + thl, data, len);
	sum = sum16(ip + 12, 8, 0) + IPPROTO_TCP + (uint32_t)(thl + len);
	put16(th + 16, fold(sum16(th, thl + len, sum)));
	memcpy(to.sll_addr, c->cmac, 6);
	if (sendto(raw.fd, f, 14 + tot, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		say("sendto: %s", strerror(errno));
}

static uint16_t mode_window(void)
{
	return strcmp(o.mode, "zerowin") == 0 ? 0 : 65535;
}

static void ack(struct rconn *c)
{
	xmit(c, F_ACK, c->snd_nxt, c->rcv_nxt, mode_window(), NULL, 0);
}

/* Data at our sequence offset off from the first response byte (not moving snd_nxt). */
static void data_at(struct rconn *c, uint32_t base, size_t off, const char *p, size_t n, uint8_t fl)
{
	xmit(c, F_ACK | F_PSH | fl, base + (uint32_t)off, c->rcv_nxt, mode_window(), p, n);
}

/* The response: RAW_HDR RAW_BODY and a FIN, as the mode cuts and garbles it. */
static void respond(struct rconn *c)
{
	static const char resp[] = RAW_HDR RAW_BODY;
	const size_t hl = sizeof(RAW_HDR) - 1, rl = sizeof(resp) - 1;
	uint32_t base = c->snd_nxt;

	if (strcmp(o.mode, "overlap") == 0) {
		/* header + "0123"; body[8..12) "wxyz" out of order; body[0..16) with other bytes */
		data_at(c, base, 0, resp, hl + 4, 0);
		data_at(c, base, hl + 8, "wxyz", 4, 0);
		data_at(c, base, hl, "ZZZZ456789ABCDEF", 16, 0);
	} else if (strcmp(o.mode, "afterfin") == 0) {
		/* framed by the close: no Content-Length; then data after the FIN */
		static const char r2[] = "HTTP/1.0 200 OK\r\n\r\n" RAW_BODY;

		data_at(c, base, 0, r2, sizeof(r2) - 1, F_FIN);
		c->snd_nxt = base + (uint32_t)sizeof(r2) - 1 + 1;
		c->fin_sent = true;
		data_at(c, c->snd_nxt, 0, "EXTRA", 5, 0);	/* after the FIN */
		data_at(c, c->snd_nxt - 1, 0, "LATE", 4, 0);	/* on the FIN's number */
		return;
	} else {
		data_at(c, base, 0, resp, rl, 0);
	}
	c->snd_nxt = base + (uint32_t)rl;
	xmit(c, F_FIN | F_ACK, c->snd_nxt, c->rcv_nxt, mode_window(), NULL, 0);
	c->snd_nxt++;
	c->fin_sent = true;
}

/*
 * The request is in. oow and rstseq first send their bad segments and
 * hold the response until the client's ACK says where it stands: it must
 * still acknowledge our first response byte.
 */
static void request_done(struct rconn *c)
{
	uint32_t base = c->snd_nxt;

	if (strcmp(o.mode, "oow") == 0) {
		uint32_t wnd = c->peer_wnd;

		data_at(c, base, 10000000, "HTTP/1.0 500 Far\r\n\r\n", 20, 0);	/* far beyond */
		data_at(c, base - 50000, 0, "HTTP/1.0 500 Old\r\n\r\n", 20, 0);	/* old */
		data_at(c, base, wnd - 4, "HTTP/1.0 500 Edge\r\n\r\n", 21, 0);	/* across the edge */
		c->wait_ack = true;
		return;
	}
	if (strcmp(o.mode, "rstseq") == 0) {
		xmit(c, F_RST, base + 100, 0, 0, NULL, 0);		/* in the window, not RCV.NXT */
		xmit(c, F_RST | F_ACK, base + 10000000, c->rcv_nxt, 0, NULL, 0);	/* outside */
		c->wait_ack = true;
		return;
	}
	respond(c);
}

static struct rconn *find_conn(uint16_t cport, bool make)
{
	struct rconn *free_c = NULL;

	for (int i = 0; i < RAW_CONNS; i++) {
		if (raw.c[i].used && raw.c[i].cport == cport)
			return &raw.c[i];
		if (!raw.c[i].used && free_c == NULL)
			free_c = &raw.c[i];
	}
	if (!make || free_c == NULL)
		return NULL;
	memset(free_c, 0, sizeof(*free_c));
	free_c->used = true;
	free_c->cport = cport;
	return free_c;
}

static void conn_end(struct rconn *c, const char *why)
{
	say("conn %u %s", c->cport, why);
	c->used = false;
}

static void on_syn(struct rconn *c, uint32_t seq)
{
	uint32_t a = seq + 1;

	if (strcmp(o.mode, "nosyn") == 0) {
		say("syn");
		c->used = false;
		return;
	}
	if (c->synacks == 0) {
		c->rcv_nxt = seq + 1;
		c->iss = raw.next_iss;
		raw.next_iss += 1000000;
		c->snd_nxt = c->iss + 1;
	}
	if (strcmp(o.mode, "badack") == 0 && !c->bad_ack_sent) {
		c->bad_ack = a + 100000;
		c->bad_ack_sent = true;
		a = c->bad_ack;
	}
	c->synacks++;
	xmit(c, F_SYN | F_ACK, c->iss, a, mode_window(), NULL, 0);
}

/* A segment from the client (th: its TCP header, len payload bytes at data). */
static void raw_input(const uint8_t *eth, const uint8_t *ip, const uint8_t *th, const uint8_t *data,
		      size_t len)
{
	uint16_t cport = get16(th);
	uint8_t fl = th[13];
	uint32_t seq = get32(th + 4), a = get32(th + 8);
	struct rconn *c = find_conn(cport, (fl & F_SYN) && !(fl & F_ACK));

	if (c == NULL)
		return;	/* a segment for a connection we forgot: ignore */
	memcpy(c->cmac, eth + 6, 6);
	memcpy(c->caddr, ip + 12, 4);
	if (fl & F_RST) {
		if (c->bad_ack_sent && c->synacks == 1)
			say("badack rst %s", seq == c->bad_ack && !(fl & F_ACK) ? "ok" : "WRONG");
		else
			conn_end(c, "reset by the client");
		return;
	}
	if (fl & F_SYN) {
		on_syn(c, seq);
		return;
	}
	c->peer_wnd = get16(th + 14);
	if (c->wait_ack && (fl & F_ACK) && len == 0 && !(fl & F_FIN)) {
		c->wait_ack = false;
		say("%s %s", strcmp(o.mode, "oow") == 0 ? "oow acked" : "challenge ack",
		    a == c->snd_nxt ? "ok" : "WRONG");
		respond(c);
		return;
	}
	if (strcmp(o.mode, "zerowin") == 0) {
		if (len == 0 && seq == c->rcv_nxt - 1)
			say("probe");
		ack(c);	/* still nothing fits */
		return;
	}
	if (len > 0 && seq == c->rcv_nxt) {
		size_t room = sizeof(c->req) - 1 - c->req_len;
		size_t k = len < room ? len : room;

		memcpy(c->req + c->req_len, data, k);
		c->req_len += k;
		c->req[c->req_len] = '\0';
		c->rcv_nxt += (uint32_t)len;
		ack(c);
		if (!c->req_done && strstr(c->req, "\r\n\r\n") != NULL) {
			c->req_done = true;
			request_done(c);
		}
	} else if (len > 0) {
		ack(c);	/* a retransmission: what we have */
	}
	if ((fl & F_FIN) && seq + len == c->rcv_nxt) {
		c->rcv_nxt++;
		if (!c->fin_sent) {
			xmit(c, F_FIN | F_ACK, c->snd_nxt, c->rcv_nxt, mode_window(), NULL, 0);
			c->snd_nxt++;
			c->fin_sent = true;
		} else {
			ack(c);
		}
	}
	if (c->fin_sent && (fl & F_ACK) && a == c->snd_nxt && (fl & F_FIN))
		conn_end(c, "closed");
}

static int raw_open(void)
{
	struct ifreq ifr;
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP) };

	raw.fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_IP));
	if (raw.fd < 0 || inet_pton(AF_INET, o.addr, &raw.addr) != 1) {
		perror("hostile_srv: AF_PACKET socket (needs root)");
		return -1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", o.iface);
	if (ioctl(raw.fd, SIOCGIFINDEX, &ifr) != 0 || (raw.ifindex = ifr.ifr_ifindex,
	    ioctl(raw.fd, SIOCGIFHWADDR, &ifr) != 0)) {
		fprintf(stderr, "hostile_srv: interface %s: %s\n", o.iface, strerror(errno));
		return -1;
	}
	memcpy(raw.mac, ifr.ifr_hwaddr.sa_data, 6);
	sll.sll_ifindex = raw.ifindex;
	if (bind(raw.fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		perror("hostile_srv: bind");
		return -1;
	}
	return 0;
}

static int run_raw(void)
{
	static const char *const modes[] = { "badack", "oow", "overlap", "afterfin", "rstseq",
					     "zerowin", "nosyn" };
	uint8_t f[2048];
	bool known = false;

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		known |= strcmp(o.mode, modes[i]) == 0;
	if (!known) {
		usage();
		return 2;
	}
	if (raw_open() != 0)
		return 2;
	raw.next_iss = 0x10000000;
	say("ready");
	while (!stop) {
		struct pollfd p = { raw.fd, POLLIN, 0 };
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t n;
		const uint8_t *ip, *th;
		size_t ihl, thl, tot;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recvfrom(raw.fd, f, sizeof(f), 0, (struct sockaddr *)&from, &fl);
		if (n < 34 || from.sll_pkttype == PACKET_OUTGOING)
			continue;
		ip = f + 14;
		ihl = (size_t)(ip[0] & 0x0f) * 4;
		tot = get16(ip + 2);
		if ((ip[0] >> 4) != 4 || ip[9] != IPPROTO_TCP || memcmp(ip + 16, &raw.addr, 4) != 0 ||
		    tot > (size_t)n - 14 || ihl < 20 || tot < ihl + 20)
			continue;
		th = ip + ihl;
		thl = (size_t)(th[12] >> 4) * 4;
		if (get16(th + 2) != o.port || thl < 20 || ihl + thl > tot)
			continue;
		raw_input(f, ip, th, th + thl, tot - ihl - thl);
	}
	return 0;
}

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_stop };	/* no SA_RESTART: accept returns */
	int kind = parse_args(argc, argv);

	if (kind < 0) {
		usage();
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return kind == 1 ? run_raw() : run_http();
}
