"""Every capture in captures/ against the outcome table in captures/README.md,
with tshark -2 (final outcomes) and in a single pass (nothing that a later
frame can change is said: pending), plus where the dnsmon subtree appears at
all, and -R (a read filter) with -2."""
import os
import sys
import unittest

from harness import TsharkTestCase, CAPTURES, frames_of, one, parse_expectations, prose_captures

QTYPES = {"1": "A", "2": "NS", "5": "CNAME", "6": "SOA", "12": "PTR", "15": "MX", "16": "TXT",
          "28": "AAAA", "33": "SRV", "255": "ANY", "65": "HTTPS", "252": "AXFR", "251": "IXFR"}
RCODE_OUTCOMES = {"answered", "nodata", "truncated", "nxdomain", "servfail", "refused", "error"}
RCODE_EXPERT = {"servfail": "servfail", "refused": "refused", "nxdomain": "nxdomain",
                "error": "error_rcode"}
TRUE = ("1", "True")

EXPECTED = parse_expectations()


def role(item):
    if "attempt" in item or "tcp.syn" in item:
        return "query"
    if "icmp.quotes" in item:
        return "icmp"
    if "tcp_reset" in item["experts"]:
        return "reset"
    if "wrong_source" in item["experts"]:
        return "wrong"
    return "response"


def endpoint(address, port):
    return ("[%s]:%s" if ":" in address else "%s:%s") % (address, port)


def addr(item, name):
    """dnsmon.server, or dnsmon.server6 for IPv6 (and so on)."""
    return one(item, name) or one(item, name + "6")


def transactions(items):
    txns = {}
    for it in items:
        if "txn" not in it:
            continue
        t = txns.setdefault(int(one(it, "txn")), {r: [] for r in (
            "query", "response", "icmp", "reset", "wrong", "items")})
        t[role(it)].append(it)
        t["items"].append(it)
    return txns


def frames(items):
    return sorted({it["frame"] for it in items})


def fmt(frame_list):
    return ",".join(str(f) for f in frame_list) or "-"


def row_frames(row):
    out = set()
    for col in ("query frames", "response frames", "icmp frames", "wrong source frames",
                "reset frames"):
        out.update(frames_of(row.get(col, "-")))
    return out


