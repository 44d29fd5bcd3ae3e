/*
 * epw_request.c - what each request of epwget is: its head, built once at
 * start from epwget.conf and the command line (method, path, headers,
 * keep-alive, Content-Length), and the body file, read into memory once.
 * epw_flow.c sends both as they are, for every flow.
 */
#include "epw_request.h"

#include "app_cli.h"
#include "epw_main.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* wc's header named name, if it gives one: "Name: value" written as the user did. */
static const char *user_header(const struct epwget_conf *wc, const char *name)
{
	for (int i = 0; i < wc->n_headers; i++)
		if (conf_header_name_is(wc->headers[i], name))
			return wc->headers[i];
	return NULL;
}

/* Append to buf (size len) at *n; false when it does not fit. */
__attribute__((format(printf, 4, 5)))
static bool put_req(char *buf, size_t len, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (*n >= len)
		return false;
	va_start(ap, fmt);
	k = vsnprintf(buf + *n, len - *n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= len - *n)
		return false;
	*n += (size_t)k;
	return true;
}

size_t epw_build_request(const struct epwget_conf *wc, size_t body_len, char *buf, size_t len)
{
	static const char *const defaults[][2] = {	/* mOS's order */
		{ "User-Agent", "Wget/1.12 (linux-gnu)" }, { "Accept", "*/*" }, { "Host", NULL },
		{ "Connection", NULL },
	};
	char host[INET_ADDRSTRLEN];
	bool kept = wc->requests_per_conn != 1;
	size_t n = 0;
	bool ok;

	inet_ntop(AF_INET, &wc->host, host, sizeof(host));
	ok = put_req(buf, len, &n, "%s %s HTTP/1.%d\r\n", wc->method, wc->path, kept ? 1 : 0);
	for (size_t i = 0; ok && i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		const char *u = user_header(wc, defaults[i][0]), *v = defaults[i][1];

		if (u != NULL)
			ok = put_req(buf, len, &n, "%s\r\n", u);
		else if (i == 2)
			ok = put_req(buf, len, &n, "Host: %s\r\n",
				     wc->host_name[0] != '\0' ? wc->host_name : host);
		else if (i == 3)
			ok = put_req(buf, len, &n, "Connection: %s\r\n",
				     kept ? "Keep-Alive" : "Close");
		else
			ok = put_req(buf, len, &n, "%s: %s\r\n", defaults[i][0], v);
	}
	for (int i = 0; ok && i < wc->n_headers; i++) {
		bool dflt = false;

		for (size_t j = 0; j < sizeof(defaults) / sizeof(defaults[0]); j++)
			dflt |= conf_header_name_is(wc->headers[i], defaults[j][0]);
		if (!dflt)
			ok = put_req(buf, len, &n, "%s\r\n", wc->headers[i]);
	}
	if (ok && conf_method_has_body(wc->method))
		ok = put_req(buf, len, &n, "Content-Length: %zu\r\n", body_len);
	ok = ok && put_req(buf, len, &n, "\r\n");
	return ok ? n : 0;
}

int epw_load_body(const char *prog, const struct epwget_conf *wc, char **body, size_t *len)
{
	FILE *f;
	long size;
	int e;

	*body = NULL;
	*len = 0;
	if (wc->body_file[0] == '\0')
		return 0;
	f = fopen(wc->body_file, "rb");
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		goto fail;
	*body = malloc(size > 0 ? (size_t)size : 1);
	if (*body == NULL || fread(*body, 1, (size_t)size, f) != (size_t)size)
		goto fail;
	fclose(f);
	*len = (size_t)size;
	return 0;
fail:
	e = errno != 0 ? errno : EIO;
	if (f != NULL)
		fclose(f);
	free(*body);
	*body = NULL;
	fprintf(stderr, "%s: body file %s: %s; give a regular file you may read (-b, body_file)\n",
		prog, wc->body_file, strerror(e));
	return -e;
}

int epw_request_option(const char *prog, struct epw_options *o, int c, const char *arg)
{
	long v = 0;
	int ret = 0;

	switch (c) {
	case 'm': {
		struct epwget_conf t;
		char err[CONF_ERR_MAX];

		if (conf_set_method(&t, arg, err, sizeof(err)) != 0)
			return app_usage_error(prog, "-m: %s", err);
		o->method = arg;
		break;
	}
	case 'b':
		if (*arg == '\0' || strlen(arg) >= CONF_PATH_MAX)
			return app_usage_error(prog, "-b: give the path of the body's file (below %d "
					       "bytes)", CONF_PATH_MAX);
		o->body_file = arg;
		break;
	case 'H': {
		static struct epwget_conf t;	/* its headers array is big for a stack */
		char err[CONF_ERR_MAX];

		t.n_headers = 0;
		if (conf_add_header(&t, arg, err, sizeof(err)) != 0)
			return app_usage_error(prog, "-H: %s", err);
		if (o->n_headers == CONF_HEADERS_MAX)
			return app_usage_error(prog, "-H: more than %d headers", CONF_HEADERS_MAX);
		o->headers[o->n_headers++] = arg;
		break;
	}
	case 'k':
		ret = app_parse_num(prog, "-k", arg, 0, CONF_MAX_FLOWS, &o->requests_per_conn);
		break;
	case 'P':
		ret = app_parse_num(prog, "-P", arg, 1, CONF_MAX_PIPELINE, &v);
		o->pipeline = (int)v;
		break;
	case 'x':
		if (strcmp(arg, "fin") != 0 && strcmp(arg, "rst") != 0)
			return app_usage_error(prog, "-x '%s': give fin (close, the default) or rst "
					       "(abort: no TIME_WAIT)", arg);
		o->close_rst = arg[0] == 'r';
		break;
	default:
		return 1;
	}
	return ret;
}

int epw_request_conf(const char *prog, const struct epw_options *o, struct epwget_conf *wc)
{
	char err[CONF_ERR_MAX];

	if (o->method != NULL)
		conf_set_method(wc, o->method, err, sizeof(err));	/* checked by -m */
	if (o->body_file != NULL)
		strcpy(wc->body_file, o->body_file);
	for (int i = 0; i < o->n_headers; i++)
		if (conf_add_header(wc, o->headers[i], err, sizeof(err)) != 0) {
			fprintf(stderr, "%s: -H %s: %s; use fewer header lines in %s\n", prog,
				o->headers[i], err, o->wget_conf);
			return -EINVAL;
		}
	if (o->requests_per_conn >= 0)
		wc->requests_per_conn = o->requests_per_conn;
	if (o->pipeline > 0)
		wc->pipeline = o->pipeline;
	if (o->close_rst >= 0)
		wc->close_rst = o->close_rst != 0;
	if (wc->body_file[0] != '\0' && !conf_method_has_body(wc->method)) {
		fprintf(stderr, "%s: a body (-b, body_file) goes with POST, PUT or PATCH, not %s: "
			"give -m POST or drop the body\n", prog, wc->method);
		return -EINVAL;
	}
	if (wc->pipeline > 1 && wc->requests_per_conn == 1) {
		fprintf(stderr, "%s: -P %d: pipelined requests share a connection; give -k 0 (as "
			"many as the server allows) or -k N above 1\n", prog, wc->pipeline);
		return -EINVAL;
	}
	return 0;
}
