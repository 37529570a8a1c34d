#!/usr/bin/env python3
"""`tshark -T ek -J dnsmon` (docs/at-scale.md): every line is JSON, dnsmon's
numeric times dnsmon.rtt_ms and dnsmon.lookup.delay_ms are numbers, and the
Elasticsearch mapping from `tshark -G elastic-mapping` types them as numbers
(dnsmon.rtt and dnsmon.lookup.delay, relative times, come out as "date")."""
import json
import unittest

from harness import TsharkTestCase

NUMERIC = {"float", "double", "half_float", "scaled_float", "long", "integer"}


def as_number(v):
    """EK output of Wireshark 4.0 writes numbers as JSON strings ("0.447573");
    Elasticsearch coerces them by the mapping. Either form must be a number."""
    if isinstance(v, list):
        return [as_number(x) for x in v]
    if isinstance(v, bool):
        raise ValueError("bool")
    return float(v)


class EkTest(TsharkTestCase):
    def test_ek_lines_are_json_with_numeric_rtt_ms(self):
        out = self.ts.stdout("-2", "-n", "-r", self.ts.capture("lookups.pcapng"), "-T", "ek",
                             "-J", "dnsmon", "-Y", "dnsmon")
        lines = out.splitlines()
        self.assertTrue(lines)
        docs = [json.loads(line) for line in lines]
        index, packets = docs[0::2], docs[1::2]
        self.assertTrue(all("index" in d for d in index))
        rtts, delays = [], []
        for p in packets:
            layers = p["layers"]
            self.assertIn("dnsmon", layers)
            # only dnsmon's fields: the other protocols are named, not expanded
            for proto, body in layers.items():
                if proto != "dnsmon":
                    self.assertEqual(body, {"filtered": proto})
            dm = layers["dnsmon"]
            if "dnsmon_dnsmon_rtt_ms" in dm:
                rtts.append(as_number(dm["dnsmon_dnsmon_rtt_ms"]))
            if "dnsmon_dnsmon_lookup_delay_ms" in dm:
                delays.append(as_number(dm["dnsmon_dnsmon_lookup_delay_ms"]))
        # 14 transactions, 7 with a response: queries and responses carry rtt
        self.assertGreaterEqual(len(rtts), 7)
        self.assertTrue(all(r >= 0 for r in rtts))
        # lookup 2 recovered after 1.006 s (captures/README.md)
        self.assertTrue(any(abs(d - 1006) < 1 for d in delays), delays)

    def test_ek_fields_only(self):
        out = self.ts.stdout("-2", "-n", "-r", self.ts.capture("lookups.pcapng"), "-T", "ek",
                             "-Y", "dnsmon.rtt_ms", "-e", "dnsmon.txn", "-e", "dnsmon.outcome",
                             "-e", "dnsmon.rtt_ms")
        packets = [json.loads(l) for l in out.splitlines()][1::2]
        self.assertTrue(packets)
        for p in packets:
            self.assertEqual(set(p["layers"]), {"dnsmon_txn", "dnsmon_outcome", "dnsmon_rtt_ms"})
            self.assertGreater(as_number(p["layers"]["dnsmon_rtt_ms"])[0], 0)

    def test_elastic_mapping(self):
        m = json.loads(self.ts.stdout("-G", "elastic-mapping", "--elastic-mapping-filter",
                                      "dnsmon"))
        props = m["mappings"]["properties"]["layers"]["properties"]["dnsmon"]["properties"]
        self.assertIn(props["dnsmon_dnsmon_rtt_ms"]["type"], NUMERIC)
        self.assertIn(props["dnsmon_dnsmon_lookup_delay_ms"]["type"], NUMERIC)


if __name__ == "__main__":
    unittest.main()
