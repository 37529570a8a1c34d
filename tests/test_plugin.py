"""The plugin loads in the real tshark and registers the fields and expert items docs/design.md names."""
import re
import sys
import unittest

from harness import TsharkTestCase

CONTRACT_FIELDS = """txn outcome failed unanswered rejected attempt attempts query_in response_in
icmp_in rtt rtt_ms client client6 server server6 server_port transport qname qtype icmp.kind
icmp.reporter icmp.reporter6 icmp.from_server icmp.quotes wrong_source answered_from
answered_from6 tcp.reset tcp.fallback_of tcp.fallback_in ede ede.text lookup lookup.outcome
lookup.txns lookup.servers lookup.delay lookup.delay_ms""".split()

CONTRACT_EXPERTS = """rejected icmp_error unanswered servfail refused error_rcode nxdomain
retransmission slow late bounced duplicate_response unsolicited question_mismatch
incomplete wrong_source tcp_reset tcp_fallback_failed lookup_failed lookup_recovered""".split()


class PluginTest(TsharkTestCase):
    def test_listed_by_tshark(self):
        out = self.ts.stdout("-G", "plugins")
        lines = [l for l in out.splitlines() if l.startswith("dnsmon.so")]
        self.assertEqual(len(lines), 1, out)
        self.assertIn(self.ts.plugin_dir, lines[0])

    def test_protocol_registered(self):
        out = self.ts.stdout("-G", "protocols")
        self.assertRegex(out, r"(?m)^DNS transaction monitor\tDNSMON\tdnsmon(\t|$)")

    def test_fields_registered(self):
        out = self.ts.stdout("-G", "fields")
        have = set(re.findall(r"(?m)^F\t[^\t]*\tdnsmon\.([^\t]+)\t", out))
        for f in CONTRACT_FIELDS:
            self.assertIn(f, have, "dnsmon.%s missing from tshark -G fields" % f)
        for e in CONTRACT_EXPERTS:
            self.assertIn("expert." + e, have, "dnsmon.expert.%s missing" % e)

    def test_preferences_registered(self):
        out = self.ts.stdout("-G", "defaultprefs")
        for pref, default in (("timeout", "5"), ("retransmit_window", "5"),
                              ("slow_threshold", "500"), ("ignore_multicast", "TRUE"),
                              ("lookup_window", "5")):
            self.assertRegex(out, r"(?m)^#dnsmon\.%s: %s$" % (pref, default))


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
