/*
 * test_fault.c - the fault injection of mos_fault.c over the fake I/O
 * module: each fault on its own with exact expectations (100 % and 0 %, a
 * rate over 100,000 frames within bounds no seed can miss, reordering
 * that loses nothing, copies that are exact, one bit flipped and caught by
 * the checksums, delays that follow the clock, a full hold area, frames
 * freed at teardown, the same seed making the same decisions), the
 * settings taken from a parsed mos.conf; then two stacks moving 1 MB each
 * way with every fault on in both directions of both cores.
 */
#include "mos_core.h"
#include "mos_loop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "fake_dpdk.h"
#include "mos_log.h"
#include "mos_tcp_priv.h"
#include "stack_pair.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct mos_conf conf;
static struct mos_core *one;	/* the core of the injector tests */

/* --- what the injector lets through ------------------------------------------------ */

#define REC_MAX   131072
#define REC_BYTES 2048		/* frames whose bytes are kept */

static struct {
	int n;
	uint32_t id[REC_MAX];
	uint16_t len[REC_MAX];
	uint32_t flags[REC_MAX];
	uint8_t data[REC_BYTES][FAKE_FRAME_SZ];
} rec;

/* A frame's number: its TCP sequence number. */
static uint32_t id_of(const uint8_t *d)
{
	const uint8_t *s = d + MOS_NET_HDR_MAX + 4;

	return (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 | (uint32_t)s[2] << 8 | s[3];
}

static void record(const uint8_t *data, uint16_t len, uint32_t flags)
{
	if (rec.n == REC_MAX) {
		CHECK_FAIL_("more than %d frames recorded", REC_MAX);
		return;
	}
	rec.id[rec.n] = id_of(data);
	rec.len[rec.n] = len;
	rec.flags[rec.n] = flags;
	if (rec.n < REC_BYTES)
		memcpy(rec.data[rec.n], data, len);
	rec.n++;
}

/* The stack's side of mos_fault_rx: note the frame, give its buffer back. */
static void deliver(struct mos_core *c, struct mos_rxpkt *p)
{
	record(p->data, p->len, p->flags);
	mos_io_pkt_free(c, p->pkt);
}

/* What the injector sent: into rec, buffers freed. */
static void collect_tx(void)
{
	struct fake_frame *f;

	while ((f = fake_io_take(0)) != NULL) {
		record(f->data, f->len, f->ol);
		fake_io_free(f);
	}
}

/* --- frames ----------------------------------------------------------------------------- */

static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 1 }, mac_b[6] = { 2, 0, 0, 0, 0, 2 };

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/*
 * Ethernet + IPv4 + TCP numbered id with plen payload bytes, checksums
 * right; padded to the 60-byte Ethernet minimum as a NIC hands it over.
 * offload: the checksums left as DPDK wants them for the NIC to fill.
 */
static void build(uint8_t *d, uint16_t *len, uint32_t id, uint16_t plen, bool offload)
{
	uint16_t tot = (uint16_t)(MOS_IP_HLEN + MOS_TCP_HLEN + plen);
	in_addr_t src = htonl(0x0a000002), dst = htonl(0x0a000001);
	uint8_t *ip = d + MOS_ETH_HLEN, *th = ip + MOS_IP_HLEN;
	uint32_t sum;

	*len = (uint16_t)(MOS_ETH_HLEN + tot < 60 ? 60 : MOS_ETH_HLEN + tot);
	memset(d, 0, *len);
	memcpy(d, mac_a, 6);
	memcpy(d + 6, mac_b, 6);
	put16(d + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, tot);
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	put16(th, 40000);
	put16(th + 2, 80);
	put16(th + 4, id >> 16);
	put16(th + 6, id);
	th[12] = 5 << 4;
	th[13] = MOS_TH_ACK;
	put16(th + 14, 65535);
	for (uint16_t i = 0; i < plen; i++)
		th[MOS_TCP_HLEN + i] = (uint8_t)(id * 7 + i);
	sum = mos_cksum_pseudo(src, dst, IPPROTO_TCP, (uint16_t)(MOS_TCP_HLEN + plen));
	if (offload) {
		put16(th + 16, (uint16_t)~mos_cksum_fold(sum));
		return;
	}
	put16(ip + 10, mos_cksum_fold(mos_cksum_add(0, ip, MOS_IP_HLEN)));
	put16(th + 16, mos_cksum_fold(mos_cksum_add(sum, th, (uint16_t)(MOS_TCP_HLEN + plen))));
}

