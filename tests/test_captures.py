"""Every capture in captures/ against the outcome table in captures/README.md,
with tshark -2 (final outcomes) and in a single pass (nothing that a later
frame can change is said: pending), plus where the dnsmon subtree appears at
all, and -R (a read filter) with -2.

Each capture's tshark runs are made once for the whole suite (harness.py,
ctest 'tshark-runs'): this module reads their parsed output. A negative
control feeds the same checks a deliberately wrong table."""
import collections
import os
import sys
import unittest

import copy

from harness import (QUICK, TsharkTestCase, CAPTURES, PRESENCE_FILTER, frames_of, main_exit,
                     matching, one, parse_expectations, result, txn_frames)

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


row_frames = txn_frames


class CaptureTest(TsharkTestCase):
    def check_final(self, name, exp):
        items = result(name, "2")["items"]
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
            self.check_downgrade(where, t, row, rows)
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

    def check_downgrade(self, where, t, row, rows):
        """Plain DNS after a failed encrypted attempt: every frame says so, links the
        attempt's first frame, and each query carries the downgraded expert item."""
        of = row.get("downgrade of", "-")
        if of == "-":
            for it in t["items"]:
                self.assertNotIn("downgraded", it, where)
                self.assertNotIn("downgrade_of", it, where)
            return
        attempt = min(frames_of(rows[int(of)]["query frames"]))
        for it in t["items"]:
            self.assertIn("downgraded", it, where + ": downgraded")
            self.assertEqual(one(it, "downgrade_of"), str(attempt), where + ": downgrade_of")
        for it in t["query"]:
            self.assertIn("downgraded", it["experts"], where + ": downgraded expert on the query")

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
                # A TCP connection attempt nobody answered is not a DNS query.
                want = ("connection_unanswered" if outcome == "unanswered" and "tcp.syn" in q
                        else outcome)
                self.assertIn(want, q["experts"], "%s: frame %d" % (where, q["frame"]))
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
        """The failed/recovered note: once per lookup, on its last frame."""
        last, outcome = {}, {}
        for r in exp["rows"]:
            if r.get("lookup", "-") != "-":
                last[r["lookup"]] = max([last.get(r["lookup"], 0)] + list(row_frames(r)))
                outcome[r["lookup"]] = r["lookup outcome"]
        said = collections.Counter()
        for it in items:
            for e in ("lookup_failed", "lookup_recovered"):
                said[(e, one(it, "lookup"), it["frame"])] += it["experts"].count(e)
        want = collections.Counter()
        for lk, frame in last.items():
            if outcome[lk] in ("failed", "recovered"):
                want[("lookup_" + outcome[lk], lk, frame)] = 1
        self.assertEqual(+said, +want, name + ": lookup notes (expert, lookup, frame)")

    def check_presence(self, name, items, exp):
        """The subtree is on exactly the frames the table lists; every DNS frame and ICMP
        error about DNS (judged without dnsmon) is listed, unless a line says otherwise."""
        shown = {it["frame"] for it in items}
        listed = set(exp["unmatched"]).union(*(row_frames(r) for r in exp["rows"]))
        self.assertEqual(shown, listed, name + ": subtree frames")
        self.assertFalse(shown & (set(exp["ignored"]) | set(exp["no_subtree"])),
                         name + ": frames that must have no subtree")
        run = result(name, "2")
        matched = matching(run["frames"], PRESENCE_FILTER)
        self.assertEqual(run["io"][PRESENCE_FILTER], len(matched),
                         name + ": tshark's filter engine and the harness disagree on the DNS "
                         "frames filter")
        dns_frames = matched - set(exp["ignored"])
        self.assertLessEqual(dns_frames, shown, name + ": DNS frames without a subtree")

    def check_single_pass(self, name, final_items):
        """One pass: the same items (but the SYNs of a connection attempt that only turns out
        to be one later); nothing a later frame can change: a transaction shows its outcome
        once a response decided it, and pending before."""
        items = result(name, "1")["items"]
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
            # a response decides; so does the packet that seals an encrypted connection
            # read without keys (its "response")
            sealed = one(it, "outcome") in ("encrypted", "tls_failed")
            if ("rtt" in it or sealed) and role(it) == "response":
                txn = one(it, "txn")
                decided_at[txn] = min(decided_at.get(txn, it["frame"]), it["frame"])
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
        two = result(name, "2")
        for dfilter in ("not icmp and not icmpv6", "dns"):
            where = "%s -2 -R %r" % (name, dfilter)
            with_r = result(name, "R:" + dfilter)["rows"]
            # -Y FILTER: the -2 run's frames that match it, as -T fields prints them
            with_y = [[",".join(fr["fields"].get(c, [])) for c in cols]
                      for fr in two["frames"] if fr["frame.number"] in matching([fr], dfilter)]
            self.assertEqual(two["io"][dfilter], len(with_y),
                             where + ": tshark's filter engine and the harness disagree")
            self.assertEqual(len(with_r), len(with_y), where + ": frames kept")
            to_orig = {int(r[0]): int(y[0]) for r, y in zip(with_r, with_y)}
            kept = set(to_orig.values())
            last = result(name, "1")["frames"][-1]["frame.number"]
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
        if QUICK:       # scripts/test --quick: the -2 run only
            return
        self.check_single_pass(name, items)
        self.check_read_filter(name)
    return test


