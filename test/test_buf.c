/*
 * test_buf.c - the send and receive buffers of a TCP stream.
 *
 * Fixed cases first; then the receive buffer against a plain model (a byte
 * array indexed by stream offset with a held map), fed 100k random
 * segments that overlap, retransmit different bytes and run past the window.
 */
#include "mos_buf.h"

#include <errno.h>

#include "check.h"


static uint32_t rng_below(uint32_t n)
{
	return (uint32_t)(check_rand() % n);
}

/* the byte a stream carries at sequence seq, in the deterministic cases */
static uint8_t byte_at(uint32_t seq)
{
	return (uint8_t)(seq * 131u + (seq >> 8) + 7u);
}

static void fill_stream(uint8_t *dst, uint32_t seq, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		dst[i] = byte_at(seq + i);
}

static int is_stream(const uint8_t *p, uint32_t seq, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (p[i] != byte_at(seq + i))
			return 0;
	return 1;
}

/* --- send buffer --- */

TEST(sndbuf_write_peek_ack)
{
	uint8_t mem[10], out[16];
	struct mos_sndbuf sb;
	const uint32_t una = 1000;

	mos_sndbuf_init(&sb, mem, sizeof(mem), una);
	CHECK_EQ(mos_sndbuf_space(&sb), 10);
	CHECK_EQ(mos_sndbuf_write(&sb, "abcdef", 6), 6);
	CHECK_EQ(mos_sndbuf_write(&sb, "ghijklmn", 8), 4);	/* only 4 fit */
	CHECK_EQ(mos_sndbuf_write(&sb, "x", 1), 0);
	CHECK_EQ(mos_sndbuf_space(&sb), 0);
	CHECK_EQ(mos_sndbuf_end(&sb), una + 10);

	CHECK_EQ(mos_sndbuf_peek(&sb, una, out, 3), 3);
	CHECK(memcmp(out, "abc", 3) == 0);
	CHECK_EQ(mos_sndbuf_peek(&sb, una + 8, out, 5), 2);	/* short at the end */
	CHECK(memcmp(out, "ij", 2) == 0);
	CHECK_EQ(mos_sndbuf_peek(&sb, una + 10, out, 5), 0);	/* at the end: nothing */
	CHECK_EQ(mos_sndbuf_peek(&sb, una + 11, out, 5), 0);	/* outside */
	CHECK_EQ(mos_sndbuf_peek(&sb, una - 1, out, 5), 0);	/* before una */

	CHECK_EQ(mos_sndbuf_ack(&sb, una + 4), 4);
	CHECK_EQ(sb.una, una + 4);
	CHECK_EQ(mos_sndbuf_space(&sb), 4);
	CHECK_EQ(mos_sndbuf_write(&sb, "WXYZ", 4), 4);	/* wraps the ring */
	CHECK_EQ(mos_sndbuf_peek(&sb, una + 4, out, 16), 10);
	CHECK(memcmp(out, "efghijWXYZ", 10) == 0);
	CHECK_EQ(mos_sndbuf_peek(&sb, una + 9, out, 3), 3);	/* across the ring's end */
	CHECK(memcmp(out, "jWX", 3) == 0);
	CHECK_EQ(mos_sndbuf_ack(&sb, una + 14), 10);
	CHECK_EQ(sb.len, 0);
	CHECK_EQ(mos_sndbuf_peek(&sb, una + 14, out, 1), 0);
}

TEST(sndbuf_ack_outside_changes_nothing)
{
	uint8_t mem[64];
	struct mos_sndbuf sb, before;
	const uint32_t una = 0xfffffffa;	/* the data crosses 2^32 */
	uint32_t bad[] = { una, una - 1, una - 0x7fffffff, una + 21, una + 0x80000000u };

	mos_sndbuf_init(&sb, mem, sizeof(mem), una);
	for (uint32_t i = 0; i < 20; i++)
		mos_sndbuf_write(&sb, (uint8_t[]){ byte_at(una + i) }, 1);
	CHECK_EQ(mos_sndbuf_ack(&sb, una + 2), 2);
	before = sb;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(mos_sndbuf_ack(&sb, bad[i] + 2), 0);
		CHECK(sb.head == before.head && sb.una == before.una && sb.len == before.len);
	}
	CHECK_EQ(mos_sndbuf_ack(&sb, una + 20), 18);	/* exactly una + len: all of it */
	CHECK_EQ(sb.una, 14);
	CHECK_EQ(sb.len, 0);
}