static struct fake_frame *frame(uint32_t id, uint16_t plen)
{
	struct fake_frame *f = fake_io_frame(NULL, 0);

	if (f != NULL)
		build(f->data, &f->len, id, plen, false);
	return f;
}

/* Whether the IPv4 header and TCP checksums of frame d both hold. */
static bool checksums_ok(const uint8_t *d)
{
	const uint8_t *ip = d + MOS_ETH_HLEN;
	uint16_t tot = (uint16_t)(ip[2] << 8 | ip[3]);
	in_addr_t src, dst;

	if ((ip[0] & 0xf) != 5 || tot < MOS_IP_HLEN + MOS_TCP_HLEN || tot > FAKE_FRAME_SZ)
		return false;
	memcpy(&src, ip + 12, 4);
	memcpy(&dst, ip + 16, 4);
	return mos_cksum_fold(mos_cksum_add(0, ip, MOS_IP_HLEN)) == 0 &&
	       mos_cksum_fold(mos_cksum_add(mos_cksum_pseudo(src, dst, ip[9],
							     (uint16_t)(tot - MOS_IP_HLEN)),
					    ip + MOS_IP_HLEN, tot - MOS_IP_HLEN)) == 0;
}

/* --- set-up ----------------------------------------------------------------------------- */

/* Parse a mos.conf whose fault block holds `body`. */
static int parse_fault(const char *body)
{
	char text[1024], err[CONF_ERR_MAX];
	int n = snprintf(text, sizeof(text), "mos {\n netdev { dpdk0 0x1 10.0.0.1/24 }\n"
			 " fault {\n%s\n }\n}\n", body);

	if (conf_mos_parse(&conf, "f.conf", text, (size_t)n, err, sizeof(err)) != 0) {
		fprintf(stderr, "  %s\n", err);
		return -1;
	}
	return 0;
}

/* The injector core (number index) with the fault block `body`, the fake I/O reset. */
static int injector(const char *body, unsigned index)
{
	if (one == NULL)
		one = aligned_alloc(MOS_CACHE_LINE, mos_align_up(sizeof(*one), MOS_CACHE_LINE));
	if (one == NULL || parse_fault(body) != 0)
		return -1;
	memset(one, 0, sizeof(*one));
	memset(&fake_io, 0, sizeof(fake_io));
	rec.n = 0;
	fake_io_attach(one, 0);
	mos_fault_init(&one->fault, &conf.fault, index);
	return 0;
}

/* n frames numbered first.. through the receive faults, in bursts of 32. */
static void rx_frames(uint32_t first, uint32_t n, uint16_t plen, uint32_t flags)
{
	struct mos_rxpkt rx[32];

	for (uint32_t done = 0; done < n;) {
		int k = 0;

		while (k < 32 && done < n) {
			struct fake_frame *f = frame(first + done, plen);

			if (f == NULL) {
				CHECK_FAIL_("fake frame pool empty after %u frames", done);
				return;
			}
			rx[k++] = (struct mos_rxpkt){ f, f->data, f->len, 0, flags };
			done++;
		}
		mos_fault_rx(one, rx, k, deliver);
	}
}

/* The same on the send side; what goes out lands in rec. */
static void tx_frames(uint32_t first, uint32_t n, uint16_t plen)
{
	for (uint32_t i = 0; i < n; i++) {
		struct fake_frame *f = frame(first + i, plen);

		if (f == NULL) {
			CHECK_FAIL_("fake frame pool empty after %u frames", i);
			return;
		}
		mos_fault_tx(one, 0, f, f->len, 0);
		if (i % 256 == 255)
			collect_tx();
	}
	collect_tx();
}

/* Let time pass until nothing is held, taking in what comes. */
static void flush_held(void)
{
	fake_io.now_us += 10u * CONF_FAULT_DELAY_MAX;
	mos_fault_rx(one, NULL, 0, deliver);
	mos_fault_tx_release(one);
	collect_tx();
}

/* Every id first..first+n-1 recorded exactly once. */
static bool each_once(uint32_t first, uint32_t n)
{
	static uint8_t seen[REC_MAX];

	if ((uint32_t)rec.n != n)
		return false;
	memset(seen, 0, n);
	for (int i = 0; i < rec.n; i++) {
		uint32_t k = rec.id[i] - first;

		if (k >= n || seen[k]++)
			return false;
	}
	return true;
}

