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
- statistics opened (and Apply pressed) during a live capture while a
  DNS-over-TCP SYN waits for its SYN-ACK change no verdict or number; they
  list nothing in flight as failed, Copy gives what the window shows, and at
  the end list, tree, table and report equal tshark -2's;
- the "DNS Monitor" profile (packaging/profile): wireshark -C shows its
  columns with tshark -2's values, its coloring rules (in its order, and on
  frames as tshark --color colours them) and its filter buttons (each shows
  what tshark -2 -Y shows);
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
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import unittest

from harness import Tshark
from wsprofile import (PROFILE, install_profile, profile_buttons, profile_columns,
                       profile_rules)

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = "seed-incident.pcapng"
NOTE = re.compile(r"\[dnsmon (\d+): (\w+)\]")
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


def process_state(pid):
    """What a process is doing, for a failure message: state, where it
    sleeps in the kernel, CPU seconds so far."""
    try:
        with open("/proc/%d/stat" % pid) as fh:
            f = fh.read().rsplit(")", 1)[1].split()
        with open("/proc/%d/wchan" % pid) as fh:
            wchan = fh.read().strip() or "-"
        return "pid %d, state %s, waiting in %s, %.1f s of CPU" % (
            pid, f[0], wchan, (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK"))
    except (OSError, IndexError, ValueError) as e:
        return "pid %d: %s" % (pid, e)


class NoDisplay(AssertionError):
    """The window's X server did not come up, or wireshark could not reach it."""


class WiresharkGone(AssertionError):
    """The window's process ended: nothing more can be waited for."""


def until(fn, timeout=20.0, step=0.3, what="condition"):
    """fn() until it returns a true value (exceptions count as false, except
    the end of the program)."""
    end = time.time() + timeout
    last = None
    while True:
        try:
            v = fn()
            if v:
                return v
            last = v
        except WiresharkGone:
            raise
        except Exception as e:  # the window is still changing
            last = e
        if time.time() > end:
            raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))
        time.sleep(step)


class Gui:
    """One Wireshark window: Xvfb + D-Bus session + wireshark, and the AT-SPI
    helper (tests/gui_ax.py) talking to it."""

    def __init__(self, ts, args, name, system_plugins=False, home=None):
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
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": home or ts.home,
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
            # A display number of its own, drawn at random: a number -displayfd
            # picks is :0 for every server (the host's, a matrix root's, the
            # one before, still going away), and a client may find another.
            fh.write(
                'd=$1; n=$2; shift 2\n'
                'Xvfb ":$n" -displayfd 3 -screen 0 1600x1000x24 -nolisten tcp -nolisten local '
                '3>"$d/display" >"$d/xvfb.log" 2>&1 &\n'
                'i=0; while [ ! -s "$d/display" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done\n'
                'DISPLAY=:$(head -1 "$d/display"); export DISPLAY\n'
                'exec dbus-run-session -- sh "$d/session.sh" "$d" "$@" >"$d/wireshark.log" 2>&1\n')
        with open(os.path.join(self.dir, "session.sh"), "w") as fh:
            fh.write(
                'd=$1; shift\n'
                'echo "$DBUS_SESSION_BUS_ADDRESS" >"$d/bus"\n'
                'exec wireshark "$@"\n')
        # A window that never got its display (the X server did not come up)
        # is started again, once, and says so: wireshark itself never ran.
        for attempt in (1, 2):
            try:
                self.start(inner, args)
                return
            except NoDisplay as e:
                if attempt == 2:
                    raise AssertionError(str(e)) from None
                print("test_gui: %s; starting it again" % str(e).splitlines()[0],
                      file=sys.stderr)

    def start(self, inner, args):
        ts = self.ts
        for f in ("display", "bus", "wireshark.log", "xvfb.log"):
            try:
                os.unlink(os.path.join(self.dir, f))
            except OSError:
                pass
        self.display = None
        n = random.SystemRandom().randrange(100, 30000)
        cmd = (["env", "-i"] + ["%s=%s" % kv for kv in self.env.items()] +
               ["sh", inner, self.dir, str(n)] + args)
        if self.as_root:
            cmd = ["unshare", "--pid", "--fork", "setpriv", "--reuid=nobody", "--regid=nogroup",
                   "--clear-groups"] + cmd
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            until(lambda: os.path.exists(os.path.join(self.dir, "bus"))
                  and os.path.getsize(os.path.join(self.dir, "bus")) > 0, 30, what="D-Bus session")
            with open(os.path.join(self.dir, "display")) as fh:
                got = fh.read().split()
            if not got:
                raise NoDisplay("Xvfb :%d did not start" % n)
            self.display = ":" + got[0]
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
            until(self.first_window, 60, 0.5, "Wireshark's window")
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
            log, xlog = self.log(), self.log("xvfb.log")
            self.stop()
            msg = "%s\nwireshark's output:\n%s\nXvfb's output:\n%s" % (e, log, xlog)
            if isinstance(e, NoDisplay) or "could not connect to display" in log:
                raise NoDisplay(msg) from None
            raise AssertionError(msg) from None
        except BaseException:
            self.stop()
            raise

    def first_window(self):
        """Wireshark's window, once it is there; its end, if it ended first."""
        wid = self.window_id("Wireshark") or self.window_id(".pcap")
        if not wid and self.proc.poll() is not None:
            raise WiresharkGone("wireshark ended (exit %s) before its window opened" %
                                self.proc.returncode)
        return wid

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
            if "not on the accessibility bus" in reply["error"]:
                pid = self.wireshark_pid()
                if not pid:
                    # Gone, not slow: say how it ended instead of timing out on it.
                    raise WiresharkGone("wireshark is no longer running; its output:\n" +
                                        self.log())
                raise LookupError("%s (%s)" % (reply["error"], process_state(pid)))
            raise LookupError(reply["error"])
        return reply["result"]

    def log(self, name="wireshark.log"):
        try:
            with open(os.path.join(self.dir, name), errors="replace") as fh:
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


