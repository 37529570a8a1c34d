#!/usr/bin/env python3
"""craft-hostile.py - hand-made hostile and edge-case dnsmon test captures (issue 9 and the
lookup rules of docs/design.md), which no kernel produces on demand.

python3 standard library only; reuses the packet helpers of craft-captures.py. Usage:
python3 captures/craft-hostile.py [OUTDIR] (OUTDIR defaults to the folder of this script).
Output is byte-for-byte deterministic. The expected verdicts are in captures/README.md.

  icmp-in-icmp.pcapng     ICMP / ICMPv6 errors quoting an ICMP error that quotes a DNS query
  tunnels.pcapng          DNS inside VXLAN, GTP-U, Teredo, GRE and IP-in-IP
  dotted-label.pcapng     a label containing a literal dot against the same name in 3 labels
  bounced-missing.pcapng  ICMP from the client quoting a response that is not in the capture
  icmp-redirect.pcapng    ICMP redirect and ICMPv6 redirect quoting DNS queries (not errors)
  far-future.pcapng       timestamps in 1970 and after the year 2262
  backwards-time.pcapng   timestamps going backwards (a merged capture)
  key-reuse.pcapng        many names on one 5-tuple and DNS ID
"""
import importlib.util
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("craft_captures", os.path.join(HERE, "craft-captures.py"))
cc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cc)

csum, a4, a6, pseudo = cc.csum, cc.a4, cc.a6, cc.pseudo
ipv4, ipv6, udp, ip_udp, icmp4, icmp6, ether = cc.ipv4, cc.ipv6, cc.udp, cc.ip_udp, cc.icmp4, cc.icmp6, cc.ether
dns, utc_usec, Capture, write_pcapng = cc.dns, cc.utc_usec, cc.Capture, cc.write_pcapng

CLI, RTR, SRV = "198.51.100.10", "198.51.100.1", "203.0.113.2"
CLI6, RTR6, SRV6 = "2001:db8:1::10", "2001:db8:1::1", "2001:db8:2::2"


def out(outdir, name):
    return os.path.join(outdir, name)


def dns_labels(ident, labels, qtype=1, response=False, answers=(), rcode=0):
    """A DNS message whose question is given as a list of labels (a label may contain a dot)."""
    flags = (0x8180 if response else 0x0100) | rcode
    q = b"".join(bytes([len(l)]) + l.encode() for l in labels) + b"\0" + struct.pack("!HH", qtype, 1)
    rrs = b""
    for addr in answers:
        rrs += b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 300, 4) + a4(addr)
    return struct.pack("!6H", ident, flags, 1, len(answers), 0, 0) + q + rrs


def answer(ident, name, qtype="A", addr=None):
    addr = addr or ("2001:db8:2::81" if qtype == "AAAA" else "203.0.113.80")
    return dns(ident, name, qtype, response=True, answers=[addr])


def icmp4_rest(src, dst, typ, code, rest, quote, ident=0):
    """ICMPv4 with a given 4-byte rest-of-header (the gateway of a redirect)."""
    body = struct.pack("!BBH", typ, code, 0) + rest + quote
    body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    return ipv4(src, dst, 1, body, ident=ident)


# ---------------------------------------------------------------- pcapng with any timestamps


