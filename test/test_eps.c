/*
 * test_eps.c - epserver's HTTP side (eps_http.c): the request parser and
 * the site.
 *
 * Each request of a table is fed whole, one byte at a time and in 200
 * seeded random splits; every way must give the outcome the table expects,
 * and the bytes taken must end where the request does (the rest is the
 * next pipelined request). The site is loaded from a temporary directory:
 * lookups, directory indexes, queries, the prebuilt headers, the limits.
 *
 * Then epserver's connections (eps_conn.c) over a fake socket
 * (test/eps_conn_fake.h): more than PIPE_MAX pipelined requests ending in
 * a malformed one, arriving at once or a few bytes at a time, must be
 * answered in order, completely, and then with the 400; the ring never
 * holds more than PIPE_MAX.
 *
 * And its limits, on a clock the test moves (ec_cx.now_us, ec_tick): a
 * request head dribbled past request_timeout is reset unanswered and
 * counted, from the accept or from the head's first byte on a kept-alive
 * connection; the max_requests-th response says Connection: close and the
 * connection closes; an idle kept-alive connection closes at
 * keepalive_timeout, one with a request every 14 s of 15 never, nor one
 * whose response waits on the client; 0 turns each limit off.
 */
#include "eps_http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "eps_conn_fake.h"

struct expect {
	const char *in;
	int ret;		/* 1 complete, 0 more needed, -1 error */
	int error;		/* enum eps_req_error after -1 */
	int method;
	int minor;
	bool keep_alive;
	const char *path;
	size_t used;		/* bytes of the request (0: all of in) */
};