TEST(sndbuf_wraps_ring_and_sequence_space)
{
	uint8_t mem[37], chunk[64], out[64];
	struct mos_sndbuf sb;
	uint32_t una = 0xffffff00, end = una;
	uint64_t acked = 0;

	check_rng_state = 1;
	mos_sndbuf_init(&sb, mem, sizeof(mem), una);
	for (int it = 0; it < 20000; it++) {
		uint32_t n = rng_below(40), off, k, got;

		fill_stream(chunk, end, n);
		k = mos_sndbuf_write(&sb, chunk, n);
		REQUIRE(k == (n < sizeof(mem) - (end - una) ? n : sizeof(mem) - (end - una)));
		end += k;
		REQUIRE(mos_sndbuf_end(&sb) == end);

		off = rng_below(end - una + 1);
		got = mos_sndbuf_peek(&sb, una + off, out, n);
		REQUIRE(got == (n < end - una - off ? n : end - una - off));
		REQUIRE(is_stream(out, una + off, got));

		if (rng_below(4) == 0)	/* an old or future ack changes nothing */
			REQUIRE(mos_sndbuf_ack(&sb, rng_below(2) ? una - rng_below(1000) :
						    end + 1 + rng_below(1000)) == 0);
		k = rng_below(end - una + 1);
		REQUIRE(mos_sndbuf_ack(&sb, una + k) == k);
		una += k;
		acked += k;
		REQUIRE(sb.una == una && sb.len == end - una);
	}
	CHECK(acked > 2 * 0x100);	/* crossed 2^32 and went on */
	CHECK(MOS_SEQ_GT(una, 0x100));
}

/* --- receive buffer: fixed cases --- */

TEST(rcvbuf_in_order_and_read)
{
	uint8_t mem[16], seg[32], out[32];
	struct mos_rcvbuf rb;
	uint32_t seq = 0xfffffff8;	/* crosses 2^32 */

	mos_rcvbuf_init(&rb, mem, sizeof(mem), seq);
	CHECK_EQ(mos_rcvbuf_window(&rb), 16);
	fill_stream(seg, seq, 32);
	CHECK_EQ(mos_rcvbuf_put(&rb, seq, seg, 10), 10);
	CHECK_EQ(rb.nxt, seq + 10);
	CHECK_EQ(mos_rcvbuf_window(&rb), 6);
	CHECK_EQ(mos_rcvbuf_read(&rb, out, 4), 4);
	CHECK(is_stream(out, seq, 4));
	CHECK_EQ(mos_rcvbuf_put(&rb, seq + 10, seg + 10, 10), 10);	/* wraps the ring */
	CHECK_EQ(rb.len, 16);
	CHECK_EQ(mos_rcvbuf_window(&rb), 0);
	CHECK_EQ(mos_rcvbuf_read(&rb, out, 32), 16);
	CHECK(is_stream(out, seq + 4, 16));
	CHECK_EQ(mos_rcvbuf_read(&rb, out, 32), 0);
	CHECK_EQ(mos_rcvbuf_put(&rb, seq + 20, seg + 20, 0), 0);	/* empty */
	CHECK_EQ(rb.dup_bytes + rb.beyond_bytes + rb.ooo_full, 0);
}

TEST(rcvbuf_out_of_order_then_hole_filled)
{
	uint8_t mem[32], seg[64], out[64];
	struct mos_rcvbuf rb;
	uint32_t seq = 0xfffffff0;
	struct mos_seq_range sack[4];

	mos_rcvbuf_init(&rb, mem, sizeof(mem), seq);
	fill_stream(seg, seq, 64);
	CHECK_EQ(mos_rcvbuf_put(&rb, seq, seg, 20), 20);
	CHECK_EQ(mos_rcvbuf_read(&rb, out, 20), 20);	/* head at 20 */
	CHECK_EQ(mos_rcvbuf_put(&rb, seq + 30, seg + 30, 10), 0);	/* ring 30..31, 0..7 */
	CHECK_EQ(mos_rcvbuf_put(&rb, seq + 24, seg + 24, 3), 0);
	CHECK_EQ(rb.nxt, seq + 20);
	CHECK_EQ(rb.len, 0);
	REQUIRE(rb.n_ooo == 2);
	CHECK_EQ(rb.ooo[0].start, seq + 24);
	CHECK_EQ(rb.ooo[0].end, seq + 27);
	CHECK_EQ(rb.ooo[1].start, seq + 30);
	CHECK_EQ(rb.ooo[1].end, seq + 40);
	CHECK_EQ(mos_rcvbuf_sack(&rb, sack, 4), 2);
	CHECK_EQ(sack[0].start, seq + 24);
	CHECK_EQ(sack[1].start, seq + 30);
	CHECK_EQ(mos_rcvbuf_put(&rb, seq + 27, seg + 27, 3), 0);	/* joins the two */
	REQUIRE(rb.n_ooo == 1);
	CHECK_EQ(rb.ooo[0].start, seq + 24);
	CHECK_EQ(rb.ooo[0].end, seq + 40);
	CHECK_EQ(mos_rcvbuf_put(&rb, seq + 20, seg + 20, 4), 20);	/* the hole: all of it */
	CHECK_EQ(rb.n_ooo, 0);
	CHECK_EQ(rb.nxt, seq + 40);
	CHECK_EQ(mos_rcvbuf_read(&rb, out, 64), 20);
	CHECK(is_stream(out, seq + 20, 20));
	CHECK_EQ(mos_rcvbuf_sack(&rb, sack, 4), 0);
}

