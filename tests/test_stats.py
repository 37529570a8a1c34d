"""The three taps on every capture, in one pass and with -2: numbers derived
from the outcome tables in captures/README.md, and the report's sentences.

The taps come from each capture's runs (harness.py): -2 from `tshark -2 -q`
with all three taps and -z expert (no protocol tree), one pass from the
single-pass PDML run; the -2 PDML run prints them too, and they must be the
same with and without a tree."""
import collections
import copy
import re
import sys
import unittest

from harness import TsharkTestCase, frames_of, main_exit, parse_expectations, result

EXPECTED = parse_expectations()
FAILED = {"nxdomain", "servfail", "refused", "error", "rejected", "wrong_source", "incomplete",
          "unanswered", "lame", "tls_failed"}
OUTCOMES = ["answered", "nodata", "truncated", "nxdomain", "servfail", "refused", "error",
            "rejected", "wrong_source", "incomplete", "unanswered", "referral", "lame", "encrypted",
            "tls_failed"]
LOOKUPS = ["resolved", "recovered", "failed", "incomplete"]
NCOLS = 13      # the failed queries table's columns


WIRE = {"udp": "UDP", "tcp": "TCP", "dot": "TLS", "doh": "HTTPS", "doq": "QUIC"}


def syn_row(r):
    """A TCP or QUIC connection attempt: its query frames are SYNs (QUIC Initials), not DNS
    queries (an encrypted connection read without keys has no query either)."""
    if r["transport"] in ("dot", "doq") and r["name"] == "-":
        return True
    return r["transport"] == "tcp" and r["response frames"] == "-" and (
        r["name"] == "-" or r.get("fallback of", "-") != "-")
TREE_LINE = re.compile(r"^( *)(\S.*?)\s{2,}(\d+)(?:\s|$)")


def parse_tree(out):
    """Stats tree text -> {path tuple: count}; zero rows left out (a single
    pass may leave rows its transactions passed through on the way)."""
    nodes, stack = {}, []
    for line in out.splitlines():
        m = TREE_LINE.match(line)
        if not m or line.startswith(("Topic", "Transactions / Item", "=", "-")):
            continue
        depth, name, count = len(m.group(1)), m.group(2).strip(), int(m.group(3))
        stack = stack[:depth] + [name]
        if count:
            nodes[tuple(stack)] = count
    return nodes


def parse_failures(out):
    rows = []
    for line in out.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) >= NCOLS and cells[0].isdigit():
            rows.append(cells[:NCOLS])
    return rows


def tap(cap, name, two_pass, mode=None):
    """A tap's output from the capture's run: -2 -q, or one pass."""
    taps = result(cap, mode or ("q2" if two_pass else "1"))["taps"]
    if name not in taps:
        raise AssertionError("%s: no dnsmon,%s output in tshark %s" % (
            cap, name, " ".join(result(cap, mode or ("q2" if two_pass else "1"))["args"])))
    return taps[name]


