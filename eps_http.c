/*
 * eps_http.c - epserver's site (files and prebuilt responses) and its
 * incremental HTTP/1.x request parser (see eps_http.h).
 *
 * epserver.c loads the site once at start (eps_site_load) and frees it at
 * the end; eps_conn.c feeds each connection's reads to eps_req_feed, looks
 * the target up (eps_site_lookup) and writes the response straight from
 * site->resp. The parser: eps_req_feed -> fast_path over runs of plain
 * bytes, line_end at LF, request_byte for every other byte.
 */
#include "eps_http.h"
#include "mos_log.h"

#include <dirent.h>
#include <strings.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#define MAX_DEPTH 16
#define HDR_MAX   256	/* bytes of a prebuilt response header */

/* --- the site ------------------------------------------------------------------- */


static const struct {
	const char *ext;
	const char *type;
} mime_types[] = {
	{ ".html", "text/html" }, { ".htm", "text/html" }, { ".txt", "text/plain" },
	{ ".css", "text/css" }, { ".js", "application/javascript" },
	{ ".json", "application/json" }, { ".png", "image/png" }, { ".jpg", "image/jpeg" },
	{ ".jpeg", "image/jpeg" }, { ".gif", "image/gif" }, { ".svg", "image/svg+xml" },
	{ ".ico", "image/x-icon" },
};

static const char *mime_type(const char *name)
{
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot != NULL && i < sizeof(mime_types) / sizeof(mime_types[0]); i++)
		if (strcasecmp(dot, mime_types[i].ext) == 0)
			return mime_types[i].type;
	return "application/octet-stream";
}

static const char *reason(unsigned status)
{
	return status == 200 ? "OK" : status == 400 ? "Bad Request" : status == 404 ? "Not Found" :
	       "Not Implemented";
}

/* Both headers of r (Connection: close and keep-alive) in one block of 2 x HDR_MAX. */
static int build_headers(struct eps_resp *r, const char *type)
{
	static const char *const conn[2] = { "close", "keep-alive" };
	char *mem = malloc(2 * HDR_MAX);

	if (mem == NULL)
		return -ENOMEM;
	for (int k = 0; k < 2; k++) {
		int n = snprintf(mem + k * HDR_MAX, HDR_MAX, "HTTP/1.1 %u %s\r\nServer: epserver\r\n"
				 "Content-Type: %s\r\nContent-Length: %llu\r\nConnection: %s\r\n\r\n",
				 r->status, reason(r->status), type, (unsigned long long)r->size,
				 conn[k]);

		if (n <= 0 || n >= HDR_MAX) {
			free(mem);
			return -ENAMETOOLONG;
		}
		r->hdr[k] = mem + k * HDR_MAX;
		r->hdr_len[k] = (uint16_t)n;
	}
	return 0;
}

/* The status responses: a short text body each. */
static int build_status(struct eps_site *s)
{
	static const uint16_t codes[EPS_RESP_FIRST_FILE] = { 400, 404, 501 };
	static const char *const bodies[EPS_RESP_FIRST_FILE] = {
		"400 Bad Request\n", "404 Not Found\n", "501 Not Implemented\n",
	};

	for (int i = 0; i < EPS_RESP_FIRST_FILE; i++) {
		struct eps_resp *r = &s->resp[i];

		r->status = codes[i];
		r->name = reason(codes[i]);
		r->body = (const uint8_t *)bodies[i];
		r->size = strlen(bodies[i]);
		if (build_headers(r, "text/plain") != 0)
			return -ENOMEM;
	}
	return 0;
}

/* Read the whole file at path (size bytes by fstat) into a new block. */
static int read_file(const char *path, uint8_t **out, uint64_t *size, uint64_t room, char *err,
		     size_t errlen)
{
	struct stat st;
	uint8_t *buf;
	uint64_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) != 0) {
		int e = errno;

		mos_set_err(err, errlen, "%s: %s; make it readable or remove it from the document root",
			path, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	if ((uint64_t)st.st_size > room) {
		close(fd);
		return -EFBIG;
	}
	buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	while (buf != NULL && got < (uint64_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)((uint64_t)st.st_size - got));

		if (r <= 0) {
			mos_set_err(err, errlen, "%s: %s while reading it; retry when it is not being "
				"written", path, r < 0 ? strerror(errno) : "shorter than its size");
			free(buf);
			close(fd);
			return -EIO;
		}
		got += (uint64_t)r;
	}
	close(fd);
	if (buf == NULL) {
		mos_set_err(err, errlen, "%s: out of memory for %lld bytes", path, (long long)st.st_size);
		return -ENOMEM;
	}
	*out = buf;
	*size = got;
	return 0;
}