/* the next permutation of p[0..n) in lexicographic order; 0 after the last */
static int next_perm(int *p, int n)
{
	int i = n - 2, j = n - 1, t;

	while (i >= 0 && p[i] >= p[i + 1])
		i--;
	if (i < 0)
		return 0;
	while (p[j] <= p[i])
		j--;
	t = p[i], p[i] = p[j], p[j] = t;
	for (i++, j = n - 1; i < j; i++, j--)
		t = p[i], p[i] = p[j], p[j] = t;
	return 1;
}

#define PIECES 6
#define PIECE 10
#define OVERLAP 3	/* each piece reaches this far into the next */
#define STREAM (PIECES * PIECE)

static uint32_t piece_len(int k)
{
	return k == PIECES - 1 ? PIECE : PIECE + OVERLAP;
}

/* piece k's bytes differ from every other piece's, so the winner shows */
static uint8_t piece_byte(int k, uint32_t off)
{
	return (uint8_t)(0x40 * k + off + 1);
}

/* Where nxt stands once pieces [0, prefix) are in: the last one reaches into the next. */
static uint32_t piece_nxt(int prefix)
{
	if (prefix == 0)
		return 0;
	return prefix == PIECES ? STREAM : (uint32_t)(prefix * PIECE + OVERLAP);
}

/* How many maximal runs of put pieces lie beyond the first hole. */
static int piece_runs(const int *put, int prefix)
{
	int runs = 0;

	for (int k = prefix; k < PIECES; k++)
		if (put[k] && (k == prefix || !put[k - 1]))
			runs++;
	return runs;
}

/* Put the pieces in the order perm; every byte must come from the first piece put over it. */
static void put_pieces(const int *perm, uint32_t seq0)
{
	uint8_t mem[64], seg[PIECE + OVERLAP], want[STREAM], out[STREAM];
	int put[PIECES] = { 0 }, owner[STREAM], prefix = 0;
	uint32_t dup = 0;
	struct mos_rcvbuf rb;
	struct mos_seq_range sack[MOS_RCV_OOO_MAX];

	/* start with the ring's head at 37 so the stream wraps the ring */
	mos_rcvbuf_init(&rb, mem, sizeof(mem), seq0 - 37);
	fill_stream(out, seq0 - 37, 37);
	REQUIRE(mos_rcvbuf_put(&rb, seq0 - 37, out, 37) == 37);
	REQUIRE(mos_rcvbuf_read(&rb, out, 37) == 37);

	for (int i = 0; i < STREAM; i++)
		owner[i] = -1;
	for (int i = 0; i < PIECES; i++) {
		int k = perm[i], old_prefix = prefix, ret;
		uint32_t n = piece_len(k);

		for (uint32_t j = 0; j < n; j++) {
			seg[j] = piece_byte(k, j);
			if (owner[k * PIECE + j] < 0) {
				owner[k * PIECE + j] = k;
				want[k * PIECE + j] = seg[j];
			} else {
				dup++;
			}
		}
		ret = mos_rcvbuf_put(&rb, seq0 + (uint32_t)(k * PIECE), seg, n);
		put[k] = 1;
		while (prefix < PIECES && put[prefix])
			prefix++;
		REQUIRE(ret == (int)(piece_nxt(prefix) - piece_nxt(old_prefix)));
		REQUIRE(rb.n_ooo == piece_runs(put, prefix));
		if (k > prefix) {	/* went out of order: its range leads the SACK */
			REQUIRE(mos_rcvbuf_sack(&rb, sack, MOS_RCV_OOO_MAX) == rb.n_ooo);
			REQUIRE(MOS_SEQ_LEQ(sack[0].start, seq0 + (uint32_t)(k * PIECE)));
			REQUIRE(MOS_SEQ_GEQ(sack[0].end, seq0 + (uint32_t)(k * PIECE) + n));
		}
	}
	REQUIRE(rb.nxt == seq0 + STREAM);
	REQUIRE(mos_rcvbuf_read(&rb, out, STREAM) == STREAM);
	REQUIRE(memcmp(out, want, STREAM) == 0);
	REQUIRE(rb.dup_bytes == dup);
	REQUIRE(rb.beyond_bytes == 0 && rb.ooo_full == 0);
}

