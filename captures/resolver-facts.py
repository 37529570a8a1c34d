#!/usr/bin/env python3
"""resolver-facts.py - the ground truth of a resolver capture, read with plain tshark.

python3 standard library only; runs `tshark -T json` (no dnsmon plugin: the plugin folder is
pointed at an empty one) and prints, per client query, the transaction (frames, client,
resolver, name, type, response frame, rcode and flags, EDE) and the upstream transactions the
resolver made meanwhile for a related name (frame, source address/port, server, name exactly as
sent, type, RD, response frame, rcode, AA, answer/authority counts and what they mean, or the
ICMP error, or TCP connection attempts and resets), then every upstream transaction no client
query accounts for.

  python3 captures/resolver-facts.py [--markdown] [--summary-over N] CAPTURE...
                                                                  (.pcapng or .pcapng.gz)

Roles come from the addresses of make-resolver-captures.sh: clients 198.51.100.0/25 (the
forwarders' listening addresses .2-.5 are there too), resolvers 198.51.100.128/25 (the router
.129 is where the forwarders send from; FORWARDER_UPSTREAM says where each one forwards). An
upstream transaction is "for" a query made to its source (a client's query to that resolver, or
the forwarder's query to it; for the forwarders' source, a client's query to the forwarder whose
upstream it went to) when it starts while that query is open (received, not yet answered;
unanswered ones stay open to the end of the capture) and its name is related: an ancestor of the
query's name, in the same parent zone, or under a CNAME target seen in the capture. With more than --summary-over (default 40) client queries for one
resolver and zone, those are counted instead of listed.
"""
import argparse
import collections
import ipaddress
import json
import os
import subprocess
import sys
import tempfile

CLIENTS = ipaddress.ip_network("198.51.100.0/25")
FORWARDER_SOURCE = "198.51.100.129"
# each forwarder (dnsmasq on the router) and its upstream
FORWARDER_UPSTREAM = {"198.51.100.2": "198.51.100.153", "198.51.100.3": "198.51.100.156",
                      "198.51.100.4": "198.51.100.157", "198.51.100.5": "198.51.100.154"}
FORWARDERS = set(FORWARDER_UPSTREAM)
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}
QTYPES = {1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 28: "AAAA", 33: "SRV", 255: "ANY"}
ICMP = {(3, 0): "net unreachable", (3, 1): "host unreachable", (3, 3): "port unreachable",
        (3, 10): "host admin-prohibited", (3, 13): "admin-prohibited", (11, 0): "TTL exceeded"}
FIELDS = ["frame.number", "frame.time_relative", "frame.interface_id", "ip.src", "ip.dst",
          "ip.proto", "udp.srcport", "udp.dstport", "tcp.srcport", "tcp.dstport", "tcp.flags.syn",
          "tcp.flags.ack", "tcp.flags.reset", "tcp.len", "icmp.type", "icmp.code", "dns.id",
          "dns.flags.response", "dns.flags.rcode", "dns.flags.authoritative",
          "dns.flags.recdesired", "dns.flags.truncated", "dns.qry.name", "dns.qry.type",
          "dns.count.answers", "dns.count.auth_rr", "dns.resp.type", "dns.resp.name",
          "dns.cname", "dns.opt.ext_error.info_code", "dns.opt.ext_error.extra_text",
          "dns.flags.recavail", "ip.id", "ip.len"]


def tshark(path):
    with tempfile.TemporaryDirectory() as empty:
        env = dict(os.environ, WIRESHARK_PLUGIN_DIR=empty, WIRESHARK_CONFIG_DIR=empty)
        cmd = ["tshark", "-n", "-r", path, "-T", "json"]
        for f in FIELDS:
            cmd += ["-e", f]
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                             check=True).stdout
    return [p["_source"]["layers"] for p in json.loads(out or b"[]")]


def first(layer, key, conv=str, default=None):
    v = layer.get(key)
    return conv(v[0]) if v else default


def last(layer, key, conv=str, default=None):
    v = layer.get(key)
    return conv(v[-1]) if v else default


def as_bool(v):
    return v in ("1", "True", "true")


