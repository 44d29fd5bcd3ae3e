/*
 * mos_log.c - the log sink (see mos_log.h): every module's MOS_LOG line,
 * none on the packet path above debug (per-packet events are counters).
 */
#include "mos_log.h"

#include <stdarg.h>
#include <stdio.h>

enum mos_log_level mos_log_level = MOS_LOG_INFO;
static const char *log_prog = "epwget";

void mos_log_set(const char *prog, enum mos_log_level level)
{
	if (prog != NULL)
		log_prog = prog;
	mos_log_level = level;
}

void mos_log_print(enum mos_log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	char line[1024];
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "%s: %s: ", log_prog, names[level]);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	/* one write per line so that lines of different cores do not interleave */
	fprintf(stderr, "%s\n", line);
}

void mos_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
