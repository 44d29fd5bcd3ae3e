/*
 * test_http.c - the incremental HTTP response parser.
 *
 * Each response of a table is fed whole, one byte at a time and in 1000
 * seeded random splits; every way must give the same outcome, which must be
 * the one the table expects. Each piece is copied into a buffer of its exact
 * size so that ASan sees a read past it. Then 200k seeded mutations of those
 * responses, where only agreement between whole and split feeding (and no
 * crash) is checked.
 */
#include "http_parse.h"

#include "check.h"


static size_t rng_below(size_t n)
{
	return (size_t)(check_rand() % n);
}

/* What one way of feeding a response ended with. */
struct outcome {
	int ret;		/* 1 complete, 0 incomplete (eof in the body), -1 error */
	int error;
	int status;
	bool keep_alive, has_length;
	uint64_t content_length;
	uint64_t body_bytes;	/* the sum of the body ranges handed back */
	uint64_t body_hash;	/* FNV-1a of the body ranges, in order */
	size_t used;		/* bytes taken from the input */
	bool ranges_ok;		/* body ranges inside their pieces, contiguous, right after the header */
};

#define FNV_BASIS 0xcbf29ce484222325ull

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/*
 * One call on buf[0..n), the stream's bytes from at: its body range into o.
 * A verdict of 0 may leave bytes only after a body range (chunked).
 */
static int feed_once(struct http_resp *r, const uint8_t *buf, size_t n, size_t at,
		     size_t *used, struct outcome *o)
{
	size_t off = 0, len = 0;
	int ret = http_resp_feed(r, buf, n, used, &off, &len);

	if (*used > n || (len > 0 && off + len > *used) ||
	    (ret == 0 && *used != n && (len == 0 || *used == 0)))
		o->ranges_ok = false;
	/* without chunks, the body begins right after the header and has no gap */
	if (!r->chunked && len > 0 &&
	    at + off != (size_t)r->header_bytes + (size_t)(r->body_bytes - len))
		o->ranges_ok = false;
	o->body_bytes += len;
	o->body_hash = fnv(o->body_hash, buf + off, len);
	o->used += *used;
	/* every byte taken is header, framing or body */
	if (o->used != r->header_bytes + r->frame_bytes + r->body_bytes)
		o->ranges_ok = false;
	return ret;
}

/* One piece of the input in a buffer of its own, exactly n bytes long, fed to the end. */
static int feed_piece(struct http_resp *r, const uint8_t *src, size_t n, size_t at,
		      struct outcome *o)
{
	uint8_t *piece = malloc(n ? n : 1);
	size_t done = 0, used;
	int ret;

	if (piece == NULL)
		abort();
	memcpy(piece, src, n);
	do {
		ret = feed_once(r, piece + done, n - done, at + done, &used, o);
		done += used;
	} while (ret == 0 && done < n && used > 0);
	free(piece);
	return ret;
}

/* Feed in[0..n) cut at the sorted offsets cuts[0..ncuts), then the close. */
static struct outcome feed_cuts(const uint8_t *in, size_t n, const size_t *cuts, size_t ncuts)
{
	struct outcome o = { .ranges_ok = true, .body_hash = FNV_BASIS };
	struct http_resp r;
	size_t start = 0;
	int ret = 0;

	http_resp_init(&r, false);
	for (size_t i = 0; i <= ncuts && ret == 0; i++) {
		size_t end = i < ncuts ? cuts[i] : n;

		ret = feed_piece(&r, in + start, end - start, start, &o);
		start = end;
	}
	if (ret == 0)
		ret = http_resp_eof(&r);
	o.ret = ret;
	o.error = r.error;
	o.status = r.status;
	o.keep_alive = r.keep_alive;
	o.has_length = r.has_length;
	o.content_length = r.content_length;
	if (o.body_bytes != r.body_bytes)
		o.ranges_ok = false;
	return o;
}

static struct outcome feed_whole(const uint8_t *in, size_t n)
{
	return feed_cuts(in, n, NULL, 0);
}

/* One byte at a time, without a malloc per byte: pieces of 1 are copied to a local. */
static struct outcome feed_bytes(const uint8_t *in, size_t n)
{
	struct outcome o = { .ranges_ok = true, .body_hash = FNV_BASIS };
	struct http_resp r;
	int ret = 0;

	http_resp_init(&r, false);
	for (size_t i = 0; i < n && ret == 0; i++) {
		uint8_t b = in[i];
		size_t used = 0;

		ret = feed_once(&r, &b, 1, i, &used, &o);
		if (ret == 0 && used != 1)
			o.ranges_ok = false;
	}
	if (ret == 0)
		ret = http_resp_eof(&r);
	o.ret = ret;
	o.error = r.error;
	o.status = r.status;
	o.keep_alive = r.keep_alive;
	o.has_length = r.has_length;
	o.content_length = r.content_length;
	return o;
}

