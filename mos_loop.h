/*
 * mos_loop.h - the per-core loop of the stack: one turn receives a burst,
 * runs it through L2/L3 and TCP, runs the due timers, sends what the
 * streams owe and transmits. mtcp_epoll_wait (mos_epoll.c) and the blocking
 * socket calls (mos_socket.c) turn it; mtcp_drain (mos_core.c) too.
 *
 * It sits above TCP, ARP, the fault injector and the I/O module, which it
 * calls, and below the socket layer, which calls it. Nothing it calls calls
 * back into it.
 */
#ifndef EPWGET_MOS_LOOP_H
#define EPWGET_MOS_LOOP_H

#include <stdbool.h>

struct mos_core;

/*
 * One turn of core's loop. Returns the frames the stack took in (after the
 * fault injection, when it is on). Only core's own thread may call it.
 */
int mos_loop_poll(struct mos_core *core);

/* Whether every core must stop: SIGINT, or a slave's master gone. Any thread. */
bool mos_loop_stopping(void);

/* Make every core stop (async-signal-safe: SIGINT's handler calls it). */
void mos_loop_stop(void);

/* Clear the stop and stop watching a master (mtcp_init, mtcp_destroy). */
void mos_loop_reset(void);

/*
 * A slave of a multi-process group: from now on, once a second, the loop
 * looks whether the group's master is still there, and stops every core
 * when it is not (the NIC and the shared memory are the master's).
 */
void mos_loop_watch_master(const struct mos_core *core);

#endif
