/*
 * mos_tcp_in.c - TCP input: header and option checks, the flow lookup, and
 * the event processing of RFC 9293 3.10.7, one function per state family
 * sharing the ACK, data and FIN steps.
 *
 * On the receive path: mos_loop_poll -> mos_net_input -> mos_tcp_input ->
 * tcp_parse -> mos_tuple_lookup -> syn_sent_input | listen_input |
 * synced_input (ack_step, data_step, fin_step) -> tcp_notify; and
 * mos_net_input's ICMP errors -> mos_tcp_icmp_error.
 */
#include "mos_tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "mos_core.h"
#include "mos_tcp_priv.h"
#include "mos_wire.h"

/* One option at o (room bytes left); returns its length, or -1 when it runs past the header. */
static int parse_option(const uint8_t *o, int room, struct tcp_seg *seg)
{
	int len;

	if (o[0] == TCP_OPT_EOL || o[0] == TCP_OPT_NOP)
		return 1;
	if (room < 2 || o[1] < 2 || o[1] > room)
		return -1;
	len = o[1];
	if (o[0] == TCP_OPT_MSS && len == 4)
		seg->mss = mos_get16(o + 2);
	else if (o[0] == TCP_OPT_WSCALE && len == 3)
		seg->wscale = (int8_t)(o[2] > TCP_WSCALE_MAX ? TCP_WSCALE_MAX : o[2]);	/* RFC 7323 2.3 */
	else if (o[0] == TCP_OPT_SACK_PERM && len == 2)
		seg->sack_perm = true;
	else if (o[0] == TCP_OPT_TS && len == 10) {
		seg->ts = true;
		seg->tsval = mos_get32(o + 2);
		seg->tsecr = mos_get32(o + 6);
	} else if (o[0] == TCP_OPT_SACK && len >= 10 && (len - 2) % 8 == 0) {
		for (int i = 2; i < len && seg->n_sack < TCP_SACK_MAX; i += 8, seg->n_sack++) {
			seg->sack[seg->n_sack].start = mos_get32(o + i);
			seg->sack[seg->n_sack].end = mos_get32(o + i + 4);
		}
	}
	/* unknown options (and known ones of a wrong length) are skipped, RFC 9293 3.1 */
	return len;
}

/* Flags no segment may carry together, or none at all. */
static bool flags_bad(uint8_t f)
{
	return (f & (MOS_TH_SYN | MOS_TH_FIN)) == (MOS_TH_SYN | MOS_TH_FIN) ||
	       (f & (MOS_TH_SYN | MOS_TH_RST)) == (MOS_TH_SYN | MOS_TH_RST) ||
	       (f & (MOS_TH_SYN | MOS_TH_FIN | MOS_TH_RST | MOS_TH_ACK)) == 0;
}

/* Validate the header and read its fields and options. 0, or -EINVAL (counted). */
int tcp_parse(const struct mos_tcp_in *in, struct tcp_seg *seg, struct mos_tcp_stats *st)
{
	const uint8_t *th = in->tcp;
	int doff = mos_tcp_doff(th);

	memset(seg, 0, sizeof(*seg));
	seg->in = in;
	seg->wscale = -1;
	if (doff < MOS_TCP_HLEN || doff > in->tcp_len) {
		st->drop_bad_offset++;
		return -EINVAL;
	}
	for (int i = MOS_TCP_HLEN, n; i < doff; i += n) {
		if (th[i] == TCP_OPT_EOL)
			break;
		n = parse_option(th + i, doff - i, seg);
		if (n < 0) {
			st->drop_bad_options++;
			return -EINVAL;
		}
	}
	seg->flags = th[MOS_TCP_OFF_FLAGS] & MOS_TCP_FLAGS_MASK;
	if (flags_bad(seg->flags)) {
		st->drop_bad_flags++;
		return -EINVAL;
	}
	seg->seq = mos_get32(th + MOS_TCP_OFF_SEQ);
	seg->ack = mos_get32(th + MOS_TCP_OFF_ACK);
	seg->wnd = mos_get16(th + MOS_TCP_OFF_WIN);
	seg->data = th + doff;
	seg->len = (uint32_t)(in->tcp_len - doff);
	seg->seg_len = seg->len + !!(seg->flags & MOS_TH_SYN) + !!(seg->flags & MOS_TH_FIN);
	return 0;
}

static void ack_now(struct mos_core *core, struct mos_stream *s)
{
	s->flags = (s->flags | MOS_SF_ACK_NOW) & ~MOS_SF_ACK_DEFER;
	tcp_schedule(core, s);
}

/*
 * An ACK that the application's answer may carry: it leaves with the next
 * round's flush rather than this one's, and the application runs between
 * the two (mtcp_epoll_wait returns its events). A request then carries the
 * ACK of the SYN-ACK, a response the ACK of its request, a FIN the ACK of
 * the peer's FIN: 6 segments for a short HTTP flow instead of 10. When no
 * answer comes, the bare ACK leaves one round (microseconds) later.
 */
static void ack_soon(struct mos_core *core, struct mos_stream *s)
{
	if (!(s->flags & MOS_SF_ACK_NOW))
		s->flags |= MOS_SF_ACK_NOW | MOS_SF_ACK_DEFER;
	tcp_schedule(core, s);
}

