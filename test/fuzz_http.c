/*
 * fuzz_http.c - fuzz target: http_parse.c, the incremental HTTP response
 * parser, on any byte stream.
 *
 * Input: one byte k, then k % 8 big-endian 16-bit cut points, then the
 * stream. The stream is fed three ways: whole, cut at those points, and one
 * byte at a time, each from a heap copy of exactly its length (ASan sees a
 * read past a piece). Checked: the three give the same verdict, bytes used,
 * status, framing fields, header, chunk framing and body byte counts, the
 * same body bytes (a hash: a chunked body decoded the same), and the same
 * result at end of stream; the body ranges handed back lie inside the piece
 * fed, add up to body_bytes and never pass Content-Length; every byte taken
 * is header, framing or body; once complete or in error a parser takes
 * nothing more.
 */
#include "http_parse.h"

#include <stdio.h>
#include <stdlib.h>

#include "test/fuzz.h"

#define MAX_CUTS 8

struct outcome {
	struct http_resp r;
	int verdict;		/* of the last feed: 0, 1 or -1 */
	size_t used;		/* bytes taken over all feeds */
	uint64_t body_seen;	/* body bytes handed back over all feeds */
	uint64_t body_hash;	/* FNV-1a of those bytes, in order */
	int eof;		/* http_resp_eof after the stream, when it needed more */
};

