/*
 * mos_tcp_priv.h - what mos_tcp.c, mos_tcp_in.c and mos_tcp_out.c share
 * and nothing else may use.
 */
#ifndef EPWGET_MOS_TCP_PRIV_H
#define EPWGET_MOS_TCP_PRIV_H

#include "mos_core.h"
#include "mos_tcp.h"

#define TCP_OPT_EOL       0
#define TCP_OPT_NOP       1
#define TCP_OPT_MSS       2
#define TCP_OPT_WSCALE    3
#define TCP_OPT_SACK_PERM 4
#define TCP_OPT_SACK      5
#define TCP_OPT_TS        8

#define TCP_HDR_MAX       60
#define TCP_WSCALE_MAX    14	/* RFC 7323 2.3 */
#define TCP_MSS_DEFAULT   536	/* RFC 9293 3.7.1: when the peer sends none */
#define TCP_MSS_MIN       88	/* smaller peer MSS values are raised (RFC 9293 3.7.1 wants >= 1) */
#define TCP_SACK_MAX      4
#define TCP_OPT_TS_ALIGNED 12	/* NOP, NOP, timestamps */
#define TCP_ISS_GAP       65536	/* a reused tuple's ISS: this far above the old connection's */

/* A parsed segment: header fields in host order and the options it carries. */
struct tcp_seg {
	const struct mos_tcp_in *in;
	uint32_t seq, ack;
	uint32_t wnd;			/* raw 16-bit window, unscaled */
	uint8_t flags;
	const uint8_t *data;
	uint32_t len;			/* payload bytes */
	uint32_t seg_len;		/* len + SYN + FIN: sequence space used */
	/* options */
	uint16_t mss;			/* 0: none */
	int8_t wscale;			/* -1: none */
	bool sack_perm;
	bool ts;
	uint32_t tsval, tsecr;
	uint8_t n_sack;
	struct mos_seq_range sack[TCP_SACK_MAX];
};

/* mos_tcp.c */
void tcp_set_state(struct mos_core *core, struct mos_stream *s, int state);
void tcp_free(struct mos_core *core, struct mos_stream *s);
void tcp_fail(struct mos_core *core, struct mos_stream *s, int err);
void tcp_notify(struct mos_core *core, struct mos_stream *s);
void tcp_schedule(struct mos_core *core, struct mos_stream *s);
void tcp_rto_arm(struct mos_core *core, struct mos_stream *s);
void tcp_rtt_sample(struct mos_stream *s, uint32_t rtt);
void tcp_enter_timewait(struct mos_core *core, struct mos_stream *s);
void tcp_shed_buffers(struct mos_core *core, struct mos_stream *s);
void tcp_idle_touch(struct mos_core *core, struct mos_stream *s);
void stream_release(struct mos_core *core, struct mos_stream *s);
struct mos_stream *tcp_stream_new(struct mos_core *core, in_addr_t laddr, in_port_t lport,
				  in_addr_t raddr, in_port_t rport, int *err);
uint32_t tcp_iss(struct mos_core *core, const struct mos_tuple_key *k);
uint32_t tcp_iss_above(struct mos_core *core, const struct mos_tuple_key *k, uint32_t old_max);
uint16_t tcp_our_mss(const struct mos_core *core, const struct mos_stream *s);
void tcp_orphan_fin_wait_2(struct mos_core *core, struct mos_stream *s);
struct mos_stream *tcp_listener_find(struct mos_core *core, in_addr_t addr, in_port_t port);

/* mos_tcp_out.c */
int tcp_output(struct mos_core *core, struct mos_stream *s);
int tcp_send_flags(struct mos_core *core, struct mos_stream *s, uint8_t flags, uint32_t seq);
void tcp_send_reset_reply(struct mos_core *core, const struct tcp_seg *seg);
void tcp_retransmit_first(struct mos_core *core, struct mos_stream *s);
uint32_t tcp_rcv_window(const struct mos_stream *s);
uint32_t tcp_ts_now(const struct mos_core *core);
bool tcp_challenge_ack_allowed(struct mos_core *core);
bool tcp_oow_ack_allowed(struct mos_core *core, struct mos_stream *s, const struct tcp_seg *seg);

/* mos_tcp_in.c */
int tcp_parse(const struct mos_tcp_in *in, struct tcp_seg *seg, struct mos_tcp_stats *st);

/* inline, for all three files */
static inline struct mos_stream *stream_of_flow(struct mos_tuple_node *n)
{
	return (struct mos_stream *)(void *)n;	/* flow is the first member */
}

static inline uint32_t tcp_inflight(const struct mos_stream *s)
{
	return s->snd_nxt - s->snd_una;
}

#endif