class Pkt:
    def __init__(self, L):
        self.frame = int(L["frame.number"][0])
        self.t = float(L["frame.time_relative"][0])
        self.iface = first(L, "frame.interface_id", int, 0)
        ips_src, ips_dst = L.get("ip.src", []), L.get("ip.dst", [])
        self.src, self.dst = ips_src[0], ips_dst[0]
        # a packet recorded twice repeats all of these (the IP ID alone collides in a flood)
        self.ipkey = (self.src, self.dst, first(L, "ip.id"), first(L, "ip.proto"),
                      first(L, "ip.len"), first(L, "udp.srcport"), first(L, "tcp.srcport"),
                      first(L, "udp.dstport"), first(L, "tcp.dstport"), first(L, "dns.id"),
                      first(L, "icmp.type"))
        self.icmp = None
        if "icmp.type" in L:
            kind = (int(L["icmp.type"][0]), int(L["icmp.code"][0]))
            self.icmp = ICMP.get(kind, "ICMP type %d code %d" % kind)
            # the quoted packet: the inner addresses and ports
            self.qsrc = ips_src[1] if len(ips_src) > 1 else None
            self.qdst = ips_dst[1] if len(ips_dst) > 1 else None
            self.qsport = first(L, "udp.srcport", int) or first(L, "tcp.srcport", int)
            self.qdport = first(L, "udp.dstport", int) or first(L, "tcp.dstport", int)
            self.qproto = "tcp" if "tcp.srcport" in L else "udp"
            self.qid = first(L, "dns.id", lambda x: int(x, 16) if x.startswith("0x") else int(x))
            return
        self.proto = "tcp" if "tcp.srcport" in L else "udp"
        self.sport = first(L, "%s.srcport" % self.proto, int)
        self.dport = first(L, "%s.dstport" % self.proto, int)
        self.syn = as_bool(first(L, "tcp.flags.syn", default="0"))
        self.ack = as_bool(first(L, "tcp.flags.ack", default="0"))
        self.rst = as_bool(first(L, "tcp.flags.reset", default="0"))
        self.dns = "dns.id" in L and "dns.qry.name" in L
        if not self.dns:
            return
        self.id = first(L, "dns.id", lambda x: int(x, 16) if x.startswith("0x") else int(x))
        self.response = as_bool(first(L, "dns.flags.response"))
        self.rcode = RCODES.get(first(L, "dns.flags.rcode", int, 0), "rcode?")
        self.aa = as_bool(first(L, "dns.flags.authoritative", default="0"))
        self.rd = as_bool(first(L, "dns.flags.recdesired", default="0"))
        self.ra = as_bool(first(L, "dns.flags.recavail", default="0"))
        self.tc = as_bool(first(L, "dns.flags.truncated", default="0"))
        self.name = first(L, "dns.qry.name", default="<Root>")
        if self.name == "<Root>":
            self.name = "."
        self.qtype = QTYPES.get(first(L, "dns.qry.type", int, 0), first(L, "dns.qry.type"))
        self.an = first(L, "dns.count.answers", int, 0)
        self.ns = first(L, "dns.count.auth_rr", int, 0)
        rtypes = [int(x) for x in L.get("dns.resp.type", [])]
        self.an_types = [QTYPES.get(x, str(x)) for x in rtypes[:self.an]]
        self.ns_types = [QTYPES.get(x, str(x)) for x in rtypes[self.an:self.an + self.ns]]
        self.cnames = [c.lower() for c in L.get("dns.cname", [])]
        self.ede = ["%s%s" % (c, (" \"%s\"" % t) if t else "") for c, t in zip(
            L.get("dns.opt.ext_error.info_code", []),
            L.get("dns.opt.ext_error.extra_text", []) + [""] * 8)]


class Txn:
    def __init__(self, q):
        self.q = [q]
        self.key = (q.proto, q.src, q.sport, q.dst, q.dport, getattr(q, "id", None))
        self.resp = []
        self.icmp = []
        self.bounced = []

    @property
    def first(self):
        return self.q[0]

    def end(self):
        return self.resp[0].t if self.resp else (self.icmp[0].t if self.icmp else None)


def is_client(addr):
    return ipaddress.ip_address(addr) in CLIENTS and addr not in FORWARDERS


def related(up, client, cnames):
    """Is the upstream name up related to the client's name (ancestor, same parent, CNAME)?"""
    up = up.lower().rstrip(".")
    names = [client.lower().rstrip(".")] + sorted(cnames)
    for n in names:
        if up == "" or n == up or n.endswith("." + up):
            return True
        parent = n.split(".", 1)[1] if "." in n else ""
        uparent = up.split(".", 1)[1] if "." in up else ""
        if parent and (up.endswith("." + parent) or uparent == parent):
            return True
    return False


