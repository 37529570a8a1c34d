"""The display filters users type, on every capture: what each must match is
derived from the outcome tables in captures/README.md, not from dnsmon."""
import re
import sys
import unittest

from harness import TsharkTestCase, frames_of, parse_expectations

EXPECTED = parse_expectations()
FAILED = {"nxdomain", "servfail", "refused", "error", "rejected", "wrong_source", "incomplete",
          "unanswered"}
DECIDED = {"answered", "nodata", "truncated", "nxdomain", "servfail", "refused", "error"}


def txn_frames(row):
    out = set()
    for col in ("query frames", "response frames", "icmp frames", "wrong source frames",
                "reset frames"):
        out.update(frames_of(row.get(col, "-")))
    return out


def server_addr(row):
    s = row["server"]
    return s[1:s.index("]")] if s.startswith("[") else s.rsplit(":", 1)[0]


class FilterTest(TsharkTestCase):
    def matched(self, capture, dfilter, two_pass=True):
        rows = self.ts.fields(capture, ["frame.number"], two_pass=two_pass, dfilter=dfilter)
        return {int(r[0]) for r in rows}

    def check(self, capture, dfilter, expected, ignore=()):
        got = self.matched(capture, dfilter) - set(ignore)
        self.assertEqual(got, set(expected), "%s: %s" % (capture, dfilter))

    def test_outcome_filters(self):
        for cap, exp in EXPECTED.items():
            rows = exp["rows"]
            for outcome in {r["outcome"] for r in rows}:
                want = set().union(*(txn_frames(r) for r in rows if r["outcome"] == outcome))
                self.check(cap, 'dnsmon.outcome == "%s"' % outcome, want)
            self.check(cap, "dnsmon.failed",
                       set().union(set(), *(txn_frames(r) for r in rows if r["outcome"] in FAILED)))
            for flag in ("rejected", "unanswered"):
                self.check(cap, "dnsmon." + flag,
                           set().union(set(), *(txn_frames(r) for r in rows if r["outcome"] == flag)))

    def test_txn_and_server_filters(self):
        for cap, exp in EXPECTED.items():
            for r in exp["rows"]:
                self.check(cap, "dnsmon.txn == %s" % r["txn"], txn_frames(r))
            for server in {server_addr(r) for r in exp["rows"]}:
                want = set().union(*(txn_frames(r) for r in exp["rows"] if server_addr(r) == server))
                name = "dnsmon.server6" if ":" in server else "dnsmon.server"
                # unsolicited responses and unmatched ICMP errors name servers too
                self.check(cap, "%s == %s" % (name, server), want, ignore=exp["unmatched"])

    def test_expert_filters(self):
        for cap, exp in EXPECTED.items():
            for outcome in ("rejected", "unanswered", "incomplete"):
                want = set()
                for r in exp["rows"]:
                    if r["outcome"] == outcome:
                        want.update(frames_of(r["query frames"]))
                self.check(cap, "dnsmon.expert." + outcome, want)

    def test_single_pass_links_backwards(self):
        """In one pass a response already links its query and an ICMP error its query; a
        frame is pending until a response decided its transaction."""
        for cap, exp in EXPECTED.items():
            rows = self.ts.fields(cap, ["frame.number", "dnsmon.query_in"], two_pass=False,
                                  dfilter="dnsmon.query_in")
            links = {int(r[0]): [int(x) for x in r[1].split(",")] for r in rows}
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
                                        if r["transport"] == "tcp" and r["response frames"] == "-"))
            # A TC fallback's SYNs are pending until their connection carries the query.
            syns |= set(exp["no_subtree"])
            self.assertEqual(got - syns, pending - syns, cap + ": pending in one pass")

    def test_expert_tap_counts(self):
        """-z expert counts dnsmon's items (added even without a tree)."""
        for cap, exp in EXPECTED.items():
            out = self.ts.stdout("-r", self.ts.capture(cap), "-2", "-q", "-z", "expert,note")
            rejected = sum(len(frames_of(r["query frames"])) for r in exp["rows"]
                           if r["outcome"] == "rejected")
            got = sum(int(n) for n in re.findall(r"(?m)^\s+(\d+)\s+\S+\s+DNSMON\s+rejected: ", out))
            self.assertEqual(got, rejected, cap + ": " + out)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
