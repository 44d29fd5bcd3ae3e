/*
 * http_parse.c - the incremental HTTP/1.x response parser: epw_flow.c's
 * mtcp_read -> consume -> http_resp_feed, as the bytes come, in any pieces.
 *
 * The header is scanned a byte at a time (header_byte): each line is kept
 * in r->line, up to HTTP_LINE_MAX bytes, and handled when its LF arrives,
 * first as the status line, then as header fields, until the empty line.
 * The body is then a count, taken in bulk in http_resp_feed; a chunked
 * body's framing is scanned a byte at a time (chunk_byte) between the runs
 * of data, which are taken in bulk, one run per call.
 */
#include "http_parse.h"

#include <string.h>

static const char *const error_names[HTTP_ERR_COUNT] = {
	[HTTP_ERR_NONE] = "none",
	[HTTP_ERR_HEADER_TOO_LONG] = "header_too_long",
	[HTTP_ERR_BAD_STATUS_LINE] = "bad_status_line",
	[HTTP_ERR_BAD_CONTENT_LENGTH] = "bad_content_length",
	[HTTP_ERR_BAD_HEADER_LINE] = "bad_header_line",
	[HTTP_ERR_UNSUPPORTED_ENCODING] = "unsupported_encoding",
	[HTTP_ERR_HEADER_INCOMPLETE] = "header_incomplete",
	[HTTP_ERR_BAD_CHUNK_SIZE] = "bad_chunk_size",
	[HTTP_ERR_BAD_CHUNK_END] = "bad_chunk_end",
	[HTTP_ERR_BAD_TRAILER] = "bad_trailer",
	[HTTP_ERR_TRAILER_TOO_LONG] = "trailer_too_long",
};

/* Where a chunked body is (r->chunk), RFC 9112 7.1. */
enum chunk_step {
	CK_SIZE,	/* hex digits of the chunk size */
	CK_SIZE_WS,	/* whitespace after them (BWS before ';') */
	CK_EXT,		/* a chunk extension: skipped to the end of the line */
	CK_SIZE_LF,	/* the size line's CR came: its LF */
	CK_DATA,	/* chunk_left bytes of data */
	CK_DATA_CR,	/* the CRLF after the data */
	CK_DATA_LF,
	CK_TRAILER,	/* the start of a trailer line (or the empty line) */
	CK_TR_NAME,	/* a trailer field's name */
	CK_TR_VALUE,	/* its value, to the end of the line */
	CK_TR_LF,	/* a trailer line's CR came: its LF */
	CK_END_LF,	/* the empty line's CR came: its LF */
};

const char *http_error_name(int error)
{
	if (error < 0 || error >= HTTP_ERR_COUNT)
		return "unknown";
	return error_names[error];
}

void http_resp_init(struct http_resp *r, bool head)
{
	memset(r, 0, sizeof(*r));
	r->state = HTTP_STATUS_LINE;
	r->head = head;
}

static int fail(struct http_resp *r, int error)
{
	r->state = HTTP_ERROR;
	r->error = error;
	return -1;
}