def describe_response(r):
    if r.an:
        what = "answer " + ",".join(r.an_types)
    elif r.rcode == "NOERROR" and "NS" in r.ns_types and not r.aa:
        what = "referral (NS in authority)"
    elif r.rcode == "NOERROR" and "SOA" in r.ns_types:
        what = "nodata (SOA in authority)"
    elif r.rcode == "NOERROR" and not r.ns:
        what = "empty: no answer, no authority"
    elif r.ns:
        what = "authority " + ",".join(r.ns_types)
    else:
        what = "no records"
    flags = ["AA=%d" % r.aa, "RA=%d" % r.ra] + (["TC=1"] if r.tc else [])
    ede = (" EDE " + ";".join(r.ede)) if r.ede else ""
    return "%s %s an=%d ns=%d (%s)%s" % (r.rcode, " ".join(flags), r.an, r.ns, what, ede)


def ep(addr, port):
    return "%s:%s" % (addr, port)


def analyse(path, summary_over, markdown=False):
    pkts = [Pkt(L) for L in tshark(path)]
    txns, by_key, by_5, conns, unmatched = [], {}, collections.defaultdict(list), \
        collections.OrderedDict(), []
    for p in pkts:
        if p.icmp:
            k = (p.qproto, p.qsrc, p.qsport, p.qdst, p.qdport)
            back = (p.qproto, p.qdst, p.qdport, p.qsrc, p.qsport)
            cands = [t for t in by_5.get(k, []) if p.qid is None or t.key[5] == p.qid]
            bounced = [t for t in by_5.get(back, []) if p.qid is None or t.key[5] == p.qid]
            if cands:
                cands[-1].icmp.append(p)
            elif bounced:
                bounced[-1].bounced.append(p)   # quotes a response: its receiver had gone
            elif p.qproto == "tcp" and (p.qsrc, p.qsport, p.qdst, p.qdport) in conns:
                conns[(p.qsrc, p.qsport, p.qdst, p.qdport)]["icmp"].append(p)
            else:
                unmatched.append(p)
            continue
        if p.proto == "tcp" and not p.dns:
            if p.syn and not p.ack:
                c = conns.setdefault((p.src, p.sport, p.dst, p.dport),
                                     {"syn": [], "synack": [], "rst": [], "icmp": [], "dns": False})
                c["syn"].append(p)
            else:
                c = conns.get((p.dst, p.dport, p.src, p.sport))
                if c is not None and p.syn:
                    c["synack"].append(p)
                elif c is not None and p.rst:
                    c["rst"].append(p)
            continue
        if not p.dns:
            continue
        if not p.response:
            k = (p.proto, p.src, p.sport, p.dst, p.dport, p.id)
            t = by_key.get(k)
            if t and not t.resp and t.first.name.lower() == p.name.lower():
                t.q.append(p)           # a retransmission: same socket, ID and question
            else:
                t = Txn(p)
                by_key[k] = t
                by_5[k[:5]].append(t)
                txns.append(t)
            if p.proto == "tcp" and (p.src, p.sport, p.dst, p.dport) in conns:
                conns[(p.src, p.sport, p.dst, p.dport)]["dns"] = True
        else:
            k = (p.proto, p.dst, p.dport, p.src, p.sport, p.id)
            t = by_key.get(k)
            if t:
                t.resp.append(p)
            else:
                unmatched.append(p)
    end = pkts[-1].t if pkts else 0.0
    cnames = collections.defaultdict(set)        # resolver -> CNAME targets it saw
    for t in txns:
        for r in t.resp:
            for c in r.cnames:
                cnames[t.first.src].add(c)
    clients = [t for t in txns if is_client(t.first.src)]
    upstream = [t for t in txns if not is_client(t.first.src)]
    groups = collections.OrderedDict()      # (resolver, last two labels) -> client transactions
    for c in clients:
        n = c.first.name.lower().rstrip(".").split(".")
        groups.setdefault((c.first.dst, ".".join(n[-2:])), []).append(c)
    big = {k for k, cs in groups.items() if len(cs) > summary_over}
    # the queries made to each address (a resolver, a forwarder), listed one by one: client
    # queries outside the summarized groups, and the forwarders' queries to the resolvers
    detail = collections.defaultdict(list)
    for (res, zone), cs in groups.items():
        if (res, zone) not in big:
            detail[res].extend(cs)
    for u in upstream:
        if u.first.src == FORWARDER_SOURCE:
            detail[u.first.dst].append(u)

    def downstream(u):
        """The queries that u may have been sent for: those made to its source, or for the
        forwarders' source, those made to the forwarder whose upstream u went to."""
        if u.first.src == FORWARDER_SOURCE:
            return [c for f, up in FORWARDER_UPSTREAM.items() if up == u.first.dst
                    for c in detail.get(f, [])]
        return detail.get(u.first.src, [])

    owner = collections.defaultdict(list)   # id(upstream) -> client transactions it was for
    group_of = {}                           # id(upstream) -> summarized group it was for
    spans = {}
    for k in big:
        cs = groups[k]
        spans[k] = (min(c.first.t for c in cs),
                    max((c.end() if c.end() is not None else end) for c in cs))
    for u in upstream:
        src, t, name = u.first.src, u.first.t, u.first.name.lower().rstrip(".")
        for c in downstream(u):
            stop = c.end() if c.end() is not None else end
            if c.first.t <= t <= stop and related(name, c.first.name,
                                                  cnames[src] | cnames[c.first.dst]):
                owner[id(u)].append(c)
        if not owner[id(u)]:
            for (res, zone) in big:
                if (src == res or (src == FORWARDER_SOURCE and res in FORWARDERS)) and \
                        spans[(res, zone)][0] <= t <= spans[(res, zone)][1] and \
                        (name == zone or name.endswith("." + zone)):
                    group_of[id(u)] = (res, zone)
                    break
    # TCP connection attempts that carried no DNS: for the client queries open at the first SYN
    tcp = [(k, c) for k, c in conns.items() if not c["dns"]]
    for (src, _, dst, _), c in tcp:
        t = c["syn"][0].t
        c["for"] = [x for x in downstream(Txn(c["syn"][0]))
                    if x.first.t <= t <= (x.end() if x.end() is not None else end)]
    if markdown:
        return markdown_tables(path, pkts, end, groups, big, clients, upstream, owner, group_of,
                               tcp, unmatched)
    out = []
    w = out.append
    w("%s: %d frames, %.3f s; interfaces %s" % (
        os.path.basename(path), len(pkts), end,
        ",".join(str(i) for i in sorted({p.iface for p in pkts}))))
    dup = [k for k, n in collections.Counter(p.ipkey for p in pkts).items() if n > 1]
    w("packets recorded twice (same addresses, IP ID, protocol, length, ports, DNS ID): %s" % (
        ", ".join(str(k) for k in dup[:5]) if dup else "none"))
    w("resolvers/forwarders asked by clients: %s" % ", ".join(sorted({c.first.dst for c in clients})))
    for (res, zone), cs in groups.items():
        if (res, zone) in big:
            summarize(w, res, zone, cs, [u for u in upstream if group_of.get(id(u)) == (res, zone)])
            continue
        for c in cs:
            q = c.first
            frames = ",".join(str(x.frame) for x in c.q)
            if c.resp:
                r = c.resp[0]
                resp = "response %d at +%.3f s: %s" % (r.frame, r.t - q.t, describe_response(r))
                if len(c.resp) > 1:
                    resp += "; more responses: frames %s" % ",".join(str(x.frame) for x in c.resp[1:])
            elif c.icmp:
                resp = "ICMP %s frame %d" % (c.icmp[0].icmp, c.icmp[0].frame)
            else:
                resp = "response none (capture ends %.3f s after the query)" % (end - c.q[-1].t)
            w("")
            if c.bounced:
                resp += "; the client's kernel bounced it: ICMP %s frame %d" % (
                    c.bounced[0].icmp, c.bounced[0].frame)
            w("client query frame %s at %.3f: %s -> %s %s %s %s RD=%d id 0x%04x; %s" % (
                frames, q.t, ep(q.src, q.sport), ep(q.dst, q.dport), q.proto, q.name, q.qtype,
                q.rd, q.id, resp))
            mine = [u for u in upstream if c in owner[id(u)]]
            for u in mine:
                w("    " + upstream_line(u, owner, c))
            w("    (%d upstream transactions)" % len(mine))
    orphans = [u for u in upstream if not owner[id(u)] and id(u) not in group_of]
    if orphans:
        w("")
        w("upstream transactions while no client query with a related name was open:")
        for u in orphans:
            w("    " + upstream_line(u, owner, None))
    if tcp:
        w("")
        w("TCP connection attempts that carried no DNS message:")
        for (src, sport, dst, dport), c in tcp:
            w("    SYN %s %s -> %s; %s%s" % (",".join(str(p.frame) for p in c["syn"]),
                                            ep(src, sport), ep(dst, dport), tcp_fate(c),
                                            ("; open client query: frame %s" % ",".join(
                                                str(x.first.frame) for x in c["for"]))
                                            if c["for"] else ""))
    if unmatched:
        w("")
        w("unmatched frames: %s" % ",".join(str(p.frame) for p in unmatched))
    return "\n".join(out)