/*
 * RFC 5961 3.2, 4.2, 5.2: answer a doubtful segment with an ACK of where we
 * are, within the core's budget (RFC 5961 7).
 */
static void challenge_ack(struct mos_core *core, struct mos_stream *s)
{
	if (!tcp_challenge_ack_allowed(core))
		return;
	core->tcp.challenge_acks++;
	ack_now(core, s);
}

/* Take the peer's options from its SYN (RFC 7323 1.3, 2.2; RFC 2018 2; RFC 9293 3.7.1). */
static void syn_options_in(struct mos_core *core, struct mos_stream *s, const struct tcp_seg *seg,
			   bool active)
{
	uint16_t ours = tcp_our_mss(core, s);

	s->mss = seg->mss == 0 ? TCP_MSS_DEFAULT : seg->mss;
	if (s->mss > ours)
		s->mss = ours;
	if (s->mss < TCP_MSS_MIN)
		s->mss = TCP_MSS_MIN;
	if (seg->wscale >= 0) {
		s->flags |= MOS_SF_WSCALE;
		s->snd_wscale = (uint8_t)seg->wscale;
	} else {
		s->snd_wscale = 0;
		s->rcv_wscale = 0;
	}
	if (seg->ts) {
		s->flags |= MOS_SF_TS;
		s->ts_recent = seg->tsval;
		s->ts_recent_age = core->now;
		/* every segment carries the 12 option bytes: they come out of the MSS (RFC 9293 3.7.1) */
		s->mss = (uint16_t)(s->mss - TCP_OPT_TS_ALIGNED);
	}
	if (seg->sack_perm)
		s->flags |= MOS_SF_SACK;
	(void)active;
	s->irs = seg->seq;
	mos_rcvbuf_init(&s->rcv, s->rcv_mem, core->pool[MOS_POOL_RCVBUF].obj_size, seg->seq + 1);
	s->rcv_adv = s->rcv.nxt;
}

static void established(struct mos_core *core, struct mos_stream *s, const struct tcp_seg *seg)
{
	tcp_set_state(core, s, MOS_TCP_ESTABLISHED);
	s->snd_wnd = seg->wnd << ((seg->flags & MOS_TH_SYN) ? 0 : s->snd_wscale);
	s->snd_wnd_max = s->snd_wnd;
	s->snd_wl1 = seg->seq;
	s->snd_wl2 = seg->ack;
	s->cwnd = MOS_TCP_INIT_CWND_SEGS * (uint32_t)s->mss;	/* RFC 6928 */
	s->ssthresh = UINT32_MAX;
	s->recover = s->snd_una;
	s->retries = 0;
}

/* RTT from the SYN exchange, unless the SYN was sent more than once (Karn). */
static void syn_rtt(struct mos_core *core, struct mos_stream *s, const struct tcp_seg *seg)
{
	if (s->retries == 0 && (s->flags & MOS_SF_TS) && seg->tsecr != 0)
		tcp_rtt_sample(s, tcp_ts_now(core) - seg->tsecr);
	else if (s->retries == 0)
		tcp_rtt_sample(s, (uint32_t)(core->now - s->last_activity));
}

/* RFC 9293 3.10.7.3: SYN-SENT. */
/*
 * SND.UNA moves up to an acceptable ACK, and SND.NXT with it where a
 * retransmission timeout had set it back (go-back-N) and the ACK covers
 * more than was sent again since (as BSD's tcp_input). In SYN-SENT this
 * matters most: the RTO sets SND.NXT to the ISS, and when the SYN's
 * retransmission found no transmit buffer (a stalled peer's full ring) the
 * SYN-ACK finds it there; the first data would go out from the SYN's own
 * sequence number with bytes the send buffer never held.
 */
static void snd_una_advance(struct mos_stream *s, uint32_t ack)
{
	s->snd_una = ack;
	if (MOS_SEQ_LT(s->snd_nxt, s->snd_una))
		s->snd_nxt = s->snd_una;
}

static void syn_sent_input(struct mos_core *core, struct mos_stream *s, const struct tcp_seg *seg)
{
	bool ack_ok = (seg->flags & MOS_TH_ACK) && MOS_SEQ_GT(seg->ack, s->iss) &&
		      MOS_SEQ_LEQ(seg->ack, s->snd_max);

	if ((seg->flags & MOS_TH_ACK) && !ack_ok) {
		if (!(seg->flags & MOS_TH_RST))
			tcp_send_reset_reply(core, seg);
		core->tcp.drop_old_ack++;
		return;
	}
	if (seg->flags & MOS_TH_RST) {
		core->tcp.rst_in++;
		if (ack_ok)	/* RFC 5961 3.2: a reset in SYN-SENT must acknowledge our SYN */
			tcp_fail(core, s, ECONNREFUSED);
		return;
	}
	if (!(seg->flags & MOS_TH_SYN))
		return;
	syn_options_in(core, s, seg, true);
	if (ack_ok) {
		snd_una_advance(s, seg->ack);
		syn_rtt(core, s, seg);
		mos_timer_cancel(&core->wheel, &s->rto_timer.t);
		established(core, s, seg);
		ack_soon(core, s);	/* the request rides with it */
		tcp_idle_touch(core, s);
		tcp_notify(core, s);
		return;
	}
	/* simultaneous open: SYN-RECEIVED, and our SYN goes again with the ACK */
	tcp_set_state(core, s, MOS_TCP_SYN_RCVD);
	s->snd_nxt = s->iss;
	tcp_schedule(core, s);
}