/* What the walk collects before the table is built. */
struct walk {
	struct eps_site *s;
	uint32_t cap;
	uint64_t max_bytes;
	char *err;
	size_t errlen;
};

static int add_file(struct walk *w, const char *path, const char *name)
{
	struct eps_site *s = w->s;
	struct eps_resp *r;
	uint8_t *body = NULL;
	uint64_t size = 0;
	char *dup;
	int ret;

	if (s->n_files >= EPS_MAX_FILES) {
		mos_set_err(w->err, w->errlen, "the document root holds more than %d files; serve a "
			"smaller directory", EPS_MAX_FILES);
		return -E2BIG;
	}
	if (s->n_resp == w->cap) {
		uint32_t cap = w->cap * 2;
		struct eps_resp *n = realloc(s->resp, cap * sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		memset(n + w->cap, 0, (cap - w->cap) * sizeof(*n));
		s->resp = n;
		w->cap = cap;
	}
	ret = read_file(path, &body, &size, w->max_bytes - s->file_bytes, w->err, w->errlen);
	if (ret == -EFBIG)
		mos_set_err(w->err, w->errlen, "%s: the files pass the limit of %llu bytes; raise -m "
			"or serve a smaller directory", path, (unsigned long long)w->max_bytes);
	if (ret != 0)
		return ret;
	dup = strdup(name);
	r = &s->resp[s->n_resp];
	r->name = dup;
	r->body = body;
	r->size = size;
	r->status = 200;
	if (dup == NULL || build_headers(r, mime_type(name)) != 0) {
		free(dup);
		free(body);
		memset(r, 0, sizeof(*r));
		return -ENOMEM;
	}
	s->n_resp++;
	s->n_files++;
	s->file_bytes += size;
	return 0;
}

/* Walk dir (its name under the root is name, "" for the root itself). */
static int walk_dir(struct walk *w, const char *dir, const char *name, int depth)
{
	char path[4096], sub[EPS_PATH_MAX];
	struct dirent *e;
	DIR *d;
	int ret = 0;

	if (depth > MAX_DEPTH) {
		mos_set_err(w->err, w->errlen, "%s: more than %d levels of directories; serve a "
			"shallower tree", dir, MAX_DEPTH);
		return -ELOOP;
	}
	d = opendir(dir);
	if (d == NULL) {
		ret = -errno;
		mos_set_err(w->err, w->errlen, "%s: %s; give -d an existing, readable directory", dir,
			strerror(-ret));
		return ret;
	}
	while (ret == 0 && (e = readdir(d)) != NULL) {
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", name, e->d_name) >= sizeof(sub)) {
			mos_set_err(w->err, w->errlen, "%s: its name under the root has %d bytes or more; "
				"epserver serves names shorter than that", path, EPS_PATH_MAX);
			ret = -ENAMETOOLONG;
			break;
		}
		if (lstat(path, &st) != 0) {
			continue;	/* gone since readdir */
		}
		if (S_ISDIR(st.st_mode))
			ret = walk_dir(w, path, sub, depth + 1);
		else if (S_ISREG(st.st_mode) || (S_ISLNK(st.st_mode) && stat(path, &st) == 0 &&
						 S_ISREG(st.st_mode)))
			ret = add_file(w, path, sub);
	}
	closedir(d);
	return ret;
}

static uint64_t name_hash(const char *name, size_t len)
{
	return XXH3_64bits(name, len);
}

static void name_insert(struct eps_site *s, const char *name, uint32_t len, uint32_t resp)
{
	uint32_t i = (uint32_t)name_hash(name, len) & s->mask;

	while (s->names[i].name != NULL)
		i = (i + 1) & s->mask;
	s->names[i] = (struct eps_name){ name, len, resp };
}

