/*
 * epw_stats.c - latency histogram, flow counters, JSON summary and the
 * per-second line (see epw_stats.h). epw_flow.c counts and records into a
 * core's epw_counters and histogram; epw_main.c adds the cores up and
 * prints, or writes the JSON, from here.
 */
#include "epw_stats.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#define TOP_BUCKET	(EPW_HIST_BUCKETS - 1)

/*
 * Bucket of v. Below 64: v itself. Above, with e = floor(log2 v) >= 6,
 * the top 7 bits of v (64..127) pick the sub-bucket of magnitude e - 6:
 * index = (e - 6) * 64 + (v >> (e - 6)), which runs on from 64 without gaps.
 */
static unsigned bucket_of(uint64_t v)
{
	unsigned e, shift;

	if (v < EPW_HIST_SUB)
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v);
	if (e >= EPW_HIST_TOP_BITS)
		return TOP_BUCKET;
	shift = e - EPW_HIST_SUB_BITS;
	return shift * EPW_HIST_SUB + (unsigned)(v >> shift);
}

/* Largest value that falls in bucket i; the top bucket has no bound. */
static uint64_t bucket_upper(unsigned i)
{
	unsigned shift, sub;

	if (i < EPW_HIST_SUB)
		return i;
	if (i == TOP_BUCKET)
		return UINT64_MAX;
	shift = (i - EPW_HIST_SUB) / EPW_HIST_SUB;
	sub = (i - EPW_HIST_SUB) % EPW_HIST_SUB;
	return ((uint64_t)(EPW_HIST_SUB + sub + 1) << shift) - 1;
}

void epw_hist_init(struct epw_hist *h)
{
	memset(h, 0, sizeof(*h));
}

void epw_hist_add(struct epw_hist *h, uint64_t us)
{
	if (h->count == 0 || us < h->min)
		h->min = us;
	if (us > h->max)
		h->max = us;
	h->sum = us > UINT64_MAX - h->sum ? UINT64_MAX : h->sum + us;
	if (us >> EPW_HIST_TOP_BITS)
		h->overflow++;
	h->count++;
	h->bucket[bucket_of(us)]++;
}

void epw_hist_merge(struct epw_hist *dst, const struct epw_hist *src)
{
	if (src->count == 0)
		return;
	if (dst->count == 0 || src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->sum = src->sum > UINT64_MAX - dst->sum ? UINT64_MAX : dst->sum + src->sum;
	dst->count += src->count;
	dst->overflow += src->overflow;
	for (unsigned i = 0; i < EPW_HIST_BUCKETS; i++)
		dst->bucket[i] += src->bucket[i];
}

uint64_t epw_hist_percentile(const struct epw_hist *h, double p)
{
	uint64_t rank, seen = 0;
	double r;

	if (h->count == 0)
		return 0;
	if (!(p > 0))		/* also NaN */
		p = 0;
	if (p > 100)
		p = 100;
	/* p * count first: 99.9 * 1000 / 100 is 999, 99.9 / 100 * 1000 is not */
	r = ceil(p * (double)h->count / 100.0);
	rank = r < 1 ? 1 : r >= (double)h->count ? h->count : (uint64_t)r;
	for (unsigned i = 0; i < EPW_HIST_BUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank) {
			uint64_t up = bucket_upper(i);

			return up < h->max ? up : h->max;
		}
	}
	return h->max;		/* not reached while the buckets add up to count */
}

uint64_t epw_hist_mean(const struct epw_hist *h)
{
	return h->count != 0 ? h->sum / h->count : 0;
}

void epw_counters_add(struct epw_counters *dst, const struct epw_counters *src)
{
	dst->started += src->started;
	dst->completed += src->completed;
	dst->ok += src->ok;
	dst->errors += src->errors;
	dst->incompletes += src->incompletes;
	dst->timeouts += src->timeouts;
	dst->resets += src->resets;
	dst->refused += src->refused;
	dst->unreachable += src->unreachable;
	dst->http_non_2xx += src->http_non_2xx;
	dst->bad_responses += src->bad_responses;
	dst->local_errors += src->local_errors;
	dst->output_errors += src->output_errors;
	dst->reconnects += src->reconnects;
	dst->connections += src->connections;
	dst->requests += src->requests;
	dst->empty_streams += src->empty_streams;
	dst->empty_buffers += src->empty_buffers;
	dst->empty_ports += src->empty_ports;
	dst->bytes_received += src->bytes_received;
	dst->body_bytes += src->body_bytes;
	dst->bytes_written += src->bytes_written;
}

/* A stream and the errno of its first failed write. */
struct json_out {
	FILE *f;
	int err;
};

__attribute__((format(printf, 2, 3)))
static void put(struct json_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vfprintf(o->f, fmt, ap);
	va_end(ap);
	if (n < 0 && o->err == 0)
		o->err = errno != 0 ? errno : EIO;
}

/* JSON has no NaN or Infinity. */
static double finite_or_0(double d)
{
	return isfinite(d) ? d : 0;
}

static void put_u64(struct json_out *o, const char *key, uint64_t v, const char *sep)
{
	put(o, "\"%s\": %" PRIu64 "%s", key, v, sep);
}

