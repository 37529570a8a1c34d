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


def check_run(args, returncode, stderr):
    """A tshark run that failed (args: tshark's own) fails the test asking for it."""
    if returncode != 0:
        raise AssertionError("tshark %s failed (%d): %s" % (" ".join(args), returncode, stderr))


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
        # tshark_batch.so (ctest sets DNSMON_TSHARK_BATCH_LIB): one start-up
        # for the runs of many captures (Batch below).
        self.batch_lib = None
        lib = os.environ.get("DNSMON_TSHARK_BATCH_LIB")
        if lib and os.path.exists(lib):
            self.batch_lib = os.path.join(self.root, "tshark_batch.so")
            shutil.copy(lib, self.batch_lib)
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

    def command(self, args, extra_env=(), preload=None):
        """tshark with args, as nobody when root; preload: a library to
        LD_PRELOAD after any the prefix names (the ASan runtime first)."""
        env = ["env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + self.home,
               "WIRESHARK_PLUGIN_DIR=" + self.plugin_dir, "WIRESHARK_EXTCAP_DIR=" + self.extcap,
               "TZ=UTC", "LC_ALL=C.UTF-8"] + list(extra_env)
        for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
            if os.environ.get(var):
                env.append("%s=%s" % (var, os.environ[var]))
        pre = os.environ.get("DNSMON_TSHARK_PREFIX", "")
        pre = pre.split() if pre else []
        if preload:
            at = [i for i, a in enumerate(pre) if a.startswith("LD_PRELOAD=")]
            if at:
                pre[at[0]] += ":" + preload
            else:
                pre.append("LD_PRELOAD=" + preload)
        cmd = env + pre + ["tshark"] + list(args)
        if os.geteuid() == 0:
            cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] + cmd
        return cmd

    def run(self, *args, check=True, extra_env=(), preload=None):
        p = subprocess.run(self.command(args, extra_env, preload), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=600)
        if check:
            check_run(args, p.returncode, p.stderr)
        return p

    def stdout(self, *args):
        return self.run(*args).stdout

    def run_batch(self, captures, args, extra_env=()):
        """tshark -r CAPTURE ARGS for each capture: one CompletedProcess each,
        in order. With tshark_batch.so, one tshark start-up forked for each
        capture (tests/tshark_batch.c); else one process each."""
        caps = [self.capture(c) for c in captures]
        if not self.batch_lib or len(caps) < 2:
            runs = []
            for c in caps:
                t0 = time.time()
                runs.append(self.run("-r", c, *args, check=False, extra_env=extra_env))
                runs[-1].args, runs[-1].seconds = ["-r", c] + list(args), time.time() - t0
            return runs
        work = tempfile.mkdtemp(prefix="batch-", dir=self.root)
        os.chmod(work, 0o777)
        files = [(os.path.join(work, "%d.out" % i), os.path.join(work, "%d.err" % i))
                 for i in range(len(caps))]
        listing = os.path.join(work, "batch")
        with open(listing, "w") as fh:
            fh.writelines("%s\t%s\t%s\n" % (c, o, e) for c, (o, e) in zip(caps, files))
        os.chmod(listing, 0o644)
        p = self.run("-r", caps[0], *args, check=False, preload=self.batch_lib,
                     extra_env=list(extra_env) + ["DNSMON_TSHARK_BATCH=" + listing])
        try:
            with open(listing + ".status") as fh:
                status = [line.split("\t") for line in fh.read().splitlines()]
        except OSError:
            status = []
        if p.returncode != 0 or len(status) != len(caps):
            shutil.rmtree(work, ignore_errors=True)
            raise AssertionError("batched tshark %s (%d captures) failed (%d), %d done: %s"
                                 % (" ".join(args), len(caps), p.returncode, len(status), p.stderr))
        runs = []
        for c, (o, e), (code, seconds) in zip(caps, files, status):
            text = {}
            for k, path in (("out", o), ("err", e)):
                with open(path, encoding="utf-8", errors="replace") as fh:
                    text[k] = fh.read()
            run = subprocess.CompletedProcess(["-r", c] + list(args), int(code), text["out"],
                                              text["err"])
            run.seconds = float(seconds)
            runs.append(run)
        shutil.rmtree(work, ignore_errors=True)
        return runs

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


