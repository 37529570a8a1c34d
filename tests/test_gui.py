"""The real Wireshark window with the real plugin, under Xvfb (ctest label gui).

Every assertion reads the running program, through the accessibility bus
(AT-SPI; Qt exports its widgets with QT_LINUX_ACCESSIBILITY_ALWAYS_ON=1) and
the X clipboard, never a picture:

- the plugin is loaded (About → Plugins lists dnsmon.so; the process maps it);
- Statistics holds DNS Monitor → DNS Transactions, DNS Monitor: Failed Queries
  and DNS Monitor: Incident Report, and each opens with the numbers tshark -2
  prints;
- a display filter given at start (-Y dnsmon.failed) matches every frame it
  matches in tshark -2, and the packet list shows tshark -2's Info column;
- a live capture from a pipe, one packet about every 0.7 s, ends with the
  final verdicts on the packet list (not "pending");
- a preference given with -o changes the verdicts as it does in tshark;
- a redissection (what a preference change in the GUI does, started from the
  Lua console where it can be driven: 4.0) keeps the filter and the list on
  final verdicts.

Wireshark, like tshark, ignores plugin folders when run as root: as root the
window runs as nobody, with Xvfb, a D-Bus session and the accessibility bus in
a PID namespace of its own, so stopping the namespace's first process stops
them all. Exits 77 (skipped) when wireshark, Xvfb or python3-pyatspi are
missing (scripts/setup installs them).

With DNSMON_GUI_SHOTS=DIR (or --screenshots DIR) it also saves the six
screenshots of docs/ there (scripts/screenshots).
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import unittest

from harness import Tshark

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = "seed-incident.pcapng"
COLUMNS = ('gui.column.format:"No.","%m","Time","%t","Source","%s","Destination","%d",'
           '"Protocol","%p","Info","%i"')
SHOTS = os.environ.get("DNSMON_GUI_SHOTS")
if "--screenshots" in sys.argv:
    i = sys.argv.index("--screenshots")
    SHOTS = os.path.abspath(sys.argv[i + 1])
    del sys.argv[i:i + 2]


# The AT-SPI helper needs the Debian python3 (python3-pyatspi is a Debian
# package), whatever python runs this test.
AX_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def missing_tools():
    need = [t for t in ("wireshark", "Xvfb", "dbus-run-session", "xclip", "xdotool", "editcap")
            if not shutil.which(t)]
    if subprocess.run([AX_PYTHON, "-c", "import pyatspi"], stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode != 0:
        need.append("python3-pyatspi")
    return need


def until(fn, timeout=20.0, step=0.3, what="condition"):
    """fn() until it returns a true value (exceptions count as false)."""
    end = time.time() + timeout
    last = None
    while True:
        try:
            v = fn()
            if v:
                return v
            last = v
        except Exception as e:  # the window is still changing
            last = e
        if time.time() > end:
            raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))
        time.sleep(step)


class Gui:
    """One Wireshark window: Xvfb + D-Bus session + wireshark, and the AT-SPI
    helper (tests/gui_ax.py) talking to it."""

    def __init__(self, ts, args, name, system_plugins=False):
        self.ts = ts
        self.dir = os.path.join(ts.root, "gui-" + name)
        os.makedirs(self.dir)
        os.chmod(self.dir, 0o777)
        self.run_dir = os.path.join(self.dir, "xdg")
        os.makedirs(self.run_dir)
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.run_dir, user="nobody")
        os.chmod(self.run_dir, 0o700)
        self.display = None
        self.helper = None
        env = {
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": ts.home,
            "WIRESHARK_PLUGIN_DIR": ts.plugin_dir, "WIRESHARK_EXTCAP_DIR": ts.extcap,
            "TZ": "UTC", "LC_ALL": "C.UTF-8", "XDG_RUNTIME_DIR": self.run_dir,
            "QT_LINUX_ACCESSIBILITY_ALWAYS_ON": "1", "QT_ACCESSIBILITY": "1",
            "NO_AT_BRIDGE": "0",
        }
        if system_plugins:   # what a packaged plugin is loaded from
            del env["WIRESHARK_PLUGIN_DIR"]
        self.env = env
        inner = os.path.join(self.dir, "inner.sh")
        with open(inner, "w") as fh:
            fh.write(
                'd=$1; shift\n'
                'Xvfb -displayfd 3 -screen 0 1600x1000x24 -nolisten tcp 3>"$d/display" '
                '>"$d/xvfb.log" 2>&1 &\n'
                'i=0; while [ ! -s "$d/display" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done\n'
                'DISPLAY=:$(head -1 "$d/display"); export DISPLAY\n'
                'exec dbus-run-session -- sh "$d/session.sh" "$d" "$@" >"$d/wireshark.log" 2>&1\n')
        with open(os.path.join(self.dir, "session.sh"), "w") as fh:
            fh.write(
                'd=$1; shift\n'
                'echo "$DBUS_SESSION_BUS_ADDRESS" >"$d/bus"\n'
                'exec wireshark "$@"\n')
        cmd = ["env", "-i"] + ["%s=%s" % kv for kv in env.items()] + ["sh", inner, self.dir] + args
        if self.as_root:
            cmd = ["unshare", "--pid", "--fork", "setpriv", "--reuid=nobody", "--regid=nogroup",
                   "--clear-groups"] + cmd
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            until(lambda: os.path.exists(os.path.join(self.dir, "bus"))
                  and os.path.getsize(os.path.join(self.dir, "bus")) > 0, 30, what="D-Bus session")
            with open(os.path.join(self.dir, "display")) as fh:
                self.display = ":" + fh.read().split()[0]
            with open(os.path.join(self.dir, "bus")) as fh:
                bus = fh.read().strip()
            self.helper_cmd = ["env", "-i", "PATH=/usr/bin:/bin", "HOME=" + ts.home,
                               "XDG_RUNTIME_DIR=" + self.run_dir, "DISPLAY=" + self.display,
                               "DBUS_SESSION_BUS_ADDRESS=" + bus, "PYTHONDONTWRITEBYTECODE=1",
                               AX_PYTHON, os.path.join(HERE, "gui_ax.py")]
            if self.as_root:
                self.helper_cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup",
                                   "--clear-groups"] + self.helper_cmd
            # Qt registers the application when the accessibility bus
            # appears after it started; a bus that is already there when Qt
            # starts, or that a client starts too early, is not always seen.
            # So wait for Wireshark's first window, then let the helper start
            # the bus.
            until(lambda: self.window_id("Wireshark") or self.window_id(".pcap"), 60, 0.5,
                  "Wireshark's window")
            time.sleep(1.5)
            # A client that asked before the application registered may go on
            # seeing an empty desktop: ask with a new helper until it is there.
            end = time.time() + 90
            while True:
                self.start_helper()
                try:
                    self.ask("ping")
                    break
                except LookupError:
                    if time.time() > end:
                        raise AssertionError("Wireshark never showed up on the "
                                             "accessibility bus") from None
                    time.sleep(2)
        except AssertionError as e:
            log = self.log()
            self.stop()
            raise AssertionError("%s\nwireshark's output:\n%s" % (e, log)) from None
        except BaseException:
            self.stop()
            raise

    def start_helper(self):
        self.stop_helper()
        self.helper = subprocess.Popen(self.helper_cmd, stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, text=True, bufsize=1)

    def stop_helper(self):
        if self.helper:
            try:
                self.helper.stdin.close()
            except OSError:
                pass
            self.helper.kill()
            self.helper.wait()
            self.helper.stdout.close()
            self.helper = None

    def ask(self, op, **kw):
        kw["op"] = op
        self.helper.stdin.write(json.dumps(kw) + "\n")
        self.helper.stdin.flush()
        line = self.helper.stdout.readline()
        if not line:
            raise RuntimeError("the AT-SPI helper died")
        reply = json.loads(line)
        if not reply["ok"]:
            raise LookupError(reply["error"])
        return reply["result"]

    def log(self):
        try:
            with open(os.path.join(self.dir, "wireshark.log"), errors="replace") as fh:
                return fh.read()[-3000:]
        except OSError:
            return ""

    def wireshark_pid(self):
        """The wireshark process (its pid as this process sees it)."""
        for p in os.listdir("/proc"):
            if not p.isdigit():
                continue
            try:
                with open("/proc/%s/cmdline" % p, "rb") as fh:
                    argv = fh.read().split(b"\0")
                with open("/proc/%s/environ" % p, "rb") as fh:
                    envb = fh.read()
            except OSError:
                continue
            if os.path.basename(argv[0]) == b"wireshark" and \
                    ("XDG_RUNTIME_DIR=" + self.run_dir).encode() in envb:
                return int(p)
        return None

    def xenv(self):
        return dict(os.environ, DISPLAY=self.display)

    def clipboard(self):
        return subprocess.run(["xclip", "-o", "-selection", "clipboard"], env=self.xenv(),
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                              timeout=10).stdout

    def window_id(self, title_part):
        out = subprocess.run(["xdotool", "search", "--name", re.escape(title_part)],
                             env=self.xenv(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             text=True).stdout.split()
        return out[-1] if out else None

    def xdo(self, *args):
        subprocess.run(["xdotool"] + list(args), env=self.xenv(), stderr=subprocess.DEVNULL)

    def place(self, title_part, x, y, w, h):
        wid = self.window_id(title_part)
        if wid and shutil.which("xdotool"):
            subprocess.run(["xdotool", "windowmove", wid, str(x), str(y), "windowsize", wid,
                            str(w), str(h)], env=self.xenv(), stderr=subprocess.DEVNULL)
            time.sleep(0.8)

    def shot(self, name, title_part=None):
        """Screenshot of a window (or the screen) into SHOTS, when asked."""
        if not SHOTS or not shutil.which("import"):
            return
        os.makedirs(SHOTS, exist_ok=True)
        wid = self.window_id(title_part) if title_part else None
        out = os.path.join(SHOTS, name + ".png")
        subprocess.run(["import", "-window", wid or "root", "-strip", "-depth", "8", out],
                       env=self.xenv(), stderr=subprocess.DEVNULL, timeout=30)

    def stop(self):
        self.stop_helper()
        if self.proc and self.proc.poll() is None:
            if self.as_root:
                # The namespace's first process (child of unshare): killing it
                # ends everything in the namespace.
                for k in children_of(self.proc.pid):
                    try:
                        os.kill(int(k), signal.SIGKILL)
                    except OSError:
                        pass
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except OSError:
                pass
            self.proc.wait()
        if self.display:
            n = self.display[1:]
            for f in ("/tmp/.X%s-lock" % n, "/tmp/.X11-unix/X%s" % n):
                try:
                    os.unlink(f)
                except OSError:
                    pass


def children_of(pid):
    kids = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open("/proc/%s/stat" % p) as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == pid:
                kids.append(int(p))
    return kids


def info_column(ts, cap, extra=()):
    """tshark -2's Info column, frame by frame: what the packet list must show.
    (Read from the summary lines: from 4.4 on, `-e _ws.col.info` is filled
    before post-dissectors add to the column.)"""
    out = ts.stdout("-r", ts.capture(cap), "-2", "-o", 'gui.column.format:"No.","%m","Info","%i"',
                    *extra)
    rows = {}
    for line in out.splitlines():
        parts = line.strip().split(None, 1)
        if parts and parts[0].isdigit():
            rows[int(parts[0])] = parts[1] if len(parts) > 1 else ""
    return rows


def list_rows(gui, title):
    t = gui.ask("table", window=title, name="Packet list")
    h = t["header"]
    no, info = h.index("No."), h.index("Info")
    return {int(r[no]): r[info] for r in t["rows"] if r[no].isdigit()}


def settled_rows(gui, title, want, timeout=30):
    """The packet list once it equals want, or as it is after timeout."""
    last = {}

    def read():
        last.clear()
        last.update(list_rows(gui, title))
        return last == want
    try:
        until(read, timeout, what="the packet list")
    except AssertionError:
        pass
    return dict(last)


def find_menu(tree, want, path=()):
    """Paths (lists of names under Statistics) of items whose name contains want."""
    found = []
    if isinstance(tree, str):
        return [list(path[1:]) + [tree]] if want in tree else []
    name, subs = tree
    for s in subs:
        found += find_menu(s, want, path + (name,))
    return found


TREE_LINE = re.compile(r"^( *)(\S.*?)\s{2,}(\d+)(?:\s|$)")


def tree_rows(text):
    rows = []
    for line in text.splitlines():
        m = TREE_LINE.match(line)
        if m and not line.startswith(("Topic", "=", "-")) and "/ Item" not in line:
            rows.append((len(m.group(1)), m.group(2).strip(), int(m.group(3))))
    return rows


def failure_rows(text):
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 3 and cells[0].isdigit():
            rows.append([c for c in cells if c != ""])
    return rows


@unittest.skipIf(missing_tools(), "missing: %s" % " ".join(missing_tools()))
class GuiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.ts = Tshark()

    @classmethod
    def tearDownClass(cls):
        cls.ts.cleanup()

    def start(self, name, *args):
        gui = Gui(self.ts, ["-o", COLUMNS] + list(args), name)
        self.addCleanup(gui.stop)
        return gui

    def main_title(self, gui, part):
        return until(lambda: [w for w in gui.ask("windows") if part in w], 60,
                     what="main window %r" % part)[0]

    def assert_about_lists(self, gui, so):
        """Help → About Wireshark → Plugins has a dnsmon.so row naming so."""
        gui.ask("menu", path=["Help", "About Wireshark"])
        until(lambda: gui.ask("tab", window="About Wireshark", tab="Plugins"), 15,
              what="About → Plugins")
        about = until(lambda: gui.ask("table", window="About Wireshark", has="dnsmon.so"), 10,
                      what="dnsmon.so in About → Plugins")
        row = [r for r in about["rows"] if r[0] == "dnsmon.so"][0]
        self.assertIn(so, row, "About → Plugins row %s (%s)" % (row, about["header"]))
        for button in ("OK", "Close"):
            try:
                gui.ask("press", window="About Wireshark", button=button)
                break
            except LookupError:
                pass

    # ---- the plugin a package installed (tests/test_package.sh) ----------
    @unittest.skipUnless(os.environ.get("DNSMON_GUI_INSTALLED"),
                         "DNSMON_GUI_INSTALLED names no installed dnsmon.so")
    def test_installed_plugin(self):
        """Wireshark without WIRESHARK_PLUGIN_DIR loads the packaged plugin
        from the system folder: About → Plugins lists that file, the packet
        list shows tshark -2's verdicts."""
        so = os.environ["DNSMON_GUI_INSTALLED"]
        gui = Gui(self.ts, ["-o", COLUMNS, "-r", self.ts.capture(SEED)], "installed",
                  system_plugins=True)
        self.addCleanup(gui.stop)
        title = self.main_title(gui, SEED)
        self.assert_about_lists(gui, so)
        ref = info_column(self.ts, SEED)
        self.assertEqual(settled_rows(gui, title, ref), ref, "packet list of the seed replica")

    # ---- a file, with a display filter, and the three statistics ---------
    def test_file_filter_and_statistics(self):
        ts = self.ts
        cap = ts.capture(SEED)
        ref = info_column(ts, SEED)
        failed = {int(r[0]) for r in ts.fields(SEED, ["frame.number"], dfilter="dnsmon.failed")}
        self.assertTrue(failed, "tshark -2 finds no dnsmon.failed frame in the seed capture")
        gui = self.start("file", "-r", cap, "-Y", "dnsmon.failed")
        title = self.main_title(gui, SEED)
        gui.place(SEED, 0, 0, 1600, 1000)

        # The plugin is loaded: mapped by the process, listed in About → Plugins.
        pid = gui.wireshark_pid()
        self.assertIsNotNone(pid, "no wireshark process")
        with open("/proc/%d/maps" % pid) as fh:
            self.assertIn(os.path.join(ts.plugin_dir, ts_xy(), "epan", "dnsmon.so"), fh.read())
        self.assert_about_lists(gui, os.path.join(ts.plugin_dir, ts_xy(), "epan", "dnsmon.so"))

        # -Y given at start: every frame tshark -2 matches, final verdicts.
        status = until(lambda: [s for s in gui.ask("status") if "Displayed:" in s], 30,
                       what="status bar")[0]
        rows = settled_rows(gui, title, {n: ref[n] for n in failed})
        self.assertEqual(set(rows), failed, "filtered list (status: %s)" % status)
        self.assertIn("Displayed: %d " % len(failed), status)
        for n, info in rows.items():
            self.assertEqual(info, ref[n], "frame %d's Info" % n)
            self.assertNotIn("pending", info)
        gui.shot("gui-packet-list-failed", SEED)
        if SHOTS:
            # A rejected query's details: the first (failed) query, its DNSMON
            # subtree open.
            gui.ask("menu", path=["Go", "First Packet"])
            time.sleep(0.5)
            try:
                # Click dnsmon's subtree in the details and open it (Shift+Right
                # expands it with its children).
                x, y, w, h = gui.ask("extents", window=title, prefix="[DNS transaction monitor")
                gui.xdo("mousemove", str(x + 40), str(y + h // 2), "click", "1")
                time.sleep(0.3)
                gui.xdo("key", "shift+Right")
                gui.xdo("mousemove", "1590", "990")
            except LookupError as e:
                print("screenshot of the details: %s" % e, file=sys.stderr)
            time.sleep(1)
            gui.shot("gui-packet-details-rejected", SEED)

        # Statistics → DNS Monitor: the three entries.
        stats = gui.ask("menus", top="Statistics")
        where = {}
        for item in ("Transactions", "Failed Queries", "Incident Report"):
            paths = [p for p in find_menu(stats, item) if "DNS" in "".join(p)]
            self.assertEqual(len(paths), 1, "Statistics entries for %r: %s" % (item, paths))
            path = paths[0]
            self.assertTrue(path[0] == "DNS Monitor" or path[-1].startswith("DNS Monitor"),
                            "%r is not under Statistics → DNS Monitor: %s" % (item, path))
            where[item] = path
        self.submenu_note = where

        # The stats tree: its Copy equals tshark -2 -z dnsmon,tree.
        gui.ask("menu", path=["Statistics"] + where["Transactions"])
        until(lambda: gui.ask("table", window="Transactions")["rows"], 20,
              what="Transactions dialog")
        gui.place("Transactions", 100, 40, 1300, 900)
        gui.shot("gui-stats-tree", "Transactions")
        gui.ask("press", window="Transactions", button="Copy")
        copied = until(lambda: tree_rows(gui.clipboard()), 10, what="copied tree")
        want = tree_rows(ts.stdout("-r", cap, "-2", "-q", "-z", "dnsmon,tree"))
        self.assertEqual(copied, want)
        shown = [r[0] for r in gui.ask("table", window="Transactions")["rows"]]
        self.assertEqual(sorted(shown), sorted(r[1] for r in want), "rows shown")
        gui.ask("press", window="Transactions", button="Close")

        # The failures table: its cells equal tshark -2 -z dnsmon,failures.
        gui.ask("menu", path=["Statistics"] + where["Failed Queries"])
        table = until(lambda: gui.ask("table", window="Failed Queries"), 20,
                      what="Failed Queries dialog")
        table = until(lambda: table["rows"] and table
                      or gui.ask("table", window="Failed Queries")["rows"] and
                      gui.ask("table", window="Failed Queries"), 20, what="table rows")
        gui.place("Failed Queries", 60, 60, 1500, 500)
        gui.shot("gui-failures-table", "Failed Queries")
        want = failure_rows(ts.stdout("-r", cap, "-2", "-q", "-z", "dnsmon,failures"))
        got = [[c.strip() for c in r if c.strip() != ""] for r in table["rows"]]
        self.assertEqual(got, want, "table cells (header %s)" % table["header"])
        for h in table["header"]:
            self.assertTrue(h.strip(), "empty column header")
        gui.ask("press", window="Failed Queries", button="Close")

        # The incident report window: tshark -2 -z dnsmon,report's text.
        gui.ask("menu", path=["Statistics"] + where["Incident Report"])
        want = ts.stdout("-r", cap, "-2", "-q", "-z", "dnsmon,report").strip()
        text = until(lambda: (lambda t: t if "transactions" in t else None)(
            gui.ask("text", window="Incident Report")), 20, what="report text")
        gui.place("Incident Report", 80, 80, 1200, 700)
        gui.shot("gui-report-window", "Incident Report")
        self.assertEqual(text.strip(), want)
        self.assertRegex(text, r"\b3 failed\b")

        # Expert information (for the screenshot only).
        if SHOTS:
            gui.ask("menu", path=["Analyze", "Expert Information"])
            until(lambda: gui.ask("windows") and
                  [w for w in gui.ask("windows") if "Expert Information" in w], 20)
            gui.place("Expert Information", 60, 60, 1400, 700)
            time.sleep(1)
            gui.shot("gui-expert-info", "Expert Information")

    # ---- a live capture from a pipe ------------------------------------
    def test_live_capture_ends_with_final_verdicts(self):
        ts = self.ts
        src = ts.capture(SEED)
        pcap = os.path.join(ts.caps, "seed-live.pcap")
        subprocess.run(["editcap", "-F", "pcap", src, pcap], check=True)
        os.chmod(pcap, 0o644)
        fifo = os.path.join(ts.root, "live.fifo")
        os.mkfifo(fifo)
        os.chmod(fifo, 0o666)
        ref = info_column(ts, SEED)
        gui = self.start("live", "-k", "-i", fifo)
        fed = threading.Event()

        def feed():
            with open(pcap, "rb") as fh:
                data = fh.read()
            with open(fifo, "wb", buffering=0) as out:
                out.write(data[:24])
                off = 24
                while off < len(data):
                    n = int.from_bytes(data[off + 8:off + 12], "little")
                    time.sleep(0.7)
                    out.write(data[off:off + 16 + n])
                    off += 16 + n
                time.sleep(0.7)
            fed.set()
        threading.Thread(target=feed, daemon=True).start()
        self.assertTrue(fed.wait(60), "the capture pipe was not read")
        # The capture stops at the end of the pipe; the list is then redrawn.
        seen = {}

        def final():
            seen.clear()
            seen.update(list_rows(gui, "fifo"))
            return seen == ref and dict(seen)
        try:
            rows = until(final, 30, what="final verdicts on the packet list")
        except AssertionError:
            self.assertEqual(seen, ref, "the packet list after the capture")
            raise
        for n, info in rows.items():
            self.assertNotIn("pending", info)

    # ---- preferences ---------------------------------------------------
    def test_preference_changes_verdicts(self):
        ts = self.ts
        cap = "firewall-drop.pcapng"
        pref = ["-o", "dnsmon.timeout:3600"]
        default, changed = info_column(ts, cap), info_column(ts, cap, pref)
        differ = [n for n in default if default[n] != changed[n]]
        self.assertTrue(differ, "dnsmon.timeout:3600 changes nothing in tshark")
        gui = self.start("prefs", "-r", ts.capture(cap), *pref)
        title = self.main_title(gui, cap)
        self.assertEqual(settled_rows(gui, title, changed), changed)
        self.redissect(gui, title, cap, pref)

    def redissect(self, gui, title, cap, pref):
        """What a preference change in Edit → Preferences ends in: a new first
        pass without postseq. Started from Lua's console (redissect_packets()),
        with dnsmon.failed applied first: the filter and the list must end on
        final verdicts again. Where the console cannot be driven (Qt 6), says
        so on stderr."""
        ts = self.ts
        console = None
        # Tools → Lua → Evaluate in 4.0, Tools → Lua Console later.
        for path, name in ((["Tools", "Lua", "Evaluate"], "Evaluate Lua"),
                           (["Tools", "Lua Console"], "Lua Console")):
            try:
                gui.ask("menu", path=path)
                console = name
                break
            except LookupError:
                continue
        if console is None:
            print("test_gui: redissection not checked: no Lua console", file=sys.stderr)
            return
        until(lambda: gui.ask("set_text", window=console,
                              text='set_filter("dnsmon.failed") apply_filter() '
                                   'redissect_packets()'), 15, what="Lua console")
        gui.ask("press", window=console, button="Evaluate")
        # The status bar counts displayed frames once the console's filter ran.
        try:
            until(lambda: [x for x in gui.ask("status") if "Displayed:" in x], 15,
                  what="the console's filter")
        except AssertionError:
            print("test_gui: redissection not checked: the Lua console did not evaluate "
                  "(driven through AT-SPI)", file=sys.stderr)
            return
        failed = {int(r[0]) for r in ts.fields(cap, ["frame.number"], dfilter="dnsmon.failed",
                                               extra=pref)}
        ref = info_column(ts, cap, pref)
        want = {n: ref[n] for n in failed}
        rows = settled_rows(gui, title, want)
        self.assertEqual(rows, want, "dnsmon.failed after a redissection (status: %s)"
                         % gui.ask("status"))


def ts_xy():
    return os.environ.get("DNSMON_WS_XY", "")


if __name__ == "__main__":
    if missing_tools():
        print("SKIPPED: gui: missing %s (scripts/setup installs them)"
              % " ".join(missing_tools()), flush=True)
        sys.exit(77)
    unittest.main(verbosity=2)
