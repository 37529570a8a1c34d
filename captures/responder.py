#!/usr/bin/env python3
"""responder.py - a tiny DNS responder for the cases a real server will not produce on demand.

python3 standard library only. make-captures.sh runs it in the server namespace, so every packet
still comes from the real kernel. Usage: python3 responder.py (binds the addresses below; they
must exist). Every answer uses documentation addresses only.

  203.0.113.8   udp  answers from 203.0.113.10 instead (a multi-homed server answering from the
                     wrong address): the client's connected socket discards it
  203.0.113.11  udp  TC=1, no answer records (the answer "does not fit")
                tcp  the full answer (four A records)
  203.0.113.12  udp  TC=1; nothing listens on tcp/53 (the kernel resets the TCP retry)
  203.0.113.13  udp  TC=1; the router drops tcp/53 to this address
  203.0.113.14  udp  TC=1; the router rejects tcp/53 to this address (admin-prohibited)
  203.0.113.15  tcp  AXFR of example.test in three DNS messages on one connection
                udp  errors carrying an Extended DNS Error (RFC 8914) with extra text:
                     noauth.example.test  SERVFAIL, EDE 22 No Reachable Authority
                     blocked.example.test REFUSED,  EDE 18 Prohibited
                     notimp.example.test  NOTIMP,   EDE 21 Not Supported
"""
import socket
import struct
import sys
import threading
import time

A, NS, SOA, AAAA, OPT, AXFR = 1, 2, 6, 28, 41, 252
ANSWER = "203.0.113.80"
TC_ANSWERS = ["203.0.113.80", "203.0.113.81", "203.0.113.82", "203.0.113.83"]
EDE = {  # name -> (rcode, EDE info code, extra text)
    "noauth.example.test": (2, 22, "no reachable authority for example.test (2 servers timed out)"),
    "blocked.example.test": (5, 18, "blocked by policy: example.test"),
    "notimp.example.test": (4, 21, "opcode or type not supported here"),
}


def name_wire(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def parse_query(msg):
    """(id, flags, qname, qtype, qclass, question bytes, has_opt) or None"""
    if len(msg) < 12:
        return None
    ident, flags, qd, an, ns, ar = struct.unpack("!6H", msg[:12])
    if flags & 0x8000 or qd != 1:
        return None
    pos, labels = 12, []
    while pos < len(msg) and msg[pos]:
        n = msg[pos]
        if n & 0xC0:
            return None
        labels.append(msg[pos + 1:pos + 1 + n].decode("ascii", "replace"))
        pos += 1 + n
    pos += 1
    if pos + 4 > len(msg):
        return None
    qtype, qclass = struct.unpack("!HH", msg[pos:pos + 4])
    question = msg[12:pos + 4]
    return ident, flags, ".".join(labels).lower(), qtype, qclass, question, ar > 0


def rr(name, rtype, rdata, ttl=300):
    return name_wire(name) + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata


def a_rr(name, addr):
    return rr(name, A, socket.inet_pton(socket.AF_INET, addr))


def response(q, rcode=0, answers=(), tc=False, aa=False, opt=None, question=True):
    ident, flags, _, _, _, qbytes, _ = q
    f = 0x8000 | (flags & 0x7900) | 0x0080 | rcode       # QR, opcode, RD copied; RA
    if tc:
        f |= 0x0200
    if aa:
        f |= 0x0400
    additional = [opt] if opt else []
    return struct.pack("!6H", ident, f, 1 if question else 0, len(answers), 0, len(additional)) + \
        (qbytes if question else b"") + b"".join(answers) + b"".join(additional)


def opt_ede(code, text):
    data = struct.pack("!H", code) + text.encode()
    option = struct.pack("!HH", 15, len(data)) + data
    return b"\0" + struct.pack("!HHIH", OPT, 1232, 0, len(option)) + option


def full_answer(q, answers_v4):
    _, _, name, qtype, _, _, _ = q
    if qtype == A:
        return response(q, answers=[a_rr(name, a) for a in answers_v4], aa=True)
    return response(q, aa=True)                             # NODATA for other types


# ---------------------------------------------------------------- UDP


def udp_socket(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, 53))
    return s


def udp_wrong_source(rx, tx):
    while True:
        msg, peer = rx.recvfrom(4096)
        q = parse_query(msg)
        if q:
            tx.sendto(full_answer(q, [ANSWER]), peer)


def udp_truncated(s):
    while True:
        msg, peer = s.recvfrom(4096)
        q = parse_query(msg)
        if q:
            s.sendto(response(q, tc=True, aa=True), peer)


def udp_ede(s):
    while True:
        msg, peer = s.recvfrom(4096)
        q = parse_query(msg)
        if not q:
            continue
        if q[2] in EDE:
            rcode, code, text = EDE[q[2]]
            s.sendto(response(q, rcode=rcode, opt=opt_ede(code, text)), peer)
        else:
            s.sendto(full_answer(q, [ANSWER]), peer)


# ---------------------------------------------------------------- TCP


def recv_exact(conn, n):
    buf = b""
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def tcp_socket(addr):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 53))
    s.listen(8)
    return s


def tcp_server(s, handler):
    while True:
        conn, _ = s.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while True:
                head = recv_exact(conn, 2)
                if head is None:
                    break
                msg = recv_exact(conn, struct.unpack("!H", head)[0])
                q = msg and parse_query(msg)
                if not q:
                    break
                for i, out in enumerate(handler(q)):
                    if i:
                        time.sleep(0.05)                    # one DNS message per TCP segment
                    conn.sendall(struct.pack("!H", len(out)) + out)
        except OSError:
            pass
        conn.close()


def tcp_full(q):
    return [full_answer(q, TC_ANSWERS)]


def tcp_axfr(q):
    _, _, name, qtype, _, _, _ = q
    if qtype != AXFR or name != "example.test":
        return [full_answer(q, [ANSWER])]
    soa = rr("example.test", SOA, name_wire("ns.example.test") + name_wire("hostmaster.example.test") +
             struct.pack("!5I", 2024051401, 3600, 600, 86400, 300))
    ns = rr("example.test", NS, name_wire("ns.example.test"))
    return [
        response(q, answers=[soa, ns, a_rr("ns.example.test", "203.0.113.15")], aa=True),
        response(q, answers=[a_rr("www.example.test", "203.0.113.80"),
                             a_rr("v6.example.test", "203.0.113.81"),
                             rr("v6.example.test", AAAA, socket.inet_pton(socket.AF_INET6, "2001:db8:2::81"))],
                 aa=True, question=False),
        response(q, answers=[a_rr("mail.example.test", "203.0.113.82"), soa], aa=True, question=False),
    ]


def main():
    # every socket is bound before "ready" is printed
    jobs = [(udp_wrong_source, (udp_socket("203.0.113.8"), udp_socket("203.0.113.10")))]
    jobs += [(udp_truncated, (udp_socket(a),)) for a in ("203.0.113.11", "203.0.113.12", "203.0.113.13",
                                                          "203.0.113.14")]
    jobs += [(tcp_server, (tcp_socket(a), tcp_full)) for a in ("203.0.113.11", "203.0.113.13", "203.0.113.14")]
    jobs += [(tcp_server, (tcp_socket("203.0.113.15"), tcp_axfr)), (udp_ede, (udp_socket("203.0.113.15"),))]
    for fn, args in jobs:
        threading.Thread(target=fn, args=args, daemon=True).start()
    print("responder ready", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
