#!/usr/bin/env python3
"""ctest 'clickhouse': the transaction log in a real ClickHouse server.

Starts Debian's clickhouse-server on a private port and data folder (stopped
at the end), loads the log of every capture in captures/ with
scripts/dnsmon-load (the log of the same tshark run that gives the stats
tree, with --log; the loader runs tshark itself in the tests of reloading,
ring buffers and the Distributed table), and checks with SQL:
  - counts by outcome equal `tshark -z dnsmon,tree`'s "Transactions" rows;
  - loading again counts nothing twice (ReplacingMergeTree, FINAL);
  - "failed lookups by server over time" (docs/at-scale.md) returns the rows
    derived from captures/README.md's tables and the frames' timestamps;
  - a capture cut in two ring-buffer files and loaded by scripts/dnsmon-sensor
    gives the same transactions as the whole file;
  - the Distributed table of docs/at-scale.md (a one-shard cluster here).
Exits 77 (skipped) when clickhouse-server or clickhouse-client is missing:
Debian ships them in bookworm only, not in trixie or sid.
"""
import collections
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import unittest

from chcluster import FAILED, Server, missing_programs, outcome_counts, parse_tree
from harness import CAPTURES, REPO, Tshark, check_run, frames_of, parse_expectations

LOAD = os.path.join(REPO, "scripts", "dnsmon-load")
SENSOR = os.path.join(REPO, "scripts", "dnsmon-sensor")
# Captures cut in two after this frame: a retransmission, a response and an
# ICMP error, and a silent query that the first file leaves incomplete.
SPLITS = {"firewall-drop.pcapng": 1, "slow-server.pcapng": 2, "lookups.pcapng": 5}
# The query of docs/at-scale.md, for one capture.
FAILED_BY_SERVER = """
SELECT server, toStartOfMinute(time) AS minute,
       countIf(failed = 1) AS failed_transactions,
       uniqExactIf((sensor, run, lookup), lookup_outcome = 'failed') AS failed_lookups
FROM dnsmon.txlog FINAL
WHERE sensor = 'test' AND capture = '%s'
GROUP BY server, minute
HAVING failed_transactions > 0
ORDER BY server, minute
"""


def captures():
    return sorted(f for f in os.listdir(CAPTURES) if f.endswith((".pcap", ".pcapng")))


def sensor_of(cap):
    """A capture made of another one's packets holds some of its transactions with the same
    identity: the -nokeys twin of an encrypted capture (the same packets without the keys),
    and live-tcp.pcapng (frames of healthy, firewall-drop and slow-server; healthy's first
    query keeps its time). A transaction's identity includes its sensor, so such a capture is
    loaded as a sensor of its own rather than replacing the rows of the file it came from (as
    two sensors capturing the same packets would)."""
    if "-nokeys." in cap:
        return "test-nokeys"
    return "test-live" if cap == "live-tcp.pcapng" else "test"


class ClickHouseTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ts = Tshark()
        cls.tshark = shlex.join(cls.ts.command([]))
        try:
            cls.db = Server()
        except Exception:
            cls.ts.cleanup()
            raise
        t = time.time()
        cls.tree = {}
        logs = os.path.join(cls.ts.root, "logs")
        os.makedirs(logs)
        # One tshark run per capture gives both taps (the log's lines start
        # with '{'): the loader reads the log of the capture with --log. One
        # tshark start-up serves them all (harness.Tshark.run_batch).
        caps = captures()
        runs = cls.ts.run_batch(caps, ["-2", "-q", "-n", "-z", "dnsmon,tree", "-z", "dnsmon,log"])
        for cap, run in zip(caps, runs):
            check_run(run.args, run.returncode, run.stderr)
            out = run.stdout
            cls.tree[cap] = outcome_counts(parse_tree(out))
            log = os.path.join(logs, cap + ".jsonl")
            with open(log, "w") as fh:
                fh.writelines(l + "\n" for l in out.splitlines() if l.startswith("{"))
            cls.load("--log", log, cls.ts.capture(cap), sensor=sensor_of(cap))
        print("clickhouse %s: %d captures loaded in %.1f s" % (cls.db.version, len(cls.tree),
                                                               time.time() - t), file=sys.stderr)

    @classmethod
    def tearDownClass(cls):
        cls.db.stop()
        cls.ts.cleanup()

    @classmethod
    def load(cls, *args, sensor="test"):
        cmd = [sys.executable, LOAD, "--host", "127.0.0.1", "--port", str(cls.db.port),
               "--tshark", cls.tshark, "--sensor", sensor, "-q"] + list(args)
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if p.returncode != 0:
            raise AssertionError("dnsmon-load %s failed: %s" % (" ".join(args), p.stderr))
        return p

    def counts(self, capture, table="dnsmon.txlog", sensor=None):
        sensor = sensor or sensor_of(capture)
        rows = self.db.sql("SELECT toString(outcome), count() FROM %s FINAL WHERE sensor = '%s' "
                           "AND capture = '%s' GROUP BY outcome" % (table, sensor, capture))
        counts = {o: int(n) for o, n in rows}
        if counts:
            counts[""] = sum(counts.values())
        return counts

    def test_counts_by_outcome_equal_tree(self):
        for cap in captures():
            with self.subTest(capture=cap):
                # every capture has transactions but one (DoH without keys: nothing to follow)
                if cap != "enc-doh-nokeys.pcapng":
                    self.assertTrue(self.tree[cap], cap)
                self.assertEqual(self.counts(cap), self.tree[cap])

    def test_loading_again_counts_once(self):
        again = ["seed-incident.pcapng", "lookups.pcapng", "tcp-refused.pcapng"]
        for cap in again:
            self.load(self.ts.capture(cap))
            self.assertEqual(self.counts(cap), self.tree[cap], cap)
        total = sum(t.get("", 0) for c, t in self.tree.items() if sensor_of(c) == "test")
        self.db.sql("OPTIMIZE TABLE dnsmon.txlog FINAL")
        n = self.db.sql("SELECT count() FROM dnsmon.txlog WHERE sensor = 'test'")
        self.assertEqual(int(n[0][0]), total)

    def test_types(self):
        """Times past 2105 and before 1970 are clamped in `time`, exact in
        time_sec/time_nsec; a TCP connection without a query has id -1."""
        rows = self.db.sql("SELECT toString(time), time_sec, time_nsec, toString(outcome), "
                           "query_frames FROM dnsmon.txlog FINAL WHERE sensor = 'test' AND "
                           "capture = 'far-future.pcapng' ORDER BY time_sec, time_nsec")
        self.assertEqual([r[1:3] for r in rows], [["-1", "500000000"], ["0", "500000000"],
                                                  ["9223372036", "854775807"],
                                                  ["9223372036", "854775807"]])
        self.assertEqual(rows[0][0], rows[1][0])                # both clamped to 1970-01-01
        self.assertEqual(rows[2][0], "2105-12-31 23:59:59")
        self.assertEqual([r[3] for r in rows], ["unanswered", "unanswered", "answered",
                                                "incomplete"])
        ids = self.db.sql("SELECT id, qname FROM dnsmon.txlog FINAL WHERE sensor = 'test' AND "
                          "capture = 'tcp-refused.pcapng' ORDER BY time_sec, time_nsec")
        self.assertEqual([r[0] for r in ids[:6]], ["-1"] * 6)
        self.assertEqual(ids[6][1], "www.example.test")
        self.assertNotEqual(ids[6][0], "-1")
        rtt = self.db.sql("SELECT rtt_ms, lookup_delay_ms FROM dnsmon.txlog FINAL WHERE "
                          "sensor = 'test' AND capture = 'lookups.pcapng' AND txn = 4")
        self.assertGreater(float(rtt[0][0]), 0)
        self.assertAlmostEqual(float(rtt[0][1]), 1006, delta=1)   # README: 1.006 s

    def test_failed_lookups_by_server_per_minute(self):
        """Expected rows from captures/README.md: the failed transactions of
        each server, in the minute of their first query frame's timestamp;
        distinct lookups whose outcome is failed among them."""
        readme = parse_expectations()
        for cap in ("lookups.pcapng", "seed-incident.pcapng", "tc-fallback.pcapng",
                    "port-unreachable.pcapng"):
            with self.subTest(capture=cap):
                stamps = {int(n): float(t) for n, t in self.ts.fields(
                    cap, ["frame.number", "frame.time_epoch"], two_pass=False)}
                groups = collections.defaultdict(lambda: [0, set()])
                for r in readme[cap]["rows"]:
                    server = r["server"].rsplit(":", 1)[0].strip("[]")
                    t = stamps[frames_of(r["query frames"])[0]]
                    minute = time.strftime("%Y-%m-%d %H:%M:00", time.gmtime(int(t // 60 * 60)))
                    g = groups[(server, minute)]
                    g[0] += r["outcome"] in FAILED
                    if r["lookup outcome"] == "failed":
                        g[1].add(r["lookup"])
                expected = [[s, m, str(g[0]), str(len(g[1]))]
                            for (s, m), g in sorted(groups.items()) if g[0]]
                self.assertTrue(expected)
                self.assertEqual(self.db.sql(FAILED_BY_SERVER % cap), expected)

    def transactions(self, sensor, capture_like, shift=None):
        """Rows as comparable tuples; shift: {capture: frames to add}. A
        lookup (sensor, run, lookup) is numbered by its first row, so two
        loads compare equal when they group the same rows into lookups."""
        rows = self.db.sql(
            "SELECT capture, time_sec, time_nsec, client, client_port, server, server_port, "
            "toString(transport), id, toString(outcome), attempts, query_frames, "
            "response_frames, icmp_frames, ifNull(toString(lookup_outcome), '-'), "
            "run, ifNull(toString(lookup), '-') "
            "FROM dnsmon.txlog FINAL WHERE sensor = '%s' AND capture LIKE '%s' "
            "ORDER BY time_sec, time_nsec, client_port" % (sensor, capture_like))
        out, lookups = [], {}
        for r in rows:
            add = (shift or {}).get(r[0], 0)
            frames = [[f + add for f in json.loads(c)] for c in r[11:14]]
            lookup = "-" if r[16] == "-" else lookups.setdefault((r[15], r[16]), len(lookups))
            out.append(tuple(r[1:11]) + tuple(map(tuple, frames)) + (r[14], lookup))
        return out

    def test_ring_buffer_split_counts_once(self):
        """Each capture of SPLITS cut in two dumpcap-named files: the sensor
        loads the first, then the second with the first as --previous. The
        table then holds exactly the whole capture's transactions (frames of
        the second file numbered on from the first's); loading the second
        again changes nothing. Without --previous the cut transaction stays
        incomplete in the first file and its retransmission counts again."""
        rings = os.path.join(self.ts.root, "rings")
        for cap, cut in SPLITS.items():
            with self.subTest(capture=cap):
                whole = self.ts.capture(cap)
                count = int(subprocess.run(["capinfos", "-T", "-r", "-M", "-c", whole],
                                           stdout=subprocess.PIPE, text=True,
                                           check=True).stdout.split("\t")[1])
                ring = os.path.join(rings, cap.split(".")[0])
                keep = ring + "-copy"
                os.makedirs(ring)
                os.makedirs(keep)
                names = ["dns_00001_20260101000000.pcapng", "dns_00002_20260101000500.pcapng"]
                for name, rng in zip(names, ("1-%d" % cut, "%d-%d" % (cut + 1, count))):
                    subprocess.run(["editcap", "-r", whole, os.path.join(ring, name), rng],
                                   check=True)
                    shutil.copy(os.path.join(ring, name), os.path.join(keep, name))
                for d in (ring, keep):
                    os.chmod(d, 0o755)
                    for n in os.listdir(d):
                        os.chmod(os.path.join(d, n), 0o644)
                sensor = "ring-" + cap
                p = subprocess.run([sys.executable, SENSOR, "--final", ring, "--", "--host",
                                    "127.0.0.1", "--port", str(self.db.port), "--tshark",
                                    self.tshark, "--sensor", sensor],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertIn("1 of %s decided again" % names[0], p.stderr)
                self.assertEqual([n for n in os.listdir(ring) if n.endswith(".pcapng")], [])
                expected = self.transactions("test", cap)
                self.assertEqual(self.transactions(sensor, "dns_%", {names[1]: cut}), expected)
                self.load("--previous", os.path.join(keep, names[0]),
                          os.path.join(keep, names[1]), sensor=sensor)
                self.assertEqual(self.transactions(sensor, "dns_%", {names[1]: cut}), expected)
                # No --previous: what docs/at-scale.md says is lost.
                for n in names:
                    self.load(os.path.join(keep, n), sensor="noprev-" + cap)
                alone = self.transactions("noprev-" + cap, "dns_%", {names[1]: cut})
                self.assertNotEqual(alone, expected)
                self.assertIn("incomplete", [r[8] for r in alone])
        # firewall-drop cut after the first of three attempts: the other two
        # are a transaction of their own in the second file.
        alone = self.transactions("noprev-firewall-drop.pcapng", "dns_%")
        self.assertEqual(len(alone), len(self.transactions("test", "firewall-drop.pcapng")) + 1)

    def test_distributed_table(self):
        """docs/at-scale.md's fleet DDL (local ReplacingMergeTree + Distributed
        sharded by sensor) on a one-shard cluster of this server."""
        ddl = subprocess.run([sys.executable, LOAD, "--print-ddl", "--table", "fleet.txlog",
                              "--cluster", "dnsmon_test"], stdout=subprocess.PIPE, text=True,
                             check=True).stdout
        self.assertIn("ENGINE = Distributed(dnsmon_test, fleet, txlog_local, "
                      "cityHash64(sensor, client))", ddl)
        self.assertIn("ENGINE = ReplacingMergeTree(version)", ddl)
        fleet = ("--table", "fleet.txlog", "--cluster", "dnsmon_test")
        for cap in ("seed-incident.pcapng", "lookups.pcapng", "lookups.pcapng"):
            self.load(*fleet, self.ts.capture(cap))
        for cap in ("seed-incident.pcapng", "lookups.pcapng"):
            self.assertEqual(self.counts(cap, "fleet.txlog"), self.tree[cap], cap)
        local = self.db.sql("SELECT count() FROM fleet.txlog_local FINAL")
        self.assertEqual(int(local[0][0]), 17)
        # A ring buffer's seam through the Distributed table: the open
        # transaction of the first file is read back through it.
        whole = self.ts.capture("firewall-drop.pcapng")
        parts = [os.path.join(self.ts.root, "fleet-%s.pcapng" % n) for n in "ab"]
        subprocess.run(["editcap", "-r", whole, parts[0], "1-1"], check=True)
        subprocess.run(["editcap", "-r", whole, parts[1], "2-8"], check=True)
        for f in parts:
            os.chmod(f, 0o644)
        self.load(*fleet, parts[0], sensor="fleet-ring")
        p = self.load(*fleet, "--previous", parts[0], parts[1], sensor="fleet-ring")
        self.assertEqual(p.returncode, 0)
        rows = self.db.sql("SELECT toString(outcome), count() FROM fleet.txlog FINAL WHERE "
                           "sensor = 'fleet-ring' GROUP BY outcome ORDER BY outcome")
        self.assertEqual(rows, [["answered", "1"], ["unanswered", "4"]])


def main():
    missing = missing_programs()
    if missing:
        print("SKIPPED: clickhouse: %s, so the ClickHouse test cannot run here (Debian ships "
              "ClickHouse in bookworm only)" % "; ".join(missing))
        return 77
    for tool in ("editcap", "mergecap", "capinfos"):
        if not shutil.which(tool):
            print("%s is missing (Debian package wireshark-common)" % tool)
            return 1
    prog = unittest.main(exit=False, verbosity=2)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
