/*
 * mos_tcp.h - TCP (RFC 9293) for one core: streams, their state machine,
 * input, output and timers.
 *
 * A stream is one connection (or a listener's pending child). It lives in
 * the core's stream pool, is found by its 4-tuple in the core's flow
 * table, owns one send and one receive buffer from the core's buffer
 * pools, and carries its own timers. Everything here runs on the stream's
 * core, inside that core's event loop; the socket layer above calls the
 * mos_tcp_* verbs and hears back through mos_sock_notify().
 *
 * Implemented: the eleven states with simultaneous open and close, MSS,
 * window scaling, timestamps with PAWS (RFC 7323), RTO per RFC 6298 with
 * backoff and a retry limit, NewReno fast retransmit and recovery
 * (RFC 5681, RFC 6582) with an initial window of 10 (RFC 6928), flow
 * control with window updates and zero-window probes, out-of-order
 * reassembly, delayed ACKs, RST and SYN checks of RFC 5961, TIME_WAIT,
 * the idle timeout.
 *
 * Not implemented: urgent data. A segment with URG on a stream that takes
 * data resets the connection (ECONNABORTED), rather than delivering the
 * urgent bytes inline unnoticed (RFC 6093).
 */
#ifndef EPWGET_MOS_TCP_H
#define EPWGET_MOS_TCP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "mos_tuple.h"
#include "mos_net.h"
#include "mos_buf.h"
#include "mos_timer.h"

struct mos_core;

enum mos_tcp_state {
	MOS_TCP_CLOSED = 0,
	MOS_TCP_LISTEN,
	MOS_TCP_SYN_SENT,
	MOS_TCP_SYN_RCVD,
	MOS_TCP_ESTABLISHED,
	MOS_TCP_FIN_WAIT_1,
	MOS_TCP_FIN_WAIT_2,
	MOS_TCP_CLOSE_WAIT,
	MOS_TCP_CLOSING,
	MOS_TCP_LAST_ACK,
	MOS_TCP_TIME_WAIT,
	MOS_TCP_STATE_COUNT
};

/* TCP header flags */
#define MOS_TH_FIN 0x01
#define MOS_TH_SYN 0x02
#define MOS_TH_RST 0x04
#define MOS_TH_PSH 0x08
#define MOS_TH_ACK 0x10
#define MOS_TH_URG 0x20

/* Timing, in the stack's ticks of one millisecond. */
#define MOS_TCP_TICK_US       1000
#define MOS_TCP_TICKS_PER_S   (1000000 / MOS_TCP_TICK_US)
#define MOS_TCP_RTO_INIT      1000	/* RFC 6298 2.1 */
#define MOS_TCP_RTO_MIN       200	/* as Linux; RFC 6298 says 1 s, RFC 6298 2.4 allows less */
#define MOS_TCP_RTO_MAX       60000
#define MOS_TCP_SYN_RETRIES   6		/* default of mos.conf tcp_syn_retries, as Linux's */
#define MOS_TCP_DATA_RETRIES  15	/* as Linux's tcp_retries2 */
#define MOS_TCP_DELACK        40	/* delayed ACK (RFC 9293 3.8.6.3 allows up to 500) */
#define MOS_TCP_PERSIST_MIN   200
#define MOS_TCP_INIT_CWND_SEGS 10	/* RFC 6928 */
/*
 * RFC 5961 7: challenge ACKs per core per second, as Linux's
 * net.ipv4.tcp_challenge_ack_limit of 1000 (Linux 4.7 to 5.19; since 6.0
 * that limit is per network namespace and off by default). Each second's
 * budget is drawn from [limit/2, limit], as Linux randomizes its own, so
 * that an off-path attacker cannot count it (CVE-2016-5696).
 */
#define MOS_TCP_CHALLENGE_ACK_LIMIT 1000
#define MOS_TCP_INVALID_RATELIMIT 500	/* ticks between a stream's out-of-window ACKs,
					 * as Linux's net.ipv4.tcp_invalid_ratelimit */