/* --- each fault alone ------------------------------------------------------------------ */

TEST(no_rate_is_off)
{
	REQUIRE(injector("seed = 9; delay_us = 5", 0) == 0);
	CHECK(!mos_fault_conf_on(&conf.fault));
	CHECK(!one->fault.rx_on);
	CHECK(!one->fault.tx_on);
	REQUIRE(injector("tx_corrupt = 0.01", 0) == 0);
	CHECK(mos_fault_conf_on(&conf.fault));
	CHECK(!one->fault.rx_on);
	CHECK(one->fault.tx_on);
	REQUIRE(injector("rx_delay = 100", 0) == 0);
	CHECK(one->fault.rx_on);
	CHECK(!one->fault.tx_on);
}

TEST(drop_all_and_nothing)
{
	REQUIRE(injector("rx_drop = 100; tx_drop = 100", 0) == 0);
	rx_frames(0, 1000, 100, 0);
	tx_frames(0, 1000, 100);
	CHECK_EQ(rec.n, 0);
	CHECK_EQ(one->fault.rx.st.frames, 1000);
	CHECK_EQ(one->fault.rx.st.dropped, 1000);
	CHECK_EQ(one->fault.tx.st.dropped, 1000);
	CHECK_EQ(fake_io.frames_used, 0);

	/* drop 0 with another fault on: every frame comes, in order, untouched */
	REQUIRE(injector("rx_drop = 0; rx_corrupt = 0; rx_delay = 0.00; rx_dup = 100", 0) == 0);
	rx_frames(0, 1000, 100, MOS_RX_IP_CKSUM_GOOD);
	REQUIRE(rec.n == 2000);
	for (int i = 0; i < 2000; i++) {
		CHECK_EQ(rec.id[i], (uint32_t)i / 2);
		CHECK_EQ(rec.flags[i], MOS_RX_IP_CKSUM_GOOD);
	}
	CHECK_EQ(one->fault.rx.st.dropped, 0);
	CHECK_EQ(one->fault.rx.st.corrupted, 0);
	CHECK_EQ(fake_io.frames_used, 0);
}

/*
 * A rate over 100,000 frames. Whatever the seed, the count is binomial
 * with a standard deviation under 160: the bounds are over 9 of them away.
 */
