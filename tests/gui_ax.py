"""AT-SPI helper for test_gui.py: reads the running Wireshark window.

Runs as the same user as Wireshark, in its D-Bus session, and answers one
JSON command per line on stdin with one JSON line on stdout:
  {"op": "menu", "path": ["Statistics", "DNS Monitor", "DNS Transactions"]}
  {"op": "menus", "top": "Statistics"}         -> nested list of item names
  {"op": "windows"}                             -> titles of top-level windows
  {"op": "status"}                              -> status bar labels
  {"op": "table", "window": "seed", "name": "Packet list"}
                                                -> {"header": [...], "rows": [[...]]}
  {"op": "text", "window": "DNS Incident Report"}  -> the window's first text
  {"op": "press", "window": "...", "button": "Copy"}
  {"op": "set_text", "window": "...", "text": "..."}
  {"op": "tab", "window": "About", "tab": "Plugins"}
  {"op": "toolbar", "window": "seed", "has": "Display filter entry"}
                                                -> [[button name, showing], ...]
Answers {"ok": true, "result": ...} or {"ok": false, "error": "..."}.
Qt only exports its widgets with QT_LINUX_ACCESSIBILITY_ALWAYS_ON=1.
"""
import json
import sys
import time

import pyatspi


def app(timeout=4):
    end = time.time() + timeout
    while time.time() < end:
        try:
            for a in pyatspi.Registry.getDesktop(0):
                if a is not None and a.name == "Wireshark":
                    return a
        except Exception:
            pass
        time.sleep(0.3)
    raise LookupError("Wireshark is not on the accessibility bus")


def children(acc):
    try:
        n = acc.childCount
    except Exception:
        return []
    out = []
    for i in range(n):
        try:
            c = acc.getChildAtIndex(i)
        except Exception:
            c = None
        if c is not None:
            out.append(c)
    return out


def walk(acc, depth=0, maxd=40):
    yield acc
    if depth < maxd:
        for c in children(acc):
            yield from walk(c, depth + 1, maxd)


def role(acc):
    try:
        return acc.getRoleName()
    except Exception:
        return ""


def name(acc):
    try:
        return acc.name or ""
    except Exception:
        return ""


def find(root, want_role=None, want_name=None, contains=None, maxd=40):
    for a in walk(root, 0, maxd):
        if want_role and role(a) != want_role:
            continue
        if want_name is not None and name(a) != want_name:
            continue
        if contains is not None and contains not in name(a):
            continue
        return a
    return None