def join_captures(paths, out):
    """The captures one after the other in one pcapng file (mergecap -a: time
    jumps back at each seam), readable by the unprivileged tshark; out."""
    subprocess.run(["mergecap", "-a", "-F", "pcapng", "-w", out] + list(paths), check=True)
    os.chmod(out, 0o644)
    return out


def one(item, key, default=None):
    v = item.get(key)
    return v[0] if v else default


def parse_expectations(readme=None, descriptive=None):
    """captures/README.md: one table per capture under '### <file>'.
    Returns {file: {"rows": [dict], "unmatched": [frames], "ignored": [frames],
    "no_subtree": [frames]}}: every "Ignored (...)" line adds to "ignored".
    Only a table whose first column is `txn` is an outcome table. A section that has tables
    but no outcome table only describes its capture (the encrypted DNS captures, for now): it
    is left out, and its file name is added to the set `descriptive` when one is given."""
    readme = readme or os.path.join(CAPTURES, "README.md")
    out = {}
    current = None
    header = None
    in_table = False
    with open(readme, encoding="utf-8") as fh:
        for raw in fh:
            line = raw.strip()
            if line.startswith("### "):
                name = line[4:].strip().strip("`")
                if name.endswith((".pcap", ".pcapng")):
                    current = out.setdefault(name, {"rows": [], "unmatched": [], "ignored": [],
                                                    "no_subtree": [], "outcome_table": False,
                                                    "other_table": False})
                    header = None
                else:
                    current = None
                in_table = False
                continue
            if current is None:
                continue
            if line.startswith("|"):
                cells = [c.strip() for c in line.strip("|").split("|")]
                if not in_table:
                    in_table = True
                    header = [c.lower() for c in cells]
                    if header[0] == "txn":
                        current["outcome_table"] = True
                    else:
                        current["other_table"] = True
                elif set(line) <= set("|-: "):
                    continue
                elif header[0] == "txn":
                    current["rows"].append(dict(zip(header, cells)))
                continue
            in_table = False
            if line.lower().startswith("unmatched:"):
                current["unmatched"] = frames_of(line.split(":", 1)[1])
            elif line.lower().startswith("ignored"):
                current["ignored"] += frames_of(line.split(":", 1)[1])
            elif line.lower().startswith("no dnsmon subtree:"):
                current["no_subtree"] += frames_of(line.split(":", 1)[1])
    for name in list(out):
        exp = out[name]
        if exp.pop("other_table") and not exp["outcome_table"]:
            del out[name]
            if descriptive is not None:
                descriptive.add(name)
        else:
            exp.pop("outcome_table")
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


# ---- one tshark run per capture and mode ------------------------------------
# Starting tshark costs far more than reading one of these captures, so every
# capture is read once per mode, with every output the test modules need:
# PDML (every field, hidden ones, expert items) and the taps in the same run
# (they print after the packets; split_taps() tells them apart by their
# titles), and `-z io,phs,F` for each filter counting, through tshark's own filter
# engine, the frames each display filter the modules check matches (their
# frame sets are computed in Python from the PDML fields; the modules assert
# both). The runs are made by `harness.py --refresh` (ctest 'tshark-runs',
# the fixture of every tshark test) with two tshark processes at a time, and
# kept in RESULTS_FILE beside the plugin, keyed by the plugin's, the
# captures', this file's and tshark's identity; a test module run on its own
# makes them (under a lock) when that file is missing or stale. A mode's runs
# share one tshark start-up, forked per capture (tshark_batch.c, Batch.run);
# Batch.control checks that a batched run equals a run of its own.
#
# Modes (docs/testing.md):
#   "2"   -2, PDML, -z dnsmon,tree/failures/report/log, io,phs of FILTERS
#   "1"   one pass, PDML, -z dnsmon,tree/failures/report, io,phs
#   "q2"  -2 -q, -z dnsmon,tree/failures/report/log, -z expert,note (no tree)
#   "draw" one pass, -q, the same dnsmon taps, every tap drawn before every
#         frame (DNSMON_DRAW_EVERY_FRAME=1: a window kept open all the time)
#   "R:F" -2 -R F, -T fields of READ_FILTER_COLS, for each F in READ_FILTERS
#   "2+P" -2 -o dnsmon.P, PDML, for each preference P in PREFERENCE_RUNS
# With DNSMON_QUICK=1 (scripts/test --quick) only the "2" runs are made.
#   "public"  ../shared/captures-public: -2, -T fields of PUBLIC_COLS, the
#         three dnsmon taps and io,phs of PUBLIC_FILTERS
import concurrent.futures  # noqa: E402
import fcntl  # noqa: E402
import hashlib  # noqa: E402
import ipaddress  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402

