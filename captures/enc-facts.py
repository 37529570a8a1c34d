#!/usr/bin/env python3
"""enc-facts.py - print the ground truth of an encrypted-DNS capture, read with plain tshark.

Usage: python3 captures/enc-facts.py [--tshark PATH] [--plugins] [-d DECODE-AS]... CAPTURE.pcapng...
  -d is passed to tshark. Wireshark 4.0 and 4.4 need -d udp.port==853,quic for the DoQ capture
  (they take udp/853 for DTLS); 4.6 finds QUIC there by itself.

For every TCP connection and QUIC connection: client and server, the frames of its SYNs, SYN-ACK,
RSTs, FINs, ICMP errors, TLS ClientHello / ServerHello, TLS alerts, the first encrypted record
and the first application data from the server (when the secrets tell them apart), the ALPN
offered and chosen, QUIC long-header packet types. Then every DNS message tshark decodes (frame,
direction, transport as the frame's protocol list shows it, HTTP/2 or QUIC stream, DNS ID, name,
type, rcode), every HTTP/2 request (method and path), and the plain DNS transactions (UDP or TCP
port 53). Only tshark's JSON output is used (tshark -T json -e ...); the dnsmon plugin is not
loaded unless --plugins is given (it is kept out by pointing WIRESHARK_PLUGIN_DIR at an empty
folder, which works when tshark does not run as root, and by disabling the dnsmon protocol).
Standard library only.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

FIELDS = [
    "frame.number", "frame.time_relative", "frame.protocols",
    "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
    "tcp.stream", "tcp.srcport", "tcp.dstport", "tcp.flags.syn", "tcp.flags.ack", "tcp.flags.reset",
    "tcp.flags.fin", "tcp.len", "tcp.analysis.retransmission",
    "udp.stream", "udp.srcport", "udp.dstport",
    "icmp.type", "icmp.code", "icmpv6.type",
    "tls.record.content_type", "tls.record.opaque_type", "tls.record.version",
    "tls.handshake.type", "tls.handshake.extensions_alpn_str", "tls.handshake.version",
    "tls.handshake.extensions.supported_version",
    "tls.alert_message.level", "tls.alert_message.desc",
    "quic.connection.number", "quic.long.packet_type", "quic.header_form", "quic.frame_type",
    "quic.stream.stream_id",
    "http2.streamid", "http2.type", "http2.headers.method", "http2.headers.path",
    "http2.headers.content_type", "http2.headers.status",
    "dns.id", "dns.flags.response", "dns.qry.name", "dns.qry.type", "dns.flags.rcode",
]

HS = {1: "ClientHello", 2: "ServerHello", 4: "NewSessionTicket", 8: "EncryptedExtensions",
      11: "Certificate", 12: "ServerKeyExchange", 14: "ServerHelloDone", 15: "CertificateVerify",
      16: "ClientKeyExchange", 20: "Finished"}
ALERTS = {0: "close_notify", 10: "unexpected_message", 20: "bad_record_mac", 40: "handshake_failure",
          42: "bad_certificate", 43: "unsupported_certificate", 44: "certificate_revoked",
          45: "certificate_expired", 46: "certificate_unknown", 47: "illegal_parameter",
          48: "unknown_ca", 49: "access_denied", 50: "decode_error", 51: "decrypt_error",
          70: "protocol_version", 71: "insufficient_security", 80: "internal_error",
          86: "inappropriate_fallback", 90: "user_canceled", 109: "missing_extension",
          110: "unsupported_extension", 112: "unrecognized_name", 116: "certificate_required",
          120: "no_application_protocol"}
QTYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT", 28: "AAAA",
          33: "SRV", 65: "HTTPS"}
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}
QUIC_LONG = {0: "Initial", 1: "0-RTT", 2: "Handshake", 3: "Retry"}
CTYPES = {20: "change_cipher_spec", 21: "alert", 22: "handshake", 23: "application_data"}


def num(v):
    if v is None:
        return None
    if isinstance(v, (int, float)):
        return int(v)
    s = str(v)
    if s in ("True", "true"):
        return 1
    if s in ("False", "false"):
        return 0
    try:
        return int(s, 0)
    except ValueError:
        try:
            return int(float(s))
        except ValueError:
            return None


def run_tshark(tshark, path, plugins, decode_as):
    cmd = [tshark, "-n", "-r", path, "-T", "json"]
    for d in decode_as:
        cmd += ["-d", d]
    for f in FIELDS:
        cmd += ["-e", f]
    env = dict(os.environ)
    tmp = None
    if not plugins:
        tmp = tempfile.mkdtemp(prefix="enc-facts-")
        env["WIRESHARK_PLUGIN_DIR"] = tmp
        # known fields only: a protocol that does not exist would be an error
        if subprocess.run([tshark, "-G", "protocols"], capture_output=True, text=True,
                          env=env).stdout.find("\tdnsmon\n") >= 0:
            cmd += ["--disable-protocol", "dnsmon"]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
    finally:
        if tmp:
            os.rmdir(tmp)
    rows = []
    for pkt in json.loads(out or "[]"):
        layers = pkt["_source"]["layers"]
        rows.append({k: v for k, v in layers.items()})
    return rows


def first(row, key):
    v = row.get(key)
    return v[0] if v else None


def allv(row, key):
    return row.get(key) or []


def transport(row):
    """the protocol list from the transport on: tcp:tls:http2:dns, udp:quic:dns..."""
    protos = (first(row, "frame.protocols") or "").split(":")
    for i, p in enumerate(protos):
        if p in ("tcp", "udp", "icmp", "icmpv6"):
            return ":".join(protos[i:])
    return ":".join(protos)


def addr(row, which):
    return first(row, "ip." + which) or first(row, "ipv6." + which) or "?"


class Conn:
    def __init__(self, kind, key):
        self.kind, self.key = kind, key
        self.client = self.server = None
        self.events = []          # (frame, text)
        self.frames = []
        self.alpn_offered = None
        self.alpn_chosen = None
        self.first_encrypted_from_server = None
        self.first_appdata_from_server = None

    def ev(self, frame, text):
        self.events.append((frame, text))


def describe(path, rows):
    print("## %s (%d frames)" % (os.path.basename(path), len(rows)))
    conns = {}
    dns_msgs = []
    h2_requests = []
    plain = []
    icmp = []
    for r in rows:
        fno = num(first(r, "frame.number"))
        t = float(first(r, "frame.time_relative") or 0)
        src, dst = addr(r, "src"), addr(r, "dst")
        tr = transport(r)
        conn = None
        if first(r, "tcp.stream") is not None:
            sp, dp = num(first(r, "tcp.srcport")), num(first(r, "tcp.dstport"))
            key = ("tcp", num(first(r, "tcp.stream")))
            conn = conns.get(key)
            if conn is None:
                conn = conns[key] = Conn("tcp", key[1])
            syn, ack = num(first(r, "tcp.flags.syn")), num(first(r, "tcp.flags.ack"))
            rst, fin = num(first(r, "tcp.flags.reset")), num(first(r, "tcp.flags.fin"))
            if syn and not ack:
                conn.client, conn.server = (src, sp), (dst, dp)
                retr = " (retransmission)" if r.get("tcp.analysis.retransmission") is not None else ""
                conn.ev(fno, "SYN%s" % retr)
            elif syn and ack:
                conn.ev(fno, "SYN-ACK")
            if conn.client is None:
                conn.client, conn.server = ((src, sp), (dst, dp)) if dp in (53, 443, 853) else ((dst, dp), (src, sp))
            from_server = (src, sp) == conn.server
            who = "server" if from_server else "client"
            if rst:
                conn.ev(fno, "RST from %s" % who)
            if fin:
                conn.ev(fno, "FIN from %s" % who)
        elif first(r, "quic.connection.number") is not None:
            sp, dp = num(first(r, "udp.srcport")), num(first(r, "udp.dstport"))
            key = ("quic", num(first(r, "quic.connection.number")))
            conn = conns.get(key)
            if conn is None:
                conn = conns[key] = Conn("quic", key[1])
                conn.client, conn.server = (src, sp), (dst, dp)
            from_server = (src, sp) == conn.server
            who = "server" if from_server else "client"
            forms = [num(x) for x in allv(r, "quic.header_form")]
            types = [QUIC_LONG.get(num(x), str(x)) for x in allv(r, "quic.long.packet_type")]
            nshort = sum(1 for f in forms if f == 0)
            parts = types + (["1-RTT x%d" % nshort] if nshort > 1 else ["1-RTT"] if nshort else [])
            conn.ev(fno, "QUIC from %s: %s" % (who, ", ".join(parts) or "?"))
            ftypes = [num(x) for x in allv(r, "quic.frame_type")]
            if any(f in (0x1c, 0x1d) for f in ftypes):
                conn.ev(fno, "QUIC CONNECTION_CLOSE from %s" % who)
            if from_server and allv(r, "quic.stream.stream_id") and conn.first_appdata_from_server is None:
                conn.first_appdata_from_server = fno
        if conn is not None:
            conn.frames.append(fno)
            from_server = (src, num(first(r, "tcp.srcport") or first(r, "udp.srcport"))) == conn.server
            who = "server" if from_server else "client"
            for h in allv(r, "tls.handshake.type"):
                h = num(h)
                if h in (1, 2):
                    conn.ev(fno, "TLS %s from %s" % (HS[h], who))
            alpn = allv(r, "tls.handshake.extensions_alpn_str")
            hs = [num(h) for h in allv(r, "tls.handshake.type")]
            if alpn and 1 in hs:
                conn.alpn_offered = ",".join(alpn)
            elif alpn and (2 in hs or 8 in hs):
                conn.alpn_chosen = ",".join(alpn)
            levels = allv(r, "tls.alert_message.level")
            for i, d in enumerate(allv(r, "tls.alert_message.desc")):
                lv = {1: "warning", 2: "fatal"}.get(num(levels[i]) if i < len(levels) else None, "?")
                conn.ev(fno, "TLS alert from %s: %s %s (%s)" % (who, lv, ALERTS.get(num(d), d), d))
            ctypes = [num(x) for x in allv(r, "tls.record.content_type")]
            opaque = [num(x) for x in allv(r, "tls.record.opaque_type")]
            if from_server and opaque and conn.first_encrypted_from_server is None:
                conn.first_encrypted_from_server = fno
            if from_server and 23 in ctypes and conn.first_appdata_from_server is None:
                conn.first_appdata_from_server = fno
            if not from_server and opaque and 23 in opaque and not ctypes and conn.kind == "tcp":
                # encrypted record from the client that the capture's secrets cannot open
                conn.ev(fno, "client: %d encrypted record(s), content unknown" % opaque.count(23))
        itype = first(r, "icmp.type") or first(r, "icmpv6.type")
        if itype is not None:
            icmp.append((fno, "ICMP%s type %s code %s from %s" % (
                "v6" if first(r, "icmpv6.type") else "", itype, first(r, "icmp.code") or "-", src)))
        # HTTP/2 requests
        methods, paths = allv(r, "http2.headers.method"), allv(r, "http2.headers.path")
        if methods:
            sids = [s for s, ty in zip(allv(r, "http2.streamid"), allv(r, "http2.type")) if num(ty) == 1]
            for i, m in enumerate(methods):
                p = paths[i] if i < len(paths) else "?"
                if len(p) > 60:
                    p = p[:40] + "...(%d chars)" % len(p)
                h2_requests.append((fno, sids[i] if i < len(sids) else "?", m, p))
        # DNS messages
        ids = allv(r, "dns.id")
        if ids:
            resp = [num(x) for x in allv(r, "dns.flags.response")]
            names, qtypes = allv(r, "dns.qry.name"), allv(r, "dns.qry.type")
            rcodes = iter(allv(r, "dns.flags.rcode"))
            h2sid = [s for s, ty in zip(allv(r, "http2.streamid"), allv(r, "http2.type")) if num(ty) == 0]
            qsid = allv(r, "quic.stream.stream_id")
            for i, did in enumerate(ids):
                is_resp = resp[i] if i < len(resp) else 0
                rc = next(rcodes, None) if is_resp else None
                stream = ""
                if h2sid:
                    stream = "h2 stream %s" % (h2sid[i] if i < len(h2sid) else h2sid[-1])
                elif qsid:
                    stream = "quic stream %s" % (qsid[i] if i < len(qsid) else qsid[-1])
                msg = dict(frame=fno, t=t, src=src, dst=dst, transport=tr, stream=stream,
                           id="0x%04x" % num(did), resp=is_resp,
                           name=names[i] if i < len(names) else "?",
                           qtype=QTYPES.get(num(qtypes[i]), qtypes[i]) if i < len(qtypes) else "?",
                           rcode=RCODES.get(num(rc), rc) if rc is not None else "-",
                           conn=conn)
                dns_msgs.append(msg)
                if tr in ("udp:dns", "tcp:dns"):
                    plain.append(msg)

    for key in sorted(conns, key=lambda k: (min(conns[k].frames), k)):
        c = conns[key]
        cl = "%s:%s" % c.client if c.client else "?"
        sv = "%s:%s" % c.server if c.server else "?"
        if c.kind == "tcp" and c.server and c.server[1] == 53:
            continue  # plain DNS over TCP: listed with the plain transactions
        print()
        print("%s connection %s: %s -> %s, frames %d-%d" % (
            "TCP" if c.kind == "tcp" else "QUIC", c.key, cl, sv, min(c.frames), max(c.frames)))
        for fno, text in c.events:
            print("  frame %d: %s" % (fno, text))
        if c.alpn_offered or c.alpn_chosen:
            print("  ALPN offered: %s; chosen: %s" % (c.alpn_offered or "-",
                                                     c.alpn_chosen or "- (not visible or none)"))
        if c.first_encrypted_from_server and c.kind == "tcp":
            print("  first encrypted record from the server: frame %d" % c.first_encrypted_from_server)
        print("  first application data (%s) from the server: %s" % (
            "STREAM frame" if c.kind == "quic" else "TLS record of type 23",
            "frame %d" % c.first_appdata_from_server if c.first_appdata_from_server else
            "none decoded"))
        msgs = [m for m in dns_msgs if m["conn"] is c]
        print("  DNS messages decoded: %d" % len(msgs))
    if icmp:
        print()
        for fno, text in icmp:
            print("frame %d: %s" % (fno, text))
    print()
    print("DNS messages tshark decodes:")
    if not dns_msgs:
        print("  none")
    for m in dns_msgs:
        print("  frame %d (t=%.3f) %s %s -> %s %s%s id %s %s %s %s%s" % (
            m["frame"], m["t"], "response" if m["resp"] else "query", m["src"], m["dst"],
            m["transport"], (" " + m["stream"]) if m["stream"] else "", m["id"], m["name"], m["qtype"],
            "rcode " + m["rcode"] if m["resp"] else "", ""))
    if h2_requests:
        print()
        print("HTTP/2 requests:")
        for fno, sid, method, p in h2_requests:
            print("  frame %d stream %s: %s %s" % (fno, sid, method, p))
    print()
    print("plain DNS transactions (port 53):")
    if not plain:
        print("  none")
    open_q = {}
    for m in plain:
        if not m["resp"]:
            open_q.setdefault((m["src"], m["dst"], m["id"]), []).append(m)
            continue
        qs = open_q.pop((m["dst"], m["src"], m["id"]), [])
        print("  %s %s %s id %s: query frame(s) %s, response frame %d (%s), %.3f s after the first query" % (
            m["transport"], m["name"], m["qtype"], m["id"], ",".join(str(q["frame"]) for q in qs) or "-",
            m["frame"], m["rcode"], m["t"] - qs[0]["t"] if qs else 0.0))
    for (s, d, i), qs in open_q.items():
        print("  %s %s %s id %s: query frame(s) %s, no response" % (
            qs[0]["transport"], qs[0]["name"], qs[0]["qtype"], i, ",".join(str(q["frame"]) for q in qs)))
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tshark", default="tshark")
    ap.add_argument("--plugins", action="store_true", help="let tshark load its plugins (dnsmon too)")
    ap.add_argument("-d", dest="decode_as", action="append", default=[], metavar="DECODE-AS",
                    help="tshark -d, e.g. udp.port==853,quic")
    ap.add_argument("captures", nargs="+")
    a = ap.parse_args()
    for p in a.captures:
        describe(p, run_tshark(a.tshark, p, a.plugins, a.decode_as))
    return 0


if __name__ == "__main__":
    sys.exit(main())