/*
 * RFC 9293 3.10.7.2: LISTEN. old_max: the SND.MAX of the TIME_WAIT
 * connection this SYN reopens (timewait_reopen), or NULL.
 */
static void listen_input(struct mos_core *core, struct mos_stream *l, const struct tcp_seg *seg,
			 const uint32_t *old_max)
{
	const struct mos_tcp_in *in = seg->in;
	struct mos_tuple_key k;
	struct mos_stream *c;
	int err;

	if (seg->flags & MOS_TH_RST)
		return;
	if (seg->flags & MOS_TH_ACK) {
		tcp_send_reset_reply(core, seg);
		return;
	}
	if (!(seg->flags & MOS_TH_SYN))
		return;
	if (l->n_accept >= l->backlog) {
		core->tcp.backlog_full++;
		return;
	}
	memcpy(&k.lport, in->tcp + MOS_TCP_OFF_DPORT, 2);
	memcpy(&k.rport, in->tcp + MOS_TCP_OFF_SPORT, 2);
	c = tcp_stream_new(core, in->daddr, k.lport, in->saddr, k.rport, &err);
	if (c == NULL)
		return;
	c->iface = in->iface;
	memcpy(c->dst_mac, in->src_mac, 6);
	c->flags |= MOS_SF_NEIGH_OK | MOS_SF_PASSIVE;
	c->listener = l;
	syn_options_in(core, c, seg, false);
	k = c->tuple.key;
	c->iss = old_max != NULL ? tcp_iss_above(core, &k, *old_max) : tcp_iss(core, &k);
	c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	c->snd_wnd = seg->wnd;
	mos_sndbuf_init(&c->snd, c->snd_mem, core->pool[MOS_POOL_SNDBUF].obj_size, c->iss + 1);
	tcp_set_state(core, c, MOS_TCP_SYN_RCVD);
	core->tcp.passive_opens++;
	tcp_schedule(core, c);
}

/* RFC 9293 3.10.7.4 first check: is the segment in the window we offered? */
static bool acceptable(const struct mos_stream *s, const struct tcp_seg *seg)
{
	uint32_t nxt = s->rcv.nxt;
	uint32_t wnd = MOS_SEQ_GT(s->rcv_adv, nxt) ? s->rcv_adv - nxt : 0;
	uint32_t last = seg->seq + seg->seg_len - 1;

	if (seg->seg_len == 0)
		return wnd == 0 ? seg->seq == nxt :
		       MOS_SEQ_GEQ(seg->seq, nxt) && MOS_SEQ_LT(seg->seq, nxt + wnd);
	if (wnd == 0)
		return false;
	return (MOS_SEQ_GEQ(seg->seq, nxt) && MOS_SEQ_LT(seg->seq, nxt + wnd)) ||
	       (MOS_SEQ_GEQ(last, nxt) && MOS_SEQ_LT(last, nxt + wnd));
}

/* RFC 7323 5.3 R1: PAWS. true when the segment must be dropped. */
static bool paws_reject(struct mos_core *core, const struct mos_stream *s, const struct tcp_seg *seg)
{
	/* a timestamp older than 24 days is no reference any more (RFC 7323 5.5) */
	const uint64_t stale = 24ULL * 24 * 3600 * MOS_TCP_TICKS_PER_S;

	if (!(s->flags & MOS_SF_TS) || !seg->ts || (seg->flags & MOS_TH_RST))
		return false;
	if (mos_seq_diff(seg->tsval, s->ts_recent) >= 0)
		return false;
	return core->now - s->ts_recent_age < stale;
}

/*
 * A RST at the peer's FIN: after the FIN (CLOSE_WAIT, CLOSING, LAST_ACK), a
 * RST at RCV.NXT - 1 counts as exact. It is what a peer that closed sends
 * when our data crosses its FIN: <SEQ=SEG.ACK><CTL=RST>, and that SEG.ACK
 * did not cover its FIN. Linux takes it too (tcp_reset_check()); outside
 * the window by RFC 9293, dropping it would hold the stream in LAST_ACK
 * until our FIN's retransmission.
 */
static bool rst_at_fin(const struct mos_stream *s, const struct tcp_seg *seg)
{
	return (seg->flags & MOS_TH_RST) && seg->seq == s->rcv.nxt - 1 &&
	       (s->state == MOS_TCP_CLOSE_WAIT || s->state == MOS_TCP_CLOSING ||
		s->state == MOS_TCP_LAST_ACK);
}

/* The RST step: RFC 9293 3.10.7.4 second check with RFC 5961 3.2. true: the segment is done. */
static bool rst_step(struct mos_core *core, struct mos_stream *s, const struct tcp_seg *seg)
{
	if (!(seg->flags & MOS_TH_RST))
		return false;
	core->tcp.rst_in++;
	if (s->state == MOS_TCP_TIME_WAIT) {
		/*
		 * RFC 1337 (TIME-WAIT assassination hazards), remedy R1: ignore
		 * RSTs in TIME_WAIT. An old duplicate RST, or the peer's answer
		 * to an old duplicate ACK, would otherwise end the 2 MSL wait
		 * and let old segments into a new incarnation of the tuple.
		 */
		core->tcp.timewait_rst_ignored++;
		return true;
	}
	if (seg->seq != s->rcv.nxt && !rst_at_fin(s, seg)) {
		challenge_ack(core, s);
		return true;
	}
	switch (s->state) {
	case MOS_TCP_SYN_RCVD:
		if (s->flags & MOS_SF_PASSIVE) {	/* back to LISTEN: the child goes */
			tcp_free(core, s);
			return true;
		}
		tcp_fail(core, s, ECONNREFUSED);
		return true;
	case MOS_TCP_CLOSING:
	case MOS_TCP_LAST_ACK:
		if (s->sock == NULL)
			tcp_free(core, s);
		else
			tcp_fail(core, s, 0);
		return true;
	default:
		tcp_fail(core, s, ECONNRESET);
		return true;
	}
}