static uint64_t fnv(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static void fail(const char *how, const char *what)
{
	fprintf(stderr, "fuzz_http: fed %s: %s\n", how, what);
	abort();
}

/*
 * Feed one piece to the end; false once the parser is done with the
 * stream. buf is a heap block of at least n bytes (exactly n for the bytes
 * to be checked). A chunked body comes back one range per call: a verdict
 * of 0 may leave bytes, only after a range, and the rest is fed again.
 */
static bool feed(struct outcome *o, uint8_t *buf, const uint8_t *p, size_t n, const char *how)
{
	size_t used, off, len, done = 0;
	int v;

	memcpy(buf, p, n);
	do {
		v = http_resp_feed(&o->r, buf + done, n - done, &used, &off, &len);
		if (used > n - done || (len != 0 && (off > used || len > used - off)))
			fail(how, "the bytes used or the body range lie outside the piece");
		if (v < -1 || v > 1 || (v == 0 && used != n - done && (len == 0 || used == 0)))
			fail(how, "a verdict of 0 left bytes unused without a body range before them");
		if (o->r.has_length && o->r.body_bytes > o->r.content_length)
			fail(how, "more body than Content-Length");
		if ((o->r.state == HTTP_BODY || o->r.state == HTTP_DONE) && o->r.has_length &&
		    o->r.chunked)
			fail(how, "both Content-Length and chunked frame the body");
		/* the byte past HTTP_HEADER_MAX is counted, then refused */
		if (o->r.header_bytes > HTTP_HEADER_MAX + 1 ||
		    (o->r.header_bytes == HTTP_HEADER_MAX + 1 &&
		     o->r.error != HTTP_ERR_HEADER_TOO_LONG))
			fail(how, "a header longer than HTTP_HEADER_MAX was taken");
		if (o->r.trailer_bytes > HTTP_HEADER_MAX + 1)
			fail(how, "a trailer section longer than HTTP_HEADER_MAX was taken");
		o->used += used;
		o->body_seen += len;
		o->body_hash = fnv(o->body_hash, buf + done + off, len);
		if (o->used != o->r.header_bytes + o->r.frame_bytes + o->r.body_bytes)
			fail(how, "bytes taken that are neither header, framing nor body");
		done += used;
	} while (v == 0 && done < n);
	o->verdict = v;
	return v == 0;
}

static void finish(struct outcome *o, const char *how)
{
	size_t used, off, len;
	int v;

	if (o->body_seen != o->r.body_bytes)
		fail(how, "the body ranges do not add up to body_bytes");
	if (o->verdict == 1 && o->r.has_length && o->r.status != 204 && o->r.status != 304 &&
	    !o->r.head &&
	    o->r.body_bytes != o->r.content_length)
		fail(how, "complete with a body shorter than Content-Length");
	if (o->verdict != 0) {	/* done: nothing more is taken */
		v = http_resp_feed(&o->r, (const uint8_t *)"HTTP/1.0 200 OK\r\n", 17, &used, &off,
				   &len);
		if (v != o->verdict || used != 0 || len != 0)
			fail(how, "a finished parser took more bytes");
		o->eof = 2;
		return;
	}
	o->eof = http_resp_eof(&o->r);
}

static void same(const struct outcome *a, const struct outcome *b, const char *how)
{
	const struct http_resp *x = &a->r, *y = &b->r;

	if (a->verdict != b->verdict || a->used != b->used || a->eof != b->eof ||
	    x->state != y->state || x->status != y->status || x->error != y->error ||
	    x->has_length != y->has_length || (x->has_length && x->content_length != y->content_length) ||
	    x->keep_alive != y->keep_alive || x->chunked != y->chunked ||
	    x->header_bytes != y->header_bytes || x->body_bytes != y->body_bytes ||
	    x->frame_bytes != y->frame_bytes || x->trailer_bytes != y->trailer_bytes ||
	    a->body_hash != b->body_hash) {
		fprintf(stderr, "fuzz_http: whole: verdict %d used %zu state %d status %d error %s "
			"body %llu eof %d; %s: verdict %d used %zu state %d status %d error %s "
			"body %llu eof %d\n", a->verdict, a->used, x->state, x->status,
			http_error_name(x->error), (unsigned long long)x->body_bytes, a->eof, how,
			b->verdict, b->used, y->state, y->status, http_error_name(y->error),
			(unsigned long long)y->body_bytes, b->eof);
		fail(how, "the outcome depends on how the stream was cut");
	}
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	size_t cut[MAX_CUTS + 1], ncut = fz_u8(&in) % (MAX_CUTS + 1), n, at;
	const uint8_t *s;
	uint8_t *buf;
	struct outcome whole, pieces, bytes;

	for (size_t i = 0; i < ncut; i++)
		cut[i] = fz_u16(&in);
	s = in.p;
	n = in.n;
	for (size_t i = 0; i < ncut; i++)
		cut[i] = n != 0 ? cut[i] % (n + 1) : 0;
	qsort(cut, ncut, sizeof(cut[0]), cmp_size);
	cut[ncut] = n;

	/* each piece in a heap block of its exact length: ASan sees a read past it */
	buf = malloc(n ? n : 1);
	if (buf == NULL)
		abort();
	memset(&whole, 0, sizeof(whole));
	whole.body_hash = 0xcbf29ce484222325ull;
	http_resp_init(&whole.r, false);
	feed(&whole, buf, s, n, "whole");
	finish(&whole, "whole");
	free(buf);

	memset(&pieces, 0, sizeof(pieces));
	pieces.body_hash = 0xcbf29ce484222325ull;
	http_resp_init(&pieces.r, false);
	at = 0;
	for (size_t i = 0; i <= ncut; i++) {
		bool more;

		buf = malloc(cut[i] - at ? cut[i] - at : 1);
		if (buf == NULL)
			abort();
		more = feed(&pieces, buf, s + at, cut[i] - at, "in pieces");
		free(buf);
		if (!more)
			break;
		at = cut[i];
	}
	finish(&pieces, "in pieces");
	same(&whole, &pieces, "in pieces");

	buf = malloc(1);
	if (buf == NULL)
		abort();
	memset(&bytes, 0, sizeof(bytes));
	bytes.body_hash = 0xcbf29ce484222325ull;
	http_resp_init(&bytes.r, false);
	for (at = 0; at < n; at++)
		if (!feed(&bytes, buf, s + at, 1, "a byte at a time"))
			break;
	finish(&bytes, "a byte at a time");
	same(&whole, &bytes, "a byte at a time");
	free(buf);
	return 0;
}
