/*
 * mos_tcp_out.c - TCP output: what a stream may send now (SYN, data within
 * the congestion and send windows, FIN, ACKs), segment building with
 * options, checksums (offloaded or in software), resets.
 *
 * On the send path: mtcp_write -> mos_tcp_send -> tcp_schedule ... then
 * mos_loop_poll -> mos_tcp_flush -> tcp_output -> send_segment ->
 * mos_arp_resolve, mos_io_tx_alloc, mos_core_tx_send.
 *
 * There is no Nagle delay (every stream is TCP_NODELAY, as mTCP's): a load
 * generator writes whole requests and wants them on the wire at once.
 */
#include "mos_tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <xxhash.h>

#include "mos_arp.h"
#include "mos_core.h"
#include "mos_io.h"
#include "mos_tcp_priv.h"
#include "mos_wire.h"

/* The timestamp clock: milliseconds (RFC 7323 5.4 wants 1 ms to 1 s per tick). */
uint32_t tcp_ts_now(const struct mos_core *core)
{
	return (uint32_t)(core->now * MOS_TCP_TICK_US / 1000) + 1;	/* never 0 */
}

/*
 * RFC 5961 7: whether a challenge ACK may go now, within the core's budget
 * for this second (MOS_TCP_CHALLENGE_ACK_LIMIT); one over it is counted and
 * not sent. Each second's budget is drawn anew from [limit/2, limit] with
 * the core's secret (as Linux's tcp_send_challenge_ack), so that the number
 * of challenge ACKs an attacker provokes says nothing of what others did.
 */
bool tcp_challenge_ack_allowed(struct mos_core *core)
{
	uint64_t second = core->now / MOS_TCP_TICKS_PER_S + 1;	/* 0: none drawn yet */

	if (second != core->challenge_second) {
		uint64_t r = XXH3_64bits_withSeed(&second, sizeof(second), core->iss_secret);

		core->challenge_second = second;
		core->challenge_left = MOS_TCP_CHALLENGE_ACK_LIMIT / 2 +
				       r % (MOS_TCP_CHALLENGE_ACK_LIMIT / 2 + 1);
	}
	if (core->challenge_left == 0) {
		core->tcp.challenge_ack_limited++;
		return false;
	}
	core->challenge_left--;
	return true;
}

/*
 * The ACK owed to an out-of-window or PAWS-rejected segment (RFC 9293
 * 3.10.7.4 first check, RFC 7323 5.3): at most one per stream each
 * MOS_TCP_INVALID_RATELIMIT ticks, as Linux's tcp_oow_rate_limited, so
 * that two stacks that disagree about the window cannot ACK each other in
 * a loop, and a flood of such segments is not answered one for one. As in
 * Linux, a segment carrying data or a FIN without SYN is always answered:
 * a retransmission of what we hold means our ACK was lost, and it is no
 * part of an ACK loop.
 */
bool tcp_oow_ack_allowed(struct mos_core *core, struct mos_stream *s, const struct tcp_seg *seg)
{
	if (seg->seg_len != 0 && !(seg->flags & MOS_TH_SYN))
		return true;
	if (s->oow_ack_at != 0 && core->now - s->oow_ack_at < MOS_TCP_INVALID_RATELIMIT) {
		core->tcp.oow_ack_limited++;
		return false;
	}
	s->oow_ack_at = core->now;
	return true;
}

/*
 * The window to advertise, before scaling: the receive buffer's free
 * space, but the right edge moves only by a worthwhile step (receiver-side
 * silly window avoidance, RFC 9293 3.8.6.2.2) and never moves left.
 */
uint32_t tcp_rcv_window(const struct mos_stream *s)
{
	uint32_t nxt = s->rcv.nxt;
	uint32_t edge = nxt + mos_rcvbuf_window(&s->rcv);
	uint32_t step = s->rcv.size / 2 < s->mss ? s->rcv.size / 2 : s->mss;

	if (MOS_SEQ_GT(s->rcv_adv, nxt) &&
	    (MOS_SEQ_LT(edge, s->rcv_adv) || mos_seq_diff(edge, s->rcv_adv) < (int32_t)step))
		edge = s->rcv_adv;
	return edge - nxt;
}

