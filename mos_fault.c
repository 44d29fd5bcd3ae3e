/*
 * mos_fault.c - fault injection between the stack and the I/O module (see
 * mos_fault.h): the decisions, the held frames, the counters.
 *
 * Each frame that meets the injector, in this order:
 *   1. drop:     freed; nothing else happens to it;
 *   2. dup:      a copy of the frame as it came is made (a transmit buffer)
 *                and goes on right after it;
 *   3. corrupt:  one random bit of its IPv4 packet (header or payload, not
 *                the Ethernet header or padding) is flipped, so that an IP,
 *                TCP or ICMP checksum catches it as it would on a real
 *                link. A received frame loses the NIC's "checksum good"
 *                flags; a frame to send gets the checksums it asked the NIC
 *                to fill filled here first (the NIC would otherwise sum the
 *                damage in). ARP frames are left alone: nothing checks them;
 *   4. delay:    held for delay_us, then let go (later frames overtake it);
 *      reorder:  else held until reorder_depth more frames went by (or
 *                delay_us passed, whichever is first), then let go after them;
 *      otherwise it goes on at once.
 * Each step draws from the direction's generator only when its rate is not
 * 0, so a direction's decisions depend on the seed, the rates and the
 * frames it saw, not on the other direction or on timing.
 */
#include "mos_fault.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mos_core.h"
#include "mos_log.h"
#include "mos_net.h"
#include "mos_wire.h"

/* splitmix64: small state, good enough bits, and any seed works (0 too). */
static uint64_t next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* rate in hundredths of a percent as a threshold on a 32-bit draw: 100 % is 2^32, always. */
static uint64_t threshold(int rate)
{
	return ((uint64_t)rate << 32) / CONF_FAULT_PCT_MAX;
}

static bool hit(struct mos_fault_dir *d, uint64_t p)
{
	return p != 0 && (next(&d->rng) >> 32) < p;
}

static bool dir_on(const struct conf_fault_dir *c)
{
	return (c->drop | c->dup | c->reorder | c->corrupt | c->delay) != 0;
}

bool mos_fault_conf_on(const struct conf_fault *conf)
{
	return dir_on(&conf->rx) || dir_on(&conf->tx);
}

static bool dir_init(struct mos_fault_dir *d, const struct conf_fault_dir *c, uint64_t seed)
{
	d->rng = seed;
	d->p_drop = threshold(c->drop);
	d->p_dup = threshold(c->dup);
	d->p_reorder = threshold(c->reorder);
	d->p_corrupt = threshold(c->corrupt);
	d->p_delay = threshold(c->delay);
	return dir_on(c);
}

void mos_fault_init(struct mos_fault *f, const struct conf_fault *conf, unsigned index)
{
	uint64_t s = conf->seed ^ ((uint64_t)index * 0xd1b54a32d192ed03ull);

	memset(f, 0, sizeof(*f));
	f->delay_us = (uint32_t)conf->delay_us;
	f->reorder_depth = (uint16_t)(conf->reorder_depth > 0 ? conf->reorder_depth : 1);
	f->rx_on = dir_init(&f->rx, &conf->rx, next(&s));
	f->tx_on = dir_init(&f->tx, &conf->tx, next(&s));
}

/* --- the way frames go -------------------------------------------------------- */

/* One direction at work: where frames that go on are handed. */
struct way {
	struct mos_core *core;
	struct mos_fault_dir *d;
	mos_fault_deliver_fn *deliver;	/* receive: the stack's input; NULL: send */
	int passed;			/* frames handed on */
};

static void pass_on(struct way *w, const struct mos_fault_held *h)
{
	if (w->deliver != NULL) {
		struct mos_rxpkt p = { h->pkt, h->data, h->len, h->iface, h->flags };

		w->deliver(w->core, &p);
	} else {
		mos_io_tx_send(w->core, h->iface, h->pkt, h->len, h->flags);
	}
	w->passed++;
}

/*
 * Let go of the held frames that are due, in the order they were held; the
 * rest stay. by_count: a frame went by, reordered frames move up a place
 * and go when their count runs out; else those whose time has come go.
 */
static void release(struct way *w, bool by_count, uint64_t now)
{
	struct mos_fault_dir *d = w->d;
	uint32_t j = 0;

	for (uint32_t i = 0; i < d->n_held; i++) {
		struct mos_fault_held *h = &d->held[i];
		bool reordered = h->after != 0;
		bool due = by_count ? reordered && --h->after == 0 : h->due_us <= now;

		if (!due) {
			d->held[j++] = *h;
			continue;
		}
		if (reordered)
			d->n_reordered--;
		pass_on(w, h);	/* h is not written again: j stays at or below i */
	}
	d->n_held = j;
}

