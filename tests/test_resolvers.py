"""The resolver captures (captures/README.md, "Resolver captures"): real unbound, knot-resolver
and dnsmasq in a private DNS tree. Checked against two independent things:

- the ground truth each section lists, read with plain tshark (no dnsmon):
  every client query's response, every upstream query's result (referral, lame, ICMP error,
  reset, answer, nothing) and which client query the resolver sent it for;
- the "Expected" table each section ends with: per downstream query, its outcome, its
  upstream cause and the failing servers (docs/design.md, "Resolvers").

With -2 and in a single pass (whose taps must equal -2's), and the report must name the
failing server and how it failed.
"""
import os
import re
import sys
import unittest

from harness import CAPTURES, TsharkTestCase, check_run, frames_of, main_exit, split_taps

TIMEOUT = 5.0
FIELDS = ["frame.number", "frame.time_relative", "dnsmon.txn", "dnsmon.outcome",
          "dnsmon.upstream.cause", "dnsmon.upstream.failed_server", "dnsmon.upstream",
          "dnsmon.client", "dnsmon.server", "dnsmon.lookup.outcome", "dns.flags.response"]


def sections(readme=None):
    """{file: {"clients": [row], "upstream": [row], "expected": [row]}} of the resolver
    sections: the three tables by their first header."""
    readme = readme or os.path.join(CAPTURES, "README.md")
    out, current, header, kind, inside = {}, None, None, None, False
    with open(readme, encoding="utf-8") as fh:
        for raw in fh:
            line = raw.strip()
            if line.startswith("## "):
                inside = line[3:].strip() == "Resolver captures"
                current = None
                continue
            if not inside:
                continue
            if line.startswith("### "):
                current = out.setdefault(line[4:].strip().strip("`"),
                                         {"clients": [], "upstream": [], "expected": []})
                header = None
                continue
            if current is None:
                continue
            if not line.startswith("|"):
                header = None
                continue
            cells = [c.strip() for c in line.strip("|").split("|")]
            if header is None:
                header = [c.lower() for c in cells]
                kind = {"client frames": "clients", "upstream frames": "upstream",
                        "downstream query": "expected"}.get(header[0])
            elif set(line) <= set("|-: "):
                continue
            elif kind:
                current[kind].append(dict(zip(header, cells)))
    return out


SECTIONS = sections()


def ints(text):
    return [int(x) for x in re.findall(r"\d+", text)]


