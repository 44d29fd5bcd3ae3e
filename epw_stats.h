/*
 * epw_stats.h - epwget's run statistics: the latency histogram, the flow
 * counters, the JSON run summary and the per-second stderr line.
 *
 * Everything here is plain fixed-size data: no allocation, no pointers, so
 * a core embeds its histogram and counters in its own context and main
 * merges copies at the end (or once a second) without locks.
 *
 * Threading: a histogram or counter set belongs to one core, which alone
 * adds to it; merging and printing are done by main on snapshots.
 */
#ifndef EPWGET_EPW_STATS_H
#define EPWGET_EPW_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Log-linear latency histogram in microseconds (HDR-histogram style).
 * Values 0..63 have a bucket each (exact). Above, every power of two
 * [2^e, 2^(e+1)) is cut into 64 equal sub-buckets, so a bucket is never
 * wider than 1/64 of its lower bound. Magnitudes run up to 2^36 us (about
 * 19 hours); larger values land in the top bucket and are counted in
 * `overflow`. count, sum, min and max are exact (sum saturates).
 */
#define EPW_HIST_SUB_BITS	6
#define EPW_HIST_SUB		(1u << EPW_HIST_SUB_BITS)	/* 64 */
#define EPW_HIST_TOP_BITS	36
#define EPW_HIST_BUCKETS	(EPW_HIST_SUB * (EPW_HIST_TOP_BITS - EPW_HIST_SUB_BITS + 1))	/* 1984 */

struct epw_hist {
	uint64_t count;
	uint64_t sum;		/* saturates at UINT64_MAX */
	uint64_t min;		/* 0 while empty */
	uint64_t max;
	uint64_t overflow;	/* values >= 2^36 us, kept in the top bucket */
	uint64_t bucket[EPW_HIST_BUCKETS];
};

/* Per-core flow counters; main adds them up with epw_counters_add. */
struct epw_counters {
	uint64_t started;
	uint64_t completed;	/* flows that ended, successfully or not */
	uint64_t ok;		/* complete 2xx responses */
	uint64_t errors;
	uint64_t incompletes;	/* closed before the whole response came */
	uint64_t timeouts;
	uint64_t resets;
	uint64_t refused;
	uint64_t unreachable;	/* an ICMP destination unreachable failed the connection */
	uint64_t http_non_2xx;
	uint64_t bad_responses;	/* not HTTP we read: status line, header size, framing (an error) */
	uint64_t local_errors;	/* resource shortage on our side (pool empty, no port) */
	uint64_t output_errors;	/* -o bodies not written: the file not opened, or a write failed */
	uint64_t connections;	/* TCP connections opened (connects started) */
	uint64_t requests;	/* HTTP requests written whole (a retry's again) */
	uint64_t reconnects;	/* requests that met the close of a kept-alive connection and went again */
	/* the stack's count of gets that found a pool empty, read at the end */
	uint64_t empty_streams, empty_buffers, empty_ports;
	uint64_t bytes_received;	/* everything read, headers included */
	uint64_t body_bytes;
	uint64_t bytes_written;
};

#define EPW_SUMMARY_MAX_CORES	64

struct epw_core_row {
	uint64_t core;
	uint64_t completed;
	uint64_t errors;
	uint64_t incompletes;
	uint64_t rss_handovers;
	uint64_t no_mbuf;
	uint64_t source_pairs;	/* the core's pool of source (address, port) pairs: its capacity */
};

/* What mos.conf's fault injection did to one direction's frames (mtcp_get_fault_stats). */
struct epw_fault_dir {
	uint64_t frames, dropped, duplicated, reordered, corrupted, delayed, no_buffer, hold_full;
};

struct epw_summary {
	struct epw_counters total;
	struct epw_fault_dir fault_rx, fault_tx;	/* all cores; zeros without a fault block */
	double duration_s;
	double flows_per_s;
	uint64_t source_addrs;		/* -s, source_addrs: how many (1: the netdev's own) */
	struct epw_hist latency;	/* all cores merged */
	uint32_t n_cores;		/* rows used in per_core, at most EPW_SUMMARY_MAX_CORES */
	struct epw_core_row per_core[EPW_SUMMARY_MAX_CORES];
};

/* The numbers of one per-second line. Bytes are printed in MiB (2^20). */
struct epw_stats_sample {
	uint64_t connects;
	uint64_t bytes_read;
	uint64_t bytes_written;
	uint64_t completes;
	uint64_t resp_avg_us;
	uint64_t resp_max_us;
};

/* Empty the histogram. Owner core or main. */
void epw_hist_init(struct epw_hist *h);

/* Record one latency in microseconds; O(1). Owner core only. */
void epw_hist_add(struct epw_hist *h, uint64_t us);

/* Add src into dst, as if every value of src had been added to dst. Main. */
void epw_hist_merge(struct epw_hist *dst, const struct epw_hist *src);

/*
 * The p-th percentile (p in 0..100, clamped; NaN reads as 0) by nearest
 * rank: the value at rank ceil(p * count / 100), at least 1. Returns the
 * upper bound of that value's bucket, clamped to max: for an exact value
 * x below 2^36 the result r satisfies x <= r < x + x/64 (relative error
 * under 1/64; exact below 64 us). The top bucket reports max. 0 when
 * the histogram is empty.
 */
uint64_t epw_hist_percentile(const struct epw_hist *h, double p);

/* sum / count, rounded down; 0 when empty. */
uint64_t epw_hist_mean(const struct epw_hist *h);

/* Add every counter of src into dst. Main. */
void epw_counters_add(struct epw_counters *dst, const struct epw_counters *src);

/*
 * Write the run summary to f as one JSON object and a newline, then flush.
 * Non-finite doubles print as 0. Returns 0, -EINVAL (n_cores too large,
 * nothing written) or -errno of the first failed write or of the flush.
 */
int epw_summary_json(FILE *f, const struct epw_summary *s);

/*
 * Format the per-second stderr line of mTCP's epwget, without a newline:
 *   [ ALL ] connect: %7lu, read: %4lu MB, write: %4lu MB, completes: %7lu (resp_time avg: %4lu, max: %6lu us)
 * who goes between the brackets centred in 5 columns: "ALL" gives
 * "[ ALL ]" and a label made with "CPU%2d" gives "[CPU 0]" or "[CPU12]",
 * the same width, as mTCP prints them; longer labels widen the field.
 * Returns the length of the line, or -ENOSPC when it did not fit in len
 * bytes (buf then holds a truncated, terminated line when len > 0).
 */
int epw_stats_line(char *buf, size_t len, const char *who,
		   const struct epw_stats_sample *v);

#endif
