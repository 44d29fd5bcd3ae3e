/*
 * fuzz_cli.c - fuzz target: epwget's command line, epwget.conf and URL
 * handling, as main() runs them before the stack starts.
 *
 * epwget.c is included (picoTCP's way to reach static functions) with main
 * renamed epwget_main, exit() caught, and stdout/stderr sent to /dev/null
 * (FUZZ_VERBOSE=1 keeps them). Input: argv[1..] as NUL-separated words; an
 * empty word (two NULs) ends them, and the bytes after it are the text of
 * epwget.conf (without it, the text of conf/epwget.conf). Each input runs
 * parse_args, then load_wget_conf (the -w path is replaced by a temporary
 * file holding that text), then the request is built. Checked besides ASan
 * and UBSan: an accepted setting is in range, the request holds the path,
 * and exit() is never called: main's helpers return (-h included).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test/fuzz.h"

int epwget_main(int argc, char **argv);

static FILE *fuzz_out;
static jmp_buf exit_jmp;
static int exit_status;

/* unused while epwget.c calls no exit(); it stays to catch one that comes back */
__attribute__((unused)) static _Noreturn void fuzz_exit(int status)
{
	exit_status = status;
	longjmp(exit_jmp, 1);
}

#undef stdout	/* glibc defines them as macros of themselves */
#undef stderr
#define main epwget_main
#define exit fuzz_exit
#define stdout fuzz_out
#define stderr fuzz_out
#include "../epwget.c"
#undef main
#undef exit
#undef stdout
#undef stderr

#define MAX_ARGS 64

static const char default_conf[] =
	"url = 10.99.1.4/index-64.html\ndest_port = 80\ntotal_flows = 100000\n"
	"total_concurrency = 4000\nkeep_alive = 0\n";

static char conf_path[64];

static void remove_conf(void)
{
	unlink(conf_path);
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
	fuzz_out = getenv("FUZZ_VERBOSE") != NULL ? stderr : fopen("/dev/null", "w");
	if (fuzz_out == NULL)
		abort();
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

static void bad(const char *what)
{
	fprintf(stderr, "fuzz_cli: %s\n", what);
	abort();
}

/* After parse_args and load_wget_conf accepted the input. */
static void check_accepted(const struct epwget_conf *wc)
{
	char req[CONF_PATH_MAX + 256];
	size_t n;

	if (!wc->url_set || wc->host == 0 || wc->port == 0 || wc->path[0] != '/')
		bad("accepted without a usable URL");
	if (wc->total_flows < 1 || wc->total_flows > CONF_MAX_FLOWS ||
	    wc->total_concurrency < 0 || wc->total_concurrency > CONF_MAX_CONCURRENCY ||
	    wc->core_limit < 0 || wc->core_limit > CONF_MAX_CORES)
		bad("accepted a setting out of its range");
	n = build_request(wc, req, sizeof(req));
	if (n == 0 || strstr(req, wc->path) == NULL || memcmp(req, "GET /", 5) != 0)
		bad("the request does not hold the path");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool inited;
	/* volatile: read after longjmp */
	char *volatile buf = NULL;
	char *argv[MAX_ARGS + 2];
	int argc = 1;
	size_t i = 0, conf_at = size;
	struct options o;
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

	exit_status = -1;
	if (setjmp(exit_jmp) != 0) {
		bad("exit() from main's helpers: they must return");
		free(buf);
		return 0;
	}
	optind = 0;	/* glibc: start getopt afresh */
	if (parse_args(&o, argc, argv) == 0 && !o.help) {
		o.wget_conf = conf_path;
		if (load_wget_conf(&o, &wc) == 0)
			check_accepted(&wc);
	}
	free(buf);
	return 0;
}