def settle(fn, want, timeout=20):
    """fn() once it equals want, or its last value after timeout."""
    last = [None]

    def read():
        last[0] = fn()
        return last[0] == want
    try:
        until(read, timeout, what="%r" % (want,))
    except AssertionError:
        pass
    return last[0]


def shown_frames(gui, title):
    t = gui.ask("table", window=title, name="Packet list")
    no = t["header"].index("No.")
    return [int(r[no]) for r in t["rows"] if r[no].isdigit()]


def tree_window(gui):
    """The DNS Transactions dialog's rows as it shows them: [name, count,
    percent or None]."""
    t = gui.ask("table", window="Transactions")
    pc = t["header"].index("Percent")
    return [[r[0].strip(), int(r[1]), float(r[pc].rstrip("%")) if r[pc].strip() else None]
            for r in t["rows"] if r[1].strip().isdigit()]


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


def tree_paths(rows):
    """tree_rows as sorted [path from the top, count]: the tree whatever
    order siblings come in."""
    out, path = [], []
    for depth, name, count in rows:
        path = path[:depth] + [name]
        out.append([path, count])
    return sorted(out)


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

    def dnsmon_menus(self, gui):
        """Statistics → DNS Monitor's three entries: {item: menu path}."""
        stats = gui.ask("menus", top="Statistics")
        where = {}
        for item in ("Transactions", "Failed Queries", "Incident Report"):
            paths = [p for p in find_menu(stats, item) if "DNS" in "".join(p)]
            self.assertEqual(len(paths), 1, "Statistics entries for %r: %s" % (item, paths))
            path = paths[0]
            self.assertTrue(path[0] == "DNS Monitor" or path[-1].startswith("DNS Monitor"),
                            "%r is not under Statistics → DNS Monitor: %s" % (item, path))
            where[item] = path
        return where

    # ---- the plugin a package installed (tests/test_package.sh) ----------
    @unittest.skipUnless(os.environ.get("DNSMON_GUI_INSTALLED"),
                         "DNSMON_GUI_INSTALLED names no installed dnsmon.so")
    def test_installed_plugin(self):
        """Wireshark without WIRESHARK_PLUGIN_DIR loads the packaged plugin
        from the system folder: About → Plugins lists that file, the packet
        list shows tshark -2's verdicts. -C "DNS Monitor" finds the profile
        the package put in the global profiles folder (the user has none)."""
        so = os.environ["DNSMON_GUI_INSTALLED"]
        folders = dict(line.split(":", 1) for line in
                       self.ts.stdout("-G", "folders").splitlines() if ":" in line)
        profile = os.path.join(folders["Global configuration"].strip(), "profiles", PROFILE)
        self.assertTrue(os.path.isdir(profile), "no " + profile)
        gui = Gui(self.ts, ["-C", PROFILE, "-r", self.ts.capture(SEED)], "installed",
                  system_plugins=True)
        self.addCleanup(gui.stop)
        title = self.main_title(gui, SEED)
        self.assert_about_lists(gui, so)
        self.assertIn("Profile: " + PROFILE, gui.ask("status"))
        header = gui.ask("table", window=title, name="Packet list")["header"]
        self.assertEqual(header, [c for c, _ in profile_columns()], "the profile's columns")
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
        where = self.dnsmon_menus(gui)

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

    # ---- statistics opened in the middle of a TCP connection (issue 16) --
    def test_live_statistics_opened_mid_connection(self):
        """A live capture from a pipe (captures/live-tcp.pcapng, a packet every
        0.5 s) pauses after the SYN of a DNS-over-TCP connection (frame 7)
        while DNS Transactions, Failed Queries and the incident report are
        opened, Apply is pressed in each, and the statistics timer
        (statistics.update_interval, 3 s) draws once. No row of the packet
        list may ever say other than tshark -2, or pending: the SYN never
        'unanswered', every transaction tshark's number. Mid-way nothing has
        failed yet (the unanswered query's timeout runs out at frame 19):
        the table lists nothing, the tree counts the two transactions in
        flight as pending, and its Copy says what the window shows. At the
        end (Apply again: Wireshark fills these dialogs once per Apply) list,
        tree, table and report equal tshark -2's."""
        ts = self.ts
        cap, syn = "live-tcp.pcapng", 7
        ref = info_column(ts, cap)
        self.assertIsNone(NOTE.search(ref[syn]), "tshark -2 gives the SYN a verdict")

        def z(tap):
            return ts.stdout("-r", ts.capture(cap), "-2", "-q", "-z", "dnsmon," + tap)
        want_tree, want_failures = tree_rows(z("tree")), failure_rows(z("failures"))
        want_report = z("report").strip()
        self.assertTrue(want_failures, "tshark -2 lists no failure in " + cap)
        pcap = os.path.join(ts.caps, "live-tcp.pcap")
        subprocess.run(["editcap", "-F", "pcap", ts.capture(cap), pcap], check=True)
        os.chmod(pcap, 0o644)
        fifo = os.path.join(ts.root, "live-tcp.fifo")
        os.mkfifo(fifo)
        os.chmod(fifo, 0o666)
        resume, fed = threading.Event(), threading.Event()

        def feed():
            with open(pcap, "rb") as fh:
                data = fh.read()
            with open(fifo, "wb", buffering=0) as out:
                out.write(data[:24])
                off, n = 24, 0
                while off < len(data):
                    size = int.from_bytes(data[off + 8:off + 12], "little")
                    time.sleep(0.5)
                    out.write(data[off:off + 16 + size])
                    off += 16 + size
                    n += 1
                    if n == syn:
                        resume.wait(120)
                time.sleep(0.5)
            fed.set()
        gui = self.start("live-tcp", "-k", "-i", fifo)
        self.addCleanup(resume.set)
        threading.Thread(target=feed, daemon=True).start()

        wrong = []      # rows that ever said what tshark -2 does not

        def look():
            rows = list_rows(gui, "fifo")
            for n, info in rows.items():
                if not info:
                    continue    # a row whose cells Qt has not filled yet says nothing
                got, want = NOTE.search(info), NOTE.search(ref.get(n, ""))
                if (bool(got) != bool(want) or got and (
                        got.group(1) != want.group(1) or
                        got.group(2) not in (want.group(2), "pending"))):
                    wrong.append((n, info, ref.get(n)))
            return rows
        until(lambda: syn in look(), 60, what="the SYN on the packet list")
        at_syn = time.time()

        # While the SYN waits for its SYN-ACK: the three windows, Apply.
        where = self.dnsmon_menus(gui)
        gui.ask("menu", path=["Statistics"] + where["Transactions"])
        until(lambda: gui.ask("table", window="Transactions")["rows"], 20,
              what="DNS Transactions")
        gui.ask("press", window="Transactions", button="Apply")
        gui.ask("menu", path=["Statistics"] + where["Failed Queries"])
        until(lambda: gui.ask("table", window="Failed Queries"), 20, what="Failed Queries")
        gui.ask("press", window="Failed Queries", button="Apply")
        gui.ask("menu", path=["Statistics"] + where["Incident Report"])
        report = until(lambda: (lambda t: t if "DNS transaction" in t else None)(
            gui.ask("text", window="Incident Report")), 20, what="the report window")
        time.sleep(max(0.0, at_syn + 3.5 - time.time()))     # a statistics timer tick
        self.assertEqual(max(look()), syn, "the pipe went on before the windows were open")

        shown = tree_window(gui)
        gui.ask("press", window="Transactions", button="Copy")
        copied = until(lambda: tree_rows(gui.clipboard()), 10, what="copied tree")
        self.assertEqual(sorted([n, c] for n, c, _ in shown), sorted([n, c] for _, n, c in copied),
                         "mid-capture: Copy gives what the window shows")
        top = {n: c for i, n, c in copied if i == 0}
        # Frames 1-6 started transactions 1-3; only the first is answered.
        self.assertEqual(top.get("Transactions"), 3, "mid-capture tree: %s" % copied)
        self.assertIn((1, "pending", 2), copied, "mid-capture tree")
        self.assertEqual(top.get("Failed transactions"), 0, "mid-capture tree")
        self.assertEqual([r for r in shown if r[2] is not None and r[2] > 100.0], [],
                         "percentages over 100 mid-capture")
        self.assertEqual(gui.ask("table", window="Failed Queries")["rows"], [],
                         "Failed Queries lists transactions still in flight")
        self.assertIn("1 DNS transaction, 0 failed", report)
        self.assertIn("2 more transactions still pending", report)

        resume.set()
        end = time.time() + 60
        while not fed.wait(0.5) and time.time() < end:
            look()
        self.assertTrue(fed.is_set(), "the capture pipe was not read")
        rows = settled_rows(gui, "fifo", ref)
        self.assertEqual(rows, ref, "the packet list after the capture")
        self.assertEqual(wrong, [], "rows that said other than tshark -2 (frame, row, tshark)")

        # The end: Apply in each dialog, as tshark -2.
        gui.ask("press", window="Transactions", button="Apply")
        want = sorted([n, c] for _, n, c in want_tree)
        shown = settle(lambda: sorted([n, c] for n, c, _ in tree_window(gui)), want)
        self.assertEqual(shown, want, "the tree window after Apply")
        self.assertEqual([r for r in tree_window(gui) if r[2] is not None and r[2] > 100.0], [],
                         "percentages over 100")
        gui.ask("press", window="Transactions", button="Copy")
        # The dialog's Copy sorts siblings as the dialog does (by name).
        want = tree_paths(want_tree)
        copied = settle(lambda: tree_paths(tree_rows(gui.clipboard())), want, 10)
        self.assertEqual(copied, want, "the tree's Copy after Apply")
        gui.ask("press", window="Failed Queries", button="Apply")
        got = settle(lambda: [[c.strip() for c in r if c.strip()] for r in
                              gui.ask("table", window="Failed Queries")["rows"]], want_failures)
        self.assertEqual(got, want_failures, "Failed Queries after Apply")
        got = settle(lambda: gui.ask("text", window="Incident Report").strip(), want_report)
        self.assertEqual(got, want_report, "the report window")

    # ---- the DNS Monitor profile (issue 17) ------------------------------
    def profile_window(self, cap):
        """wireshark -C "DNS Monitor" -r cap, the profile in its user's
        profiles folder (and in tshark's, for -C there too)."""
        ts = self.ts
        install_profile(ts.home)
        home = os.path.join(ts.root, "home-" + cap)
        os.makedirs(home)
        install_profile(home)
        gui = Gui(ts, ["-C", PROFILE, "-r", ts.capture(cap)], "profile-" + cap, home=home)
        self.addCleanup(gui.stop)
        title = self.main_title(gui, cap)
        gui.place(cap, 0, 0, 1600, 1000)
        status = until(lambda: [x for x in gui.ask("status") if x.startswith("Profile:")], 20,
                       what="the profile in the status bar")
        self.assertEqual(status, ["Profile: " + PROFILE])
        return gui, title

    def assert_profile_columns(self, gui, title, cap):
        """The profile's columns, dnsmon's with tshark -2 -T fields' values."""
        cols = profile_columns()
        fields = [f for _, f in cols if f]
        want = {int(r[0]): r[1:] for r in self.ts.fields(cap, ["frame.number"] + fields)}
        info = info_column(self.ts, cap)
        t = until(lambda: (lambda t: t if len(t["rows"]) == len(want) else None)(
            gui.ask("table", window=title, name="Packet list")), 30, what="every frame listed")
        self.assertEqual(t["header"], [c for c, _ in cols], "packet list columns")
        h = t["header"]
        got = {int(r[h.index("No.")]): [r[i] for i, (_, f) in enumerate(cols) if f]
               for r in t["rows"]}
        self.assertEqual(got, want, "%s: %s, frame by frame" % (cap, " ".join(fields)))
        self.assertEqual({int(r[h.index("No.")]): r[h.index("Info")] for r in t["rows"]}, info)
        return {f: {n: v[i] for n, v in want.items()} for i, f in enumerate(fields)}

    def assert_buttons(self, gui, title):
        bar = gui.ask("toolbar", window=title, has="Display filter entry")
        buttons = profile_buttons()
        self.assertEqual([n for n, showing in bar if showing and n in buttons], list(buttons),
                         "filter buttons shown in the filter tool bar: %s" % bar)

    def press_button(self, gui, title, cap, label):
        """A filter button shows what tshark -2 -Y its filter shows."""
        expr = profile_buttons()[label]
        want = [int(r[0]) for r in self.ts.fields(cap, ["frame.number"], dfilter=expr)]
        self.assertTrue(want, "tshark -2 -Y '%s' shows nothing of %s" % (expr, cap))
        gui.ask("press", window=title, button=label)
        self.assertEqual(settle(lambda: shown_frames(gui, title), want), want,
                         "%s (%s)" % (label, expr))
        self.assertIn(expr, gui.ask("texts", window=title), "the filter bar's text")
        self.assertTrue([x for x in gui.ask("status") if "Displayed: %d " % len(want) in x])
        return want

    def tshark_colours(self, cap):
        out = self.ts.stdout("-C", PROFILE, "-r", self.ts.capture(cap), "-2", "-n", "--color",
                             "-T", "fields", "-e", "frame.number", "-e", "frame.coloring_rule.name")
        return {int(a): b for a, b in (line.split("\t") for line in out.splitlines())}

    def assert_colours(self, gui, title, frames, colours):
        """The details pane of each frame (reached with Go → Next Packet from
        the first one shown) names tshark --color's coloring rule."""
        def details():
            gui.ask("menu", path=["View", "Expand All"])
            rows = [r[0] for r in gui.ask("table", window=title, name="Packet details")["rows"]]
            frame = re.match(r"Frame (\d+):", rows[0] if rows else "")
            rules = [m.group(1) for m in (re.match(r"\[Coloring Rule Name: (.*)\]$", x)
                                          for x in rows) if m]
            return [int(frame.group(1)) if frame else None, rules[0] if rules else None]
        gui.ask("menu", path=["Go", "First Packet"])
        for i, n in enumerate(frames):
            if i:
                gui.ask("menu", path=["Go", "Next Packet"])
            self.assertEqual(settle(details, [n, colours[n]], 10), [n, colours[n]],
                             "frame %d's coloring rule" % n)

    def test_profile_resolver_failures(self):
        """On a resolver's capture (captures/resolver-dead.pcapng): the columns,
        the coloring rules dialog in the profile's order, the filter buttons
        for resolver failures and failed lookups, the rule on failed frames."""
        cap = "resolver-dead.pcapng"
        gui, title = self.profile_window(cap)
        cols = self.assert_profile_columns(gui, title, cap)
        self.assertIn("upstream_failed", cols["dnsmon.upstream.cause"].values())
        self.assert_buttons(gui, title)
        view = gui.ask("menus", top="View")
        item = [x for x in find_menu(view, "Coloring Rules") if len(x) == 1][0]
        gui.ask("menu", path=["View"] + item)
        dialog = until(lambda: [w for w in gui.ask("windows") if "Coloring Rules" in w], 15,
                       what="the coloring rules dialog")[0]
        rules = until(lambda: gui.ask("table", window=dialog)["rows"], 10, what="rules")
        self.assertEqual(rules, profile_rules(), "the coloring rules Wireshark loaded")
        gui.ask("press", window=dialog, button="Cancel")
        self.press_button(gui, title, cap, "Resolver failures")
        shown = self.press_button(gui, title, cap, "Failed lookups")
        colours = self.tshark_colours(cap)
        self.assertIn("dnsmon failed", {colours[n] for n in shown})
        self.assert_colours(gui, title, shown[:2], colours)

    def test_profile_downgrade(self):
        """On a refused DoT attempt followed by plain DNS
        (captures/enc-dot-refused.pcapng): rejected frames coloured as
        rejected, downgraded ones as downgraded (both before failed), the
        Downgraded button."""
        cap = "enc-dot-refused.pcapng"
        gui, title = self.profile_window(cap)
        cols = self.assert_profile_columns(gui, title, cap)
        colours = self.tshark_colours(cap)
        for n, outcome in cols["dnsmon.outcome"].items():
            self.assertEqual(colours[n], {"rejected": "dnsmon rejected",
                                          "answered": "dnsmon downgraded"}.get(outcome),
                             "tshark --color on frame %d (%s)" % (n, outcome))
        self.assert_colours(gui, title, sorted(colours), colours)
        self.press_button(gui, title, cap, "Downgraded")

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
