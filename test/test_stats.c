/*
 * test_stats.c - latency histogram, counters, JSON summary, per-second line.
 */
#include "epw_stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "check.h"

#define N_SAMPLES 100000

static const double pcts[] = { 0, 0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100 };

/* xorshift64*: the same sequence on every run and every libc. */
static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Uniform in (0, 1]. */
static double rng_unit(void)
{
	return (double)((rng() >> 11) + 1) / 9007199254740992.0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest rank over a sorted array, as epw_stats.h defines it. */
static uint64_t exact_percentile(const uint64_t *sorted, size_t n, double p)
{
	double r = ceil(p * (double)n / 100.0);
	size_t rank = r < 1 ? 1 : r >= (double)n ? n : (size_t)r;

	return sorted[rank - 1];
}

static uint64_t samples[N_SAMPLES];
static struct epw_hist hist, parts[4];

/* Every percentile of hist within the documented bound of the sorted truth. */
static void check_against_exact(const char *what)
{
	qsort(samples, N_SAMPLES, sizeof(samples[0]), cmp_u64);
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		uint64_t x = exact_percentile(samples, N_SAMPLES, pcts[i]);
		uint64_t r = epw_hist_percentile(&hist, pcts[i]);

		if (r < x || (r - x) * 64 > x)
			CHECK_FAIL_("%s p%g: %" PRIu64 " for exact %" PRIu64, what, pcts[i], r, x);
	}
	CHECK_EQ(hist.count, N_SAMPLES);
	CHECK_EQ(hist.min, samples[0]);
	CHECK_EQ(hist.max, samples[N_SAMPLES - 1]);
	CHECK_EQ(epw_hist_percentile(&hist, 100), samples[N_SAMPLES - 1]);
}

static void fill(uint64_t (*draw)(void), uint64_t seed)
{
	rng_state = seed;
	epw_hist_init(&hist);
	for (size_t i = 0; i < N_SAMPLES; i++) {
		samples[i] = draw();
		epw_hist_add(&hist, samples[i]);
	}
}

static uint64_t draw_uniform(void)
{
	return rng() % 2000000;		/* 0 .. 2 s */
}

static uint64_t draw_exponential(void)
{
	return (uint64_t)(-300.0 * log(rng_unit()));	/* mean 300 us, long tail */
}

static uint64_t draw_bimodal(void)
{
	if (rng() % 10 != 0)
		return 150 + rng() % 100;	/* LAN hits */
	return 40000 + rng() % 20000;		/* retransmissions */
}

TEST(hist_empty_reports_zeros)
{
	epw_hist_init(&hist);
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
		CHECK_EQ(epw_hist_percentile(&hist, pcts[i]), 0);
	CHECK_EQ(hist.count, 0);
	CHECK_EQ(hist.min, 0);
	CHECK_EQ(hist.max, 0);
	CHECK_EQ(epw_hist_mean(&hist), 0);
}

TEST(hist_single_value_is_every_percentile)
{
	static const uint64_t vals[] = { 0, 1, 63, 64, 65, 127, 128, 1000, 123457,
					 (1ull << 36) - 1 };

	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		epw_hist_init(&hist);
		epw_hist_add(&hist, vals[i]);
		CHECK_EQ(epw_hist_percentile(&hist, 0), vals[i]);	/* clamped to max */
		CHECK_EQ(epw_hist_percentile(&hist, 50), vals[i]);
		CHECK_EQ(epw_hist_percentile(&hist, 100), vals[i]);
		CHECK_EQ(hist.min, vals[i]);
		CHECK_EQ(hist.max, vals[i]);
		CHECK_EQ(epw_hist_mean(&hist), vals[i]);
	}
}

TEST(hist_bucket_width_stays_within_a_64th)
{
	/* two values: the percentile of the smaller one is its bucket's top */
	for (uint64_t v = 1; v < (1ull << 36); v += v / 7 + 1) {
		uint64_t r;

		epw_hist_init(&hist);
		epw_hist_add(&hist, v);
		epw_hist_add(&hist, UINT64_C(1) << 40);
		r = epw_hist_percentile(&hist, 50);
		if (r < v || (r - v) * 64 > v || (v < 64 && r != v))
			CHECK_FAIL_("v %" PRIu64 ": bucket top %" PRIu64, v, r);
	}
}

