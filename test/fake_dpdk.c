/*
 * fake_dpdk.c - the I/O module's stand-in for unit tests of the modules
 * above it: same headers (mos_dpdk.h, mos_io.h), no EAL, no hugepages.
 * Ports come up as software-RSS devices with the default table; calls are
 * recorded for the tests.
 */
#include "mos_dpdk.h"
#include "mos_io.h"
#include "fake_dpdk.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

struct fake_dpdk fake_dpdk;

int mos_dpdk_init(const struct mos_conf *conf, const char *prog, bool verbose,
		  char *err, size_t errlen)
{
	(void)conf; (void)prog; (void)verbose;
	fake_dpdk.init_calls++;
	if (fake_dpdk.fail_init) {
		snprintf(err, errlen, "fake EAL refuses to start");
		return -EINVAL;
	}
	return 0;
}

int mos_dpdk_init_mp(const struct mos_conf *conf, const char *prog, bool verbose, unsigned cpu,
		     char *err, size_t errlen)
{
	(void)prog; (void)verbose;
	fake_dpdk.mp_init_calls++;
	fake_dpdk.mp_cpu = cpu;
	if (fake_dpdk.fail_init || cpu >= 64 || !((conf->core_mask >> cpu) & 1)) {
		snprintf(err, errlen, "fake EAL refuses core %u", cpu);
		return -EINVAL;
	}
	return 0;
}

void mos_dpdk_mp_finish(void)
{
	fake_dpdk.mp_finish_calls++;
}

int mos_dpdk_mp_others(void)
{
	return fake_dpdk.mp_master_dead ? -EPIPE : fake_dpdk.mp_others;
}

bool mos_dpdk_mp_master_alive(void)
{
	return !fake_dpdk.mp_master_dead;
}

int mos_dpdk_ports_start(const struct mos_conf *conf, unsigned nqueues,
			 const struct mos_rss_key *k, struct mos_port_info *info,
			 char *err, size_t errlen)
{
	(void)k;
	fake_dpdk.start_calls++;
	fake_dpdk.nqueues = nqueues;
	if (fake_dpdk.fail_start) {
		snprintf(err, errlen, "fake port refuses to start");
		return -EIO;
	}
	for (int i = 0; i < conf->n_netdev; i++) {
		memset(&info[i], 0, sizeof(info[i]));
		info[i].port_id = (uint16_t)i;
		snprintf(info[i].driver, sizeof(info[i].driver), "fake");
		info[i].nqueues = (uint16_t)nqueues;
		info[i].link_up = true;
		if (fake_dpdk.reta_size != 0)
			mos_rss_reta_set(&info[i].reta, fake_dpdk.reta, fake_dpdk.reta_size, nqueues);
		else
			mos_rss_reta_default(&info[i].reta, (unsigned)conf->reta_size, nqueues);
	}
	return 0;
}

int mos_dpdk_thread_attach(unsigned core, unsigned cpu)
{
	(void)core;
	fake_dpdk.attach_calls++;
	fake_dpdk.last_cpu = cpu;
	return 0;
}

void mos_dpdk_thread_detach(void)
{
	fake_dpdk.detach_calls++;
}

void mos_dpdk_fini(void)
{
	fake_dpdk.fini_calls++;
}

/* --- the packet path ---------------------------------------------------------- */

struct fake_io fake_io;
static struct fake_frame frames[FAKE_FRAMES];

static int core_index(const struct mos_core *core)
{
	for (int i = 0; i < FAKE_CORES; i++)
		if (fake_io.core[i] == core)
			return i;
	return -1;
}

void fake_io_attach(struct mos_core *core, int i)
{
	fake_io.core[i] = core;
}

struct fake_frame *fake_io_frame(const void *data, uint16_t len)
{
	for (int i = 0; i < FAKE_FRAMES; i++) {
		if (frames[i].used)
			continue;
		frames[i].used = true;
		frames[i].len = len;
		frames[i].iface = 0;
		frames[i].ol = 0;
		if (data != NULL)
			memcpy(frames[i].data, data, len);
		fake_io.frames_used++;
		return &frames[i];
	}
	return NULL;
}

void fake_io_free(struct fake_frame *f)
{
	if (f != NULL && f->used) {
		f->used = false;
		fake_io.frames_used--;
	}
}

static struct fake_frame *q_pop(struct fake_queue *q)
{
	struct fake_frame *f;

	if (q->n == 0)
		return NULL;
	f = q->f[q->head];
	q->head = (q->head + 1) % FAKE_QUEUE;
	q->n--;
	return f;
}

static int q_push(struct fake_queue *q, struct fake_frame *f)
{
	if (q->n == FAKE_QUEUE)
		return -ENOBUFS;
	q->f[(q->head + q->n) % FAKE_QUEUE] = f;
	q->n++;
	return 0;
}

struct fake_frame *fake_io_take(int i)
{
	return q_pop(&fake_io.outbox[i]);
}

int fake_io_give(int i, struct fake_frame *f)
{
	return q_push(&fake_io.inbox[i], f);
}

uint64_t mos_io_now_us(void)
{
	fake_io.now_us += fake_io.auto_us;
	return fake_io.now_us;
}

int mos_io_rx_burst(struct mos_core *core, struct mos_rxpkt *out, int max)
{
	int i = core_index(core), n = 0;
	struct fake_frame *f;

	while (i >= 0 && n < max && (f = q_pop(&fake_io.inbox[i])) != NULL) {
		out[n].pkt = f;
		out[n].data = f->data;
		out[n].len = f->len;
		out[n].iface = f->iface;
		out[n].flags = 0;
		n++;
	}
	return n;
}

int mos_io_tx_alloc(struct mos_core *core, struct mos_txbuf *tb)
{
	struct fake_frame *f = fake_io.alloc_fail ? NULL : fake_io_frame(NULL, 0);

	(void)core;
	if (f == NULL)
		return -ENOBUFS;
	tb->pkt = f;
	tb->data = f->data;
	return 0;
}

void mos_io_tx_send(struct mos_core *core, uint16_t iface, void *pkt, uint16_t len, uint32_t ol)
{
	struct fake_frame *f = pkt;
	int i = core_index(core);

	f->len = len;
	f->iface = iface;
	f->ol = ol;
	if (len > 1514)
		fake_io.oversize++;
	if (i < 0 || q_push(&fake_io.outbox[i], f) != 0)
		fake_io_free(f);
}

uint8_t *mos_io_pkt_data(void *pkt)
{
	return ((struct fake_frame *)pkt)->data;
}

void mos_io_pkt_free(struct mos_core *core, void *pkt)
{
	(void)core;
	fake_io_free(pkt);
}

void mos_io_tx_flush(struct mos_core *core)
{
	(void)core;
}

const struct mos_io_stats *mos_io_stats(const struct mos_core *core)
{
	static struct mos_io_stats none;

	(void)core;
	return &none;
}
