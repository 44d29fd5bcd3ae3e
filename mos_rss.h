/*
 * mos_rss.h - Toeplitz RSS hashing, redirection tables (RETA) and the
 * per-core pools of TCP source (address, port) pairs that make every reply
 * land on the core that owns the flow.
 *
 * Conventions: addresses and ports are in network byte order, exactly as
 * they sit in struct sockaddr_in and in the packet, because the Toeplitz
 * input is the packet's bytes. Hashes are host-order uint32_t, as NICs
 * report them (the MSB of the hash is the first result bit).
 *
 * Threading: a mos_rss_key and a mos_rss_reta are read-only after init and
 * may be shared by all cores; a mos_rss_pool belongs to one core.
 */
#ifndef EPWGET_MOS_RSS_H
#define EPWGET_MOS_RSS_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define MOS_RSS_KEY_MAX     52	/* bytes; 40 (ixgbe and most NICs) or 52 (i40e, ice) */
#define MOS_RSS_V4_TCP_LEN  12	/* src addr, dst addr, src port, dst port */
#define MOS_RETA_MAX        2048
#define MOS_RETA_DEFAULT    128	/* ixgbe's table size */
#define MOS_RSS_PORT_FIRST  1025	/* mTCP's source port range: the default, and */
#define MOS_RSS_PORT_LAST   65535	/* the widest a pool may take */
#define MOS_RSS_POOL_ADDR_MAX 65536	/* source addresses per pool (16-bit index in the ring) */

/*
 * A key with its lookup table: lut[i][b] is the hash contribution of input
 * byte i having value b, so hashing the 12-byte IPv4/TCP tuple costs twelve
 * loads and XORs instead of 96 bit steps.
 */
struct mos_rss_key {
	uint8_t key[MOS_RSS_KEY_MAX];
	uint8_t len;
	uint32_t lut[MOS_RSS_V4_TCP_LEN][256];
};

/* Redirection table: queue = queue[hash & (size - 1)]. */
struct mos_rss_reta {
	uint16_t size;		/* power of two, 64..MOS_RETA_MAX */
	uint16_t nqueues;	/* every entry is below this */
	uint16_t queue[MOS_RETA_MAX];
};

/*
 * One core's source pairs: every (saddr, sport) in it makes the reply
 * daddr:dport -> saddr:sport hash to this core's queue. Pairs leave from
 * the head and come back at the tail (FIFO), so a pair that just left
 * TIME_WAIT is the last to be used again.
 */
struct mos_rss_pool {
	in_addr_t saddr_base;	/* network order */
	uint32_t num_addr;
	in_addr_t daddr;	/* network order */
	in_port_t dport;	/* network order */
	uint16_t queue;
	uint32_t capacity;	/* pairs that hash to queue */
	uint32_t head;		/* next to hand out */
	uint32_t count;		/* pairs free now */
	uint32_t *ring;		/* capacity entries: addr index << 16 | port (host order) */
	uint64_t *free_map;	/* bit per (addr index, port): pair is in the ring */
	uint64_t *own_map;	/* private: bit per (addr index, port): pair is this pool's */
	/* counters, read by the statistics */
	uint64_t empty;		/* gets that found the pool empty */
	uint64_t bad_put;	/* puts of a pair not ours or already free */
};

/*
 * Built-in keys, MOS_RSS_KEY_MAX bytes each (use the first 40 for a 40-byte
 * key). Bytes 40..51 of the Microsoft key repeat its bytes 0..11 (our own
 * extension; the specification's key has 40 bytes). An IPv4/TCP hash reads
 * only bytes 0..15 of any key.
 */
extern const uint8_t mos_rss_key_symmetric[MOS_RSS_KEY_MAX];
extern const uint8_t mos_rss_key_microsoft[MOS_RSS_KEY_MAX];
extern const uint8_t mos_rss_key_mtcp[MOS_RSS_KEY_MAX];

