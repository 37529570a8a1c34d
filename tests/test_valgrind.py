"""tshark with dnsmon under valgrind memcheck, on a few captures, one pass
and two: no memory error and no definite leak in dnsmon's code.

The captures go through as one file (mergecap -a: one after the other, so
time jumps back at each seam, one more hostile input): tshark's start under
memcheck costs more than all their packets, so two runs instead of eight.
A failure names the captures; run them one by one to tell which.

tshark itself leaks at exit (its stats trees, GLib caches); only records
whose stack runs through dnsmon's sources count. The plugin is unloaded
before valgrind reports, so --keep-debuginfo=yes keeps its symbols; a check
that dnsmon frames are symbolized at all guards against a silent pass."""
import os
import re
import subprocess
import sys
import unittest

from harness import TsharkTestCase, HERE, join_captures, main_exit

# Every source file of the plugin (plugin/core, plugin/epan), by name.
SOURCES = sorted(os.path.splitext(f)[0] for d in ("core", "epan")
                 for f in os.listdir(os.path.join(HERE, "..", "plugin", d)) if f.endswith(".c"))
OURS = re.compile(r"\((%s)\.c:\d+\)" % "|".join(re.escape(s) for s in SOURCES))
BAD = ("Invalid read", "Invalid write", "Invalid free", "uninitialised", "Conditional jump",
       "definitely lost", "Mismatched free", "overlap")
CAPTURES = ("bad-input.pcapng", "slow-server.pcapng", "seed-incident.pcapng",
            "icmp-truncated-quote.pcapng")


class ValgrindTest(TsharkTestCase):
    def memcheck(self, capture, two_pass):
        args = ["-r", self.ts.capture(capture), "-V", "-z", "dnsmon,report", "-z", "dnsmon,tree",
                "-z", "dnsmon,failures", "-z", "expert"]
        if two_pass:
            args.insert(2, "-2")
        cmd = self.ts.command(args)
        at = cmd.index("tshark")
        cmd[at:at] = ["valgrind", "--suppressions=" + os.path.join(HERE, "valgrind.supp"),
                      "--keep-debuginfo=yes", "--leak-check=full",
                      "--show-leak-kinds=all", "--num-callers=40"]
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                           timeout=900)
        self.assertEqual(p.returncode, 0, p.stderr[-3000:])
        return p.stderr

    def test_no_errors_or_leaks_in_dnsmon(self):
        merged = join_captures([self.ts.capture(c) for c in CAPTURES],
                               os.path.join(self.ts.caps, "valgrind-captures.pcapng"))
        cap = " + ".join(CAPTURES)
        for two_pass in (False, True):
            log = self.memcheck(merged, two_pass)
            records = re.split(r"==\d+== \n", log)
            self.assertTrue(any(OURS.search(r) for r in records),
                            "%s: dnsmon frames are not symbolized" % cap)
            bad = [r for r in records if OURS.search(r) and any(b in r for b in BAD)]
            self.assertEqual(bad, [], "%s (%s):\n%s" % (cap, "-2" if two_pass else "1 pass",
                                                       "\n".join(bad)[:6000]))


if __name__ == "__main__":
    sys.exit(main_exit(unittest.main(argv=sys.argv[:1], verbosity=2, exit=False)))