/* Options of a SYN or SYN-ACK: MSS, SACK-permitted, timestamps, window scale (Linux's order). */
static int syn_options(struct mos_core *core, const struct mos_stream *s, uint8_t *o, bool synack)
{
	int n = 0;

	o[n++] = TCP_OPT_MSS;
	o[n++] = 4;
	mos_put16(o + n, tcp_our_mss(core, s));
	n += 2;
	if (!synack || (s->flags & MOS_SF_SACK)) {
		o[n++] = TCP_OPT_SACK_PERM;
		o[n++] = 2;
	} else {
		o[n++] = TCP_OPT_NOP;
		o[n++] = TCP_OPT_NOP;
	}
	if (!synack || (s->flags & MOS_SF_TS)) {
		o[n++] = TCP_OPT_TS;
		o[n++] = 10;
		mos_put32(o + n, tcp_ts_now(core));
		mos_put32(o + n + 4, synack ? s->ts_recent : 0);
		n += 8;
	}
	if (!synack || (s->flags & MOS_SF_WSCALE)) {
		o[n++] = TCP_OPT_NOP;
		o[n++] = TCP_OPT_WSCALE;
		o[n++] = 3;
		o[n++] = s->rcv_wscale;
	}
	return n;
}

/*
 * Options of other segments: timestamps, and on segments without data
 * SACK blocks for what we hold out of order (on data segments they would
 * eat into the MSS).
 */
static int data_options(struct mos_core *core, const struct mos_stream *s, uint8_t *o,
			uint32_t len)
{
	struct mos_seq_range blk[TCP_SACK_MAX];
	int n = 0, nb;

	if (s->flags & MOS_SF_TS) {
		o[n++] = TCP_OPT_NOP;
		o[n++] = TCP_OPT_NOP;
		o[n++] = TCP_OPT_TS;
		o[n++] = 10;
		mos_put32(o + n, tcp_ts_now(core));
		mos_put32(o + n + 4, s->ts_recent);
		n += 8;
	}
	if (!(s->flags & MOS_SF_SACK) || s->rcv.n_ooo == 0 || s->state == MOS_TCP_CLOSED || len != 0)
		return n;
	nb = mos_rcvbuf_sack(&s->rcv, blk, n != 0 ? 3 : 4);	/* 40 bytes of options at most */
	core->tcp.sack_out++;
	o[n++] = TCP_OPT_NOP;
	o[n++] = TCP_OPT_NOP;
	o[n++] = TCP_OPT_SACK;
	o[n++] = (uint8_t)(2 + 8 * nb);
	for (int i = 0; i < nb; i++, n += 8) {
		mos_put32(o + n, blk[i].start);
		mos_put32(o + n + 4, blk[i].end);
	}
	return n;
}

/* Checksum in software, or leave the NIC the pseudo-header sum (DPDK's convention). */
static uint32_t tcp_checksum(struct mos_core *core, const struct mos_stream *s, uint8_t *th,
			     uint16_t tcp_len)
{
	uint32_t sum = mos_cksum_pseudo(s->tuple.key.laddr, s->tuple.key.raddr, IPPROTO_TCP, tcp_len);
	uint16_t c;

	if (core->tx_cksum[s->iface]) {
		c = (uint16_t)~mos_cksum_fold(sum);
		mos_put16(th + MOS_TCP_OFF_CKSUM, c);
		return MOS_TX_IP_CKSUM | MOS_TX_TCP_CKSUM;
	}
	c = mos_cksum_fold(mos_cksum_add(sum, th, tcp_len));
	mos_put16(th + MOS_TCP_OFF_CKSUM, c);
	return 0;
}

static void write_tcp_header(const struct mos_stream *s, uint8_t *th, uint32_t seq, uint8_t flags,
			     int optlen, uint32_t wnd)
{
	mos_put16(th + MOS_TCP_OFF_SPORT, ntohs(s->tuple.key.lport));
	mos_put16(th + MOS_TCP_OFF_DPORT, ntohs(s->tuple.key.rport));
	mos_put32(th + MOS_TCP_OFF_SEQ, seq);
	mos_put32(th + MOS_TCP_OFF_ACK, (flags & MOS_TH_ACK) ? s->rcv.nxt : 0);
	th[MOS_TCP_OFF_DOFF] = (uint8_t)(((MOS_TCP_HLEN + optlen) / 4) << 4);
	th[MOS_TCP_OFF_FLAGS] = flags;
	mos_put16(th + MOS_TCP_OFF_WIN, (uint16_t)(wnd > 65535 ? 65535 : wnd));
	mos_put16(th + MOS_TCP_OFF_CKSUM, 0);
	mos_put16(th + MOS_TCP_OFF_URP, 0);
}

