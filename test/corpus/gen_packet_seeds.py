#!/usr/bin/env python3
"""Write the seed inputs of fuzz_packet into test/corpus/packet/.

The input format is fuzz_packet.c's (its header comment): a program of
operations on a core that holds a connection in every TCP state. Each seed
below is one meaningful exchange: a handshake on the listener, the closing
sequences of each state, loss recovery on the busy connection, resets,
zero windows, ARP and ICMP frames. Run from the repository root:
    python3 test/corpus/gen_packet_seeds.py
"""
import os
import struct

# connection indexes (enum conn_id in fuzz_packet.c)
SYN_SENT, SYN_RCVD, EST, EST_BUSY, FIN_WAIT_1, FIN_WAIT_2, CLOSING, CLOSE_WAIT, \
    LAST_ACK, TIME_WAIT, EST_PASSIVE, EST_UNACCEPTED, NEW, CLOSED_PORT = range(14)
# the application's socket slots after the build
S_LISTENER, S_SYN_SENT, S_EST, S_EST_BUSY, S_CLOSE_WAIT, S_EST_PASSIVE = range(6)

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
MAC_A = bytes([2, 0, 0, 0, 0, 1])
MAC_B = bytes([2, 0, 0, 0, 0, 2])
IP_A = bytes([10, 0, 0, 1])
IP_B = bytes([10, 0, 0, 2])


def seg(c, flags, seq=0, ack=0, wnd=65535, ts=None, sack=None, opts=b"", sport=None,
        payload=b"", gen=None, bad_cksum=False, doff=None):
    """One TCP segment from the peer of connection c; seq/ack are offsets."""
    ctl = 0
    tail = b""
    if ts is not None:
        ctl |= 0x01
        tail += struct.pack(">bB", ts[0], ts[1])
    if sack is not None:
        ctl |= 0x02
        tail += struct.pack(">hH", sack[0], sack[1])
    if opts:
        ctl |= 0x04
        tail += bytes([len(opts)]) + opts
    if sport is not None:
        ctl |= 0x08
        tail += struct.pack(">H", sport)
    if gen is not None:
        ctl |= 0x10
        tail += struct.pack(">H", gen[0]) + bytes([gen[1]])
    else:
        tail += struct.pack(">H", len(payload)) + payload
    if doff is not None:
        ctl |= 0x20
        tail += bytes([doff])
    if bad_cksum:
        ctl |= 0x40
    return bytes([0, c, flags]) + struct.pack(">iiHB", seq, ack, wnd, ctl) + tail


def raw(frame, our_eth=False, arp=False, fix=False):
    mode = (1 if our_eth else 0) | (2 if fix else 0) | (4 if arp else 0)
    return bytes([4, mode]) + struct.pack(">H", len(frame) + (14 if our_eth else 0)) + frame


def wait(v):
    """Time passes: v < 128 is v + 1 ms, above that (v - 127)^2 * 8 ms."""
    return bytes([5, v])


def app(what, slot, n=0):
    """0 send n bytes, 1 recv up to n, 2 close, 3 abort, 4 accept into slot."""
    return bytes([6, what, slot]) + struct.pack(">H", n)


POLL = bytes([7])
SYN_OPTS = bytes([2, 4, 5, 0xb4, 4, 2, 1, 3, 3, 7])	# MSS 1460, SACK-permitted, NOP, WS 7
REQUEST = b"GET / HTTP/1.0\r\nHost: 10.0.0.1\r\n\r\n"


def ip_hdr(proto, l4len, src=IP_B, dst=IP_A, opts=b"", frag=0x4000, ttl=64):
    h = struct.pack(">BBHHHBBH4s4s", 0x45 + len(opts) // 4, 0, 20 + len(opts) + l4len, 1,
                    frag, ttl, proto, 0, src, dst) + opts
    return h


def cksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def with_cksum(h, off):
    c = cksum(h)
    return h[:off] + struct.pack(">H", c) + h[off + 2:]