/* A frame went on: the reordered frames behind which it went move up a place. */
static void went_by(struct way *w)
{
	if (w->d->n_reordered != 0)
		release(w, true, 0);
}

/* Hold h for delay_us, or (after != 0) until `after` frames went by. False when full. */
static bool hold(struct way *w, const struct mos_fault_held *h, uint16_t after)
{
	struct mos_fault_dir *d = w->d;
	struct mos_fault_held *e;

	if (d->n_held == MOS_FAULT_HOLD) {
		d->st.hold_full++;
		return false;
	}
	e = &d->held[d->n_held++];
	*e = *h;
	e->due_us = mos_io_now_us() + w->core->fault.delay_us;
	e->after = after;
	if (after != 0)
		d->n_reordered++;
	return true;
}

/* A copy of h in a transmit buffer, into c. False (counted) when there is none. */
static bool copy(struct way *w, const struct mos_fault_held *h, struct mos_fault_held *c)
{
	struct mos_txbuf tb;

	if (h->len > MOS_FRAME_MAX || mos_io_tx_alloc(w->core, &tb) != 0) {
		w->d->st.no_buffer++;
		return false;
	}
	memcpy(tb.data, h->data, h->len);
	*c = *h;
	c->pkt = tb.pkt;
	c->data = tb.data;
	w->d->st.duplicated++;
	return true;
}

/*
 * The checksums a frame to send asked the NIC for, computed here: after a
 * bit flip the NIC would sum the damage in and the receiver never see it.
 * The IPv4 checksum field is 0; the TCP one holds the pseudo-header sum
 * (DPDK's convention), which summing the segment over it completes.
 */
static void finish_checksums(struct mos_fault_held *h)
{
	uint8_t *ip = h->data + MOS_ETH_HLEN;
	uint32_t ihl = mos_ip_hlen(ip), tot = mos_get16(ip + MOS_IP_OFF_TOTLEN);
	uint16_t c;

	if ((h->flags & MOS_TX_IP_CKSUM) && ihl >= MOS_IP_HLEN && ihl <= (uint32_t)h->len - MOS_ETH_HLEN) {
		mos_put16(ip + MOS_IP_OFF_CKSUM, 0);
		c = mos_cksum_fold(mos_cksum_add(0, ip, ihl));
		mos_put16(ip + MOS_IP_OFF_CKSUM, c);
	}
	if ((h->flags & MOS_TX_TCP_CKSUM) && tot >= ihl + MOS_TCP_HLEN &&
	    tot <= (uint32_t)h->len - MOS_ETH_HLEN) {
		uint8_t *th = ip + ihl;

		c = mos_cksum_fold(mos_cksum_add(0, th, tot - ihl));
		mos_put16(th + MOS_TCP_OFF_CKSUM, c);
	}
	h->flags = 0;
}

/* Flip one random bit of h's IPv4 packet; false when h carries none (ARP). */
static bool corrupt(struct way *w, struct mos_fault_held *h)
{
	uint32_t span, tot, bit;

	if (h->len < MOS_ETH_HLEN + MOS_IP_HLEN ||
	    mos_get16(h->data + MOS_ETH_OFF_TYPE) != MOS_ETHERTYPE_IPV4)
		return false;
	span = (uint32_t)h->len - MOS_ETH_HLEN;
	tot = mos_get16(h->data + MOS_ETH_HLEN + MOS_IP_OFF_TOTLEN);
	if (tot >= MOS_IP_HLEN && tot < span)
		span = tot;	/* not the Ethernet padding: no checksum covers it */
	if (w->deliver != NULL)
		h->flags = 0;	/* what the NIC verified is no longer so */
	else if (h->flags != 0)
		finish_checksums(h);
	bit = (uint32_t)(((next(&w->d->rng) >> 32) * (span * 8)) >> 32);
	h->data[MOS_ETH_HLEN + bit / 8] ^= (uint8_t)(1u << (bit % 8));
	w->d->st.corrupted++;
	return true;
}

