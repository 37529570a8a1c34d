#!/usr/bin/env python3
"""Writes the committed seed corpus of the libFuzzer targets (fuzz/corpus/).

  python3 fuzz/make-seeds.py [CAPTURE...]     (default: captures/*.pcapng)

fuzz_parse:   the DNS messages (UDP payloads, TCP payloads without their
              length prefix), ICMP/ICMPv6 messages and TCP headers of the
              captures, deduplicated, at most MAX_PARSE files.
fuzz_tracker: every capture as an event program, as the glue (extract.c)
              would feed it (innermost IP layer; ICMP errors with what their
              quote holds; TCP segments to or from port 53, then the DNS
              messages in them), cut into programs of at most 3 KB; and the
              hand-written programs below (hostile cases: ghosts from read
              filters, time going backwards and beyond 2262, key reuse,
              water torture, NAT, bounces, TCP refused and silent, TC
              fallback, zone transfers, finish/flush/report/retap mid-way).

The program format is fuzz_tracker.c's; README.md in this folder has it.
Standard library only; output is deterministic. Old seeds written by this
script (names starting with "cap-" or "hand-") are replaced; others (kept
from fuzzing runs) stay.
"""
import glob
import gzip
import hashlib
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
MAX_PARSE = 200
MAX_PROGRAM = 3000

# ---- reading captures ---------------------------------------------------


