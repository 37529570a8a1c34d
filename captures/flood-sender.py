#!/usr/bin/env python3
"""flood-sender.py - a random-subdomain ("water torture") flood through a resolver.

python3 standard library only. make-resolver-captures.sh runs it in the client namespace:

  flood-sender.py --server ADDR --source ADDR --zone flood.test --count 2000 --rate 500
                  [--sockets 4] [--wait 3] [--seed N]

Sends COUNT queries (type A, RD=1, no EDNS) for <random 12 letters/digits>.ZONE at RATE a
second, round-robin over SOCKETS sockets (source ports), then keeps reading answers for WAIT
seconds after the last query; prints one summary line (queries sent, answers by rcode, none).
Every name is distinct. Only the given documentation addresses are ever used.
"""
import argparse
import random
import select
import socket
import struct
import sys
import time

RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}
ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def query(qid, name):
    wire = b"".join(bytes([len(label)]) + label.encode("ascii")
                    for label in name.rstrip(".").split(".")) + b"\x00"
    return struct.pack("!6H", qid, 0x0100, 1, 0, 0, 0) + wire + struct.pack("!2H", 1, 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--server", required=True)
    ap.add_argument("--source", required=True)
    ap.add_argument("--zone", required=True)
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--rate", type=float, default=500.0)
    ap.add_argument("--sockets", type=int, default=4)
    ap.add_argument("--wait", type=float, default=3.0)
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    rng = random.Random(args.seed)

    socks = []
    for _ in range(args.sockets):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((args.source, 0))
        s.setblocking(False)
        socks.append(s)
    pending = {}          # (socket index, id) -> name
    answers = {}
    names = set()

    def drain(timeout):
        r, _, _ = select.select(socks, [], [], timeout)
        for s in r:
            while True:
                try:
                    data = s.recv(4096)
                except (BlockingIOError, ConnectionRefusedError):
                    break
                if len(data) < 12:
                    continue
                qid, flags = struct.unpack("!2H", data[:4])
                if pending.pop((socks.index(s), qid), None) is not None:
                    rc = RCODES.get(flags & 0xF, str(flags & 0xF))
                    answers[rc] = answers.get(rc, 0) + 1

    start = time.monotonic()
    for i in range(args.count):
        while True:
            name = "".join(rng.choice(ALPHABET) for _ in range(12)) + "." + args.zone
            if name not in names:
                names.add(name)
                break
        k = i % len(socks)
        while True:
            qid = rng.randrange(65536)
            if (k, qid) not in pending:
                break
        pending[(k, qid)] = name
        socks[k].sendto(query(qid, name), (args.server, 53))
        due = start + (i + 1) / args.rate
        while True:
            left = due - time.monotonic()
            if left <= 0:
                break
            drain(left)
    sent_for = time.monotonic() - start
    end = time.monotonic() + args.wait
    while pending and time.monotonic() < end:
        drain(max(0.0, end - time.monotonic()))
    print("flood %s via %s: %d queries in %.2f s; answers %s; no answer %d" % (
        args.zone, args.server, args.count, sent_for,
        " ".join("%s=%d" % kv for kv in sorted(answers.items())) or "none", len(pending)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
