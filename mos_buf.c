/*
 * mos_buf.c - a TCP stream's send and receive buffers (see mos_buf.h):
 * data_step -> mos_rcvbuf_put, mtcp_read -> mos_tcp_recv -> mos_rcvbuf_read;
 * mtcp_write -> mos_tcp_send -> mos_sndbuf_write, send_segment ->
 * mos_sndbuf_peek, new_ack -> mos_sndbuf_ack.
 *
 * Both rings place a sequence number at a fixed ring offset for as long as
 * the byte is held: in the send buffer una sits at head; in the receive
 * buffer nxt - len sits at head, so sequence s lives at
 * head + len + (s - nxt), in order or not.
 *
 * Inside mos_rcvbuf_put positions are offsets from nxt ("rel"): the
 * window is [0, size - len) and every out-of-order range lies in
 * [1, size - len], so plain unsigned arithmetic orders them.
 */
#include "mos_buf.h"

#include <errno.h>
#include <string.h>

/* (off + d) mod size, for off < size (or 0) and d <= size, without overflow */
static uint32_t ring_add(uint32_t size, uint32_t off, uint32_t d)
{
	return d >= size - off ? d - (size - off) : off + d;
}

static void ring_copy_in(uint8_t *ring, uint32_t size, uint32_t off,
			 const uint8_t *src, uint32_t n)
{
	uint32_t first = size - off < n ? size - off : n;

	memcpy(ring + off, src, first);
	memcpy(ring, src + first, n - first);
}