/* What a stream was told to do or owes the peer. */
#define MOS_SF_ACK_NOW     0x0001	/* send an ACK at the next output */
#define MOS_SF_DELACK      0x0002	/* an ACK is owed, the delayed-ACK timer runs */
#define MOS_SF_FIN_QUEUED  0x0004	/* the application closed: FIN after the data */
#define MOS_SF_FIN_SENT    0x0008
#define MOS_SF_ON_TXLIST   0x0010
#define MOS_SF_TS          0x0020	/* timestamps agreed */
#define MOS_SF_SACK        0x0040	/* SACK-permitted agreed (we send SACK blocks) */
#define MOS_SF_WSCALE      0x0080	/* window scaling agreed */
#define MOS_SF_IN_RECOVERY 0x0100	/* NewReno fast recovery */
#define MOS_SF_RTT_TIMING  0x0200	/* rtt_seq is being timed (no timestamps) */
#define MOS_SF_NEIGH_OK    0x0400	/* dst_mac is known */
#define MOS_SF_PASSIVE     0x0800	/* made by a listener */
#define MOS_SF_APP_CLOSED  0x1000	/* the socket is gone: free the stream when TCP is done */
#define MOS_SF_FIN_RCVD    0x2000	/* the peer's FIN arrived in order */
#define MOS_SF_DEAD        0x4000	/* freed while on the to-send list: flush releases it */
#define MOS_SF_ACKED_ONCE  0x8000	/* a delayed ACK is owed for one full segment */
#define MOS_SF_RSS_PAIR    0x10000	/* the source pair came from the core's RSS pool: give it back */
#define MOS_SF_HASHED      0x20000	/* in the tuple table */
#define MOS_SF_ARP_WAIT    0x40000	/* on the core's list of streams waiting for ARP */
#define MOS_SF_ACK_DEFER   0x80000	/* ACK_NOW may wait one round for the application's answer */
#define MOS_SF_ACCEPT_Q    0x100000	/* on its listener's accept queue */
#define MOS_SF_FIN_OOO     0x200000	/* the peer's FIN came ahead of a hole: at fin_seq */


/* The timers a stream carries; kind says which one fired. */
enum mos_stream_timer_kind {
	MOS_TIMER_RTO,		/* retransmission, SYN retries, zero-window probes */
	MOS_TIMER_ACK,		/* delayed ACK */
	MOS_TIMER_LIFE,		/* TIME_WAIT, FIN_WAIT_2 of an orphan, idle timeout */
};

struct mos_stream_timer {
	struct mos_timer t;
	uint8_t kind;
};

/* Per-core TCP counters (the statistics print them; the tests check them). */
struct mos_tcp_stats {
	uint64_t active_opens, passive_opens, established;
	uint64_t segs_in, segs_out, retransmits, fast_retransmits, rto_timeouts;
	uint64_t drop_bad_offset;	/* data offset < 5 or past the segment */
	uint64_t drop_bad_options;	/* an option runs past the header */
	uint64_t drop_bad_flags;	/* SYN+FIN, SYN+RST, no flag at all ... */
	uint64_t drop_no_stream;	/* answered with RST or ignored */
	uint64_t drop_unacceptable;	/* outside the receive window (ACKed) */
	uint64_t drop_paws;		/* RFC 7323 5.3 */
	uint64_t drop_old_ack, drop_future_ack;
	uint64_t rst_in, rst_out, challenge_acks;
	uint64_t challenge_ack_limited;	/* challenge ACKs over the core's budget: not sent */
	uint64_t oow_ack_limited;	/* ACKs to out-of-window or PAWS-rejected segments
					 * within MOS_TCP_INVALID_RATELIMIT of the last: not sent */
	uint64_t ooo_segs, dup_segs;
	uint64_t sack_out;		/* segments we sent carrying SACK blocks (RFC 2018) */
	uint64_t zero_window_probes, window_updates;
	uint64_t conn_timeout, conn_reset, conn_refused;
	uint64_t no_stream_mem, no_tx_buf;
	uint64_t timewait_reused;
	uint64_t timewait_rst_ignored;	/* RSTs in TIME_WAIT: ignored (RFC 1337) */
	uint64_t backlog_full;		/* SYNs dropped: the listener's queue was full */
	uint64_t data_after_fin;	/* payload past the peer's FIN: dropped */
	uint64_t ooo_fin;		/* FINs ahead of missing data: kept, taken when the hole fills */
	uint64_t data_after_close;	/* payload after the application closed: answered with RST */
	uint64_t urg_refused;		/* URG on a stream taking data: RST, ECONNABORTED (no
					 * urgent data here, RFC 6093) */
	/* ICMP destination unreachables quoting our segments (RFC 1122 4.2.3.9, RFC 5927) */
	uint64_t icmp_in;		/* handed to TCP by mos_net */
	uint64_t icmp_no_stream;	/* the quoted 4-tuple is no stream of ours */
	uint64_t icmp_bad_seq;		/* quoted sequence outside SND.UNA..SND.MAX: ignored */
	uint64_t icmp_soft;		/* recorded as a soft error on a synchronized stream */
	uint64_t icmp_frag_needed;	/* code 4, path MTU: counted, ignored (not done yet) */
	uint64_t icmp_other_code;	/* codes TCP does not act on: counted, ignored */
	uint64_t unreachable;		/* connections failed with EHOSTUNREACH or ENETUNREACH */
};

