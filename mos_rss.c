/*
 * mos_rss.c - Toeplitz RSS hashing, redirection tables and the per-core
 * pools of source (address, port) pairs.
 *
 * This module owns the three built-in keys, the reference (bitwise)
 * Toeplitz function and the byte tables derived from it, and the pools that
 * mTCP called its address pool. A pool keeps exactly the pairs whose REPLY
 * (server -> client, the packet our NIC receives and hashes) is steered to
 * the pool's queue, so every flow's packets come back to the core that
 * opened it.
 *
 * Pool memory, given by the caller and carved in this order:
 *   own_map   num_addr * 8 KiB, bit (addr index << 16 | port): pair is ours
 *   free_map  the same shape:  pair is in the ring now
 *   ring      capacity uint32_t entries (addr index << 16 | port)
 * The bitmaps make put() an O(1) check against foreign and double puts
 * without a pointer back to the key and the table; with nqueues pools they
 * cost 2 * nqueues bits per candidate pair, against 32 bits per pair for the
 * rings of all pools together.
 */
#include "mos_rss.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define MAP_BYTES_PER_ADDR (65536 / 8)	/* one bit per port number */

const uint8_t mos_rss_key_symmetric[MOS_RSS_KEY_MAX] = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a,
};

/* Bytes 0..39: the Microsoft RSS specification; 40..51: bytes 0..11 again. */
const uint8_t mos_rss_key_microsoft[MOS_RSS_KEY_MAX] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
	0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
	0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
	0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
	0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2,
	0x41, 0x67, 0x25, 0x3d,
};

const uint8_t mos_rss_key_mtcp[MOS_RSS_KEY_MAX] = {
	0x05, 0x05, 0x05, 0x05, 0x05, 0x05, 0x05, 0x05,
	0x05, 0x05, 0x05, 0x05, 0x05, 0x05, 0x05, 0x05,
	0x05, 0x05, 0x05, 0x05, 0x05, 0x05, 0x05, 0x05,
	0x05, 0x05, 0x05, 0x05, 0x05, 0x05, 0x05, 0x05,
	0x05, 0x05, 0x05, 0x05, 0x05, 0x05, 0x05, 0x05,
	0x05, 0x05, 0x05, 0x05, 0x05, 0x05, 0x05, 0x05,
	0x05, 0x05, 0x05, 0x05,
};

/* Bit `bit` of a byte string, counting from the MSB of byte 0. */
static unsigned bit_at(const uint8_t *s, size_t bit)
{
	return (s[bit / 8] >> (7 - bit % 8)) & 1u;
}

uint32_t mos_rss_toeplitz(const uint8_t *key, size_t key_len, const uint8_t *in, size_t in_len)
{
	uint32_t window = 0, hash = 0;

	assert(key_len >= in_len + 4);
	if (key_len < in_len + 4)
		return 0;
	for (size_t bit = 0; bit < 32; bit++)
		window = window << 1 | bit_at(key, bit);
	/* window = key bits [bit, bit + 32) while input bit `bit` is looked at */
	for (size_t bit = 0; bit < in_len * 8; bit++) {
		if (bit_at(in, bit))
			hash ^= window;
		window = window << 1 | bit_at(key, bit + 32);
	}
	return hash;
}

int mos_rss_key_init(struct mos_rss_key *k, const uint8_t *key, size_t len)
{
	uint8_t in[MOS_RSS_V4_TCP_LEN] = { 0 };

	if (k == NULL || key == NULL || (len != 40 && len != MOS_RSS_KEY_MAX))
		return -EINVAL;
	memset(k->key, 0, sizeof(k->key));
	memcpy(k->key, key, len);
	k->len = (uint8_t)len;
	/* The hash is linear over XOR: one byte's contribution is the hash of
	 * an input that is zero everywhere else. */
	for (size_t i = 0; i < MOS_RSS_V4_TCP_LEN; i++) {
		for (unsigned b = 0; b < 256; b++) {
			in[i] = (uint8_t)b;
			k->lut[i][b] = mos_rss_toeplitz(k->key, len, in, sizeof(in));
		}
		in[i] = 0;
	}
	return 0;
}

/* XOR of the table entries of the n bytes at v, placed at input offset off. */
static inline uint32_t mix(const struct mos_rss_key *k, size_t off, const void *v, size_t n)
{
	const uint8_t *b = v;
	uint32_t h = 0;

	for (size_t i = 0; i < n; i++)
		h ^= k->lut[off + i][b[i]];
	return h;
}