TEST(rcvbuf_holes_filled_in_every_order)
{
	int perm[PIECES], count = 0;

	for (int i = 0; i < PIECES; i++)
		perm[i] = i;
	do {
		put_pieces(perm, 0xffffffe0);	/* crosses 2^32 mid-stream */
		put_pieces(perm, 0x1000);
		count++;
	} while (next_perm(perm, PIECES) && check_failures == 0);
	CHECK_EQ(count, 720);
}

TEST(rcvbuf_held_bytes_win_over_retransmissions)
{
	uint8_t mem[64], a[16], b[16], out[32];
	struct mos_rcvbuf rb;
	uint32_t seq = 0xfffffffc;

	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	mos_rcvbuf_init(&rb, mem, sizeof(mem), seq);
	CHECK_EQ(mos_rcvbuf_put(&rb, seq + 4, a, 4), 0);	/* held: [4, 8) */
	CHECK_EQ(mos_rcvbuf_put(&rb, seq + 2, b, 8), 0);	/* [2, 10): 4 of them held */
	CHECK_EQ(rb.dup_bytes, 4);
	CHECK_EQ(mos_rcvbuf_put(&rb, seq, b, 3), 10);	/* [0, 3): 1 held */
	CHECK_EQ(rb.dup_bytes, 5);
	CHECK_EQ(mos_rcvbuf_put(&rb, seq + 1, a, 12), 3);	/* [1, 13): 9 before nxt */
	CHECK_EQ(rb.dup_bytes, 14);
	CHECK_EQ(mos_rcvbuf_read(&rb, out, 32), 13);
	CHECK(memcmp(out, "bbbbaaaabbaaa", 13) == 0);
	CHECK_EQ(rb.beyond_bytes, 0);
}

TEST(rcvbuf_counts_old_and_beyond_bytes)
{
	uint8_t mem[100], seg[200], out[200];
	struct mos_rcvbuf rb;
	uint32_t seq = 0xfffffffa;

	fill_stream(seg, seq - 10, sizeof(seg));	/* seg[i] is the byte at seq - 10 + i */
	mos_rcvbuf_init(&rb, mem, sizeof(mem), seq);
	CHECK_EQ(mos_rcvbuf_put(&rb, seq - 10, seg, 5), 0);	/* all old */
	CHECK_EQ(rb.dup_bytes, 5);
	CHECK_EQ(mos_rcvbuf_put(&rb, seq - 3, seg + 7, 8), 5);	/* 3 old, 5 new */
	CHECK_EQ(rb.dup_bytes, 8);
	CHECK_EQ(mos_rcvbuf_window(&rb), 95);	/* [seq + 5, seq + 100) */
	CHECK_EQ(mos_rcvbuf_put(&rb, seq + 90, seg + 100, 15), 0);	/* 10 fit, 5 beyond */
	CHECK_EQ(rb.beyond_bytes, 5);
	REQUIRE(rb.n_ooo == 1);
	CHECK_EQ(rb.ooo[0].end, seq + 100);	/* up to the window's edge */
	CHECK_EQ(mos_rcvbuf_put(&rb, seq + 100, seg + 110, 4), 0);	/* all beyond */
	CHECK_EQ(rb.beyond_bytes, 9);
	CHECK_EQ(rb.n_ooo, 1);
	/* old at the front, new, held, then beyond at the back */
	CHECK_EQ(mos_rcvbuf_put(&rb, seq + 1, seg + 11, 104), 95);
	CHECK_EQ(rb.dup_bytes, 8 + 4 + 10);
	CHECK_EQ(rb.beyond_bytes, 9 + 5);
	CHECK_EQ(mos_rcvbuf_window(&rb), 0);
	CHECK_EQ(rb.n_ooo, 0);
	/* a zero window takes nothing, even at nxt */
	CHECK_EQ(mos_rcvbuf_put(&rb, seq + 100, seg + 110, 1), 0);
	CHECK_EQ(rb.beyond_bytes, 9 + 5 + 1);
	/* reading opens it again */
	CHECK_EQ(mos_rcvbuf_read(&rb, out, 30), 30);
	CHECK(is_stream(out, seq, 30));
	CHECK_EQ(mos_rcvbuf_put(&rb, seq + 100, seg + 110, 40), 30);
	CHECK_EQ(rb.beyond_bytes, 9 + 5 + 1 + 10);
	CHECK_EQ(mos_rcvbuf_read(&rb, out, 200), 100);
	CHECK(is_stream(out, seq + 30, 100));
	/* half the sequence space away either side: beyond or old, never stored */
	CHECK_EQ(mos_rcvbuf_put(&rb, rb.nxt + 0x7fffffff, seg, 7), 0);
	CHECK_EQ(rb.beyond_bytes, 9 + 5 + 1 + 10 + 7);
	CHECK_EQ(mos_rcvbuf_put(&rb, rb.nxt + 0x80000000u, seg, 7), 0);
	CHECK_EQ(rb.dup_bytes, 8 + 4 + 10 + 7);
	CHECK_EQ(rb.n_ooo, 0);
	CHECK_EQ(rb.len, 0);
	CHECK_EQ(rb.ooo_full, 0);
}

