"""Real captures from other projects (../shared/captures-public, described in
its SOURCES.md), when that folder is present; never copied into this repo.
Without it the test exits 77 and says so (ctest: Skipped).

For each: tshark with dnsmon reads it without error or warning, and dnsmon's
counts agree with the ones SOURCES.md gives, or differ for a stated reason."""
import copy
import os
import sys
import unittest

from harness import PUBLIC, PUBLIC_COLS, PUBLIC_FILTERS, FALSE_VALUES, main_exit, \
    public_table, result, skip_program

SOURCES = os.path.join(PUBLIC, "SOURCES.md")
NO_RESPONSE = {"unanswered", "rejected", "incomplete"}
COL = {c: i for i, c in enumerate(PUBLIC_COLS)}


def column(row, name):
    return row[COL[name]]


class PublicCapturesTest(unittest.TestCase):
    table = None

    @classmethod
    def setUpClass(cls):
        if cls.table is None:
            cls.table = public_table()

    def test_table_read(self):
        self.assertGreaterEqual(len(self.table), 30)

    def test_each_capture(self):
        for name, want in sorted(self.table.items()):
            with self.subTest(capture=name):
                self.check(name, want)

    def check(self, name, want):
        # One run per capture (harness.py): tshark -2 -T fields with the columns
        # below, -z dnsmon,report, tree, failures, and io,phs of the three
        # filters this check used to run with -Y (their counts must agree with
        # the frames found here, so the columns are read right).
        run = result(name, "public")
        self.assertEqual(run["rc"], 0, run["stderr"])
        for line in run["stderr"].splitlines():
            self.assertNotRegex(line, r"(?i)dnsmon|dissector bug|\*\* \(|critical", line)
        present = lambda r, c: column(r, c) != ""  # noqa: E731
        protos = lambda r: set(column(r, "frame.protocols").split(":"))  # noqa: E731

        # SYNs of TCP connection attempts are not DNS queries (SOURCES counts DNS messages).
        rows = [r for r in run["rows"] if present(r, "dnsmon") and not present(r, "dnsmon.tcp.syn")
                and not present(r, "dnsmon.expert.tcp_reset")]
        self.assertEqual(run["io"][PUBLIC_FILTERS[0]], len(rows),
                         "tshark's filter engine: " + PUBLIC_FILTERS[0])
        mismatch = [r for r in run["rows"] if present(r, "dnsmon.expert.question_mismatch")]
        self.assertEqual(run["io"][PUBLIC_FILTERS[1]], len(mismatch),
                         "tshark's filter engine: " + PUBLIC_FILTERS[1])
        spoofed = {column(r, "dnsmon.txn") for r in mismatch}
        queries, responses, icmp_q, icmp_r, failed_q, answered_q = (set() for _ in range(6))
        mismatched_q = set()
        for r in rows:
            frame, attempt, quotes, outcome, response_in, txn = (
                column(r, c) for c in ("frame.number", "dnsmon.attempt", "dnsmon.icmp.quotes",
                                       "dnsmon.outcome", "dnsmon.response_in", "dnsmon.txn"))
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
        ws_unanswered = {int(column(r, "frame.number")) for r in run["rows"]
                         if "dns" in protos(r) and not protos(r) & {"icmp", "icmpv6"}
                         and set(column(r, "dns.flags.response").split(",")) & set(FALSE_VALUES)
                         and not present(r, "dns.response_in")}
        self.assertEqual(run["io"][PUBLIC_FILTERS[2]], len(ws_unanswered),
                         "tshark's filter engine: " + PUBLIC_FILTERS[2])
        self.assertEqual(len(ws_unanswered), want["unans"], "Wireshark's own count")
        self.assertLessEqual(failed_q - mismatched_q, ws_unanswered)
        self.assertLessEqual(ws_unanswered - failed_q, answered_q)


class NegativeControlTest(unittest.TestCase):
    """A wrong SOURCES.md count is reported."""

    def test_wrong_count(self):
        table = public_table()
        name = "zeek_icmp-destunreach-udp.pcap" if "zeek_icmp-destunreach-udp.pcap" in table \
            else sorted(table)[0]
        want = copy.deepcopy(table[name])
        want["icmp_query"] += 1
        with self.assertRaises(AssertionError) as cm:
            PublicCapturesTest("test_each_capture").check(name, want)
        self.assertIn("ICMP errors quoting a query", str(cm.exception))


if __name__ == "__main__":
    if not os.path.exists(SOURCES):
        skip_program("public: no %s (the public captures sit beside this clone as "
                     "../shared/captures-public, or set DNSMON_PUBLIC_CAPTURES)" % SOURCES)
    sys.exit(main_exit(unittest.main(argv=sys.argv[:1], verbosity=2, exit=False)))