def short_response(r, since):
    flags = "AA=%d" % r.aa + (" TC=1" if r.tc else "")
    if r.an:
        what = "answer " + ",".join(r.an_types)
    elif r.rcode == "NOERROR" and "NS" in r.ns_types and not r.aa:
        what = "referral"
    elif r.rcode == "NOERROR" and "SOA" in r.ns_types:
        what = "nodata, SOA"
    elif r.rcode == "NOERROR" and not r.ns:
        what = "no answer, no authority"
    else:
        what = "an=%d ns=%d" % (r.an, r.ns)
    ede = (", EDE " + ";".join(r.ede)) if r.ede else ""
    return "%d: %s %s, %s%s (+%.1f ms)" % (r.frame, r.rcode, flags, what, ede, (r.t - since) * 1000)


def markdown_tables(path, pkts, end, groups, big, clients, upstream, owner, group_of, tcp,
                    unmatched):
    out = []
    w = out.append
    dup = [k for k, n in collections.Counter(p.ipkey for p in pkts).items() if n > 1]
    w("%s: %d frames over %.3f s, interfaces %s; packets recorded twice: %s." % (
        os.path.basename(path), len(pkts), end,
        ",".join(str(i) for i in sorted({p.iface for p in pkts})), len(dup) or "none"))
    w("")
    w("| client frames | time (s) | client | asked | name | type | response |")
    w("|---|---|---|---|---|---|---|")
    listed = sorted((c for k, cs in groups.items() if k not in big for c in cs),
                    key=lambda c: c.first.frame)
    for c in listed:
        if True:
            q = c.first
            if c.resp:
                r = c.resp[0]
                resp = "%d: %s RA=%d%s, %s (+%.3f s)" % (
                    r.frame, r.rcode, r.ra, (", EDE " + ";".join(r.ede)) if r.ede else
                    ", no EDE" if r.rcode != "NOERROR" else "",
                    ("answer " + ",".join(r.an_types)) if r.an else "no answer",
                    r.t - q.t)
                if len(c.resp) > 1:
                    resp += "; again in %s" % ",".join(str(x.frame) for x in c.resp[1:])
            else:
                resp = "none (%.1f s to the end)" % (end - c.q[-1].t)
            if c.bounced:
                resp += "; bounced: ICMP %s %d" % (c.bounced[0].icmp, c.bounced[0].frame)
            w("| %s | %.3f | %s | %s | %s | %s | %s |" % (
                ",".join(str(x.frame) for x in c.q), q.t, ep(q.src, q.sport), q.dst, q.name,
                q.qtype, resp))
    w("")
    w("| upstream frames | time (s) | from | to | name as sent | type | RD | result | for query frame |")
    w("|---|---|---|---|---|---|---|---|---|")
    rows = []
    for u in upstream:
        if id(u) in group_of:
            continue
        q = u.first
        if u.resp:
            res = short_response(u.resp[0], q.t)
        elif u.icmp:
            res = "ICMP %s %s" % (u.icmp[0].icmp, ",".join(str(p.frame) for p in u.icmp))
        else:
            res = "none"
        who = ",".join(str(c.first.frame) for c in owner[id(u)]) or "-"
        rows.append((q.frame, "| %s | %.3f | %s | %s | %s | %s | %d | %s | %s |" % (
            ",".join(str(x.frame) for x in u.q), q.t, ep(q.src, q.sport), ep(q.dst, q.dport)
            + (" tcp" if q.proto == "tcp" else ""), q.name, q.qtype, q.rd, res, who)))
    for (src, sport, dst, dport), c in tcp:
        rows.append((c["syn"][0].frame, "| %s | %.3f | %s | %s tcp | (SYN, no DNS) | - | - | %s | %s |" % (
            ",".join(str(p.frame) for p in c["syn"]), c["syn"][0].t, ep(src, sport),
            ep(dst, dport), tcp_fate(c), ",".join(str(x.first.frame) for x in c["for"]) or "-")))
    for _, row in sorted(rows):
        w(row)
    summaries = [k for k in groups if k in big]
    if summaries:
        w("")
        w("```text")
        for i, (res, zone) in enumerate(summaries):
            lines = []
            summarize(lines.append, res, zone, groups[(res, zone)],
                      [u for u in upstream if group_of.get(id(u)) == (res, zone)])
            out.extend(lines[1:] if i == 0 else lines)     # (summarize starts with a blank line)
        w("```")
    if unmatched:
        w("")
        w("Unmatched frames: %s" % ",".join(str(p.frame) for p in unmatched))
    return "\n".join(out)


