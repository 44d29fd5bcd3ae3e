/*
 * app_cli.h - what the applications' command lines share (epwget,
 * epwget-mp, epserver): one-line usage errors and strict numbers.
 * Main thread only, before anything starts.
 */
#ifndef EPWGET_APP_CLI_H
#define EPWGET_APP_CLI_H

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

#endif