class CaptureTest(TsharkTestCase):
    def check_final(self, name, exp):
        items = self.ts.items(name, two_pass=True)
        txns = transactions(items)
        rows = {int(r["txn"]): r for r in exp["rows"]}
        self.assertEqual(sorted(txns), sorted(rows), name + ": transactions")
        for num, row in rows.items():
            t = txns[num]
            where = "%s txn %d" % (name, num)
            outcomes = {one(it, "outcome") for it in t["items"]}
            self.assertEqual(outcomes, {row["outcome"]}, where + ": outcome on every frame")
            self.assertEqual(fmt(frames(t["query"])), row["query frames"], where + ": queries")
            self.assertEqual(fmt(frames(t["response"])), row["response frames"],
                             where + ": responses")
            self.assertEqual(fmt(frames(t["icmp"])), row["icmp frames"], where + ": ICMP errors")
            self.assertEqual(fmt(frames(t["wrong"])), row.get("wrong source frames", "-"),
                             where + ": wrong-source responses")
            self.assertEqual(fmt(frames(t["reset"])), row.get("reset frames", "-"),
                             where + ": resets")
            first = t["items"][0]
            self.assertEqual(one(first, "qname", "-"), row["name"], where + ": name")
            self.assertEqual(QTYPES.get(one(first, "qtype"), one(first, "qtype", "-")), row["type"],
                             where + ": type")
            self.assertEqual(one(first, "transport"), row["transport"], where + ": transport")
            self.assertEqual(endpoint(addr(first, "client"), one(first, "client_port")),
                             row["client"], where + ": client")
            self.assertEqual(endpoint(addr(first, "server"), one(first, "server_port")),
                             row["server"], where + ": server")
            for q in t["query"]:
                self.assertEqual(one(q, "attempts"), row["attempts"], where + ": attempts")
            attempts = sorted(int(one(q, "attempt")) for q in t["query"])
            self.assertEqual(attempts, list(range(1, len(attempts) + 1)), where + ": numbering")
            self.check_icmp_columns(where, t, row)
            self.check_lookup(where, t, row)
            self.check_fallback(where, t, row, rows)
            self.check_links(where, t, row["outcome"])
            self.check_experts(where, t, row["outcome"])
        self.check_unmatched(name, items, exp)
        return items

    def check_icmp_columns(self, where, t, row):
        if not t["icmp"]:
            for col in ("icmp kind", "reporter", "from server"):
                self.assertEqual(row[col], "-", where + ": " + col)
            return
        kinds = ",".join(sorted({one(i, "icmp.kind") for i in t["icmp"]}))
        reporters = ",".join(sorted({addr(i, "icmp.reporter") for i in t["icmp"]}))
        from_server = ",".join(sorted({"yes" if one(i, "icmp.from_server") in TRUE else "no"
                                       for i in t["icmp"]}))
        self.assertEqual(kinds, row["icmp kind"], where + ": icmp kind")
        self.assertEqual(reporters, row["reporter"], where + ": reporter")
        self.assertEqual(from_server, row["from server"], where + ": from server")

    def check_lookup(self, where, t, row):
        if "lookup" not in row:
            return
        for it in t["items"]:
            self.assertEqual(one(it, "lookup", "-"), row["lookup"], where + ": lookup")
            self.assertEqual(one(it, "lookup.outcome", "-"), row["lookup outcome"],
                             where + ": lookup outcome")

    def check_fallback(self, where, t, row, rows):
        """A TCP retry links the truncated answer it retries, and back."""
        of = row.get("fallback of", "-")
        if of == "-":
            for it in t["items"]:
                self.assertNotIn("tcp.fallback_of", it, where)
            return
        udp = rows[int(of)]
        answer = min(frames_of(udp["response frames"]))
        for it in t["items"]:
            self.assertEqual(one(it, "tcp.fallback_of"), str(answer), where + ": fallback_of")

    def check_links(self, where, t, outcome):
        """Frame links point inside the transaction, and the right way."""
        qframes = set(frames(t["query"]))
        rframes = set(frames(t["response"]))
        iframes = set(frames(t["icmp"]))
        wframes = set(frames(t["wrong"]))
        for it in t["items"]:
            responses = rframes | (wframes if role(it) == "icmp" else set())
            for key, allowed in (("query_in", qframes), ("response_in", responses),
                                 ("icmp_in", iframes)):
                for v in it.get(key, []):
                    self.assertIn(int(v), allowed, "%s: frame %d %s=%s" % (where, it["frame"],
                                                                         key, v))
        for r in t["response"] + t["wrong"] + t["reset"]:
            self.assertEqual(int(one(r, "query_in")), min(qframes), where + ": response link")
        for i in t["icmp"]:
            if one(i, "icmp.quotes") == "query":
                self.assertTrue(i.get("query_in"), where + ": ICMP frame links its query")
                quoted = int(one(i, "query_in"))
                self.assertLess(quoted, i["frame"], where + ": quoted query precedes the error")
                q = [x for x in t["query"] if x["frame"] == quoted]
                self.assertTrue(q and str(i["frame"]) in q[0].get("icmp_in", []),
                                where + ": query %d links back to ICMP %d" % (quoted, i["frame"]))
        for q in t["query"]:
            if outcome in RCODE_OUTCOMES:
                self.assertIn(int(one(q, "response_in")), rframes, where + ": query->response")
            else:
                self.assertNotIn("response_in", q, where + ": no deciding response")

    def check_experts(self, where, t, outcome):
        for q in t["query"]:
            if outcome in ("rejected", "unanswered", "incomplete", "wrong_source"):
                self.assertIn(outcome, q["experts"], "%s: frame %d" % (where, q["frame"]))
            if int(one(q, "attempt")) > 1:
                self.assertIn("retransmission", q, where + ": retransmission flag")
            else:
                self.assertNotIn("retransmission", q["experts"], where)
        for i in t["icmp"]:
            expected = "bounced" if one(i, "icmp.quotes") == "response" else "icmp_error"
            self.assertIn(expected, i["experts"], "%s: frame %d" % (where, i["frame"]))
        for w in t["wrong"]:
            self.assertIn("answered_from", w, where + ": the wrong source named")
        if outcome in RCODE_EXPERT:
            deciding = [r for r in t["response"] if RCODE_EXPERT[outcome] in r["experts"]]
            self.assertEqual(len(deciding), 1, where + ": one response carries the rcode expert")

    def check_unmatched(self, name, items, exp):
        orphans = sorted({it["frame"] for it in items if "txn" not in it})
        self.assertEqual(orphans, sorted(exp["unmatched"]), name + ": frames without transaction")
        for it in items:
            if "txn" not in it:
                self.assertTrue(set(it["experts"]) & {"unsolicited", "icmp_unmatched"},
                                "%s: frame %d says why it has no transaction" % (name, it["frame"]))

    def check_lookup_experts(self, name, items, exp):
        """The failed/recovered note sits on the frames of a lookup's last transaction."""
        last = {}
        for r in exp["rows"]:
            if r.get("lookup", "-") != "-":
                last[r["lookup"]] = max(last.get(r["lookup"], 0), int(r["txn"]))
        by_txn = {int(r["txn"]): r for r in exp["rows"]}
        for it in items:
            if "txn" not in it or "lookup" not in it:
                continue
            row = by_txn[int(one(it, "txn"))]
            is_last = last.get(row["lookup"]) == int(row["txn"])
            where = "%s frame %d" % (name, it["frame"])
            self.assertEqual("lookup_failed" in it["experts"],
                             is_last and row["lookup outcome"] == "failed", where)
            self.assertEqual("lookup_recovered" in it["experts"],
                             is_last and row["lookup outcome"] == "recovered", where)

    def check_presence(self, name, items, exp):
        """The subtree is on exactly the frames the table lists; every DNS frame and ICMP
        error about DNS (judged without dnsmon) is listed, unless a line says otherwise."""
        shown = {it["frame"] for it in items}
        listed = set(exp["unmatched"]).union(*(row_frames(r) for r in exp["rows"]))
        self.assertEqual(shown, listed, name + ": subtree frames")
        self.assertFalse(shown & (set(exp["ignored"]) | set(exp["no_subtree"])),
                         name + ": frames that must have no subtree")
        rows = self.ts.fields(name, ["frame.number"], dfilter=(
            "(dns && !icmp && !icmpv6) || ((icmp.type == 3 || icmp.type == 4 || icmp.type == 11 || "
            "icmp.type == 12 || (icmpv6.type >= 1 && icmpv6.type <= 4)) && "
            "(udp.port == 53 || tcp.port == 53 || dns))"))
        dns_frames = {int(r[0]) for r in rows} - set(exp["ignored"])
        self.assertLessEqual(dns_frames, shown, name + ": DNS frames without a subtree")

    def check_single_pass(self, name, final_items):
        """One pass: the same items (but the SYNs of a connection attempt that only turns out
        to be one later); nothing a later frame can change: a transaction shows its outcome
        once a response decided it, and pending before."""
        items = self.ts.items(name, two_pass=False)
        key = lambda it: (it["frame"], one(it, "txn"), role(it))
        final_by_key = {key(it): it for it in final_items}
        # A SYN is said to be a connection attempt once it failed (later), and a TC
        # fallback's SYNs are pending until their connection carries the query (then
        # they are not a transaction of their own): SYN items may differ, nothing else.
        single_by_key = {key(it): it for it in items}
        for k in set(final_by_key) ^ set(single_by_key):
            it = final_by_key.get(k) or single_by_key[k]
            self.assertIn("tcp.syn", it, "%s: only SYNs may differ: %s" % (name, k))
        decided_at = {}
        for it in final_items:
            if "rtt" in it and role(it) == "response":
                decided_at[one(it, "txn")] = it["frame"]
        for it in items:
            f = final_by_key.get(key(it))
            where = "%s frame %d (single pass)" % (name, it["frame"])
            if "txn" not in it or not f:
                continue
            txn = one(it, "txn")
            if txn in decided_at and decided_at[txn] <= it["frame"]:
                self.assertEqual(one(it, "outcome"), one(f, "outcome"), where)
            else:
                self.assertEqual(one(it, "outcome"), "pending", where)
            if role(it) == "query":
                self.assertEqual(one(it, "attempt"), one(f, "attempt"), where)
                self.assertNotIn("response_in", it, where + ": no forward link yet")
            else:
                self.assertEqual(one(it, "query_in"), one(f, "query_in"), where + ": backward link")
            if "rtt" in f and role(it) == "response":
                self.assertEqual(one(it, "rtt"), one(f, "rtt"), where + ": rtt")

    def check_read_filter(self, name):
        """tshark -2 -R FILTER gives the number of a frame it drops to the next frame: every
        frame that survives says what it says with -Y FILTER (same frames, original numbers),
        and its links point at the same frames, renumbered, never at a dropped one -- but for
        the capture's very last frame: when the filter drops it, no later frame tells dnsmon
        (README, "Read filters"), so a link to it may stay, pointing past the end."""
        cols = ["frame.number", "dnsmon.txn", "dnsmon.outcome", "dnsmon.lookup.outcome",
                "dnsmon.query_in", "dnsmon.response_in", "dnsmon.icmp_in"]
        for dfilter in ("not icmp and not icmpv6", "dns"):
            where = "%s -2 -R %r" % (name, dfilter)
            with_r = self.ts.fields(name, cols, two_pass=True, extra=("-R", dfilter))
            with_y = self.ts.fields(name, cols, two_pass=True, dfilter=dfilter)
            self.assertEqual(len(with_r), len(with_y), where + ": frames kept")
            to_orig = {int(r[0]): int(y[0]) for r, y in zip(with_r, with_y)}
            kept = set(to_orig.values())
            last = int(self.ts.fields(name, ["frame.number"], two_pass=False)[-1][0])
            if last not in kept:
                to_orig[len(with_r) + 1] = last     # the dropped last frame, see above
                kept.add(last)
            for r, y in zip(with_r, with_y):
                self.assertEqual(r[1:4], y[1:4], "%s: frame %s (%s)" % (where, r[0], y[0]))
                for i in range(4, len(cols)):
                    got = {to_orig.get(int(v), -1) for v in r[i].split(",") if v}
                    want = {int(v) for v in y[i].split(",") if v and int(v) in kept}
                    self.assertEqual(got, want, "%s: frame %s %s" % (where, y[0], cols[i]))


