"""The display filters users type, on every capture: what each must match is
derived from the outcome tables in captures/README.md, not from dnsmon.

Each filter is checked twice, from the capture's one run per mode
(harness.py): the frames it matches, evaluated in Python on the fields tshark
printed, must be the ones the table names; and tshark's own filter engine
(-z io,phs,FILTER in the same run) must count as many. RealFilterTest
keeps a few real -Y runs whose frame sets are compared with the same
evaluation."""
import copy
import re
import sys
import unittest

from harness import (FILTERS_ONE_PASS, TsharkTestCase, filters_two_pass, frames_of, main_exit,
                     matching, parse_expectations, result, server_addr, txn_frames)

EXPECTED = parse_expectations()
FAILED = {"nxdomain", "servfail", "refused", "error", "rejected", "wrong_source", "incomplete",
          "unanswered", "lame", "tls_failed"}
# Outcomes a response frame decides (for an encrypted connection read without keys, the
# packet that sealed its fate is listed as its response).
DECIDED = {"answered", "nodata", "truncated", "nxdomain", "servfail", "refused", "error",
           "referral", "lame", "encrypted", "tls_failed"}


def connection_attempt(row):
    """A TCP or QUIC connection attempt that carried no (readable) query: a question-less
    connection, or a TCP fallback whose connection never carried its query."""
    if row["transport"] in ("dot", "doq"):
        return row["name"] == "-"
    return row["transport"] == "tcp" and row["response frames"] == "-" and (
        row["name"] == "-" or row.get("fallback of", "-") != "-")


class FilterTest(TsharkTestCase):
    expected = EXPECTED

    def matched(self, capture, dfilter, two_pass=True):
        run = result(capture, "2" if two_pass else "1")
        got = matching(run["frames"], dfilter)
        if dfilter not in run["io"]:
            raise AssertionError("%s: %s was not counted by tshark (harness.filters_two_pass)"
                                 % (capture, dfilter))
        self.assertEqual(run["io"][dfilter], len(got), "%s: %s: tshark's filter engine counts "
                         "other frames than the harness (%s)" % (capture, dfilter, sorted(got)))
        return got

    def check(self, capture, dfilter, expected, ignore=()):
        got = self.matched(capture, dfilter) - set(ignore)
        self.assertEqual(got, set(expected), "%s: %s" % (capture, dfilter))

    def test_outcome_filters(self):
        for cap, exp in self.expected.items():
            rows = exp["rows"]
            # sorted: the same checks in the same order on every run (the negative
            # control's count of checks passed before its failure included)
            for outcome in sorted({r["outcome"] for r in rows}):
                want = set().union(*(txn_frames(r) for r in rows if r["outcome"] == outcome))
                self.check(cap, 'dnsmon.outcome == "%s"' % outcome, want)
            self.check(cap, "dnsmon.failed",
                       set().union(set(), *(txn_frames(r) for r in rows if r["outcome"] in FAILED)))
            for flag in ("rejected", "unanswered"):
                self.check(cap, "dnsmon." + flag,
                           set().union(set(), *(txn_frames(r) for r in rows if r["outcome"] == flag)))

    def test_txn_and_server_filters(self):
        for cap, exp in self.expected.items():
            for r in exp["rows"]:
                self.check(cap, "dnsmon.txn == %s" % r["txn"], txn_frames(r))
            for server in {server_addr(r) for r in exp["rows"]}:
                want = set().union(*(txn_frames(r) for r in exp["rows"] if server_addr(r) == server))
                name = "dnsmon.server6" if ":" in server else "dnsmon.server"
                # unsolicited responses and unmatched ICMP errors name servers too
                self.check(cap, "%s == %s" % (name, server), want, ignore=exp["unmatched"])

    def test_expert_filters(self):
        for cap, exp in self.expected.items():
            for outcome in ("rejected", "unanswered", "incomplete"):
                want, conn = set(), set()
                for r in exp["rows"]:
                    if r["outcome"] == outcome:
                        # an unanswered connection attempt is not a DNS query
                        into = conn if outcome == "unanswered" and connection_attempt(r) else want
                        into.update(frames_of(r["query frames"]))
                self.check(cap, "dnsmon.expert." + outcome, want)
                if outcome == "unanswered":
                    self.check(cap, "dnsmon.expert.connection_unanswered", conn)

    def test_single_pass_links_backwards(self):
        """In one pass a response already links its query and an ICMP error its query; a
        frame is pending until a response decided its transaction."""
        for cap, exp in self.expected.items():
            run = result(cap, "1")
            with_link = self.matched(cap, "dnsmon.query_in", two_pass=False)
            links = {fr["frame.number"]: [int(x) for x in fr["fields"]["dnsmon.query_in"]]
                     for fr in run["frames"] if fr["frame.number"] in with_link}
            pending = set()
            for r in exp["rows"]:
                first = min(frames_of(r["query frames"]))
                for f in frames_of(r["response frames"]):
                    self.assertIn(first, links.get(f, []), "%s: response %d" % (cap, f))
                for f in frames_of(r["icmp frames"]):
                    self.assertTrue(links.get(f), "%s: ICMP %d links a query" % (cap, f))
                decided = min(frames_of(r["response frames"])) if r["outcome"] in DECIDED else None
                pending |= {f for f in txn_frames(r) if decided is None or f < decided}
            got = self.matched(cap, 'dnsmon.outcome == "pending"', two_pass=False)
            # SYNs of a connection attempt become one only when it fails (later).
            syns = set().union(set(), *(frames_of(r["query frames"]) for r in exp["rows"]
                                        if (r["transport"] == "tcp" and r["response frames"] == "-")
                                        or connection_attempt(r)))
            # A TC fallback's SYNs are pending until their connection carries the query.
            syns |= set(exp["no_subtree"])
            self.assertEqual(got - syns, pending - syns, cap + ": pending in one pass")

    def test_expert_tap_counts(self):
        """-z expert counts dnsmon's items (added even without a tree)."""
        for cap, exp in self.expected.items():
            out = result(cap, "q2")["taps"].get("expert", "")
            rejected = sum(len(frames_of(r["query frames"])) for r in exp["rows"]
                           if r["outcome"] == "rejected")
            got = sum(int(n) for n in re.findall(r"(?m)^\s+(\d+)\s+\S+\s+DNSMON\s+rejected: ", out))
            self.assertEqual(got, rejected, cap + ": " + out)


