"""Every capture in captures/ against the outcome table in captures/README.md,
with tshark -2 (final outcomes) and in a single pass (pending queries,
backward links only), plus where the dnsmon subtree appears at all."""
import os
import sys
import unittest

from harness import TsharkTestCase, CAPTURES, frames_of, one, parse_expectations

QTYPES = {"1": "A", "2": "NS", "5": "CNAME", "6": "SOA", "12": "PTR", "15": "MX", "16": "TXT",
          "28": "AAAA", "33": "SRV", "255": "ANY", "65": "HTTPS"}
ANSWERED = {"answered", "nodata", "nxdomain", "servfail", "refused", "error"}
RCODE_EXPERT = {"servfail": "servfail", "refused": "refused", "nxdomain": "nxdomain",
                "error": "error_rcode"}

EXPECTED = parse_expectations()


def role(item):
    if "attempt" in item:
        return "query"
    if "icmp.quotes" in item:
        return "icmp"
    return "response"


def endpoint(address, port):
    return ("[%s]:%s" if ":" in address else "%s:%s") % (address, port)


def addr(item, name):
    """dnsmon.server, or dnsmon.server6 for IPv6 (and so on)."""
    return one(item, name) or one(item, name + "6")


def transactions(items):
    """Group items by transaction number."""
    txns = {}
    for it in items:
        if "txn" not in it:
            continue
        t = txns.setdefault(int(one(it, "txn")), {"query": [], "response": [], "icmp": [],
                                                   "items": []})
        t[role(it)].append(it)
        t["items"].append(it)
    return txns


def frames(items):
    return sorted({it["frame"] for it in items})


def fmt(frame_list):
    return ",".join(str(f) for f in frame_list) or "-"


