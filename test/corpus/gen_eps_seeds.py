#!/usr/bin/env python3
"""Seeds of fuzz_eps_http and fuzz_epserver (test/fuzz_eps_http.c and
test/fuzz_epserver.c say how an input is read). Run from the repository
root: python3 test/corpus/gen_eps_seeds.py"""
import os

WGET = (b"GET /index.html HTTP/1.0\r\nUser-Agent: Wget/1.12 (linux-gnu)\r\nAccept: */*\r\n"
        b"Host: 10.0.0.4\r\nConnection: Close\r\n\r\n")
KA = b"GET / HTTP/1.1\n\n"                      # 16 bytes, keep-alive
BAD = b" GET / HTTP/1.1\r\n\r\n"                # bad at its first byte

http = {
    "wget": b"\x00" + WGET,
    "pipelined": b"\x07" + b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nHEAD /b?q=1 HTTP/1.1\n\n"
                 b"GET /c HTTP/1.1\r\nConnection: close\r\n\r\n",
    "http10_keepalive": b"\x03GET /a HTTP/1.0\r\nConnection: Keep-Alive, Upgrade\r\n\r\n",
    "empty_lines_first": b"\x05\r\n\r\nGET / HTTP/1.0\r\n\r\n",
    "shortest": b"\x01G / HTTP/1.0\n\nG / HTTP/1.1\n\n",
    "bad_version": b"\x02GET / HTTP/1.10\r\n\r\n",
    "body": b"\x09GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello",
    "chunked": b"\x0aPOST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
    "obs_fold": b"\x0bGET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n",
    "target_too_long": b"\x0cGET /" + b"a" * 300 + b" HTTP/1.1\r\n\r\n",
    "header_at_limit": b"\x0dGET / HTTP/1.1\r\nX: " + b"x" * (8192 - 25) + b"\r\n\r\n",
    "many_then_bad": b"\x0e" + KA * 40 + BAD,
}


def eps(ops, stream, fin=False):
    return bytes([len(ops), 1 if fin else 0]) + bytes(ops) + stream


def op(kind, a):
    return (a << 2) | kind


trickle = []
for _ in range(60):
    trickle += [op(0, 2), op(1, 20), op(2, 1)]
server = {
    "one_http10": eps([], WGET),
    "keepalive_three_fin": eps([], KA * 3 + b"GET /f6", fin=True),
    "issue11_32_then_bad": eps([], KA * 32 + BAD),
    "40_then_bad": eps([], KA * 40 + BAD),
    "70_head_404_then_bad": eps([], b"HEAD /nope HTTP/1.1\n\n" * 70 + BAD),
    "trickled_big": eps(trickle, b"GET /big HTTP/1.1\r\n\r\n" * 3 + b"GET /sub/ HTTP/1.1\n\n" * 2),
    "post_501_stops": eps([op(0, 40), op(2, 3), op(3, 0)],
                          KA * 2 + b"POST / HTTP/1.1\r\n\r\n" + KA),
    "partial_writes_many": eps([op(0, 63), op(1, 5), op(2, 7)] * 20, b"GET /f64 HTTP/1.1\n\n" * 50),
    "empty_and_close": eps([], b"GET /empty HTTP/1.1\n\nGET / HTTP/1.1\r\nConnection: close\r\n\r\n"),
}

for name, files in (("eps_http", http), ("epserver", server)):
    d = os.path.join("test", "corpus", name)
    os.makedirs(d, exist_ok=True)
    for k, v in files.items():
        with open(os.path.join(d, "seed-" + k), "wb") as f:
            f.write(v)