def read_capture(path):
    """(linktype, seconds, nanoseconds, bytes) for every packet."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic == b"\x0a\x0d\x0d\x0a":
        yield from read_pcapng(data)
    else:
        yield from read_pcap(data)


def read_pcap(data):
    m = struct.unpack("<I", data[:4])[0]
    if m in (0xa1b2c3d4, 0xa1b23c4d):
        e = "<"
    else:
        e = ">"
        m = struct.unpack(">I", data[:4])[0]
    nano = m == 0xa1b23c4d
    link = struct.unpack(e + "I", data[20:24])[0] & 0xffff
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        yield link, sec, frac if nano else frac * 1000, data[off:off + incl]
        off += incl


def read_pcapng(data):
    off = 0
    e = "<"
    ifaces = []
    while off + 12 <= len(data):
        btype = struct.unpack(e + "I", data[off:off + 4])[0]
        if btype == 0x0a0d0d0a:
            e = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            ifaces = []
        blen = struct.unpack(e + "I", data[off + 4:off + 8])[0]
        if blen < 12:
            break
        body = data[off + 8:off + blen - 4]
        if btype == 1:
            link = struct.unpack(e + "H", body[:2])[0]
            res = 6
            opts = body[8:]
            o = 0
            while o + 4 <= len(opts):
                code, olen = struct.unpack(e + "HH", opts[o:o + 4])
                if code == 0:
                    break
                if code == 9 and olen >= 1:
                    v = opts[o + 4]
                    res = (2 ** (v & 0x7f)) if v & 0x80 else (10 ** v)
                    res = ("pow", res)
                o += 4 + ((olen + 3) & ~3)
            ifaces.append((link, res))
        elif btype == 6 and len(body) >= 20:
            iface, hi, lo, caplen, _ = struct.unpack(e + "IIIII", body[:20])
            link, res = ifaces[iface] if iface < len(ifaces) else (1, 6)
            ticks = (hi << 32) | lo
            per_sec = res[1] if isinstance(res, tuple) else 10 ** res
            sec, rem = divmod(ticks, per_sec)
            yield link, sec, rem * 1000000000 // per_sec, body[20:20 + caplen]
        elif btype == 3 and len(body) >= 4 and ifaces:
            yield ifaces[0][0], 0, 0, body[4:]
        off += blen


# ---- decoding packets as the glue sees them -----------------------------


def ip_layer(link, pkt):
    """The network-layer bytes of a frame, or None."""
    if link == 1:                       # Ethernet
        off, et = 14, struct.unpack(">H", pkt[12:14])[0] if len(pkt) >= 14 else 0
        while et in (0x8100, 0x88a8) and len(pkt) >= off + 4:
            et = struct.unpack(">H", pkt[off + 2:off + 4])[0]
            off += 4
        return pkt[off:] if et in (0x0800, 0x86dd) else None
    if link in (101, 228, 229, 12, 14):  # raw IP
        return pkt
    if link == 113 and len(pkt) >= 16:  # Linux cooked
        return pkt[16:] if struct.unpack(">H", pkt[14:16])[0] in (0x0800, 0x86dd) else None
    if link == 276 and len(pkt) >= 20:  # Linux cooked v2
        return pkt[20:] if struct.unpack(">H", pkt[0:2])[0] in (0x0800, 0x86dd) else None
    if link in (0, 108) and len(pkt) >= 4:  # BSD loopback
        return pkt[4:]
    return None


def parse_ip(b):
    """(family, src, dst, proto, payload) of an IPv4/IPv6 header."""
    if len(b) >= 20 and b[0] >> 4 == 4:
        ihl = (b[0] & 15) * 4
        total = struct.unpack(">H", b[2:4])[0]
        if ihl < 20 or len(b) < ihl:
            return None
        if struct.unpack(">H", b[6:8])[0] & 0x1fff:
            return None
        end = min(len(b), total) if total >= ihl else len(b)
        return 4, b[12:16], b[16:20], b[9], b[ihl:end]
    if len(b) >= 40 and b[0] >> 4 == 6:
        nxt, off = b[6], 40
        for _ in range(8):
            if nxt in (0, 43, 60) and off + 2 <= len(b):
                nxt, off = b[off], off + (b[off + 1] + 1) * 8
            elif nxt == 44 and off + 8 <= len(b):
                nxt, off = b[off], off + 8
            else:
                break
        plen = struct.unpack(">H", b[4:6])[0]
        return 6, b[8:24], b[24:40], nxt, b[off:40 + plen] if plen else b[off:]
    return None


def innermost(ip):
    """Follows IP-in-IP, GRE, VXLAN, GTP-U and Teredo to the innermost IP."""
    for _ in range(4):
        p = parse_ip(ip)
        if not p:
            return None
        fam, src, dst, proto, pl = p
        if proto in (4, 41):
            ip = pl
            continue
        if proto == 47 and len(pl) >= 4 and struct.unpack(">H", pl[2:4])[0] in (0x0800, 0x86dd):
            ip = pl[4 + (4 if pl[0] & 0x80 else 0) + (4 if pl[0] & 0x20 else 0)
                    + (4 if pl[0] & 0x10 else 0):]
            continue
        if proto == 17 and len(pl) >= 8:
            sp, dp = struct.unpack(">HH", pl[:4])
            body = pl[8:]
            if 4789 in (sp, dp) and len(body) >= 8 + 14:
                eth = body[8:]
                inner = ip_layer(1, eth)
                if inner:
                    ip = inner
                    continue
            if 2152 in (sp, dp) and len(body) >= 8 and body[1] == 0xff:
                ip = body[8 + (4 if body[0] & 7 else 0):]
                continue
            if 3544 in (sp, dp) and body[:1] and body[0] >> 4 == 6:
                ip = body
                continue
        return p
    return None


def dns_name(msg, off):
    """(labels as bytes list, offset after) or None; follows pointers."""
    labels, after, jumps = [], 0, 0
    while True:
        if off >= len(msg):
            return None
        n = msg[off]
        if n & 0xc0 == 0xc0:
            if off + 1 >= len(msg) or jumps > 30:
                return None
            jumps += 1
            after = after or off + 2
            off = ((n & 0x3f) << 8) | msg[off + 1]
            continue
        if n & 0xc0:
            return None
        off += 1
        if n == 0:
            return labels, after or off
        labels.append(msg[off:off + n])
        off += n


def wire(labels):
    return b"".join(bytes([len(l)]) + l for l in labels) + b"\0"


def parse_dns(msg):
    """A dict like dm_dns_parsed, or None when shorter than a header."""
    if len(msg) < 12:
        return None
    ident, flags, qd, an, ns, ar = struct.unpack(">HHHHHH", msg[:12])
    d = {"id": ident, "qr": flags >> 15, "opcode": (flags >> 11) & 15, "tc": (flags >> 9) & 1,
         "rcode": flags & 15, "an": an, "labels": None, "bad": False, "qtype": 0, "qclass": 0,
         "ede": None}
    if not qd:
        return d
    n = dns_name(msg, 12)
    if not n or n[1] + 4 > len(msg):
        d["bad"] = True
        return d
    d["labels"] = n[0]
    d["qtype"], d["qclass"] = struct.unpack(">HH", msg[n[1]:n[1] + 4])
    off = n[1] + 4
    for _ in range(an + ns + ar):
        r = dns_name(msg, off)
        if not r or r[1] + 10 > len(msg):
            break
        off = r[1]
        rtype, _, _, rdlen = struct.unpack(">HHIH", msg[off:off + 10])
        rdata = msg[off + 10:off + 10 + rdlen]
        if rtype == 41:
            o = 0
            while o + 4 <= len(rdata):
                code, olen = struct.unpack(">HH", rdata[o:o + 4])
                if code == 15 and olen >= 2:
                    d["ede"] = (struct.unpack(">H", rdata[o + 4:o + 6])[0],
                                rdata[o + 6:o + 4 + olen])
                    break
                o += 4 + olen
        off += 10 + rdlen
    return d


# ---- the program assembler (fuzz_tracker.c's format) --------------------

NAMES = ["www.example.com", "WWW.EXAMPLE.COM", "example.com", "yummyrecipesforme.com",
         "<Root>", "www\\.example.com", "a", "Www.Example.Com", "xn--bcher-kva.example", None,
         "\\000\\255.example", "_dmarc.example.org"]
QTYPES = [1, 28, 1, 252, 251, 255, 0]
CPORTS = [52444, 33333, 1024, 53, 5353, 5355, 0, 65535, 40000, 40001, 40002, 40003, 12345,
          853, 1]
SPORTS = [53, 53, 53, 53, 53, 53, 5353, 5355, 853, 0, 65535, 1053, 52444, 33333, 54]
IDS = [0x890c, 0x0001, 0x0000, 0xffff, 0x1234, 0x1235, 0xabcd, 0x0002]
FRAME, QUERY, RESPONSE, ICMP, TCP, FINISH, FLUSH, REPORT, RETAP = 0, 2, 5, 8, 10, 12, 13, 14, 15


class Flow:
    """A flow in the program's terms: pool indexes, or a raw server."""

    def __init__(self, tcp=False, v6=False, client=0, server=2, cport=52444, sport=53,
                 raw_server=None):
        self.tcp, self.v6, self.client, self.server = tcp, v6, client, server
        self.cport, self.sport, self.raw_server = cport, sport, raw_server

    def encode(self):
        b = (1 if self.tcp else 0) | (2 if self.v6 else 0) | (self.client & 3) << 2 \
            | (self.server & 3) << 4 | (0x80 if self.raw_server else 0)
        out = bytes([b]) + (self.raw_server or b"")
        ci = CPORTS.index(self.cport) if self.cport in CPORTS else 15
        si = SPORTS.index(self.sport) if self.sport in SPORTS else 15
        out += bytes([ci | si << 4])
        if ci == 15:
            out += struct.pack(">H", self.cport)
        if si == 15:
            out += struct.pack(">H", self.sport)
        return out

    def swapped_tcp(self, tcp):
        return Flow(tcp, self.v6, self.client, self.server, self.cport, self.sport,
                    self.raw_server)