/* RFC 5681 3.1: slow start below ssthresh, congestion avoidance above. */
static void cc_on_ack(struct mos_stream *s, uint32_t acked)
{
	if (s->cwnd < s->ssthresh)
		s->cwnd += acked < s->mss ? acked : s->mss;
	else
		s->cwnd += (uint32_t)s->mss * s->mss / s->cwnd > 0 ?
			   (uint32_t)s->mss * s->mss / s->cwnd : 1;
}

/* RFC 6582 3.2: an ACK while in fast recovery. */
static void recovery_ack(struct mos_core *core, struct mos_stream *s, uint32_t acked)
{
	if (MOS_SEQ_GEQ(s->snd_una, s->recover)) {	/* full acknowledgment: leave recovery */
		uint32_t flight = tcp_inflight(s);

		s->cwnd = s->ssthresh < flight + s->mss ? s->ssthresh : flight + s->mss;
		s->flags &= ~MOS_SF_IN_RECOVERY;
		s->dupacks = 0;
		return;
	}
	/* partial acknowledgment: the next hole goes at once, the window deflates */
	tcp_retransmit_first(core, s);
	s->cwnd = s->cwnd > acked ? s->cwnd - acked + s->mss : s->mss;
	tcp_rto_arm(core, s);
}

/*
 * Whether the segment SACKs data above anything SACKed before: RFC 6675's
 * definition of a duplicate ACK, which holds even when the window changed
 * (a Linux receiver grows its window while it reports losses).
 */
static bool new_sack(struct mos_stream *s, const struct tcp_seg *seg)
{
	bool more = false;

	/* outside [SND.UNA, SND.MAX] (it starts at 0, or is long passed) it says nothing */
	if (MOS_SEQ_LT(s->sack_high, s->snd_una) || MOS_SEQ_GT(s->sack_high, s->snd_max))
		s->sack_high = s->snd_una;
	for (int i = 0; i < seg->n_sack; i++) {
		uint32_t end = seg->sack[i].end;

		if (MOS_SEQ_GT(end, s->snd_una) && MOS_SEQ_LEQ(end, s->snd_max) &&
		    MOS_SEQ_LT(seg->sack[i].start, end) && MOS_SEQ_GT(end, s->sack_high)) {
			s->sack_high = end;
			more = true;
		}
	}
	return more;
}

/* RFC 5681 3.2 with RFC 6582: three duplicate ACKs start fast retransmit and recovery. */
static void dup_ack(struct mos_core *core, struct mos_stream *s)
{
	uint32_t flight = tcp_inflight(s);

	if (s->flags & MOS_SF_IN_RECOVERY) {
		s->cwnd += s->mss;	/* each further duplicate: one segment left the network */
		tcp_schedule(core, s);
		return;
	}
	if (++s->dupacks < 3) {	/* RFC 3042 limited transmit: new data may go */
		tcp_schedule(core, s);
		return;
	}
	if (s->dupacks != 3 || MOS_SEQ_LT(s->snd_una - 1, s->recover - 1))
		return;
	core->tcp.fast_retransmits++;
	s->ssthresh = flight / 2 > 2u * s->mss ? flight / 2 : 2u * s->mss;
	s->recover = s->snd_max;
	s->flags |= MOS_SF_IN_RECOVERY;
	tcp_retransmit_first(core, s);
	s->cwnd = s->ssthresh + 3u * s->mss;
	tcp_rto_arm(core, s);
}

/* New data acknowledged: release it, time it, open the window, restart or stop the timer. */
static void new_ack(struct mos_core *core, struct mos_stream *s, const struct tcp_seg *seg)
{
	uint32_t acked = seg->ack - s->snd_una;
	uint32_t data_end = mos_sndbuf_end(&s->snd);

	mos_sndbuf_ack(&s->snd, MOS_SEQ_GT(seg->ack, data_end) ? data_end : seg->ack);
	if ((s->flags & MOS_SF_TS) && seg->ts && seg->tsecr != 0)
		tcp_rtt_sample(s, tcp_ts_now(core) - seg->tsecr);	/* RFC 7323 4.1 */
	else if ((s->flags & MOS_SF_RTT_TIMING) && MOS_SEQ_GT(seg->ack, s->rtt_seq)) {
		tcp_rtt_sample(s, (uint32_t)(core->now - s->rtt_start));
		s->flags &= ~MOS_SF_RTT_TIMING;
	}
	snd_una_advance(s, seg->ack);
	s->retries = 0;
	s->soft_error = 0;	/* the path works again: a recorded ICMP error is void (as Linux) */
	if (s->flags & MOS_SF_IN_RECOVERY)
		recovery_ack(core, s, acked);
	else {
		s->dupacks = 0;
		cc_on_ack(s, acked);
	}
	if (s->snd_una == s->snd_max)
		mos_timer_cancel(&core->wheel, &s->rto_timer.t);	/* RFC 6298 5.2 */
	else
		tcp_rto_arm(core, s);	/* 5.3 */
	tcp_schedule(core, s);
	tcp_notify(core, s);
}