/* The lists streams sit on (<sys/queue.h>, as DPDK's): heads of each kind. */
STAILQ_HEAD(mos_stream_stailq, mos_stream);
LIST_HEAD(mos_stream_list, mos_stream);
TAILQ_HEAD(mos_stream_tailq, mos_stream);

struct mos_stream {
	struct mos_tuple_node tuple;	/* the 4-tuple, our side first */
	uint8_t state;			/* enum mos_tcp_state */
	uint8_t snd_wscale;		/* shift of the peer's window */
	uint8_t rcv_wscale;		/* shift of ours */
	uint8_t retries;		/* consecutive RTO expiries */
	uint32_t flags;			/* MOS_SF_* */
	uint16_t iface;
	uint16_t mss;			/* our send MSS: the peer's option, capped */
	uint8_t dst_mac[6];
	int so_error;			/* the errno a failed stream reports */
	int soft_error;			/* an ICMP error on a synchronized stream (RFC 1122
					 * 4.2.3.9): reported if the stream times out */

	/* send sequence space (RFC 9293 3.3.1) */
	uint32_t iss;
	uint32_t snd_una, snd_nxt, snd_max;	/* snd_max: highest sequence sent + 1 */
	uint32_t snd_wnd;			/* the peer's window, scaled */
	uint32_t snd_wnd_max;			/* the largest it offered (RFC 5961 5.2) */
	uint32_t snd_wl1, snd_wl2;
	/* receive sequence space: RCV.NXT is rcvbuf.nxt */
	uint32_t irs;
	uint32_t rcv_adv;			/* right edge advertised: never moved left */
	uint32_t fin_seq;			/* the sequence of a FIN ahead of a hole (MOS_SF_FIN_OOO) */

	/* congestion control (RFC 5681, RFC 6582) */
	uint32_t cwnd, ssthresh;
	uint32_t recover;
	uint32_t sack_high;		/* highest sequence the peer SACKed (RFC 6675 HighACK side) */
	uint8_t dupacks;

	/* round trip time (RFC 6298), in ticks */
	uint32_t srtt8;			/* smoothed RTT x 8 */
	uint32_t rttvar4;		/* variation x 4 */
	uint32_t rto;
	uint32_t rtt_seq;		/* sequence being timed (no timestamps) */
	uint64_t rtt_start;

	/* timestamps (RFC 7323) */
	uint32_t ts_recent;
	uint64_t ts_recent_age;		/* tick ts_recent was taken */

	uint64_t last_activity;		/* tick of the last segment in or out: idle timeout */
	uint64_t oow_ack_at;		/* tick of the last ACK to an out-of-window segment */
	uint64_t snd_data_at;		/* tick data (or a FIN) was last sent: RFC 5681 4.1 */

