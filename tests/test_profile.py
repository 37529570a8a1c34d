"""The "DNS Monitor" configuration profile (packaging/profile) with the real
tshark (-C reads a profile as Wireshark does): it loads without a complaint,
every filter in it compiles, its coloring rules colour dnsmon's frames in the
intended order (rejected and downgraded before failed), and CMake installs
it where Wireshark looks: the global profiles folder beside a system plugin,
else the personal one. tests/test_gui.py reads the same profile back from the
Wireshark window."""
import filecmp
import os
import shutil
import subprocess
import tempfile
import unittest

from harness import REPO, TsharkTestCase
from wsprofile import FILES, PROFILE, install_profile, profile_buttons, profile_rules

TRUE = ("1", "True")
# Captures with rejected, downgraded and other failed frames.
CAPTURES = ("enc-dot-refused.pcapng", "resolver-dead.pcapng", "tc-fallback.pcapng",
            "seed-incident.pcapng")


class ProfileTest(TsharkTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        install_profile(cls.ts.home)

    def folders(self):
        out = self.ts.stdout("-G", "folders")
        return dict(line.split(":", 1) for line in out.splitlines() if ":" in line)

    def test_loads_without_complaint(self):
        """tshark -C loads its preferences, coloring rules (--color) and
        filter buttons (a UAT every program reads) and says nothing."""
        p = self.ts.run("-C", PROFILE, "-r", self.ts.capture(CAPTURES[0]), "-2", "--color",
                        "-T", "fields", "-e", "frame.coloring_rule.name")
        self.assertEqual(p.stderr, "")
        self.assertIn("dnsmon rejected", p.stdout)

    def test_every_filter_compiles(self):
        filters = [f for _, f in profile_rules()] + list(profile_buttons().values())
        self.assertGreaterEqual(len(filters), 10)
        def read_with(*fs):
            return self.ts.run("-r", self.ts.capture(CAPTURES[0]), "-Y",
                               " || ".join("(%s)" % f for f in fs), check=False)
        # One tshark: the filters or'ed compile only if each one does; each
        # alone only to name the one that does not.
        p = read_with(*filters)
        if p.returncode != 0:
            for f in filters:
                p = read_with(f)
                self.assertEqual(p.returncode, 0, "%r: %s" % (f, p.stderr))
        self.assertEqual(p.returncode, 0, "the profile's filters together: %s" % p.stderr)
        # The negative control: one bad filter among them fails the run.
        p = read_with(*filters, "dnsmon.no_such_field")
        self.assertNotEqual(p.returncode, 0, "a filter that cannot compile went unnoticed")

    def test_most_specific_rule_wins(self):
        """Each frame's rule is dnsmon rejected, else dnsmon downgraded, else
        dnsmon failed, as its dnsmon fields say."""
        seen = set()
        for cap in CAPTURES:
            rules = {int(n): r for n, r in (line.split("\t") for line in self.ts.stdout(
                "-C", PROFILE, "-r", self.ts.capture(cap), "-2", "-n", "--color", "-T", "fields",
                "-e", "frame.number", "-e", "frame.coloring_rule.name").splitlines())}
            for row in self.ts.fields(cap, ["frame.number", "dnsmon.rejected",
                                            "dnsmon.downgraded", "dnsmon.failed"]):
                n = int(row[0])
                flags = [any(v in TRUE for v in x.split(",")) for x in row[1:]]
                want = next((r for r, on in zip(("dnsmon rejected", "dnsmon downgraded",
                                                 "dnsmon failed"), flags) if on), None)
                if want:
                    seen.add(want)
                    self.assertEqual(rules[n], want, "%s frame %d" % (cap, n))
        self.assertEqual(seen, {"dnsmon rejected", "dnsmon downgraded", "dnsmon failed"})

    def cmake_profile_dir(self, *args, home=None):
        """Configures a build folder and installs the profile component into a
        DESTDIR: (DNSMON_PROFILE_DIR, DESTDIR)."""
        if not shutil.which("cmake"):
            self.skipTest("no cmake")
        work = tempfile.mkdtemp(prefix="dnsmon-profile-")
        self.addCleanup(shutil.rmtree, work, True)
        env = dict(os.environ, HOME=home or os.environ.get("HOME", "/root"))
        env.pop("XDG_CONFIG_HOME", None)
        build, dest = os.path.join(work, "build"), os.path.join(work, "dest")
        subprocess.run(["cmake", "-S", REPO, "-B", build] + list(args), env=env, check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--install", build, "--component", "profile"],
                       env=dict(env, DESTDIR=dest), check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(build, "CMakeCache.txt")) as fh:
            where = [line.split("=", 1)[1].strip() for line in fh
                     if line.startswith("DNSMON_PROFILE_DIR:")][0]
        return where, dest

    def assert_installed(self, where, dest):
        got = os.path.join(dest + where, PROFILE)
        self.assertEqual(sorted(os.listdir(got)), sorted(FILES))
        same = filecmp.cmpfiles(os.path.join(REPO, "packaging", "profile", PROFILE), got, FILES,
                                shallow=False)[0]
        self.assertEqual(sorted(same), sorted(FILES))

    def test_cmake_installs_into_the_global_folder(self):
        """-DDNSMON_INSTALL_SYSTEM=ON: Wireshark's global profiles folder
        (what tshark -G folders calls its global configuration)."""
        where, dest = self.cmake_profile_dir("-DDNSMON_INSTALL_SYSTEM=ON")
        self.assertEqual(where, self.folders()["Global configuration"].strip() + "/profiles")
        self.assert_installed(where, dest)

    def test_cmake_installs_into_the_personal_folder(self):
        """By default: the personal profiles folder of whoever runs cmake."""
        where, dest = self.cmake_profile_dir(home=self.ts.home)
        self.assertEqual(where, self.folders()["Personal configuration"].strip() + "/profiles")
        self.assert_installed(where, dest)


if __name__ == "__main__":
    unittest.main(verbosity=2)