class FiltersListedTest(unittest.TestCase):
    def test_every_filter_evaluated(self):
        """Every filter the checks above use was counted by io,phs in its run."""
        for cap, exp in EXPECTED.items():
            self.assertEqual(set(result(cap, "2")["io"]), set(filters_two_pass(exp)), cap)
            self.assertEqual(set(result(cap, "1")["io"]), set(FILTERS_ONE_PASS), cap)


class RealFilterTest(TsharkTestCase):
    """Real -Y runs: tshark's display filter (not a tap filter) keeps the frames
    the harness's evaluation of the same filter finds, on captures with IPv4
    and IPv6, ICMP inside ICMP, TCP and lookups."""
    CASES = (("lookups.pcapng", "dnsmon.failed"),
             ("ipv6.pcapng", 'dnsmon.outcome == "rejected"'),
             ("icmp-in-icmp.pcapng", "dns"),
             ("tc-fallback.pcapng", "dnsmon.txn == 2"))

    def test_display_filters(self):
        for cap, dfilter in self.CASES:
            rows = self.ts.fields(cap, ["frame.number"], dfilter=dfilter)
            got = {int(r[0]) for r in rows}
            self.assertTrue(got, "%s: %s matches nothing" % (cap, dfilter))
            self.assertEqual(got, matching(result(cap, "2")["frames"], dfilter),
                             "%s: -Y %s" % (cap, dfilter))


class NegativeControlTest(unittest.TestCase):
    """The filter checks report a wrong table: lookups.pcapng with one
    transaction's outcome changed, and a capture's tshark count changed."""

    def test_wrong_table(self):
        exp = copy.deepcopy(EXPECTED["lookups.pcapng"])
        first = exp["rows"][0]
        first["outcome"] = "nxdomain" if first["outcome"] != "nxdomain" else "answered"
        t = FilterTest("test_outcome_filters")
        t.expected = {"lookups.pcapng": exp}
        with self.assertRaises(AssertionError) as cm:
            t.test_outcome_filters()
        self.assertIn("lookups.pcapng: dnsmon.outcome ==", str(cm.exception))

    def test_wrong_engine_count(self):
        run = result("seed-incident.pcapng", "2")
        saved = run["io"]["dnsmon.failed"]
        run["io"]["dnsmon.failed"] = saved + 1
        try:
            with self.assertRaises(AssertionError) as cm:
                FilterTest("test_outcome_filters").matched("seed-incident.pcapng", "dnsmon.failed")
        finally:
            run["io"]["dnsmon.failed"] = saved
        self.assertIn("tshark's filter engine counts other frames", str(cm.exception))


if __name__ == "__main__":
    sys.exit(main_exit(unittest.main(argv=sys.argv[:1], verbosity=2, exit=False)))
