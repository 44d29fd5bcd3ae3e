/*
 * check.h - the unit-test harness of epwget: no dependencies, one header.
 *
 * A test file defines its cases with TEST(name) { ... }, lists them in a
 * `static const struct check_case cases[]` table and ends with
 * CHECK_MAIN(cases). CHECK* macros record a failure with file:line and go on
 * (a test keeps running after a failed check so one run shows every
 * problem); REQUIRE* macros stop the current case.
 *
 * Output: one "ok"/"FAIL" line per case and, last, the plain summary line
 * "<program>: N passed, N failed" that test/run.sh adds up.
 * Exit status: 0 when every case passed, 1 otherwise.
 */
#ifndef EPWGET_TEST_CHECK_H
#define EPWGET_TEST_CHECK_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct check_case {
	const char *name;
	void (*fn)(void);
};

/* Failures recorded in the case that is running. */
static int check_failures;

#define TEST(name) static void name(void)
#define CASE(name) { #name, name }

#define CHECK_FAIL_(fmt, ...) do { \
	fprintf(stderr, "  %s:%d: " fmt "\n", __FILE__, __LINE__, __VA_ARGS__); \
	check_failures++; \
} while (0)

#define CHECK(cond) do { \
	if (!(cond)) CHECK_FAIL_("check failed: %s", #cond); \
} while (0)

#define CHECK_EQ(a, b) do { \
	uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b); \
	if (a_ != b_) CHECK_FAIL_("%s == %s: 0x%" PRIx64 " (%" PRIu64 ") != 0x%" PRIx64 " (%" PRIu64 ")", \
				  #a, #b, a_, a_, b_, b_); \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *a_ = (a), *b_ = (b); \
	if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) \
		CHECK_FAIL_("%s == %s: \"%s\" != \"%s\"", #a, #b, \
			    a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
} while (0)

#define REQUIRE(cond) do { \
	if (!(cond)) { CHECK_FAIL_("required: %s", #cond); return; } \
} while (0)

/* splitmix64: a seeded generator, so that a failing randomized test replays exactly. */
static uint64_t check_rng_state;

static inline uint64_t check_rand(void)
{
	uint64_t z = (check_rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#define REQUIRE_RET(cond, ret) do { \
	if (!(cond)) { CHECK_FAIL_("required: %s", #cond); return (ret); } \
} while (0)

static inline int check_run(const char *prog, const struct check_case *cases, size_t n)
{
	unsigned passed = 0, failed = 0;
	const char *only = getenv("CHECK_ONLY");

	for (size_t i = 0; i < n; i++) {
		if (only != NULL && strcmp(only, cases[i].name) != 0)
			continue;
		check_failures = 0;
		cases[i].fn();
		if (check_failures == 0) {
			passed++;
			printf("ok   %s\n", cases[i].name);
		} else {
			failed++;
			printf("FAIL %s (%d failed checks)\n", cases[i].name, check_failures);
		}
		fflush(stdout);
	}
	printf("%s: %u passed, %u failed\n", prog, passed, failed);
	return failed == 0 ? 0 : 1;
}

#define CHECK_MAIN(cases) \
int main(int argc, char **argv) \
{ \
	const char *p_ = strrchr(argv[0], '/'); \
	(void)argc; \
	return check_run(p_ ? p_ + 1 : argv[0], cases, sizeof(cases) / sizeof(cases[0])); \
}

#endif