/* RFC 9293 3.10.7.4 fifth check, window update included. false: drop the segment. */
static bool ack_step(struct mos_core *core, struct mos_stream *s, const struct tcp_seg *seg)
{
	uint32_t wnd = seg->wnd << s->snd_wscale;
	bool win_changed;

	if (!(seg->flags & MOS_TH_ACK))
		return false;
	if (MOS_SEQ_GT(seg->ack, s->snd_max)) {		/* acknowledges what we never sent */
		core->tcp.drop_future_ack++;
		ack_now(core, s);
		return false;
	}
	if (MOS_SEQ_LT(seg->ack, s->snd_una - s->snd_wnd_max)) {	/* RFC 5961 5.2 */
		core->tcp.drop_old_ack++;
		challenge_ack(core, s);
		return false;
	}
	if (s->snd_una == s->snd_max)
		s->retries = 0;	/* the peer is there: zero-window probes count afresh (RFC 9293 3.8.6.1) */
	if (s->state == MOS_TCP_SYN_RCVD) {
		if (MOS_SEQ_LEQ(seg->ack, s->snd_una)) {
			tcp_send_reset_reply(core, seg);
			return false;
		}
		established(core, s, seg);
		if (s->listener != NULL) {	/* to the accept queue */
			struct mos_stream *l = s->listener;

			TAILQ_INSERT_TAIL(&l->accept_q, s, accept_link);
			s->flags |= MOS_SF_ACCEPT_Q;
			l->n_accept++;
		}
	}
	win_changed = wnd != s->snd_wnd;
	if (MOS_SEQ_GT(seg->ack, s->snd_una))
		new_ack(core, s, seg);
	else if (seg->ack == s->snd_una && seg->len == 0 && s->snd_una != s->snd_max &&
		 !(seg->flags & (MOS_TH_SYN | MOS_TH_FIN)) && (new_sack(s, seg) || !win_changed))
		dup_ack(core, s);
	/* the send window, from the newest segment only (SND.WL1, SND.WL2) */
	if (MOS_SEQ_LT(s->snd_wl1, seg->seq) ||
	    (s->snd_wl1 == seg->seq && MOS_SEQ_LEQ(s->snd_wl2, seg->ack))) {
		if (wnd > s->snd_wnd)
			tcp_schedule(core, s);
		s->snd_wnd = wnd;
		if (wnd > s->snd_wnd_max)
			s->snd_wnd_max = wnd;
		s->snd_wl1 = seg->seq;
		s->snd_wl2 = seg->ack;
	}
	return true;
}

/* Our FIN is acknowledged: the closing states move on. false when s is gone. */
static bool fin_acked_step(struct mos_core *core, struct mos_stream *s)
{
	if (!(s->flags & MOS_SF_FIN_SENT) || s->snd_una != s->snd_max)
		return true;
	switch (s->state) {
	case MOS_TCP_FIN_WAIT_1:
		tcp_set_state(core, s, MOS_TCP_FIN_WAIT_2);
		tcp_orphan_fin_wait_2(core, s);
		return true;
	case MOS_TCP_CLOSING:
		tcp_enter_timewait(core, s);
		return !(s->flags & MOS_SF_DEAD);
	case MOS_TCP_LAST_ACK:
		if (s->sock != NULL) {
			tcp_fail(core, s, 0);
			return false;
		}
		tcp_free(core, s);
		return false;
	default:
		return true;
	}
}

/*
 * RFC 9293 3.10.7.4 seventh check: the payload, and when to acknowledge it.
 * false when s is gone.
 */
static bool data_step(struct mos_core *core, struct mos_stream *s, const struct tcp_seg *seg)
{
	int adv;

	if (seg->len == 0)
		return true;
	if ((s->flags & MOS_SF_FIN_RCVD) ||
	    ((s->flags & MOS_SF_FIN_OOO) && MOS_SEQ_GT(seg->seq + seg->len, s->fin_seq))) {
		core->tcp.data_after_fin++;	/* past the FIN, taken or kept: nothing follows it */
		ack_now(core, s);
		return true;
	}
	if ((s->flags & MOS_SF_APP_CLOSED) && MOS_SEQ_GT(seg->seq + seg->len, s->rcv.nxt)) {
		/*
		 * RFC 1122 4.2.2.13: new data after the application closed can
		 * reach nobody; a RST says so at once, rather than buffering it
		 * for nobody until the FIN_WAIT_2 timer (a server that streams
		 * for ever would otherwise keep the stream for a minute).
		 */
		core->tcp.data_after_close++;
		tcp_send_flags(core, s, MOS_TH_RST | MOS_TH_ACK, s->snd_nxt);
		tcp_free(core, s);
		return false;
	}
	adv = mos_rcvbuf_put(&s->rcv, seg->seq, seg->data, seg->len);
	if (adv > 0)
		tcp_notify(core, s);
	if (adv <= 0 || s->rcv.n_ooo != 0) {
		/* out of order, old or a filled hole: ACK at once (RFC 5681 4.2) */
		if (adv <= 0 && MOS_SEQ_GT(seg->seq, s->rcv.nxt))
			core->tcp.ooo_segs++;
		else if (adv <= 0 && MOS_SEQ_LEQ(seg->seq + seg->len, s->rcv.nxt))
			core->tcp.dup_segs++;	/* all of it held already: a retransmission */
		ack_now(core, s);
		return true;
	}
	/* in order: every second full segment at once, else within MOS_TCP_DELACK */
	if ((s->flags & MOS_SF_ACKED_ONCE) || seg->len < s->mss || (seg->flags & MOS_TH_PSH)) {
		ack_soon(core, s);	/* "at once", or with the answer this round prompts */
		return true;
	}
	s->flags |= MOS_SF_ACKED_ONCE | MOS_SF_DELACK;
	if (!mos_timer_armed(&s->ack_timer.t))
		mos_timer_arm(&core->wheel, &s->ack_timer.t, core->now + MOS_TCP_DELACK);
	return true;
}