/* Every file's name, and "/dir/" for each index.html. */
static int build_names(struct eps_site *s)
{
	uint32_t slots = 4;

	while (slots < 4 * s->n_files)	/* two names at most per file, half full at most */
		slots *= 2;
	s->names = calloc(slots, sizeof(*s->names));
	if (s->names == NULL)
		return -ENOMEM;
	s->mask = slots - 1;
	for (uint32_t i = EPS_RESP_FIRST_FILE; i < s->n_resp; i++) {
		const char *n = s->resp[i].name;
		size_t len = strlen(n);
		static const char index[] = "/index.html";

		name_insert(s, n, (uint32_t)len, i);
		if (len >= sizeof(index) - 1 && strcmp(n + len - (sizeof(index) - 1), index) == 0)
			name_insert(s, n, (uint32_t)(len - (sizeof(index) - 2)), i);	/* "/dir/" */
	}
	return 0;
}

int eps_site_load(struct eps_site *s, const char *root, uint64_t max_bytes, char *err,
		  size_t errlen)
{
	struct walk w = { .s = s, .cap = 64, .max_bytes = max_bytes, .err = err, .errlen = errlen };
	int ret;

	memset(s, 0, sizeof(*s));
	err[0] = '\0';
	s->resp = calloc(w.cap, sizeof(*s->resp));
	if (s->resp == NULL)
		return -ENOMEM;
	s->n_resp = EPS_RESP_FIRST_FILE;
	ret = build_status(s);
	if (ret == 0)
		ret = walk_dir(&w, root, "", 0);
	if (ret == 0)
		ret = build_names(s);
	if (ret != 0) {
		if (err[0] == '\0')
			mos_set_err(err, errlen, "%s: %s while loading the files", root, strerror(-ret));
		eps_site_free(s);
	}
	return ret;
}

void eps_site_free(struct eps_site *s)
{
	for (uint32_t i = 0; s->resp != NULL && i < s->n_resp; i++) {
		free((void *)(uintptr_t)s->resp[i].hdr[0]);	/* both headers are one block */
		if (i >= EPS_RESP_FIRST_FILE) {
			free((void *)(uintptr_t)s->resp[i].name);
			free((void *)(uintptr_t)s->resp[i].body);
		}
	}
	free(s->resp);
	free(s->names);
	memset(s, 0, sizeof(*s));
}

uint32_t eps_site_lookup(const struct eps_site *s, const char *target, size_t len)
{
	const char *q = memchr(target, '?', len);
	uint32_t i;

	if (q != NULL)
		len = (size_t)(q - target);
	for (i = (uint32_t)name_hash(target, len) & s->mask; s->names[i].name != NULL;
	     i = (i + 1) & s->mask)
		if (s->names[i].len == len && memcmp(s->names[i].name, target, len) == 0)
			return s->names[i].resp;
	return EPS_RESP_404;
}

/* --- the request parser ------------------------------------------------------------ */

enum {
	S_START,	/* before the request line: empty lines are skipped */
	S_METHOD,
	S_TARGET,
	S_VERSION,	/* "HTTP/1.x", then the line's end */
	S_LINE,		/* the start of a header line, or the empty line */
	S_NAME,
	S_VALUE,
	S_DONE,
	S_ERROR,
};

/* The fields whose value matters. */
enum { F_CONNECTION, F_CONTENT_LENGTH, F_TRANSFER_ENCODING, F_COUNT, F_OTHER = F_COUNT };
static const struct {
	const char *name;
	uint8_t len;
} fields[F_COUNT] = {
	{ "connection", 10 }, { "content-length", 14 }, { "transfer-encoding", 17 },
};

static const char version[] = "HTTP/1.";

/*
 * Byte classes, one table lookup a byte: C_TCHAR a token character (RFC
 * 9110 5.6.2), C_TARGET a target byte (visible ASCII, or obs-text), C_VALUE
 * a field value byte (HTAB, SP, visible ASCII, obs-text).
 */
#define C_TCHAR  1
#define C_TARGET 2
#define C_VALUE  4
static const uint8_t cls[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	4, 7, 6, 7, 7, 7, 7, 7, 6, 6, 7, 7, 6, 7, 7, 6,
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 6, 6, 6,
	6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 7, 7,
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
	7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6, 7, 6, 7, 0,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
	6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6,
};

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

void eps_req_init(struct eps_req *r)
{
	memset(r, 0, offsetof(struct eps_req, path));	/* state S_START; the path is rewritten */
	r->path[0] = '\0';
}

bool eps_req_idle(const struct eps_req *r)
{
	return r->state == S_START && r->head == 0;
}