class ResolverTest(TsharkTestCase):
    runs = {}
    TAPS = ["-z", "dnsmon,tree", "-z", "dnsmon,failures", "-z", "dnsmon,report",
            "-z", "dnsmon,log"]

    @classmethod
    def setUpClass(cls):
        """Three tshark runs per capture: -T fields with -2, the taps of one
        pass and of -2; each kind through one tshark start-up for all the
        captures (harness.Tshark.run_batch)."""
        super().setUpClass()
        caps = sorted(c for c in SECTIONS if c.endswith(".pcapng"))
        paths = [os.path.join(CAPTURES, c) for c in caps]
        fields = ["-n", "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
                  "-E", "aggregator=,", "-2"] + [a for f in FIELDS for a in ("-e", f)]
        cls.batched = {}
        for kind, args in (("fields", fields), ("one", ["-q"] + cls.TAPS),
                           ("two", ["-2", "-q"] + cls.TAPS)):
            for cap, run in zip(caps, cls.ts.run_batch(paths, args)):
                cls.batched[(cap, kind)] = run

    def output(self, cap, kind):
        run = self.batched[(cap, kind)]
        check_run(run.args, run.returncode, run.stderr)
        return run.stdout

    def frames(self, cap):
        """frame number -> {field: [values]} for every frame, from the -2 run."""
        if cap not in self.runs:
            rows = [line.split("\t") for line in self.output(cap, "fields").splitlines()]
            by = {}
            for r in rows:
                vals = dict(zip(FIELDS, r))
                by[int(vals["frame.number"])] = {k: [x for x in v.split(",") if x]
                                                 for k, v in vals.items()}
            self.runs[cap] = by
        return self.runs[cap]

    def first(self, f, field):
        v = f.get(field, [])
        return v[0] if v else None

    def txn_of(self, frames, n):
        t = self.first(frames[n], "dnsmon.txn")
        self.assertIsNotNone(t, "frame %d has no transaction" % n)
        return int(t)

    # -- the ground truth, read without dnsmon ----------------------------------------
    def check_clients(self, cap, sec, frames):
        for row in sec["clients"]:
            qs = frames_of(row["client frames"])
            f = frames[qs[0]]
            resp = row["response"]
            outcome = self.first(f, "dnsmon.outcome")
            where = "%s: client query %s" % (cap, row["client frames"])
            if resp.startswith("none"):
                self.assertIn(outcome, ("unanswered", "incomplete"), where)
            elif "SERVFAIL" in resp:
                self.assertEqual(outcome, "servfail", where)
            elif "NOERROR" in resp and "no answer" in resp:
                self.assertEqual(outcome, "nodata", where)
            elif "answer" in resp:
                self.assertEqual(outcome, "answered", where)

    def check_upstream(self, cap, sec, frames):
        for row in sec["upstream"]:
            n = frames_of(row["upstream frames"])[0]
            outcome = self.first(frames[n], "dnsmon.outcome")
            res = row["result"]
            where = "%s: upstream query %s (%s)" % (cap, n, res)
            if "referral" in res:
                self.assertEqual(outcome, "referral", where)
            elif res.startswith("ICMP") or res.startswith("RST"):
                self.assertEqual(outcome, "rejected", where)
            elif res == "none" or res.startswith("none"):
                self.assertIn(outcome, ("unanswered", "incomplete"), where)
            elif (row["rd"] == "0" and "NOERROR AA=0" in res and
                  ("an=0 ns=0" in res or ("no answer" in res and "no authority" in res))):
                self.assertEqual(outcome, "lame", where)
            elif "nodata" in res or ("NOERROR" in res and "no answer" in res):
                # asked with RD=1, an empty answer is no data, not lame
                self.assertEqual(outcome, "nodata", where)
            elif "answer" in res:
                self.assertEqual(outcome, "answered", where)
            # a resolver's walk: its lookup ends resolved or recovered, never on a referral
            # counted as a failure
            if "referral" in res:
                self.assertNotEqual(self.first(frames[n], "dnsmon.lookup.outcome"), "failed",
                                    where + ": a referral does not fail a lookup")

    def lifetime(self, frames, first, last_attempt, end_frame):
        t0 = float(self.first(frames[first], "frame.time_relative"))
        if end_frame:
            return t0, float(self.first(frames[end_frame], "frame.time_relative"))
        return t0, float(self.first(frames[last_attempt], "frame.time_relative")) + TIMEOUT

    def check_links(self, cap, sec, frames):
        """Upstream links: every upstream query the ground truth attributes to a client query
        and whose lifetime overlaps it is linked; nothing of another resolver is."""
        ups = {}
        for row in sec["upstream"]:
            fs = frames_of(row["upstream frames"])
            m = re.match(r"(?:ICMP [a-z ]+|RST frame|(\d+):)\s*(\d+)?", row["result"])
            end = None
            if row["result"][:1].isdigit():
                end = int(row["result"].split(":")[0])
            elif m and m.group(2):
                end = int(m.group(2))
            ups[fs[0]] = dict(row, frames=fs, end=end, src=row["from"].split(":")[0])
        for row in sec["clients"]:
            qs = frames_of(row["client frames"])
            d = frames[qs[0]]
            resp = row["response"]
            end = None if resp.startswith("none") else int(resp.split(":")[0])
            a0, a1 = self.lifetime(frames, qs[0], qs[-1], end)
            linked = {int(x) for x in d.get("dnsmon.upstream", [])}
            where = "%s: client query %d" % (cap, qs[0])
            for u in ups.values():
                if u["for query frame"] != str(qs[0]):
                    continue
                b0, b1 = self.lifetime(frames, u["frames"][0], u["frames"][-1], u["end"])
                if b0 <= a1 and a0 <= b1:
                    self.assertIn(self.txn_of(frames, u["frames"][0]), linked,
                                  "%s: upstream query %d" % (where, u["frames"][0]))
            resolver = row["asked"]
            for t in linked:
                srcs = {self.first(f, "dnsmon.client") for f in frames.values()
                        if self.first(f, "dnsmon.txn") == str(t)}
                self.assertEqual(srcs, {resolver}, where + ": links only its resolver's own")

    def check_expected(self, cap, sec, frames):
        self.assertTrue(sec["expected"], cap + ": an Expected table")
        for row in sec["expected"]:
            n = int(row["downstream query"])
            f = frames[n]
            where = "%s: downstream query %d" % (cap, n)
            self.assertEqual(self.first(f, "dnsmon.outcome"), row["outcome"], where)
            self.assertEqual(self.first(f, "dnsmon.upstream.cause") or "-", row["upstream cause"],
                             where + ": upstream cause")
            want = sorted(x.strip() for x in row["failing servers"].split(",") if x.strip() != "-")
            self.assertEqual(sorted(f.get("dnsmon.upstream.failed_server", [])), want,
                             where + ": failing servers")

    def taps(self, cap):
        """The four dnsmon taps of one pass and of -2, both with -q (no tree)."""
        return self.output(cap, "one"), self.output(cap, "two")

    def check_report(self, cap, sec, two):
        """The report of -2 names each failing server and how it failed."""
        out = split_taps(two)["report"]
        for row in sec["expected"]:
            if row["upstream cause"] != "upstream_failed":
                continue
            for server in row["failing servers"].split(","):
                self.assertIn("its queries to %s for " % server.strip(), out,
                              "%s: the report names %s and how it failed" % (cap, server))
        return out

    def check_single_pass(self, cap, one, two):
        """The taps of one pass equal those of -2."""
        self.assertEqual(one, two, cap + ": one pass and -2")


