/*
 * mos_buf.h - a TCP stream's send and receive buffers.
 *
 * Both are byte rings over one object of the core's sndbuf / rcvbuf pool,
 * addressed by TCP sequence number (mod 2^32 arithmetic throughout).
 *
 * The send buffer holds what the application wrote and the peer has not
 * acknowledged: [una, una + len). Output reads any part of it for
 * (re)transmission; an ACK drops its front.
 *
 * The receive buffer holds in-order bytes the application has not read,
 * [nxt - len, nxt), and, beyond nxt, out-of-order bytes already in place,
 * remembered as at most MOS_RCV_OOO_MAX sequence ranges. A segment that
 * fills the hole before them advances nxt over everything now contiguous.
 * Bytes already held win over a retransmission that overlaps them.
 *
 * Threading: a buffer belongs to its stream's core.
 */
#ifndef EPWGET_MOS_BUF_H
#define EPWGET_MOS_BUF_H

#include <stdint.h>

#define MOS_RCV_OOO_MAX 8	/* out-of-order ranges kept; a segment needing a 9th is dropped */

/* a - b as a signed distance in sequence space */
static inline int32_t mos_seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}
#define MOS_SEQ_LT(a, b)  (mos_seq_diff(a, b) < 0)
#define MOS_SEQ_LEQ(a, b) (mos_seq_diff(a, b) <= 0)
#define MOS_SEQ_GT(a, b)  (mos_seq_diff(a, b) > 0)
#define MOS_SEQ_GEQ(a, b) (mos_seq_diff(a, b) >= 0)

struct mos_sndbuf {
	uint8_t *data;
	uint32_t size;
	uint32_t head;		/* ring offset of the byte at una */
	uint32_t una;		/* sequence number of the first byte held */
	uint32_t len;		/* bytes held */
};

struct mos_seq_range {
	uint32_t start;		/* first sequence number */
	uint32_t end;		/* one past the last */
};

struct mos_rcvbuf {
	uint8_t *data;
	uint32_t size;
	uint32_t head;		/* ring offset of the first unread byte */
	uint32_t len;		/* in-order bytes not yet read */
	uint32_t nxt;		/* sequence number after the in-order bytes (RCV.NXT) */
	uint8_t n_ooo;
	struct mos_seq_range ooo[MOS_RCV_OOO_MAX];	/* sorted, disjoint, not touching, all beyond nxt */
	uint8_t ooo_recent[MOS_RCV_OOO_MAX];	/* indexes into ooo, most recently changed first (SACK) */
	/* counters */
	uint64_t dup_bytes;	/* bytes that were already held */
	uint64_t beyond_bytes;	/* bytes beyond the space offered, dropped */
	uint64_t ooo_full;	/* segments dropped: no range left */
};

/*
 * Set up a send buffer over mem (size bytes, below 2^31 so that sequence
 * comparisons hold across it) whose first byte will be sequence una.
 */
void mos_sndbuf_init(struct mos_sndbuf *sb, void *mem, uint32_t size, uint32_t una);

static inline uint32_t mos_sndbuf_space(const struct mos_sndbuf *sb)
{
	return sb->size - sb->len;
}

/* The sequence number after the last byte held (where the next write goes). */
static inline uint32_t mos_sndbuf_end(const struct mos_sndbuf *sb)
{
	return sb->una + sb->len;
}

/* Append up to n bytes; returns how many fit. */
uint32_t mos_sndbuf_write(struct mos_sndbuf *sb, const void *src, uint32_t n);

/*
 * Copy up to n bytes starting at sequence seq into dst; seq must lie in
 * [una, una + len]. Returns the number copied (less at the end of the data,
 * 0 for a seq outside).
 */
uint32_t mos_sndbuf_peek(const struct mos_sndbuf *sb, uint32_t seq, void *dst, uint32_t n);

/*
 * The peer acknowledged everything before ack: drop it. An ack outside
 * (una, una + len] changes nothing. Returns the bytes freed.
 */
uint32_t mos_sndbuf_ack(struct mos_sndbuf *sb, uint32_t ack);

/*
 * Set up a receive buffer over mem (size bytes, below 2^31: put returns
 * the advance as an int); nxt is the first sequence number expected.
 */
void mos_rcvbuf_init(struct mos_rcvbuf *rb, void *mem, uint32_t size, uint32_t nxt);

/* The window to advertise: space not taken by unread in-order bytes. */
static inline uint32_t mos_rcvbuf_window(const struct mos_rcvbuf *rb)
{
	return rb->size - rb->len;
}

/*
 * Store the n bytes of a segment starting at seq. Bytes before nxt or
 * already held are skipped (counted in dup_bytes), bytes at or past
 * nxt + window are dropped (beyond_bytes). Returns how far nxt advanced
 * (0 when the data went out of order or was all old), or -ENOSPC when the
 * segment would need a new out-of-order range and none is left (nothing
 * stored; only ooo_full counted). A segment that extends or joins existing
 * ranges is always taken.
 */
int mos_rcvbuf_put(struct mos_rcvbuf *rb, uint32_t seq, const void *src, uint32_t n);

/* Copy up to n unread in-order bytes out; returns the number copied. */
uint32_t mos_rcvbuf_read(struct mos_rcvbuf *rb, void *dst, uint32_t n);

/*
 * Up to max SACK blocks for the out-of-order ranges, the most recently
 * changed first (RFC 2018 section 4): the range that holds the latest
 * out-of-order segment leads, even when that segment was all duplicate.
 * Returns the number written.
 */
int mos_rcvbuf_sack(const struct mos_rcvbuf *rb, struct mos_seq_range *out, int max);

#endif