LAST = "last"   # the latest flow / ID / name again


def enc_id(ident):
    if ident is LAST:
        return b"\x40"
    if ident in IDS:
        return bytes([IDS.index(ident)])
    return b"\x80" + struct.pack(">H", ident)


def enc_question(name, qtype=1, qclass=1):
    """name: a pool name (str), labels (list of bytes), None (no question),
    'bad' (a question that did not parse), or LAST."""
    if name is None:
        return b"\x0c"
    if name == "bad":
        return b"\x0d"
    extra = b""
    if name is LAST:
        m = 15
    elif isinstance(name, str) and name in NAMES:
        m = NAMES.index(name)
    else:
        w = wire(name)[:255]
        m, extra = 14, bytes([len(w)]) + w
    t = QTYPES.index(qtype) if qtype in QTYPES else 7
    b = m | t << 4 | (0x80 if qclass != 1 else 0)
    out = bytes([b]) + extra
    if t == 7:
        out += struct.pack(">H", qtype)
    if qclass != 1:
        out += struct.pack(">H", qclass)
    return out


class Program:
    def __init__(self, timeout=5, window=5, slow=5, lookup=5):
        self.b = bytearray([timeout, window, slow, lookup])

    def frame(self, frames=1, ms=None, back_ms=None, secs=None, at=None, extreme=None,
              skip_tap=False, hours=None):
        """frames: 0 repeats the number (a read filter's ghost), 1.. steps."""
        if frames == 0:
            fm, fx = 0, b""
        elif frames == 1:
            fm, fx = 1, b""
        elif frames <= 256:
            fm, fx = 2, bytes([frames - 1])
        else:
            fm, fx = 3, struct.pack(">I", frames)
        if ms is not None:
            tm, tx = 1, struct.pack(">H", ms)
        elif secs is not None:
            tm, tx = 2, bytes([secs])
        elif back_ms is not None:
            tm, tx = 3, struct.pack(">H", back_ms)
        elif hours is not None:
            tm, tx = 5, struct.pack(">H", hours)
        elif at is not None:
            tm, tx = 6, struct.pack(">qI", at[0], at[1])
        elif extreme is not None:
            tm, tx = 7, bytes([extreme])
        else:
            tm, tx = 0, b""
        self.b += bytes([FRAME, fm | tm << 2 | (0x20 if skip_tap else 0)]) + fx + tx
        return self

    def query(self, flow, ident, name="www.example.com", qtype=1, qclass=1, ws=False, opcode=0):
        f = b"\x40" if flow is LAST else flow.encode()
        self.b += bytes([QUERY]) + f + enc_id(ident) + enc_question(name, qtype, qclass) \
            + bytes([(1 if ws else 0) | opcode << 1])
        return self

    def response(self, flow, ident, name="www.example.com", qtype=1, qclass=1, rcode=0, an=1,
                 tc=False, ws=False, ede=None, opcode=0):
        f = b"\x40" if flow is LAST else flow.encode()
        ai = {0: 0, 1: 1, 2: 2}.get(an, 3 if an > 2 else 1)
        flags = rcode | (0x10 if tc else 0) | (0x20 if ws else 0) | ai << 6
        g = opcode << 1 | (1 if ede else 0)
        out = bytes([RESPONSE]) + f + enc_id(ident) + enc_question(name, qtype, qclass) \
            + bytes([flags, g])
        if ede:
            code, textb = ede
            textb = textb[:100]
            out += struct.pack(">HB", code, len(textb)) + textb
        self.b += out
        return self

    def icmp(self, flow=LAST, v6=False, tc=None, response=False, reporter="server",
             router=0, quote="full", ident=LAST, name=LAST, qtype=1, qr_flip=False, syn=False):
        """tc: (type, code) raw, else port unreachable. quote: 'short' (no
        DNS header), 'header' (no question), 'full' (the latest name), or
        'other' (name given)."""
        b = (1 if v6 else 0) | (0x10 if tc else 0) | (0x40 if response else 0)
        extra = bytes(tc) if tc else b""
        if flow is LAST:
            b |= 0x20
        else:
            if flow.tcp:
                b |= 0x80
            extra += flow.encode()
        w = {"server": 0, "client": 1, "router": 2, "router-own": 3}[reporter] | router << 2
        if response and reporter in ("server", "client"):
            # the quote is oriented server -> client: its dst is the client
            w = {"server": 1, "client": 0}[reporter] | router << 2
        c = {"short": 0, "full": 1, "header": 2, "other": 3}[quote] | (4 if syn else 0) \
            | (8 if qr_flip else 0)
        tail = b""
        if quote != "short" and ident is not LAST:
            c |= 0x10
            tail += struct.pack(">H", ident)
        if quote == "full" and qtype != 1:
            c |= 0x20
            tail += struct.pack(">H", qtype)
        if quote == "other":
            tail += enc_question(name, qtype)
        self.b += bytes([ICMP, b]) + extra + bytes([w, c]) + tail
        return self

    def tcp(self, flow, from_client=True, syn=False, ack=False, rst=False, fin=False):
        b = (1 if from_client else 0) | (2 if syn else 0) | (4 if ack else 0) \
            | (8 if rst else 0) | (16 if fin else 0)
        if flow is LAST:
            self.b += bytes([TCP, b | 0x20])
        else:
            self.b += bytes([TCP, b]) + flow.encode()
        return self

    def op(self, code):
        self.b += bytes([code])
        return self

    def finish(self):
        return self.op(FINISH)

    def flush(self):
        return self.op(FLUSH)

    def forget(self):
        """A single pass letting go of what is done (FLUSH with 0x10)."""
        return self.op(FLUSH | 0x10)

    def report(self, with_tap=False):
        return self.op(REPORT | (0x10 if with_tap else 0))

    def retap(self):
        return self.op(RETAP)

    def bytes(self):
        return bytes(self.b)