static void put_latency(struct json_out *o, const struct epw_hist *h)
{
	put(o, "  \"latency_us\": {");
	put_u64(o, "p50", epw_hist_percentile(h, 50), ", ");
	put_u64(o, "p90", epw_hist_percentile(h, 90), ", ");
	put_u64(o, "p99", epw_hist_percentile(h, 99), ", ");
	put_u64(o, "p999", epw_hist_percentile(h, 99.9), ", ");
	put_u64(o, "max", h->max, "},\n");
}

static void put_fault_dir(struct json_out *o, const char *dir, const struct epw_fault_dir *d,
			  const char *sep)
{
	put(o, "\"%s\": {", dir);
	put_u64(o, "frames", d->frames, ", ");
	put_u64(o, "dropped", d->dropped, ", ");
	put_u64(o, "duplicated", d->duplicated, ", ");
	put_u64(o, "reordered", d->reordered, ", ");
	put_u64(o, "corrupted", d->corrupted, ", ");
	put_u64(o, "delayed", d->delayed, ", ");
	put_u64(o, "no_buffer", d->no_buffer, ", ");
	put_u64(o, "hold_full", d->hold_full, "}");
	put(o, "%s", sep);
}

static void put_core(struct json_out *o, const struct epw_core_row *c, int last)
{
	put(o, "    {");
	put_u64(o, "core", c->core, ", ");
	put_u64(o, "completed", c->completed, ", ");
	put_u64(o, "errors", c->errors, ", ");
	put_u64(o, "incompletes", c->incompletes, ", ");
	put_u64(o, "rss_handovers", c->rss_handovers, ", ");
	put_u64(o, "no_mbuf", c->no_mbuf, ", ");
	put_u64(o, "source_pairs", c->source_pairs, last ? "}\n" : "},\n");
}

int epw_summary_json(FILE *f, const struct epw_summary *s)
{
	const struct epw_counters *t = &s->total;
	struct json_out o = { f, 0 };

	if (s->n_cores > EPW_SUMMARY_MAX_CORES)
		return -EINVAL;
	errno = 0;
	put(&o, "{\n  ");
	put_u64(&o, "flows_completed", t->completed, ",\n  ");
	put_u64(&o, "flows_ok", t->ok, ",\n  ");
	put_u64(&o, "errors", t->errors, ",\n  ");
	put_u64(&o, "incompletes", t->incompletes, ",\n  ");
	put_u64(&o, "timeouts", t->timeouts, ",\n  ");
	put_u64(&o, "resets", t->resets, ",\n  ");
	put_u64(&o, "refused", t->refused, ",\n  ");
	put_u64(&o, "unreachable", t->unreachable, ",\n  ");
	put_u64(&o, "http_non_2xx", t->http_non_2xx, ",\n  ");
	put_u64(&o, "bad_responses", t->bad_responses, ",\n  ");
	put_u64(&o, "local_shortages", t->local_errors, ",\n  ");
	put_u64(&o, "output_errors", t->output_errors, ",\n  ");
	put(&o, "\"empty_pools\": {");
	put_u64(&o, "streams", t->empty_streams, ", ");
	put_u64(&o, "buffers", t->empty_buffers, ", ");
	put_u64(&o, "source_ports", t->empty_ports, "},\n  ");
	put_u64(&o, "reconnects", t->reconnects, ",\n  ");
	put_u64(&o, "connections", t->connections, ",\n  ");
	put_u64(&o, "source_addrs", s->source_addrs, ",\n  ");
	put_u64(&o, "requests", t->requests, ",\n  ");
	put_u64(&o, "bytes_received", t->bytes_received, ",\n  ");
	put_u64(&o, "body_bytes", t->body_bytes, ",\n");
	put(&o, "  \"duration_s\": %.6f,\n", finite_or_0(s->duration_s));
	put(&o, "  \"flows_per_s\": %.3f,\n", finite_or_0(s->flows_per_s));
	put_latency(&o, &s->latency);
	put(&o, "  \"faults\": {");
	put_fault_dir(&o, "rx", &s->fault_rx, ", ");
	put_fault_dir(&o, "tx", &s->fault_tx, "},\n");
	put(&o, "  \"per_core\": [%s", s->n_cores != 0 ? "\n" : "");
	for (uint32_t i = 0; i < s->n_cores; i++)
		put_core(&o, &s->per_core[i], i + 1 == s->n_cores);
	put(&o, "%s]\n}\n", s->n_cores != 0 ? "  " : "");
	/* a buffered stream reports most write errors only here */
	if (fflush(f) != 0 && o.err == 0)
		o.err = errno != 0 ? errno : EIO;
	if (ferror(f) && o.err == 0)
		o.err = EIO;
	return -o.err;
}

int epw_stats_line(char *buf, size_t len, const char *who,
		   const struct epw_stats_sample *v)
{
	size_t w = strlen(who);
	int left = w < 5 ? (int)(5 - w) / 2 : 0;
	int right = w < 5 ? (int)(5 - w) - left : 0;
	int n;

	n = snprintf(buf, len, "[%*s%s%*s] connect: %7" PRIu64 ", read: %4" PRIu64
		     " MB, write: %4" PRIu64 " MB, completes: %7" PRIu64
		     " (resp_time avg: %4" PRIu64 ", max: %6" PRIu64 " us)",
		     left, "", who, right, "", v->connects, v->bytes_read >> 20,
		     v->bytes_written >> 20, v->completes, v->resp_avg_us, v->resp_max_us);
	if (n < 0)
		return -EINVAL;
	return (size_t)n < len ? n : -ENOSPC;
}