/* Up to 32 random cuts, sorted, some of them repeated (empty pieces). */
static struct outcome feed_random(const uint8_t *in, size_t n)
{
	size_t cuts[32], ncuts = n ? 1 + rng_below(32) : 0;

	for (size_t i = 0; i < ncuts; i++)
		cuts[i] = rng_below(n + 1);
	for (size_t i = 1; i < ncuts; i++)	/* insertion sort */
		for (size_t j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
			size_t t = cuts[j];

			cuts[j] = cuts[j - 1];
			cuts[j - 1] = t;
		}
	return feed_cuts(in, n, cuts, ncuts);
}

static bool same(const struct outcome *a, const struct outcome *b)
{
	return a->ret == b->ret && a->error == b->error && a->status == b->status &&
	       a->keep_alive == b->keep_alive && a->has_length == b->has_length &&
	       a->content_length == b->content_length && a->body_bytes == b->body_bytes &&
	       a->body_hash == b->body_hash && a->used == b->used && a->ranges_ok && b->ranges_ok;
}

/* --- the response table --- */

struct resp_case {
	const char *name;
	const char *head;	/* status line(s) and header, with the empty line */
	size_t pad_to;		/* when set, a filler field makes the header this long */
	size_t body;		/* body bytes appended */
	size_t extra;		/* bytes after the body (a pipelined response) */
	int ret;		/* expected outcome */
	int error;
	int status;
	bool keep_alive;
	uint64_t body_bytes;
	const char *payload;	/* when set: the body handed back, byte for byte */
};

#define OK200 "HTTP/1.1 200 OK\r\n"
#define CHUNKED OK200 "Transfer-Encoding: chunked\r\n\r\n"
#define A26 "abcdefghijklmnopqrstuvwxyz"