/*
 * A FIN ahead of a hole (its data kept out of order by data_step): RFC
 * 9293 3.10.7.4 eighth check processes a FIN once RCV.NXT reaches it, so
 * keep its sequence number and take it when the hole fills, without the
 * peer sending it again (as Linux, whose out-of-order queue holds the FIN).
 */
static void fin_remember(struct mos_core *core, struct mos_stream *s, uint32_t fin_seq)
{
	if (!(s->flags & (MOS_SF_FIN_RCVD | MOS_SF_FIN_OOO)) && MOS_SEQ_GT(fin_seq, s->rcv.nxt)) {
		core->tcp.ooo_fin++;
		s->flags |= MOS_SF_FIN_OOO;
		s->fin_seq = fin_seq;
	}
	ack_now(core, s);
}

/*
 * RFC 9293 3.10.7.4 eighth check: the FIN, when it comes in order, or a
 * kept one when RCV.NXT has reached it. false when s is gone.
 */
static bool fin_step(struct mos_core *core, struct mos_stream *s, const struct tcp_seg *seg)
{
	if (seg->flags & MOS_TH_FIN) {
		if (seg->seq + seg->len != s->rcv.nxt) {
			fin_remember(core, s, seg->seq + seg->len);
			return true;
		}
	} else if (!(s->flags & MOS_SF_FIN_OOO) || s->rcv.nxt != s->fin_seq) {
		/* bytes held beyond it from before the FIN came joined up: that FIN was void */
		if ((s->flags & MOS_SF_FIN_OOO) && MOS_SEQ_GT(s->rcv.nxt, s->fin_seq))
			s->flags &= ~MOS_SF_FIN_OOO;
		return true;
	}
	s->flags &= ~MOS_SF_FIN_OOO;
	if (!(s->flags & MOS_SF_FIN_RCVD)) {
		s->flags |= MOS_SF_FIN_RCVD;
		/* nothing follows a FIN: bytes queued out of order beyond it are void (as Linux's tcp_fin) */
		s->rcv.n_ooo = 0;
		s->rcv.nxt++;
		s->rcv_adv++;
	}
	if (s->state == MOS_TCP_ESTABLISHED)
		ack_soon(core, s);	/* our FIN may carry it, the application closing now */
	else
		ack_now(core, s);
	switch (s->state) {
	case MOS_TCP_SYN_RCVD:
	case MOS_TCP_ESTABLISHED:
		tcp_set_state(core, s, MOS_TCP_CLOSE_WAIT);
		break;
	case MOS_TCP_FIN_WAIT_1:	/* our FIN is not acknowledged yet */
		tcp_set_state(core, s, MOS_TCP_CLOSING);
		break;
	case MOS_TCP_FIN_WAIT_2:
		mos_timer_cancel(&core->wheel, &s->life_timer.t);
		tcp_enter_timewait(core, s);
		return !(s->flags & MOS_SF_DEAD);
	case MOS_TCP_TIME_WAIT:	/* a retransmitted FIN: restart the 2 MSL wait */
		mos_timer_arm(&core->wheel, &s->life_timer.t, core->now + core->tcp_timewait);
		break;
	default:
		break;
	}
	tcp_notify(core, s);
	return true;
}

/* RFC 7323 4.3: remember the peer's timestamp of the segment that advances the left edge. */
static void ts_update(struct mos_core *core, struct mos_stream *s, const struct tcp_seg *seg)
{
	if ((s->flags & MOS_SF_TS) && seg->ts && MOS_SEQ_LEQ(seg->seq, s->rcv.nxt) &&
	    mos_seq_diff(seg->tsval, s->ts_recent) >= 0) {
		s->ts_recent = seg->tsval;
		s->ts_recent_age = core->now;
	}
}

/*
 * Simultaneous open: in SYN-RECEIVED, the peer's SYN-ACK repeats its SYN
 * (already counted in RCV.NXT) and acknowledges ours. Strictly its sequence
 * number is old; like Linux, take it as the ACK that completes the
 * handshake, with the SYN stripped.
 */