/*
 * The reference Toeplitz hash, bit by bit, over in_len bytes; key_len must
 * be at least in_len + 4 (asserted; a build with NDEBUG returns 0 instead).
 * Slow: for tests, for building tables and for inputs of other shapes.
 */
uint32_t mos_rss_toeplitz(const uint8_t *key, size_t key_len, const uint8_t *in, size_t in_len);

/* Load a key of 40 or 52 bytes and build its table. 0 or -EINVAL. */
int mos_rss_key_init(struct mos_rss_key *k, const uint8_t *key, size_t len);

/* The IPv4 2-tuple and 4-tuple hashes of a packet src -> dst, as its receiver computes them. */
uint32_t mos_rss_hash_v4(const struct mos_rss_key *k, in_addr_t src, in_addr_t dst);
uint32_t mos_rss_hash_v4_tcp(const struct mos_rss_key *k, in_addr_t src, in_addr_t dst,
			     in_port_t sport, in_port_t dport);

/*
 * The default table of `size` entries, entry i = i % nqueues (ixgbe). size is
 * a power of two in 64..MOS_RETA_MAX, nqueues 1..MOS_RETA_MAX. 0 or -EINVAL.
 */
int mos_rss_reta_default(struct mos_rss_reta *r, unsigned size, unsigned nqueues);

/*
 * A table read from a device; size and nqueues as above, every entry must be
 * below nqueues. 0, or -EINVAL with *r unchanged.
 */
int mos_rss_reta_set(struct mos_rss_reta *r, const uint16_t *entries, unsigned size,
		     unsigned nqueues);

static inline uint16_t mos_rss_reta_queue(const struct mos_rss_reta *r, uint32_t hash)
{
	return r->queue[hash & (uint32_t)(r->size - 1)];
}

/*
 * How many source pairs of saddr_base .. saddr_base + num_addr - 1 times
 * ports port_first..port_last (host order) send their reply from
 * daddr:dport to queue (0 when the queue has no entry in the table);
 * -EINVAL on bad arguments (num_addr 0 or above MOS_RSS_POOL_ADDR_MAX, a
 * range past 255.255.255.255, queue >= r->nqueues, port_first below
 * MOS_RSS_PORT_FIRST or above port_last).
 */
long mos_rss_pool_count(const struct mos_rss_key *k, const struct mos_rss_reta *r, uint16_t queue,
			in_addr_t saddr_base, uint32_t num_addr, uint16_t port_first,
			uint16_t port_last, in_addr_t daddr, in_port_t dport);

/*
 * Bytes of memory mos_rss_pool_build needs for capacity pairs over num_addr
 * addresses: two bitmaps of 8 KiB per address, then 4 bytes per pair.
 */
size_t mos_rss_pool_mem_size(uint32_t capacity, uint32_t num_addr);

/*
 * Build the pool in mem (memlen bytes, 8-byte aligned, from
 * mos_rss_pool_mem_size of mos_rss_pool_count). Returns the number of pairs,
 * or -EINVAL (bad arguments, mem NULL or misaligned), -ENOSPC (memlen too
 * small), -ENOENT (no pair hashes to queue); *p is left as it was on error.
 * The ring starts in ascending (port, address) order: the addresses take
 * turns. The pool keeps no
 * pointer to k or r.
 */
long mos_rss_pool_build(struct mos_rss_pool *p, void *mem, size_t memlen,
			const struct mos_rss_key *k, const struct mos_rss_reta *r, uint16_t queue,
			in_addr_t saddr_base, uint32_t num_addr, uint16_t port_first,
			uint16_t port_last, in_addr_t daddr, in_port_t dport);

/* Take the pair at the head. 0, or -EAGAIN (pool empty; counted in p->empty). */
int mos_rss_pool_get(struct mos_rss_pool *p, in_addr_t *saddr, in_port_t *sport);

/*
 * Give a pair back at the tail. 0, or -EINVAL when it is not one of this
 * pool's pairs or is already free (counted in p->bad_put; the pool is unchanged).
 */
int mos_rss_pool_put(struct mos_rss_pool *p, in_addr_t saddr, in_port_t sport);

#endif
