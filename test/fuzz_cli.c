/*
 * fuzz_cli.c - fuzz target: epwget's command line, epwget.conf and URL
 * handling, as epw_main() runs them before the stack starts: linked with
 * epw_main.c, it calls the steps epw_main.h declares for it, as the
 * threaded epwget.
 *
 * Input: argv[1..] as NUL-separated words; an empty word (two NULs) ends
 * them, and the bytes after it are the text of epwget.conf (without it, the
 * text of conf/epwget.conf). Each input runs epw_parse_args, then
 * epw_load_conf (the -w path is replaced by a temporary file holding that
 * text), then the request is built; their stdout and stderr go to
 * /dev/null (FUZZ_VERBOSE=1 keeps them; sanitizer reports are written to
 * fd 2 and always kept). Checked besides ASan and UBSan: an accepted
 * setting is in range, the request holds the method, the path and every
 * header asked, says HTTP/1.1 when kept alive and Content-Length when it
 * has a body, is mOS's byte for byte when nothing else was asked, and
 * exit() is never called: the steps return (-h included).
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "epw_main.h"
#include "mos_log.h"
#include "test/fuzz.h"

/* The threaded epwget's mode, as its main() passes it (the usage is not printed here). */
static const struct epw_mode threaded = {
	.prog = "epwget",
	.usage = "",
	.cores = &epw_thread_per_core,
};

static FILE *fuzz_out, *real_stdout, *real_stderr;
static bool in_target;	/* the steps are running: an exit() now is theirs */

#define MAX_ARGS 64

static const char default_conf[] =
	"url = 10.99.1.4/index-64.html\ndest_port = 80\ntotal_flows = 100000\n"
	"total_concurrency = 4000\nkeep_alive = 0\n";

static char conf_path[64];

static void remove_conf(void)
{
	unlink(conf_path);
}

static void bad(const char *what)
{
	fprintf(real_stderr, "fuzz_cli: %s\n", what);
	abort();
}

/* atexit: exit() called from the steps, which must return. */
static void exit_from_target(void)
{
	if (in_target)
		bad("exit() from epw_main's steps: they must return");
}

static void init_once(void)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(conf_path, sizeof(conf_path), "%s/fuzz_cli.XXXXXX", dir != NULL &&
		 strlen(dir) < 40 ? dir : "/tmp");
	fd = mkstemp(conf_path);
	if (fd < 0) {
		perror("fuzz_cli: mkstemp");
		abort();
	}
	close(fd);
	atexit(remove_conf);
	real_stdout = stdout;
	real_stderr = stderr;
	fuzz_out = getenv("FUZZ_VERBOSE") != NULL ? stderr : fopen("/dev/null", "w");
	if (fuzz_out == NULL)
		abort();
	atexit(exit_from_target);
	mos_log_set("epwget", MOS_LOG_QUIET);
}

static void write_conf(const uint8_t *text, size_t len)
{
	FILE *f = fopen(conf_path, "wb");

	if (f == NULL || fwrite(text, 1, len, f) != len || fclose(f) != 0) {
		perror("fuzz_cli: cannot write the temporary epwget.conf");
		abort();
	}
}

/* Whether req holds the line "\r\n<line>\r\n". */
static bool has_line(const char *req, const char *line)
{
	const char *p = req;
	size_t n = strlen(line);

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncmp(p, line, n) == 0 && strncmp(p + n, "\r\n", 2) == 0)
			return true;
	}
	return false;
}