TEST(hist_huge_values_go_to_the_top_and_keep_max_exact)
{
	epw_hist_init(&hist);
	epw_hist_add(&hist, 10);
	epw_hist_add(&hist, 1ull << 36);
	epw_hist_add(&hist, UINT64_MAX);
	CHECK_EQ(hist.count, 3);
	CHECK_EQ(hist.overflow, 2);
	CHECK_EQ(hist.bucket[EPW_HIST_BUCKETS - 1], 2);
	CHECK_EQ(hist.max, UINT64_MAX);
	CHECK_EQ(hist.sum, UINT64_MAX);		/* saturated, not wrapped */
	CHECK_EQ(epw_hist_percentile(&hist, 30), 10);
	CHECK_EQ(epw_hist_percentile(&hist, 100), UINT64_MAX);
	CHECK_EQ(epw_hist_percentile(&hist, 1e9), UINT64_MAX);	/* p clamped */
	CHECK_EQ(epw_hist_percentile(&hist, -5), 10);
	CHECK_EQ(epw_hist_percentile(&hist, NAN), 10);
}

TEST(hist_uniform_matches_sorted_array)
{
	fill(draw_uniform, 0x9e3779b97f4a7c15ull);
	check_against_exact("uniform");
}

TEST(hist_exponential_matches_sorted_array)
{
	fill(draw_exponential, 12345);
	check_against_exact("exponential");
}

TEST(hist_bimodal_matches_sorted_array)
{
	fill(draw_bimodal, 777);
	check_against_exact("bimodal");
}

TEST(hist_merge_equals_adding_all)
{
	struct epw_hist empty;

	rng_state = 42;
	epw_hist_init(&hist);
	epw_hist_init(&empty);
	for (int k = 0; k < 4; k++)
		epw_hist_init(&parts[k]);
	for (size_t i = 0; i < N_SAMPLES; i++) {
		uint64_t v = i % 1000 == 0 ? rng() : draw_exponential();

		epw_hist_add(&hist, v);
		epw_hist_add(&parts[rng() % 3 + 1], v);	/* parts[0] stays empty */
	}
	epw_hist_merge(&parts[0], &empty);
	CHECK_EQ(parts[0].count, 0);
	for (int k = 1; k < 4; k++)
		epw_hist_merge(&parts[0], &parts[k]);
	epw_hist_merge(&parts[0], &empty);
	/* every field, padding-free: all uint64_t */
	CHECK(memcmp(&parts[0], &hist, sizeof(hist)) == 0);
	CHECK_EQ(parts[0].min, hist.min);
	CHECK_EQ(parts[0].sum, hist.sum);
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++)
		CHECK_EQ(epw_hist_percentile(&parts[0], pcts[i]), epw_hist_percentile(&hist, pcts[i]));
}

TEST(counters_add_every_field)
{
	struct epw_counters a = {
		.started = 1, .completed = 2, .ok = 3, .errors = 4, .incompletes = 5,
		.timeouts = 6, .resets = 7, .refused = 8, .http_non_2xx = 9,
		.local_errors = 10, .bytes_received = 11, .body_bytes = 12,
		.bytes_written = 13, .bad_responses = 14, .reconnects = 15,
		.empty_streams = 16, .empty_buffers = 17, .empty_ports = 18,
		.output_errors = 19, .unreachable = 20, .connections = 21, .requests = 22,
	};
	struct epw_counters b = a;

	epw_counters_add(&a, &b);
	epw_counters_add(&a, &b);
	CHECK_EQ(a.started, 3);
	CHECK_EQ(a.completed, 6);
	CHECK_EQ(a.ok, 9);
	CHECK_EQ(a.errors, 12);
	CHECK_EQ(a.incompletes, 15);
	CHECK_EQ(a.timeouts, 18);
	CHECK_EQ(a.resets, 21);
	CHECK_EQ(a.refused, 24);
	CHECK_EQ(a.http_non_2xx, 27);
	CHECK_EQ(a.local_errors, 30);
	CHECK_EQ(a.bytes_received, 33);
	CHECK_EQ(a.body_bytes, 36);
	CHECK_EQ(a.bytes_written, 39);
	CHECK_EQ(a.bad_responses, 42);
	CHECK_EQ(a.reconnects, 45);
	CHECK_EQ(a.empty_streams, 48);
	CHECK_EQ(a.empty_buffers, 51);
	CHECK_EQ(a.empty_ports, 54);
	CHECK_EQ(a.output_errors, 57);
	CHECK_EQ(a.unreachable, 60);
	CHECK_EQ(a.connections, 63);
	CHECK_EQ(a.requests, 66);
	CHECK_EQ(sizeof(a), 22 * sizeof(uint64_t));	/* a new field needs a line above */
}