SEEDS = {
    # a client on the listener: SYN with options, the ACK, a request, the answer, both FINs
    "handshake_listener": seg(NEW, SYN, seq=1000, wnd=64240, ts=(0, 0), opts=SYN_OPTS)
    + seg(NEW, ACK, ack=1, wnd=502, ts=(5, 0))
    + seg(NEW, PSH | ACK, wnd=502, ts=(10, 0), payload=REQUEST)
    + app(4, 6) + app(4, 7) + app(1, 7, 4096) + app(0, 7, 1200) + POLL
    + seg(NEW, ACK, ack=1200, wnd=502, ts=(20, 0))
    + seg(NEW, FIN | ACK, wnd=502, ts=(21, 0))
    + app(1, 7, 100) + app(2, 7) + seg(NEW, ACK, ack=1, ts=(30, 0)),
    # SYN_SENT: the SYN-ACK, then data
    "syn_sent_synack": seg(SYN_SENT, SYN | ACK, seq=5000, ack=1, ts=(0, 0), opts=SYN_OPTS)
    + seg(SYN_SENT, PSH | ACK, payload=b"HTTP/1.0 200 OK\r\n\r\n"),
    "syn_sent_rst": seg(SYN_SENT, RST | ACK, ack=1) + app(1, S_SYN_SENT, 10),
    "syn_sent_timeout": wait(140) + wait(160) + wait(200) + wait(255),
    "syn_sent_simultaneous": seg(SYN_SENT, SYN, seq=7000, opts=SYN_OPTS)
    + seg(SYN_SENT, SYN | ACK, seq=-1, ack=1, opts=SYN_OPTS),
    # SYN_RCVD: the ACK that completes it, a repeated SYN, a reset
    "syn_rcvd_ack": seg(SYN_RCVD, ACK, ack=1) + app(4, 6) + app(0, 6, 3000),
    "syn_rcvd_dup_syn": seg(SYN_RCVD, SYN, seq=-1, opts=SYN_OPTS) + seg(SYN_RCVD, RST),
    # ESTABLISHED: in order, out of order, the hole filled, a window update
    "est_data": seg(EST, PSH | ACK, payload=b"0123456789" * 50)
    + seg(EST, ACK, seq=1000, gen=(1000, 7)) + seg(EST, ACK, gen=(1000, 9))
    + app(1, S_EST, 4000) + app(0, S_EST, 2000) + seg(EST, ACK, ack=2000),
    "est_ooo_many": b"".join(seg(EST, ACK, seq=200 * i + 100, gen=(50, i)) for i in range(1, 10))
    + seg(EST, ACK, gen=(2000, 3)),
    "est_zero_window": seg(EST, ACK, wnd=0) + app(0, S_EST, 8000) + wait(127) + wait(140)
    + wait(180) + seg(EST, ACK, wnd=4000) + wait(10),
    "est_rst_checks": seg(EST, RST, seq=100) + seg(EST, SYN, opts=SYN_OPTS)
    + seg(EST, ACK, ack=100000) + seg(EST, ACK, ack=-20000000) + seg(EST, RST),
    "est_paws": seg(EST, ACK, ts=(-100, 0), payload=b"old") + seg(EST, ACK, ts=(100, 0),
                                                                       payload=b"new"),
    "est_bad_segments": seg(EST, ACK, doff=4) + seg(EST, ACK, doff=15, payload=b"abc")
    + seg(EST, ACK, opts=bytes([2, 40, 0, 0])) + seg(EST, SYN | FIN)
    + seg(EST, 0, payload=b"no flags") + seg(EST, ACK, payload=b"bad", bad_cksum=True),
    "est_fin_then_data": seg(EST, FIN | ACK) + seg(EST, ACK, payload=b"late")
    + app(1, S_EST, 10) + app(2, S_EST) + seg(EST, ACK, ack=1),
    # the busy connection: partial ACK, duplicate ACKs with SACK, the hole filled
    # (the peer's window is 32768 << 3; a changed window needs a new SACK block to count)
    "busy_recovery": seg(EST_BUSY, ACK, ack=1448, wnd=32768)
    + seg(EST_BUSY, ACK, sack=(1448, 52), wnd=40000)
    + seg(EST_BUSY, ACK, sack=(1448, 104), wnd=32768)
    + seg(EST_BUSY, ACK, sack=(1448, 104), wnd=32768)
    + seg(EST_BUSY, ACK, ack=1552, gen=(1000, 1)) + app(1, S_EST_BUSY, 8192),
    "busy_rto": wait(130) + wait(135) + seg(EST_BUSY, ACK, ack=3000) + wait(255),
    # found by fuzzing: out-of-order data at RCV.NXT + 1, then the FIN at RCV.NXT
    "regress_fin_with_ooo_at_nxt_plus_1": seg(EST_BUSY, ACK, seq=1, payload=b"y")
    + seg(EST_BUSY, FIN | ACK),
    # the closing states
    "fin_wait_1_acked": seg(FIN_WAIT_1, ACK, ack=501) + seg(FIN_WAIT_1, FIN | ACK)
    + wait(255),
    "fin_wait_1_fin": seg(FIN_WAIT_1, FIN | ACK, ack=200) + seg(FIN_WAIT_1, ACK, ack=301),
    "fin_wait_2_fin": seg(FIN_WAIT_2, FIN | ACK, payload=b"last bytes") + wait(200),
    "fin_wait_2_orphan": wait(255) + wait(200),
    "closing_ack": seg(CLOSING, ACK, ack=1) + seg(CLOSING, FIN | ACK, seq=-1),
    "close_wait_close": app(1, S_CLOSE_WAIT, 200) + app(2, S_CLOSE_WAIT)
    + seg(CLOSE_WAIT, ACK, ack=1),
    "close_wait_send": app(0, S_CLOSE_WAIT, 700) + seg(CLOSE_WAIT, ACK, ack=700),
    "last_ack_ack": seg(LAST_ACK, ACK, ack=1) + seg(LAST_ACK, RST, seq=0),
    "time_wait_fin_again": seg(TIME_WAIT, FIN | ACK, seq=-1) + wait(100)
    + seg(TIME_WAIT, SYN, seq=100000, opts=SYN_OPTS) + seg(TIME_WAIT, ACK, seq=100001, ack=1),
    "time_wait_rst": seg(TIME_WAIT, RST) + wait(255),
    # passive connections: data, close; the unaccepted one is reset with its listener
    "passive_data": seg(EST_PASSIVE, PSH | ACK, payload=REQUEST) + app(1, S_EST_PASSIVE, 100)
    + app(0, S_EST_PASSIVE, 5000) + seg(EST_PASSIVE, ACK, ack=2896)
    + seg(EST_UNACCEPTED, FIN | ACK) + app(2, S_LISTENER),
    # a passive connection through to TIME_WAIT, then a new SYN above it reopens the tuple
    "passive_time_wait_reopen": seg(NEW, SYN, seq=1000, opts=SYN_OPTS) + seg(NEW, ACK, ack=1)
    + app(4, 6) + app(4, 7) + app(2, 7) + seg(NEW, ACK, ack=1) + seg(NEW, FIN | ACK)
    + seg(NEW, SYN, seq=100000, opts=SYN_OPTS) + seg(NEW, ACK, ack=1),
    "closed_port": seg(CLOSED_PORT, SYN, opts=SYN_OPTS) + seg(CLOSED_PORT, ACK, ack=5)
    + seg(CLOSED_PORT, RST),
    "listener_backlog": b"".join(seg(NEW, SYN, sport=51000 + i, opts=SYN_OPTS) for i in range(12)),
    # raw frames: ARP, ICMP echo, IPv4 with options, a fragment, a SYN
    "raw_arp_request": raw(struct.pack(">HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, MAC_B, IP_B,
                                       b"\0" * 6, IP_A) + b"\0" * 18, our_eth=True, arp=True),
    "raw_arp_reply_new": raw(struct.pack(">HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2,
                                         bytes([2, 0, 0, 0, 0, 9]), bytes([10, 0, 0, 9]),
                                         MAC_A, IP_A), our_eth=True, arp=True),
    "raw_icmp_echo": raw(MAC_A + MAC_B + b"\x08\x00" + with_cksum(ip_hdr(1, 16), 10)
                         + with_cksum(struct.pack(">BBHHH", 8, 0, 0, 0x1234, 1) + b"pingpong",
                                      2)),
    "raw_icmp_ip_options": raw(ip_hdr(1, 12, opts=b"\x01\x01\x01\x00")
                               + struct.pack(">BBHHH", 8, 0, 0, 7, 7) + b"abcd",
                               our_eth=True, fix=True),
    "raw_fragment": raw(ip_hdr(6, 20, frag=0x2000) + b"\0" * 20, our_eth=True, fix=True),
    "raw_syn": raw(ip_hdr(6, 20) + struct.pack(">HHIIBBHHH", 50001, 80, 1, 0, 0x50, SYN,
                                                 65535, 0, 0), our_eth=True, fix=True),
    "raw_ipv6_and_broadcast": raw(b"\xff" * 6 + MAC_B + b"\x86\xdd" + b"\0" * 40)
    + raw(b"\x01" + b"\0" * 11 + b"\x08\x00" + b"\0" * 20),
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "packet")
os.makedirs(out, exist_ok=True)
for name, data in SEEDS.items():
    prefix = "" if name.startswith("regress_") else "seed-"
    with open(os.path.join(out, prefix + name), "wb") as f:
        f.write(data)
print("%d seeds in %s" % (len(SEEDS), out))
