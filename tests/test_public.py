"""Real captures from other projects (../shared/captures-public, described in
its SOURCES.md), when that folder is present; never copied into this repo.

For each: tshark with dnsmon reads it without error or warning, and dnsmon's
counts agree with the ones SOURCES.md gives, or differ for a stated reason."""
import os
import re
import sys
import unittest

from harness import TsharkTestCase, REPO

PUBLIC = os.environ.get("DNSMON_PUBLIC_CAPTURES",
                        os.path.join(os.path.dirname(REPO), "shared", "captures-public"))
SOURCES = os.path.join(PUBLIC, "SOURCES.md")
NO_RESPONSE = {"unanswered", "rejected", "incomplete"}


def sources_table():
    """file -> {q, r, unans, icmp_query, icmp_response} from SOURCES.md."""
    table = {}
    with open(SOURCES, encoding="utf-8") as fh:
        for line in fh:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) < 15 or not re.search(r"\.(pcap|pcapng|cap|gz)$", cells[0]):
                continue
            num = lambda s: int(s.split()[0])
            table[cells[0]] = {"q": num(cells[3]), "r": num(cells[4]), "unans": num(cells[5]),
                               "icmp_query": num(cells[11]) + num(cells[12]),
                               "icmp_response": num(cells[13])}
    return table


@unittest.skipUnless(os.path.exists(SOURCES), "no ../shared/captures-public here")
class PublicCapturesTest(TsharkTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.table = sources_table()

    def test_table_read(self):
        self.assertGreaterEqual(len(self.table), 30)

    def test_each_capture(self):
        for name, want in sorted(self.table.items()):
            with self.subTest(capture=name):
                self.check(name, want)

    def check(self, name, want):
        path = self.ts.capture(os.path.join(PUBLIC, name))
        p = self.ts.run("-r", path, "-2", "-q", "-z", "dnsmon,report", "-z", "dnsmon,tree",
                        "-z", "dnsmon,failures", check=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        for line in p.stderr.splitlines():
            self.assertNotRegex(line, r"(?i)dnsmon|dissector bug|\*\* \(|critical", line)

        # SYNs of TCP connection attempts are not DNS queries (SOURCES counts DNS messages).
        rows = self.ts.fields(path, ["frame.number", "dnsmon.attempt", "dnsmon.icmp.quotes",
                                     "dnsmon.outcome", "dnsmon.response_in", "dnsmon.txn"],
                              dfilter="dnsmon && !dnsmon.tcp.syn && !dnsmon.expert.tcp_reset")
        spoofed = {r[0] for r in self.ts.fields(path, ["dnsmon.txn"],
                                                dfilter="dnsmon.expert.question_mismatch")}
        queries, responses, icmp_q, icmp_r, failed_q, answered_q = (set() for _ in range(6))
        mismatched_q = set()
        for frame, attempt, quotes, outcome, response_in, txn in rows:
            f = int(frame)
            if attempt and txn in spoofed:
                mismatched_q.add(f)
            if quotes:
                (icmp_r if "response" in quotes else icmp_q).add(f)
            elif attempt:
                queries.add(f)
                if set(outcome.split(",")) & NO_RESPONSE:
                    failed_q.add(f)
                if response_in:
                    answered_q.add(f)
            else:
                responses.add(f)
        self.assertEqual(len(queries), want["q"], "query frames")
        self.assertEqual(len(responses), want["r"], "response frames")
        # Every ICMP error about DNS is linked (or marked unmatched), none other gets a subtree.
        self.assertEqual(len(icmp_q), want["icmp_query"], "ICMP errors quoting a query")
        self.assertEqual(len(icmp_r), want["icmp_response"], "ICMP errors quoting a response")

        # SOURCES' "unans" counts query frames without their own dns.response_in
        # (Wireshark's own matching). dnsmon counts transactions: a retransmission
        # answered through another attempt is answered. So every frame dnsmon calls
        # unanswered Wireshark does too, and each frame only Wireshark calls so
        # belongs to a transaction dnsmon saw answered. Wireshark does not compare
        # questions: a response with another question answers its query there,
        # not in dnsmon (question_mismatch, as in tcpreplay_test.pcap frame 50).
        ws = self.ts.fields(path, ["frame.number"], dfilter=(
            "dns && dns.flags.response == 0 && !dns.response_in && !icmp && !icmpv6"))
        ws_unanswered = {int(r[0]) for r in ws}
        self.assertEqual(len(ws_unanswered), want["unans"], "Wireshark's own count")
        self.assertLessEqual(failed_q - mismatched_q, ws_unanswered)
        self.assertLessEqual(ws_unanswered - failed_q, answered_q)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