# ---- captures as programs -----------------------------------------------


class Mapper:
    """Real addresses to pool slots (0-2; the multicast slot 3 only for
    multicast), the rest as raw servers; raw ports."""

    def __init__(self):
        self.slots = {4: {}, 6: {}}

    def slot(self, fam, a):
        m = self.slots[fam]
        if (fam == 4 and a[0] >= 224) or (fam == 6 and a[0] == 0xff):
            return 3
        if a not in m:
            m[a] = len(m) % 3 if len(m) >= 3 else len(m)
        return m[a]

    def flow(self, fam, client, server, cport, sport, tcp):
        raw = server if len(self.slots[fam]) >= 3 and server not in self.slots[fam] else None
        cs = self.slot(fam, client)
        ss = self.slot(fam, server) if raw is None else 0
        return Flow(tcp, fam == 6, cs, ss, cport, sport, raw)


def dns_messages(payload, tcp):
    if not tcp:
        return [payload]
    out, o = [], 0
    while o + 2 <= len(payload):
        n = struct.unpack(">H", payload[o:o + 2])[0]
        if n < 12 or o + 2 + n > len(payload):
            break
        out.append(payload[o + 2:o + 2 + n])
        o += 2 + n
    return out


def name_arg(d):
    if d["bad"]:
        return "bad"
    if d["labels"] is None:
        return None
    return d["labels"] or []


