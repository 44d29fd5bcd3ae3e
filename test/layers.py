#!/usr/bin/env python3
"""layers.py - the module map holds: no call circle, no oversized file.

Reads the objects of the build under test (E2E_BUILD, default build/): module A
depends on module B when A's object uses a symbol B's object defines (nm).
The modules of one layer that docs/ARCHITECTURE.md names as such count as one
node: TCP (mos_tcp, mos_tcp_in, mos_tcp_out share mos_tcp_priv.h), the socket
layer (mos_socket and mos_epoll: an epoll instance is a socket id of the same
table, as in mOS), the configuration parser and the DPDK boundary. One upward
call is allowed, the stack's notification of the socket layer
(mos_sock_notify); any other circle is a failure, printed with the symbols
that make it.

Also: no .c file of the product over MAX_LINES lines.

Prints "ok ..." or "FAIL ..." per check and "layers: N passed, N failed".
"""
import glob
import os
import subprocess
import sys

MAX_LINES = 1000
GROUPS = {
    "mos_tcp_in": "mos_tcp", "mos_tcp_out": "mos_tcp",
    "mos_epoll": "mos_socket",
    "conf_lex": "conf", "conf_parse": "conf", "conf_epwget": "conf",
    "mos_io": "mos_dpdk", "mos_dpdk_mp": "mos_dpdk",
}
ALLOWED = {("mos_tcp", "mos_socket"): {"mos_sock_notify"}}
# what is not a module of the product
SKIP = ("epwget-mp", "mos_probe")

passed = failed = 0


def ok(msg):
    global passed
    passed += 1
    print("ok   " + msg)


def bad(msg, lines=()):
    global failed
    failed += 1
    print("FAIL " + msg)
    for line in lines:
        print("  " + line)


def graph(objs):
    """{module: {module: set(symbols)}} from the objects' symbol tables."""
    defs, undef = {}, {}
    for o in objs:
        m = os.path.basename(o)[:-2]
        m = GROUPS.get(m, m)
        out = subprocess.run(["nm", o], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            f = line.split()
            if len(f) == 3 and f[1] in "TDBRC":
                defs[f[2]] = m
            elif len(f) == 2 and f[0] == "U":
                undef.setdefault(m, set()).add(f[1])
    g = {}
    for m, syms in undef.items():
        for s in syms:
            d = defs.get(s)
            if d is not None and d != m:
                g.setdefault(m, {}).setdefault(d, set()).add(s)
    return g


def circles(g):
    """Strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in g.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in list(g):
        if v not in index:
            visit(v)
    return out


def without_allowed(g):
    h = {a: {b: set(s) for b, s in bs.items()} for a, bs in g.items()}
    for (a, b), syms in ALLOWED.items():
        if b in h.get(a, {}):
            h[a][b] -= syms
            if not h[a][b]:
                del h[a][b]
    return h


def main():
    build = os.environ.get("E2E_BUILD", "build")
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    # the objects of today's sources only (a renamed module leaves its old one)
    objs = [o for o in sorted(glob.glob(os.path.join(build, "*.o")))
            if os.path.basename(o)[:-2] not in SKIP and
            os.path.exists(os.path.basename(o)[:-2] + ".c")]
    if len(objs) < 10:
        bad(f"objects of {build}/: found {len(objs)}; run 'make' first")
    else:
        # the check itself: a made-up circle must be found
        if circles({"a": {"b": {"x"}}, "b": {"a": {"y"}}}) != [["a", "b"]]:
            bad("the circle finder finds a two-module circle")
        g = without_allowed(graph(objs))
        found = circles(g)
        if not found:
            ok(f"no call circle among {len(objs)} objects but the stack's notification of "
               "the socket layer")
        for comp in found:
            lines = []
            for a in comp:
                for b, syms in sorted(g.get(a, {}).items()):
                    if b in comp:
                        lines.append(f"{a} -> {b}: {' '.join(sorted(syms))}")
            bad("call circle: " + " ".join(comp), lines)
    big = []
    for c in sorted(glob.glob("*.c")):
        with open(c, encoding="utf-8") as f:
            n = sum(1 for _ in f)
        if n > MAX_LINES:
            big.append(f"{c}: {n} lines")
    if big:
        bad(f"every .c file within {MAX_LINES} lines", big)
    else:
        ok(f"every .c file within {MAX_LINES} lines")
    print(f"layers: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