RESULTS_FORMAT = 4      # bump when what a run is made of or how it is parsed changes
QUICK = bool(os.environ.get("DNSMON_QUICK"))     # scripts/test --quick: the "2" runs only
READ_FILTERS = ("not icmp and not icmpv6", "dns")
READ_FILTER_COLS = ["frame.number", "dnsmon.txn", "dnsmon.outcome", "dnsmon.lookup.outcome",
                    "dnsmon.query_in", "dnsmon.response_in", "dnsmon.icmp_in"]
# capture -> preferences its PreferenceTest changes (captures/README.md says why)
PREFERENCE_RUNS = {
    "incomplete.pcapng": ["timeout:0"],
    "firewall-drop.pcapng": ["retransmit_window:0"],
    "slow-server.pcapng": ["slow_threshold:5000"],
    "mdns.pcapng": ["ignore_multicast:FALSE"],
    "lookups.pcapng": ["lookup_window:10"],
}
# Fields kept from PDML for every frame (besides all dnsmon.* ones): what the
# filters evaluated in Python read.
FRAME_FIELDS = {"frame.number", "frame.protocols", "icmp.type", "icmpv6.type", "udp.port",
                "tcp.port"}
FAILED_OUTCOMES = {"nxdomain", "servfail", "refused", "error", "rejected", "wrong_source",
                   "incomplete", "unanswered"}
DECIDED_OUTCOMES = {"answered", "nodata", "truncated", "nxdomain", "servfail", "refused", "error"}
PRESENCE_FILTER = (
    "(dns && !icmp && !icmpv6) || ((icmp.type == 3 || icmp.type == 4 || icmp.type == 11 || "
    "icmp.type == 12 || (icmpv6.type >= 1 && icmpv6.type <= 4)) && "
    "(udp.port == 53 || tcp.port == 53 || dns))")
PUBLIC = os.environ.get("DNSMON_PUBLIC_CAPTURES",
                        os.path.join(os.path.dirname(REPO), "shared", "captures-public"))
PUBLIC_COLS = ["frame.number", "dnsmon", "frame.protocols", "dnsmon.attempt", "dnsmon.icmp.quotes",
               "dnsmon.outcome", "dnsmon.response_in", "dnsmon.txn", "dnsmon.tcp.syn",
               "dnsmon.expert.tcp_reset", "dnsmon.expert.question_mismatch",
               "dns.flags.response", "dns.response_in"]
PUBLIC_FILTERS = ["dnsmon && !dnsmon.tcp.syn && !dnsmon.expert.tcp_reset",
                  "dnsmon.expert.question_mismatch",
                  "dns && dns.flags.response == 0 && !dns.response_in && !icmp && !icmpv6"]
TRUE_VALUES = ("1", "True")
FALSE_VALUES = ("0", "False")


def txn_frames(row):
    out = set()
    for col in ("query frames", "response frames", "icmp frames", "wrong source frames",
                "reset frames"):
        out.update(frames_of(row.get(col, "-")))
    return out


def server_addr(row):
    s = row["server"]
    return s[1:s.index("]")] if s.startswith("[") else s.rsplit(":", 1)[0]


