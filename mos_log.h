/*
 * mos_log.h - the one log macro of the stack and its applications.
 *
 * Lines go to stderr as "epwget: <level>: message" (the program name is
 * set once by main). Nothing is logged per packet above DEBUG: per-packet
 * events are counters, printed by the periodic statistics.
 * The level is set once at start (mos_log_set) and only read afterwards.
 */
#ifndef EPWGET_MOS_LOG_H
#define EPWGET_MOS_LOG_H

#include <stddef.h>

enum mos_log_level {
	MOS_LOG_QUIET = -1,	/* nothing: for tests that provoke errors on purpose */
	MOS_LOG_ERR = 0,
	MOS_LOG_WARN,
	MOS_LOG_INFO,
	MOS_LOG_DEBUG,
};

extern enum mos_log_level mos_log_level;

/* Set the program name printed before each line and the level to show. */
void mos_log_set(const char *prog, enum mos_log_level level);

void mos_log_print(enum mos_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Write a message into a caller's error buffer (err, errlen bytes), as
 * snprintf does: the "char *err, size_t errlen" of the set-up calls, whose
 * callers print it (and decide the exit status).
 */
void mos_set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define MOS_LOG(lvl, ...) do { \
	if (MOS_LOG_##lvl <= mos_log_level) \
		mos_log_print(MOS_LOG_##lvl, __VA_ARGS__); \
} while (0)

#endif