static struct epw_summary sum;

static void make_summary(uint32_t n_cores)
{
	memset(&sum, 0, sizeof(sum));
	sum.total.completed = 1000;
	sum.total.ok = 990;
	sum.total.errors = 10;
	sum.total.incompletes = 3;
	sum.total.timeouts = 2;
	sum.total.resets = 4;
	sum.total.refused = 1;
	sum.total.http_non_2xx = 7;
	sum.total.bad_responses = 3;
	sum.total.local_errors = 11;
	sum.total.output_errors = 5;
	sum.total.empty_streams = 7;
	sum.total.empty_ports = 4;
	sum.total.bytes_received = 123456789;
	sum.total.body_bytes = 100000000;
	sum.duration_s = 10.5;
	sum.flows_per_s = 1000 / 10.5;
	sum.fault_rx = (struct epw_fault_dir){ .frames = 2000, .dropped = 100, .duplicated = 20,
					       .hold_full = 1 };
	epw_hist_init(&sum.latency);
	for (uint64_t v = 1; v <= 1000; v++)
		epw_hist_add(&sum.latency, v * 10);
	sum.n_cores = n_cores;
	for (uint32_t i = 0; i < n_cores; i++) {
		sum.per_core[i].core = i;
		sum.per_core[i].completed = 1000 / n_cores;
		sum.per_core[i].errors = i;
		sum.per_core[i].incompletes = 0;
		sum.per_core[i].rss_handovers = 3 * i;
		sum.per_core[i].no_mbuf = 5 * i;
		sum.per_core[i].source_pairs = 64511 * 2 / n_cores;
	}
	sum.source_addrs = 2;
}