static const struct resp_case resp_cases[] = {
	{ "cl0", OK200 "Content-Length: 0\r\n\r\n", 0, 0, 0, 1, 0, 200, true, 0, NULL },
	{ "cl64_pipelined", OK200 "Content-Length: 64\r\n\r\n", 0, 64, 10, 1, 0, 200, true, 64, NULL },
	{ "cl8192", OK200 "Server: x\r\nContent-Length: 8192\r\n\r\n", 0, 8192, 0, 1, 0, 200, true, 8192, NULL },
	{ "cl_short_body", OK200 "Content-Length: 100\r\n\r\n", 0, 99, 0, 0, 0, 200, true, 99, NULL },
	{ "read_to_close", "HTTP/1.0 200 OK\r\nServer: x\r\n\r\n", 0, 1000, 0, 1, 0, 200, false, 1000, NULL },
	{ "read_to_close_11", OK200 "\r\n", 0, 77, 0, 1, 0, 200, false, 77, NULL },
	{ "ka11_default", OK200 "Content-Length: 5\r\n\r\n", 0, 5, 0, 1, 0, 200, true, 5, NULL },
	{ "ka11_explicit", OK200 "Connection: keep-alive\r\nContent-Length: 5\r\n\r\n", 0, 5, 0, 1, 0, 200, true, 5, NULL },
	{ "ka11_close", OK200 "connection: Upgrade, CLOSE\r\nContent-Length: 5\r\n\r\n", 0, 5, 0, 1, 0, 200, false, 5, NULL },
	{ "ka10", "HTTP/1.0 200 OK\r\nConnection:  Keep-Alive \r\nContent-Length: 5\r\n\r\n", 0, 5, 0, 1, 0, 200, true, 5, NULL },
	{ "ka10_default", "HTTP/1.0 200 OK\r\nContent-Length: 5\r\n\r\n", 0, 5, 0, 1, 0, 200, false, 5, NULL },
	{ "s404", "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\n", 0, 9, 0, 1, 0, 404, true, 9, NULL },
	{ "continue_then_200", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\nX: y\r\n\r\n"
	  OK200 "Content-Length: 3\r\n\r\n", 0, 3, 4, 1, 0, 200, true, 3, NULL },
	{ "s204", "HTTP/1.1 204 No Content\r\n\r\n", 0, 0, 5, 1, 0, 204, true, 0, NULL },
	{ "s304_with_cl", "HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n", 0, 0, 5, 1, 0, 304, true, 0, NULL },
	{ "bare_lf", "HTTP/1.1 200 OK\nContent-Length: 2\n\n", 0, 2, 0, 1, 0, 200, true, 2, NULL },
	{ "empty_reason", "HTTP/1.1 200 \r\nContent-Length: 1\r\n\r\n", 0, 1, 0, 1, 0, 200, true, 1, NULL },
	{ "no_reason", "HTTP/1.1 200\r\nContent-Length: 1\r\n\r\n", 0, 1, 0, 1, 0, 200, true, 1, NULL },
	{ "name_case_ows", OK200 "cOnTeNt-LeNgTh:\t 12 \t\r\n\r\n", 0, 12, 0, 1, 0, 200, true, 12, NULL },
	{ "header_8192", OK200 "Content-Length: 3\r\n\r\n", 8192, 3, 0, 1, 0, 200, true, 3, NULL },
	{ "header_8193", OK200 "Content-Length: 3\r\n\r\n", 8193, 3, 0, -1, HTTP_ERR_HEADER_TOO_LONG, 200, false, 0, NULL },
	{ "line_1mb", OK200 "Content-Length: 3\r\n\r\n", 1u << 20, 3, 0, -1, HTTP_ERR_HEADER_TOO_LONG, 200, false, 0, NULL },
	{ "long_unrelated_line", OK200 "Content-Length: 3\r\n\r\n", 4000, 3, 0, 1, 0, 200, true, 3, NULL },
	{ "cl_negative", OK200 "Content-Length: -1\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_CONTENT_LENGTH, 200, false, 0, NULL },
	{ "cl_not_numeric", OK200 "Content-Length: abc\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_CONTENT_LENGTH, 200, false, 0, NULL },
	{ "cl_trailing_junk", OK200 "Content-Length: 12a\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_CONTENT_LENGTH, 200, false, 0, NULL },
	{ "cl_empty", OK200 "Content-Length: \r\n\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_CONTENT_LENGTH, 200, false, 0, NULL },
	{ "cl_dup_same", OK200 "Content-Length: 7\r\ncontent-length: 7\r\n\r\n", 0, 7, 0, 1, 0, 200, true, 7, NULL },
	{ "cl_list_same", OK200 "Content-Length: 7, 7\r\n\r\n", 0, 7, 0, 1, 0, 200, true, 7, NULL },
	{ "cl_dup_different", OK200 "Content-Length: 7\r\nContent-Length: 8\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_CONTENT_LENGTH, 200, false, 0, NULL },
	{ "cl_2p63_minus_1", OK200 "Content-Length: 9223372036854775807\r\n\r\n", 0, 10, 0, 0, 0, 200, true, 10, NULL },
	{ "cl_2p63", OK200 "Content-Length: 9223372036854775808\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_CONTENT_LENGTH, 200, false, 0, NULL },
	{ "cl_2p64_minus_1", OK200 "Content-Length: 18446744073709551615\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_CONTENT_LENGTH, 200, false, 0, NULL },
	{ "cl_2p64", OK200 "Content-Length: 18446744073709551616\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_CONTENT_LENGTH, 200, false, 0, NULL },
	/* chunked (RFC 9112 7.1): the body is the decoded payload, whatever the cuts */
	{ "chunked_3", CHUNKED "5\r\nhello\r\n7;name=value\r\n, world\r\n1A\r\n" A26 "\r\n0\r\n\r\n",
	  0, 0, 0, 1, 0, 200, true, 38, "hello, world" A26 },
	{ "chunked_ext_trailer_pipelined", CHUNKED "4;a=1;b=\"x;y\"\r\nWiki\r\n5 \t; ext\r\npedia\r\n"
	  "0;last\r\nExpires: never\r\nX-Sum:9\r\n\r\n", 0, 0, 5, 1, 0, 200, true, 9, "Wikipedia" },
	{ "chunked_hex_case_zeros", CHUNKED "00A\r\n0123456789\r\n0a\r\n0123456789\r\n000\r\n\r\n",
	  0, 0, 0, 1, 0, 200, true, 20, "01234567890123456789" },
	{ "chunked_bare_lf", "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n3\nabc\n0\nX: y\n\n",
	  0, 0, 0, 1, 0, 200, true, 3, "abc" },
	{ "chunked_name_case", OK200 "transfer-encoding:  Chunked \r\n\r\n1\r\nx\r\n0\r\n\r\n",
	  0, 0, 0, 1, 0, 200, true, 1, "x" },
	{ "chunked_http10", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n",
	  0, 0, 0, 1, 0, 200, false, 2, "ab" },
	{ "chunked_404", "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nno\r\n0\r\n\r\n",
	  0, 0, 0, 1, 0, 404, true, 2, "no" },
	/* chunked wins over Content-Length (RFC 9112 6.3); the connection is not kept */
	{ "chunked_and_cl", OK200 "Content-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
	  0, 0, 4, 1, 0, 200, false, 3, "abc" },
	{ "cl_and_chunked_zero", OK200 "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n1\r\nz\r\n0\r\n\r\n",
	  0, 0, 0, 1, 0, 200, false, 1, "z" },
	{ "chunked_cl_still_checked", OK200 "Transfer-Encoding: chunked\r\nContent-Length: 1x\r\n\r\n", 0, 0, 0, -1,
	  HTTP_ERR_BAD_CONTENT_LENGTH, 200, false, 0, NULL },
	/* no body whatever the header says */
	{ "s204_chunked", "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n", 0, 0, 5, 1, 0, 204, true, 0, NULL },
	{ "s304_chunked", "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", 0, 0, 5, 1, 0, 304, true, 0, NULL },
	{ "continue_then_chunked", "HTTP/1.1 100 Continue\r\nTransfer-Encoding: chunked\r\n\r\n" OK200 "Content-Length: 2\r\n\r\n",
	  0, 2, 0, 1, 0, 200, true, 2, NULL },
	/* the peer closed inside the chunks: an incomplete */
	{ "chunked_cut_in_data", CHUNKED "5\r\nhel", 0, 0, 0, 0, 0, 200, true, 3, "hel" },
	{ "chunked_cut_in_size", CHUNKED "5\r\nhello\r\n1", 0, 0, 0, 0, 0, 200, true, 5, "hello" },
	{ "chunked_cut_in_trailer", CHUNKED "0\r\nX: y\r\n", 0, 0, 0, 0, 0, 200, true, 0, NULL },
	{ "chunked_max_size_cut", CHUNKED "7fffffffffffffff\r\nab", 0, 0, 0, 0, 0, 200, true, 2, "ab" },
	/* malformed framing: each its own error */
	{ "chunk_bad_hex", CHUNKED "5g\r\nhello\r\n0\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_CHUNK_SIZE, 200, false, 0, NULL },
	{ "chunk_no_digits", CHUNKED "\r\n0\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_CHUNK_SIZE, 200, false, 0, NULL },
	{ "chunk_ext_no_size", CHUNKED ";a=b\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_CHUNK_SIZE, 200, false, 0, NULL },
	{ "chunk_space_first", CHUNKED " 5\r\nhello\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_CHUNK_SIZE, 200, false, 0, NULL },
	{ "chunk_hex_after_space", CHUNKED "5 5\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_CHUNK_SIZE, 200, false, 0, NULL },
	{ "chunk_minus", CHUNKED "-1\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_CHUNK_SIZE, 200, false, 0, NULL },
	{ "chunk_0x", CHUNKED "0x5\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_CHUNK_SIZE, 200, false, 0, NULL },
	{ "chunk_2p63", CHUNKED "8000000000000000\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_CHUNK_SIZE, 200, false, 0, NULL },
	{ "chunk_2p64", CHUNKED "10000000000000000\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_CHUNK_SIZE, 200, false, 0, NULL },
	{ "chunk_ffff_ffff", CHUNKED "ffffffffffffffffffff\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_CHUNK_SIZE, 200, false, 0, NULL },
	{ "chunk_size_cr_alone", CHUNKED "5\rhello\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_CHUNK_SIZE, 200, false, 0, NULL },
	{ "chunk_data_too_long", CHUNKED "3\r\nabcd\r\n0\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_CHUNK_END, 200, false, 3, "abc" },
	{ "chunk_data_cr_alone", CHUNKED "3\r\nabc\rX\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_CHUNK_END, 200, false, 3, "abc" },
	{ "chunk_second_bad", CHUNKED "1\r\na\r\nz\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_CHUNK_SIZE, 200, false, 1, "a" },
	{ "trailer_folded", CHUNKED "0\r\nX: a\r\n b\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_TRAILER, 200, false, 0, NULL },
	{ "trailer_no_colon", CHUNKED "0\r\nNoColon\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_TRAILER, 200, false, 0, NULL },
	{ "trailer_space_before_colon", CHUNKED "0\r\nX : y\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_TRAILER, 200, false, 0, NULL },
	{ "trailer_empty_name", CHUNKED "0\r\n: y\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_TRAILER, 200, false, 0, NULL },
	{ "trailer_cr_alone", CHUNKED "0\r\nX: y\rz\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_TRAILER, 200, false, 0, NULL },
	{ "trailer_end_cr_alone", CHUNKED "0\r\n\rz", 0, 0, 0, -1, HTTP_ERR_BAD_TRAILER, 200, false, 0, NULL },
	/* codings other than chunked alone stay refused */
	{ "te_gzip_chunked", OK200 "Transfer-Encoding: gzip, chunked\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_UNSUPPORTED_ENCODING, 200, false, 0, NULL },
	{ "te_chunked_gzip", OK200 "Transfer-Encoding: chunked, gzip\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_UNSUPPORTED_ENCODING, 200, false, 0, NULL },
	{ "te_twice", OK200 "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 0, 0, 0, -1,
	  HTTP_ERR_UNSUPPORTED_ENCODING, 200, false, 0, NULL },
	{ "te_identity", OK200 "Transfer-Encoding: identity\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_UNSUPPORTED_ENCODING, 200, false, 0, NULL },
	{ "te_empty", OK200 "Transfer-Encoding: \r\n\r\n", 0, 0, 0, -1, HTTP_ERR_UNSUPPORTED_ENCODING, 200, false, 0, NULL },
	{ "garbage_status", "HTTZ/1.1 200 OK\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_STATUS_LINE, 0, false, 0, NULL },
	{ "status_2_digits", "HTTP/1.1 20 OK\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_STATUS_LINE, 0, false, 0, NULL },
	{ "status_600", "HTTP/1.1 600 OK\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_STATUS_LINE, 0, false, 0, NULL },
	{ "status_http2", "HTTP/2 200 OK\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_STATUS_LINE, 0, false, 0, NULL },
	{ "bare_cr", "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_HEADER_LINE, 200, false, 0, NULL },
	{ "no_colon", OK200 "NoColonHere\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_HEADER_LINE, 200, false, 0, NULL },
	{ "space_before_colon", OK200 "Content-Length : 3\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_HEADER_LINE, 200, false, 0, NULL },
	{ "empty_name", OK200 ": x\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_HEADER_LINE, 200, false, 0, NULL },
	{ "folded", OK200 "X: a\r\n Content-Length: 1\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_HEADER_LINE, 200, false, 0, NULL },
	{ "status_101", "HTTP/1.1 101 Switching Protocols\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_BAD_STATUS_LINE, 0, false, 0, NULL },
	{ "only_continue", "HTTP/1.1 100 Continue\r\n\r\n", 0, 0, 0, -1, HTTP_ERR_HEADER_INCOMPLETE, 0, false, 0, NULL },
	{ "cut_in_header", OK200 "Content-Len", 0, 0, 0, -1, HTTP_ERR_HEADER_INCOMPLETE, 200, false, 0, NULL },
	{ "empty_stream", "", 0, 0, 0, -1, HTTP_ERR_HEADER_INCOMPLETE, 0, false, 0, NULL },
};

/*
 * Build a case's bytes: the filler field "X-Pad: aaa...\r\n" goes right
 * after the first status line so the whole header is pad_to bytes.
 */
static uint8_t *build(const struct resp_case *c, size_t *len)
{
	size_t head = strlen(c->head), first = 0, pad = 0;
	uint8_t *buf, *p;

	if (c->pad_to) {
		while (c->head[first] != '\n')
			first++;
		first++;
		pad = c->pad_to - head;	/* "X-Pad: " + a's + "\r\n" */
	}
	*len = head + pad + c->body + c->extra;
	buf = malloc(*len ? *len : 1);
	if (buf == NULL)
		abort();
	p = buf;
	memcpy(p, c->head, first);
	p += first;
	if (pad) {
		memcpy(p, "X-Pad: ", 7);
		memset(p + 7, 'a', pad - 9);
		memcpy(p + pad - 2, "\r\n", 2);
		p += pad;
	}
	memcpy(p, c->head + first, head - first);
	p += head - first;
	for (size_t i = 0; i < c->body + c->extra; i++)
		*p++ = (uint8_t)('0' + i % 64);
	return buf;
}

static void check_expected(const struct resp_case *c, const struct outcome *o, size_t len)
{
	if (o->ret != c->ret || o->error != c->error || o->status != c->status ||
	    o->body_bytes != c->body_bytes || (c->ret == 1 && o->keep_alive != c->keep_alive) ||
	    (c->ret >= 0 && o->used != len - c->extra) || !o->ranges_ok ||
	    (c->payload != NULL &&
	     o->body_hash != fnv(FNV_BASIS, (const uint8_t *)c->payload, strlen(c->payload))))
		CHECK_FAIL_("%s: ret %d error %s status %d body %" PRIu64 " keep_alive %d used %zu"
			    " ranges_ok %d", c->name, o->ret, http_error_name(o->error), o->status,
			    o->body_bytes, o->keep_alive, o->used, o->ranges_ok);
}

TEST(table_whole_bytewise_random)
{
	check_rng_state = 0x4854545031ull;
	for (size_t i = 0; i < sizeof(resp_cases) / sizeof(resp_cases[0]); i++) {
		const struct resp_case *c = &resp_cases[i];
		size_t len;
		uint8_t *in = build(c, &len);
		struct outcome whole = feed_whole(in, len), bytes = feed_bytes(in, len);

		check_expected(c, &whole, len);
		if (!same(&whole, &bytes))
			CHECK_FAIL_("%s: byte at a time differs (body %" PRIu64 " used %zu)",
				    c->name, bytes.body_bytes, bytes.used);
		for (int k = 0; k < 1000; k++) {
			struct outcome split = feed_random(in, len);

			if (!same(&whole, &split)) {
				CHECK_FAIL_("%s: split %d differs (body %" PRIu64 " used %zu)",
					    c->name, k, split.body_bytes, split.used);
				break;
			}
		}
		free(in);
	}
}

TEST(fields_after_header)
{
	struct http_resp r;
	const char *s = "HTTP/1.0 200 OK\r\nContent-Length: 4\r\nConnection: keep-alive\r\n\r\nbodyNEXT";
	size_t used, off, len;

	http_resp_init(&r, false);
	CHECK_EQ(http_resp_feed(&r, (const uint8_t *)s, strlen(s), &used, &off, &len), 1);
	CHECK_EQ(used, strlen(s) - 4);
	CHECK_EQ(off, strlen(s) - 8);
	CHECK_EQ(len, 4);
	CHECK(memcmp(s + off, "body", 4) == 0);
	CHECK(r.has_length);
	CHECK_EQ(r.content_length, 4);
	CHECK(r.keep_alive);
	CHECK_EQ(r.header_bytes, strlen(s) - 8);
	/* complete: further input is not taken, the close changes nothing */
	CHECK_EQ(http_resp_feed(&r, (const uint8_t *)"x", 1, &used, &off, &len), 1);
	CHECK_EQ(used, 0);
	CHECK_EQ(len, 0);
	CHECK_EQ(http_resp_eof(&r), 1);
}

TEST(error_sticks)
{
	struct http_resp r;
	size_t used, off, len;

	http_resp_init(&r, false);
	CHECK_EQ(http_resp_feed(&r, (const uint8_t *)"XTTP/1.1 200\r\n", 14, &used, &off, &len), -1);
	CHECK_EQ(used, 14);
	CHECK_EQ(r.error, HTTP_ERR_BAD_STATUS_LINE);
	CHECK_EQ(http_resp_feed(&r, (const uint8_t *)"\r\n", 2, &used, &off, &len), -1);
	CHECK_EQ(used, 0);
	CHECK_EQ(http_resp_eof(&r), -1);
	CHECK_EQ(r.error, HTTP_ERR_BAD_STATUS_LINE);
	CHECK_STR(http_error_name(HTTP_ERR_BAD_CONTENT_LENGTH), "bad_content_length");
	CHECK_STR(http_error_name(HTTP_ERR_COUNT), "unknown");
	CHECK_STR(http_error_name(-1), "unknown");
}

/* Lines longer than the kept part: only the three framing fields care. */
static int feed_text(struct http_resp *r, const char *text)
{
	size_t used, off, len;

	http_resp_init(r, false);
	return http_resp_feed(r, (const uint8_t *)text, strlen(text), &used, &off, &len);
}

TEST(long_lines)
{
	char filler[300], text[1024];
	struct http_resp r;

	/* Content-Length 1 after 300 zeros: refused, not read as the 0s kept */
	memset(filler, '0', 299);
	filler[299] = '\0';
	snprintf(text, sizeof(text), "%sContent-Length: %s1\r\n\r\n", OK200, filler);
	CHECK_EQ(feed_text(&r, text), -1);
	CHECK_EQ(r.error, HTTP_ERR_BAD_CONTENT_LENGTH);

	/* the kept part ends in "close" of "closexyz": a cut token, not close */
	memset(filler, 'a', HTTP_LINE_MAX - 12 - 7);
	filler[HTTP_LINE_MAX - 12 - 7] = '\0';
	snprintf(text, sizeof(text), "%sConnection: %s, closexyz, b\r\nContent-Length: 0\r\n\r\n",
		 OK200, filler);
	CHECK_EQ(feed_text(&r, text), 1);
	CHECK(r.keep_alive);

	/* a name too long to keep, with no colon kept: skipped */
	snprintf(text, sizeof(text), "%sX-%s%s: close\r\nContent-Length: 0\r\n\r\n",
		 OK200, filler, filler);
	CHECK_EQ(feed_text(&r, text), 1);
	CHECK(r.keep_alive);
	snprintf(text, sizeof(text), "%sX-%s%s close\r\n\r\n", OK200, filler, filler);
	CHECK_EQ(feed_text(&r, text), -1);
	CHECK_EQ(r.error, HTTP_ERR_BAD_HEADER_LINE);
}

/* --- chunked: every cut, the caps; HEAD --- */

static void check_same(const char *name, const struct outcome *a, const struct outcome *b,
		       size_t i, size_t j)
{
	if (!same(a, b))
		CHECK_FAIL_("%s: cut at %zu and %zu: ret %d/%d error %s/%s body %" PRIu64 "/%" PRIu64
			    " used %zu/%zu ranges_ok %d/%d", name, i, j, a->ret, b->ret,
			    http_error_name(a->error), http_error_name(b->error), a->body_bytes,
			    b->body_bytes, a->used, b->used, a->ranges_ok, b->ranges_ok);
}

/* Every chunked case cut at every pair of byte positions (one cut when i == j). */
TEST(chunked_every_cut)
{
	for (size_t k = 0; k < sizeof(resp_cases) / sizeof(resp_cases[0]); k++) {
		const struct resp_case *c = &resp_cases[k];
		size_t len, cuts[2];
		uint8_t *in;
		struct outcome whole;

		if (strstr(c->head, "chunked") == NULL && strstr(c->head, "Chunked") == NULL)
			continue;
		in = build(c, &len);
		whole = feed_whole(in, len);
		check_expected(c, &whole, len);
		for (size_t i = 0; i <= len; i++)
			for (size_t j = i; j <= len; j++) {
				struct outcome split;

				cuts[0] = i;
				cuts[1] = j;
				split = feed_cuts(in, len, cuts, 2);
				check_same(c->name, &whole, &split, i, j);
			}
		free(in);
	}
}

/* head, pre, fill bytes of c, post: a stream with one long run in it */
static uint8_t *long_run(const char *head, const char *pre, size_t fill, char c, const char *post,
			 size_t *len)
{
	size_t h = strlen(head), p = strlen(pre), q = strlen(post);
	uint8_t *buf = malloc(h + p + fill + q);

	if (buf == NULL)
		abort();
	memcpy(buf, head, h);
	memcpy(buf + h, pre, p);
	memset(buf + h + p, c, fill);
	memcpy(buf + h + p + fill, post, q);
	*len = h + p + fill + q;
	return buf;
}

TEST(chunked_caps)
{
	struct { size_t n; bool trailer; int ret, error; } t[] = {
		{ HTTP_HEADER_MAX, false, 1, 0 },
		{ HTTP_HEADER_MAX + 1, false, -1, HTTP_ERR_BAD_CHUNK_SIZE },
		{ HTTP_HEADER_MAX, true, 1, 0 },
		{ HTTP_HEADER_MAX + 1, true, -1, HTTP_ERR_TRAILER_TOO_LONG },
		{ 1u << 20, true, -1, HTTP_ERR_TRAILER_TOO_LONG },
	};

	check_rng_state = 0x636170ull;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t len;
		/* a trailer section of n bytes, or a chunk-size line of n bytes (CRLF included) */
		uint8_t *in = t[i].trailer ?
			long_run(CHUNKED "0\r\n", "X-T: ", t[i].n - 9, 'a', "\r\n\r\n", &len) :
			long_run(CHUNKED, "1;", t[i].n - 4, 'x', "\r\nx\r\n0\r\n\r\n", &len);
		struct outcome whole = feed_whole(in, len), bytes = feed_bytes(in, len),
			       split = feed_random(in, len);

		CHECK_EQ(whole.ret, t[i].ret);
		CHECK_EQ(whole.error, t[i].error);
		CHECK(whole.ranges_ok);
		CHECK_EQ(whole.body_bytes, (uint64_t)(!t[i].trailer && t[i].ret == 1));
		check_same("caps", &whole, &bytes, i, 0);
		check_same("caps", &whole, &split, i, 0);
		free(in);
	}
}

/* A response to HEAD has no body whatever its header says (RFC 9110 9.3.2). */
TEST(head_no_body)
{
	static const char *const heads[] = {
		OK200 "Content-Length: 5\r\n\r\n",
		OK200 "Transfer-Encoding: chunked\r\n\r\n",
		OK200 "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\n",
		OK200 "\r\n",
	};
	const char *next = "HTTP/1.1 200 OK\r\n";

	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		char text[256];
		struct http_resp r;
		size_t used, off, len, h = strlen(heads[i]);

		snprintf(text, sizeof(text), "%s%s", heads[i], next);
		http_resp_init(&r, true);
		CHECK_EQ(http_resp_feed(&r, (const uint8_t *)text, strlen(text), &used, &off, &len), 1);
		CHECK_EQ(used, h);
		CHECK_EQ(len, 0);
		CHECK_EQ(r.body_bytes, 0);
		CHECK(r.keep_alive == (i != 2));	/* chunked and Content-Length: not kept */
		CHECK_EQ(http_resp_eof(&r), 1);
		/* the same bytes to a GET wait for a body (or the close) */
		http_resp_init(&r, false);
		CHECK_EQ(http_resp_feed(&r, (const uint8_t *)heads[i], h, &used, &off, &len), 0);
		CHECK_EQ(r.state, HTTP_BODY);
	}
}

/* One call hands back one range: the caller feeds the rest; nothing is lost. */
TEST(chunked_one_range_per_call)
{
	const char *s = CHUNKED "3\r\nabc\r\n2;x\r\nde\r\n0\r\nT: 1\r\n\r\nNEXT";
	size_t n = strlen(s), h = strlen(CHUNKED), used, off, len;
	struct http_resp r;

	http_resp_init(&r, false);
	CHECK_EQ(http_resp_feed(&r, (const uint8_t *)s, n, &used, &off, &len), 0);
	CHECK_EQ(off, h + 3);
	CHECK_EQ(len, 3);
	CHECK_EQ(used, h + 3 + 3 + 2 + 5);	/* up to the next data */
	CHECK(memcmp(s + off, "abc", 3) == 0);
	CHECK_EQ(http_resp_feed(&r, (const uint8_t *)s + used, n - used, &used, &off, &len), 1);
	CHECK_EQ(len, 2);
	CHECK_EQ(off, 0);
	CHECK_EQ(used, n - 4 - (h + 13));
	CHECK_EQ(r.body_bytes, 5);
	CHECK_EQ(r.frame_bytes, 3 + 2 + 5 + 2 + 3 + 8);
	CHECK(r.chunked);
	CHECK(!r.has_length);
	CHECK(r.keep_alive);
	CHECK_STR(http_error_name(HTTP_ERR_BAD_CHUNK_END), "bad_chunk_end");
	CHECK_STR(http_error_name(HTTP_ERR_TRAILER_TOO_LONG), "trailer_too_long");
}

/* --- mutations --- */

static const char *const tokens[] = {
	"\r\n", "\n", "\r", ":", " ", "\t", ",", "0", "9", "-", "\r\n\r\n",
	"Content-Length: ", "content-length:1\r\n", "Connection: close\r\n",
	"Transfer-Encoding: chunked\r\n", "HTTP/1.1 100 Continue\r\n\r\n", "HTTP/1.0 204 x\r\n",
	"99999999999999999999", "9223372036854775807",
	"\r\n0\r\n\r\n", ";x=y", "a", "F", "7fffffffffffffff", "X-T: 1\r\n",
};

/* A mutation of in[0..n) into out (room for cap bytes); returns its length. */
static size_t mutate(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	size_t len = n < cap ? n : cap, edits = 1 + rng_below(4);

	memcpy(out, in, len);
	for (size_t e = 0; e < edits; e++) {
		size_t at = rng_below(len + 1), op = rng_below(4);

		if (op == 0 && at < len) {		/* replace a byte */
			out[at] = (uint8_t)check_rand();
		} else if (op == 1 && at < len) {	/* delete a run */
			size_t k = 1 + rng_below(len - at < 8 ? len - at : 8);

			memmove(out + at, out + at + k, len - at - k);
			len -= k;
		} else if (op == 2) {			/* insert a token */
			const char *t = tokens[rng_below(sizeof(tokens) / sizeof(tokens[0]))];
			size_t k = strlen(t);

			if (len + k <= cap) {
				memmove(out + at + k, out + at, len - at);
				memcpy(out + at, t, k);
				len += k;
			}
		} else {				/* cut the end */
			len = at;
		}
	}
	return len;
}

TEST(mutations_200k)
{
	enum { N = 200000, CAP = 512 };
	uint8_t scratch[CAP];
	unsigned bad = 0, done = 0, errors = 0;

	check_rng_state = 0x6d75746174ull;
	for (int i = 0; i < N; i++) {
		const struct resp_case *c;
		size_t n, len;
		uint8_t *in, *base;

		do	/* the small cases: big ones make the run slow, not wider */
			c = &resp_cases[rng_below(sizeof(resp_cases) / sizeof(resp_cases[0]))];
		while (c->pad_to > 0 || c->body > 256);
		base = build(c, &n);
		len = mutate(base, n, scratch, CAP);
		free(base);
		in = malloc(len ? len : 1);
		if (in == NULL)
			abort();
		memcpy(in, scratch, len);

		struct outcome whole = feed_whole(in, len), split = feed_random(in, len);

		if (!same(&whole, &split) || whole.used > len ||
		    (whole.ret == -1) != (whole.error != 0) ||
		    (i % 16 == 0 && (split = feed_bytes(in, len), !same(&whole, &split)))) {
			if (bad++ < 5)
				CHECK_FAIL_("mutation %d: outcomes differ (ret %d/%d error %s/%s)", i,
					    whole.ret, split.ret, http_error_name(whole.error),
					    http_error_name(split.error));
		}
		done += whole.ret == 1;
		errors += whole.ret == -1;
		free(in);
	}
	CHECK_EQ(bad, 0);
	/* the mutations must reach both ends, or they test little */
	CHECK(done > N / 20);
	CHECK(errors > N / 20);
}

static const struct check_case cases[] = {
	CASE(table_whole_bytewise_random),
	CASE(fields_after_header),
	CASE(error_sticks),
	CASE(long_lines),
	CASE(chunked_every_cut),
	CASE(chunked_caps),
	CASE(head_no_body),
	CASE(chunked_one_range_per_call),
	CASE(mutations_200k),
};

CHECK_MAIN(cases)