/* The window field of a segment, remembering the right edge it advertises. */
static uint32_t window_field(struct mos_stream *s, uint8_t flags)
{
	uint32_t wnd, shift = s->rcv_wscale;

	if (s->state == MOS_TCP_SYN_SENT || s->rcv.size == 0)
		return flags & MOS_TH_SYN ? 65535 : 0;	/* no receive buffer yet */
	if (flags & MOS_TH_SYN)	/* RFC 7323 2.2: a SYN's window is never scaled */
		shift = 0;
	wnd = tcp_rcv_window(s) >> shift;
	if (wnd > 65535)
		wnd = 65535;
	if (MOS_SEQ_GT(s->rcv.nxt + (wnd << shift), s->rcv_adv))
		s->rcv_adv = s->rcv.nxt + (wnd << shift);
	return wnd;
}

/*
 * Build and send one segment: flags at seq with len bytes of the send
 * buffer from seq on. 0, or -ENOBUFS (no buffer: counted, try later).
 */
static int send_segment(struct mos_core *core, struct mos_stream *s, uint32_t seq, uint8_t flags,
			uint32_t len)
{
	uint8_t opts[40];
	struct mos_txbuf tb;
	int optlen;
	uint16_t tcp_len;
	uint32_t ol;
	uint8_t *th;

	if (!mos_arp_resolve(core, s))	/* no MAC yet: lost as on the wire, ARP wakes s */
		return 0;
	if (mos_io_tx_alloc(core, &tb) != 0) {
		core->tcp.no_tx_buf++;
		return -ENOBUFS;
	}
	optlen = (flags & MOS_TH_SYN) ? syn_options(core, s, opts, flags & MOS_TH_ACK) :
		 (flags & MOS_TH_RST) ? 0 : data_options(core, s, opts, len);
	tcp_len = (uint16_t)(MOS_TCP_HLEN + optlen + len);
	th = tb.data + MOS_NET_HDR_MAX;
	write_tcp_header(s, th, seq, flags, optlen, window_field(s, flags));
	memcpy(th + MOS_TCP_HLEN, opts, (size_t)optlen);
	if (len != 0)
		mos_sndbuf_peek(&s->snd, seq, th + MOS_TCP_HLEN + optlen, len);
	ol = tcp_checksum(core, s, th, tcp_len);
	mos_net_write_hdr(&core->net, tb.data, s->iface, s->dst_mac, s->tuple.key.laddr,
			  s->tuple.key.raddr, IPPROTO_TCP, tcp_len, (ol & MOS_TX_IP_CKSUM) != 0);
	mos_core_tx_send(core, s->iface, tb.pkt, (uint16_t)(MOS_NET_HDR_MAX + tcp_len), ol);
	core->tcp.segs_out++;
	if (flags & MOS_TH_RST)
		core->tcp.rst_out++;
	if (flags & MOS_TH_ACK) {	/* this segment carries the ACK we owed */
		s->flags &= ~(MOS_SF_ACK_NOW | MOS_SF_DELACK | MOS_SF_ACKED_ONCE);
		mos_timer_cancel(&core->wheel, &s->ack_timer.t);
	}
	return 0;
}

int tcp_send_flags(struct mos_core *core, struct mos_stream *s, uint8_t flags, uint32_t seq)
{
	return send_segment(core, s, seq, flags, 0);
}

/* Remember what was sent: the highest sequence, the RTT probe, the retransmission timer. */
static void sent(struct mos_core *core, struct mos_stream *s, uint32_t seq, uint32_t used)
{
	s->snd_nxt = seq + used;
	if (MOS_SEQ_GT(s->snd_nxt, s->snd_max)) {
		if (!(s->flags & (MOS_SF_TS | MOS_SF_RTT_TIMING)) && seq == s->snd_max) {
			s->flags |= MOS_SF_RTT_TIMING;
			s->rtt_seq = seq;
			s->rtt_start = core->now;
		}
		s->snd_max = s->snd_nxt;
	}
	if (used != 0)
		s->snd_data_at = core->now;
	if (!mos_timer_armed(&s->rto_timer.t))
		tcp_rto_arm(core, s);
	tcp_idle_touch(core, s);
}

/*
 * RFC 5681 4.1: a sender that has sent no data for longer than the RTO,
 * with nothing outstanding, starts again from cwnd = min(cwnd, RW), the
 * restart window RW being the initial window (RFC 6928): the ACK clock
 * has stopped and what it said of the path is stale.
 */