/* The summary as text, via a temporary file; NULL on failure. */
static char *summary_text(void)
{
	static char text[16384];
	FILE *f = tmpfile();
	size_t n;

	REQUIRE_RET(f != NULL, NULL);
	if (epw_summary_json(f, &sum) != 0) {
		fclose(f);
		REQUIRE_RET(0, NULL);
	}
	rewind(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	REQUIRE_RET(n > 0 && n < sizeof(text) - 1, NULL);
	text[n] = '\0';
	return text;
}

/* Braces and brackets nest and close, ignoring strings; no NaN or inf. */
static int balanced(const char *s)
{
	char stack[16];
	int depth = 0, in_str = 0;

	for (; *s != '\0'; s++) {
		if (in_str) {
			in_str = *s != '"';
			continue;
		}
		if (*s == '"')
			in_str = 1;
		else if (*s == '{' || *s == '[')
			stack[depth++] = *s == '{' ? '}' : ']';
		else if (*s == '}' || *s == ']')
			if (depth == 0 || stack[--depth] != *s)
				return 0;
		if (depth == (int)sizeof(stack))
			return 0;
	}
	return depth == 0 && !in_str;
}

/* How many times "key": is followed by a JSON number; -1 on a non-number. */
static int numeric_key(const char *text, const char *key)
{
	char pat[64];
	const char *at = text;
	int n = 0;

	snprintf(pat, sizeof(pat), "\"%s\": ", key);
	while ((at = strstr(at, pat)) != NULL) {
		char *end;

		at += strlen(pat);
		if (!(*at == '-' || (*at >= '0' && *at <= '9')))
			return -1;
		strtod(at, &end);
		if (end == at || !(*end == ',' || *end == '}' || *end == '\n'))
			return -1;
		n++;
	}
	return n;
}

TEST(json_has_every_key_with_a_number)
{
	static const char *const once[] = {
		"flows_completed", "flows_ok", "errors", "incompletes", "timeouts",
		"resets", "refused", "unreachable", "http_non_2xx", "bad_responses", "local_shortages",
		"output_errors", "reconnects", "connections", "source_addrs", "requests", "streams", "buffers", "source_ports",
		"bytes_received", "body_bytes", "duration_s", "flows_per_s", "p50", "p90", "p99", "p999", "max",
	};
	static const char *const rows[] = { "core", "completed", "rss_handovers", "no_mbuf",
					    "source_pairs" };
	char *text;

	make_summary(3);
	text = summary_text();
	REQUIRE(text != NULL);
	CHECK(balanced(text));
	CHECK(strstr(text, "\"latency_us\": {") != NULL);
	CHECK(strstr(text, "\"per_core\": [") != NULL);
	CHECK(strstr(text, "nan") == NULL && strstr(text, "inf") == NULL);
	for (size_t i = 0; i < sizeof(once) / sizeof(once[0]); i++) {
		int n = numeric_key(text, once[i]);

		/* errors and incompletes appear once more in each per-core row */
		int want = !strcmp(once[i], "errors") || !strcmp(once[i], "incompletes") ? 4 : 1;

		if (n != want)
			CHECK_FAIL_("key %s: %d numeric occurrences, want %d", once[i], n, want);
	}
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		CHECK_EQ(numeric_key(text, rows[i]), 3);
	CHECK(strstr(text, "\"flows_completed\": 1000,") != NULL);
	CHECK(strstr(text, "\"bad_responses\": 3,") != NULL);
	CHECK(strstr(text, "\"local_shortages\": 11,") != NULL);
	CHECK(strstr(text, "\"output_errors\": 5,") != NULL);
	CHECK(strstr(text, "\"empty_pools\": {\"streams\": 7, \"buffers\": 0, "
		      "\"source_ports\": 4},") != NULL);
	CHECK(strstr(text, "\"duration_s\": 10.500000,") != NULL);
	CHECK(strstr(text, "\"p50\": 5055,") != NULL);	/* 5000's bucket is 4992..5055 */
	CHECK(strstr(text, "\"max\": 10000}") != NULL);
	CHECK(strstr(text, "\"faults\": {\"rx\": {\"frames\": 2000, \"dropped\": 100, "
		      "\"duplicated\": 20, \"reordered\": 0, \"corrupted\": 0, \"delayed\": 0, "
		      "\"no_buffer\": 0, \"hold_full\": 1}, \"tx\": {\"frames\": 0,") != NULL);
	CHECK(strstr(text, "{\"core\": 2, \"completed\": 333, \"errors\": 2, "
		      "\"incompletes\": 0, \"rss_handovers\": 6, \"no_mbuf\": 10, "
		      "\"source_pairs\": 43007}\n") != NULL);
	CHECK(strstr(text, "\"source_addrs\": 2,") != NULL);
}

TEST(json_non_finite_prints_0_and_empty_rows)
{
	char *text;

	make_summary(0);
	sum.duration_s = NAN;
	sum.flows_per_s = INFINITY;
	epw_hist_init(&sum.latency);
	text = summary_text();
	REQUIRE(text != NULL);
	CHECK(balanced(text));
	CHECK(strstr(text, "\"duration_s\": 0.000000,") != NULL);
	CHECK(strstr(text, "\"flows_per_s\": 0.000,") != NULL);
	CHECK(strstr(text, "\"p999\": 0,") != NULL);
	CHECK(strstr(text, "\"per_core\": []\n}\n") != NULL);
}

/* Feed the summary to python3's json module (and check a few values there). */
static int python_accepts(void)
{
	FILE *p = popen("python3 -c 'import json,sys; d=json.load(sys.stdin); "
			"assert len(d) == 24 and d[\"output_errors\"] == 5 and set(d[\"empty_pools\"]) == {\"streams\",\"buffers\",\"source_ports\"} and len(d[\"per_core\"]) == 64 "
			"and set(d[\"faults\"]) == {\"rx\",\"tx\"} and len(d[\"faults\"][\"tx\"]) == 8 "
			"and set(d[\"latency_us\"]) == {\"p50\",\"p90\",\"p99\",\"p999\",\"max\"}'",
			"w");
	int rc;

	REQUIRE_RET(p != NULL, -1);
	rc = epw_summary_json(p, &sum);
	CHECK_EQ(rc, 0);
	rc = pclose(p);
	return rc;
}

TEST(json_parses_with_python3)
{
	/* python3 is a declared dependency (make deps): without it this fails */
	REQUIRE(system("command -v python3 >/dev/null 2>&1") == 0);
	make_summary(EPW_SUMMARY_MAX_CORES);
	sum.flows_per_s = -0.0;
	CHECK_EQ(python_accepts(), 0);
	make_summary(EPW_SUMMARY_MAX_CORES);
	sum.duration_s = -INFINITY;
	sum.latency.max = UINT64_MAX;
	CHECK_EQ(python_accepts(), 0);
}

TEST(json_write_error_returns_errno)
{
	FILE *f = fopen("/dev/full", "w");

	REQUIRE(f != NULL);
	make_summary(64);	/* larger than stdio's buffer: a write fails midway */
	CHECK_EQ(epw_summary_json(f, &sum), -ENOSPC);
	fclose(f);
	f = fopen("/dev/full", "w");
	REQUIRE(f != NULL);
	make_summary(0);	/* fits the buffer: only the flush fails */
	CHECK_EQ(epw_summary_json(f, &sum), -ENOSPC);
	fclose(f);
	make_summary(0);
	sum.n_cores = EPW_SUMMARY_MAX_CORES + 1;
	CHECK_EQ(epw_summary_json(stdout, &sum), -EINVAL);
}

TEST(stats_line_is_mtcp_exact)
{
	struct epw_stats_sample v = { 12345, 5ull << 20, (3ull << 20) + 1000, 12000, 250, 10234 };
	char buf[160], small[20];

	CHECK_EQ(epw_stats_line(buf, sizeof(buf), "ALL", &v), strlen(buf));
	CHECK_STR(buf, "[ ALL ] connect:   12345, read:    5 MB, write:    3 MB, "
		  "completes:   12000 (resp_time avg:  250, max:  10234 us)");
	snprintf(small, sizeof(small), "CPU%2d", 0);
	CHECK(epw_stats_line(buf, sizeof(buf), small, &v) > 0);
	CHECK_STR(buf, "[CPU 0] connect:   12345, read:    5 MB, write:    3 MB, "
		  "completes:   12000 (resp_time avg:  250, max:  10234 us)");
	v = (struct epw_stats_sample){ 12345678, 99999ull << 20, 0, 1, 0, 12345678 };
	CHECK(epw_stats_line(buf, sizeof(buf), "CPU15", &v) > 0);
	CHECK_STR(buf, "[CPU15] connect: 12345678, read: 99999 MB, write:    0 MB, "
		  "completes:       1 (resp_time avg:    0, max: 12345678 us)");
	CHECK_EQ(epw_stats_line(small, sizeof(small), "ALL", &v), -ENOSPC);
	CHECK_EQ(strlen(small), sizeof(small) - 1);
}

static const struct check_case cases[] = {
	CASE(hist_empty_reports_zeros),
	CASE(hist_single_value_is_every_percentile),
	CASE(hist_bucket_width_stays_within_a_64th),
	CASE(hist_huge_values_go_to_the_top_and_keep_max_exact),
	CASE(hist_uniform_matches_sorted_array),
	CASE(hist_exponential_matches_sorted_array),
	CASE(hist_bimodal_matches_sorted_array),
	CASE(hist_merge_equals_adding_all),
	CASE(counters_add_every_field),
	CASE(json_has_every_key_with_a_number),
	CASE(json_non_finite_prints_0_and_empty_rows),
	CASE(json_parses_with_python3),
	CASE(json_write_error_returns_errno),
	CASE(stats_line_is_mtcp_exact),
};

CHECK_MAIN(cases)