/* put n stream bytes at nxt + rel */
static int put_rel(struct mos_rcvbuf *rb, uint32_t seq0, uint32_t rel, uint32_t n)
{
	uint8_t seg[256];

	fill_stream(seg, seq0 + rel, n);
	return mos_rcvbuf_put(rb, seq0 + rel, seg, n);
}

/* Everything but ooo_full is as it was. */
static int rcvbuf_same(const struct mos_rcvbuf *a, const struct mos_rcvbuf *b)
{
	return a->data == b->data && a->size == b->size && a->head == b->head &&
	       a->len == b->len && a->nxt == b->nxt && a->n_ooo == b->n_ooo &&
	       memcmp(a->ooo, b->ooo, sizeof(a->ooo)) == 0 &&
	       memcmp(a->ooo_recent, b->ooo_recent, sizeof(a->ooo_recent)) == 0 &&
	       a->dup_bytes == b->dup_bytes && a->beyond_bytes == b->beyond_bytes;
}

TEST(rcvbuf_keeps_at_most_8_ranges)
{
	uint8_t mem[256], snap[256], out[256];
	struct mos_rcvbuf rb, before;
	uint32_t seq = 0xfffffff8;

	mos_rcvbuf_init(&rb, mem, sizeof(mem), seq);
	for (uint32_t i = 1; i <= MOS_RCV_OOO_MAX; i++)
		CHECK_EQ(put_rel(&rb, seq, 10 * i, 2), 0);	/* [10i, 10i + 2) */
	REQUIRE(rb.n_ooo == MOS_RCV_OOO_MAX);

	/* a 9th range; one between two, touching neither; one partly beyond */
	memcpy(snap, mem, sizeof(mem));
	before = rb;
	CHECK_EQ(put_rel(&rb, seq, 100, 5), -ENOSPC);
	CHECK_EQ(put_rel(&rb, seq, 15, 2), -ENOSPC);
	CHECK_EQ(put_rel(&rb, seq, 250, 20), -ENOSPC);
	CHECK(memcmp(snap, mem, sizeof(mem)) == 0);	/* nothing stored */
	CHECK(rcvbuf_same(&rb, &before));	/* nothing else counted */
	CHECK_EQ(rb.ooo_full, 3);

	/* touching or overlapping ranges is always taken */
	CHECK_EQ(put_rel(&rb, seq, 12, 1), 0);	/* the end of [10, 12) */
	CHECK_EQ(put_rel(&rb, seq, 17, 3), 0);	/* the start of [20, 22) */
	CHECK_EQ(put_rel(&rb, seq, 39, 3), 0);	/* over [40, 42) */
	CHECK_EQ(rb.n_ooo, MOS_RCV_OOO_MAX);
	CHECK_EQ(rb.ooo[0].end, seq + 13);
	CHECK_EQ(rb.ooo[1].start, seq + 17);
	CHECK_EQ(rb.ooo[3].start, seq + 39);
	CHECK_EQ(put_rel(&rb, seq, 13, 4), 0);	/* joins [10, 13) and [17, 22) */
	CHECK_EQ(rb.n_ooo, MOS_RCV_OOO_MAX - 1);
	CHECK_EQ(put_rel(&rb, seq, 100, 5), 0);	/* now a new one fits */
	CHECK_EQ(rb.n_ooo, MOS_RCV_OOO_MAX);
	CHECK_EQ(put_rel(&rb, seq, 0, 3), 3);	/* in order is always taken */
	CHECK_EQ(rb.n_ooo, MOS_RCV_OOO_MAX);
	/* [3, 70) holds 21 of its bytes already and touches [70, 72) */
	CHECK_EQ(put_rel(&rb, seq + 3, 0, 67), 69);
	CHECK_EQ(rb.nxt, seq + 72);
	CHECK_EQ(rb.n_ooo, 2);
	/* over [80, 82), onto [100, 105) */
	CHECK_EQ(put_rel(&rb, seq + 72, 0, 28), 33);
	CHECK_EQ(rb.n_ooo, 0);
	CHECK_EQ(mos_rcvbuf_read(&rb, out, sizeof(out)), 105);
	CHECK(is_stream(out, seq, 105));
	CHECK_EQ(rb.ooo_full, 3);
	CHECK_EQ(rb.dup_bytes, 2 + 21 + 2);
}