def write_pcapng_ifaces(path, frames, comment, ifaces):
    """frames: (interface index, timestamp in microseconds, ethernet frame);
    ifaces: list of (name, tsoffset seconds or None)."""
    blk, opt = cc.block, cc.opt
    shb = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + opt(1, comment.encode()) + \
        opt(4, b"dnsmon captures/craft-hostile.py") + opt(0, b"")
    data = blk(0x0A0D0D0A, shb)
    for name, tsoffset in ifaces:
        o = opt(2, name.encode()) + opt(9, b"\x06")
        if tsoffset is not None:
            o += opt(14, struct.pack("<q", tsoffset))
        data += blk(1, struct.pack("<HHI", 1, 0, 262144) + o + opt(0, b""))
    for iface, usec, frame in frames:
        data += blk(6, struct.pack("<IIIII", iface, usec >> 32, usec & 0xFFFFFFFF, len(frame), len(frame)) + frame)
    with open(path, "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- captures


def icmp_in_icmp(outdir):
    c = Capture(utc_usec(2024, 5, 14, 16, 0, 0, 0))
    # 1, 2: a query; a host unreachable from the router quoting a port unreachable "from the server"
    # quoting that query. ICMP about ICMP: nobody sends it (RFC 1122), dnsmon leaves it alone.
    q = c.add(0.0, ip_udp(CLI, SRV, 45001, 53, dns(0x7001, "www.example.test"), ident=1), False)
    middle = icmp4(SRV, CLI, 3, 3, q, ident=301)
    c.add(0.5, icmp4(RTR, CLI, 3, 1, middle, ident=302), True)
    # 3, 4: the same over IPv6: address unreachable quoting a port unreachable quoting an AAAA query
    q = c.add(1.0, ip_udp(CLI6, SRV6, 45002, 53, dns(0x7002, "v6.example.test", "AAAA")), False)
    middle = icmp6(SRV6, CLI6, 1, 4, q)
    c.add(1.5, icmp6(RTR6, CLI6, 1, 3, middle), True)
    # 5, 6: an ordinary port unreachable still works
    q = c.add(2.0, ip_udp(CLI, "203.0.113.3", 45003, 53, dns(0x7003, "ref.example.test"), ident=2), False)
    c.add(2.001, icmp4("203.0.113.3", CLI, 3, 3, q, ident=303), True)
    # 7, 8: an answered query 7 s after the first one: the capture's end
    c.add(7.0, ip_udp(CLI, SRV, 45004, 53, dns(0x7004, "end.example.test"), ident=3), False)
    c.add(7.001, ip_udp(SRV, CLI, 53, 45004, answer(0x7004, "end.example.test")), True)
    write_pcapng(out(outdir, "icmp-in-icmp.pcapng"), c.frames,
                 "dnsmon: ICMP errors quoting ICMP errors (crafted)")


TUN_A, TUN_B = "192.0.2.1", "192.0.2.2"       # outer tunnel endpoints (TEST-NET-1)


def vxlan(inner_ip, to_client, vni=4242):
    dst, src = (b"\x02\x00\x00\x00\x03\x10", b"\x02\x00\x00\x00\x03\x01")
    if not to_client:
        dst, src = src, dst
    inner = dst + src + b"\x08\x00" + inner_ip
    payload = struct.pack("!II", 0x08000000, vni << 8) + inner
    s, d = (TUN_B, TUN_A) if to_client else (TUN_A, TUN_B)
    return ip_udp(s, d, 49152 if not to_client else 49153, 4789, payload)


def gtpu(inner_ip, to_client, teid=0x1234):
    payload = struct.pack("!BBHI", 0x30, 0xFF, len(inner_ip), teid) + inner_ip
    s, d = (TUN_B, TUN_A) if to_client else (TUN_A, TUN_B)
    return ip_udp(s, d, 2152, 2152, payload)


def teredo(inner_ip6, to_client):
    if to_client:
        return ip_udp(TUN_B, TUN_A, 3544, 50000, inner_ip6)
    return ip_udp(TUN_A, TUN_B, 50000, 3544, inner_ip6)


def gre(inner_ip, to_client):
    s, d = (TUN_B, TUN_A) if to_client else (TUN_A, TUN_B)
    return ipv4(s, d, 47, struct.pack("!HH", 0, 0x0800) + inner_ip)


def ipip(inner_ip, to_client):
    s, d = (TUN_B, TUN_A) if to_client else (TUN_A, TUN_B)
    return ipv4(s, d, 4, inner_ip)


def tunnels(outdir):
    c = Capture(utc_usec(2024, 5, 14, 16, 10, 0, 0))
    t = 0.0
    for n, (wrap, cli, ident) in enumerate([(vxlan, "198.51.100.21", 0xb001), (gtpu, "198.51.100.22", 0xb002),
                                            (None, None, 0xb003),
                                            (gre, "198.51.100.24", 0xb004), (ipip, "198.51.100.25", 0xb005)]):
        port = 50021 + n
        if wrap is None:            # Teredo: IPv6 inside UDP port 3544
            q = ip_udp("2001:db8:1::23", SRV6, port, 53, dns(ident, "v6.example.test", "AAAA"))
            r = ip_udp(SRV6, "2001:db8:1::23", 53, port, answer(ident, "v6.example.test", "AAAA"))
            c.add(t, teredo(q, False), False)
            c.add(t + 0.01, teredo(r, True), True)
        else:
            q = ip_udp(cli, SRV, port, 53, dns(ident, "www.example.test"), ident=n + 1)
            r = ip_udp(SRV, cli, 53, port, answer(ident, "www.example.test"), ident=n + 101)
            c.add(t, wrap(q, False), False)
            c.add(t + 0.01, wrap(r, True), True)
        t += 0.1
    # 11, 12: a query through VXLAN to a server port with nothing behind it; the port unreachable
    # comes back through the tunnel
    q = ip_udp("198.51.100.26", "203.0.113.3", 50026, 53, dns(0xb006, "www.example.test"), ident=6)
    c.add(0.5, vxlan(q, False), False)
    c.add(0.501, vxlan(icmp4("203.0.113.3", "198.51.100.26", 3, 3, q, ident=106), True), True)
    write_pcapng(out(outdir, "tunnels.pcapng"), c.frames,
                 "dnsmon: DNS inside VXLAN, GTP-U, Teredo, GRE, IP-in-IP (crafted)")


def dotted_label(outdir):
    c = Capture(utc_usec(2024, 5, 14, 16, 20, 0, 0))
    three, two = ["www", "example", "com"], ["www.example", "com"]
    # 1, 2: query www/example/com, response with the same key whose question is www.example/com
    c.add(0.0, ip_udp(CLI, SRV, 46001, 53, dns_labels(0x8001, three), ident=1), False)
    c.add(0.01, ip_udp(SRV, CLI, 53, 46001, dns_labels(0x8001, two, response=True,
                                                       answers=["192.0.2.66"])), True)
    # 3, 4: the other way round
    c.add(1.0, ip_udp(CLI, SRV, 46002, 53, dns_labels(0x8002, two), ident=2), False)
    c.add(1.01, ip_udp(SRV, CLI, 53, 46002, dns_labels(0x8002, three, response=True,
                                                       answers=["192.0.2.66"])), True)
    # 5, 6: control: same labels, answered; 7 s after the first query
    c.add(7.0, ip_udp(CLI, SRV, 46003, 53, dns_labels(0x8003, three), ident=3), False)
    c.add(7.01, ip_udp(SRV, CLI, 53, 46003, dns_labels(0x8003, three, response=True,
                                                       answers=["203.0.113.80"])), True)
    write_pcapng(out(outdir, "dotted-label.pcapng"), c.frames,
                 "dnsmon: a DNS label containing a literal dot (crafted)")


def bounced_missing(outdir):
    c = Capture(utc_usec(2024, 5, 14, 16, 30, 0, 0))
    # 1, 2: a query; its response is not in the capture, but the client's port unreachable quoting
    # it (in full) is: the response bounced
    c.add(0.0, ip_udp(CLI, SRV, 47001, 53, dns(0x9001, "www.example.test"), ident=1), False)
    resp = ip_udp(SRV, CLI, 53, 47001, answer(0x9001, "www.example.test"), ident=401)
    c.add(1.5, icmp4(CLI, SRV, 3, 3, resp, ident=11), False)
    # 3, 4: the same, the quote holding only IP header + 8 bytes (no DNS ID)
    c.add(2.0, ip_udp(CLI, SRV, 47002, 53, dns(0x9002, "v6.example.test"), ident=2), False)
    resp = ip_udp(SRV, CLI, 53, 47002, answer(0x9002, "v6.example.test", addr="203.0.113.81"), ident=402)
    c.add(3.5, icmp4(CLI, SRV, 3, 3, resp[:28], ident=12), False)
    # 5, 6: an answered query, the capture's end
    c.add(9.0, ip_udp(CLI, SRV, 47003, 53, dns(0x9003, "end.example.test"), ident=3), False)
    c.add(9.001, ip_udp(SRV, CLI, 53, 47003, answer(0x9003, "end.example.test")), True)
    write_pcapng(out(outdir, "bounced-missing.pcapng"), c.frames,
                 "dnsmon: bounced responses that are not in the capture (crafted)")


def icmp_redirect(outdir):
    c = Capture(utc_usec(2024, 5, 14, 16, 40, 0, 0))
    # 1-3: query, ICMP host redirect (type 5 code 1, gateway 198.51.100.2) quoting it, the answer
    q = c.add(0.0, ip_udp(CLI, SRV, 48001, 53, dns(0xa001, "redirect.example.test"), ident=1), False)
    c.add(0.0002, icmp4_rest(RTR, CLI, 5, 1, a4("198.51.100.2"), q, ident=501), True)
    c.add(0.001, ip_udp(SRV, CLI, 53, 48001, answer(0xa001, "redirect.example.test")), True)
    # 4-6: the same over IPv6: ICMPv6 redirect (137) with a Redirected Header option quoting the query
    q = c.add(1.0, ip_udp(CLI6, SRV6, 48002, 53, dns(0xa002, "redirect6.example.test", "AAAA")), False)
    quoted = q                                  # 88 bytes: a multiple of 8, nothing to cut or pad
    assert len(quoted) % 8 == 0
    rh = struct.pack("!BB6x", 4, (8 + len(quoted)) // 8) + quoted
    body = struct.pack("!BBHI", 137, 0, 0, 0) + a6("fe80::2") + a6(SRV6) + rh
    c6 = csum(pseudo("fe80::1", CLI6, 58, len(body)) + body)
    body = body[:2] + struct.pack("!H", c6) + body[4:]
    c.add(1.0002, ipv6("fe80::1", CLI6, 58, body, hlim=255), True)
    c.add(1.001, ip_udp(SRV6, CLI6, 53, 48002, answer(0xa002, "redirect6.example.test", "AAAA")), True)
    write_pcapng(out(outdir, "icmp-redirect.pcapng"), c.frames,
                 "dnsmon: ICMP redirects quoting DNS queries (crafted)")


def far_future(outdir):
    frames = []

    def add(iface, usec, ip_packet, to_client):
        frames.append((iface, usec, ether(ip_packet, to_client)))
    # interface 1 has if_tsoffset = -2 s: its timestamp 1.5 s is 1969-12-31 23:59:59.5 UTC
    add(1, 1500000, ip_udp(CLI, "203.0.113.5", 49000, 53, dns(0xc000, "old.example.test"), ident=1), False)
    # 1970-01-01 00:00:00.5 UTC: a query to a dropping server, never answered
    add(0, 500000, ip_udp(CLI, "203.0.113.5", 49001, 53, dns(0xc001, "www.example.test"), ident=2), False)
    # 2300-01-01 00:00:00 UTC (after 2262-04-11, where nanoseconds overflow a signed 64-bit integer)
    t = utc_usec(2300, 1, 1, 0, 0, 0, 0)
    add(0, t, ip_udp(CLI, SRV, 49002, 53, dns(0xc002, "www.example.test"), ident=3), False)
    add(0, t + 20000, ip_udp(SRV, CLI, 53, 49002, answer(0xc002, "www.example.test")), True)
    add(0, t + 3000000, ip_udp(CLI, "203.0.113.5", 49003, 53, dns(0xc003, "v6.example.test"), ident=4), False)
    write_pcapng_ifaces(out(outdir, "far-future.pcapng"), frames,
                        "dnsmon: timestamps before 1970, in 1970 and in 2300 (crafted)",
                        [("cli0", None), ("cli0-offset", -2)])


def backwards_time(outdir):
    c = Capture(utc_usec(2024, 5, 14, 16, 50, 0, 0))
    c.add(10.0, ip_udp(CLI, SRV, 43001, 53, dns(0x6001, "a.example.test"), ident=1), False)      # 1
    c.add(10.01, ip_udp(SRV, CLI, 53, 43001, answer(0x6001, "a.example.test")), True)            # 2
    q = c.add(5.0, ip_udp(CLI, "203.0.113.3", 43002, 53, dns(0x6002, "b.example.test"), ident=2), False)  # 3
    c.add(5.001, icmp4("203.0.113.3", CLI, 3, 3, q, ident=601), True)                             # 4
    c.add(11.0, ip_udp(CLI, "203.0.113.5", 43003, 53, dns(0x6003, "c.example.test"), ident=3), False)     # 5
    c.add(10.5, ip_udp(CLI, "203.0.113.5", 43003, 53, dns(0x6003, "c.example.test"), ident=4), False)     # 6
    c.add(9.0, ip_udp(CLI, SRV, 43004, 53, dns(0x6004, "a.example.test"), ident=5), False)       # 7
    c.add(17.0, ip_udp(CLI, SRV, 43005, 53, dns(0x6005, "d.example.test"), ident=6), False)      # 8
    c.add(17.001, ip_udp(SRV, CLI, 53, 43005, answer(0x6005, "d.example.test")), True)           # 9
    c.add(11.5, ip_udp(CLI, "203.0.113.5", 43006, 53, dns(0x6006, "e.example.test"), ident=7), False)     # 10
    write_pcapng(out(outdir, "backwards-time.pcapng"), c.frames,
                 "dnsmon: timestamps going backwards, as in a merged capture (crafted)")


def key_reuse(outdir):
    c = Capture(utc_usec(2024, 5, 14, 17, 0, 0, 0))
    key = 0xd001

    def q(t, name, qtype="A", ident=0):
        c.add(t, ip_udp(CLI, SRV, 44001, 53, dns(key, name, qtype), ident=ident), False)

    def r(t, name, qtype="A"):
        c.add(t, ip_udp(SRV, CLI, 53, 44001, answer(key, name, qtype)), True)
    q(0.0, "www.example.test", ident=1)          # 1  txn 1
    q(1.0, "a.example.test", ident=2)            # 2  txn 2
    q(1.5, "b.example.test", ident=3)            # 3  txn 3
    q(2.0, "c.example.test", "AAAA", ident=4)    # 4  txn 4
    q(4.0, "www.example.test", ident=5)          # 5  txn 1 attempt 2
    r(4.5, "b.example.test")                     # 6  txn 3
    q(7.0, "www.example.test", ident=6)          # 7  txn 1 attempt 3 (3 s after attempt 2)
    r(7.05, "www.example.test")                  # 8  txn 1
    r(7.1, "d.example.test")                     # 9  no such question: newest with the key (txn 4), mismatch
    q(8.0, "a.example.test", ident=7)            # 10 txn 5 (txn 2's last attempt is 7 s old)
    r(8.01, "a.example.test")                    # 11 txn 5
    c.add(13.0, ip_udp(CLI, SRV, 44002, 53, dns(0xd002, "end.example.test"), ident=8), False)    # 12 txn 6
    c.add(13.001, ip_udp(SRV, CLI, 53, 44002, answer(0xd002, "end.example.test")), True)          # 13
    write_pcapng(out(outdir, "key-reuse.pcapng"), c.frames,
                 "dnsmon: many names on one 5-tuple and DNS ID (crafted)")


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else HERE
    os.makedirs(outdir, exist_ok=True)
    for fn in (icmp_in_icmp, tunnels, dotted_label, bounced_missing, icmp_redirect, far_future,
               backwards_time, key_reuse):
        fn(outdir)


if __name__ == "__main__":
    main()