def window(sub, timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        for w in children(app()):
            if sub in name(w):
                return w
        time.sleep(0.3)
    raise LookupError("no window titled *%s*: %s" % (sub, [name(w) for w in children(app())]))


def menu_items(menu):
    """Items of a menu item's popup (or of the menu bar)."""
    items = []
    for c in children(menu):
        if role(c) == "popup menu":
            items.extend(x for x in children(c) if role(x) in ("menu item", "menu"))
        elif role(c) in ("menu item", "menu"):
            items.append(c)
    return items


def menubar():
    mb = find(app(), "menu bar")
    if mb is None:
        raise LookupError("no menu bar")
    return mb


def op_menu(path):
    cur = menubar()
    for part in path:
        nxt = [i for i in menu_items(cur) if name(i) == part]
        if not nxt:
            raise LookupError("no menu item %r under %r (%s)" % (
                part, name(cur), [name(i) for i in menu_items(cur)]))
        cur = nxt[0]
    cur.queryAction().doAction(0)
    return True


def op_menus(top):
    def tree(item, depth):
        sub = menu_items(item)
        if not sub or depth > 4:
            return name(item)
        return [name(item), [tree(s, depth + 1) for s in sub]]
    for i in menu_items(menubar()):
        if name(i) == top:
            return tree(i, 0)
    raise LookupError("no menu %r" % top)


def read_table(t):
    ti = t.queryTable()
    header = []
    for c in range(ti.nColumns):
        h = ti.getColumnHeader(c)
        header.append(name(h) if h is not None else ti.getColumnDescription(c))
    rows = []
    for r in range(ti.nRows):
        row = []
        for c in range(ti.nColumns):
            cell = ti.getAccessibleAt(r, c)
            row.append(name(cell) if cell is not None else "")
        # A row read while Qt lays the view out may come short of cells: it
        # says nothing yet (a later read has it whole, and every check that
        # counts rows waits for all of them).
        if len(row) >= len(header):
            rows.append(row)
    return {"header": header, "rows": rows}


def op_table(win, tname=None, has=None):
    """The first table of a window (named tname; holding a cell `has`)."""
    w = window(win)
    for a in walk(w):
        if role(a) not in ("tree", "table", "tree table"):
            continue
        if tname is not None and name(a) != tname:
            continue
        try:
            a.queryTable()
        except Exception:
            continue
        t = read_table(a)
        if has is None or any(has in row for row in t["rows"]):
            return t
    raise LookupError("no such table in %r" % win)


def op_text(win):
    w = window(win)
    for a in walk(w):
        if role(a) == "text":
            try:
                ti = a.queryText()
            except Exception:
                continue
            return ti.getText(0, ti.characterCount)
    raise LookupError("no text in %r" % win)


def op_texts(win):
    out = []
    for a in walk(window(win)):
        if role(a) == "text":
            try:
                ti = a.queryText()
                out.append(ti.getText(0, ti.characterCount))
            except Exception:
                continue
    return out


def op_press(win, button):
    w = window(win)
    b = find(w, "push button", button) or find(w, "button", button)  # Qt 5, Qt 6
    if b is None:
        raise LookupError("no button %r in %r" % (button, win))
    b.queryAction().doAction(0)
    return True


def op_set_text(win, text):
    w = window(win)
    for a in walk(w):
        if role(a) == "text":
            try:
                a.queryEditableText().setTextContents(text)
                return True
            except Exception:
                continue
    raise LookupError("no editable text in %r" % win)


def op_tab(win, tab):
    w = window(win)
    for a in walk(w):
        if role(a) == "page tab" and name(a) == tab:
            a.queryAction().doAction(0)
            return True
    raise LookupError("no tab %r in %r" % (tab, win))


def op_expand(win, prefix, tname=None):
    """Expand the first row of a tree whose text starts with prefix."""
    w = window(win)
    for a in walk(w):
        if role(a) in ("table cell", "tree item", "list item") and name(a).startswith(prefix):
            ai = a.queryAction()
            names = [ai.getName(i) for i in range(ai.nActions)]
            for i, n in enumerate(names):
                if "expand" in n.lower() or "toggle" in n.lower():
                    ai.doAction(i)
                    return names
            raise LookupError("row %r has no expand action: %s" % (name(a), names))
    raise LookupError("no row starting %r in %r" % (prefix, win))


def op_extents(win, prefix, want_role=None):
    """Screen rectangle of the first cell or item whose text starts with prefix
    (or of the first widget of role want_role)."""
    w = window(win)
    for a in walk(w):
        if (role(a) == want_role if want_role else
                role(a) in ("table cell", "tree item", "list item", "menu item", "push button",
                            "button") and name(a).startswith(prefix)):
            e = a.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
            return [e.x, e.y, e.width, e.height]
    raise LookupError("nothing starting %r in %r" % (prefix, win))


def op_toolbar(win, has):
    """[name, showing] of the buttons of the first tool bar holding a widget
    named has (Qt 6 leaves tool bars unnamed): the display filter buttons
    are in the tool bar of the "Display filter entry"."""
    for tb in walk(window(win)):
        if role(tb) != "tool bar" or find(tb, None, has) is None:
            continue
        out = []
        for a in walk(tb):
            if role(a) in ("push button", "button") and name(a):
                try:
                    showing = a.getState().contains(pyatspi.STATE_SHOWING)
                except Exception:
                    showing = False
                out.append([name(a), showing])
        return out
    raise LookupError("no tool bar holding %r in %r" % (has, win))


def op_dump(win, maxd=6):
    """Roles and names of a window's widgets (for diagnostics)."""
    w = window(win)
    out = []

    def rec(a, d):
        out.append("%s[%s] %s" % ("  " * d, role(a), name(a)))
        if d < maxd:
            for c in children(a):
                if role(c) not in ("table cell",):
                    rec(c, d + 1)
    rec(w, 0)
    return "\n".join(out)


def handle(cmd):
    op = cmd["op"]
    if op == "ping":
        app()
        return True
    if op == "menu":
        return op_menu(cmd["path"])
    if op == "menus":
        return op_menus(cmd["top"])
    if op == "windows":
        return [name(w) for w in children(app())]
    if op == "status":
        sb = find(app(), "status bar")
        return [name(x) for x in walk(sb) if role(x) == "label" and name(x)]
    if op == "table":
        return op_table(cmd["window"], cmd.get("name"), cmd.get("has"))
    if op == "texts":
        return op_texts(cmd["window"])
    if op == "text":
        return op_text(cmd["window"])
    if op == "press":
        return op_press(cmd["window"], cmd["button"])
    if op == "set_text":
        return op_set_text(cmd["window"], cmd["text"])
    if op == "toolbar":
        return op_toolbar(cmd["window"], cmd["has"])
    if op == "dump":
        return op_dump(cmd["window"], cmd.get("depth", 6))
    if op == "extents":
        return op_extents(cmd["window"], cmd.get("prefix", ""), cmd.get("role"))
    if op == "expand":
        return op_expand(cmd["window"], cmd["prefix"])
    if op == "tab":
        return op_tab(cmd["window"], cmd["tab"])
    raise ValueError("unknown op %r" % op)


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            reply = {"ok": True, "result": handle(json.loads(line))}
        except Exception as e:  # reported to the test, which decides
            reply = {"ok": False, "error": "%s: %s" % (type(e).__name__, e)}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