class CaptureTest(TsharkTestCase):
    def check_final(self, name, exp):
        items = self.ts.items(name, two_pass=True)
        txns = transactions(items)
        self.assertEqual(len(txns), len(exp["rows"]),
                         "%s: %d transactions, expected %d" % (name, len(txns), len(exp["rows"])))
        for row in exp["rows"]:
            num = int(row["txn"])
            self.assertIn(num, txns, "%s: transaction %d missing" % (name, num))
            t = txns[num]
            where = "%s txn %d" % (name, num)
            outcomes = {one(it, "outcome") for it in t["items"]}
            self.assertEqual(outcomes, {row["outcome"]}, where + ": outcome on every frame")
            self.assertEqual(fmt(frames(t["query"])), row["query frames"], where + ": queries")
            self.assertEqual(fmt(frames(t["response"])), row["response frames"],
                             where + ": responses")
            self.assertEqual(fmt(frames(t["icmp"])), row["icmp frames"], where + ": ICMP errors")
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
        from_server = ",".join(sorted({"yes" if one(i, "icmp.from_server") in ("1", "True")
                                       else "no" for i in t["icmp"]}))
        self.assertEqual(kinds, row["icmp kind"], where + ": icmp kind")
        self.assertEqual(reporters, row["reporter"], where + ": reporter")
        self.assertEqual(from_server, row["from server"], where + ": from server")

    def check_links(self, where, t, outcome):
        """Frame links point inside the transaction, and the right way."""
        qframes = set(frames(t["query"]))
        rframes = set(frames(t["response"]))
        iframes = set(frames(t["icmp"]))
        for it in t["items"]:
            for key, allowed in (("query_in", qframes), ("response_in", rframes),
                                 ("icmp_in", iframes)):
                for v in it.get(key, []):
                    self.assertIn(int(v), allowed, "%s: frame %d %s=%s" % (where, it["frame"],
                                                                         key, v))
        for r in t["response"]:
            self.assertEqual(int(one(r, "query_in")), min(qframes), where + ": response link")
        for i in t["icmp"]:
            self.assertTrue(i.get("query_in"), where + ": ICMP frame links its query")
            if one(i, "icmp.quotes") == "query":
                quoted = int(one(i, "query_in"))
                self.assertLess(quoted, i["frame"], where + ": quoted query precedes the error")
                q = [x for x in t["query"] if x["frame"] == quoted]
                self.assertTrue(q and str(i["frame"]) in q[0].get("icmp_in", []),
                                where + ": query %d links back to ICMP %d" % (quoted, i["frame"]))
        for q in t["query"]:
            if outcome in ANSWERED:
                self.assertIn(int(one(q, "response_in")), rframes, where + ": query->response")
            else:
                self.assertNotIn("response_in", q, where + ": no deciding response")

    def check_experts(self, where, t, outcome):
        for q in t["query"]:
            if outcome in ("rejected", "unanswered", "incomplete"):
                self.assertIn(outcome, q["experts"], "%s: frame %d" % (where, q["frame"]))
            if int(one(q, "attempt")) > 1:
                self.assertIn("retransmission", q["experts"], where)
            else:
                self.assertNotIn("retransmission", q["experts"], where)
        for i in t["icmp"]:
            expected = "bounced" if one(i, "icmp.quotes") == "response" else "icmp_error"
            self.assertIn(expected, i["experts"], "%s: frame %d" % (where, i["frame"]))
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
        ignored = set(exp["ignored"])
        self.assertFalse(ignored & {it["frame"] for it in items},
                         name + ": multicast frames are left alone")

    def check_single_pass(self, name, final_items):
        """One pass: same transactions and attempts; queries are pending; responses
        and ICMP errors link back."""
        items = self.ts.items(name, two_pass=False)
        key = lambda it: (it["frame"], one(it, "txn"), role(it))
        self.assertEqual(sorted(map(key, items), key=str), sorted(map(key, final_items), key=str),
                         name + ": the same items in one pass")
        final_by_key = {key(it): it for it in final_items}
        for it in items:
            f = final_by_key[key(it)]
            where = "%s frame %d (single pass)" % (name, it["frame"])
            if "txn" not in it:
                continue
            if role(it) == "query":
                self.assertEqual(one(it, "outcome"), "pending", where)
                self.assertEqual(one(it, "attempt"), one(f, "attempt"), where)
                self.assertNotIn("response_in", it, where + ": no forward link yet")
            else:
                self.assertEqual(one(it, "query_in"), one(f, "query_in"), where + ": backward link")
            if role(it) == "response" and "rtt" in f:      # the response that decides
                self.assertEqual(one(it, "outcome"), one(f, "outcome"), where)
                self.assertEqual(one(it, "rtt"), one(f, "rtt"), where + ": rtt")

    def check_presence(self, name, items, exp):
        """The dnsmon subtree is on exactly the DNS frames and the ICMP errors quoting
        DNS (judged without the plugin's help), multicast aside."""
        rows = self.ts.fields(name, ["frame.number"], dfilter=(
            "(dns && !icmp && !icmpv6) || ((icmp.type == 3 || icmp.type == 4 || icmp.type == 5 || "
            "icmp.type == 11 || icmp.type == 12 || (icmpv6.type >= 1 && icmpv6.type <= 4)) && "
            "(udp.port == 53 || tcp.port == 53 || dns))"))
        dns_frames = {int(r[0]) for r in rows} - set(exp["ignored"])
        self.assertEqual({it["frame"] for it in items}, dns_frames, name + ": subtree frames")


def make_test(name):
    def test(self):
        exp = EXPECTED[name]
        items = self.check_final(name, exp)
        self.check_presence(name, items, exp)
        self.check_single_pass(name, items)
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


class CapturesListedTest(unittest.TestCase):
    def test_every_capture_has_a_table(self):
        on_disk = {f for f in os.listdir(CAPTURES) if f.endswith((".pcap", ".pcapng"))}
        self.assertTrue(on_disk, "no captures")
        self.assertEqual(on_disk, set(EXPECTED), "captures and README tables differ")

    def test_frames_parser(self):
        self.assertEqual(frames_of("1,3,5"), [1, 3, 5])
        self.assertEqual(frames_of("-"), [])


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