static const struct expect reqs[] = {
	{ "GET / HTTP/1.0\r\n\r\n", 1, 0, EPS_M_GET, 0, false, "/", 0 },
	{ "GET /a HTTP/1.1\r\nHost: x\r\n\r\n", 1, 0, EPS_M_GET, 1, true, "/a", 0 },
	{ "GET /a HTTP/1.1\r\nConnection: close\r\n\r\n", 1, 0, EPS_M_GET, 1, false, "/a", 0 },
	{ "GET /a HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 1, 0, EPS_M_GET, 0, true, "/a", 0 },
	{ "GET /a HTTP/1.0\r\nconnection:keep-alive, Upgrade\r\n\r\n", 1, 0, EPS_M_GET, 0, true,
	  "/a", 0 },
	{ "GET /a HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", 1, 0, EPS_M_GET, 0, false,
	  "/a", 0 },
	{ "GET /a HTTP/1.0\r\nX-Connection: keep-alive\r\n\r\n", 1, 0, EPS_M_GET, 0, false, "/a", 0 },
	{ "GET /a HTTP/1.0\r\nConnectio: keep-alive\r\n\r\n", 1, 0, EPS_M_GET, 0, false, "/a", 0 },
	{ "HEAD /x?y=1 HTTP/1.1\n\n", 1, 0, EPS_M_HEAD, 1, true, "/x?y=1", 0 },
	{ "\r\n\r\nGET / HTTP/1.0\r\n\r\n", 1, 0, EPS_M_GET, 0, false, "/", 0 },
	{ "G / HTTP/1.0\n\n", 1, 0, EPS_M_OTHER, 0, false, "/", 0 },
	{ "POST /f HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 1, 0, EPS_M_OTHER, 1, true, "/f", 0 },
	{ "GET /a HTTP/1.0\r\nContent-Length: 00\r\n\r\n", 1, 0, EPS_M_GET, 0, false, "/a", 0 },
	/* the epwget seed's request, then the start of the next one */
	{ "GET /index.html HTTP/1.0\r\nUser-Agent: Wget/1.12 (linux-gnu)\r\nAccept: */*\r\n"
	  "Host: 10.0.0.4\r\nConnection: Close\r\n\r\nGET /", 1, 0, EPS_M_GET, 0, false,
	  "/index.html", 111 },
	{ "GET / HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n", 1, 0, EPS_M_GET, 1, true, "/", 18 },
	{ "GET /a HTTP/1.1\r\nX-A-Rather-Long-Header-Name: x\r\nConnection: close\r\n\r\n", 1, 0,
	  EPS_M_GET, 1, false, "/a", 0 },
	{ "GET /a HTTP/1.1\r\nTransfer-Encodingx: chunked\r\n\r\n", 1, 0, EPS_M_GET, 1, true, "/a", 0 },
	{ "GET /a HTTP/1.1\r\nCONNECTION: CLOSE\r\n\r\n", 1, 0, EPS_M_GET, 1, false, "/a", 0 },
	{ "GET /\x80\xff HTTP/1.1\r\nA: \x80\t b\r\n\r\n", 1, 0, EPS_M_GET, 1, true, "/\x80\xff", 0 },
	/* more needed */
	{ "GET / HTTP/1.0\r\n", 0, 0, 0, 0, false, NULL, 0 },
	{ "GET / HTTP/1.0\r\nHost: a\r\n\r", 0, 0, 0, 0, false, NULL, 0 },
	{ "", 0, 0, 0, 0, false, NULL, 0 },
	/* errors */
	{ "GET / HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello", -1, EPS_ERR_BODY, 0, 0, false, NULL, 0 },
	{ "GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", -1, EPS_ERR_BODY, 0, 0, false, NULL,
	  0 },
	{ "GET / HTTP/1.0\r\nContent-Length: x\r\n\r\n", -1, EPS_ERR_BODY, 0, 0, false, NULL, 0 },
	{ "GET /\r\n\r\n", -1, EPS_ERR_BAD_REQUEST_LINE, 0, 0, false, NULL, 0 },
	{ "GET  / HTTP/1.0\r\n\r\n", -1, EPS_ERR_BAD_REQUEST_LINE, 0, 0, false, NULL, 0 },
	{ "GET x HTTP/1.0\r\n\r\n", -1, EPS_ERR_BAD_REQUEST_LINE, 0, 0, false, NULL, 0 },
	{ " GET / HTTP/1.0\r\n\r\n", -1, EPS_ERR_BAD_REQUEST_LINE, 0, 0, false, NULL, 0 },
	{ "GET / HTTP/2.0\r\n\r\n", -1, EPS_ERR_BAD_VERSION, 0, 0, false, NULL, 0 },
	{ "GET / HTTP/1.10\r\n\r\n", -1, EPS_ERR_BAD_VERSION, 0, 0, false, NULL, 0 },
	{ "GET / HTTP/1.\r\n\r\n", -1, EPS_ERR_BAD_VERSION, 0, 0, false, NULL, 0 },
	{ "GET / HTTP/1.0\rX\n\r\n", -1, EPS_ERR_BAD_REQUEST_LINE, 0, 0, false, NULL, 0 },
	{ "GET / HTTP/1.0\r\nHost : a\r\n\r\n", -1, EPS_ERR_BAD_HEADER_LINE, 0, 0, false, NULL, 0 },
	{ "GET / HTTP/1.0\r\nHost\r\n\r\n", -1, EPS_ERR_BAD_HEADER_LINE, 0, 0, false, NULL, 0 },
	{ "GET / HTTP/1.0\r\nA: b\r\n c\r\n\r\n", -1, EPS_ERR_BAD_HEADER_LINE, 0, 0, false, NULL, 0 },
	{ "GET / HTTP/1.0\r\n: b\r\n\r\n", -1, EPS_ERR_BAD_HEADER_LINE, 0, 0, false, NULL, 0 },
	{ "GET / HTTP/1.0\r\nA: b\x01\r\n\r\n", -1, EPS_ERR_BAD_HEADER_LINE, 0, 0, false, NULL, 0 },
	{ "GET / HTTP/1.0\r\nA: b\rc\r\n\r\n", -1, EPS_ERR_BAD_HEADER_LINE, 0, 0, false, NULL, 0 },
	{ "GET /a\x01 HTTP/1.0\r\n\r\n", -1, EPS_ERR_BAD_REQUEST_LINE, 0, 0, false, NULL, 0 },
	{ "GET /a\r\n", -1, EPS_ERR_BAD_REQUEST_LINE, 0, 0, false, NULL, 0 },
	{ "GETTINGLONGMETHOD / HTTP/1.0\r\n\r\n", -1, EPS_ERR_BAD_REQUEST_LINE, 0, 0, false, NULL, 0 },
};

static size_t rng_below(size_t n)
{
	return (size_t)(check_rand() % n);
}

/* Feed in cut at the sorted offsets cuts[0..ncuts); each piece in a buffer of its exact size. */
static int feed_cuts(struct eps_req *r, const char *in, size_t n, const size_t *cuts,
		     size_t ncuts, size_t *used)
{
	size_t at = 0;
	int ret = 0;

	eps_req_init(r);
	*used = 0;
	for (size_t k = 0; k <= ncuts && ret == 0; k++) {
		size_t end = k < ncuts ? cuts[k] : n, u = 0;
		uint8_t *piece = malloc(end - at ? end - at : 1);

		if (piece == NULL)
			abort();
		memcpy(piece, in + at, end - at);
		ret = eps_req_feed(r, piece, end - at, &u);
		free(piece);
		*used += u;
		if (ret == 0 && u != end - at)
			return -2;	/* "more needed" must take every byte */
		at = end;
	}
	return ret;
}

static void check_outcome(const struct expect *e, const struct eps_req *r, int ret, size_t used,
			  const char *how)
{
	size_t n = strlen(e->in);

	if (ret != e->ret) {
		CHECK_FAIL_("%s: \"%.40s\": returned %d, expected %d (error %s)", how, e->in, ret,
			    e->ret, eps_req_error_name(r->error));
		return;
	}
	if (ret < 0 && r->error != e->error)
		CHECK_FAIL_("%s: \"%.40s\": error %s, expected %s", how, e->in,
			    eps_req_error_name(r->error), eps_req_error_name(e->error));
	if (ret == 1) {
		CHECK_EQ(r->method, e->method);
		CHECK_EQ(r->minor, e->minor);
		CHECK_EQ(r->keep_alive, e->keep_alive);
		CHECK_STR(r->path, e->path);
		CHECK_EQ(r->path_len, strlen(e->path));
		CHECK_EQ(used, e->used ? e->used : n);
	}
}

TEST(request_table_whole_and_split)
{
	struct eps_req r;
	size_t cuts[64], used;

	check_rng_state = 0x5eed;
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		const struct expect *e = &reqs[i];
		size_t n = strlen(e->in), nc;
		int ret;

		ret = feed_cuts(&r, e->in, n, NULL, 0, &used);
		check_outcome(e, &r, ret, used, "whole");
		for (nc = 0; nc + 1 < n && nc < 64; nc++)
			cuts[nc] = nc + 1;
		ret = feed_cuts(&r, e->in, n, cuts, nc, &used);
		check_outcome(e, &r, ret, used, "byte by byte");
		for (int t = 0; t < 200 && n > 1; t++) {
			nc = 1 + rng_below(n - 1 < 8 ? n - 1 : 8);
			for (size_t k = 0; k < nc; k++)
				cuts[k] = 1 + rng_below(n - 1);
			for (size_t a = 1; a < nc; a++)	/* insertion sort; duplicates make empty pieces */
				for (size_t b = a; b > 0 && cuts[b - 1] > cuts[b]; b--) {
					size_t x = cuts[b];

					cuts[b] = cuts[b - 1];
					cuts[b - 1] = x;
				}
			ret = feed_cuts(&r, e->in, n, cuts, nc, &used);
			check_outcome(e, &r, ret, used, "random split");
		}
	}
}

TEST(done_and_error_are_sticky)
{
	struct eps_req r;
	size_t used;

	eps_req_init(&r);
	CHECK(eps_req_idle(&r));
	CHECK_EQ(eps_req_feed(&r, (const uint8_t *)"GET / HTTP/1.0\n\n", 16, &used), 1);
	CHECK(!eps_req_idle(&r));
	CHECK_EQ(eps_req_feed(&r, (const uint8_t *)"GET", 3, &used), 1);
	CHECK_EQ(used, 0);
	eps_req_init(&r);
	CHECK_EQ(eps_req_feed(&r, (const uint8_t *)"GET / HTTP/3", 12, &used), -1);
	CHECK_EQ(used, 12);
	CHECK_EQ(eps_req_feed(&r, (const uint8_t *)"\r\n", 2, &used), -1);
	CHECK_EQ(used, 0);
	CHECK_EQ(r.error, EPS_ERR_BAD_VERSION);
}

TEST(limits)
{
	static char big[EPS_HEADER_MAX + 64];
	char target[EPS_PATH_MAX + 32];
	struct eps_req r;
	size_t used, n;

	/* a target of EPS_PATH_MAX - 1 bytes is fine, one more is not */
	memset(target, 'a', sizeof(target));
	target[0] = '/';
	n = (size_t)snprintf(big, sizeof(big), "GET %.*s HTTP/1.1\r\n\r\n", EPS_PATH_MAX - 1, target);
	eps_req_init(&r);
	CHECK_EQ(eps_req_feed(&r, (const uint8_t *)big, n, &used), 1);
	CHECK_EQ(r.path_len, EPS_PATH_MAX - 1);
	n = (size_t)snprintf(big, sizeof(big), "GET %.*s HTTP/1.1\r\n\r\n", EPS_PATH_MAX, target);
	eps_req_init(&r);
	CHECK_EQ(eps_req_feed(&r, (const uint8_t *)big, n, &used), -1);
	CHECK_EQ(r.error, EPS_ERR_TARGET_TOO_LONG);

	/* a head of exactly EPS_HEADER_MAX bytes is fine, one more is not */
	for (int extra = 0; extra <= 1; extra++) {
		size_t len = EPS_HEADER_MAX + (size_t)extra;

		n = (size_t)snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nX: ");
		memset(big + n, 'x', len - n - 4);
		memcpy(big + len - 4, "\r\n\r\n", 4);
		eps_req_init(&r);
		CHECK_EQ(eps_req_feed(&r, (const uint8_t *)big, len, &used), extra ? -1 : 1);
		if (extra)
			CHECK_EQ(r.error, EPS_ERR_HEADER_TOO_LONG);
	}
}

/* Mutated requests: whole and split feeding must agree, and nothing may crash. */
TEST(mutations_agree)
{
	struct eps_req r1, r2;
	char buf[512];
	size_t cuts[4], u1, u2;

	check_rng_state = 0xabad;
	for (int t = 0; t < 50000; t++) {
		const char *src = reqs[rng_below(sizeof(reqs) / sizeof(reqs[0]))].in;
		size_t n = strlen(src);
		int a, b;

		if (n == 0 || n >= sizeof(buf))
			continue;
		memcpy(buf, src, n);
		for (int m = 0; m < 3; m++)
			buf[rng_below(n)] = (char)(check_rand() & 0xff);
		a = feed_cuts(&r1, buf, n, NULL, 0, &u1);
		cuts[0] = 1 + rng_below(n);
		cuts[1] = cuts[0] + rng_below(n - cuts[0] + 1);
		b = feed_cuts(&r2, buf, n, cuts, 2, &u2);
		if (a != b || u1 != u2 || (a == 1 && strcmp(r1.path, r2.path) != 0) ||
		    (a == -1 && r1.error != r2.error)) {
			CHECK_FAIL_("mutation %d: whole %d/%zu, split %d/%zu", t, a, u1, b, u2);
			break;
		}
	}
}

/* --- the site ------------------------------------------------------------------ */

static char root[64];

static void put_file(const char *rel, const char *data, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	if (f == NULL)
		abort();
	fwrite(data, 1, n, f);
	fclose(f);
}

static void make_root(void)
{
	char path[256];

	snprintf(root, sizeof(root), "/tmp/test_eps.XXXXXX");
	if (mkdtemp(root) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/sub", root);
	mkdir(path, 0755);
	put_file("index.html", "<html>root</html>", 17);
	put_file("f64", "0123456789012345678901234567890123456789012345678901234567890123", 64);
	put_file("empty", "", 0);
	put_file("sub/index.html", "sub", 3);
	put_file("sub/data.json", "{}", 2);
	snprintf(path, sizeof(path), "%s/sub/link", root);
	symlink("../f64", path);
}

static void remove_root(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", root);
}

static const struct eps_resp *lookup(const struct eps_site *s, const char *t)
{
	return &s->resp[eps_site_lookup(s, t, strlen(t))];
}

TEST(site_load_and_lookup)
{
	struct eps_site s;
	char err[256];
	const struct eps_resp *r;

	make_root();
	REQUIRE(eps_site_load(&s, root, 1 << 20, err, sizeof(err)) == 0);
	CHECK_EQ(s.n_files, 6);
	CHECK_EQ(s.file_bytes, 17 + 64 + 0 + 3 + 2 + 64);
	r = lookup(&s, "/f64");
	CHECK_EQ(r->status, 200);
	CHECK_EQ(r->size, 64);
	CHECK(memcmp(r->body, "0123", 4) == 0);
	CHECK_STR(r->hdr[0], "HTTP/1.1 200 OK\r\nServer: epserver\r\nContent-Type: "
		  "application/octet-stream\r\nContent-Length: 64\r\nConnection: close\r\n\r\n");
	CHECK(strstr(r->hdr[1], "Connection: keep-alive\r\n\r\n") != NULL);
	CHECK_EQ(r->hdr_len[0], strlen(r->hdr[0]));
	CHECK_EQ(r->hdr_len[1], strlen(r->hdr[1]));
	CHECK_EQ(lookup(&s, "/f64?x=1")->size, 64);
	CHECK_EQ(lookup(&s, "/sub/link")->size, 64);
	CHECK_EQ(lookup(&s, "/")->size, 17);
	CHECK(strstr(lookup(&s, "/")->hdr[0], "Content-Type: text/html\r\n") != NULL);
	CHECK_EQ(lookup(&s, "/sub/")->size, 3);
	CHECK(strstr(lookup(&s, "/sub/data.json")->hdr[0], "application/json") != NULL);
	CHECK_EQ(lookup(&s, "/empty")->status, 200);
	CHECK(strstr(lookup(&s, "/empty")->hdr[0], "Content-Length: 0\r\n") != NULL);
	CHECK_EQ(lookup(&s, "/sub")->status, 404);
	CHECK_EQ(lookup(&s, "/F64")->status, 404);
	CHECK_EQ(lookup(&s, "/f6")->status, 404);
	CHECK_EQ(lookup(&s, "/nope")->status, 404);
	CHECK(strstr(lookup(&s, "/nope")->hdr[1], "Content-Length: 14\r\n") != NULL);
	CHECK_EQ(s.resp[EPS_RESP_400].status, 400);
	CHECK_EQ(s.resp[EPS_RESP_501].status, 501);
	eps_site_free(&s);
	eps_site_free(&s);	/* idempotent */
	remove_root();
}

TEST(site_limits)
{
	struct eps_site s;
	char err[1024], longname[300];

	make_root();
	CHECK_EQ(eps_site_load(&s, root, 100, err, sizeof(err)), -EFBIG);
	CHECK(strstr(err, "raise -m") != NULL);
	CHECK(s.resp == NULL);
	CHECK_EQ(eps_site_load(&s, "/nonexistent/epserver", 1 << 20, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "give -d") != NULL);
	/* "/sub/" and 252 bytes: 257, past EPS_PATH_MAX - 1 (a file name alone stops at 255) */
	memcpy(longname, "sub/", 4);
	memset(longname + 4, 'n', 252);
	longname[256] = '\0';
	put_file(longname, "x", 1);
	CHECK_EQ(eps_site_load(&s, root, 1 << 20, err, sizeof(err)), -ENAMETOOLONG);
	CHECK(strstr(err, "shorter") != NULL);
	remove_root();
}

/* --- epserver's connections ------------------------------------------------------ */

static uint8_t got[EC_OUT_MAX], want[EC_OUT_MAX];

/*
 * Serve in[0..len) on one connection: all of it there before the accept and
 * no limit on writes (trickle 0), or trickle bytes arriving and 3 * trickle
 * bytes written per round. NULL when the server answered as it must.
 */
static const char *serve_stream(const uint8_t *in, size_t len, size_t trickle,
				struct ec_expect *e)
{
	ec_start(in, len, got);
	ec_expect(&site, in, len, want, sizeof(want), e);
	if (trickle == 0) {
		ec_arrive(len);
	} else {
		for (long i = 0; i < 100000 && (ec.arrived < len || ec.room == 0); i++) {
			ec_arrive(trickle);
			ec.room = 3 * trickle;
			ec_step();
			ec_step();
		}
	}
	ec_arrive(len);
	ec.room = SIZE_MAX;
	if (!ec_settle())
		return "the connection never settles";
	return ec_verify(e, want);
}

TEST(pipeline_past_pipe_max_then_malformed)
{
	static const char *const reqs_ok[] = {
		"GET / HTTP/1.1\n\n",			/* 16 bytes: a half request at every 14 */
		"GET /f64 HTTP/1.1\r\n\r\n",
		"HEAD /nope HTTP/1.1\n\n",
		"GET /sub/ HTTP/1.1\r\nHost: x\r\n\r\n",
	};
	static const char bad_req[] = " GET / HTTP/1.1\r\n\r\n";	/* bad at its first byte */
	static uint8_t in[128 * 64];
	char err[256];
	int failed = 0;

	make_root();
	REQUIRE(eps_site_load(&site, root, 1 << 20, err, sizeof(err)) == 0);
	for (size_t v = 0; v < sizeof(reqs_ok) / sizeof(reqs_ok[0]) && !failed; v++) {
		size_t rl = strlen(reqs_ok[v]);

		for (size_t n = 0; n <= 3 * PIPE_MAX && !failed; n++) {
			size_t len = 0;

			for (size_t i = 0; i < n; i++, len += rl)
				memcpy(in + len, reqs_ok[v], rl);
			memcpy(in + len, bad_req, sizeof(bad_req) - 1);
			len += sizeof(bad_req) - 1;
			for (size_t trickle = 0; trickle <= 13 && !failed; trickle += 13) {
				struct ec_expect e;
				const char *why = serve_stream(in, len, trickle, &e);

				if (why == NULL && (e.responses != n + 1 || e.status[1] != 1 || !e.closing))
					why = "the model does not end in one 400";
				if (why == NULL && trickle == 0 && n >= 2 * PIPE_MAX &&
				    ec_cx.count.pipe_full == 0)
					why = "the ring filled, yet pipe_full is 0";
				if (why != NULL) {
					CHECK_FAIL_("%zu x request %zu (%zu bytes) then a bad one, %s: "
						    "%s (ring held at most %u, %zu of %zu bytes out)",
						    n, v, rl, trickle ? "trickled" : "at once", why,
						    ec.max_owed, ec.out_len, e.len);
					failed = 1;
				}
			}
		}
	}
	eps_site_free(&site);
	remove_root();
}

/* --- deadlines and keepalive_requests (a controllable clock: ec_cx.now_us) ------- */

#define SEC 1000000ull
#define CHECK_OK(why) do { const char *why_ = (why); if (why_ != NULL) CHECK_FAIL_("%s", why_); } while (0)

/* A fresh connection over in[0..len) with the given limits; the site is loaded. */
static void start_limited(const char *in, uint64_t req_s, uint64_t idle_s, uint32_t max_req,
			  struct ec_expect *e)
{
	size_t len = strlen(in);

	ec_start((const uint8_t *)in, len, got);
	ec_cx.request_timeout_us = req_s * SEC;
	ec_cx.keepalive_timeout_us = idle_s * SEC;
	ec_cx.max_requests = max_req;
	ec_cx.now_us = 1000 * SEC;	/* any start: deadlines are relative */
	ec_expect(&site, (const uint8_t *)in, len, want, sizeof(want), e);
}

static void load_site(void)
{
	char err[256];

	make_root();
	if (eps_site_load(&site, root, 1 << 20, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
}

static void unload_site(void)
{
	eps_site_free(&site);
	remove_root();
}

TEST(request_head_dribbled_past_the_deadline_is_reset)
{
	static const char slow[] = "GET /f64 HTTP/1.1\r\nX-a: 1\r\nX-b: 2\r\nX-c: 3\r\nX-d: 4\r\n";
	struct ec_expect e;
	int t;

	load_site();
	/* a byte a second from the accept: open at 9.9 s, reset by the sweep at 10 s */
	start_limited(slow, 10, 15, 0, &e);
	ec_step();
	CHECK_EQ(eps_conn_deadline(&ec_cx, EC_SD), ec_cx.now_us + 10 * SEC);
	for (t = 0; t < 99 && !ec.aborted; t++) {
		if (t % 10 == 0)
			ec_arrive(1);
		ec_settle();
		ec_tick(SEC / 10);
	}
	CHECK_EQ(t, 99);
	CHECK(!ec.aborted && !ec.closed);
	CHECK_EQ(ec.taken, 10);
	ec_arrive(1);
	ec_settle();
	ec_tick(SEC / 10);
	CHECK(ec.aborted);	/* a FIN could leave the stream in FIN_WAIT_2: reset */
	CHECK(!ec.closed);
	CHECK_EQ(ec.out_len, 0);	/* unanswered */
	CHECK_EQ(ec_cx.count.request_timeouts, 1);
	CHECK_EQ(ec_cx.count.keepalive_timeouts, 0);
	CHECK_EQ(ec_cx.count.closed, 1);
	CHECK_EQ(ec_cx.open, 0);
	CHECK_EQ(ec.misuse, 0);

	/* nothing at all after the accept: the same deadline */
	start_limited(slow, 10, 15, 0, &e);
	ec_step();
	ec_tick(10 * SEC - 1);
	CHECK(!ec.aborted);
	ec_tick(1);
	CHECK(ec.aborted);
	CHECK_EQ(ec_cx.count.request_timeouts, 1);

	/*
	 * On a kept-alive connection the head's deadline runs from its first
	 * byte: one request answered, idle 12 s (< 15), then the next head
	 * dribbled: closed 10 s after its first byte, the first response whole.
	 */
	start_limited("GET /f64 HTTP/1.1\r\n\r\nGET /f64 HTTP/1.1\r\nX-a: 1\r\n\r\n", 10, 15, 0, &e);
	ec_arrive(21);
	ec_settle();
	CHECK_EQ(ec_cx.count.requests, 1);
	ec_tick(12 * SEC);
	CHECK(!ec.closed && !ec.aborted);
	ec_arrive(1);
	ec_settle();
	CHECK_EQ(eps_conn_deadline(&ec_cx, EC_SD), ec_cx.now_us + 10 * SEC);
	for (t = 0; t < 9; t++) {
		ec_tick(SEC);
		ec_arrive(1);
		ec_settle();
	}
	CHECK(!ec.aborted);
	ec_tick(SEC);
	CHECK(ec.aborted);
	CHECK_EQ(ec_cx.count.request_timeouts, 1);
	CHECK_OK(ec_verify_cut(&e, want));
	unload_site();
}

TEST(the_nth_request_says_connection_close)
{
	static const char five[] = "GET /f64 HTTP/1.1\r\n\r\nGET /f64 HTTP/1.1\r\n\r\n"
				   "HEAD /f64 HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\nGET /f64 HTTP/1.1\r\n\r\n";
	struct ec_expect e;
	const char *last;

	load_site();
	start_limited(five, 10, 15, 3, &e);
	CHECK_EQ(e.responses, 3);	/* the model stops at the 3rd too */
	ec_arrive(sizeof(five) - 1);
	CHECK(ec_settle());
	CHECK_OK(ec_verify(&e, want));
	CHECK(ec.closed);
	CHECK_EQ(ec_cx.count.requests, 3);
	CHECK_EQ(ec_cx.count.keepalive_limits, 1);
	CHECK_EQ(ec_cx.count.keepalive_reuses, 2);
	/* the first two keep-alive, the third (a HEAD) close */
	got[ec.out_len] = '\0';
	last = strstr((const char *)got, "HTTP/1.1 200 OK");
	for (int i = 0; i < 2 && last != NULL; i++)
		last = strstr(last + 1, "HTTP/1.1 200 OK");
	REQUIRE(last != NULL);
	CHECK(strstr(last, "Connection: close\r\n\r\n") != NULL);
	CHECK(strstr((const char *)got, "Connection: keep-alive\r\n") < last);

	/* no limit (0): all five answered, the connection stays */
	start_limited(five, 10, 15, 0, &e);
	ec_arrive(sizeof(five) - 1);
	CHECK(ec_settle());
	CHECK_OK(ec_verify(&e, want));
	CHECK_EQ(ec_cx.count.requests, 5);
	CHECK(!ec.closed);
	CHECK_EQ(ec_cx.count.keepalive_limits, 0);

	/* a limit of 1: the first response already closes */
	start_limited(five, 10, 15, 1, &e);
	ec_arrive(sizeof(five) - 1);
	CHECK(ec_settle());
	CHECK_OK(ec_verify(&e, want));
	CHECK_EQ(ec_cx.count.requests, 1);
	CHECK_EQ(ec_cx.count.keepalive_limits, 1);
	unload_site();
}

TEST(idle_keepalive_closed_after_the_timeout_an_active_one_not)
{
	static char busy[20 * 21 + 1];
	struct ec_expect e;

	load_site();
	/* one request answered, then silence: open at 15 s - 1 us, closed at 15 s */
	start_limited("GET /f64 HTTP/1.1\r\n\r\n", 10, 15, 0, &e);
	ec_arrive(21);
	CHECK(ec_settle());
	CHECK_EQ(ec_cx.count.requests, 1);
	CHECK_EQ(eps_conn_deadline(&ec_cx, EC_SD), ec_cx.now_us + 15 * SEC);
	ec_tick(15 * SEC - 1);
	CHECK(!ec.closed);
	ec_tick(1);
	CHECK(ec.closed);
	CHECK(!ec.aborted);
	CHECK_EQ(ec_cx.count.keepalive_timeouts, 1);
	CHECK_EQ(ec_cx.count.request_timeouts, 0);
	CHECK_OK(ec_verify_cut(&e, want));

	/* a request every 14 s for 280 s: each answered, the connection stays */
	for (int i = 0; i < 20; i++)
		memcpy(busy + 21 * i, "GET /f64 HTTP/1.1\r\n\r\n", 21);
	start_limited(busy, 10, 15, 0, &e);
	ec_step();
	for (int i = 0; i < 20; i++) {
		ec_arrive(21);
		ec_settle();
		ec_tick(14 * SEC);
	}
	CHECK(!ec.closed);
	CHECK_EQ(ec_cx.count.requests, 20);
	CHECK_EQ(ec_cx.count.request_timeouts + ec_cx.count.keepalive_timeouts, 0);
	CHECK_OK(ec_verify(&e, want));

	/* a response the client does not take for 60 s: no deadline while it is owed */
	start_limited("GET /f64 HTTP/1.1\r\n\r\n", 10, 15, 0, &e);
	ec.room = 0;
	ec_arrive(21);
	ec_settle();
	CHECK_EQ(eps_conn_owed(&ec_cx, EC_SD), 1);
	CHECK_EQ(eps_conn_deadline(&ec_cx, EC_SD), 0);
	ec_tick(60 * SEC);
	CHECK(!ec.closed);
	ec.room = SIZE_MAX;
	CHECK(ec_settle());
	CHECK_OK(ec_verify(&e, want));
	CHECK_EQ(eps_conn_deadline(&ec_cx, EC_SD), ec_cx.now_us + 15 * SEC);

	/* limits off (0): nothing closes, however long */
	start_limited("GET /f64 HTTP/1.1\r\n\r\nGET /", 0, 0, 0, &e);
	ec_arrive(100);
	ec_settle();
	ec_tick(1000000 * SEC);
	CHECK(!ec.closed);
	CHECK_EQ(eps_conn_deadline(&ec_cx, EC_SD), 0);
	unload_site();
}

static const struct check_case cases[] = {
	CASE(request_table_whole_and_split),
	CASE(done_and_error_are_sticky),
	CASE(limits),
	CASE(mutations_agree),
	CASE(site_load_and_lookup),
	CASE(site_limits),
	CASE(pipeline_past_pipe_max_then_malformed),
	CASE(request_head_dribbled_past_the_deadline_is_reset),
	CASE(the_nth_request_says_connection_close),
	CASE(idle_keepalive_closed_after_the_timeout_an_active_one_not),
};

CHECK_MAIN(cases)