static int fail(struct eps_req *r, int error)
{
	r->state = S_ERROR;
	r->error = (uint8_t)error;
	return -1;
}

/* A Connection token ended (tok[0..pos)): heed close and keep-alive. */
static void conn_token(struct eps_req *r)
{
	if (r->pos == 5 && memcmp(r->tok, "close", 5) == 0)
		r->conn_close = true;
	else if (r->pos == 10 && memcmp(r->tok, "keep-alive", 10) == 0)
		r->conn_keep = true;
	r->pos = 0;
}

/* One byte of a field that matters (not CR or LF). */
static int value_byte(struct eps_req *r, uint8_t c)
{
	if (!(cls[c] & C_VALUE))
		return fail(r, EPS_ERR_BAD_HEADER_LINE);
	if (r->field == F_OTHER)
		return 0;
	if (r->field == F_CONTENT_LENGTH) {
		if (c >= '1' && c <= '9')
			r->cl_nonzero = true;
		else if (c != '0' && c != ' ' && c != '\t' && c != ',')
			return fail(r, EPS_ERR_BODY);
	} else if (c == ',' || c == ' ' || c == '\t') {	/* Connection: a list of tokens */
		if (r->pos != 0)
			conn_token(r);
	} else if (r->pos < sizeof(r->tok)) {
		r->tok[r->pos++] = (char)lower(c);
	} else {
		r->pos = sizeof(r->tok);	/* too long for a token we heed */
	}
	return 0;
}

/* A header name (lowercased in tok[0..pos), pos past the end when longer) ended at its colon. */
static int name_end(struct eps_req *r)
{
	r->field = F_OTHER;
	for (int f = 0; f < F_COUNT; f++)
		if (fields[f].len == r->pos && memcmp(r->tok, fields[f].name, r->pos) == 0)
			r->field = (uint8_t)f;
	if (r->field == F_TRANSFER_ENCODING)
		return fail(r, EPS_ERR_BODY);
	r->pos = 0;
	r->state = S_VALUE;
	return 0;
}

static bool method_is(const struct eps_req *r, const char *m, uint8_t len)
{
	return r->pos == len && memcmp(r->tok, m, len) == 0;
}

/* The end of a line (LF, or CRLF). 1 when the request is complete. */
static int line_end(struct eps_req *r)
{
	switch (r->state) {
	case S_START:
		return 0;
	case S_VERSION:
		if (r->pos != sizeof(version))	/* "HTTP/1." and the digit */
			return fail(r, EPS_ERR_BAD_VERSION);
		r->state = S_LINE;
		return 0;
	case S_VALUE:
		if (r->field == F_CONNECTION && r->pos != 0)
			conn_token(r);
		r->state = S_LINE;
		return 0;
	case S_LINE:
		if (r->cl_nonzero)
			return fail(r, EPS_ERR_BODY);
		r->keep_alive = r->minor >= 1 ? !r->conn_close : r->conn_keep && !r->conn_close;
		r->state = S_DONE;
		return 1;
	case S_NAME:
		return fail(r, EPS_ERR_BAD_HEADER_LINE);
	default:
		return fail(r, EPS_ERR_BAD_REQUEST_LINE);
	}
}

/*
 * Advances the request's state by one byte other than CR and LF, in a
 * state without a fast path (or at its end). 0, or -1 (fail) on a bad byte.
 */
