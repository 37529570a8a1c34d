"""Resource tests for hostile traffic (issue 9): no quadratic path, no hash
flooding.

Each case generates, at test time and seeded (bench/dnsgen.c), a "worst
case" capture and a "typical case" capture with the same number of packets,
runs the real tshark on each with the plugin and without it (as the other
tshark tests do: as nobody, private plugin folder; the runs without it are
shared by the cases on the same capture), one run at a time (the test runs
alone), and compares what the plugin adds per packet:

    added = (CPU of tshark with dnsmon - CPU of tshark alone) / packets

    worst.added / max(typical.added, NOISE x typical floor per packet) <= LIMIT (2)

CPU is user+sys of the tshark process (wait4), the minimum over repetitions
(interference from other load only ever adds time). NOISE (default 0.10, or
0.01 with instruction counts) times tshark's own per-packet cost (without its
startup, measured on an empty capture) keeps a plugin that adds almost nothing on the
typical case from failing on timing noise: a quadratic path shows up as a
ratio of 10 or 100, not 2. Dissection is forced the same way on both sides
with `-q -z io,stat,0` (tshark -q alone does not dissect at all).

Cases (and a negative control: dnsmon with -V against dnsmon alone must fail
the same ratio):
  hash_flooding          65,536 IPv6 clients whose keys all collide under the old
                         key hash (unseeded FNV-1a over the 48-byte key) vs random ones
  backwards_timestamps   100,000 unanswered queries within 4 s, every packet earlier
                         than the one before, vs the same in time order
  many_names_one_key     50,000 answered queries with distinct names on one client
                         port and DNS ID within 4 s vs a distinct port and ID each
  water_torture_tree     100,000 failing queries for distinct random subdomains vs
                         8 names, with -z dnsmon,tree
  water_torture_report   the same with -z dnsmon,report
  resolver_flood         30,000 client queries for distinct random subdomains through one
                         recursive resolver that asks the authoritative servers (their
                         names in random letter case) vs 8 names, -2 with -z dnsmon,report
                         (the resolver layer links and explains every one)

Peak RSS of tshark with dnsmon over tshark alone, per transaction, is printed
for every case (not asserted).

Environment:
  DNSMON_PLUGIN, DNSMON_WS_XY      as for every tshark test (set by ctest)
  DNSMON_RESOURCE_SCALE=F          multiply every size by F (default 1)
  DNSMON_RESOURCE_REPS=R           R repetitions at least (default 2); up to
                                   max(6, 3R) while the ratio is over the limit but
                                   not past 5x it
  DNSMON_RESOURCE_LIMIT=X          the ratio allowed (default 2)
  DNSMON_RESOURCE_NOISE=F          see NOISE above
  DNSMON_RESOURCE_METRIC=instructions  count instructions under callgrind instead
                                   of CPU time (slow: use SCALE=0.1)
A worst-case run taking over max(60 s, 10 x the typical run) is stopped: its ratio
is then at least that, and the case fails without waiting minutes.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from harness import REPO, Tshark  # noqa: E402

SCALE = float(os.environ.get("DNSMON_RESOURCE_SCALE", "1"))
REPS = max(1, int(os.environ.get("DNSMON_RESOURCE_REPS", "2")))
MAX_REPS = max(6, 3 * REPS)
LIMIT = float(os.environ.get("DNSMON_RESOURCE_LIMIT", "2"))
METRIC = os.environ.get("DNSMON_RESOURCE_METRIC", "cpu")
NOISE = float(os.environ.get("DNSMON_RESOURCE_NOISE", "0.01" if METRIC == "instructions" else "0.10"))
FORCE = ["-q", "-z", "io,stat,0"]
CLEAR = 5       # a ratio past CLEAR x LIMIT fails without more repetitions


def size(n):
    return max(1000, int(n * SCALE))


def run_measured(cmd, timeout):
    """Runs cmd; returns dict(cpu, rss, wall, rc, err) from wait4, or
    dict(timeout, wall, cpu, budget) when it was stopped."""
    with tempfile.TemporaryFile() as err:
        t = time.time()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.time() - t > timeout:
                os.kill(p.pid, 9)
                _, _, ru = os.wait4(p.pid, 0)
                p.returncode = -9
                return {"timeout": True, "wall": time.time() - t, "cpu": ru.ru_utime + ru.ru_stime,
                        "budget": timeout}
            time.sleep(0.01)
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode(errors="replace")
    return {"cpu": ru.ru_utime + ru.ru_stime, "rss": ru.ru_maxrss * 1024,
            "wall": time.time() - t, "rc": p.returncode, "err": text[-1500:]}


class ResourceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ts = Tshark()
        cls.work = os.path.join(cls.ts.root, "resources")
        os.makedirs(cls.work)
        cls.gen = os.path.join(cls.work, "dnsgen")
        subprocess.run([os.environ.get("CC", "cc"), "-O2", "-o", cls.gen,
                        os.path.join(REPO, "bench", "dnsgen.c"), "-lm"], check=True)
        cls.no_plugin = os.path.join(cls.ts.root, "no-plugins")
        os.makedirs(cls.no_plugin)
        cls.scratch = os.path.join(cls.ts.root, "scratch")     # callgrind output
        os.makedirs(cls.scratch)
        for d in (cls.work, cls.no_plugin, cls.scratch):
            os.chmod(d, 0o755)
        if os.geteuid() == 0:
            shutil.chown(cls.scratch, user="nobody")
        cls.captures = {}
        cls.startup = None
        cls.alone = {}          # capture -> its runs of tshark alone, shared by the cases

    @classmethod
    def tearDownClass(cls):
        cls.ts.cleanup()

    # ---- helpers -------------------------------------------------------

    def capture(self, scenario, n):
        key = (scenario, n)
        if key not in self.captures:
            path = os.path.join(self.work, "%s-%d.pcap" % (scenario, n))
            subprocess.run([self.gen, "-n", str(n), "-s", "9", "-o", path, scenario], check=True)
            os.chmod(path, 0o644)
            with open(path + ".json") as fh:
                self.captures[key] = (path, json.load(fh))
        return self.captures[key]

    def command(self, args, plugin):
        cmd = self.ts.command(args)
        if not plugin:
            cmd = [("WIRESHARK_PLUGIN_DIR=" + self.no_plugin)
                   if c.startswith("WIRESHARK_PLUGIN_DIR=") else c for c in cmd]
        return cmd

    def measure(self, path, extra, plugin, timeout):
        """tshark on path (with dnsmon and extra, or alone). One run at a time,
        never side by side: run together on this machine's two cores, the same
        capture on both sides measured 0.3-2.9 instead of 0.8-1.4
        (docs/testing.md)."""
        args = ["-n", "-r", path] + FORCE + (list(extra) if plugin else [])
        if METRIC != "instructions":
            m = run_measured(self.command(args, plugin), timeout)
        else:
            out = os.path.join(self.scratch, "cg.%d" % time.time_ns())
            cmd = self.command(args, plugin)
            at = cmd.index("tshark")
            cmd = cmd[:at] + ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out] + cmd[at:]
            m = run_measured(cmd, timeout * 60)
            if not m.get("timeout") and m["rc"] == 0:
                with open(out) as fh:
                    for line in fh:
                        if line.startswith(("summary:", "totals:")):
                            m["cpu"] = float(line.split()[1])
                os.unlink(out)
        if not m.get("timeout") and m["rc"] != 0:
            raise AssertionError("tshark failed (%d) on %s: %s" % (m["rc"], path, m["err"]))
        return m

    def alone_run(self, path, rep):
        """Repetition rep of tshark alone on path. Without dnsmon a run takes no
        case's extra options, so the cases on one capture (the water torture's
        tree and report) share these runs instead of making them again."""
        runs = self.alone.setdefault(path, [])
        if len(runs) <= rep:
            runs.append(self.measure(path, (), False, 600))
        return runs[rep]

    def startup_cost(self):
        """tshark alone on an empty capture: what every run pays before the first packet."""
        if ResourceTest.startup is None:
            path, _ = self.capture("mix", 0)
            ResourceTest.startup = min(self.measure(path, (), False, 600)["cpu"] for _ in range(2))
        return ResourceTest.startup

    def compare(self, name, worst, typical, n, extra=()):
        startup = self.startup_cost()
        wpath, wmeta = self.capture(worst, n)
        tpath, tmeta = self.capture(typical, n)
        self.assertEqual(wmeta["packets"], tmeta["packets"], "same packet count on both sides")
        packets = wmeta["packets"]
        runs = {k: [] for k in ("tf", "tp", "wf", "wp")}
        over = None
        # A ratio within the limit passes after REPS repetitions. A ratio over it
        # gets up to MAX_REPS before it fails: a busy machine can make one
        # typical run look cheap or one worst run dear (seen: 3.9 on one CI run of
        # a case at 0.5 here). Only a ratio past CLEAR x the limit (a quadratic
        # path gives 10 or 100) fails after two. One repetition never decides a
        # pass: a single one measured the same case at 0.61 and, with two, 1.13.
        for rep in range(MAX_REPS):
            runs["tf"].append(self.alone_run(tpath, rep))
            tp = self.measure(tpath, extra, True, 600)
            runs["tp"].append(tp)
            runs["wf"].append(self.alone_run(wpath, rep))
            wp = self.measure(wpath, extra, True, max(60.0, 10 * tp["wall"]))
            if wp.get("timeout"):
                over = wp
                break
            runs["wp"].append(wp)
            r = self.ratio(runs, startup)
            if rep >= 1 and (r < 0.6 * LIMIT or r > CLEAR * LIMIT):
                break
            if rep >= REPS - 1 and r <= LIMIT:
                break
        unit, per = ("instr", 1.0) if METRIC == "instructions" else ("us", 1e6)
        tf, tpk = min(m["cpu"] for m in runs["tf"]), min(m["cpu"] for m in runs["tp"])
        wf = min(m["cpu"] for m in runs["wf"])
        t_added = (tpk - tf) / packets
        rss_t = (min(m["rss"] for m in runs["tp"]) - min(m["rss"] for m in runs["tf"])) / n
        if over is not None:
            # Stopped: the CPU it had used by then is a lower bound.
            w_added = (over["cpu"] - wf) / packets
            ratio = w_added / max(t_added, NOISE * (tf - startup) / packets)
            msg = ("%s: %d packets, %d transactions: worst case stopped after %.0f s (typical "
                   "with dnsmon %.1f s): ratio > %.1f (limit %g); dnsmon added per packet: "
                   "typical %.3g %s; peak RSS over tshark alone: typical %.0f B/transaction"
                   % (name, packets, n, over["budget"], runs["tp"][-1]["wall"], ratio, LIMIT,
                      t_added * per, unit, rss_t))
            print(msg, file=sys.stderr)
            self.fail(msg)
        wpk = min(m["cpu"] for m in runs["wp"])
        w_added = (wpk - wf) / packets
        ratio = self.ratio(runs, startup)
        rss_w = (min(m["rss"] for m in runs["wp"]) - min(m["rss"] for m in runs["wf"])) / n
        msg = ("%s: %d packets, %d transactions, %d reps: dnsmon added per packet: typical "
               "%.3g %s, worst %.3g %s (tshark alone %.3g %s without its startup); ratio %.2f (limit %g); peak RSS "
               "over tshark alone: typical %.0f B, worst %.0f B per transaction"
               % (name, packets, n, len(runs["wp"]), t_added * per, unit, w_added * per, unit,
                  (tf - startup) / packets * per, unit, ratio, LIMIT, rss_t, rss_w))
        print(msg, file=sys.stderr)
        self.assertLessEqual(ratio, LIMIT, msg)
        return wmeta, tmeta

    @staticmethod
    def ratio(runs, startup):
        tf, tp = min(m["cpu"] for m in runs["tf"]), min(m["cpu"] for m in runs["tp"])
        wf, wp = min(m["cpu"] for m in runs["wf"]), min(m["cpu"] for m in runs["wp"])
        return (wp - wf) / max(tp - tf, NOISE * (tf - startup))

    # ---- the cases -----------------------------------------------------

    def test_negative_control(self):
        """The measurement can fail. One capture on both sides, dnsmon alone on
        the typical side and dnsmon with -V on the "worst" (every packet's whole
        tree printed: tens of times what dnsmon adds, as a quadratic path would
        cost) must come out over the limit, through the same runs,
        startup and noise floor as the cases."""
        startup = self.startup_cost()
        path, meta = self.capture("fewnames", size(10000))
        runs = {k: [] for k in ("tf", "tp", "wf", "wp")}
        for rep in range(REPS):
            runs["tf"].append(self.alone_run(path, rep))
            runs["tp"].append(self.measure(path, (), True, 600))
            runs["wf"].append(self.alone_run(path, rep))     # tshark alone either way
            runs["wp"].append(self.measure(path, ("-V",), True, 600))
            ratio = self.ratio(runs, startup)
            if ratio > CLEAR * LIMIT:
                break       # past it a case fails at once; so the control passes
        msg = ("negative control, dnsmon with -V against dnsmon alone, %d packets: ratio %.2f "
               "(must be over the limit %g)" % (meta["packets"], ratio, LIMIT))
        print(msg, file=sys.stderr)
        self.assertGreater(ratio, LIMIT, msg)

    def test_hash_flooding(self):
        n = min(size(65536), 65536 * 4)
        wpath, wmeta = self.capture("hashflood", n)
        # the crafted sources really collide under the old hash
        self.assertEqual(wmeta["distinct_old_key_hashes"], 1)
        self.assertGreater(self.capture("hashflood-typical", n)[1]["distinct_old_key_hashes"], n * 0.99)
        self.compare("hash flooding", "hashflood", "hashflood-typical", n)

    def test_backwards_timestamps(self):
        self.compare("backwards timestamps", "backwards", "inorder", size(100000))

    def test_many_names_one_key(self):
        self.compare("many names on one key", "samekey", "distinctkeys", size(50000))

    def test_water_torture_tree(self):
        self.compare("water torture, -z dnsmon,tree", "torture", "fewnames", size(100000),
                     ["-z", "dnsmon,tree"])

    def test_water_torture_report(self):
        self.compare("water torture, -z dnsmon,report", "torture", "fewnames", size(100000),
                     ["-z", "dnsmon,report"])

    def test_resolver_flood(self):
        self.compare("resolver flood, -2 -z dnsmon,report", "resolver-flood", "resolver-typical",
                     size(30000), ["-2", "-z", "dnsmon,report"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