static void restart_after_idle(struct mos_core *core, struct mos_stream *s)
{
	uint32_t rw = MOS_TCP_INIT_CWND_SEGS * (uint32_t)s->mss;

	if (s->snd_una == s->snd_max && s->snd_data_at != 0 &&
	    core->now - s->snd_data_at > s->rto && s->cwnd > rw)
		s->cwnd = rw;
}

static int output_syn(struct mos_core *core, struct mos_stream *s)
{
	uint8_t flags = s->state == MOS_TCP_SYN_RCVD ? MOS_TH_SYN | MOS_TH_ACK : MOS_TH_SYN;
	int ret;

	if (s->snd_nxt != s->iss) {
		/* the SYN is out; in SYN_RCVD the ACK a duplicate SYN asks for is the SYN-ACK again */
		if (!(s->flags & MOS_SF_ACK_NOW) || s->state != MOS_TCP_SYN_RCVD)
			return 0;
		s->snd_nxt = s->iss;
	}
	ret = send_segment(core, s, s->iss, flags, 0);
	if (ret == 0)
		sent(core, s, s->iss, 1);
	return ret;
}

/* How many bytes from snd_nxt the windows allow now. */
static uint32_t sendable(const struct mos_stream *s)
{
	/* RFC 3042: the first two duplicate ACKs each let one more segment out */
	uint32_t cwnd = s->cwnd + (!(s->flags & MOS_SF_IN_RECOVERY) && s->dupacks < 3 ?
				   (uint32_t)s->dupacks * s->mss : 0);
	uint32_t wnd = s->snd_wnd < cwnd ? s->snd_wnd : cwnd;
	uint32_t end = mos_sndbuf_end(&s->snd);
	int32_t avail = mos_seq_diff(end, s->snd_nxt);
	int32_t room = mos_seq_diff(s->snd_una + wnd, s->snd_nxt);

	if (avail <= 0 || room <= 0)
		return 0;
	return (uint32_t)(avail < room ? avail : room);
}

static bool fin_due(const struct mos_stream *s)
{
	return (s->flags & MOS_SF_FIN_QUEUED) && !(s->flags & MOS_SF_FIN_SENT) &&
	       s->snd_nxt == mos_sndbuf_end(&s->snd);
}

/*
 * Send what s may send: the SYN, data within min(cwnd, snd_wnd), the FIN,
 * or the ACK it owes. Returns 0 or -ENOBUFS (the stream stays scheduled).
 */
int tcp_output(struct mos_core *core, struct mos_stream *s)
{
	uint32_t n, seq;
	int ret = 0;

	if (s->state == MOS_TCP_SYN_SENT || s->state == MOS_TCP_SYN_RCVD)
		return output_syn(core, s);
	if (s->state == MOS_TCP_CLOSED || s->state == MOS_TCP_LISTEN)
		return 0;
	restart_after_idle(core, s);
	while ((n = sendable(s)) != 0) {
		bool last, fin;

		seq = s->snd_nxt;
		if (n > s->mss)
			n = s->mss;
		last = seq + n == mos_sndbuf_end(&s->snd);
		fin = last && (s->flags & (MOS_SF_FIN_QUEUED | MOS_SF_FIN_SENT)) == MOS_SF_FIN_QUEUED;
		/* the FIN rides on the last data segment: one segment less each way */
		ret = send_segment(core, s, seq, (uint8_t)(MOS_TH_ACK | (last ? MOS_TH_PSH : 0) |
				   (fin ? MOS_TH_FIN : 0)), n);
		if (ret != 0)
			return ret;
		if (fin)
			s->flags |= MOS_SF_FIN_SENT;
		sent(core, s, seq, n + fin);
	}
	if (fin_due(s)) {
		seq = s->snd_nxt;
		ret = send_segment(core, s, seq, MOS_TH_FIN | MOS_TH_ACK, 0);
		if (ret == 0) {
			s->flags |= MOS_SF_FIN_SENT;
			sent(core, s, seq, 1);
		}
		return ret;
	}
	if (s->flags & MOS_SF_ACK_NOW)
		ret = send_segment(core, s, s->snd_nxt, MOS_TH_ACK, 0);
	if (s->snd_wnd == 0 && s->snd.len != 0 && !mos_timer_armed(&s->rto_timer.t))
		tcp_rto_arm(core, s);	/* the persist timer: probe the zero window */
	return ret;
}