def make_test(cap):
    def test(self):
        sec = SECTIONS[cap]
        frames = self.frames(cap)
        self.check_clients(cap, sec, frames)
        self.check_upstream(cap, sec, frames)
        self.check_links(cap, sec, frames)
        self.check_expected(cap, sec, frames)
        one, two = self.taps(cap)
        self.check_report(cap, sec, two)
        self.check_single_pass(cap, one, two)
    return test


for _cap in sorted(c for c in SECTIONS if c.endswith(".pcapng")):
    setattr(ResolverTest, "test_" + _cap[:-7].replace("-", "_"), make_test(_cap))


class FloodTest(TsharkTestCase):
    """2200 random names through unbound and kresd, their servers dead or silent."""

    def test_flood(self):
        path = self.ts.capture(os.path.join(CAPTURES, "resolver-flood.pcapng.gz"))
        rows = self.ts.fields(path, ["dnsmon.txn", "dnsmon.server", "dnsmon.outcome",
                                     "dnsmon.upstream.cause", "dnsmon.upstream.failed_server",
                                     "dns.qry.name"], dfilter="dns.flags.response == 0")
        flood = {}
        for txn, server, outcome, cause, failed, name in rows:
            if name.endswith(".flood.test") and server in ("198.51.100.153", "198.51.100.154"):
                flood.setdefault(txn, (server, outcome, cause, failed))
        by = {}
        for server, outcome, cause, failed in flood.values():
            by.setdefault(server, []).append((outcome, cause, set(failed.split(",")) - {""}))
        # unbound answers none, kresd answers SERVFAIL: every failure explained below
        self.assertGreaterEqual(len(by["198.51.100.153"]), 1100)
        self.assertGreaterEqual(len(by["198.51.100.154"]), 1100)
        servfail = [x for x in by["198.51.100.154"] if x[0] == "servfail"]
        self.assertEqual(len(servfail), 1098)
        explained = [x for x in servfail if x[1] == "upstream_failed"]
        self.assertGreater(len(explained), 0)
        for outcome, cause, failed in by["198.51.100.153"] + by["198.51.100.154"]:
            if cause == "upstream_failed":
                self.assertTrue(failed and failed <= {"203.0.113.30", "203.0.113.31"}, failed)
            self.assertIn(cause, ("upstream_failed", "none_seen"), outcome)


if __name__ == "__main__":
    sys.exit(main_exit(unittest.main(argv=sys.argv[:1], verbosity=2, exit=False)))
