/*
 * epw_request.h - epwget's request, built once at start (epw_request.c).
 * Main thread only; the bytes are read-only while the cores run.
 */
#ifndef EPWGET_EPW_REQUEST_H
#define EPWGET_EPW_REQUEST_H

#include <stddef.h>

#include "conf_parse.h"

/* The most bytes a request's head (request line and header fields) can take. */
#define EPW_REQUEST_MAX (CONF_PATH_MAX + 512 + CONF_HEADERS_MAX * (CONF_HEADER_MAX + 2))

/*
 * The request's head for wc into buf: its length, or 0 when it does not
 * fit. By default mOS's epwget's GET, byte for byte (docs/MOS_EPWGET.md):
 * HTTP/1.0 and "Connection: Close"; HTTP/1.1 and "Connection: Keep-Alive"
 * when a connection carries more than one request (requests_per_conn !=
 * 1). wc's headers replace the defaults of their name (Host, User-Agent,
 * Connection, Accept) in place, the others follow. POST, PUT and PATCH
 * say "Content-Length: body_len"; the body itself is sent after the head.
 */
size_t epw_build_request(const struct epwget_conf *wc, size_t body_len, char *buf, size_t len);

/*
 * wc's body_file, whole, into a malloc'd *body (NULL and 0 when there is
 * none). 0, or -errno after saying on stderr, as prog, what to change.
 */
int epw_load_body(const char *prog, const struct epwget_conf *wc, char **body, size_t *len);

struct epw_options;

/*
 * One of the command line's request options (-m -b -H -k -P -x) into o,
 * checked: 0, -EINVAL after a usage error on stderr (as prog), or 1 when
 * c is none of them.
 */
int epw_request_option(const char *prog, struct epw_options *o, int c, const char *arg);

/*
 * What o says of the requests and connections, over wc's epwget.conf
 * settings, and the checks of the whole (a body with a method that sends
 * none; -P without keep-alive): 0, or -EINVAL after saying why on stderr.
 */
int epw_request_conf(const char *prog, const struct epw_options *o, struct epwget_conf *wc);

#endif