class StatsTest(TsharkTestCase):
    expected = EXPECTED

    def tap(self, cap, name, two_pass):
        return tap(cap, name, two_pass)

    def test_drawn_after_every_frame(self):
        """A single pass in which every tap is drawn before every frame (as a window kept
        open all the time; DNSMON_DRAW_EVERY_FRAME=1) ends with the taps of -2: drawing
        never changes a verdict or a count."""
        for cap in EXPECTED:
            where = cap + ": drawn after every frame vs -2"
            self.assertEqual(parse_tree(tap(cap, "tree", False, mode="draw")),
                             parse_tree(tap(cap, "tree", True)), where + ": tree")
            for name in ("failures", "report"):
                self.assertEqual(tap(cap, name, False, mode="draw"), tap(cap, name, True),
                                 where + ": " + name)
            # the log prints nothing for a capture without transactions
            self.assertEqual(result(cap, "draw")["taps"].get("log", ""),
                             result(cap, "q2")["taps"].get("log", ""), where + ": log")

    def test_same_with_and_without_a_tree(self):
        """-2 -q (no tree) and -2 -T pdml (a tree) print the same taps."""
        for cap in EXPECTED:
            for name in ("tree", "failures", "report"):
                self.assertEqual(tap(cap, name, True), tap(cap, name, True, mode="2"),
                                 "%s: dnsmon,%s" % (cap, name))

    def test_log_one_line_per_transaction(self):
        """-z dnsmon,log (in the -2 PDML run): one JSON line per transaction."""
        import json
        for cap, exp in EXPECTED.items():
            lines = [json.loads(l) for l in result(cap, "2")["taps"].get("log", "").splitlines()
                     if l.startswith("{")]
            self.assertEqual(sorted(d["txn"] for d in lines),
                             sorted(int(r["txn"]) for r in exp["rows"]), cap)

    def test_taps_listed(self):
        p = self.ts.run("-z", "help", check=False)
        text = p.stdout + p.stderr
        for tap in ("dnsmon,tree", "dnsmon,failures", "dnsmon,report"):
            self.assertRegex(text, r"(?m)^\s+%s$" % re.escape(tap))

    def test_tree(self):
        for cap, exp in self.expected.items():
            rows = exp["rows"]
            by_outcome = collections.Counter(r["outcome"] for r in rows)
            dns_rows = [r for r in rows if not syn_row(r)]
            queries = sum(len(frames_of(r["query frames"])) for r in dns_rows)
            icmp = len(set().union(set(), *(frames_of(r["icmp frames"]) for r in rows)))
            lookups = {}
            for r in rows:
                if r.get("lookup", "-") != "-":
                    lookups[r["lookup"]] = r["lookup outcome"]
            by_lookup = collections.Counter(lookups.values())
            results = {}
            for two_pass in (False, True):
                tree = parse_tree(self.tap(cap, "tree", two_pass))
                where = "%s (%s)" % (cap, "-2" if two_pass else "one pass")
                self.assertEqual(tree.get(("Transactions",), 0), len(rows), where)
                for o in OUTCOMES:
                    self.assertEqual(tree.get(("Transactions", o), 0), by_outcome.get(o, 0),
                                     where + ": " + o)
                self.assertEqual(tree.get(("Failed transactions",), 0),
                                 sum(by_outcome[o] for o in FAILED), where)
                self.assertEqual(tree.get(("Queries sent",), 0), queries, where)
                self.assertEqual(tree.get(("Queries sent", "Retransmissions"), 0),
                                 queries - len(dns_rows), where)
                self.assertEqual(tree.get(("Lookups",), 0), len(lookups), where + ": lookups")
                for o in LOOKUPS:
                    self.assertEqual(tree.get(("Lookups", o), 0), by_lookup.get(o, 0),
                                     where + ": lookups " + o)
                self.assertGreaterEqual(tree.get(("ICMP errors about DNS",), 0), icmp, where)
                per_server = collections.Counter(r["server"] for r in rows)
                for server, n in per_server.items():
                    key = [k for k in tree if len(k) == 2 and k[0] == "By server"
                           and k[1].startswith(server + "/")]
                    self.assertEqual(sum(tree[k] for k in key), n, where + ": " + server)
                results[two_pass] = tree
            self.assertEqual(results[False], results[True], cap + ": same numbers in both modes")

    def test_failures_table(self):
        for cap, exp in EXPECTED.items():
            want = [(r["txn"], str(min(frames_of(r["query frames"]))), r["client"].rsplit(":", 1)[1],
                     r["name"], r["type"], r["attempts"], r["outcome"], r.get("lookup outcome", "-"))
                    for r in exp["rows"] if r["outcome"] in FAILED]
            for two_pass in (False, True):
                got = [(c[0], c[1], c[4], c[7], c[8], c[9], c[10], c[11])
                       for c in parse_failures(self.tap(cap, "failures", two_pass))]
                self.assertEqual(got, want, "%s (%s)" % (cap, two_pass))

    def test_failures_filtered_out_of_order(self):
        """A tap filter can reach a later transaction first (here txn 3 at frame 3,
        txns 1 and 2 only at frames 4 and 5): rows stay in transaction order."""
        for two_pass in (False, True):
            args = ["-r", self.ts.capture("host-unreachable.pcapng"), "-q", "-n", "-z",
                    "dnsmon,failures,frame.number != 1 && frame.number != 2"]
            if two_pass:
                args.insert(2, "-2")
            rows = parse_failures(self.ts.stdout(*args))
            self.assertEqual([(c[0], c[1]) for c in rows], [("1", "1"), ("2", "2"), ("3", "3")],
                             "two pass" if two_pass else "one pass")

    def test_report_summary(self):
        for cap, exp in EXPECTED.items():
            rows = exp["rows"]
            failed = [r for r in rows if r["outcome"] in FAILED]
            servers = collections.Counter((WIRE[r["transport"]], r["server"]) for r in failed)
            outs = [self.tap(cap, "report", tp) for tp in (False, True)]
            self.assertEqual(outs[0], outs[1], cap + ": the same report in both modes")
            out = outs[1]
            self.assertIn("%d DNS transaction%s, %d failed, %d server%s affected." % (
                len(rows), "" if len(rows) == 1 else "s", len(failed), len(servers),
                "" if len(servers) == 1 else "s"), out, cap)
            findings = re.findall(r"(?m)^Finding \d+: DNS over (UDP|TCP|TLS|HTTPS|QUIC) to (\S+) "
                                  r"port (\d+)$", out)
            self.assertEqual(len(findings), len(servers), cap + ": one finding per server")
            counts = [servers[(t, ("[%s]:%s" if ":" in a else "%s:%s") % (a, p))]
                      for t, a, p in findings]
            self.assertEqual(counts, sorted(counts, reverse=True), cap + ": most affected first")
            if not failed:
                self.assertIn("No failed DNS transactions.", out)

    def test_report_causes(self):
        """The likely cause the report names for each kind of failure."""
        causes = {
            "port-unreachable.pcapng": "no DNS service listening on 203.0.113.3 udp/53",
            "firewall-reject.pcapng": "blocked by policy: a firewall at 198.51.100.1 rejects DNS",
            "host-unreachable.pcapng": "server host down or unreachable: 198.51.100.1 cannot "
                                       "reach 203.0.113.99",
            "firewall-drop.pcapng": "server silent or dropping: no response and no ICMP error",
            "rcodes.pcapng": "names that do not exist (NXDOMAIN)",
            "incomplete.pcapng": "undecided: the capture ended before the timeout",
        }
        for cap, cause in causes.items():
            self.assertIn(cause, self.tap(cap, "report", True), cap)
        rcodes = self.tap("rcodes.pcapng", "report", True)
        self.assertIn("server failing upstream (SERVFAIL)", rcodes)
        self.assertIn("the server refuses these queries (REFUSED)", rcodes)
        self.assertIn("the server answers from the wrong address",
                      self.tap("wrong-source.pcapng", "report", True))
        tc = self.tap("tc-fallback.pcapng", "report", True)
        self.assertIn("large answers cannot reach the clients", tc)
        self.assertIn("a firewall blocking TCP/53", tc)
        self.assertIn("no DNS over TCP on 203.0.113.3 port 53",
                      self.tap("tcp-refused.pcapng", "report", True))
        self.assertIn("DNSSEC Bogus", self.tap("ede.pcapng", "report", True))
        lookups = self.tap("lookups.pcapng", "report", True)
        self.assertRegex(lookups, r"Recovered: 3 lookups after failed tries, on 203\.0\.113\.2; "
                                  r"added delay median \S+ (?:m|µ)?s, max 1\.006 s\.")
        self.assertIn("Failed for good: 1 lookup of www.example.test (A) by 198.51.100.10.",
                      lookups)
        healthy = self.tap("healthy.pcapng", "report", True)
        self.assertIn("No failed DNS transactions.", healthy)
        self.assertRegex(healthy, r"Healthy traffic: \d+ transactions to 1 server answered")

    def test_seed_report(self):
        """What the analyst wrote by hand, said by dnsmon."""
        out = self.tap("seed-incident.pcapng", "report", True)
        for sentence in (
                "Finding 1: DNS over UDP to 203.0.113.2 port 53",
                "3 of 3 transactions (3 of 3 queries sent) for yummyrecipesforme.com (A): "
                "3 answered only by ICMP port unreachable.",
                "Reported by:  ICMP port unreachable from 203.0.113.2 (the server itself), 3 times.",
                "Likely cause: no DNS service listening on 203.0.113.2 udp/53.",
                "Clients:      192.51.100.15",
                "13:24:32 to 13:28:50 UTC",
                "Evidence:     frames 1-6",
                "Healthy traffic: none",
                "3 lookups by 1 client: 0 resolved, 0 recovered, 3 failed, 0 incomplete.",
                "Failed for good: 3 lookups of yummyrecipesforme.com (A) by 192.51.100.15."):
            self.assertIn(sentence, out)
        self.assertEqual(out.count("Finding "), 1)


class NegativeControlTest(unittest.TestCase):
    """The tap checks report a wrong table: lookups.pcapng with one answered
    transaction said to be unanswered."""

    def test_wrong_table(self):
        exp = copy.deepcopy(EXPECTED["lookups.pcapng"])
        row = next(r for r in exp["rows"] if r["outcome"] == "answered")
        row["outcome"] = "unanswered"
        t = StatsTest("test_tree")
        t.expected = {"lookups.pcapng": exp}
        with self.assertRaises(AssertionError) as cm:
            t.test_tree()
        self.assertIn("lookups.pcapng (one pass)", str(cm.exception))


if __name__ == "__main__":
    sys.exit(main_exit(unittest.main(argv=sys.argv[:1], verbosity=2, exit=False)))
