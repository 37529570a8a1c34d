"""The "DNS Monitor" configuration profile (packaging/profile) as the tests
read it: its columns, coloring rules and filter buttons, and where a user's
Wireshark finds it."""
import csv
import os
import re
import shutil

PROFILE = "DNS Monitor"
PROFILE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                           "packaging", "profile", PROFILE)
FILES = ("preferences", "colorfilters", "dfilter_buttons")


def profile_columns():
    """[title, field] of the profile's gui.column.format, in order (field
    None for a column that is not a custom one)."""
    with open(os.path.join(PROFILE_DIR, "preferences"), encoding="utf-8") as fh:
        lines = fh.read().split("gui.column.format:", 1)[1].splitlines()[1:]
    body = []
    for line in lines:              # the value's continuation lines
        if line[:1] not in (" ", "\t"):
            break
        body.append(line)
    body = " ".join(body)
    return [[t, f.split(":")[1] if f.startswith("%Cus:") else None]
            for t, f in re.findall(r'"([^"]*)",\s*"([^"]*)"', body)]


def profile_rules():
    """[name, filter] of the profile's coloring rules, in order."""
    with open(os.path.join(PROFILE_DIR, "colorfilters"), encoding="utf-8") as fh:
        return [line.strip().split("@")[1:3] for line in fh if line.startswith("@")]


def profile_buttons():
    """{label: filter} of the profile's filter buttons, in order (a UAT file:
    CSV whose strings write a double quote as \\x22)."""
    with open(os.path.join(PROFILE_DIR, "dfilter_buttons"), encoding="utf-8") as fh:
        rows = csv.reader(line for line in fh if line.strip() and not line.startswith("#"))
        unesc = lambda c: re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), c)
        return {unesc(r[1]): unesc(r[2]) for r in rows if r[0] == "TRUE"}


def install_profile(home):
    """The profile in home's personal profiles folder, as a user who picked it
    (the package puts it in the global one; Wireshark copies it from there
    into this one when it is first selected)."""
    dst = os.path.join(home, ".config", "wireshark", "profiles", PROFILE)
    if not os.path.isdir(dst):
        shutil.copytree(PROFILE_DIR, dst)
    if os.geteuid() == 0:
        shutil.chown(home, user="nobody")
        for d, _, files in os.walk(os.path.join(home, ".config")):
            shutil.chown(d, user="nobody")
            for f in files:
                shutil.chown(os.path.join(d, f), user="nobody")