/* The SACK blocks must be exactly these [start, end) offsets from seq0, in this order. */
static int sack_is(const struct mos_rcvbuf *rb, uint32_t seq0, int n, const uint32_t (*want)[2])
{
	struct mos_seq_range got[MOS_RCV_OOO_MAX];

	if (mos_rcvbuf_sack(rb, got, MOS_RCV_OOO_MAX) != n)
		return 0;
	for (int i = 0; i < n; i++)
		if (got[i].start != seq0 + want[i][0] || got[i].end != seq0 + want[i][1])
			return 0;
	return 1;
}

TEST(rcvbuf_sack_most_recent_first)
{
	uint8_t mem[256];
	struct mos_rcvbuf rb;
	struct mos_seq_range got[MOS_RCV_OOO_MAX];
	uint32_t s = 0xfffffff0;

	mos_rcvbuf_init(&rb, mem, sizeof(mem), s);
	put_rel(&rb, s, 10, 2);	/* A */
	put_rel(&rb, s, 30, 2);	/* B */
	put_rel(&rb, s, 50, 2);	/* C */
	CHECK(sack_is(&rb, s, 3, (const uint32_t[][2]){ { 50, 52 }, { 30, 32 }, { 10, 12 } }));
	put_rel(&rb, s, 32, 2);	/* B grows */
	CHECK(sack_is(&rb, s, 3, (const uint32_t[][2]){ { 30, 34 }, { 50, 52 }, { 10, 12 } }));
	put_rel(&rb, s, 10, 1);	/* A again: all duplicate */
	CHECK_EQ(rb.dup_bytes, 1);
	CHECK(sack_is(&rb, s, 3, (const uint32_t[][2]){ { 10, 12 }, { 30, 34 }, { 50, 52 } }));
	put_rel(&rb, s, 70, 2);	/* D */
	put_rel(&rb, s, 34, 16);	/* B and C join */
	CHECK(sack_is(&rb, s, 3, (const uint32_t[][2]){ { 30, 52 }, { 70, 72 }, { 10, 12 } }));
	CHECK_EQ(mos_rcvbuf_sack(&rb, got, 2), 2);	/* only as many as asked */
	CHECK_EQ(got[1].start, s + 70);
	CHECK_EQ(mos_rcvbuf_sack(&rb, got, 0), 0);
	CHECK_EQ(put_rel(&rb, s, 0, 10), 12);	/* in order, absorbs A: no reorder */
	CHECK(sack_is(&rb, s, 2, (const uint32_t[][2]){ { 30, 52 }, { 70, 72 } }));
	put_rel(&rb, s, 100, 3);	/* E, last in sequence */
	put_rel(&rb, s, 90, 3);	/* F, before E: indexes shift */
	put_rel(&rb, s, 20, 3);	/* G, before all */
	CHECK(sack_is(&rb, s, 5, (const uint32_t[][2]){ { 20, 23 }, { 90, 93 }, { 100, 103 },
							 { 30, 52 }, { 70, 72 } }));
	CHECK_EQ(put_rel(&rb, s, 12, 18), 40);	/* absorbs G and B-C */
	CHECK(sack_is(&rb, s, 3, (const uint32_t[][2]){ { 90, 93 }, { 100, 103 }, { 70, 72 } }));
	put_rel(&rb, s, 72, 1);	/* D grows */
	CHECK(sack_is(&rb, s, 3, (const uint32_t[][2]){ { 70, 73 }, { 90, 93 }, { 100, 103 } }));
	CHECK_EQ(rb.ooo_full, 0);
}

/* --- receive buffer against a model --- */

#define SPAN (1u << 16)		/* model positions are stream offsets mod SPAN */
#define MAX_RUNS 512

struct model {
	uint32_t seq0;	/* sequence number of stream offset 0 */
	uint32_t size;
	int64_t nxt, rd;	/* stream offsets: in order up to nxt, read up to rd */
	uint64_t dup, beyond, full, stored;
	uint32_t clock;	/* puts so far: when a byte was last offered */
	uint8_t held[SPAN];	/* 1 once the byte is stored, 0 again once read */
	uint8_t data[SPAN];
	uint32_t stamp[SPAN];	/* clock of the last put that covered the byte */
	int n_runs;
	int64_t run[MAX_RUNS][2];
	uint32_t run_stamp[MAX_RUNS];
};

static struct model m;

static int held_beyond(const struct model *md, int64_t p)
{
	return p > md->nxt && p < md->rd + md->size && md->held[p & (SPAN - 1)];
}

/* The runs of held bytes beyond nxt, each with the newest stamp among its bytes. */
static void model_runs(struct model *md)
{
	int64_t end = md->rd + md->size;

	md->n_runs = 0;
	for (int64_t p = md->nxt + 1; p < end; p++) {
		uint32_t st = md->stamp[p & (SPAN - 1)];

		if (!md->held[p & (SPAN - 1)])
			continue;
		if (md->n_runs > 0 && md->run[md->n_runs - 1][1] == p) {
			md->run[md->n_runs - 1][1] = p + 1;
			if (st > md->run_stamp[md->n_runs - 1])
				md->run_stamp[md->n_runs - 1] = st;
			continue;
		}
		md->run[md->n_runs][0] = p;
		md->run[md->n_runs][1] = p + 1;
		md->run_stamp[md->n_runs++] = st;
	}
}