def capture_events(path):
    """(time ns, [event]) per packet that the glue would feed."""
    for link, sec, ns, pkt in read_capture(path):
        ip = ip_layer(link, pkt)
        p = innermost(ip) if ip else None
        if not p:
            yield sec * 10 ** 9 + ns, [], {}
            continue
        fam, src, dst, proto, pl = p
        ev, raw = [], {}
        # fuzz_parse's frame scanners: what packet_info says, then the frame.
        if proto in (1, 58, 6, 17) and len(pl) >= 4:
            sp, dp = struct.unpack(">HH", pl[:4]) if proto in (6, 17) else (0, 0)
            if proto in (1, 58) or 53 in (sp, dp):
                flags = (1 if fam == 6 else 0) | (2 if proto == 6 else 0)
                raw["frame"] = bytes([flags]) + src.ljust(16, b"\0") + dst.ljust(16, b"\0") \
                    + struct.pack(">HHB", sp, dp, 0) + bytes(pkt)
        if proto in (1, 58) and len(pl) >= 8:
            raw["icmp" + str(fam)] = bytes(pl)
            q = parse_ip(pl[8:]) if (pl[0] in (3, 11, 12, 4) and fam == 4) or \
                (pl[0] in (1, 2, 3, 4) and fam == 6) else None
            if q and q[3] in (6, 17) and len(q[4]) >= 4:
                sp, dp = struct.unpack(">HH", q[4][:4])
                dns = None
                body = q[4][8:] if q[3] == 17 else q[4][20 + 2:] if len(q[4]) >= 22 else b""
                if len(body) >= 12:
                    dns = parse_dns(body)
                syn = q[3] == 6 and len(q[4]) >= 14 and bool(q[4][13] & 2)
                ev.append(("icmp", fam, pl[0], pl[1], src, q, sp, dp, dns, syn))
        elif proto in (6, 17) and len(pl) >= 8:
            sp, dp = struct.unpack(">HH", pl[:4])
            tcp = proto == 6
            if tcp and len(pl) >= 20:
                raw["tcp"] = bytes(pl[:20])
                if 53 in (sp, dp):
                    ev.append(("tcp", fam, src, dst, sp, dp, pl[13]))
                body = pl[(pl[12] >> 4) * 4:]
            else:
                body = pl[8:]
            if 53 in (sp, dp) or 5353 in (sp, dp) or 5355 in (sp, dp):
                for m in dns_messages(body, tcp):
                    raw.setdefault("dns", []).append(bytes(m))
                    d = parse_dns(m)
                    if d:
                        ev.append(("dns", fam, src, dst, sp, dp, tcp, d))
        yield sec * 10 ** 9 + ns, ev, raw