static void ring_copy_out(const uint8_t *ring, uint32_t size, uint32_t off,
			  uint8_t *dst, uint32_t n)
{
	uint32_t first = size - off < n ? size - off : n;

	memcpy(dst, ring + off, first);
	memcpy(dst + first, ring, n - first);
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

/* --- send buffer --- */

void mos_sndbuf_init(struct mos_sndbuf *sb, void *mem, uint32_t size, uint32_t una)
{
	sb->data = mem;
	sb->size = size;
	sb->head = 0;
	sb->una = una;
	sb->len = 0;
}

uint32_t mos_sndbuf_write(struct mos_sndbuf *sb, const void *src, uint32_t n)
{
	uint32_t k = min_u32(n, mos_sndbuf_space(sb));

	if (k == 0)
		return 0;
	ring_copy_in(sb->data, sb->size, ring_add(sb->size, sb->head, sb->len), src, k);
	sb->len += k;
	return k;
}

uint32_t mos_sndbuf_peek(const struct mos_sndbuf *sb, uint32_t seq, void *dst, uint32_t n)
{
	uint32_t off = seq - sb->una;	/* huge when seq is before una */
	uint32_t k;

	if (off > sb->len)
		return 0;
	k = min_u32(n, sb->len - off);
	if (k == 0)
		return 0;
	ring_copy_out(sb->data, sb->size, ring_add(sb->size, sb->head, off), dst, k);
	return k;
}

uint32_t mos_sndbuf_ack(struct mos_sndbuf *sb, uint32_t ack)
{
	uint32_t d = ack - sb->una;

	/* an old or duplicate ack (d == 0, or d wrapped huge) or one for unsent data */
	if (d == 0 || d > sb->len)
		return 0;
	sb->head = ring_add(sb->size, sb->head, d);
	sb->una = ack;
	sb->len -= d;
	return d;
}

/* --- receive buffer: the recency list of the out-of-order ranges --- */

/* Drop the ranges [lo, lo + cnt) from ooo_recent and renumber the ones after them. */
static void recent_drop(struct mos_rcvbuf *rb, uint8_t lo, uint8_t cnt)
{
	uint8_t w = 0;

	for (uint8_t r = 0; r < rb->n_ooo; r++) {
		uint8_t idx = rb->ooo_recent[r];

		if (idx >= lo && idx < lo + cnt)
			continue;
		rb->ooo_recent[w++] = idx >= lo + cnt ? idx - cnt : idx;
	}
}

/* Make range idx, already listed, the most recent. */
static void recent_front(struct mos_rcvbuf *rb, uint8_t idx)
{
	uint8_t r = 0;

	while (rb->ooo_recent[r] != idx)
		r++;
	memmove(rb->ooo_recent + 1, rb->ooo_recent, r);
	rb->ooo_recent[0] = idx;
}

/* A range was inserted at idx (n_ooo already counts it): renumber, list it first. */
static void recent_insert(struct mos_rcvbuf *rb, uint8_t idx)
{
	uint8_t old = rb->n_ooo - 1;

	for (uint8_t r = 0; r < old; r++)
		if (rb->ooo_recent[r] >= idx)
			rb->ooo_recent[r]++;
	memmove(rb->ooo_recent + 1, rb->ooo_recent, old);
	rb->ooo_recent[0] = idx;
}

/* Remove ranges [lo, lo + cnt) from both lists. */
static void ranges_remove(struct mos_rcvbuf *rb, uint8_t lo, uint8_t cnt)
{
	if (cnt == 0)
		return;
	recent_drop(rb, lo, cnt);
	memmove(rb->ooo + lo, rb->ooo + lo + cnt,
		(size_t)(rb->n_ooo - lo - cnt) * sizeof(rb->ooo[0]));
	rb->n_ooo -= cnt;
}

/* --- receive buffer --- */

void mos_rcvbuf_init(struct mos_rcvbuf *rb, void *mem, uint32_t size, uint32_t nxt)
{
	memset(rb, 0, sizeof(*rb));
	rb->data = mem;
	rb->size = size;
	rb->nxt = nxt;
}

static uint32_t rel_start(const struct mos_rcvbuf *rb, uint8_t i)
{
	return rb->ooo[i].start - rb->nxt;
}

static uint32_t rel_end(const struct mos_rcvbuf *rb, uint8_t i)
{
	return rb->ooo[i].end - rb->nxt;
}

/*
 * The ranges that overlap or touch [r, e): [*first, *last). Sorted and
 * not touching each other, they are one run.
 */
static void find_touching(const struct mos_rcvbuf *rb, uint32_t r, uint32_t e,
			  uint8_t *first, uint8_t *last)
{
	uint8_t i = 0, j;

	while (i < rb->n_ooo && rel_end(rb, i) < r)
		i++;
	j = i;
	while (j < rb->n_ooo && rel_start(rb, j) <= e)
		j++;
	*first = i;
	*last = j;
}

/* Write the bytes of [r, e) at the ring offset of rel r; p is the data for r. */
static void store(struct mos_rcvbuf *rb, uint32_t r, uint32_t e, const uint8_t *p)
{
	uint32_t off = ring_add(rb->size, rb->head, rb->len + r);

	if (e > r)
		ring_copy_in(rb->data, rb->size, off, p, e - r);
}

/*
 * Store the bytes of [r, e) that ranges [i, j) do not hold: held bytes win.
 * Returns how many were already held.
 */
static uint32_t fill_gaps(struct mos_rcvbuf *rb, uint8_t i, uint8_t j,
			  uint32_t r, uint32_t e, const uint8_t *p)
{
	uint32_t c = r, held = 0;

	for (uint8_t k = i; k < j; k++) {
		uint32_t s = rel_start(rb, k), t = rel_end(rb, k);

		if (s > c)
			store(rb, c, min_u32(s, e), p + (c - r));
		if (t > c && s < e)
			held += min_u32(t, e) - max_u32(s, c);
		c = max_u32(c, t);
	}
	if (c < e)
		store(rb, c, e, p + (c - r));
	return held;
}

/*
 * [0, e) is now held, merging ranges [0, j): nxt moves to the end of it all.
 * Ranges never touch, so nothing after j can start at the new nxt.
 */
static uint32_t advance(struct mos_rcvbuf *rb, uint8_t j, uint32_t e)
{
	uint32_t d = j > 0 ? max_u32(e, rel_end(rb, j - 1)) : e;

	ranges_remove(rb, 0, j);
	rb->nxt += d;
	rb->len += d;
	return d;
}

/* [r, e), r > 0, is now held, merging ranges [i, j): one range, the most recent. */
static void merge(struct mos_rcvbuf *rb, uint8_t i, uint8_t j, uint32_t r, uint32_t e)
{
	if (i == j) {
		memmove(rb->ooo + i + 1, rb->ooo + i, (size_t)(rb->n_ooo - i) * sizeof(rb->ooo[0]));
		rb->ooo[i].start = rb->nxt + r;
		rb->ooo[i].end = rb->nxt + e;
		rb->n_ooo++;
		recent_insert(rb, i);
		return;
	}
	rb->ooo[i].start = rb->nxt + min_u32(r, rel_start(rb, i));
	rb->ooo[i].end = rb->nxt + max_u32(e, rel_end(rb, j - 1));
	ranges_remove(rb, i + 1, j - i - 1);
	recent_front(rb, i);
}

int mos_rcvbuf_put(struct mos_rcvbuf *rb, uint32_t seq, const void *src, uint32_t n)
{
	const uint8_t *p = src;
	uint32_t wnd = mos_rcvbuf_window(rb);
	uint32_t r, e, old = 0, over = 0, held;
	uint8_t i, j;

	if (n == 0)
		return 0;
	/* the part before nxt is old */
	if (MOS_SEQ_LT(seq, rb->nxt)) {
		old = rb->nxt - seq;
		if (old >= n) {
			rb->dup_bytes += n;
			return 0;
		}
		p += old;
		n -= old;
		seq = rb->nxt;
	}
	/* the part at or past nxt + window is not offered */
	r = seq - rb->nxt;
	if (r >= wnd) {
		rb->dup_bytes += old;
		rb->beyond_bytes += n;
		return 0;
	}
	if (n > wnd - r) {
		over = n - (wnd - r);
		n = wnd - r;
	}
	e = r + n;

	find_touching(rb, r, e, &i, &j);
	if (r > 0 && i == j && rb->n_ooo == MOS_RCV_OOO_MAX) {
		rb->ooo_full++;		/* nothing stored, nothing else counted */
		return -ENOSPC;
	}
	held = fill_gaps(rb, i, j, r, e, p);
	rb->dup_bytes += old + held;
	rb->beyond_bytes += over;
	if (r == 0)
		return (int)advance(rb, j, e);
	merge(rb, i, j, r, e);
	return 0;
}

uint32_t mos_rcvbuf_read(struct mos_rcvbuf *rb, void *dst, uint32_t n)
{
	uint32_t k = min_u32(n, rb->len);

	if (k == 0)
		return 0;
	ring_copy_out(rb->data, rb->size, rb->head, dst, k);
	rb->head = ring_add(rb->size, rb->head, k);
	rb->len -= k;
	return k;
}

int mos_rcvbuf_sack(const struct mos_rcvbuf *rb, struct mos_seq_range *out, int max)
{
	int k;

	for (k = 0; k < max && k < rb->n_ooo; k++)
		out[k] = rb->ooo[rb->ooo_recent[k]];
	return k;
}