/* A bad line is a bad status line until the status line is through. */
static int fail_line(struct http_resp *r)
{
	return fail(r, r->state == HTTP_STATUS_LINE ? HTTP_ERR_BAD_STATUS_LINE
						    : HTTP_ERR_BAD_HEADER_LINE);
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + ('a' - 'A')) : c;
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool is_ows(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* RFC 9110 5.6.2 tchar */
static bool is_tchar(uint8_t c)
{
	if (is_digit(c) || (lower(c) >= 'a' && lower(c) <= 'z'))
		return true;
	return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* p[0..n) equals the lower-case word w, ignoring case */
static bool eq_word(const uint8_t *p, size_t n, const char *w)
{
	if (n != strlen(w))
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(p[i]) != (uint8_t)w[i])
			return false;
	return true;
}

/* A byte range of r->line: [off, end). */
struct span {
	size_t off, end;
};

static struct span trim(const uint8_t *p, struct span s)
{
	while (s.off < s.end && is_ows(p[s.off]))
		s.off++;
	while (s.end > s.off && is_ows(p[s.end - 1]))
		s.end--;
	return s;
}

/*
 * The next element of the comma list in s, trimmed; s advances past it.
 * Returns false at the end of the list.
 */
static bool next_elem(const uint8_t *p, struct span *s, struct span *elem)
{
	size_t i = s->off;

	if (s->off >= s->end)
		return false;
	while (i < s->end && p[i] != ',')
		i++;
	*elem = trim(p, (struct span){ s->off, i });
	s->off = i < s->end ? i + 1 : i;
	return true;
}

/* RFC 9112 4: "HTTP/1.x NNN reason", the reason possibly empty or absent */
static int parse_status(struct http_resp *r)
{
	const uint8_t *p = r->line;
	size_t n = r->line_len;
	int status;

	if (n < 12 || memcmp(p, "HTTP/1.", 7) != 0 || !is_digit(p[7]) || p[8] != ' ')
		return fail_line(r);
	if (!is_digit(p[9]) || !is_digit(p[10]) || !is_digit(p[11]) || (n > 12 && p[12] != ' '))
		return fail_line(r);
	status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (status < 100 || status > 599 || status == 101)
		return fail_line(r);
	r->status = status;
	r->minor = (uint8_t)(p[7] - '0');
	r->state = HTTP_HEADERS;
	return 0;
}

/* One decimal below 2^63; false when empty, not digits or too large. */
static bool parse_u63(const uint8_t *p, struct span s, uint64_t *out)
{
	uint64_t v = 0;

	if (s.off >= s.end)
		return false;
	for (size_t i = s.off; i < s.end; i++) {
		if (!is_digit(p[i]))
			return false;
		if (v > (INT64_MAX - (uint64_t)(p[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = v;
	return true;
}

/*
 * RFC 9110 8.6: a list of identical values may stand for one, and so may
 * a repeated field; anything else makes the framing unknowable.
 */
static int content_length(struct http_resp *r, struct span val)
{
	struct span elem;
	uint64_t v;

	if (r->line_long || val.off >= val.end)
		return fail(r, HTTP_ERR_BAD_CONTENT_LENGTH);
	while (next_elem(r->line, &val, &elem)) {
		if (!parse_u63(r->line, elem, &v))
			return fail(r, HTTP_ERR_BAD_CONTENT_LENGTH);
		if (r->has_length && v != r->content_length)
			return fail(r, HTTP_ERR_BAD_CONTENT_LENGTH);
		r->content_length = v;
		r->has_length = true;
	}
	return 0;
}

/*
 * Only "chunked", alone: another coding would leave the payload encoded,
 * and a second field would apply chunked twice or after another coding.
 */
static int transfer_encoding(struct http_resp *r, struct span val)
{
	struct span elem;

	if (r->chunked || r->line_long || !next_elem(r->line, &val, &elem) ||
	    !eq_word(r->line + elem.off, elem.end - elem.off, "chunked") ||
	    next_elem(r->line, &val, &elem))
		return fail(r, HTTP_ERR_UNSUPPORTED_ENCODING);
	r->chunked = true;
	return 0;
}

static int connection(struct http_resp *r, struct span val)
{
	struct span elem;

	while (next_elem(r->line, &val, &elem)) {
		/* the last element of a cut line may be cut too: ignore it */
		if (r->line_long && val.off >= val.end)
			break;
		if (eq_word(r->line + elem.off, elem.end - elem.off, "close"))
			r->conn_close = true;
		else if (eq_word(r->line + elem.off, elem.end - elem.off, "keep-alive"))
			r->conn_keep = true;
	}
	return 0;
}

/* RFC 9112 5: field-name ":" OWS field-value OWS */
static int parse_field(struct http_resp *r)
{
	const uint8_t *p = r->line;
	size_t n = r->line_len, colon = 0;
	struct span val;

	while (colon < n && p[colon] != ':')
		colon++;
	if (colon == n)	/* no colon kept: fine only for a name too long to be ours */
		return r->colon && r->line_long ? 0 : fail_line(r);
	if (colon == 0)
		return fail_line(r);
	for (size_t i = 0; i < colon; i++)	/* also refuses obs-fold: SP/HT first */
		if (!is_tchar(p[i]))
			return fail_line(r);
	val = trim(p, (struct span){ colon + 1, n });
	if (eq_word(p, colon, "content-length"))
		return content_length(r, val);
	if (eq_word(p, colon, "transfer-encoding"))
		return transfer_encoding(r, val);
	if (eq_word(p, colon, "connection"))
		return connection(r, val);
	return 0;
}

/* Forget what an interim (1xx) response said; the header count goes on. */
static void next_response(struct http_resp *r)
{
	r->state = HTTP_STATUS_LINE;
	r->status = 0;
	r->content_length = 0;
	r->has_length = false;
	r->chunked = false;
	r->conn_close = false;
	r->conn_keep = false;
}

/* The empty line: decide how the body is framed. */
static int end_header(struct http_resp *r)
{
	bool no_body = r->head || r->status == 204 || r->status == 304;

	if (r->status < 200) {
		next_response(r);
		return 0;
	}
	/* RFC 9112 9.3: 1.1 persists unless closed, 1.0 only when asked */
	r->keep_alive = r->minor >= 1 ? !r->conn_close : r->conn_keep && !r->conn_close;
	if (r->chunked && r->has_length) {
		/* RFC 9112 6.3: chunked wins; a smuggling hint, so no reuse */
		r->has_length = false;
		r->content_length = 0;
		r->keep_alive = false;
	}
	if (no_body || (r->has_length && r->content_length == 0)) {
		r->state = HTTP_DONE;
		return 0;
	}
	if (!r->has_length && !r->chunked)
		r->keep_alive = false;	/* only the close ends this body */
	r->state = HTTP_BODY;
	r->chunk = CK_SIZE;
	return 0;
}

static int end_line(struct http_resp *r)
{
	int ret;

	if (r->state == HTTP_STATUS_LINE)
		ret = parse_status(r);
	else if (r->line_len == 0)
		ret = end_header(r);
	else
		ret = parse_field(r);
	r->line_len = 0;
	r->line_long = false;
	r->colon = false;
	return ret;
}

/* One byte of the status line or the header; -1 on error. */
static int header_byte(struct http_resp *r, uint8_t c)
{
	if (++r->header_bytes > HTTP_HEADER_MAX)
		return fail(r, HTTP_ERR_HEADER_TOO_LONG);
	if (r->cr) {
		r->cr = false;
		return c == '\n' ? end_line(r) : fail_line(r);
	}
	if (c == '\r') {
		r->cr = true;
		return 0;
	}
	if (c == '\n')
		return end_line(r);
	if (c == ':')
		r->colon = true;
	if (r->line_len < HTTP_LINE_MAX)
		r->line[r->line_len++] = c;
	else
		r->line_long = true;
	return 0;
}

/*
 * The ordinary bytes of buf (n > 0) up to the first CR or LF, taken in
 * bulk: exactly what header_byte() does to each, without its per-byte
 * branches (the client's largest cost per flow was here). Stops short of
 * HTTP_HEADER_MAX so that header_byte() fails on the byte that passes it.
 * Not after a CR: the next byte must be its LF. Returns the bytes taken.
 */
static size_t header_run(struct http_resp *r, const uint8_t *buf, size_t n)
{
	size_t room = HTTP_HEADER_MAX - r->header_bytes, k = 0, keep;
	bool colon = false;

	if (n > room)
		n = room;
	while (k < n && buf[k] != '\r' && buf[k] != '\n') {
		colon |= buf[k] == ':';
		k++;
	}
	keep = HTTP_LINE_MAX - r->line_len;
	if (k > keep)
		r->line_long = true;
	else
		keep = k;
	memcpy(r->line + r->line_len, buf, keep);
	r->line_len = (uint16_t)(r->line_len + keep);
	r->header_bytes += (uint32_t)k;
	r->colon |= colon;
	return k;
}

static int hex_value(uint8_t c)
{
	if (is_digit(c))
		return c - '0';
	c = lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The end of a chunk-size line: data follows, or the trailer after the last chunk. */
static int chunk_size_done(struct http_resp *r)
{
	if (!r->chunk_digit)
		return fail(r, HTTP_ERR_BAD_CHUNK_SIZE);
	r->chunk = r->chunk_left != 0 ? CK_DATA : CK_TRAILER;
	r->chunk_line = 0;
	r->chunk_digit = false;
	return 0;
}

/* A byte of a chunk-size line: "hex [BWS ; ext] CRLF"; bare LF ends it too. */
static int chunk_size_byte(struct http_resp *r, uint8_t c)
{
	int h = hex_value(c);

	if (++r->chunk_line > HTTP_HEADER_MAX)
		return fail(r, HTTP_ERR_BAD_CHUNK_SIZE);
	if (r->chunk == CK_SIZE_LF)
		return c == '\n' ? chunk_size_done(r) : fail(r, HTTP_ERR_BAD_CHUNK_SIZE);
	if (c == '\r') {
		r->chunk = CK_SIZE_LF;
		return 0;
	}
	if (c == '\n')
		return chunk_size_done(r);
	if (r->chunk == CK_EXT)
		return 0;
	if (c == ';' && r->chunk_digit) {
		r->chunk = CK_EXT;
		return 0;
	}
	if (is_ows(c) && r->chunk_digit) {
		r->chunk = CK_SIZE_WS;
		return 0;
	}
	if (h < 0 || r->chunk != CK_SIZE || r->chunk_left > (uint64_t)INT64_MAX >> 4)
		return fail(r, HTTP_ERR_BAD_CHUNK_SIZE);
	r->chunk_left = r->chunk_left << 4 | (uint64_t)h;
	r->chunk_digit = true;
	return 0;
}

/* A byte of the trailer section: fields (not interpreted), then the empty line. */
static int trailer_byte(struct http_resp *r, uint8_t c)
{
	if (++r->trailer_bytes > HTTP_HEADER_MAX)
		return fail(r, HTTP_ERR_TRAILER_TOO_LONG);
	switch (r->chunk) {
	case CK_TRAILER:
		if (c == '\r') {
			r->chunk = CK_END_LF;
			return 0;
		}
		if (c == '\n')
			break;
		if (!is_tchar(c))	/* also obs-fold: SP/HT first */
			return fail(r, HTTP_ERR_BAD_TRAILER);
		r->chunk = CK_TR_NAME;
		return 0;
	case CK_TR_NAME:
		if (c == ':')
			r->chunk = CK_TR_VALUE;
		else if (!is_tchar(c))
			return fail(r, HTTP_ERR_BAD_TRAILER);
		return 0;
	case CK_TR_VALUE:
		if (c == '\r')
			r->chunk = CK_TR_LF;
		else if (c == '\n')
			r->chunk = CK_TRAILER;
		return 0;
	case CK_TR_LF:
		if (c != '\n')
			return fail(r, HTTP_ERR_BAD_TRAILER);
		r->chunk = CK_TRAILER;
		return 0;
	default:	/* CK_END_LF */
		if (c != '\n')
			return fail(r, HTTP_ERR_BAD_TRAILER);
		break;
	}
	r->state = HTTP_DONE;	/* the empty line */
	return 0;
}

/* One byte of chunked framing (never of data); -1 on error. */
static int chunk_byte(struct http_resp *r, uint8_t c)
{
	r->frame_bytes++;
	switch (r->chunk) {
	case CK_DATA_CR:	/* CRLF, or a bare LF as lenient clients allow */
	case CK_DATA_LF:
		if (c == '\r' && r->chunk == CK_DATA_CR)
			r->chunk = CK_DATA_LF;
		else if (c == '\n')
			r->chunk = CK_SIZE;
		else
			return fail(r, HTTP_ERR_BAD_CHUNK_END);
		return 0;
	case CK_TRAILER:
	case CK_TR_NAME:
	case CK_TR_VALUE:
	case CK_TR_LF:
	case CK_END_LF:
		return trailer_byte(r, c);
	default:
		return chunk_size_byte(r, c);
	}
}

/*
 * A chunked body from buf[i]: framing a byte at a time, data in bulk, at
 * most one data run (the caller's one body range). Returns the new i.
 */
static size_t chunked_body(struct http_resp *r, const uint8_t *buf, size_t i, size_t n,
			   size_t *body_off, size_t *body_len)
{
	while (i < n && r->state == HTTP_BODY) {
		uint64_t take;

		if (r->chunk != CK_DATA) {
			if (chunk_byte(r, buf[i++]) < 0)
				break;
			continue;
		}
		if (*body_len != 0)
			break;	/* a second run: the caller feeds the rest again */
		take = n - i;
		if (take > r->chunk_left)
			take = r->chunk_left;
		*body_off = i;
		*body_len = (size_t)take;
		i += (size_t)take;
		r->body_bytes += take;
		r->chunk_left -= take;
		if (r->chunk_left == 0)
			r->chunk = CK_DATA_CR;
	}
	return i;
}

int http_resp_feed(struct http_resp *r, const uint8_t *buf, size_t n, size_t *used,
		   size_t *body_off, size_t *body_len)
{
	size_t i = 0;

	*body_off = 0;
	*body_len = 0;
	while (i < n && r->state < HTTP_BODY) {
		if (!r->cr)
			i += header_run(r, buf + i, n - i);
		if (i < n && header_byte(r, buf[i++]) < 0)
			break;
	}
	if (r->state == HTTP_BODY && r->chunked) {
		i = chunked_body(r, buf, i, n, body_off, body_len);
	} else if (r->state == HTTP_BODY && i < n) {
		uint64_t take = n - i;

		if (r->has_length && take > r->content_length - r->body_bytes)
			take = r->content_length - r->body_bytes;
		*body_off = i;
		*body_len = (size_t)take;
		i += (size_t)take;
		r->body_bytes += take;
		if (r->has_length && r->body_bytes == r->content_length)
			r->state = HTTP_DONE;
	}
	*used = i;
	if (r->state == HTTP_DONE)
		return 1;
	return r->state == HTTP_ERROR ? -1 : 0;
}

int http_resp_eof(struct http_resp *r)
{
	switch (r->state) {
	case HTTP_STATUS_LINE:
	case HTTP_HEADERS:
		return fail(r, HTTP_ERR_HEADER_INCOMPLETE);
	case HTTP_BODY:
		if (r->has_length || r->chunked)
			return 0;
		r->state = HTTP_DONE;
		return 1;
	case HTTP_DONE:
		return 1;
	default:
		return -1;
	}
}
