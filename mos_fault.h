/*
 * mos_fault.h - fault injection at the boundary between the stack and the
 * I/O module: frames dropped, duplicated, reordered, corrupted and delayed
 * on receive and on send, at the rates of mos.conf's `fault` block.
 *
 * It sits where frames cross that boundary (mos_loop_poll's receive burst,
 * and mos_core_tx_send for every frame the stack sends), so it behaves the
 * same over DPDK and over the unit tests' fake I/O module, and lets users
 * test their own servers under loss with no netem.
 *
 * Decisions come from one seeded generator per core and direction, so a
 * direction that sees the same frames makes the same decisions in every
 * run. Held frames (delayed or reordered) wait in a fixed area inside the
 * core's struct; nothing is allocated on the way but the copy a duplicate
 * needs, which is a transmit buffer (mos_io_tx_alloc) like any other.
 *
 * Threading: a struct mos_fault belongs to one core, used only there.
 */
#ifndef EPWGET_MOS_FAULT_H
#define EPWGET_MOS_FAULT_H

#include <stdbool.h>
#include <stdint.h>

#include "conf_parse.h"
#include "mos_io.h"
#include "mtcp_api.h"

#define MOS_FAULT_HOLD 128	/* frames held per direction; one more passes on, counted */

struct mos_core;

/* A frame held back: one received (flags MOS_RX_*) or one to send (flags MOS_TX_*). */
struct mos_fault_held {
	void *pkt;
	uint8_t *data;
	uint64_t due_us;	/* let go when the I/O clock reaches this */
	uint16_t len;
	uint16_t iface;
	uint16_t after;		/* reordered: let go once this many more frames went by; 0: by time */
	uint32_t flags;
};

/* One direction: its generator, its rates and its held frames. */
struct mos_fault_dir {
	uint64_t rng;		/* splitmix64 state */
	/* a fault hits when a 32-bit draw is below its threshold: rate x 2^32 / 10000 */
	uint64_t p_drop, p_dup, p_reorder, p_corrupt, p_delay;
	uint32_t n_held;
	uint32_t n_reordered;	/* held entries waiting for frames to go by (after != 0) */
	struct mtcp_fault_dir_stat st;
	struct mos_fault_held held[MOS_FAULT_HOLD];	/* in the order they were held */
};

struct mos_fault {
	bool rx_on, tx_on;	/* some receive / send rate is not 0 */
	uint16_t reorder_depth;
	uint32_t delay_us;
	struct mos_fault_dir rx, tx;
};

/* Whether conf asks for any fault at all. */
bool mos_fault_conf_on(const struct conf_fault *conf);

/*
 * Set up the injector of core number index (its generators start from
 * conf->seed and index). f is zeroed first. Before the core runs.
 */
void mos_fault_init(struct mos_fault *f, const struct conf_fault *conf, unsigned index);

/* How mos_fault_rx hands a frame to the stack (mos_core.c's input of one frame). */
typedef void mos_fault_deliver_fn(struct mos_core *core, struct mos_rxpkt *p);

/*
 * Run the received burst rx[0..n) through the receive faults: every frame
 * that is let through, the copies made and the held frames whose time has
 * come go to deliver, in the order a wire would bring them. Call it every
 * loop turn while core->fault.rx_on, with n 0 too (held frames wait for
 * the clock). Returns the number of frames delivered. The core's thread.
 */
int mos_fault_rx(struct mos_core *core, struct mos_rxpkt *rx, int n,
		 mos_fault_deliver_fn *deliver);

/*
 * One frame to send, as mos_io_tx_send takes it, through the send faults
 * (mos_core_tx_send calls it while core->fault.tx_on). The buffer is gone.
 */
void mos_fault_tx(struct mos_core *core, uint16_t iface, void *pkt, uint16_t len, uint32_t ol);

/* Send the held frames whose time has come: every loop turn, before the flush. */
void mos_fault_tx_release(struct mos_core *core);

/* Free every held frame, so that the buffer pools drain: when the core is destroyed. */
void mos_fault_drain(struct mos_core *core);

/* Log the settings of conf when it asks for faults (a warning: results include them). */
void mos_fault_log_conf(const struct conf_fault *conf, const char *path);

/* Log what the injector of core cpu did, when it is on. */
void mos_fault_log_stats(const struct mos_fault *f, int cpu);

#endif