TEST(rates_hold_over_many_frames)
{
	static const struct { const char *body; uint64_t lo, hi; } r[] = {
		{ "rx_drop = 50; tx_drop = 50", 48500, 51500 },
		{ "rx_drop = 5; tx_drop = 5", 4400, 5600 },
		{ "rx_drop = 0.5; tx_drop = 0.5", 300, 700 },
		{ "rx_drop = 0.01; tx_drop = 0.01", 0, 50 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(r); i++) {
		REQUIRE(injector(r[i].body, 3) == 0);
		rx_frames(0, 100000, 0, 0);
		CHECK(one->fault.rx.st.dropped >= r[i].lo && one->fault.rx.st.dropped <= r[i].hi);
		CHECK_EQ(rec.n + one->fault.rx.st.dropped, 100000);
		for (int k = 1; k < rec.n; k++)	/* the rest in order */
			if (rec.id[k] <= rec.id[k - 1]) {
				CHECK_FAIL_("frame %u after %u", rec.id[k], rec.id[k - 1]);
				break;
			}
		rec.n = 0;
		tx_frames(0, 100000, 0);
		CHECK(one->fault.tx.st.dropped >= r[i].lo && one->fault.tx.st.dropped <= r[i].hi);
		CHECK_EQ(rec.n + one->fault.tx.st.dropped, 100000);
		CHECK_EQ(fake_io.frames_used, 0);
	}
}

/* A hash of what was let through, in order: ids, lengths and bytes. */
static uint64_t rec_hash(void)
{
	uint64_t h = 14695981039346656037ull;

	for (int i = 0; i < rec.n; i++) {
		h = (h ^ rec.id[i]) * 1099511628211ull;
		h = (h ^ rec.len[i]) * 1099511628211ull;
		for (int k = 0; i < REC_BYTES && k < rec.len[i]; k++)
			h = (h ^ rec.data[i][k]) * 1099511628211ull;
	}
	return h;
}

static uint64_t mixed_run(const char *body, unsigned index)
{
	if (injector(body, index) != 0)
		return 0;
	rx_frames(0, 5000, 200, 0);
	flush_held();
	return rec_hash() ^ one->fault.rx.st.dropped << 1 ^ one->fault.rx.st.reordered << 17 ^
	       one->fault.rx.st.duplicated << 33 ^ one->fault.rx.st.corrupted << 49;
}

TEST(same_seed_same_decisions)
{
	const char *a = "seed = 77; rx_drop = 10; rx_dup = 5; rx_reorder = 10; rx_corrupt = 5; "
			"rx_delay = 2";
	uint64_t first = mixed_run(a, 0);

	CHECK(first != 0);
	CHECK_EQ(mixed_run(a, 0), first);
	CHECK(mixed_run(a, 1) != first);	/* another core, other decisions */
	CHECK(mixed_run("seed = 78; rx_drop = 10; rx_dup = 5; rx_reorder = 10; rx_corrupt = 5; "
			"rx_delay = 2", 0) != first);
	CHECK(mixed_run("seed = 0x4d; rx_drop = 10; rx_dup = 5; rx_reorder = 10; rx_corrupt = 5; "
			"rx_delay = 2", 0) == first);	/* 0x4d is 77 */
	CHECK_EQ(fake_io.frames_used, 0);
}

/* How many frames with a higher number were let through before the k-th one. */
static uint32_t overtaken(int k)
{
	uint32_t n = 0;

	for (int i = 0; i < k; i++)
		n += rec.id[i] > rec.id[k];
	return n;
}

/*
 * Each reordered frame let through after exactly depth later ones; but the
 * `tail` frames still held when the input ended, which the clock let go
 * after fewer.
 */
static void check_reordered(uint64_t reordered, uint32_t depth, uint32_t tail)
{
	uint64_t exact = 0, fewer = 0;

	for (int k = 0; k < rec.n; k++) {
		uint32_t o = overtaken(k);

		if (o == depth)
			exact++;
		else if (o > depth)
			CHECK_FAIL_("frame %u overtaken by %u frames, more than %u", rec.id[k], o, depth);
		else if (o > 0)
			fewer++;
	}
	CHECK_EQ(exact, reordered - tail);
	CHECK(fewer <= tail);
}

TEST(reorder_reorders_and_loses_nothing)
{
	uint32_t tail;

	REQUIRE(injector("rx_reorder = 20; tx_reorder = 20; reorder_depth = 3", 0) == 0);
	rx_frames(0, 3000, 10, 0);
	tail = one->fault.rx.n_held;
	CHECK(tail <= 3);
	flush_held();
	CHECK(each_once(0, 3000));
	CHECK(one->fault.rx.st.reordered > 450 && one->fault.rx.st.reordered < 750);
	check_reordered(one->fault.rx.st.reordered, 3, tail);
	rec.n = 0;
	tx_frames(0, 3000, 10);
	tail = one->fault.tx.n_held;
	flush_held();
	CHECK(each_once(0, 3000));
	CHECK(one->fault.tx.st.reordered > 450 && one->fault.tx.st.reordered < 750);
	check_reordered(one->fault.tx.st.reordered, 3, tail);
	CHECK_EQ(one->fault.rx.n_held + one->fault.tx.n_held, 0);
	CHECK_EQ(fake_io.frames_used, 0);
}

/* With every frame held for reordering none goes by: the clock lets them go, in order. */
TEST(reorder_falls_back_on_the_clock)
{
	REQUIRE(injector("rx_reorder = 100; delay_us = 300", 0) == 0);
	fake_io.now_us = 1000;
	rx_frames(0, 10, 10, 0);
	CHECK_EQ(rec.n, 0);
	fake_io.now_us = 1299;
	mos_fault_rx(one, NULL, 0, deliver);
	CHECK_EQ(rec.n, 0);
	fake_io.now_us = 1300;
	CHECK_EQ(mos_fault_rx(one, NULL, 0, deliver), 10);
	REQUIRE(rec.n == 10);
	for (int i = 0; i < 10; i++)
		CHECK_EQ(rec.id[i], i);
	CHECK_EQ(one->fault.rx.n_reordered, 0);
}

TEST(dup_makes_exact_copies)
{
	static uint8_t orig[FAKE_FRAME_SZ];
	uint16_t len;

	REQUIRE(injector("rx_dup = 100; tx_dup = 100", 0) == 0);
	rx_frames(0, 500, 1000, MOS_RX_IP_CKSUM_GOOD | MOS_RX_L4_CKSUM_GOOD);
	REQUIRE(rec.n == 1000);
	for (int i = 0; i < 1000; i++) {
		build(orig, &len, (uint32_t)i / 2, 1000, false);
		CHECK_EQ(rec.len[i], len);
		CHECK(memcmp(rec.data[i], orig, len) == 0);
		CHECK_EQ(rec.flags[i], MOS_RX_IP_CKSUM_GOOD | MOS_RX_L4_CKSUM_GOOD);
	}
	CHECK_EQ(one->fault.rx.st.duplicated, 500);
	rec.n = 0;
	tx_frames(0, 500, 1400);
	REQUIRE(rec.n == 1000);
	for (int i = 0; i < 1000; i++) {
		build(orig, &len, (uint32_t)i / 2, 1400, false);
		CHECK(rec.len[i] == len && memcmp(rec.data[i], orig, len) == 0);
	}
	CHECK_EQ(one->fault.tx.st.duplicated, 500);
	CHECK_EQ(fake_io.frames_used, 0);

	/* no buffer for the copy: counted, the frame itself goes on */
	rec.n = 0;
	fake_io.alloc_fail = true;
	rx_frames(1000, 50, 10, 0);
	fake_io.alloc_fail = false;
	CHECK_EQ(rec.n, 50);
	CHECK_EQ(one->fault.rx.st.no_buffer, 50);
	CHECK_EQ(one->fault.rx.st.duplicated, 500);
	CHECK_EQ(fake_io.frames_used, 0);
}

/* The bits that differ between a and b, and where the first one is. */
static int bit_diff(const uint8_t *a, const uint8_t *b, uint16_t len, int *where)
{
	int n = 0;

	for (int i = 0; i < len; i++)
		if (a[i] != b[i]) {
			n += __builtin_popcount((unsigned)(a[i] ^ b[i]));
			*where = i;
		}
	return n;
}

TEST(corrupt_flips_one_bit_the_checksums_catch)
{
	static const uint16_t plens[] = { 0, 1, 6, 7, 100, 1460 };	/* 0..6: padded frames */
	static uint8_t orig[FAKE_FRAME_SZ];
	uint16_t len;
	int where = -1;

	REQUIRE(injector("rx_corrupt = 100; tx_corrupt = 100", 0) == 0);
	for (size_t p = 0; p < ARRAY_SIZE(plens); p++) {
		rec.n = 0;
		rx_frames(0, 200, plens[p], MOS_RX_IP_CKSUM_GOOD | MOS_RX_L4_CKSUM_GOOD);
		REQUIRE(rec.n == 200);
		for (int i = 0; i < 200; i++) {
			build(orig, &len, (uint32_t)i, plens[p], false);
			CHECK_EQ(rec.len[i], len);
			CHECK_EQ(bit_diff(rec.data[i], orig, len, &where), 1);
			/* inside the IPv4 packet, never the Ethernet header or padding */
			CHECK(where >= MOS_ETH_HLEN &&
			      where < MOS_ETH_HLEN + MOS_IP_HLEN + MOS_TCP_HLEN + plens[p]);
			CHECK(!checksums_ok(rec.data[i]));
			CHECK_EQ(rec.flags[i], 0);	/* the NIC's verdict is gone */
		}
	}
	CHECK_EQ(one->fault.rx.st.corrupted, 200 * ARRAY_SIZE(plens));

	/* ARP: no checksum would catch it, so it is left alone */
	{
		struct fake_frame *f = fake_io_frame(NULL, 60);
		struct mos_rxpkt rx;

		REQUIRE(f != NULL);
		memset(f->data, 0x5a, 60);
		put16(f->data + 12, 0x0806);
		memcpy(orig, f->data, 60);
		rx = (struct mos_rxpkt){ f, f->data, 60, 0, 0 };
		rec.n = 0;
		mos_fault_rx(one, &rx, 1, deliver);
		REQUIRE(rec.n == 1);
		CHECK(memcmp(rec.data[0], orig, 60) == 0);
		CHECK_EQ(one->fault.rx.st.corrupted, 200 * ARRAY_SIZE(plens));
		CHECK_EQ(one->fault.rx.st.frames, 200 * ARRAY_SIZE(plens) + 1);
	}

	/* sent with checksum offload: summed here first, so the flip still shows */
	rec.n = 0;
	for (uint32_t i = 0; i < 200; i++) {
		struct fake_frame *f = fake_io_frame(NULL, 0);

		REQUIRE(f != NULL);
		build(f->data, &f->len, i, 300, true);
		mos_fault_tx(one, 0, f, f->len, MOS_TX_IP_CKSUM | MOS_TX_TCP_CKSUM);
	}
	collect_tx();
	REQUIRE(rec.n == 200);
	for (int i = 0; i < 200; i++) {
		build(orig, &len, (uint32_t)i, 300, false);
		CHECK_EQ(rec.flags[i], 0);	/* nothing left for the NIC to do */
		CHECK_EQ(bit_diff(rec.data[i], orig, len, &where), 1);
		CHECK(!checksums_ok(rec.data[i]));
		rec.data[i][where] = orig[where];
		CHECK(checksums_ok(rec.data[i]));	/* the sums were those of the frame */
	}
	CHECK_EQ(one->fault.tx.st.corrupted, 200);
	CHECK_EQ(fake_io.frames_used, 0);
}

TEST(delay_holds_frames_until_the_clock_passes)
{
	REQUIRE(injector("rx_delay = 100; tx_delay = 100; delay_us = 500", 0) == 0);
	fake_io.now_us = 10000;
	rx_frames(0, 10, 10, 0);
	tx_frames(100, 10, 10);
	CHECK_EQ(rec.n, 0);
	CHECK_EQ(one->fault.rx.st.delayed, 10);
	CHECK_EQ(one->fault.tx.st.delayed, 10);
	fake_io.now_us = 10499;
	CHECK_EQ(mos_fault_rx(one, NULL, 0, deliver), 0);
	mos_fault_tx_release(one);
	collect_tx();
	CHECK_EQ(rec.n, 0);
	fake_io.now_us = 10500;
	CHECK_EQ(mos_fault_rx(one, NULL, 0, deliver), 10);
	mos_fault_tx_release(one);
	collect_tx();
	REQUIRE(rec.n == 20);
	for (int i = 0; i < 10; i++) {
		CHECK_EQ(rec.id[i], i);
		CHECK_EQ(rec.id[10 + i], 100 + i);
	}
	CHECK_EQ(fake_io.frames_used, 0);

	/* frames held at different times go at different times */
	rec.n = 0;
	rx_frames(0, 3, 10, 0);
	fake_io.now_us += 200;
	rx_frames(3, 3, 10, 0);
	fake_io.now_us += 300;
	CHECK_EQ(mos_fault_rx(one, NULL, 0, deliver), 3);
	fake_io.now_us += 200;
	CHECK_EQ(mos_fault_rx(one, NULL, 0, deliver), 3);
	CHECK(each_once(0, 6));
}

TEST(full_hold_area_passes_frames_on)
{
	REQUIRE(injector("rx_delay = 100", 0) == 0);
	rx_frames(0, MOS_FAULT_HOLD + 72, 10, 0);
	CHECK_EQ(rec.n, 72);
	CHECK_EQ(rec.id[0], MOS_FAULT_HOLD);	/* the first ones are those held */
	CHECK_EQ(one->fault.rx.st.delayed, MOS_FAULT_HOLD);
	CHECK_EQ(one->fault.rx.st.hold_full, 72);
	flush_held();
	CHECK(each_once(0, MOS_FAULT_HOLD + 72));
	CHECK_EQ(fake_io.frames_used, 0);
}

TEST(held_frames_are_freed_at_teardown)
{
	struct mtcp_fault_stat st;
	uint32_t rx_passed, rx_held;

	REQUIRE(injector("rx_delay = 50; rx_reorder = 50; tx_delay = 50; tx_reorder = 50; "
			 "reorder_depth = 32", 0) == 0);
	rx_frames(0, 100, 10, 0);
	rx_passed = (uint32_t)rec.n;
	rx_held = one->fault.rx.n_held;
	CHECK_EQ(rx_passed + rx_held, 100);
	tx_frames(0, 100, 10);
	CHECK(rx_held > 0 && one->fault.tx.n_held > 0);
	CHECK_EQ(fake_io.frames_used, rx_held + one->fault.tx.n_held);
	mos_fault_drain(one);
	CHECK_EQ(fake_io.frames_used, 0);
	CHECK_EQ(one->fault.rx.n_held + one->fault.tx.n_held, 0);
	CHECK_EQ(one->fault.rx.n_reordered + one->fault.tx.n_reordered, 0);
	/* the counters stay, for the application to read */
	REQUIRE(mtcp_get_fault_stats(&one->ctx, &st) == 0);
	CHECK_EQ(st.rx.frames, 100);
	CHECK_EQ(st.tx.frames, 100);
	CHECK(st.rx.delayed > 0 && st.tx.reordered > 0);
	CHECK(mtcp_get_fault_stats(NULL, &st) == -1 && errno == EINVAL);
	CHECK(mtcp_get_fault_stats(&one->ctx, NULL) == -1 && errno == EINVAL);
}

/* --- two stacks over the fault layer ---------------------------------------------------- */

static struct mos_core *core[2];
static struct mos_conf cconf[2];
static struct mtcp_conf mc;

struct tsock {
	uint32_t events;
	int so_error;
};

void mos_sock_notify(struct mos_core *c, struct mos_stream *s, uint32_t events)
{
	struct tsock *t = s->sock;

	(void)c;
	if (t != NULL) {
		t->events = events;
		t->so_error = s->so_error;
	}
}

/* A plain wire: the faults are the cores' own. */
static void run(unsigned ms)
{
	for (unsigned t = 0; t <= ms; t++) {
		for (int round = 0; round < 1000; round++) {
			int moved = mos_loop_poll(core[0]) + mos_loop_poll(core[1]);
			struct fake_frame *f;

			for (int i = 0; i < 2; i++)
				while ((f = fake_io_take(i)) != NULL) {
					if (fake_io_give(1 - i, f) != 0)
						fake_io_free(f);
					moved++;
				}
			if (moved == 0)
				break;
		}
		if (t < ms)
			fake_io.now_us += 1000;
	}
}

#define FAULTS(dir) dir "_drop = 5; " dir "_reorder = 5; " dir "_dup = 1; " dir "_corrupt = 1; " \
		    dir "_delay = 1\n"

static const char *const stack_text[2] = {
	"mos {\n netdev { dpdk0 0x1 10.0.0.1/24 02:00:00:00:00:01 }\n"
	" arp_table { 10.0.0.2/32 02:00:00:00:00:02 }\n"
	" fault { seed = 11\n" FAULTS("rx") FAULTS("tx") " }\n}\n",
	"mos {\n netdev { dpdk0 0x1 10.0.0.2/24 02:00:00:00:00:02 }\n"
	" arp_table { 10.0.0.1/32 02:00:00:00:00:01 }\n"
	" fault { seed = 12\n" FAULTS("rx") FAULTS("tx") " }\n}\n",
};

static int stacks_up(void)
{
	memset(&fake_io, 0, sizeof(fake_io));
	fake_io.now_us = 5000000;
	memset(&mc, 0, sizeof(mc));
	mc.num_cores = 1;
	mc.max_concurrency = 16;
	mc.max_num_buffers = 16;
	mc.rcvbuf_size = 65536;
	mc.sndbuf_size = 65536;
	for (int i = 0; i < 2; i++)
		if (stack_core_up(&core[i], &cconf[i], "s.conf", stack_text[i], &mc, i,
				  99 + (uint64_t)i) != 0)
			return -1;
	return 0;
}

static void fill(uint8_t *buf, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)((i * 2654435761u + seed) >> 13);
}

