#!/usr/bin/env python3
"""Writes fuzz_parse's encrypted-DNS seeds (fuzz/corpus/fuzz_parse/enc-*).

  python3 fuzz/make-enc-seeds.py

Small inputs built field by field, one per shape the encrypted-DNS parsers
know (dnsmon_parse.h): a TLS ClientHello offering ALPN "dot", a TLS 1.3
server flight and a clear alert (dm_tls_scan); a client's HTTP/2 preface,
HEADERS and padded DATA with a DNS query (dm_http2_frames); Wireshark's
decoded headers of a DoH GET (dm_doh_get_query); a decrypted QUIC payload
with other frames before a STREAM frame (dm_quic_streams); a short-header
QUIC packet carrying a STREAM frame and a coalesced Initial + Handshake +
1-RTT datagram (dm_quic_scan). Captures give fuzz_parse none of these
(make-seeds.py takes only port 53 and ICMP). Standard library only; the
output is deterministic; make-seeds.py leaves these files alone.
"""
import base64
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "fuzz_parse")


def dns_query(ident, name, qtype):
    labels = b"".join(bytes([len(l)]) + l.encode() for l in name.split("."))
    return struct.pack(">HHHHHH", ident, 0x0100, 1, 0, 0, 0) + labels + b"\0" + \
        struct.pack(">HH", qtype, 1)


def tls_record(ctype, body):
    return struct.pack(">BHH", ctype, 0x0303, len(body)) + body


def tls_ext(etype, data):
    return struct.pack(">HH", etype, len(data)) + data


def hello(hs_type, suites, exts):
    body = b"\x03\x03" + bytes(range(32)) + b"\x20" + bytes(range(0x90, 0xb0)) + suites
    body += struct.pack(">H", len(exts)) + exts
    return tls_record(22, bytes([hs_type]) + struct.pack(">I", len(body))[1:] + body)


def client_hello():
    alpn = b"".join(bytes([len(p)]) + p for p in (b"h2", b"dot"))
    exts = tls_ext(0, b"\x00\x0e\x00\x00\x0bdns.example") + \
        tls_ext(43, b"\x04\x03\x04\x03\x03") + \
        tls_ext(16, struct.pack(">H", len(alpn)) + alpn) + \
        tls_ext(51, b"\x00\x1d\x00\x20" + bytes(32))
    return hello(1, b"\x00\x04\x13\x01\x13\x02\x01\x00", exts)


def server_flight():
    exts = tls_ext(51, b"\x00\x1d\x00\x20" + bytes(32)) + tls_ext(43, b"\x03\x04")
    return hello(2, b"\x13\x01\x00", exts) + tls_record(20, b"\x01") + \
        tls_record(23, bytes(24)) + tls_record(23, bytes(40))


def h2_frame(ftype, flags, stream, payload):
    return struct.pack(">I", len(payload))[1:] + struct.pack(">BBI", ftype, flags, stream) + payload


def http2_client():
    q = dns_query(0, "www.example.test", 1)
    return b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + \
        h2_frame(4, 0, 0, b"\x00\x03\x00\x00\x00\x64") + \
        h2_frame(1, 0x04, 1, b"\x83\x86\x41\x8a\x08\x9d\x5c\x0b\x81\x70") + \
        h2_frame(0, 0x09, 1, b"\x02" + q + b"\0\0")


def doh_headers():
    q = base64.urlsafe_b64encode(dns_query(0, "v6.example.test", 28)).rstrip(b"=")
    out = b""
    for name, value in ((b":method", b"GET"), (b":path", b"/dns-query?dns=" + q),
                        (b":scheme", b"https"), (b":authority", b"dns.example.test")):
        out += struct.pack(">I", len(name)) + name + struct.pack(">I", len(value)) + value
    return out


def stream_frame(stream, payload):
    # type 0x0b (LEN | FIN), 1-byte varints, the message behind its 2-byte length
    data = struct.pack(">H", len(payload)) + payload
    return bytes([0x0b, stream, 0x40 | len(data) >> 8, len(data) & 0xff]) + data


def quic_frames():
    q = dns_query(0, "mail.example.test", 1)
    return b"\0\0" + b"\x02\x43\xe8\x19\x00\x03" + b"\x06\x00\x04\x04\x00\x00\x00" + \
        b"\x1e" + stream_frame(0, q)


def quic_long(kind, payload_len):
    head = bytes([0xc1 | kind << 4]) + b"\x00\x00\x00\x01" + b"\x08" + bytes(range(8)) + \
        b"\x04\x5c\x1d\x5c\x1d"
    if kind == 0:
        head += b"\x00"                     # no token
    return head + struct.pack(">H", 0x4000 | payload_len) + bytes([0xa5]) * payload_len


def quic_short_stream():
    return b"\x41" + bytes(range(0xd0, 0xd8)) + stream_frame(4, dns_query(0, "example.test", 15))


def quic_coalesced():
    return quic_long(0, 40) + quic_long(2, 60) + b"\x41" + bytes(range(0xd0, 0xd8)) + bytes(24)


SEEDS = {
    "enc-tls-client-hello-alpn-dot": client_hello(),
    "enc-tls13-server-flight": server_flight(),
    "enc-tls-alert-fatal": tls_record(21, b"\x02\x2a"),
    "enc-http2-headers-data": http2_client(),
    "enc-doh-get-headers": doh_headers(),
    "enc-quic-frames-stream": quic_frames(),
    "enc-quic-short-stream": quic_short_stream(),
    "enc-quic-coalesced": quic_coalesced(),
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.startswith("enc-"):
            os.remove(os.path.join(OUT, f))
    for name, data in sorted(SEEDS.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print("fuzz_parse: %d encrypted-DNS seeds, %d bytes" % (
        len(SEEDS), sum(map(len, SEEDS.values()))))


if __name__ == "__main__":
    main()