def filters_two_pass(exp):
    """The display filters test_filters and test_captures check on a capture
    with -2 (io,phs counts them in the "2" run): derived from its table."""
    rows = exp["rows"]
    out = ['dnsmon.outcome == "%s"' % o for o in sorted({r["outcome"] for r in rows})]
    out += ["dnsmon.failed", "dnsmon.rejected", "dnsmon.unanswered"]
    out += ["dnsmon.txn == %s" % r["txn"] for r in rows]
    for server in sorted({server_addr(r) for r in rows}):
        out.append("%s == %s" % ("dnsmon.server6" if ":" in server else "dnsmon.server", server))
    out += ["dnsmon.expert." + o for o in ("rejected", "unanswered", "incomplete",
                                           "connection_unanswered")]
    if any(r.get("downgrade of", "-") != "-" for r in rows):
        out += ["dnsmon.downgraded", "dnsmon.expert.downgraded"]
    out += [PRESENCE_FILTER] + list(READ_FILTERS)
    return out


FILTERS_ONE_PASS = ['dnsmon.outcome == "pending"', "dnsmon.query_in"]


# -- Python evaluation of those filters on a frame's fields (dict name -> [values]),
#    with display-filter semantics: a field test matches when any occurrence does.
def _protocols(fr):
    return set(":".join(fr.get("frame.protocols", [])).split(":"))


def _ints(fr, name):
    out = []
    for v in fr.get(name, []):
        try:
            out.append(int(v))
        except ValueError:
            pass
    return out


def _same_addr(a, b):
    try:
        return ipaddress.ip_address(a) == ipaddress.ip_address(b)
    except ValueError:
        return a == b


def frame_matches(fr, dfilter):
    """Whether a frame matches one of the filters filters_two_pass(),
    FILTERS_ONE_PASS or READ_FILTERS make (no general parser: each form the
    suite uses, spelled out)."""
    protos = _protocols(fr)
    if dfilter == "dns":
        return "dns" in protos
    if dfilter == "not icmp and not icmpv6":
        return "icmp" not in protos and "icmpv6" not in protos
    if dfilter == PRESENCE_FILTER:
        types, types6 = _ints(fr, "icmp.type"), _ints(fr, "icmpv6.type")
        about_dns = (53 in _ints(fr, "udp.port") or 53 in _ints(fr, "tcp.port") or "dns" in protos)
        icmp_error = (any(t in (3, 4, 11, 12) for t in types)
                      or (any(t >= 1 for t in types6) and any(t <= 4 for t in types6)))
        return ("dns" in protos and "icmp" not in protos and "icmpv6" not in protos) or \
            (icmp_error and about_dns)
    m = re.fullmatch(r'(dnsmon\.[\w.]+) == "?([^"]*)"?', dfilter)
    if m:
        name, value = m.groups()
        if name in ("dnsmon.server", "dnsmon.server6"):
            return any(_same_addr(v, value) for v in fr.get(name, []))
        return value in fr.get(name, [])
    if re.fullmatch(r"dnsmon(\.[\w.]+)?", dfilter):
        return dfilter in fr     # a presence test, whatever the value
    raise ValueError("no Python evaluation for filter %r" % dfilter)


def matching(frames, dfilter):
    return {fr["frame.number"] for fr in frames if frame_matches(fr["fields"], dfilter)}


# -- parsing a run's output
TAP_START = (
    ("io", re.compile(r"^Protocol Hierarchy Statistics$")),
    ("expert", re.compile(r"^(Errors|Warns|Notes|Chats|Comments) \(\d+\)$")),
    ("log", re.compile(r'^\{"')),
    ("report", re.compile(r"^dnsmon incident report$")),
    ("failures", re.compile(r"^DNS Monitor: Failed Queries:")),
    ("tree", re.compile(r"^DNS Monitor.*DNS Transactions:$")),
)


