#!/usr/bin/env python3
"""craft-captures.py - hand-made dnsmon test captures that a kernel cannot produce on demand.

python3 standard library only. Usage: python3 captures/craft-captures.py [OUTDIR]
(OUTDIR defaults to the folder of this script). Output is byte-for-byte deterministic.

  seed-incident.pcapng         replica of the reference incident's tcpdump log (its 2-minute gaps
                               and its client address 192.51.100.15 come from the log)
  icmp-truncated-quote.pcapng  ICMP errors quoting only IP header + 8 bytes (RFC 792 minimum)
  bad-input.pcapng             malformed / hostile / edge-case DNS and ICMP packets
"""
import calendar
import os
import socket
import struct
import sys

MAC_CLIENT = bytes.fromhex("020000000110")
MAC_ROUTER = bytes.fromhex("020000000101")

# ---------------------------------------------------------------- checksums and headers


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def a4(s):
    return socket.inet_pton(socket.AF_INET, s)


def a6(s):
    return socket.inet_pton(socket.AF_INET6, s)


def is6(addr):
    return ":" in addr


def ipv4(src, dst, proto, payload, ident=0, ttl=64):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0x4000 if proto != 1 else 0,
                      ttl, proto, 0, a4(src), a4(dst))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def ipv6(src, dst, nxt, payload, hlim=64):
    return struct.pack("!IHBB16s16s", 0x60000000, len(payload), nxt, hlim, a6(src), a6(dst)) + payload


def pseudo(src, dst, proto, length):
    if is6(src):
        return a6(src) + a6(dst) + struct.pack("!IxxxB", length, proto)
    return a4(src) + a4(dst) + struct.pack("!xBH", proto, length)


def udp(src, dst, sport, dport, payload):
    length = 8 + len(payload)
    hdr = struct.pack("!HHHH", sport, dport, length, 0)
    c = csum(pseudo(src, dst, 17, length) + hdr + payload) or 0xFFFF
    return hdr[:6] + struct.pack("!H", c) + payload


def ip_udp(src, dst, sport, dport, payload, ident=0):
    seg = udp(src, dst, sport, dport, payload)
    if is6(src):
        return ipv6(src, dst, 17, seg)
    return ipv4(src, dst, 17, seg, ident=ident)


def icmp4(src, dst, typ, code, quote, ident=0):
    body = struct.pack("!BBHI", typ, code, 0, 0) + quote
    body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    return ipv4(src, dst, 1, body, ident=ident)


def icmp6(src, dst, typ, code, quote):
    body = struct.pack("!BBHI", typ, code, 0, 0) + quote
    c = csum(pseudo(src, dst, 58, len(body)) + body)
    body = body[:2] + struct.pack("!H", c) + body[4:]
    return ipv6(src, dst, 58, body)


def ether(ip_packet, to_client):
    etype = 0x86DD if (ip_packet[0] >> 4) == 6 else 0x0800
    dst, src = (MAC_CLIENT, MAC_ROUTER) if to_client else (MAC_ROUTER, MAC_CLIENT)
    return dst + src + struct.pack("!H", etype) + ip_packet


# ---------------------------------------------------------------- DNS

TYPES = {"A": 1, "AAAA": 28}


