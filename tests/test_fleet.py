#!/usr/bin/env python3
"""ctest 'fleet' (label clickhouse): the transaction log in a real cluster,
under faults.

One cluster for the whole module: two shards of two replicas, four
clickhouse-server processes on loopback (private ports, folders, configs) and
one ZooKeeper (Debian's zookeeper package, run by hand). dnsmon-load creates
the tables with ON CLUSTER (ReplicatedReplacingMergeTree under a Distributed
table sharded by sensor and client), dnsmon-sensor loads ring-buffer folders
made from captures/. Every test ends with the table's counts (FINAL, through
the Distributed table) equal to `tshark -z dnsmon,tree` of what was loaded:

  - two sensors in parallel: counts by outcome and lookup outcome, and the
    fleet queries of docs/at-scale.md (failed transactions per server over
    time, top failing names) equal the trees, summed;
  - one replica stopped during a load: the load goes on through the others,
    the replica catches up when it is back (its local table);
  - every server stopped during a load: dnsmon-sensor keeps the file, retries
    with back-off, loads it when they are back, and logs all of it;
  - kill -9 of dnsmon-load, then of dnsmon-sensor (and its children), each
    after an INSERT went in and before the file was done: restarted, nothing
    is lost and no transaction is counted twice (by the table's key);
  - the last file of a ring cut short in the middle of a block: loaded as far
    as it goes;
  - a file that is no capture and one with a damaged block: set aside with a
    message, the ring goes on;
  - a lookup cut by a ring-buffer boundary (a failed try in one file, the
    answer in the next) is one lookup, recovered, as in the whole capture.

Exits 77 (skipped) without clickhouse-server, clickhouse-client, ZooKeeper or
java (Debian has ClickHouse in bookworm only).
"""
import collections
import concurrent.futures
import os
import re
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import time
import unittest

from chcluster import (Cluster, failed_by_server, failing_names, lookup_counts,
                       missing_programs, outcome_counts, parse_tree, wait_until)
from harness import REPO, Tshark

LOAD = os.path.join(REPO, "scripts", "dnsmon-load")
SENSOR = os.path.join(REPO, "scripts", "dnsmon-sensor")
PAUSING = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pausing_client.py")
TABLE = "dnsmon.txlog"
KEY = "sensor, time_sec, time_nsec, client, client_port, server, server_port, transport, id"
# docs/at-scale.md's fleet queries, for a set of sensors.
FAILED_BY_SERVER = """
SELECT server, toStartOfMinute(time) AS minute,
       countIf(failed = 1) AS failed_transactions,
       uniqExactIf((sensor, run, lookup), lookup_outcome = 'failed') AS failed_lookups
FROM dnsmon.txlog FINAL
WHERE sensor IN (%s)
GROUP BY server, minute
HAVING failed_transactions > 0
ORDER BY server, minute
"""
TOP_FAILING_NAMES = """
SELECT qname, qtype, countIf(failed = 1) AS failed_transactions,
       uniqExactIf((sensor, run, lookup), lookup_outcome = 'failed') AS failed_lookups,
       uniqExactIf(sensor, failed = 1) AS sensors
FROM dnsmon.txlog FINAL
WHERE sensor IN (%s) AND qname IS NOT NULL
GROUP BY qname, qtype
HAVING failed_transactions > 0
ORDER BY failed_transactions DESC, failed_lookups DESC, qname
LIMIT 20
"""

ts = None
cluster = None
trees = {}


def setUpModule():
    global ts, cluster
    t = time.time()
    ts = Tshark()
    try:
        cluster = Cluster("fleet", shards=2, replicas=2)
    except Exception:
        ts.cleanup()
        raise
    print("\ncluster of 4 clickhouse-server %s and zookeeper up in %.1f s"
          % (cluster.version, time.time() - t), file=sys.stderr)


def tearDownModule():
    if cluster:
        cluster.stop()
    if ts:
        ts.cleanup()