static int request_byte(struct eps_req *r, uint8_t c)
{
	switch (r->state) {
	case S_START:
	case S_METHOD:
		if (c == ' ' && r->state == S_METHOD) {
			r->method = method_is(r, "GET", 3) ? EPS_M_GET : method_is(r, "HEAD", 4) ?
				    EPS_M_HEAD : EPS_M_OTHER;
			r->state = S_TARGET;
			r->pos = 0;
			return 0;
		}
		if (!(cls[c] & C_TCHAR) || r->pos >= EPS_METHOD_MAX - 1)
			return fail(r, EPS_ERR_BAD_REQUEST_LINE);
		r->tok[r->pos++] = (char)c;
		r->state = S_METHOD;
		return 0;
	case S_TARGET:	/* the fast path stopped here: a space or a bad byte */
		if (c != ' ' || r->path_len == 0 || r->path[0] != '/')
			return fail(r, EPS_ERR_BAD_REQUEST_LINE);
		r->path[r->path_len] = '\0';
		r->state = S_VERSION;
		r->pos = 0;
		return 0;
	case S_VERSION:
		if (r->pos < sizeof(version) - 1 ? c != (uint8_t)version[r->pos] :
		    r->pos > sizeof(version) - 1 || c < '0' || c > '9')
			return fail(r, EPS_ERR_BAD_VERSION);
		if (r->pos == sizeof(version) - 1)
			r->minor = (uint8_t)(c - '0');
		r->pos++;
		return 0;
	case S_LINE:	/* obs-fold, a colon first, a control: refused */
		if (!(cls[c] & C_TCHAR))
			return fail(r, EPS_ERR_BAD_HEADER_LINE);
		r->state = S_NAME;
		r->pos = 0;
		return 0;	/* the byte itself is taken by the name's fast path */
	case S_NAME:	/* the fast path stopped here: the colon or a bad byte */
		if (c == ':')
			return name_end(r);
		return fail(r, EPS_ERR_BAD_HEADER_LINE);
	case S_VALUE:
		return value_byte(r, c);
	default:
		return -1;
	}
}

/*
 * Runs of bytes that need no decision one by one: the target (copied), a
 * header name (lowercased into tok), the value of a field that does not
 * matter. Returns the bytes taken from p[0..n).
 */
static size_t fast_path(struct eps_req *r, const uint8_t *p, size_t n)
{
	size_t i = 0;

	switch (r->state) {
	case S_TARGET:
		while (i < n && (cls[p[i]] & C_TARGET) && r->path_len < EPS_PATH_MAX - 1)
			r->path[r->path_len++] = (char)p[i++];
		break;
	case S_NAME:
		for (; i < n && (cls[p[i]] & C_TCHAR); i++)
			if (r->pos < sizeof(r->tok))
				r->tok[r->pos++] = (char)lower(p[i]);
			else
				r->pos = UINT8_MAX;	/* longer than any name we heed */
		break;
	case S_VALUE:
		if (r->field == F_OTHER)
			while (i < n && (cls[p[i]] & C_VALUE))
				i++;
		break;
	default:
		break;
	}
	return i;
}

int eps_req_feed(struct eps_req *r, const uint8_t *p, size_t n, size_t *used)
{
	size_t i = 0;
	int ret = 0;

	if (r->state == S_DONE || r->state == S_ERROR) {
		*used = 0;
		return r->state == S_DONE ? 1 : -1;
	}
	while (i < n && ret == 0) {
		size_t k = r->cr ? 0 : fast_path(r, p + i, n - i);
		size_t room = (size_t)(EPS_HEADER_MAX - r->head);
		uint8_t c;

		if (k > room) {	/* the head is too long within the run */
			i += room + 1;
			ret = fail(r, EPS_ERR_HEADER_TOO_LONG);
			break;
		}
		r->head = (uint16_t)(r->head + k);
		i += k;
		if (i == n)
			break;
		if (r->state == S_TARGET && r->path_len >= EPS_PATH_MAX - 1 && (cls[p[i]] & C_TARGET)) {
			i++;
			ret = fail(r, EPS_ERR_TARGET_TOO_LONG);
			break;
		}
		c = p[i++];
		if (++r->head > EPS_HEADER_MAX)
			ret = fail(r, EPS_ERR_HEADER_TOO_LONG);
		else if (r->cr && c != '\n')
			ret = fail(r, r->state >= S_LINE ? EPS_ERR_BAD_HEADER_LINE :
				   EPS_ERR_BAD_REQUEST_LINE);
		else if (c == '\r')
			r->cr = true;
		else if (c == '\n')
			ret = line_end(r);
		else
			ret = request_byte(r, c);
		if (c != '\r')
			r->cr = false;
		if (ret == 0 && r->state == S_NAME && r->pos == 0) {
			i--;	/* S_LINE -> S_NAME: the name's first byte goes to its fast path */
			r->head--;
		}
	}
	*used = i;
	return ret;
}

const char *eps_req_error_name(int error)
{
	static const char *const names[EPS_ERR_COUNT] = {
		"none", "header_too_long", "bad_request_line", "target_too_long", "bad_version",
		"bad_header_line", "body",
	};

	return error >= 0 && error < EPS_ERR_COUNT ? names[error] : "unknown";
}