/* Send n bytes from core x's stream sx to core 1-x's sy, every byte checked on arrival. */
static size_t transfer(int x, struct mos_stream *sx, struct mos_stream *sy, size_t n, uint32_t seed)
{
	static uint8_t src[1 << 20], dst[1 << 16];
	size_t sent = 0, got = 0;

	if (n > sizeof(src))
		n = sizeof(src);
	fill(src, n, seed);
	for (unsigned t = 0; t < 600000 && got < n; t++) {
		long w = sent < n ? mos_tcp_send(core[x], sx, src + sent,
						 (uint32_t)(n - sent > 65536 ? 65536 : n - sent)) : 0;
		long r;

		if (w > 0)
			sent += (size_t)w;
		run(1);
		while ((r = mos_tcp_recv(core[1 - x], sy, dst, sizeof(dst))) > 0) {
			if (memcmp(dst, src + got, (size_t)r) != 0) {
				CHECK_FAIL_("bytes %zu..%zu differ", got, got + (size_t)r);
				return got;
			}
			got += (size_t)r;
		}
	}
	return got;
}

static void check_dir(int c, const char *name, const struct mtcp_fault_dir_stat *s)
{
	fprintf(stderr, "  core %d %s: %lu frames, %lu dropped, %lu duplicated, %lu reordered, "
		"%lu corrupted, %lu delayed\n", c, name, (unsigned long)s->frames,
		(unsigned long)s->dropped, (unsigned long)s->duplicated, (unsigned long)s->reordered,
		(unsigned long)s->corrupted, (unsigned long)s->delayed);
	CHECK(s->frames > 500);
	CHECK(s->dropped > 0 && s->duplicated > 0 && s->reordered > 0 && s->corrupted > 0 &&
	      s->delayed > 0);
	CHECK(s->dropped * 100 < s->frames * 10);	/* about 5 %, far from 10 */
	CHECK_EQ(s->no_buffer + s->hold_full, 0);
}