def program_chunks(path):
    """The capture as event programs of at most MAX_PROGRAM bytes."""
    mp = Mapper()
    prog, last_ts, skipped, count = None, None, 0, 0
    for ts, events, _ in capture_events(path):
        if not events:
            skipped += 1
            continue
        if prog is None or len(prog.b) > MAX_PROGRAM:
            if prog is not None:
                yield prog.bytes()
            prog, last_ts = Program(), None
        delta = None if last_ts is None else ts - last_ts
        if delta is not None and 0 <= delta < 65536 * 10 ** 6:
            prog.frame(frames=skipped + 1, ms=delta // 10 ** 6)
            last_ts += delta // 10 ** 6 * 10 ** 6
        elif delta is not None and -65536 * 10 ** 6 < delta < 0:
            prog.frame(frames=skipped + 1, back_ms=(-delta) // 10 ** 6)
            last_ts -= (-delta) // 10 ** 6 * 10 ** 6
        else:
            prog.frame(frames=skipped + 1, at=(ts // 10 ** 9, ts % 10 ** 9))
            last_ts = ts
        skipped = 0
        count += 1
        for e in events:
            if e[0] == "dns":
                _, fam, src, dst, sp, dp, tcp, d = e
                if d["qr"]:
                    fl = mp.flow(fam, dst, src, dp, sp, tcp)
                    ede = (d["ede"][0], bytes(c if 32 <= c < 127 else 63 for c in d["ede"][1])) \
                        if d["ede"] else None
                    prog.response(fl, d["id"], name_arg(d), d["qtype"], d["qclass"] or 1,
                                  rcode=d["rcode"], an=d["an"], tc=bool(d["tc"]), ede=ede,
                                  opcode=d["opcode"])
                else:
                    fl = mp.flow(fam, src, dst, sp, dp, tcp)
                    prog.query(fl, d["id"], name_arg(d), d["qtype"], d["qclass"] or 1,
                               opcode=d["opcode"])
            elif e[0] == "tcp":
                _, fam, src, dst, sp, dp, flags = e
                from_client = dp == 53
                fl = mp.flow(fam, src if from_client else dst, dst if from_client else src,
                             sp if from_client else dp, 53, True)
                prog.tcp(fl, from_client, syn=bool(flags & 2), ack=bool(flags & 16),
                         rst=bool(flags & 4), fin=bool(flags & 1))
            else:
                _, fam, typ, code, reporter, q, sp, dp, dns, syn = e
                qfam, qsrc, qdst = q[0], q[1], q[2]
                response = bool(dns["qr"]) if dns else (sp == 53 and dp != 53)
                if response:
                    fl = mp.flow(qfam, qdst, qsrc, dp, sp, q[3] == 6)
                    cl, sv = qdst, qsrc
                else:
                    fl = mp.flow(qfam, qsrc, qdst, sp, dp, q[3] == 6)
                    cl, sv = qsrc, qdst
                rep = "server" if reporter == sv else "client" if reporter == cl else "router"
                if dns:
                    prog.icmp(fl, v6=fam == 6, tc=(typ, code), response=response,
                              reporter=rep, quote="other", ident=dns["id"],
                              name=name_arg(dns), qtype=dns["qtype"] or 1, syn=syn)
                else:
                    prog.icmp(fl, v6=fam == 6, tc=(typ, code), response=response,
                              reporter=rep, quote="short", syn=syn)
    if prog is not None and count:
        yield prog.bytes()


# ---- hand-written programs ----------------------------------------------

def hand_programs():
    P = {}
    u = Flow()                                   # 192.0.2.10:52444 -> 203.0.113.2:53
    u6 = Flow(v6=True, client=0, server=2)
    t = Flow(tcp=True)
    www = "www.example.com"

    # The seed incident: three queries, each answered by ICMP port unreachable.
    p = Program()
    for i in range(3):
        p.frame(secs=120 if i else 0).query(u, 0x890c, "yummyrecipesforme.com")
        p.frame(ms=3905).icmp(LAST, reporter="server")
    P["seed-incident"] = p

    # Retransmissions, a late answer, a duplicate, a mismatching answer.
    p = Program()
    p.frame().query(u, 1, www).frame(secs=1).query(u, 1, www).frame(secs=5).query(u, 1, www)
    p.frame(secs=6).response(u, 1, www).frame(ms=10).response(u, 1, www)
    p.frame(ms=10).response(u, 1, "example.com").frame(secs=30)
    P["retransmit-late-duplicate"] = p

    # Exactly at the window and the time-out, with a packet in between.
    p = Program()
    p.frame().query(u, 2, www).frame(secs=5).frame(ms=0).query(u, 2, www).frame(secs=5)
    P["window-edge"] = p

    # Every rcode, nodata, truncated without records, EDE with text.
    p = Program()
    for rc in range(16):
        f = Flow(cport=40000 + (rc % 4), server=rc % 3)
        p.frame(ms=1).query(f, 0x1000 + rc, www, 1 + rc % 3)
        p.frame(ms=30).response(f, 0x1000 + rc, www, 1 + rc % 3, rcode=rc, an=rc % 2,
                                ede=(rc, b"extra text") if rc in (2, 3, 5) else None)
    P["rcodes-ede"] = p

    # TC=1, then the TCP fallback with SYN / SYN-ACK, query, answer, FIN.
    p = Program()
    p.frame().query(u, 7, www).frame(ms=20).response(u, 7, www, an=0, tc=True)
    ft = Flow(tcp=True, cport=40001)
    p.frame(ms=1).tcp(ft, True, syn=True).frame(ms=1).tcp(ft, False, syn=True, ack=True)
    p.frame(ms=1).tcp(ft, True, ack=True).query(ft, 8, www)
    p.frame(ms=20).tcp(ft, False, ack=True).response(ft, 8, www)
    p.frame(ms=1).tcp(ft, True, fin=True, ack=True).frame(secs=10)
    P["tc-fallback"] = p

    # TCP refused (RST) and silent (SYNs only), then a flush mid-capture.
    p = Program()
    fr = Flow(tcp=True, cport=40002)
    p.frame().tcp(fr, True, syn=True).frame(ms=1).tcp(fr, False, rst=True, ack=True)
    fs = Flow(tcp=True, cport=40003, server=1)
    p.frame(ms=1).tcp(fs, True, syn=True).frame(secs=1).tcp(fs, True, syn=True)
    p.flush().frame(secs=3).tcp(fs, True, syn=True).flush().frame(secs=10)
    P["tcp-refused-silent"] = p

    # A SYN quoted by ICMP admin prohibited.
    p = Program()
    p.frame().tcp(fr, True, syn=True)
    p.frame(ms=2).icmp(fr, tc=(3, 13), reporter="router", quote="short", syn=True)
    P["tcp-syn-icmp"] = p

    # Wrong source: the answer from another address; the client bounces it.
    p = Program()
    p.frame().query(u, 9, www).frame(ms=5).response(Flow(server=1), 9, www)
    p.frame(ms=1).icmp(Flow(server=1), response=True, reporter="client", quote="full", ident=9)
    P["wrong-source-bounce"] = p

    # NAT: the ICMP error quotes the query as forwarded to another server.
    p = Program()
    p.frame().query(u, 10, www).frame(ms=5).icmp(Flow(server=1), reporter="router",
                                                quote="full", ident=10)
    P["nat-quote"] = p

    # A bounced response not in the capture, a short quote, ICMP about
    # non-DNS ports, ICMPv6 errors of every type, a redirect.
    p = Program()
    p.frame().icmp(u, response=True, reporter="client", quote="full", ident=11)
    p.frame().icmp(Flow(cport=40000, sport=9999), reporter="server", quote="short")
    p.frame().query(u6, 12, www, 28)
    for tc in ((1, 4), (1, 0), (1, 3), (2, 0), (3, 0), (4, 0), (1, 1), (1, 6)):
        p.frame(ms=1).icmp(u6, v6=True, tc=tc, reporter="router", quote="full", ident=12,
                           qtype=28)
    p.frame().icmp(u, tc=(5, 1), reporter="router", quote="short")
    P["icmp-kinds"] = p

    # Read filter ghosts: frame numbers given again, with events each time.
    p = Program()
    p.frame().query(u, 13, www).frame(frames=0).icmp(LAST, reporter="server")
    p.frame(frames=0, skip_tap=True).query(u, 13, www).frame().response(u, 13, www)
    p.frame(frames=0).frame(frames=2).query(u, 14, "example.com")
    P["ghost-frames"] = p

    # Time going backwards (a merged capture), far future, saturated ends.
    p = Program()
    p.frame().query(u, 15, www).frame(back_ms=3000).query(u, 16, www)
    p.frame(back_ms=60000).response(u, 15, www).frame(ms=5).response(u, 16, www)
    p.frame(at=(9999999999, 999999999)).query(u, 17, www)
    p.frame(extreme=0).query(u, 17, www).frame(extreme=1).response(u, 17, www)
    p.frame(at=(-62135596800, 0)).query(u, 18, www)
    P["time-warps"] = p

    # One 5-tuple and ID, many names (and the key reused later).
    p = Program()
    for i in range(40):
        p.frame(ms=100).query(u, 19, [b"n%d" % i, b"example", b"com"])
    for i in range(0, 40, 3):
        p.frame(ms=10).response(u, 19, [b"n%d" % i, b"example", b"com"], rcode=3, an=0)
    p.frame(secs=3).query(u, 19, www)
    P["many-names-one-key"] = p

    # Water torture: distinct random subdomains, all failing.
    p = Program()
    for i in range(60):
        f = Flow(cport=20000 + i, client=i % 3)
        lab = [hashlib.sha1(b"%d" % i).hexdigest()[:12].encode(), b"victim", b"example"]
        p.frame(ms=3).query(f, i, lab)
        if i % 2:
            p.frame(ms=3).response(f, i, lab, rcode=2, an=0)
    p.report().frame(secs=20).report(with_tap=True)
    P["water-torture"] = p

    # Lookups: one client and name over several servers and ports, case
    # changes, recovery over TCP, a definitive NXDOMAIN.
    p = Program(lookup=3)
    for i, s in enumerate((0, 1, 2, 1)):
        p.frame(ms=500).query(Flow(server=s, cport=40000 + i), 20 + i,
                              ["www.example.com", "WWW.EXAMPLE.COM", "Www.Example.Com"][i % 3])
    p.frame(ms=100).response(Flow(server=1, cport=40003), 23, www, rcode=3, an=0)
    p.frame(secs=2).query(Flow(server=2, cport=40010), 30, www)
    P["lookups"] = p

    # Zone transfer: several response messages over TCP; IXFR too.
    p = Program()
    fa = Flow(tcp=True, cport=40004)
    p.frame().tcp(fa, True, syn=True).frame(ms=1).tcp(fa, False, syn=True, ack=True)
    p.frame(ms=1).query(fa, 40, "example.com", 252)
    for _ in range(3):
        p.frame(ms=5).response(fa, 40, "example.com", 252, an=2)
    p.frame(ms=5).query(fa, 41, "example.com", 251).frame(ms=5).response(fa, 41,
                                                                         "example.com", 251)
    P["zone-transfer"] = p

    # No question, a bad question, mDNS ports and multicast servers.
    p = Program()
    p.frame().query(u, 50, None).frame(ms=1).response(u, 50, None)
    p.frame().query(u, 51, "bad").frame(ms=1).response(u, 51, "bad")
    p.frame().query(Flow(server=3, sport=5353), 0, "a", 255)
    p.frame().query(Flow(v6=True, server=3, sport=5353), 0, "a", 255)
    P["no-question-multicast"] = p

    # Finish, then the capture goes on (a reopened tracker); report, retap.
    p = Program()
    p.frame().query(u, 60, www).frame(ms=10).finish().report().retap()
    p.frame(secs=7).query(u, 61, www).frame(ms=5).response(u, 61, www).finish()
    p.report(with_tap=True)
    P["finish-reopen"] = p

    # A single pass that forgets (docs/design.md, "Memory"): minutes of
    # traffic past the horizon, forgotten in steps, with a lookup that goes
    # on for minutes (a client retrying every 4 s), a TCP connection, ICMP
    # errors, names seen once, a TC fallback; a report at the end.
    p = Program()
    for minute in range(4):
        for i in range(30):
            f = Flow(cport=[40000, 40001, 40002, 40003, 12345][i % 5], client=i % 3, server=i % 2)
            name = [b"m%di%d" % (minute, i), b"example", b"com"] if i % 4 else www
            p.frame(ms=400).query(f, i, name)
            if i % 5 == 1:
                p.frame(ms=2).icmp(LAST, reporter="server")
            elif i % 5 != 4:
                p.frame(ms=20).response(f, i, name, rcode=3 if i % 7 == 0 else 0,
                                        an=0 if i % 7 == 0 else 1, tc=i % 11 == 3)
        for k in range(15):             # the client that never gives up
            p.frame(secs=4).query(Flow(cport=1024, client=1, server=3), k, "example.com")
        ft = Flow(tcp=True, cport=33333, client=2)
        p.frame().tcp(ft, True, syn=True).frame(ms=1).tcp(ft, False, syn=True, ack=True)
        p.frame(ms=1).query(ft, 7, www).frame(ms=5).response(ft, 7, www)
        p.frame(secs=50).forget().frame(secs=30).forget()
    p.report(with_tap=True).frame(hours=2).forget().finish().report()
    P["forget"] = p

    # Short preferences and the largest ones.
    p = Program(timeout=0, window=0, slow=0, lookup=0)
    p.frame().query(u, 70, www).frame().query(u, 70, www).frame().response(u, 70, www)
    P["zero-preferences"] = p
    p = Program(timeout=255, window=255, slow=255, lookup=255)
    p.frame().query(u, 71, www).frame(hours=1000).query(u, 71, www)
    p.frame(extreme=0).response(u, 71, www)
    P["huge-preferences"] = p
    return {k: v.bytes() for k, v in P.items()}


# ---- writing ------------------------------------------------------------


def write_dir(d, files):
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.startswith(("cap-", "hand-")):
            os.remove(os.path.join(d, f))
    for name, data in sorted(files.items()):
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


def main(argv):
    caps = argv or sorted(glob.glob(os.path.join(REPO, "captures", "*.pcapng")))
    parse, seen = {}, set()
    tracker = {}
    for path in caps:
        base = os.path.basename(path).split(".")[0]
        n = 0
        for _, _, raw in capture_events(path):
            for kind, blobs in raw.items():
                for blob in (blobs if isinstance(blobs, list) else [blobs]):
                    h = hashlib.sha1(blob).hexdigest()
                    if h in seen or len(blob) > 1500:
                        continue
                    seen.add(h)
                    parse["cap-%s-%s-%s" % (base, kind, h[:8])] = blob
                    n += 1
        for i, prog in enumerate(program_chunks(path)):
            tracker["cap-%s-%d" % (base, i)] = prog
    # Keep the parse seeds few: every kind from every capture, smallest first.
    if len(parse) > MAX_PARSE:
        keep = {}
        by_group = {}
        for k in sorted(parse, key=lambda k: (len(parse[k]), k)):
            by_group.setdefault(k.rsplit("-", 1)[0], []).append(k)
        i = 0
        while len(keep) < MAX_PARSE:
            added = False
            for g in sorted(by_group):
                if i < len(by_group[g]) and len(keep) < MAX_PARSE:
                    keep[by_group[g][i]] = parse[by_group[g][i]]
                    added = True
            if not added:
                break
            i += 1
        parse = keep
    for k, v in hand_programs().items():
        tracker["hand-" + k] = v
    write_dir(os.path.join(HERE, "corpus", "fuzz_parse"), parse)
    write_dir(os.path.join(HERE, "corpus", "fuzz_tracker"), tracker)
    print("fuzz_parse: %d seeds, %d bytes; fuzz_tracker: %d seeds, %d bytes" % (
        len(parse), sum(map(len, parse.values())), len(tracker),
        sum(map(len, tracker.values()))))


if __name__ == "__main__":
    main(sys.argv[1:])