def split_taps(text, keep_last=False):
    """Tap outputs printed one after the other -> {kind: text}. A section
    starts at its title and ends where the next one starts; the blank and
    '====' lines around the titles are left out (the same text whatever
    order tshark prints the taps in). A tap printed twice is an error, but
    with keep_last (the "draw" mode draws every tap before every frame):
    then its last output counts."""
    sections = {}
    current, buf = None, []

    def close():
        while buf and set(buf[-1]) <= set("= "):
            buf.pop()
        while buf and set(buf[0]) <= set("= "):
            buf.pop(0)
        if current is not None:
            sections[current] = "\n".join(buf) + "\n"
        elif buf:
            sections["preamble"] = "\n".join(buf) + "\n"

    for line in text.splitlines():
        kind = next((k for k, rx in TAP_START if rx.search(line)), None)
        if kind and kind != current:
            close()
            if kind in sections and not keep_last:
                raise AssertionError("tap output %r printed twice" % kind)
            current, buf = kind, []
        buf.append(line)
    close()
    return sections


def parse_phs(text, filters):
    """-z io,phs,FILTER blocks -> {filter: frames it matched}: the frames of
    the top-level protocols of each block (io,stat would do, but prints no
    row at all for a capture whose packets share one time stamp)."""
    counts, current = {}, None
    for line in text.splitlines():
        if line.startswith("Filter: "):
            current = line[len("Filter: "):]
            counts[current] = 0
        elif current is not None and line.startswith("="):
            current = None
        elif current is not None and line and not line.startswith(" "):
            m = re.search(r"\sframes:(\d+)\s", line)
            if m:
                counts[current] += int(m.group(1))
    missing = [f for f in filters if f not in counts]
    if missing:
        raise AssertionError("no io,phs output for %s in:\n%s" % (missing, text))
    return counts


def parse_pdml(xml):
    """PDML -> (items, frames). items: one dict per dnsmon subtree, as
    Tshark.items() always gave; frames: [{"frame.number": N, "fields": {name:
    [show, ...]}}] with FRAME_FIELDS and every dnsmon field (a field that
    appears with no value counts as present with value "")."""
    root = ET.fromstring(xml)
    items, frames = [], []
    for packet in root.iter("packet"):
        fields = {}
        number = None
        for f in packet.iter("field"):
            name = f.get("name") or ""
            if name == "frame.number":
                number = int(f.get("show"))
            if name in FRAME_FIELDS or name.startswith("dnsmon."):
                fields.setdefault(name, []).append(f.get("show") or "")
        for proto in packet.iter("proto"):
            if proto.get("name") == "dnsmon":
                fields.setdefault("dnsmon", []).append("")
                item = {"frame": number, "experts": [], "messages": []}
                for f in proto.iter("field"):
                    name = f.get("name")
                    if name.startswith("dnsmon.expert."):
                        item["experts"].append(name[len("dnsmon.expert."):])
                    elif name == "_ws.expert.message":
                        item["messages"].append(f.get("show"))
                    elif name.startswith("dnsmon."):
                        item.setdefault(name[len("dnsmon."):], []).append(f.get("show"))
                items.append(item)
        frames.append({"frame.number": number, "fields": fields})
    return items, frames


def parse_fields(text, cols):
    """-T fields lines (tab-separated, frame.number first) followed by tap
    output -> (rows, the rest)."""
    rows, rest = [], []
    lines = text.splitlines()
    i = 0
    while i < len(lines) and re.match(r"^\d+\t", lines[i]) and lines[i].count("\t") == len(cols) - 1:
        rows.append(lines[i].split("\t"))
        i += 1
    rest = lines[i:]
    return rows, "\n".join(rest) + "\n"