/* One frame through the faults of its direction (the steps of the file's comment). */
static void one_frame(struct way *w, struct mos_fault_held *h)
{
	struct mos_fault_dir *d = w->d;
	struct mos_fault_held c;
	bool copied, held = false;

	d->st.frames++;
	if (hit(d, d->p_drop)) {
		d->st.dropped++;
		mos_io_pkt_free(w->core, h->pkt);
		return;
	}
	copied = hit(d, d->p_dup) && copy(w, h, &c);
	if (hit(d, d->p_corrupt))
		corrupt(w, h);
	if (hit(d, d->p_delay)) {
		held = hold(w, h, 0);
		d->st.delayed += held;
	} else if (hit(d, d->p_reorder)) {
		held = hold(w, h, w->core->fault.reorder_depth);
		d->st.reordered += held;
	}
	if (!held)
		pass_on(w, h);
	if (copied)
		pass_on(w, &c);
	if (!held)
		went_by(w);
}

int mos_fault_rx(struct mos_core *core, struct mos_rxpkt *rx, int n,
		 mos_fault_deliver_fn *deliver)
{
	struct way w = { core, &core->fault.rx, deliver, 0 };

	if (w.d->n_held != 0)	/* those held came in before this burst */
		release(&w, false, mos_io_now_us());
	for (int i = 0; i < n; i++) {
		struct mos_fault_held h = { rx[i].pkt, rx[i].data, 0, rx[i].len, rx[i].iface, 0,
					    rx[i].flags };

		one_frame(&w, &h);
	}
	return w.passed;
}

void mos_fault_tx(struct mos_core *core, uint16_t iface, void *pkt, uint16_t len, uint32_t ol)
{
	struct way w = { core, &core->fault.tx, NULL, 0 };
	struct mos_fault_held h = { pkt, mos_io_pkt_data(pkt), 0, len, iface, 0, ol };

	one_frame(&w, &h);
}

void mos_fault_tx_release(struct mos_core *core)
{
	struct way w = { core, &core->fault.tx, NULL, 0 };

	if (w.d->n_held != 0)
		release(&w, false, mos_io_now_us());
}

static void drain_dir(struct mos_core *core, struct mos_fault_dir *d)
{
	for (uint32_t i = 0; i < d->n_held; i++)
		mos_io_pkt_free(core, d->held[i].pkt);
	d->n_held = 0;
	d->n_reordered = 0;
}

void mos_fault_drain(struct mos_core *core)
{
	drain_dir(core, &core->fault.rx);
	drain_dir(core, &core->fault.tx);
}

/* --- logs ---------------------------------------------------------------------- */

/* "rx drop 5% dup 0.5%": the rates of one direction that are set, or "" for none. */
static void dir_rates(char *buf, size_t len, const char *name, const struct conf_fault_dir *c)
{
	const struct { const char *what; int rate; } r[] = {
		{ "drop", c->drop }, { "dup", c->dup }, { "reorder", c->reorder },
		{ "corrupt", c->corrupt }, { "delay", c->delay },
	};
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]) && n < len; i++) {
		if (r[i].rate == 0)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s %s %d.%02d%%", n == 0 ? "" : ",",
				      n == 0 ? name : "", r[i].what, r[i].rate / 100, r[i].rate % 100);
	}
}

void mos_fault_log_conf(const struct conf_fault *conf, const char *path)
{
	char rx[160], tx[160];

	if (!mos_fault_conf_on(conf))
		return;
	dir_rates(rx, sizeof(rx), "rx", &conf->rx);
	dir_rates(tx, sizeof(tx), "tx", &conf->tx);
	MOS_LOG(WARN, "%s: fault injection on: %s%s%s (delay %d us, reorder depth %d, seed %" PRIu64
		"): frames are damaged on purpose; remove the fault block to measure", path, rx,
		rx[0] != '\0' && tx[0] != '\0' ? "; " : "", tx, conf->delay_us, conf->reorder_depth,
		conf->seed);
}

static void log_dir(int cpu, const char *name, const struct mtcp_fault_dir_stat *s)
{
	MOS_LOG(INFO, "core %d fault %s: %" PRIu64 " frames, %" PRIu64 " dropped, %" PRIu64
		" duplicated, %" PRIu64 " reordered, %" PRIu64 " corrupted, %" PRIu64 " delayed, %"
		PRIu64 " no buffer, %" PRIu64 " hold full", cpu, name, s->frames, s->dropped,
		s->duplicated, s->reordered, s->corrupted, s->delayed, s->no_buffer, s->hold_full);
}

void mos_fault_log_stats(const struct mos_fault *f, int cpu)
{
	if (f->rx_on)
		log_dir(cpu, "rx", &f->rx.st);
	if (f->tx_on)
		log_dir(cpu, "tx", &f->tx.st);
}
