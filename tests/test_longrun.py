"""Long live runs (issue 19, item 4; docs/design.md, "Memory" and "Sessions").

A generated capture (bench/dnsgen.c, scenario `mix`, at 300 transactions per
second of capture time, so that the 60-second horizon holds ~20,000 of
them) goes through a pipe into `tshark -n -i - -M M -q -z dnsmon,log`, as a
live run would: a single pass nothing revisits.

test_flat_single_pass
    400,000 transactions (1 M packets, 22 minutes of capture time), a
    session reset every 250,000 packets. The tshark process's VmRSS is
    sampled with how far tshark has read dumpcap's file. After warm-up
    (a quarter of the capture: past the horizon, one session reset):
        RSS at 4N <= 1.2 x RSS at N    (N: a quarter; the largest RSS seen
                                        while at most that much was read)
    and what the engine holds by its own accounting (DNSMON_MEMORY=1, each
    time it forgets) at its highest in the last quarter <= 1.2 x in the
    second. The log has a line for every transaction (nothing lost, none
    twice). Keeping everything (as with -z dnsmon,report), RSS at 4N is
    ~1.26 x RSS at N here: tshark's own memory (its sessions, and ~5 MB that
    each reset of tshark 4.0 leaves behind) is most of it (BENCHMARKS.md).
test_session_resets
    40,000 transactions (133 s): the log of that pass with a session reset
    every 5,000 packets, forgetting as it goes, is the log of `tshark -r -2`
    (which keeps everything) line for line: no transaction open across a
    reset is lost or counted twice, none is split, the numbers are the same.
    So is the log of a single pass with -z dnsmon,tree too (a listener that
    reads the whole capture: nothing is forgotten).

Environment: DNSMON_PLUGIN, DNSMON_WS_XY (set by ctest), CC.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from harness import REPO, Tshark  # noqa: E402

RATE = "300"
MEMORY = re.compile(r"dnsmon: memory [^:]*: (\d+) transactions \((\d+) held\).*tracker (\d+) B, "
                    r"lookups (\d+) B, upstream (\d+) B, downgrades (\d+) B")


def read_pos(pid, cache):
    """How far tshark has read dumpcap's file (its progress through the pipe)."""
    try:
        if "fd" not in cache:
            for fd in os.listdir("/proc/%d/fd" % pid):
                target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
                if os.path.basename(target).startswith("wireshark_"):
                    cache["fd"] = fd
        if "fd" in cache:
            with open("/proc/%d/fdinfo/%s" % (pid, cache["fd"])) as fh:
                for line in fh:
                    if line.startswith("pos:"):
                        return int(line.split()[1])
    except OSError:
        pass
    return None


def vm_rss(pid):
    try:
        with open("/proc/%d/status" % pid) as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


class LongRunTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ts = Tshark()
        cls.work = os.path.join(cls.ts.root, "longrun")
        os.makedirs(cls.work)
        os.chmod(cls.work, 0o755)
        cls.gen = os.path.join(cls.work, "dnsgen")
        subprocess.run([os.environ.get("CC", "cc"), "-O2", "-o", cls.gen,
                        os.path.join(REPO, "bench", "dnsgen.c"), "-lm"], check=True)

    @classmethod
    def tearDownClass(cls):
        cls.ts.cleanup()

    def piped(self, n, tshark_args, sample=False, keep=True):
        """dnsgen | tshark -n -i - ARGS; returns (stdout, or its line count if
        not keep; RSS samples; the engine's accounting lines; bytes read)."""
        cmd = self.ts.command(["-n", "-i", "-"] + tshark_args)
        at = cmd.index("env") + 2          # after env -i
        cmd = cmd[:at] + ["DNSMON_MEMORY=1"] + cmd[at:]
        g = subprocess.Popen([self.gen, "-n", str(n), "-s", "5", "-r", RATE, "mix"],
                             stdout=subprocess.PIPE)
        t = subprocess.Popen(cmd, stdin=g.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        g.stdout.close()
        out, err, done = [], [], [0]
        samples, engine = [], []

        def drain_out():
            lines = 0
            for chunk in iter(lambda: t.stdout.read(1 << 20), b""):
                lines += chunk.count(b"\n")
                if keep:
                    out.append(chunk)
            if not keep:
                out.append(lines)

        def drain_err():
            for raw in t.stderr:
                line = raw.decode(errors="replace")
                err.append(line)
                m = MEMORY.search(line)
                if m:
                    v = [int(x) for x in m.groups()]
                    engine.append({"pos": done[0], "txns": v[0], "held": v[1],
                                   "bytes": sum(v[2:])})

        threads = [threading.Thread(target=f) for f in (drain_out, drain_err)]
        for th in threads:
            th.start()
        cache = {}
        start = time.time()
        while t.poll() is None:
            if sample:
                pos, rss = read_pos(t.pid, cache), vm_rss(t.pid)
                if pos is not None:
                    done[0] = max(done[0], pos)
                if rss:
                    samples.append({"pos": done[0], "rss": rss})
            time.sleep(0.2)
            if time.time() - start > 600:
                t.kill()
        for th in threads:
            th.join()
        t.stdout.close()
        t.stderr.close()
        g.wait()
        self.assertEqual(t.returncode, 0, "".join(err)[-2000:])
        return (b"".join(out) if keep else out[0]), samples, engine, done[0]

    def test_flat_single_pass(self):
        lines, samples, engine, total = self.piped(
            400000, ["-M", "250000", "-q", "-z", "dnsmon,log"], sample=True, keep=False)
        final = [e for e in engine if e["pos"] >= 0]
        self.assertTrue(final, "the engine said what it holds (DNSMON_MEMORY)")
        self.assertEqual(lines, final[-1]["txns"], "a log line per transaction")
        self.assertGreater(len(engine), 10, "it forgot, again and again")

        def highest(rows, key, lo, hi):
            vals = [r[key] for r in rows if lo * total < r["pos"] <= hi * total]
            self.assertTrue(vals, "samples between %g and %g of the capture" % (lo, hi))
            return max(vals)

        rss_n = max(s["rss"] for s in samples if s["pos"] <= total / 4)
        rss_4n = max(s["rss"] for s in samples)
        eng_n = highest(engine, "bytes", 0.25, 0.5)
        eng_4n = highest(engine, "bytes", 0.75, 1.0)
        held = max(e["held"] for e in engine)
        msg = ("400,000 transactions through a pipe, -M 250000: peak RSS %.0f MB at N (a quarter), "
               "%.0f MB at 4N (%.2fx, limit 1.2); the engine's own accounting %.1f MB at its "
               "highest in the second quarter, %.1f MB in the last (%.2fx); at most %d "
               "transactions held" % (rss_n / 1e6, rss_4n / 1e6, rss_4n / rss_n, eng_n / 1e6,
                                      eng_4n / 1e6, eng_4n / eng_n, held))
        print(msg, file=sys.stderr)
        self.assertLessEqual(rss_4n, 1.2 * rss_n, msg)
        self.assertLessEqual(eng_4n, 1.2 * eng_n, msg)
        self.assertLess(held, 60000, msg)

    def test_session_resets(self):
        cap = os.path.join(self.work, "mix40k.pcap")
        subprocess.run([self.gen, "-n", "40000", "-s", "5", "-r", RATE, "-o", cap, "mix"],
                       check=True)
        os.chmod(cap, 0o644)
        keep = self.ts.run("-n", "-r", cap, "-2", "-q", "-z", "dnsmon,log").stdout
        out, _, engine, _ = self.piped(40000, ["-M", "5000", "-q", "-z", "dnsmon,log"])
        reset = out.decode()
        self.assertTrue(engine and engine[0]["held"] < engine[-1]["txns"], "it forgot")
        self.assertGreater(len(keep.splitlines()), 40000)
        rows = [json.loads(line) for line in reset.splitlines()]
        ids = [(r["client"], r["client_port"], r["server"], r["server_port"], r["transport"],
                r["id"], r["qname"], r["time"]) for r in rows]
        self.assertEqual(len(ids), len(set(ids)), "no transaction twice")
        self.assertEqual([r["txn"] for r in rows], list(range(1, len(rows) + 1)),
                         "numbered 1, 2, ... in order")
        self.assertEqual(reset.splitlines(), keep.splitlines(),
                         "-M 5000 through a pipe, forgetting as it goes = -2")
        tree = self.ts.run("-n", "-r", cap, "-q", "-z", "dnsmon,log", "-z", "dnsmon,tree").stdout
        self.assertEqual([l for l in tree.splitlines() if l.startswith("{")], keep.splitlines(),
                         "one pass with the tree = -2")


if __name__ == "__main__":
    unittest.main(verbosity=2)