def capinfos_count(path):
    p = subprocess.run(["capinfos", "-T", "-r", "-M", "-c", path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    return int(p.stdout.split("\t")[1])


def tree_of(path):
    """The parsed -z dnsmon,tree of a capture (tshark's exit status 2 on a
    file cut short is fine: the tree is of what it read)."""
    if path not in trees:
        p = ts.run("-2", "-q", "-n", "-r", path, "-z", "dnsmon,tree", check=False)
        if p.returncode not in (0, 2) or "Transactions" not in p.stdout:
            raise AssertionError("tshark -z dnsmon,tree failed on %s: %s" % (path, p.stderr))
        trees[path] = parse_tree(p.stdout)
    return trees[path]


def trees_of(paths):
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        return list(pool.map(tree_of, paths))


def summed(fn, tree_list):
    total = collections.Counter()
    for t in tree_list:
        total.update(fn(t))
    return dict(total)


def cut(whole, out, frames):
    """frames "A-B" of capture whole into out (readable by tshark's user)."""
    subprocess.run(["editcap", "-r", whole, out, frames], check=True, stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE)
    os.chmod(out, 0o644)
    return out


def blocks(data):
    """pcapng blocks: [(offset, type, length)]."""
    out, off = [], 0
    while off + 8 <= len(data):
        btype, blen = struct.unpack_from("<II", data, off)
        out.append((off, btype, blen))
        off += blen
    return out


class FleetTest(unittest.TestCase):
    def setUp(self):
        self.t0 = time.time()
        self.procs = []
        self.work = os.path.join(ts.root, self.id().rsplit(".", 1)[-1])
        os.makedirs(self.work)
        os.chmod(self.work, 0o755)

    def tearDown(self):
        for p in self.procs:            # a sensor left by a failed test, its children
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
        for node in cluster.nodes:      # a test that failed with a server down
            if not node.running():
                node.start()
        print(" [%.1f s]" % (time.time() - self.t0), file=sys.stderr, end=" ")

    # -- helpers
    def piece(self, name, whole=None, frames=None):
        """A copy of a capture (or frames A-B of it) in the test's folder."""
        src = ts.capture(whole or name)
        dst = os.path.join(self.work, "pieces", name)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if frames:
            cut(src, dst, frames)
        else:
            shutil.copy(src, dst)
            os.chmod(dst, 0o644)
        return dst

    def ring(self, name, rings):
        """A sensor's folder: rings is [(prefix, [files])], each a ring
        buffer whose files are named as dumpcap does, PREFIX_NNNNN_STAMP.pcapng,
        the stamps rising in the given order. Returns (folder, [names])."""
        folder = os.path.join(self.work, name)
        os.makedirs(folder)
        os.chmod(folder, 0o755)
        names, stamp = [], 20260101000000
        for prefix, files in rings:
            for seq, f in enumerate(files, 1):
                stamp += 500
                n = "%s_%05d_%d.pcapng" % (prefix, seq, stamp)
                shutil.copy(f, os.path.join(folder, n))
                os.chmod(os.path.join(folder, n), 0o644)
                names.append(n)
        return folder, names

    def load_args(self, sensor, hosts=None):
        return ["--host", hosts or cluster.hosts(), "--cluster", "fleet", "--on-cluster",
                "--tshark", shlex.join(ts.command([])), "--sensor", sensor]

    def sensor(self, sensor, folder, *opts, pause=None, wait=True, hosts=None):
        """Runs dnsmon-sensor on folder (stderr appended to folder.log). With
        pause, dnsmon-load uses pausing_client.py (see there)."""
        env = dict(os.environ)
        load = self.load_args(sensor, hosts)
        if pause is not None:
            self.pauses = os.path.join(self.work, "pauses-" + sensor)
            os.makedirs(self.pauses, exist_ok=True)
            env.update(DNSMON_PAUSE_DIR=self.pauses, DNSMON_PAUSE=pause)
            load += ["--client", "%s %s" % (sys.executable, PAUSING)]
        log = open(folder + ".log", "a")
        cmd = [sys.executable, SENSOR, "--interval", "0.2", "--retry-min", "0.25",
               "--retry-max", "1"] + list(opts) + [folder, "--"] + load
        p = subprocess.Popen(cmd, stdout=log, stderr=log, env=env, start_new_session=True)
        self.procs.append(p)
        log.close()
        if wait:
            self.assertEqual(p.wait(300), 0, self.log(folder))
        return p

    def log(self, folder):
        with open(folder + ".log", errors="replace") as fh:
            return fh.read()

    def paused(self, n, timeout=120):
        """Waits for the n-th INSERT's pause: (dnsmon-load's pid, the client's)."""
        marker = os.path.join(self.pauses, "paused-%d" % n)
        wait_until(lambda: os.path.exists(marker), timeout, "INSERT %d to pause" % n, 0.05)
        with open(marker) as fh:
            return [int(x) for x in fh.read().split()]

    def go(self, n):
        open(os.path.join(self.pauses, "go-%d" % n), "w").close()

    def sql(self, query, node=None):
        nodes = [node] if node else [n for n in cluster.nodes if n.running()]
        return nodes[0].sql(query)

    def where(self, sensors):
        return "sensor IN (%s)" % ", ".join("'%s'" % s for s in sensors)

    def counts(self, sensors, node=None, table=TABLE):
        rows = self.sql("SELECT toString(outcome), count() FROM %s FINAL WHERE %s "
                        "GROUP BY outcome" % (table, self.where(sensors)), node)
        out = {o: int(n) for o, n in rows}
        if out:
            out[""] = sum(out.values())
        return out

    def lookups(self, sensors):
        rows = self.sql("SELECT toString(lookup_outcome), uniqExact((sensor, run, lookup)) "
                        "FROM %s FINAL WHERE %s AND lookup IS NOT NULL GROUP BY lookup_outcome"
                        % (TABLE, self.where(sensors)))
        out = {o: int(n) for o, n in rows}
        if out:
            out[""] = sum(out.values())
        return out

    def assert_like_trees(self, sensors, captures):
        """Counts by outcome and by lookup outcome equal the trees' of the
        captures, summed; each transaction key once."""
        tl = trees_of(captures)
        self.assertEqual(self.counts(sensors), summed(outcome_counts, tl))
        self.assertEqual(self.lookups(sensors), summed(lookup_counts, tl))
        n, keys = self.sql("SELECT count(), uniqExact(%s) FROM %s FINAL WHERE %s"
                           % (KEY, TABLE, self.where(sensors)))[0]
        self.assertEqual(int(n), int(keys))

    # -- the tests
    def test_01_two_sensors_in_parallel(self):
        """Two sensors load different captures at the same time; the fleet
        queries of docs/at-scale.md give what the trees of the captures say."""
        lookups = ts.capture("lookups.pcapng")
        fw = ts.capture("firewall-drop.pcapng")
        east = [("dns-seed", [self.piece("seed-incident.pcapng")]),
                ("dns-lookups", [self.piece("lookups-1.pcapng", lookups, "1-19"),
                                 self.piece("lookups-2.pcapng", lookups,
                                            "20-%d" % capinfos_count(lookups))]),
                ("dns-tc", [self.piece("tc-fallback.pcapng")]),
                ("dns-v6", [self.piece("ipv6.pcapng")]),
                ("dns-rcodes", [self.piece("rcodes.pcapng")]),
                ("dns-ws", [self.piece("wrong-source.pcapng")])]
        west = [("dns-fw", [self.piece("firewall-drop-1.pcapng", fw, "1-1"),
                            self.piece("firewall-drop-2.pcapng", fw,
                                       "2-%d" % capinfos_count(fw))]),
                ("dns-slow", [self.piece("slow-server.pcapng")]),
                ("dns-port", [self.piece("port-unreachable.pcapng")]),
                ("dns-tcp", [self.piece("tcp-refused.pcapng")]),
                ("dns-ede", [self.piece("ede.pcapng")]),
                ("dns-healthy", [self.piece("healthy.pcapng")]),
                ("dns-reuse", [self.piece("key-reuse.pcapng")])]
        caps = {"east": ["seed-incident.pcapng", "lookups.pcapng", "tc-fallback.pcapng",
                         "ipv6.pcapng", "rcodes.pcapng", "wrong-source.pcapng"],
                "west": ["firewall-drop.pcapng", "slow-server.pcapng", "port-unreachable.pcapng",
                         "tcp-refused.pcapng", "ede.pcapng", "healthy.pcapng",
                         "key-reuse.pcapng"]}
        folders = {"east": self.ring("east", east)[0], "west": self.ring("west", west)[0]}
        procs = {s: self.sensor(s, folders[s], "--final", wait=False) for s in folders}
        allcaps = [ts.capture(c) for s in caps for c in caps[s]]
        tl = dict(zip(allcaps, trees_of(allcaps)))       # meanwhile
        for s, p in procs.items():
            self.assertEqual(p.wait(300), 0, self.log(folders[s]))
            self.assertIn("decided again", self.log(folders[s]))
        for s in caps:
            self.assert_like_trees([s], [ts.capture(c) for c in caps[s]])
        # Rows of both sensors on both shards, on both replicas of each.
        for shard in (1, 2):
            n = [int(node.sql("SELECT count() FROM dnsmon.txlog_local WHERE sensor IN "
                              "('east', 'west')")[0][0]) for node in cluster.shard(shard)]
            self.assertGreater(n[0], 0)
            wait_until(lambda: len({int(node.sql(
                "SELECT count() FROM dnsmon.txlog_local WHERE sensor IN ('east', 'west')")[0][0])
                for node in cluster.shard(shard)}) == 1, 60, "replicas of shard %d" % shard)
        trees_all = list(tl.values())
        # Failed transactions per server over time, summed over the minutes.
        rows = self.sql(FAILED_BY_SERVER % "'east', 'west'")
        by_server = collections.Counter()
        for server, _, failed, _ in rows:
            by_server[server] += int(failed)
        self.assertEqual(dict(by_server), summed(failed_by_server, trees_all))
        failed_lookups = self.sql("SELECT uniqExactIf((sensor, run, lookup), lookup_outcome = "
                                  "'failed') FROM %s FINAL WHERE sensor IN ('east', 'west')"
                                  % TABLE)
        self.assertEqual(int(failed_lookups[0][0]),
                         sum(lookup_counts(t).get("failed", 0) for t in trees_all))
        # Top failing names across sensors.
        names = {"%s %s" % (q, t): int(n)
                 for q, t, n, _, _ in self.sql(TOP_FAILING_NAMES % "'east', 'west'")}
        self.assertEqual(names, summed(failing_names, trees_all))

    def test_02_replica_down_during_load(self):
        """One replica (the loader's first server) stops while a load waits
        to insert: the load goes through the next server, the Distributed
        table writes its shard to the other replica; restarted, the replica
        fetches what it missed."""
        lookups = ts.capture("lookups.pcapng")
        folder, names = self.ring("replica", [
            ("dns-a", [self.piece("tunnels.pcapng")]),
            ("dns-b", [self.piece("host-unreachable.pcapng")]),
            ("dns-c", [self.piece("lookups-1.pcapng", lookups, "1-5"),
                       self.piece("lookups-2.pcapng", lookups,
                                  "6-%d" % capinfos_count(lookups))])])
        down, other = cluster.shard(1)
        hosts = ",".join(n.address() for n in (down,) + tuple(
            n for n in cluster.nodes if n.shard == 2) + (other,))
        p = self.sensor("replica", folder, "--final", pause="before:2", wait=False, hosts=hosts)
        self.paused(2)
        down.stop()
        self.go(2)
        self.assertEqual(p.wait(300), 0, self.log(folder))
        log = self.log(folder)
        self.assertIn("%s unreachable" % down.address(), log)
        self.assertNotIn("retrying", log)
        caps = [ts.capture(c) for c in ("tunnels.pcapng", "host-unreachable.pcapng",
                                        "lookups.pcapng")]
        self.assert_like_trees(["replica"], caps)
        q = "SELECT count() FROM dnsmon.txlog_local WHERE sensor = 'replica'"
        on_other = int(other.sql(q)[0][0])
        self.assertGreater(on_other, 0, "no row on shard 1: choose another sensor name")
        down.start()
        wait_until(lambda: int(down.sql(q)[0][0]) == on_other, 60,
                   "the restarted replica to catch up")
        self.assertEqual(self.counts(["replica"], down, "dnsmon.txlog_local"),
                         self.counts(["replica"], other, "dnsmon.txlog_local"))

    def test_03_cluster_unreachable(self):
        """Every ClickHouse server stops while a load waits to insert:
        dnsmon-sensor keeps the file (and the files after it), retries with
        back-off, says so, and loads them once the servers are back."""
        folder, names = self.ring("outage", [
            ("dns-a", [self.piece("icmp-in-icmp.pcapng")]),
            ("dns-b", [self.piece("dotted-label.pcapng")])])
        p = self.sensor("outage", folder, "--final", pause="before:1", wait=False)
        self.paused(1)
        for node in cluster.nodes:
            node.stop()
        self.go(1)
        wait_until(lambda: "attempt 3 failed" in self.log(folder), 60, "three failed loads")
        self.assertEqual(sorted(n for n in os.listdir(folder) if n.endswith(".pcapng")), names)
        for node in cluster.nodes:
            node.start(wait=False)
        for node in cluster.nodes:
            node.wait_ready()
        self.assertEqual(p.wait(300), 0, self.log(folder))
        log = self.log(folder)
        self.assertIn("no ClickHouse server could be reached", log)
        delays = [float(d) for d in re.findall(r"retrying in ([0-9.]+) s", log)]
        self.assertGreaterEqual(len(delays), 3, log)
        self.assertEqual(delays[:3], [0.25, 0.5, 1.0])
        self.assertLessEqual(max(delays), 1.0)
        self.assertRegex(log, r"loaded %s at attempt \d+, after [0-9.]+ s of failed loads"
                         % names[0])
        self.assertEqual([n for n in os.listdir(folder) if n.endswith(".pcapng")], [])
        self.assert_like_trees(["outage"], [ts.capture("icmp-in-icmp.pcapng"),
                                            ts.capture("dotted-label.pcapng")])

    def test_04_kill_9(self):
        """kill -9 of dnsmon-load after its INSERT, before the sensor knew;
        then kill -9 of dnsmon-sensor with its children after the first of a
        carried load's two INSERTs. Restarted: every transaction once."""
        lookups = ts.capture("lookups.pcapng")
        folder, names = self.ring("killed", [
            ("dns-a", [self.piece("healthy.pcapng")]),
            ("dns-b", [self.piece("lookups-1.pcapng", lookups, "1-19"),
                       self.piece("lookups-2.pcapng", lookups,
                                  "20-%d" % capinfos_count(lookups))])])
        # INSERTs: 1 healthy (killed after), 2 healthy again, 3 lookups-1,
        # 4 lookups-2's rows of lookups-1 (killed after), 5 ...
        p = self.sensor("killed", folder, "--final", pause="after:1,after:4", wait=False)
        loader, client = self.paused(1)
        os.kill(loader, signal.SIGKILL)
        self.go(1)
        self.paused(4)
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        log = self.log(folder)
        self.assertIn("dnsmon-load killed by signal 9", log)
        self.assertIn("loaded %s at attempt 2" % names[0], log)
        self.assertIn(names[2], os.listdir(folder))
        # Killed mid-file: the rows of the first file that the second decided
        # again are in, the second file's own rows are not.
        mid = self.sql("SELECT countIf(next_capture = '%s'), countIf(capture = '%s') FROM %s "
                       "FINAL WHERE sensor = 'killed'" % (names[2], names[2], TABLE))
        self.assertGreater(int(mid[0][0]), 0)
        self.assertEqual(int(mid[0][1]), 0)
        physical = int(self.sql("SELECT count() FROM %s WHERE sensor = 'killed'" % TABLE)[0][0])
        self.assertGreater(physical, 0)
        self.sensor("killed", folder, "--final")
        caps = [ts.capture("healthy.pcapng"), lookups]
        self.assert_like_trees(["killed"], caps)
        total = sum(outcome_counts(t)[""] for t in trees_of(caps))
        physical = int(self.sql("SELECT count() FROM %s WHERE sensor = 'killed'" % TABLE)[0][0])
        print(" (rows before FINAL: %d, transactions: %d)" % (physical, total), file=sys.stderr,
              end="")
        # OPTIMIZE ... FINAL on one replica of each shard that holds parts
        # (18.16 fails it on an empty replicated table, "Unknown log entry
        # type: 0", so ON CLUSTER fails when a shard is empty); the merge
        # reaches the other replica: then plain count() is the number of
        # transactions everywhere.
        q = "SELECT count() FROM dnsmon.txlog_local WHERE sensor = 'killed'"
        for shard in (1, 2):
            node = cluster.shard(shard)[0]
            if int(node.sql("SELECT count() FROM system.parts WHERE database = 'dnsmon' AND "
                            "table = 'txlog_local' AND active")[0][0]):
                node.sql("OPTIMIZE TABLE dnsmon.txlog_local FINAL")
        for shard in (1, 2):
            nodes = cluster.shard(shard)
            final = int(nodes[0].sql(q.replace("WHERE", "FINAL WHERE"))[0][0])
            for node in nodes:
                wait_until(lambda: int(node.sql(q)[0][0]) == final, 60,
                           "the merge on %s" % node.name)
        self.assertEqual(int(self.sql(q.replace("txlog_local", "txlog"))[0][0]), total)

    def test_05_truncated_last_file(self):
        """The ring's last file was being written when the capture was
        killed: cut in the middle of a block. It is loaded as far as it goes
        (with the carry-over from the file before it); a new ring follows."""
        lookups = ts.capture("lookups.pcapng")
        first = self.piece("lookups-1.pcapng", lookups, "1-19")
        second = self.piece("lookups-2.pcapng", lookups, "20-%d" % capinfos_count(lookups))
        with open(second, "rb") as fh:
            data = fh.read()
        packets = [b for b in blocks(data) if b[1] == 6]       # enhanced packet blocks
        off, _, length = packets[-2]
        with open(second, "wb") as fh:
            fh.write(data[:off + length // 2])
        held = len(packets) - 2
        folder, names = self.ring("cut", [("dns", [first, second]),
                                          ("dns-restarted", [self.piece("healthy.pcapng")])])
        self.sensor("cut", folder, "--once")
        log = self.log(folder)
        self.assertIn("%s is cut short in its last block" % names[1], log)
        self.assertEqual([n for n in os.listdir(folder) if n.endswith(".pcapng")], [names[2]])
        self.assertEqual(capinfos_count(os.path.join(folder, ".dnsmon-sensor", names[1])), held)
        self.sensor("cut", folder, "--final")
        # What the two files hold: the first 19 + held frames of the capture.
        prefix = self.piece("lookups-prefix.pcapng", lookups, "1-%d" % (19 + held))
        self.assert_like_trees(["cut"], [prefix, ts.capture("healthy.pcapng")])

    def test_06_corrupt_files_set_aside(self):
        """A file that is no capture and one with a damaged block are set
        aside with a message; the files after them are loaded."""
        garbage = os.path.join(self.work, "garbage.pcapng")
        with open(garbage, "wb") as fh:
            fh.write(bytes((i * 7919 + 13) % 251 for i in range(3000)))
        damaged = self.piece("damaged.pcapng", "tc-fallback.pcapng")
        with open(damaged, "rb") as fh:
            data = bytearray(fh.read())
        off, _, _ = [b for b in blocks(data) if b[1] == 6][3]
        struct.pack_into("<I", data, off + 4, 0xfffffff0)          # block length
        with open(damaged, "wb") as fh:
            fh.write(data)
        good = [self.piece(c) for c in ("seed-incident.pcapng", "rcodes.pcapng", "ede.pcapng")]
        folder, names = self.ring("corrupt", [("dns", [good[0], garbage, good[1], damaged,
                                                       good[2]])])
        self.sensor("corrupt", folder, "--final")
        log = self.log(folder)
        rejected = os.path.join(folder, ".dnsmon-sensor", "rejected")
        self.assertEqual(sorted(os.listdir(rejected)), [names[1], names[3]])
        self.assertIn("set aside %s: %s cannot be read as a capture: The file \"%s\" isn't a "
                      "capture file" % (names[1], names[1], names[1]), log)
        self.assertIn("set aside %s: %s cannot be read as a capture: The file \"%s\" appears "
                      "to be damaged or corrupt. (pcapng: " % (names[3], names[3], names[3]), log)
        self.assertIn("the ring goes on without it", log)
        self.assertEqual([n for n in os.listdir(folder) if n.endswith(".pcapng")], [])
        self.assert_like_trees(["corrupt"], good)

    def test_07_lookup_across_boundary(self):
        """captures/lookups.pcapng cut inside a recovered lookup: lookup 6
        (txn 11 rejected in the first file, txn 12's NXDOMAIN in the second)
        and lookup 1 (txn 1 rejected, txn 2 answered). Loaded by a sensor,
        each is one lookup, recovered, and the totals are the whole file's;
        without --previous they would be two."""
        lookups = ts.capture("lookups.pcapng")
        count = capinfos_count(lookups)
        whole = tree_of(lookups)
        checks = {19: "nosuch.example.test", 2: "www.example.test"}
        for at, qname in checks.items():
            with self.subTest(cut_after=at):
                sensor = "seam-%d" % at
                parts = [self.piece("%s-1.pcapng" % sensor, lookups, "1-%d" % at),
                         self.piece("%s-2.pcapng" % sensor, lookups, "%d-%d" % (at + 1, count))]
                folder, names = self.ring(sensor, [("dns", parts)])
                self.sensor(sensor, folder, "--final")
                self.assertEqual(self.counts([sensor]), outcome_counts(whole))
                self.assertEqual(self.lookups([sensor]), lookup_counts(whole))
                rows = self.sql("SELECT capture, run, lookup, toString(lookup_outcome), "
                                "toString(outcome) FROM %s FINAL WHERE sensor = '%s' AND "
                                "qname = '%s' ORDER BY time_sec, time_nsec LIMIT 2"
                                % (TABLE, sensor, qname))
                self.assertEqual([r[0] for r in rows], names)        # one in each file
                self.assertEqual(rows[0][1:4], rows[1][1:4])          # one lookup
                self.assertEqual(rows[0][3], "recovered")
                if at == 19:
                    # The first file loaded again by hand: its own rows do not
                    # replace the ones decided again with the second file.
                    subprocess.run([sys.executable, LOAD, "-q"] + self.load_args(sensor) +
                                   [parts[0]], check=True)
                    self.assertEqual(self.lookups([sensor]), lookup_counts(whole))
                    self.assertEqual(self.counts([sensor]), outcome_counts(whole))
                    # Without the carry-over: the boundary splits the lookup.
                    for part in parts:
                        subprocess.run([sys.executable, LOAD, "-q"] +
                                       self.load_args("noseam-19") + [part], check=True)
                    alone = self.lookups(["noseam-19"])
                    self.assertEqual(alone[""], lookup_counts(whole)[""] + 1)


def main():
    missing = missing_programs(cluster=True)
    if missing:
        print("SKIPPED: fleet: %s, so the ClickHouse cluster test cannot run here" % "; ".join(missing))
        return 77
    for tool in ("editcap", "mergecap", "capinfos"):
        if not shutil.which(tool):
            print("%s is missing (Debian package wireshark-common)" % tool)
            return 1
    t = time.time()
    prog = unittest.main(exit=False, verbosity=2)
    print("fleet: %.1f s" % (time.time() - t), file=sys.stderr)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