def tcp_fate(c):
    if c["rst"]:
        return "RST frame %s" % ",".join(str(p.frame) for p in c["rst"])
    if c["icmp"]:
        return "ICMP %s frame %s" % (c["icmp"][0].icmp, c["icmp"][0].frame)
    if c["synack"]:
        return "SYN-ACK frame %s" % c["synack"][0].frame
    return "nothing back"


def upstream_line(u, owner, me):
    q = u.first
    frames = ",".join(str(x.frame) for x in u.q)
    if u.resp:
        r = u.resp[0]
        fate = "response %d (+%.1f ms): %s" % (r.frame, (r.t - q.t) * 1000, describe_response(r))
    elif u.icmp:
        fate = "ICMP %s frame %s" % (u.icmp[0].icmp, ",".join(str(p.frame) for p in u.icmp))
    else:
        fate = "nothing back"
    also = [c for c in owner[id(u)] if c is not me]
    shared = ("; also open: client frame %s" % ",".join(str(c.first.frame) for c in also)) \
        if also else ""
    return "frame %s at %.3f %s %s -> %s %s %s RD=%d: %s%s" % (
        frames, q.t, q.proto, ep(q.src, q.sport), ep(q.dst, q.dport), q.name, q.qtype, q.rd,
        fate, shared)


