/*
 * fuzz_epserver.c - fuzz target: epserver's connection logic, eps_conn.c
 * (the open, reads, the pipelining ring, partial writes, the close), for
 * one client over test/eps_conn_fake.h's fake socket: requests in,
 * responses out.
 *
 * Once per process a site of five files (a small page, an empty file, a
 * 64-byte one, one of 3000 bytes, a directory index) is written to a
 * temporary directory and loaded. Input:
 *
 *   byte 0        P, the count of operation bytes that follow
 *   byte 1        bit 0: the client's FIN follows its last byte
 *                 bit 1: the clock runs: request_timeout 1 s, keepalive_timeout 2 s
 *                 bits 2-4: max_requests (0: no limit)
 *   P bytes       operations: op = v & 3, a = v >> 2 (0..63)
 *                   0  a + 1 bytes arrive (a >= 32: (a - 31) * 32 bytes)
 *                   1  the send buffer takes a bytes more (a >= 32: (a - 31) * 256)
 *                   2  a % 8 + 1 rounds of the event loop
 *                   3  a < 32 or the clock stopped: the send buffer is emptied of
 *                      limits for one round; else time passes: (a - 31) * 100 ms,
 *                      then the sweep (the core loop's, after an epoll_wait)
 *   the rest      the bytes the client sends
 *
 * Then everything arrives, writes are unlimited, and the loop runs until
 * the connection is quiet (the clock stopped). Checked besides ASan and
 * UBSan (abort with the reason): the ring never held more than PIPE_MAX
 * responses (looked at on every read, write and event); the output is
 * exactly the responses of the requests in order, up to the first that
 * closes (400, 501, no keep-alive, the max_requests-th); the connection is
 * closed iff one did or the client sent its FIN, never reset; no call
 * touches a closed socket; no response was refused; requests = 200 + 400 +
 * 404 + 501 answered, each as expected, malformed ones counted by reason
 * as the 400s, bytes_out the bytes written. When a deadline ended it: the
 * output is exactly the responses to the requests counted, reset at
 * request_timeout, closed at keepalive_timeout, once. And after every sweep, an open connection's deadline is still
 * ahead (it never outlives its deadline by more than the sweep period),
 * and no deadline is further than the longest timeout from now.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mos_log.h"
#include "test/eps_conn_fake.h"
#include "test/fuzz.h"

static char root[64];
static uint8_t *got, *want;

static void put_file(const char *rel, size_t n, char fillc)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	for (size_t i = 0; f != NULL && i < n; i++)
		fputc(fillc + (int)(i % 26), f);
	if (f == NULL || fclose(f) != 0) {
		perror("fuzz_epserver: cannot write the site");
		abort();
	}
}

static void remove_root(void)
{
	static const char *const files[] = { "index.html", "empty", "f64", "big", "sub/index.html" };
	char path[128];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, files[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/sub", root);
	rmdir(path);
	rmdir(root);
	eps_site_free(&site);
	free(got);
	free(want);
}

static void init_once(void)
{
	const char *dir = getenv("TMPDIR");
	char err[512], path[128];

	snprintf(root, sizeof(root), "%s/fuzz_eps.XXXXXX",
		 dir != NULL && strlen(dir) < 40 ? dir : "/tmp");
	if (mkdtemp(root) == NULL) {
		perror("fuzz_epserver: mkdtemp");
		abort();
	}
	snprintf(path, sizeof(path), "%s/sub", root);
	mkdir(path, 0755);
	put_file("index.html", 17, 'a');
	put_file("empty", 0, 'a');
	put_file("f64", 64, 'A');
	put_file("big", 3000, 'a');
	put_file("sub/index.html", 3, 'a');
	mos_log_set("epserver", MOS_LOG_QUIET);
	if (eps_site_load(&site, root, 1 << 20, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_epserver: %s\n", err);
		abort();
	}
	got = malloc(EC_OUT_MAX);
	want = malloc(EC_OUT_MAX);
	if (got == NULL || want == NULL)
		abort();
	atexit(remove_root);
}

static void fail(const char *why)
{
	fprintf(stderr, "fuzz_epserver: %s (ring held at most %u, %zu bytes read of %zu, "
		"%zu written)\n", why, ec.max_owed, ec.taken, ec.in_len, ec.out_len);
	abort();
}

/* The deadline's invariants; after is whether a sweep just ran at now. */
static void check_deadline(bool after)
{
	uint64_t d;

	if (!ec.accepted || ec.closed || ec.aborted)
		return;
	d = eps_conn_deadline(&ec_cx, EC_SD);
	if (after && d != 0 && d <= ec_cx.now_us)
		fail("a connection outlived its deadline past the sweep");
	if (d > ec_cx.now_us + 2000000)
		fail("a deadline further than the longest timeout");
	if (d == 0 && ec_cx.request_timeout_us != 0 && eps_conn_owed(&ec_cx, EC_SD) == 0)
		fail("a connection waits on its client without a deadline");
}

static void step(void)
{
	ec_step();
	if (ec.max_owed > PIPE_MAX)
		fail("the ring held more than PIPE_MAX responses");
	check_deadline(false);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool inited;
	struct fuzz_in in = { data, size };
	size_t nops = fz_u8(&in);
	uint8_t flags = fz_u8(&in);
	const uint8_t *ops = in.p;
	struct ec_expect e;
	const char *why;

	if (!inited) {
		init_once();
		inited = true;
	}
	nops = nops < in.n ? nops : in.n;
	in.p += nops;
	in.n -= nops;
	ec_start(in.p, in.n, got);
	ec.fin = flags & 1;
	ec.room = 0;
	if (flags & 2) {
		ec_cx.request_timeout_us = 1000000;
		ec_cx.keepalive_timeout_us = 2000000;
	}
	ec_cx.max_requests = (flags >> 2) & 7;
	ec_expect(&site, in.p, in.n, want, EC_OUT_MAX, &e);
	for (size_t i = 0; i < nops; i++) {
		uint8_t v = ops[i], a = v >> 2;

		switch (v & 3) {
		case 0:
			ec_arrive(a < 32 ? (size_t)a + 1 : (size_t)(a - 31) * 32);
			break;
		case 1:
			ec.room += a < 32 ? a : (size_t)(a - 31) * 256;
			break;
		case 2:
			for (int r = 0; r <= a % 8; r++)
				step();
			break;
		default:
			if (a >= 32 && (flags & 2)) {
				ec_tick((uint64_t)(a - 31) * 100000);
				check_deadline(true);
				break;
			}
			ec.room = SIZE_MAX;
			step();
			ec.room = 0;
			break;
		}
	}
	ec_arrive(ec.in_len);
	ec.room = SIZE_MAX;
	if (!ec_settle())
		fail("the connection never settles");
	if (ec_cx.count.request_timeouts + ec_cx.count.keepalive_timeouts != 0)
		why = ec_verify_cut(&e, want);
	else
		why = ec_verify(&e, want);
	if (why != NULL)
		fail(why);
	return 0;
}