uint32_t mos_rss_hash_v4(const struct mos_rss_key *k, in_addr_t src, in_addr_t dst)
{
	return mix(k, 0, &src, 4) ^ mix(k, 4, &dst, 4);
}

uint32_t mos_rss_hash_v4_tcp(const struct mos_rss_key *k, in_addr_t src, in_addr_t dst,
			     in_port_t sport, in_port_t dport)
{
	return mos_rss_hash_v4(k, src, dst) ^ mix(k, 8, &sport, 2) ^ mix(k, 10, &dport, 2);
}

static bool reta_args_ok(unsigned size, unsigned nqueues)
{
	bool pow2 = (size & (size - 1)) == 0;

	return size >= 64 && size <= MOS_RETA_MAX && pow2 && nqueues >= 1 &&
	       nqueues <= MOS_RETA_MAX;
}

int mos_rss_reta_default(struct mos_rss_reta *r, unsigned size, unsigned nqueues)
{
	if (r == NULL || !reta_args_ok(size, nqueues))
		return -EINVAL;
	r->size = (uint16_t)size;
	r->nqueues = (uint16_t)nqueues;
	for (unsigned i = 0; i < size; i++)
		r->queue[i] = (uint16_t)(i % nqueues);
	return 0;
}

int mos_rss_reta_set(struct mos_rss_reta *r, const uint16_t *entries, unsigned size,
		     unsigned nqueues)
{
	if (r == NULL || entries == NULL || !reta_args_ok(size, nqueues))
		return -EINVAL;
	for (unsigned i = 0; i < size; i++)
		if (entries[i] >= nqueues)
			return -EINVAL;
	r->size = (uint16_t)size;
	r->nqueues = (uint16_t)nqueues;
	memcpy(r->queue, entries, size * sizeof(*entries));
	return 0;
}

/* What a pool is built from: the candidates and where their replies go. */
struct pool_spec {
	const struct mos_rss_key *k;
	const struct mos_rss_reta *r;
	uint16_t queue;
	uint32_t first;		/* first source address, host order */
	uint32_t num_addr;
	uint16_t port_first, port_last;	/* host order */
	in_addr_t daddr;
	in_port_t dport;
};

static int spec_init(struct pool_spec *s, const struct mos_rss_key *k,
		     const struct mos_rss_reta *r, uint16_t queue, in_addr_t saddr_base,
		     uint32_t num_addr, uint16_t port_first, uint16_t port_last, in_addr_t daddr,
		     in_port_t dport)
{
	uint64_t first = ntohl(saddr_base);

	if (k == NULL || r == NULL || queue >= r->nqueues)
		return -EINVAL;
	if (num_addr == 0 || num_addr > MOS_RSS_POOL_ADDR_MAX ||
	    first + num_addr - 1 > UINT32_MAX)
		return -EINVAL;
	if (port_first < MOS_RSS_PORT_FIRST || port_first > port_last)
		return -EINVAL;
	*s = (struct pool_spec){ .k = k, .r = r, .queue = queue, .first = (uint32_t)first,
				 .num_addr = num_addr, .port_first = port_first,
				 .port_last = port_last, .daddr = daddr, .dport = dport };
	return 0;
}

static inline void bit_set(uint64_t *map, uint32_t bit)
{
	map[bit / 64] |= 1ull << (bit % 64);
}

static inline void bit_clear(uint64_t *map, uint32_t bit)
{
	map[bit / 64] &= ~(1ull << (bit % 64));
}

static inline bool bit_test(const uint64_t *map, uint32_t bit)
{
	return (map[bit / 64] >> (bit % 64)) & 1;
}

/*
 * Walk every candidate in ascending (port, address) order and count those
 * whose reply daddr:dport -> addr:port lands on the queue. With own != NULL
 * also mark them in own (zeroed by the caller) and store the first `room`
 * in ring. Port-major, so that the pool hands out the addresses in turn
 * (every address is a source from the first connections on), not all of
 * one address's ports first. Toeplitz is linear: a candidate's hash is the
 * hash with address and port zero XOR six table entries.
 */