def summarize(w, res, zone, cs, mine):
    rc = collections.Counter(c.resp[0].rcode if c.resp else "none" for c in cs)
    names = {c.first.name.lower() for c in cs}
    t0, t1 = cs[0].first.t, cs[-1].first.t
    w("")
    w("%d client queries to %s under %s (%d distinct names, from %d client address(es)), frames %d-%d, "
      "%.3f-%.3f s: responses %s" % (
          len(cs), res, zone, len(names), len({c.first.src for c in cs}), cs[0].first.frame,
          cs[-1].first.frame, t0, t1, ", ".join("%s %d" % kv for kv in rc.most_common())))
    lat = sorted(c.resp[0].t - c.first.t for c in cs if c.resp)
    if lat:
        w("    response times: min %.3f s, median %.3f s, max %.3f s" % (
            lat[0], lat[len(lat) // 2], lat[-1]))
    ede = collections.Counter(";".join(c.resp[0].ede) for c in cs if c.resp and c.resp[0].ede)
    if ede:
        w("    EDE in responses: %s" % ", ".join("%s x%d" % kv for kv in ede.items()))
    per = collections.Counter()
    for u in mine:
        fate = ("resp " + u.resp[0].rcode) if u.resp else ("icmp " + u.icmp[0].icmp) \
            if u.icmp else "nothing back"
        per[(u.first.dst, u.first.proto, fate)] += 1
    bounced = [c for c in cs if c.bounced]
    if bounced:
        w("    responses the client's kernel bounced with ICMP port unreachable (socket closed): %d"
          % len(bounced))
    w("    upstream transactions under %s from %s meanwhile: %d" % (zone, res if res not in
      FORWARDERS else FORWARDER_SOURCE, len(mine)))
    for (dst, proto, fate), n in sorted(per.items()):
        w("        to %s %s: %d (%s)" % (dst, proto, n, fate))
    retx = sum(len(u.q) - 1 for u in mine)
    if retx:
        w("        retransmissions on the same socket and ID: %d" % retx)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--summary-over", type=int, default=40)
    ap.add_argument("--markdown", action="store_true",
                    help="two tables per capture (client queries, upstream queries)")
    ap.add_argument("captures", nargs="+")
    args = ap.parse_args()
    for i, path in enumerate(args.captures):
        if i:
            print()
        print(analyse(path, args.summary_over, args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
