/*
 * app_cli.h - what the applications share (epwget, epwget-mp, epserver):
 * one-line usage errors and strict numbers for their command lines (main
 * thread only, before anything starts), and the monotonic clock in
 * microseconds their cores time flows with (any thread).
 */
#ifndef EPWGET_APP_CLI_H
#define EPWGET_APP_CLI_H

#include <stdint.h>

/*
 * After its run, a core lets its closing connections finish (the last FINs
 * and ACKs) for this long, through mtcp_drain, before it destroys its context.
 */
#define APP_DRAIN_MS 2000

/*
 * Print "PROG: MESSAGE; see PROG -h" on stderr, one line saying what is
 * wrong. Returns -EINVAL, for the caller to pass on.
 */
int app_usage_error(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * A whole decimal number in min..max and nothing else: 0 with *out set,
 * or -EINVAL after naming `what` (the option) in a usage error.
 */
int app_parse_num(const char *prog, const char *what, const char *s, long min, long max,
		  long *out);

/* CLOCK_MONOTONIC in microseconds. */
uint64_t app_now_us(void);

/* Have handler take signum (SA_RESTART off: a blocked call returns EINTR). */
void app_catch(int signum, void (*handler)(int));

#endif