def make_test(name):
    def test(self):
        exp = EXPECTED[name]
        items = self.check_final(name, exp)
        self.check_lookup_experts(name, items, exp)
        self.check_presence(name, items, exp)
        self.check_single_pass(name, items)
        self.check_read_filter(name)
    return test


for _name in sorted(EXPECTED):
    setattr(CaptureTest, "test_" + _name.replace(".", "_").replace("-", "_"), make_test(_name))


class PreferenceTest(TsharkTestCase):
    """Each preference changes what it says it changes (-o dnsmon.NAME:VALUE)."""

    def outcomes(self, cap, *prefs, field="dnsmon.outcome"):
        extra = []
        for p in prefs:
            extra += ["-o", "dnsmon." + p]
        return {int(r[0]): r[1] for r in self.ts.fields(cap, ["frame.number", field],
                                                        dfilter="dnsmon", extra=extra)}

    def test_timeout(self):
        self.assertEqual(self.outcomes("incomplete.pcapng")[3], "incomplete")
        self.assertEqual(self.outcomes("incomplete.pcapng", "timeout:0")[3], "unanswered")

    def test_retransmit_window(self):
        txns = self.outcomes("firewall-drop.pcapng", field="dnsmon.txn")
        self.assertEqual([txns[f] for f in (1, 2, 3)], ["1", "1", "1"])
        txns = self.outcomes("firewall-drop.pcapng", "retransmit_window:0", field="dnsmon.txn")
        self.assertEqual([txns[f] for f in (1, 2, 3)], ["1", "2", "3"])

    def test_slow_threshold(self):
        def slow(*prefs):
            rows = self.ts.fields("slow-server.pcapng", ["frame.number"],
                                  dfilter="dnsmon.expert.slow",
                                  extra=[a for p in prefs for a in ("-o", "dnsmon." + p)])
            return len(rows)
        self.assertGreater(slow(), 0)
        self.assertEqual(slow("slow_threshold:5000"), 0)

    def test_ignore_multicast(self):
        exp = EXPECTED["mdns.pcapng"]
        self.assertFalse(set(exp["ignored"]) & set(self.outcomes("mdns.pcapng")))
        shown = self.outcomes("mdns.pcapng", "ignore_multicast:FALSE")
        self.assertLessEqual(set(exp["ignored"]), set(shown))

    def test_lookup_window(self):
        """lookups.pcapng: txn 14 comes 7.3 s after lookup 5's last event: its own lookup,
        unless the window is wider."""
        lk = self.outcomes("lookups.pcapng", field="dnsmon.lookup")
        self.assertNotEqual(lk[24], lk[17])
        lk = self.outcomes("lookups.pcapng", "lookup_window:10", field="dnsmon.lookup")
        self.assertEqual(lk[24], lk[17])


class CapturesListedTest(unittest.TestCase):
    def test_every_capture_has_a_table(self):
        on_disk = {f for f in os.listdir(CAPTURES) if f.endswith((".pcap", ".pcapng"))}
        self.assertTrue(on_disk, "no captures")
        # the resolver captures are described in prose (no outcome table yet)
        self.assertEqual(on_disk, set(EXPECTED) | (prose_captures() & on_disk),
                         "captures and README tables differ")
        self.assertFalse(set(EXPECTED) & prose_captures(), "a capture in both kinds of section")

    def test_frames_parser(self):
        self.assertEqual(frames_of("1,3,5"), [1, 3, 5])
        self.assertEqual(frames_of("3-5, 7, 9-10 (the rest)"), [3, 4, 5, 7, 9, 10])
        self.assertEqual(frames_of("-"), [])


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