/* What mos_rcvbuf_put must do with n bytes b at stream offset o, done to the model. */
static int model_put(struct model *md, int64_t o, uint32_t n, const uint8_t *b)
{
	int64_t wend = md->rd + md->size, old = md->nxt;
	int64_t s = o > md->nxt ? o : md->nxt;
	int64_t e = o + n < wend ? o + n : wend;
	int touches = 0;

	if (n == 0)
		return 0;
	if (s < e && s > md->nxt) {
		for (int64_t p = s - 1; p <= e && !touches; p++)
			touches = held_beyond(md, p);
		model_runs(md);
		if (!touches && md->n_runs == MOS_RCV_OOO_MAX) {
			md->full++;
			return -ENOSPC;
		}
	}
	md->clock++;
	for (uint32_t i = 0; i < n; i++) {
		int64_t p = o + i;
		uint32_t at = (uint32_t)(p & (SPAN - 1));

		if (p < md->nxt || (p < wend && md->held[at])) {
			md->dup++;
		} else if (p >= wend) {
			md->beyond++;
		} else {
			md->held[at] = 1;
			md->data[at] = b[i];
			md->stored++;
		}
		if (p >= md->nxt && p < wend)
			md->stamp[at] = md->clock;
	}
	while (md->nxt < wend && md->held[md->nxt & (SPAN - 1)])
		md->nxt++;
	return (int)(md->nxt - old);
}

/* The buffer's state, ranges and SACK order equal the model's. */
static int model_agrees(const struct mos_rcvbuf *rb, struct model *md)
{
	struct mos_seq_range sack[MOS_RCV_OOO_MAX];
	uint32_t last = UINT32_MAX;

	if (rb->nxt != md->seq0 + (uint32_t)md->nxt || rb->len != md->nxt - md->rd ||
	    rb->dup_bytes != md->dup || rb->beyond_bytes != md->beyond ||
	    rb->ooo_full != md->full)
		return 0;
	model_runs(md);
	if (rb->n_ooo != md->n_runs || mos_rcvbuf_sack(rb, sack, MOS_RCV_OOO_MAX) != md->n_runs)
		return 0;
	for (int i = 0; i < md->n_runs; i++)
		if (rb->ooo[i].start != md->seq0 + (uint32_t)md->run[i][0] ||
		    rb->ooo[i].end != md->seq0 + (uint32_t)md->run[i][1])
			return 0;
	/* each SACK block is a run, newer than the next */
	for (int i = 0; i < md->n_runs; i++) {
		int k = 0;

		while (k < md->n_runs && md->seq0 + (uint32_t)md->run[k][0] != sack[i].start)
			k++;
		if (k == md->n_runs || md->seq0 + (uint32_t)md->run[k][1] != sack[i].end ||
		    md->run_stamp[k] >= last)
			return 0;
		last = md->run_stamp[k];
	}
	return 1;
}

/* Read up to n bytes from both; they must be the model's bytes exactly. */
static int model_read(struct mos_rcvbuf *rb, struct model *md, uint32_t n)
{
	uint8_t out[1024];
	uint32_t want = (uint32_t)(md->nxt - md->rd), got;

	if (n > want)
		n = want;
	got = mos_rcvbuf_read(rb, out, n > sizeof(out) ? (uint32_t)sizeof(out) : n);
	if (got != (n > sizeof(out) ? sizeof(out) : n))
		return 0;
	for (uint32_t i = 0; i < got; i++) {
		uint32_t at = (uint32_t)((md->rd + i) & (SPAN - 1));

		if (out[i] != md->data[at])
			return 0;
		md->held[at] = 0;
	}
	md->rd += got;
	return 1;
}

/* Where the next random segment starts, as a stream offset. */
static int64_t pick_offset(const struct model *md)
{
	switch (rng_below(8)) {
	case 0:	/* at nxt, or a little before: old bytes then new */
		return md->nxt - rng_below(64);
	case 2:	/* around the window's edge */
		return md->rd + md->size - rng_below(96);
	default:	/* anywhere in the window, a little past it */
		return md->nxt + 1 + rng_below(md->size + 32);
	}
}

struct random_stats {
	uint64_t puts, enospc, ooo_puts, advanced, reads, full_ranges;
	uint64_t offered, dropped;	/* bytes given to put; in -ENOSPC segments */
};