TEST(two_stacks_move_a_megabyte_each_way_through_every_fault)
{
	struct tsock ta = { 0 }, tb = { 0 }, tl = { 0 };
	struct mos_stream *a, *b = NULL, *l;
	uint64_t cksum_drops;
	int err;

	REQUIRE(stacks_up() == 0);
	CHECK(core[0]->fault.rx_on && core[0]->fault.tx_on);
	l = mos_tcp_listen(core[1], htonl(INADDR_ANY), htons(80), 4, &tl, &err);
	REQUIRE(l != NULL);
	a = mos_tcp_connect(core[0], cconf[0].netdev[0].addr, htons(41000), cconf[1].netdev[0].addr,
			    htons(80), false, &ta, &err);
	REQUIRE(a != NULL);
	for (int t = 0; t < 60 && (b = mos_tcp_accept(core[1], l)) == NULL; t++)
		run(100);	/* a lost SYN or SYN-ACK comes again after a second or two */
	REQUIRE(b != NULL);
	b->sock = &tb;
	CHECK_EQ(transfer(0, a, b, 1u << 20, 3), 1u << 20);
	CHECK_EQ(transfer(1, b, a, 1u << 20, 5), 1u << 20);
	for (int i = 0; i < 2; i++) {
		check_dir(i, "rx", &core[i]->fault.rx.st);
		check_dir(i, "tx", &core[i]->fault.tx.st);
	}
	/* the corrupted frames were caught by the checksums, not taken as data */
	cksum_drops = 0;
	for (int i = 0; i < 2; i++)
		cksum_drops += core[i]->net.stats.drop[MOS_DROP_TCP_CKSUM] +
			       core[i]->net.stats.drop[MOS_DROP_IP_CKSUM];
	CHECK(cksum_drops > 0);
	CHECK(core[0]->tcp.retransmits > 0 && core[1]->tcp.retransmits > 0);
	CHECK(core[0]->tcp.dup_segs + core[1]->tcp.dup_segs > 0);
	/* close and let everything time out; nothing may stay anywhere */
	mos_tcp_close(core[0], a);
	mos_tcp_close(core[1], b);
	run(3000);
	mos_tcp_close(core[1], l);
	run(130000);
	for (int i = 0; i < 2; i++) {
		mos_fault_drain(core[i]);
		for (int p = 0; p < MOS_POOL_COUNT; p++)
			CHECK_EQ(core[i]->pool[p].in_use, 0);
		CHECK_EQ(core[i]->n_streams, 0);
		free(core[i]);
		core[i] = NULL;
	}
	CHECK_EQ(fake_io.frames_used, 0);
}

static const struct check_case cases[] = {
	CASE(no_rate_is_off),
	CASE(drop_all_and_nothing),
	CASE(rates_hold_over_many_frames),
	CASE(same_seed_same_decisions),
	CASE(reorder_reorders_and_loses_nothing),
	CASE(reorder_falls_back_on_the_clock),
	CASE(dup_makes_exact_copies),
	CASE(corrupt_flips_one_bit_the_checksums_catch),
	CASE(delay_holds_frames_until_the_clock_passes),
	CASE(full_hold_area_passes_frames_on),
	CASE(held_frames_are_freed_at_teardown),
	CASE(two_stacks_move_a_megabyte_each_way_through_every_fault),
};

CHECK_MAIN(cases)