class Batch:
    """The runs of every capture and mode, made with two tshark processes at
    a time, each serving one mode's captures (tshark_batch.c);
    results[capture][mode] is a dict of parsed output (JSON-able)."""

    def __init__(self, ts, expected, public_table=None):
        self.ts, self.expected, self.public_table = ts, expected, public_table or {}

    def jobs(self):
        jobs = []
        for name in sorted(self.expected):
            exp = self.expected[name]
            jobs.append((name, "2", ["-2"], "pdml", True, filters_two_pass(exp)))
            if QUICK:
                continue
            jobs.append((name, "1", [], "pdml", True, FILTERS_ONE_PASS))
            jobs.append((name, "q2", ["-2", "-q"], "q", True, []))
            jobs.append((name, "draw", ["-q"], "draw", True, []))
            for f in READ_FILTERS:
                jobs.append((name, "R:" + f, ["-2", "-R", f], "fields", False, []))
            for pref in PREFERENCE_RUNS.get(name, []):
                jobs.append((name, "2+" + pref, ["-2", "-o", "dnsmon." + pref], "pdml", False, []))
        for name in sorted(self.public_table) if not QUICK else ():
            jobs.append((os.path.join(PUBLIC, name), "public", ["-2"], "public", True,
                         PUBLIC_FILTERS))
        return jobs

    @staticmethod
    def args_for(cap, mode, opts, kind, taps, filters):
        args = ["-r", cap, "-n"] + opts
        if kind == "pdml":
            args += ["-T", "pdml"]
        elif kind == "fields":
            args += ["-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
                     "-E", "aggregator=,"] + [a for c in READ_FILTER_COLS for a in ("-e", c)]
        elif kind == "public":
            args += ["-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
                     "-E", "aggregator=,"] + [a for c in PUBLIC_COLS for a in ("-e", c)]
        if taps:
            args += ["-z", "dnsmon,tree", "-z", "dnsmon,failures", "-z", "dnsmon,report"]
            if mode in ("2", "q2", "draw"):
                args += ["-z", "dnsmon,log"]
            if kind == "q":
                args += ["-z", "expert,note"]
        for f in filters:
            args += ["-z", "io,phs," + f]
        return args

    @staticmethod
    def env_for(kind):
        return ["DNSMON_DRAW_EVERY_FRAME=1"] if kind == "draw" else []

    def run_one(self, job, filters=None):
        """One tshark process for one capture; filters: the io,phs filters
        it runs (default: the job's own)."""
        cap, mode, opts, kind, taps, own = job
        args = self.args_for(self.ts.capture(cap), mode, opts, kind, taps,
                             own if filters is None else filters)
        t0 = time.time()
        p = self.ts.run(*args, check=False, extra_env=self.env_for(kind))
        return self.parse(cap, mode, kind, own, args, p, time.time() - t0)

    def run_group(self, jobs):
        """The jobs of one mode through one tshark start-up (Tshark.run_batch;
        one job: a plain run): the io,phs filters of all of them in the one
        run, each job's own picked from its output."""
        _, mode, opts, kind, taps, _ = jobs[0]
        union = self.union_filters(jobs)
        # args_for's "-r CAPTURE" comes first: run_batch puts each capture there
        args = self.args_for("", mode, opts, kind, taps, union)[2:]
        runs = self.ts.run_batch([job[0] for job in jobs], args, extra_env=self.env_for(kind))
        return [self.parse(job[0], mode, kind, job[5], run.args, run, run.seconds)
                for job, run in zip(jobs, runs)]

    @staticmethod
    def union_filters(jobs):
        seen = []
        for job in jobs:
            seen += [f for f in job[5] if f not in seen]
        return seen

    def parse(self, cap, mode, kind, filters, args, p, seconds):
        """(capture name, mode, parsed run); an output it cannot read fails
        naming the capture and the mode."""
        try:
            return os.path.basename(cap), mode, self.parse_output(kind, filters, args, p, seconds)
        except Exception as e:
            raise AssertionError("%s, mode %s: %s" % (cap, mode, e)) from e

    @staticmethod
    def parse_output(kind, filters, args, p, seconds):
        out = {"args": args, "rc": p.returncode, "stderr": p.stderr,
               "seconds": round(seconds, 3)}
        if p.returncode != 0:
            return out
        text = p.stdout
        if kind == "pdml":
            head, sep, text = text.partition("</pdml>")
            if not sep:
                raise AssertionError("no </pdml> in tshark %s" % " ".join(args))
            out["items"], out["frames"] = parse_pdml(head + sep)
        elif kind in ("fields", "public"):
            out["rows"], text = parse_fields(text, READ_FILTER_COLS if kind == "fields"
                                             else PUBLIC_COLS)
        out["taps"] = split_taps(text, keep_last=(kind == "draw"))
        if filters:
            counts = parse_phs(out["taps"].get("io", ""), filters)
            # A batched run counts every job's filters: the capture's own only.
            # The io text itself is dropped: these counts are what it holds.
            out["io"] = {f: counts[f] for f in filters}
            out["taps"].pop("io", None)
        return out

    @staticmethod
    def groups(jobs, workers):
        """The jobs by mode (one tshark start-up each), the largest first,
        split until there is one for each worker."""
        by_mode = {}
        for job in jobs:
            by_mode.setdefault(job[1], []).append(job)
        groups = sorted(by_mode.values(), key=len, reverse=True)
        while len(groups) < workers and len(groups[0]) > 1:
            g = groups.pop(0)
            groups += [g[:len(g) // 2], g[len(g) // 2:]]
            groups.sort(key=len, reverse=True)
        return groups

    def run(self, workers=2):
        """{capture: {mode: parsed run}}, and the checks of the batching."""
        results = {}
        jobs = self.jobs()
        for job in jobs:            # copied once, before the threads read them
            self.ts.capture(job[0])
        # Without the library every job is a group of its own (one process each).
        groups = self.groups(jobs, workers) if self.ts.batch_lib else [[job] for job in jobs]
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
            for done in pool.map(self.run_group, groups):
                for cap, mode, out in done:
                    results.setdefault(cap, {})[mode] = out
            self.controls = []
            if self.ts.batch_lib:
                self.controls = list(pool.map(lambda g: self.control(g, results),
                                              [g for g in self.groups(jobs, 1) if len(g) > 1]))
        return results

    def control(self, jobs, results):
        """A batched run must be what tshark makes alone: the mode's largest
        capture again in a tshark process of its own, with the same options
        (the batch's filters), parsed the same way, must give the same result;
        and the batched result of another capture must differ from it (each
        child read its own capture)."""
        size = lambda job: os.path.getsize(self.ts.capture(job[0]))  # noqa: E731
        job = max(jobs, key=lambda j: (size(j), j[0]))
        other = min(jobs, key=lambda j: (size(j), j[0]))
        _, mode, out = self.run_one(job, filters=self.union_filters(jobs))
        name = os.path.basename(job[0])
        batched = results[name][mode]
        strip = lambda r: {k: v for k, v in r.items() if k != "seconds"}  # noqa: E731
        same = strip(out) == strip(batched)
        differs = strip(results[os.path.basename(other[0])][mode]) != strip(batched)
        return {"mode": mode, "capture": name, "other": os.path.basename(other[0]),
                "same": same, "differs": differs}


def public_table():
    """../shared/captures-public/SOURCES.md: file -> {q, r, unans,
    icmp_query, icmp_response}; {} when the folder is missing."""
    sources = os.path.join(PUBLIC, "SOURCES.md")
    table = {}
    if not os.path.exists(sources):
        return table
    with open(sources, encoding="utf-8") as fh:
        for line in fh:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) < 15 or not re.search(r"\.(pcap|pcapng|cap|gz)$", cells[0]):
                continue
            num = lambda s: int(s.split()[0])  # noqa: E731
            table[cells[0]] = {"q": num(cells[3]), "r": num(cells[4]), "unans": num(cells[5]),
                               "icmp_query": num(cells[11]) + num(cells[12]),
                               "icmp_response": num(cells[13])}
    return table


def _digest(paths, extra=()):
    h = hashlib.sha256()
    for x in extra:
        h.update(repr(x).encode())
    for p in paths:
        h.update(p.encode())
        with open(p, "rb") as fh:
            h.update(fh.read())
    return h.hexdigest()


def results_file():
    if os.environ.get("DNSMON_RESULTS"):
        return os.environ["DNSMON_RESULTS"]
    plugin = os.environ.get("DNSMON_PLUGIN") or ""
    return os.path.join(os.path.dirname(os.path.abspath(plugin)), "tshark-results.json")


def results_key(expected, table):
    plugin = os.environ.get("DNSMON_PLUGIN") or ""
    tshark = shutil.which("tshark") or ""
    st = os.stat(tshark) if tshark else None
    caps = [os.path.join(CAPTURES, n) for n in sorted(expected)]
    pubs = [os.path.join(PUBLIC, n) for n in sorted(table)]
    batch = os.environ.get("DNSMON_TSHARK_BATCH_LIB") or ""
    batch = [batch] if os.path.exists(batch) else []
    return _digest([plugin, os.path.join(CAPTURES, "README.md")] + batch + caps + pubs,
                   extra=(RESULTS_FORMAT, QUICK, tshark, st and (st.st_size, st.st_mtime),
                          os.environ.get("DNSMON_TSHARK_PREFIX", ""),
                          os.environ.get("DNSMON_WS_XY", "")))


_RESULTS = {}


def results(refresh=False, workers=2):
    """{capture: {mode: parsed run}} for captures/ and the public captures,
    from RESULTS_FILE when it is current, else made now (and saved)."""
    if _RESULTS and not refresh:
        return _RESULTS
    expected = parse_expectations()
    table = public_table()
    key = results_key(expected, table)
    path = results_file()
    with open(path + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = None
        if not refresh and os.path.exists(path):
            try:
                with open(path, encoding="utf-8") as fh:
                    data = json.load(fh)
                if data.get("key") != key:
                    data = None
            except ValueError:
                data = None
        if data is None:
            t0 = time.time()
            ts = Tshark()
            try:
                batch = Batch(ts, expected, table)
                runs = batch.run(workers)
            finally:
                ts.cleanup()
            data = {"key": key, "seconds": round(time.time() - t0, 1),
                    "runs": sum(len(m) for m in runs.values()), "results": runs,
                    "controls": batch.controls}
            tmp = path + ".tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(data, fh)
            os.replace(tmp, path)
            print("harness: %d tshark runs in %.1f s (%d at a time) -> %s" % (
                data["runs"], data["seconds"], workers, path), file=sys.stderr)
    _RESULTS.clear()
    _RESULTS.update(data["results"])
    CONTROLS[:] = data.get("controls", [])
    return _RESULTS


CONTROLS = []   # Batch.control()'s findings for the results in _RESULTS


def result(capture, mode):
    """One run's parsed output; a run that failed fails the test asking for it."""
    r = results().get(capture, {}).get(mode)
    if r is None:
        raise AssertionError("no tshark run of %s in mode %s" % (capture, mode))
    check_run(r["args"], r["rc"], r["stderr"])
    return r


# ---- skipping -----------------------------------------------------------------
SKIP = 77     # ctest SKIP_RETURN_CODE of every Python test


def skip_program(reason):
    """A test program that cannot run: says why, exits 77 (ctest: Skipped)."""
    print("SKIPPED: " + reason, flush=True)
    sys.exit(SKIP)


def main_exit(prog):
    """unittest.main(exit=False)'s result -> exit code: 1 on failure, 77 when
    every test was skipped (the reasons printed), else 0."""
    r = prog.result
    if not r.wasSuccessful():
        return 1
    if r.testsRun and len(r.skipped) == r.testsRun:
        for _, reason in r.skipped:
            print("SKIPPED: " + reason, flush=True)
        return SKIP
    return 0


if __name__ == "__main__":
    # ctest 'tshark-runs': make every run now (the fixture of the tshark tests).
    import argparse
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--refresh", action="store_true", help="run tshark even if the file is current")
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    res = results(refresh=a.refresh, workers=a.workers)
    failed = [(c, m, r["rc"]) for c, modes in res.items() for m, r in modes.items() if r["rc"]]
    for c, m, rc in failed:
        print("harness: tshark failed (%d) on %s, mode %s" % (rc, c, m), file=sys.stderr)
    # The batching's checks (Batch.control), two per batched mode.
    for c in CONTROLS:
        ASSERTIONS[0] += 2
        print("harness: mode %s: %s batched %s a run of its own; %s %s" % (
            c["mode"], c["capture"], "equals" if c["same"] else "DIFFERS FROM",
            c["other"], "differs" if c["differs"] else "GIVES THE SAME RESULT"), file=sys.stderr)
    bad = [c for c in CONTROLS if not (c["same"] and c["differs"])]
    if os.environ.get("DNSMON_TSHARK_BATCH_LIB") and not CONTROLS:
        print("harness: the runs were not batched (tshark_batch.so missing?)", file=sys.stderr)
        bad.append(None)
    sys.exit(1 if failed or bad else 0)