/* Fast retransmit: the first unacknowledged segment, whatever the windows say. */
void tcp_retransmit_first(struct mos_core *core, struct mos_stream *s)
{
	uint32_t data = mos_seq_diff(mos_sndbuf_end(&s->snd), s->snd_una) > 0 ?
			mos_sndbuf_end(&s->snd) - s->snd_una : 0;
	uint32_t n = data < s->mss ? data : s->mss;

	core->tcp.retransmits++;
	if (n != 0)
		send_segment(core, s, s->snd_una, (uint8_t)(MOS_TH_ACK | ((s->flags & MOS_SF_FIN_SENT) &&
			     n == data ? MOS_TH_FIN : 0)), n);
	else if (s->flags & MOS_SF_FIN_SENT)
		send_segment(core, s, s->snd_una, MOS_TH_FIN | MOS_TH_ACK, 0);
	s->flags &= ~MOS_SF_RTT_TIMING;	/* Karn */
}

/*
 * RFC 9293 3.10.7.1 (and 3.10.7.2 for a listener): a segment for no
 * connection gets a reset, unless it is one: with an ACK, <SEQ=SEG.ACK>
 * <CTL=RST>; without, <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
 */
void tcp_send_reset_reply(struct mos_core *core, const struct tcp_seg *seg)
{
	struct mos_stream tmp;
	const struct mos_tcp_in *in = seg->in;

	if (seg->flags & MOS_TH_RST)
		return;
	memset(&tmp, 0, sizeof(tmp));
	tmp.tuple.key.laddr = in->daddr;
	tmp.tuple.key.raddr = in->saddr;
	memcpy(&tmp.tuple.key.lport, in->tcp + MOS_TCP_OFF_DPORT, 2);
	memcpy(&tmp.tuple.key.rport, in->tcp + MOS_TCP_OFF_SPORT, 2);
	tmp.iface = in->iface;
	memcpy(tmp.dst_mac, in->src_mac, 6);
	tmp.flags = MOS_SF_NEIGH_OK;
	tmp.rcv.nxt = seg->seq + seg->seg_len;
	tmp.state = MOS_TCP_CLOSED;
	if (seg->flags & MOS_TH_ACK)
		send_segment(core, &tmp, seg->ack, MOS_TH_RST, 0);
	else
		send_segment(core, &tmp, 0, MOS_TH_RST | MOS_TH_ACK, 0);
}

/* The next hop answered (mos_arp_check): rewind what was lost as on the wire, send it again. */
void mos_tcp_neigh_resolved(struct mos_core *core, struct mos_stream *s)
{
	if (s->state == MOS_TCP_SYN_SENT || s->state == MOS_TCP_SYN_RCVD)
		s->snd_nxt = s->iss;
	else if (s->snd_nxt != s->snd_una) {
		s->snd_nxt = s->snd_una;
		s->flags &= ~MOS_SF_FIN_SENT;
	}
	tcp_schedule(core, s);
}

/*
 * No transmit buffer (the pool is empty or the NIC queue is backed up): s
 * and the rest of this round's list, still in order, go back in front of
 * what was scheduled meanwhile, for the next round. Stopping here rather
 * than trying every stream keeps a round's cost bounded by what was sent.
 */
static void flush_stop(struct mos_core *core, struct mos_stream *s, struct mos_stream_stailq *round)
{
	if (!(s->flags & MOS_SF_ON_TXLIST)) {
		s->flags |= MOS_SF_ON_TXLIST;
		STAILQ_INSERT_HEAD(round, s, tx_link);
	}	/* else its output scheduled it anew, behind */
	STAILQ_CONCAT(round, &core->tx_list);
	STAILQ_CONCAT(&core->tx_list, round);
}

void mos_tcp_flush(struct mos_core *core)
{
	struct mos_stream_stailq round = STAILQ_HEAD_INITIALIZER(round);
	struct mos_stream *s;

	STAILQ_CONCAT(&round, &core->tx_list);	/* what this round schedules waits for the next */
	while ((s = STAILQ_FIRST(&round)) != NULL) {
		STAILQ_REMOVE_HEAD(&round, tx_link);
		s->flags &= ~MOS_SF_ON_TXLIST;
		if (s->flags & MOS_SF_DEAD) {
			stream_release(core, s);
			continue;
		}
		if (s->flags & MOS_SF_ACK_DEFER) {	/* a bare ACK: the next round (ack_soon) */
			s->flags &= ~MOS_SF_ACK_DEFER;
			if (sendable(s) == 0 && !fin_due(s)) {
				tcp_schedule(core, s);
				continue;
			}
		}
		if (tcp_output(core, s) == -ENOBUFS) {
			flush_stop(core, s, &round);
			return;
		}
	}
}
