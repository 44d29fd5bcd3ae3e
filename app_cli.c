/*
 * app_cli.c - what epwget, epwget-mp and epserver share (see app_cli.h):
 * their command lines' usage errors and numbers, and the clock of their cores.
 */
#include "app_cli.h"

#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>

int app_usage_error(const char *prog, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s; see %s -h\n", prog, msg, prog);
	return -EINVAL;
}

int app_parse_num(const char *prog, const char *what, const char *s, long min, long max,
		  long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0')
		return app_usage_error(prog, "%s: '%s' is not a number", what, s);
	if (errno == ERANGE || v < min || v > max)
		return app_usage_error(prog, "%s: %s is out of range (%ld..%ld)", what, s, min, max);
	*out = v;
	return 0;
}

uint64_t app_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void app_catch(int signum, void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaction(signum, &sa, NULL);
}