static bool simultaneous_synack(const struct mos_stream *s, const struct tcp_seg *seg,
				struct tcp_seg *out)
{
	if (s->state != MOS_TCP_SYN_RCVD || (s->flags & MOS_SF_PASSIVE) ||
	    (seg->flags & (MOS_TH_SYN | MOS_TH_ACK | MOS_TH_RST)) != (MOS_TH_SYN | MOS_TH_ACK) ||
	    seg->seq + 1 != s->rcv.nxt || seg->ack != s->snd_max)
		return false;
	*out = *seg;
	out->flags &= (uint8_t)~MOS_TH_SYN;
	out->seq++;
	out->seg_len--;
	return true;
}

/*
 * The idle timeout runs from the last progress: data or a FIN taken in
 * order, data of ours acknowledged, a new state, a closed window opened.
 * Not from any acceptable segment: a peer that answers every zero-window
 * probe with window 0 for ever, or acknowledges nothing, must still time
 * out (the probes back off to MOS_TCP_RTO_MAX, and a tcp_timeout above it
 * never ran out).
 */
static bool progress(const struct mos_stream *s, uint32_t una, uint32_t nxt, uint8_t state,
		     uint32_t wnd)
{
	return s->snd_una != una || s->rcv.nxt != nxt || s->state != state ||
	       (wnd == 0 && s->snd_wnd != 0);
}

/*
 * RFC 9293 3.10.7.4 sixth check, the URG bit, in the states that take data:
 * this stack implements no urgent data, and delivering the urgent bytes
 * inline unnoticed would hand the application a stream other than the one
 * the peer meant. So the connection is refused: a RST, the stream fails
 * with ECONNABORTED (we ended it, the peer did not: not ECONNRESET), and
 * urg_refused counts it. RFC 6093 5: new applications should not use
 * urgent data. The segment is acceptable by now: no blind RST by URG.
 * false when s has failed.
 */
static bool urg_step(struct mos_core *core, struct mos_stream *s, const struct tcp_seg *seg)
{
	if (!(seg->flags & MOS_TH_URG) || (s->state != MOS_TCP_ESTABLISHED &&
	    s->state != MOS_TCP_FIN_WAIT_1 && s->state != MOS_TCP_FIN_WAIT_2))
		return true;
	core->tcp.urg_refused++;
	tcp_send_flags(core, s, MOS_TH_RST | MOS_TH_ACK, s->snd_nxt);
	tcp_fail(core, s, ECONNABORTED);
	return false;
}

/* Every state from SYN-RECEIVED on (RFC 9293 3.10.7.4). */
static void synced_input(struct mos_core *core, struct mos_stream *s, const struct tcp_seg *seg)
{
	struct tcp_seg stripped;
	uint32_t una = s->snd_una, nxt = s->rcv.nxt, wnd = s->snd_wnd;
	uint8_t state = s->state;

	if (s->state == MOS_TCP_SYN_RCVD && (seg->flags & MOS_TH_SYN) && seg->seq == s->irs &&
	    !(seg->flags & MOS_TH_ACK)) {
		ack_now(core, s);	/* our SYN-ACK was lost: send it again */
		return;
	}
	if (simultaneous_synack(s, seg, &stripped))
		seg = &stripped;
	if (paws_reject(core, s, seg)) {
		core->tcp.drop_paws++;
		if (tcp_oow_ack_allowed(core, s, seg))
			ack_now(core, s);
		return;
	}
	if (!acceptable(s, seg) && !rst_at_fin(s, seg)) {
		core->tcp.drop_unacceptable++;
		if (seg->len != 0 && MOS_SEQ_LEQ(seg->seq + seg->len, s->rcv.nxt))
			core->tcp.dup_segs++;	/* old data again: a duplicate or a retransmission */
		if (!(seg->flags & MOS_TH_RST) && tcp_oow_ack_allowed(core, s, seg))
			ack_now(core, s);
		return;
	}
	if (rst_step(core, s, seg))
		return;
	if (seg->flags & MOS_TH_SYN) {	/* RFC 5961 4.2: any SYN here gets a challenge ACK */
		challenge_ack(core, s);
		return;
	}
	ts_update(core, s, seg);
	if (!ack_step(core, s, seg) || !fin_acked_step(core, s) || !urg_step(core, s, seg))
		return;
	if (s->state == MOS_TCP_ESTABLISHED || s->state == MOS_TCP_FIN_WAIT_1 ||
	    s->state == MOS_TCP_FIN_WAIT_2 || s->state == MOS_TCP_CLOSE_WAIT ||
	    s->state == MOS_TCP_CLOSING || s->state == MOS_TCP_LAST_ACK) {
		if (!data_step(core, s, seg))
			return;
	}
	if (fin_step(core, s, seg) && progress(s, una, nxt, state, wnd))
		tcp_idle_touch(core, s);
}

/* TIME-WAIT: a new SYN above the old sequence space may reopen the tuple (RFC 9293 3.10.7.4). */
static bool timewait_reopen(struct mos_core *core, struct mos_stream *s, const struct tcp_seg *seg)
{
	uint32_t old_max = s->snd_max;
	struct mos_stream *l;

	if (!(seg->flags & MOS_TH_SYN) || (seg->flags & MOS_TH_ACK) ||
	    !MOS_SEQ_GT(seg->seq, s->rcv.nxt))
		return false;
	l = tcp_listener_find(core, seg->in->daddr, s->tuple.key.lport);
	if (l == NULL)
		return false;
	core->tcp.timewait_reused++;
	tcp_free(core, s);
	listen_input(core, l, seg, &old_max);	/* our new ISS above the old sequence space */
	return true;
}