static uint64_t scan(const struct pool_spec *s, uint64_t *own, uint32_t *ring, uint64_t room)
{
	const struct mos_rss_key *k = s->k;
	/* the reply's hash with its destination (our address) and port zero: XOR in the rest */
	uint32_t fixed = mos_rss_hash_v4_tcp(k, s->daddr, 0, s->dport, 0);
	uint64_t n = 0;

	for (uint32_t port = s->port_first; port <= s->port_last; port++) {
		uint32_t hp = fixed ^ k->lut[10][port >> 8] ^ k->lut[11][port & 0xff];

		for (uint32_t ai = 0; ai < s->num_addr; ai++) {
			uint32_t a = s->first + ai;
			uint32_t h = hp ^ k->lut[4][a >> 24] ^ k->lut[5][(a >> 16) & 0xff] ^
				     k->lut[6][(a >> 8) & 0xff] ^ k->lut[7][a & 0xff];
			uint32_t e = ai << 16 | port;

			if (mos_rss_reta_queue(s->r, h) != s->queue)
				continue;
			if (own != NULL) {
				bit_set(own, e);
				if (n < room)
					ring[n] = e;
			}
			n++;
		}
	}
	return n;
}

long mos_rss_pool_count(const struct mos_rss_key *k, const struct mos_rss_reta *r, uint16_t queue,
			in_addr_t saddr_base, uint32_t num_addr, uint16_t port_first,
			uint16_t port_last, in_addr_t daddr, in_port_t dport)
{
	struct pool_spec s;
	int err = spec_init(&s, k, r, queue, saddr_base, num_addr, port_first, port_last, daddr,
			    dport);

	if (err != 0)
		return err;
	return (long)scan(&s, NULL, NULL, 0);
}

size_t mos_rss_pool_mem_size(uint32_t capacity, uint32_t num_addr)
{
	return 2 * (size_t)num_addr * MAP_BYTES_PER_ADDR + (size_t)capacity * sizeof(uint32_t);
}

long mos_rss_pool_build(struct mos_rss_pool *p, void *mem, size_t memlen,
			const struct mos_rss_key *k, const struct mos_rss_reta *r, uint16_t queue,
			in_addr_t saddr_base, uint32_t num_addr, uint16_t port_first,
			uint16_t port_last, in_addr_t daddr, in_port_t dport)
{
	struct pool_spec s;
	size_t map_bytes, map_words, room;
	uint64_t *own, n;
	uint32_t *ring;
	int err = spec_init(&s, k, r, queue, saddr_base, num_addr, port_first, port_last, daddr,
			    dport);

	if (err != 0)
		return err;
	if (p == NULL || mem == NULL || (uintptr_t)mem % 8 != 0)
		return -EINVAL;
	map_bytes = (size_t)num_addr * MAP_BYTES_PER_ADDR;
	map_words = map_bytes / sizeof(uint64_t);
	if (memlen < 2 * map_bytes)
		return -ENOSPC;
	own = mem;
	ring = (uint32_t *)(own + 2 * map_words);
	room = (memlen - 2 * map_bytes) / sizeof(uint32_t);
	memset(own, 0, map_bytes);
	n = scan(&s, own, ring, room);
	if (n == 0)
		return -ENOENT;
	if (n > room)
		return -ENOSPC;
	memcpy(own + map_words, own, map_bytes);	/* every pair starts free */
	*p = (struct mos_rss_pool){
		.saddr_base = saddr_base, .num_addr = num_addr, .daddr = daddr, .dport = dport,
		.queue = queue, .capacity = (uint32_t)n, .head = 0, .count = (uint32_t)n,
		.ring = ring, .free_map = own + map_words, .own_map = own,
	};
	return (long)n;
}

int mos_rss_pool_get(struct mos_rss_pool *p, in_addr_t *saddr, in_port_t *sport)
{
	uint32_t e;

	if (p->count == 0) {
		p->empty++;
		return -EAGAIN;
	}
	e = p->ring[p->head];
	p->head = p->head + 1 == p->capacity ? 0 : p->head + 1;
	p->count--;
	bit_clear(p->free_map, e);
	*saddr = htonl(ntohl(p->saddr_base) + (e >> 16));
	*sport = htons((uint16_t)(e & 0xffff));
	return 0;
}

int mos_rss_pool_put(struct mos_rss_pool *p, in_addr_t saddr, in_port_t sport)
{
	/* below the base wraps to a large index and fails the range check */
	uint32_t ai = ntohl(saddr) - ntohl(p->saddr_base);
	uint32_t e = ai << 16 | ntohs(sport);
	uint64_t tail;

	/* own_map has no bit for a port outside the pool's range */
	if (ai >= p->num_addr || !bit_test(p->own_map, e) || bit_test(p->free_map, e)) {
		p->bad_put++;
		return -EINVAL;
	}
	tail = (uint64_t)p->head + p->count;
	if (tail >= p->capacity)
		tail -= p->capacity;
	p->ring[tail] = e;
	p->count++;
	bit_set(p->free_map, e);
	return 0;
}
