/*
 * fuzz_eps_http.c - fuzz target: epserver's request parser (eps_http.c,
 * eps_req_feed) on a stream of pipelined requests.
 *
 * Input: one byte that seeds the splits, then the bytes a client sends.
 * The stream is parsed request after request as epserver does (eps_req_init
 * after each one, the rest of the bytes to the next), twice: whole, and cut
 * into pieces of 1..16 bytes each in a heap buffer of its exact size (ASan
 * sees a read past a piece). Checked besides ASan and UBSan, for every
 * request:
 * - both ways agree: the outcome, the bytes taken, and every field;
 * - 0 takes every byte offered; 1 and -1 take at most what was offered and
 *   stay as they are when fed more (taking nothing);
 * - a whole request: a known method that the request line starts with, a
 *   minor version of one digit, a target that starts with '/', is
 *   NUL-terminated at path_len < EPS_PATH_MAX, holds no NUL and appears in
 *   the request's bytes; at least EPS_REQ_MIN bytes, at most
 *   EPS_HEADER_MAX of head; keep-alive on HTTP/1.0 only with a
 *   "keep-alive" in the bytes, off on 1.1 only with a "close";
 * - an error: a reason within enum eps_req_error, with a name.
 */
#include "eps_http.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test/fuzz.h"

#define MAX_REQS 4096

struct outcome {
	int ret;
	size_t used;
	struct eps_req r;
};

static void bad(const char *what, size_t at)
{
	fprintf(stderr, "fuzz_eps_http: request at byte %zu: %s\n", at, what);
	abort();
}

/* Whether word (lowercase) occurs in p[0..n), case-insensitively. */
static bool has_word(const uint8_t *p, size_t n, const char *word)
{
	size_t wl = strlen(word);

	for (size_t i = 0; i + wl <= n; i++) {
		size_t j = 0;

		while (j < wl && tolower(p[i + j]) == word[j])
			j++;
		if (j == wl)
			return true;
	}
	return false;
}

/* One request from p[0..n), in pieces of the sizes rng gives (0: whole). */
static void feed(const uint8_t *p, size_t n, uint32_t *rng, struct outcome *o)
{
	size_t at = 0;

	eps_req_init(&o->r);
	o->ret = 0;
	o->used = 0;
	do {
		size_t len = n - at, u = 0;
		uint8_t *piece;

		if (rng != NULL) {
			*rng = *rng * 1103515245u + 12345u;
			len = 1 + (*rng >> 16) % 16;
			len = len < n - at ? len : n - at;
		}
		piece = malloc(len ? len : 1);
		if (piece == NULL)
			abort();
		memcpy(piece, p + at, len);
		o->ret = eps_req_feed(&o->r, piece, len, &u);
		free(piece);
		if (u > len)
			bad("took more bytes than offered", at);
		if (o->ret == 0 && u != len)
			bad("\"more needed\" without taking every byte", at);
		o->used += u;
		at += len;
	} while (o->ret == 0 && at < n);
}

static void check_whole(const uint8_t *p, const struct outcome *o, size_t at)
{
	const struct eps_req *r = &o->r;
	size_t skip = 0;

	if (r->method > EPS_M_OTHER)
		bad("method out of range", at);
	if (r->minor > 9)
		bad("minor version past one digit", at);
	if (r->path_len == 0 || r->path_len >= EPS_PATH_MAX || r->path[0] != '/' ||
	    r->path[r->path_len] != '\0' || memchr(r->path, '\0', r->path_len) != NULL)
		bad("target not '/...' NUL-terminated at path_len", at);
	if (memmem(p, o->used, r->path, r->path_len) == NULL)
		bad("target not among the request's bytes", at);
	if (o->used < EPS_REQ_MIN)
		bad("a whole request shorter than EPS_REQ_MIN", at);
	if (o->used > EPS_HEADER_MAX)
		bad("a whole request longer than EPS_HEADER_MAX", at);
	while (skip < o->used && (p[skip] == '\r' || p[skip] == '\n'))
		skip++;
	if ((r->method == EPS_M_GET && memcmp(p + skip, "GET ", 4) != 0) ||
	    (r->method == EPS_M_HEAD && memcmp(p + skip, "HEAD ", 5) != 0))
		bad("method not the request line's", at);
	if (r->minor == 0 && r->keep_alive && !has_word(p, o->used, "keep-alive"))
		bad("HTTP/1.0 kept alive without keep-alive", at);
	if (r->minor == 1 && !r->keep_alive && !has_word(p, o->used, "close"))
		bad("HTTP/1.1 not kept alive without close", at);
}

static void check_same(const struct outcome *a, const struct outcome *b, size_t at)
{
	if (a->ret != b->ret || a->used != b->used)
		bad("whole and split feeding disagree on the outcome", at);
	if (a->ret == 1 && (a->r.method != b->r.method || a->r.minor != b->r.minor ||
			    a->r.keep_alive != b->r.keep_alive || a->r.path_len != b->r.path_len ||
			    strcmp(a->r.path, b->r.path) != 0))
		bad("whole and split feeding disagree on a field", at);
	if (a->ret == -1 && a->r.error != b->r.error)
		bad("whole and split feeding disagree on the error", at);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct outcome whole, split;
	uint32_t rng = size > 0 ? data[0] : 0;
	size_t off = size > 0 ? 1 : 0;

	for (int k = 0; k < MAX_REQS && off < size; k++) {
		const uint8_t *p = data + off;
		size_t n = size - off, u = 0;

		feed(p, n, NULL, &whole);
		feed(p, n, &rng, &split);
		check_same(&whole, &split, off);
		if (whole.ret == 0) {
			if (whole.used != n)
				bad("\"more needed\" without taking every byte", off);
			break;
		}
		if (whole.used > n)
			bad("took more than the stream", off);
		if (whole.ret == 1) {
			check_whole(p, &whole, off);
		} else if (whole.ret == -1) {
			if (whole.r.error == EPS_ERR_NONE || whole.r.error >= EPS_ERR_COUNT ||
			    eps_req_error_name(whole.r.error) == NULL || whole.used == 0)
				bad("an error without a reason, or before a byte", off);
		} else {
			bad("returned neither 0, 1 nor -1", off);
		}
		if (eps_req_feed(&whole.r, (const uint8_t *)"GET", 3, &u) != whole.ret || u != 0)
			bad("the outcome did not stay when fed more", off);
		if (whole.ret == -1)
			break;	/* epserver answers 400 and closes: nothing after it is parsed */
		off += whole.used;
	}
	return 0;
}
