/*
 * http_parse.h - an incremental parser for the HTTP/1.x responses epwget reads.
 *
 * It owns one flow's response state: the status line, the header fields
 * that decide framing (Content-Length, Transfer-Encoding, Connection) and
 * the count of body bytes. It keeps no pointer into the caller's buffers,
 * allocates nothing and has no global state, so a struct http_resp can
 * live inside a flow object of a pool.
 *
 * Every byte of the status line and the header is looked at once, in
 * order, so the outcome does not depend on how the stream was cut into
 * reads (one byte at a time gives what one big read gives). Body bytes
 * are counted in bulk and handed back as a range of the caller's buffer.
 *
 * What it accepts (RFC 9112, with the leniencies noted):
 * - status line "HTTP/1.<digit> <3 digits>[ <reason>]", status 100..599;
 *   the reason may be empty or missing. 1xx responses other than 101 are
 *   interim: they are skipped and the next status line is parsed. 101 is
 *   an error: epwget never asks to switch protocols.
 * - lines end with CRLF or, as lenient clients allow, a bare LF; a CR not
 *   followed by LF is an error. The header ends at the first empty line.
 * - field names are tokens matched case-insensitively, no space before
 *   the colon; whitespace around values is dropped. Folded lines (obs-fold)
 *   are refused rather than joined.
 * - Content-Length: decimal digits below 2^63; a repeated field, or a
 *   comma list, must repeat the same value.
 * - Transfer-Encoding: chunked (RFC 9112 7.1), alone, in one field: the
 *   body is decoded as it comes: hex chunk sizes below 2^63, chunk
 *   extensions (";name=value", after optional whitespace) skipped, the last
 *   chunk "0", trailer fields (name ":" value, not interpreted), the empty
 *   line. Chunked wins over a Content-Length (RFC 9112 6.3: has_length is
 *   then cleared, and the connection is not kept). Any other coding, or
 *   chunked twice, is refused (unsupported_encoding). The body bytes
 *   counted and handed back are the decoded payload; the framing is counted
 *   in frame_bytes. A chunk-size line longer than HTTP_HEADER_MAX, bad hex
 *   or a size over 2^63 - 1 is bad_chunk_size; a chunk's data not followed
 *   by its CRLF, bad_chunk_end; a malformed trailer line, bad_trailer; a
 *   trailer section over HTTP_HEADER_MAX bytes, trailer_too_long.
 * - a response to HEAD (http_resp_init's head), 204 and 304 have no body
 *   whatever the header says (RFC 9110 9.3.2, 15.3.5, 15.4.5); any other
 *   response without Content-Length or chunked is read until the peer
 *   closes.
 * - the header, counted from the first status line (1xx ones included) to
 *   the empty line that ends it, may be at most HTTP_HEADER_MAX bytes.
 *   Only the first HTTP_LINE_MAX bytes of a line are kept: a longer line is
 *   fine unless it is one of the three fields above (Content-Length is then
 *   refused, a long Connection list is read as far as it was kept).
 *
 * Threading: a struct http_resp belongs to its flow's core.
 */
#ifndef EPWGET_HTTP_PARSE_H
#define EPWGET_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_HEADER_MAX 8192	/* bytes of status lines + header fields + empty line */
#define HTTP_LINE_MAX	256	/* bytes of one line kept for matching */

enum http_state {
	HTTP_STATUS_LINE,	/* reading a status line */
	HTTP_HEADERS,		/* reading header fields */
	HTTP_BODY,		/* counting body bytes */
	HTTP_DONE,		/* the response is complete */
	HTTP_ERROR,		/* bad input: error says which */
};

enum http_error {
	HTTP_ERR_NONE,
	HTTP_ERR_HEADER_TOO_LONG,
	HTTP_ERR_BAD_STATUS_LINE,
	HTTP_ERR_BAD_CONTENT_LENGTH,
	HTTP_ERR_BAD_HEADER_LINE,
	HTTP_ERR_UNSUPPORTED_ENCODING,
	HTTP_ERR_HEADER_INCOMPLETE,	/* the peer closed inside the header */
	HTTP_ERR_BAD_CHUNK_SIZE,	/* a chunk-size line: bad hex, over 2^63 - 1, too long */
	HTTP_ERR_BAD_CHUNK_END,		/* a chunk's data not followed by CRLF */
	HTTP_ERR_BAD_TRAILER,		/* a trailer line that is no field */
	HTTP_ERR_TRAILER_TOO_LONG,	/* trailer section over HTTP_HEADER_MAX bytes */
	HTTP_ERR_COUNT
};

struct http_resp {
	int state;		/* enum http_state */
	int status;		/* 100..599 once a status line is complete */
	int error;		/* enum http_error, set with state HTTP_ERROR */
	uint64_t content_length;	/* valid when has_length */
	bool has_length;
	bool keep_alive;	/* set when the header ends: the connection may be reused */
	bool chunked;		/* Transfer-Encoding: chunked: the body is decoded */
	bool head;		/* the request was HEAD: no body (set by http_resp_init) */
	uint32_t header_bytes;	/* header bytes so far; the body starts after them */
	uint64_t body_bytes;	/* body bytes so far (chunked: the decoded payload) */
	uint64_t frame_bytes;	/* chunked framing so far: size lines, CRLFs, trailers */

	/* private scanning state */
	uint8_t minor;		/* x of HTTP/1.x */
	bool cr;		/* the last byte was a CR */
	bool colon;		/* the current line holds a ':' (also beyond line_len) */
	bool line_long;		/* the current line did not fit in line[] */
	bool conn_close;	/* Connection: close seen */
	bool conn_keep;		/* Connection: keep-alive seen */
	uint16_t line_len;	/* bytes of the current line kept in line[] */
	uint8_t chunk;		/* chunked decoding step (http_parse.c's enum chunk_step) */
	bool chunk_digit;	/* the chunk-size line has a hex digit */
	uint32_t chunk_line;	/* bytes of the current chunk-size line */
	uint32_t trailer_bytes;	/* bytes of the trailer section so far */
	uint64_t chunk_left;	/* data bytes of the current chunk still to come */
	uint8_t line[HTTP_LINE_MAX];
};

/*
 * Set up r for a new response (any core, before the first feed). head: the
 * request was HEAD, so the response has no body whatever its header says.
 */
void http_resp_init(struct http_resp *r, bool head);

/*
 * Feed the next n bytes of the stream. *used gets the bytes taken: all n
 * unless the response completed inside buf (bytes after its end, such as a
 * pipelined next response, are left to the caller), or on error (the bytes
 * up to the bad one), or - chunked only - the next chunk's data begins
 * after the body range handed back: feed buf + *used again. The body bytes
 * among them are buf[*body_off .. *body_off + *body_len) (*body_len 0 when
 * none): one range per call. All out-parameters must be valid pointers.
 * Returns 0 when more is needed, 1 once the response is complete, -1 on bad
 * input (r->error says why). After 1 or -1 further calls take nothing and
 * return the same.
 */
int http_resp_feed(struct http_resp *r, const uint8_t *buf, size_t n, size_t *used,
		   size_t *body_off, size_t *body_len);

/*
 * The peer closed. Returns 1 when that completes the response (it had
 * neither Content-Length nor chunked, or it was already complete), 0 when
 * the body was cut short (an incomplete), -1 when the header was cut short
 * (error header_incomplete) or the response was already in error.
 */
int http_resp_eof(struct http_resp *r);

/* A short name for an enum http_error value ("unknown" outside it). */
const char *http_error_name(int error);

#endif
