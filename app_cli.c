/* app_cli.c - the applications' shared command-line helpers (see app_cli.h). */
#include "app_cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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
