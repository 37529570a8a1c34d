"""Runs the real tshark with the freshly built dnsmon plugin.

tshark ignores plugin folders when run as root, so as root every run goes
through `setpriv` as user nobody, with WIRESHARK_PLUGIN_DIR pointing at a
private copy of the plugin and HOME at an empty folder (no user preferences).
Captures are copied next to it so nobody can read them.
"""
import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CAPTURES = os.path.join(REPO, "captures")


# ---- assertion counter ----------------------------------------------------
# Every assert* method of unittest.TestCase that a test calls counts once (an
# assertEqual that calls assertListEqual inside counts once, not twice), and
# the test program prints "assertions: N" when it exits (docs/testing.md
# compares these counts before and after a change of the suite).
ASSERTIONS = [0]
_depth = threading.local()


def _counted(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        outer = not getattr(_depth, "n", 0)
        if outer:
            ASSERTIONS[0] += 1
        _depth.n = getattr(_depth, "n", 0) + 1
        try:
            return fn(*args, **kwargs)
        finally:
            _depth.n -= 1
    wrapper._dnsmon_counted = True
    return wrapper


for _name in dir(unittest.TestCase):
    _fn = getattr(unittest.TestCase, _name)
    if _name.startswith("assert") and callable(_fn) and not getattr(_fn, "_dnsmon_counted", 0) \
            and not _name.endswith("_"):
        setattr(unittest.TestCase, _name, _counted(_fn))


@atexit.register
def _print_assertions():
    sys.stdout.flush()
    print("assertions: %d" % ASSERTIONS[0], flush=True)


class Tshark:
    def __init__(self, plugin=None, ws_xy=None):
        plugin = plugin or os.environ.get("DNSMON_PLUGIN")
        ws_xy = ws_xy or os.environ.get("DNSMON_WS_XY")
        if not plugin or not os.path.exists(plugin):
            raise SystemExit("DNSMON_PLUGIN must name the built dnsmon.so")
        if not ws_xy:
            raise SystemExit("DNSMON_WS_XY must give Wireshark's X.Y version")
        self.root = tempfile.mkdtemp(prefix="dnsmon-test-")
        os.chmod(self.root, 0o755)
        self.plugin_dir = os.path.join(self.root, "plugins")
        epan = os.path.join(self.plugin_dir, ws_xy, "epan")
        os.makedirs(epan)
        shutil.copy(plugin, os.path.join(epan, "dnsmon.so"))
        self.home = os.path.join(self.root, "home")
        os.makedirs(self.home)
        self.caps = os.path.join(self.root, "captures")
        os.makedirs(self.caps)
        # No extcap helpers: tshark need not start them (and under the
        # preloaded ASan runtime one of them hangs).
        self.extcap = os.path.join(self.root, "extcap")
        os.makedirs(self.extcap)
        for d, _, files in os.walk(self.root):
            os.chmod(d, 0o755)
            for f in files:
                os.chmod(os.path.join(d, f), 0o644)
        if os.geteuid() == 0:
            shutil.chown(self.home, user="nobody")

    def cleanup(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def capture(self, path):
        """A copy of a capture that the unprivileged tshark can read."""
        if not os.path.isabs(path):
            path = os.path.join(CAPTURES, path)
        dst = os.path.join(self.caps, os.path.basename(path))
        if not os.path.exists(dst):
            shutil.copy(path, dst)
            os.chmod(dst, 0o644)
        return dst

    def command(self, args):
        env = ["env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + self.home,
               "WIRESHARK_PLUGIN_DIR=" + self.plugin_dir, "WIRESHARK_EXTCAP_DIR=" + self.extcap,
               "TZ=UTC", "LC_ALL=C.UTF-8"]
        for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
            if os.environ.get(var):
                env.append("%s=%s" % (var, os.environ[var]))
        pre = os.environ.get("DNSMON_TSHARK_PREFIX", "")
        cmd = env + (pre.split() if pre else []) + ["tshark"] + list(args)
        if os.geteuid() == 0:
            cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] + cmd
        return cmd

    def run(self, *args, check=True):
        p = subprocess.run(self.command(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=600)
        if check and p.returncode != 0:
            raise AssertionError("tshark %s failed (%d): %s" % (" ".join(args), p.returncode,
                                                                 p.stderr))
        return p

    def stdout(self, *args):
        return self.run(*args).stdout

    def fields(self, capture, fields, two_pass=True, dfilter=None, extra=()):
        """Rows of -T fields output as lists (one entry per field)."""
        args = ["-r", self.capture(capture), "-n", "-T", "fields", "-E", "separator=\t",
                "-E", "occurrence=a", "-E", "aggregator=,"]
        if two_pass:
            args.append("-2")
        if dfilter:
            args += ["-Y", dfilter]
        for f in fields:
            args += ["-e", f]
        args += list(extra)
        out = self.stdout(*args)
        return [line.split("\t") for line in out.splitlines()]

    def items(self, capture, two_pass=True, extra=()):
        """Every dnsmon item, from PDML: a list of dicts with 'frame', the
        dnsmon field values (lists) and 'experts' (names)."""
        args = ["-r", self.capture(capture), "-n", "-T", "pdml"]
        if two_pass:
            args.append("-2")
        args += list(extra)
        out = self.stdout(*args)
        root = ET.fromstring(out)
        items = []
        for packet in root.iter("packet"):
            frame = None
            for proto in packet.findall("proto"):
                if proto.get("name") == "frame":
                    for f in proto.iter("field"):
                        if f.get("name") == "frame.number":
                            frame = int(f.get("show"))
                if proto.get("name") != "dnsmon":
                    continue
                item = {"frame": frame, "experts": [], "messages": []}
                for f in proto.iter("field"):
                    name = f.get("name")
                    if name.startswith("dnsmon.expert."):
                        item["experts"].append(name[len("dnsmon.expert."):])
                    elif name == "_ws.expert.message":
                        item["messages"].append(f.get("show"))
                    elif name.startswith("dnsmon."):
                        item.setdefault(name[len("dnsmon."):], []).append(f.get("show"))
                items.append(item)
        return items


class TsharkTestCase(unittest.TestCase):
    """A test case with one private plugin folder for all its tests."""

    @classmethod
    def setUpClass(cls):
        cls.ts = Tshark()

    @classmethod
    def tearDownClass(cls):
        cls.ts.cleanup()


def one(item, key, default=None):
    v = item.get(key)
    return v[0] if v else default


def parse_expectations(readme=None):
    """captures/README.md: one table per capture under '### <file>'.
    Returns {file: {"rows": [dict], "unmatched": [frames], "ignored": [frames],
    "no_subtree": [frames]}}: every "Ignored (...)" line adds to "ignored"."""
    readme = readme or os.path.join(CAPTURES, "README.md")
    out = {}
    current = None
    header = None
    with open(readme, encoding="utf-8") as fh:
        for raw in fh:
            line = raw.strip()
            if line.startswith("### "):
                name = line[4:].strip().strip("`")
                if name.endswith((".pcap", ".pcapng")):
                    current = out.setdefault(name, {"rows": [], "unmatched": [], "ignored": [],
                                                    "no_subtree": []})
                    header = None
                else:
                    current = None
                continue
            if current is None:
                continue
            if line.startswith("|"):
                cells = [c.strip() for c in line.strip("|").split("|")]
                if header is None:
                    header = [c.lower() for c in cells]
                elif set(line) <= set("|-: "):
                    continue
                else:
                    current["rows"].append(dict(zip(header, cells)))
            elif line.lower().startswith("unmatched:"):
                current["unmatched"] = frames_of(line.split(":", 1)[1])
            elif line.lower().startswith("ignored"):
                current["ignored"] += frames_of(line.split(":", 1)[1])
            elif line.lower().startswith("no dnsmon subtree:"):
                current["no_subtree"] += frames_of(line.split(":", 1)[1])
    return out


def frames_of(text):
    """ "1,3,5", "3-5, 7 (a note)" -> frame numbers; "-" -> []."""
    text = text.split("(")[0].strip().strip("`").strip()
    if text in ("", "-"):
        return []
    result = []
    for part in text.replace(" ", "").split(","):
        lo, _, hi = part.partition("-")
        if lo.isdigit() and (not hi or hi.isdigit()):
            result.extend(range(int(lo), int(hi or lo) + 1))
    return result