static void random_run(uint32_t size, uint32_t seq0, uint64_t seed, int segments,
		       uint32_t max_len, struct random_stats *st)
{
	static uint8_t mem[4096];
	struct mos_rcvbuf rb;
	uint8_t seg[160];

	REQUIRE(size <= sizeof(mem) && size + 200 < SPAN && max_len <= sizeof(seg));
	memset(&m, 0, sizeof(m));
	memset(st, 0, sizeof(*st));
	m.seq0 = seq0;
	m.size = size;
	check_rng_state = seed;
	mos_rcvbuf_init(&rb, mem, size, seq0);
	for (int it = 0; it < segments;) {
		int64_t o;
		uint32_t n;
		int want, got;

		if (rng_below(4) == 0) {
			st->reads++;
			if (!model_read(&rb, &m, rng_below(size + size / 2))) {
				CHECK_FAIL_("read %d differs from the model", it);
				return;
			}
			continue;
		}
		o = pick_offset(&m);
		/* short ones scatter into many ranges, long ones join them */
		n = rng_below(2) ? rng_below(max_len / 8 + 2) : rng_below(max_len + 1);
		for (uint32_t i = 0; i < n; i++)
			seg[i] = (uint8_t)check_rand();	/* fresh bytes: retransmissions differ */
		want = model_put(&m, o, n, seg);
		got = mos_rcvbuf_put(&rb, seq0 + (uint32_t)o, seg, n);
		if (got != want || !model_agrees(&rb, &m)) {
			CHECK_FAIL_("segment %d (offset %" PRId64 ", %u bytes): put %d, model %d",
				    it, o, n, got, want);
			return;
		}
		it++;
		st->puts++;
		st->offered += n;
		st->enospc += got == -ENOSPC;
		st->dropped += got == -ENOSPC ? n : 0;
		st->ooo_puts += got == 0 && rb.n_ooo > 0;
		st->advanced += got > 0 ? (uint64_t)got : 0;
		st->full_ranges += rb.n_ooo == MOS_RCV_OOO_MAX;
	}
	/* every byte offered was stored, old, beyond or in a dropped segment */
	CHECK_EQ(st->offered, m.stored + rb.dup_bytes + rb.beyond_bytes + st->dropped);
	CHECK_EQ(st->advanced, m.nxt);
	CHECK_EQ(rb.ooo_full, st->enospc);
	/* drain: what is left in order reads out right */
	CHECK(model_read(&rb, &m, UINT32_MAX));
	CHECK_EQ(rb.len, 0);
}

TEST(rcvbuf_matches_model_100k_random_segments)
{
	struct random_stats st;

	random_run(1000, 0xfffff000, 0x5eed, 100000, 160, &st);
	printf("     %" PRIu64 " puts: %" PRIu64 " -ENOSPC, %" PRIu64 " at 8 ranges, %" PRIu64
	       " bytes in order (%" PRIu64 " wraps of the ring), %" PRIu64 " reads\n",
	       st.puts, st.enospc, st.full_ranges, st.advanced, st.advanced / 1000, st.reads);
	/* the run went through every path it is meant to */
	CHECK(st.enospc > 1000);
	CHECK(st.full_ranges > 1000);
	CHECK(st.ooo_puts > 10000);
	CHECK(st.advanced > 0x1000 + 100 * 1000);	/* past 2^32, round the ring 100 times */
	CHECK(m.dup > 100000 && m.beyond > 100000);
}

TEST(rcvbuf_matches_model_small_ring)
{
	struct random_stats st;

	/* the window's edge and the ring's end are hit all the time */
	random_run(61, 0xffffffc0, 42, 40000, 12, &st);
	printf("     %" PRIu64 " puts: %" PRIu64 " -ENOSPC, %" PRIu64 " at 8 ranges, %" PRIu64
	       " bytes in order, %" PRIu64 " reads\n",
	       st.puts, st.enospc, st.full_ranges, st.advanced, st.reads);
	CHECK(st.advanced > 61 * 100);
	CHECK(st.enospc > 0);
}

static const struct check_case cases[] = {
	CASE(sndbuf_write_peek_ack),
	CASE(sndbuf_ack_outside_changes_nothing),
	CASE(sndbuf_wraps_ring_and_sequence_space),
	CASE(rcvbuf_in_order_and_read),
	CASE(rcvbuf_out_of_order_then_hole_filled),
	CASE(rcvbuf_holes_filled_in_every_order),
	CASE(rcvbuf_held_bytes_win_over_retransmissions),
	CASE(rcvbuf_counts_old_and_beyond_bytes),
	CASE(rcvbuf_keeps_at_most_8_ranges),
	CASE(rcvbuf_sack_most_recent_first),
	CASE(rcvbuf_matches_model_100k_random_segments),
	CASE(rcvbuf_matches_model_small_ring),
};

CHECK_MAIN(cases)