/* The flow of laddr:lport <-> raddr:rport (ports as on the wire), its key in *k; NULL if none. */
static struct mos_tuple_node *flow_lookup(struct mos_core *core, struct mos_tuple_key *k,
					  in_addr_t laddr, in_addr_t raddr, const uint8_t *lport,
					  const uint8_t *rport)
{
	k->laddr = laddr;
	k->raddr = raddr;
	memcpy(&k->lport, lport, 2);
	memcpy(&k->rport, rport, 2);
	return mos_tuple_lookup(&core->tuples, k, mos_tuple_hash(&core->tuples, k));
}

void mos_tcp_input(struct mos_core *core, const struct mos_tcp_in *in, uint64_t now)
{
	struct mos_tuple_key k;
	struct mos_tuple_node *n;
	struct mos_stream *s;
	struct tcp_seg seg;

	core->now = now;
	core->tcp.segs_in++;
	if (tcp_parse(in, &seg, &core->tcp) != 0)
		return;
	n = flow_lookup(core, &k, in->daddr, in->saddr, in->tcp + MOS_TCP_OFF_DPORT,
			in->tcp + MOS_TCP_OFF_SPORT);
	if (n == NULL) {
		struct mos_stream *l = tcp_listener_find(core, k.laddr, k.lport);

		if (l != NULL) {
			listen_input(core, l, &seg, NULL);
			return;
		}
		core->tcp.drop_no_stream++;
		tcp_send_reset_reply(core, &seg);
		return;
	}
	s = stream_of_flow(n);
	if (s->state == MOS_TCP_SYN_SENT)
		syn_sent_input(core, s, &seg);
	else if (s->state != MOS_TCP_TIME_WAIT || !timewait_reopen(core, s, &seg))
		synced_input(core, s, &seg);
}

/*
 * The errno of a destination unreachable's code, as Linux's
 * icmp_err_convert: net and host unreachable (and their "administratively
 * prohibited" forms, RFC 1812 5.2.7.1) say the peer cannot be reached, port
 * unreachable that nothing listens (as a RST would), protocol unreachable
 * that the peer speaks no TCP. 0: a code TCP does not act on.
 */
static int icmp_unreach_errno(uint8_t code)
{
	switch (code) {
	case MOS_ICMP_UNREACH_NET:
	case MOS_ICMP_UNREACH_NET_PROHIB:
		return ENETUNREACH;
	case MOS_ICMP_UNREACH_HOST:
	case MOS_ICMP_UNREACH_HOST_PROHIB:
	case MOS_ICMP_UNREACH_FILTER:
		return EHOSTUNREACH;
	case MOS_ICMP_UNREACH_PROTO:
		return ENOPROTOOPT;
	case MOS_ICMP_UNREACH_PORT:
		return ECONNREFUSED;
	default:
		return 0;
	}
}

/*
 * RFC 1122 4.2.3.9 and RFC 5927: an ICMP destination unreachable that
 * quotes a segment of ours. The stream is the quoted 4-tuple (our side is
 * the quote's source); the quoted sequence number must lie in
 * SND.UNA..SND.MAX (RFC 5927 4.1: else a blind attacker's guess, ignored).
 * In SYN-SENT the error is hard: the connection fails at once, within the
 * round trip, rather than after the SYN retries (as Linux's tcp_v4_err; RFC
 * 1122 says soft, RFC 5461 discusses why stacks make it hard). On a
 * synchronized stream it is soft: recorded, reported only if the stream
 * then times out, forgotten when new data is acknowledged.
 */
void mos_tcp_icmp_error(struct mos_core *core, const struct mos_tcp_in *in, uint64_t now)
{
	struct mos_tuple_key k;
	struct mos_tuple_node *n;
	struct mos_stream *s;
	uint32_t seq;
	int err;

	core->now = now;
	core->tcp.icmp_in++;
	if (in->icmp_code == MOS_ICMP_UNREACH_NEEDFRAG) {
		core->tcp.icmp_frag_needed++;	/* path MTU discovery (RFC 1191): not done yet */
		return;
	}
	err = icmp_unreach_errno(in->icmp_code);
	if (err == 0) {
		core->tcp.icmp_other_code++;
		return;
	}
	/* the quote is our segment: our side is its source */
	n = flow_lookup(core, &k, in->saddr, in->daddr, in->tcp + MOS_TCP_OFF_SPORT,
			in->tcp + MOS_TCP_OFF_DPORT);
	if (n == NULL) {
		core->tcp.icmp_no_stream++;
		return;
	}
	s = stream_of_flow(n);
	seq = mos_get32(in->tcp + MOS_TCP_OFF_SEQ);
	if (s->state == MOS_TCP_LISTEN || MOS_SEQ_LT(seq, s->snd_una) ||
	    MOS_SEQ_GT(seq, s->snd_max)) {
		core->tcp.icmp_bad_seq++;
		return;
	}
	if (s->state == MOS_TCP_SYN_SENT ||
	    (s->state == MOS_TCP_SYN_RCVD && !(s->flags & MOS_SF_PASSIVE))) {
		tcp_fail(core, s, err);
		return;
	}
	core->tcp.icmp_soft++;
	s->soft_error = err;
}