/* The request epw_build_request makes of an accepted wc. */
static void check_request(const struct epwget_conf *wc)
{
	char req[EPW_REQUEST_MAX], want[EPW_REQUEST_MAX], host[INET_ADDRSTRLEN];
	bool kept = wc->requests_per_conn != 1;
	size_t n = epw_build_request(wc, 12345, req, sizeof(req));
	const char *end;

	if (n == 0 || strlen(req) != n || strstr(req, wc->path) == NULL ||
	    strncmp(req, wc->method, strlen(wc->method)) != 0 || req[strlen(wc->method)] != ' ')
		bad("the request does not start with the method and hold the path");
	end = strstr(req, "\r\n\r\n");
	if (end == NULL || end + 4 != req + n)
		bad("the request's head does not end at its first empty line");
	if (strstr(req, kept ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n") == NULL)
		bad("-k 1 asks HTTP/1.0, any other -k HTTP/1.1");
	if (kept && has_line(req, "Connection: Close"))
		bad("a kept-alive connection's request says Connection: Close");
	if (has_line(req, "Content-Length: 12345") != conf_method_has_body(wc->method))
		bad("Content-Length is in the request of POST, PUT and PATCH only");
	for (int i = 0; i < wc->n_headers; i++)
		if (!has_line(req, wc->headers[i]))
			bad("a header given is not in the request");
	if (strcmp(wc->method, "GET") != 0 || wc->n_headers != 0 || kept)
		return;
	/* nothing asked: mOS's epwget's GET, byte for byte (docs/MOS_EPWGET.md) */
	inet_ntop(AF_INET, &wc->host, host, sizeof(host));
	snprintf(want, sizeof(want), "GET %s HTTP/1.0\r\nUser-Agent: Wget/1.12 (linux-gnu)\r\n"
		 "Accept: */*\r\nHost: %s\r\nConnection: Close\r\n\r\n", wc->path,
		 wc->host_name[0] != '\0' ? wc->host_name : host);
	if (strcmp(req, want) != 0)
		bad("the default request is not mOS's");
}

/* After epw_parse_args and epw_load_conf accepted the input. */
static void check_accepted(const struct epwget_conf *wc)
{
	if (!wc->url_set || wc->host == 0 || wc->port == 0 || wc->path[0] != '/')
		bad("accepted without a usable URL");
	if (wc->total_flows < 1 || wc->total_flows > CONF_MAX_FLOWS ||
	    wc->total_concurrency < 0 || wc->total_concurrency > CONF_MAX_CONCURRENCY ||
	    wc->core_limit < 0 || wc->core_limit > CONF_MAX_CORES ||
	    wc->requests_per_conn < 0 || wc->requests_per_conn > CONF_MAX_FLOWS ||
	    wc->pipeline < 1 || wc->pipeline > CONF_MAX_PIPELINE ||
	    wc->n_saddr > CONF_MAX_SOURCE_ADDRS ||
	    (uint64_t)ntohl(wc->saddr_first) + wc->n_saddr > 0x100000000ull ||
	    (wc->pipeline > 1 && wc->requests_per_conn == 1) ||
	    wc->n_headers < 0 || wc->n_headers > CONF_HEADERS_MAX)
		bad("accepted a setting out of its range");
	if (wc->body_file[0] != '\0' && !conf_method_has_body(wc->method))
		bad("accepted a body for a method that sends none");
	check_request(wc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool inited;
	char *buf;
	char *argv[MAX_ARGS + 2];
	int argc = 1;
	size_t i = 0, conf_at = size;
	struct epw_options o;
	struct epwget_conf wc;

	if (!inited) {
		init_once();
		inited = true;
	}
	buf = malloc(size + 1);
	if (buf == NULL)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = (char *)"epwget";
	while (i < size && argc <= MAX_ARGS) {
		size_t n = strlen(buf + i);

		if (n == 0) {	/* an empty word: epwget.conf follows */
			conf_at = i + 1;
			break;
		}
		argv[argc++] = buf + i;
		i += n + 1;
	}
	argv[argc] = NULL;
	if (conf_at < size)
		write_conf(data + conf_at, size - conf_at);
	else
		write_conf((const uint8_t *)default_conf, sizeof(default_conf) - 1);

	optind = 0;	/* glibc: start getopt afresh */
	stdout = stderr = fuzz_out;	/* glibc's are variables */
	in_target = true;
	if (epw_parse_args(&threaded, &o, argc, argv) == 0 && !o.help) {
		o.wget_conf = conf_path;
		if (epw_load_conf(&o, &wc) == 0)
			check_accepted(&wc);
	}
	in_target = false;
	stdout = real_stdout;
	stderr = real_stderr;
	free(buf);
	return 0;
}