def qname(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def dns(ident, name=None, qtype="A", response=False, rcode=0, answers=(), rd=True, ra=True, qdcount=None):
    flags = (0x8000 if response else 0) | (0x0100 if rd else 0) | (0x0080 if (response and ra) else 0) | rcode
    question = b"" if name is None else qname(name) + struct.pack("!HH", TYPES[qtype], 1)
    if qdcount is None:
        qdcount = 0 if name is None else 1
    rrs = b""
    for rdata in answers:
        t = 28 if is6(rdata) else 1
        raw = a6(rdata) if t == 28 else a4(rdata)
        rrs += b"\xc0\x0c" + struct.pack("!HHIH", t, 1, 300, len(raw)) + raw
    return struct.pack("!6H", ident, flags, qdcount, len(answers), 0, 0) + question + rrs


# ---------------------------------------------------------------- pcapng


def block(btype, body):
    body += b"\0" * (-len(body) % 4)
    n = 12 + len(body)
    return struct.pack("<II", btype, n) + body + struct.pack("<I", n)


def opt(code, value):
    return struct.pack("<HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


def write_pcapng(path, frames, comment):
    """frames: list of (unix time in microseconds, ethernet frame)"""
    shb = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + opt(1, comment.encode()) + \
        opt(4, b"dnsmon captures/craft-captures.py") + opt(0, b"")
    idb = struct.pack("<HHI", 1, 0, 262144) + opt(2, b"cli0") + opt(9, b"\x06") + opt(0, b"")
    out = block(0x0A0D0D0A, shb) + block(1, idb)
    for usec, frame in frames:
        out += block(6, struct.pack("<IIIII", 0, usec >> 32, usec & 0xFFFFFFFF, len(frame), len(frame)) + frame)
    with open(path, "wb") as f:
        f.write(out)


def utc_usec(y, mo, d, h, mi, s, us):
    return (calendar.timegm((y, mo, d, h, mi, s)) * 1000000) + us


class Capture:
    def __init__(self, start):
        self.start = start
        self.frames = []

    def add(self, t, ip_packet, to_client):
        """t: seconds (float) after the start"""
        self.frames.append((self.start + int(round(t * 1e6)), ether(ip_packet, to_client)))
        return ip_packet


# ---------------------------------------------------------------- captures


def seed_incident(outdir):
    # the incident's tcpdump log, on 2024-05-14 (UTC); the log has no date
    cli, srv = "192.51.100.15", "203.0.113.2"
    c = Capture(0)
    times = [((13, 24, 32, 192571), (13, 24, 36, 98564)),
             ((13, 26, 32, 192571), (13, 27, 15, 934126)),
             ((13, 28, 32, 192571), (13, 28, 50, 22967))]
    for n, (q, e) in enumerate(times):
        query = ip_udp(cli, srv, 52444, 53, dns(35084, "yummyrecipesforme.com", "A"), ident=0x1c46 + n)
        c.frames.append((utc_usec(2024, 5, 14, *q), ether(query, False)))
        err = icmp4(srv, cli, 3, 3, query, ident=0x4d20 + n)
        c.frames.append((utc_usec(2024, 5, 14, *e), ether(err, True)))
    write_pcapng(os.path.join(outdir, "seed-incident.pcapng"), c.frames,
                 "dnsmon: replica of the reference incident's tcpdump log (crafted), 2024-05-14 UTC")


def icmp_truncated_quote(outdir):
    cli, rtr = "198.51.100.10", "198.51.100.1"
    c = Capture(utc_usec(2024, 5, 14, 14, 0, 0, 0))
    # txn 1: query to a host nobody holds; the router's host unreachable quotes 20 + 8 bytes
    q = c.add(0.0, ip_udp(cli, "203.0.113.9", 40001, 53, dns(0x1111, "www.example.test"), ident=1), False)
    c.add(3.0, icmp4(rtr, cli, 3, 1, q[:28], ident=101), True)
    # txns 2 and 3: same 5-tuple, two DNS IDs; the truncated admin-prohibited goes to the newest (3)
    c.add(4.0, ip_udp(cli, "203.0.113.2", 40002, 53, dns(0x2222, "a.example.test"), ident=2), False)
    q = c.add(4.5, ip_udp(cli, "203.0.113.2", 40002, 53, dns(0x3333, "b.example.test"), ident=3), False)
    c.add(4.501, icmp4(rtr, cli, 3, 13, q[:28], ident=102), True)
    # a port unreachable about a flow that is not in the capture (full quote of a DNS query)
    ghost = ip_udp(cli, "203.0.113.50", 40099, 53, dns(0x4444, "ghost.example.test"), ident=4)
    c.add(12.0, icmp4("203.0.113.50", cli, 3, 3, ghost, ident=103), True)
    write_pcapng(os.path.join(outdir, "icmp-truncated-quote.pcapng"), c.frames,
                 "dnsmon: ICMP errors quoting IP header + 8 bytes (crafted)")


def bad_input(outdir):
    cli, srv = "198.51.100.10", "203.0.113.2"
    cli6, srv6 = "2001:db8:1::10", "2001:db8:2::3"
    c = Capture(utc_usec(2024, 5, 14, 15, 0, 0, 0))
    # 1: query header only: qdcount=1 but no question (malformed on purpose)
    c.add(0.0, ip_udp(cli, srv, 41001, 53, dns(0x5001, None, qdcount=1), ident=1), False)
    # 2, 3: query, then a response with its key (5-tuple + ID) but another question: mismatch
    c.add(1.0, ip_udp(cli, srv, 41002, 53, dns(0x5002, "www.example.test"), ident=2), False)
    c.add(1.01, ip_udp(srv, cli, 53, 41002, dns(0x5002, "evil.example.net", response=True,
                                                 answers=["192.0.2.66"])), True)
    # 4: unsolicited response (no query for it anywhere)
    c.add(2.0, ip_udp(srv, cli, 53, 41003, dns(0x5003, "www.example.test", response=True,
                                                answers=["203.0.113.80"])), True)
    # 5, 6, 7: query, response, the same response again (duplicate)
    c.add(2.5, ip_udp(cli, srv, 41004, 53, dns(0x5004, "www.example.test"), ident=3), False)
    r = dns(0x5004, "www.example.test", response=True, answers=["203.0.113.80"])
    c.add(2.51, ip_udp(srv, cli, 53, 41004, r), True)
    c.add(2.52, ip_udp(srv, cli, 53, 41004, r), True)
    # 8, 9: query, REFUSED without a question section
    c.add(3.0, ip_udp(cli, srv, 41005, 53, dns(0x5005, "www.example.org"), ident=4), False)
    c.add(3.01, ip_udp(srv, cli, 53, 41005, dns(0x5005, None, response=True, rcode=5, ra=False)), True)
    # 10, 11: query, port unreachable whose quote ends 4 bytes into the UDP header (ports only)
    q = c.add(4.0, ip_udp(cli, srv, 41006, 53, dns(0x5006, "cut.example.test"), ident=5), False)
    c.add(4.01, icmp4(srv, cli, 3, 3, q[:24], ident=201), True)
    # 12, 13: IPv6 query, ICMPv6 port unreachable from the server quoting it in full
    q = c.add(10.0, ip_udp(cli6, srv6, 41007, 53, dns(0x5007, "v6.example.test", "AAAA")), False)
    c.add(10.01, icmp6(srv6, cli6, 1, 4, q), True)
    write_pcapng(os.path.join(outdir, "bad-input.pcapng"), c.frames,
                 "dnsmon: malformed and edge-case DNS/ICMP input (crafted)")


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(outdir, exist_ok=True)
    seed_incident(outdir)
    icmp_truncated_quote(outdir)
    bad_input(outdir)


if __name__ == "__main__":
    main()