	struct mos_stream_timer rto_timer;
	struct mos_stream_timer ack_timer;
	struct mos_stream_timer life_timer;

	struct mos_sndbuf snd;
	struct mos_rcvbuf rcv;
	void *snd_mem, *rcv_mem;	/* pool objects behind snd and rcv */

	STAILQ_ENTRY(mos_stream) tx_link;	/* on the core's to-send list (MOS_SF_ON_TXLIST) */
	LIST_ENTRY(mos_stream) arp_link;	/* on the core's ARP wait list (MOS_SF_ARP_WAIT) */
	struct mos_stream *listener;	/* a passive stream's listener until accepted */
	TAILQ_ENTRY(mos_stream) accept_link;	/* on its listener's accept queue (MOS_SF_ACCEPT_Q) */
	void *sock;			/* the socket layer's object */

	/* listener only */
	struct mos_stream_tailq accept_q;	/* established children, oldest first */
	uint32_t backlog, n_accept;
};

/*
 * Open an active connection saddr:sport -> daddr:dport. rss_pair: the
 * source pair came from the core's RSS pool and returns there when the
 * stream is freed (after TIME_WAIT). NULL with *err (-errno).
 */
struct mos_stream *mos_tcp_connect(struct mos_core *core, in_addr_t saddr, in_port_t sport,
				   in_addr_t daddr, in_port_t dport, bool rss_pair, void *sock,
				   int *err);

/* Make a listener on addr:port (addr may be INADDR_ANY). NULL with *err. */
struct mos_stream *mos_tcp_listen(struct mos_core *core, in_addr_t addr, in_port_t port,
				  uint32_t backlog, void *sock, int *err);

/* Take the first established child of a listener, or NULL. */
struct mos_stream *mos_tcp_accept(struct mos_core *core, struct mos_stream *l);

/* Queue up to n bytes for sending: the number taken, or -errno (EPIPE, ENOTCONN, EAGAIN). */
long mos_tcp_send(struct mos_core *core, struct mos_stream *s, const void *data, uint32_t n);

/* Read up to n bytes: the number read, 0 at end of stream, or -errno (EAGAIN, ECONNRESET). */
long mos_tcp_recv(struct mos_core *core, struct mos_stream *s, void *buf, uint32_t n);

/* The application is done with s: FIN after the queued data; s is freed when TCP is done. */
void mos_tcp_close(struct mos_core *core, struct mos_stream *s);

/* Reset the connection now and free s. */
void mos_tcp_abort(struct mos_core *core, struct mos_stream *s);

/* Process one received segment (from mos_net_input). */
void mos_tcp_input(struct mos_core *core, const struct mos_tcp_in *seg, uint64_t now);

/*
 * Process an ICMP destination unreachable that quotes one of our segments
 * (from mos_net_input's MOS_NET_ICMP_ERR): in SYN-SENT the connection
 * fails, on a synchronized one the error is recorded (soft).
 */
void mos_tcp_icmp_error(struct mos_core *core, const struct mos_tcp_in *in, uint64_t now);

/* Send what every stream on the to-send list owes. */
void mos_tcp_flush(struct mos_core *core);

/* s's next hop is now known (from mos_arp_check): send again what was lost waiting for it. */
void mos_tcp_neigh_resolved(struct mos_core *core, struct mos_stream *s);

/* Run the timers due by tick now. */
void mos_tcp_timers(struct mos_core *core, uint64_t now);

/* The events a stream's socket has now: MOS_EPOLLIN/OUT/ERR/HUP/RDHUP. */
uint32_t mos_tcp_poll(const struct mos_stream *s);

/*
 * Supplied by the socket layer: the stream's readiness changed (events:
 * the MOS_EPOLL* it has now), or, with events == 0 and s->sock set, the
 * stream is being freed and the socket must forget it.
 */
void mos_sock_notify(struct mos_core *core, struct mos_stream *s, uint32_t events);

const char *mos_tcp_state_name(int state);

#endif