for _name in sorted(EXPECTED):
    setattr(CaptureTest, "test_" + _name.replace(".", "_").replace("-", "_"), make_test(_name))


@unittest.skipIf(QUICK, "scripts/test --quick: no preference runs")
class PreferenceTest(TsharkTestCase):
    """Each preference changes what it says it changes (-o dnsmon.NAME:VALUE)."""

    @staticmethod
    def pref_run(cap, prefs):
        return result(cap, "2+" + ":".join(prefs) if prefs else "2")

    def outcomes(self, cap, *prefs, field="dnsmon.outcome"):
        """frame -> the field's values (as -T fields -Y dnsmon prints them)."""
        return {fr["frame.number"]: ",".join(fr["fields"].get(field, []))
                for fr in self.pref_run(cap, prefs)["frames"] if "dnsmon" in fr["fields"]}

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
            return len(matching(self.pref_run("slow-server.pcapng", prefs)["frames"],
                                "dnsmon.expert.slow"))
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


class NegativeControlTest(TsharkTestCase):
    """The checks above report a table that is wrong: seed-incident.pcapng
    against its own table, then with one outcome, one frame list and one
    name changed (each must fail, with the message that names it)."""

    def wrong(self, change):
        exp = copy.deepcopy(EXPECTED["seed-incident.pcapng"])
        change(exp)
        checker = CaptureTest("test_seed_incident_pcapng")
        with self.assertRaises(AssertionError) as cm:
            items = checker.check_final("seed-incident.pcapng", exp)
            checker.check_presence("seed-incident.pcapng", items, exp)
        return str(cm.exception)

    def test_right_table_passes(self):
        checker = CaptureTest("test_seed_incident_pcapng")
        items = checker.check_final("seed-incident.pcapng", EXPECTED["seed-incident.pcapng"])
        self.assertEqual(len(items), 6)

    def test_wrong_outcome(self):
        def change(exp):
            exp["rows"][1]["outcome"] = "answered"
        self.assertIn("txn 2: outcome on every frame", self.wrong(change))

    def test_wrong_frames(self):
        def change(exp):
            exp["rows"][2]["icmp frames"] = "5"
        self.assertIn("txn 3: ICMP errors", self.wrong(change))

    def test_wrong_name(self):
        def change(exp):
            exp["rows"][0]["name"] = "yummyrecipesforme.org"
        self.assertIn("txn 1: name", self.wrong(change))

    def test_missing_frame(self):
        def change(exp):
            exp["unmatched"] = [7]
        self.assertIn("frames without transaction", self.wrong(change))


class CapturesListedTest(unittest.TestCase):
    def test_every_capture_has_a_table(self):
        """Every capture has its section in captures/README.md: an outcome table, or (the
        encrypted DNS captures, which dnsmon does not follow yet) a description only."""
        on_disk = {f for f in os.listdir(CAPTURES) if f.endswith((".pcap", ".pcapng"))}
        self.assertTrue(on_disk, "no captures")
        descriptive = set()
        parse_expectations(descriptive=descriptive)
        self.assertEqual(on_disk, set(EXPECTED) | descriptive, "captures and README tables differ")
        self.assertFalse(set(EXPECTED) & descriptive)

    def test_frames_parser(self):
        self.assertEqual(frames_of("1,3,5"), [1, 3, 5])
        self.assertEqual(frames_of("3-5, 7, 9-10 (the rest)"), [3, 4, 5, 7, 9, 10])
        self.assertEqual(frames_of("-"), [])


if __name__ == "__main__":
    sys.exit(main_exit(unittest.main(argv=sys.argv[:1], verbosity=2, exit=False)))
