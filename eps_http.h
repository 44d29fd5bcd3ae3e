/*
 * eps_http.h - epserver's HTTP/1.x side: the site (every file of the
 * document root, loaded into memory at start, with its responses built
 * once), the lookup of a request target, and the incremental request
 * parser.
 *
 * Nothing here allocates after eps_site_load: a response is a prebuilt
 * header plus the file's bytes, both read-only and shared by every core; a
 * struct eps_req holds one connection's parsing state and no pointer, so it
 * lives in a connection slot.
 *
 * What the parser accepts (RFC 9112, lenient where noted):
 * - empty lines before the request line are skipped (RFC 9112 2.2);
 * - request line "METHOD SP target SP HTTP/1.<digit>", single spaces; the
 *   method a token of at most 15 bytes; the target in origin form
 *   ("/path[?query]"), at most EPS_PATH_MAX - 1 bytes;
 * - lines end with CRLF or a bare LF; a CR not followed by LF is an error;
 * - header fields "name: value"; names are tokens matched case-insensitively,
 *   no space before the colon; folded lines (obs-fold) are refused;
 * - Connection is a list of tokens: close and keep-alive are heeded;
 * - a request with a body (Content-Length other than 0, any
 *   Transfer-Encoding) is refused: epserver serves GET and HEAD only;
 * - the whole request head, empty lines before it included, may be at
 *   most EPS_HEADER_MAX bytes.
 *
 * Threading: the site is built by main before the cores start and only
 * read afterwards; a struct eps_req belongs to its connection's core.
 */
#ifndef EPWGET_EPS_HTTP_H
#define EPWGET_EPS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EPS_PATH_MAX     256	/* bytes of a request target, with the NUL */
#define EPS_HEADER_MAX   8192	/* bytes of a request head, up to its empty line */
#define EPS_METHOD_MAX   16	/* bytes of a method, with the NUL */
#define EPS_MAX_FILES    65536	/* files a site may hold */
/*
 * The shortest request: "G / HTTP/1.0\n\n". A read of k * EPS_REQ_MIN
 * bytes holds at most k whole requests, which bounds how many responses
 * one read can owe (see eps_conn.c).
 */
#define EPS_REQ_MIN      14

/* The responses that are not files; the site's response table starts with them. */
enum eps_status_resp {
	EPS_RESP_400,		/* a malformed request: answered, then the connection closes */
	EPS_RESP_404,		/* no such file */
	EPS_RESP_501,		/* a method other than GET or HEAD */
	EPS_RESP_FIRST_FILE,
};

/* One response: a file (status 200) or one of the status responses above. */
struct eps_resp {
	const char *name;	/* "/dir/file" for a file, the status line's reason otherwise */
	const uint8_t *body;
	uint64_t size;		/* body bytes */
	uint16_t status;
	uint16_t hdr_len[2];	/* [0] with Connection: close, [1] with keep-alive */
	const char *hdr[2];
};

/* A name the site answers to: a file's path, or "/dir/" for a directory's index.html. */
struct eps_name {
	const char *name;	/* NULL: empty slot */
	uint32_t len;
	uint32_t resp;		/* index into resp */
};

/* Every response epserver can give. */
struct eps_site {
	struct eps_resp *resp;	/* EPS_RESP_FIRST_FILE + n_files entries */
	uint32_t n_resp;
	uint32_t n_files;
	uint64_t file_bytes;	/* bytes of every file body */
	struct eps_name *names;	/* open addressing, linear probing */
	uint32_t mask;		/* slots - 1 */
};

/*
 * Load every regular file under root (depth-first, at most 16 levels,
 * symbolic links to files followed, to directories not) into memory and
 * build its responses; a directory's index.html also answers for
 * "/dir/". At most EPS_MAX_FILES files and max_bytes bytes of them, names
 * (the path under root with a leading '/') below EPS_PATH_MAX bytes. 0, or
 * -errno with a message in err that says what to do (the limit passed, the
 * file that could not be read).
 */
int eps_site_load(struct eps_site *s, const char *root, uint64_t max_bytes, char *err,
		  size_t errlen);

/* Release what eps_site_load made. Idempotent. */
void eps_site_free(struct eps_site *s);

/*
 * The response index for a request target (origin form, already checked to
 * start with '/'): the query is ignored and a target ending in '/' asks for
 * its index.html. EPS_RESP_404 when no file has that name.
 */
uint32_t eps_site_lookup(const struct eps_site *s, const char *target, size_t len);

enum eps_method {
	EPS_M_GET,
	EPS_M_HEAD,
	EPS_M_OTHER,
};

enum eps_req_error {
	EPS_ERR_NONE,
	EPS_ERR_HEADER_TOO_LONG,
	EPS_ERR_BAD_REQUEST_LINE,
	EPS_ERR_TARGET_TOO_LONG,
	EPS_ERR_BAD_VERSION,
	EPS_ERR_BAD_HEADER_LINE,
	EPS_ERR_BODY,		/* Content-Length other than 0, or Transfer-Encoding */
	EPS_ERR_COUNT
};

struct eps_req {
	/* the result, valid once eps_req_feed returned 1 */
	uint8_t method;		/* enum eps_method */
	uint8_t minor;		/* HTTP/1.minor */
	bool keep_alive;	/* the client allows another request on this connection */
	uint8_t error;		/* enum eps_req_error, after -1 */
	uint16_t path_len;

	/* private scanning state */
	uint8_t state;
	uint8_t pos;		/* bytes of the current method, version, name or token */
	uint8_t field;		/* which field's value is being read */
	uint8_t names;		/* candidate field names the name still matches */
	bool cr;		/* the last byte was a CR */
	bool conn_close, conn_keep;
	bool cl_nonzero;
	uint16_t head;		/* bytes of the head so far */
	char tok[20];		/* the method, a field name (lowercased), a Connection token */

	char path[EPS_PATH_MAX];	/* the target, NUL-terminated (last: init leaves it) */
};

/* Ready r for a new request. */
void eps_req_init(struct eps_req *r);

/*
 * Feed the next n bytes of the connection. *used gets the bytes taken: all
 * n while more is needed; up to the request's end when it completed (the
 * rest belongs to the next request); up to the bad byte on error. Returns
 * 0 (more needed), 1 (a whole request: method, minor, keep_alive, path) or
 * -1 (bad input: error says why; *used then counts the bad byte). Start the next request with
 * eps_req_init.
 */
int eps_req_feed(struct eps_req *r, const uint8_t *p, size_t n, size_t *used);

/* Whether r has seen no byte of a request yet (a keep-alive connection at rest). */
bool eps_req_idle(const struct eps_req *r);

/* A short name for an enum eps_req_error value. */
const char *eps_req_error_name(int error);

#endif
